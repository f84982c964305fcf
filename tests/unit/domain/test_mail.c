/* Unit tests of src/domain/mail.c: messages are built, then parsed back here (unfolded headers, RFC 2047
 * words decoded with OpenSSL's base64, quoted-printable decoded, MIME parts split at their boundaries) and
 * compared with what went in; hostile header values are refused. */
#include "../testlib.h"

#include "domain/mail.h"
#include "mail_words.h"

#include <openssl/evp.h>
#include <sodium.h>

#define ICS(method)                                                                                          \
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bookchat//test//EN\r\nMETHOD:" method                       \
    "\r\nBEGIN:VEVENT\r\n"                                                                                   \
    "UID:01JBOOKING@bookchat\r\nSEQUENCE:0\r\nDTSTART:20261207T090000Z\r\nDTEND:20261207T093000Z\r\n"        \
    "SUMMARY:Corte de pelo — Peluquería Ñandú\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
#define ICS_REQUEST ICS("REQUEST")

static struct bc_mail sample(void)
{
    return (struct bc_mail){
        .from_name = "Peluquería Ñandú",
        .from_addr = "noreply@mail.bookchat.example",
        .reply_to = "hola@nandu.example",
        .to = "cliente@example.com",
        .subject = "Reserva confirmada: Corte de pelo, lunes 7 de diciembre 10:00",
        .text = "Hola, Ana:\n\nTu reserva está confirmada.\n",
        .html = "<p>Hola, Ana:</p>\n<p>Tu reserva está confirmada.</p>",
        .message_id = "01JDELIVERY0001@mail.bookchat.example",
        .date_s = 1796112000, /* Tue, 01 Dec 2026 08:00:00 +0000 */
        .lang = "es",
    };
}

static char *build_ok(const struct bc_mail *m)
{
    char msg[256] = "";
    char *s = bc_mail_build(m, msg, sizeof msg);
    if (!s) fail_msg("bc_mail_build refused: %s", msg);
    return s;
}

/* ---- a small parser for the tests --------------------------------------------------------------------- */

/* The unfolded value of the first header `name` of the header block (NULL when absent); caller frees. */
static char *header(const char *msg, const char *name)
{
    size_t nl = strlen(name);
    const char *end = strstr(msg, "\r\n\r\n");
    for (const char *p = msg; p && p < end; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL) {
        if (strncasecmp(p, name, nl) != 0 || p[nl] != ':') continue;
        p += nl + 1;
        while (*p == ' ') p++;
        char *out = calloc(1, strlen(p) + 1);
        size_t n = 0;
        for (;;) {
            if (p[0] == '\r' && p[1] == '\n') {
                if (p[2] != ' ' && p[2] != '\t') break;
                p += 2; /* unfold: the CRLF goes, the whitespace stays */
                continue;
            }
            out[n++] = *p++;
        }
        return out;
    }
    return NULL;
}

/* base64 to bytes with OpenSSL (EVP_DecodeBlock counts '=' padding as zero bytes: drop them). */
static size_t b64_decode(const char *in, size_t n, unsigned char *out)
{
    int w = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    assert_true(w >= 0);
    while (n && in[n - 1] == '=') n--, w--;
    return (size_t)w;
}

static char *decode_words(const char *v)
{
    char *out = bc_test_decode_words(v);
    if (!out) fail_msg("malformed encoded words: %s", v);
    return out;
}

static char *qp_decode(const char *s, size_t len)
{
    char *out = calloc(1, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '=' && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 3;
        } else if (s[i] == '=') {
            unsigned int c;
            assert_int_equal(sscanf(s + i + 1, "%2X", &c), 1);
            out[n++] = (char)c;
            i += 3;
        } else {
            out[n++] = s[i++];
        }
    }
    return out;
}

/* The boundary parameter of a Content-Type value ("…; boundary=\"X\""); caller frees. */
static char *boundary_of(const char *ctype)
{
    const char *p = strstr(ctype, "boundary=\"");
    assert_non_null(p);
    p += 10;
    return strndup(p, strcspn(p, "\""));
}

/* The body of the part whose headers contain `ctype`: from after its blank line to the CRLF before the next
 * boundary line. *len its length. */
