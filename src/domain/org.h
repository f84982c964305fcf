/* Organisations and their branches (PRODUCT.md section 13, docs/organisations.md): a branch is a whole
 * tenant whose META names its organisation in parent_id (one level). The organisation's partition lists its
 * branches (SK "BRANCH#<id>"), so its staff see them without scanning the platform; a branch's own META is
 * the authority (X-Tenant-Id is checked against it, http/auth.c). */
#ifndef BC_ORG_H
#define BC_ORG_H
#include <jansson.h>
#include <stdbool.h>

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

/* The META of branch_id (shared: release with bc_json_release) when it is a branch of org_id; BC_ENOT_FOUND
 * otherwise, whether or not a tenant of that id exists. */
int bc_org_branch_get(struct bc_env *env, const char *org_id, const char *branch_id, const json_t **meta);
/* Calls fn for the META of each branch still there and still the organisation's (borrowed for the call).
 * Stops at fn's first negative return and returns it. */
int bc_org_each_branch(struct bc_env *env, const struct bc_ctx *org, int (*fn)(const json_t *meta, void *arg),
                       void *arg);

/* ---- the organisation's widget chat (org_chat.c) ---- */

/* True when the tenant (META) has branches: its widget chat asks which branch first. */
bool bc_org_has_branches(const json_t *meta);
/* Opens a conversation of the organisation's widget: a greeting and "¿En qué centro…?" with the branches as
 * quick replies ("branch:<id>"). *conv and *messages: caller decrefs. */
int bc_org_chat_start(struct bc_env *env, const struct bc_ctx *org, const char *lang, json_t **conv,
                      json_t **messages);
/* Which branch a turn of the organisation's conversation runs in. 0: run the turn, in *branch when its
 * tenant_id is set (a context on the branch: the organisation's key, origin and visitor; release it with
 * bc_ctx_release), else in org as usual (not an organisation). 1: no branch chosen yet, *messages is the
 * question (stored on conv with the customer's words). A branch is chosen by a "branch:<id>" action or by
 * the text naming it (its name without the organisation's words, its town or postal code: "la de
 * Chamberí", "the one in Brooklyn", "28010"), then stays on conv ("branch_id"). */
int bc_org_chat_route(struct bc_env *env, const struct bc_ctx *org, json_t *conv, const char *text,
                      const char *action, struct bc_ctx *branch, json_t **messages);

#endif
