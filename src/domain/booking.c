/* Bookings and holds.
 *
 * DESIGN NOTES (docs/booking.md, "Consistency", says why this is safe)
 * - Create: pending BOOKING item -> calendar commit (the one conditional write that decides) -> confirmed,
 *   with the code look-up (BCODE#) and the listing entry (BSTART#<start>#<id>). A pending booking older than
 *   REPAIR_AFTER_S is repaired on read: confirmed if its calendar entry exists, else marked failed.
 * - Idempotency-Key: an IDEM# item (24 h ttl) holds the request hash and the booking id chosen for it,
 *   written before anything else with a not-exists condition; a retry with the same key and request gets the
 *   same booking, with another request 409.
 * - The manage token is an HMAC of tenant and booking under the server secret: never stored, always
 *   re-derivable (an idempotent retry returns it again).
 * - Monthly bookings are metered by domain/usage.h: one is reserved against the plan's limit before the
 *   commit (exact at the boundary within a process) and given back when the booking is not made. */
#include "domain/booking.h"
#include "domain/env.h"
#include "auth/secret.h"
#include "domain/availability.h"
#include "domain/calendar.h"
#include "domain/entity.h"
#include "domain/ics.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/usage.h"
#include "domain/user.h"
#include "domain/keys.h"
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

#define REPAIR_AFTER_S 60
#define IDEM_TTL_S     86400
#define CODE_LEN       6

/* a lazy, unconditional write (store.h): for what the calendar commit's fsync makes durable anyway */
static const struct bc_cond lazy = {BC_COND_NONE, 0, true};

bool bc_phone_valid(const char *phone)
{
    if (!phone) return false;
    int digits = 0;
    size_t n = strlen(phone);
    if (n < 6 || n > 30) return false;
    for (const char *p = phone; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (!strchr("+()-. ", *p) || (*p == '+' && p != phone))
            return false;
    }
    return digits >= 6 && digits <= 15;
}

static void digits_of(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; s && *s && n + 1 < size; s++)
        if (isdigit((unsigned char)*s)) out[n++] = *s;
    out[n] = '\0';
}

bool bc_booking_customer_matches(json_t *item, const char *email, const char *phone)
{
    json_t *c = json_object_get(item, "customer");
    const char *e = json_string_value(json_object_get(c, "email")),
               *p = json_string_value(json_object_get(c, "phone"));
    if (email && *email && e && strcasecmp(email, e) == 0) return true;
    if (phone && *phone && p) {
        char a[32], b[32];
        digits_of(phone, a, sizeof a);
        digits_of(p, b, sizeof b);
        size_t la = strlen(a), lb = strlen(b);
        /* compare the last 9 digits so "+34 600 111 222" matches "600111222" */
        size_t k = la < lb ? la : lb;
        if (k > 9) k = 9;
        return k >= 6 && strcmp(a + la - k, b + lb - k) == 0;
    }
    return false;
}

char *bc_booking_manage_token(const char *tenant_id, const char *booking_id)
{
    char data[160], mac_hex[65], tb64[96];
    unsigned char mac[32];
    snprintf(data, sizeof data, "%s|%s", tenant_id, booking_id);
    bc_secret_hmac_hex("manage", data, strlen(data), mac_hex);
    sodium_hex2bin(mac, 16, mac_hex, 32, NULL, NULL, NULL); /* the MAC's first 16 bytes */
    char m64[32];
    bc_b64url_encode(mac, 16, m64);
    bc_b64url_encode(tenant_id, strlen(tenant_id), tb64);
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "%s.%s.%s", booking_id, tb64, m64);
    return bc_buf_detach(&b, NULL);
}

int bc_booking_manage_verify(const char *token, char *tenant_out, size_t tsize, char *booking_out,
                             size_t bsize)
{
    if (!token || strlen(token) > 200) return BC_EUNAUTHORIZED;
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || (size_t)(d1 - token) >= bsize) return BC_EUNAUTHORIZED;
    char tenant[BC_TENANT_ID_MAX + 1];
    int n = bc_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), tenant, sizeof tenant - 1);
    if (n <= 0) return BC_EUNAUTHORIZED;
    tenant[n] = '\0';
    snprintf(booking_out, bsize, "%.*s", (int)(d1 - token), token);
    if (!bc_key_id_ok(tenant) || !bc_key_id_ok(booking_out)) return BC_EUNAUTHORIZED;
    char *want = bc_booking_manage_token(tenant, booking_out);
    bool ok = want && strlen(want) == strlen(token) && sodium_memcmp(want, token, strlen(token)) == 0;
    free(want);
    if (!ok) return BC_EUNAUTHORIZED;
    snprintf(tenant_out, tsize, "%s", tenant);
    return 0;
}

json_t *bc_booking_view(const struct bc_ctx *ctx, json_t *item, bool with_token)
{
    static const char *const fields[] = {"id",           "code",        "status",        "service_id",
                                         "service_name", "provider_id", "provider_name", "start",
                                         "end",          "timezone",    "customer",      "notes",
                                         "source",       "created_at",  "updated_at",    "cancelled_at",
                                         "duration_min"};
    json_t *v = json_object();
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *f = json_object_get(item, fields[i]);
        if (f) json_object_set(v, fields[i], f);
    }
    if (with_token) {
        char *t = bc_booking_manage_token(ctx->tenant_id, json_string_value(json_object_get(item, "id")));
        json_object_set_new(v, "manage_token", json_string(t ? t : ""));
        free(t);
    }
    return v;
}

