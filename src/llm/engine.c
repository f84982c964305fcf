/* The asynchronous LLM engine: one thread drives a libcurl multi handle with every call in flight (any
 * number of them, connections reused from the multi handle's cache), retries with exponential backoff and
 * jitter (honouring Retry-After), consults each provider's circuit breaker, enforces each call's deadline,
 * and hands results to completion callbacks.
 *
 * DESIGN NOTES
 * - Threads: submitters only touch `incoming` (under mu) and call curl_multi_wakeup; everything else —
 *   the multi handle, easy handles, the `active` list, the calls' state — belongs to the engine thread.
 * - A call is in exactly one place: `incoming` (queued by submit), or `active` as RUNNING (an easy handle
 *   in the multi handle) or WAITING (for its retry time). It leaves `active` only through complete(),
 *   which calls `done` exactly once and frees the call.
 * - Shutdown sets `stopping` under mu (no submit succeeds after that), wakes the thread, which completes
 *   every call with "cancelled" and exits; free joins it. */
#include "llm/llm.h"
#include "llm/sse.h"
#include "llm/wire.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BODY       (8u << 20) /* largest answer accepted */
#define MAX_SSE_EVENT  (1u << 20)
#define MAX_CONNECT_MS 10000

enum call_state { C_QUEUED, C_RUNNING, C_WAITING };

struct call {
    struct call *next, *prev;
    struct bc_llm_engine *eng;
    struct bc_llm_provider *prov;
    struct bc__llm_req req;
    bc_llm_done_fn done;
    void *ud;
    struct bc_llm_result *res;
    enum call_state state;
    int max_retries, retries;
    int64_t start_ns, deadline_ns, due_ns;
    bool probe; /* the current attempt is the breaker's half-open probe */
    bc_llm_text_fn on_text;
    void *text_ud;
    /* the current attempt */
    CURL *easy;
    struct curl_slist *hdrs;
    struct bc_buf body;
    bool too_large, is_sse;
    struct bc__sse sse;
    struct bc__llm_stream stream;
    int stream_rc;
    int64_t retry_after_ms; /* -1: none */
    char errtype[128];
    char curl_err[CURL_ERROR_SIZE];
};

