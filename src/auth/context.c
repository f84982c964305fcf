/* Role names and the context's lifetime. */
#include "auth/context.h"
#include "util/id.h"
#include "util/err.h"

#include <stdio.h>

#include <string.h>

static const char *const role_names[] = {"none", "viewer", "admin", "owner"};

enum bc_role bc_role_parse(const char *s)
{
    if (!s) return BC_ROLE_NONE;
    for (int i = BC_ROLE_VIEWER; i <= BC_ROLE_OWNER; i++)
        if (strcmp(s, role_names[i]) == 0) return (enum bc_role)i;
    return BC_ROLE_NONE;
}

const char *bc_role_name(enum bc_role r)
{
    return r >= BC_ROLE_NONE && r <= BC_ROLE_OWNER ? role_names[r] : "none";
}

void bc_ctx_release(struct bc_ctx *ctx)
{
    json_decref((json_t *)ctx->tenant); /* its reference: the value itself is never touched */
    memset(ctx, 0, sizeof *ctx);
}

int bc_ctx_operator(struct bc_ctx *ctx, const char *tenant_id)
{
    memset(ctx, 0, sizeof *ctx);
    if (!bc_key_id_ok(tenant_id) || strlen(tenant_id) > BC_TENANT_ID_MAX) return BC_EINVALID;
    ctx->kind = BC_AUTH_PLATFORM;
    ctx->role = BC_ROLE_OWNER;
    snprintf(ctx->tenant_id, sizeof ctx->tenant_id, "%s", tenant_id);
    return 0;
}
