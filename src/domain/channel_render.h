/* How the chat's answers look on each medium: the assistant's messages [{"text","quick_replies":[{"label",
 * "payload"}]}] rendered as WhatsApp Cloud API message bodies (reply buttons when there are at most 3 quick
 * replies, an interactive list of up to 10 rows otherwise) or Telegram sendMessage bodies (an inline
 * keyboard), with long texts split at the medium's limit. Pure functions: no store, no network.
 *
 * DESIGN NOTES
 * - A button's id (WhatsApp: 256 bytes for buttons, 200 for list rows; Telegram's callback_data: 64 bytes)
 *   is the quick reply's payload when it fits, else "h:" and 16 hex digits of its SHA-256: the conversation
 *   remembers the payloads of the last answer (bc_channel_qr_payload finds one again), so a press of an
 *   old button whose payload is forgotten is simply not understood, never mistaken for another. */
#ifndef BC_CHANNEL_RENDER_H
#define BC_CHANNEL_RENDER_H
#include <jansson.h>
#include <stddef.h>

#define BC_WA_TEXT_MAX        4096 /* a text message's body */
#define BC_WA_INTERACTIVE_MAX 1024 /* an interactive message's body text */
#define BC_WA_BUTTONS_MAX     3
#define BC_WA_ROWS_MAX        10
#define BC_TG_TEXT_MAX        4096
#define BC_TG_DATA_MAX        64

/* Cuts text into pieces of at most max bytes, at a line break or a space when there is one in the last
 * quarter of the piece, never inside a UTF-8 character. Writes the piece lengths into lens (at most nmax)
 * and returns the count (0 for an empty text). Pieces follow each other without gaps: the separator stays
 * at the end of its piece. */
size_t bc_channel_split(const char *text, size_t max, size_t *lens, size_t nmax);

/* The button id of a payload for a medium whose ids hold at most max bytes (see the DESIGN NOTES) into
 * out[max + 1]. */
void bc_channel_qr_id(const char *payload, size_t max, char *out);
/* The payload a button id stands for: id itself, or for "h:…" the payload of qr (an array of payload
 * strings, the last answer's) with that hash; NULL when none (borrowed from id or qr). */
const char *bc_channel_qr_payload(const char *id, const json_t *qr);

/* WhatsApp Cloud API bodies (POST /{phone_number_id}/messages) answering to (the customer's wa_id) with
 * messages; lang chooses the list button's label. New array (caller decrefs). */
json_t *bc_channel_wa_bodies(const char *to, const json_t *messages, const char *lang);
/* A template message (outside the 24-hour window): template name and language, with one body parameter
 * per string of params (may be NULL). New object. */
json_t *bc_channel_wa_template(const char *to, const char *name, const char *lang, const json_t *params);
/* Telegram sendMessage bodies for chat_id (the chat's numeric id as text). New array. */
json_t *bc_channel_tg_bodies(const char *chat_id, const json_t *messages);
/* The payloads of the quick replies of messages, in order (what bc_channel_qr_payload looks up). New array.
 */
json_t *bc_channel_qr_list(const json_t *messages);

#endif
