/* The proxy client (proxy.h): one thread, one libcurl multi handle, requests relayed whole.
 *
 * DESIGN NOTES
 * - Threads: submitters only touch `incoming` (under mu) and call curl_multi_wakeup; the multi handle, the
 *   easy handles and the `active` list belong to the proxy's thread.
 * - A request is in exactly one place: `incoming`, or `active` with its easy handle in the multi handle. It
 *   leaves through finish(), which hands the result to done exactly once and frees the rest.
 * - The multi handle keeps the connections to each region alive between requests (its connection cache),
 *   so a forwarded write costs one round trip, not a TCP and TLS handshake as well. */
#include "net/proxy.h"
#include "util/err.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_BODY   (8u << 20)

struct xfer {
    struct bc_proxy *p;
    CURL *easy;
    struct curl_slist *headers;
    char *method, *url, *body;
    size_t body_len, max_body;
    long timeout_ms;
    bool too_large;
    struct bc_proxy_result *res;
    bc_proxy_done_fn done;
    void *ud;
    struct xfer *next;
};

struct bc_proxy {
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t mu;
    struct xfer *incoming; /* under mu */
    bool stopping;         /* under mu */
    struct xfer *active;   /* proxy thread only */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void bc_proxy_result_free(struct bc_proxy_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    free(r);
}

const char *bc_proxy_result_header(const struct bc_proxy_result *r, const char *name)
{
    for (size_t i = 0; r && i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

static void xfer_free(struct xfer *x)
{
    if (x->easy) {
        curl_multi_remove_handle(x->p->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->headers);
    free(x->method);
    free(x->url);
    free(x->body);
    bc_proxy_result_free(x->res);
    free(x);
}

/* Hands x's result to done (rc 0 keeps the answer; otherwise why) and frees x. */
static void finish(struct xfer *x, int rc, const char *why)
{
    struct bc_proxy_result *r = x->res;
    x->res = NULL;
    r->rc = rc;
    if (rc < 0) snprintf(r->error, sizeof r->error, "%s", why ? why : "failed");
    x->done(x->ud, r);
    xfer_free(x);
}

static void unlink_active(struct bc_proxy *p, struct xfer *x)
{
    for (struct xfer **pp = &p->active; *pp; pp = &(*pp)->next)
        if (*pp == x) {
            *pp = x->next;
            break;
        }
    x->next = NULL;
}

/* ---- curl callbacks (proxy thread) ---- */

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    struct bc_proxy_result *r = x->res;
    size_t len = size * n;
    if (r->body_len + len > x->max_body) {
        x->too_large = true;
        return 0; /* stops the transfer: CURLE_WRITE_ERROR */
    }
    char *b = realloc(r->body, r->body_len + len + 1);
    if (!b) return 0;
    memcpy(b + r->body_len, data, len);
    r->body = b;
    r->body_len += len;
    b[r->body_len] = '\0';
    return len;
}

static void clear_headers(struct bc_proxy_result *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    r->nheaders = 0;
}

/* One header line; a status line starts the headers over (an interim 1xx answer had its own). */
static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    struct bc_proxy_result *r = x->res;
    size_t len = size * n;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        clear_headers(r);
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon || colon == data) return len; /* the blank line, or nothing usable */
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t')) end--;
    struct bc_proxy_header *h = realloc(r->headers, (r->nheaders + 1) * sizeof *h);
    if (!h) return 0;
    r->headers = h;
    h[r->nheaders].name = strndup(data, (size_t)(colon - data));
    h[r->nheaders].value = strndup(v, (size_t)(end - v));
    if (!h[r->nheaders].name || !h[r->nheaders].value) {
        free(h[r->nheaders].name);
        free(h[r->nheaders].value);
        return 0;
    }
    r->nheaders++;
    return len;
}

/* ---- the proxy's thread ---- */

static void start(struct bc_proxy *p, struct xfer *x)
{
    CURL *e = curl_easy_init();
    if (!e) {
        finish(x, BC_EUNAVAILABLE, "cannot create a transfer");
        return;
    }
    x->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    if (x->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, x->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, x->timeout_ms < 10000 ? x->timeout_ms : 10000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    if (curl_multi_add_handle(p->multi, e) != CURLM_OK) {
        finish(x, BC_EUNAVAILABLE, "cannot start the transfer");
        return;
    }
    x->next = p->active;
    p->active = x;
}

static void done_one(struct bc_proxy *p, CURL *e, CURLcode code)
{
    struct xfer *x = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
    if (!x) return;
    unlink_active(p, x);
    if (code == CURLE_OK) {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->res->status);
        finish(x, 0, NULL);
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
        finish(x, BC_ETIMEOUT, "timed out");
    } else {
        finish(x, BC_EUNAVAILABLE, x->too_large ? "answer too large" : curl_easy_strerror(code));
    }
}

static void *proxy_main(void *arg)
{
    struct bc_proxy *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        struct xfer *in = p->incoming;
        p->incoming = NULL;
        bool stopping = p->stopping;
        pthread_mutex_unlock(&p->mu);
        while (in) {
            struct xfer *next = in->next;
            in->next = NULL;
            if (stopping)
                finish(in, BC_EUNAVAILABLE, "cancelled");
            else
                start(p, in);
            in = next;
        }
        if (stopping) {
            while (p->active) {
                struct xfer *x = p->active;
                p->active = x->next;
                finish(x, BC_EUNAVAILABLE, "cancelled");
            }
            return NULL;
        }
        int running = 0;
        curl_multi_perform(p->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(p->multi, &left)))
            if (m->msg == CURLMSG_DONE) done_one(p, m->easy_handle, m->data.result);
        curl_multi_poll(p->multi, NULL, 0, 1000, NULL);
    }
}

