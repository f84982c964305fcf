/* Metering: in-memory aggregation per tenant and UTC day, the flush to the store, the limit checks, and the
 * read side (reports, totals, recent sums). The DESIGN NOTES in usage.h state the invariants. */
#include "domain/usage.h"
#include "domain/env.h"
#include "auth/context.h"
#include "domain/plan.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/tz.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSTRIPES      32
#define NBUCKETS      2048 /* chains; bucket b is guarded by stripe b % NSTRIPES */
#define REFRESH_MS    1000 /* a limit's stored count is re-read at most this often */
#define EVICT_MS      (10 * 60 * 1000)
#define STATE_EVERY_S 3600 /* last activity is written at most this often per tenant */
#define ORIGINS_KEEP  100
#define ORIGINS_PRUNE 150 /* an item holding more origins than this is pruned to the top ORIGINS_KEEP */
#define DAY_TTL_S     (400 * 86400)
#define RPM_TTL_S     (2 * 86400)
#define MAX_DYN_KEY   240
#define MAX_MODEL     100
#define PEAK_RETRIES  5

static const char *const names[BC_USAGE__COUNT] = {
    "messages",      "bookings",          "ai_tokens",
    "cancellations", "conversations",     "conversations_booked",
    "handoffs",      "handoffs_answered", "requests",
    "errors_4xx",    "errors_5xx",        "ai_tokens_in",
    "ai_tokens_out", "ai_calls",
};

const char *bc_usage_name(enum bc_usage_counter c)
{
    return (unsigned)c < BC_USAGE__COUNT ? names[c] : "?";
}

/* Requests of one minute of the day. */
struct minute {
    int32_t min; /* 0..1439 */
    int64_t n;
};

/* Deltas of one tenant for one UTC day, not yet written. */
struct pend {
    struct pend *next;
    int32_t day;
    char date[11]; /* YYYY-MM-DD */
    char month[8]; /* YYYY-MM */
    int64_t c[BC_USAGE__COUNT];
    json_t *dyn; /* "e4:<code>", "e5:<code>", "ai_tokens_in:<model>", "ai_tokens_out:<model>", "o:<origin>" ->
                    delta */
    int norigins; /* "o:" keys in dyn */
    struct minute *mins;
    int nmins, capmins;
    int64_t peak_seen;         /* highest global minute count seen while writing the hour items */
    bool done_day, done_month; /* parts written by an attempt that failed later */
    bool counted;              /* in flight and counted in meter.cur_inflight */
};

struct meter {
    struct meter *next;
    char tenant[BC_TENANT_ID_MAX + 1];
    struct pend *pend;
    /* limits: the month's counts as stored, and ours not yet flushed */
    char month[8];
    int64_t stored[BC_USAGE__LIMITED];
    int64_t unflushed[BC_USAGE__LIMITED];
    int64_t refreshed_ms; /* 0: not read for this month */
    int cur_inflight;     /* pends of `month` being written by the flusher */
    uint64_t gen;         /* bumped when such a write completes */
    /* USAGE#STATE */
    int64_t last_active_s, state_written_s, handoffs_delta;
    int64_t used_ms;
    bool inflight; /* held by a flush job: not evictable */
};

static pthread_mutex_t stripes[NSTRIPES];
static pthread_cond_t landed[NSTRIPES]; /* a stripe's meter has no write of its month in flight any more */
static pthread_once_t stripes_once = PTHREAD_ONCE_INIT;
static struct meter *buckets[NBUCKETS];
static pthread_mutex_t flush_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_ullong st_flushes, st_errors, st_items;
static atomic_long st_tenants;

static void init_stripes(void)
{
    for (int i = 0; i < NSTRIPES; i++) {
        pthread_mutex_init(&stripes[i], NULL);
        pthread_cond_init(&landed[i], NULL);
    }
}

