/* The store contract: what every backend (LMDB now, DynamoDB later) must do. Runs against the backend
 * named by BC_TEST_STORE_URL, or a fresh LMDB directory. Each test uses its own PK namespace so the suite
 * can share one DynamoDB table. */
#include "../testlib.h"
#include "util/jsonv.h"

#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <pthread.h>
#include <sys/wait.h>
#include <time.h>

static char url[1024];
static char ns[40]; /* unique per run: keeps runs on a shared table apart */

static struct bc_store *open_store(void)
{
    struct bc_store *s = NULL;
    char err[256] = "";
    int rc = bc_store_open(url, &s, err, sizeof err);
    if (rc < 0) fprintf(stderr, "open %s: %s\n", url, err);
    assert_int_equal(rc, 0);
    return s;
}

static const char *pk(char *buf, const char *name)
{
    snprintf(buf, 128, "T#%s#%s", ns, name);
    return buf;
}

static json_t *item(const char *p, const char *s)
{
    return json_pack("{s:s, s:s}", "PK", p, "SK", s);
}

static int setup(void **state)
{
    struct bc_store *s = open_store();
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    bc_store_close(*state);
    return 0;
}

static void test_store__put_get_delete(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "basic");
    json_t *it = item(p, "A#1"), *got = NULL;
    json_object_set_new(it, "name", json_string("Ana"));
    json_object_set_new(it, "n", json_integer(7));
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    assert_int_equal(bc_store_get(s, p, "A#1", &got), 0);
    assert_true(json_equal(it, got));
    json_decref(got);
    assert_int_equal(bc_store_get(s, p, "A#2", &got), BC_ENOT_FOUND);
    assert_null(got);
    /* unconditional put replaces */
    json_object_set_new(it, "name", json_string("Eva"));
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    assert_int_equal(bc_store_get(s, p, "A#1", &got), 0);
    assert_string_equal(json_string_value(json_object_get(got, "name")), "Eva");
    json_decref(got);
    assert_int_equal(bc_store_delete(s, p, "A#1", NULL), 0);
    assert_int_equal(bc_store_get(s, p, "A#1", &got), BC_ENOT_FOUND);
    /* deleting a missing item without a condition succeeds */
    assert_int_equal(bc_store_delete(s, p, "A#1", NULL), 0);
    json_decref(it);
}

static void test_store__conditions(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "cond");
    struct bc_cond not_exists = {BC_COND_NOT_EXISTS, 0}, exists = {BC_COND_EXISTS, 0};
    json_t *it = item(p, "X"), *got = NULL;
    json_object_set_new(it, "v", json_string("first"));
    assert_int_equal(bc_store_put(s, it, &not_exists), 0);
    json_object_set_new(it, "v", json_string("second"));
    assert_int_equal(bc_store_put(s, it, &not_exists), BC_ECOND);
    assert_int_equal(bc_store_get(s, p, "X", &got), 0);
    assert_string_equal(json_string_value(json_object_get(got, "v")), "first"); /* unchanged */
    json_decref(got);
    assert_int_equal(bc_store_put(s, it, &exists), 0);

    /* update with EXISTS on a missing item fails and creates nothing */
    json_t *set = json_pack("{s:s}", "v", "x");
    struct bc_update u = {set, NULL, NULL};
    assert_int_equal(bc_store_update(s, p, "MISSING", &u, &exists, NULL), BC_ECOND);
    assert_int_equal(bc_store_get(s, p, "MISSING", &got), BC_ENOT_FOUND);
    /* delete with EXISTS on a missing item fails */
    assert_int_equal(bc_store_delete(s, p, "MISSING", &exists), BC_ECOND);
    /* delete with NOT_EXISTS on an existing item fails and keeps it */
    assert_int_equal(bc_store_delete(s, p, "X", &not_exists), BC_ECOND);
    assert_int_equal(bc_store_get(s, p, "X", &got), 0);
    json_decref(got);
    assert_int_equal(bc_store_delete(s, p, "X", &exists), 0);

    /* version: a missing item is version 0 */
    struct bc_cond v0 = {BC_COND_VERSION, 0}, v1 = {BC_COND_VERSION, 1}, v5 = {BC_COND_VERSION, 5};
    json_t *add = json_pack("{s:i}", "version", 1);
    struct bc_update bump = {set, add, NULL};
    json_t *out = NULL;
    assert_int_equal(bc_store_update(s, p, "V", &bump, &v0, &out), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(out, "PK")), p);
    json_decref(out);
    assert_int_equal(bc_store_update(s, p, "V", &bump, &v0, NULL), BC_ECOND);
    assert_int_equal(bc_store_update(s, p, "V", &bump, &v5, NULL), BC_ECOND);
    assert_int_equal(bc_store_update(s, p, "V", &bump, &v1, NULL), 0);
    assert_int_equal(bc_store_get(s, p, "V", &got), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "version")), 2);
    json_decref(got);
    json_t *putv = item(p, "V");
    json_object_set_new(putv, "version", json_integer(9));
    assert_int_equal(bc_store_put(s, putv, &v1), BC_ECOND);
    struct bc_cond v2 = {BC_COND_VERSION, 2};
    assert_int_equal(bc_store_put(s, putv, &v2), 0);
    json_decref(putv);
    json_decref(add);
    json_decref(set);
    json_decref(it);
}

static void test_store__update_parts(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "update");
    json_t *it = item(p, "U"), *out = NULL;
    json_object_set_new(it, "a", json_string("x"));
    json_object_set_new(it, "b", json_string("y"));
    json_object_set_new(it, "n", json_integer(10));
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    json_t *set = json_pack("{s:s, s:{s:i}}", "a", "changed", "obj", "k", 1);
    json_t *add = json_pack("{s:i, s:i}", "n", -3, "m", 5);
    json_t *rem = json_pack("[s]", "b");
    struct bc_update u = {set, add, rem};
    assert_int_equal(bc_store_update(s, p, "U", &u, NULL, &out), 0);
    assert_string_equal(json_string_value(json_object_get(out, "a")), "changed");
    assert_null(json_object_get(out, "b"));
    assert_int_equal(json_integer_value(json_object_get(out, "n")), 7);
    assert_int_equal(json_integer_value(json_object_get(out, "m")), 5);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "obj"), "k")), 1);
    json_decref(out);

    /* invalid updates change nothing: add to a string, set PK, remove SK */
    json_t *bad_add = json_pack("{s:i}", "a", 1);
    struct bc_update u1 = {NULL, bad_add, NULL};
    assert_int_equal(bc_store_update(s, p, "U", &u1, NULL, NULL), BC_EINVALID);
    json_t *bad_set = json_pack("{s:s}", "PK", "other");
    struct bc_update u2 = {bad_set, NULL, NULL};
    assert_int_equal(bc_store_update(s, p, "U", &u2, NULL, NULL), BC_EINVALID);
    json_t *bad_rem = json_pack("[s]", "SK");
    struct bc_update u3 = {NULL, NULL, bad_rem};
    assert_int_equal(bc_store_update(s, p, "U", &u3, NULL, NULL), BC_EINVALID);
    json_t *got;
    assert_int_equal(bc_store_get(s, p, "U", &got), 0);
    assert_string_equal(json_string_value(json_object_get(got, "a")), "changed");
    assert_int_equal(json_integer_value(json_object_get(got, "n")), 7);
    json_decref(got);
    json_decref(bad_add);
    json_decref(bad_set);
    json_decref(bad_rem);
    json_decref(set);
    json_decref(add);
    json_decref(rem);
    json_decref(it);
}

