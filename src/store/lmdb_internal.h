/* Private to the files of the LMDB store backend (store_lmdb.c and lmdb_*.c): the state of an open store
 * and the helpers they share, the memo of parsed items (lmdb_memo.c), and the store operations each file
 * implements. Nothing outside these files includes it. */
#ifndef BC_STORE_LMDB_INTERNAL_H
#define BC_STORE_LMDB_INTERNAL_H
#include "store/store.h"

#include <jansson.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a PK "\0" SK key. */
#define BC__LMDB_KEYBUF (2 * BC_STORE_KEY_MAX + 2)

/* The commit queue (lmdb_commit.c): writers waiting for a group commit, and the syncs that make the
 * groups durable. Guarded by mu. */
struct bc__lmdb_queue {
    pthread_mutex_t mu;
    struct bc__lmdb_writer *head, *tail; /* waiting, in arrival order; the head leads the next group */
    size_t waiting;                      /* writers in the list */
    bool leading;                        /* a leader is applying and committing a group now */
    unsigned long long committed;        /* groups committed (each leader's sequence number) */
    unsigned long long synced;           /* every group up to this number is on disk */
    unsigned syncing;                    /* syncs running (sync_done is broadcast when one ends) */
    unsigned long long sync_upto;        /* the groups the latest sync started covers */
    pthread_cond_t sync_done;
    unsigned long long groups, writers, syncs; /* since open: groups run, writers they carried, syncs */
    unsigned long long deferred;               /* writers answered on commit in a deferral span */
    /* deferred writes' callbacks (bc_store_when_durable), run by the sync thread once synced */
    struct bc__lmdb_durable *durable;
    pthread_cond_t durable_added;
    pthread_t syncer;
    bool syncer_running, syncer_stop;
};

/* An open LMDB store (its base is what bc_store_open hands out); read-only after bc__store_lmdb_open, but
 * for its commit queue. */
struct bc__lmdb_store {
    struct bc_store base;
    MDB_env *env;
    bool nosync; /* sync=none: never fsync */
    MDB_dbi items;
    MDB_dbi ttl;
    struct bc__lmdb_memo *memo;   /* NULL when it could not be allocated: read-only reads then parse */
    struct bc__lmdb_marks *marks; /* this handle's commits and what they wrote (lmdb_marks.c); may be NULL */
    struct bc__lmdb_queue queue;
    unsigned long long items_written; /* successful puts and deletes of items (the queue's leader only) */
    atomic_ullong reads_without_txn;  /* read-only reads answered without a transaction (lmdb_marks.c) */
    bool queue_ready;                 /* queue initialised (released by bc__lmdb_close) */
};

/* ---- store_lmdb.c ---- */

/* The bc_err of an LMDB return code (0 stays 0; unexpected codes are logged and become BC_EIO). */
int bc__lmdb_map_err(int rc);
/* Begins a transaction (flags: 0 or MDB_RDONLY) into *txn, adopting a map grown by another process. 0 or
 * a negative bc_err. */
int bc__lmdb_txn_begin(struct bc__lmdb_store *st, unsigned flags, MDB_txn **txn);
void bc__lmdb_close(struct bc_store *s);

/* ---- how values are stored (lmdb_codec.c) ---- */

/* The bytes stored for item (malloc'd, *len set): CBOR, or JSON for an item nested too deep; NULL when out
 * of memory. */
char *bc__lmdb_encode(const json_t *item, size_t *len);
/* Parses a stored value, CBOR or JSON (new reference); NULL when corrupt (logged). */
json_t *bc__lmdb_decode(const MDB_val *v);
/* bc__lmdb_decode keeping only the root's members named in names[0..n) and "ttl": the others are skipped by
 * the CBOR walk without being made (scalars) or dropped after it. NULL when undecodable. */
json_t *bc__lmdb_decode_only(const MDB_val *v, const char *const *names, size_t n);
/* Whether stored bytes are CBOR (else JSON). */
bool bc__lmdb_is_cbor(const void *data, size_t size);
/* False only when the stored item surely has no "ttl" key (so it is live and has no ttl entry). */
bool bc__lmdb_may_have_ttl(const MDB_val *v);

/* ---- the memo of parsed items (lmdb_memo.c) ---- */

struct bc__lmdb_memo;
/* Its entries: BC__LMDB_MEMO_SETS sets of BC__LMDB_MEMO_WAYS, a key's set by its FNV-1a hash (unit tests
 * make keys that share one). */
