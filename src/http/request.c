/* The request object whatever carries it (http.h's struct bc_transport): its life (made, sealed, logged,
 * freed), its accessors and the reply helpers used by every handler. Replies may be built from any thread
 * (for suspended requests); only the transport (server.c, lambda.c) sends them. */
#include "domain/tenant.h"
#include "domain/usage.h"
#include "http/http.h"
#include "http/metrics.h"
#include "http/region.h"
#include "http/router.h"
#include "http/server.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *bc_req_param(struct bc_req *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0) return req->params[i];
    return NULL;
}

const char *bc_req_query(struct bc_req *req, const char *name)
{
    return req->tx->query(req, name);
}

const char *bc_req_header(struct bc_req *req, const char *name)
{
    return req->tx->header(req, name);
}

/* ---- the client address (trusted_proxies and X-Forwarded-For) ---- */

/* n bytes of s as an IP address into 16 bytes (IPv4 mapped); false when they are not one */
static bool parse_ip(const char *s, size_t n, unsigned char out[16])
{
    char buf[INET6_ADDRSTRLEN + 1];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    struct in_addr a4;
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return true;
    }
    return inet_pton(AF_INET6, buf, out) == 1;
}

static bool is_v4(const unsigned char ip[16])
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(ip, prefix, 12) == 0;
}

static void ip_text(const unsigned char ip[16], char out[INET6_ADDRSTRLEN])
{
    if (!inet_ntop(is_v4(ip) ? AF_INET : AF_INET6, is_v4(ip) ? ip + 12 : ip, out, INET6_ADDRSTRLEN))
        snprintf(out, INET6_ADDRSTRLEN, "?");
}

int bc_cidr_parse_list(const char *list, struct bc_cidr *out, int max, char *err, size_t errsize)
{
    int n = 0;
    for (const char *p = list ? list : ""; *p;) {
        while (*p == ',' || *p == ' ' || *p == '\t') p++;
        if (!*p) break;
        size_t len = strcspn(p, ", \t");
        const char *slash = memchr(p, '/', len);
        size_t alen = slash ? (size_t)(slash - p) : len;
        struct bc_cidr c;
        bool ok = n < max && parse_ip(p, alen, c.addr);
        c.bits = ok && is_v4(c.addr) ? 32 : 128;
        if (ok && slash) {
            char *end;
            long b = strtol(slash + 1, &end, 10);
            ok = end == p + len && slash + 1 < p + len && b >= 0 && b <= c.bits;
            c.bits = (int)b;
        }
        if (!ok) {
            snprintf(err, errsize, "trusted_proxies: '%.*s' is not an address or CIDR block%s", (int)len, p,
                     n >= max ? " (too many entries)" : "");
            return BC_EINVALID;
        }
        if (is_v4(c.addr)) c.bits += 96;
        out[n++] = c;
        p += len;
    }
    return n;
}

bool bc_cidr_match(const struct bc_cidr *list, int n, const unsigned char ip[16])
{
    for (int i = 0; i < n; i++) {
        int full = list[i].bits / 8, rest = list[i].bits % 8;
        if (memcmp(list[i].addr, ip, (size_t)full) != 0) continue;
        if (rest && ((list[i].addr[full] ^ ip[full]) & (0xff00 >> rest) & 0xff)) continue;
        return true;
    }
    return false;
}

/* The right-most X-Forwarded-For entry that is not a trusted proxy into ip; false when the header is
 * absent or malformed (then the peer stays the client). Several header lines are one list, in order. */
static bool forwarded_client(struct bc_req *req, unsigned char ip[16])
{
    struct bc_buf b = {0};
    req->tx->header_all(req, "X-Forwarded-For", &b); /* several header lines are one list */
    bool found = false;
    size_t end = b.len;
    for (int hops = 0; b.data && end > 0 && hops < 64; hops++) {
        size_t start = end;
        while (start > 0 && b.data[start - 1] != ',') start--;
        size_t s = start, e = end;
        while (s < e && (b.data[s] == ' ' || b.data[s] == '\t')) s++;
        while (e > s && (b.data[e - 1] == ' ' || b.data[e - 1] == '\t')) e--;
        unsigned char hop[16];
        if (!parse_ip(b.data + s, e - s, hop)) break; /* malformed: trust nothing of it */
        memcpy(ip, hop, 16);
        found = true;
        if (!bc_cidr_match(req->srv->trusted, req->srv->ntrusted, hop)) break;
        end = start > 0 ? start - 1 : 0;
        if (start == 0) break; /* every entry a trusted proxy: the left-most is the client */
    }
    bc_buf_release(&b);
    return found;
}

