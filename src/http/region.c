/* Home regions (region.h): the settings, the signed X-Bookchat-Forwarded header, and the decision to serve a
 * request here, forward it to its tenant's home region, or answer 421 wrong_region. */
#include "http/region.h"
#include "auth/secret.h"
#include "domain/tenant.h"
#include "http/router.h"
#include "http/server.h"
#include "net/proxy.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_REGIONS 32
#define MAX_FWD_HDR 64

struct bc_regions {
    char self[33];
    bool forward;
    long timeout_ms;
    int n;
    char name[MAX_REGIONS][33];
    char url[MAX_REGIONS][256];
    struct bc_proxy *proxy; /* only when forwarding is on */
    /* writes of tenants homed elsewhere, by outcome (enum outcome), for /metrics */
    atomic_ulong writes[3];
};

enum outcome { O_FORWARDED, O_FAILED, O_MISDIRECTED };

/* ---- settings ---- */

/* "a=https://x,b=http://y:8080/" into g; 0 or BC_EINVALID with err. */
static int parse_urls(struct bc_regions *g, const char *list, char *err, size_t errsize)
{
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ',' || *p == ' ') p++;
        if (!*p) break;
        size_t len = strcspn(p, ", ");
        const char *eq = memchr(p, '=', len);
        char name[33] = "", url[256] = "";
        if (eq && (size_t)(eq - p) < sizeof name && len - (size_t)(eq - p) - 1 < sizeof url) {
            memcpy(name, p, (size_t)(eq - p));
            memcpy(url, eq + 1, len - (size_t)(eq - p) - 1);
        }
        size_t ul = strlen(url);
        while (ul && url[ul - 1] == '/') url[--ul] = '\0';
        size_t scheme = strncmp(url, "http://", 7) == 0 ? 7 : strncmp(url, "https://", 8) == 0 ? 8 : 0;
        if (!bc_tenant_region_ok(name) || !scheme || !url[scheme] || url[scheme] == '/' ||
            strpbrk(url, "?#") || g->n >= MAX_REGIONS) {
            snprintf(err, errsize,
                     "region_urls: '%.*s' is not REGION=http(s)://HOST[:PORT][/PATH] (at most %d regions)",
                     (int)(len > 80 ? 80 : len), p, MAX_REGIONS);
            return BC_EINVALID;
        }
        memcpy(g->name[g->n], name, sizeof name);
        memcpy(g->url[g->n], url, sizeof url);
        g->n++;
        p += len;
    }
    return 0;
}

