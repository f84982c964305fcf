/* Unit tests of src/domain/agent*.c: turns driven by hand-made model answers (no provider): the booking flow
 * and its guard rails (offered slots, the confirmation turn), the round limit, the transcript kept on the
 * conversation (valid alternation, fsm turns recorded, trimmed by whole turns); and, through
 * agent_internal.h, the tool table and one tool call at a time (malformed input, another tenant's ids, the
 * offered slots). A real LMDB store with one tenant (a second where a test says so); the clock is Monday
 * 2026-11-30 09:00 in Madrid. */
#include "../testlib.h"

#include "auth/context.h"
#include "domain/agent.h"
#include "domain/agent_internal.h"
#include "domain/booking.h"
#include "domain/catalog.h"
#include "domain/conversation.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/tenant.h"
#include "llm/llm.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

static struct bc_store *store;
static struct bc_env *env;
static struct bc_ctx ctx;
static char svc[64], ana[64];

/* A tenant with one service (30 minutes), one professional who does it, on Tuesdays 09:00-13:00. */
static void make_tenant(const char *name, struct bc_ctx *c, char *service_id, char *provider_id)
{
    char msg[256];
    json_t *t = NULL, *out = NULL;
    struct bc_tenant_new in = {.name = name, .plan = "BUSINESS", .locale = "es", .timezone = "Europe/Madrid"};
    assert_int_equal(bc_tenant_create(env, &in, msg, sizeof msg, &t), 0);
    assert_int_equal(bc_ctx_operator(c, json_string_value(json_object_get(t, "id"))), 0);
    json_decref(t);
    assert_int_equal(bc_tenant_get_ro(env, c, &c->tenant), 0);
    json_t *body = json_pack("{s:s, s:i}", "name", "Corte de pelo", "duration_min", 30);
    assert_int_equal(bc_service_create(env, c, body, msg, sizeof msg, &out), 0);
    snprintf(service_id, 64, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(body);
    json_decref(out);
    body = json_pack("{s:s, s:[s]}", "name", "Ana", "service_ids", service_id);
    assert_int_equal(bc_provider_create(env, c, body, 10, msg, sizeof msg, &out), 0);
    snprintf(provider_id, 64, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(body);
    json_decref(out);
    body = json_pack("{s:[{s:i, s:s, s:s}]}", "weekly", "weekday", 2, "start", "09:00", "end", "13:00");
    assert_int_equal(bc_hours_put(env, c, provider_id, body, msg, sizeof msg, &out), 0);
    json_decref(body);
    json_decref(out);
}

static int setup(void **state)
{
    char url[600];
    setenv("BOOKCHAT_TEST_NOW", "1796025600", 1); /* 2026-11-30T08:00:00Z, Monday 09:00 in Madrid */
    bc_clock_init();
    assert_int_equal(bc_store_open(bc_test_store_url(url, sizeof url, "agent"), &store, NULL, 0), 0);
    env = bc_test_env(store);
    assert_int_equal(bc_plan_ensure_defaults(env), 0);
    make_tenant("Peluquería Ana", &ctx, svc, ana);
    return 0;
}

static int teardown(void **state)
{
    bc_ctx_release(&ctx);
    bc_test_env_close(env);
    return 0;
}

static json_t *new_conv(void)
{
    json_t *c = bc_conv_new(&ctx, "es", 90);
    assert_int_equal(bc_conv_save(env, c), 0);
    return c;
}

/* A model answer: optional text and up to two tool calls (name + input as JSON text). */
static int step(struct bc_agent *a, const char *text, const char *tool, const char *input, const char *tool2,
                const char *input2)
{
    static int seq;
    struct bc_llm_tool_call calls[2];
    char id[2][16];
    struct bc_llm_result r;
    memset(&r, 0, sizeof r);
    r.text = (char *)(text ? text : "");
    if (tool) {
        snprintf(id[0], sizeof id[0], "t%d", ++seq);
        calls[0] = (struct bc_llm_tool_call){id[0], (char *)tool, json_loads(input, 0, NULL)};
        r.ncalls = 1;
    }
    if (tool2) {
        snprintf(id[1], sizeof id[1], "t%d", ++seq);
        calls[1] = (struct bc_llm_tool_call){id[1], (char *)tool2, json_loads(input2, 0, NULL)};
        r.ncalls = 2;
    }
    r.calls = calls;
    r.stop = r.ncalls ? BC_LLM_STOP_TOOL_USE : BC_LLM_STOP_END_TURN;
    int rc = bc_agent_step(a, &r);
    for (size_t i = 0; i < r.ncalls; i++) json_decref(calls[i].input);
    return rc;
}

/* The content of the last tool result in a's transcript. */
static json_t *last_result(struct bc_agent *a)
{
    const struct bc_llm_conv *c = bc_agent_conv(a);
    const struct bc_llm_message *m = &c->msgs[c->nmsgs - 1];
    assert_int_equal(m->role, BC_LLM_USER);
    return m->blocks[m->nblocks - 1].json;
}

static const char *status_of(json_t *r)
{
    const char *s = json_string_value(json_object_get(r, "status"));
    if (!s) s = json_string_value(json_object_get(json_object_get(r, "error"), "code"));
    return s ? s : "?";
}

static void finish(struct bc_agent *a, json_t **messages)
{
    assert_int_equal(bc_agent_finish(a, messages), 0);
    bc_agent_free(a);
}

static void test_agent__books_only_an_offered_slot_after_the_customers_yes(void **state)
{
    char book[400], avail[200];
    json_t *conv = new_conv(), *msgs = NULL;
    struct bc_agent *a = NULL;
    snprintf(book, sizeof book,
             "{\"service_id\":\"%s\",\"provider_id\":\"any\",\"start\":\"2026-12-01T10:00:00+01:00\","
             "\"customer_name\":\"Marta\",\"phone\":\"612 345 678\"}",
             svc);
    snprintf(avail, sizeof avail, "{\"service_id\":\"%s\",\"from\":\"2026-12-01\",\"to\":\"2026-12-01\"}",
             svc);
    /* turn 1: a slot never offered */
    assert_int_equal(
        bc_agent_begin(env, &ctx, conv, "el martes a las 10, soy Marta, 612 345 678", NULL, "", &a), 0);
    assert_int_equal(step(a, NULL, "create_booking", book, NULL, NULL), BC_AGENT_MORE);
    assert_string_equal(status_of(last_result(a)), "slot_not_offered");
    /* offered now; the first call only asks for confirmation, even twice in the turn */
    assert_int_equal(step(a, "Miro.", "find_availability", avail, NULL, NULL), BC_AGENT_MORE);
    json_t *slots = json_object_get(last_result(a), "slots");
    assert_int_equal(json_array_size(slots), 15); /* 09:00 … 12:30 every 15 minutes */
    assert_int_equal(step(a, NULL, "create_booking", book, "create_booking", book), BC_AGENT_MORE);
    assert_string_equal(status_of(last_result(a)), "confirmation_required");
    assert_int_equal(step(a, "¿Confirmo?", NULL, NULL, NULL, NULL), BC_AGENT_DONE);
    finish(a, &msgs);
    json_t *lastm = json_array_get(msgs, json_array_size(msgs) - 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(lastm, "confirm"), "action")),
                        "create_booking");
    json_decref(msgs);
    /* turn 2: not a yes */
    assert_int_equal(bc_agent_begin(env, &ctx, conv, "¿cuánto cuesta?", NULL, "", &a), 0);
    assert_int_equal(step(a, NULL, "create_booking", book, NULL, NULL), BC_AGENT_MORE);
    assert_string_equal(status_of(last_result(a)), "confirmation_required");
    assert_false(bc_agent_acted(a));
    assert_int_equal(step(a, "18 euros. ¿Confirmo?", NULL, NULL, NULL, NULL), BC_AGENT_DONE);
    finish(a, &msgs);
    json_decref(msgs);
    /* turn 3: yes, the same booking */
    assert_int_equal(bc_agent_begin(env, &ctx, conv, "sí", NULL, "https://x", &a), 0);
    assert_int_equal(step(a, NULL, "create_booking", book, NULL, NULL), BC_AGENT_MORE);
    assert_string_equal(status_of(last_result(a)), "booked");
    assert_true(bc_agent_acted(a));
    /* the model says nothing more: the server's own sentence and the booking card answer */
    assert_int_equal(bc_agent_finish(a, &msgs), 0);
    bc_agent_free(a);
    lastm = json_array_get(msgs, 0);
    assert_non_null(strstr(json_string_value(json_object_get(lastm, "text")), "¡Hecho!"));
    json_t *card = json_object_get(lastm, "booking");
    assert_string_equal(json_string_value(json_object_get(card, "start")), "2026-12-01T10:00:00+01:00");
    assert_non_null(
        strstr(json_string_value(json_object_get(card, "ics_url")), "https://x/v1/manage/booking.ics"));
    assert_string_equal(json_string_value(json_object_get(conv, "status")), "booked");
    json_decref(msgs);
    json_decref(conv);
}

