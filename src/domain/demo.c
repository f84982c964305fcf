/* The demo tenant: "Clínica Dental Sonrisa" in Madrid, the clinic of the demo page (web/demo/). See
 * demo.h. */
#include "domain/demo.h"
#include "domain/fields.h"
#include "domain/env.h"
#include "domain/apikey.h"
#include "domain/catalog.h"
#include "domain/onboarding.h"
#include "domain/resource.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/tenant.h"
#include "domain/user.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

/* room: the service needs the clinic's one whitening room (a resource, docs/booking.md); capacity: seats of a
 * group session */
static const struct {
    const char *name, *description, *synonyms[3];
    int minutes, price;
    bool room;
    int capacity;
} services[] = {
    {"Limpieza dental",
     "Limpieza completa con ultrasonidos y pulido.",
     {"limpieza", "higiene dental", NULL},
     30,
     45,
     false,
     1},
    {"Revisión", "Revisión general y diagnóstico.", {"revision", "chequeo", "consulta"}, 20, 30, false, 1},
    {"Blanqueamiento", "Blanqueamiento dental en clínica.", {"blanquear", NULL, NULL}, 60, 180, true, 1},
    {"Taller de higiene bucal",
     "Sesión en grupo: cepillado, hilo dental y dudas (hasta 8 personas).",
     {"taller", "charla", NULL},
     60,
     10,
     false,
     8},
};

/* Both professionals offer every service, Monday to Friday 09:00-14:00 and 16:00-20:00. */
static const char *const pros[] = {"Dra. Marta López", "Dr. Javier Ruiz"};
static const char hours[] = "1 09:00 14:00;1 16:00 20:00;2 09:00 14:00;2 16:00 20:00;3 09:00 14:00;"
                            "3 16:00 20:00;4 09:00 14:00;4 16:00 20:00;5 09:00 14:00;5 16:00 20:00";

static json_t *parse_hours(const char *spec)
{
    json_t *weekly = json_array();
    for (const char *p = spec; *p;) {
        int day;
        char start[6], end[6];
        if (sscanf(p, "%d %5s %5s", &day, start, end) == 3)
            json_array_append_new(weekly,
                                  json_pack("{s:i, s:s, s:s}", "weekday", day, "start", start, "end", end));
        const char *semi = strchr(p, ';');
        p = semi ? semi + 1 : p + strlen(p);
    }
    return json_pack("{s:o}", "weekly", weekly);
}

/* The multi-branch organisation of the demo (docs/organisations.md): the organisation and its branches. */
static const struct {
    const char *id, *name, *address;
} org_tenants[] = {
    {BC_DEMO_ORG_ID, BC_DEMO_ORG_NAME, "Calle de Alcalá 120, 28009 Madrid"},
    {"demo-chamberi", "Sonrisa Chamberí", "Calle de Santa Engracia 40, 28010 Madrid"},
    {"demo-salamanca", "Sonrisa Salamanca", "Calle de Serrano 60, 28001 Madrid"},
};

/* A clinic's business details, catalogue and hours: what the demo page (web/demo/) shows. */
static int fill(struct bc_env *env, const struct bc_ctx *ctx, const char *title, const char *address,
                char *msg, size_t msgsize)
{
    json_t *ids = json_array(), *out = NULL;
    json_t *settings =
        json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}}", "business", "address", address, "phone",
                  "+34 910 000 000", "email", "hola@clinica-sonrisa.example", "about",
                  "Clínica dental en Madrid: revisiones, limpiezas y tratamientos sin esperas.", "widget",
                  "color", "#0f766e", "title", title);
    int rc = bc_settings_patch(env, ctx, settings, msg, msgsize, &out);
    json_decref(settings);
    json_decref(out);
    /* the one whitening room both dentists share */
    json_t *room = NULL, *rbody = json_pack("{s:s, s:i}", "name", "Sala de blanqueamiento", "quantity", 1);
    if (rc == 0) rc = bc_resource_create(env, ctx, rbody, msg, msgsize, &room);
    json_decref(rbody);
    for (size_t i = 0; rc == 0 && i < sizeof services / sizeof services[0]; i++) {
        json_t *syn = json_array();
        for (int j = 0; j < 3 && services[i].synonyms[j]; j++)
            json_array_append_new(syn, json_string(services[i].synonyms[j]));
        json_t *body =
            json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:o}", "name", services[i].name, "description",
                      services[i].description, "duration_min", services[i].minutes, "price",
                      services[i].price, "currency", "EUR", "order", (int)i, "synonyms", syn);
        json_object_set_new(body, "capacity", json_integer(services[i].capacity));
        if (services[i].room)
            json_object_set_new(body, "resource_ids", json_pack("[O]", json_object_get(room, "id")));
        out = NULL;
        rc = bc_service_create(env, ctx, body, msg, msgsize, &out);
        if (rc == 0) json_array_append(ids, json_object_get(out, "id"));
        json_decref(body);
        json_decref(out);
    }
    for (size_t i = 0; rc == 0 && i < sizeof pros / sizeof pros[0]; i++) {
        json_t *body = json_pack("{s:s, s:s, s:O, s:i}", "name", pros[i], "bio", "Odontología general",
                                 "service_ids", ids, "order", (int)i);
        out = NULL;
        rc = bc_provider_create(env, ctx, body, 50, msg, msgsize, &out);
        json_decref(body);
        if (rc == 0) {
            json_t *weekly = parse_hours(hours), *h = NULL;
            rc = bc_hours_put(env, ctx, S(out, "id"), weekly, msg, msgsize, &h);
            json_decref(weekly);
            json_decref(h);
        }
        json_decref(out);
    }
    json_decref(ids);
    json_decref(room);
    return rc;
}

