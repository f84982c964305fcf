/* The Lambda Runtime API client (runtime_api.h): one reused curl easy handle (one keep-alive connection to
 * the local endpoint), no time-out on the long poll, an interrupt flag checked by curl's progress callback.
 */
#include "cmd/runtime_api.h"
#include "util/buf.h"
#include "util/err.h"

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct bc_rapi {
    CURL *curl;
    char base[300]; /* http://HOST:PORT/2018-06-01/runtime */
    volatile sig_atomic_t stop;
    bool polling; /* in the long poll for the next invocation: the only call an interrupt ends (a response
                   * or error being posted is finished first) */
};

void bc_invocation_release(struct bc_invocation *inv)
{
    free(inv->event);
    memset(inv, 0, sizeof *inv);
}

struct bc_rapi *bc_rapi_new(const char *host_port)
{
    if (!host_port || !*host_port || strlen(host_port) > 200) return NULL;
    struct bc_rapi *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    snprintf(r->base, sizeof r->base, "http://%s/2018-06-01/runtime", host_port);
    r->curl = curl_easy_init();
    if (!r->curl) {
        free(r);
        return NULL;
    }
    return r;
}

void bc_rapi_free(struct bc_rapi *r)
{
    if (!r) return;
    curl_easy_cleanup(r->curl);
    free(r);
}

void bc_rapi_interrupt(struct bc_rapi *r)
{
    r->stop = 1;
}

bool bc_rapi_interrupted(const struct bc_rapi *r)
{
    return r->stop != 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    return bc_buf_append(ud, p, size * n) == 0 ? size * n : 0;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    struct bc_rapi *r = ud;
    return r->stop && r->polling ? 1 : 0;
}

/* "Name: value\r\n" into out when the header is name */
static void take(const char *line, size_t n, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return;
    const char *v = line + nl + 1;
    size_t vl = n - nl - 1;
    while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) vl--;
    if (vl >= size) vl = size - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct bc_invocation *inv = ud;
    size_t len = size * n;
    char deadline[32] = "";
    take(p, len, "Lambda-Runtime-Aws-Request-Id", inv->request_id, sizeof inv->request_id);
    take(p, len, "Lambda-Runtime-Trace-Id", inv->trace_id, sizeof inv->trace_id);
    take(p, len, "Lambda-Runtime-Invoked-Function-Arn", inv->function_arn, sizeof inv->function_arn);
    take(p, len, "Lambda-Runtime-Deadline-Ms", deadline, sizeof deadline);
    if (deadline[0]) inv->deadline_ms = strtoll(deadline, NULL, 10);
    return len;
}

/* One call: method GET (body NULL) or POST; the answer's status into *status, its body into resp. */
static int call(struct bc_rapi *r, const char *url, const char *body, size_t len, struct curl_slist *headers,
                struct bc_invocation *inv, struct bc_buf *resp, long *status, char *err, size_t errsize)
{
    CURL *c = r->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 0L); /* the next invocation may be hours away */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    if (inv) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, inv);
    }
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    CURLcode cc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (cc != CURLE_OK) {
        snprintf(err, errsize, "%s: %s", url, r->stop && r->polling ? "interrupted" : curl_easy_strerror(cc));
        return BC_EIO;
    }
    return 0;
}

int bc_rapi_next(struct bc_rapi *r, struct bc_invocation *inv, char *err, size_t errsize)
{
    char url[400];
    struct bc_buf body = BC_BUF_INIT;
    long status;
    memset(inv, 0, sizeof *inv);
    snprintf(url, sizeof url, "%s/invocation/next", r->base);
    if (r->stop) {
        snprintf(err, errsize, "interrupted");
        return BC_EIO;
    }
    r->polling = true;
    int rc = call(r, url, NULL, 0, NULL, inv, &body, &status, err, errsize);
    r->polling = false;
    if (rc == 0 && status != 200) {
        snprintf(err, errsize, "%s answered %ld", url, status);
        rc = BC_EIO;
    }
    if (rc == 0 && !inv->request_id[0]) {
        snprintf(err, errsize, "%s answered without Lambda-Runtime-Aws-Request-Id", url);
        rc = BC_EIO;
    }
    if (rc < 0) {
        bc_buf_release(&body);
        return rc;
    }
    inv->event_len = body.len;
    inv->event = bc_buf_detach(&body, &inv->event_len);
    if (!inv->event) inv->event = strdup("");
    return inv->event ? 0 : BC_ENOMEM;
}

/* A POST whose answer must be 202 Accepted (the API's documented answer; any 2xx is taken). */
static int post(struct bc_rapi *r, const char *url, const char *body, size_t len, struct curl_slist *headers,
                char *err, size_t errsize)
{
    struct bc_buf resp = BC_BUF_INIT;
    long status;
    int rc = call(r, url, body, len, headers, NULL, &resp, &status, err, errsize);
    if (rc == 0 && (status < 200 || status > 299)) {
        snprintf(err, errsize, "%s answered %ld: %.200s", url, status, resp.data ? resp.data : "");
        rc = BC_EIO;
    }
    bc_buf_release(&resp);
    return rc;
}

/* The request id as a path segment: the Runtime API's ids are UUIDs; anything else is refused rather than
 * pasted into a URL. */
static bool id_ok(const char *id)
{
    if (!*id) return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return false;
    return true;
}

int bc_rapi_respond(struct bc_rapi *r, const char *request_id, const char *body, size_t len, char *err,
                    size_t errsize)
{
    if (!id_ok(request_id)) {
        snprintf(err, errsize, "request id has characters a URL cannot carry");
        return BC_EINVALID;
    }
    char url[600];
    snprintf(url, sizeof url, "%s/invocation/%s/response", r->base, request_id);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    int rc = post(r, url, body, len, h, err, errsize);
    curl_slist_free_all(h);
    return rc;
}

int bc_rapi_error(struct bc_rapi *r, const char *request_id, const char *type, const char *message, char *err,
                  size_t errsize)
{
    char url[600], th[200];
    if (request_id && !id_ok(request_id)) {
        snprintf(err, errsize, "request id has characters a URL cannot carry");
        return BC_EINVALID;
    }
    if (request_id)
        snprintf(url, sizeof url, "%s/invocation/%s/error", r->base, request_id);
    else
        snprintf(url, sizeof url, "%s/init/error", r->base);
    json_t *m = json_string(message);
    if (!m) m = json_string("(message not valid UTF-8)");
    json_t *o = json_pack("{s:o, s:s, s:[]}", "errorMessage", m, "errorType", type, "stackTrace");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) return BC_ENOMEM;
    snprintf(th, sizeof th, "Lambda-Runtime-Function-Error-Type: %s", type);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/vnd.aws.lambda.error+json");
    h = curl_slist_append(h, th);
    int rc = post(r, url, s, strlen(s), h, err, errsize);
    curl_slist_free_all(h);
    free(s);
    return rc;
}
