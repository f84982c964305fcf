/* AWS Signature Version 4 with OpenSSL's SHA-256 and HMAC: canonical request -> string to sign -> signature.
 * Everything is built in bc_buf strings; the only secret material (the signing key) lives on the stack and
 * is wiped after use. */
#include "util/sigv4.h"
#include "util/buf.h"
#include "util/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* Appends s[0..n) URI-encoded the AWS way (RFC 3986 unreserved kept, everything else %XX upper case);
 * '/' is kept when keep_slash. */
static int uri_encode(struct bc_buf *b, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = bc_buf_reserve(b, n * 3);
    if (rc < 0) return rc;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            b->data[b->len++] = (char)c;
        } else {
            b->data[b->len++] = '%';
            b->data[b->len++] = hex[c >> 4];
            b->data[b->len++] = hex[c & 15];
        }
    }
    b->data[b->len] = '\0';
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into a new malloc'd buffer (length in *outlen); malformed escapes stay literal. */
static char *uri_decode(const char *s, size_t n, size_t *outlen)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
            d[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *outlen = j;
    return d;
}

/* The canonical URI: dot segments resolved and empty segments dropped (a trailing '/' kept), then every
 * byte but unreserved ones and '/' encoded. */
static int canonical_uri(struct bc_buf *b, const char *path)
{
    if (!path || !*path) return bc_buf_putc(b, '/');
    size_t n = strlen(path);
    /* segment stack as (offset, length) pairs into path */
    size_t cap = n / 2 + 2, depth = 0;
    size_t *off = malloc(cap * sizeof *off), *len = malloc(cap * sizeof *len);
    int rc = 0;
    if (!off || !len) {
        rc = BC_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n;) {
        while (i < n && path[i] == '/') i++;
        size_t start = i;
        while (i < n && path[i] != '/') i++;
        size_t sl = i - start;
        if (sl == 0 || (sl == 1 && path[start] == '.')) continue;
        if (sl == 2 && path[start] == '.' && path[start + 1] == '.') {
            if (depth) depth--;
            continue;
        }
        off[depth] = start;
        len[depth] = sl;
        depth++;
    }
    if ((rc = bc_buf_putc(b, '/')) < 0) goto out;
    for (size_t k = 0; k < depth; k++) {
        if (k && (rc = bc_buf_putc(b, '/')) < 0) goto out;
        if ((rc = uri_encode(b, path + off[k], len[k], false)) < 0) goto out;
    }
    if (depth && path[n - 1] == '/') rc = bc_buf_putc(b, '/');
out:
    free(off);
    free(len);
    return rc;
}

struct qparam {
    char *enc; /* "name=value", both encoded */
    size_t name_len;
};

static int qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->enc, y->enc, n);
    if (c) return c;
    if (x->name_len != y->name_len) return x->name_len < y->name_len ? -1 : 1;
    return strcmp(x->enc + x->name_len, y->enc + y->name_len);
}

/* The canonical query string: parameters decoded, re-encoded strictly, sorted by name then value. */
static int canonical_query(struct bc_buf *b, const char *q)
{
    if (!q || !*q) return 0;
    size_t count = 1;
    for (const char *p = q; *p; p++) count += *p == '&';
    struct qparam *ps = calloc(count, sizeof *ps);
    if (!ps) return BC_ENOMEM;
    size_t np = 0;
    int rc = 0;
    struct bc_buf one = BC_BUF_INIT;
    for (const char *p = q; *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n) {
            const char *eq = memchr(p, '=', n);
            size_t nl = eq ? (size_t)(eq - p) : n;
            size_t dl;
            bc_buf_reset(&one);
            char *d = uri_decode(p, nl, &dl);
            if (!d) {
                rc = BC_ENOMEM;
                goto out;
            }
            rc = uri_encode(&one, d, dl, false);
            free(d);
            if (rc < 0) goto out;
            size_t name_len = one.len;
            if ((rc = bc_buf_putc(&one, '=')) < 0) goto out;
            if (eq) {
                d = uri_decode(eq + 1, n - nl - 1, &dl);
                if (!d) {
                    rc = BC_ENOMEM;
                    goto out;
                }
                rc = uri_encode(&one, d, dl, false);
                free(d);
                if (rc < 0) goto out;
            }
            ps[np].name_len = name_len;
            ps[np].enc = bc_buf_detach(&one, NULL);
            if (!ps[np].enc) {
                rc = BC_ENOMEM;
                goto out;
            }
            np++;
        }
        p += n;
        if (*p == '&') p++;
    }
    qsort(ps, np, sizeof *ps, qparam_cmp);
    for (size_t i = 0; i < np && rc == 0; i++) {
        if (i) rc = bc_buf_putc(b, '&');
        if (rc == 0) rc = bc_buf_puts(b, ps[i].enc);
    }
