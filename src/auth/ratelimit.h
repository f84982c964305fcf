/* In-process token buckets, one per key (API key id, login e-mail, client IP …), for rate limiting.
 *
 * DESIGN NOTES
 * - 256 shards, each a small chained hash table with its own mutex: threads serving different tenants
 *   rarely contend, so a flood on one key does not slow the others (noisy neighbour).
 * - Buckets refill continuously at `rate` tokens per second up to `burst`. Limits are per process: with N
 *   processes behind a balancer a key gets up to N times the rate (documented in docs/scaling.md).
 * - Idle buckets are swept by housekeeping so memory stays bounded by the number of active keys. */
#ifndef BC_RATELIMIT_H
#define BC_RATELIMIT_H
#include <stdint.h>

struct bc_rl_info {
    double limit;      /* burst size */
    double remaining;  /* tokens left after this request */
    int retry_after_s; /* when refused: seconds until one token is available (>= 1) */
    int reset_s;       /* seconds until the bucket is full again */
};

/* Takes one token from key's bucket. Returns 0, or BC_ERATE when empty (info says when to retry). */
int bc_ratelimit_take(const char *key, double rate, double burst, struct bc_rl_info *info);
/* Whether a take would be refused now, without taking or creating anything: BC_ERATE (info filled as a
 * refused take fills it) or 0 (info untouched). For refusing a request before any work is spent on it. */
int bc_ratelimit_peek(const char *key, double rate, double burst, struct bc_rl_info *info);
/* Drops buckets unused for idle_ms; returns how many. */
int bc_ratelimit_sweep(int64_t idle_ms);
/* Frees every bucket (shutdown, tests). */
void bc_ratelimit_reset(void);

#endif
