/* Fault injection (sqlite's faultsim idea): tests arm a named point so that the code there behaves as if
 * the process died or a call failed, and check that the recovery paths work. Disarmed points cost one
 * atomic load. Only test hooks arm them (test_hooks=on). */
#ifndef BC_FAULT_H
#define BC_FAULT_H
#include <stdbool.h>

/* Makes the next `count` passes through point `name` fail. Returns 0 or BC_EINVALID (unknown name). */
int bc_fault_arm(const char *name, int count);
/* True (and consumes one count) when the point is armed. */
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
/* a write of a usage flush fails */
#define BC_FAULT_USAGE_WRITE "usage.write"
/* the month item's write of a usage flush fails */
#define BC_FAULT_USAGE_MONTH_WRITE "usage.month_write"

#endif