out:
    for (size_t i = 0; i < np; i++) free(ps[i].enc);
    free(ps);
    bc_buf_release(&one);
    return rc;
}

struct hdr {
    char name[128]; /* lower case */
    size_t index;   /* position in the request, to keep the order of repeated names */
    const char *value;
};

static int hdr_cmp(const void *a, const void *b)
{
    const struct hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static bool is_tchar(unsigned char c)
{
    return unreserved(c) || (c && strchr("!#$%&'*+^`|", c));
}

/* Appends a header value trimmed, with every run of whitespace collapsed to one space. */
static int put_value(struct bc_buf *b, const char *v)
{
    int rc = 0;
    bool pending_space = false, any = false;
    for (const char *p = v ? v : ""; *p && rc == 0; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            pending_space = any;
            continue;
        }
        if (pending_space) rc = bc_buf_putc(b, ' ');
        if (rc == 0) rc = bc_buf_putc(b, *p);
        pending_space = false;
        any = true;
    }
    return rc;
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void bc_sigv4_sha256_hex(const void *data, size_t n, char out[65])
{
    sha256_hex(data ? data : "", n, out);
}

int bc_sigv4_canonical_request(const struct bc_sigv4_request *r, char **out, char **signed_headers)
{
    struct bc_buf b = BC_BUF_INIT, sh = BC_BUF_INIT;
    struct hdr hs[BC_SIGV4_MAX_HEADERS];
    int rc = 0;
    *out = NULL;
    if (signed_headers) *signed_headers = NULL;
    if (!r->method || !*r->method || r->nheaders > BC_SIGV4_MAX_HEADERS || (r->nheaders && !r->headers) ||
        (r->body_len && !r->body))
        return BC_EINVALID;
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *name = r->headers[i].name;
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n >= sizeof hs[i].name) return BC_EINVALID;
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)name[k];
            if (!is_tchar(c)) return BC_EINVALID;
            hs[i].name[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        hs[i].name[n] = '\0';
        hs[i].index = i;
        hs[i].value = r->headers[i].value;
    }
    qsort(hs, r->nheaders, sizeof hs[0], hdr_cmp);

    if ((rc = bc_buf_puts(&b, r->method)) < 0 || (rc = bc_buf_putc(&b, '\n')) < 0) goto out;
    if ((rc = canonical_uri(&b, r->path)) < 0 || (rc = bc_buf_putc(&b, '\n')) < 0) goto out;
    if ((rc = canonical_query(&b, r->query)) < 0 || (rc = bc_buf_putc(&b, '\n')) < 0) goto out;
    for (size_t i = 0; i < r->nheaders; i++) {
        bool same = i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0;
        if (same) {
            rc = bc_buf_putc(&b, ',');
        } else {
            if (i) rc = bc_buf_putc(&b, '\n');
            if (rc == 0) rc = bc_buf_printf(&b, "%s:", hs[i].name);
            if (rc == 0 && sh.len) rc = bc_buf_putc(&sh, ';');
            if (rc == 0) rc = bc_buf_puts(&sh, hs[i].name);
        }
        if (rc == 0) rc = put_value(&b, hs[i].value);
        if (rc < 0) goto out;
    }
    if (r->nheaders && (rc = bc_buf_putc(&b, '\n')) < 0) goto out;
    char hash[65];
    sha256_hex(r->body ? r->body : "", r->body_len, hash);
    if ((rc = bc_buf_printf(&b, "\n%s\n%s", sh.data ? sh.data : "", hash)) < 0) goto out;
    *out = bc_buf_detach(&b, NULL);
    if (!*out) {
        rc = BC_ENOMEM;
        goto out;
    }
    if (signed_headers) {
        *signed_headers = bc_buf_detach(&sh, NULL);
        if (!*signed_headers) {
            free(*out);
            *out = NULL;
            rc = BC_ENOMEM;
        }
    }
