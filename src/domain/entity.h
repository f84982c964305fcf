/* The common storage of a tenant's simple entities (services, professionals, exceptions …): one item per
 * entity under SK "<KIND>#<id>", created with a not-exists condition, changed with an exists condition,
 * listed in id (= creation) order. API views never show PK/SK. */
#ifndef BC_ENTITY_H
#define BC_ENTITY_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;
struct bc_store_digest;

/* The item (caller decrefs) or BC_ENOT_FOUND (also for malformed ids). */
int bc_entity_get(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *id,
                  json_t **out);
/* Entities of a kind, as views (caller owns *items and *next_cursor). */
int bc_entity_list(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int limit,
                   const char *cursor, json_t **items, char **next_cursor);
/* Every entity of a kind (up to max), as stored items (caller decrefs). */
int bc_entity_all(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int max, json_t **items);
/* bc_entity_get for readers that never modify the item (store.h: read-only reads), and that accept it up
 * to the store's read-cache bound old (store.h: cached reads; a write through this process is seen at
 * once): the catalogue, availability rules, webhooks, feeds. */
int bc_entity_get_ro(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *id,
                     const json_t **out);
/* bc_entity_all for readers that never modify the items (store.h: read-only reads): the array is the
 * caller's, the items in it may be shared. Cached like bc_entity_get_ro. */
int bc_entity_all_ro(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int max, json_t **items);
/* bc_entity_all_ro, and the digest of the items it read (store.h: bc_query.digest; ok false when the list
 * has none: another backend, more than one page). */
int bc_entity_all_ro_digest(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int max,
                            json_t **items, struct bc_store_digest *digest);
/* Whether no item of the kind was written, added or deleted since generation snap (a digest's: store.h,
 * bc_store_kind_unchanged); true sets *now to the current generation. */
bool bc_entity_unchanged(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, uint64_t snap,
                         uint64_t *now);
/* The digest bc_entity_all_ro_digest would give now (of at most 1000 items), from the stored bytes alone. */
int bc_entity_digest(struct bc_env *env, const struct bc_ctx *ctx, const char *kind,
                     struct bc_store_digest *out);
/* Every entity of a kind (up to max) through view (a function of the item, read only, that returns a new
 * reference: the entity's API view), in id order (caller decrefs *items). */
int bc_entity_all_views(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, int max,
                        json_t *(*view)(json_t *item), json_t **items);
/* Stores a new entity: item must carry "id"; created_at/updated_at are set. */
int bc_entity_create(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, json_t *item);
/* Sets fields of an existing entity; *out (optional) is the stored item after the change. */
int bc_entity_update(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *id,
                     json_t *set, json_t **out);
/* Deletes an existing entity (BC_ENOT_FOUND when absent). */
int bc_entity_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *id);
/* A copy of item without PK, SK, version and ttl (new reference). */
json_t *bc_entity_view(json_t *item);

#endif
