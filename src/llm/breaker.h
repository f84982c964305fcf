/* A circuit breaker (internal to src/llm): after N consecutive failures of a provider it opens and calls
 * fail fast; after a cool-down it lets one probe call through (half-open); the probe's outcome closes it
 * again or re-opens it for another cool-down.
 *
 * DESIGN NOTES
 * - All state is under one mutex: workers ask before submitting, the engine thread records outcomes.
 * - At most one probe is in flight while half-open; every other call is refused until it ends. */
#ifndef BC_LLM_BREAKER_H
#define BC_LLM_BREAKER_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum bc__breaker_state { BC__BRK_CLOSED, BC__BRK_OPEN, BC__BRK_HALF_OPEN };

/* What bc__breaker_allow answers. */
enum bc__breaker_verdict { BC__BRK_DENY = 0, BC__BRK_ALLOW, BC__BRK_PROBE };

struct bc__breaker {
    pthread_mutex_t mu;
    enum bc__breaker_state state;
    int failures;  /* consecutive failures while closed */
    int threshold; /* failures that open the circuit */
    int64_t cooldown_ns;
    int64_t opened_ns; /* monotonic time the circuit last opened */
    bool probe;        /* a half-open probe is in flight */
    uint64_t opens;    /* times the circuit opened */
};

void bc__breaker_init(struct bc__breaker *b, int threshold, int cooldown_ms);
void bc__breaker_release(struct bc__breaker *b);
/* May a call start now (now_ns monotonic)? BC__BRK_PROBE means it is the half-open probe: its outcome must
 * be recorded with probe = true. */
enum bc__breaker_verdict bc__breaker_allow(struct bc__breaker *b, int64_t now_ns);
/* Records an attempt's outcome: success (the provider answered, even with a 4xx or 429) or failure (5xx,
 * network error, time-out). */
void bc__breaker_record(struct bc__breaker *b, bool probe, bool success, int64_t now_ns);
/* Gives back a probe whose attempt never ran to an outcome (cancelled): the next call probes again. */
void bc__breaker_abandon(struct bc__breaker *b, bool probe);
enum bc__breaker_state bc__breaker_state(struct bc__breaker *b, int64_t now_ns);

#endif
