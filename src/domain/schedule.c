/* Weekly hours, exceptions, and the loading of a schedule for the availability computation. */
#include "domain/schedule.h"
#include "domain/fields.h"
#include "domain/env.h"
#include "domain/calendar.h"
#include "domain/entity.h"
#include "domain/extcal.h"
#include "domain/settings.h"
#include "domain/sessions.h"
#include "domain/keys.h"
#include "domain/waitlist.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES 70 /* 10 intervals per weekday */

static const struct bc_jfield hours_fields[] = {
    {"weekly", BC_J_ARRAY, BC_JF_REQUIRED, 0, MAX_RULES},
    {NULL},
};

static const struct bc_jfield rule_fields[] = {
    {"weekday", BC_J_INT, BC_JF_REQUIRED, 1, 7},
    {"start", BC_J_STRING, BC_JF_REQUIRED, 5, 5},
    {"end", BC_J_STRING, BC_JF_REQUIRED, 5, 5},
    {NULL},
};

static const struct bc_jfield exception_fields[] = {
    {"provider_id", BC_J_STRING, BC_JF_NULLABLE, 1, 64},
    {"from", BC_J_STRING, BC_JF_REQUIRED, 10, 10},
    {"to", BC_J_STRING, BC_JF_REQUIRED, 10, 10},
    {"kind", BC_J_STRING, BC_JF_REQUIRED, 4, 6},
    {"start", BC_J_STRING, BC_JF_NULLABLE, 5, 5},
    {"end", BC_J_STRING, BC_JF_NULLABLE, 5, 5},
    {"reason", BC_J_STRING, BC_JF_NULLABLE | BC_JF_MULTILINE, 0, 200},
    {NULL},
};

const char *bc_provider_zone(json_t *provider, json_t *settings)
{
    const char *z = json_string_value(json_object_get(provider, "timezone"));
    if (z && *z) return z;
    z = bc_settings_zone(settings);
    return z ? z : "UTC";
}

int bc_hours_get(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, json_t **out)
{
    json_t *p = NULL, *h = NULL;
    *out = NULL;
    int rc = bc_entity_get(env, ctx, "PROVIDER", provider_id, &p);
    json_decref(p);
    if (rc < 0) return rc;
    rc = bc_entity_get(env, ctx, "AVAIL", provider_id, &h);
    if (rc == BC_ENOT_FOUND) {
        *out = json_pack("{s:[]}", "weekly");
        return 0;
    }
    if (rc < 0) return rc;
    *out = json_pack("{s:O}", "weekly", json_object_get(h, "weekly"));
    json_decref(h);
    return 0;
}

int bc_hours_put(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, json_t *body,
                 char *msg, size_t msgsize, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], now[32];
    json_t *p = NULL;
    *out = NULL;
    int rc = bc_entity_get(env, ctx, "PROVIDER", provider_id, &p);
    json_decref(p);
    if (rc < 0) return rc;
    if ((rc = bc_json_check(body, hours_fields, msg, msgsize)) < 0) return rc;
    json_t *weekly = json_object_get(body, "weekly"), *clean = json_array();
    struct bc_availability_rule rules[MAX_RULES];
    size_t i;
    json_t *r;
    json_array_foreach(weekly, i, r)
    {
        if ((rc = bc_json_check(r, rule_fields, msg, msgsize)) < 0) break;
        rules[i] = (struct bc_availability_rule){(int)json_integer_value(json_object_get(r, "weekday")),
                                                 json_string_value(json_object_get(r, "start")),
                                                 json_string_value(json_object_get(r, "end"))};
        json_array_append_new(clean,
                              json_pack("{s:O, s:O, s:O}", "weekday", json_object_get(r, "weekday"), "start",
                                        json_object_get(r, "start"), "end", json_object_get(r, "end")));
    }
    if (rc == 0 && bc_availability_validate_rules(rules, json_array_size(weekly)) < 0) {
        snprintf(msg, msgsize, "each interval needs weekday 1-7 and \"HH:MM\" times with start before end");
        rc = BC_EINVALID;
    }
    if (rc == 0 && bc_key_tenant_pk(ctx, pk) && bc_key_sk(sk, "AVAIL", provider_id)) {
        bc_now_iso(now);
        json_t *item = json_pack("{s:s, s:s, s:s, s:O, s:s}", "PK", pk, "SK", sk, "id", provider_id, "weekly",
                                 clean, "updated_at", now);
        rc = bc_store_put(s, item, NULL);
        json_decref(item);
        if (rc == 0) *out = json_pack("{s:O}", "weekly", clean);
    }
    json_decref(clean);
    return rc;
}

