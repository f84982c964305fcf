/* Write marks of the LMDB backend (src/store/lmdb_marks.c): a read-only read answers a memo entry without
 * a transaction while every commit since its snapshot was this handle's and none wrote its key, and goes
 * through a transaction after any other handle's or process's commit. LMDB only: it counts the reads
 * answered without a transaction (bc__lmdb_commit_stats). */
#include "../testlib.h"

#include "store/lmdb_internal.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <string.h>

#define KEY(pk, sk) pk "\0" sk, sizeof(pk) + sizeof(sk) - 1

static void test_marks__own_commits_since_the_snapshot(void **state)
{
    (void)state;
    struct bc__lmdb_marks *m = bc__lmdb_marks_new();
    assert_non_null(m);
    /* nothing committed since: current; no snapshot known: never */
    assert_true(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 5, 5));
    assert_false(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 0, 5));
    /* commits 6 and 7 not known as this handle's: not current */
    assert_false(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 5, 7));
    bc__lmdb_marks_commit(m, 6); /* 1 to 5 were someone else's */
    assert_false(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 5, 7));
    assert_false(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 4, 6));
    /* 7 is this handle's and wrote one conversation: every other key stays current */
    bc__lmdb_marks_write(m, KEY("TENANT#a", "CONV#c1"), 7);
    bc__lmdb_marks_commit(m, 7);
    assert_true(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 5, 7));
    assert_false(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "CONV#c1"), 5, 7));
    assert_true(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "CONV#c1"), 7, 7));
    /* 8 and 9 were another process's (this handle's next commit is 10): snapshots before 9 are done */
    bc__lmdb_marks_commit(m, 10);
    assert_false(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 7, 10));
    assert_false(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 8, 10));
    assert_true(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 9, 10));
    /* however many commits of this handle's follow (a usage flush makes hundreds) */
    for (uint64_t id = 11; id <= 5000; id++) bc__lmdb_marks_commit(m, id);
    assert_true(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 9, 5000));
    assert_false(bc__lmdb_marks_key_current(m, KEY("TENANT#a", "SERVICE#1"), 9, 5001));
    bc__lmdb_marks_free(m);
}

static uint64_t fast_reads(struct bc_store *s)
{
    struct bc__lmdb_commit_stats st;
    assert_int_equal(bc__lmdb_commit_stats(s, &st), 0);
    return st.reads_without_txn;
}

static void put(struct bc_store *s, const char *sk, const char *name)
{
    json_t *it = json_pack("{s:s, s:s, s:s}", "PK", "TENANT#a", "SK", sk, "name", name);
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    json_decref(it);
}

/* A read-only get of SERVICE#1: its name, and whether it was answered without a transaction. */
static bool read_name(struct bc_store *s, const char *want)
{
    uint64_t before = fast_reads(s);
    const json_t *it = NULL;
    assert_int_equal(bc_store_get_ro(s, "TENANT#a", "SERVICE#1", &it), 0);
    assert_string_equal(json_string_value(json_object_get(it, "name")), want);
    bc_json_release(it);
    return fast_reads(s) == before + 1;
}

static void test_marks__reads_skip_the_transaction_while_this_handle_writes_elsewhere(void **state)
{
    (void)state;
    char dir[512];
    bc_test_tmpdir(dir, sizeof dir, "lmdb-marks");
    struct bc_store *s = bc_test_open_lmdb(dir);
    put(s, "SERVICE#1", "Corte");
    put(s, "CONV#c1", "first");
    assert_false(read_name(s, "Corte")); /* parsed and kept, found stored by a read transaction */
    assert_true(read_name(s, "Corte"));
    /* this handle writes another item of the same tenant: the service is still read without a transaction */
    put(s, "CONV#c1", "second");
    put(s, "CONV#c2", "third");
    assert_true(read_name(s, "Corte"));
    /* it writes the service itself: the new name, through a transaction */
    put(s, "SERVICE#1", "Tinte");
    assert_false(read_name(s, "Tinte"));
    assert_true(read_name(s, "Tinte"));
    /* another handle (as another process would) writes anything: through a transaction, then current again */
    struct bc_store *other = bc_test_open_lmdb(dir);
    put(other, "CONV#c3", "elsewhere");
    assert_false(read_name(s, "Tinte"));
    assert_true(read_name(s, "Tinte"));
    put(other, "SERVICE#1", "Peinado");
    assert_false(read_name(s, "Peinado"));
    assert_true(read_name(s, "Peinado"));
    /* the other handle rewrites the service, then this one writes something else: the rewrite is seen */
    put(other, "SERVICE#1", "Tinte");
    put(s, "CONV#c4", "after");
    assert_false(read_name(s, "Tinte"));
    bc_store_close(other);
    bc_store_close(s);
}

/* A write transaction that changed nothing gets no id of its own: LMDB gives its id to the next commit,
 * which may be another handle's. Were it recorded as this handle's, that commit's write would go unseen. */
static void test_marks__an_empty_commit_is_not_taken_for_this_handles(void **state)
{
    (void)state;
    char dir[512];
    bc_test_tmpdir(dir, sizeof dir, "lmdb-marks-empty");
    struct bc_store *s = bc_test_open_lmdb(dir), *other = bc_test_open_lmdb(dir);
    put(s, "SERVICE#1", "Corte");
    assert_false(read_name(s, "Corte"));
    assert_true(read_name(s, "Corte"));
    /* this handle commits a delete of nothing, then the other handle rewrites the service */
    assert_int_equal(bc_store_delete(s, "TENANT#a", "CONV#none", NULL), 0);
    put(other, "SERVICE#1", "Tinte");
    assert_false(read_name(s, "Tinte"));
    bc_store_close(other);
    bc_store_close(s);
}

int main(void)
{
    bc_clock_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks__own_commits_since_the_snapshot),
        cmocka_unit_test(test_marks__reads_skip_the_transaction_while_this_handle_writes_elsewhere),
        cmocka_unit_test(test_marks__an_empty_commit_is_not_taken_for_this_handles),
    };
    return cmocka_run_group_tests_name("lmdb_marks", tests, NULL, NULL);
}
