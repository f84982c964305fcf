/* Unit tests of src/http/rendered.c, the rendered answers: an answer is replayed only for the same key and
 * the very same input items; answers whose keys share a set stay side by side (with one entry a slot, two
 * hot answers that hashed alike were rendered again on every request); the next one takes the place of
 * the least recently served (after a crawl had served every way of a set, two hot answers of that set kept
 * taking each other's place). Requests come through the Lambda transport (http/lambda.h), which needs no
 * socket. */
#include "../testlib.h"

#include "http/http.h"
#include "http/lambda.h"
#include "http/rendered.h"
#include "http/server.h"
#include "store/store.h"
#include "util/hash.h"

#include <string.h>

static struct bc_server srv;

static int setup(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof srv);
    srv.body_limit = 1024;
    char err[200];
    assert_int_equal(bc_server_prepare(&srv, err, sizeof err), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_rendered_clear();
    bc_server_release(&srv);
    return 0;
}

static struct bc_req *request(json_t **e)
{
    *e = json_pack("{s:s, s:s, s:s, s:s, s:{}, s:{s:{s:s, s:s, s:s}}, s:b}", "version", "2.0", "routeKey",
                   "$default", "rawPath", "/x", "rawQueryString", "", "headers", "requestContext", "http",
                   "method", "GET", "path", "/x", "sourceIp", "198.51.100.7", "isBase64Encoded", 0);
    struct bc_req *req = NULL;
    char msg[100];
    assert_int_equal(bc_lambda_request(&srv, *e, &req, msg, sizeof msg), 0);
    return req;
}

/* How a lookup is made: by items (store NULL), by a digest, or by a store's generation (digest NULL). */
struct lookup {
    const json_t *const *in;
    size_t n;
    const struct bc_store *store;
    const struct bc_store_digest *digest;
    uint64_t gen;
    bc_rendered_unchanged_fn unchanged; /* with gen */
    void *arg;
};

/* What a store says of the items since an entry's generation (a stand-in for bc_store_kind_unchanged, which
 * the store contract tests): the generation asked about, the answer, and the generation it is given at. */
struct since {
    uint64_t asked;
    bool answer;
    uint64_t now;
};

static bool since_fn(void *arg, uint64_t snap, uint64_t *now)
{
    struct since *s = arg;
    s->asked = snap;
    if (s->answer) *now = s->now;
    return s->answer;
}

/* Whether key's answer is replayed for the lookup (its body then in body[64]). */
static bool replayed_for(const char *key, const struct lookup *l, char body[64])
{
    json_t *e;
    struct bc_req *req = request(&e);
    bool hit = !l->store   ? bc_rendered_reply(req, key, l->in, l->n)
               : l->digest ? bc_rendered_reply_digest(req, key, l->store, l->digest)
                           : bc_rendered_reply_current(req, key, l->store, l->gen, l->unchanged, l->arg);
    body[0] = '\0';
    if (hit) {
        json_t *out = bc_lambda_render(req);
        snprintf(body, 64, "%s", json_string_value(json_object_get(out, "body")));
        json_decref(out);
    }
    bc_req_free(req);
    json_decref(e);
    return hit;
}

static bool replayed(const char *key, const json_t *const *in, size_t n, char body[64])
{
    return replayed_for(key, &(struct lookup){.in = in, .n = n}, body);
}

static bool replayed_by(const char *key, const struct bc_store *st, const struct bc_store_digest *d,
                        uint64_t gen, char body[64])
{
    return replayed_for(key, &(struct lookup){.store = st, .digest = d, .gen = gen}, body);
}

/* Renders {"v": value} as key's answer, kept by the lookup's items or digest. */
static void render_for(const char *key, const struct lookup *l, const char *value)
{
    json_t *e;
    struct bc_req *req = request(&e);
    json_t *body = json_pack("{s:s}", "v", value);
    assert_int_equal(l->digest ? bc_rendered_reply_json_digest(req, key, l->store, l->digest, body)
                               : bc_rendered_reply_json(req, key, l->in, l->n, body),
                     0);
    bc_req_free(req);
    json_decref(e);
}

static void render(const char *key, const json_t *const *in, size_t n, const char *value)
{
    render_for(key, &(struct lookup){.in = in, .n = n}, value);
}

static void render_digest(const char *key, const struct bc_store *st, const struct bc_store_digest *d,
                          const char *value)
{
    render_for(key, &(struct lookup){.store = st, .digest = d}, value);
}

