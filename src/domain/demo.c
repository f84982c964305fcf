/* The demo tenant: "Clínica Bienestar", fisioterapia y masaje in Madrid. See demo.h. */
#include "domain/demo.h"
#include "domain/apikey.h"
#include "domain/catalog.h"
#include "domain/onboarding.h"
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

static const struct {
    const char *name, *description;
    int minutes, price;
} services[] = {
    {"Primera visita de fisioterapia", "Valoración, diagnóstico fisioterapéutico y plan de tratamiento.", 45,
     45},
    {"Sesión de fisioterapia", "Tratamiento manual y ejercicio terapéutico.", 45, 40},
    {"Masaje deportivo", "Masaje de descarga para deportistas.", 60, 50},
    {"Pilates terapéutico", "Sesión individual de pilates con fisioterapeuta.", 55, 35},
};

/* Which services each professional offers (indexes into services) and their weekly hours. */
static const struct {
    const char *name, *bio;
    int services[4];
    const char *hours; /* "weekday start end;…" */
} pros[] = {
    {"Laura Martín",
     "Fisioterapeuta, especialista en espalda y suelo pélvico.",
     {0, 1, 2, -1},
     "1 09:00 14:00;1 16:00 20:00;2 09:00 14:00;2 16:00 20:00;3 09:00 14:00;3 16:00 20:00;"
     "4 09:00 14:00;4 16:00 20:00;5 09:00 14:00"},
    {"Javier Ruiz",
     "Fisioterapeuta deportivo e instructor de pilates.",
     {1, 2, 3, -1},
     "1 10:00 14:00;1 15:00 19:00;2 10:00 14:00;2 15:00 19:00;3 10:00 14:00;3 15:00 19:00;"
     "4 10:00 14:00;4 15:00 19:00;5 10:00 14:00;5 15:00 19:00;6 10:00 14:00"},
};

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

