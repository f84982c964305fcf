/* libmicrohttpd glue: connection lifecycle, body reading, response queueing, access log, drain. */
#include "http/server.h"
#include "http/key_records.h"
#include "http/region.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/metrics.h"
#include "http/router.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- the transport: a libmicrohttpd connection ---- */

static const char *mhd_header(struct bc_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct join {
    const char *name;
    struct bc_buf *out;
};

static enum MHD_Result join_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct join *j = cls;
    (void)kind;
    if (value && strcasecmp(key, j->name) == 0) {
        if (j->out->len) bc_buf_putc(j->out, ',');
        bc_buf_puts(j->out, value);
    }
    return MHD_YES;
}

static void mhd_header_all(struct bc_req *req, const char *name, struct bc_buf *out)
{
    struct join j = {name, out};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, join_header, &j);
}

static const char *mhd_query(struct bc_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct each_arg {
    void (*fn)(void *ud, const char *key, const char *value);
    void *ud;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct each_arg *e = cls;
    (void)kind;
    e->fn(e->ud, key, value);
    return MHD_YES;
}

static void mhd_each_query(struct bc_req *req, void (*fn)(void *ud, const char *key, const char *value),
                           void *ud)
{
    struct each_arg e = {fn, ud};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, each_arg, &e);
}

static bool mhd_peer(struct bc_req *req, unsigned char ip[16])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return false;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        memset(ip, 0, 10);
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(ip, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return true;
    }
    return false;
}

/* under the server's lock: the connection was suspended by park */
static void mhd_wake(struct bc_req *req)
{
    MHD_resume_connection(req->conn);
}

static void mhd_park(struct bc_req *req)
{
    MHD_suspend_connection(req->conn);
}

static const struct bc_transport mhd_transport = {
    .name = "http",
    .header = mhd_header,
    .header_all = mhd_header_all,
    .query = mhd_query,
    .each_query = mhd_each_query,
    .peer = mhd_peer,
    .wake = mhd_wake,
    .streams = true,
};

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct bc_server *srv = cls;
    struct bc_req *req = *con_cls;
    (void)conn;
    if (!req) return;
    bc_req_done(req, toe != MHD_REQUEST_TERMINATED_COMPLETED_OK);
    *con_cls = NULL;
    atomic_fetch_add(&srv->requests, 1);
    atomic_fetch_sub(&srv->inflight, 1);
}

static void add_header(void *ud, const char *name, const char *value)
{
    MHD_add_response_header(ud, name, value);
}

