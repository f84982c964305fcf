/* libmicrohttpd glue: connection lifecycle, body reading, response queueing, access log, drain. */
#include "http/server.h"
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

static enum bc_method parse_method(const char *m)
{
    static const struct {
        const char *name;
        enum bc_method m;
    } t[] = {{"GET", BC_GET},       {"POST", BC_POST},       {"PUT", BC_PUT},  {"PATCH", BC_PATCH},
             {"DELETE", BC_DELETE}, {"OPTIONS", BC_OPTIONS}, {"HEAD", BC_HEAD}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(m, t[i].name) == 0) return t[i].m;
    return 0;
}

static struct bc_req *req_new(struct bc_server *srv, struct MHD_Connection *conn, const char *url,
                              const char *method)
{
    struct bc_req *req = calloc(1, sizeof *req);
    if (!req) return NULL;
    req->srv = srv;
    req->env = srv->env;
    req->conn = conn;
    req->t_start_ns = bc_mono_ns();
    bc_arena_init(&req->arena);
    bc_buf_init(&req->body);
    bc_id_new(req->id);
    req->method = parse_method(method);
    req->method_str = bc_arena_strndup(&req->arena, method, strnlen(method, 16));
    req->path = bc_arena_strdup(&req->arena, url);
    req->state = BC_REQ_READING;
    return req;
}

static void req_free(struct bc_req *req)
{
    if (req->attach_free) req->attach_free(req->attach_ud);
    json_decref(req->json);
    json_decref(req->audit_detail);
    bc_ctx_release(&req->ctx);
    if (req->resp) MHD_destroy_response(req->resp);
    bc_buf_release(&req->body);
    bc_arena_release(&req->arena);
    free(req);
}

/* us microseconds as milliseconds, as json_real(us / 1000.0) prints with JSON_REAL_PRECISION(6): under a
 * second that is every digit, trailing zeros dropped ("0.085", "12.5", "3.0"); longer times (rounded to
 * 6 digits) go through bc_buf_json_real. */
static void put_ms(struct bc_buf *b, int64_t us)
{
    if (us < 0 || us >= 1000000) {
        bc_buf_json_real(b, (double)us / 1000, 6);
        return;
    }
    bc_buf_put_uint(b, (uint64_t)(us / 1000));
    int frac = (int)(us % 1000);
    if (!frac) {
        bc_buf_puts(b, ".0");
        return;
    }
    char f[5] = {'.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10), (char)('0' + frac % 10), 0};
    int n = 4;
    while (f[n - 1] == '0') n--;
    bc_buf_append(b, f, (size_t)n);
}

/* The access line, written straight into a buffer (building it as jansson values cost ~8% of a widget
 * read); the same members, order and formatting as json_dumps of the object it used to build. */
static void access_log(struct bc_req *req, enum MHD_RequestTerminationCode toe)
{
    if (!bc_log_enabled(BC_LOG_INFO)) return;
    double ms = (double)(bc_mono_ns() - req->t_start_ns) / 1e6;
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_reserve(&b, 400);
    bc_buf_puts(&b, "\"type\":\"access\",\"req_id\":");
    bc_buf_json_str(&b, req->id);
    size_t mark = b.len;
    bc_buf_puts(&b, ",\"method\":");
    if (bc_buf_json_str(&b, req->method_str ? req->method_str : "?") < 0)
        b.len = mark; /* dropped, as before */
    bc_buf_puts(&b, ",\"path\":");
    /* a path that carries a credential is written as its route's pattern; a near miss of the feed route (a
     * token without ".ics", a token cut short) would still carry one, so that folder is never written */
    const char *path =
        req->route && (req->route->flags & BC_ROUTE_SECRET_PATH) ? req->route->pattern : req->path;
    if (!req->route && path && strncmp(path, "/v1/feeds/", 10) == 0) path = "/v1/feeds/(redacted)";
    if (bc_buf_json_str(&b, path ? path : "") < 0) bc_buf_json_str(&b, "(invalid utf-8)");
    if (req->route) {
        bc_buf_puts(&b, ",\"route\":");
        bc_buf_json_str(&b, req->route->name);
    }
    bc_buf_puts(&b, ",\"status\":");
    bc_buf_put_uint(&b, (uint64_t)(req->status < 0 ? 0 : req->status));
    bc_buf_puts(&b, ",\"ms\":");
    put_ms(&b, (int64_t)(ms * 1000));
    bc_buf_puts(&b, ",\"bytes_in\":");
    bc_buf_put_uint(&b, req->body.len);
    bc_buf_puts(&b, ",\"bytes_out\":");
    bc_buf_put_uint(&b, req->resp_len);
    if (req->ctx.tenant_id[0]) {
        mark = b.len;
        bc_buf_puts(&b, ",\"tenant\":");
        if (bc_buf_json_str(&b, req->ctx.tenant_id) < 0) b.len = mark;
    }
    if (req->err_code) {
        bc_buf_puts(&b, ",\"error\":");
        bc_buf_json_str(&b, req->err_code);
    }
    bc_buf_puts(&b, ",\"remote\":");
    bc_buf_json_str(&b, bc_req_remote(req));
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) bc_buf_puts(&b, ",\"aborted\":true");
    if (b.data) bc_log_access(b.data, b.len);
    bc_buf_release(&b);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct bc_server *srv = cls;
    struct bc_req *req = *con_cls;
    (void)conn;
    if (!req) return;
    if (srv->access_log) access_log(req, toe);
    /* metrics by route (the tenant's usage was counted when the answer was queued) */
    bc_metrics_http_observe(req->route, req->status, req->placed, bc_mono_ns() - req->t_start_ns);
    req_free(req);
    *con_cls = NULL;
    atomic_fetch_add(&srv->requests, 1);
    atomic_fetch_sub(&srv->inflight, 1);
}