/* The exception as the availability computation takes it (strings borrowed from e). */
static struct bc_availability_exception exc_of(json_t *e)
{
    const char *kind = json_string_value(json_object_get(e, "kind"));
    return (struct bc_availability_exception){
        json_string_value(json_object_get(e, "from")), json_string_value(json_object_get(e, "to")),
        kind && strcmp(kind, "open") == 0 ? BC_AVAILABILITY_OPEN : BC_AVAILABILITY_CLOSED,
        json_string_value(json_object_get(e, "start")), json_string_value(json_object_get(e, "end"))};
}

int bc_exception_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                        json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], id[BC_ID_LEN + 1], now[32];
    int32_t d1, d2;
    *out = NULL;
    int rc = bc_json_check(body, exception_fields, msg, msgsize);
    if (rc < 0) return rc;
    const char *pid = json_string_value(json_object_get(body, "provider_id"));
    const char *kind = json_string_value(json_object_get(body, "kind"));
    if (pid) {
        json_t *p = NULL;
        rc = bc_entity_get(env, ctx, "PROVIDER", pid, &p);
        json_decref(p);
        if (rc < 0) {
            snprintf(msg, msgsize, "unknown provider_id");
            return rc == BC_ENOT_FOUND ? BC_EINVALID : rc;
        }
    }
    if (strcmp(kind, "open") && strcmp(kind, "closed")) {
        snprintf(msg, msgsize, "kind must be \"closed\" or \"open\"");
        return BC_EINVALID;
    }
    struct bc_availability_exception e = exc_of(body);
    if ((!e.start) != (!e.end) || bc_availability_validate_exception(&e) < 0 ||
        bc_tz_date_parse(e.from, &d1) < 0 || bc_tz_date_parse(e.to, &d2) < 0) {
        snprintf(msg, msgsize,
                 "from/to must be dates (YYYY-MM-DD, from <= to) and start/end both \"HH:MM\" "
                 "with start before end, or both null");
        return BC_EINVALID;
    }
    if (d2 - d1 > 366) {
        snprintf(msg, msgsize, "an exception covers at most 367 days");
        return BC_EINVALID;
    }
    if (e.kind == BC_AVAILABILITY_OPEN && !e.start) {
        snprintf(msg, msgsize, "an \"open\" exception needs start and end times");
        return BC_EINVALID;
    }
    bc_id_new(id);
    bc_now_iso(now);
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    snprintf(sk, sizeof sk, "EXC#%s#%s#%s", pid ? pid : "ALL", e.from, id);
    json_t *item =
        json_pack("{s:s, s:s, s:s, s:s?, s:O, s:O, s:s, s:O?, s:O?, s:O?, s:s}", "PK", pk, "SK", sk, "id", id,
                  "provider_id", pid, "from", json_object_get(body, "from"), "to",
                  json_object_get(body, "to"), "kind", kind, "start", json_object_get(body, "start"), "end",
                  json_object_get(body, "end"), "reason", json_object_get(body, "reason"), "created_at", now);
    for (const char *const *f = (const char *const[]){"provider_id", "start", "end", "reason", NULL}; *f; f++)
        if (!json_object_get(item, *f)) json_object_set_new(item, *f, json_null());
    struct bc_cond c = {BC_COND_NOT_EXISTS, 0};
    rc = bc_store_put(s, item, &c);
    if (rc == 0) *out = bc_entity_view(item);
    json_decref(item);
    return rc;
}

