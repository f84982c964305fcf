/* The tenant health score: eight factors, each a pure function with a fixed maximum penalty, and the
 * gathering of their inputs from the usage items, the tenant and its widget keys. */
#include "domain/health.h"
#include "domain/fields.h"
#include "domain/env.h"
#include "domain/apikey.h"
#include "domain/extcal.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "util/clock.h"
#include "util/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The maximum penalty of each factor (they add up to more than 100 on purpose: a tenant failing on
 * several fronts reaches 0). */
#define MAX_ERRORS     25
#define MAX_CONVERSION 20
#define MAX_LIMITS     20
#define MAX_INACTIVE   20
#define MAX_KEY_AGE    10
#define MAX_HANDOFFS   15
#define MAX_ABUSE      10
#define MAX_CALENDARS  10
#define PER_CALENDAR   5 /* each external calendar failing for over an hour */

/* error rate: (4xx + 2 * 5xx) / requests; judged from MIN_REQUESTS on, free up to 5 %, full at 30 % */
#define MIN_REQUESTS 20
#define ERR_FREE     0.05
#define ERR_FULL     0.30
/* conversion: judged from MIN_CONVERSATIONS on; fine from 20 % of conversations ending in a booking */
#define MIN_CONVERSATIONS 5
#define CONV_GOOD         0.20
/* inactivity: free for 3 days, full at 30 */
#define IDLE_FREE_DAYS 3.0
#define IDLE_FULL_DAYS 30.0
/* key age: half at 180 days, full past 365 */
#define KEY_HALF_DAYS 180.0
#define KEY_FULL_DAYS 365.0
#define PER_HANDOFF   5
/* abuse: refusals by the widget's visitor limits in the window; free up to 20 (a person pressing on), full
 * from 500 (someone is flooding the widget) */
#define ABUSE_FREE 20
#define ABUSE_FULL 500

static int clampi(double v, int max)
{
    int n = (int)lround(v);
    return n < 0 ? 0 : n > max ? max : n;
}

static void start(struct bc_health_factor *f, const char *name, int max)
{
    memset(f, 0, sizeof *f);
    f->factor = name;
    f->max = max;
    f->value = NAN;
}

int bc_health_error_rate(const struct bc_health_in *in, struct bc_health_factor *f)
{
    start(f, "error_rate", MAX_ERRORS);
    if (in->requests < MIN_REQUESTS) {
        snprintf(f->detail, sizeof f->detail,
                 "%lld requests in the last %d days: too few to judge the error rate",
                 (long long)in->requests, BC_HEALTH_WINDOW_DAYS);
        return 0;
    }
    double rate = (double)(in->errors_4xx + 2 * in->errors_5xx) / (double)in->requests;
    if (rate > 1) rate = 1;
    f->value = rate;
    f->penalty =
        rate <= ERR_FREE ? 0 : clampi((rate - ERR_FREE) / (ERR_FULL - ERR_FREE) * MAX_ERRORS, MAX_ERRORS);
    snprintf(f->detail, sizeof f->detail,
             "%lld client and %lld server errors in %lld requests in the last %d days (weighted rate %.1f%%)",
             (long long)in->errors_4xx, (long long)in->errors_5xx, (long long)in->requests,
             BC_HEALTH_WINDOW_DAYS, rate * 100);
    return f->penalty;
}

int bc_health_booking_conversion(const struct bc_health_in *in, struct bc_health_factor *f)
{
    start(f, "booking_conversion", MAX_CONVERSION);
    if (in->conversations <= 0) {
        snprintf(f->detail, sizeof f->detail, "no chat conversations in the last %d days",
                 BC_HEALTH_WINDOW_DAYS);
        return 0; /* nothing to convert: inactivity is judged by its own factor */
    }
    double share = (double)in->conversations_booked / (double)in->conversations;
    if (share > 1) share = 1;
    f->value = share;
    if (in->conversations < MIN_CONVERSATIONS) {
        snprintf(f->detail, sizeof f->detail,
                 "%lld of %lld conversations ended in a booking: too few conversations to judge",
                 (long long)in->conversations_booked, (long long)in->conversations);
        return 0;
    }
    f->penalty =
        share >= CONV_GOOD ? 0 : clampi((CONV_GOOD - share) / CONV_GOOD * MAX_CONVERSION, MAX_CONVERSION);
    snprintf(f->detail, sizeof f->detail,
             "%lld of %lld conversations (%.0f%%) ended in a booking in the last %d days",
             (long long)in->conversations_booked, (long long)in->conversations, share * 100,
             BC_HEALTH_WINDOW_DAYS);
    return f->penalty;
}

