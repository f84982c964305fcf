/* The store: one logical table of JSON items keyed by the strings PK and SK, with exactly the single-item
 * operations DynamoDB offers (get, conditional put/update/delete, query within one PK), so that every
 * backend (LMDB embedded, DynamoDB scale-out) implements the same contract. It knows nothing of tenants:
 * keys are built by store/keys.c from a tenant context.
 *
 * DESIGN NOTES
 * - Items are jansson objects with string "PK" and "SK" (each 1..200 bytes, no NUL, no control chars).
 * - An item with a numeric "ttl" (epoch seconds) <= now is expired: invisible to get/query/scan, and treated
 *   as absent by conditions and by update (which then starts from an empty item). Backends remove expired
 *   items in the background.
 * - Every write is atomic for its single item; conditions are checked in the same atomic step. There are
 *   no multi-item transactions; the domain protects each invariant with one conditional write.
 *   bc_store_put_batch writes several items in order, stopping at the first failure; a backend may do it
 *   in one atomic step (LMDB: one write transaction and one commit), but no caller may rely on that.
 * - Numbers: integers are 64-bit signed; "add" only applies to integers.
 * - The store is safe for concurrent use by any number of threads (and, for LMDB, processes).
 * - Read-only reads (bc_store_get_ro, struct bc_query.read_only) may hand out items shared with a backend's
 *   memo of parsed items (LMDB keeps one, validated against the stored bytes on every read, so a write by
 *   any thread or process is seen at once): the caller reads them and releases them, and never modifies
 *   them or anything inside them (copy first: json_deep_copy). bc_store_get_ro hands them out as
 *   const json_t * (release with bc_json_release), and so do the domain's *_ro look-ups; a read-only
 *   query's array is the caller's, its items are shared. jansson's reference counts are atomic and
 *   its readers (get, iteration, dumps, deep copy) do not write to the values, so sharing across threads is
 *   safe. Every other call returns items the caller owns.
 * - Cached reads (bc_store_get_cached, struct bc_query.cached) accept an answer up to the store's read-cache
 *   bound old (bc_store_cache_enable; readcache.c): a write by another process is seen within that bound, a
 *   write through this store at once. They are for items that change rarely and whose readers tolerate
 *   that (a tenant, a widget key's look-up, settings, the catalogue); never for a read that a conditional
 *   write relies on. Without a cache (LMDB by default) they are plain read-only reads. */
#ifndef BC_STORE_H
#define BC_STORE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc_store;

#define BC_STORE_KEY_MAX 200

enum bc_cond_kind {
    BC_COND_NONE = 0,   /* unconditional */
    BC_COND_NOT_EXISTS, /* the item must not exist (or be expired) */
    BC_COND_EXISTS,     /* the item must exist */
    BC_COND_VERSION,    /* the integer attribute "version" must equal cond.version; a missing item or
                           attribute counts as version 0 */
};

struct bc_cond {
    enum bc_cond_kind kind;
    int64_t version;
    /* A lazy write may be lost if the machine (not just the process) crashes within about a second of it;
     * it is still atomic and visible at once. For high-volume, low-value writes (chat messages, counters):
     * LMDB then skips the per-commit fsync. Backends that are always durable ignore it. */
    bool lazy;
};

/* One write of a batch: the whole item (borrowed) and its condition (kind NONE: unconditional). keep: the
 * caller (and everyone it hands the item to) never modifies the item or anything inside it after the write,
 * so a backend may keep it as the parsed copy that read-only reads hand out (LMDB's memo), sparing the next
 * reader a parse of the item just written. ttl_group: many items share this item's SK up to its last '#'
 * and its ttl (a conversation's messages), so a backend that indexes expiry itself (LMDB) may index them
 * all by one entry; what expires, and when, is the same either way. */
struct bc_write {
    json_t *item;
    struct bc_cond cond;
    bool keep;
    bool ttl_group;
};
#define BC_STORE_BATCH_MAX 25

