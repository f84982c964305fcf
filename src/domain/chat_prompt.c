/* What the booking chat says: the assistant's messages and quick replies of a turn, and one prompt per
 * state of the table in chat.c, each setting the state and asking for what it expects with its options. */
#include "domain/chat_internal.h"
#include "domain/availability.h"
#include "domain/schedule.h"
#include "util/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- output ---- */

json_t *bc__chat_qr(json_t *list, const char *label, const char *fmt, ...)
{
    char payload[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(payload, sizeof payload, fmt, ap);
    va_end(ap);
    json_t *l = json_string(label);
    if (l) json_array_append_new(list, json_pack("{s:o, s:s}", "label", l, "payload", payload));
    return list;
}

json_t *bc__chat_say(struct chat *c, const char *text, json_t *quick_replies)
{
    json_t *m = json_pack("{s:s, s:s, s:o}", "role", "assistant", "text", text, "quick_replies",
                          quick_replies ? quick_replies : json_array());
    if (m) json_array_append_new(c->out, m);
    return m;
}

json_t *bc__chat_sayf(struct chat *c, json_t *quick_replies, enum bc_chat_text key, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, key);
    vsnprintf(text, sizeof text, bc_chat_text(c->lang, key), ap);
    va_end(ap);
    return bc__chat_say(c, text, quick_replies);
}

/* The always-available options. */
json_t *bc__chat_general_options(struct chat *c, json_t *list)
{
    bc__chat_qr(list, T(c, BC_T_L_CANCEL), "cancel_booking");
    bc__chat_qr(list, T(c, BC_T_L_RESCHEDULE), "reschedule");
    bc__chat_qr(list, T(c, BC_T_L_HOURS), "faq:hours");
    bc__chat_qr(list, T(c, BC_T_L_HUMAN), "human");
    return list;
}

/* ---- prompts ---- */

void bc__chat_prompt_service(struct chat *c)
{
    bc__chat_set_state(c, "service");
    if (json_array_size(c->services) == 0) {
        bc__chat_say(c, T(c, BC_T_NO_SERVICES), bc__chat_general_options(c, json_array()));
        return;
    }
    json_t *list = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(c->services, i, s) if (i < 10)
        bc__chat_qr(list, json_string_value(json_object_get(s, "name")), "svc:%s",
                    json_string_value(json_object_get(s, "id")));
    bc__chat_say(c, T(c, BC_T_ASK_SERVICE), bc__chat_general_options(c, list));
}

void bc__chat_prompt_provider(struct chat *c)
{
    json_t *ps[50];
    const char *svc = slot(c, "service_id");
    size_t n = bc__chat_providers_for(c, svc, ps, 50);
    bc__chat_set_state(c, "provider");
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < 10; i++)
        bc__chat_qr(list, json_string_value(json_object_get(ps[i], "name")), "pro:%s",
                    json_string_value(json_object_get(ps[i], "id")));
    bc__chat_qr(list, T(c, BC_T_L_ANY), "pro:any");
    bc__chat_qr(list, T(c, BC_T_L_BACK), "back");
    bc__chat_sayf(c, list, BC_T_ASK_PROVIDER, bc__chat_name_of(c->services, svc));
}

void bc__chat_prompt_day(struct chat *c)
{
    char dates[MAX_DAY_OPTIONS][11];
    bc__chat_set_state(c, "day");
    int n = bc__chat_days_with_slots(c, dates, MAX_DAY_OPTIONS);
    if (n <= 0) {
        json_t *list = json_array();
        bc__chat_qr(list, T(c, BC_T_L_HUMAN), "human");
        bc__chat_qr(list, T(c, BC_T_L_START_OVER), "restart");
        bc__chat_say(c, T(c, BC_T_NO_DAYS), list);
        return;
    }
    bc__chat_say(c, T(c, flow_of(c) == FLOW_RESCHED ? BC_T_RESCHED_ASK_DAY : BC_T_ASK_DAY),
                 bc__chat_day_options(c, dates, n));
}

/* A text of the tenant's language with arguments, into buf. */
static void textf(struct chat *c, char *buf, size_t size, enum bc_chat_text key, ...)
{
    va_list ap;
    va_start(ap, key);
    vsnprintf(buf, size, bc_chat_text(c->lang, key), ap);
    va_end(ap);
}

/* "10:00 · 3 plazas": a time of a group session with the places left in it (with the first professional
 * offered at that time, the one the time's button books). */
