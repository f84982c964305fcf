/* What the booking chat does to the world: holds a slot, books, cancels or moves a booking, hands over to
 * a person, and advance(), which asks for the first thing still missing in the current flow. */
#include "domain/chat_internal.h"
#include "domain/fields.h"
#include "domain/availability.h"
#include "domain/booking.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- actions on the world ---- */

/* Takes a hold on the chosen slot. 0, or BC_ESLOT (the customer is told and shown other times). */
static int take_hold(struct chat *c)
{
    char msg[200] = "";
    json_t *hold = NULL;
    int rc = bc_booking_hold(c->env, c->ctx, slot(c, "service_id"), slot(c, "slot_provider"),
                             slot(c, "start"), msg, sizeof msg, &hold);
    if (rc == 0) {
        json_object_set_new(c->slots, "hold", hold);
        return 0;
    }
    json_decref(hold);
    bc__chat_clear_time(c);
    return rc;
}

static bool hold_alive(struct chat *c)
{
    json_t *h = json_object_get(c->slots, "hold");
    int64_t exp = 0;
    const char *e = json_string_value(json_object_get(h, "expires_at"));
    return e && bc_time_parse_iso(e, &exp) == 0 && exp > bc_now_s() + 5;
}

void bc__chat_start_over(struct chat *c, bool keep_contact)
{
    bc__chat_clear_time(c); /* lets go of a hold still taken */
    json_t *keep = json_object();
    if (keep_contact)
        for (const char *const *k = (const char *const[]){"name", "email", "phone", NULL}; *k; k++)
            if (json_object_get(c->slots, *k)) json_object_set(keep, *k, json_object_get(c->slots, *k));
    json_object_clear(c->slots);
    json_object_update(c->slots, keep);
    json_decref(keep);
    json_object_set_new(c->conv, "fails", json_integer(0));
}

void bc__chat_do_book(struct chat *c)
{
    char msg[256] = "", when[120];
    struct bc_limits lim;
    json_t *out = NULL;
    if (!hold_alive(c) && take_hold(c) < 0) {
        bc__chat_say(c, T(c, BC_T_JUST_TAKEN), NULL);
        bc__chat_advance(c);
        return;
    }
    if (bc_plan_limits(c->env, c->ctx->tenant, &lim) < 0) lim.bookings_month = BC_UNLIMITED;
    struct bc_booking_in in = {
        .service_id = slot(c, "service_id"),
        .provider_id = slot(c, "slot_provider"),
        .start = slot(c, "start"),
        .name = slot(c, "name"),
        .email = slot(c, "email"),
        .phone = slot(c, "phone"),
        .hold_id = json_string_value(json_object_get(json_object_get(c->slots, "hold"), "id")),
        .source = "chat",
        .lang = c->lang,
        .monthly_limit = lim.bookings_month,
        .channel = json_object_get(c->conv, "channel"),
    };
    int rc = bc_booking_create(c->env, c->ctx, &in, msg, sizeof msg, &out);
    if (rc == BC_ESLOT) {
        bc__chat_clear_time(c);
        bc__chat_say(c, T(c, BC_T_JUST_TAKEN), NULL);
        bc__chat_advance(c);
        return;
    }
    if (rc < 0) {
        json_t *list = json_array();
        bc__chat_qr(list, T(c, BC_T_L_HUMAN), "human");
        bc__chat_say(c, rc == BC_EPLAN ? T(c, BC_T_LIMIT_BOOKINGS) : T(c, BC_T_NOT_UNDERSTOOD), list);
        return;
    }
    int64_t t = 0;
    bc_time_parse_iso(json_string_value(json_object_get(out, "start")), &t);
    bc__chat_when_words(c, t, when, sizeof when);
    const char *code = json_string_value(json_object_get(out, "code"));
    json_t *m =
        bc__chat_sayf(c, NULL, BC_T_BOOKED, bc__chat_name_of(c->services, slot(c, "service_id")), when, code);
    json_t *card = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(out, "id"), "code",
                             json_object_get(out, "code"), "start", json_object_get(out, "start"), "end",
                             json_object_get(out, "end"), "service", json_object_get(out, "service_name"),
                             "provider", json_object_get(out, "provider_name"));
    /* the customer's link in this answer only: the stored transcript goes without it (conversation.h) */
    bc_booking_card_secrets(c->ctx->tenant_id, card, c->public_url);
    json_object_set_new(m, "booking", card);
    json_object_set_new(c->conv, "status", json_string("booked"));
    json_object_set_new(
        c->conv, "booking",
        json_pack("{s:O, s:O}", "id", json_object_get(out, "id"), "code", json_object_get(out, "code")));
    json_decref(out);
    json_object_del(c->slots, "hold"); /* the booking consumed it */
    bc__chat_start_over(c, true);
    bc__chat_prompt_booked(c);
}

