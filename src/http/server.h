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

struct bc_server {
    struct MHD_Daemon *daemon;
    struct bc_store *store; /* borrowed; outlives the server */
    struct bc_env *env;     /* borrowed: the domain environment of store; outlives the server */
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
        async_mu;         /* serialises suspend/resume decisions between a handler and a completing thread */
    char public_url[256]; /* where browsers reach this server, without a trailing '/' (bc_api_public_url) */
};

/* Starts listening on "host:port" (port 0 picks a free one, see srv->port). Fields store, body_limit,
 * test_hooks, access_log and threads must be set first. Returns 0 or a negative bc_err with a message. */
int bc_server_start(struct bc_server *srv, const char *listen, char *err, size_t errsize);
/* Stops accepting connections and waits up to timeout_ms for in-flight requests to finish.
 * Returns the number still in flight (0 when drained). */
int bc_server_drain(struct bc_server *srv, int timeout_ms);
/* Closes every connection and stops the worker threads. */
void bc_server_stop(struct bc_server *srv);

#endif
