/* The HTTP side of the widget's per-visitor limits (domain/visitor.h): the visitor is the request's client
 * address (bc_req_remote, which honours trusted_proxies); a refusal answers 429 with Retry-After and the
 * limit's own error code, and is counted in /metrics. */
#ifndef BC_HTTP_LIMITS_H
#define BC_HTTP_LIMITS_H
#include "domain/visitor.h"
#include "http/http.h"

/* Takes one unit of limit l for subject (NULL: the client address). 0, or the limit's negative bc_err
 * with Retry-After and the message set (return it from the handler). key_rate/key_burst: the widget key's
 * bucket, for BC_VL_REQUESTS only (0 otherwise). */
int bc_api_visitor_limit(struct bc_req *req, enum bc_visitor_limit l, const char *subject, double key_rate,
                         double key_burst);
/* The same without taking a unit (bc_visitor_peek), for the widget's BC_VL_REQUESTS as a request's headers
 * arrive: 0, or the limit's error with the same answer set. */
int bc_api_visitor_peek(struct bc_req *req, enum bc_visitor_limit l, double key_rate, double key_burst);

/* A brake per client address on the public routes whose credential is in the URL (the manage page, the
 * calendar feeds): at most rate requests a second with bursts of burst under the bucket "<scope>:<address>".
 * 0, or 429 with Retry-After, counted in /metrics as limit metric (return it from the handler). Off with
 * visitor_limits = off, like the widget's limits. */
int bc_api_address_brake(struct bc_req *req, const char *scope, double rate, double burst, int metric);

#endif
