/* Metering over HTTP: the tenant's usage for the dashboard (admin), a tenant's usage and the health scores
 * for the operator (platform), GET /metrics, and the test hook that flushes the usage counters. */
#include "domain/health.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "http/api.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

static int report(struct bc_req *req, const json_t *tenant)
{
    char month[8];
    json_t *out;
    if (bc_usage_month_parse(bc_req_query(req, "month"), month) < 0)
        return bc_fail(req, BC_EINVALID, "month must be YYYY-MM");
    int rc = bc_usage_report(req->env, tenant, month, &out);
    if (rc < 0) return rc;
    return bc_reply_wrapped(req, 200, "usage", out);
}

/* GET /v1/admin/usage?month=YYYY-MM */
int bc_api_admin_usage(struct bc_req *req)
{
    return report(req, req->ctx.tenant);
}

/* GET /v1/platform/tenants/{id}/usage?month=YYYY-MM */
int bc_api_platform_tenant_usage(struct bc_req *req)
{
    struct bc_ctx ctx;
    json_t *meta = NULL;
    if (bc_ctx_operator(&ctx, bc_req_param(req, "id")) < 0)
        return bc_fail(req, BC_ENOT_FOUND, "No such tenant.");
    int rc = bc_tenant_get(req->env, &ctx, &meta);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "No such tenant.");
    if (rc < 0) return rc;
    rc = report(req, meta);
    json_decref(meta);
    return rc;
}

/* GET /v1/platform/health[?limit=N]: tenants by health score, worst first. */
int bc_api_platform_health(struct bc_req *req)
{
    int limit;
    const char *cursor;
    json_t *all;
    int rc = bc_req_paging(req, &limit, &cursor);
    if (rc < 0) return rc;
    if (cursor) return bc_fail(req, BC_EINVALID, "This list has no cursor; use limit.");
    if ((rc = bc_health_all(req->env, &all)) < 0) return rc;
    size_t total = json_array_size(all);
    while (json_array_size(all) > (size_t)limit) json_array_remove(all, json_array_size(all) - 1);
    return bc_reply_json(req, 200, json_pack("{s:o, s:I}", "items", all, "total", (json_int_t)total));
}

/* GET /metrics (platform token), Prometheus text format. */
int bc_api_metrics(struct bc_req *req)
{
    struct bc_buf b = BC_BUF_INIT;
    int rc = bc_metrics_render(req->srv, &b);
    if (rc == 0) rc = bc_reply_bytes(req, 200, BC_METRICS_CONTENT_TYPE, b.data, b.len, true);
    bc_buf_release(&b);
    return rc;
}

/* POST /v1/test/usage/flush: writes this process's pending usage now. */
int bc_api_test_usage_flush(struct bc_req *req)
{
    int rc = bc_usage_flush(req->env);
    if (rc < 0) return rc;
    return bc_reply_json(req, 200, json_pack("{s:i}", "written", rc));
}
