/* How the LMDB backend stores values (src/store/lmdb_codec.c): every item survives the CBOR round trip
 * exactly (same value, same bytes again, which the memo relies on), values written as JSON before stay
 * readable and are rewritten as CBOR by the next write, and hostile or damaged bytes are refused whole,
 * never half-read. */
#include "../testlib.h"

#include "store/lmdb_internal.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static json_t *round_trip(json_t *item)
{
    size_t len = 0;
    char *bytes = bc__lmdb_encode(item, &len);
    assert_non_null(bytes);
    assert_true(bc__lmdb_is_cbor(bytes, len));
    MDB_val v = {len, bytes};
    json_t *back = bc__lmdb_decode(&v);
    assert_non_null(back);
    assert_true(json_equal(item, back));
    /* the same value gives the same bytes: the memo compares bytes */
    size_t len2 = 0;
    char *again = bc__lmdb_encode(back, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(again, bytes, len);
    free(again);
    free(bytes);
    return back;
}

static void test_codec__round_trips_every_kind_of_value(void **state)
{
    (void)state;
    json_t *item = json_pack("{s:s, s:s, s:i, s:b, s:b, s:n, s:f, s:[s,i,[]], s:{}, s:{s:{s:[{s:i}]}}}", "PK",
                             "T#t_1", "name", "Peluquería Ñandú — 東京 🙂", "n", 42, "yes", 1, "no",
                             0, "none", "price", 12.75, "list", "a", -3, "empty", "deep", "a", "b", "c", 1);
    const json_int_t ints[] = {0,     1,     23,           24,           255,       256,
                               65535, 65536, 4294967295LL, 4294967296LL, INT64_MAX, -1,
                               -24,   -25,   -256,         -257,         -65537,    INT64_MIN};
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) json_array_append_new(arr, json_integer(ints[i]));
    json_object_set_new(item, "ints", arr);
    json_t *reals = json_pack("[f,f,f,f]", 0.1, -1e300, 5e-324, 1.0);
    json_object_set_new(item, "reals", reals);
    json_object_set_new(item, "", json_string(""));
    json_t *back = round_trip(item);
    /* integers stay integers, reals stay reals, key order stays */
    assert_true(json_is_integer(json_object_get(back, "n")));
    assert_true(json_is_real(json_array_get(json_object_get(back, "reals"), 3)));
    assert_int_equal(json_integer_value(json_array_get(json_object_get(back, "ints"), 17)), INT64_MIN);
    const char *first = json_object_iter_key(json_object_iter(back));
    assert_string_equal(first, "PK");
    json_decref(back);
    json_decref(item);
    json_t *empty = json_object();
    json_decref(round_trip(empty));
    json_decref(empty);
    /* NUL inside keys and strings (json_equal cannot compare such keys: the bytes are compared instead) */
    json_t *nul = json_object();
    json_object_setn_new(nul, "k\0nul", 5, json_stringn("v\0nul", 5));
    size_t len = 0;
    char *bytes = bc__lmdb_encode(nul, &len);
    MDB_val v = {len, bytes};
    back = bc__lmdb_decode(&v);
    json_t *s = json_object_getn(back, "k\0nul", 5);
    assert_int_equal(json_string_length(s), 5);
    assert_memory_equal(json_string_value(s), "v\0nul", 5);
    json_decref(back);
    free(bytes);
    json_decref(nul);
}

static void test_codec__too_deep_is_written_as_json(void **state)
{
    (void)state;
    json_t *item = json_object(), *at = item;
    for (int i = 0; i < 100; i++) {
        json_t *next = json_object();
        json_object_set_new(at, "x", next);
        at = next;
    }
    size_t len = 0;
    char *bytes = bc__lmdb_encode(item, &len);
    assert_non_null(bytes);
    assert_false(bc__lmdb_is_cbor(bytes, len));
    assert_int_equal(bytes[0], '{');
    MDB_val v = {len, bytes};
    json_t *back = bc__lmdb_decode(&v);
    assert_true(json_equal(item, back));
    json_decref(back);
    free(bytes);
    json_decref(item);
}

static json_t *decode_bytes(const void *p, size_t n)
{
    MDB_val v = {n, (void *)p};
    return bc__lmdb_decode(&v);
}

