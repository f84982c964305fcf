/* The Anthropic Messages client against a fake server speaking the documented format: the exact request
 * JSON and headers (tools with input_schema, tool_use / tool_result blocks), text and tool-use answers,
 * usage, error bodies, 429 + Retry-After, the circuit breaker, a hang past the deadline, a structured
 * answer through a forced tool, and the SSE stream. */
#include "fake_llm.h"

#include "util/clock.h"
#include "util/err.h"

static const char text_answer[] =
    "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\","
    "\"content\":[{\"type\":\"text\",\"text\":\"Hola, \"},{\"type\":\"text\",\"text\":\"¿qué servicio?\"}],"
    "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":42,\"output_tokens\":7,\"cache_read_input_tokens\":8}}";

static void answer_text(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)n;
    (void)req;
    fake_resp_body(out, "%s", text_answer);
}

static struct bc_llm_engine *engine(void)
{
    struct bc_llm_engine *e = NULL;
    struct bc_llm_engine_cfg cfg = {0};
    assert_int_equal(bc_llm_engine_new(&cfg, &e), 0);
    return e;
}

static void test_anthropic__text_answer_and_request(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_text, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 0, 5, 1000);
    struct bc_llm_engine *e = engine();
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    assert_int_equal(bc_llm_conv_set_system(&c, "You book appointments."), 0);
    assert_int_equal(bc_llm_conv_add_text(&c, BC_LLM_USER, "Quiero una cita"), 0);
    struct bc_llm_opts o = {.model = "claude-test", .max_tokens = 300, .temperature = -1, .tag = "t1/c1"};
    int rc;
    struct bc_llm_result *r = bc_llm_call(e, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_string_equal(r->text, "Hola, ¿qué servicio?");
    assert_int_equal(r->stop, BC_LLM_STOP_END_TURN);
    assert_string_equal(r->stop_raw, "end_turn");
    assert_int_equal(r->input_tokens, 50); /* 42 uncached + 8 read from the cache */
    assert_int_equal(r->output_tokens, 7);
    assert_int_equal(r->ncalls, 0);
    assert_int_equal(r->attempts, 1);
    assert_int_equal(r->http_status, 200);
    assert_string_equal(r->provider, "anthropic");
    assert_string_equal(r->model, "claude-test");
    assert_string_equal(r->tag, "t1/c1");

    assert_int_equal(f->nrecorded, 1);
    assert_string_equal(f->reqs[0].method, "POST");
    assert_string_equal(f->reqs[0].path, "/v1/messages");
    assert_string_equal(fake_header(f, 0, "x-api-key"), "sk-test-123");
    assert_string_equal(fake_header(f, 0, "anthropic-version"), "2023-06-01");
    assert_string_equal(fake_header(f, 0, "content-type"), "application/json");
    assert_null(fake_header(f, 0, "authorization"));
    json_t *body = fake_body_json(f, 0);
    assert_json_eq(body,
                   "{\"model\":\"claude-test\",\"max_tokens\":300,\"system\":\"You book appointments.\","
                   "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Quiero "
                   "una cita\"}]}]}");
    json_decref(body);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_engine_free(e);
    bc_llm_provider_free(p);
    fake_stop(f);
}

/* Turn 1: the model calls find_availability; turn 2: the tool result goes back and the model answers. */
static void answer_tool_then_text(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)req;
    if (n == 0)
        fake_resp_body(out, "{\"id\":\"msg_02\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\","
                            "\"content\":[{\"type\":\"text\",\"text\":\"Let me check.\"},"
                            "{\"type\":\"tool_use\",\"id\":\"toolu_01A\",\"name\":\"find_availability\","
                            "\"input\":{\"service_id\":\"S1\",\"date\":\"2026-12-01\"}}],"
                            "\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
                            "\"usage\":{\"input_tokens\":100,\"output_tokens\":30}}");
    else
        fake_resp_body(out, "%s", text_answer);
}