struct bc_llm_engine {
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t mu;
    struct call *in_head, *in_tail; /* under mu */
    bool stopping;                  /* under mu */
    struct call *active;            /* engine thread only */
    uint64_t rng;                   /* engine thread only */
    bc_llm_usage_fn usage_fn;
    void *usage_ud;
    _Atomic uint64_t submitted, completed, failed, retries, cancelled, in_tokens, out_tokens;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Calls                                                                                                */

static void attempt_release(struct call *c)
{
    if (c->easy) {
        curl_multi_remove_handle(c->eng->multi, c->easy);
        curl_easy_cleanup(c->easy);
        c->easy = NULL;
    }
    curl_slist_free_all(c->hdrs);
    c->hdrs = NULL;
    bc_buf_release(&c->body);
    bc__sse_release(&c->sse);
    bc__llm_stream_release(&c->stream);
}

static void call_free(struct call *c)
{
    attempt_release(c);
    bc__llm_req_release(&c->req);
    bc_llm_result_free(c->res);
    free(c);
}

/* Forgets what a failed attempt left in the result (text, calls, usage) before a retry. */
static void reset_answer(struct bc_llm_result *res)
{
    free(res->text);
    res->text = NULL;
    json_decref(res->json);
    res->json = NULL;
    for (size_t i = 0; i < res->ncalls; i++) {
        free(res->calls[i].id);
        free(res->calls[i].name);
        json_decref(res->calls[i].input);
    }
    free(res->calls);
    res->calls = NULL;
    res->ncalls = 0;
    res->stop = BC_LLM_STOP_NONE;
    res->stop_raw[0] = '\0';
}

static void unlink_active(struct bc_llm_engine *e, struct call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (e->active == c)
        e->active = c->next;
    if (c->next) c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

/* Turns the forced-tool or JSON-text answer into res->json when a schema was asked for. */
static int structured_answer(struct call *c)
{
    struct bc_llm_result *res = c->res;
    if (c->req.schema_tool) {
        for (size_t i = 0; i < res->ncalls; i++) {
            if (strcmp(res->calls[i].name, c->req.schema_tool) != 0 || !json_is_object(res->calls[i].input))
                continue;
            res->json = res->calls[i].input;
            free(res->calls[i].id);
            free(res->calls[i].name);
            memmove(&res->calls[i], &res->calls[i + 1], (res->ncalls - i - 1) * sizeof res->calls[0]);
            res->ncalls--;
            if (res->stop == BC_LLM_STOP_TOOL_USE && res->ncalls == 0) res->stop = BC_LLM_STOP_END_TURN;
            return 0;
        }
    }
    json_t *j = res->text ? json_loads(res->text, 0, NULL) : NULL;
    if (json_is_object(j)) {
        res->json = j;
        return 0;
    }
    json_decref(j);
    bc__llm_result_set_error(res, "invalid_structured_output", "the model's answer is not a JSON object");
    return BC_EINVALID;
}

/* Ends a call: fills the last fields of the result, counts it, hands it to done, frees the call. */
static void complete(struct call *c, int err)
{
    struct bc_llm_engine *e = c->eng;
    struct bc_llm_result *res = c->res;
    attempt_release(c);
    if (err == 0 && !res->text && !(res->text = strdup(""))) err = BC_ENOMEM;
    if (err == 0 && res->ncalls && res->stop == BC_LLM_STOP_END_TURN) res->stop = BC_LLM_STOP_TOOL_USE;
    if (err == 0 && c->req.want_json) err = structured_answer(c);
    if (err < 0) res->stop = BC_LLM_STOP_NONE;
    res->err = err;
    res->latency_ms = (bc_mono_ns() - c->start_ns) / 1000000;
    if (c->state != C_QUEUED) unlink_active(e, c);
    atomic_fetch_add(&e->completed, 1);
    if (err < 0) atomic_fetch_add(&e->failed, 1);
    atomic_fetch_add(&e->in_tokens, (uint64_t)(res->input_tokens > 0 ? res->input_tokens : 0));
    atomic_fetch_add(&e->out_tokens, (uint64_t)(res->output_tokens > 0 ? res->output_tokens : 0));
    if (e->usage_fn) {
        struct bc_llm_usage_event ev = {.provider = res->provider,
                                        .model = res->model,
                                        .tag = res->tag,
                                        .input_tokens = res->input_tokens,
                                        .output_tokens = res->output_tokens,
                                        .err = err,
                                        .latency_ms = res->latency_ms};
        e->usage_fn(&ev, e->usage_ud);
    }
    if (err < 0 && bc_log_enabled(BC_LOG_INFO))
        bc_log(BC_LOG_INFO,
               "llm call failed: provider=%s model=%s err=%s http=%d code=%s attempts=%d ms=%lld",
               res->provider, res->model ? res->model : "", bc_err_code(err), res->http_status,
               res->error_code ? res->error_code : "", res->attempts, (long long)res->latency_ms);
    c->res = NULL;
    bc_llm_done_fn done = c->done;
    void *ud = c->ud;
    call_free(c);
    done(res, ud);
}

static void fail(struct call *c, int err, const char *code, const char *msg)
{
    bc__llm_result_set_error(c->res, code, "%s", msg);
    complete(c, err);
}

/* ---------------------------------------------------------------------------------------------------- */
/* One attempt                                                                                          */

static int on_sse_event(const char *event, const char *data, size_t len, void *ud)
{
    struct call *c = ud;
    return c->prov->wire->stream_event(&c->stream, event, data, len, c->res);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct call *c = ud;
    size_t n = size * nmemb;
    if (c->is_sse) {
        long status = 0;
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) {
            int rc = bc__sse_feed(&c->sse, ptr, n, on_sse_event, c);
            if (rc < 0) {
                c->stream_rc = rc;
                return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
            }
            return n;
        }
    }
    if (c->body.len + n > MAX_BODY) {
        c->too_large = true;
        return 0;
    }
    return bc_buf_append(&c->body, ptr, n) < 0 ? 0 : n;
}

/* Copies the value of header line `line` (n bytes) into out if its name is `name`. */
static bool header_value(const char *line, size_t n, const char *name, char *out, size_t outsize)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return false;
    const char *v = line + nl + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    size_t len = (size_t)(end - v) < outsize - 1 ? (size_t)(end - v) : outsize - 1;
    memcpy(out, v, len);
    out[len] = '\0';
    return true;
}

