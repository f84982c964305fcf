/* The store's read cache: answers of reads that accept a bounded staleness (readcache.h), so that a remote
 * backend is not asked again, on every request, for items that change rarely (a tenant, its widget keys,
 * settings, services and professionals).
 *
 * DESIGN NOTES
 * - Bounded staleness: an answer is handed out for at most max_age_ms after the read that fetched it began,
 *   measured on the monotonic clock (a test's frozen wall clock does not stop it). A write made by another
 *   process is therefore seen within max_age_ms; nothing else is promised to cached readers.
 * - Invalidated by version for writes through this store: every write bumps the generations of its scopes
 *   (its PK with its SK's kind, and its whole PK; GEN_STRIPES counters chosen by the scope's hash) before
 *   and after the backend call; an answer carries its scope's generation taken before its read began, and
 *   is handed out only while that is still the scope's generation. So a read racing a write can never keep
 *   the old answer past the write, and a change made through this process is seen by it at once (a
 *   counter shared by several scopes only costs extra misses). Kinds keep a tenant's chat turns, which
 *   write its conversations and messages, from dropping its cached catalogue and settings.
 * - Bounded memory: SETS sets of WAYS entries under striped mutexes, values kept only while their compact
 *   JSON sizes stay within max_bytes (an over-budget answer sweeps out old and invalidated entries first,
 *   and is not kept when that is not enough). Set-associative, not direct-mapped: with one entry a slot,
 *   two answers a turn needs that hashed to one slot pushed each other out on every turn, so an unlucky
 *   tenant paid both reads each time (a CI run's chat turn cost 6 requests instead of 4).
 * - Values are shared and never modified (store.h); handed out with json_incref. */
#include "store/readcache.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define WAYS        BC__RC_WAYS
#define SETS        BC__RC_SETS
#define SLOTS       (SETS * WAYS)
#define LOCKS       64
#define GEN_STRIPES 65536

struct entry {
    uint64_t h;
    char *key;
    size_t klen, size;
    size_t stripe;
    uint64_t gen;
    int64_t at_ns;
    int rc;
    json_t *value;
    char *cursor;
};

struct bc__readcache {
    int64_t max_age_ns;
    size_t max_bytes;
    atomic_size_t bytes;
    atomic_size_t hand;
    atomic_uint_least64_t hits, misses;
    _Atomic uint64_t gens[GEN_STRIPES];
    pthread_mutex_t mu[LOCKS];
    struct entry e[SLOTS];
};

struct bc__readcache *bc__readcache_new(int64_t max_age_ms, size_t max_bytes)
{
    struct bc__readcache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->max_age_ns = max_age_ms * 1000000;
    c->max_bytes = max_bytes;
    for (int i = 0; i < LOCKS; i++) pthread_mutex_init(&c->mu[i], NULL);
    return c;
}

static void entry_release(struct entry *e)
{
    free(e->key);
    free(e->cursor);
    json_decref(e->value);
    memset(e, 0, sizeof *e);
}

void bc__readcache_free(struct bc__readcache *c)
{
    if (!c) return;
    for (size_t i = 0; i < SLOTS; i++) entry_release(&c->e[i]);
    for (int i = 0; i < LOCKS; i++) pthread_mutex_destroy(&c->mu[i]);
    free(c);
}

/* The scope of the kind (SK text up to its first '#' included) of pk, or of the whole PK (kind_len 0). */
static size_t scope_of(const char *pk, const char *kind, size_t kind_len)
{
    uint64_t h = bc_fnv1a(BC_FNV1A_INIT, pk, strlen(pk) + 1); /* with its NUL: "A"+"B#" is not "AB"+"#" */
    return (size_t)(bc_fnv1a(h, kind, kind_len) % GEN_STRIPES);
}

size_t bc__readcache_scope(const char *pk, const char *lo, const char *hi, bool exact)
{
    const char *hash = lo ? strchr(lo, '#') : NULL;
    if (exact) return scope_of(pk, lo, hash ? (size_t)(hash - lo) + 1 : strlen(lo));
    if (!hash || !hi) return scope_of(pk, "", 0);
    /* every SK between two strings that share a prefix shares it */
    size_t n = (size_t)(hash - lo) + 1;
    return strncmp(lo, hi, n) == 0 ? scope_of(pk, lo, n) : scope_of(pk, "", 0);
}

uint64_t bc__readcache_gen(struct bc__readcache *c, size_t scope)
{
    return atomic_load(&c->gens[scope % GEN_STRIPES]);
}

void bc__readcache_wrote(struct bc__readcache *c, const char *pk, const char *sk)
{
    atomic_fetch_add(&c->gens[bc__readcache_scope(pk, sk, NULL, true)], 1);
    atomic_fetch_add(&c->gens[scope_of(pk, "", 0)], 1);
}

/* Still answerable: young enough and no write to its PK's stripe since its read began. */
static bool fresh(struct bc__readcache *c, const struct entry *e, int64_t now_ns)
{
    return e->key && now_ns - e->at_ns < c->max_age_ns && atomic_load(&c->gens[e->stripe]) == e->gen;
}

