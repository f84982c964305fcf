/* Sharded token buckets. */
#include "auth/ratelimit.h"
#include "util/hash.h"
#include "util/clock.h"
#include "util/err.h"

#include <math.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 256
#define SLOTS  64

struct bucket {
    struct bucket *next;
    double tokens;
    int64_t last_ns;
    char key[];
};

struct shard {
    pthread_mutex_t mu;
    struct bucket *slots[SLOTS];
};

/* Process-wide on purpose: rate limits are per process by design (docs/scaling.md), keyed by strings that
 * name their scope (key, e-mail, address), whatever store the request goes to. */
static struct {
    pthread_once_t once;
    struct shard shards[SHARDS];
} L = {.once = PTHREAD_ONCE_INIT};

static void init_shards(void)
{
    for (int i = 0; i < SHARDS; i++) pthread_mutex_init(&L.shards[i].mu, NULL);
}

static uint64_t hash(const char *s)
{
    return bc_fnv1a_str(s);
}

/* Under the shard's lock: key's bucket, or NULL; *slot: its chain. */
static struct bucket *find(struct shard *sh, uint64_t h, const char *key, struct bucket ***slot)
{
    *slot = &sh->slots[(h / SHARDS) % SLOTS];
    struct bucket *b = **slot;
    while (b && strcmp(b->key, key) != 0) b = b->next;
    return b;
}

static void fill(struct bc_rl_info *info, double rate, double burst, double tokens, int rc)
{
    if (!info) return;
    info->limit = burst;
    info->remaining = floor(tokens);
    info->retry_after_s = rc ? (int)ceil((1.0 - tokens) / rate) : 0;
    if (rc && info->retry_after_s < 1) info->retry_after_s = 1;
    info->reset_s = (int)ceil((burst - tokens) / rate);
}

int bc_ratelimit_take(const char *key, double rate, double burst, struct bc_rl_info *info)
{
    pthread_once(&L.once, init_shards);
    uint64_t h = hash(key);
    struct shard *sh = &L.shards[h % SHARDS];
    int64_t now = bc_mono_ns();
    int rc = 0;
    pthread_mutex_lock(&sh->mu);
    struct bucket **slot, *b = find(sh, h, key, &slot);
    if (!b) {
        size_t n = strlen(key) + 1;
        b = malloc(sizeof *b + n);
        if (!b) {
            pthread_mutex_unlock(&sh->mu);
            return 0; /* fail open: never refuse service because of our own memory pressure */
        }
        memcpy(b->key, key, n);
        b->tokens = burst;
        b->last_ns = now;
        b->next = *slot;
        *slot = b;
    }
    b->tokens = fmin(burst, b->tokens + (double)(now - b->last_ns) / 1e9 * rate);
    b->last_ns = now;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        rc = BC_ERATE;
    }
    fill(info, rate, burst, b->tokens, rc);
    pthread_mutex_unlock(&sh->mu);
    return rc;
}

int bc_ratelimit_peek(const char *key, double rate, double burst, struct bc_rl_info *info)
{
    pthread_once(&L.once, init_shards);
    uint64_t h = hash(key);
    struct shard *sh = &L.shards[h % SHARDS];
    int64_t now = bc_mono_ns();
    pthread_mutex_lock(&sh->mu);
    struct bucket **slot, *b = find(sh, h, key, &slot);
    double tokens = b ? fmin(burst, b->tokens + (double)(now - b->last_ns) / 1e9 * rate) : burst;
    int rc = tokens < 1.0 ? BC_ERATE : 0;
    if (rc) fill(info, rate, burst, tokens, rc);
    pthread_mutex_unlock(&sh->mu);
    return rc;
}

static int sweep(int64_t idle_ms, bool all)
{
    pthread_once(&L.once, init_shards);
    int64_t cutoff = bc_mono_ns() - idle_ms * 1000000;
    int n = 0;
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&L.shards[i].mu);
        for (int j = 0; j < SLOTS; j++) {
            struct bucket **pp = &L.shards[i].slots[j];
            while (*pp) {
                struct bucket *b = *pp;
                if (all || b->last_ns < cutoff) {
                    *pp = b->next;
                    free(b);
                    n++;
                } else {
                    pp = &b->next;
                }
            }
        }
        pthread_mutex_unlock(&L.shards[i].mu);
    }
    return n;
}

int bc_ratelimit_sweep(int64_t idle_ms)
{
    return sweep(idle_ms, false);
}

void bc_ratelimit_reset(void)
{
    sweep(0, true);
}
