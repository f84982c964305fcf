/* Schedules: a professional's weekly hours (SK "AVAIL#<provider>") and exceptions (SK
 * "EXC#<provider or ALL>#<from date>#<id>"), and the loading of everything the availability computation
 * needs for a set of professionals and a date range (rules, exceptions, busy intervals). */
#ifndef BC_SCHEDULE_H
#define BC_SCHEDULE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"
#include "domain/availability.h"
#include "util/arena.h"

struct bc_env;
struct bc_store;

/* {"weekly":[{"weekday","start","end"}…]} of a professional (empty when never set). BC_ENOT_FOUND when the
 * professional does not exist. */
int bc_hours_get(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, json_t **out);
/* Replaces the weekly hours; BC_EINVALID with msg on bad input. */
int bc_hours_put(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, json_t *body,
                 char *msg, size_t msgsize, json_t **out);

/* Exceptions: create from an API body {provider_id|null, from, to, kind, start, end, reason}. */
int bc_exception_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                        json_t **out);
/* All exceptions (filter: provider id, or NULL for all), as views. */
int bc_exception_list(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, json_t **items);
int bc_exception_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out);
int bc_exception_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id);

/* The most professionals one schedule holds when it loads every professional offering a service ("any"):
 * the first BC_PROVIDERS_MAX of the tenant are read. Plans may allow more (up to 100,000); availability and
 * booking with "any" then consider only these (docs/booking.md, "How many professionals"). */
#define BC_PROVIDERS_MAX 1000

/* Everything the availability computation needs, loaded for some professionals and local dates. All memory
 * comes from the arena. */
struct bc_schedule {
    struct bc_availability_query q;
    struct bc_availability_pro *pros;
    size_t n_pros; /* at most BC_PROVIDERS_MAX */
    /* Read-only (store.h: read-only reads; the items may be shared with the store's memo): read them, copy
     * what you keep (json_pack "O" of a value is fine: nothing modifies values in place). */
    const json_t *service; /* the service item (a reference; may be shared: read only) */
    json_t *settings;      /* tenant settings (a reference) */
    json_t *providers;     /* array of provider items, parallel to pros (a reference) */
    json_t *keep;          /* the items the pros' borrowed strings point into (owned) */
};

/* Loads the schedule of a service for professionals (provider_id, or NULL/"any" for every active one
 * offering the service) over local dates [from, to] in zone (NULL: the tenant's). ignore_busy: an entry id
 * (hold or booking) not counted as busy. Returns BC_ENOT_FOUND for an unknown/inactive service or
 * professional (msg says which), BC_EINVALID for a professional who does not offer the service. */
int bc_schedule_load(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                     const char *provider_id, const char *from, const char *to, const char *zone,
                     const char *ignore_busy, int64_t now, struct bc_arena *arena, struct bc_schedule *out,
                     char *msg, size_t msgsize);
void bc_schedule_release(struct bc_schedule *sc);
/* The zone of a professional item (its own, or the tenant's when null). */
const char *bc_provider_zone(json_t *provider, json_t *settings);

#endif
