/* GET /metrics: the HTTP, LLM, conversation and tenant metrics kept here, the store's and the process's,
 * in the Prometheus text format; and the optional metrics-only listener. */
#include "http/metrics.h"
#include "http/key_records.h"
#include "domain/dispatch.h"
#include "domain/fields.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "domain/visitor.h"
#include "http/router.h"
#include "http/region.h"
#include "http/server.h"
#include "llm/llm.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES     256 /* rows of the route table; one more slot is "unmatched" */
#define NCLASSES       5
#define MAX_MODELS     32
#define CONV_SLOTS     16384 /* power of two */
#define CONV_PROBE     8
#define CONV_ACTIVE_MS (15 * 60 * 1000)
#define TENANTS_TTL_MS 30000

static const char *const providers[] = {"anthropic", "bedrock", "openai", "other"};
#define NPROVIDERS 4
/* the placement label: a request served from the pooled store or a tenant's dedicated one (domain/envs.h) */
static const char *const placements[] = {"pooled", "dedicated"};
#define NPLACEMENTS 2

/* The process's metrics. Process-wide on purpose: one exposition per process (GET /metrics), fed by every
 * server thread, the LLM engine's single thread and the store's operations alike; they carry no tenant
 * data. The tenants gauge remembers which env it counted, so it never shows one store's counts for another.
 */
struct llm_series {
    char provider[16];
    char model[64];
    uint64_t ok, failed, tokens_in, tokens_out;
};

static struct {
    pthread_once_t once;
    struct bc_hist http_hist[MAX_ROUTES + 1][NCLASSES][NPLACEMENTS]; /* [placement]: pooled, dedicated */
    pthread_mutex_t llm_mu;
    struct llm_series llm[MAX_MODELS + NPROVIDERS];
    size_t nllm;
    struct bc_hist llm_hist[NPROVIDERS];
    pthread_mutex_t conv_mu;
    struct {
        uint64_t h;
        int64_t at_ms;
    } conv_slots[CONV_SLOTS];
    long conv_explicit;
    pthread_mutex_t tenants_mu;
    json_t *tenants_counts; /* {"STATUS\x1fPLAN": n} */
    int64_t tenants_at_ms;
    const struct bc_env *tenants_env; /* whose tenants they are */
    struct MHD_Daemon *metrics_daemon;
    struct bc_server *metrics_srv;
    atomic_ullong limited[BC_METRICS_LIMITS]; /* refusals by limit (bc_metrics_limited) */
} P = {.once = PTHREAD_ONCE_INIT,
       .llm_mu = PTHREAD_MUTEX_INITIALIZER,
       .conv_mu = PTHREAD_MUTEX_INITIALIZER,
       .conv_explicit = -1,
       .tenants_mu = PTHREAD_MUTEX_INITIALIZER};

static void metrics_init(void)
{
    for (int r = 0; r <= MAX_ROUTES; r++)
        for (int c = 0; c < NCLASSES; c++)
            for (int p = 0; p < NPLACEMENTS; p++) P.http_hist[r][c][p].bounds = &bc_hist_fast;
    for (int p = 0; p < NPROVIDERS; p++) P.llm_hist[p].bounds = &bc_hist_slow;
}

/* ---- HTTP ---- */

static size_t route_index(const struct bc_route *route)
{
    if (!route || route < bc_routes || route >= bc_routes + bc_nroutes) return MAX_ROUTES;
    size_t i = (size_t)(route - bc_routes);
    return i < MAX_ROUTES ? i : MAX_ROUTES;
}

void bc_metrics_http_observe(const struct bc_route *route, int status, bool placed, int64_t ns)
{
    pthread_once(&P.once, metrics_init);
    int c = status / 100 - 1;
    if (c < 0 || c >= NCLASSES) return; /* no answer was sent (aborted connection) */
    bc_hist_observe_ns(&P.http_hist[route_index(route)][c][placed ? 1 : 0], ns);
}

static void route_labels(char *out, size_t size, size_t r, int c, int p)
{
    const char *name = r < MAX_ROUTES && r < bc_nroutes ? bc_routes[r].name : "unmatched";
    snprintf(out, size, "route=\"%s\",status_class=\"%dxx\",placement=\"%s\"", name, c + 1, placements[p]);
}

