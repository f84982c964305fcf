/* The customer's manage page API (/v1/manage/…, the page at /manage/): see a booking, its free times for a
 * reschedule, cancel or move it, and download it as a calendar file. The manage token of the booking's
 * e-mail link is the only credential: it names its tenant and booking under a MAC of the server secret
 * (domain/booking.h), so there is no widget key and no Origin to check. Changes go through the domain's
 * bc_booking_cancel / bc_booking_reschedule as the customer (by_customer: the tenant's window applies), so
 * whatever a booking change sets off there (notifications) happens here too. The token is in URLs: answers
 * are not stored by caches and send no Referer; the access log writes the path without the query. */
#include "domain/booking.h"
#include "domain/fields.h"
#include "domain/settings.h"
#include "domain/tenant.h"
#include "http/region.h"
#include "http/auth.h"
#include "http/api.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

/* Requests per second and burst of one client address on these routes: a customer's visit is a handful
 * of requests; the brake is for someone trying tokens (the MAC makes guessing hopeless, this makes it cheap
 * to refuse) or hammering the slot computation. Off with visitor_limits = off, like the widget's. */
#define MANAGE_RATE  1.0
#define MANAGE_BURST 30

/* once per answer (reply headers add up); JSON answers are Cache-Control: no-store already */
static void private_headers(struct bc_req *req)
{
    bc_reply_header(req, "Referrer-Policy", "no-referrer");
}

static int brake(struct bc_req *req)
{
    return bc_api_address_brake(req, "manage", MANAGE_RATE, MANAGE_BURST, BC_METRICS_LIMIT_MANAGE);
}

/* The booking item of the manage token: req->ctx becomes its tenant's (for the domain calls, the usage
 * count and the access log). 404 for a token that does not verify or a booking that is not there, the
 * tenant's own refusal when suspended or deleted, 410 once the link has expired. */
static int resolve(struct bc_req *req, const char *token, json_t **item)
{
    char tenant[BC_TENANT_ID_MAX + 1], booking[BC_TENANT_ID_MAX + 1];
    struct bc_ctx check;
    *item = NULL;
    int rc = brake(req);
    if (rc < 0) return rc;
    if (bc_booking_manage_verify(token, tenant, sizeof tenant, booking, sizeof booking) < 0 ||
        bc_ctx_operator(&check, tenant) < 0)
        return bc_fail(req, BC_ENOT_FOUND, "No such booking.");
    memcpy(req->ctx.tenant_id, check.tenant_id, sizeof req->ctx.tenant_id);
    if ((rc = bc_auth_route_tenant(req)) < 0) return rc; /* its dedicated store, when it has one */
    rc = bc_tenant_get_ro(req->env, &req->ctx, &req->ctx.tenant);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "No such booking.");
    if (rc == 0) rc = bc_tenant_check_active(req->ctx.tenant);
    if (rc == 0) rc = bc_booking_get(req->env, &req->ctx, booking, item);
    /* a booking a crash left unmade is not one (as the staff's read) */
    const char *st = rc == 0 ? bc_field_str(*item, BC_F_STATUS) : NULL;
    if (rc == 0 && (!st || strcmp(st, "failed") == 0)) rc = BC_ENOT_FOUND;
    if (rc == 0 && (rc = bc_booking_manage_check(*item)) < 0)
        rc = bc_fail(req, rc, "This booking link has expired.");
    if (rc == BC_ENOT_FOUND) rc = bc_fail(req, rc, "No such booking.");
    if (rc < 0) {
        json_decref(*item);
        *item = NULL;
    }
    return rc;
}

/* Whether the customer may still change the booking: confirmed, and before the tenant's cancellation
 * window (the rule bc_booking_cancel/reschedule apply with by_customer; this only tells the page). */
static bool changeable(json_t *item, const json_t *settings, int64_t *until)
{
    int64_t window =
        json_integer_value(json_object_get(json_object_get(settings, "booking"), "cancel_window_min"));
    *until = json_integer_value(json_object_get(item, "start_ts")) - window * 60;
    const char *st = bc_field_str(item, BC_F_STATUS);
    return st && strcmp(st, "confirmed") == 0 && bc_now_s() <= *until;
}

/* GET /v1/manage/booking?token=… */
int bc_api_manage_booking(struct bc_req *req)
{
    const char *token = bc_req_query(req, "token");
    json_t *item, *settings = NULL;
    private_headers(req);
    int rc = resolve(req, token, &item);
    if (rc < 0) return rc;
    if ((rc = bc_settings_get(req->env, &req->ctx, &settings)) < 0) {
        json_decref(item);
        return rc;
    }
    int64_t until;
    bool can = changeable(item, settings, &until);
    const char *zone = bc_field_str(item, BC_F_TIMEZONE);
    if (!zone) zone = bc_settings_zone(settings);
    char until_iso[BC_TZ_ISO_SIZE] = "";
    if (can && bc_tz_format_iso(zone, until, until_iso, sizeof until_iso) < 0) until_iso[0] = 0;
    json_t *business = json_object_get(settings, BC_F_BUSINESS);
    json_t *biz = json_pack("{s:s, s:s, s:s}", "name", S(business, "name") ? S(business, "name") : "",
                            "locale", S(settings, BC_F_LOCALE) ? S(settings, BC_F_LOCALE) : "es", "timezone",
                            bc_settings_zone(settings) ? bc_settings_zone(settings) : "UTC");
    /* the widget's colour, so the page looks like the chat the customer booked in */
    const char *color = S(json_object_get(settings, "widget"), "color");
    if (color) json_object_set_new(biz, "color", json_string(color));
    /* the number to call once it is too late to change the booking online */
    if (S(business, "phone") && *S(business, "phone"))
        json_object_set_new(biz, "phone", json_string(S(business, "phone")));
    char ics[600];
    snprintf(ics, sizeof ics, "%s/v1/manage/booking.ics?token=%s", bc_api_public_url(req->srv), token);
    json_t *out =
        json_pack("{s:o, s:o, s:b, s:b, s:o, s:s}", "booking", bc_booking_view(&req->ctx, item, false),
                  "business", biz, "can_cancel", can, "can_reschedule", can, "cancel_until",
                  until_iso[0] ? json_string(until_iso) : json_null(), "ics_url", ics);
    json_decref(settings);
    json_decref(item);
    if (!out) return BC_ENOMEM;
    return bc_reply_json(req, 200, out);
}

