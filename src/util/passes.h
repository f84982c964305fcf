/* Settling a worker thread's passes: a thread that works in passes (the notifications' dispatcher, the
 * calendar poller) counts the passes it begins and ends and says whether the last one left work behind;
 * another thread can then ask for passes now and wait until one leaves nothing (bc_passes_settle), which is
 * how a process that is frozen between requests (Lambda) finishes background work before it answers.
 * All fields are under the worker's own mutex. */
#ifndef BC_PASSES_H
#define BC_PASSES_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct bc_passes {
    pthread_cond_t settled; /* broadcast when a pass ends */
    bool woken;             /* a pass was asked for: the worker must not sleep before it */
    bool idle;              /* the last pass that ended left nothing to do */
    unsigned long begun, ended;
};

void bc_passes_init(struct bc_passes *p);
void bc_passes_release(struct bc_passes *p);
/* The worker, holding its mutex: a pass begins (clears woken) / ended, leaving nothing to do or not. */
void bc_passes_begin(struct bc_passes *p);
void bc_passes_end(struct bc_passes *p, bool idle);
/* Holding mu (the worker's mutex): asks for passes (woken, and wake signalled: the worker's own condition)
 * until one that began after this call leaves nothing to do, or until deadline_ns (monotonic). True when
 * settled. */
bool bc_passes_settle(struct bc_passes *p, pthread_mutex_t *mu, pthread_cond_t *wake, int64_t deadline_ns);
/* The CLOCK_REALTIME time of a monotonic deadline, for pthread_cond_timedwait. */
struct timespec bc_passes_abstime(int64_t deadline_ns);

#endif
