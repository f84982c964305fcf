/* The items of one tenant: kinds, the global look-ups derived from its records, walking, counting,
 * purging and the verification scan. See tenant_items.h for the list and the DESIGN NOTES. */
#include "domain/tenant_items.h"
#include "domain/env.h"
#include "domain/extcal.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

/* a lazy, unconditional write (store.h): each purge step syncs once at its end */
static const struct bc_cond lazy = {BC_COND_NONE, 0, true};

static bool has_prefix(const char *s, const char *p)
{
    return s && strncmp(s, p, strlen(p)) == 0;
}

const char *bc_tenant_item_kind(json_t *item, char *buf, size_t size)
{
    const char *pk = S(item, "PK"), *sk = S(item, "SK");
    if (!pk || !sk) {
        snprintf(buf, size, "?");
    } else if (has_prefix(pk, "TENANT#")) {
        snprintf(buf, size, "%.*s", (int)strcspn(sk, "#"), sk);
    } else if (strcmp(pk, BC_KEY_PLATFORM) == 0) {
        snprintf(buf, size, "global:%s:%.*s", BC_KEY_PLATFORM, (int)strcspn(sk, "#"), sk);
    } else {
        snprintf(buf, size, "global:%.*s", (int)strcspn(pk, "#"), pk);
    }
    return buf;
}

static void add_key(json_t *keys, const char *pk, const char *sk)
{
    if (pk && sk) json_array_append_new(keys, json_pack("{s:s, s:s}", "PK", pk, "SK", sk));
}

json_t *bc_tenant_item_globals(json_t *item, const char *tenant_id)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    json_t *keys = json_array();
    const char *isk = S(item, "SK");
    if (has_prefix(isk, "APIKEY#")) {
        /* the key's look-up (what authenticates) and its origin index entries */
        const char *hash = S(item, "hash");
        if (hash) add_key(keys, bc_key_apikey_lookup(pk, hash), "META");
        size_t i;
        json_t *o;
        const char *ksk = bc_key_sk(sk, "KEY", S(item, "id"));
        json_array_foreach(json_object_get(item, "origins"), i, o)
            add_key(keys, bc_key_origin_lookup(pk, json_string_value(o)), ksk);
    } else if (has_prefix(isk, "XCAL#")) { /* an external calendar's pointer in the poller's queue */
        if (bc_extcal_pointer_key(item, sk)) add_key(keys, BC_EXTCAL_QUEUE_PK, sk);
    } else if (has_prefix(isk, "USER#")) {
        const char *email = S(item, "email");
        if (email) add_key(keys, bc_key_email_lookup(pk, email), bc_key_sk(sk, "TENANT", tenant_id));
    }
    return keys;
}

int bc_tenant_item_check(json_t *item, const char *tenant_id)
{
    char tpk[BC_KEY_SIZE];
    const char *pk = S(item, "PK"), *sk = S(item, "SK"), *owner = S(item, "tenant_id");
    if (!json_is_object(item) || bc__store_key_valid(pk) < 0 || bc__store_key_valid(sk) < 0 ||
        !bc_key_tenant_pk_operator(tpk, tenant_id))
        return BC_EINVALID;
    bool mine = owner && strcmp(owner, tenant_id) == 0;
    if (strcmp(pk, tpk) == 0) return 0;
    if (has_prefix(pk, "APIKEY#") && strcmp(sk, "META") == 0 && mine) return 0;
    if (has_prefix(pk, "ORIGIN#") && has_prefix(sk, "KEY#") && mine) return 0;
    if (has_prefix(pk, "EMAIL#") && strcmp(sk, tpk) == 0 && mine) return 0;
    if (strcmp(pk, BC_EXTCAL_QUEUE_PK) == 0 && mine) return 0;
    if (strcmp(pk, BC_KEY_PLATFORM) == 0 && strcmp(sk, tpk) == 0) return 0;
    if (strcmp(pk, BC_KEY_PLATFORM) == 0 && has_prefix(sk, "PLAN#")) return 0;
    return BC_EINVALID;
}

