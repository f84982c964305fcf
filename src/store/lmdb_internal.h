/* Private to the files of the LMDB store backend (store_lmdb.c and lmdb_*.c): the state of an open store
 * and the helpers they share, the memo of parsed items (lmdb_memo.c), and the store operations each file
 * implements. Nothing outside these files includes it. */
#ifndef BC_STORE_LMDB_INTERNAL_H
#define BC_STORE_LMDB_INTERNAL_H
#include "store/store.h"

#include <jansson.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>

/* Room for a PK "\0" SK key. */
#define BC__LMDB_KEYBUF (2 * BC_STORE_KEY_MAX + 2)

/* An open LMDB store (its base is what bc_store_open hands out); read-only after bc__store_lmdb_open. */
struct bc__lmdb_store {
    struct bc_store base;
    MDB_env *env;
    bool nosync; /* sync=none: never fsync */
    MDB_dbi items;
    MDB_dbi ttl;
    struct bc__lmdb_memo *memo; /* NULL when it could not be allocated: read-only reads then parse */
};

/* ---- store_lmdb.c ---- */

/* The bc_err of an LMDB return code (0 stays 0; unexpected codes are logged and become BC_EIO). */
int bc__lmdb_map_err(int rc);
/* Begins a transaction (flags: 0 or MDB_RDONLY) into *txn, adopting a map grown by another process. 0 or
 * a negative bc_err. */
int bc__lmdb_txn_begin(struct bc__lmdb_store *st, unsigned flags, MDB_txn **txn);
/* Parses a stored value (new reference); NULL when corrupt (logged). */
json_t *bc__lmdb_decode(const MDB_val *v);
void bc__lmdb_close(struct bc_store *s);

/* ---- the memo of parsed items (lmdb_memo.c) ---- */

struct bc__lmdb_memo;
/* An empty memo, or NULL when out of memory. Free with bc__lmdb_memo_free. */
struct bc__lmdb_memo *bc__lmdb_memo_new(void);
/* Frees m and every value it holds; NULL is a no-op. */
void bc__lmdb_memo_free(struct bc__lmdb_memo *m);
/* Keeps j (a reference is taken; never modified from now on) as the parsed value of the bytes (data,
 * vsize) at key, when the memo's budget allows. */
void bc__lmdb_memo_keep(struct bc__lmdb_memo *m, const char *key, size_t klen, const void *data, size_t vsize,
                        json_t *j);
/* The parsed value of the stored bytes v at key (new reference): shared with the memo m (read-only for the
 * caller), parsed (and, with remember, kept) when m does not hold exactly these bytes; simply parsed when m
 * is NULL. NULL when undecodable (logged). */
json_t *bc__lmdb_decode_shared(struct bc__lmdb_memo *m, const char *key, size_t klen, const MDB_val *v,
                               bool remember);

/* ---- the store operations (struct bc_store_ops of lmdb, in store_lmdb.c) ---- */

/* lmdb_query.c */
int bc__lmdb_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res);
int bc__lmdb_scan(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res);
/* lmdb_backup.c */
int bc__lmdb_backup(struct bc_store *s, const char *dest_dir, char *err, size_t errsize);

#endif
