/* The waitlist (waitlist.h): joining, the staff's list, offers of freed times (a hold, the outbox, the open
 * chat), accepting an offer, and the expiry worker that passes a silent offer to the next entry. */
#include "domain/waitlist.h"
#include "auth/secret.h"
#include "domain/availability.h"
#include "domain/booking.h"
#include "domain/calendar.h"
#include "domain/conversation.h"
#include "domain/entity.h"
#include "domain/env.h"
#include "domain/fields.h"
#include "domain/keys.h"
#include "domain/outbox.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/user.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/log.h"
#include "util/tz.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUEUE_PK       "WAITQ"
#define TIMER_LEASE_S  30
#define KEEP_AFTER_S   (2 * 86400) /* entries, look-ups and timers live until two days after their date */
#define ACCEPT_STALE_S 120         /* an "accepting" claim older than this was left by a crash */
#define DATE_ENTRIES   1000        /* most entries read for one date */

/* ---- pure parts ---- */

int bc_waitlist_window(const char *from, const char *to, int *from_min, int *to_min)
{
    if (!from && !to) {
        *from_min = 0;
        *to_min = 1440;
        return 0;
    }
    if (!from || !to || bc_tz_hhmm_parse(from, 0, from_min) < 0 || bc_tz_hhmm_parse(to, 1, to_min) < 0 ||
        *from_min >= *to_min)
        return BC_EINVALID;
    return 0;
}

bool bc_waitlist_matches(const struct bc_waitlist_want *w, const char *service_id, const char *provider_id,
                         int start_min, int end_min)
{
    if (!w->service_id || !service_id || strcmp(w->service_id, service_id) != 0) return false;
    if (w->provider_id && (!provider_id || strcmp(w->provider_id, provider_id) != 0)) return false;
    return start_min >= w->from_min && end_min <= w->to_min && start_min < end_min;
}

/* ---- keys and views ---- */

static const char *entry_sk(char *buf, const char *date, const char *id)
{
    return bc_key_sk2(buf, "WAIT", date, id);
}

static const char *timer_sk(char *buf, int64_t due, const char *tenant_id, const char *id)
{
    if (!bc_key_id_ok(tenant_id) || !bc_key_id_ok(id) || due < 0) return NULL;
    snprintf(buf, BC_KEY_SIZE, "%011lld#%s#%s", (long long)due, tenant_id, id);
    return buf;
}

static int64_t ttl_of(const char *date)
{
    int32_t day = 0;
    bc_tz_date_parse(date, &day);
    return (int64_t)(day + 1) * 86400 + KEEP_AFTER_S;
}

json_t *bc_waitlist_view(const json_t *item)
{
    static const char *const keys[] = {"id",     "status",     "service_id", "service_name", "provider_id",
                                       "date",   "window",     "customer",   "source",       "created_at",
                                       "offers", "booking_id", "lang"};
    json_t *v = json_object();
    for (size_t i = 0; v && i < sizeof keys / sizeof *keys; i++) {
        json_t *x = json_object_get(item, keys[i]);
        if (x) json_object_set(v, keys[i], x);
    }
    const json_t *o = json_object_get(item, "offer");
    if (v && o) {
        json_t *ov = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "start", json_object_get(o, "start"), "end",
                               json_object_get(o, "end"), "provider_id", json_object_get(o, "provider_id"),
                               "provider_name", json_object_get(o, "provider_name"), "expires_at",
                               json_object_get(o, "expires_at"));
        json_object_set_new(v, "offer", ov);
    }
    return v;
}

/* ---- tokens ---- */

static void token_mac(const char *tenant_id, const char *entry_id, const char *hold_id, char out[32])
{
    char data[200], mac_hex[65];
    unsigned char mac[16];
    snprintf(data, sizeof data, "%s|%s|%s", tenant_id, entry_id, hold_id);
    bc_secret_hmac_hex("waitlist", data, strlen(data), mac_hex);
    sodium_hex2bin(mac, sizeof mac, mac_hex, 32, NULL, NULL, NULL);
    bc_b64url_encode(mac, sizeof mac, out);
}

char *bc_waitlist_token(const char *tenant_id, const char *entry_id, const char *hold_id)
{
    char m64[32], t64[96];
    if (!tenant_id || !entry_id || !hold_id || strlen(tenant_id) > 64) return NULL;
    token_mac(tenant_id, entry_id, hold_id, m64);
    bc_b64url_encode(tenant_id, strlen(tenant_id), t64);
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "%s.%s", t64, m64);
    return bc_buf_detach(&b, NULL);
}

