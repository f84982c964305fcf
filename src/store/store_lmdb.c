/* The embedded store backend on LMDB: one memory-mapped file, nothing to run, safe across threads and
 * processes on one machine. This file opens and closes the store and holds its single-item reads and
 * writes, reap and check; the backend's other files are listed at the end of the DESIGN NOTES.
 *
 * DESIGN NOTES
 * - Database "items": key = PK "\0" SK (so one PK's items are contiguous and ordered by SK bytes, like
 *   DynamoDB's string sort keys), value = the item as compact JSON.
 * - Database "ttl": key = big-endian 64-bit ttl + PK "\0" SK, empty value; an index of items that expire,
 *   kept in the same write transaction as the item, so reaping never scans the whole store. A write with
 *   ttl_group (struct bc_write: a conversation's messages, which share its ttl) is indexed by its group
 *   instead: key = ttl + PK "\0" + its SK up to its last '#' + "\xff", value "g", one entry for every item
 *   of that prefix with that ttl, put by the first of them and only looked up by the others (a read: no page
 *   of the index is written). Reaping such an entry deletes the items of the prefix whose ttl is that one.
 *   It made a chat turn's commit touch no page of the index (4 of its 12 pages; docs/performance.md).
 * - Every write (one item, a batch: all its items or none, or a batch of updates, where a failed condition
 *   skips only its own update) goes through the commit queue (lmdb_commit.c): read the current item, check
 *   the condition, write, inside a write transaction that concurrent writers of this process share (group
 *   commit: one commit, one sync, each writer all-or-nothing on its own). LMDB serialises write
 *   transactions across threads and processes, so conditional writes are atomic.
 * - Durability: the environment is opened with MDB_NOSYNC and every commit is followed by mdb_env_sync,
 *   except commits of only lazy writes (struct bc_cond.lazy), which housekeeping syncs within a second: so
 * chat messages and counters cost no fsync, while bookings are on disk when acknowledged. sync=none (URL)
 * skips the syncs entirely (benchmarks of the engine's ceiling); sync=full is the default. A process crash
 * never loses a committed transaction (the OS has it); only a machine crash can lose lazy ones.
 * - Readers never block writers (MVCC). MDB_NOTLS: a read transaction is not bound to its thread.
 * - Read-only reads answer without a transaction when the memo holds the item as a read-only transaction
 *   found it and nothing written since could have changed it: every commit since was this handle's and
 *   none wrote the key (lmdb_marks.c); any other process's commit sends them through a transaction again.
 * - The backend's files (shared internals in lmdb_internal.h): lmdb_memo.c (the memo of parsed items that
 *   read-only reads share), lmdb_marks.c (this handle's commits and what they wrote), lmdb_query.c (query,
 *   scan, cursors), lmdb_backup.c (backup, restore), lmdb_commit.c (the commit queue: group commit). */
#include "store/lmdb_internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"
#include "util/log.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int bc__lmdb_map_err(int rc)
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

/* The length of key's group prefix (PK "\0" and its SK up to and including its last '#'), 0 when its SK has
 * no '#' (then it is indexed on its own). */
static size_t group_prefix(const char *key, size_t klen)
{
    const char *sk = memchr(key, '\0', klen);
    if (!sk) return 0;
    for (size_t i = klen; i > (size_t)(sk - key) + 1; i--)
        if (key[i - 1] == '#') return i;
    return 0;
}

/* A group entry's key: ttl + the group prefix + 0xff (a byte UTF-8 never has: no item's own entry is
 * equal to it). */
#define GROUP_END   '\xff'
#define GROUP_VALUE "g"

int bc__lmdb_txn_begin(struct bc__lmdb_store *st, unsigned flags, MDB_txn **txn)
{
    int rc = mdb_txn_begin(st->env, NULL, flags, txn);
    if (rc == MDB_MAP_RESIZED) {
        /* another process grew the map: adopt its size and retry */
        mdb_env_set_mapsize(st->env, 0);
        rc = mdb_txn_begin(st->env, NULL, flags, txn);
    }
    return bc__lmdb_map_err(rc);
}