static const char *part_body(const char *msg, const char *ctype, size_t *len)
{
    const char *h = strstr(msg, ctype);
    assert_non_null(h);
    const char *b = strstr(h, "\r\n\r\n");
    assert_non_null(b);
    b += 4;
    const char *e = strstr(b, "\r\n--");
    assert_non_null(e);
    *len = (size_t)(e - b);
    return b;
}

static void assert_lines(const char *s, size_t max, bool no_trailing_space)
{
    size_t start = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r') assert_int_equal(s[i + 1], '\n');
        if (s[i] != '\n') continue;
        assert_true(i > 0 && s[i - 1] == '\r'); /* no bare LF */
        size_t n = i - 1 - start;
        if (n > max) fail_msg("line of %zu > %zu: %.*s", n, max, (int)n, s + start);
        assert_int_not_equal(s[start], '.'); /* nothing for SMTP to stuff */
        if (no_trailing_space && n) assert_true(s[i - 2] != ' ' && s[i - 2] != '\t');
        start = i + 1;
    }
}

/* ---- tests -------------------------------------------------------------------------------------------- */

static void test_mail__headers(void **state)
{
    (void)state;
    struct bc_mail m = sample();
    char *s = build_ok(&m);
    char *from = header(s, "From"), *subject = header(s, "Subject");
    char *dfrom = decode_words(from), *dsubject = decode_words(subject);
    assert_string_equal(dfrom, "Peluquería Ñandú <noreply@mail.bookchat.example>");
    assert_string_equal(dsubject, m.subject);
    char *h;
    assert_string_equal(h = header(s, "To"), "cliente@example.com"), free(h);
    assert_string_equal(h = header(s, "Reply-To"), "hola@nandu.example"), free(h);
    assert_string_equal(h = header(s, "Date"), "Tue, 01 Dec 2026 08:00:00 +0000"), free(h);
    assert_string_equal(h = header(s, "Message-ID"), "<01JDELIVERY0001@mail.bookchat.example>"), free(h);
    assert_string_equal(h = header(s, "MIME-Version"), "1.0"), free(h);
    assert_string_equal(h = header(s, "Auto-Submitted"), "auto-generated"), free(h);
    assert_string_equal(h = header(s, "Content-Language"), "es"), free(h);
    h = header(s, "Content-Type");
    assert_non_null(strstr(h, "multipart/alternative; boundary=\""));
    free(h);
    /* header lines at most 78, the whole message's lines at most 998 with CRLF only */
    const char *end = strstr(s, "\r\n\r\n");
    char *hdrs = strndup(s, (size_t)(end - s) + 2);
    assert_lines(hdrs, 78, false);
    assert_lines(s, 998, false);
    free(hdrs), free(from), free(subject), free(dfrom), free(dsubject), free(s);
}

static void test_mail__ascii_names_quoted(void **state)
{
    (void)state;
    struct bc_mail m = sample();
    m.from_name = "Ana \"La Jefa\" \\ Pelu";
    m.subject = "Booking confirmed: Haircut, Monday 7 December 10:00";
    m.reply_to = NULL;
    m.lang = NULL;
    char *s = build_ok(&m);
    const char *from = "From: \"Ana \\\"La Jefa\\\" \\\\ Pelu\" <noreply@mail.bookchat.example>\r\n";
    assert_memory_equal(s, from, strlen(from));
    assert_non_null(strstr(s, "\r\nSubject: Booking confirmed: Haircut, Monday 7 December 10:00\r\n"));
    char *h = header(s, "Reply-To");
    assert_null(h);
    assert_null(header(s, "Content-Language"));
    free(s);
    /* ASCII that a decoder could read as an encoded word is encoded, and so is a subject too long for a line
     */
    m.subject = "Price =?UTF-8?B?SGk=?= is not a word";
    s = build_ok(&m);
    char *subject = header(s, "Subject"), *d = decode_words(subject);
    assert_string_equal(d, m.subject);
    free(subject), free(d), free(s);
    m.from_name = NULL;
    s = build_ok(&m);
    assert_string_equal(h = header(s, "From"), "noreply@mail.bookchat.example"), free(h);
    free(s);
}

