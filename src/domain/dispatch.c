/* The dispatcher (dispatch.h): events into deliveries, deliveries into sends, outcomes into the log. */
#include "domain/dispatch.h"
#include "domain/booking.h"
#include "domain/channel_run.h"
#include "domain/channel_send.h"
#include "domain/conversation.h"
#include "domain/env.h"
#include "domain/fields.h"
#include "domain/keys.h"
#include "domain/outbox.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "domain/waitlist.h"
#include "domain/webhook.h"
#include "net/sender.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/passes.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE          64
#define MAX_INFLIGHT  32
#define EVENT_LEASE_S 30
#define SETTLE_S      120 /* an intent whose change is not visible after this never happened */
#define RECHECK_S     3   /* …and is looked at again after this meanwhile */
#define TURN_LEASE_S  300 /* a recovered channel turn is its process's this long (it deletes the intent) */

/* Process-wide counters for /metrics (every dispatcher of the process adds to them). */
enum { K_EMAIL, K_WEBHOOK, K_CHANNEL, K__N };
enum { O_DELIVERED, O_RETRY, O_FAILED, O__N };
static struct {
    atomic_ullong sends[K__N][O__N];
    atomic_ullong events, dropped;
} M;

/* A send in flight: what its completion needs. */
struct inflight {
    struct inflight *next;
    struct bc_dispatcher *d;
    char tenant[BC_TENANT_ID_MAX + 1];
    char pointer_sk[BC_KEY_SIZE];
    json_t *claimed;
    char *body;
    struct bc_send_result res;
};

struct bc_dispatcher {
    struct bc_env *env;
    struct bc_notify_cfg cfg;
    char *strs[8]; /* the cfg's copies */
    struct bc_delivery_timing timing;
    struct bc_sender *sender;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, woken;
    struct inflight *done;   /* finished sends, under mu */
    int inflight;            /* only the dispatcher thread */
    struct bc_passes passes; /* for bc_dispatcher_settle, under mu */
};

