/* The placement directory (domain/placement.c): its items' version conditions, and a process's snapshot
 * of it — a change is followed within the snapshot's bound and not read again before it, a frozen entry
 * says so, and the distinct dedicated stores are listed once each. */
#include "../testlib.h"

#include "domain/placement.h"
#include "util/err.h"

#include <time.h>

static struct bc_store *open_lmdb(const char *tag)
{
    char dir[512], url[600];
    struct bc_store *st = NULL;
    bc_test_tmpdir(dir, sizeof dir, tag);
    snprintf(url, sizeof url, "lmdb:%s", dir);
    assert_int_equal(bc_store_open(url, &st, NULL, 0), 0);
    return st;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static json_t *entry(const char *tenant, const char *state, const char *store, int version)
{
    return json_pack("{s:s, s:s, s:s, s:i}", "tenant_id", tenant, "state", state, "store", store, "version",
                     version);
}

static void test_placement__versions_guard_every_write(void **state)
{
    (void)state;
    struct bc_store *dir = open_lmdb("place-v");
    json_t *e = entry("t1", "copying", "pooled", 1);
    assert_int_equal(bc_placement_put(dir, e), 0);
    json_decref(e);
    e = entry("t1", "copying", "pooled", 1); /* a second placement starting at once */
    assert_int_equal(bc_placement_put(dir, e), BC_ECOND);
    json_decref(e);
    e = entry("t1", "moving", "pooled", 3); /* skipping a version: someone else's view */
    assert_int_equal(bc_placement_put(dir, e), BC_ECOND);
    json_decref(e);
    e = entry("t1", "moving", "pooled", 2);
    assert_int_equal(bc_placement_put(dir, e), 0);
    json_decref(e);
    json_t *got = NULL;
    assert_int_equal(bc_placement_get(dir, "t1", &got), 0);
    assert_string_equal(json_string_value(json_object_get(got, "state")), "moving");
    assert_string_equal(json_string_value(json_object_get(got, "PK")), BC_PLACEMENT_PK);
    assert_string_equal(json_string_value(json_object_get(got, "SK")), "TENANT#t1");
    json_decref(got);
    assert_int_equal(bc_placement_remove(dir, "t1", 1), BC_ECOND);
    assert_int_equal(bc_placement_remove(dir, "t1", 2), 0);
    assert_int_equal(bc_placement_get(dir, "t1", &got), BC_ENOT_FOUND);
    /* bad ids never reach the store */
    e = entry("../x", "placed", "lmdb:/tmp/x", 1);
    assert_int_equal(bc_placement_put(dir, e), BC_EINVALID);
    json_decref(e);
    assert_int_equal(bc_placement_get(dir, "a#b", &got), BC_ENOT_FOUND);
    bc_store_close(dir);
}

static void test_placement__route_of_an_entry(void **state)
{
    (void)state;
    struct bc_placement_route r;
    json_t *e = entry("t", "copying", "pooled", 1);
    bc_placement_route_of(e, &r);
    assert_string_equal(r.store, "");
    assert_false(r.frozen);
    json_decref(e);
    e = entry("t", "moving", "lmdb:/a", 2);
    bc_placement_route_of(e, &r);
    assert_string_equal(r.store, "lmdb:/a");
    assert_true(r.frozen);
    json_decref(e);
    bc_placement_route_of(NULL, &r);
    assert_string_equal(r.store, "");
    assert_false(r.frozen);
}

static void test_placement__cache_follows_within_its_bound(void **state)
{
    (void)state;
    struct bc_store *dir = open_lmdb("place-c");
    struct bc_placement_cache *c = bc_placement_cache_new(dir, 150);
    struct bc_placement_route r;
    assert_int_equal(bc_placement_cache_lookup(c, "t1", &r), 0);
    assert_string_equal(r.store, ""); /* pooled */
    assert_int_equal(bc_placement_cache_reads(c), 1);
    json_t *e = entry("t1", "placed", "lmdb:/dedicated", 1);
    assert_int_equal(bc_placement_put(dir, e), 0);
    json_decref(e);
    /* within the bound the snapshot answers, without reading the directory again */
    assert_int_equal(bc_placement_cache_lookup(c, "t1", &r), 0);
    assert_string_equal(r.store, "");
    assert_int_equal(bc_placement_cache_reads(c), 1);
    sleep_ms(200);
    assert_int_equal(bc_placement_cache_lookup(c, "t1", &r), 0);
    assert_string_equal(r.store, "lmdb:/dedicated");
    assert_false(r.frozen);
    assert_int_equal(bc_placement_cache_reads(c), 2);
    /* another tenant, the same snapshot */
    assert_int_equal(bc_placement_cache_lookup(c, "t0", &r), 0);
    assert_string_equal(r.store, "");
    assert_int_equal(bc_placement_cache_reads(c), 2);
    /* a freeze is seen at the next refresh (housekeeping's, here) */
    e = entry("t1", "moving", "lmdb:/dedicated", 2);
    assert_int_equal(bc_placement_put(dir, e), 0);
    json_decref(e);
    assert_int_equal(bc_placement_cache_refresh(c), 0);
    assert_int_equal(bc_placement_cache_lookup(c, "t1", &r), 0);
    assert_true(r.frozen);
    assert_string_equal(r.store, "lmdb:/dedicated");
    bc_placement_cache_free(c);
    bc_store_close(dir);
}

static void collect(const char *url, void *ud)
{
    json_array_append_new(ud, json_string(url));
}

static void test_placement__stores_are_listed_once(void **state)
{
    (void)state;
    struct bc_store *dir = open_lmdb("place-s");
    const char *rows[][3] = {{"a", "placed", "lmdb:/one"}, {"b", "placed", "lmdb:/two"},
                             {"c", "moving", "lmdb:/one"}, {"d", "copying", "pooled"},
                             {"e", "moving", "pooled"},    {"f", "placed", "lmdb:/two"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *e = entry(rows[i][0], rows[i][1], rows[i][2], 1);
        assert_int_equal(bc_placement_put(dir, e), 0);
        json_decref(e);
    }
    struct bc_placement_cache *c = bc_placement_cache_new(dir, 1000);
    json_t *urls = json_array();
    assert_int_equal(bc_placement_cache_stores(c, collect, urls), 2);
    assert_int_equal(json_array_size(urls), 2);
    assert_string_equal(json_string_value(json_array_get(urls, 0)), "lmdb:/one");
    assert_string_equal(json_string_value(json_array_get(urls, 1)), "lmdb:/two");
    struct bc_placement_route r;
    assert_int_equal(bc_placement_cache_lookup(c, "e", &r), 0); /* frozen in the pooled store */
    assert_true(r.frozen);
    assert_string_equal(r.store, "");
    assert_int_equal(bc_placement_cache_lookup(c, "d", &r), 0); /* copying: still served as before */
    assert_false(r.frozen);
    json_decref(urls);
    bc_placement_cache_free(c);
    bc_store_close(dir);
}

/* A directory that cannot be read routes nothing: no request goes to a store on a stale view. */
static int failing_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res)
{
    (void)s, (void)q, (void)res;
    return BC_EUNAVAILABLE;
}

static void test_placement__unreadable_directory_is_an_error(void **state)
{
    (void)state;
    static const struct bc_store_ops ops = {.name = "failing", .query = failing_query};
    struct bc_store dir = {.ops = &ops, .url = "failing:"};
    struct bc_placement_cache *c = bc_placement_cache_new(&dir, 1000);
    struct bc_placement_route r;
    assert_int_equal(bc_placement_cache_lookup(c, "t1", &r), BC_EUNAVAILABLE);
    assert_int_equal(bc_placement_cache_refresh(c), BC_EUNAVAILABLE);
    json_t *urls = json_array();
    assert_int_equal(bc_placement_cache_stores(c, collect, urls), BC_EUNAVAILABLE);
    assert_int_equal(json_array_size(urls), 0);
    json_decref(urls);
    bc_placement_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placement__versions_guard_every_write),
        cmocka_unit_test(test_placement__route_of_an_entry),
        cmocka_unit_test(test_placement__cache_follows_within_its_bound),
        cmocka_unit_test(test_placement__stores_are_listed_once),
        cmocka_unit_test(test_placement__unreadable_directory_is_an_error),
    };
    return cmocka_run_group_tests_name("placement", tests, NULL, NULL);
}