/* Long names and subjects of 2-, 3- and 4-byte characters: every word stands alone (whole characters), no
 * header line passes 78, and the words decode back to the original. */
static void test_mail__encoded_words_split_on_characters(void **state)
{
    (void)state;
    char name[600] = "", subject[900] = "";
    for (int i = 0; i < 25; i++) strcat(name, i % 3 ? "ñ€" : "🎉a");
    for (int i = 0; i < 40; i++) strcat(subject, i % 2 ? "Réservation à 10h — " : "予約 🗓 ");
    struct bc_mail m = sample();
    m.from_name = name;
    m.subject = subject;
    char *s = build_ok(&m);
    const char *end = strstr(s, "\r\n\r\n");
    char *hdrs = strndup(s, (size_t)(end - s) + 2);
    assert_lines(hdrs, 78, false);
    char *from = header(s, "From"), *subj = header(s, "Subject");
    char *dfrom = decode_words(from), *dsubj = decode_words(subj);
    char want[700];
    snprintf(want, sizeof want, "%s <noreply@mail.bookchat.example>", name);
    assert_string_equal(dfrom, want);
    assert_string_equal(dsubj, subject);
    free(hdrs), free(from), free(subj), free(dfrom), free(dsubj), free(s);
}

static void test_mail__quoted_printable_bodies(void **state)
{
    (void)state;
    const char *text =
        "Hola, Ñandú:\r\n"
        ".starts with a dot\n"
        ".\n"
        "From here on, mbox readers would quote this line\n"
        "trailing spaces   \n"
        "trailing tab\t\n"
        "a=b and =3D stay themselves\n"
        "A very long line that goes on and on and on and on and on and on and on and on and on "
        "and on, with accents áéíóú everywhere áéíóú áéíóú áéíóú áéíóú áéíóú áéíóú áéíóú, to "
        "the end\n"
        "lone CR\rbreaks too\n"
        "==================================================================================\n"
        "the last line has no newline";
    struct bc_mail m = sample();
    m.text = text;
    m.html = "<p>¡Hola!</p>\n<p>=</p>";
    char *s = build_ok(&m);
    size_t n;
    const char *body = part_body(s,
                                 "Content-Type: text/plain; charset=UTF-8\r\n"
                                 "Content-Transfer-Encoding: quoted-printable",
                                 &n);
    char *enc = strndup(body, n), *dec = qp_decode(body, n);
    char *encl = malloc(n + 3);
    snprintf(encl, n + 3, "%s\r\n", enc);
    assert_lines(encl, 76, true);
    /* the text comes back with CRLF for every kind of line break */
    const char *want = "Hola, Ñandú:\r\n"
                       ".starts with a dot\r\n"
                       ".\r\n"
                       "From here on, mbox readers would quote this line\r\n"
                       "trailing spaces   \r\n"
                       "trailing tab\t\r\n"
                       "a=b and =3D stay themselves\r\n";
    assert_memory_equal(dec, want, strlen(want));
    assert_non_null(strstr(dec, "\r\nlone CR\r\nbreaks too\r\n"));
    assert_non_null(strstr(dec, "\r\nthe last line has no newline"));
    assert_string_equal(dec + strlen(dec) - 28, "the last line has no newline");
    assert_non_null(strstr(enc, "\r\n=2E\r\n"));
    assert_non_null(strstr(enc, "\r\n=46rom here on"));
    free(enc), free(dec), free(encl);
    body = part_body(s, "Content-Type: text/html; charset=UTF-8", &n);
    dec = qp_decode(body, n);
    assert_string_equal(dec, "<p>¡Hola!</p>\r\n<p>=</p>");
    free(dec);
    assert_lines(s, 998, false);
    free(s);
}

