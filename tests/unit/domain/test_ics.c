/* iCalendar rendering: structure, UTC times, escaping and folding (RFC 5545 sections 3.1 and 3.3.11). */
#include "../testlib.h"

#include "domain/ics.h"

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
    assert_non_null(strstr(s, "ORGANIZER;CN=\"Peluquería 'Ana'\":mailto:"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ics__event),
        cmocka_unit_test(test_ics__folding_keeps_utf8_whole),
    };
    return cmocka_run_group_tests_name("ics", tests, NULL, NULL);
}
