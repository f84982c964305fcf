/* Unit tests of src/net/addr.c: the public-address rule over many address forms (IPv4, IPv6, the IPv6 forms
 * that carry an IPv4 address), and the URL check before a webhook is saved. */
#include "../testlib.h"

#include "net/addr.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <netinet/in.h>

/* The rule applied to one textual address (IPv4 or IPv6). */
static bool public_text(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
    } else {
        fail_msg("not an address: %s", text);
    }
    return bc_net_addr_public((struct sockaddr *)&ss);
}

static void test_addr__ipv4(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "0.0.0.0",       "0.1.2.3",         "10.0.0.1",        "10.255.255.255",  "100.64.0.1",
        "100.127.255.1", "127.0.0.1",       "127.255.255.254", "169.254.169.254", "169.254.0.1",
        "172.16.0.1",    "172.31.255.255",  "192.0.0.8",       "192.0.2.1",       "192.88.99.1",
        "192.168.1.1",   "198.18.0.1",      "198.19.255.255",  "198.51.100.7",    "203.0.113.9",
        "224.0.0.1",     "239.255.255.250", "240.0.0.1",       "255.255.255.255",
    };
    static const char *const allowed[] = {
        "1.1.1.1",         "8.8.8.8",   "93.184.216.34",   "100.63.255.255", "100.128.0.1", "172.15.255.255",
        "172.32.0.1",      "192.0.3.1", "192.167.1.1",     "198.17.255.255", "198.20.0.1",  "203.0.114.1",
        "223.255.255.254", "11.0.0.1",  "126.255.255.255", "128.0.0.1",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (public_text(refused[i])) fail_msg("%s counted as public", refused[i]);
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (!public_text(allowed[i])) fail_msg("%s counted as not public", allowed[i]);
}

static void test_addr__ipv6(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "::",
        "::1",
        "fe80::1",
        "febf::1",
        "fc00::1",
        "fd12:3456:789a::1",
        "ff02::1",
        "ff0e::1",
        "fec0::1", /* site-local (deprecated) */
        "100::1",  /* discard-only */
        "2001:db8::1",
        "2001:db8:ffff::1", /* documentation */
        "3fff::1",          /* documentation (RFC 9637) */
        "2001::1",
        "2001:0:4136:e378::1", /* Teredo */
        "2001:2::1",
        "2001:10::1", /* benchmarking, ORCHID */
        "::ffff:127.0.0.1",
        "::ffff:10.1.2.3",
        "::ffff:169.254.169.254",
        "::ffff:192.168.0.1",
        "::ffff:0.0.0.0",
        "::ffff:255.255.255.255",
        "::127.0.0.1",
        "::10.0.0.1", /* IPv4-compatible */
        "64:ff9b::127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::10.0.0.1", /* NAT64 */
        "64:ff9b:1::1",      /* local-use NAT64 */
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::1",
        "2002:c0a8:0101::1",
        "2002:0a00:0001::", /* 6to4 */
        "4000::1",
        "8000::1",
        "e000::1",
        "5f00::1",
    };
    static const char *const allowed[] = {
        "2606:4700:4700::1111",
        "2001:4860:4860::8888",
        "2a00:1450:4001:82b::200e",
        "2400:cb00::1",
        "::ffff:8.8.8.8",
        "::ffff:93.184.216.34",
        "64:ff9b::8.8.8.8",
        "2002:0808:0808::1",
        "2001:200::1",
        "3ffe::1",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (public_text(refused[i])) fail_msg("%s counted as public", refused[i]);
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (!public_text(allowed[i])) fail_msg("%s counted as not public", allowed[i]);
}

static void test_addr__other_families(void **state)
{
    (void)state;
    struct sockaddr sa = {.sa_family = AF_UNIX};
    assert_false(bc_net_addr_public(&sa));
    assert_false(bc_net_addr_public(NULL));
}

