/* The chat over HTTP: the widget starts a conversation and sends messages (the conversation token binds
 * them to the tenant and the key); staff read transcripts, mark hand-offs handled, and try the NLU. */
#include "domain/booking.h"
#include "domain/conversation.h"
#include "domain/fields.h"
#include "domain/org.h"
#include "domain/entity.h"
#include "nlu/nlu.h"
#include "domain/plan.h"
#include "domain/settings.h"
#include "domain/turn.h"
#include "domain/usage.h"
#include "http/api.h"
#include "http/chatturn.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/server.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"
#include "util/tz.h"

#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

static const struct bc_jfield start_fields[] = {
    {"locale", BC_J_STRING, BC_JF_NULLABLE, 2, 10},
    {NULL},
};

static const struct bc_jfield message_fields[] = {
    {"text", BC_J_STRING, BC_JF_MULTILINE, 1, 2000},
    {"action", BC_J_STRING, 0, 1, 200},
    {NULL},
};

static json_t *conversation_json(struct bc_req *req, json_t *conv, bool with_token)
{
    json_t *v = json_pack("{s:O, s:O, s:O, s:O}", "id", json_object_get(conv, "id"), "status",
                          json_object_get(conv, "status"), "lang", json_object_get(conv, "lang"), "state",
                          json_object_get(conv, "state"));
    if (with_token) {
        char *t = bc_conv_token(req->ctx.tenant_id, req->ctx.key_id, S(conv, "id"));
        json_object_set_new(v, "token", json_string(t ? t : ""));
        free(t);
    }
    return v;
}

int bc_api_conversations_create(struct bc_req *req)
{
    json_t *body = NULL, *conv, *messages;
    if (req->body.len) {
        int rc = bc_req_body(req, start_fields, &body);
        if (rc < 0) return rc;
    }
    /* conversations per visitor, before one is created (the widget's abuse limits, domain/visitor.h) */
    int rc = bc_api_visitor_limit(req, BC_VL_CONVS_HOUR, NULL, 0, 0);
    if (rc == 0) rc = bc_api_visitor_limit(req, BC_VL_CONVS_DAY, NULL, 0, 0);
    if (rc == 0) rc = bc_api_challenge_check(req);
    if (rc < 0) return rc;
    rc = bc_turn_open(req->env, &req->ctx, S(body, "locale"), bc_api_public_url(req->srv), &conv, &messages);
    if (rc < 0) return rc;
    bc_metrics_conversation_touch(S(conv, "id"));
    json_t *out =
        json_pack("{s:o, s:o}", "conversation", conversation_json(req, conv, true), "messages", messages);
    json_decref(conv);
    return bc_reply_json(req, 201, out);
}

/* The conversation of the path, if the token proves it is the caller's; every failure is the same 404. */
static int load(struct bc_req *req, json_t **conv)
{
    const char *id = bc_req_param(req, "id");
    *conv = NULL;
    if (!bc_conv_token_ok(bc_req_header(req, "X-Conversation-Token"), req->ctx.tenant_id, req->ctx.key_id,
                          id))
        return bc_fail(req, BC_ENOT_FOUND, "No such conversation.");
    int rc = bc_conv_get(req->env, &req->ctx, id, conv);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "No such conversation.");
    return rc;
}

