/* The booking chat (fsm mode).
 *
 * DESIGN NOTES
 * - The dialog is slot filling over one state table (states[] below): each state says what it expects
 *   from the customer (the NLU's hint) and how to prompt for it. A turn applies the customer's input (a
 *   quick-reply payload, or free text through the NLU: any slot said at any time is taken, so "mejor con
 *   Ana" or "actually 5pm" changes just that), then advance() asks for the first thing still missing:
 *   service -> professional -> day -> time -> name -> contact -> confirm.
 * - Choosing a time takes a hold (domain/booking.h) so nobody else can take the slot while the customer
 *   types their name; the booking consumes the hold. A hold that expired is retaken at confirmation, or
 *   the customer is offered other times.
 * - Everything the dialog needs between turns lives in the conversation item ("state", "slots"), so any
 *   process can serve the next turn.
 * - Unknown input gets the current question again with its options; the third miss in a row also offers a
 *   person (hand-off). Nothing is a dead end. */
#include "domain/chat.h"
#include "domain/env.h"
#include "domain/availability.h"
#include "domain/booking.h"
#include "domain/chat_text.h"
#include "domain/conversation.h"
#include "domain/entity.h"
#include "nlu/nlu.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/tz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DAY_OPTIONS    5
#define MAX_TIME_OPTIONS   8
#define HORIZON_DAYS       21
#define FAILS_BEFORE_HUMAN 3

struct chat {
    struct bc_env *env;
    const struct bc_ctx *ctx;
    json_t *conv;      /* borrowed */
    json_t *slots;     /* borrowed from conv */
    json_t *settings;  /* owned */
    json_t *services;  /* owned: active services */
    json_t *providers; /* owned: active professionals */
    struct bc_nlu_catalog *cat;
    const char *lang;
    const char *public_url;
    const char *zone;
    json_t *out;     /* the assistant's messages of this turn */
    json_t *pending; /* owned: the user's message item, written by chat_commit with the rest */
    struct bc_tz_local now;
    struct bc_arena arena;
};

enum flow { FLOW_BOOK, FLOW_CANCEL, FLOW_RESCHED };

struct state {
    const char *name;
    enum bc_nlu_expect expect;
    void (*prompt)(struct chat *c);
};

static void prompt_service(struct chat *c);
static void prompt_provider(struct chat *c);
static void prompt_day(struct chat *c);
static void prompt_time(struct chat *c);
static void prompt_name(struct chat *c);
static void prompt_contact(struct chat *c);
static void prompt_confirm(struct chat *c);
static void prompt_booked(struct chat *c);
static void prompt_code(struct chat *c);
static void prompt_code_contact(struct chat *c);
static void prompt_target_confirm(struct chat *c);
static void prompt_handoff(struct chat *c);

/* THE state table. */
static const struct state states[] = {
    {"service", BC_NLU_EXPECT_SERVICE, prompt_service},
    {"provider", BC_NLU_EXPECT_PROVIDER, prompt_provider},
    {"day", BC_NLU_EXPECT_DATE, prompt_day},
    {"time", BC_NLU_EXPECT_TIME, prompt_time},
    {"name", BC_NLU_EXPECT_NAME, prompt_name},
    {"contact", BC_NLU_EXPECT_CONTACT, prompt_contact},
    {"confirm", BC_NLU_EXPECT_CONFIRM, prompt_confirm},
    {"booked", BC_NLU_EXPECT_NONE, prompt_booked},
    {"code", BC_NLU_EXPECT_CODE, prompt_code},                    /* cancel/reschedule: the booking code */
    {"code_contact", BC_NLU_EXPECT_CONTACT, prompt_code_contact}, /* … and the contact it was booked with */
    {"target_confirm", BC_NLU_EXPECT_CONFIRM, prompt_target_confirm}, /* "shall I cancel/move it?" */
    {"handoff", BC_NLU_EXPECT_CONTACT, prompt_handoff},
};

static const struct state *state_of(struct chat *c)
{
    const char *n = json_string_value(json_object_get(c->conv, "state"));
    for (size_t i = 0; n && i < sizeof states / sizeof states[0]; i++)
        if (strcmp(states[i].name, n) == 0) return &states[i];
    return &states[0];
}

static void set_state(struct chat *c, const char *name)
{
    json_object_set_new(c->conv, "state", json_string(name));
}

/* ---- slots ---- */

static const char *slot(struct chat *c, const char *k)
{
    return json_string_value(json_object_get(c->slots, k));
}

static void slot_set(struct chat *c, const char *k, const char *v)
{
    if (v)
        json_object_set_new(c->slots, k, json_string(v));
    else
        json_object_del(c->slots, k);
}

static enum flow flow_of(struct chat *c)
{
    const char *f = slot(c, "flow");
    if (f && strcmp(f, "cancel") == 0) return FLOW_CANCEL;
    if (f && strcmp(f, "resched") == 0) return FLOW_RESCHED;
    return FLOW_BOOK;
}

/* Clears the chosen time (and forgets the hold: it expires by itself). */
static void clear_time(struct chat *c);

/* A change of service or professional keeps the day and time the customer chose, as a wish that advance()
 * tries again ("actually with Luis" keeps Tuesday at 10:30 if Luis is free then). */
static void keep_time_as_wish(struct chat *c)
{
    int64_t t = 0;
    struct bc_tz_local l;
    const char *start = json_string_value(json_object_get(c->slots, "start"));
    if (!start || bc_time_parse_iso(start, &t) < 0 || bc_tz_from_utc(c->zone, t, &l) < 0) return;
    char hm[6];
    snprintf(hm, sizeof hm, "%02d:%02d", l.hour, l.minute);
    json_object_set_new(c->slots, "want_time", json_string(hm));
}

static void clear_time(struct chat *c)
{
    slot_set(c, "start", NULL);
    slot_set(c, "slot_provider", NULL);
    json_object_del(c->slots, "hold");
    slot_set(c, "times_offset", NULL);
}

/* ---- output ---- */

static json_t *qr(json_t *list, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static json_t *qr(json_t *list, const char *label, const char *fmt, ...)
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

static json_t *say(struct chat *c, const char *text, json_t *quick_replies)
{
    json_t *m = json_pack("{s:s, s:s, s:o}", "role", "assistant", "text", text, "quick_replies",
                          quick_replies ? quick_replies : json_array());
    if (m) json_array_append_new(c->out, m);
    return m;
}

static json_t *sayf(struct chat *c, json_t *quick_replies, enum bc_chat_text key, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, key);
    vsnprintf(text, sizeof text, bc_chat_text(c->lang, key), ap);
    va_end(ap);
    return say(c, text, quick_replies);
}

static const char *T(struct chat *c, enum bc_chat_text key)
{
    return bc_chat_text(c->lang, key);
}