/* Every EXC# item of the tenant (an exception's id is not in its key prefix, so look-ups scan them). */
static int all_exceptions(struct bc_env *env, const struct bc_ctx *ctx, json_t **items)
{
    return bc_entity_all(env, ctx, "EXC", 100000, items);
}

int bc_exception_list(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, json_t **items)
{
    json_t *all = NULL;
    *items = NULL;
    int rc = all_exceptions(env, ctx, &all);
    if (rc < 0) return rc;
    json_t *list = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e)
    {
        const char *pid = json_string_value(json_object_get(e, "provider_id"));
        if (provider_id && (!pid || strcmp(pid, provider_id) != 0)) continue;
        json_array_append_new(list, bc_entity_view(e));
    }
    json_decref(all);
    *items = list;
    return 0;
}

static int find_exception(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    json_t *all = NULL;
    *out = NULL;
    if (!bc_key_id_ok(id)) return BC_ENOT_FOUND;
    int rc = all_exceptions(env, ctx, &all);
    if (rc < 0) return rc;
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e) if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
    {
        *out = json_incref(e);
        break;
    }
    json_decref(all);
    return *out ? 0 : BC_ENOT_FOUND;
}

int bc_exception_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    json_t *e = NULL;
    int rc = find_exception(env, ctx, id, &e);
    *out = rc == 0 ? bc_entity_view(e) : NULL;
    json_decref(e);
    return rc;
}

int bc_exception_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id)
{
    struct bc_store *s = env->store;
    json_t *e = NULL;
    int rc = find_exception(env, ctx, id, &e);
    if (rc < 0) return rc;
    struct bc_cond c = {BC_COND_EXISTS, 0};
    rc = bc_store_delete(s, json_string_value(json_object_get(e, "PK")),
                         json_string_value(json_object_get(e, "SK")), &c);
    /* a closure removed frees its dates: the waitlist of each may get an offer */
    if (rc == 0) bc_waitlist_freed_range(env, ctx, bc_field_str(e, "from"), bc_field_str(e, "to"));
    json_decref(e);
    return rc == BC_ECOND ? BC_ENOT_FOUND : rc;
}

static void *arena_array(struct bc_arena *a, size_t n, size_t size)
{
    void *p = bc_arena_alloc(a, (n ? n : 1) * size);
    if (p) memset(p, 0, (n ? n : 1) * size);
    return p;
}

static bool offers(const json_t *provider, const char *service_id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(provider, "service_ids"), i,
                       v) if (strcmp(json_string_value(v), service_id) == 0) return true;
    return false;
}

/* Rules of one professional from their AVAIL item (kept alive in keep). */
static int load_rules(struct bc_env *env, const struct bc_ctx *ctx, const char *pid, json_t *keep,
                      struct bc_arena *a, struct bc_availability_pro *pro)
{
    const json_t *h = NULL;
    int rc = bc_entity_get_ro(env, ctx, "AVAIL", pid, &h);
    if (rc == BC_ENOT_FOUND) return 0;
    if (rc < 0) return rc;
    json_array_append_new(keep, bc_json_shared(h));
    json_t *weekly = json_object_get(h, "weekly");
    struct bc_availability_rule *rules = arena_array(a, json_array_size(weekly), sizeof *rules);
    if (!rules) return BC_ENOMEM;
    size_t i;
    json_t *r;
    json_array_foreach(weekly, i, r) rules[i] = (struct bc_availability_rule){
        (int)json_integer_value(json_object_get(r, "weekday")),
        json_string_value(json_object_get(r, "start")), json_string_value(json_object_get(r, "end"))};
    pro->rules = rules;
    pro->n_rules = json_array_size(weekly);
    return 0;
}

