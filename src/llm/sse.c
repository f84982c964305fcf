/* Incremental SSE parsing: split into lines, collect fields, dispatch at blank lines. */
#include "llm/sse.h"
#include "util/err.h"

#include <string.h>

void bc__sse_init(struct bc__sse *s, size_t max)
{
    bc_buf_init(&s->line);
    bc_buf_init(&s->data);
    s->event[0] = '\0';
    s->has_data = false;
    s->max = max ? max : (1u << 20);
}

void bc__sse_release(struct bc__sse *s)
{
    bc_buf_release(&s->line);
    bc_buf_release(&s->data);
}

static int dispatch(struct bc__sse *s, bc__sse_fn fn, void *ud)
{
    int rc = 0;
    if (s->has_data) {
        rc = fn(s->event[0] ? s->event : "message", s->data.data ? s->data.data : "", s->data.len, ud);
    }
    bc_buf_reset(&s->data);
    s->event[0] = '\0';
    s->has_data = false;
    return rc;
}

static int field(struct bc__sse *s, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    size_t nlen = colon ? (size_t)(colon - line) : len;
    const char *v = colon ? colon + 1 : line + len;
    size_t vlen = len - (size_t)(v - line);
    if (vlen && *v == ' ') {
        v++;
        vlen--;
    }
    if (nlen == 5 && memcmp(line, "event", 5) == 0) {
        if (vlen >= sizeof s->event) vlen = sizeof s->event - 1;
        memcpy(s->event, v, vlen);
        s->event[vlen] = '\0';
    } else if (nlen == 4 && memcmp(line, "data", 4) == 0) {
        if (s->data.len + vlen + 1 > s->max) return BC_ETOO_LARGE;
        if (s->has_data && bc_buf_putc(&s->data, '\n') < 0) return BC_ENOMEM;
        if (bc_buf_append(&s->data, v, vlen) < 0) return BC_ENOMEM;
        s->has_data = true;
    }
    return 0; /* comments (empty name), id, retry and unknown fields are ignored */
}

static int line_done(struct bc__sse *s, const char *line, size_t len, bc__sse_fn fn, void *ud)
{
    if (len && line[len - 1] == '\r') len--;
    if (len == 0) return dispatch(s, fn, ud);
    return field(s, line, len);
}

int bc__sse_feed(struct bc__sse *s, const char *buf, size_t n, bc__sse_fn fn, void *ud)
{
    while (n) {
        const char *nl = memchr(buf, '\n', n);
        size_t take = nl ? (size_t)(nl - buf) : n;
        int rc;
        if (s->line.len + take > s->max) return BC_ETOO_LARGE;
        if (!nl) return bc_buf_append(&s->line, buf, take) < 0 ? BC_ENOMEM : 0;
        if (s->line.len) {
            if (bc_buf_append(&s->line, buf, take) < 0) return BC_ENOMEM;
            rc = line_done(s, s->line.data, s->line.len, fn, ud);
            bc_buf_reset(&s->line);
        } else {
            rc = line_done(s, buf, take, fn, ud);
        }
        if (rc < 0) return rc;
        buf += take + 1;
        n -= take + 1;
    }
    return 0;
}
