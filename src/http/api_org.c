/* An organisation over HTTP: its branches and its month summed over them, for its owners and admins. Asked
 * with X-Tenant-Id naming one of its branches, the answer is still the organisation's (ctx.org_id). */
#include "domain/org.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "http/api.h"
#include "http/server.h"
#include "util/err.h"
#include "util/jsonv.h"

/* The organisation the credential acts for. */
static int org_ctx(struct bc_req *req, struct bc_ctx *org)
{
    return bc_ctx_operator(org, req->ctx.org_id[0] ? req->ctx.org_id : req->ctx.tenant_id);
}

/* GET /v1/admin/org/branches */
int bc_api_admin_org_branches(struct bc_req *req)
{
    struct bc_ctx org;
    json_t *items = NULL;
    const json_t *meta = NULL;
    int rc = org_ctx(req, &org);
    if (rc == 0) rc = bc_tenant_get_ro(req->env, &org, &meta);
    if (rc == 0) rc = bc_org_branches(req->env, &org, &items);
    json_t *out = rc < 0 ? NULL
                         : json_pack("{s:{s:O, s:O}, s:o}", "organisation", "id",
                                     json_object_get(bc_json_shared(meta), "id"), "name",
                                     json_object_get(bc_json_shared(meta), "name"), "items", items);
    bc_json_release(meta);
    bc_ctx_release(&org);
    if (rc < 0) return rc;
    return bc_reply_json(req, 200, out);
}

/* GET /v1/admin/org/usage?month=YYYY-MM */
int bc_api_admin_org_usage(struct bc_req *req)
{
    char month[8];
    struct bc_ctx org;
    json_t *out = NULL;
    if (bc_usage_month_parse(bc_req_query(req, "month"), month) < 0)
        return bc_fail(req, BC_EINVALID, "month must be YYYY-MM");
    int rc = org_ctx(req, &org);
    if (rc == 0) rc = bc_org_usage(req->env, &org, month, &out);
    bc_ctx_release(&org);
    if (rc < 0) return rc;
    return bc_reply_json(req, 200, out);
}
