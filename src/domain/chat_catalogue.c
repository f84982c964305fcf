/* What the booking chat can offer: the tenant's active services and professionals in display order (and
 * the offline NLU's catalogue of their names), look-ups in them, and the free days and times of the flow's
 * service, in the customer's words and as quick replies. */
#include "domain/chat_internal.h"
#include "domain/availability.h"
#include "domain/entity.h"
#include "domain/schedule.h"
#include "domain/chat.h"
#include "domain/env.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/kept.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- catalogue ---- */

json_t *bc__chat_find(json_t *list, const char *id)
{
    size_t i;
    json_t *it;
    if (!id) return NULL;
    json_array_foreach(list, i,
                       it) if (strcmp(json_string_value(json_object_get(it, "id")), id) == 0) return it;
    return NULL;
}

const char *bc__chat_name_of(json_t *list, const char *id)
{
    const char *n = json_string_value(json_object_get(bc__chat_find(list, id), "name"));
    return n ? n : "?";
}

bool bc__chat_offers(json_t *provider, const char *service_id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(provider, "service_ids"), i,
                       v) if (strcmp(json_string_value(v), service_id) == 0) return true;
    return false;
}

/* Professionals offering a service (borrowed items, in display order of the list). */
size_t bc__chat_providers_for(struct chat *c, const char *service_id, json_t **out, size_t max)
{
    size_t n = 0, i;
    json_t *p;
    json_array_foreach(c->providers, i, p) if (n < max && bc__chat_offers(p, service_id)) out[n++] = p;
    return n;
}

/* ---- dates, times and slots ---- */

/* "martes 1 de diciembre" for a date string. */
void bc__chat_date_words(struct chat *c, const char *date, char *out, size_t size)
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
void bc__chat_when_words(struct chat *c, int64_t t, char *out, size_t size)
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
int bc__chat_free_slots(struct chat *c, const char *from, const char *to, struct bc_availability_slot **out,
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

/* Up to max local dates with free slots within the horizon, into dates[][11]. The horizon is computed a week
 * at a time and the search stops once max days are found: most calendars have them in the first week, and
 * the availability of three weeks was a fifth of a turn's cost. */
int bc__chat_days_with_slots(struct chat *c, char dates[][11], int max)
{
    struct chat_window win;
    bool windowed = bc__chat_window(c, &win); /* only days with a free time in the window asked for */
    int k = 0;
    for (int first = 0; first <= HORIZON_DAYS && k < max; first += 7) {
        char from[11], to[11];
        struct bc_schedule sc;
        struct bc_availability_slot *slots = NULL;
        today_plus(c, first, from);
        today_plus(c, first + 6 < HORIZON_DAYS ? first + 6 : HORIZON_DAYS, to);
        int n = bc__chat_free_slots(c, from, to, &slots, &sc);
        if (n < 0) return n;
        for (int i = 0; i < n && k < max; i++) {
            struct bc_tz_local l;
            if (windowed && !bc__chat_in_window(c, &win, slots[i].start)) continue;
            bc_tz_from_utc(c->zone, slots[i].start, &l);
            char d[11];
            bc_tz_date_format(l.day, d);
            if (k == 0 || strcmp(dates[k - 1], d) != 0) memcpy(dates[k++], d, 11);
        }
        bc_schedule_release(&sc);
    }
    return k;
}

json_t *bc__chat_day_options(struct chat *c, char dates[][11], int n)
{
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        int32_t d;
        int y, m, dd;
        char label[40];
        bc_tz_date_parse(dates[i], &d);
        bc_tz_date_to_ymd(d, &y, &m, &dd);
        bc_chat_format_date_short(c->lang, m, dd, bc_tz_weekday(d), label, sizeof label);
        bc__chat_qr(list, label, "day:%s", dates[i]);
    }
    bc__chat_qr(list, T(c, BC_T_L_OTHER_DAY), "other_day");
    return list;
}

