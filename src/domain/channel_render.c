/* The chat's answers as WhatsApp and Telegram message bodies (channel_render.h). The limits are the
 * providers' documented ones: WhatsApp text 4096, interactive body 1024, button title 20, list row title 24
 * and description 72, list button 20, at most 3 buttons or 10 rows; Telegram text 4096, callback_data 64. */
#include "domain/channel_render.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

#define WA_TITLE_MAX 20
#define WA_ROW_MAX   24
#define WA_DESC_MAX  72
#define WA_BUTTON_ID 256
#define WA_ROW_ID    200
#define PIECES_MAX   64

/* The length of the longest prefix of s[0..n) that does not end inside a UTF-8 character. */
static size_t utf8_floor(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    return n;
}

size_t bc_channel_split(const char *text, size_t max, size_t *lens, size_t nmax)
{
    size_t count = 0, len = text ? strlen(text) : 0;
    const char *p = text;
    while (len > 0 && count < nmax) {
        size_t take = len;
        if (len > max) {
            take = utf8_floor(p, max);
            /* a line break, else a space, in the last quarter of the piece */
            size_t cut = 0;
            for (size_t i = take; i > take - take / 4 && !cut; i--)
                if (p[i - 1] == '\n') cut = i;
            for (size_t i = take; i > take - take / 4 && !cut; i--)
                if (p[i - 1] == ' ') cut = i;
            if (cut) take = cut;
            if (take == 0) take = max; /* a character longer than max: cannot happen for max >= 4 */
        }
        lens[count++] = take;
        p += take;
        len -= take;
    }
    return count;
}

/* "h:" and 16 hex digits of the SHA-256 of payload into out[19] */
static void hash_id(const char *payload, char out[19])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof h + 1];
    crypto_hash_sha256(h, (const unsigned char *)payload, strlen(payload));
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, 19, "h:%.16s", hex);
}

void bc_channel_qr_id(const char *payload, size_t max, char *out)
{
    size_t n = strlen(payload);
    if (n > 0 && n <= max && strncmp(payload, "h:", 2) != 0) {
        memcpy(out, payload, n + 1);
        return;
    }
    char h[19];
    hash_id(payload, h);
    snprintf(out, max + 1, "%s", h);
}

const char *bc_channel_qr_payload(const char *id, const json_t *qr)
{
    if (!id || !*id) return NULL;
    if (strncmp(id, "h:", 2) != 0) return id;
    size_t i;
    json_t *p;
    char want[19];
    json_array_foreach(qr, i, p)
    {
        const char *s = json_string_value(p);
        if (!s) continue;
        hash_id(s, want);
        if (strcmp(want, id) == 0) return s;
    }
    return NULL;
}

/* label cut to at most max bytes on a character boundary, with "…" when cut (3 bytes) */
static json_t *clip(const char *label, size_t max)
{
    size_t n = strlen(label);
    if (n <= max) return json_string(label);
    char buf[256];
    size_t k = utf8_floor(label, max - 3);
    snprintf(buf, sizeof buf, "%.*s…", (int)k, label);
    return json_string(buf);
}

json_t *bc_channel_qr_list(const json_t *messages)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *m, *q;
    json_array_foreach(messages, i, m) json_array_foreach(json_object_get(m, "quick_replies"), j, q)
    {
        const char *p = S(q, "payload");
        if (p) json_array_append_new(out, json_string(p));
    }
    return out;
}

/* ---- WhatsApp ---- */

static json_t *wa_base(const char *to, const char *type)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "messaging_product", "whatsapp", "recipient_type", "individual",
                     "to", to, "type", type);
}

static json_t *wa_text(const char *to, const char *text, size_t len)
{
    json_t *b = wa_base(to, "text");
    json_object_set_new(b, "text", json_pack("{s:b, s:s%}", "preview_url", 0, "body", text, len));
    return b;
}

