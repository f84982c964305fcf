/* The engine's lifecycle and contracts: refused submissions call nothing back, a completion callback may
 * chain the next call, and shutting down cancels queued, waiting and in-flight calls (each callback called
 * once with "cancelled") promptly, without leaks under AddressSanitizer. */
#include "fake_llm.h"

#include "llm/wire.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"

static const char ok_answer[] = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                                "\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,"
                                "\"completion_tokens\":1}}";

struct tally {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, ok, cancelled, other;
};

static void tally_init(struct tally *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
}

static void tally_release(struct tally *t)
{
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
}

static void on_done(struct bc_llm_result *res, void *ud)
{
    struct tally *t = ud;
    pthread_mutex_lock(&t->mu);
    t->done++;
    if (res->err == 0)
        t->ok++;
    else if (res->err == BC_EUNAVAILABLE && strcmp(res->error_code, "cancelled") == 0)
        t->cancelled++;
    else
        t->other++;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    bc_llm_result_free(res);
}

static void answer_by_path(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)n;
    json_t *b = json_loadb(req->body, req->body_len, 0, NULL);
    const char *model = json_string_value(json_object_get(b, "model"));
    if (model && strcmp(model, "hang") == 0) {
        out->delay_ms = 20000;
    } else if (model && strcmp(model, "busy") == 0) {
        out->status = 503;
        fake_resp_header(out, "retry-after", "20");
    }
    json_decref(b);
    fake_resp_body(out, "%s", ok_answer);
}

static void test_engine__shutdown_cancels_everything(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_by_path, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_OPENAI, 3, 100, 1000);
    struct bc_llm_engine *e = NULL;
    assert_int_equal(bc_llm_engine_new(NULL, &e), 0);
    struct tally t;
    tally_init(&t);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct bc_llm_opts hang = {.model = "hang", .temperature = -1, .timeout_ms = 60000};
    struct bc_llm_opts busy = {.model = "busy", .temperature = -1, .timeout_ms = 60000};
    for (int i = 0; i < 10; i++) assert_int_equal(bc_llm_submit(e, p, &c, &hang, on_done, &t), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(bc_llm_submit(e, p, &c, &busy, on_done, &t), 0);
    /* wait until every call reached the server: 10 in flight, 5 waiting 20 s for their retry */
    for (int i = 0; i < 200 && atomic_load(&f->count) < 15; i++) usleep(10 * 1000);
    assert_int_equal(atomic_load(&f->count), 15);
    usleep(50 * 1000);
    struct bc_llm_engine_stats st;
    bc_llm_engine_stats(e, &st);
    assert_int_equal(st.inflight, 15);
    assert_int_equal(t.done, 0);
    int64_t t0 = bc_mono_ns();
    bc_llm_engine_free(e);
    int64_t ms = (bc_mono_ns() - t0) / 1000000;
    assert_true(ms < 1000);
    assert_int_equal(t.done, 15);
    assert_int_equal(t.cancelled, 15);
    bc_llm_conv_release(&c);
    tally_release(&t);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void test_engine__refused_submissions(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_by_path, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 0, 5, 1000);
    struct bc_llm_engine *e = NULL;
    assert_int_equal(bc_llm_engine_new(NULL, &e), 0);
    struct tally t;
    tally_init(&t);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    json_t *obj = json_object(), *arr = json_array();
    struct bc_llm_tool bad_name[] = {{"find availability!", "x", obj}};
    struct bc_llm_tool bad_schema[] = {{"ok_name", "x", arr}};
    struct bc_llm_opts none = {.temperature = -1};
    struct bc_llm_opts o1 = {.model = "m", .tools = bad_name, .ntools = 1};
    struct bc_llm_opts o2 = {.model = "m", .tools = bad_schema, .ntools = 1};
    struct bc_llm_opts o3 = {.model = "m", .schema = arr};
    assert_int_equal(bc_llm_submit(e, p, &c, &none, on_done, &t), BC_EINVALID);
    assert_int_equal(bc_llm_submit(e, p, &c, &o1, on_done, &t), BC_EINVALID);
    assert_int_equal(bc_llm_submit(e, p, &c, &o2, on_done, &t), BC_EINVALID);
    assert_int_equal(bc_llm_submit(e, p, &c, &o3, on_done, &t), BC_EINVALID);
    struct bc_llm_conv empty;
    bc_llm_conv_init(&empty);
    bc_llm_conv_add_text(&empty, BC_LLM_USER, ""); /* only a blank block: the API would refuse it */
    struct bc_llm_opts ok = {.model = "m"};
    assert_int_equal(bc_llm_submit(e, p, &empty, &ok, on_done, &t), BC_EINVALID);
    bc_llm_engine_free(e);
    assert_int_equal(t.done, 0); /* a refused submission never calls back */
    assert_int_equal(atomic_load(&f->count), 0);
    json_decref(obj);
    json_decref(arr);
    bc_llm_conv_release(&c);
    bc_llm_conv_release(&empty);
    tally_release(&t);
    bc_llm_provider_free(p);
    fake_stop(f);
}