/* The always-available options. */
static json_t *general_options(struct chat *c, json_t *list)
{
    qr(list, T(c, BC_T_L_CANCEL), "cancel_booking");
    qr(list, T(c, BC_T_L_RESCHEDULE), "reschedule");
    qr(list, T(c, BC_T_L_HOURS), "faq:hours");
    qr(list, T(c, BC_T_L_HUMAN), "human");
    return list;
}

/* ---- catalogue ---- */

static json_t *find(json_t *list, const char *id)
{
    size_t i;
    json_t *it;
    if (!id) return NULL;
    json_array_foreach(list, i,
                       it) if (strcmp(json_string_value(json_object_get(it, "id")), id) == 0) return it;
    return NULL;
}

static const char *name_of(json_t *list, const char *id)
{
    const char *n = json_string_value(json_object_get(find(list, id), "name"));
    return n ? n : "?";
}

static bool offers(json_t *provider, const char *service_id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(provider, "service_ids"), i,
                       v) if (strcmp(json_string_value(v), service_id) == 0) return true;
    return false;
}

/* Professionals offering a service (borrowed items, in display order of the list). */
static size_t providers_for(struct chat *c, const char *service_id, json_t **out, size_t max)
{
    size_t n = 0, i;
    json_t *p;
    json_array_foreach(c->providers, i, p) if (n < max && offers(p, service_id)) out[n++] = p;
    return n;
}

/* ---- dates, times and slots ---- */

/* "martes 1 de diciembre" for a date string. */
static void date_words(struct chat *c, const char *date, char *out, size_t size)
{
    int32_t d;
    int y, m, dd;
    if (bc_tz_date_parse(date, &d) < 0) {
        snprintf(out, size, "%s", date);
        return;
    }
    bc_tz_date_to_ymd(d, &y, &m, &dd);
    bc_chat_format_date(c->lang, y, m, dd, bc_tz_weekday(d), out, size);
}

/* "martes 1 de diciembre a las 10:00" / "Tuesday, December 1 at 10:00 am" for an instant. */
static void when_words(struct chat *c, int64_t t, char *out, size_t size)
{
    struct bc_tz_local l;
    char d[80], h[20];
    if (bc_tz_from_utc(c->zone, t, &l) < 0) {
        snprintf(out, size, "?");
        return;
    }
    bc_chat_format_date(c->lang, l.year, l.month, l.mday, l.weekday, d, sizeof d);
    bc_chat_format_time(c->lang, l.hour, l.minute, h, sizeof h);
    snprintf(out, size, strncmp(c->lang, "en", 2) == 0 ? "%s at %s" : "%s a las %s", d, h);
}

/* The service and professional the current flow books (a rescheduled booking keeps its own). */
static const char *flow_service(struct chat *c)
{
    return flow_of(c) == FLOW_RESCHED ? slot(c, "target_service") : slot(c, "service_id");
}

static const char *flow_provider(struct chat *c)
{
    return flow_of(c) == FLOW_RESCHED ? slot(c, "target_provider") : slot(c, "provider_id");
}

/* Free slots of the flow's service between two tenant-local dates. */
static int free_slots(struct chat *c, const char *from, const char *to, struct bc_availability_slot **out,
                      struct bc_schedule *sc)
{
    char msg[200];
    const char *ignore = flow_of(c) == FLOW_RESCHED ? slot(c, "target_id") : NULL;
    int rc = bc_schedule_load(c->env, c->ctx, flow_service(c), flow_provider(c), from, to, NULL, ignore,
                              bc_now_s(), &c->arena, sc, msg, sizeof msg);
    if (rc < 0) return rc;
    sc->q.max_slots = 2000;
    int n = sc->n_pros ? bc_availability_compute(&sc->q, sc->pros, sc->n_pros, &c->arena, out) : 0;
    return n;
}

static void today_plus(struct chat *c, int days, char out[11])
{
    bc_tz_date_format(c->now.day + days, out);
}

/* Up to max local dates with free slots within the horizon, into dates[][11]. */
static int days_with_slots(struct chat *c, char dates[][11], int max)
{
    char from[11], to[11];
    struct bc_schedule sc;
    struct bc_availability_slot *slots = NULL;
    today_plus(c, 0, from);
    today_plus(c, HORIZON_DAYS, to);
    int n = free_slots(c, from, to, &slots, &sc), k = 0;
    for (int i = 0; i < n && k < max; i++) {
        struct bc_tz_local l;
        bc_tz_from_utc(c->zone, slots[i].start, &l);
        char d[11];
        bc_tz_date_format(l.day, d);
        if (k == 0 || strcmp(dates[k - 1], d) != 0) memcpy(dates[k++], d, 11);
    }
    if (n >= 0) bc_schedule_release(&sc);
    return n < 0 ? n : k;
}

static json_t *day_options(struct chat *c, char dates[][11], int n)
{
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        int32_t d;
        int y, m, dd;
        char label[40];
        bc_tz_date_parse(dates[i], &d);
        bc_tz_date_to_ymd(d, &y, &m, &dd);
        bc_chat_format_date_short(c->lang, m, dd, bc_tz_weekday(d), label, sizeof label);
        qr(list, label, "day:%s", dates[i]);
    }
    qr(list, T(c, BC_T_L_OTHER_DAY), "other_day");
    return list;
}

static bool in_part(struct chat *c, int64_t t, const char *part)
{
    struct bc_tz_local l;
    if (!part || bc_tz_from_utc(c->zone, t, &l) < 0) return true;
    if (strcmp(part, "morning") == 0) return l.hour < 12;
    if (strcmp(part, "afternoon") == 0) return l.hour >= 12 && l.hour < 20;
    return l.hour >= 18; /* evening */
}

static void slot_payload(char *out, size_t size, struct bc_availability_slot *s)
{
    char iso[BC_TZ_ISO_SIZE];
    bc_tz_format_iso_offset(s->start, s->start_offset, iso, sizeof iso);
    snprintf(out, size, "%s|%s", iso, s->pro_id);
}

/* ---- prompts ---- */

static void prompt_service(struct chat *c)
{
    set_state(c, "service");
    if (json_array_size(c->services) == 0) {
        say(c, T(c, BC_T_NO_SERVICES), general_options(c, json_array()));
        return;
    }
    json_t *list = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(c->services, i, s) if (i < 10)
        qr(list, json_string_value(json_object_get(s, "name")), "svc:%s",
           json_string_value(json_object_get(s, "id")));
    say(c, T(c, BC_T_ASK_SERVICE), general_options(c, list));
}

static void prompt_provider(struct chat *c)
{
    json_t *ps[50];
    const char *svc = slot(c, "service_id");
    size_t n = providers_for(c, svc, ps, 50);
    set_state(c, "provider");
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < 10; i++)
        qr(list, json_string_value(json_object_get(ps[i], "name")), "pro:%s",
           json_string_value(json_object_get(ps[i], "id")));
    qr(list, T(c, BC_T_L_ANY), "pro:any");
    qr(list, T(c, BC_T_L_BACK), "back");
    sayf(c, list, BC_T_ASK_PROVIDER, name_of(c->services, svc));
}

