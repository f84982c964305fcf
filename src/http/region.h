/* Home regions (PRODUCT.md section 13, docs/scaling.md "Home regions"): with DynamoDB Global Tables every
 * region holds every item, but replication is last-writer-wins, so the conditional write that makes a
 * booking is only safe in one region. A process started with `region` serves reads of every tenant and
 * sends a write of a tenant homed elsewhere to its home region: proxied (region_forward=on, the home has a
 * URL in region_urls) or refused with 421 wrong_region and the home's location.
 *
 * DESIGN NOTES
 * - The decision is taken after the credential (the tenant is only known then) and before the handler, by
 *   the router (bc_region_route); nothing of the handlers changes. A write is any route that is not GET,
 *   HEAD or OPTIONS, whose credential names a tenant (widget key, conversation, staff JWT), and that is not
 *   marked BC_ROUTE_NO_AUDIT (a POST that changes nothing); the manage page's cancel and reschedule, whose
 *   token is read by the handler, ask bc_region_write_here themselves. The platform API is never forwarded:
 * it is how the operator moves a tenant's home, which must work while the old home is down.
 * - A forwarded request carries X-Bookchat-Forwarded: "v1;origin=R;client=IP;ts=UNIX;mac=HEX", an
 *   HMAC-SHA256 (the server secret, label "region-forward", shared by every region) of the version, origin
 *   region, client address, time, method and path. The home trusts it only when the MAC verifies within
 *   BC_REGION_FORWARD_SKEW_S: then the client address of every per-visitor limit is the original one
 *   (bc_req_remote), and a request that reached a region where the tenant is not homed either is answered
 *   421, never forwarded again (no loop while two regions disagree about a home during a move). A header that
 *   does not verify is refused with 403 on any route.
 * - The proxied answer is relayed as is (status, body, headers but the hop-by-hop ones); it is not counted
 *   in this region's usage (the home counts it) and its X-Bookchat-Region names the home. */
#ifndef BC_HTTP_REGION_H
#define BC_HTTP_REGION_H
#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

struct bc_route;
struct bc_regions;

#define BC_REGION_HEADER         "X-Bookchat-Forwarded"
#define BC_REGION_FORWARD_SKEW_S 60
/* bc_region_route's answer when the request has been answered (421) and must not reach the handler */
#define BC_REGION_ANSWERED 2

/* The region settings (region, region_urls, region_forward, region_forward_timeout), parsed once at
 * start. 0 and *out (free with bc_regions_free; NULL when no region is set: a single-region process), or
 * BC_EINVALID with a message naming the bad setting. */
int bc_regions_new(struct bc_regions **out, char *err, size_t errsize);
/* At shutdown, before the HTTP server stops: cancels the writes being forwarded (their suspended requests
 * are resumed and answer 503) and refuses new ones (503), so no connection stays suspended. NULL is fine. */
void bc_regions_stop(struct bc_regions *g);
/* Stops (bc_regions_stop) and frees. NULL is fine. */
void bc_regions_free(struct bc_regions *g);
/* Appends bookchat_region_writes_total{outcome="forwarded|failed|misdirected"} to b (nothing when g is
 * NULL: no region). */
struct bc_buf;
void bc_regions_metrics(struct bc_regions *g, struct bc_buf *b);
/* This process's region, or NULL (g NULL). */
const char *bc_regions_self(const struct bc_regions *g);
/* The base URL of region (no trailing '/'), or NULL when region_urls names none. */
const char *bc_regions_url(const struct bc_regions *g, const char *region);

/* Before the credential: refuses (BC_EFORBIDDEN, message set) a request whose X-Bookchat-Forwarded does not
 * verify; 0 otherwise. */
int bc_region_check(struct bc_req *req);
/* The verified forwarded request's client address (borrowed for the request), or NULL when the request
 * was not forwarded by a region (or its header does not verify). */
const char *bc_region_forwarded_client(struct bc_req *req);
/* After the credential, before the handler: 0 to serve here; BC_ASYNC when the write went to its home
 * region (the request is suspended and answered with the home's answer); BC_REGION_ANSWERED after a 421;
 * or a negative bc_err. */
int bc_region_route(struct bc_req *req, const struct bc_route *r);
/* The same decision for a write whose credential only its handler reads (the customer's manage token):
 * called by the handler once req->ctx.tenant comes from that verified credential. Same answers. */
int bc_region_write_here(struct bc_req *req);

/* The header's value for a request forwarded from origin (its client's address, now in epoch seconds):
 * into out (at least 256 bytes). Returns 0, or BC_EINVALID when origin or client cannot be put in it. */
int bc_region_sign(char *out, size_t outsize, const char *origin, const char *client, long long now,
                   const char *method, const char *path);
/* Verifies a header value for method and path at time now: 0 and the origin region and client address
 * copied out, or BC_EFORBIDDEN (malformed, bad MAC, outside the time window). */
int bc_region_verify(const char *value, const char *method, const char *path, long long now, char origin[33],
                     char client[64]);

#endif