static void test_store__bad_keys(void **state)
{
    struct bc_store *s = *state;
    json_t *got = NULL;
    char longk[BC_STORE_KEY_MAX + 2];
    memset(longk, 'k', sizeof longk - 1);
    longk[sizeof longk - 1] = '\0';
    assert_int_equal(bc_store_get(s, "", "x", &got), BC_EINVALID);
    assert_int_equal(bc_store_get(s, longk, "x", &got), BC_EINVALID);
    assert_int_equal(bc_store_get(s, "P", "a\nb", &got), BC_EINVALID);
    json_t *noks = json_pack("{s:s}", "PK", "P");
    assert_int_equal(bc_store_put(s, noks, NULL), BC_EINVALID);
    json_t *numpk = json_pack("{s:i, s:s}", "PK", 1, "SK", "x");
    assert_int_equal(bc_store_put(s, numpk, NULL), BC_EINVALID);
    json_t *arr = json_array();
    assert_int_equal(bc_store_put(s, arr, NULL), BC_EINVALID);
    struct bc_query q = {.pk = "P", .limit = 1001};
    struct bc_query_result r;
    assert_int_equal(bc_store_query(s, &q, &r), BC_EINVALID);
    struct bc_query q2 = {.pk = "P", .cursor = "!!not-a-cursor!!"};
    assert_int_equal(bc_store_query(s, &q2, &r), BC_EINVALID);
    json_decref(noks);
    json_decref(numpk);
    json_decref(arr);
}

/* Collects SKs of every page of q into out (comma separated), checking page sizes. */
static void collect(struct bc_store *s, struct bc_query q, char *out, size_t size, int *pages)
{
    char *cursor = NULL;
    out[0] = '\0';
    *pages = 0;
    for (;;) {
        struct bc_query_result r;
        q.cursor = cursor;
        assert_int_equal(bc_store_query(s, &q, &r), 0);
        assert_true((int)json_array_size(r.items) <= q.limit);
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it)
        {
            size_t n = strlen(out);
            snprintf(out + n, size - n, "%s%s", n ? "," : "", json_string_value(json_object_get(it, "SK")));
        }
        if (json_array_size(r.items)) (*pages)++;
        free(cursor);
        cursor = r.next_cursor ? strdup(r.next_cursor) : NULL;
        bc_query_result_release(&r);
        if (!cursor) break;
    }
}

/* A list's view of an item for bc_store_query_page: its SK. */
static json_t *sk_view(json_t *item)
{
    return json_string(json_string_value(json_object_get(item, "SK")));
}

static void test_store__query_pagination(void **state)
{
    struct bc_store *s = *state;
    char p[128], other[128], sk[32], got[4096], want[4096] = "";
    int pages;
    pk(p, "query");
    pk(other, "query2");
    for (int i = 0; i < 25; i++) {
        snprintf(sk, sizeof sk, "ITEM#%02d", i);
        json_t *it = item(p, sk);
        assert_int_equal(bc_store_put(s, it, NULL), 0);
        json_decref(it);
    }
    /* neighbours that must never show up: another PK, and other prefixes around ITEM# */
    const char *noise[] = {"ITEM", "ITEL#99", "ITEN#00", "A", "Z"};
    for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++) {
        json_t *it = item(p, noise[i]);
        assert_int_equal(bc_store_put(s, it, NULL), 0);
        json_decref(it);
    }
    json_t *it = item(other, "ITEM#05");
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    json_decref(it);

    for (int i = 0; i < 25; i++) {
        size_t n = strlen(want);
        snprintf(want + n, sizeof want - n, "%sITEM#%02d", i ? "," : "", i);
    }
    struct bc_query q = {.pk = p, .sk_prefix = "ITEM#", .limit = 10};
    collect(s, q, got, sizeof got, &pages);
    assert_string_equal(got, want);
    assert_int_equal(pages, 3);

    q.descending = true;
    collect(s, q, got, sizeof got, &pages);
    char rev[4096] = "";
    for (int i = 24; i >= 0; i--) {
        size_t n = strlen(rev);
        snprintf(rev + n, sizeof rev - n, "%sITEM#%02d", i != 24 ? "," : "", i);
    }
    assert_string_equal(got, rev);
    assert_int_equal(pages, 3);

    /* inclusive range, both orders */
    struct bc_query r = {.pk = p, .sk_from = "ITEM#03", .sk_to = "ITEM#07", .limit = 2};
    collect(s, r, got, sizeof got, &pages);
    assert_string_equal(got, "ITEM#03,ITEM#04,ITEM#05,ITEM#06,ITEM#07");
    r.descending = true;
    collect(s, r, got, sizeof got, &pages);
    assert_string_equal(got, "ITEM#07,ITEM#06,ITEM#05,ITEM#04,ITEM#03");
    /* open-ended ranges and bounds that are not keys */
    struct bc_query r2 = {.pk = p, .sk_from = "ITEM#235", .limit = 100};
    collect(s, r2, got, sizeof got, &pages);
    assert_string_equal(got, "ITEM#24,ITEN#00,Z");
    struct bc_query r3 = {.pk = p, .sk_to = "ITEM#00", .limit = 100, .descending = true};
    collect(s, r3, got, sizeof got, &pages);
    assert_string_equal(got, "ITEM#00,ITEM,ITEL#99,A");
    /* whole partition, exact page boundary: 30 items with limit 30 give one page and no cursor */
    struct bc_query all = {.pk = p, .limit = 30};
    collect(s, all, got, sizeof got, &pages);
    assert_int_equal(pages, 1);
    assert_int_equal(strlen(got), strlen("A,ITEL#99,ITEM,") + 25 * 8 - 1 + strlen(",ITEN#00,Z"));
    /* a prefix that matches nothing */
    struct bc_query none = {.pk = p, .sk_prefix = "NOPE#", .limit = 5};
    collect(s, none, got, sizeof got, &pages);
    assert_string_equal(got, "");

    /* bc_store_query_page: each item through the view, page after page by its cursor */
    json_t *views;
    char *cursor = NULL;
    got[0] = '\0';
    for (pages = 0; pages == 0 || cursor; pages++) {
        struct bc_query pq = {.pk = p, .sk_prefix = "ITEM#", .limit = 10, .cursor = cursor};
        assert_int_equal(bc_store_query_page(s, &pq, sk_view, &views, &cursor), 0);
        free((void *)pq.cursor);
        assert_int_equal(json_array_size(views), pages < 2 ? 10 : 5);
        size_t i;
        json_t *v;
        json_array_foreach(views, i, v)
        {
            size_t n = strlen(got);
            snprintf(got + n, sizeof got - n, "%s%s", n ? "," : "", json_string_value(v));
        }
        json_decref(views);
    }
    assert_int_equal(pages, 3);
    assert_string_equal(got, want);
    struct bc_query bad = {.pk = p, .sk_prefix = "ITEM#", .limit = 10, .cursor = "!!not-a-cursor!!"};
    json_t *before = json_object(); /* what the caller's variables held: overwritten, not freed */
    views = before;
    cursor = (char *)"unchanged";
    assert_int_equal(bc_store_query_page(s, &bad, sk_view, &views, &cursor), BC_EINVALID);
    assert_null(views);
    assert_null(cursor);
    json_decref(before);
}

