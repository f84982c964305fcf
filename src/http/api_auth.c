/* Staff sign-in (POST /v1/auth/login), who am I (GET /v1/admin/me), and changing one's own password. */
#include "auth/jwt.h"
#include "auth/ratelimit.h"
#include "domain/env.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "domain/user.h"
#include "http/api.h"
#include "http/server.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct bc_jfield login_fields[] = {
    {"email", BC_J_STRING, BC_JF_REQUIRED, 3, 120},
    {"password", BC_J_STRING, BC_JF_REQUIRED, 1, 200},
    {"tenant_id", BC_J_STRING, 0, 1, 64},
    {NULL},
};

/* Brute-force brakes: per client address and per e-mail (in its one normalised form, so changing the
 * letter case is the same e-mail), before any password is hashed. */
static int login_rate(struct bc_req *req, const char *email)
{
    char k[200], em[BC_EMAIL_SIZE];
    struct bc_rl_info info;
    bc_email_normalize(email, em);
    snprintf(k, sizeof k, "login-ip:%s", bc_req_remote(req));
    int rc = bc_ratelimit_take(k, 1.0, 20, &info);
    if (rc == 0) {
        snprintf(k, sizeof k, "login-email:%s", em);
        rc = bc_ratelimit_take(k, 0.2, 10, &info);
    }
    if (rc < 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", info.retry_after_s);
        bc_reply_header(req, "Retry-After", v);
        return bc_fail(req, BC_ERATE, "Too many sign-in attempts; retry in %d s.", info.retry_after_s);
    }
    return 0;
}

int bc_api_login(struct bc_req *req)
{
    json_t *body, *user = NULL;
    char tenant_id[BC_TENANT_ID_MAX + 1] = "", *token = NULL, exp_iso[32];
    int64_t exp;
    int rc = bc_req_body(req, login_fields, &body);
    if (rc < 0) return rc;
    const char *email = json_string_value(json_object_get(body, "email"));
    if ((rc = login_rate(req, email)) < 0) return rc;
    rc = bc_user_login(req->env, email, json_string_value(json_object_get(body, "password")),
                       json_string_value(json_object_get(body, "tenant_id")), &user, tenant_id);
    if (rc == BC_EUNAUTHORIZED) return bc_fail(req, rc, "Wrong e-mail or password.");
    if (rc == BC_ECONFLICT)
        return bc_fail(req, BC_EINVALID, "This e-mail signs in to several businesses: add \"tenant_id\".");
    if (rc < 0) return rc;
    struct bc_ctx ctx;
    json_t *tenant = NULL;
    bc_ctx_operator(&ctx, tenant_id);
    /* the tenant's partition may be in a store of its own (domain/envs.h) */
    struct bc_env *tenv = bc_env_tenant(req->env, tenant_id);
    if (!tenv) {
        json_decref(user);
        return BC_EUNAVAILABLE;
    }
    req->env = tenv;
    rc = bc_tenant_get(req->env, &ctx, &tenant);
    if (rc == 0) rc = bc_tenant_check_active(tenant);
    if (rc == 0) {
        enum bc_role role = bc_role_parse(json_string_value(json_object_get(user, "role")));
        rc = bc_jwt_issue(json_string_value(json_object_get(user, "id")), tenant_id, role,
                          bc_config_int(BC_CFG_JWT_TTL, 3600), &token, &exp);
    }
    if (rc == 0) {
        bc_time_format_utc(exp, exp_iso, sizeof exp_iso);
        json_t *u = bc_user_view(user);
        json_object_set_new(u, "tenant_id", json_string(tenant_id));
        rc = bc_reply_json(req, 200,
                           json_pack("{s:s, s:s, s:o, s:o}", "token", token, "expires_at", exp_iso, "user", u,
                                     "tenant", bc_tenant_view(req->env, tenant)));
    }
    free(token);
    json_decref(user);
    json_decref(tenant);
    return rc;
}

