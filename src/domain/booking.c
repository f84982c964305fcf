/* Making bookings: bc_booking_create as named steps (the Idempotency-Key's claim, the schedule and the
 * meter, picking the professional, the commit, the answer) and the ways of committing. Holds are in
 * booking_hold.c.
 *
 * DESIGN NOTES (docs/booking.md, "Consistency", says why this is safe)
 * - Create: pending BOOKING item -> calendar commit (the one conditional write that decides) -> confirmed,
 *   with the code look-up (BCODE#) and the listing entry (BSTART#<start>#<id>). A pending booking older than
 *   REPAIR_AFTER_S (booking_read.c) is repaired on read: confirmed if its calendar entry exists, else marked
 *   failed.
 * - Two commit paths, chosen by the booking alone: a busy interval on one local date (the usual case) is
 *   committed in one store batch (the key's claim, the pending item, the calendar write, the confirmation:
 *   LMDB makes it one transaction); one spanning two or three dates is committed write after write
 *   (bc_cal_commit writes each date's item). Both leave, after a crash at any point, a state that one of the
 *   two repairs above resolves: a backend without atomic batches (DynamoDB) writes the batch in order and
 *   may stop after any prefix of it, which is what the sequential path leaves.
 * - Fault points (util/fault.h) sit in both paths at the same places: BC_FAULT_BOOKING_BEFORE_COMMIT after
 *   the pending item, before the calendar; BC_FAULT_BOOKING_AFTER_COMMIT after the calendar, before the
 *   confirmation (in the batched path: the batch cut there, as a backend without atomic batches may leave
 *   it); BC_FAULT_BOOKING_BEFORE_ANSWER after everything, before the answer. Arming one never changes the
 *   path taken.
 * - Idempotency-Key: an IDEM# item (24 to 25 h ttl) holds the request hash and the booking id chosen for it,
 *   written with a not-exists condition with (batched) or just before (sequential) the booking's writes; a
 *   retry with the same key and request gets the same booking, with another request 409.
 * - The manage token is an HMAC of tenant and booking under the server secret: never stored, always
 *   re-derivable (an idempotent retry returns it again).
 * - A service that requires resources is committed by the claim protocol (claim.h; commit_claimed): its
 *   professional's time and one unit of each resource as pending claims, then the booking item's one
 *   conditional write that decides, then the claims made permanent. A group session (capacity > 1) without
 *   resources takes one of its seats through the same calendar write as any booking (calendar.c, "Capacity").
 * - Monthly bookings are metered by domain/usage.h: one is reserved against the plan's limit before the
 *   commit (exact at the boundary within a process) and given back when the booking is not made. */
#include "domain/booking.h"
#include "domain/fields.h"
#include "domain/booking_internal.h"
#include "domain/env.h"
#include "domain/availability.h"
#include "domain/calendar.h"
#include "domain/claim.h"
#include "domain/keys.h"
#include "domain/outbox.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/usage.h"
#include "domain/user.h"
#include "domain/visitor.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/tz.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A key is honoured 24 to 25 hours: its claim's ttl is rounded up to the hour, so that a tenant's claims of
 * one hour share one expiry entry (store.h, ttl_group; LMDB then writes no page of its ttl index for
 * them, 4 of a booking's ~25: docs/performance.md, round nine). */
#define IDEM_TTL_S      86400
#define IDEM_TTL_STEP_S 3600

/* a lazy, unconditional write (store.h): for what the calendar commit's fsync makes durable anyway */
static const struct bc_cond lazy = {BC_COND_NONE, 0, true};

/* ---- slots, shared with booking_change.c ---- */

/* The local dates (in zone) that [from, to) touches, up to BC_CAL_MAX_DAYS. */
int bc__booking_busy_dates(const char *zone, int64_t from, int64_t to, char dates[][11], int *n)
{
    struct bc_tz_local a, b;
    if (bc_tz_from_utc(zone, from, &a) < 0 || bc_tz_from_utc(zone, to - 1, &b) < 0) return BC_EINVALID;
    if (b.day - a.day + 1 > BC_CAL_MAX_DAYS) return BC_EINVALID;
    *n = 0;
    for (int32_t d = a.day; d <= b.day; d++) bc_tz_date_format(d, dates[(*n)++]);
    return 0;
}

const char *const *bc__booking_date_ptrs(char dates[][11], int n, const char **ptrs)
{
    for (int i = 0; i < n; i++) ptrs[i] = dates[i];
    return ptrs;
}

static int tenant_zone_local(json_t *settings, int64_t t, struct bc_tz_local *out)
{
    const char *z = bc_settings_zone(settings);
    return bc_tz_from_utc(z ? z : "UTC", t, out);
}

/* Checks that start is a bookable time of professional k of the schedule: BC_EINVALID (off the grid, closed,
 * too soon or too far) or BC_ESLOT (taken). */
int bc__booking_check_slot(struct bc_schedule *sc, size_t k, int64_t start, char *msg, size_t msgsize)
{
    int rc = bc_availability_check(&sc->q, &sc->pros[k], start);
    if (rc != BC_ESLOT) return rc;
    struct bc_availability_pro free_pro = sc->pros[k];
    free_pro.busy = NULL;
    free_pro.n_busy = 0;
    if (bc_availability_check(&sc->q, &free_pro, start) == BC_ESLOT) {
        snprintf(msg, msgsize,
                 "that start is not a bookable time (outside opening hours, off the slot grid, "
                 "too soon or too far ahead)");
        return BC_EINVALID;
    }
    return BC_ESLOT;
}

/* Loads the schedule around one start instant. */
int bc__booking_load_for(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                         const char *provider_id, int64_t start, const char *ignore, bool staff,
                         struct bc_arena *arena, struct bc_schedule *sc, char *msg, size_t msgsize)
{
    const json_t *item = NULL;
    json_t *settings;
    struct bc_tz_local l;
    char date[11];
    int rc = bc_settings_item_ro(env, ctx, "GLOBAL", &item); /* only its time zone is read */
    if (rc < 0) return rc;
    settings = bc_settings_view_ro(env, item);
    bc_json_release(item);
    rc = tenant_zone_local(settings, start, &l);
    json_decref(settings);
    if (rc < 0) return rc;
    bc_tz_date_format(l.day, date);
    rc = bc_schedule_load(env, ctx, service_id, provider_id, date, date, NULL, ignore, bc_now_s(), arena, sc,
                          msg, msgsize);
    if (rc == 0 && staff) {
        sc->q.min_notice_min = 0;
        sc->q.max_days_ahead = 3660;
    }
    return rc;
}

/* ---- confirming a booking item ---- */

char *bc__booking_bstart_sk(json_t *item)
{
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "BSTART#%012lld#%s", (long long)json_integer_value(json_object_get(item, "start_ts")),
                  json_string_value(json_object_get(item, "id")));
    return bc_buf_detach(&b, NULL);
}