static void prompt_day(struct chat *c)
{
    char dates[MAX_DAY_OPTIONS][11];
    set_state(c, "day");
    int n = days_with_slots(c, dates, MAX_DAY_OPTIONS);
    if (n <= 0) {
        json_t *list = json_array();
        qr(list, T(c, BC_T_L_HUMAN), "human");
        qr(list, T(c, BC_T_L_START_OVER), "restart");
        say(c, T(c, BC_T_NO_DAYS), list);
        return;
    }
    say(c, T(c, flow_of(c) == FLOW_RESCHED ? BC_T_RESCHED_ASK_DAY : BC_T_ASK_DAY), day_options(c, dates, n));
}

/* Lists the free times of the chosen day (optionally only a part of the day). */
static void prompt_time(struct chat *c)
{
    const char *date = slot(c, "date"), *part = slot(c, "part");
    struct bc_schedule sc;
    struct bc_availability_slot *slots = NULL;
    char words[80];
    set_state(c, "time");
    int n = free_slots(c, date, date, &slots, &sc);
    if (n < 0) memset(&sc, 0, sizeof sc);
    date_words(c, date, words, sizeof words);
    int matching = 0;
    for (int i = 0; i < n; i++)
        matching += (i == 0 || slots[i].start != slots[i - 1].start) && in_part(c, slots[i].start, part);
    if (matching == 0 && part) { /* nothing in that part of the day: show the whole day */
        slot_set(c, "part", NULL);
        part = NULL;
        for (int i = 0; i < n; i++) matching += i == 0 || slots[i].start != slots[i - 1].start;
    }
    if (matching == 0) {
        char dates[MAX_DAY_OPTIONS][11];
        bc_schedule_release(&sc);
        slot_set(c, "date", NULL);
        set_state(c, "day");
        int nd = days_with_slots(c, dates, MAX_DAY_OPTIONS);
        sayf(c, day_options(c, dates, nd > 0 ? nd : 0), BC_T_DAY_FULL, words);
        return;
    }
    json_t *offset = json_object_get(c->slots, "times_offset");
    int skip = json_is_integer(offset) ? (int)json_integer_value(offset) : 0, shown = 0, seen = 0;
    json_t *list = json_array();
    for (int i = 0; i < n && shown < MAX_TIME_OPTIONS; i++) {
        if ((i > 0 && slots[i].start == slots[i - 1].start) || !in_part(c, slots[i].start, part)) continue;
        if (seen++ < skip) continue;
        struct bc_tz_local l;
        char label[20], payload[120];
        bc_tz_from_utc(c->zone, slots[i].start, &l);
        bc_chat_format_time(c->lang, l.hour, l.minute, label, sizeof label);
        slot_payload(payload, sizeof payload, &slots[i]);
        qr(list, label, "time:%s", payload);
        shown++;
    }
    bc_schedule_release(&sc); /* the slots' professional ids point into it */
    if (skip + shown < matching) qr(list, T(c, BC_T_L_MORE_TIMES), "more_times:%d", skip + shown);
    qr(list, T(c, BC_T_L_OTHER_DAY), "other_day");
    if (part)
        sayf(c, list, BC_T_ASK_TIME_PART, words,
             T(c, strcmp(part, "morning") == 0     ? BC_T_MORNING
                  : strcmp(part, "afternoon") == 0 ? BC_T_AFTERNOON
                                                   : BC_T_EVENING));
    else
        sayf(c, list, BC_T_ASK_TIME, words);
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
    when_words(c, chosen_start(c), when, sizeof when);
    snprintf(out, size, "%s %s %s, %s", name_of(c->services, slot(c, "service_id")), T(c, BC_T_WITH),
             name_of(c->providers, pro), when);
}

static void prompt_name(struct chat *c)
{
    char words[300];
    set_state(c, "name");
    booking_words(c, words, sizeof words);
    sayf(c, NULL, BC_T_ASK_NAME, words);
}

static void prompt_contact(struct chat *c)
{
    set_state(c, "contact");
    sayf(c, NULL, BC_T_ASK_CONTACT, slot(c, "name"));
}

static void prompt_confirm(struct chat *c)
{
    char when[120], contact[300];
    set_state(c, "confirm");
    when_words(c, chosen_start(c), when, sizeof when);
    const char *email = slot(c, "email"), *phone = slot(c, "phone");
    snprintf(contact, sizeof contact, "%s%s%s", email ? email : "", email && phone ? ", " : "",
             phone ? phone : "");
    json_t *list = json_array();
    qr(list, T(c, BC_T_L_YES_CONFIRM), "yes");
    qr(list, T(c, BC_T_L_CHANGE), "change");
    qr(list, T(c, BC_T_L_START_OVER), "restart");
    sayf(c, list, BC_T_CONFIRM, name_of(c->services, slot(c, "service_id")),
         name_of(c->providers, slot(c, "slot_provider")), when, slot(c, "name"), contact);
}

static void prompt_booked(struct chat *c)
{
    set_state(c, "booked");
    json_t *list = json_array();
    qr(list, T(c, BC_T_L_NEW_BOOKING), "new_booking");
    say(c, T(c, BC_T_ANYTHING_ELSE), general_options(c, list));
}

static void prompt_code(struct chat *c)
{
    set_state(c, "code");
    json_t *list = json_array();
    qr(list, T(c, BC_T_L_START_OVER), "restart");
    qr(list, T(c, BC_T_L_HUMAN), "human");
    say(c, T(c, flow_of(c) == FLOW_CANCEL ? BC_T_CANCEL_ASK_CODE : BC_T_RESCHED_ASK_CODE), list);
}

static void prompt_code_contact(struct chat *c)
{
    set_state(c, "code_contact");
    say(c, T(c, BC_T_ASK_CODE_CONTACT), NULL);
}

static void prompt_target_confirm(struct chat *c)
{
    char when[120], when_new[120];
    int64_t t = 0;
    bc_time_parse_iso(slot(c, "target_start"), &t);
    when_words(c, t, when, sizeof when);
    set_state(c, "target_confirm");
    json_t *list = json_array();
    qr(list, T(c, BC_T_L_YES), "yes");
    qr(list, T(c, BC_T_L_NO), "no");
    if (flow_of(c) == FLOW_CANCEL) {
        sayf(c, list, BC_T_CANCEL_CONFIRM, name_of(c->services, slot(c, "target_service")), when);
    } else {
        when_words(c, chosen_start(c), when_new, sizeof when_new);
        sayf(c, list, BC_T_RESCHED_CONFIRM, when, when_new);
    }
}

static void prompt_handoff(struct chat *c)
{
    set_state(c, "handoff");
    say(c, T(c, BC_T_HANDOFF_ASK), NULL);
}

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
    clear_time(c);
    return rc;
}

