/* Metering: per-tenant counters per UTC day and month (messages, bookings, cancellations, conversations and
 * those that ended in a booking, hand-offs, AI tokens by model, requests and their peak per minute, errors
 * by code, origins seen), aggregated in memory and flushed to the store as atomic adds every few seconds;
 * and the plan's monthly limits checked against them, exactly at the boundary within one env. Counting and
 * limits: usage_meter.c; the flush: usage_flush.c; reading: usage.c (they share usage_internal.h).
 * docs/metering.md explains the design, what a crash can lose and the tolerance across processes.
 *
 * DESIGN NOTES
 * - Items (PK TENANT#<id>): USAGE#<YYYY-MM> (month totals), USAGE#<YYYY-MM-DD> (one day, ttl 400 days),
 *   USAGERPM#<YYYY-MM-DDTHH> (requests per minute of one hour, attributes m00..m59, ttl 2 days: only to
 *   find the peak), USAGE#STATE (last activity, hand-offs waiting for an answer). Periods are UTC.
 * - The meter (struct bc_usage_meter) belongs to an env, one per store: two stores in one process (a
 *   dedicated environment, a migration's destination) count and flush apart. bc_env_new creates it,
 *   bc_env_free releases it with whatever is still unflushed (flush first).
 * - Nothing is written on a request: each env sums deltas in memory per tenant and UTC day, and
 *   bc_usage_flush writes them with unconditional atomic adds, so any number of processes add up exactly.
 *   A failed flush keeps its deltas for the next one; a part already written (hour, day, month) is never
 *   written twice.
 * - peak_rpm is a maximum, which adds cannot express: each flush adds its per-minute counts to the hour
 *   item, reads the global minute totals from the update's result, and raises the day's and month's
 *   peak_rpm with a write conditioned on the item's version (retried on a race), so it only ever grows.
 * - Limits: per tenant the month's count as last read from the store ("stored", refreshed at most every
 *   second and after each flush from the update's result) plus this env's increments not yet flushed.
 *   A take checks and counts under one lock, so within an env the boundary is exact. A refresh read is
 *   only accepted when no flush of that month ran meanwhile (a generation counter), so nothing is counted
 *   twice or missed. */
#ifndef BC_USAGE_H
#define BC_USAGE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct bc_env;
struct bc_store;

enum bc_usage_counter {
    /* limited by the plan, per month */
    BC_USAGE_MESSAGES = 0, /* customer chat messages (messages_month) */
    BC_USAGE_BOOKINGS,     /* bookings created (bookings_month) */
    BC_USAGE_AI_TOKENS,    /* AI tokens, input + output (ai_tokens_month); fed by bc_usage_ai */
    /* counted only */
    BC_USAGE_CANCELLATIONS,
    BC_USAGE_CONVERSATIONS,        /* chat conversations started */
    BC_USAGE_CONVERSATIONS_BOOKED, /* conversations in which a booking was made */
    BC_USAGE_HANDOFFS,             /* hand-offs to a person requested (one more waiting for an answer) */
    BC_USAGE_HANDOFFS_ANSWERED,    /* hand-offs marked handled by staff (-1: reopened) */
    BC_USAGE_REQUESTS,             /* API requests with this tenant's credentials (bc_usage_request) */
    BC_USAGE_ERRORS_4XX,
    BC_USAGE_ERRORS_5XX,
    BC_USAGE_AI_TOKENS_IN,
    BC_USAGE_AI_TOKENS_OUT,
    BC_USAGE_AI_CALLS,
    BC_USAGE_VISITOR_LIMITED, /* widget requests refused by a per-visitor limit (domain/visitor.h) */
    BC_USAGE_EMAILS,          /* e-mails delivered (domain/dispatch.c) */
    BC_USAGE_WEBHOOKS,        /* webhook calls delivered */
    BC_USAGE__COUNT
};
#define BC_USAGE__LIMITED 3 /* the first three are the limited ones */

/* The attribute name of a counter in the usage items and the API ("messages", "ai_tokens_in" …). */
const char *bc_usage_name(enum bc_usage_counter c);

/* ---- counting (never blocks on the store, except a take's refresh read) ---- */

/* Every counting and limit call counts in env's meter (env->usage) and reads env's store. */