int bc_waitlist_token_tenant(const char *token, char *tenant, size_t size)
{
    const char *dot = token && strlen(token) <= 200 ? strchr(token, '.') : NULL;
    if (!dot || size < 2) return BC_EUNAUTHORIZED;
    int n = bc_b64url_decode(token, (size_t)(dot - token), tenant, size - 1);
    if (n <= 0) return BC_EUNAUTHORIZED;
    tenant[n] = '\0';
    return bc_key_id_ok(tenant) ? 0 : BC_EUNAUTHORIZED;
}

/* True when token is the one of the entry's current offer (constant-time). */
static bool token_ok(const char *token, const char *tenant_id, const json_t *entry)
{
    const char *hold = bc_field_str(json_object_get(entry, "offer"), "hold_id");
    char *want = hold ? bc_waitlist_token(tenant_id, bc_field_str(entry, BC_F_ID), hold) : NULL;
    bool ok = want && token && strlen(want) == strlen(token) && sodium_memcmp(want, token, strlen(want)) == 0;
    free(want);
    return ok;
}

/* ---- reading entries ---- */

int bc_waitlist_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    json_t *ptr = NULL;
    *out = NULL;
    if (!id || !bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, "WAITID", id)) return BC_ENOT_FOUND;
    int rc = bc_store_get(env->store, pk, sk, &ptr);
    const char *date = rc == 0 ? bc_field_str(ptr, "date") : NULL;
    if (rc == 0 && (!date || !entry_sk(sk, date, id))) rc = BC_ENOT_FOUND;
    if (rc == 0) rc = bc_store_get(env->store, pk, sk, out);
    json_decref(ptr);
    return rc;
}

