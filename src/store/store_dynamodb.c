/* The scale-out store backend on DynamoDB (or a DynamoDB-compatible engine: dynalite in tests, ScyllaDB
 * Alternator): the JSON protocol (X-Amz-Target: DynamoDB_20120810.*) over libcurl, signed with SigV4.
 * Any number of bookchat processes may share one table: every invariant is a condition that DynamoDB
 * checks in the same atomic step as the write, never a lock in this process.
 *
 * DESIGN NOTES
 * - Table: hash key PK (S), range key SK (S); an item's other attributes are its JSON fields converted
 *   with store/dynamodb_item.c. TTL is enabled on "ttl" (epoch seconds), but DynamoDB deletes expired items
 *   only eventually (within days), so the contract's ttl semantics are enforced here:
 *   · reads (GetItem with ConsistentRead, Query, Scan) drop items whose ttl <= now;
 *   · put/delete conditions treat an expired item as absent inside the ConditionExpression itself
 *     ("attribute_not_exists(PK) OR (ttl > 0 AND ttl <= :now)"), so they stay one request;
 *   · an update must start from an empty item when the old one expired, which UpdateItem cannot express:
 *     it is sent with the extra condition "NOT expired"; when that fails, a consistent GetItem tells why.
 *     If the item is expired and the caller's condition holds for an absent item, the new item (keys +
 *     update) replaces it with a PutItem conditioned on "still expired"; if the item is live and the
 *     caller's condition fails on it, the answer is BC_ECOND; otherwise the item changed in between and
 *     the update is tried again (bounded).
 * - Conditions are server-side, so they hold across processes; "version" conditions compare the integer
 *   attribute (missing item, missing or non-number attribute count as 0).
 * - Cursors stay opaque and backend-shaped like LMDB's: base64url of the last returned SK (query) or of
 *   PK "\0" SK (scan); the next page starts with ExclusiveStartKey built from it. A page asks DynamoDB for
 *   limit+1 items (and more requests when expired items or the 1 MB page cut it short), so a cursor is
 *   handed out only when another live item exists.
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
 *   or rejected credentials -> BC_EIO (logged with the engine's message).
 * - reap: 0 with native TTL (DynamoDB deletes). With "ttl=reap" in the URL (engines without TTL, such as
 *   dynalite) it scans for expired items (resuming where the last call stopped) and deletes each with
 *   the condition "still expired".
 * - Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN at open time.
 * - Where DynamoDB is stricter than LMDB, its refusal is BC_EINVALID: items over 400 KB, empty attribute
 *   names, nesting deeper than 32 levels. Where it is looser: "add" to a non-integer number is applied
 *   (DynamoDB's ADD takes any number) instead of refused. */
#include "store/dynamodb.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
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

#define POOL_MAX     64
#define MAX_RESPONSE (32u << 20)
#define UPDATE_TRIES 16

struct ddb_store {
    struct bc_store base;
    char table[256];
    char region[64];
    char url[1024]; /* endpoint URL the requests go to */
    char host[512]; /* Host header (signed) */
    char path[512]; /* request path (signed) */
    char *access_key, *secret_key, *token;
    bool ttl_reap;
    long timeout_ms, connect_timeout_ms;
    int max_attempts;
    pthread_mutex_t mu; /* guards idle[] and reap_start */
    CURL *idle[POOL_MAX];
    int nidle;
    json_t *reap_start; /* ExclusiveStartKey where the next reap scan resumes */
    atomic_uint_fast64_t requests, retries, cond_failures, read_milli, write_milli;
};

struct ddb_error {
    char type[96];
    char message[256];
};

enum op_kind { OP_READ, OP_WRITE_IDEMPOTENT, OP_WRITE_ONCE, OP_CONTROL };

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- connection pool ---------------------------------------------------------------------------------- */

static CURL *pool_get(struct ddb_store *st)
{
    CURL *c = NULL;
    pthread_mutex_lock(&st->mu);
    if (st->nidle) c = st->idle[--st->nidle];
    pthread_mutex_unlock(&st->mu);
    return c ? c : curl_easy_init();
}

static void pool_put(struct ddb_store *st, CURL *c)
{
    if (!c) return;
    pthread_mutex_lock(&st->mu);
    if (st->nidle < POOL_MAX) {
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

static void add_units(struct ddb_store *st, const char *op, json_t *resp)
{
    json_t *cc = json_object_get(resp, "ConsumedCapacity");
    double u = json_number_value(json_object_get(cc, "CapacityUnits"));
    if (u <= 0) return;
    uint64_t milli = (uint64_t)(u * 1000 + 0.5);
    bool read = strcmp(op, "GetItem") == 0 || strcmp(op, "Query") == 0 || strcmp(op, "Scan") == 0;
    atomic_fetch_add(read ? &st->read_milli : &st->write_milli, milli);
}

/* Sends one signed request and waits for the answer. Returns 0 with *resp (caller decrefs; may be NULL
 * when resp is NULL), or a negative bc_err with the engine's error in *err (when not NULL). */
static int ddb_call(struct ddb_store *st, const char *op, json_t *req, enum op_kind kind, json_t **resp,
                    struct ddb_error *err)
{
    struct ddb_error scratch;
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
        char amz_date[17];
        bc_sigv4_amz_date(time(NULL), amz_date); /* the real clock: AWS refuses skewed signatures */
        struct bc_sigv4_header hs[5] = {
            {"host", st->host},
            {"content-type", "application/x-amz-json-1.0"},
            {"x-amz-date", amz_date},
            {"x-amz-target", target},
            {"x-amz-security-token", st->token},
        };
        struct bc_sigv4_request sr = {"POST", st->path, NULL, hs, st->token ? 5 : 4, body, body_len};
        struct bc_sigv4_credentials cr = {st->access_key, st->secret_key};
        struct bc_sigv4_scope sc = {amz_date, st->region, "dynamodb"};
        char *authz = NULL;
        rc = bc_sigv4_authorization(&sr, &cr, &sc, &authz);
        if (rc < 0) break;

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
        if (st->token) ADD_HEADER("X-Amz-Security-Token: %s", st->token);
        ADD_HEADER("Authorization: %s", authz);
        ADD_HEADER("Expect:");
#undef ADD_HEADER
        bc_buf_release(&line);
        free(authz);
        if (!hl_ok) {
            curl_slist_free_all(hl);
            rc = BC_ENOMEM;
            break;
        }

        CURL *c = pool_get(st);
        if (!c) {
            curl_slist_free_all(hl);
            rc = BC_ENOMEM;
            break;
        }
        bc_buf_reset(&out);
        curl_easy_setopt(c, CURLOPT_URL, st->url);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, st->timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, st->connect_timeout_ms);
        curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        atomic_fetch_add(&st->requests, 1);
        CURLcode cc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(hl);
        pool_put(st, c);

        bool definitely_not_applied = false, outcome_unknown = false;
        if (cc != CURLE_OK) {
            snprintf(err->type, sizeof err->type, "network");
            snprintf(err->message, sizeof err->message, "%s", curl_easy_strerror(cc));
            if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
                definitely_not_applied = true;
                rc = BC_EUNAVAILABLE;
            } else {
                outcome_unknown = true;
                rc = cc == CURLE_OPERATION_TIMEDOUT ? BC_ETIMEOUT : BC_EUNAVAILABLE;
            }
        } else {
            json_t *j = out.len ? json_loadb(out.data, out.len, 0, NULL) : NULL;
            if (status == 200) {
                if (!j) {
                    snprintf(err->type, sizeof err->type, "bad-response");
                    snprintf(err->message, sizeof err->message, "HTTP 200 with a body that is not JSON");
                    rc = BC_EIO;
                    break;
                }
                add_units(st, op, j);
                if (resp)
                    *resp = j;
                else
                    json_decref(j);
                rc = 0;
                break;
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
                definitely_not_applied = true;
                rc = BC_EUNAVAILABLE;
            } else if (status >= 500) {
                outcome_unknown = true;
                rc = BC_EUNAVAILABLE;
            } else if (strcmp(err->type, "ConditionalCheckFailedException") == 0) {
                atomic_fetch_add(&st->cond_failures, 1);
                rc = BC_ECOND;
                break;
            } else if (strcmp(err->type, "ValidationException") == 0 ||
                       strcmp(err->type, "SerializationException") == 0) {
                rc = BC_EINVALID;
                break;
            } else if (strcmp(err->type, "ResourceNotFoundException") == 0) {
                rc = BC_ENOT_FOUND;
                break;
            } else {
                rc = BC_EIO; /* credentials, permissions, unknown operation, item collection too large … */
                break;
            }
        }
        bool retry = definitely_not_applied || (outcome_unknown && kind != OP_WRITE_ONCE);
        if (!retry) break;
    }
    free(body);
    bc_buf_release(&out);
    if (rc < 0 && rc != BC_ECOND && rc != BC_ENOT_FOUND)
        bc_log(rc == BC_EINVALID ? BC_LOG_WARN : BC_LOG_ERROR, "dynamodb %s on table %s: %s%s%s", op,
               st->table, err->type, err->message[0] ? ": " : "", err->message);
    if (rc == BC_ENOT_FOUND && kind != OP_CONTROL) {
        bc_log(BC_LOG_ERROR, "dynamodb: table %s not found (create it with `bookchat store init`)",
               st->table);
        rc = BC_EIO;
    }
    return rc;
}

