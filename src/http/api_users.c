/* Staff users of a tenant (owners manage them; everyone reads) and the audit log (owners read). */
#include "domain/audit.h"
#include "domain/user.h"
#include "http/api.h"
#include "http/server.h"
#include "util/err.h"
#include "util/jsonv.h"

static const struct bc_jfield create_fields[] = {
    {"email", BC_J_STRING, BC_JF_REQUIRED, 3, 120},
    {"name", BC_J_STRING, 0, 0, 120},
    {"role", BC_J_STRING, BC_JF_REQUIRED, 1, 10},
    {"password", BC_J_STRING, 0, 1, 200},
    {NULL},
};

static const struct bc_jfield patch_fields[] = {
    {"role", BC_J_STRING, 0, 1, 10},
    {"password", BC_J_STRING, 0, 1, 200},
    {NULL},
};

int bc_api_users_list(struct bc_req *req)
{
    int limit;
    const char *cursor;
    json_t *items;
    char *next;
    int rc = bc_req_paging(req, &limit, &cursor);
    if (rc == 0) rc = bc_user_list(req->env, &req->ctx, limit, cursor, &items, &next);
    if (rc == BC_EINVALID) return bc_fail(req, rc, "Invalid cursor.");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, next);
}

int bc_api_users_create(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "", generated[21] = "";
    int rc = bc_req_body(req, create_fields, &body);
    if (rc < 0) return rc;
    const char *password = json_string_value(json_object_get(body, "password"));
    rc = bc_user_create(req->env, &req->ctx, json_string_value(json_object_get(body, "email")),
                        json_string_value(json_object_get(body, "name")),
                        json_string_value(json_object_get(body, "role")), password, generated, msg,
                        sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    req->audit_detail =
        json_pack("{s:O, s:O}", "user_id", json_object_get(out, "id"), "role", json_object_get(out, "role"));
    if (!password) json_object_set_new(out, "password", json_string(generated)); /* shown this once */
    return bc_reply_wrapped(req, 201, "user", out);
}

int bc_api_users_get(struct bc_req *req)
{
    json_t *item;
    int rc = bc_user_get(req->env, &req->ctx, bc_req_param(req, "id"), &item);
    if (rc < 0) return rc;
    json_t *v = bc_user_view(item);
    json_decref(item);
    return bc_reply_wrapped(req, 200, "user", v);
}

int bc_api_users_patch(struct bc_req *req)
{
    json_t *body, *out = NULL;
    char msg[256] = "";
    const char *id = bc_req_param(req, "id");
    int rc = bc_req_body(req, patch_fields, &body);
    if (rc < 0) return rc;
    const char *role = json_string_value(json_object_get(body, "role"));
    const char *password = json_string_value(json_object_get(body, "password"));
    if (role && bc_role_parse(role) == BC_ROLE_NONE)
        return bc_fail(req, BC_EINVALID, "role must be owner, admin or viewer");
    /* check the user exists before changing anything */
    json_t *item = NULL;
    if ((rc = bc_user_get(req->env, &req->ctx, id, &item)) < 0) return rc;
    json_decref(item);
    if (password && (rc = bc_user_set_password(req->env, &req->ctx, id, password, NULL, msg, sizeof msg)) < 0)
        return bc_fail_msg(req, rc, msg);
    if (role) {
        rc = bc_user_set_role(req->env, &req->ctx, id, role, &out);
        if (rc == BC_ECONFLICT) return bc_fail(req, rc, "A business needs at least one owner.");
        if (rc < 0) return rc;
    } else {
        if ((rc = bc_user_get(req->env, &req->ctx, id, &item)) < 0) return rc;
        out = bc_user_view(item);
        json_decref(item);
    }
    return bc_reply_wrapped(req, 200, "user", out);
}

int bc_api_users_delete(struct bc_req *req)
{
    int rc = bc_user_remove(req->env, &req->ctx, bc_req_param(req, "id"));
    if (rc == BC_ECONFLICT) return bc_fail(req, rc, "A business needs at least one owner.");
    if (rc < 0) return rc;
    return bc_reply_empty(req, 204);
}

int bc_api_audit_list(struct bc_req *req)
{
    int limit;
    const char *cursor;
    json_t *items;
    char *next;
    int rc = bc_req_paging(req, &limit, &cursor);
    if (rc == 0) rc = bc_audit_list(req->env, &req->ctx, limit, cursor, &items, &next);
    if (rc == BC_EINVALID) return bc_fail(req, rc, "Invalid cursor.");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, next);
}
