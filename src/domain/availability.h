/* Availability: the free slots of one or several professionals for one service over a range of local dates,
 * computed from weekly rules, exceptions and busy intervals. A pure computation: no store, no HTTP, no clock
 * (the caller passes "now"); time zones come from util/tz (ICU). docs/booking.md states the rules in prose.
 *
 * DESIGN NOTES (the invariants; tests/unit/domain/test_availability.c checks each)
 * 1. Rules and exceptions are wall-clock times in the PROFESSIONAL's zone. Per local date d, open time is
 *    (weekly intervals of d's weekday ∪ "open" exceptions covering d) − "closed" exceptions covering d,
 *    business-wide exceptions included: closed wins over open. An exception without start/end is all day.
 *    A public holiday of the business's place closes all of d (unless the business opens that date).
 * 2. Each resulting local interval [a, b) of d becomes the real interval [instant(d, a), instant(d, b)),
 *    where instant() takes the first occurrence of a repeated time and the end of the gap for a skipped one.
 *    So "09:00–17:00" is 09:00 to 17:00 on the wall clock on both sides of a DST change (8 real hours);
 *    on the change day an interval crossing the change lasts an hour less or more.
 * 3. Slot starts step by slot_step_min on the WALL CLOCK from the start a of each interval of 2.
 *    a, a+step, … while < b. A start that does not exist locally (gap) is skipped; a repeated one means its
 *    first occurrence only. An interval split by a partial "closed" exception restarts the grid after it.
 * 4. A start s is a free slot iff all of:
 *    - [s − buffer_before, s + duration + buffer_after) lies inside ONE open real interval (adjacent
 *      intervals, also across midnight, are merged first);
 *    - that widened interval overlaps no busy interval (half-open: touching is fine; busy intervals arrive
 *      already widened by their own bookings' buffers);
 *    - s >= now + min_notice and s <= now + max_days_ahead × 86400 s (a rolling window, zone-independent);
 *    - (compute only) s falls on one of the requested local dates from..to in the requested zone.
 * 5. bc_availability_check(s) == 0 exactly when bc_availability_compute lists s for that professional for
 *    the date of s (both run the same code; the fuzz target checks the equivalence).
 * 6. Output is in start order; equal starts are in the order of the professionals array. Offsets are those
 *    of the requested zone at each slot's start and end (they differ when a slot crosses a DST change).
 */
#ifndef BC_AVAILABILITY_H
#define BC_AVAILABILITY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

#define BC_AVAILABILITY_MAX_RANGE_DAYS 62 /* most local dates one compute may cover (from..to inclusive) */

/* One weekly interval: weekday 1 = Monday … 7 = Sunday; start "HH:MM" (00:00–23:59), end "HH:MM" with
 * end > start ("24:00" allowed as an end: open until midnight). Several per weekday may overlap: they are
 * united. Strings are borrowed for the duration of the call. */
struct bc_availability_rule {
    int weekday;
    const char *start;
    const char *end;
};

enum bc_availability_kind {
    BC_AVAILABILITY_CLOSED = 0, /* subtracts time (holiday, time off, a closed afternoon) */
    BC_AVAILABILITY_OPEN = 1,   /* adds time (extra opening hours) */
};

/* An exception over the local dates from..to ("YYYY-MM-DD", inclusive, from <= to). start/end both NULL:
 * the whole day; both set: "HH:MM" with end > start ("24:00" allowed as an end), on each of those days. */
struct bc_availability_exception {
    const char *from;
    const char *to;
    enum bc_availability_kind kind;
    const char *start;
    const char *end;
};

/* A busy UTC interval [start, end) in epoch seconds (end > start): a confirmed booking or an active hold,
 * already widened by its own buffer_before/after. Order does not matter; overlaps are fine. */
struct bc_availability_busy {
    int64_t start;
    int64_t end;
    /* > 0: a group session of the queried service with this many seats taken and some left: a slot whose
     * widened interval is exactly [start, end) joins it (q->capacity); any other overlapping slot is busy */
    int seats_taken;
};

/* One professional. Everything is borrowed for the duration of the call. */
struct bc_availability_pro {
    const char *id;   /* echoed in each slot, not interpreted */
    const char *zone; /* IANA zone of the professional's rules and exceptions ("Europe/Madrid") */
    const struct bc_availability_rule *rules;
    size_t n_rules;
    const struct bc_availability_exception *exceptions; /* this professional's own */
    size_t n_exceptions;
    const struct bc_availability_busy *busy;
    size_t n_busy;
};

