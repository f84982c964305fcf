/* The store's read cache (readcache.c): answers of reads that accept a bounded staleness
 * (bc_store_get_cached, struct bc_query.cached), kept for a few seconds so that a remote backend
 * (DynamoDB) is not asked again for the tenant, its key, settings and catalogue on every request. Private
 * to store.c, which owns one per store (bc_store_cache_enable); unit tests include it too. */
#ifndef BC_STORE_READCACHE_H
#define BC_STORE_READCACHE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc__readcache;

/* Entries: BC__RC_SETS sets of BC__RC_WAYS, a key's set chosen by its FNV-1a hash (unit tests make keys
 * that share a set). */
#define BC__RC_WAYS 4
#define BC__RC_SETS 2048

/* What a look-up hands back on a hit: rc (0 or BC_ENOT_FOUND), the value (an item, or a query's array of
 * items; a reference the caller releases; NULL for BC_ENOT_FOUND) and, for a query, its next cursor (a
 * copy the caller frees; NULL for none). */
struct bc__rc_hit {
    int rc;
    json_t *value;
    char *cursor;
};

/* A cache that answers for at most max_age_ms after the read it keeps, with at most max_bytes of values
 * (their compact JSON size) in BC__RC_SETS × BC__RC_WAYS entries. NULL when out of memory. */
struct bc__readcache *bc__readcache_new(int64_t max_age_ms, size_t max_bytes);
/* NULL is a no-op. */
void bc__readcache_free(struct bc__readcache *c);
/* The scope of a read, what a write must change to make its answer unusable: the items of pk whose SK
 * lies in [lo, hi] (exact: lo is one SK, hi is ignored; else lo and hi are a prefix twice, or a range's
 * bounds, NULL for an open end). Scopes are the PK with the SK's kind (its text up to the first '#': a
 * tenant's services are not dropped by its chat messages), or the whole PK when the range spans kinds. */
size_t bc__readcache_scope(const char *pk, const char *lo, const char *hi, bool exact);
/* The generation of a scope, taken before a read whose answer is then kept with bc__readcache_keep: a
 * write in the scope in between makes that answer unusable at once. */
uint64_t bc__readcache_gen(struct bc__readcache *c, size_t scope);
/* A write to (pk, sk) through this store is about to be or was made: every kept answer whose scope holds
 * it is dropped (the generations of its kind's scope and of the whole PK's move on). Called before and
 * after each write. */
void bc__readcache_wrote(struct bc__readcache *c, const char *pk, const char *sk);
/* True and *hit when an answer for key (the whole read's identity: PK and SK for a get, every parameter for
 * a query) younger than the bound and not invalidated by a write is kept. */
bool bc__readcache_find(struct bc__readcache *c, const char *key, size_t klen, struct bc__rc_hit *hit);
/* Keeps an answer (rc 0 with value, or BC_ENOT_FOUND with NULL) of a read of scope that began at its
 * generation gen and at started_ns (bc_mono_ns: the age counts from there); takes a reference to value
 * (which nobody modifies from now on) and copies cursor. */
void bc__readcache_keep(struct bc__readcache *c, size_t scope, uint64_t gen, const char *key, size_t klen,
                        int64_t started_ns, int rc, json_t *value, const char *cursor);
/* Hits and misses so far (metrics). */
void bc__readcache_counts(struct bc__readcache *c, uint64_t *hits, uint64_t *misses);

#endif
