/* A tenant with a bit of everything, for the tests of export/import, migration and purge: onboarding
 * (sample service, professional, hours, owner, first key), a rotated key (its old look-up has a ttl), a
 * revoked key, a second user, a booking-like item and a conversation with a ttl. Plus helpers that look at
 * the whole store independently of the code under test (bc_store_scan and plain string search). */
#ifndef BC_TENANT_FIXTURE_H
#define BC_TENANT_FIXTURE_H
#include "../testlib.h"

#include "auth/secret.h"
#include "domain/apikey.h"
#include "domain/onboarding.h"
#include "domain/plan.h"
#include "domain/user.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <jansson.h>

static inline void fx_init(void)
{
    static const unsigned char secret[32] = "tenant-fixture-secret-0123456789";
    bc_clock_init();
    bc_id_global_init();
    bc_secret_set_for_tests(secret, sizeof secret);
}

/* A fresh LMDB store in a new temporary directory, with its domain environment. */
static inline struct bc_env *fx_store(const char *tag)
{
    char dir[512], url[600], err[256] = "";
    struct bc_store *s = NULL;
    bc_test_tmpdir(dir, sizeof dir, tag);
    snprintf(url, sizeof url, "lmdb:%s", dir);
    if (bc_store_open(url, &s, err, sizeof err) < 0) fail_msg("open %s: %s", url, err);
    return bc_test_env(s);
}

/* An empty tenant (no sample data, no origins) in Europe/Madrid with a new lower-case id (tenant, at least
 * BC_ID_LEN + 1 bytes), and an operator context for it (released by the caller with bc_ctx_release). */
static inline void fx_empty_tenant(struct bc_env *s, const char *name, char *tenant, struct bc_ctx *ctx)
{
    char msg[256] = "";
    bc_id_new(tenant);
    for (char *p = tenant; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    json_t *out = NULL, *origins = json_array();
    struct bc_onboard in = {.tenant = {tenant, name, "BUSINESS", "es", "Europe/Madrid", NULL},
                            .origins = origins,
                            .allow_no_origin = true,
                            .empty = true};
    if (bc_onboard_tenant(s, &in, msg, sizeof msg, &out) < 0) fail_msg("onboard: %s", msg);
    json_decref(out);
    json_decref(origins);
    bc_ctx_operator(ctx, tenant);
}

/* Onboards tenant `id` with sample data and adds the extra kinds listed above. Secrets of the keys are
 * written to active_secret (the key that works) and old_secret (the rotated one, in its grace period). */
static inline void fx_tenant(struct bc_env *s, const char *id, char *active_secret, char *old_secret)
{
    char msg[256] = "", secret[BC_APIKEY_SECRET_SIZE], pw[21];
    json_t *out = NULL, *origins = json_pack("[s]", "https://shop.example.com");
    assert_int_equal(bc_plan_ensure_defaults(s), 0);
    struct bc_onboard in = {.tenant = {id, "Clínica Ñandú", "BUSINESS", "es", "Europe/Madrid", NULL},
                            .origins = origins,
                            .owner_email = "owner@nandu.example.com",
                            .public_url = "https://bookchat.example.com"};
    int rc = bc_onboard_tenant(s, &in, msg, sizeof msg, &out);
    if (rc < 0) fail_msg("onboard %s: %d %s", id, rc, msg);
    struct bc_ctx ctx;
    bc_ctx_operator(&ctx, id);
    const char *first_id = json_string_value(json_object_get(json_object_get(out, "api_key"), "id"));
    if (old_secret)
        snprintf(old_secret, BC_APIKEY_SECRET_SIZE, "%s",
                 json_string_value(json_object_get(json_object_get(out, "api_key"), "secret")));
    json_t *rot = NULL;
    assert_int_equal(bc_apikey_rotate(s, &ctx, first_id, 3600, secret, &rot), 0);
    if (active_secret) snprintf(active_secret, BC_APIKEY_SECRET_SIZE, "%s", secret);
    json_decref(rot);
    json_t *k2 = NULL;
    struct bc_apikey_new kn = {"Old site", origins, false};
    assert_int_equal(bc_apikey_create(s, &ctx, &kn, secret, msg, sizeof msg, &k2), 0);
    assert_int_equal(bc_apikey_revoke(s, &ctx, json_string_value(json_object_get(k2, "id"))), 0);
    json_decref(k2);
    json_t *u = NULL;
    assert_int_equal(bc_user_create(s, &ctx, "staff@nandu.example.com", "Staff", "viewer", "a-long-password",
                                    pw, msg, sizeof msg, &u),
                     0);
    json_decref(u);
    char pk[80];
    snprintf(pk, sizeof pk, "TENANT#%s", id);
    json_t *b = json_pack("{s:s, s:s, s:s, s:f, s:{s:s}}", "PK", pk, "SK", "BOOKING#01TESTBOOKING", "status",
                          "confirmed", "price", 42.5, "customer", "name", "José Pérez");
    json_t *c = json_pack("{s:s, s:s, s:s, s:I}", "PK", pk, "SK", "CONV#01TESTCONV", "status", "open", "ttl",
                          (json_int_t)(bc_now_s() + 30 * 86400));
    assert_int_equal(bc_store_put(s->store, b, NULL), 0);
    assert_int_equal(bc_store_put(s->store, c, NULL), 0);
    json_decref(b);
    json_decref(c);
    json_decref(origins);
    json_decref(out);
}

/* Every live item of the store (bc_store_scan), as compact JSON strings sorted (caller decrefs). */
static inline json_t *fx_scan_all(struct bc_env *s)
{
    json_t *all = json_array();
    char *cursor = NULL;
    do {
        struct bc_query_result r;
        assert_int_equal(bc_store_scan(s->store, cursor, 1000, &r), 0);
        free(cursor);
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it)
        {
            char *line = json_dumps(it, JSON_COMPACT | JSON_SORT_KEYS);
            json_array_append_new(all, json_string(line));
            free(line);
        }
        cursor = r.next_cursor;
        r.next_cursor = NULL;
        bc_query_result_release(&r);
    } while (cursor);
    return all;
}

/* How many items of the whole store mention needle anywhere (keys or values). */
static inline size_t fx_count_mentions(struct bc_env *s, const char *needle)
{
    json_t *all = fx_scan_all(s);
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(all, i, v) n += strstr(json_string_value(v), needle) != NULL;
    json_decref(all);
    return n;
}

#endif
