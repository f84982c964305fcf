/* The expansion of an external calendar (an ICS file a professional's own calendar service publishes) into
 * busy intervals: pure, no store, no network. libical parses the file and iterates its recurrence rules.
 *
 * DESIGN NOTES
 * - Busy: every VEVENT whose TRANSP is not TRANSPARENT and whose STATUS is not CANCELLED. Recurring events
 *   follow RRULE and RDATE minus EXDATE; an override (same UID, a RECURRENCE-ID) replaces the occurrence it
 *   names (moved), and removes it when itself cancelled or transparent.
 * - Times: a TZID resolves to the file's VTIMEZONE of that name, else to the IANA zone of that name
 *   (libical's builtin zones), else the time counts as floating; floating times and all-day events (DATE
 *   values: the whole local days) are read in the tenant's zone. DST changes follow from the zones.
 * - Bounded work: a file over BC_EXTCAL_MAX_BYTES never reaches the parser; one rule takes at most
 *   BC_EXTCAL_MAX_STEPS steps of its iterator (a FREQ=MINUTELY rule without an end cannot spin); more than
 *   BC_EXTCAL_MAX_INTERVALS busy intervals in the window is an error. A file past a limit is refused whole
 *   (the caller keeps its last good copy) rather than half read. */
#ifndef BC_EXTCAL_PARSE_H
#define BC_EXTCAL_PARSE_H
#include <stddef.h>
#include <stdint.h>

#define BC_EXTCAL_MAX_BYTES     (2u << 20) /* 2 MiB of ICS */
#define BC_EXTCAL_MAX_STEPS     20000      /* iterator steps of one recurrence rule */
#define BC_EXTCAL_MAX_INTERVALS 5000       /* busy intervals in the window, before merging */

struct bc_extcal_iv {
    int64_t from, to; /* [from, to), epoch seconds */
};

/* Expands the ICS text (len bytes, NUL-terminated) over [from, to): the busy intervals that overlap it,
 * sorted and merged, in *out (malloc'd; NULL when none) and *n. zone: the tenant's IANA zone, for floating
 * times and all-day events (NULL or unknown: UTC). *events: the number of busy occurrences found (before
 * merging). 0, or BC_EINVALID (not iCalendar), BC_ETOO_LARGE (over a limit) with a one-line err. */
int bc_extcal_expand(const char *ics, size_t len, const char *zone, int64_t from, int64_t to,
                     struct bc_extcal_iv **out, size_t *n, size_t *events, char *err, size_t errsize);

#endif