static void test_store__ttl(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "ttl");
    int64_t now = bc_now_s();
    json_t *gone = item(p, "E#1"), *live = item(p, "E#2"), *got = NULL;
    json_object_set_new(gone, "ttl", json_integer(now - 5));
    json_object_set_new(live, "ttl", json_integer(now + 3600));
    assert_int_equal(bc_store_put(s, gone, NULL), 0);
    assert_int_equal(bc_store_put(s, live, NULL), 0);
    assert_int_equal(bc_store_get(s, p, "E#1", &got), BC_ENOT_FOUND);
    assert_int_equal(bc_store_get(s, p, "E#2", &got), 0);
    json_decref(got);
    struct bc_query q = {.pk = p, .sk_prefix = "E#", .limit = 10};
    struct bc_query_result r;
    assert_int_equal(bc_store_query(s, &q, &r), 0);
    assert_int_equal(json_array_size(r.items), 1);
    bc_query_result_release(&r);
    /* an expired item counts as absent for conditions and updates */
    struct bc_cond ne = {BC_COND_NOT_EXISTS, 0};
    json_t *add = json_pack("{s:i}", "n", 1);
    struct bc_update u = {NULL, add, NULL};
    json_t *out = NULL;
    json_t *gone2 = item(p, "E#3");
    json_object_set_new(gone2, "ttl", json_integer(now - 1));
    json_object_set_new(gone2, "n", json_integer(100));
    assert_int_equal(bc_store_put(s, gone2, NULL), 0);
    assert_int_equal(bc_store_update(s, p, "E#3", &u, &ne, &out), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "n")), 1); /* started from an empty item */
    assert_null(json_object_get(out, "ttl"));
    json_decref(out);
    assert_int_equal(bc_store_put(s, gone, &ne), 0); /* E#1 is expired: NOT_EXISTS holds */
    /* the reaper removes what expired (backends with engine-side TTL report 0) */
    int n = bc_store_reap(s, 100);
    assert_true(n >= 0);
    assert_int_equal(bc_store_get(s, p, "E#1", &got), BC_ENOT_FOUND);
    /* setting a ttl in the past through update hides the item at once */
    json_t *set = json_pack("{s:I}", "ttl", (json_int_t)(now - 1));
    struct bc_update u2 = {set, NULL, NULL};
    assert_int_equal(bc_store_update(s, p, "E#2", &u2, NULL, NULL), 0);
    assert_int_equal(bc_store_get(s, p, "E#2", &got), BC_ENOT_FOUND);
    json_decref(set);
    json_decref(add);
    json_decref(gone);
    json_decref(gone2);
    json_decref(live);
}

struct incr_arg {
    struct bc_store *s;
    const char *pk;
    int n;
    int conflicts;
};

/* read-modify-conditional-write: the pattern the booking calendar uses */
static void *incr_versioned(void *p)
{
    struct incr_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        for (;;) {
            json_t *cur = NULL;
            int rc = bc_store_get(a->s, a->pk, "COUNTER", &cur);
            assert_true(rc == 0 || rc == BC_ENOT_FOUND);
            int64_t v = bc__store_version(cur);
            json_int_t count = cur ? json_integer_value(json_object_get(cur, "count")) : 0;
            json_decref(cur);
            json_t *set = json_pack("{s:I, s:I}", "count", count + 1, "version", (json_int_t)v + 1);
            struct bc_update u = {set, NULL, NULL};
            struct bc_cond c = {BC_COND_VERSION, v};
            rc = bc_store_update(a->s, a->pk, "COUNTER", &u, &c, NULL);
            json_decref(set);
            if (rc == 0) break;
            assert_int_equal(rc, BC_ECOND);
            a->conflicts++;
        }
    }
    return NULL;
}

static void *incr_add(void *p)
{
    struct incr_arg *a = p;
    json_t *add = json_pack("{s:i}", "hits", 1);
    struct bc_update u = {NULL, add, NULL};
    for (int i = 0; i < a->n; i++) assert_int_equal(bc_store_update(a->s, a->pk, "ADD", &u, NULL, NULL), 0);
    json_decref(add);
    return NULL;
}

static void test_store__versioned_increments_threads(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "vthreads");
    enum { T = 8, N = 50 };
    pthread_t th[T];
    struct incr_arg args[T];
    int conflicts = 0;
    for (int i = 0; i < T; i++) {
        args[i] = (struct incr_arg){s, p, N, 0};
        pthread_create(&th[i], NULL, incr_versioned, &args[i]);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        conflicts += args[i].conflicts;
    }
    json_t *got;
    assert_int_equal(bc_store_get(s, p, "COUNTER", &got), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "count")), T * N);
    assert_int_equal(json_integer_value(json_object_get(got, "version")), T * N);
    json_decref(got);
    print_message("versioned increments: %d writes, %d conflicts retried\n", T * N, conflicts);
}

static void test_store__add_threads(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "athreads");
    enum { T = 8, N = 100 };
    pthread_t th[T];
    struct incr_arg args[T];
    for (int i = 0; i < T; i++) {
        args[i] = (struct incr_arg){s, p, N, 0};
        pthread_create(&th[i], NULL, incr_add, &args[i]);
    }
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    json_t *got;
    assert_int_equal(bc_store_get(s, p, "ADD", &got), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "hits")), T * N);
    json_decref(got);
}

/* Two processes, each with its own store handle, add to one counter. */
static void test_store__add_processes(void **state)
{
    (void)state;
    char p[128];
    pk(p, "aprocs");
    enum { P = 2, N = 200 };
    pid_t kids[P];
    for (int i = 0; i < P; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            struct bc_store *s = NULL;
            if (bc_store_open(url, &s, NULL, 0) < 0) _exit(3);
            json_t *add = json_pack("{s:i}", "hits", 1);
            struct bc_update u = {NULL, add, NULL};
            int bad = 0;
            for (int j = 0; j < N; j++) bad |= bc_store_update(s, p, "ADD", &u, NULL, NULL) != 0;
            json_decref(add);
            bc_store_close(s);
            _exit(bad ? 4 : 0);
        }
    }
    for (int i = 0; i < P; i++) {
        int st = 0;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    struct bc_store *s = open_store();
    json_t *got;
    assert_int_equal(bc_store_get(s, p, "ADD", &got), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "hits")), P * N);
    json_decref(got);
    bc_store_close(s);
}

/* Several processes (each with its own store handle, as several `bookchat serve` processes share one
 * table) race to create the same items with NOT_EXISTS: every item gets exactly one winner. Then they race
 * to take over one expired item with an update conditioned on NOT_EXISTS: exactly one wins, and its update
 * starts from an empty item. Each child exits with its number of wins, or 100+ on an unexpected error. */
