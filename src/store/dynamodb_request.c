/* The call layer of the DynamoDB store backend: one operation of the JSON protocol (X-Amz-Target:
 * DynamoDB_20120810.*) sent over a pool of libcurl handles, signed with SigV4, its answer classified into a
 * bc_err and retried with backoff when that is safe, and its consumed capacity counted.
 *
 * DESIGN NOTES
 * - Connections: a mutex-protected pool of curl easy handles; each keeps its connection alive, so a busy
 *   process reuses TLS connections across threads. CURLOPT_NOSIGNAL; time-outs from the URL.
 * - Retries: full-jitter exponential backoff. Throttling (ProvisionedThroughputExceeded, Throttling,
 *   RequestLimitExceeded), 503 and connection failures mean the request was not applied and are always
 *   retried. A 500, a time-out or a broken connection after sending leave the outcome unknown: they are
 *   retried only for reads and idempotent writes (no condition, no ADD); a conditional or counting write
 *   answers BC_EUNAVAILABLE / BC_ETIMEOUT instead, because replaying it could report a false conflict
 *   (our own first attempt succeeded) or count twice.
 * - Errors: ConditionalCheckFailed -> BC_ECOND, ValidationException -> BC_EINVALID, throttling and 5xx
 *   after the last retry and network errors -> BC_EUNAVAILABLE, time-outs -> BC_ETIMEOUT, a missing table
 *   or rejected credentials -> BC_EIO (logged with the engine's message). */
#include "store/dynamodb_internal.h"
#include "util/config.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/id.h"
#include "util/log.h"
#include "util/sigv4.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RESPONSE (32u << 20)

/* ---- connection pool ---------------------------------------------------------------------------------- */

static CURL *pool_get(struct bc__ddb_store *st)
{
    CURL *c = NULL;
    pthread_mutex_lock(&st->mu);
    if (st->nidle) c = st->idle[--st->nidle];
    pthread_mutex_unlock(&st->mu);
    return c ? c : curl_easy_init();
}

static void pool_put(struct bc__ddb_store *st, CURL *c)
{
    if (!c) return;
    pthread_mutex_lock(&st->mu);
    if (st->nidle < BC__DDB_POOL_MAX) {
        st->idle[st->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&st->mu);
    if (c) curl_easy_cleanup(c);
}

/* ---- one HTTP request -----------------------------------------------------------------------------------
 */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct bc_buf *b = ud;
    size_t len = size * n;
    if (b->len + len > MAX_RESPONSE || bc_buf_append(b, p, len) < 0) return 0;
    return len;
}

static bool is_throttle(const char *type)
{
    return strcmp(type, "ProvisionedThroughputExceededException") == 0 ||
           strcmp(type, "ThrottlingException") == 0 || strcmp(type, "RequestLimitExceeded") == 0 ||
           strcmp(type, "Throttling") == 0 || strcmp(type, "TooManyRequestsException") == 0;
}