/* GET /v1/manage/slots?token=…&date=YYYY-MM-DD[&provider_id=ID|any]: the free times of the booking's
 * service on that local date, with its professional unless another (or any) is asked for; the booking's own
 * time is not busy for it. */
int bc_api_manage_slots(struct bc_req *req)
{
    const char *date = bc_req_query(req, "date"), *pro = bc_req_query(req, "provider_id");
    json_t *item;
    int32_t d;
    private_headers(req);
    int rc = resolve(req, bc_req_query(req, "token"), &item);
    if (rc < 0) return rc;
    if (!date || bc_tz_date_parse(date, &d) < 0) rc = bc_fail(req, BC_EINVALID, "date must be YYYY-MM-DD");
    if (rc == 0)
        rc = bc_api_slots_reply(req, bc_field_str(item, BC_F_SERVICE),
                                pro && *pro ? pro : bc_field_str(item, BC_F_PROVIDER), date, date, NULL,
                                bc_field_str(item, BC_F_ID));
    json_decref(item);
    return rc;
}

static const struct bc_jfield change_fields[] = {
    {"token", BC_J_STRING, BC_JF_REQUIRED, 1, 200},
    {"start", BC_J_STRING, 0, 16, 40},
    {"provider_id", BC_J_STRING, 0, 1, 64},
    {NULL},
};

static int reply_booking(struct bc_req *req, int rc, const char *msg, json_t *out)
{
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    json_t *v = bc_booking_view(&req->ctx, out, false);
    json_decref(out);
    return bc_reply_wrapped(req, 200, "booking", v);
}

/* A change of a tenant homed in another region goes there (http/region.h): the token is the credential, so
 * only now is the tenant known. 0 to go on here; else what the handler returns (item released). */
static int home_region(struct bc_req *req, json_t *item)
{
    int rc = bc_region_write_here(req);
    if (rc == 0) return 0;
    json_decref(item);
    return rc == BC_REGION_ANSWERED ? 0 : rc;
}

/* POST /v1/manage/booking/cancel {"token"} */
int bc_api_manage_cancel(struct bc_req *req)
{
    json_t *body, *item, *out = NULL;
    char msg[256] = "";
    private_headers(req);
    int rc = bc_req_body(req, change_fields, &body);
    if (rc == 0) rc = resolve(req, S(body, "token"), &item);
    if (rc < 0) return rc;
    if ((rc = home_region(req, item)) != 0) return rc;
    rc = bc_booking_cancel(req->env, &req->ctx, bc_field_str(item, BC_F_ID), true, msg, sizeof msg, &out);
    json_decref(item);
    return reply_booking(req, rc, msg, out);
}

/* POST /v1/manage/booking/reschedule {"token","start"[,"provider_id"]} */
int bc_api_manage_reschedule(struct bc_req *req)
{
    json_t *body, *item, *out = NULL;
    char msg[256] = "";
    private_headers(req);
    int rc = bc_req_body(req, change_fields, &body);
    if (rc == 0 && !S(body, "start")) rc = bc_fail(req, BC_EINVALID, "start is required");
    if (rc == 0) rc = resolve(req, S(body, "token"), &item);
    if (rc < 0) return rc;
    if ((rc = home_region(req, item)) != 0) return rc;
    rc = bc_booking_reschedule(req->env, &req->ctx, bc_field_str(item, BC_F_ID), S(body, "start"),
                               S(body, "provider_id"), true, msg, sizeof msg, &out);
    json_decref(item);
    return reply_booking(req, rc, msg, out);
}

/* GET /v1/manage/booking.ics?token=…: the customer's calendar file. */
int bc_api_manage_ics(struct bc_req *req)
{
    json_t *item;
    private_headers(req);
    int rc = resolve(req, bc_req_query(req, "token"), &item);
    if (rc < 0) return rc;
    char *ics = bc_booking_ics(req->env, &req->ctx, item);
    json_decref(item);
    if (!ics) return BC_ENOMEM;
    bc_reply_header(req, "Content-Disposition", "attachment; filename=\"booking.ics\"");
    bc_reply_header(req, "Cache-Control", "no-store");
    rc = bc_reply_bytes(req, 200, "text/calendar; charset=utf-8", ics, strlen(ics), true);
    free(ics);
    return rc;
}