/* The writes that confirm a booking item (marked with status first): the item, its code look-up and its
 * by-start entry, in that order, into w (returns how many); *look and *entry are decref'd by the caller
 * after writing. All lazy: the calendar entry is the durable truth, and repair-on-read redoes a lost
 * confirmation. */
static size_t finish_writes(const char *pk, json_t *item, const char *status, struct bc_write w[3],
                            json_t **look, json_t **entry)
{
    char sk[BC_KEY_SIZE], now[32];
    bc_now_iso(now);
    json_object_set_new(item, "status", json_string(status));
    json_object_set_new(item, "updated_at", json_string(now));
    json_object_del(item, "ttl");
    size_t n = 0;
    w[n++] = (struct bc_write){item, lazy, false};
    *look = *entry = NULL;
    if (bc_key_sk(sk, "BCODE", bc_field_str(item, BC_F_CODE))) {
        *look = json_pack("{s:s, s:s, s:O}", "PK", pk, "SK", sk, "booking_id", json_object_get(item, "id"));
        if (*look) w[n++] = (struct bc_write){*look, lazy, false};
    }
    char *bsk = bc__booking_bstart_sk(item);
    if (bsk && (*entry = json_copy(item))) { /* a shallow copy: only its SK differs */
        json_object_set_new(*entry, "SK", json_string(bsk));
        w[n++] = (struct bc_write){*entry, lazy, false};
    }
    free(bsk);
    return n;
}

/* Writes the code look-up and the listing entry of a booking item, and marks it with status: in one store
 * batch (one LMDB transaction), in the order they were written one by one before. */
int bc__booking_finish(struct bc_env *env, const char *pk, json_t *item, const char *status)
{
    struct bc_store *s = env->store;
    struct bc_write w[3];
    json_t *look, *entry;
    size_t n = finish_writes(pk, item, status, w, &look, &entry);
    int rc = bc_store_put_batch(s, w, n, NULL);
    json_decref(look);
    json_decref(entry);
    return rc;
}

/* ---- the request ---- */

/* A code of letters and digits, with at least one of each so that it reads as a code (never a word, never
 * a number) to people and to the NLU. No 0/O, 1/I/L: easy to read over the phone. */
static void make_code(char out[BC_BOOKING_CODE_LEN + 1])
{
    static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    bool letter, digit;
    do {
        letter = digit = false;
        for (int i = 0; i < BC_BOOKING_CODE_LEN; i++) {
            out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
            if (isdigit((unsigned char)out[i]))
                digit = true;
            else
                letter = true;
        }
    } while (!letter || !digit);
    out[BC_BOOKING_CODE_LEN] = '\0';
}