/* The local dates (in zone) that [from, to) touches, up to BC_CAL_MAX_DAYS. */
static int busy_dates(const char *zone, int64_t from, int64_t to, char dates[][11], int *n)
{
    struct bc_tz_local a, b;
    if (bc_tz_from_utc(zone, from, &a) < 0 || bc_tz_from_utc(zone, to - 1, &b) < 0) return BC_EINVALID;
    if (b.day - a.day + 1 > BC_CAL_MAX_DAYS) return BC_EINVALID;
    *n = 0;
    for (int32_t d = a.day; d <= b.day; d++) bc_tz_date_format(d, dates[(*n)++]);
    return 0;
}

static const char *const *date_ptrs(char dates[][11], int n, const char **ptrs)
{
    for (int i = 0; i < n; i++) ptrs[i] = dates[i];
    return ptrs;
}

static int tenant_zone_local(json_t *settings, int64_t t, struct bc_tz_local *out)
{
    const char *z = json_string_value(json_object_get(settings, "timezone"));
    return bc_tz_from_utc(z ? z : "UTC", t, out);
}

/* Checks that start is a bookable time of professional k of the schedule: BC_EINVALID (off the grid, closed,
 * too soon or too far) or BC_ESLOT (taken). */
static int check_slot(struct bc_schedule *sc, size_t k, int64_t start, char *msg, size_t msgsize)
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
static int load_for(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                    const char *provider_id, int64_t start, const char *ignore, bool staff,
                    struct bc_arena *arena, struct bc_schedule *sc, char *msg, size_t msgsize)
{
    json_t *item = NULL, *settings;
    struct bc_tz_local l;
    char date[11];
    int rc = bc_settings_item_ro(env, ctx, "GLOBAL", &item); /* only its time zone is read */
    if (rc < 0) return rc;
    settings = bc_settings_view_ro(env, item);
    json_decref(item);
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

/* A code of letters and digits, with at least one of each so that it reads as a code (never a word, never
 * a number) to people and to the NLU. No 0/O, 1/I/L: easy to read over the phone. */
static void make_code(char out[CODE_LEN + 1])
{
    static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    bool letter, digit;
    do {
        letter = digit = false;
        for (int i = 0; i < CODE_LEN; i++) {
            out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
            if (isdigit((unsigned char)out[i]))
                digit = true;
            else
                letter = true;
        }
    } while (!letter || !digit);
    out[CODE_LEN] = '\0';
}

static char *bstart_sk(json_t *item)
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
    if (bc_key_sk(sk, "BCODE", json_string_value(json_object_get(item, "code")))) {
        *look = json_pack("{s:s, s:s, s:O}", "PK", pk, "SK", sk, "booking_id", json_object_get(item, "id"));
        if (*look) w[n++] = (struct bc_write){*look, lazy, false};
    }
    char *bsk = bstart_sk(item);
    if (bsk && (*entry = json_copy(item))) { /* a shallow copy: only its SK differs */
        json_object_set_new(*entry, "SK", json_string(bsk));
        w[n++] = (struct bc_write){*entry, lazy, false};
    }
    free(bsk);
    return n;
}

/* Writes the code look-up and the listing entry of a booking item, and marks it with status: in one store
 * batch (one LMDB transaction), in the order they were written one by one before. */
static int finish(struct bc_env *env, const char *pk, json_t *item, const char *status)
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

/* Refreshes the listing entry after a change of the booking item. */
static int relist(struct bc_env *env, json_t *item)
{
    struct bc_store *s = env->store;
    char *bsk = bstart_sk(item);
    if (!bsk) return BC_ENOMEM;
    json_t *entry = json_deep_copy(item);
    json_object_set_new(entry, "SK", json_string(bsk));
    int rc = bc_store_put(s, entry, NULL);
    json_decref(entry);
    free(bsk);
    return rc;
}

