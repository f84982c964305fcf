/* Unit tests of src/domain/extcal_parse.c: ICS files into busy intervals, with libical. Every expected time
 * is written in UTC and was worked out by hand from the zones' rules (Europe/Madrid: CEST until
 * 2026-10-25 03:00 local, CET until 2027-03-28 02:00 local; America/New_York: EDT until 2026-11-01). */
#include "../testlib.h"

#include "domain/extcal_parse.h"
#include "util/buf.h"
#include "util/err.h"

#include <time.h>

/* "2026-12-08T23:00:00Z" as epoch seconds. */
static int64_t utc(const char *iso)
{
    struct tm tm = {0};
    assert_non_null(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm));
    return (int64_t)timegm(&tm);
}

#define HEAD "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//EN\r\n"
#define TAIL "END:VCALENDAR\r\n"

struct res {
    int rc;
    struct bc_extcal_iv *iv;
    size_t n, events;
    char err[256];
};

static struct res expand(const char *ics, const char *from, const char *to)
{
    struct res r = {0};
    r.rc = bc_extcal_expand(ics, strlen(ics), "Europe/Madrid", utc(from), utc(to), &r.iv, &r.n, &r.events,
                            r.err, sizeof r.err);
    return r;
}

static void assert_iv(const struct res *r, size_t i, const char *from, const char *to)
{
    assert_true(i < r->n);
    if (r->iv[i].from != utc(from) || r->iv[i].to != utc(to))
        fail_msg("interval %zu: got [%lld, %lld), want [%s, %s)", i, (long long)r->iv[i].from,
                 (long long)r->iv[i].to, from, to);
}

/* Opaque, transparent, cancelled; DTEND in UTC, DURATION instead of DTEND; overlapping events merged. */
static void test_extcal__busy_kinds_and_merge(void **state)
{
    (void)state;
    const char *ics = HEAD "BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20261201T000000Z\r\n"
                           "DTSTART:20261210T090000Z\r\nDTEND:20261210T100000Z\r\nEND:VEVENT\r\n"
                           "BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20261201T000000Z\r\nTRANSP:TRANSPARENT\r\n"
                           "DTSTART:20261210T120000Z\r\nDTEND:20261210T130000Z\r\nEND:VEVENT\r\n"
                           "BEGIN:VEVENT\r\nUID:c\r\nDTSTAMP:20261201T000000Z\r\nSTATUS:CANCELLED\r\n"
                           "DTSTART:20261210T140000Z\r\nDTEND:20261210T150000Z\r\nEND:VEVENT\r\n"
                           "BEGIN:VEVENT\r\nUID:d\r\nDTSTAMP:20261201T000000Z\r\nTRANSP:OPAQUE\r\n"
                           "DTSTART:20261210T093000Z\r\nDURATION:PT90M\r\nEND:VEVENT\r\n"
                           "BEGIN:VEVENT\r\nUID:e\r\nDTSTAMP:20261201T000000Z\r\n"
                           "DTSTART:20261211T160000Z\r\nDURATION:PT45M\r\nEND:VEVENT\r\n" TAIL;
    struct res r = expand(ics, "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.events, 3);
    assert_int_equal(r.n, 2);
    assert_iv(&r, 0, "2026-12-10T09:00:00Z", "2026-12-10T11:00:00Z"); /* a and d merged */
    assert_iv(&r, 1, "2026-12-11T16:00:00Z", "2026-12-11T16:45:00Z");
    free(r.iv);
    /* outside the window: nothing */
    r = expand(ics, "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 0);
    assert_null(r.iv);
}

/* A weekly rule in a TZID that is an IANA name without a VTIMEZONE, an EXDATE, a moved occurrence and a
 * cancelled one (RECURRENCE-ID overrides), an RDATE. */
static void test_extcal__weekly_exdate_overrides(void **state)
{
    (void)state;
    const char *ics =
        HEAD "BEGIN:VEVENT\r\nUID:w\r\nDTSTAMP:20261201T000000Z\r\n"
             "DTSTART;TZID=Europe/Madrid:20261201T100000\r\nDTEND;TZID=Europe/Madrid:20261201T110000\r\n"
             "RRULE:FREQ=WEEKLY;COUNT=6\r\nEXDATE;TZID=Europe/Madrid:20261208T100000\r\n"
             "RDATE;TZID=Europe/Madrid:20261203T170000\r\nEND:VEVENT\r\n"
             /* the 15th moved to the 16th at 12:00 */
             "BEGIN:VEVENT\r\nUID:w\r\nDTSTAMP:20261201T000000Z\r\n"
             "RECURRENCE-ID;TZID=Europe/Madrid:20261215T100000\r\n"
             "DTSTART;TZID=Europe/Madrid:20261216T120000\r\nDTEND;TZID=Europe/Madrid:20261216T130000\r\n"
             "END:VEVENT\r\n"
             /* the 22nd cancelled */
             "BEGIN:VEVENT\r\nUID:w\r\nDTSTAMP:20261201T000000Z\r\nSTATUS:CANCELLED\r\n"
             "RECURRENCE-ID;TZID=Europe/Madrid:20261222T100000\r\n"
             "DTSTART;TZID=Europe/Madrid:20261222T100000\r\nDTEND;TZID=Europe/Madrid:20261222T110000\r\n"
             "END:VEVENT\r\n" TAIL;
    struct res r = expand(ics, "2026-11-30T00:00:00Z", "2027-01-31T00:00:00Z");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 5);
    assert_iv(&r, 0, "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z");
    assert_iv(&r, 1, "2026-12-03T16:00:00Z", "2026-12-03T17:00:00Z"); /* RDATE, the event's length */
    /* the 8th: EXDATE */
    assert_iv(&r, 2, "2026-12-16T11:00:00Z", "2026-12-16T12:00:00Z"); /* the 15th, moved */
    /* the 22nd: cancelled */
    assert_iv(&r, 3, "2026-12-29T09:00:00Z", "2026-12-29T10:00:00Z");
    assert_iv(&r, 4, "2027-01-05T09:00:00Z", "2027-01-05T10:00:00Z"); /* the 6th and last (COUNT=6) */
    free(r.iv);
}

/* The file's own VTIMEZONE (America/New_York, with its DST rules): a weekly 09:00 meeting across the end
 * of DST on 2026-11-01. */
static void test_extcal__vtimezone_in_file(void **state)
{
    (void)state;
    const char *ics = HEAD
        "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"
        "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\n"
        "DTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\n"
        "BEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\n"
        "DTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\n"
        "END:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:ny\r\nDTSTAMP:20261001T000000Z\r\n"
        "DTSTART;TZID=America/New_York:20261026T090000\r\nDTEND;TZID=America/New_York:20261026T093000\r\n"
        "RRULE:FREQ=WEEKLY;UNTIL=20261110T000000Z\r\nEND:VEVENT\r\n" TAIL;
    struct res r = expand(ics, "2026-10-20T00:00:00Z", "2026-11-30T00:00:00Z");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 3);
    assert_iv(&r, 0, "2026-10-26T13:00:00Z", "2026-10-26T13:30:00Z"); /* EDT, UTC-4 */
    assert_iv(&r, 1, "2026-11-02T14:00:00Z", "2026-11-02T14:30:00Z"); /* EST, UTC-5 */
    assert_iv(&r, 2, "2026-11-09T14:00:00Z", "2026-11-09T14:30:00Z");
    free(r.iv);
}