/* ---- expressions ----------------------------------------------------------------------------------------
 */

/* An expression under construction with the placeholders it uses (DynamoDB rejects unused ones). */
struct expr {
    struct bc_buf s;
    json_t *names;  /* ExpressionAttributeNames */
    json_t *values; /* ExpressionAttributeValues */
    int64_t now;
    int n; /* counter for generated placeholders */
    int rc;
};

static void ex_init(struct expr *e, json_t *names, json_t *values, int64_t now)
{
    bc_buf_init(&e->s);
    e->names = names;
    e->values = values;
    e->now = now;
    e->n = 0;
    e->rc = 0;
}

static void ex_puts(struct expr *e, const char *s)
{
    if (e->rc == 0) e->rc = bc_buf_puts(&e->s, s);
}

static void ex_name(struct expr *e, const char *ph, const char *attr)
{
    if (e->rc == 0 && json_object_set_new(e->names, ph, json_string(attr)) < 0) e->rc = BC_ENOMEM;
}

static void ex_value(struct expr *e, const char *ph, json_t *av)
{
    if (e->rc == 0 && (!av || json_object_set_new(e->values, ph, av) < 0))
        e->rc = BC_ENOMEM;
    else if (e->rc)
        json_decref(av);
}

static json_t *av_n(int64_t v)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)v);
    return json_pack("{s:s}", "N", s);
}

static json_t *av_s(const char *s)
{
    json_t *str = json_string(s);
    return str ? json_pack("{s:o}", "S", str) : NULL;
}

/* "(ttl > 0 AND ttl <= now)": the item carries a ttl that has passed. */
static void ex_expired(struct expr *e)
{
    ex_name(e, "#ttl", "ttl");
    ex_value(e, ":zero", av_n(0));
    ex_value(e, ":now", av_n(e->now));
    ex_puts(e, "(#ttl > :zero AND #ttl <= :now)");
}

static void ex_version_eq(struct expr *e, int64_t v)
{
    ex_name(e, "#ver", "version");
    ex_value(e, ":ver", av_n(v));
    ex_puts(e, "#ver = :ver");
}

/* The stored item (if any) has version 0: no attribute, 0, or not a number. */
static void ex_version_zero(struct expr *e)
{
    ex_name(e, "#ver", "version");
    ex_value(e, ":zero", av_n(0));
    ex_value(e, ":tn", av_s("N"));
    ex_puts(e, "(attribute_not_exists(#ver) OR #ver = :zero OR NOT attribute_type(#ver, :tn))");
}

/* Condition for put/delete, where an expired item counts as absent inside the expression. Returns false
 * when there is no condition. */
static bool ex_cond_put(struct expr *e, const struct bc_cond *c)
{
    if (!c || c->kind == BC_COND_NONE) return false;
    switch (c->kind) {
    case BC_COND_NOT_EXISTS:
        ex_name(e, "#pk", "PK");
        ex_puts(e, "(attribute_not_exists(#pk) OR ");
        ex_expired(e);
        ex_puts(e, ")");
        break;
    case BC_COND_EXISTS:
        ex_name(e, "#pk", "PK");
        ex_puts(e, "(attribute_exists(#pk) AND NOT ");
        ex_expired(e);
        ex_puts(e, ")");
        break;
    case BC_COND_VERSION:
        if (c->version == 0) {
            ex_puts(e, "(");
            ex_expired(e);
            ex_puts(e, " OR ");
            ex_version_zero(e);
            ex_puts(e, ")");
        } else {
            ex_puts(e, "(");
            ex_version_eq(e, c->version);
            ex_puts(e, " AND NOT ");
            ex_expired(e);
            ex_puts(e, ")");
        }
        break;
    default:
        e->rc = BC_EINVALID;
    }
    return true;
}

/* Condition for update: the caller's condition on a live item, and "not expired" (an expired item is
 * handled by the caller after the condition fails). */
static void ex_cond_update(struct expr *e, const struct bc_cond *c)
{
    enum bc_cond_kind k = c ? c->kind : BC_COND_NONE;
    switch (k) {
    case BC_COND_NONE:
        break;
    case BC_COND_NOT_EXISTS:
        ex_name(e, "#pk", "PK");
        ex_puts(e, "attribute_not_exists(#pk)");
        return; /* an expired item fails this too, and is then handled as absent */
    case BC_COND_EXISTS:
        ex_name(e, "#pk", "PK");
        ex_puts(e, "attribute_exists(#pk) AND ");
        break;
    case BC_COND_VERSION:
        if (c->version == 0)
            ex_version_zero(e);
        else
            ex_version_eq(e, c->version);
        ex_puts(e, " AND ");
        break;
    default:
        e->rc = BC_EINVALID;
        return;
    }
    ex_puts(e, "NOT ");
    ex_expired(e);
}