static int validate_customer(const struct bc_booking_in *in, char *msg, size_t msgsize)
{
    if (!in->name || bc_json_check_string(in->name, 1, 120, 0) < 0) {
        snprintf(msg, msgsize, "the customer's name is required (1 to 120 characters)");
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
    json_t *rr = NULL;
    size_t start = 0;
    if (bc_key_sk(sk, "RR", service_id) && bc_store_get_ro(s, pk, sk, &rr) == 0) {
        const char *last = json_string_value(json_object_get(rr, "last"));
        for (size_t k = 0; last && k < sc->n_pros; k++)
            if (strcmp(sc->pros[k].id, last) == 0) start = k + 1;
    }
    json_decref(rr);
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

/* An Idempotency-Key's claim: an IDEM# item (24 h ttl) with the request hash and the booking id chosen for
 * it, written with a not-exists condition in the same store batch as the booking's calendar write (or just
 * before it on the other path), so that of two requests with one key only one books. */
struct idem {
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    json_t *item; /* NULL: the request has no key */
    bool mine;    /* the stored claim is this request's */
};

static const struct bc_cond claim_cond = {BC_COND_NOT_EXISTS, 0, true}; /* synced by the booking's commit */

static int idem_init(const struct bc_ctx *ctx, const struct bc_booking_in *in, const char *booking_id,
                     struct idem *im, char *msg, size_t msgsize)
{
    im->item = NULL;
    im->mine = false;
    if (!in->idempotency_key) return 0;
    if (strlen(in->idempotency_key) > 255 || idem_key(ctx, in->idempotency_key, im->pk, im->sk) < 0) {
        snprintf(msg, msgsize, "Idempotency-Key must be at most 255 characters");
        return BC_EINVALID;
    }
    im->item = json_pack("{s:s, s:s, s:s, s:s, s:I}", "PK", im->pk, "SK", im->sk, "request",
                         in->request_hash ? in->request_hash : "", "booking_id", booking_id, "ttl",
                         (json_int_t)(bc_now_s() + IDEM_TTL_S));
    return im->item ? 0 : BC_ENOMEM;
}

/* The stored claim of the key, if any: returns 1 when a previous identical request's booking was put in
 * *out, 0 when there is no claim or it is this request's own (im->mine; written by an earlier attempt of a
 * store without atomic batches), or an error (BC_ECONFLICT: another request, in flight or failed, or a
 * different request with this key). */
static int idem_check(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_booking_in *in,
                      struct idem *im, char *msg, size_t msgsize, json_t **out)
{
    struct bc_store *s = env->store;
    json_t *prev = NULL;
    int rc = bc_store_get(s, im->pk, im->sk, &prev);
    if (rc == BC_ENOT_FOUND) return 0;
    if (rc < 0) return rc;
    const char *bid = json_string_value(json_object_get(prev, "booking_id"));
    if (bid && strcmp(bid, json_string_value(json_object_get(im->item, "booking_id"))) == 0) {
        json_decref(prev);
        im->mine = true;
        return 0;
    }
    const char *req = json_string_value(json_object_get(prev, "request"));
    if (!req || strcmp(req, in->request_hash ? in->request_hash : "") != 0) {
        json_decref(prev);
        snprintf(msg, msgsize, "this Idempotency-Key was used for a different request");
        return BC_ECONFLICT;
    }
    json_t *b = NULL;
    rc = bc_booking_get(env, ctx, bid, &b);
    json_decref(prev);
    const char *st = json_string_value(json_object_get(b, "status"));
    if (rc == 0 && st && strcmp(st, "pending") != 0 && strcmp(st, "failed") != 0) {
        *out = b;
        return 1;
    }
    json_decref(b);
    snprintf(msg, msgsize,
             "a request with this Idempotency-Key is still being processed or failed; retry later");
    return BC_ECONFLICT;
}

/* A failed booking gives its key back (only its own claim: another request's stays). */
static void idem_release(struct bc_env *env, struct idem *im)
{
    struct bc_store *s = env->store;
    if (!im->item) return;
    json_t *cur = NULL;
    if (bc_store_get(s, im->pk, im->sk, &cur) == 0 &&
        strcmp(json_string_value(json_object_get(cur, "booking_id")) ?: "",
               json_string_value(json_object_get(im->item, "booking_id"))) == 0)
        bc_store_delete(s, im->pk, im->sk, NULL);
    json_decref(cur);
}

int bc_booking_create(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_booking_in *in, char *msg,
                      size_t msgsize, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], id[BC_ID_LEN + 1], code[CODE_LEN + 1], now[32];
    char start_iso[BC_TZ_ISO_SIZE], end_iso[BC_TZ_ISO_SIZE], dates[BC_CAL_MAX_DAYS][11];
    int64_t start;
    struct bc_arena arena;
    struct bc_schedule sc = {0};
    struct idem im;
    json_t *item = NULL, *prev = NULL;
    bool reserved = false;
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    int rc = validate_customer(in, msg, msgsize);
    if (rc < 0) return rc;
    if (!in->service_id || !in->start || bc_time_parse_iso(in->start, &start) < 0) {
        snprintf(
            msg, msgsize,
            "service_id and start (ISO 8601 with an offset, e.g. 2026-12-01T09:00:00+01:00) are required");
        return BC_EINVALID;
    }
    bc_id_new(id);
    /* a retry of a request already made gets its booking; a new key is claimed with the booking's writes */
    if ((rc = idem_init(ctx, in, id, &im, msg, msgsize)) < 0) return rc;
    if (im.item && (rc = idem_check(env, ctx, in, &im, msg, msgsize, &prev)) != 0) goto answered;

    bc_arena_init(&arena);
    rc = load_for(env, ctx, in->service_id, in->provider_id, start, in->hold_id, in->staff, &arena, &sc, msg,
                  msgsize);
    if (rc < 0) goto out;
    if (sc.n_pros == 0) {
        snprintf(msg, msgsize, "no professional offers this service");
        rc = BC_ESLOT;
        goto out;
    }
    rc = bc_usage_take(env, ctx->tenant_id, BC_USAGE_BOOKINGS, 1, in->monthly_limit);
    if (rc == BC_EPLAN) snprintf(msg, msgsize, "this business cannot take more bookings this month");
    if (rc < 0) goto out;
    reserved = true;
    size_t order[1000];
    rr_order(env, pk, in->service_id, &sc, order);
    int64_t dur = sc.q.duration_min * 60, bb = sc.q.buffer_before_min * 60, ba = sc.q.buffer_after_min * 60;
    const char *zone = json_string_value(json_object_get(sc.settings, "timezone"));
    bc_tz_format_iso(zone, start, start_iso, sizeof start_iso);
    bc_tz_format_iso(zone, start + dur, end_iso, sizeof end_iso);
    make_code(code);
    bc_now_iso(now);
    rc = BC_ESLOT;
    for (size_t i = 0; i < sc.n_pros && rc == BC_ESLOT; i++) {
        size_t k = order[i];
        json_t *pro = json_array_get(sc.providers, k);
        if ((rc = check_slot(&sc, k, start, msg, msgsize)) < 0) {
            if (rc == BC_EINVALID && sc.n_pros > 1) rc = BC_ESLOT; /* "any": try the next one */
            continue;
        }
        int nd;
        if ((rc = busy_dates(sc.pros[k].zone, start - bb, start + dur + ba, dates, &nd)) < 0) break;
        json_decref(item);
        item =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:O, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:O,"
                      " s:{s:s, s:s?, s:s?}, s:s?, s:s, s:s, s:I}",
                      "PK", pk, "SK", bc_key_sk(sk, "BOOKING", id), "id", id, "code", code, "status",
                      "pending", "service_id", json_object_get(sc.service, "id"), "service_name",
                      json_object_get(sc.service, "name"), "provider_id", sc.pros[k].id, "provider_name",
                      json_object_get(pro, "name"), "start", start_iso, "end", end_iso, "timezone", zone,
                      "start_ts", (json_int_t)start, "end_ts", (json_int_t)(start + dur), "busy_from",
                      (json_int_t)(start - bb), "busy_to", (json_int_t)(start + dur + ba), "duration_min",
                      json_object_get(sc.service, "duration_min"), "customer", "name", in->name, "email",
                      in->email && *in->email ? in->email : NULL, "phone",
                      in->phone && *in->phone ? in->phone : NULL, "notes", in->notes, "source",
                      in->source ? in->source : "widget", "created_at", now, "version", (json_int_t)1);
        if (!item) {
            rc = BC_ENOMEM;
            break;
        }
        json_t *jd = json_array();
        for (int d = 0; d < nd; d++) json_array_append_new(jd, json_string(dates[d]));
        json_object_set_new(item, "cal_dates", jd);
        const char *ptrs[BC_CAL_MAX_DAYS];
        struct bc_cal_entry e = {id, false, start - bb, start + dur + ba, 0, in->service_id};
        if (nd == 1 && !bc_fault_armed(BC_FAULT_BOOKING_BEFORE_COMMIT) &&
            !bc_fault_armed(BC_FAULT_BOOKING_AFTER_COMMIT)) {
            /* the usual case, one date: the key's claim, the pending item, the calendar write that decides
             * and the confirmation in one store batch, in the order of the writes of the other path below
             * (LMDB: one transaction, one sync, all or nothing; a store without atomic batches makes them
             * one after the other, so that a crash leaves what that path would) */
            json_t *conf = json_copy(item), *look = NULL, *entry = NULL; /* shallow: status etc. differ */
            struct bc_write pre[2], post[3];
            size_t np = conf ? finish_writes(pk, conf, "confirmed", post, &look, &entry) : 0;
            for (int attempt = 0; np && attempt < 3; attempt++) {
                size_t npre = 0, failed = SIZE_MAX;
                if (im.item && !im.mine) pre[npre++] = (struct bc_write){im.item, claim_cond, false};
                pre[npre++] = (struct bc_write){item, lazy, false};
                rc = bc_cal_commit_with(env, ctx, sc.pros[k].id, dates[0], &e, in->hold_id, pre, npre, post,
                                        np, &failed);
                if (!(rc == BC_ECONFLICT && failed == 0 && npre == 2)) break;
                /* the key's claim failed: another request's (its answer), or ours from an earlier attempt */
                if ((rc = idem_check(env, ctx, in, &im, msg, msgsize, &prev)) != 0) break;
                rc = BC_ECONFLICT;
            }
            json_decref(look);
            json_decref(entry);
            if (rc == 0) {
                im.mine = true;
                json_decref(item);
                item = conf;
                if (sc.n_pros > 1) rr_note(env, pk, in->service_id, sc.pros[k].id);
            } else {
                json_decref(conf);
            }
            if (rc == 1) break;
            continue;
        }
        if (im.item && !im.mine) {
            rc = bc_store_put(s, im.item, &claim_cond);
            if (rc == BC_ECOND && (rc = idem_check(env, ctx, in, &im, msg, msgsize, &prev)) == 0 && !im.mine)
                rc = BC_ECONFLICT; /* claimed and given back meanwhile */
            if (rc != 0) break;
            im.mine = true;
        }
        if ((rc = bc_store_put(s, item, &lazy)) < 0) break; /* made durable by the commit's sync */
        if (bc_fault_hit(BC_FAULT_BOOKING_BEFORE_COMMIT)) goto crashed;
        rc = bc_cal_commit(env, ctx, sc.pros[k].id, date_ptrs(dates, nd, ptrs), nd, &e, in->hold_id);
        if (rc == 0 && bc_fault_hit(BC_FAULT_BOOKING_AFTER_COMMIT)) goto crashed;
        if (rc == 0) {
            rc = finish(env, pk, item, "confirmed");
            if (rc == 0 && sc.n_pros > 1) rr_note(env, pk, in->service_id, sc.pros[k].id);
        }
    }
    /* taken: maybe by another request with the same key (its answer then) */
    if (rc == BC_ESLOT && im.item && !im.mine) {
        char m2[256] = "";
        int r = idem_check(env, ctx, in, &im, m2, sizeof m2, &prev);
        if (r != 0 && r != BC_ECONFLICT) rc = r;
        if (r == BC_ECONFLICT && m2[0]) {
            rc = r;
            snprintf(msg, msgsize, "%s", m2);
        }
    }
    if (rc == 0) {
        *out = bc_booking_view(ctx, item, true);
    } else if (rc < 0) {
        if (item) bc_store_delete(s, pk, bc_key_sk(sk, "BOOKING", id), NULL);
        if (rc == BC_ESLOT && !msg[0]) snprintf(msg, msgsize, "that time is no longer available");
        if (rc == BC_ECONFLICT && !msg[0]) snprintf(msg, msgsize, "the calendar is busy; try again");
        idem_release(env, &im);
    }
out:
    if (rc != 0 && reserved) bc_usage_add(env, ctx->tenant_id, BC_USAGE_BOOKINGS, -1);
    json_decref(item);
    bc_schedule_release(&sc);
    bc_arena_release(&arena);
answered:
    json_decref(im.item);
    if (rc == 1) { /* a previous identical request's booking */
        *out = bc_booking_view(ctx, prev, true);
        json_decref(prev);
        rc = 0;
    }
    return rc;
crashed:
    /* fault injection: leave everything as a process death at this point would */
    rc = BC_EINTERNAL;
    goto out;
}

