/* The tenant context of a request: who is calling and for which tenant, resolved by the router from the
 * credential alone (API key, JWT, conversation token, platform token). Every store key of tenant data is
 * built from it (store/keys.h), never from a path, query or body. */
#ifndef BC_CONTEXT_H
#define BC_CONTEXT_H
#include <jansson.h>

enum bc_auth_kind {
    BC_AUTH_NONE = 0, /* public: health, docs, static assets, login */
    BC_AUTH_APIKEY,   /* widget: X-Api-Key + allowed Origin */
    BC_AUTH_CONV,     /* widget conversation: API key + X-Conversation-Token */
    BC_AUTH_JWT,      /* admin: Authorization: Bearer <JWT> with tenant and role claims */
    BC_AUTH_PLATFORM, /* operator: Authorization: Bearer <platform token> */
};

enum bc_role { BC_ROLE_NONE = 0, BC_ROLE_VIEWER, BC_ROLE_ADMIN, BC_ROLE_OWNER };

#define BC_TENANT_ID_MAX 64

struct bc_ctx {
    enum bc_auth_kind kind;
    char tenant_id[BC_TENANT_ID_MAX + 1]; /* "" when the request has no tenant (NONE, PLATFORM) */
    enum bc_role role;
    char user_id[BC_TENANT_ID_MAX + 1]; /* JWT subject, "" otherwise */
    char key_id[BC_TENANT_ID_MAX + 1];  /* API key id, "" otherwise */
    /* the organisation whose staff acts on this branch (X-Tenant-Id; tenant_id is then the branch's), or ""
     */
    char org_id[BC_TENANT_ID_MAX + 1];
    const char *origin;   /* verified Origin (borrowed for the request), or NULL */
    const json_t *tenant; /* the tenant's META item (may be shared: read only), a reference
                             owned by the context, or NULL */
    /* the widget visitor's client address (borrowed for the request), or NULL: domain/visitor.h */
    const char *visitor;
};

/* "owner" | "admin" | "viewer" -> role; BC_ROLE_NONE when unknown. */
enum bc_role bc_role_parse(const char *s);
const char *bc_role_name(enum bc_role r);
/* A context for the operator acting on one tenant (platform API, CLI): their credential covers every
 * tenant, so the tenant id they name is the context's. Returns 0 or BC_EINVALID for a malformed id. */
int bc_ctx_operator(struct bc_ctx *ctx, const char *tenant_id);
/* Releases what the context owns; the struct can be reused. */
void bc_ctx_release(struct bc_ctx *ctx);

#endif
