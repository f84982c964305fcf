/* What the agent mode's files share (agent.c the turn, agent_tool.c the tool table, agent_lookup.c and
 * agent_booking.c the tools' actions, agent_guard.c the offered slots and the pending action,
 * agent_transcript.c the stored transcript): the turn's struct and the internal functions. Private to
 * src/domain/agent*.c (and their unit tests); the public interface and the DESIGN NOTES are in agent.h. */
#ifndef BC_AGENT_INTERNAL_H
#define BC_AGENT_INTERNAL_H
#include <jansson.h>
#include <stdbool.h>

#include "domain/agent.h"
#include "util/tz.h"

#define S(o, k) json_string_value(json_object_get((o), (k)))

struct bc_agent {
    struct bc_env *env;
    const struct bc_ctx *ctx;
    json_t *conv;  /* borrowed */
    json_t *state; /* owned: the new value of conv["agent"] */
    json_t *settings, *services, *providers;
    struct bc_llm_conv llm;
    char *text;
    const char *public_url;
    char lang[3];
    const char *zone; /* borrowed from settings */
    struct bc_tz_local now;
    json_int_t turn;
    bool customer_yes; /* the offline NLU reads this turn's message as "yes" */
    int rounds;
    json_t *out;     /* the assistant's messages of this turn */
    json_t *booking; /* the booking card of a booking made this turn */
    json_t *confirm; /* the summary of an action awaiting confirmation */
    char *action_text;
    bool acted;
};

/* ---- agent_tool.c: the tool table and the dispatch ---- */

/* Runs one tool call: validation first (like API input), then the tool. Sets *is_error. Returns the
 * tool's result or a tool error (never NULL on memory; caller decrefs). */
json_t *bc__agent_run_tool(struct bc_agent *a, const struct bc_llm_tool_call *call, bool *is_error);
/* {"error":{"code","message"}} for the model (caller decrefs). */
json_t *bc__agent_tool_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The name of the item of list (a->services or a->providers) with this id, or "?" (borrowed from list). */
const char *bc__agent_name_of(json_t *list, const char *id);

/* ---- agent_lookup.c: the tools that only read (in: the validated arguments; results: caller decrefs) ----
 */

json_t *bc__agent_list_services(struct bc_agent *a, json_t *in);
json_t *bc__agent_list_professionals(struct bc_agent *a, json_t *in);
json_t *bc__agent_find_availability(struct bc_agent *a, json_t *in);
json_t *bc__agent_business_info(struct bc_agent *a, json_t *in);

/* ---- agent_booking.c: the tools that change the world, each behind a confirmation turn ---- */

json_t *bc__agent_create_booking(struct bc_agent *a, json_t *in);
json_t *bc__agent_cancel_booking(struct bc_agent *a, json_t *in);
json_t *bc__agent_reschedule_booking(struct bc_agent *a, json_t *in);

/* ---- agent_guard.c: the offered slots and the pending action, kept in a->state between turns ---- */

/* Records that find_availability offered this slot (start as it was returned). */
void bc__agent_remember_offer(struct bc_agent *a, const char *service_id, const char *provider_id,
                              const char *start);
/* The offered slot of service at start (the same instant, whatever offset it is written with), with
 * provider (NULL or "any": any professional); NULL when find_availability never returned it. Borrowed from
 * a->state. */
json_t *bc__agent_offered_slot(struct bc_agent *a, const char *service_id, const char *provider,
                               const char *start);
/* True when this call confirms the pending action: the same tool with the same arguments, recorded in the
 * previous turn (whose answer showed its summary), and the customer's message of this turn says yes. */
bool bc__agent_confirmed(struct bc_agent *a, const char *tool, json_t *args);
/* Records the call as the pending action (with the slot's hold, or NULL) and answers
 * "confirmation_required" with the summary (caller decrefs). */
json_t *bc__agent_ask_confirmation(struct bc_agent *a, const char *tool, json_t *args, json_t *hold,
                                   const char *summary);
void bc__agent_clear_pending(struct bc_agent *a);

/* ---- agent_transcript.c: the transcript for the model, stored on the conversation ---- */

/* Loads the stored transcript into c; a broken one is dropped (the model starts afresh). */
void bc__agent_load_history(struct bc_llm_conv *c, json_t *state);
/* Sets conv["agent"] to a->state with the transcript c, trimmed. */
void bc__agent_store_state(struct bc_agent *a, json_t *conv, const struct bc_llm_conv *c);

#endif