static bool hold_alive(struct chat *c)
{
    json_t *h = json_object_get(c->slots, "hold");
    int64_t exp = 0;
    const char *e = json_string_value(json_object_get(h, "expires_at"));
    return e && bc_time_parse_iso(e, &exp) == 0 && exp > bc_now_s() + 5;
}

static void start_over(struct chat *c, bool keep_contact)
{
    json_t *keep = json_object();
    if (keep_contact)
        for (const char *const *k = (const char *const[]){"name", "email", "phone", NULL}; *k; k++)
            if (json_object_get(c->slots, *k)) json_object_set(keep, *k, json_object_get(c->slots, *k));
    json_object_clear(c->slots);
    json_object_update(c->slots, keep);
    json_decref(keep);
    json_object_set_new(c->conv, "fails", json_integer(0));
}

static void advance(struct chat *c);

static void do_book(struct chat *c)
{
    char msg[256] = "", when[120];
    struct bc_limits lim;
    json_t *out = NULL;
    if (!hold_alive(c) && take_hold(c) < 0) {
        say(c, T(c, BC_T_JUST_TAKEN), NULL);
        advance(c);
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
        .monthly_limit = lim.bookings_month,
    };
    int rc = bc_booking_create(c->env, c->ctx, &in, msg, sizeof msg, &out);
    if (rc == BC_ESLOT) {
        clear_time(c);
        say(c, T(c, BC_T_JUST_TAKEN), NULL);
        advance(c);
        return;
    }
    if (rc < 0) {
        json_t *list = json_array();
        qr(list, T(c, BC_T_L_HUMAN), "human");
        say(c, rc == BC_EPLAN ? T(c, BC_T_LIMIT_BOOKINGS) : T(c, BC_T_NOT_UNDERSTOOD), list);
        return;
    }
    int64_t t = 0;
    bc_time_parse_iso(json_string_value(json_object_get(out, "start")), &t);
    when_words(c, t, when, sizeof when);
    const char *code = json_string_value(json_object_get(out, "code"));
    char *ics = NULL;
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "%s/v1/manage/booking.ics?token=%s", c->public_url ? c->public_url : "",
                  json_string_value(json_object_get(out, "manage_token")));
    ics = bc_buf_detach(&b, NULL);
    json_t *m = sayf(c, NULL, BC_T_BOOKED, name_of(c->services, slot(c, "service_id")), when, code);
    json_object_set_new(m, "booking",
                        json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:s}", "id",
                                  json_object_get(out, "id"), "code", json_object_get(out, "code"), "start",
                                  json_object_get(out, "start"), "end", json_object_get(out, "end"),
                                  "service", json_object_get(out, "service_name"), "provider",
                                  json_object_get(out, "provider_name"), "manage_token",
                                  json_object_get(out, "manage_token"), "ics_url", ics ? ics : ""));
    free(ics);
    json_object_set_new(c->conv, "status", json_string("booked"));
    json_object_set_new(
        c->conv, "booking",
        json_pack("{s:O, s:O}", "id", json_object_get(out, "id"), "code", json_object_get(out, "code")));
    json_decref(out);
    start_over(c, true);
    prompt_booked(c);
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
        qr(list, T(c, BC_T_L_START_OVER), "restart");
        qr(list, T(c, BC_T_L_HUMAN), "human");
        /* forget both: either may be the wrong one */
        slot_set(c, "code", NULL);
        slot_set(c, "email", NULL);
        slot_set(c, "phone", NULL);
        say(c, T(c, BC_T_NO_SUCH_BOOKING), list);
        prompt_code(c);
        return;
    }
    slot_set(c, "target_id", json_string_value(json_object_get(b, "id")));
    slot_set(c, "target_start", json_string_value(json_object_get(b, "start")));
    slot_set(c, "target_service", json_string_value(json_object_get(b, "service_id")));
    slot_set(c, "target_provider", json_string_value(json_object_get(b, "provider_id")));
    json_decref(b);
    if (flow_of(c) == FLOW_CANCEL)
        prompt_target_confirm(c);
    else
        prompt_day(c);
}

static void do_target(struct chat *c)
{
    char msg[256] = "", when[120];
    json_t *out = NULL;
    int rc;
    if (flow_of(c) == FLOW_CANCEL) {
        rc = bc_booking_cancel(c->env, c->ctx, slot(c, "target_id"), true, msg, sizeof msg, &out);
        if (rc == 0) {
            json_t *list = json_array();
            qr(list, T(c, BC_T_L_NEW_BOOKING), "new_booking");
            say(c, T(c, BC_T_CANCELLED), list);
        }
    } else {
        rc = bc_booking_reschedule(c->env, c->ctx, slot(c, "target_id"), slot(c, "start"),
                                   slot(c, "slot_provider"), true, msg, sizeof msg, &out);
        if (rc == BC_ESLOT) {
            clear_time(c);
            say(c, T(c, BC_T_JUST_TAKEN), NULL);
            prompt_time(c);
            return;
        }
        if (rc == 0) {
            int64_t t = 0;
            bc_time_parse_iso(json_string_value(json_object_get(out, "start")), &t);
            when_words(c, t, when, sizeof when);
            sayf(c, NULL, BC_T_RESCHEDULED, when, json_string_value(json_object_get(out, "code")));
        }
    }
    json_decref(out);
    if (rc == BC_ECONFLICT)
        say(c, T(c, BC_T_TOO_LATE), NULL);
    else if (rc < 0)
        say(c, T(c, BC_T_NO_SUCH_BOOKING), NULL);
    start_over(c, true);
    prompt_booked(c);
}

static void do_handoff(struct chat *c)
{
    char now[32];
    const char *email = slot(c, "email"), *phone = slot(c, "phone");
    bc_now_iso(now);
    json_object_set_new(c->conv, "handoff",
                        json_pack("{s:s, s:s?, s:s?, s:s?, s:b}", "at", now, "name", slot(c, "name"), "email",
                                  email, "phone", phone, "handled", 0));
    json_object_set_new(c->conv, "status", json_string("handoff"));
    say(c, T(c, BC_T_HANDOFF_DONE), NULL);
    start_over(c, true);
    prompt_booked(c);
}

