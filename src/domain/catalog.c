/* Services and professionals.
 *
 * DESIGN NOTES
 * - The plan's professional limit is enforced with a counter item (SK "COUNT#PROVIDERS", with a version):
 *   a creation first wins a versioned increment of the counter, then writes the professional. Two
 *   concurrent creations at the limit cannot both win, across processes. The decision uses max(counter,
 *   actual count), so a counter that fell behind cannot let one too many through; a counter left ahead by a
 *   crash between the two writes is repaired when it is more than a minute old. */
#include "domain/catalog.h"
#include "domain/env.h"
#include "domain/entity.h"
#include "domain/extcal.h"
#include "domain/settings.h"
#include "domain/keys.h"
#include "domain/resource.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/tz.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct bc_jfield service_fields[] = {
    {"name", BC_J_STRING, 0, 1, 120},
    {"description", BC_J_STRING, BC_JF_NULLABLE | BC_JF_MULTILINE, 0, 1000},
    {"duration_min", BC_J_INT, 0, 5, 720},
    {"price", BC_J_NUMBER, BC_JF_NULLABLE, 0, 10000000},
    {"currency", BC_J_STRING, 0, 3, 3},
    {"buffer_before_min", BC_J_INT, 0, 0, 240},
    {"buffer_after_min", BC_J_INT, 0, 0, 240},
    {"active", BC_J_BOOL, 0, 0, 0},
    {"order", BC_J_INT, 0, 0, 100000},
    {"synonyms", BC_J_ARRAY, 0, 0, 20},
    {"capacity", BC_J_INT, 0, 1, BC_SERVICE_CAPACITY_MAX},
    {"resource_ids", BC_J_ARRAY, 0, 0, BC_RESOURCES_PER_SERVICE},
    {NULL},
};

static const struct bc_jfield provider_fields[] = {
    {"name", BC_J_STRING, 0, 1, 120},
    {"service_ids", BC_J_ARRAY, 0, 0, 200},
    {"timezone", BC_J_STRING, BC_JF_NULLABLE, 1, 64},
    {"active", BC_J_BOOL, 0, 0, 0},
    {"order", BC_J_INT, 0, 0, 100000},
    {"synonyms", BC_J_ARRAY, 0, 0, 20},
    {"email", BC_J_STRING, BC_JF_NULLABLE, 0, 120},
    {"bio", BC_J_STRING, BC_JF_NULLABLE | BC_JF_MULTILINE, 0, 1000},
    {"external_calendars", BC_J_ARRAY, 0, 0, 1000}, /* the limits: bc_extcal_check's own messages */
    {NULL},
};

static int check_synonyms(json_t *syn, char *msg, size_t msgsize)
{
    size_t i;
    json_t *v;
    json_array_foreach(syn, i, v)
    {
        if (!json_is_string(v) || bc_json_check_string(json_string_value(v), 1, 60, 0) < 0) {
            snprintf(msg, msgsize, "synonyms must be strings of 1 to 60 characters " BC_JSON_PLAIN_TEXT);
            return BC_EINVALID;
        }
    }
    return 0;
}

static int check_service(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, bool creating, char *msg,
                         size_t msgsize)
{
    int rc = bc_json_check(body, service_fields, msg, msgsize);
    if (rc < 0) return rc;
    if (creating && (!json_object_get(body, "name") || !json_object_get(body, "duration_min"))) {
        snprintf(msg, msgsize, "name and duration_min are required");
        return BC_EINVALID;
    }
    const char *cur = json_string_value(json_object_get(body, "currency"));
    if (cur && !(isupper((unsigned char)cur[0]) && isupper((unsigned char)cur[1]) &&
                 isupper((unsigned char)cur[2]))) {
        snprintf(msg, msgsize, "currency must be an ISO 4217 code such as EUR or USD");
        return BC_EINVALID;
    }
    if ((rc = check_synonyms(json_object_get(body, "synonyms"), msg, msgsize)) < 0) return rc;
    return bc_resource_check_service(env, ctx, body, msg, msgsize);
}

int bc_service_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                      json_t **out)
{
    char id[BC_ID_LEN + 1];
    *out = NULL;
    int rc = check_service(env, ctx, body, true, msg, msgsize);
    if (rc < 0) return rc;
    bc_id_new(id);
    json_t *item =
        json_pack("{s:s, s:n, s:i, s:s, s:i, s:i, s:b, s:i, s:[], s:i, s:[]}", "id", id, "description",
                  "price", 0, "currency", "EUR", "buffer_before_min", 0, "buffer_after_min", 0, "active", 1,
                  "order", 0, "synonyms", "capacity", 1, "resource_ids");
    json_object_update(item, body);
    rc = bc_entity_create(env, ctx, "SERVICE", item);
    if (rc == 0) *out = bc_entity_view(item);
    json_decref(item);
    return rc;
}