int bc_api_conversations_message(struct bc_req *req)
{
    json_t *body, *conv = NULL, *messages = NULL;
    int rc = bc_req_body(req, message_fields, &body);
    if (rc == 0 && !S(body, "text") == !S(body, "action"))
        rc = bc_fail(req, BC_EINVALID, "send either text or action");
    if (rc == 0) rc = load(req, &conv);
    /* the conversation's pace and length and the visitor's day, before the plan's quota is touched */
    if (rc == 0) rc = bc_api_visitor_limit(req, BC_VL_CONV_RATE, bc_req_param(req, "id"), 0, 0);
    if (rc == 0) rc = bc_api_visitor_limit(req, BC_VL_CONV_MESSAGES, bc_req_param(req, "id"), 0, 0);
    if (rc == 0) rc = bc_api_visitor_limit(req, BC_VL_MESSAGES_DAY, NULL, 0, 0);
    if (rc < 0) {
        json_decref(conv);
        return rc;
    }
    /* counted against the plan's monthly messages; past them, the domain's polite words for the widget and
     * the status for integrators */
    rc = bc_turn_admit(req->env, &req->ctx, conv, &messages);
    if (rc == BC_EPLAN) {
        json_t *err = json_pack("{s:{s:s, s:s}, s:o}", "error", "code", "plan_limit_exceeded", "message",
                                "This business cannot take more messages this month.", "messages", messages);
        req->err_code = "plan_limit_exceeded";
        json_decref(conv);
        return bc_reply_json(req, 429, err);
    }
    bc_metrics_conversation_touch(S(conv, "id"));
    /* an organisation's widget: which branch first, then every turn in that branch (docs/organisations.md) */
    struct bc_ctx branch;
    const char *action = S(body, "action");
    if (rc == 0)
        rc = bc_org_chat_route(req->env, &req->ctx, conv, S(body, "text"), action, &branch, &messages);
    if (rc == 1) {
        json_t *out =
            json_pack("{s:o, s:O, s:O}", "messages", messages, "state", json_object_get(conv, "state"),
                      "status", json_object_get(conv, "status")); /* as a turn's answer */
        json_decref(conv);
        return bc_reply_json(req, 200, out);
    }
    /* a branch chosen by its quick reply starts that branch's booking flow */
    if (rc == 0 && branch.tenant_id[0] && action && strncmp(action, "branch:", 7) == 0) action = "restart";
    /* the turn in the tenant's mode (fsm, nlp, agent); it may suspend the request to wait for a model */
    if (rc == 0)
        rc = bc_chatturn_run(req, branch.tenant_id[0] ? &branch : &req->ctx, conv, S(body, "text"), action);
    if (branch.tenant_id[0]) bc_ctx_release(&branch);
    json_decref(conv);
    return rc;
}

int bc_api_conversations_get(struct bc_req *req)
{
    json_t *conv, *items;
    char *next;
    int rc = load(req, &conv);
    if (rc < 0) return rc;
    rc = bc_conv_messages(req->env, &req->ctx, S(conv, "id"), 1000, NULL, &items, &next);
    free(next);
    size_t i;
    json_t *m;
    /* the customer's own transcript: their booking links again (staff's views go without them) */
    json_array_foreach(items, i, m) if (json_is_object(json_object_get(m, "booking")))
        bc_booking_card_secrets(req->ctx.tenant_id, json_object_get(m, "booking"),
                                bc_api_public_url(req->srv));
    if (rc == 0)
        rc = bc_reply_json(
            req, 200,
            json_pack("{s:o, s:o}", "conversation", conversation_json(req, conv, false), "messages", items));
    json_decref(conv);
    return rc;
}

/* staff */

int bc_api_admin_conversations_list(struct bc_req *req)
{
    int limit;
    const char *cursor;
    json_t *items;
    char *next;
    int rc = bc_req_paging(req, &limit, &cursor);
    if (rc == 0)
        rc = bc_conv_list(req->env, &req->ctx, bc_req_query(req, "status"), limit, cursor, &items, &next);
    if (rc == BC_EINVALID) return bc_fail(req, rc, "Invalid cursor.");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, next);
}

int bc_api_admin_conversations_get(struct bc_req *req)
{
    json_t *conv, *items;
    char *next;
    int rc = bc_conv_get(req->env, &req->ctx, bc_req_param(req, "id"), &conv);
    if (rc < 0) return rc;
    rc = bc_conv_messages(req->env, &req->ctx, S(conv, "id"), 1000, NULL, &items, &next);
    free(next);
    if (rc == 0)
        rc = bc_reply_json(req, 200,
                           json_pack("{s:o, s:o}", "conversation", bc_conv_view(conv), "messages", items));
    json_decref(conv);
    return rc;
}

static const struct bc_jfield conv_patch_fields[] = {
    {"handled", BC_J_BOOL, BC_JF_REQUIRED, 0, 0},
    {NULL},
};

int bc_api_admin_conversations_patch(struct bc_req *req)
{
    json_t *body, *conv;
    int rc = bc_req_body(req, conv_patch_fields, &body);
    if (rc == 0) rc = bc_conv_get(req->env, &req->ctx, bc_req_param(req, "id"), &conv);
    if (rc < 0) return rc;
    json_t *h = json_object_get(conv, "handoff");
    if (!json_is_object(h)) {
        json_decref(conv);
        return bc_fail(req, BC_ECONFLICT, "This conversation has no hand-off.");
    }
    bool was_open = bc_conv_handoff_open(conv);
    json_object_set(h, "handled", json_object_get(body, "handled"));
    if (json_is_true(json_object_get(body, "handled")))
        json_object_set_new(h, "handled_by", json_string(req->ctx.user_id));
    rc = bc_conv_save(req->env, conv);
    if (rc == 0 && was_open != bc_conv_handoff_open(conv))
        bc_usage_add(req->env, req->ctx.tenant_id, BC_USAGE_HANDOFFS_ANSWERED, was_open ? 1 : -1);
    if (rc == 0) rc = bc_reply_wrapped(req, 200, "conversation", bc_conv_view(conv));
    json_decref(conv);
    return rc;
}

