/* What the files of the booking chat share and nobody else sees: the turn's working state (struct chat),
 * the state table's entry type, and the bc__chat_ functions each file lends the others. chat.c holds the
 * state table and its DESIGN NOTES; chat_catalogue.c, chat_prompt.c, chat_action.c, chat_understand.c and
 * chat_faq.c hold the sections named below. */
#ifndef BC_CHAT_INTERNAL_H
#define BC_CHAT_INTERNAL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/context.h"
#include "domain/chat_text.h"
#include "nlu/nlu.h"
#include "util/arena.h"
#include "util/tz.h"

#define MAX_DAY_OPTIONS    5  /* days offered as quick replies */
#define MAX_TIME_OPTIONS   8  /* times offered at once */
#define HORIZON_DAYS       21 /* how far ahead the chat looks for free days */
#define FAILS_BEFORE_HUMAN 3  /* misses in a row before a person is offered */

struct bc_env;
struct bc_availability_slot;
struct bc_buf;

/* One turn's working state: opened by chat.c for bc_chat_start / bc_chat_turn, used by one thread. */
struct chat {
    struct bc_env *env;
    const struct bc_ctx *ctx;
    json_t *conv;                    /* borrowed */
    json_t *slots;                   /* borrowed from conv */
    json_t *settings;                /* owned */
    json_t *services;                /* active services, from kept (read only) */
    json_t *providers;               /* active professionals, from kept (read only) */
    struct bc_nlu_catalog *cat;      /* from kept */
    struct bc__chat_catalogue *kept; /* a reference: the tenant's catalogue, shared with other turns */
    const char *lang;
    const char *public_url;
    const char *zone;
    json_t *out;     /* the assistant's messages of this turn */
    json_t *pending; /* owned: the user's message item, written by chat_commit with the rest */
    struct bc_tz_local now;
    struct bc_arena arena;
};

enum flow { FLOW_BOOK, FLOW_CANCEL, FLOW_RESCHED, FLOW_WAITLIST };

/* A row of the state table (chat.c): the state's name, what the NLU should expect, how to ask. */
struct state {
    const char *name;
    enum bc_nlu_expect expect;
    void (*prompt)(struct chat *c);
};

/* ---- the state (chat.c) ---- */

/* The conversation's state row (the first, "service", when unknown). */
const struct state *bc__chat_state(struct chat *c);
void bc__chat_set_state(struct chat *c, const char *name);

/* ---- slots (chat.c) ---- */

/* A slot of the dialog (borrowed from conv), or NULL. */
static inline const char *slot(struct chat *c, const char *k)
{
    return json_string_value(json_object_get(c->slots, k));
}

/* Sets a slot; v NULL removes it. */
static inline void slot_set(struct chat *c, const char *k, const char *v)
{
    if (v)
        json_object_set_new(c->slots, k, json_string(v));
    else
        json_object_del(c->slots, k);
}

static inline enum flow flow_of(struct chat *c)
{
    const char *f = slot(c, "flow");
    if (f && strcmp(f, "cancel") == 0) return FLOW_CANCEL;
    if (f && strcmp(f, "resched") == 0) return FLOW_RESCHED;
    if (f && strcmp(f, "waitlist") == 0) return FLOW_WAITLIST;
    return FLOW_BOOK;
}

/* A change of service or professional keeps the chosen day and time as a wish for bc__chat_advance. */
void bc__chat_keep_time_as_wish(struct chat *c);
/* Clears the chosen time and lets go of its hold. */
void bc__chat_clear_time(struct chat *c);

/* ---- output (chat_prompt.c) ---- */

/* The chat's sentence key in the conversation's language. */
static inline const char *T(struct chat *c, enum bc_chat_text key)
{
    return bc_chat_text(c->lang, key);
}

