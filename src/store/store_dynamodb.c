/* The scale-out store backend on DynamoDB (or a DynamoDB-compatible engine: dynalite in tests, ScyllaDB
 * Alternator): the JSON protocol (X-Amz-Target: DynamoDB_20120810.*) over libcurl, signed with SigV4.
 * Any number of bookchat processes may share one table: every invariant is a condition that DynamoDB
 * checks in the same atomic step as the write, never a lock in this process. This file opens and closes
 * the store; the backend's other files are listed at the end of the DESIGN NOTES.
 *
 * DESIGN NOTES
 * - Table: hash key PK (S), range key SK (S); an item's other attributes are its JSON fields converted
 *   with store/dynamodb_item.c. TTL is enabled on "ttl" (epoch seconds), but DynamoDB deletes expired items
 *   only eventually (within days), so the contract's ttl semantics are enforced here:
 *   · reads (GetItem with ConsistentRead, Query, Scan) drop items whose ttl <= now;
 *   · put/delete conditions treat an expired item as absent inside the ConditionExpression itself
 *     ("attribute_not_exists(PK) OR (ttl > 0 AND ttl <= :now)"), so they stay one request;
 *   · an update must start from an empty item when the old one expired, which UpdateItem cannot express:
 *     it is sent with the extra condition "NOT expired", and a refusal is resolved as the DESIGN NOTES of
 *     dynamodb_operations.c say.
 * - Conditions are server-side, so they hold across processes; "version" conditions compare the integer
 *   attribute (missing item, missing or non-number attribute count as 0).
 * - Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN at open time, or,
 *   without them, from the container credentials endpoint of a task role (util/awscreds.h).
 * - Where DynamoDB is stricter than LMDB, its refusal is BC_EINVALID: items over 400 KB, empty attribute
 *   names, nesting deeper than 32 levels. Where it is looser: "add" to a non-integer number is applied
 *   (DynamoDB's ADD takes any number) instead of refused.
 * - The backend's files (shared internals in dynamodb_internal.h): dynamodb_request.c (connection pool,
 *   signing, retries and error mapping: one HTTP request), dynamodb_expr.c (expressions and request
 *   bodies), dynamodb_operations.c (get, put, delete, update), dynamodb_query.c (query, scan, cursors),
 *   dynamodb_reap.c (ttl=reap), dynamodb_table.c (check, init), dynamodb_item.c (item conversion). */
#include "store/dynamodb.h"
#include "store/dynamodb_internal.h"
#include "store/store.h"
#include "util/awscreds.h"
#include "util/err.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* process-wide, as libcurl's global initialisation is */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- open and close -------------------------------------------------------------------------------------
 */

int bc__ddb_stats(struct bc_store *s, struct bc__ddb_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!s || strcmp(s->ops->name, "dynamodb") != 0) return BC_EINVALID;
    struct bc__ddb_store *st = (struct bc__ddb_store *)s;
    out->requests = atomic_load(&st->requests);
    out->retries = atomic_load(&st->retries);
    out->cond_failures = atomic_load(&st->cond_failures);
    out->read_units = (double)atomic_load(&st->read_milli) / 1000.0;
    out->write_units = (double)atomic_load(&st->write_milli) / 1000.0;
    return 0;
}

static void dd_close(struct bc_store *s)
{
    struct bc__ddb_store *st = (struct bc__ddb_store *)s;
    for (int i = 0; i < st->nidle; i++) curl_easy_cleanup(st->idle[i]);
    if (st->secret_key) OPENSSL_cleanse(st->secret_key, strlen(st->secret_key));
    if (st->token) OPENSSL_cleanse(st->token, strlen(st->token));
    free(st->access_key);
    free(st->secret_key);
    free(st->token);
    bc__ddb_role_free(st);
    json_decref(st->reap_start);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

static const struct bc_store_ops dynamodb_ops = {
    .name = "dynamodb",
    .get = bc__ddb_get,
    .put = bc__ddb_put,
    .update = bc__ddb_update,
    .del = bc__ddb_del,
    .query = bc__ddb_query,
    .scan = bc__ddb_scan,
    .reap = bc__ddb_reap,
    .check = bc__ddb_check,
    .init = bc__ddb_init,
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

/* spec: TABLE?region=R&endpoint=URL&ttl=native|reap&timeout_ms=N&connect_timeout_ms=N&retries=N
 *       [&role_arn=ARN[&external_id=X][&session_name=S]] */
int bc__store_dynamodb_open(const char *spec, struct bc_store **out, char *err, size_t errsize)
{
    pthread_once(&curl_once, curl_init_once);
    struct bc__ddb_store *st = calloc(1, sizeof *st);
    if (!st) return BC_ENOMEM;
    st->base.ops = &dynamodb_ops;
    pthread_mutex_init(&st->mu, NULL);
    st->timeout_ms = 10000;
    st->connect_timeout_ms = 3000;
    st->max_attempts = 8;
    char endpoint[1024] = "", val[2048], role_arn[2048] = "", external_id[1300] = "", session[80] = "";
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
        } else if (kl == 8 && strncmp(p, "endpoint", 8) == 0 && strlen(val) < sizeof endpoint) {
            memcpy(endpoint, val, strlen(val) + 1);
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
        } else if (kl == 8 && strncmp(p, "role_arn", 8) == 0 && *val && strlen(val) < sizeof role_arn) {
            memcpy(role_arn, val, strlen(val) + 1);
        } else if (kl == 11 && strncmp(p, "external_id", 11) == 0 && *val &&
                   strlen(val) < sizeof external_id) {
            memcpy(external_id, val, strlen(val) + 1);
        } else if (kl == 12 && strncmp(p, "session_name", 12) == 0 && *val && strlen(val) < sizeof session) {
            memcpy(session, val, strlen(val) + 1);
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
    if ((!st->access_key || !st->secret_key) && !bc_aws_creds_configured()) {
        snprintf(err, errsize,
                 "dynamodb: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
                 "temporary credentials), or run with a task role (the container credentials endpoint)");
        goto fail;
    }
    if (!st->access_key || !st->secret_key) { /* the task role's, fetched when first signing */
        free(st->access_key);
        free(st->secret_key);
        free(st->token);
        st->access_key = st->secret_key = st->token = NULL;
    }
    /* a table in another account: the role's credentials, from STS (dynamodb_sts.c) */
    if ((external_id[0] || session[0]) && !role_arn[0]) {
        snprintf(err, errsize, "dynamodb: external_id and session_name need role_arn");
        goto fail;
    }
    if (role_arn[0] && (rc = bc__ddb_role_init(st, role_arn, external_id[0] ? external_id : NULL,
                                               session[0] ? session : NULL, err, errsize)) < 0)
        goto fail;
    *out = &st->base;
    return 0;
fail:
    dd_close(&st->base);
    return rc;
}
