/* The environment of the domain: one per store, created once at start and passed explicitly to every
 * domain call (CONVENTIONS.md item 17), the way h2o passes its context and git its repository. It holds
 * the store and everything that must not be shared between two stores in one process: the caches of
 * parsed plans, settings views, calendar days and the chat's catalogues, the usage meter, the API keys'
 * last-used marks, and the configuration the domain reads (retention).
 *
 * DESIGN NOTES
 * - Nothing in the domain keeps state per process that depends on a store: a second store in the same
 *   process (a dedicated environment of one tenant, a migration's destination) gets its own env, and no
 *   cache can answer for one store with an item of another.
 * - The env is safe for concurrent use by any number of threads; each part locks what it owns.
 * - Lifecycle: bc_env_new borrows the store (which must outlive the env); bc_env_free releases the caches
 *   and drops unflushed usage counts (flush with bc_usage_flush first). */
#ifndef BC_ENV_H
#define BC_ENV_H
#include <stdint.h>

struct bc_store;
struct bc_memo;
struct bc_plan_cache;
struct bc_usage_meter;
struct bc_key_touches;
struct bc_challenge_rates;
struct bc_visitor_watch;
struct bc_channels;
struct bc_kept;

struct bc_env {
    struct bc_store *store; /* borrowed */
    /* The env whose store holds the directory: the global look-ups that name a tenant (API key look-ups,
     * the origin index, e-mail look-ups), the platform's index of tenants and the plans. NULL: this env's
     * own store (the pooled env, a migration's destination). A tenant's dedicated env (domain/envs.h)
     * points at the pooled env, so that a credential resolves in one place whatever store holds the
     * tenant's partition (borrowed; docs/operations.md "Dedicated environments"). */
    struct bc_env *directory;
    struct bc_plan_cache *plans;  /* plans by name, for 5 s (plan.c) */
    struct bc_usage_meter *usage; /* usage counts not yet flushed, month counts for limits (usage_meter.c) */
    struct bc_memo *days;         /* calendar date items parsed into structs, by shared item (calendar.c) */
    struct bc_kept *cal_ranges;   /* the date items of recent busy look-ups, by range (calendar.c) */
    struct bc_memo *views;        /* settings views, by shared item (settings.c) */
    /* the chat's active services and professionals and its NLU catalogue, per tenant (chat_catalogue.c) */
    struct bc_kept *catalogues;
    struct bc_key_touches *touches; /* API keys' last uses not yet written (apikey.c) */
    int64_t retention_s;            /* how long a deleted tenant can be restored (tenant_retention_days;
                                       30 days unless the caller sets it) */

    /* tenants' guarded requests per minute and whether each is under attack (challenge.c) */
    struct bc_challenge_rates *challenge;
    /* widget refusals of the last minutes per tenant (visitor.c) */
    struct bc_visitor_watch *visitors;

    /* The env of a tenant whose partition may be in a store of its own (domain/envs.h sets it on the
     * pooled env; NULL: every tenant is in this env). Returns NULL when that store cannot be reached. */
    struct bc_env *(*route)(struct bc_env *env, const char *tenant_id, void *ud);
    void *route_ud;

    /* tells this process's dispatcher that an event was written (outbox.h); NULL without one (the
     * dispatcher sets and clears it) */
    void (*outbox_wake)(void *ud);
    void *outbox_wake_ud;

    /* the worker of WhatsApp and Telegram messages (channel_run.h); NULL without one (serve sets it) */
    struct bc_channels *channels;
};

/* The store of env's directory (see struct bc_env's directory). */
static inline struct bc_store *bc_env_dir(const struct bc_env *env)
{
    return env->directory ? env->directory->store : env->store;
}

/* The env that holds tenant_id's partition: env itself unless env (or its directory) routes tenants to
 * their own stores (see route above). NULL when the tenant's store cannot be reached. */
static inline struct bc_env *bc_env_tenant(struct bc_env *env, const char *tenant_id)
{
    struct bc_env *root = env->directory ? env->directory : env; /* the env that routes */
    return root->route ? root->route(root, tenant_id, root->route_ud) : env;
}

/* A new env over store (borrowed; must outlive the env). Returns NULL when out of memory. */
struct bc_env *bc_env_new(struct bc_store *store);
/* Releases the env and its caches; NULL is a no-op. */
void bc_env_free(struct bc_env *env);

#endif
