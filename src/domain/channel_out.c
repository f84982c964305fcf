/* What is said on a channel outside a turn of the chat: staff replies to a conversation, reminders of a
 * booking made in a chat, and Telegram's setWebhook (channel_run.h declares them). Replies and reminders
 * leave as deliveries (channel_send.h); outside WhatsApp's 24-hour window only the channel's approved
 * template may be sent, its one parameter the text on one line. */
#include "domain/channel.h"
#include "domain/channel_internal.h"
#include "domain/channel_render.h"
#include "domain/channel_run.h"
#include "domain/channel_send.h"
#include "domain/conversation.h"
#include "domain/delivery.h"
#include "domain/env.h"
#include "domain/outbox.h"
#include "net/sender.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/log.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

/* ---- outside the 24-hour window ---- */

/* Whether a message to sender on ch now falls outside WhatsApp's window (never on Telegram) into *outside.
 * 0 or a negative bc_err (the sender's item could not be read). */
static int outside_window(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_channel *ch,
                          const char *sender, bool *outside)
{
    json_t *index = NULL;
    *outside = false;
    if (strcmp(ch->kind, BC_CHANNEL_WHATSAPP) != 0) return 0;
    int rc = bc__channel_index_get(env, ctx, ch, sender, &index);
    if (rc == 0)
        *outside = bc_now_s() - json_integer_value(json_object_get(index, "last_in")) > BC__CHANNEL_WINDOW_S;
    json_decref(index);
    return rc;
}

/* The sends of text as ch's approved template: WhatsApp refuses a parameter with a line break, a tab or
 * more than four spaces in a row, so the text goes on one line (runs of white space made one space), at
 * most an interactive body's bytes, cut at a character boundary (bc_channel_split). New array. */
static json_t *template_sends(const struct bc_channel *ch, const char *sender, const char *text)
{
    size_t n = strlen(text), o = 0, len = 0;
    char *line = malloc(n + 1);
    if (!line) return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = text[i] == '\n' || text[i] == '\r' || text[i] == '\t' ? ' ' : text[i];
        if (c == ' ' && (o == 0 || line[o - 1] == ' ')) continue;
        line[o++] = c;
    }
    line[o] = '\0';
    if (bc_channel_split(line, BC_WA_INTERACTIVE_MAX, &len, 1) == 0) len = 0;
    while (len > 0 && line[len - 1] == ' ') len--;
    line[len] = '\0';
    json_t *params = json_pack("[s]", line);
    free(line);
    json_t *sends =
        json_pack("[o]", bc_channel_send("messages", bc_channel_wa_template(sender, ch->template_name,
                                                                            ch->template_lang, params)));
    json_decref(params);
    return sends;
}

/* ---- staff replies ---- */

int bc_channel_staff_reply(struct bc_env *env, const struct bc_ctx *ctx, const char *conv_id,
                           const char *text, char *msg, size_t msgsize)
{
    json_t *conv = NULL, *messages = NULL;
    struct bc_channel *ch = NULL;
    int rc = bc_conv_get(env, ctx, conv_id, &conv);
    json_t *c = json_object_get(conv, "channel");
    if (rc == 0 && !json_is_object(c)) {
        snprintf(msg, msgsize, "This conversation did not come through a channel.");
        rc = BC_ECONFLICT;
    }
    if (rc == 0 && (rc = bc_channel_open(env, ctx, S(c, "id"), &ch)) == BC_ENOT_FOUND) {
        snprintf(msg, msgsize, "The channel of this conversation is gone or disabled.");
        rc = BC_ECONFLICT;
    }
    if (rc == 0 && !env->channels) rc = BC_EUNAVAILABLE;
    bool outside = false;
    if (rc == 0) rc = outside_window(env, ctx, ch, S(c, "sender"), &outside);
    if (rc == 0 && outside && !ch->template_name[0]) {
        snprintf(msg, msgsize,
                 "The customer wrote more than 24 hours ago: WhatsApp only allows a template message now; "
                 "name an approved template in the channel's settings.");
        rc = BC_ECONFLICT;
    }
    /* stored first: what staff said is in the transcript even if the send is retried or lost */
    json_t *m = rc == 0 ? json_pack("{s:s, s:s, s:s, s:[]}", "text", text, "from", "staff", "by",
                                    ctx->user_id, "quick_replies")
                        : NULL;
    if (rc == 0 && !m) rc = BC_ENOMEM;
    if (rc == 0) rc = bc_conv_add_message(env, conv, "assistant", m);
    if (rc == 0) rc = bc_conv_save(env, conv);
    json_t *sends = NULL;
    if (rc == 0 && outside) {
        sends = template_sends(ch, S(c, "sender"), text);
    } else if (rc == 0) { /* no booking card: no link to add, no public URL needed */
        messages = json_pack("[O]", m);
        sends = bc_channel_answer_sends(ch, S(c, "sender"), messages, S(ctx->tenant, "locale"), NULL);
    }
    if (rc == 0) { /* a request, not a redone turn: an id of its own */
        char seed[160], fresh[BC_ID_LEN + 1];
        bc_id_new(fresh);
        snprintf(seed, sizeof seed, "staff|%s", fresh);
        rc = bc_delivery_create_channel(env, ctx, seed, "channel.staff_reply", ch->id, S(c, "sender"), sends);
    }
    json_decref(m);
    json_decref(messages);
    json_decref(conv);
    bc_channel_free(ch);
    return rc;
}

