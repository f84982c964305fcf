/* The dispatcher: a thread in every serve process that processes due events of the outbox (outbox.h) into
 * deliveries (delivery.h) and sends them through the asynchronous sender (net/sender.h), so that no SMTP
 * or HTTP call ever runs on a request thread. docs/notifications.md describes the whole path.
 *
 * DESIGN NOTES
 * - One pass: the results of finished sends are recorded; then each queue shard is read up to now (at most
 *   64 items); an event is claimed (version-checked lease), checked against the item it speaks of (the id
 *   on the booking or conversation), fanned out and deleted; a delivery pointer leads to a claim of its
 *   delivery and a send. At most 32 sends are in flight per process.
 * - Passes run every second, at once when a request of this process wrote an event (bc_outbox_wake), and
 *   again at once while a pass found a full page.
 * - An event whose item does not carry its id yet is left for a few seconds (its change may be on the way:
 *   the intent is written first); after two minutes without it, the change did not happen and the event is
 *   dropped. */
#ifndef BC_DISPATCH_H
#define BC_DISPATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/delivery.h"
#include "domain/notify.h"

struct bc_env;
struct bc_dispatcher;
struct bc_buf;

/* Starts the dispatcher of env (which it borrows, and whose bc_outbox_wake it sets) with cfg (copied).
 * 0, or a negative bc_err with err. */
int bc_dispatcher_start(struct bc_env *env, const struct bc_notify_cfg *cfg,
                        const struct bc_delivery_timing *t, struct bc_dispatcher **out, char *err,
                        size_t errsize);
/* Stops it: sends in flight are cancelled (their deliveries stay pending and are retried after their lease,
 * by this process's successor or another). NULL is a no-op. */
void bc_dispatcher_stop(struct bc_dispatcher *d);
/* Runs passes now until one leaves nothing due and no send in flight, or until deadline_ns (monotonic):
 * for a process that is frozen between requests (Lambda), which must finish the outbox's work before it
 * answers. True when settled. NULL is settled. */
bool bc_dispatcher_settle(struct bc_dispatcher *d, int64_t deadline_ns);
/* Prometheus families: deliveries by kind and outcome (delivered, retry, failed for good), events fanned
 * out and dropped, and the send attempts of env's dispatcher (net/sender.h); no tenant labels. */
void bc_dispatch_metrics(struct bc_env *env, struct bc_buf *b);

#endif