const char *bc_req_remote(struct bc_req *req)
{
    if (req->remote) return req->remote;
    /* a write forwarded by another region (http/region.h): the client is the one that region saw, but only
     * when its signed header verifies */
    const char *fwd = bc_region_forwarded_client(req);
    if (fwd) return req->remote = fwd;
    char buf[INET6_ADDRSTRLEN] = "?";
    unsigned char ip[16];
    if (req->tx->peer(req, ip)) {
        unsigned char client[16];
        if (req->srv && req->srv->ntrusted > 0 && bc_cidr_match(req->srv->trusted, req->srv->ntrusted, ip) &&
            forwarded_client(req, client))
            memcpy(ip, client, 16);
        ip_text(ip, buf);
    }
    const char *s = bc_arena_strdup(&req->arena, buf);
    req->remote = s;
    return s ? s : "?";
}

int bc_fail(struct bc_req *req, int err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    req->err_msg = bc_arena_strdup(&req->arena, msg);
    return err;
}

int bc_req_json(struct bc_req *req, json_t **out)
{
    *out = NULL;
    if (req->json) {
        *out = req->json;
        return 0;
    }
    if (req->body.len == 0) return bc_fail(req, BC_EINVALID, "A JSON object body is required.");
    json_error_t e;
    json_t *j = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        return bc_fail(req, BC_EINVALID, "Malformed JSON at line %d column %d: %s", e.line, e.column, e.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return bc_fail(req, BC_EINVALID, "The body must be a JSON object.");
    }
    req->json = j;
    *out = j;
    return 0;
}

int bc_req_paging(struct bc_req *req, int *limit, const char **cursor)
{
    const char *l = bc_req_query(req, "limit");
    *limit = 50;
    *cursor = bc_req_query(req, "cursor");
    if (*cursor && (!**cursor || strlen(*cursor) > 600)) return bc_fail(req, BC_EINVALID, "Invalid cursor.");
    if (l) {
        char *end;
        long v = strtol(l, &end, 10);
        if (!*l || *end || v < 1 || v > 1000)
            return bc_fail(req, BC_EINVALID, "limit must be an integer from 1 to 1000.");
        *limit = (int)v;
    }
    return 0;
}

void bc_reply_header(struct bc_req *req, const char *name, const char *value)
{
    if (req->nheaders >= BC_MAX_RESP_HEADERS) return;
    req->hnames[req->nheaders] = bc_arena_strdup(&req->arena, name);
    req->hvalues[req->nheaders] = bc_arena_strdup(&req->arena, value);
    if (req->hnames[req->nheaders] && req->hvalues[req->nheaders]) req->nheaders++;
}

/* Drops the body of an earlier reply (a handler may replace its reply) and the stream. */
static void clear_response(struct bc_req *req)
{
    if (req->resp_owned) free((void *)req->resp_body);
    req->resp_body = NULL;
    req->resp_owned = false;
    req->no_store = false;
    if (req->stream) MHD_destroy_response(req->stream);
    req->stream = NULL;
}

/* Sets the reply; takes data (malloc'd) over when owned. */
static void set_response(struct bc_req *req, int status, const char *ctype, const void *data, size_t len,
                         bool owned)
{
    clear_response(req);
    req->ctype = ctype ? bc_arena_strdup(&req->arena, ctype) : NULL;
    req->resp_body = data;
    req->resp_owned = owned;
    req->status = status;
    req->resp_len = len;
}

int bc_reply_bytes(struct bc_req *req, int status, const char *content_type, const void *data, size_t len,
                   bool copy)
{
    if (copy) {
        void *c = malloc(len ? len : 1);
        if (!c) return BC_ENOMEM;
        if (len) memcpy(c, data, len);
        data = c;
    }
    set_response(req, status, content_type, data, len, copy);
    return 0;
}

int bc_reply_empty(struct bc_req *req, int status)
{
    return bc_reply_bytes(req, status, NULL, "", 0, false);
}

int bc_reply_json(struct bc_req *req, int status, json_t *body)
{
    size_t len = 0;
    char *s = body ? bc_json_dumps(body, &len) : NULL; /* json_dumps' bytes, faster */
    json_decref(body);
    if (!s) return BC_ENOMEM;
    return bc_reply_json_text(req, status, s, len);
}

