/* The booking chat in fsm mode: a deterministic dialog (PRODUCT.md section 5) that books, cancels and
 * reschedules, answers opening hours, prices and the address, and hands over to a person, understanding
 * quick-reply payloads and free text (nlu/nlu.h). The state machine is one table in chat.c; docs/chat.md
 * draws it. */
#ifndef BC_CHAT_H
#define BC_CHAT_H
#include <jansson.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;

/* Starts a conversation: *conv is the new conversation item (stored), *messages the assistant's opening
 * messages [{"role","text","quick_replies"}] (caller decrefs both). lang: "es"/"en", or NULL for the
 * tenant's. public_url: where calendar links point. */
int bc_chat_start(struct bc_env *env, const struct bc_ctx *ctx, const char *lang, const char *public_url,
                  json_t **conv, json_t **messages);
/* One customer turn: text (free text) or action (a quick-reply payload), exactly one of them. Updates and
 * stores conv; *messages are the assistant's answers. BC_ECONFLICT when another turn of the same
 * conversation won a race; BC_EINVALID for bad input. */
int bc_chat_turn(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, const char *text,
                 const char *action, const char *public_url, json_t **messages);
struct bc_nlu_result;
/* The same turn for free text that something else understood (the nlp mode's LLM): r replaces the offline
 * NLU's reading; the state machine validates and acts on it exactly as in fsm mode. */
int bc_chat_turn_understood(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, const char *text,
                            const struct bc_nlu_result *understood, const char *public_url,
                            json_t **messages);
/* The dialog state a conversation is in ("service", "day", "confirm", …), for prompts of the AI modes. */
const char *bc_chat_expect(json_t *conv);
/* The opening hours (the union of the professionals' weekly hours, as the chat's "hours" answer says them,
 * one line per weekday group) in lang; "" when none are set. Caller frees *out. For the agent mode. */
int bc_chat_hours_text(struct bc_env *env, const struct bc_ctx *ctx, const char *lang, char **out);
/* Answers a turn with the polite "limit reached" message (the plan's monthly messages are used up) and
 * stores it. */
int bc_chat_limit_reached(struct bc_env *env, json_t *conv, json_t **messages);
/* The chats' catalogues kept per tenant between turns (struct bc_env's catalogues; chat_catalogue.c): NULL
 * when out of memory; bc_kept_free frees it. */
struct bc_kept;
struct bc_kept *bc__chat_catalogues_new(void);

#endif
