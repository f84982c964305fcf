/* struct bc_env (domain/env.c): two stores in one process, each with its env, share no state — a plan
 * cached by one env never answers for the other's store, API-key uses remembered by one are written only
 * by its own flush, and settings views are kept per env. */
#include "tenant_fixture.h"

#include "domain/apikey.h"
#include "domain/env.h"
#include "domain/plan.h"
#include "domain/settings.h"
#include "util/jsonv.h"

static struct bc_env *open_env(const char *tag)
{
    char url[600];
    struct bc_store *st = NULL;
    assert_int_equal(bc_store_open(bc_test_store_url(url, sizeof url, tag), &st, NULL, 0), 0);
    struct bc_env *env = bc_test_env(st);
    assert_int_equal(bc_plan_ensure_defaults(env), 0);
    return env;
}

static int64_t messages_of(struct bc_env *env)
{
    json_t *p = NULL;
    assert_int_equal(bc_plan_get(env, "FREE", &p), 0);
    int64_t n = json_integer_value(json_object_get(p, "messages_month"));
    json_decref(p);
    return n;
}

static void test_env__plan_caches_are_per_store(void **state)
{
    (void)state;
    struct bc_env *a = open_env("env-a"), *b = open_env("env-b");
    assert_int_equal(messages_of(a), 500); /* cached in a */
    json_t *body =
        json_pack("{s:i, s:i, s:i, s:[s], s:i, s:i, s:i}", "messages_month", 77, "bookings_month", 5,
                  "providers", 1, "ai_modes", "fsm", "ai_tokens_month", 0, "rate_per_s", 5, "burst", 20);
    char msg[256];
    json_t *out = NULL;
    assert_int_equal(bc_plan_put(b, "FREE", body, msg, sizeof msg, &out), 0);
    json_decref(out);
    json_decref(body);
    assert_int_equal(messages_of(b), 77);  /* b's store, b's cache */
    assert_int_equal(messages_of(a), 500); /* a's cache never answers with b's plan, nor b's with a's */
    assert_int_equal(messages_of(b), 77);
    bc_test_env_close(a);
    bc_test_env_close(b);
}

static void test_env__key_uses_are_flushed_by_their_own_env(void **state)
{
    (void)state;
    fx_init();
    struct bc_env *a = fx_store("env-ka"), *b = fx_store("env-kb");
    char secret[BC_APIKEY_SECRET_SIZE];
    fx_tenant(a, "tenant-keys", secret, NULL);
    const json_t *look = NULL;
    assert_int_equal(bc_apikey_resolve(a, secret, &look), 0);
    const char *tid = json_string_value(json_object_get(look, "tenant_id"));
    const char *kid = json_string_value(json_object_get(look, "key_id"));
    /* a use remembered by b is b's: its flush finds no such key in b's store and writes nothing in a's */
    bc_apikey_touch(b, tid, kid);
    assert_int_equal(bc_apikey_flush_last_used(b), 0);
    assert_int_equal(bc_apikey_flush_last_used(a), 0); /* nothing pending in a */
    struct bc_ctx ctx;
    json_t *key = NULL;
    bc_ctx_operator(&ctx, tid);
    assert_int_equal(bc_apikey_get(a, &ctx, kid, &key), 0);
    assert_true(json_is_null(json_object_get(key, "last_used_at")) || !json_object_get(key, "last_used_at"));
    json_decref(key);
    /* a's use is not drained by b's flush (it would be lost there: the key is not in b's store), and
     * a's flush writes it */
    bc_apikey_touch(a, tid, kid);
    assert_int_equal(bc_apikey_flush_last_used(b), 0);
    assert_int_equal(bc_apikey_flush_last_used(a), 1);
    assert_int_equal(bc_apikey_get(a, &ctx, kid, &key), 0);
    char first[40];
    snprintf(first, sizeof first, "%s", json_string_value(json_object_get(key, "last_used_at")));
    assert_true(first[0] != '\0');
    json_decref(key);
    /* the next uses are written once they moved by the step (an hour), not at every flush */
    bc_clock_advance(BC_APIKEY_LAST_USED_STEP_S / 2);
    bc_apikey_touch(a, tid, kid);
    assert_int_equal(bc_apikey_flush_last_used(a), 0);
    bc_clock_advance(BC_APIKEY_LAST_USED_STEP_S / 2);
    bc_apikey_touch(a, tid, kid);
    assert_int_equal(bc_apikey_flush_last_used(a), 1);
    assert_int_equal(bc_apikey_flush_last_used(a), 0); /* written: nothing due */
    assert_int_equal(bc_apikey_get(a, &ctx, kid, &key), 0);
    int64_t t0 = 0, t1 = 0;
    assert_int_equal(bc_time_parse_iso(first, &t0), 0);
    assert_int_equal(bc_time_parse_iso(json_string_value(json_object_get(key, "last_used_at")), &t1), 0);
    assert_int_equal(t1 - t0, BC_APIKEY_LAST_USED_STEP_S);
    json_decref(key);
    /* a new env on the same store (a restart, another process) finds the stored time within the step of
     * its first use: a read, nothing written; an hour later it writes */
    struct bc_env *again = bc_env_new(a->store);
    assert_non_null(again);
    bc_apikey_touch(again, tid, kid);
    assert_int_equal(bc_apikey_flush_last_used(again), 0);
    bc_clock_advance(BC_APIKEY_LAST_USED_STEP_S);
    bc_apikey_touch(again, tid, kid);
    assert_int_equal(bc_apikey_flush_last_used(again), 1);
    bc_env_free(again);
    bc_json_release(look);
    bc_test_env_close(a);
    bc_test_env_close(b);
}

