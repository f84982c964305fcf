/* One customer message of the widget chat, in the tenant's mode (fsm, nlp or agent), over HTTP: chooses the
 * mode of the turn (settings/ai within the plan, the token budget), waits for the model without holding a
 * worker thread, falls back to fsm mode on any failure, and answers with JSON or, when the widget asks for
 * text/event-stream, with Server-Sent Events. docs/ai.md describes the flow.
 *
 * DESIGN NOTES
 * - A turn that calls a model suspends the request before submitting (so an answer that comes back at once
 *   cannot be lost) and returns BC_ASYNC; the completion callback (on the LLM engine's thread) only hands
 *   the result over and resumes the request with a continuation, which runs the rest of the turn (validation,
 *   tools, the state machine, storage) on a server worker thread and either replies or submits the next call.
 * - Streaming: the reply is an event stream from the start; the continuation then runs inside the stream's
 *   reader on the worker thread (http/sse.h), and the stream sleeps (connection suspended) in between.
 * - The turn owns copies of what it needs (tenant context, conversation), so it never touches a request that
 *   has ended: a JSON turn is freed with its request; a streamed turn frees itself when its stream ends or
 *   its client is gone.
 * - Whatever fails — the provider (error, time-out, open circuit), the answer (invalid, unknown ids), the
 *   budget, the plan, the LLM runtime not running — the turn is answered by fsm mode and one log line
 *   ("type":"ai_turn") says why. */
#ifndef BC_CHATTURN_H
#define BC_CHATTURN_H
#include <jansson.h>

struct bc_req;

/* Runs the turn of text or action (exactly one) on conv (borrowed; the turn takes its own reference).
 * Returns 0 (replied), BC_ASYNC (the request was suspended and will be answered later) or a negative
 * bc_err. */
int bc_chatturn_run(struct bc_req *req, json_t *conv, const char *text, const char *action);

#endif