static const struct bc_jfield nlu_fields[] = {
    {"text", BC_J_STRING, BC_JF_REQUIRED | BC_JF_MULTILINE, 1, 2000},
    {"lang", BC_J_STRING, 0, 2, 10},
    {"ref", BC_J_STRING, 0, 16, 40},
    {NULL},
};

/* POST /v1/admin/nlu/parse: what the offline NLU understands of a text, in the tenant's context. */
int bc_api_admin_nlu_parse(struct bc_req *req)
{
    json_t *body, *settings = NULL, *all = NULL;
    int rc = bc_req_body(req, nlu_fields, &body);
    if (rc == 0) rc = bc_settings_get(req->env, &req->ctx, &settings);
    if (rc < 0) return rc;
    const char *zone = bc_settings_zone(settings),
               *lang = S(body, "lang") ? S(body, "lang") : S(settings, "locale");
    int64_t ref = bc_now_s();
    struct bc_tz_local l;
    if (S(body, "ref")) {
        /* a local date-time "YYYY-MM-DDTHH:MM" (or with seconds/offset) in the tenant's zone */
        const char *r = S(body, "ref");
        int32_t day;
        char date[11];
        int mins;
        snprintf(date, sizeof date, "%.10s", r);
        if (strlen(r) < 16 || r[10] != 'T' || bc_tz_date_parse(date, &day) < 0 ||
            bc_tz_hhmm_parse(r + 11, 0, &mins) < 0 || bc_tz_next_valid(zone, day, mins * 60, &ref) < 0) {
            json_decref(settings);
            return bc_fail(req, BC_EINVALID, "ref must be a local date-time YYYY-MM-DDTHH:MM");
        }
    }
    if (bc_tz_from_utc(zone, ref, &l) < 0) {
        json_decref(settings);
        return BC_EINTERNAL;
    }
    struct bc_nlu_catalog *cat = bc_nlu_catalog_new();
    for (int kind = 0; cat && kind < 2; kind++) {
        if (bc_entity_all(req->env, &req->ctx, kind == 0 ? "SERVICE" : "PROVIDER", 1000, &all) < 0) break;
        size_t i;
        json_t *it;
        json_array_foreach(all, i, it)
        {
            const char *syn[20];
            size_t ns = 0, j;
            json_t *sy;
            json_array_foreach(json_object_get(it, "synonyms"), j, sy) if (ns < 20) syn[ns++] =
                json_string_value(sy);
            bc_nlu_catalog_add(cat, kind == 0 ? BC_NLU_SERVICE : BC_NLU_PROVIDER, S(it, "id"), S(it, "name"),
                               syn, ns);
        }
        json_decref(all);
        all = NULL;
    }
    const char *text = S(body, "text");
    struct bc_nlu_request nreq = {
        text, strlen(text), lang, {l.year, l.month, l.mday, l.weekday, l.hour, l.minute}, cat};
    struct bc_nlu_result r;
    rc = bc_nlu_parse(&nreq, &r);
    json_t *out = NULL;
    if (rc == 0) {
        out = json_pack("{s:s, s:s}", "intent", bc_nlu_intent_name(r.intent), "lang", r.lang);
        if (r.service_id) json_object_set_new(out, "service_id", json_string(r.service_id));
        if (r.provider_id)
            json_object_set_new(out, "provider_id", json_string(r.provider_id));
        else if (r.provider_any)
            json_object_set_new(out, "provider_id", json_string("any"));
        if (r.has_date) json_object_set_new(out, "date", json_string(r.date));
        if (r.has_time) json_object_set_new(out, "time", json_string(r.time));
        if (r.time_ambiguous && r.time_alt[0]) json_object_set_new(out, "time_alt", json_string(r.time_alt));
        if (r.part_of_day)
            json_object_set_new(out, "part_of_day", json_string(bc_nlu_part_name(r.part_of_day)));
        if (r.name[0]) json_object_set_new(out, "name", json_string(r.name));
        if (r.email[0]) json_object_set_new(out, "email", json_string(r.email));
        if (r.phone[0]) json_object_set_new(out, "phone", json_string(r.phone));
        if (r.code[0]) json_object_set_new(out, "code", json_string(r.code));
    }
    bc_nlu_catalog_free(cat);
    json_decref(settings);
    if (rc < 0) return rc;
    return bc_reply_json(req, 200, out);
}
