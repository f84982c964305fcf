/* The placement directory: which store holds each tenant's partition. A tenant without an entry is pooled
 * (its partition is in the store the process was started with); a placed tenant (a dedicated environment,
 * PRODUCT.md section 13) has one item in the pooled store, PK "PLACEMENT", SK "TENANT#<id>":
 *   {"tenant_id", "state": "copying"|"moving"|"placed", "store": where requests go now (a store URL, or
 *    "pooled"), "target": where a placement under way moves the tenant, "version", "started_at",
 *    "updated_at", "frozen_at"}
 *
 * DESIGN NOTES
 * - States: "copying" (the first copy runs; requests still go to "store" and write there), "moving" (the
 *   write freeze: the final copy runs; reads go to "store", writes answer 503 with Retry-After), "placed"
 *   (requests go to "store"). A tenant brought back to the pooled store has no item.
 * - Every entry is in one partition, so a process reads the whole directory with one query and keeps it
 *   as a snapshot (struct bc_placement_cache). A snapshot is used at most BC_PLACEMENT_BOUND_MS after the
 *   moment its query started; a change of the directory is therefore followed by every process within
 *   that bound, which is what `tenant place` waits for before and after the freeze (docs/operations.md).
 * - The directory is read with plain reads, never through the store's read cache: the bound is this
 *   file's, not store_cache_ms plus it. */
#ifndef BC_PLACEMENT_H
#define BC_PLACEMENT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc_store;

#define BC_PLACEMENT_PK      "PLACEMENT"
#define BC_PLACEMENT_POOLED  "pooled"
#define BC_PLACEMENT_URL_MAX 1024
/* how old a process's view of the directory may be */
#define BC_PLACEMENT_BOUND_MS 2000
/* most entries a snapshot holds (dedicated environments are for a few enterprise tenants) */
#define BC_PLACEMENT_MAX 4096

/* Where one tenant's requests go, as a snapshot says. */
struct bc_placement_route {
    char store[BC_PLACEMENT_URL_MAX]; /* a store URL, or "" for the pooled store */
    bool frozen;                      /* state "moving": writes answer 503 */
};

/* The directory entry of tenant_id from dir (a plain read). 0 with *item (caller decrefs), BC_ENOT_FOUND
 * (pooled, no placement under way), or another negative bc_err. */
int bc_placement_get(struct bc_store *dir, const char *tenant_id, json_t **item);
/* Writes entry (its "version" is the condition: the item must hold version-1, or not exist when version
 * is 1). 0, BC_ECOND (changed meanwhile by another placement), or another negative bc_err. */
int bc_placement_put(struct bc_store *dir, json_t *entry);
/* Removes the entry of tenant_id if it still holds version. 0, BC_ECOND or another negative bc_err. */
int bc_placement_remove(struct bc_store *dir, const char *tenant_id, int64_t version);
/* The route an entry gives (NULL: pooled, not frozen). */
void bc_placement_route_of(const json_t *entry, struct bc_placement_route *out);

/* ---- moving a tenant (placement_move.c; `bookchat tenant place`) ---- */

struct bc_env;

struct bc_placement_move {
    struct bc_env *pooled; /* the pooled env: its store holds the directory */
    struct bc_env *from;   /* the env of the store that holds the tenant now (the directory's "store") */
    struct bc_env *to;     /* the env of the target store (the pooled env to bring the tenant back) */
    const char *tenant_id;
    const char *target; /* the target's URL as the directory will hold it, or "pooled" */
    int64_t bound_ms;   /* how old the servers' view of the directory may be (BC_PLACEMENT_BOUND_MS) */
    int64_t grace_ms;   /* added to the freeze, for writes that started before it was seen */
    /* optional, called at each step ("copy", "freeze", "final", "switch", "drop") */
    void (*progress)(const char *step, int64_t items, void *arg);
    void *progress_arg;
};

/* Moves the tenant's partition from m->from to m->to while servers keep serving it (DESIGN NOTES of
 * placement_move.c): copy and verify, freeze (state "moving") for bound + grace, copy what changed until
 * nothing does, switch the directory entry, wait bound, drop the old copy. Returns 0 with *result =
 * {"tenant_id","from","to","items","changed_during_freeze","frozen_ms","dropped"} (caller decrefs), or a
 * negative bc_err with msg, the directory and both stores as before: BC_ENOT_FOUND (no such tenant where
 * the directory says it is), BC_EINVALID (deleted tenant; the store it is in already), BC_ECONFLICT (the
 * target holds that tenant; a placement of it is under way), BC_EIO (a copy differs after the copy). */
int bc_placement_move(const struct bc_placement_move *m, json_t **result, char *msg, size_t msgsize);
/* Ends a placement that was cut short (its process killed): the entry goes back to where the tenant's
 * data is ("store", not frozen), and what was copied into to (the entry's "target", opened by the caller)
 * is deleted. 0, BC_ENOT_FOUND (no placement under way), or a negative bc_err with msg. */
int bc_placement_abort(struct bc_env *pooled, struct bc_env *to, const char *tenant_id, char *msg,
                       size_t msgsize);

/* A process's snapshot of the directory. Safe for concurrent use by any threads. */
struct bc_placement_cache;

/* A cache over dir (borrowed), whose snapshots live bound_ms (BC_PLACEMENT_BOUND_MS in servers; tests
 * pass smaller ones). NULL when out of memory. */
struct bc_placement_cache *bc_placement_cache_new(struct bc_store *dir, int64_t bound_ms);
void bc_placement_cache_free(struct bc_placement_cache *c);
/* Where tenant_id's requests go, from a snapshot at most bound_ms old (read again first when older).
 * 0, or the store's error when the directory cannot be read (then nothing is routed on an old view). */
int bc_placement_cache_lookup(struct bc_placement_cache *c, const char *tenant_id,
                              struct bc_placement_route *out);
/* Reads the directory again now (housekeeping calls it every second, so requests rarely wait for it).
 * 0 or the store's error. */
int bc_placement_cache_refresh(struct bc_placement_cache *c);
/* Calls fn with each distinct store URL the snapshot routes to (a placed or frozen tenant's), refreshing
 * first when it is older than its bound. Returns the number of URLs, or the store's error. */
int bc_placement_cache_stores(struct bc_placement_cache *c, void (*fn)(const char *url, void *ud), void *ud);
/* How many times the directory was read (for tests and /metrics). */
uint64_t bc_placement_cache_reads(struct bc_placement_cache *c);

#endif