/* ---- request building helpers ---------------------------------------------------------------------------
 */

static json_t *key_av(const char *pk, const char *sk)
{
    json_t *p = av_s(pk), *s = av_s(sk);
    if (!p || !s) {
        json_decref(p);
        json_decref(s);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "PK", p, "SK", s);
}

/* Sets req's "Key"; BC_EINVALID for keys that are not valid UTF-8. */
static int set_key(json_t *req, const char *pk, const char *sk)
{
    if (!req) return BC_ENOMEM;
    json_t *k = key_av(pk, sk);
    if (!k) return BC_EINVALID;
    return json_object_set_new(req, "Key", k) < 0 ? BC_ENOMEM : 0;
}

static json_t *new_request(struct ddb_store *st)
{
    return json_pack("{s:s, s:s}", "TableName", st->table, "ReturnConsumedCapacity", "TOTAL");
}

/* Attaches the expression (under field) and its placeholders to req. */
static int attach(json_t *req, const char *field, struct expr *e)
{
    if (e->rc < 0) return e->rc;
    if (field && e->s.len && json_object_set_new(req, field, json_string(e->s.data)) < 0) return BC_ENOMEM;
    return 0;
}

static int attach_placeholders(json_t *req, json_t *names, json_t *values)
{
    if (json_object_size(names) && json_object_set(req, "ExpressionAttributeNames", names) < 0)
        return BC_ENOMEM;
    if (json_object_size(values) && json_object_set(req, "ExpressionAttributeValues", values) < 0)
        return BC_ENOMEM;
    return 0;
}

/* Converts a response's attribute map; BC_EIO when the engine sent something we cannot read. */
static int item_from(json_t *map, json_t **out)
{
    int rc = bc__ddb_item_from_av(map, out);
    if (rc == BC_EINVALID) {
        bc_log(BC_LOG_ERROR, "dynamodb: unreadable item in a response");
        rc = BC_EIO;
    }
    return rc;
}

/* ---- operations -----------------------------------------------------------------------------------------
 */

/* The stored item, expired or not; *out NULL when absent. */
static int get_raw(struct ddb_store *st, const char *pk, const char *sk, json_t **out)
{
    *out = NULL;
    json_t *req = new_request(st), *resp = NULL;
    int rc = set_key(req, pk, sk);
    if (rc == 0 && json_object_set_new(req, "ConsistentRead", json_true()) < 0) rc = BC_ENOMEM;
    if (rc == 0) rc = ddb_call(st, "GetItem", req, OP_READ, &resp, NULL);
    json_t *item = json_object_get(resp, "Item");
    if (rc == 0 && item) rc = item_from(item, out);
    json_decref(req);
    json_decref(resp);
    return rc;
}

static int dd_get(struct bc_store *s, const char *pk, const char *sk, json_t **out)
{
    int rc = get_raw((struct ddb_store *)s, pk, sk, out);
    if (rc == 0 && *out && bc__store_expired(*out, bc_now_s())) {
        json_decref(*out);
        *out = NULL;
    }
    return rc == 0 && !*out ? BC_ENOT_FOUND : rc;
}

/* PutItem of item with the put/delete-style condition (or, when only_if_expired, "the stored item is
 * expired"). */
static int put_item(struct ddb_store *st, json_t *item, const struct bc_cond *cond, bool only_if_expired)
{
    json_t *req = new_request(st), *names = json_object(), *values = json_object();
    struct expr e;
    ex_init(&e, names, values, bc_now_s());
    int rc = BC_ENOMEM;
    json_t *av = bc__ddb_item_to_av(item);
    if (!req || !names || !values) goto out;
    if (!av) {
        rc = BC_EINVALID; /* nested too deep */
        goto out;
    }
    if (json_object_set_new(req, "Item", av) < 0) goto out;
    av = NULL;
    if (only_if_expired)
        ex_expired(&e);
    else
        ex_cond_put(&e, cond);
    bool has_cond = e.s.len > 0;
    if ((rc = attach(req, "ConditionExpression", &e)) < 0) goto out;
    if (has_cond && (rc = attach_placeholders(req, names, values)) < 0) goto out;
    bool once = cond && cond->kind != BC_COND_NONE;
    rc = ddb_call(st, "PutItem", req, once || only_if_expired ? OP_WRITE_ONCE : OP_WRITE_IDEMPOTENT, NULL,
                  NULL);
out:
    json_decref(av);
    bc_buf_release(&e.s);
    json_decref(req);
    json_decref(names);
    json_decref(values);
    return rc;
}

static int dd_put(struct bc_store *s, json_t *item, const struct bc_cond *cond)
{
    return put_item((struct ddb_store *)s, item, cond, false);
}

static int dd_del(struct bc_store *s, const char *pk, const char *sk, const struct bc_cond *cond)
{
    struct ddb_store *st = (struct ddb_store *)s;
    json_t *req = new_request(st), *names = json_object(), *values = json_object();
    struct expr e;
    ex_init(&e, names, values, bc_now_s());
    int rc = BC_ENOMEM;
    if (!names || !values || (rc = set_key(req, pk, sk)) < 0) goto out;
    bool has_cond = ex_cond_put(&e, cond);
    if ((rc = attach(req, "ConditionExpression", &e)) < 0) goto out;
    if (has_cond && (rc = attach_placeholders(req, names, values)) < 0) goto out;
    rc = ddb_call(st, "DeleteItem", req, has_cond ? OP_WRITE_ONCE : OP_WRITE_IDEMPOTENT, NULL, NULL);
out:
    bc_buf_release(&e.s);
    json_decref(req);
    json_decref(names);
    json_decref(values);
    return rc;
}

static bool is_key_attr(const char *name)
{
    return strcmp(name, "PK") == 0 || strcmp(name, "SK") == 0;
}

/* Validates u like bc__store_apply_update and rewrites it into what one UpdateExpression can say (DynamoDB
 * refuses two clauses on one attribute): a name removed is only removed; a name both set and added is set
 * to the sum. The three parts are new references (possibly empty). */