/* More uses than one store batch holds (BC_STORE_UPDATE_BATCH_MAX): every one is written (the batches'
 * failed conditions are test_env__key_uses_are_flushed_by_their_own_env's). */
static void test_env__many_key_uses_are_flushed_in_batches(void **state)
{
    (void)state;
    fx_init();
    struct bc_env *env = fx_store("env-kmany");
    struct bc_ctx ctx;
    bc_ctx_operator(&ctx, "tenant-many");
    json_t *origins = json_pack("[s]", "https://shop.example.com");
    struct bc_apikey_new in = {"site", origins, false};
    enum { N = BC_STORE_UPDATE_BATCH_MAX + 6 };
    char ids[N][64];
    for (int i = 0; i < N; i++) {
        char secret[BC_APIKEY_SECRET_SIZE], msg[128];
        json_t *v = NULL;
        assert_int_equal(bc_apikey_create(env, &ctx, &in, secret, msg, sizeof msg, &v), 0);
        snprintf(ids[i], sizeof ids[i], "%s", json_string_value(json_object_get(v, "id")));
        json_decref(v);
        bc_apikey_touch(env, "tenant-many", ids[i]);
    }
    assert_int_equal(bc_apikey_flush_last_used(env), N);
    for (int i = 0; i < N; i += N - 1) {
        json_t *key = NULL;
        assert_int_equal(bc_apikey_get(env, &ctx, ids[i], &key), 0);
        assert_non_null(json_string_value(json_object_get(key, "last_used_at")));
        json_decref(key);
    }
    assert_int_equal(bc_apikey_flush_last_used(env), 0); /* nothing pending any more */
    json_decref(origins);
    bc_test_env_close(env);
}

static void test_env__settings_views_and_retention_per_env(void **state)
{
    (void)state;
    struct bc_env *a = open_env("env-va"), *b = open_env("env-vb");
    json_t *item = json_pack("{s:s, s:s}", "timezone", "America/New_York", "locale", "en");
    json_t *va = bc_settings_view_ro(a, item), *va2 = bc_settings_view_ro(a, item);
    assert_ptr_equal(va, va2); /* a keeps its view of the item */
    json_t *vb = bc_settings_view_ro(b, item);
    assert_ptr_not_equal(va, vb); /* b builds its own: the two envs share no memo */
    assert_true(json_equal(va, vb));
    assert_string_equal(json_string_value(json_object_get(vb, "timezone")), "America/New_York");
    json_decref(va);
    json_decref(va2);
    json_decref(vb);
    json_decref(item);
    a->retention_s = 86400;
    assert_int_equal(b->retention_s, 30 * 86400);
    bc_test_env_close(a);
    bc_test_env_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env__plan_caches_are_per_store),
        cmocka_unit_test(test_env__key_uses_are_flushed_by_their_own_env),
        cmocka_unit_test(test_env__many_key_uses_are_flushed_in_batches),
        cmocka_unit_test(test_env__settings_views_and_retention_per_env),
    };
    return cmocka_run_group_tests_name("env", tests, NULL, NULL);
}
