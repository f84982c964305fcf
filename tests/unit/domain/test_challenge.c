/* Unit tests of src/domain/challenge.c: a solution of an issued challenge is accepted once; a tampered
 * signature, another number, another tenant's challenge, an expired one and malformed payloads are refused;
 * "under attack" needs the rate from several visitors, and ends after the hold; the guard follows the
 * tenant's widget.challenge setting. */
#include "../testlib.h"

#include "auth/secret.h"
#include "domain/challenge.h"
#include "domain/settings.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <openssl/evp.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

static int setup(void **state)
{
    static const unsigned char secret[32] = "challenge-test-secret-0123456789";
    char url[600], err[256] = "";
    struct bc_store *s = NULL;
    bc_clock_init();
    bc_id_global_init();
    bc_secret_set_for_tests(secret, sizeof secret);
    bc_test_store_url(url, sizeof url, "challenge");
    if (bc_store_open(url, &s, err, sizeof err) < 0) fail_msg("store: %s", err);
    *state = bc_test_env(s);
    return 0;
}

static int teardown(void **state)
{
    bc_test_env_close(*state);
    return 0;
}

static struct bc_ctx ctx_of(const char *tenant)
{
    struct bc_ctx c = {0};
    assert_int_equal(bc_ctx_operator(&c, tenant), 0);
    return c;
}

/* The X-Altcha payload for challenge ch answered with number (base64 of the JSON, as the widget sends it). */
static char *payload(json_t *ch, long number, const char *signature)
{
    json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "algorithm", "SHA-256", "challenge",
                          S(ch, "challenge"), "number", (int)number, "salt", S(ch, "salt"), "signature",
                          signature ? signature : S(ch, "signature"));
    char *text = json_dumps(p, JSON_COMPACT);
    size_t n = strlen(text);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (unsigned char *)text, (int)n);
    free(text);
    json_decref(p);
    return out;
}

static int verify(struct bc_env *env, const char *tenant, const char *p)
{
    struct bc_ctx c = ctx_of(tenant);
    char msg[256] = "";
    int rc = bc_challenge_verify(env, &c, p, msg, sizeof msg);
    if (rc < 0) assert_true(strlen(msg) > 10); /* every refusal says why */
    return rc;
}

static void test_challenge__issue_shape_and_solution_accepted_once(void **state)
{
    struct bc_env *env = *state;
    struct bc_ctx c = ctx_of("acme");
    json_t *ch = NULL;
    assert_int_equal(bc_challenge_issue(&c, &ch), 0);
    assert_string_equal(S(ch, "algorithm"), "SHA-256");
    assert_int_equal(strlen(S(ch, "challenge")), 64);
    assert_int_equal(strlen(S(ch, "signature")), 64);
    assert_int_equal(json_integer_value(json_object_get(ch, "maxnumber")), 100000);
    assert_non_null(strstr(S(ch, "salt"), "&tenant=acme"));
    assert_non_null(strstr(S(ch, "salt"), "?expires="));
    json_decref(ch);

    assert_int_equal(bc__challenge_issue_with(&c, 4242, 100000, bc_now_s() + 60, &ch), 0);
    char *p = payload(ch, 4242, NULL);
    assert_int_equal(verify(env, "acme", p), 0);
    assert_int_equal(verify(env, "acme", p), BC_ECHALLENGE); /* replayed */
    free(p);
    json_decref(ch);
}

static void test_challenge__wrong_number_signature_tenant_expiry(void **state)
{
    struct bc_env *env = *state;
    struct bc_ctx c = ctx_of("acme");
    json_t *ch = NULL;
    assert_int_equal(bc__challenge_issue_with(&c, 777, 100000, bc_now_s() + 60, &ch), 0);
    char *p = payload(ch, 778, NULL); /* wrong number */
    assert_int_equal(verify(env, "acme", p), BC_ECHALLENGE);
    free(p);
    char sig[65];
    snprintf(sig, sizeof sig, "%s", S(ch, "signature"));
    sig[0] = sig[0] == '0' ? '1' : '0'; /* tampered signature */
    p = payload(ch, 777, sig);
    assert_int_equal(verify(env, "acme", p), BC_ECHALLENGE);
    free(p);
    p = payload(ch, 777, NULL); /* another tenant's */
    assert_int_equal(verify(env, "other", p), BC_ECHALLENGE);
    assert_int_equal(verify(env, "acme", p), 0); /* and still good for its own, once */
    free(p);
    json_decref(ch);

    /* a changed salt (a later expiry, another tenant) no longer matches the signed challenge */
    assert_int_equal(bc__challenge_issue_with(&c, 5, 100000, bc_now_s() + 60, &ch), 0);
    json_t *forged = json_deep_copy(ch);
    char salt[300];
    snprintf(salt, sizeof salt, "%.24s?expires=%lld&tenant=other", S(ch, "salt"), (long long)bc_now_s() + 60);
    json_object_set_new(forged, "salt", json_string(salt));
    p = payload(forged, 5, NULL);
    assert_int_equal(verify(env, "other", p), BC_ECHALLENGE);
    free(p);
    json_decref(forged);
    json_decref(ch);

    assert_int_equal(bc__challenge_issue_with(&c, 9, 100000, bc_now_s() - 1, &ch), 0); /* expired */
    p = payload(ch, 9, NULL);
    assert_int_equal(verify(env, "acme", p), BC_ECHALLENGE);
    free(p);
    json_decref(ch);
}

