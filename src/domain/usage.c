/* Metering, the read side: the counters' names, months, and what the store holds of a tenant's usage (the
 * dashboard's report of a month, a month's totals, the sums of recent days, the last activity and open
 * hand-offs). The counting in memory and the limits are in usage_meter.c, the flush in usage_flush.c; the
 * DESIGN NOTES in usage.h state the invariants. */
#include "domain/usage_internal.h"
#include "domain/env.h"
#include "domain/plan.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[BC_USAGE__COUNT] = {
    "messages",      "bookings",          "ai_tokens",
    "cancellations", "conversations",     "conversations_booked",
    "handoffs",      "handoffs_answered", "requests",
    "errors_4xx",    "errors_5xx",        "ai_tokens_in",
    "ai_tokens_out", "ai_calls",          "visitor_limited",
    "emails",        "webhooks",
};

const char *bc_usage_name(enum bc_usage_counter c)
{
    return (unsigned)c < BC_USAGE__COUNT ? names[c] : "?";
}

int bc__usage_tenant_pk(const char *tenant, char pk[BC_KEY_SIZE])
{
    struct bc_ctx ctx;
    if (bc_ctx_operator(&ctx, tenant) < 0 || !bc_key_tenant_pk(&ctx, pk)) return BC_EINVALID;
    return 0;
}

int bc__usage_read_month(struct bc_env *env, const char *tenant, const char *month, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *out = NULL;
    if (bc__usage_tenant_pk(tenant, pk) < 0 || !bc_key_sk(sk, "USAGE", month)) return BC_EINVALID;
    int rc = bc_store_get(s, pk, sk, out);
    return rc == BC_ENOT_FOUND ? 0 : rc;
}

int bc_usage_month_parse(const char *s, char out[8])
{
    if (!s || !*s) {
        char date[11];
        bc__usage_day_strings(bc__usage_day_of(bc_now_s()), date, out);
        return 0;
    }
    int32_t day;
    char probe[11];
    if (strlen(s) != 7 || s[4] != '-' || s[0] != '2') return BC_EINVALID;
    snprintf(probe, sizeof probe, "%s-01", s);
    if (bc_tz_date_parse(probe, &day) < 0) return BC_EINVALID;
    memcpy(out, s, 8);
    return 0;
}

static int by_count_json(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "count")),
               y = json_integer_value(json_object_get(*(json_t *const *)b, "count"));
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The API view of a usage item (NULL: all zeros); full adds models, error codes and origins. */
static json_t *item_view(json_t *it, bool full)
{
    json_t *o = json_object();
#define I(name) json_integer(json_integer_value(json_object_get(it, name)))
    const int plain[] = {BC_USAGE_MESSAGES,
                         BC_USAGE_BOOKINGS,
                         BC_USAGE_CANCELLATIONS,
                         BC_USAGE_CONVERSATIONS,
                         BC_USAGE_CONVERSATIONS_BOOKED,
                         BC_USAGE_HANDOFFS,
                         BC_USAGE_HANDOFFS_ANSWERED,
                         BC_USAGE_REQUESTS};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        json_object_set_new(o, names[plain[i]], I(names[plain[i]]));
    json_object_set_new(o, "peak_rpm", I("peak_rpm"));
    json_t *ai = json_pack("{s:o, s:o, s:o, s:o}", "total", I("ai_tokens"), "in", I("ai_tokens_in"), "out",
                           I("ai_tokens_out"), "calls", I("ai_calls"));
    json_t *err = json_pack("{s:o, s:o}", "4xx", I("errors_4xx"), "5xx", I("errors_5xx"));
#undef I
    if (full) {
        json_t *models = json_object(), *codes = json_pack("{s:{}, s:{}}", "4xx", "5xx"),
               *origins = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(it, k, v)
        {
            if (!json_is_integer(v)) continue;
            bool in = strncmp(k, "ai_tokens_in:", 13) == 0, out = strncmp(k, "ai_tokens_out:", 14) == 0;
            if (in || out) {
                const char *model = k + (in ? 13 : 14);
                json_t *mo = json_object_get(models, model);
                if (!mo) {
                    mo = json_pack("{s:i, s:i}", "in", 0, "out", 0);
                    json_object_set_new(models, model, mo);
                }
                json_object_set(mo, in ? "in" : "out", v);
            } else if ((k[0] == 'e') && (k[1] == '4' || k[1] == '5') && k[2] == ':') {
                json_object_set(json_object_get(codes, k[1] == '4' ? "4xx" : "5xx"), k + 3, v);
            } else if (strncmp(k, "o:", 2) == 0) {
                json_array_append_new(origins, json_pack("{s:s, s:O}", "origin", k + 2, "count", v));
            }
        }
        size_t n = json_array_size(origins);
        json_t **arr = n ? calloc(n, sizeof *arr) : NULL;
        json_t *sorted = json_array();
        if (arr) {
            for (size_t i = 0; i < n; i++) arr[i] = json_array_get(origins, i);
            qsort(arr, n, sizeof *arr, by_count_json);
            for (size_t i = 0; i < n && i < BC__USAGE_ORIGINS_KEEP; i++) json_array_append(sorted, arr[i]);
            free(arr);
        }
        json_decref(origins);
        json_object_set_new(ai, "by_model", models);
        json_object_set_new(err, "by_code", codes);
        json_object_set_new(o, "origins", sorted);
        json_object_set_new(o, "origins_other",
                            json_integer(json_integer_value(json_object_get(it, "origins_other"))));
    }
    json_object_set_new(o, "ai_tokens", ai);
    json_object_set_new(o, "errors", err);
    return o;
}

