/* The agent's tools that change the world: create_booking (holding the slot while the customer confirms),
 * cancel_booking and reschedule_booking (for the customer's booking named by code and contact). Each acts
 * only on the call that confirms the pending action (agent_guard.c), and then leaves the sentence and the
 * booking card that answer the customer if the model says nothing more. */
#include "domain/agent_internal.h"
#include "domain/fields.h"
#include "domain/nlp.h"
#include "domain/env.h"
#include "domain/booking.h"
#include "domain/chat_text.h"
#include "domain/plan.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/tz.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The chat's words (chat_text.h) with their arguments. */
static void textf(struct bc_agent *a, char *out, size_t size, enum bc_chat_text key, ...)
{
    va_list ap;
    va_start(ap, key);
    vsnprintf(out, size, bc_chat_text(a->lang, key), ap);
    va_end(ap);
}

/* "jueves 3 de diciembre a las 17:00" / "Thursday, December 3 at 5:00 pm" for an ISO instant. */
static void when_words(struct bc_agent *a, const char *iso, char *out, size_t size)
{
    int64_t t;
    struct bc_tz_local l;
    char d[80], h[20];
    if (!iso || bc_time_parse_iso(iso, &t) < 0 || bc_tz_from_utc(a->zone, t, &l) < 0) {
        snprintf(out, size, "%s", iso ? iso : "?");
        return;
    }
    bc_chat_format_date(a->lang, l.year, l.month, l.mday, l.weekday, d, sizeof d);
    bc_chat_format_time(a->lang, l.hour, l.minute, h, sizeof h);
    snprintf(out, size, strcmp(a->lang, "en") == 0 ? "%s at %s" : "%s a las %s", d, h);
}

/* The contact of a tool call, normalised (e-mail lower-cased, phone as + and digits), into args. Returns
 * NULL, or a tool error for a missing or malformed contact. */
static json_t *take_contact(json_t *in, json_t *args)
{
    const char *email = S(in, "email"), *phone = S(in, "phone");
    if (email && !*email) email = NULL;
    if (phone && !*phone) phone = NULL;
    if (!email && !phone)
        return bc__agent_tool_error("invalid_request", "an e-mail or a phone of the customer is needed");
    if (email && !bc_nlp_email_ok(email))
        return bc__agent_tool_error("invalid_request", "email is not a valid e-mail address");
    if (phone && !bc_phone_valid(phone))
        return bc__agent_tool_error("invalid_request", "phone is not a valid phone number");
    if (email) {
        char e[121];
        size_t i = 0;
        for (; email[i] && i < 120; i++) e[i] = (char)tolower((unsigned char)email[i]);
        e[i] = '\0';
        json_object_set_new(args, "email", json_string(e));
    }
    if (phone) {
        char p[32];
        size_t n = 0;
        if (strchr(phone, '+')) p[n++] = '+';
        for (const char *c = phone; *c && n + 1 < sizeof p; c++)
            if (isdigit((unsigned char)*c)) p[n++] = *c;
        p[n] = '\0';
        json_object_set_new(args, "phone", json_string(p));
    }
    return NULL;
}

static bool hold_alive(json_t *hold)
{
    int64_t exp = 0;
    const char *e = S(hold, "expires_at");
    return e && bc_time_parse_iso(e, &exp) == 0 && exp > bc_now_s() + 5;
}

/* The booking card of the widget (as fsm mode shows it), with the customer's link for this answer only: the
 * stored transcript goes without it (conversation.h). */
static json_t *booking_card(struct bc_agent *a, json_t *b)
{
    json_t *card = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(b, "id"), "code",
                             json_object_get(b, "code"), "start", json_object_get(b, "start"), "end",
                             json_object_get(b, "end"), "service", json_object_get(b, "service_name"),
                             "provider", json_object_get(b, "provider_name"));
    bc_booking_card_secrets(a->ctx->tenant_id, card, a->public_url);
    return card;
}