/* An agent loop runs from completion callbacks: each answer submits the next round. */
struct chain {
    struct bc_llm_engine *e;
    struct bc_llm_provider *p;
    struct bc_llm_conv conv;
    int rounds;
    struct tally *t;
};

static void next_round(struct bc_llm_result *res, void *ud)
{
    struct chain *ch = ud;
    bool go_on = res->err == 0 && ++ch->rounds < 3;
    if (go_on) {
        bc_llm_conv_add_result(&ch->conv, res);
        bc_llm_conv_add_text(&ch->conv, BC_LLM_USER, "and then?");
        bc_llm_result_free(res);
        struct bc_llm_opts o = {.model = "m", .temperature = -1};
        assert_int_equal(bc_llm_submit(ch->e, ch->p, &ch->conv, &o, next_round, ch), 0);
        return;
    }
    on_done(res, ch->t);
}

static void test_engine__callback_chains_calls(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_by_path, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_OPENAI, 0, 5, 1000);
    struct tally t;
    tally_init(&t);
    struct chain ch = {.p = p, .t = &t};
    assert_int_equal(bc_llm_engine_new(NULL, &ch.e), 0);
    bc_llm_conv_init(&ch.conv);
    bc_llm_conv_add_text(&ch.conv, BC_LLM_USER, "start");
    struct bc_llm_opts o = {.model = "m", .temperature = -1};
    assert_int_equal(bc_llm_submit(ch.e, p, &ch.conv, &o, next_round, &ch), 0);
    pthread_mutex_lock(&t.mu);
    while (t.done < 1) pthread_cond_wait(&t.cv, &t.mu);
    pthread_mutex_unlock(&t.mu);
    assert_int_equal(t.ok, 1);
    assert_int_equal(ch.rounds, 3);
    assert_int_equal(atomic_load(&f->count), 3);
    json_t *b = fake_body_json(f, 2);
    assert_int_equal(json_array_size(json_object_get(b, "messages")), 5);
    json_decref(b);
    bc_llm_engine_free(ch.e);
    bc_llm_conv_release(&ch.conv);
    tally_release(&t);
    bc_llm_provider_free(p);
    fake_stop(f);
}

/* Nobody listens: a network error, retried, then BC_EUNAVAILABLE; enough of them open the circuit. */
static void test_engine__network_error_retried(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_by_path, NULL);
    char base[64];
    snprintf(base, sizeof base, "%s", f->base);
    fake_stop(f); /* the port is now closed */
    struct bc_llm_provider_cfg cfg = {.kind = BC_LLM_OPENAI,
                                      .base_url = base,
                                      .max_retries = 2,
                                      .backoff_base_ms = 10,
                                      .breaker_failures = 6,
                                      .breaker_cooldown_ms = 60000};
    struct bc_llm_provider *p = NULL;
    char err[128];
    assert_int_equal(bc_llm_provider_new(&cfg, &p, err, sizeof err), 0);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct bc_llm_opts o = {.model = "m", .temperature = -1};
    int rc;
    for (int i = 0; i < 2; i++) {
        struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc);
        assert_non_null(r);
        assert_int_equal(r->err, BC_EUNAVAILABLE);
        assert_string_equal(r->error_code, "network");
        assert_int_equal(r->attempts, 3);
        assert_int_equal(r->http_status, 0);
        bc_llm_result_free(r);
    }
    assert_string_equal(bc_llm_provider_circuit(p), "open");
    assert_null(bc_llm_call(NULL, p, &c, &o, &rc));
    assert_int_equal(rc, BC_EUNAVAILABLE);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
}

