/* Unit tests of src/domain/turn: the mode of a turn (settings/ai within the plan), the default model, the
 * fallback to fsm mode (plan, budget, a refused submission, a failed call), a reading of a scripted model
 * driving the state machine, quick replies in an AI mode, and the usage: a turn metered once, the messages
 * admitted against the plan. No HTTP and no provider: the model is a submit hook answered by hand. A real
 * LMDB store, one tenant per case; the clock is Monday 2026-11-30 09:00 in Madrid. */
#include "../testlib.h"
#include "util/jsonv.h"

#include "auth/context.h"
#include "domain/catalog.h"
#include "domain/chat.h"
#include "domain/chat_text.h"
#include "domain/conversation.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/tenant.h"
#include "domain/turn.h"
#include "domain/usage.h"
#include "llm/llm.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

#define URL "https://bookchat.example.com"

static struct bc_store *store;
static struct bc_env *env;

/* One tenant of a case: its context and catalogue. */
struct shop {
    struct bc_ctx ctx;
    char svc[64], ana[64];
};

static int setup(void **state)
{
    char url[600];
    setenv("BOOKCHAT_TEST_NOW", "1796025600", 1); /* 2026-11-30T08:00:00Z, Monday 09:00 in Madrid */
    bc_clock_init();
    assert_int_equal(bc_store_open(bc_test_store_url(url, sizeof url, "turn"), &store, NULL, 0), 0);
    env = bc_test_env(store);
    assert_int_equal(bc_plan_ensure_defaults(env), 0);
    return 0;
}

static int teardown(void **state)
{
    bc_test_env_close(env);
    return 0;
}

/* A BUSINESS tenant in AI mode `mode` (settings/ai: ai, a JSON object text, or NULL for fsm), with one
 * service and Ana on Tuesdays 09:00-13:00, then moved to `plan`. */
