/* Notification e-mails as RFC 5322 messages: headers (RFC 2047 encoded words for non-ASCII, folded), MIME
 * structure (RFC 2046), quoted-printable and base64 bodies (RFC 2045) and the iMIP calendar part (RFC 6047).
 *
 * DESIGN NOTES
 * - Structure. Without a calendar: multipart/alternative [text/plain, text/html]. With one:
 *     multipart/mixed [ multipart/alternative [text/plain, text/html, text/calendar; method=M],
 *                       application/ics; name="invite.ics" (attachment) ]
 *   which is the layout of Google Calendar's own invitations. Gmail and Outlook show their invitation card
 *   (accept/decline) from the text/calendar alternative; Outlook goes by its method parameter, which RFC 6047
 *   section 2.4 requires to equal the calendar's METHOD property, so the builder refuses a mismatch. Clients
 *   that show the richest alternative they understand (HTML) and skip the calendar one (Apple Mail, most
 *   web mailers) still offer the attached invite.ics for import.
 * - Dot-stuffing. libcurl's SMTP upload stuffs the data itself: its lib/smtp.c replaces every "CRLF." with
 *   "CRLF.." while sending (Curl_smtp_escape_eob, libcurl 7.20.0 on; curl's own test 901 "SMTP with
 *   CRLF-dot-CRLF in data" sends lines "." as "..") and appends the final "CRLF.CRLF";
 *   tests/api/mailcatcher.test.mjs checks it with Debian's libcurl 7.88 (a message with lines ".", ".."
 *   and ".x" arrives byte for byte). So the message is never stuffed here: it would arrive with doubled
 *   dots. It holds no line starting with '.' at all: headers start with a field name or a folding space,
 *   quoted-printable encodes a leading '.' as "=2E", base64 has no '.', boundary lines start with "--";
 *   a transport that does not stuff (an HTTP mail API) is safe as well.
 * - Boundaries: "=_bc" and 32 random hex digits (libsodium). "=_" can occur neither in quoted-printable
 *   ('=' is followed by two hex digits or a line end) nor in base64; each part is still checked.
 * - Every line ends in CRLF and is at most 998 octets (RFC 5322 2.1.1), checked before returning. */
#include "domain/mail.h"
#include "util/buf.h"
#include "util/jsonv.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <unicode/ustring.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HDR_LINE        78 /* RFC 5322 2.1.1: a header line SHOULD be at most 78 characters */
#define WORD_MAX        75 /* RFC 2047 section 2: an encoded word is at most 75 characters */
#define WORD_EXTRA      12 /* "=?UTF-8?B?" and "?=" */
#define QP_LINE         76 /* RFC 2045 6.7 (5): encoded lines at most 76 characters, a soft break's '=' included */
#define B64_CHUNK       57 /* 57 octets make a 76-character base64 line */
#define LINE_MAX_OCTETS 998
#define SUBJECT_MAX     1000 /* characters; the template layer keeps subjects far shorter */
#define NAME_MAX_CHARS  300
#define BOUNDARY_LEN    (4 + 32 + 1)
#define DATE_MAX        253402300799LL /* 9999-12-31T23:59:59Z: four-digit years */

static void say(char *msg, size_t msgsize, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *msg, size_t msgsize, const char *fmt, ...)
{
    if (!msg || !msgsize) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msgsize, fmt, ap);
    va_end(ap);
}

/* ---- checks ------------------------------------------------------------------------------------------- */

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF), as ICU decodes it. */
static bool utf8_valid(const char *s)
{
    size_t len = strlen(s);
    if (len > INT32_MAX) return false;
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = 0;
    u_strFromUTF8(NULL, 0, &n, s, (int32_t)len, &err);
    return U_SUCCESS(err) || err == U_BUFFER_OVERFLOW_ERROR;
}

/* A header text (display name, subject): UTF-8 of 1..max characters without control characters (C0, DEL,
 * C1), line or paragraph separators or bidirectional controls (the rule of every single-line name). */
static bool header_text_valid(const char *s, long long max)
{
    return s && utf8_valid(s) && bc_json_check_string(s, 1, max, 0) == 0;
}

