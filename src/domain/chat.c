/* The booking chat (fsm mode): the state table, the dialog's slots, and the entry points that open a turn,
 * dispatch the customer's input (chat_understand.c) and store the result. The other sections live in
 * chat_catalogue.c, chat_prompt.c, chat_action.c and chat_faq.c (chat_internal.h joins them).
 *
 * DESIGN NOTES
 * - The dialog is slot filling over one state table (states[] below; the prompts are in chat_prompt.c):
 *   each state says what it expects from the customer (the NLU's hint) and how to prompt for it. A turn
 *   applies the customer's input (a quick-reply payload, or free text through the NLU: any slot said at any
 *   time is taken, so "mejor con Ana" or "actually 5pm" changes just that), then advance() asks for the
 *   first thing still missing: service -> professional -> day -> time -> name -> contact -> confirm.
 * - Choosing a time takes a hold (domain/booking.h) so nobody else can take the slot while the customer
 *   types their name; the booking consumes the hold. A hold that expired is retaken at confirmation, or
 *   the customer is offered other times.
 * - Everything the dialog needs between turns lives in the conversation item ("state", "slots"), so any
 *   process can serve the next turn.
 * - Unknown input gets the current question again with its options; the third miss in a row also offers a
 *   person (hand-off). Nothing is a dead end. */
#include "domain/chat.h"
#include "domain/booking.h"
#include "domain/fields.h"
#include "util/jsonv.h"
#include "domain/chat_internal.h"
#include "domain/conversation.h"
#include "domain/env.h"
#include "domain/settings.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* THE state table. */
static const struct state states[] = {
    {"service", BC_NLU_EXPECT_SERVICE, bc__chat_prompt_service},
    {"provider", BC_NLU_EXPECT_PROVIDER, bc__chat_prompt_provider},
    {"day", BC_NLU_EXPECT_DATE, bc__chat_prompt_day},
    {"time", BC_NLU_EXPECT_TIME, bc__chat_prompt_time},
    {"name", BC_NLU_EXPECT_NAME, bc__chat_prompt_name},
    {"contact", BC_NLU_EXPECT_CONTACT, bc__chat_prompt_contact},
    {"confirm", BC_NLU_EXPECT_CONFIRM, bc__chat_prompt_confirm},
    {"booked", BC_NLU_EXPECT_NONE, bc__chat_prompt_booked},
    /* cancel/reschedule: the booking code, the contact it was booked with, "shall I cancel/move it?" */
    {"code", BC_NLU_EXPECT_CODE, bc__chat_prompt_code},
    {"code_contact", BC_NLU_EXPECT_CONTACT, bc__chat_prompt_code_contact},
    {"target_confirm", BC_NLU_EXPECT_CONFIRM, bc__chat_prompt_target_confirm},
    {"handoff", BC_NLU_EXPECT_CONTACT, bc__chat_prompt_handoff},
};

const struct state *bc__chat_state(struct chat *c)
{
    const char *n = json_string_value(json_object_get(c->conv, "state"));
    for (size_t i = 0; n && i < sizeof states / sizeof states[0]; i++)
        if (strcmp(states[i].name, n) == 0) return &states[i];
    return &states[0];
}

const char *bc_chat_expect(json_t *conv)
{
    const char *n = json_string_value(json_object_get(conv, "state"));
    for (size_t i = 0; n && i < sizeof states / sizeof states[0]; i++)
        if (strcmp(states[i].name, n) == 0) return states[i].name;
    return states[0].name;
}

void bc__chat_set_state(struct chat *c, const char *name)
{
    json_object_set_new(c->conv, "state", json_string(name));
}

/* ---- slots ---- */

/* A change of service or professional keeps the day and time the customer chose, as a wish that
 * bc__chat_advance() tries again ("actually with Luis" keeps Tuesday at 10:30 if Luis is free then). */
void bc__chat_keep_time_as_wish(struct chat *c)
{
    int64_t t = 0;
    struct bc_tz_local l;
    const char *start = json_string_value(json_object_get(c->slots, "start"));
    if (!start || bc_time_parse_iso(start, &t) < 0 || bc_tz_from_utc(c->zone, t, &l) < 0) return;
    char hm[6];
    snprintf(hm, sizeof hm, "%02d:%02d", l.hour, l.minute);
    json_object_set_new(c->slots, "want_time", json_string(hm));
}

void bc__chat_clear_time(struct chat *c)
{
    json_t *hold = json_object_get(c->slots, "hold");
    /* the time the customer moved away from is free again for everyone (best effort: it expires anyway) */
    if (hold) bc_booking_hold_release(c->env, c->ctx, hold);
    slot_set(c, "start", NULL);
    slot_set(c, "slot_provider", NULL);
    json_object_del(c->slots, "hold");
    slot_set(c, "times_offset", NULL);
}

/* ---- setup ---- */

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
    const json_t *settings_item = NULL;
    int rc = bc_settings_item_ro(env, ctx, "GLOBAL", &settings_item); /* only read, like the catalogue */
    if (rc == 0) c->settings = bc_settings_view_ro(env, settings_item);
    bc_json_release(settings_item);
    if (rc == 0) rc = bc__chat_catalogue_open(c);
    if (rc < 0) return rc;
    c->zone = bc_settings_zone(c->settings);
    if (bc_tz_from_utc(c->zone, bc_now_s(), &c->now) < 0) return BC_EINTERNAL;
    if (!json_is_object(json_object_get(conv, "slots"))) json_object_set_new(conv, "slots", json_object());
    c->slots = json_object_get(conv, "slots");
    c->lang = json_string_value(json_object_get(conv, "lang"));
    return 0;
}

static void chat_close(struct chat *c)
{
    json_decref(c->pending);
    json_decref(c->settings);
    bc__chat_catalogue_close(c);
    json_decref(c->out);
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
            bc__chat_say(&c, g, NULL);
        else
            bc__chat_say(&c, T(&c, BC_T_HELLO), NULL);
        bc__chat_enter_flow(&c, "book");
        bc__chat_advance(&c);
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
            if (!bc__chat_apply_action(&c, action)) {
                bc__chat_say(&c, T(&c, BC_T_NOT_UNDERSTOOD), NULL);
                bc__chat_advance(&c);
            }
        } else {
            struct bc_nlu_result r;
            if (understood)
                r = *understood;
            else
                bc__chat_parse(&c, text, &r);
            bc__chat_understand(&c, text, &r);
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
