/* Applies a per-visitor limit of the widget to a request (limits.h): the client address as the visitor,
 * Retry-After and the error message on a refusal, and the refusal counted by limit in /metrics. */
#include "http/limits.h"
#include "auth/ratelimit.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/config.h"
#include "util/err.h"

#include <stdio.h>

static int refusal(struct bc_req *req, enum bc_visitor_limit l, int rc, const struct bc_rl_info *info);

int bc_api_visitor_limit(struct bc_req *req, enum bc_visitor_limit l, const char *subject, double key_rate,
                         double key_burst)
{
    struct bc_rl_info info;
    if (!subject) subject = bc_req_remote(req);
    int rc = bc_visitor_take(req->env, req->ctx.tenant_id, l, subject, key_rate, key_burst, &info);
    return rc == 0 ? 0 : refusal(req, l, rc, &info);
}

int bc_api_visitor_peek(struct bc_req *req, enum bc_visitor_limit l, double key_rate, double key_burst)
{
    struct bc_rl_info info;
    int rc = bc_visitor_peek(req->env, req->ctx.tenant_id, l, bc_req_remote(req), key_rate, key_burst, &info);
    return rc == 0 ? 0 : refusal(req, l, rc, &info);
}

/* A visitor's refusal: Retry-After, the limit's error, counted by limit in /metrics. */
static int refusal(struct bc_req *req, enum bc_visitor_limit l, int rc, const struct bc_rl_info *info)
{
    char v[16];
    snprintf(v, sizeof v, "%d", info->retry_after_s);
    bc_reply_header(req, "Retry-After", v);
    bc_metrics_limited((int)l);
    return bc_fail(req, rc, "%s Retry in %d s.", bc_strerror(rc), info->retry_after_s);
}

int bc_api_address_brake(struct bc_req *req, const char *scope, double rate, double burst, int metric)
{
    if (!bc_config_bool(BC_CFG_VISITOR_LIMITS)) return 0;
    char k[200], v[16];
    struct bc_rl_info info;
    snprintf(k, sizeof k, "%s:%s", scope, bc_req_remote(req));
    if (bc_ratelimit_take(k, rate, burst, &info) == 0) return 0;
    snprintf(v, sizeof v, "%d", info.retry_after_s);
    bc_reply_header(req, "Retry-After", v);
    bc_metrics_limited(metric);
    return bc_fail(req, BC_ERATE, "Too many requests; retry in %d s.", info.retry_after_s);
}
