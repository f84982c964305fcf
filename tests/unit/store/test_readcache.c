/* Unit tests of src/store/readcache.c, the store's read cache, through the store (bc_store_get_cached,
 * cached queries) and the domain's key resolution: two handles on one LMDB directory stand for two
 * processes on one table, "here" with a cache of a short bound and "there" without. What is promised: a
 * write through here is seen here at once; one made there is seen here within the bound, never later; a
 * revoked key stops working within the bound; a tenant's writes of one kind leave its other kinds cached;
 * an answer read while a write ran is never kept; the memory stays within its budget. */
#include "../testlib.h"

#include "auth/secret.h"
#include "domain/apikey.h"
#include "store/readcache.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/id.h"
#include "util/jsonv.h"

#include <time.h>

#define BOUND_MS 200

struct pair {
    struct bc_store *here, *there;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    char dir[512], url[600], err[256] = "";
    struct pair *p = calloc(1, sizeof *p);
    bc_test_tmpdir(dir, sizeof dir, "bc-readcache");
    snprintf(url, sizeof url, "lmdb:%s", dir);
    if (bc_store_open(url, &p->here, err, sizeof err) < 0) fail_msg("open: %s", err);
    if (bc_store_open(url, &p->there, err, sizeof err) < 0) fail_msg("open: %s", err);
    assert_int_equal(bc_store_cache_enable(p->here, BOUND_MS, 1 << 20), 0);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    bc_store_close(p->here);
    bc_store_close(p->there);
    free(p);
    return 0;
}

static void put(struct bc_store *s, const char *pk, const char *sk, const char *name)
{
    json_t *it = json_pack("{s:s, s:s, s:s}", "PK", pk, "SK", sk, "name", name);
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    json_decref(it);
}

/* The "name" of (pk, sk) as a cached read of s answers it; "" when absent. */
static const char *cached_name(struct bc_store *s, const char *pk, const char *sk, char buf[64])
{
    const json_t *it = NULL;
    int rc = bc_store_get_cached(s, pk, sk, &it);
    buf[0] = '\0';
    if (rc == BC_ENOT_FOUND) return buf;
    assert_int_equal(rc, 0);
    snprintf(buf, 64, "%s", json_string_value(json_object_get(it, "name")));
    bc_json_release(it);
    return buf;
}

/* The names of a cached query of pk's items with prefix, joined by ','. */
static const char *cached_list(struct bc_store *s, const char *pk, const char *prefix, char buf[256])
{
    struct bc_query q = {.pk = pk, .sk_prefix = prefix, .read_only = true, .cached = true};
    struct bc_query_result r;
    assert_int_equal(bc_store_query(s, &q, &r), 0);
    buf[0] = '\0';
    size_t i, len = 0;
    json_t *it;
    json_array_foreach(r.items, i, it) len += (size_t)snprintf(
        buf + len, 256 - len, "%s%.32s", i ? "," : "", json_string_value(json_object_get(it, "name")));
    bc_query_result_release(&r);
    return buf;
}

static void test_readcache__another_process_write_seen_within_the_bound(void **state)
{
    struct pair *p = *state;
    char b[64];
    put(p->there, "TENANT#a", "META", "v1");
    assert_string_equal(cached_name(p->here, "TENANT#a", "META", b), "v1");
    int64_t t0 = bc_mono_ns();
    put(p->there, "TENANT#a", "META", "v2");
    /* here does not know of the write: it may answer v1, but only within the bound */
    const char *seen = cached_name(p->here, "TENANT#a", "META", b);
    if (bc_mono_ns() - t0 < (BOUND_MS - 50) * 1000000LL) assert_string_equal(seen, "v1");
    sleep_ms(BOUND_MS + 20);
    assert_string_equal(cached_name(p->here, "TENANT#a", "META", b), "v2");
    /* absence is cached too, and ends the same way */
    assert_string_equal(cached_name(p->here, "TENANT#a", "SETTINGS#AI", b), "");
    put(p->there, "TENANT#a", "SETTINGS#AI", "ai");
    sleep_ms(BOUND_MS + 20);
    assert_string_equal(cached_name(p->here, "TENANT#a", "SETTINGS#AI", b), "ai");
    /* a plain read-only read is never stale */
    const json_t *it = NULL;
    put(p->there, "TENANT#a", "META", "v3");
    assert_int_equal(bc_store_get_ro(p->here, "TENANT#a", "META", &it), 0);
    assert_string_equal(json_string_value(json_object_get(it, "name")), "v3");
    bc_json_release(it);
}

