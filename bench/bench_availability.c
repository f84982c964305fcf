/* Micro-benchmark of the availability computation: one professional with a realistic week (split shifts,
 * a Saturday morning, exceptions, ~6 bookings a working day) over 7 and 28 days, "any" of 3 professionals,
 * and the single-start check of the booking commit. Prints microseconds per call. Target: < 300 µs for
 * one professional over 7 days. Usage: bench_availability [iterations] */
#include "domain/availability.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>

static const struct bc_availability_rule rules[] = {
    {1, "09:00", "14:00"}, {1, "16:00", "20:00"}, {2, "09:00", "14:00"}, {2, "16:00", "20:00"},
    {3, "09:00", "14:00"}, {3, "16:00", "20:00"}, {4, "09:00", "14:00"}, {4, "16:00", "20:00"},
    {5, "09:00", "15:00"}, {6, "10:00", "14:00"},
};
static const struct bc_availability_exception exceptions[] = {
    {"2026-03-05", "2026-03-05", BC_AVAILABILITY_CLOSED, "11:00", "12:30"},
    {"2026-03-14", "2026-03-14", BC_AVAILABILITY_OPEN, "16:00", "19:00"},
    {"2026-03-19", "2026-03-20", BC_AVAILABILITY_CLOSED, NULL, NULL},
};
static const struct bc_availability_exception holidays[] = {
    {"2026-03-27", "2026-03-27", BC_AVAILABILITY_CLOSED, NULL, NULL},
};

#define MAX_BUSY 256

/* ~6 bookings of 30-60 minutes (+10 min after-buffer) per working day, deterministic. */
static size_t make_busy(struct bc_availability_busy *busy, const char *zone)
{
    size_t n = 0;
    int32_t first;
    bc_tz_date_parse("2026-03-02", &first);
    unsigned seed = 12345;
    for (int32_t d = first; d < first + 30 && n + 8 < MAX_BUSY; d++) {
        if (bc_tz_weekday(d) > 5) continue;
        for (int k = 0; k < 6; k++) {
            seed = seed * 1103515245u + 12345u;
            int minute = (k < 3 ? 9 * 60 : 16 * 60) + (int)(k % 3) * 80 + (int)(seed >> 16) % 3 * 15;
            int len = 30 + (int)((seed >> 8) % 3) * 15;
            int64_t s;
            if (bc_tz_to_utc(zone, d, minute * 60, &s) < 0) continue;
            busy[n++] = (struct bc_availability_busy){s, s + (len + 10) * 60};
        }
    }
    return n;
}

static double run(const struct bc_availability_query *q, const struct bc_availability_pro *pros,
                  size_t n_pros, int iters, int *slots)
{
    struct bc_arena a;
    bc_arena_init(&a);
    struct bc_availability_slot *s;
    *slots = bc_availability_compute(q, pros, n_pros, &a, &s); /* warm the calendar cache */
    bc_arena_release(&a);
    if (*slots < 0) {
        fprintf(stderr, "compute failed: %d\n", *slots);
        exit(1);
    }
    int64_t t0 = bc_mono_ns();
    for (int i = 0; i < iters; i++) {
        bc_arena_init(&a);
        if (bc_availability_compute(q, pros, n_pros, &a, &s) != *slots) exit(1);
        bc_arena_release(&a);
    }
    return (double)(bc_mono_ns() - t0) / iters / 1000.0;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 2000;
    if (iters < 1) iters = 1;
    static struct bc_availability_busy busy[3][MAX_BUSY];
    const char *zones[3] = {"Europe/Madrid", "Europe/Madrid", "America/New_York"};
    struct bc_availability_pro pros[3];
    for (int i = 0; i < 3; i++) {
        pros[i] = (struct bc_availability_pro){
            .id = i == 0   ? "p0"
                  : i == 1 ? "p1"
                           : "p2",
            .zone = zones[i],
            .rules = rules,
            .n_rules = sizeof rules / sizeof *rules,
            .exceptions = exceptions,
            .n_exceptions = sizeof exceptions / sizeof *exceptions,
            .busy = busy[i],
            .n_busy = make_busy(busy[i], zones[i]),
        };
    }
    struct bc_availability_query q = {
        .duration_min = 30,
        .buffer_after_min = 10,
        .slot_step_min = 15,
        .min_notice_min = 120,
        .max_days_ahead = 60,
        .business_exceptions = holidays,
        .n_business_exceptions = 1,
        .zone = "Europe/Madrid",
    };
    bc_time_parse_iso("2026-03-02T07:00:00Z", &q.now);

    int slots;
    q.from = "2026-03-02";
    q.to = "2026-03-08";
    double us7 = run(&q, pros, 1, iters, &slots);
    printf("availability 1 professional,  7 days: %7.1f us/call (%d slots, %zu busy intervals)\n", us7, slots,
           pros[0].n_busy);
    q.to = "2026-03-29";
    double us28 = run(&q, pros, 1, iters, &slots);
    printf("availability 1 professional, 28 days: %7.1f us/call (%d slots)\n", us28, slots);
    q.holiday_country = "ES"; /* the public holidays of Madrid looked up for every day built */
    q.holiday_region = "MD";
    double hol28 = run(&q, pros, 1, iters, &slots);
    printf("availability 1 professional, 28 days, holidays ES-MD: %7.1f us/call (%d slots)\n", hol28, slots);
    q.holiday_country = q.holiday_region = NULL;
    q.to = "2026-03-08";
    double any7 = run(&q, pros, 3, iters, &slots);
    printf("availability 3 professionals (any), 7 days: %7.1f us/call (%d slots)\n", any7, slots);

    /* the check of a start that is free (the 10th slot listed), the common case at booking time */
    struct bc_arena a;
    bc_arena_init(&a);
    struct bc_availability_slot *s;
    if (bc_availability_compute(&q, pros, 1, &a, &s) < 10) return 1;
    int64_t start = s[9].start;
    bc_arena_release(&a);
    int rc = bc_availability_check(&q, &pros[0], start);
    if (rc != 0) return 1;
    int64_t t0 = bc_mono_ns();
    for (int i = 0; i < iters; i++)
        if (bc_availability_check(&q, &pros[0], start) != rc) return 1;
    printf("check one free start: %7.1f us/call\n", (double)(bc_mono_ns() - t0) / iters / 1000.0);
    bc_tz_global_cleanup();
    return us7 < 300.0 ? 0 : 1;
}
