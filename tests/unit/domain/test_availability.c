/* Unit tests of src/domain/availability: intervals, exceptions, buffers, notice, horizon, step, busy time,
 * DST days in Madrid and New York, professionals in other zones, "any", the slot check, bad input.
 * Every expected slot is written by hand (ISO 8601 with the offset of the requested zone); the comments
 * give the derivation. 2026-03-02 is a Monday; Madrid is +01:00 in winter, +02:00 in summer. */
#include "../testlib.h"

#include "domain/availability.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/tz.h"

static int64_t iso(const char *s)
{
    int64_t t = 0;
    if (bc_time_parse_iso(s, &t) != 0) fail_msg("bad test instant %s", s);
    return t;
}

#define MADRID "Europe/Madrid"
#define NYC    "America/New_York"

/* A query with plain defaults: 30-minute service, 30-minute step, no buffers, no notice, a year ahead,
 * "now" long before the dates tested, requested zone Madrid. */
static struct bc_availability_query query(const char *from, const char *to)
{
    struct bc_availability_query q = {
        .duration_min = 30,
        .slot_step_min = 30,
        .max_days_ahead = 365,
        .now = iso("2026-01-01T00:00:00Z"),
        .from = from,
        .to = to,
        .zone = MADRID,
    };
    return q;
}

static struct bc_availability_pro pro(const char *id, const char *zone,
                                      const struct bc_availability_rule *rules, size_t n_rules)
{
    struct bc_availability_pro p = {.id = id, .zone = zone, .rules = rules, .n_rules = n_rules};
    return p;
}

enum { SHOW_START = 0, SHOW_END = 1, SHOW_PRO = 2 };

/* Runs the computation and renders one line per slot: start [end] [pro]. */
static char *render(const struct bc_availability_query *q, const struct bc_availability_pro *pros, size_t n,
                    int show)
{
    static char out[8192];
    struct bc_arena a;
    bc_arena_init(&a);
    struct bc_availability_slot *s = NULL;
    int rc = bc_availability_compute(q, pros, n, &a, &s);
    if (rc < 0) fail_msg("compute failed: %d", rc);
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < rc; i++) {
        char st[BC_TZ_ISO_SIZE], en[BC_TZ_ISO_SIZE];
        assert_int_equal(bc_tz_format_iso_offset(s[i].start, s[i].start_offset, st, sizeof st), 0);
        assert_int_equal(bc_tz_format_iso_offset(s[i].end, s[i].end_offset, en, sizeof en), 0);
        assert_int_equal(s[i].end - s[i].start, (int64_t)q->duration_min * 60);
        assert_ptr_equal(s[i].pro_id, pros[s[i].pro].id);
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s%s%s%s\n", st, show & SHOW_END ? " " : "",
                                show & SHOW_END ? en : "", show & SHOW_PRO ? " " : "",
                                show & SHOW_PRO ? s[i].pro_id : "");
        assert_true(len < sizeof out);
    }
    bc_arena_release(&a);
    return out;
}

static void test_availability__several_intervals_a_day(void **state)
{
    (void)state;
    /* Monday: 09:00-10:00 and 09:30-10:30 overlap and unite into 09:00-10:30; 11:00-12:00 apart.
     * Tuesday: 16:00-17:00. 30-minute slots every 30 minutes. */
    struct bc_availability_rule r[] = {
        {1, "09:00", "10:00"}, {1, "09:30", "10:30"}, {1, "11:00", "12:00"}, {2, "16:00", "17:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 4);
    struct bc_availability_query q = query("2026-03-02", "2026-03-03");
    assert_string_equal(render(&q, &p, 1, SHOW_END), "2026-03-02T09:00:00+01:00 2026-03-02T09:30:00+01:00\n"
                                                     "2026-03-02T09:30:00+01:00 2026-03-02T10:00:00+01:00\n"
                                                     "2026-03-02T10:00:00+01:00 2026-03-02T10:30:00+01:00\n"
                                                     "2026-03-02T11:00:00+01:00 2026-03-02T11:30:00+01:00\n"
                                                     "2026-03-02T11:30:00+01:00 2026-03-02T12:00:00+01:00\n"
                                                     "2026-03-03T16:00:00+01:00 2026-03-03T16:30:00+01:00\n"
                                                     "2026-03-03T16:30:00+01:00 2026-03-03T17:00:00+01:00\n");
    /* only the requested dates */
    q = query("2026-03-03", "2026-03-03");
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-03T16:00:00+01:00\n"
                                                       "2026-03-03T16:30:00+01:00\n");
    /* a date without rules */
    q = query("2026-03-04", "2026-03-04");
    assert_string_equal(render(&q, &p, 1, SHOW_START), "");
}

static void test_availability__exception_closes_whole_day(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {
        {1, "09:00", "10:00"}, {2, "09:00", "10:00"}, {3, "09:00", "10:00"}, {4, "09:00", "10:00"}};
    /* the professional is off Tuesday and Wednesday */
    struct bc_availability_exception off[] = {
        {"2026-03-03", "2026-03-04", BC_AVAILABILITY_CLOSED, NULL, NULL}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 4);
    p.exceptions = off;
    p.n_exceptions = 1;
    struct bc_availability_query q = query("2026-03-02", "2026-03-05");
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T09:00:00+01:00\n"
                                                       "2026-03-02T09:30:00+01:00\n"
                                                       "2026-03-05T09:00:00+01:00\n"
                                                       "2026-03-05T09:30:00+01:00\n");
    /* and the whole business closes on Thursday (a holiday) */
    struct bc_availability_exception holiday[] = {
        {"2026-03-05", "2026-03-05", BC_AVAILABILITY_CLOSED, NULL, NULL}};
    q.business_exceptions = holiday;
    q.n_business_exceptions = 1;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T09:00:00+01:00\n"
                                                       "2026-03-02T09:30:00+01:00\n");
}

