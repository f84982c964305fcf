/* The audit log of a tenant: every admin and platform write (who, what, when, from where), kept for a year
 * under SK "AUDIT#<time>#<id>" so that listing newest first is one descending query. */
#ifndef BC_AUDIT_H
#define BC_AUDIT_H
#include <jansson.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;

struct bc_actor {
    const char *kind;   /* "user" | "oidc" | "platform" | "cli" */
    const char *id;     /* user id / subject; NULL for platform and cli */
    const char *remote; /* client address, or NULL */
    const char *req_id; /* request id, or NULL */
    const char *org;    /* the organisation whose staff acted on this branch (X-Tenant-Id), or NULL */
};

/* Records action (e.g. "admin.users.create") on target (e.g. "/v1/admin/users/01J…") with optional
 * detail (borrowed). */
int bc_audit_record(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_actor *actor,
                    const char *action, const char *target, int status, json_t *detail);
/* Entries newest first. */
int bc_audit_list(struct bc_env *env, const struct bc_ctx *ctx, int limit, const char *cursor, json_t **items,
                  char **next_cursor);

#endif
