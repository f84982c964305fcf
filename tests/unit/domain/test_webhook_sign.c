/* Unit tests of src/domain/webhook.c: the Standard Webhooks signature against the specification's published
 * test vector (checked with the reference verifier, the npm package standardwebhooks), and the webhook
 * items: the secret shown once and stored only sealed, the dispatcher's targets with the secret opened,
 * rotation, another tenant's ids, bad input storing nothing. */
#include "tenant_fixture.h"

#include "domain/webhook.h"
#include "util/config.h"

#include <sodium.h>

static void test_webhook_sign__spec_vector(void **state)
{
    (void)state;
    char sig[BC_WEBHOOK_SIGNATURE_SIZE];
    const char *body = "{\"test\": 2432232314}";
    assert_int_equal(bc_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                     1614265330, body, strlen(body), sig, sizeof sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* the same key without its prefix */
    assert_int_equal(bc_webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                     1614265330, body, strlen(body), sig, sizeof sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* any change of id, time or body changes the signature */
    bc_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJel", 1614265330,
                    body, strlen(body), sig, sizeof sig);
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    bc_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
                    body, strlen(body), sig, sizeof sig);
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    bc_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                    body, strlen(body) - 1, sig, sizeof sig);
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* refusals */
    assert_int_equal(bc_webhook_sign("whsec_not base64!", "m", 1, "x", 1, sig, sizeof sig), BC_EINVALID);
    assert_int_equal(bc_webhook_sign("whsec_", "m", 1, "x", 1, sig, sizeof sig), BC_EINVALID);
    assert_int_equal(bc_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "x", 1, sig, 20),
                     BC_EINVALID);
}

static struct bc_env *env;

static int setup(void **state)
{
    (void)state;
    fx_init();
    bc_config_reset();
    env = fx_store("webhook");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_test_env_close(env);
    bc_config_reset();
    return 0;
}

static json_t *body(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j) fail_msg("bad test JSON: %s", e.text);
    return j;
}

/* Creates a webhook from JSON text; returns the view (with its secret). */
static json_t *create(const struct bc_ctx *ctx, const char *text)
{
    char msg[256] = "";
    json_t *b = body(text), *out = NULL;
    int rc = bc_webhook_create(env, ctx, b, msg, sizeof msg, &out);
    json_decref(b);
    if (rc < 0) fail_msg("create %s: %d %s", text, rc, msg);
    return out;
}

static void expect_refused(const struct bc_ctx *ctx, const char *text, const char *words)
{
    char msg[256] = "";
    json_t *b = body(text), *out = NULL;
    int rc = bc_webhook_create(env, ctx, b, msg, sizeof msg, &out);
    json_decref(b);
    if (rc != BC_EINVALID) fail_msg("%s: rc %d, want BC_EINVALID", text, rc);
    if (!strstr(msg, words)) fail_msg("%s: message '%s' does not say '%s'", text, msg, words);
    assert_null(out);
}

static void test_webhook__secret_sealed_and_targets(void **state)
{
    (void)state;
    struct bc_ctx a, b;
    bc_ctx_operator(&a, "tenant-a");
    bc_ctx_operator(&b, "tenant-b");
    json_t *w = create(
        &a, "{\"url\":\"https://8.8.8.8/hook\",\"events\":[\"booking.created\",\"booking.cancelled\"]}");
    const char *secret = json_string_value(json_object_get(w, "secret"));
    assert_non_null(secret);
    assert_int_equal(strncmp(secret, "whsec_", 6), 0);
    unsigned char raw[64];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, secret + 6, strlen(secret + 6), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_true(n >= 24);
    assert_true(json_is_true(json_object_get(w, "enabled")));
    assert_null(json_object_get(w, "secret_box"));
    const char *id = json_string_value(json_object_get(w, "id"));

    /* the stored item holds neither the secret nor its bytes */
    char pk[64], sk[64];
    snprintf(pk, sizeof pk, "TENANT#tenant-a");
    snprintf(sk, sizeof sk, "WEBHOOK#%s", id);
    json_t *item = NULL;
    assert_int_equal(bc_store_get(env->store, pk, sk, &item), 0);
    char *dump = json_dumps(item, 0);
    assert_null(strstr(dump, secret));
    assert_null(strstr(dump, secret + 6));
    assert_non_null(json_object_get(item, "secret_box"));
    free(dump);
    json_decref(item);

    /* get and list: no secret */
    json_t *got = NULL, *list = NULL;
    assert_int_equal(bc_webhook_get(env, &a, id, &got), 0);
    assert_null(json_object_get(got, "secret"));
    assert_null(json_object_get(got, "secret_box"));
    json_decref(got);
    assert_int_equal(bc_webhook_list(env, &a, &list), 0);
    assert_int_equal(json_array_size(list), 1);
    assert_null(json_object_get(json_array_get(list, 0), "secret_box"));
    json_decref(list);

    /* the dispatcher's targets: subscribed and enabled only, with the secret opened */
    json_t *t = NULL;
    assert_int_equal(bc_webhook_targets(env, &a, "booking.created", &t), 0);
    assert_int_equal(json_array_size(t), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "secret")), secret);
    assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "url")),
                        "https://8.8.8.8/hook");
    json_decref(t);
    assert_int_equal(bc_webhook_targets(env, &a, "booking.reminder", &t), 0);
    assert_int_equal(json_array_size(t), 0);
    json_decref(t);
    assert_int_equal(bc_webhook_targets(env, &b, "booking.created", &t), 0);
    assert_int_equal(json_array_size(t), 0);
    json_decref(t);

    /* another tenant cannot read, change or delete it */
    char msg[256] = "";
    json_t *p = body("{\"enabled\":false}"), *out = NULL;
    assert_int_equal(bc_webhook_get(env, &b, id, &got), BC_ENOT_FOUND);
    assert_int_equal(bc_webhook_patch(env, &b, id, p, msg, sizeof msg, &out), BC_ENOT_FOUND);
    assert_int_equal(bc_webhook_delete(env, &b, id), BC_ENOT_FOUND);

    /* disabled: no longer a target */
    assert_int_equal(bc_webhook_patch(env, &a, id, p, msg, sizeof msg, &out), 0);
    assert_false(json_is_true(json_object_get(out, "enabled")));
    assert_null(json_object_get(out, "secret"));
    json_decref(out);
    json_decref(p);
    assert_int_equal(bc_webhook_targets(env, &a, "booking.created", &t), 0);
    assert_int_equal(json_array_size(t), 0);
    json_decref(t);

    /* rotation: a new secret, shown once, and the targets sign with it */
    p = body("{\"rotate_secret\":true,\"enabled\":true}");
    assert_int_equal(bc_webhook_patch(env, &a, id, p, msg, sizeof msg, &out), 0);
    json_decref(p);
    const char *fresh = json_string_value(json_object_get(out, "secret"));
    assert_non_null(fresh);
    assert_string_not_equal(fresh, secret);
    assert_int_equal(bc_webhook_targets(env, &a, "booking.cancelled", &t), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(t, 0), "secret")), fresh);
    json_decref(t);
    /* one target by id, for a test delivery; another tenant's id is not found */
    assert_int_equal(bc_webhook_target(env, &a, id, &t), 0);
    assert_string_equal(json_string_value(json_object_get(t, "secret")), fresh);
    assert_string_equal(json_string_value(json_object_get(t, "id")), id);
    json_decref(t);
    assert_int_equal(bc_webhook_target(env, &b, id, &t), BC_ENOT_FOUND);
    assert_null(t);
    json_decref(out);

    /* under another server secret the box does not open: left out, not garbage */
    static const unsigned char other[32] = "another-server-secret-0123456789";
    bc_secret_set_for_tests(other, sizeof other);
    assert_int_equal(bc_webhook_targets(env, &a, "booking.cancelled", &t), 0);
    assert_int_equal(json_array_size(t), 0);
    json_decref(t);
    assert_int_equal(bc_webhook_target(env, &a, id, &t), BC_EINVALID);
    fx_init();

    assert_int_equal(bc_webhook_delete(env, &a, id), 0);
    assert_int_equal(bc_webhook_get(env, &a, id, &got), BC_ENOT_FOUND);
    json_decref(w);
}