static void render_http(struct bc_server *srv, struct bc_buf *b)
{
    char labels[160];
    pthread_once(&P.once, metrics_init);
    size_t n = bc_nroutes < MAX_ROUTES ? bc_nroutes : MAX_ROUTES;
    bc_metrics_family(
        b, "bookchat_http_requests_total", "counter",
        "HTTP requests answered, by route name, status class and placement (pooled or dedicated store).");
    for (size_t r = 0; r <= MAX_ROUTES; r++) {
        if (r >= n && r != MAX_ROUTES) continue;
        for (int c = 0; c < NCLASSES; c++)
            for (int p = 0; p < NPLACEMENTS; p++) {
                uint64_t count = bc_hist_count(&P.http_hist[r][c][p]);
                if (!count) continue;
                route_labels(labels, sizeof labels, r, c, p);
                bc_metrics_sample(b, "bookchat_http_requests_total", labels, (double)count);
            }
    }
    bc_metrics_family(
        b, "bookchat_http_request_duration_seconds", "histogram",
        "Time from the first byte of a request to its answer, by route, status class and placement.");
    for (size_t r = 0; r <= MAX_ROUTES; r++) {
        if (r >= n && r != MAX_ROUTES) continue;
        for (int c = 0; c < NCLASSES; c++)
            for (int p = 0; p < NPLACEMENTS; p++) {
                if (!bc_hist_count(&P.http_hist[r][c][p])) continue;
                route_labels(labels, sizeof labels, r, c, p);
                bc_metrics_hist(b, "bookchat_http_request_duration_seconds", labels, &P.http_hist[r][c][p]);
            }
    }
    if (srv) {
        bc_metrics_family(b, "bookchat_http_requests_in_flight", "gauge",
                          "Requests received and not yet completed (suspended ones included).");
        bc_metrics_sample(b, "bookchat_http_requests_in_flight", NULL, atomic_load(&srv->inflight));
    }
}

/* ---- LLM ---- */

static int provider_index(const char *p)
{
    for (int i = 0; i < NPROVIDERS - 1; i++)
        if (p && strcmp(p, providers[i]) == 0) return i;
    return NPROVIDERS - 1;
}

/* Under P.llm_mu: the series of (provider, model); past MAX_MODELS models, the provider's "other". */
static struct llm_series *llm_series(const char *provider, const char *model)
{
    char m[64];
    snprintf(m, sizeof m, "%s", model && *model ? model : "unknown");
    for (char *q = m; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f) *q = '_';
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < P.nllm; i++)
            if (!strcmp(P.llm[i].provider, provider) && !strcmp(P.llm[i].model, m)) return &P.llm[i];
        if (P.nllm < MAX_MODELS || (pass == 1 && P.nllm < MAX_MODELS + NPROVIDERS)) {
            struct llm_series *s = &P.llm[P.nllm++];
            snprintf(s->provider, sizeof s->provider, "%s", provider);
            snprintf(s->model, sizeof s->model, "%s", m);
            return s;
        }
        snprintf(m, sizeof m, "other");
    }
    return NULL;
}

void bc_metrics_llm_hook(const struct bc_llm_usage_event *ev, void *ud)
{
    (void)ud;
    pthread_once(&P.once, metrics_init);
    int p = provider_index(ev->provider);
    bc_hist_observe_ns(&P.llm_hist[p], ev->latency_ms * 1000000);
    pthread_mutex_lock(&P.llm_mu);
    struct llm_series *s = llm_series(providers[p], ev->model);
    if (s) {
        if (ev->err)
            s->failed++;
        else
            s->ok++;
        s->tokens_in += ev->input_tokens > 0 ? (uint64_t)ev->input_tokens : 0;
        s->tokens_out += ev->output_tokens > 0 ? (uint64_t)ev->output_tokens : 0;
    }
    pthread_mutex_unlock(&P.llm_mu);
}

static void llm_labels(struct bc_buf *b, const struct llm_series *s, const char *k, const char *v)
{
    bc_buf_printf(b, "provider=\"%s\",model=\"", s->provider);
    bc_metrics_label_value(b, s->model);
    bc_buf_printf(b, "\",%s=\"%s\"", k, v);
}

