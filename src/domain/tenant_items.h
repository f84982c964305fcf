/* Everything one tenant owns in the store: its partition (PK "TENANT#<id>": every item whatever its kind,
 * so kinds added later need nothing here) and the global items that point at it: API key look-ups
 * (APIKEY#<hash> / META), the origin index (ORIGIN#<origin> / KEY#<key id>), e-mail look-ups
 * (EMAIL#<email> / TENANT#<id>), the platform index (PLATFORM / TENANT#<id>), and its plan (PLATFORM /
 * PLAN#<name>: shared by every tenant on that plan, so exported and copied, never purged). Export,
 * migration and purge all walk this one list.
 *
 * DESIGN NOTES
 * - Global items are found from the partition's records (an APIKEY#<id> record carries its hash and
 *   origins, a USER#<id> record its e-mail), never by scanning the store. A new kind of global look-up
 *   must be added to bc_tenant_item_globals and bc_tenant_item_check, nowhere else.
 * - Purge order: a record's global look-ups before the record (an API key's look-up is what authenticates,
 *   so access stops first), META after the rest of the partition, the platform index last. A purge cut
 *   short (crash, batch budget) is therefore still listed as DELETED, and the next purge step finishes it.
 * - Purge deletes are lazy single-item writes (store.h), made durable by one sync per step: no long write
 *   transaction, no fsync per item, so traffic of other tenants is never held up. */
#ifndef BC_TENANT_ITEMS_H
#define BC_TENANT_ITEMS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc_env;
struct bc_store;
struct bc_cond;

/* The kind of an item, for counts: a partition item's SK up to its first '#' ("BOOKING", "META"),
 * "global:" + the PK up to its first '#' for look-ups ("global:APIKEY", "global:EMAIL", "global:ORIGIN"),
 * and "global:PLATFORM:" + the SK up to its '#' for the platform's ("global:PLATFORM:TENANT" the index,
 * "global:PLATFORM:PLAN"). Written into buf (size bytes, 64 is enough) and returned. */
const char *bc_tenant_item_kind(json_t *item, char *buf, size_t size);
/* The keys of the global look-ups that hang off one partition item, as an array of {"PK","SK"} objects
 * (caller decrefs; empty for most kinds). tenant_id is the partition's tenant. */
json_t *bc_tenant_item_globals(json_t *item, const char *tenant_id);
/* 0 when item can belong to tenant_id (its partition or one of its global items), else BC_EINVALID. This
 * is what an import accepts from a file: nothing in it may address another tenant or the platform. */
int bc_tenant_item_check(json_t *item, const char *tenant_id);
/* Rewrites an item of tenant `from` as one of tenant `to`: PK/SK "TENANT#<from>", "tenant_id", and the
 * "id" of META and of the platform index. */
void bc_tenant_item_rename(json_t *item, const char *from, const char *to);

/* Calls fn for every live item of the tenant: the partition in SK order, then the global look-ups derived
 * from it, then the platform index and the plan. The item is borrowed for the call; a negative return from
 * fn stops the walk and is returned. Returns 0 or a negative bc_err. */
int bc_tenant_items_walk(struct bc_env *env, const char *tenant_id, int (*fn)(json_t *item, void *arg),
                         void *arg);
/* Number of live items in the tenant's partition. */
int bc_tenant_items_count(struct bc_env *env, const char *tenant_id, int64_t *n);
/* *exists = the partition holds at least one live item. */
int bc_tenant_items_exist(struct bc_env *env, const char *tenant_id, bool *exists);

/* Deletes up to max_items items of the tenant (see DESIGN NOTES for the order) and sets *done once
 * nothing of it is left. Returns the number of items deleted, or a negative bc_err. */
int bc_tenant_purge_step(struct bc_env *env, const char *tenant_id, int max_items, bool *done);
/* Purges the whole tenant (purge steps until done). Returns the number of items deleted or an error. */
int bc_tenant_purge(struct bc_env *env, const char *tenant_id);
/* Writes item into to (cond may be NULL) and reads it back: the copy must be the same item (one that
 * expired meanwhile counts as copied; an API key's last_used_at may differ: servers flush it at any time). 0,
 * BC_EIO (it differs; msg says which), or the store's error. */
int bc_tenant_item_copy(struct bc_store *to, json_t *item, const struct bc_cond *cond, char *msg,
                        size_t msgsize);
/* Deletes every item of the tenant's partition, META included, and none of its global look-ups (a
 * dedicated environment's old copy: the look-ups are the directory's and still in use). Returns the number
 * of items deleted, or a negative bc_err. */
int bc_tenant_partition_drop(struct bc_env *env, const char *tenant_id);
/* Reads the WHOLE store (bc_store_scan) and appends to *found (an array, created when NULL) every live
 * item that names the tenant: PK or SK "TENANT#<id>", PK "MIGRATION#<id>", or "tenant_id" equal to it.
 * For verification (tests, `tenant purge --verify`); its cost grows with the store. */
int bc_tenant_items_stray(struct bc_env *env, const char *tenant_id, json_t **found);

#endif
