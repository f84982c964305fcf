/* The embedded store backend on LMDB: one memory-mapped file, nothing to run, safe across threads and
 * processes on one machine.
 *
 * DESIGN NOTES
 * - Database "items": key = PK "\0" SK (so one PK's items are contiguous and ordered by SK bytes, like
 *   DynamoDB's string sort keys), value = the item as compact JSON.
 * - Database "ttl": key = big-endian 64-bit ttl + PK "\0" SK, empty value; an index of items that expire,
 *   kept in the same write transaction as the item, so reaping never scans the whole store.
 * - Every write is one LMDB write transaction: read the current item, check the condition, write, commit.
 *   A batch (bc_store_put_batch) is one transaction for all its items: all are written or none.
 *   LMDB serialises write transactions across threads and processes, so conditional writes are atomic.
 * - Durability: the environment is opened with MDB_NOSYNC and every commit is followed by mdb_env_sync,
 *   except lazy writes (struct bc_cond.lazy), which housekeeping syncs within a second: so chat messages
 *   and counters cost no fsync, while bookings are on disk when acknowledged. sync=none (URL) skips the
 *   syncs entirely (benchmarks of the engine's ceiling); sync=full is the default. A process crash never
 *   loses a committed transaction (the OS has it); only a machine crash can lose lazy ones.
 * - Readers never block writers (MVCC). MDB_NOTLS: a read transaction is not bound to its thread.
 * - Backups (bc_store_backup) are mdb_env_copy2 with MDB_CP_COMPACT: one read transaction, so the copy is
 *   exactly the commits before it, while writers go on; restore opens the copy read-only without a lock
 *   file and copies it again into the new directory, then runs the integrity check on the result. */
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEMO_SLOTS     8192
#define MEMO_LOCKS     64
#define MEMO_VALUE_MAX 16384
#define MEMO_BYTES     ((size_t)4 << 20)

struct memo_entry {
    uint64_t hash;
    size_t klen, vlen;
    char *kv; /* the key's bytes, then the value's */
    json_t *value;
    bool used; /* read since the eviction hand last passed */
};

struct memo {
    pthread_mutex_t mu[MEMO_LOCKS];
    atomic_size_t bytes;
    atomic_size_t hand; /* the next slot the eviction sweep looks at */
    struct memo_entry e[MEMO_SLOTS];
};

struct lmdb_store {
    struct bc_store base;
    MDB_env *env;
    bool nosync; /* sync=none: never fsync */
    MDB_dbi items;
    MDB_dbi ttl;
    struct memo *memo;
};

#define KEYBUF (2 * BC_STORE_KEY_MAX + 2)

static int map_err(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return BC_ENOT_FOUND;
    case MDB_MAP_FULL:
        return BC_EFULL;
    case ENOMEM:
        return BC_ENOMEM;
    default:
        bc_log(BC_LOG_ERROR, "lmdb: %s", mdb_strerror(rc));
        return BC_EIO;
    }
}

static size_t make_key(char *buf, const char *pk, const char *sk)
{
    size_t pl = strlen(pk), sl = strlen(sk);
    memcpy(buf, pk, pl);
    buf[pl] = '\0';
    memcpy(buf + pl + 1, sk, sl);
    return pl + 1 + sl;
}

static int64_t item_ttl(json_t *item)
{
    json_t *t = item ? json_object_get(item, "ttl") : NULL;
    return json_is_number(t) && json_number_value(t) > 0 ? (int64_t)json_number_value(t) : 0;
}

static size_t make_ttl_key(char *buf, int64_t ttl, const char *key, size_t klen)
{
    uint64_t t = (uint64_t)ttl;
    for (int i = 7; i >= 0; i--) {
        buf[i] = (char)(t & 0xff);
        t >>= 8;
    }
    memcpy(buf + 8, key, klen);
    return 8 + klen;
}

static int txn_begin(struct lmdb_store *st, unsigned flags, MDB_txn **txn)
{
    int rc = mdb_txn_begin(st->env, NULL, flags, txn);
    if (rc == MDB_MAP_RESIZED) {
        /* another process grew the map: adopt its size and retry */
        mdb_env_set_mapsize(st->env, 0);
        rc = mdb_txn_begin(st->env, NULL, flags, txn);
    }
    return map_err(rc);
}

/* Parses a stored value; NULL when corrupt (logged). */
static json_t *decode(const MDB_val *v)
{
    json_t *j = json_loadb(v->mv_data, v->mv_size, JSON_DISABLE_EOF_CHECK, NULL);
    if (!j) bc_log(BC_LOG_ERROR, "lmdb: undecodable item (%zu bytes)", v->mv_size);
    return j;
}