/* The first thing still missing in the booking flow: ask for it. */
static void advance(struct chat *c)
{
    enum flow f = flow_of(c);
    if (f == FLOW_CANCEL || f == FLOW_RESCHED) {
        if (!slot(c, "code")) return prompt_code(c);
        if (!slot(c, "email") && !slot(c, "phone")) return prompt_code_contact(c);
        if (!slot(c, "target_id")) return target_found(c);
        if (f == FLOW_CANCEL) return prompt_target_confirm(c);
    } else {
        if (!slot(c, "service_id")) {
            if (json_array_size(c->services) == 1)
                slot_set(c, "service_id",
                         json_string_value(json_object_get(json_array_get(c->services, 0), "id")));
            else
                return prompt_service(c);
        }
        if (!slot(c, "provider_id")) {
            json_t *ps[2];
            size_t n = providers_for(c, slot(c, "service_id"), ps, 2);
            if (n == 0) {
                sayf(c, NULL, BC_T_NOBODY, name_of(c->services, slot(c, "service_id")));
                slot_set(c, "service_id", NULL);
                return prompt_service(c);
            }
            if (n > 1) return prompt_provider(c);
            slot_set(c, "provider_id", json_string_value(json_object_get(ps[0], "id")));
        }
    }
    if (!slot(c, "date")) return prompt_day(c);
    if (!slot(c, "start")) {
        /* a time the customer already said: take it if it is free that day */
        char want[6] = "", alt[6] = "";
        if (slot(c, "want_time")) snprintf(want, sizeof want, "%s", slot(c, "want_time"));
        if (slot(c, "want_alt")) snprintf(alt, sizeof alt, "%s", slot(c, "want_alt"));
        slot_set(c, "want_time", NULL);
        slot_set(c, "want_alt", NULL);
        if (want[0]) {
            struct bc_schedule sc;
            struct bc_availability_slot *slots = NULL;
            const char *date = slot(c, "date");
            int n = free_slots(c, date, date, &slots, &sc);
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
            }
            if (n >= 0) bc_schedule_release(&sc);
            if (!slot(c, "start")) {
                /* not free at that time: say so, then show the free times of that day */
                char words[80], hm[20];
                int h = 0, m = 0;
                sscanf(want, "%d:%d", &h, &m);
                bc_chat_format_time(c->lang, h, m, hm, sizeof hm);
                date_words(c, date, words, sizeof words);
                sayf(c, NULL, BC_T_TIME_TAKEN, hm, words);
                return prompt_time(c);
            }
        } else {
            return prompt_time(c);
        }
    }
    if (f == FLOW_RESCHED) return prompt_target_confirm(c);
    if (!json_object_get(c->slots, "hold") && take_hold(c) < 0) {
        say(c, T(c, BC_T_JUST_TAKEN), NULL);
        return prompt_time(c);
    }
    if (!slot(c, "name")) return prompt_name(c);
    if (!slot(c, "email") && !slot(c, "phone")) return prompt_contact(c);
    prompt_confirm(c);
}

/* ---- understanding the customer ---- */

static void answer_faq(struct chat *c, const char *which);

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
                keep_time_as_wish(c);
                clear_time(c);
                const char *p = slot(c, "provider_id");
                if (p && strcmp(p, "any") != 0 && !offers(find(c->providers, p), r->service_id))
                    slot_set(c, "provider_id", NULL);
            }
            n++;
        } else if (r->n_service_candidates >= 2) {
            json_t *list = json_array();
            for (int i = 0; i < r->n_service_candidates; i++)
                qr(list, name_of(c->services, r->service_candidates[i]), "svc:%s", r->service_candidates[i]);
            set_state(c, "service");
            say(c, T(c, BC_T_WHICH_SERVICE), list);
            *asked = true;
            return n + 1;
        }
        if (r->provider_id || r->provider_any) {
            const char *p = r->provider_any ? "any" : r->provider_id;
            const char *svc = slot(c, "service_id");
            if (!r->provider_any && svc && !offers(find(c->providers, p), svc)) {
                /* this professional does not do that service: keep asking for a professional */
            } else if (!slot(c, "provider_id") || strcmp(slot(c, "provider_id"), p) != 0 ||
                       (slot(c, "slot_provider") && strcmp(slot(c, "slot_provider"), p) != 0 &&
                        strcmp(p, "any") != 0)) {
                slot_set(c, "provider_id", p);
                keep_time_as_wish(c);
                clear_time(c);
            }
            n++;
        }
    }
    if (r->has_date || r->asap) {
        char date[11];
        if (r->asap) {
            char dates[1][11];
            if (days_with_slots(c, dates, 1) == 1)
                memcpy(date, dates[0], 11);
            else
                date[0] = '\0';
        } else {
            memcpy(date, r->date, 11);
        }
        if (date[0]) {
            slot_set(c, "date", date);
            clear_time(c);
            if (r->part_of_day == BC_NLU_PART_NONE) slot_set(c, "part", NULL); /* a new day, a new question */
            n++;
        }
    }
    if (r->has_time) {
        slot_set(c, "want_time", r->time);
        slot_set(c, "want_alt", r->time_ambiguous && r->time_alt[0] ? r->time_alt : NULL);
        clear_time(c);
        n++;
    }
    if (r->part_of_day != BC_NLU_PART_NONE) {
        slot_set(c, "part", bc_nlu_part_name(r->part_of_day));
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

static void enter_flow(struct chat *c, const char *flow)
{
    start_over(c, true);
    slot_set(c, "flow", flow);
}

/* Back one step: forget the last answer and ask for it again. */
static void go_back(struct chat *c)
{
    const char *st = state_of(c)->name;
    if (!strcmp(st, "provider"))
        slot_set(c, "service_id", NULL);
    else if (!strcmp(st, "day")) {
        if (flow_of(c) == FLOW_BOOK) slot_set(c, "provider_id", NULL);
    } else if (!strcmp(st, "time"))
        slot_set(c, "date", NULL);
    else if (!strcmp(st, "name"))
        clear_time(c);
    else if (!strcmp(st, "contact"))
        slot_set(c, "name", NULL);
    else if (!strcmp(st, "confirm")) {
        slot_set(c, "email", NULL);
        slot_set(c, "phone", NULL);
    }
    advance(c);
}

/* Applies a quick-reply payload. Returns false for an unknown payload. */
static bool apply_action(struct chat *c, const char *a)
{
    const char *st = state_of(c)->name;
    if (!strncmp(a, "svc:", 4) && find(c->services, a + 4)) {
        if (flow_of(c) != FLOW_BOOK) enter_flow(c, "book");
        slot_set(c, "service_id", a + 4);
        slot_set(c, "provider_id", NULL);
        clear_time(c);
    } else if (!strcmp(a, "pro:any") || (!strncmp(a, "pro:", 4) && find(c->providers, a + 4))) {
        slot_set(c, "provider_id", a + 4);
        clear_time(c);
    } else if (!strncmp(a, "day:", 4)) {
        int32_t d;
        if (bc_tz_date_parse(a + 4, &d) < 0) return false;
        slot_set(c, "date", a + 4);
        clear_time(c);
    } else if (!strncmp(a, "time:", 5)) {
        const char *bar = strchr(a + 5, '|');
        int64_t t;
        char iso[64];
        if (!bar || (size_t)(bar - a - 5) >= sizeof iso) return false;
        snprintf(iso, sizeof iso, "%.*s", (int)(bar - a - 5), a + 5);
        if (bc_time_parse_iso(iso, &t) < 0 || !find(c->providers, bar + 1)) return false;
        clear_time(c);
        slot_set(c, "start", iso);
        slot_set(c, "slot_provider", bar + 1);
    } else if (!strncmp(a, "more_times:", 11)) {
        json_object_set_new(c->slots, "times_offset", json_integer(strtol(a + 11, NULL, 10)));
        prompt_time(c);
        return true;
    } else if (!strcmp(a, "other_day")) {
        slot_set(c, "date", NULL);
        clear_time(c);
        set_state(c, "day");
        say(c, T(c, BC_T_ASK_DAY_FREE), NULL);
        return true;
    } else if (!strcmp(a, "yes")) {
        if (!strcmp(st, "confirm"))
            do_book(c);
        else if (!strcmp(st, "target_confirm"))
            do_target(c);
        else
            advance(c);
        return true;
    } else if (!strcmp(a, "no") || !strcmp(a, "change")) {
        if (!strcmp(st, "target_confirm")) {
            say(c, T(c, BC_T_KEPT), NULL);
            start_over(c, true);
            prompt_booked(c);
            return true;
        }
        json_t *list = json_array();
        qr(list, T(c, BC_T_L_SERVICE), "change:service");
        qr(list, T(c, BC_T_L_PROVIDER), "change:provider");
        qr(list, T(c, BC_T_L_DAY), "change:day");
        qr(list, T(c, BC_T_L_TIME), "change:time");
        qr(list, T(c, BC_T_L_DETAILS), "change:details");
        say(c, T(c, BC_T_WHAT_CHANGE), list);
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
        } else if (strcmp(w, "time") != 0)
            return false;
        if (strcmp(w, "details") != 0) clear_time(c);
    } else if (!strcmp(a, "restart") || !strcmp(a, "new_booking")) {
        enter_flow(c, "book");
        json_object_set_new(c->conv, "status",
                            json_string(json_object_get(c->conv, "booking") ? "booked" : "open"));
    } else if (!strcmp(a, "back")) {
        go_back(c);
        return true;
    } else if (!strcmp(a, "human")) {
        if (slot(c, "email") || slot(c, "phone"))
            do_handoff(c);
        else
            prompt_handoff(c);
        return true;
    } else if (!strcmp(a, "cancel_booking") || !strcmp(a, "reschedule")) {
        enter_flow(c, a[0] == 'c' ? "cancel" : "resched");
    } else if (!strncmp(a, "faq:", 4)) {
        answer_faq(c, a + 4);
        advance(c);
        return true;
    } else {
        return false;
    }
    advance(c);
    return true;
}