/* Retry-After: delta-seconds or an HTTP date. */
static int64_t parse_retry_after(const char *v)
{
    char *end;
    double s = strtod(v, &end);
    if (end != v && *end == '\0' && s >= 0) return (int64_t)(s * 1000);
    time_t t = curl_getdate(v, NULL);
    if (t > 0) {
        int64_t ms = (int64_t)t * 1000 - bc_now_ms();
        return ms > 0 ? ms : 0;
    }
    return -1;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    struct call *c = ud;
    size_t n = size * nitems;
    char v[128];
    if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) { /* a new response (after 100 Continue, redirects) */
        c->retry_after_ms = -1;
        c->errtype[0] = '\0';
        c->is_sse = false;
    } else if (header_value(buf, n, "retry-after-ms", v, sizeof v)) {
        char *end;
        double ms = strtod(v, &end);
        if (end != v && ms >= 0) c->retry_after_ms = (int64_t)ms;
    } else if (header_value(buf, n, "retry-after", v, sizeof v)) {
        if (c->retry_after_ms < 0) c->retry_after_ms = parse_retry_after(v);
    } else if (header_value(buf, n, "x-amzn-errortype", v, sizeof v)) {
        snprintf(c->errtype, sizeof c->errtype, "%s", v);
    } else if (header_value(buf, n, "content-type", v, sizeof v)) {
        c->is_sse = c->req.stream && strncasecmp(v, "text/event-stream", 17) == 0;
    }
    return n;
}

static void start_attempt(struct call *c)
{
    int64_t now = bc_mono_ns();
    int64_t left_ms = (c->deadline_ns - now) / 1000000;
    if (left_ms <= 0) {
        bc__breaker_abandon(&c->prov->breaker, c->probe);
        fail(c, BC_ETIMEOUT, "timeout", "the call's deadline passed before an attempt could start");
        return;
    }
    c->state = C_RUNNING;
    c->res->attempts++;
    bc_buf_init(&c->body);
    bc__sse_init(&c->sse, MAX_SSE_EVENT);
    memset(&c->stream, 0, sizeof c->stream);
    c->stream.on_text = c->req.stream ? c->on_text : NULL;
    c->stream.text_ud = c->text_ud;
    c->too_large = c->is_sse = false;
    c->stream_rc = 0;
    c->retry_after_ms = -1;
    c->errtype[0] = '\0';
    c->curl_err[0] = '\0';
    struct curl_slist *n;
    int rc = c->prov->wire->headers(c->prov, &c->req, &c->hdrs);
    if (rc < 0) goto fail;
    rc = BC_ENOMEM;
    if (!(n = curl_slist_append(c->hdrs, "Expect:"))) goto fail; /* no 100-continue round trip */
    c->hdrs = n;
    if (!(c->easy = curl_easy_init())) goto fail;
    CURL *h = c->easy;
    curl_easy_setopt(h, CURLOPT_URL, c->req.url);
    const char *ca = bc_config_get(BC_CFG_CA_FILE); /* e.g. Amazon Linux's bundle (docs/lambda.md) */
    if (ca && *ca) curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->req.body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->req.body_len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_PRIVATE, c);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(left_ms < MAX_CONNECT_MS ? left_ms : MAX_CONNECT_MS));
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Over TLS, wait for ALPN to tell whether the connection being set up can multiplex (HTTP/2) rather
     * than open one connection per call. Never over plain http: curl only learns the HTTP version from the
     * response, so every call would queue behind the first one's answer. */
    if (strncmp(c->req.url, "https:", 6) == 0) curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "bookchat");
    if (curl_multi_add_handle(c->eng->multi, h) != CURLM_OK) {
        rc = BC_EINTERNAL;
        goto fail;
    }
    return;
fail:
    bc__breaker_abandon(&c->prov->breaker, c->probe);
    fail(c, rc, "internal", "could not start the HTTP request");
}

/* The engine's xorshift generator, for jitter. */
static uint64_t rnd(struct bc_llm_engine *e)
{
    uint64_t x = e->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return e->rng = x;
}