/* A public holiday of the business's place closes the day for everyone, whatever the exceptions say,
 * unless the business opens that date; the check agrees. 2026-12-08 (Tuesday) is a holiday in Spain. */
static void test_availability__public_holiday(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {{1, "09:00", "10:00"}, {2, "09:00", "10:00"}, {3, "09:00", "10:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 3);
    struct bc_availability_query q = query("2026-12-07", "2026-12-09");
    const char *all = "2026-12-07T09:00:00+01:00\n2026-12-07T09:30:00+01:00\n"
                      "2026-12-08T09:00:00+01:00\n2026-12-08T09:30:00+01:00\n"
                      "2026-12-09T09:00:00+01:00\n2026-12-09T09:30:00+01:00\n";
    assert_string_equal(render(&q, &p, 1, SHOW_START), all);
    q.holiday_country = "ES";
    q.holiday_region = "MD";
    const char *closed = "2026-12-07T09:00:00+01:00\n2026-12-07T09:30:00+01:00\n"
                         "2026-12-09T09:00:00+01:00\n2026-12-09T09:30:00+01:00\n";
    assert_string_equal(render(&q, &p, 1, SHOW_START), closed);
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-12-08T08:00:00Z")), BC_ESLOT);
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-12-09T08:00:00Z")), 0);
    int32_t day;
    const char *name = NULL;
    assert_int_equal(bc_tz_date_parse("2026-12-08", &day), 0);
    assert_true(bc_availability_holiday(&q, day, &name));
    assert_string_equal(name, "Inmaculada Concepción");
    assert_false(bc_availability_holiday(&q, day + 1, &name));
    /* an "open" exception does not reopen a holiday (closed wins) */
    struct bc_availability_exception extra[] = {
        {"2026-12-08", "2026-12-08", BC_AVAILABILITY_OPEN, "11:00", "12:00"}};
    p.exceptions = extra;
    p.n_exceptions = 1;
    assert_string_equal(render(&q, &p, 1, SHOW_START), closed);
    /* the business opens that date anyway: its rules and exceptions apply again */
    const char *open[] = {"2026-12-25", "2026-12-08"};
    q.holidays_open = open;
    q.n_holidays_open = 2;
    assert_false(bc_availability_holiday(&q, day, NULL));
    assert_string_equal(render(&q, &p, 1, SHOW_START),
                        "2026-12-07T09:00:00+01:00\n2026-12-07T09:30:00+01:00\n"
                        "2026-12-08T09:00:00+01:00\n2026-12-08T09:30:00+01:00\n"
                        "2026-12-08T11:00:00+01:00\n2026-12-08T11:30:00+01:00\n"
                        "2026-12-09T09:00:00+01:00\n2026-12-09T09:30:00+01:00\n");
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-12-08T08:00:00Z")), 0);
    /* a count without the array is bad input */
    q.holidays_open = NULL;
    struct bc_arena a;
    bc_arena_init(&a);
    struct bc_availability_slot *s = NULL;
    assert_int_equal(bc_availability_compute(&q, &p, 1, &a, &s), BC_EINVALID);
    bc_arena_release(&a);
}

static void test_availability__exception_closes_some_hours(void **state)
{
    (void)state;
    /* 09:00-12:00 minus 09:30-10:20 leaves 09:00-09:30 and 10:20-12:00; the grid restarts at 10:20:
     * 10:20, 10:50, 11:20 (11:50 would end at 12:20, after closing). */
    struct bc_availability_rule r[] = {{1, "09:00", "12:00"}};
    struct bc_availability_exception gap[] = {
        {"2026-03-02", "2026-03-02", BC_AVAILABILITY_CLOSED, "09:30", "10:20"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 1);
    p.exceptions = gap;
    p.n_exceptions = 1;
    struct bc_availability_query q = query("2026-03-02", "2026-03-09");
    /* the next Monday (2026-03-09) is outside the exception: all of 09:00-12:00 */
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T09:00:00+01:00\n"
                                                       "2026-03-02T10:20:00+01:00\n"
                                                       "2026-03-02T10:50:00+01:00\n"
                                                       "2026-03-02T11:20:00+01:00\n"
                                                       "2026-03-09T09:00:00+01:00\n"
                                                       "2026-03-09T09:30:00+01:00\n"
                                                       "2026-03-09T10:00:00+01:00\n"
                                                       "2026-03-09T10:30:00+01:00\n"
                                                       "2026-03-09T11:00:00+01:00\n"
                                                       "2026-03-09T11:30:00+01:00\n");
}

static void test_availability__exception_adds_hours(void **state)
{
    (void)state;
    /* Weekly: Monday 09:00-10:00 only.
     * - Monday 03-02 gets 10:00-11:00 more: united with the rule into 09:00-11:00.
     * - Saturday 03-07 (no rule) opens 10:00-11:00, but 10:30-11:00 is closed again: closed wins.
     * - The business opens Friday 03-06 15:00-16:00 for everybody. */
    struct bc_availability_rule r[] = {{1, "09:00", "10:00"}};
    struct bc_availability_exception mine[] = {
        {"2026-03-02", "2026-03-02", BC_AVAILABILITY_OPEN, "10:00", "11:00"},
        {"2026-03-07", "2026-03-07", BC_AVAILABILITY_OPEN, "10:00", "11:00"},
        {"2026-03-07", "2026-03-07", BC_AVAILABILITY_CLOSED, "10:30", "11:00"},
    };
    struct bc_availability_exception biz[] = {
        {"2026-03-06", "2026-03-06", BC_AVAILABILITY_OPEN, "15:00", "16:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 1);
    p.exceptions = mine;
    p.n_exceptions = 3;
    struct bc_availability_query q = query("2026-03-02", "2026-03-08");
    q.business_exceptions = biz;
    q.n_business_exceptions = 1;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T09:00:00+01:00\n"
                                                       "2026-03-02T09:30:00+01:00\n"
                                                       "2026-03-02T10:00:00+01:00\n"
                                                       "2026-03-02T10:30:00+01:00\n"
                                                       "2026-03-06T15:00:00+01:00\n"
                                                       "2026-03-06T15:30:00+01:00\n"
                                                       "2026-03-07T10:00:00+01:00\n");
}

static void test_availability__service_buffers(void **state)
{
    (void)state;
    /* 09:00-11:00, 30-minute service with 15 minutes before and after, step 30:
     * 09:00 needs 08:45 (closed); 09:30 -> [09:15,10:15) fits; 10:00 -> [09:45,10:45) fits;
     * 10:30 -> [10:15,11:15) does not. The slot's end excludes the buffers. */
    struct bc_availability_rule r[] = {{1, "09:00", "11:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 1);
    struct bc_availability_query q = query("2026-03-02", "2026-03-02");
    q.buffer_before_min = 15;
    q.buffer_after_min = 15;
    assert_string_equal(render(&q, &p, 1, SHOW_END), "2026-03-02T09:30:00+01:00 2026-03-02T10:00:00+01:00\n"
                                                     "2026-03-02T10:00:00+01:00 2026-03-02T10:30:00+01:00\n");
}

static void test_availability__booking_buffers(void **state)
{
    (void)state;
    /* A booking 10:00-11:00 with its own 15-minute after-buffer arrives as busy [10:00, 11:15).
     * 09:00-13:00, 60-minute service, step 30: 09:00 ends at 10:00, touching is fine; 09:30, 10:00, 10:30,
     * 11:00 overlap; 11:30 and 12:00 are free. */
    struct bc_availability_rule r[] = {{1, "09:00", "13:00"}};
    struct bc_availability_busy busy[] = {
        {iso("2026-03-02T10:00:00+01:00"), iso("2026-03-02T11:15:00+01:00")}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 1);
    p.busy = busy;
    p.n_busy = 1;
    struct bc_availability_query q = query("2026-03-02", "2026-03-02");
    q.duration_min = 60;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T09:00:00+01:00\n"
                                                       "2026-03-02T11:30:00+01:00\n"
                                                       "2026-03-02T12:00:00+01:00\n");
    /* The service's 15-minute after-buffer now reaches into the booking from 09:00 ([09:00,10:15)), and
     * 12:00 ([12:00,13:15)) no longer fits before closing. */
    q.buffer_after_min = 15;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T11:30:00+01:00\n");
}

static void test_availability__bookings_block_slots(void **state)
{
    (void)state;
    /* 09:00-12:00, 30-minute slots; a booking 09:30-10:00 and a hold 10:45-11:15, given out of order:
     * 09:00 free, 09:30 taken, 10:00 free, 10:30 and 11:00 overlap the hold, 11:30 free. */
    struct bc_availability_rule r[] = {{1, "09:00", "12:00"}};
    struct bc_availability_busy busy[] = {
        {iso("2026-03-02T10:45:00+01:00"), iso("2026-03-02T11:15:00+01:00")},
        {iso("2026-03-02T09:30:00+01:00"), iso("2026-03-02T10:00:00+01:00")},
    };
    struct bc_availability_pro p = pro("p1", MADRID, r, 1);
    p.busy = busy;
    p.n_busy = 2;
    struct bc_availability_query q = query("2026-03-02", "2026-03-02");
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T09:00:00+01:00\n"
                                                       "2026-03-02T10:00:00+01:00\n"
                                                       "2026-03-02T11:30:00+01:00\n");
    /* Boundaries are half-open: busy [09:00, 10:00) and [10:30, 11:00:01) both touch the 10:00 slot, which
     * stays free; the second one takes 11:00 by one second. */
    struct bc_availability_busy edge[] = {
        {iso("2026-03-02T09:00:00+01:00"), iso("2026-03-02T10:00:00+01:00")},
        {iso("2026-03-02T10:30:00+01:00"), iso("2026-03-02T11:00:01+01:00")}};
    p.busy = edge;
    p.n_busy = 2;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T10:00:00+01:00\n"
                                                       "2026-03-02T11:30:00+01:00\n");
}

static void test_availability__minimum_notice(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {{1, "09:00", "12:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 1);
    struct bc_availability_query q = query("2026-03-02", "2026-03-02");
    /* now 08:50, 60 minutes' notice: nothing before 09:50 */
    q.now = iso("2026-03-02T08:50:00+01:00");
    q.min_notice_min = 60;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T10:00:00+01:00\n"
                                                       "2026-03-02T10:30:00+01:00\n"
                                                       "2026-03-02T11:00:00+01:00\n"
                                                       "2026-03-02T11:30:00+01:00\n");
    /* exactly now + notice is allowed */
    q.now = iso("2026-03-02T10:00:00+01:00");
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T11:00:00+01:00\n"
                                                       "2026-03-02T11:30:00+01:00\n");
    /* the past is never offered, even without notice */
    q.min_notice_min = 0;
    q.now = iso("2026-03-02T11:10:00+01:00");
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T11:30:00+01:00\n");
}

static void test_availability__maximum_days_ahead(void **state)
{
    (void)state;
    /* every day 09:00-10:00; now Monday 09:00, 2 days ahead: up to Wednesday 09:00 included */
    struct bc_availability_rule r[7];
    for (int i = 0; i < 7; i++) r[i] = (struct bc_availability_rule){i + 1, "09:00", "10:00"};
    struct bc_availability_pro p = pro("p1", MADRID, r, 7);
    struct bc_availability_query q = query("2026-03-02", "2026-03-06");
    q.now = iso("2026-03-02T09:00:00+01:00");
    q.max_days_ahead = 2;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T09:00:00+01:00\n"
                                                       "2026-03-02T09:30:00+01:00\n"
                                                       "2026-03-03T09:00:00+01:00\n"
                                                       "2026-03-03T09:30:00+01:00\n"
                                                       "2026-03-04T09:00:00+01:00\n");
    /* a range entirely past the horizon is empty, not an error */
    q = query("2026-03-10", "2026-03-12");
    q.now = iso("2026-03-02T09:00:00+01:00");
    q.max_days_ahead = 2;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "");
}

