/* The channel layer's worker: inbound messages into turns of the conversation engine, their answers out as
 * deliveries, and the recovery of turns owed by a process that died (channel_run.h holds the design; staff
 * replies, reminders and Telegram's setWebhook are in channel_out.c). */
#include "domain/channel_run.h"
#include "domain/channel.h"
#include "domain/channel_internal.h"
#include "domain/channel_render.h"
#include "domain/channel_send.h"
#include "domain/conversation.h"
#include "domain/delivery.h"
#include "domain/env.h"
#include "domain/keys.h"
#include "domain/outbox.h"
#include "domain/tenant.h"
#include "domain/turn.h"
#include "domain/visitor.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
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
#define TURN_TRIES 5
#define SENDER_MAX 32
#define RECOVER_S  120 /* an inbound message's turn is run again by any process after this (channel_run.h) */
#define RUN_LEASE  300 /* a recovered turn is its taker's this long */

enum job_kind { JOB_TURN, JOB_RESUME };

/* One queued piece of work: a turn to run or resume. */
struct job {
    struct job *next;
    struct job *live_next; /* the worker's jobs that owe an event (w->live) */
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
    /* the intent that owes this turn (channel.message, outbox.h): deleted once the answer is a delivery */
    char event_id[BC_ID_LEN + 1];
    int64_t event_due;
    bool recovered; /* run by the dispatcher's recovery: a failure is given up, not recovered again */
};

struct bc_channels {
    struct bc_env *env;
    char *public_url;
    bool hold;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *queue; /* by due time */
    struct job *live;  /* every job with an event, queued or running (a recovery of one is not run twice) */
    int parked;        /* turns waiting for a model */
    bool stop;
};

/* ---- jobs ---- */