int bc_usage_month_totals(struct bc_env *env, const char *tenant_id, const char *month, json_t **out)
{
    json_t *item = NULL;
    *out = NULL;
    int rc = bc__usage_read_month(env, tenant_id, month, &item);
    if (rc < 0) return rc;
    *out = item_view(item, true);
    json_decref(item);
    return 0;
}

static json_t *limit_json(int64_t v)
{
    return v == BC_UNLIMITED ? json_null() : json_integer((json_int_t)v);
}

static json_t *pct_json(int64_t used, int64_t limit)
{
    if (limit == BC_UNLIMITED || limit <= 0) return json_null();
    return json_real((double)(int64_t)((double)used * 1000.0 / (double)limit) / 10.0);
}

/* A month's usage items: the month's own (SK "USAGE#YYYY-MM") and each day's by date. */
struct month_items {
    json_t *month, *days;
};

static int sort_month_item(json_t *it, void *arg)
{
    struct month_items *m = arg;
    const char *sk = json_string_value(json_object_get(it, "SK"));
    if (strlen(sk) == 13 && !m->month) m->month = json_incref(it);
    if (strlen(sk) == 16) json_object_set(m->days, sk + 6, it);
    return 0;
}

int bc_usage_report(struct bc_env *env, const json_t *tenant, const char *month, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    const char *tid = json_string_value(json_object_get(tenant, "id"));
    struct bc_limits lim;
    *out = NULL;
    if (!tid || bc__usage_tenant_pk(tid, pk) < 0 || !bc_key_sk(prefix, "USAGE", month)) return BC_EINVALID;
    int rc = bc_plan_limits(env, tenant, &lim);
    if (rc < 0) return rc;
    struct month_items m = {NULL, json_object()};
    struct bc_query q = {.pk = pk, .sk_prefix = prefix, .limit = 100};
    rc = bc_store_query_each(s, &q, sort_month_item, &m);
    json_t *month_item = m.month, *days = m.days;
    if (rc < 0) {
        json_decref(month_item);
        json_decref(days);
        return rc;
    }
    json_t *series = json_array();
    int32_t first, today = bc__usage_day_of(bc_now_s());
    char date[11];
    snprintf(date, sizeof date, "%s-01", month);
    bc_tz_date_parse(date, &first);
    for (int32_t d = first; d <= today; d++) {
        bc_tz_date_format(d, date);
        if (strncmp(date, month, 7) != 0) break;
        json_t *v = json_pack("{s:s}", "date", date), *view = item_view(json_object_get(days, date), false);
        json_object_update(v, view);
        json_decref(view);
        json_array_append_new(series, v);
    }
    json_t *totals = item_view(month_item, true);
    int64_t used[3] = {json_integer_value(json_object_get(totals, "messages")),
                       json_integer_value(json_object_get(totals, "bookings")),
                       json_integer_value(json_object_get(json_object_get(totals, "ai_tokens"), "total"))};
    int64_t caps[3] = {lim.messages_month, lim.bookings_month, lim.ai_tokens_month};
    *out =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o}, s:{s:b, s:b, s:b}}",
                  "tenant_id", tid, "month", month, "timezone", "UTC", "totals", totals, "days", series,
                  "limits", "messages_month", limit_json(caps[0]), "bookings_month", limit_json(caps[1]),
                  "ai_tokens_month", limit_json(caps[2]), "used_pct", "messages", pct_json(used[0], caps[0]),
                  "bookings", pct_json(used[1], caps[1]), "ai_tokens", pct_json(used[2], caps[2]),
                  "limit_reached", "messages", caps[0] != BC_UNLIMITED && used[0] >= caps[0], "bookings",
                  caps[1] != BC_UNLIMITED && used[1] >= caps[1], "ai_tokens",
                  caps[2] != BC_UNLIMITED && used[2] >= caps[2]);
    json_decref(month_item);
    json_decref(days);
    return *out ? 0 : BC_ENOMEM;
}

