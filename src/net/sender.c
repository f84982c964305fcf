/* The sender's thread and its sends (see sender.h): one libcurl multi handle, every send an easy handle
 * on it, results handed to completion callbacks. Modelled on the LLM engine (llm/engine.c), without its
 * retries: an outgoing delivery is retried by the outbox, which must record every attempt.
 *
 * DESIGN NOTES
 * - Threads: submitters only touch `incoming` (under mu) and call curl_multi_wakeup; the multi handle, the
 *   easy handles and the `active` list belong to the sender thread.
 * - A send is in exactly one place: `incoming`, or `active` with an easy handle in the multi handle. It
 *   leaves through complete(), which calls done exactly once and frees it.
 * - Shutdown sets `stopping` under mu (no submit succeeds after that) and wakes the thread, which completes
 *   every send with "cancelled" and exits; free joins it.
 * - A connection opened for an allow_private send is never reused (CURLOPT_FORBID_REUSE): every connection
 *   left in the multi handle's cache was opened to a public address, so a later strict send to the same
 *   host and port cannot ride on a connection the rule would have refused. */
#include "net/sender.h"
#include "net/addr.h"
#include "util/config.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MAX_RESPONSE       (64u << 10) /* response bytes read (and discarded) before the transfer stops */
#define DEFAULT_TIMEOUT_MS 30000L
#define MAX_CONNECT_MS     10000L

struct send {
    struct send *next, *prev;
    struct bc_sender *snd;
    enum bc_send_kind kind;
    char *url, *user, *password, *mail_from;
    struct curl_slist *headers, *rcpt;
    char *body;
    size_t body_len, body_off; /* body_off: bytes already handed to curl (SMTP upload) */
    bool allow_private, require_tls;
    char *ca_file;
    long timeout_ms;
    bc_send_done_fn done;
    void *ud;
    CURL *easy;
    size_t resp_len;
    bool resp_capped, refused;
    char curl_err[CURL_ERROR_SIZE];
    /* GET: the body kept (up to max_body), and the validators of the answer */
    struct bc_buf resp;
    size_t max_body;
    char *etag, *last_modified;
};