static struct memo *memo_new(void)
{
    struct memo *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    for (int i = 0; i < MEMO_LOCKS; i++) pthread_mutex_init(&m->mu[i], NULL);
    atomic_init(&m->bytes, 0);
    atomic_init(&m->hand, 0);
    return m;
}

static void memo_free(struct memo *m)
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
static void memo_evict(struct memo *m, size_t size)
{
    for (size_t n = 0; n < 2 * MEMO_SLOTS && atomic_load(&m->bytes) + size > MEMO_BYTES; n++) {
        size_t slot = atomic_fetch_add(&m->hand, 1) % MEMO_SLOTS;
        pthread_mutex_t *mu = &m->mu[slot % MEMO_LOCKS];
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

/* Where key lives in the memo: its hash, its slot and the slot's mutex. */
struct memo_ref {
    uint64_t h;
    struct memo_entry *e;
    pthread_mutex_t *mu;
};

static struct memo_ref memo_ref(struct memo *m, const char *key, size_t klen)
{
    uint64_t h = bc_fnv1a(BC_FNV1A_INIT, key, klen);
    size_t slot = (size_t)(h % MEMO_SLOTS);
    return (struct memo_ref){h, &m->e[slot], &m->mu[slot % MEMO_LOCKS]};
}

/* Keeps j (a reference: never modified from now on) as the parsed value of the bytes (data, size) at key
 * (whose place is r), when the memo's budget allows. */
static void memo_keep(struct memo *m, struct memo_ref r, const char *key, size_t klen, const void *data,
                      size_t vsize, json_t *j)
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
    struct memo_entry *e = r.e;
    pthread_mutex_lock(r.mu);
    size_t old_size = e->kv ? e->klen + e->vlen : 0;
    if (atomic_load(&m->bytes) - old_size + size <= MEMO_BYTES) {
        old_kv = e->kv;
        old = e->value;
        atomic_fetch_sub(&m->bytes, old_size);
        atomic_fetch_add(&m->bytes, size);
        *e = (struct memo_entry){r.h, klen, vsize, kv, json_incref(j), false};
        kv = NULL;
    }
    pthread_mutex_unlock(r.mu);
    free(kv);
    free(old_kv);
    json_decref(old);
}

/* The parsed value of the stored bytes v at key: shared with the memo (read-only for the caller), parsed
 * (and, with remember, kept) when the memo does not hold exactly these bytes. NULL when undecodable. */
static json_t *decode_shared(struct lmdb_store *st, const char *key, size_t klen, const MDB_val *v,
                             bool remember)
{
    struct memo *m = st->memo;
    if (!m) return decode(v);
    struct memo_ref r = memo_ref(m, key, klen);
    struct memo_entry *e = r.e;
    json_t *j = NULL;
    pthread_mutex_lock(r.mu);
    if (e->value && e->hash == r.h && e->klen == klen && e->vlen == v->mv_size &&
        memcmp(e->kv, key, klen) == 0 && memcmp(e->kv + klen, v->mv_data, v->mv_size) == 0) {
        j = json_incref(e->value);
        e->used = true;
    }
    pthread_mutex_unlock(r.mu);
    if (j) return j;
    if ((j = decode(v)) && remember) memo_keep(m, r, key, klen, v->mv_data, v->mv_size, j);
    return j;
}

/* How read_live parses: a fresh value the caller owns, or a shared read-only one from the memo (kept there
 * for the next reader, or not: a writer's current item is about to be replaced). */
enum parse { PARSE_FRESH, PARSE_SHARED, PARSE_SHARED_NO_KEEP };

/* Reads the live (unexpired) item at key inside txn; *out NULL when absent; *stored_ttl (when not NULL) is
 * the ttl of whatever is stored, expired or not, 0 for none. */
static int read_live(struct lmdb_store *st, MDB_txn *txn, const char *key, size_t klen, enum parse how,
                     json_t **out, int64_t *stored_ttl)
{
    MDB_val k = {klen, (void *)key}, v;
    *out = NULL;
    if (stored_ttl) *stored_ttl = 0;
    int rc = mdb_get(txn, st->items, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return map_err(rc);
    json_t *j = how == PARSE_FRESH ? decode(&v) : decode_shared(st, key, klen, &v, how == PARSE_SHARED);
    if (!j) return BC_EIO;
    if (stored_ttl) *stored_ttl = item_ttl(j);
    if (bc__store_expired(j, bc_now_s())) {
        json_decref(j);
        return 0;
    }
    *out = j;
    return 0;
}

/* Replaces (or, with item NULL, deletes) the item at key, keeping the ttl index in step. old_ttl is the ttl
 * of whatever is stored now (expired or not), 0 for none. */
static int write_item(struct lmdb_store *st, MDB_txn *txn, const char *key, size_t klen, int64_t old_ttl,
                      json_t *item, bool keep)
{
    char tk[KEYBUF + 8];
    MDB_val k = {klen, (void *)key};
    int rc;
    int64_t new_ttl = item_ttl(item);
    if (old_ttl && old_ttl != new_ttl) {
        MDB_val t = {make_ttl_key(tk, old_ttl, key, klen), tk};
        rc = mdb_del(txn, st->ttl, &t, NULL);
        if (rc && rc != MDB_NOTFOUND) return map_err(rc);
    }
    if (!item) {
        rc = mdb_del(txn, st->items, &k, NULL);
        return rc == MDB_NOTFOUND ? 0 : map_err(rc);
    }
    size_t len = 0;
    char *s = bc_json_dumps(item, &len); /* json_dumps(item, JSON_COMPACT)'s bytes, faster */
    if (!s) return BC_ENOMEM;
    MDB_val v = {len, s};
    rc = mdb_put(txn, st->items, &k, &v, 0);
    /* a kept item goes to the memo now: if the transaction does not commit, its bytes are not the stored
     * ones and the memo never hands it out (every memo read compares the bytes) */
    if (rc == 0 && keep && st->memo)
        memo_keep(st->memo, memo_ref(st->memo, key, klen), key, klen, s, v.mv_size, item);
    free(s);
    if (rc) return map_err(rc);
    if (new_ttl && new_ttl != old_ttl) {
        MDB_val t = {make_ttl_key(tk, new_ttl, key, klen), tk}, e = {0, ""};
        rc = mdb_put(txn, st->ttl, &t, &e, 0);
        if (rc) return map_err(rc);
    }
    return 0;
}

static int get_item(struct lmdb_store *st, const char *pk, const char *sk, bool shared, json_t **out)
{
    char key[KEYBUF];
    size_t klen = make_key(key, pk, sk);
    MDB_txn *txn;
    int rc = txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    rc = read_live(st, txn, key, klen, shared ? PARSE_SHARED : PARSE_FRESH, out, NULL);
    mdb_txn_abort(txn);
    if (rc == 0 && !*out) return BC_ENOT_FOUND;
    return rc;
}

static int lm_get(struct bc_store *s, const char *pk, const char *sk, json_t **out)
{
    return get_item((struct lmdb_store *)s, pk, sk, false, out);
}

static int lm_get_ro(struct bc_store *s, const char *pk, const char *sk, json_t **out)
{
    return get_item((struct lmdb_store *)s, pk, sk, true, out);
}

/* One item's write inside txn: current item -> condition -> new item (from put or update) -> write. With
 * out, *out is the item as written (caller decrefs). */
static int write_step(struct lmdb_store *st, MDB_txn *txn, const char *pk, const char *sk, json_t *put_item,
                      const struct bc_update *u, bool del, const struct bc_cond *cond, bool keep,
                      json_t **out)
{
    char key[KEYBUF];
    size_t klen = make_key(key, pk, sk);
    json_t *cur = NULL, *next = NULL;
    int64_t old_ttl = 0;
    /* the current item is only read (condition, ttl) or copied (update): parsed once, through the memo;
     * not at all for a put or delete whose condition needs no more than its existence, when its bytes
     * show that it has no ttl (so it is live, and there is no ttl entry to move) */
    int rc;
    if (!u && (!cond || cond->kind == BC_COND_NONE || cond->kind == BC_COND_NOT_EXISTS)) {
        MDB_val k = {klen, key}, v;
        rc = mdb_get(txn, st->items, &k, &v);
        if (rc == MDB_NOTFOUND || (rc == 0 && !memmem(v.mv_data, v.mv_size, "\"ttl\"", 5))) {
            rc = rc == 0 && cond && cond->kind == BC_COND_NOT_EXISTS ? BC_ECOND : 0;
            if (rc < 0) goto out;
            goto checked;
        }
        if (rc) {
            rc = map_err(rc);
            goto out;
        }
    }
    rc = read_live(st, txn, key, klen, PARSE_SHARED_NO_KEEP, &cur, &old_ttl);
    if (rc < 0) goto out;
    rc = bc__store_check_cond(cur, cond);
    if (rc < 0) goto out;
checked:
    if (put_item) {
        next = json_incref(put_item); /* only serialised: borrowed, as bc_store_put promises */
    } else if (!del) {
        next = cur ? json_deep_copy(cur) : json_object();
        if (next && !cur) {
            json_object_set_new(next, "PK", json_string(pk));
            json_object_set_new(next, "SK", json_string(sk));
        }
        if (next && (rc = bc__store_apply_update(next, u)) < 0) goto out;
    }
    if (!del && !next) {
        rc = BC_ENOMEM;
        goto out;
    }
    rc = write_item(st, txn, key, klen, old_ttl, next, keep && put_item);
    if (rc == 0 && out) {
        *out = next;
        next = NULL;
    }
out:
    json_decref(cur);
    json_decref(next);
    return rc;
}

/* Commits txn (always consumed) and, unless lazy or sync=none, makes it durable. */
static int commit(struct lmdb_store *st, MDB_txn *txn, bool lazy)
{
    int rc = map_err(mdb_txn_commit(txn));
    if (rc == 0 && !st->nosync && !lazy) rc = map_err(mdb_env_sync(st->env, 1));
    return rc;
}

/* The common write path: one item's write step in its own transaction, then commit. */
static int write_op(struct lmdb_store *st, const char *pk, const char *sk, json_t *put_item,
                    const struct bc_update *u, bool del, const struct bc_cond *cond, json_t **out)
{
    MDB_txn *txn;
    json_t *written = NULL;
    int rc = txn_begin(st, 0, &txn);
    if (rc < 0) return rc;
    rc = write_step(st, txn, pk, sk, put_item, u, del, cond, false, out ? &written : NULL);
    if (rc < 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = commit(st, txn, cond && cond->lazy);
    if (rc == 0 && out)
        *out = written;
    else
        json_decref(written);
    return rc;
}

static int lm_put_batch(struct bc_store *s, const struct bc_write *w, size_t n, size_t *failed)
{
    struct lmdb_store *st = (struct lmdb_store *)s;
    MDB_txn *txn;
    bool lazy = true;
    int rc = txn_begin(st, 0, &txn);
    if (rc < 0) return rc;
    for (size_t i = 0; i < n; i++) {
        const char *pk = json_string_value(json_object_get(w[i].item, "PK"));
        const char *sk = json_string_value(json_object_get(w[i].item, "SK"));
        if ((rc = write_step(st, txn, pk, sk, w[i].item, NULL, false, &w[i].cond, w[i].keep, NULL)) < 0) {
            *failed = i;
            mdb_txn_abort(txn); /* nothing of the batch is written */
            return rc;
        }
        lazy = lazy && w[i].cond.lazy;
    }
    return commit(st, txn, lazy);
}

static int lm_put(struct bc_store *s, json_t *item, const struct bc_cond *cond)
{
    const char *pk = json_string_value(json_object_get(item, "PK"));
    const char *sk = json_string_value(json_object_get(item, "SK"));
    return write_op((struct lmdb_store *)s, pk, sk, item, NULL, false, cond, NULL);
}

static int lm_update(struct bc_store *s, const char *pk, const char *sk, const struct bc_update *u,
                     const struct bc_cond *cond, json_t **out)
{
    return write_op((struct lmdb_store *)s, pk, sk, NULL, u, false, cond, out);
}

static int lm_del(struct bc_store *s, const char *pk, const char *sk, const struct bc_cond *cond)
{
    return write_op((struct lmdb_store *)s, pk, sk, NULL, NULL, true, cond, NULL);
}

/* Cursor = base64url of the last key's SK (query) or of the whole PK\0SK key (scan). */
static char *encode_cursor(const void *data, size_t n)
{
    char *c = malloc(bc_b64url_len(n));
    if (c) bc_b64url_encode(data, n, c);
    return c;
}

static int decode_cursor(const char *c, char *out, size_t cap, size_t *len)
{
    if (strlen(c) > 4 * cap / 3 + 4) return BC_EINVALID;
    int n = bc_b64url_decode(c, strlen(c), out, cap);
    if (n <= 0) return BC_EINVALID;
    *len = (size_t)n;
    return 0;
}

/* Does sk (length sl) satisfy the query's SK condition? */
static bool sk_in_range(const struct bc_query *q, const char *sk, size_t sl)
{
    if (q->sk_prefix) {
        size_t pl = strlen(q->sk_prefix);
        return sl >= pl && memcmp(sk, q->sk_prefix, pl) == 0;
    }
    /* byte-wise string comparison, like DynamoDB's BETWEEN on strings */
    if (q->sk_from) {
        size_t fl = strlen(q->sk_from);
        int c = memcmp(sk, q->sk_from, sl < fl ? sl : fl);
        if (c < 0 || (c == 0 && sl < fl)) return false;
    }
    if (q->sk_to) {
        size_t tl = strlen(q->sk_to);
        int c = memcmp(sk, q->sk_to, sl < tl ? sl : tl);
        if (c > 0 || (c == 0 && sl > tl)) return false;
    }
    return true;
}

/* Positions cur at the first candidate key in the query's direction. Returns 0, or MDB_NOTFOUND. */
static int seek_first(MDB_cursor *cur, const struct bc_query *q, const char *pfx, size_t pfxlen,
                      const char *after, size_t afterlen, MDB_val *k, MDB_val *v)
{
    char buf[KEYBUF + 1];
    int rc;
    if (!q->descending) {
        const char *start = after ? after : q->sk_prefix ? q->sk_prefix : q->sk_from ? q->sk_from : "";
        size_t sl = after ? afterlen : strlen(start);
        memcpy(buf, pfx, pfxlen);
        memcpy(buf + pfxlen, start, sl);
        k->mv_data = buf;
        k->mv_size = pfxlen + sl;
        rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
        if (rc == 0 && after && k->mv_size == pfxlen + sl && memcmp(k->mv_data, buf, pfxlen + sl) == 0)
            rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
        return rc;
    }
    /* descending: find the first key strictly greater than the upper bound, then step back */
    size_t bl;
    bool inclusive = false;
    memcpy(buf, pfx, pfxlen);
    if (after) {
        memcpy(buf + pfxlen, after, afterlen);
        bl = pfxlen + afterlen;
    } else if (q->sk_prefix || !q->sk_to) {
        /* successor of pfx+prefix: drop trailing 0xff bytes, increment the last one */
        const char *p = q->sk_prefix ? q->sk_prefix : "";
        size_t pl = strlen(p);
        memcpy(buf + pfxlen, p, pl);
        bl = pfxlen + pl;
        while (bl > 0 && (unsigned char)buf[bl - 1] == 0xff) bl--;
        buf[bl - 1] = (char)((unsigned char)buf[bl - 1] + 1); /* pfx ends in '\0', so bl >= 1 */
    } else {
        size_t tl = strlen(q->sk_to);
        memcpy(buf + pfxlen, q->sk_to, tl);
        bl = pfxlen + tl;
        inclusive = true;
    }
    k->mv_data = buf;
    k->mv_size = bl;
    rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return mdb_cursor_get(cur, k, v, MDB_LAST);
    if (rc) return rc;
    if (inclusive && k->mv_size == bl && memcmp(k->mv_data, buf, bl) == 0) return 0;
    return mdb_cursor_get(cur, k, v, MDB_PREV);
}

static int lm_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res)
{
    struct lmdb_store *st = (struct lmdb_store *)s;
    char pfx[BC_STORE_KEY_MAX + 1], after[BC_STORE_KEY_MAX + 1];
    size_t pfxlen = strlen(q->pk) + 1, afterlen = 0;
    int limit = q->limit ? q->limit : 100;
    memcpy(pfx, q->pk, pfxlen); /* includes the NUL separator */
    if (q->cursor && decode_cursor(q->cursor, after, sizeof after, &afterlen) < 0) return BC_EINVALID;

    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    res->items = json_array();
    rc = map_err(mdb_cursor_open(txn, st->items, &cur));
    if (rc < 0) goto out;
    MDB_val k, v;
    int mrc = seek_first(cur, q, pfx, pfxlen, q->cursor ? after : NULL, afterlen, &k, &v);
    int64_t now = bc_now_s();
    const char *last_sk = NULL;
    size_t last_len = 0;
    while (mrc == 0) {
        if (k.mv_size < pfxlen || memcmp(k.mv_data, pfx, pfxlen) != 0) break;
        const char *sk = (const char *)k.mv_data + pfxlen;
        size_t sl = k.mv_size - pfxlen;
        if (!sk_in_range(q, sk, sl)) {
            /* ascending: past the range (keys only grow); descending: we started at/under the upper bound,
             * so a miss means we are below the lower bound */
            break;
        }
        json_t *item = q->read_only ? decode_shared(st, k.mv_data, k.mv_size, &v, true) : decode(&v);
        if (!item) {
            rc = BC_EIO;
            goto out;
        }
        if (bc__store_expired(item, now)) {
            json_decref(item);
        } else if ((int)json_array_size(res->items) == limit) {
            /* one more live item exists: hand out a cursor at the last returned one */
            json_decref(item);
            res->next_cursor = encode_cursor(last_sk, last_len);
            if (!res->next_cursor) rc = BC_ENOMEM;
            break;
        } else {
            json_array_append_new(res->items, item);
            last_sk = sk;
            last_len = sl;
        }
        mrc = mdb_cursor_get(cur, &k, &v, q->descending ? MDB_PREV : MDB_NEXT);
    }
    if (mrc && mrc != MDB_NOTFOUND) rc = map_err(mrc);
out:
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc < 0) bc_query_result_release(res);
    return rc;
}

static int lm_scan(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res)
{
    struct lmdb_store *st = (struct lmdb_store *)s;
    char after[KEYBUF];
    size_t afterlen = 0;
    if (cursor && decode_cursor(cursor, after, sizeof after, &afterlen) < 0) return BC_EINVALID;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    res->items = json_array();
    rc = map_err(mdb_cursor_open(txn, st->items, &cur));
    if (rc < 0) goto out;
    MDB_val k = {afterlen, after}, v;
    int mrc = cursor ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (mrc == 0 && cursor && k.mv_size == afterlen && memcmp(k.mv_data, after, afterlen) == 0)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    int64_t now = bc_now_s();
    MDB_val last = {0, NULL};
    while (mrc == 0) {
        json_t *item = decode(&v);
        if (!item) {
            rc = BC_EIO;
            goto out;
        }
        if (bc__store_expired(item, now)) {
            json_decref(item);
        } else if ((int)json_array_size(res->items) == limit) {
            json_decref(item);
            res->next_cursor = encode_cursor(last.mv_data, last.mv_size);
            if (!res->next_cursor) rc = BC_ENOMEM;
            break;
        } else {
            json_array_append_new(res->items, item);
            last = k;
        }
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (mrc && mrc != MDB_NOTFOUND) rc = map_err(mrc);
out:
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc < 0) bc_query_result_release(res);
    return rc;
}

static int lm_reap(struct bc_store *s, int max_items)
{
    struct lmdb_store *st = (struct lmdb_store *)s;
    int dead = 0;
    mdb_reader_check(st->env, &dead); /* free reader slots of crashed processes */
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = txn_begin(st, 0, &txn), n = 0;
    if (rc < 0) return rc;
    rc = map_err(mdb_cursor_open(txn, st->ttl, &cur));
    if (rc < 0) goto out;
    int64_t now = bc_now_s();
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0 && n < max_items && k.mv_size > 8) {
        const unsigned char *p = k.mv_data;
        uint64_t t = 0;
        for (int i = 0; i < 8; i++) t = (t << 8) | p[i];
        if ((int64_t)t > now) break;
        MDB_val ik = {k.mv_size - 8, (char *)k.mv_data + 8}, iv;
        /* delete the item only if its ttl is still this one (it may have been rewritten) */
        if (mdb_get(txn, st->items, &ik, &iv) == 0) {
            json_t *j = decode(&iv);
            if (j && item_ttl(j) == (int64_t)t) {
                rc = map_err(mdb_del(txn, st->items, &ik, NULL));
                if (rc < 0) {
                    json_decref(j);
                    goto out;
                }
                n++;
            }
            json_decref(j);
        }
        rc = map_err(mdb_cursor_del(cur, 0));
        if (rc < 0) goto out;
        /* the index is ordered by ttl and we always remove its head: start again from the first entry */
        mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }
    mdb_cursor_close(cur);
    cur = NULL;
    rc = map_err(mdb_txn_commit(txn));
    txn = NULL;
out:
    if (cur) mdb_cursor_close(cur);
    if (txn) mdb_txn_abort(txn);
    return rc < 0 ? rc : n;
}