/* How read_live parses: a fresh value the caller owns, or a shared read-only one from the memo (kept there
 * for the next reader, or not: a writer's current item is about to be replaced). */
enum parse { PARSE_FRESH, PARSE_SHARED, PARSE_SHARED_NO_KEEP };

/* Reads the live (unexpired) item at key inside txn; *out NULL when absent; *stored_ttl (when not NULL) is
 * the ttl of whatever is stored, expired or not, 0 for none. snap: txn's id when it is read-only, else 0. */
static int read_live(struct bc__lmdb_store *st, MDB_txn *txn, const char *key, size_t klen, enum parse how,
                     uint64_t snap, json_t **out, int64_t *stored_ttl)
{
    MDB_val k = {klen, (void *)key}, v;
    *out = NULL;
    if (stored_ttl) *stored_ttl = 0;
    int rc = mdb_get(txn, st->items, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return bc__lmdb_map_err(rc);
    json_t *j = how == PARSE_FRESH
                    ? bc__lmdb_decode(&v)
                    : bc__lmdb_decode_shared(st->memo, key, klen, &v, how == PARSE_SHARED, snap);
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
 * of whatever is stored now (expired or not), 0 for none. group: the new item is indexed by its group's
 * entry (struct bc_write.ttl_group); an old entry of its own is still removed when its ttl moves. */
static int write_item(struct bc__lmdb_store *st, MDB_txn *txn, const char *key, size_t klen, int64_t old_ttl,
                      json_t *item, bool keep, bool group)
{
    char tk[BC__LMDB_KEYBUF + 9];
    MDB_val k = {klen, (void *)key};
    int rc;
    int64_t new_ttl = item_ttl(item);
    /* a nested transaction (a writer inside a group) has its group's id: the commit's */
    bc__lmdb_marks_write(st->marks, key, klen, (uint64_t)mdb_txn_id(txn));
    if (old_ttl && old_ttl != new_ttl) {
        MDB_val t = {make_ttl_key(tk, old_ttl, key, klen), tk};
        rc = mdb_del(txn, st->ttl, &t, NULL);
        if (rc && rc != MDB_NOTFOUND) return bc__lmdb_map_err(rc);
    }
    if (!item) {
        rc = mdb_del(txn, st->items, &k, NULL);
        if (rc == 0) st->items_written++;
        return rc == MDB_NOTFOUND ? 0 : bc__lmdb_map_err(rc);
    }
    size_t len = 0;
    char *s = bc__lmdb_encode(item, &len);
    if (!s) return BC_ENOMEM;
    MDB_val v = {len, s};
    rc = mdb_put(txn, st->items, &k, &v, 0);
    if (rc == 0) st->items_written++;
    /* a kept item goes to the memo now: if the transaction does not commit, its bytes are not the stored
     * ones and the memo never hands it out (every memo read compares the bytes) */
    if (rc == 0 && keep && st->memo) bc__lmdb_memo_keep(st->memo, key, klen, s, v.mv_size, item);
    free(s);
    if (rc) return bc__lmdb_map_err(rc);
    if (!new_ttl || new_ttl == old_ttl) return 0;
    size_t glen = group ? group_prefix(key, klen) : 0;
    MDB_val t = {make_ttl_key(tk, new_ttl, key, glen ? glen : klen), tk}, e = {0, ""};
    if (glen) {
        tk[t.mv_size++] = GROUP_END;
        /* the group's entry is there already for most of its items: looked up, no page written */
        rc = mdb_get(txn, st->ttl, &t, &e);
        if (rc == 0) return 0;
        if (rc != MDB_NOTFOUND) return bc__lmdb_map_err(rc);
        e = (MDB_val){1, GROUP_VALUE};
    }
    rc = mdb_put(txn, st->ttl, &t, &e, 0);
    return rc ? bc__lmdb_map_err(rc) : 0;
}

/* The id of the latest committed write transaction, by any process (from the meta page LMDB writes last in a
 * commit, so it never names a commit whose pages are not in place yet). */
static uint64_t last_txnid(struct bc__lmdb_store *st)
{
    MDB_envinfo info;
    return mdb_env_info(st->env, &info) == 0 ? (uint64_t)info.me_last_txnid : 0;
}

struct key_at {
    struct bc__lmdb_store *st;
    const char *key;
    size_t klen;
    uint64_t last;
};

static bool key_current(void *arg, uint64_t snap)
{
    struct key_at *a = arg;
    return bc__lmdb_marks_key_current(a->st->marks, a->key, a->klen, snap, a->last);
}

static int get_item(struct bc__lmdb_store *st, const char *pk, const char *sk, bool shared, json_t **out)
{
    char key[BC__LMDB_KEYBUF];
    size_t klen = make_key(key, pk, sk);
    if (shared && st->memo) {
        /* nothing written to this key since a read found the memo's bytes stored (lmdb_marks.c): no
         * transaction, no B-tree walk (with 10,000 tenants the walk and its page misses were what made hot
         * reads dearer than with 10) */
        struct key_at at = {st, key, klen, last_txnid(st)};
        json_t *j = bc__lmdb_memo_current(st->memo, key, klen, key_current, &at);
        if (j && bc__store_expired(j, bc_now_s())) {
            json_decref(j);
            return BC_ENOT_FOUND;
        }
        if (j) {
            atomic_fetch_add_explicit(&st->reads_without_txn, 1, memory_order_relaxed);
            *out = j;
            return 0;
        }
    }
    MDB_txn *txn;
    int rc = bc__lmdb_txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    rc = read_live(st, txn, key, klen, shared ? PARSE_SHARED : PARSE_FRESH, (uint64_t)mdb_txn_id(txn), out,
                   NULL);
    mdb_txn_abort(txn);
    if (rc == 0 && !*out) return BC_ENOT_FOUND;
    return rc;
}

static int lm_get(struct bc_store *s, const char *pk, const char *sk, json_t **out)
{
    return get_item((struct bc__lmdb_store *)s, pk, sk, false, out);
}

static int lm_get_ro(struct bc_store *s, const char *pk, const char *sk, json_t **out)
{
    return get_item((struct bc__lmdb_store *)s, pk, sk, true, out);
}

/* The stored bytes of pk/sk, handed to fn inside a read-only transaction: fn's answer, BC_ENOT_FOUND when
 * nothing is stored, or the transaction's error. For reads that look at the bytes themselves. */
struct raw_read {
    int (*fn)(struct bc__lmdb_store *st, MDB_txn *txn, const char *key, size_t klen, const MDB_val *v,
              void *arg);
    void *arg;
};

static int with_bytes(struct bc__lmdb_store *st, const char *pk, const char *sk, const struct raw_read *r)
{
    char key[BC__LMDB_KEYBUF];
    size_t klen = make_key(key, pk, sk);
    MDB_txn *txn;
    int rc = bc__lmdb_txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    MDB_val k = {klen, key}, v;
    rc = mdb_get(txn, st->items, &k, &v);
    rc = rc == MDB_NOTFOUND ? BC_ENOT_FOUND
         : rc               ? bc__lmdb_map_err(rc)
                            : r->fn(st, txn, key, klen, &v, r->arg);
    mdb_txn_abort(txn);
    return rc;
}

static int exists_in(struct bc__lmdb_store *st, MDB_txn *txn, const char *key, size_t klen, const MDB_val *v,
                     void *arg)
{
    (void)arg;
    if (!bc__lmdb_may_have_ttl(v)) return 0;
    /* its ttl decides: parsed, but not kept in the memo (a check, not a read) */
    json_t *j = NULL;
    int rc = read_live(st, txn, key, klen, PARSE_FRESH, 0, &j, NULL);
    if (rc == 0 && !j) rc = BC_ENOT_FOUND;
    json_decref(j);
    return rc;
}

static int lm_exists(struct bc_store *s, const char *pk, const char *sk)
{
    return with_bytes((struct bc__lmdb_store *)s, pk, sk, &(struct raw_read){exists_in, NULL});
}

struct fields {
    const char *const *names;
    size_t n;
    json_t **out;
};

static int fields_of(struct bc__lmdb_store *st, MDB_txn *txn, const char *key, size_t klen, const MDB_val *v,
                     void *arg)
{
    struct fields *f = arg;
    (void)st, (void)txn, (void)key, (void)klen;
    if (!(*f->out = bc__lmdb_decode_only(v, f->names, f->n))) return BC_EIO;
    if (!bc__store_expired(*f->out, bc_now_s())) return 0; /* "ttl" is always kept */
    json_decref(*f->out);
    *f->out = NULL;
    return BC_ENOT_FOUND;
}

static int lm_get_fields(struct bc_store *s, const char *pk, const char *sk, const char *const *names,
                         size_t n, json_t **out)
{
    struct fields f = {names, n, out};
    return with_bytes((struct bc__lmdb_store *)s, pk, sk, &(struct raw_read){fields_of, &f});
}

static uint64_t lm_generation(struct bc_store *s)
{
    return last_txnid((struct bc__lmdb_store *)s);
}

static bool lm_item_unchanged(struct bc_store *s, const char *pk, const char *sk, uint64_t snap,
                              uint64_t *now)
{
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    char key[BC__LMDB_KEYBUF];
    size_t klen = make_key(key, pk, sk);
    uint64_t last = last_txnid(st);
    if (!snap || !bc__lmdb_marks_key_current(st->marks, key, klen, snap, last)) return false;
    *now = last;
    return true;
}

static bool lm_kind_unchanged(struct bc_store *s, const char *pk, const char *kind, uint64_t snap,
                              uint64_t *now)
{
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    uint64_t last = last_txnid(st);
    if (!snap || !bc__lmdb_marks_kind_current(st->marks, pk, kind, snap, last)) return false;
    *now = last;
    return true;
}

/* One item's write inside txn: current item -> condition -> new item (from put or update) -> write. With
 * out, *out is the item as written (caller decrefs). */
static int write_step(struct bc__lmdb_store *st, MDB_txn *txn, const char *pk, const char *sk,
                      json_t *put_item, const struct bc_update *u, bool del, const struct bc_cond *cond,
                      bool keep, bool group, json_t **out)
{
    char key[BC__LMDB_KEYBUF];
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
        if (rc == MDB_NOTFOUND || (rc == 0 && !bc__lmdb_may_have_ttl(&v))) {
            rc = rc == 0 && cond && cond->kind == BC_COND_NOT_EXISTS ? BC_ECOND : 0;
            if (rc < 0) goto out;
            goto checked;
        }
        if (rc) {
            rc = bc__lmdb_map_err(rc);
            goto out;
        }
    }
    rc = read_live(st, txn, key, klen, PARSE_SHARED_NO_KEEP, 0, &cur, &old_ttl);
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
    rc = write_item(st, txn, key, klen, old_ttl, next, keep && put_item, group && put_item);
    if (rc == 0 && out) {
        *out = next;
        next = NULL;
    }
out:
    json_decref(cur);
    json_decref(next);
    return rc;
}

/* One item's write, as the commit queue applies it (struct bc__lmdb_apply). */
struct op_write {
    const char *pk, *sk;
    json_t *put_item;
    const struct bc_update *u;
    bool del;
    const struct bc_cond *cond;
    json_t *written; /* with want_out: the item as written, until the caller takes it */
    bool want_out;
};

static int apply_op(struct bc__lmdb_store *st, MDB_txn *txn, void *arg)
{
    struct op_write *o = arg;
    return write_step(st, txn, o->pk, o->sk, o->put_item, o->u, o->del, o->cond, false, false,
                      o->want_out ? &o->written : NULL);
}

/* The common write path: one item's write step, committed through the commit queue. */
static int write_op(struct bc__lmdb_store *st, const char *pk, const char *sk, json_t *put_item,
                    const struct bc_update *u, bool del, const struct bc_cond *cond, json_t **out)
{
    struct op_write o = {
        .pk = pk, .sk = sk, .put_item = put_item, .u = u, .del = del, .cond = cond, .want_out = out != NULL};
    struct bc__lmdb_apply a = {apply_op, &o};
    int rc = bc__lmdb_commit(st, &a, cond && cond->lazy);
    if (rc == 0 && out)
        *out = o.written;
    else
        json_decref(o.written);
    return rc;
}

/* A batch's writes, as the commit queue applies them: all or none. */
struct batch_write {
    const struct bc_write *w;
    size_t n;
    size_t failed; /* the index of the write that failed; n while none did */
};

static int apply_batch(struct bc__lmdb_store *st, MDB_txn *txn, void *arg)
{
    struct batch_write *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        const struct bc_write *w = &b->w[i];
        const char *pk = json_string_value(json_object_get(w->item, "PK"));
        const char *sk = json_string_value(json_object_get(w->item, "SK"));
        int rc = write_step(st, txn, pk, sk, w->item, NULL, false, &w->cond, w->keep, w->ttl_group, NULL);
        if (rc < 0) {
            b->failed = i; /* the queue aborts this batch's transaction: nothing of it is written */
            return rc;
        }
    }
    return 0;
}