static int plan_update(const struct bc_update *u, json_t **set, json_t **add, json_t **rem)
{
    *set = json_object();
    *add = json_object();
    *rem = json_array();
    if (!*set || !*add || !*rem) return BC_ENOMEM;
    if (!u) return 0;
    if ((u->set && !json_is_object(u->set)) || (u->add && !json_is_object(u->add)) ||
        (u->remove && !json_is_array(u->remove)))
        return BC_EINVALID;
    const char *k;
    json_t *v;
    size_t i;
    json_array_foreach(u->remove, i, v)
    {
        if (!json_is_string(v) || is_key_attr(json_string_value(v)) || !*json_string_value(v))
            return BC_EINVALID;
        bool dup = false;
        size_t j;
        json_t *w;
        json_array_foreach(*rem, j, w) dup |= json_equal(v, w);
        if (!dup && json_array_append(*rem, v) < 0) return BC_ENOMEM;
    }
    json_object_foreach(u->set, k, v)
    {
        if (is_key_attr(k) || !*k) return BC_EINVALID;
    }
    json_object_foreach(u->add, k, v)
    {
        if (is_key_attr(k) || !*k || !json_is_integer(v)) return BC_EINVALID;
        json_t *sv = json_object_get(u->set, k);
        if (sv && !json_is_integer(sv)) return BC_EINVALID;
    }
    json_object_foreach(u->set, k, v)
    {
        bool removed = false;
        json_t *r;
        json_array_foreach(*rem, i, r) removed |= strcmp(json_string_value(r), k) == 0;
        if (removed) continue;
        json_t *sv = json_object_get(u->set, k), *av = json_object_get(u->add, k);
        json_t *nv = av ? json_integer(json_integer_value(sv) + json_integer_value(av)) : json_incref(sv);
        if (json_object_set_new(*set, k, nv) < 0) return BC_ENOMEM;
    }
    json_object_foreach(u->add, k, v)
    {
        bool removed = false;
        json_t *r;
        json_array_foreach(*rem, i, r) removed |= strcmp(json_string_value(r), k) == 0;
        if (removed || json_object_get(u->set, k)) continue;
        if (json_object_set(*add, k, v) < 0) return BC_ENOMEM;
    }
    return 0;
}

/* Builds "SET #u0 = :u0, … ADD #u1 :u1 … REMOVE #u2, …" into e. */
static void ex_update(struct expr *e, json_t *set, json_t *add, json_t *rem)
{
    const char *k;
    json_t *v;
    size_t i;
    char ph[16], vph[16];
    const char *sep = "SET ";
    json_object_foreach(set, k, v)
    {
        snprintf(ph, sizeof ph, "#u%d", e->n);
        snprintf(vph, sizeof vph, ":u%d", e->n++);
        ex_name(e, ph, k);
        ex_value(e, vph, bc__ddb_value_to_av(v));
        ex_puts(e, sep);
        ex_puts(e, ph);
        ex_puts(e, " = ");
        ex_puts(e, vph);
        sep = ", ";
    }
    sep = json_object_size(set) ? " ADD " : "ADD ";
    json_object_foreach(add, k, v)
    {
        snprintf(ph, sizeof ph, "#u%d", e->n);
        snprintf(vph, sizeof vph, ":u%d", e->n++);
        ex_name(e, ph, k);
        ex_value(e, vph, bc__ddb_value_to_av(v));
        ex_puts(e, sep);
        ex_puts(e, ph);
        ex_puts(e, " ");
        ex_puts(e, vph);
        sep = ", ";
    }
    sep = e->s.len ? " REMOVE " : "REMOVE ";
    json_array_foreach(rem, i, v)
    {
        snprintf(ph, sizeof ph, "#u%d", e->n++);
        ex_name(e, ph, json_string_value(v));
        ex_puts(e, sep);
        ex_puts(e, ph);
        sep = ", ";
    }
}

static int dd_update(struct bc_store *s, const char *pk, const char *sk, const struct bc_update *u,
                     const struct bc_cond *cond, json_t **out)
{
    struct ddb_store *st = (struct ddb_store *)s;
    json_t *set = NULL, *add = NULL, *rem = NULL, *names = NULL, *values = NULL, *req = NULL, *resp = NULL;
    json_t *raw = NULL, *next = NULL;
    struct expr ue, ce;
    ex_init(&ue, NULL, NULL, 0);
    ex_init(&ce, NULL, NULL, 0);
    int rc = plan_update(u, &set, &add, &rem);
    if (rc < 0) goto out;
    bool once = (cond && cond->kind != BC_COND_NONE) || json_object_size(add) > 0;
    for (int attempt = 0; attempt < UPDATE_TRIES; attempt++) {
        json_decref(req);
        json_decref(names);
        json_decref(values);
        json_decref(resp);
        bc_buf_release(&ue.s);
        bc_buf_release(&ce.s);
        resp = NULL;
        req = new_request(st);
        names = json_object();
        values = json_object();
        rc = BC_ENOMEM;
        if (!names || !values || (rc = set_key(req, pk, sk)) < 0) goto out;
        int64_t now = bc_now_s();
        ex_init(&ue, names, values, now);
        ex_init(&ce, names, values, now);
        ex_update(&ue, set, add, rem);
        ex_cond_update(&ce, cond);
        if ((rc = attach(req, "UpdateExpression", &ue)) < 0 ||
            (rc = attach(req, "ConditionExpression", &ce)) < 0 ||
            (rc = attach_placeholders(req, names, values)) < 0)
            goto out;
        if (json_object_set_new(req, "ReturnValues", json_string(out ? "ALL_NEW" : "NONE")) < 0) {
            rc = BC_ENOMEM;
            goto out;
        }
        rc = ddb_call(st, "UpdateItem", req, once ? OP_WRITE_ONCE : OP_WRITE_IDEMPOTENT, &resp, NULL);
        if (rc == 0) {
            if (out) {
                json_t *attrs = json_object_get(resp, "Attributes");
                rc = attrs ? item_from(attrs, out) : BC_EIO;
            }
            goto out;
        }
        if (rc != BC_ECOND) goto out;

        /* Why did the condition fail: the caller's condition, or an expired item? */
        json_decref(raw);
        raw = NULL;
        if ((rc = get_raw(st, pk, sk, &raw)) < 0) goto out;
        bool expired = raw && bc__store_expired(raw, bc_now_s());
        if ((rc = bc__store_check_cond(expired ? NULL : raw, cond)) < 0) goto out; /* genuinely BC_ECOND */
        if (!expired) continue; /* it changed since the update was refused: try again */
        /* Replace the expired item with keys + update, if it is still expired. */
        json_decref(next);
        next = json_pack("{s:s, s:s}", "PK", pk, "SK", sk);
        if (!next) {
            rc = BC_ENOMEM;
            goto out;
        }
        if ((rc = bc__store_apply_update(next, u)) < 0) goto out;
        rc = put_item(st, next, NULL, true);
        if (rc == 0) {
            if (out) *out = json_incref(next);
            goto out;
        }
        if (rc != BC_ECOND) goto out;
    }
    bc_log(BC_LOG_WARN, "dynamodb: update of one item kept racing with other writers; giving up");
    rc = BC_EUNAVAILABLE;
out:
    bc_buf_release(&ue.s);
    bc_buf_release(&ce.s);
    json_decref(set);
    json_decref(add);
    json_decref(rem);
    json_decref(names);
    json_decref(values);
    json_decref(req);
    json_decref(resp);
    json_decref(raw);
    json_decref(next);
    return rc;
}

