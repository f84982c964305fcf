/* Notifications for staff: the settings (GET|PUT /v1/admin/settings/notifications), the template preview,
 * and the deliveries (the log, a retry, a webhook's deliveries and its test send). Webhooks themselves are
 * in api_webhooks.c. docs/notifications.md. */
#include "domain/delivery.h"
#include "domain/notify.h"
#include "domain/outbox.h"
#include "domain/webhook.h"
#include "http/api.h"
#include "http/server.h"
#include "util/config.h"
#include "util/err.h"

#include <string.h>

/* The settings, and whether this server sends e-mail at all (the operator's smtp_url). */
static int reply_settings(struct bc_req *req, json_t *n)
{
    const char *smtp = bc_config_get(BC_CFG_SMTP_URL);
    json_t *o = json_pack("{s:o, s:b}", "notifications", n, "email_enabled", smtp && *smtp);
    if (!o) return BC_ENOMEM;
    return bc_reply_json(req, 200, o);
}

int bc_api_notify_get(struct bc_req *req)
{
    json_t *n;
    int rc = bc_notify_settings_get(req->env, &req->ctx, &n);
    if (rc < 0) return rc;
    return reply_settings(req, n);
}

int bc_api_notify_put(struct bc_req *req)
{
    json_t *body, *n;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_notify_settings_put(req->env, &req->ctx, body, msg, sizeof msg, &n);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return reply_settings(req, n);
}

int bc_api_notify_preview(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    json_t *lang = json_object_get(body, "lang"), *aud = json_object_get(body, "audience");
    if ((lang && !json_is_string(lang)) || (aud && !json_is_string(aud)))
        return bc_fail(req, BC_EINVALID, "lang and audience must be strings");
    const char *l = json_string_value(lang);
    if (l && strcmp(l, "es") != 0 && strcmp(l, "en") != 0)
        return bc_fail(req, BC_EINVALID, "lang must be es or en");
    rc = bc_notify_preview(req->env, &req->ctx, json_string_value(json_object_get(body, "event")),
                           l ? l : "en", json_string_value(aud), json_object_get(body, "templates"), msg,
                           sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_json(req, 200, out);
}

static int list(struct bc_req *req, const char *webhook_id)
{
    int limit;
    const char *cursor, *status = bc_req_query(req, "status"), *kind = bc_req_query(req, "kind");
    json_t *items;
    char *next;
    int rc = bc_req_paging(req, &limit, &cursor);
    if (rc < 0) return rc;
    if (status && strcmp(status, "pending") && strcmp(status, "delivered") && strcmp(status, "failed"))
        return bc_fail(req, BC_EINVALID, "status must be pending, delivered or failed");
    if (kind && strcmp(kind, "email") && strcmp(kind, "webhook") && strcmp(kind, "channel"))
        return bc_fail(req, BC_EINVALID, "kind must be email, webhook or channel");
    rc = bc_delivery_list(req->env, &req->ctx, webhook_id, status, kind, limit, cursor, &items, &next);
    if (rc == BC_EINVALID) return bc_fail(req, rc, "Invalid cursor.");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, next);
}

int bc_api_deliveries_list(struct bc_req *req)
{
    return list(req, NULL);
}

int bc_api_webhook_deliveries(struct bc_req *req)
{
    json_t *hook = NULL;
    int rc = bc_webhook_get(req->env, &req->ctx, bc_req_param(req, "id"), &hook);
    if (rc < 0) return rc == BC_ENOT_FOUND ? bc_fail(req, rc, "No such webhook.") : rc;
    json_decref(hook);
    return list(req, bc_req_param(req, "id"));
}

int bc_api_deliveries_retry(struct bc_req *req)
{
    json_t *out;
    int rc = bc_delivery_retry(req->env, &req->ctx, bc_req_param(req, "id"), &out);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "No such delivery.");
    if (rc == BC_ECONFLICT) return bc_fail(req, rc, "This delivery was delivered already.");
    if (rc < 0) return rc;
    bc_outbox_wake(req->env);
    return bc_reply_wrapped(req, 200, "delivery", out);
}

int bc_api_webhook_test(struct bc_req *req)
{
    json_t *out;
    int rc = bc_delivery_webhook_test(req->env, &req->ctx, bc_req_param(req, "id"), &out);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "No such webhook.");
    if (rc < 0) return rc;
    return bc_reply_wrapped(req, 202, "delivery", out);
}
