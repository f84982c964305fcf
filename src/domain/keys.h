/* The one place where store keys are built. Tenant data lives under PK "TENANT#<id>", and that PK is only
 * ever built from a tenant context (struct bc_ctx) whose tenant id came from a verified credential; sort
 * keys are "<ENTITY>#<id>" with ids checked to be syntactically valid first. Global look-up items (API key
 * hashes, e-mails, the platform index, origins) have their own PKs, listed here too.
 *
 * DESIGN NOTES
 * - Every function writes into a caller buffer of BC_KEY_SIZE bytes and returns it, or NULL when an input
 *   is not valid (empty tenant, id with '#' or control characters, too long): callers treat NULL as
 *   BC_EINVALID / not found, so a hostile id can never address another entity kind or another tenant. */
#ifndef BC_KEYS_H
#define BC_KEYS_H
#include <stdbool.h>
#include <stddef.h>

#include "auth/context.h"
#include "util/id.h" /* bc_key_id_ok */

#define BC_KEY_SIZE 208 /* > BC_STORE_KEY_MAX */

/* "TENANT#<ctx->tenant_id>"; NULL when the context carries no tenant. */
const char *bc_key_tenant_pk(const struct bc_ctx *ctx, char *buf);
/* "<KIND>#<id>" (e.g. "SERVICE#01J…"); NULL when id is not a valid id (see bc_key_id_ok). */
const char *bc_key_sk(char *buf, const char *kind, const char *id);
/* "<KIND>#<a>#<b>" for compound sort keys (e.g. "CAL#<provider>#<date>"); NULL on bad parts. */
const char *bc_key_sk2(char *buf, const char *kind, const char *a, const char *b);

/* Global look-up keys (not tenant data): */
/* PK "PLATFORM" holds the tenant index (SK "TENANT#<id>") and the plans (SK "PLAN#<name>"). */
#define BC_KEY_PLATFORM "PLATFORM"
/* "APIKEY#<hex hash>" (SK "META"): API key hash -> tenant and key id. */
const char *bc_key_apikey_lookup(char *buf, const char *hash_hex);
/* "EMAIL#<lower-case e-mail>" (SK "TENANT#<id>"): which tenants a login e-mail belongs to. */
const char *bc_key_email_lookup(char *buf, const char *email);
/* "ORIGIN#<origin>" (SK "KEY#<key id>"): which keys allow an origin, for CORS preflight. */
const char *bc_key_origin_lookup(char *buf, const char *origin);
/* "MIGRATION#<tenant id>" (SK "STATE"): the checkpoint of a tenant migration, kept in the destination store
 * while the migration runs so that it can resume. */
const char *bc_key_migration(char *buf, const char *tenant_id);
/* "POW#<challenge hex>" (SK "USED"): a proof-of-work solution already accepted (challenge.c), kept until the
 * challenge expires; NULL when challenge is not 64 hex characters. */
const char *bc_key_pow_used(char *buf, const char *challenge);
/* "CHANNEL#<channel id>" (SK "ROUTE"): a messaging channel's webhook id -> its tenant (domain/channel.h). */
const char *bc_key_channel_route(char *buf, const char *channel_id);
/* "TENANT#<id>" for the operator (platform API and CLI), whose credential covers every tenant. The id
 * comes from the operator's command or path; it is validated like any id. */
const char *bc_key_tenant_pk_operator(char *buf, const char *tenant_id);

#endif
