/* Dispatch from a route's auth kind to the credential check that fills the tenant context. */
#include "auth/auth.h"
#include "http/server.h"
#include "util/config.h"
#include "util/err.h"

#include <sodium.h>
#include <string.h>

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
    return 0;
}

int bc_auth_resolve(struct bc_req *req, const struct bc_route *route)
{
    switch (route->auth) {
    case BC_AUTH_NONE:
        return 0;
    case BC_AUTH_PLATFORM:
        return platform(req);
    case BC_AUTH_APIKEY:
    case BC_AUTH_CONV:
    case BC_AUTH_JWT:
        break;
    }
    return bc_fail(req, BC_EUNAUTHORIZED, "Missing or invalid credentials.");
}