/* Finds the booking named by the code and contact slots; 0 and its item, or a message to the customer. */
static int find_target(struct chat *c, json_t **item)
{
    *item = NULL;
    int rc = bc_booking_by_code(c->env, c->ctx, slot(c, "code"), item);
    if (rc == 0 && (!bc_booking_customer_matches(*item, slot(c, "email"), slot(c, "phone")) ||
                    strcmp(json_string_value(json_object_get(*item, "status")), "confirmed") != 0)) {
        json_decref(*item);
        *item = NULL;
        rc = BC_ENOT_FOUND;
    }
    return rc;
}

/* With a code and a contact, go on to the confirmation (cancel) or to choosing the new time (reschedule). */
static void target_found(struct chat *c)
{
    json_t *b = NULL;
    if (find_target(c, &b) < 0) {
        json_t *list = json_array();
        bc__chat_qr(list, T(c, BC_T_L_START_OVER), "restart");
        bc__chat_qr(list, T(c, BC_T_L_HUMAN), "human");
        /* forget both: either may be the wrong one */
        slot_set(c, "code", NULL);
        slot_set(c, "email", NULL);
        slot_set(c, "phone", NULL);
        bc__chat_say(c, T(c, BC_T_NO_SUCH_BOOKING), list);
        bc__chat_prompt_code(c);
        return;
    }
    struct bc_booking_fields f = bc_booking_fields_of(b);
    slot_set(c, "target_id", f.id);
    slot_set(c, "target_start", f.start);
    slot_set(c, "target_service", f.service_id);
    slot_set(c, "target_provider", f.provider_id);
    json_decref(b);
    /* a move: a new day and time said with the request are still in the slots, so advance() asks only for
     * what is missing (or goes straight to confirming the new time) */
    bc__chat_advance(c);
}

void bc__chat_do_target(struct chat *c)
{
    char msg[256] = "", when[120];
    json_t *out = NULL;
    int rc;
    if (flow_of(c) == FLOW_CANCEL) {
        rc = bc_booking_cancel(c->env, c->ctx, slot(c, "target_id"), true, msg, sizeof msg, &out);
        if (rc == 0) {
            json_t *list = json_array();
            bc__chat_qr(list, T(c, BC_T_L_NEW_BOOKING), "new_booking");
            bc__chat_say(c, T(c, BC_T_CANCELLED), list);
        }
    } else {
        rc = bc_booking_reschedule(c->env, c->ctx, slot(c, "target_id"), slot(c, "start"),
                                   slot(c, "slot_provider"), true, msg, sizeof msg, &out);
        if (rc == BC_ESLOT) {
            bc__chat_clear_time(c);
            bc__chat_say(c, T(c, BC_T_JUST_TAKEN), NULL);
            bc__chat_prompt_time(c);
            return;
        }
        if (rc == 0) {
            int64_t t = 0;
            bc_time_parse_iso(json_string_value(json_object_get(out, "start")), &t);
            bc__chat_when_words(c, t, when, sizeof when);
            bc__chat_sayf(c, NULL, BC_T_RESCHEDULED, when, json_string_value(json_object_get(out, "code")));
        }
    }
    json_decref(out);
    if (rc == BC_ECONFLICT)
        bc__chat_say(c, T(c, BC_T_TOO_LATE), NULL);
    else if (rc < 0)
        bc__chat_say(c, T(c, BC_T_NO_SUCH_BOOKING), NULL);
    bc__chat_start_over(c, true);
    bc__chat_prompt_booked(c);
}