static void job_free(struct job *j)
{
    if (!j) return;
    if (j->event_id[0]) { /* off the live list */
        pthread_mutex_lock(&j->w->mu);
        for (struct job **p = &j->w->live; *p; p = &(*p)->live_next)
            if (*p == j) {
                *p = j->live_next;
                break;
            }
        pthread_mutex_unlock(&j->w->mu);
    }
    bc_turn_free(j->turn);
    bc_ctx_release(&j->ctx);
    bc_channel_free(j->ch);
    free(j->text);
    free(j->button);
    free(j->button_text);
    free(j->lang);
    json_decref(j->index);
    json_decref(j->opening);
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
int bc__channel_index_get(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_channel *ch,
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

/* ---- sends and the owed event ---- */

/* The intent's item key of the job's event. */
static bool event_key(const struct job *j, char pk[BC_KEY_SIZE], char sk[BC_KEY_SIZE])
{
    return bc_outbox_pk(pk, j->event_id) &&
           bc_outbox_sk(sk, j->event_due, 'E', j->ctx.tenant_id, j->event_id);
}

/* The turn's answer is a delivery (or there is none): the intent is no longer owed. */
static void event_done(struct job *j)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    if (j->event_id[0] && event_key(j, pk, sk)) bc_store_delete(j->w->env->store, pk, sk, NULL);
}

/* The answer's messages as one delivery to the job's sender, its id derived from the owed event (a turn
 * redone after a crash makes the same one), else from a fresh id. */
static int deliver(struct job *j, const char *event, const json_t *messages)
{
    char seed[128], fresh[BC_ID_LEN + 1];
    if (!j->event_id[0]) bc_id_new(fresh);
    snprintf(seed, sizeof seed, "%s|%s", event, j->event_id[0] ? j->event_id : fresh);
    json_t *sends =
        bc_channel_answer_sends(j->ch, j->sender, messages, S(j->ctx.tenant, "locale"), j->w->public_url);
    if (json_array_size(sends) == 0) {
        json_decref(sends);
        return 0;
    }
    int rc = bc_delivery_create_channel(j->w->env, &j->ctx, seed, event, j->ch->id, j->sender, sends);
    if (rc < 0)
        bc_log(BC_LOG_WARN, "{\"type\":\"channel_send\",\"channel\":\"%s\",\"error\":\"%s\"}", j->ch->id,
               bc_err_code(rc));
    return rc;
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

/* A turn that failed: logged; its event is left to the recovery once (a crash or a store outage), then
 * given up. */
static void turn_failed(struct job *j, int rc)
{
    bc_log(BC_LOG_WARN, "{\"type\":\"channel_turn\",\"channel\":\"%s\",\"error\":\"%s\"}", j->ch->id,
           bc_err_code(rc));
    if (j->recovered) event_done(j);
    job_free(j);
}

/* A finished turn: the answer becomes a delivery, then the sender's place is remembered (marked with the
 * event: a recovery of a turn that got this far finds it done), then the event is no longer owed. */
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
        turn_failed(j, rc);
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
    if ((rc = deliver(j, "channel.answer", messages)) < 0) {
        turn_failed(j, rc);
        return;
    }
    if (j->event_id[0]) bc_outbox_mark(j->index, j->event_id);
    if (index_put(env, j->index) < 0)
        bc_log(BC_LOG_WARN, "{\"type\":\"channel_turn\",\"channel\":\"%s\",\"error\":\"index\"}", j->ch->id);
    event_done(j);
    job_free(j);
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
    if (!j->index) rc = bc__channel_index_get(env, &j->ctx, j->ch, j->sender, &j->index);
    if (rc == 0 && j->event_id[0] && bc_outbox_marked(j->index, j->event_id)) { /* answered before a crash */
        event_done(j);
        job_free(j);
        return;
    }
    const char *cid = S(j->index, "conv_id");
    if (rc == 0 && cid) {
        rc = bc_conv_get(env, &j->ctx, cid, &conv);
        if (rc == BC_ENOT_FOUND) rc = 0; /* expired: a new one */
    }
    if (rc == 0 && !conv) rc = open_conv(j, &conv);
    /* the plan's monthly messages, as for the widget: past them, the polite answer */
    if (rc == 0) rc = bc_turn_admit(env, &j->ctx, conv, &limited);
    if (rc == BC_EPLAN) {
        if (deliver(j, "channel.answer", limited) == 0) event_done(j);
        json_decref(limited);
        json_decref(conv);
        job_free(j);
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
        turn_failed(j, rc);
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
        if (!j || j->due_ms > now || (w->hold && !w->stop)) {
            if (!j || w->hold) {
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
        } else {
            run_resume(j);
        }
        pthread_mutex_lock(&w->mu);
    }
    struct job *left = w->queue; /* freed outside the lock: job_free takes it (the live list) */
    w->queue = NULL;
    pthread_mutex_unlock(&w->mu);
    while (left) {
        struct job *j = left;
        left = j->next;
        job_free(j);
    }
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
    w->hold = cfg->hold;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    int rc = w->public_url ? 0 : BC_ENOMEM;
    if (rc == 0 && pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        snprintf(err, errsize, "cannot start the channels' worker thread");
        rc = BC_EINTERNAL;
    }
    if (rc < 0) {
        free(w->public_url);
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
    /* queued turns are dropped: their events are run again by the recovery of whichever process is up */
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->public_url);
    free(w);
}

bool bc_channels_idle(struct bc_channels *w)
{
    if (!w) return true;
    pthread_mutex_lock(&w->mu);
    bool idle = !w->queue && !w->live && w->parked == 0;
    pthread_mutex_unlock(&w->mu);
    return idle;
}

bool bc_channels_settle(struct bc_channels *w, int64_t deadline_ns)
{
    while (!bc_channels_idle(w)) {
        if (bc_mono_ns() >= deadline_ns) return false;
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return true;
}

/* ---- accepting a message ---- */

bool bc__channel_sender_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > SENDER_MAX) return false;
    if (*s == '-') s++;
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* The CHSEEN key of a delivery's message id. */
static bool seen_key(const struct bc_ctx *ctx, const char *channel_id, const char *msg_id,
                     char pk[BC_KEY_SIZE], char sk[BC_KEY_SIZE])
{
    unsigned char h[16];
    char hex[33];
    crypto_generichash(h, sizeof h, (const unsigned char *)msg_id, strlen(msg_id), NULL, 0);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    return bc_key_tenant_pk(ctx, pk) && bc_key_sk2(sk, "CHSEEN", channel_id, hex);
}

/* The owed turn of a new message, durable before the provider is answered: the intent (due only after
 * RECOVER_S: this process runs the turn at once, the recovery only if it dies), then the message id marked
 * seen with a not-exists condition carrying the intent's id. 1 when the id was seen already (that intent is
 * never marked, so the dispatcher drops it). *event: the intent item (caller decrefs). */
static int seen(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_channel *ch,
                const struct bc_channel_msg *m, json_t **event)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *event = NULL;
    if (!seen_key(ctx, ch->id, m->msg_id, pk, sk)) return BC_EINVALID;
    json_t *item =
        json_pack("{s:s, s:s, s:I}", "PK", pk, "SK", sk, "ttl", (json_int_t)(bc_now_s() + SEEN_TTL_S));
    json_t *data = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "channel_id", ch->id, "sender",
                             m->sender, "msg_id", m->msg_id, "text", m->text, "button", m->button,
                             "button_text", m->button_text, "lang", m->lang);
    struct bc_outbox_batch b = {.n = 0};
    int rc = item && data
                 ? bc_outbox_event_at(ctx, BC_EV_CHANNEL_MESSAGE, item, data, bc_now_s() + RECOVER_S, &b)
                 : BC_ENOMEM;
    if (!(item && data)) json_decref(data);
    if (rc == 0) rc = bc_outbox_put(env, &b);
    if (rc == 0) rc = bc_store_put(env->store, item, &(struct bc_cond){BC_COND_NOT_EXISTS, 0, false});
    if (rc == 0) *event = json_incref(b.items[0]);
    json_decref(item);
    bc_outbox_batch_release(&b);
    return rc == BC_ECOND ? 1 : rc;
}

