/* The tenant's catalogue: services (what can be booked: duration, price, buffers) and professionals (who
 * delivers them, in which time zone). Validation lives here so that the admin API, the CLI's sample data
 * and imports all accept exactly the same input. */
#ifndef BC_CATALOG_H
#define BC_CATALOG_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;

/* Creates a service from an API body. BC_EINVALID with msg; *out: the view (caller decrefs). */
int bc_service_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                      json_t **out);
/* Changes a service (partial body). */
int bc_service_patch(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t *body, char *msg,
                     size_t msgsize, json_t **out);

/* Creates a professional; refuses with BC_EPLAN_CONFLICT past the plan's limit (max_providers). service_ids
 * must name existing services (BC_EINVALID otherwise). */
int bc_provider_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, int64_t max_providers,
                       char *msg, size_t msgsize, json_t **out);
int bc_provider_patch(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t *body, char *msg,
                      size_t msgsize, json_t **out);
/* Deletes a professional with their weekly hours. */
int bc_provider_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id);
/* Number of professionals of the tenant. */
int bc_provider_count(struct bc_env *env, const struct bc_ctx *ctx, int64_t *n);

/* Removes a service id from every professional's service_ids (after the service is deleted). */
int bc_provider_forget_service(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id);

#endif
