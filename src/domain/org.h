/* Organisations and their branches (PRODUCT.md section 13, docs/organisations.md): a branch is a whole
 * tenant whose META names its organisation in parent_id (one level). The organisation's partition lists its
 * branches (SK "BRANCH#<id>"), so its staff see them without scanning the platform; a branch's own META is
 * the authority (X-Tenant-Id is checked against it, http/auth.c). */
#ifndef BC_ORG_H
#define BC_ORG_H
#include <jansson.h>

#include "auth/context.h"

struct bc_env;

/* Lists a new branch (its META) in its organisation's partition. */
int bc_org_add_branch(struct bc_env *env, const json_t *branch_meta);
/* The organisation's branches, oldest first, as tenant views (a branch purged since is left out).
 * *out: caller decrefs. */
int bc_org_branches(struct bc_env *env, const struct bc_ctx *org, json_t **out);
/* The organisation's month: {"organisation":{"id","name"},"month","totals":{…summed…},
 * "health":{"min","mean"},"branches":[{"id","name","status","plan","totals","limit_reached","health"}]},
 * the organisation itself first. month "YYYY-MM". *out: caller decrefs. */
int bc_org_usage(struct bc_env *env, const struct bc_ctx *org, const char *month, json_t **out);

#endif