/* Whether e is the entry of key (hash h). */
static bool holds(const struct entry *e, uint64_t h, const char *key, size_t klen)
{
    return e->key && e->h == h && e->klen == klen && memcmp(e->key, key, klen) == 0;
}

bool bc__readcache_find(struct bc__readcache *c, const char *key, size_t klen, struct bc__rc_hit *hit)
{
    uint64_t h = bc_fnv1a(BC_FNV1A_INIT, key, klen);
    size_t set = (size_t)(h % SETS);
    bool found = false;
    pthread_mutex_lock(&c->mu[set % LOCKS]);
    int64_t now = bc_mono_ns();
    for (size_t w = 0; w < WAYS; w++) {
        struct entry *e = &c->e[set * WAYS + w];
        if (!holds(e, h, key, klen)) continue;
        if (fresh(c, e, now)) {
            hit->rc = e->rc;
            hit->value = json_incref(e->value);
            hit->cursor = e->cursor ? strdup(e->cursor) : NULL;
            found = !(e->cursor && !hit->cursor);
            if (!found) json_decref(hit->value);
        }
        break; /* a key is kept in one way of its set at most */
    }
    pthread_mutex_unlock(&c->mu[set % LOCKS]);
    atomic_fetch_add(found ? &c->hits : &c->misses, 1);
    return found;
}

/* Frees stale entries (then, on the second turn, any entry) until size more bytes fit, for at most two
 * turns of the table. Called holding no lock. */
static void sweep(struct bc__readcache *c, size_t size)
{
    for (size_t n = 0; n < 2 * SLOTS && atomic_load(&c->bytes) + size > c->max_bytes; n++) {
        size_t slot = atomic_fetch_add(&c->hand, 1) % SLOTS, set = slot / WAYS;
        struct entry old = {0};
        pthread_mutex_lock(&c->mu[set % LOCKS]);
        struct entry *e = &c->e[slot];
        if (e->key && (n >= SLOTS || !fresh(c, e, bc_mono_ns()))) {
            old = *e;
            atomic_fetch_sub(&c->bytes, e->size);
            memset(e, 0, sizeof *e);
        }
        pthread_mutex_unlock(&c->mu[set % LOCKS]);
        entry_release(&old);
    }
}

/* The way of set that a new answer for n's key takes, under the set's lock: the way holding that key (a
 * key is in one way at most), else an empty way, else one no longer answerable, else the oldest. */
static struct entry *victim(struct bc__readcache *c, size_t set, const struct entry *n)
{
    struct entry *ways = &c->e[set * WAYS], *empty = NULL, *stale = NULL, *oldest = &ways[0];
    int64_t now = bc_mono_ns();
    for (size_t w = 0; w < WAYS; w++) {
        struct entry *e = &ways[w];
        if (holds(e, n->h, n->key, n->klen)) return e;
        if (!e->key) {
            if (!empty) empty = e;
        } else if (!fresh(c, e, now)) {
            if (!stale) stale = e;
        } else if (e->at_ns < oldest->at_ns) {
            oldest = e;
        }
    }
    return empty ? empty : stale ? stale : oldest;
}

void bc__readcache_keep(struct bc__readcache *c, size_t scope, uint64_t gen, const char *key, size_t klen,
                        int64_t started_ns, int rc, json_t *value, const char *cursor)
{
    size_t size =
        klen + (value ? json_dumpb(value, NULL, 0, JSON_COMPACT) : 0) + (cursor ? strlen(cursor) : 0);
    if (size > c->max_bytes / 16) return; /* one answer never takes much of the budget */
    if (atomic_load(&c->bytes) + size > c->max_bytes) sweep(c, size);
    struct entry fresh_e = {.h = bc_fnv1a(BC_FNV1A_INIT, key, klen),
                            .key = malloc(klen ? klen : 1),
                            .klen = klen,
                            .size = size,
                            .stripe = scope % GEN_STRIPES,
                            .gen = gen,
                            .at_ns = started_ns, /* the age counts from the read's start */
                            .rc = rc,
                            .value = value ? json_incref(value) : NULL,
                            .cursor = cursor ? strdup(cursor) : NULL};
    if (!fresh_e.key || (cursor && !fresh_e.cursor)) {
        entry_release(&fresh_e);
        return;
    }
    memcpy(fresh_e.key, key, klen);
    size_t set = (size_t)(fresh_e.h % SETS);
    struct entry old = {0};
    pthread_mutex_lock(&c->mu[set % LOCKS]);
    struct entry *e = victim(c, set, &fresh_e);
    if (atomic_load(&c->bytes) - e->size + size <= c->max_bytes) {
        old = *e;
        atomic_fetch_sub(&c->bytes, e->size);
        atomic_fetch_add(&c->bytes, size);
        *e = fresh_e;
        fresh_e = (struct entry){0};
    }
    pthread_mutex_unlock(&c->mu[set % LOCKS]);
    entry_release(&old);
    entry_release(&fresh_e);
}

void bc__readcache_counts(struct bc__readcache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = c ? atomic_load(&c->hits) : 0;
    *misses = c ? atomic_load(&c->misses) : 0;
}
