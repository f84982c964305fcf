/* Unit tests of src/domain/chat (fsm mode) without HTTP: conversations driven turn by turn through
 * bc_chat_start / bc_chat_turn, asserting the dialog's state and slots and what the store holds (bookings,
 * hand-offs, messages). A real LMDB store with one tenant (two services, Ana and Luis on weekdays
 * 09:00-13:00); the clock is Monday 2026-11-30 09:00 in Madrid. */
#include "../testlib.h"

#include "auth/context.h"
#include "domain/booking.h"
#include "domain/catalog.h"
#include "domain/chat.h"
#include "domain/chat_text.h"
#include "domain/conversation.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "util/clock.h"
#include "domain/env.h"
#include "util/err.h"
#include "util/kept.h"

#define URL "https://bookchat.example.com"

static struct bc_store *store;
static struct bc_env *env;
static struct bc_ctx ctx;
static char corte[64], tinte[64], ana[64], luis[64];

static void create(const char *kind, json_t *body, char *id)
{
    char msg[256];
    json_t *out = NULL;
    int rc = strcmp(kind, "service") == 0 ? bc_service_create(env, &ctx, body, msg, sizeof msg, &out)
                                          : bc_provider_create(env, &ctx, body, 10, msg, sizeof msg, &out);
    if (rc < 0) fail_msg("%s: %s", kind, msg);
    snprintf(id, 64, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(body);
    json_decref(out);
}

static void weekday_hours(const char *pro)
{
    char msg[256];
    json_t *out = NULL, *weekly = json_array();
    for (int wd = 1; wd <= 5; wd++)
        json_array_append_new(weekly,
                              json_pack("{s:i, s:s, s:s}", "weekday", wd, "start", "09:00", "end", "13:00"));
    json_t *body = json_pack("{s:o}", "weekly", weekly);
    assert_int_equal(bc_hours_put(env, &ctx, pro, body, msg, sizeof msg, &out), 0);
    json_decref(body);
    json_decref(out);
}

static char url[600]; /* the store's, for a second handle */

static int setup(void **state)
{
    char msg[256];
    json_t *t = NULL;
    setenv("BOOKCHAT_TEST_NOW", "1796025600", 1); /* 2026-11-30T08:00:00Z, Monday 09:00 in Madrid */
    bc_clock_init();
    assert_int_equal(bc_store_open(bc_test_store_url(url, sizeof url, "chat"), &store, NULL, 0), 0);
    env = bc_test_env(store);
    assert_int_equal(bc_plan_ensure_defaults(env), 0);
    struct bc_tenant_new in = {
        .name = "Peluquería Ana", .plan = "BUSINESS", .locale = "es", .timezone = "Europe/Madrid"};
    assert_int_equal(bc_tenant_create(env, &in, msg, sizeof msg, &t), 0);
    assert_int_equal(bc_ctx_operator(&ctx, json_string_value(json_object_get(t, "id"))), 0);
    json_decref(t);
    assert_int_equal(bc_tenant_get_ro(env, &ctx, &ctx.tenant), 0);
    create("service",
           json_pack("{s:s, s:i, s:[s, s]}", "name", "Corte de pelo", "duration_min", 30, "synonyms", "corte",
                     "haircut"),
           corte);
    create("service", json_pack("{s:s, s:i}", "name", "Tinte", "duration_min", 60), tinte);
    create("provider", json_pack("{s:s, s:[s, s]}", "name", "Ana", "service_ids", corte, tinte), ana);
    create("provider", json_pack("{s:s, s:[s, s]}", "name", "Luis", "service_ids", corte, tinte), luis);
    weekday_hours(ana);
    weekday_hours(luis);
    return 0;
}

static int teardown(void **state)
{
    bc_ctx_release(&ctx);
    bc_test_env_close(env);
    return 0;
}

/* ---- driving a conversation ---- */

static json_t *last; /* the assistant's messages of the last turn */

static json_t *start(const char *lang)
{
    json_t *conv = NULL;
    json_decref(last);
    last = NULL;
    assert_int_equal(bc_chat_start(env, &ctx, lang, URL, &conv, &last), 0);
    return conv;
}

static void say(json_t *conv, const char *text)
{
    json_decref(last);
    last = NULL;
    assert_int_equal(bc_chat_turn(env, &ctx, conv, text, NULL, URL, &last), 0);
}

static void act(json_t *conv, const char *action)
{
    json_decref(last);
    last = NULL;
    assert_int_equal(bc_chat_turn(env, &ctx, conv, NULL, action, URL, &last), 0);
}

static const char *state_of(json_t *conv)
{
    return json_string_value(json_object_get(conv, "state"));
}

static const char *slot_of(json_t *conv, const char *k)
{
    return json_string_value(json_object_get(json_object_get(conv, "slots"), k));
}

/* The text of the last turn's message i (negative: from the end). */
static const char *said(int i)
{
    size_t n = json_array_size(last);
    json_t *m = json_array_get(last, i < 0 ? n + (size_t)i : (size_t)i);
    const char *t = json_string_value(json_object_get(m, "text"));
    return t ? t : "";
}

/* The first quick reply of the last turn whose payload starts with prefix (NULL: none). */
static const char *offered(const char *prefix)
{
    size_t i, j;
    json_t *m, *q;
    json_array_foreach(last, i, m) json_array_foreach(json_object_get(m, "quick_replies"), j, q)
    {
        const char *p = json_string_value(json_object_get(q, "payload"));
        if (p && strncmp(p, prefix, strlen(prefix)) == 0) return p;
    }
    return NULL;
}

/* The booking the conversation made, from the store (caller decrefs). */
static json_t *booking_of(json_t *conv)
{
    json_t *b = NULL;
    const char *code = json_string_value(json_object_get(json_object_get(conv, "booking"), "code"));
    assert_non_null(code);
    assert_int_equal(bc_booking_by_code(env, &ctx, code, &b), 0);
    return b;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* ---- the cases ---- */

static void test_chat__start_greets_and_asks_for_the_service(void **state)
{
    json_t *conv = start("es");
    assert_string_equal(state_of(conv), "service");
    assert_string_equal(str(conv, "lang"), "es");
    assert_string_equal(str(conv, "status"), "open");
    assert_string_equal(slot_of(conv, "flow"), "book");
    assert_int_equal(json_array_size(last), 2);
    assert_string_equal(said(1), bc_chat_text("es", BC_T_ASK_SERVICE));
    char svc[80];
    snprintf(svc, sizeof svc, "svc:%s", corte); /* in display order */
    assert_string_equal(offered("svc:"), svc);
    assert_non_null(offered("human"));
    /* an unsupported language gets the tenant's */
    json_t *other = start("fr");
    assert_string_equal(str(other, "lang"), "es");
    json_decref(other);
    json_decref(conv);
}

static void test_chat__books_by_free_text_in_spanish(void **state)
{
    json_t *conv = start("es");
    say(conv, "quiero un corte con Ana el martes a las 10");
    assert_string_equal(state_of(conv), "name");
    assert_string_equal(slot_of(conv, "service_id"), corte);
    assert_string_equal(slot_of(conv, "provider_id"), ana);
    assert_string_equal(slot_of(conv, "start"), "2026-12-01T10:00:00+01:00");
    assert_string_equal(slot_of(conv, "slot_provider"), ana);
    assert_non_null(json_object_get(json_object_get(conv, "slots"), "hold"));
    assert_non_null(strstr(said(-1), "Corte de pelo con Ana, martes 1 de diciembre a las 10:00"));
    say(conv, "Marta Ruiz");
    assert_string_equal(state_of(conv), "contact");
    assert_string_equal(slot_of(conv, "name"), "Marta Ruiz");
    say(conv, "marta@example.com");
    assert_string_equal(state_of(conv), "confirm");
    assert_string_equal(slot_of(conv, "email"), "marta@example.com");
    say(conv, "sí");
    assert_string_equal(state_of(conv), "booked");
    assert_string_equal(str(conv, "status"), "booked");
    assert_non_null(strstr(said(0), "¡Hecho!"));
    json_t *b = booking_of(conv);
    assert_string_equal(str(b, "status"), "confirmed");
    assert_string_equal(str(b, "service_id"), corte);
    assert_string_equal(str(b, "provider_id"), ana);
    assert_string_equal(str(b, "start"), "2026-12-01T10:00:00+01:00");
    assert_true(bc_booking_customer_matches(b, "marta@example.com", NULL));
    json_decref(b);
    /* the contact is kept for what comes next, the booking's slots are not */
    assert_string_equal(slot_of(conv, "name"), "Marta Ruiz");
    assert_null(slot_of(conv, "start"));
    assert_int_equal(json_integer_value(json_object_get(conv, "user_messages")), 4);
    json_decref(conv);
}

static void test_chat__books_by_free_text_in_english(void **state)
{
    json_t *conv = start("en");
    assert_string_equal(said(-1), bc_chat_text("en", BC_T_ASK_SERVICE));
    say(conv, "a haircut with Luis on Tuesday at 11am please");
    assert_string_equal(state_of(conv), "name");
    assert_string_equal(slot_of(conv, "provider_id"), luis);
    assert_string_equal(slot_of(conv, "start"), "2026-12-01T11:00:00+01:00");
    say(conv, "John Smith");
    assert_string_equal(state_of(conv), "contact");
    say(conv, "john@example.com");
    assert_string_equal(state_of(conv), "confirm");
    assert_non_null(strstr(said(-1), "Shall I confirm the booking?"));
    say(conv, "yes");
    assert_string_equal(state_of(conv), "booked");
    assert_non_null(strstr(said(0), "Done!"));
    json_t *b = booking_of(conv);
    assert_string_equal(str(b, "provider_id"), luis);
    assert_string_equal(str(b, "start"), "2026-12-01T11:00:00+01:00");
    json_decref(b);
    json_decref(conv);
}

static void test_chat__books_by_quick_replies(void **state)
{
    char a[200];
    json_t *conv = start("es");
    snprintf(a, sizeof a, "svc:%s", tinte);
    act(conv, a);
    assert_string_equal(state_of(conv), "provider");
    assert_non_null(offered("pro:any"));
    act(conv, "pro:any");
    assert_string_equal(state_of(conv), "day");
    assert_non_null(offered("day:"));
    act(conv, "day:2026-12-02");
    assert_string_equal(state_of(conv), "time");
    assert_string_equal(slot_of(conv, "date"), "2026-12-02");
    const char *t = offered("time:");
    assert_non_null(t);
    assert_non_null(strstr(t, "2026-12-02T09:00:00+01:00|"));
    snprintf(a, sizeof a, "%s", t);
    act(conv, a);
    assert_string_equal(state_of(conv), "name");
    assert_string_equal(slot_of(conv, "start"), "2026-12-02T09:00:00+01:00");
    say(conv, "Pepe Gómez");
    say(conv, "612 345 678");
    assert_string_equal(state_of(conv), "confirm");
    assert_non_null(offered("change"));
    act(conv, "yes");
    assert_string_equal(state_of(conv), "booked");
    json_t *b = booking_of(conv);
    assert_string_equal(str(b, "service_id"), tinte);
    assert_string_equal(str(b, "start"), "2026-12-02T09:00:00+01:00");
    assert_true(bc_booking_customer_matches(b, NULL, "612 345 678"));
    json_decref(b);
    /* an unknown payload is not understood, and the question comes again */
    act(conv, "dance:now");
    assert_string_equal(said(0), bc_chat_text("es", BC_T_NOT_UNDERSTOOD));
    json_decref(conv);
}

static void test_chat__goes_back_and_starts_over(void **state)
{
    char a[100];
    json_t *conv = start("es");
    snprintf(a, sizeof a, "svc:%s", corte);
    act(conv, a);
    assert_string_equal(state_of(conv), "provider");
    act(conv, "back");
    assert_string_equal(state_of(conv), "service");
    assert_null(slot_of(conv, "service_id"));
    act(conv, a);
    snprintf(a, sizeof a, "pro:%s", ana);
    act(conv, a);
    assert_string_equal(state_of(conv), "day");
    say(conv, "atrás");
    assert_string_equal(state_of(conv), "provider");
    assert_null(slot_of(conv, "provider_id"));
    assert_string_equal(slot_of(conv, "service_id"), corte);
    act(conv, a);
    act(conv, "day:2026-12-03");
    assert_string_equal(state_of(conv), "time");
    say(conv, "empezar de nuevo");
    assert_string_equal(state_of(conv), "service");
    assert_null(slot_of(conv, "service_id"));
    assert_null(slot_of(conv, "date"));
    act(conv, "restart");
    assert_string_equal(state_of(conv), "service");
    assert_int_equal(json_object_size(json_object_get(conv, "slots")), 1); /* just the flow */
    json_decref(conv);
}

static void test_chat__cancels_by_code(void **state)
{
    json_t *conv = start("es");
    say(conv, "corte con Luis el jueves a las 10:30");
    say(conv, "Lucía Martín");
    say(conv, "lucia@example.com");
    say(conv, "sí");
    json_t *b = booking_of(conv);
    char code[16];
    snprintf(code, sizeof code, "%s", str(b, "code"));
    json_decref(b);
    json_decref(conv);

    conv = start("es");
    say(conv, "quiero anular mi cita");
    assert_string_equal(state_of(conv), "code");
    assert_string_equal(slot_of(conv, "flow"), "cancel");
    say(conv, code);
    assert_string_equal(state_of(conv), "code_contact");
    /* a wrong pair finds nothing, and both are asked for again */
    say(conv, "otra@example.com");
    assert_string_equal(state_of(conv), "code");
    assert_null(slot_of(conv, "code"));
    assert_non_null(strstr(said(0), bc_chat_text("es", BC_T_NO_SUCH_BOOKING)));
    say(conv, code);
    say(conv, "lucia@example.com");
    assert_string_equal(state_of(conv), "target_confirm");
    assert_non_null(strstr(said(-1), "jueves 3 de diciembre a las 10:30"));
    say(conv, "sí");
    assert_string_equal(state_of(conv), "booked");
    assert_string_equal(said(0), bc_chat_text("es", BC_T_CANCELLED));
    assert_int_equal(bc_booking_by_code(env, &ctx, code, &b), 0);
    assert_string_equal(str(b, "status"), "cancelled");
    json_decref(b);
    json_decref(conv);
}

static void test_chat__hands_off_to_a_person(void **state)
{
    json_t *conv = start("es");
    assert_false(bc_conv_handoff_open(conv));
    say(conv, "quiero hablar con una persona");
    assert_string_equal(state_of(conv), "handoff");
    assert_string_equal(said(0), bc_chat_text("es", BC_T_HANDOFF_ASK));
    say(conv, "no sé");
    assert_string_equal(state_of(conv), "handoff");
    assert_string_equal(said(0), bc_chat_text("es", BC_T_BAD_CONTACT));
    say(conv, "pepe@example.com");
    assert_string_equal(str(conv, "status"), "handoff");
    assert_true(bc_conv_handoff_open(conv));
    assert_string_equal(str(json_object_get(conv, "handoff"), "email"), "pepe@example.com");
    assert_string_equal(said(0), bc_chat_text("es", BC_T_HANDOFF_DONE));
    /* the hand-off is stored */
    json_t *stored = NULL;
    assert_int_equal(bc_conv_get(env, &ctx, str(conv, "id"), &stored), 0);
    assert_true(bc_conv_handoff_open(stored));
    json_decref(stored);
    json_decref(conv);
}

static void test_chat__three_misses_offer_a_person(void **state)
{
    json_t *conv = start("es");
    say(conv, "blorp");
    assert_string_equal(said(0), bc_chat_text("es", BC_T_NOT_UNDERSTOOD));
    assert_string_not_equal(said(-1), bc_chat_text("es", BC_T_OFFER_HUMAN));
    say(conv, "blorp blorp");
    say(conv, "blorp blorp blorp");
    assert_string_equal(said(0), bc_chat_text("es", BC_T_NOT_UNDERSTOOD));
    assert_string_equal(said(-1), bc_chat_text("es", BC_T_OFFER_HUMAN));
    assert_int_equal(json_integer_value(json_object_get(conv, "fails")), 3);
    assert_string_equal(state_of(conv), "service");
    json_decref(conv);
}

static void test_chat__message_limit_is_said_politely_and_stored(void **state)
{
    json_t *conv = start("en"), *messages = NULL, *items = NULL;
    char *next = NULL;
    assert_int_equal(bc_chat_limit_reached(env, conv, &messages), 0);
    assert_int_equal(json_array_size(messages), 1);
    json_t *m = json_array_get(messages, 0);
    assert_string_equal(str(m, "text"), bc_chat_text("en", BC_T_LIMIT_MESSAGES));
    assert_int_equal(json_array_size(json_object_get(m, "quick_replies")), 0);
    assert_int_equal(bc_conv_messages(env, &ctx, str(conv, "id"), 1000, NULL, &items, &next), 0);
    assert_string_equal(str(json_array_get(items, json_array_size(items) - 1), "text"),
                        bc_chat_text("en", BC_T_LIMIT_MESSAGES));
    free(next);
    json_decref(items);
    json_decref(messages);
    json_decref(conv);
}

static void test_chat__bad_input_and_races(void **state)
{
    json_t *conv = start("es"), *m = NULL;
    assert_int_equal(bc_chat_turn(env, &ctx, conv, NULL, NULL, URL, &m), BC_EINVALID);
    assert_int_equal(bc_chat_turn(env, &ctx, conv, "hola", "back", URL, &m), BC_EINVALID);
    assert_int_equal(bc_chat_turn_understood(env, &ctx, conv, "hola", NULL, URL, &m), BC_EINVALID);
    /* two turns on the same version of the conversation: the second loses */
    json_t *copy = json_deep_copy(conv);
    say(conv, "hola");
    assert_int_equal(bc_chat_turn(env, &ctx, copy, "hola", NULL, URL, &m), BC_ECONFLICT);
    assert_null(m);
    json_decref(copy);
    json_decref(conv);
}

/* ---- dialogue memory ---- */

/* Books up to the confirmation summary: text, then the name and the e-mail. */
static json_t *to_confirm(const char *lang, const char *text, const char *name, const char *email)
{
    json_t *conv = start(lang);
    say(conv, text);
    say(conv, name);
    say(conv, email);
    assert_string_equal(state_of(conv), "confirm");
    return conv;
}

/* At the summary, three corrections in a row (the professional, the time, the day): each changes only what
 * it names, so the summary comes again with the rest as it was. */
static void corrections_at_confirm(const char *lang, const char *first, const char *const says[3],
                                   const char *const starts[3])
{
    json_t *conv = to_confirm(lang, first, "Pablo Gil", "pablo@example.com");
    for (int i = 0; i < 3; i++) {
        say(conv, says[i]);
        assert_string_equal(state_of(conv), "confirm");
        assert_string_equal(slot_of(conv, "slot_provider"), luis);
        assert_string_equal(slot_of(conv, "start"), starts[i]);
        assert_string_equal(slot_of(conv, "name"), "Pablo Gil");
        assert_string_equal(slot_of(conv, "email"), "pablo@example.com");
    }
    json_decref(conv);
}

static void test_chat__a_correction_at_confirm_changes_only_that_in_spanish(void **state)
{
    corrections_at_confirm(
        "es", "corte con Ana el viernes a las 10",
        (const char *const[]){"espera, prefiero con Luis", "¿podría ser a las 11?", "¿y el lunes?"},
        (const char *const[]){"2026-12-04T10:00:00+01:00", "2026-12-04T11:00:00+01:00",
                              "2026-12-07T11:00:00+01:00"});
}

static void test_chat__a_correction_at_confirm_changes_only_that_in_english(void **state)
{
    corrections_at_confirm("en", "a haircut with Ana on Friday at 12pm",
                           (const char *const[]){"actually, with Luis please",
                                                 "actually, could it be at 9 instead?",
                                                 "what about Tuesday?"},
                           (const char *const[]){"2026-12-04T12:00:00+01:00", "2026-12-04T09:00:00+01:00",
                                                 "2026-12-01T09:00:00+01:00"});
}

/* The professional asked for is busy at the chosen time: said, and her nearest times that day offered. */
static void correction_to_a_busy_professional(const char *lang, const char *first, const char *change,
                                              const char *date, const char *busy_words)
{
    char t[80];
    json_t *conv = to_confirm(lang, first, "Rosa Gil", "rosa@example.com");
    say(conv, change);
    assert_string_equal(state_of(conv), "time");
    assert_string_equal(slot_of(conv, "provider_id"), luis);
    assert_string_equal(slot_of(conv, "date"), date);
    assert_null(slot_of(conv, "start"));
    assert_non_null(strstr(said(0), busy_words));
    /* the free times nearest to 12:00, not the first ones of the day */
    snprintf(t, sizeof t, "time:%sT11:30:00+01:00|", date);
    assert_non_null(offered(t));
    snprintf(t, sizeof t, "time:%sT12:30:00+01:00|", date);
    assert_non_null(offered(t));
    snprintf(t, sizeof t, "time:%sT12:00:00+01:00|", date);
    assert_null(offered(t));
    snprintf(t, sizeof t, "time:%sT09:00:00+01:00|", date);
    assert_null(offered(t));
    assert_string_equal(slot_of(conv, "name"), "Rosa Gil");
    json_decref(conv);
}

static void test_chat__a_correction_to_a_busy_professional_offers_her_nearest_times(void **state)
{
    /* Luis is booked on Wednesday and Thursday at 12:00 */
    for (const char *const *b = (const char *const[]){"corte con Luis el miércoles a las 12",
                                                      "corte con Luis el jueves a las 12", NULL};
         *b; b++) {
        json_t *conv = to_confirm("es", *b, "Eva Sanz", "eva@example.com");
        say(conv, "sí");
        assert_string_equal(state_of(conv), "booked");
        json_decref(conv);
    }
    correction_to_a_busy_professional("es", "corte con Ana el jueves a las 12", "espera, prefiero con Luis",
                                      "2026-12-03",
                                      "Luis no está libre a las 12:00 el jueves 3 de diciembre");
    correction_to_a_busy_professional("en", "a haircut with Ana on Wednesday at 12pm",
                                      "actually, with Luis please", "2026-12-02",
                                      "Luis is not free at 12:00 pm on Wednesday, December 2");
}

/* A reschedule request carrying the new day and time goes from the contact check straight to confirming. */
static void reschedule_in_one_message(const char *lang, const char *first, const char *before,
                                      const char *after, const char *email, const char *expect_words)
{
    char text[200];
    json_t *conv = to_confirm(lang, first, "Ines Mora", email);
    say(conv, lang[0] == 'e' && lang[1] == 's' ? "sí" : "yes");
    json_t *b = booking_of(conv);
    char code[16];
    snprintf(code, sizeof code, "%s", str(b, "code"));
    json_decref(b);
    json_decref(conv);

    conv = start(lang);
    snprintf(text, sizeof text, "%s%s%s", before, code, after);
    say(conv, text);
    assert_string_equal(state_of(conv), "code_contact");
    assert_string_equal(slot_of(conv, "flow"), "resched");
    say(conv, email);
    assert_string_equal(state_of(conv), "target_confirm");
    assert_string_equal(slot_of(conv, "start"), "2026-12-07T09:00:00+01:00");
    assert_non_null(strstr(said(-1), expect_words));
    say(conv, lang[0] == 'e' && lang[1] == 's' ? "sí" : "yes");
    assert_int_equal(bc_booking_by_code(env, &ctx, code, &b), 0);
    assert_string_equal(str(b, "start"), "2026-12-07T09:00:00+01:00");
    json_decref(b);
    json_decref(conv);
}

static void test_chat__a_reschedule_with_the_new_time_goes_straight_to_confirming(void **state)
{
    reschedule_in_one_message("es", "corte con Ana el viernes a las 12:30", "necesito pasar mi reserva ",
                              " al lunes a las 9", "ines@example.com", "a lunes 7 de diciembre a las 09:00");
    reschedule_in_one_message("en", "a haircut with Luis on Friday at 10:30am", "please shift booking ",
                              " to Monday 9am", "ines.en@example.com", "Monday, December 7");
}

static void test_chat__questions_in_the_middle_of_a_booking_lose_nothing(void **state)
{
    json_t *conv = start("es");
    say(conv, "corte con Ana el viernes por la mañana");
    assert_string_equal(state_of(conv), "time");
    say(conv, "¿cuánto cuesta?");
    assert_non_null(strstr(said(0), "Precios:"));
    assert_string_equal(state_of(conv), "time");
    assert_string_equal(slot_of(conv, "date"), "2026-12-04");
    assert_string_equal(slot_of(conv, "provider_id"), ana);
    assert_non_null(strstr(said(-1), "Horas libres el viernes 4 de diciembre"));
    say(conv, "a las 11:30");
    assert_string_equal(state_of(conv), "name");
    say(conv, "¿dónde estáis?");
    assert_string_equal(state_of(conv), "name");
    assert_string_equal(slot_of(conv, "start"), "2026-12-04T11:30:00+01:00");
    assert_non_null(strstr(said(-1), "¿A nombre de quién"));
    say(conv, "Juan Pérez");
    say(conv, "juan@example.com");
    assert_string_equal(state_of(conv), "confirm");
    /* a question naming a day asks about the day, it does not move the booking */
    say(conv, "¿qué horario tenéis el sábado?");
    assert_non_null(strstr(said(0), "Nuestro horario"));
    assert_string_equal(state_of(conv), "confirm");
    assert_string_equal(slot_of(conv, "start"), "2026-12-04T11:30:00+01:00");
    assert_string_equal(slot_of(conv, "date"), "2026-12-04");
    /* after the booking too: the answer, then "anything else?" again */
    say(conv, "sí");
    assert_string_equal(state_of(conv), "booked");
    say(conv, "¿dónde estáis?");
    assert_string_equal(state_of(conv), "booked");
    assert_string_equal(said(-1), bc_chat_text("es", BC_T_ANYTHING_ELSE));
    json_decref(conv);

    /* a question that also asks for a booking takes its values */
    conv = start("es");
    say(conv, "quiero un tinte con Ana, ¿cuánto cuesta?");
    assert_non_null(strstr(said(0), "Precios:"));
    assert_string_equal(slot_of(conv, "service_id"), tinte);
    assert_string_equal(slot_of(conv, "provider_id"), ana);
    assert_string_equal(state_of(conv), "day");
    json_decref(conv);

    conv = start("en");
    say(conv, "a haircut with Luis on Friday");
    assert_string_equal(state_of(conv), "time");
    say(conv, "what are your opening hours?");
    assert_non_null(strstr(said(0), "Our opening hours"));
    assert_string_equal(state_of(conv), "time");
    assert_non_null(strstr(said(-1), "Free times on Friday, December 4"));
    say(conv, "how much is it?");
    assert_non_null(strstr(said(0), "Prices:"));
    assert_string_equal(slot_of(conv, "date"), "2026-12-04");
    assert_string_equal(slot_of(conv, "provider_id"), luis);
    json_decref(conv);
}

static void test_chat__several_facts_in_one_message_are_all_taken(void **state)
{
    static const struct {
        const char *lang, *first, *facts, *name, *email;
    } cases[] = {
        {"es", "corte con Ana", "me llamo Pablo Gil y mi correo es pablo@example.com, mejor por la tarde",
         "Pablo Gil", "pablo@example.com"},
        {"en", "a haircut with Luis", "I'm Paul Smith, paul@example.com, afternoons are best", "Paul Smith",
         "paul@example.com"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *conv = start(cases[i].lang);
        say(conv, cases[i].first);
        assert_string_equal(state_of(conv), "day");
        say(conv, cases[i].facts);
        assert_string_equal(slot_of(conv, "name"), cases[i].name);
        assert_string_equal(slot_of(conv, "email"), cases[i].email);
        assert_string_equal(slot_of(conv, "part"), "afternoon");
        /* a preference of its own, kept for the day said next */
        assert_string_equal(slot_of(conv, "part_pref"), "1");
        assert_string_equal(state_of(conv), "day");
        json_decref(conv);
    }
}

/* ---- windows ---- */

/* Books Ana on a day at a time, through the chat. */
static void book_ana(const char *when)
{
    char text[120];
    snprintf(text, sizeof text, "corte con Ana el %s", when);
    json_t *conv = to_confirm("es", text, "Eva Sanz", "eva@example.com");
    say(conv, "sí");
    assert_string_equal(state_of(conv), "booked");
    json_decref(conv);
}

/* One message with a day and a window: the earliest free time inside it is taken and said. */
static void window_takes_earliest(const char *lang, const char *text, const char *at, const char *words)
{
    json_t *conv = start(lang);
    say(conv, text);
    assert_string_equal(state_of(conv), "name");
    assert_string_equal(slot_of(conv, "start"), at);
    assert_non_null(strstr(said(0), words));
    act(conv, "restart"); /* lets go of the hold, so the next case finds the same times free */
    assert_null(slot_of(conv, "start"));
    json_decref(conv);
}

/* Ana is booked on Tuesday 15 December at 10:00 and 10:30, and at 12:00 and 12:30. */
static void test_chat__a_window_takes_its_earliest_free_time(void **state)
{
    for (const char *const *w =
             (const char *const[]){"15 de diciembre a las 10", "15 de diciembre a las 10:30",
                                   "15 de diciembre a las 12", "15 de diciembre a las 12:30", NULL};
         *w; w++)
        book_ana(*w);
    window_takes_earliest(
        "es", "corte con Ana el 15 de diciembre entre las 10 y las 12", "2026-12-15T11:00:00+01:00",
        "El martes 15 de diciembre entre las 10:00 y las 12:00, lo primero libre es a las 11:00.");
    window_takes_earliest("en", "a haircut with Ana on December 15 between 10 and 12",
                          "2026-12-15T11:00:00+01:00",
                          "On Tuesday, December 15 between 10:00 am and 12:00 pm, the earliest free time is "
                          "11:00 am.");
    window_takes_earliest("es", "corte con Ana el 15 de diciembre a partir de las 10",
                          "2026-12-15T11:00:00+01:00",
                          "a partir de las 10:00, lo primero libre es a las 11:00.");
    window_takes_earliest("en", "a haircut with Ana on December 15, sometime after 10am",
                          "2026-12-15T11:00:00+01:00",
                          "from 10:00 am on, the earliest free time is 11:00 am.");
    window_takes_earliest("es", "corte con Ana el 15 de diciembre antes de las 11",
                          "2026-12-15T09:00:00+01:00",
                          "antes de las 11:00, lo primero libre es a las 09:00.");
    /* the edges: the first and the last free time of the day (her day ends at 13:00, so "late" is the
     * morning's end) */
    window_takes_earliest("es", "corte con Ana el 15 de diciembre a primera hora",
                          "2026-12-15T09:00:00+01:00", "lo primero libre es a las 09:00.");
    window_takes_earliest("es", "corte con Ana el 15 de diciembre lo más tarde posible",
                          "2026-12-15T11:30:00+01:00", "lo último libre es a las 11:30.");
    window_takes_earliest("es", "corte con Ana el 15 de diciembre a última hora", "2026-12-15T11:30:00+01:00",
                          "lo último libre es a las 11:30.");
    window_takes_earliest("en", "a haircut with Ana on December 15, as late as possible",
                          "2026-12-15T11:30:00+01:00", "the latest free time is 11:30 am.");
    /* a duration from now (Monday 30 November, 09:00): the earliest free time from then on, never 15:00 */
    window_takes_earliest("es", "corte con Ana dentro de dos horas", "2026-11-30T11:00:00+01:00",
                          "a partir de las 11:00");
    window_takes_earliest("en", "a haircut with Luis in 90 minutes", "2026-11-30T10:30:00+01:00",
                          "from 10:30 am on");
}

/* A window said before the day is kept for the day said next; a window with nothing free is said, the
 * day's times are listed, and the window stays for the next day named; a time said or picked replaces it. */
static void test_chat__a_window_is_remembered_for_the_day_said_next(void **state)
{
    static const struct {
        const char *lang, *first, *day, *other;
    } cases[] = {
        {"es", "corte con Ana, después de las 11", "el 15 de diciembre", "¿y el 16?"},
        {"en", "a haircut with Ana, sometime after 11am", "on December 15", "what about the 16th?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *conv = start(cases[i].lang);
        say(conv, cases[i].first);
        assert_string_equal(state_of(conv), "day");
        assert_non_null(json_object_get(json_object_get(conv, "slots"), "window"));
        say(conv, cases[i].day);
        assert_string_equal(state_of(conv), "name");
        assert_string_equal(slot_of(conv, "start"), "2026-12-15T11:00:00+01:00");
        say(conv, cases[i].other); /* another day at the name question: the window again, not 11:00 as such */
        assert_string_equal(slot_of(conv, "start"), "2026-12-16T11:00:00+01:00");
        act(conv, "restart");
        json_decref(conv);
    }
    /* nothing free in the window (12:00-13:00 on the 15th is taken): said, the day's times listed */
    json_t *conv = start("es");
    say(conv, "corte con Ana el 15 de diciembre entre las 12 y la 1");
    assert_string_equal(state_of(conv), "time");
    assert_null(slot_of(conv, "start"));
    assert_non_null(
        strstr(said(0), "El martes 15 de diciembre no queda nada libre entre las 12:00 y las 13:00."));
    assert_non_null(offered("time:2026-12-15T11:00:00+01:00|"));
    say(conv, "¿y el 16?");
    assert_string_equal(slot_of(conv, "start"), "2026-12-16T12:00:00+01:00");
    /* a time said replaces the window */
    say(conv, "mejor a las 9");
    assert_string_equal(slot_of(conv, "start"), "2026-12-16T09:00:00+01:00");
    assert_null(json_object_get(json_object_get(conv, "slots"), "window"));
    act(conv, "restart");
    json_decref(conv);
    conv = start("en");
    say(conv, "a haircut with Ana on December 15 between 12 and 1pm");
    assert_string_equal(state_of(conv), "time");
    assert_non_null(
        strstr(said(0), "There is nothing free on Tuesday, December 15 between 12:00 pm and 1:00 pm."));
    /* a time picked from the list replaces the window: another day then keeps that time */
    char pick[128];
    assert_non_null(offered("time:2026-12-15T11:00:00+01:00|"));
    snprintf(pick, sizeof pick, "%s", offered("time:2026-12-15T11:00:00+01:00|"));
    act(conv, pick);
    assert_null(json_object_get(json_object_get(conv, "slots"), "window"));
    say(conv, "what about the 16th?");
    assert_string_equal(slot_of(conv, "start"), "2026-12-16T11:00:00+01:00");
    act(conv, "restart");
    json_decref(conv);
}

static void set_holidays(json_t *place)
{
    char msg[256];
    json_t *out = NULL, *patch = json_pack("{s:o}", "holidays", place);
    if (bc_settings_patch(env, &ctx, patch, msg, sizeof msg, &out) < 0) fail_msg("settings: %s", msg);
    json_decref(patch);
    json_decref(out);
}

/* A day closed for a public holiday is named as such, in both languages, with the open days offered;
 * a day that is only full keeps the plain answer. Tuesday 2026-12-08 is a holiday in Spain. */
static void test_chat__holiday_is_named(void **state)
{
    set_holidays(json_pack("{s:s, s:s}", "country", "ES", "region", "MD"));
    json_t *conv = start("es");
    say(conv, "quiero un corte con Ana el 8 de diciembre");
    assert_string_equal(state_of(conv), "day");
    assert_null(slot_of(conv, "date"));
    assert_non_null(strstr(said(-1), "Ese día está cerrado (festivo: Inmaculada Concepción)."));
    assert_non_null(offered("day:"));
    json_decref(conv);
    conv = start("en");
    say(conv, "a haircut with Ana on December 8");
    assert_string_equal(state_of(conv), "day");
    assert_non_null(strstr(said(-1), "We're closed that day (holiday: Inmaculada Concepción)."));
    json_decref(conv);
    /* Saturday 2026-12-05 is closed too, but not for a holiday */
    conv = start("en");
    say(conv, "a haircut with Ana on December 5");
    assert_null(strstr(said(-1), "holiday"));
    assert_non_null(strstr(said(-1), "There are no free times on"));
    json_decref(conv);
    set_holidays(json_null());
    conv = start("es");
    say(conv, "quiero un corte con Ana el 8 de diciembre");
    assert_null(strstr(said(-1), "festivo"));
    json_decref(conv);
}

/* Whether the last turn offered the quick reply payload exactly. */
static bool offered_exactly(const char *payload)
{
    size_t i, j;
    json_t *m, *q;
    json_array_foreach(last, i, m) json_array_foreach(json_object_get(m, "quick_replies"), j, q)
    {
        if (strcmp(json_string_value(json_object_get(q, "payload")), payload) == 0) return true;
    }
    return false;
}

/* The services, professionals and NLU catalogue a turn reads are kept between turns (chat_catalogue.c), and
 * every change shows at the very next turn: one made here, and one made through another handle of the store
 * (as another process would). */
static void test_chat__the_kept_catalogue_shows_every_change_at_once(void **state)
{
    char svc[80], msg[256];
    snprintf(svc, sizeof svc, "svc:%s", tinte);
    json_t *a = start("es");
    unsigned long taken = bc_kept_taken(env->catalogues);
    json_t *b = start("es");
    if (strcmp(store->ops->name, "lmdb") == 0) assert_true(bc_kept_taken(env->catalogues) > taken);
    assert_true(offered_exactly(svc));
    /* another process deactivates Tinte */
    if (strcmp(store->ops->name, "lmdb") == 0) {
        struct bc_store *other = bc_test_open_lmdb(url + 5);
        char pk[128], sk[128];
        snprintf(pk, sizeof pk, "TENANT#%s", ctx.tenant_id);
        snprintf(sk, sizeof sk, "SERVICE#%s", tinte);
        json_t *set = json_pack("{s:b}", "active", 0);
        struct bc_update u = {set, NULL, NULL};
        assert_int_equal(bc_store_update(other, pk, sk, &u, NULL, NULL), 0);
        json_decref(set);
        bc_store_close(other);
        json_t *c = start("es");
        assert_false(offered_exactly(svc));
        json_decref(c);
    }
    /* this process activates it again, then renames it */
    json_t *out = NULL, *body = json_pack("{s:b}", "active", 1);
    assert_int_equal(bc_service_patch(env, &ctx, tinte, body, msg, sizeof msg, &out), 0);
    json_decref(body);
    json_decref(out);
    json_t *d = start("es");
    assert_true(offered_exactly(svc));
    body = json_pack("{s:s}", "name", "Mechas");
    assert_int_equal(bc_service_patch(env, &ctx, tinte, body, msg, sizeof msg, &out), 0);
    json_decref(body);
    json_decref(out);
    say(d, "mechas"); /* the NLU knows the new name at once */
    assert_string_equal(slot_of(d, "service_id"), tinte);
    body = json_pack("{s:s}", "name", "Tinte");
    assert_int_equal(bc_service_patch(env, &ctx, tinte, body, msg, sizeof msg, &out), 0);
    json_decref(body);
    json_decref(out);
    /* a professional's change shows too: Luis away, then back */
    char pro[80];
    snprintf(pro, sizeof pro, "pro:%s", luis);
    for (int active = 0; active <= 1; active++) {
        body = json_pack("{s:b}", "active", active);
        assert_int_equal(bc_provider_patch(env, &ctx, luis, body, msg, sizeof msg, &out), 0);
        json_decref(body);
        json_decref(out);
        json_t *e = start("es");
        say(e, "corte");
        assert_true(offered_exactly(pro) == (active == 1));
        json_decref(e);
    }
    json_decref(a);
    json_decref(b);
    json_decref(d);
}

/* A conversation's messages share its ttl, so the store indexes their expiry by one entry (store.h,
 * ttl_group): three turns add the conversation's entry and its messages' one, not one per message; past the
 * retention the reaper removes the conversation and every message. Runs last: it moves the clock. */
static void test_chat__a_conversation_expires_with_its_messages(void **state)
{
    json_int_t items0, entries0, items, entries;
    while (bc_store_reap(store, 1000) > 0) {
    }
    bc_test_store_counts(store, &items0, &entries0);
    json_t *conv = start("es");
    say(conv, "corte");
    say(conv, "con Ana");
    say(conv, "hola");
    json_int_t msgs = json_integer_value(json_object_get(conv, "seq"));
    assert_true(msgs >= 8); /* greeting and question, then three turns of a message and at least one answer */
    bc_test_store_counts(store, &items, &entries);
    assert_int_equal(items, items0 + 1 + msgs);
    assert_int_equal(entries, entries0 + 2);
    /* a day past the retention (90 days by default) */
    bc_clock_advance(91 * 86400);
    int reaped = 0, n;
    while ((n = bc_store_reap(store, 5)) > 0) reaped += n;
    assert_int_equal(n, 0);
    assert_true(reaped >= 1 + msgs);
    bc_test_store_counts(store, &items, &entries);
    assert_true(items <= items0);
    assert_int_equal(entries, 0); /* all expire by then */
    json_t *gone = NULL;
    assert_int_equal(bc_conv_get(env, &ctx, json_string_value(json_object_get(conv, "id")), &gone),
                     BC_ENOT_FOUND);
    bc_clock_advance(-91 * 86400);
    json_decref(conv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat__start_greets_and_asks_for_the_service),
        cmocka_unit_test(test_chat__books_by_free_text_in_spanish),
        cmocka_unit_test(test_chat__books_by_free_text_in_english),
        cmocka_unit_test(test_chat__books_by_quick_replies),
        cmocka_unit_test(test_chat__goes_back_and_starts_over),
        cmocka_unit_test(test_chat__cancels_by_code),
        cmocka_unit_test(test_chat__hands_off_to_a_person),
        cmocka_unit_test(test_chat__three_misses_offer_a_person),
        cmocka_unit_test(test_chat__message_limit_is_said_politely_and_stored),
        cmocka_unit_test(test_chat__holiday_is_named),
        cmocka_unit_test(test_chat__bad_input_and_races),
        cmocka_unit_test(test_chat__a_correction_at_confirm_changes_only_that_in_spanish),
        cmocka_unit_test(test_chat__a_correction_at_confirm_changes_only_that_in_english),
        cmocka_unit_test(test_chat__a_correction_to_a_busy_professional_offers_her_nearest_times),
        cmocka_unit_test(test_chat__a_reschedule_with_the_new_time_goes_straight_to_confirming),
        cmocka_unit_test(test_chat__questions_in_the_middle_of_a_booking_lose_nothing),
        cmocka_unit_test(test_chat__several_facts_in_one_message_are_all_taken),
        cmocka_unit_test(test_chat__a_window_takes_its_earliest_free_time),
        cmocka_unit_test(test_chat__a_window_is_remembered_for_the_day_said_next),
        cmocka_unit_test(test_chat__the_kept_catalogue_shows_every_change_at_once),
        cmocka_unit_test(test_chat__a_conversation_expires_with_its_messages),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    json_decref(last);
    return rc;
}