static json_t *limits_json(const struct bc_limits *l)
{
#define LIM(v) ((v) == BC_UNLIMITED ? json_null() : json_integer((json_int_t)(v)))
    json_t *modes = json_array();
    if (l->ai_modes & BC_AI_FSM) json_array_append_new(modes, json_string("fsm"));
    if (l->ai_modes & BC_AI_NLP) json_array_append_new(modes, json_string("nlp"));
    if (l->ai_modes & BC_AI_AGENT) json_array_append_new(modes, json_string("agent"));
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:f, s:f}", "messages_month", LIM(l->messages_month),
                     "bookings_month", LIM(l->bookings_month), "providers", LIM(l->providers),
                     "ai_tokens_month", LIM(l->ai_tokens_month), "ai_modes", modes, "rate_per_s",
                     l->rate_per_s, "burst", l->burst);
#undef LIM
}

json_t *bc_api_limits_json(struct bc_env *env, const json_t *tenant)
{
    struct bc_limits l;
    if (bc_plan_limits(env, tenant, &l) < 0) return json_null();
    return limits_json(&l);
}

int bc_api_me(struct bc_req *req)
{
    json_t *user = NULL;
    if (req->ctx.user_id[0]) {
        json_t *item = NULL;
        struct bc_ctx home; /* organisation staff acting on a branch: their user is the organisation's */
        if (bc_ctx_operator(&home, req->ctx.org_id[0] ? req->ctx.org_id : req->ctx.tenant_id) == 0 &&
            bc_user_get(req->env, &home, req->ctx.user_id, &item) == 0)
            user = bc_user_view(item);
        bc_ctx_release(&home);
        json_decref(item);
    }
    if (!user) /* an external (OpenID) user: what the token says */
        user = json_pack("{s:s, s:s}", "id", req->ctx.user_id, "role", bc_role_name(req->ctx.role));
    json_object_set_new(user, "role", json_string(bc_role_name(req->ctx.role)));
    json_t *out =
        json_pack("{s:o, s:o, s:o}", "user", user, "tenant", bc_tenant_view(req->env, req->ctx.tenant),
                  "limits", bc_api_limits_json(req->env, req->ctx.tenant));
    if (req->ctx.org_id[0]) json_object_set_new(out, "org_id", json_string(req->ctx.org_id));
    return bc_reply_json(req, 200, out);
}

/* Attempts at the current password per user: PW_CHANGE_BURST at once, then one every 60 seconds. */
#define PW_CHANGE_BURST 5
#define PW_CHANGE_RATE  (1.0 / 60)

static const struct bc_jfield password_fields[] = {
    {"current_password", BC_J_STRING, BC_JF_REQUIRED, 1, 200},
    {"new_password", BC_J_STRING, BC_JF_REQUIRED, 1, 200},
    {NULL},
};

int bc_api_me_password(struct bc_req *req)
{
    json_t *body, *user = NULL;
    char tenant_id[BC_TENANT_ID_MAX + 1], msg[200] = "";
    int rc = bc_req_body(req, password_fields, &body);
    if (rc < 0) return rc;
    if (!req->ctx.user_id[0] || bc_user_get(req->env, &req->ctx, req->ctx.user_id, &user) < 0)
        return bc_fail(req, BC_EFORBIDDEN,
                       "Passwords of external sign-in users are managed by their provider.");
    /* a stolen token must not allow unlimited guesses of the current password: a few tries, then one a
     * minute, per user (successful changes count too) */
    char k[200];
    struct bc_rl_info info;
    snprintf(k, sizeof k, "pw-change:%s:%s", req->ctx.tenant_id, req->ctx.user_id);
    if (bc_ratelimit_take(k, PW_CHANGE_RATE, PW_CHANGE_BURST, &info) < 0) {
        char v[16];
        json_decref(user);
        snprintf(v, sizeof v, "%d", info.retry_after_s);
        bc_reply_header(req, "Retry-After", v);
        return bc_fail(req, BC_EPASSWORD_RATE, "Too many attempts at the current password; retry in %d s.",
                       info.retry_after_s);
    }
    json_t *verified = NULL;
    rc = bc_user_login(req->env, json_string_value(json_object_get(user, "email")),
                       json_string_value(json_object_get(body, "current_password")), req->ctx.tenant_id,
                       &verified, tenant_id);
    json_decref(verified);
    json_decref(user);
    if (rc < 0) return bc_fail(req, BC_EFORBIDDEN, "The current password is wrong.");
    rc =
        bc_user_set_password(req->env, &req->ctx, req->ctx.user_id,
                             json_string_value(json_object_get(body, "new_password")), NULL, msg, sizeof msg);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_json(req, 200, json_pack("{s:b}", "changed", 1));
}
