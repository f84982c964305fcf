/* Unit tests of src/store/lmdb_memo.c, the memo of parsed LMDB items: the same stored bytes give the same
 * shared item; other bytes under the same key are parsed anew, never answered from the memo; items whose
 * keys share a set stay side by side (direct-mapped, two hot items that hashed alike were parsed again on
 * every read), and the next one takes one place only, the least recently read one's: after a crawl had
 * read every way of a set twice, two hot items of that set kept taking each other's place. */
#include "../testlib.h"

#include "store/lmdb_internal.h"
#include "util/hash.h"

#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

struct stored {
    char key[32];
    char *bytes;
    size_t len;
};

static void store_value(struct stored *s, const char *key, const char *name)
{
    json_t *item = json_pack("{s:s, s:s, s:s}", "PK", "TENANT#t", "SK", key, "name", name);
    snprintf(s->key, sizeof s->key, "%s", key);
    s->bytes = bc__lmdb_encode(item, &s->len);
    assert_non_null(s->bytes);
    json_decref(item);
}

/* s's bytes read in the read-only transaction snap (0: in a write transaction). */
static json_t *read_in(struct bc__lmdb_memo *m, const struct stored *s, uint64_t snap)
{
    MDB_val v = {s->len, s->bytes};
    json_t *j = bc__lmdb_decode_shared(m, s->key, strlen(s->key), &v, true, snap);
    assert_non_null(j);
    return j;
}

static json_t *read_shared(struct bc__lmdb_memo *m, const struct stored *s)
{
    return read_in(m, s, 0);
}

static void test_memo__same_bytes_same_item(void **state)
{
    (void)state;
    struct bc__lmdb_memo *m = bc__lmdb_memo_new();
    struct stored a, b;
    store_value(&a, "SERVICE#1", "Corte");
    json_t *first = read_shared(m, &a), *again = read_shared(m, &a);
    assert_ptr_equal(first, again);
    /* the key rewritten: its new bytes are parsed, the old item is never handed out for them */
    store_value(&b, "SERVICE#1", "Tinte");
    json_t *changed = read_shared(m, &b);
    assert_ptr_not_equal(changed, first);
    assert_string_equal(json_string_value(json_object_get(changed, "name")), "Tinte");
    json_t *changed_again = read_shared(m, &b);
    assert_ptr_equal(changed, changed_again);
    json_decref(first);
    json_decref(again);
    json_decref(changed);
    json_decref(changed_again);
    free(a.bytes);
    free(b.bytes);
    bc__lmdb_memo_free(m);
}

/* n stored values whose keys share one set of the memo. */
static void same_set(struct stored *s, int n)
{
    uint64_t want = bc_fnv1a(BC_FNV1A_INIT, "K#0", 3) % BC__LMDB_MEMO_SETS;
    int found = 0;
    for (int i = 0; found < n; i++) {
        char k[32];
        int len = snprintf(k, sizeof k, "K#%d", i);
        if (bc_fnv1a(BC_FNV1A_INIT, k, (size_t)len) % BC__LMDB_MEMO_SETS == want)
            store_value(&s[found++], k, k);
    }
}

static void test_memo__keys_sharing_a_set_stay(void **state)
{
    (void)state;
    struct bc__lmdb_memo *m = bc__lmdb_memo_new();
    struct stored s[BC__LMDB_MEMO_WAYS + 1];
    json_t *kept[BC__LMDB_MEMO_WAYS + 1];
    same_set(s, BC__LMDB_MEMO_WAYS + 1);
    for (int i = 0; i < BC__LMDB_MEMO_WAYS; i++) kept[i] = read_shared(m, &s[i]);
    /* each read again is the kept item: none pushed another out */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < BC__LMDB_MEMO_WAYS; i++) {
            json_t *j = read_shared(m, &s[i]);
            assert_ptr_equal(j, kept[i]);
            json_decref(j);
        }
    /* one more takes one place (the least recently read: the first), the others and it stay */
    kept[BC__LMDB_MEMO_WAYS] = read_shared(m, &s[BC__LMDB_MEMO_WAYS]);
    for (int i = 1; i <= BC__LMDB_MEMO_WAYS; i++) {
        json_t *j = read_shared(m, &s[i]);
        assert_ptr_equal(j, kept[i]);
        json_decref(j);
    }
    json_t *gone = read_shared(m, &s[0]);
    assert_ptr_not_equal(gone, kept[0]);
    assert_true(json_equal(gone, kept[0]));
    json_decref(gone);
    for (int i = 0; i <= BC__LMDB_MEMO_WAYS; i++) {
        json_decref(kept[i]);
        free(s[i].bytes);
    }
    bc__lmdb_memo_free(m);
}