/* The demo's business details, catalogue and hours. */
static int fill(struct bc_store *s, const struct bc_ctx *ctx, char *msg, size_t msgsize)
{
    json_t *ids = json_array(), *out = NULL;
    json_t *settings = json_pack(
        "{s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s}}", "business", "address",
        "Calle de Alcalá 123, 28009 Madrid", "phone", "+34 910 000 000", "email",
        "hola@clinica-bienestar.example", "website", "https://clinica-bienestar.example", "about",
        "Clínica de fisioterapia y masaje. Abierto de lunes a sábado.", "widget", "color", "#0f766e",
        "greeting", "¡Hola! Soy el asistente de reservas de Clínica Bienestar. ¿En qué te puedo ayudar?");
    int rc = bc_settings_patch(s, ctx, settings, msg, msgsize, &out);
    json_decref(settings);
    json_decref(out);
    for (size_t i = 0; rc == 0 && i < sizeof services / sizeof services[0]; i++) {
        json_t *body = json_pack("{s:s, s:s, s:i, s:i, s:s, s:i}", "name", services[i].name, "description",
                                 services[i].description, "duration_min", services[i].minutes, "price",
                                 services[i].price, "currency", "EUR", "order", (int)i);
        out = NULL;
        rc = bc_service_create(s, ctx, body, msg, msgsize, &out);
        if (rc == 0) json_array_append(ids, json_object_get(out, "id"));
        json_decref(body);
        json_decref(out);
    }
    for (size_t i = 0; rc == 0 && i < sizeof pros / sizeof pros[0]; i++) {
        json_t *offered = json_array();
        for (int j = 0; j < 4 && pros[i].services[j] >= 0; j++)
            json_array_append(offered, json_array_get(ids, (size_t)pros[i].services[j]));
        json_t *body = json_pack("{s:s, s:s, s:o, s:i}", "name", pros[i].name, "bio", pros[i].bio,
                                 "service_ids", offered, "order", (int)i);
        out = NULL;
        rc = bc_provider_create(s, ctx, body, 50, msg, msgsize, &out);
        json_decref(body);
        if (rc == 0) {
            json_t *hours = parse_hours(pros[i].hours), *h = NULL;
            rc = bc_hours_put(s, ctx, S(out, "id"), hours, msg, msgsize, &h);
            json_decref(hours);
            json_decref(h);
        }
        json_decref(out);
    }
    json_decref(ids);
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
static int revoke_all(struct bc_store *s, const struct bc_ctx *ctx)
{
    json_t *items = NULL;
    char *next = NULL;
    int rc = bc_apikey_list(s, ctx, 1000, NULL, &items, &next);
    free(next);
    size_t i;
    json_t *k;
    json_array_foreach(items, i, k)
    {
        const char *st = S(k, "status");
        if (rc == 0 && st && strcmp(st, "revoked") != 0) rc = bc_apikey_revoke(s, ctx, S(k, "id"));
    }
    json_decref(items);
    return rc;
}

int bc_demo_ensure(struct bc_store *s, const char *public_url, json_t **out, char *msg, size_t msgsize)
{
    struct bc_ctx ctx;
    json_t *meta = NULL, *onboarded = NULL, *key = NULL, *user = NULL;
    char origin[256], secret[BC_APIKEY_SECRET_SIZE], password[21] = "";
    bool created = false;
    *out = NULL;
    bc_ctx_operator(&ctx, BC_DEMO_TENANT_ID);
    origin_of(public_url, origin, sizeof origin);
    int rc = bc_tenant_get(s, &ctx, &meta);
    if (rc == BC_ENOT_FOUND) {
        json_t *origins = json_pack("[s]", origin);
        struct bc_onboard in = {
            .tenant = {BC_DEMO_TENANT_ID, "Clínica Bienestar", "BUSINESS", "es", "Europe/Madrid", NULL},
            .origins = origins,
            .owner_email = BC_DEMO_OWNER_EMAIL,
            .owner_name = "Demo",
            .empty = true,
            .public_url = public_url,
        };
        rc = bc_onboard_tenant(s, &in, msg, msgsize, &onboarded);
        json_decref(origins);
        if (rc == 0) rc = fill(s, &ctx, msg, msgsize);
        if (rc == 0) rc = bc_tenant_get(s, &ctx, &meta);
        created = rc == 0;
    }
    if (rc < 0) goto out;
    if (bc_tenant_check_active(meta) < 0) {
        snprintf(msg, msgsize,
                 "the demo tenant \"%s\" is %s: restore it (bookchat tenant restore %s) or purge it "
                 "(bookchat tenant purge %s --now) and start again",
                 BC_DEMO_TENANT_ID, S(meta, "status"), BC_DEMO_TENANT_ID, BC_DEMO_TENANT_ID);
        rc = BC_ECONFLICT;
        goto out;
    }
    /* a fresh key for this start's origin, a fresh password: nothing to remember between runs */
    json_t *origins = json_pack("[s]", origin);
    struct bc_apikey_new kn = {"Demo key", origins, false};
    rc = revoke_all(s, &ctx);
    if (rc == 0) rc = bc_apikey_create(s, &ctx, &kn, secret, msg, msgsize, &key);
    json_decref(origins);
    if (rc == 0) rc = bc_user_find(s, &ctx, BC_DEMO_OWNER_EMAIL, &user);
    if (rc == BC_ENOT_FOUND) {
        rc = bc_user_create(s, &ctx, BC_DEMO_OWNER_EMAIL, "Demo", "owner", NULL, password, msg, msgsize,
                            &user);
    } else if (rc == 0) {
        rc = bc_user_set_password(s, &ctx, S(user, "id"), NULL, password, msg, msgsize);
    }
    if (rc < 0) goto out;
    struct bc_buf demo = BC_BUF_INIT, admin = BC_BUF_INIT;
    bc_buf_printf(&demo, "%s/demo/", public_url);
    bc_buf_printf(&admin, "%s/admin/", public_url);
    *out = json_pack("{s:o, s:b, s:{s:O, s:s, s:O}, s:{s:s, s:s}, s:s, s:s}", "tenant", bc_tenant_view(meta),
                     "created", created, "api_key", "id", json_object_get(key, "id"), "secret", secret,
                     "origins", json_object_get(key, "origins"), "owner", "email", BC_DEMO_OWNER_EMAIL,
                     "password", password, "demo_url", demo.data ? demo.data : "", "admin_url",
                     admin.data ? admin.data : "");
    bc_buf_release(&demo);
    bc_buf_release(&admin);
    if (!*out) rc = BC_ENOMEM;
out:
    json_decref(meta);
    json_decref(onboarded);
    json_decref(key);
    json_decref(user);
    return rc;
}
