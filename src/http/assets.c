/* Lookup of embedded assets by URL path, and content types by extension. */
#include "http/assets.h"

#include <string.h>

const struct bc_asset *bc_asset_find(const char *path)
{
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
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}
