/* libFuzzer target: notification e-mails (domain/mail.c) and their texts (domain/template.c). Besides memory
 * safety it checks invariants: a built message has CRLF lines of at most 998 octets, none starting with '.',
 * and its Subject decodes back to the subject given; a templates object that validates renders every
 * message, and every rendered message (any UTF-8 values) builds.
 * Input: one mode byte, then fields separated by NUL bytes. Mode % 3 == 0: from_name, subject, text, html,
 * to (a mail); 1: a templates object (JSON); 2: customer_name, service, detail, start_local, business (vars).
 */
#include "domain/mail.h"
#include "domain/template.h"
#include "util/jsonv.h"
#include "../tests/unit/domain/mail_words.h"

#include <sodium.h>
#include <unicode/ustring.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "invariant failed at line %d: %s\n", __LINE__, #cond);                           \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

static const char *const events[] = {"booking.created",    "booking.cancelled",    "booking.rescheduled",
                                     "booking.reminder",   "conversation.handoff", "usage.limit_near",
                                     "usage.limit_reached"};

static bool utf8(const char *s)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = 0;
    u_strFromUTF8(NULL, 0, &n, s, -1, &err);
    return U_SUCCESS(err) || err == U_BUFFER_OVERFLOW_ERROR;
}

static void check_lines(const char *s)
{
    size_t start = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r') CHECK(s[i + 1] == '\n');
        if (s[i] != '\n') continue;
        CHECK(i > 0 && s[i - 1] == '\r');
        CHECK(i - 1 - start <= 998);
        CHECK(s[start] != '.');
        start = i + 1;
    }
    CHECK(start == len);
}

/* The Subject header unfolded and its encoded words decoded. */
static char *subject_of(const char *msg)
{
    const char *p = strstr(msg, "\r\nSubject: ");
    CHECK(p);
    p += 11;
    char *unfolded = calloc(1, strlen(p) + 1);
    size_t n = 0;
    for (; *p && !(p[0] == '\r' && p[1] == '\n' && p[2] != ' '); p++)
        if (*p != '\r' && *p != '\n') unfolded[n++] = *p;
    char *out = bc_test_decode_words(unfolded);
    CHECK(out);
    free(unfolded);
    return out;
}

static void build_and_check(const struct bc_mail *m, bool must)
{
    char msg[256];
    char *s = bc_mail_build(m, msg, sizeof msg);
    if (must && !s) fprintf(stderr, "refused: %s\n", msg);
    CHECK(s || !must);
    if (!s) return;
    check_lines(s);
    char *subject = subject_of(s);
    CHECK(strcmp(subject, m->subject) == 0);
    free(subject);
    free(s);
}

static void render_all(const json_t *tpl, const struct bc_tpl_vars *v, const char *from_name)
{
    for (int aud = BC_TPL_CUSTOMER; aud <= BC_TPL_STAFF; aud++)
        for (int e = 0; e < 7; e++)
            for (int l = 0; l < 2; l++) {
                char *s, *t, *h;
                int rc = bc_template_render(tpl, events[e], l ? "es" : "en", aud, v, &s, &t, &h);
                CHECK(rc == 0 || (aud == BC_TPL_CUSTOMER && e >= 4));
                if (rc) continue;
                struct bc_mail m = {.from_name = from_name,
                                    .from_addr = "noreply@mail.example",
                                    .to = "x@example.com",
                                    .subject = s,
                                    .text = t,
                                    .html = h,
                                    .message_id = "d@mail.example",
                                    .lang = l ? "es" : "en"};
                build_and_check(&m, true);
                free(s), free(t), free(h);
            }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        if (sodium_init() < 0) abort();
        ready = true;
    }
    if (size < 1 || size > 20000) return 0;
    char *buf = malloc(size + 1);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    const char *f[5] = {"", "", "", "", ""};
    const char *p = buf;
    for (int i = 0; i < 5 && p < buf + size - 1; i++) {
        f[i] = p;
        p += strlen(p) + 1;
    }
    switch (data[0] % 3) {
    case 0: {
        struct bc_mail m = {.from_name = f[0],
                            .from_addr = "noreply@mail.example",
                            .reply_to = "hola@shop.example",
                            .to = *f[4] ? f[4] : "x@example.com",
                            .subject = f[1],
                            .text = f[2],
                            .html = *f[3] ? f[3] : NULL,
                            .message_id = "d@mail.example",
                            .date_s = 1796112000,
                            .lang = "es"};
        build_and_check(&m, false);
        break;
    }
    case 1: {
        json_t *tpl = json_loadb(buf, size - 1, 0, NULL);
        char msg[512];
        struct bc_tpl_vars v = {.customer_name = "Ana",
                                .service = "Corte",
                                .start_local = "lunes 10:00",
                                .code = "K7P2QX",
                                .manage_url = "https://x.example/m",
                                .business = "Pelu",
                                .admin_url = "https://x.example/a",
                                .detail = "80 %"};
        if (tpl && bc_template_validate(tpl, msg, sizeof msg) == 0) render_all(tpl, &v, v.business);
        json_decref(tpl);
        break;
    }
    default: {
        for (int i = 0; i < 5; i++)
            if (!utf8(f[i])) goto out;
        struct bc_tpl_vars v = {.customer_name = f[0],
                                .service = f[1],
                                .detail = f[2],
                                .start_local = f[3],
                                .business = f[4],
                                .manage_url = f[2],
                                .admin_url = f[1]};
        /* the sender's name is the business name, which the settings keep to one plain line */
        render_all(NULL, &v, bc_json_check_string(f[4], 1, 200, 0) == 0 ? f[4] : NULL);
    }
    }
out:
    free(buf);
    return 0;
}