static void seats_label(struct chat *c, const struct bc_availability_slot *s, char *label, size_t size)
{
    char time[64];
    snprintf(time, sizeof time, "%.20s", label);
    if (s->seats_left == 1)
        textf(c, label, size, BC_T_SEATS_LABEL_ONE, time);
    else
        textf(c, label, size, BC_T_SEATS_LABEL, time, s->seats_left);
}

/* Lists the free times of the chosen day (optionally only a part of the day). */
void bc__chat_prompt_time(struct chat *c)
{
    const char *date = slot(c, "date"), *part = slot(c, "part");
    struct bc_schedule sc;
    struct bc_availability_slot *slots = NULL;
    char words[80];
    bc__chat_set_state(c, "time");
    int n = bc__chat_free_slots(c, date, date, &slots, &sc);
    if (n < 0) memset(&sc, 0, sizeof sc);
    bc__chat_date_words(c, date, words, sizeof words);
    int matching = 0;
    for (int i = 0; i < n; i++)
        matching +=
            (i == 0 || slots[i].start != slots[i - 1].start) && bc__chat_in_part(c, slots[i].start, part);
    if (matching == 0 && part) { /* nothing in that part of the day: show the whole day */
        slot_set(c, "part", NULL);
        slot_set(c, "part_pref", NULL);
        part = NULL;
        for (int i = 0; i < n; i++) matching += i == 0 || slots[i].start != slots[i - 1].start;
    }
    if (matching == 0) {
        char dates[MAX_DAY_OPTIONS][11], full[11];
        snprintf(full, sizeof full, "%s", date ? date : ""); /* the slot goes below */
        const char *holiday = NULL; /* closed for a public holiday: say so (docs/holidays.md) */
        int32_t day;
        if (bc_tz_date_parse(date, &day) < 0 || !bc_availability_holiday(&sc.q, day, &holiday))
            holiday = NULL;
        bc_schedule_release(&sc);
        slot_set(c, "date", NULL);
        bc__chat_set_state(c, "day");
        int nd = bc__chat_days_with_slots(c, dates, MAX_DAY_OPTIONS);
        json_t *options = bc__chat_day_options(c, dates, nd > 0 ? nd : 0);
        if (!holiday && flow_of(c) == FLOW_BOOK) { /* a full day: its waitlist first */
            json_t *all = json_array();
            bc__chat_waitlist_option(c, all, full, NULL);
            json_array_extend(all, options);
            json_decref(options);
            options = all;
        }
        if (holiday)
            bc__chat_sayf(c, options, BC_T_DAY_HOLIDAY, holiday);
        else
            bc__chat_sayf(c, options, BC_T_DAY_FULL, words);
        return;
    }
    json_t *offset = json_object_get(c->slots, "times_offset");
    int skip = json_is_integer(offset) ? (int)json_integer_value(offset) : 0, shown = 0, seen = 0;
    json_t *list = json_array();
    for (int i = 0; i < n && shown < MAX_TIME_OPTIONS; i++) {
        if ((i > 0 && slots[i].start == slots[i - 1].start) || !bc__chat_in_part(c, slots[i].start, part))
            continue;
        if (seen++ < skip) continue;
        struct bc_tz_local l;
        char label[64], payload[120];
        bc_tz_from_utc(c->zone, slots[i].start, &l);
        bc_chat_format_time(c->lang, l.hour, l.minute, label, sizeof label);
        if (sc.q.capacity > 1) seats_label(c, &slots[i], label, sizeof label); /* a group session */
        bc__chat_slot_payload(payload, sizeof payload, &slots[i]);
        bc__chat_qr(list, label, "time:%s", payload);
        shown++;
    }
    bool group = sc.q.capacity > 1;
    bc_schedule_release(&sc); /* the slots' professional ids point into it */
    if (group) bc__chat_say(c, T(c, BC_T_SEATS_NOTE), NULL);
    if (skip + shown < matching) bc__chat_qr(list, T(c, BC_T_L_MORE_TIMES), "more_times:%d", skip + shown);
    bc__chat_qr(list, T(c, BC_T_L_OTHER_DAY), "other_day");
    if (slot(c, "wl_window") && flow_of(c) == FLOW_BOOK) /* nothing free in the window asked for */
        bc__chat_waitlist_option(c, list, date, slot(c, "wl_window"));
    slot_set(c, "wl_window", NULL);
    if (part)
        bc__chat_sayf(c, list, BC_T_ASK_TIME_PART, words,
                      T(c, strcmp(part, "morning") == 0     ? BC_T_MORNING
                           : strcmp(part, "afternoon") == 0 ? BC_T_AFTERNOON
                                                            : BC_T_EVENING));
    else
        bc__chat_sayf(c, list, BC_T_ASK_TIME, words);
}

