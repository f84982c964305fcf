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

/* The points: */
#define BC_FAULT_BOOKING_BEFORE_COMMIT                                                                       \
    "booking.before_commit" /* dies after the pending item, before the calendar */
#define BC_FAULT_BOOKING_AFTER_COMMIT                                                                        \
    "booking.after_commit"                             /* dies after the calendar, before confirming         \
                                                        */
#define BC_FAULT_USAGE_WRITE       "usage.write"       /* a write of a usage flush fails */
#define BC_FAULT_USAGE_MONTH_WRITE "usage.month_write" /* the month item's write of a usage flush fails */

#endif
