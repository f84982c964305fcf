/* A fake LLM provider for the src/llm tests: an in-process libmicrohttpd server on a free port that records
 * every request it receives (method, raw path, headers, body) and answers through a per-test script
 * (status, headers, body, an optional delay, an optional slow SSE delivery), so each test can speak one
 * provider's documented format and then check exactly what the client sent. */
#ifndef BC_FAKE_LLM_H
#define BC_FAKE_LLM_H
#include "../testlib.h"

#include "llm/llm.h"
#include "util/buf.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define FAKE_MAX_RECORDED 64

struct fake_req {
    char method[8];
    char path[512];  /* raw, still percent-encoded */
    json_t *headers; /* lower-case name → value */
    char *body;
    size_t body_len;
};

struct fake_resp {
    int status;
    const char *content_type; /* default application/json */
    char *body;               /* malloc'd (fake_resp_body) or NULL */
    const char *hname[4], *hvalue[4];
    int delay_ms; /* before answering (interrupted when the server stops) */
    int chunk_ms; /* > 0: send the body event by event ("\n\n"-separated), sleeping between events */
};

struct fake;
/* Fills out for the n-th request (0-based). Runs on a server thread. */
typedef void (*fake_fn)(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out);

struct fake {
    struct MHD_Daemon *d;
    uint16_t port;
    char base[64];
    fake_fn fn;
    void *ud;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    struct fake_req reqs[FAKE_MAX_RECORDED];
    int nrecorded;
    atomic_int count, active, max_active;
    atomic_int connections; /* TCP connections accepted */
};

struct fake_conn {
    struct bc_buf body;
};

static inline void fake_resp_body(struct fake_resp *out, const char *fmt, ...)
{
    struct bc_buf b = BC_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    bc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(out->body);
    out->body = bc_buf_detach(&b, NULL);
}

static inline void fake_resp_header(struct fake_resp *out, const char *name, const char *value)
{
    for (int i = 0; i < 4; i++)
        if (!out->hname[i]) {
            out->hname[i] = name;
            out->hvalue[i] = value;
            return;
        }
}

/* Sleeps up to ms, returning early when the server stops. */
static inline void fake_sleep(struct fake *f, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&f->mu);
    while (!f->stopping && pthread_cond_timedwait(&f->cv, &f->mu, &ts) == 0) {
    }
    pthread_mutex_unlock(&f->mu);
}

static inline enum MHD_Result fake_header_it(void *cls, enum MHD_ValueKind kind, const char *key,
                                             const char *value)
{
    (void)kind;
    char lower[128];
    size_t i = 0;
    for (; key[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] + 32 : key[i]);
    lower[i] = '\0';
    json_object_set_new(cls, lower, json_string(value ? value : ""));
    return MHD_YES;
}

/* Slow SSE delivery: one event per call of the reader. */
struct fake_chunks {
    struct fake *f;
    char *body;
    size_t len, pos;
    int chunk_ms;
};

static inline ssize_t fake_chunk_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct fake_chunks *ch = cls;
    if (ch->pos >= ch->len) return MHD_CONTENT_READER_END_OF_STREAM;
    if (ch->pos > 0) fake_sleep(ch->f, ch->chunk_ms);
    const char *start = ch->body + ch->pos;
    const char *sep = strstr(start, "\n\n");
    size_t n = sep ? (size_t)(sep - start) + 2 : ch->len - ch->pos;
    if (n > max) n = max;
    memcpy(buf, start, n);
    ch->pos += n;
    return (ssize_t)n;
}

static inline void fake_chunks_free(void *cls)
{
    struct fake_chunks *ch = cls;
    free(ch->body);
    free(ch);
}

static inline enum MHD_Result fake_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                           const char *method, const char *version, const char *upload,
                                           size_t *upload_size, void **con_cls)
{
    (void)version;
    struct fake *f = cls;
    struct fake_conn *fc = *con_cls;
    if (!fc) {
        fc = calloc(1, sizeof *fc);
        *con_cls = fc;
        return MHD_YES;
    }
    if (*upload_size) {
        bc_buf_append(&fc->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    struct fake_req req = {0};
    snprintf(req.method, sizeof req.method, "%s", method);
    snprintf(req.path, sizeof req.path, "%s", url);
    req.headers = json_object();
    MHD_get_connection_values(conn, MHD_HEADER_KIND, fake_header_it, req.headers);
    req.body_len = fc->body.len;
    req.body = bc_buf_detach(&fc->body, NULL);
    if (!req.body) req.body = strdup("");

    int n = atomic_fetch_add(&f->count, 1);
    int act = atomic_fetch_add(&f->active, 1) + 1;
    int prev = atomic_load(&f->max_active);
    while (act > prev && !atomic_compare_exchange_weak(&f->max_active, &prev, act)) {
    }
    struct fake_resp out = {.status = 200};
    f->fn(f, n, &req, &out);
    pthread_mutex_lock(&f->mu);
    if (f->nrecorded < FAKE_MAX_RECORDED) {
        f->reqs[f->nrecorded++] = req;
        req.headers = NULL;
        req.body = NULL;
    }
    pthread_mutex_unlock(&f->mu);
    json_decref(req.headers);
    free(req.body);
    if (out.delay_ms) fake_sleep(f, out.delay_ms);

    if (!out.body) out.body = strdup("");
    struct MHD_Response *r;
    if (out.chunk_ms > 0) {
        struct fake_chunks *ch = calloc(1, sizeof *ch);
        ch->f = f;
        ch->body = out.body;
        ch->len = strlen(out.body);
        ch->chunk_ms = out.chunk_ms;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, fake_chunk_reader, ch,
                                              fake_chunks_free);
    } else {
        r = MHD_create_response_from_buffer(strlen(out.body), out.body, MHD_RESPMEM_MUST_FREE);
    }
    MHD_add_response_header(r, "Content-Type", out.content_type ? out.content_type : "application/json");
    for (int i = 0; i < 4 && out.hname[i]; i++) MHD_add_response_header(r, out.hname[i], out.hvalue[i]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)out.status, r);
    MHD_destroy_response(r);
    atomic_fetch_sub(&f->active, 1);
    return ret;
}