static int64_t chosen_start(struct chat *c)
{
    int64_t t = 0;
    const char *s = slot(c, "start");
    if (s) bc_time_parse_iso(s, &t);
    return t;
}

/* "Corte con Ana, martes 1 de diciembre a las 10:00" */
static void booking_words(struct chat *c, char *out, size_t size)
{
    char when[120];
    const char *pro = slot(c, "slot_provider");
    bc__chat_when_words(c, chosen_start(c), when, sizeof when);
    snprintf(out, size, "%s %s %s, %s", bc__chat_name_of(c->services, slot(c, "service_id")), T(c, BC_T_WITH),
             bc__chat_name_of(c->providers, pro), when);
}

void bc__chat_prompt_name(struct chat *c)
{
    char words[300];
    bc__chat_set_state(c, "name");
    if (flow_of(c) == FLOW_WAITLIST) {
        bc__chat_date_words(c, slot(c, "date"), words, sizeof words);
        bc__chat_sayf(c, NULL, BC_T_WAITLIST_ASK_NAME, words);
        return;
    }
    booking_words(c, words, sizeof words);
    bc__chat_sayf(c, NULL, BC_T_ASK_NAME, words);
}

void bc__chat_prompt_contact(struct chat *c)
{
    bc__chat_set_state(c, "contact");
    bc__chat_sayf(c, NULL, BC_T_ASK_CONTACT, slot(c, "name"));
}

void bc__chat_prompt_confirm(struct chat *c)
{
    char when[120], contact[300];
    bc__chat_set_state(c, "confirm");
    bc__chat_when_words(c, chosen_start(c), when, sizeof when);
    const char *email = slot(c, "email"), *phone = slot(c, "phone");
    snprintf(contact, sizeof contact, "%s%s%s", email ? email : "", email && phone ? ", " : "",
             phone ? phone : "");
    json_t *list = json_array();
    bc__chat_qr(list, T(c, BC_T_L_YES_CONFIRM), "yes");
    bc__chat_qr(list, T(c, BC_T_L_CHANGE), "change");
    bc__chat_qr(list, T(c, BC_T_L_START_OVER), "restart");
    bc__chat_sayf(c, list, BC_T_CONFIRM, bc__chat_name_of(c->services, slot(c, "service_id")),
                  bc__chat_name_of(c->providers, slot(c, "slot_provider")), when, slot(c, "name"), contact);
}

void bc__chat_prompt_booked(struct chat *c)
{
    bc__chat_set_state(c, "booked");
    json_t *list = json_array();
    bc__chat_qr(list, T(c, BC_T_L_NEW_BOOKING), "new_booking");
    bc__chat_say(c, T(c, BC_T_ANYTHING_ELSE), bc__chat_general_options(c, list));
}

void bc__chat_prompt_code(struct chat *c)
{
    bc__chat_set_state(c, "code");
    json_t *list = json_array();
    bc__chat_qr(list, T(c, BC_T_L_START_OVER), "restart");
    bc__chat_qr(list, T(c, BC_T_L_HUMAN), "human");
    bc__chat_say(c, T(c, flow_of(c) == FLOW_CANCEL ? BC_T_CANCEL_ASK_CODE : BC_T_RESCHED_ASK_CODE), list);
}

void bc__chat_prompt_code_contact(struct chat *c)
{
    bc__chat_set_state(c, "code_contact");
    bc__chat_say(c, T(c, BC_T_ASK_CODE_CONTACT), NULL);
}

void bc__chat_prompt_target_confirm(struct chat *c)
{
    char when[120], when_new[120];
    int64_t t = 0;
    bc_time_parse_iso(slot(c, "target_start"), &t);
    bc__chat_when_words(c, t, when, sizeof when);
    bc__chat_set_state(c, "target_confirm");
    json_t *list = json_array();
    bc__chat_qr(list, T(c, BC_T_L_YES), "yes");
    bc__chat_qr(list, T(c, BC_T_L_NO), "no");
    if (flow_of(c) == FLOW_CANCEL) {
        bc__chat_sayf(c, list, BC_T_CANCEL_CONFIRM, bc__chat_name_of(c->services, slot(c, "target_service")),
                      when);
    } else {
        bc__chat_when_words(c, chosen_start(c), when_new, sizeof when_new);
        bc__chat_sayf(c, list, BC_T_RESCHED_CONFIRM, when, when_new);
    }
}

void bc__chat_prompt_handoff(struct chat *c)
{
    bc__chat_set_state(c, "handoff");
    bc__chat_say(c, T(c, BC_T_HANDOFF_ASK), NULL);
}