/* "scheme://host[:port]" of a URL, into buf. */
static const char *origin_of(const char *url, char *buf, size_t size)
{
    const char *host = strstr(url, "://");
    size_t n = host ? (size_t)(strcspn(host + 3, "/?#") + (size_t)(host + 3 - url)) : strlen(url);
    snprintf(buf, size, "%.*s", (int)n, url);
    return buf;
}

/* Revokes every active key of the demo tenant (the keys handed out at earlier starts). */
static int revoke_all(struct bc_env *env, const struct bc_ctx *ctx)
{
    json_t *items = NULL;
    char *next = NULL;
    int rc = bc_apikey_list(env, ctx, 1000, NULL, &items, &next);
    free(next);
    size_t i;
    json_t *k;
    json_array_foreach(items, i, k)
    {
        const char *st = S(k, "status");
        if (rc == 0 && st && strcmp(st, "revoked") != 0) rc = bc_apikey_revoke(env, ctx, S(k, "id"));
    }
    json_decref(items);
    return rc;
}

/* Revokes the keys of earlier starts and makes this start's widget key for origin (its secret into secret).
 */
static int fresh_key(struct bc_env *env, const struct bc_ctx *ctx, const char *origin,
                     char secret[BC_APIKEY_SECRET_SIZE], char *msg, size_t msgsize, json_t **key)
{
    json_t *origins = json_pack("[s]", origin);
    struct bc_apikey_new kn = {"Demo key", origins, false};
    int rc = revoke_all(env, ctx);
    if (rc == 0) rc = bc_apikey_create(env, ctx, &kn, secret, msg, msgsize, key);
    json_decref(origins);
    return rc;
}

/* The demo organisation and its branches, once (each branch a whole clinic; the organisation only asks
 * which branch); then a fresh widget key of the organisation for origin, its secret into secret. */
static int ensure_org(struct bc_env *env, const char *origin, char secret[BC_APIKEY_SECRET_SIZE], char *msg,
                      size_t msgsize)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof org_tenants / sizeof org_tenants[0]; i++) {
        struct bc_ctx ctx;
        json_t *meta = NULL, *made = NULL;
        bc_ctx_operator(&ctx, org_tenants[i].id);
        rc = bc_tenant_get(env, &ctx, &meta);
        json_decref(meta);
        if (rc != BC_ENOT_FOUND) continue;
        struct bc_tenant_new tn = {org_tenants[i].id, org_tenants[i].name,      "BUSINESS", "es",
                                   "Europe/Madrid",   i ? BC_DEMO_ORG_ID : NULL};
        rc = bc_tenant_create(env, &tn, msg, msgsize, &made);
        json_decref(made);
        if (rc == 0 && i) rc = fill(env, &ctx, org_tenants[i].name, org_tenants[i].address, msg, msgsize);
    }
    struct bc_ctx org;
    json_t *key = NULL;
    bc_ctx_operator(&org, BC_DEMO_ORG_ID);
    if (rc == 0) rc = fresh_key(env, &org, origin, secret, msg, msgsize, &key);
    json_decref(key);
    return rc;
}

