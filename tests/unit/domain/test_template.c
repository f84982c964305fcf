/* Unit tests of src/domain/template.c: built-in texts per event, audience and language, placeholders,
 * HTML escaping, the tenant's overrides and their validation; every built-in message also goes through
 * bc_mail_build, so the two modules agree. */
#include "../testlib.h"

#include "domain/mail.h"
#include "domain/template.h"
#include "util/err.h"

#include <sodium.h>

static const char *const events[] = {"booking.created",    "booking.cancelled",    "booking.rescheduled",
                                     "booking.reminder",   "conversation.handoff", "usage.limit_near",
                                     "usage.limit_reached"};

static struct bc_tpl_vars vars(void)
{
    return (struct bc_tpl_vars){
        .customer_name = "Ana García",
        .service = "Corte de pelo",
        .professional = "Luis",
        .start_local = "lunes 7 de diciembre 10:00",
        .code = "K7P2QX",
        .manage_url = "https://reservas.example/manage/?code=K7P2QX&token=t0k",
        .business = "Peluquería Ñandú",
        .admin_url = "https://reservas.example/admin/#/bookings/01J",
        .detail = "80 %",
        .customer_contact = "ana@example.com, +34 600 000 000",
    };
}

struct out {
    char *subject, *text, *html;
};

static struct out render_ok(const json_t *tpl, const char *event, const char *lang, enum bc_tpl_audience aud,
                            const struct bc_tpl_vars *v)
{
    struct out o;
    int rc = bc_template_render(tpl, event, lang, aud, v, &o.subject, &o.text, &o.html);
    if (rc != 0) fail_msg("render %s/%s failed: %d", event, lang, rc);
    return o;
}

static void out_free(struct out *o)
{
    free(o->subject), free(o->text), free(o->html);
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static json_t *parse(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j) fail_msg("bad test JSON: %s", e.text);
    return j;
}

/* ---- rendering ---------------------------------------------------------------------------------------- */

static void test_template__confirmation_es_en(void **state)
{
    (void)state;
    struct bc_tpl_vars v = vars();
    struct out o = render_ok(NULL, "booking.created", "es", BC_TPL_CUSTOMER, &v);
    assert_string_equal(o.subject, "Reserva confirmada: Corte de pelo, lunes 7 de diciembre 10:00");
    assert_non_null(strstr(o.text, "Hola, Ana García:\n\n"));
    assert_non_null(strstr(o.text, "Peluquería Ñandú"));
    assert_non_null(strstr(o.text, "Con: Luis\n"));
    assert_non_null(strstr(o.text, "Código de reserva: K7P2QX\n"));
    assert_non_null(strstr(o.text, "\nhttps://reservas.example/manage/?code=K7P2QX&token=t0k\n"));
    assert_null(strstr(o.text, "{{"));
    /* the HTML: business header, paragraphs, the link escaped, a button to the manage page */
    assert_non_null(strstr(o.html, "<html lang=\"es\">"));
    assert_non_null(strstr(o.html, ">Peluquería Ñandú</td>"));
    assert_non_null(strstr(o.html, "<p style="));
    assert_non_null(strstr(o.html, "<a href=\"https://reservas.example/manage/?code=K7P2QX&amp;token=t0k\""));
    assert_non_null(strstr(o.html, ">Gestionar mi reserva</a>"));
    assert_null(strstr(o.html, "{{"));
    assert_null(strstr(o.html, "&token")); /* every & of the URL escaped */
    out_free(&o);

    o = render_ok(NULL, "booking.created", "en", BC_TPL_CUSTOMER, &v);
    assert_string_equal(o.subject, "Booking confirmed: Corte de pelo, lunes 7 de diciembre 10:00");
    assert_non_null(strstr(o.text, "Hi Ana García,\n"));
    assert_non_null(strstr(o.html, ">Manage my booking</a>"));
    out_free(&o);
}