static void wake(void *ud)
{
    struct bc_dispatcher *d = ud;
    pthread_mutex_lock(&d->mu);
    d->woken = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* ---- events ---- */

/* Leaves the event for RECHECK_S (its change may still be on the way), or drops it once SETTLE_S passed. */
static void not_yet(struct bc_dispatcher *d, const json_t *ev)
{
    int64_t created = 0;
    bc_time_parse_iso(bc_field_str(ev, "created_at"), &created);
    if (bc_now_s() - created > SETTLE_S) {
        bc_store_delete(d->env->store, bc_field_str(ev, "PK"), bc_field_str(ev, "SK"), NULL);
        atomic_fetch_add(&M.dropped, 1);
        return;
    }
    /* the claim's lease already holds it for EVENT_LEASE_S; shorten it to RECHECK_S */
    json_t *set = json_pack("{s:I}", "lease_until", (json_int_t)(bc_now_s() + RECHECK_S));
    struct bc_update u = {set, NULL, NULL};
    bc_store_update(d->env->store, bc_field_str(ev, "PK"), bc_field_str(ev, "SK"), &u, NULL, NULL);
    json_decref(set);
}

static void drop(struct bc_dispatcher *d, const json_t *ev)
{
    bc_store_delete(d->env->store, bc_field_str(ev, "PK"), bc_field_str(ev, "SK"), NULL);
    atomic_fetch_add(&M.dropped, 1);
}

/* A waitlist offer happened when its entry carries the event's id; it is worth telling while the offer is
 * still open (an offer accepted or expired before the dispatcher got to it is dropped). */
static int waitlist_happened(struct bc_dispatcher *d, const struct bc_ctx *ctx, const json_t *ev)
{
    const json_t *w = json_object_get(json_object_get(ev, "data"), "waitlist");
    json_t *it = NULL;
    if (bc_waitlist_get(d->env, ctx, bc_field_str(w, BC_F_ID), &it) < 0) return 0; /* again later */
    const char *st = bc_field_str(it, BC_F_STATUS) ?: "";
    bool open = strcmp(st, "offered") == 0 || strcmp(st, "accepting") == 0 || strcmp(st, "booked") == 0;
    int r = bc_outbox_marked(it, bc_field_str(ev, BC_F_ID)) ? (open ? 1 : -1) : 0;
    json_decref(it);
    return r;
}

/* Whether the event's change happened: 1 yes (*fresh: the item now, for reminders), 0 not (yet), -1 never
 * will (drop). */
static int happened(struct bc_dispatcher *d, const struct bc_ctx *ctx, json_t *ev, json_t **fresh)
{
    const char *type = bc_field_str(ev, "type"), *id = bc_field_str(ev, BC_F_ID);
    json_t *data = json_object_get(ev, "data");
    *fresh = NULL;
    if (strncmp(type, "usage.", 6) == 0) return 1;
    if (strcmp(type, BC_EV_HANDOFF) == 0) {
        json_t *conv = NULL;
        const char *cid = bc_field_str(json_object_get(data, "conversation"), BC_F_ID);
        int rc = bc_conv_get(d->env, ctx, cid, &conv);
        int r = rc == 0 && bc_outbox_marked(conv, id) ? 1 : rc == BC_ENOT_FOUND || rc == 0 ? 0 : -2;
        json_decref(conv);
        return r == -2 ? 0 : r;
    }
    if (strcmp(type, BC_EV_WAITLIST_OFFERED) == 0) return waitlist_happened(d, ctx, ev);
    if (strcmp(type, BC_EV_CHANNEL_MESSAGE) == 0) { /* taken, when its message id is marked with it */
        bool marked = false;
        return bc_channel_seen_marked(d->env, ev, &marked) && marked ? 1 : 0;
    }
    json_t *b = NULL;
    const char *bid = bc_field_str(json_object_get(data, "booking"), BC_F_ID);
    int rc = bc_booking_get(d->env, ctx, bid, &b);
    if (rc < 0) return 0; /* not found (the change may come) or an error: again later, dropped in time */
    const char *st = bc_field_str(b, BC_F_STATUS) ?: "";
    int r;
    if (strcmp(type, BC_EV_BOOKING_REMINDER) == 0) {
        int64_t start = json_integer_value(json_object_get(data, "start_ts"));
        /* valid while the booking is confirmed at the start it was made for, and not yet started */
        r = strcmp(st, "confirmed") == 0 && json_integer_value(json_object_get(b, "start_ts")) == start &&
                    bc_now_s() < start
                ? 1
                : -1;
        if (r == 1) *fresh = json_incref(b);
    } else if (strcmp(st, "failed") == 0) {
        r = -1;
    } else {
        r = bc_outbox_marked(b, id) ? 1 : 0;
    }
    json_decref(b);
    return r;
}

static const char *lang_of(const json_t *settings, const json_t *data)
{
    const char *l = bc_field_str(json_object_get(data, "booking"), "lang");
    if (!l) l = bc_field_str(json_object_get(data, "conversation"), "lang");
    if (!l) l = bc_field_str(json_object_get(data, "waitlist"), "lang");
    if (!l) l = bc_field_str(settings, BC_F_LOCALE);
    return l && strncmp(l, "es", 2) == 0 ? "es" : "en";
}

/* Fans a valid event out into its deliveries. */
static int fan_out(struct bc_dispatcher *d, const struct bc_ctx *ctx, json_t *ev, const json_t *tenant)
{
    struct bc_recipient *rs = NULL;
    size_t n = 0;
    char now[32];
    int rc = bc_notify_recipients(d->env, ctx, &d->cfg, ev, &rs, &n);
    bc_now_iso(now);
    const char *lang = lang_of(tenant, json_object_get(ev, "data"));
    char *body = NULL;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (rs[i].kind == 'w' && !body) { /* what leaves is the booking's API view, not the stored item */
            json_t *data = json_copy(json_object_get(ev, "data"));
            const json_t *b = json_object_get(data, "booking");
            if (b) json_object_set_new(data, "booking", bc_booking_view(ctx, (json_t *)b, false));
            /* a waitlist offer leaves as its view: the hold and the e-mail's helpers stay inside */
            json_t *wl = json_object_get(data, "waitlist");
            if (wl) json_object_set_new(data, "waitlist", bc_waitlist_view(wl));
            body = data ? bc_notify_webhook_body(bc_field_str(ev, "type"), now, data) : NULL;
            json_decref(data);
            if (!body) rc = BC_ENOMEM;
        }
        rc = bc_delivery_create(d->env, ctx, ev, &rs[i], lang, rs[i].kind == 'w' ? body : NULL);
    }
    free(body);
    free(rs);
    /* a booking made in a chat on WhatsApp or Telegram is reminded there too (channel_run.h) */
    const json_t *b = json_object_get(json_object_get(ev, "data"), "booking");
    if (rc == 0 && strcmp(bc_field_str(ev, "type") ?: "", BC_EV_BOOKING_REMINDER) == 0 &&
        json_is_object(json_object_get(b, "channel"))) {
        char *text =
            bc_notify_text(d->env, ctx, &d->cfg, BC_EV_BOOKING_REMINDER, json_object_get(ev, "data"), lang);
        rc = bc_channel_remind(d->env, ctx, bc_field_str(ev, BC_F_ID), b, text);
        free(text);
    }
    return rc;
}

