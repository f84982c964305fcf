/* Bookings as they are read: the look-ups (by id, repaired when a crash left them pending; by code), the
 * listing by start, the API view, the customer's manage token and the iCalendar document. */
#include "domain/booking.h"
#include "domain/fields.h"
#include "domain/booking_internal.h"
#include "domain/env.h"
#include "auth/secret.h"
#include "domain/calendar.h"
#include "domain/claim.h"
#include "domain/entity.h"
#include "domain/ics.h"
#include "domain/keys.h"
#include "domain/settings.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/tz.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPAIR_AFTER_S 60

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

/* A phone number as its digits, "+" first when it is international: "+34 612-345-678" and
 * "0034 612 345 678" are both "+34612345678", "612 345 678" is "612345678". False when it does not fit. */
static bool phone_norm(const char *s, char *out, size_t size)
{
    size_t n = 0;
    while (*s == ' ' || *s == '(') s++;
    if (*s == '+') out[n++] = '+';
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s)) continue;
        if (n + 1 >= size) return false;
        out[n++] = *s;
    }
    out[n] = '\0';
    if (out[0] != '+' && strncmp(out, "00", 2) == 0) {
        out[0] = '+';
        memmove(out + 1, out + 2, n - 1); /* "00" is the international prefix */
    }
    return true;
}

/* The length of the E.164 country code that starts the digits d: 1 for zone 1 and 7, 2 for the two-digit
 * codes, 3 for every other. */
static size_t country_code_len(const char *d)
{
    static const char two[] = "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
                              "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98";
    if (d[0] == '1' || d[0] == '7') return 1;
    for (const char *p = two; *p; p += 3)
        if (p[0] == d[0] && p[1] == d[1]) return 2;
    return 3;
}

bool bc_phone_same(const char *a, const char *b)
{
    char x[40], y[40];
    if (!a || !b || !phone_norm(a, x, sizeof x) || !phone_norm(b, y, sizeof y)) return false;
    if (strlen(x + (x[0] == '+')) < 6 || strlen(y + (y[0] == '+')) < 6) return false;
    if (strcmp(x, y) == 0) return true;
    if ((x[0] == '+') == (y[0] == '+')) return false;
    /* one international, one national: the national number (with or without its trunk 0) must be all of
     * the international one after its country code */
    const char *intl = x[0] == '+' ? x + 1 : y + 1, *nat = x[0] == '+' ? y : x;
    size_t cc = country_code_len(intl);
    if (strlen(intl) <= cc) return false;
    return strcmp(intl + cc, nat) == 0 || (nat[0] == '0' && strcmp(intl + cc, nat + 1) == 0);
}

bool bc_booking_customer_matches(json_t *item, const char *email, const char *phone)
{
    json_t *c = json_object_get(item, "customer");
    const char *e = json_string_value(json_object_get(c, "email")),
               *p = json_string_value(json_object_get(c, "phone"));
    if (email && *email && e && strcasecmp(email, e) == 0) return true;
    return phone && *phone && bc_phone_same(phone, p);
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

int bc_booking_manage_check(json_t *item)
{
    int64_t end = json_integer_value(json_object_get(item, "end_ts"));
    if (!end && bc_time_parse_iso(json_string_value(json_object_get(item, "end")), &end) < 0)
        return BC_ETOKEN_EXPIRED; /* no end to count from: nothing to manage */
    return bc_now_s() > end + (int64_t)BC_MANAGE_TOKEN_DAYS * 86400 ? BC_ETOKEN_EXPIRED : 0;
}

void bc_booking_card_secrets(const char *tenant_id, json_t *card, const char *public_url)
{
    const char *id = json_string_value(json_object_get(card, "id"));
    char *t = id ? bc_booking_manage_token(tenant_id, id) : NULL;
    if (!t) return;
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "%s/v1/manage/booking.ics?token=%s", public_url ? public_url : "", t);
    char *ics = bc_buf_detach(&b, NULL);
    json_object_set_new(card, "manage_token", json_string(t));
    json_object_set_new(card, "ics_url", json_string(ics ? ics : ""));
    free(ics);
    free(t);
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

/* A pending booking of the claim protocol left behind by a crash (claim.h): once its claims have expired it
 * is aborted (never confirmed here: only its booker, holding every claim, may decide that) and its claims
 * released; *item is then the stored item. */
static int repair_claimed(struct bc_env *env, const struct bc_ctx *ctx, json_t *item)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    const char *id = bc_field_str(item, BC_F_ID);
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, "BOOKING", id)) return BC_EINVALID;
    int r = bc__claim_resolve(env, pk, id, true);
    if (r < 0) return r;
    json_t *now = NULL;
    if ((r = bc_store_get(env->store, pk, sk, &now)) < 0) return r;
    const char *st = bc_field_str(now, BC_F_STATUS);
    if (st && strcmp(st, "failed") == 0) bc_claim_release(env, ctx, now);
    json_object_update(item, now);
    json_decref(now);
    return 0;
}

