/* Lambda events in and answers out (lambda.h): the transport of a request that arrived as an API Gateway HTTP
 * API (payload 2.0) or Function URL event. */
#include "http/lambda.h"
#include "http/http.h"
#include "http/router.h"
#include "http/server.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/passes.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The event as the transport reads it: the request's arena holds it all; strings are the event's own
 * (borrowed: the event outlives the request) or arena copies. */
struct lambda_ev {
    const json_t *ev;
    int nh, nq;
    const char **hn, **hv; /* headers: name (lower case, as the event gives them), value */
    const char **qk, **qv; /* query arguments, decoded */
    unsigned char ip[16];
    bool have_ip;
};

static struct lambda_ev *ev_of(struct bc_req *req)
{
    return req->tx_ud;
}

static const char *ev_header(struct bc_req *req, const char *name)
{
    struct lambda_ev *e = ev_of(req);
    for (int i = 0; i < e->nh; i++)
        if (strcasecmp(e->hn[i], name) == 0) return e->hv[i];
    return NULL;
}

/* API Gateway already joins a header's several values with commas */
static void ev_header_all(struct bc_req *req, const char *name, struct bc_buf *out)
{
    const char *v = ev_header(req, name);
    if (v) bc_buf_puts(out, v);
}

static const char *ev_query(struct bc_req *req, const char *name)
{
    struct lambda_ev *e = ev_of(req);
    for (int i = 0; i < e->nq; i++)
        if (strcmp(e->qk[i], name) == 0) return e->qv[i];
    return NULL;
}

static void ev_each_query(struct bc_req *req, void (*fn)(void *ud, const char *key, const char *value),
                          void *ud)
{
    struct lambda_ev *e = ev_of(req);
    for (int i = 0; i < e->nq; i++) fn(ud, e->qk[i], e->qv[i]);
}

static bool ev_peer(struct bc_req *req, unsigned char ip[16])
{
    struct lambda_ev *e = ev_of(req);
    if (e->have_ip) memcpy(ip, e->ip, 16);
    return e->have_ip;
}

/* under srv->async_mu: bc_lambda_answer waits on async_cv */
static void ev_wake(struct bc_req *req)
{
    pthread_cond_broadcast(&req->srv->async_cv);
}

static const struct bc_transport lambda_transport = {
    .name = "lambda",
    .header = ev_header,
    .header_all = ev_header_all,
    .query = ev_query,
    .each_query = ev_each_query,
    .peer = ev_peer,
    .wake = ev_wake,
    .streams = false,
};

/* ---- the event ---- */

static const char *str_at(const json_t *o, const char *path)
{
    char key[64];
    const json_t *v = o;
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key) return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        v = json_is_object(v) ? json_object_get(v, key) : NULL;
        path += n + (path[n] == '.');
    }
    return json_is_string(v) ? json_string_value(v) : NULL;
}

