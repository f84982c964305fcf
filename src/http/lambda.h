/* AWS Lambda events as requests of bookchat's HTTP layer: an API Gateway HTTP API (payload format 2.0) or
 * Lambda Function URL event becomes the same struct bc_req a libmicrohttpd connection becomes (http.h's
 * struct bc_transport), goes through the same router, auth, handlers and errors, and its reply becomes the
 * {statusCode, headers, cookies, body, isBase64Encoded} answer. The Runtime API loop around it is
 * cmd/cmd_lambda.c; docs/lambda.md describes both.
 *
 * DESIGN NOTES
 * - Only what differs from a connection is here: where headers, query and peer come from (the event's
 *   headers, rawQueryString, requestContext.http.sourceIp), how a parked request is waited for (a
 *   condition variable instead of MHD_suspend_connection), and how the reply is sent (JSON, not a socket).
 * - An invocation has a deadline. req->deadline_ns is set to it less a reserve, so a chat turn that waits on
 *   a model gives up in time and is answered by fsm mode (domain/turn.h); if a parked request is still not
 *   resumed at the hard limit, the answer is 504 and the request becomes an orphan, freed by
 *   bc_lambda_reap once its callback has come back (a turn must not be freed while its call is out).
 * - Replies are buffered (tx->streams is false): a chat message that asks for an event stream gets the
 *   JSON answer. Bodies that are not UTF-8 text (gzip'd assets, images) are sent base64-encoded. */
#ifndef BC_LAMBDA_H
#define BC_LAMBDA_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct bc_server;
struct bc_req;

enum bc_lambda_kind {
    BC_LAMBDA_UNKNOWN = 0, /* not an event bookchat answers (malformed, API Gateway REST v1, S3 …) */
    BC_LAMBDA_HTTP,        /* API Gateway HTTP API payload 2.0, or a Function URL */
    BC_LAMBDA_SCHEDULED,   /* EventBridge: source "aws.events", detail-type "Scheduled Event" */
};

/* What kind of event this is (NULL: unknown). */
enum bc_lambda_kind bc_lambda_kind(const json_t *event);

/* Makes the request an HTTP event describes (it borrows event, which must outlive it): method, decoded
 * rawPath, rawQueryString's arguments, headers (cookies[] as one Cookie header), the body (base64-decoded
 * when isBase64Encoded; over srv->body_limit it is marked too large, answered 413 by the router) and the
 * source IP. Returns 0 with *out (free with bc_req_free, or hand to bc_lambda_answer), or BC_EINVALID with
 * msg naming what is wrong. */
int bc_lambda_request(struct bc_server *srv, const json_t *event, struct bc_req **out, char *msg,
                      size_t msgsize);

/* Dispatches req (from bc_lambda_request) through the router, waits while a handler has it suspended
 * (until resumed, or until hard_deadline_ns: then 504), and renders the reply. req->deadline_ns is what
 * the handlers see (0: none). Returns the answer (caller decrefs; NULL only when out of memory). req is
 * done and freed, or kept as an orphan (see DESIGN NOTES). */
json_t *bc_lambda_answer(struct bc_req *req, int64_t hard_deadline_ns);

/* Frees the orphans whose callbacks have come back; with wait_ns > 0, waits up to that long for the
 * others. Returns how many are left. */
int bc_lambda_reap(int64_t wait_ns);

/* The answer of a reply as the event's caller expects it (exposed for tests): statusCode, headers (a
 * header set twice is comma-joined), cookies (each Set-Cookie), body (base64 when not UTF-8 text, empty
 * for HEAD), isBase64Encoded. NULL when out of memory. */
json_t *bc_lambda_render(struct bc_req *req);

#endif
