/* Deliveries: their items, claims, outcomes, retries and the admin panel's listing (delivery.h). */
#include "domain/delivery.h"
#include "domain/env.h"
#include "domain/fields.h"
#include "domain/keys.h"
#include "domain/notify.h"
#include "domain/outbox.h"
#include "domain/webhook.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct bc_delivery_timing bc_delivery_default_timing = {30, 86400, 60, 1000};

#define BACKOFF_CAP_S (4 * 3600)

static const char *item_sk(char *buf, const char *id)
{
    return bc_key_sk(buf, "DELIVERY", id);
}

/* Writes the queue pointer of a delivery due at due. */
static int put_pointer(struct bc_env *env, const char *tenant_id, const char *id, int64_t due)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    if (!bc_outbox_pk(pk, id) || !bc_outbox_sk(sk, due, 'D', tenant_id, id)) return BC_EINVALID;
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:I}", "PK", pk, "SK", sk, "tenant_id", tenant_id, "id", id,
                          "due", (json_int_t)due);
    int rc = p ? bc_store_put(env->store, p, NULL) : BC_ENOMEM;
    json_decref(p);
    return rc;
}

static void delete_pointer(struct bc_env *env, const char *id, const char *sk)
{
    char pk[BC_KEY_SIZE];
    if (sk && bc_outbox_pk(pk, id)) bc_store_delete(env->store, pk, sk, NULL);
}

/* The id of event ev's delivery to r (delivery.h: "<due>.<hash of event id, kind, recipient>"). */
static void delivery_id(const json_t *ev, const struct bc_recipient *r, char id[64])
{
    char seed[400], h[BC_OUTBOX_DERIVED_ID];
    const char *event_id = bc_field_str(ev, BC_F_ID);
    int64_t due = json_integer_value(json_object_get(ev, "due"));
    snprintf(seed, sizeof seed, "%s|%c|%d|%s", event_id ? event_id : "", r->kind, r->staff, r->to);
    bc_outbox_derived_id(h, 'D', seed);
    snprintf(id, 64, "%010lld.%.24s", (long long)(due > 0 ? due : bc_now_s()), h + 1);
}

/* A version-checked change of a delivery item: set (stolen), version + 1. */
static int change(struct bc_env *env, const json_t *item, json_t *set, json_t *remove, json_t **out)
{
    json_t *add = json_pack("{s:i}", "version", 1);
    struct bc_update u = {set, add, remove};
    struct bc_cond c = {BC_COND_VERSION, json_integer_value(json_object_get(item, "version")), false};
    int rc = set && add ? bc_store_update(env->store, bc_field_str(item, "PK"), bc_field_str(item, "SK"), &u,
                                          &c, out)
                        : BC_ENOMEM;
    json_decref(add);
    json_decref(set);
    json_decref(remove);
    return rc == BC_ECOND ? BC_ECONFLICT : rc;
}

/* Writes a new delivery item (stolen) and its pointer, due at its next_at. Idempotent: an item already made
 * under the same id is kept (its pointer written again while it is pending). */
static int create(struct bc_env *env, const struct bc_ctx *ctx, json_t *item)
{
    const struct bc_cond once = {BC_COND_NOT_EXISTS, 0, false};
    const char *id = bc_field_str(item, BC_F_ID);
    int64_t t = json_integer_value(json_object_get(item, "next_at"));
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], idc[64];
    snprintf(pk, sizeof pk, "%s", bc_field_str(item, "PK"));
    snprintf(sk, sizeof sk, "%s", bc_field_str(item, "SK"));
    snprintf(idc, sizeof idc, "%s", id);
    int rc = bc_store_put(env->store, item, &once);
    json_decref(item);
    if (rc == BC_ECOND) { /* made by an earlier fan-out of the same event: its pointer again if it waits */
        json_t *cur = NULL;
        rc = bc_store_get(env->store, pk, sk, &cur);
        bool pending = rc == 0 && strcmp(bc_field_str(cur, BC_F_STATUS) ?: "", "pending") == 0;
        int64_t next = json_integer_value(json_object_get(cur, "next_at"));
        json_decref(cur);
        if (rc < 0 || !pending) return rc == BC_ENOT_FOUND ? 0 : rc;
        return put_pointer(env, ctx->tenant_id, idc, next);
    }
    return rc == 0 ? put_pointer(env, ctx->tenant_id, idc, t) : rc;
}