static const char avail_schema[] =
    "{\"type\":\"object\",\"properties\":{\"service_id\":{\"type\":\"string\"},"
    "\"date\":{\"type\":\"string\",\"format\":\"date\"}},"
    "\"required\":[\"service_id\",\"date\"]}";

static void test_anthropic__tool_use_round_trip(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_tool_then_text, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 0, 5, 1000);
    struct bc_llm_engine *e = engine();
    json_t *schema = json_loads(avail_schema, 0, NULL), *empty = json_loads("{\"type\":\"object\"}", 0, NULL);
    struct bc_llm_tool tools[] = {
        {"find_availability", "Free slots of a service on a day.", schema},
        {"business_info", "Opening hours, address, prices.", empty},
    };
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "¿Hay hueco el 1 de diciembre?");
    struct bc_llm_opts o = {.model = "m", .temperature = 0.2, .tools = tools, .ntools = 2};
    int rc;
    struct bc_llm_result *r = bc_llm_call(e, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_int_equal(r->stop, BC_LLM_STOP_TOOL_USE);
    assert_string_equal(r->text, "Let me check.");
    assert_int_equal(r->ncalls, 1);
    assert_string_equal(r->calls[0].id, "toolu_01A");
    assert_string_equal(r->calls[0].name, "find_availability");
    assert_json_eq(r->calls[0].input, "{\"service_id\":\"S1\",\"date\":\"2026-12-01\"}");
    assert_int_equal(r->input_tokens, 100);
    assert_int_equal(r->output_tokens, 30);

    /* the first request carries the tools exactly as documented */
    json_t *b0 = fake_body_json(f, 0);
    assert_json_eq(
        json_object_get(b0, "tools"),
        "[{\"name\":\"find_availability\",\"description\":\"Free slots of a service on a day.\","
        "\"input_schema\":{\"type\":\"object\",\"properties\":{\"service_id\":{\"type\":\"string\"},"
        "\"date\":{\"type\":\"string\",\"format\":\"date\"}},\"required\":[\"service_id\",\"date\"]}},"
        "{\"name\":\"business_info\",\"description\":\"Opening hours, address, prices.\","
        "\"input_schema\":{\"type\":\"object\"}}]");
    assert_true(json_real_value(json_object_get(b0, "temperature")) > 0.19);
    assert_int_equal(json_integer_value(json_object_get(b0, "max_tokens")), 1024);
    json_decref(b0);

    /* turn 2: the assistant turn and two tool results (one an error) go back */
    assert_int_equal(bc_llm_conv_add_result(&c, r), 0);
    json_t *slots = json_loads("{\"slots\":[{\"start\":\"2026-12-01T09:00:00+01:00\"}]}", 0, NULL);
    assert_int_equal(bc_llm_conv_add_tool_result(&c, "toolu_01A", slots, NULL, false), 0);
    json_decref(slots);
    bc_llm_result_free(r);
    r = bc_llm_call(e, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_int_equal(r->stop, BC_LLM_STOP_END_TURN);
    json_t *b1 = fake_body_json(f, 1);
    assert_json_eq(
        json_object_get(b1, "messages"),
        "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"¿Hay hueco el 1 de diciembre?\"}]},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Let me check.\"},"
        "{\"type\":\"tool_use\",\"id\":\"toolu_01A\",\"name\":\"find_availability\","
        "\"input\":{\"service_id\":\"S1\",\"date\":\"2026-12-01\"}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_01A\","
        "\"content\":\"{\\\"slots\\\":[{\\\"start\\\":\\\"2026-12-01T09:00:00+01:00\\\"}]}\"}]}]");
    json_decref(b1);
    bc_llm_result_free(r);

    /* an error result carries is_error */
    struct bc_llm_conv c2;
    bc_llm_conv_init(&c2);
    bc_llm_conv_add_text(&c2, BC_LLM_USER, "x");
    bc_llm_conv_add_tool_use(&c2, "toolu_9", "business_info", NULL);
    bc_llm_conv_add_tool_result(&c2, "toolu_9", NULL, "unknown service", true);
    r = bc_llm_call(e, p, &c2, &o, &rc);
    assert_non_null(r);
    json_t *b2 = fake_body_json(f, 2);
    assert_json_eq(json_array_get(json_object_get(b2, "messages"), 2),
                   "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_9\","
                   "\"content\":\"unknown service\",\"is_error\":true}]}");
    json_decref(b2);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c2);

    json_decref(schema);
    json_decref(empty);
    bc_llm_conv_release(&c);
    bc_llm_engine_free(e);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_invalid(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)n;
    (void)req;
    out->status = 400;
    fake_resp_body(out, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                        "\"message\":\"max_tokens: 100000 > 8192, which is the maximum\"}}");
}

