/* Messaging channels of a tenant (PRODUCT.md section 15): a WhatsApp Cloud API number or a Telegram bot
 * through which customers talk to the same booking chat as in the widget. This module holds their
 * configuration: items TENANT#t / CHANNEL#<id> {id, kind, name, enabled, phone_number_id, api_version,
 * template_name, template_lang, secrets_box} and the global route CHANNEL#<id> / ROUTE {tenant_id, kind}, so
 * that a webhook's path (its channel id, a random ULID) alone leads to its tenant. The credentials (access
 * token, app secret, verify token, bot token, secret token) are one JSON object sealed with libsodium's
 * crypto_secretbox under a key derived from the server secret ("channel-secrets"); views never carry them
 * and nothing logs them. docs/channels.md describes the setup; channel_run.c carries the messages. */
#ifndef BC_CHANNEL_H
#define BC_CHANNEL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/context.h"

struct bc_env;

#define BC_CHANNEL_WHATSAPP "whatsapp"
#define BC_CHANNEL_TELEGRAM "telegram"
#define BC_CHANNEL_MAX      10 /* channels per tenant */

/* A channel as the webhooks and the sender need it: its configuration with the credentials opened. Never
 * log one. */
struct bc_channel {
    char id[32], kind[16], tenant_id[65];
    char phone_number_id[40], api_version[16], template_name[128], template_lang[16];
    /* WhatsApp: access_token (Graph API bearer), app_secret (X-Hub-Signature-256), verify_token (the GET
     * handshake); Telegram: bot_token, secret_token (X-Telegram-Bot-Api-Secret-Token). "" when unset. */
    char *access_token, *app_secret, *verify_token, *bot_token, *secret_token;
};

/* Creates a channel from body: {"kind":"whatsapp","name"?,"phone_number_id","access_token","app_secret",
 * "verify_token","api_version"?,"template_name"?,"template_lang"?} or {"kind":"telegram","name"?,
 * "bot_token","secret_token"?} (a secret token is generated when none is given). *out: the view (caller
 * decrefs). BC_EINVALID with msg for bad input, BC_EPLAN_CONFLICT past BC_CHANNEL_MAX. */
int bc_channel_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                      json_t **out);
/* The tenant's channels as views, oldest first (caller decrefs). */
int bc_channel_list(struct bc_env *env, const struct bc_ctx *ctx, json_t **items);
/* One channel's view, or BC_ENOT_FOUND (another tenant's, malformed). */
int bc_channel_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out);
/* Deletes a channel and its route: 0 or BC_ENOT_FOUND. */
int bc_channel_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id);

/* The tenant of channel id's webhook (its global route, in env's directory) into tenant_id: 0, or
 * BC_ENOT_FOUND for an unknown id or another kind. The caller routes to that tenant's env (a placed tenant's
 * own store) before bc_channel_resolve. */
int bc_channel_route(struct bc_env *env, const char *kind, const char *id,
                     char tenant_id[BC_TENANT_ID_MAX + 1]);
/* The channel of a webhook (env: its tenant's): kind must match the channel's, the channel must be enabled
 * and its tenant active. Fills ctx (an operator-kind context of the channel's tenant with its META item,
 * key_id the channel id; release with bc_ctx_release) and *out (free with bc_channel_free). BC_ENOT_FOUND for
 * anything unknown, disabled or of another kind; BC_EUNAVAILABLE when the credentials do not open (another
 * server secret). */
int bc_channel_resolve(struct bc_env *env, const char *kind, const char *id, struct bc_ctx *ctx,
                       struct bc_channel **out);
/* The same inside a tenant's context (admin routes, the CLI): BC_ENOT_FOUND when not ctx's. */
int bc_channel_open(struct bc_env *env, const struct bc_ctx *ctx, const char *id, struct bc_channel **out);
void bc_channel_free(struct bc_channel *ch);

/* True when header is "sha256=" + the hex HMAC-SHA256 of body under app_secret (compared in constant
 * time). */
bool bc_channel_wa_signature_ok(const char *app_secret, const void *body, size_t len, const char *header);
/* True when given equals want (constant time; both non-empty). */
bool bc_channel_secret_eq(const char *given, const char *want);

#endif