static void render_llm(struct bc_buf *b)
{
    pthread_once(&P.once, metrics_init);
    struct bc_buf l = BC_BUF_INIT;
    pthread_mutex_lock(&P.llm_mu);
    bc_metrics_family(b, "bookchat_llm_calls_total", "counter",
                      "LLM calls completed, by provider, model and result (ok, error).");
    for (size_t i = 0; i < P.nllm; i++) {
        for (int r = 0; r < 2; r++) {
            bc_buf_reset(&l);
            llm_labels(&l, &P.llm[i], "result", r ? "error" : "ok");
            bc_metrics_sample(b, "bookchat_llm_calls_total", l.data,
                              (double)(r ? P.llm[i].failed : P.llm[i].ok));
        }
    }
    bc_metrics_family(b, "bookchat_llm_tokens_total", "counter",
                      "LLM tokens, by provider, model and direction (input, output).");
    for (size_t i = 0; i < P.nllm; i++) {
        for (int d = 0; d < 2; d++) {
            bc_buf_reset(&l);
            llm_labels(&l, &P.llm[i], "direction", d ? "output" : "input");
            bc_metrics_sample(b, "bookchat_llm_tokens_total", l.data,
                              (double)(d ? P.llm[i].tokens_out : P.llm[i].tokens_in));
        }
    }
    pthread_mutex_unlock(&P.llm_mu);
    bc_buf_release(&l);
    bc_metrics_family(b, "bookchat_llm_call_duration_seconds", "histogram",
                      "Duration of LLM calls, retries included, by provider.");
    char labels[40];
    for (int p = 0; p < NPROVIDERS; p++) {
        if (!bc_hist_count(&P.llm_hist[p]) && p == NPROVIDERS - 1) continue;
        snprintf(labels, sizeof labels, "provider=\"%s\"", providers[p]);
        bc_metrics_hist(b, "bookchat_llm_call_duration_seconds", labels, &P.llm_hist[p]);
    }
}

/* ---- conversations ---- */

void bc_metrics_conversation_touch(const char *conv_id)
{
    if (!conv_id || !*conv_id) return;
    uint64_t h = bc_fnv1a_str(conv_id);
    if (!h) h = 1;
    int64_t now = bc_now_ms();
    pthread_mutex_lock(&P.conv_mu);
    size_t victim = h & (CONV_SLOTS - 1);
    for (size_t i = 0; i < CONV_PROBE; i++) {
        size_t k = (h + i) & (CONV_SLOTS - 1);
        if (P.conv_slots[k].h == h || !P.conv_slots[k].h || now - P.conv_slots[k].at_ms > CONV_ACTIVE_MS) {
            victim = k;
            break;
        }
        if (P.conv_slots[k].at_ms < P.conv_slots[victim].at_ms) victim = k;
    }
    P.conv_slots[victim].h = h;
    P.conv_slots[victim].at_ms = now;
    pthread_mutex_unlock(&P.conv_mu);
}

void bc_metrics_conversations_set(long n)
{
    pthread_mutex_lock(&P.conv_mu);
    P.conv_explicit = n < 0 ? -1 : n;
    pthread_mutex_unlock(&P.conv_mu);
}

static long conversations_active(void)
{
    int64_t now = bc_now_ms();
    long n = 0;
    pthread_mutex_lock(&P.conv_mu);
    if (P.conv_explicit >= 0) {
        n = P.conv_explicit;
    } else {
        for (size_t i = 0; i < CONV_SLOTS; i++)
            if (P.conv_slots[i].h && now - P.conv_slots[i].at_ms <= CONV_ACTIVE_MS) n++;
    }
    pthread_mutex_unlock(&P.conv_mu);
    return n;
}

/* ---- tenants by status and plan (from the platform index, cached) ---- */

static int count_tenant(json_t *t, void *arg)
{
    json_t *counts = arg;
    char key[128];
    struct bc_tenant_meta m = bc_tenant_meta_of(t);
    const char *st = m.status, *plan = m.plan;
    snprintf(key, sizeof key, "%s\x1f%s", st ? st : "UNKNOWN", plan ? plan : "NONE");
    return json_object_set_new(counts, key,
                               json_integer(json_integer_value(json_object_get(counts, key)) + 1)) < 0
               ? BC_ENOMEM
               : 0;
}

static int count_tenants(struct bc_env *env, json_t **out)
{
    json_t *counts = json_object();
    int rc = bc_tenant_each(env, count_tenant, counts);
    if (rc < 0) {
        json_decref(counts);
        return rc;
    }
    *out = counts;
    return 0;
}