int bc_regions_new(struct bc_regions **out, char *err, size_t errsize)
{
    const char *self = bc_config_get(BC_CFG_REGION);
    *out = NULL;
    if (!self || !*self) return 0;
    if (!bc_tenant_region_ok(self)) {
        snprintf(err, errsize, "region '%.40s' must be 1 to 32 of a-z, 0-9 and '-' (e.g. eu-west-1)", self);
        return BC_EINVALID;
    }
    struct bc_regions *g = calloc(1, sizeof *g);
    if (!g) return BC_ENOMEM;
    snprintf(g->self, sizeof g->self, "%s", self);
    g->forward = bc_config_bool(BC_CFG_REGION_FORWARD);
    long t = bc_config_int(BC_CFG_REGION_FORWARD_TIMEOUT, 30);
    g->timeout_ms = (t < 1 || t > 600 ? 30 : t) * 1000;
    int rc = parse_urls(g, bc_config_get(BC_CFG_REGION_URLS), err, errsize);
    if (rc == 0 && g->forward) rc = bc_proxy_new(&g->proxy);
    if (rc < 0) {
        if (!*err) snprintf(err, errsize, "cannot start the region forwarder");
        free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void bc_regions_stop(struct bc_regions *g)
{
    if (g) bc_proxy_stop(g->proxy);
}

void bc_regions_free(struct bc_regions *g)
{
    if (!g) return;
    bc_proxy_free(g->proxy);
    free(g);
}

void bc_regions_metrics(struct bc_regions *g, struct bc_buf *b)
{
    static const char *const names[3] = {"forwarded", "failed", "misdirected"};
    if (!g) return;
    bc_metrics_family(b, "bookchat_region_writes_total", "counter",
                      "Writes of tenants homed in another region: proxied there (forwarded), not answered by "
                      "it (failed), or refused with 421 (misdirected). docs/scaling.md, Home regions.");
    for (int i = 0; i < 3; i++) {
        char l[40];
        snprintf(l, sizeof l, "outcome=\"%s\"", names[i]);
        bc_metrics_sample(b, "bookchat_region_writes_total", l, (double)atomic_load(&g->writes[i]));
    }
}

const char *bc_regions_self(const struct bc_regions *g)
{
    return g ? g->self : NULL;
}

const char *bc_regions_url(const struct bc_regions *g, const char *region)
{
    for (int i = 0; g && region && i < g->n; i++)
        if (strcmp(g->name[i], region) == 0) return g->url[i];
    return NULL;
}

/* ---- the signed header ---- */

static void mac_of(const char *origin, const char *client, long long ts, const char *method, const char *path,
                   char out[65])
{
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "v1\n%s\n%s\n%lld\n%s\n%s", origin, client, ts, method, path);
    bc_secret_hmac_hex("region-forward", b.data ? b.data : "", b.len, out);
    bc_buf_release(&b);
}

static bool ip_ok(const char *s)
{
    unsigned char a[16];
    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

int bc_region_sign(char *out, size_t outsize, const char *origin, const char *client, long long now,
                   const char *method, const char *path)
{
    char mac[65];
    if (!bc_tenant_region_ok(origin) || !client || !ip_ok(client)) return BC_EINVALID;
    mac_of(origin, client, now, method, path, mac);
    int n = snprintf(out, outsize, "v1;origin=%s;client=%s;ts=%lld;mac=%s", origin, client, now, mac);
    return n > 0 && (size_t)n < outsize ? 0 : BC_EINVALID;
}

/* The value of "name=" among the ';'-separated fields of v into out; false when absent or too long. */
static bool field(const char *v, const char *name, char *out, size_t outsize)
{
    size_t nl = strlen(name);
    for (const char *p = v; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL) {
        if (strncmp(p, name, nl) != 0 || p[nl] != '=') continue;
        const char *s = p + nl + 1;
        size_t len = strcspn(s, ";");
        if (len == 0 || len >= outsize) return false;
        memcpy(out, s, len);
        out[len] = '\0';
        return true;
    }
    return false;
}

int bc_region_verify(const char *value, const char *method, const char *path, long long now, char origin[33],
                     char client[64])
{
    char ts[24], mac[72], want[65];
    if (!value || strncmp(value, "v1;", 3) != 0 || !field(value + 3, "origin", origin, 33) ||
        !field(value + 3, "client", client, 64) || !field(value + 3, "ts", ts, sizeof ts) ||
        !field(value + 3, "mac", mac, sizeof mac))
        return BC_EFORBIDDEN;
    char *end;
    long long t = strtoll(ts, &end, 10);
    if (*end || !bc_tenant_region_ok(origin) || !ip_ok(client) || strlen(mac) != 64) return BC_EFORBIDDEN;
    if (t < now - BC_REGION_FORWARD_SKEW_S || t > now + BC_REGION_FORWARD_SKEW_S) return BC_EFORBIDDEN;
    mac_of(origin, client, t, method, path, want);
    return sodium_memcmp(want, mac, 64) == 0 ? 0 : BC_EFORBIDDEN;
}

/* req->fwd: 0 not looked at yet, 1 no header, 2 verified, 3 present and not verified */
static int forwarded_state(struct bc_req *req)
{
    if (req->fwd) return req->fwd;
    const char *v = bc_req_header(req, BC_REGION_HEADER);
    char origin[33], client[64];
    req->fwd = 1;
    if (v) {
        req->fwd = 3;
        if (bc_region_verify(v, req->method_str, req->path, (long long)time(NULL), origin, client) == 0) {
            req->fwd_origin = bc_arena_strdup(&req->arena, origin);
            req->fwd_client = bc_arena_strdup(&req->arena, client);
            if (req->fwd_origin && req->fwd_client) req->fwd = 2;
        }
    }
    return req->fwd;
}

const char *bc_region_forwarded_client(struct bc_req *req)
{
    return forwarded_state(req) == 2 ? req->fwd_client : NULL;
}

int bc_region_check(struct bc_req *req)
{
    if (forwarded_state(req) != 3) return 0;
    bc_log(BC_LOG_WARN, "refused a request with an invalid %s header (%s %s)", BC_REGION_HEADER,
           req->method_str, req->path);
    return bc_fail(req, BC_EFORBIDDEN,
                   BC_REGION_HEADER " does not verify: only a bookchat region (sharing the server secret) "
                                    "sends it.");
}

/* ---- where a request goes ---- */

/* s percent-encoded into b, keeping the unreserved characters and those of keep */
static void pct(struct bc_buf *b, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) || (*p && strchr(keep, *p))) {
            bc_buf_putc(b, (char)*p);
        } else {
            bc_buf_putc(b, '%');
            bc_buf_putc(b, hex[*p >> 4]);
            bc_buf_putc(b, hex[*p & 15]);
        }
    }
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct bc_buf *b = cls;
    (void)kind;
    bc_buf_putc(b, strchr(b->data, '?') ? '&' : '?');
    pct(b, key, "");
    if (value) {
        bc_buf_putc(b, '=');
        pct(b, value, "");
    }
    return MHD_YES;
}

