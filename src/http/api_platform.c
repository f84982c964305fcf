/* The operator's platform API: tenants (create with onboarding, list, get, change plan/limits/status, soft
 * delete, restore) and plans. The platform token covers every tenant, so here, and only here and in the
 * CLI, a tenant id comes from the path (through bc_ctx_operator). */
#include "domain/health.h"
#include "domain/onboarding.h"
#include "domain/plan.h"
#include "domain/env.h"
#include "domain/tenant.h"
#include "http/auth.h"
#include "http/api.h"
#include "http/server.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <string.h>

static const struct bc_jfield create_fields[] = {
    {"name", BC_J_STRING, BC_JF_REQUIRED, 1, 120},
    {"id", BC_J_STRING, 0, 1, 64},
    {"plan", BC_J_STRING, 0, 1, 32},
    {"locale", BC_J_STRING, 0, 2, 2},
    {"timezone", BC_J_STRING, 0, 1, 64},
    {"parent_id", BC_J_STRING, BC_JF_NULLABLE, 1, 64},
    {"origins", BC_J_ARRAY, 0, 0, 50},
    {"allow_no_origin", BC_J_BOOL, 0, 0, 0},
    {"owner_email", BC_J_STRING, 0, 3, 120},
    {"owner_name", BC_J_STRING, 0, 0, 120},
    {"empty", BC_J_BOOL, 0, 0, 0},
    {"home_region", BC_J_STRING, BC_JF_NULLABLE, 1, 32}, /* default: this process's region */
    {NULL},
};

static const struct bc_jfield patch_fields[] = {
    {"name", BC_J_STRING, 0, 1, 120},
    {"plan", BC_J_STRING, 0, 1, 32},
    {"limits", BC_J_OBJECT, 0, 0, 0},
    {"status", BC_J_STRING, 0, 1, 16},
    {"pooled_limits", BC_J_BOOL, 0, 0, 0},               /* organisations only */
    {"home_region", BC_J_STRING, BC_JF_NULLABLE, 1, 32}, /* null: no home (every region commits) */
    {NULL},
};

#define S(o, k) json_string_value(json_object_get((o), (k)))

int bc_api_platform_tenants_create(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_body(req, create_fields, &body);
    if (rc < 0) return rc;
    struct bc_onboard in = {
        .tenant = {S(body, "id"), S(body, "name"), S(body, "plan"), S(body, "locale"), S(body, "timezone"),
                   S(body, "parent_id")},
        .origins = json_object_get(body, "origins"),
        .allow_no_origin = json_is_true(json_object_get(body, "allow_no_origin")),
        .owner_email = S(body, "owner_email"),
        .owner_name = S(body, "owner_name"),
        .empty = json_is_true(json_object_get(body, "empty")),
        .public_url = bc_api_public_url(req->srv),
    };
    /* home regions: a tenant is homed where it is created unless the operator names a region (or null) */
    json_t *home = json_object_get(body, "home_region");
    in.tenant.home_region = home ? json_string_value(home) : bc_config_get(BC_CFG_REGION);
    rc = bc_onboard_tenant(req->env, &in, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    req->audit_tenant = bc_arena_strdup(&req->arena, S(json_object_get(out, "tenant"), "id"));
    return bc_reply_json(req, 201, out);
}

int bc_api_platform_tenants_list(struct bc_req *req)
{
    int limit;
    const char *cursor, *status = bc_req_query(req, "status");
    json_t *items;
    char *next;
    int rc = bc_req_paging(req, &limit, &cursor);
    if (rc < 0) return rc;
    rc = bc_tenant_list(req->env, limit, cursor, status, &items, &next);
    if (rc == BC_EINVALID) return bc_fail(req, rc, "Invalid cursor.");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, next);
}

/* The operator's context for the tenant named in the path; BC_ENOT_FOUND when it does not exist. */
static int target(struct bc_req *req, struct bc_ctx *ctx, json_t **meta)
{
    const char *id = bc_req_param(req, "id");
    if (bc_ctx_operator(ctx, id) < 0) return BC_ENOT_FOUND;
    /* the tenant's own store when it is placed, and no change while it is being moved */
    memcpy(req->ctx.tenant_id, ctx->tenant_id, sizeof req->ctx.tenant_id);
    int rc = bc_auth_route_tenant(req);
    req->ctx.tenant_id[0] = '\0';
    if (rc < 0) return rc;
    rc = bc_tenant_get(req->env, ctx, meta);
    if (rc == 0) req->audit_tenant = bc_arena_strdup(&req->arena, id);
    return rc;
}