/* The entries of one date (stored items, in joining order). */
static int date_entries(struct bc_env *env, const struct bc_ctx *ctx, const char *date, json_t **items)
{
    char pk[BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    *items = NULL;
    int32_t day;
    if (!date || bc_tz_date_parse(date, &day) < 0) return BC_EINVALID;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    snprintf(prefix, sizeof prefix, "WAIT#%s#", date);
    struct bc_query q = {.pk = pk, .sk_prefix = prefix, .limit = DATE_ENTRIES};
    struct bc_query_result res = {0};
    int rc = bc_store_query(env->store, &q, &res);
    if (rc < 0) return rc;
    *items = json_incref(res.items);
    bc_query_result_release(&res);
    return 0;
}

int bc_waitlist_list(struct bc_env *env, const struct bc_ctx *ctx, const char *date, json_t **items)
{
    json_t *all = NULL;
    int rc = date_entries(env, ctx, date, &all);
    if (rc < 0) return rc;
    *items = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(all, i, it) json_array_append_new(*items, bc_waitlist_view(it));
    json_decref(all);
    return 0;
}

static bool status_is(const json_t *entry, const char *status)
{
    const char *st = bc_field_str(entry, BC_F_STATUS);
    return st && strcmp(st, status) == 0;
}

/* A version-checked update of an entry: set (stolen), version + 1. BC_ECONFLICT when it changed. */
static int entry_update(struct bc_env *env, const json_t *entry, json_t *set, json_t **out)
{
    char now[32];
    bc_now_iso(now);
    json_object_set_new(set, "updated_at", json_string(now));
    json_t *add = json_pack("{s:i}", "version", 1);
    struct bc_update u = {set, add, NULL};
    struct bc_cond c = {BC_COND_VERSION, json_integer_value(json_object_get(entry, "version")), false};
    int rc = bc_store_update(env->store, bc_field_str(entry, "PK"), bc_field_str(entry, "SK"), &u, &c, out);
    json_decref(add);
    json_decref(set);
    return rc == BC_ECOND ? BC_ECONFLICT : rc;
}

/* ---- joining ---- */

static int check_join(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_waitlist_in *in,
                      const json_t *settings, int *from_min, int *to_min, char *msg, size_t msgsize)
{
    int32_t day, today;
    struct bc_tz_local l;
    const char *zone = bc_settings_zone(settings) ?: "UTC";
    if (!in->service_id || !bc_key_id_ok(in->service_id)) {
        snprintf(msg, msgsize, "service_id is required");
        return BC_EINVALID;
    }
    if (!in->date || bc_tz_date_parse(in->date, &day) < 0) {
        snprintf(msg, msgsize, "date must be a date (YYYY-MM-DD)");
        return BC_EINVALID;
    }
    int64_t ahead =
        json_integer_value(json_object_get(json_object_get(settings, "booking"), "max_days_ahead"));
    if (bc_tz_from_utc(zone, bc_now_s(), &l) < 0) return BC_EINTERNAL;
    today = l.day;
    if (day < today || day > today + (ahead > 0 ? ahead : 60)) {
        snprintf(msg, msgsize, "date must be between today and %lld days ahead",
                 (long long)(ahead > 0 ? ahead : 60));
        return BC_EINVALID;
    }
    if (bc_waitlist_window(in->from, in->to, from_min, to_min) < 0) {
        snprintf(msg, msgsize, "window must be {\"from\":\"HH:MM\",\"to\":\"HH:MM\"} with from before to");
        return BC_EINVALID;
    }
    if (!in->name || bc_json_check_string(in->name, 1, 120, 0) < 0) {
        snprintf(msg, msgsize,
                 "the customer's name is required (1 to 120 characters, " BC_JSON_PLAIN_TEXT ")");
        return BC_EINVALID;
    }
    bool has_email = in->email && *in->email, has_phone = in->phone && *in->phone;
    if ((has_email && !bc_email_valid(in->email)) || (has_phone && !bc_phone_valid(in->phone))) {
        snprintf(msg, msgsize, "the %s is not valid",
                 has_email && !bc_email_valid(in->email) ? "e-mail address" : "phone number");
        return BC_EINVALID;
    }
    if (!has_email && !has_phone) {
        snprintf(msg, msgsize, "an e-mail address or a phone number is required");
        return BC_EINVALID;
    }
    const json_t *svc = NULL, *pro = NULL;
    int rc = bc_entity_get_ro(env, ctx, "SERVICE", in->service_id, &svc);
    if (rc == 0 && json_is_false(json_object_get(svc, "active"))) rc = BC_ENOT_FOUND;
    if (rc == BC_ENOT_FOUND) snprintf(msg, msgsize, "unknown service");
    if (rc == 0 && in->provider_id) {
        if (!bc_key_id_ok(in->provider_id) ||
            (rc = bc_entity_get_ro(env, ctx, "PROVIDER", in->provider_id, &pro)) == BC_ENOT_FOUND ||
            json_is_false(json_object_get(pro, "active"))) {
            rc = BC_ENOT_FOUND;
            snprintf(msg, msgsize, "unknown professional");
        } else if (rc == 0) {
            bool offers = false;
            size_t i;
            json_t *v;
            json_array_foreach(json_object_get(pro, "service_ids"), i, v) offers |=
                json_is_string(v) && strcmp(json_string_value(v), in->service_id) == 0;
            if (!offers) {
                snprintf(msg, msgsize, "this professional does not offer this service");
                rc = BC_EINVALID;
            }
        }
    }
    bc_json_release(svc);
    bc_json_release(pro);
    return rc;
}

/* The caps: waiting entries of the date, and entries of one contact on it (the same service twice is a
 * conflict, not a second place in the line). */
static int check_caps(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_waitlist_in *in,
                      char *msg, size_t msgsize)
{
    json_t *all = NULL;
    int rc = date_entries(env, ctx, in->date, &all);
    if (rc < 0) return rc;
    size_t i, open = 0, mine = 0;
    json_t *it;
    json_array_foreach(all, i, it)
    {
        if (!status_is(it, "waiting") && !status_is(it, "offered")) continue;
        open++;
        const json_t *c = json_object_get(it, BC_F_CUSTOMER);
        const char *e = bc_field_str(c, "email"), *p = bc_field_str(c, "phone");
        bool same = (in->email && *in->email && e && strcasecmp(e, in->email) == 0) ||
                    (in->phone && *in->phone && p && bc_phone_same(p, in->phone));
        if (!same) continue;
        mine++;
        if (strcmp(bc_field_str(it, BC_F_SERVICE) ?: "", in->service_id) == 0 && rc == 0) {
            snprintf(msg, msgsize, "this customer is already on the waitlist for this service on that date");
            rc = BC_ECONFLICT;
        }
    }
    json_decref(all);
    if (rc == 0 && open >= BC_WAITLIST_DAY_MAX) {
        snprintf(msg, msgsize, "the waitlist of that date is full");
        rc = BC_EPLAN;
    }
    if (rc == 0 && mine >= BC_WAITLIST_CONTACT_DAY_MAX) {
        snprintf(msg, msgsize, "this customer is on the waitlist of that date too often already");
        rc = BC_EPLAN;
    }
    return rc;
}

int bc_waitlist_join(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_waitlist_in *in, char *msg,
                     size_t msgsize, json_t **out)
{
    json_t *settings = NULL, *entry = NULL, *ptr = NULL;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], psk[BC_KEY_SIZE], id[BC_ID_LEN + 1], now[32];
    int from_min = 0, to_min = 1440;
    struct bc_waitlist_in any = *in; /* "any" professional is no professional named */
    if (any.provider_id && strcmp(any.provider_id, "any") == 0) any.provider_id = NULL;
    in = &any;
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    int rc = bc_settings_get(env, ctx, &settings);
    if (rc == 0) rc = check_join(env, ctx, in, settings, &from_min, &to_min, msg, msgsize);
    if (rc == 0) rc = check_caps(env, ctx, in, msg, msgsize);
    const json_t *svc = NULL;
    if (rc == 0) rc = bc_entity_get_ro(env, ctx, "SERVICE", in->service_id, &svc);
    if (rc == 0) {
        bc_id_new(id);
        bc_now_iso(now);
        json_int_t ttl = (json_int_t)ttl_of(in->date);
        entry = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:O, s:s?, s:s, s:n, s:{s:s, s:s?, s:s?}, s:s, s:s?, s:s?,"
            " s:s, s:i, s:I, s:I}",
            "PK", pk, "SK", entry_sk(sk, in->date, id), "id", id, "status", "waiting", "service_id",
            in->service_id, "service_name", json_object_get(svc, BC_F_NAME), "provider_id", in->provider_id,
            "date", in->date, "window", "customer", "name", in->name, "email",
            in->email && *in->email ? in->email : NULL, "phone", in->phone && *in->phone ? in->phone : NULL,
            "source", in->source ? in->source : "widget", "lang", in->lang, "conv_id", in->conv_id,
            "created_at", now, "offers", 0, "version", (json_int_t)1, "ttl", ttl);
        if (entry && in->from) {
            char f[6], t[6];
            bc_tz_hhmm_format(from_min, f);
            bc_tz_hhmm_format(to_min, t);
            json_object_set_new(entry, "window", json_pack("{s:s, s:s}", "from", f, "to", t));
        }
        ptr = json_pack("{s:s, s:s, s:s, s:I}", "PK", pk, "SK", bc_key_sk(psk, "WAITID", id), "date",
                        in->date, "ttl", ttl);
        if (!entry || !ptr) rc = BC_ENOMEM;
    }
    bc_json_release(svc);
    if (rc == 0) {
        /* the look-up first: an entry is never there without it */
        const struct bc_cond fresh = {BC_COND_NOT_EXISTS, 0, false};
        struct bc_write w[2] = {{ptr, fresh, false}, {entry, fresh, false}};
        rc = bc_store_put_batch(env->store, w, 2, NULL);
    }
    if (rc == 0) *out = bc_waitlist_view(entry);
    json_decref(entry);
    json_decref(ptr);
    json_decref(settings);
    return rc;
}

