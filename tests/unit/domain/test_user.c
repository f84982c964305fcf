/* Unit tests of sign-in in src/domain/user.c: every outcome of bc_user_login spends exactly one Argon2id
 * verification (so timing reveals neither which e-mails exist nor which tenant holds one), and e-mails
 * have one normalised form (trimmed, lower-case) for creation, look-up and sign-in. */
#include "tenant_fixture.h"

#include "auth/password.h"

#include <string.h>

static struct bc_env *env;

static void add_user(const char *tenant, const char *email, const char *password)
{
    char msg[256] = "", pw[21];
    struct bc_ctx ctx;
    json_t *u = NULL;
    bc_ctx_operator(&ctx, tenant);
    int rc = bc_user_create(env, &ctx, email, "Someone", "admin", password, pw, msg, sizeof msg, &u);
    if (rc < 0) fail_msg("create %s in %s: %d %s", email, tenant, rc, msg);
    json_decref(u);
}

static int setup(void **state)
{
    (void)state;
    fx_init();
    env = fx_store("user");
    add_user("tenant-a", "solo@a.example.com", "password-of-solo");
    add_user("tenant-a", "both@example.com", "password-in-a");
    add_user("tenant-b", "both@example.com", "password-in-b");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_test_env_close(env);
    return 0;
}

/* Signs in and returns the error, asserting that exactly one Argon2 verification was spent. */
static int login_costs_one(const char *email, const char *password, const char *tenant_id)
{
    json_t *user = NULL;
    char tenant[BC_TENANT_ID_MAX + 1] = "";
    unsigned long before = bc_password_verifications();
    int rc = bc_user_login(env, email, password, tenant_id, &user, tenant);
    unsigned long spent = bc_password_verifications() - before;
    if (spent != 1)
        fail_msg("%s / %s: %lu Argon2 verifications, want 1", email, tenant_id ? tenant_id : "-", spent);
    json_decref(user);
    return rc;
}

static void test_user__every_sign_in_costs_one_verification(void **state)
{
    (void)state;
    assert_int_equal(login_costs_one("solo@a.example.com", "password-of-solo", NULL), 0);
    assert_int_equal(login_costs_one("solo@a.example.com", "wrong-password", NULL), BC_EUNAUTHORIZED);
    assert_int_equal(login_costs_one("nobody@a.example.com", "wrong-password", NULL), BC_EUNAUTHORIZED);
    assert_int_equal(login_costs_one("not-an-email", "wrong-password", NULL), BC_EUNAUTHORIZED);
    /* the right password but another tenant: as if the e-mail did not exist */
    assert_int_equal(login_costs_one("solo@a.example.com", "password-of-solo", "tenant-b"), BC_EUNAUTHORIZED);
    assert_int_equal(login_costs_one("solo@a.example.com", "wrong-password", "tenant-a"), BC_EUNAUTHORIZED);
    assert_int_equal(login_costs_one("solo@a.example.com", "password-of-solo", "tenant-a"), 0);
    /* an e-mail of two tenants: one verification too, the tenant named or not */
    assert_int_equal(login_costs_one("both@example.com", "password-in-a", NULL), BC_ECONFLICT);
    assert_int_equal(login_costs_one("both@example.com", "wrong-password", NULL), BC_EUNAUTHORIZED);
    assert_int_equal(login_costs_one("both@example.com", "password-in-b", "tenant-b"), 0);
    assert_int_equal(login_costs_one("both@example.com", "password-in-a", "tenant-b"), BC_EUNAUTHORIZED);
}

static void test_user__a_user_without_a_valid_hash_costs_one_verification(void **state)
{
    (void)state;
    add_user("tenant-c", "broken@c.example.com", "password-of-broken");
    json_t *u = NULL;
    struct bc_ctx ctx;
    bc_ctx_operator(&ctx, "tenant-c");
    assert_int_equal(bc_user_find(env, &ctx, "broken@c.example.com", &u), 0);
    json_object_set_new(u, "pw_hash", json_string("disabled"));
    assert_int_equal(bc_store_put(env->store, u, NULL), 0);
    json_decref(u);
    assert_int_equal(login_costs_one("broken@c.example.com", "password-of-broken", NULL), BC_EUNAUTHORIZED);
}

static void test_user__emails_have_one_form(void **state)
{
    (void)state;
    char em[BC_EMAIL_SIZE];
    assert_true(bc_email_normalize("  AdMiN@Example.COM\t", em));
    assert_string_equal(em, "admin@example.com");
    assert_false(bc_email_normalize("no at sign", em));
    assert_false(bc_email_normalize(NULL, em));
    /* created in one form, found and signed in to in any other */
    add_user("tenant-d", " Mixed.Case@D.example.com ", "password-of-mixed");
    json_t *u = NULL;
    struct bc_ctx ctx;
    bc_ctx_operator(&ctx, "tenant-d");
    assert_int_equal(bc_user_find(env, &ctx, "MIXED.CASE@d.example.com", &u), 0);
    assert_string_equal(json_string_value(json_object_get(u, "email")), "mixed.case@d.example.com");
    json_decref(u);
    assert_int_equal(login_costs_one("mixed.case@D.EXAMPLE.COM ", "password-of-mixed", NULL), 0);
    /* a second user with the same e-mail in another case is the same e-mail */
    char msg[256] = "", pw[21];
    json_t *dup = NULL;
    assert_int_equal(bc_user_create(env, &ctx, "MIXED.case@d.example.com", "Dup", "viewer", "password-of-dup",
                                    pw, msg, sizeof msg, &dup),
                     BC_ECONFLICT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user__every_sign_in_costs_one_verification),
        cmocka_unit_test(test_user__a_user_without_a_valid_hash_costs_one_verification),
        cmocka_unit_test(test_user__emails_have_one_form),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