static json_t *wa_interactive(const char *to, const char *text, size_t len, const json_t *qrs,
                              const char *lang)
{
    json_t *b = wa_base(to, "interactive"), *action, *ia;
    size_t n = json_array_size(qrs), i;
    json_t *q;
    char id[WA_BUTTON_ID + 1];
    if (n <= BC_WA_BUTTONS_MAX) {
        json_t *buttons = json_array();
        json_array_foreach(qrs, i, q)
        {
            bc_channel_qr_id(S(q, "payload"), WA_BUTTON_ID, id);
            json_array_append_new(buttons, json_pack("{s:s, s:{s:s, s:o}}", "type", "reply", "reply", "id",
                                                     id, "title", clip(S(q, "label"), WA_TITLE_MAX)));
        }
        action = json_pack("{s:o}", "buttons", buttons);
        ia = json_pack("{s:s}", "type", "button");
    } else {
        json_t *rows = json_array();
        json_array_foreach(qrs, i, q)
        {
            if (i >= BC_WA_ROWS_MAX) break;
            const char *label = S(q, "label");
            bc_channel_qr_id(S(q, "payload"), WA_ROW_ID, id);
            json_t *row = json_pack("{s:s, s:o}", "id", id, "title", clip(label, WA_ROW_MAX));
            if (strlen(label) > WA_ROW_MAX) json_object_set_new(row, "description", clip(label, WA_DESC_MAX));
            json_array_append_new(rows, row);
        }
        bool es = lang && strncmp(lang, "es", 2) == 0;
        action = json_pack("{s:s, s:[{s:s, s:o}]}", "button", es ? "Ver opciones" : "See options", "sections",
                           "title", es ? "Opciones" : "Options", "rows", rows);
        ia = json_pack("{s:s}", "type", "list");
    }
    json_object_set_new(ia, "body", json_pack("{s:s%}", "text", text, len));
    json_object_set_new(ia, "action", action);
    json_object_set_new(b, "interactive", ia);
    return b;
}

json_t *bc_channel_wa_bodies(const char *to, const json_t *messages, const char *lang)
{
    json_t *out = json_array(), *m;
    size_t i, lens[PIECES_MAX];
    json_array_foreach(messages, i, m)
    {
        const char *text = S(m, "text");
        json_t *qrs = json_object_get(m, "quick_replies");
        bool buttons = json_array_size(qrs) > 0;
        if (!text || !*text) text = buttons ? "…" : NULL;
        if (!text) continue;
        size_t n = bc_channel_split(text, BC_WA_TEXT_MAX, lens, PIECES_MAX), off = 0;
        for (size_t k = 0; k < n; k++) {
            const char *piece = text + off;
            off += lens[k];
            if (k + 1 < n || !buttons) {
                json_array_append_new(out, wa_text(to, piece, lens[k]));
                continue;
            }
            /* the last piece (it runs to the end of text) carries the buttons, within the interactive
             * body's limit */
            size_t sub[8], ns = bc_channel_split(piece, BC_WA_INTERACTIVE_MAX, sub, 8), so = 0;
            for (size_t j = 0; j + 1 < ns; j++) {
                json_array_append_new(out, wa_text(to, piece + so, sub[j]));
                so += sub[j];
            }
            json_array_append_new(out, wa_interactive(to, piece + so, sub[ns - 1], qrs, lang));
        }
    }
    return out;
}

json_t *bc_channel_wa_template(const char *to, const char *name, const char *lang, const json_t *params)
{
    json_t *b = wa_base(to, "template"),
           *t = json_pack("{s:s, s:{s:s}}", "name", name, "language", "code", lang);
    if (json_array_size(params)) {
        json_t *ps = json_array(), *p;
        size_t i;
        json_array_foreach(params, i, p)
            json_array_append_new(ps, json_pack("{s:s, s:O}", "type", "text", "text", p));
        json_object_set_new(t, "components", json_pack("[{s:s, s:o}]", "type", "body", "parameters", ps));
    }
    json_object_set_new(b, "template", t);
    return b;
}

/* ---- Telegram ---- */

json_t *bc_channel_tg_bodies(const char *chat_id, const json_t *messages)
{
    json_t *out = json_array(), *m;
    size_t i, lens[PIECES_MAX];
    json_array_foreach(messages, i, m)
    {
        const char *text = S(m, "text");
        json_t *qrs = json_object_get(m, "quick_replies");
        if (!text || !*text) text = json_array_size(qrs) ? "…" : NULL;
        if (!text) continue;
        size_t n = bc_channel_split(text, BC_TG_TEXT_MAX, lens, PIECES_MAX), off = 0;
        for (size_t k = 0; k < n; k++) {
            json_t *b = json_pack("{s:s, s:s%}", "chat_id", chat_id, "text", text + off, lens[k]);
            off += lens[k];
            if (k == n - 1 && json_array_size(qrs)) {
                /* one button a row: labels stay readable on a phone */
                json_t *kb = json_array(), *q;
                size_t j;
                char id[BC_TG_DATA_MAX + 1];
                json_array_foreach(qrs, j, q)
                {
                    bc_channel_qr_id(S(q, "payload"), BC_TG_DATA_MAX, id);
                    json_array_append_new(
                        kb, json_pack("[{s:s, s:s}]", "text", S(q, "label"), "callback_data", id));
                }
                json_object_set_new(b, "reply_markup", json_pack("{s:o}", "inline_keyboard", kb));
            }
            json_array_append_new(out, b);
        }
    }
    return out;
}