/* An update: set attributes (object of name -> value), add to integer attributes (object of name ->
 * integer; a missing attribute counts as 0), remove attributes (array of names). Any part may be NULL.
 * PK and SK cannot be set, added or removed. The update creates the item when it does not exist (like
 * DynamoDB's UpdateItem) unless the condition forbids it. */
struct bc_update {
    json_t *set;
    json_t *add;
    json_t *remove;
};

/* One update of a batch (bc_store_update_batch): the item's keys, the update and its condition (borrowed
 * for the call); with want_out, out receives the item as written (caller decrefs); rc receives the
 * update's result. */
struct bc_update_op {
    const char *pk;
    const char *sk;
    struct bc_update u;
    struct bc_cond cond;
    bool want_out;
    json_t *out; /* set by the call: the item as written, when want_out and rc == 0 */
    int rc;      /* set by the call: 0 written, BC_ECOND refused by its condition, or another error */
};
#define BC_STORE_UPDATE_BATCH_MAX 256

/* A digest of stored items (bc_query.digest, bc_store_query_digest): BLAKE2b-128 of their keys and stored
 * bytes, in the answer's order. Equal digests mean the same items, byte for byte, so an answer rendered from
 * them can be kept under it and served again without reading the items. ok false: the backend gave none. */
#define BC_STORE_DIGEST_BYTES 16
struct bc_store_digest {
    bool ok;
    unsigned char b[BC_STORE_DIGEST_BYTES];
    uint64_t snap; /* the store's generation it was read at (bc_store_generation), 0 when unknown */
};

struct bc_query {
    const char *pk;
    /* Either a prefix, or an inclusive range [sk_from, sk_to] (either bound may be NULL = open). */
    const char *sk_prefix;
    const char *sk_from;
    const char *sk_to;
    bool descending;    /* false: ascending SK order */
    int limit;          /* 1..1000; 0 means 100 */
    const char *cursor; /* NULL, or a next_cursor from a previous page of the same query */
    bool read_only;     /* the items may be shared (DESIGN NOTES): read them, never modify them */
    bool cached;        /* read_only, and the answer may be up to the read cache's bound old (DESIGN NOTES) */
    /* Not NULL: set to the digest of the answer's items (ok false when the backend cannot tell one: no
     * LMDB, an item with a ttl, an answer of more than one page, a cached answer). Read in the same
     * transaction as the items, so it names exactly them. */
    struct bc_store_digest *digest;
};

struct bc_query_result {
    json_t *items;     /* array, owned by the result */
    char *next_cursor; /* NULL when there are no more items (a backend may also hand out a cursor whose
                          page turns out empty); opaque, URL-safe, owned by the result */
};

/* The vtable every backend implements; see the functions below for the contract. */
struct bc_store_ops {
    const char *name;
    int (*get)(struct bc_store *s, const char *pk, const char *sk, json_t **out);
    /* may be NULL: get serves read-only reads too */
    int (*get_ro)(struct bc_store *s, const char *pk, const char *sk, json_t **out);
    /* may be NULL: bc_store_get_fields then reads the whole item (get) */
    int (*get_fields)(struct bc_store *s, const char *pk, const char *sk, const char *const *names, size_t n,
                      json_t **out);
    /* may be NULL: bc_store_exists then reads the item (get_ro) */
    int (*exists)(struct bc_store *s, const char *pk, const char *sk);
    int (*put)(struct bc_store *s, json_t *item, const struct bc_cond *cond);
    /* may be NULL: bc_store_put_batch then puts one item after the other */
    int (*put_batch)(struct bc_store *s, const struct bc_write *w, size_t n, size_t *failed);
    int (*update)(struct bc_store *s, const char *pk, const char *sk, const struct bc_update *u,
                  const struct bc_cond *cond, json_t **out);
    /* may be NULL: bc_store_update_batch then updates one item after the other */
    int (*update_batch)(struct bc_store *s, struct bc_update_op *ops, size_t n);
    int (*del)(struct bc_store *s, const char *pk, const char *sk, const struct bc_cond *cond);
    int (*query)(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res);
    int (*scan)(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res);
    /* may be NULL: bc_store_generation then answers 0 */
    uint64_t (*generation)(struct bc_store *s);
    /* may be NULL: bc_store_item_unchanged then answers false */
    bool (*item_unchanged)(struct bc_store *s, const char *pk, const char *sk, uint64_t snap, uint64_t *now);
    /* may be NULL: bc_store_kind_unchanged then answers false */
    bool (*kind_unchanged)(struct bc_store *s, const char *pk, const char *kind, uint64_t snap,
                           uint64_t *now);
    /* may be NULL: bc_store_query_digest then answers ok false */
    int (*query_digest)(struct bc_store *s, const struct bc_query *q, struct bc_store_digest *out);
    int (*reap)(struct bc_store *s, int max_items);
    int (*check)(struct bc_store *s, json_t **report);
    int (*sync)(struct bc_store *s); /* may be NULL: always durable */
    /* may be NULL (no deferred writes): bc_store_when_durable for commit sequence number seq */
    bool (*when_durable)(struct bc_store *s, uint64_t seq, void (*done)(void *ud, int rc), void *ud);
    int (*init)(struct bc_store *s, json_t **report); /* NULL: nothing to prepare */
    void (*close)(struct bc_store *s);
    /* Optional (NULL: the backend's engine has its own backups, e.g. DynamoDB point-in-time recovery). */
    int (*backup)(struct bc_store *s, const char *dest_dir, char *err, size_t errsize);
};