int bc_booking_hold(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                    const char *provider_id, const char *start_s, char *msg, size_t msgsize, json_t **out)
{
    char id[BC_ID_LEN + 1], dates[BC_CAL_MAX_DAYS][11], exp_iso[32], start_iso[BC_TZ_ISO_SIZE];
    int64_t start;
    struct bc_arena arena;
    struct bc_schedule sc = {0};
    *out = NULL;
    if (!service_id || !start_s || bc_time_parse_iso(start_s, &start) < 0) {
        snprintf(msg, msgsize, "service_id and start (ISO 8601 with an offset) are required");
        return BC_EINVALID;
    }
    bc_arena_init(&arena);
    int rc = load_for(env, ctx, service_id, provider_id, start, NULL, false, &arena, &sc, msg, msgsize);
    if (rc == 0 && sc.n_pros == 0) rc = BC_ESLOT;
    int64_t minutes =
        json_integer_value(json_object_get(json_object_get(sc.settings, "booking"), "hold_minutes"));
    if (minutes <= 0) minutes = 5;
    int64_t exp = bc_now_s() + minutes * 60;
    bc_id_new(id);
    id[0] = 'H'; /* hold ids are told apart from booking ids at a glance; still key-safe */
    for (size_t k = 0; rc == 0 || rc == BC_ESLOT; k++) {
        if (k >= sc.n_pros) break;
        rc = check_slot(&sc, k, start, msg, msgsize);
        if (rc == BC_EINVALID && sc.n_pros > 1) rc = BC_ESLOT;
        if (rc < 0) continue;
        int64_t from = start - sc.q.buffer_before_min * 60,
                to = start + (sc.q.duration_min + sc.q.buffer_after_min) * 60;
        int nd;
        const char *ptrs[BC_CAL_MAX_DAYS];
        if ((rc = busy_dates(sc.pros[k].zone, from, to, dates, &nd)) < 0) break;
        struct bc_cal_entry e = {id, true, from, to, exp, service_id};
        rc = bc_cal_commit_hold(env, ctx, sc.pros[k].id, date_ptrs(dates, nd, ptrs), nd, &e);
        if (rc == 0) {
            bc_time_format_utc(exp, exp_iso, sizeof exp_iso);
            bc_tz_format_iso(json_string_value(json_object_get(sc.settings, "timezone")), start, start_iso,
                             sizeof start_iso);
            *out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "expires_at", exp_iso, "provider_id",
                             sc.pros[k].id, "service_id", service_id, "start", start_iso);
            break;
        }
    }
    if (rc == BC_ESLOT && !msg[0]) snprintf(msg, msgsize, "that time is no longer available");
    bc_schedule_release(&sc);
    bc_arena_release(&arena);
    return rc;
}

