/* The claim protocol: how one booking takes its professional's time and one unit of each resource its
 * service requires, all or none, with single-item conditional writes only (docs/booking.md, "Resources and
 * group sessions", states the invariants and their proof).
 *
 * The booking item is the one item that decides: written pending (version 1, "claim_exp") before any claim,
 * confirmed by one write conditional on that version after every claim is in place, or aborted ("failed") by
 * one write conditional on the same version by whoever finds one of its claims expired. The claims are
 * calendar entries marked pending with the booking's claim_exp as expiry (calendar.h), taken in a fixed
 * order: the professional's dates, then each resource (in resource_ids order, sorted) on its UTC dates. */
#ifndef BC_CLAIM_H
#define BC_CLAIM_H
#include <jansson.h>
#include <stdbool.h>

#include "auth/context.h"

struct bc_env;

#define BC_CLAIM_TTL_S 30 /* how long a claim lives before a crashed booking's claims may be taken over */

/* The fate of the booking whose claim (an entry with this id in a calendar of tenant pk) has expired:
 * 1 when the booking is confirmed (or still pending with an unexpired claim_exp: its claim still stands),
 * 0 when it is not and can never be (no such booking, failed, cancelled; or pending with its claim_exp past,
 * which may_abort turns into "failed" with a write conditional on its version, so that its own confirmation
 * fails), or a negative bc_err. Readers pass may_abort false: they never write. */
int bc__claim_resolve(struct bc_env *env, const char *pk, const char *booking_id, bool may_abort);

/* Whether a booking item was made by the claim protocol (it has "claim_exp"). */
bool bc_claim_is(const json_t *item);

/* Takes the claims of the pending booking item (fields: id, provider_id, service_id, busy_from, busy_to,
 * cal_dates, resource_ids, res_dates, claim_exp, capacity) in the fixed order, consuming the hold
 * consume_hold (may be NULL) in the professional's write. BC_ESLOT (msg says what is taken) after releasing
 * whatever it took; a fault point hit leaves everything as a process death there would (BC_EINTERNAL with
 * *crashed). */
int bc_claim_take(struct bc_env *env, const struct bc_ctx *ctx, const json_t *item, const char *consume_hold,
                  char *msg, size_t msgsize, bool *crashed);
/* Makes the claims of a confirmed booking permanent (each write conditional on its item's version). */
int bc_claim_complete(struct bc_env *env, const struct bc_ctx *ctx, const json_t *item, bool *crashed);
/* Removes every entry of the booking from the professional's and the resources' calendars (absent ones are
 * fine): the release on conflict, and a cancellation. */
int bc_claim_release(struct bc_env *env, const struct bc_ctx *ctx, const json_t *item);
/* The UTC dates [from, to) touches (resource calendars are kept by UTC date, the same for every
 * professional's zone). */
int bc_claim_res_dates(int64_t from, int64_t to, char dates[][11], int *n);

#endif