int bc_demo_ensure(struct bc_env *env, const char *public_url, json_t **out, char *msg, size_t msgsize)
{
    struct bc_ctx ctx;
    json_t *meta = NULL, *onboarded = NULL, *key = NULL, *user = NULL;
    char origin[256], secret[BC_APIKEY_SECRET_SIZE], password[21] = "";
    bool created = false;
    *out = NULL;
    bc_ctx_operator(&ctx, BC_DEMO_TENANT_ID);
    origin_of(public_url, origin, sizeof origin);
    int rc = bc_tenant_get(env, &ctx, &meta);
    if (rc == BC_ENOT_FOUND) {
        json_t *origins = json_pack("[s]", origin);
        struct bc_onboard in = {
            .tenant = {BC_DEMO_TENANT_ID, BC_DEMO_TENANT_NAME, "BUSINESS", "es", "Europe/Madrid", NULL},
            .origins = origins,
            .owner_email = BC_DEMO_OWNER_EMAIL,
            .owner_name = "Demo",
            .empty = true,
            .public_url = public_url,
        };
        rc = bc_onboard_tenant(env, &in, msg, msgsize, &onboarded);
        json_decref(origins);
        if (rc == 0)
            rc = fill(env, &ctx, BC_DEMO_TENANT_NAME, "Calle de Alcalá 120, 28009 Madrid", msg, msgsize);
        if (rc == 0) rc = bc_tenant_get(env, &ctx, &meta);
        created = rc == 0;
    }
    if (rc < 0) goto out;
    if (bc_tenant_check_active(meta) < 0) {
        snprintf(msg, msgsize,
                 "the demo tenant \"%s\" is %s: restore it (bookchat tenant restore %s) or purge it "
                 "(bookchat tenant purge %s --now) and start again",
                 BC_DEMO_TENANT_ID, bc_field_str(meta, BC_F_STATUS), BC_DEMO_TENANT_ID, BC_DEMO_TENANT_ID);
        rc = BC_ECONFLICT;
        goto out;
    }
    /* a fresh key for this start's origin, a fresh password: nothing to remember between runs */
    rc = fresh_key(env, &ctx, origin, secret, msg, msgsize, &key);
    if (rc == 0) rc = bc_user_find(env, &ctx, BC_DEMO_OWNER_EMAIL, &user);
    if (rc == BC_ENOT_FOUND) {
        rc = bc_user_create(env, &ctx, BC_DEMO_OWNER_EMAIL, "Demo", "owner", NULL, password, msg, msgsize,
                            &user);
    } else if (rc == 0) {
        rc = bc_user_set_password(env, &ctx, S(user, "id"), NULL, password, msg, msgsize);
    }
    char org_secret[BC_APIKEY_SECRET_SIZE];
    if (rc == 0) rc = ensure_org(env, origin, org_secret, msg, msgsize);
    if (rc < 0) goto out;
    struct bc_buf demo = BC_BUF_INIT, admin = BC_BUF_INIT, org_demo = BC_BUF_INIT;
    bc_buf_printf(&demo, "%s/demo/?key=%s", public_url, secret); /* the page keeps the key it is given */
    bc_buf_printf(&admin, "%s/admin/", public_url);
    bc_buf_printf(&org_demo, "%s/demo/?key=%s", public_url, org_secret);
    *out = json_pack("{s:o, s:b, s:{s:O, s:s, s:O}, s:{s:s, s:s}, s:s, s:s, s:{s:s, s:s}}", "tenant",
                     bc_tenant_view(env, meta), "created", created, "api_key", "id",
                     json_object_get(key, "id"), "secret", secret, "origins", json_object_get(key, "origins"),
                     "owner", "email", BC_DEMO_OWNER_EMAIL, "password", password, "demo_url",
                     demo.data ? demo.data : "", "admin_url", admin.data ? admin.data : "", "organisation",
                     "tenant_id", BC_DEMO_ORG_ID, "demo_url", org_demo.data ? org_demo.data : "");
    bc_buf_release(&demo);
    bc_buf_release(&admin);
    bc_buf_release(&org_demo);
    if (!*out) rc = BC_ENOMEM;
out:
    json_decref(meta);
    json_decref(onboarded);
    json_decref(key);
    json_decref(user);
    return rc;
}