static void test_engine__provider_from_config(void **state)
{
    (void)state;
    bc_config_reset();
    unsetenv("ANTHROPIC_API_KEY");
    unsetenv("OPENAI_API_KEY");
    unsetenv("AWS_ACCESS_KEY_ID");
    struct bc_llm_provider *p = NULL;
    char err[256];
    assert_int_equal(bc_llm_provider_from_config(BC_LLM_ANTHROPIC, &p, err, sizeof err), BC_EINVALID);
    assert_non_null(strstr(err, "ANTHROPIC_API_KEY"));
    setenv("ANTHROPIC_API_KEY", "sk-ant-env", 1);
    assert_int_equal(bc_llm_provider_from_config(BC_LLM_ANTHROPIC, &p, err, sizeof err), 0);
    assert_int_equal(bc_llm_provider_kind(p), BC_LLM_ANTHROPIC);
    assert_string_equal(p->api_key, "sk-ant-env");
    assert_string_equal(p->base_url, "https://api.anthropic.com");
    bc_llm_provider_free(p);
    /* BOOKCHAT_ANTHROPIC_URL and the config row win over defaults */
    setenv("BOOKCHAT_ANTHROPIC_URL", "http://127.0.0.1:9/", 1);
    setenv("BOOKCHAT_LLM_TIMEOUT", "7", 1);
    assert_int_equal(bc_config_load(NULL, err, sizeof err), 0);
    assert_int_equal(bc_llm_provider_from_config(BC_LLM_ANTHROPIC, &p, err, sizeof err), 0);
    assert_string_equal(p->base_url, "http://127.0.0.1:9");
    assert_int_equal(p->timeout_ms, 7000);
    bc_llm_provider_free(p);

    /* OpenAI-compatible: a key, or a local server's URL */
    assert_int_equal(bc_llm_provider_from_config(BC_LLM_OPENAI, &p, err, sizeof err), BC_EINVALID);
    bc_config_set(BC_CFG_OPENAI_URL, "http://127.0.0.1:11434");
    assert_int_equal(bc_llm_provider_from_config(BC_LLM_OPENAI, &p, err, sizeof err), 0);
    assert_null(p->api_key);
    bc_llm_provider_free(p);

    /* Bedrock: AWS_* credentials and the region from AWS_REGION, the regional endpoint by default */
    assert_int_equal(bc_llm_provider_from_config(BC_LLM_BEDROCK, &p, err, sizeof err), BC_EINVALID);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    setenv("AWS_REGION", "eu-central-1", 1);
    assert_int_equal(bc_llm_provider_from_config(BC_LLM_BEDROCK, &p, err, sizeof err), 0);
    assert_string_equal(p->base_url, "https://bedrock-runtime.eu-central-1.amazonaws.com");
    assert_string_equal(p->region, "eu-central-1");
    bc_llm_provider_free(p);
    assert_int_equal(bc_llm_kind_parse("bedrock"), BC_LLM_BEDROCK);
    assert_int_equal(bc_llm_kind_parse("gemini"), 0);
    assert_string_equal(bc_llm_kind_name(BC_LLM_OPENAI), "openai");
    unsetenv("BOOKCHAT_ANTHROPIC_URL");
    unsetenv("BOOKCHAT_LLM_TIMEOUT");
    bc_config_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine__shutdown_cancels_everything),
        cmocka_unit_test(test_engine__refused_submissions),
        cmocka_unit_test(test_engine__callback_chains_calls),
        cmocka_unit_test(test_engine__network_error_retried),
        cmocka_unit_test(test_engine__provider_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
