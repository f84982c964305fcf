/* Applies a per-visitor limit of the widget to a request (limits.h): the client address as the visitor,
 * Retry-After and the error message on a refusal, and the refusal counted by limit in /metrics. */
#include "http/limits.h"
#include "auth/ratelimit.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/err.h"

#include <stdio.h>

int bc_api_visitor_limit(struct bc_req *req, enum bc_visitor_limit l, const char *subject, double key_rate,
                         double key_burst)
{
    struct bc_rl_info info;
    if (!subject) subject = bc_req_remote(req);
    int rc = bc_visitor_take(req->srv->env, req->ctx.tenant_id, l, subject, key_rate, key_burst, &info);
    if (rc == 0) return 0;
    char v[16];
    snprintf(v, sizeof v, "%d", info.retry_after_s);
    bc_reply_header(req, "Retry-After", v);
    bc_metrics_limited((int)l);
    return bc_fail(req, rc, "%s Retry in %d s.", bc_strerror(rc), info.retry_after_s);
}