static void set_action_text(struct bc_agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_action_text(struct bc_agent *a, const char *fmt, ...)
{
    char t[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    free(a->action_text);
    a->action_text = strdup(t);
}

json_t *bc__agent_create_booking(struct bc_agent *a, json_t *in)
{
    const char *svc = S(in, "service_id"), *pro = S(in, "provider_id"), *start = S(in, "start");
    const char *name = S(in, "customer_name"), *notes = S(in, "notes");
    char msg[256] = "";
    if (!bc_nlp_catalog_find(a->services, svc))
        return bc__agent_tool_error("not_found", "no service with id %.64s", svc);
    if (strcmp(pro, "any") != 0 && !bc_nlp_catalog_find(a->providers, pro))
        return bc__agent_tool_error("not_found", "no professional with id %.64s", pro);
    json_t *slot = bc__agent_offered_slot(a, svc, pro, start);
    if (!slot)
        return bc__agent_tool_error(
            "slot_not_offered",
            "only a start that find_availability returned in this conversation can be booked; "
            "call find_availability first");
    json_t *args = json_pack("{s:s, s:s, s:s, s:s}", "service_id", svc, "provider_id", S(slot, "provider_id"),
                             "start", S(slot, "start"), "customer_name", name);
    json_t *err = take_contact(in, args);
    if (err) {
        json_decref(args);
        return err;
    }
    if (notes && *notes) json_object_set_new(args, "notes", json_string(notes));
    /* the slot may already be held by this conversation's pending booking (same slot, other details) */
    json_t *p = json_object_get(a->state, "pending");
    json_t *hold = json_object_get(p, "hold"), *pargs = json_object_get(p, "args");
    bool same_slot =
        json_is_object(p) && S(p, "tool") && !strcmp(S(p, "tool"), "create_booking") &&
        json_equal(json_object_get(pargs, "service_id"), json_object_get(args, "service_id")) &&
        json_equal(json_object_get(pargs, "provider_id"), json_object_get(args, "provider_id")) &&
        json_equal(json_object_get(pargs, "start"), json_object_get(args, "start"));
    json_t *result = NULL, *new_hold = NULL;
    if (!same_slot || !hold_alive(hold)) {
        /* hold the slot while the customer confirms */
        int rc = bc_booking_hold(a->env, a->ctx, svc, S(slot, "provider_id"), S(slot, "start"), msg,
                                 sizeof msg, &new_hold);
        if (rc < 0) {
            json_decref(args);
            if (rc == BC_ESLOT) {
                bc__agent_clear_pending(a);
                return bc__agent_tool_error("slot_unavailable",
                                            "that time has just been taken; offer other times");
            }
            return bc__agent_tool_error(bc_err_code(rc), "%s", msg[0] ? msg : bc_strerror(rc));
        }
        hold = new_hold;
    }
    if (!bc__agent_confirmed(a, "create_booking", args)) {
        char when[120], summary[700];
        const char *email = S(args, "email"), *phone = S(args, "phone");
        char contact[200];
        when_words(a, S(args, "start"), when, sizeof when);
        snprintf(contact, sizeof contact, "%s%s%s", email ? email : "", email && phone ? ", " : "",
                 phone ? phone : "");
        textf(a, summary, sizeof summary, BC_T_CONFIRM, bc__agent_name_of(a->services, svc),
              bc__agent_name_of(a->providers, S(args, "provider_id")), when, name, contact);
        result = bc__agent_ask_confirmation(a, "create_booking", args, hold, summary);
        json_decref(new_hold);
        json_decref(args);
        return result;
    }
    struct bc_limits lim;
    if (bc_plan_limits(a->env, a->ctx->tenant, &lim) < 0) lim.bookings_month = BC_UNLIMITED;
    struct bc_booking_in bin = {
        .service_id = svc,
        .provider_id = S(args, "provider_id"),
        .start = S(args, "start"),
        .name = name,
        .email = S(args, "email"),
        .phone = S(args, "phone"),
        .notes = S(args, "notes"),
        .hold_id = S(hold, "id"),
        .source = "chat",
        .lang = json_string_value(json_object_get(a->conv, "lang")),
        .monthly_limit = lim.bookings_month,
        .channel = json_object_get(a->conv, "channel"),
    };
    json_t *b = NULL;
    int rc = bc_booking_create(a->env, a->ctx, &bin, msg, sizeof msg, &b);
    json_decref(new_hold);
    bc__agent_clear_pending(a);
    if (rc == BC_ESLOT) {
        result = bc__agent_tool_error("slot_unavailable", "that time has just been taken; offer other times");
    } else if (rc == BC_EPLAN) {
        result =
            bc__agent_tool_error("plan_limit_exceeded", "the business cannot take more bookings this month");
    } else if (rc < 0) {
        result = bc__agent_tool_error(bc_err_code(rc), "%s", msg[0] ? msg : bc_strerror(rc));
    } else {
        char when[120];
        when_words(a, bc_field_str(b, BC_F_START), when, sizeof when);
        result = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O}", "status", "booked", "code",
                           json_object_get(b, "code"), "start", json_object_get(b, "start"), "end",
                           json_object_get(b, "end"), "service", json_object_get(b, "service_name"),
                           "provider", json_object_get(b, "provider_name"));
        json_decref(a->booking);
        a->booking = booking_card(a, b);
        a->acted = true;
        char t[600];
        textf(a, t, sizeof t, BC_T_BOOKED, bc__agent_name_of(a->services, svc), when,
              bc_field_str(b, BC_F_CODE));
        set_action_text(a, "%s", t);
        json_object_set_new(a->conv, "status", json_string("booked"));
        json_object_set_new(
            a->conv, "booking",
            json_pack("{s:O, s:O}", "id", json_object_get(b, "id"), "code", json_object_get(b, "code")));
    }
    json_decref(b);
    json_decref(args);
    return result;
}

/* The customer's booking named by code and contact (a confirmed one), or a tool error (the same for a wrong
 * code and a wrong contact, as in the widget API). */
