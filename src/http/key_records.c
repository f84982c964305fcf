/* The table of widget keys' records (key_records.h): set-associative, with sets of 32 so that keys read in
 * turn (many tenants, each a little) do not push each other out (http/rendered.h has the same geometry and
 * the reason), each set's key hashes beside the records, recency by a per-set counter, striped mutexes. */
#include "http/key_records.h"
#include "util/hash.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define WAYS  BC_KEY_RECORDS_WAYS
#define SETS  BC_KEY_RECORDS_SETS
#define SLOTS (WAYS * SETS)
#define LOCKS 64

struct slot {
    char key[BC_APIKEY_SECRET_SIZE];
    struct bc_key_record r;
};

struct bc_key_records {
    pthread_mutex_t mu[LOCKS];
    atomic_ullong used, kept;
    uint64_t hash[SLOTS];  /* of each slot's key (0: empty) */
    uint64_t stamp[SLOTS]; /* recency within the set: the highest was used last */
    uint64_t clock[SETS];
    struct slot s[SLOTS];
};

struct bc_key_records *bc_key_records_new(void)
{
    struct bc_key_records *t = calloc(1, sizeof *t);
    if (t)
        for (int i = 0; i < LOCKS; i++) pthread_mutex_init(&t->mu[i], NULL);
    return t;
}

void bc_key_records_free(struct bc_key_records *t)
{
    if (!t) return;
    for (int i = 0; i < LOCKS; i++) pthread_mutex_destroy(&t->mu[i]);
    free(t);
}

static uint64_t hash_of(const char *key)
{
    uint64_t h = bc_fnv1a_str(key);
    return h ? h : 1;
}

/* key's slot in set (its lock held), or SLOTS. */
static size_t find(struct bc_key_records *t, size_t set, uint64_t h, const char *key)
{
    for (size_t w = 0; w < WAYS; w++) {
        size_t i = set * WAYS + w;
        if (t->hash[i] == h && strcmp(t->s[i].key, key) == 0) return i;
    }
    return SLOTS;
}

bool bc_key_records_find(struct bc_key_records *t, const char *key, struct bc_key_record *out)
{
    if (!t || strlen(key) >= BC_APIKEY_SECRET_SIZE) return false;
    uint64_t h = hash_of(key);
    size_t set = (size_t)(h % SETS);
    pthread_mutex_lock(&t->mu[set % LOCKS]);
    size_t i = find(t, set, h, key);
    if (i < SLOTS) {
        *out = t->s[i].r;
        t->stamp[i] = ++t->clock[set];
    }
    pthread_mutex_unlock(&t->mu[set % LOCKS]);
    return i < SLOTS;
}

void bc_key_records_keep(struct bc_key_records *t, const char *key, const struct bc_key_record *r)
{
    size_t kl = strlen(key);
    if (!t || kl >= BC_APIKEY_SECRET_SIZE) return;
    uint64_t h = hash_of(key);
    size_t set = (size_t)(h % SETS);
    pthread_mutex_lock(&t->mu[set % LOCKS]);
    size_t i = find(t, set, h, key);
    if (i == SLOTS) { /* an empty slot, else the least recently used */
        i = set * WAYS;
        for (size_t w = 0; w < WAYS; w++) {
            size_t j = set * WAYS + w;
            if (!t->hash[j]) {
                i = j;
                break;
            }
            if (t->stamp[j] < t->stamp[i]) i = j;
        }
    }
    memcpy(t->s[i].key, key, kl + 1);
    t->s[i].r = *r;
    t->hash[i] = h;
    t->stamp[i] = ++t->clock[set];
    pthread_mutex_unlock(&t->mu[set % LOCKS]);
    atomic_fetch_add_explicit(&t->kept, 1, memory_order_relaxed);
}

void bc_key_records_used(struct bc_key_records *t)
{
    if (t) atomic_fetch_add_explicit(&t->used, 1, memory_order_relaxed);
}

void bc_key_records_stats(struct bc_key_records *t, uint64_t *used, uint64_t *kept)
{
    *used = t ? atomic_load(&t->used) : 0;
    *kept = t ? atomic_load(&t->kept) : 0;
}

void bc_key_records_drop(struct bc_key_records *t, const char *key)
{
    if (!t || strlen(key) >= BC_APIKEY_SECRET_SIZE) return;
    uint64_t h = hash_of(key);
    size_t set = (size_t)(h % SETS);
    pthread_mutex_lock(&t->mu[set % LOCKS]);
    size_t i = find(t, set, h, key);
    if (i < SLOTS) {
        t->hash[i] = 0;
        t->stamp[i] = 0;
        t->s[i].key[0] = '\0';
    }
    pthread_mutex_unlock(&t->mu[set % LOCKS]);
}
