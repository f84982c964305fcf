/* Resources (resource.h): validation and the admin CRUD over the entity store; a resource a service requires
 * can neither be deleted nor lose its last unit, so that no service ever needs a resource that cannot be
 * had. */
#include "domain/resource.h"
#include "domain/entity.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"

#include <stdio.h>
#include <string.h>

static const struct bc_jfield resource_fields[] = {
    {"name", BC_J_STRING, 0, 1, 120},
    {"quantity", BC_J_INT, 0, 0, BC_RESOURCE_QUANTITY_MAX},
    {NULL},
};

static int check_body(json_t *body, bool creating, char *msg, size_t msgsize)
{
    int rc = bc_json_check(body, resource_fields, msg, msgsize);
    if (rc < 0) return rc;
    if (creating && (!json_object_get(body, "name") || !json_object_get(body, "quantity"))) {
        snprintf(msg, msgsize, "name and quantity are required");
        return BC_EINVALID;
    }
    return 0;
}

/* The first service that requires resource id (*name borrowed from *all, which the caller decrefs), or
 * NULL. */
static const char *required_by(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **all)
{
    *all = NULL;
    if (bc_entity_all(env, ctx, "SERVICE", 100000, all) < 0) return NULL;
    size_t i, j;
    json_t *svc, *r;
    json_array_foreach(*all, i, svc)
    {
        json_array_foreach(json_object_get(svc, "resource_ids"), j,
                           r) if (json_is_string(r) &&
                                  strcmp(json_string_value(r), id) ==
                                      0) return json_string_value(json_object_get(svc, "name"));
    }
    return NULL;
}

int bc_resource_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                       json_t **out)
{
    char id[BC_ID_LEN + 1];
    json_t *all = NULL;
    *out = NULL;
    int rc = check_body(body, true, msg, msgsize);
    if (rc < 0) return rc;
    if ((rc = bc_entity_all(env, ctx, "RESOURCE", BC_RESOURCES_PER_TENANT + 1, &all)) < 0) return rc;
    size_t n = json_array_size(all);
    json_decref(all);
    if (n >= BC_RESOURCES_PER_TENANT) {
        snprintf(msg, msgsize, "a business may have at most %d resources", BC_RESOURCES_PER_TENANT);
        return BC_EPLAN_CONFLICT;
    }
    bc_id_new(id);
    json_t *item = json_pack("{s:s}", "id", id);
    json_object_update(item, body);
    rc = bc_entity_create(env, ctx, "RESOURCE", item);
    if (rc == 0) *out = bc_entity_view(item);
    json_decref(item);
    return rc;
}

int bc_resource_patch(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t *body, char *msg,
                      size_t msgsize, json_t **out)
{
    json_t *item = NULL, *all = NULL;
    *out = NULL;
    int rc = check_body(body, false, msg, msgsize);
    if (rc < 0) return rc;
    json_t *q = json_object_get(body, "quantity");
    if (q && json_integer_value(q) == 0) {
        const char *svc = required_by(env, ctx, id, &all);
        if (svc) {
            snprintf(msg, msgsize, "the service '%.60s' requires this resource: it needs at least one unit",
                     svc);
            rc = BC_ECONFLICT;
        }
        json_decref(all);
        if (rc < 0) return rc;
    }
    json_t *set = json_deep_copy(body);
    rc = bc_entity_update(env, ctx, "RESOURCE", id, set, &item);
    json_decref(set);
    if (rc == 0) *out = bc_entity_view(item);
    json_decref(item);
    return rc;
}

int bc_resource_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id, char *msg,
                       size_t msgsize)
{
    json_t *item = NULL, *all = NULL;
    int rc = bc_entity_get(env, ctx, "RESOURCE", id, &item);
    json_decref(item);
    if (rc < 0) return rc;
    const char *svc = required_by(env, ctx, id, &all);
    if (svc) {
        snprintf(msg, msgsize, "the service '%.60s' requires this resource; remove it from the service first",
                 svc);
        rc = BC_ECONFLICT;
    }
    json_decref(all);
    return rc < 0 ? rc : bc_entity_delete(env, ctx, "RESOURCE", id);
}

int bc_resource_quantity(struct bc_env *env, const struct bc_ctx *ctx, const char *id, int *quantity)
{
    const json_t *item = NULL;
    *quantity = 0;
    int rc = bc_entity_get_ro(env, ctx, "RESOURCE", id, &item);
    if (rc < 0) return rc;
    *quantity = (int)json_integer_value(json_object_get(item, "quantity"));
    bc_json_release(item);
    return 0;
}

int bc_resource_check_service(struct bc_env *env, const struct bc_ctx *ctx, const json_t *body, char *msg,
                              size_t msgsize)
{
    const json_t *cap = json_object_get(body, "capacity"), *ids = json_object_get(body, "resource_ids");
    if (cap && (!json_is_integer(cap) || json_integer_value(cap) < 1 ||
                json_integer_value(cap) > BC_SERVICE_CAPACITY_MAX)) {
        snprintf(msg, msgsize, "capacity must be an integer from 1 to %d", BC_SERVICE_CAPACITY_MAX);
        return BC_EINVALID;
    }
    if (!ids) return 0;
    if (!json_is_array(ids) || json_array_size(ids) > BC_RESOURCES_PER_SERVICE) {
        snprintf(msg, msgsize, "resource_ids must be a list of at most %d resource ids",
                 BC_RESOURCES_PER_SERVICE);
        return BC_EINVALID;
    }
    size_t i, j;
    json_t *v, *w;
    json_array_foreach(ids, i, v)
    {
        int quantity = 0;
        const char *id = json_string_value(v);
        if (!id || bc_resource_quantity(env, ctx, id, &quantity) < 0) {
            snprintf(msg, msgsize, "unknown resource id '%.40s'", id ? id : "?");
            return BC_EINVALID;
        }
        if (quantity < 1) {
            snprintf(msg, msgsize, "the resource '%.40s' has no units: a service cannot require it", id);
            return BC_EINVALID;
        }
        json_array_foreach(ids, j, w) if (j < i && json_equal(v, w))
        {
            snprintf(msg, msgsize, "resource id '%.40s' appears twice", id);
            return BC_EINVALID;
        }
    }
    return 0;
}
