/* The usage meter of one env, in memory: per tenant and UTC day the deltas not yet flushed (counted by
 * bc_usage_add, bc_usage_ai and bc_usage_request), and the plan's monthly limits checked against the month's
 * stored count plus those deltas. usage_flush.c writes the deltas; the DESIGN NOTES in usage.h state the
 * invariants. */
#include "domain/usage_internal.h"
#include "domain/env.h"
#include "domain/outbox.h"
#include "domain/plan.h"
#include "domain/usage.h"
#include "domain/org.h"
#include "domain/tenant.h"
#include "util/jsonv.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REFRESH_MS  1000 /* a limit's stored count is re-read at most this often */
#define MAX_DYN_KEY 240
#define MAX_MODEL   100

struct bc_usage_meter *bc__usage_meter_new(void)
{
    struct bc_usage_meter *um = calloc(1, sizeof *um);
    if (!um) return NULL;
    for (int i = 0; i < BC__USAGE_STRIPES; i++) {
        pthread_mutex_init(&um->stripes[i], NULL);
        pthread_cond_init(&um->landed[i], NULL);
    }
    pthread_mutex_init(&um->flush_mu, NULL);
    return um;
}

void bc__usage_meter_free(struct bc_usage_meter *um)
{
    if (!um) return;
    for (unsigned b = 0; b < BC__USAGE_BUCKETS; b++) {
        while (um->buckets[b]) {
            struct bc__usage_tenant *m = um->buckets[b];
            um->buckets[b] = m->next;
            while (m->pend) {
                struct bc__usage_pend *p = m->pend;
                m->pend = p->next;
                bc__usage_pend_free(p);
            }
            free(m);
        }
    }
    for (int i = 0; i < BC__USAGE_STRIPES; i++) {
        pthread_mutex_destroy(&um->stripes[i]);
        pthread_cond_destroy(&um->landed[i]);
    }
    pthread_mutex_destroy(&um->flush_mu);
    free(um);
}

