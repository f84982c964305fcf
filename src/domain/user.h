/* Tenant staff users: e-mail, name, role (owner/admin/viewer) and an Argon2id password hash. Items
 * TENANT#t / USER#<id>, plus the look-up EMAIL#<email> / TENANT#t that makes e-mails unique per tenant and
 * lets login find the tenant(s) of an e-mail. */
#ifndef BC_USER_H
#define BC_USER_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;

/* Creates a user. password NULL: a random one is generated and copied to generated[21] (shown once).
 * Returns 0 with *out the API view (caller decrefs), BC_EINVALID (msg), BC_ECONFLICT (e-mail taken). */
int bc_user_create(struct bc_env *env, const struct bc_ctx *ctx, const char *email, const char *name,
                   const char *role, const char *password, char generated[21], char *msg, size_t msgsize,
                   json_t **out);
/* The USER item (with its hash: never send it out; use bc_user_view). */
int bc_user_get(struct bc_env *env, const struct bc_ctx *ctx, const char *user_id, json_t **out);
/* Finds a user of ctx's tenant by e-mail; the USER item or BC_ENOT_FOUND. */
int bc_user_find(struct bc_env *env, const struct bc_ctx *ctx, const char *email, json_t **out);
/* Users of the tenant as API views. */
int bc_user_list(struct bc_env *env, const struct bc_ctx *ctx, int limit, const char *cursor, json_t **items,
                 char **next_cursor);
/* Changes a role; refusing to demote the last owner (BC_ECONFLICT). */
int bc_user_set_role(struct bc_env *env, const struct bc_ctx *ctx, const char *user_id, const char *role,
                     json_t **out);
/* Sets a new password (NULL: generate into generated[21]); tokens issued before stop working. */
int bc_user_set_password(struct bc_env *env, const struct bc_ctx *ctx, const char *user_id,
                         const char *password, char generated[21], char *msg, size_t msgsize);
/* Removes a user (not the last owner: BC_ECONFLICT). */
int bc_user_remove(struct bc_env *env, const struct bc_ctx *ctx, const char *user_id);
/* Verifies e-mail + password across the tenants the e-mail belongs to (tenant_id narrows it). Returns 0
 * with the USER item and its tenant id (tenant_out[BC_TENANT_ID_MAX+1]), BC_EUNAUTHORIZED, or
 * BC_ECONFLICT when the e-mail belongs to several tenants, no tenant_id was given and the password is the
 * one of the first of them (by tenant id). Every call spends exactly one Argon2id verification, whatever
 * the outcome (unknown e-mail, other tenant, wrong password, a user without a password), so timing does
 * not reveal which e-mails exist or where; the price is that an e-mail of several tenants with different
 * passwords must name its tenant_id to sign in to any but the first. */
int bc_user_login(struct bc_env *env, const char *email, const char *password, const char *tenant_id,
                  json_t **user, char *tenant_out);
/* The API view of a USER item: no hash (new reference). */
json_t *bc_user_view(json_t *item);
/* True for a plausible e-mail address (local@domain.tld, no spaces, <= 120 characters). */
bool bc_email_valid(const char *email);
/* The one form of an e-mail used everywhere (sign-in limits, look-ups, new users): surrounding white space
 * removed, ASCII letters lower-cased, into out[BC_EMAIL_SIZE]. Returns bc_email_valid of the result. */
#define BC_EMAIL_SIZE 128
bool bc_email_normalize(const char *email, char out[BC_EMAIL_SIZE]);

#endif
