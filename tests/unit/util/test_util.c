/* Unit tests of src/util: errors, buffers, arena, ids, base64url, time parsing, config precedence, options.
 */
#include "../testlib.h"

#include <jansson.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/opt.h"

static void test_err__table(void **state)
{
    (void)state;
    assert_string_equal(bc_err_code(BC_ESLOT), "slot_unavailable");
    assert_int_equal(bc_err_status(BC_ESLOT), 409);
    assert_int_equal(bc_err_status(BC_EPLAN), 429);
    assert_int_equal(bc_err_status(BC_EPLAN_CONFLICT), 409);
    assert_string_equal(bc_err_code(BC_EPLAN_CONFLICT), "plan_limit_exceeded");
    assert_int_equal(bc_err_status(BC_ETOO_LARGE), 413);
    assert_string_equal(bc_err_code(-5), "internal");
    assert_int_equal(bc_err_status(12345), 500);
    assert_string_equal(bc_err_code(BC_EORIGIN), "origin_not_allowed");
}

static void test_buf__grow_and_detach(void **state)
{
    (void)state;
    struct bc_buf b = BC_BUF_INIT;
    for (int i = 0; i < 1000; i++) assert_int_equal(bc_buf_printf(&b, "%d,", i % 10), 0);
    assert_int_equal(b.len, 2000);
    size_t n;
    char *s = bc_buf_detach(&b, &n);
    assert_int_equal(n, 2000);
    assert_int_equal(strncmp(s, "0,1,2,", 6), 0);
    assert_null(b.data);
    free(s);
}

/* The JSON writers must print what jansson prints: the access log and availability answers use them. */
static void expect_str_like_jansson(const char *s)
{
    struct bc_buf b = BC_BUF_INIT;
    json_t *j = json_string(s);
    int rc = bc_buf_json_str(&b, s);
    if (!j) {
        assert_int_equal(rc, BC_EINVALID);
        assert_int_equal(b.len, 0);
    } else {
        char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        assert_int_equal(rc, 0);
        assert_string_equal(b.data, want);
        free(want);
    }
    json_decref(j);
    bc_buf_release(&b);
}

static void test_buf__json_str_like_jansson(void **state)
{
    (void)state;
    static const char *const fixed[] = {
        "",
        "plain",
        "quote\" back\\slash",
        "\b\f\n\r\t\x01\x1f\x7f",
        "/v1/x?a=b&c=<d>",
        "ñandú €",
        "\xf0\x9f\x98\x80",
        "\xc0\xaf",
        "\xed\xa0\x80",
        "\xf4\x90\x80\x80",
        "\xe2\x82",
        "\xff",
        "ok\xc3",
        "\xe0\x80\xaf",
        "\xf0\x80\x80\xaf",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) expect_str_like_jansson(fixed[i]);
    /* random bytes, biased to the interesting ranges */
    uint64_t x = 88172645463325252ULL;
    char s[16];
    for (int it = 0; it < 200000; it++) {
        int n = (int)(x % 15);
        for (int i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            static const unsigned char pick[] = {0x01, 0x1f, '"',  '\\', 'a',  0x7f, 0x80, 0xbf, 0xc2, 0xdf,
                                                 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x9f, 0x90, 0x8f};
            s[i] = (char)(x & 32 ? pick[(x >> 8) % sizeof pick] : (unsigned char)(1 + (x >> 16) % 255));
        }
        s[n] = '\0';
        expect_str_like_jansson(s);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    }
}

/* Names refuse what reorders, hides or breaks text (bidi overrides, marks, isolates, C0/C1 controls, line
 * separators); ordinary text of every script passes, and multi-line text keeps its rules. */
