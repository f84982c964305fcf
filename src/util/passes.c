/* Settling a worker thread's passes (passes.h). */
#include "util/passes.h"
#include "util/clock.h"

void bc_passes_init(struct bc_passes *p)
{
    *p = (struct bc_passes){0};
    pthread_cond_init(&p->settled, NULL);
}

void bc_passes_release(struct bc_passes *p)
{
    pthread_cond_destroy(&p->settled);
}

void bc_passes_begin(struct bc_passes *p)
{
    p->woken = false;
    p->begun++;
}

void bc_passes_end(struct bc_passes *p, bool idle)
{
    p->ended++;
    p->idle = idle;
    pthread_cond_broadcast(&p->settled);
}

struct timespec bc_passes_abstime(int64_t deadline_ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t left = deadline_ns - bc_mono_ns(), ns = ts.tv_nsec + (left > 0 ? left : 0);
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    return ts;
}

bool bc_passes_settle(struct bc_passes *p, pthread_mutex_t *mu, pthread_cond_t *wake, int64_t deadline_ns)
{
    struct timespec until = bc_passes_abstime(deadline_ns);
    unsigned long after = p->begun; /* a pass that begins from now on */
    p->woken = true;
    pthread_cond_signal(wake);
    while (!(p->ended > after && p->idle) && bc_mono_ns() < deadline_ns) {
        if (p->ended > after) { /* that pass left work (sends in flight, a full page): the next one */
            after = p->ended;
            p->woken = true;
            pthread_cond_signal(wake);
        }
        if (pthread_cond_timedwait(&p->settled, mu, &until) != 0) break;
    }
    return p->ended > after && p->idle;
}