int bc_health_plan_limits(const struct bc_health_in *in, struct bc_health_factor *f)
{
    static const char *const what[3] = {"messages", "bookings", "AI tokens"};
    start(f, "plan_limits", MAX_LIMITS);
    double worst = -1;
    int k_worst = -1;
    for (int k = 0; k < 3; k++) {
        if (in->limit[k] == BC_UNLIMITED || in->limit[k] <= 0) continue; /* unlimited, or not in the plan */
        double use = (double)in->used[k] / (double)in->limit[k];
        if (use > worst) {
            worst = use;
            k_worst = k;
        }
    }
    if (k_worst < 0) {
        snprintf(f->detail, sizeof f->detail, "no monthly limits apply");
        return 0;
    }
    f->value = worst;
    if (worst >= 1)
        f->penalty = MAX_LIMITS;
    else if (worst >= 0.8)
        f->penalty = clampi(5 + (worst - 0.8) / 0.2 * 10, MAX_LIMITS);
    snprintf(f->detail, sizeof f->detail, "%s: %lld of %lld this month (%.0f%%)%s", what[k_worst],
             (long long)in->used[k_worst], (long long)in->limit[k_worst], worst * 100,
             worst >= 1 ? ": the limit is reached, new ones are refused" : "");
    return f->penalty;
}

int bc_health_inactivity(const struct bc_health_in *in, struct bc_health_factor *f)
{
    start(f, "inactivity", MAX_INACTIVE);
    int64_t since = in->last_active_s > 0 ? in->last_active_s : in->created_s;
    double days = since > 0 && in->now_s > since ? (double)(in->now_s - since) / 86400.0 : 0;
    f->value = floor(days);
    if (days > IDLE_FREE_DAYS)
        f->penalty =
            clampi((days - IDLE_FREE_DAYS) / (IDLE_FULL_DAYS - IDLE_FREE_DAYS) * MAX_INACTIVE, MAX_INACTIVE);
    if (in->last_active_s > 0)
        snprintf(f->detail, sizeof f->detail, "last activity %.0f days ago", floor(days));
    else
        snprintf(f->detail, sizeof f->detail, "no activity recorded since it was created %.0f days ago",
                 floor(days));
    return f->penalty;
}

int bc_health_api_key_age(const struct bc_health_in *in, struct bc_health_factor *f)
{
    start(f, "api_key_age", MAX_KEY_AGE);
    if (in->active_keys <= 0) {
        f->penalty = MAX_KEY_AGE;
        snprintf(f->detail, sizeof f->detail, "no active widget key: the widget cannot work");
        return f->penalty;
    }
    double days = in->oldest_key_s > 0 && in->now_s > in->oldest_key_s
                      ? (double)(in->now_s - in->oldest_key_s) / 86400.0
                      : 0;
    f->value = floor(days);
    if (days > KEY_FULL_DAYS)
        f->penalty = MAX_KEY_AGE;
    else if (days > KEY_HALF_DAYS)
        f->penalty = MAX_KEY_AGE / 2;
    snprintf(f->detail, sizeof f->detail, "the oldest active widget key is %.0f days old%s", floor(days),
             f->penalty ? ": rotate it" : "");
    return f->penalty;
}

int bc_health_handoffs(const struct bc_health_in *in, struct bc_health_factor *f)
{
    start(f, "handoffs", MAX_HANDOFFS);
    int64_t n = in->handoffs_open > 0 ? in->handoffs_open : 0;
    f->value = (double)n;
    f->penalty = n * PER_HANDOFF > MAX_HANDOFFS ? MAX_HANDOFFS : (int)(n * PER_HANDOFF);
    snprintf(f->detail, sizeof f->detail, "%lld hand-off%s to a person waiting for an answer", (long long)n,
             n == 1 ? "" : "s");
    return f->penalty;
}