static void shop_open(struct shop *s, const char *ai, const char *plan)
{
    char msg[256];
    json_t *t = NULL, *out = NULL, *body;
    struct bc_tenant_new in = {
        .name = "Peluquería Ana", .plan = "BUSINESS", .locale = "es", .timezone = "Europe/Madrid"};
    memset(s, 0, sizeof *s);
    assert_int_equal(bc_tenant_create(env, &in, msg, sizeof msg, &t), 0);
    assert_int_equal(bc_ctx_operator(&s->ctx, json_string_value(json_object_get(t, "id"))), 0);
    json_decref(t);
    body = json_pack("{s:s, s:i, s:[s]}", "name", "Corte de pelo", "duration_min", 30, "synonyms", "corte");
    assert_int_equal(bc_service_create(env, &s->ctx, body, msg, sizeof msg, &out), 0);
    snprintf(s->svc, sizeof s->svc, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(body);
    json_decref(out);
    body = json_pack("{s:s, s:[s]}", "name", "Ana", "service_ids", s->svc);
    assert_int_equal(bc_provider_create(env, &s->ctx, body, 10, msg, sizeof msg, &out), 0);
    snprintf(s->ana, sizeof s->ana, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(body);
    json_decref(out);
    body = json_pack("{s:[{s:i, s:s, s:s}]}", "weekly", "weekday", 2, "start", "09:00", "end", "13:00");
    assert_int_equal(bc_hours_put(env, &s->ctx, s->ana, body, msg, sizeof msg, &out), 0);
    json_decref(body);
    json_decref(out);
    if (ai) {
        body = json_loads(ai, 0, NULL);
        assert_non_null(body);
        if (bc_settings_ai_put(env, &s->ctx, body, BC_AI_FSM | BC_AI_NLP | BC_AI_AGENT, msg, sizeof msg,
                               &out) < 0)
            fail_msg("settings/ai: %s", msg);
        json_decref(body);
        json_decref(out);
    }
    if (plan) {
        assert_int_equal(bc_tenant_set_plan(env, &s->ctx, plan, &out), 0);
        json_decref(out);
    }
    assert_int_equal(bc_tenant_get_ro(env, &s->ctx, &s->ctx.tenant), 0);
}

static json_t *conv_open(struct shop *s)
{
    json_t *conv = NULL, *m = NULL;
    assert_int_equal(bc_chat_start(env, &s->ctx, "es", URL, &conv, &m), 0);
    json_decref(m);
    return conv;
}

/* ---- the scripted model and the transport's hooks ---- */

static struct {
    int submits, refuse;
    char model[128];
    int waiting_on, waiting_off, answered;
    bc_llm_done_fn done;
    void *done_ud;
} fake;

static int fake_submit(enum bc_llm_kind kind, const struct bc_llm_conv *conv, const struct bc_llm_opts *opts,
                       bc_llm_done_fn done, void *ud, char *err, size_t errsize)
{
    fake.submits++;
    snprintf(fake.model, sizeof fake.model, "%s", opts->model);
    if (fake.refuse) {
        snprintf(err, errsize, "the provider is not configured");
        return BC_EINVALID;
    }
    fake.done = done;
    fake.done_ud = ud;
    return 0;
}

static void on_waiting(void *ud, bool on)
{
    if (on)
        fake.waiting_on++;
    else
        fake.waiting_off++;
}

static void on_answered(void *ud)
{
    fake.answered++;
}

static struct bc_turn *turn_new(struct shop *s, json_t *conv, const char *text, const char *action,
                                bool real_runtime)
{
    struct bc_turn *t = NULL;
    struct bc_turn_io io = {.waiting = on_waiting, .answered = on_answered, .submit = fake_submit};
    if (real_runtime) io.submit = NULL;
    memset(&fake, 0, sizeof fake);
    assert_int_equal(bc_turn_new(env, &s->ctx, conv, text, action, URL, &io, &t), 0);
    return t;
}

/* The model answers the call that is out: a structured reading (JSON text) or an error. */
static void model_answers(const char *reading, int err)
{
    struct bc_llm_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    assert_non_null(fake.done);
    r->err = err;
    r->text = strdup("");
    if (reading) {
        r->json = json_loads(reading, 0, NULL);
        assert_non_null(r->json);
    }
    if (err) r->error_code = strdup("timeout");
    r->input_tokens = 100;
    r->output_tokens = 20;
    snprintf(r->provider, sizeof r->provider, "anthropic");
    fake.done(r, fake.done_ud);
}

/* A full reading (every field null) with some fields set. */
static char *reading(const char *fields)
{
    json_t *a = json_pack("{s:s, s:[], s:n, s:n, s:n, s:n, s:n, s:b, s:n, s:n, s:n, s:n, s:n, s:n}", "intent",
                          "inform", "also", "service_id", "provider_id", "date", "time", "part_of_day",
                          "asap", 0, "name", "email", "phone", "code", "number", "change_target");
    json_t *f = json_loads(fields, 0, NULL);
    assert_non_null(f);
    json_object_update(a, f);
    json_decref(f);
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static const char *state_of(json_t *conv)
{
    return json_string_value(json_object_get(conv, "state"));
}

/* The month's count of a plain counter of the tenant, as flushed to the store. */
static json_int_t counted(struct shop *s, const char *counter)
{
    char month[8];
    json_t *totals = NULL;
    assert_true(bc_usage_flush(env) >= 0);
    assert_int_equal(bc_usage_month_parse(NULL, month), 0);
    assert_int_equal(bc_usage_month_totals(env, s->ctx.tenant_id, month, &totals), 0);
    json_int_t n = json_integer_value(json_object_get(totals, counter));
    json_decref(totals);
    return n;
}

/* ---- the cases ---- */

static void test_turn__fsm_mode_answers_without_a_model(void **state)
{
    struct shop s;
    shop_open(&s, NULL, "FREE");
    json_t *conv = conv_open(&s);
    struct bc_turn *t = turn_new(&s, conv, "un corte el martes a las 10", NULL, false);
    assert_int_equal(bc_turn_begin(t), BC_TURN_DONE);
    assert_int_equal(bc_turn_rc(t), 0);
    assert_int_equal(bc_turn_mode(t), BC_AI_FSM);
    assert_null(bc_turn_outcome(t));
    assert_string_equal(bc_turn_model(t), "");
    assert_int_equal(fake.submits, 0);
    assert_true(json_array_size(bc_turn_messages(t)) > 0);
    assert_ptr_equal(bc_turn_conv(t), conv);
    assert_string_equal(state_of(conv), "name");
    bc_turn_free(t);
    json_decref(conv);
    bc_ctx_release(&s.ctx);
}

static void test_turn__a_plan_without_the_mode_falls_back_to_fsm(void **state)
{
    struct shop s;
    shop_open(&s, "{\"mode\":\"agent\",\"provider\":\"anthropic\"}", "PRO"); /* PRO has no agent mode */
    json_t *conv = conv_open(&s);
    struct bc_turn *t = turn_new(&s, conv, "un corte el martes a las 10", NULL, false);
    assert_int_equal(bc_turn_begin(t), BC_TURN_DONE);
    assert_int_equal(bc_turn_rc(t), 0);
    assert_int_equal(bc_turn_mode(t), BC_AI_FSM);
    assert_string_equal(bc_turn_outcome(t), "fallback");
    assert_string_equal(bc_turn_reason(t), "plan");
    assert_int_equal(fake.submits, 0);
    assert_string_equal(state_of(conv), "name"); /* answered by fsm mode */
    bc_turn_free(t);
    json_decref(conv);
    bc_ctx_release(&s.ctx);
}

static void test_turn__no_budget_falls_back_to_fsm(void **state)
{
    struct shop s;
    shop_open(&s, "{\"mode\":\"nlp\",\"provider\":\"anthropic\",\"conversation_tokens\":100}", NULL);
    json_t *conv = conv_open(&s);
    json_object_set_new(conv, "ai_tokens", json_pack("{s:i, s:i}", "in", 90, "out", 10));
    struct bc_turn *t = turn_new(&s, conv, "un corte el martes a las 10", NULL, false);
    assert_int_equal(bc_turn_begin(t), BC_TURN_DONE);
    assert_int_equal(bc_turn_rc(t), 0);
    assert_int_equal(bc_turn_mode(t), BC_AI_NLP);
    assert_string_equal(bc_turn_outcome(t), "fallback");
    assert_string_equal(bc_turn_reason(t), "conversation_budget");
    assert_int_equal(fake.submits, 0);
    assert_string_equal(state_of(conv), "name");
    bc_turn_free(t);
    json_decref(conv);
    bc_ctx_release(&s.ctx);
}

static void test_turn__a_reading_drives_the_state_machine(void **state)
{
    struct shop s;
    char f[300];
    shop_open(&s, "{\"mode\":\"nlp\",\"provider\":\"anthropic\"}", NULL);
    json_t *conv = conv_open(&s);
    struct bc_turn *t = turn_new(&s, conv, "lo de siempre con la chica, el martes a las diez", NULL, false);
    assert_int_equal(bc_turn_begin(t), BC_TURN_WAIT);
    assert_int_equal(fake.submits, 1);
    assert_int_equal(fake.waiting_on, 1);
    assert_int_equal(fake.waiting_off, 0);
    assert_string_equal(fake.model, "claude-haiku-4-5"); /* the provider's default nlp model */
    assert_string_equal(bc_turn_model(t), "claude-haiku-4-5");
    snprintf(f, sizeof f,
             "{\"intent\":\"book\",\"service_id\":\"%s\",\"provider_id\":\"%s\",\"date\":\"2026-12-01\","
             "\"time\":\"10:00\"}",
             s.svc, s.ana);
    char *r = reading(f);
    model_answers(r, 0);
    free(r);
    assert_int_equal(fake.answered, 1);
    assert_int_equal(bc_turn_resume(t), BC_TURN_DONE);
    assert_int_equal(bc_turn_rc(t), 0);
    assert_string_equal(bc_turn_outcome(t), "ai");
    assert_string_equal(bc_turn_reason(t), "");
    assert_string_equal(state_of(conv), "name");
    assert_string_equal(json_string_value(json_object_get(json_object_get(conv, "slots"), "start")),
                        "2026-12-01T10:00:00+01:00");
    /* the tokens are counted on the conversation */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(conv, "ai_tokens"), "in")), 100);
    bc_turn_free(t);
    json_decref(conv);
    bc_ctx_release(&s.ctx);
}