/* The stretch of the day a part covers, in minutes since midnight: [*lo, *hi). */
static void part_bounds(const char *part, int *lo, int *hi)
{
    *lo = 0;
    *hi = 24 * 60;
    if (!part) return;
    if (strcmp(part, "morning") == 0)
        *hi = 12 * 60;
    else if (strcmp(part, "afternoon") == 0)
        *lo = 12 * 60, *hi = 20 * 60;
    else
        *lo = 18 * 60; /* evening */
}

bool bc__chat_in_part(struct chat *c, int64_t t, const char *part)
{
    struct bc_tz_local l;
    int lo, hi;
    if (!part || bc_tz_from_utc(c->zone, t, &l) < 0) return true;
    part_bounds(part, &lo, &hi);
    return l.hour * 60 + l.minute >= lo && l.hour * 60 + l.minute < hi;
}

bool bc__chat_window(struct chat *c, struct chat_window *w)
{
    json_t *o = json_object_get(c->slots, "window");
    if (!json_is_object(o)) return false;
    w->from = (int)json_integer_value(json_object_get(o, "from"));
    w->to = (int)json_integer_value(json_object_get(o, "to"));
    const char *pick = json_string_value(json_object_get(o, "pick"));
    w->pick = pick && strcmp(pick, "last") == 0    ? BC_NLU_PICK_LAST
              : pick && strcmp(pick, "first") == 0 ? BC_NLU_PICK_FIRST
                                                   : BC_NLU_PICK_ANY;
    /* an open end is the part of the day's (or the day's) */
    part_bounds(slot(c, "part"), &w->lo, &w->hi);
    if (w->from >= 0) w->lo = w->from;
    if (w->to >= 0) w->hi = w->to;
    return w->lo < w->hi;
}

bool bc__chat_in_window(struct chat *c, const struct chat_window *w, int64_t t)
{
    struct bc_tz_local l;
    if (!w || bc_tz_from_utc(c->zone, t, &l) < 0) return true;
    return l.hour * 60 + l.minute >= w->lo && l.hour * 60 + l.minute < w->hi;
}

void bc__chat_set_window(struct chat *c, const struct bc_nlu_result *r)
{
    int from = r->window_from, to = r->window_to;
    enum bc_nlu_pick pick = r->window_pick;
    if (!r->has_window) { /* a duration from now: the earliest free time from then on */
        from = r->hour * 60 + r->minute;
        to = -1;
        pick = BC_NLU_PICK_FIRST;
    }
    json_object_set_new(c->slots, "window",
                        json_pack("{s:i, s:i, s:s}", "from", from, "to", to, "pick",
                                  pick == BC_NLU_PICK_LAST    ? "last"
                                  : pick == BC_NLU_PICK_FIRST ? "first"
                                                              : "any"));
}

void bc__chat_window_words(struct chat *c, const struct chat_window *w, char *out, size_t size)
{
    char a[20], b[20];
    bool en = strncmp(c->lang, "en", 2) == 0;
    if (w->from >= 0) bc_chat_format_time(c->lang, w->from / 60, w->from % 60, a, sizeof a);
    if (w->to >= 0) bc_chat_format_time(c->lang, w->to / 60, w->to % 60, b, sizeof b);
    if (w->from >= 0 && w->to >= 0)
        snprintf(out, size, en ? "between %s and %s" : "entre las %s y las %s", a, b);
    else if (w->from >= 0)
        snprintf(out, size, en ? "from %s on" : "a partir de las %s", a);
    else if (w->to >= 0)
        snprintf(out, size, en ? "before %s" : "antes de las %s", b);
    else if (w->pick == BC_NLU_PICK_LAST)
        snprintf(out, size, "%s", en ? "late in the day" : "a última hora");
    else
        snprintf(out, size, "%s", en ? "first thing" : "a primera hora");
}

void bc__chat_slot_payload(char *out, size_t size, struct bc_availability_slot *s)
{
    char iso[BC_TZ_ISO_SIZE];
    bc_tz_format_iso_offset(s->start, s->start_offset, iso, sizeof iso);
    snprintf(out, size, "%s|%s", iso, s->pro_id);
}

