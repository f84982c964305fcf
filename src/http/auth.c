/* Dispatch from a route's auth kind to the credential check that fills the tenant context. This is the
 * only place a tenant id enters a request: from the API key's look-up item, the verified JWT, or (for the
 * operator) the platform token's authority. A suspended or deleted tenant stops here. */
#include "http/auth.h"
#include "util/jsonv.h"
#include "auth/jwt.h"
#include "auth/ratelimit.h"
#include "domain/apikey.h"
#include "domain/envs.h"
#include "domain/fields.h"
#include "domain/org.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "domain/user.h"
#include "domain/visitor.h"
#include "http/api.h"
#include "http/key_records.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/hash.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
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

int bc_auth_route_tenant(struct bc_req *req)
{
    struct bc_env *env = NULL;
    bool frozen = false;
    if (!req->srv->envs) return 0;
    int rc = bc_envs_route(req->srv->envs, req->ctx.tenant_id, &env, &frozen);
    if (rc < 0) {
        bc_reply_header(req, "Retry-After", "5");
        return bc_fail(req, rc, "This tenant's store cannot be reached; retry later.");
    }
    req->env = env;
    req->placed = bc_envs_dedicated(env);
    if (frozen && !(req->method & (BC_GET | BC_HEAD | BC_OPTIONS))) {
        /* the freeze of a placement (domain/placement.h): a few seconds, then the tenant's new store */
        bc_reply_header(req, "Retry-After", "2");
        return bc_fail(
            req, BC_EUNAVAILABLE,
            "This business's data is being moved; changes are paused for a few seconds, retry then.");
    }
    return 0;
}

/* Loads the tenant of ctx and refuses inactive ones; *mark says where and when its META was read (for a
 * widget key's record). */
