/* The Bedrock Converse client against a fake server speaking the documented format: the exact request
 * (system, messages with text / toolUse / toolResult blocks, toolConfig, inferenceConfig, the model id
 * percent-encoded in the path), the SigV4 Authorization header recomputed independently here with OpenSSL
 * from what the server received, answers and usage, ValidationException and ThrottlingException errors,
 * a structured answer through toolChoice, and a hang past the deadline. */
#include "fake_llm.h"

#include "util/clock.h"
#include "util/err.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#define MODEL      "anthropic.claude-3-haiku-20240307-v1:0"
#define MODEL_PATH "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
#define SECRET     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static const char text_answer[] = "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":"
                                  "\"Hola, ¿en qué puedo ayudarte?\"}]}},\"stopReason\":\"end_turn\","
                                  "\"usage\":{\"inputTokens\":30,\"outputTokens\":11,\"totalTokens\":41},"
                                  "\"metrics\":{\"latencyMs\":312}}";

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

/* Recomputes the SigV4 signature of recorded request i from the raw path, the received headers and body,
 * following AWS's documented algorithm; returns NULL when it matches, else what is wrong. */
static const char *verify_sigv4(struct fake *f, int i, const char *region, const char *secret, char *why,
                                size_t whysize)
{
    const char *auth = fake_header(f, i, "authorization");
    const char *amzdate = fake_header(f, i, "x-amz-date");
    if (!auth || !amzdate) return "no authorization or x-amz-date header";
    char akid[64], date8[16], reg[32], svc[32], signed_hdrs[256], sig[80];
    if (sscanf(auth,
               "AWS4-HMAC-SHA256 Credential=%63[^/]/%15[^/]/%31[^/]/%31[^/]/aws4_request, "
               "SignedHeaders=%255[^,], "
               "Signature=%79s",
               akid, date8, reg, svc, signed_hdrs, sig) != 6)
        return "malformed authorization header";
    if (strcmp(akid, "AKIDEXAMPLE") != 0) return "wrong access key id";
    if (strcmp(reg, region) != 0 || strcmp(svc, "bedrock") != 0) return "wrong credential scope";
    if (strncmp(amzdate, date8, 8) != 0) return "x-amz-date and scope date differ";
    int64_t now = bc_now_s();
    char nowdate[17];
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(nowdate, sizeof nowdate, "%Y%m%dT%H%M%SZ", &tm);
    if (strncmp(nowdate, amzdate, 8) != 0) return "x-amz-date is not today";

    struct bc_buf cr = BC_BUF_INIT;
    bc_buf_printf(&cr, "%s\n", f->reqs[i].method);
    /* canonical URI: the path as sent, URI-encoded once more (every service but S3) */
    for (const char *p = f->reqs[i].path; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '.' || ch == '_' || ch == '~' || ch == '/')
            bc_buf_putc(&cr, (char)ch);
        else
            bc_buf_printf(&cr, "%%%02X", ch);
    }
    bc_buf_puts(&cr, "\n\n"); /* empty query string */
    char list[256];
    snprintf(list, sizeof list, "%s", signed_hdrs);
    char *save = NULL;
    for (char *name = strtok_r(list, ";", &save); name; name = strtok_r(NULL, ";", &save)) {
        const char *v = fake_header(f, i, name);
        if (!v) {
            bc_buf_release(&cr);
            return "a signed header was not received";
        }
        bc_buf_printf(&cr, "%s:%s\n", name, v);
    }
    unsigned char h[32];
    char hh[65];
    SHA256((const unsigned char *)f->reqs[i].body, f->reqs[i].body_len, h);
    hex(h, 32, hh);
    bc_buf_printf(&cr, "\n%s\n%s", signed_hdrs, hh);
    SHA256((const unsigned char *)cr.data, cr.len, h);
    hex(h, 32, hh);
    bc_buf_release(&cr);
    char sts[512];
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/bedrock/aws4_request\n%s", amzdate, date8, region,
             hh);
    char k0[128];
    snprintf(k0, sizeof k0, "AWS4%s", secret);
    unsigned char k1[32], k2[32], k3[32], k4[32], s[32];
    hmac(k0, strlen(k0), date8, k1);
    hmac(k1, 32, region, k2);
    hmac(k2, 32, "bedrock", k3);
    hmac(k3, 32, "aws4_request", k4);
    hmac(k4, 32, sts, s);
    char want[65];
    hex(s, 32, want);
    if (strcmp(want, sig) != 0) {
        snprintf(why, whysize, "signature mismatch: got %s, recomputed %s", sig, want);
        return why;
    }
    return NULL;
}

