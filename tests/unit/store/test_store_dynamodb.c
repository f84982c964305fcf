/* Unit tests of src/store/store_dynamodb.c beyond the store contract. Offline, against a scripted fake
 * DynamoDB endpoint (libmicrohttpd in this process): URL and credential errors, the signed request shape,
 * retries with backoff on throttling, no replay of conditional writes whose outcome is unknown, error
 * mapping, time-outs and connection reuse. With BC_TEST_STORE_URL=dynamodb://… (tests/store/
 * with-dynalite.mjs) it also measures what each store operation costs in HTTP requests and capacity. */
#include "../testlib.h"

#include "store/dynamodb.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/log.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

/* ---- the fake endpoint ----------------------------------------------------------------------------------
 */

struct fake_reply {
    int status;
    const char *body;
    int delay_ms;
};

static struct {
    struct MHD_Daemon *d;
    unsigned port;
    pthread_mutex_t mu;
    const struct fake_reply *script;
    int nscript, served, connections;
    char target[128], auth[512], ctype[128], host[128], token[64];
    char body[8192];
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER};

#define THROTTLED                                                                                            \
    {                                                                                                        \
        400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\"}", 0   \
    }
#define EMPTY_OK                                                                                             \
    {                                                                                                        \
        200, "{}", 0                                                                                         \
    }

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&fake.mu);
        fake.connections++;
        pthread_mutex_unlock(&fake.mu);
    }
}

