/* Server-Sent Events on a request: the reply becomes a chunked text/event-stream whose events any thread
 * may push; while no event is ready the connection is suspended (libmicrohttpd is never left polling).
 * A producer may also hand the stream a function to run on the connection's worker thread, for work that
 * follows an upstream's answer (the chat's LLM turns).
 *
 * DESIGN NOTES
 * - The stream is reference-counted: the response holds one reference (dropped when libmicrohttpd frees
 *   it: the stream ended or the client went away), the producer the other (bc_sse_release).
 * - Suspend/resume decisions are made under the stream's mutex: the reader suspends only when nothing is
 *   queued and no function is pending; a producer that queues something resumes a suspended connection.
 * - A function handed over with bc_sse_run runs exactly once: on the worker thread when the reader next
 *   runs, or, once the client is gone, on whatever thread notices (then it must only clean up; it can tell
 *   with bc_sse_closed). */
#ifndef BC_SSE_H
#define BC_SSE_H
#include <stdbool.h>

struct bc_req;
struct bc_sse;

/* Makes the reply of req a 200 text/event-stream (queued like any reply when the handler returns 0).
 * *out is the producer's reference. Returns 0 or BC_ENOMEM. */
int bc_sse_start(struct bc_req *req, struct bc_sse **out);
/* Queues one event: "event: <event>\ndata: <data>\n\n"; data must be one line (compact JSON). Any thread.
 * 0, BC_ENOMEM, or BC_EUNAVAILABLE when the client is gone or the stream has ended. */
int bc_sse_send(struct bc_sse *s, const char *event, const char *data);
/* Runs fn(ud) on the worker thread serving the stream, once (see DESIGN NOTES). At most one pending at a
 * time. Any thread. */
void bc_sse_run(struct bc_sse *s, void (*fn)(void *ud), void *ud);
/* Ends the stream once the queued events are sent. Any thread. */
void bc_sse_end(struct bc_sse *s);
/* True when the client is gone (nothing sent will arrive). */
bool bc_sse_closed(struct bc_sse *s);
/* Drops the producer's reference. NULL is a no-op. */
void bc_sse_release(struct bc_sse *s);
/* True when the request's Accept header asks for text/event-stream. */
bool bc_sse_wanted(struct bc_req *req);

#endif