static void test_template__every_builtin_message_builds(void **state)
{
    (void)state;
    struct bc_tpl_vars v = vars();
    const char *langs[] = {"es", "en"};
    for (int aud = BC_TPL_CUSTOMER; aud <= BC_TPL_STAFF; aud++)
        for (size_t e = 0; e < sizeof events / sizeof events[0]; e++)
            for (int l = 0; l < 2; l++) {
                char *s, *t, *h;
                int rc = bc_template_render(NULL, events[e], langs[l], aud, &v, &s, &t, &h);
                if (aud == BC_TPL_CUSTOMER && e >= 4) { /* no customer hand-off or usage messages */
                    assert_int_equal(rc, BC_EINVALID);
                    assert_true(!s && !t && !h);
                    continue;
                }
                assert_int_equal(rc, 0);
                assert_true(*s && *t && *h);
                if (strstr(s, "{{") || strstr(t, "{{") || strstr(h, "{{"))
                    fail_msg("placeholder left in %s/%s", events[e], langs[l]);
                assert_non_null(strstr(h, aud == BC_TPL_STAFF
                                              ? "href=\"https://reservas.example/admin/#/bookings/01J\""
                                              : "href=\"https://reservas.example/manage/"));
                if (e == 0 || e == 2 || e == 3) assert_non_null(strstr(t, "Luis"));
                if (aud == BC_TPL_STAFF && e < 5) assert_non_null(strstr(t, "+34 600 000 000"));
                struct bc_mail m = {.from_name = v.business,
                                    .from_addr = "noreply@mail.example",
                                    .to = "x@example.com",
                                    .subject = s,
                                    .text = t,
                                    .html = h,
                                    .message_id = "d1@mail.example",
                                    .date_s = 0,
                                    .lang = langs[l]};
                char msg[256] = "";
                char *mail = bc_mail_build(&m, msg, sizeof msg);
                if (!mail) fail_msg("%s/%s does not build: %s", events[e], langs[l], msg);
                free(mail), free(s), free(t), free(h);
            }
    /* the staff's usage and hand-off texts use detail */
    struct out o = render_ok(NULL, "usage.limit_near", "es", BC_TPL_STAFF, &v);
    assert_non_null(strstr(o.text, "ha usado el 80 % del límite mensual"));
    assert_non_null(strstr(o.subject, "(80 %)"));
    out_free(&o);
    v.detail = "Quiero hablar con alguien sobre\nun tinte";
    o = render_ok(NULL, "conversation.handoff", "en", BC_TPL_STAFF, &v);
    assert_string_equal(o.subject, "A customer asked to talk to a person");
    assert_non_null(strstr(o.text, "Message: Quiero hablar con alguien sobre\nun tinte\n"));
    assert_non_null(strstr(o.html, "Message: Quiero hablar con alguien sobre<br>\nun tinte"));
    out_free(&o);
}