static void test_json__check_string_refuses_bidi_and_controls(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Ann\u202eevil", "Ann\xc2\x85Lee", "Ann\u2028Lee",   "Ann\u2029Lee", "Ann\u200eLee", "Ann\u200fLee",
        "Ann\u202aLee",  "Ann\u202dLee",   "Ann\u2066Lee",   "Ann\u2069Lee", "Ann\u061cLee", "Ann\x01Lee",
        "Ann\x7fLee",    "Ann\xc2\x80Lee", "Ann\xc2\x9fLee", "Ann\nLee",     "Ann\tLee"};
    static const char *const good[] = {"Jos\u00e9 M\u00fcller-\u00d8rsted",
                                       "\u0645\u062d\u0645\u062f",
                                       "\u05e9\u05e8\u05d4",
                                       "\u5c71\u7530 \u592a\u90ce",
                                       "Zo\u00eb \U0001f600",
                                       "A\u00a0B",
                                       "\u2030 \u2065 \u206a"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (bc_json_check_string(bad[i], 1, 80, 0) != BC_EINVALID) fail_msg("accepted bad name #%zu", i);
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (bc_json_check_string(good[i], 1, 80, 0) != 0) fail_msg("refused good name #%zu", i);
    assert_int_equal(bc_json_check_string("line one\nline\u2028two \u200e", 1, 80, 1), 0);
    char msg[200];
    json_t *o = json_pack("{s:s}", "name", "Ann\u202eevil");
    const struct bc_jfield f[] = {{"name", BC_J_STRING, 0, 1, 80}, {NULL}};
    assert_int_equal(bc_json_check(o, f, msg, sizeof msg), BC_EINVALID);
    assert_non_null(strstr(msg, "bidirectional"));
    json_decref(o);
}

static void test_buf__json_real_like_jansson(void **state)
{
    (void)state;
    static const double fixed[] = {0,     1,          -1,       0.5,           12,        3.164,
                                   0.315, 1234.5678,  1e5,      999999,        1e6,       1234567.891,
                                   1e-5,  1.5e-7,     -2.5e-10, 1e21,          1e300,     0.1 + 0.2,
                                   100,   123456.789, 0.001,    42.4242424242, 9.999999e6};
    int precisions[] = {0, 6, 3, 17};
    for (size_t p = 0; p < sizeof precisions / sizeof precisions[0]; p++) {
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
            struct bc_buf b = BC_BUF_INIT;
            json_t *j = json_real(fixed[i]);
            char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(precisions[p]));
            assert_int_equal(bc_buf_json_real(&b, fixed[i], precisions[p]), 0);
            assert_string_equal(b.data, want);
            free(want);
            json_decref(j);
            bc_buf_release(&b);
        }
    }
}

/* bc_json_dumps writes the store's items and the answers: the same bytes as json_dumps(JSON_COMPACT). */
static void test_json__dumps_like_jansson(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{}",
        "[]",
        "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":true,\"e\":false,\"f\":\"x\\\"y\\n\\u0001 \\u00f1\"}",
        "{\"z\":1,\"a\":2,\"m\":{\"y\":[],\"b\":{}}}",
        /* long strings: the eight-bytes-at-a-time scan, with the character to escape at every position */
        ("[\"0123456789abcdefghij\\\"0123456789\",\"0123456789abcdefghij\\\\0123\","
         "\"0123456789abcdef\\t0123\","
         "\"01234567\\u00f1abcdefghijklmnop\",\"0123456789abcdefghijklmnopqrstuvwxyz ~!@#$%^&*()_+{}|:<>?\","
         "\"\\u001f123456789\",\"1234567\\u007f\",\"12345678\\\"\",\"123456789012345\\n\"]"),
        "[-9223372036854775808,9223372036854775807,0,-1,12345678901234,1.5,1e300,-0.001,100.0]",
        ("{\"PK\":\"TENANT#01\",\"SK\":\"CAL#p#2026-12-01\",\"entries\":[{\"id\":\"x\",\"from\":1,\"to\":2}],"
         "\"version\":3,\"emoji\":\"\\ud83d\\ude00\",\"ctl\":\"\\b\\f\\r\\t\\u001f\\u007f/\"}"),
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        json_t *j = json_loads(texts[i], 0, NULL);
        assert_non_null(j);
        /* keys added after a removal keep jansson's order */
        if (json_is_object(j)) {
            json_object_set_new(j, "late", json_integer(7));
            json_object_del(j, "a");
            json_object_set_new(j, "a", json_string("again"));
        }
        char *want = json_dumps(j, JSON_COMPACT);
        size_t n = 0;
        char *got = bc_json_dumps(j, &n);
        assert_non_null(got);
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
        free(want);
        free(got);
        json_decref(j);
    }
    /* a string with NUL: jansson escapes it, and so does the fallback */
    json_t *nul = json_pack("{s:s%}", "k", "a\0b", (size_t)3);
    char *want = json_dumps(nul, JSON_COMPACT);
    size_t n = 0;
    char *got = bc_json_dumps(nul, &n);
    assert_string_equal(got, want);
    assert_int_equal(n, strlen(want));
    free(want);
    free(got);
    json_decref(nul);
    json_t *scalar = json_integer(1);
    assert_null(bc_json_dumps(scalar, NULL)); /* like json_dumps without JSON_ENCODE_ANY */
    json_decref(scalar);
}