static void copy_header(struct MHD_Connection *c, const char *name, char *dst, size_t size)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(dst, size, "%s", v ? v : "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **ctx)
{
    struct bc_buf *b = *ctx;
    if (!b) {
        b = calloc(1, sizeof *b);
        *ctx = b;
        return MHD_YES;
    }
    if (*upload_size) {
        bc_buf_append(b, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&fake.mu);
    int i = fake.served < fake.nscript ? fake.served : fake.nscript - 1;
    fake.served++;
    struct fake_reply r = fake.script[i];
    copy_header(c, "X-Amz-Target", fake.target, sizeof fake.target);
    copy_header(c, "Authorization", fake.auth, sizeof fake.auth);
    copy_header(c, "Content-Type", fake.ctype, sizeof fake.ctype);
    copy_header(c, "Host", fake.host, sizeof fake.host);
    copy_header(c, "X-Amz-Security-Token", fake.token, sizeof fake.token);
    snprintf(fake.body, sizeof fake.body, "%s", b->data ? b->data : "");
    pthread_mutex_unlock(&fake.mu);
    if (r.delay_ms) {
        struct timespec ts = {r.delay_ms / 1000, (r.delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(r.body), (void *)r.body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/x-amz-json-1.0");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode t)
{
    struct bc_buf *b = *ctx;
    if (b) {
        bc_buf_release(b);
        free(b);
    }
    *ctx = NULL;
}

static void fake_script(const struct fake_reply *script, int n)
{
    pthread_mutex_lock(&fake.mu);
    fake.script = script;
    fake.nscript = n;
    fake.served = 0;
    fake.connections = 0;
    fake.body[0] = '\0';
    pthread_mutex_unlock(&fake.mu);
}

static int fake_start(void **state)
{
    fake.d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                              on_request, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                              MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
    assert_non_null(fake.d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(fake.d, MHD_DAEMON_INFO_BIND_PORT);
    fake.port = info->port;
    return 0;
}

static int fake_stop(void **state)
{
    MHD_stop_daemon(fake.d);
    return 0;
}

static struct bc_store *open_fake(const char *extra)
{
    char url[256], err[256] = "";
    snprintf(url, sizeof url, "dynamodb://tbl?endpoint=http://127.0.0.1:%u&retries=3&timeout_ms=400%s",
             fake.port, extra ? extra : "");
    struct bc_store *s = NULL;
    int rc = bc_store_open(url, &s, err, sizeof err);
    if (rc < 0) fail_msg("open %s: %s", url, err);
    return s;
}

static struct bc__ddb_stats stats_of(struct bc_store *s)
{
    struct bc__ddb_stats st;
    assert_int_equal(bc__ddb_stats(s, &st), 0);
    return st;
}

/* ---- offline tests --------------------------------------------------------------------------------------
 */

static void test_store_dynamodb__open_errors(void **state)
{
    char err[256];
    struct bc_store *s = NULL;
    const char *bad[] = {
        "dynamodb://ab?region=eu-west-1",                   /* table name too short */
        "dynamodb://bad$name?region=eu-west-1",             /* bad character */
        "dynamodb://tbl?region=eu-west-1&colour=blue",      /* unknown option */
        "dynamodb://tbl?region=eu-west-1&ttl=sometimes",    /* bad value */
        "dynamodb://tbl?endpoint=ftp://127.0.0.1:1",        /* not http(s) */
        "dynamodb://tbl?endpoint=http://user@127.0.0.1:1/", /* credentials in the URL */
        "dynamodb://tbl?region=eu-west-1&retries=99",       /* out of range */
        "dynamodb://tbl?region=eu-west-1&timeout_ms=fast",  /* not a number */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (bc_store_open(bad[i], &s, err, sizeof err) != BC_EINVALID) fail_msg("accepted %s", bad[i]);
        assert_null(s);
        assert_true(strlen(err) > 10);
    }
    /* no region anywhere */
    char *saved = getenv("AWS_REGION") ? strdup(getenv("AWS_REGION")) : NULL;
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    assert_int_equal(bc_store_open("dynamodb://tbl", &s, err, sizeof err), BC_EINVALID);
    assert_non_null(strstr(err, "region"));
    /* no credentials */
    char *key = strdup(getenv("AWS_ACCESS_KEY_ID"));
    unsetenv("AWS_ACCESS_KEY_ID");
    assert_int_equal(bc_store_open("dynamodb://tbl?region=eu-west-1", &s, err, sizeof err), BC_EINVALID);
    assert_non_null(strstr(err, "AWS_ACCESS_KEY_ID"));
    setenv("AWS_ACCESS_KEY_ID", key, 1);
    free(key);
    /* a good URL opens without any network I/O (the table may not exist yet: `store init` creates it) */
    assert_int_equal(bc_store_open("dynamodb://my-table.v2?region=eu-west-1&ttl=native&timeout_ms=2000", &s,
                                   err, sizeof err),
                     0);
    assert_string_equal(s->ops->name, "dynamodb");
    bc_store_close(s);
    if (saved) setenv("AWS_REGION", saved, 1);
    free(saved);
}

static void test_store_dynamodb__request_shape(void **state)
{
    static const struct fake_reply ok[] = {{200,
                                            "{\"Item\":{\"PK\":{\"S\":\"P\"},\"SK\":{\"S\":\"S\"},"
                                            "\"n\":{\"N\":\"42\"}}}",
                                            0}};
    fake_script(ok, 1);
    struct bc_store *s = open_fake("&region=eu-south-2");
    json_t *got = NULL;
    assert_int_equal(bc_store_get(s, "P", "S", &got), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "n")), 42);
    json_decref(got);
    assert_string_equal(fake.target, "DynamoDB_20120810.GetItem");
    assert_string_equal(fake.ctype, "application/x-amz-json-1.0");
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%u", fake.port);
    assert_string_equal(fake.host, host);
    assert_string_equal(fake.token, "session-token-for-tests");
    assert_int_equal(strncmp(fake.auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/", 37), 0);
    assert_non_null(strstr(fake.auth,
                           "/eu-south-2/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                           "x-amz-security-token;x-amz-target, Signature="));
    json_t *body = json_loads(fake.body, 0, NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "TableName")), "tbl");
    assert_true(json_is_true(json_object_get(body, "ConsistentRead")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(body, "Key"), "SK"), "S")), "S");
    json_decref(body);

    /* a conditional put carries its condition, with only the placeholders it uses */
    static const struct fake_reply empty[] = {EMPTY_OK};
    fake_script(empty, 1);
    json_t *it = json_pack("{s:s, s:s, s:i}", "PK", "P", "SK", "S", "version", 3);
    struct bc_cond c = {BC_COND_NOT_EXISTS, 0};
    assert_int_equal(bc_store_put(s, it, &c), 0);
    assert_string_equal(fake.target, "DynamoDB_20120810.PutItem");
    body = json_loads(fake.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(body, "ConditionExpression")),
                        "(attribute_not_exists(#pk) OR (#ttl > :zero AND #ttl <= :now))");
    assert_int_equal(json_object_size(json_object_get(body, "ExpressionAttributeNames")), 2);
    assert_int_equal(json_object_size(json_object_get(body, "ExpressionAttributeValues")), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(body, "Item"), "version"), "N")),
        "3");
    json_decref(body);
    /* an unconditional put has no condition and no placeholders */
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    body = json_loads(fake.body, 0, NULL);
    assert_null(json_object_get(body, "ConditionExpression"));
    assert_null(json_object_get(body, "ExpressionAttributeValues"));
    json_decref(body);
    /* an update with set + add + remove on the same names is folded into one valid expression */
    json_t *set = json_pack("{s:i, s:s}", "n", 5, "gone", "x"),
           *add = json_pack("{s:i, s:i}", "n", 2, "hits", 1), *rem = json_pack("[s, s]", "gone", "gone");
    struct bc_update u = {set, add, rem};
    assert_int_equal(bc_store_update(s, "P", "S", &u, NULL, NULL), 0);
    body = json_loads(fake.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(body, "UpdateExpression")),
                        "SET #u0 = :u0 ADD #u1 :u1 REMOVE #u2");
    json_t *vals = json_object_get(body, "ExpressionAttributeValues");
    assert_string_equal(json_string_value(json_object_get(json_object_get(vals, ":u0"), "N")), "7");
    json_decref(body);
    json_decref(set);
    json_decref(add);
    json_decref(rem);
    json_decref(it);
    bc_store_close(s);
}

