/* The channel layer's worker: inbound messages into turns of the conversation engine, answers out through
 * the sender, staff replies and Telegram's setWebhook (channel_run.h holds the design). */
#include "domain/channel_run.h"
#include "domain/channel.h"
#include "domain/channel_render.h"
#include "domain/conversation.h"
#include "domain/env.h"
#include "domain/keys.h"
#include "domain/turn.h"
#include "domain/visitor.h"
#include "net/sender.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"
#include "util/log.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S(o, k)    json_string_value(json_object_get((o), (k)))
#define SEEN_TTL_S (7 * 86400)
#define WINDOW_S   (24 * 3600)
#define SEND_TRIES 6
#define TURN_TRIES 5
#define SENDER_MAX 32

enum job_kind { JOB_TURN, JOB_RESUME, JOB_SEND };

/* One queued piece of work: a turn to run or resume, or a chain of sends. */
struct job {
    struct job *next;
    enum job_kind kind;
    int64_t due_ms;
    int tries;
    struct bc_channels *w;
    struct bc_ctx ctx; /* its own reference on the tenant item */
    struct bc_channel *ch;
    char sender[SENDER_MAX + 1];
    char *text, *button, *button_text, *lang;
    /* the turn */
    struct bc_turn *turn;
    json_t *index;   /* the sender's CHSENDER item as read (or new) */
    json_t *opening; /* a new conversation's opening messages, else NULL */
    /* the sends: [{"url","body"}] with the channel's bearer header for WhatsApp */
    json_t *sends;
    size_t next_send;
    char *auth; /* "Authorization: Bearer …" or NULL */
};

struct bc_channels {
    struct bc_env *env;
    char *public_url, *graph_url, *telegram_url;
    long retry_ms;
    struct bc_sender *sender;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *queue; /* by due time */
    int parked;        /* turns waiting for a model */
    bool stop;
};

/* ---- jobs ---- */

static void job_free(struct job *j)
{
    if (!j) return;
    bc_turn_free(j->turn);
    bc_ctx_release(&j->ctx);
    bc_channel_free(j->ch);
    free(j->text);
    free(j->button);
    free(j->button_text);
    free(j->lang);
    json_decref(j->index);
    json_decref(j->opening);
    json_decref(j->sends);
    if (j->auth) sodium_memzero(j->auth, strlen(j->auth));
    free(j->auth);
    free(j);
}

static void push_locked(struct bc_channels *w, struct job *j)
{
    struct job **p = &w->queue;
    while (*p && (*p)->due_ms <= j->due_ms) p = &(*p)->next;
    j->next = *p;
    *p = j;
    pthread_cond_signal(&w->cv);
}

static void push(struct bc_channels *w, struct job *j)
{
    pthread_mutex_lock(&w->mu);
    if (w->stop) {
        pthread_mutex_unlock(&w->mu);
        job_free(j);
        return;
    }
    push_locked(w, j);
    pthread_mutex_unlock(&w->mu);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- the sender's item ---- */

static const char *index_sk(char *buf, const struct bc_channel *ch, const char *sender)
{
    return bc_key_sk2(buf, "CHSENDER", ch->id, sender);
}

/* The sender's item (a new one when absent). */
static int index_get(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_channel *ch,
                     const char *sender, json_t **out)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk) || !index_sk(sk, ch, sender)) return BC_EINVALID;
    int rc = bc_store_get(env->store, pk, sk, out);
    if (rc == BC_ENOT_FOUND) {
        *out = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "PK", pk, "SK", sk, "channel_id", ch->id, "sender",
                         sender, "qr");
        rc = *out ? 0 : BC_ENOMEM;
    }
    return rc;
}

static int index_put(struct bc_env *env, json_t *index)
{
    /* kept as long as the conversation it points at could live: a year is past any retention */
    json_object_set_new(index, "ttl", json_integer(bc_now_s() + 366 * 86400));
    return bc_store_put(env->store, index, &(struct bc_cond){BC_COND_NONE, 0, true});
}

/* ---- sends ---- */

