/* The memo of the LMDB store backend: items parsed from LMDB kept by key, next to the exact bytes they
 * were parsed from, so that read-only reads (bc_store_get_ro, read-only queries) and a writer's look at
 * the current item skip the JSON parse of an item that has not changed since it was last parsed.
 *
 * DESIGN NOTES
 * - Validated on every read, never invalidated: an entry is handed out only when its key and value bytes
 *   equal the bytes stored now, so a write by any thread or process is seen at once, and an entry kept by
 *   a transaction that did not commit is never handed out. The one exception, bc__lmdb_memo_current, hands
 *   out an entry without the stored bytes when the caller's rule (store_lmdb.c, lmdb_marks.c) says that the
 *   bytes the entry's read-only transaction found are still the stored ones.
 * - Set-associative: MEMO_SETS sets of MEMO_WAYS entries, the set chosen by the FNV-1a hash of the key,
 *   MEMO_LOCKS mutexes striped over the sets (a key is in one entry of its set at most). Direct-mapped, two
 *   hot items whose keys hashed to one slot pushed each other out and were parsed again on every read; values
 * over MEMO_VALUE_MAX bytes are not kept, and keys and values together stay within MEMO_BYTES.
 * - A new key takes its set's empty way, else the least recently used one (a stamp per entry, ordered within
 *   its set). The sweep's mark is no guide there: it is cleared only when the budget is short, so after a
 *   crawl had left every way of some sets marked, two hot keys of such a set took its first way in turn and
 *   were parsed again on every read (6 % of the reads of the 10,000-tenant bench).
 * - Shared values are read-only for everyone (store.h): handed out with json_incref, never modified.
 * - Eviction is a clock sweep with a second chance (memo_evict), so a pass over many cold items cannot
 *   keep hot items out. */
#include "store/lmdb_internal.h"
#include "util/hash.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MEMO_WAYS      BC__LMDB_MEMO_WAYS
#define MEMO_SETS      BC__LMDB_MEMO_SETS
#define MEMO_SLOTS     (MEMO_SETS * MEMO_WAYS)
#define MEMO_LOCKS     64
#define MEMO_VALUE_MAX 16384
#define MEMO_BYTES     ((size_t)4 << 20)

struct memo_entry {
    uint64_t hash;
    size_t klen, vlen;
    char *kv; /* the key's bytes, then the value's */
    json_t *value;
    uint64_t stamp; /* its set's recency order: the highest was read or kept last (0: empty) */
    uint64_t snap;  /* the latest read-only transaction that found these bytes stored (0: none known) */
    bool used;      /* read since the eviction hand last passed */
};

struct bc__lmdb_memo {
    pthread_mutex_t mu[MEMO_LOCKS];
    atomic_size_t bytes;
    atomic_size_t hand; /* the next slot the eviction sweep looks at */
    struct memo_entry e[MEMO_SLOTS];
};

struct bc__lmdb_memo *bc__lmdb_memo_new(void)
{
    struct bc__lmdb_memo *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    for (int i = 0; i < MEMO_LOCKS; i++) pthread_mutex_init(&m->mu[i], NULL);
    atomic_init(&m->bytes, 0);
    atomic_init(&m->hand, 0);
    return m;
}

void bc__lmdb_memo_free(struct bc__lmdb_memo *m)
{
    if (!m) return;
    for (int i = 0; i < MEMO_SLOTS; i++) {
        free(m->e[i].kv);
        json_decref(m->e[i].value);
    }
    for (int i = 0; i < MEMO_LOCKS; i++) pthread_mutex_destroy(&m->mu[i]);
    free(m);
}

/* Makes room for size more bytes: a clock sweep frees entries not read since the hand last passed them and
 * clears the mark of those that were (second chance), for at most two turns of the table. Without it, a
 * memo filled by one pass over many cold items (a crawl over every tenant) would never take a hot item
 * again. Called holding no slot lock. */
static void memo_evict(struct bc__lmdb_memo *m, size_t size)
{
    for (size_t n = 0; n < 2 * MEMO_SLOTS && atomic_load(&m->bytes) + size > MEMO_BYTES; n++) {
        size_t slot = atomic_fetch_add(&m->hand, 1) % MEMO_SLOTS;
        pthread_mutex_t *mu = &m->mu[(slot / MEMO_WAYS) % MEMO_LOCKS];
        struct memo_entry *e = &m->e[slot], old = {0};
        pthread_mutex_lock(mu);
        if (e->used) {
            e->used = false;
        } else if (e->kv) {
            old = *e;
            atomic_fetch_sub(&m->bytes, e->klen + e->vlen);
            *e = (struct memo_entry){0};
        }
        pthread_mutex_unlock(mu);
        free(old.kv);
        json_decref(old.value);
    }
}

/* Where key lives in the memo: its hash, its set's entries and the set's mutex. */
struct memo_ref {
    uint64_t h;
    struct memo_entry *set;
    pthread_mutex_t *mu;
};

static struct memo_ref memo_ref(struct bc__lmdb_memo *m, const char *key, size_t klen)
{
    uint64_t h = bc_fnv1a(BC_FNV1A_INIT, key, klen);
    size_t set = (size_t)(h % MEMO_SETS);
    return (struct memo_ref){h, &m->e[set * MEMO_WAYS], &m->mu[set % MEMO_LOCKS]};
}

