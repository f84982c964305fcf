/* The per-provider circuit breaker: closed → open after `threshold` consecutive failures, open →
 * half-open after the cool-down (one probe), half-open → closed on the probe's success or back to open. */
#include "llm/breaker.h"

void bc__breaker_init(struct bc__breaker *b, int threshold, int cooldown_ms)
{
    pthread_mutex_init(&b->mu, NULL);
    b->state = BC__BRK_CLOSED;
    b->failures = 0;
    b->threshold = threshold > 0 ? threshold : 1;
    b->cooldown_ns = (int64_t)(cooldown_ms > 0 ? cooldown_ms : 0) * 1000000;
    b->opened_ns = 0;
    b->probe = false;
    b->opens = 0;
}

void bc__breaker_release(struct bc__breaker *b)
{
    pthread_mutex_destroy(&b->mu);
}

enum bc__breaker_verdict bc__breaker_allow(struct bc__breaker *b, int64_t now_ns)
{
    enum bc__breaker_verdict v = BC__BRK_ALLOW;
    pthread_mutex_lock(&b->mu);
    if (b->state == BC__BRK_OPEN && now_ns - b->opened_ns >= b->cooldown_ns) {
        b->state = BC__BRK_HALF_OPEN;
        b->probe = false;
    }
    if (b->state == BC__BRK_OPEN) {
        v = BC__BRK_DENY;
    } else if (b->state == BC__BRK_HALF_OPEN) {
        if (b->probe) {
            v = BC__BRK_DENY;
        } else {
            b->probe = true;
            v = BC__BRK_PROBE;
        }
    }
    pthread_mutex_unlock(&b->mu);
    return v;
}

static void open_locked(struct bc__breaker *b, int64_t now_ns)
{
    b->state = BC__BRK_OPEN;
    b->opened_ns = now_ns;
    b->probe = false;
    b->failures = 0;
    b->opens++;
}

void bc__breaker_record(struct bc__breaker *b, bool probe, bool success, int64_t now_ns)
{
    pthread_mutex_lock(&b->mu);
    if (probe && b->state == BC__BRK_HALF_OPEN) {
        if (success) {
            b->state = BC__BRK_CLOSED;
            b->failures = 0;
            b->probe = false;
        } else {
            open_locked(b, now_ns);
        }
    } else if (b->state == BC__BRK_CLOSED) {
        if (success) {
            b->failures = 0;
        } else if (++b->failures >= b->threshold) {
            open_locked(b, now_ns);
        }
    }
    /* an outcome of a call started before the circuit opened changes nothing while open/half-open */
    pthread_mutex_unlock(&b->mu);
}

void bc__breaker_abandon(struct bc__breaker *b, bool probe)
{
    if (!probe) return;
    pthread_mutex_lock(&b->mu);
    if (b->state == BC__BRK_HALF_OPEN) b->probe = false;
    pthread_mutex_unlock(&b->mu);
}

enum bc__breaker_state bc__breaker_state(struct bc__breaker *b, int64_t now_ns)
{
    pthread_mutex_lock(&b->mu);
    enum bc__breaker_state s = b->state;
    if (s == BC__BRK_OPEN && now_ns - b->opened_ns >= b->cooldown_ns) s = BC__BRK_HALF_OPEN;
    pthread_mutex_unlock(&b->mu);
    return s;
}
