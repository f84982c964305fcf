/* Dispatch from a route's auth kind to the credential check that fills the tenant context. This is the
 * only place a tenant id enters a request: from the API key's look-up item, the verified JWT, or (for the
 * operator) the platform token's authority. A suspended or deleted tenant stops here. */
#include "http/auth.h"
#include "util/jsonv.h"
#include "auth/jwt.h"
#include "auth/ratelimit.h"
#include "domain/apikey.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "domain/user.h"
#include "http/api.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/id.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Authorization: Bearer <token> -> token, or NULL. */
static const char *bearer(struct bc_req *req)
{
    const char *h = bc_req_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) return NULL;
    h += 7;
    while (*h == ' ') h++;
    return *h ? h : NULL;
}

static int platform(struct bc_req *req)
{
    const char *want = bc_config_get(BC_CFG_PLATFORM_TOKEN);
    if (!want || !*want)
        return bc_fail(req, BC_ENOT_FOUND, "The platform API is not enabled on this server.");
    const char *got = bearer(req);
    size_t wl = strlen(want);
    /* compare in constant time so the token cannot be found byte by byte */
    if (!got || strlen(got) != wl || sodium_memcmp(got, want, wl) != 0)
        return bc_fail(req, BC_EUNAUTHORIZED, "A valid platform token is required.");
    req->ctx.kind = BC_AUTH_PLATFORM;
    req->ctx.role = BC_ROLE_OWNER;
    return 0;
}

/* Loads the tenant of ctx and refuses inactive ones. */
static int load_tenant(struct bc_req *req)
{
    int rc = bc_tenant_get_ro(req->srv->env, &req->ctx, &req->ctx.tenant);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, BC_EUNAUTHORIZED, "Unknown tenant.");
    if (rc < 0) return rc;
    return bc_tenant_check_active(req->ctx.tenant);
}

void bc_auth_cors_headers(struct bc_req *req, const char *origin)
{
    bc_reply_header(req, "Access-Control-Allow-Origin", origin);
    bc_reply_header(req, "Vary", "Origin");
    bc_reply_header(req, "Access-Control-Expose-Headers",
                    "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id");
}

/* What snprintf "%.0f" prints (round half to even, as llrint in the default rounding mode), without
 * printf's floating-point machinery for the usual non-negative values: three of these per widget request. */
static void whole(char v[32], double x)
{
    if (!(x >= 0 && x < 1e15)) {
        snprintf(v, 32, "%.0f", x);
        return;
    }
    bc_fmt_uint((uint64_t)llrint(x), v);
}

static void rate_headers(struct bc_req *req, const struct bc_rl_info *info, int limited)
{
    char v[32];
    whole(v, info->limit);
    bc_reply_header(req, "RateLimit-Limit", v);
    whole(v, info->remaining);
    bc_reply_header(req, "RateLimit-Remaining", v);
    snprintf(v, sizeof v, "%d", info->reset_s);
    bc_reply_header(req, "RateLimit-Reset", v);
    if (limited) {
        snprintf(v, sizeof v, "%d", info->retry_after_s);
        bc_reply_header(req, "Retry-After", v);
    }
}

static int widget(struct bc_req *req)
{
    const char *key = bc_req_header(req, "X-Api-Key"), *origin = bc_req_header(req, "Origin");
    const json_t *look = NULL;
    if (!key) return bc_fail(req, BC_EUNAUTHORIZED, "Send the widget key in the X-Api-Key header.");
    /* A same-origin GET carries no Origin header (Fetch standard): the page is one this server serves (the
     * demo, the admin's widget preview), at its public URL. Scripts cannot set Sec-Fetch-Site, and a client
     * outside a browser can send any Origin anyway, so this trusts nothing new. */
    const char *site = bc_req_header(req, "Sec-Fetch-Site");
    if (!origin && site && strcmp(site, "same-origin") == 0) origin = bc_api_public_url(req->srv);
    int rc = bc_apikey_resolve(req->srv->env, key, &look);
    if (rc == BC_EUNAUTHORIZED) return bc_fail(req, rc, "Unknown, revoked or expired API key.");
    if (rc < 0) return rc;
    if (origin) {
        if (!bc_apikey_origin_allowed(look, origin)) rc = BC_EORIGIN;
    } else if (!json_is_true(json_object_get(look, "allow_no_origin"))) {
        rc = bc_fail(req, BC_EORIGIN, "This key only accepts browser requests from its allowed origins.");
    }
    if (rc == 0) {
        snprintf(req->ctx.tenant_id, sizeof req->ctx.tenant_id, "%s",
                 json_string_value(json_object_get(look, "tenant_id")));
        snprintf(req->ctx.key_id, sizeof req->ctx.key_id, "%s",
                 json_string_value(json_object_get(look, "key_id")));
    }
    bc_json_release(look);
    if (rc < 0) return rc;
    req->ctx.kind = BC_AUTH_APIKEY;
    req->ctx.origin = origin;
    if (origin) bc_auth_cors_headers(req, origin);
    if ((rc = load_tenant(req)) < 0) return rc;

    struct bc_limits lim;
    struct bc_rl_info info;
    char bucket[96];
    if ((rc = bc_plan_limits(req->srv->env, req->ctx.tenant, &lim)) < 0) return rc;
    /* the visitor's own, smaller bucket first: a visitor it refuses takes nothing from the key's, so one
     * visitor cannot starve the others of the key (domain/visitor.h) */
    if ((rc = bc_api_visitor_limit(req, BC_VL_REQUESTS, NULL, lim.rate_per_s, lim.burst)) < 0) return rc;
    req->ctx.visitor = bc_req_remote(req); /* for the caps the domain applies (chat bookings) */
    snprintf(bucket, sizeof bucket, "key:%s", req->ctx.key_id);
    rc = bc_ratelimit_take(bucket, lim.rate_per_s, lim.burst, &info);
    rate_headers(req, &info, rc < 0);
    if (rc < 0) bc_metrics_limited(BC_METRICS_LIMIT_KEY);
    if (rc < 0)
        return bc_fail(req, BC_ERATE, "Too many requests for this key; retry in %d s.", info.retry_after_s);
    bc_apikey_touch(req->srv->env, req->ctx.tenant_id, req->ctx.key_id);
    return 0;
}

