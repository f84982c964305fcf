/* Every HTTP handler, grouped by the api_<resource>.c file that holds it; the route table (routes.c) is
 * the only caller. */
#ifndef BC_API_H
#define BC_API_H
#include "http/http.h"

/* api_ops.c: health, readiness, OpenAPI, static assets, test hooks */
int bc_api_healthz(struct bc_req *req);
int bc_api_readyz(struct bc_req *req);
int bc_api_openapi(struct bc_req *req);
int bc_api_asset(struct bc_req *req);
int bc_api_test_sleep(struct bc_req *req);
int bc_api_test_echo(struct bc_req *req);

#endif