enum bc_lambda_kind bc_lambda_kind(const json_t *event)
{
    if (!json_is_object(event)) return BC_LAMBDA_UNKNOWN;
    const char *src = str_at(event, "source"), *dt = str_at(event, "detail-type");
    if (src && strcmp(src, "aws.events") == 0 && dt && strcmp(dt, "Scheduled Event") == 0)
        return BC_LAMBDA_SCHEDULED;
    const char *version = str_at(event, "version");
    if (version && strcmp(version, "2.0") == 0 && str_at(event, "rawPath") &&
        str_at(event, "requestContext.http.method"))
        return BC_LAMBDA_HTTP;
    return BC_LAMBDA_UNKNOWN;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* n bytes of s percent-decoded into the arena ('+' as a space when plus), as libmicrohttpd decodes a URL
 * (its path, and its arguments with '+'); a bad escape stays as it is. Stops at a decoded NUL. */
static char *decode(struct bc_arena *a, const char *s, size_t n, bool plus)
{
    char *out = bc_arena_alloc(a, n + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c == '\0') break;
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

static int parse_query(struct bc_arena *a, struct lambda_ev *e, const char *q)
{
    size_t n = 0;
    for (const char *p = q; *p; p++) n += *p == '&';
    e->qk = bc_arena_alloc(a, (n + 1) * sizeof *e->qk);
    e->qv = bc_arena_alloc(a, (n + 1) * sizeof *e->qv);
    if (!e->qk || !e->qv) return BC_ENOMEM;
    for (const char *p = q; *p;) {
        size_t len = strcspn(p, "&");
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            e->qk[e->nq] = decode(a, p, klen, true);
            e->qv[e->nq] = eq ? decode(a, eq + 1, len - klen - 1, true) : NULL;
            if (!e->qk[e->nq] || (eq && !e->qv[e->nq])) return BC_ENOMEM;
            e->nq++;
        }
        p += len + (p[len] == '&');
    }
    return 0;
}

/* The event's headers, and its cookies[] as one "cookie" header (payload 2.0 moves them out of headers). */
static int parse_headers(struct bc_arena *a, struct lambda_ev *e, const json_t *headers,
                         const json_t *cookies, char *msg, size_t msgsize)
{
    if (headers && !json_is_object(headers)) {
        snprintf(msg, msgsize, "headers is not an object");
        return BC_EINVALID;
    }
    if (cookies && !json_is_array(cookies)) {
        snprintf(msg, msgsize, "cookies is not an array");
        return BC_EINVALID;
    }
    size_t n = json_object_size(headers) + 1;
    e->hn = bc_arena_alloc(a, n * sizeof *e->hn);
    e->hv = bc_arena_alloc(a, n * sizeof *e->hv);
    if (!e->hn || !e->hv) return BC_ENOMEM;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)headers, k, v)
    {
        if (!json_is_string(v)) {
            snprintf(msg, msgsize, "header %.60s is not a string", k);
            return BC_EINVALID;
        }
        if (strcasecmp(k, "cookie") == 0 && json_array_size(cookies)) continue; /* cookies[] wins */
        e->hn[e->nh] = k;
        e->hv[e->nh++] = json_string_value(v);
    }
    if (json_array_size(cookies)) {
        struct bc_buf b = BC_BUF_INIT;
        size_t i;
        json_array_foreach(cookies, i, v)
        {
            if (!json_is_string(v)) {
                bc_buf_release(&b);
                snprintf(msg, msgsize, "cookies[%zu] is not a string", i);
                return BC_EINVALID;
            }
            if (i) bc_buf_puts(&b, "; ");
            bc_buf_puts(&b, json_string_value(v));
        }
        e->hn[e->nh] = "cookie";
        e->hv[e->nh] = b.data ? bc_arena_strdup(a, b.data) : NULL;
        bc_buf_release(&b);
        if (!e->hv[e->nh]) return BC_ENOMEM;
        e->nh++;
    }
    return 0;
}

