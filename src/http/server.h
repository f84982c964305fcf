/* The HTTP server: libmicrohttpd in epoll mode with a thread pool (one thread per core), request bodies
 * up to a limit, request ids, a JSON access log, suspend/resume for slow upstreams, and a graceful drain.
 *
 * DESIGN NOTES
 * - A request is answered on the access handler's second call (never the first, which would make
 *   libmicrohttpd 0.9.75 close the connection), except a body over the limit, refused at once.
 * - inflight counts requests from their first byte to their completion callback; drain waits for it to
 *   reach 0 after the listening socket is closed (MHD_quiesce_daemon), so SIGTERM completes them.
 * - A suspended request counts as in flight; MHD_stop_daemon is only called once none is left, because
 *   stopping with a suspended connection aborts the process. */
#ifndef BC_SERVER_H
#define BC_SERVER_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Daemon;
struct bc_env;
struct bc_store;

/* An address block of trusted_proxies: 16 bytes (IPv4 as ::ffff:a.b.c.d) and a prefix length. */
struct bc_cidr {
    unsigned char addr[16];
    int bits;
};
#define BC_MAX_TRUSTED_PROXIES 32

struct bc_auth_early;
struct bc_key_records;
struct bc_regions;
struct bc_envs;

struct bc_server {
    struct MHD_Daemon *daemon;
    struct bc_store *store; /* borrowed; outlives the server */
    struct bc_env *env;     /* borrowed: the domain environment of store; outlives the server */
    struct bc_envs *envs;   /* borrowed: the envs of dedicated stores (domain/envs.h); NULL: all pooled */
    size_t body_limit;
    bool test_hooks;
    bool access_log;
    unsigned threads;
    uint16_t port; /* actual bound port */
    char host[64];
    int64_t started_ms;
    atomic_int inflight;
    atomic_bool draining;
    atomic_ullong requests; /* total served, for /metrics */
    pthread_mutex_t
        async_mu; /* serialises suspend/resume decisions between a handler and a completing thread */
    pthread_cond_t async_cv; /* with async_mu: a transport that waits for a parked request (Lambda) */
    char public_url[256]; /* where browsers reach this server, without a trailing '/' (bc_api_public_url) */
    struct bc_cidr trusted[BC_MAX_TRUSTED_PROXIES]; /* trusted_proxies, parsed by bc_server_start */
    int ntrusted;
    struct bc_auth_early *early; /* widget keys' last resolutions, to refuse a flood early (http/auth.c) */
    struct bc_key_records *key_records; /* widget keys' checked records (http/key_records.h); NULL: none */
    struct bc_regions *regions;         /* home regions (http/region.h): NULL when no region is set */
};

/* Starts listening on "host:port" (port 0 picks a free one, see srv->port). Fields store, body_limit,
 * test_hooks, access_log and threads must be set first. Returns 0 or a negative bc_err with a message. */
int bc_server_start(struct bc_server *srv, const char *listen, char *err, size_t errsize);
/* What start does before listening (trusted_proxies, the locks, the early-refusal table): for a transport
 * without a socket (http/lambda.h). Fields as for bc_server_start. 0 or a negative bc_err with a message.
 * Undo with bc_server_release (bc_server_stop does it for a started server). */
int bc_server_prepare(struct bc_server *srv, char *err, size_t errsize);
void bc_server_release(struct bc_server *srv);
/* Parses a trusted_proxies list ("10.0.0.0/8, 2001:db8::/32, 127.0.0.1": commas or spaces, a bare address
 * is /32 or /128) into out. Returns the count, or BC_EINVALID with a message naming the bad entry. */
int bc_cidr_parse_list(const char *list, struct bc_cidr *out, int max, char *err, size_t errsize);
/* True when ip (16 bytes, IPv4 mapped) is inside one of the n blocks. */
bool bc_cidr_match(const struct bc_cidr *list, int n, const unsigned char ip[16]);
/* Stops accepting connections and waits up to timeout_ms for in-flight requests to finish.
 * Returns the number still in flight (0 when drained). */
int bc_server_drain(struct bc_server *srv, int timeout_ms);
/* Closes every connection and stops the worker threads. */
void bc_server_stop(struct bc_server *srv);

#endif
