/* Files embedded into the binary at build time (scripts/embed.c): web assets and the OpenAPI document. */
#ifndef BC_ASSETS_H
#define BC_ASSETS_H
#include <stddef.h>

struct bc_asset {
    const char *path;          /* URL path, e.g. "/v1/openapi.json" */
    const unsigned char *data; /* len bytes, followed by a NUL */
    size_t len;
    const char *etag; /* quoted content hash */
};

extern const struct bc_asset bc_assets[];
extern const unsigned long bc_nassets;

/* The asset at path, or NULL. */
const struct bc_asset *bc_asset_find(const char *path);
/* Content type from the file extension ("application/octet-stream" when unknown). */
const char *bc_asset_content_type(const char *path);

#endif
