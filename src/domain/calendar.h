/* The per-professional-day calendar items (SK "CAL#<provider>#<YYYY-MM-DD>", local dates in the
 * professional's zone): the busy intervals of bookings and holds, and the one conditional write that makes a
 * booking or a hold. See docs/booking.md for why this makes double booking impossible across processes. */
#ifndef BC_CALENDAR_H
#define BC_CALENDAR_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;

#define BC_CAL_MAX_DAYS 3 /* a busy interval touches at most 3 local dates (buffers around midnight) */

struct bc_cal_entry {
    const char *id; /* booking id or hold id */
    bool hold;      /* a hold expires at `expires` */
    int64_t from;   /* busy interval [from, to), epoch seconds, buffers included */
    int64_t to;
    int64_t expires; /* holds only */
    const char *service_id;
    /* The claim protocol and group sessions (docs/booking.md, "Resources and group sessions"); zero: as
     * before. */
    bool pending; /* a claim: live until `expires`, then decided by its booking item (claim.h) */
    int capacity; /* > 1: a seat of a group session of that many seats (sessions.h) */
    const char
        *provider_id; /* resource calendars: the booking's professional (a session is per professional) */
};

struct bc_busy {
    int64_t from, to;
    char id[32];
    bool hold;
    /* a seat of a group session (cap > 1) of service svc with professional pro (resource calendars only) */
    int cap;
    char svc[32];
    char pro[32];
    bool pend; /* a claim (pending until its booking is decided) */
};

/* Frees a parsed date item kept in env->days (env.c). */
void bc__cal_day_free(void *parsed);
/* The date items of the busy look-ups kept between requests (struct bc_env's cal_ranges; calendar.c): NULL
 * when out of memory; bc_kept_free frees it. */
struct bc_kept;
struct bc_kept *bc__cal_ranges_new(void);
/* Busy intervals of a professional recorded on local dates [date_from, date_to] (YYYY-MM-DD), skipping
 * expired holds and the hold named ignore_hold (may be NULL). *out is malloc'd (caller frees). */
int bc_cal_busy(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, const char *date_from,
                const char *date_to, const char *ignore_hold, struct bc_busy **out, size_t *n);
/* Adds e to the calendar items of dates[0..ndates) (in that order), each write conditional on the item's
 * version; if e overlaps a booking or an unexpired hold (other than consume_hold, which is removed in the
 * same write), nothing is kept and BC_ESLOT is returned. */
int bc_cal_commit(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                  const char *const *dates, int ndates, const struct bc_cal_entry *e,
                  const char *consume_hold);
/* bc_cal_commit for an entry on one date, with other writes in the same store batch as the calendar write:
 * pre[0..npre) before it and post[0..npost) after it, in that order (LMDB: one transaction and one sync;
 * a backend without atomic batches writes them one after the other, stopping at the first failure). On
 * BC_ESLOT nothing of the batch was written. A failed condition of an extra write is BC_ECONFLICT with
 * *failed its index in the batch (pre: 0..npre-1, post: npre + 1 + its index in post); the writes before it
 * may or may not have been made. */
struct bc_write;
int bc_cal_commit_with(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                       const char *date, const struct bc_cal_entry *e, const char *consume_hold,
                       const struct bc_write *pre, size_t npre, const struct bc_write *post, size_t npost,
                       size_t *failed);
/* The same for a hold: a lazy write (a hold lost in a machine crash only frees its slot early). */
int bc_cal_commit_hold(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                       const char *const *dates, int ndates, const struct bc_cal_entry *e);
/* Removes the entry with this id from the items of the given dates (absent entries are fine). */
int bc_cal_remove(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                  const char *const *dates, int ndates, const char *id);
/* The calendars of resources (SK "RCAL#<resource>#<YYYY-MM-DD>", UTC dates): the same entries, where up to
 * `quantity` sessions may overlap. The claim protocol (claim.h) writes them. */
#define BC_CAL_PROVIDER "CAL"
#define BC_CAL_RESOURCE "RCAL"
/* bc_cal_busy for the calendar of a resource (kind BC_CAL_RESOURCE) or a professional (BC_CAL_PROVIDER). */
int bc_cal_busy_of(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                   const char *date_from, const char *date_to, const char *ignore, struct bc_busy **out,
                   size_t *n);
/* Adds the pending entry e (e->pending, e->expires) to the calendar items of dates[0..ndates) of owner, in
 * date order. A professional's calendar (quantity 0) takes it when it overlaps nothing but seats of the same
 * session (fewer than e->capacity); a resource's when at every instant of e fewer than quantity other
 * sessions use it (a seat of a session already using it needs no unit). BC_ESLOT (the dates written before
 * are undone) otherwise. */
int bc_cal_claim(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                 const char *const *dates, int ndates, const struct bc_cal_entry *e, int quantity,
                 const char *consume_hold);
/* Makes the pending entry id permanent on these dates (absent entries are fine). */
int bc_cal_complete(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                    const char *const *dates, int ndates, const char *id);
/* bc_cal_remove for either kind of calendar. */
int bc_cal_remove_of(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                     const char *const *dates, int ndates, const char *id);

/* True when the item of one date holds an entry with this id. */
int bc_cal_has(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, const char *date,
               const char *id, bool *found);

#endif