/* The service (it must be active) and the tenant's settings view. */
static int load_service(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                        struct bc_schedule *out, char *msg, size_t msgsize)
{
    int rc = bc_entity_get_ro(env, ctx, "SERVICE", service_id, &out->service);
    if (rc == 0 && !json_is_true(json_object_get(out->service, "active"))) rc = BC_ENOT_FOUND;
    if (rc < 0) {
        snprintf(msg, msgsize, "unknown service");
        return rc;
    }
    const json_t *settings_item = NULL;
    if ((rc = bc_settings_item_ro(env, ctx, "GLOBAL", &settings_item)) < 0) return rc;
    out->settings = bc_settings_view_ro(env, settings_item);
    bc_json_release(settings_item);
    return 0;
}

/* out->providers: the professional named (active, offering the service), or for NULL/"any" every active
 * one offering it among the first BC_PROVIDERS_MAX. */
static int load_providers(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                          const char *provider_id, struct bc_schedule *out, char *msg, size_t msgsize)
{
    out->providers = json_array();
    if (!provider_id || strcmp(provider_id, "any") == 0) {
        json_t *all = NULL, *p;
        size_t i;
        int rc = bc_entity_all_ro(env, ctx, "PROVIDER", BC_PROVIDERS_MAX, &all);
        if (rc < 0) return rc;
        json_array_foreach(all, i, p) if (json_is_true(json_object_get(p, "active")) && offers(p, service_id))
            json_array_append(out->providers, p);
        json_decref(all);
        return 0;
    }
    const json_t *p = NULL;
    int rc = bc_entity_get_ro(env, ctx, "PROVIDER", provider_id, &p);
    if (rc == 0 && !json_is_true(json_object_get(p, "active"))) rc = BC_ENOT_FOUND;
    if (rc < 0) {
        bc_json_release(p);
        snprintf(msg, msgsize, "unknown professional");
        return rc;
    }
    if (!offers(p, service_id)) {
        bc_json_release(p);
        snprintf(msg, msgsize, "this professional does not offer this service");
        return BC_EINVALID;
    }
    json_array_append_new(out->providers, bc_json_shared(p));
    return 0;
}

/* What one professional's availability needs besides the query: the dates read, the exceptions, the busy
 * entry to ignore, and the business-wide exceptions (collected once, with the first professional). */
struct pro_load {
    const char *wfrom, *wto; /* local dates, one day wider than asked: zones differ by less than a day */
    json_t *excs;            /* every EXC# item of the tenant */
    const char *ignore_busy;
    struct bc_availability_exception *biz;
    size_t nbiz;
};

/* Adds the busy intervals of a professional's external calendars over the dates (a day wider on each side:
 * zones differ by less than a day) to pro->busy. */
static int add_external(struct bc_env *env, const struct bc_ctx *ctx, const char *pid,
                        const struct pro_load *pl, struct bc_arena *arena, struct bc_availability_pro *pro)
{
    int32_t df, dt;
    if (bc_tz_date_parse(pl->wfrom, &df) < 0 || bc_tz_date_parse(pl->wto, &dt) < 0) return BC_EINVALID;
    struct bc_busy *ext = NULL;
    size_t ne = 0;
    int rc = bc_extcal_busy(env, ctx, pid, (int64_t)(df - 1) * 86400, (int64_t)(dt + 2) * 86400, &ext, &ne);
    if (rc < 0 || ne == 0) {
        free(ext);
        return rc;
    }
    struct bc_availability_busy *ab = arena_array(arena, pro->n_busy + ne, sizeof *ab);
    if (!ab) {
        free(ext);
        return BC_ENOMEM;
    }
    if (pro->n_busy) memcpy(ab, pro->busy, pro->n_busy * sizeof *ab);
    for (size_t j = 0; j < ne; j++)
        ab[pro->n_busy + j] = (struct bc_availability_busy){ext[j].from, ext[j].to};
    free(ext);
    pro->busy = ab;
    pro->n_busy += ne;
    return 0;
}