/* ---- query and scan -------------------------------------------------------------------------------------
 */

static char *encode_cursor(const void *data, size_t n)
{
    char *c = malloc(bc_b64url_len(n));
    if (c) bc_b64url_encode(data, n, c);
    return c;
}

/* Decodes a cursor into buf (NUL-terminated); BC_EINVALID when it is not one of ours. */
static int decode_cursor(const char *c, char *buf, size_t cap, size_t *len)
{
    size_t cl = strlen(c);
    if (cl == 0 || cl > 4 * cap / 3 + 4) return BC_EINVALID;
    int n = bc_b64url_decode(c, cl, buf, cap - 1);
    if (n <= 0) return BC_EINVALID;
    buf[n] = '\0';
    *len = (size_t)n;
    return 0;
}

/* Runs a Query or Scan request (req prepared but for Limit/ExclusiveStartKey) until it has want live items
 * or the engine has no more. Appends to items; *more is true when an item beyond want exists. */
static int fill_page(struct ddb_store *st, const char *op, json_t *req, json_t *start, int limit,
                     json_t *items, bool *more)
{
    int want = limit + 1, rc = 0;
    int64_t now = bc_now_s();
    json_t *resp = NULL;
    *more = false;
    if (start && json_object_set(req, "ExclusiveStartKey", start) < 0) return BC_ENOMEM;
    for (;;) {
        int need = want - (int)json_array_size(items);
        if (json_object_set_new(req, "Limit", json_integer(need)) < 0) return BC_ENOMEM;
        json_decref(resp);
        resp = NULL;
        if ((rc = ddb_call(st, op, req, OP_READ, &resp, NULL)) < 0) break;
        json_t *got = json_object_get(resp, "Items"), *it;
        size_t i;
        if (!json_is_array(got)) {
            rc = BC_EIO;
            break;
        }
        json_array_foreach(got, i, it)
        {
            json_t *item = NULL;
            if ((rc = item_from(it, &item)) < 0) break;
            if (bc__store_expired(item, now))
                json_decref(item);
            else if (json_array_append_new(items, item) < 0)
                rc = BC_ENOMEM;
            if (rc < 0) break;
        }
        if (rc < 0) break;
        json_t *lek = json_object_get(resp, "LastEvaluatedKey");
        if ((int)json_array_size(items) >= want || !lek) break;
        if (json_object_set(req, "ExclusiveStartKey", lek) < 0) {
            rc = BC_ENOMEM;
            break;
        }
    }
    json_decref(resp);
    if (rc == 0 && (int)json_array_size(items) > limit) {
        *more = true;
        while ((int)json_array_size(items) > limit) json_array_remove(items, json_array_size(items) - 1);
    }
    return rc;
}

static int dd_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res)
{
    struct ddb_store *st = (struct ddb_store *)s;
    int limit = q->limit ? q->limit : 100;
    char after[BC_STORE_KEY_MAX + 2];
    size_t afterlen = 0;
    json_t *start = NULL, *req = NULL, *names = json_object(), *values = json_object();
    struct expr e;
    ex_init(&e, names, values, 0);
    int rc = BC_ENOMEM;
    res->items = json_array();
    if (!res->items || !names || !values) goto out;
    if (q->cursor) {
        if (decode_cursor(q->cursor, after, sizeof after, &afterlen) < 0 || bc__store_key_valid(after) < 0 ||
            strlen(after) != afterlen || !(start = key_av(q->pk, after))) {
            rc = BC_EINVALID;
            goto out;
        }
    }
    /* Bounds DynamoDB cannot take (empty strings, from > to) are answered here, as LMDB answers them. */
    const char *prefix = q->sk_prefix && *q->sk_prefix ? q->sk_prefix : NULL;
    const char *from = q->sk_from && *q->sk_from ? q->sk_from : NULL, *to = q->sk_to;
    if (to && (!*to || (from && strcmp(from, to) > 0))) {
        rc = 0;
        goto out;
    }
    ex_name(&e, "#pk", "PK");
    ex_value(&e, ":pk", av_s(q->pk));
    ex_puts(&e, "#pk = :pk");
    if (prefix || from || to) ex_name(&e, "#sk", "SK");
    if (prefix) {
        ex_value(&e, ":p", av_s(prefix));
        ex_puts(&e, " AND begins_with(#sk, :p)");
    } else if (from && to) {
        ex_value(&e, ":a", av_s(from));
        ex_value(&e, ":b", av_s(to));
        ex_puts(&e, " AND #sk BETWEEN :a AND :b");
    } else if (from) {
        ex_value(&e, ":a", av_s(from));
        ex_puts(&e, " AND #sk >= :a");
    } else if (to) {
        ex_value(&e, ":b", av_s(to));
        ex_puts(&e, " AND #sk <= :b");
    }
    req = new_request(st);
    if (!req || (rc = attach(req, "KeyConditionExpression", &e)) < 0 ||
        (rc = attach_placeholders(req, names, values)) < 0)
        goto out;
    rc = BC_ENOMEM;
    if (json_object_set_new(req, "ConsistentRead", json_true()) < 0 ||
        json_object_set_new(req, "ScanIndexForward", json_boolean(!q->descending)) < 0)
        goto out;
    bool more = false;
    rc = fill_page(st, "Query", req, start, limit, res->items, &more);
    if (rc == 0 && more) {
        json_t *last = json_array_get(res->items, json_array_size(res->items) - 1);
        const char *sk = json_string_value(json_object_get(last, "SK"));
        if (!sk)
            rc = BC_EIO;
        else if (!(res->next_cursor = encode_cursor(sk, strlen(sk))))
            rc = BC_ENOMEM;
    }
out:
    bc_buf_release(&e.s);
    json_decref(start);
    json_decref(req);
    json_decref(names);
    json_decref(values);
    if (rc < 0) bc_query_result_release(res);
    return rc;
}