static void test_readcache__own_writes_seen_at_once(void **state)
{
    struct pair *p = *state;
    char b[64], l[256];
    put(p->here, "TENANT#b", "SERVICE#1", "one");
    assert_string_equal(cached_name(p->here, "TENANT#b", "SERVICE#1", b), "one");
    assert_string_equal(cached_list(p->here, "TENANT#b", "SERVICE#", l), "one");
    put(p->here, "TENANT#b", "SERVICE#2", "two");
    assert_string_equal(cached_list(p->here, "TENANT#b", "SERVICE#", l), "one,two");
    json_t *set = json_pack("{s:s}", "name", "uno");
    struct bc_update u = {set, NULL, NULL};
    assert_int_equal(bc_store_update(p->here, "TENANT#b", "SERVICE#1", &u, NULL, NULL), 0);
    json_decref(set);
    assert_string_equal(cached_name(p->here, "TENANT#b", "SERVICE#1", b), "uno");
    assert_string_equal(cached_list(p->here, "TENANT#b", "SERVICE#", l), "uno,two");
    assert_int_equal(bc_store_delete(p->here, "TENANT#b", "SERVICE#1", NULL), 0);
    assert_string_equal(cached_name(p->here, "TENANT#b", "SERVICE#1", b), "");
    assert_string_equal(cached_list(p->here, "TENANT#b", "SERVICE#", l), "two");
    json_t *it = json_pack("{s:s, s:s, s:s}", "PK", "TENANT#b", "SK", "SERVICE#3", "name", "three");
    struct bc_write w[] = {{it, {BC_COND_NOT_EXISTS, 0, false}, false}};
    assert_int_equal(bc_store_put_batch(p->here, w, 1, NULL), 0);
    json_decref(it);
    assert_string_equal(cached_list(p->here, "TENANT#b", "SERVICE#", l), "two,three");
}

static void test_readcache__other_kinds_stay_cached(void **state)
{
    struct pair *p = *state;
    char l[256];
    put(p->here, "TENANT#c", "SERVICE#1", "one");
    assert_string_equal(cached_list(p->here, "TENANT#c", "SERVICE#", l), "one");
    /* a chat turn's writes (conversations, messages) in the same PK leave the catalogue cached: proven by
     * a change there (unseen by here) that the cached answer does not show */
    put(p->there, "TENANT#c", "SERVICE#2", "two");
    put(p->here, "TENANT#c", "CONV#x", "conversation");
    put(p->here, "TENANT#c", "MSG#x#1", "message");
    assert_string_equal(cached_list(p->here, "TENANT#c", "SERVICE#", l), "one");
    /* a write of the same kind through here drops it */
    put(p->here, "TENANT#c", "SERVICE#3", "three");
    assert_string_equal(cached_list(p->here, "TENANT#c", "SERVICE#", l), "one,two,three");
    /* a query across kinds is dropped by any write to its PK */
    struct bc_query q = {.pk = "TENANT#c", .read_only = true, .cached = true};
    struct bc_query_result r;
    assert_int_equal(bc_store_query(p->here, &q, &r), 0);
    size_t n = json_array_size(r.items);
    bc_query_result_release(&r);
    put(p->here, "TENANT#c", "MSG#x#2", "message");
    assert_int_equal(bc_store_query(p->here, &q, &r), 0);
    assert_int_equal(json_array_size(r.items), n + 1);
    bc_query_result_release(&r);
}

static void test_readcache__keyed_by_pk(void **state)
{
    struct pair *p = *state;
    char b[64], l[256];
    /* the same SK under two tenants: each answers its own, whichever was read first */
    put(p->here, "TENANT#t1", "SERVICE#s", "of t1");
    put(p->here, "TENANT#t2", "SERVICE#s", "of t2");
    assert_string_equal(cached_name(p->here, "TENANT#t1", "SERVICE#s", b), "of t1");
    assert_string_equal(cached_name(p->here, "TENANT#t2", "SERVICE#s", b), "of t2");
    assert_string_equal(cached_list(p->here, "TENANT#t1", "SERVICE#", l), "of t1");
    assert_string_equal(cached_list(p->here, "TENANT#t2", "SERVICE#", l), "of t2");
    assert_string_equal(cached_name(p->here, "TENANT#t1", "SERVICE#s", b), "of t1");
    /* "A"+"B#x" and "AB"+"#x" are different reads */
    put(p->here, "A", "B#x", "A/B#x");
    assert_string_equal(cached_name(p->here, "AB", "#x", b), "");
    assert_string_equal(cached_name(p->here, "A", "B#x", b), "A/B#x");
}