static void expect_refused(const char *url, bool allow_private, bool resolve, const char *words)
{
    char msg[256] = "";
    int rc = bc_net_url_check(url, allow_private, resolve, msg, sizeof msg);
    if (rc != BC_EINVALID) fail_msg("%s: accepted (rc %d)", url, rc);
    if (!strstr(msg, words)) fail_msg("%s: message '%s' does not say '%s'", url, msg, words);
}

static void expect_ok(const char *url, bool allow_private, bool resolve)
{
    char msg[256] = "";
    int rc = bc_net_url_check(url, allow_private, resolve, msg, sizeof msg);
    if (rc != 0) fail_msg("%s: refused (%d): %s", url, rc, msg);
}

static void test_addr__url_check(void **state)
{
    (void)state;
    /* public IP literals need no DNS */
    expect_ok("https://8.8.8.8/hook", false, true);
    expect_ok("https://[2606:4700:4700::1111]:8443/hooks?x=1", false, true);
    expect_ok("https://1.1.1.1:1/", false, false);
    /* a name is only resolved when asked */
    expect_ok("https://hooks.example.com/x", false, false);
    /* scheme */
    expect_refused("http://8.8.8.8/", false, true, "https://");
    expect_refused("ftp://8.8.8.8/", false, true, "https://");
    expect_refused("file:///etc/passwd", false, true, "https://");
    expect_refused("gopher://8.8.8.8/", true, true, "https:// or http://");
    expect_refused("8.8.8.8/hook", false, true, "malformed");
    /* addresses that are not public, in every spelling */
    expect_refused("https://127.0.0.1/", false, true, "not a public address");
    expect_refused("https://127.0.0.1/", false, false, "not a public address");
    expect_refused("https://10.0.0.1", false, true, "not a public address");
    expect_refused("https://[::1]/", false, true, "not a public address");
    expect_refused("https://[::ffff:127.0.0.1]/", false, true, "not a public address");
    expect_refused("https://[::ffff:7f00:1]/", false, true, "not a public address");
    expect_refused("https://169.254.169.254/latest/meta-data", false, true, "not a public address");
    expect_refused("https://[fe80::1]/", false, true, "not a public address");
    expect_refused("https://0x7f.1/", false, false, "not a public address");
    expect_refused("https://2130706433/", false, false, "not a public address");
    expect_refused("https://0/", false, false, "not a public address");
    expect_refused("https://localhost/", false, true, "not a public address");
    /* userinfo, zone ids, no host, bytes that have no place in a URL */
    expect_refused("https://a:b@8.8.8.8/", false, true, "user name or password");
    expect_refused("https://a@8.8.8.8/", false, true, "user name or password");
    expect_refused("https://[fe80::1%25eth0]/", true, true, "zone id");
    expect_refused("https:///path", false, true, "");
    expect_refused("https://8.8.8.8/a b", false, true, "printable ASCII");
    expect_refused("https://8.8.8.8/\r\nX-Evil: 1", false, true, "printable ASCII");
    expect_refused("https://8.8.8.8/caf\xc3\xa9", false, true, "printable ASCII");
    expect_refused("", false, true, "empty");
    /* length */
    char long_url[BC_NET_URL_MAX + 2];
    memset(long_url, 'a', sizeof long_url - 1);
    long_url[sizeof long_url - 1] = '\0';
    memcpy(long_url, "https://8.8.8.8/", 16);
    expect_refused(long_url, false, false, "longer than 2048");
    long_url[BC_NET_URL_MAX] = '\0';
    expect_ok(long_url, false, false);
    /* the operator's setting lifts the scheme and address rules, not the others */
    expect_ok("http://127.0.0.1:9/hook", true, true);
    expect_ok("https://[::1]/", true, true);
    expect_ok("http://localhost:8080/", true, true);
    expect_refused("http://u:p@127.0.0.1/", true, true, "user name or password");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr__ipv4),
        cmocka_unit_test(test_addr__ipv6),
        cmocka_unit_test(test_addr__other_families),
        cmocka_unit_test(test_addr__url_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