struct bc_sender {
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t mu;
    struct send *in_head, *in_tail; /* under mu */
    bool stopping;                  /* under mu */
    struct send *active;            /* sender thread only */
    _Atomic uint64_t delivered[3], failed[3], rejected[3], cancelled[3];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void send_free(struct send *j)
{
    if (j->easy) {
        curl_multi_remove_handle(j->snd->multi, j->easy);
        curl_easy_cleanup(j->easy);
    }
    curl_slist_free_all(j->headers);
    curl_slist_free_all(j->rcpt);
    free(j->url);
    if (j->password) { /* the SMTP password leaves no copy behind in freed memory */
        memset(j->password, 0, strlen(j->password));
        free(j->password);
    }
    free(j->user);
    free(j->ca_file);
    free(j->mail_from);
    free(j->body);
    bc_buf_release(&j->resp);
    free(j->etag);
    free(j->last_modified);
    free(j);
}

static void unlink_active(struct bc_sender *s, struct send *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else if (s->active == j)
        s->active = j->next;
    if (j->next) j->next->prev = j->prev;
    j->next = j->prev = NULL;
}

/* Ends a send: counts it, hands the result to done, frees it. on_active: j is in the active list. */
static void complete(struct send *j, struct bc_send_result *r, bool on_active, bool cancelled)
{
    struct bc_sender *s = j->snd;
    int k = j->kind == BC_SEND_SMTP ? 1 : j->kind == BC_SEND_HTTP_GET ? 2 : 0;
    if (on_active) unlink_active(s, j);
    if (cancelled)
        atomic_fetch_add(&s->cancelled[k], 1);
    else if (r->rc == 0)
        atomic_fetch_add(&s->delivered[k], 1);
    else if (r->permanent)
        atomic_fetch_add(&s->rejected[k], 1);
    else
        atomic_fetch_add(&s->failed[k], 1);
    j->done(j->ud, r); /* before the free: a GET's result borrows the body and headers from j */
    send_free(j);
}

static void fail_now(struct send *j, bool on_active, int rc, bool permanent, const char *why)
{
    struct bc_send_result r = {.rc = rc, .permanent = permanent};
    snprintf(r.error, sizeof r.error, "%s", why);
    complete(j, &r, on_active, false);
}

/* ---------------------------------------------------------------------------------------------------- */
/* curl callbacks                                                                                       */

/* The SSRF rule at connect time, on the address curl is about to connect to (after DNS). */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct send *j = ud;
    if (purpose == CURLSOCKTYPE_IPCXN && !j->allow_private && !bc_net_addr_public(&a->addr)) {
        j->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

/* The answer's body is of no use to a delivery: read up to MAX_RESPONSE, keep nothing, stop past it. A
 * GET keeps it, up to max_body. */
static size_t on_response(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct send *j = ud;
    size_t n = size * nmemb;
    if (j->kind == BC_SEND_HTTP_GET) {
        if (j->resp.len + n > j->max_body) {
            j->resp_capped = true;
            return 0;
        }
        bc_buf_append(&j->resp, ptr, n);
        return n;
    }
    if (j->resp_len + n > MAX_RESPONSE) {
        j->resp_capped = true;
        return 0; /* CURLE_WRITE_ERROR; the status already received still decides */
    }
    j->resp_len += n;
    return n;
}

/* A GET's ETag and Last-Modified, kept for the next conditional request. */
static size_t on_header(char *ptr, size_t size, size_t nitems, void *ud)
{
    struct send *j = ud;
    size_t n = size * nitems;
    static const struct {
        const char *name;
        size_t len;
    } hs[] = {{"etag:", 5}, {"last-modified:", 14}};
    for (int i = 0; i < 2; i++) {
        if (n <= hs[i].len || strncasecmp(ptr, hs[i].name, hs[i].len) != 0) continue;
        const char *v = ptr + hs[i].len, *e = ptr + n;
        while (v < e && (*v == ' ' || *v == '\t')) v++;
        while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ')) e--;
        char **dst = i == 0 ? &j->etag : &j->last_modified;
        if (e - v > 0 && e - v < 512) {
            free(*dst);
            *dst = strndup(v, (size_t)(e - v));
        }
    }
    return n;
}

/* The SMTP upload: the message, a buffer at a time. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    struct send *j = ud;
    size_t room = size * nitems, left = j->body_len - j->body_off;
    size_t n = left < room ? left : room;
    memcpy(buf, j->body + j->body_off, n);
    j->body_off += n;
    return n;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Starting and finishing a send                                                                        */

static void start(struct send *j)
{
    CURL *h = j->easy = curl_easy_init();
    if (!h) {
        fail_now(j, true, BC_ENOMEM, false, "out of memory");
        return;
    }
    curl_easy_setopt(h, CURLOPT_URL, j->url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, j);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, j->curl_err);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, j->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     j->timeout_ms < MAX_CONNECT_MS ? j->timeout_ms : MAX_CONNECT_MS);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    const char *ca =
        j->ca_file ? j->ca_file : bc_config_get(BC_CFG_CA_FILE); /* the SMTP server's own, or all */
    if (ca && *ca) curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_response);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, j);
    if (j->kind != BC_SEND_SMTP) { /* HTTP: the address rule at connect time (see on_open_socket) */
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, j->allow_private ? "http,https" : "https");
        curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, j);
        if (j->allow_private) curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, j->headers);
    }
    if (j->kind == BC_SEND_HTTP_GET) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, j);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip welcome; the limit counts decoded bytes */
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)j->max_body);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "bookchat-calendars");
    } else if (j->kind == BC_SEND_HTTP_POST) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "bookchat-webhooks");
    } else {
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(h, CURLOPT_MAIL_FROM, j->mail_from);
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, j->rcpt);
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, j);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->body_len);
        if (strncmp(j->url, "smtp:", 5) == 0)
            curl_easy_setopt(h, CURLOPT_USE_SSL, (long)(j->require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
        if (j->user) curl_easy_setopt(h, CURLOPT_USERNAME, j->user);
        if (j->password) curl_easy_setopt(h, CURLOPT_PASSWORD, j->password);
    }
    if (curl_multi_add_handle(j->snd->multi, h) != CURLM_OK)
        fail_now(j, true, BC_EINTERNAL, false, "could not start the transfer");
}