static void test_agent__round_limit(void **state)
{
    json_t *conv = new_conv(), *msgs = NULL;
    struct bc_agent *a = NULL;
    assert_int_equal(bc_agent_begin(env, &ctx, conv, "hola", NULL, "", &a), 0);
    for (int i = 0; i < BC_AGENT_MAX_ROUNDS; i++)
        assert_int_equal(step(a, NULL, "list_services", "{}", NULL, NULL), BC_AGENT_MORE);
    assert_int_equal(step(a, NULL, "list_services", "{}", NULL, NULL), BC_AGENT_DONE);
    assert_string_equal(status_of(last_result(a)), "round_limit");
    /* nothing to say: the caller answers with fsm mode and records that in the transcript */
    assert_int_equal(bc_agent_finish(a, &msgs), BC_EINVALID);
    json_t *fsm = json_pack("[{s:s}, {s:s}]", "text", "¿Qué servicio quieres?", "text", "Elige uno:");
    assert_int_equal(bc_agent_record_fsm(a, conv, "hola", fsm), 0);
    bc_agent_free(a);
    json_t *h = json_object_get(json_object_get(conv, "agent"), "history");
    json_t *lastm = json_array_get(h, json_array_size(h) - 1);
    assert_string_equal(json_string_value(json_object_get(lastm, "role")), "assistant");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(lastm, "content"), 0), "text")),
        "¿Qué servicio quieres?\nElige uno:");
    /* and without an agent turn (a quick reply) */
    assert_int_equal(bc_agent_record_fsm(NULL, conv, "(chose the option faq:hours)", fsm), 0);
    h = json_object_get(json_object_get(conv, "agent"), "history");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(conv, "agent"), "turn")), 2);
    json_decref(fsm);
    json_decref(msgs);
    json_decref(conv);
}