static void test_codec__damaged_bytes_are_refused_whole(void **state)
{
    (void)state;
    json_t *item = json_pack("{s:s, s:[i,i,{s:s}], s:f, s:b}", "name", "Clínica", "a", 1, 70000, "k", "v",
                             "r", 2.5, "t", 1);
    size_t len = 0;
    char *bytes = bc__lmdb_encode(item, &len);
    /* every truncation is undecodable, never a partial item */
    for (size_t n = 1; n < len; n++) assert_null(decode_bytes(bytes, n));
    /* trailing bytes */
    char *longer = malloc(len + 1);
    memcpy(longer, bytes, len);
    longer[len] = (char)0xf6;
    assert_null(decode_bytes(longer, len + 1));
    free(longer);
    /* every one-byte change either decodes to some whole object or is refused (ASan watches the rest) */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            bytes[i] ^= (char)(1 << bit);
            json_t *j = decode_bytes(bytes, len);
            if (j) assert_true(json_is_object(j));
            json_decref(j);
            bytes[i] ^= (char)(1 << bit);
        }
    }
    free(bytes);
    json_decref(item);
}

static void test_codec__what_jansson_cannot_hold_is_refused(void **state)
{
    (void)state;
    static const struct {
        const char *why;
        const unsigned char b[16];
        size_t n;
    } bad[] = {
        {"an integer key", {0xa1, 0x01, 0x02}, 3},
        {"a map as key", {0xa1, 0xa0, 0x02}, 3},
        {"text that is not UTF-8", {0xa1, 0x61, 'k', 0x62, 0xc3, 0x28}, 6},
        {"a key that is not UTF-8", {0xa1, 0x61, 0xff, 0x01}, 4},
        {"a uint over INT64_MAX", {0xa1, 0x61, 'k', 0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0}, 12},
        {"a negint under INT64_MIN", {0xa1, 0x61, 'k', 0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0}, 12},
        {"a tag", {0xa1, 0x61, 'k', 0xc1, 0x01}, 5},
        {"a byte string", {0xa1, 0x61, 'k', 0x41, 0x00}, 5},
        {"an indefinite map", {0xbf, 0x61, 'k', 0x01, 0xff}, 5},
        {"a half float", {0xa1, 0x61, 'k', 0xf9, 0x3c, 0x00}, 6},
        {"undefined", {0xa1, 0x61, 'k', 0xf7}, 4},
        {"a NaN double", {0xa1, 0x61, 'k', 0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0}, 12},
        {"a map announcing more than it has", {0xba, 0xff, 0xff, 0xff, 0xff, 0x61, 'k', 0x01}, 8},
        {"a top-level array", {0x81, 0x01}, 2},
        {"two top-level maps", {0xa0, 0xa0}, 2},
        {"a lone break", {0xff}, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *j = decode_bytes(bad[i].b, bad[i].n);
        if (j) fail_msg("decoded %s", bad[i].why);
    }
    /* nesting deeper than the decoder's stack */
    unsigned char deep[128];
    size_t n = 0;
    deep[n++] = 0xa1;
    for (int i = 0; i < 40; i++) {
        deep[n++] = 0x61;
        deep[n++] = 'x';
        deep[n++] = 0xa1;
    }
    assert_null(decode_bytes(deep, n));
}

/* A few attributes only: the named members (and ttl) come out with their values, others are not made;
 * nested values are walked over (their members, even with a wanted name, are not the root's); damaged bytes
 * are refused whole as by a full decode; a JSON value is filtered the same way. */
static void test_codec__decode_only_named_members(void **state)
{
    (void)state;
    json_t *item = json_pack("{s:s, s:{s:i, s:[i, {s:i}]}, s:i, s:s, s:[i], s:I, s:f, s:n, s:i}", "PK", "T#1",
                             "nested", "peak_rpm", 99, "l", 1, "version", 5, "peak_rpm", 7, "o:https://x",
                             "y", "list", 1, "ttl", (json_int_t)4102444800, "r", 2.5, "z", "version", 3);
    size_t len = 0;
    char *bytes = bc__lmdb_encode(item, &len);
    MDB_val v = {len, bytes};
    static const char *const names[] = {"peak_rpm", "version", "r", "z", "missing"};
    json_t *got = bc__lmdb_decode_only(&v, names, 5);
    assert_non_null(got);
    json_t *want = json_pack("{s:i, s:I, s:f, s:n, s:i}", "peak_rpm", 7, "ttl", (json_int_t)4102444800, "r",
                             2.5, "z", "version", 3);
    assert_true(json_equal(got, want));
    json_decref(want);
    json_decref(got);
    for (size_t cut = 1; cut < len; cut += 7) { /* truncated anywhere: refused */
        MDB_val part = {cut, bytes};
        assert_null(bc__lmdb_decode_only(&part, names, 5));
    }
    free(bytes);
    const char *text = "{\"PK\":\"T#1\",\"peak_rpm\":4,\"nested\":{\"a\":1}}";
    MDB_val j = {strlen(text), (void *)text};
    got = bc__lmdb_decode_only(&j, names, 5);
    assert_non_null(got);
    assert_int_equal(json_object_size(got), 1);
    assert_int_equal(json_integer_value(json_object_get(got, "peak_rpm")), 4);
    json_decref(got);
    json_decref(item);
}

static void test_codec__json_values_stay_readable(void **state)
{
    (void)state;
    const char *old = "{\"PK\":\"T#t_1\",\"SK\":\"META\",\"name\":\"Old\",\"ttl\":12}";
    json_t *j = decode_bytes(old, strlen(old));
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "Old");
    json_decref(j);
    MDB_val with = {strlen(old), (void *)old};
    assert_true(bc__lmdb_may_have_ttl(&with));
    const char *none = "{\"PK\":\"T#t_1\",\"SK\":\"META\"}";
    MDB_val without = {strlen(none), (void *)none};
    assert_false(bc__lmdb_may_have_ttl(&without));
    /* CBOR: the key "ttl" is seen, its absence too */
    json_t *item = json_pack("{s:s, s:I}", "PK", "x", "ttl", (json_int_t)1900000000);
    size_t len = 0;
    char *bytes = bc__lmdb_encode(item, &len);
    MDB_val c = {len, bytes};
    assert_true(bc__lmdb_may_have_ttl(&c));
    free(bytes);
    json_object_del(item, "ttl");
    bytes = bc__lmdb_encode(item, &len);
    MDB_val c2 = {len, bytes};
    assert_false(bc__lmdb_may_have_ttl(&c2));
    free(bytes);
    json_decref(item);
}