/* Europe/Madrid's DST changes: an event over the autumn night (its local 01:30-03:30 lasts three hours),
 * and a weekly 10:00 across the spring change. */
static void test_extcal__dst_changes(void **state)
{
    (void)state;
    const char *ics =
        HEAD "BEGIN:VEVENT\r\nUID:night\r\nDTSTAMP:20261001T000000Z\r\n"
             "DTSTART;TZID=Europe/Madrid:20261025T013000\r\nDTEND;TZID=Europe/Madrid:20261025T033000\r\n"
             "END:VEVENT\r\n"
             "BEGIN:VEVENT\r\nUID:spring\r\nDTSTAMP:20261001T000000Z\r\n"
             "DTSTART;TZID=Europe/Madrid:20270321T100000\r\nDTEND;TZID=Europe/Madrid:20270321T110000\r\n"
             "RRULE:FREQ=WEEKLY;COUNT=2\r\nEND:VEVENT\r\n" TAIL;
    struct res r = expand(ics, "2026-10-01T00:00:00Z", "2027-04-30T00:00:00Z");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 3);
    assert_iv(&r, 0, "2026-10-24T23:30:00Z", "2026-10-25T02:30:00Z"); /* 01:30 CEST to 03:30 CET */
    assert_iv(&r, 1, "2027-03-21T09:00:00Z", "2027-03-21T10:00:00Z"); /* CET */
    assert_iv(&r, 2, "2027-03-28T08:00:00Z", "2027-03-28T09:00:00Z"); /* CEST */
    free(r.iv);
}

/* Floating times and all-day events are the tenant's local times (Europe/Madrid here). */
static void test_extcal__floating_and_all_day(void **state)
{
    (void)state;
    const char *ics = HEAD "BEGIN:VEVENT\r\nUID:f\r\nDTSTAMP:20261201T000000Z\r\n"
                           "DTSTART:20261214T100000\r\nDTEND:20261214T113000\r\nEND:VEVENT\r\n"
                           "BEGIN:VEVENT\r\nUID:d1\r\nDTSTAMP:20261201T000000Z\r\n"
                           "DTSTART;VALUE=DATE:20261208\r\nEND:VEVENT\r\n"
                           "BEGIN:VEVENT\r\nUID:d2\r\nDTSTAMP:20261201T000000Z\r\n"
                           "DTSTART;VALUE=DATE:20261210\r\nDTEND;VALUE=DATE:20261212\r\nEND:VEVENT\r\n"
                           /* an all-day event across the spring change: a 23-hour local day */
                           "BEGIN:VEVENT\r\nUID:d3\r\nDTSTAMP:20261201T000000Z\r\n"
                           "DTSTART;VALUE=DATE:20270328\r\nDTEND;VALUE=DATE:20270329\r\nEND:VEVENT\r\n" TAIL;
    struct res r = expand(ics, "2026-12-01T00:00:00Z", "2027-04-01T00:00:00Z");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 4);
    assert_iv(&r, 0, "2026-12-07T23:00:00Z", "2026-12-08T23:00:00Z");
    assert_iv(&r, 1, "2026-12-09T23:00:00Z", "2026-12-11T23:00:00Z");
    assert_iv(&r, 2, "2026-12-14T09:00:00Z", "2026-12-14T10:30:00Z");
    assert_iv(&r, 3, "2027-03-27T23:00:00Z", "2027-03-28T22:00:00Z");
    free(r.iv);
}

