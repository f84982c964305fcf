/* One notification e-mail as an RFC 5322 / MIME message, ready for an SMTP DATA upload: headers with RFC 2047
 * encoded words, multipart/alternative plain text and HTML in quoted-printable, and an optional calendar
 * invitation (RFC 6047 iMIP). Pure: no network, no store; the sender (net/) and the outbox (domain/) use it.
 */
#ifndef BC_MAIL_H
#define BC_MAIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc_mail {
    const char *from_name; /* the business name (any UTF-8), shown as the sender; NULL or "": address only */
    const char *from_addr; /* the operator's mail_from address */
    const char *reply_to;  /* the business e-mail, or NULL */
    const char *to;        /* one recipient address */
    const char *subject;   /* UTF-8, one line */
    const char *text;      /* UTF-8 plain text (LF or CRLF line ends) */
    const char *html; /* UTF-8 HTML (already escaped by the template layer); NULL: a text/plain message */
    const char *ics;  /* NULL, or an iCalendar document (VCALENDAR) to attach */
    const char
        *ics_method; /* "REQUEST" | "CANCEL" | "PUBLISH" (with ics): must equal the METHOD line of ics */
    const char *message_id; /* the whole id without brackets, e.g. "<delivery id>@<domain of from_addr>";
                               stable per delivery so a retry sends the same Message-ID */
    int64_t date_s;         /* epoch seconds for the Date header (1970 to 9999) */
    const char *lang; /* "es" | "en" (any BCP 47 tag of letters, digits, '-'): Content-Language; NULL: none */
};

/* The message with CRLF line endings, every line at most 998 octets and no line starting with '.'
 * (caller frees with free()). NULL with a one-line reason in msg on bad input: an invalid address, CR/LF or
 * other control characters in any header value, text that is not UTF-8, an empty subject/text, an ics
 * without a matching method; NULL with "out of memory" when allocation fails. */
char *bc_mail_build(const struct bc_mail *m, char *msg, size_t msgsize);

/* A plausible single e-mail address for sending: local@domain, ASCII, the local part a dot-atom of RFC 5322
 * atext (no spaces, CR/LF, quotes, angle brackets, commas) of at most 64 octets, the domain at least two
 * labels of letters, digits and '-', at most 254 octets in all. */
bool bc_mail_address_valid(const char *addr);

/* The domain part of an address (a pointer into addr, after its last '@') or NULL when there is none. */
const char *bc_mail_domain(const char *addr);

#endif
