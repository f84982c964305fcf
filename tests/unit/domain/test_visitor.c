/* The widget's per-visitor limits (domain/visitor.c): a cap per subject, tenant and limit, settings of 0
 * and visitor_limits = off, the visitor's share of the key's bucket, the contact's normal form, and the
 * under-attack hook. */
#include "../testlib.h"

#include "auth/ratelimit.h"
#include "domain/visitor.h"
#include "util/config.h"
#include "util/err.h"

static struct bc_env *env;

static int setup(void **state)
{
    (void)state;
    char url[600], err[256];
    struct bc_store *s = NULL;
    bc_test_store_url(url, sizeof url, "visitor");
    if (bc_store_open(url, &s, err, sizeof err) < 0) return -1;
    env = bc_test_env(s);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_test_env_close(env);
    bc_ratelimit_reset();
    bc_config_reset();
    return 0;
}

static int take(const char *tenant, enum bc_visitor_limit l, const char *subject)
{
    return bc_visitor_take(env, tenant, l, subject, 0, 0, NULL);
}

static void test_visitor__daily_cap_per_subject_and_tenant(void **state)
{
    (void)state;
    struct bc_rl_info info;
    bc_config_set(BC_CFG_VISITOR_BOOKINGS_DAY, "2");
    assert_int_equal(take("t1", BC_VL_BOOKINGS_DAY, "192.0.2.1"), 0);
    assert_int_equal(take("t1", BC_VL_BOOKINGS_DAY, "192.0.2.1"), 0);
    assert_int_equal(bc_visitor_take(env, "t1", BC_VL_BOOKINGS_DAY, "192.0.2.1", 0, 0, &info),
                     BC_EVISITOR_BOOKINGS);
    assert_true(info.retry_after_s >= 1); /* a day's cap of 2 refills one every 12 hours */
    assert_true(info.retry_after_s <= 12 * 3600);
    assert_string_equal(bc_err_code(BC_EVISITOR_BOOKINGS), "visitor_bookings_limited");
    assert_int_equal(bc_err_status(BC_EVISITOR_BOOKINGS), 429);
    /* another visitor, the same visitor at another tenant, another limit: their own buckets */
    assert_int_equal(take("t1", BC_VL_BOOKINGS_DAY, "192.0.2.2"), 0);
    assert_int_equal(take("t2", BC_VL_BOOKINGS_DAY, "192.0.2.1"), 0);
    assert_int_equal(take("t1", BC_VL_HOLDS_DAY, "192.0.2.1"), 0);
    /* no subject: nothing to count */
    assert_int_equal(take("t1", BC_VL_BOOKINGS_DAY, ""), 0);
}

static void test_visitor__off(void **state)
{
    (void)state;
    bc_config_set(BC_CFG_CONTACT_BOOKINGS_DAY, "0"); /* one limit off */
    for (int i = 0; i < 50; i++) assert_int_equal(take("t3", BC_VL_CONTACT_DAY, "e:a@example.com"), 0);
    bc_config_set(BC_CFG_CONVERSATION_MESSAGES, "1");
    bc_config_set(BC_CFG_VISITOR_LIMITS, "off"); /* every limit off */
    for (int i = 0; i < 5; i++) assert_int_equal(take("t3", BC_VL_CONV_MESSAGES, "conv1"), 0);
    bc_config_set(BC_CFG_VISITOR_LIMITS, "on");
    assert_int_equal(take("t3", BC_VL_CONV_MESSAGES, "conv1"), 0);
    assert_int_equal(take("t3", BC_VL_CONV_MESSAGES, "conv1"), BC_ECONV_LONG);
}

static void test_visitor__share_of_the_key(void **state)
{
    (void)state;
    /* a key of 100/s, burst 100: a visitor gets a quarter, 25 */
    int ok = 0;
    for (int i = 0; i < 40; i++)
        if (bc_visitor_take(env, "t4", BC_VL_REQUESTS, "198.51.100.1", 100, 100, NULL) == 0) ok++;
    assert_true(ok >= 25 && ok <= 27);
    assert_int_equal(bc_visitor_take(env, "t4", BC_VL_REQUESTS, "198.51.100.1", 100, 100, NULL),
                     BC_EVISITOR_RATE);
    assert_int_equal(bc_visitor_take(env, "t4", BC_VL_REQUESTS, "198.51.100.2", 100, 100, NULL), 0);
    /* a key smaller than the floor (2/s, 10): the key's own bucket is the visitor's, nothing added */
    for (int i = 0; i < 40; i++)
        assert_int_equal(bc_visitor_take(env, "t4", BC_VL_REQUESTS, "198.51.100.3", 2, 10, NULL), 0);
}

/* A peek says what a take would say, and takes nothing, creates nothing: the early refusal of a request
 * (http/auth.c) never spends a unit it did not spend before. */