out:
    bc_buf_release(&b);
    bc_buf_release(&sh);
    return rc;
}

static bool amz_date_valid(const char *d)
{
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z') return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9')) return false;
    return true;
}

static bool scope_part_valid(const char *s)
{
    if (!s || !*s || strlen(s) > 64) return false;
    for (; *s; s++)
        if (*s == '/' || (unsigned char)*s <= ' ') return false;
    return true;
}

int bc_sigv4_string_to_sign(const char *canonical_request, const struct bc_sigv4_scope *sc, char **out)
{
    *out = NULL;
    if (!canonical_request || !amz_date_valid(sc->amz_date) || !scope_part_valid(sc->region) ||
        !scope_part_valid(sc->service))
        return BC_EINVALID;
    char hash[65];
    sha256_hex(canonical_request, strlen(canonical_request), hash);
    struct bc_buf b = BC_BUF_INIT;
    int rc = bc_buf_printf(&b, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", sc->amz_date,
                           sc->amz_date, sc->region, sc->service, hash);
    if (rc < 0) {
        bc_buf_release(&b);
        return rc;
    }
    *out = bc_buf_detach(&b, NULL);
    return *out ? 0 : BC_ENOMEM;
}

static int hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n) || n != 32)
        return BC_EINTERNAL;
    return 0;
}

int bc_sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
                         unsigned char key[32])
{
    if (!secret || !date8 || strlen(date8) != 8 || !scope_part_valid(region) || !scope_part_valid(service))
        return BC_EINVALID;
    size_t sl = strlen(secret);
    char *k0 = malloc(sl + 5);
    if (!k0) return BC_ENOMEM;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, sl + 1);
    unsigned char a[32], b[32];
    int rc = hmac(k0, sl + 4, date8, a);
    if (rc == 0) rc = hmac(a, 32, region, b);
    if (rc == 0) rc = hmac(b, 32, service, a);
    if (rc == 0) rc = hmac(a, 32, "aws4_request", key);
    OPENSSL_cleanse(k0, sl + 4);
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
    free(k0);
    return rc;
}

int bc_sigv4_authorization(const struct bc_sigv4_request *r, const struct bc_sigv4_credentials *creds,
                           const struct bc_sigv4_scope *sc, char **out)
{
    char *creq = NULL, *signed_headers = NULL, *sts = NULL;
    unsigned char key[32], sig[32];
    *out = NULL;
    if (!creds || !scope_part_valid(creds->access_key_id) || !creds->secret_access_key) return BC_EINVALID;
    int rc = bc_sigv4_canonical_request(r, &creq, &signed_headers);
    if (rc == 0) rc = bc_sigv4_string_to_sign(creq, sc, &sts);
    char date8[9];
    if (rc == 0) {
        memcpy(date8, sc->amz_date, 8);
        date8[8] = '\0';
        rc = bc_sigv4_signing_key(creds->secret_access_key, date8, sc->region, sc->service, key);
    }
    if (rc == 0) rc = hmac(key, sizeof key, sts, sig);
    if (rc == 0) {
        static const char hex[] = "0123456789abcdef";
        char sighex[65];
        for (int i = 0; i < 32; i++) {
            sighex[2 * i] = hex[sig[i] >> 4];
            sighex[2 * i + 1] = hex[sig[i] & 15];
        }
        sighex[64] = '\0';
        struct bc_buf b = BC_BUF_INIT;
        rc = bc_buf_printf(
            &b, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
            creds->access_key_id, date8, sc->region, sc->service, signed_headers, sighex);
        if (rc == 0) {
            *out = bc_buf_detach(&b, NULL);
            if (!*out) rc = BC_ENOMEM;
        }
        bc_buf_release(&b);
    }
    OPENSSL_cleanse(key, sizeof key);
    free(creq);
    free(signed_headers);
    free(sts);
    return rc;
}

void bc_sigv4_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}
