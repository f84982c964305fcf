/* Tenants: the META item (status ACTIVE/SUSPENDED/DELETED, plan, limits overrides, parent tenant) and the
 * platform index item (PK "PLATFORM", SK "TENANT#<id>") used for listing. Every function takes a tenant
 * context; the operator's comes from bc_ctx_operator. */
#ifndef BC_TENANT_H
#define BC_TENANT_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/context.h"
#include "store/store.h"

struct bc_env;
struct bc_store;

struct bc_tenant_new {
    const char *id;        /* NULL: a new ULID (import may name one) */
    const char *name;      /* 1..120 characters */
    const char *plan;      /* NULL: FREE */
    const char *locale;    /* "es" | "en"; NULL: es */
    const char *timezone;  /* IANA zone; NULL: Europe/Madrid */
    const char *parent_id; /* multi-branch: the parent tenant, or NULL */
    /* home regions: the region whose processes commit the tenant's writes (bc_tenant_region_ok), or NULL:
     * no home, every region serves its writes (a single-region install). */
    const char *home_region;
};

/* Creates the tenant (META, index, default settings and AI settings). *out: the tenant as an API object
 * (caller decrefs). Returns 0, BC_EINVALID (msg says why), BC_ECONFLICT (id exists) or a store error. */
int bc_tenant_create(struct bc_env *env, const struct bc_tenant_new *in, char *msg, size_t msgsize,
                     json_t **out);
/* The META item of ctx's tenant (caller decrefs), or BC_ENOT_FOUND. */
int bc_tenant_get(struct bc_env *env, const struct bc_ctx *ctx, json_t **out);
/* bc_tenant_get for readers that never modify the item (store.h: read-only reads): the request's
 * ctx.tenant, which every handler only reads. Cached (store.h): a change made by another process (a
 * suspension, a plan) is seen within the store's read-cache bound, one made through this process at once. */
int bc_tenant_get_ro(struct bc_env *env, const struct bc_ctx *ctx, const json_t **out);
/* bc_tenant_get_ro that also fills *mark (store.h: bc_store_get_marked). */
int bc_tenant_get_ro_marked(struct bc_env *env, const struct bc_ctx *ctx, const json_t **out,
                            struct bc_store_mark *mark);
/* Whether the META a marked read found is provably still the stored one (store.h: bc_store_mark_unchanged;
 * env: the tenant's, as routed). Moves mark->gen on. False when it cannot tell. */
bool bc_tenant_unchanged(struct bc_env *env, const struct bc_ctx *ctx, struct bc_store_mark *mark);
/* The API view of a META item (new reference). */
json_t *bc_tenant_view(const struct bc_env *env, const json_t *meta);
/* Tenants from the platform index, newest first; status filter optional. *items and *next_cursor are
 * owned by the caller (json_decref / free). */
int bc_tenant_list(struct bc_env *env, int limit, const char *cursor, const char *status, json_t **items,
                   char **next_cursor);
/* Calls fn(index_item, arg) for every tenant of the platform index, page by page (index items as in
 * bc_tenant_list; borrowed for the call). Stops at fn's first negative return and returns it; 0 after the
 * last tenant, or a store error. */
int bc_tenant_each(struct bc_env *env, int (*fn)(json_t *tenant, void *arg), void *arg);
/* Marks META as an organisation's (has_branches: its widget chat asks which branch), when a branch of it is
 * created. */
int bc_tenant_mark_organisation(struct bc_env *env, const struct bc_ctx *ctx);
/* An organisation's branches share its plan limits (true) or each keeps its own (false): BC_EINVALID for a
 * tenant without branches (docs/organisations.md, "Pooled limits"). */
int bc_tenant_set_pooled(struct bc_env *env, const struct bc_ctx *ctx, bool pooled, json_t **out);
/* Changes the plan (must exist). */
int bc_tenant_set_plan(struct bc_env *env, const struct bc_ctx *ctx, const char *plan, json_t **out);
/* Replaces the limits overrides (validated; {} clears them). */
int bc_tenant_set_limits(struct bc_env *env, const struct bc_ctx *ctx, json_t *limits, char *msg,
                         size_t msgsize, json_t **out);
/* Sets status "ACTIVE" | "SUSPENDED" | "DELETED" (soft delete records deleted_at; ACTIVE after DELETED is a
 * restore). Returns BC_ENOT_FOUND for a purged tenant, BC_EGONE for a DELETED one past its retention
 * period (it can no longer be restored: its data is being purged), BC_ECONFLICT when a concurrent change
 * won. */
int bc_tenant_set_status(struct bc_env *env, const struct bc_ctx *ctx, const char *status, json_t **out);
/* Home regions (docs/scaling.md): true when s is a region name, 1 to 32 of [a-z0-9-] (eu-west-1). */
bool bc_tenant_region_ok(const char *s);
/* Sets META's home_region (region NULL: removes it, every region is home). BC_EINVALID for a malformed
 * name. The tenant's writes go to the new home as soon as each region reads META again (its read cache). */
int bc_tenant_set_home_region(struct bc_env *env, const struct bc_ctx *ctx, const char *region, json_t **out);
/* META's home_region (borrowed from meta), or NULL when the tenant has none. */
const char *bc_tenant_home_region(const json_t *meta);
/* Renames. */
int bc_tenant_rename(struct bc_env *env, const struct bc_ctx *ctx, const char *name, json_t **out);
/* 0 when the META item says ACTIVE; BC_ESUSPENDED, BC_EDELETED otherwise. */
int bc_tenant_check_active(const json_t *meta);

/* When a DELETED tenant becomes purgeable (deleted_at + retention, epoch seconds); 0 when META is not
 * DELETED or has no valid deleted_at. The retention is env->retention_s (tenant_retention_days). */
int64_t bc_tenant_purge_after(const struct bc_env *env, const json_t *meta);
/* The reaper of deleted tenants (housekeeping): goes through up to 100 entries of the platform index
 * listed as DELETED, from *cursor (in/out, caller frees; NULL starts over and is set back to NULL when
 * the index is done), and purges those past retention (and any left half-purged), deleting at most
 * max_items items in small single-item writes. Returns the number of items deleted or a negative bc_err.
 */
int bc_tenant_reap_deleted(struct bc_env *env, int max_items, char **cursor);

#endif