/* A pending booking left behind by a crash: confirmed if its calendar entry exists, failed otherwise. */
static int repair(struct bc_env *env, const struct bc_ctx *ctx, json_t *item)
{
    char pk[BC_KEY_SIZE];
    const char *st = json_string_value(json_object_get(item, "status"));
    if (!st || strcmp(st, "pending") != 0) return 0;
    char created[40];
    int64_t at = 0;
    snprintf(created, sizeof created, "%s", json_string_value(json_object_get(item, "created_at")));
    if (bc_time_parse_iso(created, &at) == 0 && bc_now_s() - at < REPAIR_AFTER_S)
        return 0; /* still in flight */
    bool found = false;
    json_t *d0 = json_array_get(json_object_get(item, "cal_dates"), 0);
    int rc = bc_cal_has(env, ctx, json_string_value(json_object_get(item, "provider_id")),
                        json_string_value(d0), json_string_value(json_object_get(item, "id")), &found);
    if (rc < 0 || !bc_key_tenant_pk(ctx, pk)) return rc;
    return finish(env, pk, item, found ? "confirmed" : "failed");
}

int bc_booking_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    int rc = bc_entity_get(env, ctx, "BOOKING", id, out);
    if (rc == 0) rc = repair(env, ctx, *out);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int bc_booking_by_code(struct bc_env *env, const struct bc_ctx *ctx, const char *code, json_t **out)
{
    char up[16];
    json_t *look = NULL;
    *out = NULL;
    if (!code || strlen(code) != CODE_LEN) return BC_ENOT_FOUND;
    for (int i = 0; i <= CODE_LEN; i++) up[i] = (char)toupper((unsigned char)code[i]);
    int rc = bc_entity_get(env, ctx, "BCODE", up, &look);
    if (rc < 0) return rc;
    rc = bc_booking_get(env, ctx, json_string_value(json_object_get(look, "booking_id")), out);
    json_decref(look);
    return rc;
}