static int validate_customer(const struct bc_booking_in *in, char *msg, size_t msgsize)
{
    if (!in->name || bc_json_check_string(in->name, 1, 120, 0) < 0) {
        snprintf(msg, msgsize,
                 "the customer's name is required (1 to 120 characters, " BC_JSON_PLAIN_TEXT ")");
        return BC_EINVALID;
    }
    if (in->email && *in->email && !bc_email_valid(in->email)) {
        snprintf(msg, msgsize, "the e-mail address is not valid");
        return BC_EINVALID;
    }
    if (in->phone && *in->phone && !bc_phone_valid(in->phone)) {
        snprintf(msg, msgsize, "the phone number is not valid");
        return BC_EINVALID;
    }
    if (!(in->email && *in->email) && !(in->phone && *in->phone)) {
        snprintf(msg, msgsize, "an e-mail address or a phone number is required");
        return BC_EINVALID;
    }
    if (in->notes && bc_json_check_string(in->notes, 0, 1000, 1) < 0) {
        snprintf(msg, msgsize, "notes are at most 1000 characters");
        return BC_EINVALID;
    }
    return 0;
}

/* The order in which "any" tries professionals: round-robin after the last one assigned for the service. */
static void rr_order(struct bc_env *env, const char *pk, const char *service_id, struct bc_schedule *sc,
                     size_t *order)
{
    struct bc_store *s = env->store;
    char sk[BC_KEY_SIZE];
    const json_t *rr = NULL;
    size_t start = 0;
    if (bc_key_sk(sk, "RR", service_id) && bc_store_get_ro(s, pk, sk, &rr) == 0) {
        const char *last = json_string_value(json_object_get(rr, "last"));
        for (size_t k = 0; last && k < sc->n_pros; k++)
            if (strcmp(sc->pros[k].id, last) == 0) start = k + 1;
    }
    bc_json_release(rr);
    for (size_t k = 0; k < sc->n_pros; k++) order[k] = (start + k) % sc->n_pros;
}

static void rr_note(struct bc_env *env, const char *pk, const char *service_id, const char *provider_id)
{
    struct bc_store *s = env->store;
    char sk[BC_KEY_SIZE];
    if (!bc_key_sk(sk, "RR", service_id)) return;
    json_t *set = json_pack("{s:s}", "last", provider_id);
    struct bc_update u = {set, NULL, NULL};
    bc_store_update(s, pk, sk, &u, &lazy, NULL);
    json_decref(set);
}

/* ---- the Idempotency-Key's claim ---- */

/* An Idempotency-Key's claim: an IDEM# item (24 to 25 h ttl) with the request hash and the booking id chosen
 * for it, written with a not-exists condition in the same store batch as the booking's calendar write (or
 * just before it on the other path), so that of two requests with one key only one books. */
enum idem_state {
    IDEM_NONE,      /* the request has no key */
    IDEM_UNCLAIMED, /* no claim of this request is stored (yet): it goes with the booking's writes */
    IDEM_MINE,      /* the stored claim is this request's */
};

struct idem {
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    json_t *item; /* the claim (owned); NULL with IDEM_NONE */
    enum idem_state state;
};

static const struct bc_cond claim_cond = {BC_COND_NOT_EXISTS, 0, true}; /* synced by the booking's commit */

/* The claim's write: in its hour's expiry group (IDEM_TTL_STEP_S) */
static struct bc_write claim_write(const struct idem *im)
{
    return (struct bc_write){im->item, claim_cond, false, true};
}

/* What bc_booking_create has decided so far; every step returns 0 or a negative bc_err besides. */
enum create_outcome {
    CREATE_OPEN,     /* not yet: a step's error, if any, is the answer */
    CREATE_BOOKED,   /* the booking is made and confirmed (create.item) */
    CREATE_REPLAYED, /* a previous identical request with this key made it: its booking is the answer */
    CREATE_CRASHED,  /* fault injection: everything left as a process death at that point would */
};

/* One bc_booking_create call: its input, the state its steps share, and what it decided. */
struct create {
    struct bc_env *env;
    const struct bc_ctx *ctx;
    const struct bc_booking_in *in;
    char *msg;
    size_t msgsize;
    char pk[BC_KEY_SIZE], id[BC_ID_LEN + 1], code[BC_BOOKING_CODE_LEN + 1], now[32];
    char start_iso[BC_TZ_ISO_SIZE], end_iso[BC_TZ_ISO_SIZE];
    int64_t start, dur, bb, ba; /* the start, the service's duration and buffers (seconds) */
    const char *zone;           /* the tenant's (borrowed from sc.settings) */
    struct bc_arena arena;
    struct bc_schedule sc;
    size_t *order; /* the order in which professionals are tried (sc.n_pros of them, in the arena) */
    bool reserved; /* a booking of the month is reserved on the meter */
    struct idem im;
    json_t *item;              /* the booking item being made (owned) */
    json_t *replay;            /* CREATE_REPLAYED: the previous request's booking item (owned) */
    struct bc_outbox_batch ob; /* the notifications of the booking (outbox.h), written before its commit */
    enum create_outcome outcome;
};

