/* Widget API keys for staff: list, create (the secret is in this one response), update origins, rotate
 * (grace period), revoke. */
#include "domain/apikey.h"
#include "domain/onboarding.h"
#include "http/api.h"
#include "http/server.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <stdlib.h>

static const struct bc_jfield create_fields[] = {
    {"name", BC_J_STRING, 0, 1, 80},
    {"origins", BC_J_ARRAY, 0, 0, 50},
    {"allow_no_origin", BC_J_BOOL, 0, 0, 0},
    {NULL},
};

static const struct bc_jfield rotate_fields[] = {
    {"grace_seconds", BC_J_INT, 0, 0, 7 * 86400},
    {NULL},
};

/* Adds the secret and the embed snippet to a fresh key's view. */
static json_t *with_secret(struct bc_req *req, json_t *view, const char *secret)
{
    char *snippet = bc_onboard_snippet(bc_api_public_url(req->srv), secret);
    json_object_set_new(view, "secret", json_string(secret));
    json_object_set_new(view, "snippet", json_string(snippet ? snippet : ""));
    free(snippet);
    return view;
}

int bc_api_apikeys_list(struct bc_req *req)
{
    int limit;
    const char *cursor;
    json_t *items;
    char *next;
    int rc = bc_req_paging(req, &limit, &cursor);
    if (rc == 0) rc = bc_apikey_list(req->env, &req->ctx, limit, cursor, &items, &next);
    if (rc == BC_EINVALID) return bc_fail(req, rc, "Invalid cursor.");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, next);
}

int bc_api_apikeys_create(struct bc_req *req)
{
    json_t *body, *out;
    char secret[BC_APIKEY_SECRET_SIZE], msg[256] = "";
    int rc = bc_req_body(req, create_fields, &body);
    if (rc < 0) return rc;
    struct bc_apikey_new in = {json_string_value(json_object_get(body, "name")),
                               json_object_get(body, "origins"),
                               json_is_true(json_object_get(body, "allow_no_origin"))};
    rc = bc_apikey_create(req->env, &req->ctx, &in, secret, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    req->audit_detail = json_pack("{s:O}", "key_id", json_object_get(out, "id"));
    return bc_reply_wrapped(req, 201, "api_key", with_secret(req, out, secret));
}

int bc_api_apikeys_get(struct bc_req *req)
{
    json_t *out;
    int rc = bc_apikey_get(req->env, &req->ctx, bc_req_param(req, "id"), &out);
    if (rc < 0) return rc;
    return bc_reply_wrapped(req, 200, "api_key", out);
}

int bc_api_apikeys_patch(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_apikey_update(req->env, &req->ctx, bc_req_param(req, "id"), body, msg, sizeof msg, &out);
    if (rc == BC_ECONFLICT) return bc_fail(req, rc, "This key is revoked.");
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 200, "api_key", out);
}

int bc_api_apikeys_rotate(struct bc_req *req)
{
    json_t *body = NULL, *out;
    char secret[BC_APIKEY_SECRET_SIZE];
    int64_t grace = bc_config_int(BC_CFG_APIKEY_GRACE, 86400);
    if (req->body.len) {
        int rc = bc_req_body(req, rotate_fields, &body);
        if (rc < 0) return rc;
        if (json_object_get(body, "grace_seconds"))
            grace = json_integer_value(json_object_get(body, "grace_seconds"));
    }
    int rc = bc_apikey_rotate(req->env, &req->ctx, bc_req_param(req, "id"), grace, secret, &out);
    if (rc == BC_ECONFLICT) return bc_fail(req, rc, "This key is revoked or already rotated.");
    if (rc < 0) return rc;
    req->audit_detail = json_pack("{s:O}", "new_key_id", json_object_get(out, "id"));
    return bc_reply_wrapped(req, 201, "api_key", with_secret(req, out, secret));
}

int bc_api_apikeys_revoke(struct bc_req *req)
{
    int rc = bc_apikey_revoke(req->env, &req->ctx, bc_req_param(req, "id"));
    if (rc == BC_ECONFLICT) return bc_fail(req, rc, "This key is already revoked.");
    if (rc < 0) return rc;
    json_t *out;
    rc = bc_apikey_get(req->env, &req->ctx, bc_req_param(req, "id"), &out);
    if (rc < 0) return rc;
    return bc_reply_wrapped(req, 200, "api_key", out);
}