/* The first instant of a tenant-local date, as the BSTART key bound. */
static int day_bound(json_t *settings, const char *date, int plus_days, char *out, size_t size)
{
    int32_t d;
    int64_t t;
    const char *zone = json_string_value(json_object_get(settings, "timezone"));
    if (bc_tz_date_parse(date, &d) < 0 || bc_tz_day_start(zone ? zone : "UTC", d + plus_days, &t) < 0)
        return BC_EINVALID;
    snprintf(out, size, "BSTART#%012lld", (long long)t);
    return 0;
}

int bc_booking_list(struct bc_env *env, const struct bc_ctx *ctx, const char *from, const char *to,
                    const char *provider_id, const char *status, int limit, const char *cursor,
                    json_t **items, char **next_cursor)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], lo[64] = "BSTART#", hi[64] = "BSTART#~";
    json_t *settings = NULL;
    *items = NULL;
    *next_cursor = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    int rc = bc_settings_get(env, ctx, &settings);
    if (rc == 0 && from) rc = day_bound(settings, from, 0, lo, sizeof lo);
    if (rc == 0 && to) rc = day_bound(settings, to, 1, hi, sizeof hi);
    json_decref(settings);
    if (rc < 0) return rc;
    json_t *list = json_array();
    char *cur = cursor ? strdup(cursor) : NULL;
    /* filters drop items, so read pages until the page is full or the range ends */
    while (rc == 0) {
        struct bc_query q = {.pk = pk, .sk_from = lo, .sk_to = hi, .limit = limit, .cursor = cur};
        struct bc_query_result r;
        rc = bc_store_query(s, &q, &r);
        free(cur);
        cur = NULL;
        if (rc < 0) break;
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it)
        {
            const char *pid = json_string_value(json_object_get(it, "provider_id"));
            const char *st = json_string_value(json_object_get(it, "status"));
            if (strcmp(json_string_value(json_object_get(it, "SK")), hi) >= 0) continue;
            if (provider_id && (!pid || strcmp(pid, provider_id) != 0)) continue;
            if (st && strcmp(st, "failed") == 0) continue;
            if (status && (!st || strcmp(st, status) != 0)) continue;
            json_array_append_new(list, bc_booking_view(ctx, it, false));
        }
        cur = r.next_cursor;
        r.next_cursor = NULL;
        bc_query_result_release(&r);
        if (!cur || (int)json_array_size(list) >= limit) break;
    }
    if (rc < 0) {
        free(cur);
        json_decref(list);
        return rc;
    }
    *items = list;
    *next_cursor = cur;
    return 0;
}

static const char *const *item_dates(json_t *item, const char **ptrs, int *n)
{
    json_t *d = json_object_get(item, "cal_dates");
    *n = 0;
    for (size_t i = 0; i < json_array_size(d) && i < BC_CAL_MAX_DAYS; i++)
        ptrs[(*n)++] = json_string_value(json_array_get(d, i));
    return ptrs;
}

/* Customers may change a booking only until cancel_window_min before its start. */
static int customer_window(struct bc_env *env, const struct bc_ctx *ctx, json_t *item, char *msg,
                           size_t msgsize)
{
    json_t *settings = NULL;
    int rc = bc_settings_get(env, ctx, &settings);
    if (rc < 0) return rc;
    int64_t window =
        json_integer_value(json_object_get(json_object_get(settings, "booking"), "cancel_window_min"));
    json_decref(settings);
    if (json_integer_value(json_object_get(item, "start_ts")) - bc_now_s() < window * 60) {
        snprintf(msg, msgsize,
                 "bookings can be changed online until %lld minutes before they start; please call "
                 "the business",
                 (long long)window);
        return BC_ECONFLICT;
    }
    return 0;
}

static int update_item(struct bc_env *env, json_t *item, json_t *set, json_t **out)
{
    struct bc_store *s = env->store;
    char now[32];
    bc_now_iso(now);
    json_object_set_new(set, "updated_at", json_string(now));
    struct bc_update u = {set, NULL, NULL};
    json_t *add = json_pack("{s:i}", "version", 1);
    u.add = add;
    struct bc_cond c = {BC_COND_VERSION, bc__store_version(item)};
    int rc = bc_store_update(s, json_string_value(json_object_get(item, "PK")),
                             json_string_value(json_object_get(item, "SK")), &u, &c, out);
    json_decref(add);
    json_decref(set);
    return rc == BC_ECOND ? BC_ECONFLICT : rc;
}

