/* Widget API keys: "pk_live_" + 192 random bits, shown once, stored only as a keyed hash (HMAC-SHA256 with
 * the server secret), bound to allowed origins, revocable at once and rotatable with a grace period.
 * Items: TENANT#t / APIKEY#<id> (the key's record) and the look-up APIKEY#<hash> / META (hash -> tenant,
 * key id, origins: one read resolves a request), and ORIGIN#<origin> / KEY#<id> (for CORS preflight). */
#ifndef BC_APIKEY_H
#define BC_APIKEY_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"
#include "store/store.h"

struct bc_env;
struct bc_store;

#define BC_APIKEY_PREFIX      "pk_live_"
#define BC_APIKEY_SECRET_SIZE 41 /* prefix + 32 base64url chars + NUL */

struct bc_apikey_new {
    const char *name;     /* label, NULL: "Widget key" */
    json_t *origins;      /* array of origin strings (normalised and validated here) */
    bool allow_no_origin; /* accept requests without Origin (server-to-server) */
};

/* Creates a key. secret receives the full key (shown once). *out: the API view (caller decrefs).
 * BC_EINVALID with msg for bad origins. */
int bc_apikey_create(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_apikey_new *in,
                     char secret[BC_APIKEY_SECRET_SIZE], char *msg, size_t msgsize, json_t **out);
/* Keys of the tenant (API views, never secrets or hashes). */
int bc_apikey_list(struct bc_env *env, const struct bc_ctx *ctx, int limit, const char *cursor,
                   json_t **items, char **next_cursor);
/* One key's API view, or BC_ENOT_FOUND. */
int bc_apikey_get(struct bc_env *env, const struct bc_ctx *ctx, const char *key_id, json_t **out);
/* Replaces a key by a new one with the same name and origins; the old one keeps working for grace_s
 * seconds. *out: the new key's view; secret: the new key. */
int bc_apikey_rotate(struct bc_env *env, const struct bc_ctx *ctx, const char *key_id, int64_t grace_s,
                     char secret[BC_APIKEY_SECRET_SIZE], json_t **out);
/* Revokes a key: it stops working at once. */
int bc_apikey_revoke(struct bc_env *env, const struct bc_ctx *ctx, const char *key_id);
/* Changes a key's allowed origins / name. BC_EINVALID with msg on bad input. */
int bc_apikey_update(struct bc_env *env, const struct bc_ctx *ctx, const char *key_id, json_t *body,
                     char *msg, size_t msgsize, json_t **out);

/* Moving a tenant to another store (import --reissue-keys, migrate): the copied key records are retired
 * and their keys re-issued under the destination's secret, so no old key works there.
 * bc_apikey_retire_copy turns a copied record into a revoked one without its hash (the old secret can never
 * match again) and returns true when the key was in use (active) and needs a successor. */
bool bc_apikey_retire_copy(json_t *rec, const char *reason);
/* Creates the successor of a retired key (same name, origins and allow_no_origin) and records its id in
 * the old record's replaced_by. secret: the new key (shown once); *out: its view (caller decrefs). */
int bc_apikey_reissue(struct bc_env *env, const struct bc_ctx *ctx, json_t *old_rec,
                      char secret[BC_APIKEY_SECRET_SIZE], json_t **out);

/* Resolves a presented key to its look-up item {tenant_id, key_id, origins, allow_no_origin, expires_at}
 * (read-only, store.h; caller decrefs). BC_EUNAUTHORIZED for malformed, unknown, revoked or expired keys;
 * a key revoked by another process within the store's read-cache bound may still resolve (DESIGN NOTES). */
int bc_apikey_resolve(struct bc_env *env, const char *presented, const json_t **lookup);
/* Where and when a resolution read its look-up item, for bc_apikey_unchanged. */
struct bc_apikey_mark {
    char hash[65];           /* the key's MAC, which names its look-up item */
    struct bc_store_mark at; /* in the directory store (at.gen 0: the look-up cannot be checked) */
};
/* bc_apikey_resolve that also fills *mark. */
int bc_apikey_resolve_marked(struct bc_env *env, const char *presented, const json_t **lookup,
                             struct bc_apikey_mark *mark);
/* Whether the look-up item a marked resolution read is provably still the stored one (store.h:
 * bc_store_item_unchanged): the same answer, but for the key's expiry, which the caller checks. Moves
 * mark->gen on. False when it cannot tell (another process wrote since, DynamoDB). */
bool bc_apikey_unchanged(struct bc_env *env, struct bc_apikey_mark *mark);
/* True when origin (as sent by a browser) is allowed by the look-up item's origins. */
bool bc_apikey_origin_allowed(const json_t *lookup, const char *origin);
/* True when some active key of any tenant allows origin (CORS preflight carries no key). */
bool bc_apikey_origin_known(struct bc_env *env, const char *origin);
/* Normalises an allowed-origin entry ("https://Shop.example.com/" -> "https://shop.example.com");
 * wildcard entries such as "https://STAR.example.com" (STAR = *) allowed. 0 or BC_EINVALID. */
int bc_origin_normalize(const char *in, char *out, size_t size);

/* A key's last_used_at is written when its use moved by at least this much past the last time written
 * (or stored, read at a process's first use of the key): it may lag the real last use by up to this step
 * (docs/security.md). */
#define BC_APIKEY_LAST_USED_STEP_S 3600
/* Remembers that key_id was used now (in env's memory; no store write per request). */
void bc_apikey_touch(struct bc_env *env, const char *tenant_id, const char *key_id);
/* The remembered uses of an env (env.c): new, NULL when out of memory; free, NULL-safe (drops them). */
struct bc_key_touches;
struct bc_key_touches *bc__key_touches_new(void);
void bc__key_touches_free(struct bc_key_touches *t);
/* Writes the remembered last-use times that are due (moved by BC_APIKEY_LAST_USED_STEP_S past the time
 * written, or stored when this env never wrote it), in batches (housekeeping, shutdown). Returns how many
 * or a negative error. */
int bc_apikey_flush_last_used(struct bc_env *env);

#endif
