/* Availability, holds and bookings: the widget's booking flow, the customer's cancel/reschedule, and the
 * staff's schedule (weekly hours, exceptions) and bookings. */
#include "domain/availability.h"
#include "domain/fields.h"
#include "domain/booking.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "domain/tenant.h"
#include "http/api.h"
#include "http/limits.h"
#include "http/server.h"
#include "util/clock.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/tz.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

int bc_api_slots_reply(struct bc_req *req, const char *svc, const char *pro, const char *from, const char *to,
                       const char *tz, const char *ignore)
{
    char msg[256] = "";
    struct bc_schedule sc;
    struct bc_availability_slot *slots = NULL;
    int rc = bc_schedule_load(req->env, &req->ctx, svc, pro, from, to, tz, ignore, bc_now_s(), &req->arena,
                              &sc, msg, sizeof msg);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    sc.q.max_slots = 5000;
    int n = sc.n_pros ? bc_availability_compute(&sc.q, sc.pros, sc.n_pros, &req->arena, &slots) : 0;
    if (n < 0) {
        bc_schedule_release(&sc);
        return bc_fail(req, n, "cannot compute availability for these parameters");
    }
    /* {"timezone":…,"slots":[{"start":…,"end":…,"provider_id":…},…]} written straight into a buffer (a
     * jansson object per slot and json_dumps were half of the answer's time); the same bytes */
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_reserve(&b, 64 + (size_t)n * 110);
    bc_buf_puts(&b, "{\"timezone\":");
    bool ok = bc_buf_json_str(&b, sc.q.zone) == 0 && bc_buf_puts(&b, ",\"slots\":[") == 0;
    for (int i = 0; ok && i < n; i++) {
        if (i > 0 && slots[i].start == slots[i - 1].start) continue; /* "any": one offer per time */
        char t0[BC_TZ_ISO_SIZE], t1[BC_TZ_ISO_SIZE];
        bc_tz_format_iso_offset(slots[i].start, slots[i].start_offset, t0, sizeof t0);
        bc_tz_format_iso_offset(slots[i].end, slots[i].end_offset, t1, sizeof t1);
        /* puts, not printf: formatting was a tenth of a 7-day answer's CPU */
        ok = (b.data[b.len - 1] == '[' || bc_buf_putc(&b, ',') == 0) &&
             bc_buf_puts(&b, "{\"start\":\"") == 0 && bc_buf_puts(&b, t0) == 0 &&
             bc_buf_puts(&b, "\",\"end\":\"") == 0 && bc_buf_puts(&b, t1) == 0 &&
             bc_buf_puts(&b, "\",\"provider_id\":") == 0 && bc_buf_json_str(&b, slots[i].pro_id) == 0;
        if (ok && sc.q.capacity > 1)
            ok = bc_buf_puts(&b, ",\"seats_left\":") == 0 &&
                 (slots[i].seats_left >= 0 ? bc_buf_put_uint(&b, (uint64_t)slots[i].seats_left)
                                           : bc_buf_printf(&b, "%d", slots[i].seats_left)) == 0;
        ok = ok && bc_buf_putc(&b, '}') == 0;
    }
    ok = ok && bc_buf_puts(&b, "]}") == 0;
    bc_schedule_release(&sc);
    size_t len;
    char *text = ok ? bc_buf_detach(&b, &len) : NULL;
    bc_buf_release(&b);
    if (!text) return BC_ENOMEM;
    return bc_reply_json_text(req, 200, text, len);
}

/* GET …/availability?service_id=&provider_id=ID|any&from=&to=[&tz=] */
int bc_api_availability(struct bc_req *req)
{
    const char *svc = bc_req_query(req, "service_id"), *pro = bc_req_query(req, "provider_id");
    const char *from = bc_req_query(req, "from"), *to = bc_req_query(req, "to"),
               *tz = bc_req_query(req, "tz");
    int32_t d1, d2;
    if (!svc || !from || !to) return bc_fail(req, BC_EINVALID, "service_id, from and to are required");
    if (bc_tz_date_parse(from, &d1) < 0 || bc_tz_date_parse(to, &d2) < 0)
        return bc_fail(req, BC_EINVALID, "from and to must be dates (YYYY-MM-DD)");
    if (d2 < d1) return bc_fail(req, BC_EINVALID, "from must not be after to");
    if (d2 - d1 + 1 > BC_AVAILABILITY_MAX_RANGE_DAYS)
        return bc_fail(req, BC_EINVALID, "at most %d days at a time", BC_AVAILABILITY_MAX_RANGE_DAYS);
    if (tz && bc_tz_validate(tz) < 0) return bc_fail(req, BC_EINVALID, "unknown time zone");
    return bc_api_slots_reply(req, svc, pro, from, to, tz, NULL);
}