int bc_usage_recent(struct bc_env *env, const char *tenant_id, int days, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], from[BC_KEY_SIZE], to[BC_KEY_SIZE], d0[11], d1[11];
    *out = NULL;
    if (days < 1 || days > 366 || bc__usage_tenant_pk(tenant_id, pk) < 0) return BC_EINVALID;
    int32_t today = bc__usage_day_of(bc_now_s());
    bc_tz_date_format(today - days + 1, d0);
    bc_tz_date_format(today, d1);
    bc_key_sk(from, "USAGE", d0);
    bc_key_sk(to, "USAGE", d1);
    int64_t sum[BC_USAGE__COUNT] = {0};
    char *cursor = NULL;
    int rc;
    do {
        struct bc_query q = {.pk = pk, .sk_from = from, .sk_to = to, .limit = 400, .cursor = cursor};
        struct bc_query_result r;
        rc = bc_store_query(s, &q, &r);
        free(cursor);
        cursor = NULL;
        if (rc < 0) break;
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it)
        {
            if (strlen(json_string_value(json_object_get(it, "SK"))) != 16) continue; /* a month item */
            for (int k = 0; k < BC_USAGE__COUNT; k++)
                sum[k] += json_integer_value(json_object_get(it, names[k]));
        }
        cursor = r.next_cursor;
        r.next_cursor = NULL;
        bc_query_result_release(&r);
    } while (cursor);
    if (rc < 0) return rc;
    json_t *o = json_object();
    for (int k = 0; k < BC_USAGE__COUNT; k++) json_object_set_new(o, names[k], json_integer(sum[k]));
    *out = o;
    return 0;
}

int bc_usage_state(struct bc_env *env, const char *tenant_id, int64_t *last_active_s, int64_t *handoffs_open)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    json_t *it = NULL;
    *last_active_s = 0;
    *handoffs_open = 0;
    if (bc__usage_tenant_pk(tenant_id, pk) < 0) return BC_EINVALID;
    int rc = bc_store_get(s, pk, bc_key_sk(sk, "USAGE", "STATE"), &it);
    if (rc == BC_ENOT_FOUND) return 0;
    if (rc < 0) return rc;
    *last_active_s = json_integer_value(json_object_get(it, "last_active_at"));
    *handoffs_open = json_integer_value(json_object_get(it, "handoffs_open"));
    if (*handoffs_open < 0) *handoffs_open = 0;
    json_decref(it);
    return 0;
}