int bc_booking_cancel(struct bc_env *env, const struct bc_ctx *ctx, const char *id, bool by_customer,
                      char *msg, size_t msgsize, json_t **out)
{
    json_t *item = NULL, *updated = NULL;
    char now[32];
    *out = NULL;
    int rc = bc_booking_get(env, ctx, id, &item);
    if (rc < 0) return rc;
    const char *st = json_string_value(json_object_get(item, "status"));
    if (!st || strcmp(st, "confirmed") != 0) {
        snprintf(msg, msgsize, "this booking is %s", st ? st : "not active");
        rc = BC_ECONFLICT;
    }
    if (rc == 0 && by_customer) rc = customer_window(env, ctx, item, msg, msgsize);
    if (rc == 0) {
        bc_now_iso(now);
        rc = update_item(env, item,
                         json_pack("{s:s, s:s, s:s}", "status", "cancelled", "cancelled_at", now,
                                   "cancelled_by", by_customer ? "customer" : "staff"),
                         &updated);
    }
    if (rc == 0) {
        const char *ptrs[BC_CAL_MAX_DAYS];
        int nd;
        item_dates(updated, ptrs, &nd);
        rc =
            bc_cal_remove(env, ctx, json_string_value(json_object_get(updated, "provider_id")), ptrs, nd, id);
        if (rc == 0) rc = relist(env, updated);
        if (rc == 0) bc_usage_add(env, ctx->tenant_id, BC_USAGE_CANCELLATIONS, 1);
    }
    if (rc == 0) *out = json_incref(updated);
    json_decref(updated);
    json_decref(item);
    return rc;
}

int bc_booking_reschedule(struct bc_env *env, const struct bc_ctx *ctx, const char *id, const char *new_start,
                          const char *new_provider, bool by_customer, char *msg, size_t msgsize, json_t **out)
{
    struct bc_store *s = env->store;
    json_t *item = NULL, *updated = NULL;
    int64_t start;
    struct bc_arena arena;
    struct bc_schedule sc = {0};
    char dates[BC_CAL_MAX_DAYS][11], start_iso[BC_TZ_ISO_SIZE], end_iso[BC_TZ_ISO_SIZE];
    *out = NULL;
    if (!new_start || bc_time_parse_iso(new_start, &start) < 0) {
        snprintf(msg, msgsize, "start must be ISO 8601 with an offset");
        return BC_EINVALID;
    }
    int rc = bc_booking_get(env, ctx, id, &item);
    if (rc < 0) return rc;
    const char *st = json_string_value(json_object_get(item, "status"));
    if (!st || strcmp(st, "confirmed") != 0) {
        snprintf(msg, msgsize, "this booking is %s", st ? st : "not active");
        json_decref(item);
        return BC_ECONFLICT;
    }
    if (by_customer && (rc = customer_window(env, ctx, item, msg, msgsize)) < 0) {
        json_decref(item);
        return rc;
    }
    const char *old_pro = json_string_value(json_object_get(item, "provider_id"));
    const char *pro_id = new_provider && *new_provider ? new_provider : old_pro;
    bc_arena_init(&arena);
    /* the booking's own entry does not block its new time */
    rc = load_for(env, ctx, json_string_value(json_object_get(item, "service_id")), pro_id, start, id,
                  !by_customer, &arena, &sc, msg, msgsize);
    if (rc == 0 && sc.n_pros != 1) rc = BC_EINVALID;
    if (rc == 0) rc = check_slot(&sc, 0, start, msg, msgsize);
    int nd = 0;
    int64_t dur = sc.q.duration_min * 60, bb = sc.q.buffer_before_min * 60, ba = sc.q.buffer_after_min * 60;
    if (rc == 0) rc = busy_dates(sc.pros[0].zone, start - bb, start + dur + ba, dates, &nd);
    if (rc == 0) {
        const char *ptrs[BC_CAL_MAX_DAYS];
        struct bc_cal_entry e = {id,         false,
                                 start - bb, start + dur + ba,
                                 0,          json_string_value(json_object_get(item, "service_id"))};
        /* same professional: the old entry goes in the same write on dates both share */
        rc = bc_cal_commit(env, ctx, pro_id, date_ptrs(dates, nd, ptrs), nd, &e,
                           strcmp(pro_id, old_pro) == 0 ? id : NULL);
    }
    if (rc == 0) {
        /* now free the old entry on the dates the new placement does not share */
        const char *optrs[BC_CAL_MAX_DAYS], *rm[BC_CAL_MAX_DAYS];
        int ond, nrm = 0;
        item_dates(item, optrs, &ond);
        for (int i = 0; i < ond; i++) {
            bool shared = false; /* already replaced in the commit's own write */
            for (int j = 0; j < nd; j++)
                shared |= strcmp(pro_id, old_pro) == 0 && strcmp(optrs[i], dates[j]) == 0;
            if (!shared) rm[nrm++] = optrs[i];
        }
        bc_cal_remove(env, ctx, old_pro, rm, nrm, id);
        const char *zone = json_string_value(json_object_get(sc.settings, "timezone"));
        bc_tz_format_iso(zone, start, start_iso, sizeof start_iso);
        bc_tz_format_iso(zone, start + dur, end_iso, sizeof end_iso);
        json_t *jd = json_array();
        for (int d = 0; d < nd; d++) json_array_append_new(jd, json_string(dates[d]));
        char *old_bsk = bstart_sk(item);
        json_t *hist = json_copy(json_object_get(item, "history"));
        if (!json_is_array(hist)) {
            json_decref(hist);
            hist = json_array();
        }
        json_array_append_new(hist, json_pack("{s:O, s:O, s:s}", "start", json_object_get(item, "start"),
                                              "provider_id", json_object_get(item, "provider_id"), "by",
                                              by_customer ? "customer" : "staff"));
        rc = update_item(env, item,
                         json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:s, s:O, s:o}", "start", start_iso,
                                   "end", end_iso, "start_ts", (json_int_t)start, "end_ts",
                                   (json_int_t)(start + dur), "busy_from", (json_int_t)(start - bb),
                                   "busy_to", (json_int_t)(start + dur + ba), "cal_dates", jd, "provider_id",
                                   pro_id, "provider_name",
                                   json_object_get(json_array_get(sc.providers, 0), "name"), "history", hist),
                         &updated);
        if (rc == 0 && old_bsk) {
            bc_store_delete(s, json_string_value(json_object_get(item, "PK")), old_bsk, NULL);
            rc = relist(env, updated);
        }
        free(old_bsk);
    }
    if (rc == BC_ESLOT && !msg[0]) snprintf(msg, msgsize, "that time is no longer available");
    if (rc == 0) *out = json_incref(updated);
    json_decref(updated);
    json_decref(item);
    bc_schedule_release(&sc);
    bc_arena_release(&arena);
    return rc;
}