/* X-Tenant-Id: the staff of an organisation (owners and admins of the parent tenant) act on one of its
 * branches with their own sign-in. The header only chooses among tenants the credential already covers: a
 * tenant that is not a branch of the credential's own is refused, never trusted (docs/organisations.md). */
static int act_on_branch(struct bc_req *req)
{
    const char *want = bc_req_header(req, "X-Tenant-Id");
    if (!want || strcmp(want, req->ctx.tenant_id) == 0) return 0;
    if (!bc_key_id_ok(want) || strlen(want) > BC_TENANT_ID_MAX)
        return bc_fail(req, BC_EINVALID, "X-Tenant-Id is not a tenant id.");
    if (req->ctx.role < BC_ROLE_ADMIN)
        return bc_fail(req, BC_EFORBIDDEN, "Only the organisation's owners and admins act on its branches.");
    struct bc_ctx branch;
    const json_t *t = NULL;
    int rc = bc_ctx_operator(&branch, want);
    if (rc == 0) rc = bc_tenant_get_ro(req->srv->env, &branch, &t);
    const char *parent = rc == 0 ? json_string_value(json_object_get(bc_json_shared(t), "parent_id")) : NULL;
    if (rc == 0 && (!parent || strcmp(parent, req->ctx.tenant_id) != 0)) rc = BC_ENOT_FOUND;
    if (rc < 0) {
        bc_json_release(t);
        /* the same answer for a stranger's tenant and for none: no probing which ids exist */
        if (rc == BC_ENOT_FOUND || rc == BC_EINVALID)
            return bc_fail(req, BC_EFORBIDDEN, "X-Tenant-Id names no branch of your organisation.");
        return rc;
    }
    memcpy(req->ctx.org_id, req->ctx.tenant_id, sizeof req->ctx.org_id);
    snprintf(req->ctx.tenant_id, sizeof req->ctx.tenant_id, "%s", want);
    bc_json_release(req->ctx.tenant);
    req->ctx.tenant = t;
    return bc_tenant_check_active(t);
}

static int admin(struct bc_req *req)
{
    struct bc_jwt_claims c;
    const char *why = NULL;
    if (bc_jwt_verify(bearer(req), &c, &why) < 0)
        return bc_fail(req, BC_EUNAUTHORIZED, "A valid admin token is required (%s).",
                       why ? why : "no token");
    req->ctx.kind = BC_AUTH_JWT;
    memcpy(req->ctx.tenant_id, c.tenant_id, sizeof c.tenant_id);
    memcpy(req->ctx.user_id, c.sub, sizeof c.sub);
    int rc = load_tenant(req);
    if (rc < 0) return rc;
    if (c.external) {
        req->ctx.role = c.role;
        return act_on_branch(req);
    }
    /* our own users: the stored user decides (removal, role change and password change apply at once) */
    json_t *u = NULL;
    rc = bc_user_get(req->srv->env, &req->ctx, c.sub, &u);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, BC_EUNAUTHORIZED, "This user no longer exists.");
    if (rc < 0) return rc;
    json_t *after = json_object_get(u, "tokens_after");
    if (json_is_integer(after) && c.iat < json_integer_value(after)) rc = BC_EUNAUTHORIZED;
    req->ctx.role = bc_role_parse(json_string_value(json_object_get(u, "role")));
    json_decref(u);
    if (rc < 0) return bc_fail(req, rc, "This token was issued before a password change; sign in again.");
    return act_on_branch(req);
}

int bc_auth_resolve(struct bc_req *req, const struct bc_route *route)
{
    int rc;
    switch (route->auth) {
    case BC_AUTH_NONE:
        return 0;
    case BC_AUTH_PLATFORM:
        rc = platform(req);
        break;
    case BC_AUTH_APIKEY:
    case BC_AUTH_CONV: /* the conversation token is checked by the handler against the conversation id */
        rc = widget(req);
        break;
    case BC_AUTH_JWT:
        rc = admin(req);
        break;
    default:
        return bc_fail(req, BC_EUNAUTHORIZED, "Missing or invalid credentials.");
    }
    if (rc < 0) return rc;
    if (req->ctx.role < route->min_role)
        return bc_fail(req, BC_EFORBIDDEN, "This needs the %s role.", bc_role_name(route->min_role));
    return 0;
}
