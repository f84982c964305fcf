/* How the booking chat understands the customer: quick-reply payloads, and free text read by the offline
 * NLU (or an LLM in nlp mode), whose slots are taken at any point of the dialog and whose intents switch
 * flows, go back, confirm, answer questions, or count a miss. What is kept between messages and what a
 * message changes (the dialogue memory rules) is described in docs/chat.md, "Dialogue memory". */
#include "domain/chat_internal.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- understanding the customer ---- */

/* Applies the slots of an NLU result. Returns how many were taken; asks about ambiguous names itself
 * (then *asked is set). */
static int absorb(struct chat *c, const struct bc_nlu_result *r, bool *asked)
{
    int n = 0;
    *asked = false;
    if (flow_of(c) == FLOW_BOOK) {
        if (r->service_id) {
            if (!slot(c, "service_id") || strcmp(slot(c, "service_id"), r->service_id) != 0) {
                slot_set(c, "service_id", r->service_id);
                bc__chat_keep_time_as_wish(c);
                bc__chat_clear_time(c);
                const char *p = slot(c, "provider_id");
                if (p && strcmp(p, "any") != 0 &&
                    !bc__chat_offers(bc__chat_find(c->providers, p), r->service_id))
                    slot_set(c, "provider_id", NULL);
            }
            n++;
        } else if (r->n_service_candidates >= 2) {
            json_t *list = json_array();
            for (int i = 0; i < r->n_service_candidates; i++)
                bc__chat_qr(list, bc__chat_name_of(c->services, r->service_candidates[i]), "svc:%s",
                            r->service_candidates[i]);
            bc__chat_set_state(c, "service");
            bc__chat_say(c, T(c, BC_T_WHICH_SERVICE), list);
            *asked = true;
            return n + 1;
        }
        if (r->provider_id || r->provider_any) {
            const char *p = r->provider_any ? "any" : r->provider_id;
            const char *svc = slot(c, "service_id");
            if (!r->provider_any && svc && !bc__chat_offers(bc__chat_find(c->providers, p), svc)) {
                /* this professional does not do that service: keep asking for a professional */
            } else if (!slot(c, "provider_id") || strcmp(slot(c, "provider_id"), p) != 0 ||
                       (slot(c, "slot_provider") && strcmp(slot(c, "slot_provider"), p) != 0 &&
                        strcmp(p, "any") != 0)) {
                slot_set(c, "provider_id", p);
                bc__chat_keep_time_as_wish(c);
                bc__chat_clear_time(c);
                /* if the new professional is busy then, advance() says so by name */
                if (strcmp(p, "any") != 0 && slot(c, "want_time")) slot_set(c, "want_by", p);
            }
            n++;
        }
    }
    /* a window ("entre las 4 y las 6", "after 5", "a primera hora", "in 45 minutes") replaces the time asked
     * for, and stays for the day said next; bounds said in numbers replace the part of the day too */
    bool windowed = r->has_window || r->from_now;
    if (windowed) {
        bc__chat_set_window(c, r);
        slot_set(c, "want_time", NULL);
        slot_set(c, "want_alt", NULL);
        if (r->part_of_day == BC_NLU_PART_NONE && (r->window_from >= 0 || r->window_to >= 0 || r->from_now)) {
            slot_set(c, "part", NULL);
            slot_set(c, "part_pref", NULL);
        }
        bc__chat_clear_time(c);
        n++;
    }
    if (r->has_date || r->asap) {
        char date[11];
        if (r->asap) {
            char dates[1][11];
            if (bc__chat_days_with_slots(c, dates, 1) == 1)
                memcpy(date, dates[0], 11);
            else
                date[0] = '\0';
        } else {
            memcpy(date, r->date, 11);
        }
        if (date[0]) {
            /* a new day alone keeps the chosen time as a wish ("¿y el lunes?" at the summary) */
            if (!r->has_time && !windowed && r->part_of_day == BC_NLU_PART_NONE &&
                !json_object_get(c->slots, "window"))
                bc__chat_keep_time_as_wish(c);
            slot_set(c, "date", date);
            bc__chat_clear_time(c);
            /* a new day, a new question, unless the part of the day was said as a preference of its own
             * ("mejor por la tarde" before any day) */
            if (r->part_of_day == BC_NLU_PART_NONE && !slot(c, "part_pref")) slot_set(c, "part", NULL);
            n++;
        }
    }
    if (r->has_time && !windowed) {
        json_object_del(c->slots, "window");
        slot_set(c, "want_time", r->time);
        slot_set(c, "want_alt", r->time_ambiguous && r->time_alt[0] ? r->time_alt : NULL);
        bc__chat_clear_time(c);
        n++;
    }
    if (r->part_of_day != BC_NLU_PART_NONE) {
        slot_set(c, "part", bc_nlu_part_name(r->part_of_day));
        slot_set(c, "part_pref", r->has_date || r->asap ? NULL : "1");
        if (!windowed) json_object_del(c->slots, "window"); /* "mejor por la tarde" replaces "after 5" */
        n++;
    }
    if (r->name[0]) {
        slot_set(c, "name", r->name);
        n++;
    }
    if (r->email[0]) {
        slot_set(c, "email", r->email);
        n++;
    }
    if (r->phone[0]) {
        slot_set(c, "phone", r->phone);
        n++;
    }
    if (r->code[0]) {
        slot_set(c, "code", r->code);
        n++;
    }
    return n;
}

