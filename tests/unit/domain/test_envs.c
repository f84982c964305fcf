/* The env registry (domain/envs.c): one env per store URL, opened once and kept, whose directory is the
 * pooled env; a tenant routed by the placement directory; a store that cannot be opened is not kept; and
 * the directory's items (key look-ups) stay in the pooled store when a dedicated env writes them. */
#include "tenant_fixture.h"

#include "domain/apikey.h"
#include "domain/envs.h"
#include "domain/placement.h"
#include "domain/plan.h"
#include "domain/tenant_items.h"
#include "util/jsonv.h"
#include "util/err.h"

static void lmdb_url(char *url, size_t size, const char *tag)
{
    char dir[512];
    bc_test_tmpdir(dir, sizeof dir, tag);
    snprintf(url, size, "lmdb:%s", dir);
}

static struct bc_env *open_pooled(void)
{
    char url[600];
    struct bc_store *st = NULL;
    lmdb_url(url, sizeof url, "envs-pooled");
    assert_int_equal(bc_store_open(url, &st, NULL, 0), 0);
    struct bc_env *env = bc_test_env(st);
    assert_int_equal(bc_plan_ensure_defaults(env), 0);
    return env;
}

static int opened;
static void count_open(struct bc_env *env, void *ud)
{
    (void)ud;
    assert_non_null(env->directory);
    opened++;
}

static void place(struct bc_env *pooled, const char *tenant, const char *state, const char *store,
                  int version)
{
    json_t *e = json_pack("{s:s, s:s, s:s, s:i}", "tenant_id", tenant, "state", state, "store", store,
                          "version", version);
    assert_int_equal(bc_placement_put(pooled->store, e), 0);
    json_decref(e);
}

static void test_envs__one_env_per_store_kept(void **state)
{
    (void)state;
    struct bc_env *pooled = open_pooled();
    struct bc_envs_config cfg = {.bound_ms = 50, .on_open = count_open};
    opened = 0;
    struct bc_envs *r = bc_envs_new(pooled, &cfg);
    char url[600], err[256];
    struct bc_env *a = NULL, *b = NULL;
    assert_int_equal(bc_envs_get(r, "pooled", &a, err, sizeof err), 0);
    assert_ptr_equal(a, pooled);
    assert_int_equal(bc_envs_get(r, "", &a, err, sizeof err), 0);
    assert_ptr_equal(a, pooled);
    assert_int_equal(bc_envs_get(r, pooled->store->url, &a, err, sizeof err), 0);
    assert_ptr_equal(a, pooled);
    lmdb_url(url, sizeof url, "envs-d1");
    assert_int_equal(bc_envs_get(r, url, &a, err, sizeof err), 0);
    assert_ptr_not_equal(a, pooled);
    assert_ptr_equal(a->directory, pooled);
    assert_true(bc_envs_dedicated(a));
    assert_false(bc_envs_dedicated(pooled));
    assert_int_equal(bc_envs_get(r, url, &b, err, sizeof err), 0);
    assert_ptr_equal(a, b); /* opened once, kept */
    assert_int_equal(opened, 1);
    assert_int_equal(bc_envs_count(r), 2);
    /* a store that cannot be opened is reported and not kept */
    assert_true(bc_envs_get(r, "nosuch:x", &b, err, sizeof err) < 0);
    assert_null(b);
    assert_true(err[0] != '\0');
    assert_int_equal(bc_envs_count(r), 2);
    assert_int_equal(opened, 1);
    bc_envs_free(r);
    assert_null(pooled->route); /* the hook goes with the registry */
    bc_test_env_close(pooled);
}

static void test_envs__at_most_max_stores(void **state)
{
    (void)state;
    struct bc_env *pooled = open_pooled();
    struct bc_envs_config cfg = {0};
    struct bc_envs *r = bc_envs_new(pooled, &cfg);
    char url[600], err[256];
    struct bc_env *e = NULL;
    for (int i = 1; i < BC_ENVS_MAX; i++) {
        lmdb_url(url, sizeof url, "envs-max");
        assert_int_equal(bc_envs_get(r, url, &e, err, sizeof err), 0);
    }
    assert_int_equal(bc_envs_count(r), BC_ENVS_MAX);
    lmdb_url(url, sizeof url, "envs-max");
    assert_int_equal(bc_envs_get(r, url, &e, err, sizeof err), BC_ENOMEM);
    assert_non_null(strstr(err, "stores are open"));
    bc_envs_free(r);
    bc_test_env_close(pooled);
}

static int visits;
static void visit(struct bc_env *env, void *ud)
{
    (void)env;
    (void)ud;
    visits++;
}

