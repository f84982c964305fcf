/* Deliveries: one e-mail or one webhook call owed by an event (outbox.h), its state and its log, in the
 * tenant's partition ("DELIVERY#<id>"), with a pointer in the outbox queue while it is due.
 *
 * DESIGN NOTES
 * - The item is the truth: status "pending" | "delivered" | "failed", attempts, next_at, the last answer.
 *   Pointers ("<due>#D#<tenant>#<id>") only say when to look; a pointer whose item is no longer pending or
 *   is due at another time is stale and deleted when found, so writing a pointer twice is harmless.
 * - Ids are "<due>.<hash of event id, kind, recipient>": the listing sorts by time, and a fan-out redone
 *   after a crash makes the same ids (created with a not-exists condition).
 * - A claim (bc_delivery_claim) is a version-checked write of lease_until; completing is version-checked
 *   against the claim, so a sender whose lease expired and was taken over cannot overwrite the new
 *   holder's outcome.
 * - Retries: after a failure that may pass, next_at = now + base * 2^(attempts-1) (capped at 4 h) with
 *   ±25 % jitter (base: outbox_retry_base; channel_retry_ms for a chat's answer, which someone awaits),
 *   until 24 h after the delivery was made: then "failed", listed in the admin panel and retryable from
 *   there. Final items are kept for 30 days (ttl). */
#ifndef BC_DELIVERY_H
#define BC_DELIVERY_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_recipient;

#define BC_DELIVERY_KEEP_S (30 * 86400)

/* Timing of retries; the defaults in production, shorter in tests (serve's outbox_retry_base). */
struct bc_delivery_timing {
    int64_t retry_base_s;  /* first retry after about this */
    int64_t give_up_s;     /* failed this long after creation */
    int64_t lease_s;       /* how long a claim holds */
    long channel_retry_ms; /* a channel's answer: first retry after this (channel_retry_ms) */
};
extern const struct bc_delivery_timing bc_delivery_default_timing;

/* Creates the delivery of event ev (an outbox event item, whose "data" the delivery keeps) to r, due at
 * once, with its queue pointer; lang: the message's language. Idempotent: a delivery already made for the
 * same event and recipient is kept (its pointer written again while pending). 0 or a negative bc_err. */
int bc_delivery_create(struct bc_env *env, const struct bc_ctx *ctx, const json_t *ev,
                       const struct bc_recipient *r, const char *lang, const char *webhook_body);
/* Deliveries of kind "channel" (channel_send.h): an answer on WhatsApp or Telegram, a chain of sends
 * [{"op","body"}] made in order ("done": how many went out), to the customer "to" of channel channel_id. */
#define BC_DELIVERY_CHANNEL "channel"
/* Creates one, due at once, id derived from seed (a turn redone after a crash makes the same one and
 * nothing twice); event names what it carries ("channel.answer", "channel.staff_reply", "booking.reminder").
 * Takes sends. Wakes this process's dispatcher. 0 or a negative bc_err. */
int bc_delivery_create_channel(struct bc_env *env, const struct bc_ctx *ctx, const char *seed,
                               const char *event, const char *channel_id, const char *to, json_t *sends);
/* One send of a claimed channel delivery went out: "done" + 1 and the lease renewed, version-checked.
 * *out: the item as now claimed. BC_ECONFLICT when the lease was lost. */
int bc_delivery_advance(struct bc_env *env, const json_t *claimed, int64_t lease_s, json_t **out);
/* The item of a delivery (caller decrefs) or BC_ENOT_FOUND. */
int bc_delivery_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out);
/* Claims a pending delivery for lease_s: *out is the item as claimed (caller decrefs). BC_ECONFLICT when
 * another process holds or took it, BC_ENOT_FOUND, BC_EINVALID when it is not pending. */
int bc_delivery_claim(struct bc_env *env, const struct bc_ctx *ctx, const char *id, int64_t lease_s,
                      json_t **out);
/* Records the outcome of a claimed attempt (claimed: the item bc_delivery_claim returned): delivered, or a
 * failure (permanent: no retry) with status and error. Writes the next pointer when it retries and deletes
 * the pointer old_sk (may be NULL). Sets *final when the delivery is no longer pending. 0, BC_ECONFLICT
 * (the lease was lost), or a negative bc_err. */
int bc_delivery_complete(struct bc_env *env, const struct bc_ctx *ctx, const json_t *claimed, bool ok,
                         bool permanent, long status, const char *error, const struct bc_delivery_timing *t,
                         const char *old_sk, bool *final);
/* Retry from the admin panel: a failed (or pending) delivery due now, attempts kept. *out the view. */
int bc_delivery_retry(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out);
/* A test delivery to a webhook (event "webhook.test"), due now. *out the view. */
int bc_delivery_webhook_test(struct bc_env *env, const struct bc_ctx *ctx, const char *webhook_id,
                             json_t **out);
/* Deliveries of the tenant, newest first, filtered (each filter may be NULL): webhook_id, status, kind
 * ("email" | "webhook"). Views. */
int bc_delivery_list(struct bc_env *env, const struct bc_ctx *ctx, const char *webhook_id, const char *status,
                     const char *kind, int limit, const char *cursor, json_t **items, char **next_cursor);
/* The API view of a delivery item (no message data). */
json_t *bc_delivery_view(const json_t *item);

#endif