static unsigned bucket_of(const char *tenant)
{
    uint32_t h = 2166136261u;
    for (const char *p = tenant; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return h % BC__USAGE_BUCKETS;
}

pthread_mutex_t *bc__usage_lock(struct bc_usage_meter *um, unsigned b)
{
    pthread_mutex_t *mu = &um->stripes[b % BC__USAGE_STRIPES];
    pthread_mutex_lock(mu);
    return mu;
}

void bc__usage_day_strings(int32_t day, char date[11], char month[8])
{
    /* per thread, a memo of a pure function of the day (no store's state): formatting a date costs more
     * than the rest of a count */
    static _Thread_local int32_t cached_day = -1;
    static _Thread_local char cached_date[11];
    if (day != cached_day) {
        bc_tz_date_format(day, cached_date);
        cached_day = day;
    }
    memcpy(date, cached_date, 11);
    memcpy(month, date, 7);
    month[7] = '\0';
}

int32_t bc__usage_day_of(int64_t now_s)
{
    return (int32_t)(now_s >= 0 ? now_s / 86400 : (now_s - 86399) / 86400);
}

void bc__usage_pend_free(struct bc__usage_pend *p)
{
    if (!p) return;
    json_decref(p->dyn);
    free(p->mins);
    free(p);
}

/* Under the bucket's lock. */
static struct bc__usage_tenant *meter_find(struct bc_usage_meter *um, unsigned b, const char *tenant,
                                           bool create)
{
    struct bc__usage_tenant *m = um->buckets[b];
    while (m && strcmp(m->tenant, tenant) != 0) m = m->next;
    if (m || !create) return m;
    m = calloc(1, sizeof *m);
    if (!m) return NULL;
    snprintf(m->tenant, sizeof m->tenant, "%s", tenant);
    m->next = um->buckets[b];
    um->buckets[b] = m;
    atomic_fetch_add(&um->tenants, 1);
    return m;
}

/* A new month forgets the old month's limit state (its pending deltas still flush to the old month). */
static void meter_month(struct bc__usage_tenant *m, const char *month)
{
    if (strcmp(m->month, month) == 0) return;
    snprintf(m->month, sizeof m->month, "%s", month);
    memset(m->stored, 0, sizeof m->stored);
    memset(m->unflushed, 0, sizeof m->unflushed);
    m->refreshed_ms = 0;
    m->cur_inflight = 0;
}

/* The pend of `day` that new deltas go to (one not partially written), created if needed. */
static struct bc__usage_pend *pend_for(struct bc__usage_tenant *m, int32_t day)
{
    for (struct bc__usage_pend *p = m->pend; p; p = p->next)
        if (p->day == day && !p->done_day && !p->done_month) return p;
    struct bc__usage_pend *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->day = day;
    bc__usage_day_strings(day, p->date, p->month);
    p->next = m->pend;
    m->pend = p;
    return p;
}

void bc__usage_dyn_add(struct bc__usage_pend *p, const char *key, int64_t n)
{
    if (!p->dyn && !(p->dyn = json_object())) return;
    json_t *v = json_object_get(p->dyn, key);
    if (!v && strncmp(key, "o:", 2) == 0) {
        if (p->norigins >= BC__USAGE_ORIGINS_KEEP)
            key = "origins_other";
        else
            p->norigins++;
        v = json_object_get(p->dyn, key);
    }
    json_object_set_new(p->dyn, key, json_integer(json_integer_value(v) + n));
}

void bc__usage_minute_add(struct bc__usage_pend *p, int32_t min, int64_t n)
{
    for (int i = p->nmins - 1; i >= 0; i--) {
        if (p->mins[i].min == min) {
            p->mins[i].n += n;
            return;
        }
    }
    if (p->nmins == p->capmins) {
        int cap = p->capmins ? p->capmins * 2 : 4;
        struct bc__usage_minute *nm = realloc(p->mins, (size_t)cap * sizeof *nm);
        if (!nm) return;
        p->mins = nm;
        p->capmins = cap;
    }
    p->mins[p->nmins++] = (struct bc__usage_minute){min, n};
}

/* Under the lock: counts n of c in m's pend of today. */
static void count_locked(struct bc__usage_tenant *m, struct bc__usage_pend *p, enum bc_usage_counter c,
                         int64_t n)
{
    p->c[c] += n;
    if (c < BC_USAGE__LIMITED && strcmp(p->month, m->month) == 0) m->unflushed[c] += n;
    if (c == BC_USAGE_HANDOFFS) m->handoffs_delta += n;
    if (c == BC_USAGE_HANDOFFS_ANSWERED) m->handoffs_delta -= n;
}

/* Locks the tenant's bucket and finds (creates) its meter and today's pend. NULL (unlocked) on a bad id or
 * out of memory. */
static struct bc__usage_tenant *enter(struct bc_usage_meter *um, const char *tenant, int64_t now_s,
                                      struct bc__usage_pend **p, pthread_mutex_t **mu)
{
    if (!bc_key_id_ok(tenant)) return NULL;
    unsigned b = bucket_of(tenant);
    *mu = bc__usage_lock(um, b);
    struct bc__usage_tenant *m = meter_find(um, b, tenant, true);
    *p = m ? pend_for(m, bc__usage_day_of(now_s)) : NULL;
    if (!*p) {
        pthread_mutex_unlock(*mu);
        return NULL;
    }
    char date[11], month[8];
    bc__usage_day_strings(bc__usage_day_of(now_s), date, month);
    meter_month(m, month);
    m->used_ms = now_s * 1000;
    return m;
}

void bc_usage_add(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c, int64_t n)
{
    pthread_mutex_t *mu;
    struct bc__usage_pend *p;
    if ((unsigned)c >= BC_USAGE__COUNT || n == 0) return;
    struct bc__usage_tenant *m = enter(env->usage, tenant_id, bc_now_s(), &p, &mu);
    if (!m) return;
    count_locked(m, p, c, n);
    pthread_mutex_unlock(mu);
}

static void model_key(char *out, size_t size, const char *prefix, const char *model)
{
    size_t n = (size_t)snprintf(out, size, "%s", prefix);
    const char *src = model && *model ? model : "unknown";
    for (const char *q = src; *q && n < size - 1 && q - src < MAX_MODEL; q++)
        out[n++] = (unsigned char)*q < 0x20 || *q == 0x7f ? '_' : *q;
    out[n] = '\0';
}

void bc_usage_ai(struct bc_env *env, const char *tenant_id, const char *model, long tokens_in,
                 long tokens_out)
{
    pthread_mutex_t *mu;
    struct bc__usage_pend *p;
    char key[MAX_DYN_KEY];
    if (tokens_in < 0) tokens_in = 0;
    if (tokens_out < 0) tokens_out = 0;
    struct bc__usage_tenant *m = enter(env->usage, tenant_id, bc_now_s(), &p, &mu);
    if (!m) return;
    count_locked(m, p, BC_USAGE_AI_TOKENS, tokens_in + tokens_out);
    count_locked(m, p, BC_USAGE_AI_TOKENS_IN, tokens_in);
    count_locked(m, p, BC_USAGE_AI_TOKENS_OUT, tokens_out);
    count_locked(m, p, BC_USAGE_AI_CALLS, 1);
    model_key(key, sizeof key, "ai_tokens_in:", model);
    if (tokens_in) bc__usage_dyn_add(p, key, tokens_in);
    model_key(key, sizeof key, "ai_tokens_out:", model);
    if (tokens_out) bc__usage_dyn_add(p, key, tokens_out);
    pthread_mutex_unlock(mu);
}

void bc_usage_request(struct bc_env *env, const char *tenant_id, int status, const char *code,
                      const char *origin)
{
    pthread_mutex_t *mu;
    struct bc__usage_pend *p;
    char key[MAX_DYN_KEY];
    int64_t now = bc_now_s();
    struct bc__usage_tenant *m = enter(env->usage, tenant_id, now, &p, &mu);
    if (!m) return;
    count_locked(m, p, BC_USAGE_REQUESTS, 1);
    bc__usage_minute_add(p, (int32_t)((now - (int64_t)p->day * 86400) / 60), 1);
    if (status >= 400) {
        bool server = status >= 500;
        count_locked(m, p, server ? BC_USAGE_ERRORS_5XX : BC_USAGE_ERRORS_4XX, 1);
        if (code && *code)
            snprintf(key, sizeof key, "e%c:%.60s", server ? '5' : '4', code);
        else
            snprintf(key, sizeof key, "e%c:http_%d", server ? '5' : '4', status);
        bc__usage_dyn_add(p, key, 1);
    }
    if (origin && *origin && strlen(origin) < MAX_DYN_KEY - 3) {
        snprintf(key, sizeof key, "o:%s", origin);
        bc__usage_dyn_add(p, key, 1);
    }
    m->last_active_s = now;
    pthread_mutex_unlock(mu);
}

void bc_usage_stats(struct bc_env *env, struct bc_usage_stats *out)
{
    struct bc_usage_meter *um = env ? env->usage : NULL;
    *out = (struct bc_usage_stats){0};
    if (!um) return;
    out->flushes = atomic_load(&um->flushes);
    out->flush_errors = atomic_load(&um->flush_errors);
    out->items_written = atomic_load(&um->items_written);
    out->tenants = atomic_load(&um->tenants);
}

/* ---- limits ---- */

void bc__usage_install(struct bc__usage_tenant *m, json_t *month_item, int64_t now_ms)
{
    for (int k = 0; k < BC_USAGE__LIMITED; k++)
        m->stored[k] = json_integer_value(json_object_get(month_item, bc_usage_name(k)));
    m->refreshed_ms = now_ms;
}

/* Waits (a bounded time) while m was never read this month and a write of it is in flight: its result
 * installs the count. Under the bucket's lock, which the wait releases meanwhile. */
static void await_landing(struct bc_usage_meter *um, unsigned b, struct bc__usage_tenant *m,
                          pthread_mutex_t *mu)
{
    for (int waits = 0; m->refreshed_ms == 0 && m->cur_inflight > 0 && waits < 50; waits++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&um->landed[b % BC__USAGE_STRIPES], mu, &ts);
    }
}