static void test_readcache__revoked_key_stops_within_the_bound(void **state)
{
    struct pair *p = *state;
    static const unsigned char secret[32] = "readcache-test-secret-0123456789";
    bc_secret_set_for_tests(secret, sizeof secret);
    struct bc_env *here = bc_test_env(p->here), *there = bc_test_env(p->there);
    struct bc_ctx ctx = {0};
    snprintf(ctx.tenant_id, sizeof ctx.tenant_id, "%s", "t-keys");
    char key1[BC_APIKEY_SECRET_SIZE], key2[BC_APIKEY_SECRET_SIZE], msg[128];
    json_t *origins = json_pack("[s]", "https://shop.example.com"), *v1 = NULL, *v2 = NULL;
    struct bc_apikey_new in = {"site", origins, false};
    assert_int_equal(bc_apikey_create(there, &ctx, &in, key1, msg, sizeof msg, &v1), 0);
    assert_int_equal(bc_apikey_create(there, &ctx, &in, key2, msg, sizeof msg, &v2), 0);
    const json_t *look = NULL;
    assert_int_equal(bc_apikey_resolve(here, key1, &look), 0);
    bc_json_release(look);
    assert_int_equal(bc_apikey_resolve(here, key2, &look), 0);
    bc_json_release(look);
    /* revoked by another process: refused here within the bound */
    assert_int_equal(bc_apikey_revoke(there, &ctx, json_string_value(json_object_get(v1, "id"))), 0);
    sleep_ms(BOUND_MS + 20);
    assert_int_equal(bc_apikey_resolve(here, key1, &look), BC_EUNAUTHORIZED);
    assert_null(look);
    /* revoked through this process: refused at once */
    assert_int_equal(bc_apikey_resolve(here, key2, &look), 0);
    bc_json_release(look);
    assert_int_equal(bc_apikey_revoke(here, &ctx, json_string_value(json_object_get(v2, "id"))), 0);
    assert_int_equal(bc_apikey_resolve(here, key2, &look), BC_EUNAUTHORIZED);
    json_decref(origins);
    json_decref(v1);
    json_decref(v2);
    bc_env_free(here);
    bc_env_free(there);
}

static void test_readcache__read_racing_a_write_is_not_kept(void **state)
{
    (void)state;
    struct bc__readcache *c = bc__readcache_new(10000, 1 << 20);
    struct bc__rc_hit hit;
    size_t scope = bc__readcache_scope("TENANT#r", "META", NULL, true);
    json_t *old = json_pack("{s:s}", "name", "old");
    /* the read began (generation taken), a write to the item ran, then the read's old answer came back */
    uint64_t gen = bc__readcache_gen(c, scope);
    bc__readcache_wrote(c, "TENANT#r", "META");
    bc__readcache_keep(c, scope, gen, "k", 1, bc_mono_ns(), 0, old, NULL);
    assert_false(bc__readcache_find(c, "k", 1, &hit));
    /* without the write it is kept and handed out */
    bc__readcache_keep(c, scope, bc__readcache_gen(c, scope), "k", 1, bc_mono_ns(), 0, old, NULL);
    assert_true(bc__readcache_find(c, "k", 1, &hit));
    assert_ptr_equal(hit.value, old);
    json_decref(hit.value);
    /* a write to another kind of the PK leaves it; one to the kind or any range over the PK drops it */
    bc__readcache_wrote(c, "TENANT#r", "MSG#1");
    assert_true(bc__readcache_find(c, "k", 1, &hit));
    json_decref(hit.value);
    bc__readcache_wrote(c, "TENANT#r", "META");
    assert_false(bc__readcache_find(c, "k", 1, &hit));
    /* scopes: a prefix with a kind is that kind's; a range within one kind too; anything else the PK's */
    assert_int_equal(bc__readcache_scope("P", "CAL#a", "CAL#z", false),
                     bc__readcache_scope("P", "CAL#", "CAL#", false));
    assert_int_equal(bc__readcache_scope("P", "CAL#x", NULL, true),
                     bc__readcache_scope("P", "CAL#", "CAL#", false));
    assert_int_equal(bc__readcache_scope("P", "CAL#a", "EXC#z", false),
                     bc__readcache_scope("P", NULL, NULL, false));
    assert_int_equal(bc__readcache_scope("P", "CA", "CA", false),
                     bc__readcache_scope("P", NULL, NULL, false));
    json_decref(old);
    bc__readcache_free(c);
}

