/* Conversations of the booking chat: the conversation item CONV#<id> (status, language, dialog state) and
 * its messages MSG#<id>#<seq>, both expiring after the tenant's retention period; the conversation token
 * that binds a conversation to its tenant and widget key. */
#ifndef BC_CONVERSATION_H
#define BC_CONVERSATION_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;

/* A new conversation item (not yet stored) for ctx's tenant and key, in lang, expiring after
 * retention_days. Caller decrefs. */
json_t *bc_conv_new(const struct bc_ctx *ctx, const char *lang, int retention_days);
/* The conversation token: an HMAC of tenant, key and conversation under the server secret (never stored).
 * Caller frees. */
char *bc_conv_token(const char *tenant_id, const char *key_id, const char *conv_id);
/* True when token is the one of this conversation for this tenant and key (constant-time). */
bool bc_conv_token_ok(const char *token, const char *tenant_id, const char *key_id, const char *conv_id);
/* The conversation item or BC_ENOT_FOUND. */
int bc_conv_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out);
/* Writes the conversation item: a new one (version 0) must not exist; an existing one must still have the
 * version it was read with (BC_ECONFLICT otherwise: a concurrent turn). The version is bumped in conv. */
int bc_conv_save(struct bc_env *env, json_t *conv);
/* Appends a message (role "user" or "assistant", with text and optional extra fields, borrowed) and bumps
 * the conversation's message sequence (in conv, saved by the caller). Lazy write. A booking card's customer
 * secrets ("manage_token", "ics_url": booking.h) are never stored, here or in bc_conv_message_item. */
int bc_conv_add_message(struct bc_env *env, json_t *conv, const char *role, json_t *msg);
/* A turn's writes together: bc_conv_message_item makes the item of conv's next message (role, msg copied)
 * and advances conv's sequence as bc_conv_add_message does (caller owns the item); bc_conv_save_with then
 * writes those messages and saves conv (as bc_conv_save) in one store batch (store.h: one LMDB write
 * transaction, so the messages and the conversation land together or not at all). n <= 24. */
json_t *bc_conv_message_item(json_t *conv, const char *role, json_t *msg);
int bc_conv_save_with(struct bc_env *env, json_t *conv, json_t *const *messages, size_t n);
/* Messages of a conversation in order, as views (booking cards without customer secrets). */
int bc_conv_messages(struct bc_env *env, const struct bc_ctx *ctx, const char *id, int limit,
                     const char *cursor, json_t **items, char **next_cursor);
/* Conversations, newest first, as summaries; status filter optional ("open", "booked", "handoff", …). */
int bc_conv_list(struct bc_env *env, const struct bc_ctx *ctx, const char *status, int limit,
                 const char *cursor, json_t **items, char **next_cursor);
/* The API summary of a conversation item (no dialog internals). */
json_t *bc_conv_view(json_t *conv);
/* True when the conversation has a hand-off to a person that staff have not marked handled. */
bool bc_conv_handoff_open(json_t *conv);

#endif
