/* Unit tests of src/http/key_records.c, the table of widget keys' records: a record is found only for the
 * very key it was kept for, replaced by a later one for that key, forgotten on drop; 10,000 keys read in turn
 * stay (sets of 32: in sets of 4, a set given more keys than ways lost all of them on every turn); a key too
 * long for the table is never kept. Whether a record still holds is the store's to say (the contract's
 * test_store__item_unchanged) and the widget's authentication's to ask (tests/api/widget_fresh.test.mjs). */
#include "../testlib.h"

#include "http/key_records.h"

#include <stdio.h>
#include <string.h>

static struct bc_key_record rec(const char *tenant, int n)
{
    struct bc_key_record r = {.expires_at = n, .key = {.at = {.gen = (uint64_t)n + 1}}};
    snprintf(r.tenant_id, sizeof r.tenant_id, "%s", tenant);
    snprintf(r.key_id, sizeof r.key_id, "k%d", n);
    return r;
}

static void test_key_records__kept_found_replaced_dropped(void **state)
{
    (void)state;
    struct bc_key_records *t = bc_key_records_new();
    struct bc_key_record out, a = rec("t-a", 1), b = rec("t-a", 2);
    const char *key = "pk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
               *other = "pk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB";
    assert_false(bc_key_records_find(t, key, &out));
    bc_key_records_keep(t, key, &a);
    assert_true(bc_key_records_find(t, key, &out));
    assert_string_equal(out.tenant_id, "t-a");
    assert_int_equal(out.key.at.gen, 2);
    assert_false(bc_key_records_find(t, other, &out)); /* another key, one character apart */
    bc_key_records_keep(t, key, &b);                   /* a later resolution replaces it */
    assert_true(bc_key_records_find(t, key, &out));
    assert_string_equal(out.key_id, "k2");
    bc_key_records_drop(t, key);
    assert_false(bc_key_records_find(t, key, &out));
    char longkey[BC_APIKEY_SECRET_SIZE + 8];
    memset(longkey, 'x', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    bc_key_records_keep(t, longkey, &a);
    assert_false(bc_key_records_find(t, longkey, &out));
    uint64_t used, kept;
    bc_key_records_used(t);
    bc_key_records_stats(t, &used, &kept);
    assert_int_equal(used, 1);
    assert_int_equal(kept, 2);
    assert_false(bc_key_records_find(NULL, key, &out)); /* no table: no records */
    bc_key_records_free(t);
}

static void test_key_records__ten_thousand_keys_read_in_turn_stay(void **state)
{
    (void)state;
    enum { N = 10000 };
    struct bc_key_records *t = bc_key_records_new();
    char key[BC_APIKEY_SECRET_SIZE];
    struct bc_key_record out;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "pk_live_%032d", i);
        struct bc_key_record r = rec("t", i);
        bc_key_records_keep(t, key, &r);
    }
    for (int turn = 0; turn < 2; turn++) {
        int found = 0;
        for (int i = 0; i < N; i++) {
            snprintf(key, sizeof key, "pk_live_%032d", i);
            if (bc_key_records_find(t, key, &out) && out.expires_at == i) {
                found++;
            } else {
                struct bc_key_record r = rec("t", i);
                bc_key_records_keep(t, key, &r); /* what a full resolution does */
            }
        }
        assert_true(found >= N - N / 200);
    }
    bc_key_records_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_records__kept_found_replaced_dropped),
        cmocka_unit_test(test_key_records__ten_thousand_keys_read_in_turn_stay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