static int load_tenant(struct bc_req *req, struct bc_store_mark *mark)
{
    int rc = bc_tenant_get_ro_marked(req->env, &req->ctx, &req->ctx.tenant, mark);
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

/* ---- widget keys ----
 * The key's last full resolution is kept by the key as presented (widget keys are public: they sit in web
 * pages), EARLY_TTL_MS after each, so that bc_auth_refuse_early can refuse a request over the visitor's or
 * the key's limit before anything is spent on it: a flood at ten times a key's limit then costs a bucket
 * look-up per request, not its store reads, tenant and body (issue 21: another tenant's latency must not
 * move). It is only used to refuse. Every admin or platform write through this process forgets it all (a
 * raised limit, a revoked key, a suspended tenant apply at once, as before); a change made through another
 * process is seen within EARLY_TTL_MS (meanwhile a flood of a key revoked there gets 429 rather than 401:
 * refused either way; a raised limit lets the next requests through up to EARLY_TTL_MS later). */
#define EARLY_SLOTS  1024
#define EARLY_LOCKS  64
#define EARLY_TTL_MS 5000

struct early_entry {
    char key[BC_APIKEY_SECRET_SIZE];
    char tenant_id[BC_TENANT_ID_MAX + 1];
    char key_id[BC_TENANT_ID_MAX + 1];
    double rate, burst;
    const json_t *look; /* the key's look-up item (its origins): a shared, read-only reference */
    int64_t until_ms;
    unsigned long gen; /* the cache's generation when kept */
};

struct bc_auth_early {
    atomic_ulong gen; /* bumped by every admin or platform write: limits, keys, tenants may have changed */
    pthread_mutex_t mu[EARLY_LOCKS];
    struct early_entry slot[EARLY_SLOTS];
};

struct bc_auth_early *bc_auth_early_new(void)
{
    struct bc_auth_early *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    for (int i = 0; i < EARLY_LOCKS; i++) pthread_mutex_init(&e->mu[i], NULL);
    return e;
}

void bc_auth_early_forget(struct bc_auth_early *e)
{
    if (e) atomic_fetch_add(&e->gen, 1);
}

void bc_auth_early_free(struct bc_auth_early *e)
{
    if (!e) return;
    for (int i = 0; i < EARLY_SLOTS; i++) bc_json_release(e->slot[i].look);
    for (int i = 0; i < EARLY_LOCKS; i++) pthread_mutex_destroy(&e->mu[i]);
    free(e);
}

static unsigned long early_gen(struct bc_auth_early *e)
{
    return e ? atomic_load(&e->gen) : 0;
}

/* Remembers a full resolution of key that started at generation gen (a write meanwhile makes it stale). */
static void early_keep(struct bc_auth_early *e, unsigned long gen, const char *key, const json_t *look,
                       const struct bc_ctx *ctx, double rate, double burst)
{
    if (!e || strlen(key) >= BC_APIKEY_SECRET_SIZE) return;
    unsigned i = (unsigned)(bc_fnv1a_str(key) % EARLY_SLOTS);
    struct early_entry *x = &e->slot[i];
    const json_t *old = NULL;
    pthread_mutex_lock(&e->mu[i % EARLY_LOCKS]);
    if (strcmp(x->key, key) != 0 || x->look != look || x->rate != rate || x->burst != burst ||
        strcmp(x->key_id, ctx->key_id) != 0) {
        old = x->look;
        x->look = json_incref((json_t *)look);
        memcpy(x->key, key, strlen(key) + 1);
        memcpy(x->tenant_id, ctx->tenant_id, sizeof x->tenant_id);
        memcpy(x->key_id, ctx->key_id, sizeof x->key_id);
        x->rate = rate;
        x->burst = burst;
    }
    x->until_ms = bc_now_ms() + EARLY_TTL_MS;
    x->gen = gen;
    pthread_mutex_unlock(&e->mu[i % EARLY_LOCKS]);
    bc_json_release(old);
}

/* The key's remembered resolution into *out (its look with a reference of the caller's), or false. */
static bool early_find(struct bc_auth_early *e, const char *key, struct early_entry *out)
{
    if (!e) return false;
    unsigned i = (unsigned)(bc_fnv1a_str(key) % EARLY_SLOTS);
    struct early_entry *x = &e->slot[i];
    bool hit = false;
    pthread_mutex_lock(&e->mu[i % EARLY_LOCKS]);
    if (x->look && strcmp(x->key, key) == 0 && x->until_ms > bc_now_ms() && x->gen == atomic_load(&e->gen)) {
        *out = *x;
        json_incref((json_t *)out->look);
        hit = true;
    }
    pthread_mutex_unlock(&e->mu[i % EARLY_LOCKS]);
    return hit;
}

/* The request's Origin. A same-origin GET carries no Origin header (Fetch standard): the page is one this
 * server serves (the demo, the admin's widget preview), at its public URL. Scripts cannot set
 * Sec-Fetch-Site, and a client outside a browser can send any Origin anyway, so this trusts nothing new. */
static const char *widget_origin(struct bc_req *req)
{
    const char *origin = bc_req_header(req, "Origin");
    const char *site = bc_req_header(req, "Sec-Fetch-Site");
    if (!origin && site && strcmp(site, "same-origin") == 0) origin = bc_api_public_url(req->srv);
    return origin;
}

static int key_refusal(struct bc_req *req, const struct bc_rl_info *info)
{
    rate_headers(req, info, 1);
    bc_metrics_limited(BC_METRICS_LIMIT_KEY);
    return bc_fail(req, BC_ERATE, "Too many requests for this key; retry in %d s.", info->retry_after_s);
}

int bc_auth_refuse_early(struct bc_req *req, const struct bc_route *route)
{
    const char *key = bc_req_header(req, "X-Api-Key");
    struct early_entry x;
    if (!route || (route->auth != BC_AUTH_APIKEY && route->auth != BC_AUTH_CONV) || !key ||
        !early_find(req->srv->early, key, &x))
        return 0;
    const char *origin = widget_origin(req);
    bool allowed = origin ? bc_apikey_origin_allowed(x.look, origin)
                          : json_is_true(json_object_get(x.look, "allow_no_origin"));
    bc_json_release(x.look);
    if (!allowed) return 0; /* the full check answers */
    memcpy(req->ctx.tenant_id, x.tenant_id, sizeof x.tenant_id);
    memcpy(req->ctx.key_id, x.key_id, sizeof x.key_id);
    req->ctx.kind = BC_AUTH_APIKEY;
    req->ctx.origin = origin;
    struct bc_rl_info info;
    char bucket[96];
    snprintf(bucket, sizeof bucket, "key:%s", x.key_id);
    /* the full check's order: the visitor's bucket, then the key's */
    int rc = bc_api_visitor_peek(req, BC_VL_REQUESTS, x.rate, x.burst);
    if (rc == 0 && bc_ratelimit_peek(bucket, x.rate, x.burst, &info) != 0) rc = key_refusal(req, &info);
    if (rc == 0) { /* not over a limit: the full check fills the context again */
        req->ctx.tenant_id[0] = req->ctx.key_id[0] = '\0';
        req->ctx.kind = BC_AUTH_NONE;
        req->ctx.origin = NULL;
        return 0;
    }
    if (origin) bc_auth_cors_headers(req, origin);
    bc_reply_error(req, rc, req->err_msg);
    req->refused_early = true;
    return 1;
}

/* Extends the early entry of key, kept at generation gen, by EARLY_TTL_MS (a request authenticated from its
 * key's record: the entry stays as it was last resolved in full). */
static void early_extend(struct bc_auth_early *e, const char *key, unsigned long gen)
{
    if (!e) return;
    unsigned i = (unsigned)(bc_fnv1a_str(key) % EARLY_SLOTS);
    struct early_entry *x = &e->slot[i];
    pthread_mutex_lock(&e->mu[i % EARLY_LOCKS]);
    if (x->look && strcmp(x->key, key) == 0 && x->gen == gen) x->until_ms = bc_now_ms() + EARLY_TTL_MS;
    pthread_mutex_unlock(&e->mu[i % EARLY_LOCKS]);
}

/* A GET whose key has a record (http/key_records.h) that still holds: the key's look-up item and the
 * tenant's META provably unchanged since they were read (so the key is not revoked and its origins, the
 * tenant's status and plan are as recorded), the key not expired, this Origin the one it allowed. Fills the
 * context (ctx.tenant stays NULL: no GET of the widget reads it) and *lim. Returns 1 when the request must be
 * resolved in full, else 0 or the routing's error (as the full resolution would have answered). */
static int widget_known(struct bc_req *req, const char *key, const char *origin, unsigned long gen,
                        struct bc_limits *lim)
{
    struct bc_key_record r;
    if (req->method != BC_GET || !bc_key_records_find(req->srv->key_records, key, &r)) return 1;
    if ((r.expires_at && r.expires_at <= bc_now_s()) ||
        (origin ? strcmp(origin, r.origin) != 0 : !r.allow_no_origin) ||
        !bc_apikey_unchanged(req->env, &r.key))
        return 1;
    memcpy(req->ctx.tenant_id, r.tenant_id, sizeof r.tenant_id);
    memcpy(req->ctx.key_id, r.key_id, sizeof r.key_id);
    int rc = bc_auth_route_tenant(req);
    if (rc < 0) return rc;
    if (!bc_tenant_unchanged(req->env, &req->ctx, &r.tenant)) return 1;
    /* the plan's limits (its cache's staleness, as for a full resolution), and the tenant's overrides of the
     * two a GET uses */
    if ((rc = bc_plan_limits_named(req->env, r.plan[0] ? r.plan : NULL, NULL, lim)) < 0) return rc;
    if (r.has_rate) lim->rate_per_s = r.rate;
    if (r.has_burst) lim->burst = r.burst;
    req->ctx.kind = BC_AUTH_APIKEY;
    req->ctx.origin = origin;
    req->key_known = true;
    bc_key_records_used(req->srv->key_records);
    if (origin) bc_auth_cors_headers(req, origin);
    early_extend(req->srv->early, key, gen);
    return 0;
}

/* After a full resolution that let the request through: the key's record, when both items can be checked
 * later (marks of an LMDB store). Of the tenant's overrides of its plan, it keeps the request rate and burst:
 * the only limits the GETs it serves apply. */
static void widget_keep(struct bc_req *req, const char *key, const char *origin, const json_t *look,
                        const struct bc_apikey_mark *km, const struct bc_store_mark *tm)
{
    const char *plan = bc_field_str(req->ctx.tenant, BC_F_PLAN);
    json_t *exp = json_object_get(look, "expires_at"), *over = json_object_get(req->ctx.tenant, "limits");
    json_t *rate = json_object_get(over, "rate_per_s"), *burst = json_object_get(over, "burst");
    if (!req->srv->key_records || !km->at.gen || !tm->gen ||
        (origin && strlen(origin) >= BC_KEY_RECORD_ORIGIN_MAX) ||
        (plan && strlen(plan) >= BC_KEY_RECORD_PLAN_MAX))
        return;
    struct bc_key_record r = {.allow_no_origin = json_is_true(json_object_get(look, "allow_no_origin")),
                              .expires_at = json_is_integer(exp) ? json_integer_value(exp) : 0,
                              .has_rate = json_is_number(rate),
                              .rate = json_number_value(rate),
                              .has_burst = json_is_number(burst),
                              .burst = json_number_value(burst),
                              .key = *km,
                              .tenant = *tm};
    memcpy(r.tenant_id, req->ctx.tenant_id, sizeof r.tenant_id);
    memcpy(r.key_id, req->ctx.key_id, sizeof r.key_id);
    snprintf(r.origin, sizeof r.origin, "%s", origin ? origin : "");
    snprintf(r.plan, sizeof r.plan, "%s", plan ? plan : "");
    bc_key_records_keep(req->srv->key_records, key, &r);
}

static int widget(struct bc_req *req)
{
    const char *key = bc_req_header(req, "X-Api-Key"), *origin = widget_origin(req);
    const json_t *look = NULL;
    unsigned long gen = early_gen(req->srv->early);
    struct bc_limits lim;
    struct bc_rl_info info;
    char bucket[96];
    if (!key) return bc_fail(req, BC_EUNAUTHORIZED, "Send the widget key in the X-Api-Key header.");
    int rc = widget_known(req, key, origin, gen, &lim);
    if (rc < 0) return rc;
    if (rc == 1) {
        struct bc_apikey_mark km;
        struct bc_store_mark tm = {0};
        rc = bc_apikey_resolve_marked(req->env, key, &look, &km);
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
            req->ctx.kind = BC_AUTH_APIKEY;
            req->ctx.origin = origin;
            if (origin) bc_auth_cors_headers(req, origin);
            rc = bc_auth_route_tenant(req);
            if (rc == 0) rc = load_tenant(req, &tm);
        }
        if (rc == 0) rc = bc_plan_limits(req->env, req->ctx.tenant, &lim);
        /* an active tenant's key, resolved in full: what refusing its next requests early needs, and its
         * record for the next ones */
        if (rc == 0) {
            early_keep(req->srv->early, gen, key, look, &req->ctx, lim.rate_per_s, lim.burst);
            widget_keep(req, key, origin, look, &km, &tm);
        }
        bc_json_release(look);
        if (rc < 0) return rc;
    }
    /* the visitor's own, smaller bucket first: a visitor it refuses takes nothing from the key's, so one
     * visitor cannot starve the others of the key (domain/visitor.h) */
    if ((rc = bc_api_visitor_limit(req, BC_VL_REQUESTS, NULL, lim.rate_per_s, lim.burst)) < 0) return rc;
    req->ctx.visitor = bc_req_remote(req); /* for the caps the domain applies (chat bookings) */
    snprintf(bucket, sizeof bucket, "key:%s", req->ctx.key_id);
    rc = bc_ratelimit_take(bucket, lim.rate_per_s, lim.burst, &info);
    if (rc < 0) return key_refusal(req, &info);
    rate_headers(req, &info, 0);
    bc_apikey_touch(req->env, req->ctx.tenant_id, req->ctx.key_id);
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
    const json_t *t = NULL;
    int rc = bc_org_branch_get(req->env, req->ctx.tenant_id, want, &t);
    /* the same answer for a stranger's tenant and for none: no probing which ids exist */
    if (rc == BC_ENOT_FOUND)
        return bc_fail(req, BC_EFORBIDDEN, "X-Tenant-Id names no branch of your organisation.");
    if (rc < 0) return rc;
    memcpy(req->ctx.org_id, req->ctx.tenant_id, sizeof req->ctx.org_id);
    snprintf(req->ctx.tenant_id, sizeof req->ctx.tenant_id, "%s", want);
    bc_json_release(req->ctx.tenant);
    req->ctx.tenant = t;
    rc = bc_auth_route_tenant(req); /* the branch may be in a store of its own */
    return rc < 0 ? rc : bc_tenant_check_active(t);
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
    int rc = bc_auth_route_tenant(req);
    struct bc_store_mark tm;
    if (rc == 0) rc = load_tenant(req, &tm);
    if (rc < 0) return rc;
    if (c.external) {
        req->ctx.role = c.role;
        return act_on_branch(req);
    }
    /* our own users: the stored user decides (removal, role change and password change apply at once) */
    json_t *u = NULL;
    rc = bc_user_get(req->env, &req->ctx, c.sub, &u);
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
