/* Server-Sent Events over a libmicrohttpd callback response that suspends its connection while idle. */
#include "http/sse.h"
#include "http/http.h"
#include "util/buf.h"
#include "util/err.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct bc_sse {
    pthread_mutex_t mu;
    int refs;
    struct MHD_Connection *conn;
    struct bc_buf out; /* queued bytes; out.data[sent..len) not yet handed to libmicrohttpd */
    size_t sent;
    bool ended, closed, suspended;
    void (*fn)(void *ud);
    void *fn_ud;
};

static void unref(struct bc_sse *s)
{
    pthread_mutex_lock(&s->mu);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&s->mu);
    if (!last) return;
    bc_buf_release(&s->out);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* Under mu: lets libmicrohttpd call the reader again. */
static void wake(struct bc_sse *s)
{
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct bc_sse *s = cls;
    (void)pos;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->out.len > s->sent) {
            size_t n = s->out.len - s->sent;
            if (n > max) n = max;
            memcpy(buf, s->out.data + s->sent, n);
            s->sent += n;
            if (s->sent == s->out.len) {
                bc_buf_reset(&s->out);
                s->sent = 0;
            }
            pthread_mutex_unlock(&s->mu);
            return (ssize_t)n;
        }
        if (s->fn) {
            void (*fn)(void *) = s->fn;
            void *ud = s->fn_ud;
            s->fn = NULL;
            pthread_mutex_unlock(&s->mu);
            fn(ud);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        if (s->ended) {
            pthread_mutex_unlock(&s->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        /* nothing to send yet: sleep until a producer queues something (no busy polling) */
        MHD_suspend_connection(s->conn);
        s->suspended = true;
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
}

static void on_free(void *cls)
{
    struct bc_sse *s = cls;
    pthread_mutex_lock(&s->mu);
    s->closed = true;
    void (*fn)(void *) = s->fn;
    void *ud = s->fn_ud;
    s->fn = NULL;
    pthread_mutex_unlock(&s->mu);
    if (fn) fn(ud);
    unref(s);
}

int bc_sse_start(struct bc_req *req, struct bc_sse **out)
{
    *out = NULL;
    if (!req->tx->streams) return BC_EINVALID; /* callers ask bc_sse_wanted first */
    struct bc_sse *s = calloc(1, sizeof *s);
    if (!s) return BC_ENOMEM;
    pthread_mutex_init(&s->mu, NULL);
    bc_buf_init(&s->out);
    s->refs = 2;
    s->conn = req->conn;
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, on_free);
    if (!r) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return BC_ENOMEM;
    }
    MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* nginx: pass events through at once */
    bc_req_set_stream(req, r, "text/event-stream; charset=utf-8");
    *out = s;
    return 0;
}

int bc_sse_send(struct bc_sse *s, const char *event, const char *data)
{
    int rc;
    pthread_mutex_lock(&s->mu);
    if (s->closed || s->ended)
        rc = BC_EUNAVAILABLE;
    else
        rc = bc_buf_printf(&s->out, "event: %s\ndata: %s\n\n", event, data);
    if (rc == 0) wake(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void bc_sse_run(struct bc_sse *s, void (*fn)(void *ud), void *ud)
{
    pthread_mutex_lock(&s->mu);
    if (s->closed) {
        pthread_mutex_unlock(&s->mu);
        fn(ud);
        return;
    }
    s->fn = fn;
    s->fn_ud = ud;
    wake(s);
    pthread_mutex_unlock(&s->mu);
}

void bc_sse_end(struct bc_sse *s)
{
    pthread_mutex_lock(&s->mu);
    s->ended = true;
    wake(s);
    pthread_mutex_unlock(&s->mu);
}

bool bc_sse_closed(struct bc_sse *s)
{
    pthread_mutex_lock(&s->mu);
    bool c = s->closed;
    pthread_mutex_unlock(&s->mu);
    return c;
}

void bc_sse_release(struct bc_sse *s)
{
    if (s) unref(s);
}

bool bc_sse_wanted(struct bc_req *req)
{
    if (!req->tx->streams) return false; /* a buffered transport (Lambda): the JSON reply instead */
    const char *a = bc_req_header(req, "Accept");
    return a && strcasestr(a, "text/event-stream") != NULL;
}
