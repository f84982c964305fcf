/* The public-address rule (SSRF) and the check of a URL before it is saved; see addr.h. The ranges are
 * those of the IANA special-purpose registries (RFC 6890 and successors) that must never be reached by a
 * delivery a tenant configures: an address is public only when it is in none of them. */
#include "net/addr.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* IPv4 ranges that are not public, as network and prefix length (host byte order). */
static const struct {
    uint32_t net;
    int bits;
} v4_special[] = {
    {0x00000000u, 8},  /* 0.0.0.0/8 "this network", the unspecified address */
    {0x0A000000u, 8},  /* 10/8 private */
    {0x64400000u, 10}, /* 100.64/10 shared address space (CGNAT) */
    {0x7F000000u, 8},  /* 127/8 loopback */
    {0xA9FE0000u, 16}, /* 169.254/16 link-local (cloud metadata services live here) */
    {0xAC100000u, 12}, /* 172.16/12 private */
    {0xC0000000u, 24}, /* 192.0.0/24 IETF protocol assignments */
    {0xC0000200u, 24}, /* 192.0.2/24 documentation (TEST-NET-1) */
    {0xC0586300u, 24}, /* 192.88.99/24 6to4 relay anycast (deprecated) */
    {0xC0A80000u, 16}, /* 192.168/16 private */
    {0xC6120000u, 15}, /* 198.18/15 benchmarking */
    {0xC6336400u, 24}, /* 198.51.100/24 documentation (TEST-NET-2) */
    {0xCB007100u, 24}, /* 203.0.113/24 documentation (TEST-NET-3) */
    {0xE0000000u, 4},  /* 224/4 multicast */
    {0xF0000000u, 4},  /* 240/4 reserved, and 255.255.255.255 broadcast */
};

static bool v4_public(const unsigned char b[4])
{
    uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    for (size_t i = 0; i < sizeof v4_special / sizeof v4_special[0]; i++) {
        uint32_t mask = 0xFFFFFFFFu << (32 - v4_special[i].bits);
        if ((a & mask) == v4_special[i].net) return false;
    }
    return true;
}

static bool all_zero(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

static bool v6_public(const unsigned char b[16])
{
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    /* forms that carry an IPv4 address: the IPv4 rule decides */
    if (all_zero(b, 10) && b[10] == 0xff && b[11] == 0xff) return v4_public(b + 12); /* ::ffff:a.b.c.d */
    if (all_zero(b, 12)) return v4_public(b + 12);             /* ::a.b.c.d (compatible), ::, ::1 (0.0.0.x) */
    if (memcmp(b, nat64, 12) == 0) return v4_public(b + 12);   /* 64:ff9b::a.b.c.d (NAT64) */
    if (b[0] == 0x20 && b[1] == 0x02) return v4_public(b + 2); /* 2002:AABB:CCDD::/48 (6to4) */
    if ((b[0] & 0xe0) != 0x20) return false; /* outside 2000::/3: ULA, link-local, multicast, reserved */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02) return false; /* 2001::/23 (Teredo…) */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false; /* 2001:db8::/32 docs */
    if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0x00) return false;        /* 3fff::/20 docs */
    return true;
}

bool bc_net_addr_public(const struct sockaddr *sa)
{
    if (!sa) return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return v4_public((const unsigned char *)&in->sin_addr.s_addr);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return v6_public(in6->sin6_addr.s6_addr);
    }
    return false;
}

/* ---------------------------------------------------------------------------------------------------- */
/* URLs                                                                                                 */

static int refuse(char *msg, size_t msgsize, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *msg, size_t msgsize, const char *fmt, ...)
{
    if (msg && msgsize) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msgsize, fmt, ap);
        va_end(ap);
    }
    return BC_EINVALID;
}

/* The addresses of host (a name, or an IPv4/IPv6 literal without brackets) must all be public. Only
 * literals when !resolve: a name is then left to the connect-time check. */
static int check_host(const char *host, bool resolve, char *msg, size_t msgsize)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    hints.ai_flags = resolve ? 0 : AI_NUMERICHOST;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, NULL, &hints, &res);
    if (gai != 0) {
        if (!resolve && gai == EAI_NONAME) return 0; /* a name, not a literal */
        return refuse(msg, msgsize, "the host %s does not resolve to an address", host);
    }
    int rc = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (bc_net_addr_public(ai->ai_addr)) continue;
        char text[INET6_ADDRSTRLEN] = "?";
        const void *a = ai->ai_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
        inet_ntop(ai->ai_family, a, text, sizeof text);
        rc = refuse(msg, msgsize,
                    "the host %s is (or resolves to) %s, which is not a public address (loopback, private, "
                    "link-local and reserved addresses are refused)",
                    host, text);
        break;
    }
    freeaddrinfo(res);
    return rc;
}

int bc_net_url_check(const char *url, bool allow_private, bool resolve, char *msg, size_t msgsize)
{
    if (msg && msgsize) msg[0] = '\0';
    if (!url || !*url) return refuse(msg, msgsize, "the URL is empty");
    size_t len = strlen(url);
    if (len > BC_NET_URL_MAX) return refuse(msg, msgsize, "the URL is longer than %d bytes", BC_NET_URL_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return refuse(msg, msgsize,
                          "the URL must be printable ASCII without spaces or control characters "
                          "(percent-encode anything else)");
    CURLU *u = curl_url();
    if (!u) return BC_ENOMEM;
    char *scheme = NULL, *user = NULL, *password = NULL, *host = NULL, *zone = NULL;
    int rc = 0;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
        rc = refuse(msg, msgsize, "the URL is malformed (%s)", curl_url_strerror(uc));
        goto out;
    }
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (!scheme || (strcmp(scheme, "https") != 0 && !(allow_private && strcmp(scheme, "http") == 0))) {
        rc = refuse(msg, msgsize,
                    allow_private ? "the URL must start with https:// or http://"
                                  : "the URL must start with https://");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK) {
        rc = refuse(msg, msgsize, "the URL must not contain a user name or password");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
        rc = refuse(msg, msgsize, "the URL has no host");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
        rc = refuse(msg, msgsize, "the URL's host must not carry an IPv6 zone id");
        goto out;
    }
    if (allow_private) goto out; /* the operator lifted the address rule: nothing to resolve */
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') { /* an IPv6 literal, without its brackets */
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    rc = check_host(host, resolve, msg, msgsize);
out:
    curl_free(scheme);
    curl_free(user);
    curl_free(password);
    curl_free(host);
    curl_free(zone);
    curl_url_cleanup(u);
    return rc;
}
