/* Unit tests of src/util/tz: zone validation, local<->UTC across DST gaps and repeated hours, ISO formatting,
 * civil-date helpers, spans, threads. Expected instants are written by hand as ISO strings with offsets and
 * parsed with bc_time_parse_iso (util/clock, independent of the code under test). */
#include "../testlib.h"

#include "util/clock.h"
#include "util/err.h"
#include "util/tz.h"

#include <pthread.h>
#include <unicode/ucal.h>
#include <unicode/uenum.h>

static int64_t iso(const char *s)
{
    int64_t t = 0;
    if (bc_time_parse_iso(s, &t) != 0) fail_msg("bad test instant %s", s);
    return t;
}

/* Day number of "YYYY-MM-DD", via the independent ISO parser. */
static int32_t dayof(const char *ymd)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%sT00:00:00Z", ymd);
    return (int32_t)(iso(buf) / 86400);
}

static void test_tz__validate(void **state)
{
    (void)state;
    const char *good[] = {"Europe/Madrid", "America/New_York", "UTC",
                          "Asia/Kolkata",  "US/Eastern",       "America/Argentina/Buenos_Aires",
                          "Etc/GMT+5"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) assert_int_equal(bc_tz_validate(good[i]), 0);
    const char *bad[] = {"",
                         "Europe/Nowhere",
                         "europe/madrid",
                         "GMT+05:00",
                         "Etc/Unknown",
                         "Europe/Madrid ",
                         "../etc/passwd",
                         "Europe/Madrid\n",
                         "Madrid",
                         "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bbbbbbbb"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(bc_tz_validate(bad[i]), BC_EINVALID);
    assert_int_equal(bc_tz_validate(NULL), BC_EINVALID);
    int64_t t;
    assert_int_equal(bc_tz_to_utc("Nowhere/X", dayof("2026-01-01"), 0, &t), BC_EINVALID);
    char out[BC_TZ_ISO_SIZE];
    assert_int_equal(bc_tz_format_iso("GMT+05:00", 0, out, sizeof out), BC_EINVALID);
}

/* Every id of ICU's zone list is accepted (the character filter in front of ICU refuses none of them),
 * so a zone that passed validation when saved still works here. */
static void test_tz__validate_every_icu_zone(void **state)
{
    (void)state;
    UErrorCode st = U_ZERO_ERROR;
    UEnumeration *e = ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_ANY, NULL, NULL, &st);
    assert_true(U_SUCCESS(st));
    int n = 0;
    const char *id;
    int32_t len;
    while ((id = uenum_next(e, &len, &st)) != NULL && U_SUCCESS(st)) {
        if (bc_tz_validate(id) != 0) fail_msg("ICU zone %s refused", id);
        n++;
    }
    uenum_close(e);
    assert_true(n > 400);
}