static void test_turn__the_default_model_of_each_provider(void **state)
{
    static const char *const cases[][3] = {
        {"nlp", "openai", "gpt-4o-mini"},
        {"agent", "openai", "gpt-4o"},
        {"agent", "anthropic", "claude-sonnet-4-5"},
        {"nlp", "bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct shop s;
        char ai[120];
        snprintf(ai, sizeof ai, "{\"mode\":\"%s\",\"provider\":\"%s\"}", cases[i][0], cases[i][1]);
        shop_open(&s, ai, NULL);
        json_t *conv = conv_open(&s);
        struct bc_turn *t = turn_new(&s, conv, "hola", NULL, false);
        fake.refuse = 1;
        assert_int_equal(bc_turn_begin(t), BC_TURN_DONE);
        assert_string_equal(bc_turn_model(t), cases[i][2]);
        assert_string_equal(fake.model, cases[i][2]);
        assert_string_equal(bc_turn_reason(t), "not_configured");
        bc_turn_free(t);
        json_decref(conv);
        bc_ctx_release(&s.ctx);
    }
}

static void test_turn__a_refused_submission_falls_back_to_fsm(void **state)
{
    struct shop s;
    shop_open(&s, "{\"mode\":\"nlp\",\"provider\":\"anthropic\",\"model\":\"claude-test\"}", NULL);
    json_t *conv = conv_open(&s);
    /* the real LLM runtime, which no test starts: unavailable */
    struct bc_turn *t = turn_new(&s, conv, "un corte el martes a las 10", NULL, true);
    assert_int_equal(bc_turn_begin(t), BC_TURN_DONE);
    assert_int_equal(bc_turn_rc(t), 0);
    assert_string_equal(bc_turn_model(t), "claude-test");
    assert_string_equal(bc_turn_outcome(t), "fallback");
    assert_string_equal(bc_turn_reason(t), "unavailable");
    assert_int_equal(fake.waiting_on, 1);
    assert_int_equal(fake.waiting_off, 1); /* the transport waits no more */
    assert_string_equal(state_of(conv), "name");
    bc_turn_free(t);
    json_decref(conv);
    bc_ctx_release(&s.ctx);
}

static void test_turn__quick_replies_go_to_fsm_in_an_ai_mode(void **state)
{
    struct shop s;
    char a[100];
    shop_open(&s, "{\"mode\":\"nlp\",\"provider\":\"anthropic\"}", NULL);
    json_t *conv = conv_open(&s);
    snprintf(a, sizeof a, "svc:%s", s.svc);
    struct bc_turn *t = turn_new(&s, conv, NULL, a, false);
    assert_int_equal(bc_turn_begin(t), BC_TURN_DONE);
    assert_int_equal(bc_turn_rc(t), 0);
    assert_int_equal(bc_turn_mode(t), BC_AI_NLP);
    assert_null(bc_turn_outcome(t)); /* nothing to log */
    assert_int_equal(fake.submits, 0);
    assert_string_equal(state_of(conv), "day");
    bc_turn_free(t);
    json_decref(conv);
    bc_ctx_release(&s.ctx);
}

/* A failed call: fsm mode answers (here it books), and the booking is metered once. */
static void test_turn__a_failed_call_falls_back_and_is_metered_once(void **state)
{
    struct shop s;
    json_t *m = NULL;
    shop_open(&s, "{\"mode\":\"nlp\",\"provider\":\"anthropic\"}", NULL);
    json_t *conv = conv_open(&s);
    const char *steps[] = {"un corte el martes a las 10", "Marta Ruiz", "marta@example.com"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(bc_chat_turn(env, &s.ctx, conv, steps[i], NULL, URL, &m), 0);
        json_decref(m);
    }
    assert_string_equal(state_of(conv), "confirm");
    assert_int_equal(counted(&s, "conversations_booked"), 0);
    struct bc_turn *t = turn_new(&s, conv, "sí", NULL, false);
    assert_int_equal(bc_turn_begin(t), BC_TURN_WAIT);
    model_answers(NULL, BC_ETIMEOUT);
    assert_int_equal(bc_turn_resume(t), BC_TURN_DONE);
    assert_int_equal(bc_turn_rc(t), 0);
    assert_string_equal(bc_turn_outcome(t), "fallback");
    assert_string_equal(bc_turn_reason(t), "timeout");
    assert_string_equal(state_of(conv), "booked");
    assert_non_null(json_object_get(conv, "booking"));
    bc_turn_free(t);
    assert_int_equal(counted(&s, "conversations_booked"), 1);
    /* the next turn of the same conversation books nothing new: not counted again */
    t = turn_new(&s, conv, "gracias", NULL, false);
    assert_int_equal(bc_turn_begin(t), BC_TURN_WAIT);
    model_answers(NULL, BC_ETIMEOUT);
    assert_int_equal(bc_turn_resume(t), BC_TURN_DONE);
    bc_turn_free(t);
    assert_int_equal(counted(&s, "conversations_booked"), 1);
    json_decref(conv);
    bc_ctx_release(&s.ctx);
}

static void test_turn__a_hand_off_is_metered(void **state)
{
    struct shop s;
    shop_open(&s, NULL, NULL);
    json_t *conv = conv_open(&s);
    struct bc_turn *t = turn_new(&s, conv, "quiero hablar con una persona, pepe@example.com", NULL, false);
    assert_int_equal(bc_turn_begin(t), BC_TURN_DONE);
    assert_int_equal(bc_turn_rc(t), 0);
    assert_true(bc_conv_handoff_open(conv));
    bc_turn_free(t);
    assert_int_equal(counted(&s, "handoffs"), 1);
    json_decref(conv);
    bc_ctx_release(&s.ctx);
}

static void test_turn__conversations_and_messages_are_counted(void **state)
{
    struct shop s;
    char msg[256];
    json_t *conv = NULL, *m = NULL, *out = NULL;
    shop_open(&s, NULL, NULL);
    json_t *limits = json_pack("{s:i}", "messages_month", 2);
    assert_int_equal(bc_tenant_set_limits(env, &s.ctx, limits, msg, sizeof msg, &out), 0);
    json_decref(limits);
    json_decref(out);
    bc_json_release(s.ctx.tenant);
    assert_int_equal(bc_tenant_get_ro(env, &s.ctx, &s.ctx.tenant), 0);
    assert_int_equal(bc_turn_open(env, &s.ctx, "es", URL, &conv, &m), 0);
    json_decref(m);
    assert_int_equal(counted(&s, "conversations"), 1);
    assert_int_equal(bc_turn_admit(env, &s.ctx, conv, &m), 0);
    assert_null(m);
    assert_int_equal(bc_turn_admit(env, &s.ctx, conv, &m), 0);
    assert_int_equal(bc_turn_admit(env, &s.ctx, conv, &m), BC_EPLAN);
    assert_int_equal(json_array_size(m), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "text")),
                        bc_chat_text("es", BC_T_LIMIT_MESSAGES));
    json_decref(m);
    assert_int_equal(counted(&s, "messages"), 2);
    json_decref(conv);
    bc_ctx_release(&s.ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turn__fsm_mode_answers_without_a_model),
        cmocka_unit_test(test_turn__a_plan_without_the_mode_falls_back_to_fsm),
        cmocka_unit_test(test_turn__no_budget_falls_back_to_fsm),
        cmocka_unit_test(test_turn__a_reading_drives_the_state_machine),
        cmocka_unit_test(test_turn__the_default_model_of_each_provider),
        cmocka_unit_test(test_turn__a_refused_submission_falls_back_to_fsm),
        cmocka_unit_test(test_turn__quick_replies_go_to_fsm_in_an_ai_mode),
        cmocka_unit_test(test_turn__a_failed_call_falls_back_and_is_metered_once),
        cmocka_unit_test(test_turn__a_hand_off_is_metered),
        cmocka_unit_test(test_turn__conversations_and_messages_are_counted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
