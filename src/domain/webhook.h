/* Webhook endpoints of a tenant (owners and admins manage them): where the dispatcher POSTs the tenant's
 * events, signed per the Standard Webhooks specification (https://www.standardwebhooks.com). Items:
 * TENANT#t / WEBHOOK#<id> {id, url, events, description, enabled, secret_box, created_at, updated_at}; at
 * most BC_WEBHOOK_MAX per tenant. The signing secret ("whsec_" + base64 of 32 random bytes) is shown once,
 * at creation and at rotation; the store holds it only encrypted (secret_box: base64 of a libsodium
 * crypto_secretbox nonce and box, under a key derived from the server secret), so the data file, backups
 * and exports never hold it in the clear. Views (API answers) never carry secret_box. */
#ifndef BC_WEBHOOK_H
#define BC_WEBHOOK_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;

#define BC_WEBHOOK_MAX            10
#define BC_WEBHOOK_SECRET_PREFIX  "whsec_"
#define BC_WEBHOOK_SIGNATURE_SIZE 48 /* "v1," + 44 base64 characters + NUL */

/* The event types a webhook may subscribe to (PRODUCT.md section 11), NULL-terminated. */
extern const char *const bc_webhook_events[];

/* Creates a webhook from body {"url","events":[…],"description"?,"enabled"?} (url: https, a public host
 * (net/addr.h, resolved now; webhook_allow_private lifts both), at most 2048 bytes; events: 1..7 known types
 * without duplicates). *out: the view with "secret" (shown only here; caller decrefs).
 * BC_EINVALID with msg for bad input, BC_EPLAN_CONFLICT with msg past BC_WEBHOOK_MAX; nothing is stored then.
 */
int bc_webhook_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                      json_t **out);
/* The tenant's webhooks as views, oldest first (caller decrefs *items). */
int bc_webhook_list(struct bc_env *env, const struct bc_ctx *ctx, json_t **items);
/* One webhook's view (caller decrefs), or BC_ENOT_FOUND (also for another tenant's or a malformed id). */
int bc_webhook_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out);
/* Changes url, events, description, enabled (checked as at creation); "rotate_secret": true replaces the
 * secret, and the view in *out then carries the new "secret" (shown only here). BC_EINVALID with msg,
 * BC_ENOT_FOUND. */
int bc_webhook_patch(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t *body, char *msg,
                     size_t msgsize, json_t **out);
/* Deletes a webhook: 0 or BC_ENOT_FOUND. */
int bc_webhook_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id);

/* For the dispatcher: the enabled webhooks of the tenant subscribed to event type, each
 * {"id","url","secret","enabled"} with the secret decrypted (caller decrefs *items; never log them). A
 * webhook whose secret cannot be decrypted (a store copied under another server secret) is left out, with a
 * warning. */
int bc_webhook_targets(struct bc_env *env, const struct bc_ctx *ctx, const char *type, json_t **items);
/* One webhook as a target {"id","url","secret","enabled"} whatever its events (for its deliveries;
 * caller decrefs). BC_ENOT_FOUND, or BC_EINVALID when its secret does not open. */
int bc_webhook_target(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out);

/* The Standard Webhooks signature "v1,<base64 HMAC-SHA256(key, "<msg_id>.<ts>.<body>")>" into out, where
 * key is the base64-decoded secret after its "whsec_" prefix (a secret without the prefix is decoded
 * whole). 0, or BC_EINVALID (secret not base64, out smaller than BC_WEBHOOK_SIGNATURE_SIZE). */
int bc_webhook_sign(const char *secret, const char *msg_id, int64_t ts, const char *body, size_t len,
                    char *out, size_t outsize);

#endif
