/* The flush of one env's usage meter: every tenant's pending deltas written to the store as unconditional
 * atomic adds (the hour items of requests per minute, the day, the month, then the peaks), the USAGE#STATE
 * item, and the eviction of idle tenants. The writes go by groups of tenants, one store batch each
 * (bc_store_update_batch). A failed write keeps its deltas for the next flush; the DESIGN NOTES in usage.h
 * state the invariants. */
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

/* One tenant taken by a flush: its pends, and its USAGE#STATE when due. */
struct job {
    struct bc__usage_tenant *m;
    unsigned bucket;
    struct bc__usage_pend *list;
    bool state;
    int64_t handoffs_delta, last_active_s;
    char pk[BC_KEY_SIZE];
    bool pk_ok, gone; /* gone: purged meanwhile, nothing is written (its counts are dropped as written) */
    int state_rc;
};

/* One pend being written by a flush. */
struct work {
    struct job *j;
    struct bc__usage_pend *p;
    json_t *out[2]; /* the day [0] and month [1] items as this flush wrote them */
    int rc;
};

/* The writes of a flush go by groups of GROUP tenants: every item of a group (hour, day, month, state) in
 * one store batch (LMDB: one transaction and one commit). After reads spread over thousands of tenants the
 * flush used to spend its CPU on the page writes of one commit per item (seven per tenant, the peaks and
 * the key's last use included), each tenant's leaf page written again by each; now each is written once
 * per flush. Each update stays the atomic add (or version-checked write) of its own item, as before. */
#define GROUP 32

enum part { PART_DAY, PART_MONTH, PART_HOUR, PART_STATE };

struct step_op {
    struct work *w; /* NULL for a USAGE#STATE */
    struct job *j;
    char sk[BC_KEY_SIZE];
    enum part part;
    int hour; /* PART_HOUR: its hour */
};

struct step {
    struct bc_update_op *ops;
    struct step_op *meta;
    size_t n, cap;
};

static void step_add(struct step *st, struct job *j, struct work *w, const char *sk, json_t *set, json_t *add,
                     struct bc_cond cond, enum part part, int hour)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        struct bc_update_op *ops = realloc(st->ops, cap * sizeof *ops);
        if (ops) st->ops = ops;
        struct step_op *meta = ops ? realloc(st->meta, cap * sizeof *meta) : NULL;
        if (meta) st->meta = meta;
        if (!ops || !meta) { /* out of memory: this update is not made now, its deltas stay pending */
            json_decref(set);
            json_decref(add);
            if (w) w->rc = BC_ENOMEM;
            if (!w) j->state_rc = BC_ENOMEM;
            return;
        }
        st->cap = cap;
    }
    st->ops[st->n] =
        (struct bc_update_op){.u = {set, add, NULL}, .cond = cond, .want_out = part != PART_STATE};
    st->meta[st->n] = (struct step_op){.w = w, .j = j, .part = part, .hour = hour};
    snprintf(st->meta[st->n].sk, sizeof st->meta[st->n].sk, "%s", sk);
    st->n++;
}

/* Makes the step's updates, BC_STORE_UPDATE_BATCH_MAX at a time; each op gets its rc and out. */
static void step_run(struct bc_env *env, struct step *st)
{
    for (size_t i = 0; i < st->n; i++) {
        st->ops[i].pk = st->meta[i].j->pk;
        st->ops[i].sk = st->meta[i].sk;
    }
    for (size_t i = 0; i < st->n; i += BC_STORE_UPDATE_BATCH_MAX) {
        size_t k = st->n - i < BC_STORE_UPDATE_BATCH_MAX ? st->n - i : BC_STORE_UPDATE_BATCH_MAX;
        if (bc_fault_hit(BC_FAULT_USAGE_WRITE)) {
            for (size_t x = i; x < i + k; x++) st->ops[x].rc = BC_EIO;
        } else {
            bc_store_update_batch(env->store, st->ops + i, k);
        }
        for (size_t x = i; x < i + k; x++) {
            if (st->ops[x].rc == 0) atomic_fetch_add(&env->usage->items_written, 1);
            json_decref(st->ops[x].u.set);
            json_decref(st->ops[x].u.add);
            st->ops[x].u = (struct bc_update){0};
        }
    }
}

static void step_release(struct step *st)
{
    for (size_t i = 0; i < st->n; i++) json_decref(st->ops[i].out);
    free(st->ops);
    free(st->meta);
    *st = (struct step){0};
}

/* The peak per minute the pend's hour writes will reach, from the hour items as stored now plus its
 * minutes: exact unless another process adds to them meanwhile (then the writes' results say more). */
/* The minutes of p's hour item that the flush reads (those of p's minutes in hour, as "mMM"), into names
 * (60 at most), backed by buf. */
