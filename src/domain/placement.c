/* The placement directory's items and a process's snapshot of them (placement.h). */
#include "domain/placement.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

int bc_placement_get(struct bc_store *dir, const char *tenant_id, json_t **item)
{
    char sk[BC_KEY_SIZE];
    *item = NULL;
    if (!bc_key_id_ok(tenant_id) || !bc_key_sk(sk, "TENANT", tenant_id)) return BC_ENOT_FOUND;
    return bc_store_get(dir, BC_PLACEMENT_PK, sk, item);
}

int bc_placement_put(struct bc_store *dir, json_t *entry)
{
    char sk[BC_KEY_SIZE];
    const char *tid = S(entry, "tenant_id");
    int64_t v = json_integer_value(json_object_get(entry, "version"));
    if (!tid || !bc_key_id_ok(tid) || !bc_key_sk(sk, "TENANT", tid) || v < 1) return BC_EINVALID;
    json_object_set_new(entry, "PK", json_string(BC_PLACEMENT_PK));
    json_object_set_new(entry, "SK", json_string(sk));
    struct bc_cond c = {v == 1 ? BC_COND_NOT_EXISTS : BC_COND_VERSION, v - 1};
    return bc_store_put(dir, entry, &c);
}

int bc_placement_remove(struct bc_store *dir, const char *tenant_id, int64_t version)
{
    char sk[BC_KEY_SIZE];
    if (!bc_key_id_ok(tenant_id) || !bc_key_sk(sk, "TENANT", tenant_id)) return BC_EINVALID;
    struct bc_cond c = {BC_COND_VERSION, version};
    return bc_store_delete(dir, BC_PLACEMENT_PK, sk, &c);
}

void bc_placement_route_of(const json_t *entry, struct bc_placement_route *out)
{
    const char *store = S(entry, "store"), *state = S(entry, "state");
    out->store[0] = '\0';
    out->frozen = state && strcmp(state, "moving") == 0;
    if (store && strcmp(store, BC_PLACEMENT_POOLED) != 0 && strlen(store) < sizeof out->store)
        memcpy(out->store, store, strlen(store) + 1);
}

/* ---- the snapshot ---- */

struct entry {
    char tenant_id[72];
    struct bc_placement_route route;
};

struct snapshot {
    struct entry *e; /* sorted by tenant_id (the query's SK order) */
    size_t n, cap;
};

struct bc_placement_cache {
    struct bc_store *dir;
    int64_t bound_ns;
    pthread_mutex_t mu; /* guards snap and taken_ns; held across a refresh so nobody routes on an old view */
    struct snapshot snap;
    int64_t taken_ns; /* when the query of snap started; 0: never */
    atomic_uint_fast64_t reads;
};

struct bc_placement_cache *bc_placement_cache_new(struct bc_store *dir, int64_t bound_ms)
{
    struct bc_placement_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->dir = dir;
    c->bound_ns = (bound_ms > 0 ? bound_ms : BC_PLACEMENT_BOUND_MS) * 1000000LL;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void bc_placement_cache_free(struct bc_placement_cache *c)
{
    if (!c) return;
    free(c->snap.e);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int collect(json_t *item, void *arg)
{
    struct snapshot *s = arg;
    const char *tid = S(item, "tenant_id");
    struct entry x = {{0}};
    if (!tid || strlen(tid) >= sizeof x.tenant_id) return 0;
    bc_placement_route_of(item, &x.route);
    if (!x.route.store[0] && !x.route.frozen) return 0; /* served by the pooled store as if absent */
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        struct entry *ne = s->n < BC_PLACEMENT_MAX ? realloc(s->e, ncap * sizeof *ne) : NULL;
        if (!ne) return BC_ENOMEM;
        s->e = ne;
        s->cap = ncap;
    }
    memcpy(x.tenant_id, tid, strlen(tid) + 1);
    s->e[s->n++] = x;
    return 0;
}

/* Reads the directory into c->snap; c->mu held. */
static int refresh_locked(struct bc_placement_cache *c)
{
    int64_t start = bc_mono_ns();
    struct snapshot s = {0};
    struct bc_query q = {.pk = BC_PLACEMENT_PK, .sk_prefix = "TENANT#", .limit = 1000};
    atomic_fetch_add(&c->reads, 1);
    int rc = bc_store_query_each(c->dir, &q, collect, &s);
    if (rc < 0) {
        free(s.e);
        return rc;
    }
    free(c->snap.e);
    c->snap = s;
    c->taken_ns = start;
    return 0;
}

/* c->mu held: a snapshot within its bound, read again when needed. */
static int fresh_locked(struct bc_placement_cache *c)
{
    if (c->taken_ns && bc_mono_ns() - c->taken_ns < c->bound_ns) return 0;
    return refresh_locked(c);
}

static int by_tenant(const void *key, const void *elem)
{
    return strcmp(key, ((const struct entry *)elem)->tenant_id);
}

int bc_placement_cache_lookup(struct bc_placement_cache *c, const char *tenant_id,
                              struct bc_placement_route *out)
{
    out->store[0] = '\0';
    out->frozen = false;
    pthread_mutex_lock(&c->mu);
    int rc = fresh_locked(c);
    if (rc == 0 && c->snap.n) {
        const struct entry *e = bsearch(tenant_id, c->snap.e, c->snap.n, sizeof *c->snap.e, by_tenant);
        if (e) *out = e->route;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int bc_placement_cache_refresh(struct bc_placement_cache *c)
{
    pthread_mutex_lock(&c->mu);
    int rc = refresh_locked(c);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int bc_placement_cache_stores(struct bc_placement_cache *c, void (*fn)(const char *url, void *ud), void *ud)
{
    pthread_mutex_lock(&c->mu);
    int rc = fresh_locked(c);
    size_t n = rc == 0 ? c->snap.n : 0;
    /* copied out, so that fn (which may open a store) runs without the lock */
    char(*urls)[BC_PLACEMENT_URL_MAX] = n ? malloc(n * sizeof *urls) : NULL;
    int k = 0;
    for (size_t i = 0; urls && i < n; i++) {
        const char *u = c->snap.e[i].route.store;
        bool seen = !*u;
        for (int j = 0; j < k && !seen; j++) seen = strcmp(urls[j], u) == 0;
        if (!seen) memcpy(urls[k++], u, strlen(u) + 1);
    }
    pthread_mutex_unlock(&c->mu);
    if (n && !urls) return BC_ENOMEM;
    for (int j = 0; j < k; j++) fn(urls[j], ud);
    free(urls);
    return rc < 0 ? rc : k;
}

uint64_t bc_placement_cache_reads(struct bc_placement_cache *c)
{
    return atomic_load(&c->reads);
}