/* Locks the tenant's bucket with its meter's limit state current: read from the store when never read this
 * month or older than REFRESH_MS (unless a write of this month is in flight: its result installs the count).
 * Returns the meter locked (*mu to unlock), or NULL (unlocked) with *err set. */
static struct bc__usage_tenant *load_locked(struct bc_env *env, const char *tenant, int64_t now_ms,
                                            pthread_mutex_t **mu, int *err)
{
    struct bc_usage_meter *um = env->usage;
    char date[11], month[8];
    bc__usage_day_strings(bc__usage_day_of(now_ms / 1000), date, month);
    unsigned b = bucket_of(tenant);
    *mu = bc__usage_lock(um, b);
    struct bc__usage_tenant *m = meter_find(um, b, tenant, true);
    *err = BC_ENOMEM;
    if (!m) {
        pthread_mutex_unlock(*mu);
        return NULL;
    }
    meter_month(m, month);
    m->used_ms = now_ms;
    await_landing(um, b, m, *mu);
    if ((m->refreshed_ms == 0 || now_ms - m->refreshed_ms >= REFRESH_MS) && m->cur_inflight == 0) {
        uint64_t gen = m->gen;
        pthread_mutex_unlock(*mu);
        json_t *item = NULL;
        int rc = bc__usage_read_month(env, tenant, month, &item);
        *mu = bc__usage_lock(um, b);
        m = meter_find(um, b, tenant, true);
        if (m) {
            meter_month(m, month);
            m->used_ms = now_ms;
            /* only when no flush of this month completed or started meanwhile: then the store holds
             * exactly our flushed deltas and none of the unflushed ones */
            if (rc == 0 && m->gen == gen && m->cur_inflight == 0) bc__usage_install(m, item, now_ms);
        }
        json_decref(item);
        if (!m || (rc < 0 && m->refreshed_ms == 0)) {
            pthread_mutex_unlock(*mu);
            if (rc < 0) bc_log(BC_LOG_WARN, "usage: reading %s's %s failed: %d", tenant, month, rc);
            *err = rc < 0 ? rc : BC_ENOMEM;
            return NULL;
        }
    }
    return m;
}