/* RFC 5322 atext: the characters of a dot-atom besides '.' */
static bool atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* A dot-atom of atext (no leading, trailing or doubled dot) in [s, s+n). */
static bool dot_atom(const char *s, size_t n)
{
    if (!n || s[0] == '.' || s[n - 1] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.') return false;
        } else if (!atext((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* A DNS host name of at least two labels: letters, digits and '-' (not at a label's ends), labels of 1..63.
 */
static bool host_name(const char *s, size_t n)
{
    size_t label = 0, labels = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (!label || s[i - 1] == '-') return false;
            label = 0;
            labels++;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
            if (c == '-' && !label) return false;
            if (++label > 63) return false;
        } else {
            return false;
        }
    }
    return label && s[n - 1] != '-' && labels >= 2;
}

const char *bc_mail_domain(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at ? at + 1 : NULL;
}

bool bc_mail_address_valid(const char *addr)
{
    if (!addr) return false;
    size_t n = strlen(addr);
    const char *at = strchr(addr, '@');
    if (n > 254 || !at || strchr(at + 1, '@')) return false;
    size_t local = (size_t)(at - addr);
    return local <= 64 && dot_atom(addr, local) && host_name(at + 1, n - local - 1);
}

/* A Message-ID without its brackets: dot-atom "@" dot-atom (RFC 5322 3.6.4 msg-id, without the literal
 * forms), at most 250 octets so the header line stays short. */
static bool message_id_valid(const char *id)
{
    if (!id) return false;
    size_t n = strlen(id);
    const char *at = strchr(id, '@');
    if (n > 250 || !at || strchr(at + 1, '@')) return false;
    return dot_atom(id, (size_t)(at - id)) && dot_atom(at + 1, n - (size_t)(at - id) - 1);
}

/* A language tag as Content-Language carries it (RFC 3282, BCP 47): letters, digits and '-', 1..35. */
static bool lang_valid(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 35 || s[0] == '-') return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-'))
            return false;
    return true;
}

/* The calendar must be a VCALENDAR whose METHOD line equals method (RFC 6047 2.4). */
static bool ics_matches(const char *ics, const char *method)
{
    if (!method || (strcmp(method, "REQUEST") && strcmp(method, "CANCEL") && strcmp(method, "PUBLISH")))
        return false;
    if (strncmp(ics, "BEGIN:VCALENDAR", 15) != 0 || !utf8_valid(ics)) return false;
    for (const char *p = ics; p; p = strchr(p, '\n')) {
        if (*p == '\n') p++;
        if (strncasecmp(p, "METHOD:", 7) == 0) {
            size_t n = strcspn(p + 7, "\r\n");
            return n == strlen(method) && strncmp(p + 7, method, n) == 0;
        }
    }
    return false;
}

/* ---- encodings ---------------------------------------------------------------------------------------- */

/* Appends base64 of n octets (no line breaks) with OpenSSL. */
static int b64_put(struct bc_buf *b, const void *data, size_t n)
{
    if (bc_buf_reserve(b, 4 * ((n + 2) / 3) + 1) < 0) return -1;
    int w = EVP_EncodeBlock((unsigned char *)b->data + b->len, data, (int)n);
    b->len += (size_t)w;
    b->data[b->len] = '\0';
    return 0;
}

/* Appends s as RFC 2047 "B" encoded words from column *col on: each word at most 75 characters, each line at
 * most 78, a word never splitting a UTF-8 sequence (RFC 2047 section 5: each word must stand alone);
 * adjacent words are separated by a fold (CRLF SP), which decoders drop between encoded words (6.2). */
static void put_words(struct bc_buf *b, const char *s, size_t *col)
{
    size_t len = strlen(s), i = 0;
    while (i < len) {
        size_t room = HDR_LINE - *col;
        if (room > WORD_MAX) room = WORD_MAX;
        size_t n = room > WORD_EXTRA ? (room - WORD_EXTRA) / 4 * 3 : 0;
        if (n > len - i) n = len - i;
        while (n && i + n < len && ((unsigned char)s[i + n] & 0xc0) == 0x80) n--;
        if (!n || (i && *col > 1)) { /* no room on this line, or a word before this one: fold */
            bc_buf_puts(b, "\r\n ");
            *col = 1;
            continue;
        }
        size_t before = b->len;
        bc_buf_puts(b, "=?UTF-8?B?");
        b64_put(b, s + i, n);
        bc_buf_puts(b, "?=");
        *col += b->len - before;
        i += n;
    }
}

/* Plain printable ASCII that reads the same undecoded and fits the line: no "=?" a decoder could take for
 * an encoded word. */
static bool plain_ascii(const char *s, size_t col, size_t extra)
{
    size_t n = 0;
    for (const char *p = s; *p; p++, n++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) return false;
    return !strstr(s, "=?") && col + n + extra <= HDR_LINE;
}

static void header_subject(struct bc_buf *b, const char *subject)
{
    size_t col = strlen("Subject: ");
    bc_buf_puts(b, "Subject: ");
    if (plain_ascii(subject, col, 0))
        bc_buf_puts(b, subject);
    else
        put_words(b, subject, &col);
    bc_buf_puts(b, "\r\n");
}

/* From: a quoted-string display name for plain ASCII (RFC 5322 3.2.4: '"' and '\' escaped), encoded words
 * otherwise. Encoded words stand bare, not in quotes: RFC 2047 section 5 (3) forbids them inside a
 * quoted-string, and decoders that follow it would show the "=?UTF-8?B?…?=" text. */
static void header_from(struct bc_buf *b, const char *name, const char *addr)
{
    size_t col = strlen("From: ");
    bc_buf_puts(b, "From: ");
    if (name && *name) {
        size_t quoted = 2;
        for (const char *p = name; *p; p++) quoted += (*p == '"' || *p == '\\') ? 2 : 1;
        if (plain_ascii(name, col, quoted - strlen(name))) {
            bc_buf_putc(b, '"');
            for (const char *p = name; *p; p++) {
                if (*p == '"' || *p == '\\') bc_buf_putc(b, '\\');
                bc_buf_putc(b, *p);
            }
            bc_buf_putc(b, '"');
            col += quoted;
        } else {
            put_words(b, name, &col);
        }
        if (col + 3 + strlen(addr) > HDR_LINE) {
            bc_buf_puts(b, "\r\n");
            col = 0;
        }
        bc_buf_printf(b, " <%s>\r\n", addr);
    } else {
        bc_buf_printf(b, "%s\r\n", addr);
    }
}

/* RFC 5322 3.3 date-time in UTC, with English names whatever the process locale. */
static void header_date(struct bc_buf *b, int64_t t)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    bc_buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* One line of text (without its line break) in quoted-printable (RFC 2045 6.7): printable ASCII but '=' as
 * is, everything else "=XX", a space or tab ending the line encoded, soft breaks ("=" CRLF) keeping lines at
 * most 76 characters and never splitting an "=XX". A '.' starting an encoded line is encoded too (see the
 * design notes), and so is the 'F' of a "From " there (mbox readers would mangle it into ">From "). */
static void qp_line(struct bc_buf *b, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        bool last = i + 1 == n;
        bool enc = c == '=' || (c < 0x20 && c != '\t') || c > 0x7e || ((c == ' ' || c == '\t') && last) ||
                   (col == 0 && (c == '.' || (c == 'F' && n - i >= 5 && memcmp(p + i, "From ", 5) == 0)));
        size_t w = enc ? 3 : 1;
        if (col + w > (last ? QP_LINE : QP_LINE - 1)) {
            bc_buf_puts(b, "=\r\n");
            col = 0;
            continue; /* again at the start of a line, where '.' and "From " encode differently */
        }
        if (enc) {
            char t[3] = {'=', hex[c >> 4], hex[c & 15]};
            bc_buf_append(b, t, 3);
        } else {
            bc_buf_putc(b, (char)c);
        }
        col += w;
        i++;
    }
}

/* The whole text in quoted-printable: hard line breaks (LF, CRLF or a lone CR) become CRLF; no CRLF after
 * the last line (the one before the next boundary belongs to the boundary, RFC 2046 5.1.1). */
static void qp_put(struct bc_buf *b, const char *s)
{
    for (;;) {
        size_t n = strcspn(s, "\r\n");
        qp_line(b, (const unsigned char *)s, n);
        s += n;
        if (!*s) break;
        s += (s[0] == '\r' && s[1] == '\n') ? 2 : 1;
        bc_buf_puts(b, "\r\n");
    }
}

/* base64 in lines of 76 characters, no CRLF after the last. */
static void b64_lines(struct bc_buf *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i += B64_CHUNK) {
        if (i) bc_buf_puts(b, "\r\n");
        b64_put(b, s + i, n - i < B64_CHUNK ? n - i : B64_CHUNK);
    }
}