/* ---- offers ---- */

/* The chat line of an offer, in the conversation the entry came from while it is still open, with the
 * accept page's path under "waitlist_offer" (the widget makes it a button on its own server's address).
 * Best effort: the e-mail and the webhook are the reliable channels. */
static void tell_chat(struct bc_env *env, const struct bc_ctx *ctx, const json_t *entry, const char *path,
                      const char *when)
{
    const char *cid = bc_field_str(entry, "conv_id");
    if (!cid) return;
    bool es = strncmp(bc_field_str(entry, "lang") ?: "", "es", 2) == 0;
    char text[1600];
    snprintf(text, sizeof text,
             es ? "¡Buenas noticias! Se ha liberado una hora de la lista de espera: %s. Te la guardamos "
                  "unos minutos; para reservarla, pulsa «Reservar esta hora»."
                : "Good news! A time has freed up from the waitlist: %s. It is held for you for a few "
                  "minutes; to book it, press \"Book this time\".",
             when);
    for (int attempt = 0; attempt < 3; attempt++) {
        json_t *conv = NULL;
        if (bc_conv_get(env, ctx, cid, &conv) < 0) return;
        const char *st = bc_field_str(conv, BC_F_STATUS) ?: "";
        if (strcmp(st, "closed") == 0 || strcmp(st, "expired") == 0) {
            json_decref(conv);
            return;
        }
        json_t *m = json_pack("{s:s, s:{s:s, s:s}}", "text", text, "waitlist_offer", "id",
                              bc_field_str(entry, BC_F_ID), "path", path);
        int rc = m ? bc_conv_add_message(env, conv, "assistant", m) : BC_ENOMEM;
        if (rc == 0) rc = bc_conv_save(env, conv);
        json_decref(m);
        json_decref(conv);
        if (rc != BC_ECONFLICT) return;
    }
}

static int offer_minutes(const json_t *settings)
{
    int64_t m =
        json_integer_value(json_object_get(json_object_get(settings, "booking"), "waitlist_offer_min"));
    return m > 0 ? (int)m : BC_WAITLIST_OFFER_MIN_DEFAULT;
}