/* ---- FAQ ---- */

struct iv {
    int a, b;
};

static int cmp_iv(const void *x, const void *y)
{
    return ((const struct iv *)x)->a - ((const struct iv *)y)->a;
}

/* Opening hours: the union of the professionals' weekly hours, weekday by weekday. */
static void hours_text(struct chat *c, struct bc_buf *b)
{
    struct iv days[8][40];
    int nd[8] = {0};
    size_t i;
    json_t *p;
    json_array_foreach(c->providers, i, p)
    {
        json_t *h = NULL;
        if (bc_entity_get(c->env, c->ctx, "AVAIL", json_string_value(json_object_get(p, "id")), &h) < 0)
            continue;
        size_t j;
        json_t *r;
        json_array_foreach(json_object_get(h, "weekly"), j, r)
        {
            int wd = (int)json_integer_value(json_object_get(r, "weekday")), a, e;
            if (wd < 1 || wd > 7 || nd[wd] >= 40) continue;
            if (bc_tz_hhmm_parse(json_string_value(json_object_get(r, "start")), 0, &a) < 0 ||
                bc_tz_hhmm_parse(json_string_value(json_object_get(r, "end")), 1, &e) < 0)
                continue;
            days[wd][nd[wd]++] = (struct iv){a, e};
        }
        json_decref(h);
    }
    char lines[8][200];
    for (int wd = 1; wd <= 7; wd++) {
        qsort(days[wd], (size_t)nd[wd], sizeof days[wd][0], cmp_iv);
        int m = 0;
        for (int k = 0; k < nd[wd]; k++) {
            if (m && days[wd][k].a <= days[wd][m - 1].b) {
                if (days[wd][k].b > days[wd][m - 1].b) days[wd][m - 1].b = days[wd][k].b;
            } else {
                days[wd][m++] = days[wd][k];
            }
        }
        nd[wd] = m;
        lines[wd][0] = '\0';
        for (int k = 0; k < m; k++) {
            char a[8], e[8];
            bc_tz_hhmm_format(days[wd][k].a, a);
            bc_tz_hhmm_format(days[wd][k].b, e);
            size_t l = strlen(lines[wd]);
            snprintf(lines[wd] + l, sizeof lines[wd] - l, "%s%s–%s", k ? ", " : "", a, e);
        }
    }
    /* group consecutive weekdays with the same hours: "lunes – viernes: 09:00–13:00, 15:00–19:00" */
    for (int wd = 1; wd <= 7;) {
        int end = wd;
        while (end < 7 && strcmp(lines[end + 1], lines[wd]) == 0) end++;
        if (lines[wd][0]) {
            if (end > wd)
                bc_buf_printf(b, "%s – %s: %s\n", bc_chat_weekday_name(c->lang, wd),
                              bc_chat_weekday_name(c->lang, end), lines[wd]);
            else
                bc_buf_printf(b, "%s: %s\n", bc_chat_weekday_name(c->lang, wd), lines[wd]);
        }
        wd = end + 1;
    }
    if (b->len && b->data[b->len - 1] == '\n') b->data[--b->len] = '\0';
}

static void answer_faq(struct chat *c, const char *which)
{
    struct bc_buf b = BC_BUF_INIT;
    json_t *biz = json_object_get(c->settings, "business");
    if (!strcmp(which, "hours")) {
        hours_text(c, &b);
        if (b.len)
            sayf(c, NULL, BC_T_HOURS, b.data);
        else
            say(c, T(c, BC_T_NO_HOURS), NULL);
    } else if (!strcmp(which, "prices")) {
        size_t i;
        json_t *s;
        json_array_foreach(c->services, i, s)
        {
            json_t *price = json_object_get(s, "price");
            bc_buf_printf(&b, "%s%s (%lld min)", i ? "\n" : "", json_string_value(json_object_get(s, "name")),
                          (long long)json_integer_value(json_object_get(s, "duration_min")));
            if (json_is_number(price))
                bc_buf_printf(&b, ": %.2f %s", json_number_value(price),
                              json_string_value(json_object_get(s, "currency")));
        }
        if (b.len)
            sayf(c, NULL, BC_T_PRICES, b.data);
        else
            say(c, T(c, BC_T_NO_SERVICES), NULL);
    } else {
        const char *addr = json_string_value(json_object_get(biz, "address"));
        if (addr && *addr)
            sayf(c, NULL, BC_T_LOCATION, addr);
        else
            say(c, T(c, BC_T_NO_LOCATION), NULL);
    }
    bc_buf_release(&b);
}

