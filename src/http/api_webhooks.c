/* Webhook endpoints for owners and admins: create (the signing secret is in this one response), list, read,
 * change (rotate_secret shows the new secret once), delete. The domain (domain/webhook.c) validates. */
#include "domain/webhook.h"
#include "http/api.h"
#include "http/server.h"
#include "util/err.h"

int bc_api_webhooks_list(struct bc_req *req)
{
    json_t *items;
    int rc = bc_webhook_list(req->env, &req->ctx, &items);
    if (rc < 0) return rc;
    return bc_reply_list(req, items, NULL);
}

int bc_api_webhooks_create(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_webhook_create(req->env, &req->ctx, body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    req->audit_detail = json_pack("{s:O}", "webhook_id", json_object_get(out, "id"));
    return bc_reply_wrapped(req, 201, "webhook", out);
}

int bc_api_webhooks_get(struct bc_req *req)
{
    json_t *out;
    int rc = bc_webhook_get(req->env, &req->ctx, bc_req_param(req, "id"), &out);
    if (rc < 0) return rc;
    return bc_reply_wrapped(req, 200, "webhook", out);
}

int bc_api_webhooks_patch(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_webhook_patch(req->env, &req->ctx, bc_req_param(req, "id"), body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    req->audit_detail = json_pack("{s:b}", "secret_rotated", json_object_get(out, "secret") != NULL);
    return bc_reply_wrapped(req, 200, "webhook", out);
}

int bc_api_webhooks_delete(struct bc_req *req)
{
    int rc = bc_webhook_delete(req->env, &req->ctx, bc_req_param(req, "id"));
    if (rc < 0) return rc;
    return bc_reply_empty(req, 204);
}
