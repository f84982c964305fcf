/* Conversations: role alternation (blocks of one role merge into one message), argument checks, and the
 * provider-neutral JSON form round-tripping exactly and refusing malformed input. */
#include "../testlib.h"

#include "llm/llm.h"
#include "util/err.h"

#include <jansson.h>

static void test_conv__merge_and_checks(void **state)
{
    (void)state;
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    assert_int_equal(bc_llm_conv_add_text(&c, BC_LLM_USER, "a"), 0);
    assert_int_equal(bc_llm_conv_add_text(&c, BC_LLM_USER, "b"), 0);
    assert_int_equal(c.nmsgs, 1);
    assert_int_equal(c.msgs[0].nblocks, 2);
    json_t *in = json_pack("{s:s}", "date", "2026-12-01"), *arr = json_array();
    assert_int_equal(bc_llm_conv_add_tool_use(&c, "t1", "find_availability", in), 0);
    assert_int_equal(bc_llm_conv_add_tool_use(&c, "t2", "business_info", NULL), 0);
    assert_int_equal(c.nmsgs, 2);
    assert_int_equal(c.msgs[1].role, BC_LLM_ASSISTANT);
    assert_int_equal(c.msgs[1].nblocks, 2);
    assert_int_equal(bc_llm_conv_add_tool_use(&c, "t3", "x", arr), BC_EINVALID); /* input must be an object */
    assert_int_equal(bc_llm_conv_add_tool_use(&c, "", "x", NULL), BC_EINVALID);
    assert_int_equal(bc_llm_conv_add_tool_result(&c, "t1", NULL, NULL, false), BC_EINVALID);
    assert_int_equal(bc_llm_conv_add_tool_result(&c, "t1", in, NULL, false), 0);
    assert_int_equal(bc_llm_conv_add_tool_result(&c, "t2", NULL, "closed today", true), 0);
    assert_int_equal(c.nmsgs, 3);
    assert_int_equal(c.msgs[2].nblocks, 2);
    /* the conversation holds its own references */
    json_decref(in);
    json_decref(arr);
    assert_string_equal(json_string_value(json_object_get(c.msgs[1].blocks[0].json, "date")), "2026-12-01");
    bc_llm_conv_release(&c);
    assert_int_equal(c.nmsgs, 0);
}

static void test_conv__json_round_trip(void **state)
{
    (void)state;
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_set_system(&c, "Sé breve.");
    bc_llm_conv_add_text(&c, BC_LLM_USER, "¿Mañana a las 10?");
    bc_llm_conv_add_text(&c, BC_LLM_ASSISTANT, "Miro.");
    json_t *in = json_pack("{s:s}", "date", "2026-12-02");
    bc_llm_conv_add_tool_use(&c, "t1", "find_availability", in);
    json_decref(in);
    json_t *res = json_pack("{s:[s]}", "slots", "10:00");
    bc_llm_conv_add_tool_result(&c, "t1", res, NULL, false);
    json_decref(res);
    bc_llm_conv_add_tool_result(&c, "t0", NULL, "text result", true);
    json_t *j = bc_llm_conv_to_json(&c);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(
        s,
        "{\"messages\":[{\"content\":[{\"text\":\"¿Mañana a las 10?\",\"type\":\"text\"}],\"role\":\"user\"},"
        "{\"content\":[{\"text\":\"Miro.\",\"type\":\"text\"},{\"id\":\"t1\",\"input\":{\"date\":\"2026-12-"
        "02\"},"
        "\"name\":\"find_availability\",\"type\":\"tool_use\"}],\"role\":\"assistant\"},"
        "{\"content\":[{\"content\":{\"slots\":[\"10:00\"]},\"is_error\":false,\"tool_use_id\":\"t1\","
        "\"type\":"
        "\"tool_result\"},{\"content\":\"text result\",\"is_error\":true,\"tool_use_id\":\"t0\",\"type\":"
        "\"tool_result\"}],\"role\":\"user\"}],\"system\":\"Sé breve.\"}");
    struct bc_llm_conv back;
    bc_llm_conv_init(&back);
    assert_int_equal(bc_llm_conv_from_json(&back, j), 0);
    json_t *j2 = bc_llm_conv_to_json(&back);
    assert_true(json_equal(j, j2));
    assert_int_equal(back.nmsgs, 3);
    assert_non_null(back.msgs[2].blocks[1].text);
    assert_true(back.msgs[2].blocks[1].is_error);
    free(s);
    json_decref(j);
    json_decref(j2);
    bc_llm_conv_release(&back);
    bc_llm_conv_release(&c);
}

static void test_conv__json_refuses_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "[]",
        "{\"messages\":{}}",
        "{\"system\":5,\"messages\":[]}",
        "{\"messages\":[{\"role\":\"system\",\"content\":[]}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"text\"}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"b\"}]}"
        "]}",
        "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"a\","
        "\"content\":\"x\"}]}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"a\","
        "\"content\":\"x\",\"is_error\":\"yes\"}]}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\"}]}]}",
        "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"a\",\"name\":"
        "\"b\","
        "\"input\":[1]}]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        struct bc_llm_conv c;
        bc_llm_conv_init(&c);
        if (bc_llm_conv_from_json(&c, j) != BC_EINVALID) fail_msg("accepted: %s", bad[i]);
        assert_int_equal(c.nmsgs, 0);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv__merge_and_checks),
        cmocka_unit_test(test_conv__json_round_trip),
        cmocka_unit_test(test_conv__json_refuses_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