static int lm_put_batch(struct bc_store *s, const struct bc_write *w, size_t n, size_t *failed)
{
    struct batch_write b = {.w = w, .n = n, .failed = n};
    struct bc__lmdb_apply a = {apply_batch, &b};
    bool lazy = true;
    for (size_t i = 0; i < n; i++) lazy = lazy && w[i].cond.lazy;
    int rc = bc__lmdb_commit((struct bc__lmdb_store *)s, &a, lazy);
    if (b.failed < n) *failed = b.failed; /* else a commit or sync error: stays 0, as before the queue */
    return rc;
}

struct update_batch {
    struct bc_update_op *ops;
    size_t n;
};

/* Applies the updates in the queue's transaction: a failed condition skips its own update (write_step
 * changes nothing before the check), any other error fails the whole batch. */
static int apply_updates(struct bc__lmdb_store *st, MDB_txn *txn, void *arg)
{
    struct update_batch *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        struct bc_update_op *op = &b->ops[i];
        op->rc = write_step(st, txn, op->pk, op->sk, NULL, &op->u, false, &op->cond, false, false,
                            op->want_out ? &op->out : NULL);
        if (op->rc < 0 && op->rc != BC_ECOND) return op->rc;
    }
    return 0;
}

/* One commit (through the queue, so grouped with other writers) for the whole batch. The sync is decided
 * before the updates run, so a batch is lazy only when every op asks for it. */