static int idem_key(const struct bc_ctx *ctx, const char *key, char *pk, char *sk)
{
    unsigned char h[32];
    char hex[65];
    unsigned int hl = 0;
    EVP_Digest(key, strlen(key), h, &hl, EVP_sha256(), NULL);
    bc_hex(h, 16, hex);
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, "IDEM", hex)) return BC_EINVALID;
    return 0;
}

/* The claim this request would write (IDEM_UNCLAIMED), or IDEM_NONE without a key. */
static int idem_init(struct create *c)
{
    struct idem *im = &c->im;
    const struct bc_booking_in *in = c->in;
    im->item = NULL;
    im->state = IDEM_NONE;
    if (!in->idempotency_key) return 0;
    if (strlen(in->idempotency_key) > 255 || idem_key(c->ctx, in->idempotency_key, im->pk, im->sk) < 0) {
        snprintf(c->msg, c->msgsize, "Idempotency-Key must be at most 255 characters");
        return BC_EINVALID;
    }
    im->item = json_pack(
        "{s:s, s:s, s:s, s:s, s:I}", "PK", im->pk, "SK", im->sk, "request",
        in->request_hash ? in->request_hash : "", "booking_id", c->id, "ttl",
        (json_int_t)((bc_now_s() + IDEM_TTL_S + IDEM_TTL_STEP_S - 1) / IDEM_TTL_STEP_S * IDEM_TTL_STEP_S));
    im->state = IDEM_UNCLAIMED;
    return im->item ? 0 : BC_ENOMEM;
}

/* Reads the stored claim of the key: none (0, nothing changes); this request's own, written by an earlier
 * attempt on a store without atomic batches (0, IDEM_MINE); a previous identical request's booking (0,
 * CREATE_REPLAYED with c->replay); or BC_ECONFLICT with msg: another request, in flight or failed, or a
 * different request with this key. */
static int idem_check(struct create *c, char *msg, size_t msgsize)
{
    struct idem *im = &c->im;
    json_t *prev = NULL;
    int rc = bc_store_get(c->env->store, im->pk, im->sk, &prev);
    if (rc == BC_ENOT_FOUND) return 0;
    if (rc < 0) return rc;
    const char *bid = json_string_value(json_object_get(prev, "booking_id"));
    if (bid && strcmp(bid, c->id) == 0) {
        json_decref(prev);
        im->state = IDEM_MINE;
        return 0;
    }
    const char *req = json_string_value(json_object_get(prev, "request"));
    if (!req || strcmp(req, c->in->request_hash ? c->in->request_hash : "") != 0) {
        json_decref(prev);
        snprintf(msg, msgsize, "this Idempotency-Key was used for a different request");
        return BC_ECONFLICT;
    }
    json_t *b = NULL;
    rc = bc_booking_get(c->env, c->ctx, bid, &b);
    json_decref(prev);
    const char *st = bc_field_str(b, BC_F_STATUS);
    if (rc == 0 && st && strcmp(st, "pending") != 0 && strcmp(st, "failed") != 0) {
        c->replay = b;
        c->outcome = CREATE_REPLAYED;
        return 0;
    }
    json_decref(b);
    snprintf(msg, msgsize,
             "a request with this Idempotency-Key is still being processed or failed; retry later");
    return BC_ECONFLICT;
}

/* A failed booking gives its key back (only its own claim: another request's stays). */
static void idem_release(struct create *c)
{
    struct bc_store *s = c->env->store;
    struct idem *im = &c->im;
    if (!im->item) return;
    json_t *cur = NULL;
    if (bc_store_get(s, im->pk, im->sk, &cur) == 0 &&
        strcmp(json_string_value(json_object_get(cur, "booking_id")) ?: "", c->id) == 0)
        bc_store_delete(s, im->pk, im->sk, NULL);
    json_decref(cur);
}

/* ---- bc_booking_create, step by step ---- */

/* Step 1: the input: the customer and the start instant. */
static int create_check_input(struct create *c)
{
    const struct bc_booking_in *in = c->in;
    if (!bc_key_tenant_pk(c->ctx, c->pk)) return BC_ENOT_FOUND;
    int rc = validate_customer(in, c->msg, c->msgsize);
    if (rc < 0) return rc;
    if (!in->service_id || !in->start || bc_time_parse_iso(in->start, &c->start) < 0) {
        snprintf(
            c->msg, c->msgsize,
            "service_id and start (ISO 8601 with an offset, e.g. 2026-12-01T09:00:00+01:00) are required");
        return BC_EINVALID;
    }
    return 0;
}

/* Step 2: the Idempotency-Key: a retry of a request already made gets its booking (CREATE_REPLAYED); a key
 * nobody holds is claimed later, with the booking's writes. */
static int create_claim_key(struct create *c)
{
    bc_id_new(c->id); /* the booking's id, named in the claim */
    int rc = idem_init(c);
    if (rc == 0 && c->im.state == IDEM_UNCLAIMED) rc = idem_check(c, c->msg, c->msgsize);
    return rc;
}

