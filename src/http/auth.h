/* Credential checks the router runs before any handler: it resolves the tenant context (req->ctx) from the
 * credential named by the route's auth kind and enforces the route's minimum role. */
#ifndef BC_AUTH_H
#define BC_AUTH_H
#include "http/http.h"
#include "http/router.h"

/* Returns 0 with req->ctx filled, or BC_EUNAUTHORIZED / BC_EFORBIDDEN / BC_EORIGIN / BC_ENOT_FOUND /
 * BC_ERATE (with a message and headers set on req). */
int bc_auth_resolve(struct bc_req *req, const struct bc_route *route);
/* Points req->env at the env of req->ctx.tenant_id (its dedicated store's, or the pooled one; domain/envs.h)
 * and refuses a write while that tenant is being moved (503 with Retry-After). For every handler whose
 * credential names the tenant outside bc_auth_resolve (a manage link, a feed token). 0 or a failure. */
int bc_auth_route_tenant(struct bc_req *req);
/* Refuses a widget request over its limits as soon as its headers arrive, before its body is read and
 * before the store is asked anything: from the key's last full resolution (kept EARLY_TTL_MS in
 * srv->early), the visitor's and the key's buckets are looked at without taking. Returns 1 with the same
 * 429 answer (headers, error, counted usage) the full check would give, or 0: the request goes on to the
 * full check. Only ever refuses; never lets a request through. */
int bc_auth_refuse_early(struct bc_req *req, const struct bc_route *route);
/* The cache of bc_auth_refuse_early: new (NULL when out of memory: then nothing is refused early) and free
 * (NULL-safe). */
struct bc_auth_early *bc_auth_early_new(void);
void bc_auth_early_free(struct bc_auth_early *e);
/* Forgets every remembered resolution (a write that may change limits, keys or tenants). NULL-safe. */
void bc_auth_early_forget(struct bc_auth_early *e);
/* Adds the CORS response headers for an allowed origin. */
void bc_auth_cors_headers(struct bc_req *req, const char *origin);

#endif
