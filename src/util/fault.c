/* Named fault points with counters. */
#include "util/fault.h"
#include "util/err.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

static const char *const points[] = {BC_FAULT_BOOKING_BEFORE_COMMIT,
                                     BC_FAULT_BOOKING_AFTER_COMMIT,
                                     BC_FAULT_BOOKING_BEFORE_ANSWER,
                                     BC_FAULT_USAGE_WRITE,
                                     BC_FAULT_USAGE_MONTH_WRITE,
                                     BC_FAULT_CLAIM_AFTER_PROVIDER,
                                     BC_FAULT_CLAIM_AFTER_RESOURCE,
                                     BC_FAULT_CLAIM_BEFORE_DECIDE,
                                     BC_FAULT_CLAIM_AFTER_DECIDE,
                                     BC_FAULT_CLAIM_MID_COMPLETE,
                                     BC_FAULT_STORE_SYNC};
#define NPOINTS (sizeof points / sizeof points[0])
/* process-wide on purpose: a fault point stands for the death of the whole process */
static atomic_int armed[NPOINTS];
static atomic_bool kills[NPOINTS];
static atomic_int any;

static int arm(const char *name, int count, bool kill)
{
    for (size_t i = 0; i < NPOINTS; i++) {
        if (strcmp(points[i], name) == 0) {
            atomic_store(&kills[i], kill);
            atomic_store(&armed[i], count);
            atomic_store(&any, 1);
            return 0;
        }
    }
    return BC_EINVALID;
}

int bc_fault_arm(const char *name, int count)
{
    return arm(name, count, false);
}

int bc_fault_arm_kill(const char *name, int count)
{
    return arm(name, count, true);
}

bool bc_fault_hit(const char *name)
{
    if (!atomic_load(&any)) return false;
    for (size_t i = 0; i < NPOINTS; i++) {
        if (strcmp(points[i], name) != 0) continue;
        int n = atomic_load(&armed[i]);
        while (n > 0 && !atomic_compare_exchange_weak(&armed[i], &n, n - 1)) {
        }
        if (n == 1 && atomic_load(&kills[i])) raise(SIGKILL); /* the last count: die right here */
        return n > 0;
    }
    return false;
}

bool bc_fault_armed(const char *name)
{
    if (!atomic_load(&any)) return false;
    for (size_t i = 0; i < NPOINTS; i++)
        if (strcmp(points[i], name) == 0) return atomic_load(&armed[i]) > 0;
    return false;
}

void bc_fault_reset(void)
{
    for (size_t i = 0; i < NPOINTS; i++) {
        atomic_store(&armed[i], 0);
        atomic_store(&kills[i], false);
    }
    atomic_store(&any, 0);
}
