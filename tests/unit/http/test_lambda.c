/* Lambda events as requests (http/lambda.c): which events are HTTP or scheduled; an API Gateway HTTP API
 * (payload 2.0) event becomes a request with the decoded path, query arguments, headers (cookies[] as one
 * Cookie header), body (base64 too, over the limit marked) and the source IP (trusted proxies as for a
 * connection); malformed parts are refused by name; a reply becomes {statusCode, headers, cookies, body,
 * isBase64Encoded}; and an event through the router is answered as serve answers it. */
#include "../testlib.h"

#include "http/http.h"
#include "http/lambda.h"
#include "http/server.h"
#include "util/err.h"

#include <sodium.h>

static json_t *event(const char *method, const char *raw_path, const char *query)
{
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:{}, s:{s:{s:s, s:s, s:s}}, s:b}", "version", "2.0",
                          "routeKey", "$default", "rawPath", raw_path, "rawQueryString", query, "headers",
                          "requestContext", "http", "method", method, "path", raw_path, "sourceIp",
                          "198.51.100.7", "isBase64Encoded", 0);
    assert_non_null(e);
    return e;
}

static void prepare(struct bc_server *srv)
{
    memset(srv, 0, sizeof *srv);
    srv->body_limit = 64;
    char err[200];
    assert_int_equal(bc_server_prepare(srv, err, sizeof err), 0);
}

struct args {
    char seen[256];
};

static void collect(void *ud, const char *k, const char *v)
{
    struct args *a = ud;
    size_t n = strlen(a->seen);
    snprintf(a->seen + n, sizeof a->seen - n, "[%s=%s]", k, v ? v : "(none)");
}

static void test_lambda__kinds(void **state)
{
    (void)state;
    json_t *http = event("GET", "/healthz", "");
    assert_int_equal(bc_lambda_kind(http), BC_LAMBDA_HTTP);
    json_object_set_new(http, "version", json_string("1.0"));
    assert_int_equal(bc_lambda_kind(http), BC_LAMBDA_UNKNOWN); /* REST API payload 1.0 */
    json_object_del(http, "version");
    assert_int_equal(bc_lambda_kind(http), BC_LAMBDA_UNKNOWN);
    json_decref(http);
    json_t *sched = json_pack("{s:s, s:s, s:s, s:{}}", "version", "0", "source", "aws.events", "detail-type",
                              "Scheduled Event", "detail");
    assert_int_equal(bc_lambda_kind(sched), BC_LAMBDA_SCHEDULED);
    json_object_set_new(sched, "detail-type", json_string("EC2 Instance State-change Notification"));
    assert_int_equal(bc_lambda_kind(sched), BC_LAMBDA_UNKNOWN);
    json_decref(sched);
    json_t *arr = json_array();
    assert_int_equal(bc_lambda_kind(arr), BC_LAMBDA_UNKNOWN);
    assert_int_equal(bc_lambda_kind(NULL), BC_LAMBDA_UNKNOWN);
    json_decref(arr);
}

static void test_lambda__request_from_event(void **state)
{
    (void)state;
    struct bc_server srv;
    prepare(&srv);
    json_t *e = event("POST", "/v1/widget/caf%C3%A9%20x", "a=1&b=two+words&c=%2Fslash&flag&a=2");
    json_t *h = json_object_get(e, "headers");
    json_object_set_new(h, "x-api-key", json_string("pk_live_abc"));
    json_object_set_new(h, "accept-language", json_string("es,en;q=0.5"));
    json_object_set_new(h, "cookie", json_string("ignored=1"));
    json_object_set_new(e, "cookies", json_pack("[s, s]", "a=1", "b=2"));
    json_object_set_new(e, "body", json_string("{\"k\":1}"));
    struct bc_req *req = NULL;
    char msg[200] = "";
    assert_int_equal(bc_lambda_request(&srv, e, &req, msg, sizeof msg), 0);
    assert_int_equal(req->method, BC_POST);
    assert_string_equal(req->method_str, "POST");
    assert_string_equal(req->path, "/v1/widget/caf\xc3\xa9 x");
    assert_string_equal(bc_req_query(req, "b"), "two words");
    assert_string_equal(bc_req_query(req, "c"), "/slash");
    assert_string_equal(bc_req_query(req, "a"), "1"); /* the first, as libmicrohttpd answers */
    assert_null(bc_req_query(req, "zz"));
    struct args a = {""};
    req->tx->each_query(req, collect, &a);
    assert_string_equal(a.seen, "[a=1][b=two words][c=/slash][flag=(none)][a=2]");
    assert_string_equal(bc_req_header(req, "X-Api-Key"), "pk_live_abc");
    assert_string_equal(bc_req_header(req, "Accept-Language"), "es,en;q=0.5");
    assert_string_equal(bc_req_header(req, "Cookie"), "a=1; b=2"); /* cookies[] wins */
    assert_null(bc_req_header(req, "Origin"));
    assert_int_equal(req->body.len, 7);
    assert_memory_equal(req->body.data, "{\"k\":1}", 7);
    json_t *j = NULL;
    assert_int_equal(bc_req_json(req, &j), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "k")), 1);
    assert_string_equal(bc_req_remote(req), "198.51.100.7");
    assert_false(req->tx->streams);
    bc_req_free(req);
    json_decref(e);
    bc_server_release(&srv);
}