static int lm_update_batch(struct bc_store *s, struct bc_update_op *ops, size_t n)
{
    struct update_batch b = {ops, n};
    struct bc__lmdb_apply a = {apply_updates, &b};
    bool lazy = true;
    for (size_t i = 0; i < n; i++) lazy = lazy && ops[i].cond.lazy;
    int rc = bc__lmdb_commit((struct bc__lmdb_store *)s, &a, lazy);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++) {
            json_decref(ops[i].out);
            ops[i].out = NULL;
            ops[i].rc = rc;
        }
    }
    return rc;
}

static int lm_put(struct bc_store *s, json_t *item, const struct bc_cond *cond)
{
    const char *pk = json_string_value(json_object_get(item, "PK"));
    const char *sk = json_string_value(json_object_get(item, "SK"));
    return write_op((struct bc__lmdb_store *)s, pk, sk, item, NULL, false, cond, NULL);
}

static int lm_update(struct bc_store *s, const char *pk, const char *sk, const struct bc_update *u,
                     const struct bc_cond *cond, json_t **out)
{
    return write_op((struct bc__lmdb_store *)s, pk, sk, NULL, u, false, cond, out);
}

static int lm_del(struct bc_store *s, const char *pk, const char *sk, const struct bc_cond *cond)
{
    return write_op((struct bc__lmdb_store *)s, pk, sk, NULL, NULL, true, cond, NULL);
}