/* Professional k of out->providers: their zone, rules, own exceptions and busy intervals over the dates. */
static int load_pro(struct bc_env *env, const struct bc_ctx *ctx, struct bc_schedule *out, size_t k,
                    struct pro_load *pl, struct bc_arena *arena)
{
    json_t *p = json_array_get(out->providers, k);
    const char *pid = json_string_value(json_object_get(p, "id"));
    struct bc_availability_pro *pro = &out->pros[k];
    pro->id = pid;
    pro->zone = bc_provider_zone(p, out->settings);
    int rc = load_rules(env, ctx, pid, out->keep, arena, pro);
    if (rc < 0) return rc;
    struct bc_availability_exception *own = arena_array(arena, json_array_size(pl->excs), sizeof *own);
    if (!own) return BC_ENOMEM;
    size_t i;
    json_t *e;
    json_array_foreach(pl->excs, i, e)
    {
        const char *epid = json_string_value(json_object_get(e, "provider_id"));
        const char *ef = json_string_value(json_object_get(e, "from")),
                   *et = json_string_value(json_object_get(e, "to"));
        if (strcmp(et, pl->wfrom) < 0 || strcmp(ef, pl->wto) > 0) continue; /* ISO dates compare as strings */
        if (!epid) {
            if (k == 0) pl->biz[pl->nbiz++] = exc_of(e);
        } else if (strcmp(epid, pid) == 0) {
            own[pro->n_exceptions++] = exc_of(e);
        }
    }
    pro->exceptions = own;
    struct bc_busy *busy = NULL;
    size_t nb = 0;
    if ((rc = bc_cal_busy(env, ctx, pid, pl->wfrom, pl->wto, pl->ignore_busy, &busy, &nb)) < 0) return rc;
    struct bc_availability_busy *ab = NULL;
    size_t nab = 0; /* a group service's sessions become joinable (sessions.h) */
    rc = bc_sessions_busy(busy, nb, json_string_value(json_object_get(out->service, "id")),
                          (int)json_integer_value(json_object_get(out->service, "capacity")), arena, &ab,
                          &nab);
    free(busy);
    if (rc < 0) return rc;
    pro->busy = ab;
    pro->n_busy = nab;
    if (bc_extcal_has(p)) /* the professional's own calendars (only read for those who have any) */
        return add_external(env, ctx, pid, pl, arena, pro);
    return 0;
}

/* The times when a resource the service requires has no unit left, as busy time of every professional
 * (sessions.h); read by UTC date, a day wider again than the local dates. */
static int add_resources(struct bc_env *env, const struct bc_ctx *ctx, struct bc_schedule *out,
                         const struct pro_load *pl, struct bc_arena *arena)
{
    const json_t *ids = json_object_get(out->service, "resource_ids");
    int32_t df, dt;
    char from[11], to[11];
    if (json_array_size(ids) == 0 || out->n_pros == 0) return 0;
    if (bc_tz_date_parse(pl->wfrom, &df) < 0 || bc_tz_date_parse(pl->wto, &dt) < 0) return BC_EINVALID;
    bc_tz_date_format(df - 1, from);
    bc_tz_date_format(dt + 1, to);
    struct bc_res_load rl;
    int rc = bc_sessions_load_resources(env, ctx, ids, from, to, &rl);
    const char *svc = json_string_value(json_object_get(out->service, "id"));
    int cap = (int)json_integer_value(json_object_get(out->service, "capacity"));
    for (size_t k = 0; rc == 0 && k < out->n_pros; k++)
        rc = bc_sessions_add_resources(&rl, out->pros[k].id, svc, cap, arena, &out->pros[k]);
    bc_sessions_release_resources(&rl);
    return rc;
}

