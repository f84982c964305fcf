/* The waitlist's routes (domain/waitlist.h): a widget visitor joins (the per-visitor cap and the challenge
 * like the widget's other writes), the customer accepts an offer with the token of its e-mail or chat
 * (the token names its tenant under a MAC, like the manage page's: no widget key, no Origin), and the
 * staff list a date's entries and remove one. */
#include "domain/plan.h"
#include "domain/tenant.h"
#include "domain/waitlist.h"
#include "http/api.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

/* a customer accepts once; the brake is for someone trying tokens (the MAC makes guessing hopeless) */
#define ACCEPT_RATE  1.0
#define ACCEPT_BURST 20

static const struct bc_jfield join_fields[] = {
    {"service_id", BC_J_STRING, BC_JF_REQUIRED, 1, 64},
    {"provider_id", BC_J_STRING, BC_JF_NULLABLE, 1, 64},
    {"date", BC_J_STRING, BC_JF_REQUIRED, 10, 10},
    {"window", BC_J_OBJECT, BC_JF_NULLABLE, 0, 0},
    {"customer", BC_J_OBJECT, BC_JF_REQUIRED, 0, 0},
    {"lang", BC_J_STRING, BC_JF_NULLABLE, 2, 5},
    {NULL},
};

static const struct bc_jfield window_fields[] = {
    {"from", BC_J_STRING, BC_JF_REQUIRED, 5, 5},
    {"to", BC_J_STRING, BC_JF_REQUIRED, 5, 5},
    {NULL},
};

/* POST /v1/widget/waitlist */
int bc_api_widget_waitlist_join(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_body(req, join_fields, &body);
    json_t *win = json_object_get(body, "window"), *c = json_object_get(body, "customer");
    if (rc == 0 && json_is_object(win)) rc = bc_req_check(req, win, window_fields);
    if (rc == 0) rc = bc_req_check(req, c, bc_api_customer_fields);
    if (rc == 0) rc = bc_api_visitor_limit(req, BC_VL_WAITLIST_DAY, NULL, 0, 0);
    if (rc == 0) rc = bc_api_challenge_check(req);
    if (rc < 0) return rc;
    struct bc_waitlist_in in = {.service_id = S(body, "service_id"),
                                .provider_id = S(body, "provider_id"),
                                .date = S(body, "date"),
                                .from = S(win, "from"),
                                .to = S(win, "to"),
                                .name = S(c, "name"),
                                .email = S(c, "email"),
                                .phone = S(c, "phone"),
                                .lang = S(body, "lang"),
                                .source = "widget"};
    rc = bc_waitlist_join(req->env, &req->ctx, &in, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 201, "waitlist", out);
}

static const struct bc_jfield accept_fields[] = {
    {"token", BC_J_STRING, BC_JF_REQUIRED, 10, 200},
    {NULL},
};

/* POST /v1/widget/waitlist/{id}/accept {"token"} */
int bc_api_waitlist_accept(struct bc_req *req)
{
    json_t *body, *out = NULL;
    char msg[256] = "", tenant[BC_TENANT_ID_MAX + 1];
    struct bc_ctx check;
    struct bc_limits lim;
    bc_reply_header(req, "Referrer-Policy", "no-referrer");
    int rc = bc_api_address_brake(req, "waitlist", ACCEPT_RATE, ACCEPT_BURST, BC_METRICS_LIMIT_MANAGE);
    if (rc == 0) rc = bc_req_body(req, accept_fields, &body);
    if (rc < 0) return rc;
    if (bc_waitlist_token_tenant(S(body, "token"), tenant, sizeof tenant) < 0 ||
        bc_ctx_operator(&check, tenant) < 0)
        return bc_fail(req, BC_ENOT_FOUND, "no such waitlist offer");
    memcpy(req->ctx.tenant_id, check.tenant_id, sizeof req->ctx.tenant_id);
    bc_ctx_release(&check);
    rc = bc_tenant_get_ro(req->env, &req->ctx, &req->ctx.tenant);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "no such waitlist offer");
    if (rc == 0) rc = bc_tenant_check_active(req->ctx.tenant);
    if (rc == 0) rc = bc_plan_limits(req->env, req->ctx.tenant, &lim);
    if (rc < 0) return rc;
    rc = bc_waitlist_accept(req->env, &req->ctx, bc_req_param(req, "id"), S(body, "token"),
                            lim.bookings_month, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 201, "booking", out);
}

/* GET /v1/admin/waitlist?date=YYYY-MM-DD */
int bc_api_admin_waitlist_list(struct bc_req *req)
{
    json_t *items = NULL;
    int rc = bc_waitlist_list(req->env, &req->ctx, bc_req_query(req, "date"), &items);
    if (rc == BC_EINVALID) return bc_fail(req, rc, "date is required (YYYY-MM-DD)");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, NULL);
}

/* DELETE /v1/admin/waitlist/{id} */
int bc_api_admin_waitlist_delete(struct bc_req *req)
{
    int rc = bc_waitlist_remove(req->env, &req->ctx, bc_req_param(req, "id"));
    if (rc < 0) return rc;
    return bc_reply_empty(req, 204);
}