static unsigned bucket_of(const char *tenant)
{
    uint32_t h = 2166136261u;
    for (const char *p = tenant; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return h % NBUCKETS;
}

static pthread_mutex_t *lock_bucket(unsigned b)
{
    pthread_once(&stripes_once, init_stripes);
    pthread_mutex_t *mu = &stripes[b % NSTRIPES];
    pthread_mutex_lock(mu);
    return mu;
}

static void day_strings(int32_t day, char date[11], char month[8])
{
    static _Thread_local int32_t cached_day = -1;
    static _Thread_local char cached_date[11];
    if (day != cached_day) { /* formatting a date costs more than the rest of a count */
        bc_tz_date_format(day, cached_date);
        cached_day = day;
    }
    memcpy(date, cached_date, 11);
    memcpy(month, date, 7);
    month[7] = '\0';
}

static int32_t day_of(int64_t now_s)
{
    return (int32_t)(now_s >= 0 ? now_s / 86400 : (now_s - 86399) / 86400);
}

static void pend_free(struct pend *p)
{
    if (!p) return;
    json_decref(p->dyn);
    free(p->mins);
    free(p);
}

/* Under the bucket's lock. */
static struct meter *meter_find(unsigned b, const char *tenant, bool create)
{
    struct meter *m = buckets[b];
    while (m && strcmp(m->tenant, tenant) != 0) m = m->next;
    if (m || !create) return m;
    m = calloc(1, sizeof *m);
    if (!m) return NULL;
    snprintf(m->tenant, sizeof m->tenant, "%s", tenant);
    m->next = buckets[b];
    buckets[b] = m;
    atomic_fetch_add(&st_tenants, 1);
    return m;
}

/* A new month forgets the old month's limit state (its pending deltas still flush to the old month). */
static void meter_month(struct meter *m, const char *month)
{
    if (strcmp(m->month, month) == 0) return;
    snprintf(m->month, sizeof m->month, "%s", month);
    memset(m->stored, 0, sizeof m->stored);
    memset(m->unflushed, 0, sizeof m->unflushed);
    m->refreshed_ms = 0;
    m->cur_inflight = 0;
}

/* The pend of `day` that new deltas go to (one not partially written), created if needed. */
static struct pend *pend_for(struct meter *m, int32_t day)
{
    for (struct pend *p = m->pend; p; p = p->next)
        if (p->day == day && !p->done_day && !p->done_month) return p;
    struct pend *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->day = day;
    day_strings(day, p->date, p->month);
    p->next = m->pend;
    m->pend = p;
    return p;
}

static void dyn_add(struct pend *p, const char *key, int64_t n)
{
    if (!p->dyn && !(p->dyn = json_object())) return;
    json_t *v = json_object_get(p->dyn, key);
    if (!v && strncmp(key, "o:", 2) == 0) {
        if (p->norigins >= ORIGINS_KEEP)
            key = "origins_other";
        else
            p->norigins++;
        v = json_object_get(p->dyn, key);
    }
    json_object_set_new(p->dyn, key, json_integer(json_integer_value(v) + n));
}

static void minute_add(struct pend *p, int32_t min, int64_t n)
{
    for (int i = p->nmins - 1; i >= 0; i--) {
        if (p->mins[i].min == min) {
            p->mins[i].n += n;
            return;
        }
    }
    if (p->nmins == p->capmins) {
        int cap = p->capmins ? p->capmins * 2 : 4;
        struct minute *nm = realloc(p->mins, (size_t)cap * sizeof *nm);
        if (!nm) return;
        p->mins = nm;
        p->capmins = cap;
    }
    p->mins[p->nmins++] = (struct minute){min, n};
}

/* Under the lock: counts n of c in m's pend of today. */
static void count_locked(struct meter *m, struct pend *p, enum bc_usage_counter c, int64_t n)
{
    p->c[c] += n;
    if (c < BC_USAGE__LIMITED && strcmp(p->month, m->month) == 0) m->unflushed[c] += n;
    if (c == BC_USAGE_HANDOFFS) m->handoffs_delta += n;
    if (c == BC_USAGE_HANDOFFS_ANSWERED) m->handoffs_delta -= n;
}

/* Locks the tenant's bucket and finds (creates) its meter and today's pend. NULL (unlocked) on a bad id or
 * out of memory. */
static struct meter *enter(const char *tenant, int64_t now_s, struct pend **p, pthread_mutex_t **mu)
{
    if (!bc_key_id_ok(tenant)) return NULL;
    unsigned b = bucket_of(tenant);
    *mu = lock_bucket(b);
    struct meter *m = meter_find(b, tenant, true);
    *p = m ? pend_for(m, day_of(now_s)) : NULL;
    if (!*p) {
        pthread_mutex_unlock(*mu);
        return NULL;
    }
    char date[11], month[8];
    day_strings(day_of(now_s), date, month);
    meter_month(m, month);
    m->used_ms = now_s * 1000;
    return m;
}

void bc_usage_add(const char *tenant_id, enum bc_usage_counter c, int64_t n)
{
    pthread_mutex_t *mu;
    struct pend *p;
    if ((unsigned)c >= BC_USAGE__COUNT || n == 0) return;
    struct meter *m = enter(tenant_id, bc_now_s(), &p, &mu);
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

void bc_usage_ai(const char *tenant_id, const char *model, long tokens_in, long tokens_out)
{
    pthread_mutex_t *mu;
    struct pend *p;
    char key[MAX_DYN_KEY];
    if (tokens_in < 0) tokens_in = 0;
    if (tokens_out < 0) tokens_out = 0;
    struct meter *m = enter(tenant_id, bc_now_s(), &p, &mu);
    if (!m) return;
    count_locked(m, p, BC_USAGE_AI_TOKENS, tokens_in + tokens_out);
    count_locked(m, p, BC_USAGE_AI_TOKENS_IN, tokens_in);
    count_locked(m, p, BC_USAGE_AI_TOKENS_OUT, tokens_out);
    count_locked(m, p, BC_USAGE_AI_CALLS, 1);
    model_key(key, sizeof key, "ai_tokens_in:", model);
    if (tokens_in) dyn_add(p, key, tokens_in);
    model_key(key, sizeof key, "ai_tokens_out:", model);
    if (tokens_out) dyn_add(p, key, tokens_out);
    pthread_mutex_unlock(mu);
}

void bc_usage_request(const char *tenant_id, int status, const char *code, const char *origin)
{
    pthread_mutex_t *mu;
    struct pend *p;
    char key[MAX_DYN_KEY];
    int64_t now = bc_now_s();
    struct meter *m = enter(tenant_id, now, &p, &mu);
    if (!m) return;
    count_locked(m, p, BC_USAGE_REQUESTS, 1);
    minute_add(p, (int32_t)((now - (int64_t)p->day * 86400) / 60), 1);
    if (status >= 400) {
        bool server = status >= 500;
        count_locked(m, p, server ? BC_USAGE_ERRORS_5XX : BC_USAGE_ERRORS_4XX, 1);
        if (code && *code)
            snprintf(key, sizeof key, "e%c:%.60s", server ? '5' : '4', code);
        else
            snprintf(key, sizeof key, "e%c:http_%d", server ? '5' : '4', status);
        dyn_add(p, key, 1);
    }
    if (origin && *origin && strlen(origin) < MAX_DYN_KEY - 3) {
        snprintf(key, sizeof key, "o:%s", origin);
        dyn_add(p, key, 1);
    }
    m->last_active_s = now;
    pthread_mutex_unlock(mu);
}

/* ---- limits ---- */

static int tenant_pk(const char *tenant, char pk[BC_KEY_SIZE])
{
    struct bc_ctx ctx;
    if (bc_ctx_operator(&ctx, tenant) < 0 || !bc_key_tenant_pk(&ctx, pk)) return BC_EINVALID;
    return 0;
}

static int read_month(struct bc_env *env, const char *tenant, const char *month, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *out = NULL;
    if (tenant_pk(tenant, pk) < 0 || !bc_key_sk(sk, "USAGE", month)) return BC_EINVALID;
    int rc = bc_store_get(s, pk, sk, out);
    return rc == BC_ENOT_FOUND ? 0 : rc;
}

static void install(struct meter *m, json_t *month_item, int64_t now_ms)
{
    for (int k = 0; k < BC_USAGE__LIMITED; k++)
        m->stored[k] = json_integer_value(json_object_get(month_item, names[k]));
    m->refreshed_ms = now_ms;
}

/* Locks the tenant's bucket with its meter's limit state current: read from the store when never read this
 * month or older than REFRESH_MS (unless a write of this month is in flight: its result installs the count).
 * Returns the meter locked (*mu to unlock), or NULL (unlocked) with *err set. */
static struct meter *load_locked(struct bc_env *env, const char *tenant, int64_t now_ms, pthread_mutex_t **mu,
                                 int *err)
{
    char date[11], month[8];
    day_strings(day_of(now_ms / 1000), date, month);
    unsigned b = bucket_of(tenant);
    *mu = lock_bucket(b);
    struct meter *m = meter_find(b, tenant, true);
    *err = BC_ENOMEM;
    if (!m) {
        pthread_mutex_unlock(*mu);
        return NULL;
    }
    meter_month(m, month);
    m->used_ms = now_ms;
    /* never read this month and a write of it in flight: wait for it (its result installs the count) */
    for (int waits = 0; m->refreshed_ms == 0 && m->cur_inflight > 0 && waits < 50; waits++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&landed[b % NSTRIPES], *mu, &ts);
    }
    if ((m->refreshed_ms == 0 || now_ms - m->refreshed_ms >= REFRESH_MS) && m->cur_inflight == 0) {
        uint64_t gen = m->gen;
        pthread_mutex_unlock(*mu);
        json_t *item = NULL;
        int rc = read_month(env, tenant, month, &item);
        *mu = lock_bucket(b);
        m = meter_find(b, tenant, true);
        if (m) {
            meter_month(m, month);
            m->used_ms = now_ms;
            /* only when no flush of this month completed or started meanwhile: then the store holds
             * exactly our flushed deltas and none of the unflushed ones */
            if (rc == 0 && m->gen == gen && m->cur_inflight == 0) install(m, item, now_ms);
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
                   bool commit)
{
    if ((unsigned)c >= BC_USAGE__LIMITED || !bc_key_id_ok(tenant)) return BC_EINVALID;
    int64_t now_ms = bc_now_ms();
    pthread_mutex_t *mu;
    int rc;
    struct meter *m = load_locked(env, tenant, now_ms, &mu, &rc);
    if (!m) return rc;
    int64_t est = m->stored[c] + m->unflushed[c];
    rc = 0;
    if (commit ? est + n > limit : est >= limit) {
        rc = BC_EPLAN;
    } else if (commit) {
        struct pend *p = pend_for(m, day_of(now_ms / 1000));
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
    struct meter *m = load_locked(env, tenant_id, bc_now_ms(), &mu, &rc);
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
        bc_usage_add(tenant_id, c, n);
        return 0;
    }
    return reserve(env, tenant_id, c, n, limit, true);
}

int bc_usage_check(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c, int64_t limit)
{
    if ((unsigned)c >= BC_USAGE__LIMITED || limit == BC_UNLIMITED) return 0;
    return reserve(env, tenant_id, c, 0, limit, false);
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

int bc_usage_take_plan(struct bc_env *env, json_t *tenant, enum bc_usage_counter c, int64_t n)
{
    struct bc_limits l;
    int rc = bc_plan_limits(env, tenant, &l);
    if (rc < 0) return rc;
    return bc_usage_take(env, json_string_value(json_object_get(tenant, "id")), c, n, plan_limit(&l, c));
}

int bc_usage_check_plan(struct bc_env *env, json_t *tenant, enum bc_usage_counter c)
{
    struct bc_limits l;
    int rc = bc_plan_limits(env, tenant, &l);
    if (rc < 0) return rc;
    return bc_usage_check(env, json_string_value(json_object_get(tenant, "id")), c, plan_limit(&l, c));
}

bool bc_usage_ai_budget_left(struct bc_env *env, json_t *tenant)
{
    return bc_usage_check_plan(env, tenant, BC_USAGE_AI_TOKENS) == 0;
}

int64_t bc_usage_estimate(const char *tenant_id, enum bc_usage_counter c)
{
    if ((unsigned)c >= BC_USAGE__LIMITED || !bc_key_id_ok(tenant_id)) return -1;
    char date[11], month[8];
    day_strings(day_of(bc_now_s()), date, month);
    unsigned b = bucket_of(tenant_id);
    pthread_mutex_t *mu = lock_bucket(b);
    struct meter *m = meter_find(b, tenant_id, false);
    int64_t v = m && strcmp(m->month, month) == 0 && m->refreshed_ms ? m->stored[c] + m->unflushed[c] : -1;
    pthread_mutex_unlock(mu);
    return v;
}

/* ---- the flush ---- */

static struct bc_cond lazy = {BC_COND_NONE, 0, true};

static int update(struct bc_env *env, const char *pk, const char *sk, json_t *set, json_t *add,
                  json_t *remove, const struct bc_cond *cond, json_t **out)
{
    struct bc_store *s = env->store;
    struct bc_update u = {set, add, remove};
    int rc = bc_fault_hit(BC_FAULT_USAGE_WRITE) ? BC_EIO : bc_store_update(s, pk, sk, &u, cond, out);
    json_decref(set);
    json_decref(add);
    json_decref(remove);
    if (rc == 0) atomic_fetch_add(&st_items, 1);
    return rc;
}

struct okey {
    const char *key;
    int64_t n;
};

static int by_count_desc(const void *a, const void *b)
{
    const struct okey *x = a, *y = b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->key, y->key);
}

/* Keeps the ORIGINS_KEEP most frequent origins of an item, folding the others into origins_other. */
static void prune_origins(struct bc_env *env, const char *pk, const char *sk, json_t *item)
{
    const char *k;
    json_t *v;
    size_t n = 0, i = 0;
    json_object_foreach(item, k, v) if (strncmp(k, "o:", 2) == 0) n++;
    if (n <= ORIGINS_PRUNE) return;
    struct okey *all = calloc(n, sizeof *all);
    if (!all) return;
    json_object_foreach(item, k, v) if (strncmp(k, "o:", 2) == 0 && i < n) all[i++] =
        (struct okey){k, json_integer_value(v)};
    qsort(all, n, sizeof *all, by_count_desc);
    json_t *remove = json_array();
    int64_t other = 0;
    for (i = ORIGINS_KEEP; i < n; i++) {
        json_array_append_new(remove, json_string(all[i].key));
        other += all[i].n;
    }
    free(all);
    int rc = update(env, pk, sk, NULL, json_pack("{s:I}", "origins_other", (json_int_t)other), remove, &lazy,
                    NULL);
    if (rc < 0) bc_log(BC_LOG_WARN, "usage: pruning origins of %s %s failed: %d", pk, sk, rc);
}

/* Raises peak_rpm of an item to peak unless it is already as high; known: the item as last seen, or NULL. */
static void raise_peak(struct bc_env *env, const char *pk, const char *sk, int64_t peak, json_t *known)
{
    struct bc_store *s = env->store;
    json_t *cur = json_incref(known);
    for (int attempt = 0; attempt < PEAK_RETRIES; attempt++) {
        int rc = cur ? 0 : bc_store_get(s, pk, sk, &cur);
        if (rc < 0 || json_integer_value(json_object_get(cur, "peak_rpm")) >= peak) break;
        struct bc_cond c = {BC_COND_VERSION, bc__store_version(cur), true};
        rc = update(env, pk, sk, json_pack("{s:I}", "peak_rpm", (json_int_t)peak),
                    json_pack("{s:i}", "version", 1), NULL, &c, NULL);
        json_decref(cur);
        cur = NULL;
        if (rc != BC_ECOND) {
            if (rc < 0) bc_log(BC_LOG_WARN, "usage: raising peak of %s %s failed: %d", pk, sk, rc);
            break;
        }
    }
    json_decref(cur);
}

static json_t *counters_json(const struct pend *p)
{
    json_t *add = json_object();
    for (int k = 0; k < BC_USAGE__COUNT; k++)
        if (p->c[k]) json_object_set_new(add, names[k], json_integer(p->c[k]));
    if (p->dyn) json_object_update(add, p->dyn);
    return add;
}

/* Writes one pend: the hour items (per-minute requests), the day item, the month item, then the peaks.
 * Parts written are marked so a retry skips them. *month_out: the month item as written (caller decrefs),
 * when this call wrote it. */
static int write_pend(struct bc_env *env, const char *pk, struct pend *p, json_t **month_out)
{
    char sk[BC_KEY_SIZE], hour_id[32];
    json_t *day_out = NULL;
    int rc = 0;
    *month_out = NULL;
    while (p->nmins > 0 && rc == 0) {
        int hour = p->mins[0].min / 60;
        json_t *add = json_object(), *out = NULL;
        char attr[8];
        for (int i = 0; i < p->nmins; i++) {
            if (p->mins[i].min / 60 != hour) continue;
            snprintf(attr, sizeof attr, "m%02d", p->mins[i].min % 60);
            json_object_set_new(add, attr, json_integer(p->mins[i].n));
        }
        snprintf(hour_id, sizeof hour_id, "%sT%02d", p->date, hour);
        bc_key_sk(sk, "USAGERPM", hour_id);
        rc = update(env, pk, sk,
                    json_pack("{s:I}", "ttl", (json_int_t)((int64_t)(p->day + 1) * 86400 + RPM_TTL_S)), add,
                    NULL, &lazy, &out);
        if (rc < 0) break;
        int j = 0;
        for (int i = 0; i < p->nmins; i++) {
            if (p->mins[i].min / 60 == hour) {
                snprintf(attr, sizeof attr, "m%02d", p->mins[i].min % 60);
                int64_t total = json_integer_value(json_object_get(out, attr));
                if (total > p->peak_seen) p->peak_seen = total;
            } else {
                p->mins[j++] = p->mins[i];
            }
        }
        p->nmins = j;
        json_decref(out);
    }
    if (rc == 0 && !p->done_day) {
        json_t *add = counters_json(p);
        if (json_object_size(add) || p->peak_seen) {
            bc_key_sk(sk, "USAGE", p->date);
            rc = update(env, pk, sk,
                        json_pack("{s:I}", "ttl", (json_int_t)((int64_t)p->day * 86400 + DAY_TTL_S)), add,
                        NULL, &lazy, &day_out);
            if (rc == 0) prune_origins(env, pk, sk, day_out);
        } else {
            json_decref(add);
        }
        if (rc == 0) p->done_day = true;
    }
    if (rc == 0 && !p->done_month) {
        json_t *add = counters_json(p);
        if (json_object_size(add) || p->peak_seen) {
            bc_key_sk(sk, "USAGE", p->month);
            if (bc_fault_hit(BC_FAULT_USAGE_MONTH_WRITE)) {
                json_decref(add);
                rc = BC_EIO;
            } else {
                rc = update(env, pk, sk, NULL, add, NULL, &lazy, month_out);
            }
            if (rc == 0) prune_origins(env, pk, sk, *month_out);
        } else {
            json_decref(add);
        }
        if (rc == 0) p->done_month = true;
    }
    if (rc == 0 && p->peak_seen > 0) {
        raise_peak(env, pk, bc_key_sk(sk, "USAGE", p->date), p->peak_seen, day_out);
        raise_peak(env, pk, bc_key_sk(sk, "USAGE", p->month), p->peak_seen, *month_out);
    }
    json_decref(day_out);
    return rc;
}

/* Folds p into q (same day, both not partially written). */
static void pend_merge(struct pend *q, struct pend *p)
{
    for (int k = 0; k < BC_USAGE__COUNT; k++) q->c[k] += p->c[k];
    const char *k;
    json_t *v;
    if (p->dyn) json_object_foreach(p->dyn, k, v) dyn_add(q, k, json_integer_value(v));
    for (int i = 0; i < p->nmins; i++) minute_add(q, p->mins[i].min, p->mins[i].n);
    if (p->peak_seen > q->peak_seen) q->peak_seen = p->peak_seen;
}

/* Under the lock: puts back a pend whose write failed. */
static void reattach(struct meter *m, struct pend *p)
{
    p->counted = false;
    if (!p->done_day && !p->done_month) {
        for (struct pend *q = m->pend; q; q = q->next) {
            if (q->day == p->day && !q->done_day && !q->done_month) {
                pend_merge(q, p);
                pend_free(p);
                return;
            }
        }
    }
    p->next = m->pend;
    m->pend = p;
}

struct job {
    struct meter *m;
    unsigned bucket;
    struct pend *list;
    bool state;
    int64_t handoffs_delta, last_active_s;
};

static int write_state(struct bc_env *env, const char *pk, const struct job *j)
{
    char sk[BC_KEY_SIZE];
    json_t *set = json_object(), *add = json_object();
    if (j->last_active_s) json_object_set_new(set, "last_active_at", json_integer(j->last_active_s));
    if (j->handoffs_delta) json_object_set_new(add, "handoffs_open", json_integer(j->handoffs_delta));
    return update(env, pk, bc_key_sk(sk, "USAGE", "STATE"), set, add, NULL, &lazy, NULL);
}

static void run_job(struct bc_env *env, struct job *j, int *first_err)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    struct meter *m = j->m;
    pthread_mutex_t *mu;
    bool pk_ok = tenant_pk(m->tenant, pk) == 0, gone = false;
    if (pk_ok) {
        /* a purged tenant (no META any more: another process may have deleted and purged it since these
         * counts were taken) gets nothing written: its partition must stay empty. The pending counts are
         * dropped as if written. */
        json_t *meta = NULL;
        gone = bc_store_get_ro(s, pk, "META", &meta) == BC_ENOT_FOUND;
        json_decref(meta);
    }
    while (j->list) {
        struct pend *p = j->list;
        j->list = p->next;
        p->next = NULL;
        json_t *mo = NULL;
        int rc = !pk_ok ? BC_EINVALID : gone ? 0 : write_pend(env, pk, p, &mo);
        mu = lock_bucket(j->bucket);
        bool current = p->counted && strcmp(p->month, m->month) == 0;
        if (current && --m->cur_inflight == 0) pthread_cond_broadcast(&landed[j->bucket % NSTRIPES]);
        if (rc == 0) {
            if (current) {
                for (int k = 0; k < BC_USAGE__LIMITED; k++) m->unflushed[k] -= p->c[k];
                if (mo) install(m, mo, bc_now_ms());
                m->gen++;
            }
            pend_free(p);
        } else {
            reattach(m, p);
        }
        pthread_mutex_unlock(mu);
        json_decref(mo);
        if (rc < 0 && pk_ok) {
            atomic_fetch_add(&st_errors, 1);
            if (*first_err == 0) *first_err = rc;
        }
    }
    if (j->state) {
        int rc = !pk_ok ? BC_EINVALID : gone ? 0 : write_state(env, pk, j);
        mu = lock_bucket(j->bucket);
        if (rc == 0)
            m->state_written_s = bc_now_s();
        else
            m->handoffs_delta += j->handoffs_delta;
        pthread_mutex_unlock(mu);
        if (rc < 0 && pk_ok && *first_err == 0) *first_err = rc;
    }
    mu = lock_bucket(j->bucket);
    m->inflight = false;
    pthread_mutex_unlock(mu);
}

int bc_usage_flush(struct bc_env *env)
{
    pthread_mutex_lock(&flush_mu);
    uint64_t items0 = atomic_load(&st_items);
    int64_t now_ms = bc_now_ms(), now_s = now_ms / 1000;
    size_t njobs = 0, cap = 0;
    struct job *jobs = NULL;
    int first_err = 0;
    for (unsigned b = 0; b < NBUCKETS; b++) {
        if (!buckets[b]) continue; /* a racy peek: a meter created now is flushed next time */
        pthread_mutex_t *mu = lock_bucket(b);
        struct meter **pm = &buckets[b];
        while (*pm) {
            struct meter *m = *pm;
            bool state = m->handoffs_delta != 0 || (m->last_active_s > m->state_written_s &&
                                                    now_s - m->state_written_s >= STATE_EVERY_S);
            if (m->pend || state) {
                if (njobs == cap) {
                    size_t ncap = cap ? cap * 2 : 64;
                    struct job *nj = realloc(jobs, ncap * sizeof *nj);
                    if (!nj) break;
                    jobs = nj;
                    cap = ncap;
                }
                struct job *j = &jobs[njobs++];
                *j = (struct job){
                    m, b, m->pend, state, state ? m->handoffs_delta : 0, state ? m->last_active_s : 0};
                /* only writes that change a limited count of the current month make a refresh ambiguous */
                for (struct pend *p = m->pend; p; p = p->next) {
                    p->counted =
                        strcmp(p->month, m->month) == 0 &&
                        (p->c[BC_USAGE_MESSAGES] || p->c[BC_USAGE_BOOKINGS] || p->c[BC_USAGE_AI_TOKENS]);
                    if (p->counted) m->cur_inflight++;
                }
                m->pend = NULL;
                if (state) m->handoffs_delta = 0;
                m->inflight = true;
            } else if (!m->inflight && now_ms - m->used_ms > EVICT_MS) {
                *pm = m->next;
                free(m);
                atomic_fetch_sub(&st_tenants, 1);
                continue;
            }
            pm = &m->next;
        }
        pthread_mutex_unlock(mu);
    }
    for (size_t i = 0; i < njobs; i++) run_job(env, &jobs[i], &first_err);
    free(jobs);
    atomic_fetch_add(&st_flushes, 1);
    int written = (int)(atomic_load(&st_items) - items0);
    pthread_mutex_unlock(&flush_mu);
    return first_err < 0 ? first_err : written;
}

void bc_usage_stats(struct bc_usage_stats *out)
{
    out->flushes = atomic_load(&st_flushes);
    out->flush_errors = atomic_load(&st_errors);
    out->items_written = atomic_load(&st_items);
    out->tenants = atomic_load(&st_tenants);
}

void bc_usage_reset(void)
{
    pthread_mutex_lock(&flush_mu);
    for (unsigned b = 0; b < NBUCKETS; b++) {
        pthread_mutex_t *mu = lock_bucket(b);
        while (buckets[b]) {
            struct meter *m = buckets[b];
            buckets[b] = m->next;
            while (m->pend) {
                struct pend *p = m->pend;
                m->pend = p->next;
                pend_free(p);
            }
            free(m);
            atomic_fetch_sub(&st_tenants, 1);
        }
        pthread_mutex_unlock(mu);
    }
    pthread_mutex_unlock(&flush_mu);
}

/* ---- reading ---- */

int bc_usage_month_parse(const char *s, char out[8])
{
    if (!s || !*s) {
        char date[11];
        day_strings(day_of(bc_now_s()), date, out);
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
            for (size_t i = 0; i < n && i < ORIGINS_KEEP; i++) json_array_append(sorted, arr[i]);
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
    int rc = read_month(env, tenant_id, month, &item);
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

int bc_usage_report(struct bc_env *env, json_t *tenant, const char *month, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    const char *tid = json_string_value(json_object_get(tenant, "id"));
    struct bc_limits lim;
    *out = NULL;
    if (!tid || tenant_pk(tid, pk) < 0 || !bc_key_sk(prefix, "USAGE", month)) return BC_EINVALID;
    int rc = bc_plan_limits(env, tenant, &lim);
    if (rc < 0) return rc;
    json_t *month_item = NULL, *days = json_object();
    char *cursor = NULL;
    do {
        struct bc_query q = {.pk = pk, .sk_prefix = prefix, .limit = 100, .cursor = cursor};
        struct bc_query_result r;
        rc = bc_store_query(s, &q, &r);
        free(cursor);
        cursor = NULL;
        if (rc < 0) break;
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it)
        {
            const char *sk = json_string_value(json_object_get(it, "SK"));
            if (strlen(sk) == 13 && !month_item) month_item = json_incref(it);
            if (strlen(sk) == 16) json_object_set(days, sk + 6, it);
        }
        cursor = r.next_cursor;
        r.next_cursor = NULL;
        bc_query_result_release(&r);
    } while (cursor);
    if (rc < 0) {
        json_decref(month_item);
        json_decref(days);
        return rc;
    }
    json_t *series = json_array();
    int32_t first, today = day_of(bc_now_s());
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
    if (days < 1 || days > 366 || tenant_pk(tenant_id, pk) < 0) return BC_EINVALID;
    int32_t today = day_of(bc_now_s());
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
    if (tenant_pk(tenant_id, pk) < 0) return BC_EINVALID;
    int rc = bc_store_get(s, pk, bc_key_sk(sk, "USAGE", "STATE"), &it);
    if (rc == BC_ENOT_FOUND) return 0;
    if (rc < 0) return rc;
    *last_active_s = json_integer_value(json_object_get(it, "last_active_at"));
    *handoffs_open = json_integer_value(json_object_get(it, "handoffs_open"));
    if (*handoffs_open < 0) *handoffs_open = 0;
    json_decref(it);
    return 0;
}
