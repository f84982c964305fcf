/* libFuzzer target: SigV4 canonicalisation of arbitrary requests. Input lines: method, path, query, then
 * "name:value" headers up to an empty line, then the body. Whatever the input, signing must not crash,
 * and a canonical request it produces must have an encoded URI and query made only of unreserved
 * characters and %XX escapes, and a signature of 64 hex digits. */
#include "util/err.h"
#include "util/sigv4.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool uri_char_ok(char c, bool query)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    if (strchr("-_.~%", c)) return true;
    return query ? (c == '=' || c == '&') : c == '/';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *lines[3 + BC_SIGV4_MAX_HEADERS + 2] = {0};
    struct bc_sigv4_header hs[BC_SIGV4_MAX_HEADERS + 2];
    size_t nl = 0, nh = 0;
    char *p = buf, *body = NULL;
    while (p && nl < 3) {
        lines[nl++] = p;
        p = strchr(p, '\n');
        if (p) *p++ = '\0';
    }
    while (p && *p != '\n' && *p && nh < BC_SIGV4_MAX_HEADERS + 2) {
        char *line = p;
        p = strchr(p, '\n');
        if (p) *p++ = '\0';
        char *colon = strchr(line, ':');
        if (colon) *colon = '\0';
        hs[nh].name = line;
        hs[nh].value = colon ? colon + 1 : "";
        nh++;
    }
    if (p && *p == '\n') body = p + 1;
    struct bc_sigv4_request r = {lines[0], lines[1], lines[2], hs, nh, body, body ? strlen(body) : 0};
    char *creq = NULL, *sh = NULL;
    int rc = bc_sigv4_canonical_request(&r, &creq, &sh);
    if (rc == 0) {
        /* line 2 is the URI, line 3 the query */
        char *uri = strchr(creq, '\n');
        if (!uri || uri[1] != '/') abort();
        uri++;
        char *q = strchr(uri, '\n');
        if (!q) abort();
        for (char *c = uri; c < q; c++)
            if (!uri_char_ok(*c, false)) abort();
        q++;
        for (char *c = q; *c && *c != '\n'; c++)
            if (!uri_char_ok(*c, true)) abort();
        struct bc_sigv4_credentials cr = {"AKIDEXAMPLE", "secret"};
        struct bc_sigv4_scope sc = {"20150830T123600Z", "us-east-1", "dynamodb"};
        char *authz = NULL;
        if (bc_sigv4_authorization(&r, &cr, &sc, &authz) == 0) {
            const char *sig = strstr(authz, "Signature=");
            if (!sig || strlen(sig + 10) != 64 || strspn(sig + 10, "0123456789abcdef") != 64) abort();
        } else {
            abort(); /* the canonical request was fine, so signing must be too */
        }
        free(authz);
    } else if (rc != BC_EINVALID) {
        abort();
    } else if (creq) {
        abort();
    }
    free(creq);
    free(sh);
    free(buf);
    return 0;
}
