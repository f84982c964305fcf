/* The memo of read-only query answers of the LMDB store backend: a query's items (shared, read-only) and
 * cursor kept under the query's parameters with the read-only transaction that found them, and answered
 * again without a transaction, a cursor or a look-up per item while the write marks (lmdb_marks.c) say
 * that nothing written since could change it: the services list behind every widget read, the calendar
 * days behind every availability answer.
 *
 * DESIGN NOTES
 * - Current when every commit since the answer's transaction was this handle's and none wrote an item of
 *   the query's partition (or of its kind, when the query's range lies within one kind: "SERVICE#…"), and
 *   no item of the answer (nor the one after a full page) has reached its ttl. An item that had expired
 *   stays expired, so skipped items never come back.
 * - Set-associative like the item memo: QM_SETS sets of QM_WAYS, the set by the FNV-1a hash of the query's
 *   parameters, a mutex per stripe of sets, the least recently used way replaced. Answers of more than
 *   QM_ITEMS_MAX items or QM_ENTRY_BYTES stored bytes are not kept, and the kept answers' stored bytes stay
 *   within QM_BYTES (their items are mostly the item memo's own objects, shared).
 * - The items are handed out with json_incref in a new array: read-only for everyone (store.h). */
#include "store/lmdb_internal.h"
#include "util/hash.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define QM_WAYS        4
#define QM_SETS        512
#define QM_LOCKS       64
#define QM_ITEMS_MAX   64
#define QM_ENTRY_BYTES 32768
#define QM_BYTES       ((size_t)2 << 20)

struct qm_entry {
    uint64_t hash;
    char *key; /* the query's parameters (bc__lmdb_qmemo_key) */
    size_t klen;
    json_t *items;   /* the answer's items, shared */
    char *cursor;    /* its next_cursor, or NULL */
    uint64_t snap;   /* the read-only transaction that found them */
    int64_t expires; /* the earliest ttl among them (and the item after a full page), 0 for none */
    size_t bytes;    /* their stored bytes, counted in the budget */
    uint64_t stamp;  /* recency within the set (0: empty) */
};

struct bc__lmdb_qmemo {
    pthread_mutex_t mu[QM_LOCKS];
    atomic_size_t bytes;
    struct qm_entry e[QM_SETS * QM_WAYS];
};

struct bc__lmdb_qmemo *bc__lmdb_qmemo_new(void)
{
    struct bc__lmdb_qmemo *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    for (int i = 0; i < QM_LOCKS; i++) pthread_mutex_init(&m->mu[i], NULL);
    atomic_init(&m->bytes, 0);
    return m;
}

static void entry_clear(struct bc__lmdb_qmemo *m, struct qm_entry *e)
{
    if (!e->stamp) return;
    atomic_fetch_sub(&m->bytes, e->bytes);
    free(e->key);
    json_decref(e->items);
    free(e->cursor);
    *e = (struct qm_entry){0};
}

void bc__lmdb_qmemo_free(struct bc__lmdb_qmemo *m)
{
    if (!m) return;
    for (size_t i = 0; i < QM_SETS * QM_WAYS; i++) entry_clear(m, &m->e[i]);
    for (int i = 0; i < QM_LOCKS; i++) pthread_mutex_destroy(&m->mu[i]);
    free(m);
}

/* Appends a field and its NUL (an absent one as a lone 0x01, which no key holds) to buf. */
static size_t add_field(char *buf, size_t at, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 1;
    if (at + n + 1 > cap) return cap + 1;
    memcpy(buf + at, s ? s : "\x01", n);
    buf[at + n] = '\0';
    return at + n + 1;
}

size_t bc__lmdb_qmemo_key(const struct bc_query *q, char *buf, size_t cap)
{
    size_t at = 0;
    at = add_field(buf, at, cap, q->pk);
    at = add_field(buf, at, cap, q->sk_prefix);
    at = add_field(buf, at, cap, q->sk_from);
    at = add_field(buf, at, cap, q->sk_to);
    at = add_field(buf, at, cap, q->cursor);
    if (at + 1 + sizeof q->limit > cap) return 0;
    buf[at++] = q->descending ? 'd' : 'a';
    memcpy(buf + at, &q->limit, sizeof q->limit);
    return at + sizeof q->limit;
}