static void race_child(const char *p, int me, int keys)
{
    struct bc_store *s = NULL;
    if (bc_store_open(url, &s, NULL, 0) < 0) _exit(101);
    struct bc_cond ne = {BC_COND_NOT_EXISTS, 0};
    int wins = 0;
    for (int k = 0; k < keys; k++) {
        char sk[16];
        snprintf(sk, sizeof sk, "SLOT#%02d", k);
        json_t *it = json_pack("{s:s, s:s, s:i}", "PK", p, "SK", sk, "owner", me);
        int rc = bc_store_put(s, it, &ne);
        json_decref(it);
        if (rc == 0)
            wins++;
        else if (rc != BC_ECOND)
            _exit(102);
    }
    json_t *set = json_pack("{s:i}", "owner", me);
    struct bc_update u = {set, NULL, NULL};
    int rc = bc_store_update(s, p, "HOLD", &u, &ne, NULL);
    json_decref(set);
    if (rc == 0)
        wins += 50;
    else if (rc != BC_ECOND)
        _exit(103);
    bc_store_close(s);
    _exit(wins);
}

static void test_store__create_races_processes(void **state)
{
    (void)state;
    char p[128];
    pk(p, "races");
    enum { P = 4, K = 12 };
    struct bc_store *s = open_store();
    json_t *hold = json_pack("{s:s, s:s, s:i, s:s, s:I}", "PK", p, "SK", "HOLD", "owner", -1, "stale", "yes",
                             "ttl", (json_int_t)(bc_now_s() - 60));
    assert_int_equal(bc_store_put(s, hold, NULL), 0);
    json_decref(hold);
    bc_store_close(s); /* LMDB: a child must not inherit an open environment */
    pid_t kids[P];
    for (int i = 0; i < P; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) race_child(p, i, K);
    }
    int total = 0, hold_winner = -1;
    for (int i = 0; i < P; i++) {
        int st = 0;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st));
        int wins = WEXITSTATUS(st);
        assert_true(wins < 100); /* 101..103: an error other than BC_ECOND in the child */
        if (wins >= 50 && wins < 100) {
            assert_int_equal(hold_winner, -1);
            hold_winner = i;
            wins -= 50;
        }
        assert_true(wins <= K);
        total += wins;
    }
    assert_int_equal(total, K);
    assert_true(hold_winner >= 0);
    s = open_store();
    json_t *got = NULL;
    assert_int_equal(bc_store_get(s, p, "HOLD", &got), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "owner")), hold_winner);
    assert_null(json_object_get(got, "stale")); /* the takeover started from an empty item */
    assert_null(json_object_get(got, "ttl"));
    json_decref(got);
    bc_store_close(s);
}

static void test_store__scan(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "scan");
    for (int i = 0; i < 7; i++) {
        char sk[16];
        snprintf(sk, sizeof sk, "S#%d", i);
        json_t *it = item(p, sk);
        assert_int_equal(bc_store_put(s, it, NULL), 0);
        json_decref(it);
    }
    int seen = 0, total = 0;
    char *cursor = NULL;
    do {
        struct bc_query_result r;
        assert_int_equal(bc_store_scan(s, cursor, 3, &r), 0);
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it)
        {
            total++;
            if (strcmp(json_string_value(json_object_get(it, "PK")), p) == 0) seen++;
        }
        free(cursor);
        cursor = r.next_cursor ? strdup(r.next_cursor) : NULL;
        bc_query_result_release(&r);
    } while (cursor);
    assert_int_equal(seen, 7);
    assert_true(total >= 7);
    json_t *report = NULL;
    assert_int_equal(bc_store_check(s, &report), 0);
    assert_true(json_is_true(json_object_get(report, "ok")));
    json_decref(report);
}

/* Read-only reads (bc_store_get_ro, bc_query.read_only; LMDB serves them from its memo of parsed items)
 * return what bc_store_get returns, and see every write at once: this handle's, another handle's, another
 * process's, including a rewrite to bytes of the same length, a delete and an expiry. */
static int64_t ro_n(struct bc_store *s, const char *p, const char *sk)
{
    const json_t *got = NULL;
    json_t *fresh = NULL;
    int rc = bc_store_get_ro(s, p, sk, &got);
    int rc2 = bc_store_get(s, p, sk, &fresh);
    assert_int_equal(rc, rc2);
    if (rc == BC_ENOT_FOUND) return -1;
    assert_int_equal(rc, 0);
    assert_true(json_equal(got, fresh));
    int64_t n = json_integer_value(json_object_get(got, "n"));
    bc_json_release(got);
    json_decref(fresh);
    /* the same through a read-only query */
    struct bc_query q = {.pk = p, .sk_prefix = sk, .read_only = true};
    struct bc_query_result r;
    assert_int_equal(bc_store_query(s, &q, &r), 0);
    assert_int_equal(json_array_size(r.items), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r.items, 0), "n")), n);
    bc_query_result_release(&r);
    return n;
}

static void put_n(struct bc_store *s, const char *p, const char *sk, int64_t n, int64_t ttl)
{
    json_t *it = json_pack("{s:s, s:s, s:I}", "PK", p, "SK", sk, "n", (json_int_t)n);
    if (ttl) json_object_set_new(it, "ttl", json_integer(ttl));
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    json_decref(it);
}

struct ro_reader {
    struct bc_store *s;
    const char *p;
    int bad;
};

static void *ro_read_loop(void *arg)
{
    struct ro_reader *r = arg;
    int64_t last = 0;
    for (int i = 0; i < 3000; i++) {
        const json_t *got = NULL;
        if (bc_store_get_ro(r->s, r->p, "RO#T", &got) != 0) {
            r->bad++;
            continue;
        }
        int64_t n = json_integer_value(json_object_get(got, "n"));
        if (n < last) r->bad++; /* a write seen, then an older value: a stale memo */
        last = n;
        bc_json_release(got);
    }
    return NULL;
}

/* bc_store_exists answers what a read would, without the item: absent, live (with or without a ttl),
 * expired, deleted, and bad keys. */
static void test_store__exists(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "exists");
    int64_t now = bc_now_s();
    assert_int_equal(bc_store_exists(s, p, "NONE"), BC_ENOT_FOUND);
    put_n(s, p, "PLAIN", 1, 0);
    put_n(s, p, "LIVE", 1, now + 3600);
    put_n(s, p, "GONE", 1, now - 5);
    assert_int_equal(bc_store_exists(s, p, "PLAIN"), 0);
    assert_int_equal(bc_store_exists(s, p, "LIVE"), 0);
    assert_int_equal(bc_store_exists(s, p, "GONE"), BC_ENOT_FOUND);
    /* a string value that merely contains "ttl" is no ttl */
    json_t *it = json_pack("{s:s, s:s, s:s}", "PK", p, "SK", "WORDY", "note", "ttl");
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    json_decref(it);
    assert_int_equal(bc_store_exists(s, p, "WORDY"), 0);
    assert_int_equal(bc_store_delete(s, p, "PLAIN", NULL), 0);
    assert_int_equal(bc_store_exists(s, p, "PLAIN"), BC_ENOT_FOUND);
    assert_int_equal(bc_store_exists(s, p, ""), BC_EINVALID);
    assert_int_equal(bc_store_exists(s, "", "PLAIN"), BC_EINVALID);
}