static void test_webhook__bad_input_stores_nothing(void **state)
{
    (void)state;
    struct bc_ctx a;
    bc_ctx_operator(&a, "tenant-c");
    expect_refused(&a, "{\"url\":\"http://8.8.8.8/\",\"events\":[\"booking.created\"]}", "https://");
    expect_refused(&a, "{\"url\":\"https://127.0.0.1/\",\"events\":[\"booking.created\"]}", "not a public");
    expect_refused(&a, "{\"url\":\"https://[::ffff:127.0.0.1]/\",\"events\":[\"booking.created\"]}",
                   "not a public");
    expect_refused(&a, "{\"url\":\"https://169.254.169.254/latest\",\"events\":[\"booking.created\"]}",
                   "not a public");
    expect_refused(&a, "{\"url\":\"https://a:b@8.8.8.8/\",\"events\":[\"booking.created\"]}", "user name");
    expect_refused(&a, "{\"url\":\"https://8.8.8.8/\",\"events\":[\"booking.exploded\"]}",
                   "not a known event");
    expect_refused(&a, "{\"url\":\"https://8.8.8.8/\",\"events\":[]}", "events");
    expect_refused(&a, "{\"url\":\"https://8.8.8.8/\",\"events\":[\"booking.created\",\"booking.created\"]}",
                   "twice");
    expect_refused(&a, "{\"url\":\"https://8.8.8.8/\",\"events\":[1]}", "not a known event");
    expect_refused(&a, "{\"url\":\"https://8.8.8.8/\",\"events\":[\"booking.created\"],\"secret\":\"x\"}",
                   "secret");
    expect_refused(&a, "{\"events\":[\"booking.created\"]}", "url");
    json_t *list = NULL;
    assert_int_equal(bc_webhook_list(env, &a, &list), 0);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    /* the operator's setting admits private http targets */
    bc_config_set(BC_CFG_WEBHOOK_ALLOW_PRIVATE, "true");
    json_decref(create(&a, "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"usage.limit_near\"]}"));
    bc_config_reset();
}

static void test_webhook__at_most_ten(void **state)
{
    (void)state;
    struct bc_ctx a;
    bc_ctx_operator(&a, "tenant-d");
    for (int i = 0; i < BC_WEBHOOK_MAX; i++)
        json_decref(create(&a, "{\"url\":\"https://8.8.8.8/h\",\"events\":[\"booking.created\"]}"));
    char msg[256] = "";
    json_t *b = body("{\"url\":\"https://8.8.8.8/h\",\"events\":[\"booking.created\"]}"), *out = NULL;
    assert_int_equal(bc_webhook_create(env, &a, b, msg, sizeof msg, &out), BC_EPLAN_CONFLICT);
    assert_non_null(strstr(msg, "at most 10"));
    json_decref(b);
    json_t *list = NULL;
    assert_int_equal(bc_webhook_list(env, &a, &list), 0);
    assert_int_equal(json_array_size(list), BC_WEBHOOK_MAX);
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_sign__spec_vector),
        cmocka_unit_test_setup_teardown(test_webhook__secret_sealed_and_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_webhook__bad_input_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_webhook__at_most_ten, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
