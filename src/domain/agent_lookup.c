/* The agent's tools that only read: the catalog (list_services, list_professionals), free times
 * (find_availability, which also records the offered slots that a booking may then use) and the business's
 * details (business_info). */
#include "domain/agent_internal.h"
#include "domain/nlp.h"
#include "domain/env.h"
#include "domain/availability.h"
#include "domain/chat.h"
#include "domain/chat_text.h"
#include "domain/schedule.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/tz.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SLOTS_RETURNED 40 /* slots one find_availability answers with */
#define MAX_RANGE_DAYS     14 /* days one find_availability may cover */
#define MAX_LIST_ITEMS     50 /* services / professionals one list answers with */

json_t *bc__agent_list_services(struct bc_agent *a, json_t *in)
{
    json_t *list = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(a->services, i, s)
    {
        if (i >= MAX_LIST_ITEMS) break;
        json_t *v =
            json_pack("{s:O, s:O}", "id", json_object_get(s, "id"), "name", json_object_get(s, "name"));
        for (const char *const *k =
                 (const char *const[]){"description", "duration_min", "price", "currency", NULL};
             *k; k++)
            if (json_object_get(s, *k) && !json_is_null(json_object_get(s, *k)))
                json_object_set(v, *k, json_object_get(s, *k));
        json_array_append_new(list, v);
    }
    return json_pack("{s:o, s:b}", "services", list, "more", json_array_size(a->services) > MAX_LIST_ITEMS);
}

json_t *bc__agent_list_professionals(struct bc_agent *a, json_t *in)
{
    const char *svc = S(in, "service_id");
    if (svc && !bc_nlp_catalog_find(a->services, svc))
        return bc__agent_tool_error("not_found", "no service with id %.64s", svc);
    json_t *list = json_array();
    size_t i, j;
    json_t *p, *x;
    json_array_foreach(a->providers, i, p)
    {
        bool offers = !svc;
        json_array_foreach(json_object_get(p, "service_ids"), j, x) offers |=
            svc && json_is_string(x) && !strcmp(json_string_value(x), svc);
        if (!offers || json_array_size(list) >= MAX_LIST_ITEMS) continue;
        json_array_append_new(list, json_pack("{s:O, s:O, s:O}", "id", json_object_get(p, "id"), "name",
                                              json_object_get(p, "name"), "service_ids",
                                              json_object_get(p, "service_ids")));
    }
    return json_pack("{s:o}", "professionals", list);
}

static bool in_part(struct bc_agent *a, int64_t t, const char *part)
{
    struct bc_tz_local l;
    if (!part || bc_tz_from_utc(a->zone, t, &l) < 0) return true;
    if (strcmp(part, "morning") == 0) return l.hour < 12;
    if (strcmp(part, "afternoon") == 0) return l.hour >= 12 && l.hour < 20;
    return l.hour >= 18;
}

