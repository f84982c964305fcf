/* AWS credentials (util/awscreds.c): the environment's keys come first, and which container credentials
 * URLs may be asked (the rule of the AWS SDKs: https anywhere, plain http only on loopback or the
 * container agents' link-local addresses). The endpoint itself: tests/api/task_role.test.mjs. */
#include "../testlib.h"

#include "util/awscreds.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

static void test_awscreds__which_urls_may_be_asked(void **state)
{
    (void)state;
    const char *ok[] = {"http://169.254.170.2/v2/credentials/x",
                        "http://169.254.170.23/v1/credentials",
                        "http://127.0.0.1:8080/creds",
                        "http://[::1]:9/c",
                        "http://[fd00:ec2::23]/v1/credentials",
                        "http://localhost/c",
                        "https://creds.example.com/x"};
    const char *bad[] = {"http://10.1.2.3/creds",
                         "http://169.254.169.254/latest/meta-data",
                         "http://example.com/creds",
                         "http://127.0.0.1@evil.example.com/",
                         "ftp://127.0.0.1/creds",
                         "file:///etc/passwd",
                         "http:///creds",
                         "https://",
                         "http://[::ffff:10.0.0.1]/c",
                         "http://169.254.170.3/v2/credentials"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!bc_aws_creds_url_allowed(ok[i])) fail_msg("refused %s", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (bc_aws_creds_url_allowed(bad[i])) fail_msg("allowed %s", bad[i]);
}

static void test_awscreds__environment_first(void **state)
{
    (void)state;
    struct bc_aws_creds c;
    char err[256] = "";
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_false(bc_aws_creds_configured());
    assert_int_equal(bc_aws_creds_get(&c, err, sizeof err), BC_EINVALID);
    assert_non_null(strstr(err, "no AWS credentials"));
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    setenv("AWS_SESSION_TOKEN", "env-token", 1);
    /* an endpoint named as well is not asked: the keys win (nothing listens there) */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/never", 1);
    assert_true(bc_aws_creds_configured());
    assert_int_equal(bc_aws_creds_get(&c, err, sizeof err), 0);
    assert_string_equal(c.access_key, "AKIDENV");
    assert_string_equal(c.secret_key, "env-secret");
    assert_string_equal(c.token, "env-token");
    /* without the keys the endpoint is asked; nothing answers there */
    unsetenv("AWS_ACCESS_KEY_ID");
    bc_aws_creds_reset();
    assert_int_equal(bc_aws_creds_get(&c, err, sizeof err), BC_EUNAVAILABLE);
    assert_non_null(strstr(err, "container credentials endpoint"));
    /* a relative URI must be a path */
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/credentials", 1);
    bc_aws_creds_reset();
    assert_int_equal(bc_aws_creds_get(&c, err, sizeof err), BC_EINVALID);
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_awscreds__which_urls_may_be_asked),
        cmocka_unit_test(test_awscreds__environment_first),
    };
    return cmocka_run_group_tests_name("awscreds", tests, NULL, NULL);
}