static const char *curl_reason(struct send *j, CURLcode cc)
{
    return j->curl_err[0] ? j->curl_err : curl_easy_strerror(cc);
}

/* The verdict on an HTTP delivery that got an answer with status. */
static void http_verdict(struct bc_send_result *r, long status)
{
    if (status >= 200 && status < 300) return;
    if (status >= 300 && status < 400) {
        r->rc = BC_EUNAVAILABLE;
        snprintf(r->error, sizeof r->error, "redirect not followed (HTTP %ld)", status);
    } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
        r->rc = BC_EINVALID;
        r->permanent = true;
        snprintf(r->error, sizeof r->error, "HTTP %ld", status);
    } else {
        r->rc = BC_EUNAVAILABLE;
        snprintf(r->error, sizeof r->error, "HTTP %ld", status);
    }
}

/* The verdict on a GET: 200 with its body, 304 (the copy held is current), anything else an error. */
static void get_verdict(struct send *j, struct bc_send_result *r, CURLcode cc)
{
    if (j->resp_capped || cc == CURLE_FILESIZE_EXCEEDED) {
        r->rc = BC_ETOO_LARGE;
        snprintf(r->error, sizeof r->error, "too large (over %zu bytes)", j->max_body);
    } else if (r->status == 304) {
        r->etag = j->etag;
        r->last_modified = j->last_modified;
    } else if (r->status >= 200 && r->status < 300) {
        r->body = j->resp.data ? j->resp.data : "";
        r->body_len = j->resp.len;
        r->etag = j->etag;
        r->last_modified = j->last_modified;
    } else {
        http_verdict(r, r->status);
    }
}

static void finish(struct send *j, CURLcode cc)
{
    struct bc_send_result r = {.rc = 0};
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &r.status);
    if (j->kind == BC_SEND_HTTP_GET && !j->refused &&
        (cc == CURLE_OK || cc == CURLE_FILESIZE_EXCEEDED || (cc == CURLE_WRITE_ERROR && j->resp_capped))) {
        get_verdict(j, &r, cc);
        complete(j, &r, true, false);
        return;
    }
    bool answered = cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && j->resp_capped && r.status > 0);
    if (j->kind == BC_SEND_HTTP_POST && answered) {
        http_verdict(&r, r.status);
    } else if (j->kind == BC_SEND_SMTP && cc == CURLE_OK) {
        /* delivered: the server accepted the message */
    } else if (j->refused) {
        r.rc = BC_EFORBIDDEN;
        r.permanent = true;
        snprintf(r.error, sizeof r.error, "address not allowed (not a public address)");
    } else if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
        r.rc = BC_EINVALID;
        r.permanent = true;
        snprintf(r.error, sizeof r.error, "bad URL: %.200s", curl_reason(j, cc));
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        r.rc = BC_ETIMEOUT;
        snprintf(r.error, sizeof r.error, "timeout after %ld ms: %.200s", j->timeout_ms, curl_reason(j, cc));
    } else {
        r.rc = BC_EUNAVAILABLE;
        /* SMTP: a 5xx reply (unknown mailbox, refused sender, failed login) will be the same next time */
        r.permanent = j->kind == BC_SEND_SMTP && r.status >= 500 && r.status < 600;
        if (j->kind == BC_SEND_SMTP && r.status > 0)
            snprintf(r.error, sizeof r.error, "SMTP %ld: %.200s", r.status, curl_reason(j, cc));
        else
            snprintf(r.error, sizeof r.error, "%s", curl_reason(j, cc));
    }
    complete(j, &r, true, false);
}