static void add_send(json_t *sends, const char *url, json_t *body)
{
    json_array_append_new(sends, json_pack("{s:s, s:o}", "url", url, "body", body));
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

/* The chain of sends of messages to the job's sender, queued now. */
static void send_messages(struct job *j, const json_t *messages)
{
    struct bc_channels *w = j->w;
    json_t *bodies, *linked = with_links(messages, w->public_url);
    messages = linked;
    char url[1024];
    if (strcmp(j->ch->kind, BC_CHANNEL_WHATSAPP) == 0) {
        bodies = bc_channel_wa_bodies(j->sender, messages, S(j->ctx.tenant, "locale"));
        snprintf(url, sizeof url, "%s/%s/%s/messages", w->graph_url, j->ch->api_version,
                 j->ch->phone_number_id);
    } else {
        bodies = bc_channel_tg_bodies(j->sender, messages);
        snprintf(url, sizeof url, "%s/bot%s/sendMessage", w->telegram_url, j->ch->bot_token);
    }
    size_t i;
    json_t *b;
    if (!j->sends) j->sends = json_array();
    json_array_foreach(bodies, i, b) add_send(j->sends, url, json_incref(b));
    json_decref(bodies);
    json_decref(linked);
    sodium_memzero(url, sizeof url);
}

static void chain_start(struct job *j)
{
    if (json_array_size(j->sends) == 0) {
        job_free(j);
        return;
    }
    if (strcmp(j->ch->kind, BC_CHANNEL_WHATSAPP) == 0 && !j->auth) {
        size_t n = strlen(j->ch->access_token) + 32;
        j->auth = malloc(n);
        if (j->auth) snprintf(j->auth, n, "Authorization: Bearer %s", j->ch->access_token);
    }
    bc_turn_free(j->turn);
    j->turn = NULL;
    j->kind = JOB_SEND;
    j->next_send = 0;
    j->tries = 0;
    j->due_ms = 0;
    push(j->w, j);
}

/* On the sender's thread: the outcome of one send of a chain. */
static void on_sent(void *ud, const struct bc_send_result *r)
{
    struct job *j = ud;
    struct bc_channels *w = j->w;
    bool retry = r->rc < 0 && !r->permanent;
    if (r->rc == 0) {
        j->next_send++;
        j->tries = 0;
        if (j->next_send >= json_array_size(j->sends)) {
            job_free(j);
            return;
        }
        j->due_ms = 0;
    } else if (retry && ++j->tries < SEND_TRIES) {
        j->due_ms = bc_now_ms() + (w->retry_ms << (j->tries - 1));
        bc_log(BC_LOG_INFO,
               "{\"type\":\"channel_send\",\"outcome\":\"retry\",\"channel\":\"%s\",\"status\":%ld}",
               j->ch->id, r->status);
    } else {
        bc_log(BC_LOG_WARN,
               "{\"type\":\"channel_send\",\"outcome\":\"failed\",\"channel\":\"%s\",\"status\":%ld,"
               "\"tries\":%d}",
               j->ch->id, r->status, j->tries + 1);
        job_free(j);
        return;
    }
    push(w, j);
}

static void run_send(struct job *j)
{
    json_t *s = json_array_get(j->sends, j->next_send);
    char *body = json_dumps(json_object_get(s, "body"), JSON_COMPACT);
    const char *headers[2] = {"Content-Type: application/json", j->auth};
    struct bc_send_req r = {
        .kind = BC_SEND_HTTP_POST,
        .url = S(s, "url"),
        .headers = headers,
        .nheaders = j->auth ? 2 : 1,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        /* the upstream is the operator's setting, like the SMTP server: no address rule */
        .allow_private = true,
        .timeout_ms = 15000,
    };
    int rc = body ? bc_sender_submit(j->w->sender, &r, on_sent, j) : BC_ENOMEM;
    free(body);
    if (rc < 0) job_free(j); /* stopping, or out of memory: the answer is lost (channel_run.h) */
}

/* ---- turns ---- */

static void on_answered(void *ud)
{
    struct job *j = ud;
    struct bc_channels *w = j->w;
    pthread_mutex_lock(&w->mu);
    w->parked--;
    j->kind = JOB_RESUME;
    j->due_ms = 0;
    push_locked(w, j); /* even when stopping: the worker frees it */
    pthread_mutex_unlock(&w->mu);
}

/* A finished turn: remember the sender's place and send the answer. */
static void turn_done(struct job *j)
{
    struct bc_env *env = j->w->env;
    int rc = bc_turn_rc(j->turn);
    if (rc == BC_ECONFLICT && ++j->tries < TURN_TRIES) { /* another process's turn won: run it again */
        bc_turn_free(j->turn);
        j->turn = NULL;
        json_decref(j->opening);
        j->opening = NULL;
        j->kind = JOB_TURN;
        j->due_ms = bc_now_ms() + 200 * j->tries;
        push(j->w, j);
        return;
    }
    if (rc < 0) {
        bc_log(BC_LOG_WARN, "{\"type\":\"channel_turn\",\"channel\":\"%s\",\"error\":\"%s\"}", j->ch->id,
               bc_err_code(rc));
        job_free(j);
        return;
    }
    json_t *messages = bc_turn_messages(j->turn), *conv = bc_turn_conv(j->turn);
    /* a first message that the engine did not get anywhere with: the greeting says more */
    if (j->opening && json_equal(json_object_get(conv, "state"), json_object_get(j->index, "opening_state")))
        messages = j->opening;
    json_object_del(j->index, "opening_state");
    json_object_set_new(j->index, "conv_id", json_string(S(conv, "id")));
    json_object_set_new(j->index, "last_in", json_integer(bc_now_s()));
    json_object_set_new(j->index, "qr", bc_channel_qr_list(messages));
    if (index_put(env, j->index) < 0)
        bc_log(BC_LOG_WARN, "{\"type\":\"channel_turn\",\"channel\":\"%s\",\"error\":\"index\"}", j->ch->id);
    send_messages(j, messages);
    chain_start(j);
}

/* A new conversation for the sender, marked with its channel. */
static int open_conv(struct job *j, json_t **conv)
{
    struct bc_env *env = j->w->env;
    char lang[3] = "";
    if (j->lang && (strncmp(j->lang, "es", 2) == 0 || strncmp(j->lang, "en", 2) == 0))
        snprintf(lang, sizeof lang, "%.2s", j->lang);
    int rc = bc_turn_open(env, &j->ctx, lang[0] ? lang : NULL, j->w->public_url, conv, &j->opening);
    if (rc < 0) return rc;
    json_object_set_new(
        *conv, "channel",
        json_pack("{s:s, s:s, s:s}", "kind", j->ch->kind, "id", j->ch->id, "sender", j->sender));
    rc = bc_conv_save(env, *conv);
    json_object_set(j->index, "opening_state", json_object_get(*conv, "state"));
    return rc;
}

/* One step of the job's turn (begin or resume): counted as parked while a model call may be out (the
 * answer may come back before the step returns), finished when the turn is done. */
static void turn_step(struct job *j, int (*step)(struct bc_turn *t))
{
    pthread_mutex_lock(&j->w->mu);
    j->w->parked++;
    pthread_mutex_unlock(&j->w->mu);
    if (step(j->turn) == BC_TURN_WAIT) return;
    pthread_mutex_lock(&j->w->mu);
    j->w->parked--;
    pthread_mutex_unlock(&j->w->mu);
    turn_done(j);
}

static void run_turn(struct job *j)
{
    struct bc_env *env = j->w->env;
    json_t *conv = NULL, *limited = NULL;
    int rc = 0;
    if (!j->index) rc = index_get(env, &j->ctx, j->ch, j->sender, &j->index);
    const char *cid = S(j->index, "conv_id");
    if (rc == 0 && cid) {
        rc = bc_conv_get(env, &j->ctx, cid, &conv);
        if (rc == BC_ENOT_FOUND) rc = 0; /* expired: a new one */
    }
    if (rc == 0 && !conv) rc = open_conv(j, &conv);
    /* the plan's monthly messages, as for the widget: past them, the polite answer */
    if (rc == 0) rc = bc_turn_admit(env, &j->ctx, conv, &limited);
    if (rc == BC_EPLAN) {
        send_messages(j, limited);
        json_decref(limited);
        json_decref(conv);
        chain_start(j);
        return;
    }
    const char *text = j->text, *action = NULL;
    if (rc == 0 && j->button) {
        action = bc_channel_qr_payload(j->button, json_object_get(j->index, "qr"));
        if (!action) text = j->button_text ? j->button_text : "?"; /* an old button: read its title */
    }
    /* the visitor of the widget's booking caps: the sender on its channel */
    char visitor[64];
    snprintf(visitor, sizeof visitor, "%c:%s", j->ch->kind[0], j->sender);
    j->ctx.visitor = visitor;
    struct bc_turn_io io = {.answered = on_answered, .ud = j};
    if (rc == 0)
        rc = bc_turn_new(env, &j->ctx, conv, action ? NULL : text, action, j->w->public_url, &io, &j->turn);
    j->ctx.visitor = NULL;
    json_decref(conv);
    if (rc < 0) {
        bc_log(BC_LOG_WARN, "{\"type\":\"channel_turn\",\"channel\":\"%s\",\"error\":\"%s\"}", j->ch->id,
               bc_err_code(rc));
        job_free(j);
        return;
    }
    turn_step(j, bc_turn_begin);
}

static void run_resume(struct job *j)
{
    turn_step(j, bc_turn_resume);
}

/* ---- the worker ---- */

static void *worker_main(void *arg)
{
    struct bc_channels *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (w->stop && w->parked == 0) break;
        struct job *j = w->queue;
        int64_t now = bc_now_ms();
        if (!j || j->due_ms > now) {
            if (!j) {
                pthread_cond_wait(&w->cv, &w->mu);
            } else {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                int64_t wait = j->due_ms - now, ns = ts.tv_nsec + (wait % 1000) * 1000000;
                ts.tv_sec += wait / 1000 + ns / 1000000000;
                ts.tv_nsec = ns % 1000000000;
                pthread_cond_timedwait(&w->cv, &w->mu, &ts);
            }
            continue;
        }
        w->queue = j->next;
        bool stopping = w->stop;
        pthread_mutex_unlock(&w->mu);
        if (stopping && j->kind != JOB_RESUME) {
            job_free(j);
        } else if (j->kind == JOB_TURN) {
            run_turn(j);
        } else if (j->kind == JOB_RESUME) {
            run_resume(j);
        } else {
            run_send(j);
        }
        pthread_mutex_lock(&w->mu);
    }
    while (w->queue) {
        struct job *j = w->queue;
        w->queue = j->next;
        job_free(j);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int bc_channels_start(struct bc_env *env, const struct bc_channels_cfg *cfg, struct bc_channels **out,
                      char *err, size_t errsize)
{
    *out = NULL;
    struct bc_channels *w = calloc(1, sizeof *w);
    if (!w) return BC_ENOMEM;
    w->env = env;
    w->public_url = strdup(cfg->public_url ? cfg->public_url : "");
    w->graph_url = strdup(cfg->graph_url ? cfg->graph_url : "https://graph.facebook.com");
    w->telegram_url = strdup(cfg->telegram_url ? cfg->telegram_url : "https://api.telegram.org");
    w->retry_ms = cfg->retry_ms > 0 ? cfg->retry_ms : 1000;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    int rc = w->public_url && w->graph_url && w->telegram_url ? bc_sender_new(&w->sender, err, errsize)
                                                              : BC_ENOMEM;
    if (rc == 0 && pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        snprintf(err, errsize, "cannot start the channels' worker thread");
        rc = BC_EINTERNAL;
    }
    if (rc < 0) {
        bc_sender_free(w->sender);
        free(w->public_url);
        free(w->graph_url);
        free(w->telegram_url);
        free(w);
        return rc;
    }
    env->channels = w;
    *out = w;
    return 0;
}

void bc_channels_stop(struct bc_channels *w)
{
    if (!w) return;
    w->env->channels = NULL;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    /* the sender first: sends in flight complete ("cancelled") and their chains are dropped by the worker */
    bc_sender_free(w->sender);
    w->sender = NULL;
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->public_url);
    free(w->graph_url);
    free(w->telegram_url);
    free(w);
}

/* ---- accepting a message ---- */

static bool sender_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > SENDER_MAX) return false;
    if (*s == '-') s++;
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* Marks msg_id as seen: 1 when it was already. */
static int seen(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_channel *ch, const char *msg_id)
{
    unsigned char h[16];
    char hex[33], pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    crypto_generichash(h, sizeof h, (const unsigned char *)msg_id, strlen(msg_id), NULL, 0);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk2(sk, "CHSEEN", ch->id, hex)) return BC_EINVALID;
    json_t *item =
        json_pack("{s:s, s:s, s:I}", "PK", pk, "SK", sk, "ttl", (json_int_t)(bc_now_s() + SEEN_TTL_S));
    int rc =
        item ? bc_store_put(env->store, item, &(struct bc_cond){BC_COND_NOT_EXISTS, 0, false}) : BC_ENOMEM;
    json_decref(item);
    return rc == BC_ECOND ? 1 : rc;
}