/* A message whose process died before answering it (channel_run.h): its turn runs here, and the intent
 * stays this process's until the turn deletes it; without a channel worker here it waits for the lease. */
static void recover_turn(struct bc_dispatcher *d, const json_t *ev)
{
    int rc = bc_channel_recover(d->env, ev);
    if (rc == BC_EUNAVAILABLE) return;
    if (rc < 0) {
        drop(d, ev);
        return;
    }
    /* as claimed: a turn that already finished and deleted it is not brought back by an upsert */
    json_t *set = json_pack("{s:I}", "lease_until", (json_int_t)(bc_now_s() + TURN_LEASE_S));
    struct bc_update u = {set, NULL, NULL};
    struct bc_cond c = {BC_COND_VERSION, json_integer_value(json_object_get(ev, "version")), false};
    bc_store_update(d->env->store, bc_field_str(ev, "PK"), bc_field_str(ev, "SK"), &u, &c, NULL);
    json_decref(set);
}

/* Returns true when it claimed the event (progress), false when another process holds it. */
static bool process_event(struct bc_dispatcher *d, const json_t *found)
{
    struct bc_store *s = d->env->store;
    int64_t now = bc_now_s();
    if (json_integer_value(json_object_get(found, "lease_until")) > now) return false;
    json_t *ev = NULL, *add = json_pack("{s:i}", "version", 1),
           *set = json_pack("{s:I}", "lease_until", (json_int_t)(now + EVENT_LEASE_S));
    struct bc_update u = {set, add, NULL};
    struct bc_cond c = {BC_COND_VERSION, json_integer_value(json_object_get(found, "version")), false};
    int rc = bc_store_update(s, bc_field_str(found, "PK"), bc_field_str(found, "SK"), &u, &c, &ev);
    json_decref(add);
    json_decref(set);
    if (rc < 0) return false; /* another process has it */
    struct bc_ctx ctx;
    json_t *tenant = NULL, *fresh = NULL;
    if (bc_ctx_operator(&ctx, bc_field_str(ev, "tenant_id")) < 0) {
        drop(d, ev);
        json_decref(ev);
        return true;
    }
    rc = bc_tenant_get(d->env, &ctx, &tenant);
    if (rc == BC_ENOT_FOUND || (rc == 0 && bc_tenant_check_active(tenant) < 0)) {
        drop(d, ev); /* a deleted or suspended tenant is told nothing */
    } else if (rc == 0) {
        int h = happened(d, &ctx, ev, &fresh);
        if (h < 0) drop(d, ev);
        if (h == 0) not_yet(d, ev);
        /* a reminder speaks of the booking as it is now */
        if (h > 0 && fresh) json_object_set(json_object_get(ev, "data"), "booking", fresh);
        bool turn = h > 0 && strcmp(bc_field_str(ev, "type") ?: "", BC_EV_CHANNEL_MESSAGE) == 0;
        if (turn) recover_turn(d, ev);
        if (h > 0 && !turn && fan_out(d, &ctx, ev, tenant) == 0) {
            struct bc_cond mine = {BC_COND_VERSION, json_integer_value(json_object_get(ev, "version")),
                                   false};
            bc_store_delete(s, bc_field_str(ev, "PK"), bc_field_str(ev, "SK"), &mine);
            atomic_fetch_add(&M.events, 1);
        }
    }
    json_decref(fresh);
    json_decref(tenant);
    json_decref(ev);
    bc_ctx_release(&ctx);
    return true;
}

/* ---- sends ---- */