/* Exponential backoff with "equal jitter": half the step fixed, half random. */
static int64_t backoff_ms(struct call *c)
{
    int64_t step = c->prov->backoff_base_ms;
    for (int i = 0; i < c->retries && step < c->prov->backoff_max_ms; i++) step *= 2;
    if (step > c->prov->backoff_max_ms) step = c->prov->backoff_max_ms;
    return step / 2 + (int64_t)(rnd(c->eng) % (uint64_t)(step / 2 + 1));
}

static bool is_2xx(long s)
{
    return s >= 200 && s < 300;
}

static void finish_attempt(struct call *c, CURLcode cc)
{
    struct bc_llm_result *res = c->res;
    const struct bc__llm_wire *w = c->prov->wire;
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    res->http_status = (int)status;
    int err = 0;
    bool retryable = false, healthy = true;
    if (cc == CURLE_OK && is_2xx(status)) {
        if (c->is_sse) {
            if (c->stream.err) {
                err = c->stream.err;
            } else if (!c->stream.done) {
                err = BC_EUNAVAILABLE;
                bc__llm_result_set_error(res, "stream_incomplete", "the stream ended before the message did");
            } else {
                err = bc__llm_stream_finish(&c->stream, res);
            }
            retryable = err == BC_EUNAVAILABLE || err == BC_ERATE;
            healthy = err != BC_EUNAVAILABLE;
        } else {
            err = w->parse(c->body.data ? c->body.data : "", c->body.len, res);
        }
    } else if (cc == CURLE_OK) {
        w->parse_error((int)status, c->errtype[0] ? c->errtype : NULL, c->body.data ? c->body.data : "",
                       c->body.len, res);
        if (status == 429) {
            err = BC_ERATE;
            retryable = true;
        } else if (status >= 500 || status == 408) {
            err = BC_EUNAVAILABLE;
            retryable = true;
            healthy = false;
        } else {
            err = BC_EINVALID;
        }
    } else if (cc == CURLE_WRITE_ERROR && c->stream_rc) {
        err = c->stream_rc;
        retryable = err == BC_EUNAVAILABLE || err == BC_ERATE;
        healthy = err != BC_EUNAVAILABLE;
    } else if (c->too_large) {
        err = BC_EINVALID;
        bc__llm_result_set_error(res, "invalid_response", "the answer is larger than %u bytes", MAX_BODY);
    } else if (cc == CURLE_OPERATION_TIMEDOUT && bc_mono_ns() < c->deadline_ns - 5 * 1000000) {
        /* the connect time-out (at most MAX_CONNECT_MS), not the call's deadline: worth another try */
        err = BC_EUNAVAILABLE;
        retryable = true;
        healthy = false;
        bc__llm_result_set_error(res, "network", "%s", c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        err = BC_ETIMEOUT;
        healthy = false;
        bc__llm_result_set_error(res, "timeout", "no complete answer within the deadline (%s)", c->curl_err);
    } else {
        err = BC_EUNAVAILABLE;
        retryable = true;
        healthy = false;
        bc__llm_result_set_error(res, "network", "%s", c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
    }
    int64_t now = bc_mono_ns();
    bc__breaker_record(&c->prov->breaker, c->probe, healthy, now);
    c->probe = false;
    if (err == 0) {
        complete(c, 0);
        return;
    }
    if (retryable && c->retries < c->max_retries && !c->stream.emitted) {
        int64_t delay = backoff_ms(c);
        if (c->retry_after_ms > delay) delay = c->retry_after_ms;
        if (now + delay * 1000000 < c->deadline_ns) {
            attempt_release(c);
            reset_answer(res);
            c->retries++;
            c->state = C_WAITING;
            c->due_ns = now + delay * 1000000;
            atomic_fetch_add(&c->eng->retries, 1);
            return;
        }
    }
    complete(c, err);
}

static void retry_now(struct call *c)
{
    enum bc__breaker_verdict v = bc__breaker_allow(&c->prov->breaker, bc_mono_ns());
    if (v == BC__BRK_DENY) {
        fail(c, BC_EUNAVAILABLE, "circuit_open", "the provider's circuit is open after repeated failures");
        return;
    }
    c->probe = v == BC__BRK_PROBE;
    start_attempt(c);
}

/* ---------------------------------------------------------------------------------------------------- */
/* The engine thread                                                                                    */

static void cancel_all(struct bc_llm_engine *e, struct call *queued)
{
    while (queued) {
        struct call *next = queued->next;
        queued->next = NULL;
        bc__breaker_abandon(&queued->prov->breaker, queued->probe);
        atomic_fetch_add(&e->cancelled, 1);
        fail(queued, BC_EUNAVAILABLE, "cancelled", "the LLM engine is shutting down");
        queued = next;
    }
    while (e->active) {
        struct call *c = e->active;
        bc__breaker_abandon(&c->prov->breaker, c->probe);
        atomic_fetch_add(&e->cancelled, 1);
        fail(c, BC_EUNAVAILABLE, "cancelled", "the LLM engine is shutting down");
    }
}

static void *engine_main(void *arg)
{
    struct bc_llm_engine *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        struct call *queued = e->in_head;
        e->in_head = e->in_tail = NULL;
        bool stopping = e->stopping;
        pthread_mutex_unlock(&e->mu);
        if (stopping) {
            cancel_all(e, queued);
            break;
        }
        while (queued) {
            struct call *c = queued;
            queued = c->next;
            c->next = e->active;
            c->prev = NULL;
            if (e->active) e->active->prev = c;
            e->active = c;
            start_attempt(c);
        }
        int64_t now = bc_mono_ns();
        for (struct call *c = e->active, *next; c; c = next) {
            next = c->next;
            if (c->state == C_WAITING && c->due_ns <= now) retry_now(c);
        }
        int running = 0;
        curl_multi_perform(e->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(e->multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            struct call *c = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            if (c) finish_attempt(c, msg->data.result);
        }
        long wait_ms = 1000;
        now = bc_mono_ns();
        for (struct call *c = e->active; c; c = c->next) {
            if (c->state != C_WAITING) continue;
            int64_t ms = (c->due_ns - now) / 1000000 + 1;
            if (ms < wait_ms) wait_ms = ms < 0 ? 0 : (long)ms;
        }
        curl_multi_poll(e->multi, NULL, 0, (int)wait_ms, NULL);
    }
    return NULL;
}

int bc_llm_engine_new(const struct bc_llm_engine_cfg *cfg, struct bc_llm_engine **out)
{
    pthread_once(&curl_once, curl_init_once);
    *out = NULL;
    struct bc_llm_engine *e = calloc(1, sizeof *e);
    if (!e) return BC_ENOMEM;
    if (!(e->multi = curl_multi_init())) {
        free(e);
        return BC_ENOMEM;
    }
    long maxconn = cfg ? cfg->max_connections : bc_config_int(BC_CFG_LLM_MAX_CONNECTIONS, 0);
    if (maxconn > 0) curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxconn);
    if (cfg && cfg->max_host_connections > 0)
        curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS, cfg->max_host_connections);
    /* keep idle connections between bursts (curl's default cache follows the number of live transfers) */
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, maxconn > 0 && maxconn < 256 ? maxconn : 256L);
    e->rng = (uint64_t)bc_mono_ns() * 0x9E3779B97F4A7C15ULL | 1;
    pthread_mutex_init(&e->mu, NULL);
    if (pthread_create(&e->thread, NULL, engine_main, e) != 0) {
        pthread_mutex_destroy(&e->mu);
        curl_multi_cleanup(e->multi);
        free(e);
        return BC_EINTERNAL;
    }
    pthread_setname_np(e->thread, "bc-llm");
    *out = e;
    return 0;
}