static void test_lambda__base64_and_limits(void **state)
{
    (void)state;
    struct bc_server srv;
    prepare(&srv);
    json_t *e = event("PUT", "/x", "");
    const unsigned char bin[] = {0, 1, 2, 0xff, 'a'};
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, bin, sizeof bin, sodium_base64_VARIANT_ORIGINAL);
    json_object_set_new(e, "body", json_string(b64));
    json_object_set_new(e, "isBase64Encoded", json_true());
    struct bc_req *req = NULL;
    char msg[200] = "";
    assert_int_equal(bc_lambda_request(&srv, e, &req, msg, sizeof msg), 0);
    assert_int_equal(req->body.len, sizeof bin);
    assert_memory_equal(req->body.data, bin, sizeof bin);
    assert_false(req->body_too_large);
    bc_req_free(req);
    /* over body_limit (64), plain and encoded: marked, not kept (the router answers 413) */
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_object_set_new(e, "body", json_string(big));
    for (int enc = 0; enc < 2; enc++) {
        json_object_set_new(e, "isBase64Encoded", json_boolean(enc));
        assert_int_equal(bc_lambda_request(&srv, e, &req, msg, sizeof msg), 0);
        assert_true(req->body_too_large);
        assert_int_equal(req->body.len, 0);
        bc_req_free(req);
    }
    json_object_set_new(e, "body", json_string("not*base64!"));
    json_object_set_new(e, "isBase64Encoded", json_true());
    assert_int_equal(bc_lambda_request(&srv, e, &req, msg, sizeof msg), BC_EINVALID);
    assert_non_null(strstr(msg, "base64"));
    assert_null(req);
    json_decref(e);
    bc_server_release(&srv);
}

static void test_lambda__malformed_parts(void **state)
{
    (void)state;
    struct bc_server srv;
    prepare(&srv);
    struct bc_req *req = NULL;
    char msg[200];
    struct {
        const char *key;
        json_t *value;
        const char *says;
    } bad[] = {
        {"headers", json_pack("{s:i}", "x-a", 5), "header x-a"},
        {"headers", json_array(), "headers"},
        {"cookies", json_pack("[i]", 1), "cookies[0]"},
        {"cookies", json_string("a=1"), "cookies"},
        {"body", json_integer(5), "body"},
        {"rawPath", json_string("no-slash"), "rawPath"},
        {"rawPath", json_integer(1), "not an API Gateway"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *e = event("GET", "/x", "");
        json_object_set_new(e, bad[i].key, bad[i].value);
        msg[0] = '\0';
        assert_int_equal(bc_lambda_request(&srv, e, &req, msg, sizeof msg), BC_EINVALID);
        if (!strstr(msg, bad[i].says)) fail_msg("case %zu: '%s' does not name '%s'", i, msg, bad[i].says);
        assert_null(req);
        json_decref(e);
    }
    bc_server_release(&srv);
}

static void test_lambda__source_ip_and_trusted_proxies(void **state)
{
    (void)state;
    struct bc_server srv;
    prepare(&srv);
    char err[100];
    srv.ntrusted =
        bc_cidr_parse_list("198.51.100.0/24", srv.trusted, BC_MAX_TRUSTED_PROXIES, err, sizeof err);
    json_t *e = event("GET", "/x", "");
    /* API Gateway joins a header's values with commas: one list, right-most untrusted entry is the client */
    json_object_set_new(json_object_get(e, "headers"), "x-forwarded-for",
                        json_string("10.9.9.9, 203.0.113.5, 198.51.100.20"));
    struct bc_req *req = NULL;
    char msg[100];
    assert_int_equal(bc_lambda_request(&srv, e, &req, msg, sizeof msg), 0);
    assert_string_equal(bc_req_remote(req), "203.0.113.5");
    bc_req_free(req);
    /* a source that is not trusted: X-Forwarded-For is not believed */
    json_object_set_new(json_object_get(json_object_get(e, "requestContext"), "http"), "sourceIp",
                        json_string("2001:db8::1"));
    assert_int_equal(bc_lambda_request(&srv, e, &req, msg, sizeof msg), 0);
    assert_string_equal(bc_req_remote(req), "2001:db8::1");
    bc_req_free(req);
    json_decref(e);
    bc_server_release(&srv);
}

static json_t *render_with(struct bc_server *srv, const char *method, void (*reply)(struct bc_req *))
{
    json_t *e = event(method, "/x", "");
    struct bc_req *req = NULL;
    char msg[100];
    assert_int_equal(bc_lambda_request(srv, e, &req, msg, sizeof msg), 0);
    reply(req);
    json_t *out = bc_lambda_render(req);
    assert_non_null(out);
    bc_req_free(req);
    json_decref(e);
    return out;
}

static void reply_json(struct bc_req *req)
{
    bc_reply_header(req, "Set-Cookie", "s=1; Secure");
    bc_reply_header(req, "Set-Cookie", "t=2");
    bc_reply_header(req, "Vary", "Origin");
    bc_reply_header(req, "Vary", "Accept");
    bc_reply_json(req, 201, json_pack("{s:s}", "ok", "yes"));
}

static void reply_png(struct bc_req *req)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0, 0xfe};
    bc_reply_bytes(req, 200, "image/png", png, sizeof png, false);
}