char *bc_waitlist_accept_url(const char *base, const char *tenant_id, const char *entry_id,
                             const char *hold_id)
{
    char *tok = bc_waitlist_token(tenant_id, entry_id, hold_id);
    struct bc_buf b = BC_BUF_INIT;
    if (tok) bc_buf_printf(&b, "%s/manage/?waitlist=%s&token=%s", base ? base : "", entry_id, tok);
    free(tok);
    return bc_buf_detach(&b, NULL);
}

/* Marks entry offered with the hold (writes the timer and the event's intent first). 1 offered, 0 the
 * entry changed meanwhile (the hold is given back), or a negative bc_err. */
static int make_offer(struct bc_env *env, const struct bc_ctx *ctx, const json_t *entry, json_t *hold,
                      const char *provider_name, int64_t end, const char *zone)
{
    char qsk[BC_KEY_SIZE], exp_iso[32], end_iso[BC_TZ_ISO_SIZE], now[32];
    const char *id = bc_field_str(entry, BC_F_ID), *hold_id = bc_field_str(hold, BC_F_ID);
    int64_t exp = 0, start = 0;
    bc_time_parse_iso(bc_field_str(hold, "expires_at"), &exp);
    bc_time_parse_iso(bc_field_str(hold, BC_F_START), &start);
    bc_tz_format_iso(zone, end, end_iso, sizeof end_iso);
    bc_time_format_utc(exp, exp_iso, sizeof exp_iso);
    bc_now_iso(now);
    json_t *offer =
        json_pack("{s:s, s:O, s:s?, s:O, s:s, s:I, s:I, s:s, s:s}", "hold_id", hold_id, "provider_id",
                  json_object_get(hold, BC_F_PROVIDER), "provider_name", provider_name, "start",
                  json_object_get(hold, BC_F_START), "end", end_iso, "start_ts", (json_int_t)start,
                  "expires_ts", (json_int_t)exp, "expires_at", exp_iso, "offered_at", now);
    /* the timer first: an offer never stays open without one */
    json_t *timer =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:I}", "PK", QUEUE_PK, "SK",
                  timer_sk(qsk, exp, ctx->tenant_id, id) ?: "", "tenant_id", ctx->tenant_id, "entry_id", id,
                  "date", bc_field_str(entry, "date"), "hold_id", hold_id, "due", (json_int_t)exp, "version",
                  1, "ttl", (json_int_t)ttl_of(bc_field_str(entry, "date")));
    int rc = offer && timer ? bc_store_put(env->store, timer, NULL) : BC_ENOMEM;
    /* the intent, with the entry as it will be as its snapshot */
    json_t *snap = json_deep_copy(entry), *set = NULL;
    struct bc_outbox_batch ob = {0};
    if (rc == 0 && snap) {
        json_object_set_new(snap, BC_F_STATUS, json_string("offered"));
        json_object_set(snap, "offer", offer);
        json_object_set_new(snap, BC_F_TIMEZONE, json_string(zone));
        json_object_set_new(snap, "start_ts", json_integer(start));
        json_object_set_new(snap, "provider_name", provider_name ? json_string(provider_name) : json_null());
        json_t *data = json_pack("{s:o}", "waitlist", bc_waitlist_view(snap));
        json_t *w = json_object_get(data, "waitlist");
        /* what the e-mail's words need besides the view */
        json_object_set(w, BC_F_TIMEZONE, json_object_get(snap, BC_F_TIMEZONE));
        json_object_set(w, "start_ts", json_object_get(snap, "start_ts"));
        json_object_set(w, "provider_name", json_object_get(snap, "provider_name"));
        json_object_set(w, "hold_id", json_object_get(offer, "hold_id"));
        rc = bc_outbox_event(ctx, BC_EV_WAITLIST_OFFERED, snap, data, &ob);
    } else if (rc == 0) {
        rc = BC_ENOMEM;
    }
    if (rc == 0) rc = bc_outbox_put(env, &ob);
    if (rc == 0) {
        set = json_pack("{s:s, s:O, s:O}", "status", "offered", "offer", offer, "events",
                        json_object_get(snap, "events"));
        json_t *add = json_pack("{s:i}", "offers", 1);
        json_t *updated = NULL;
        json_object_set_new(set, "updated_at", json_string(now));
        struct bc_update u = {set, add, NULL};
        json_object_set_new(add, "version", json_integer(1));
        struct bc_cond c = {BC_COND_VERSION, json_integer_value(json_object_get(entry, "version")), false};
        rc = bc_store_update(env->store, bc_field_str(entry, "PK"), bc_field_str(entry, "SK"), &u, &c,
                             &updated);
        json_decref(add);
        json_decref(set);
        if (rc == BC_ECOND)
            rc = 0, bc_booking_hold_release(env, ctx, hold); /* taken meanwhile */
        else if (rc == 0)
            rc = 1;
        if (rc == 1) {
            char when[BC_TZ_ISO_SIZE + 8], *url = bc_waitlist_accept_url(NULL, ctx->tenant_id, id, hold_id);
            snprintf(when, sizeof when, "%.10s %.5s", bc_field_str(hold, BC_F_START) ?: "",
                     (bc_field_str(hold, BC_F_START) ?: "           ") + 11);
            if (url) tell_chat(env, ctx, updated, url, when);
            free(url);
            bc_outbox_wake(env);
        }
        json_decref(updated);
    } else {
        bc_booking_hold_release(env, ctx, hold);
    }
    bc_outbox_batch_release(&ob);
    json_decref(snap);
    json_decref(offer);
    json_decref(timer);
    return rc;
}

