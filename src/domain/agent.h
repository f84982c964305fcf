/* The chat's agent mode: an LLM converses with the customer and calls tools (list_services,
 * list_professionals, find_availability, create_booking, cancel_booking, reschedule_booking,
 * business_info) that run the same domain code as the widget API, with the tenant bound from the
 * conversation's credential: the model never names a tenant, and another tenant's ids are simply not found.
 * docs/ai.md describes the mode and argues what prompt injection can and cannot do.
 *
 * DESIGN NOTES
 * - Guard rails live here, in code, not in the prompt:
 *   * tool arguments are validated like API input (field tables, util/jsonv.h); unknown fields refused;
 *   * a booking (or a move) needs a slot that find_availability returned in this conversation (the offers
 *     are kept on the conversation item), the customer's name and an e-mail or a phone;
 *   * every write needs an explicit confirmation turn: the first call of create_booking, cancel_booking or
 *     reschedule_booking only records the action as pending (and holds the slot) and answers
 *     "confirmation_required" with a summary; the action runs when the same call comes in the customer's
 *     next message and that message reads as "yes" to the offline NLU (the model cannot say yes for them);
 *   * at most BC_AGENT_MAX_ROUNDS tool rounds per customer message, BC_AGENT_MAX_CALLS calls per round.
 * - State between turns lives on the conversation item under "agent": the transcript for the model
 *   (provider-neutral, trimmed to the last turns), the turn number, the offered slots, the pending action.
 * - A struct bc_agent is one customer turn; it is used by one thread at a time (the request's). */
#ifndef BC_AGENT_H
#define BC_AGENT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/context.h"
#include "llm/llm.h"

#define BC_AGENT_MAX_ROUNDS 4 /* tool rounds per customer message */
#define BC_AGENT_MAX_CALLS  8 /* tool calls per round */

enum { BC_AGENT_DONE = 0, BC_AGENT_MORE = 1 };

struct bc_env;
struct bc_store;
struct bc_agent;

/* The tools (static; valid for the process's lifetime). */
const struct bc_llm_tool *bc_agent_tools(size_t *n);

/* Opens the turn of the customer's text in conv (borrowed until bc_agent_free): loads settings, catalog
 * and the stored state, builds the system prompt (instructions: the tenant's, or NULL) and appends the
 * message. public_url: where calendar links point. Returns 0 or a negative bc_err; free with
 * bc_agent_free. */
int bc_agent_begin(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, const char *text,
                   const char *instructions, const char *public_url, struct bc_agent **out);
void bc_agent_free(struct bc_agent *a);
/* What to send to the model next (borrowed from a). */
const struct bc_llm_conv *bc_agent_conv(const struct bc_agent *a);
/* The system prompt (borrowed), for tests and the docs. */
const char *bc_agent_prompt(const struct bc_agent *a);

/* Takes one successful model answer: keeps its text for the customer, runs its tool calls (guard rails
 * above) and appends everything to the transcript. Returns BC_AGENT_MORE (call the model again: it has
 * tool results to read), BC_AGENT_DONE (the turn is answered, or the round limit was reached) or
 * BC_EINVALID (an answer with neither text nor tool calls). */
int bc_agent_step(struct bc_agent *a, const struct bc_llm_result *res);
/* True when a tool changed the world this turn (a booking made, cancelled or moved): the turn must then be
 * answered by the agent even if a later call fails, so that the customer hears about it. */
bool bc_agent_acted(const struct bc_agent *a);
/* Ends the turn: stores the customer's message and the answers, the state and transcript in conv, and
 * saves conv. *messages are the answers (caller decrefs). BC_EINVALID when there is nothing to answer
 * with (no text and no action: the caller falls back to fsm); BC_ECONFLICT when a concurrent turn won. */
int bc_agent_finish(struct bc_agent *a, json_t **messages);

/* After a turn that fsm mode answered instead (user_text: the message or a quick-reply payload; messages:
 * fsm's answers): records both in the transcript on conv, so the model knows what was said; a, when not
 * NULL, is the agent turn that was abandoned (its tool rounds are kept). Does not save conv. */
int bc_agent_record_fsm(struct bc_agent *a, json_t *conv, const char *user_text, json_t *messages);
/* True when conv has an action awaiting the customer's confirmation (a quick-reply "yes"/"no" then goes to
 * the agent rather than to fsm). */
bool bc_agent_pending(json_t *conv);

#endif