/* put_n from another process (a fork opening the store afresh), waited for. */
static void put_n_in_child(const char *p, const char *sk, int n)
{
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        struct bc_store *k = NULL;
        if (bc_store_open(url, &k, NULL, 0) < 0) _exit(3);
        json_t *it = json_pack("{s:s, s:s, s:i}", "PK", p, "SK", sk, "n", n);
        int rc = bc_store_put(k, it, NULL);
        json_decref(it);
        bc_store_close(k);
        _exit(rc == 0 ? 0 : 4);
    }
    int st = 0;
    assert_int_equal(waitpid(kid, &st, 0), kid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The digest of a prefix query, from bc_store_query_digest (no item read) and from the query itself, which
 * must agree; returns whether the backend gave one (into *out). */
static bool digest_of(struct bc_store *s, const char *p, const char *prefix, int limit,
                      struct bc_store_digest *out)
{
    struct bc_query q = {.pk = p, .sk_prefix = prefix, .limit = limit, .read_only = true};
    struct bc_store_digest alone, with;
    assert_int_equal(bc_store_query_digest(s, &q, &alone), 0);
    q.digest = &with;
    struct bc_query_result r;
    assert_int_equal(bc_store_query(s, &q, &r), 0);
    bc_query_result_release(&r);
    assert_int_equal(alone.ok, with.ok);
    if (alone.ok) assert_memory_equal(alone.b, with.b, sizeof alone.b);
    *out = alone;
    return alone.ok;
}

/* Digests name the stored bytes of a query's items: equal while nothing in the range changes, different
 * after a change, an addition or a removal, and none when an item carries a ttl (whether it is live needs
 * the item) or the answer needs more than one page. DynamoDB gives none (the widget then renders as before).
 */
static void test_store__query_digest(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "digest");
    struct bc_store_digest d0, d1, d2;
    put_n(s, p, "D#1", 1, 0);
    put_n(s, p, "D#2", 2, 0);
    put_n(s, p, "E#1", 9, 0); /* outside the range */
    bool has = digest_of(s, p, "D#", 100, &d0);
    if (strncmp(url, "lmdb:", 5) != 0) {
        assert_false(has);
        assert_int_equal(bc_store_generation(s), 0);
        return;
    }
    assert_true(has);
    uint64_t gen = bc_store_generation(s);
    assert_true(gen > 0);
    assert_int_equal(d0.snap, gen); /* read at the latest commit */
    assert_true(digest_of(s, p, "D#", 100, &d1));
    assert_memory_equal(d0.b, d1.b, sizeof d0.b); /* unchanged */
    put_n(s, p, "E#1", 10, 0);                    /* a write elsewhere: same digest, a new generation */
    assert_true(bc_store_generation(s) > gen);
    assert_true(digest_of(s, p, "D#", 100, &d1));
    assert_memory_equal(d0.b, d1.b, sizeof d0.b);
    put_n(s, p, "D#2", 3, 0); /* same length, other bytes */
    assert_true(digest_of(s, p, "D#", 100, &d1));
    assert_memory_not_equal(d0.b, d1.b, sizeof d0.b);
    put_n(s, p, "D#2", 2, 0); /* the same bytes again: the same digest */
    assert_true(digest_of(s, p, "D#", 100, &d2));
    assert_memory_equal(d0.b, d2.b, sizeof d0.b);
    put_n(s, p, "D#3", 3, 0); /* an addition */
    assert_true(digest_of(s, p, "D#", 100, &d1));
    assert_memory_not_equal(d0.b, d1.b, sizeof d0.b);
    assert_int_equal(bc_store_delete(s, p, "D#3", NULL), 0); /* and its removal */
    assert_true(digest_of(s, p, "D#", 100, &d1));
    assert_memory_equal(d0.b, d1.b, sizeof d0.b);
    assert_false(digest_of(s, p, "D#", 1, &d1)); /* two pages */
    /* another process's write changes the digest and the generation */
    gen = bc_store_generation(s);
    put_n_in_child(p, "D#1", 7);
    assert_true(bc_store_generation(s) > gen);
    assert_true(digest_of(s, p, "D#", 100, &d1));
    assert_memory_not_equal(d0.b, d1.b, sizeof d0.b);
    /* a ttl in the range: no digest (expiry is decided by the item, not its bytes) */
    put_n(s, p, "D#4", 4, bc_now_s() + 3600);
    assert_false(digest_of(s, p, "D#", 100, &d1));
    /* nothing in the range: a digest all the same, of no items */
    assert_true(digest_of(s, p, "NONE#", 100, &d1));
    assert_memory_not_equal(d0.b, d1.b, sizeof d0.b);
    struct bc_query bad = {.pk = "", .sk_prefix = "D#"};
    assert_int_equal(bc_store_query_digest(s, &bad, &d1), BC_EINVALID);
    assert_false(d1.ok);
}

/* One item unchanged since a generation (bc_store_item_unchanged): writes of other items leave it unchanged,
 * and so does its absence; a write or deletion of it does not, nor any other process's commit. */
static void test_store__item_unchanged(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    uint64_t now = 0;
    pk(p, "item-marks");
    put_n(s, p, "META", 1, 0);
    uint64_t gen = bc_store_generation(s);
    if (strncmp(url, "lmdb:", 5) != 0) {
        assert_false(bc_store_item_unchanged(s, p, "META", gen, &now));
        return;
    }
    assert_true(bc_store_item_unchanged(s, p, "META", gen, &now));
    assert_int_equal(now, gen);
    put_n(s, p, "OTHER", 1, 0); /* another item of the partition */
    assert_true(bc_store_generation(s) > gen);
    assert_true(bc_store_item_unchanged(s, p, "META", gen, &now));
    assert_int_equal(now, bc_store_generation(s));
    assert_true(bc_store_item_unchanged(s, p, "NEVER", gen, &now));  /* still absent */
    assert_false(bc_store_item_unchanged(s, p, "META", 0, &now));    /* no generation known */
    assert_false(bc_store_item_unchanged(s, "", "META", gen, &now)); /* not a key */
    put_n(s, p, "META", 2, 0);
    assert_false(bc_store_item_unchanged(s, p, "META", gen, &now));
    gen = bc_store_generation(s);
    assert_int_equal(bc_store_delete(s, p, "META", NULL), 0);
    assert_false(bc_store_item_unchanged(s, p, "META", gen, &now));
    gen = bc_store_generation(s);
    put_n_in_child(p, "OTHER", 7); /* another process's commit: its writes are not known */
    assert_false(bc_store_item_unchanged(s, p, "META", gen, &now));
}

/* A marked read (bc_store_get_marked) and its later check (bc_store_mark_unchanged): true while nothing wrote
 * the item, moving the mark on; false after a write of it, for a mark of another open store, for a read that
 * found nothing, and on a backend without generations. */
static void test_store__marked_reads(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    const json_t *got = NULL;
    struct bc_store_mark m, none;
    pk(p, "marked");
    put_n(s, p, "META", 1, 0);
    assert_int_equal(bc_store_get_marked(s, p, "META", &got, &m), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "n")), 1);
    bc_json_release(got);
    assert_int_equal(bc_store_get_marked(s, p, "NEVER", &got, &none), BC_ENOT_FOUND);
    assert_int_equal(none.gen, 0);
    assert_false(bc_store_mark_unchanged(s, p, "NEVER", &none));
    if (strncmp(url, "lmdb:", 5) != 0) {
        assert_false(bc_store_mark_unchanged(s, p, "META", &m));
        return;
    }
    assert_true(bc_store_mark_unchanged(s, p, "META", &m));
    put_n(s, p, "OTHER", 1, 0); /* another item: the mark moves on to the new generation */
    assert_true(bc_store_mark_unchanged(s, p, "META", &m));
    assert_int_equal(m.gen, bc_store_generation(s));
    struct bc_store_mark alien = m; /* a mark made in another open store (its serial) */
    alien.store = s->serial + 1;
    assert_false(bc_store_mark_unchanged(s, p, "META", &alien));
    put_n(s, p, "META", 2, 0);
    assert_false(bc_store_mark_unchanged(s, p, "META", &m));
}

