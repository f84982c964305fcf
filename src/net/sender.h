/* The asynchronous sender of outgoing deliveries: webhook POSTs (HTTP), e-mails (SMTP) and the GETs of
 * external calendars (HTTP, conditional, size-limited), all driven by
 * one thread on a libcurl multi handle, so a slow receiver holds no server or dispatcher thread. It sends
 * once and reports; retries, backoff and the outbox are the caller's (domain/outbox.c).
 *
 * DESIGN NOTES
 * - SSRF: an HTTP delivery may only connect to a public address (net/addr.h) unless allow_private. The rule
 *   is checked in curl's open-socket callback on the very address being connected to, after resolution, so
 *   a name re-pointed at a private address between the URL check and the send (DNS rebinding) is refused.
 *   Redirects are never followed (a 3xx is a failure), so a redirect cannot lead anywhere unchecked: the
 *   "re-checked on every redirect" rule holds trivially. Proxies from the environment are ignored.
 * - A GET (external calendars) keeps the answer's body up to its limit and hands it, with the ETag and
 *   Last-Modified, to done; a 304 is a success without a body. Redirects are errors here too.
 * - SMTP is exempt from the address rule: its server is the operator's own setting, often local.
 * - Everything a request points to is copied by bc_sender_submit; done is called exactly once, on the
 *   sender's thread (keep it short). */
#ifndef BC_NET_SENDER_H
#define BC_NET_SENDER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bc_send_kind { BC_SEND_HTTP_POST, BC_SEND_SMTP, BC_SEND_HTTP_GET };

#define BC_SEND_GET_MAX_DEFAULT (2u << 20) /* a GET's body limit when max_body is 0: 2 MiB */

struct bc_send_req {
    enum bc_send_kind kind;
    const char *url;            /* https://… (webhook) or smtp://host:port / smtps://… */
    const char *const *headers; /* HTTP: "Name: value" lines (no CR/LF in them) */
    size_t nheaders;
    const char *body; /* HTTP body, or the whole RFC 5322 message for SMTP */
    size_t body_len;
    const char *user, *password; /* SMTP AUTH (NULL: none) */
    const char *mail_from;       /* SMTP envelope sender */
    const char *rcpt;            /* SMTP envelope recipient (one) */
    bool allow_private;          /* skip the public-address rule (tests, private networks) */
    bool require_tls;            /* smtp://: STARTTLS or nothing (else TLS only when the server offers it) */
    const char *ca_file;         /* PEM of the certificates to trust instead of the system's (NULL: system) */
    long timeout_ms;             /* whole transfer; 0 -> 30000 */
    /* BC_SEND_HTTP_GET only: the validators of the copy held (If-None-Match / If-Modified-Since; NULL:
     * none), and the body limit (0: BC_SEND_GET_MAX_DEFAULT; past it the transfer stops, "too large"). The
     * GET follows the same address rule and never follows a redirect ("redirect not followed"). */
    const char *if_none_match, *if_modified_since;
    size_t max_body;
};

struct bc_send_result {
    int rc;          /* 0 delivered; negative bc_err otherwise (BC_EFORBIDDEN: address refused,
                        BC_EINVALID: bad URL, BC_ETIMEOUT, BC_EUNAVAILABLE: anything else) */
    long status;     /* the HTTP status, or the last SMTP reply code (0 when no answer) */
    bool permanent;  /* retrying cannot help: HTTP 4xx other than 408/429 (410 included), SMTP 5xx, a refused
                        address, a bad URL */
    char error[256]; /* a short reason for the delivery log (no secrets, no bodies); "" when delivered */
    /* BC_SEND_HTTP_GET: rc 0 with status 200 (body) or 304 (not modified: no body). Borrowed, valid during
     * the callback only: the body (NUL-terminated, NULL when none), and the answer's ETag and
     * Last-Modified header values (NULL when absent). */
    const char *body;
    size_t body_len;
    const char *etag, *last_modified;
};

typedef void (*bc_send_done_fn)(void *ud, const struct bc_send_result *r);

struct bc_sender;

/* Starts a sender (its thread). 0 and *out (free with bc_sender_free), or a negative bc_err with err. */
int bc_sender_new(struct bc_sender **out, char *err, size_t errsize);
/* Queues one send; everything in r is copied. done is called exactly once, on the sender's thread (also
 * for a send that fails at once). Returns 0, BC_EINVALID (missing url, SMTP without mail_from/rcpt, a
 * header with CR/LF), BC_ENOMEM, or BC_EUNAVAILABLE once bc_sender_free has started (done not called). */
int bc_sender_submit(struct bc_sender *s, const struct bc_send_req *r, bc_send_done_fn done, void *ud);
/* Stops: every queued/in-flight send completes with rc < 0 ("cancelled"), then the thread is joined. NULL ok.
 */
void bc_sender_free(struct bc_sender *s);

/* Counts of the sends so far, by kind (0 HTTP, 1 SMTP, 2 calendar GET) and outcome. */
struct bc_sender_stats {
    uint64_t delivered[3], failed[3], rejected[3], cancelled[3]; /* failed: retryable; rejected: permanent */
};
void bc_sender_stats(struct bc_sender *s, struct bc_sender_stats *out);
/* Appends bookchat_sends_total{kind="webhook|email|calendar",outcome="delivered|failed|rejected|cancelled"}
 * to b (Prometheus text). s may be NULL (nothing written). */
struct bc_buf;
void bc_sender_metrics(struct bc_sender *s, struct bc_buf *b);

#endif