static void test_tz__date_parse_strict(void **state)
{
    (void)state;
    int32_t d = -7;
    assert_int_equal(bc_tz_date_parse("1970-01-01", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(bc_tz_date_parse("2026-03-29", &d), 0);
    assert_int_equal(d, dayof("2026-03-29"));
    assert_int_equal(bc_tz_date_parse("2024-02-29", &d), 0);
    assert_int_equal(d, dayof("2024-02-29"));
    assert_int_equal(bc_tz_date_parse("2999-12-31", &d), 0);
    assert_int_equal(d, BC_TZ_DATE_MAX);
    const char *bad[] = {"2026-02-29",      "2026-13-01",  "2026-00-10", "2026-04-31", "2026-3-29",
                         "2026-03-29 ",     " 2026-03-29", "2026/03/29", "20260329",   "",
                         "1969-12-31",      "3000-01-01",  "+026-03-29", "2026-03-2a", "2100-02-29",
                         "2026-03-29T00:00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        d = -7;
        assert_int_equal(bc_tz_date_parse(bad[i], &d), BC_EINVALID);
        assert_int_equal(d, -7);
    }
    assert_int_equal(bc_tz_date_parse(NULL, &d), BC_EINVALID);
    assert_int_equal(bc_tz_date_parse("2000-02-29", &d), 0); /* divisible by 400: leap */
}

static void test_tz__date_helpers(void **state)
{
    (void)state;
    char s[11];
    bc_tz_date_format(dayof("2026-12-01"), s);
    assert_string_equal(s, "2026-12-01");
    bc_tz_date_format(bc_tz_date_add_days(dayof("2026-02-28"), 1), s);
    assert_string_equal(s, "2026-03-01");
    bc_tz_date_format(bc_tz_date_add_days(dayof("2024-02-28"), 1), s);
    assert_string_equal(s, "2024-02-29");
    bc_tz_date_format(bc_tz_date_add_days(dayof("2026-12-31"), 1), s);
    assert_string_equal(s, "2027-01-01");
    bc_tz_date_format(bc_tz_date_add_days(dayof("2026-03-01"), -1), s);
    assert_string_equal(s, "2026-02-28");
    bc_tz_date_format(bc_tz_date_add_days(dayof("2026-01-01"), 365), s);
    assert_string_equal(s, "2027-01-01");
    int y, m, dd;
    bc_tz_date_to_ymd(dayof("2026-10-25"), &y, &m, &dd);
    assert_int_equal(y, 2026);
    assert_int_equal(m, 10);
    assert_int_equal(dd, 25);
    int32_t day;
    assert_int_equal(bc_tz_date_from_ymd(2026, 3, 29, &day), 0);
    assert_int_equal(day, dayof("2026-03-29"));
    assert_int_equal(bc_tz_date_from_ymd(2026, 2, 29, &day), BC_EINVALID);
    /* weekdays: 1 = Monday … 7 = Sunday */
    assert_int_equal(bc_tz_weekday(dayof("1970-01-01")), 4); /* Thursday */
    assert_int_equal(bc_tz_weekday(dayof("2000-01-01")), 6); /* Saturday */
    assert_int_equal(bc_tz_weekday(dayof("2026-03-29")), 7); /* Sunday */
    assert_int_equal(bc_tz_weekday(dayof("2026-03-30")), 1); /* Monday */
    assert_int_equal(bc_tz_weekday(dayof("2026-12-01")), 2); /* Tuesday */
    assert_int_equal(bc_tz_weekday(dayof("2026-11-01")), 7);
}

static void test_tz__hhmm_strict(void **state)
{
    (void)state;
    int m = -1;
    assert_int_equal(bc_tz_hhmm_parse("09:00", 0, &m), 0);
    assert_int_equal(m, 540);
    assert_int_equal(bc_tz_hhmm_parse("23:59", 0, &m), 0);
    assert_int_equal(m, 1439);
    assert_int_equal(bc_tz_hhmm_parse("00:00", 0, &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(bc_tz_hhmm_parse("24:00", 1, &m), 0);
    assert_int_equal(m, 1440);
    m = -1;
    assert_int_equal(bc_tz_hhmm_parse("24:00", 0, &m), BC_EINVALID);
    const char *bad[] = {"9:00", "09:0",  "09:60", "24:01", "25:00", "09-00", "09:00:00",
                         "",     " 9:00", "0x:00", "09:5 ", "-1:00", "+9:00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(bc_tz_hhmm_parse(bad[i], 1, &m), BC_EINVALID);
        assert_int_equal(m, -1);
    }
    assert_int_equal(bc_tz_hhmm_parse(NULL, 1, &m), BC_EINVALID);
    char s[6];
    bc_tz_hhmm_format(540, s);
    assert_string_equal(s, "09:00");
    bc_tz_hhmm_format(1440, s);
    assert_string_equal(s, "24:00");
    bc_tz_hhmm_format(75, s);
    assert_string_equal(s, "01:15");
}

static void expect_utc(const char *zone, const char *date, int h, int mi, const char *want)
{
    int64_t t = -1;
    int rc = bc_tz_to_utc(zone, dayof(date), h * 3600 + mi * 60, &t);
    if (rc != 0) fail_msg("%s %s %02d:%02d: rc %d", zone, date, h, mi, rc);
    if (t != iso(want)) fail_msg("%s %s %02d:%02d: got %lld want %s", zone, date, h, mi, (long long)t, want);
}

static void expect_gap(const char *zone, const char *date, int h, int mi)
{
    int64_t t = 42;
    assert_int_equal(bc_tz_to_utc(zone, dayof(date), h * 3600 + mi * 60, &t), BC_ENOT_FOUND);
    assert_int_equal(t, 42);
}

static void test_tz__to_utc_plain(void **state)
{
    (void)state;
    expect_utc("Europe/Madrid", "2026-12-01", 9, 0, "2026-12-01T08:00:00Z");
    expect_utc("Europe/Madrid", "2026-07-01", 9, 0, "2026-07-01T07:00:00Z");
    expect_utc("America/New_York", "2026-07-01", 9, 0, "2026-07-01T13:00:00Z");
    expect_utc("America/New_York", "2026-12-01", 9, 0, "2026-12-01T14:00:00Z");
    expect_utc("Asia/Kolkata", "2026-12-01", 9, 0, "2026-12-01T03:30:00Z");
    expect_utc("UTC", "2026-12-01", 0, 0, "2026-12-01T00:00:00Z");
    int64_t t;
    assert_int_equal(bc_tz_to_utc("UTC", dayof("2026-12-01"), 86400, &t), BC_EINVALID);
    assert_int_equal(bc_tz_to_utc("UTC", dayof("2026-12-01"), -1, &t), BC_EINVALID);
    assert_int_equal(bc_tz_to_utc("UTC", -1, 0, &t), BC_EINVALID);
    assert_int_equal(bc_tz_to_utc("UTC", BC_TZ_DATE_MAX + 1, 0, &t), BC_EINVALID);
}

/* Madrid, 2026-03-29: at 02:00 CET the clocks jump to 03:00 CEST (01:00Z). New York, 2026-03-08: at 02:00
 * EST to 03:00 EDT (07:00Z). */
static void test_tz__spring_forward_gap(void **state)
{
    (void)state;
    expect_utc("Europe/Madrid", "2026-03-29", 1, 59, "2026-03-29T00:59:00Z");
    expect_gap("Europe/Madrid", "2026-03-29", 2, 0);
    expect_gap("Europe/Madrid", "2026-03-29", 2, 30);
    expect_gap("Europe/Madrid", "2026-03-29", 2, 59);
    expect_utc("Europe/Madrid", "2026-03-29", 3, 0, "2026-03-29T01:00:00Z");
    expect_utc("America/New_York", "2026-03-08", 1, 59, "2026-03-08T06:59:00Z");
    expect_gap("America/New_York", "2026-03-08", 2, 30);
    expect_utc("America/New_York", "2026-03-08", 3, 0, "2026-03-08T07:00:00Z");
    /* the same local time a day earlier exists */
    expect_utc("Europe/Madrid", "2026-03-28", 2, 30, "2026-03-28T01:30:00Z");

    int64_t t;
    assert_int_equal(bc_tz_next_valid("Europe/Madrid", dayof("2026-03-29"), 2 * 3600 + 1800, &t), 0);
    assert_int_equal(t, iso("2026-03-29T01:00:00Z"));
    assert_int_equal(bc_tz_next_valid("America/New_York", dayof("2026-03-08"), 2 * 3600, &t), 0);
    assert_int_equal(t, iso("2026-03-08T07:00:00Z"));
    assert_int_equal(bc_tz_next_valid("Europe/Madrid", dayof("2026-03-28"), 86400, &t), 0);
    assert_int_equal(t, iso("2026-03-28T23:00:00Z"));
}

/* Madrid, 2026-10-25: at 03:00 CEST the clocks go back to 02:00 CET (01:00Z), so 02:00-02:59 happen twice.
 * New York, 2026-11-01: at 02:00 EDT back to 01:00 EST (06:00Z). The first occurrence is chosen. */
static void test_tz__fall_back_first_occurrence(void **state)
{
    (void)state;
    expect_utc("Europe/Madrid", "2026-10-25", 1, 59, "2026-10-24T23:59:00Z");
    expect_utc("Europe/Madrid", "2026-10-25", 2, 0, "2026-10-25T00:00:00Z");
    expect_utc("Europe/Madrid", "2026-10-25", 2, 30, "2026-10-25T00:30:00Z");
    expect_utc("Europe/Madrid", "2026-10-25", 3, 0, "2026-10-25T02:00:00Z");
    expect_utc("America/New_York", "2026-11-01", 1, 0, "2026-11-01T05:00:00Z");
    expect_utc("America/New_York", "2026-11-01", 1, 30, "2026-11-01T05:30:00Z");
    expect_utc("America/New_York", "2026-11-01", 2, 0, "2026-11-01T07:00:00Z");
}

static void test_tz__day_start(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(bc_tz_day_start("Europe/Madrid", dayof("2026-03-29"), &t), 0);
    assert_int_equal(t, iso("2026-03-28T23:00:00Z"));
    assert_int_equal(bc_tz_day_start("Europe/Madrid", dayof("2026-03-30"), &t), 0);
    assert_int_equal(t, iso("2026-03-29T22:00:00Z"));
    /* Chile springs forward at midnight (first Sunday of September): 2026-09-06 00:00 does not exist and the
     * day starts at 01:00 -03:00. */
    assert_int_equal(bc_tz_day_start("America/Santiago", dayof("2026-09-06"), &t), 0);
    assert_int_equal(t, iso("2026-09-06T04:00:00Z"));
    expect_gap("America/Santiago", "2026-09-06", 0, 0);
}

static void test_tz__from_utc(void **state)
{
    (void)state;
    struct bc_tz_local l;
    assert_int_equal(bc_tz_from_utc("Europe/Madrid", iso("2026-03-29T01:00:00Z"), &l), 0);
    assert_int_equal(l.day, dayof("2026-03-29"));
    assert_int_equal(l.year, 2026);
    assert_int_equal(l.month, 3);
    assert_int_equal(l.mday, 29);
    assert_int_equal(l.hour, 3);
    assert_int_equal(l.minute, 0);
    assert_int_equal(l.second, 0);
    assert_int_equal(l.sec, 3 * 3600);
    assert_int_equal(l.weekday, 7);
    assert_int_equal(l.offset, 7200);
    assert_int_equal(bc_tz_from_utc("Europe/Madrid", iso("2026-03-29T00:59:59Z"), &l), 0);
    assert_int_equal(l.hour, 1);
    assert_int_equal(l.minute, 59);
    assert_int_equal(l.second, 59);
    assert_int_equal(l.offset, 3600);
    assert_int_equal(bc_tz_from_utc("America/New_York", iso("2026-11-01T06:00:00Z"), &l), 0);
    assert_int_equal(l.hour, 1);
    assert_int_equal(l.offset, -18000);
    assert_int_equal(bc_tz_from_utc("America/New_York", iso("2026-11-01T05:59:59Z"), &l), 0);
    assert_int_equal(l.hour, 1);
    assert_int_equal(l.offset, -14400);
    /* crossing the date line backwards: 03:00Z on a Monday is Sunday evening in New York */
    assert_int_equal(bc_tz_from_utc("America/New_York", iso("2026-03-02T03:00:00Z"), &l), 0);
    assert_int_equal(l.day, dayof("2026-03-01"));
    assert_int_equal(l.hour, 22);
    assert_int_equal(l.weekday, 7);
    int32_t off;
    assert_int_equal(bc_tz_offset_at("Asia/Kathmandu", iso("2026-06-01T00:00:00Z"), &off), 0);
    assert_int_equal(off, 5 * 3600 + 45 * 60);
}

static void expect_iso(const char *zone, const char *utc, const char *want)
{
    char out[BC_TZ_ISO_SIZE];
    assert_int_equal(bc_tz_format_iso(zone, iso(utc), out, sizeof out), 0);
    assert_string_equal(out, want);
}

static void test_tz__format_iso(void **state)
{
    (void)state;
    expect_iso("Europe/Madrid", "2026-12-01T08:00:00Z", "2026-12-01T09:00:00+01:00");
    expect_iso("Europe/Madrid", "2026-07-01T07:00:00Z", "2026-07-01T09:00:00+02:00");
    expect_iso("America/New_York", "2026-12-01T14:00:00Z", "2026-12-01T09:00:00-05:00");
    expect_iso("Asia/Kolkata", "2026-12-01T03:30:00Z", "2026-12-01T09:00:00+05:30");
    expect_iso("America/St_Johns", "2026-12-01T12:30:00Z", "2026-12-01T09:00:00-03:30");
    expect_iso("UTC", "2026-12-01T09:00:00Z", "2026-12-01T09:00:00+00:00");
    /* both sides of the Madrid fall-back: the same wall clock, two offsets */
    expect_iso("Europe/Madrid", "2026-10-25T00:30:00Z", "2026-10-25T02:30:00+02:00");
    expect_iso("Europe/Madrid", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00+01:00");
    char out[BC_TZ_ISO_SIZE];
    assert_int_equal(bc_tz_format_iso_offset(iso("1971-01-01T00:00:00Z"), -(44 * 60 + 30), out, sizeof out),
                     0);
    assert_string_equal(out, "1970-12-31T23:15:30-00:44:30");
    assert_int_equal(bc_tz_format_iso_offset(0, 0, out, 10), BC_EINVALID);
    assert_int_equal(bc_tz_format_iso_offset(0, -3600, out, sizeof out), BC_EINVALID); /* 1969 */
}

static void test_tz__span_matches_transitions(void **state)
{
    (void)state;
    struct bc_tz_span sp;
    assert_int_equal(
        bc_tz_span_load("Europe/Madrid", iso("2026-03-01T00:00:00Z"), iso("2026-11-30T00:00:00Z"), &sp), 0);
    assert_int_equal(sp.n, 3);
    assert_int_equal(sp.offset[0], 3600);
    assert_int_equal(sp.start[1], iso("2026-03-29T01:00:00Z"));
    assert_int_equal(sp.offset[1], 7200);
    assert_int_equal(sp.start[2], iso("2026-10-25T01:00:00Z"));
    assert_int_equal(sp.offset[2], 3600);
    assert_int_equal(bc_tz_span_offset(&sp, iso("2026-03-29T00:59:59Z")), 3600);
    assert_int_equal(bc_tz_span_offset(&sp, iso("2026-03-29T01:00:00Z")), 7200);

    int64_t t = 42;
    assert_int_equal(bc_tz_span_to_utc(&sp, dayof("2026-03-29"), 2 * 3600 + 1800, &t), BC_ENOT_FOUND);
    assert_int_equal(t, 42);
    assert_int_equal(bc_tz_span_next_valid(&sp, dayof("2026-03-29"), 2 * 3600 + 1800),
                     iso("2026-03-29T01:00:00Z"));
    assert_int_equal(bc_tz_span_to_utc(&sp, dayof("2026-10-25"), 2 * 3600 + 1800, &t), 0);
    assert_int_equal(t, iso("2026-10-25T00:30:00Z"));
    assert_int_equal(bc_tz_span_to_utc(&sp, dayof("2026-10-25"), 3 * 3600, &t), 0);
    assert_int_equal(t, iso("2026-10-25T02:00:00Z"));
    struct bc_tz_local l;
    bc_tz_span_local(&sp, iso("2026-10-25T01:30:00Z"), &l);
    assert_int_equal(l.hour, 2);
    assert_int_equal(l.minute, 30);
    assert_int_equal(l.offset, 3600);

    assert_int_equal(bc_tz_span_load("UTC", 100, 100, &sp), BC_EINVALID);
    assert_int_equal(bc_tz_span_load("UTC", 0, BC_TZ_SPAN_SECS + 1, &sp), BC_EINVALID);
    assert_int_equal(bc_tz_span_load("Mars/Base", 0, 86400, &sp), BC_EINVALID);
}

/* Spans and the direct ICU conversions give the same answers for every quarter hour of the transition days
 * of zones with unusual changes (30-minute DST on Lord Howe, midnight changes in Santiago). */
static void test_tz__span_agrees_with_direct(void **state)
{
    (void)state;
    const char *zones[] = {"Europe/Madrid", "America/New_York", "America/Santiago", "Australia/Lord_Howe",
                           "Asia/Kolkata"};
    const char *days[] = {"2026-03-08", "2026-03-29", "2026-04-05", "2026-09-06",
                          "2026-10-04", "2026-10-25", "2026-11-01"};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        for (size_t d = 0; d < sizeof days / sizeof *days; d++) {
            int32_t day = dayof(days[d]);
            struct bc_tz_span sp;
            assert_int_equal(
                bc_tz_span_load(zones[z], ((int64_t)day - 2) * 86400, ((int64_t)day + 3) * 86400, &sp), 0);
            for (int sec = 0; sec < 86400; sec += 900) {
                int64_t a = 0, b = 0;
                int ra = bc_tz_to_utc(zones[z], day, sec, &a);
                int rb = bc_tz_span_to_utc(&sp, day, sec, &b);
                if (ra != rb || a != b)
                    fail_msg("%s %s %d: direct %d/%lld span %d/%lld", zones[z], days[d], sec, ra,
                             (long long)a, rb, (long long)b);
                int64_t nv;
                assert_int_equal(bc_tz_next_valid(zones[z], day, sec, &nv), 0);
                assert_int_equal(nv, bc_tz_span_next_valid(&sp, day, sec));
                int32_t off;
                assert_int_equal(bc_tz_offset_at(zones[z], nv, &off), 0);
                assert_int_equal(off, bc_tz_span_offset(&sp, nv));
            }
        }
    }
}

/* Threads convert at once in more zones than a thread's cache holds, against hand-derived answers:
 * 2026-12-01 09:00 local in each zone. */
struct zone_case {
    const char *zone, *utc;
};
static const struct zone_case thread_cases[] = {
    {"Europe/Madrid", "2026-12-01T08:00:00Z"},       {"America/New_York", "2026-12-01T14:00:00Z"},
    {"Asia/Kolkata", "2026-12-01T03:30:00Z"},        {"Asia/Tokyo", "2026-12-01T00:00:00Z"},
    {"America/Santiago", "2026-12-01T12:00:00Z"},    {"Australia/Sydney", "2026-11-30T22:00:00Z"},
    {"America/Los_Angeles", "2026-12-01T17:00:00Z"}, {"Europe/London", "2026-12-01T09:00:00Z"},
    {"Asia/Kathmandu", "2026-12-01T03:15:00Z"},      {"America/St_Johns", "2026-12-01T12:30:00Z"},
    {"Pacific/Auckland", "2026-11-30T20:00:00Z"},    {"UTC", "2026-12-01T09:00:00Z"},
};
#define N_THREAD_CASES (sizeof thread_cases / sizeof *thread_cases)

struct thread_arg {
    int seed;
    int64_t want[N_THREAD_CASES];
    int errors;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    int32_t day = 0;
    bc_tz_date_parse("2026-12-01", &day);
    for (int i = 0; i < 300; i++) {
        size_t k = (size_t)(i * 7 + a->seed) % N_THREAD_CASES;
        int64_t t = 0;
        if (bc_tz_to_utc(thread_cases[k].zone, day, 9 * 3600, &t) != 0 || t != a->want[k]) a->errors++;
    }
    return NULL;
}

static void test_tz__threads(void **state)
{
    (void)state;
    pthread_t th[4];
    struct thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].seed = i * 3;
        args[i].errors = 0;
        for (size_t k = 0; k < N_THREAD_CASES; k++) args[i].want[k] = iso(thread_cases[k].utc);
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].errors, 0);
    }
}

static void test_tz__cleanup_then_reuse(void **state)
{
    (void)state;
    assert_int_equal(bc_tz_validate("Europe/Madrid"), 0);
    bc_tz_global_cleanup();
    expect_utc("Europe/Madrid", "2026-12-01", 9, 0, "2026-12-01T08:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tz__validate),
        cmocka_unit_test(test_tz__validate_every_icu_zone),
        cmocka_unit_test(test_tz__date_parse_strict),
        cmocka_unit_test(test_tz__date_helpers),
        cmocka_unit_test(test_tz__hhmm_strict),
        cmocka_unit_test(test_tz__to_utc_plain),
        cmocka_unit_test(test_tz__spring_forward_gap),
        cmocka_unit_test(test_tz__fall_back_first_occurrence),
        cmocka_unit_test(test_tz__day_start),
        cmocka_unit_test(test_tz__from_utc),
        cmocka_unit_test(test_tz__format_iso),
        cmocka_unit_test(test_tz__span_matches_transitions),
        cmocka_unit_test(test_tz__span_agrees_with_direct),
        cmocka_unit_test(test_tz__threads),
        cmocka_unit_test(test_tz__cleanup_then_reuse),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bc_tz_global_cleanup();
    return rc;
}