json_t *bc__agent_find_availability(struct bc_agent *a, json_t *in)
{
    const char *svc = S(in, "service_id"), *pro = S(in, "provider_id"), *from = S(in, "from"),
               *to = S(in, "to"), *part = S(in, "part_of_day");
    int32_t d1, d2;
    char tobuf[11], msg[256] = "";
    if (bc_tz_date_parse(from, &d1) < 0)
        return bc__agent_tool_error("invalid_request", "from must be a date YYYY-MM-DD");
    if (to && bc_tz_date_parse(to, &d2) < 0)
        return bc__agent_tool_error("invalid_request", "to must be a date YYYY-MM-DD");
    if (!to) {
        d2 = d1 + 6;
        bc_tz_date_format(d2, tobuf);
        to = tobuf;
    }
    if (d2 < d1 || d2 - d1 + 1 > MAX_RANGE_DAYS)
        return bc__agent_tool_error("invalid_request", "to must be from from to from + %d days",
                                    MAX_RANGE_DAYS - 1);
    if (part && strcmp(part, "morning") && strcmp(part, "afternoon") && strcmp(part, "evening"))
        return bc__agent_tool_error("invalid_request", "part_of_day must be morning, afternoon or evening");
    if (pro && strcmp(pro, "any") == 0) pro = NULL;
    if (!bc_nlp_catalog_find(a->services, svc))
        return bc__agent_tool_error("not_found", "no service with id %.64s", svc);
    if (pro && !bc_nlp_catalog_find(a->providers, pro))
        return bc__agent_tool_error("not_found", "no professional with id %.64s", pro);
    struct bc_arena arena;
    struct bc_schedule sc;
    struct bc_availability_slot *slots = NULL;
    bc_arena_init(&arena);
    int rc = bc_schedule_load(a->env, a->ctx, svc, pro, from, to, NULL, NULL, bc_now_s(), &arena, &sc, msg,
                              sizeof msg);
    if (rc < 0) {
        bc_arena_release(&arena);
        return bc__agent_tool_error(bc_err_code(rc), "%s", msg[0] ? msg : bc_strerror(rc));
    }
    sc.q.max_slots = 2000;
    int n = sc.n_pros ? bc_availability_compute(&sc.q, sc.pros, sc.n_pros, &arena, &slots) : 0;
    json_t *list = json_array();
    bool more = false;
    for (int i = 0; i < n; i++) {
        if (i > 0 && slots[i].start == slots[i - 1].start) continue; /* one offer per time */
        if (!in_part(a, slots[i].start, part)) continue;
        if (json_array_size(list) >= MAX_SLOTS_RETURNED) {
            more = true;
            break;
        }
        char s1[BC_TZ_ISO_SIZE], s2[BC_TZ_ISO_SIZE];
        bc_tz_format_iso_offset(slots[i].start, slots[i].start_offset, s1, sizeof s1);
        bc_tz_format_iso_offset(slots[i].end, slots[i].end_offset, s2, sizeof s2);
        json_t *slot =
            json_pack("{s:s, s:s, s:s, s:s}", "start", s1, "end", s2, "provider_id", slots[i].pro_id,
                      "provider", bc__agent_name_of(a->providers, slots[i].pro_id));
        if (sc.q.capacity > 1) /* a group session: the places left, for the assistant to tell */
            json_object_set_new(slot, "seats_left", json_integer(slots[i].seats_left));
        json_array_append_new(list, slot);
        bc__agent_remember_offer(a, svc, slots[i].pro_id, s1);
    }
    json_t *outj = json_pack("{s:s, s:s, s:s, s:o, s:b}", "timezone", sc.q.zone ? sc.q.zone : a->zone, "from",
                             from, "to", to, "slots", list, "more", more);
    /* the public holidays the business is closed on in the range, by name, so the assistant can say why a
     * day has nothing (docs/holidays.md) */
    json_t *closed = json_array();
    for (int32_t d = d1; d <= d2; d++) {
        const char *name = NULL;
        char date[11];
        if (!bc_availability_holiday(&sc.q, d, &name) || !name) continue;
        bc_tz_date_format(d, date);
        json_array_append_new(closed, json_pack("{s:s, s:s}", "date", date, "holiday", name));
    }
    if (json_array_size(closed)) json_object_set(outj, "closed", closed);
    json_decref(closed);
    bc_schedule_release(&sc);
    bc_arena_release(&arena);
    if (n < 0) {
        json_decref(outj);
        return bc__agent_tool_error("invalid_request", "cannot compute availability for these dates");
    }
    return outj;
}

json_t *bc__agent_business_info(struct bc_agent *a, json_t *in)
{
    json_t *biz = json_object_get(a->settings, "business"), *bk = json_object_get(a->settings, "booking");
    char *hours = NULL, today[11], hm[6];
    bc_chat_hours_text(a->env, a->ctx, a->lang, &hours);
    bc_tz_date_format(a->now.day, today);
    bc_tz_hhmm_format(a->now.hour * 60 + a->now.minute, hm);
    json_t *o = json_pack(
        "{s:O, s:O, s:O, s:O, s:O, s:O, s:s, s:s, s:s, s:s, s:s, s:{s:O, s:O, s:O}}", "name",
        json_object_get(biz, "name"), "address", json_object_get(biz, "address"), "phone",
        json_object_get(biz, "phone"), "email", json_object_get(biz, "email"), "website",
        json_object_get(biz, "website"), "about", json_object_get(biz, "about"), "timezone", a->zone, "today",
        today, "weekday", bc_chat_weekday_name(a->lang, a->now.weekday), "time", hm, "opening_hours",
        hours ? hours : "", "policies", "min_notice_min", json_object_get(bk, "min_notice_min"),
        "max_days_ahead", json_object_get(bk, "max_days_ahead"), "cancel_window_min",
        json_object_get(bk, "cancel_window_min"));
    free(hours);
    return o ? o : bc__agent_tool_error("internal", "cannot describe the business");
}