int bc_service_patch(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t *body, char *msg,
                     size_t msgsize, json_t **out)
{
    json_t *item = NULL;
    *out = NULL;
    int rc = check_service(env, ctx, body, false, msg, msgsize);
    if (rc < 0) return rc;
    json_t *set = json_deep_copy(body);
    rc = bc_entity_update(env, ctx, "SERVICE", id, set, &item);
    json_decref(set);
    if (rc == 0) *out = bc_entity_view(item);
    json_decref(item);
    return rc;
}

/* service_ids must be existing services of this tenant, without duplicates. */
static int check_service_ids(struct bc_env *env, const struct bc_ctx *ctx, json_t *ids, char *msg,
                             size_t msgsize)
{
    size_t i, j;
    json_t *v, *w;
    json_array_foreach(ids, i, v)
    {
        json_t *svc = NULL;
        if (!json_is_string(v) || bc_entity_get(env, ctx, "SERVICE", json_string_value(v), &svc) < 0) {
            snprintf(msg, msgsize, "unknown service id '%.40s'",
                     json_is_string(v) ? json_string_value(v) : "?");
            return BC_EINVALID;
        }
        json_decref(svc);
        json_array_foreach(ids, j, w) if (j < i && json_equal(v, w))
        {
            snprintf(msg, msgsize, "service id '%.40s' appears twice", json_string_value(v));
            return BC_EINVALID;
        }
    }
    return 0;
}

static int check_provider(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, bool creating,
                          char *msg, size_t msgsize)
{
    int rc = bc_json_check(body, provider_fields, msg, msgsize);
    if (rc < 0) return rc;
    if (creating && !json_object_get(body, "name")) {
        snprintf(msg, msgsize, "name is required");
        return BC_EINVALID;
    }
    const char *tz = json_string_value(json_object_get(body, "timezone"));
    if (tz && bc_tz_validate(tz) < 0) {
        snprintf(msg, msgsize, "unknown time zone '%.64s'", tz);
        return BC_EINVALID;
    }
    if ((rc = check_synonyms(json_object_get(body, "synonyms"), msg, msgsize)) < 0) return rc;
    const json_t *cals = json_object_get(body, "external_calendars");
    if (cals && (rc = bc_extcal_check(cals, bc_config_bool(BC_CFG_WEBHOOK_ALLOW_PRIVATE), msg, msgsize)) < 0)
        return rc;
    return check_service_ids(env, ctx, json_object_get(body, "service_ids"), msg, msgsize);
}

int bc_provider_count(struct bc_env *env, const struct bc_ctx *ctx, int64_t *n)
{
    json_t *all = NULL;
    int rc = bc_entity_all(env, ctx, "PROVIDER", 100000, &all);
    *n = rc == 0 ? (int64_t)json_array_size(all) : 0;
    json_decref(all);
    return rc;
}

/* Wins one unit of the professional counter, or BC_EPLAN_CONFLICT at the limit. */
static int reserve_provider(struct bc_env *env, const struct bc_ctx *ctx, int64_t limit)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    for (int attempt = 0; attempt < 20; attempt++) {
        json_t *c = NULL;
        int64_t actual, n = 0, at = 0;
        int rc = bc_store_get(s, pk, "COUNT#PROVIDERS", &c);
        if (rc < 0 && rc != BC_ENOT_FOUND) return rc;
        if ((rc = bc_provider_count(env, ctx, &actual)) < 0) {
            json_decref(c);
            return rc;
        }
        int64_t version = bc__store_version(c);
        if (c) {
            n = json_integer_value(json_object_get(c, "n"));
            at = json_integer_value(json_object_get(c, "at"));
        }
        json_decref(c);
        if (n > actual && bc_now_s() - at > 60) n = actual; /* left ahead by a crash: repair */
        if ((n > actual ? n : actual) >= limit) return BC_EPLAN_CONFLICT;
        json_t *set = json_pack("{s:I, s:I, s:I}", "n", (json_int_t)((n > actual ? n : actual) + 1), "at",
                                (json_int_t)bc_now_s(), "version", (json_int_t)version + 1);
        struct bc_update u = {set, NULL, NULL};
        struct bc_cond cond = {BC_COND_VERSION, version};
        rc = bc_store_update(s, pk, "COUNT#PROVIDERS", &u, &cond, NULL);
        json_decref(set);
        if (rc != BC_ECOND) return rc;
    }
    return BC_ECONFLICT;
}