static void test_mail__calendar_invitation(void **state)
{
    (void)state;
    struct bc_mail m = sample();
    m.ics = ICS_REQUEST;
    m.ics_method = "REQUEST";
    char *s = build_ok(&m);
    char *ctype = header(s, "Content-Type");
    assert_non_null(strstr(ctype, "multipart/mixed; boundary=\""));
    char *outer = boundary_of(ctype);
    const char *alt = strstr(s, "Content-Type: multipart/alternative;\r\n boundary=\"");
    assert_non_null(alt);
    char *inner = boundary_of(alt);
    assert_string_not_equal(inner, outer);
    /* order: the alternative (plain, html, calendar) first, then the attachment */
    const char *plain = strstr(s, "Content-Type: text/plain; charset=UTF-8\r\n");
    const char *html = strstr(s, "Content-Type: text/html; charset=UTF-8\r\n");
    const char *cal = strstr(s, "Content-Type: text/calendar; charset=UTF-8; method=REQUEST\r\n"
                                "Content-Transfer-Encoding: base64\r\n");
    const char *att = strstr(s, "Content-Type: application/ics; name=\"invite.ics\"\r\n"
                                "Content-Disposition: attachment; filename=\"invite.ics\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n");
    assert_true(alt && plain && html && cal && att);
    assert_true(alt < plain && plain < html && html < cal && cal < att);
    char close_inner[64];
    snprintf(close_inner, sizeof close_inner, "\r\n--%s--\r\n--%s\r\n", inner, outer);
    assert_non_null(strstr(s, close_inner)); /* the alternative closes before the attachment starts */
    /* both calendar copies decode to the document */
    const char *parts[2] = {"Content-Type: text/calendar", "Content-Type: application/ics"};
    for (int i = 0; i < 2; i++) {
        size_t n;
        const char *b = part_body(s, parts[i], &n);
        char *flat = calloc(1, n + 1);
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            if (b[j] != '\r' && b[j] != '\n') flat[k++] = b[j];
        unsigned char dec[1024];
        size_t dn = b64_decode(flat, k, dec);
        assert_int_equal(dn, strlen(ICS_REQUEST));
        assert_memory_equal(dec, ICS_REQUEST, dn);
        free(flat);
    }
    char tail[64];
    snprintf(tail, sizeof tail, "\r\n--%s--\r\n", outer);
    assert_string_equal(s + strlen(s) - strlen(tail), tail);
    assert_lines(s, 998, false);
    free(ctype), free(outer), free(inner), free(s);

    /* a cancellation: method=CANCEL, taken from the caller and checked against the calendar */
    m.ics = ICS("CANCEL");
    m.ics_method = "CANCEL";
    s = build_ok(&m);
    assert_non_null(strstr(s, "Content-Type: text/calendar; charset=UTF-8; method=CANCEL\r\n"));
    free(s);
    char msg[256] = "";
    m.ics_method = "REQUEST"; /* RFC 6047 2.4: the parameter must equal the METHOD property */
    assert_null(bc_mail_build(&m, msg, sizeof msg));
    assert_non_null(strstr(msg, "METHOD"));
    m.ics_method = NULL;
    assert_null(bc_mail_build(&m, msg, sizeof msg));
    m.ics = "BEGIN:VEVENT\r\nEND:VEVENT\r\n";
    m.ics_method = "CANCEL";
    assert_null(bc_mail_build(&m, msg, sizeof msg));
    m.ics = ICS("REFRESH"); /* a method this sender has no use for */
    m.ics_method = "REFRESH";
    assert_null(bc_mail_build(&m, msg, sizeof msg));
}

/* Boundaries: random, different per message, and never inside the content they delimit, even when the
 * text carries lines that look like boundaries. */
static void test_mail__boundaries(void **state)
{
    (void)state;
    struct bc_mail m = sample();
    m.text = "--=_bc\n--=_bc0123456789abcdef0123456789abcdef\n=_bc=_bc";
    m.html = "<p>--=_bc</p>";
    m.ics = ICS_REQUEST;
    m.ics_method = "REQUEST";
    char *a = build_ok(&m), *b = build_ok(&m);
    char *ca = header(a, "Content-Type"), *cb = header(b, "Content-Type");
    char *ba = boundary_of(ca), *bb = boundary_of(cb);
    assert_string_not_equal(ba, bb);
    char *inner = boundary_of(strstr(a, "multipart/alternative"));
    /* each boundary occurs only on its delimiter lines: outer twice + close, inner three times + close */
    const char *bounds[2] = {ba, inner};
    int want[2] = {3, 4};
    for (int i = 0; i < 2; i++) {
        int count = 0;
        size_t bl = strlen(bounds[i]);
        for (const char *p = strstr(a, bounds[i]); p; p = strstr(p + 1, bounds[i])) {
            count++;
            bool in_header = p[-1] == '"';
            bool delimiter = p[-1] == '-' && p[-2] == '-' && p[-3] == '\n' && p[-4] == '\r';
            assert_true(in_header || delimiter);
            if (delimiter) assert_true(strncmp(p + bl, "\r\n", 2) == 0 || strncmp(p + bl, "--\r\n", 4) == 0);
        }
        assert_int_equal(count, want[i] + 1);
    }
    free(ca), free(cb), free(ba), free(bb), free(inner), free(a), free(b);
}