static void sent(void *ud, const struct bc_send_result *r)
{
    struct inflight *f = ud;
    struct bc_dispatcher *d = f->d;
    f->res = *r;
    pthread_mutex_lock(&d->mu);
    f->next = d->done;
    d->done = f;
    d->woken = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static int kind_of(const json_t *delivery)
{
    const char *k = bc_field_str(delivery, "kind") ?: "";
    return strcmp(k, "email") == 0 ? K_EMAIL : strcmp(k, BC_DELIVERY_CHANNEL) == 0 ? K_CHANNEL : K_WEBHOOK;
}

static int channel_submit(struct bc_dispatcher *d, const struct bc_ctx *ctx, struct inflight *f, char *msg,
                          size_t msgsize);

/* A channel delivery's send went out and more follow: "done" recorded, the next submitted at once. False
 * when the chain ends here (recorded by the caller) or was taken over (f freed). */
static bool chain_next(struct bc_dispatcher *d, struct inflight *f)
{
    json_t *sends = json_object_get(f->claimed, "sends");
    if (f->res.rc != 0 ||
        (size_t)json_integer_value(json_object_get(f->claimed, "done")) + 1 >= json_array_size(sends))
        return false;
    struct bc_ctx ctx;
    json_t *next = NULL;
    if (bc_delivery_advance(d->env, f->claimed, d->timing.lease_s, &next) < 0 ||
        bc_ctx_operator(&ctx, f->tenant) < 0) { /* the lease was lost: its new holder goes on */
        json_decref(next);
        json_decref(f->claimed);
        free(f->body);
        free(f);
        return true;
    }
    json_decref(f->claimed);
    f->claimed = next;
    free(f->body);
    f->body = NULL;
    char msg[256] = "";
    int rc = channel_submit(d, &ctx, f, msg, sizeof msg);
    bc_ctx_release(&ctx);
    if (rc == 0) {
        d->inflight++;
        return true;
    }
    f->res = (struct bc_send_result){.rc = rc, .permanent = rc == BC_EINVALID};
    snprintf(f->res.error, sizeof f->res.error, "%s", msg[0] ? msg : "could not be sent");
    return false;
}

static void record(struct bc_dispatcher *d, struct inflight *f)
{
    struct bc_ctx ctx;
    int k = kind_of(f->claimed);
    if (k == K_CHANNEL && chain_next(d, f)) return;
    bool final = false, ok = f->res.rc == 0;
    if (bc_ctx_operator(&ctx, f->tenant) == 0) {
        int rc = bc_delivery_complete(d->env, &ctx, f->claimed, ok, f->res.permanent, f->res.status,
                                      f->res.error, &d->timing, f->pointer_sk, &final);
        if (rc < 0 && rc != BC_ECONFLICT) bc_log(BC_LOG_WARN, "recording a delivery failed: %d", rc);
        if (ok && k != K_CHANNEL)
            bc_usage_add(d->env, f->tenant, k == K_EMAIL ? BC_USAGE_EMAILS : BC_USAGE_WEBHOOKS, 1);
        bc_ctx_release(&ctx);
    }
    atomic_fetch_add(&M.sends[k][ok ? O_DELIVERED : final ? O_FAILED : O_RETRY], 1);
    json_decref(f->claimed);
    free(f->body);
    free(f);
}

/* The request of a claimed e-mail delivery into r; the message in f->body. */
static int email_request(struct bc_dispatcher *d, const struct bc_ctx *ctx, struct inflight *f,
                         struct bc_send_req *r, char *msg, size_t msgsize)
{
    if (!d->cfg.smtp_url || !*d->cfg.smtp_url) {
        snprintf(msg, msgsize, "e-mail is off on this server (smtp_url)");
        return BC_EINVALID;
    }
    f->body = bc_notify_email(d->env, ctx, &d->cfg, f->claimed, msg, msgsize);
    if (!f->body) return BC_EINVALID;
    *r = (struct bc_send_req){.kind = BC_SEND_SMTP,
                              .url = d->cfg.smtp_url,
                              .body = f->body,
                              .body_len = strlen(f->body),
                              .user = d->cfg.smtp_user && *d->cfg.smtp_user ? d->cfg.smtp_user : NULL,
                              .password = d->cfg.smtp_password,
                              .mail_from = d->cfg.mail_from,
                              .rcpt = bc_field_str(f->claimed, "to"),
                              .require_tls = d->cfg.smtp_require_tls,
                              .ca_file = d->cfg.smtp_ca_file};
    return 0;
}

/* Standard Webhooks: the same webhook-id on every attempt, a fresh timestamp and signature. */
static int webhook_request(struct bc_dispatcher *d, const struct bc_ctx *ctx, struct inflight *f,
                           struct bc_send_req *r, char hdrs[4][400], const char *h[4], char *msg,
                           size_t msgsize)
{
    json_t *hook = NULL;
    int rc = bc_webhook_target(d->env, ctx, bc_field_str(f->claimed, "webhook_id"), &hook);
    if (rc < 0 || !json_is_true(json_object_get(hook, "enabled"))) {
        json_decref(hook);
        snprintf(msg, msgsize, "the webhook was deleted or disabled");
        return BC_EINVALID;
    }
    const char *body = bc_field_str(f->claimed, "body") ?: "{}";
    int64_t ts = bc_now_s();
    char sig[128];
    rc = bc_webhook_sign(bc_field_str(hook, "secret"), bc_field_str(f->claimed, BC_F_ID), ts, body,
                         strlen(body), sig, sizeof sig);
    if (rc == 0 && !(f->body = strdup(body))) rc = BC_ENOMEM;
    if (rc == 0) {
        snprintf(hdrs[0], 400, "webhook-id: %s", bc_field_str(f->claimed, BC_F_ID));
        snprintf(hdrs[1], 400, "webhook-timestamp: %lld", (long long)ts);
        snprintf(hdrs[2], 400, "webhook-signature: %s", sig);
        snprintf(hdrs[3], 400, "Content-Type: application/json");
        for (int i = 0; i < 4; i++) h[i] = hdrs[i];
        *r = (struct bc_send_req){.kind = BC_SEND_HTTP_POST,
                                  .url = bc_field_str(hook, "url"),
                                  .headers = h,
                                  .nheaders = 4,
                                  .body = f->body,
                                  .body_len = strlen(f->body),
                                  .allow_private = d->cfg.allow_private};
        rc = bc_sender_submit(d->sender, r, sent, f); /* copies the url before the hook goes */
    } else {
        snprintf(msg, msgsize, "the webhook's secret could not be used");
    }
    json_decref(hook);
    return rc == 0 ? 1 : rc;
}

/* Submits the next send of a claimed channel delivery (channel_send.h): 0, or a negative bc_err with msg. */
static int channel_submit(struct bc_dispatcher *d, const struct bc_ctx *ctx, struct inflight *f, char *msg,
                          size_t msgsize)
{
    struct bc_channel_request cr;
    int rc = bc_channel_request(d->env, ctx, f->claimed, d->cfg.whatsapp_graph_url, d->cfg.telegram_api_url,
                                &cr, msg, msgsize);
    if (rc < 0) return rc;
    const char *h[2] = {"Content-Type: application/json", cr.auth};
    struct bc_send_req r = {
        .kind = BC_SEND_HTTP_POST,
        .url = cr.url,
        .headers = h,
        .nheaders = cr.auth[0] ? 2 : 1,
        .body = cr.body,
        .body_len = strlen(cr.body),
        /* the upstream is the operator's setting, like the SMTP server: no address rule */
        .allow_private = true,
        .timeout_ms = 15000};
    rc = bc_sender_submit(d->sender, &r, sent, f);
    bc_channel_request_clear(&cr);
    return rc;
}

/* Returns true when it claimed the delivery or removed a stale pointer (progress). */
static bool start_delivery(struct bc_dispatcher *d, const json_t *ptr)
{
    const char *tenant = bc_field_str(ptr, "tenant_id"), *id = bc_field_str(ptr, BC_F_ID);
    struct bc_ctx ctx;
    json_t *claimed = NULL;
    if (!tenant || !id || bc_ctx_operator(&ctx, tenant) < 0) {
        bc_store_delete(d->env->store, bc_field_str(ptr, "PK"), bc_field_str(ptr, "SK"), NULL);
        return true;
    }
    int rc = bc_delivery_claim(d->env, &ctx, id, d->timing.lease_s, &claimed);
    if (rc == BC_ENOT_FOUND || rc == BC_EINVALID ||
        (rc == 0 && json_integer_value(json_object_get(claimed, "next_at")) >
                        json_integer_value(json_object_get(ptr, "due")) + 1)) {
        /* a stale pointer: the delivery is done, or due later under another pointer */
        bc_store_delete(d->env->store, bc_field_str(ptr, "PK"), bc_field_str(ptr, "SK"), NULL);
        if (rc == 0) { /* give the claim back at once */
            json_t *set = json_pack("{s:I}", "lease_until", (json_int_t)0);
            struct bc_update u = {set, NULL, NULL};
            bc_store_update(d->env->store, bc_field_str(claimed, "PK"), bc_field_str(claimed, "SK"), &u, NULL,
                            NULL);
            json_decref(set);
        }
        json_decref(claimed);
        bc_ctx_release(&ctx);
        return true;
    }
    if (rc < 0) { /* held by another process, or an error: the pointer stays */
        bc_ctx_release(&ctx);
        return false;
    }
    struct inflight *f = calloc(1, sizeof *f);
    if (!f) { /* the claim's lease expires and the delivery is sent later */
        json_decref(claimed);
        bc_ctx_release(&ctx);
        return false;
    }
    f->d = d;
    f->claimed = claimed;
    snprintf(f->tenant, sizeof f->tenant, "%s", tenant);
    snprintf(f->pointer_sk, sizeof f->pointer_sk, "%s", bc_field_str(ptr, "SK"));
    struct bc_send_req r;
    char msg[256] = "", hdrs[4][400];
    const char *h[4];
    int k = kind_of(claimed);
    if (k == K_CHANNEL) {
        rc = channel_submit(d, &ctx, f, msg, sizeof msg);
    } else {
        rc = k == K_EMAIL ? email_request(d, &ctx, f, &r, msg, sizeof msg)
                          : webhook_request(d, &ctx, f, &r, hdrs, h, msg, sizeof msg);
        if (rc == 0) rc = bc_sender_submit(d->sender, &r, sent, f);
    }
    if (rc >= 0) {
        d->inflight++;
    } else { /* nothing to send: a permanent failure, recorded now */
        f->res = (struct bc_send_result){.rc = rc, .permanent = true};
        snprintf(f->res.error, sizeof f->res.error, "%s", msg[0] ? msg : "could not be sent");
        record(d, f);
    }
    bc_ctx_release(&ctx);
    return true;
}

/* ---- the loop ---- */

static void drain(struct bc_dispatcher *d)
{
    pthread_mutex_lock(&d->mu);
    struct inflight *f = d->done;
    d->done = NULL;
    pthread_mutex_unlock(&d->mu);
    while (f) {
        struct inflight *next = f->next;
        d->inflight--;
        record(d, f);
        f = next;
    }
}

/* One pass; returns true when a full page made progress (more may be due at once). A page of items that
 * other processes hold is not read again before the next second. */
static bool pass(struct bc_dispatcher *d)
{
    bool more = false;
    char pk[32], to[24];
    drain(d);
    snprintf(to, sizeof to, "%011lld#~", (long long)bc_now_s());
    for (int sh = 0; sh < BC_OUTBOX_SHARDS; sh++) {
        snprintf(pk, sizeof pk, "OUTBOX#%d", sh);
        struct bc_query q = {.pk = pk, .sk_to = to, .limit = PAGE};
        struct bc_query_result res = {0};
        if (bc_store_query(d->env->store, &q, &res) < 0) continue;
        size_t i;
        json_t *it;
        bool progress = false;
        json_array_foreach(res.items, i, it)
        {
            const char *sk = bc_field_str(it, "SK");
            char kind = sk && strlen(sk) > 13 ? sk[12] : '?';
            if (kind == 'E')
                progress |= process_event(d, it);
            else if (kind == 'D' && d->inflight < MAX_INFLIGHT)
                progress |= start_delivery(d, it);
        }
        more |= progress && json_array_size(res.items) == PAGE && d->inflight < MAX_INFLIGHT;
        bc_query_result_release(&res);
    }
    return more;
}

static void *run(void *arg)
{
    struct bc_dispatcher *d = arg;
    bool more = false;
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        if (!more && !d->woken && !d->passes.woken && !d->done) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&d->cv, &d->mu, &ts);
        }
        if (d->stop) break;
        d->woken = false;
        bc_passes_begin(&d->passes);
        pthread_mutex_unlock(&d->mu);
        more = pass(d);
        pthread_mutex_lock(&d->mu);
        bc_passes_end(&d->passes, !more && d->inflight == 0 && !d->done);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int bc_dispatcher_start(struct bc_env *env, const struct bc_notify_cfg *cfg,
                        const struct bc_delivery_timing *t, struct bc_dispatcher **out, char *err,
                        size_t errsize)
{
    struct bc_dispatcher *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d) return BC_ENOMEM;
    d->env = env;
    d->timing = *t;
    const char *src[8] = {cfg->smtp_url,
                          cfg->smtp_user,
                          cfg->smtp_password,
                          cfg->mail_from,
                          cfg->public_url,
                          cfg->smtp_ca_file,
                          cfg->whatsapp_graph_url ?: "https://graph.facebook.com",
                          cfg->telegram_api_url ?: "https://api.telegram.org"};
    for (int i = 0; i < 8; i++) d->strs[i] = dup_or_null(src[i]);
    d->cfg = (struct bc_notify_cfg){.smtp_url = d->strs[0],
                                    .smtp_user = d->strs[1],
                                    .smtp_password = d->strs[2],
                                    .smtp_require_tls = cfg->smtp_require_tls,
                                    .smtp_ca_file = d->strs[5],
                                    .mail_from = d->strs[3],
                                    .public_url = d->strs[4],
                                    .allow_private = cfg->allow_private,
                                    .whatsapp_graph_url = d->strs[6],
                                    .telegram_api_url = d->strs[7]};
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    bc_passes_init(&d->passes);
    int rc = bc_sender_new(&d->sender, err, errsize);
    if (rc == 0 && pthread_create(&d->thread, NULL, run, d) != 0) {
        snprintf(err, errsize, "cannot start the dispatcher thread");
        bc_sender_free(d->sender);
        rc = BC_EINTERNAL;
    }
    if (rc < 0) {
        for (int i = 0; i < 8; i++) free(d->strs[i]);
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->cv);
        bc_passes_release(&d->passes);
        free(d);
        return rc;
    }
    env->outbox_wake_ud = d;
    env->outbox_wake = wake;
    *out = d;
    return 0;
}