static void answer_text(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)n;
    (void)req;
    fake_resp_body(out, "%s", text_answer);
}

static void test_bedrock__text_answer_signed_request(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_text, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_BEDROCK, 0, 5, 1000);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_set_system(&c, "Eres el asistente de reservas.");
    bc_llm_conv_add_text(&c, BC_LLM_USER, "Hola");
    struct bc_llm_opts o = {.model = MODEL, .max_tokens = 512, .temperature = 0.5};
    int rc;
    struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_string_equal(r->text, "Hola, ¿en qué puedo ayudarte?");
    assert_int_equal(r->stop, BC_LLM_STOP_END_TURN);
    assert_int_equal(r->input_tokens, 30);
    assert_int_equal(r->output_tokens, 11);
    assert_string_equal(r->provider, "bedrock");

    assert_string_equal(f->reqs[0].method, "POST");
    assert_string_equal(f->reqs[0].path, MODEL_PATH);
    assert_string_equal(fake_header(f, 0, "content-type"), "application/json");
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%u", (unsigned)f->port);
    assert_string_equal(fake_header(f, 0, "host"), host);
    assert_null(fake_header(f, 0, "x-amz-security-token"));
    char why[256];
    const char *bad = verify_sigv4(f, 0, "eu-west-1", SECRET, why, sizeof why);
    if (bad) fail_msg("SigV4: %s", bad);
    assert_non_null(
        strstr(fake_header(f, 0, "authorization"), "SignedHeaders=content-type;host;x-amz-date,"));
    /* the verifier is not vacuous: a wrong secret or region is caught */
    assert_non_null(verify_sigv4(f, 0, "eu-west-1", "wrong-secret", why, sizeof why));
    assert_non_null(verify_sigv4(f, 0, "us-east-1", SECRET, why, sizeof why));

    json_t *b = fake_body_json(f, 0);
    assert_json_eq(b, "{\"system\":[{\"text\":\"Eres el asistente de reservas.\"}],"
                      "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hola\"}]}],"
                      "\"inferenceConfig\":{\"maxTokens\":512,\"temperature\":0.5}}");
    json_decref(b);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_tool_then_text(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)req;
    if (n == 0)
        fake_resp_body(out,
                       "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
                       "{\"text\":\"Voy a mirar.\"},"
                       "{\"toolUse\":{\"toolUseId\":\"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q\",\"name\":"
                       "\"find_availability\",\"input\":{\"service_id\":\"S1\",\"date\":\"2026-12-01\"}}}]}},"
                       "\"stopReason\":\"tool_use\",\"usage\":{\"inputTokens\":120,\"outputTokens\":40,"
                       "\"totalTokens\":160}}");
    else
        fake_resp_body(out, "%s", text_answer);
}