static int lm_check(struct bc_store *s, json_t **report)
{
    struct lmdb_store *st = (struct lmdb_store *)s;
    MDB_txn *txn;
    MDB_stat is, ts;
    MDB_envinfo info;
    *report = NULL;
    int rc = txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    rc = map_err(mdb_stat(txn, st->items, &is));
    if (rc == 0) rc = map_err(mdb_stat(txn, st->ttl, &ts));
    /* every stored value must decode as an object with PK/SK matching its key */
    size_t bad = 0;
    MDB_cursor *cur = NULL;
    if (rc == 0 && (rc = map_err(mdb_cursor_open(txn, st->items, &cur))) == 0) {
        MDB_val k, v;
        int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        while (mrc == 0) {
            json_t *j = decode(&v);
            const char *pk = json_string_value(json_object_get(j, "PK"));
            const char *sk = json_string_value(json_object_get(j, "SK"));
            char key[KEYBUF];
            if (!pk || !sk || strlen(pk) + strlen(sk) + 1 > sizeof key ||
                make_key(key, pk, sk) != k.mv_size || memcmp(key, k.mv_data, k.mv_size) != 0)
                bad++;
            json_decref(j);
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
        mdb_cursor_close(cur);
    }
    mdb_env_info(st->env, &info);
    mdb_txn_abort(txn);
    if (rc < 0) return rc;
    *report = json_pack("{s:s, s:I, s:I, s:I, s:I, s:b}", "backend", "lmdb", "items",
                        (json_int_t)is.ms_entries, "ttl_entries", (json_int_t)ts.ms_entries, "map_size",
                        (json_int_t)info.me_mapsize, "bad_items", (json_int_t)bad, "ok", bad == 0);
    return bad ? BC_EIO : 0;
}

static int lm_sync(struct bc_store *s)
{
    struct lmdb_store *st = (struct lmdb_store *)s;
    return st->nosync ? 0 : map_err(mdb_env_sync(st->env, 1));
}

static void lm_close(struct bc_store *s)
{
    struct lmdb_store *st = (struct lmdb_store *)s;
    if (st->env) {
        mdb_env_sync(st->env, 1);
        mdb_env_close(st->env);
    }
    memo_free(st->memo);
    free(st);
}

/* fsyncs path (a file or a directory); 0 or -1. */
static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Copies env compacted into dir (which must hold no store file) and makes the copy durable: the
 * environment runs with MDB_NOSYNC, so the copy is synced here. */
static int copy_env(MDB_env *env, const char *dir, char *err, size_t errsize)
{
    char file[4200];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errsize, "cannot create %s: %s", dir, strerror(errno));
        return BC_EIO;
    }
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    if (access(file, F_OK) == 0) {
        snprintf(err, errsize, "%s already holds a store: give an empty or new directory", dir);
        return BC_EINVALID;
    }
    /* one read transaction: the copy is the state of every commit before it, whatever writers do meanwhile */
    int rc = mdb_env_copy2(env, dir, MDB_CP_COMPACT);
    if (rc) {
        snprintf(err, errsize, "copy to %s failed: %s", dir, mdb_strerror(rc));
        return BC_EIO;
    }
    /* a copy holds what the store holds (personal data, hashes): private like the store */
    if (chmod(file, 0600) != 0 || fsync_path(file, O_RDONLY) != 0 ||
        fsync_path(dir, O_RDONLY | O_DIRECTORY) != 0) {
        snprintf(err, errsize, "cannot sync %s: %s", file, strerror(errno));
        return BC_EIO;
    }
    return 0;
}