/* Check (and with commit, count) n units of limited counter c against limit. */
static int reserve(struct bc_env *env, const char *tenant, enum bc_usage_counter c, int64_t n, int64_t limit,
                   bool commit, int64_t *after)
{
    if ((unsigned)c >= BC_USAGE__LIMITED || !bc_key_id_ok(tenant)) return BC_EINVALID;
    int64_t now_ms = bc_now_ms();
    pthread_mutex_t *mu;
    int rc;
    struct bc__usage_tenant *m = load_locked(env, tenant, now_ms, &mu, &rc);
    if (!m) return rc;
    int64_t est = m->stored[c] + m->unflushed[c];
    if (after) *after = est + n;
    rc = 0;
    if (commit ? est + n > limit : est >= limit) {
        rc = BC_EPLAN;
    } else if (commit) {
        struct bc__usage_pend *p = pend_for(m, bc__usage_day_of(now_ms / 1000));
        if (p)
            count_locked(m, p, c, n);
        else
            rc = BC_ENOMEM;
    }
    pthread_mutex_unlock(mu);
    return rc;
}

int bc_usage_month_count(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c, int64_t *out)
{
    *out = 0;
    if ((unsigned)c >= BC_USAGE__LIMITED || !bc_key_id_ok(tenant_id)) return BC_EINVALID;
    pthread_mutex_t *mu;
    int rc;
    struct bc__usage_tenant *m = load_locked(env, tenant_id, bc_now_ms(), &mu, &rc);
    if (!m) return rc;
    *out = m->stored[c] + m->unflushed[c];
    pthread_mutex_unlock(mu);
    return 0;
}

int bc_usage_take(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c, int64_t n,
                  int64_t limit)
{
    if ((unsigned)c >= BC_USAGE__LIMITED || limit == BC_UNLIMITED) {
        if (!bc_key_id_ok(tenant_id)) return BC_EINVALID;
        bc_usage_add(env, tenant_id, c, n);
        return 0;
    }
    int64_t after = 0;
    int rc = reserve(env, tenant_id, c, n, limit, true, &after);
    /* the staff are told when the month's count passes 80 % of the plan's limit, and when it reaches it
     * (once a month each: outbox.h) */
    const char *what = rc == BC_EPLAN || (rc == 0 && after >= limit && after - n < limit)
                           ? BC_EV_LIMIT_REACHED
                       : rc == 0 && after * 5 >= limit * 4 && (after - n) * 5 < limit * 4 ? BC_EV_LIMIT_NEAR
                                                                                          : NULL;
    if (what && limit > 0) {
        int r =
            bc_outbox_usage(env, tenant_id, what, bc_usage_name(c), rc == BC_EPLAN ? limit : after, limit);
        if (r < 0) bc_log(BC_LOG_WARN, "usage notice for %s failed: %d", tenant_id, r);
    }
    return rc;
}

int bc_usage_check(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c, int64_t limit)
{
    if ((unsigned)c >= BC_USAGE__LIMITED || limit == BC_UNLIMITED) return 0;
    return reserve(env, tenant_id, c, 0, limit, false, NULL);
}

static int64_t plan_limit(const struct bc_limits *l, enum bc_usage_counter c)
{
    switch (c) {
    case BC_USAGE_MESSAGES:
        return l->messages_month;
    case BC_USAGE_BOOKINGS:
        return l->bookings_month;
    case BC_USAGE_AI_TOKENS:
        return l->ai_tokens_month;
    default:
        return BC_UNLIMITED;
    }
}

