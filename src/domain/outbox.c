/* The outbox's intents: what a change writes so that its notifications cannot be lost (outbox.h says
 * how). dispatch.c processes them. */
#include "domain/outbox.h"
#include "domain/env.h"
#include "domain/fields.h"
#include "domain/keys.h"
#include "domain/notify.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *const types[] = {
    BC_EV_BOOKING_CREATED, BC_EV_BOOKING_CANCELLED, BC_EV_BOOKING_RESCHEDULED, BC_EV_BOOKING_REMINDER,
    BC_EV_HANDOFF,         BC_EV_LIMIT_NEAR,        BC_EV_LIMIT_REACHED,       BC_EV_WAITLIST_OFFERED};

bool bc_event_type_known(const char *type)
{
    for (size_t i = 0; type && i < sizeof types / sizeof *types; i++)
        if (strcmp(type, types[i]) == 0) return true;
    return false;
}

const char *bc_outbox_pk(char *buf, const char *id)
{
    if (!bc_key_id_ok(id)) return NULL;
    /* ids end in random characters (ULIDs) or hash characters (reminders) */
    snprintf(buf, BC_KEY_SIZE, "OUTBOX#%u", (unsigned)((unsigned char)id[strlen(id) - 1] % BC_OUTBOX_SHARDS));
    return buf;
}

const char *bc_outbox_sk(char *buf, int64_t due, char kind, const char *tenant_id, const char *id)
{
    if (!bc_key_id_ok(id) || !bc_key_id_ok(tenant_id) || due < 0) return NULL;
    snprintf(buf, BC_KEY_SIZE, "%011lld#%c#%s#%s", (long long)due, kind, tenant_id, id);
    return buf;
}

void bc_outbox_mark(json_t *item, const char *event_id)
{
    json_t *old = json_object_get(item, "events"), *ev = json_array();
    size_t n = json_array_size(old), from = n + 1 > BC_EVENTS_KEPT ? n + 1 - BC_EVENTS_KEPT : 0;
    for (size_t i = from; i < n; i++) json_array_append(ev, json_array_get(old, i));
    json_array_append_new(ev, json_string(event_id));
    json_object_set_new(item, "events", ev);
}

bool bc_outbox_marked(const json_t *item, const char *event_id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(item, "events"), i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), event_id) == 0) return true;
    }
    return false;
}

void bc_outbox_derived_id(char out[BC_OUTBOX_DERIVED_ID], char prefix, const char *seed)
{
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)seed, strlen(seed), NULL, 0);
    out[0] = prefix;
    bc_hex(h, sizeof h, out + 1);
}

/* One intent: the event item, due at due, with data (stolen) as its snapshot. */
static json_t *intent(const char *tenant_id, const char *id, const char *type, int64_t due, json_t *data)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], now[32];
    if (!data || !bc_outbox_pk(pk, id) || !bc_outbox_sk(sk, due, 'E', tenant_id, id)) {
        json_decref(data);
        return NULL;
    }
    bc_now_iso(now);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o, s:I}", "PK", pk, "SK", sk, "id", id, "type",
                     type, "tenant_id", tenant_id, "due", (json_int_t)due, "created_at", now, "data", data,
                     "version", (json_int_t)1);
}

static int add(struct bc_outbox_batch *b, json_t *item)
{
    if (!item) return BC_ENOMEM;
    if (b->n == BC_OUTBOX_BATCH_MAX) {
        json_decref(item);
        return BC_EINVALID;
    }
    b->items[b->n++] = item;
    return 0;
}

/* The reminders of a (re)scheduled booking still ahead: ids derive from the booking, its start and the
 * offset, so that moving a booking back to a time it had does not remind twice. */
static int reminders(const struct bc_ctx *ctx, const json_t *settings, json_t *booking,
                     struct bc_outbox_batch *b)
{
    int64_t start = json_integer_value(json_object_get(booking, "start_ts")), now = bc_now_s();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(settings, "reminders"), i, r)
    {
        int64_t before = json_integer_value(json_object_get(r, "before_min"));
        int64_t due = start - before * 60;
        if (before <= 0 || due <= now) continue; /* already past when the booking is made: not sent */
        char seed[128], id[BC_OUTBOX_DERIVED_ID];
        snprintf(seed, sizeof seed, "%s|%lld|%lld", bc_field_str(booking, BC_F_ID), (long long)start,
                 (long long)before);
        bc_outbox_derived_id(id, 'R', seed);
        json_t *data = json_pack("{s:O, s:I, s:I}", "booking", booking, "start_ts", (json_int_t)start,
                                 "before_min", (json_int_t)before);
        int rc = add(b, intent(ctx->tenant_id, id, BC_EV_BOOKING_REMINDER, due, data));
        if (rc < 0) return rc;
    }
    return 0;
}