/* Looks for a free time that suits a waiting entry and offers it. 1 offered, 0 none, or a negative bc_err. */
static int offer_entry(struct bc_env *env, const struct bc_ctx *ctx, const json_t *entry, int minutes)
{
    struct bc_arena arena;
    struct bc_schedule sc = {0};
    struct bc_availability_slot *slots = NULL;
    char msg[256] = "";
    const char *date = bc_field_str(entry, "date");
    const json_t *win = json_object_get(entry, "window");
    struct bc_waitlist_want w = {bc_field_str(entry, BC_F_SERVICE), bc_field_str(entry, BC_F_PROVIDER), 0,
                                 1440};
    if (bc_waitlist_window(bc_field_str(win, "from"), bc_field_str(win, "to"), &w.from_min, &w.to_min) < 0)
        return 0;
    bc_arena_init(&arena);
    int rc = bc_schedule_load(env, ctx, w.service_id, w.provider_id, date, date, NULL, NULL, bc_now_s(),
                              &arena, &sc, msg, sizeof msg);
    int n = rc == 0 && sc.n_pros ? bc_availability_compute(&sc.q, sc.pros, sc.n_pros, &arena, &slots) : 0;
    int made = 0;
    for (int i = 0; rc == 0 && i < n && !made; i++) {
        int start_min = (int)((((slots[i].start + slots[i].start_offset) % 86400) + 86400) % 86400 / 60);
        int end_min = start_min + (int)((slots[i].end - slots[i].start) / 60);
        if (!bc_waitlist_matches(&w, w.service_id, slots[i].pro_id, start_min, end_min)) continue;
        char start_iso[BC_TZ_ISO_SIZE];
        bc_tz_format_iso_offset(slots[i].start, slots[i].start_offset, start_iso, sizeof start_iso);
        json_t *hold = NULL;
        msg[0] = '\0';
        if (bc_booking_hold_for(env, ctx, w.service_id, slots[i].pro_id, start_iso, minutes, msg, sizeof msg,
                                &hold) < 0)
            continue; /* taken since the computation: the next time */
        const char *pname = bc_field_str(json_array_get(sc.providers, slots[i].pro), BC_F_NAME);
        made = make_offer(env, ctx, entry, hold, pname, slots[i].end, sc.q.zone ? sc.q.zone : "UTC");
        json_decref(hold);
        if (made < 0) rc = made;
        if (made == 0) break; /* the entry changed: it is not waiting any more */
    }
    bc_schedule_release(&sc);
    bc_arena_release(&arena);
    return rc < 0 && rc != BC_ENOT_FOUND && rc != BC_EINVALID ? rc : made > 0;
}

int bc_waitlist_freed(struct bc_env *env, const struct bc_ctx *ctx, const char *date)
{
    json_t *all = NULL, *settings = NULL;
    int rc = date_entries(env, ctx, date, &all), made = 0;
    size_t i;
    json_t *it;
    bool any = false;
    json_array_foreach(all, i, it) any |= status_is(it, "waiting");
    if (rc == 0 && any) rc = bc_settings_get(env, ctx, &settings);
    int minutes = offer_minutes(settings);
    json_array_foreach(all, i, it)
    {
        if (rc < 0 || !any) break;
        if (!status_is(it, "waiting")) continue;
        int r = offer_entry(env, ctx, it, minutes);
        if (r < 0) rc = r;
        if (r > 0) made++;
    }
    json_decref(settings);
    json_decref(all);
    return rc < 0 ? rc : made;
}

void bc_waitlist_freed_range(struct bc_env *env, const struct bc_ctx *ctx, const char *from, const char *to)
{
    int32_t a, b;
    if (!from || !to || bc_tz_date_parse(from, &a) < 0 || bc_tz_date_parse(to, &b) < 0) return;
    for (int32_t d = a; d <= b && d - a < BC_AVAILABILITY_MAX_RANGE_DAYS; d++) {
        char date[11];
        bc_tz_date_format(d, date);
        int rc = bc_waitlist_freed(env, ctx, date);
        if (rc < 0) bc_log(BC_LOG_WARN, "waitlist offers for %s failed: %d", date, rc);
    }
}