/* ---- the active catalogue ---- */

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
int bc__chat_active(struct chat *c, const char *kind, json_t **out)
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

void bc__chat_add_to_catalog(struct bc_nlu_catalog *cat, enum bc_nlu_kind kind, json_t *list)
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

/* ---- the catalogue kept between turns ----
 * Reading the active services and professionals and compiling the NLU's catalogue of their names was 6-7 %
 * of a fsm turn; both are a function of the tenant's SERVICE and PROVIDER items alone. So each env keeps the
 * last ones built per tenant (util/kept.h), with the store generation read before their items were:
 * a turn takes them while bc_entity_unchanged says no item of either kind was written since (LMDB's write
 * marks: only this process's own commits, none of those kinds), and builds and keeps new ones otherwise
 * (any commit of another process, any other backend). The catalogue is read only once built (nlu.h), and
 * each turn holds a reference, so a replaced one lives until its last turn is done. */

#define KEPT_SLOTS 256

struct bc__chat_catalogue {
    atomic_int refs;
    json_t *services, *providers;
    struct bc_nlu_catalog *cat;
};

static void catalogue_ref(void *v)
{
    atomic_fetch_add(&((struct bc__chat_catalogue *)v)->refs, 1);
}

static void catalogue_release(void *v)
{
    struct bc__chat_catalogue *cc = v;
    if (!cc || atomic_fetch_sub(&cc->refs, 1) != 1) return;
    json_decref(cc->services);
    json_decref(cc->providers);
    bc_nlu_catalog_free(cc->cat);
    free(cc);
}

struct bc_kept *bc__chat_catalogues_new(void)
{
    return bc_kept_new(KEPT_SLOTS, catalogue_ref, catalogue_release);
}

/* A new catalogue (one reference) of the tenant's items as they are now, or a negative bc_err. */
static int catalogue_build(struct chat *c, struct bc__chat_catalogue **out)
{
    struct bc__chat_catalogue *cc = calloc(1, sizeof *cc);
    *out = NULL;
    if (!cc) return BC_ENOMEM;
    atomic_init(&cc->refs, 1);
    int rc = bc__chat_active(c, "SERVICE", &cc->services);
    if (rc == 0) rc = bc__chat_active(c, "PROVIDER", &cc->providers);
    if (rc == 0 && !(cc->cat = bc_nlu_catalog_new())) rc = BC_ENOMEM;
    if (rc < 0) {
        catalogue_release(cc);
        return rc;
    }
    bc__chat_add_to_catalog(cc->cat, BC_NLU_SERVICE, cc->services);
    bc__chat_add_to_catalog(cc->cat, BC_NLU_PROVIDER, cc->providers);
    *out = cc;
    return 0;
}

int bc__chat_catalogue_open(struct chat *c)
{
    struct bc_kept *k = c->env->catalogues;
    const char *tenant = c->ctx->tenant_id;
    uint64_t snap = 0, now_s = 0, now_p = 0;
    struct bc__chat_catalogue *cc = bc_kept_get(k, tenant, &snap);
    if (cc && bc_entity_unchanged(c->env, c->ctx, "SERVICE", snap, &now_s) &&
        bc_entity_unchanged(c->env, c->ctx, "PROVIDER", snap, &now_p)) {
        bc_kept_checked(k, tenant, cc, now_s < now_p ? now_s : now_p);
    } else {
        catalogue_release(cc);
        /* the generation first: a write after it, even while the items are read, shows at the next check */
        snap = bc_store_generation(c->env->store);
        int rc = catalogue_build(c, &cc);
        if (rc < 0) return rc;
        bc_kept_put(k, tenant, cc, snap);
    }
    c->kept = cc;
    c->services = cc->services;
    c->providers = cc->providers;
    c->cat = cc->cat;
    return 0;
}

void bc__chat_catalogue_close(struct chat *c)
{
    catalogue_release(c->kept);
    c->kept = NULL;
    c->services = c->providers = NULL;
    c->cat = NULL;
}
