/* A set-associative R.table of rendered answers (rendered.h), under striped mutexes: a key's answer may
 * be in any of the WAYS entries of its set, so two hot answers whose keys hash alike do not push each other
 * out on every request (with one entry a slot they did: both rendered again each time). The R.table is
 * small and bounded: SLOTS entries, each at most BODY_MAX bytes of answer and MAX_INPUTS references, and at
 * most BODY_BUDGET bytes of answers in all (to fit a new answer, a clock sweep frees answers not served since
 * it last passed them: a crawl over many cold tenants cannot lock the hot ones out for good). The referenced
 * items are mostly the LMDB memo's own (shared, not copies). */
#include "http/rendered.h"
#include "http/http.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/jsonv.h"

#include <stdio.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WAYS        BC_RENDERED_WAYS
#define SETS        BC_RENDERED_SETS
#define SLOTS       (SETS * WAYS)
#define LOCKS       32
#define BODY_MAX    65536
#define KEY_MAX     96
#define BODY_BUDGET ((size_t)8 << 20)

struct entry {
    char key[KEY_MAX];
    bool has_digest; /* validated by digest (rendered.h) instead of by in[0..n) */
    unsigned char digest[BC_STORE_DIGEST_BYTES];
    uint64_t store; /* with a digest: the store's serial, and its generation the digest was found at */
    uint64_t snap;
    size_t n;
    const json_t **in;
    char *body;
    size_t len;
    bool used; /* served since the eviction R.hand last passed */
};

/* Process-wide on purpose: entries are keyed by the shared items they were rendered from (whose addresses
 * are distinct across stores while referenced), or by a digest of stored bytes (the same bytes give the same
 * answer in any store; the generation shortcut names its store), so one table can serve every env without
 * mixing them, and one budget bounds the process's memory. Sized for the widget's two digest-kept answers
 * (services, config) of about 10,000 tenants: 16,384 entries, 8 MB of answers. */