static void test_agent__transcript_is_trimmed_by_whole_turns(void **state)
{
    json_t *conv = new_conv(), *msgs = NULL;
    char text[64];
    for (int i = 0; i < 40; i++) {
        struct bc_agent *a = NULL;
        snprintf(text, sizeof text, "pregunta %d", i);
        assert_int_equal(bc_agent_begin(env, &ctx, conv, text, NULL, "", &a), 0);
        assert_int_equal(step(a, NULL, "business_info", "{}", NULL, NULL), BC_AGENT_MORE);
        assert_int_equal(step(a, "respuesta", NULL, NULL, NULL, NULL), BC_AGENT_DONE);
        finish(a, &msgs);
        json_decref(msgs);
    }
    json_t *h = json_object_get(json_object_get(conv, "agent"), "history");
    assert_true(json_array_size(h) <= 40);
    char *dump = json_dumps(h, JSON_COMPACT);
    assert_true(strlen(dump) <= 48000);
    free(dump);
    /* it starts at a customer's message and ends with the last answer */
    json_t *first = json_array_get(h, 0);
    assert_string_equal(json_string_value(json_object_get(first, "role")), "user");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(first, "content"), 0), "type")),
        "text");
    json_t *c = json_pack("{s:O}", "messages", h);
    struct bc_llm_conv lc;
    bc_llm_conv_init(&lc);
    assert_int_equal(bc_llm_conv_from_json(&lc, c), 0);
    assert_string_equal(lc.msgs[lc.nmsgs - 4].blocks[0].text, "pregunta 39");
    bc_llm_conv_release(&lc);
    json_decref(c);
    json_decref(conv);
}