void bc_llm_engine_set_usage_hook(struct bc_llm_engine *e, bc_llm_usage_fn fn, void *ud)
{
    e->usage_fn = fn;
    e->usage_ud = ud;
}

void bc_llm_engine_free(struct bc_llm_engine *e)
{
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    pthread_mutex_unlock(&e->mu);
    curl_multi_wakeup(e->multi);
    pthread_join(e->thread, NULL);
    curl_multi_cleanup(e->multi);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

void bc_llm_engine_stats(struct bc_llm_engine *e, struct bc_llm_engine_stats *out)
{
    out->submitted = atomic_load(&e->submitted);
    out->completed = atomic_load(&e->completed);
    out->failed = atomic_load(&e->failed);
    out->retries = atomic_load(&e->retries);
    out->cancelled = atomic_load(&e->cancelled);
    out->input_tokens = atomic_load(&e->in_tokens);
    out->output_tokens = atomic_load(&e->out_tokens);
    out->inflight = (long)(out->submitted - out->completed);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Submitting                                                                                           */

static int check_opts(const struct bc_llm_opts *o)
{
    if (!o || !o->model || !*o->model || o->max_tokens < 0 || (o->ntools && !o->tools)) return BC_EINVALID;
    for (size_t i = 0; i < o->ntools; i++)
        if (!bc__llm_tool_name_ok(o->tools[i].name) || !json_is_object(o->tools[i].input_schema))
            return BC_EINVALID;
    if (o->schema &&
        (!json_is_object(o->schema) || (o->schema_name && !bc__llm_tool_name_ok(o->schema_name))))
        return BC_EINVALID;
    return 0;
}

int bc_llm_submit(struct bc_llm_engine *e, struct bc_llm_provider *p, const struct bc_llm_conv *conv,
                  const struct bc_llm_opts *opts, bc_llm_done_fn done, void *ud)
{
    if (!e || !p || !conv || !done || check_opts(opts) < 0) return BC_EINVALID;
    struct call *c = calloc(1, sizeof *c);
    if (!c) return BC_ENOMEM;
    c->eng = e;
    c->prov = p;
    c->done = done;
    c->ud = ud;
    c->state = C_QUEUED;
    c->start_ns = bc_mono_ns();
    int64_t timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : p->timeout_ms;
    c->deadline_ns = c->start_ns + timeout_ms * 1000000;
    c->max_retries = opts->max_retries > 0 ? opts->max_retries : opts->max_retries < 0 ? 0 : p->max_retries;
    char err[256] = "";
    int rc = BC_ENOMEM;
    if (!(c->res = bc__llm_result_new())) goto out;
    snprintf(c->res->provider, sizeof c->res->provider, "%s", p->wire->name);
    if (!(c->res->model = strdup(opts->model))) goto out;
    if (opts->tag && !(c->res->tag = strdup(opts->tag))) goto out;
    struct bc_llm_opts o = *opts;
    if (!p->wire->can_stream) o.on_text = NULL;
    if ((rc = p->wire->build(p, conv, &o, &c->req, err, sizeof err)) < 0) goto out;
    c->req.want_json = opts->schema != NULL;
    c->on_text = o.on_text;
    c->text_ud = o.text_ud;
    enum bc__breaker_verdict v = bc__breaker_allow(&p->breaker, c->start_ns);
    if (v == BC__BRK_DENY) {
        rc = BC_EUNAVAILABLE;
        goto out;
    }
    c->probe = v == BC__BRK_PROBE;
    pthread_mutex_lock(&e->mu);
    if (e->stopping) {
        pthread_mutex_unlock(&e->mu);
        bc__breaker_abandon(&p->breaker, c->probe);
        rc = BC_EUNAVAILABLE;
        goto out;
    }
    if (e->in_tail)
        e->in_tail->next = c;
    else
        e->in_head = c;
    e->in_tail = c;
    atomic_fetch_add(&e->submitted, 1);
    pthread_mutex_unlock(&e->mu);
    curl_multi_wakeup(e->multi);
    return 0;
out:
    if (rc == BC_EINVALID && err[0]) bc_log(BC_LOG_WARN, "llm request refused: %s", err);
    call_free(c);
    return rc;
}

/* The blocking helper: waits on a condition variable signalled by the completion callback. */
struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct bc_llm_result *res;
};

static void wake(struct bc_llm_result *res, void *ud)
{
    struct waiter *w = ud;
    pthread_mutex_lock(&w->mu);
    w->res = res;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

struct bc_llm_result *bc_llm_call(struct bc_llm_engine *e, struct bc_llm_provider *p,
                                  const struct bc_llm_conv *conv, const struct bc_llm_opts *opts, int *rc)
{
    struct bc_llm_engine *own = NULL;
    int r = 0;
    if (!e && (r = bc_llm_engine_new(NULL, &own)) < 0) goto out;
    struct waiter w = {.res = NULL};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    r = bc_llm_submit(e ? e : own, p, conv, opts, wake, &w);
    if (r == 0) {
        pthread_mutex_lock(&w.mu);
        while (!w.res) pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    bc_llm_engine_free(own);
    if (rc) *rc = r;
    return w.res;
out:
    if (rc) *rc = r;
    return NULL;
}