void bc__lmdb_qmemo_kind(const struct bc_query *q, const char **kind, size_t *kindlen)
{
    *kind = NULL;
    *kindlen = 0;
    if (q->sk_prefix) {
        const char *h = strchr(q->sk_prefix, '#');
        if (h) *kind = q->sk_prefix, *kindlen = (size_t)(h - q->sk_prefix);
        return;
    }
    if (!q->sk_from || !q->sk_to) return;
    const char *a = strchr(q->sk_from, '#'), *b = strchr(q->sk_to, '#');
    /* every key between two SKs of one kind is of that kind */
    if (a && b && a - q->sk_from == b - q->sk_to &&
        memcmp(q->sk_from, q->sk_to, (size_t)(a - q->sk_from)) == 0)
        *kind = q->sk_from, *kindlen = (size_t)(a - q->sk_from);
}

struct qm_ref {
    struct qm_entry *set;
    pthread_mutex_t *mu;
    uint64_t h;
};

static struct qm_ref qm_ref(struct bc__lmdb_qmemo *m, const char *key, size_t klen)
{
    uint64_t h = bc_fnv1a(BC_FNV1A_INIT, key, klen);
    size_t set = (size_t)(h % QM_SETS);
    return (struct qm_ref){&m->e[set * QM_WAYS], &m->mu[set % QM_LOCKS], h};
}

static struct qm_entry *qm_find(struct qm_ref r, const char *key, size_t klen)
{
    for (size_t w = 0; w < QM_WAYS; w++) {
        struct qm_entry *e = &r.set[w];
        if (e->stamp && e->hash == r.h && e->klen == klen && memcmp(e->key, key, klen) == 0) return e;
    }
    return NULL;
}

static void qm_touch(struct qm_ref r, struct qm_entry *e)
{
    uint64_t top = 0;
    for (size_t w = 0; w < QM_WAYS; w++)
        if (r.set[w].stamp > top) top = r.set[w].stamp;
    if (e->stamp != top || top == 0) e->stamp = top + 1;
}

bool bc__lmdb_qmemo_get(struct bc__lmdb_qmemo *m, const char *key, size_t klen, int64_t now,
                        bool (*current)(void *arg, uint64_t snap), void *arg, struct bc_query_result *res)
{
    if (!m || !klen) return false;
    struct qm_ref r = qm_ref(m, key, klen);
    pthread_mutex_lock(r.mu);
    struct qm_entry *e = qm_find(r, key, klen);
    bool hit = e && (!e->expires || now < e->expires) && current(arg, e->snap);
    json_t *items = NULL;
    char *cursor = NULL;
    if (hit) {
        items = json_array();
        size_t i;
        json_t *it;
        json_array_foreach(e->items, i, it) if (items) json_array_append(items, it);
        cursor = e->cursor ? strdup(e->cursor) : NULL;
        if (!items || json_array_size(items) != json_array_size(e->items) || (e->cursor && !cursor))
            hit = false;
        else
            qm_touch(r, e);
    }
    pthread_mutex_unlock(r.mu);
    if (!hit) {
        json_decref(items);
        free(cursor);
        return false;
    }
    res->items = items;
    res->next_cursor = cursor;
    return true;
}

void bc__lmdb_qmemo_put(struct bc__lmdb_qmemo *m, const char *key, size_t klen, uint64_t snap,
                        const struct bc_query_result *res, int64_t expires, size_t bytes)
{
    if (!m || !klen || !snap || json_array_size(res->items) > QM_ITEMS_MAX || bytes > QM_ENTRY_BYTES) return;
    struct qm_ref r = qm_ref(m, key, klen);
    pthread_mutex_lock(r.mu);
    struct qm_entry *e = qm_find(r, key, klen);
    if (e && e->snap >= snap) { /* a reader of a later snapshot kept it already */
        pthread_mutex_unlock(r.mu);
        return;
    }
    if (!e) {
        e = &r.set[0];
        for (size_t w = 0; w < QM_WAYS && e->stamp; w++)
            if (!r.set[w].stamp || r.set[w].stamp < e->stamp) e = &r.set[w];
    }
    entry_clear(m, e);
    /* the caller's array is its own: a copy of it holds the (shared) items */
    char *k = malloc(klen), *cursor = res->next_cursor ? strdup(res->next_cursor) : NULL;
    json_t *items = json_copy(res->items);
    if (!k || !items || (res->next_cursor && !cursor) || atomic_load(&m->bytes) + bytes > QM_BYTES) {
        free(k);
        free(cursor);
        json_decref(items);
        pthread_mutex_unlock(r.mu);
        return;
    }
    memcpy(k, key, klen);
    atomic_fetch_add(&m->bytes, bytes);
    *e = (struct qm_entry){r.h, k, klen, items, cursor, snap, expires, bytes, 0};
    qm_touch(r, e);
    pthread_mutex_unlock(r.mu);
}