/* Step 3: the schedule around the start, a booking of the month reserved on the meter, the order of the
 * professionals, the times, the code. */
static int create_prepare(struct create *c)
{
    const struct bc_booking_in *in = c->in;
    struct bc_schedule *sc = &c->sc;
    int rc = bc__booking_load_for(c->env, c->ctx, in->service_id, in->provider_id, c->start, in->hold_id,
                                  in->staff, &c->arena, sc, c->msg, c->msgsize);
    if (rc < 0) return rc;
    if (sc->n_pros == 0) {
        snprintf(c->msg, c->msgsize, "no professional offers this service");
        return BC_ESLOT;
    }
    rc = bc_usage_take(c->env, c->ctx->tenant_id, BC_USAGE_BOOKINGS, 1, in->monthly_limit);
    if (rc == BC_EPLAN) snprintf(c->msg, c->msgsize, "this business cannot take more bookings this month");
    if (rc < 0) return rc;
    c->reserved = true;
    c->order = bc_arena_alloc(&c->arena, sc->n_pros * sizeof *c->order);
    if (!c->order) return BC_ENOMEM;
    rr_order(c->env, c->pk, in->service_id, sc, c->order);
    c->dur = sc->q.duration_min * 60;
    c->bb = sc->q.buffer_before_min * 60;
    c->ba = sc->q.buffer_after_min * 60;
    c->zone = bc_settings_zone(sc->settings);
    bc_tz_format_iso(c->zone, c->start, c->start_iso, sizeof c->start_iso);
    bc_tz_format_iso(c->zone, c->start + c->dur, c->end_iso, sizeof c->end_iso);
    make_code(c->code);
    bc_now_iso(c->now);
    return 0;
}

/* The service's seats (1 unless a group session). */
static int service_capacity(const struct create *c)
{
    int cap = (int)json_integer_value(json_object_get(c->sc.service, "capacity"));
    return cap > 1 ? cap : 1;
}

/* Whether the service requires resources: then the claim protocol commits it (commit_claimed). */
static bool needs_claims(const struct create *c)
{
    return json_array_size(json_object_get(c->sc.service, "resource_ids")) > 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The claim protocol's fields of the pending item (claim.h): the seats, and for a service with resources the
 * resources in the fixed (sorted) order, their UTC dates and the claims' expiry. */
static int claim_fields(struct create *c)
{
    int cap = service_capacity(c);
    if (cap > 1) json_object_set_new(c->item, "capacity", json_integer(cap));
    if (!needs_claims(c)) return 0;
    json_t *ids = json_object_get(c->sc.service, "resource_ids");
    const char *sorted[BC_STORE_BATCH_MAX];
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(ids) && n < BC_STORE_BATCH_MAX; i++)
        if (json_is_string(json_array_get(ids, i))) sorted[n++] = json_string_value(json_array_get(ids, i));
    qsort(sorted, n, sizeof *sorted, cmp_str);
    json_t *res = json_array(), *rd = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(res, json_string(sorted[i]));
    char dates[BC_CAL_MAX_DAYS][11];
    int nd = 0;
    int rc = bc_claim_res_dates(c->start - c->bb, c->start + c->dur + c->ba, dates, &nd);
    for (int d = 0; rc == 0 && d < nd; d++) json_array_append_new(rd, json_string(dates[d]));
    json_object_set_new(c->item, "resource_ids", res);
    json_object_set_new(c->item, "res_dates", rd);
    json_object_set_new(c->item, "claim_exp", json_integer(bc_now_s() + BC_CLAIM_TTL_S));
    return rc;
}

/* The pending booking item with professional k on the given dates, into c->item (replacing the item made
 * for a professional tried before). */
