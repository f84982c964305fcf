/* Unit tests of src/http/rendered.c, the rendered answers: an answer is replayed only for the same key and
 * the very same input items; answers whose keys share a set stay side by side (with one entry a slot, two
 * hot answers that hashed alike were rendered again on every request); the next one takes the place of
 * the least recently served (after a crawl had served every way of a set, two hot answers of that set kept
 * taking each other's place). Requests come through the Lambda transport (http/lambda.h), which needs no
 * socket. */
#include "../testlib.h"

#include "http/http.h"
#include "http/lambda.h"
#include "http/rendered.h"
#include "http/server.h"
#include "util/hash.h"

#include <string.h>

static struct bc_server srv;

static int setup(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof srv);
    srv.body_limit = 1024;
    char err[200];
    assert_int_equal(bc_server_prepare(&srv, err, sizeof err), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_rendered_clear();
    bc_server_release(&srv);
    return 0;
}

static struct bc_req *request(json_t **e)
{
    *e = json_pack("{s:s, s:s, s:s, s:s, s:{}, s:{s:{s:s, s:s, s:s}}, s:b}", "version", "2.0", "routeKey",
                   "$default", "rawPath", "/x", "rawQueryString", "", "headers", "requestContext", "http",
                   "method", "GET", "path", "/x", "sourceIp", "198.51.100.7", "isBase64Encoded", 0);
    struct bc_req *req = NULL;
    char msg[100];
    assert_int_equal(bc_lambda_request(&srv, *e, &req, msg, sizeof msg), 0);
    return req;
}

/* Whether key's answer from the items in[0..n) is replayed (its body then in body[64]). */
static bool replayed(const char *key, const json_t *const *in, size_t n, char body[64])
{
    json_t *e;
    struct bc_req *req = request(&e);
    bool hit = bc_rendered_reply(req, key, in, n);
    body[0] = '\0';
    if (hit) {
        json_t *out = bc_lambda_render(req);
        snprintf(body, 64, "%s", json_string_value(json_object_get(out, "body")));
        json_decref(out);
    }
    bc_req_free(req);
    json_decref(e);
    return hit;
}

static void render(const char *key, const json_t *const *in, size_t n, const char *value)
{
    json_t *e;
    struct bc_req *req = request(&e);
    assert_int_equal(bc_rendered_reply_json(req, key, in, n, json_pack("{s:s}", "v", value)), 0);
    bc_req_free(req);
    json_decref(e);
}

static void test_rendered__same_key_and_items_only(void **state)
{
    (void)state;
    char body[64];
    json_t *a = json_pack("{s:s}", "name", "Corte"), *b = json_pack("{s:s}", "name", "Corte");
    const json_t *in[1] = {a};
    assert_false(replayed("services|t1", in, 1, body));
    render("services|t1", in, 1, "one");
    assert_true(replayed("services|t1", in, 1, body));
    assert_string_equal(body, "{\"v\":\"one\"}");
    /* an equal but other item (a rewritten one), another key, another count: a miss */
    const json_t *other[1] = {b};
    assert_false(replayed("services|t1", other, 1, body));
    assert_false(replayed("services|t2", in, 1, body));
    assert_false(replayed("services|t1", in, 0, body));
    json_decref(a);
    json_decref(b);
}

/* n keys (32 bytes each) whose answers share one set. */
static void same_set(char (*keys)[32], int n)
{
    size_t want = (size_t)(bc_fnv1a_str("k0") % BC_RENDERED_SETS);
    int found = 0;
    for (int i = 0; found < n; i++) {
        char k[32];
        snprintf(k, sizeof k, "k%d", i);
        if (bc_fnv1a_str(k) % BC_RENDERED_SETS == want) memcpy(keys[found++], k, sizeof k);
    }
}

static void test_rendered__keys_sharing_a_set_stay(void **state)
{
    (void)state;
    char keys[BC_RENDERED_WAYS + 1][32], body[64];
    same_set(keys, BC_RENDERED_WAYS + 1);
    for (int i = 0; i < BC_RENDERED_WAYS; i++) render(keys[i], NULL, 0, keys[i]);
    /* all of them, again and again (each served, so each is "used") */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < BC_RENDERED_WAYS; i++) {
            assert_true(replayed(keys[i], NULL, 0, body));
            assert_non_null(strstr(body, keys[i]));
        }
    /* one more for the full set takes one place; the others stay */
    render(keys[BC_RENDERED_WAYS], NULL, 0, "last");
    int kept = 0;
    for (int i = 0; i <= BC_RENDERED_WAYS; i++) kept += replayed(keys[i], NULL, 0, body);
    assert_int_equal(kept, BC_RENDERED_WAYS);
    assert_true(replayed(keys[BC_RENDERED_WAYS], NULL, 0, body));
    /* rendering a key again replaces its own entry */
    render(keys[1], NULL, 0, "again");
    assert_true(replayed(keys[1], NULL, 0, body));
    assert_string_equal(body, "{\"v\":\"again\"}");
    kept = 0;
    for (int i = 0; i <= BC_RENDERED_WAYS; i++) kept += replayed(keys[i], NULL, 0, body);
    assert_int_equal(kept, BC_RENDERED_WAYS);
}

static void test_rendered__hot_answers_stay_in_a_set_a_crawl_filled(void **state)
{
    (void)state;
    enum { N = BC_RENDERED_WAYS + 2 };
    char keys[N][32], body[64];
    same_set(keys, N);
    /* the crawl: every way of the set rendered and served (far below the budget: no sweep unmarks them) */
    for (int i = 0; i < BC_RENDERED_WAYS; i++) {
        render(keys[i], NULL, 0, keys[i]);
        assert_true(replayed(keys[i], NULL, 0, body));
    }
    /* then two hot answers of that set, served in turn: each is rendered once and replayed from then on */
    render(keys[N - 2], NULL, 0, "a");
    render(keys[N - 1], NULL, 0, "b");
    for (int round = 0; round < 3; round++) {
        assert_true(replayed(keys[N - 2], NULL, 0, body));
        assert_string_equal(body, "{\"v\":\"a\"}");
        assert_true(replayed(keys[N - 1], NULL, 0, body));
        assert_string_equal(body, "{\"v\":\"b\"}");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rendered__same_key_and_items_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rendered__keys_sharing_a_set_stay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rendered__hot_answers_stay_in_a_set_a_crawl_filled, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
