/* The outbox: events that must leave the system (e-mails, webhook calls) as store items, so that a change
 * acknowledged to a user always gets its notifications, whatever process dies when (docs/notifications.md).
 *
 * DESIGN NOTES
 * - An event is an intent item in a queue partition ("OUTBOX#<shard>", SK "<due>#E#<tenant>#<event id>"),
 *   written BEFORE the write that decides the change (the booking's calendar commit, its version-checked
 *   update, the conversation's hand-off), carrying a snapshot of what the notification says. The deciding
 *   write marks its item with the event id ("events": the last ids, on the booking or conversation), so
 *   that on any backend, with or without atomic batches, a crash leaves either an intent whose change did
 *   not happen (dropped when processed: the id is not on the item) or a change with its intent (sent). On
 *   LMDB the intent joins the booking's batch (one transaction); on DynamoDB it is the write before.
 * - Reminders are intents too, due before the booking's start, valid while the booking is confirmed at the
 *   start they were made for: a reschedule writes new ones and leaves the old ones to be dropped, a
 *   cancellation drops them all, without a write to find and delete them.
 * - Processing an event (dispatch.c) fans it out into deliveries: one item per e-mail or webhook call in
 *   the tenant's partition ("DELIVERY#<id>", the truth: status, attempts, the log) and a pointer due in
 *   the queue ("<due>#D#<tenant>#<id>"). Delivery ids derive from the event id and the recipient, so a
 *   fan-out redone after a crash creates nothing twice.
 * - Every claim is a conditional write on the item's version with a lease (lease_until): N processes on
 *   one table process each event and send each delivery once in the normal path, at least once after a
 *   crash (a lease that expires because its holder died).
 * - Usage notices (limit near / reached) are deduplicated per tenant, counter and month by a marker item
 *   written with a not-exists condition. */
#ifndef BC_OUTBOX_H
#define BC_OUTBOX_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_write;

#define BC_OUTBOX_SHARDS    4  /* queue partitions, so that one hot PK does not carry every tenant */
#define BC_OUTBOX_BATCH_MAX 8  /* intent items of one change: the event and up to 7 reminders */
#define BC_EVENTS_KEPT      16 /* event ids an item remembers */

/* Event types (PRODUCT.md section 11). */
#define BC_EV_BOOKING_CREATED     "booking.created"
#define BC_EV_BOOKING_CANCELLED   "booking.cancelled"
#define BC_EV_BOOKING_RESCHEDULED "booking.rescheduled"
#define BC_EV_BOOKING_REMINDER    "booking.reminder"
#define BC_EV_HANDOFF             "conversation.handoff"
#define BC_EV_LIMIT_NEAR          "usage.limit_near"
#define BC_EV_LIMIT_REACHED       "usage.limit_reached"
#define BC_EV_WAITLIST_OFFERED    "waitlist.offered" /* domain/waitlist.h */
/* Internal, never a webhook's: an inbound WhatsApp or Telegram message whose turn is owed (channel_run.h) */
#define BC_EV_CHANNEL_MESSAGE "channel.message"
/* True for one of the eight names above. */
bool bc_event_type_known(const char *type);

/* The intent items of one change, written before the change (bc_outbox_put) or inside its batch. */
struct bc_outbox_batch {
    json_t *items[BC_OUTBOX_BATCH_MAX];
    size_t n;
};

/* Prepares the intents of a booking change: the event of type (with booking, the item as it will be
 * written, as its snapshot) and, for created and rescheduled, the reminders of the tenant's settings that
 * are still ahead; marks booking (its "events" list) with the event id so that the deciding write carries
 * it. 0 (b may be empty: the tenant is not notified of anything) or a negative bc_err. */
int bc_outbox_booking(struct bc_env *env, const struct bc_ctx *ctx, const char *type, json_t *booking,
                      struct bc_outbox_batch *b);
/* The intent of a conversation's new hand-off (conv marked as above, and its "handoff" with "event"). */
int bc_outbox_handoff(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, struct bc_outbox_batch *b);
/* The intent of another kind of change (the waitlist's offers): an event of type with data (stolen) as its
 * snapshot, due now; mark (the item the deciding write will write) gets its id in "events". */
int bc_outbox_event(const struct bc_ctx *ctx, const char *type, json_t *mark, json_t *data,
                    struct bc_outbox_batch *b);
/* The same due at due (a recovery: channel_run.c's inbound messages, run at once by the process that took
 * them, and by the dispatcher of any process only if that one died). */
int bc_outbox_event_at(const struct bc_ctx *ctx, const char *type, json_t *mark, json_t *data, int64_t due,
                       struct bc_outbox_batch *b);
/* Writes the intents one after the other (durable before the change that follows). 0 or a negative bc_err. */
int bc_outbox_put(struct bc_env *env, struct bc_outbox_batch *b);
/* Appends the intents to a store batch as unconditional writes (w has room for b->n). Returns b->n. */
size_t bc_outbox_writes(struct bc_outbox_batch *b, struct bc_write *w);
void bc_outbox_batch_release(struct bc_outbox_batch *b);
/* After the change: tells this process's dispatcher that something is due (no-op without one). */
void bc_outbox_wake(struct bc_env *env);

/* A usage notice: counter ("bookings", "messages", "ai_tokens") of tenant_id reached count of limit this
 * month; type near or reached. Sent once per tenant, counter, type and month. 0 or a negative bc_err. */
int bc_outbox_usage(struct bc_env *env, const char *tenant_id, const char *type, const char *counter,
                    int64_t count, int64_t limit);

/* The ids kept on an item: appends id to item's "events" (at most BC_EVENTS_KEPT, the oldest dropped). */
void bc_outbox_mark(json_t *item, const char *event_id);
/* True when item's "events" holds id. */
bool bc_outbox_marked(const json_t *item, const char *event_id);

/* A deterministic id: prefix and 32 hex characters of a BLAKE2b hash of seed (reminders, deliveries). */
#define BC_OUTBOX_DERIVED_ID 34
void bc_outbox_derived_id(char out[BC_OUTBOX_DERIVED_ID], char prefix, const char *seed);

/* Queue keys: "OUTBOX#<shard>" of an id, and "<due, 11 digits>#<E|D>#<tenant>#<id>". NULL on bad parts. */
const char *bc_outbox_pk(char *buf, const char *id);
const char *bc_outbox_sk(char *buf, int64_t due, char kind, const char *tenant_id, const char *id);

#endif
