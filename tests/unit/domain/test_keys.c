/* Unit tests of src/store/keys.c, the one place store keys are built: the exact key shapes, and every
 * hostile or oversized part refused (NULL) so that no input can address another tenant or entity kind. */
#include "../testlib.h"

#include "domain/keys.h"

#include <string.h>

static void test_keys__shapes(void **state)
{
    (void)state;
    char buf[BC_KEY_SIZE];
    struct bc_ctx ctx = {0};
    strcpy(ctx.tenant_id, "acme");
    assert_string_equal(bc_key_tenant_pk(&ctx, buf), "TENANT#acme");
    assert_string_equal(bc_key_tenant_pk_operator(buf, "t-1"), "TENANT#t-1");
    assert_string_equal(bc_key_sk(buf, "SERVICE", "01J0ABC"), "SERVICE#01J0ABC");
    assert_string_equal(bc_key_sk2(buf, "CAL", "p1", "2026-11-29"), "CAL#p1#2026-11-29");
    assert_string_equal(bc_key_apikey_lookup(buf, "deadbeef"), "APIKEY#deadbeef");
    assert_string_equal(bc_key_email_lookup(buf, "Ana@Example.COM"), "EMAIL#ana@example.com");
    assert_string_equal(bc_key_origin_lookup(buf, "https://shop.example.com"),
                        "ORIGIN#https://shop.example.com");
    assert_string_equal(bc_key_migration(buf, "acme"), "MIGRATION#acme");
}

static void test_keys__hostile_parts_refused(void **state)
{
    (void)state;
    char buf[BC_KEY_SIZE], long_id[80], huge[300];
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    memset(huge, 'k', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    struct bc_ctx none = {0};
    assert_null(bc_key_tenant_pk(NULL, buf));
    assert_null(bc_key_tenant_pk(&none, buf)); /* no tenant in the credential: no tenant key */
    const char *bad[] = {"", "a#b", "TENANT#other", "a b", "a\n", "../x", "a/b", "é", long_id};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct bc_ctx ctx = {0};
        if (strlen(bad[i]) < sizeof ctx.tenant_id) { /* a context cannot even hold a longer one */
            memcpy(ctx.tenant_id, bad[i], strlen(bad[i]) + 1);
            assert_null(bc_key_tenant_pk(&ctx, buf));
        }
        assert_null(bc_key_tenant_pk_operator(buf, bad[i]));
        assert_null(bc_key_sk(buf, "SERVICE", bad[i]));
        assert_null(bc_key_sk2(buf, "CAL", "p1", bad[i]));
        assert_null(bc_key_sk2(buf, "CAL", bad[i], "2026-11-29"));
        assert_null(bc_key_migration(buf, bad[i]));
    }
    assert_null(bc_key_sk(buf, "SERVICE", NULL));
    /* a 64-character id is the longest allowed */
    long_id[64] = '\0';
    assert_non_null(bc_key_sk(buf, "SERVICE", long_id));
    assert_int_equal(strlen(buf), strlen("SERVICE#") + 64);
    /* parts that are valid alone but do not fit in a key */
    assert_null(bc_key_sk(buf, huge, "x"));
    assert_null(bc_key_sk2(buf, huge + 150, long_id, long_id));
    /* look-up keys: no '#', no control characters, bounded */
    assert_null(bc_key_email_lookup(buf, "a#b@example.com"));
    assert_null(bc_key_email_lookup(buf, "a\x01@example.com"));
    assert_null(bc_key_email_lookup(buf, ""));
    assert_null(bc_key_email_lookup(buf, huge));
    assert_null(bc_key_origin_lookup(buf, "https://a#b"));
    assert_null(bc_key_origin_lookup(buf, "https://a\r\n"));
    assert_null(bc_key_origin_lookup(buf, huge));
    assert_null(bc_key_apikey_lookup(buf, "ab#cd"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys__shapes),
        cmocka_unit_test(test_keys__hostile_parts_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