static void test_challenge__malformed_payloads(void **state)
{
    struct bc_env *env = *state;
    char big[BC_CHALLENGE_PAYLOAD_MAX + 8];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *bad[] = {
        NULL, "", "not base64!", "e30=", /* {} */ "W10=", /* [] */ "bnVsbA==", /* null */ big};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(verify(env, "acme", bad[i]), BC_ECHALLENGE);
}

static void test_challenge__attack_needs_rate_and_visitors(void **state)
{
    struct bc_env *env = *state;
    int64_t t = 1000LL * 60 * 60 * 24; /* a minute boundary */
    /* one visitor far over the rate: its own caps stop it; not an attack */
    for (int i = 0; i < 200; i++) assert_false(bc__challenge_note_at(env, "one", "10.0.0.1", t + i, 60, 3));
    /* three visitors together reach the rate: an attack */
    bool on = false;
    for (int i = 0; i < 60; i++) {
        const char *v[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
        on = bc__challenge_note_at(env, "many", v[i % 3], t + i * 100, 60, 3);
        if (i < 59) assert_false(on);
    }
    assert_true(on);
    /* another tenant is not affected */
    assert_false(bc__challenge_note_at(env, "quiet", "10.0.0.9", t + 7000, 60, 3));
    /* it stays on for the hold after the rates fall, then goes off */
    assert_true(bc__challenge_note_at(env, "many", "10.0.0.1", t + 5 * 60000, 60, 3));
    assert_true(
        bc__challenge_note_at(env, "many", "10.0.0.1", t + 5900 + (BC_CHALLENGE_HOLD_S - 1) * 1000LL, 60, 3));
    assert_false(
        bc__challenge_note_at(env, "many", "10.0.0.1", t + 5900 + (BC_CHALLENGE_HOLD_S + 1) * 1000LL, 60, 3));
}

static void test_challenge__sliding_minute(void **state)
{
    struct bc_env *env = *state;
    int64_t t = 1000LL * 60 * 60 * 48;
    /* 40 late in one minute and 40 early in the next are 80 within a minute: over 60 */
    bool on = false;
    for (int i = 0; i < 40; i++)
        on = bc__challenge_note_at(env, "slide", i % 2 ? "a" : "b", t + 50000 + i, 60, 2);
    assert_false(on);
    for (int i = 0; i < 40 && !on; i++)
        on = bc__challenge_note_at(env, "slide", i % 2 ? "a" : "b", t + 61000 + i, 60, 2);
    assert_true(on);
    /* the same 80 spread over two minutes (40 early in the first, 40 late in the second) are not */
    for (int i = 0; i < 40; i++)
        on = bc__challenge_note_at(env, "spread", i % 2 ? "a" : "b", t + 1000 + i, 60, 2);
    for (int i = 0; i < 40; i++)
        on = bc__challenge_note_at(env, "spread", i % 2 ? "a" : "b", t + 119000 + i, 60, 2);
    assert_false(on);
}

static void test_challenge__guard_follows_setting(void **state)
{
    struct bc_env *env = *state;
    char tenant[BC_ID_LEN + 8] = "g-";
    bc_id_new(tenant + 2); /* a tenant of its own: the store may be shared with other runs (dynalite) */
    struct bc_ctx c = ctx_of(tenant);
    char msg[256] = "";
    json_t *out = NULL;
    /* default (auto, quiet tenant): no solution needed */
    assert_int_equal(bc_challenge_guard(env, &c, "10.0.0.1", NULL, msg, sizeof msg), 0);
    json_t *patch = json_pack("{s:{s:s}}", "widget", "challenge", "always");
    assert_int_equal(bc_settings_patch(env, &c, patch, msg, sizeof msg, &out), 0);
    json_decref(out);
    json_decref(patch);
    assert_int_equal(bc_challenge_guard(env, &c, "10.0.0.1", NULL, msg, sizeof msg), BC_ECHALLENGE);
    json_t *ch = NULL;
    assert_int_equal(bc__challenge_issue_with(&c, 31, 1000, bc_now_s() + 60, &ch), 0);
    char *p = payload(ch, 31, NULL);
    assert_int_equal(bc_challenge_guard(env, &c, "10.0.0.1", p, msg, sizeof msg), 0);
    assert_int_equal(bc_challenge_guard(env, &c, "10.0.0.1", p, msg, sizeof msg), BC_ECHALLENGE);
    free(p);
    json_decref(ch);
    patch = json_pack("{s:{s:s}}", "widget", "challenge", "off");
    assert_int_equal(bc_settings_patch(env, &c, patch, msg, sizeof msg, &out), 0);
    json_decref(out);
    json_decref(patch);
    assert_int_equal(bc_challenge_guard(env, &c, "10.0.0.1", NULL, msg, sizeof msg), 0);
    patch = json_pack("{s:{s:s}}", "widget", "challenge", "never");
    assert_int_equal(bc_settings_patch(env, &c, patch, msg, sizeof msg, &out), BC_EINVALID);
    assert_non_null(strstr(msg, "widget.challenge"));
    json_decref(patch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_challenge__issue_shape_and_solution_accepted_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_challenge__wrong_number_signature_tenant_expiry, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_challenge__malformed_payloads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_challenge__attack_needs_rate_and_visitors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_challenge__sliding_minute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_challenge__guard_follows_setting, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