static struct job *job_new(struct bc_channels *w, const struct bc_ctx *ctx, const char *channel_id,
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
    if (bc_channel_open(w->env, ctx, channel_id, &j->ch) < 0) {
        job_free(j);
        return NULL;
    }
    return j;
}

/* The turn of a message owed by intent ev: queued, and on the live list. */
static void job_queue_owed(struct job *j, const json_t *ev)
{
    const json_t *data = json_object_get(ev, "data");
    j->text = dup_or_null(S(data, "text"));
    j->button = dup_or_null(S(data, "button"));
    j->button_text = dup_or_null(S(data, "button_text"));
    j->lang = dup_or_null(S(data, "lang"));
    snprintf(j->event_id, sizeof j->event_id, "%s", S(ev, "id"));
    j->event_due = json_integer_value(json_object_get(ev, "due"));
    j->kind = JOB_TURN;
    pthread_mutex_lock(&j->w->mu);
    j->live_next = j->w->live;
    j->w->live = j;
    pthread_mutex_unlock(&j->w->mu);
    push(j->w, j);
}

int bc_channel_accept(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_channel *ch,
                      const struct bc_channel_msg *m)
{
    struct bc_channels *w = env->channels;
    if (!bc__channel_sender_ok(m->sender) || !m->msg_id || !*m->msg_id || (!m->text && !m->button))
        return BC_EINVALID;
    if (!w) return BC_EUNAVAILABLE;
    json_t *ev = NULL;
    int rc = seen(env, ctx, ch, m, &ev);
    if (rc != 0) return rc;
    /* the widget visitor's limits, the sender standing for the visitor and for the conversation */
    char subject[64];
    snprintf(subject, sizeof subject, "%c:%s:%s", ch->kind[0], ch->id, m->sender);
    rc = bc_visitor_take(env, ctx->tenant_id, BC_VL_CONV_RATE, subject, 0, 0, NULL);
    if (rc == 0) rc = bc_visitor_take(env, ctx->tenant_id, BC_VL_MESSAGES_DAY, subject, 0, 0, NULL);
    struct job *j = rc == 0 ? job_new(w, ctx, ch->id, m->sender) : NULL;
    if (rc == 0 && !j) rc = BC_ENOMEM;
    if (rc < 0) { /* refused: nothing is owed (a process that dies here leaves it to the recovery) */
        bc_store_delete(env->store, S(ev, "PK"), S(ev, "SK"), NULL);
        json_decref(ev);
        return rc;
    }
    /* a pressed Telegram button is answered first, so the client stops its spinner */
    if (m->callback_id) {
        char seed[160];
        snprintf(seed, sizeof seed, "callback|%s|%.64s", ch->id, m->callback_id);
        json_t *sends =
            json_pack("[o]", bc_channel_send("answerCallbackQuery",
                                             json_pack("{s:s}", "callback_query_id", m->callback_id)));
        if (bc_delivery_create_channel(env, ctx, seed, "channel.callback", ch->id, m->sender, sends) < 0)
            bc_log(BC_LOG_WARN, "{\"type\":\"channel_send\",\"channel\":\"%s\",\"error\":\"callback\"}",
                   ch->id);
    }
    job_queue_owed(j, ev);
    json_decref(ev);
    return 0;
}