int bc_reply_json_text(struct bc_req *req, int status, char *s, size_t len)
{
    set_response(req, status, "application/json; charset=utf-8", s, len, true);
    req->no_store = true;
    return 0;
}

void bc_req_set_stream(struct bc_req *req, struct MHD_Response *stream, const char *ctype)
{
    clear_response(req);
    req->stream = stream;
    req->ctype = ctype;
    req->no_store = true;
    req->status = 200;
    req->resp_len = 0;
}

int bc_reply_error(struct bc_req *req, int err, const char *msg)
{
    if (err >= 0) err = BC_EINTERNAL;
    req->err_code = bc_err_code(err);
    json_t *m = json_string(msg ? msg : bc_strerror(err));
    if (!m) m = json_string(bc_strerror(err)); /* msg was not valid UTF-8 */
    json_t *body = json_pack("{s:{s:s, s:o}}", "error", "code", bc_err_code(err), "message", m);
    return bc_reply_json(req, bc_err_status(err), body);
}

int bc_req_check(struct bc_req *req, json_t *obj, const struct bc_jfield *fields)
{
    char msg[256];
    if (bc_json_check(obj, fields, msg, sizeof msg) < 0) return bc_fail(req, BC_EINVALID, "%s", msg);
    return 0;
}

int bc_req_body(struct bc_req *req, const struct bc_jfield *fields, json_t **out)
{
    int rc = bc_req_json(req, out);
    if (rc == 0) rc = bc_req_check(req, *out, fields);
    return rc;
}

int bc_reply_list(struct bc_req *req, json_t *items, char *next_cursor)
{
    json_t *body =
        json_pack("{s:o, s:s?}", "items", items ? items : json_array(), "next_cursor", next_cursor);
    if (body && !next_cursor) json_object_set_new(body, "next_cursor", json_null());
    free(next_cursor);
    return bc_reply_json(req, 200, body);
}

int bc_reply_wrapped(struct bc_req *req, int status, const char *name, json_t *obj)
{
    return bc_reply_json(req, status, json_pack("{s:o}", name, obj ? obj : json_null()));
}

int bc_fail_msg(struct bc_req *req, int rc, const char *msg)
{
    if (rc < 0 && msg && *msg) return bc_fail(req, rc, "%s", msg);
    return rc;
}

/* ---- the request's life (every transport) ---- */

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

struct bc_req *bc_req_new(struct bc_server *srv, const struct bc_transport *tx, const char *method,
                          const char *path)
{
    struct bc_req *req = calloc(1, sizeof *req);
    if (!req) return NULL;
    req->srv = srv;
    req->env = srv->env;
    req->tx = tx;
    req->t_start_ns = bc_mono_ns();
    bc_arena_init(&req->arena);
    bc_buf_init(&req->body);
    bc_id_new(req->id);
    req->method = parse_method(method);
    req->method_str = bc_arena_strndup(&req->arena, method, strnlen(method, 16));
    req->path = bc_arena_strdup(&req->arena, path);
    req->state = BC_REQ_READING;
    return req;
}

void bc_req_free(struct bc_req *req)
{
    if (!req) return;
    if (req->attach_free) req->attach_free(req->attach_ud);
    json_decref(req->json);
    json_decref(req->audit_detail);
    bc_ctx_release(&req->ctx);
    clear_response(req);
    bc_buf_release(&req->body);
    bc_arena_release(&req->arena);
    free(req);
}

void bc_req_each_header(struct bc_req *req, void (*fn)(void *ud, const char *name, const char *value),
                        void *ud)
{
    if (req->ctype) fn(ud, "Content-Type", req->ctype);
    if (req->no_store) fn(ud, "Cache-Control", "no-store");
    bool referrer = false, region = false;
    for (int i = 0; i < req->nheaders; i++) {
        fn(ud, req->hnames[i], req->hvalues[i]);
        if (strcasecmp(req->hnames[i], "Referrer-Policy") == 0) referrer = true;
        if (strcasecmp(req->hnames[i], "X-Bookchat-Region") == 0) region = true; /* a home region's answer */
    }
    if (!region && req->srv->regions) fn(ud, "X-Bookchat-Region", bc_regions_self(req->srv->regions));
    fn(ud, "X-Request-Id", req->id);
    fn(ud, "X-Content-Type-Options", "nosniff");
    /* security headers on every answer (docs/security.md): a page may set a stricter Referrer-Policy */
    if (!referrer) fn(ud, "Referrer-Policy", "strict-origin-when-cross-origin");
    if (strncmp(req->srv->public_url, "https://", 8) == 0)
        fn(ud, "Strict-Transport-Security", "max-age=31536000");
}