static bool same_key(const struct memo_entry *e, uint64_t h, const char *key, size_t klen)
{
    return e->kv && e->hash == h && e->klen == klen && memcmp(e->kv, key, klen) == 0;
}

/* Makes e the most recently used entry of its set (the set's lock held). */
static void memo_touch(struct memo_entry *set, struct memo_entry *e)
{
    uint64_t top = 0;
    for (size_t w = 0; w < MEMO_WAYS; w++)
        if (set[w].stamp > top) top = set[w].stamp;
    if (e->stamp < top || !e->stamp) e->stamp = top + 1;
}

/* The entry of r's set that key's new value takes (the set's lock held): the one holding key, else an
 * empty one, else the least recently used. */
static struct memo_entry *memo_way(struct memo_ref r, const char *key, size_t klen)
{
    struct memo_entry *empty = NULL, *lru = &r.set[0];
    for (size_t w = 0; w < MEMO_WAYS; w++) {
        struct memo_entry *e = &r.set[w];
        if (same_key(e, r.h, key, klen)) return e;
        if (!e->kv && !empty) empty = e;
        if (e->stamp < lru->stamp) lru = e;
    }
    return empty ? empty : lru;
}

/* Keeps j (a reference: never modified from now on) as the parsed value of the bytes (data, size) at key
 * (whose place is r), when the memo's budget allows. */
static void memo_keep(struct bc__lmdb_memo *m, struct memo_ref r, const char *key, size_t klen,
                      const void *data, size_t vsize, json_t *j, uint64_t snap)
{
    if (vsize > MEMO_VALUE_MAX) return;
    size_t size = klen + vsize;
    if (atomic_load(&m->bytes) + size > MEMO_BYTES) memo_evict(m, size);
    char *kv = malloc(size);
    if (!kv) return;
    memcpy(kv, key, klen);
    memcpy(kv + klen, data, vsize);
    char *old_kv = NULL;
    json_t *old = NULL;
    pthread_mutex_lock(r.mu);
    struct memo_entry *e = memo_way(r, key, klen);
    size_t old_size = e->kv ? e->klen + e->vlen : 0;
    if (atomic_load(&m->bytes) - old_size + size <= MEMO_BYTES) {
        old_kv = e->kv;
        old = e->value;
        atomic_fetch_sub(&m->bytes, old_size);
        atomic_fetch_add(&m->bytes, size);
        *e = (struct memo_entry){r.h, klen, vsize, kv, json_incref(j), e->stamp, snap, false};
        memo_touch(r.set, e);
        kv = NULL;
    }
    pthread_mutex_unlock(r.mu);
    free(kv);
    free(old_kv);
    json_decref(old);
}

void bc__lmdb_memo_keep(struct bc__lmdb_memo *m, const char *key, size_t klen, const void *data, size_t vsize,
                        json_t *j)
{
    memo_keep(m, memo_ref(m, key, klen), key, klen, data, vsize, j, 0);
}

/* key's entry in r's set (the set's lock held), or NULL. */
static struct memo_entry *memo_find(struct memo_ref r, const char *key, size_t klen)
{
    for (size_t w = 0; w < MEMO_WAYS; w++)
        if (same_key(&r.set[w], r.h, key, klen) && r.set[w].value) return &r.set[w];
    return NULL;
}

/* A read found e current (the set's lock held; snap: its read-only transaction, or 0): e's value (new
 * reference), e marked read. */
static json_t *memo_hit(struct memo_ref r, struct memo_entry *e, uint64_t snap)
{
    e->used = true;
    if (snap > e->snap) e->snap = snap;
    memo_touch(r.set, e);
    return json_incref(e->value);
}

json_t *bc__lmdb_memo_current(struct bc__lmdb_memo *m, const char *key, size_t klen,
                              bool (*current)(void *arg, uint64_t snap), void *arg)
{
    if (!m) return NULL;
    struct memo_ref r = memo_ref(m, key, klen);
    pthread_mutex_lock(r.mu);
    struct memo_entry *e = memo_find(r, key, klen);
    json_t *j = e && e->snap && current(arg, e->snap) ? memo_hit(r, e, 0) : NULL;
    pthread_mutex_unlock(r.mu);
    return j;
}

json_t *bc__lmdb_decode_shared(struct bc__lmdb_memo *m, const char *key, size_t klen, const MDB_val *v,
                               bool remember, uint64_t snap)
{
    if (!m) return bc__lmdb_decode(v);
    struct memo_ref r = memo_ref(m, key, klen);
    pthread_mutex_lock(r.mu);
    struct memo_entry *e = memo_find(r, key, klen);
    /* the bytes stored now are the bytes it was parsed from: the same item */
    json_t *j = e && e->vlen == v->mv_size && memcmp(e->kv + klen, v->mv_data, v->mv_size) == 0
                    ? memo_hit(r, e, snap)
                    : NULL;
    pthread_mutex_unlock(r.mu);
    if (j) return j;
    if ((j = bc__lmdb_decode(v)) && remember) memo_keep(m, r, key, klen, v->mv_data, v->mv_size, j, snap);
    return j;
}