/* ---- expiry ---- */

/* Lets the offer's hold go (best effort: it expires anyway). */
static void release_hold(struct bc_env *env, const struct bc_ctx *ctx, const json_t *offer)
{
    json_t *h = json_pack("{s:O, s:O, s:O}", "id", json_object_get(offer, "hold_id"), "provider_id",
                          json_object_get(offer, BC_F_PROVIDER), "start", json_object_get(offer, BC_F_START));
    if (h) bc_booking_hold_release(env, ctx, h);
    json_decref(h);
}

/* An offer past its time: the entry becomes expired (version-checked), its hold goes, and the date is
 * offered again. 1 when this call expired it, 0 when there was nothing to do,
 * BC_EUNAVAILABLE when the offer is still open (a timer read early, by a process whose clock is behind). */
static int expire_entry(struct bc_env *env, const struct bc_ctx *ctx, const json_t *entry,
                        const char *hold_id)
{
    const json_t *offer = json_object_get(entry, "offer");
    if (!status_is(entry, "offered") ||
        (hold_id && strcmp(bc_field_str(offer, "hold_id") ?: "", hold_id) != 0))
        return 0;
    if (bc_now_s() < json_integer_value(json_object_get(offer, "expires_ts"))) return BC_EUNAVAILABLE;
    int rc = entry_update(env, entry, json_pack("{s:s}", "status", "expired"), NULL);
    if (rc < 0) return rc == BC_ECONFLICT ? 0 : rc;
    release_hold(env, ctx, offer);
    rc = bc_waitlist_freed(env, ctx, bc_field_str(entry, "date"));
    return rc < 0 ? rc : 1;
}

/* One due timer: claimed with a lease (version-checked), acted on, deleted. */
static bool process_timer(struct bc_env *env, const json_t *t)
{
    struct bc_store *s = env->store;
    int64_t now = bc_now_s();
    if (json_integer_value(json_object_get(t, "lease_until")) > now) return false;
    json_t *claimed = NULL, *add = json_pack("{s:i}", "version", 1),
           *set = json_pack("{s:I}", "lease_until", (json_int_t)(now + TIMER_LEASE_S));
    struct bc_update u = {set, add, NULL};
    struct bc_cond c = {BC_COND_VERSION, json_integer_value(json_object_get(t, "version")), false};
    int rc = bc_store_update(s, QUEUE_PK, bc_field_str(t, "SK"), &u, &c, &claimed);
    json_decref(add);
    json_decref(set);
    if (rc < 0) return false; /* another process has it */
    struct bc_ctx ctx;
    json_t *entry = NULL;
    if (bc_ctx_operator(&ctx, bc_field_str(claimed, "tenant_id")) == 0) {
        rc = bc_waitlist_get(env, &ctx, bc_field_str(claimed, "entry_id"), &entry);
        if (rc == 0) rc = expire_entry(env, &ctx, entry, bc_field_str(claimed, "hold_id"));
        if (rc < 0 && rc != BC_ENOT_FOUND && rc != BC_EUNAVAILABLE)
            bc_log(BC_LOG_WARN, "waitlist expiry of %s failed: %d", bc_field_str(claimed, "entry_id"), rc);
        bc_ctx_release(&ctx);
    }
    if (rc >= 0 || rc == BC_ENOT_FOUND) { /* done (else the lease runs out and it is tried again) */
        struct bc_cond mine = {BC_COND_VERSION, json_integer_value(json_object_get(claimed, "version")),
                               false};
        bc_store_delete(s, QUEUE_PK, bc_field_str(claimed, "SK"), &mine);
    }
    json_decref(entry);
    json_decref(claimed);
    return true;
}

int bc_waitlist_work(struct bc_env *env, int max)
{
    char to[24];
    snprintf(to, sizeof to, "%011lld#~", (long long)bc_now_s());
    struct bc_query q = {.pk = QUEUE_PK, .sk_to = to, .limit = max > 0 && max <= 1000 ? max : 64};
    struct bc_query_result res = {0};
    if (bc_store_query(env->store, &q, &res) < 0) return 0;
    int done = 0;
    size_t i;
    json_t *it;
    json_array_foreach(res.items, i, it) done += process_timer(env, it);
    bc_query_result_release(&res);
    return done;
}

/* ---- accepting and removing ---- */

