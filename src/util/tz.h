/* Time zones and civil dates: a thin wrapper over ICU's ucal (the IANA tz database ships with ICU; no offset
 * is ever written by hand here), strict "YYYY-MM-DD" / "HH:MM" parsing, and day-number date arithmetic.
 * Thread-safe: every thread keeps its own small cache of ICU calendars.
 *
 * DESIGN NOTES
 * - A civil date is an int32_t day number: days since 1970-01-01 (proleptic Gregorian). Adding days is
 *   integer addition; bc_tz_date_* convert from/to "YYYY-MM-DD" and year/month/day. Accepted years:
 * 1970-2999.
 * - A local wall-clock time is (day number, seconds since local midnight). Instants are UTC epoch seconds.
 * - Local -> UTC: a local time inside a spring-forward gap does not exist (BC_ENOT_FOUND); a local time
 *   repeated by a fall-back means its FIRST occurrence (the earlier instant, still on the offset in force
 *   before the change). bc_tz_next_valid / bc_tz_span_next_valid map a gap time to the instant the gap ends.
 * - A zone name is valid when ICU knows it as a system zone id (case-sensitive: "Europe/Madrid", "UTC",
 *   legacy aliases such as "US/Eastern" too); custom ids like "GMT+05:00" and "Etc/Unknown" are refused.
 * - UCalendar is not thread-safe, and opening one costs ~0.1 ms: each thread caches up to 8 calendars
 *   (least recently used evicted), closed by a pthread key destructor when the thread exits. The main
 *   thread's cache, and ICU's own caches, are freed by bc_tz_global_cleanup().
 * - A span (struct bc_tz_span) holds a zone's offsets over a bounded UTC window, read once from ICU's
 *   transition list, so that hot loops (availability) convert with arithmetic only. Inside its window a
 *   span gives exactly the answers of the direct functions (the fuzz target checks this).
 */
#ifndef BC_TZ_H
#define BC_TZ_H
#include <stddef.h>
#include <stdint.h>

#define BC_TZ_NAME_MAX  63            /* longest accepted zone name (IANA names are at most ~32 characters) */
#define BC_TZ_ISO_SIZE  32            /* buffer size that fits any bc_tz_format_iso* output */
#define BC_TZ_DATE_MIN  0             /* 1970-01-01 */
#define BC_TZ_DATE_MAX  376199        /* 2999-12-31 */
#define BC_TZ_SPAN_MAX  64            /* offset segments a span can hold */
#define BC_TZ_SPAN_SECS (400 * 86400) /* longest window a span covers */

/* A UTC instant seen on a zone's wall clock. */
struct bc_tz_local {
    int32_t day; /* civil date, days since 1970-01-01 */
    int sec;     /* seconds since local midnight, 0..86399 */
    int year, month, mday, hour, minute, second;
    int weekday;    /* 1 = Monday … 7 = Sunday */
    int32_t offset; /* UTC offset in seconds at that instant, east positive (Madrid in winter: 3600) */
};

/* ---- civil dates and wall-clock strings (no ICU) ---- */

/* Parses exactly "YYYY-MM-DD" (a real calendar date, years 1970-2999) into a day number.
 * 0 or BC_EINVALID (then *day is untouched). */
int bc_tz_date_parse(const char *s, int32_t *day);
/* Writes "YYYY-MM-DD" (10 characters + NUL) into out, which must hold at least 11 bytes. */
void bc_tz_date_format(int32_t day, char out[11]);
/* Day number of a calendar date; 0 or BC_EINVALID (not a real date, or out of 1970-2999). */
int bc_tz_date_from_ymd(int year, int month, int mday, int32_t *day);
/* Calendar date of a day number (any value, no range check). */
void bc_tz_date_to_ymd(int32_t day, int *year, int *month, int *mday);
/* Adds n days (negative goes back): plain addition, named for readability at call sites. */
static inline int32_t bc_tz_date_add_days(int32_t day, int32_t n)
{
    return day + n;
}
/* Day of the week of a date: 1 = Monday … 7 = Sunday. */
int bc_tz_weekday(int32_t day);

/* Parses exactly "HH:MM" (00:00-23:59; also "24:00" when allow_24, meaning the end of the day) into
 * minutes since midnight. 0 or BC_EINVALID (then *minutes is untouched). */
int bc_tz_hhmm_parse(const char *s, int allow_24, int *minutes);
/* Writes "HH:MM" (5 characters + NUL) of minutes 0..1440 into out (at least 6 bytes). */
void bc_tz_hhmm_format(int minutes, char out[6]);