struct bc__readcache;
struct bc_store {
    const struct bc_store_ops *ops;
    char *url;
    struct bc__readcache *cache; /* NULL: cached reads are plain read-only reads (bc_store_cache_enable) */
    uint64_t serial;             /* this open store's own number in the process (1, 2, …): never reused */
};

/* Opens a store from a URL: "lmdb:DIR" (DIR is created if missing) or "dynamodb://TABLE?region=R&endpoint=U".
 * Returns 0 and *out (caller closes with bc_store_close), or a negative bc_err with a message in err
 * (errsize bytes) when err is not NULL. */
int bc_store_open(const char *url, struct bc_store **out, char *err, size_t errsize);
/* Closes the store cleanly; NULL is a no-op. */
void bc_store_close(struct bc_store *s);

/* Gets one item. Returns 0 and *out (caller decrefs), or BC_ENOT_FOUND, or another negative bc_err. */
int bc_store_get(struct bc_store *s, const char *pk, const char *sk, json_t **out);
/* bc_store_get for readers that never modify the item: *out may be shared (DESIGN NOTES), which spares
 * parsing an unchanged item again, and is const to say so; release it with bc_json_release (util/jsonv.h).
 * Same results and errors as bc_store_get. */
int bc_store_get_ro(struct bc_store *s, const char *pk, const char *sk, const json_t **out);
/* bc_store_get_ro that accepts an answer up to the read cache's bound old (DESIGN NOTES: for rarely
 * changed items only). Same results and errors; release *out with bc_json_release. */
int bc_store_get_cached(struct bc_store *s, const char *pk, const char *sk, const json_t **out);
/* bc_store_get for a reader of a few top-level attributes: *out (caller decrefs, a private copy) holds those
 * of names[0..n) the item has, and may hold others. A backend may skip making the rest (LMDB: the CBOR walk
 * makes only the named scalars) and leaves its memo alone, so that reading a few counters of thousands of
 * tenants (the usage flush) neither builds whole items nor pushes hot ones out. Same results and errors as
 * bc_store_get. */
int bc_store_get_fields(struct bc_store *s, const char *pk, const char *sk, const char *const *names,
                        size_t n, json_t **out);
/* Whether a live (unexpired) item is stored at pk/sk: 0, BC_ENOT_FOUND, BC_EINVALID (bad keys) or another
 * negative bc_err; what bc_store_get_ro would answer, without the item. A backend may tell without parsing
 * the item (LMDB: when its bytes show no ttl, and without putting it in the memo), so a check of many
 * partitions (a usage flush over thousands of tenants) neither decodes them nor pushes hot items out. */