/* ---- reminders ---- */

int bc_channel_remind(struct bc_env *env, const struct bc_ctx *ctx, const char *event_id,
                      const json_t *booking, const char *text)
{
    const json_t *c = json_object_get(booking, "channel");
    const char *sender = S(c, "sender");
    struct bc_channel *ch = NULL;
    if (!json_is_object(c) || !bc__channel_sender_ok(sender) || !text || !*text) return 0;
    if (bc_channel_open(env, ctx, S(c, "id"), &ch) < 0) return 0; /* the channel is gone: e-mail only */
    json_t *sends = NULL;
    bool outside = false;
    int rc = outside_window(env, ctx, ch, sender, &outside);
    if (rc == 0 && outside && ch->template_name[0]) {
        sends = template_sends(ch, sender, text);
    } else if (rc == 0 && !outside) {
        json_t *messages = json_pack("[{s:s, s:[]}]", "text", text, "quick_replies");
        sends = bc_channel_answer_sends(ch, sender, messages, S(ctx->tenant, "locale"), NULL);
        json_decref(messages);
    } else if (rc == 0) {
        bc_log(BC_LOG_INFO, "{\"type\":\"channel_reminder\",\"channel\":\"%s\",\"skipped\":\"no template\"}",
               ch->id);
    }
    if (sends) {
        char seed[160];
        snprintf(seed, sizeof seed, "reminder|%s", event_id);
        rc = bc_delivery_create_channel(env, ctx, seed, BC_EV_BOOKING_REMINDER, ch->id, sender, sends);
    }
    bc_channel_free(ch);
    return rc;
}

/* ---- Telegram's setWebhook ---- */

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    int rc;
    long status;
    char error[256];
};

static void on_set(void *ud, const struct bc_send_result *r)
{
    struct waiter *wt = ud;
    pthread_mutex_lock(&wt->mu);
    wt->rc = r->rc;
    wt->status = r->status;
    snprintf(wt->error, sizeof wt->error, "%s", r->error);
    wt->done = true;
    pthread_cond_signal(&wt->cv);
    pthread_mutex_unlock(&wt->mu);
}

int bc_channel_tg_set_webhook(struct bc_env *env, const struct bc_ctx *ctx, const char *id,
                              const char *public_url, const char *api_url, char *msg, size_t msgsize)
{
    struct bc_channel *ch = NULL;
    int rc = bc_channel_open(env, ctx, id, &ch);
    if (rc < 0) return rc;
    if (strcmp(ch->kind, BC_CHANNEL_TELEGRAM) != 0) {
        bc_channel_free(ch);
        snprintf(msg, msgsize, "not a Telegram channel");
        return BC_EINVALID;
    }
    char url[1024], hook[512];
    snprintf(url, sizeof url, "%s/bot%s/setWebhook", api_url, ch->bot_token);
    snprintf(hook, sizeof hook, "%s/v1/channels/telegram/%s", public_url, ch->id);
    json_t *body = json_pack("{s:s, s:s, s:[s, s], s:b}", "url", hook, "secret_token", ch->secret_token,
                             "allowed_updates", "message", "callback_query", "drop_pending_updates", 0);
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    bc_channel_free(ch);
    struct waiter wt = {.done = false};
    pthread_mutex_init(&wt.mu, NULL);
    pthread_cond_init(&wt.cv, NULL);
    struct bc_sender *sender = NULL;
    const char *headers[] = {"Content-Type: application/json"};
    char err[256] = "";
    rc = s ? bc_sender_new(&sender, err, sizeof err) : BC_ENOMEM;
    if (rc == 0) {
        struct bc_send_req r = {.kind = BC_SEND_HTTP_POST,
                                .url = url,
                                .headers = headers,
                                .nheaders = 1,
                                .body = s,
                                .body_len = strlen(s),
                                .allow_private = true,
                                .timeout_ms = 10000};
        rc = bc_sender_submit(sender, &r, on_set, &wt);
    }
    if (rc == 0) {
        pthread_mutex_lock(&wt.mu);
        while (!wt.done) pthread_cond_wait(&wt.cv, &wt.mu);
        pthread_mutex_unlock(&wt.mu);
        rc = wt.rc;
        if (rc < 0) {
            snprintf(msg, msgsize, "Telegram answered %ld: %s", wt.status, wt.error);
            rc = BC_EUNAVAILABLE;
        }
    }
    bc_sender_free(sender);
    pthread_mutex_destroy(&wt.mu);
    pthread_cond_destroy(&wt.cv);
    if (s) sodium_memzero(s, strlen(s));
    free(s);
    sodium_memzero(url, sizeof url);
    return rc;
}