static void test_memo__hot_items_stay_in_a_set_a_crawl_filled(void **state)
{
    (void)state;
    enum { N = BC__LMDB_MEMO_WAYS + 2 };
    struct bc__lmdb_memo *m = bc__lmdb_memo_new();
    struct stored s[N];
    same_set(s, N);
    /* the crawl: every way of the set read twice (far below the memo's budget, so no sweep unmarks them) */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < BC__LMDB_MEMO_WAYS; i++) json_decref(read_shared(m, &s[i]));
    /* then two hot items of that set, read in turn: each is kept once and found from then on */
    json_t *a = read_shared(m, &s[N - 2]), *b = read_shared(m, &s[N - 1]);
    for (int round = 0; round < 3; round++) {
        json_t *a2 = read_shared(m, &s[N - 2]), *b2 = read_shared(m, &s[N - 1]);
        assert_ptr_equal(a2, a);
        assert_ptr_equal(b2, b);
        json_decref(a2);
        json_decref(b2);
    }
    json_decref(a);
    json_decref(b);
    for (int i = 0; i < N; i++) free(s[i].bytes);
    bc__lmdb_memo_free(m);
}

/* The memo's entry for key when its snapshot is last (the store's rule when every commit since may be
 * foreign: lmdb_marks.c). */
static bool same_snap(void *arg, uint64_t snap)
{
    return snap == *(const uint64_t *)arg;
}

static json_t *current_at(struct bc__lmdb_memo *m, const char *key, size_t klen, uint64_t last)
{
    return bc__lmdb_memo_current(m, key, klen, same_snap, &last);
}

static void test_memo__current_only_in_the_snapshot_it_was_read_in(void **state)
{
    (void)state;
    struct bc__lmdb_memo *m = bc__lmdb_memo_new();
    struct stored a, b;
    store_value(&a, "SERVICE#1", "Corte");
    store_value(&b, "SERVICE#1", "Tinte");
    /* read in a write transaction: nothing known about a committed snapshot */
    json_t *w = read_in(m, &a, 0);
    assert_null(current_at(m, a.key, strlen(a.key), 7));
    /* found stored by read-only transaction 7: current while 7 is the latest commit, not after */
    json_t *r7 = read_in(m, &a, 7);
    assert_ptr_equal(r7, w);
    json_t *now = current_at(m, a.key, strlen(a.key), 7);
    assert_ptr_equal(now, w);
    assert_null(current_at(m, a.key, strlen(a.key), 8));
    assert_null(current_at(m, "SERVICE#2", 9, 7));
    /* found again in 9: current as of 9; an older reader (5) does not move that back */
    json_decref(read_in(m, &a, 9));
    json_decref(read_in(m, &a, 5));
    json_t *now9 = current_at(m, a.key, strlen(a.key), 9);
    assert_ptr_equal(now9, w);
    /* other bytes for the key (written at 10, read in 10): only the new item is current, as of 10 */
    json_t *r10 = read_in(m, &b, 10);
    assert_ptr_not_equal(r10, w);
    assert_null(current_at(m, a.key, strlen(a.key), 9));
    json_t *now10 = current_at(m, a.key, strlen(a.key), 10);
    assert_ptr_equal(now10, r10);
    /* a writer's item kept from its uncommitted transaction is current in no snapshot */
    bc__lmdb_memo_keep(m, a.key, strlen(a.key), a.bytes, a.len, w);
    assert_null(current_at(m, a.key, strlen(a.key), 10));
    assert_null(current_at(m, a.key, strlen(a.key), 11));
    json_t *all[] = {w, r7, now, now9, r10, now10};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) json_decref(all[i]);
    free(a.bytes);
    free(b.bytes);
    bc__lmdb_memo_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memo__same_bytes_same_item),
        cmocka_unit_test(test_memo__keys_sharing_a_set_stay),
        cmocka_unit_test(test_memo__hot_items_stay_in_a_set_a_crawl_filled),
        cmocka_unit_test(test_memo__current_only_in_the_snapshot_it_was_read_in),
    };
    return cmocka_run_group_tests_name("lmdb_memo", tests, NULL, NULL);
}