static void test_readcache__memory_stays_within_budget(void **state)
{
    (void)state;
    size_t budget = 64 << 10;
    struct bc__readcache *c = bc__readcache_new(10000, budget);
    struct bc__rc_hit hit;
    char filler[900], key[32];
    memset(filler, 'x', sizeof filler - 1);
    filler[sizeof filler - 1] = '\0';
    json_t *v = json_pack("{s:s}", "f", filler);
    int kept = 0;
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        size_t scope = bc__readcache_scope("P", key, NULL, true);
        bc__readcache_keep(c, scope, bc__readcache_gen(c, scope), key, (size_t)n, bc_mono_ns(), 0, v, NULL);
    }
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        if (bc__readcache_find(c, key, (size_t)n, &hit)) {
            kept++;
            json_decref(hit.value);
        }
    }
    /* about 900 bytes each: at most budget / 900 of them, and the newest are there */
    assert_true(kept > 0 && (size_t)kept <= budget / 900);
    assert_true(bc__readcache_find(c, "k999", 4, &hit));
    json_decref(hit.value);
    /* one answer over a sixteenth of the budget is never kept */
    char big[8192];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_t *b = json_pack("{s:s}", "f", big);
    size_t scope = bc__readcache_scope("P", "big", NULL, true);
    bc__readcache_keep(c, scope, bc__readcache_gen(c, scope), "big", 3, bc_mono_ns(), 0, b, NULL);
    assert_false(bc__readcache_find(c, "big", 3, &hit));
    json_decref(b);
    json_decref(v);
    bc__readcache_free(c);
}

/* Answers whose keys share a set stay cached side by side, up to BC__RC_WAYS of them: with one entry a
 * slot, two reads a chat turn needs pushed each other out on every turn (every turn paid both); the next
 * one takes the oldest's place. */
static void test_readcache__keys_sharing_a_set_stay_cached(void **state)
{
    (void)state;
    struct bc__readcache *c = bc__readcache_new(10000, 1 << 20);
    struct bc__rc_hit hit;
    char keys[BC__RC_WAYS + 1][32];
    uint64_t want = bc_fnv1a(BC_FNV1A_INIT, "k0", 2) % BC__RC_SETS;
    int found = 0;
    for (int i = 0; found <= BC__RC_WAYS; i++) {
        char k[32];
        int n = snprintf(k, sizeof k, "k%d", i);
        if (bc_fnv1a(BC_FNV1A_INIT, k, (size_t)n) % BC__RC_SETS == want) memcpy(keys[found++], k, sizeof k);
    }
    json_t *v = json_pack("{s:s}", "f", "v");
    for (int i = 0; i <= BC__RC_WAYS; i++) {
        size_t scope = bc__readcache_scope("P", keys[i], NULL, true);
        bc__readcache_keep(c, scope, bc__readcache_gen(c, scope), keys[i], strlen(keys[i]), bc_mono_ns(), 0,
                           v, NULL);
        for (int j = 0; j <= i; j++) {
            bool in = bc__readcache_find(c, keys[j], strlen(keys[j]), &hit);
            /* all of them while they fit; then the first, the oldest, made room for the newest */
            assert_int_equal(in, i < BC__RC_WAYS || j > 0);
            if (in) json_decref(hit.value);
        }
    }
    /* keeping an answer again replaces its own entry, not another's */
    size_t scope = bc__readcache_scope("P", keys[1], NULL, true);
    bc__readcache_keep(c, scope, bc__readcache_gen(c, scope), keys[1], strlen(keys[1]), bc_mono_ns(), 0, v,
                       NULL);
    for (int j = 1; j <= BC__RC_WAYS; j++) {
        assert_true(bc__readcache_find(c, keys[j], strlen(keys[j]), &hit));
        json_decref(hit.value);
    }
    json_decref(v);
    bc__readcache_free(c);
}

int main(void)
{
    bc_clock_init();
    bc_id_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_readcache__another_process_write_seen_within_the_bound, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_readcache__own_writes_seen_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readcache__other_kinds_stay_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readcache__keyed_by_pk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readcache__revoked_key_stops_within_the_bound, setup, teardown),
        cmocka_unit_test(test_readcache__read_racing_a_write_is_not_kept),
        cmocka_unit_test(test_readcache__memory_stays_within_budget),
        cmocka_unit_test(test_readcache__keys_sharing_a_set_stay_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
