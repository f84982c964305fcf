/* What goes out on a channel, as deliveries (channel_send.h holds the design). */
#include "domain/channel_send.h"
#include "domain/channel.h"
#include "domain/channel_render.h"
#include "domain/fields.h"
#include "util/err.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

json_t *bc_channel_send(const char *op, json_t *body)
{
    return json_pack("{s:s, s:o}", "op", op, "body", body);
}

/* messages with the manage page of a booking card added to its text (a chat has no card to tap: the link
 * is how the customer changes or cancels on their own). New reference. */
static json_t *with_links(const json_t *messages, const char *public_url)
{
    json_t *out = json_array(), *m;
    size_t i;
    json_array_foreach(messages, i, m)
    {
        json_t *card = json_object_get(m, "booking");
        const char *code = S(card, "code"), *token = S(card, "manage_token"), *text = S(m, "text");
        if (!code || !token || !text) {
            json_array_append(out, m);
            continue;
        }
        json_t *c = json_copy(m);
        char *full = NULL;
        size_t n = strlen(text) + strlen(public_url) + strlen(code) + strlen(token) + 40;
        if (c && (full = malloc(n))) {
            snprintf(full, n, "%s\n\n%s/manage/?code=%s&token=%s", text, public_url, code, token);
            json_object_set_new(c, "text", json_string(full));
        }
        free(full);
        json_array_append_new(out, c ? c : json_incref(m));
    }
    return out;
}

json_t *bc_channel_answer_sends(const struct bc_channel *ch, const char *sender, const json_t *messages,
                                const char *locale, const char *public_url)
{
    json_t *linked = with_links(messages, public_url ? public_url : "");
    bool wa = strcmp(ch->kind, BC_CHANNEL_WHATSAPP) == 0;
    json_t *bodies = wa ? bc_channel_wa_bodies(sender, linked, locale) : bc_channel_tg_bodies(sender, linked);
    json_t *sends = json_array(), *b;
    size_t i;
    json_array_foreach(bodies, i, b)
        json_array_append_new(sends, bc_channel_send(wa ? "messages" : "sendMessage", json_incref(b)));
    json_decref(bodies);
    json_decref(linked);
    return sends;
}

int bc_channel_request(struct bc_env *env, const struct bc_ctx *ctx, const json_t *claimed,
                       const char *graph_url, const char *telegram_url, struct bc_channel_request *out,
                       char *msg, size_t msgsize)
{
    memset(out, 0, sizeof *out);
    json_t *send = json_array_get(json_object_get(claimed, "sends"),
                                  (size_t)json_integer_value(json_object_get(claimed, "done")));
    const char *op = S(send, "op");
    json_t *body = json_object_get(send, "body");
    if (!op || !json_is_object(body)) {
        snprintf(msg, msgsize, "nothing left to send");
        return BC_EINVALID;
    }
    struct bc_channel *ch = NULL;
    if (bc_channel_open(env, ctx, bc_field_str(claimed, "channel_id"), &ch) < 0) {
        snprintf(msg, msgsize, "the channel was deleted or cannot be opened");
        return BC_EINVALID;
    }
    int rc = 0;
    bool wa = strcmp(ch->kind, BC_CHANNEL_WHATSAPP) == 0;
    if (wa && strcmp(op, "messages") == 0) {
        snprintf(out->url, sizeof out->url, "%s/%s/%s/messages", graph_url, ch->api_version,
                 ch->phone_number_id);
        snprintf(out->auth, sizeof out->auth, "Authorization: Bearer %s", ch->access_token);
    } else if (!wa && (strcmp(op, "sendMessage") == 0 || strcmp(op, "answerCallbackQuery") == 0)) {
        snprintf(out->url, sizeof out->url, "%s/bot%s/%s", telegram_url, ch->bot_token, op);
    } else {
        snprintf(msg, msgsize, "a send of another medium");
        rc = BC_EINVALID;
    }
    bc_channel_free(ch);
    if (rc == 0 && !(out->body = json_dumps(body, JSON_COMPACT))) rc = BC_ENOMEM;
    if (rc < 0) bc_channel_request_clear(out);
    return rc;
}

void bc_channel_request_clear(struct bc_channel_request *r)
{
    sodium_memzero(r->url, sizeof r->url);
    sodium_memzero(r->auth, sizeof r->auth);
    free(r->body);
    r->body = NULL;
}
