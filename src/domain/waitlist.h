/* The waitlist (PRODUCT.md section 17): customers who found a day (or a window of it) full wait for a time
 * to free up; when one does (a cancellation, a reschedule away from it, an exception removed), the first
 * waiting entry that it suits gets an offer: the time held for waitlist_offer_min minutes under a hold of
 * booking.h, an e-mail and a webhook (waitlist.offered) through the outbox, and a line in its open chat.
 * Accepting books the held time; silence passes it to the next entry. docs/waitlist.md tells the flow.
 *
 * DESIGN NOTES
 * - Items (PK TENANT#<id>): the entry "WAIT#<date>#<id>" (date: the tenant's local date wished for; ids are
 *   ULIDs, so a date's entries list in the order they joined), its look-up "WAITID#<id>" -> date, and for
 *   each offer a timer in the global queue PK "WAITQ", SK "<expires, 11 digits>#<tenant>#<id>". All carry a
 *   ttl two days after the date.
 * - One freed time goes to one customer at a time: an offer is a hold (the calendar's conditional write)
 *   taken before the entry is marked offered with a version-checked update; the hold makes every direct
 *   booking of that time fail with slot_unavailable until the hold expires or is consumed, and the next
 *   entry's search no longer sees the time. A lost race on the entry gives the hold back.
 * - The offer's intent (outbox.h) is written before the entry's update, which carries the event id, so the
 *   dispatcher sends it only if the offer was made.
 * - The accept token is an HMAC of tenant, entry and the offer's hold id under the server secret: never
 *   stored, different for each offer, compared in constant time. Accepting claims the entry (offered ->
 *   accepting, version-checked), books with the hold and an Idempotency-Key of the offer (a retry after a
 *   crash gets the same booking), then marks it booked. Twice: 409; after expiry: 410.
 * - Expiry: the worker (bc_waitlist_work, every second in each serve process) claims due timers with a
 *   version-checked lease, marks the entry expired if its offer is still open past its time, lets the hold
 *   go and offers the date again (the next entry). Each step is idempotent, so a timer processed twice
 *   after a crash changes nothing more. */
#ifndef BC_WAITLIST_H
#define BC_WAITLIST_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;

#define BC_WAITLIST_DAY_MAX           200 /* waiting entries of one tenant on one date */
#define BC_WAITLIST_CONTACT_DAY_MAX   3   /* entries of one contact on one date */
#define BC_WAITLIST_OFFER_MIN_DEFAULT 15  /* the tenant setting booking.waitlist_offer_min */

struct bc_waitlist_in {
    const char *service_id;
    const char *provider_id; /* an id, or NULL / "any" */
    const char *date;        /* YYYY-MM-DD, the tenant's local date */
    const char *from, *to;   /* the window "HH:MM" (local), or NULL for the whole day */
    const char *name, *email, *phone;
    const char *lang;    /* "es" | "en" | NULL */
    const char *conv_id; /* the conversation it joined from, or NULL */
    const char *source;  /* "widget" | "chat" */
};

/* Joins: 0 with *out the entry's view {"id","status":"waiting",…} (caller decrefs); BC_EINVALID (msg) for
 * bad input (a past date, a window that is not HH:MM..HH:MM, no contact); BC_ENOT_FOUND (msg) for an
 * unknown service or professional; BC_EPLAN when the date or the contact has too many entries. */
int bc_waitlist_join(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_waitlist_in *in, char *msg,
                     size_t msgsize, json_t **out);
/* The stored entry item of id (its look-up names its date; caller decrefs). BC_ENOT_FOUND. */
int bc_waitlist_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out);
/* The entries of one date in the order they joined, as views (*items: caller decrefs). */
int bc_waitlist_list(struct bc_env *env, const struct bc_ctx *ctx, const char *date, json_t **items);
/* Staff remove an entry: it is marked removed and an open offer's hold let go (the date is then offered
 * again). BC_ENOT_FOUND. */
int bc_waitlist_remove(struct bc_env *env, const struct bc_ctx *ctx, const char *id);
/* Time may have freed up on date (the tenant's local "YYYY-MM-DD"): offers free times to waiting entries
 * of that date, first come first served. Returns the number of offers made, or a negative bc_err. Cheap
 * when nobody waits (one query). */
int bc_waitlist_freed(struct bc_env *env, const struct bc_ctx *ctx, const char *date);
/* The same for every date of [from, to] (at most 62 dates). Errors are logged, not returned. */
void bc_waitlist_freed_range(struct bc_env *env, const struct bc_ctx *ctx, const char *from, const char *to);
/* Accepts the offer of entry id with its token: 0 with *booking the booking's view (with its manage token);
 * BC_ENOT_FOUND (no such entry, no offer, or a wrong token); BC_ECONFLICT (already accepted, or being
 * accepted); BC_EGONE (the offer expired or the entry was removed); the booking's own errors. */
int bc_waitlist_accept(struct bc_env *env, const struct bc_ctx *ctx, const char *id, const char *token,
                       int64_t monthly_limit, char *msg, size_t msgsize, json_t **booking);
/* The accept token of an offer: "<tenant b64url>.<mac b64url>" (caller frees). */
char *bc_waitlist_token(const char *tenant_id, const char *entry_id, const char *hold_id);
/* The accept page's link of an offer: "<base>/manage/?waitlist=<id>&token=<token>" (base NULL: the path
 * alone). Caller frees. */
char *bc_waitlist_accept_url(const char *base, const char *tenant_id, const char *entry_id,
                             const char *hold_id);
/* The tenant a token names (not yet verified: bc_waitlist_accept checks the MAC). 0 or BC_EUNAUTHORIZED. */
int bc_waitlist_token_tenant(const char *token, char *tenant, size_t size);
/* One pass of the expiry worker over due timers (at most max). Returns how many it processed. */
int bc_waitlist_work(struct bc_env *env, int max);
/* The API view of an entry item (caller decrefs). */
json_t *bc_waitlist_view(const json_t *item);

/* ---- pure parts (unit-tested) ---- */

/* The window of an entry in local minutes [from, to); the whole day (0, 1440) without one. */
struct bc_waitlist_want {
    const char *service_id;
    const char *provider_id; /* NULL: any professional */
    int from_min, to_min;
};
/* True when a slot of service_id with professional provider_id, local start minute start_min and end
 * minute end_min (end_min may be 1440 at midnight) suits the entry: same service, its professional (if it
 * named one), and the slot lies within the window. */
bool bc_waitlist_matches(const struct bc_waitlist_want *w, const char *service_id, const char *provider_id,
                         int start_min, int end_min);
/* Parses a window ("HH:MM", "HH:MM"; both NULL: the whole day) into minutes. 0, or BC_EINVALID when one is
 * missing, malformed, or from is not before to. */
int bc_waitlist_window(const char *from, const char *to, int *from_min, int *to_min);

#endif