static struct job *job_new(struct bc_channels *w, const struct bc_ctx *ctx, const struct bc_channel *ch,
                           const char *sender)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->w = w;
    j->ctx = *ctx;
    j->ctx.origin = NULL;
    j->ctx.visitor = NULL;
    bc_json_ref(j->ctx.tenant);
    snprintf(j->sender, sizeof j->sender, "%s", sender);
    /* the job's own copy of the channel (the caller keeps its own) */
    if (bc_channel_open(w->env, ctx, ch->id, &j->ch) < 0) {
        job_free(j);
        return NULL;
    }
    return j;
}

int bc_channel_accept(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_channel *ch,
                      const struct bc_channel_msg *m)
{
    struct bc_channels *w = env->channels;
    if (!sender_ok(m->sender) || !m->msg_id || !*m->msg_id || (!m->text && !m->button)) return BC_EINVALID;
    if (!w) return BC_EUNAVAILABLE;
    int rc = seen(env, ctx, ch, m->msg_id);
    if (rc != 0) return rc;
    /* the widget visitor's limits, the sender standing for the visitor and for the conversation */
    char subject[64];
    snprintf(subject, sizeof subject, "%c:%s:%s", ch->kind[0], ch->id, m->sender);
    rc = bc_visitor_take(env, ctx->tenant_id, BC_VL_CONV_RATE, subject, 0, 0, NULL);
    if (rc == 0) rc = bc_visitor_take(env, ctx->tenant_id, BC_VL_MESSAGES_DAY, subject, 0, 0, NULL);
    if (rc < 0) return rc;
    struct job *j = job_new(w, ctx, ch, m->sender);
    if (!j) return BC_ENOMEM;
    j->text = dup_or_null(m->text);
    j->button = dup_or_null(m->button);
    j->button_text = dup_or_null(m->button_text);
    j->lang = dup_or_null(m->lang);
    /* a pressed Telegram button is answered first, so the client stops its spinner */
    if (m->callback_id) {
        struct job *a = job_new(w, ctx, ch, m->sender);
        char url[1024];
        if (a) {
            snprintf(url, sizeof url, "%s/bot%s/answerCallbackQuery", w->telegram_url, ch->bot_token);
            a->sends = json_array();
            add_send(a->sends, url, json_pack("{s:s}", "callback_query_id", m->callback_id));
            sodium_memzero(url, sizeof url);
            chain_start(a);
        }
    }
    j->kind = JOB_TURN;
    push(w, j);
    return 0;
}

