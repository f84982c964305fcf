/* Private to the files of the usage module: the meter of one env (struct bc_usage_meter) with its tenants'
 * pending deltas, and the helpers the files share. usage_meter.c counts in memory and checks limits,
 * usage_flush.c writes the counts to the store, usage.c reads them back (reports, totals, recent sums,
 * state). Nothing outside these files includes it; the invariants are the DESIGN NOTES in usage.h. */
#ifndef BC_USAGE_INTERNAL_H
#define BC_USAGE_INTERNAL_H
#include "domain/usage.h"
#include "auth/context.h"
#include "domain/keys.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define BC__USAGE_STRIPES      32
#define BC__USAGE_BUCKETS      2048 /* chains; bucket b is guarded by stripe b % BC__USAGE_STRIPES */
#define BC__USAGE_ORIGINS_KEEP 100  /* origins kept by name per item; the others count as origins_other */

struct bc_env;

/* Requests of one minute of the day. */
struct bc__usage_minute {
    int32_t min; /* 0..1439 */
    int64_t n;
};

/* Deltas of one tenant for one UTC day, not yet written. */
struct bc__usage_pend {
    struct bc__usage_pend *next;
    int32_t day;
    char date[11]; /* YYYY-MM-DD */
    char month[8]; /* YYYY-MM */
    int64_t c[BC_USAGE__COUNT];
    json_t *dyn; /* "e4:<code>", "e5:<code>", "ai_tokens_in:<model>", "ai_tokens_out:<model>", "o:<origin>" ->
                    delta */
    int norigins; /* "o:" keys in dyn */
    struct bc__usage_minute *mins;
    int nmins, capmins;
    int64_t peak_seen;         /* highest global minute count seen while writing the hour items */
    bool done_day, done_month; /* parts written by an attempt that failed later */
    bool counted;              /* in flight and counted in its tenant's cur_inflight */
};

/* One tenant's state in a meter: its pending deltas, its month's counts for limits, its USAGE#STATE. */
struct bc__usage_tenant {
    struct bc__usage_tenant *next;
    char tenant[BC_TENANT_ID_MAX + 1];
    struct bc__usage_pend *pend;
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

/* The usage meter of one env (env->usage): every tenant counted through that env, in a hash table whose
 * chains are guarded by striped locks, and the flush statistics. */
struct bc_usage_meter {
    pthread_mutex_t stripes[BC__USAGE_STRIPES];
    pthread_cond_t
        landed[BC__USAGE_STRIPES]; /* a stripe's tenant has no write of its month in flight any more */
    struct bc__usage_tenant *buckets[BC__USAGE_BUCKETS];
    pthread_mutex_t flush_mu; /* one flusher at a time */
    atomic_ullong flushes, flush_errors, items_written;
    atomic_long tenants;
};

/* ---- usage_meter.c ---- */

/* Locks bucket b's stripe and returns it (the caller unlocks). */
pthread_mutex_t *bc__usage_lock(struct bc_usage_meter *um, unsigned b);
/* The UTC day number of an epoch second, and its "YYYY-MM-DD" and "YYYY-MM". */
int32_t bc__usage_day_of(int64_t now_s);
void bc__usage_day_strings(int32_t day, char date[11], char month[8]);
/* Under the lock: installs the month item's limited counts as the tenant's stored ones. */
void bc__usage_install(struct bc__usage_tenant *m, json_t *month_item, int64_t now_ms);
/* Under the lock: adds n to a per-code, per-model or per-origin delta (origins beyond the first
 * BC__USAGE_ORIGINS_KEEP go to origins_other), or to one minute's requests. */
void bc__usage_dyn_add(struct bc__usage_pend *p, const char *key, int64_t n);
void bc__usage_minute_add(struct bc__usage_pend *p, int32_t min, int64_t n);
void bc__usage_pend_free(struct bc__usage_pend *p);

/* ---- usage.c ---- */

/* The tenant's PK from its id: 0 or BC_EINVALID. */
int bc__usage_tenant_pk(const char *tenant, char pk[BC_KEY_SIZE]);
/* The tenant's USAGE#<month> item into *out (NULL when there is none; caller decrefs). 0 or an error. */
int bc__usage_read_month(struct bc_env *env, const char *tenant, const char *month, json_t **out);

#endif