static void render_tenants(struct bc_env *env, struct bc_buf *b)
{
    pthread_mutex_lock(&P.tenants_mu);
    int64_t now = bc_now_ms();
    if (P.tenants_env != env) { /* another store's counts are no answer for this one */
        json_decref(P.tenants_counts);
        P.tenants_counts = NULL;
        P.tenants_env = env;
    }
    if (env && (!P.tenants_counts || now - P.tenants_at_ms > TENANTS_TTL_MS || now < P.tenants_at_ms)) {
        json_t *c = NULL;
        if (count_tenants(env, &c) == 0) {
            json_decref(P.tenants_counts);
            P.tenants_counts = c;
            P.tenants_at_ms = now;
        }
    }
    bc_metrics_family(b, "bookchat_tenants", "gauge", "Tenants by status and plan (refreshed every 30 s).");
    const char *k;
    json_t *v;
    json_object_foreach(P.tenants_counts, k, v)
    {
        struct bc_buf l = BC_BUF_INIT;
        const char *sep = strchr(k, '\x1f');
        bc_buf_puts(&l, "status=\"");
        bc_buf_append(&l, k, (size_t)(sep - k));
        bc_buf_puts(&l, "\",plan=\"");
        bc_metrics_label_value(&l, sep + 1);
        bc_buf_puts(&l, "\"");
        bc_metrics_sample(b, "bookchat_tenants", l.data, (double)json_integer_value(v));
        bc_buf_release(&l);
    }
    pthread_mutex_unlock(&P.tenants_mu);
}

/* ---- limits ---- */

_Static_assert(BC_METRICS_LIMIT_KEY == BC_VL__COUNT, "metrics.h counts one limit per visitor limit");

void bc_metrics_limited(int limit)
{
    if (limit >= 0 && limit < BC_METRICS_LIMITS) atomic_fetch_add(&P.limited[limit], 1);
}

static void render_limits(struct bc_buf *b)
{
    bc_metrics_family(b, "bookchat_limited_total", "counter",
                      "Public requests refused by a limit, by limit (docs/security.md, Widget abuse).");
    for (int i = 0; i < BC_METRICS_LIMITS; i++) {
        char l[96];
        snprintf(l, sizeof l, "limit=\"%s\"",
                 i < BC_VL__COUNT                  ? bc_visitor_limit_name(i)
                 : i == BC_METRICS_LIMIT_CHALLENGE ? "challenge_required"
                 : i == BC_METRICS_LIMIT_MANAGE    ? "manage_requests"
                                                   : "widget_key");
        bc_metrics_sample(b, "bookchat_limited_total", l, (double)atomic_load(&P.limited[i]));
    }
}

int bc_metrics_render(struct bc_server *srv, struct bc_buf *b)
{
    render_http(srv, b);
    bc_store_metrics(srv ? srv->store : NULL, b);
    bc_dispatch_metrics(srv ? srv->env : NULL, b);
    bc_regions_metrics(srv ? srv->regions : NULL, b);
    render_llm(b);
    bc_metrics_family(b, "bookchat_conversations_active", "gauge",
                      "Conversations with a customer turn in the last 15 minutes (this process).");
    bc_metrics_sample(b, "bookchat_conversations_active", NULL, (double)conversations_active());
    render_tenants(srv ? srv->env : NULL, b);
    uint64_t kr_used, kr_kept;
    bc_key_records_stats(srv ? srv->key_records : NULL, &kr_used, &kr_kept);
    bc_metrics_family(b, "bookchat_widget_key_records_used_total", "counter",
                      "Widget GETs authenticated from their key's record (key and tenant shown unchanged).");
    bc_metrics_sample(b, "bookchat_widget_key_records_used_total", NULL, (double)kr_used);
    bc_metrics_family(b, "bookchat_widget_key_records_kept_total", "counter",
                      "Records kept after a widget key's full resolution.");
    bc_metrics_sample(b, "bookchat_widget_key_records_kept_total", NULL, (double)kr_kept);
    render_limits(b);
    struct bc_usage_stats us;
    bc_usage_stats(srv ? srv->env : NULL, &us);
    bc_metrics_family(b, "bookchat_usage_flushes_total", "counter", "Flushes of the usage counters.");
    bc_metrics_sample(b, "bookchat_usage_flushes_total", NULL, (double)us.flushes);
    bc_metrics_family(b, "bookchat_usage_flush_errors_total", "counter",
                      "Usage writes that failed (their counts stay pending for the next flush).");
    bc_metrics_sample(b, "bookchat_usage_flush_errors_total", NULL, (double)us.flush_errors);
    bc_metrics_family(b, "bookchat_usage_items_written_total", "counter", "Usage items written by flushes.");
    bc_metrics_sample(b, "bookchat_usage_items_written_total", NULL, (double)us.items_written);
    bc_metrics_family(b, "bookchat_usage_tenants", "gauge", "Tenants whose usage is held in memory.");
    bc_metrics_sample(b, "bookchat_usage_tenants", NULL, (double)us.tenants);
    bc_metrics_process(b);
    return b->data ? 0 : BC_ENOMEM;
}

