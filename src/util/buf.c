/* Growable byte buffer. Growth doubles, so appends are amortised O(1). */
#include "util/buf.h"
#include "util/err.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bc_buf_init(struct bc_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void bc_buf_release(struct bc_buf *b)
{
    free(b->data);
    bc_buf_init(b);
}

void bc_buf_reset(struct bc_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

int bc_buf_reserve(struct bc_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) return BC_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int bc_buf_append(struct bc_buf *b, const void *data, size_t n)
{
    if (bc_buf_reserve(b, n) < 0) return BC_ENOMEM;
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int bc_buf_puts(struct bc_buf *b, const char *s)
{
    return bc_buf_append(b, s, strlen(s));
}

int bc_buf_putc(struct bc_buf *b, char c)
{
    return bc_buf_append(b, &c, 1);
}

int bc_buf_vprintf(struct bc_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) return BC_EINVALID;
    if (bc_buf_reserve(b, (size_t)n) < 0) return BC_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int bc_buf_printf(struct bc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = bc_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *bc_buf_detach(struct bc_buf *b, size_t *len)
{
    if (!b->data && bc_buf_reserve(b, 0) < 0) return NULL;
    b->data[b->len] = '\0';
    char *p = b->data;
    if (len) *len = b->len;
    bc_buf_init(b);
    return p;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 when invalid; the rules of jansson's
 * utf8_check_full: no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    uint32_t u;
    if (c < 0x80) return c ? 1 : 0;
    if (c < 0xC2) return 0;
    if (c <= 0xDF) {
        len = 2;
        u = c & 0x1F;
    } else if (c <= 0xEF) {
        len = 3;
        u = c & 0x0F;
    } else if (c <= 0xF4) {
        len = 4;
        u = c & 0x07;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        u = (u << 6) | (p[i] & 0x3F);
    }
    if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF)) return 0;
    if ((len == 3 && u < 0x800) || (len == 4 && u < 0x10000)) return 0;
    return len;
}

/* True when p[0..n) is printable ASCII without '"' or '\\' (nearly every string here), whose JSON string is
 * the bytes in quotes: eight bytes at a time, a byte >= 0x80, < 0x20, '"' or '\\' in a word shows in its
 * high bits. */
static bool json_plain(const unsigned char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
        if ((w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs) return false;
    }
    for (; i < n; i++)
        if (p[i] < 0x20 || p[i] >= 0x80 || p[i] == '"' || p[i] == '\\') return false;
    return true;
}

int bc_buf_json_strn(struct bc_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    if (json_plain(p, n)) {
        if (bc_buf_reserve(b, n + 2) < 0) return BC_ENOMEM;
        b->data[b->len++] = '"';
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len++] = '"';
        b->data[b->len] = '\0';
        return 0;
    }
    /* validate first so that an invalid string appends nothing */
    for (const unsigned char *q = p; q < end;) {
        size_t l = *q >= 0x20 && *q < 0x80 ? 1 : utf8_seq(q, (size_t)(end - q));
        if (!l) return BC_EINVALID;
        q += l;
    }
    if (bc_buf_reserve(b, n + 2) < 0) return BC_ENOMEM;
    b->data[b->len++] = '"';
    const unsigned char *run = p;
    for (; p < end; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (p > run && bc_buf_append(b, run, (size_t)(p - run)) < 0) return BC_ENOMEM;
        char esc[8];
        switch (c) {
        case '"':
            memcpy(esc, "\\\"", 3);
            break;
        case '\\':
            memcpy(esc, "\\\\", 3);
            break;
        case '\b':
            memcpy(esc, "\\b", 3);
            break;
        case '\f':
            memcpy(esc, "\\f", 3);
            break;
        case '\n':
            memcpy(esc, "\\n", 3);
            break;
        case '\r':
            memcpy(esc, "\\r", 3);
            break;
        case '\t':
            memcpy(esc, "\\t", 3);
            break;
        default:
            snprintf(esc, sizeof esc, "\\u%04X", c);
            break;
        }
        if (bc_buf_puts(b, esc) < 0) return BC_ENOMEM;
        run = p + 1;
    }
    if (p > run && bc_buf_append(b, run, (size_t)(p - run)) < 0) return BC_ENOMEM;
    return bc_buf_putc(b, '"');
}

int bc_buf_json_str(struct bc_buf *b, const char *s)
{
    return bc_buf_json_strn(b, s, strlen(s));
}

int bc_buf_json_real(struct bc_buf *b, double v, int precision)
{
    char tmp[64];
    if (!isfinite(v)) return BC_EINVALID; /* json_real() refuses them too */
    int n = snprintf(tmp, sizeof tmp, "%.*g", precision > 0 ? precision : 17, v);
    if (n < 0 || (size_t)n >= sizeof tmp - 3) return BC_EINVALID;
    char *e = strchr(tmp, 'e');
    if (!e) {
        /* jansson marks a real that prints like an integer with ".0" */
        if (!strchr(tmp, '.')) memcpy(tmp + n, ".0", 3);
    } else {
        /* and writes exponents without '+' and without leading zeros: 1e+06 -> 1e6, 1e-05 -> 1e-5 */
        char *d = e + 1, *q = e + 1;
        if (*q == '+')
            q++;
        else if (*q == '-')
            d = ++q;
        while (*q == '0' && q[1]) q++;
        memmove(d, q, strlen(q) + 1);
    }
    return bc_buf_puts(b, tmp);
}

size_t bc_fmt_uint(uint64_t v, char out[21])
{
    char d[20];
    size_t n = 0, k = 0;
    do d[n++] = (char)('0' + v % 10);
    while ((v /= 10));
    while (n) out[k++] = d[--n];
    out[k] = '\0';
    return k;
}

int bc_buf_put_uint(struct bc_buf *b, uint64_t v)
{
    char d[21];
    return bc_buf_append(b, d, bc_fmt_uint(v, d));
}