/* The service, the tenant's booking rules, business-wide exceptions, and the range. Limits are checked
 * (BC_EINVALID outside them). */
struct bc_availability_query {
    int duration_min;      /* service duration, 1..1440 */
    int buffer_before_min; /* service buffers, 0..1440 each; must fit in open time too (DESIGN NOTES 4) */
    int buffer_after_min;
    int slot_step_min;  /* tenant's slot step, 1..1440 */
    int min_notice_min; /* 0..527040 (366 days) */
    int max_days_ahead; /* 1..3660 */
    int64_t now;        /* UTC epoch seconds */
    /* exceptions of the whole business (provider_id null), applied to every professional in its own zone */
    const struct bc_availability_exception *business_exceptions;
    size_t n_business_exceptions;
    /* the business's public holidays (domain/holidays.h; holiday_country NULL: none): a holiday closes the
     * whole local day for every professional, whatever the exceptions say, unless its date
     * ("YYYY-MM-DD") is in holidays_open */
    const char *holiday_country;
    const char *holiday_region;
    const char *const *holidays_open;
    size_t n_holidays_open;
    /* compute only (check ignores them): local dates from..to inclusive ("YYYY-MM-DD", at most
     * BC_AVAILABILITY_MAX_RANGE_DAYS days) in zone (the requested zone, else pass the tenant's) */
    const char *from;
    const char *to;
    const char *zone;
    size_t max_slots; /* compute only: keep the first max_slots slots; 0 = no limit */
    int capacity;     /* seats of the service (0 or 1: not a group session) */
};

/* One free slot. */
struct bc_availability_slot {
    int64_t start;        /* UTC epoch seconds */
    int64_t end;          /* start + duration (buffers not included) */
    int32_t start_offset; /* UTC offset of the requested zone at start, seconds: format with
                             bc_tz_format_iso_offset(start, start_offset, …) → "2026-12-01T09:00:00+01:00" */
    int32_t end_offset;   /* … and at end */
    size_t pro;           /* index into the professionals array */
    const char *pro_id;   /* pros[pro].id (borrowed from the caller) */
    int seats_left;       /* q->capacity > 1: seats still free in this session (else 0) */
};

/* The free slots of n_pros professionals ("any": pass them all; 1 for a given professional) for q.
 * Returns the number of slots (>= 0) and sets *slots to an array allocated from arena (valid until
 * bc_arena_release; NULL when there are none), or BC_EINVALID (any bad input: zone, dates reversed or over
 * BC_AVAILABILITY_MAX_RANGE_DAYS, malformed "HH:MM"/"YYYY-MM-DD", rule end <= start, weekday outside 1..7,
 * busy end <= start, limits of the query, pro id NULL), or BC_ENOMEM. Nothing is allocated on error that
 * outlives the arena. Fast enough to call per request: about 7 µs for one professional over 7 days, 20 µs
 * over 28 (bench/bench_availability.c), after the thread's first use of a zone (~0.1 ms to open its
 * calendar). */
int bc_availability_compute(const struct bc_availability_query *q, const struct bc_availability_pro *pros,
                            size_t n_pros, struct bc_arena *arena, struct bc_availability_slot **slots);

/* Whether start (UTC epoch seconds) is a free slot of professional pro for q, ignoring q->from, q->to,
 * q->zone and q->max_slots: the booking commit calls it with the professional's current busy intervals
 * (excluding the hold being consumed). 0 when it is; BC_ESLOT when it is not (off the grid, not open,
 * busy, too soon, too far ahead); BC_EINVALID for bad input as above; BC_ENOMEM. */
int bc_availability_check(const struct bc_availability_query *q, const struct bc_availability_pro *pro,
                          int64_t start);

/* Whether local date day (util/tz day number) is closed by a public holiday for q: a holiday of its place
 * that is not in q->holidays_open; *name gets the holiday's name (static). */
bool bc_availability_holiday(const struct bc_availability_query *q, int32_t day, const char **name);

/* Validation for writes (admin API), with the same rules as the computation: 0 or BC_EINVALID. */
int bc_availability_validate_rules(const struct bc_availability_rule *rules, size_t n);
int bc_availability_validate_exception(const struct bc_availability_exception *e);

#endif
