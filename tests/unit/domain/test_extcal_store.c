/* Unit tests of src/domain/extcal.c's store side on a real LMDB store: the check of a professional's list,
 * the calendar items and queue pointers that a list change writes and removes, the busy reads of
 * availability, the failing count of the health score, and the pointer travelling with the tenant's walks. */
#include "tenant_fixture.h"

#include "domain/calendar.h"
#include "domain/extcal.h"
#include "domain/tenant_items.h"

static json_t *list_of(const char *a, const char *b)
{
    json_t *l = json_array();
    if (a) json_array_append_new(l, json_pack("{s:s}", "url", a));
    if (b) json_array_append_new(l, json_pack("{s:s}", "url", b));
    return l;
}

static json_t *item(struct bc_env *env, const char *sk)
{
    json_t *it = NULL;
    return bc_store_get(env->store, "TENANT#t1", sk, &it) == 0 ? it : NULL;
}

static size_t queue_len(struct bc_env *env)
{
    struct bc_query q = {.pk = BC_EXTCAL_QUEUE_PK, .limit = 100};
    struct bc_query_result r = {0};
    assert_int_equal(bc_store_query(env->store, &q, &r), 0);
    size_t n = json_array_size(r.items);
    bc_query_result_release(&r);
    return n;
}

static void test_extcal_store__check(void **state)
{
    (void)state;
    char msg[256];
    json_t *l = list_of("https://127.0.0.1/a.ics", NULL);
    assert_int_equal(bc_extcal_check(l, false, msg, sizeof msg), BC_EINVALID);
    assert_non_null(strstr(msg, "external calendar URL"));
    assert_int_equal(bc_extcal_check(l, true, msg, sizeof msg), 0);
    json_decref(l);
    l = list_of("http://127.0.0.1/a.ics", "http://127.0.0.1/a.ics");
    assert_int_equal(bc_extcal_check(l, true, msg, sizeof msg), BC_EINVALID);
    assert_non_null(strstr(msg, "twice"));
    json_decref(l);
    l = json_array();
    for (int i = 0; i < 6; i++) {
        char u[64];
        snprintf(u, sizeof u, "http://127.0.0.1/%d.ics", i);
        json_array_append_new(l, json_pack("{s:s}", "url", u));
    }
    assert_int_equal(bc_extcal_check(l, true, msg, sizeof msg), BC_EINVALID);
    assert_non_null(strstr(msg, "at most 5"));
    json_decref(l);
    l = json_pack("[{s:s, s:s}]", "url", "http://127.0.0.1/a.ics", "name", "x");
    assert_int_equal(bc_extcal_check(l, true, msg, sizeof msg), BC_EINVALID);
    json_decref(l);
    l = json_pack("{s:s}", "url", "http://127.0.0.1/a.ics");
    assert_int_equal(bc_extcal_check(l, true, msg, sizeof msg), BC_EINVALID);
    json_decref(l);
}

static void test_extcal_store__sync_busy_and_walk(void **state)
{
    (void)state;
    fx_init();
    struct bc_env *env = fx_store("xcal");
    struct bc_ctx ctx;
    assert_int_equal(bc_ctx_operator(&ctx, "t1"), 0);
    json_t *l = list_of("http://127.0.0.1/a.ics", "http://127.0.0.1/b.ics");
    assert_int_equal(bc_extcal_sync(env, &ctx, "P1", l), 0);
    json_decref(l);
    json_t *a = item(env, "XCAL#P1#0"), *b = item(env, "XCAL#P1#1");
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(a, "status")), "pending");
    assert_int_equal(queue_len(env), 2);
    /* the pointer is a global of the item: the tenant's walks carry it */
    json_t *g = bc_tenant_item_globals(a, "t1");
    assert_int_equal(json_array_size(g), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(g, 0), "PK")), BC_EXTCAL_QUEUE_PK);
    json_t *ptr = NULL;
    assert_int_equal(bc_store_get(env->store, BC_EXTCAL_QUEUE_PK,
                                  json_string_value(json_object_get(json_array_get(g, 0), "SK")), &ptr),
                     0);
    assert_int_equal(bc_tenant_item_check(ptr, "t1"), 0);
    assert_int_equal(bc_tenant_item_check(ptr, "t2"), BC_EINVALID);
    json_decref(ptr);
    json_decref(g);
    json_decref(a);
    json_decref(b);

    /* a poll's result (as the poller writes it): busy intervals, read back clipped to the window, sorted */
    json_t *set = json_pack("{s:s, s:[[I,I],[I,I]], s:I}", "status", "ok", "busy", (json_int_t)100,
                            (json_int_t)200, (json_int_t)500, (json_int_t)600, "events", (json_int_t)2);
    struct bc_update u = {set, NULL, NULL};
    assert_int_equal(bc_store_update(env->store, "TENANT#t1", "XCAL#P1#0", &u, NULL, NULL), 0);
    json_decref(set);
    set = json_pack("{s:s, s:[[I,I]], s:I}", "status", "error", "busy", (json_int_t)300, (json_int_t)400,
                    "error_since", (json_int_t)(bc_now_s() - 7200));
    u.set = set;
    assert_int_equal(bc_store_update(env->store, "TENANT#t1", "XCAL#P1#1", &u, NULL, NULL), 0);
    json_decref(set);
    struct bc_busy *busy = NULL;
    size_t n = 0;
    assert_int_equal(bc_extcal_busy(env, &ctx, "P1", 150, 550, &busy, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(busy[0].from, 100);
    assert_int_equal(busy[1].from, 300);
    assert_int_equal(busy[2].to, 600);
    free(busy);
    assert_int_equal(bc_extcal_busy(env, &ctx, "P1", 200, 300, &busy, &n),
                     0); /* touching is not overlapping */
    assert_int_equal(n, 0);
    free(busy);
    /* another professional whose id starts the same sees nothing of P1's */
    assert_int_equal(bc_extcal_busy(env, &ctx, "P", 0, 1000, &busy, &n), 0);
    assert_int_equal(n, 0);
    free(busy);
    int failing, total;
    assert_int_equal(bc_extcal_failing(env, &ctx, bc_now_s(), &failing, &total), 0);
    assert_int_equal(total, 2);
    assert_int_equal(failing, 1);

    /* the same first URL keeps its item (and busy list); a shorter list removes the rest */
    l = list_of("http://127.0.0.1/a.ics", NULL);
    assert_int_equal(bc_extcal_sync(env, &ctx, "P1", l), 0);
    json_decref(l);
    a = item(env, "XCAL#P1#0");
    assert_string_equal(json_string_value(json_object_get(a, "status")), "ok");
    json_decref(a);
    assert_null(item(env, "XCAL#P1#1"));
    /* a new URL at the same place starts over */
    l = list_of("http://127.0.0.1/c.ics", NULL);
    assert_int_equal(bc_extcal_sync(env, &ctx, "P1", l), 0);
    json_decref(l);
    a = item(env, "XCAL#P1#0");
    assert_string_equal(json_string_value(json_object_get(a, "status")), "pending");
    assert_int_equal(json_array_size(json_object_get(a, "busy")), 0);
    json_decref(a);
    assert_int_equal(bc_extcal_forget(env, &ctx, "P1"), 0);
    assert_null(item(env, "XCAL#P1#0"));
    bc_ctx_release(&ctx);
    bc_test_env_close(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extcal_store__check),
        cmocka_unit_test(test_extcal_store__sync_busy_and_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
