/* Unit tests of src/domain/nlp: the prompt names the tenant's catalogue with ids, the date and zone and the
 * dialog's state; the schema is strict; a model's reading is validated rule by rule (all or nothing) into
 * the offline NLU's result type. A real LMDB store with one tenant; the clock is Monday 2026-11-30 09:00 in
 * Madrid. */
#include "../testlib.h"

#include "auth/context.h"
#include "domain/catalog.h"
#include "domain/conversation.h"
#include "domain/nlp.h"
#include "nlu/nlu.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

static struct bc_store *store;
static struct bc_env *env;
static struct bc_ctx ctx, other;
static char svc[64], svc2[64], ana[64], foreign_svc[64];

static void make_tenant(const char *name, struct bc_ctx *c, char *s1, char *s2, char *pro)
{
    char msg[256];
    json_t *t = NULL, *out = NULL;
    struct bc_tenant_new in = {.name = name, .plan = "BUSINESS", .locale = "es", .timezone = "Europe/Madrid"};
    assert_int_equal(bc_tenant_create(env, &in, msg, sizeof msg, &t), 0);
    assert_int_equal(bc_ctx_operator(c, json_string_value(json_object_get(t, "id"))), 0);
    json_decref(t);
    json_t *body =
        json_pack("{s:s, s:i, s:[s]}", "name", "Corte de pelo", "duration_min", 30, "synonyms", "corte");
    assert_int_equal(bc_service_create(env, c, body, msg, sizeof msg, &out), 0);
    snprintf(s1, 64, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(body);
    json_decref(out);
    if (s2) {
        body = json_pack("{s:s, s:i}", "name", "Tinte", "duration_min", 60);
        assert_int_equal(bc_service_create(env, c, body, msg, sizeof msg, &out), 0);
        snprintf(s2, 64, "%s", json_string_value(json_object_get(out, "id")));
        json_decref(body);
        json_decref(out);
    }
    if (pro) {
        body = json_pack("{s:s, s:[s]}", "name", "Ana", "service_ids", s1);
        assert_int_equal(bc_provider_create(env, c, body, 10, msg, sizeof msg, &out), 0);
        snprintf(pro, 64, "%s", json_string_value(json_object_get(out, "id")));
        json_decref(body);
        json_decref(out);
    }
}

static int setup(void **state)
{
    char url[600];
    setenv("BOOKCHAT_TEST_NOW", "1796025600", 1); /* 2026-11-30T08:00:00Z */
    bc_clock_init();
    assert_int_equal(bc_store_open(bc_test_store_url(url, sizeof url, "nlp"), &store, NULL, 0), 0);
    env = bc_test_env(store);
    assert_int_equal(bc_plan_ensure_defaults(env), 0);
    make_tenant("Peluquería Ana", &ctx, svc, svc2, ana);
    make_tenant("Otra", &other, foreign_svc, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    bc_ctx_release(&ctx);
    bc_ctx_release(&other);
    bc_test_env_close(env);
    return 0;
}

/* A reading of text in a conversation waiting in dialog state st. */
static struct bc_nlp *reader(const char *text, const char *st)
{
    json_t *conv = bc_conv_new(&ctx, "es", 90);
    if (st) json_object_set_new(conv, "state", json_string(st));
    struct bc_nlp *n = NULL;
    assert_int_equal(bc_nlp_new(env, &ctx, conv, text, &n), 0);
    json_decref(conv);
    return n;
}

/* A full answer (every field null) with some fields set from a JSON object text. */
static json_t *answer(const char *fields)
{
    json_t *a = json_pack("{s:s, s:[], s:n, s:n, s:n, s:n, s:n, s:b, s:n, s:n, s:n, s:n, s:n, s:n}", "intent",
                          "inform", "also", "service_id", "provider_id", "date", "time", "part_of_day",
                          "asap", 0, "name", "email", "phone", "code", "number", "change_target");
    json_t *f = json_loads(fields, 0, NULL);
    assert_non_null(f);
    json_object_update(a, f);
    json_decref(f);
    return a;
}

/* Fails unless the reading of fields (see answer) is refused with a reason that contains why. */
static void refused(struct bc_nlp *n, const char *fields, const char *why_part)
{
    json_t *a = answer(fields);
    struct bc_nlu_result r;
    char why[160] = "";
    if (bc_nlp_read(n, a, &r, why, sizeof why) != BC_EINVALID || !strstr(why, why_part))
        fail_msg("%s: why='%s'", fields, why);
    json_decref(a);
}

static void test_nlp__prompt_names_the_catalogue_date_and_state(void **state)
{
    struct bc_nlp *n = reader("quiero algo", NULL);
    const char *p = bc_nlp_prompt(n);
    char line[200];
    snprintf(line, sizeof line, "- %s: Corte de pelo (also called corte)", svc);
    assert_non_null(strstr(p, line));
    snprintf(line, sizeof line, "- %s: Ana: %s", ana, svc);
    assert_non_null(strstr(p, line));
    assert_null(strstr(p, foreign_svc));
    assert_non_null(strstr(p, "Now it is Monday 2026-11-30 09:00 in the time zone Europe/Madrid"));
    assert_non_null(strstr(p, "waiting for: which service they want to book"));
    assert_non_null(strstr(p, "\"Peluquería Ana\""));
    const struct bc_llm_conv *c = bc_nlp_conv(n);
    assert_int_equal(c->nmsgs, 1);
    assert_string_equal(c->msgs[0].blocks[0].text, "quiero algo");
    bc_nlp_free(n);
    n = reader("ana", "name");
    assert_non_null(strstr(bc_nlp_prompt(n), "waiting for: their name"));
    bc_nlp_free(n);
}

static void test_nlp__schema_is_strict(void **state)
{
    struct bc_nlp *n = reader("hola", NULL);
    json_t *s = bc_nlp_schema(n);
    assert_true(json_is_false(json_object_get(s, "additionalProperties")));
    assert_int_equal(json_array_size(json_object_get(s, "required")),
                     json_object_size(json_object_get(s, "properties")));
    assert_int_equal(json_object_size(json_object_get(s, "properties")), 14);
    json_t *intents = json_object_get(json_object_get(json_object_get(s, "properties"), "intent"), "enum");
    assert_int_equal(json_array_size(intents), BC_NLU__INTENT_COUNT);
    bc_nlp_free(n);
}

static void test_nlp__a_valid_reading(void **state)
{
    char f[600];
    struct bc_nlu_result r;
    char why[160] = "";
    struct bc_nlp *n = reader(
        "corte con cualquiera el jueves 17:30, soy marta ruiz, Marta@Example.com, +34 612 34 56 78", NULL);
    snprintf(
        f, sizeof f,
        "{\"intent\":\"book\",\"also\":[\"greeting\"],\"service_id\":\"%s\",\"provider_id\":\"any\","
        "\"date\":\"2026-12-03\",\"time\":\"17:30\",\"name\":\"Marta Ruiz\",\"email\":\"Marta@Example.com\","
        "\"phone\":\"+34 612 34 56 78\",\"part_of_day\":\"afternoon\"}",
        svc);
    json_t *a = answer(f);
    assert_int_equal(bc_nlp_read(n, a, &r, why, sizeof why), 0);
    assert_int_equal(r.intent, BC_NLU_BOOK);
    assert_true(r.intents & BC_NLU_BIT(BC_NLU_GREETING));
    assert_string_equal(r.service_id, svc);
    assert_null(r.provider_id);
    assert_true(r.provider_any);
    assert_true(r.has_date);
    assert_string_equal(r.date, "2026-12-03");
    assert_int_equal(r.weekday, 4);
    assert_true(r.has_time);
    assert_int_equal(r.hour, 17);
    assert_int_equal(r.minute, 30);
    assert_string_equal(r.time, "17:30");
    assert_int_equal(r.part_of_day, BC_NLU_PART_AFTERNOON);
    assert_string_equal(r.name, "Marta Ruiz");
    assert_string_equal(r.email, "marta@example.com");
    assert_string_equal(r.phone, "+34612345678");
    assert_string_equal(r.lang, "es");
    json_decref(a);
    bc_nlp_free(n);
}

static void test_nlp__refusals(void **state)
{
    static const struct {
        const char *fields, *why;
    } cases[] = {
        {"{\"intent\":\"dance\"}", "intent"},
        {"{\"also\":[\"book\",\"fly\"]}", "also"},
        {"{\"service_id\":\"FOREIGN\"}", "service_id"},
        {"{\"provider_id\":\"01JNOPE\"}", "provider_id"},
        {"{\"date\":\"2026-02-30\"}", "date is not a real"},
        {"{\"date\":\"2026-11-28\"}", "out of range"},
        {"{\"date\":\"2029-01-01\"}", "out of range"},
        {"{\"time\":\"25:00\"}", "time"},
        {"{\"time\":\"5pm\"}", "time"},
        {"{\"part_of_day\":\"night\"}", "part_of_day"},
        {"{\"asap\":\"yes\"}", "asap"},
        {"{\"name\":\"Mallory\"}", "name not in the message"},
        {"{\"email\":\"evil@example.com\"}", "email not in the message"},
        {"{\"email\":\"pepe at example\"}", "email is not"},
        {"{\"phone\":\"600 000 000\"}", "phone not in the message"},
        {"{\"code\":\"ZZZ999\"}", "code not in the message"},
        {"{\"code\":\"ABC\"}", "code"},
        {"{\"number\":0}", "number"},
        {"{\"change_target\":\"tenant\"}", "change_target"},
        {"{\"tenant_id\":\"x\"}", "unknown field tenant_id"},
        {"{\"name\":42}", "wrong type"},
    };
    struct bc_nlp *n = reader("hola, soy pepe, pepe@example.com, 612 345 678, código K7M2QX", NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char f[300];
        const char *fields = cases[i].fields;
        if (strstr(fields, "FOREIGN")) {
            snprintf(f, sizeof f, "{\"service_id\":\"%s\"}", foreign_svc);
            fields = f;
        }
        refused(n, fields, cases[i].why);
    }
    /* and what is in the message passes */
    json_t *a = answer(
        "{\"name\":\"Pepe\",\"email\":\"PEPE@example.com\",\"phone\":\"612345678\",\"code\":\"k7m2qx\"}");
    struct bc_nlu_result r;
    char why[160] = "";
    assert_int_equal(bc_nlp_read(n, a, &r, why, sizeof why), 0);
    assert_string_equal(r.code, "K7M2QX");
    assert_string_equal(r.phone, "612345678");
    json_decref(a);
    json_t *bad = json_string("book");
    assert_int_equal(bc_nlp_read(n, bad, &r, why, sizeof why), BC_EINVALID);
    json_decref(bad);
    bc_nlp_free(n);
}

static void test_nlp__a_yes_in_a_confirmation_needs_the_customers_yes(void **state)
{
    struct bc_nlu_result r;
    char why[160] = "";
    json_t *yes = answer("{\"intent\":\"yes\"}");
    struct bc_nlp *n = reader("no, espera", "confirm");
    assert_int_equal(bc_nlp_read(n, yes, &r, why, sizeof why), BC_EINVALID);
    assert_non_null(strstr(why, "yes"));
    bc_nlp_free(n);
    n = reader("sí, perfecto", "confirm");
    assert_int_equal(bc_nlp_read(n, yes, &r, why, sizeof why), 0);
    assert_int_equal(r.intent, BC_NLU_YES);
    bc_nlp_free(n);
    /* outside a confirmation the model's yes stands (e.g. "¿te viene bien el jueves?" … "claro") */
    n = reader("venga", "day");
    assert_int_equal(bc_nlp_read(n, yes, &r, why, sizeof why), 0);
    bc_nlp_free(n);
    json_decref(yes);
}

/* The rules run in a fixed order and the first that fails names itself; a field of the wrong type is
 * refused only after every rule that names a field. */
static void test_nlp__the_first_failed_rule_is_the_reason(void **state)
{
    static const struct {
        const char *fields, *why;
    } cases[] = {
        {"{\"tenant_id\":\"x\",\"intent\":\"dance\"}", "unknown field tenant_id"},
        {"{\"intent\":42}", "missing or unknown intent"},
        {"{\"intent\":null}", "missing or unknown intent"},
        {"{\"also\":\"book\"}", "also is not a list"},
        {"{\"also\":[42]}", "unknown intent in also"},
        {"{\"also\":[\"book\"],\"service_id\":\"01JNOPE\",\"date\":\"2026-02-30\"}", "service_id"},
        {"{\"service_id\":42,\"date\":\"2026-02-30\"}", "date is not a real"},
        {"{\"date\":\"2026-12-01\",\"time\":\"9:00\",\"part_of_day\":\"night\"}", "time is not HH:MM"},
        {"{\"part_of_day\":\"night\",\"name\":\"Mallory\"}", "part_of_day"},
        {"{\"asap\":1,\"name\":\"Mallory\"}", "asap"},
        {"{\"name\":\"Mallory\",\"number\":0}", "name not in the message"},
        {"{\"email\":\"pepe@example.com\",\"phone\":\"600 000 000\"}", "phone not in the message"},
        {"{\"code\":\"K7M2Q!\"}", "code is not a booking code"},
        {"{\"number\":\"2\",\"change_target\":\"tenant\"}", "number out of range"},
        {"{\"number\":51}", "number out of range"},
        {"{\"number\":2,\"change_target\":\"tenant\"}", "unknown change_target"},
        {"{\"date\":7,\"number\":2}", "wrong type"},
        {"{\"change_target\":true}", "wrong type"},
    };
    struct bc_nlp *n = reader("hola, soy pepe, pepe@example.com, 612 345 678, código K7M2QX", NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) refused(n, cases[i].fields, cases[i].why);
    bc_nlp_free(n);
}

/* Each step fills its part of the result: a professional by id, the parts of the day, asap, a number and
 * the target of a change; nulls leave the result empty. */
static void test_nlp__each_field_fills_its_part_of_the_result(void **state)
{
    char f[300];
    struct bc_nlu_result r;
    char why[160] = "";
    struct bc_nlp *n = reader("la segunda, con Ana, por la mañana, lo antes posible", NULL);
    snprintf(f, sizeof f,
             "{\"intent\":\"change\",\"provider_id\":\"%s\",\"part_of_day\":\"morning\",\"asap\":true,"
             "\"number\":2,\"change_target\":\"provider\",\"also\":null}",
             ana);
    json_t *a = answer(f);
    assert_int_equal(bc_nlp_read(n, a, &r, why, sizeof why), 0);
    assert_int_equal(r.intent, BC_NLU_CHANGE);
    assert_int_equal(r.intents, BC_NLU_BIT(BC_NLU_CHANGE));
    assert_string_equal(r.provider_id, ana);
    assert_false(r.provider_any);
    assert_int_equal(r.part_of_day, BC_NLU_PART_MORNING);
    assert_true(r.asap);
    assert_true(r.has_number);
    assert_int_equal(r.number, 2);
    assert_int_equal(r.change_target, BC_NLU_SLOT_PROVIDER);
    assert_false(r.has_date);
    assert_false(r.has_time);
    assert_null(r.service_id);
    assert_string_equal(r.name, "");
    json_decref(a);
    a = answer("{\"part_of_day\":\"evening\",\"change_target\":\"contact\"}");
    assert_int_equal(bc_nlp_read(n, a, &r, why, sizeof why), 0);
    assert_int_equal(r.part_of_day, BC_NLU_PART_EVENING);
    assert_int_equal(r.change_target, BC_NLU_SLOT_CONTACT);
    assert_false(r.asap);
    assert_false(r.has_number);
    json_decref(a);
    bc_nlp_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nlp__prompt_names_the_catalogue_date_and_state),
        cmocka_unit_test(test_nlp__schema_is_strict),
        cmocka_unit_test(test_nlp__a_valid_reading),
        cmocka_unit_test(test_nlp__refusals),
        cmocka_unit_test(test_nlp__a_yes_in_a_confirmation_needs_the_customers_yes),
        cmocka_unit_test(test_nlp__the_first_failed_rule_is_the_reason),
        cmocka_unit_test(test_nlp__each_field_fills_its_part_of_the_result),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