static void test_template__html_escaping(void **state)
{
    (void)state;
    struct bc_tpl_vars v = vars();
    v.customer_name = "<script>alert(\"x\")</script> & 'co'";
    v.service = "<b>Corte</b>";
    v.business = "Ana & Luis <Pelu>";
    struct out o = render_ok(NULL, "booking.created", "en", BC_TPL_CUSTOMER, &v);
    assert_non_null(strstr(o.text, "Hi <script>alert(\"x\")</script> & 'co',"));
    assert_non_null(strstr(o.subject, "<b>Corte</b>"));
    assert_null(strstr(o.html, "<script"));
    assert_null(strstr(o.html, "<b>"));
    assert_null(strstr(o.html, "<Pelu>"));
    assert_non_null(strstr(o.html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;"));
    assert_non_null(strstr(o.html, "&lt;b&gt;Corte&lt;/b&gt;"));
    assert_non_null(strstr(o.html, ">Ana &amp; Luis &lt;Pelu&gt;</td>"));
    out_free(&o);

    /* a URL that is not http(s) is neither a link nor a button; one with a quote cannot leave the href */
    v = vars();
    v.manage_url = "javascript:alert(1)";
    o = render_ok(NULL, "booking.created", "en", BC_TPL_CUSTOMER, &v);
    assert_null(strstr(o.html, "href=\"javascript"));
    assert_null(strstr(o.html, "Manage my booking"));
    out_free(&o);
    v.manage_url = "https://x.example/\"onmouseover=\"alert(1)";
    o = render_ok(NULL, "booking.created", "en", BC_TPL_CUSTOMER, &v);
    assert_null(strstr(o.html, "\"onmouseover"));
    assert_non_null(strstr(o.html, "href=\"https://x.example/&quot;onmouseover=&quot;alert(1)\""));
    out_free(&o);
}

/* Values cannot break the subject into header lines; control characters go from the text. */
static void test_template__values_sanitised(void **state)
{
    (void)state;
    struct bc_tpl_vars v = vars();
    v.customer_name = "Ana\r\nBcc: victim@example.com\t\x01";
    struct out o = render_ok(NULL, "booking.created", "es", BC_TPL_STAFF, &v);
    assert_null(strpbrk(o.subject, "\r\n\t\x01"));
    assert_string_equal(
        o.subject, "Nueva reserva: Ana Bcc: victim@example.com, Corte de pelo, lunes 7 de diciembre 10:00");
    assert_null(strchr(o.text, '\r'));
    assert_null(strchr(o.text, '\x01'));
    assert_non_null(strstr(o.text, "Cliente: Ana\nBcc: victim@example.com\n"));
    out_free(&o);
    /* a C1 control (NEL), a line separator and a bidi override in a value: spaces in the subject, which a
     * mail header then takes */
    v.customer_name = "Ana\xc2\x85L\xe2\x80\xa8M\xe2\x80\xaeN";
    o = render_ok(NULL, "booking.created", "en", BC_TPL_STAFF, &v);
    assert_string_equal(o.subject, "New booking: Ana L M N, Corte de pelo, lunes 7 de diciembre 10:00");
    struct bc_mail m = {.from_addr = "a@mail.example",
                        .to = "b@example.com",
                        .subject = o.subject,
                        .text = o.text,
                        .html = o.html,
                        .message_id = "x@mail.example"};
    char msg[200];
    char *mail = bc_mail_build(&m, msg, sizeof msg);
    assert_non_null(mail);
    free(mail);
    out_free(&o);
    /* a very long value: the subject is cut at 250 characters with an ellipsis, on a character boundary */
    char longname[2000] = "";
    for (int i = 0; i < 300; i++) strcat(longname, "ñ");
    v.customer_name = longname;
    o = render_ok(NULL, "booking.created", "es", BC_TPL_STAFF, &v);
    size_t chars = 0;
    for (const char *p = o.subject; *p; p++) chars += ((unsigned char)*p & 0xc0) != 0x80;
    assert_int_equal(chars, 250);
    assert_string_equal(o.subject + strlen(o.subject) - 5, "ñ…");
    out_free(&o);
}

/* A line whose placeholders are all empty is left out; NULL vars render as empty. */
static void test_template__empty_values(void **state)
{
    (void)state;
    struct bc_tpl_vars v = vars();
    v.professional = NULL;
    v.customer_name = "";
    struct out o = render_ok(NULL, "booking.reminder", "es", BC_TPL_CUSTOMER, &v);
    assert_null(strstr(o.text, "Con:"));
    assert_null(strstr(o.text, "Hola"));
    assert_true(
        starts(o.text, "Te recordamos tu cita en Peluquería Ñandú.\n\nServicio: Corte de pelo\nFecha"));
    assert_null(strstr(o.text, "\n\n\n"));
    assert_int_not_equal(o.text[strlen(o.text) - 1], '\n');
    assert_null(strstr(o.html, "Con:"));
    out_free(&o);
    o = render_ok(NULL, "booking.created", "en", BC_TPL_CUSTOMER, NULL);
    assert_string_equal(o.subject, "Booking confirmed");
    /* sentences stay when their value is missing; label lines go */
    assert_string_equal(o.text,
                        "Your booking at  is confirmed.\n\nNeed to change the time or cancel? You can do it "
                        "here:\n\nSee you soon,");
    assert_null(strstr(o.html, "Manage my booking")); /* no URL, no button */
    out_free(&o);
}

static void test_template__languages(void **state)
{
    (void)state;
    struct bc_tpl_vars v = vars();
    const char *english[] = {"en", "fr", "", NULL, "esperanto", "EN"};
    for (size_t i = 0; i < sizeof english / sizeof english[0]; i++) {
        struct out o = render_ok(NULL, "booking.cancelled", english[i], BC_TPL_CUSTOMER, &v);
        assert_true(starts(o.subject, "Booking cancelled: "));
        out_free(&o);
    }
    const char *spanish[] = {"es", "es-MX", "es_ES"};
    for (size_t i = 0; i < sizeof spanish / sizeof spanish[0]; i++) {
        struct out o = render_ok(NULL, "booking.cancelled", spanish[i], BC_TPL_CUSTOMER, &v);
        assert_true(starts(o.subject, "Reserva cancelada: "));
        assert_non_null(strstr(o.html, "lang=\"es\""));
        out_free(&o);
    }
}

static void test_template__unknown_event(void **state)
{
    (void)state;
    struct bc_tpl_vars v = vars();
    char *s = (char *)1, *t = (char *)1, *h = (char *)1;
    assert_int_equal(bc_template_render(NULL, "booking.exploded", "es", BC_TPL_CUSTOMER, &v, &s, &t, &h),
                     BC_EINVALID);
    assert_true(!s && !t && !h);
    assert_int_equal(bc_template_render(NULL, NULL, "es", BC_TPL_STAFF, &v, &s, &t, &h), BC_EINVALID);
    assert_int_equal(bc_template_render(NULL, "staff.booking.created", "es", BC_TPL_STAFF, &v, &s, &t, &h),
                     BC_EINVALID);
    assert_int_equal(bc_template_render(NULL, "conversation.handoff", "es", BC_TPL_CUSTOMER, &v, &s, &t, &h),
                     BC_EINVALID);
    assert_int_equal(
        bc_template_render(NULL, "booking.created", "es", (enum bc_tpl_audience)7, &v, &s, &t, &h),
        BC_EINVALID);
}

static void test_template__overrides(void **state)
{
    (void)state;
    json_t *tpl =
        parse("{\"booking.created\":{\"es\":{\"subject\":\"¡Cita con {{ professional }}! {{start_local}}\","
              "\"text\":\"Hola {{customer_name}}, te esperamos el {{start_local}}.\\n\\n"
              "Tu código: {{code}}\\nGestiona: {{manage_url}}\"}},"
              "\"staff.booking.created\":{\"en\":{\"subject\":\"NEW {{customer_name}}\","
              "\"text\":\"{{customer_name}} ({{customer_contact}}) booked.\\n{{admin_url}}\"}}}");
    char msg[256];
    assert_int_equal(bc_template_validate(tpl, msg, sizeof msg), 0);
    struct bc_tpl_vars v = vars();
    v.customer_name = "Ana <b>";
    struct out o = render_ok(tpl, "booking.created", "es", BC_TPL_CUSTOMER, &v);
    assert_string_equal(o.subject, "¡Cita con Luis! lunes 7 de diciembre 10:00");
    assert_string_equal(o.text,
                        "Hola Ana <b>, te esperamos el lunes 7 de diciembre 10:00.\n\nTu código: K7P2QX\n"
                        "Gestiona: https://reservas.example/manage/?code=K7P2QX&token=t0k");
    assert_non_null(strstr(o.html, "Hola Ana &lt;b&gt;, te esperamos"));
    assert_non_null(strstr(o.html, ">Gestionar mi reserva</a>")); /* the layout stays */
    out_free(&o);
    /* no English override for customers: the built-in English text */
    o = render_ok(tpl, "booking.created", "en", BC_TPL_CUSTOMER, &v);
    assert_true(starts(o.subject, "Booking confirmed: "));
    out_free(&o);
    /* a customer override is not a staff one, and the other way round */
    o = render_ok(tpl, "booking.created", "es", BC_TPL_STAFF, &v);
    assert_true(starts(o.subject, "Nueva reserva: "));
    out_free(&o);
    o = render_ok(tpl, "booking.created", "en", BC_TPL_STAFF, &v);
    assert_string_equal(o.subject, "NEW Ana <b>");
    assert_string_equal(o.text, "Ana <b> (ana@example.com, +34 600 000 000) booked.\n"
                                "https://reservas.example/admin/#/bookings/01J");
    out_free(&o);
    o = render_ok(tpl, "booking.created", "en", BC_TPL_CUSTOMER, &v);
    assert_null(strstr(o.subject, "NEW"));
    out_free(&o);
    /* an override subject that renders empty falls back to the built-in one */
    json_decref(tpl);
    tpl =
        parse("{\"booking.cancelled\":{\"en\":{\"subject\":\"{{professional}}\",\"text\":\"Cancelled.\"}}}");
    v.professional = NULL;
    o = render_ok(tpl, "booking.cancelled", "en", BC_TPL_CUSTOMER, &v);
    assert_true(starts(o.subject, "Booking cancelled: "));
    assert_string_equal(o.text, "Cancelled.");
    out_free(&o);
    json_decref(tpl);
    /* an override text whose every line is left out falls back to the built-in text, HTML included */
    tpl = parse("{\"booking.cancelled\":{\"en\":{\"subject\":\"Cancelled\",\"text\":\"{{professional}}\\n"
                "With: {{professional}}\"}}}");
    o = render_ok(tpl, "booking.cancelled", "en", BC_TPL_CUSTOMER, &v);
    assert_string_equal(o.subject, "Cancelled");
    const char *start = "Hi Ana <b>,\n\nYour booking at";
    assert_memory_equal(o.text, start, strlen(start));
    assert_non_null(strstr(o.html, "Your booking at"));
    out_free(&o);
    json_decref(tpl);
}

/* ---- validation --------------------------------------------------------------------------------------- */

static void expect_invalid(const char *json, const char *needle)
{
    json_t *tpl = parse(json);
    char msg[512] = "";
    int rc = bc_template_validate(tpl, msg, sizeof msg);
    json_decref(tpl);
    if (rc != BC_EINVALID) fail_msg("accepted: %s", json);
    if (!strstr(msg, needle)) fail_msg("message '%s' lacks '%s'", msg, needle);
}

static void test_template__validate(void **state)
{
    (void)state;
    char msg[512];
    assert_int_equal(bc_template_validate(NULL, msg, sizeof msg), 0);
    json_t *ok = parse("{}");
    assert_int_equal(bc_template_validate(ok, msg, sizeof msg), 0);
    json_decref(ok);
    ok = parse(
        "{\"booking.reminder\":{\"es\":{\"subject\":\"Mañana: {{service}}\",\"text\":\"Hola\\n\\t{{code}}\"},"
        "\"en\":{\"subject\":\"Tomorrow\",\"text\":\"Hi\"}},"
        "\"staff.usage.limit_reached\":{\"es\":{\"subject\":\"Límite\",\"text\":\"{{detail}} "
        "{{admin_url}}\"}},"
        "\"staff.conversation.handoff\":{\"en\":{\"subject\":\"Help\",\"text\":\"{{detail}}\"}}}");
    assert_int_equal(bc_template_validate(ok, msg, sizeof msg), 0);
    json_decref(ok);

    expect_invalid("[]", "must be an object");
    expect_invalid("{\"booking.exploded\":{}}", "unknown key 'booking.exploded'");
    expect_invalid("{\"conversation.handoff\":{\"es\":{\"subject\":\"a\",\"text\":\"b\"}}}",
                   "unknown key 'conversation.handoff'");
    expect_invalid("{\"staff.nothing\":{}}", "unknown key 'staff.nothing'");
    expect_invalid("{\"booking.created\":\"text\"}",
                   "templates.booking.created must be an object of languages");
    expect_invalid("{\"booking.created\":{}}", "templates.booking.created must be an object of languages");
    expect_invalid("{\"booking.created\":{\"fr\":{\"subject\":\"a\",\"text\":\"b\"}}}",
                   "unknown language 'fr'");
    expect_invalid("{\"booking.created\":{\"es\":\"x\"}}", "templates.booking.created.es must be an object");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"a\"}}}",
                   "templates.booking.created.es: field 'text'");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"\",\"text\":\"b\"}}}", "field 'subject'");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"a\",\"text\":\"b\",\"html\":\"<p>\"}}}",
                   "html");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"a\\r\\nBcc: x@y.com\",\"text\":\"b\"}}}",
                   "field 'subject'");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"a\\u0001\",\"text\":\"b\"}}}",
                   "field 'subject'");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"a\",\"text\":\"b\\u0007c\"}}}",
                   "field 'text'");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"Hola {{nombre}}\",\"text\":\"b\"}}}",
                   "templates.booking.created.es.subject: unknown placeholder '{{nombre}}'");
    expect_invalid("{\"staff.booking.created\":{\"en\":{\"subject\":\"a\",\"text\":\"Hi {{ password }}\"}}}",
                   "templates.staff.booking.created.en.text: unknown placeholder '{{ password }}'");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"a\",\"text\":\"Hola {{customer_name\"}}}",
                   "without a closing '}}'");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"a\",\"text\":\"{{customer_name\\n}}\"}}}",
                   "without a closing '}}'");
    expect_invalid("{\"booking.created\":{\"es\":{\"subject\":\"a\",\"text\":\"{{admin_url}}\"}}}",
                   "{{admin_url}} is only for staff messages");

    /* sizes: subject 200 bytes (not characters), text 8000 bytes, the whole object 64 KiB */
    char big[70000];
    char subj[300] = "";
    for (int i = 0; i < 101; i++) strcat(subj, "ñ"); /* 101 characters, 202 bytes */
    snprintf(big, sizeof big, "{\"booking.created\":{\"es\":{\"subject\":\"%s\",\"text\":\"b\"}}}", subj);
    expect_invalid(big, "at most 200 bytes");
    subj[200] = '\0'; /* 100 characters, 200 bytes: fine */
    snprintf(big, sizeof big, "{\"booking.created\":{\"es\":{\"subject\":\"%s\",\"text\":\"b\"}}}", subj);
    json_t *j = parse(big);
    assert_int_equal(bc_template_validate(j, msg, sizeof msg), 0);
    json_decref(j);
    char text[8100];
    memset(text, 'x', 8001);
    text[8001] = '\0';
    snprintf(big, sizeof big, "{\"booking.created\":{\"es\":{\"subject\":\"a\",\"text\":\"%s\"}}}", text);
    expect_invalid(big, "field 'text'");
    text[8000] = '\0';
    /* the whole object: 7 staff keys of two 8000-byte texts each pass 64 KiB */
    j = json_object();
    for (int e = 0; e < 7; e++) {
        char key[64];
        snprintf(key, sizeof key, "staff.%s", events[e]);
        json_object_set_new(j, key,
                            json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "es", "subject", "a", "text", text, "en",
                                      "subject", "a", "text", text));
    }
    assert_int_equal(bc_template_validate(j, msg, sizeof msg), BC_EINVALID);
    assert_non_null(strstr(msg, "at most 65536 bytes"));
    json_decref(j);
    /* a hostile long key is cut in the message, which stays UTF-8 */
    char key[400] = "{\"";
    for (int i = 0; i < 100; i++) strcat(key, "ñ");
    strcat(key, "\":{}}");
    j = parse(key);
    assert_int_equal(bc_template_validate(j, msg, sizeof msg), BC_EINVALID);
    assert_true(strlen(msg) < 400);
    json_t *m = json_string(msg); /* valid UTF-8: an error body can carry it */
    assert_non_null(m);
    json_decref(m);
    json_decref(j);
}

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template__confirmation_es_en),
        cmocka_unit_test(test_template__every_builtin_message_builds),
        cmocka_unit_test(test_template__html_escaping),
        cmocka_unit_test(test_template__values_sanitised),
        cmocka_unit_test(test_template__empty_values),
        cmocka_unit_test(test_template__languages),
        cmocka_unit_test(test_template__unknown_event),
        cmocka_unit_test(test_template__overrides),
        cmocka_unit_test(test_template__validate),
    };
    return cmocka_run_group_tests_name("template", tests, setup, NULL);
}