/* Bounded work: an endless FREQ=MINUTELY rule stops at the step limit, quickly; too many events in the
 * window is an error; a file over the size limit never reaches the parser; text that is not ICS. */
static void test_extcal__limits_and_bad_files(void **state)
{
    (void)state;
    const char *endless = HEAD "BEGIN:VEVENT\r\nUID:m\r\nDTSTAMP:20261201T000000Z\r\n"
                               "DTSTART:20200101T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\n"
                               "END:VEVENT\r\n" TAIL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct res r = expand(endless, "2026-12-01T00:00:00Z", "2027-03-01T00:00:00Z");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(r.rc, BC_ETOO_LARGE);
    assert_non_null(strstr(r.err, "too many events"));
    assert_null(r.iv);
    assert_true(t1.tv_sec - t0.tv_sec < 5);

    /* every minute from inside the window: over 5000 busy times */
    const char *dense = HEAD "BEGIN:VEVENT\r\nUID:m\r\nDTSTAMP:20261201T000000Z\r\n"
                             "DTSTART:20261201T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\n"
                             "END:VEVENT\r\n" TAIL;
    r = expand(dense, "2026-12-01T00:00:00Z", "2027-03-01T00:00:00Z");
    assert_int_equal(r.rc, BC_ETOO_LARGE);

    /* a daily rule since 1990 without an end stays within the limits (about 13,500 steps) */
    const char *daily = HEAD "BEGIN:VEVENT\r\nUID:d\r\nDTSTAMP:20261201T000000Z\r\n"
                             "DTSTART:19900101T080000Z\r\nDTEND:19900101T083000Z\r\nRRULE:FREQ=DAILY\r\n"
                             "END:VEVENT\r\n" TAIL;
    r = expand(daily, "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 7);
    assert_iv(&r, 6, "2026-12-07T08:00:00Z", "2026-12-07T08:30:00Z");
    free(r.iv);

    /* many EXDATEs and overrides on a long rule stay cheap (each converted once, looked up by bisection) */
    struct bc_buf many = BC_BUF_INIT;
    bc_buf_puts(&many,
                HEAD "BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:19800101T080000Z\r\n"
                     "DURATION:PT30M\r\nRRULE:FREQ=DAILY\r\n");
    for (int i = 0; i < 4000; i++) bc_buf_printf(&many, "EXDATE:%04d0101T080000Z\r\n", 1980 + i % 40);
    bc_buf_puts(&many, "END:VEVENT\r\n");
    for (int i = 0; i < 3000; i++)
        bc_buf_printf(
            &many,
            "BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20261201T000000Z\r\nRECURRENCE-ID:%04d0102T080000Z\r\n"
            "DTSTART:%04d0102T090000Z\r\nDURATION:PT30M\r\nEND:VEVENT\r\n",
            1980 + i % 40, 1980 + i % 40);
    bc_buf_puts(&many, TAIL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = expand(many.data, "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 7);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    free(r.iv);
    bc_buf_release(&many);

    size_t big = BC_EXTCAL_MAX_BYTES + 1;
    char *huge = malloc(big + 1);
    memset(huge, 'x', big);
    memcpy(huge, HEAD, strlen(HEAD));
    huge[big] = '\0';
    r.rc = bc_extcal_expand(huge, big, "Europe/Madrid", 0, 1, &r.iv, &r.n, NULL, r.err, sizeof r.err);
    assert_int_equal(r.rc, BC_ETOO_LARGE);
    assert_non_null(strstr(r.err, "too large"));
    free(huge);

    r = expand("<html><body>Sign in</body></html>", "2026-12-01T00:00:00Z", "2027-03-01T00:00:00Z");
    assert_int_equal(r.rc, BC_EINVALID);
    assert_non_null(strstr(r.err, "not an iCalendar"));
    r = expand("BEGIN:VCALENDAR\r\ngarbage without end", "2026-12-01T00:00:00Z", "2027-03-01T00:00:00Z");
    assert_true(r.rc == 0 || r.rc == BC_EINVALID); /* read as far as it goes: nothing busy either way */
    assert_int_equal(r.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extcal__busy_kinds_and_merge),
        cmocka_unit_test(test_extcal__weekly_exdate_overrides),
        cmocka_unit_test(test_extcal__vtimezone_in_file),
        cmocka_unit_test(test_extcal__dst_changes),
        cmocka_unit_test(test_extcal__floating_and_all_day),
        cmocka_unit_test(test_extcal__limits_and_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
