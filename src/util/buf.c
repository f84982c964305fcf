/* Growable byte buffer. Growth doubles, so appends are amortised O(1). */
#include "util/buf.h"
#include "util/err.h"

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
