/* Tenant settings for staff (GET/PATCH /v1/admin/settings, GET/PUT /v1/admin/settings/ai) and the public
 * widget configuration (GET /v1/widget/config), plus the widget's CORS preflight. */
#include "http/auth.h"
#include "util/jsonv.h"
#include "domain/apikey.h"
#include "domain/plan.h"
#include "domain/env.h"
#include "domain/settings.h"
#include "http/api.h"
#include "http/rendered.h"
#include "http/server.h"
#include "store/store.h"
#include "util/err.h"

#include <stdio.h>

int bc_api_settings_get(struct bc_req *req)
{
    json_t *out;
    int rc = bc_settings_get(req->env, &req->ctx, &out);
    if (rc < 0) return rc;
    return bc_reply_wrapped(req, 200, "settings", out);
}

int bc_api_settings_patch(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_settings_patch(req->env, &req->ctx, body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 200, "settings", out);
}

int bc_api_settings_ai_get(struct bc_req *req)
{
    json_t *out;
    int rc = bc_settings_ai_get(req->env, &req->ctx, &out);
    if (rc < 0) return rc;
    return bc_reply_wrapped(req, 200, "ai", out);
}

int bc_api_settings_ai_put(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    struct bc_limits lim;
    int rc = bc_req_json(req, &body);
    if (rc == 0) rc = bc_plan_limits(req->env, req->ctx.tenant, &lim);
    if (rc < 0) return rc;
    rc = bc_settings_ai_put(req->env, &req->ctx, body, lim.ai_modes, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 200, "ai", out);
}

static bool settings_unchanged(void *arg, uint64_t snap, uint64_t *now)
{
    struct bc_req *req = arg;
    return bc_settings_unchanged(req->env, &req->ctx, snap, now);
}

/* A pure function of the two settings items (read-only, shared): answered again from http/rendered.h while
 * neither changes; with LMDB, while the digest of the tenant's settings items is the same (no item read). */
int bc_api_widget_config(struct bc_req *req)
{
    json_t *settings = NULL, *ai = NULL;
    const json_t *in[2] = {NULL, NULL};
    char key[96];
    struct bc_store_digest dg;
    snprintf(key, sizeof key, "widget config %s", req->ctx.tenant_id);
    struct bc_store *st = req->env->store;
    if (bc_rendered_reply_current(req, key, st, bc_store_generation(st), settings_unchanged, req)) return 0;
    int rc = bc_settings_digest(req->env, &req->ctx, &dg);
    if (rc == 0 && bc_rendered_reply_digest(req, key, st, &dg)) return 0;
    if (rc == 0 && dg.ok) {
        /* the items and their digest from one read */
        static const char *const which[2] = {"GLOBAL", "AI"};
        rc = bc_settings_items_ro_digest(req->env, &req->ctx, which, in, 2, &dg);
    } else if (rc == 0) {
        rc = bc_settings_item_ro(req->env, &req->ctx, "GLOBAL", &in[0]);
        if (rc == 0) rc = bc_settings_item_ro(req->env, &req->ctx, "AI", &in[1]);
    }
    if (rc == 0 && !dg.ok && bc_rendered_reply(req, key, in, 2)) {
        bc_json_release(in[0]);
        bc_json_release(in[1]);
        return 0;
    }
    if (rc == 0) {
        settings = bc_settings_view_ro(req->env, in[0]);
        ai = bc_settings_ai_view_ro(in[1]);
    }
    if (rc == 0) {
        json_t *w = json_object_get(settings, "widget"), *b = json_object_get(settings, "business");
        json_t *cfg = json_pack(
            "{s:O, s:O, s:O, s:{s:O, s:O, s:O, s:O, s:O}, s:{s:O, s:O?, s:O?}, s:O, s:O}", "locale",
            json_object_get(settings, "locale"), "timezone", json_object_get(settings, "timezone"),
            "greeting", json_object_get(w, "greeting"), "branding", "title", json_object_get(w, "title"),
            "color", json_object_get(w, "color"), "logo_url", json_object_get(w, "logo_url"), "position",
            json_object_get(w, "position"), "greeting", json_object_get(w, "greeting"), "business", "name",
            json_object_get(b, "name"), "address", json_object_get(b, "address"), "phone",
            json_object_get(b, "phone"), "ai_mode", json_object_get(ai, "mode"),
            /* the widget solves ahead when "always"; under "auto" it solves when asked (428) */
            "challenge", json_object_get(w, "challenge"));
        rc = !cfg    ? BC_ENOMEM
             : dg.ok ? bc_rendered_reply_json_digest(req, key, st, &dg, cfg)
                     : bc_rendered_reply_json(req, key, in, 2, cfg);
    }
    json_decref(settings);
    json_decref(ai);
    bc_json_release(in[0]);
    bc_json_release(in[1]);
    return rc;
}

/* A CORS preflight carries no API key, so it is answered for origins that some active key allows; the
 * real request is then checked against its own key's origins. */
int bc_api_widget_preflight(struct bc_req *req)
{
    const char *origin = bc_req_header(req, "Origin");
    if (!origin || !bc_apikey_origin_known(req->env, origin))
        return bc_fail(req, BC_EORIGIN, "This origin is not allowed.");
    bc_auth_cors_headers(req, origin);
    bc_reply_header(req, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    bc_reply_header(req, "Access-Control-Allow-Headers",
                    "X-Api-Key, Content-Type, Idempotency-Key, X-Conversation-Token, X-Altcha, Accept");
    bc_reply_header(req, "Access-Control-Max-Age", "600");
    return bc_reply_empty(req, 204);
}
