/* Plans as data, with a short cache per env (5 s) so a widget request does not read its plan every time;
 * an operator's edit reaches every process within that time. */
#include "domain/plan.h"
#include "domain/fields.h"
#include "domain/env.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MS 5000

/* the seed's section 9, with the operational numbers we add: rate limits and the AI token budget */
static const char *const defaults[] = {
    "{\"name\":\"FREE\",\"messages_month\":500,\"bookings_month\":50,\"providers\":1,\"ai_modes\":[\"fsm\"],"
    "\"ai_tokens_month\":0,\"rate_per_s\":5,\"burst\":20,\"price_usd\":0}",
    "{\"name\":\"PRO\",\"messages_month\":20000,\"bookings_month\":2000,\"providers\":3,\"ai_modes\":["
    "\"fsm\","
    "\"nlp\"],\"ai_tokens_month\":2000000,\"rate_per_s\":20,\"burst\":60,\"price_usd\":49}",
    "{\"name\":\"BUSINESS\",\"messages_month\":100000,\"bookings_month\":10000,\"providers\":10,\"ai_modes\":"
    "["
    "\"fsm\",\"nlp\",\"agent\"],\"ai_tokens_month\":5000000,\"rate_per_s\":50,\"burst\":150,\"price_usd\":"
    "149}",
    "{\"name\":\"ENTERPRISE\",\"messages_month\":null,\"bookings_month\":null,\"providers\":50,\"ai_modes\":["
    "\"fsm\",\"nlp\",\"agent\"],\"ai_tokens_month\":null,\"rate_per_s\":200,\"burst\":500,\"price_usd\":399}",
};

static const struct bc_jfield plan_fields[] = {
    {"name", BC_J_STRING, 0, 1, 32},
    {"messages_month", BC_J_INT, BC_JF_NULLABLE, 0, 1000000000000LL},
    {"bookings_month", BC_J_INT, BC_JF_NULLABLE, 0, 1000000000000LL},
    {"providers", BC_J_INT, BC_JF_NULLABLE, 0, 100000},
    {"ai_modes", BC_J_ARRAY, 0, 1, 3},
    {"ai_tokens_month", BC_J_INT, BC_JF_NULLABLE, 0, 1000000000000LL},
    {"rate_per_s", BC_J_NUMBER, 0, 1, 100000},
    {"burst", BC_J_NUMBER, 0, 1, 1000000},
    {"price_usd", BC_J_NUMBER, 0, 0, 1000000},
    {NULL},
};

static const struct bc_jfield override_fields[] = {
    {"messages_month", BC_J_INT, BC_JF_NULLABLE, 0, 1000000000000LL},
    {"bookings_month", BC_J_INT, BC_JF_NULLABLE, 0, 1000000000000LL},
    {"providers", BC_J_INT, BC_JF_NULLABLE, 0, 100000},
    {"ai_tokens_month", BC_J_INT, BC_JF_NULLABLE, 0, 1000000000000LL},
    {"rate_per_s", BC_J_NUMBER, 0, 1, 100000},
    {"burst", BC_J_NUMBER, 0, 1, 1000000},
    {NULL},
};

/* The plans recently read from one env's store, by name (a handful exist; operators rarely add more). */
struct bc_plan_cache {
    pthread_mutex_t mu;
    struct {
        char name[33];
        json_t *plan;
        int64_t at_ms;
    } e[16];
};

struct bc_plan_cache *bc__plan_cache_new(void)
{
    struct bc_plan_cache *c = calloc(1, sizeof *c);
    if (c) pthread_mutex_init(&c->mu, NULL);
    return c;
}

void bc_plan_cache_clear(struct bc_env *env)
{
    struct bc_plan_cache *c = env->plans;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < sizeof c->e / sizeof c->e[0]; i++) {
        json_decref(c->e[i].plan);
        c->e[i].plan = NULL;
        c->e[i].name[0] = '\0';
    }
    pthread_mutex_unlock(&c->mu);
}