/* ---- the message -------------------------------------------------------------------------------------- */

struct part {
    const char *headers; /* Content-* lines, each with CRLF */
    struct bc_buf body;  /* encoded */
};

static void new_boundary(char out[BOUNDARY_LEN])
{
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    memcpy(out, "=_bc", 4);
    sodium_bin2hex(out + 4, BOUNDARY_LEN - 4, r, sizeof r);
}

/* A boundary found in none of the parts (RFC 2046 5.1.1: it must not appear in the encapsulated content). */
static void pick_boundary(char out[BOUNDARY_LEN], const struct part *parts, size_t n)
{
    for (;;) {
        new_boundary(out);
        size_t i = 0;
        while (i < n && !strstr(parts[i].body.data ? parts[i].body.data : "", out)) i++;
        if (i == n) return;
    }
}

/* "--B" CRLF part "CRLF--B" … "CRLF--B--": a multipart body without preamble and epilogue. */
static void put_multipart(struct bc_buf *b, const char *boundary, const struct part *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bc_buf_printf(b, "%s--%s\r\n%s\r\n", i ? "\r\n" : "", boundary, parts[i].headers);
        bc_buf_append(b, parts[i].body.data ? parts[i].body.data : "", parts[i].body.len);
    }
    bc_buf_printf(b, "\r\n--%s--", boundary);
}