void bc_dispatcher_stop(struct bc_dispatcher *d)
{
    if (!d) return;
    d->env->outbox_wake = NULL;
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    /* cancels what is in flight: each completes into d->done; then nothing more is recorded (the
     * deliveries' leases expire and a successor sends them) */
    bc_sender_free(d->sender);
    struct inflight *f = d->done;
    while (f) {
        struct inflight *next = f->next;
        json_decref(f->claimed);
        free(f->body);
        free(f);
        f = next;
    }
    for (int i = 0; i < 8; i++) free(d->strs[i]);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    bc_passes_release(&d->passes);
    free(d);
}

bool bc_dispatcher_settle(struct bc_dispatcher *d, int64_t deadline_ns)
{
    if (!d) return true;
    pthread_mutex_lock(&d->mu);
    bool idle = bc_passes_settle(&d->passes, &d->mu, &d->cv, deadline_ns);
    pthread_mutex_unlock(&d->mu);
    return idle;
}

void bc_dispatch_metrics(struct bc_env *env, struct bc_buf *b)
{
    /* this process's sender: each attempt's outcome, by the sender's own words */
    if (env && env->outbox_wake == wake)
        bc_sender_metrics(((struct bc_dispatcher *)env->outbox_wake_ud)->sender, b);
    static const char *const kinds[K__N] = {"email", "webhook", "channel"};
    static const char *const outcomes[O__N] = {"delivered", "retry", "failed"};
    bc_metrics_family(b, "bookchat_deliveries_total", "counter",
                      "Notification sends by kind and outcome (docs/notifications.md).");
    for (int k = 0; k < K__N; k++)
        for (int o = 0; o < O__N; o++) {
            char l[64];
            snprintf(l, sizeof l, "kind=\"%s\",outcome=\"%s\"", kinds[k], outcomes[o]);
            bc_metrics_sample(b, "bookchat_deliveries_total", l, (double)atomic_load(&M.sends[k][o]));
        }
    bc_metrics_family(b, "bookchat_notification_events_total", "counter",
                      "Outbox events fanned out into deliveries, and dropped (their change never happened).");
    bc_metrics_sample(b, "bookchat_notification_events_total", "outcome=\"fanned_out\"",
                      (double)atomic_load(&M.events));
    bc_metrics_sample(b, "bookchat_notification_events_total", "outcome=\"dropped\"",
                      (double)atomic_load(&M.dropped));
}
