/* What goes out on a channel, as deliveries of the outbox (delivery.h, kind "channel"): the chat's answers,
 * staff replies, Telegram's answerCallbackQuery and reminders, so that an answer owed to a customer survives
 * a SIGKILL, is sent once by any of the processes sharing the store, and is retried on 429, 5xx and network
 * errors (channel_retry_ms doubling, for as long as WhatsApp's 24-hour window lasts).
 *
 * DESIGN NOTES
 * - A delivery holds the medium's request bodies in order ([{"op","body"}]: op "messages" for the Graph
 *   API, "sendMessage" or "answerCallbackQuery" for the Bot API), never a credential: the dispatcher opens
 *   the channel when it sends (bc_channel_request), so a rotated token is used at once and a deleted
 *   channel's answers fail for good instead of going out.
 * - The sends of one delivery go out one after the other ("done" counts them, written after each), so an
 *   answer's text, its buttons and its booking link arrive in order; after a crash the chain resumes at
 *   the first send not recorded (at least once for the one in flight). */
#ifndef BC_CHANNEL_SEND_H
#define BC_CHANNEL_SEND_H
#include <jansson.h>
#include <stddef.h>

#include "auth/context.h"

struct bc_env;
struct bc_channel;

/* The sends of the assistant's messages to sender on ch: WhatsApp bodies (locale picks the list button's
 * label) or Telegram sendMessage bodies, a booking card's manage link (public_url) added to its text. New
 * array. */
json_t *bc_channel_answer_sends(const struct bc_channel *ch, const char *sender, const json_t *messages,
                                const char *locale, const char *public_url);
/* One send {"op","body"} (body stolen). New object. */
json_t *bc_channel_send(const char *op, json_t *body);

/* The request of the next send of a claimed channel delivery: url (Telegram's carries the bot token: never
 * log it), the Graph API's bearer header or "", the JSON body (free with bc_channel_request_clear).
 * BC_EINVALID with msg when it cannot be made (the channel was deleted, the item is malformed). */
struct bc_channel_request {
    char url[1024];
    char auth[1024];
    char *body;
};
int bc_channel_request(struct bc_env *env, const struct bc_ctx *ctx, const json_t *claimed,
                       const char *graph_url, const char *telegram_url, struct bc_channel_request *out,
                       char *msg, size_t msgsize);
void bc_channel_request_clear(struct bc_channel_request *r);

#endif
