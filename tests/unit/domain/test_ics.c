/* iCalendar rendering: structure, UTC times, escaping and folding (RFC 5545 sections 3.1 and 3.3.11), and
 * the output parsed back with libical's parser. */
#include "../testlib.h"

#include "domain/ics.h"

#include <libical/ical.h>

static void test_ics__event(void **state)
{
    (void)state;
    struct bc_ics_event ev = {
        .uid = "01J0ABC@bookchat",
        .start = 1796112000, /* 2026-12-01T08:00:00Z */
        .end = 1796113800,
        .stamp = 1796000000,
        .summary = "Corte, lavado; y peinado \\ Ana",
        .location = "Calle Mayor 1\nMadrid",
        .description = NULL,
        .organizer = "Peluquería \"Ana\"",
    };
    char *s = bc_ics_render(&ev);
    assert_non_null(s);
    assert_non_null(strstr(s, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert_non_null(strstr(s, "DTSTART:20261201T080000Z\r\n"));
    assert_non_null(strstr(s, "DTEND:20261201T083000Z\r\n"));
    assert_non_null(strstr(s, "SUMMARY:Corte\\, lavado\\; y peinado \\\\ Ana\r\n"));
    assert_non_null(strstr(s, "LOCATION:Calle Mayor 1\\nMadrid\r\n"));
    /* a '"' cannot stand in a parameter value; libical quotes CN only when it holds , ; or : */
    assert_non_null(strstr(s, "ORGANIZER;CN=Peluquería 'Ana':mailto:"));
    assert_non_null(strstr(s, "STATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"));
    /* every line ends in CRLF */
    for (char *p = s; (p = strchr(p, '\n')); p++) assert_int_equal(p[-1], '\r');
    free(s);
}

static void test_ics__folding_keeps_utf8_whole(void **state)
{
    (void)state;
    char summary[400] = "";
    for (int i = 0; i < 60; i++) strcat(summary, "ñá"); /* 4 bytes each, 240 bytes */
    struct bc_ics_event ev = {
        .uid = "u", .start = 0, .end = 60, .stamp = 0, .summary = summary, .cancelled = 1};
    char *s = bc_ics_render(&ev);
    assert_non_null(strstr(s, "STATUS:CANCELLED"));
    /* lines are at most 75 octets; continuation lines start with a space; no UTF-8 sequence is split */
    char *line = s;
    while (*line) {
        char *end = strstr(line, "\r\n");
        assert_non_null(end);
        assert_true(end - line <= 75);
        if (line != s && strncmp(line, "SUMMARY", 7) != 0 && (unsigned char)line[0] == ' ')
            assert_true(((unsigned char)line[1] & 0xc0) != 0x80);
        line = end + 2;
    }
    /* unfolding gives the text back */
    char *p = strstr(s, "SUMMARY:") + 8, out[512];
    size_t n = 0;
    while (!(p[0] == '\r' && p[1] == '\n' && p[2] != ' ')) {
        if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
            p += 3;
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    assert_string_equal(out, summary);
    free(s);
}

/* Every line of s is at most 75 octets and ends in CRLF. */
static void assert_lines(const char *s)
{
    const char *line = s;
    while (*line) {
        const char *end = strstr(line, "\r\n");
        assert_non_null(end);
        assert_true(end - line <= 75);
        assert_null(memchr(line, '\n', (size_t)(end - line)));
        line = end + 2;
    }
}

static icalcomponent *first_event(icalcomponent *cal)
{
    assert_non_null(cal);
    icalcomponent *e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
    assert_non_null(e);
    return e;
}

static void test_ics__parses_back(void **state)
{
    (void)state;
    const char *summary = "Corte, lavado; y peinado \\ Ana\nsegunda línea — ñandú";
    struct bc_ics_event ev = {
        .uid = "01J0ABC@bookchat",
        .start = 1796112000,
        .end = 1796113800,
        .stamp = 1796000000,
        .summary = summary,
        .description = "Código: K7M2QX\nnotas: \"sin prisa\", gracias;",
        .organizer = "Ana, Peluquería",
        .organizer_email = "citas@ana.example",
        .attendee_email = "luis@example.com",
        .attendee_name = "Luis \"el\" Gómez",
        .method = "REQUEST",
        .sequence = 3,
        .last_modified = 1796000100,
    };
    char *s = bc_ics_render(&ev);
    assert_non_null(s);
    assert_lines(s);
    assert_non_null(strstr(s, "\r\nMETHOD:REQUEST\r\n"));
    icalcomponent *cal = icalparser_parse_string(s);
    icalcomponent *e = first_event(cal);
    assert_int_equal(icalcomponent_get_method(cal), ICAL_METHOD_REQUEST);
    assert_string_equal(icalcomponent_get_uid(e), "01J0ABC@bookchat");
    assert_string_equal(icalcomponent_get_summary(e), summary);
    assert_string_equal(icalcomponent_get_description(e), ev.description);
    assert_int_equal(icaltime_as_timet(icalcomponent_get_dtstart(e)), 1796112000);
    assert_int_equal(icaltime_as_timet(icalcomponent_get_dtend(e)), 1796113800);
    assert_true(icaltime_is_utc(icalcomponent_get_dtstart(e)));
    assert_int_equal(icalcomponent_get_sequence(e), 3);
    assert_int_equal(icalcomponent_get_status(e), ICAL_STATUS_CONFIRMED);
    icalproperty *lm = icalcomponent_get_first_property(e, ICAL_LASTMODIFIED_PROPERTY);
    assert_non_null(lm);
    assert_int_equal(icaltime_as_timet(icalproperty_get_lastmodified(lm)), 1796000100);
    icalproperty *org = icalcomponent_get_first_property(e, ICAL_ORGANIZER_PROPERTY);
    assert_string_equal(icalproperty_get_organizer(org), "mailto:citas@ana.example");
    assert_string_equal(icalparameter_get_cn(icalproperty_get_first_parameter(org, ICAL_CN_PARAMETER)),
                        "Ana, Peluquería");
    icalproperty *att = icalcomponent_get_first_property(e, ICAL_ATTENDEE_PROPERTY);
    assert_string_equal(icalproperty_get_attendee(att), "mailto:luis@example.com");
    assert_string_equal(icalparameter_get_cn(icalproperty_get_first_parameter(att, ICAL_CN_PARAMETER)),
                        "Luis 'el' Gómez");
    icalcomponent_free(cal);
    free(s);
}

/* CR/LF in customer text cannot end the property and start another one */
static void test_ics__hostile_text_makes_no_properties(void **state)
{
    (void)state;
    struct bc_ics_event ev = {
        .uid = "u1@bookchat\r\nATTENDEE:mailto:x@evil.example",
        .start = 0,
        .end = 60,
        .stamp = 0,
        .summary = "Hola\r\nATTENDEE:mailto:evil@evil.example\r\nBEGIN:VALARM\rX-EVIL:1\x01\x7f",
        .location = "a\r\nURL:http://evil.example",
        .attendee_email = "a@b.example\r\nX-EVIL:2",
        .attendee_name = "N\r\nX-EVIL:3",
    };
    char *s = bc_ics_render(&ev);
    assert_non_null(s);
    assert_lines(s);
    assert_null(strstr(s, "\r\nATTENDEE:mailto:evil"));
    assert_null(strstr(s, "\r\nX-EVIL"));
    assert_null(strstr(s, "\r\nBEGIN:VALARM"));
    assert_null(strstr(s, "\r\nURL:"));
    icalcomponent *cal = icalparser_parse_string(s);
    icalcomponent *e = first_event(cal);
    assert_int_equal(icalcomponent_count_properties(e, ICAL_ATTENDEE_PROPERTY), 1);
    assert_int_equal(icalcomponent_count_properties(e, ICAL_X_PROPERTY), 0);
    assert_int_equal(icalcomponent_count_properties(e, ICAL_URL_PROPERTY), 0);
    assert_int_equal(icalcomponent_count_components(e, ICAL_ANY_COMPONENT), 0);
    assert_int_equal(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), 1);
    /* the text survives as text: the newlines, without CR and control characters */
    assert_string_equal(icalcomponent_get_summary(e),
                        "Hola\nATTENDEE:mailto:evil@evil.example\nBEGIN:VALARMX-EVIL:1");
    assert_string_equal(icalcomponent_get_uid(e), "u1@bookchatATTENDEE:mailto:x@evil.example");
    assert_int_equal(icalcomponent_get_status(e), ICAL_STATUS_CONFIRMED);
    icalcomponent_free(cal);
    free(s);
}

static void test_ics__method_as_asked(void **state)
{
    (void)state;
    struct bc_ics_event ev = {.uid = "u", .start = 0, .end = 60, .summary = "s", .cancelled = 1};
    char *s = bc_ics_render(&ev);
    assert_non_null(strstr(s, "\r\nMETHOD:CANCEL\r\n"));
    free(s);
    ev.method = "REQUEST";
    s = bc_ics_render(&ev);
    assert_non_null(strstr(s, "\r\nMETHOD:REQUEST\r\n"));
    assert_non_null(strstr(s, "STATUS:CANCELLED"));
    free(s);
    ev.method = "PUBLISH\r\nX-EVIL:1";
    assert_null(bc_ics_render(&ev));
    ev.method = "request"; /* not the spelling asked for: refused rather than rewritten */
    assert_null(bc_ics_render(&ev));
}

static void test_ics__feed(void **state)
{
    (void)state;
    struct bc_ics_event evs[3] = {
        {.uid = "a@bookchat",
         .start = 1796112000,
         .end = 1796113800,
         .stamp = 1,
         .summary = "Uno, dos",
         .sequence = 1},
        {.uid = "b@bookchat",
         .start = 1796115600,
         .end = 1796117400,
         .stamp = 1,
         .summary = "Tres; cuatro",
         .cancelled = 1,
         .sequence = 4,
         .method = "REQUEST"},
        {.uid = "c@bookchat", .start = 1812000000, .end = 1812003600, .stamp = 1, .summary = "Verano"},
    };
    struct bc_ics_feed f = {.name = "Peluquería Ana — Ana", .zone = "Europe/Madrid", .events = evs, .n = 3};
    char *s = bc_ics_render_feed(&f);
    assert_non_null(s);
    assert_lines(s);
    assert_non_null(strstr(s, "\r\nMETHOD:PUBLISH\r\n"));
    assert_non_null(strstr(s, "\r\nX-WR-TIMEZONE:Europe/Madrid\r\n"));
    assert_null(strstr(s, "freeassociation"));
    icalcomponent *cal = icalparser_parse_string(s);
    assert_non_null(cal);
    assert_int_equal(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), 3);
    icalcomponent *tz = icalcomponent_get_first_component(cal, ICAL_VTIMEZONE_COMPONENT);
    assert_non_null(tz);
    assert_string_equal(icalproperty_get_tzid(icalcomponent_get_first_property(tz, ICAL_TZID_PROPERTY)),
                        "Europe/Madrid");
    /* the VTIMEZONE is a real one: libical reads the offsets of winter and summer back from it */
    icaltimezone *z = icaltimezone_new();
    assert_true(icaltimezone_set_component(z, icalcomponent_new_clone(tz)));
    struct icaltimetype winter = icaltime_from_timet_with_zone(1796112000, 0, NULL);
    struct icaltimetype summer = icaltime_from_timet_with_zone(1812000000, 0, NULL);
    int dst = 0;
    assert_int_equal(icaltimezone_get_utc_offset_of_utc_time(z, &winter, &dst), 3600);
    assert_int_equal(icaltimezone_get_utc_offset_of_utc_time(z, &summer, &dst), 7200);
    icaltimezone_free(z, 1);
    int i = 0;
    for (icalcomponent *e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); e;
         e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT), i++) {
        assert_string_equal(icalcomponent_get_uid(e), evs[i].uid);
        assert_string_equal(icalcomponent_get_summary(e), evs[i].summary);
        assert_int_equal(icaltime_as_timet(icalcomponent_get_dtstart(e)), evs[i].start);
        assert_int_equal(icalcomponent_get_status(e),
                         evs[i].cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED);
    }
    assert_int_equal(
        icalcomponent_get_sequence(icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT)), 1);
    icalcomponent_free(cal);
    free(s);
    /* an unknown zone: no VTIMEZONE, the events still there */
    f.zone = "Mars/Olympus";
    s = bc_ics_render_feed(&f);
    assert_non_null(s);
    assert_null(strstr(s, "BEGIN:VTIMEZONE"));
    assert_non_null(strstr(s, "UID:c@bookchat"));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ics__event),
        cmocka_unit_test(test_ics__folding_keeps_utf8_whole),
        cmocka_unit_test(test_ics__parses_back),
        cmocka_unit_test(test_ics__hostile_text_makes_no_properties),
        cmocka_unit_test(test_ics__method_as_asked),
        cmocka_unit_test(test_ics__feed),
    };
    return cmocka_run_group_tests_name("ics", tests, NULL, NULL);
}