int bc_outbox_booking(struct bc_env *env, const struct bc_ctx *ctx, const char *type, json_t *booking,
                      struct bc_outbox_batch *b)
{
    json_t *settings = NULL;
    int rc = bc_notify_settings_get(env, ctx, &settings);
    if (rc < 0) return rc;
    char id[BC_ID_LEN + 1];
    bc_id_new(id);
    bc_outbox_mark(booking, id);
    /* the snapshot, taken after the mark, says what the item will be once the change is made (a new
     * booking: confirmed) */
    json_t *snap = json_deep_copy(booking);
    if (snap && strcmp(type, BC_EV_BOOKING_CREATED) == 0)
        json_object_set_new(snap, "status", json_string("confirmed"));
    rc = snap ? add(b, intent(ctx->tenant_id, id, type, bc_now_s(), json_pack("{s:O}", "booking", snap)))
              : BC_ENOMEM;
    if (rc == 0 && (strcmp(type, BC_EV_BOOKING_CREATED) == 0 || strcmp(type, BC_EV_BOOKING_RESCHEDULED) == 0))
        rc = reminders(ctx, settings, snap, b);
    json_decref(snap);
    json_decref(settings);
    return rc;
}

int bc_outbox_handoff(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, struct bc_outbox_batch *b)
{
    (void)env;
    char id[BC_ID_LEN + 1], detail[600];
    json_t *h = json_object_get(conv, "handoff");
    bc_id_new(id);
    bc_outbox_mark(conv, id);
    json_object_set_new(h, "event", json_string(id));
    /* who asked, as the customer left it: name, e-mail, phone */
    snprintf(detail, sizeof detail, "%s%s%s%s%s", bc_field_str(h, BC_F_NAME) ?: "",
             bc_field_str(h, "email") ? " " : "", bc_field_str(h, "email") ?: "",
             bc_field_str(h, "phone") ? " " : "", bc_field_str(h, "phone") ?: "");
    json_t *data = json_pack("{s:{s:O, s:O, s:O}, s:s}", "conversation", "id", json_object_get(conv, "id"),
                             "lang", json_object_get(conv, "lang"), "handoff", h, "detail", detail);
    return add(b, intent(ctx->tenant_id, id, BC_EV_HANDOFF, bc_now_s(), data));
}

int bc_outbox_event(const struct bc_ctx *ctx, const char *type, json_t *mark, json_t *data,
                    struct bc_outbox_batch *b)
{
    return bc_outbox_event_at(ctx, type, mark, data, bc_now_s(), b);
}

int bc_outbox_event_at(const struct bc_ctx *ctx, const char *type, json_t *mark, json_t *data, int64_t due,
                       struct bc_outbox_batch *b)
{
    char id[BC_ID_LEN + 1];
    bc_id_new(id);
    bc_outbox_mark(mark, id);
    return add(b, intent(ctx->tenant_id, id, type, due, data));
}

int bc_outbox_put(struct bc_env *env, struct bc_outbox_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        int rc = bc_store_put(env->store, b->items[i], NULL);
        if (rc < 0) return rc;
    }
    return 0;
}

size_t bc_outbox_writes(struct bc_outbox_batch *b, struct bc_write *w)
{
    for (size_t i = 0; i < b->n; i++) w[i] = (struct bc_write){b->items[i], {BC_COND_NONE, 0, false}, false};
    return b->n;
}

void bc_outbox_batch_release(struct bc_outbox_batch *b)
{
    for (size_t i = 0; i < b->n; i++) json_decref(b->items[i]);
    b->n = 0;
}

void bc_outbox_wake(struct bc_env *env)
{
    if (env->outbox_wake) env->outbox_wake(env->outbox_wake_ud);
}

int bc_outbox_usage(struct bc_env *env, const char *tenant_id, const char *type, const char *counter,
                    int64_t count, int64_t limit)
{
    char month[8], now[32], pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], kind[64];
    bc_now_iso(now);
    snprintf(month, sizeof month, "%.7s", now);
    struct bc_ctx ctx;
    int rc = bc_ctx_operator(&ctx, tenant_id);
    if (rc < 0) return rc;
    snprintf(kind, sizeof kind, "%s:%s", type, counter);
    /* once a month: the marker decides which process sends it */
    json_t *marker = NULL;
    if (!bc_key_tenant_pk(&ctx, pk) || !bc_key_sk2(sk, "NOTIFIED", kind, month))
        rc = BC_EINVALID;
    else
        marker = json_pack("{s:s, s:s, s:s, s:I}", "PK", pk, "SK", sk, "at", now, "ttl",
                           (json_int_t)(bc_now_s() + 40 * 86400));
    const struct bc_cond once = {BC_COND_NOT_EXISTS, 0, false};
    const json_t *seen = NULL;
    if (rc == 0 && bc_store_get_ro(env->store, pk, sk, &seen) == 0)
        rc = BC_ECOND; /* a read spares the write */
    bc_json_release(seen);
    if (rc == 0) rc = marker ? bc_store_put(env->store, marker, &once) : BC_ENOMEM;
    json_decref(marker);
    if (rc == BC_ECOND)
        rc = 0; /* sent already (or being sent) this month */
    else if (rc == 0) {
        char id[BC_ID_LEN + 1];
        bc_id_new(id);
        json_t *data = json_pack("{s:{s:s, s:I, s:I, s:s}}", "usage", "counter", counter, "count",
                                 (json_int_t)count, "limit", (json_int_t)limit, "month", month);
        json_t *item = intent(tenant_id, id, type, bc_now_s(), data);
        rc = item ? bc_store_put(env->store, item, NULL) : BC_ENOMEM;
        json_decref(item);
        if (rc == 0) bc_outbox_wake(env);
    }
    bc_ctx_release(&ctx);
    return rc;
}