static void test_store_dynamodb__retries_throttling(void **state)
{
    static const struct fake_reply script[] = {THROTTLED,
                                               THROTTLED,
                                               {200,
                                                "{\"Item\":{\"PK\":{\"S\":\"P\"},"
                                                "\"SK\":{\"S\":\"S\"}}}",
                                                0}};
    fake_script(script, 3);
    struct bc_store *s = open_fake(NULL);
    json_t *got = NULL;
    assert_int_equal(bc_store_get(s, "P", "S", &got), 0);
    json_decref(got);
    struct bc__ddb_stats st = stats_of(s);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.retries, 2);
    /* throttling means "not applied": a conditional write is retried too */
    static const struct fake_reply script2[] = {THROTTLED, EMPTY_OK};
    fake_script(script2, 2);
    json_t *it = json_pack("{s:s, s:s}", "PK", "P", "SK", "S");
    struct bc_cond c = {BC_COND_NOT_EXISTS, 0};
    assert_int_equal(bc_store_put(s, it, &c), 0);
    assert_int_equal(fake.served, 2);
    /* throttled beyond the last retry: unavailable, after 1 + retries requests */
    static const struct fake_reply always[] = {THROTTLED};
    fake_script(always, 1);
    assert_int_equal(bc_store_put(s, it, &c), BC_EUNAVAILABLE);
    assert_int_equal(fake.served, 4);
    json_decref(it);
    bc_store_close(s);
}