int bc_health_abuse(const struct bc_health_in *in, struct bc_health_factor *f)
{
    start(f, "abuse", MAX_ABUSE);
    int64_t n = in->visitor_limited > 0 ? in->visitor_limited : 0;
    f->value = (double)n;
    if (n > ABUSE_FREE)
        f->penalty = clampi((double)(n - ABUSE_FREE) / (ABUSE_FULL - ABUSE_FREE) * MAX_ABUSE, MAX_ABUSE);
    if (f->penalty == 0 && n > ABUSE_FREE) f->penalty = 1;
    snprintf(f->detail, sizeof f->detail,
             "%lld widget request%s refused by the per-visitor limits in the last %d days%s", (long long)n,
             n == 1 ? "" : "s", BC_HEALTH_WINDOW_DAYS,
             f->penalty ? ": someone may be abusing the widget" : "");
    return f->penalty;
}

int bc_health_calendars(const struct bc_health_in *in, struct bc_health_factor *f)
{
    start(f, "calendars", MAX_CALENDARS);
    int n = in->calendars_failing > 0 ? in->calendars_failing : 0;
    f->value = (double)n;
    f->penalty = n * PER_CALENDAR > MAX_CALENDARS ? MAX_CALENDARS : n * PER_CALENDAR;
    snprintf(f->detail, sizeof f->detail, "%d of %d external calendar%s failing for over an hour%s", n,
             in->calendars, in->calendars == 1 ? "" : "s",
             n ? ": busy times come from an old copy (see the professional's calendars)" : "");
    return f->penalty;
}

static int (*const factors[])(const struct bc_health_in *, struct bc_health_factor *) = {
    bc_health_error_rate,  bc_health_booking_conversion, bc_health_plan_limits, bc_health_inactivity,
    bc_health_api_key_age, bc_health_handoffs,           bc_health_abuse,       bc_health_calendars,
};
#define NFACTORS (sizeof factors / sizeof factors[0])

static json_t *factor_json(const struct bc_health_factor *f)
{
    return json_pack("{s:s, s:i, s:i, s:o, s:s}", "factor", f->factor, "penalty", f->penalty, "max", f->max,
                     "value", isnan(f->value) ? json_null() : json_real(round(f->value * 1000) / 1000),
                     "detail", f->detail);
}

int bc_health_score(const struct bc_health_in *in, json_t **out)
{
    struct bc_health_factor f[NFACTORS];
    int total = 0;
    for (size_t i = 0; i < NFACTORS; i++) total += factors[i](in, &f[i]);
    int score = total >= 100 ? 0 : 100 - total;
    if (!out) return score;
    json_t *reasons = json_array(), *all = json_object();
    /* penalised factors, worst first (a stable insertion order among equals) */
    for (int p = 100; p > 0; p--)
        for (size_t i = 0; i < NFACTORS; i++)
            if (f[i].penalty == p) json_array_append_new(reasons, factor_json(&f[i]));
    for (size_t i = 0; i < NFACTORS; i++) json_object_set_new(all, f[i].factor, factor_json(&f[i]));
    *out = json_pack("{s:i, s:o, s:o}", "score", score, "reasons", reasons, "factors", all);
    return score;
}

static int64_t iso_s(json_t *v)
{
    int64_t t = 0;
    const char *s = json_string_value(v);
    if (s && bc_time_parse_iso(s, &t) == 0) return t;
    return 0;
}