/* A pending booking left behind by a crash: confirmed if its calendar entry exists, failed otherwise. */
static int repair(struct bc_env *env, const struct bc_ctx *ctx, json_t *item)
{
    char pk[BC_KEY_SIZE];
    const char *st = bc_field_str(item, BC_F_STATUS);
    if (!st || strcmp(st, "pending") != 0) return 0;
    char created[40];
    int64_t at = 0;
    snprintf(created, sizeof created, "%s", json_string_value(json_object_get(item, "created_at")));
    if (bc_time_parse_iso(created, &at) == 0 && bc_now_s() - at < REPAIR_AFTER_S)
        return 0; /* still in flight */
    if (bc_claim_is(item)) return repair_claimed(env, ctx, item);
    bool found = false;
    json_t *d0 = json_array_get(json_object_get(item, "cal_dates"), 0);
    int rc = bc_cal_has(env, ctx, bc_field_str(item, BC_F_PROVIDER), json_string_value(d0),
                        json_string_value(json_object_get(item, "id")), &found);
    if (rc < 0 || !bc_key_tenant_pk(ctx, pk)) return rc;
    return bc__booking_finish(env, pk, item, found ? "confirmed" : "failed");
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
    if (!code || strlen(code) != BC_BOOKING_CODE_LEN) return BC_ENOT_FOUND;
    for (int i = 0; i <= BC_BOOKING_CODE_LEN; i++) up[i] = (char)toupper((unsigned char)code[i]);
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
    const char *zone = bc_settings_zone(settings);
    if (bc_tz_date_parse(date, &d) < 0 || bc_tz_day_start(zone ? zone : "UTC", d + plus_days, &t) < 0)
        return BC_EINVALID;
    snprintf(out, size, "BSTART#%012lld", (long long)t);
    return 0;
}

static int list_bookings(struct bc_env *env, const struct bc_ctx *ctx, const char *from, const char *to,
                         const char *provider_id, const char *status, int limit, const char *cursor, bool raw,
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
            json_array_append_new(list, raw ? json_incref(it) : bc_booking_view(ctx, it, false));
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

int bc_booking_list(struct bc_env *env, const struct bc_ctx *ctx, const char *from, const char *to,
                    const char *provider_id, const char *status, int limit, const char *cursor,
                    json_t **items, char **next_cursor)
{
    return list_bookings(env, ctx, from, to, provider_id, status, limit, cursor, false, items, next_cursor);
}

int bc_booking_list_items(struct bc_env *env, const struct bc_ctx *ctx, const char *from, const char *to,
                          const char *provider_id, int limit, const char *cursor, json_t **items,
                          char **next_cursor)
{
    return list_bookings(env, ctx, from, to, provider_id, NULL, limit, cursor, true, items, next_cursor);
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
    snprintf(desc, sizeof desc, "%s: %s\n%s", "Code", bc_field_str(item, BC_F_CODE),
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
        .cancelled = strcmp(bc_field_str(item, BC_F_STATUS), "cancelled") == 0,
    };
    char *ics = bc_ics_render(&ev);
    json_decref(settings);
    return ics;
}