static void test_rendered__same_key_and_items_only(void **state)
{
    (void)state;
    char body[64];
    json_t *a = json_pack("{s:s}", "name", "Corte"), *b = json_pack("{s:s}", "name", "Corte");
    const json_t *in[1] = {a};
    assert_false(replayed("services|t1", in, 1, body));
    render("services|t1", in, 1, "one");
    assert_true(replayed("services|t1", in, 1, body));
    assert_string_equal(body, "{\"v\":\"one\"}");
    /* an equal but other item (a rewritten one), another key, another count: a miss */
    const json_t *other[1] = {b};
    assert_false(replayed("services|t1", other, 1, body));
    assert_false(replayed("services|t2", in, 1, body));
    assert_false(replayed("services|t1", in, 0, body));
    json_decref(a);
    json_decref(b);
}

/* An answer kept with a digest is replayed for the same key and digest only; by generation only in the same
 * store at the generation its digest was last found at; never for a lookup by items (nor the reverse). */
static void test_rendered__by_digest_and_generation(void **state)
{
    (void)state;
    char body[64];
    static const struct bc_store stores[2] = {{.serial = 1}, {.serial = 2}}; /* only their serials matter */
    const struct bc_store *a = &stores[0], *b = &stores[1];
    struct bc_store_digest d1 = {.ok = true, .b = {1}, .snap = 10}, d2 = {.ok = true, .b = {2}, .snap = 11},
                           none = {.ok = false, .b = {1}, .snap = 10};
    assert_false(replayed_by("config|t1", a, &d1, 0, body));
    render_digest("config|t1", a, &d1, "one");
    assert_true(replayed_by("config|t1", a, &d1, 0, body));
    assert_string_equal(body, "{\"v\":\"one\"}");
    assert_false(replayed_by("config|t1", a, &d2, 0, body));   /* other bytes */
    assert_false(replayed_by("config|t2", a, &d1, 0, body));   /* another key */
    assert_false(replayed_by("config|t1", a, &none, 0, body)); /* no digest: never a hit */
    assert_false(replayed("config|t1", NULL, 0, body));        /* a lookup by items */
    /* by generation: the store and generation the digest was read at */
    assert_true(replayed_by("config|t1", a, NULL, 10, body));
    assert_false(replayed_by("config|t1", a, NULL, 11, body)); /* a commit since */
    assert_false(replayed_by("config|t1", b, NULL, 10, body)); /* another store */
    assert_false(replayed_by("config|t1", a, NULL, 0, body));  /* a backend without generations */
    /* the same digest found again at a later generation: that generation answers from now on */
    struct bc_store_digest later = d1;
    later.snap = 12;
    assert_true(replayed_by("config|t1", b, &later, 0, body));
    assert_true(replayed_by("config|t1", b, NULL, 12, body));
    assert_false(replayed_by("config|t1", a, NULL, 10, body));
    /* commits since, but the answer's items shown unchanged since generation 12: a hit, and from then on the
     * entry is at the generation they were shown at; items written since: a miss */
    struct since kept = {.answer = true, .now = 14}, written = {.answer = false};
    assert_true(replayed_for(
        "config|t1", &(struct lookup){.store = b, .gen = 14, .unchanged = since_fn, .arg = &kept}, body));
    assert_int_equal(kept.asked, 12);
    assert_string_equal(body, "{\"v\":\"one\"}");
    assert_true(replayed_by("config|t1", b, NULL, 14, body));
    assert_false(replayed_for(
        "config|t1", &(struct lookup){.store = b, .gen = 15, .unchanged = since_fn, .arg = &written}, body));
    assert_int_equal(written.asked, 14);
    assert_false(replayed_by("config|t1", b, NULL, 15, body));
    assert_false(replayed_for("config|t1",
                              &(struct lookup){.store = a, .gen = 15, .unchanged = since_fn, .arg = &kept},
                              body)); /* another store: not asked */
    /* a new answer for the key replaces the old */
    render_digest("config|t1", a, &d2, "two");
    assert_false(replayed_by("config|t1", a, &d1, 0, body));
    assert_true(replayed_by("config|t1", a, &d2, 0, body));
    assert_string_equal(body, "{\"v\":\"two\"}");
    /* an answer kept by items does not answer a digest lookup */
    json_t *it = json_pack("{s:s}", "name", "Corte");
    const json_t *in[1] = {it};
    render("config|t3", in, 1, "items");
    assert_false(replayed_by("config|t3", a, &d1, 0, body));
    assert_true(replayed("config|t3", in, 1, body));
    json_decref(it);
}