/* A kind of a partition unchanged since a generation: writes of other kinds, of the same kind in another
 * partition, and of no item leave it unchanged; a write, addition or deletion of one of its items, or any
 * other process's commit, does not (or cannot tell). Only kinds ("D#"), not other prefixes. */
static void test_store__kind_unchanged(void **state)
{
    struct bc_store *s = *state;
    char p[128], q[128];
    uint64_t now = 0;
    pk(p, "kinds");
    pk(q, "kinds-other");
    put_n(s, p, "D#1", 1, 0);
    uint64_t gen = bc_store_generation(s);
    if (strncmp(url, "lmdb:", 5) != 0) {
        assert_false(bc_store_kind_unchanged(s, p, "D#", gen, &now));
        return;
    }
    assert_true(bc_store_kind_unchanged(s, p, "D#", gen, &now));
    assert_int_equal(now, gen);
    put_n(s, p, "E#1", 1, 0); /* another kind */
    put_n(s, q, "D#1", 1, 0); /* the kind in another partition */
    assert_true(bc_store_generation(s) > gen);
    assert_true(bc_store_kind_unchanged(s, p, "D#", gen, &now));
    assert_int_equal(now, bc_store_generation(s));
    assert_false(bc_store_kind_unchanged(s, p, "D", gen, &now));   /* not a kind */
    assert_false(bc_store_kind_unchanged(s, p, "D#1", gen, &now)); /* nor an item's key */
    assert_false(bc_store_kind_unchanged(s, p, "D#", 0, &now));    /* no generation known */
    put_n(s, p, "D#1", 2, 0);                                      /* an item of it written */
    assert_false(bc_store_kind_unchanged(s, p, "D#", gen, &now));
    gen = bc_store_generation(s);
    put_n(s, p, "D#2", 2, 0); /* added */
    assert_false(bc_store_kind_unchanged(s, p, "D#", gen, &now));
    gen = bc_store_generation(s);
    assert_int_equal(bc_store_delete(s, p, "D#2", NULL), 0); /* deleted */
    assert_false(bc_store_kind_unchanged(s, p, "D#", gen, &now));
    gen = bc_store_generation(s);
    put_n_in_child(q, "E#1", 7); /* another process's commit: its writes are not known */
    assert_false(bc_store_kind_unchanged(s, p, "D#", gen, &now));
}

/* A few attributes of an item: the named ones with their values, whatever else the item holds (nested
 * values, strings, reals); a missing, expired or badly keyed item as bc_store_get answers. LMDB hands out
 * only the named ones (and ttl); another backend may hand out the whole item. */
static void test_store__get_fields(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "fields");
    json_t *it =
        json_pack("{s:s, s:s, s:i, s:i, s:s, s:{s:i, s:[i, s]}, s:[i, i], s:f, s:b, s:n, s:I}", "PK", p, "SK",
                  "F#1", "peak_rpm", 7, "version", 3, "name", "Ana", "nested", "m01", 9, "deep", 1, "x",
                  "list", 1, 2, "real", 1.5, "flag", 1, "none", "ttl", (json_int_t)(bc_now_s() + 3600));
    assert_int_equal(bc_store_put(s, it, NULL), 0);
    json_decref(it);
    static const char *const names[] = {"peak_rpm", "version", "name", "real", "flag", "none", "absent"};
    json_t *got = NULL;
    assert_int_equal(bc_store_get_fields(s, p, "F#1", names, sizeof names / sizeof names[0], &got), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "peak_rpm")), 7);
    assert_int_equal(json_integer_value(json_object_get(got, "version")), 3);
    assert_string_equal(json_string_value(json_object_get(got, "name")), "Ana");
    assert_true(json_real_value(json_object_get(got, "real")) == 1.5);
    assert_true(json_is_true(json_object_get(got, "flag")));
    assert_true(json_is_null(json_object_get(got, "none")));
    assert_null(json_object_get(got, "absent"));
    if (strncmp(url, "lmdb:", 5) == 0) { /* only what was asked for, and the ttl */
        assert_null(json_object_get(got, "nested"));
        assert_null(json_object_get(got, "list"));
        assert_null(json_object_get(got, "PK"));
        assert_int_equal(json_object_size(got), 7);
    }
    json_decref(got);
    /* the same read again: a private copy each time, the item unchanged */
    static const char *const one[] = {"peak_rpm"};
    assert_int_equal(bc_store_get_fields(s, p, "F#1", one, 1, &got), 0);
    json_object_set_new(got, "peak_rpm", json_integer(100));
    json_decref(got);
    assert_int_equal(bc_store_get_fields(s, p, "F#1", one, 1, &got), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "peak_rpm")), 7);
    json_decref(got);
    /* missing, expired, bad keys */
    assert_int_equal(bc_store_get_fields(s, p, "F#NONE", one, 1, &got), BC_ENOT_FOUND);
    assert_null(got);
    put_n(s, p, "F#GONE", 1, bc_now_s() - 5);
    assert_int_equal(bc_store_get_fields(s, p, "F#GONE", one, 1, &got), BC_ENOT_FOUND);
    assert_null(got);
    assert_int_equal(bc_store_get_fields(s, p, "", one, 1, &got), BC_EINVALID);
    assert_int_equal(bc_store_get_fields(s, "", "F#1", one, 1, &got), BC_EINVALID);
}

static void test_store__read_only_reads(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "ro");
    put_n(s, p, "RO#A", 1, 0);
    assert_int_equal(ro_n(s, p, "RO#A"), 1);
    assert_int_equal(ro_n(s, p, "RO#A"), 1); /* twice: the second from the memo */
    put_n(s, p, "RO#A", 2, 0);               /* same length, other bytes */
    assert_int_equal(ro_n(s, p, "RO#A"), 2);
    /* another handle (as another process would) */
    struct bc_store *other = open_store();
    put_n(other, p, "RO#A", 3, 0);
    assert_int_equal(ro_n(s, p, "RO#A"), 3);
    /* another process */
    put_n_in_child(p, "RO#A", 4);
    assert_int_equal(ro_n(s, p, "RO#A"), 4);
    /* delete, then expiry of an item the memo holds */
    assert_int_equal(bc_store_delete(other, p, "RO#A", NULL), 0);
    assert_int_equal(ro_n(s, p, "RO#A"), -1);
    /* ttl two seconds ahead: at least one whole second of life, so that the two reads of ro_n cannot fall
     * on either side of the expiry (with one second, a put late in a second could expire between them) */
    put_n(s, p, "RO#E", 5, bc_now_s() + 2);
    assert_int_equal(ro_n(s, p, "RO#E"), 5);
    struct timespec ts = {3, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_int_equal(ro_n(s, p, "RO#E"), -1);
    /* readers on threads while another handle keeps writing: never an older value after a newer one */
    put_n(s, p, "RO#T", 0, 0);
    struct ro_reader rd[3] = {{s, p, 0}, {s, p, 0}, {s, p, 0}};
    pthread_t th[3];
    for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&th[i], NULL, ro_read_loop, &rd[i]), 0);
    for (int64_t n = 1; n <= 300; n++) put_n(other, p, "RO#T", n, 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(rd[i].bad, 0);
    }
    assert_int_equal(ro_n(s, p, "RO#T"), 300);
    bc_store_close(other);
}