/* Free text through the NLU. */
/* What the customer meant, as the offline NLU reads it in the current state. */
static void parse(struct chat *c, const char *text, struct bc_nlu_result *r)
{
    const struct state *st = state_of(c);
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
static void understand(struct chat *c, const char *text, const struct bc_nlu_result *rp)
{
    const struct state *st = state_of(c);
    struct bc_nlu_result r = *rp;
    unsigned bits = r.intents;
#define HAS(i) (bits & BC_NLU_BIT(BC_NLU_##i))
    bool asked = false;
    /* the flows first: a person, starting over, going back, cancelling or moving a booking */
    if (HAS(HUMAN)) {
        absorb(c, &r, &asked);
        if (slot(c, "email") || slot(c, "phone"))
            do_handoff(c);
        else
            prompt_handoff(c);
        return;
    }
    if (!strcmp(st->name, "handoff")) {
        absorb(c, &r, &asked);
        if (slot(c, "email") || slot(c, "phone"))
            do_handoff(c);
        else
            say(c, T(c, BC_T_BAD_CONTACT), NULL);
        return;
    }
    if (HAS(RESTART)) {
        enter_flow(c, "book");
        advance(c);
        return;
    }
    if (HAS(BACK) && r.intent == BC_NLU_BACK) {
        go_back(c);
        return;
    }
    if ((r.intent == BC_NLU_CANCEL || r.intent == BC_NLU_RESCHEDULE) &&
        strcmp(st->name, "target_confirm") != 0 && strcmp(st->name, "confirm") != 0) {
        enter_flow(c, r.intent == BC_NLU_CANCEL ? "cancel" : "resched");
        absorb(c, &r, &asked);
        advance(c);
        return;
    }
    /* confirmations */
    if (!strcmp(st->name, "confirm") || !strcmp(st->name, "target_confirm")) {
        if (r.intent == BC_NLU_YES) {
            apply_action(c, "yes");
            return;
        }
        if (r.intent == BC_NLU_NO || r.intent == BC_NLU_CANCEL ||
            (r.intent == BC_NLU_CHANGE && !absorb(c, &r, &asked))) {
            apply_action(c, "no");
            return;
        }
    }
    /* questions about the business */
    int taken = absorb(c, &r, &asked);
    if (asked) return;
    if (HAS(HOURS) || HAS(PRICES) || HAS(LOCATION)) {
        if (HAS(HOURS)) answer_faq(c, "hours");
        if (HAS(PRICES)) answer_faq(c, "prices");
        if (HAS(LOCATION)) answer_faq(c, "location");
        advance(c);
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
        if (r.intent == BC_NLU_BOOK && flow_of(c) != FLOW_BOOK) enter_flow(c, "book");
        advance(c);
        return;
    }
    if (r.intent == BC_NLU_BOOK) {
        if (flow_of(c) != FLOW_BOOK || !strcmp(st->name, "booked")) enter_flow(c, "book");
        advance(c);
        return;
    }
    if (r.intent == BC_NLU_GREETING || r.intent == BC_NLU_THANKS || r.intent == BC_NLU_GOODBYE) {
        say(c,
            T(c, r.intent == BC_NLU_GREETING ? BC_T_HELLO
                 : r.intent == BC_NLU_THANKS ? BC_T_THANKS
                                             : BC_T_GOODBYE),
            NULL);
        if (strcmp(st->name, "booked") != 0) advance(c);
        return;
    }
    if (!strcmp(st->name, "contact") || !strcmp(st->name, "code_contact")) {
        say(c, T(c, BC_T_BAD_CONTACT), NULL);
        return;
    }
    /* not understood: the question again, and after a few misses a person */
    json_int_t fails = json_integer_value(json_object_get(c->conv, "fails")) + 1;
    json_object_set_new(c->conv, "fails", json_integer(fails));
    say(c, T(c, BC_T_NOT_UNDERSTOOD), NULL);
    advance(c);
    if (fails >= FAILS_BEFORE_HUMAN) {
        json_t *list = json_array();
        qr(list, T(c, BC_T_L_HUMAN), "human");
        qr(list, T(c, BC_T_L_START_OVER), "restart");
        say(c, T(c, BC_T_OFFER_HUMAN), list);
    }
#undef HAS
}

/* ---- setup ---- */

static int by_order(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t ox = json_integer_value(json_object_get(x, "order")),
               oy = json_integer_value(json_object_get(y, "order"));
    if (ox != oy) return ox < oy ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "name")),
                  json_string_value(json_object_get(y, "name")));
}

/* The active entities of a kind in display order. */
static int active(struct chat *c, const char *kind, json_t **out)
{
    json_t *all = NULL;
    /* the chat only reads the catalogue: read-only items, from the store's memo when unchanged */
    int rc = bc_entity_all_ro(c->env, c->ctx, kind, 1000, &all);
    if (rc < 0) return rc;
    size_t n = json_array_size(all), k = 0;
    json_t **v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        if (json_is_true(json_object_get(json_array_get(all, i), "active"))) v[k++] = json_array_get(all, i);
    if (v) qsort(v, k, sizeof *v, by_order);
    *out = json_array();
    for (size_t i = 0; v && i < k; i++) json_array_append(*out, v[i]);
    free(v);
    json_decref(all);
    return 0;
}

static void add_to_catalog(struct bc_nlu_catalog *cat, enum bc_nlu_kind kind, json_t *list)
{
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
    {
        const char *syn[20];
        size_t ns = 0, j;
        json_t *s;
        json_array_foreach(json_object_get(it, "synonyms"), j, s) if (ns < 20) syn[ns++] =
            json_string_value(s);
        bc_nlu_catalog_add(cat, kind, json_string_value(json_object_get(it, "id")),
                           json_string_value(json_object_get(it, "name")), syn, ns);
    }
}

static int chat_open(struct chat *c, struct bc_env *env, const struct bc_ctx *ctx, json_t *conv,
                     const char *public_url)
{
    memset(c, 0, sizeof *c);
    c->env = env;
    c->ctx = ctx;
    c->conv = conv;
    c->public_url = public_url;
    bc_arena_init(&c->arena);
    c->out = json_array();
    json_t *settings_item = NULL;
    int rc = bc_settings_item_ro(env, ctx, "GLOBAL", &settings_item); /* only read, like the catalogue */
    if (rc == 0) c->settings = bc_settings_view_ro(env, settings_item);
    json_decref(settings_item);
    if (rc == 0) rc = active(c, "SERVICE", &c->services);
    if (rc == 0) rc = active(c, "PROVIDER", &c->providers);
    if (rc < 0) return rc;
    c->zone = json_string_value(json_object_get(c->settings, "timezone"));
    if (bc_tz_from_utc(c->zone, bc_now_s(), &c->now) < 0) return BC_EINTERNAL;
    c->cat = bc_nlu_catalog_new();
    if (!c->cat) return BC_ENOMEM;
    add_to_catalog(c->cat, BC_NLU_SERVICE, c->services);
    add_to_catalog(c->cat, BC_NLU_PROVIDER, c->providers);
    if (!json_is_object(json_object_get(conv, "slots"))) json_object_set_new(conv, "slots", json_object());
    c->slots = json_object_get(conv, "slots");
    c->lang = json_string_value(json_object_get(conv, "lang"));
    return 0;
}