int bc_delivery_create(struct bc_env *env, const struct bc_ctx *ctx, const json_t *ev,
                       const struct bc_recipient *r, const char *lang, const char *webhook_body)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], id[64], now[32];
    const char *event_id = bc_field_str(ev, BC_F_ID);
    int64_t t = bc_now_s();
    delivery_id(ev, r, id);
    if (!bc_key_tenant_pk(ctx, pk) || !item_sk(sk, id)) return BC_EINVALID;
    bc_now_iso(now);
    bool email = r->kind == 'e';
    json_t *item =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:O, s:s, s:i, s:I, s:s, s:I}", "PK", pk,
                  "SK", sk, "id", id, "kind", email ? "email" : "webhook", "event", bc_field_str(ev, "type"),
                  "event_id", event_id, email ? "to" : "webhook_id", r->to, "staff", r->staff, "lang",
                  lang ? lang : "en", "data", json_object_get(ev, "data"), "status", "pending", "attempts", 0,
                  "next_at", (json_int_t)t, "created_at", now, "version", (json_int_t)1);
    if (!item) return BC_ENOMEM;
    if (webhook_body) json_object_set_new(item, "body", json_string(webhook_body));
    return create(env, ctx, item);
}

int bc_delivery_create_channel(struct bc_env *env, const struct bc_ctx *ctx, const char *seed,
                               const char *event, const char *channel_id, const char *to, json_t *sends)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], id[64], now[32], h[BC_OUTBOX_DERIVED_ID];
    int64_t t = bc_now_s();
    bc_outbox_derived_id(h, 'D', seed);
    snprintf(id, sizeof id, "%010lld.%.24s", (long long)t, h + 1);
    if (!bc_key_tenant_pk(ctx, pk) || !item_sk(sk, id) || !json_is_array(sends)) {
        json_decref(sends);
        return BC_EINVALID;
    }
    bc_now_iso(now);
    json_t *item =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:s, s:i, s:I, s:s, s:I}", "PK", pk, "SK",
                  sk, "id", id, "kind", BC_DELIVERY_CHANNEL, "event", event, "channel_id", channel_id, "to",
                  to, "sends", sends, "done", 0, "status", "pending", "attempts", 0, "next_at", (json_int_t)t,
                  "created_at", now, "version", (json_int_t)1);
    int rc = item ? create(env, ctx, item) : BC_ENOMEM;
    if (rc == 0) bc_outbox_wake(env);
    return rc;
}

int bc_delivery_advance(struct bc_env *env, const json_t *claimed, int64_t lease_s, json_t **out)
{
    json_int_t done = json_integer_value(json_object_get(claimed, "done")) + 1;
    return change(env, claimed,
                  json_pack("{s:I, s:I}", "done", done, "lease_until", (json_int_t)(bc_now_s() + lease_s)),
                  NULL, out);
}

int bc_delivery_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk) || !item_sk(sk, id)) return BC_ENOT_FOUND;
    return bc_store_get(env->store, pk, sk, out);
}

int bc_delivery_claim(struct bc_env *env, const struct bc_ctx *ctx, const char *id, int64_t lease_s,
                      json_t **out)
{
    json_t *item = NULL;
    *out = NULL;
    int rc = bc_delivery_get(env, ctx, id, &item);
    if (rc < 0) return rc;
    int64_t now = bc_now_s();
    if (strcmp(bc_field_str(item, BC_F_STATUS) ?: "", "pending") != 0)
        rc = BC_EINVALID;
    else if (json_integer_value(json_object_get(item, "lease_until")) > now)
        rc = BC_ECONFLICT;
    if (rc == 0)
        rc = change(env, item, json_pack("{s:I}", "lease_until", (json_int_t)(now + lease_s)), NULL, out);
    json_decref(item);
    return rc;
}