/* One tool call, as the model would send it (input: JSON text, or NULL for none). */
static json_t *run(struct bc_agent *a, const char *tool, const char *input, bool *is_error)
{
    struct bc_llm_tool_call call = {"c1", (char *)tool,
                                    input ? json_loads(input, JSON_DECODE_ANY, NULL) : NULL};
    json_t *r = bc__agent_run_tool(a, &call, is_error);
    json_decref(call.input);
    assert_non_null(r);
    return r;
}

/* Runs the call and checks the code of its error (or its status) and that the message holds why. */
static void expect(struct bc_agent *a, const char *tool, const char *input, const char *code, const char *why)
{
    bool is_error = false;
    json_t *r = run(a, tool, input, &is_error);
    const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
    if (strcmp(status_of(r), code) != 0 || !is_error || (why && (!msg || !strstr(msg, why))))
        fail_msg("%s %s: %s '%s'", tool, input ? input : "(none)", status_of(r), msg ? msg : "");
    json_decref(r);
}

static void test_agent__tool_table_and_dispatch(void **state)
{
    size_t n = 0;
    const struct bc_llm_tool *t = bc_agent_tools(&n);
    assert_int_equal(n, 7);
    assert_ptr_equal(bc_agent_tools(&n), t); /* built once */
    json_t *conv = new_conv();
    struct bc_agent *a = NULL;
    assert_int_equal(bc_agent_begin(env, &ctx, conv, "hola", NULL, "", &a), 0);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(json_string_value(json_object_get(t[i].input_schema, "type")), "object");
        assert_true(json_is_false(json_object_get(t[i].input_schema, "additionalProperties")));
        /* every tool of the table has an action: a field it does not have is refused, not an unknown tool */
        expect(a, t[i].name, "{\"tenant_id\":\"x\"}", "invalid_request", "tenant_id");
    }
    expect(a, "delete_tenant", "{}", "unknown_tool", "delete_tenant");
    expect(a, NULL, "{}", "unknown_tool", NULL);
    bc_agent_free(a);
    json_decref(conv);
}

static void test_agent__malformed_tool_input_is_refused(void **state)
{
    char in[300];
    json_t *conv = new_conv();
    struct bc_agent *a = NULL;
    assert_int_equal(bc_agent_begin(env, &ctx, conv, "hola", NULL, "", &a), 0);
    expect(a, "list_services", NULL, "invalid_request", "JSON object");
    expect(a, "list_services", "[]", "invalid_request", "JSON object");
    expect(a, "find_availability", "{\"from\":\"2026-12-01\"}", "invalid_request", "service_id");
    expect(a, "find_availability", "{\"service_id\":42,\"from\":\"2026-12-01\"}", "invalid_request",
           "service_id");
    snprintf(in, sizeof in, "{\"service_id\":\"%s\",\"from\":\"2026-13-01\"}", svc);
    expect(a, "find_availability", in, "invalid_request", "from must be a date");
    snprintf(in, sizeof in, "{\"service_id\":\"%s\",\"from\":\"2026-12-01\",\"to\":\"2026-12-15\"}", svc);
    expect(a, "find_availability", in, "invalid_request", "from + 13 days");
    snprintf(in, sizeof in, "{\"service_id\":\"%s\",\"from\":\"2026-12-01\",\"part_of_day\":\"night\"}", svc);
    expect(a, "find_availability", in, "invalid_request", "part_of_day");
    expect(a, "cancel_booking", "{\"code\":\"K7M2QX\"}", "invalid_request", "an e-mail or a phone");
    expect(a, "cancel_booking", "{\"code\":\"K7M2QX\",\"email\":\"pepe at example\"}", "invalid_request",
           "email");
    expect(a, "cancel_booking", "{\"code\":\"K7M2QX\",\"phone\":\"abc\"}", "invalid_request", "phone");
    /* an empty string for an optional field is taken as absent */
    bool is_error = true;
    json_t *r = run(a, "list_professionals", "{\"service_id\":\"\"}", &is_error);
    assert_false(is_error);
    assert_int_equal(json_array_size(json_object_get(r, "professionals")), 1);
    json_decref(r);
    bc_agent_free(a);
    json_decref(conv);
}