/* Reaps the items of a group entry (write_item) of ttl t whose prefix is pre: deletes those of the prefix
 * whose ttl is t, up to *budget of them (counting it down); *done once the prefix was scanned to its end
 * (the entry can go). 0 or a negative bc_err. */
static int reap_group(struct bc__lmdb_store *st, MDB_txn *txn, const char *pre, size_t plen, int64_t t,
                      int *budget, bool *done)
{
    MDB_cursor *cur;
    int rc = bc__lmdb_map_err(mdb_cursor_open(txn, st->items, &cur));
    if (rc < 0) return rc;
    MDB_val k = {plen, (void *)pre}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    *done = false;
    while (mrc == 0 && k.mv_size >= plen && memcmp(k.mv_data, pre, plen) == 0) {
        if (*budget <= 0) goto out;
        json_t *j = bc__lmdb_decode(&v);
        bool dead = j && item_ttl(j) == t; /* rewritten with another ttl: its own entry reaps it */
        json_decref(j);
        if (dead) {
            if ((rc = bc__lmdb_map_err(mdb_cursor_del(cur, 0))) < 0) goto out;
            (*budget)--;
        }
        /* after a delete the cursor stands on the next item already: MDB_NEXT returns that one */
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (mrc && mrc != MDB_NOTFOUND)
        rc = bc__lmdb_map_err(mrc);
    else
        *done = true;
out:
    mdb_cursor_close(cur);
    return rc;
}

static int lm_reap(struct bc_store *s, int max_items)
{
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    int dead = 0;
    mdb_reader_check(st->env, &dead); /* free reader slots of crashed processes */
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = bc__lmdb_txn_begin(st, 0, &txn), budget = max_items;
    if (rc < 0) return rc;
    rc = bc__lmdb_map_err(mdb_cursor_open(txn, st->ttl, &cur));
    if (rc < 0) goto out;
    int64_t now = bc_now_s();
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0 && budget > 0 && k.mv_size > 8) {
        const unsigned char *p = k.mv_data;
        uint64_t t = 0;
        for (int i = 0; i < 8; i++) t = (t << 8) | p[i];
        if ((int64_t)t > now) break;
        if (v.mv_size == 1 && *(const char *)v.mv_data == GROUP_VALUE[0] &&
            p[k.mv_size - 1] == (unsigned char)GROUP_END) {
            bool done;
            rc = reap_group(st, txn, (const char *)p + 8, k.mv_size - 9, (int64_t)t, &budget, &done);
            if (rc < 0) goto out;
            if (!done) break; /* the budget ran out inside the group: its entry stays for the next round */
        } else {
            MDB_val ik = {k.mv_size - 8, (char *)k.mv_data + 8}, iv;
            /* delete the item only if its ttl is still this one (it may have been rewritten) */
            if (mdb_get(txn, st->items, &ik, &iv) == 0) {
                json_t *j = bc__lmdb_decode(&iv);
                if (j && item_ttl(j) == (int64_t)t) {
                    rc = bc__lmdb_map_err(mdb_del(txn, st->items, &ik, NULL));
                    if (rc < 0) {
                        json_decref(j);
                        goto out;
                    }
                    budget--;
                }
                json_decref(j);
            }
        }
        rc = bc__lmdb_map_err(mdb_cursor_del(cur, 0));
        if (rc < 0) goto out;
        /* the index is ordered by ttl and we always remove its head: start again from the first entry */
        mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }
    mdb_cursor_close(cur);
    cur = NULL;
    rc = bc__lmdb_map_err(mdb_txn_commit(txn));
    txn = NULL;
out:
    if (cur) mdb_cursor_close(cur);
    if (txn) mdb_txn_abort(txn);
    return rc < 0 ? rc : max_items - budget;
}