static int dd_scan(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res)
{
    struct ddb_store *st = (struct ddb_store *)s;
    char after[2 * BC_STORE_KEY_MAX + 3];
    size_t afterlen = 0;
    json_t *start = NULL, *req = NULL;
    int rc = BC_ENOMEM;
    res->items = json_array();
    if (!res->items) goto out;
    if (cursor) {
        rc = BC_EINVALID;
        if (decode_cursor(cursor, after, sizeof after, &afterlen) < 0) goto out;
        size_t pl = strlen(after);
        if (pl >= afterlen || bc__store_key_valid(after) < 0 || bc__store_key_valid(after + pl + 1) < 0 ||
            pl + 1 + strlen(after + pl + 1) != afterlen || !(start = key_av(after, after + pl + 1)))
            goto out;
    }
    rc = BC_ENOMEM;
    req = new_request(st);
    if (!req || json_object_set_new(req, "ConsistentRead", json_true()) < 0) goto out;
    bool more = false;
    rc = fill_page(st, "Scan", req, start, limit, res->items, &more);
    if (rc == 0 && more) {
        json_t *last = json_array_get(res->items, json_array_size(res->items) - 1);
        const char *pk = json_string_value(json_object_get(last, "PK"));
        const char *sk = json_string_value(json_object_get(last, "SK"));
        if (!pk || !sk || strlen(pk) + strlen(sk) + 1 >= sizeof after) {
            rc = BC_EIO;
            goto out;
        }
        size_t pl = strlen(pk), sl = strlen(sk);
        memcpy(after, pk, pl);
        after[pl] = '\0';
        memcpy(after + pl + 1, sk, sl);
        if (!(res->next_cursor = encode_cursor(after, pl + 1 + sl))) rc = BC_ENOMEM;
    }
out:
    json_decref(start);
    json_decref(req);
    if (rc < 0) bc_query_result_release(res);
    return rc;
}

/* ---- reap (engines without TTL) -------------------------------------------------------------------------
 */

static int dd_reap(struct bc_store *s, int max_items)
{
    struct ddb_store *st = (struct ddb_store *)s;
    if (!st->ttl_reap || max_items <= 0) return 0;
    int removed = 0, rc = 0;
    json_t *resp = NULL, *names = json_object(), *values = json_object(), *req = new_request(st);
    struct expr e;
    ex_init(&e, names, values, bc_now_s());
    pthread_mutex_lock(&st->mu);
    json_t *start = st->reap_start;
    st->reap_start = NULL;
    pthread_mutex_unlock(&st->mu);
    ex_expired(&e);
    ex_name(&e, "#pk", "PK");
    ex_name(&e, "#sk", "SK");
    if (!req || (rc = attach(req, "FilterExpression", &e)) < 0 ||
        (rc = attach_placeholders(req, names, values)) < 0 ||
        json_object_set_new(req, "ProjectionExpression", json_string("#pk, #sk, #ttl")) < 0 ||
        json_object_set_new(req, "Limit", json_integer(500)) < 0) {
        rc = rc < 0 ? rc : BC_ENOMEM;
        goto out;
    }
    for (int pages = 0; pages < 20 && removed < max_items; pages++) {
        if (start && json_object_set(req, "ExclusiveStartKey", start) < 0) {
            rc = BC_ENOMEM;
            break;
        }
        json_decref(resp);
        resp = NULL;
        if ((rc = ddb_call(st, "Scan", req, OP_READ, &resp, NULL)) < 0) break;
        json_t *it;
        size_t i;
        json_array_foreach(json_object_get(resp, "Items"), i, it)
        {
            const char *pk = json_string_value(json_object_get(json_object_get(it, "PK"), "S"));
            const char *sk = json_string_value(json_object_get(json_object_get(it, "SK"), "S"));
            if (!pk || !sk || removed >= max_items) continue;
            json_t *dreq = new_request(st), *dn = json_object(), *dv = json_object();
            struct expr de;
            ex_init(&de, dn, dv, bc_now_s());
            ex_expired(&de);
            int drc = BC_ENOMEM;
            if (dn && dv && set_key(dreq, pk, sk) == 0 &&
                (drc = attach(dreq, "ConditionExpression", &de)) == 0 &&
                (drc = attach_placeholders(dreq, dn, dv)) == 0)
                drc = ddb_call(st, "DeleteItem", dreq, OP_WRITE_ONCE, NULL, NULL);
            bc_buf_release(&de.s);
            json_decref(dreq);
            json_decref(dn);
            json_decref(dv);
            if (drc == 0)
                removed++;
            else if (drc != BC_ECOND)
                rc = drc;
        }
        if (rc < 0) break;
        json_decref(start);
        start = json_incref(json_object_get(resp, "LastEvaluatedKey"));
        if (!start) break; /* a full pass is done: the next call starts again from the beginning */
    }
out:
    pthread_mutex_lock(&st->mu);
    json_decref(st->reap_start);
    st->reap_start = start;
    pthread_mutex_unlock(&st->mu);
    bc_buf_release(&e.s);
    json_decref(resp);
    json_decref(req);
    json_decref(names);
    json_decref(values);
    return rc < 0 ? rc : removed;
}

/* ---- check and init -------------------------------------------------------------------------------------
 */

static int describe(struct ddb_store *st, const char *op, json_t **resp, struct ddb_error *err)
{
    json_t *req = json_pack("{s:s}", "TableName", st->table);
    if (!req) return BC_ENOMEM;
    int rc = ddb_call(st, op, req, OP_CONTROL, resp, err);
    json_decref(req);
    return rc;
}

/* True when the table's key schema is PK (S, HASH) + SK (S, RANGE). */
static bool key_schema_ok(json_t *table)
{
    json_t *ks = json_object_get(table, "KeySchema"), *ad = json_object_get(table, "AttributeDefinitions"),
           *x;
    size_t i;
    int found = 0;
    if (json_array_size(ks) != 2) return false;
    json_array_foreach(ks, i, x)
    {
        const char *n = json_string_value(json_object_get(x, "AttributeName"));
        const char *t = json_string_value(json_object_get(x, "KeyType"));
        if (n && t && strcmp(n, "PK") == 0 && strcmp(t, "HASH") == 0) found |= 1;
        if (n && t && strcmp(n, "SK") == 0 && strcmp(t, "RANGE") == 0) found |= 2;
    }
    json_array_foreach(ad, i, x)
    {
        const char *n = json_string_value(json_object_get(x, "AttributeName"));
        const char *t = json_string_value(json_object_get(x, "AttributeType"));
        if (n && t && (strcmp(n, "PK") == 0 || strcmp(n, "SK") == 0) && strcmp(t, "S") == 0)
            found |= strcmp(n, "PK") == 0 ? 4 : 8;
    }
    return found == 15;
}