static void test_agent__another_tenants_ids_are_not_found(void **state)
{
    char msg[256], in[400], fsvc[64], fpro[64];
    json_t *b = NULL;
    struct bc_ctx other;
    make_tenant("Otra", &other, fsvc, fpro);
    struct bc_booking_in bin = {.service_id = fsvc,
                                .provider_id = fpro,
                                .start = "2026-12-01T11:00:00+01:00",
                                .name = "Eva",
                                .phone = "612345678",
                                .source = "widget",
                                .monthly_limit = BC_UNLIMITED};
    assert_int_equal(bc_booking_create(env, &other, &bin, msg, sizeof msg, &b), 0);
    const char *code = json_string_value(json_object_get(b, "code"));

    json_t *conv = new_conv();
    struct bc_agent *a = NULL;
    assert_int_equal(bc_agent_begin(env, &ctx, conv, "hola", NULL, "", &a), 0);
    snprintf(in, sizeof in, "{\"service_id\":\"%s\"}", fsvc);
    expect(a, "list_professionals", in, "not_found", fsvc);
    snprintf(in, sizeof in, "{\"service_id\":\"%s\",\"from\":\"2026-12-01\"}", fsvc);
    expect(a, "find_availability", in, "not_found", fsvc);
    snprintf(in, sizeof in, "{\"service_id\":\"%s\",\"provider_id\":\"%s\",\"from\":\"2026-12-01\"}", svc,
             fpro);
    expect(a, "find_availability", in, "not_found", fpro);
    snprintf(in, sizeof in,
             "{\"service_id\":\"%s\",\"provider_id\":\"%s\",\"start\":\"2026-12-01T11:00:00+01:00\","
             "\"customer_name\":\"Eva\",\"phone\":\"612345678\"}",
             fsvc, fpro);
    expect(a, "create_booking", in, "not_found", fsvc);
    snprintf(in, sizeof in, "{\"code\":\"%s\",\"phone\":\"612345678\"}", code);
    expect(a, "cancel_booking", in, "not_found", "no booking");
    snprintf(in, sizeof in,
             "{\"code\":\"%s\",\"phone\":\"612345678\",\"new_start\":\"2026-12-01T12:00:00+01:00\"}", code);
    expect(a, "reschedule_booking", in, "not_found", "no booking");
    assert_false(bc_agent_acted(a));
    bc_agent_free(a);
    json_decref(conv);
    /* the booking is untouched */
    json_t *item = NULL;
    assert_int_equal(bc_booking_by_code(env, &other, code, &item), 0);
    assert_string_equal(json_string_value(json_object_get(item, "status")), "confirmed");
    json_decref(item);
    json_decref(b);
    bc_ctx_release(&other);
}