static inline void fake_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                                  enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct fake_conn *fc = *con_cls;
    if (fc) {
        bc_buf_release(&fc->body);
        free(fc);
    }
    *con_cls = NULL;
}

static inline void fake_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                                    enum MHD_ConnectionNotificationCode toe)
{
    (void)c;
    (void)socket_context;
    struct fake *f = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) atomic_fetch_add(&f->connections, 1);
}

/* Keep the path as sent (percent-encoded): the SigV4 check needs the raw form. */
static inline size_t fake_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static inline struct fake *fake_start(fake_fn fn, void *ud)
{
    struct fake *f = calloc(1, sizeof *f);
    f->fn = fn;
    f->ud = ud;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->d = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                            fake_handler, f, MHD_OPTION_NOTIFY_COMPLETED, fake_completed, f,
                            MHD_OPTION_NOTIFY_CONNECTION, fake_conn_notify, f, MHD_OPTION_UNESCAPE_CALLBACK,
                            fake_unescape, f, MHD_OPTION_CONNECTION_LIMIT, (unsigned)2000,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)30, MHD_OPTION_END);
    if (!f->d) {
        fprintf(stderr, "fake server: MHD_start_daemon failed\n");
        abort();
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    f->port = info->port;
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", (unsigned)f->port);
    return f;
}

static inline void fake_stop(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    f->stopping = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    MHD_stop_daemon(f->d);
    for (int i = 0; i < f->nrecorded; i++) {
        json_decref(f->reqs[i].headers);
        free(f->reqs[i].body);
    }
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* The i-th recorded request's body parsed as JSON (caller decrefs); fails the test if it is not JSON. */
static inline json_t *fake_body_json(struct fake *f, int i)
{
    pthread_mutex_lock(&f->mu);
    assert_true(i < f->nrecorded);
    json_error_t e;
    json_t *j = json_loadb(f->reqs[i].body, f->reqs[i].body_len, 0, &e);
    pthread_mutex_unlock(&f->mu);
    if (!j) fail_msg("request %d body is not JSON: %s", i, e.text);
    return j;
}

static inline const char *fake_header(struct fake *f, int i, const char *name)
{
    return json_string_value(json_object_get(f->reqs[i].headers, name));
}

/* Asserts that JSON text `expected` equals j (jansson's structural equality). */
static inline void assert_json_eq(json_t *j, const char *expected)
{
    json_error_t e;
    json_t *x = json_loads(expected, 0, &e);
    if (!x) fail_msg("bad expected JSON: %s (%s)", e.text, expected);
    if (!json_equal(j, x)) {
        char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        char *want = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        print_error("got:  %s\nwant: %s\n", got, want);
        free(got);
        free(want);
        json_decref(x);
        fail_msg("JSON differs");
    }
    json_decref(x);
}

/* A provider of the given kind pointed at the fake server: fast backoff, the given retries and breaker. */
static inline struct bc_llm_provider *fake_provider(struct fake *f, enum bc_llm_kind kind, int retries,
                                                    int breaker_failures, int breaker_cooldown_ms)
{
    struct bc_llm_provider_cfg cfg = {.kind = kind,
                                      .base_url = f->base,
                                      .api_key = "sk-test-123",
                                      .region = "eu-west-1",
                                      .access_key_id = "AKIDEXAMPLE",
                                      .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                      .timeout_ms = 5000,
                                      .max_retries = retries,
                                      .backoff_base_ms = 20,
                                      .backoff_max_ms = 100,
                                      .breaker_failures = breaker_failures,
                                      .breaker_cooldown_ms = breaker_cooldown_ms};
    struct bc_llm_provider *p = NULL;
    char err[256];
    if (bc_llm_provider_new(&cfg, &p, err, sizeof err) < 0) fail_msg("provider: %s", err);
    return p;
}

#endif