static int dd_check(struct bc_store *s, json_t **report)
{
    struct ddb_store *st = (struct ddb_store *)s;
    json_t *dt = NULL, *dttl = NULL, *problems = json_array();
    struct ddb_error err;
    *report = json_pack("{s:s, s:s, s:s, s:s, s:s}", "backend", "dynamodb", "table", st->table, "region",
                        st->region, "endpoint", st->url, "ttl_mode", st->ttl_reap ? "reap" : "native");
    if (!*report || !problems) {
        json_decref(problems);
        return BC_ENOMEM;
    }
    int rc = describe(st, "DescribeTable", &dt, &err);
    if (rc == BC_ENOT_FOUND) {
        json_array_append_new(problems, json_string("the table does not exist (run `bookchat store init`)"));
    } else if (rc < 0) {
        json_array_append_new(problems, json_pack("{s:s, s:s}", "error", err.type, "message", err.message));
    } else {
        json_t *t = json_object_get(dt, "Table");
        const char *status = json_string_value(json_object_get(t, "TableStatus"));
        json_object_set_new(*report, "table_status", json_string(status ? status : "?"));
        json_object_set(*report, "items_approx", json_object_get(t, "ItemCount"));
        const char *bm =
            json_string_value(json_object_get(json_object_get(t, "BillingModeSummary"), "BillingMode"));
        json_object_set_new(*report, "billing_mode", json_string(bm ? bm : "PROVISIONED"));
        if (!status || (strcmp(status, "ACTIVE") != 0 && strcmp(status, "UPDATING") != 0))
            json_array_append_new(problems, json_string("the table is not ACTIVE"));
        bool ks = key_schema_ok(t);
        json_object_set_new(*report, "key_schema_ok", json_boolean(ks));
        if (!ks)
            json_array_append_new(problems,
                                  json_string("the key schema is not PK (S, HASH) + SK (S, RANGE)"));
        rc = describe(st, "DescribeTimeToLive", &dttl, &err);
        json_t *d = json_object_get(dttl, "TimeToLiveDescription");
        const char *ts = json_string_value(json_object_get(d, "TimeToLiveStatus"));
        const char *ta = json_string_value(json_object_get(d, "AttributeName"));
        json_object_set_new(
            *report, "ttl",
            json_pack("{s:s, s:s?}", "status", rc == 0 && ts ? ts : "unknown", "attribute", ta));
        bool ttl_ok = rc == 0 && ts && ta && strcmp(ta, "ttl") == 0 &&
                      (strcmp(ts, "ENABLED") == 0 || strcmp(ts, "ENABLING") == 0);
        if (!ttl_ok && !st->ttl_reap)
            json_array_append_new(problems,
                                  json_string("TTL is not enabled on attribute \"ttl\" (run `bookchat store "
                                              "init`, or add ttl=reap to the URL for engines without TTL)"));
        rc = 0;
    }
    struct bc__ddb_stats stats;
    bc__ddb_stats(s, &stats);
    json_object_set_new(*report, "requests", json_integer((json_int_t)stats.requests));
    bool ok = json_array_size(problems) == 0;
    json_object_set_new(*report, "problems", problems);
    json_object_set_new(*report, "ok", json_boolean(ok));
    json_decref(dt);
    json_decref(dttl);
    return ok ? 0 : BC_EIO;
}

static int dd_init(struct bc_store *s, json_t **report)
{
    struct ddb_store *st = (struct ddb_store *)s;
    struct ddb_error err;
    json_t *resp = NULL;
    bool created = false;
    *report = NULL;
    json_t *req =
        json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:[{s:s, s:s}, {s:s, s:s}], s:s}", "TableName",
                  st->table, "AttributeDefinitions", "AttributeName", "PK", "AttributeType", "S",
                  "AttributeName", "SK", "AttributeType", "S", "KeySchema", "AttributeName", "PK", "KeyType",
                  "HASH", "AttributeName", "SK", "KeyType", "RANGE", "BillingMode", "PAY_PER_REQUEST");
    if (!req) return BC_ENOMEM;
    int rc = ddb_call(st, "CreateTable", req, OP_CONTROL, NULL, &err);
    json_decref(req);
    if (rc == 0)
        created = true;
    else if (strcmp(err.type, "ResourceInUseException") != 0)
        goto fail;
    /* wait until the table is ACTIVE (seconds on AWS, at once on test engines) */
    for (int i = 0; i < 600; i++) {
        json_decref(resp);
        resp = NULL;
        if ((rc = describe(st, "DescribeTable", &resp, &err)) < 0) goto fail;
        const char *status =
            json_string_value(json_object_get(json_object_get(resp, "Table"), "TableStatus"));
        if (status && strcmp(status, "ACTIVE") == 0) break;
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!key_schema_ok(json_object_get(resp, "Table"))) {
        snprintf(err.type, sizeof err.type, "schema");
        snprintf(err.message, sizeof err.message,
                 "table %.180s exists with another key schema than PK/SK strings", st->table);
        rc = BC_EINVALID;
        goto fail;
    }
    /* TTL on "ttl" */
    const char *ttl_state = "enabled";
    json_decref(resp);
    resp = NULL;
    rc = describe(st, "DescribeTimeToLive", &resp, &err);
    json_t *d = json_object_get(resp, "TimeToLiveDescription");
    const char *ts = json_string_value(json_object_get(d, "TimeToLiveStatus"));
    const char *ta = json_string_value(json_object_get(d, "AttributeName"));
    if (rc == 0 && ts && (strcmp(ts, "ENABLED") == 0 || strcmp(ts, "ENABLING") == 0)) {
        if (!ta || strcmp(ta, "ttl") != 0) {
            snprintf(err.type, sizeof err.type, "ttl");
            snprintf(err.message, sizeof err.message, "TTL is enabled on attribute \"%s\", not \"ttl\"",
                     ta ? ta : "?");
            rc = BC_EINVALID;
            goto fail;
        }
        ttl_state = "already enabled";
    } else {
        req = json_pack("{s:s, s:{s:b, s:s}}", "TableName", st->table, "TimeToLiveSpecification", "Enabled",
                        1, "AttributeName", "ttl");
        if (!req) {
            rc = BC_ENOMEM;
            goto fail;
        }
        rc = ddb_call(st, "UpdateTimeToLive", req, OP_CONTROL, NULL, &err);
        json_decref(req);
        if (rc < 0 && strstr(err.type, "UnknownOperation") && st->ttl_reap) {
            ttl_state = "not supported by this engine; bookchat reaps expired items (ttl=reap)";
        } else if (rc < 0 && strstr(err.type, "UnknownOperation")) {
            snprintf(err.message, sizeof err.message,
                     "this engine does not support TTL: add ttl=reap to the store URL so that bookchat reaps "
                     "expired "
                     "items itself");
            goto fail;
        } else if (rc < 0 && strstr(err.message, "already enabled")) {
            ttl_state = "already enabled";
        } else if (rc < 0) {
            goto fail;
        }
    }
    json_decref(resp);
    *report = json_pack("{s:s, s:s, s:s, s:b, s:s, s:b}", "backend", "dynamodb", "table", st->table, "region",
                        st->region, "created", created, "ttl", ttl_state, "ok", 1);
    return *report ? 0 : BC_ENOMEM;
fail:
    json_decref(resp);
    *report = json_pack("{s:s, s:s, s:b, s:s, s:s, s:b}", "backend", "dynamodb", "table", st->table,
                        "created", created, "error", err.type, "message", err.message, "ok", 0);
    return rc < 0 ? rc : BC_EIO;
}

/* ---- open and close -------------------------------------------------------------------------------------
 */