static int create_item(struct create *c, size_t k, char dates[][11], int nd)
{
    const struct bc_booking_in *in = c->in;
    struct bc_schedule *sc = &c->sc;
    char sk[BC_KEY_SIZE];
    json_decref(c->item);
    c->item = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:O, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:O,"
        " s:{s:s, s:s?, s:s?}, s:s?, s:s, s:s, s:I}",
        "PK", c->pk, "SK", bc_key_sk(sk, "BOOKING", c->id), "id", c->id, "code", c->code, "status", "pending",
        "service_id", json_object_get(sc->service, "id"), "service_name",
        json_object_get(sc->service, "name"), "provider_id", sc->pros[k].id, "provider_name",
        json_object_get(json_array_get(sc->providers, k), "name"), "start", c->start_iso, "end", c->end_iso,
        "timezone", c->zone, "start_ts", (json_int_t)c->start, "end_ts", (json_int_t)(c->start + c->dur),
        "busy_from", (json_int_t)(c->start - c->bb), "busy_to", (json_int_t)(c->start + c->dur + c->ba),
        "duration_min", json_object_get(sc->service, "duration_min"), "customer", "name", in->name, "email",
        in->email && *in->email ? in->email : NULL, "phone", in->phone && *in->phone ? in->phone : NULL,
        "notes", in->notes, "source", in->source ? in->source : "widget", "created_at", c->now, "version",
        (json_int_t)1);
    if (!c->item) return BC_ENOMEM;
    if (json_is_object(in->channel)) /* the chat's medium: its reminders go there too (channel_run.h) */
        json_object_set_new(c->item, "channel",
                            json_pack("{s:O?, s:O?, s:O?}", "kind", json_object_get(in->channel, "kind"),
                                      "id", json_object_get(in->channel, "id"), "sender",
                                      json_object_get(in->channel, "sender")));
    json_t *jd = json_array();
    for (int d = 0; d < nd; d++) json_array_append_new(jd, json_string(dates[d]));
    json_object_set_new(c->item, "cal_dates", jd);
    if (in->lang) json_object_set_new(c->item, "lang", json_string(in->lang));
    int rc = claim_fields(c);
    if (rc < 0) return rc;
    /* its notifications, marked on the item (a professional tried before had its own) */
    bc_outbox_batch_release(&c->ob);
    return bc_outbox_booking(c->env, c->ctx, BC_EV_BOOKING_CREATED, c->item, &c->ob);
}

/* A fault point was hit: the caller leaves everything as a process death there would (no clean-up). */
static int crashed(struct create *c)
{
    c->outcome = CREATE_CRASHED;
    return BC_EINTERNAL;
}

/* Commit, batched (the busy interval lies on one local date): the key's claim, the pending item, the
 * calendar write that decides and the confirmation in one store batch, in the order of the sequential path
 * (LMDB: one transaction, one sync, all or nothing; a store without atomic batches makes them one after the
 * other, so that a crash leaves what the sequential path would). The fault points cut the batch where the
 * sequential path has them. 0 with CREATE_BOOKED or CREATE_REPLAYED, or a negative bc_err (BC_ESLOT: the
 * slot is taken, nothing of the batch was written). */
static int commit_batched(struct create *c, size_t k, const char *date, const struct bc_cal_entry *e)
{
    json_t *conf = json_copy(c->item), *look = NULL, *entry = NULL; /* shallow: status etc. differ */
    struct bc_write pre[2 + BC_OUTBOX_BATCH_MAX], post[3];
    size_t np = conf ? finish_writes(c->pk, conf, "confirmed", post, &look, &entry) : 0;
    /* a store without atomic batches may stop between the calendar write and the confirmation */
    bool cut = bc_fault_armed(BC_FAULT_BOOKING_AFTER_COMMIT);
    int rc = np ? 0 : BC_ENOMEM;
    for (int attempt = 0; np && attempt < 3; attempt++) {
        size_t npre = 0, failed = SIZE_MAX;
        bool claiming = c->im.state == IDEM_UNCLAIMED;
        if (claiming) pre[npre++] = claim_write(&c->im);
        npre += bc_outbox_writes(&c->ob, pre + npre); /* before the calendar write that decides */
        pre[npre++] = (struct bc_write){c->item, lazy, false};
        if (bc_fault_hit(BC_FAULT_BOOKING_BEFORE_COMMIT)) { /* the batch stops after the pending item */
            bc_store_put_batch(c->env->store, pre, npre, NULL);
            rc = crashed(c);
            break;
        }
        rc = bc_cal_commit_with(c->env, c->ctx, c->sc.pros[k].id, date, e, c->in->hold_id, pre, npre, post,
                                cut ? 0 : np, &failed);
        if (!(rc == BC_ECONFLICT && failed == 0 && claiming)) break;
        /* the key's claim failed: another request's (its answer), or ours from an earlier attempt */
        if ((rc = idem_check(c, c->msg, c->msgsize)) < 0 || c->outcome == CREATE_REPLAYED) break;
        rc = BC_ECONFLICT;
    }
    if (rc == 0 && cut && c->outcome == CREATE_OPEN) /* the batch stops after the calendar write */
        rc = bc_fault_hit(BC_FAULT_BOOKING_AFTER_COMMIT) ? crashed(c)
                                                         : bc_store_put_batch(c->env->store, post, np, NULL);
    json_decref(look);
    json_decref(entry);
    if (rc == 0 && c->outcome == CREATE_OPEN) {
        c->im.state = c->im.item ? IDEM_MINE : IDEM_NONE;
        c->outcome = CREATE_BOOKED;
        json_decref(c->item);
        c->item = conf;
    } else {
        json_decref(conf);
    }
    return rc;
}

/* The key's claim on its own write (the paths that are not one batch): 0 with IDEM_MINE, or the answer of a
 * previous request (CREATE_REPLAYED), or a negative bc_err. */