static size_t minute_names(const struct bc__usage_pend *p, int hour, char buf[60][8], const char *names[60])
{
    size_t n = 0;
    for (int k = 0; k < p->nmins && n < 60; k++) {
        if (p->mins[k].min / 60 != hour) continue;
        snprintf(buf[n], sizeof buf[n], "m%02d", p->mins[k].min % 60);
        names[n] = buf[n];
        n++;
    }
    return n;
}

static int64_t peak_ahead(struct bc_env *env, struct work *w)
{
    struct bc__usage_pend *p = w->p;
    int64_t peak = p->peak_seen;
    json_t *it = NULL;
    int cur = -1;
    char sk[BC_KEY_SIZE], hour_id[32], attr[8], buf[60][8];
    const char *names[60];
    for (int k = 0; k < p->nmins; k++) {
        int hour = p->mins[k].min / 60;
        if (hour != cur) {
            json_decref(it);
            it = NULL;
            snprintf(hour_id, sizeof hour_id, "%sT%02d", p->date, hour);
            /* only the minutes it needs: thousands of tenants' hour items neither built whole nor memoised */
            bc_store_get_fields(env->store, w->j->pk, bc_key_sk(sk, "USAGERPM", hour_id), names,
                                minute_names(p, hour, buf, names), &it);
            cur = hour;
        }
        snprintf(attr, sizeof attr, "m%02d", p->mins[k].min % 60);
        int64_t total = json_integer_value(json_object_get(it, attr)) + p->mins[k].n;
        if (total > peak) peak = total;
    }
    json_decref(it);
    return peak;
}

/* The hour items of a pend (per-minute requests): one add per hour it spans. */
static void add_hours(struct step *st, struct work *w)
{
    struct bc__usage_pend *p = w->p;
    char sk[BC_KEY_SIZE], hour_id[32], attr[8];
    uint32_t seen = 0; /* hours of the day already added */
    for (int i = 0; i < p->nmins; i++) {
        int hour = p->mins[i].min / 60;
        if (seen & (1u << hour)) continue;
        seen |= 1u << hour;
        json_t *add = json_object();
        for (int k = i; k < p->nmins; k++) {
            if (p->mins[k].min / 60 != hour) continue;
            snprintf(attr, sizeof attr, "m%02d", p->mins[k].min % 60);
            json_object_set_new(add, attr, json_integer(p->mins[k].n));
        }
        snprintf(hour_id, sizeof hour_id, "%sT%02d", p->date, hour);
        step_add(st, w->j, w, bc_key_sk(sk, "USAGERPM", hour_id),
                 json_pack("{s:I}", "ttl", (json_int_t)((int64_t)(p->day + 1) * 86400 + RPM_TTL_S)), add,
                 lazy, PART_HOUR, hour);
    }
}

/* The day's or month's update of a pend (unless written by an earlier attempt): its counters added, and,
 * when the peak ahead beats the item's peak_rpm, that peak set in the same write, conditioned on the item's
 * version so that peak_rpm only ever grows (a race refuses the write: then add, then raise_peak). with_peak
 * false: the plain add. */
static int total_update(struct bc_env *env, struct work *w, enum part part, int64_t ahead, bool with_peak,
                        char sk[BC_KEY_SIZE], json_t **set, json_t **add, struct bc_cond *c)
{
    struct bc__usage_pend *p = w->p;
    *add = counters_json(p);
    *set = NULL;
    *c = lazy;
    if (!json_object_size(*add) && !p->peak_seen && ahead <= 0) {
        json_decref(*add);
        return 1; /* nothing to write */
    }
    bc_key_sk(sk, "USAGE", part == PART_MONTH ? p->month : p->date);
    if (part == PART_DAY) *set = json_pack("{s:I}", "ttl", (json_int_t)((int64_t)p->day * 86400 + DAY_TTL_S));
    if (with_peak && ahead > 0) {
        static const char *const names[] = {"peak_rpm", "version"};
        json_t *cur = NULL;
        int rc = bc_store_get_fields(env->store, w->j->pk, sk, names, 2, &cur);
        if ((rc == 0 || rc == BC_ENOT_FOUND) &&
            json_integer_value(json_object_get(cur, "peak_rpm")) < ahead) {
            if (!*set) *set = json_object();
            json_object_set_new(*set, "peak_rpm", json_integer(ahead));
            json_object_set_new(*add, "version", json_integer(1));
            *c = (struct bc_cond){BC_COND_VERSION, bc__store_version(cur), true};
        }
        json_decref(cur);
    }
    return 0;
}