static void test_anthropic__error_body(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_invalid, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 3, 5, 1000);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct bc_llm_opts o = {.model = "m", .max_tokens = 100000, .temperature = -1};
    int rc;
    struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc); /* a private engine: the CLI's way */
    assert_non_null(r);
    assert_int_equal(r->err, BC_EINVALID);
    assert_int_equal(r->http_status, 400);
    assert_string_equal(r->error_code, "invalid_request_error");
    assert_string_equal(r->error_message, "max_tokens: 100000 > 8192, which is the maximum");
    assert_int_equal(r->attempts, 1); /* a 4xx is not retried */
    assert_int_equal(r->stop, BC_LLM_STOP_NONE);
    assert_int_equal(atomic_load(&f->count), 1);
    assert_string_equal(bc_llm_provider_circuit(p), "closed"); /* a refusal is not an outage */
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_429_then_ok(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)req;
    if (n == 0) {
        out->status = 429;
        fake_resp_header(out, "retry-after", "1");
        fake_resp_body(out, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow "
                            "down\"}}");
    } else {
        fake_resp_body(out, "%s", text_answer);
    }
}

static void test_anthropic__429_retry_after_then_success(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_429_then_ok, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 2, 5, 1000);
    struct bc_llm_engine *e = engine();
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct bc_llm_opts o = {.model = "m", .temperature = -1};
    int rc;
    struct bc_llm_result *r = bc_llm_call(e, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_int_equal(r->attempts, 2);
    assert_int_equal(atomic_load(&f->count), 2);
    assert_true(r->latency_ms >= 1000); /* Retry-After: 1 was honoured over the 20 ms backoff */
    assert_true(r->latency_ms < 3000);
    assert_string_equal(r->text, "Hola, ¿qué servicio?");
    struct bc_llm_engine_stats st;
    bc_llm_engine_stats(e, &st);
    assert_int_equal(st.retries, 1);
    assert_int_equal(st.completed, 1);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_engine_free(e);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static atomic_int healthy;

static void answer_overloaded_until_healthy(struct fake *f, int n, const struct fake_req *req,
                                            struct fake_resp *out)
{
    (void)f;
    (void)n;
    (void)req;
    if (atomic_load(&healthy)) {
        fake_resp_body(out, "%s", text_answer);
        return;
    }
    out->status = 529;
    fake_resp_body(
        out, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
}

static void test_anthropic__5xx_burst_opens_circuit(void **state)
{
    (void)state;
    atomic_store(&healthy, 0);
    struct fake *f = fake_start(answer_overloaded_until_healthy, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 1, 4, 400);
    struct bc_llm_engine *e = engine();
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct bc_llm_opts o = {.model = "m", .temperature = -1};
    int rc;
    /* two calls of two attempts each: four consecutive failures open the circuit */
    for (int i = 0; i < 2; i++) {
        struct bc_llm_result *r = bc_llm_call(e, p, &c, &o, &rc);
        assert_non_null(r);
        assert_int_equal(r->err, BC_EUNAVAILABLE);
        assert_int_equal(r->http_status, 529);
        assert_string_equal(r->error_code, "overloaded_error");
        assert_int_equal(r->attempts, 2);
        bc_llm_result_free(r);
    }
    assert_int_equal(atomic_load(&f->count), 4);
    assert_string_equal(bc_llm_provider_circuit(p), "open");
    /* open: calls fail at once, without reaching the provider */
    assert_null(bc_llm_call(e, p, &c, &o, &rc));
    assert_int_equal(rc, BC_EUNAVAILABLE);
    assert_int_equal(atomic_load(&f->count), 4);
    /* after the cool-down one probe goes through; its success closes the circuit */
    usleep(450 * 1000);
    assert_string_equal(bc_llm_provider_circuit(p), "half_open");
    atomic_store(&healthy, 1);
    struct bc_llm_result *r = bc_llm_call(e, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_string_equal(bc_llm_provider_circuit(p), "closed");
    assert_int_equal(atomic_load(&f->count), 5);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_engine_free(e);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_hang_first(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)req;
    if (n == 0) out->delay_ms = 10000;
    fake_resp_body(out, "%s", text_answer);
}

static void test_anthropic__hang_past_timeout(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_hang_first, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 2, 5, 1000);
    struct bc_llm_engine *e = engine();
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct bc_llm_opts o = {.model = "m", .temperature = -1, .timeout_ms = 300};
    int rc;
    int64_t t0 = bc_mono_ns();
    struct bc_llm_result *r = bc_llm_call(e, p, &c, &o, &rc);
    int64_t ms = (bc_mono_ns() - t0) / 1000000;
    assert_non_null(r);
    assert_int_equal(r->err, BC_ETIMEOUT);
    assert_string_equal(r->error_code, "timeout");
    assert_true(ms >= 280 && ms < 1500);
    assert_int_equal(r->attempts, 1); /* the deadline covers the retries too */
    bc_llm_result_free(r);
    /* the engine is still usable */
    r = bc_llm_call(e, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_string_equal(r->text, "Hola, ¿qué servicio?");
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_engine_free(e);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_structured(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)n;
    (void)req;
    fake_resp_body(out, "{\"id\":\"msg_03\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\","
                        "\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_x\",\"name\":\"nlu\","
                        "\"input\":{\"intent\":\"book\",\"service\":\"corte\"}}],"
                        "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":5,\"output_tokens\":9}}");
}

static void test_anthropic__structured_answer_by_forced_tool(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_structured, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 0, 5, 1000);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "quiero un corte");
    json_t *schema =
        json_loads("{\"type\":\"object\",\"properties\":{\"intent\":{\"enum\":[\"book\",\"cancel\"]},"
                   "\"service\":{\"type\":\"string\"}},\"required\":[\"intent\"]}",
                   0, NULL);
    struct bc_llm_opts o = {.model = "m", .temperature = 0, .schema = schema, .schema_name = "nlu"};
    int rc;
    struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_json_eq(r->json, "{\"intent\":\"book\",\"service\":\"corte\"}");
    assert_int_equal(r->ncalls, 0);
    assert_int_equal(r->stop, BC_LLM_STOP_END_TURN);
    json_t *b = fake_body_json(f, 0);
    assert_json_eq(json_object_get(b, "tool_choice"), "{\"type\":\"tool\",\"name\":\"nlu\"}");
    assert_json_eq(json_object_get(json_array_get(json_object_get(b, "tools"), 0), "input_schema"),
                   "{\"type\":\"object\",\"properties\":{\"intent\":{\"enum\":[\"book\",\"cancel\"]},"
                   "\"service\":{\"type\":\"string\"}},\"required\":[\"intent\"]}");
    json_decref(b);
    json_decref(schema);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static const char sse_answer[] =
    "event: message_start\n"
    "data: "
    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_4\",\"type\":\"message\",\"role\":\"assistant\","
    "\"content\":[],\"model\":\"m\",\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}"
    "}\n\n"
    "event: content_block_start\n"
    "data: "
    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: ping\ndata: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: "
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hola\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" "
    "mundo\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
    "\"id\":\"toolu_s\",\"name\":\"find_availability\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"{\\\"service_id\\\": \\\"S\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"1\\\"}\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},"
    "\"usage\":{\"output_tokens\":15}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

static void answer_sse(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)n;
    (void)req;
    out->content_type = "text/event-stream";
    out->chunk_ms = 40;
    fake_resp_body(out, "%s", sse_answer);
}

struct chunks {
    char text[256];
    int n;
    int64_t first_ns;
};

static void on_text(const char *text, size_t len, void *ud)
{
    struct chunks *ch = ud;
    if (ch->n++ == 0) ch->first_ns = bc_mono_ns();
    size_t have = strlen(ch->text);
    if (have + len < sizeof ch->text) {
        memcpy(ch->text + have, text, len);
        ch->text[have + len] = '\0';
    }
}

static void test_anthropic__stream(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_sse, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 0, 5, 1000);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct chunks ch = {.n = 0};
    struct bc_llm_opts o = {.model = "m", .temperature = -1, .on_text = on_text, .text_ud = &ch};
    int rc;
    struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc);
    int64_t end_ns = bc_mono_ns();
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_string_equal(r->text, "Hola mundo");
    assert_string_equal(ch.text, "Hola mundo");
    assert_int_equal(ch.n, 2);
    assert_true(end_ns - ch.first_ns > 200 * 1000000LL); /* text arrived while the stream was still going */
    assert_int_equal(r->stop, BC_LLM_STOP_TOOL_USE);
    assert_int_equal(r->ncalls, 1);
    assert_string_equal(r->calls[0].id, "toolu_s");
    assert_json_eq(r->calls[0].input, "{\"service_id\":\"S1\"}");
    assert_int_equal(r->input_tokens, 25);
    assert_int_equal(r->output_tokens, 15);
    json_t *b = fake_body_json(f, 0);
    assert_true(json_is_true(json_object_get(b, "stream")));
    assert_string_equal(fake_header(f, 0, "accept"), "text/event-stream");
    json_decref(b);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_sse_error(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)n;
    (void)req;
    out->content_type = "text/event-stream";
    fake_resp_body(out, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
                        "{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
                        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                        "\"delta\":{\"type\":\"text_delta\",\"text\":\"Ho\"}}\n\n"
                        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                        "\"message\":\"Overloaded\"}}\n\n");
}

static void test_anthropic__stream_error_event(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_sse_error, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_ANTHROPIC, 2, 5, 1000);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct chunks ch = {.n = 0};
    struct bc_llm_opts o = {.model = "m", .temperature = -1, .on_text = on_text, .text_ud = &ch};
    int rc;
    struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, BC_EUNAVAILABLE);
    assert_string_equal(r->error_code, "overloaded_error");
    assert_int_equal(r->attempts, 1); /* text was already shown: a retry would repeat it */
    assert_int_equal(r->input_tokens, 3);
    assert_string_equal(ch.text, "Ho");
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
    fake_stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anthropic__text_answer_and_request),
        cmocka_unit_test(test_anthropic__tool_use_round_trip),
        cmocka_unit_test(test_anthropic__error_body),
        cmocka_unit_test(test_anthropic__429_retry_after_then_success),
        cmocka_unit_test(test_anthropic__5xx_burst_opens_circuit),
        cmocka_unit_test(test_anthropic__hang_past_timeout),
        cmocka_unit_test(test_anthropic__structured_answer_by_forced_tool),
        cmocka_unit_test(test_anthropic__stream),
        cmocka_unit_test(test_anthropic__stream_error_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