int bc_store_exists(struct bc_store *s, const char *pk, const char *sk);
/* Puts a read cache in front of s for cached reads: answers at most max_age_ms old (a write through s is
 * seen at once), at most max_bytes of them. max_age_ms <= 0 removes it. Call before the store is shared
 * between threads. 0 or BC_ENOMEM. */
int bc_store_cache_enable(struct bc_store *s, int64_t max_age_ms, size_t max_bytes);
/* The read cache's size in a server: 32 MB of answers (their compact JSON). */
#define BC_STORE_CACHE_BYTES ((size_t)32 << 20)
/* Writes a whole item (replacing any old one) if cond holds. Returns 0, BC_ECOND when the condition failed,
 * BC_EINVALID for a bad item, or another negative bc_err. cond may be NULL (unconditional). The item is
 * borrowed. */
int bc_store_put(struct bc_store *s, json_t *item, const struct bc_cond *cond);
/* Writes w[0..n) (1..BC_STORE_BATCH_MAX) as bc_store_put would, in order, stopping at the first write that
 * fails: returns 0, or that write's error with *failed (when not NULL) set to its index. The writes before
 * it may or may not have been made: a backend may apply the whole batch in one atomic step (LMDB does: one
 * write transaction, one commit, one sync unless every write is lazy), or one write after the other
 * (DynamoDB). For writes that belong together and are cheaper together, e.g. a chat turn's messages and
 * its conversation. */
int bc_store_put_batch(struct bc_store *s, const struct bc_write *w, size_t n, size_t *failed);
/* Applies u to one item if cond holds. On success, when out is not NULL, *out is the item as written
 * (caller decrefs). Returns 0, BC_ECOND, BC_EINVALID (e.g. add to a non-integer) or another negative bc_err.
 */
int bc_store_update(struct bc_store *s, const char *pk, const char *sk, const struct bc_update *u,
                    const struct bc_cond *cond, json_t **out);
/* Applies n (1..BC_STORE_UPDATE_BATCH_MAX) updates, in order, each atomic by itself; a failed condition
 * refuses only its own update (rc BC_ECOND). Every op gets its rc (and out). Returns 0 when every update was
 * written or refused by its condition, else the first other error (BC_EINVALID for bad keys, nothing
 * written). A backend may write the whole batch in one step (LMDB: one write transaction and one commit,
 * which is what makes it cheap: the flushes of usage counters and key last-uses write thousands of small
 * items); then an error leaves every op with that error and nothing written. Without such a step the
 * updates are made one after the other and an error stops there: the ops before it keep their rc, the
 * others get the error. */
int bc_store_update_batch(struct bc_store *s, struct bc_update_op *ops, size_t n);
/* Deletes one item if cond holds. Deleting a missing item with no condition succeeds. Returns 0 or BC_ECOND
 * or another negative bc_err. */
int bc_store_delete(struct bc_store *s, const char *pk, const char *sk, const struct bc_cond *cond);
/* Items of one PK in SK order. Returns 0 and fills res (release with bc_query_result_release), or
 * BC_EINVALID (bad bounds or cursor) or another negative bc_err. */
int bc_store_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res);
/* Every item of the query (q->cursor ignored), page after page, handed to fn (borrowed for the call; shared
 * when q->read_only). Stops at fn's first negative return and returns it; 0 after the last item. */
int bc_store_query_each(struct bc_store *s, const struct bc_query *q, int (*fn)(json_t *item, void *arg),
                        void *arg);
/* One page of the query q as the API lists it: each item through view (which returns a new reference) into
 * *items (a new array), and the next page's cursor (malloc'd, NULL after the last page) into *next_cursor.
 * 0, or a negative bc_err with *items and *next_cursor NULL. */
int bc_store_query_page(struct bc_store *s, const struct bc_query *q, json_t *(*view)(json_t *item),
                        json_t **items, char **next_cursor);
/* The digest the query q (its first page) would give (bc_query.digest), from the stored bytes alone: no item
 * is decoded. out->ok false when the backend cannot tell (see bc_query.digest). 0 or a negative bc_err. */