/* The query: the service's duration and buffers, the tenant's booking rules, the dates and the zone. */
static void set_query(struct bc_schedule *out, const char *from, const char *to, const char *zone,
                      int64_t now, const struct pro_load *pl)
{
    json_t *bk = json_object_get(out->settings, "booking");
    out->q = (struct bc_availability_query){
        .duration_min = (int)json_integer_value(json_object_get(out->service, "duration_min")),
        .buffer_before_min = (int)json_integer_value(json_object_get(out->service, "buffer_before_min")),
        .buffer_after_min = (int)json_integer_value(json_object_get(out->service, "buffer_after_min")),
        .slot_step_min = (int)json_integer_value(json_object_get(bk, "slot_step_min")),
        .min_notice_min = (int)json_integer_value(json_object_get(bk, "min_notice_min")),
        .max_days_ahead = (int)json_integer_value(json_object_get(bk, "max_days_ahead")),
        .now = now,
        .business_exceptions = pl->biz,
        .n_business_exceptions = pl->nbiz,
        .from = from,
        .to = to,
        .zone = zone ? zone : bc_settings_zone(out->settings),
        .capacity = (int)json_integer_value(json_object_get(out->service, "capacity")),
    };
}

/* The business's public holidays from the settings already loaded (docs/holidays.md): its place, and the
 * dates it opens anyway. */
static int set_holidays(struct bc_schedule *out, struct bc_arena *arena)
{
    json_t *h = json_object_get(out->settings, "holidays"),
           *open = json_object_get(out->settings, "holidays_open");
    out->q.holiday_country = json_string_value(json_object_get(h, "country"));
    out->q.holiday_region = json_string_value(json_object_get(h, "region"));
    size_t n = json_array_size(open);
    if (!out->q.holiday_country || !n) return 0;
    const char **dates = arena_array(arena, n, sizeof *dates);
    if (!dates) return BC_ENOMEM;
    for (size_t i = 0; i < n; i++) dates[i] = json_string_value(json_array_get(open, i));
    out->q.holidays_open = dates;
    out->q.n_holidays_open = n;
    return 0;
}

int bc_schedule_load(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                     const char *provider_id, const char *from, const char *to, const char *zone,
                     const char *ignore_busy, int64_t now, struct bc_arena *arena, struct bc_schedule *out,
                     char *msg, size_t msgsize)
{
    memset(out, 0, sizeof *out);
    int32_t dfrom, dto;
    char wfrom[11], wto[11];
    struct pro_load pl = {wfrom, wto, NULL, ignore_busy, NULL, 0};
    /* the JSON that borrowed strings point into lives as long as the schedule */
    out->keep = json_array();
    /* every item here is only read (by availability, bookings, the chat flows): read-only reads, served
     * from the store's memo when unchanged (store.h) */
    int rc = load_service(env, ctx, service_id, out, msg, msgsize);
    if (rc == 0 && (bc_tz_date_parse(from, &dfrom) < 0 || bc_tz_date_parse(to, &dto) < 0)) {
        snprintf(msg, msgsize, "from and to must be dates (YYYY-MM-DD)");
        rc = BC_EINVALID;
    }
    if (rc == 0) {
        bc_tz_date_format(dfrom - 1, wfrom);
        bc_tz_date_format(dto + 1, wto);
        rc = load_providers(env, ctx, service_id, provider_id, out, msg, msgsize);
    }
    if (rc == 0 && (rc = bc_entity_all_ro(env, ctx, "EXC", 100000, &pl.excs)) == 0)
        json_array_append_new(out->keep, pl.excs);
    if (rc == 0) {
        out->n_pros = json_array_size(out->providers);
        out->pros = arena_array(arena, out->n_pros, sizeof *out->pros);
        pl.biz = arena_array(arena, json_array_size(pl.excs), sizeof *pl.biz);
        if (!out->pros || !pl.biz) rc = BC_ENOMEM;
    }
    for (size_t k = 0; rc == 0 && k < out->n_pros; k++) rc = load_pro(env, ctx, out, k, &pl, arena);
    if (rc == 0) rc = add_resources(env, ctx, out, &pl, arena);
    if (rc == 0) set_query(out, from, to, zone, now, &pl);
    if (rc == 0) rc = set_holidays(out, arena);
    if (rc < 0) bc_schedule_release(out);
    return rc;
}

void bc_schedule_release(struct bc_schedule *sc)
{
    bc_json_release(sc->service);
    json_decref(sc->settings);
    json_decref(sc->providers);
    json_decref(sc->keep);
    memset(sc, 0, sizeof *sc);
}
