/* The web pages and assets embedded at build time (/, /widget.js, /assets/…, /demo/, /admin/, /platform/):
 * gzip when the client takes it, ETag and 304, a cache policy per kind of asset (http/assets.h), a strict
 * Content-Security-Policy on pages, and CORS-readable, cross-origin-loadable scripts and files so a CDN or
 * any site can use them. */
#include "http/api.h"
#include "http/assets.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

int bc_api_serve_asset(struct bc_req *req, const struct bc_asset *a)
{
    bool gz = a->gz && bc_asset_accepts_gzip(bc_req_header(req, "Accept-Encoding"));
    const char *inm = bc_req_header(req, "If-None-Match");
    bc_reply_header(req, "ETag", gz ? a->gz_etag : a->etag);
    bc_reply_header(req, "Cache-Control", bc_asset_cache_control(a->kind));
    if (a->gz) bc_reply_header(req, "Vary", "Accept-Encoding");
    if (a->kind == BC_ASSET_PAGE) {
        bool console = bc_asset_is_console(a->path);
        bc_reply_header(req, "Content-Security-Policy", console ? bc_asset_csp_console : bc_asset_csp);
        bc_reply_header(req, "Referrer-Policy", "no-referrer");
        bc_reply_header(req, "X-Frame-Options", console ? "DENY" : "SAMEORIGIN");
        bc_reply_header(req, "Cross-Origin-Opener-Policy", "same-origin");
    } else {
        /* scripts and files any site may load (the widget) or read (a CDN, a tool reading the OpenAPI) */
        bc_reply_header(req, "Access-Control-Allow-Origin", "*");
        bc_reply_header(req, "Cross-Origin-Resource-Policy", "cross-origin");
    }
    /* both copies have the same content: a client holding either is up to date */
    if (bc_asset_etag_matches(inm, a->etag) || (a->gz && bc_asset_etag_matches(inm, a->gz_etag)))
        return bc_reply_empty(req, 304);
    if (gz) bc_reply_header(req, "Content-Encoding", "gzip");
    return bc_reply_bytes(req, 200, bc_asset_content_type(a->path), gz ? a->gz : a->data,
                          gz ? a->gz_len : a->len, false);
}

static void put_encoded(struct bc_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            bc_buf_putc(b, (char)c);
        } else {
            bc_buf_putc(b, '%');
            bc_buf_putc(b, hex[c >> 4]);
            bc_buf_putc(b, hex[c & 15]);
        }
    }
}

static void add_arg(void *cls, const char *key, const char *value)
{
    struct bc_buf *b = cls;
    bc_buf_putc(b, b->data && strchr(b->data, '?') ? '&' : '?');
    put_encoded(b, key);
    if (value) {
        bc_buf_putc(b, '=');
        put_encoded(b, value);
    }
}

/* "/demo" → "/demo/", keeping the query ("/demo?key=…" must keep its key). */
static int redirect_to_dir(struct bc_req *req)
{
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "%s/", req->path);
    req->tx->each_query(req, add_arg, &b);
    if (!b.data) return BC_ENOMEM;
    bc_reply_header(req, "Location", b.data);
    bc_reply_header(req, "Cache-Control", "no-cache");
    bc_buf_release(&b);
    return bc_reply_empty(req, 308);
}

int bc_api_web(struct bc_req *req)
{
    const struct bc_asset *a = bc_asset_find(req->path);
    if (a) return bc_api_serve_asset(req, a);
    size_t n = strlen(req->path);
    char dir[256];
    if (n > 1 && n + 2 < sizeof dir && req->path[n - 1] != '/') {
        memcpy(dir, req->path, n);
        memcpy(dir + n, "/", 2);
        if (bc_asset_find(dir)) return redirect_to_dir(req);
    }
    return bc_fail(req, BC_ENOT_FOUND, "No such page.");
}
