/* The booking chat's waitlist (domain/waitlist.h): when a day, or the window of it the customer asked for,
 * has nothing free, the chat offers to join its waitlist; the flow then asks for the name and a contact it
 * does not have yet, joins with the conversation's id (so an offer also comes back here) and says so. */
#include "domain/chat_internal.h"
#include "domain/fields.h"
#include "domain/visitor.h"
#include "domain/waitlist.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

void bc__chat_waitlist_option(struct chat *c, json_t *list, const char *date, const char *window)
{
    int32_t d;
    if (!date || bc_tz_date_parse(date, &d) < 0 || !slot(c, "service_id")) return;
    bc__chat_qr(list, T(c, BC_T_L_WAITLIST), "waitlist:%s%s%s", date, window ? "|" : "",
                window ? window : "");
}

bool bc__chat_waitlist_enter(struct chat *c, const char *payload)
{
    char date[11] = "", from[6] = "", to[6] = "", svc[80], pro[80];
    int32_t d;
    int a = 0, b = 0;
    size_t n = strlen(payload);
    if (n != 10 && n != 22) return false;
    memcpy(date, payload, 10);
    if (bc_tz_date_parse(date, &d) < 0) return false;
    if (n == 22) {
        if (payload[10] != '|' || payload[16] != '|') return false;
        memcpy(from, payload + 11, 5);
        memcpy(to, payload + 17, 5);
        if (bc_waitlist_window(from, to, &a, &b) < 0) return false;
    }
    if (!slot(c, "service_id") || !bc__chat_find(c->services, slot(c, "service_id"))) return false;
    snprintf(svc, sizeof svc, "%s", slot(c, "service_id"));
    snprintf(pro, sizeof pro, "%s", slot(c, "provider_id") ? slot(c, "provider_id") : "any");
    bc__chat_enter_flow(c, "waitlist"); /* keeps the name and contact */
    slot_set(c, "service_id", svc);
    slot_set(c, "provider_id", pro);
    slot_set(c, "date", date);
    slot_set(c, "wl_from", from[0] ? from : NULL);
    slot_set(c, "wl_to", to[0] ? to : NULL);
    return true;
}

static void join(struct chat *c)
{
    char msg[256] = "", words[80];
    json_t *out = NULL;
    struct bc_waitlist_in in = {.service_id = slot(c, "service_id"),
                                .provider_id = slot(c, "provider_id"),
                                .date = slot(c, "date"),
                                .from = slot(c, "wl_from"),
                                .to = slot(c, "wl_to"),
                                .name = slot(c, "name"),
                                .email = slot(c, "email"),
                                .phone = slot(c, "phone"),
                                .lang = c->lang,
                                .conv_id = bc_field_str(c->conv, BC_F_ID),
                                .source = "chat"};
    /* a widget visitor's cap, as the widget's own route applies it (domain/visitor.h) */
    int rc = c->ctx->visitor
                 ? bc_visitor_take(c->env, c->ctx->tenant_id, BC_VL_WAITLIST_DAY, c->ctx->visitor, 0, 0, NULL)
                 : 0;
    if (rc == 0) rc = bc_waitlist_join(c->env, c->ctx, &in, msg, sizeof msg, &out);
    bc__chat_date_words(c, slot(c, "date"), words, sizeof words);
    if (rc == 0)
        bc__chat_sayf(c, NULL, BC_T_WAITLIST_JOINED, slot(c, "name"), words);
    else
        bc__chat_say(c, T(c, BC_T_WAITLIST_FAILED), NULL);
    json_decref(out);
    bc__chat_start_over(c, true);
    bc__chat_prompt_booked(c);
}

void bc__chat_waitlist_advance(struct chat *c)
{
    if (!slot(c, "date") || !slot(c, "service_id")) {
        bc__chat_enter_flow(c, "book");
        return bc__chat_advance(c);
    }
    if (!slot(c, "name")) return bc__chat_prompt_name(c);
    if (!slot(c, "email") && !slot(c, "phone")) return bc__chat_prompt_contact(c);
    join(c);
}
