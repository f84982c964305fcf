/* The widget's proof-of-work challenge over HTTP (domain/challenge.h): GET /v1/widget/challenge issues one,
 * and the guard that new conversations, holds and bookings call reads the solution from X-Altcha. */
#include "domain/challenge.h"
#include "http/api.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/err.h"

int bc_api_widget_challenge(struct bc_req *req)
{
    json_t *out;
    int rc = bc_challenge_issue(&req->ctx, &out);
    if (rc < 0) return rc;
    return bc_reply_json(req, 200, out);
}

int bc_api_challenge_check(struct bc_req *req)
{
    char msg[256] = "";
    int rc = bc_challenge_guard(req->env, &req->ctx, bc_req_remote(req), bc_req_header(req, "X-Altcha"), msg,
                                sizeof msg);
    if (rc == BC_ECHALLENGE) bc_metrics_limited(BC_METRICS_LIMIT_CHALLENGE);
    return rc < 0 ? bc_fail_msg(req, rc, msg) : 0;
}