/* n keys (32 bytes each) whose answers share one set. */
static void same_set(char (*keys)[32], int n)
{
    size_t want = (size_t)(bc_fnv1a_str("k0") % BC_RENDERED_SETS);
    int found = 0;
    for (int i = 0; found < n; i++) {
        char k[32];
        snprintf(k, sizeof k, "k%d", i);
        if (bc_fnv1a_str(k) % BC_RENDERED_SETS == want) memcpy(keys[found++], k, sizeof k);
    }
}

static void test_rendered__keys_sharing_a_set_stay(void **state)
{
    (void)state;
    char keys[BC_RENDERED_WAYS + 1][32], body[64];
    same_set(keys, BC_RENDERED_WAYS + 1);
    for (int i = 0; i < BC_RENDERED_WAYS; i++) render(keys[i], NULL, 0, keys[i]);
    /* all of them, again and again (each served, so each is "used") */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < BC_RENDERED_WAYS; i++) {
            assert_true(replayed(keys[i], NULL, 0, body));
            assert_non_null(strstr(body, keys[i]));
        }
    /* one more for the full set takes one place; the others stay */
    render(keys[BC_RENDERED_WAYS], NULL, 0, "last");
    int kept = 0;
    for (int i = 0; i <= BC_RENDERED_WAYS; i++) kept += replayed(keys[i], NULL, 0, body);
    assert_int_equal(kept, BC_RENDERED_WAYS);
    assert_true(replayed(keys[BC_RENDERED_WAYS], NULL, 0, body));
    /* rendering a key again replaces its own entry */
    render(keys[1], NULL, 0, "again");
    assert_true(replayed(keys[1], NULL, 0, body));
    assert_string_equal(body, "{\"v\":\"again\"}");
    kept = 0;
    for (int i = 0; i <= BC_RENDERED_WAYS; i++) kept += replayed(keys[i], NULL, 0, body);
    assert_int_equal(kept, BC_RENDERED_WAYS);
}

/* 10,000 tenants' answers, read in turn over and over (the spread bench): the table holds 16,384, so the
 * second turn finds almost every one. With sets of 4 (4,096 of them), a set given more keys than ways missed
 * all of its keys on every turn: about a fifth of them. */
static void test_rendered__ten_thousand_answers_read_in_turn_stay(void **state)
{
    (void)state;
    enum { N = 10000 };
    char key[32], body[64];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "widget SERVICE t%05d", i);
        render(key, NULL, 0, key);
    }
    for (int turn = 0; turn < 2; turn++) {
        int kept = 0;
        for (int i = 0; i < N; i++) {
            snprintf(key, sizeof key, "widget SERVICE t%05d", i);
            if (replayed(key, NULL, 0, body)) {
                kept++;
            } else {
                render(key, NULL, 0, key); /* what the handler does on a miss */
            }
        }
        assert_true(kept >= N - N / 200);
    }
}

static void test_rendered__hot_answers_stay_in_a_set_a_crawl_filled(void **state)
{
    (void)state;
    enum { N = BC_RENDERED_WAYS + 2 };
    char keys[N][32], body[64];
    same_set(keys, N);
    /* the crawl: every way of the set rendered and served (far below the budget: no sweep unmarks them) */
    for (int i = 0; i < BC_RENDERED_WAYS; i++) {
        render(keys[i], NULL, 0, keys[i]);
        assert_true(replayed(keys[i], NULL, 0, body));
    }
    /* then two hot answers of that set, served in turn: each is rendered once and replayed from then on */
    render(keys[N - 2], NULL, 0, "a");
    render(keys[N - 1], NULL, 0, "b");
    for (int round = 0; round < 3; round++) {
        assert_true(replayed(keys[N - 2], NULL, 0, body));
        assert_string_equal(body, "{\"v\":\"a\"}");
        assert_true(replayed(keys[N - 1], NULL, 0, body));
        assert_string_equal(body, "{\"v\":\"b\"}");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rendered__same_key_and_items_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rendered__by_digest_and_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rendered__keys_sharing_a_set_stay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rendered__ten_thousand_answers_read_in_turn_stay, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rendered__hot_answers_stay_in_a_set_a_crawl_filled, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
