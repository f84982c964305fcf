/* Tenant settings: SETTINGS#GLOBAL (locale, time zone, business info, widget branding, booking rules,
 * retention) and SETTINGS#AI (chat mode, provider, model, the per-conversation
 * token cap and instructions for the agent). Read with defaults filled in; changed by
 * validated partial updates (PATCH semantics, one level of nesting). */
#ifndef BC_SETTINGS_H
#define BC_SETTINGS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;
struct bc_store_digest;

/* Writes the default settings of a new tenant. */
int bc_settings_init(struct bc_env *env, const struct bc_ctx *ctx, const char *name, const char *locale,
                     const char *tz);
/* The tenant's settings as an API object, defaults filled in (caller decrefs). */
int bc_settings_get(struct bc_env *env, const struct bc_ctx *ctx, json_t **out);
/* For readers that never modify what they get (store.h: read-only reads), in two steps: the stored items
 * ("GLOBAL" or "AI"), shared and read-only, *item NULL when absent (returns 0); then the API objects
 * bc_settings_get and bc_settings_ai_get would answer, built from them (values inside may be shared: read
 * them only). The widget config renders its answer from the items (http/rendered.h). The items are cached
 * reads (store.h): another process's change is seen within the store's read-cache bound. */
int bc_settings_item_ro(struct bc_env *env, const struct bc_ctx *ctx, const char *which, const json_t **item);
/* Whether no settings item of the tenant was written since generation snap (a digest's); true sets *now to
 * the current generation. */
bool bc_settings_unchanged(struct bc_env *env, const struct bc_ctx *ctx, uint64_t snap, uint64_t *now);
/* The digest of the tenant's SETTINGS# items as stored (store.h: bc_store_query_digest): an answer rendered
 * from them only is the same while it is. out->ok false when the store gives none. */
int bc_settings_digest(struct bc_env *env, const struct bc_ctx *ctx, struct bc_store_digest *out);
/* The read-only SETTINGS#<which[i]> items (NULL when absent) and the digest of every SETTINGS# item, read in
 * one query: the digest names exactly the items handed out. Release each with bc_json_release. */
int bc_settings_items_ro_digest(struct bc_env *env, const struct bc_ctx *ctx, const char *const *which,
                                const json_t **items, size_t n, struct bc_store_digest *digest);
json_t *bc_settings_view_ro(struct bc_env *env, const json_t *item);
/* Frees a view kept in env->views (env.c). */
void bc__settings_view_free(void *view);
json_t *bc_settings_ai_view_ro(const json_t *item);
/* Validates and merges patch into the settings. BC_EINVALID with msg on bad input (nothing written),
 * BC_ECONFLICT if a concurrent change won twice in a row. *out: the new settings (caller decrefs). */
int bc_settings_patch(struct bc_env *env, const struct bc_ctx *ctx, json_t *patch, char *msg, size_t msgsize,
                      json_t **out);
/* The AI settings {"mode","provider","model","conversation_tokens","instructions"} (caller decrefs). */
int bc_settings_ai_get(struct bc_env *env, const struct bc_ctx *ctx, json_t **out);
/* Replaces the AI settings. allowed_modes: bc_ai_mode bits of the tenant's plan; a mode outside it is
 * BC_EPLAN_CONFLICT. BC_EINVALID with msg on bad input. */
int bc_settings_ai_put(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, unsigned allowed_modes,
                       char *msg, size_t msgsize, json_t **out);

#endif