static void test_availability__slot_step(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {{1, "09:00", "10:00"}, {2, "09:00", "11:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 2);
    struct bc_availability_query q = query("2026-03-02", "2026-03-02");
    q.slot_step_min = 15; /* 30-minute service every 15 minutes: 09:00, 09:15, 09:30 (09:45 ends 10:15) */
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T09:00:00+01:00\n"
                                                       "2026-03-02T09:15:00+01:00\n"
                                                       "2026-03-02T09:30:00+01:00\n");
    q.slot_step_min = 20; /* 15-minute service every 20 minutes */
    q.duration_min = 15;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T09:00:00+01:00\n"
                                                       "2026-03-02T09:20:00+01:00\n"
                                                       "2026-03-02T09:40:00+01:00\n");
    q = query("2026-03-03", "2026-03-03"); /* step 45 over 09:00-11:00: 09:00, 09:45, 10:30 (ends 11:00) */
    q.slot_step_min = 45;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-03T09:00:00+01:00\n"
                                                       "2026-03-03T09:45:00+01:00\n"
                                                       "2026-03-03T10:30:00+01:00\n");
}

static void test_availability__open_until_midnight(void **state)
{
    (void)state;
    /* Monday 22:00-24:00 and Tuesday 00:00-01:00 are one stretch of open time: a 60-minute slot at 23:30
     * ends 00:30 on Tuesday. Only Monday's dates are requested. */
    struct bc_availability_rule r[] = {{1, "22:00", "24:00"}, {2, "00:00", "01:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 2);
    struct bc_availability_query q = query("2026-03-02", "2026-03-02");
    q.duration_min = 60;
    assert_string_equal(render(&q, &p, 1, SHOW_END), "2026-03-02T22:00:00+01:00 2026-03-02T23:00:00+01:00\n"
                                                     "2026-03-02T22:30:00+01:00 2026-03-02T23:30:00+01:00\n"
                                                     "2026-03-02T23:00:00+01:00 2026-03-03T00:00:00+01:00\n"
                                                     "2026-03-02T23:30:00+01:00 2026-03-03T00:30:00+01:00\n");
    p.n_rules = 1; /* without Tuesday's hour, 23:30 does not fit */
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T22:00:00+01:00\n"
                                                       "2026-03-02T22:30:00+01:00\n"
                                                       "2026-03-02T23:00:00+01:00\n");
}

/* Madrid, Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
 * Rule 01:00-04:00 is open from 01:00+01:00 (00:00Z) to 04:00+02:00 (02:00Z): two real hours.
 * Grid every 30 min: 01:00, 01:30, [02:00, 02:30 do not exist], 03:00, 03:30.
 * 60-minute slots: 01:00 (00:00Z-01:00Z, ends 03:00+02:00), 01:30 (00:30Z-01:30Z, ends 03:30+02:00),
 * 03:00 (01:00Z-02:00Z); 03:30 would end 02:30Z, after closing. 09:00-10:00 stays 09:00 on the wall clock
 * on Saturday (+01:00), Sunday and Monday (+02:00). */
static void test_availability__dst_madrid_spring_forward(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {
        {7, "01:00", "04:00"}, {6, "09:00", "10:00"}, {7, "09:00", "10:00"}, {1, "09:00", "10:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 4);
    struct bc_availability_query q = query("2026-03-28", "2026-03-30");
    q.duration_min = 60;
    assert_string_equal(render(&q, &p, 1, SHOW_END), "2026-03-28T09:00:00+01:00 2026-03-28T10:00:00+01:00\n"
                                                     "2026-03-29T01:00:00+01:00 2026-03-29T03:00:00+02:00\n"
                                                     "2026-03-29T01:30:00+01:00 2026-03-29T03:30:00+02:00\n"
                                                     "2026-03-29T03:00:00+02:00 2026-03-29T04:00:00+02:00\n"
                                                     "2026-03-29T09:00:00+02:00 2026-03-29T10:00:00+02:00\n"
                                                     "2026-03-30T09:00:00+02:00 2026-03-30T10:00:00+02:00\n");
    /* A rule starting inside the gap opens when the gap ends: 02:30-04:00 is 03:00+02:00-04:00+02:00 (one
     * real hour). Its grid is 02:30 (does not exist, skipped), 03:00, 03:30; 30-minute slots both fit. */
    struct bc_availability_rule g[] = {{7, "02:30", "04:00"}};
    p = pro("p1", MADRID, g, 1);
    q = query("2026-03-29", "2026-03-29");
    assert_string_equal(render(&q, &p, 1, SHOW_END), "2026-03-29T03:00:00+02:00 2026-03-29T03:30:00+02:00\n"
                                                     "2026-03-29T03:30:00+02:00 2026-03-29T04:00:00+02:00\n");
    /* with a 45-minute step the grid is 02:30 (skipped), 03:15: the grid keeps its wall-clock rhythm */
    q.slot_step_min = 45;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-29T03:15:00+02:00\n");
}

/* Madrid, Sunday 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00Z); 02:00-02:59 happen twice.
 * Rule 01:00-04:00 runs from 01:00+02:00 (23:00Z on the 24th) to 04:00+01:00 (03:00Z): four real hours.
 * Grid: 01:00, 01:30, 02:00, 02:30 (each at its first occurrence, +02:00), 03:00 (+01:00 only), 03:30.
 * 60-minute slots: the one at 02:00+02:00 (00:00Z) ends at 01:00Z, which the wall clock shows as
 * 02:00+01:00; 03:00+01:00 (02:00Z) ends at 04:00+01:00 (03:00Z), the closing; 03:30 does not fit. */
static void test_availability__dst_madrid_fall_back(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {
        {7, "01:00", "04:00"}, {6, "09:00", "10:00"}, {7, "09:00", "10:00"}, {1, "09:00", "10:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 4);
    struct bc_availability_query q = query("2026-10-24", "2026-10-26");
    q.duration_min = 60;
    assert_string_equal(render(&q, &p, 1, SHOW_END), "2026-10-24T09:00:00+02:00 2026-10-24T10:00:00+02:00\n"
                                                     "2026-10-25T01:00:00+02:00 2026-10-25T02:00:00+02:00\n"
                                                     "2026-10-25T01:30:00+02:00 2026-10-25T02:30:00+02:00\n"
                                                     "2026-10-25T02:00:00+02:00 2026-10-25T02:00:00+01:00\n"
                                                     "2026-10-25T02:30:00+02:00 2026-10-25T02:30:00+01:00\n"
                                                     "2026-10-25T03:00:00+01:00 2026-10-25T04:00:00+01:00\n"
                                                     "2026-10-25T09:00:00+01:00 2026-10-25T10:00:00+01:00\n"
                                                     "2026-10-26T09:00:00+01:00 2026-10-26T10:00:00+01:00\n");
}

/* New York, Sunday 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z). Same derivation as Madrid's:
 * 01:00-04:00 is 06:00Z-08:00Z; slots 01:00-05:00 (ends 07:00Z = 03:00-04:00), 01:30-05:00, 03:00-04:00. */
static void test_availability__dst_new_york_spring_forward(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {{7, "01:00", "04:00"}, {6, "09:00", "10:00"}, {7, "09:00", "10:00"}};
    struct bc_availability_pro p = pro("p1", NYC, r, 3);
    struct bc_availability_query q = query("2026-03-07", "2026-03-08");
    q.zone = NYC;
    q.duration_min = 60;
    assert_string_equal(render(&q, &p, 1, SHOW_END), "2026-03-07T09:00:00-05:00 2026-03-07T10:00:00-05:00\n"
                                                     "2026-03-08T01:00:00-05:00 2026-03-08T03:00:00-04:00\n"
                                                     "2026-03-08T01:30:00-05:00 2026-03-08T03:30:00-04:00\n"
                                                     "2026-03-08T03:00:00-04:00 2026-03-08T04:00:00-04:00\n"
                                                     "2026-03-08T09:00:00-04:00 2026-03-08T10:00:00-04:00\n");
}

/* New York, Sunday 2026-11-01: 02:00 EDT goes back to 01:00 EST (06:00Z); 01:00-01:59 happen twice.
 * Rule 00:00-03:00 runs from 00:00-04:00 (04:00Z) to 03:00-05:00 (08:00Z). Grid 00:00, 00:30, 01:00,
 * 01:30 (first occurrences, -04:00), 02:00 (-05:00), 02:30. 60-minute slots: 01:00-04:00 (05:00Z) ends
 * 06:00Z = 01:00-05:00; 02:00-05:00 (07:00Z) ends 08:00Z; 02:30 does not fit. */
static void test_availability__dst_new_york_fall_back(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {{7, "00:00", "03:00"}, {6, "09:00", "10:00"}, {7, "09:00", "10:00"}};
    struct bc_availability_pro p = pro("p1", NYC, r, 3);
    struct bc_availability_query q = query("2026-10-31", "2026-11-01");
    q.zone = NYC;
    q.duration_min = 60;
    assert_string_equal(render(&q, &p, 1, SHOW_END), "2026-10-31T09:00:00-04:00 2026-10-31T10:00:00-04:00\n"
                                                     "2026-11-01T00:00:00-04:00 2026-11-01T01:00:00-04:00\n"
                                                     "2026-11-01T00:30:00-04:00 2026-11-01T01:30:00-04:00\n"
                                                     "2026-11-01T01:00:00-04:00 2026-11-01T01:00:00-05:00\n"
                                                     "2026-11-01T01:30:00-04:00 2026-11-01T01:30:00-05:00\n"
                                                     "2026-11-01T02:00:00-05:00 2026-11-01T03:00:00-05:00\n"
                                                     "2026-11-01T09:00:00-05:00 2026-11-01T10:00:00-05:00\n");
}

static void test_availability__professional_in_other_zone(void **state)
{
    (void)state;
    /* A New York professional works Monday 09:00-10:00 and 20:00-21:00 New York time; the tenant is in
     * Madrid. Before 2026-03-08 New York is -05:00: 09:00 is 14:00Z = 15:00 Madrid, and Monday 20:00 is
     * Tuesday 01:00Z = Tuesday 02:00 Madrid, so it shows on Madrid's Tuesday. */
    struct bc_availability_rule r[] = {{1, "09:00", "10:00"}, {1, "20:00", "21:00"}};
    struct bc_availability_pro p = pro("ny", NYC, r, 2);
    struct bc_availability_query q = query("2026-03-02", "2026-03-03");
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T15:00:00+01:00\n"
                                                       "2026-03-02T15:30:00+01:00\n"
                                                       "2026-03-03T02:00:00+01:00\n"
                                                       "2026-03-03T02:30:00+01:00\n");
    q = query("2026-03-02", "2026-03-02");
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T15:00:00+01:00\n"
                                                       "2026-03-02T15:30:00+01:00\n");
    /* Monday 2026-03-09: New York is on EDT (-04:00), Madrid still on CET: 09:00 NY = 13:00Z = 14:00
     * Madrid; 20:00 NY = Tuesday 00:00Z = Tuesday 01:00 Madrid, outside the requested Monday. */
    q = query("2026-03-09", "2026-03-09");
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-09T14:00:00+01:00\n"
                                                       "2026-03-09T14:30:00+01:00\n");
    /* The other way round: a Madrid professional seen from New York (tz=America/New_York): Madrid 09:00 on
     * 2026-03-02 is 08:00Z = 03:00 in New York. */
    struct bc_availability_rule m[] = {{1, "09:00", "10:00"}};
    p = pro("mad", MADRID, m, 1);
    q = query("2026-03-02", "2026-03-02");
    q.zone = NYC;
    assert_string_equal(render(&q, &p, 1, SHOW_START), "2026-03-02T03:00:00-05:00\n"
                                                       "2026-03-02T03:30:00-05:00\n");
}

static void test_availability__any_professional(void **state)
{
    (void)state;
    /* a: Madrid 09:00-10:00; b: Madrid 09:30-10:30; c: New York 03:00-04:00 (= 09:00-10:00 Madrid).
     * Starts in order; equal starts in the order of the array. */
    struct bc_availability_rule ra[] = {{1, "09:00", "10:00"}}, rb[] = {{1, "09:30", "10:30"}},
                                rc[] = {{1, "03:00", "04:00"}};
    struct bc_availability_pro pros[] = {pro("a", MADRID, ra, 1), pro("b", MADRID, rb, 1),
                                         pro("c", NYC, rc, 1)};
    struct bc_availability_query q = query("2026-03-02", "2026-03-02");
    assert_string_equal(render(&q, pros, 3, SHOW_PRO), "2026-03-02T09:00:00+01:00 a\n"
                                                       "2026-03-02T09:00:00+01:00 c\n"
                                                       "2026-03-02T09:30:00+01:00 a\n"
                                                       "2026-03-02T09:30:00+01:00 b\n"
                                                       "2026-03-02T09:30:00+01:00 c\n"
                                                       "2026-03-02T10:00:00+01:00 b\n");
    q.max_slots = 4;
    assert_string_equal(render(&q, pros, 3, SHOW_PRO), "2026-03-02T09:00:00+01:00 a\n"
                                                       "2026-03-02T09:00:00+01:00 c\n"
                                                       "2026-03-02T09:30:00+01:00 a\n"
                                                       "2026-03-02T09:30:00+01:00 b\n");
    /* no professional: no slots */
    struct bc_arena a;
    bc_arena_init(&a);
    struct bc_availability_slot *s = (void *)1;
    assert_int_equal(bc_availability_compute(&q, NULL, 0, &a, &s), 0);
    assert_null(s);
    bc_arena_release(&a);
}

static void test_availability__check(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {{1, "09:00", "12:00"}, {7, "01:00", "04:00"}};
    struct bc_availability_busy busy[] = {
        {iso("2026-03-02T10:00:00+01:00"), iso("2026-03-02T10:30:00+01:00")}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 2);
    p.busy = busy;
    p.n_busy = 1;
    struct bc_availability_query q = query("2000-01-01", "2000-01-01"); /* range and zone are ignored */
    q.zone = "Not/Used";
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T09:00:00+01:00")), 0);
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T11:30:00+01:00")), 0);
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T09:15:00+01:00")),
                     BC_ESLOT); /* off grid */
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T09:00:30+01:00")), BC_ESLOT);
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T10:00:00+01:00")), BC_ESLOT); /* busy */
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T12:00:00+01:00")), BC_ESLOT); /* closed */
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-03T09:00:00+01:00")), BC_ESLOT); /* Tuesday */
    q.now = iso("2026-03-02T09:10:00+01:00");
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T09:00:00+01:00")), BC_ESLOT); /* past */
    q.min_notice_min = 20;
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T09:30:00+01:00")), 0);
    q.min_notice_min = 21;
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T09:30:00+01:00")), BC_ESLOT);
    q = query("2000-01-01", "2000-01-01");
    q.max_days_ahead = 1;
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T09:00:00+01:00")), BC_ESLOT); /* too far */
    /* DST: the first 02:00 of 2026-10-25 is a slot, the second one (+01:00) is not on the grid; after the
     * spring-forward, 03:00+02:00 is. */
    q = query("2000-01-01", "2000-01-01");
    q.duration_min = 60;
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-10-25T02:00:00+02:00")), 0);
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-10-25T02:00:00+01:00")), BC_ESLOT);
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-29T03:00:00+02:00")), 0);
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-29T01:30:00+01:00")), 0);
    /* bad input is reported as such, not as a taken slot */
    q.duration_min = 0;
    assert_int_equal(bc_availability_check(&q, &p, iso("2026-03-02T09:00:00+01:00")), BC_EINVALID);
    q.duration_min = 60;
    assert_int_equal(bc_availability_check(&q, NULL, iso("2026-03-02T09:00:00+01:00")), BC_EINVALID);
}

static int compute_rc(const struct bc_availability_query *q, const struct bc_availability_pro *p)
{
    struct bc_arena a;
    bc_arena_init(&a);
    struct bc_availability_slot *s;
    int rc = bc_availability_compute(q, p, 1, &a, &s);
    bc_arena_release(&a);
    return rc;
}

static void test_availability__bad_input(void **state)
{
    (void)state;
    struct bc_availability_rule good[] = {{1, "09:00", "10:00"}};
    struct bc_availability_pro p = pro("p1", MADRID, good, 1);
    struct bc_availability_query q = query("2026-03-02", "2026-03-02");
    assert_int_equal(compute_rc(&q, &p), 2);

    /* the range */
    q = query("2026-03-05", "2026-03-02"); /* reversed */
    assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
    q = query("2026-03-01", "2026-05-01"); /* 31 + 30 + 1 = 62 days: the most allowed */
    assert_true(compute_rc(&q, &p) > 0);
    q = query("2026-03-01", "2026-05-02"); /* 63 days */
    assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
    const char *bad_dates[] = {"2026-02-30", "2026-3-02", "", "2026-03-02T00:00", NULL};
    for (size_t i = 0; i < sizeof bad_dates / sizeof *bad_dates; i++) {
        q = query(bad_dates[i], "2026-03-02");
        assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
        q = query("2026-03-02", bad_dates[i]);
        assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
    }
    q = query("2026-03-02", "2026-03-02");
    q.zone = "Mars/Olympus";
    assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
    q.zone = NULL;
    assert_int_equal(compute_rc(&q, &p), BC_EINVALID);

    /* the query's numbers */
    struct {
        int field, value;
    } nums[] = {{0, 0}, {0, 1441}, {1, -1}, {1, 1441}, {2, -1},
                {3, 0}, {3, 1441}, {4, -1}, {5, 0},    {5, 3661}};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        q = query("2026-03-02", "2026-03-02");
        int *f[] = {&q.duration_min,  &q.buffer_before_min, &q.buffer_after_min,
                    &q.slot_step_min, &q.min_notice_min,    &q.max_days_ahead};
        *f[nums[i].field] = nums[i].value;
        assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
    }
    q = query("2026-03-02", "2026-03-02");
    q.now = -1;
    assert_int_equal(compute_rc(&q, &p), BC_EINVALID);

    /* rules */
    struct bc_availability_rule bad_rules[][1] = {
        {{1, "9:00", "10:00"}},  {{1, "09:60", "10:00"}}, {{1, "09:00", "24:01"}}, {{1, "24:00", "24:00"}},
        {{1, "10:00", "10:00"}}, {{1, "11:00", "10:00"}}, {{0, "09:00", "10:00"}}, {{8, "09:00", "10:00"}},
        {{1, NULL, "10:00"}},    {{1, "09:00", NULL}},    {{1, "09:00", "10:00 "}}};
    q = query("2026-03-02", "2026-03-02");
    for (size_t i = 0; i < sizeof bad_rules / sizeof *bad_rules; i++) {
        p = pro("p1", MADRID, bad_rules[i], 1);
        assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
        assert_int_equal(bc_availability_validate_rules(bad_rules[i], 1), BC_EINVALID);
    }
    struct bc_availability_rule midnight[] = {{7, "00:00", "24:00"}};
    assert_int_equal(bc_availability_validate_rules(midnight, 1), 0);

    /* exceptions (the professional's and the business's) */
    struct bc_availability_exception bad_exc[] = {
        {"2026-03-03", "2026-03-02", BC_AVAILABILITY_CLOSED, NULL, NULL},
        {"2026-03-02", "2026-03-02", (enum bc_availability_kind)7, NULL, NULL},
        {"2026-03-02", "2026-03-02", BC_AVAILABILITY_CLOSED, "09:00", NULL},
        {"2026-03-02", "2026-03-02", BC_AVAILABILITY_OPEN, NULL, "10:00"},
        {"2026-03-02", "2026-03-02", BC_AVAILABILITY_OPEN, "10:00", "09:00"},
        {"2026-03-02", "2026-03-02", BC_AVAILABILITY_OPEN, "25:00", "26:00"},
        {"2026-02-30", "2026-03-02", BC_AVAILABILITY_CLOSED, NULL, NULL},
        {NULL, "2026-03-02", BC_AVAILABILITY_CLOSED, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad_exc / sizeof *bad_exc; i++) {
        p = pro("p1", MADRID, good, 1);
        p.exceptions = &bad_exc[i];
        p.n_exceptions = 1;
        assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
        p.n_exceptions = 0;
        q.business_exceptions = &bad_exc[i];
        q.n_business_exceptions = 1;
        assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
        q.n_business_exceptions = 0;
        assert_int_equal(bc_availability_validate_exception(&bad_exc[i]), BC_EINVALID);
    }
    struct bc_availability_exception ok = {"2026-03-02", "2026-03-02", BC_AVAILABILITY_OPEN, "20:00",
                                           "24:00"};
    assert_int_equal(bc_availability_validate_exception(&ok), 0);

    /* busy intervals, professionals */
    struct bc_availability_busy bad_busy[] = {{100, 100}};
    p = pro("p1", MADRID, good, 1);
    p.busy = bad_busy;
    p.n_busy = 1;
    assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
    p = pro(NULL, MADRID, good, 1);
    assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
    p = pro("p1", "Europe/Atlantis", good, 1);
    assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
    p = pro("p1", MADRID, NULL, 1);
    assert_int_equal(compute_rc(&q, &p), BC_EINVALID);
    struct bc_arena a;
    bc_arena_init(&a);
    struct bc_availability_slot *s;
    assert_int_equal(bc_availability_compute(&q, NULL, 1, &a, &s), BC_EINVALID);
    assert_int_equal(bc_availability_compute(NULL, &p, 1, &a, &s), BC_EINVALID);
    bc_arena_release(&a);
}

/* Every slot the computation lists passes the check, and grid starts it does not list fail it
 * (DESIGN NOTES 5), on a busy week with DST, exceptions and buffers. */
static void test_availability__check_agrees_with_compute(void **state)
{
    (void)state;
    struct bc_availability_rule r[] = {{1, "08:00", "13:00"}, {1, "15:00", "19:00"}, {2, "09:00", "17:00"},
                                       {3, "09:00", "17:00"}, {4, "09:00", "14:00"}, {5, "09:00", "14:00"},
                                       {7, "00:00", "05:00"}};
    struct bc_availability_exception e[] = {
        {"2026-10-21", "2026-10-21", BC_AVAILABILITY_CLOSED, "12:00", "13:10"}};
    struct bc_availability_busy busy[] = {
        {iso("2026-10-20T10:00:00+02:00"), iso("2026-10-20T11:05:00+02:00")},
        {iso("2026-10-25T01:45:00+01:00"), iso("2026-10-25T02:10:00+01:00")}};
    struct bc_availability_pro p = pro("p1", MADRID, r, 7);
    p.exceptions = e;
    p.n_exceptions = 1;
    p.busy = busy;
    p.n_busy = 2;
    struct bc_availability_query q = query("2026-10-19", "2026-10-26");
    q.duration_min = 45;
    q.slot_step_min = 15;
    q.buffer_before_min = 5;
    q.buffer_after_min = 10;
    struct bc_arena a;
    bc_arena_init(&a);
    struct bc_availability_slot *s;
    int n = bc_availability_compute(&q, &p, 1, &a, &s);
    assert_true(n > 100);
    int listed = 0;
    for (int64_t t = iso("2026-10-19T00:00:00+02:00"); t < iso("2026-10-27T00:00:00+01:00"); t += 300) {
        int in = listed < n && s[listed].start == t;
        assert_int_equal(bc_availability_check(&q, &p, t), in ? 0 : BC_ESLOT);
        listed += in;
    }
    assert_int_equal(listed, n);
    bc_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_availability__several_intervals_a_day),
        cmocka_unit_test(test_availability__exception_closes_whole_day),
        cmocka_unit_test(test_availability__exception_closes_some_hours),
        cmocka_unit_test(test_availability__exception_adds_hours),
        cmocka_unit_test(test_availability__service_buffers),
        cmocka_unit_test(test_availability__booking_buffers),
        cmocka_unit_test(test_availability__bookings_block_slots),
        cmocka_unit_test(test_availability__minimum_notice),
        cmocka_unit_test(test_availability__maximum_days_ahead),
        cmocka_unit_test(test_availability__slot_step),
        cmocka_unit_test(test_availability__open_until_midnight),
        cmocka_unit_test(test_availability__dst_madrid_spring_forward),
        cmocka_unit_test(test_availability__dst_madrid_fall_back),
        cmocka_unit_test(test_availability__dst_new_york_spring_forward),
        cmocka_unit_test(test_availability__dst_new_york_fall_back),
        cmocka_unit_test(test_availability__professional_in_other_zone),
        cmocka_unit_test(test_availability__any_professional),
        cmocka_unit_test(test_availability__public_holiday),
        cmocka_unit_test(test_availability__check),
        cmocka_unit_test(test_availability__bad_input),
        cmocka_unit_test(test_availability__check_agrees_with_compute),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bc_tz_global_cleanup();
    return rc;
}