static const char *check(const struct bc_mail *m)
{
    if (!bc_mail_address_valid(m->from_addr)) return "the sender address (mail_from) is not a valid address";
    if (!bc_mail_address_valid(m->to)) return "the recipient address is not a valid address";
    if (m->reply_to && !bc_mail_address_valid(m->reply_to))
        return "the reply-to address is not a valid address";
    if (m->from_name && *m->from_name && !header_text_valid(m->from_name, NAME_MAX_CHARS))
        return "the sender name must be UTF-8 of at most 300 characters without control characters";
    if (!header_text_valid(m->subject, SUBJECT_MAX))
        return "the subject must be UTF-8 of 1 to 1000 characters without control characters";
    if (!m->text || !*m->text || !utf8_valid(m->text)) return "the text must be non-empty UTF-8";
    if (m->html && !utf8_valid(m->html)) return "the HTML must be UTF-8";
    if (!message_id_valid(m->message_id))
        return "the Message-ID must be 'left@right' (dot-atoms, at most 250)";
    if (m->lang && !lang_valid(m->lang)) return "the language must be a language tag such as 'es'";
    if (m->date_s < 0 || m->date_s > DATE_MAX) return "the date must be between 1970 and 9999";
    if (m->ics && !ics_matches(m->ics, m->ics_method))
        return "the calendar must be a UTF-8 VCALENDAR whose METHOD is ics_method (REQUEST, CANCEL or "
               "PUBLISH)";
    return NULL;
}

/* Every line ends in CRLF, none is longer than 998 octets or starts with '.' (design notes). */
static bool lines_ok(const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n')) return false;
        if (s[i] == '\n') {
            if (!i || s[i - 1] != '\r' || i - 1 - start > LINE_MAX_OCTETS || s[start] == '.') return false;
            start = i + 1;
        }
    }
    return start == len;
}

/* The headers down to Content-Language (every value checked by check()). */
static void put_headers(struct bc_buf *b, const struct bc_mail *m)
{
    header_from(b, m->from_name, m->from_addr);
    if (m->reply_to) bc_buf_printf(b, "Reply-To: %s\r\n", m->reply_to);
    bc_buf_printf(b, "To: %s\r\n", m->to);
    header_subject(b, m->subject);
    header_date(b, m->date_s);
    bc_buf_printf(b, "Message-ID: <%s>\r\n", m->message_id);
    /* RFC 3834 asks auto-responders not to answer Auto-Submitted mail; Exchange reads its own header */
    bc_buf_puts(b,
                "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n");
    if (m->lang) bc_buf_printf(b, "Content-Language: %s\r\n", m->lang);
}

