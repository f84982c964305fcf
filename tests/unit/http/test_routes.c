/* The route table: patterns match as intended, and every documented route is in openapi.json (so the
 * API description cannot fall behind the code). */
#include "../testlib.h"

#include "http/assets.h"
#include "http/router.h"
#include "http/server.h"

static void test_routes__openapi_covers_table(void **state)
{
    (void)state;
    const struct bc_asset *a = bc_asset_find("/v1/openapi.json");
    assert_non_null(a);
    json_error_t e;
    json_t *doc = json_loadb((const char *)a->data, a->len, 0, &e);
    if (!doc) fail_msg("openapi.json: %s at line %d", e.text, e.line);
    json_t *paths = json_object_get(doc, "paths");
    assert_true(json_is_object(paths));
    int missing = 0;
    for (size_t i = 0; i < bc_nroutes; i++) {
        const struct bc_route *r = &bc_routes[i];
        if (r->flags & BC_ROUTE_UNDOCUMENTED) continue;
        char method[16];
        const char *m = bc_method_name(r->method);
        size_t n = 0;
        for (; m[n] && n < sizeof method - 1; n++) method[n] = (char)(m[n] | 0x20); /* lower case */
        method[n] = '\0';
        json_t *op = json_object_get(json_object_get(paths, r->pattern), method);
        if (!json_is_object(op)) {
            print_error("route %s %s is missing from openapi.json\n", m, r->pattern);
            missing++;
        } else if (!json_is_object(json_object_get(op, "responses"))) {
            print_error("route %s %s has no responses in openapi.json\n", m, r->pattern);
            missing++;
        }
    }
    json_decref(doc);
    assert_int_equal(missing, 0);
}

static void test_routes__names_unique_and_patterns_sane(void **state)
{
    (void)state;
    for (size_t i = 0; i < bc_nroutes; i++) {
        assert_non_null(bc_routes[i].handler);
        assert_true(bc_routes[i].pattern[0] == '/');
        for (size_t j = i + 1; j < bc_nroutes; j++) {
            if (strcmp(bc_routes[i].name, bc_routes[j].name) == 0)
                fail_msg("duplicate route name %s", bc_routes[i].name);
            if (bc_routes[i].method == bc_routes[j].method &&
                strcmp(bc_routes[i].pattern, bc_routes[j].pattern) == 0)
                fail_msg("duplicate route %s", bc_routes[i].pattern);
        }
    }
}

static void test_routes__match_params(void **state)
{
    (void)state;
    struct bc_server srv = {0};
    struct bc_req req;
    memset(&req, 0, sizeof req);
    req.srv = &srv;
    bc_arena_init(&req.arena);
    unsigned allowed;
    req.method = BC_GET;
    req.path = "/healthz";
    const struct bc_route *r = bc_router_match(&req, &allowed);
    assert_non_null(r);
    assert_string_equal(r->name, "ops.healthz");
    req.path = "/healthz/extra";
    assert_null(bc_router_match(&req, &allowed));
    assert_int_equal(allowed, 0);
    req.method = BC_DELETE;
    req.path = "/healthz";
    assert_null(bc_router_match(&req, &allowed));
    assert_int_equal(allowed, BC_GET);
    req.method = BC_HEAD; /* HEAD is served by GET routes */
    assert_non_null(bc_router_match(&req, &allowed));
    /* test routes only exist with test hooks on */
    req.method = BC_GET;
    req.path = "/v1/test/sleep";
    assert_null(bc_router_match(&req, &allowed));
    srv.test_hooks = true;
    assert_non_null(bc_router_match(&req, &allowed));
    /* a parameter ends at the literal after it in its segment ("{token}.ics") */
    req.path = "/v1/feeds/abc.DEF-_x.ics";
    r = bc_router_match(&req, &allowed);
    assert_non_null(r);
    assert_string_equal(r->name, "feeds.get");
    assert_string_equal(bc_req_param(&req, "token"), "abc.DEF-_x");
    assert_true(r->flags & BC_ROUTE_SECRET_PATH);
    req.path = "/v1/feeds/.ics"; /* an empty token */
    assert_null(bc_router_match(&req, &allowed));
    req.path = "/v1/feeds/abc"; /* no suffix */
    assert_null(bc_router_match(&req, &allowed));
    req.path = "/v1/feeds/abc.ics/x";
    assert_null(bc_router_match(&req, &allowed));
    req.path = "/v1/feeds/abc.icsx";
    assert_null(bc_router_match(&req, &allowed));
    bc_arena_release(&req.arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes__openapi_covers_table),
        cmocka_unit_test(test_routes__names_unique_and_patterns_sane),
        cmocka_unit_test(test_routes__match_params),
    };
    return cmocka_run_group_tests_name("routes", tests, NULL, NULL);
}