static void add_total(struct bc_env *env, struct step *st, struct work *w, enum part part, int64_t ahead)
{
    struct bc__usage_pend *p = w->p;
    bool *done = part == PART_MONTH ? &p->done_month : &p->done_day;
    char sk[BC_KEY_SIZE];
    json_t *set, *add;
    struct bc_cond c;
    if (*done || w->rc < 0) return;
    if (total_update(env, w, part, ahead, true, sk, &set, &add, &c) > 0) {
        *done = true;
        return;
    }
    if (part == PART_MONTH && bc_fault_hit(BC_FAULT_USAGE_MONTH_WRITE)) {
        json_decref(set);
        json_decref(add);
        w->rc = BC_EIO;
        return;
    }
    step_add(st, w->j, w, sk, set, add, c, part, 0);
}

/* After a group's batch: a day or month update whose peak lost a race is made again as a plain add. */
static void retry_total(struct bc_env *env, struct work *w, enum part part)
{
    char sk[BC_KEY_SIZE];
    json_t *set, *add;
    struct bc_cond c;
    if (total_update(env, w, part, 0, false, sk, &set, &add, &c) > 0) return;
    int rc = update(env, w->j->pk, sk, set, add, NULL, &c, &w->out[part]);
    if (rc < 0) w->rc = rc;
    if (rc == 0) *(part == PART_MONTH ? &w->p->done_month : &w->p->done_day) = true;
}

/* Writes one group of jobs: their hour, day and month items and states in one batch, then what is left
 * (the rare retries, raising a peak that another process's counts made higher, pruning origins). */
static void write_group(struct bc_env *env, struct job *jobs, size_t njobs, struct work *ws, size_t nw)
{
    struct step st = {0};
    char sk[BC_KEY_SIZE];
    for (size_t i = 0; i < nw; i++) {
        struct work *w = &ws[i];
        if (w->rc < 0 || w->j->gone) continue;
        int64_t ahead = peak_ahead(env, w);
        add_hours(&st, w);
        add_total(env, &st, w, PART_DAY, ahead);
        add_total(env, &st, w, PART_MONTH, ahead);
    }
    bc_key_sk(sk, "USAGE", "STATE");
    for (size_t i = 0; i < njobs; i++) {
        struct job *j = &jobs[i];
        if (!j->state || !j->pk_ok || j->gone) continue;
        json_t *set = json_object(), *add = json_object();
        if (j->last_active_s) json_object_set_new(set, "last_active_at", json_integer(j->last_active_s));
        if (j->handoffs_delta) json_object_set_new(add, "handoffs_open", json_integer(j->handoffs_delta));
        step_add(&st, j, NULL, sk, set, add, lazy, PART_STATE, 0);
    }
    if (st.n) step_run(env, &st);
    bool retry = false;
    for (size_t i = 0; i < st.n; i++) {
        struct step_op *o = &st.meta[i];
        struct bc_update_op *op = &st.ops[i];
        struct work *w = o->w;
        if (o->part == PART_STATE) {
            o->j->state_rc = op->rc;
        } else if (op->rc == BC_ECOND) {
            retry = true; /* its peak lost a race */
        } else if (op->rc < 0) {
            w->rc = op->rc;
        } else if (o->part == PART_HOUR) {
            struct bc__usage_pend *p = w->p;
            char attr[8];
            int j = 0;
            for (int k = 0; k < p->nmins; k++) {
                if (p->mins[k].min / 60 == o->hour) {
                    snprintf(attr, sizeof attr, "m%02d", p->mins[k].min % 60);
                    int64_t total = json_integer_value(json_object_get(op->out, attr));
                    if (total > p->peak_seen) p->peak_seen = total;
                } else {
                    p->mins[j++] = p->mins[k];
                }
            }
            p->nmins = j;
        } else {
            *(o->part == PART_MONTH ? &w->p->done_month : &w->p->done_day) = true;
            w->out[o->part] = op->out;
            op->out = NULL;
            prune_origins(env, o->j->pk, o->sk, w->out[o->part]);
        }
    }
    for (size_t i = 0; retry && i < st.n; i++)
        if (st.ops[i].rc == BC_ECOND && st.meta[i].w->rc == 0)
            retry_total(env, st.meta[i].w, st.meta[i].part);
    step_release(&st);
    /* the peaks: set by the writes above, unless another process's counts made a minute higher meanwhile */
    for (size_t i = 0; i < nw; i++) {
        struct work *w = &ws[i];
        if (w->rc < 0 || w->j->gone || w->p->peak_seen <= 0) continue;
        for (int part = PART_DAY; part <= PART_MONTH; part++) {
            json_t *known = w->out[part];
            if (known && json_integer_value(json_object_get(known, "peak_rpm")) >= w->p->peak_seen) continue;
            raise_peak(env, w->j->pk, bc_key_sk(sk, "USAGE", part == PART_MONTH ? w->p->month : w->p->date),
                       w->p->peak_seen, known);
        }
    }
}

