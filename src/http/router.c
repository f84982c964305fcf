/* Path matching and dispatch. Patterns are matched segment by segment; the table is small (under a few
 * hundred rows) so a linear scan with early segment rejection costs well under a microsecond. */
#include "http/router.h"
#include "http/auth.h"
#include "domain/audit.h"
#include "http/region.h"
#include "http/server.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

const char *bc_method_name(enum bc_method m)
{
    switch (m) {
    case BC_GET:
        return "GET";
    case BC_POST:
        return "POST";
    case BC_PUT:
        return "PUT";
    case BC_PATCH:
        return "PATCH";
    case BC_DELETE:
        return "DELETE";
    case BC_OPTIONS:
        return "OPTIONS";
    case BC_HEAD:
        return "HEAD";
    }
    return "?";
}

/* Matches path against pattern; on success records params (into req when not NULL). */
static bool match(const char *pattern, const char *path, struct bc_req *req)
{
    const char *p = pattern, *u = path;
    int n = 0;
    const char *names[BC_MAX_PARAMS], *vals[BC_MAX_PARAMS];
    size_t nlens[BC_MAX_PARAMS], vlens[BC_MAX_PARAMS];
    while (*p && *u) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || n >= BC_MAX_PARAMS) return false;
            bool rest = p[1] == '*';
            const char *end = rest ? u + strlen(u) : strchrnul(u, '/');
            /* a literal after the parameter in the same segment ("{token}.ics") ends it */
            size_t lit = rest ? 0 : (size_t)(strchrnul(close + 1, '/') - (close + 1));
            if (lit) {
                if ((size_t)(end - u) <= lit || memcmp(end - lit, close + 1, lit) != 0) return false;
                end -= lit;
            }
            if (end == u) return false; /* empty parameter */
            names[n] = p + 1 + rest;
            nlens[n] = (size_t)(close - p - 1 - rest);
            vals[n] = u;
            vlens[n] = (size_t)(end - u);
            n++;
            p = close + 1;
            u = end;
            continue;
        }
        if (*p != *u) return false;
        p++;
        u++;
    }
    if (*p || *u) return false;
    if (req) {
        req->nparams = n;
        for (int i = 0; i < n; i++) {
            req->param_names[i] = bc_arena_strndup(&req->arena, names[i], nlens[i]);
            req->params[i] = bc_arena_strndup(&req->arena, vals[i], vlens[i]);
        }
    }
    return true;
}

const struct bc_route *bc_router_match(struct bc_req *req, unsigned *allowed)
{
    enum bc_method m = req->method == BC_HEAD ? BC_GET : req->method;
    *allowed = 0;
    /* the first route of this method that matches; only a miss needs the other methods (405's Allow) */
    for (size_t i = 0; i < bc_nroutes; i++) {
        const struct bc_route *r = &bc_routes[i];
        if (r->method != m || ((r->flags & BC_ROUTE_TEST_ONLY) && !req->srv->test_hooks)) continue;
        if (match(r->pattern, req->path, req)) {
            *allowed = m;
            return r;
        }
    }
    for (size_t i = 0; i < bc_nroutes; i++) {
        const struct bc_route *r = &bc_routes[i];
        if ((r->flags & BC_ROUTE_TEST_ONLY) && !req->srv->test_hooks) continue;
        if (match(r->pattern, req->path, NULL)) *allowed |= r->method;
    }
    return NULL;
}

static void allow_header(struct bc_req *req, unsigned allowed)
{
    char buf[80] = "";
    size_t n = 0;
    for (unsigned bit = BC_GET; bit <= BC_HEAD; bit <<= 1) {
        if (!(allowed & bit)) continue;
        const char *name = bc_method_name((enum bc_method)bit);
        size_t l = strlen(name);
        if (n + l + 3 >= sizeof buf) break;
        if (n) {
            memcpy(buf + n, ", ", 2);
            n += 2;
        }
        memcpy(buf + n, name, l + 1);
        n += l;
    }
    bc_reply_header(req, "Allow", buf);
}

/* Every successful admin or platform write leaves an audit entry, here in one place, so no handler can
 * forget it. */
static void audit(struct bc_req *req, const struct bc_route *r)
{
    if (r->method == BC_GET || (r->flags & BC_ROUTE_NO_AUDIT) ||
        (r->auth != BC_AUTH_JWT && r->auth != BC_AUTH_PLATFORM))
        return;
    if (!req->status || req->status >= 400) return;
    struct bc_ctx target;
    const char *tenant = r->auth == BC_AUTH_JWT ? req->ctx.tenant_id : req->audit_tenant;
    if (!tenant || bc_ctx_operator(&target, tenant) < 0) return;
    struct bc_actor actor = {
        .kind = r->auth == BC_AUTH_PLATFORM ? "platform" : "user",
        .id = req->ctx.user_id[0] ? req->ctx.user_id : NULL,
        .remote = bc_req_remote(req),
        .req_id = req->id,
        .org = req->ctx.org_id[0] ? req->ctx.org_id : NULL,
    };
    char target_path[300];
    snprintf(target_path, sizeof target_path, "%s %s", req->method_str, req->path);
    if (bc_audit_record(req->env, &target, &actor, r->name, target_path, req->status, req->audit_detail) < 0)
        bc_log(BC_LOG_ERROR, "audit write failed for %s", r->name);
}

int bc_router_refuse_early(struct bc_req *req)
{
    unsigned allowed = 0;
    req->route = bc_router_match(req, &allowed);
    return req->route ? bc_auth_refuse_early(req, req->route) : 0;
}

void bc_router_dispatch(struct bc_req *req)
{
    unsigned allowed = 0;
    int rc;
    const struct bc_route *r = NULL;
    if (!req->method) {
        rc = bc_fail(req, BC_EMETHOD, "Unsupported HTTP method.");
        goto out;
    }
    if (req->body_too_large) {
        rc = bc_fail(req, BC_ETOO_LARGE, "The request body is larger than %zu bytes.", req->srv->body_limit);
        goto out;
    }
    r = req->route ? req->route : bc_router_match(req, &allowed); /* matched early, as the headers came */
    req->route = r;
    if (!r) {
        if (allowed) allow_header(req, allowed);
        rc = allowed ? bc_fail(req, BC_EMETHOD, "%s is not allowed on %s.", req->method_str, req->path)
                     : bc_fail(req, BC_ENOT_FOUND, "No such resource.");
        goto out;
    }
    rc = bc_region_check(req); /* a forged X-Bookchat-Forwarded is refused (http/region.h) */
    if (rc == 0) rc = bc_auth_resolve(req, r);
    /* a write of a tenant homed in another region goes there, or is answered 421 (http/region.h) */
    if (rc == 0) rc = bc_region_route(req, r);
    if (rc == BC_REGION_ANSWERED)
        rc = 0;
    else if (rc == 0) {
        rc = r->handler(req);
        if (rc == 0) audit(req, r);
        /* a write by staff or the operator may change what refusing early relies on (limits, keys) */
        if (r->method != BC_GET && (r->auth == BC_AUTH_JWT || r->auth == BC_AUTH_PLATFORM))
            bc_auth_early_forget(req->srv->early);
    }
out:
    if (rc == BC_ASYNC) return;
    if (rc < 0 && !req->status) bc_reply_error(req, rc, req->err_msg);
    if (!req->status) {
        bc_log(BC_LOG_ERROR, "handler %s returned without a reply", r ? r->name : "?");
        bc_reply_error(req, BC_EINTERNAL, NULL);
    }
}
