/* Plans (PRODUCT.md section 6) as data the operator edits (PK "PLATFORM", SK "PLAN#<NAME>"), and the
 * effective limits of a tenant: its plan's, overridden field by field by the tenant's own "limits". */
#ifndef BC_PLAN_H
#define BC_PLAN_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct bc_env;
struct bc_store;

#define BC_UNLIMITED INT64_MAX

enum bc_ai_mode { BC_AI_FSM = 1, BC_AI_NLP = 2, BC_AI_AGENT = 4 };

struct bc_limits {
    int64_t messages_month; /* BC_UNLIMITED when null */
    int64_t bookings_month;
    int64_t providers;
    int64_t ai_tokens_month;
    unsigned ai_modes; /* bc_ai_mode bits */
    double rate_per_s; /* widget requests per second per API key */
    double burst;
};

/* Writes the four default plans that are missing (never overwrites the operator's edits). */
int bc_plan_ensure_defaults(struct bc_env *env);
/* The plan item (caller decrefs) or BC_ENOT_FOUND. Served from a 5-second cache. */
int bc_plan_get(struct bc_env *env, const char *name, json_t **out);
/* All plans, as API objects (caller decrefs). */
int bc_plan_list(struct bc_env *env, json_t **out);
/* Validates and replaces a plan's limits (name: upper-case letters/digits, created if new). On a bad
 * body returns BC_EINVALID with msg. *out: the stored plan as an API object (caller decrefs). */
int bc_plan_put(struct bc_env *env, const char *name, json_t *body, char *msg, size_t msgsize, json_t **out);
/* Validates a tenant's "limits" override object ({"messages_month": N|null, …}); 0 or BC_EINVALID. */
int bc_plan_check_overrides(json_t *limits, char *msg, size_t msgsize);
/* Effective limits of a tenant META item. */
int bc_plan_limits(struct bc_env *env, const json_t *tenant, struct bc_limits *out);
/* The same from the plan's name (NULL: FREE) and the tenant's "limits" overrides (NULL: none). */
int bc_plan_limits_named(struct bc_env *env, const char *name, const json_t *overrides,
                         struct bc_limits *out);
/* "fsm" | "nlp" | "agent" -> bit, 0 when unknown. */
unsigned bc_ai_mode_parse(const char *s);
/* True when name is an existing plan. */
bool bc_plan_exists(struct bc_env *env, const char *name);
/* Forget env's cached plans (after a plan is written into its store by other means, e.g. a migration;
 * edits by another process expire from the cache by themselves). */
void bc_plan_cache_clear(struct bc_env *env);
/* The cache of an env (env.c): new, NULL when out of memory; free, NULL-safe. */
struct bc_plan_cache;
struct bc_plan_cache *bc__plan_cache_new(void);
void bc__plan_cache_free(struct bc_plan_cache *c);

#endif