void bc__plan_cache_free(struct bc_plan_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i < sizeof c->e / sizeof c->e[0]; i++) json_decref(c->e[i].plan);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

unsigned bc_ai_mode_parse(const char *s)
{
    if (!s) return 0;
    if (strcmp(s, "fsm") == 0) return BC_AI_FSM;
    if (strcmp(s, "nlp") == 0) return BC_AI_NLP;
    if (strcmp(s, "agent") == 0) return BC_AI_AGENT;
    return 0;
}

static bool name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > 32) return false;
    for (const char *p = name; *p; p++)
        if (!(isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_')) return false;
    return true;
}

static json_t *api_view(json_t *item)
{
    json_t *o = json_deep_copy(item);
    json_object_del(o, "PK");
    json_object_del(o, "SK");
    return o;
}

int bc_plan_ensure_defaults(struct bc_env *env)
{
    struct bc_store *s = bc_env_dir(env); /* plans are the directory's */
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        json_t *p = json_loads(defaults[i], 0, NULL);
        char sk[BC_KEY_SIZE];
        if (!p) return BC_ENOMEM;
        bc_key_sk(sk, "PLAN", json_string_value(json_object_get(p, "name")));
        json_object_set_new(p, "PK", json_string(BC_KEY_PLATFORM));
        json_object_set_new(p, "SK", json_string(sk));
        struct bc_cond c = {BC_COND_NOT_EXISTS, 0};
        int rc = bc_store_put(s, p, &c);
        json_decref(p);
        if (rc < 0 && rc != BC_ECOND) return rc;
    }
    return 0;
}

int bc_plan_get(struct bc_env *env, const char *name, json_t **out)
{
    struct bc_store *s = bc_env_dir(env); /* plans are the directory's */
    char sk[BC_KEY_SIZE];
    *out = NULL;
    if (!name_ok(name) || !bc_key_sk(sk, "PLAN", name)) return BC_ENOT_FOUND;
    int64_t now = bc_now_ms();
    struct bc_plan_cache *c = env->plans;
    size_t nc = sizeof c->e / sizeof c->e[0];
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < nc; i++) {
        if (c->e[i].plan && strcmp(c->e[i].name, name) == 0 && now - c->e[i].at_ms < CACHE_MS) {
            *out = json_incref(c->e[i].plan);
            pthread_mutex_unlock(&c->mu);
            return 0;
        }
    }
    pthread_mutex_unlock(&c->mu);
    int rc = bc_store_get(s, BC_KEY_PLATFORM, sk, out);
    if (rc < 0) return rc;
    pthread_mutex_lock(&c->mu);
    size_t victim = 0;
    for (size_t i = 0; i < nc; i++) {
        if (strcmp(c->e[i].name, name) == 0 || !c->e[i].plan) {
            victim = i;
            break;
        }
        if (c->e[i].at_ms < c->e[victim].at_ms) victim = i;
    }
    json_decref(c->e[victim].plan);
    c->e[victim].plan = json_incref(*out);
    snprintf(c->e[victim].name, sizeof c->e[victim].name, "%s", name);
    c->e[victim].at_ms = now;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

bool bc_plan_exists(struct bc_env *env, const char *name)
{
    json_t *p = NULL;
    int rc = bc_plan_get(env, name, &p);
    json_decref(p);
    return rc == 0;
}

int bc_plan_list(struct bc_env *env, json_t **out)
{
    struct bc_store *s = bc_env_dir(env); /* plans are the directory's */
    struct bc_query q = {.pk = BC_KEY_PLATFORM, .sk_prefix = "PLAN#", .limit = 100};
    struct bc_query_result r;
    *out = NULL;
    int rc = bc_store_query(s, &q, &r);
    if (rc < 0) return rc;
    json_t *items = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(r.items, i, it) json_array_append_new(items, api_view(it));
    bc_query_result_release(&r);
    *out = items;
    return 0;
}

