/* Resources: what a service needs besides a professional (a treatment room, a laser, a chair), each with a
 * quantity of interchangeable units (SK "RESOURCE#<id>"). Services name them in "resource_ids" (one unit of
 * each); the booking commit claims the units (claim.h), availability counts them (schedule.c). */
#ifndef BC_RESOURCE_H
#define BC_RESOURCE_H
#include <jansson.h>
#include <stddef.h>

#include "auth/context.h"

struct bc_env;

#define BC_RESOURCE_QUANTITY_MAX 1000 /* units of one resource */
#define BC_RESOURCES_PER_TENANT  100  /* resources of one tenant */
#define BC_RESOURCES_PER_SERVICE 5    /* resources one service may require */
#define BC_SERVICE_CAPACITY_MAX  500  /* seats of a group session */

/* Creates a resource from {"name","quantity"}: BC_EINVALID with msg; BC_EPLAN_CONFLICT past
 * BC_RESOURCES_PER_TENANT. *out: the view (caller decrefs). */
int bc_resource_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                       json_t **out);
/* Changes name and/or quantity; a quantity of 0 for a resource a service requires is BC_ECONFLICT. */
int bc_resource_patch(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t *body, char *msg,
                      size_t msgsize, json_t **out);
/* Deletes a resource no service requires (BC_ECONFLICT with msg otherwise). */
int bc_resource_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id, char *msg,
                       size_t msgsize);
/* The quantity of a resource (BC_ENOT_FOUND when it does not exist). Read-only, cached read. */
int bc_resource_quantity(struct bc_env *env, const struct bc_ctx *ctx, const char *id, int *quantity);
/* Validates a service's "resource_ids" (existing resources of this tenant with units, no duplicates, at most
 * BC_RESOURCES_PER_SERVICE) and "capacity" (1..BC_SERVICE_CAPACITY_MAX): 0 or BC_EINVALID with msg. */
int bc_resource_check_service(struct bc_env *env, const struct bc_ctx *ctx, const json_t *body, char *msg,
                              size_t msgsize);

#endif