static void test_mail__text_only(void **state)
{
    (void)state;
    struct bc_mail m = sample();
    m.html = NULL;
    char *s = build_ok(&m);
    char *h = header(s, "Content-Type");
    assert_string_equal(h, "text/plain; charset=UTF-8");
    free(h);
    assert_null(strstr(s, "multipart"));
    assert_non_null(strstr(s, "\r\n\r\nHola, Ana:\r\n\r\nTu reserva est=C3=A1 confirmada.\r\n\r\n"));
    free(s);
}

static void test_mail__hostile_input_refused(void **state)
{
    (void)state;
    struct {
        const char *what;
        size_t off; /* offsetof the field in struct bc_mail */
        const char *value;
    } cases[] = {
        {"CRLF in the name", offsetof(struct bc_mail, from_name), "Ana\r\nBcc: victim@example.com"},
        {"LF in the name", offsetof(struct bc_mail, from_name), "Ana\nBcc: victim@example.com"},
        {"CR in the subject", offsetof(struct bc_mail, subject), "Hola\rBcc: victim@example.com"},
        {"LF in the subject", offsetof(struct bc_mail, subject), "Hola\nBcc: victim@example.com"},
        {"tab in the subject", offsetof(struct bc_mail, subject), "Hola\tadiós"},
        {"NUL-adjacent control", offsetof(struct bc_mail, subject), "Hola\x01"},
        {"DEL in the name", offsetof(struct bc_mail, from_name), "Ana\x7f"},
        {"C1 control (NEL) in the subject", offsetof(struct bc_mail, subject), "Hola\xc2\x85X"},
        {"line separator in the subject", offsetof(struct bc_mail, subject), "Hola\xe2\x80\xa8X"},
        {"not UTF-8 in the subject", offsetof(struct bc_mail, subject), "Hola \xc3\x28"},
        {"overlong UTF-8 in the name", offsetof(struct bc_mail, from_name),
         "A\xc0\xaf"
         "B"},
        {"empty subject", offsetof(struct bc_mail, subject), ""},
        {"no subject", offsetof(struct bc_mail, subject), NULL},
        {"empty text", offsetof(struct bc_mail, text), ""},
        {"no text", offsetof(struct bc_mail, text), NULL},
        {"text not UTF-8", offsetof(struct bc_mail, text), "ok \xff"},
        {"html not UTF-8", offsetof(struct bc_mail, html), "<p>\xfe</p>"},
        {"CRLF in the recipient", offsetof(struct bc_mail, to), "a@example.com\r\nBcc: victim@example.com"},
        {"two recipients", offsetof(struct bc_mail, to), "a@example.com,b@example.com"},
        {"display name as recipient", offsetof(struct bc_mail, to), "Ana <a@example.com>"},
        {"no recipient", offsetof(struct bc_mail, to), NULL},
        {"bad reply-to", offsetof(struct bc_mail, reply_to), "hola@nandu.example\r\nX: y"},
        {"bad sender", offsetof(struct bc_mail, from_addr), "noreply"},
        {"no sender", offsetof(struct bc_mail, from_addr), NULL},
        {"message id with brackets", offsetof(struct bc_mail, message_id), "<a@b.example>"},
        {"message id with CRLF", offsetof(struct bc_mail, message_id), "a@b.example\r\nX: y"},
        {"message id without @", offsetof(struct bc_mail, message_id), "abc"},
        {"no message id", offsetof(struct bc_mail, message_id), NULL},
        {"language with CRLF", offsetof(struct bc_mail, lang), "es\r\nX: y"},
        {"language with a space", offsetof(struct bc_mail, lang), "es ES"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct bc_mail m = sample();
        memcpy((char *)&m + cases[i].off, &cases[i].value, sizeof(const char *));
        char msg[256] = "";
        char *s = bc_mail_build(&m, msg, sizeof msg);
        if (s) fail_msg("accepted: %s", cases[i].what);
        assert_true(msg[0] != '\0');
    }
    struct bc_mail dated = sample();
    dated.date_s = -1;
    assert_null(bc_mail_build(&dated, NULL, 0));
    dated.date_s = INT64_MAX;
    assert_null(bc_mail_build(&dated, NULL, 0));
    assert_null(bc_mail_build(NULL, NULL, 0));
    /* a long but valid name and a non-ASCII one are fine */
    struct bc_mail m = sample();
    m.from_name = "Clínica Dental Sonrisas — Ñ & Co. «Centro»";
    free(build_ok(&m));
}

static void test_mail__address_valid(void **state)
{
    (void)state;
    const char *good[] = {"a@b.co",
                          "ana.garcia+citas@peluqueria-ana.es",
                          "o'brien@example.ie",
                          "x_y.z@sub.domain.example.com",
                          "1234@123.example",
                          "!#$%&'*+-/=?^_`{|}~@example.com"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!bc_mail_address_valid(good[i])) fail_msg("refused %s", good[i]);
    char local65[80], long_domain[300];
    memset(local65, 'a', 65);
    snprintf(local65 + 65, sizeof local65 - 65, "@example.com");
    size_t n = 0;
    n += (size_t)snprintf(long_domain, sizeof long_domain, "a@");
    while (n < 250) n += (size_t)snprintf(long_domain + n, sizeof long_domain - n, "abcdefghi.");
    snprintf(long_domain + n, sizeof long_domain - n, "com");
    const char *bad[] = {NULL,
                         "",
                         "plain",
                         "@example.com",
                         "ana@",
                         "ana@localhost",
                         "ana@@example.com",
                         "ana@b@example.com",
                         "ana maria@example.com",
                         "ana@exa mple.com",
                         "\"ana\"@example.com",
                         "<ana@example.com>",
                         "ana@example.com,bob@example.com",
                         "ana@example.com\r\n",
                         "ana@example.com\nBcc: x@y.com",
                         "ana\t@example.com",
                         ".ana@example.com",
                         "ana.@example.com",
                         "an..a@example.com",
                         "ana@.example.com",
                         "ana@example..com",
                         "ana@example.com.",
                         "ana@-example.com",
                         "ana@example-.com",
                         "ana@exa_mple.com",
                         "ana@[127.0.0.1]",
                         "añá@example.com",
                         "ana@exámple.com",
                         "ana(comment)@example.com",
                         "ana;x@example.com",
                         "ana\\x@example.com",
                         local65,
                         long_domain};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (bc_mail_address_valid(bad[i])) fail_msg("accepted %s", bad[i]);
    assert_true(strlen(long_domain) > 254);
}

static void test_mail__domain(void **state)
{
    (void)state;
    const char *a = "ana@peluqueria.example";
    assert_ptr_equal(bc_mail_domain(a), a + 4);
    assert_string_equal(bc_mail_domain("x@y@z.example"), "z.example");
    assert_null(bc_mail_domain("no-at-sign"));
    assert_null(bc_mail_domain(NULL));
}

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mail__headers),
        cmocka_unit_test(test_mail__ascii_names_quoted),
        cmocka_unit_test(test_mail__encoded_words_split_on_characters),
        cmocka_unit_test(test_mail__quoted_printable_bodies),
        cmocka_unit_test(test_mail__calendar_invitation),
        cmocka_unit_test(test_mail__boundaries),
        cmocka_unit_test(test_mail__text_only),
        cmocka_unit_test(test_mail__hostile_input_refused),
        cmocka_unit_test(test_mail__address_valid),
        cmocka_unit_test(test_mail__domain),
    };
    return cmocka_run_group_tests_name("mail", tests, setup, NULL);
}