static void backoff(int attempt)
{
    /* full jitter: uniform in [0, min(2 s, 25 ms * 2^attempt)] */
    long cap_ms = 25L << (attempt < 7 ? attempt : 7);
    if (cap_ms > 2000) cap_ms = 2000;
    uint32_t r;
    bc_random(&r, sizeof r);
    long ms = (long)(r % (uint32_t)(cap_ms + 1));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void add_units(struct bc__ddb_store *st, const char *op, json_t *resp)
{
    json_t *cc = json_object_get(resp, "ConsumedCapacity");
    double u = json_number_value(json_object_get(cc, "CapacityUnits"));
    if (u <= 0) return;
    uint64_t milli = (uint64_t)(u * 1000 + 0.5);
    bool read = strcmp(op, "GetItem") == 0 || strcmp(op, "Query") == 0 || strcmp(op, "Scan") == 0;
    atomic_fetch_add(read ? &st->read_milli : &st->write_milli, milli);
}

/* What the answer to one attempt allows: stop with its result, try again, or try again only when
 * replaying the request cannot hurt (its outcome is unknown). */
enum attempt_next { ATTEMPT_DONE, ATTEMPT_RETRY, ATTEMPT_RETRY_IF_REPLAYABLE };

/* The signed header list of one attempt into *out (caller frees with curl_slist_free_all). 0, or
 * BC_ENOMEM or the error of the signature. */
static int signed_headers(struct bc__ddb_store *st, const char *target, const char *body, size_t body_len,
                          struct curl_slist **out)
{
    *out = NULL;
    char amz_date[17];
    struct bc__ddb_creds creds; /* the process's, or an assumed role's (dynamodb_sts.c) */
    int rc = bc__ddb_credentials(st, &creds);
    if (rc < 0) return rc;
    const char *token = creds.token[0] ? creds.token : NULL;
    bc_sigv4_amz_date(time(NULL), amz_date); /* the real clock: AWS refuses skewed signatures */
    struct bc_sigv4_header hs[5] = {
        {"host", st->host},
        {"content-type", "application/x-amz-json-1.0"},
        {"x-amz-date", amz_date},
        {"x-amz-target", target},
        {"x-amz-security-token", token},
    };
    struct bc_sigv4_request sr = {"POST", st->path, NULL, hs, token ? 5 : 4, body, body_len};
    struct bc_sigv4_credentials cr = {creds.access_key, creds.secret_key};
    struct bc_sigv4_scope sc = {amz_date, st->region, "dynamodb"};
    char *authz = NULL;
    rc = bc_sigv4_authorization(&sr, &cr, &sc, &authz);
    OPENSSL_cleanse(creds.secret_key, sizeof creds.secret_key);
    if (rc < 0) return rc;

    struct curl_slist *hl = NULL;
    struct bc_buf line = BC_BUF_INIT;
    bool hl_ok = true;
#define ADD_HEADER(...)                                                                                      \
    do {                                                                                                     \
        bc_buf_reset(&line);                                                                                 \
        struct curl_slist *n_ = NULL;                                                                        \
        if (bc_buf_printf(&line, __VA_ARGS__) == 0) n_ = curl_slist_append(hl, line.data);                   \
        if (n_)                                                                                              \
            hl = n_;                                                                                         \
        else                                                                                                 \
            hl_ok = false;                                                                                   \
    } while (0)
    ADD_HEADER("Host: %s", st->host);
    ADD_HEADER("Content-Type: application/x-amz-json-1.0");
    ADD_HEADER("X-Amz-Date: %s", amz_date);
    ADD_HEADER("X-Amz-Target: %s", target);
    if (token) ADD_HEADER("X-Amz-Security-Token: %s", token);
    ADD_HEADER("Authorization: %s", authz);
    ADD_HEADER("Expect:");
#undef ADD_HEADER
    bc_buf_release(&line);
    free(authz);
    if (!hl_ok) {
        curl_slist_free_all(hl);
        return BC_ENOMEM;
    }
    *out = hl;
    return 0;
}

/* POSTs body with the headers hl (takes ownership) on a pooled connection; the answer's body goes to out,
 * curl's result to *cc and the HTTP status to *status. 0, or BC_ENOMEM when no handle can be had. */
static int perform(struct bc__ddb_store *st, struct curl_slist *hl, const char *body, size_t body_len,
                   struct bc_buf *out, CURLcode *cc, long *status)
{
    CURL *c = pool_get(st);
    if (!c) {
        curl_slist_free_all(hl);
        return BC_ENOMEM;
    }
    bc_buf_reset(out);
    curl_easy_setopt(c, CURLOPT_URL, st->url);
    const char *ca = bc_config_get(BC_CFG_CA_FILE); /* e.g. Amazon Linux's bundle (docs/lambda.md) */
    if (ca && *ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, st->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, st->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    atomic_fetch_add(&st->requests, 1);
    *cc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hl);
    pool_put(st, c);
    return 0;
}

/* Classifies a request that got no HTTP answer (curl's cc): *rc and *err say why. */
static enum attempt_next network_failure(CURLcode cc, struct bc__ddb_error *err, int *rc)
{
    snprintf(err->type, sizeof err->type, "network");
    snprintf(err->message, sizeof err->message, "%s", curl_easy_strerror(cc));
    if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
        *rc = BC_EUNAVAILABLE; /* definitely not applied */
        return ATTEMPT_RETRY;
    }
    *rc = cc == CURLE_OPERATION_TIMEDOUT ? BC_ETIMEOUT : BC_EUNAVAILABLE;
    return ATTEMPT_RETRY_IF_REPLAYABLE;
}

/* Classifies an HTTP answer (status, body in out): on 200, *rc is 0 and *resp (when resp is not NULL) the
 * parsed body, and its consumed capacity is counted; otherwise *rc and *err say what the engine refused. */