int bc_store_query_digest(struct bc_store *s, const struct bc_query *q, struct bc_store_digest *out);
/* The store's generation: a number that changes with every commit to it, by any process (LMDB: the last
 * write transaction's id), or 0 when the backend has none. A digest read at generation G (its snap) still
 * names the stored items while the generation is G: a reader may skip computing it again. */
uint64_t bc_store_generation(struct bc_store *s);
/* Whether the items of partition pk whose SK starts with kind (an SK's part up to and including its first
 * '#', as "SERVICE#") are provably the ones stored at generation snap: no item of them was written, added or
 * deleted since. Then *now is the current generation, at which a digest read at snap still holds (a reader
 * may record it as the digest's snap). False when it cannot tell: another process or handle committed since
 * (LMDB keeps marks of its own handle's writes only), kind is not a kind, a backend without generations. */
bool bc_store_kind_unchanged(struct bc_store *s, const char *pk, const char *kind, uint64_t snap,
                             uint64_t *now);
/* The same for one item: whether the item at (pk, sk), or its absence, is provably what was stored at
 * generation snap (nothing wrote it since). Same rules: *now set when true; false when it cannot tell. */
bool bc_store_item_unchanged(struct bc_store *s, const char *pk, const char *sk, uint64_t snap,
                             uint64_t *now);
/* Which store and generation a marked read was made in (bc_store_get_marked), so that a reader that keeps
 * what it derived from the item (an authenticated key's record) can later ask whether the item is still
 * the stored one without reading it again. */
struct bc_store_mark {
    uint64_t store; /* the store's serial */
    uint64_t gen;   /* its generation before the read (0: none, the item cannot be checked) */
};
/* bc_store_get_cached that also fills *mark; mark->gen is 0 unless the item was found. */
int bc_store_get_marked(struct bc_store *s, const char *pk, const char *sk, const json_t **out,
                        struct bc_store_mark *mark);
/* Whether the item a marked read of (pk, sk) found is provably still the stored one
 * (bc_store_item_unchanged, in the same store). Moves mark->gen on. False when it cannot tell (another
 * store, a write since by anyone, a backend without generations). */
bool bc_store_mark_unchanged(struct bc_store *s, const char *pk, const char *sk, struct bc_store_mark *mark);
/* Every item of the store, in backend order, a page at a time (operator tools only: export checks, purge
 * verification, `store check`). Same result and cursor rules as query. */
int bc_store_scan(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res);
/* Removes up to max_items expired items; returns how many were removed or a negative bc_err. Backends
 * whose engine expires items by itself (DynamoDB TTL) return 0. */
int bc_store_reap(struct bc_store *s, int max_items);
/* Makes every write so far durable (LMDB: fsync; others: nothing to do). 0 or a negative bc_err. */
int bc_store_sync(struct bc_store *s);
/* Deferred durability, for a server thread that should not wait for a sync (http/server.c): between
 * bc_store_defer_begin and bc_store_defer_end on one thread, a write to one store that would wait for its
 * sync (not lazy; LMDB with sync on) returns once committed: visible to every reader and safe from a SIGKILL
 * of this process (its pages are in the kernel's cache), not yet from a machine crash. The end adds to
 * *ticket what those writes need to be durable; bc_store_when_durable then calls back once they are, and the
 * caller answers its client only then, so what it acknowledges is on disk as before. The thread meanwhile
 * serves other requests, and the writes committed while one sync runs share the next. A ticket holds one
 * store's writes: given to bc_store_defer_begin (NULL: a new one), it lets only that store's writes be
 * deferred, so that one request's spans (a handler, its continuations) add to one ticket. Writes to any
 * other store, and every write to a backend that is always durable (DynamoDB), are not deferred. */
struct bc_store_ticket {
    struct bc_store *store; /* NULL: nothing to wait for */
    uint64_t seq;           /* the backend's commit sequence number to be synced */
};
void bc_store_defer_begin(const struct bc_store_ticket *ticket);
void bc_store_defer_end(struct bc_store_ticket *ticket);
/* Calls done(ud, rc) once every write the ticket covers is durable (rc 0) or the sync that should have made
 * it so failed (rc < 0: committed, not known to be on disk), from the store's sync thread. Returns false,
 * without calling done, when there is nothing to wait for (an empty ticket, or already synced). */