static int lm_backup(struct bc_store *s, const char *dest_dir, char *err, size_t errsize)
{
    return copy_env(((struct lmdb_store *)s)->env, dest_dir, err, errsize);
}

static const struct bc_store_ops lmdb_ops = {
    .name = "lmdb",
    .get = lm_get,
    .get_ro = lm_get_ro,
    .put = lm_put,
    .put_batch = lm_put_batch,
    .update = lm_update,
    .del = lm_del,
    .query = lm_query,
    .scan = lm_scan,
    .reap = lm_reap,
    .check = lm_check,
    .sync = lm_sync,
    .close = lm_close,
    .backup = lm_backup,
};

/* The directory part of a spec ("DIR?options"); 0 or BC_EINVALID. */
static int spec_dir(const char *spec, char *dir, size_t size)
{
    const char *q = strchr(spec, '?');
    size_t dl = q ? (size_t)(q - spec) : strlen(spec);
    if (dl == 0 || dl >= size) return BC_EINVALID;
    memcpy(dir, spec, dl);
    dir[dl] = '\0';
    return 0;
}

int bc__store_lmdb_restore(const char *spec, const char *backup_dir, char *err, size_t errsize)
{
    char dir[4096], file[4200];
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    struct bc_store *restored = NULL;
    json_t *report = NULL;
    int rc;
    if (spec_dir(spec, dir, sizeof dir) < 0) {
        snprintf(err, errsize, "lmdb: bad directory in store URL");
        return BC_EINVALID;
    }
    snprintf(file, sizeof file, "%s/data.mdb", backup_dir);
    if (access(file, R_OK) != 0) {
        snprintf(err, errsize, "%s is not a backup (no data.mdb)", backup_dir);
        return BC_EINVALID;
    }
    /* the backup is only read: no lock file is created in it */
    int mrc = mdb_env_create(&env);
    if (!mrc) mrc = mdb_env_set_maxdbs(env, 4);
    if (!mrc) mrc = mdb_env_open(env, backup_dir, MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0600);
    if (!mrc) mrc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (!mrc) mrc = mdb_dbi_open(txn, "items", 0, &dbi);
    if (!mrc) mrc = mdb_dbi_open(txn, "ttl", 0, &dbi);
    if (txn) mdb_txn_abort(txn);
    if (mrc) {
        snprintf(err, errsize, "%s is not a bookchat backup: %s", backup_dir, mdb_strerror(mrc));
        rc = BC_EINVALID;
        goto out;
    }
    if ((rc = copy_env(env, dir, err, errsize)) < 0) goto out;
    mdb_env_close(env);
    env = NULL;
    /* the restored store must pass the same check as `bookchat store check` */
    if ((rc = bc__store_lmdb_open(spec, &restored, err, errsize)) < 0) goto out;
    rc = restored->ops->check(restored, &report);
    if (rc < 0) snprintf(err, errsize, "the restored store fails its check");
out:
    if (env) mdb_env_close(env);
    if (restored) lm_close(restored);
    json_decref(report);
    return rc;
}