int bc_waitlist_accept(struct bc_env *env, const struct bc_ctx *ctx, const char *id, const char *token,
                       int64_t monthly_limit, char *msg, size_t msgsize, json_t **booking)
{
    json_t *entry = NULL, *claimed = NULL;
    *booking = NULL;
    int rc = id && bc_key_id_ok(id) ? bc_waitlist_get(env, ctx, id, &entry) : BC_ENOT_FOUND;
    if (rc == 0 && !token_ok(token, ctx->tenant_id, entry)) rc = BC_ENOT_FOUND; /* no leak of existence */
    if (rc == BC_ENOT_FOUND) snprintf(msg, msgsize, "no such waitlist offer");
    const json_t *offer = json_object_get(entry, "offer");
    int64_t now = bc_now_s();
    if (rc == 0 && status_is(entry, "booked")) {
        snprintf(msg, msgsize, "this offer has already been accepted");
        rc = BC_ECONFLICT;
    } else if (rc == 0 && status_is(entry, "accepting") &&
               now - json_integer_value(json_object_get(entry, "accepting_ts")) < ACCEPT_STALE_S) {
        snprintf(msg, msgsize, "this offer is being accepted");
        rc = BC_ECONFLICT;
    } else if (rc == 0 && status_is(entry, "offered") &&
               now >= json_integer_value(json_object_get(offer, "expires_ts"))) {
        (void)expire_entry(env, ctx, entry, NULL); /* passes it on now rather than at the worker's pass */
        snprintf(msg, msgsize, "this offer has expired");
        rc = BC_EGONE;
    } else if (rc == 0 && !status_is(entry, "offered") && !status_is(entry, "accepting")) {
        snprintf(msg, msgsize, "this offer is no longer open");
        rc = BC_EGONE;
    }
    /* the claim: of two accepts, one books; an accept a crash left half done ("accepting", stale) is
     * finished by the customer's retry, whatever the time: its Idempotency-Key replays a booking made */
    if (rc == 0) {
        rc = entry_update(env, entry,
                          json_pack("{s:s, s:I}", "status", "accepting", "accepting_ts", (json_int_t)now),
                          &claimed);
        if (rc == BC_ECONFLICT) snprintf(msg, msgsize, "this offer is being accepted");
    }
    if (rc == 0) {
        const json_t *c = json_object_get(entry, BC_F_CUSTOMER);
        char key[160];
        snprintf(key, sizeof key, "waitlist:%s:%s", id, bc_field_str(offer, "hold_id"));
        struct bc_booking_in in = {.service_id = bc_field_str(entry, BC_F_SERVICE),
                                   .provider_id = bc_field_str(offer, BC_F_PROVIDER),
                                   .start = bc_field_str(offer, BC_F_START),
                                   .name = bc_field_str(c, BC_F_NAME),
                                   .email = bc_field_str(c, "email"),
                                   .phone = bc_field_str(c, "phone"),
                                   .hold_id = bc_field_str(offer, "hold_id"),
                                   .source = "waitlist",
                                   .idempotency_key = key,
                                   .request_hash = key,
                                   .lang = bc_field_str(entry, "lang"),
                                   .monthly_limit = monthly_limit};
        rc = bc_booking_create(env, ctx, &in, msg, msgsize, booking);
        json_t *set = rc == 0 ? json_pack("{s:s, s:O}", "status", "booked", "booking_id",
                                          json_object_get(*booking, BC_F_ID))
                              : json_pack("{s:s}", "status", rc == BC_ESLOT ? "expired" : "offered");
        int r2 = entry_update(env, claimed, set, NULL);
        if (r2 < 0) bc_log(BC_LOG_WARN, "waitlist entry %s not updated after accept: %d", id, r2);
        if (rc == BC_ESLOT) bc_waitlist_freed(env, ctx, bc_field_str(entry, "date"));
    }
    json_decref(claimed);
    json_decref(entry);
    return rc;
}

int bc_waitlist_remove(struct bc_env *env, const struct bc_ctx *ctx, const char *id)
{
    json_t *entry = NULL;
    int rc = id && bc_key_id_ok(id) ? bc_waitlist_get(env, ctx, id, &entry) : BC_ENOT_FOUND;
    for (int attempt = 0; rc == 0 && attempt < 3; attempt++) {
        if (status_is(entry, "removed") || status_is(entry, "booked")) break;
        bool offered = status_is(entry, "offered");
        rc = entry_update(env, entry, json_pack("{s:s}", "status", "removed"), NULL);
        if (rc == 0 && offered) {
            release_hold(env, ctx, json_object_get(entry, "offer"));
            bc_waitlist_freed(env, ctx, bc_field_str(entry, "date"));
        }
        if (rc != BC_ECONFLICT) break;
        json_decref(entry);
        entry = NULL;
        rc = bc_waitlist_get(env, ctx, id, &entry);
    }
    json_decref(entry);
    return rc;
}
