/* The agent's guard rails kept on the conversation between turns (in a->state): the slots that
 * find_availability offered (only those can be booked) and the write awaiting the customer's yes (the
 * pending action, with the hold on its slot). */
#include "domain/agent_internal.h"
#include "util/clock.h"

#include <string.h>

#define MAX_OFFERED 120 /* slots remembered per conversation */

void bc__agent_remember_offer(struct bc_agent *a, const char *service_id, const char *provider_id,
                              const char *start)
{
    json_t *offered = json_object_get(a->state, "offered");
    if (!json_is_array(offered)) {
        offered = json_array();
        json_object_set_new(a->state, "offered", offered);
    }
    size_t i;
    json_t *o;
    json_array_foreach(offered, i, o) if (!strcmp(S(o, "service_id"), service_id) &&
                                          !strcmp(S(o, "provider_id"), provider_id) &&
                                          !strcmp(S(o, "start"), start)) return;
    json_array_append_new(offered, json_pack("{s:s, s:s, s:s}", "service_id", service_id, "provider_id",
                                             provider_id, "start", start));
    while (json_array_size(offered) > MAX_OFFERED) json_array_remove(offered, 0);
}

/* The offered slot of service at start (the same instant, whatever offset it is written with), with
 * provider (NULL or "any": any professional); NULL when find_availability never returned it. */
json_t *bc__agent_offered_slot(struct bc_agent *a, const char *service_id, const char *provider,
                               const char *start)
{
    int64_t t, u;
    if (bc_time_parse_iso(start, &t) < 0) return NULL;
    bool any = !provider || strcmp(provider, "any") == 0;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(a->state, "offered"), i, o)
    {
        if (strcmp(S(o, "service_id"), service_id) != 0) continue;
        if (!any && strcmp(S(o, "provider_id"), provider) != 0) continue;
        if (bc_time_parse_iso(S(o, "start"), &u) == 0 && u == t) return o;
    }
    return NULL;
}

/* True when this call confirms the pending action: the same tool with the same arguments, recorded in the
 * previous turn (whose answer showed its summary), and the customer's message of this turn says yes. */
bool bc__agent_confirmed(struct bc_agent *a, const char *tool, json_t *args)
{
    json_t *p = json_object_get(a->state, "pending");
    return json_is_object(p) && a->customer_yes && S(p, "tool") && strcmp(S(p, "tool"), tool) == 0 &&
           json_integer_value(json_object_get(p, "turn")) == a->turn - 1 &&
           json_equal(json_object_get(p, "args"), args);
}

json_t *bc__agent_ask_confirmation(struct bc_agent *a, const char *tool, json_t *args, json_t *hold,
                                   const char *summary)
{
    json_t *p = json_pack("{s:s, s:O, s:I}", "tool", tool, "args", args, "turn", a->turn);
    if (hold) json_object_set(p, "hold", hold);
    json_object_set_new(a->state, "pending", p);
    json_decref(a->confirm);
    a->confirm = json_pack("{s:s, s:s}", "action", tool, "summary", summary);
    return json_pack("{s:s, s:s, s:s}", "status", "confirmation_required", "summary", summary, "next",
                     "Show this summary to the customer and ask them to confirm. Only after they say yes, "
                     "call this tool again with exactly the same arguments.");
}

void bc__agent_clear_pending(struct bc_agent *a)
{
    json_object_del(a->state, "pending");
    json_decref(a->confirm);
    a->confirm = NULL;
}