/* Counts n (may be negative: a reservation given back) for the tenant today. Unknown ids are ignored. */
void bc_usage_add(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c, int64_t n);
/* Reserves n units of a limited counter against limit (per month; BC_UNLIMITED: no check): 0 when they fit
 * (they are counted at once: give them back with bc_usage_add(env, …, -n) if the action fails), BC_EPLAN when
 * they do not (nothing counted), or a store error when the month's count could never be read. For a
 * counter that is not limited this is bc_usage_add. */
int bc_usage_take(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c, int64_t n,
                  int64_t limit);
/* 0 while the month's count is below limit, BC_EPLAN once it has reached it; counts nothing. For budgets
 * spent after the fact (AI tokens: check before a call, count its usage after). */
int bc_usage_check(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c, int64_t limit);
/* The month's count of a limited counter as this env knows it (stored + not yet flushed), refreshed
 * like a take's. 0 or a store error. */
int bc_usage_month_count(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c, int64_t *out);
/* The same against the tenant's effective limits (tenant: its META item, with "id", plan and overrides). */
int bc_usage_take_plan(struct bc_env *env, const json_t *tenant, enum bc_usage_counter c, int64_t n);
int bc_usage_check_plan(struct bc_env *env, const json_t *tenant, enum bc_usage_counter c);
/* False when the month's AI token budget is spent (or the plan has none): the AI modes then answer in
 * fsm mode. */
bool bc_usage_ai_budget_left(struct bc_env *env, const json_t *tenant);
/* One LLM call's tokens for the tenant (the chat turn's budget calls it, domain/aibudget.h): AI tokens
 * in/out, by model ("<provider>/<model>"), and calls. */
void bc_usage_ai(struct bc_env *env, const char *tenant_id, const char *model, long tokens_in,
                 long tokens_out);
/* One finished HTTP request of the tenant: requests (and the minute, for the peak), errors by class and
 * code (status >= 400; code is the API error code, NULL: "http_<status>"), the verified Origin (NULL:
 * none), and the tenant's last activity. */
void bc_usage_request(struct bc_env *env, const char *tenant_id, int status, const char *code,
                      const char *origin);

/* Writes every tenant's pending deltas of env's meter to env's store (one flusher at a time; serve calls
 * it every usage_flush_interval seconds and at shutdown). Returns the number of items written, or the first
 * store error (the deltas that failed stay pending for the next flush). */
int bc_usage_flush(struct bc_env *env);

struct bc_usage_stats {
    uint64_t flushes, flush_errors, items_written;
    long tenants; /* tenants held in memory */
};
/* The flush statistics and tenants held of env's meter (all zeros when env is NULL). */
void bc_usage_stats(struct bc_env *env, struct bc_usage_stats *out);
/* This env's view of a limited counter this month (stored + unflushed), -1 when not loaded. Tests. */
int64_t bc_usage_estimate(struct bc_env *env, const char *tenant_id, enum bc_usage_counter c);

/* The meter of an env (env.c): new, NULL when out of memory; free, NULL-safe (drops the counts not yet
 * flushed: flush first). */
struct bc_usage_meter;
struct bc_usage_meter *bc__usage_meter_new(void);
void bc__usage_meter_free(struct bc_usage_meter *um);

/* ---- reading ---- */

/* Validates "YYYY-MM" (years 2000-2999) into out; NULL or "" gives the current UTC month. 0 or
 * BC_EINVALID. */
int bc_usage_month_parse(const char *s, char out[8]);
/* The usage of a month for the dashboard: {"tenant_id","month","timezone":"UTC","totals":{…},
 * "days":[{"date",…}] (1st to the last day, or to today in the current month), "limits":{…},
 * "used_pct":{"messages","bookings","ai_tokens"} (null when unlimited or not in the plan),
 * "limit_reached":{"messages","bookings","ai_tokens"} (true: new ones are refused; for AI tokens the chat
 * answers in fsm mode)}. tenant: the META item. *out: caller decrefs. */
int bc_usage_report(struct bc_env *env, const json_t *tenant, const char *month, json_t **out);
/* The month's totals (the "totals" object of the report; zeros when nothing was counted). */
int bc_usage_month_totals(struct bc_env *env, const char *tenant_id, const char *month, json_t **out);
/* Sums of the plain counters over the last `days` UTC days including today: {"messages": n, …}. */
int bc_usage_recent(struct bc_env *env, const char *tenant_id, int days, json_t **out);
/* The tenant's last activity (epoch seconds, 0: none recorded) and hand-offs waiting for an answer. */
int bc_usage_state(struct bc_env *env, const char *tenant_id, int64_t *last_active_s, int64_t *handoffs_open);

#endif