static void test_store_dynamodb__no_replay_of_unknown_outcomes(void **state)
{
    static const struct fake_reply e500[] = {
        {500, "{\"__type\":\"InternalServerError\",\"message\":\"oops\"}", 0}, EMPTY_OK};
    struct bc_store *s = open_fake(NULL);
    json_t *it = json_pack("{s:s, s:s}", "PK", "P", "SK", "S");
    struct bc_cond c = {BC_COND_NOT_EXISTS, 0};
    /* a conditional put that may have been applied is not sent again */
    fake_script(e500, 2);
    assert_int_equal(bc_store_put(s, it, &c), BC_EUNAVAILABLE);
    assert_int_equal(fake.served, 1);
    /* nor an ADD */
    fake_script(e500, 2);
    json_t *add = json_pack("{s:i}", "hits", 1);
    struct bc_update u = {NULL, add, NULL};
    assert_int_equal(bc_store_update(s, "P", "S", &u, NULL, NULL), BC_EUNAVAILABLE);
    assert_int_equal(fake.served, 1);
    /* but an unconditional put (idempotent) and a read are */
    fake_script(e500, 2);
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    assert_int_equal(fake.served, 2);
    fake_script(e500, 2);
    json_t *got = NULL;
    assert_int_equal(bc_store_get(s, "P", "S", &got), BC_ENOT_FOUND);
    assert_int_equal(fake.served, 2);
    /* 503 means not applied: retried even for a conditional write */
    static const struct fake_reply e503[] = {{503, "{\"__type\":\"ServiceUnavailable\"}", 0}, EMPTY_OK};
    fake_script(e503, 2);
    assert_int_equal(bc_store_put(s, it, &c), 0);
    assert_int_equal(fake.served, 2);
    json_decref(add);
    json_decref(it);
    bc_store_close(s);
}

static void test_store_dynamodb__error_mapping(void **state)
{
    struct bc_store *s = open_fake(NULL);
    json_t *it = json_pack("{s:s, s:s}", "PK", "P", "SK", "S"), *got = NULL;
    struct bc_cond c = {BC_COND_EXISTS, 0};
    static const struct fake_reply ccf[] = {
        {400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\"}", 0}};
    fake_script(ccf, 1);
    assert_int_equal(bc_store_put(s, it, &c), BC_ECOND);
    assert_int_equal(fake.served, 1);
    static const struct fake_reply val[] = {
        {400, "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"message\":\"Item too large\"}",
         0}};
    fake_script(val, 1);
    assert_int_equal(bc_store_put(s, it, NULL), BC_EINVALID);
    static const struct fake_reply nf[] = {
        {400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\"}", 0}};
    fake_script(nf, 1);
    assert_int_equal(bc_store_get(s, "P", "S", &got), BC_EIO);
    static const struct fake_reply creds[] = {
        {400, "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\"}", 0}};
    fake_script(creds, 1);
    assert_int_equal(bc_store_get(s, "P", "S", &got), BC_EIO);
    assert_int_equal(fake.served, 1);
    static const struct fake_reply garbage[] = {{200, "<html>not json</html>", 0}};
    fake_script(garbage, 1);
    assert_int_equal(bc_store_get(s, "P", "S", &got), BC_EIO);
    static const struct fake_reply badav[] = {
        {200, "{\"Item\":{\"PK\":{\"S\":\"P\"},\"x\":{\"N\":\"one\"}}}", 0}};
    fake_script(badav, 1);
    assert_int_equal(bc_store_get(s, "P", "S", &got), BC_EIO);
    assert_null(got);
    static const struct fake_reply badq[] = {{200, "{\"Items\":{}}", 0}};
    fake_script(badq, 1);
    struct bc_query q = {.pk = "P"};
    struct bc_query_result r;
    assert_int_equal(bc_store_query(s, &q, &r), BC_EIO);
    assert_null(r.items);
    json_decref(it);
    bc_store_close(s);
}

static void test_store_dynamodb__timeouts_and_refused(void **state)
{
    static const struct fake_reply slow[] = {{200, "{}", 1500}};
    struct bc_store *s = open_fake(NULL);
    json_t *it = json_pack("{s:s, s:s}", "PK", "P", "SK", "S");
    struct bc_cond c = {BC_COND_NOT_EXISTS, 0};
    fake_script(slow, 1);
    int64_t t0 = bc_mono_ns();
    assert_int_equal(bc_store_put(s, it, &c), BC_ETIMEOUT);
    assert_int_equal(fake.served, 1);
    assert_true(bc_mono_ns() - t0 < 1400 * 1000000LL);
    bc_store_close(s);
    /* nothing listens on port 1: unavailable, quickly */
    struct bc_store *r = NULL;
    assert_int_equal(bc_store_open("dynamodb://tbl?endpoint=http://127.0.0.1:1&retries=2", &r, NULL, 0), 0);
    json_t *got = NULL;
    assert_int_equal(bc_store_get(r, "P", "S", &got), BC_EUNAVAILABLE);
    assert_int_equal(stats_of(r).requests, 3);
    bc_store_close(r);
    json_decref(it);
}