static void test_arena__many_and_large(void **state)
{
    (void)state;
    struct bc_arena a;
    bc_arena_init(&a);
    for (int i = 0; i < 2000; i++) {
        char *p = bc_arena_printf(&a, "item-%d", i);
        assert_non_null(p);
        assert_int_equal(((uintptr_t)p) % sizeof(void *), 0);
    }
    char *big = bc_arena_alloc(&a, 100000);
    memset(big, 1, 100000);
    assert_string_equal(bc_arena_strdup(&a, "x"), "x");
    bc_arena_release(&a);
}

static void test_id__ulid_sortable_and_valid(void **state)
{
    (void)state;
    char prev[BC_ID_LEN + 1] = "", id[BC_ID_LEN + 1];
    for (int i = 0; i < 1000; i++) {
        bc_id_new(id);
        assert_true(bc_id_valid(id));
        assert_true(strcmp(prev, id) < 0);
        memcpy(prev, id, sizeof id);
    }
    assert_false(bc_id_valid("01ARZ3NDEKTSV4RRFFQ69G5FA"));  /* 25 chars */
    assert_false(bc_id_valid("01ARZ3NDEKTSV4RRFFQ69G5FAU")); /* U is not Crockford */
    assert_false(bc_id_valid("81ARZ3NDEKTSV4RRFFQ69G5FAV")); /* time overflow */
    assert_false(bc_id_valid(NULL));
}

static void test_id__b64url_roundtrip(void **state)
{
    (void)state;
    unsigned char raw[33], back[40];
    char enc[64];
    bc_random(raw, sizeof raw);
    bc_b64url_encode(raw, sizeof raw, enc);
    assert_null(strchr(enc, '='));
    assert_null(strchr(enc, '+'));
    assert_int_equal(bc_b64url_decode(enc, strlen(enc), back, sizeof back), 33);
    assert_memory_equal(raw, back, 33);
    assert_int_equal(bc_b64url_decode("a$b", 3, back, sizeof back), BC_EINVALID);
    char *t = bc_token_new("pk_live_", 24);
    assert_int_equal(strncmp(t, "pk_live_", 8), 0);
    assert_int_equal(strlen(t), 8 + 32);
    free(t);
}