static int idem_take(struct create *c)
{
    int rc = 0;
    if (c->im.state == IDEM_UNCLAIMED) {
        struct bc_write w = claim_write(&c->im);
        rc = bc_store_put_batch(c->env->store, &w, 1, NULL);
        if (rc == BC_ECOND && (rc = idem_check(c, c->msg, c->msgsize)) == 0 && c->outcome == CREATE_OPEN &&
            c->im.state != IDEM_MINE)
            rc = BC_ECONFLICT; /* claimed and given back meanwhile */
        if (rc < 0 || c->outcome == CREATE_REPLAYED) return rc;
        c->im.state = IDEM_MINE;
    }
    return rc;
}

/* Commit by the claim protocol (claim.h; the service requires resources): the key's claim and the pending
 * item (version 1, claim_exp), the claims in the fixed order, the decision (the confirmation, written on
 * the condition that the item is still version 1: an aborter that found a claim expired wins otherwise), the
 * claims made permanent. BC_ESLOT after releasing the claims when anything is taken or the booking was
 * aborted. */
static int commit_claimed(struct create *c)
{
    struct bc_store *s = c->env->store;
    bool died = false;
    int rc = idem_take(c);
    if (rc < 0 || c->outcome == CREATE_REPLAYED) return rc;
    if ((rc = bc_outbox_put(c->env, &c->ob)) < 0) return rc;   /* its notifications, before the commit */
    if ((rc = bc_store_put(s, c->item, &lazy)) < 0) return rc; /* made durable by the claims' syncs */
    if (bc_fault_hit(BC_FAULT_BOOKING_BEFORE_COMMIT)) return crashed(c);
    rc = bc_claim_take(c->env, c->ctx, c->item, c->in->hold_id, c->msg, c->msgsize, &died);
    if (died) return crashed(c);
    if (rc < 0) return rc;
    if (bc_fault_hit(BC_FAULT_CLAIM_BEFORE_DECIDE)) return crashed(c);
    /* the decision: one write conditional on the pending item's version */
    json_t *conf = json_copy(c->item), *look = NULL, *entry = NULL;
    struct bc_write w[3];
    size_t n = conf ? finish_writes(c->pk, conf, "confirmed", w, &look, &entry) : 0;
    if (!n) {
        json_decref(conf);
        return BC_ENOMEM;
    }
    json_object_set_new(conf, "version", json_integer(2));
    if (entry) json_object_set_new(entry, "version", json_integer(2));
    w[0].cond = (struct bc_cond){BC_COND_VERSION, 1, false};
    rc = bc_store_put_batch(s, w, n, NULL);
    json_decref(look);
    json_decref(entry);
    if (rc < 0) {
        json_decref(conf);
        bc_claim_release(c->env, c->ctx, c->item); /* aborted (or a store error): nothing of it stays */
        if (rc == BC_ECOND) snprintf(c->msg, c->msgsize, "that time is no longer available");
        return rc == BC_ECOND ? BC_ESLOT : rc;
    }
    c->outcome = CREATE_BOOKED;
    json_decref(c->item);
    c->item = conf;
    if (bc_fault_hit(BC_FAULT_CLAIM_AFTER_DECIDE)) return crashed(c);
    /* made permanent; a failure here leaves claims that every reader and writer settles as confirmed */
    bc_claim_complete(c->env, c->ctx, c->item, &died);
    return died ? crashed(c) : 0;
}

/* Commit, sequential (the busy interval spans local dates): the key's claim, the pending item, the calendar
 * writes (bc_cal_commit undoes its earlier dates when a later one is taken), the confirmation, one after
 * the other. Same results as commit_batched; on BC_ESLOT the pending item and the claim stay for the next
 * professional (or the clean-up). */
static int commit_sequential(struct create *c, size_t k, char dates[][11], int nd,
                             const struct bc_cal_entry *e)
{
    struct bc_store *s = c->env->store;
    int rc = idem_take(c);
    if (rc < 0 || c->outcome == CREATE_REPLAYED) return rc;
    if ((rc = bc_outbox_put(c->env, &c->ob)) < 0) return rc;   /* its notifications, before the commit */
    if ((rc = bc_store_put(s, c->item, &lazy)) < 0) return rc; /* made durable by the commit's sync */
    if (bc_fault_hit(BC_FAULT_BOOKING_BEFORE_COMMIT)) return crashed(c);
    const char *ptrs[BC_CAL_MAX_DAYS];
    rc = bc_cal_commit(c->env, c->ctx, c->sc.pros[k].id, bc__booking_date_ptrs(dates, nd, ptrs), nd, e,
                       c->in->hold_id);
    if (rc == 0 && bc_fault_hit(BC_FAULT_BOOKING_AFTER_COMMIT)) return crashed(c);
    if (rc == 0) rc = bc__booking_finish(c->env, c->pk, c->item, "confirmed");
    if (rc == 0) c->outcome = CREATE_BOOKED;
    return rc;
}