static json_t *customer_booking(struct bc_agent *a, json_t *in, json_t *args, json_t **item)
{
    *item = NULL;
    json_t *err = take_contact(in, args);
    if (err) return err;
    int rc = bc_booking_by_code(a->env, a->ctx, S(in, "code"), item);
    if (rc == 0 && (!bc_booking_customer_matches(*item, S(args, "email"), S(args, "phone")) ||
                    !S(*item, "status") || strcmp(S(*item, "status"), "confirmed") != 0)) {
        json_decref(*item);
        *item = NULL;
        rc = BC_ENOT_FOUND;
    }
    if (rc == BC_ENOT_FOUND)
        return bc__agent_tool_error("not_found", "no booking with this code and contact");
    if (rc < 0) return bc__agent_tool_error(bc_err_code(rc), "%s", bc_strerror(rc));
    json_object_set(args, "booking_id", json_object_get(*item, "id"));
    json_object_set(args, "code", json_object_get(*item, "code"));
    return NULL;
}

/* The tool error of a cancel or a move that the booking refused (a conflict: too late to change it). */
static json_t *change_error(int rc, const char *msg)
{
    return bc__agent_tool_error(rc == BC_ECONFLICT ? "too_late" : bc_err_code(rc), "%s",
                                msg[0] ? msg : bc_strerror(rc));
}

json_t *bc__agent_cancel_booking(struct bc_agent *a, json_t *in)
{
    json_t *args = json_object(), *item = NULL, *out = NULL, *result;
    char when[120], msg[256] = "", summary[400];
    json_t *err = customer_booking(a, in, args, &item);
    if (err) {
        json_decref(args);
        return err;
    }
    when_words(a, bc_field_str(item, BC_F_START), when, sizeof when);
    if (!bc__agent_confirmed(a, "cancel_booking", args)) {
        textf(a, summary, sizeof summary, BC_T_CANCEL_CONFIRM,
              bc__agent_name_of(a->services, bc_field_str(item, BC_F_SERVICE)), when);
        result = bc__agent_ask_confirmation(a, "cancel_booking", args, NULL, summary);
    } else {
        bc__agent_clear_pending(a);
        int rc = bc_booking_cancel(a->env, a->ctx, S(item, "id"), true, msg, sizeof msg, &out);
        if (rc == 0) {
            result = json_pack("{s:s, s:O}", "status", "cancelled", "code", json_object_get(item, "code"));
            a->acted = true;
            set_action_text(a, "%s", bc_chat_text(a->lang, BC_T_CANCELLED));
        } else {
            result = change_error(rc, msg);
        }
    }
    json_decref(out);
    json_decref(item);
    json_decref(args);
    return result;
}

json_t *bc__agent_reschedule_booking(struct bc_agent *a, json_t *in)
{
    json_t *args = json_object(), *item = NULL, *out = NULL, *result;
    char old_when[120], new_when[120], msg[256] = "", summary[400];
    json_t *err = customer_booking(a, in, args, &item);
    if (err) {
        json_decref(args);
        return err;
    }
    const char *pro = S(in, "provider_id");
    if (!pro) pro = bc_field_str(item, BC_F_PROVIDER);
    json_t *slot = bc__agent_offered_slot(a, bc_field_str(item, BC_F_SERVICE), pro, S(in, "new_start"));
    if (!slot) {
        json_decref(item);
        json_decref(args);
        return bc__agent_tool_error(
            "slot_not_offered",
            "only a start that find_availability returned in this conversation for the booking's "
            "service can be chosen; call find_availability first");
    }
    json_object_set_new(args, "new_start", json_string(S(slot, "start")));
    json_object_set_new(args, "provider_id", json_string(S(slot, "provider_id")));
    when_words(a, bc_field_str(item, BC_F_START), old_when, sizeof old_when);
    when_words(a, S(slot, "start"), new_when, sizeof new_when);
    if (!bc__agent_confirmed(a, "reschedule_booking", args)) {
        textf(a, summary, sizeof summary, BC_T_RESCHED_CONFIRM, old_when, new_when);
        result = bc__agent_ask_confirmation(a, "reschedule_booking", args, NULL, summary);
    } else {
        bc__agent_clear_pending(a);
        int rc = bc_booking_reschedule(a->env, a->ctx, S(item, "id"), S(args, "new_start"),
                                       S(args, "provider_id"), true, msg, sizeof msg, &out);
        if (rc == 0) {
            result = json_pack("{s:s, s:O, s:O}", "status", "rescheduled", "code",
                               json_object_get(out, "code"), "start", json_object_get(out, "start"));
            a->acted = true;
            char t[600];
            textf(a, t, sizeof t, BC_T_RESCHEDULED, new_when, S(out, "code"));
            set_action_text(a, "%s", t);
        } else if (rc == BC_ESLOT) {
            result =
                bc__agent_tool_error("slot_unavailable", "that time has just been taken; offer other times");
        } else {
            result = change_error(rc, msg);
        }
    }
    json_decref(out);
    json_decref(item);
    json_decref(args);
    return result;
}