int bc_proxy_new(struct bc_proxy **out)
{
    pthread_once(&curl_once, curl_init_once);
    struct bc_proxy *p = calloc(1, sizeof *p);
    if (!p) return BC_ENOMEM;
    p->multi = curl_multi_init();
    if (!p->multi) {
        free(p);
        return BC_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->thread, NULL, proxy_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        curl_multi_cleanup(p->multi);
        free(p);
        return BC_EUNAVAILABLE;
    }
    *out = p;
    return 0;
}

void bc_proxy_stop(struct bc_proxy *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    bool first = !p->stopping;
    p->stopping = true;
    pthread_mutex_unlock(&p->mu);
    if (!first) return;
    curl_multi_wakeup(p->multi);
    pthread_join(p->thread, NULL);
}

void bc_proxy_free(struct bc_proxy *p)
{
    if (!p) return;
    bc_proxy_stop(p);
    curl_multi_cleanup(p->multi);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int bc_proxy_submit(struct bc_proxy *p, const struct bc_proxy_req *r, bc_proxy_done_fn done, void *ud)
{
    if (!r->method || !r->url || !done) return BC_EINVALID;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strpbrk(r->headers[i], "\r\n")) return BC_EINVALID;
    struct xfer *x = calloc(1, sizeof *x);
    if (!x) return BC_ENOMEM;
    x->p = p;
    x->done = done;
    x->ud = ud;
    x->timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : DEFAULT_TIMEOUT_MS;
    x->max_body = r->max_body ? r->max_body : DEFAULT_MAX_BODY;
    x->method = strdup(r->method);
    x->url = strdup(r->url);
    x->res = calloc(1, sizeof *x->res);
    if (r->body) {
        x->body = malloc(r->body_len + 1);
        if (x->body) {
            memcpy(x->body, r->body, r->body_len);
            x->body[r->body_len] = '\0';
            x->body_len = r->body_len;
        }
    }
    bool ok = x->method && x->url && x->res && (!r->body || x->body);
    /* no "Expect: 100-continue" round trip: the body is small and the other side is ours */
    struct curl_slist *h = ok ? curl_slist_append(NULL, "Expect:") : NULL;
    ok = ok && h;
    for (size_t i = 0; ok && i < r->nheaders; i++) {
        struct curl_slist *n = curl_slist_append(h, r->headers[i]);
        if (!n) ok = false;
        h = n ? n : h;
    }
    x->headers = h;
    if (!ok) {
        xfer_free(x);
        return BC_ENOMEM;
    }
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        xfer_free(x);
        return BC_EUNAVAILABLE;
    }
    x->next = p->incoming;
    p->incoming = x;
    pthread_mutex_unlock(&p->mu);
    curl_multi_wakeup(p->multi);
    return 0;
}