/* ---------------------------------------------------------------------------------------------------- */
/* The sender thread                                                                                    */

static void cancel(struct send *j, bool on_active)
{
    struct bc_send_result r = {.rc = BC_EUNAVAILABLE};
    if (j->easy) curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &r.status);
    snprintf(r.error, sizeof r.error, "cancelled: the sender is shutting down");
    complete(j, &r, on_active, true);
}

static void *sender_main(void *arg)
{
    struct bc_sender *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        struct send *queued = s->in_head;
        s->in_head = s->in_tail = NULL;
        bool stopping = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stopping) {
            while (queued) {
                struct send *next = queued->next;
                queued->next = NULL;
                cancel(queued, false);
                queued = next;
            }
            while (s->active) cancel(s->active, true);
            break;
        }
        while (queued) {
            struct send *j = queued;
            queued = j->next;
            j->next = s->active;
            j->prev = NULL;
            if (s->active) s->active->prev = j;
            s->active = j;
            start(j);
        }
        int running = 0;
        curl_multi_perform(s->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(s->multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            struct send *j = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            if (j) finish(j, msg->data.result);
        }
        curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
    }
    return NULL;
}

int bc_sender_new(struct bc_sender **out, char *err, size_t errsize)
{
    pthread_once(&curl_once, curl_init_once);
    *out = NULL;
    struct bc_sender *s = calloc(1, sizeof *s);
    if (!s || !(s->multi = curl_multi_init())) {
        free(s);
        if (err && errsize) snprintf(err, errsize, "out of memory");
        return BC_ENOMEM;
    }
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, 64L);
    pthread_mutex_init(&s->mu, NULL);
    if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
        pthread_mutex_destroy(&s->mu);
        curl_multi_cleanup(s->multi);
        free(s);
        if (err && errsize) snprintf(err, errsize, "could not start the sender thread");
        return BC_EINTERNAL;
    }
    pthread_setname_np(s->thread, "bc-send");
    *out = s;
    return 0;
}

