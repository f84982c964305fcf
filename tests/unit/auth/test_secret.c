/* Unit tests of src/auth/secret.c: keyed MACs per purpose, and the remembered MACs of public inputs
 * (widget keys) always equal to a fresh MAC, never stale after the secret changes, correct under threads. */
#include "../testlib.h"

#include "auth/secret.h"

#include <pthread.h>
#include <string.h>

static const unsigned char SECRET_A[32] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const unsigned char SECRET_B[32] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static void test_secret__public_macs_equal_fresh_ones(void **state)
{
    (void)state;
    bc_secret_set_for_tests(SECRET_A, sizeof SECRET_A);
    const char *key = "pk_live_abcdefghijklmnopqrstuvwxyz012345";
    char fresh[65], pub[65], again[65], other[65];
    bc_secret_hmac_hex("apikey", key, strlen(key), fresh);
    bc_secret_hmac_hex_public("apikey", key, strlen(key), pub);
    bc_secret_hmac_hex_public("apikey", key, strlen(key), again); /* the remembered one */
    assert_string_equal(pub, fresh);
    assert_string_equal(again, fresh);
    /* another purpose, another input: other MACs */
    bc_secret_hmac_hex_public("jwt", key, strlen(key), other);
    assert_string_not_equal(other, fresh);
    bc_secret_hmac_hex_public("apikey", "pk_live_abcdefghijklmnopqrstuvwxyz012346", strlen(key), other);
    assert_string_not_equal(other, fresh);
    /* a long input is not remembered but still right */
    char longer[200];
    memset(longer, 'k', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    bc_secret_hmac_hex("apikey", longer, strlen(longer), fresh);
    bc_secret_hmac_hex_public("apikey", longer, strlen(longer), pub);
    assert_string_equal(pub, fresh);
}

static void test_secret__public_macs_follow_a_new_secret(void **state)
{
    (void)state;
    const char *key = "pk_live_secret_changes_0123456789abcdef";
    char under_a[65], under_b[65], pub[65];
    bc_secret_set_for_tests(SECRET_A, sizeof SECRET_A);
    bc_secret_hmac_hex_public("apikey", key, strlen(key), under_a);
    bc_secret_set_for_tests(SECRET_B, sizeof SECRET_B);
    bc_secret_hmac_hex("apikey", key, strlen(key), under_b);
    assert_string_not_equal(under_a, under_b);
    bc_secret_hmac_hex_public("apikey", key, strlen(key), pub);
    assert_string_equal(pub, under_b);
}

struct worker {
    int bad;
};

static void *hash_loop(void *arg)
{
    struct worker *w = arg;
    char key[48], fresh[65], pub[65];
    for (int i = 0; i < 4000; i++) {
        snprintf(key, sizeof key, "pk_live_thread_key_%04d", i % 3000); /* slots collide and get replaced */
        bc_secret_hmac_hex("apikey", key, strlen(key), fresh);
        bc_secret_hmac_hex_public("apikey", key, strlen(key), pub);
        if (strcmp(fresh, pub) != 0) w->bad++;
    }
    return NULL;
}

static void test_secret__public_macs_under_threads(void **state)
{
    (void)state;
    bc_secret_set_for_tests(SECRET_A, sizeof SECRET_A);
    struct worker w[4] = {{0}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, hash_loop, &w[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret__public_macs_equal_fresh_ones),
        cmocka_unit_test(test_secret__public_macs_follow_a_new_secret),
        cmocka_unit_test(test_secret__public_macs_under_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
