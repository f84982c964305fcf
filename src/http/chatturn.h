/* One customer message of the widget chat over HTTP: carries the domain's turn (domain/turn.h, which decides
 * the mode, the fallbacks, the metering) and answers with JSON or, when the widget asks for
 * text/event-stream, with Server-Sent Events. docs/ai.md describes the flow.
 *
 * DESIGN NOTES
 * - A turn that calls a model suspends the request before submitting (the turn's io.waiting: an answer that
 *   comes back at once cannot be lost) and returns BC_ASYNC; the turn's completion callback (on the LLM
 *   engine's thread) only resumes the request with a continuation, which runs the rest of the turn
 *   (bc_turn_resume) on a server worker thread and either replies or leaves the next call out.
 * - Streaming: the reply is an event stream from the start; the continuation then runs inside the stream's
 *   reader on the worker thread (http/sse.h), and the stream sleeps (connection suspended) in between.
 * - A JSON turn is freed with its request; a streamed turn frees itself when its stream ends or its client
 *   is gone. */
#ifndef BC_CHATTURN_H
#define BC_CHATTURN_H
#include <jansson.h>

struct bc_req;

/* Runs the turn of text or action (exactly one) on conv (borrowed; the turn takes its own reference).
 * Returns 0 (replied), BC_ASYNC (the request was suspended and will be answered later) or a negative
 * bc_err. */
struct bc_ctx;

/* Runs the turn in ctx (the request's, or a branch's for an organisation's widget: domain/org.h). */
int bc_chatturn_run(struct bc_req *req, const struct bc_ctx *ctx, json_t *conv, const char *text,
                    const char *action);

#endif