static void chat_close(struct chat *c)
{
    json_decref(c->pending);
    json_decref(c->settings);
    json_decref(c->services);
    json_decref(c->providers);
    json_decref(c->out);
    bc_nlu_catalog_free(c->cat);
    bc_arena_release(&c->arena);
}

/* Stores the turn's messages (the user's, kept in c->pending, and the assistant's) and the conversation,
 * in one store batch: one write transaction per turn instead of one per message plus one. */
static int chat_commit(struct chat *c, json_t **messages)
{
    json_t *items[BC_STORE_BATCH_MAX - 1];
    size_t n = 0, i;
    json_t *m;
    int rc = 0;
    if (c->pending) items[n++] = json_incref(c->pending);
    json_array_foreach(c->out, i, m)
    {
        if (n == sizeof items / sizeof items[0]) {
            /* an unusually long turn: write what is gathered so far on its own */
            for (size_t k = 0; rc == 0 && k < n; k++) {
                struct bc_cond lazy = {BC_COND_NONE, 0, true};
                rc = bc_store_put(c->env->store, items[k], &lazy);
            }
            for (size_t k = 0; k < n; k++) json_decref(items[k]);
            n = 0;
            if (rc < 0) return rc;
        }
        if (!(items[n] = bc_conv_message_item(c->conv, "assistant", m))) rc = BC_ENOMEM;
        if (rc < 0) break;
        n++;
    }
    if (rc == 0) rc = bc_conv_save_with(c->env, c->conv, items, n);
    for (size_t k = 0; k < n; k++) json_decref(items[k]);
    if (rc == 0) *messages = json_incref(c->out);
    return rc;
}

int bc_chat_start(struct bc_env *env, const struct bc_ctx *ctx, const char *lang, const char *public_url,
                  json_t **conv, json_t **messages)
{
    struct chat c;
    json_t *settings = NULL;
    *conv = NULL;
    *messages = NULL;
    int rc = bc_settings_get(env, ctx, &settings);
    if (rc < 0) return rc;
    if (!lang || !bc_nlu_lang_supported(lang)) lang = json_string_value(json_object_get(settings, "locale"));
    json_t *cv =
        bc_conv_new(ctx, strncmp(lang ? lang : "es", "en", 2) == 0 ? "en" : "es",
                    (int)json_integer_value(json_object_get(settings, "conversation_retention_days")));
    json_t *greeting = json_incref(json_object_get(json_object_get(settings, "widget"), "greeting"));
    json_decref(settings);
    if (!cv) {
        json_decref(greeting);
        return BC_ENOMEM;
    }
    rc = chat_open(&c, env, ctx, cv, public_url);
    if (rc == 0) {
        /* the tenant's greeting is written in the tenant's language; in the other one, say hello simply */
        const char *g = json_string_value(greeting);
        const char *locale = json_string_value(json_object_get(c.settings, "locale"));
        if (g && locale && strcmp(locale, c.lang) == 0)
            say(&c, g, NULL);
        else
            say(&c, T(&c, BC_T_HELLO), NULL);
        enter_flow(&c, "book");
        advance(&c);
        rc = chat_commit(&c, messages);
    }
    json_decref(greeting);
    chat_close(&c);
    if (rc == 0)
        *conv = cv;
    else
        json_decref(cv);
    return rc;
}

static int turn(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, const char *text,
                const char *action, const struct bc_nlu_result *understood, const char *public_url,
                json_t **messages)
{
    struct chat c;
    *messages = NULL;
    if ((!text) == (!action)) return BC_EINVALID;
    int rc = chat_open(&c, env, ctx, conv, public_url);
    if (rc == 0) {
        json_t *um = text ? json_pack("{s:s}", "text", text) : json_pack("{s:s}", "action", action);
        /* written with the turn's other messages and the conversation, by chat_commit */
        c.pending = um ? bc_conv_message_item(conv, "user", um) : NULL;
        if (!c.pending) rc = BC_ENOMEM;
        json_decref(um);
        json_object_set_new(conv, "user_messages",
                            json_integer(json_integer_value(json_object_get(conv, "user_messages")) + 1));
    }
    if (rc == 0) {
        if (action) {
            if (!apply_action(&c, action)) {
                say(&c, T(&c, BC_T_NOT_UNDERSTOOD), NULL);
                advance(&c);
            }
        } else {
            struct bc_nlu_result r;
            if (understood)
                r = *understood;
            else
                parse(&c, text, &r);
            understand(&c, text, &r);
        }
        rc = chat_commit(&c, messages);
    }
    chat_close(&c);
    return rc;
}

int bc_chat_turn(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, const char *text,
                 const char *action, const char *public_url, json_t **messages)
{
    return turn(env, ctx, conv, text, action, NULL, public_url, messages);
}

int bc_chat_turn_understood(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, const char *text,
                            const struct bc_nlu_result *understood, const char *public_url, json_t **messages)
{
    if (!understood) return BC_EINVALID;
    return turn(env, ctx, conv, text, NULL, understood, public_url, messages);
}

const char *bc_chat_expect(json_t *conv)
{
    const char *n = json_string_value(json_object_get(conv, "state"));
    for (size_t i = 0; n && i < sizeof states / sizeof states[0]; i++)
        if (strcmp(states[i].name, n) == 0) return states[i].name;
    return states[0].name;
}

int bc_chat_limit_reached(struct bc_env *env, json_t *conv, json_t **messages)
{
    const char *lang = json_string_value(json_object_get(conv, "lang"));
    json_t *m = json_pack("{s:s, s:s, s:[]}", "role", "assistant", "text",
                          bc_chat_text(lang, BC_T_LIMIT_MESSAGES), "quick_replies");
    int rc = bc_conv_add_message(env, conv, "assistant", m);
    if (rc == 0) rc = bc_conv_save(env, conv);
    *messages = rc == 0 ? json_pack("[o]", m) : NULL;
    if (rc < 0) json_decref(m);
    return rc;
}

int bc_chat_hours_text(struct bc_env *env, const struct bc_ctx *ctx, const char *lang, char **out)
{
    struct chat c;
    struct bc_buf b = BC_BUF_INIT;
    *out = NULL;
    memset(&c, 0, sizeof c);
    c.env = env;
    c.ctx = ctx;
    c.lang = lang && strncmp(lang, "en", 2) == 0 ? "en" : "es";
    int rc = active(&c, "PROVIDER", &c.providers);
    if (rc < 0) return rc;
    hours_text(&c, &b);
    json_decref(c.providers);
    *out = b.data ? bc_buf_detach(&b, NULL) : strdup("");
    return *out ? 0 : BC_ENOMEM;
}