int bc_booking_set_status(struct bc_env *env, const struct bc_ctx *ctx, const char *id, const char *status,
                          char *msg, size_t msgsize, json_t **out)
{
    json_t *item = NULL, *updated = NULL;
    *out = NULL;
    if (!status || (strcmp(status, "confirmed") && strcmp(status, "cancelled") &&
                    strcmp(status, "completed") && strcmp(status, "no_show"))) {
        snprintf(msg, msgsize, "status must be confirmed, cancelled, completed or no_show");
        return BC_EINVALID;
    }
    if (strcmp(status, "cancelled") == 0) return bc_booking_cancel(env, ctx, id, false, msg, msgsize, out);
    int rc = bc_booking_get(env, ctx, id, &item);
    if (rc < 0) return rc;
    const char *cur = json_string_value(json_object_get(item, "status"));
    if (strcmp(cur, "cancelled") == 0 || strcmp(cur, "failed") == 0) {
        /* a cancelled booking comes back only if its slot is still free */
        if (strcmp(status, "confirmed") != 0 || strcmp(cur, "failed") == 0) {
            snprintf(msg, msgsize, "a %s booking can only be confirmed again", cur);
            rc = BC_ECONFLICT;
        } else {
            const char *ptrs[BC_CAL_MAX_DAYS];
            int nd;
            item_dates(item, ptrs, &nd);
            struct bc_cal_entry e = {id,
                                     false,
                                     json_integer_value(json_object_get(item, "busy_from")),
                                     json_integer_value(json_object_get(item, "busy_to")),
                                     0,
                                     json_string_value(json_object_get(item, "service_id"))};
            rc = bc_cal_commit(env, ctx, json_string_value(json_object_get(item, "provider_id")), ptrs, nd,
                               &e, NULL);
            if (rc == BC_ESLOT)
                snprintf(msg, msgsize, "that time has been taken since the booking was cancelled");
        }
    }
    if (rc == 0) rc = update_item(env, item, json_pack("{s:s}", "status", status), &updated);
    if (rc == 0) rc = relist(env, updated);
    if (rc == 0) *out = json_incref(updated);
    json_decref(updated);
    json_decref(item);
    return rc;
}

char *bc_booking_ics(struct bc_env *env, const struct bc_ctx *ctx, json_t *item)
{
    json_t *settings = NULL;
    if (bc_settings_get(env, ctx, &settings) < 0) return NULL;
    json_t *biz = json_object_get(settings, "business");
    const char *bname = json_string_value(json_object_get(biz, "name"));
    char uid[96], summary[300], desc[400];
    snprintf(uid, sizeof uid, "%s@bookchat", json_string_value(json_object_get(item, "id")));
    snprintf(summary, sizeof summary, "%s — %s", json_string_value(json_object_get(item, "service_name")),
             bname ? bname : "");
    snprintf(desc, sizeof desc, "%s: %s\n%s", "Code", json_string_value(json_object_get(item, "code")),
             json_string_value(json_object_get(item, "provider_name"))
                 ? json_string_value(json_object_get(item, "provider_name"))
                 : "");
    struct bc_ics_event ev = {
        .uid = uid,
        .start = json_integer_value(json_object_get(item, "start_ts")),
        .end = json_integer_value(json_object_get(item, "end_ts")),
        .stamp = bc_now_s(),
        .summary = summary,
        .location = json_string_value(json_object_get(biz, "address")),
        .description = desc,
        .organizer = bname,
        .cancelled = strcmp(json_string_value(json_object_get(item, "status")), "cancelled") == 0,
    };
    char *ics = bc_ics_render(&ev);
    json_decref(settings);
    return ics;
}