/* LMDB's memo is bounded (4 MB): after one pass over more cold items than that (a crawl over every
 * tenant), items read often must still be memoised, i.e. a second read hands out the same shared object.
 * Other backends hand out new objects: there the reads are only checked to be right (a shorter crawl). */
static void test_store__memo_takes_hot_items_after_a_crawl(void **state)
{
    struct bc_store *s = *state;
    bool lmdb = strncmp(url, "lmdb:", 5) == 0;
    int cold = lmdb ? 500 : 10;
    char p[128], sk[32];
    pk(p, "crawl");
    char *pad = malloc(12001);
    assert_non_null(pad);
    memset(pad, 'x', 12000);
    pad[12000] = '\0';
    for (int i = 0; i < cold; i++) { /* LMDB: 6 MB of cold items, each read once */
        snprintf(sk, sizeof sk, "COLD#%03d", i);
        json_t *it = json_pack("{s:s, s:s, s:s}", "PK", p, "SK", sk, "pad", pad);
        assert_int_equal(bc_store_put(s, it, NULL), 0);
        json_decref(it);
        const json_t *got = NULL;
        assert_int_equal(bc_store_get_ro(s, p, sk, &got), 0);
        bc_json_release(got);
    }
    pad[8000] = '\0'; /* then new hot items (8 KB: more than the budget's slack), each read twice */
    for (int i = 0; i < 20; i++) {
        snprintf(sk, sizeof sk, "HOT#%02d", i);
        json_t *it = json_pack("{s:s, s:s, s:s}", "PK", p, "SK", sk, "pad", pad);
        assert_int_equal(bc_store_put(s, it, NULL), 0);
        json_decref(it);
        const json_t *a = NULL, *b = NULL;
        assert_int_equal(bc_store_get_ro(s, p, sk, &a), 0);
        assert_int_equal(bc_store_get_ro(s, p, sk, &b), 0);
        assert_string_equal(json_string_value(json_object_get(a, "pad")), pad);
        if (lmdb)
            assert_ptr_equal(a, b);
        else
            assert_true(json_equal(a, b));
        bc_json_release(a);
        bc_json_release(b);
    }
    free(pad);
}

/* A batch writes its items in order and stops at the first failing condition; the writes after it are
 * never made (the ones before may be: LMDB makes none of them, DynamoDB writes one after the other). */
static void test_store__put_batch(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "batch");
    json_t *a = json_pack("{s:s, s:s, s:i}", "PK", p, "SK", "B#1", "n", 1);
    json_t *b = json_pack("{s:s, s:s, s:i}", "PK", p, "SK", "B#2", "n", 2);
    json_t *c = json_pack("{s:s, s:s, s:i, s:i}", "PK", p, "SK", "B#3", "n", 3, "version", 1);
    struct bc_write w[3] = {{a, {BC_COND_NONE, 0, true}, false},
                            {b, {BC_COND_NOT_EXISTS, 0, true}, false},
                            {c, {BC_COND_VERSION, 0, false}, false}};
    size_t failed = 99;
    assert_int_equal(bc_store_put_batch(s, w, 3, &failed), 0);
    for (int i = 1; i <= 3; i++) {
        char sk[8];
        snprintf(sk, sizeof sk, "B#%d", i);
        assert_int_equal(ro_n(s, p, sk), i);
    }
    /* again: B#2 must not exist any more, so the batch stops there and B#3 is not rewritten */
    json_object_set_new(a, "n", json_integer(10));
    json_object_set_new(c, "n", json_integer(30));
    w[2].cond = (struct bc_cond){BC_COND_VERSION, 1, false};
    assert_int_equal(bc_store_put_batch(s, w, 3, &failed), BC_ECOND);
    assert_int_equal(failed, 1);
    assert_int_equal(ro_n(s, p, "B#3"), 3);
    int64_t first = ro_n(s, p, "B#1");
    assert_true(first == 1 || first == 10);
    if (strcmp(s->ops->name, "lmdb") == 0) assert_int_equal(first, 1); /* one transaction: all or nothing */
    /* bad batches */
    assert_int_equal(bc_store_put_batch(s, w, 0, &failed), BC_EINVALID);
    json_t *nokey = json_pack("{s:s}", "PK", p);
    struct bc_write bad[2] = {{a, {0}, false}, {nokey, {0}, false}};
    assert_int_equal(bc_store_put_batch(s, bad, 2, &failed), BC_EINVALID);
    assert_int_equal(failed, 1);
    /* a kept item is what read-only reads see once written; one of a batch that failed is never seen */
    int64_t before = ro_n(s, p, "B#1");
    json_t *k1 = json_pack("{s:s, s:s, s:i}", "PK", p, "SK", "B#1", "n", 77);
    struct bc_write kept_bad[2] = {{k1, {0}, true}, {nokey, {0}, false}};
    assert_int_equal(bc_store_put_batch(s, kept_bad, 2, &failed), BC_EINVALID);
    if (strcmp(s->ops->name, "lmdb") == 0) assert_int_equal(ro_n(s, p, "B#1"), before);
    struct bc_write kept[1] = {{k1, {0}, true}};
    assert_int_equal(bc_store_put_batch(s, kept, 1, &failed), 0);
    json_decref(k1);
    assert_int_equal(ro_n(s, p, "B#1"), 77);
    json_decref(nokey);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

/* Writes marked ttl_group (a conversation's messages) expire like any other on every backend; LMDB indexes
 * each group and ttl by one entry (not one per item) and its reaper deletes exactly the group's items of that
 * ttl, a budget at a time. */
static json_t *ttl_item(const char *p, const char *sk, int64_t ttl)
{
    return json_pack("{s:s, s:s, s:I}", "PK", p, "SK", sk, "ttl", (json_int_t)ttl);
}

