/* The one clock of bookchat. Tests may shift it with BOOKCHAT_TEST_NOW=<epoch seconds> (the clock then
 * starts at that instant and runs on), so that date-dependent behaviour is reproducible. */
#ifndef BC_CLOCK_H
#define BC_CLOCK_H
#include <stdint.h>

/* Reads BOOKCHAT_TEST_NOW once; call early in main (safe to call again). */
void bc_clock_init(void);
/* Moves the clock forward by seconds (tests only, through a test hook: expiry, repair, retention). */
void bc_clock_advance(int64_t seconds);
/* Wall-clock time, possibly shifted for tests. */
int64_t bc_now_ms(void);
int64_t bc_now_s(void);
/* Monotonic time for measuring durations, in nanoseconds. */
int64_t bc_mono_ns(void);
/* Formats epoch seconds as RFC 3339 UTC ("2026-12-01T08:00:00Z") into out (at least 21 bytes). */
void bc_time_format_utc(int64_t epoch_s, char *out, unsigned long size);
/* The current time as RFC 3339 UTC with milliseconds ("2026-12-01T08:00:00.123Z") into out[32]. */
void bc_now_iso(char out[32]);
/* Parses RFC 3339 / ISO 8601 "YYYY-MM-DDTHH:MM[:SS][.fff](Z|±HH:MM)"; 0 or BC_EINVALID. */
int bc_time_parse_iso(const char *s, int64_t *epoch_s);

#endif
