/* Organisations and their branches: the branch list in the organisation's partition and the organisation's
 * usage and health, summed over its branches (org.h). */
#include "domain/org.h"
#include "domain/env.h"
#include "domain/health.h"
#include "domain/keys.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "store/store.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <stdlib.h>
#include <string.h>

int bc_org_add_branch(struct bc_env *env, const json_t *branch_meta)
{
    const char *id = json_string_value(json_object_get(branch_meta, "id")),
               *parent = json_string_value(json_object_get(branch_meta, "parent_id"));
    struct bc_ctx org;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    if (!id || !parent || bc_ctx_operator(&org, parent) < 0 || !bc_key_tenant_pk(&org, pk) ||
        !bc_key_sk(sk, "BRANCH", id))
        return BC_EINVALID;
    json_t *it = json_pack("{s:s, s:s, s:s, s:O}", "PK", pk, "SK", sk, "id", id, "created_at",
                           json_object_get(branch_meta, "created_at"));
    if (!it) return BC_ENOMEM;
    int rc = bc_store_put(env->store, it, NULL);
    json_decref(it);
    return rc;
}

struct walk {
    struct bc_env *env;
    const struct bc_ctx *org;
    int (*fn)(const json_t *meta, void *arg);
    void *arg;
};

int bc_org_branch_get(struct bc_env *env, const char *org_id, const char *branch_id, const json_t **meta)
{
    struct bc_ctx b;
    *meta = NULL;
    /* a branch's partition may be in a store of its own (domain/envs.h) */
    struct bc_env *benv = bc_env_tenant(env, branch_id);
    int rc = bc_ctx_operator(&b, branch_id) < 0 ? BC_ENOT_FOUND
             : !benv                            ? BC_EUNAVAILABLE
                                                : bc_tenant_get_ro(benv, &b, meta);
    const char *parent =
        rc == 0 ? json_string_value(json_object_get(bc_json_shared(*meta), "parent_id")) : NULL;
    if (rc == 0 && (!parent || strcmp(parent, org_id) != 0)) rc = BC_ENOT_FOUND;
    if (rc < 0) {
        bc_json_release(*meta);
        *meta = NULL;
    }
    return rc;
}

/* A BRANCH# entry: its META to fn when the branch is still there and still the organisation's. */
static int visit(json_t *entry, void *arg)
{
    struct walk *w = arg;
    const json_t *meta = NULL;
    if (bc_org_branch_get(w->env, w->org->tenant_id, json_string_value(json_object_get(entry, "id")), &meta) <
        0)
        return 0; /* purged since */
    int rc = w->fn(bc_json_shared(meta), w->arg);
    bc_json_release(meta);
    return rc;
}

int bc_org_each_branch(struct bc_env *env, const struct bc_ctx *org, int (*fn)(const json_t *, void *),
                       void *arg)
{
    char pk[BC_KEY_SIZE];
    struct walk w = {env, org, fn, arg};
    if (!bc_key_tenant_pk(org, pk)) return BC_EINVALID;
    struct bc_query q = {.pk = pk, .sk_prefix = "BRANCH#", .limit = 100, .read_only = true};
    return bc_store_query_each(env->store, &q, visit, &w);
}

struct views {
    struct bc_env *env;
    json_t *list;
};

static int add_view(const json_t *meta, void *arg)
{
    struct views *v = arg;
    json_array_append_new(v->list, bc_tenant_view(v->env, meta));
    return 0;
}

int bc_org_branches(struct bc_env *env, const struct bc_ctx *org, json_t **out)
{
    struct views v = {env, json_array()};
    *out = v.list;
    int rc = bc_org_each_branch(env, org, add_view, &v);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

struct usage_walk {
    struct bc_env *env;
    const char *month;
    json_t *rows, *totals;
    int n, min_score;
    long sum_score;
};

/* One row of the organisation's table: a tenant's month, added to the totals. */
static int add_usage(const json_t *meta, void *arg)
{
    struct usage_walk *w = arg;
    json_t *rep = NULL, *health = NULL;
    int rc = bc_usage_report(w->env, meta, w->month, &rep);
    if (rc < 0) return rc;
    rc = bc_health_tenant(w->env, meta, &health);
    if (rc < 0) {
        json_decref(rep);
        return rc;
    }
    int score = (int)json_integer_value(json_object_get(health, "score"));
    const char *k;
    json_t *v, *totals = json_object_get(rep, "totals");
    json_object_foreach(totals, k, v)
    {
        if (!json_is_integer(v)) continue;
        json_t *sum = json_object_get(w->totals, k);
        json_object_set_new(w->totals, k, json_integer(json_integer_value(sum) + json_integer_value(v)));
    }
    json_array_append_new(
        w->rows, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:i}", "id", json_object_get(meta, "id"), "name",
                           json_object_get(meta, "name"), "status", json_object_get(meta, "status"), "plan",
                           json_object_get(meta, "plan"), "totals", totals, "limit_reached",
                           json_object_get(rep, "limit_reached"), "health", score));
    json_decref(rep);
    json_decref(health);
    if (w->n == 0 || score < w->min_score) w->min_score = score;
    w->sum_score += score;
    w->n++;
    return 0;
}

int bc_org_usage(struct bc_env *env, const struct bc_ctx *org, const char *month, json_t **out)
{
    struct usage_walk w = {env, month, json_array(), json_object(), 0, 0, 0};
    *out = NULL;
    const json_t *meta = NULL;
    int rc = bc_tenant_get_ro(env, org, &meta);
    if (rc == 0) rc = add_usage(bc_json_shared(meta), &w); /* the organisation's own first */
    if (rc == 0) rc = bc_org_each_branch(env, org, add_usage, &w);
    if (rc == 0)
        *out = json_pack("{s:{s:O, s:O}, s:s, s:O, s:{s:i, s:i}, s:O}", "organisation", "id",
                         json_object_get(bc_json_shared(meta), "id"), "name",
                         json_object_get(bc_json_shared(meta), "name"), "month", month, "totals", w.totals,
                         "health", "min", w.min_score, "mean", w.n ? (int)(w.sum_score / w.n) : 0, "branches",
                         w.rows);
    bc_json_release(meta);
    json_decref(w.rows);
    json_decref(w.totals);
    return rc;
}
