/* The flush of one env's usage meter: every tenant's pending deltas written to the store as unconditional
 * atomic adds (the hour items of requests per minute, the day, the month, then the peaks), the USAGE#STATE
 * item, and the eviction of idle tenants. A failed write keeps its deltas for the next flush; the DESIGN
 * NOTES in usage.h state the invariants. */
#include "domain/usage_internal.h"
#include "util/jsonv.h"
#include "domain/env.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVICT_MS      (10 * 60 * 1000)
#define STATE_EVERY_S 3600 /* last activity is written at most this often per tenant */
#define ORIGINS_PRUNE                                                                                        \
    150 /* an item holding more origins than this is pruned to the top BC__USAGE_ORIGINS_KEEP */
#define DAY_TTL_S    (400 * 86400)
#define RPM_TTL_S    (2 * 86400)
#define PEAK_RETRIES 5

static const struct bc_cond lazy = {BC_COND_NONE, 0, true};

static int update(struct bc_env *env, const char *pk, const char *sk, json_t *set, json_t *add,
                  json_t *remove, const struct bc_cond *cond, json_t **out)
{
    struct bc_store *s = env->store;
    struct bc_update u = {set, add, remove};
    int rc = bc_fault_hit(BC_FAULT_USAGE_WRITE) ? BC_EIO : bc_store_update(s, pk, sk, &u, cond, out);
    json_decref(set);
    json_decref(add);
    json_decref(remove);
    if (rc == 0) atomic_fetch_add(&env->usage->items_written, 1);
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

/* Keeps the BC__USAGE_ORIGINS_KEEP most frequent origins of an item, folding the others into origins_other.
 */
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
    for (i = BC__USAGE_ORIGINS_KEEP; i < n; i++) {
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

static json_t *counters_json(const struct bc__usage_pend *p)
{
    json_t *add = json_object();
    for (int k = 0; k < BC_USAGE__COUNT; k++)
        if (p->c[k]) json_object_set_new(add, bc_usage_name(k), json_integer(p->c[k]));
    if (p->dyn) json_object_update(add, p->dyn);
    return add;
}

/* Writes one pend: the hour items (per-minute requests), the day item, the month item, then the peaks.
 * Parts written are marked so a retry skips them. *month_out: the month item as written (caller decrefs),
 * when this call wrote it. */
static int write_pend(struct bc_env *env, const char *pk, struct bc__usage_pend *p, json_t **month_out)
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
static void pend_merge(struct bc__usage_pend *q, struct bc__usage_pend *p)
{
    for (int k = 0; k < BC_USAGE__COUNT; k++) q->c[k] += p->c[k];
    const char *k;
    json_t *v;
    if (p->dyn) json_object_foreach(p->dyn, k, v) bc__usage_dyn_add(q, k, json_integer_value(v));
    for (int i = 0; i < p->nmins; i++) bc__usage_minute_add(q, p->mins[i].min, p->mins[i].n);
    if (p->peak_seen > q->peak_seen) q->peak_seen = p->peak_seen;
}

/* Under the lock: puts back a pend whose write failed. */
static void reattach(struct bc__usage_tenant *m, struct bc__usage_pend *p)
{
    p->counted = false;
    if (!p->done_day && !p->done_month) {
        for (struct bc__usage_pend *q = m->pend; q; q = q->next) {
            if (q->day == p->day && !q->done_day && !q->done_month) {
                pend_merge(q, p);
                bc__usage_pend_free(p);
                return;
            }
        }
    }
    p->next = m->pend;
    m->pend = p;
}

struct job {
    struct bc__usage_tenant *m;
    unsigned bucket;
    struct bc__usage_pend *list;
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
    struct bc_usage_meter *um = env->usage;
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    struct bc__usage_tenant *m = j->m;
    pthread_mutex_t *mu;
    bool pk_ok = bc__usage_tenant_pk(m->tenant, pk) == 0, gone = false;
    if (pk_ok) {
        /* a purged tenant (no META any more: another process may have deleted and purged it since these
         * counts were taken) gets nothing written: its partition must stay empty. The pending counts are
         * dropped as if written. */
        const json_t *meta = NULL;
        gone = bc_store_get_ro(s, pk, "META", &meta) == BC_ENOT_FOUND;
        bc_json_release(meta);
    }
    while (j->list) {
        struct bc__usage_pend *p = j->list;
        j->list = p->next;
        p->next = NULL;
        json_t *mo = NULL;
        int rc = !pk_ok ? BC_EINVALID : gone ? 0 : write_pend(env, pk, p, &mo);
        mu = bc__usage_lock(um, j->bucket);
        bool current = p->counted && strcmp(p->month, m->month) == 0;
        if (current && --m->cur_inflight == 0)
            pthread_cond_broadcast(&um->landed[j->bucket % BC__USAGE_STRIPES]);
        if (rc == 0) {
            if (current) {
                for (int k = 0; k < BC_USAGE__LIMITED; k++) m->unflushed[k] -= p->c[k];
                if (mo) bc__usage_install(m, mo, bc_now_ms());
                m->gen++;
            }
            bc__usage_pend_free(p);
        } else {
            reattach(m, p);
        }
        pthread_mutex_unlock(mu);
        json_decref(mo);
        if (rc < 0 && pk_ok) {
            atomic_fetch_add(&um->flush_errors, 1);
            if (*first_err == 0) *first_err = rc;
        }
    }
    if (j->state) {
        int rc = !pk_ok ? BC_EINVALID : gone ? 0 : write_state(env, pk, j);
        mu = bc__usage_lock(um, j->bucket);
        if (rc == 0)
            m->state_written_s = bc_now_s();
        else
            m->handoffs_delta += j->handoffs_delta;
        pthread_mutex_unlock(mu);
        if (rc < 0 && pk_ok && *first_err == 0) *first_err = rc;
    }
    mu = bc__usage_lock(um, j->bucket);
    m->inflight = false;
    pthread_mutex_unlock(mu);
}

int bc_usage_flush(struct bc_env *env)
{
    struct bc_usage_meter *um = env->usage;
    pthread_mutex_lock(&um->flush_mu);
    uint64_t items0 = atomic_load(&um->items_written);
    int64_t now_ms = bc_now_ms(), now_s = now_ms / 1000;
    size_t njobs = 0, cap = 0;
    struct job *jobs = NULL;
    int first_err = 0;
    for (unsigned b = 0; b < BC__USAGE_BUCKETS; b++) {
        if (!um->buckets[b]) continue; /* a racy peek: a meter created now is flushed next time */
        pthread_mutex_t *mu = bc__usage_lock(um, b);
        struct bc__usage_tenant **pm = &um->buckets[b];
        while (*pm) {
            struct bc__usage_tenant *m = *pm;
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
                for (struct bc__usage_pend *p = m->pend; p; p = p->next) {
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
                atomic_fetch_sub(&um->tenants, 1);
                continue;
            }
            pm = &m->next;
        }
        pthread_mutex_unlock(mu);
    }
    for (size_t i = 0; i < njobs; i++) run_job(env, &jobs[i], &first_err);
    free(jobs);
    atomic_fetch_add(&um->flushes, 1);
    int written = (int)(atomic_load(&um->items_written) - items0);
    pthread_mutex_unlock(&um->flush_mu);
    return first_err < 0 ? first_err : written;
}
