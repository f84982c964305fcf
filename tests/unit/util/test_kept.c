/* The table of kept values (util/kept.c): a value is got back under its key with its generation and a new
 * reference; a check moves the generation on only while the value is still the kept one; a new value
 * replaces the old (whose last reference then goes); generation 0 keeps nothing; free drops everything
 * (AddressSanitizer checks the leaks). */
#include "../testlib.h"

#include "util/kept.h"

struct val {
    int refs;
};

static void ref(void *v)
{
    ((struct val *)v)->refs++;
}

static void unref(void *v)
{
    ((struct val *)v)->refs--;
}

static void test_kept__get_check_replace(void **state)
{
    (void)state;
    struct bc_kept *k = bc_kept_new(8, ref, unref);
    assert_non_null(k);
    struct val a = {1}, b = {1};
    uint64_t snap = 0;
    assert_null(bc_kept_get(k, "t1", &snap));
    bc_kept_put(k, "t1", &a, 0); /* no generation: not kept */
    assert_null(bc_kept_get(k, "t1", &snap));
    assert_int_equal(a.refs, 1);
    bc_kept_put(k, "t1", &a, 5);
    assert_int_equal(a.refs, 2);
    assert_ptr_equal(bc_kept_get(k, "t1", &snap), &a);
    assert_int_equal(snap, 5);
    assert_int_equal(a.refs, 3);
    unref(&a);
    assert_null(bc_kept_get(k, "t2", &snap)); /* another key */
    bc_kept_checked(k, "t1", &a, 9);
    assert_int_equal(bc_kept_taken(k), 1);
    assert_ptr_equal(bc_kept_get(k, "t1", &snap), &a);
    assert_int_equal(snap, 9);
    unref(&a);
    /* replaced: the old value's reference goes, and a late check of it moves nothing */
    bc_kept_put(k, "t1", &b, 10);
    assert_int_equal(a.refs, 1);
    assert_int_equal(b.refs, 2);
    bc_kept_checked(k, "t1", &a, 20);
    assert_ptr_equal(bc_kept_get(k, "t1", &snap), &b);
    assert_int_equal(snap, 10);
    unref(&b);
    bc_kept_free(k);
    assert_int_equal(b.refs, 1);
    assert_int_equal(bc_kept_taken(NULL), 0);
    assert_null(bc_kept_get(NULL, "t1", &snap));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kept__get_check_replace)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