/* Memory: every buffer is reserved up front for its largest possible size (quoted-printable at most 4 octets
 * per input octet: 3 for "=XX" plus soft and hard breaks; base64 lines at most 2; encoded-word headers at
 * most 3 plus a fold per word), so a failed allocation is seen once, at the reservation, and no append
 * after it can fail and silently drop a piece of the message. */
char *bc_mail_build(const struct bc_mail *m, char *msg, size_t msgsize)
{
    const char *bad = m ? check(m) : "no message";
    if (bad) {
        say(msg, msgsize, "%s", bad);
        return NULL;
    }
    char calendar_type[100], alt_type[100], outer[BOUNDARY_LEN], inner[BOUNDARY_LEN];
    snprintf(calendar_type, sizeof calendar_type,
             "Content-Type: text/calendar; charset=UTF-8; method=%s\r\nContent-Transfer-Encoding: base64\r\n",
             m->ics ? m->ics_method : "");
    struct part parts[4] = {
        {"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"},
        {"Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"},
        {calendar_type},
        {"Content-Type: application/ics; name=\"invite.ics\"\r\n"
         "Content-Disposition: attachment; filename=\"invite.ics\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"},
    };
    struct part *text = &parts[0], *html = m->html ? &parts[1] : NULL, *cal = m->ics ? &parts[2] : NULL;
    struct part *attach = m->ics ? &parts[3] : NULL;
    struct part mixed[2] = {{alt_type}, {NULL}};
    struct bc_buf b = BC_BUF_INIT;
    char *out = NULL;
    size_t textlen = strlen(m->text), htmllen = m->html ? strlen(m->html) : 0,
           icslen = m->ics ? strlen(m->ics) : 0;
    if (bc_buf_reserve(&text->body, 4 * textlen + 16) < 0 ||
        (html && bc_buf_reserve(&html->body, 4 * htmllen + 16) < 0) ||
        (cal && (bc_buf_reserve(&cal->body, 2 * icslen + 8) < 0 ||
                 bc_buf_reserve(&attach->body, 2 * icslen + 8) < 0)))
        goto oom;
    qp_put(&text->body, m->text);
    if (html) qp_put(&html->body, m->html);
    if (cal) {
        b64_lines(&cal->body, m->ics);
        b64_lines(&attach->body, m->ics);
    }
    /* the alternatives in order of preference, least preferred first (RFC 2046 5.1.4) */
    struct part alt[3] = {*text};
    size_t nalt = 1;
    if (html) alt[nalt++] = *html;
    if (cal) alt[nalt++] = *cal;

    size_t bodies = 0;
    for (size_t i = 0; i < 4; i++) bodies += parts[i].body.len;
    size_t hdrs = 3 * (strlen(m->from_name ? m->from_name : "") + strlen(m->subject)) + 4 * 256 + 2048;
    if (bc_buf_reserve(&b, hdrs + bodies) < 0) goto oom;
    put_headers(&b, m);
    if (nalt == 1) {
        bc_buf_printf(&b, "%s\r\n", text->headers);
        bc_buf_append(&b, text->body.data, text->body.len);
    } else if (!cal) {
        pick_boundary(inner, alt, nalt);
        bc_buf_printf(&b, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", inner);
        put_multipart(&b, inner, alt, nalt);
    } else {
        pick_boundary(inner, alt, nalt);
        snprintf(alt_type, sizeof alt_type, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n",
                 inner);
        if (bc_buf_reserve(&mixed[0].body, bodies + 512) < 0) goto oom;
        put_multipart(&mixed[0].body, inner, alt, nalt);
        mixed[1] = *attach;
        pick_boundary(outer, mixed, 2);
        bc_buf_printf(&b, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n", outer);
        put_multipart(&b, outer, mixed, 2);
    }
    bc_buf_puts(&b, "\r\n");
    if (!lines_ok(b.data, b.len)) {
        say(msg, msgsize, "internal: a line of the message is malformed or too long");
        goto out;
    }
    out = bc_buf_detach(&b, NULL);
    goto out;
oom:
    say(msg, msgsize, "out of memory");
out:
    for (size_t i = 0; i < 4; i++) bc_buf_release(&parts[i].body);
    bc_buf_release(&mixed[0].body);
    bc_buf_release(&b);
    return out;
}