static void test_envs__tenants_are_routed_by_the_directory(void **state)
{
    (void)state;
    struct bc_env *pooled = open_pooled();
    struct bc_envs_config cfg = {.bound_ms = 50, .on_open = count_open};
    opened = 0;
    struct bc_envs *r = bc_envs_new(pooled, &cfg);
    char url[600];
    lmdb_url(url, sizeof url, "envs-route");
    struct bc_env *env = NULL;
    bool frozen = true;
    assert_int_equal(bc_envs_route(r, "t1", &env, &frozen), 0);
    assert_ptr_equal(env, pooled);
    assert_false(frozen);
    place(pooled, "t1", "moving", "pooled", 1);
    place(pooled, "t2", "placed", url, 1);
    /* housekeeping's refresh opens every store the directory names, before any request */
    assert_int_equal(bc_envs_refresh(r), 0);
    assert_int_equal(opened, 1);
    assert_int_equal(bc_envs_route(r, "t1", &env, &frozen), 0);
    assert_ptr_equal(env, pooled);
    assert_true(frozen);
    assert_int_equal(bc_envs_route(r, "t2", &env, &frozen), 0);
    assert_string_equal(env->store->url, url);
    assert_false(frozen);
    /* the domain's own look-up goes the same way, from the pooled env or a dedicated one */
    assert_ptr_equal(bc_env_tenant(pooled, "t2"), env);
    assert_ptr_equal(bc_env_tenant(env, "t2"), env);
    assert_ptr_equal(bc_env_tenant(env, "t3"), pooled);
    visits = 0;
    bc_envs_each(r, visit, NULL);
    assert_int_equal(visits, 2);
    /* a placed tenant whose store cannot be opened is unavailable, not served from the pooled store */
    json_t *e = NULL;
    assert_int_equal(bc_placement_get(pooled->store, "t2", &e), 0);
    json_object_set_new(e, "store", json_string("nosuch:store"));
    json_object_set_new(e, "version", json_integer(2));
    assert_int_equal(bc_placement_put(pooled->store, e), 0);
    json_decref(e);
    assert_int_equal(bc_envs_refresh(r), 0);
    assert_int_equal(bc_envs_route(r, "t2", &env, &frozen), BC_EUNAVAILABLE);
    assert_null(bc_env_tenant(pooled, "t2"));
    bc_envs_free(r);
    bc_test_env_close(pooled);
}

/* Keys created through a dedicated env: the record in its store, the look-up in the pooled directory, so
 * the widget's resolution (which knows no tenant yet) finds it. */
static void test_envs__the_directory_stays_pooled(void **state)
{
    (void)state;
    fx_init();
    struct bc_env *pooled = open_pooled();
    struct bc_envs_config cfg = {0};
    struct bc_envs *r = bc_envs_new(pooled, &cfg);
    char url[600], err[256], secret[BC_APIKEY_SECRET_SIZE];
    lmdb_url(url, sizeof url, "envs-dir");
    struct bc_env *ded = NULL;
    assert_int_equal(bc_envs_get(r, url, &ded, err, sizeof err), 0);
    struct bc_ctx ctx;
    bc_ctx_operator(&ctx, "t-dir");
    json_t *origins = json_pack("[s]", "https://shop.example.com"), *out = NULL;
    struct bc_apikey_new in = {.name = "k", .origins = origins};
    char msg[256];
    assert_int_equal(bc_apikey_create(ded, &ctx, &in, secret, msg, sizeof msg, &out), 0);
    const char *kid = json_string_value(json_object_get(out, "id"));
    const json_t *look = NULL;
    assert_int_equal(bc_apikey_resolve(pooled, secret, &look), 0); /* the look-up is the pooled store's */
    assert_string_equal(json_string_value(json_object_get(look, "tenant_id")), "t-dir");
    bc_json_release(look);
    json_t *rec = NULL;
    assert_int_equal(bc_apikey_get(ded, &ctx, kid, &rec), 0); /* the record the dedicated store's */
    json_decref(rec);
    assert_int_equal(bc_apikey_get(pooled, &ctx, kid, &rec), BC_ENOT_FOUND);
    assert_true(bc_apikey_origin_known(ded, "https://shop.example.com"));
    assert_true(bc_apikey_origin_known(pooled, "https://shop.example.com"));
    /* and revoked through the dedicated env, it stops at once in the directory */
    assert_int_equal(bc_apikey_revoke(ded, &ctx, kid), 0);
    assert_int_equal(bc_apikey_resolve(pooled, secret, &look), BC_EUNAUTHORIZED);
    json_decref(out);
    json_decref(origins);
    bc_envs_free(r);
    bc_test_env_close(pooled);
}

static const char *moved_step;
static void last_step(const char *step, int64_t items, void *arg)
{
    (void)items, (void)arg;
    moved_step = step;
}

/* bc_placement_move between two LMDB envs, with a short bound: the partition moves, the look-ups stay, the
 * directory entry follows; a target that holds the tenant and a placement under way are refused, and
 * --abort ends a placement that was cut short. */
