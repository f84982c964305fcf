/* One customer message of the widget chat, decided here whatever carries it (HTTP JSON, an event stream, a
 * webhook): the mode of the turn (fsm, nlp or agent: settings/ai within the plan), the provider and model
 * (the tenant's, else the operator's configuration, else the provider's default), the token budget, the
 * model calls, the fallback to fsm mode on any failure, the usage counters and the agent's transcript of
 * turns fsm mode answered. docs/ai.md describes the flow.
 *
 * DESIGN NOTES
 * - A turn runs in steps: bc_turn_begin and bc_turn_resume return BC_TURN_DONE (the result is ready:
 *   bc_turn_rc, bc_turn_messages) or BC_TURN_WAIT (a model call is out). When the model answers (or fails),
 *   the turn's completion callback io.answered runs on the LLM engine's thread; it must only hand over, and
 *   the transport then calls bc_turn_resume on a thread of its own (never the engine's), which runs the
 *   rest of the turn (validation, tools, the state machine, storage) and either ends or submits the next
 *   call. No thread waits for a model.
 * - Just before a call is submitted, io.waiting(ud, true) tells the transport to stop answering
 *   synchronously (an answer that comes back at once must not be lost); io.waiting(ud, false) undoes it
 *   when the submission failed.
 * - A turn owns copies of what it needs (tenant context, conversation, text), so it never touches the
 *   request that started it. It is used by one thread at a time.
 * - Whatever fails — the provider (error, time-out, open circuit), the answer (invalid, unknown ids), the
 *   budget, the plan, the LLM runtime not running — the turn is answered by fsm mode, and one log line
 *   ("type":"ai_turn") says why.
 * - A turn is metered once, when it ends without error: the first booking of its conversation
 *   (conversations_booked) and a new hand-off waiting for staff (handoffs). */
#ifndef BC_TURN_H
#define BC_TURN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"
#include "llm/llm.h"

struct bc_env;
struct bc_turn;

enum { BC_TURN_DONE = 0, BC_TURN_WAIT = 1 };

/* How a transport carries a turn (everything but answered may be NULL). */
struct bc_turn_io {
    /* Before a model call is submitted (on: true), and when its submission failed after all (on: false). */
    void (*waiting)(void *ud, bool on);
    /* The completion callback, on the LLM engine's thread: a call ended; run bc_turn_resume elsewhere. */
    void (*answered)(void *ud);
    /* On the LLM engine's thread: the agent's text as the provider streams it (NULL: not streamed). */
    bc_llm_text_fn text;
    /* Submits a call; NULL: bc_llm_runtime_submit (llm/runtime.h). Tests put a scripted model here. */
    int (*submit)(enum bc_llm_kind kind, const struct bc_llm_conv *conv, const struct bc_llm_opts *opts,
                  bc_llm_done_fn done, void *done_ud, char *err, size_t errsize);
    void *ud;
    /* The transport's own deadline (monotonic ns; 0: none), e.g. a Lambda invocation's less a reserve: the
     * turn's time for model calls ends at the earlier of its own (ai_nlp_timeout, ai_turn_timeout) and this,
     * so a call still out then is given up and fsm mode answers in time. */
    int64_t deadline_ns;
};

/* Opens a conversation (bc_chat_start, domain/chat.h) and counts it in the usage (conversations). *conv
 * and *messages: caller decrefs. */
int bc_turn_open(struct bc_env *env, const struct bc_ctx *ctx, const char *lang, const char *public_url,
                 json_t **conv, json_t **messages);
/* Admits one customer message of conv: counts it against the plan's monthly messages. 0, a store error,
 * or BC_EPLAN past the limit, with *messages the polite answer for the widget (stored on conv; caller
 * decrefs; an empty array if it could not be stored). *messages is NULL otherwise. */
int bc_turn_admit(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, json_t **messages);

/* Prepares the turn of text or action (exactly one: a quick-reply payload) on conv (the turn takes its own
 * reference and a copy of ctx, text, action, public_url and io). public_url: where calendar links point.
 * Returns 0 or BC_ENOMEM; free with bc_turn_free (not while a call is out: the transport waits for
 * io.answered first). */
int bc_turn_new(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, const char *text,
                const char *action, const char *public_url, const struct bc_turn_io *io,
                struct bc_turn **out);
void bc_turn_free(struct bc_turn *t);

/* The first step: chooses the mode, checks the budget and submits the first call, or answers in fsm mode.
 * BC_TURN_DONE or BC_TURN_WAIT. */
int bc_turn_begin(struct bc_turn *t);
/* The step after io.answered: BC_TURN_DONE or BC_TURN_WAIT (another call is out). */
int bc_turn_resume(struct bc_turn *t);

/* The result of a finished turn: 0 or a negative bc_err (BC_ECONFLICT: another turn of the conversation
 * won a race), the assistant's messages (borrowed; NULL on error) and the conversation as the turn left it
 * (borrowed; "state", "status"). */
int bc_turn_rc(const struct bc_turn *t);
json_t *bc_turn_messages(const struct bc_turn *t);
json_t *bc_turn_conv(const struct bc_turn *t);
/* How the turn was answered, for tests: the mode it ran in (BC_AI_FSM after a fallback chose fsm before
 * any call: plan, provider), the outcome (NULL: plain fsm mode, "ai", "fallback") and the reason of a
 * fallback ("" when none; see docs/ai.md). */
unsigned bc_turn_mode(const struct bc_turn *t);
const char *bc_turn_outcome(const struct bc_turn *t);
const char *bc_turn_reason(const struct bc_turn *t);
/* The model of an AI turn ("" in fsm mode): the tenant's, else ai_model_nlp/ai_model_agent, else the
 * provider's default. */
const char *bc_turn_model(const struct bc_turn *t);

#endif