static enum MHD_Result queue(struct bc_req *req)
{
    struct MHD_Response *r = req->stream;
    req->stream = NULL;
    if (!r) {
        /* the body goes over to libmicrohttpd (freed with the response when the request owned it) */
        r = MHD_create_response_from_buffer(req->resp_len, (void *)req->resp_body,
                                            req->resp_owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (!r) return MHD_NO;
        req->resp_body = NULL;
        req->resp_owned = false;
        bc_req_each_header(req, add_header, r);
    } else {
        bc_req_each_header(req, add_header, r);
    }
    if (atomic_load(&req->srv->draining)) MHD_add_response_header(r, "Connection", "close");
    bc_req_seal(req);
    enum MHD_Result ok = MHD_queue_response(req->conn, (unsigned)req->status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct bc_server *srv = cls;
    struct bc_req *req = *con_cls;
    bool dispatch = false;
    (void)version;
    if (!req) {
        req = bc_req_new(srv, &mhd_transport, method, url);
        if (!req) return MHD_NO;
        req->conn = conn;
        *con_cls = req;
        atomic_fetch_add(&srv->inflight, 1);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->body_limit) {
            /* refuse before reading the body; answering now closes the connection, which is what we want */
            req->body_too_large = true;
            req->state = BC_REQ_RUNNING;
            bc_router_dispatch(req);
            return queue(req);
        }
        if (!req->method) {
            req->state = BC_REQ_RUNNING;
            bc_router_dispatch(req); /* 405 */
            return queue(req);
        }
        /* a widget request over its limits is refused now, before its body is read or the store is asked
         * anything (http/auth.c). With a body to come the answer goes at once (closing the connection
         * rather than reading the body: no 100 Continue is sent); without one, on the next call, which
         * keeps the connection alive (CONVENTIONS.md) */
        if (bc_router_refuse_early(req)) {
            req->state = BC_REQ_RUNNING;
            if ((cl && strtoull(cl, NULL, 10) > 0) ||
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
                return queue(req);
        }
        return MHD_YES;
    }
    if (req->state == BC_REQ_READING) {
        if (*upload_data_size) {
            if (!req->body_too_large) {
                if (req->body.len + *upload_data_size > srv->body_limit)
                    req->body_too_large = true;
                else if (bc_buf_append(&req->body, upload_data, *upload_data_size) < 0)
                    return MHD_NO;
            }
            *upload_data_size = 0;
            return MHD_YES;
        }
        req->state = BC_REQ_RUNNING;
        dispatch = true;
    }
    if (!dispatch && req->state != BC_REQ_RUNNING && req->state != BC_REQ_READY &&
        req->state != BC_REQ_SUSPENDED)
        return MHD_YES;
    /* The handler (or the continuation) runs in a deferral span: its writes return once committed, and
     * the answer waits for their sync with the connection suspended, while this thread serves others and
     * the writes of the requests it meanwhile takes share that sync (store.h, bc_store_defer_begin) */
    bc_store_defer_begin(&req->durable);
    if (dispatch) bc_router_dispatch(req);
    /* a suspended handler or continuation: suspend the connection, or, if it was already resumed, run the
     * continuation it was resumed with (which may suspend again) */
    int rc = bc_req_continue(req, mhd_park);
    bc_store_defer_end(&req->durable);
    if (rc == BC_ASYNC || bc_req_await_durable(req, mhd_park) == BC_ASYNC) return MHD_YES;
    return queue(req);
}

static int split_listen(const char *listen, char *host, size_t hostsize, uint16_t *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= hostsize) return BC_EINVALID;
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (*end || p > 65535 || colon[1] == '\0') return BC_EINVALID;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    *port = (uint16_t)p;
    return 0;
}

int bc_server_prepare(struct bc_server *srv, char *err, size_t errsize)
{
    int ntrusted = bc_cidr_parse_list(bc_config_get(BC_CFG_TRUSTED_PROXIES), srv->trusted,
                                      BC_MAX_TRUSTED_PROXIES, err, errsize);
    if (ntrusted < 0) return ntrusted;
    srv->ntrusted = ntrusted;
    if (srv->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        srv->threads = n > 0 ? (unsigned)n : 1;
    }
    atomic_init(&srv->inflight, 0);
    atomic_init(&srv->draining, false);
    atomic_init(&srv->requests, 0);
    pthread_mutex_init(&srv->async_mu, NULL);
    pthread_cond_init(&srv->async_cv, NULL);
    if (!srv->public_url[0]) snprintf(srv->public_url, sizeof srv->public_url, "http://127.0.0.1:8080");
    srv->started_ms = bc_now_ms();
    int rc = bc_regions_new(&srv->regions, err, errsize);
    if (rc < 0) return rc;
    srv->early = bc_auth_early_new();        /* NULL: nothing is refused early */
    srv->key_records = bc_key_records_new(); /* NULL: every widget request reads its key and tenant */
    return 0;
}

void bc_server_release(struct bc_server *srv)
{
    bc_regions_free(srv->regions); /* stops its forwards first, when bc_server_stop has not */
    srv->regions = NULL;
    bc_auth_early_free(srv->early);
    srv->early = NULL;
    bc_key_records_free(srv->key_records);
    srv->key_records = NULL;
    pthread_cond_destroy(&srv->async_cv);
    pthread_mutex_destroy(&srv->async_mu);
}

int bc_server_start(struct bc_server *srv, const char *listen, char *err, size_t errsize)
{
    uint16_t port;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    if (split_listen(listen, srv->host, sizeof srv->host, &port) < 0 ||
        inet_pton(AF_INET, srv->host, &addr.sin_addr) != 1) {
        snprintf(err, errsize, "bad listen address '%s' (expected IPv4:PORT, e.g. 127.0.0.1:8080)", listen);
        return BC_EINVALID;
    }
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    int rc = bc_server_prepare(srv, err, errsize);
    if (rc < 0) return rc;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
    srv->daemon = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, srv->threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)10000,
        /* libmicrohttpd zeroes a connection's whole pool between requests: 16 KB (default 32) still holds
         * any sane request head and halves that cost; bodies stream through it in chunks */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errsize, "cannot listen on %s (address in use or not permitted)", listen);
        bc_server_release(srv);
        return BC_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : port;
    return 0;
}

int bc_server_drain(struct bc_server *srv, int timeout_ms)
{
    atomic_store(&srv->draining, true);
    MHD_socket ls = MHD_quiesce_daemon(srv->daemon);
    if (ls != MHD_INVALID_SOCKET) close(ls); /* quiesce hands the listening socket back to us */
    int64_t deadline = bc_mono_ns() + (int64_t)timeout_ms * 1000000;
    while (atomic_load(&srv->inflight) > 0 && bc_mono_ns() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(&srv->inflight);
}

void bc_server_stop(struct bc_server *srv)
{
    if (!srv->daemon) return;
    /* writes still being forwarded to their home region answer 503 (resumed before the daemon stops) */
    bc_regions_stop(srv->regions);
    MHD_stop_daemon(srv->daemon);
    bc_server_release(srv);
    srv->daemon = NULL;
}
