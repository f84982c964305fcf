/* The trusted_proxies list of the HTTP layer (http/request.c): parsing CIDR blocks of both families, the
 * bad entries refused by name, and matching addresses (IPv4 as mapped IPv6). */
#include "../testlib.h"

#include "http/server.h"
#include "util/err.h"

#include <arpa/inet.h>

static void ip(const char *s, unsigned char out[16])
{
    struct in_addr a4;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
    } else {
        assert_int_equal(inet_pton(AF_INET6, s, out), 1);
    }
}

static bool in(const struct bc_cidr *l, int n, const char *s)
{
    unsigned char a[16];
    ip(s, a);
    return bc_cidr_match(l, n, a);
}

static void test_request__cidr_list(void **state)
{
    (void)state;
    struct bc_cidr l[8];
    char err[200] = "";
    int n =
        bc_cidr_parse_list("10.0.0.0/8, 192.168.1.7 2001:db8::/32,,::1 172.16.0.0/12", l, 8, err, sizeof err);
    assert_int_equal(n, 5);
    assert_true(in(l, n, "10.255.1.2"));
    assert_false(in(l, n, "11.0.0.1"));
    assert_true(in(l, n, "192.168.1.7"));
    assert_false(in(l, n, "192.168.1.8"));
    assert_true(in(l, n, "2001:db8:1::5"));
    assert_false(in(l, n, "2001:db9::5"));
    assert_true(in(l, n, "::1"));
    assert_true(in(l, n, "172.31.255.255"));
    assert_false(in(l, n, "172.32.0.0"));
    assert_true(in(l, n, "::ffff:10.0.0.1")); /* 10.0.0.1 written as mapped IPv6 is inside */
    assert_int_equal(bc_cidr_parse_list("", l, 8, err, sizeof err), 0);
    assert_int_equal(bc_cidr_parse_list(NULL, l, 8, err, sizeof err), 0);
    assert_false(in(l, 0, "127.0.0.1")); /* nothing trusted */
    struct bc_cidr all[1];
    assert_int_equal(bc_cidr_parse_list("0.0.0.0/0", all, 1, err, sizeof err), 1);
    assert_true(in(all, 1, "8.8.8.8"));
    assert_false(in(all, 1, "2001:db8::1")); /* an IPv4 block holds no IPv6 address */
}

static void test_request__cidr_bad_entries(void **state)
{
    (void)state;
    struct bc_cidr l[2];
    char err[200];
    const char *bad[] = {"10.0.0.0/33", "::/129",     "proxy.example.com", "10.0.0.0/",
                         "10.0.0/8",    "1.2.3.4/8x", "1.2.3.4:80",        "10.0.0.0/-1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(bc_cidr_parse_list(bad[i], l, 2, err, sizeof err), BC_EINVALID);
        assert_non_null(strstr(err, bad[i]));
    }
    assert_int_equal(bc_cidr_parse_list("1.1.1.1 2.2.2.2 3.3.3.3", l, 2, err, sizeof err), BC_EINVALID);
    assert_non_null(strstr(err, "too many"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request__cidr_list),
        cmocka_unit_test(test_request__cidr_bad_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