/* Gives back one unit of the counter (best effort: a miss is repaired by the next creation's recount). */
static void release_provider(struct bc_env *env, const struct bc_ctx *ctx)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    json_t *add = json_pack("{s:i, s:i}", "n", -1, "version", 1);
    struct bc_update u = {NULL, add, NULL};
    struct bc_cond c = {BC_COND_EXISTS, 0};
    if (bc_key_tenant_pk(ctx, pk)) bc_store_update(s, pk, "COUNT#PROVIDERS", &u, &c, NULL);
    json_decref(add);
}

int bc_provider_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, int64_t max_providers,
                       char *msg, size_t msgsize, json_t **out)
{
    char id[BC_ID_LEN + 1];
    json_t *settings = NULL;
    *out = NULL;
    int rc = check_provider(env, ctx, body, true, msg, msgsize);
    if (rc < 0) return rc;
    if ((rc = bc_settings_get(env, ctx, &settings)) < 0) return rc;
    rc = reserve_provider(env, ctx, max_providers);
    if (rc == BC_EPLAN_CONFLICT)
        snprintf(msg, msgsize, "your plan allows %lld professional%s", (long long)max_providers,
                 max_providers == 1 ? "" : "s");
    if (rc < 0) {
        json_decref(settings);
        return rc;
    }
    bc_id_new(id);
    json_t *item =
        json_pack("{s:s, s:[], s:O, s:b, s:i, s:[], s:n, s:n}", "id", id, "service_ids", "timezone",
                  json_object_get(settings, "timezone"), "active", 1, "order", 0, "synonyms", "email", "bio");
    json_decref(settings);
    json_object_update(item, body);
    if (json_is_null(json_object_get(item, "timezone")))
        json_object_set(item, "timezone", json_object_get(body, "timezone")); /* keeps null = the tenant's */
    rc = bc_entity_create(env, ctx, "PROVIDER", item);
    if (rc == 0) rc = bc_extcal_sync(env, ctx, id, json_object_get(item, "external_calendars"));
    if (rc == 0)
        *out = bc_entity_view(item);
    else
        release_provider(env, ctx);
    json_decref(item);
    return rc;
}

int bc_provider_patch(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t *body, char *msg,
                      size_t msgsize, json_t **out)
{
    json_t *item = NULL;
    *out = NULL;
    int rc = check_provider(env, ctx, body, false, msg, msgsize);
    if (rc < 0) return rc;
    json_t *set = json_deep_copy(body);
    rc = bc_entity_update(env, ctx, "PROVIDER", id, set, &item);
    json_decref(set);
    if (rc == 0) rc = bc_extcal_sync(env, ctx, id, json_object_get(body, "external_calendars"));
    if (rc == 0) *out = bc_entity_view(item);
    json_decref(item);
    return rc;
}

int bc_provider_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    int rc = bc_entity_delete(env, ctx, "PROVIDER", id);
    if (rc < 0) return rc;
    release_provider(env, ctx);
    if (bc_key_tenant_pk(ctx, pk) && bc_key_sk(sk, "AVAIL", id)) bc_store_delete(s, pk, sk, NULL);
    bc_extcal_forget(env, ctx, id);
    return 0;
}

int bc_provider_forget_service(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id)
{
    json_t *all = NULL;
    int rc = bc_entity_all(env, ctx, "PROVIDER", 100000, &all);
    if (rc < 0) return rc;
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p)
    {
        json_t *ids = json_object_get(p, "service_ids"), *keep = json_array();
        size_t j;
        json_t *v;
        json_array_foreach(ids, j, v) if (strcmp(json_string_value(v), service_id) != 0)
            json_array_append(keep, v);
        if (json_array_size(keep) != json_array_size(ids)) {
            json_t *set = json_pack("{s:O}", "service_ids", keep);
            rc = bc_entity_update(env, ctx, "PROVIDER", json_string_value(json_object_get(p, "id")), set,
                                  NULL);
            json_decref(set);
        }
        json_decref(keep);
        if (rc < 0 && rc != BC_ENOT_FOUND) break;
        rc = 0;
    }
    json_decref(all);
    return rc;
}
