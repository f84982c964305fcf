/* The route table (routes.c) and its matcher. Each row: method, path pattern with {params} (a parameter may
 * end at a literal of its segment, "{token}.ics"; an optional trailing {*rest}), the auth kind and minimum
 * role the router enforces before the handler runs, and the handler. Auth and roles live here, in one place,
 * not in handlers. */
#ifndef BC_ROUTER_H
#define BC_ROUTER_H
#include <stdbool.h>
#include <stddef.h>

#include "auth/context.h"
#include "http/http.h"

typedef int (*bc_handler)(struct bc_req *req);

enum bc_route_flags {
    BC_ROUTE_TEST_ONLY = 1,    /* exists only when test_hooks is on */
    BC_ROUTE_UNDOCUMENTED = 2, /* not an API route (static assets, test hooks): not in openapi.json */
    BC_ROUTE_NO_AUDIT = 4,     /* a POST that changes nothing (e.g. the NLU try-out): not audited */
    BC_ROUTE_SECRET_PATH = 8,  /* the path holds a credential (a feed token): logged as the pattern */
};

struct bc_route {
    enum bc_method method;
    const char *pattern;
    enum bc_auth_kind auth;
    enum bc_role min_role;
    bc_handler handler;
    const char *name; /* stable label for metrics and logs, e.g. "widget.services.list" */
    unsigned flags;
};

extern const struct bc_route bc_routes[];
extern const size_t bc_nroutes;

/* Finds the route for req->method and req->path, filling req's path parameters. NULL when none; then
 * *allowed holds the methods (bc_method bits) that exist for this path (0: unknown path). */
const struct bc_route *bc_router_match(struct bc_req *req, unsigned *allowed);
/* Routes a request whose body has been read: match, enforce auth and role, run the handler, and make sure
 * a reply exists (or the request is suspended). */
/* As a request's headers arrive (before its body is read): matches its route (kept for the dispatch) and
 * refuses it at once when it is over its tenant's limits (bc_auth_refuse_early). Returns 1 with the
 * answer set, or 0. */
int bc_router_refuse_early(struct bc_req *req);
void bc_router_dispatch(struct bc_req *req);
/* "GET", "POST", … */
const char *bc_method_name(enum bc_method m);

#endif