/* base * 2^(attempts-1), capped, with ±25 % jitter. */
static int64_t backoff(int64_t base, int64_t attempts)
{
    int64_t d = base;
    for (int64_t i = 1; i < attempts && d < BACKOFF_CAP_S; i++) d *= 2;
    if (d > BACKOFF_CAP_S) d = BACKOFF_CAP_S;
    int64_t j = d / 4;
    return d - j + (j > 0 ? (int64_t)randombytes_uniform((uint32_t)(2 * j + 1)) : 0);
}

/* The same from a base in milliseconds, in whole seconds (the queue's unit), at least one. */
static int64_t backoff_ms(int64_t base_ms, int64_t attempts)
{
    int64_t d = base_ms > 0 ? base_ms : 1000;
    for (int64_t i = 1; i < attempts && d < BACKOFF_CAP_S * 1000; i++) d *= 2;
    return d < 1000 ? 1 : backoff((d + 999) / 1000, 1);
}

int bc_delivery_complete(struct bc_env *env, const struct bc_ctx *ctx, const json_t *claimed, bool ok,
                         bool permanent, long status, const char *error, const struct bc_delivery_timing *t,
                         const char *old_sk, bool *final)
{
    char now_iso[32];
    int64_t now = bc_now_s(), attempts = json_integer_value(json_object_get(claimed, "attempts")) + 1;
    int64_t created = 0;
    bc_time_parse_iso(bc_field_str(claimed, "created_at"), &created);
    bc_now_iso(now_iso);
    const char *id = bc_field_str(claimed, BC_F_ID);
    json_t *set = json_pack("{s:I, s:I, s:s}", "attempts", (json_int_t)attempts, "last_status",
                            (json_int_t)status, "last_attempt_at", now_iso);
    json_t *remove = json_pack("[s]", "lease_until");
    int64_t next = 0;
    *final = true;
    if (ok) {
        json_object_set_new(set, "status", json_string("delivered"));
        json_object_set_new(set, "delivered_at", json_string(now_iso));
        json_array_append_new(remove, json_string("last_error"));
    } else {
        json_object_set_new(set, "last_error", json_string(error && *error ? error : "failed"));
        /* a chat's answer is retried sooner than an e-mail: the customer is waiting */
        bool chat = strcmp(bc_field_str(claimed, "kind") ?: "", BC_DELIVERY_CHANNEL) == 0;
        next = now + (chat ? backoff_ms(t->channel_retry_ms, attempts) : backoff(t->retry_base_s, attempts));
        if (permanent || next - created > t->give_up_s) {
            json_object_set_new(set, "status", json_string("failed"));
        } else {
            *final = false;
            json_object_set_new(set, "next_at", json_integer(next));
        }
    }
    if (*final) json_object_set_new(set, "ttl", json_integer(now + BC_DELIVERY_KEEP_S));
    /* the next pointer first: a crash after it leaves a pointer to a pending item, never a lost retry */
    int rc = *final ? 0 : put_pointer(env, ctx->tenant_id, id, next);
    if (rc == 0)
        rc = change(env, claimed, set, remove, NULL);
    else {
        json_decref(set);
        json_decref(remove);
    }
    if (rc == 0 || rc == BC_ECONFLICT) delete_pointer(env, id, old_sk);
    return rc;
}

int bc_delivery_retry(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    json_t *item = NULL, *updated = NULL;
    *out = NULL;
    int rc = bc_delivery_get(env, ctx, id, &item);
    if (rc < 0) return rc;
    if (strcmp(bc_field_str(item, BC_F_STATUS) ?: "", "delivered") == 0) rc = BC_ECONFLICT;
    int64_t now = bc_now_s();
    /* due now, and another 24 h of retries from now */
    char now_iso[32];
    bc_now_iso(now_iso);
    if (rc == 0) rc = put_pointer(env, ctx->tenant_id, id, now);
    if (rc == 0)
        rc = change(env, item,
                    json_pack("{s:s, s:I, s:s}", "status", "pending", "next_at", (json_int_t)now,
                              "created_at", now_iso),
                    json_pack("[s, s]", "ttl", "lease_until"), &updated);
    if (rc == 0) *out = bc_delivery_view(updated);
    json_decref(item);
    json_decref(updated);
    return rc;
}