static int lm_check(struct bc_store *s, json_t **report)
{
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    MDB_txn *txn;
    MDB_stat is, ts;
    MDB_envinfo info;
    *report = NULL;
    int rc = bc__lmdb_txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    rc = bc__lmdb_map_err(mdb_stat(txn, st->items, &is));
    if (rc == 0) rc = bc__lmdb_map_err(mdb_stat(txn, st->ttl, &ts));
    /* every stored value must decode as an object with PK/SK matching its key */
    size_t bad = 0;
    MDB_cursor *cur = NULL;
    if (rc == 0 && (rc = bc__lmdb_map_err(mdb_cursor_open(txn, st->items, &cur))) == 0) {
        MDB_val k, v;
        int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        while (mrc == 0) {
            json_t *j = bc__lmdb_decode(&v);
            const char *pk = json_string_value(json_object_get(j, "PK"));
            const char *sk = json_string_value(json_object_get(j, "SK"));
            char key[BC__LMDB_KEYBUF];
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
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    return st->nosync ? 0 : bc__lmdb_map_err(mdb_env_sync(st->env, 1));
}

void bc__lmdb_close(struct bc_store *s)
{
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    if (st->queue_ready) {
        bc__lmdb_queue_release(&st->queue); /* its sync thread first: it syncs the env */
        bc_log(BC_LOG_DEBUG, "lmdb: %llu writes in %llu group commits, %llu syncs", st->queue.writers,
               st->queue.groups, st->queue.syncs);
    }
    if (st->env) {
        mdb_env_sync(st->env, 1);
        mdb_env_close(st->env);
    }
    bc__lmdb_memo_free(st->memo);
    bc__lmdb_marks_free(st->marks);
    free(st);
}

static const struct bc_store_ops lmdb_ops = {
    .name = "lmdb",
    .get = lm_get,
    .get_ro = lm_get_ro,
    .exists = lm_exists,
    .get_fields = lm_get_fields,
    .put = lm_put,
    .put_batch = lm_put_batch,
    .update = lm_update,
    .update_batch = lm_update_batch,
    .del = lm_del,
    .query = bc__lmdb_query,
    .scan = bc__lmdb_scan,
    .query_digest = bc__lmdb_query_digest,
    .generation = lm_generation,
    .item_unchanged = lm_item_unchanged,
    .kind_unchanged = lm_kind_unchanged,
    .reap = lm_reap,
    .check = lm_check,
    .sync = lm_sync,
    .when_durable = bc__lmdb_when_durable,
    .close = bc__lmdb_close,
    .backup = bc__lmdb_backup,
};

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
    struct bc__lmdb_store *st = calloc(1, sizeof *st);
    if (!st) return BC_ENOMEM;
    st->base.ops = &lmdb_ops;
    st->nosync = nosync;
    st->memo = bc__lmdb_memo_new();   /* without it (out of memory), read-only reads parse every time */
    st->marks = bc__lmdb_marks_new(); /* without them, reads are current only when nothing was committed */
    if (bc__lmdb_queue_init(&st->queue) < 0) {
        bc__lmdb_memo_free(st->memo);
        bc__lmdb_marks_free(st->marks);
        free(st);
        return BC_ENOMEM;
    }
    st->queue_ready = true;
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
        bc__lmdb_close(&st->base);
        return rc == ENOMEM ? BC_ENOMEM : BC_EIO;
    }
    *out = &st->base;
    return 0;
}
