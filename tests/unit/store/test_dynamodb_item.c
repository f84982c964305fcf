/* Unit tests of src/store/dynamodb_item.c: items to DynamoDB AttributeValue JSON and back (the mapping,
 * integers staying integers, and malformed responses refused without a crash). */
#include "../testlib.h"

#include "store/dynamodb.h"
#include "util/err.h"

static json_t *parse(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j) fail_msg("bad JSON in test: %s", e.text);
    return j;
}

static void test_dynamodb_item__round_trip(void **state)
{
    (void)state;
    json_t *item =
        parse("{\"PK\":\"T#1\",\"SK\":\"B#2\",\"s\":\"Ana \\u00e9\",\"empty\":\"\",\"i\":7,\"neg\":-12,"
              "\"max\":9223372036854775807,\"min\":-9223372036854775808,\"r\":0.1,\"big\":1.5e300,"
              "\"tiny\":-2.5e-300,\"t\":true,\"f\":false,\"z\":null,"
              "\"o\":{\"a\":[1,\"x\",{\"b\":null}],\"e\":{}},\"l\":[]}");
    json_t *av = bc__ddb_item_to_av(item), *back = NULL;
    assert_non_null(av);
    assert_int_equal(bc__ddb_item_from_av(av, &back), 0);
    assert_true(json_equal(item, back));
    json_decref(back);
    json_decref(av);
    json_decref(item);
}

static void test_dynamodb_item__wire_form(void **state)
{
    (void)state;
    json_t *item = parse("{\"n\":7,\"r\":0.1,\"s\":\"x\",\"b\":true,\"z\":null,\"m\":{\"k\":[1]}}");
    json_t *av = bc__ddb_item_to_av(item);
    json_t *want =
        parse("{\"n\":{\"N\":\"7\"},\"r\":{\"N\":\"0.1\"},\"s\":{\"S\":\"x\"},\"b\":{\"BOOL\":true},"
              "\"z\":{\"NULL\":true},\"m\":{\"M\":{\"k\":{\"L\":[{\"N\":\"1\"}]}}}}");
    assert_true(json_equal(av, want));
    json_decref(want);
    json_decref(av);
    json_decref(item);
    /* not an object */
    json_t *arr = json_array();
    assert_null(bc__ddb_item_to_av(arr));
    json_decref(arr);
}

static void test_dynamodb_item__numbers(void **state)
{
    (void)state;
    json_t *v = NULL;
    assert_int_equal(bc__ddb_number_parse("12", &v), 0);
    assert_true(json_is_integer(v) && json_integer_value(v) == 12);
    json_decref(v);
    assert_int_equal(bc__ddb_number_parse("-0", &v), 0);
    assert_true(json_is_integer(v));
    json_decref(v);
    assert_int_equal(bc__ddb_number_parse("12.5", &v), 0);
    assert_true(json_is_real(v) && json_real_value(v) == 12.5);
    json_decref(v);
    assert_int_equal(bc__ddb_number_parse("1E+2", &v), 0);
    assert_true(json_is_real(v) && json_real_value(v) == 100.0);
    json_decref(v);
    assert_int_equal(bc__ddb_number_parse(".5", &v), 0);
    assert_true(json_is_real(v));
    json_decref(v);
    /* beyond 64 bits: a real, not a wrapped integer */
    assert_int_equal(bc__ddb_number_parse("99999999999999999999", &v), 0);
    assert_true(json_is_real(v));
    json_decref(v);
    const char *bad[] = {"", "-", "1e", "1e+", "abc", "1.2.3", "--1", "0x10", "1 ", "inf", "nan", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = NULL;
        if (bc__ddb_number_parse(bad[i], &v) != BC_EINVALID) fail_msg("accepted number '%s'", bad[i]);
        assert_null(v);
    }
}

static void test_dynamodb_item__sets_and_binary(void **state)
{
    (void)state;
    json_t *m = parse("{\"ss\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1\",\"2.5\"]},\"b\":{\"B\":\"AAE=\"},"
                      "\"bs\":{\"BS\":[\"AA==\"]}}");
    json_t *item = NULL;
    assert_int_equal(bc__ddb_item_from_av(m, &item), 0);
    json_t *want = parse("{\"ss\":[\"a\",\"b\"],\"ns\":[1,2.5],\"b\":\"AAE=\",\"bs\":[\"AA==\"]}");
    assert_true(json_equal(item, want));
    json_decref(want);
    json_decref(item);
    json_decref(m);
}

static void test_dynamodb_item__malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "{\"a\":{\"S\":1}}",
        "{\"a\":{\"N\":7}}",
        "{\"a\":{\"N\":\"x\"}}",
        "{\"a\":{\"NULL\":false}}",
        "{\"a\":{\"BOOL\":\"true\"}}",
        "{\"a\":{\"S\":\"x\",\"N\":\"1\"}}",
        "{\"a\":{}}",
        "{\"a\":{\"X\":\"1\"}}",
        "{\"a\":\"plain\"}",
        "{\"a\":{\"M\":[]}}",
        "{\"a\":{\"L\":{}}}",
        "{\"a\":{\"L\":[{\"S\":\"ok\"},{\"Q\":1}]}}",
        "{\"a\":{\"SS\":[1]}}",
        "{\"a\":{\"NS\":[\"one\"]}}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *m = parse(bad[i]), *out = NULL;
        if (bc__ddb_item_from_av(m, &out) != BC_EINVALID) fail_msg("accepted %s", bad[i]);
        assert_null(out);
        json_decref(m);
    }
}

static void test_dynamodb_item__depth_limit(void **state)
{
    (void)state;
    /* 100 nested lists: refused both ways instead of recursing without bound */
    json_t *v = json_integer(1);
    for (int i = 0; i < 100; i++) v = json_pack("[o]", v);
    json_t *item = json_pack("{s:o}", "deep", v);
    assert_null(bc__ddb_item_to_av(item));
    json_decref(item);
    json_t *av = json_pack("{s:s}", "N", "1");
    for (int i = 0; i < 100; i++) av = json_pack("{s:[o]}", "L", av);
    json_t *m = json_pack("{s:o}", "deep", av), *out = NULL;
    assert_int_equal(bc__ddb_item_from_av(m, &out), BC_EINVALID);
    json_decref(m);
    /* 20 levels are fine */
    v = json_integer(1);
    for (int i = 0; i < 20; i++) v = json_pack("[o]", v);
    item = json_pack("{s:o}", "ok", v);
    json_t *a = bc__ddb_item_to_av(item);
    assert_non_null(a);
    assert_int_equal(bc__ddb_item_from_av(a, &out), 0);
    assert_true(json_equal(item, out));
    json_decref(out);
    json_decref(a);
    json_decref(item);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dynamodb_item__round_trip),
        cmocka_unit_test(test_dynamodb_item__wire_form),
        cmocka_unit_test(test_dynamodb_item__numbers),
        cmocka_unit_test(test_dynamodb_item__sets_and_binary),
        cmocka_unit_test(test_dynamodb_item__malformed),
        cmocka_unit_test(test_dynamodb_item__depth_limit),
    };
    return cmocka_run_group_tests_name("dynamodb_item", tests, NULL, NULL);
}