void bc__chat_enter_flow(struct chat *c, const char *flow)
{
    bc__chat_start_over(c, true);
    slot_set(c, "flow", flow);
}

/* Back one step: forget the last answer and ask for it again. */
static void go_back(struct chat *c)
{
    const char *st = bc__chat_state(c)->name;
    if (!strcmp(st, "provider"))
        slot_set(c, "service_id", NULL);
    else if (!strcmp(st, "day")) {
        if (flow_of(c) == FLOW_BOOK) slot_set(c, "provider_id", NULL);
    } else if (!strcmp(st, "time"))
        slot_set(c, "date", NULL);
    else if (!strcmp(st, "name"))
        bc__chat_clear_time(c);
    else if (!strcmp(st, "contact"))
        slot_set(c, "name", NULL);
    else if (!strcmp(st, "confirm")) {
        slot_set(c, "email", NULL);
        slot_set(c, "phone", NULL);
    }
    bc__chat_advance(c);
}

/* Applies a quick-reply payload. Returns false for an unknown payload. */
bool bc__chat_apply_action(struct chat *c, const char *a)
{
    const char *st = bc__chat_state(c)->name;
    if (!strncmp(a, "svc:", 4) && bc__chat_find(c->services, a + 4)) {
        if (flow_of(c) != FLOW_BOOK) bc__chat_enter_flow(c, "book");
        slot_set(c, "service_id", a + 4);
        slot_set(c, "provider_id", NULL);
        bc__chat_clear_time(c);
    } else if (!strcmp(a, "pro:any") || (!strncmp(a, "pro:", 4) && bc__chat_find(c->providers, a + 4))) {
        slot_set(c, "provider_id", a + 4);
        bc__chat_clear_time(c);
    } else if (!strncmp(a, "day:", 4)) {
        int32_t d;
        if (bc_tz_date_parse(a + 4, &d) < 0) return false;
        slot_set(c, "date", a + 4);
        bc__chat_clear_time(c);
    } else if (!strncmp(a, "time:", 5)) {
        const char *bar = strchr(a + 5, '|');
        int64_t t;
        char iso[64];
        if (!bar || (size_t)(bar - a - 5) >= sizeof iso) return false;
        snprintf(iso, sizeof iso, "%.*s", (int)(bar - a - 5), a + 5);
        if (bc_time_parse_iso(iso, &t) < 0 || !bc__chat_find(c->providers, bar + 1)) return false;
        bc__chat_clear_time(c);
        json_object_del(c->slots, "window"); /* a time picked from the list is the wish from now on */
        slot_set(c, "start", iso);
        slot_set(c, "slot_provider", bar + 1);
    } else if (!strncmp(a, "more_times:", 11)) {
        json_object_set_new(c->slots, "times_offset", json_integer(strtol(a + 11, NULL, 10)));
        bc__chat_prompt_time(c);
        return true;
    } else if (!strcmp(a, "other_day")) {
        slot_set(c, "date", NULL);
        bc__chat_clear_time(c);
        bc__chat_set_state(c, "day");
        bc__chat_say(c, T(c, BC_T_ASK_DAY_FREE), NULL);
        return true;
    } else if (!strcmp(a, "yes")) {
        if (!strcmp(st, "confirm"))
            bc__chat_do_book(c);
        else if (!strcmp(st, "target_confirm"))
            bc__chat_do_target(c);
        else
            bc__chat_advance(c);
        return true;
    } else if (!strcmp(a, "no") || !strcmp(a, "change")) {
        if (!strcmp(st, "target_confirm")) {
            bc__chat_say(c, T(c, BC_T_KEPT), NULL);
            bc__chat_start_over(c, true);
            bc__chat_prompt_booked(c);
            return true;
        }
        json_t *list = json_array();
        bc__chat_qr(list, T(c, BC_T_L_SERVICE), "change:service");
        bc__chat_qr(list, T(c, BC_T_L_PROVIDER), "change:provider");
        bc__chat_qr(list, T(c, BC_T_L_DAY), "change:day");
        bc__chat_qr(list, T(c, BC_T_L_TIME), "change:time");
        bc__chat_qr(list, T(c, BC_T_L_DETAILS), "change:details");
        bc__chat_say(c, T(c, BC_T_WHAT_CHANGE), list);
        return true;
    } else if (!strncmp(a, "change:", 7)) {
        const char *w = a + 7;
        if (!strcmp(w, "service")) {
            slot_set(c, "service_id", NULL);
            slot_set(c, "provider_id", NULL);
        } else if (!strcmp(w, "provider"))
            slot_set(c, "provider_id", NULL);
        else if (!strcmp(w, "day"))
            slot_set(c, "date", NULL);
        else if (!strcmp(w, "details")) {
            slot_set(c, "name", NULL);
            slot_set(c, "email", NULL);
            slot_set(c, "phone", NULL);
        } else if (strcmp(w, "time") == 0)
            json_object_del(c->slots, "window");
        else
            return false;
        if (strcmp(w, "details") != 0) bc__chat_clear_time(c);
    } else if (!strcmp(a, "restart") || !strcmp(a, "new_booking")) {
        bc__chat_enter_flow(c, "book");
        json_object_set_new(c->conv, "status",
                            json_string(json_object_get(c->conv, "booking") ? "booked" : "open"));
    } else if (!strcmp(a, "back")) {
        go_back(c);
        return true;
    } else if (!strcmp(a, "human")) {
        if (slot(c, "email") || slot(c, "phone"))
            bc__chat_do_handoff(c);
        else
            bc__chat_prompt_handoff(c);
        return true;
    } else if (!strcmp(a, "cancel_booking") || !strcmp(a, "reschedule")) {
        bc__chat_enter_flow(c, a[0] == 'c' ? "cancel" : "resched");
    } else if (!strncmp(a, "waitlist:", 9)) {
        if (!bc__chat_waitlist_enter(c, a + 9)) return false;
    } else if (!strncmp(a, "faq:", 4)) {
        bc__chat_answer_faq(c, a + 4);
        bc__chat_state(c)->prompt(c); /* the question again: the booking goes on where it was */
        return true;
    } else {
        return false;
    }
    bc__chat_advance(c);
    return true;
}