void bc__chat_do_handoff(struct chat *c)
{
    char now[32];
    const char *email = slot(c, "email"), *phone = slot(c, "phone");
    bc_now_iso(now);
    json_object_set_new(c->conv, "handoff",
                        json_pack("{s:s, s:s?, s:s?, s:s?, s:b}", "at", now, "name", slot(c, "name"), "email",
                                  email, "phone", phone, "handled", 0));
    json_object_set_new(c->conv, "status", json_string("handoff"));
    bc__chat_say(c, T(c, BC_T_HANDOFF_DONE), NULL);
    bc__chat_start_over(c, true);
    bc__chat_prompt_booked(c);
}

/* Takes the earliest free time of the chosen day inside the window asked for (the latest for "a última
 * hora") and says which; when none is free there, says so. True when a time was taken. */
static bool take_from_window(struct chat *c, const struct chat_window *w)
{
    struct bc_schedule sc;
    struct bc_availability_slot *slots = NULL;
    const char *date = slot(c, "date");
    char words[80], span[80], hm[20];
    int n = bc__chat_free_slots(c, date, date, &slots, &sc), best = -1;
    struct chat_window day = *w;
    for (int pass = 0; pass < 2 && best < 0; pass++) {
        /* an edge without numbers ("a última hora") whose part of the day has nothing: the day's edge */
        if (pass == 1 && (w->from >= 0 || w->to >= 0 || w->pick == BC_NLU_PICK_ANY)) break;
        if (pass == 1) day.lo = 0, day.hi = 24 * 60;
        for (int i = 0; i < n; i++)
            if (bc__chat_in_window(c, &day, slots[i].start) &&
                (best < 0 || (w->pick == BC_NLU_PICK_LAST && slots[i].start > slots[best].start)))
                best = i;
    }
    bc__chat_date_words(c, date, words, sizeof words);
    bc__chat_window_words(c, w, span, sizeof span);
    if (best >= 0) {
        struct bc_tz_local l;
        char iso[BC_TZ_ISO_SIZE];
        bc_tz_from_utc(c->zone, slots[best].start, &l);
        bc_tz_format_iso_offset(slots[best].start, slots[best].start_offset, iso, sizeof iso);
        slot_set(c, "start", iso);
        slot_set(c, "slot_provider", slots[best].pro_id);
        bc_chat_format_time(c->lang, l.hour, l.minute, hm, sizeof hm);
        bc__chat_sayf(c, NULL, w->pick == BC_NLU_PICK_LAST ? BC_T_WINDOW_LAST : BC_T_WINDOW_FIRST, words,
                      span, hm);
    } else if (n > 0) { /* the day has other times: say why none is taken (prompt_time lists them) */
        bc__chat_sayf(c, NULL, BC_T_WINDOW_NONE, words, span);
        char win[16], f[6], t[6]; /* …and the time list offers the waitlist of the window */
        bc_tz_hhmm_format(w->from >= 0 ? w->from : w->lo, f);
        bc_tz_hhmm_format(w->to >= 0 ? w->to : w->hi, t);
        snprintf(win, sizeof win, "%s|%s", f, t);
        slot_set(c, "wl_window", win);
    }
    if (n >= 0) bc_schedule_release(&sc);
    return best >= 0;
}