static int check_modes(json_t *modes, char *msg, size_t msgsize)
{
    size_t i;
    json_t *m;
    json_array_foreach(modes, i, m)
    {
        if (!bc_ai_mode_parse(json_string_value(m))) {
            snprintf(msg, msgsize, "ai_modes items must be \"fsm\", \"nlp\" or \"agent\"");
            return BC_EINVALID;
        }
    }
    return 0;
}

int bc_plan_put(struct bc_env *env, const char *name, json_t *body, char *msg, size_t msgsize, json_t **out)
{
    struct bc_store *s = bc_env_dir(env); /* plans are the directory's */
    char sk[BC_KEY_SIZE];
    *out = NULL;
    if (!name_ok(name) || !bc_key_sk(sk, "PLAN", name)) {
        snprintf(msg, msgsize, "plan names are 1-32 upper-case letters, digits or _");
        return BC_EINVALID;
    }
    int rc = bc_json_check(body, plan_fields, msg, msgsize);
    if (rc < 0) return rc;
    const char *required[] = {"messages_month",  "bookings_month", "providers", "ai_modes",
                              "ai_tokens_month", "rate_per_s",     "burst"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!json_object_get(body, required[i])) {
            snprintf(msg, msgsize, "field '%s' is required", required[i]);
            return BC_EINVALID;
        }
    }
    if ((rc = check_modes(json_object_get(body, "ai_modes"), msg, msgsize)) < 0) return rc;
    json_t *item = json_deep_copy(body);
    json_object_set_new(item, "name", json_string(name));
    json_object_set_new(item, "PK", json_string(BC_KEY_PLATFORM));
    json_object_set_new(item, "SK", json_string(sk));
    if (!json_object_get(item, "price_usd")) json_object_set_new(item, "price_usd", json_integer(0));
    rc = bc_store_put(s, item, NULL);
    if (rc == 0) *out = api_view(item);
    json_decref(item);
    bc_plan_cache_clear(env);
    return rc;
}

int bc_plan_check_overrides(json_t *limits, char *msg, size_t msgsize)
{
    return bc_json_check(limits, override_fields, msg, msgsize);
}

static int64_t limit_of(json_t *plan, json_t *over, const char *field)
{
    json_t *v = over ? json_object_get(over, field) : NULL;
    if (!v) v = json_object_get(plan, field);
    if (json_is_integer(v)) return json_integer_value(v);
    return BC_UNLIMITED; /* null (or absent) means unlimited */
}

static double number_of(json_t *plan, json_t *over, const char *field, double def)
{
    json_t *v = over ? json_object_get(over, field) : NULL;
    if (!json_is_number(v)) v = json_object_get(plan, field);
    return json_is_number(v) ? json_number_value(v) : def;
}

int bc_plan_limits(struct bc_env *env, const json_t *tenant, struct bc_limits *out)
{
    return bc_plan_limits_named(env, bc_field_str(tenant, BC_F_PLAN), json_object_get(tenant, "limits"), out);
}

int bc_plan_limits_named(struct bc_env *env, const char *name, const json_t *overrides, struct bc_limits *out)
{
    json_t *plan = NULL, *over = (json_t *)overrides; /* only read */
    int rc = bc_plan_get(env, name ? name : "FREE", &plan);
    if (rc == BC_ENOT_FOUND) rc = bc_plan_get(env, "FREE", &plan); /* a plan deleted under a tenant */
    if (rc < 0) return rc;
    out->messages_month = limit_of(plan, over, "messages_month");
    out->bookings_month = limit_of(plan, over, "bookings_month");
    out->providers = limit_of(plan, over, "providers");
    out->ai_tokens_month = limit_of(plan, over, "ai_tokens_month");
    out->rate_per_s = number_of(plan, over, "rate_per_s", 5);
    out->burst = number_of(plan, over, "burst", 20);
    out->ai_modes = 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(plan, "ai_modes"), i, m) out->ai_modes |=
        bc_ai_mode_parse(json_string_value(m));
    json_decref(plan);
    return 0;
}
