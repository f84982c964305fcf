/* Credential checks the router runs before any handler: it resolves the tenant context (req->ctx) from the
 * credential named by the route's auth kind and enforces the route's minimum role. */
#ifndef BC_AUTH_H
#define BC_AUTH_H
#include "http/http.h"
#include "http/router.h"

/* Returns 0 with req->ctx filled, or BC_EUNAUTHORIZED / BC_EFORBIDDEN / BC_EORIGIN / BC_ENOT_FOUND /
 * BC_ERATE (with a message and headers set on req). */
int bc_auth_resolve(struct bc_req *req, const struct bc_route *route);
/* Adds the CORS response headers for an allowed origin. */
void bc_auth_cors_headers(struct bc_req *req, const char *origin);

#endif
