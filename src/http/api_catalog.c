/* Services and professionals: admin CRUD and the widget's public lists. */
#include "domain/catalog.h"
#include "domain/entity.h"
#include "domain/env.h"
#include "domain/extcal.h"
#include "domain/plan.h"
#include "domain/resource.h"
#include "store/store.h"
#include "http/api.h"
#include "http/rendered.h"
#include "http/server.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

static int list(struct bc_req *req, const char *kind)
{
    int limit;
    const char *cursor;
    json_t *items;
    char *next;
    int rc = bc_req_paging(req, &limit, &cursor);
    if (rc == 0) rc = bc_entity_list(req->env, &req->ctx, kind, limit, cursor, &items, &next);
    if (rc == BC_EINVALID) return bc_fail(req, rc, "Invalid cursor.");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, next);
}

static int get(struct bc_req *req, const char *kind, const char *wrap)
{
    json_t *item;
    int rc = bc_entity_get(req->env, &req->ctx, kind, bc_req_param(req, "id"), &item);
    if (rc < 0) return rc;
    json_t *v = bc_entity_view(item);
    json_decref(item);
    return bc_reply_wrapped(req, 200, wrap, v);
}

int bc_api_services_list(struct bc_req *req)
{
    return list(req, "SERVICE");
}

int bc_api_services_get(struct bc_req *req)
{
    return get(req, "SERVICE", "service");
}

int bc_api_services_create(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_service_create(req->env, &req->ctx, body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    req->audit_detail = json_pack("{s:O}", "service_id", json_object_get(out, "id"));
    return bc_reply_wrapped(req, 201, "service", out);
}

int bc_api_services_patch(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_service_patch(req->env, &req->ctx, bc_req_param(req, "id"), body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 200, "service", out);
}

int bc_api_services_delete(struct bc_req *req)
{
    const char *id = bc_req_param(req, "id");
    int rc = bc_entity_delete(req->env, &req->ctx, "SERVICE", id);
    if (rc == 0) rc = bc_provider_forget_service(req->env, &req->ctx, id);
    if (rc < 0) return rc;
    return bc_reply_empty(req, 204);
}

int bc_api_providers_list(struct bc_req *req)
{
    return list(req, "PROVIDER");
}

int bc_api_providers_get(struct bc_req *req)
{
    return get(req, "PROVIDER", "provider");
}

int bc_api_provider_calendars(struct bc_req *req)
{
    json_t *items = NULL;
    int rc = bc_extcal_status(req->env, &req->ctx, bc_req_param(req, "id"), &items);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "Unknown professional.");
    if (rc < 0) return rc;
    return bc_reply_list(req, items, NULL);
}

int bc_api_busy_list(struct bc_req *req)
{
    json_t *items = NULL;
    char msg[200] = "";
    int rc = bc_extcal_busy_list(req->env, &req->ctx, bc_req_query(req, "from"), bc_req_query(req, "to"),
                                 bc_req_query(req, "provider_id"), &items, msg, sizeof msg);
    if (rc < 0) return msg[0] ? bc_fail_msg(req, rc, msg) : rc;
    return bc_reply_list(req, items, NULL);
}

int bc_api_providers_create(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    struct bc_limits lim;
    int rc = bc_req_json(req, &body);
    if (rc == 0) rc = bc_plan_limits(req->env, req->ctx.tenant, &lim);
    if (rc < 0) return rc;
    rc = bc_provider_create(req->env, &req->ctx, body, lim.providers, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    req->audit_detail = json_pack("{s:O}", "provider_id", json_object_get(out, "id"));
    return bc_reply_wrapped(req, 201, "provider", out);
}

int bc_api_providers_patch(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_provider_patch(req->env, &req->ctx, bc_req_param(req, "id"), body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 200, "provider", out);
}

int bc_api_providers_delete(struct bc_req *req)
{
    int rc = bc_provider_delete(req->env, &req->ctx, bc_req_param(req, "id"));
    if (rc < 0) return rc;
    return bc_reply_empty(req, 204);
}

/* display order: "order", then name */
static int by_order(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t ox = json_integer_value(json_object_get(x, "order")),
               oy = json_integer_value(json_object_get(y, "order"));
    if (ox != oy) return ox < oy ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "name")),
                  json_string_value(json_object_get(y, "name")));
}

/* The active entities of a kind, in display order, with only the public fields. */
static json_t *public_list(json_t *all, const char *const *fields, size_t nfields, const char *must_offer)
{
    size_t n = json_array_size(all), k = 0;
    json_t **v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(all, i);
        if (!json_is_true(json_object_get(it, "active"))) continue;
        if (must_offer) {
            bool offers = false;
            size_t j;
            json_t *sid;
            json_array_foreach(json_object_get(it, "service_ids"), j, sid) offers |=
                strcmp(json_string_value(sid), must_offer) == 0;
            if (!offers) continue;
        }
        v[k++] = it;
    }
    qsort(v, k, sizeof *v, by_order);
    json_t *out = json_array();
    for (size_t i = 0; i < k; i++) {
        json_t *o = json_object();
        for (size_t f = 0; f < nfields; f++) {
            json_t *val = json_object_get(v[i], fields[f]);
            if (val) json_object_set(o, fields[f], val);
        }
        json_array_append_new(out, o);
    }
    free(v);
    return out;
}

