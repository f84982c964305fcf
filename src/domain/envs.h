/* The environments of one process: the pooled env (the store the process was started with) and one env
 * per dedicated store that the placement directory routes tenants to (placement.h), opened on first use
 * and kept for the life of the process. A request's env is chosen here, right after its credential has
 * named the tenant (http/auth.c).
 *
 * DESIGN NOTES
 * - An env is never closed while the process runs: a request, a worker or a suspended chat turn may hold
 *   it. A tenant placed back into the pooled store leaves its old env open and idle until the process
 *   ends; at most BC_ENVS_MAX stores are opened (an operator with more dedicated stores than that runs
 *   more processes), and a store that cannot be opened is retried at the next request, not cached.
 * - A dedicated env's directory is the pooled env (env.h): credentials, e-mail look-ups, the platform's
 *   index and the plans stay in the pooled store, so keys and sign-ins keep working wherever a tenant's
 *   partition is. The pooled env's route hook (bc_env_tenant) is set to this registry.
 * - The array of envs only grows, and an entry is complete before the count that publishes it is
 *   raised, so bc_envs_each reads it without the lock. */
#ifndef BC_ENVS_H
#define BC_ENVS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc_env;
struct bc_envs;
struct bc_placement_route;

#define BC_ENVS_MAX 32

struct bc_envs_config {
    int64_t store_cache_ms; /* read cache of a DynamoDB store (store_cache_ms); 0: none */
    int64_t bound_ms;       /* the directory snapshot's bound (0: BC_PLACEMENT_BOUND_MS) */
    /* called once for each dedicated env, after it is opened and before it is handed out (a server
     * starts the env's dispatcher and calendar poller); may be NULL */
    void (*on_open)(struct bc_env *env, void *ud);
    void *ud;
};

/* A registry over pooled (borrowed; it must outlive the registry), whose route hook it sets. NULL when
 * out of memory. */
struct bc_envs *bc_envs_new(struct bc_env *pooled, const struct bc_envs_config *cfg);
/* Frees every dedicated env and closes its store, and clears the pooled env's route hook (call after
 * everything that used them has stopped); NULL is a no-op. */
void bc_envs_free(struct bc_envs *r);

/* The env of a store URL ("" or "pooled": the pooled env), opened on first use. 0 with *out (borrowed for
 * the registry's life), BC_EINVALID (bad URL, err says why), BC_ENOMEM (BC_ENVS_MAX stores open), or the
 * store's error (err). */
int bc_envs_get(struct bc_envs *r, const char *url, struct bc_env **out, char *err, size_t errsize);
/* The env tenant_id's requests go to now and whether its writes are frozen. 0, or BC_EUNAVAILABLE when
 * the directory or the tenant's store cannot be reached (logged). */
int bc_envs_route(struct bc_envs *r, const char *tenant_id, struct bc_env **out, bool *frozen);
/* Reads the directory again and opens every store it routes to (housekeeping, every second: the
 * dispatcher and the calendar poller of a store start before its first request). 0 or a negative bc_err. */
int bc_envs_refresh(struct bc_envs *r);
/* Calls fn for each env, the pooled one first. */
void bc_envs_each(struct bc_envs *r, void (*fn)(struct bc_env *env, void *ud), void *ud);
/* Number of envs, the pooled one included. */
size_t bc_envs_count(struct bc_envs *r);
/* True when env is a dedicated env (not the pooled one), for the placement label of /metrics. */
bool bc_envs_dedicated(const struct bc_env *env);

#endif
