/* The tenant health score: 0 (needs help now) to 100 (fine), with the reasons, so the operator sees who
 * to help first. Seven factors each take off up to a fixed number of points; docs/metering.md has the
 * table. The factors are pure functions of struct bc_health_in (unit-tested one by one); bc_health_gather
 * fills it from the store (usage of the last 7 days and of the month, last activity, hand-offs, widget
 * keys, widget requests refused by the per-visitor limits). */
#ifndef BC_HEALTH_H
#define BC_HEALTH_H
#include <jansson.h>
#include <stdint.h>

struct bc_env;
struct bc_store;

#define BC_HEALTH_WINDOW_DAYS 7

struct bc_health_in {
    int64_t now_s;
    /* the last BC_HEALTH_WINDOW_DAYS UTC days, today included */
    int64_t requests, errors_4xx, errors_5xx;
    int64_t conversations, conversations_booked;
    /* this month against the plan: messages, bookings, AI tokens (limit BC_UNLIMITED: none) */
    int64_t used[3], limit[3];
    int64_t last_active_s; /* 0: no activity recorded */
    int64_t created_s;     /* the tenant's creation */
    int active_keys;       /* widget keys that work (active or rotated within their grace) */
    int64_t oldest_key_s;  /* creation of the oldest active key (0: none) */
    int64_t handoffs_open; /* hand-offs waiting for an answer */
    /* widget requests refused by a per-visitor limit in the window (abuse, domain/visitor.h) */
    int64_t visitor_limited;
    /* the professionals' external calendars (domain/extcal.h): how many, and how many fail for over an hour
     */
    int calendars, calendars_failing;
};

struct bc_health_factor {
    const char *factor; /* "error_rate", "booking_conversion", "plan_limits", "inactivity", "api_key_age",
                           "handoffs", "abuse", "calendars" */
    int penalty;        /* points taken off, 0..max */
    int max;
    double value;     /* the measured value (a share, a count or days); NAN when not measurable */
    char detail[200]; /* one sentence for the operator */
};

/* One function per factor: each fills f and returns f->penalty. */
int bc_health_error_rate(const struct bc_health_in *in, struct bc_health_factor *f);
int bc_health_booking_conversion(const struct bc_health_in *in, struct bc_health_factor *f);
int bc_health_plan_limits(const struct bc_health_in *in, struct bc_health_factor *f);
int bc_health_inactivity(const struct bc_health_in *in, struct bc_health_factor *f);
int bc_health_api_key_age(const struct bc_health_in *in, struct bc_health_factor *f);
int bc_health_calendars(const struct bc_health_in *in, struct bc_health_factor *f);
int bc_health_handoffs(const struct bc_health_in *in, struct bc_health_factor *f);
/* Abuse seen recently: widget requests refused by the per-visitor limits (domain/visitor.h). */
int bc_health_abuse(const struct bc_health_in *in, struct bc_health_factor *f);

/* The score (100 minus the penalties, at least 0) and, when out is not NULL, the JSON
 * {"score", "reasons":[{"factor","penalty","max","value","detail"}, …] (penalised factors, worst first),
 * "factors":{"error_rate":{…}, …}} (caller decrefs). */
int bc_health_score(const struct bc_health_in *in, json_t **out);
/* Fills in from the store for a tenant META item. 0 or a store error. */
int bc_health_gather(struct bc_env *env, const json_t *tenant, struct bc_health_in *in);
/* gather + score: *out as bc_health_score's. */
int bc_health_tenant(struct bc_env *env, const json_t *tenant, json_t **out);
/* Every tenant that is not deleted, worst first: *out = [{"tenant_id","name","plan","status","score",
 * "reasons"}] (caller decrefs). Reads about four items per tenant. */
int bc_health_all(struct bc_env *env, json_t **out);

#endif