#define BC__LMDB_MEMO_WAYS 4
#define BC__LMDB_MEMO_SETS 2048
/* An empty memo, or NULL when out of memory. Free with bc__lmdb_memo_free. */
struct bc__lmdb_memo *bc__lmdb_memo_new(void);
/* Frees m and every value it holds; NULL is a no-op. */
void bc__lmdb_memo_free(struct bc__lmdb_memo *m);
/* Keeps j (a reference is taken; never modified from now on) as the parsed value of the bytes (data,
 * vsize) at key, when the memo's budget allows (written by a transaction not committed yet: not known to
 * be current in any snapshot). */
void bc__lmdb_memo_keep(struct bc__lmdb_memo *m, const char *key, size_t klen, const void *data, size_t vsize,
                        json_t *j);
/* The parsed value of the stored bytes v at key (new reference): shared with the memo m (read-only for the
 * caller), parsed (and, with remember, kept) when m does not hold exactly these bytes; simply parsed when m
 * is NULL. snap: the id of the read-only transaction v was read in (the memo then knows its value is current
 * as of that transaction), 0 inside a write transaction. NULL when undecodable (logged). */
json_t *bc__lmdb_decode_shared(struct bc__lmdb_memo *m, const char *key, size_t klen, const MDB_val *v,
                               bool remember, uint64_t snap);
/* key's kept value (new reference, read-only) when a read-only transaction found exactly its bytes stored
 * and current(arg, that transaction's id) says nothing written since changed them (store_lmdb.c asks
 * lmdb_marks.c): the stored value now, read without a transaction. NULL otherwise. */
json_t *bc__lmdb_memo_current(struct bc__lmdb_memo *m, const char *key, size_t klen,
                              bool (*current)(void *arg, uint64_t snap), void *arg);

/* ---- write marks (lmdb_marks.c) ---- */

struct bc__lmdb_marks;
/* No marks, no commits known; NULL when out of memory. Free with bc__lmdb_marks_free (NULL: no-op). */
struct bc__lmdb_marks *bc__lmdb_marks_new(void);
void bc__lmdb_marks_free(struct bc__lmdb_marks *m);
/* The write transaction txnid writes (or deletes) key: marks it. Called by the commit queue's leader only,
 * before the commit. */
void bc__lmdb_marks_write(struct bc__lmdb_marks *m, const char *key, size_t klen, uint64_t txnid);
/* The write transaction txnid, which marked all it wrote, has committed. Leader only. */
void bc__lmdb_marks_commit(struct bc__lmdb_marks *m, uint64_t txnid);
/* Whether what a read-only transaction with id snap found at key is still stored when last is the latest
 * committed transaction: snap == last, or every commit since snap was this handle's and none wrote key. */
bool bc__lmdb_marks_key_current(struct bc__lmdb_marks *m, const char *key, size_t klen, uint64_t snap,
                                uint64_t last);
/* Whether no item of partition pk whose SK starts with kind (the part of an SK up to and including its first
 * '#', as "SERVICE#") was written, added or deleted after snap when last is the latest commit: snap == last,
 * or every commit since was this handle's and none marked the kind. False for any other prefix. */
bool bc__lmdb_marks_kind_current(struct bc__lmdb_marks *m, const char *pk, const char *kind, uint64_t snap,
                                 uint64_t last);

/* ---- the commit queue (lmdb_commit.c) ---- */

/* One writer's writes: fn applies them inside txn (a write transaction it must neither commit nor abort,
 * and must not use after returning) and returns 0 or a negative bc_err; arg is fn's. */
struct bc__lmdb_apply {
    int (*fn)(struct bc__lmdb_store *st, MDB_txn *txn, void *arg);
    void *arg;
};
int bc__lmdb_queue_init(struct bc__lmdb_queue *q);
/* Stops the sync thread (after it has answered every callback waiting) and releases the queue. */
void bc__lmdb_queue_release(struct bc__lmdb_queue *q);
/* The backend's bc_store_when_durable. */
bool bc__lmdb_when_durable(struct bc_store *s, uint64_t seq, void (*done)(void *ud, int rc), void *ud);
/* Applies a's writes in a group commit (lmdb_commit.c DESIGN NOTES): all of them or none, in the order of
 * arrival among concurrent writers, committed and, unless lazy or sync=none, synced before it returns
 * (or, in a deferral span of this thread, recorded in its ticket: bc_store_defer_begin).
 * Returns a's own error (nothing of it written), or the group's commit or sync error, or 0. */
int bc__lmdb_commit(struct bc__lmdb_store *st, const struct bc__lmdb_apply *a, bool lazy);

/* ---- the store operations (struct bc_store_ops of lmdb, in store_lmdb.c) ---- */

/* lmdb_query.c */
int bc__lmdb_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res);
int bc__lmdb_scan(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res);
int bc__lmdb_query_digest(struct bc_store *s, const struct bc_query *q, struct bc_store_digest *out);
/* lmdb_backup.c */
int bc__lmdb_backup(struct bc_store *s, const char *dest_dir, char *err, size_t errsize);

#endif