static void test_clock__iso_parse(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(bc_time_parse_iso("2026-12-01T09:00:00+01:00", &t), 0);
    assert_int_equal(t, 1796112000); /* 2026-12-01T08:00:00Z */
    assert_int_equal(bc_time_parse_iso("2026-12-01T08:00:00Z", &t), 0);
    assert_int_equal(t, 1796112000);
    assert_int_equal(bc_time_parse_iso("2026-12-01T03:00:00.250-05:00", &t), 0);
    assert_int_equal(t, 1796112000);
    assert_int_equal(bc_time_parse_iso("2024-02-29T00:00Z", &t), 0);
    char out[32];
    bc_time_format_utc(1796112000, out, sizeof out);
    assert_string_equal(out, "2026-12-01T08:00:00Z");
    const char *bad[] = {"2026-12-01",           "2026-13-01T00:00Z",          "2026-02-30T00:00Z",
                         "2025-02-29T00:00Z",    "2026-12-01T24:00Z",          "2026-12-01T09:00:00",
                         "2026-12-01T09:00+1",   "2026-12-01T09:00:00+01:00x", "x026-12-01T09:00Z",
                         "2026-12-01T09:00:00.Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(bc_time_parse_iso(bad[i], &t), BC_EINVALID);
}

static void test_config__precedence(void **state)
{
    (void)state;
    char file[600], dir[512], err[256];
    bc_test_tmpdir(dir, sizeof dir, "cfg");
    snprintf(file, sizeof file, "%s/bookchat.conf", dir);
    FILE *f = fopen(file, "w");
    fprintf(f, "# comment\nlisten = 127.0.0.1:9000\nthreads = 3\nplatform_token = \"from-file\"\n");
    fclose(f);
    bc_config_reset();
    setenv("BOOKCHAT_THREADS", "5", 1);
    assert_int_equal(bc_config_load(file, err, sizeof err), 0);
    assert_string_equal(bc_config_get(BC_CFG_LISTEN), "127.0.0.1:9000"); /* file */
    assert_int_equal(bc_config_int(BC_CFG_THREADS, 0), 5);               /* env beats file */
    assert_string_equal(bc_config_get(BC_CFG_PLATFORM_TOKEN), "from-file");
    bc_config_set(BC_CFG_THREADS, "7"); /* flag beats env */
    assert_int_equal(bc_config_int(BC_CFG_THREADS, 0), 7);
    assert_string_equal(bc_config_get(BC_CFG_BODY_LIMIT), "65536"); /* default */
    unsetenv("BOOKCHAT_THREADS");

    f = fopen(file, "w");
    fprintf(f, "no_such_setting = 1\n");
    fclose(f);
    assert_int_equal(bc_config_load(file, err, sizeof err), BC_EINVALID);
    assert_non_null(strstr(err, "no_such_setting"));
    assert_int_equal(bc_config_load("/nonexistent/file", err, sizeof err), BC_EIO);
    bc_config_reset();
}

static void test_opt__parse(void **state)
{
    (void)state;
    bool json = false, help = false;
    const char *name = NULL;
    long n = 0;
    struct bc_strlist origins = {0};
    const struct bc_opt opts[] = {
        {"name", BC_OPT_STR, &name, 0, "NAME", "name"},
        {"count", BC_OPT_INT, &n, 0, "N", "count"},
        {"origin", BC_OPT_LIST, &origins, 0, "URL", "origin"},
        {"json", BC_OPT_FLAG, &json, 0, NULL, "json"},
        {0},
    };
    char *argv[] = {"pos1",   "--name", "Clinic", "--count=4", "--origin", "https://a", "--origin=https://b",
                    "--json", "--",     "--pos2"};
    char *pos[4];
    int npos;
    assert_int_equal(bc_opt_parse(opts, 10, argv, pos, 4, &npos, &help), 0);
    assert_string_equal(name, "Clinic");
    assert_int_equal(n, 4);
    assert_true(json);
    assert_int_equal(origins.n, 2);
    assert_string_equal(origins.v[1], "https://b");
    assert_int_equal(npos, 2);
    assert_string_equal(pos[1], "--pos2");
    bc_strlist_release(&origins);
    char *bad1[] = {"--nope"};
    assert_int_equal(bc_opt_parse(opts, 1, bad1, pos, 4, &npos, &help), -1);
    char *bad2[] = {"--count", "x"};
    assert_int_equal(bc_opt_parse(opts, 2, bad2, pos, 4, &npos, &help), -1);
    char *bad3[] = {"--name"};
    assert_int_equal(bc_opt_parse(opts, 1, bad3, pos, 4, &npos, &help), -1);
    char *bad4[] = {"a", "b"};
    assert_int_equal(bc_opt_parse(opts, 2, bad4, pos, 1, &npos, &help), -1);
}

int main(void)
{
    bc_id_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err__table),
        cmocka_unit_test(test_buf__grow_and_detach),
        cmocka_unit_test(test_buf__json_str_like_jansson),
        cmocka_unit_test(test_buf__json_real_like_jansson),
        cmocka_unit_test(test_json__dumps_like_jansson),
        cmocka_unit_test(test_json__check_string_refuses_bidi_and_controls),
        cmocka_unit_test(test_arena__many_and_large),
        cmocka_unit_test(test_id__ulid_sortable_and_valid),
        cmocka_unit_test(test_id__b64url_roundtrip),
        cmocka_unit_test(test_clock__iso_parse),
        cmocka_unit_test(test_config__precedence),
        cmocka_unit_test(test_opt__parse),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
