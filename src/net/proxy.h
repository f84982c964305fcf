/* The proxy client: relays one HTTP request to another server and hands its answer back whole (status,
 * headers, body), on one thread driving a libcurl multi handle, so that no server thread waits for the
 * other side. The home-region forwarding (http/region.c) sends a tenant's writes through it.
 *
 * DESIGN NOTES
 * - The URLs are the operator's own (the region_urls setting), not a tenant's: unlike net/sender.h there is
 *   no public-address rule, and private addresses (a region's internal load balancer) are fine. Proxies from
 *   the environment are ignored all the same, and only http and https are spoken.
 * - Redirects are never followed: the answer, a 3xx included, is the caller's to relay as is.
 * - Everything a request points to is copied by bc_proxy_submit; done is called exactly once per accepted
 *   request, on the proxy's thread (keep it short), also for a request cancelled by bc_proxy_free. */
#ifndef BC_NET_PROXY_H
#define BC_NET_PROXY_H
#include <stddef.h>

struct bc_proxy_req {
    const char *method;         /* "POST", "PATCH", … */
    const char *url;            /* http:// or https:// */
    const char *const *headers; /* "Name: value" lines (no CR/LF in them) */
    size_t nheaders;
    const char *body; /* NULL: none */
    size_t body_len;
    long timeout_ms; /* whole exchange; 0 -> 30000 */
    size_t max_body; /* largest answer body kept; 0 -> 8 MiB (past it: rc BC_EUNAVAILABLE) */
};

struct bc_proxy_header {
    char *name, *value;
};

/* The answer, owned by whoever done hands it to (free with bc_proxy_result_free). */
struct bc_proxy_result {
    int rc; /* 0 answered (any status); BC_ETIMEOUT; BC_EUNAVAILABLE (refused, reset, too large, cancelled) */
    long status;                     /* the HTTP status when rc is 0 */
    struct bc_proxy_header *headers; /* the final answer's headers, in order */
    size_t nheaders;
    char *body; /* NUL-terminated (NULL when empty) */
    size_t body_len;
    char error[200]; /* a short reason when rc < 0 */
};

typedef void (*bc_proxy_done_fn)(void *ud, struct bc_proxy_result *r);

struct bc_proxy;

/* Starts a proxy (its thread). 0 and *out (free with bc_proxy_free), or a negative bc_err. */
int bc_proxy_new(struct bc_proxy **out);
/* Queues one request (everything copied). done(ud, result) is called exactly once, on the proxy's thread.
 * Returns 0, BC_EINVALID (no method or url, a header with CR/LF), BC_ENOMEM, or BC_EUNAVAILABLE once
 * bc_proxy_free has started (done not called). */
int bc_proxy_submit(struct bc_proxy *p, const struct bc_proxy_req *r, bc_proxy_done_fn done, void *ud);
/* Stops: every queued or running request completes with rc BC_EUNAVAILABLE ("cancelled"), the thread is
 * joined, and later submits are refused (BC_EUNAVAILABLE). Idempotent; NULL is fine. */
void bc_proxy_stop(struct bc_proxy *p);
/* Stops (bc_proxy_stop) and frees. NULL is fine. */
void bc_proxy_free(struct bc_proxy *p);
void bc_proxy_result_free(struct bc_proxy_result *r);
/* The value of header name in r (case-insensitive; the first), or NULL. */
const char *bc_proxy_result_header(const struct bc_proxy_result *r, const char *name);

#endif
