/* The registry of a process's envs, one per store, and the routing of a tenant to its env (envs.h). */
#include "domain/envs.h"
#include "domain/env.h"
#include "domain/placement.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bc_envs {
    struct bc_env *pooled;
    struct bc_envs_config cfg;
    struct bc_placement_cache *dir;
    pthread_mutex_t mu;              /* serialises opening */
    struct bc_env *env[BC_ENVS_MAX]; /* [0] the pooled env */
    atomic_size_t n;
};

static struct bc_env *route_hook(struct bc_env *env, const char *tenant_id, void *ud)
{
    (void)env;
    struct bc_env *out = NULL;
    bool frozen;
    return bc_envs_route(ud, tenant_id, &out, &frozen) == 0 ? out : NULL;
}

struct bc_envs *bc_envs_new(struct bc_env *pooled, const struct bc_envs_config *cfg)
{
    struct bc_envs *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->pooled = pooled;
    r->cfg = *cfg;
    r->dir = bc_placement_cache_new(pooled->store, cfg->bound_ms);
    if (!r->dir) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    r->env[0] = pooled;
    atomic_store(&r->n, 1);
    pooled->route = route_hook;
    pooled->route_ud = r;
    return r;
}

void bc_envs_free(struct bc_envs *r)
{
    if (!r) return;
    size_t n = atomic_load(&r->n);
    for (size_t i = 1; i < n; i++) {
        struct bc_store *st = r->env[i]->store;
        bc_env_free(r->env[i]);
        bc_store_close(st);
    }
    r->pooled->route = NULL;
    r->pooled->route_ud = NULL;
    bc_placement_cache_free(r->dir);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static bool is_pooled(struct bc_envs *r, const char *url)
{
    return !url || !*url || strcmp(url, BC_PLACEMENT_POOLED) == 0 ||
           (r->pooled->store->url && strcmp(url, r->pooled->store->url) == 0);
}

/* The env of url among those open, or NULL. */
static struct bc_env *find(struct bc_envs *r, const char *url)
{
    size_t n = atomic_load(&r->n);
    for (size_t i = 1; i < n; i++)
        if (strcmp(r->env[i]->store->url, url) == 0) return r->env[i];
    return NULL;
}

int bc_envs_get(struct bc_envs *r, const char *url, struct bc_env **out, char *err, size_t errsize)
{
    *out = NULL;
    if (is_pooled(r, url)) {
        *out = r->pooled;
        return 0;
    }
    if ((*out = find(r, url))) return 0;
    pthread_mutex_lock(&r->mu);
    int rc = 0;
    struct bc_store *st = NULL;
    struct bc_env *env = find(r, url); /* opened by another thread meanwhile? */
    if (!env && atomic_load(&r->n) >= BC_ENVS_MAX) {
        snprintf(err, errsize, "%d stores are open in this process already", BC_ENVS_MAX);
        rc = BC_ENOMEM;
    }
    if (!env && rc == 0 && (rc = bc_store_open(url, &st, err, errsize)) == 0) {
        /* as the pooled store is configured (cmd/cli.c): a remote store's rarely changed items are cached */
        if (strncmp(url, "dynamodb:", 9) == 0 && r->cfg.store_cache_ms > 0)
            rc = bc_store_cache_enable(st, r->cfg.store_cache_ms, BC_STORE_CACHE_BYTES);
        if (rc == 0 && !(env = bc_env_new(st))) rc = BC_ENOMEM;
        if (rc < 0) {
            bc_store_close(st);
        } else {
            env->directory = r->pooled;
            env->retention_s = r->pooled->retention_s;
            if (r->cfg.on_open) r->cfg.on_open(env, r->cfg.ud);
            r->env[atomic_load(&r->n)] = env;
            atomic_fetch_add(&r->n, 1);
        }
    }
    pthread_mutex_unlock(&r->mu);
    *out = env;
    return rc;
}

int bc_envs_route(struct bc_envs *r, const char *tenant_id, struct bc_env **out, bool *frozen)
{
    struct bc_placement_route route;
    char err[256] = "";
    *out = NULL;
    *frozen = false;
    int rc = bc_placement_cache_lookup(r->dir, tenant_id, &route);
    if (rc < 0) {
        bc_log(BC_LOG_WARN, "placement directory unreadable: %s", bc_strerror(rc));
        return BC_EUNAVAILABLE;
    }
    if ((rc = bc_envs_get(r, route.store, out, err, sizeof err)) < 0) {
        bc_log(BC_LOG_WARN, "store of tenant %s cannot be opened: %s", tenant_id, err);
        return BC_EUNAVAILABLE;
    }
    *frozen = route.frozen;
    return 0;
}

static void open_one(const char *url, void *ud)
{
    struct bc_env *env;
    char err[256] = "";
    if (bc_envs_get(ud, url, &env, err, sizeof err) < 0)
        bc_log(BC_LOG_WARN, "dedicated store cannot be opened (retried): %s", err);
}

int bc_envs_refresh(struct bc_envs *r)
{
    int rc = bc_placement_cache_refresh(r->dir);
    if (rc == 0) rc = bc_placement_cache_stores(r->dir, open_one, r);
    return rc < 0 ? rc : 0;
}

void bc_envs_each(struct bc_envs *r, void (*fn)(struct bc_env *env, void *ud), void *ud)
{
    size_t n = atomic_load(&r->n);
    for (size_t i = 0; i < n; i++) fn(r->env[i], ud);
}

size_t bc_envs_count(struct bc_envs *r)
{
    return atomic_load(&r->n);
}

bool bc_envs_dedicated(const struct bc_env *env)
{
    return env && env->directory != NULL;
}
