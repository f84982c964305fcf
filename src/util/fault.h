/* Fault injection (sqlite's faultsim idea): tests arm a named point so that the code there behaves as if
 * the process died or a call failed, and check that the recovery paths work. Disarmed points cost one
 * atomic load. Only test hooks arm them (test_hooks=on). */
#ifndef BC_FAULT_H
#define BC_FAULT_H
#include <stdbool.h>

/* Makes the next `count` passes through point `name` fail. Returns 0 or BC_EINVALID (unknown name). */
int bc_fault_arm(const char *name, int count);
/* bc_fault_arm whose hit kills the process with SIGKILL there (a real crash at that exact step). */
int bc_fault_arm_kill(const char *name, int count);
/* True (and consumes one count) when the point is armed; a point armed to kill never returns. */
bool bc_fault_hit(const char *name);
/* True when the point is armed (consumes nothing). */
bool bc_fault_armed(const char *name);
/* Disarms everything. */
void bc_fault_reset(void);

/* The points. The booking ones are in both commit paths of bc_booking_create (domain/booking.c), the one
 * batch of a one-day booking and the write-after-write commit of one spanning days: */
/* dies after the pending item (and the key's claim), before the calendar write */
#define BC_FAULT_BOOKING_BEFORE_COMMIT "booking.before_commit"
/* dies after the calendar write, before the confirmation */
#define BC_FAULT_BOOKING_AFTER_COMMIT "booking.after_commit"
/* dies after the booking is confirmed, before the answer */
#define BC_FAULT_BOOKING_BEFORE_ANSWER "booking.before_answer"
/* the claim protocol (domain/claim.h) of a booking whose service requires resources: after the
 * professional's claim; after each resource's claim; after every claim, before the decision; after the
 * decision, before the claims are made permanent; after the professional's claim is made permanent */
#define BC_FAULT_CLAIM_AFTER_PROVIDER "claim.after_provider"
#define BC_FAULT_CLAIM_AFTER_RESOURCE "claim.after_resource"
#define BC_FAULT_CLAIM_BEFORE_DECIDE  "claim.before_decide"
#define BC_FAULT_CLAIM_AFTER_DECIDE   "claim.after_decide"
#define BC_FAULT_CLAIM_MID_COMPLETE   "claim.mid_complete"
/* a write of a usage flush fails */
#define BC_FAULT_USAGE_WRITE "usage.write"
/* the month item's write of a usage flush fails */
#define BC_FAULT_USAGE_MONTH_WRITE "usage.month_write"

/* the sync that the next request with deferred LMDB writes waits for fails (bc_store_when_durable, in
 * src/store/lmdb_commit.c); armed to kill: the process dies there, after the commit, before the answer */
#define BC_FAULT_STORE_SYNC "store.sync"

#endif