/* The request's URL at base (in the arena), or NULL. */
static const char *target_url(struct bc_req *req, const char *base)
{
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_puts(&b, base);
    pct(&b, req->path, "/:@!$&'()*,;="); /* '+' encoded: some servers read it as a space */
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_arg, &b);
    const char *s = b.data ? bc_arena_strdup(&req->arena, b.data) : NULL;
    bc_buf_release(&b);
    return s;
}

static int misdirected(struct bc_req *req, const char *home, const char *url, const char *why)
{
    const char *loc = url ? target_url(req, url) : NULL;
    bc_reply_header(req, "X-Bookchat-Home-Region", home);
    if (loc) bc_reply_header(req, "Location", loc);
    char msg[300];
    snprintf(msg, sizeof msg, "This tenant's writes are served by its home region, %s: %s.", home, why);
    json_t *body = json_pack("{s:{s:s, s:s, s:s, s:o}}", "error", "code", "wrong_region", "message", msg,
                             "region", home, "url", url ? json_string(url) : json_null());
    req->err_code = "wrong_region";
    atomic_fetch_add(&req->srv->regions->writes[O_MISDIRECTED], 1);
    int rc = bc_reply_json(req, 421, body);
    return rc < 0 ? rc : BC_REGION_ANSWERED;
}

/* the request headers that go to the home region: all but the hop-by-hop ones and those it must not trust
 * from us (our own header is signed anew, the client address travels inside it) */
static bool relayed_request_header(const char *name)
{
    static const char *const skip[] = {
        "Host",
        "Connection",
        "Keep-Alive",
        "Transfer-Encoding",
        "Content-Length",
        "Expect",
        "Upgrade",
        "TE",
        "Trailer",
        "Proxy-Authorization",
        "Proxy-Connection",
        "X-Forwarded-For",
        "Accept-Encoding",
        BC_REGION_HEADER,
    };
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strcasecmp(name, skip[i]) == 0) return false;
    return true;
}

/* the answer's headers that come back: all but the hop-by-hop ones and those this server sets itself */
static bool relayed_answer_header(const char *name)
{
    static const char *const skip[] = {
        "Connection",
        "Keep-Alive",
        "Transfer-Encoding",
        "Content-Length",
        "Content-Type",
        "Date",
        "Server",
        "X-Request-Id",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Strict-Transport-Security",
    };
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strcasecmp(name, skip[i]) == 0) return false;
    return true;
}

struct hdrs {
    struct bc_req *req;
    const char *lines[MAX_FWD_HDR + 1];
    size_t n;
};

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct hdrs *h = cls;
    (void)kind;
    if (h->n >= MAX_FWD_HDR || !relayed_request_header(key)) return MHD_YES;
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "%s: %s", key, value ? value : "");
    const char *line = b.data ? bc_arena_strdup(&h->req->arena, b.data) : NULL;
    bc_buf_release(&b);
    if (line) h->lines[h->n++] = line;
    return MHD_YES;
}

struct forward {
    struct bc_req *req;
    const char *home; /* in the request's arena */
    struct bc_proxy_result *res;
};

static void forward_free(void *ud)
{
    struct forward *f = ud;
    bc_proxy_result_free(f->res);
    free(f);
}