int bc_health_gather(struct bc_env *env, const json_t *tenant, struct bc_health_in *in)
{
    const char *tid = json_string_value(json_object_get(tenant, "id"));
    struct bc_ctx ctx;
    struct bc_limits lim;
    char month[8];
    json_t *recent = NULL, *totals = NULL;
    memset(in, 0, sizeof *in);
    in->now_s = bc_now_s();
    if (!tid || bc_ctx_operator(&ctx, tid) < 0) return BC_EINVALID;
    in->created_s = iso_s(json_object_get(tenant, "created_at"));
    bc_usage_month_parse(NULL, month);
    int rc = bc_usage_recent(env, tid, BC_HEALTH_WINDOW_DAYS, &recent);
    if (rc == 0) rc = bc_usage_month_totals(env, tid, month, &totals);
    if (rc == 0) rc = bc_usage_state(env, tid, &in->last_active_s, &in->handoffs_open);
    if (rc == 0) rc = bc_plan_limits(env, tenant, &lim);
    if (rc == 0) {
#define R(name) json_integer_value(json_object_get(recent, name))
        in->requests = R("requests");
        in->errors_4xx = R("errors_4xx");
        in->errors_5xx = R("errors_5xx");
        in->conversations = R("conversations");
        in->conversations_booked = R("conversations_booked");
        in->visitor_limited = R("visitor_limited");
#undef R
        in->used[0] = json_integer_value(json_object_get(totals, "messages"));
        in->used[1] = json_integer_value(json_object_get(totals, "bookings"));
        in->used[2] = json_integer_value(json_object_get(json_object_get(totals, "ai_tokens"), "total"));
        in->limit[0] = lim.messages_month;
        in->limit[1] = lim.bookings_month;
        in->limit[2] = lim.ai_tokens_month;
    }
    json_decref(recent);
    json_decref(totals);
    if (rc == 0) rc = bc_extcal_failing(env, &ctx, in->now_s, &in->calendars_failing, &in->calendars);
    char *cursor = NULL;
    while (rc == 0) {
        json_t *items;
        char *next = NULL;
        rc = bc_apikey_list(env, &ctx, 1000, cursor, &items, &next);
        free(cursor);
        cursor = next;
        if (rc < 0) break;
        size_t i;
        json_t *k;
        json_array_foreach(items, i, k)
        {
            const char *st = json_string_value(json_object_get(k, "status"));
            if (!st || strcmp(st, "active") != 0) continue;
            int64_t t = iso_s(json_object_get(k, "created_at"));
            in->active_keys++;
            if (t > 0 && (in->oldest_key_s == 0 || t < in->oldest_key_s)) in->oldest_key_s = t;
        }
        json_decref(items);
        if (!cursor) break;
    }
    free(cursor);
    return rc;
}

int bc_health_tenant(struct bc_env *env, const json_t *tenant, json_t **out)
{
    struct bc_health_in in;
    *out = NULL;
    int rc = bc_health_gather(env, tenant, &in);
    if (rc < 0) return rc;
    bc_health_score(&in, out);
    return *out ? 0 : BC_ENOMEM;
}

static int by_score(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t sx = json_integer_value(json_object_get(x, "score")),
               sy = json_integer_value(json_object_get(y, "score"));
    if (sx != sy) return sx < sy ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "tenant_id")),
                  json_string_value(json_object_get(y, "tenant_id")));
}

struct health_all {
    struct bc_env *env;
    json_t *list;
};

static int health_row(json_t *t, void *arg)
{
    struct health_all *a = arg;
    const char *st = bc_field_str(t, BC_F_STATUS);
    if (st && strcmp(st, "DELETED") == 0) return 0;
    struct bc_ctx ctx;
    json_t *meta = NULL, *h = NULL;
    if (bc_ctx_operator(&ctx, json_string_value(json_object_get(t, "id"))) < 0) return 0;
    int rc = bc_tenant_get(a->env, &ctx, &meta);
    if (rc == BC_ENOT_FOUND) return 0; /* an index entry left by a purge */
    if (rc == 0) rc = bc_health_tenant(a->env, meta, &h);
    if (rc == 0)
        json_array_append_new(
            a->list, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "tenant_id", json_object_get(meta, "id"),
                               "name", json_object_get(meta, "name"), "plan", json_object_get(meta, "plan"),
                               "status", json_object_get(meta, "status"), "score",
                               json_object_get(h, "score"), "reasons", json_object_get(h, "reasons")));
    json_decref(meta);
    json_decref(h);
    return rc;
}

int bc_health_all(struct bc_env *env, json_t **out)
{
    json_t *list = json_array();
    *out = NULL;
    int rc = bc_tenant_each(env, health_row, &(struct health_all){env, list});
    if (rc < 0) {
        json_decref(list);
        return rc;
    }
    size_t n = json_array_size(list);
    json_t **arr = n ? calloc(n, sizeof *arr) : NULL;
    json_t *sorted = json_array();
    if (arr) {
        for (size_t i = 0; i < n; i++) arr[i] = json_array_get(list, i);
        qsort(arr, n, sizeof *arr, by_score);
        for (size_t i = 0; i < n; i++) json_array_append(sorted, arr[i]);
        free(arr);
    }
    json_decref(list);
    *out = sorted;
    return 0;
}