static void test_bedrock__tool_use_round_trip(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_tool_then_text, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_BEDROCK, 0, 5, 1000);
    json_t *schema = json_loads("{\"type\":\"object\",\"properties\":{\"service_id\":{\"type\":\"string\"},"
                                "\"date\":{\"type\":\"string\"}},\"required\":[\"service_id\",\"date\"]}",
                                0, NULL);
    struct bc_llm_tool tools[] = {{"find_availability", "Free slots of a service on a day.", schema}};
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "¿Hay hueco el 1?");
    struct bc_llm_opts o = {.model = MODEL, .temperature = -1, .tools = tools, .ntools = 1};
    int rc;
    struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_int_equal(r->stop, BC_LLM_STOP_TOOL_USE);
    assert_int_equal(r->ncalls, 1);
    assert_string_equal(r->calls[0].id, "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q");
    assert_json_eq(r->calls[0].input, "{\"service_id\":\"S1\",\"date\":\"2026-12-01\"}");
    assert_int_equal(r->input_tokens, 120);
    assert_int_equal(r->output_tokens, 40);
    json_t *b0 = fake_body_json(f, 0);
    assert_json_eq(
        json_object_get(b0, "toolConfig"),
        "{\"tools\":[{\"toolSpec\":{\"name\":\"find_availability\",\"description\":\"Free slots of a "
        "service on a day.\",\"inputSchema\":{\"json\":{\"type\":\"object\",\"properties\":{"
        "\"service_id\":{\"type\":\"string\"},\"date\":{\"type\":\"string\"}},\"required\":["
        "\"service_id\",\"date\"]}}}}]}");
    assert_json_eq(json_object_get(b0, "inferenceConfig"), "{\"maxTokens\":1024}");
    json_decref(b0);

    bc_llm_conv_add_result(&c, r);
    json_t *slots = json_loads("{\"slots\":[\"09:00\",\"09:30\"]}", 0, NULL);
    bc_llm_conv_add_tool_result(&c, "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", slots, NULL, false);
    json_decref(slots);
    bc_llm_result_free(r);
    r = bc_llm_call(NULL, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    json_t *b1 = fake_body_json(f, 1);
    assert_json_eq(
        json_object_get(b1, "messages"),
        "[{\"role\":\"user\",\"content\":[{\"text\":\"¿Hay hueco el 1?\"}]},"
        "{\"role\":\"assistant\",\"content\":[{\"text\":\"Voy a mirar.\"},{\"toolUse\":{\"toolUseId\":"
        "\"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q\",\"name\":\"find_availability\",\"input\":{\"service_id\":"
        "\"S1\",\"date\":\"2026-12-01\"}}}]},"
        "{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q\","
        "\"content\":[{\"json\":{\"slots\":[\"09:00\",\"09:30\"]}}]}}]}]");
    json_decref(b1);
    char why[256];
    const char *bad = verify_sigv4(f, 1, "eu-west-1", SECRET, why, sizeof why);
    if (bad) fail_msg("SigV4 of the second request: %s", bad);
    bc_llm_result_free(r);

    /* a failed tool goes back as text with status "error" */
    struct bc_llm_conv c2;
    bc_llm_conv_init(&c2);
    bc_llm_conv_add_text(&c2, BC_LLM_USER, "x");
    bc_llm_conv_add_tool_use(&c2, "tu_1", "find_availability", NULL);
    bc_llm_conv_add_tool_result(&c2, "tu_1", NULL, "service_id: unknown service", true);
    r = bc_llm_call(NULL, p, &c2, &o, &rc);
    assert_non_null(r);
    json_t *b2 = fake_body_json(f, 2);
    assert_json_eq(
        json_array_get(json_object_get(b2, "messages"), 2),
        "{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"tu_1\",\"content\":[{\"text\":"
        "\"service_id: unknown service\"}],\"status\":\"error\"}}]}");
    json_decref(b2);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c2);
    json_decref(schema);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_validation(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)n;
    (void)req;
    out->status = 400;
    fake_resp_header(out, "x-amzn-ErrorType",
                     "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/");
    fake_resp_header(out, "x-amzn-RequestId", "7b1d2c1e-0000-4000-8000-000000000000");
    fake_resp_body(out, "{\"message\":\"The provided model identifier is invalid.\"}");
}

static void test_bedrock__validation_exception(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_validation, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_BEDROCK, 2, 5, 1000);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct bc_llm_opts o = {.model = "no.such-model", .temperature = -1};
    int rc;
    struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, BC_EINVALID);
    assert_int_equal(r->http_status, 400);
    assert_string_equal(r->error_code, "ValidationException");
    assert_string_equal(r->error_message, "The provided model identifier is invalid.");
    assert_int_equal(r->attempts, 1);
    assert_string_equal(f->reqs[0].path, "/model/no.such-model/converse");
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_throttled_then_ok(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)req;
    if (n == 0) {
        out->status = 429;
        fake_resp_header(out, "x-amzn-ErrorType",
                         "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/");
        fake_resp_body(out, "{\"message\":\"Too many requests, please wait before trying again.\"}");
    } else {
        fake_resp_body(out, "%s", text_answer);
    }
}