/* On a worker thread: the home region's answer becomes this request's. */
static int forward_answered(struct bc_req *req, void *ud)
{
    struct forward *f = ud;
    struct bc_proxy_result *r = f->res;
    atomic_fetch_add(&req->srv->regions->writes[r->rc < 0 ? O_FAILED : O_FORWARDED], 1);
    if (r->rc < 0) {
        bc_log(BC_LOG_WARN, "forwarding %s %s to region %s failed: %s", req->method_str, req->path, f->home,
               r->error);
        bc_reply_header(req, "Retry-After", "5");
        return bc_fail(req, r->rc == BC_ETIMEOUT ? BC_ETIMEOUT : BC_EUNAVAILABLE,
                       "The tenant's home region (%s) did not answer (%s); retry later.", f->home, r->error);
    }
    req->nheaders =
        0; /* what this region's checks added (CORS, rate limits): the home's answer has its own */
    for (size_t i = 0; i < r->nheaders; i++)
        if (relayed_answer_header(r->headers[i].name))
            bc_reply_header(req, r->headers[i].name, r->headers[i].value);
    req->proxied = true;
    const char *ctype = bc_proxy_result_header(r, "Content-Type");
    return bc_reply_bytes(req, (int)r->status, ctype ? ctype : "application/octet-stream",
                          r->body ? r->body : "", r->body_len, true);
}

/* On the proxy's thread. */
static void forward_done(void *ud, struct bc_proxy_result *r)
{
    struct forward *f = ud;
    f->res = r;
    bc_req_resume_with(f->req, forward_answered, f);
}

static int forward(struct bc_req *req, struct bc_regions *g, const char *home, const char *base)
{
    struct hdrs h = {.req = req};
    char sig[400];
    const char *url = target_url(req, base);
    if (!url || bc_region_sign(sig, sizeof sig, g->self, bc_req_remote(req), (long long)time(NULL),
                               req->method_str, req->path) < 0)
        return BC_EINTERNAL;
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_header, &h);
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "%s: %s", BC_REGION_HEADER, sig);
    h.lines[h.n] = b.data ? bc_arena_strdup(&req->arena, b.data) : NULL;
    bc_buf_release(&b);
    if (!h.lines[h.n]) return BC_ENOMEM;
    h.n++;
    struct forward *f = calloc(1, sizeof *f);
    if (!f) return BC_ENOMEM;
    f->req = req;
    f->home = bc_arena_strdup(&req->arena, home);
    bc_req_attach(req, f, forward_free);
    struct bc_proxy_req pr = {
        .method = req->method_str,
        .url = url,
        .headers = h.lines,
        .nheaders = h.n,
        .body = req->body.data ? req->body.data : "",
        .body_len = req->body.len,
        .timeout_ms = g->timeout_ms,
    };
    /* suspended before the submit: the answer may come back before this thread returns */
    bc_req_suspend(req);
    int rc = bc_proxy_submit(g->proxy, &pr, forward_done, f);
    if (rc < 0) {
        bc_fail(req, BC_EUNAVAILABLE, "Cannot forward to the tenant's home region (%s).", home);
        bc_reply_error(req, BC_EUNAVAILABLE, req->err_msg);
        bc_req_resume(req);
    }
    return BC_ASYNC;
}

int bc_region_route(struct bc_req *req, const struct bc_route *r)
{
    if (req->method == BC_GET || req->method == BC_HEAD || req->method == BC_OPTIONS ||
        (r->flags & BC_ROUTE_NO_AUDIT) ||
        (r->auth != BC_AUTH_APIKEY && r->auth != BC_AUTH_CONV && r->auth != BC_AUTH_JWT))
        return 0;
    return bc_region_write_here(req);
}

int bc_region_write_here(struct bc_req *req)
{
    struct bc_regions *g = req->srv->regions;
    if (!g) return 0;
    const char *home = bc_tenant_home_region(req->ctx.tenant);
    if (!home || strcmp(home, g->self) == 0) return 0;
    const char *url = bc_regions_url(g, home);
    if (forwarded_state(req) == 2) { /* never a second hop: the regions disagree about the home (a move) */
        char why[120];
        snprintf(why, sizeof why, "region %s forwarded it here, and a request is forwarded once only",
                 req->fwd_origin);
        return misdirected(req, home, url, why);
    }
    if (!g->proxy) return misdirected(req, home, url, "forwarding is off in this region; send it there");
    if (!url) return misdirected(req, home, url, "this region has no URL for it (region_urls)");
    return forward(req, g, home, url);
}