struct pool_sum {
    struct bc_env *env;
    enum bc_usage_counter c;
    int64_t used;
};

static int add_branch_count(const json_t *meta, void *arg)
{
    struct pool_sum *p = arg;
    int64_t v = 0;
    int rc = bc_usage_month_count(p->env, json_string_value(json_object_get(meta, "id")), p->c, &v);
    p->used += v;
    return rc;
}

/* Pooled limits (docs/organisations.md): a tenant of an organisation that pools its limits is held to the
 * organisation's plan against the month's count of the organisation and every branch together; its own
 * counter still counts (its figures). 1 when the tenant's limits are its own. The sum is what this process
 * knows of each tenant's month (as a take's), so concurrent takes in other branches may overshoot the pool
 * by what they take at the same moment. */
static int pool(struct bc_env *env, const json_t *tenant, enum bc_usage_counter c, int64_t n, bool take)
{
    const char *parent = json_string_value(json_object_get(tenant, "parent_id"));
    const json_t *org = NULL;
    struct bc_ctx octx;
    if (!parent && !json_is_true(json_object_get(tenant, "pooled_limits"))) return 1;
    if (parent && (bc_ctx_operator(&octx, parent) < 0 || bc_tenant_get_ro(env, &octx, &org) < 0)) return 1;
    const json_t *o = parent ? bc_json_shared(org) : tenant;
    int rc = 1;
    struct bc_limits l;
    if (json_is_true(json_object_get(o, "pooled_limits")) && (rc = bc_plan_limits(env, o, &l)) == 0) {
        int64_t limit = plan_limit(&l, c);
        struct pool_sum sum = {env, c, 0};
        struct bc_ctx self;
        const char *id = json_string_value(json_object_get(o, "id"));
        if (limit != BC_UNLIMITED && (rc = bc_ctx_operator(&self, id)) == 0 &&
            (rc = bc_usage_month_count(env, id, c, &sum.used)) == 0)
            rc = bc_org_each_branch(env, &self, add_branch_count, &sum);
        if (rc == 0 && limit != BC_UNLIMITED && (take ? sum.used + n > limit : sum.used >= limit))
            rc = BC_EPLAN;
        if (rc == 0 && take)
            rc = bc_usage_take(env, json_string_value(json_object_get(tenant, "id")), c, n, BC_UNLIMITED);
    }
    bc_json_release(org);
    return rc;
}

int bc_usage_take_plan(struct bc_env *env, const json_t *tenant, enum bc_usage_counter c, int64_t n)
{
    struct bc_limits l;
    int rc = (unsigned)c < BC_USAGE__LIMITED ? pool(env, tenant, c, n, true) : 1;
    if (rc <= 0) return rc;
    rc = bc_plan_limits(env, tenant, &l);
    if (rc < 0) return rc;
    return bc_usage_take(env, json_string_value(json_object_get(tenant, "id")), c, n, plan_limit(&l, c));
}

int bc_usage_check_plan(struct bc_env *env, const json_t *tenant, enum bc_usage_counter c)
{
    struct bc_limits l;
    int rc = (unsigned)c < BC_USAGE__LIMITED ? pool(env, tenant, c, 0, false) : 1;
    if (rc <= 0) return rc;
    rc = bc_plan_limits(env, tenant, &l);
    if (rc < 0) return rc;
    return bc_usage_check(env, json_string_value(json_object_get(tenant, "id")), c, plan_limit(&l, c));
}

bool bc_usage_ai_budget_left(struct bc_env *env, const json_t *tenant)
{
    return bc_usage_check_plan(env, tenant, BC_USAGE_AI_TOKENS) == 0;
}

int64_t bc_usage_estimate(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c)
{
    if ((unsigned)c >= BC_USAGE__LIMITED || !bc_key_id_ok(tenant_id)) return -1;
    struct bc_usage_meter *um = env->usage;
    char date[11], month[8];
    bc__usage_day_strings(bc__usage_day_of(bc_now_s()), date, month);
    unsigned b = bucket_of(tenant_id);
    pthread_mutex_t *mu = bc__usage_lock(um, b);
    struct bc__usage_tenant *m = meter_find(um, b, tenant_id, false);
    int64_t v = m && strcmp(m->month, month) == 0 && m->refreshed_ms ? m->stored[c] + m->unflushed[c] : -1;
    pthread_mutex_unlock(mu);
    return v;
}