static void test_visitor__peek_takes_nothing(void **state)
{
    (void)state;
    struct bc_rl_info info;
    /* an unknown bucket is full: peeks never empty it */
    for (int i = 0; i < 100; i++)
        assert_int_equal(bc_visitor_peek(env, "t5", BC_VL_REQUESTS, "198.51.100.9", 100, 100, NULL), 0);
    assert_int_equal(bc_ratelimit_peek("key:k5", 1, 3, &info), 0);
    int ok = 0;
    for (int i = 0; i < 40; i++)
        if (bc_visitor_take(env, "t5", BC_VL_REQUESTS, "198.51.100.9", 100, 100, NULL) == 0) ok++;
    assert_true(ok >= 25 && ok <= 27); /* the whole share was still there */
    assert_int_equal(bc_visitor_peek(env, "t5", BC_VL_REQUESTS, "198.51.100.9", 100, 100, &info),
                     BC_EVISITOR_RATE);
    assert_true(info.retry_after_s >= 1);
    /* the key's bucket: three takes empty it, a peek then refuses with what a refused take says */
    for (int i = 0; i < 3; i++) assert_int_equal(bc_ratelimit_take("key:k5", 1, 3, NULL), 0);
    struct bc_rl_info took, peeked;
    assert_int_equal(bc_ratelimit_peek("key:k5", 1, 3, &peeked), BC_ERATE);
    assert_int_equal(bc_ratelimit_take("key:k5", 1, 3, &took), BC_ERATE);
    assert_int_equal(peeked.retry_after_s, took.retry_after_s);
    assert_true(peeked.limit == took.limit && peeked.remaining == took.remaining);
}

static void test_visitor__contact(void **state)
{
    (void)state;
    char a[128], b[128];
    bc_visitor_contact("  Luis@Example.COM ", NULL, a, sizeof a);
    assert_string_equal(a, "e:luis@example.com");
    bc_visitor_contact(NULL, "+34 600 111 222", a, sizeof a);
    bc_visitor_contact(NULL, "600-111-222", b, sizeof b);
    assert_string_equal(a, "p:600111222");
    assert_string_equal(a, b);
    bc_visitor_contact("luis@example.com", "600111222", a, sizeof a); /* the e-mail first */
    assert_string_equal(a, "e:luis@example.com");
    bc_visitor_contact("   ", "12", a, sizeof a); /* neither usable */
    assert_string_equal(a, "");
    bc_visitor_contact(NULL, NULL, a, sizeof a);
    assert_string_equal(a, "");
}

static void test_visitor__names_and_codes(void **state)
{
    (void)state;
    for (int l = 0; l < BC_VL__COUNT; l++) {
        assert_string_not_equal(bc_visitor_limit_name(l), "?");
        /* a code of its own per limit */
        for (int m = 0; m < l; m++)
            assert_string_not_equal(bc_visitor_limit_name(l), bc_visitor_limit_name(m));
    }
    assert_int_equal(bc_visitor_limit_of(BC_ECONTACT_BOOKINGS), BC_VL_CONTACT_DAY);
    assert_int_equal(bc_visitor_limit_of(BC_ERATE), -1);
    assert_string_equal(bc_visitor_limit_name(BC_VL__COUNT), "?");
}

static void test_visitor__under_attack(void **state)
{
    (void)state;
    bc_config_set(BC_CFG_VISITOR_HOLDS_DAY, "1");
    assert_false(bc_visitor_under_attack(env, "t5"));
    /* one visitor stopped by its own cap, a hundred times over, is not an attack */
    assert_int_equal(take("t5", BC_VL_HOLDS_DAY, "198.51.100.200"), 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(take("t5", BC_VL_HOLDS_DAY, "198.51.100.200"), BC_EVISITOR_HOLDS);
    assert_false(bc_visitor_under_attack(env, "t5"));
    char ip[32];
    bc_config_set(BC_CFG_CONVERSATION_MESSAGES, "1"); /* nor are its many conversations */
    for (int i = 0; i < 20; i++) {
        snprintf(ip, sizeof ip, "conv%d", i);
        assert_int_equal(take("t5", BC_VL_CONV_MESSAGES, ip), 0);
        assert_int_equal(take("t5", BC_VL_CONV_MESSAGES, ip), BC_ECONV_LONG);
    }
    assert_false(bc_visitor_under_attack(env, "t5"));
    for (int i = 0; i < 9; i++) { /* 9 more visitors, each refused once: 10 distinct in all */
        if (i == 8) assert_false(bc_visitor_under_attack(env, "t5")); /* 9 distinct: not yet */
        snprintf(ip, sizeof ip, "203.0.113.%d", i);
        assert_int_equal(take("t5", BC_VL_HOLDS_DAY, ip), 0);
        assert_int_equal(take("t5", BC_VL_HOLDS_DAY, ip), BC_EVISITOR_HOLDS);
    }
    assert_true(bc_visitor_under_attack(env, "t5"));
    assert_false(bc_visitor_under_attack(env, "t6")); /* another tenant is not */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_visitor__daily_cap_per_subject_and_tenant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visitor__off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visitor__share_of_the_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visitor__peek_takes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visitor__contact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visitor__names_and_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visitor__under_attack, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