void bc_sender_free(struct bc_sender *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_mutex_unlock(&s->mu);
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    curl_multi_cleanup(s->multi);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static bool has_crlf(const char *v)
{
    return v && strpbrk(v, "\r\n") != NULL;
}

static int copy_str(const char *in, char **out)
{
    *out = NULL;
    if (!in) return 0;
    return (*out = strdup(in)) ? 0 : BC_ENOMEM;
}

int bc_sender_submit(struct bc_sender *s, const struct bc_send_req *r, bc_send_done_fn done, void *ud)
{
    if (!s || !r || !done || !r->url || !*r->url || (r->nheaders && !r->headers) || (r->body_len && !r->body))
        return BC_EINVALID;
    if (has_crlf(r->url) || has_crlf(r->user) || has_crlf(r->password) || has_crlf(r->mail_from) ||
        has_crlf(r->rcpt))
        return BC_EINVALID;
    if (r->kind == BC_SEND_SMTP && (!r->mail_from || !r->rcpt || !*r->rcpt)) return BC_EINVALID;
    if (r->kind != BC_SEND_SMTP && r->kind != BC_SEND_HTTP_POST && r->kind != BC_SEND_HTTP_GET)
        return BC_EINVALID;
    if (has_crlf(r->if_none_match) || has_crlf(r->if_modified_since)) return BC_EINVALID;
    for (size_t i = 0; i < r->nheaders; i++)
        if (!r->headers[i] || has_crlf(r->headers[i]) || !strchr(r->headers[i], ':')) return BC_EINVALID;
    struct send *j = calloc(1, sizeof *j);
    if (!j) return BC_ENOMEM;
    j->snd = s;
    j->kind = r->kind;
    j->allow_private = r->allow_private;
    j->require_tls = r->require_tls;
    j->timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : DEFAULT_TIMEOUT_MS;
    j->max_body = r->max_body ? r->max_body : BC_SEND_GET_MAX_DEFAULT;
    j->done = done;
    j->ud = ud;
    int rc = BC_ENOMEM;
    if (copy_str(r->url, &j->url) < 0 || copy_str(r->user, &j->user) < 0 ||
        copy_str(r->password, &j->password) < 0 || copy_str(r->mail_from, &j->mail_from) < 0 ||
        copy_str(r->ca_file, &j->ca_file) < 0)
        goto fail;
    if (!(j->body = malloc(r->body_len + 1))) goto fail;
    if (r->body_len) memcpy(j->body, r->body, r->body_len);
    j->body[r->body_len] = '\0';
    j->body_len = r->body_len;
    struct curl_slist *n;
    for (size_t i = 0; i < r->nheaders; i++) {
        if (!(n = curl_slist_append(j->headers, r->headers[i]))) goto fail;
        j->headers = n;
    }
    if (r->kind == BC_SEND_HTTP_POST) {
        if (!(n = curl_slist_append(j->headers, "Expect:"))) goto fail; /* no 100-continue round trip */
        j->headers = n;
    } else if (r->kind == BC_SEND_HTTP_GET) {
        char line[600];
        const char *v[2] = {r->if_none_match, r->if_modified_since};
        const char *name[2] = {"If-None-Match", "If-Modified-Since"};
        for (int i = 0; i < 2; i++) {
            if (!v[i] || !*v[i] || strlen(v[i]) > 512) continue;
            snprintf(line, sizeof line, "%s: %s", name[i], v[i]);
            if (!(n = curl_slist_append(j->headers, line))) goto fail;
            j->headers = n;
        }
    } else if (!(j->rcpt = curl_slist_append(NULL, r->rcpt))) {
        goto fail;
    }
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        rc = BC_EUNAVAILABLE;
        goto fail;
    }
    if (s->in_tail)
        s->in_tail->next = j;
    else
        s->in_head = j;
    s->in_tail = j;
    pthread_mutex_unlock(&s->mu);
    curl_multi_wakeup(s->multi);
    return 0;
fail:
    send_free(j);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Counts                                                                                               */

void bc_sender_stats(struct bc_sender *s, struct bc_sender_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < 3; k++) {
        out->delivered[k] = atomic_load(&s->delivered[k]);
        out->failed[k] = atomic_load(&s->failed[k]);
        out->rejected[k] = atomic_load(&s->rejected[k]);
        out->cancelled[k] = atomic_load(&s->cancelled[k]);
    }
}

void bc_sender_metrics(struct bc_sender *s, struct bc_buf *b)
{
    if (!s) return;
    struct bc_sender_stats st;
    bc_sender_stats(s, &st);
    static const char *const kinds[3] = {"webhook", "email", "calendar"};
    bc_metrics_family(b, "bookchat_sends_total", "counter",
                      "Send attempts of e-mails and webhook calls, by kind and outcome (failed: retryable; "
                      "rejected: permanent)");
    for (int k = 0; k < 3; k++) {
        const struct {
            const char *name;
            uint64_t n;
        } o[] = {{"delivered", st.delivered[k]},
                 {"failed", st.failed[k]},
                 {"rejected", st.rejected[k]},
                 {"cancelled", st.cancelled[k]}};
        for (size_t i = 0; i < sizeof o / sizeof o[0]; i++) {
            char labels[64];
            snprintf(labels, sizeof labels, "kind=\"%s\",outcome=\"%s\"", kinds[k], o[i].name);
            bc_metrics_sample(b, "bookchat_sends_total", labels, (double)o[i].n);
        }
    }
}