static void test_bedrock__throttled_then_success_with_session_token(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_throttled_then_ok, NULL);
    struct bc_llm_provider_cfg cfg = {.kind = BC_LLM_BEDROCK,
                                      .base_url = f->base,
                                      .region = "us-west-2",
                                      .access_key_id = "AKIDEXAMPLE",
                                      .secret_access_key = SECRET,
                                      .session_token = "FQoGZXIvYXdzEXAMPLETOKEN//==",
                                      .backoff_base_ms = 20};
    struct bc_llm_provider *p = NULL;
    char err[128];
    assert_int_equal(bc_llm_provider_new(&cfg, &p, err, sizeof err), 0);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct bc_llm_opts o = {.model = MODEL, .temperature = -1};
    int rc;
    struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_int_equal(r->attempts, 2);
    assert_int_equal(atomic_load(&f->count), 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(fake_header(f, i, "x-amz-security-token"), "FQoGZXIvYXdzEXAMPLETOKEN//==");
        assert_non_null(strstr(fake_header(f, i, "authorization"),
                               "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"));
        char why[256];
        const char *bad = verify_sigv4(f, i, "us-west-2", SECRET, why, sizeof why);
        if (bad) fail_msg("SigV4 of attempt %d: %s", i, bad);
    }
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_structured(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)n;
    (void)req;
    fake_resp_body(
        out, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":"
             "\"tu_s\",\"name\":\"structured_answer\",\"input\":{\"intent\":\"hours\"}}}]}},"
             "\"stopReason\":\"tool_use\",\"usage\":{\"inputTokens\":9,\"outputTokens\":4}}");
}

static void test_bedrock__structured_answer_by_tool_choice(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_structured, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_BEDROCK, 0, 5, 1000);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "¿a qué hora abrís?");
    json_t *schema =
        json_loads("{\"type\":\"object\",\"properties\":{\"intent\":{\"type\":\"string\"}}}", 0, NULL);
    struct bc_llm_opts o = {.model = MODEL, .temperature = 0, .schema = schema};
    int rc;
    struct bc_llm_result *r = bc_llm_call(NULL, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    assert_json_eq(r->json, "{\"intent\":\"hours\"}");
    assert_int_equal(r->ncalls, 0);
    assert_int_equal(r->stop, BC_LLM_STOP_END_TURN);
    json_t *b = fake_body_json(f, 0);
    assert_json_eq(json_object_get(json_object_get(b, "toolConfig"), "toolChoice"),
                   "{\"tool\":{\"name\":\"structured_answer\"}}");
    json_decref(b);
    json_decref(schema);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_provider_free(p);
    fake_stop(f);
}

static void answer_hang(struct fake *f, int n, const struct fake_req *req, struct fake_resp *out)
{
    (void)f;
    (void)req;
    if (n == 0) out->delay_ms = 10000;
    fake_resp_body(out, "%s", text_answer);
}

static void test_bedrock__hang_past_timeout(void **state)
{
    (void)state;
    struct fake *f = fake_start(answer_hang, NULL);
    struct bc_llm_provider *p = fake_provider(f, BC_LLM_BEDROCK, 2, 5, 1000);
    struct bc_llm_engine *e = NULL;
    assert_int_equal(bc_llm_engine_new(NULL, &e), 0);
    struct bc_llm_conv c;
    bc_llm_conv_init(&c);
    bc_llm_conv_add_text(&c, BC_LLM_USER, "hi");
    struct bc_llm_opts o = {.model = MODEL, .temperature = -1, .timeout_ms = 250};
    int rc;
    struct bc_llm_result *r = bc_llm_call(e, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, BC_ETIMEOUT);
    assert_true(r->latency_ms >= 240 && r->latency_ms < 1500);
    bc_llm_result_free(r);
    r = bc_llm_call(e, p, &c, &o, &rc);
    assert_non_null(r);
    assert_int_equal(r->err, 0);
    bc_llm_result_free(r);
    bc_llm_conv_release(&c);
    bc_llm_engine_free(e);
    bc_llm_provider_free(p);
    fake_stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bedrock__text_answer_signed_request),
        cmocka_unit_test(test_bedrock__tool_use_round_trip),
        cmocka_unit_test(test_bedrock__validation_exception),
        cmocka_unit_test(test_bedrock__throttled_then_success_with_session_token),
        cmocka_unit_test(test_bedrock__structured_answer_by_tool_choice),
        cmocka_unit_test(test_bedrock__hang_past_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