/* Step 4, for one professional: is the start bookable with professional k, and if so the commit (the path
 * chosen by the booking alone: how many local dates its busy interval touches). BC_ESLOT: try the next. */
static int create_try(struct create *c, size_t k)
{
    char dates[BC_CAL_MAX_DAYS][11];
    int nd, rc = bc__booking_check_slot(&c->sc, k, c->start, c->msg, c->msgsize);
    if (rc < 0) return rc == BC_EINVALID && c->sc.n_pros > 1 ? BC_ESLOT : rc; /* "any": try the next one */
    int64_t from = c->start - c->bb, to = c->start + c->dur + c->ba;
    if ((rc = bc__booking_busy_dates(c->sc.pros[k].zone, from, to, dates, &nd)) < 0) return rc;
    if ((rc = create_item(c, k, dates, nd)) < 0) return rc;
    struct bc_cal_entry e = {c->id, false, from, to, 0, c->in->service_id, .capacity = service_capacity(c)};
    if (needs_claims(c))
        rc = commit_claimed(c);
    else
        rc = nd == 1 ? commit_batched(c, k, dates[0], &e) : commit_sequential(c, k, dates, nd, &e);
    if (c->outcome == CREATE_BOOKED && c->sc.n_pros > 1)
        rr_note(c->env, c->pk, c->in->service_id, c->sc.pros[k].id);
    return rc;
}

/* Step 4: the professionals in turn until one takes the booking. When none can, the slot may have been
 * taken by another request with the same key (its answer then); a booking not made is cleaned up: its
 * pending item deleted and its key's claim given back. */
static int create_place(struct create *c)
{
    int rc = BC_ESLOT;
    for (size_t i = 0; i < c->sc.n_pros && rc == BC_ESLOT && c->outcome == CREATE_OPEN; i++)
        rc = create_try(c, c->order[i]);
    if (rc == BC_ESLOT && c->im.state == IDEM_UNCLAIMED && c->outcome == CREATE_OPEN) {
        char m2[256] = "";
        int r = idem_check(c, m2, sizeof m2);
        if (c->outcome == CREATE_REPLAYED) return 0;
        if (r != 0 && r != BC_ECONFLICT) rc = r;
        if (r == BC_ECONFLICT && m2[0]) {
            rc = r;
            snprintf(c->msg, c->msgsize, "%s", m2);
        }
    }
    if (rc < 0 && c->outcome == CREATE_OPEN) {
        char sk[BC_KEY_SIZE];
        if (c->item) bc_store_delete(c->env->store, c->pk, bc_key_sk(sk, "BOOKING", c->id), NULL);
        if (rc == BC_ESLOT && !c->msg[0]) snprintf(c->msg, c->msgsize, "that time is no longer available");
        if (rc == BC_ECONFLICT && !c->msg[0]) snprintf(c->msg, c->msgsize, "the calendar is busy; try again");
        idem_release(c);
    }
    return rc;
}

/* Step 5: the answer: the booking made, or the one a previous identical request made; a reservation on the
 * meter for a booking not made is given back. */
static int create_answer(struct create *c, int rc, json_t **out)
{
    if (c->outcome == CREATE_BOOKED && bc_fault_hit(BC_FAULT_BOOKING_BEFORE_ANSWER)) rc = crashed(c);
    if (c->reserved && c->outcome != CREATE_BOOKED)
        bc_usage_add(c->env, c->ctx->tenant_id, BC_USAGE_BOOKINGS, -1);
    if (c->outcome == CREATE_BOOKED) {
        *out = bc_booking_view(c->ctx, c->item, true);
        bc_outbox_wake(c->env);
    }
    if (c->outcome == CREATE_REPLAYED) {
        *out = bc_booking_view(c->ctx, c->replay, true);
        rc = 0;
    }
    return rc;
}

int bc_booking_create(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_booking_in *in, char *msg,
                      size_t msgsize, json_t **out)
{
    struct create c = {.env = env, .ctx = ctx, .in = in, .msg = msg, .msgsize = msgsize};
    *out = NULL;
    bc_arena_init(&c.arena);
    int rc = create_check_input(&c);
    /* a widget visitor booking in a chat: the daily caps the widget's booking route applies (visitor.h) */
    if (rc == 0 && ctx->visitor && in->source && strcmp(in->source, "chat") == 0)
        rc = bc_visitor_booking(env, ctx->tenant_id, ctx->visitor, in->email, in->phone);
    if (rc == 0) rc = create_claim_key(&c);
    if (rc == 0 && c.outcome == CREATE_OPEN) rc = create_prepare(&c);
    if (rc == 0 && c.outcome == CREATE_OPEN) rc = create_place(&c);
    rc = create_answer(&c, rc, out);
    json_decref(c.im.item);
    json_decref(c.item);
    json_decref(c.replay);
    bc_outbox_batch_release(&c.ob);
    bc_schedule_release(&c.sc);
    bc_arena_release(&c.arena);
    return rc;
}
