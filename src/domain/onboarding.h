/* Onboarding: everything a new tenant needs to take bookings, in one call shared by `bookchat tenant create`
 * and POST /v1/platform/tenants: the tenant with its settings, the first API key with its allowed origins,
 * an owner user with a one-time password, sample data in the tenant's language (a service, a professional
 * offering it, Monday-Friday hours; unless empty) and the embed snippet. */
#ifndef BC_ONBOARDING_H
#define BC_ONBOARDING_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain/tenant.h"

struct bc_env;
struct bc_store;

struct bc_onboard {
    struct bc_tenant_new tenant;
    json_t *origins;            /* allowed origins of the first key (array of strings; may be empty) */
    bool allow_no_origin;       /* first key also accepts requests without Origin */
    const char *owner_email;    /* NULL: owner@<tenant id>.bookchat.invalid */
    const char *owner_name;     /* NULL: "Owner" */
    const char *owner_password; /* NULL: generated */
    bool empty;                 /* no sample service/professional/hours */
    const char *public_url;     /* where widget.js is served, for the snippet */
};

/* Returns 0 with *out = {"tenant","api_key":{…,"secret"},"owner":{"email","password"},"snippet"} plus,
 * unless empty, "sample":{"service_id","provider_id"} (caller decrefs; it holds secrets shown once), or
 * BC_EINVALID (msg) / BC_ECONFLICT / a store error. */
int bc_onboard_tenant(struct bc_env *env, const struct bc_onboard *in, char *msg, size_t msgsize,
                      json_t **out);
/* Adds the sample service, professional and weekly hours (Monday to Friday) in locale "es" or "en" to
 * ctx's tenant. *out (optional) = {"service_id","provider_id"}. */
int bc_onboard_samples(struct bc_env *env, const struct bc_ctx *ctx, const char *locale, char *msg,
                       size_t msgsize, json_t **out);
/* The embed snippet for a key. Caller frees. */
char *bc_onboard_snippet(const char *public_url, const char *secret);

#endif