int bc_delivery_webhook_test(struct bc_env *env, const struct bc_ctx *ctx, const char *webhook_id,
                             json_t **out)
{
    json_t *hook = NULL, *ev = NULL, *item = NULL;
    char eid[BC_ID_LEN + 1], now[32];
    *out = NULL;
    int rc = bc_webhook_get(env, ctx, webhook_id, &hook);
    if (rc < 0) return rc;
    json_decref(hook);
    bc_id_new(eid);
    bc_now_iso(now);
    ev = json_pack("{s:s, s:s, s:I, s:{s:s}}", "id", eid, "type", "webhook.test", "due",
                   (json_int_t)bc_now_s(), "data", "message", "This is a test delivery from bookchat.");
    char *body = ev ? bc_notify_webhook_body("webhook.test", now, json_object_get(ev, "data")) : NULL;
    struct bc_recipient r = {'w', false, ""};
    snprintf(r.to, sizeof r.to, "%s", webhook_id);
    rc = body ? bc_delivery_create(env, ctx, ev, &r, "en", body) : BC_ENOMEM;
    free(body);
    char id[64]; /* found again by its id, which derives from the event */
    if (rc == 0) delivery_id(ev, &r, id);
    if (rc == 0) rc = bc_delivery_get(env, ctx, id, &item);
    if (rc == 0) {
        *out = bc_delivery_view(item);
        bc_outbox_wake(env);
    }
    json_decref(item);
    json_decref(ev);
    return rc;
}

json_t *bc_delivery_view(const json_t *item)
{
    json_t *v = json_object();
    static const char *const fields[] = {"id",         "kind",       "event",        "to",
                                         "webhook_id", "status",     "attempts",     "last_status",
                                         "last_error", "created_at", "delivered_at", "last_attempt_at"};
    for (size_t i = 0; v && i < sizeof fields / sizeof *fields; i++) {
        json_t *f = json_object_get(item, fields[i]);
        if (f) json_object_set(v, fields[i], f);
    }
    json_t *next = json_object_get(item, "next_at");
    if (v && next && strcmp(bc_field_str(item, BC_F_STATUS) ?: "", "pending") == 0) {
        char iso[32];
        bc_time_format_utc(json_integer_value(next), iso, sizeof iso);
        json_object_set_new(v, "next_at", json_string(iso));
    }
    return v;
}

static bool matches(const json_t *item, const char *webhook_id, const char *status, const char *kind)
{
    return (!webhook_id || strcmp(bc_field_str(item, "webhook_id") ?: "", webhook_id) == 0) &&
           (!status || strcmp(bc_field_str(item, BC_F_STATUS) ?: "", status) == 0) &&
           (!kind || strcmp(bc_field_str(item, "kind") ?: "", kind) == 0);
}

int bc_delivery_list(struct bc_env *env, const struct bc_ctx *ctx, const char *webhook_id, const char *status,
                     const char *kind, int limit, const char *cursor, json_t **items, char **next_cursor)
{
    char pk[BC_KEY_SIZE];
    *items = NULL;
    *next_cursor = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    if (limit <= 0 || limit > 200) limit = 50;
    json_t *out = json_array();
    char *cur = cursor ? strdup(cursor) : NULL;
    int rc = 0;
    /* filtered in memory: a few pages of the tenant's recent deliveries at most per call */
    for (int page = 0; page < 10 && (int)json_array_size(out) < limit; page++) {
        struct bc_query q = {.pk = pk,
                             .sk_prefix = "DELIVERY#",
                             .descending = true,
                             .limit = limit - (int)json_array_size(out),
                             .cursor = cur,
                             .read_only = true};
        struct bc_query_result res = {0};
        if ((rc = bc_store_query(env->store, &q, &res)) < 0) break;
        size_t i;
        json_t *it;
        json_array_foreach(res.items, i, it)
        {
            if ((int)json_array_size(out) < limit && matches(it, webhook_id, status, kind))
                json_array_append_new(out, bc_delivery_view(it));
        }
        free(cur);
        cur = res.next_cursor;
        res.next_cursor = NULL;
        bc_query_result_release(&res);
        if (!cur) break;
    }
    if (rc < 0) {
        json_decref(out);
        free(cur);
        return rc;
    }
    *items = out;
    *next_cursor = cur;
    return 0;
}
