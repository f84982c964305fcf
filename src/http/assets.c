/* Lookup of embedded assets by URL path, their content types and cache policies, and the two request
 * headers that decide how one is served (If-None-Match, Accept-Encoding). */
#include "http/assets.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CSP_COMMON                                                                                           \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src "        \
    "'self'; "                                                                                               \
    "connect-src 'self'; worker-src blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
const char bc_asset_csp[] = CSP_COMMON "frame-ancestors 'self'";
const char bc_asset_csp_console[] = CSP_COMMON "frame-ancestors 'none'";

bool bc_asset_is_console(const char *path)
{
    /* the settings' live preview is framed by the admin console itself (same origin) */
    if (strcmp(path, "/admin/preview.html") == 0) return false;
    /* the manage page acts on a booking with the token in its URL: no site may frame it (clickjacking) */
    return strncmp(path, "/admin/", 7) == 0 || strncmp(path, "/platform/", 10) == 0 ||
           strncmp(path, "/manage/", 8) == 0;
}

const struct bc_asset *bc_asset_find(const char *path)
{
    char index[256];
    size_t n = strlen(path);
    if (n > 0 && path[n - 1] == '/') {
        if (n + sizeof "index.html" > sizeof index) return NULL;
        memcpy(index, path, n);
        memcpy(index + n, "index.html", sizeof "index.html");
        path = index;
    }
    for (unsigned long i = 0; i < bc_nassets; i++)
        if (strcmp(bc_assets[i].path, path) == 0) return &bc_assets[i];
    return NULL;
}

const char *bc_asset_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
        {".map", "application/json; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

const char *bc_asset_cache_control(enum bc_asset_kind kind)
{
    switch (kind) {
    case BC_ASSET_IMMUTABLE:
        return "public, max-age=31536000, immutable";
    case BC_ASSET_STABLE:
        /* the embed snippet's URL never changes: sites pick up a new widget within five minutes */
        return "public, max-age=300";
    case BC_ASSET_PAGE:
    case BC_ASSET_DOC:
        break;
    }
    return "no-cache";
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

bool bc_asset_etag_matches(const char *inm, const char *etag)
{
    if (!inm || !etag) return false;
    size_t elen = strlen(etag);
    const char *p = inm;
    for (;;) {
        p = skip_ows(p);
        if (*p == '\0') return false;
        if (*p == '*') return true;
        if (strncmp(p, "W/", 2) == 0) p += 2;
        const char *end = p;
        if (*p == '"') {
            end = strchr(p + 1, '"');
            if (!end) return false;
            end++;
        } else {
            while (*end && *end != ',') end++; /* not a quoted tag: skip it */
        }
        if ((size_t)(end - p) == elen && memcmp(p, etag, elen) == 0) return true;
        p = strchr(end, ',');
        if (!p) return false;
        p++;
    }
}

bool bc_asset_accepts_gzip(const char *ae)
{
    if (!ae) return false;
    bool star = false, gzip = false, gzip_listed = false;
    const char *p = ae;
    while (*p) {
        p = skip_ows(p);
        const char *name = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t') p++;
        size_t nlen = (size_t)(p - name);
        double q = 1.0;
        p = skip_ows(p);
        while (*p == ';') { /* parameters: only q matters */
            p = skip_ows(p + 1);
            if ((*p == 'q' || *p == 'Q') && p[1] == '=') q = strtod(p + 2, NULL);
            while (*p && *p != ',' && *p != ';') p++;
        }
        bool ok = q > 0.0;
        if ((nlen == 4 && strncasecmp(name, "gzip", 4) == 0) ||
            (nlen == 6 && strncasecmp(name, "x-gzip", 6) == 0)) {
            gzip_listed = true;
            gzip = ok;
        } else if (nlen == 1 && *name == '*') {
            star = ok;
        }
        while (*p && *p != ',') p++;
        if (*p == ',') p++;
    }
    return gzip_listed ? gzip : star;
}
