/* THE route table: every HTTP route of bookchat, with the credential it needs and the minimum role. The
 * router enforces both before the handler runs. tests/unit/http/test_routes.c checks that every documented
 * row is in openapi.json. */
#include "http/api.h"
#include "http/router.h"

#define NONE     BC_AUTH_NONE
#define APIKEY   BC_AUTH_APIKEY
#define CONV     BC_AUTH_CONV
#define JWT      BC_AUTH_JWT
#define PLATFORM BC_AUTH_PLATFORM
#define ANY      BC_ROLE_NONE
#define VIEWER   BC_ROLE_VIEWER
#define ADMIN    BC_ROLE_ADMIN
#define OWNER    BC_ROLE_OWNER
#define UNDOC    BC_ROUTE_UNDOCUMENTED
#define TEST     (BC_ROUTE_TEST_ONLY | BC_ROUTE_UNDOCUMENTED)

/* clang-format off */
const struct bc_route bc_routes[] = {
    /* operations */
    {BC_GET,  "/healthz",              NONE, ANY, bc_api_healthz,    "ops.healthz",   0},
    {BC_GET,  "/readyz",               NONE, ANY, bc_api_readyz,     "ops.readyz",    0},
    {BC_GET,  "/v1/openapi.json",      NONE, ANY, bc_api_openapi,    "ops.openapi",   0},

    /* test hooks (test_hooks=on only) */
    {BC_GET,  "/v1/test/sleep",        NONE, ANY, bc_api_test_sleep, "test.sleep",    TEST},
    {BC_POST, "/v1/test/echo",         NONE, ANY, bc_api_test_echo,  "test.echo",     TEST},
};
/* clang-format on */

const size_t bc_nroutes = sizeof bc_routes / sizeof bc_routes[0];