/* spec: DIR[?mapsize=BYTES&sync=full|meta|none] */
int bc__store_lmdb_open(const char *spec, struct bc_store **out, char *err, size_t errsize)
{
    char dir[4096];
    size_t mapsize = (size_t)16 << 30;       /* virtual; the file grows only as data is written */
    unsigned flags = MDB_NOTLS | MDB_NOSYNC; /* commits sync explicitly, see DESIGN NOTES */
    bool nosync = false;
    const char *q = strchr(spec, '?');
    size_t dl = q ? (size_t)(q - spec) : strlen(spec);
    if (dl == 0 || dl >= sizeof dir) {
        snprintf(err, errsize, "lmdb: bad directory in store URL");
        return BC_EINVALID;
    }
    memcpy(dir, spec, dl);
    dir[dl] = '\0';
    for (const char *p = q; p && *p;) {
        p++;
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n > 8 && strncmp(p, "mapsize=", 8) == 0) {
            char *end;
            unsigned long long v = strtoull(p + 8, &end, 10);
            if (end != p + n || v < (1u << 20)) {
                snprintf(err, errsize, "lmdb: bad mapsize");
                return BC_EINVALID;
            }
            mapsize = (size_t)v;
        } else if (n == 9 && strncmp(p, "sync=full", 9) == 0) {
        } else if (n == 9 && strncmp(p, "sync=none", 9) == 0) {
            nosync = true;
        } else {
            snprintf(err, errsize, "lmdb: unknown option '%.*s'", (int)n, p);
            return BC_EINVALID;
        }
        p = amp;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errsize, "lmdb: cannot create %s: %s", dir, strerror(errno));
        return BC_EIO;
    }
    struct lmdb_store *st = calloc(1, sizeof *st);
    if (!st) return BC_ENOMEM;
    st->base.ops = &lmdb_ops;
    st->nosync = nosync;
    st->memo = memo_new(); /* without it (out of memory), read-only reads parse every time */
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&st->env);
    if (!rc) rc = mdb_env_set_maxdbs(st->env, 4);
    if (!rc) rc = mdb_env_set_maxreaders(st->env, 1024);
    if (!rc) rc = mdb_env_set_mapsize(st->env, mapsize);
    if (!rc) rc = mdb_env_open(st->env, dir, flags, 0600);
    if (!rc) {
        int dead = 0;
        mdb_reader_check(st->env, &dead);
        rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    }
    if (!rc) rc = mdb_dbi_open(txn, "items", MDB_CREATE, &st->items);
    if (!rc) rc = mdb_dbi_open(txn, "ttl", MDB_CREATE, &st->ttl);
    if (!rc) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (rc) {
        snprintf(err, errsize, "lmdb: cannot open %s: %s", dir, mdb_strerror(rc));
        if (txn) mdb_txn_abort(txn);
        lm_close(&st->base);
        return rc == ENOMEM ? BC_ENOMEM : BC_EIO;
    }
    *out = &st->base;
    return 0;
}