static void reply_bad_text(struct bc_req *req)
{
    bc_reply_bytes(req, 200, "text/plain", "a\xff", 2, true);
}

static void reply_gzip(struct bc_req *req)
{
    bc_reply_header(req, "Content-Encoding", "gzip");
    bc_reply_bytes(req, 200, "application/javascript", "\x1f\x8b", 2, false);
}

static void test_lambda__render(void **state)
{
    (void)state;
    struct bc_server srv;
    prepare(&srv);
    snprintf(srv.public_url, sizeof srv.public_url, "https://book.example.com");
    json_t *o = render_with(&srv, "POST", reply_json);
    assert_int_equal(json_integer_value(json_object_get(o, "statusCode")), 201);
    assert_string_equal(json_string_value(json_object_get(o, "body")), "{\"ok\":\"yes\"}");
    assert_true(json_is_false(json_object_get(o, "isBase64Encoded")));
    json_t *h = json_object_get(o, "headers");
    assert_string_equal(json_string_value(json_object_get(h, "Content-Type")),
                        "application/json; charset=utf-8");
    assert_string_equal(json_string_value(json_object_get(h, "Cache-Control")), "no-store");
    assert_string_equal(json_string_value(json_object_get(h, "Vary")), "Origin, Accept");
    assert_string_equal(json_string_value(json_object_get(h, "X-Content-Type-Options")), "nosniff");
    assert_string_equal(json_string_value(json_object_get(h, "Strict-Transport-Security")),
                        "max-age=31536000");
    assert_int_equal(strlen(json_string_value(json_object_get(h, "X-Request-Id"))), 26);
    assert_null(json_object_get(h, "Set-Cookie"));
    json_t *c = json_object_get(o, "cookies");
    assert_int_equal(json_array_size(c), 2);
    assert_string_equal(json_string_value(json_array_get(c, 0)), "s=1; Secure");
    assert_string_equal(json_string_value(json_array_get(c, 1)), "t=2");
    json_decref(o);
    /* binary, text that is not UTF-8, and content-encoded bodies: base64 */
    void (*b64[])(struct bc_req *) = {reply_png, reply_bad_text, reply_gzip};
    const char *want[] = {"iVBORwD+", "Yf8=", "H4s="};
    for (int i = 0; i < 3; i++) {
        o = render_with(&srv, "GET", b64[i]);
        assert_true(json_is_true(json_object_get(o, "isBase64Encoded")));
        assert_string_equal(json_string_value(json_object_get(o, "body")), want[i]);
        json_decref(o);
    }
    /* HEAD: the headers, no body */
    o = render_with(&srv, "HEAD", reply_json);
    assert_string_equal(json_string_value(json_object_get(o, "body")), "");
    json_decref(o);
    bc_server_release(&srv);
}

static void test_lambda__answer_through_router(void **state)
{
    (void)state;
    struct bc_server srv;
    prepare(&srv);
    char msg[100];
    struct bc_req *req = NULL;
    json_t *e = event("GET", "/v1/no/such/thing", "");
    assert_int_equal(bc_lambda_request(&srv, e, &req, msg, sizeof msg), 0);
    json_t *o = bc_lambda_answer(req, 0); /* freed by answer */
    assert_int_equal(json_integer_value(json_object_get(o, "statusCode")), 404);
    json_t *body = json_loads(json_string_value(json_object_get(o, "body")), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "error"), "code")),
                        "not_found");
    json_decref(body);
    json_decref(o);
    json_decref(e);
    e = event("BREW", "/healthz", "");
    assert_int_equal(bc_lambda_request(&srv, e, &req, msg, sizeof msg), 0);
    o = bc_lambda_answer(req, 0);
    assert_int_equal(json_integer_value(json_object_get(o, "statusCode")), 405);
    json_decref(o);
    json_decref(e);
    assert_int_equal(bc_lambda_reap(0), 0);
    bc_server_release(&srv);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lambda__kinds),
        cmocka_unit_test(test_lambda__request_from_event),
        cmocka_unit_test(test_lambda__base64_and_limits),
        cmocka_unit_test(test_lambda__malformed_parts),
        cmocka_unit_test(test_lambda__source_ip_and_trusted_proxies),
        cmocka_unit_test(test_lambda__render),
        cmocka_unit_test(test_lambda__answer_through_router),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
