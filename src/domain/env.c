/* Creation and release of the domain environment (env.h): the store and its caches, built together so
 * that nothing cached for one store can be seen through another. */
#include "domain/env.h"
#include "domain/apikey.h"
#include "domain/calendar.h"
#include "domain/challenge.h"
#include "domain/chat.h"
#include "domain/plan.h"
#include "domain/settings.h"
#include "domain/usage.h"
#include "domain/visitor.h"
#include "util/kept.h"
#include "util/memo.h"

#include <stdlib.h>

/* sizes of the memos: date items of the professionals being booked, settings of the tenants being served */
#define DAY_SLOTS  1024
#define DAY_LOCKS  64
#define VIEW_SLOTS 256
#define VIEW_LOCKS 16

struct bc_env *bc_env_new(struct bc_store *store)
{
    struct bc_env *env = calloc(1, sizeof *env);
    if (!env) return NULL;
    env->store = store;
    env->retention_s = 30LL * 86400;
    env->plans = bc__plan_cache_new();
    env->days = bc_memo_new(DAY_SLOTS, DAY_LOCKS, bc__cal_day_free);
    env->views = bc_memo_new(VIEW_SLOTS, VIEW_LOCKS, bc__settings_view_free);
    env->touches = bc__key_touches_new();
    env->usage = bc__usage_meter_new();
    env->challenge = bc__challenge_rates_new();
    env->visitors = bc__visitor_watch_new();
    env->catalogues = bc__chat_catalogues_new();
    env->cal_ranges = bc__cal_ranges_new();
    if (!env->plans || !env->days || !env->views || !env->touches || !env->usage || !env->challenge ||
        !env->visitors || !env->catalogues || !env->cal_ranges) {
        bc_env_free(env);
        return NULL;
    }
    return env;
}

void bc_env_free(struct bc_env *env)
{
    if (!env) return;
    bc__plan_cache_free(env->plans);
    bc_memo_free(env->days);
    bc_memo_free(env->views);
    bc__key_touches_free(env->touches);
    bc__usage_meter_free(env->usage);
    bc__challenge_rates_free(env->challenge);
    bc__visitor_watch_free(env->visitors);
    bc_kept_free(env->catalogues);
    bc_kept_free(env->cal_ranges);
    free(env);
}