/* Under no lock: settles one written (or failed) pend in its tenant's meter. */
static void settle(struct bc_env *env, struct work *w, int *first_err)
{
    struct bc_usage_meter *um = env->usage;
    struct job *j = w->j;
    struct bc__usage_tenant *m = j->m;
    struct bc__usage_pend *p = w->p;
    int rc = !j->pk_ok ? BC_EINVALID : j->gone ? 0 : w->rc;
    pthread_mutex_t *mu = bc__usage_lock(um, j->bucket);
    bool current = p->counted && strcmp(p->month, m->month) == 0;
    if (current && --m->cur_inflight == 0) pthread_cond_broadcast(&um->landed[j->bucket % BC__USAGE_STRIPES]);
    if (rc == 0) {
        if (current) {
            for (int k = 0; k < BC_USAGE__LIMITED; k++) m->unflushed[k] -= p->c[k];
            if (w->out[PART_MONTH]) bc__usage_install(m, w->out[PART_MONTH], bc_now_ms());
            m->gen++;
        }
        bc__usage_pend_free(p);
    } else {
        reattach(m, p);
    }
    pthread_mutex_unlock(mu);
    w->p = NULL;
    if (rc < 0 && j->pk_ok) {
        atomic_fetch_add(&um->flush_errors, 1);
        if (*first_err == 0) *first_err = rc;
    }
}

static int by_tenant(const void *a, const void *b)
{
    return strcmp(((const struct job *)a)->m->tenant, ((const struct job *)b)->m->tenant);
}

/* Writes the jobs' pends and states by groups of GROUP tenants, and settles them. */
static void run_jobs(struct bc_env *env, struct job *jobs, size_t njobs, int *first_err)
{
    struct bc_usage_meter *um = env->usage;
    struct bc_store *s = env->store;
    for (size_t g = 0; g < njobs; g += GROUP) {
        size_t gn = njobs - g < GROUP ? njobs - g : GROUP, nw = 0, cap = 0;
        struct job *gj = jobs + g;
        for (size_t i = 0; i < gn; i++) {
            struct job *j = &gj[i];
            j->pk_ok = bc__usage_tenant_pk(j->m->tenant, j->pk) == 0;
            if (j->pk_ok) {
                /* a purged tenant (no META any more: another process may have deleted and purged it since
                 * these counts were taken) gets nothing written: its partition must stay empty. The
                 * pending counts are dropped as if written. */
                j->gone = bc_store_exists(s, j->pk, "META") == BC_ENOT_FOUND;
            }
            for (struct bc__usage_pend *p = j->list; p; p = p->next) cap++;
        }
        struct work *ws = cap ? calloc(cap, sizeof *ws) : NULL;
        for (size_t i = 0; i < gn; i++) {
            struct job *j = &gj[i];
            while (j->list) {
                struct bc__usage_pend *p = j->list;
                j->list = p->next;
                p->next = NULL;
                struct work one = {.j = j, .p = p, .rc = j->pk_ok ? 0 : BC_EINVALID};
                if (ws) {
                    ws[nw++] = one;
                } else { /* out of memory: back to the tenant, for the next flush */
                    one.rc = BC_ENOMEM;
                    settle(env, &one, first_err);
                }
            }
        }
        write_group(env, gj, gn, ws, nw);
        for (size_t i = 0; i < nw; i++) {
            settle(env, &ws[i], first_err);
            json_decref(ws[i].out[PART_DAY]);
            json_decref(ws[i].out[PART_MONTH]);
        }
        free(ws);
        for (size_t i = 0; i < gn; i++) {
            struct job *j = &gj[i];
            int rc = !j->pk_ok ? BC_EINVALID : j->gone ? 0 : j->state_rc;
            pthread_mutex_t *mu = bc__usage_lock(um, j->bucket);
            if (j->state) {
                if (rc == 0)
                    j->m->state_written_s = bc_now_s();
                else
                    j->m->handoffs_delta += j->handoffs_delta;
            }
            j->m->inflight = false;
            pthread_mutex_unlock(mu);
            if (j->state && rc < 0 && j->pk_ok && *first_err == 0) *first_err = rc;
        }
    }
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
                *j = (struct job){.m = m,
                                  .bucket = b,
                                  .list = m->pend,
                                  .state = state,
                                  .handoffs_delta = state ? m->handoffs_delta : 0,
                                  .last_active_s = state ? m->last_active_s : 0};
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
    /* in key order: the tenants of one group (one commit) are then neighbours in the store, whose leaf and
     * branch pages they share, instead of a random sample of its tree (the meter's hash order) */
    if (njobs > 1) qsort(jobs, njobs, sizeof *jobs, by_tenant);
    run_jobs(env, jobs, njobs, &first_err);
    free(jobs);
    atomic_fetch_add(&um->flushes, 1);
    int written = (int)(atomic_load(&um->items_written) - items0);
    pthread_mutex_unlock(&um->flush_mu);
    return first_err < 0 ? first_err : written;
}
