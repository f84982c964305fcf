/* The memo of values derived from shared items (util/memo.c): a hit returns the value put for the same
 * item, a miss for any other; the memo holds the item alive; a new value replaces the old (freed); clear and
 * free release everything (AddressSanitizer checks the leaks); concurrent use from threads. */
#include "../testlib.h"

#include "util/memo.h"

#include <pthread.h>

static int freed;
static void free_value(void *v)
{
    __atomic_add_fetch(&freed, 1, __ATOMIC_RELAXED);
    free(v);
}

static int *num(int n)
{
    int *p = malloc(sizeof *p);
    assert_non_null(p);
    *p = n;
    return p;
}

static void read_value(void *value, void *arg)
{
    *(int *)arg = *(int *)value;
}

static void test_memo__hit_miss_and_replace(void **state)
{
    (void)state;
    freed = 0;
    struct bc_memo *m = bc_memo_new(64, 8, free_value);
    assert_non_null(m);
    json_t *a = json_object(), *b = json_object();
    int got = 0;
    assert_false(bc_memo_use(m, a, read_value, &got));
    assert_false(bc_memo_use(m, NULL, read_value, &got));
    bc_memo_put(m, a, num(1));
    assert_true(bc_memo_use(m, a, read_value, &got));
    assert_int_equal(got, 1);
    assert_false(bc_memo_use(m, b, read_value, &got)); /* another item: never a's value */
    bc_memo_put(m, a, num(2));                         /* a new value for the same item */
    assert_int_equal(freed, 1);
    assert_true(bc_memo_use(m, a, read_value, &got));
    assert_int_equal(got, 2);
    bc_memo_put(m, NULL, num(3)); /* no item: the value is freed, nothing kept */
    assert_int_equal(freed, 2);
    bc_memo_clear(m);
    assert_int_equal(freed, 3);
    assert_false(bc_memo_use(m, a, read_value, &got));
    json_decref(a);
    json_decref(b);
    bc_memo_free(m);
    assert_int_equal(freed, 3);
}

static void test_memo__holds_the_item_alive(void **state)
{
    (void)state;
    freed = 0;
    struct bc_memo *m = bc_memo_new(16, 4, free_value);
    json_t *a = json_object();
    bc_memo_put(m, a, num(7));
    assert_int_equal(a->refcount, 2); /* the memo's reference: a's address cannot be reused */
    json_decref(a);                   /* the caller's is gone; the entry still answers for the same address */
    int got = 0;
    assert_true(bc_memo_use(m, a, read_value, &got));
    assert_int_equal(got, 7);
    bc_memo_free(m); /* drops the last reference and the value */
    assert_int_equal(freed, 1);
}

static void test_memo__bad_sizes_refused(void **state)
{
    (void)state;
    assert_null(bc_memo_new(0, 1, free_value));
    assert_null(bc_memo_new(10, 0, free_value));
    assert_null(bc_memo_new(10, 3, free_value)); /* slots must be a multiple of locks */
    bc_memo_free(NULL);
    bc_memo_clear(NULL);
}

#define THREADS 4
#define ITEMS   32
static json_t *items[ITEMS];

static void *worker(void *arg)
{
    struct bc_memo *m = arg;
    for (int r = 0; r < 2000; r++) {
        int i = r % ITEMS, got = -1;
        if (bc_memo_use(m, items[i], read_value, &got)) {
            if (got != i) return (void *)1; /* a value of another item */
        } else {
            bc_memo_put(m, items[i], num(i));
        }
    }
    return NULL;
}

static void test_memo__threads_see_only_their_items_values(void **state)
{
    (void)state;
    struct bc_memo *m = bc_memo_new(16, 4, free_value); /* fewer slots than items: constant replacement */
    for (int i = 0; i < ITEMS; i++) items[i] = json_integer(i);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, worker, m);
    for (int t = 0; t < THREADS; t++) {
        void *res = NULL;
        pthread_join(th[t], &res);
        assert_null(res);
    }
    bc_memo_free(m);
    for (int i = 0; i < ITEMS; i++) json_decref(items[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memo__hit_miss_and_replace),
        cmocka_unit_test(test_memo__holds_the_item_alive),
        cmocka_unit_test(test_memo__bad_sizes_refused),
        cmocka_unit_test(test_memo__threads_see_only_their_items_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
