/* Files embedded into the binary at build time: the web assets that scripts/build-web.mjs builds from web/
 * (pages, the widget, content-hashed bundles, each with a gzip copy when that is smaller) and the OpenAPI
 * document. scripts/embed.c generates the table; how each kind is cached is decided here, in one place.
 * docs/web.md describes the pipeline. */
#ifndef BC_ASSETS_H
#define BC_ASSETS_H
#include <stdbool.h>
#include <stddef.h>

enum bc_asset_kind {
    BC_ASSET_DOC = 0,   /* a document with a fixed URL (the OpenAPI document): revalidated on every use */
    BC_ASSET_PAGE,      /* an HTML entry point (/demo/, /admin/…): revalidated on every use, strict CSP */
    BC_ASSET_STABLE,    /* a fixed URL other sites link to (/widget.js): a short cache, then revalidated */
    BC_ASSET_IMMUTABLE, /* a content-hashed name under /assets/: cached for a year, never revalidated */
};

struct bc_asset {
    const char *path;          /* URL path, e.g. "/v1/openapi.json", "/demo/index.html" */
    const unsigned char *data; /* len bytes, followed by a NUL */
    size_t len;
    const char *etag;        /* quoted content hash */
    const unsigned char *gz; /* gzip-encoded copy (gz_len bytes), or NULL when compressing does not pay */
    size_t gz_len;
    const char *gz_etag; /* the ETag of the gzip copy (a different representation, a different tag) */
    enum bc_asset_kind kind;
};

extern const struct bc_asset bc_assets[];
extern const unsigned long bc_nassets;

/* The asset at path, or NULL. A path ending in '/' names its directory's index.html ("/demo/"). */
const struct bc_asset *bc_asset_find(const char *path);
/* Content type from the file extension ("application/octet-stream" when unknown). */
const char *bc_asset_content_type(const char *path);
/* The Cache-Control value for a kind of asset. */
const char *bc_asset_cache_control(enum bc_asset_kind kind);
/* The Content-Security-Policy of the HTML pages: everything from this origin only, no inline script or
 * style, no framing. */
extern const char bc_asset_csp[];
/* The same for the staff consoles (/admin/, /platform/): no page may frame them (clickjacking). */
extern const char bc_asset_csp_console[];
/* True for a page of a staff console that no page may frame (its path starts with /admin/ or /platform/),
 * except the admin's settings preview, which the console frames itself ('self'). */
bool bc_asset_is_console(const char *path);
/* Does an If-None-Match header value (a list of entity tags, possibly weak, or "*") name etag? Weak
 * comparison (W/"x" matches "x"), as RFC 9110 prescribes for If-None-Match. */
bool bc_asset_etag_matches(const char *if_none_match, const char *etag);
/* Does an Accept-Encoding header value accept gzip (gzip, x-gzip or *, with a q-value above 0)? */
bool bc_asset_accepts_gzip(const char *accept_encoding);

#endif