int bc__ddb_stats(struct bc_store *s, struct bc__ddb_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!s || strcmp(s->ops->name, "dynamodb") != 0) return BC_EINVALID;
    struct ddb_store *st = (struct ddb_store *)s;
    out->requests = atomic_load(&st->requests);
    out->retries = atomic_load(&st->retries);
    out->cond_failures = atomic_load(&st->cond_failures);
    out->read_units = (double)atomic_load(&st->read_milli) / 1000.0;
    out->write_units = (double)atomic_load(&st->write_milli) / 1000.0;
    return 0;
}

static void dd_close(struct bc_store *s)
{
    struct ddb_store *st = (struct ddb_store *)s;
    for (int i = 0; i < st->nidle; i++) curl_easy_cleanup(st->idle[i]);
    if (st->secret_key) OPENSSL_cleanse(st->secret_key, strlen(st->secret_key));
    if (st->token) OPENSSL_cleanse(st->token, strlen(st->token));
    free(st->access_key);
    free(st->secret_key);
    free(st->token);
    json_decref(st->reap_start);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

static const struct bc_store_ops dynamodb_ops = {
    .name = "dynamodb",
    .get = dd_get,
    .put = dd_put,
    .update = dd_update,
    .del = dd_del,
    .query = dd_query,
    .scan = dd_scan,
    .reap = dd_reap,
    .check = dd_check,
    .init = dd_init,
    .close = dd_close,
};

/* Percent-decodes s[0..n) into out (cap bytes, NUL-terminated). 0 or -1 when it does not fit. */
static int url_value(const char *s, size_t n, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0}, *end;
            long v = strtol(hex, &end, 16);
            if (*end == '\0' && v > 0) {
                c = (char)v;
                i += 2;
            }
        }
        if (j + 1 >= cap) return -1;
        out[j++] = c;
    }
    out[j] = '\0';
    return 0;
}

static bool name_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 3 || n > 255) return false;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || *t == '_' ||
              *t == '-' || *t == '.'))
            return false;
    return true;
}

static char *env_dup(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strdup(v) : NULL;
}

/* spec: TABLE?region=R&endpoint=URL&ttl=native|reap&timeout_ms=N&connect_timeout_ms=N&retries=N */
int bc__store_dynamodb_open(const char *spec, struct bc_store **out, char *err, size_t errsize)
{
    pthread_once(&curl_once, curl_init_once);
    struct ddb_store *st = calloc(1, sizeof *st);
    if (!st) return BC_ENOMEM;
    st->base.ops = &dynamodb_ops;
    pthread_mutex_init(&st->mu, NULL);
    st->timeout_ms = 10000;
    st->connect_timeout_ms = 3000;
    st->max_attempts = 8;
    char endpoint[1024] = "", val[1024];
    int rc = BC_EINVALID;
    const char *q = strchr(spec, '?');
    size_t tl = q ? (size_t)(q - spec) : strlen(spec);
    if (tl >= sizeof st->table || url_value(spec, tl, st->table, sizeof st->table) < 0 ||
        !name_ok(st->table)) {
        snprintf(err, errsize, "dynamodb: bad table name (3-255 of a-z A-Z 0-9 _ - .)");
        goto fail;
    }
    for (const char *p = q; p && *p;) {
        p++;
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t kl = eq ? (size_t)(eq - p) : n;
        if (!eq || url_value(eq + 1, n - kl - 1, val, sizeof val) < 0) {
            snprintf(err, errsize, "dynamodb: bad option '%.*s'", (int)n, p);
            goto fail;
        }
        char *end = NULL;
        long num = strtol(val, &end, 10);
        bool is_num = *val && end && *end == '\0';
        if (kl == 6 && strncmp(p, "region", 6) == 0 && strlen(val) < sizeof st->region && *val) {
            memcpy(st->region, val, strlen(val) + 1);
        } else if (kl == 8 && strncmp(p, "endpoint", 8) == 0) {
            snprintf(endpoint, sizeof endpoint, "%s", val);
        } else if (kl == 3 && strncmp(p, "ttl", 3) == 0 &&
                   (strcmp(val, "native") == 0 || strcmp(val, "reap") == 0)) {
            st->ttl_reap = strcmp(val, "reap") == 0;
        } else if (kl == 10 && strncmp(p, "timeout_ms", 10) == 0 && is_num && num >= 100 && num <= 600000) {
            st->timeout_ms = num;
        } else if (kl == 18 && strncmp(p, "connect_timeout_ms", 18) == 0 && is_num && num >= 100 &&
                   num <= 600000) {
            st->connect_timeout_ms = num;
        } else if (kl == 7 && strncmp(p, "retries", 7) == 0 && is_num && num >= 0 && num <= 20) {
            st->max_attempts = (int)num + 1;
        } else {
            snprintf(err, errsize, "dynamodb: unknown or bad option '%.*s'", (int)n, p);
            goto fail;
        }
        p = amp;
    }
    if (!st->region[0]) {
        const char *r = getenv("AWS_REGION");
        if (!r || !*r) r = getenv("AWS_DEFAULT_REGION");
        if ((!r || !*r) && endpoint[0]) r = "us-east-1"; /* local engines ignore it; it is only signed */
        if (!r || !*r || strlen(r) >= sizeof st->region) {
            snprintf(err, errsize, "dynamodb: no region (add ?region=R to the URL or set AWS_REGION)");
            goto fail;
        }
        snprintf(st->region, sizeof st->region, "%s", r);
    }
    if (!endpoint[0]) snprintf(endpoint, sizeof endpoint, "https://dynamodb.%s.amazonaws.com/", st->region);
    /* endpoint = http(s)://host[:port][/path] */
    const char *hs = NULL;
    if (strncmp(endpoint, "http://", 7) == 0)
        hs = endpoint + 7;
    else if (strncmp(endpoint, "https://", 8) == 0)
        hs = endpoint + 8;
    const char *slash = hs ? strchr(hs, '/') : NULL;
    size_t hl = hs ? (slash ? (size_t)(slash - hs) : strlen(hs)) : 0;
    if (!hs || hl == 0 || hl >= sizeof st->host || memchr(hs, '@', hl) || strchr(endpoint, '?') ||
        strchr(endpoint, '#') || strchr(endpoint, ' ')) {
        snprintf(err, errsize, "dynamodb: endpoint must be http(s)://HOST[:PORT][/PATH]");
        goto fail;
    }
    memcpy(st->host, hs, hl);
    st->host[hl] = '\0';
    snprintf(st->path, sizeof st->path, "%s", slash ? slash : "/");
    snprintf(st->url, sizeof st->url, "%.*s%s", (int)(hs - endpoint + hl), endpoint, st->path);
    st->access_key = env_dup("AWS_ACCESS_KEY_ID");
    st->secret_key = env_dup("AWS_SECRET_ACCESS_KEY");
    st->token = env_dup("AWS_SESSION_TOKEN");
    if (!st->access_key || !st->secret_key) {
        snprintf(err, errsize,
                 "dynamodb: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
                 "temporary credentials)");
        goto fail;
    }
    *out = &st->base;
    return 0;
fail:
    dd_close(&st->base);
    return rc;
}