/* Appends a quick reply {label, payload} to list (payload printf-style); returns list. */
json_t *bc__chat_qr(json_t *list, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends an assistant message (takes quick_replies; NULL: none) to the turn's output; returns it
 * (borrowed). */
json_t *bc__chat_say(struct chat *c, const char *text, json_t *quick_replies);
json_t *bc__chat_sayf(struct chat *c, json_t *quick_replies, enum bc_chat_text key, ...);
/* The always-available options, appended to list. */
json_t *bc__chat_general_options(struct chat *c, json_t *list);

/* ---- prompts (chat_prompt.c): set the state and ask for what it expects ---- */

void bc__chat_prompt_service(struct chat *c);
void bc__chat_prompt_provider(struct chat *c);
void bc__chat_prompt_day(struct chat *c);
void bc__chat_prompt_time(struct chat *c);
void bc__chat_prompt_name(struct chat *c);
void bc__chat_prompt_contact(struct chat *c);
void bc__chat_prompt_confirm(struct chat *c);
void bc__chat_prompt_booked(struct chat *c);
void bc__chat_prompt_code(struct chat *c);
void bc__chat_prompt_code_contact(struct chat *c);
void bc__chat_prompt_target_confirm(struct chat *c);
void bc__chat_prompt_handoff(struct chat *c);

/* ---- catalogue, dates, times and free slots (chat_catalogue.c) ---- */

/* The item of list with that id (borrowed), or NULL. */
json_t *bc__chat_find(json_t *list, const char *id);
/* Its name, "?" when unknown. */
const char *bc__chat_name_of(json_t *list, const char *id);
bool bc__chat_offers(json_t *provider, const char *service_id);
/* Professionals offering a service (borrowed items, in display order of the list). */
size_t bc__chat_providers_for(struct chat *c, const char *service_id, json_t **out, size_t max);
/* The active entities of a kind ("SERVICE", "PROVIDER") in display order (caller decrefs *out). */
int bc__chat_active(struct chat *c, const char *kind, json_t **out);
void bc__chat_add_to_catalog(struct bc_nlu_catalog *cat, enum bc_nlu_kind kind, json_t *list);
/* Sets c's services, providers and NLU catalogue: the tenant's kept ones while no service or professional of
 * the tenant was written since they were read (store.h: bc_store_kind_unchanged), else read and built anew
 * and kept for the next turns. bc__chat_catalogue_close lets go of them. */
int bc__chat_catalogue_open(struct chat *c);
void bc__chat_catalogue_close(struct chat *c);
/* "martes 1 de diciembre" for a date string. */
void bc__chat_date_words(struct chat *c, const char *date, char *out, size_t size);
/* "martes 1 de diciembre a las 10:00" / "Tuesday, December 1 at 10:00 am" for an instant. */
void bc__chat_when_words(struct chat *c, int64_t t, char *out, size_t size);
struct bc_schedule;
/* Free slots of the flow's service between two tenant-local dates: their count (or a negative bc_err);
 * release sc with bc_schedule_release when the count is >= 0 (the slots point into it and c->arena). */
int bc__chat_free_slots(struct chat *c, const char *from, const char *to, struct bc_availability_slot **out,
                        struct bc_schedule *sc);
/* Up to max local dates with free slots within the horizon, into dates[][11]. */
int bc__chat_days_with_slots(struct chat *c, char dates[][11], int max);
/* Quick replies for those days and "another day". */
json_t *bc__chat_day_options(struct chat *c, char dates[][11], int n);
/* True when t is in part of the day ("morning", "afternoon", "evening"; NULL: any). */
bool bc__chat_in_part(struct chat *c, int64_t t, const char *part);
/* A window of the day the customer asked for ("entre las 4 y las 6", "after 5", "a primera hora", "in 45
 * minutes"), kept in the slot "window" as {from, to, pick} (minutes since midnight, -1 an open end) until a
 * time is chosen or said; docs/chat.md, "Windows". lo/hi are the bounds in force: an open end is the part
 * of the day's, or the day's. */
struct chat_window {
    int from, to, lo, hi;
    enum bc_nlu_pick pick;
};
/* The window in force (false: none). */
bool bc__chat_window(struct chat *c, struct chat_window *w);
/* True when t starts inside w (w NULL: always). */
bool bc__chat_in_window(struct chat *c, const struct chat_window *w, int64_t t);
/* Keeps the window of an NLU result (has_window, or from_now: the earliest free time from then on). */
void bc__chat_set_window(struct chat *c, const struct bc_nlu_result *r);
/* "entre las 16:00 y las 18:00" / "between 4:00 pm and 6:00 pm", "a partir de las 17:00", "first thing". */
void bc__chat_window_words(struct chat *c, const struct chat_window *w, char *out, size_t size);
/* The payload of a time quick reply: "<ISO start>|<professional id>". */
void bc__chat_slot_payload(char *out, size_t size, struct bc_availability_slot *s);

/* ---- actions on the world (chat_action.c) ---- */

/* Forgets the flow's slots (keep_contact: but the name, e-mail and phone) and the misses. */
void bc__chat_start_over(struct chat *c, bool keep_contact);
/* The first thing still missing in the current flow: ask for it (or take the time the customer said). */
void bc__chat_advance(struct chat *c);
void bc__chat_do_book(struct chat *c);
/* Cancels or moves the target booking (the flow says which). */
void bc__chat_do_target(struct chat *c);
void bc__chat_do_handoff(struct chat *c);

/* ---- understanding the customer (chat_understand.c) ---- */

void bc__chat_enter_flow(struct chat *c, const char *flow);
/* Applies a quick-reply payload. Returns false for an unknown payload. */
bool bc__chat_apply_action(struct chat *c, const char *a);
/* What the customer meant, as the offline NLU reads it in the current state. */
void bc__chat_parse(struct chat *c, const char *text, struct bc_nlu_result *r);
/* Acts on what the customer meant (from the offline NLU, or from an LLM in nlp mode). */
void bc__chat_understand(struct chat *c, const char *text, const struct bc_nlu_result *rp);

/* ---- the waitlist (chat_waitlist.c; domain/waitlist.h) ---- */

/* Appends the quick reply that joins the waitlist of date (a window "HH:MM|HH:MM", or NULL for the day)
 * with the flow's service and professional to list. */
void bc__chat_waitlist_option(struct chat *c, json_t *list, const char *date, const char *window);
/* Applies a "waitlist:<date>[|HH:MM|HH:MM]" payload: the waitlist flow with the service and professional
 * of the booking flow. False for a bad payload. */
bool bc__chat_waitlist_enter(struct chat *c, const char *payload);
/* The waitlist flow: the name, a contact, then joins and says so. */
void bc__chat_waitlist_advance(struct chat *c);

/* ---- FAQ (chat_faq.c) ---- */

/* Answers "hours", "prices" or anything else (the address). */
void bc__chat_answer_faq(struct chat *c, const char *which);

#endif