bool bc_store_when_durable(const struct bc_store_ticket *ticket, void (*done)(void *ud, int rc), void *ud);
/* For backends: the commit sequence slot of this thread's deferral span when it defers writes to s (the
 * first store written in the span claims it), else NULL: the write waits for its sync itself. */
uint64_t *bc__store_defer_slot(struct bc_store *s);
/* Verifies the store's integrity/configuration; *report (caller decrefs) describes it. 0 or negative. */
int bc_store_check(struct bc_store *s, json_t **report);
/* Prepares what the backend needs before first use (DynamoDB: creates the table and enables TTL on "ttl";
 * LMDB: nothing beyond open). Idempotent. *report (caller decrefs, may be NULL on error) says what was
 * done. 0 or negative. */
int bc_store_init(struct bc_store *s, json_t **report);
void bc_query_result_release(struct bc_query_result *res);
/* Appends the store's Prometheus families (latency histograms and errors by operation; for a DynamoDB
 * store s, its HTTP requests, retries and consumed capacity units as well) to b. s may be NULL. */
struct bc_buf;
void bc_store_metrics(struct bc_store *s, struct bc_buf *b);

/* Whole-store backups (operator tools; not part of the single-item contract, so a backend may lack them).
 * bc_store_backup writes a consistent copy of the store, taken while other threads and processes keep
 * writing, into dest_dir (created if missing; must not hold a store yet). LMDB: mdb_env_copy2 with
 * compaction, from one read snapshot, so the copy holds exactly the writes committed before it started.
 * Returns 0, BC_EINVALID (with err) for a backend without backups or a dest_dir that is not empty, or
 * BC_EIO. */
int bc_store_backup(struct bc_store *s, const char *dest_dir, char *err, size_t errsize);
/* Restores a backup made by bc_store_backup into the store at url, which must be new (LMDB: a directory
 * without a store file). The backup is opened read-only and checked first; the restored store is checked
 * after. Returns 0, BC_EINVALID (with err: unsupported backend, not a backup, target not empty), BC_EIO. */
int bc_store_restore(const char *url, const char *backup_dir, char *err, size_t errsize);

/* Helpers shared by backends. */
/* 0 when k is a valid PK/SK string, else BC_EINVALID. */
int bc__store_key_valid(const char *k);
/* True when item carries a ttl <= now. */
bool bc__store_expired(json_t *item, int64_t now_s);
/* Applies u to item (in place), refusing PK/SK changes and non-integer adds. 0 or BC_EINVALID. */
int bc__store_apply_update(json_t *item, const struct bc_update *u);
/* Checks cond against the current item (NULL when absent/expired). 0 or BC_ECOND. */
int bc__store_check_cond(json_t *current, const struct bc_cond *cond);
/* The integer "version" of item, 0 when absent. */
int64_t bc__store_version(json_t *item);

/* The LMDB backend's commit queue since the store was opened (src/store/lmdb_commit.c): groups committed
 * (write transactions), writers they carried (writes and batches), syncs run for them, the writers of them
 * that a server request deferred (answered on commit, the request waiting for the sync); and the read-only
 * reads answered from the memo without a transaction (src/store/lmdb_marks.c). */
struct bc__lmdb_commit_stats {
    uint64_t groups, writers, syncs, reads_without_txn, deferred;
};
/* Fills *out for a store opened from an lmdb: URL. 0, or BC_EINVALID for another backend. */
int bc__lmdb_commit_stats(struct bc_store *s, struct bc__lmdb_commit_stats *out);

/* Backend constructors (used by bc_store_open); spec is the URL without its scheme. */
int bc__store_lmdb_open(const char *spec, struct bc_store **out, char *err, size_t errsize);
int bc__store_dynamodb_open(const char *spec, struct bc_store **out, char *err, size_t errsize);
int bc__store_lmdb_restore(const char *spec, const char *backup_dir, char *err, size_t errsize);

#endif