void bc_req_seal(struct bc_req *req)
{
    req->state = BC_REQ_DONE;
    /* the tenant's usage (requests, peak per minute, errors, origins), counted before the client can see
     * the answer, so that whatever it does next (a usage read) finds it counted; only for active tenants:
     * nothing is written into a suspended or deleted tenant's partition (a request refused early was
     * refused with what the last full check of its key found: an active tenant) */
    if (req->ctx.tenant_id[0] && req->status && !req->proxied && /* a proxied answer: the home counted it */
        (req->ctx.tenant ? bc_tenant_check_active(req->ctx.tenant) == 0
                         : req->refused_early || req->key_known))
        bc_usage_request(req->env, req->ctx.tenant_id, req->status, req->err_code, req->ctx.origin);
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
static void access_log(struct bc_req *req, bool aborted)
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
    if (aborted) bc_buf_puts(&b, ",\"aborted\":true");
    if (b.data) bc_log_access(b.data, b.len);
    bc_buf_release(&b);
}

void bc_req_done(struct bc_req *req, bool aborted)
{
    if (req->srv->access_log) access_log(req, aborted);
    /* metrics by route (the tenant's usage was counted when the answer was sealed) */
    bc_metrics_http_observe(req->route, req->status, req->placed, bc_mono_ns() - req->t_start_ns);
    bc_req_free(req);
}

/* ---- asynchronous completion ---- */

int bc_req_continue(struct bc_req *req, void (*park)(struct bc_req *req))
{
    for (;;) {
        pthread_mutex_lock(&req->srv->async_mu);
        if (req->state == BC_REQ_SUSPENDED) {
            if (park) park(req);
            req->parked = true;
            pthread_mutex_unlock(&req->srv->async_mu);
            return BC_ASYNC;
        }
        bc_req_cont_fn cont = req->state == BC_REQ_READY ? req->cont : NULL;
        void *ud = req->cont_ud;
        req->cont = NULL;
        if (cont) req->state = BC_REQ_RUNNING;
        pthread_mutex_unlock(&req->srv->async_mu);
        if (!cont) break;
        int rc = cont(req, ud);
        if (rc != BC_ASYNC && rc < 0 && !req->status) bc_reply_error(req, rc, req->err_msg);
    }
    if (!req->status) bc_reply_error(req, BC_EINTERNAL, NULL);
    return 0;
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
    /* If the transport has not parked the request yet, it will see READY and send the reply itself;
     * otherwise it is parked (a connection suspended in libmicrohttpd, a Lambda invocation waiting) and must
     * be woken so that the continuation loop runs again. */
    if (req->parked) {
        req->parked = false;
        if (req->tx->wake) req->tx->wake(req);
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

/* On a worker thread, when the sync of the request's writes failed: they are committed but not known to be
 * durable, so the answer is not the handler's. */
static int durable_failed(struct bc_req *req, void *ud)
{
    req->nheaders = 0;
    return bc_reply_error(req, (int)(intptr_t)ud, "The change was saved but could not be confirmed on disk.");
}

/* From the store's sync thread */
static void durable_done(void *ud, int rc)
{
    struct bc_req *req = ud;
    if (rc < 0)
        bc_req_resume_with(req, durable_failed, (void *)(intptr_t)rc);
    else
        bc_req_resume(req);
}

int bc_req_await_durable(struct bc_req *req, void (*park)(struct bc_req *req))
{
    if (!req->durable.store) return 0;
    struct bc_store_ticket t = req->durable;
    req->durable = (struct bc_store_ticket){0};
    bc_req_suspend(req);
    if (!bc_store_when_durable(&t, durable_done, req)) {
        pthread_mutex_lock(&req->srv->async_mu);
        req->state = BC_REQ_RUNNING;
        pthread_mutex_unlock(&req->srv->async_mu);
        return 0;
    }
    return bc_req_continue(req, park);
}

void bc_req_attach(struct bc_req *req, void *ud, void (*free_fn)(void *ud))
{
    req->attach_ud = ud;
    req->attach_free = free_fn;
}