/* ---- free text ---- */

/* What the customer meant, as the offline NLU reads it in the current state. */
void bc__chat_parse(struct chat *c, const char *text, struct bc_nlu_result *r)
{
    const struct state *st = bc__chat_state(c);
    /* booking codes are 6 letters and digits; when a code is asked for, any such word counts */
    static const struct bc_nlu_code_format code_fmt = {6, 6, true}, code_expected = {6, 6, false};
    struct bc_nlu_request req = {
        .text = text,
        .len = strlen(text),
        .lang = c->lang,
        .now = {c->now.year, c->now.month, c->now.mday, c->now.weekday, c->now.hour, c->now.minute},
        .catalog = c->cat,
        .expect = st->expect,
        .code_fmt = st->expect == BC_NLU_EXPECT_CODE ? &code_expected : &code_fmt,
    };
    if (bc_nlu_parse(&req, r) < 0) memset(r, 0, sizeof *r);
}

/* Acts on what the customer meant (from the offline NLU, or from an LLM in nlp mode). */
void bc__chat_understand(struct chat *c, const char *text, const struct bc_nlu_result *rp)
{
    const struct state *st = bc__chat_state(c);
    struct bc_nlu_result r = *rp;
    unsigned bits = r.intents;
#define HAS(i) (bits & BC_NLU_BIT(BC_NLU_##i))
    bool asked = false;
    /* the flows first: a person, starting over, going back, cancelling or moving a booking */
    if (HAS(HUMAN)) {
        absorb(c, &r, &asked);
        if (slot(c, "email") || slot(c, "phone"))
            bc__chat_do_handoff(c);
        else
            bc__chat_prompt_handoff(c);
        return;
    }
    if (!strcmp(st->name, "handoff")) {
        absorb(c, &r, &asked);
        if (slot(c, "email") || slot(c, "phone"))
            bc__chat_do_handoff(c);
        else
            bc__chat_say(c, T(c, BC_T_BAD_CONTACT), NULL);
        return;
    }
    if (HAS(RESTART)) {
        bc__chat_enter_flow(c, "book");
        bc__chat_advance(c);
        return;
    }
    if (HAS(BACK) && r.intent == BC_NLU_BACK) {
        go_back(c);
        return;
    }
    /* a booking code with a new day or time moves that booking ("pasar mi reserva XYZ987 al lunes a las 9")
     */
    if (r.code[0] && (r.has_date || r.has_time) && flow_of(c) == FLOW_BOOK && r.intent != BC_NLU_CANCEL)
        r.intent = BC_NLU_RESCHEDULE;
    if ((r.intent == BC_NLU_CANCEL || r.intent == BC_NLU_RESCHEDULE) &&
        strcmp(st->name, "target_confirm") != 0 && strcmp(st->name, "confirm") != 0) {
        bc__chat_enter_flow(c, r.intent == BC_NLU_CANCEL ? "cancel" : "resched");
        absorb(c, &r, &asked);
        bc__chat_advance(c);
        return;
    }
    /* confirmations */
    if (!strcmp(st->name, "confirm") || !strcmp(st->name, "target_confirm")) {
        if (r.intent == BC_NLU_YES) {
            bc__chat_apply_action(c, "yes");
            return;
        }
        if (r.intent == BC_NLU_NO || r.intent == BC_NLU_CANCEL ||
            (r.intent == BC_NLU_CHANGE && !absorb(c, &r, &asked))) {
            bc__chat_apply_action(c, "no");
            return;
        }
    }
    /* questions about the business: a question is answered and the dialog goes on where it was; a day or a
     * service named in it ("¿qué horario tenéis el sábado?") is part of the question, not a change, unless
     * the message also asks for a booking or a change ("quiero un tinte con Ana, ¿cuánto cuesta?") */
    bool question = (r.intent == BC_NLU_HOURS || r.intent == BC_NLU_PRICES || r.intent == BC_NLU_LOCATION) &&
                    !HAS(BOOK) && !HAS(CHANGE);
    int taken = question ? 0 : absorb(c, &r, &asked);
    if (asked) return;
    if (HAS(HOURS) || HAS(PRICES) || HAS(LOCATION)) {
        if (HAS(HOURS)) bc__chat_answer_faq(c, "hours");
        if (HAS(PRICES)) bc__chat_answer_faq(c, "prices");
        if (HAS(LOCATION)) bc__chat_answer_faq(c, "location");
        /* a question alone gets the state's question again (also after a booking); with new slots, the
         * next thing missing */
        if (taken)
            bc__chat_advance(c);
        else
            st->prompt(c);
        return;
    }
    /* a bare answer to the question asked */
    if (!taken && !strcmp(st->name, "name") && r.intent != BC_NLU_NO && r.intent != BC_NLU_YES) {
        char name[121];
        snprintf(name, sizeof name, "%s", text);
        for (char *p = name; *p; p++)
            if ((unsigned char)*p < 0x20) *p = ' ';
        if (strlen(name) >= 2) {
            slot_set(c, "name", name);
            taken = 1;
        }
    }
    if (!taken && r.has_number && !strcmp(st->name, "service") && r.number >= 1 &&
        (size_t)r.number <= json_array_size(c->services)) {
        slot_set(c, "service_id",
                 json_string_value(json_object_get(json_array_get(c->services, (size_t)r.number - 1), "id")));
        taken = 1;
    }
    if (taken) {
        json_object_set_new(c->conv, "fails", json_integer(0));
        if (r.intent == BC_NLU_BOOK && flow_of(c) != FLOW_BOOK) bc__chat_enter_flow(c, "book");
        bc__chat_advance(c);
        return;
    }
    if (r.intent == BC_NLU_BOOK) {
        if (flow_of(c) != FLOW_BOOK || !strcmp(st->name, "booked")) bc__chat_enter_flow(c, "book");
        bc__chat_advance(c);
        return;
    }
    if (r.intent == BC_NLU_GREETING || r.intent == BC_NLU_THANKS || r.intent == BC_NLU_GOODBYE) {
        bc__chat_say(c,
                     T(c, r.intent == BC_NLU_GREETING ? BC_T_HELLO
                          : r.intent == BC_NLU_THANKS ? BC_T_THANKS
                                                      : BC_T_GOODBYE),
                     NULL);
        if (strcmp(st->name, "booked") != 0) bc__chat_advance(c);
        return;
    }
    if (!strcmp(st->name, "contact") || !strcmp(st->name, "code_contact")) {
        bc__chat_say(c, T(c, BC_T_BAD_CONTACT), NULL);
        return;
    }
    /* not understood: the question again, and after a few misses a person */
    json_int_t fails = json_integer_value(json_object_get(c->conv, "fails")) + 1;
    json_object_set_new(c->conv, "fails", json_integer(fails));
    bc__chat_say(c, T(c, BC_T_NOT_UNDERSTOOD), NULL);
    bc__chat_advance(c);
    if (fails >= FAILS_BEFORE_HUMAN) {
        json_t *list = json_array();
        bc__chat_qr(list, T(c, BC_T_L_HUMAN), "human");
        bc__chat_qr(list, T(c, BC_T_L_START_OVER), "restart");
        bc__chat_say(c, T(c, BC_T_OFFER_HUMAN), list);
    }
#undef HAS
}
