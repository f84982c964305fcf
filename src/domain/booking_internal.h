/* What the booking files share and nobody else uses: booking.c (create, the commit), booking_hold.c
 * (holds), booking_change.c (cancel, reschedule, staff status) and booking_read.c (look-ups, listing,
 * views, tokens). */
#ifndef BC_BOOKING_INTERNAL_H
#define BC_BOOKING_INTERNAL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"
#include "domain/calendar.h"
#include "domain/schedule.h"

struct bc_env;

#define BC_BOOKING_CODE_LEN 6 /* the customer-facing code, "K7M2QX" */

/* The local dates (in zone) that the busy interval [from, to) touches, at most BC_CAL_MAX_DAYS, into dates
 * (*n of them). BC_EINVALID past that. */
int bc__booking_busy_dates(const char *zone, int64_t from, int64_t to, char dates[][11], int *n);
/* ptrs[i] = dates[i] for i < n; returns ptrs (for the calendar calls, which take const char *const *). */
const char *const *bc__booking_date_ptrs(char dates[][11], int n, const char **ptrs);
/* Checks that start is a bookable time of professional k of the schedule: BC_EINVALID (off the grid,
 * closed, too soon or too far; msg says so) or BC_ESLOT (taken). */
int bc__booking_check_slot(struct bc_schedule *sc, size_t k, int64_t start, char *msg, size_t msgsize);
/* Loads the schedule of a service around one start instant (its local date in the tenant's zone); ignore:
 * an entry id not counted as busy; staff: no minimum notice, no maximum days ahead. */
int bc__booking_load_for(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                         const char *provider_id, int64_t start, const char *ignore, bool staff,
                         struct bc_arena *arena, struct bc_schedule *sc, char *msg, size_t msgsize);
/* The SK of a booking item's listing entry, "BSTART#<start>#<id>" (caller frees; NULL when out of memory). */
char *bc__booking_bstart_sk(json_t *item);
/* Marks the booking item with status and writes it with its code look-up and listing entry, in one store
 * batch (see booking.c). */
int bc__booking_finish(struct bc_env *env, const char *pk, json_t *item, const char *status);

#endif