static void test_envs__a_tenant_moves_and_back(void **state)
{
    (void)state;
    fx_init();
    struct bc_env *pooled = open_pooled();
    struct bc_envs_config cfg = {0};
    struct bc_envs *r = bc_envs_new(pooled, &cfg);
    char url[600], err[256], secret[BC_APIKEY_SECRET_SIZE], msg[256] = "";
    lmdb_url(url, sizeof url, "envs-move");
    struct bc_env *ded = NULL;
    assert_int_equal(bc_envs_get(r, url, &ded, err, sizeof err), 0);
    fx_tenant(pooled, "t-move", secret, NULL);
    int64_t n = 0;
    assert_int_equal(bc_tenant_items_count(pooled, "t-move", &n), 0);
    assert_true(n > 5);
    struct bc_placement_move m = {.pooled = pooled,
                                  .from = pooled,
                                  .to = ded,
                                  .tenant_id = "t-move",
                                  .target = url,
                                  .bound_ms = 10,
                                  .progress = last_step};
    json_t *res = NULL, *e = NULL;
    assert_int_equal(bc_placement_move(&m, &res, msg, sizeof msg), 0);
    assert_string_equal(moved_step, "drop");
    assert_int_equal(json_integer_value(json_object_get(res, "items")), n);
    json_decref(res);
    int64_t there = 0, here = 0;
    assert_int_equal(bc_tenant_items_count(ded, "t-move", &there), 0);
    assert_int_equal(bc_tenant_items_count(pooled, "t-move", &here), 0);
    assert_int_equal(there, n);
    assert_int_equal(here, 0);
    assert_int_equal(bc_placement_get(pooled->store, "t-move", &e), 0);
    assert_string_equal(json_string_value(json_object_get(e, "state")), "placed");
    assert_string_equal(json_string_value(json_object_get(e, "store")), url);
    json_decref(e);
    const json_t *look = NULL; /* the key's look-up never moved */
    assert_int_equal(bc_apikey_resolve(pooled, secret, &look), 0);
    bc_json_release(look);
    /* the same store again, and a placement under way, are refused; nothing changes */
    assert_int_equal(bc_placement_move(&m, &res, msg, sizeof msg), BC_EINVALID);
    e = json_pack("{s:s, s:s, s:s, s:s, s:i}", "tenant_id", "t-move", "state", "copying", "store", url,
                  "target", "pooled", "version", 4);
    assert_int_equal(bc_placement_put(pooled->store, e), 0);
    json_decref(e);
    struct bc_placement_move back = {.pooled = pooled,
                                     .from = ded,
                                     .to = pooled,
                                     .tenant_id = "t-move",
                                     .target = "pooled",
                                     .bound_ms = 10};
    assert_int_equal(bc_placement_move(&back, &res, msg, sizeof msg), BC_ECONFLICT);
    assert_non_null(strstr(msg, "under way"));
    assert_int_equal(bc_placement_abort(pooled, pooled, "t-move", msg, sizeof msg), 0);
    assert_int_equal(bc_placement_get(pooled->store, "t-move", &e), 0);
    assert_string_equal(json_string_value(json_object_get(e, "state")), "placed");
    json_decref(e);
    assert_int_equal(bc_placement_abort(pooled, pooled, "t-move", msg, sizeof msg), BC_ENOT_FOUND);
    /* a pooled store that holds the tenant's META (not placed there) is refused */
    json_t *meta = json_pack("{s:s, s:s, s:s}", "PK", "TENANT#t-move", "SK", "META", "status", "ACTIVE");
    assert_int_equal(bc_store_put(pooled->store, meta, NULL), 0);
    assert_int_equal(bc_placement_move(&back, &res, msg, sizeof msg), BC_ECONFLICT);
    assert_non_null(strstr(msg, "already holds"));
    assert_int_equal(bc_store_delete(pooled->store, "TENANT#t-move", "META", NULL), 0);
    json_decref(meta);
    /* back into the pooled store: the entry goes, the dedicated copy too */
    assert_int_equal(bc_placement_move(&back, &res, msg, sizeof msg), 0);
    json_decref(res);
    assert_int_equal(bc_placement_get(pooled->store, "t-move", &e), BC_ENOT_FOUND);
    assert_int_equal(bc_tenant_items_count(pooled, "t-move", &here), 0);
    assert_int_equal(bc_tenant_items_count(ded, "t-move", &there), 0);
    assert_int_equal(here, n);
    assert_int_equal(there, 0);
    bc_envs_free(r);
    bc_test_env_close(pooled);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envs__one_env_per_store_kept),
        cmocka_unit_test(test_envs__at_most_max_stores),
        cmocka_unit_test(test_envs__tenants_are_routed_by_the_directory),
        cmocka_unit_test(test_envs__the_directory_stays_pooled),
        cmocka_unit_test(test_envs__a_tenant_moves_and_back),
    };
    return cmocka_run_group_tests_name("envs", tests, NULL, NULL);
}