static enum attempt_next answer(struct bc__ddb_store *st, const char *op, long status,
                                const struct bc_buf *out, json_t **resp, struct bc__ddb_error *err, int *rc)
{
    json_t *j = out->len ? json_loadb(out->data, out->len, 0, NULL) : NULL;
    if (status == 200) {
        if (!j) {
            snprintf(err->type, sizeof err->type, "bad-response");
            snprintf(err->message, sizeof err->message, "HTTP 200 with a body that is not JSON");
            *rc = BC_EIO;
            return ATTEMPT_DONE;
        }
        add_units(st, op, j);
        if (resp)
            *resp = j;
        else
            json_decref(j);
        *rc = 0;
        return ATTEMPT_DONE;
    }
    const char *type = json_string_value(json_object_get(j, "__type"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (!msg) msg = json_string_value(json_object_get(j, "Message"));
    const char *hash = type ? strrchr(type, '#') : NULL;
    snprintf(err->type, sizeof err->type, "%s", hash ? hash + 1 : type ? type : "");
    if (!err->type[0]) snprintf(err->type, sizeof err->type, "HTTP %ld", status);
    snprintf(err->message, sizeof err->message, "%s", msg ? msg : "");
    json_decref(j);
    if (is_throttle(err->type) || status == 503) {
        *rc = BC_EUNAVAILABLE; /* definitely not applied */
        return ATTEMPT_RETRY;
    }
    if (status >= 500) {
        *rc = BC_EUNAVAILABLE;
        return ATTEMPT_RETRY_IF_REPLAYABLE;
    }
    if (strcmp(err->type, "ConditionalCheckFailedException") == 0) {
        atomic_fetch_add(&st->cond_failures, 1);
        *rc = BC_ECOND;
    } else if (strcmp(err->type, "ValidationException") == 0 ||
               strcmp(err->type, "SerializationException") == 0) {
        *rc = BC_EINVALID;
    } else if (strcmp(err->type, "ResourceNotFoundException") == 0) {
        *rc = BC_ENOT_FOUND;
    } else {
        *rc = BC_EIO; /* credentials, permissions, unknown operation, item collection too large … */
    }
    return ATTEMPT_DONE;
}

/* Logs a failure the caller cannot be expected to handle quietly, and turns a missing table into BC_EIO
 * outside table management. Returns the final rc. */
static int finish(struct bc__ddb_store *st, const char *op, enum bc__ddb_op_kind kind, int rc,
                  const struct bc__ddb_error *err)
{
    if (rc < 0 && rc != BC_ECOND && rc != BC_ENOT_FOUND)
        bc_log(rc == BC_EINVALID ? BC_LOG_WARN : BC_LOG_ERROR, "dynamodb %s on table %s: %s%s%s", op,
               st->table, err->type, err->message[0] ? ": " : "", err->message);
    if (rc == BC_ENOT_FOUND && kind != BC__DDB_CONTROL) {
        bc_log(BC_LOG_ERROR, "dynamodb: table %s not found (create it with `bookchat store init`)",
               st->table);
        rc = BC_EIO;
    }
    return rc;
}

int bc__ddb_call(struct bc__ddb_store *st, const char *op, json_t *req, enum bc__ddb_op_kind kind,
                 json_t **resp, struct bc__ddb_error *err)
{
    struct bc__ddb_error scratch;
    if (!err) err = &scratch;
    err->type[0] = err->message[0] = '\0';
    if (resp) *resp = NULL;
    char *body = json_dumps(req, JSON_COMPACT);
    if (!body) return BC_ENOMEM;
    size_t body_len = strlen(body);
    struct bc_buf out = BC_BUF_INIT;
    int rc = BC_EUNAVAILABLE;
    char target[64];
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);

    for (int attempt = 0; attempt < st->max_attempts; attempt++) {
        if (attempt) {
            atomic_fetch_add(&st->retries, 1);
            backoff(attempt);
        }
        struct curl_slist *hl = NULL;
        CURLcode cc = CURLE_OK;
        long status = 0;
        if ((rc = signed_headers(st, target, body, body_len, &hl)) < 0) break;
        if ((rc = perform(st, hl, body, body_len, &out, &cc, &status)) < 0) break;
        enum attempt_next next =
            cc != CURLE_OK ? network_failure(cc, err, &rc) : answer(st, op, status, &out, resp, err, &rc);
        if (next == ATTEMPT_DONE || (next == ATTEMPT_RETRY_IF_REPLAYABLE && kind == BC__DDB_WRITE_ONCE))
            break;
    }
    free(body);
    bc_buf_release(&out);
    return finish(st, op, kind, rc, err);
}