static bool parse_ip(const char *s, unsigned char out[16])
{
    struct in_addr a4;
    if (s && inet_pton(AF_INET, s, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return true;
    }
    return s && inet_pton(AF_INET6, s, out) == 1;
}

/* The body, base64-decoded when the event says so; over the limit it is not kept (the router answers 413). */
static int read_body(struct bc_req *req, const json_t *event, char *msg, size_t msgsize)
{
    const json_t *body = json_object_get(event, "body");
    if (!body || json_is_null(body)) return 0;
    if (!json_is_string(body)) {
        snprintf(msg, msgsize, "body is not a string");
        return BC_EINVALID;
    }
    const char *s = json_string_value(body);
    size_t n = json_string_length(body);
    if (!json_is_true(json_object_get(event, "isBase64Encoded"))) {
        if (n > req->srv->body_limit) req->body_too_large = true;
        return req->body_too_large || !n ? 0 : bc_buf_append(&req->body, s, n);
    }
    size_t cap = n / 4 * 3 + 3, len = 0;
    if (cap > req->srv->body_limit + 3) {
        req->body_too_large = true;
        return 0;
    }
    if (bc_buf_reserve(&req->body, cap) < 0) return BC_ENOMEM;
    if (sodium_base642bin((unsigned char *)req->body.data, cap, s, n, "\r\n", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        snprintf(msg, msgsize, "body is not valid base64");
        return BC_EINVALID;
    }
    req->body.len = len;
    if (len > req->srv->body_limit) {
        req->body_too_large = true;
        bc_buf_reset(&req->body);
    }
    return 0;
}

int bc_lambda_request(struct bc_server *srv, const json_t *event, struct bc_req **out, char *msg,
                      size_t msgsize)
{
    *out = NULL;
    if (bc_lambda_kind(event) != BC_LAMBDA_HTTP) {
        snprintf(msg, msgsize, "not an API Gateway HTTP API (payload 2.0) or Function URL event");
        return BC_EINVALID;
    }
    const char *method = str_at(event, "requestContext.http.method"), *raw = str_at(event, "rawPath");
    const char *q = str_at(event, "rawQueryString");
    if (raw[0] != '/') {
        snprintf(msg, msgsize, "rawPath does not start with /");
        return BC_EINVALID;
    }
    struct bc_req *req = bc_req_new(srv, &lambda_transport, method, "");
    if (!req) return BC_ENOMEM;
    struct lambda_ev *e = bc_arena_alloc(&req->arena, sizeof *e);
    int rc = e ? 0 : BC_ENOMEM;
    if (rc == 0) {
        memset(e, 0, sizeof *e);
        e->ev = event;
        req->tx_ud = e;
        req->path = decode(&req->arena, raw, strlen(raw), false);
        rc = req->path ? parse_query(&req->arena, e, q ? q : "") : BC_ENOMEM;
    }
    if (rc == 0)
        rc = parse_headers(&req->arena, e, json_object_get(event, "headers"),
                           json_object_get(event, "cookies"), msg, msgsize);
    if (rc == 0) rc = read_body(req, event, msg, msgsize);
    if (rc == 0) e->have_ip = parse_ip(str_at(event, "requestContext.http.sourceIp"), e->ip);
    if (rc < 0) {
        if (rc == BC_ENOMEM) snprintf(msg, msgsize, "out of memory");
        bc_req_free(req);
        return rc;
    }
    *out = req;
    return 0;
}

/* ---- the answer ---- */

struct render {
    json_t *headers, *cookies;
};

static void put_header(void *ud, const char *name, const char *value)
{
    struct render *r = ud;
    if (strcasecmp(name, "Set-Cookie") == 0) {
        json_array_append_new(r->cookies, json_string(value));
        return;
    }
    const json_t *old = json_object_get(r->headers, name);
    if (old) { /* one header twice: one comma-joined value, as HTTP allows */
        size_t n = strlen(json_string_value(old)) + strlen(value) + 3;
        char *j = malloc(n);
        if (!j) return;
        snprintf(j, n, "%s, %s", json_string_value(old), value);
        json_object_set_new(r->headers, name, json_string(j));
        free(j);
        return;
    }
    json_object_set_new(r->headers, name, json_string(value));
}

/* Text the event's caller can carry as a JSON string: a textual type, not content-encoded (and valid UTF-8,
 * which json_stringn checks). */
static bool sendable_as_text(struct bc_req *req)
{
    for (int i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->hnames[i], "Content-Encoding") == 0) return false;
    const char *t = req->ctype;
    return !t || strncmp(t, "text/", 5) == 0 || strstr(t, "json") || strstr(t, "javascript") ||
           strstr(t, "xml");
}

json_t *bc_lambda_render(struct bc_req *req)
{
    struct render r = {json_object(), json_array()};
    json_t *out = json_object(), *body = NULL;
    bool b64 = false;
    if (!r.headers || !r.cookies || !out) goto fail;
    bc_req_each_header(req, put_header, &r);
    size_t len = req->method == BC_HEAD ? 0 : req->resp_len;
    const char *data = req->resp_body ? req->resp_body : "";
    if (len && sendable_as_text(req)) body = json_stringn(data, len);
    if (!body && len) {
        size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
        char *enc = malloc(cap);
        if (!enc) goto fail;
        sodium_bin2base64(enc, cap, (const unsigned char *)data, len, sodium_base64_VARIANT_ORIGINAL);
        body = json_string(enc);
        free(enc);
        b64 = true;
    }
    if (!body) body = json_string("");
    if (!body) goto fail;
    json_object_set_new(out, "statusCode", json_integer(req->status));
    json_object_set_new(out, "headers", r.headers);
    json_object_set_new(out, "cookies", r.cookies);
    json_object_set_new(out, "body", body);
    json_object_set_new(out, "isBase64Encoded", json_boolean(b64));
    return out;
fail:
    json_decref(r.headers);
    json_decref(r.cookies);
    json_decref(out);
    return NULL;
}

/* ---- dispatch, waiting, orphans ---- */

/* Requests given up at the hard deadline while parked (see DESIGN NOTES), under orphans_mu. Per process:
 * the invocation loop is one per process, and an orphan may outlive the invocation that made it. */
static struct orphan {
    struct orphan *next;
    struct bc_req *req;
} * orphans;
static pthread_mutex_t orphans_mu = PTHREAD_MUTEX_INITIALIZER;

static void abandon(struct bc_req *req)
{
    struct orphan *o = calloc(1, sizeof *o);
    if (!o) { /* cannot even remember it: leaking it is safer than freeing a turn whose call is out */
        bc_log(BC_LOG_ERROR, "lambda: out of memory keeping an abandoned request");
        return;
    }
    o->req = req;
    pthread_mutex_lock(&orphans_mu);
    o->next = orphans;
    orphans = o;
    pthread_mutex_unlock(&orphans_mu);
}

int bc_lambda_reap(int64_t wait_ns)
{
    int64_t until = bc_mono_ns() + (wait_ns > 0 ? wait_ns : 0);
    int left;
    for (;;) {
        left = 0;
        pthread_mutex_lock(&orphans_mu);
        for (struct orphan **p = &orphans; *p;) {
            struct orphan *o = *p;
            struct bc_req *req = o->req;
            pthread_mutex_lock(&req->srv->async_mu);
            bool back = !req->parked; /* resumed: its callback has run, nothing else will touch it */
            pthread_mutex_unlock(&req->srv->async_mu);
            if (back) {
                *p = o->next;
                bc_req_done(req, true);
                free(o);
            } else {
                left++;
                p = &o->next;
            }
        }
        pthread_mutex_unlock(&orphans_mu);
        if (!left || bc_mono_ns() >= until) return left;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Waits on the server's async_cv until req is woken or the hard deadline; true when woken. */
static bool wait_woken(struct bc_req *req, int64_t hard_deadline_ns)
{
    struct bc_server *srv = req->srv;
    struct timespec until = bc_passes_abstime(hard_deadline_ns);
    pthread_mutex_lock(&srv->async_mu);
    while (req->parked && bc_mono_ns() < hard_deadline_ns)
        if (pthread_cond_timedwait(&srv->async_cv, &srv->async_mu, &until) != 0) break;
    bool woken = !req->parked;
    pthread_mutex_unlock(&srv->async_mu);
    return woken;
}

json_t *bc_lambda_answer(struct bc_req *req, int64_t hard_deadline_ns)
{
    req->state = BC_REQ_RUNNING;
    bc_router_dispatch(req);
    while (bc_req_continue(req, NULL) == BC_ASYNC) {
        if (wait_woken(req, hard_deadline_ns)) continue;
        /* still parked at the hard limit: 504 from a stand-in, the request kept until its callback is back */
        bc_log(BC_LOG_ERROR, "lambda: %s %s still waiting at the invocation's deadline: 504", req->method_str,
               req->path);
        struct bc_req *stand_in = bc_req_new(req->srv, req->tx, req->method_str, req->path);
        json_t *out = NULL;
        if (stand_in) {
            stand_in->tx_ud = req->tx_ud;
            bc_reply_error(stand_in, BC_ETIMEOUT, "The answer took longer than the invocation's time.");
            bc_req_seal(stand_in);
            out = bc_lambda_render(stand_in);
            bc_req_done(stand_in, false);
        }
        abandon(req);
        return out;
    }
    bc_req_seal(req);
    json_t *out = bc_lambda_render(req);
    bc_req_done(req, false);
    return out;
}