static void test_store__ttl_groups(void **state)
{
    struct bc_store *s = *state;
    bool lmdb = strcmp(s->ops->name, "lmdb") == 0;
    char p[128];
    pk(p, "ttlgroups");
    int64_t now = bc_now_s(), past = now - 5, later = now + 3600;
    json_int_t items0 = 0, entries0 = 0, items, entries;
    if (lmdb) {
        while (bc_store_reap(s, 100) > 0) {
        } /* what other tests left expired */
        bc_test_store_counts(s, &items0, &entries0);
    }
    /* M#c1#: six expired messages and two live ones; M#c2#: one expired; NOHASH: no group, its own entry */
    struct bc_write w[10];
    json_t *it[10];
    for (int i = 0; i < 10; i++) {
        char sk[16];
        if (i < 8)
            snprintf(sk, sizeof sk, "M#c1#%02d", i + 1);
        else
            snprintf(sk, sizeof sk, i == 8 ? "M#c2#01" : "NOHASH");
        it[i] = ttl_item(p, sk, i == 6 || i == 7 ? later : past);
        w[i] = (struct bc_write){it[i], {BC_COND_NONE, 0, true}, false, true};
    }
    size_t failed = 99;
    assert_int_equal(bc_store_put_batch(s, w, 10, &failed), 0);
    /* M#c1#03 rewritten to live longer: the expired group's reaping must leave it */
    json_t *moved = ttl_item(p, "M#c1#03", later);
    struct bc_write mw[1] = {{moved, {BC_COND_NONE, 0, true}, false, true}};
    assert_int_equal(bc_store_put_batch(s, mw, 1, &failed), 0);
    /* what every backend shows: the expired are gone, the live ones are there */
    struct bc_query q = {.pk = p, .sk_prefix = "M#c1#", .limit = 20};
    struct bc_query_result r;
    assert_int_equal(bc_store_query(s, &q, &r), 0);
    assert_int_equal(json_array_size(r.items), 3);
    bc_query_result_release(&r);
    json_t *got = NULL;
    assert_int_equal(bc_store_get(s, p, "M#c1#03", &got), 0);
    json_decref(got);
    assert_int_equal(bc_store_get(s, p, "M#c2#01", &got), BC_ENOT_FOUND);
    if (lmdb) {
        /* entries: (past, M#c1#), (later, M#c1#), (past, M#c2#), NOHASH's own */
        bc_test_store_counts(s, &items, &entries);
        assert_int_equal(items, items0 + 10);
        assert_int_equal(entries, entries0 + 4);
        /* a budget of 3 stops inside the first group; the next round goes on from there */
        assert_int_equal(bc_store_reap(s, 3), 3);
        bc_test_store_counts(s, &items, &entries);
        assert_int_equal(items, items0 + 7);
        assert_int_equal(bc_store_reap(s, 100), 4); /* two of M#c1#, M#c2#01, NOHASH */
        bc_test_store_counts(s, &items, &entries);
        assert_int_equal(items, items0 + 3);
        assert_int_equal(entries, entries0 + 1); /* (later, M#c1#) */
        assert_int_equal(bc_store_reap(s, 100), 0);
    } else {
        assert_true(bc_store_reap(s, 100) >= 0);
    }
    struct bc_query all = {.pk = p, .limit = 20};
    assert_int_equal(bc_store_query(s, &all, &r), 0);
    assert_int_equal(json_array_size(r.items), 3); /* M#c1#03, 07, 08 */
    bc_query_result_release(&r);
    for (int i = 0; i < 10; i++) json_decref(it[i]);
    json_decref(moved);
}

/* A batch of updates: each its own atomic update, a failed condition refuses only its own, every op gets
 * its result and item; updates of one item in a batch apply in order. */
static void test_store__update_batch(void **state)
{
    struct bc_store *s = *state;
    char p[128];
    pk(p, "ubatch");
    json_t *add1 = json_pack("{s:i}", "n", 1), *add5 = json_pack("{s:i}", "n", 5),
           *setv = json_pack("{s:i}", "peak", 9), *addv = json_pack("{s:i}", "version", 1);
    struct bc_update_op ops[4] = {
        {.pk = p, .sk = "U#1", .u = {NULL, add1, NULL}, .cond = {BC_COND_NONE, 0, true}, .want_out = true},
        {.pk = p, .sk = "U#2", .u = {setv, addv, NULL}, .cond = {BC_COND_VERSION, 3, true}, .want_out = true},
        {.pk = p, .sk = "U#1", .u = {NULL, add5, NULL}, .cond = {BC_COND_NONE, 0, true}, .want_out = true},
        {.pk = p, .sk = "U#3", .u = {setv, addv, NULL}, .cond = {BC_COND_VERSION, 0, true}},
    };
    /* U#2 does not exist (version 0), so its condition fails; the others are written */
    assert_int_equal(bc_store_update_batch(s, ops, 4), 0);
    assert_int_equal(ops[0].rc, 0);
    assert_int_equal(ops[1].rc, BC_ECOND);
    assert_null(ops[1].out);
    assert_int_equal(ops[2].rc, 0);
    assert_int_equal(ops[3].rc, 0);
    assert_null(ops[3].out); /* not asked for */
    assert_int_equal(json_integer_value(json_object_get(ops[0].out, "n")), 1);
    assert_int_equal(json_integer_value(json_object_get(ops[2].out, "n")), 6); /* in order, after the first */
    json_decref(ops[0].out);
    json_decref(ops[2].out);
    json_t *it = NULL;
    assert_int_equal(bc_store_get(s, p, "U#2", &it), BC_ENOT_FOUND);
    assert_int_equal(bc_store_get(s, p, "U#3", &it), 0);
    assert_int_equal(json_integer_value(json_object_get(it, "peak")), 9);
    assert_int_equal(json_integer_value(json_object_get(it, "version")), 1);
    json_decref(it);
    assert_int_equal(ro_n(s, p, "U#1"), 6);
    /* a bad key refuses the whole batch before anything is written */
    struct bc_update_op bad[2] = {
        {.pk = p, .sk = "U#1", .u = {NULL, add1, NULL}},
        {.pk = p, .sk = "", .u = {NULL, add1, NULL}},
    };
    assert_int_equal(bc_store_update_batch(s, bad, 2), BC_EINVALID);
    assert_int_equal(bad[0].rc, BC_EINVALID);
    assert_int_equal(ro_n(s, p, "U#1"), 6);
    /* an update that cannot apply (add to a string) is an error: on LMDB the whole batch is undone */
    json_t *str = json_pack("{s:s, s:s, s:s}", "PK", p, "SK", "U#S", "n", "x");
    assert_int_equal(bc_store_put(s, str, NULL), 0);
    struct bc_update_op mixed[2] = {
        {.pk = p, .sk = "U#4", .u = {NULL, add1, NULL}},
        {.pk = p, .sk = "U#S", .u = {NULL, add1, NULL}},
    };
    int rc = bc_store_update_batch(s, mixed, 2);
    assert_true(rc < 0 && rc != BC_ECOND);
    assert_int_equal(mixed[1].rc, rc);
    if (strcmp(s->ops->name, "lmdb") == 0) {
        assert_int_equal(mixed[0].rc, rc);
        assert_int_equal(bc_store_get(s, p, "U#4", &it), BC_ENOT_FOUND);
    }
    assert_int_equal(ro_n(s, p, "U#1"), 6);
    assert_int_equal(bc_store_update_batch(s, ops, 0), BC_EINVALID);
    json_decref(str);
    json_decref(add1);
    json_decref(add5);
    json_decref(setv);
    json_decref(addv);
}

int main(void)
{
    bc_clock_init();
    bc_id_global_init();
    bc_test_store_url(url, sizeof url, "store");
    char id[BC_ID_LEN + 1];
    bc_id_new(id);
    snprintf(ns, sizeof ns, "%s", id);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store__put_get_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__update_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__bad_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__query_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__versioned_increments_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__add_threads, setup, teardown),
        cmocka_unit_test(test_store__add_processes),
        cmocka_unit_test(test_store__create_races_processes),
        cmocka_unit_test_setup_teardown(test_store__scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__read_only_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__exists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__query_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__kind_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__item_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__marked_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__get_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__memo_takes_hot_items_after_a_crawl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__put_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__ttl_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store__update_batch, setup, teardown),
    };
    return cmocka_run_group_tests_name("store_contract", tests, NULL, NULL);
}
