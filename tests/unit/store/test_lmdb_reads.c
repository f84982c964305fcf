/* Read-only reads of the LMDB backend (src/store/store_lmdb.c get_item): an item the memo holds as current
 * in the latest committed snapshot is answered without a read transaction; these tests hold it to what a
 * transaction would answer. Every commit counts, by this store or by another process on the same files
 * (a forked child opens its own environment, as a second `bookchat serve` on one data directory does), and
 * an item whose ttl passes with no commit in between is gone all the same. */
#include "../testlib.h"

#include "store/lmdb_internal.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <sys/wait.h>
#include <unistd.h>

static char url[600];

static struct bc_store *open_lmdb(void)
{
    char err[256] = "";
    struct bc_store *s = NULL;
    int rc = bc_store_open(url, &s, err, sizeof err);
    if (rc < 0) fprintf(stderr, "open %s: %s\n", url, err);
    assert_int_equal(rc, 0);
    return s;
}

static void put_name(struct bc_store *s, const char *name, int64_t ttl)
{
    json_t *item = json_pack("{s:s, s:s, s:s}", "PK", "TENANT#t1", "SK", "SERVICE#1", "name", name);
    if (ttl) json_object_set_new(item, "ttl", json_integer(ttl));
    assert_int_equal(bc_store_put(s, item, NULL), 0);
    json_decref(item);
}

/* The name read-only reads give (twice: the second may come from the memo without a transaction), or NULL
 * when the item is not found. */
static const char *name_now(struct bc_store *s, char out[32])
{
    const char *got = NULL;
    for (int i = 0; i < 2; i++) {
        const json_t *j = NULL;
        int rc = bc_store_get_ro(s, "TENANT#t1", "SERVICE#1", &j);
        if (rc == BC_ENOT_FOUND) {
            assert_true(i == 0 || got == NULL);
            continue;
        }
        assert_int_equal(rc, 0);
        snprintf(out, 32, "%s", json_string_value(json_object_get(j, "name")));
        assert_true(i == 0 || (got && strcmp(got, out) == 0));
        got = out;
        bc_json_release(j);
    }
    return got;
}

static void test_reads__see_this_stores_commits(void **state)
{
    (void)state;
    struct bc_store *s = open_lmdb();
    char buf[32];
    put_name(s, "Corte", 0);
    assert_string_equal(name_now(s, buf), "Corte");
    put_name(s, "Tinte", 0);
    assert_string_equal(name_now(s, buf), "Tinte");
    /* a commit of another item moves the snapshot: the memo's item is checked again, and still current */
    json_t *other = json_pack("{s:s, s:s}", "PK", "TENANT#t1", "SK", "SERVICE#2");
    assert_int_equal(bc_store_put(s, other, NULL), 0);
    json_decref(other);
    assert_string_equal(name_now(s, buf), "Tinte");
    assert_int_equal(bc_store_delete(s, "TENANT#t1", "SERVICE#1", NULL), 0);
    assert_null(name_now(s, buf));
    bc_store_close(s);
}

static void test_reads__see_another_process_commits(void **state)
{
    (void)state;
    struct bc_store *s = open_lmdb();
    char buf[32];
    put_name(s, "Corte", 0);
    assert_string_equal(name_now(s, buf), "Corte");
    for (int round = 0; round < 3; round++) {
        const char *names[] = {"Tinte", "Peinado", "Mechas"};
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) { /* the other process: its own environment on the same files */
            char err[256];
            struct bc_store *o = NULL;
            if (bc_store_open(url, &o, err, sizeof err) < 0) _exit(2);
            json_t *item =
                json_pack("{s:s, s:s, s:s}", "PK", "TENANT#t1", "SK", "SERVICE#1", "name", names[round]);
            int rc = bc_store_put(o, item, NULL);
            json_decref(item);
            bc_store_close(o);
            _exit(rc == 0 ? 0 : 3);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_string_equal(name_now(s, buf), names[round]);
    }
    bc_store_close(s);
}

static void test_reads__a_passed_ttl_hides_the_item_without_a_commit(void **state)
{
    (void)state;
    struct bc_store *s = open_lmdb();
    char buf[32];
    put_name(s, "Retoque", bc_now_s() + 60);
    assert_string_equal(name_now(s, buf), "Retoque");
    bc_clock_advance(61);
    assert_null(name_now(s, buf));
    bc_clock_advance(-61);
    assert_string_equal(name_now(s, buf), "Retoque");
    bc_store_close(s);
}

static int setup(void **state)
{
    (void)state;
    char dir[512];
    bc_test_tmpdir(dir, sizeof dir, "lmdb-reads");
    snprintf(url, sizeof url, "lmdb:%s", dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reads__see_this_stores_commits, setup),
        cmocka_unit_test_setup(test_reads__see_another_process_commits, setup),
        cmocka_unit_test_setup(test_reads__a_passed_ttl_hides_the_item_without_a_commit, setup),
    };
    return cmocka_run_group_tests_name("lmdb_reads", tests, NULL, NULL);
}