static void test_agent__offers_are_matched_by_instant(void **state)
{
    char start[40];
    json_t *conv = new_conv();
    struct bc_agent *a = NULL;
    assert_int_equal(bc_agent_begin(env, &ctx, conv, "hola", NULL, "", &a), 0);
    bc__agent_remember_offer(a, svc, ana, "2026-12-01T10:00:00+01:00");
    bc__agent_remember_offer(a, svc, ana, "2026-12-01T10:00:00+01:00");
    assert_int_equal(json_array_size(json_object_get(a->state, "offered")), 1);
    json_t *o = bc__agent_offered_slot(a, svc, "any", "2026-12-01T09:00:00Z");
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "start")), "2026-12-01T10:00:00+01:00");
    assert_non_null(bc__agent_offered_slot(a, svc, ana, "2026-12-01T09:00:00+00:00"));
    assert_non_null(bc__agent_offered_slot(a, svc, NULL, "2026-12-01T10:00:00+01:00"));
    assert_null(bc__agent_offered_slot(a, svc, "01JNOPE", "2026-12-01T10:00:00+01:00"));
    assert_null(bc__agent_offered_slot(a, "01JNOPE", NULL, "2026-12-01T10:00:00+01:00"));
    assert_null(bc__agent_offered_slot(a, svc, NULL, "2026-12-01T10:15:00+01:00"));
    assert_null(bc__agent_offered_slot(a, svc, NULL, "mañana a las diez"));
    /* the oldest offers go first past the limit */
    for (int i = 0; i < 130; i++) {
        snprintf(start, sizeof start, "2026-12-%02dT%02d:%02d:00+01:00", 2 + i / 40, 9 + i % 40 / 4,
                 i % 4 * 15);
        bc__agent_remember_offer(a, svc, ana, start);
    }
    assert_int_equal(json_array_size(json_object_get(a->state, "offered")), 120);
    assert_null(bc__agent_offered_slot(a, svc, NULL, "2026-12-01T10:00:00+01:00"));
    assert_non_null(bc__agent_offered_slot(a, svc, NULL, start));
    bc_agent_free(a);
    json_decref(conv);
}

/* A public holiday in the range is named in the tool's answer, so the model can say why the day is empty:
 * Tuesday 2026-12-08 is a holiday in Spain, and Ana works on Tuesdays. */
static void test_agent__availability_names_the_holiday(void **state)
{
    char avail[200], msg[256];
    json_t *conv = new_conv(), *out = NULL;
    struct bc_agent *a = NULL;
    json_t *patch = json_pack("{s:{s:s, s:s}}", "holidays", "country", "ES", "region", "MD");
    assert_int_equal(bc_settings_patch(env, &ctx, patch, msg, sizeof msg, &out), 0);
    json_decref(patch);
    json_decref(out);
    snprintf(avail, sizeof avail, "{\"service_id\":\"%s\",\"from\":\"2026-12-08\",\"to\":\"2026-12-15\"}",
             svc);
    assert_int_equal(bc_agent_begin(env, &ctx, conv, "¿el martes 8?", NULL, "", &a), 0);
    assert_int_equal(step(a, NULL, "find_availability", avail, NULL, NULL), BC_AGENT_MORE);
    json_t *r = last_result(a), *closed = json_object_get(r, "closed");
    assert_int_equal(json_array_size(closed), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(closed, 0), "date")), "2026-12-08");
    assert_string_equal(json_string_value(json_object_get(json_array_get(closed, 0), "holiday")),
                        "Inmaculada Concepción");
    /* only the 15th has times */
    assert_true(json_array_size(json_object_get(r, "slots")) > 0);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_array_get(json_object_get(r, "slots"), 0), "start")),
               "2026-12-15T"));
    assert_int_equal(step(a, "Ese día es festivo.", NULL, NULL, NULL, NULL), BC_AGENT_DONE);
    json_t *msgs = NULL;
    finish(a, &msgs);
    json_decref(msgs);
    patch = json_pack("{s:n}", "holidays");
    assert_int_equal(bc_settings_patch(env, &ctx, patch, msg, sizeof msg, &out), 0);
    json_decref(patch);
    json_decref(out);
    json_decref(conv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent__books_only_an_offered_slot_after_the_customers_yes),
        cmocka_unit_test(test_agent__availability_names_the_holiday),
        cmocka_unit_test(test_agent__round_limit),
        cmocka_unit_test(test_agent__transcript_is_trimmed_by_whole_turns),
        cmocka_unit_test(test_agent__tool_table_and_dispatch),
        cmocka_unit_test(test_agent__malformed_tool_input_is_refused),
        cmocka_unit_test(test_agent__another_tenants_ids_are_not_found),
        cmocka_unit_test(test_agent__offers_are_matched_by_instant),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
