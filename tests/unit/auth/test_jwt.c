/* Unit tests of src/auth/jwt.c's JWKS sources: a file or an https URL; plain http only on a loopback
 * address and only with the tests-only setting, never for another host. */
#include "../testlib.h"

#include "auth/jwt.h"
#include "util/err.h"

static int check(const char *source, bool allow_loopback)
{
    char err[512] = "";
    int rc = bc_jwt_jwks_source_check(source, allow_loopback, err, sizeof err);
    if (rc < 0 && !err[0]) fail_msg("%s refused without a reason", source);
    return rc;
}

static void test_jwt__jwks_https_or_file(void **state)
{
    (void)state;
    assert_int_equal(check("https://idp.example.com/.well-known/jwks.json", false), 0);
    assert_int_equal(check("HTTPS://idp.example.com/jwks", false), 0);
    assert_int_equal(check("/etc/bookchat/jwks.json", false), 0);
    assert_int_equal(check("http://idp.example.com/jwks", false), BC_EINVALID);
    assert_int_equal(check("http://idp.example.com/jwks", true), BC_EINVALID);
    assert_int_equal(check("ftp://idp.example.com/jwks", true), BC_EINVALID);
    assert_int_equal(check("file:///etc/passwd", true), BC_EINVALID);
}

static void test_jwt__jwks_http_loopback_only_with_the_setting(void **state)
{
    (void)state;
    const char *loopback[] = {"http://127.0.0.1:8000/jwks.json", "http://127.1.2.3/jwks", "http://[::1]:9/x",
                              "http://localhost:8080/jwks",      "http://LOCALHOST",      "http://127.0.0.1"};
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        assert_int_equal(check(loopback[i], false), BC_EINVALID);
        assert_int_equal(check(loopback[i], true), 0);
    }
    const char *not_loopback[] = {"http://127.0.0.1.evil.example.com/jwks",
                                  "http://localhost.evil.example.com/",
                                  "http://128.0.0.1/jwks",
                                  "http://10.0.0.1/jwks",
                                  "http://[::2]/jwks",
                                  "http://user@127.0.0.1/jwks",
                                  "http://127.0.0.1@evil.example.com/jwks",
                                  "http://0x7f000001/jwks",
                                  "http://127.0.0.1:80@evil.example.com/jwks",
                                  "http://127.0.0.1:80x/jwks",
                                  "http://127.0.0.1#@evil.example.com/",
                                  "http://127.0.0.1\\@evil.example.com/"};
    for (size_t i = 0; i < sizeof not_loopback / sizeof not_loopback[0]; i++)
        if (check(not_loopback[i], true) != BC_EINVALID) fail_msg("%s accepted", not_loopback[i]);
}

static void test_jwt__fetch_refuses_plain_http_before_connecting(void **state)
{
    (void)state;
    char err[512] = "";
    /* port 9 (discard) on a documentation address: refused by the check, never contacted */
    assert_int_equal(bc_jwt_fetch_jwks("http://192.0.2.1:9/jwks", true, err, sizeof err), BC_EINVALID);
    assert_non_null(strstr(err, "https"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt__jwks_https_or_file),
        cmocka_unit_test(test_jwt__jwks_http_loopback_only_with_the_setting),
        cmocka_unit_test(test_jwt__fetch_refuses_plain_http_before_connecting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