/* ---- staff replies ---- */

int bc_channel_staff_reply(struct bc_env *env, const struct bc_ctx *ctx, const char *conv_id,
                           const char *text, char *msg, size_t msgsize)
{
    struct bc_channels *w = env->channels;
    json_t *conv = NULL, *index = NULL, *messages = NULL;
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
    if (rc == 0 && !w) rc = BC_EUNAVAILABLE;
    if (rc == 0) rc = index_get(env, ctx, ch, S(c, "sender"), &index);
    bool outside = rc == 0 && strcmp(ch->kind, BC_CHANNEL_WHATSAPP) == 0 &&
                   bc_now_s() - json_integer_value(json_object_get(index, "last_in")) > WINDOW_S;
    if (outside && !ch->template_name[0]) {
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
    struct job *j = rc == 0 ? job_new(w, ctx, ch, S(c, "sender")) : NULL;
    if (rc == 0 && !j) rc = BC_ENOMEM;
    if (rc == 0 && outside) {
        char url[1024];
        snprintf(url, sizeof url, "%s/%s/%s/messages", w->graph_url, ch->api_version, ch->phone_number_id);
        json_t *params = json_pack("[s]", text);
        j->sends = json_array();
        add_send(j->sends, url,
                 bc_channel_wa_template(j->sender, ch->template_name, ch->template_lang, params));
        json_decref(params);
        chain_start(j);
    } else if (rc == 0) {
        messages = json_pack("[O]", m);
        send_messages(j, messages);
        chain_start(j);
    }
    json_decref(m);
    json_decref(messages);
    json_decref(index);
    json_decref(conv);
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