/* The widget's public list of a kind: a pure function of the stored items (read-only, shared), so the
 * answer rendered from the same items is answered again without rendering (http/rendered.h). */
struct list_of {
    struct bc_req *req;
    const char *kind;
};

static bool list_unchanged(void *arg, uint64_t snap, uint64_t *now)
{
    struct list_of *l = arg;
    return bc_entity_unchanged(l->req->env, &l->req->ctx, l->kind, snap, now);
}

static int widget_list(struct bc_req *req, const char *kind, const char *const *fields, size_t nfields,
                       const char *must_offer)
{
    json_t *all;
    const json_t *in[BC_RENDERED_MAX_INPUTS];
    char key[160];
    struct bc_store_digest dg;
    bool keyed = (size_t)snprintf(key, sizeof key, "widget %s %s %s", kind, req->ctx.tenant_id,
                                  must_offer ? must_offer : "") < sizeof key;
    /* an unchanged list is answered from the digest of its stored bytes, without reading its items (a
     * tenant whose items the store's memo has forgotten costs a cursor walk, not a parse and a render) */
    struct bc_store *st = req->env->store;
    struct list_of of = {req, kind};
    if (keyed && (bc_rendered_reply_current(req, key, st, bc_store_generation(st), list_unchanged, &of) ||
                  (bc_entity_digest(req->env, &req->ctx, kind, &dg) == 0 &&
                   bc_rendered_reply_digest(req, key, st, &dg))))
        return 0;
    int rc = bc_entity_all_ro_digest(req->env, &req->ctx, kind, 1000, &all, &dg);
    if (rc < 0) return rc;
    if (keyed && dg.ok) {
        json_t *body =
            json_pack("{s:o, s:n}", "items", public_list(all, fields, nfields, must_offer), "next_cursor");
        json_decref(all);
        return bc_rendered_reply_json_digest(req, key, st, &dg, body);
    }
    /* no digest (another backend): remembered with the items it was rendered from */
    size_t n = json_array_size(all);
    bool memo = keyed && n <= BC_RENDERED_MAX_INPUTS;
    if (memo) {
        for (size_t i = 0; i < n; i++) in[i] = json_array_get(all, i);
        if (bc_rendered_reply(req, key, in, n)) {
            json_decref(all);
            return 0;
        }
    }
    json_t *items = public_list(all, fields, nfields, must_offer);
    if (!memo) {
        json_decref(all);
        return bc_reply_list(req, items, NULL);
    }
    json_t *body = json_pack("{s:o, s:n}", "items", items, "next_cursor"); /* what bc_reply_list answers */
    rc = bc_rendered_reply_json(req, key, in, n, body);
    json_decref(all);
    return rc;
}

int bc_api_widget_services(struct bc_req *req)
{
    static const char *const fields[] = {"id", "name", "description", "duration_min", "price", "currency"};
    return widget_list(req, "SERVICE", fields, sizeof fields / sizeof fields[0], NULL);
}

int bc_api_widget_providers(struct bc_req *req)
{
    static const char *const fields[] = {"id", "name", "service_ids"};
    const char *sid = bc_req_query(req, "service_id");
    json_t *svc = NULL;
    if (sid) {
        int rc = bc_entity_get(req->env, &req->ctx, "SERVICE", sid, &svc);
        json_decref(svc);
        if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "Unknown service.");
        if (rc < 0) return rc;
    }
    return widget_list(req, "PROVIDER", fields, sizeof fields / sizeof fields[0], sid);
}

/* ---- resources (rooms, equipment): admin CRUD ---- */

int bc_api_resources_list(struct bc_req *req)
{
    return list(req, "RESOURCE");
}

int bc_api_resources_get(struct bc_req *req)
{
    return get(req, "RESOURCE", "resource");
}

int bc_api_resources_create(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_resource_create(req->env, &req->ctx, body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    req->audit_detail = json_pack("{s:O}", "resource_id", json_object_get(out, "id"));
    return bc_reply_wrapped(req, 201, "resource", out);
}

int bc_api_resources_patch(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_resource_patch(req->env, &req->ctx, bc_req_param(req, "id"), body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_wrapped(req, 200, "resource", out);
}

int bc_api_resources_delete(struct bc_req *req)
{
    char msg[256] = "";
    int rc = bc_resource_delete(req->env, &req->ctx, bc_req_param(req, "id"), msg, sizeof msg);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    return bc_reply_empty(req, 204);
}