static const struct bc_jfield hold_fields[] = {
    {"service_id", BC_J_STRING, BC_JF_REQUIRED, 1, 64},
    {"provider_id", BC_J_STRING, BC_JF_NULLABLE, 1, 64},
    {"start", BC_J_STRING, BC_JF_REQUIRED, 16, 40},
    {NULL},
};

int bc_api_holds_create(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_body(req, hold_fields, &body);
    if (rc == 0) rc = bc_api_visitor_limit(req, BC_VL_HOLDS_DAY, NULL, 0, 0);
    if (rc == 0) rc = bc_api_challenge_check(req);
    if (rc < 0) return rc;
    rc = bc_booking_hold(req->env, &req->ctx, S(body, "service_id"), S(body, "provider_id"), S(body, "start"),
                         msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 201, "hold", out);
}

const struct bc_jfield bc_api_customer_fields[] = {
    {"name", BC_J_STRING, BC_JF_REQUIRED, 1, 120},
    {"email", BC_J_STRING, BC_JF_NULLABLE, 0, 120},
    {"phone", BC_J_STRING, BC_JF_NULLABLE, 0, 30},
    {NULL},
};

static const struct bc_jfield booking_fields[] = {
    {"service_id", BC_J_STRING, BC_JF_REQUIRED, 1, 64},
    {"provider_id", BC_J_STRING, BC_JF_NULLABLE, 1, 64},
    {"start", BC_J_STRING, BC_JF_REQUIRED, 16, 40},
    {"customer", BC_J_OBJECT, BC_JF_REQUIRED, 0, 0},
    {"notes", BC_J_STRING, BC_JF_NULLABLE | BC_JF_MULTILINE, 0, 1000},
    {"hold_id", BC_J_STRING, BC_JF_NULLABLE, 1, 64},
    {NULL},
};

static void body_hash(struct bc_req *req, char out[65])
{
    unsigned char h[32];
    unsigned int n = 0;
    EVP_Digest(req->body.data ? req->body.data : "", req->body.len, h, &n, EVP_sha256(), NULL);
    bc_hex(h, 32, out);
}