static struct {
    struct entry table[SLOTS];
    /* beside the entries, so that a look-up reads its set's hashes from four cache lines, not 32 entries */
    uint64_t hash[SLOTS];  /* of each entry's key (0: empty) */
    uint64_t stamp[SLOTS]; /* each entry's recency in its set: the highest was served or kept last */
    uint64_t clock[SETS];  /* the set's latest stamp */
    size_t body_bytes;     /* bytes of answers in the table (atomic) */
    size_t hand;           /* the next slot the eviction sweep looks at (atomic) */
    pthread_mutex_t locks[LOCKS];
} R = {.locks = {[0 ... LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER}};

/* A key's hash, never 0 (an empty entry's), and its set. */
static uint64_t hash_of(const char *key)
{
    uint64_t h = bc_fnv1a_str(key);
    return h ? h : 1;
}

static size_t set_of(uint64_t h)
{
    return (size_t)(h % SETS);
}

/* The lock of an entry's set (entries of one set are next to each other). */
static pthread_mutex_t *lock_of(size_t slot)
{
    return &R.locks[(slot / WAYS) % LOCKS];
}

/* Makes slot the most recently used entry of its set (the set's lock held). A new answer takes its set's
 * least recently used way: the sweep's mark is cleared only when the budget is short, so it cannot tell the
 * ways of a set apart after a crawl left them all marked (two hot answers then took its first way in turn).
 */
static void touch_slot(size_t slot)
{
    R.stamp[slot] = ++R.clock[slot / WAYS];
}

static void entry_release(struct entry *e)
{
    for (size_t i = 0; i < e->n; i++) bc_json_release(e->in[i]); /* NULL-safe */
    free(e->in);
    free(e->body);
    memset(e, 0, sizeof *e);
}

/* What a lookup validates an answer by: the items it was rendered from, or the digest of their stored
 * bytes in a store, or (current) the store's generation its digest was last found at. */
struct inputs {
    const json_t *const *in;
    size_t n;
    const struct bc_store *store;
    const struct bc_store_digest *digest;
    uint64_t gen; /* with current */
    bool current;
    bc_rendered_unchanged_fn unchanged; /* with current, may be NULL */
    void *arg;
};

/* Does e, the entry of key, hold the answer for these inputs? Under the set's lock: a digest found again
 * records its snap, so that the next lookups at that generation need no digest. */
static bool same_inputs(struct entry *e, const struct inputs *x)
{
    if (x->current) {
        if (!e->has_digest || e->store != x->store->serial || !e->snap) return false;
        if (e->snap == x->gen) return true;
        uint64_t now = 0;
        if (!x->unchanged || !x->unchanged(x->arg, e->snap, &now)) return false;
        e->snap = now; /* the digest holds at now: the next lookups at now need no check */
        return true;
    }
    if (!x->digest)
        return !e->has_digest && e->n == x->n &&
               (x->n == 0 || memcmp(e->in, x->in, x->n * sizeof *x->in) == 0);
    if (!e->has_digest || memcmp(e->digest, x->digest->b, sizeof e->digest) != 0) return false;
    e->store = x->store->serial;
    e->snap = x->digest->snap;
    return true;
}

static bool reply(struct bc_req *req, const char *key, const struct inputs *x)
{
    if (strlen(key) >= KEY_MAX) return false;
    uint64_t h = hash_of(key);
    size_t set = set_of(h);
    pthread_mutex_t *mu = lock_of(set * WAYS);
    bool hit = false;
    pthread_mutex_lock(mu);
    for (size_t w = 0; w < WAYS; w++) {
        struct entry *e = &R.table[set * WAYS + w];
        if (R.hash[set * WAYS + w] != h || !(e->body && strcmp(e->key, key) == 0)) continue;
        if (same_inputs(e, x)) {
            /* MHD copies the bytes: the entry may be replaced as soon as the lock is released */
            hit = bc_reply_bytes(req, 200, "application/json; charset=utf-8", e->body, e->len, true) == 0;
            e->used = true;
            touch_slot(set * WAYS + w);
        }
        break; /* a key is in one way of its set at most */
    }
    pthread_mutex_unlock(mu);
    if (hit) req->no_store = true;
    return hit;
}

bool bc_rendered_reply(struct bc_req *req, const char *key, const json_t *const *in, size_t n)
{
    return reply(req, key, &(struct inputs){.in = in, .n = n});
}

bool bc_rendered_reply_current(struct bc_req *req, const char *key, const struct bc_store *s, uint64_t gen,
                               bc_rendered_unchanged_fn unchanged, void *arg)
{
    return gen && reply(req, key,
                        &(struct inputs){
                            .store = s, .gen = gen, .current = true, .unchanged = unchanged, .arg = arg});
}

bool bc_rendered_reply_digest(struct bc_req *req, const char *key, const struct bc_store *s,
                              const struct bc_store_digest *d)
{
    return d->ok && reply(req, key, &(struct inputs){.store = s, .digest = d});
}

/* Frees answers not served since the R.hand last passed them (and unmarks those that were) until len more
 * bytes fit in the budget, for at most two turns of the R.table. Called holding no lock. */
static void evict_for(size_t len)
{
    for (size_t n = 0; n < 2 * SLOTS && __atomic_load_n(&R.body_bytes, __ATOMIC_RELAXED) + len > BODY_BUDGET;
         n++) {
        size_t slot = __atomic_fetch_add(&R.hand, 1, __ATOMIC_RELAXED) % SLOTS;
        pthread_mutex_t *mu = lock_of(slot);
        struct entry old = {0};
        pthread_mutex_lock(mu);
        if (R.table[slot].used) {
            R.table[slot].used = false;
        } else if (R.table[slot].body) {
            old = R.table[slot];
            __atomic_sub_fetch(&R.body_bytes, old.len, __ATOMIC_RELAXED);
            memset(&R.table[slot], 0, sizeof R.table[slot]);
            R.hash[slot] = 0;
            R.stamp[slot] = 0;
        }
        pthread_mutex_unlock(mu);
        entry_release(&old);
    }
}

/* The entry of set that a new answer for key takes, under the set's lock: the one holding key (a key is in
 * one way at most), else an empty one, else the least recently used. */
static size_t way_for(size_t set, uint64_t h, const char *key)
{
    size_t empty = SLOTS, lru = set * WAYS;
    for (size_t w = 0; w < WAYS; w++) {
        size_t slot = set * WAYS + w;
        const struct entry *e = &R.table[slot];
        if (R.hash[slot] == h && e->body && strcmp(e->key, key) == 0) return slot;
        if (!e->body && empty == SLOTS) empty = slot;
        if (R.stamp[slot] < R.stamp[lru]) lru = slot;
    }
    return empty < SLOTS ? empty : lru;
}

static int reply_json(struct bc_req *req, const char *key, const json_t *const *in, size_t n,
                      const struct bc_store *store, const struct bc_store_digest *digest, json_t *body)
{
    size_t len = 0;
    char *s = body ? bc_json_dumps(body, &len) : NULL; /* json_dumps' bytes, faster */
    json_decref(body);
    if (!s) return BC_ENOMEM;
    if (n <= BC_RENDERED_MAX_INPUTS && len <= BODY_MAX && strlen(key) < KEY_MAX) {
        struct entry fresh = {.n = n, .in = malloc((n ? n : 1) * sizeof *in), .body = malloc(len ? len : 1)};
        if (fresh.in && fresh.body) {
            snprintf(fresh.key, sizeof fresh.key, "%s", key);
            if (digest) {
                fresh.has_digest = true;
                memcpy(fresh.digest, digest->b, sizeof fresh.digest);
                fresh.store = store->serial;
                fresh.snap = digest->snap;
            }
            memcpy(fresh.body, s, len);
            fresh.len = len;
            for (size_t i = 0; i < n; i++) fresh.in[i] = in[i] ? bc_json_ref(in[i]) : NULL;
            if (__atomic_load_n(&R.body_bytes, __ATOMIC_RELAXED) + len > BODY_BUDGET) evict_for(len);
            uint64_t h = hash_of(key);
            size_t set = set_of(h);
            pthread_mutex_t *mu = lock_of(set * WAYS);
            struct entry old = {0};
            pthread_mutex_lock(mu);
            size_t slot = way_for(set, h, key);
            size_t now = __atomic_load_n(&R.body_bytes, __ATOMIC_RELAXED);
            if (now - R.table[slot].len + len <= BODY_BUDGET) {
                __atomic_add_fetch(&R.body_bytes, len, __ATOMIC_RELAXED);
                __atomic_sub_fetch(&R.body_bytes, R.table[slot].len, __ATOMIC_RELAXED);
                old = R.table[slot];
                R.table[slot] = fresh;
                R.hash[slot] = h;
                touch_slot(slot);
                fresh = (struct entry){0};
            }
            pthread_mutex_unlock(mu);
            entry_release(&old);
            entry_release(&fresh); /* not remembered when over the budget */
        } else {
            free(fresh.in);
            free(fresh.body);
        }
    }
    return bc_reply_json_text(req, 200, s, len);
}

int bc_rendered_reply_json(struct bc_req *req, const char *key, const json_t *const *in, size_t n,
                           json_t *body)
{
    return reply_json(req, key, in, n, NULL, NULL, body);
}

int bc_rendered_reply_json_digest(struct bc_req *req, const char *key, const struct bc_store *s,
                                  const struct bc_store_digest *d, json_t *body)
{
    return reply_json(req, key, NULL, 0, s, d->ok ? d : NULL, body);
}

void bc_rendered_clear(void)
{
    for (size_t i = 0; i < SLOTS; i++) {
        pthread_mutex_t *mu = lock_of(i);
        pthread_mutex_lock(mu);
        struct entry old = R.table[i];
        __atomic_sub_fetch(&R.body_bytes, old.len, __ATOMIC_RELAXED);
        memset(&R.table[i], 0, sizeof R.table[i]);
        R.hash[i] = 0;
        R.stamp[i] = 0;
        pthread_mutex_unlock(mu);
        entry_release(&old);
    }
}