int bc_channel_recover(struct bc_env *env, const json_t *ev)
{
    struct bc_channels *w = env->channels;
    const json_t *data = json_object_get(ev, "data");
    const char *id = S(ev, "id"), *channel_id = S(data, "channel_id"), *sender = S(data, "sender");
    if (!id || !channel_id || !bc__channel_sender_ok(sender)) return BC_EINVALID;
    if (!w) return BC_EUNAVAILABLE;
    bool running = false;
    pthread_mutex_lock(&w->mu);
    for (struct job *j = w->live; j && !running; j = j->live_next) running = strcmp(j->event_id, id) == 0;
    pthread_mutex_unlock(&w->mu);
    if (running) return 0; /* still this process's (a turn that waits long for a model) */
    struct bc_ctx ctx;
    int rc = bc_ctx_operator(&ctx, S(ev, "tenant_id"));
    if (rc == 0) {
        snprintf(ctx.key_id, sizeof ctx.key_id, "%s", channel_id);
        rc = bc_tenant_get_ro(env, &ctx, &ctx.tenant);
    }
    if (rc == 0) rc = bc_tenant_check_active(ctx.tenant);
    struct job *j = rc == 0 ? job_new(w, &ctx, channel_id, sender) : NULL;
    if (rc == 0 && !j) rc = BC_ENOT_FOUND; /* the channel is gone */
    if (rc == 0) {
        j->recovered = true;
        job_queue_owed(j, ev);
        bc_log(BC_LOG_INFO, "{\"type\":\"channel_turn\",\"channel\":\"%s\",\"recovered\":true}", channel_id);
    }
    bc_ctx_release(&ctx);
    return rc;
}

bool bc_channel_seen_marked(struct bc_env *env, const json_t *ev, bool *marked)
{
    const json_t *data = json_object_get(ev, "data");
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    struct bc_ctx ctx;
    json_t *item = NULL;
    *marked = false;
    if (bc_ctx_operator(&ctx, S(ev, "tenant_id")) < 0 || !S(data, "msg_id") ||
        !seen_key(&ctx, S(data, "channel_id") ?: "", S(data, "msg_id"), pk, sk))
        return true; /* malformed: never */
    int rc = bc_store_get(env->store, pk, sk, &item);
    *marked = rc == 0 && bc_outbox_marked(item, S(ev, "id"));
    json_decref(item);
    return rc == 0 || rc == BC_ENOT_FOUND;
}