static int reply_tenant(struct bc_req *req, json_t *meta)
{
    json_t *out = json_pack("{s:o, s:o}", "tenant", bc_tenant_view(req->env, meta), "limits",
                            bc_api_limits_json(req->env, meta));
    return bc_reply_json(req, 200, out);
}

int bc_api_platform_tenants_get(struct bc_req *req)
{
    struct bc_ctx ctx;
    json_t *meta;
    int rc = target(req, &ctx, &meta);
    if (rc < 0) return rc;
    json_t *health = NULL; /* the health score with its reasons (domain/health.h) */
    if (bc_health_tenant(req->env, meta, &health) < 0) health = json_null();
    json_t *out = json_pack("{s:o, s:o, s:o}", "tenant", bc_tenant_view(req->env, meta), "limits",
                            bc_api_limits_json(req->env, meta), "health", health);
    json_decref(meta);
    return bc_reply_json(req, 200, out);
}

int bc_api_platform_tenants_patch(struct bc_req *req)
{
    struct bc_ctx ctx;
    json_t *body, *meta = NULL, *out = NULL;
    char msg[256] = "";
    int rc = bc_req_body(req, patch_fields, &body);
    if (rc == 0) rc = target(req, &ctx, &meta);
    if (rc < 0) return rc;
    bool org = json_is_true(json_object_get(meta, "has_branches"));
    json_decref(meta);
    const char *status = S(body, "status"), *plan = S(body, "plan");
    json_t *pooled = json_object_get(body, "pooled_limits");
    if (pooled && !org)
        return bc_fail(req, BC_EINVALID, "only an organisation (a tenant with branches) pools its limits");
    /* validate everything before the first write */
    if (status && strcmp(status, "ACTIVE") && strcmp(status, "SUSPENDED"))
        return bc_fail(req, BC_EINVALID, "status must be ACTIVE or SUSPENDED (use DELETE to delete)");
    if (plan && !bc_plan_exists(req->env, plan)) return bc_fail(req, BC_EINVALID, "unknown plan '%s'", plan);
    json_t *home = json_object_get(body, "home_region");
    if (json_is_string(home) && !bc_tenant_region_ok(json_string_value(home)))
        return bc_fail(req, BC_EINVALID, "home_region must be 1 to 32 of a-z, 0-9 and '-' (e.g. eu-west-1)");
    json_t *limits = json_object_get(body, "limits");
    if (limits && (rc = bc_plan_check_overrides(limits, msg, sizeof msg)) < 0)
        return bc_fail_msg(req, rc, msg);
    struct bc_env *env = req->env;
    if (S(body, "name")) rc = bc_tenant_rename(env, &ctx, S(body, "name"), NULL);
    if (rc == 0 && plan) rc = bc_tenant_set_plan(env, &ctx, plan, NULL);
    if (rc == 0 && limits) rc = bc_tenant_set_limits(env, &ctx, limits, msg, sizeof msg, NULL);
    if (rc == 0 && status) rc = bc_tenant_set_status(env, &ctx, status, NULL);
    if (rc == 0 && pooled) rc = bc_tenant_set_pooled(env, &ctx, json_is_true(pooled), NULL);
    if (rc == 0 && home) rc = bc_tenant_set_home_region(env, &ctx, json_string_value(home), NULL);
    if (rc == 0) rc = bc_tenant_get(env, &ctx, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    req->audit_detail = json_deep_copy(body);
    rc = reply_tenant(req, out);
    json_decref(out);
    return rc;
}

static int set_status(struct bc_req *req, const char *status)
{
    struct bc_ctx ctx;
    json_t *meta = NULL, *out = NULL;
    int rc = target(req, &ctx, &meta);
    if (rc < 0) return rc;
    json_decref(meta);
    rc = bc_tenant_set_status(req->env, &ctx, status, NULL);
    if (rc == BC_EGONE)
        return bc_fail(req, rc,
                       "This tenant was deleted more than %lld days ago: it can no longer be restored.",
                       (long long)(req->env->retention_s / 86400));
    if (rc == 0) rc = bc_tenant_get(req->env, &ctx, &out);
    if (rc < 0) return rc;
    rc = reply_tenant(req, out);
    json_decref(out);
    return rc;
}

int bc_api_platform_tenants_delete(struct bc_req *req)
{
    return set_status(req, "DELETED");
}

int bc_api_platform_tenants_restore(struct bc_req *req)
{
    return set_status(req, "ACTIVE");
}

int bc_api_platform_plans_list(struct bc_req *req)
{
    json_t *items;
    int rc = bc_plan_list(req->env, &items);
    if (rc < 0) return rc;
    return bc_reply_list(req, items, NULL);
}

int bc_api_platform_plans_put(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_plan_put(req->env, bc_req_param(req, "name"), body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 200, "plan", out);
}