/* Replaces the string attribute name when it equals from. */
static void swap_attr(json_t *item, const char *name, const char *from, const char *to)
{
    const char *v = S(item, name);
    if (v && strcmp(v, from) == 0) json_object_set_new(item, name, json_string(to));
}

void bc_tenant_item_rename(json_t *item, const char *from, const char *to)
{
    char fpk[BC_KEY_SIZE], tpk[BC_KEY_SIZE];
    if (!bc_key_tenant_pk_operator(fpk, from) || !bc_key_tenant_pk_operator(tpk, to)) return;
    bool meta = strcmp(S(item, "PK") ? S(item, "PK") : "", fpk) == 0 && strcmp(S(item, "SK"), "META") == 0;
    bool index = strcmp(S(item, "PK") ? S(item, "PK") : "", BC_KEY_PLATFORM) == 0;
    swap_attr(item, "PK", fpk, tpk);
    swap_attr(item, "SK", fpk, tpk);
    swap_attr(item, "tenant_id", from, to);
    if (meta || index) swap_attr(item, "id", from, to);
}

struct partition_walk {
    const char *tenant_id;
    int (*fn)(json_t *, void *);
    void *arg;
    json_t *globals;
    char *plan;
    size_t plansize;
};

static int partition_item(json_t *it, void *arg)
{
    struct partition_walk *w = arg;
    if (w->globals) {
        json_t *g = bc_tenant_item_globals(it, w->tenant_id);
        json_array_extend(w->globals, g);
        json_decref(g);
    }
    if (w->plan && strcmp(S(it, "SK"), "META") == 0 && S(it, "plan"))
        snprintf(w->plan, w->plansize, "%s", S(it, "plan"));
    return w->fn ? w->fn(it, w->arg) : 0;
}

/* Pages through the partition, calling fn on each item; keys of the derived global items are appended to
 * globals when not NULL, and the plan name copied from META into plan. */
static int walk_partition(struct bc_env *env, const char *tenant_id, int (*fn)(json_t *, void *), void *arg,
                          json_t *globals, char *plan, size_t plansize)
{
    char pk[BC_KEY_SIZE];
    if (!bc_key_tenant_pk_operator(pk, tenant_id)) return BC_EINVALID;
    struct partition_walk w = {tenant_id, fn, arg, globals, plan, plansize};
    struct bc_query q = {.pk = pk, .limit = 500};
    return bc_store_query_each(env->store, &q, partition_item, &w);
}

/* Gets one global item and hands it to fn when it exists and belongs to the tenant. */
static int visit_global(struct bc_env *env, const char *tenant_id, const char *pk, const char *sk,
                        int (*fn)(json_t *, void *), void *arg)
{
    struct bc_store *s = bc_env_dir(env); /* global items are the directory's */
    json_t *it = NULL;
    int rc = bc_store_get(s, pk, sk, &it);
    if (rc == BC_ENOT_FOUND) return 0;
    if (rc < 0) return rc;
    if (bc_tenant_item_check(it, tenant_id) == 0) rc = fn(it, arg);
    json_decref(it);
    return rc;
}

int bc_tenant_items_walk(struct bc_env *env, const char *tenant_id, int (*fn)(json_t *item, void *arg),
                         void *arg)
{
    char sk[BC_KEY_SIZE], plan[64] = "", psk[BC_KEY_SIZE];
    json_t *globals = json_array();
    int rc = walk_partition(env, tenant_id, fn, arg, globals, plan, sizeof plan);
    size_t i;
    json_t *k;
    json_array_foreach(globals, i, k)
    {
        if (rc < 0) break;
        rc = visit_global(env, tenant_id, S(k, "PK"), S(k, "SK"), fn, arg);
    }
    if (rc == 0 && bc_key_sk(sk, "TENANT", tenant_id))
        rc = visit_global(env, tenant_id, BC_KEY_PLATFORM, sk, fn, arg);
    if (rc == 0 && plan[0] && bc_key_sk(psk, "PLAN", plan))
        rc = visit_global(env, tenant_id, BC_KEY_PLATFORM, psk, fn, arg);
    json_decref(globals);
    return rc;
}

