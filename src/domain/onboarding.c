/* Tenant onboarding. If a step after the tenant's creation fails, the tenant is left SUSPENDED so the
 * operator sees it and can retry or delete it: half-made tenants never serve traffic. */
#include "domain/onboarding.h"
#include "domain/env.h"
#include "auth/password.h"
#include "domain/apikey.h"
#include "domain/catalog.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "domain/user.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *bc_onboard_snippet(const char *public_url, const char *secret)
{
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "<script src=\"%s/widget.js\" data-key=\"%s\" async></script>", public_url, secret);
    return bc_buf_detach(&b, NULL);
}

/* Weekly hours Monday-Friday: Spanish businesses usually split the day, English-speaking ones do not. */
static json_t *sample_hours(bool es)
{
    json_t *weekly = json_array();
    for (int day = 1; day <= 5; day++) {
        if (es) {
            json_array_append_new(
                weekly, json_pack("{s:i, s:s, s:s}", "weekday", day, "start", "09:00", "end", "14:00"));
            json_array_append_new(
                weekly, json_pack("{s:i, s:s, s:s}", "weekday", day, "start", "16:00", "end", "19:00"));
        } else {
            json_array_append_new(
                weekly, json_pack("{s:i, s:s, s:s}", "weekday", day, "start", "09:00", "end", "17:00"));
        }
    }
    return json_pack("{s:o}", "weekly", weekly);
}

int bc_onboard_samples(struct bc_env *env, const struct bc_ctx *ctx, const char *locale, char *msg,
                       size_t msgsize, json_t **out)
{
    bool es = !locale || strcmp(locale, "en") != 0;
    json_t *meta = NULL, *svc = NULL, *pro = NULL, *hours = NULL, *body;
    struct bc_limits lim;
    if (out) *out = NULL;
    int rc = bc_tenant_get(env, ctx, &meta);
    if (rc == 0) rc = bc_plan_limits(env, meta, &lim);
    json_decref(meta);
    if (rc < 0) return rc;
    body = json_pack("{s:s, s:s, s:i, s:i, s:s}", "name", es ? "Consulta" : "Consultation", "description",
                     es ? "Servicio de ejemplo: cámbialo o bórralo en el panel de administración."
                        : "A sample service: change or delete it in the admin panel.",
                     "duration_min", 30, "price", 30, "currency", es ? "EUR" : "USD");
    rc = bc_service_create(env, ctx, body, msg, msgsize, &svc);
    json_decref(body);
    if (rc < 0) goto out;
    body = json_pack("{s:s, s:[O]}", "name", es ? "Profesional de ejemplo" : "Sample professional",
                     "service_ids", json_object_get(svc, "id"));
    rc = bc_provider_create(env, ctx, body, lim.providers, msg, msgsize, &pro);
    json_decref(body);
    if (rc < 0) goto out;
    body = sample_hours(es);
    rc = bc_hours_put(env, ctx, json_string_value(json_object_get(pro, "id")), body, msg, msgsize, &hours);
    json_decref(body);
    if (rc == 0 && out)
        *out = json_pack("{s:O, s:O}", "service_id", json_object_get(svc, "id"), "provider_id",
                         json_object_get(pro, "id"));
out:
    json_decref(svc);
    json_decref(pro);
    json_decref(hours);
    return rc;
}

int bc_onboard_tenant(struct bc_env *env, const struct bc_onboard *in, char *msg, size_t msgsize,
                      json_t **out)
{
    json_t *tenant = NULL, *key = NULL, *owner = NULL, *sample = NULL;
    char secret[BC_APIKEY_SECRET_SIZE] = "", password[21] = "", email[160];
    struct bc_ctx ctx;
    *out = NULL;
    if (in->origins && !json_is_array(in->origins)) {
        snprintf(msg, msgsize, "origins must be an array");
        return BC_EINVALID;
    }
    if (in->owner_email && !bc_email_valid(in->owner_email)) {
        snprintf(msg, msgsize, "the owner e-mail is not valid");
        return BC_EINVALID;
    }
    /* validate everything the later steps would refuse before the first write: bad input creates nothing */
    size_t i;
    json_t *o;
    json_array_foreach(in->origins, i, o)
    {
        char norm[256];
        if (!json_is_string(o) || bc_origin_normalize(json_string_value(o), norm, sizeof norm) < 0) {
            snprintf(msg, msgsize, "origin '%.80s' is not of the form scheme://host[:port]",
                     json_is_string(o) ? json_string_value(o) : "?");
            return BC_EINVALID;
        }
    }
    if (in->owner_password &&
        (strlen(in->owner_password) < BC_PASSWORD_MIN || strlen(in->owner_password) > BC_PASSWORD_MAX)) {
        snprintf(msg, msgsize, "passwords are %d to %d characters", BC_PASSWORD_MIN, BC_PASSWORD_MAX);
        return BC_EINVALID;
    }
    int rc = bc_tenant_create(env, &in->tenant, msg, msgsize, &tenant);
    if (rc < 0) return rc;
    const char *id = json_string_value(json_object_get(tenant, "id"));
    bc_ctx_operator(&ctx, id);
    json_t *origins = in->origins ? json_deep_copy(in->origins) : json_array();
    /* no origin named: the key works on this server's own pages (the demo page), nowhere else */
    if (json_array_size(origins) == 0 && !in->allow_no_origin && in->public_url)
        json_array_append_new(origins, json_string(in->public_url));
    struct bc_apikey_new kn = {"Widget key", origins, in->allow_no_origin};
    rc = bc_apikey_create(env, &ctx, &kn, secret, msg, msgsize, &key);
    json_decref(origins);
    if (rc < 0) goto out;
    if (in->owner_email)
        snprintf(email, sizeof email, "%s", in->owner_email);
    else
        snprintf(email, sizeof email, "owner@%s.bookchat.invalid", id);
    for (char *p = email; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    rc = bc_user_create(env, &ctx, email, in->owner_name ? in->owner_name : "Owner", "owner",
                        in->owner_password, password, msg, msgsize, &owner);
    if (rc < 0) goto out;
    if (!in->empty &&
        (rc = bc_onboard_samples(env, &ctx, json_string_value(json_object_get(tenant, "locale")), msg,
                                 msgsize, &sample)) < 0)
        goto out;
    char *snippet = bc_onboard_snippet(in->public_url ? in->public_url : "", secret);
    json_object_set_new(key, "secret", json_string(secret));
    json_t *ow = json_pack("{s:s}", "email", email);
    if (!in->owner_password) json_object_set_new(ow, "password", json_string(password));
    json_object_set(ow, "id", json_object_get(owner, "id"));
    *out = json_pack("{s:O, s:O, s:o, s:s}", "tenant", tenant, "api_key", key, "owner", ow, "snippet",
                     snippet ? snippet : "");
    if (*out && sample) json_object_set(*out, "sample", sample);
    free(snippet);
out:
    if (rc < 0 && tenant) {
        json_t *ignored = NULL;
        bc_tenant_set_status(env, &ctx, "SUSPENDED", &ignored);
        json_decref(ignored);
    }
    json_decref(tenant);
    json_decref(key);
    json_decref(owner);
    json_decref(sample);
    return rc;
}
