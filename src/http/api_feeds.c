/* Calendar subscription feeds (domain/feed.h, docs/calendars.md): the feed itself, GET
 * /v1/feeds/{token}.ics, with the token as its only credential, and the staff's admin routes that show and
 * re-create a professional's or the tenant's feed URL.
 *
 * The feed is polled by calendar services, so it answers conditional GETs: the ETag is a hash of the body
 * (the same bookings give the same bytes, see feed.c), If-None-Match gives 304. Every refusal is the same
 * 404 "No such feed." (bad token, old generation, deleted professional, suspended or deleted tenant), and
 * the token, being in the path, is kept out of the access log by the route's BC_ROUTE_SECRET_PATH. */
#include "domain/feed.h"
#include "domain/tenant.h"
#include "http/auth.h"
#include "http/api.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/err.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Requests per second and burst of one client address: calendar services poll each feed every few minutes
 * to hours, but one of their fetchers polls many feeds, so the bucket is wider than the manage page's; the
 * brake is for someone trying tokens. Off with visitor_limits = off. */
#define FEED_RATE  5.0
#define FEED_BURST 120

static int not_found(struct bc_req *req)
{
    return bc_fail(req, BC_ENOT_FOUND, "No such feed.");
}

static int brake(struct bc_req *req)
{
    return bc_api_address_brake(req, "feed", FEED_RATE, FEED_BURST, BC_METRICS_LIMIT_MANAGE);
}

/* True when the If-None-Match header lists etag (or is "*"). */
static bool matches(const char *inm, const char *etag)
{
    if (!inm) return false;
    if (strcmp(inm, "*") == 0) return true;
    size_t n = strlen(etag);
    for (const char *p = inm; (p = strstr(p, etag)); p += n) {
        char after = p[n];
        if (after == '\0' || after == ',' || after == ' ') return true;
    }
    return false;
}

/* GET /v1/feeds/{token}.ics */
int bc_api_feed_get(struct bc_req *req)
{
    char tenant[BC_TENANT_ID_MAX + 1], scope[80];
    struct bc_ctx check;
    bc_reply_header(req, "Referrer-Policy", "no-referrer");
    int rc = brake(req);
    if (rc < 0) return rc;
    if (bc_feed_verify(req->env, bc_req_param(req, "token"), tenant, sizeof tenant, scope, sizeof scope) <
            0 ||
        bc_ctx_operator(&check, tenant) < 0)
        return not_found(req);
    memcpy(req->ctx.tenant_id, check.tenant_id, sizeof req->ctx.tenant_id);
    if ((rc = bc_auth_route_tenant(req)) < 0) return rc; /* its dedicated store, when it has one */
    rc = bc_tenant_get_ro(req->env, &req->ctx, &req->ctx.tenant);
    if (rc == 0) rc = bc_tenant_check_active(req->ctx.tenant);
    if (rc == BC_ENOMEM) return rc;
    if (rc < 0) return not_found(req);
    char *ics = NULL;
    rc = bc_feed_render(req->env, &req->ctx, scope, &ics);
    if (rc == BC_ENOT_FOUND) return not_found(req);
    if (rc < 0) return rc;
    size_t len = strlen(ics);
    unsigned char h[16];
    char hex[33], etag[40];
    crypto_generichash(h, sizeof h, (const unsigned char *)ics, len, NULL, 0);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    bc_reply_header(req, "ETag", etag);
    bc_reply_header(req, "Cache-Control", "private, max-age=300");
    if (matches(bc_req_header(req, "If-None-Match"), etag)) {
        free(ics);
        return bc_reply_empty(req, 304);
    }
    rc = bc_reply_bytes(req, 200, "text/calendar; charset=utf-8", ics, len, true);
    free(ics);
    return rc;
}

/* {"feed":{"url"}} of scope; renew re-creates it (the old URL stops working). */
static int feed_url(struct bc_req *req, const char *scope, bool renew)
{
    char *token = NULL;
    int rc = bc_feed_token(req->env, &req->ctx, scope, renew, &token);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "No such professional.");
    if (rc < 0) return rc;
    char url[600];
    snprintf(url, sizeof url, "%s/v1/feeds/%s.ics", bc_api_public_url(req->srv), token);
    free(token);
    if (renew)
        req->audit_detail = strcmp(scope, BC_FEED_ALL) == 0 ? json_pack("{s:s}", "feed", "all")
                                                            : json_pack("{s:s}", "provider_id", scope);
    return bc_reply_wrapped(req, 200, "feed", json_pack("{s:s}", "url", url));
}

/* GET|POST /v1/admin/providers/{id}/feed */
int bc_api_provider_feed_get(struct bc_req *req)
{
    const char *id = bc_req_param(req, "id");
    /* "all" is the tenant's scope, never a professional's */
    if (!id || strcmp(id, BC_FEED_ALL) == 0) return bc_fail(req, BC_ENOT_FOUND, "No such professional.");
    return feed_url(req, id, false);
}

int bc_api_provider_feed_renew(struct bc_req *req)
{
    const char *id = bc_req_param(req, "id");
    if (!id || strcmp(id, BC_FEED_ALL) == 0) return bc_fail(req, BC_ENOT_FOUND, "No such professional.");
    return feed_url(req, id, true);
}

/* GET|POST /v1/admin/feed */
int bc_api_tenant_feed_get(struct bc_req *req)
{
    return feed_url(req, BC_FEED_ALL, false);
}

int bc_api_tenant_feed_renew(struct bc_req *req)
{
    return feed_url(req, BC_FEED_ALL, true);
}