/* Writes an instant as ISO 8601 with the given UTC offset: "2026-12-01T09:00:00+01:00" (a zero offset is
 * written "+00:00"; an offset with seconds, found only in pre-1973 history, gets "+HH:MM:SS").
 * out needs BC_TZ_ISO_SIZE bytes; 0 or BC_EINVALID (buffer too small, or year outside 1970-2999). */
int bc_tz_format_iso_offset(int64_t utc, int32_t offset, char *out, size_t size);

/* ---- zones (ICU) ---- */

/* 0 when zone names a time zone ICU knows (see DESIGN NOTES), else BC_EINVALID. NULL is invalid. */
int bc_tz_validate(const char *zone);
/* UTC offset (seconds, east positive) of zone at an instant. 0 or BC_EINVALID (bad zone). */
int bc_tz_offset_at(const char *zone, int64_t utc, int32_t *offset);
/* The instant of local wall-clock time (day, sec) in zone. 0; BC_ENOT_FOUND when that local time does not
 * exist (spring-forward gap); BC_EINVALID for a bad zone, day out of range or sec outside 0..86399.
 * An ambiguous local time (fall-back) gives its first occurrence. */
int bc_tz_to_utc(const char *zone, int32_t day, int sec, int64_t *utc);
/* Like bc_tz_to_utc, but a local time in a gap gives the instant the gap ends (the first valid instant
 * after it) instead of BC_ENOT_FOUND; sec may be 86400 (the start of the next day). */
int bc_tz_next_valid(const char *zone, int32_t day, int sec, int64_t *utc);
/* The first instant of local date day in zone (normally local 00:00; where midnight falls in a gap, e.g.
 * America/Santiago on 2026-09-06, the end of the gap). 0 or BC_EINVALID. */
int bc_tz_day_start(const char *zone, int32_t day, int64_t *utc);
/* An instant on zone's wall clock. 0 or BC_EINVALID. */
int bc_tz_from_utc(const char *zone, int64_t utc, struct bc_tz_local *out);
/* Writes an instant as ISO 8601 with zone's offset at that instant ("2026-12-01T09:00:00+01:00").
 * out needs BC_TZ_ISO_SIZE bytes; 0 or BC_EINVALID. */
int bc_tz_format_iso(const char *zone, int64_t utc, char *out, size_t size);

/* ---- spans: a zone's offsets over a window, for conversions without ICU calls ---- */

/* Segment i covers [start[i], start[i+1]) with UTC offset offset[i]; segment 0 starts at `from`, the last
 * one ends at `to`. Plain data: copy it, keep it on the stack, share it read-only between threads. */
struct bc_tz_span {
    int64_t from, to; /* the UTC window [from, to) the span was loaded for */
    int n;            /* number of segments, 1..BC_TZ_SPAN_MAX */
    int64_t start[BC_TZ_SPAN_MAX];
    int32_t offset[BC_TZ_SPAN_MAX];
};

/* Loads zone's offsets over [from, to) (at most BC_TZ_SPAN_SECS long). 0 or BC_EINVALID (bad zone or
 * window), BC_EINTERNAL if the zone changes offset more than BC_TZ_SPAN_MAX times in the window.
 * The functions below are exact for instants (and local times whose instants fall) inside the window;
 * outside it they extend the first and last segments' offsets, which is only a guess. */
int bc_tz_span_load(const char *zone, int64_t from, int64_t to, struct bc_tz_span *span);
/* UTC offset at an instant. */
int32_t bc_tz_span_offset(const struct bc_tz_span *span, int64_t utc);
/* As bc_tz_to_utc: 0, or BC_ENOT_FOUND for a local time in a gap; ambiguous gives the first occurrence.
 * No range check on day/sec (sec may exceed 86399: it is simply added). */
int bc_tz_span_to_utc(const struct bc_tz_span *span, int32_t day, int sec, int64_t *utc);
/* As bc_tz_next_valid: always succeeds. */
int64_t bc_tz_span_next_valid(const struct bc_tz_span *span, int32_t day, int sec);
/* As bc_tz_from_utc. */
void bc_tz_span_local(const struct bc_tz_span *span, int64_t utc, struct bc_tz_local *out);

/* Closes the calling thread's cached calendars and releases ICU's process-wide caches (u_cleanup), so that
 * leak checkers see a clean exit. Call once at the end of main, after every other thread that used this
 * module has exited (their caches are closed by their exit). The module stays usable afterwards. */
void bc_tz_global_cleanup(void);

#endif