/* The first thing still missing in the booking flow: ask for it. */
void bc__chat_advance(struct chat *c)
{
    enum flow f = flow_of(c);
    if (f == FLOW_WAITLIST) return bc__chat_waitlist_advance(c);
    if (f == FLOW_CANCEL || f == FLOW_RESCHED) {
        if (!slot(c, "code")) return bc__chat_prompt_code(c);
        if (!slot(c, "email") && !slot(c, "phone")) return bc__chat_prompt_code_contact(c);
        if (!slot(c, "target_id")) return target_found(c);
        if (f == FLOW_CANCEL) return bc__chat_prompt_target_confirm(c);
    } else {
        if (!slot(c, "service_id")) {
            if (json_array_size(c->services) == 1)
                slot_set(c, "service_id",
                         json_string_value(json_object_get(json_array_get(c->services, 0), "id")));
            else
                return bc__chat_prompt_service(c);
        }
        if (!slot(c, "provider_id")) {
            json_t *ps[2];
            size_t n = bc__chat_providers_for(c, slot(c, "service_id"), ps, 2);
            if (n == 0) {
                bc__chat_sayf(c, NULL, BC_T_NOBODY, bc__chat_name_of(c->services, slot(c, "service_id")));
                slot_set(c, "service_id", NULL);
                return bc__chat_prompt_service(c);
            }
            if (n > 1) return bc__chat_prompt_provider(c);
            slot_set(c, "provider_id", json_string_value(json_object_get(ps[0], "id")));
        }
    }
    if (!slot(c, "date")) return bc__chat_prompt_day(c);
    if (!slot(c, "start")) {
        /* a time the customer already said: take it if it is free that day */
        char want[6] = "", alt[6] = "", by[128] = "";
        if (slot(c, "want_time")) snprintf(want, sizeof want, "%s", slot(c, "want_time"));
        if (slot(c, "want_alt")) snprintf(alt, sizeof alt, "%s", slot(c, "want_alt"));
        if (slot(c, "want_by")) snprintf(by, sizeof by, "%s", slot(c, "want_by"));
        slot_set(c, "want_time", NULL);
        slot_set(c, "want_alt", NULL);
        slot_set(c, "want_by", NULL);
        if (want[0]) {
            struct bc_schedule sc;
            struct bc_availability_slot *slots = NULL;
            const char *date = slot(c, "date"), *part = slot(c, "part");
            int n = bc__chat_free_slots(c, date, date, &slots, &sc), before = 0, shown = 0;
            for (int i = 0; i < n; i++) {
                struct bc_tz_local l;
                char hm[6], iso[BC_TZ_ISO_SIZE];
                bc_tz_from_utc(c->zone, slots[i].start, &l);
                snprintf(hm, sizeof hm, "%02d:%02d", l.hour, l.minute);
                if (strcmp(hm, want) == 0 || (alt[0] && strcmp(hm, alt) == 0)) {
                    bc_tz_format_iso_offset(slots[i].start, slots[i].start_offset, iso, sizeof iso);
                    slot_set(c, "start", iso);
                    slot_set(c, "slot_provider", slots[i].pro_id);
                    break;
                }
                /* the times listed if it is not free: the distinct ones of the part of the day, counting
                 * those before the wish so the list can centre on it */
                if ((i > 0 && slots[i].start == slots[i - 1].start) ||
                    !bc__chat_in_part(c, slots[i].start, part))
                    continue;
                shown++;
                before += strcmp(hm, want) < 0;
            }
            if (n >= 0) bc_schedule_release(&sc);
            struct chat_window w;
            /* not free then, but a window was asked for: its earliest free time (the window's sentence says
             * which, and the summary who) */
            if (!slot(c, "start") && bc__chat_window(c, &w) && !take_from_window(c, &w))
                return bc__chat_prompt_time(c);
            if (!slot(c, "start")) {
                /* not free at that time: say so (naming the professional just asked for), then show the free
                 * times of that day nearest to the wish */
                char words[80], hm[20];
                int h = 0, m = 0, skip = before - MAX_TIME_OPTIONS / 2;
                if (skip > shown - MAX_TIME_OPTIONS) skip = shown - MAX_TIME_OPTIONS;
                if (skip > 0) json_object_set_new(c->slots, "times_offset", json_integer(skip));
                sscanf(want, "%d:%d", &h, &m);
                bc_chat_format_time(c->lang, h, m, hm, sizeof hm);
                bc__chat_date_words(c, date, words, sizeof words);
                if (by[0] && bc__chat_find(c->providers, by))
                    bc__chat_sayf(c, NULL, BC_T_PRO_TAKEN, bc__chat_name_of(c->providers, by), hm, words);
                else
                    bc__chat_sayf(c, NULL, BC_T_TIME_TAKEN, hm, words);
                return bc__chat_prompt_time(c);
            }
        } else {
            struct chat_window w;
            if (!bc__chat_window(c, &w) || !take_from_window(c, &w)) return bc__chat_prompt_time(c);
        }
    }
    if (f == FLOW_RESCHED) return bc__chat_prompt_target_confirm(c);
    if (!json_object_get(c->slots, "hold") && take_hold(c) < 0) {
        bc__chat_say(c, T(c, BC_T_JUST_TAKEN), NULL);
        return bc__chat_prompt_time(c);
    }
    if (!slot(c, "name")) return bc__chat_prompt_name(c);
    if (!slot(c, "email") && !slot(c, "phone")) return bc__chat_prompt_contact(c);
    bc__chat_prompt_confirm(c);
}