static enum MHD_Result queue(struct bc_req *req)
{
    struct MHD_Response *r = req->resp;
    MHD_add_response_header(r, "X-Request-Id", req->id);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    bool referrer = false, region = false;
    for (int i = 0; i < req->nheaders; i++) {
        MHD_add_response_header(r, req->hnames[i], req->hvalues[i]);
        if (strcasecmp(req->hnames[i], "Referrer-Policy") == 0) referrer = true;
        if (strcasecmp(req->hnames[i], "X-Bookchat-Region") == 0) region = true; /* a home region's answer */
    }
    if (!region && req->srv->regions)
        MHD_add_response_header(r, "X-Bookchat-Region", bc_regions_self(req->srv->regions));
    /* security headers on every answer (docs/security.md): a page may set a stricter Referrer-Policy */
    if (!referrer) MHD_add_response_header(r, "Referrer-Policy", "strict-origin-when-cross-origin");
    if (strncmp(req->srv->public_url, "https://", 8) == 0)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    if (atomic_load(&req->srv->draining)) MHD_add_response_header(r, "Connection", "close");
    req->state = BC_REQ_DONE;
    /* the tenant's usage (requests, peak per minute, errors, origins), counted before the client can see
     * the answer, so that whatever it does next (a usage read) finds it counted; only for active tenants:
     * nothing is written into a suspended or deleted tenant's partition (a request refused early was
     * refused with what the last full check of its key found: an active tenant) */
    if (req->ctx.tenant_id[0] && req->status && !req->proxied && /* a proxied answer: the home counted it */
        (req->ctx.tenant ? bc_tenant_check_active(req->ctx.tenant) == 0 : req->refused_early))
        bc_usage_request(req->env, req->ctx.tenant_id, req->status, req->err_code, req->ctx.origin);
    enum MHD_Result ok = MHD_queue_response(req->conn, (unsigned)req->status, r);
    MHD_destroy_response(r);
    req->resp = NULL;
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct bc_server *srv = cls;
    struct bc_req *req = *con_cls;
    (void)version;
    if (!req) {
        req = req_new(srv, conn, url, method);
        if (!req) return MHD_NO;
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
            bc_reply_error(req, BC_EMETHOD, "Unsupported HTTP method.");
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
        bc_router_dispatch(req);
    }
    /* a suspended handler or continuation: suspend the connection, or, if it was already resumed, run the
     * continuation it was resumed with (which may suspend again) */
    for (;;) {
        pthread_mutex_lock(&req->srv->async_mu);
        if (req->state == BC_REQ_SUSPENDED) {
            MHD_suspend_connection(conn);
            req->mhd_suspended = true;
            pthread_mutex_unlock(&req->srv->async_mu);
            return MHD_YES;
        }
        bc_req_cont_fn cont = req->state == BC_REQ_READY ? req->cont : NULL;
        void *ud = req->cont_ud;
        req->cont = NULL;
        if (cont) req->state = BC_REQ_RUNNING;
        pthread_mutex_unlock(&req->srv->async_mu);
        if (!cont) break;
        int rc = cont(req, ud);
        if (rc != BC_ASYNC && rc < 0 && !req->resp) bc_reply_error(req, rc, req->err_msg);
    }
    if (req->state == BC_REQ_RUNNING || req->state == BC_REQ_READY) {
        if (!req->resp) bc_reply_error(req, BC_EINTERNAL, NULL);
        return queue(req);
    }
    return MHD_YES;
}

void bc_req_suspend(struct bc_req *req)
{
    pthread_mutex_lock(&req->srv->async_mu);
    req->state = BC_REQ_SUSPENDED;
    pthread_mutex_unlock(&req->srv->async_mu);
}

void bc_req_resume(struct bc_req *req)
{
    pthread_mutex_lock(&req->srv->async_mu);
    req->state = BC_REQ_READY;
    /* If the access handler has not suspended the connection yet, it will see READY and queue the reply
     * itself; otherwise the connection is suspended in MHD and must be resumed so the handler runs again. */
    if (req->mhd_suspended) {
        req->mhd_suspended = false;
        MHD_resume_connection(req->conn);
    }
    pthread_mutex_unlock(&req->srv->async_mu);
}

void bc_req_resume_with(struct bc_req *req, bc_req_cont_fn cont, void *ud)
{
    pthread_mutex_lock(&req->srv->async_mu);
    req->cont = cont;
    req->cont_ud = ud;
    pthread_mutex_unlock(&req->srv->async_mu);
    bc_req_resume(req);
}

void bc_req_attach(struct bc_req *req, void *ud, void (*free_fn)(void *ud))
{
    req->attach_ud = ud;
    req->attach_free = free_fn;
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
    if (!srv->public_url[0]) snprintf(srv->public_url, sizeof srv->public_url, "http://127.0.0.1:8080");
    srv->started_ms = bc_now_ms();
    int rc = bc_regions_new(&srv->regions, err, errsize);
    if (rc < 0) return rc;
    srv->early = bc_auth_early_new(); /* NULL: nothing is refused early */
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
        bc_auth_early_free(srv->early);
        srv->early = NULL;
        bc_regions_free(srv->regions);
        srv->regions = NULL;
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
    bc_regions_free(srv->regions);
    srv->regions = NULL;
    bc_auth_early_free(srv->early);
    srv->early = NULL;
    pthread_mutex_destroy(&srv->async_mu);
    srv->daemon = NULL;
}