/* A store written by an earlier version (JSON values, put here with LMDB directly) is read as is, and the
 * next write of an item stores it as CBOR. */
static void test_codec__store_reads_json_and_writes_cbor(void **state)
{
    (void)state;
    char dir[512], url[600], err[256] = "";
    bc_test_tmpdir(dir, sizeof dir, "lmdb-codec");
    snprintf(url, sizeof url, "lmdb:%s", dir);
    struct bc_store *s = NULL;
    assert_int_equal(bc_store_open(url, &s, err, sizeof err), 0);
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    const char key[] = "T#t_old\0META";
    const char *old = "{\"PK\":\"T#t_old\",\"SK\":\"META\",\"name\":\"Old\",\"n\":1}";
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(st->env, NULL, 0, &txn), 0);
    MDB_val k = {sizeof key - 1, (void *)key}, v = {strlen(old), (void *)old};
    assert_int_equal(mdb_put(txn, st->items, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);

    json_t *got = NULL;
    assert_int_equal(bc_store_get(s, "T#t_old", "META", &got), 0);
    assert_string_equal(json_string_value(json_object_get(got, "name")), "Old");
    json_decref(got);

    struct bc_update u = {.set = json_pack("{s:i}", "n", 2)};
    assert_int_equal(bc_store_update(s, "T#t_old", "META", &u, NULL, NULL), 0);
    json_decref(u.set);
    assert_int_equal(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_get(txn, st->items, &k, &v), 0);
    assert_true(bc__lmdb_is_cbor(v.mv_data, v.mv_size));
    mdb_txn_abort(txn);
    assert_int_equal(bc_store_get(s, "T#t_old", "META", &got), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "n")), 2);
    assert_string_equal(json_string_value(json_object_get(got, "name")), "Old");
    json_decref(got);
    bc_store_close(s);
}

int main(void)
{
    bc_clock_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec__round_trips_every_kind_of_value),
        cmocka_unit_test(test_codec__too_deep_is_written_as_json),
        cmocka_unit_test(test_codec__damaged_bytes_are_refused_whole),
        cmocka_unit_test(test_codec__what_jansson_cannot_hold_is_refused),
        cmocka_unit_test(test_codec__json_values_stay_readable),
        cmocka_unit_test(test_codec__decode_only_named_members),
        cmocka_unit_test(test_codec__store_reads_json_and_writes_cbor),
    };
    return cmocka_run_group_tests_name("lmdb_codec", tests, NULL, NULL);
}