static int create_booking(struct bc_req *req, bool staff)
{
    json_t *body, *out;
    char msg[256] = "", hash[65];
    struct bc_limits lim;
    int rc = bc_req_body(req, booking_fields, &body);
    if (rc == 0) rc = bc_req_check(req, json_object_get(body, "customer"), bc_api_customer_fields);
    if (rc == 0) rc = bc_plan_limits(req->env, req->ctx.tenant, &lim);
    if (rc == 0 && !staff) rc = bc_api_challenge_check(req);
    if (rc < 0) return rc;
    body_hash(req, hash);
    json_t *c = json_object_get(body, "customer");
    if (!staff) { /* the widget's bookings per visitor and per contact (domain/visitor.h) */
        char contact[160];
        bc_visitor_contact(S(c, "email"), S(c, "phone"), contact, sizeof contact);
        rc = bc_api_visitor_limit(req, BC_VL_BOOKINGS_DAY, NULL, 0, 0);
        if (rc == 0) rc = bc_api_visitor_limit(req, BC_VL_CONTACT_DAY, contact, 0, 0);
        if (rc < 0) return rc;
    }
    struct bc_booking_in in = {
        .service_id = S(body, "service_id"),
        .provider_id = S(body, "provider_id"),
        .start = S(body, "start"),
        .name = S(c, "name"),
        .email = S(c, "email"),
        .phone = S(c, "phone"),
        .notes = S(body, "notes"),
        .hold_id = S(body, "hold_id"),
        .source = staff ? "admin" : "widget",
        .idempotency_key = bc_req_header(req, "Idempotency-Key"),
        .request_hash = hash,
        .staff = staff,
        .monthly_limit = lim.bookings_month,
    };
    rc = bc_booking_create(req->env, &req->ctx, &in, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    if (staff) json_object_del(out, "manage_token"); /* the customer's secret, not the staff's */
    req->audit_detail = json_pack("{s:O, s:O}", "booking_id", json_object_get(out, "id"), "code",
                                  json_object_get(out, "code"));
    return bc_reply_wrapped(req, 201, "booking", out);
}

int bc_api_widget_bookings_create(struct bc_req *req)
{
    return create_booking(req, false);
}

int bc_api_admin_bookings_create(struct bc_req *req)
{
    return create_booking(req, true);
}

static const struct bc_jfield manage_fields[] = {
    {"email", BC_J_STRING, 0, 1, 120},        {"phone", BC_J_STRING, 0, 1, 30},
    {"manage_token", BC_J_STRING, 0, 1, 200}, {"start", BC_J_STRING, 0, 16, 40},
    {"provider_id", BC_J_STRING, 0, 1, 64},   {NULL},
};

/* The booking of {code} if the customer proves it is theirs (e-mail, phone or manage token). Every failure
 * is the same 404 so the endpoint cannot be used to probe codes or contacts. */
static int customer_booking(struct bc_req *req, json_t *body, json_t **item)
{
    int rc = bc_booking_by_code(req->env, &req->ctx, bc_req_param(req, "code"), item);
    if (rc < 0 && rc != BC_ENOT_FOUND) return rc;
    bool ok = rc == 0;
    if (ok) {
        const char *tok = S(body, "manage_token");
        char t[BC_TENANT_ID_MAX + 1], b[BC_TENANT_ID_MAX + 1];
        ok = tok ? bc_booking_manage_verify(tok, t, sizeof t, b, sizeof b) == 0 &&
                       strcmp(t, req->ctx.tenant_id) == 0 && strcmp(b, S(*item, "id")) == 0
                 : bc_booking_customer_matches(*item, S(body, "email"), S(body, "phone"));
        if (ok && tok && (rc = bc_booking_manage_check(*item)) < 0) {
            json_decref(*item);
            *item = NULL;
            return bc_fail(req, rc, "This booking link has expired.");
        }
    }
    if (!ok) {
        json_decref(*item);
        *item = NULL;
        return bc_fail(req, BC_ENOT_FOUND, "No booking with this code and contact.");
    }
    return 0;
}

int bc_api_widget_bookings_cancel(struct bc_req *req)
{
    json_t *body, *item, *out;
    char msg[256] = "";
    int rc = bc_req_body(req, manage_fields, &body);
    if (rc == 0) rc = customer_booking(req, body, &item);
    if (rc < 0) return rc;
    rc = bc_booking_cancel(req->env, &req->ctx, S(item, "id"), true, msg, sizeof msg, &out);
    json_decref(item);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    json_t *v = bc_booking_view(&req->ctx, out, false);
    json_decref(out);
    return bc_reply_wrapped(req, 200, "booking", v);
}

int bc_api_widget_bookings_reschedule(struct bc_req *req)
{
    json_t *body, *item, *out;
    char msg[256] = "";
    int rc = bc_req_body(req, manage_fields, &body);
    if (rc == 0 && !S(body, "start")) rc = bc_fail(req, BC_EINVALID, "start is required");
    if (rc == 0) rc = customer_booking(req, body, &item);
    if (rc < 0) return rc;
    rc = bc_booking_reschedule(req->env, &req->ctx, S(item, "id"), S(body, "start"), S(body, "provider_id"),
                               true, msg, sizeof msg, &out);
    json_decref(item);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    json_t *v = bc_booking_view(&req->ctx, out, false);
    json_decref(out);
    return bc_reply_wrapped(req, 200, "booking", v);
}

/* staff */

int bc_api_hours_get(struct bc_req *req)
{
    json_t *out;
    int rc = bc_hours_get(req->env, &req->ctx, bc_req_param(req, "id"), &out);
    if (rc < 0) return rc;
    return bc_reply_json(req, 200, out);
}

int bc_api_hours_put(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_hours_put(req->env, &req->ctx, bc_req_param(req, "id"), body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_json(req, 200, out);
}

int bc_api_exceptions_list(struct bc_req *req)
{
    json_t *items;
    int rc = bc_exception_list(req->env, &req->ctx, bc_req_query(req, "provider_id"), &items);
    if (rc < 0) return rc;
    return bc_reply_list(req, items, NULL);
}

int bc_api_exceptions_create(struct bc_req *req)
{
    json_t *body, *out;
    char msg[300] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_exception_create(req->env, &req->ctx, body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 201, "exception", out);
}

int bc_api_exceptions_get(struct bc_req *req)
{
    json_t *out;
    int rc = bc_exception_get(req->env, &req->ctx, bc_req_param(req, "id"), &out);
    if (rc < 0) return rc;
    return bc_reply_wrapped(req, 200, "exception", out);
}

int bc_api_exceptions_delete(struct bc_req *req)
{
    int rc = bc_exception_delete(req->env, &req->ctx, bc_req_param(req, "id"));
    if (rc < 0) return rc;
    return bc_reply_empty(req, 204);
}

int bc_api_admin_bookings_list(struct bc_req *req)
{
    int limit;
    const char *cursor;
    json_t *items;
    char *next;
    const char *from = bc_req_query(req, "from"), *to = bc_req_query(req, "to");
    int32_t d;
    int rc = bc_req_paging(req, &limit, &cursor);
    if (rc < 0) return rc;
    if ((from && bc_tz_date_parse(from, &d) < 0) || (to && bc_tz_date_parse(to, &d) < 0))
        return bc_fail(req, BC_EINVALID, "from and to must be dates (YYYY-MM-DD)");
    rc = bc_booking_list(req->env, &req->ctx, from, to, bc_req_query(req, "provider_id"),
                         bc_req_query(req, "status"), limit, cursor, &items, &next);
    if (rc == BC_EINVALID) return bc_fail(req, rc, "Invalid filter or cursor.");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, next);
}

int bc_api_admin_bookings_get(struct bc_req *req)
{
    json_t *item;
    int rc = bc_booking_get(req->env, &req->ctx, bc_req_param(req, "id"), &item);
    if (rc == 0 && strcmp(bc_field_str(item, BC_F_STATUS), "failed") == 0) rc = BC_ENOT_FOUND;
    if (rc < 0) {
        json_decref(item);
        return rc;
    }
    json_t *v = bc_booking_view(&req->ctx, item, false);
    json_t *hist = json_object_get(item, "history");
    json_object_set_new(v, "history", hist ? json_incref(hist) : json_array());
    json_decref(item);
    return bc_reply_wrapped(req, 200, "booking", v);
}

static const struct bc_jfield patch_fields[] = {
    {"status", BC_J_STRING, 0, 1, 16},
    {"start", BC_J_STRING, 0, 16, 40},
    {"provider_id", BC_J_STRING, 0, 1, 64},
    {NULL},
};

int bc_api_admin_bookings_patch(struct bc_req *req)
{
    json_t *body, *out = NULL;
    char msg[256] = "";
    const char *id = bc_req_param(req, "id");
    int rc = bc_req_body(req, patch_fields, &body);
    if (rc < 0) return rc;
    if (S(body, "status") && (S(body, "start") || S(body, "provider_id")))
        return bc_fail(req, BC_EINVALID, "change the status or the time, not both at once");
    if (S(body, "status"))
        rc = bc_booking_set_status(req->env, &req->ctx, id, S(body, "status"), msg, sizeof msg, &out);
    else if (S(body, "start") || S(body, "provider_id")) {
        json_t *cur = NULL;
        const char *start = S(body, "start");
        if (!start && (rc = bc_booking_get(req->env, &req->ctx, id, &cur)) < 0) return rc;
        rc = bc_booking_reschedule(req->env, &req->ctx, id, start ? start : S(cur, "start"),
                                   S(body, "provider_id"), false, msg, sizeof msg, &out);
        json_decref(cur);
    } else
        return bc_fail(req, BC_EINVALID, "give a status, or a new start and/or provider_id");
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    json_t *v = bc_booking_view(&req->ctx, out, false);
    json_decref(out);
    return bc_reply_wrapped(req, 200, "booking", v);
}

int bc_api_admin_bookings_ics(struct bc_req *req)
{
    json_t *item;
    int rc = bc_booking_get(req->env, &req->ctx, bc_req_param(req, "id"), &item);
    if (rc < 0) return rc;
    char *ics = bc_booking_ics(req->env, &req->ctx, item);
    json_decref(item);
    if (!ics) return BC_ENOMEM;
    rc = bc_reply_bytes(req, 200, "text/calendar; charset=utf-8", ics, strlen(ics), true);
    free(ics);
    return rc;
}
