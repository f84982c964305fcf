/* libFuzzer target: request bodies of every endpoint family, fed to the domain functions the handlers call
 * (validation and writes) on a real LMDB store with a tenant, services and a professional. The first byte
 * chooses the family; the rest is the body. No crash, leak or sanitizer report. */
#include "auth/secret.h"
#include "domain/apikey.h"
#include "domain/env.h"
#include "domain/booking.h"
#include "domain/catalog.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "util/id.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct bc_store *s;
static struct bc_env *env; /* the domain environment of s */
static struct bc_ctx ctx;
static char service_id[64], provider_id[64], key_id[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/fuzz-bodies-XXXXXX", url[128], msg[256];
    unsigned char secret[32] = {3};
    if (!mkdtemp(dir)) abort();
    snprintf(url, sizeof url, "lmdb:%s?sync=none", dir);
    bc_id_global_init();
    bc_secret_set_for_tests(secret, sizeof secret);
    if (bc_store_open(url, &s, msg, sizeof msg) < 0) abort();
    if (!(env = bc_env_new(s))) abort();
    json_t *t = NULL, *o = NULL;
    struct bc_tenant_new tn = {.name = "Fuzz", .plan = "ENTERPRISE"};
    if (bc_tenant_create(env, &tn, msg, sizeof msg, &t) < 0) abort();
    bc_ctx_operator(&ctx, json_string_value(json_object_get(t, "id")));
    ctx.tenant = t;
    json_t *b = json_pack("{s:s, s:i}", "name", "Corte", "duration_min", 30);
    bc_service_create(env, &ctx, b, msg, sizeof msg, &o);
    snprintf(service_id, sizeof service_id, "%s", json_string_value(json_object_get(o, "id")));
    json_decref(o);
    json_decref(b);
    b = json_pack("{s:s, s:[s]}", "name", "Ana", "service_ids", service_id);
    bc_provider_create(env, &ctx, b, 1000, msg, sizeof msg, &o);
    snprintf(provider_id, sizeof provider_id, "%s", json_string_value(json_object_get(o, "id")));
    json_decref(o);
    json_decref(b);
    char secretkey[BC_APIKEY_SECRET_SIZE];
    json_t *origins = json_pack("[s]", "https://a.example.com");
    struct bc_apikey_new kn = {"k", origins, false};
    bc_apikey_create(env, &ctx, &kn, secretkey, msg, sizeof msg, &o);
    snprintf(key_id, sizeof key_id, "%s", json_string_value(json_object_get(o, "id")));
    json_decref(o);
    json_decref(origins);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    json_t *body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    char msg[300] = "";
    json_t *out = NULL;
    const char *sv = json_string_value(json_object_get(body, "service_id"));
    switch (data[0] % 12) {
    case 0:
        bc_service_create(env, &ctx, body, msg, sizeof msg, &out);
        break;
    case 1:
        bc_service_patch(env, &ctx, service_id, body, msg, sizeof msg, &out);
        break;
    case 2:
        bc_provider_patch(env, &ctx, provider_id, body, msg, sizeof msg, &out);
        break;
    case 3:
        bc_settings_patch(env, &ctx, body, msg, sizeof msg, &out);
        break;
    case 4:
        bc_settings_ai_put(env, &ctx, body, BC_AI_FSM | BC_AI_NLP | BC_AI_AGENT, msg, sizeof msg, &out);
        break;
    case 5:
        bc_exception_create(env, &ctx, body, msg, sizeof msg, &out);
        break;
    case 6:
        bc_hours_put(env, &ctx, provider_id, body, msg, sizeof msg, &out);
        break;
    case 7:
        bc_apikey_update(env, &ctx, key_id, body, msg, sizeof msg, &out);
        break;
    case 8:
        bc_plan_put(env, "FUZZ", body, msg, sizeof msg, &out);
        break;
    case 9:
        bc_tenant_set_limits(env, &ctx, body, msg, sizeof msg, &out);
        break;
    case 10: {
        json_t *c = json_object_get(body, "customer");
        struct bc_booking_in in = {
            .service_id = sv ? sv : service_id,
            .provider_id = json_string_value(json_object_get(body, "provider_id")),
            .start = json_string_value(json_object_get(body, "start")),
            .name = json_string_value(json_object_get(c, "name")),
            .email = json_string_value(json_object_get(c, "email")),
            .phone = json_string_value(json_object_get(c, "phone")),
            .notes = json_string_value(json_object_get(body, "notes")),
            .hold_id = json_string_value(json_object_get(body, "hold_id")),
            .idempotency_key = json_string_value(json_object_get(body, "key")),
            .monthly_limit = BC_UNLIMITED,
        };
        bc_booking_create(env, &ctx, &in, msg, sizeof msg, &out);
        break;
    }
    default:
        bc_booking_hold(env, &ctx, sv ? sv : service_id,
                        json_string_value(json_object_get(body, "provider_id")),
                        json_string_value(json_object_get(body, "start")), msg, sizeof msg, &out);
        break;
    }
    json_decref(out);
    json_decref(body);
    return 0;
}
