/* What channel_run.c and channel_out.c share: the sender's item (TENANT#t / CHSENDER#<channel>#<sender>,
 * channel_run.h) and the check of a sender's id. Private to the channel layer. */
#ifndef BC_CHANNEL_INTERNAL_H
#define BC_CHANNEL_INTERNAL_H
#include <jansson.h>
#include <stdbool.h>

#include "auth/context.h"

struct bc_env;
struct bc_channel;

#define BC__CHANNEL_WINDOW_S (24 * 3600) /* WhatsApp's customer-service window */

/* The sender's item (a new one, not yet stored, when absent). 0 or a negative bc_err. */
int bc__channel_index_get(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_channel *ch,
                          const char *sender, json_t **out);
/* A WhatsApp wa_id or a Telegram chat id: digits, maybe a leading '-', at most 32 bytes. */
bool bc__channel_sender_ok(const char *s);

#endif
