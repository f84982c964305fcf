/* Single-item CRUD shared by the catalogue entities. */
#include "domain/entity.h"
#include "domain/env.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>

json_t *bc_entity_view(json_t *item)
{
    json_t *v = json_deep_copy(item);
    json_object_del(v, "PK");
    json_object_del(v, "SK");
    json_object_del(v, "version");
    json_object_del(v, "ttl");
    return v;
}

static int keys(const struct bc_ctx *ctx, const char *kind, const char *id, char *pk, char *sk)
{
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, kind, id)) return BC_ENOT_FOUND;
    return 0;
}

/* The partition and SK prefix of every entity of a kind. */
static bool kind_range(const struct bc_ctx *ctx, const char *kind, char pk[BC_KEY_SIZE],
                       char prefix[BC_KEY_SIZE])
{
    if (!bc_key_tenant_pk(ctx, pk)) return false;
    snprintf(prefix, BC_KEY_SIZE, "%s#", kind);
    return true;
}

int bc_entity_get(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *id,
                  json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *out = NULL;
    int rc = keys(ctx, kind, id, pk, sk);
    return rc < 0 ? rc : bc_store_get(s, pk, sk, out);
}

int bc_entity_get_ro(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *id,
                     const json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *out = NULL;
    int rc = keys(ctx, kind, id, pk, sk);
    return rc < 0 ? rc : bc_store_get_cached(s, pk, sk, out);
}

int bc_entity_list(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int limit,
                   const char *cursor, json_t **items, char **next_cursor)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    *items = NULL;
    *next_cursor = NULL;
    if (!kind_range(ctx, kind, pk, prefix)) return BC_ENOT_FOUND;
    struct bc_query q = {.pk = pk, .sk_prefix = prefix, .limit = limit, .cursor = cursor};
    return bc_store_query_page(s, &q, bc_entity_view, items, next_cursor);
}

static int all(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int max, bool read_only,
               struct bc_store_digest *digest, json_t **items)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    char *cursor = NULL;
    *items = NULL;
    if (!kind_range(ctx, kind, pk, prefix)) return BC_ENOT_FOUND;
    json_t *list = json_array();
    int rc = 0;
    do {
        struct bc_query q = {.pk = pk,
                             .sk_prefix = prefix,
                             .limit = 1000,
                             .cursor = cursor,
                             .read_only = read_only,
                             .cached = read_only,
                             .digest = cursor ? NULL : digest}; /* one page: a longer list has none */
        struct bc_query_result r;
        rc = bc_store_query(s, &q, &r);
        free(cursor);
        cursor = NULL;
        if (rc < 0) break;
        json_array_extend(list, r.items);
        cursor = r.next_cursor;
        r.next_cursor = NULL;
        bc_query_result_release(&r);
    } while (cursor && (int)json_array_size(list) < max);
    free(cursor);
    if (rc < 0) {
        json_decref(list);
        return rc;
    }
    *items = list;
    return 0;
}

int bc_entity_all(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int max, json_t **items)
{
    return all(env, ctx, kind, max, false, NULL, items);
}

int bc_entity_all_ro(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int max, json_t **items)
{
    return all(env, ctx, kind, max, true, NULL, items);
}

int bc_entity_all_ro_digest(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int max,
                            json_t **items, struct bc_store_digest *digest)
{
    digest->ok = false;
    return all(env, ctx, kind, max, true, digest, items);
}

bool bc_entity_unchanged(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, uint64_t snap,
                         uint64_t *now)
{
    char pk[BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    return kind_range(ctx, kind, pk, prefix) && bc_store_kind_unchanged(env->store, pk, prefix, snap, now);
}

int bc_entity_digest(struct bc_env *env, const struct bc_ctx *ctx, const char *kind,
                     struct bc_store_digest *out)
{
    char pk[BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    out->ok = false;
    if (!kind_range(ctx, kind, pk, prefix)) return BC_ENOT_FOUND;
    struct bc_query q = {.pk = pk, .sk_prefix = prefix, .limit = 1000, .read_only = true};
    return bc_store_query_digest(env->store, &q, out);
}

int bc_entity_all_views(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int max,
                        json_t *(*view)(json_t *item), json_t **items)
{
    json_t *all = NULL;
    *items = NULL;
    int rc = bc_entity_all_ro(env, ctx, kind, max, &all);
    if (rc < 0) return rc;
    json_t *list = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(all, i, it) json_array_append_new(list, view(it));
    json_decref(all);
    *items = list;
    return list ? 0 : BC_ENOMEM;
}

int bc_entity_create(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, json_t *item)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], now[32];
    int rc = keys(ctx, kind, json_string_value(json_object_get(item, "id")), pk, sk);
    if (rc < 0) return BC_EINVALID;
    bc_now_iso(now);
    json_object_set_new(item, "PK", json_string(pk));
    json_object_set_new(item, "SK", json_string(sk));
    json_object_set_new(item, "created_at", json_string(now));
    json_object_set_new(item, "updated_at", json_string(now));
    struct bc_cond c = {BC_COND_NOT_EXISTS, 0};
    rc = bc_store_put(s, item, &c);
    return rc == BC_ECOND ? BC_ECONFLICT : rc;
}

int bc_entity_update(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *id,
                     json_t *set, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], now[32];
    if (out) *out = NULL;
    int rc = keys(ctx, kind, id, pk, sk);
    if (rc < 0) return rc;
    bc_now_iso(now);
    json_object_set_new(set, "updated_at", json_string(now));
    struct bc_update u = {set, NULL, NULL};
    struct bc_cond c = {BC_COND_EXISTS, 0};
    rc = bc_store_update(s, pk, sk, &u, &c, out);
    return rc == BC_ECOND ? BC_ENOT_FOUND : rc;
}

int bc_entity_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *id)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    int rc = keys(ctx, kind, id, pk, sk);
    if (rc < 0) return rc;
    struct bc_cond c = {BC_COND_EXISTS, 0};
    rc = bc_store_delete(s, pk, sk, &c);
    return rc == BC_ECOND ? BC_ENOT_FOUND : rc;
}
