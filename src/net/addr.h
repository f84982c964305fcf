/* The public-address rule that keeps outgoing deliveries (webhooks, calendar feeds) from reaching the
 * server's own network (SSRF): which addresses count as public, and the check of a URL before it is saved.
 * The rule is enforced again at connect time by the sender (net/sender.c) on the address actually
 * connected to, so a name that resolves differently later (DNS rebinding) gains nothing. */
#ifndef BC_NET_ADDR_H
#define BC_NET_ADDR_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define BC_NET_URL_MAX 2048 /* longest webhook or feed URL, in bytes */

/* True when a connected-to address is public: not loopback, private (RFC 1918, fc00::/7), link-local
 * (169.254/16, fe80::/10), CGNAT 100.64/10, unspecified, multicast, broadcast, 0.0.0.0/8, documentation
 * ranges, IPv4-mapped/compatible IPv6 forms of any of these, NAT64 64:ff9b::/96 of them, 6to4 of them.
 * IPv6 outside 2000::/3 (global unicast) and Teredo (2001::/32, whose client address is hidden) are not
 * public either. Any family but AF_INET/AF_INET6 (or NULL) is not public. */
bool bc_net_addr_public(const struct sockaddr *sa);

/* Checks a webhook or calendar-feed URL before it is saved: parsed with libcurl's URL API (curl_url), at
 * most BC_NET_URL_MAX bytes of printable ASCII, scheme https (http too when allow_private), no
 * user/password, a host, port any. An IP-literal host must be public unless allow_private; when resolve,
 * a host name is resolved (getaddrinfo, blocking) and every address must be public unless allow_private
 * (a name that does not resolve is refused). Returns 0, or BC_EINVALID with a clear one-line msg. */
int bc_net_url_check(const char *url, bool allow_private, bool resolve, char *msg, size_t msgsize);

#endif