static void test_store_dynamodb__keep_alive(void **state)
{
    static const struct fake_reply ok[] = {EMPTY_OK};
    fake_script(ok, 1);
    struct bc_store *s = open_fake(NULL);
    json_t *got = NULL;
    for (int i = 0; i < 20; i++) assert_int_equal(bc_store_get(s, "P", "S", &got), BC_ENOT_FOUND);
    assert_int_equal(fake.served, 20);
    assert_int_equal(fake.connections, 1);
    bc_store_close(s);
}

/* ---- against a DynamoDB-protocol engine -----------------------------------------------------------------
 */

static char live_url[1024], ns[40];

struct cost {
    const char *op;
    uint64_t requests;
    double read_units, write_units;
};

static struct cost measure(struct bc_store *s, const char *op, struct bc__ddb_stats *before)
{
    struct bc__ddb_stats now = stats_of(s);
    struct cost c = {op, now.requests - before->requests, now.read_units - before->read_units,
                     now.write_units - before->write_units};
    *before = now;
    print_message("  %-44s %2llu request(s)  %4.1f RCU  %4.1f WCU\n", op, (unsigned long long)c.requests,
                  c.read_units, c.write_units);
    return c;
}

static void test_store_dynamodb__costs(void **state)
{
    struct bc_store *s = NULL;
    assert_int_equal(bc_store_open(live_url, &s, NULL, 0), 0);
    char pk[96];
    snprintf(pk, sizeof pk, "T#%s#costs", ns);
    struct bc__ddb_stats b = stats_of(s);
    json_t *got = NULL,
           *it = json_pack("{s:s, s:s, s:s, s:i}", "PK", pk, "SK", "BOOKING#1", "who", "Ana", "version", 1);
    struct bc_cond ne = {BC_COND_NOT_EXISTS, 0}, v1 = {BC_COND_VERSION, 1}, v9 = {BC_COND_VERSION, 9};
    print_message("HTTP requests and capacity units per store operation:\n");
    assert_int_equal(bc_store_get(s, pk, "BOOKING#1", &got), BC_ENOT_FOUND);
    assert_int_equal(measure(s, "get (missing)", &b).requests, 1);
    assert_int_equal(bc_store_put(s, it, &ne), 0);
    assert_int_equal(measure(s, "put if not exists", &b).requests, 1);
    assert_int_equal(bc_store_put(s, it, &ne), BC_ECOND);
    assert_int_equal(measure(s, "put if not exists (conflict)", &b).requests, 1);
    assert_int_equal(bc_store_get(s, pk, "BOOKING#1", &got), 0);
    json_decref(got);
    assert_int_equal(measure(s, "get", &b).requests, 1);
    json_t *set = json_pack("{s:s}", "who", "Eva"), *add = json_pack("{s:i}", "version", 1);
    struct bc_update u = {set, add, NULL};
    assert_int_equal(bc_store_update(s, pk, "BOOKING#1", &u, &v1, &got), 0);
    json_decref(got);
    assert_int_equal(measure(s, "update if version (returning the item)", &b).requests, 1);
    assert_int_equal(bc_store_update(s, pk, "BOOKING#1", &u, &v9, NULL), BC_ECOND);
    assert_int_equal(measure(s, "update if version (conflict)", &b).requests, 2);
    struct bc_update counter = {NULL, add, NULL};
    assert_int_equal(bc_store_update(s, pk, "COUNTER", &counter, NULL, NULL), 0);
    assert_int_equal(measure(s, "update add (counter)", &b).requests, 1);
    json_t *old =
        json_pack("{s:s, s:s, s:I}", "PK", pk, "SK", "HOLD#1", "ttl", (json_int_t)(bc_now_s() - 10));
    assert_int_equal(bc_store_put(s, old, NULL), 0);
    b = stats_of(s);
    assert_int_equal(bc_store_update(s, pk, "HOLD#1", &u, &ne, &got), 0);
    assert_null(json_object_get(got, "ttl"));
    json_decref(got);
    assert_int_equal(measure(s, "update of an expired item", &b).requests, 3);
    assert_int_equal(bc_store_delete(s, pk, "HOLD#1", &v1), 0);
    assert_int_equal(measure(s, "delete if version", &b).requests, 1);
    for (int i = 0; i < 25; i++) {
        char sk[32];
        snprintf(sk, sizeof sk, "MSG#%02d", i);
        json_t *m = json_pack("{s:s, s:s, s:s}", "PK", pk, "SK", sk, "text", "hello there");
        if (i % 5 == 4) json_object_set_new(m, "ttl", json_integer(bc_now_s() - 1));
        assert_int_equal(bc_store_put(s, m, NULL), 0);
        json_decref(m);
    }
    b = stats_of(s);
    struct bc_query q = {.pk = pk, .sk_prefix = "MSG#", .limit = 10};
    struct bc_query_result r;
    assert_int_equal(bc_store_query(s, &q, &r), 0);
    assert_int_equal(json_array_size(r.items), 10);
    assert_non_null(r.next_cursor);
    bc_query_result_release(&r);
    struct cost qc = measure(s, "query page of 10 (1 in 5 items expired)", &b);
    assert_true(qc.requests >= 1 && qc.requests <= 3);
    struct bc_query q2 = {.pk = pk, .sk_prefix = "MSG#", .limit = 100};
    assert_int_equal(bc_store_query(s, &q2, &r), 0);
    assert_int_equal(json_array_size(r.items), 20);
    assert_null(r.next_cursor);
    bc_query_result_release(&r);
    assert_int_equal(measure(s, "query of a whole partition (25 items)", &b).requests, 1);
    assert_int_equal(bc_store_scan(s, NULL, 10, &r), 0);
    bc_query_result_release(&r);
    assert_true(measure(s, "scan page of 10", &b).requests >= 1);
    assert_int_equal(bc_store_reap(s, 100), 5 + 0);
    measure(s, "reap (ttl=reap engines only), 5 expired", &b);
    json_decref(old);
    json_decref(set);
    json_decref(add);
    json_decref(it);
    bc_store_close(s);
}