void bc_metrics_reset(void)
{
    pthread_once(&P.once, metrics_init);
    for (int r = 0; r <= MAX_ROUTES; r++) {
        for (int c = 0; c < NCLASSES; c++)
            for (int p = 0; p < NPLACEMENTS; p++) {
                struct bc_hist *h = &P.http_hist[r][c][p];
                for (int i = 0; i <= BC_HIST_MAX_BUCKETS; i++) atomic_store(&h->bucket[i], 0);
                atomic_store(&h->sum_ns, 0);
            }
    }
    pthread_mutex_lock(&P.llm_mu);
    P.nllm = 0;
    pthread_mutex_unlock(&P.llm_mu);
    pthread_mutex_lock(&P.conv_mu);
    memset(P.conv_slots, 0, sizeof P.conv_slots);
    P.conv_explicit = -1;
    pthread_mutex_unlock(&P.conv_mu);
    pthread_mutex_lock(&P.tenants_mu);
    json_decref(P.tenants_counts);
    P.tenants_counts = NULL;
    pthread_mutex_unlock(&P.tenants_mu);
    for (int i = 0; i < BC_METRICS_LIMITS; i++) atomic_store(&P.limited[i], 0);
}

/* ---- the metrics-only listener ---- */

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    static int first;
    (void)cls;
    (void)version;
    (void)upload_data;
    if (!*con_cls) { /* answer on the second call: keeps the connection alive */
        *con_cls = &first;
        return MHD_YES;
    }
    *upload_data_size = 0;
    struct MHD_Response *r;
    unsigned status = 200;
    if (strcmp(url, "/metrics") != 0 || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
        static const char nf[] = "not found: this listener serves GET /metrics only\n";
        r = MHD_create_response_from_buffer(sizeof nf - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
        status = 404;
    } else {
        struct bc_buf b = BC_BUF_INIT;
        bc_metrics_render(P.metrics_srv, &b);
        size_t len = 0;
        char *data = bc_buf_detach(&b, &len);
        r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (r) MHD_add_response_header(r, "Content-Type", BC_METRICS_CONTENT_TYPE);
    }
    if (!r) return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

int bc_metrics_listen(struct bc_server *srv, const char *listen, uint16_t *bound, char *err, size_t errsize)
{
    char host[64];
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    char *end = NULL;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host || !end || *end ||
        port > 65535 || colon[1] == '\0') {
        snprintf(err, errsize, "bad metrics_listen '%s' (expected IPv4:PORT)", listen ? listen : "");
        return BC_EINVALID;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        snprintf(err, errsize, "bad metrics_listen '%s' (expected IPv4:PORT)", listen);
        return BC_EINVALID;
    }
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    P.metrics_srv = srv;
    P.metrics_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL,
                                        NULL, on_metrics, NULL, MHD_OPTION_SOCK_ADDR,
                                        (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
    if (!P.metrics_daemon) {
        snprintf(err, errsize, "cannot listen on %s for metrics (address in use or not permitted)", listen);
        return BC_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(P.metrics_daemon, MHD_DAEMON_INFO_BIND_PORT);
    *bound = info ? info->port : (uint16_t)port;
    return 0;
}

void bc_metrics_listen_stop(void)
{
    if (!P.metrics_daemon) return;
    MHD_stop_daemon(P.metrics_daemon);
    P.metrics_daemon = NULL;
}
