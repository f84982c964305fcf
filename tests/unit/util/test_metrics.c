/* Prometheus primitives (util/metrics.c) and the exposition of http/metrics.c: bucket edges, cumulative
 * buckets, label escaping, the LLM hook's bounded labels, active conversations. */
#include "../testlib.h"

#include "domain/usage.h"
#include "http/metrics.h"
#include "llm/llm.h"
#include "util/buf.h"
#include "util/metrics.h"

static void test_metrics__histogram_buckets_are_cumulative(void **state)
{
    (void)state;
    static struct bc_hist h = {.bounds = &bc_hist_fast};
    bc_hist_observe_ns(&h, 400000);        /* 0.4 ms: first bucket */
    bc_hist_observe_ns(&h, 1000000);       /* exactly 1 ms: le="0.001" (upper bounds are inclusive) */
    bc_hist_observe_ns(&h, 3000000000);    /* 3 s */
    bc_hist_observe_ns(&h, 60000000000LL); /* past the last bound: +Inf only */
    bc_hist_observe_ns(&h, -5);            /* counted as 0 */
    assert_int_equal(bc_hist_count(&h), 5);
    struct bc_buf b = BC_BUF_INIT;
    bc_metrics_hist(&b, "x_seconds", "a=\"1\"", &h);
    assert_non_null(strstr(b.data, "x_seconds_bucket{a=\"1\",le=\"0.0005\"} 2\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{a=\"1\",le=\"0.001\"} 3\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{a=\"1\",le=\"2.5\"} 3\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{a=\"1\",le=\"5\"} 4\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{a=\"1\",le=\"10\"} 4\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{a=\"1\",le=\"+Inf\"} 5\n"));
    assert_non_null(strstr(b.data, "x_seconds_sum{a=\"1\"} 63.0014\n"));
    assert_non_null(strstr(b.data, "x_seconds_count{a=\"1\"} 5\n"));
    bc_buf_reset(&b);
    bc_metrics_hist(&b, "y_seconds", NULL, &h);
    assert_non_null(strstr(b.data, "y_seconds_bucket{le=\"+Inf\"} 5\n"));
    assert_non_null(strstr(b.data, "y_seconds_count 5\n"));
    bc_buf_release(&b);
}

static void test_metrics__labels_and_samples(void **state)
{
    (void)state;
    struct bc_buf b = BC_BUF_INIT;
    bc_metrics_label_value(&b, "a\"b\\c\nd");
    assert_string_equal(b.data, "a\\\"b\\\\c\\nd");
    bc_buf_reset(&b);
    bc_metrics_family(&b, "n_total", "counter", "Things.");
    bc_metrics_sample(&b, "n_total", "k=\"v\"", 42);
    bc_metrics_sample(&b, "g", NULL, 0.25);
    assert_string_equal(b.data,
                        "# HELP n_total Things.\n# TYPE n_total counter\nn_total{k=\"v\"} 42\ng 0.25\n");
    bc_buf_release(&b);
}

static void test_metrics__llm_hook_bounds_models(void **state)
{
    (void)state;
    bc_metrics_reset();
    char model[32];
    struct bc_llm_usage_event bad = {"openai", "m\"x", NULL, 1, 1, -1, 50};
    bc_metrics_llm_hook(&bad, NULL);
    for (int i = 0; i < 50; i++) {
        snprintf(model, sizeof model, "model-%d", i);
        struct bc_llm_usage_event ev = {"anthropic", model, "tenant1/conv9", 10, 5, 0, 1200};
        bc_metrics_llm_hook(&ev, NULL);
    }
    struct bc_buf b = BC_BUF_INIT;
    assert_int_equal(bc_metrics_render(NULL, &b), 0);
    /* at most 32 models by name, the rest under "other" */
    assert_non_null(strstr(
        b.data, "bookchat_llm_calls_total{provider=\"anthropic\",model=\"model-0\",result=\"ok\"} 1\n"));
    assert_non_null(strstr(b.data, "model=\"model-30\""));
    assert_null(strstr(b.data, "model=\"model-31\""));
    assert_non_null(strstr(
        b.data, "bookchat_llm_calls_total{provider=\"anthropic\",model=\"other\",result=\"ok\"} 19\n"));
    assert_non_null(strstr(
        b.data, "bookchat_llm_calls_total{provider=\"openai\",model=\"m\\\"x\",result=\"error\"} 1\n"));
    assert_non_null(strstr(
        b.data,
        "bookchat_llm_tokens_total{provider=\"anthropic\",model=\"other\",direction=\"input\"} 190\n"));
    assert_non_null(strstr(b.data, "bookchat_llm_call_duration_seconds_count{provider=\"anthropic\"} 50\n"));
    assert_non_null(
        strstr(b.data, "bookchat_llm_call_duration_seconds_bucket{provider=\"anthropic\",le=\"1\"} 0\n"));
    assert_non_null(
        strstr(b.data, "bookchat_llm_call_duration_seconds_bucket{provider=\"anthropic\",le=\"2\"} 50\n"));
    assert_non_null(strstr(b.data, "# TYPE process_resident_memory_bytes gauge\n"));
    assert_null(strstr(b.data, "tenant1")); /* never a tenant label */
    /* tenants are metered by the chat turn's budget (in its env's meter), not by the hook: the usage series
     * are there and hold no tenant */
    assert_non_null(strstr(b.data, "\nbookchat_usage_tenants 0\n"));
    assert_non_null(strstr(b.data, "\nbookchat_usage_flushes_total 0\n"));
    struct bc_usage_stats st;
    bc_usage_stats(NULL, &st);
    assert_int_equal(st.tenants, 0);
    bc_buf_release(&b);
    bc_metrics_reset();
}

static void test_metrics__active_conversations(void **state)
{
    (void)state;
    bc_metrics_reset();
    bc_metrics_conversation_touch("c1");
    bc_metrics_conversation_touch("c2");
    bc_metrics_conversation_touch("c1");
    struct bc_buf b = BC_BUF_INIT;
    bc_metrics_render(NULL, &b);
    assert_non_null(strstr(b.data, "\nbookchat_conversations_active 2\n"));
    bc_buf_reset(&b);
    bc_metrics_conversations_set(7);
    bc_metrics_render(NULL, &b);
    assert_non_null(strstr(b.data, "\nbookchat_conversations_active 7\n"));
    bc_buf_release(&b);
    bc_metrics_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics__histogram_buckets_are_cumulative),
        cmocka_unit_test(test_metrics__labels_and_samples),
        cmocka_unit_test(test_metrics__llm_hook_bounds_models),
        cmocka_unit_test(test_metrics__active_conversations),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
