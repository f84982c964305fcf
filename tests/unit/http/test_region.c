/* The home regions' forwarded header (http/region.c): what one region signs, another verifies with the
 * shared secret; a change to any field, another secret, a stale time or a malformed value does not verify;
 * and the region settings are checked at start. */
#include "../testlib.h"

#include "auth/secret.h"
#include "http/region.h"
#include "util/config.h"
#include "util/err.h"

#include <stdio.h>

static const unsigned char SECRET_A[] = "regions-unit-secret-a-0123456789abcdef";
static const unsigned char SECRET_B[] = "regions-unit-secret-b-0123456789abcdef";

static void test_region__sign_verify(void **state)
{
    (void)state;
    bc_secret_set_for_tests(SECRET_A, sizeof SECRET_A);
    char h[400], origin[33], client[64];
    const long long now = 1765000000;
    assert_int_equal(
        bc_region_sign(h, sizeof h, "eu-west-1", "203.0.113.7", now, "POST", "/v1/widget/bookings"), 0);
    assert_int_equal(bc_region_verify(h, "POST", "/v1/widget/bookings", now + 5, origin, client), 0);
    assert_string_equal(origin, "eu-west-1");
    assert_string_equal(client, "203.0.113.7");
    /* IPv6 clients too */
    assert_int_equal(bc_region_sign(h, sizeof h, "b", "2001:db8::1", now, "PATCH", "/v1/admin/settings"), 0);
    assert_int_equal(bc_region_verify(h, "PATCH", "/v1/admin/settings", now, origin, client), 0);
    assert_string_equal(client, "2001:db8::1");
}

static void test_region__tampering(void **state)
{
    (void)state;
    bc_secret_set_for_tests(SECRET_A, sizeof SECRET_A);
    char h[400], t[400], origin[33], client[64];
    const long long now = 1765000000;
    assert_int_equal(bc_region_sign(h, sizeof h, "a", "203.0.113.7", now, "POST", "/v1/widget/holds"), 0);
    /* another method or path: a header cannot be moved to another request */
    assert_int_equal(bc_region_verify(h, "DELETE", "/v1/widget/holds", now, origin, client), BC_EFORBIDDEN);
    assert_int_equal(bc_region_verify(h, "POST", "/v1/widget/bookings", now, origin, client), BC_EFORBIDDEN);
    /* outside the time window, either side */
    assert_int_equal(
        bc_region_verify(h, "POST", "/v1/widget/holds", now + BC_REGION_FORWARD_SKEW_S + 1, origin, client),
        BC_EFORBIDDEN);
    assert_int_equal(
        bc_region_verify(h, "POST", "/v1/widget/holds", now - BC_REGION_FORWARD_SKEW_S - 1, origin, client),
        BC_EFORBIDDEN);
    /* another client address, origin or time in the same MAC */
    const char *from[] = {"client=203.0.113.7", "origin=a", "ts=1765000000"};
    const char *to[] = {"client=203.0.113.8", "origin=b", "ts=1765000001"};
    for (int i = 0; i < 3; i++) {
        const char *at = strstr(h, from[i]);
        assert_non_null(at);
        snprintf(t, sizeof t, "%.*s%s%s", (int)(at - h), h, to[i], at + strlen(from[i]));
        assert_int_equal(bc_region_verify(t, "POST", "/v1/widget/holds", now, origin, client), BC_EFORBIDDEN);
    }
    /* a region with another secret */
    bc_secret_set_for_tests(SECRET_B, sizeof SECRET_B);
    assert_int_equal(bc_region_verify(h, "POST", "/v1/widget/holds", now, origin, client), BC_EFORBIDDEN);
}

static void test_region__malformed(void **state)
{
    (void)state;
    bc_secret_set_for_tests(SECRET_A, sizeof SECRET_A);
    char h[400], origin[33], client[64];
    const char *bad[] = {
        "",
        "garbage",
        "v2;origin=a;client=1.2.3.4;ts=1765000000;mac=00",
        "v1;origin=a;client=1.2.3.4;ts=1765000000",
        "v1;origin=A;client=1.2.3.4;ts=1765000000;mac="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "v1;origin=a;client=not-an-ip;ts=1765000000;mac="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "v1;origin=a;client=1.2.3.4;ts=17x;mac="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "v1;origin=a;client=1.2.3.4;ts=1765000000;mac=00000000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(bc_region_verify(bad[i], "POST", "/x", 1765000000, origin, client), BC_EFORBIDDEN);
    assert_int_equal(bc_region_verify(NULL, "POST", "/x", 1765000000, origin, client), BC_EFORBIDDEN);
    /* nothing unverifiable is signed: a malformed origin or client */
    assert_int_equal(bc_region_sign(h, sizeof h, "EU", "1.2.3.4", 1, "POST", "/x"), BC_EINVALID);
    assert_int_equal(bc_region_sign(h, sizeof h, "a", "1.2.3.4;mac=x", 1, "POST", "/x"), BC_EINVALID);
    assert_int_equal(bc_region_sign(h, 20, "a", "1.2.3.4", 1, "POST", "/x"), BC_EINVALID);
}

static void test_region__settings(void **state)
{
    (void)state;
    struct bc_regions *g = NULL;
    char err[300] = "";
    bc_config_reset();
    assert_int_equal(bc_regions_new(&g, err, sizeof err), 0);
    assert_null(g); /* no region: a single-region process */
    bc_config_set(BC_CFG_REGION, "b");
    bc_config_set(BC_CFG_REGION_URLS, "a=https://eu.example.com/, b=http://10.0.0.2:8080");
    bc_config_set(BC_CFG_REGION_FORWARD, "off");
    assert_int_equal(bc_regions_new(&g, err, sizeof err), 0);
    assert_non_null(g);
    assert_string_equal(bc_regions_self(g), "b");
    assert_string_equal(bc_regions_url(g, "a"), "https://eu.example.com");
    assert_string_equal(bc_regions_url(g, "b"), "http://10.0.0.2:8080");
    assert_null(bc_regions_url(g, "c"));
    bc_regions_free(g);
    const char *bad[] = {"a=ftp://x", "a", "A=https://x", "a=https://x?y=1", "a=https://"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        bc_config_set(BC_CFG_REGION_URLS, bad[i]);
        assert_int_equal(bc_regions_new(&g, err, sizeof err), BC_EINVALID);
        assert_non_null(strstr(err, "region_urls"));
    }
    bc_config_set(BC_CFG_REGION_URLS, "");
    bc_config_set(BC_CFG_REGION, "Bad Region");
    assert_int_equal(bc_regions_new(&g, err, sizeof err), BC_EINVALID);
    assert_non_null(strstr(err, "region"));
    bc_config_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region__sign_verify),
        cmocka_unit_test(test_region__tampering),
        cmocka_unit_test(test_region__malformed),
        cmocka_unit_test(test_region__settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