int main(void)
{
    bc_clock_init();
    bc_id_global_init();
    bc_log_set_level(BC_LOG_OFF);
    const char *u = getenv("BC_TEST_STORE_URL");
    if (u && strncmp(u, "dynamodb://", 11) == 0) {
        /* run by tests/store/with-dynalite.mjs: the engine-backed measurements only */
        snprintf(live_url, sizeof live_url, "%s", u);
        char id[BC_ID_LEN + 1];
        bc_id_new(id);
        snprintf(ns, sizeof ns, "%s", id);
        const struct CMUnitTest live[] = {cmocka_unit_test(test_store_dynamodb__costs)};
        return cmocka_run_group_tests_name("store_dynamodb_live", live, NULL, NULL);
    }
    setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-for-tests", 1);
    setenv("AWS_SESSION_TOKEN", "session-token-for-tests", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_dynamodb__open_errors),
        cmocka_unit_test(test_store_dynamodb__request_shape),
        cmocka_unit_test(test_store_dynamodb__retries_throttling),
        cmocka_unit_test(test_store_dynamodb__no_replay_of_unknown_outcomes),
        cmocka_unit_test(test_store_dynamodb__error_mapping),
        cmocka_unit_test(test_store_dynamodb__timeouts_and_refused),
        cmocka_unit_test(test_store_dynamodb__keep_alive),
    };
    return cmocka_run_group_tests_name("store_dynamodb", tests, fake_start, fake_stop);
}