static int count_one(json_t *item, void *arg)
{
    (void)item;
    (*(int64_t *)arg)++;
    return 0;
}

int bc_tenant_items_count(struct bc_env *env, const char *tenant_id, int64_t *n)
{
    *n = 0;
    return walk_partition(env, tenant_id, count_one, n, NULL, NULL, 0);
}

int bc_tenant_items_exist(struct bc_env *env, const char *tenant_id, bool *exists)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    *exists = false;
    if (!bc_key_tenant_pk_operator(pk, tenant_id)) return BC_EINVALID;
    struct bc_query q = {.pk = pk, .limit = 1};
    struct bc_query_result r;
    int rc = bc_store_query(s, &q, &r);
    if (rc < 0) return rc;
    *exists = json_array_size(r.items) > 0;
    bc_query_result_release(&r);
    return 0;
}

/* Deletes an item's global look-ups, then the item. Deletes also reach items whose ttl has passed (a
 * rotated key's look-up): a delete without condition removes whatever is stored. */
static int purge_item(struct bc_env *env, const char *tenant_id, json_t *item)
{
    struct bc_store *s = env->store;
    json_t *g = bc_tenant_item_globals(item, tenant_id);
    size_t i;
    json_t *k;
    int rc = 0;
    json_array_foreach(g, i, k)
    {
        if ((rc = bc_store_delete(bc_env_dir(env), S(k, "PK"), S(k, "SK"), &lazy)) < 0) break;
    }
    json_decref(g);
    if (rc == 0) rc = bc_store_delete(s, S(item, "PK"), S(item, "SK"), &lazy);
    return rc;
}

int bc_tenant_purge_step(struct bc_env *env, const char *tenant_id, int max_items, bool *done)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    int n = 0, rc = 0;
    bool only_meta = false;
    *done = false;
    if (!bc_key_tenant_pk_operator(pk, tenant_id) || max_items < 1) return BC_EINVALID;
    while (rc == 0 && n < max_items) {
        /* always the first page: what was deleted is gone, and META (kept for last) is at most one more */
        int want = max_items - n + 1;
        struct bc_query q = {.pk = pk, .limit = want > 200 ? 200 : want};
        struct bc_query_result r;
        if ((rc = bc_store_query(s, &q, &r)) < 0) break;
        size_t i;
        json_t *it;
        int before = n;
        json_array_foreach(r.items, i, it)
        {
            if (strcmp(S(it, "SK"), "META") == 0) continue;
            if (n == max_items || (rc = purge_item(env, tenant_id, it)) < 0) break;
            n++;
        }
        bc_query_result_release(&r);
        if (rc == 0 && n == before) only_meta = true;
        if (only_meta) break;
    }
    if (rc == 0 && only_meta) {
        rc = bc_store_delete(s, pk, "META", &lazy);
        if (rc == 0 && bc_key_sk(sk, "TENANT", tenant_id))
            rc = bc_store_delete(bc_env_dir(env), BC_KEY_PLATFORM, sk, &lazy);
        if (rc == 0) *done = true;
    }
    int src = bc_store_sync(s);
    if (rc == 0) rc = src;
    return rc < 0 ? rc : n;
}

int bc_tenant_purge(struct bc_env *env, const char *tenant_id)
{
    bool done = false;
    int total = 0;
    while (!done) {
        int n = bc_tenant_purge_step(env, tenant_id, 1000, &done);
        if (n < 0) return n;
        total += n;
    }
    return total;
}

int bc_tenant_items_stray(struct bc_env *env, const char *tenant_id, json_t **found)
{
    struct bc_store *s = env->store;
    char tpk[BC_KEY_SIZE], mpk[BC_KEY_SIZE];
    if (!bc_key_tenant_pk_operator(tpk, tenant_id) || !bc_key_migration(mpk, tenant_id)) return BC_EINVALID;
    if (!*found) *found = json_array();
    char *cursor = NULL;
    int rc;
    do {
        struct bc_query_result r;
        rc = bc_store_scan(s, cursor, 1000, &r);
        free(cursor);
        cursor = NULL;
        if (rc < 0) break;
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it)
        {
            const char *pk = S(it, "PK"), *sk = S(it, "SK"), *owner = S(it, "tenant_id");
            if ((pk && (!strcmp(pk, tpk) || !strcmp(pk, mpk))) || (sk && !strcmp(sk, tpk)) ||
                (owner && !strcmp(owner, tenant_id)))
                json_array_append(*found, it);
        }
        cursor = r.next_cursor;
        r.next_cursor = NULL;
        bc_query_result_release(&r);
    } while (cursor);
    free(cursor);
    return rc;
}

/* The copy read back is the item, but for what a server's background work may write into the target while
 * the copy runs: a key's last use (an env that served, or still serves, the tenant from that store flushes
 * it within seconds, with no regard for a move). The final pass of a placement makes the target equal to
 * the source again, so such a difference is not a failed copy. */
static bool copied_same(json_t *item, json_t *back)
{
    if (json_equal(item, back)) return true;
    if (!has_prefix(S(item, "SK"), "APIKEY#") || !json_is_object(back)) return false;
    json_t *a = json_copy(item), *b = json_copy(back); /* shallow: only the top-level member goes */
    json_object_del(a, "last_used_at");
    json_object_del(b, "last_used_at");
    bool same = json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

int bc_tenant_item_copy(struct bc_store *to, json_t *item, const struct bc_cond *cond, char *msg,
                        size_t msgsize)
{
    json_t *back = NULL;
    int rc = bc_store_put(to, item, cond);
    if (rc == 0) rc = bc_store_get(to, S(item, "PK"), S(item, "SK"), &back);
    if (rc == BC_ENOT_FOUND && json_is_integer(json_object_get(item, "ttl")) &&
        json_integer_value(json_object_get(item, "ttl")) <= bc_now_s())
        rc = 0; /* it expired meanwhile: invisible on both sides */
    else if (rc == 0 && !copied_same(item, back)) {
        snprintf(msg, msgsize, "verification failed: %.60s / %.80s differs after the copy", S(item, "PK"),
                 S(item, "SK"));
        rc = BC_EIO;
    }
    json_decref(back);
    return rc;
}

static int drop_one(json_t *item, void *arg)
{
    struct bc_env *env = arg;
    return bc_store_delete(env->store, S(item, "PK"), S(item, "SK"), &lazy);
}

int bc_tenant_partition_drop(struct bc_env *env, const char *tenant_id)
{
    char pk[BC_KEY_SIZE];
    int64_t n = 0;
    if (!bc_key_tenant_pk_operator(pk, tenant_id)) return BC_EINVALID;
    /* page after page from the start: what was deleted is gone (META too, it is an item like any) */
    for (;;) {
        struct bc_query q = {.pk = pk, .limit = 200};
        struct bc_query_result r;
        int rc = bc_store_query(env->store, &q, &r);
        if (rc < 0) return rc;
        size_t i, k = json_array_size(r.items);
        json_t *it;
        json_array_foreach(r.items, i, it) if (rc == 0) rc = drop_one(it, env);
        bc_query_result_release(&r);
        if (rc < 0) return rc;
        n += (int64_t)k;
        if (k == 0) break;
    }
    int rc = bc_store_sync(env->store);
    return rc < 0 ? rc : (int)(n > 0x7fffffff ? 0x7fffffff : n);
}
