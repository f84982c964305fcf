/* Unit tests of the NLU (src/nlu/nlu*.c) besides dates and times: intents, names, e-mail, phone,
 * booking codes, matching of services and professionals (accents, typos, synonyms, false positives), the
 * catalog API, the language guess, hostile input and concurrent use. Expected values are written by hand. */
#include "../testlib.h"

#include "nlu/nlu.h"
#include "nlu/nlu_internal.h"
#include "util/err.h"

#include <pthread.h>

static const struct bc_nlu_datetime REF = {2026, 11, 25, 3, 10, 0};
static struct bc_nlu_catalog *catalog;

static int setup(void **state)
{
    (void)state;
    catalog = bc_nlu_catalog_new();
    assert_non_null(catalog);
    const char *corte[] = {"corte", "haircut", "cortar el pelo"};
    const char *masaje[] = {"massage"};
    const char *manicura[] = {"manicure", "uñas"};
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_SERVICE, "s_corte", "Corte de pelo", corte, 3), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_SERVICE, "s_barba", "Arreglo de barba", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_SERVICE, "s_masaje", "Masaje relajante", masaje, 1),
                     0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_SERVICE, "s_mani", "Manicura", manicura, 2), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_SERVICE, "s_tinte", "Tinte", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_ana", "Ana López", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_anag", "Ana García", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_john", "John Smith", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_mar", "Mar", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_lucia", "Lucía", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_domingo", "Domingo", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_may", "May", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_sara", "Sara", NULL, 0), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_nlu_catalog_free(catalog);
    return 0;
}

static struct bc_nlu_result parse_x(const char *text, const char *lang, enum bc_nlu_expect expect,
                                    const struct bc_nlu_code_format *fmt)
{
    struct bc_nlu_request req = {.text = text,
                                 .len = strlen(text),
                                 .lang = lang,
                                 .now = REF,
                                 .catalog = catalog,
                                 .expect = expect,
                                 .code_fmt = fmt};
    struct bc_nlu_result o;
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    return o;
}

static struct bc_nlu_result parse(const char *text, const char *lang)
{
    return parse_x(text, lang, BC_NLU_EXPECT_NONE, NULL);
}

static const char *str(const char *s)
{
    return s ? s : "";
}

/* ---- intents ---- */

struct intent_row {
    const char *lang, *text, *intent;
};

static const struct intent_row intent_rows[] = {
    {"es", "hola", "greeting"},
    {"es", "Buenas tardes", "greeting"},
    {"es", "buenos días", "greeting"},
    {"es", "gracias", "thanks"},
    {"es", "muchas gracias!", "thanks"},
    {"es", "adiós", "goodbye"},
    {"es", "hasta luego", "goodbye"},
    {"es", "sí", "yes"},
    {"es", "Sí", "yes"},
    {"es", "si", "yes"},
    {"es", "si, vale", "yes"},
    {"es", "vale", "yes"},
    {"es", "ok", "yes"},
    {"es", "de acuerdo", "yes"},
    {"es", "claro", "yes"},
    {"es", "claro que sí", "yes"},
    {"es", "perfecto, gracias", "yes"},
    {"es", "está bien", "yes"},
    {"es", "bien", "yes"},
    {"es", "no", "no"},
    {"es", "No.", "no"},
    {"es", "mejor no", "no"},
    {"es", "no gracias", "no"},
    {"es", "nop", "no"},
    {"es", "atrás", "back"},
    {"es", "atras", "back"},
    {"es", "volver", "back"},
    {"es", "volver atrás", "back"},
    {"es", "empezar de nuevo", "restart"},
    {"es", "volver a empezar", "restart"},
    {"es", "quiero empezar de cero", "restart"},
    {"es", "hablar con una persona", "human"},
    {"es", "quiero hablar con alguien", "human"},
    {"es", "¿me puede atender un humano?", "human"},
    {"es", "quiero reservar", "book"},
    {"es", "quiero pedir cita", "book"},
    {"es", "hola, quiero reservar una cita", "book"},
    {"es", "¿tenéis hueco el jueves?", "book"},
    {"es", "quiero un corte", "book"},
    {"es", "quiero el jueves", "inform"},
    {"es", "quiero cancelar mi cita", "cancel"},
    {"es", "anular la reserva", "cancel"},
    {"es", "cancelar", "cancel"},
    {"es", "canselar mi cita", "cancel"},
    {"es", "no voy a poder ir", "cancel"},
    {"es", "quiero cambiar mi cita al viernes", "reschedule"},
    {"es", "¿puedo mover mi reserva?", "reschedule"},
    {"es", "reprogramar", "reschedule"},
    {"es", "mejor con Ana", "change"},
    {"es", "no, mejor el viernes", "change"},
    {"es", "quiero cambiar la hora", "change"},
    {"es", "¿hay otro día?", "change"},
    {"es", "en vez de corte, tinte", "change"},
    {"es", "¿a qué hora abrís?", "hours"},
    {"es", "¿cuál es el horario?", "hours"},
    {"es", "¿abren los sábados?", "hours"},
    {"es", "¿cuánto cuesta un corte?", "prices"},
    {"es", "¿cuánto vale?", "prices"},
    {"es", "precios", "prices"},
    {"es", "¿dónde estáis?", "location"},
    {"es", "dirección", "location"},
    {"es", "¿cómo llego?", "location"},
    {"es", "me llamo Ana", "inform"},
    {"es", "el jueves a las 5", "inform"},
    {"es", "asdfgh", "unknown"},
    {"es", "", "unknown"},
    {"es", "si puede ser el lunes", "inform"},
    {"es", "¿qué tal?", "greeting"},
    {"en", "hi", "greeting"},
    {"en", "hello there", "greeting"},
    {"en", "good morning", "greeting"},
    {"en", "thanks", "thanks"},
    {"en", "thank you so much", "thanks"},
    {"en", "bye", "goodbye"},
    {"en", "yes", "yes"},
    {"en", "yeah sure", "yes"},
    {"en", "yep", "yes"},
    {"en", "sure", "yes"},
    {"en", "sounds good", "yes"},
    {"en", "ok", "yes"},
    {"en", "no", "no"},
    {"en", "nope", "no"},
    {"en", "no thanks", "no"},
    {"en", "back", "back"},
    {"en", "go back", "back"},
    {"en", "start over", "restart"},
    {"en", "let's start again", "restart"},
    {"en", "I want to talk to a human", "human"},
    {"en", "can I speak to a person?", "human"},
    {"en", "agent", "human"},
    {"en", "I'd like to book a haircut", "book"},
    {"en", "can I make an appointment?", "book"},
    {"en", "do you have availability tomorrow?", "book"},
    {"en", "I need to cancel my appointment", "cancel"},
    {"en", "cancel", "cancel"},
    {"en", "I can't make it", "cancel"},
    {"en", "can I reschedule?", "reschedule"},
    {"en", "I want to move my booking to monday", "reschedule"},
    {"en", "actually 5pm", "change"},
    {"en", "with John instead", "change"},
    {"en", "what are your opening hours?", "hours"},
    {"en", "when do you open?", "hours"},
    {"en", "how much is a massage?", "prices"},
    {"en", "prices please", "prices"},
    {"en", "where are you located?", "location"},
    {"en", "what's the address?", "location"},
    {"en", "my name is John", "inform"},
};

static void test_nlu__intents(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof intent_rows / sizeof intent_rows[0]; i++) {
        const struct intent_row *r = &intent_rows[i];
        struct bc_nlu_result o = parse(r->text, r->lang);
        if (strcmp(bc_nlu_intent_name(o.intent), r->intent) != 0) {
            print_message("FAIL \"%s\": got %s, want %s\n", r->text, bc_nlu_intent_name(o.intent), r->intent);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

static void test_nlu__intent_bits_and_targets(void **state)
{
    (void)state;
    struct bc_nlu_result o = parse("hola, quiero reservar un masaje, gracias", "es");
    assert_int_equal(o.intent, BC_NLU_BOOK);
    assert_true(o.intents & BC_NLU_BIT(BC_NLU_GREETING));
    assert_true(o.intents & BC_NLU_BIT(BC_NLU_THANKS));
    assert_true(o.intents & BC_NLU_BIT(BC_NLU_INFORM));
    assert_string_equal(str(o.service_id), "s_masaje");
    o = parse("vale, el jueves entonces", "es");
    assert_int_equal(o.intent, BC_NLU_YES);
    assert_string_equal(o.date, "2026-11-26");
    o = parse("quiero cambiar la hora", "es");
    assert_int_equal(o.change_target, BC_NLU_SLOT_TIME);
    assert_string_equal(bc_nlu_slot_name(o.change_target), "time");
    o = parse("mejor con Ana López", "es");
    assert_int_equal(o.change_target, BC_NLU_SLOT_PROVIDER);
    o = parse("no, el jueves", "es");
    assert_int_equal(o.intent, BC_NLU_CHANGE);
    assert_int_equal(o.change_target, BC_NLU_SLOT_DATE);
    assert_true(o.intents & BC_NLU_BIT(BC_NLU_NO));
    o = parse("I'd rather change the day", "en");
    assert_int_equal(o.intent, BC_NLU_CHANGE);
    assert_int_equal(o.change_target, BC_NLU_SLOT_DATE);
    o = parse("mi reserva es K7M2QX", "es");
    assert_int_equal(o.intent, BC_NLU_INFORM);
    assert_string_equal(o.code, "K7M2QX");
    o = parse("quiero cancelar la reserva K7M2QX", "es");
    assert_int_equal(o.intent, BC_NLU_CANCEL);
    assert_string_equal(o.code, "K7M2QX");
    /* names of the API */
    for (int i = 0; i < BC_NLU__INTENT_COUNT; i++)
        assert_int_equal(bc_nlu_intent_from_name(bc_nlu_intent_name((enum bc_nlu_intent)i)), i);
    assert_int_equal(bc_nlu_intent_from_name("nonsense"), -1);
    assert_string_equal(bc_nlu_intent_name((enum bc_nlu_intent)99), "unknown");
    assert_string_equal(bc_nlu_part_name(BC_NLU_PART_EVENING), "evening");
    assert_string_equal(bc_nlu_part_name(BC_NLU_PART_NONE), "");
    assert_string_equal(bc_nlu_qualifier_name(BC_NLU_AT_RANGE), "range");
    assert_true(bc_nlu_lang_supported("es"));
    assert_true(bc_nlu_lang_supported("en-GB"));
    assert_false(bc_nlu_lang_supported("fr"));
    assert_false(bc_nlu_lang_supported("esp"));
    assert_false(bc_nlu_lang_supported(NULL));
}

static void test_nlu__no_preference(void **state)
{
    (void)state;
    static const char *const any[] = {
        "me da igual",     "cualquiera", "con cualquiera", "quien sea",    "el que esté libre",
        "sin preferencia", "anyone",     "no preference",  "I don't mind", "whoever is available"};
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++) {
        struct bc_nlu_result o = parse(any[i], "es");
        if (!o.provider_any) print_message("FAIL \"%s\"\n", any[i]);
        assert_true(o.provider_any);
        assert_true(o.no_preference);
        assert_null(o.provider_id);
    }
    struct bc_nlu_result o = parse("me da igual la hora", "es");
    assert_true(o.no_preference);
    assert_false(o.provider_any);
    o = parse("any time is fine", "en");
    assert_true(o.no_preference);
    assert_false(o.provider_any);
}

/* ---- names, e-mail, phone, codes ---- */

static void test_nlu__names(void **state)
{
    (void)state;
    static const struct {
        const char *text, *name;
    } rows[] = {
        {"me llamo Ana López", "Ana López"},
        {"Me llamo ana lópez", "Ana López"},
        {"hola, soy Juan", "Juan"},
        {"soy juan", "Juan"},
        {"soy Juan y quiero un corte", "Juan"},
        {"mi nombre es María de la Cruz", "María de la Cruz"},
        {"mi nombre es maría de la cruz", "María de la Cruz"},
        {"a nombre de Pedro Sánchez Gil", "Pedro Sánchez Gil"},
        {"nombre: Lucía", "Lucía"},
        {"me llamo Jean-Luc", "Jean-Luc"},
        {"my name is John Smith", "John Smith"},
        {"My name's John Smith and I'd like a haircut", "John Smith"},
        {"Hi, I'm Sarah", "Sarah"},
        {"this is Peter O'Neill", "Peter O'Neill"},
        {"under the name of Emily Brown", "Emily Brown"},
        {"me llamo Domingo", "Domingo"},
        {"soy nuevo", ""},
        {"soy alérgica al tinte", ""},
        {"soy de Madrid", ""},
        {"I'm looking for a haircut", ""},
        {"I'm free tomorrow", ""},
        {"i'm not sure", ""},
        {"I am sure", ""},
        {"el nombre está mal", ""},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct bc_nlu_result o = parse(rows[i].text, "es");
        if (strcmp(o.name, rows[i].name)) {
            print_message("FAIL \"%s\": got '%s', want '%s'\n", rows[i].text, o.name, rows[i].name);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
    /* a bare answer counts as a name only when a name is expected */
    struct bc_nlu_result o = parse_x("ana lópez garcía", "es", BC_NLU_EXPECT_NAME, NULL);
    assert_string_equal(o.name, "Ana López García");
    o = parse_x("Hola, Pedro Ruiz.", "es", BC_NLU_EXPECT_NAME, NULL);
    assert_string_equal(o.name, "Pedro Ruiz");
    o = parse_x("vale, Marta", "es", BC_NLU_EXPECT_NAME, NULL);
    assert_string_equal(o.name, "Marta");
    o = parse_x("Pedro Ruiz", "es", BC_NLU_EXPECT_NONE, NULL);
    assert_string_equal(o.name, "");
    o = parse_x("atrás", "es", BC_NLU_EXPECT_NAME, NULL);
    assert_string_equal(o.name, "");
    assert_int_equal(o.intent, BC_NLU_BACK);
    o = parse_x("12345", "es", BC_NLU_EXPECT_NAME, NULL);
    assert_string_equal(o.name, "");
    /* a very long name is cut on a character boundary */
    char longname[300];
    snprintf(longname, sizeof longname, "me llamo %s %s %s %s", "Ñañañañañañañañañañañañañaña",
             "Ñañañañañañañañañañañañañaña", "Ñañañañañañañañañañañañañaña", "Ñañañañañañañañañañañañañaña");
    o = parse(longname, "es");
    assert_true(strlen(o.name) < sizeof o.name);
    assert_true(strlen(o.name) > 40);
    assert_int_equal((unsigned char)o.name[strlen(o.name) - 1] & 0xC0, (unsigned char)'a' & 0xC0);
}

static void test_nlu__email(void **state)
{
    (void)state;
    static const struct {
        const char *text, *email;
    } rows[] = {
        {"mi correo es Ana.Lopez@Gmail.com", "ana.lopez@gmail.com"},
        {"ana+citas@mail.example.co.uk, gracias", "ana+citas@mail.example.co.uk"},
        {"email: john_smith-99@sub.domain.io.", "john_smith-99@sub.domain.io"},
        {"<pepe@correo.es>", "pepe@correo.es"},
        {"@gmail.com", ""},
        {"ana@", ""},
        {"ana@localhost", ""},
        {"ana@gmail.c", ""},
        {"ana@-gmail.com", ""},
        {"ana..lopez@gmail.com", ""},
        {"ana@gmail..com", ""},
        {"a las 5 @ la peluquería", ""},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct bc_nlu_result o = parse(rows[i].text, "es");
        if (strcmp(o.email, rows[i].email)) {
            print_message("FAIL \"%s\": got '%s', want '%s'\n", rows[i].text, o.email, rows[i].email);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
    struct bc_nlu_result o = parse("escríbeme a josé@correo.es", "es"); /* non-ASCII local parts: no */
    assert_string_equal(o.email, "");
    /* the e-mail's digits are not a phone, a time or a code */
    o = parse("ana1730@gmail.com mañana", "es");
    assert_string_equal(o.email, "ana1730@gmail.com");
    assert_string_equal(o.phone, "");
    assert_false(o.has_time);
    assert_string_equal(o.code, "");
    assert_string_equal(o.date, "2026-11-26");
}

static void test_nlu__phone(void **state)
{
    (void)state;
    static const struct {
        const char *text, *phone;
    } rows[] = {
        {"mi móvil es 612 345 678", "612345678"},
        {"612345678", "612345678"},
        {"612-34-56-78", "612345678"},
        {"+34 612 34 56 78", "+34612345678"},
        {"+34612345678", "+34612345678"},
        {"0034 612 345 678", "+34612345678"},
        {"(+34) 91 123 45 67", "+34911234567"},
        {"call me at (555) 123-4567", "5551234567"},
        {"555.123.4567", "5551234567"},
        {"+1 555 123 4567", "+15551234567"},
        {"+44 20 7946 0958", "+442079460958"},
        {"a las 5 612 345 678", "612345678"},
        {"tel 612345678 y email ana@x.com", "612345678"},
        {"12345", ""},
        {"15/12/2026", ""},
        {"2026-12-15 10:00", ""},
        {"15.12.2026", ""},
        {"a las 17:30", ""},
        {"1234567890123456789", ""},
        {"K7M2QX", ""},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct bc_nlu_result o = parse(rows[i].text, "es");
        if (strcmp(o.phone, rows[i].phone)) {
            print_message("FAIL \"%s\": got '%s', want '%s'\n", rows[i].text, o.phone, rows[i].phone);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
    struct bc_nlu_result o = parse("mi número: 612 345 678, mañana a las 10", "es");
    assert_string_equal(o.phone, "612345678");
    assert_string_equal(o.date, "2026-11-26");
    assert_string_equal(o.time, "10:00");
}

static void test_nlu__codes(void **state)
{
    (void)state;
    struct bc_nlu_result o = parse("mi código es K7M2QX", "es");
    assert_string_equal(o.code, "K7M2QX");
    o = parse("K7M2QX", "es");
    assert_string_equal(o.code, "K7M2QX");
    o = parse("quiero anular ABC12345", "es");
    assert_string_equal(o.code, "ABC12345");
    o = parse("código k7m2qx", "es");
    assert_string_equal(o.code, "K7M2QX");
    o = parse("booking code: k7m2qx", "en");
    assert_string_equal(o.code, "K7M2QX");
    o = parse("k7m2qx", "es");
    assert_string_equal(o.code, "");
    o = parse_x("k7m2qx", "es", BC_NLU_EXPECT_CODE, NULL);
    assert_string_equal(o.code, "K7M2QX");
    /* shouting is not a code; neither are too short or too long runs, nor phone numbers */
    o = parse("GRACIAS POR TODO", "es");
    assert_string_equal(o.code, "");
    assert_int_equal(o.intent, BC_NLU_THANKS);
    o = parse("K7M2Q", "es");
    assert_string_equal(o.code, "");
    o = parse("K7M2QXYZW", "es");
    assert_string_equal(o.code, "");
    o = parse("612345678", "es");
    assert_string_equal(o.code, "");
    o = parse("a las 17h30", "es");
    assert_string_equal(o.code, "");
    /* all letters: only after a code word, unless the format allows it */
    o = parse("KXMQAB", "es");
    assert_string_equal(o.code, "");
    o = parse("localizador KXMQAB", "es");
    assert_string_equal(o.code, "KXMQAB");
    struct bc_nlu_code_format fmt = {4, 10, false};
    o = parse_x("KXMQ", "es", BC_NLU_EXPECT_NONE, &fmt);
    assert_string_equal(o.code, "KXMQ");
    o = parse_x("K7M2QXAB12", "es", BC_NLU_EXPECT_NONE, &fmt);
    assert_string_equal(o.code, "K7M2QXAB12");
}

/* ---- the catalog ---- */

struct match_row {
    const char *lang, *text, *service, *provider;
    int n_service_candidates, n_provider_candidates;
};

static const struct match_row match_rows[] = {
    /* accents, case, synonyms, plurals, typos */
    {"es", "quiero un corte con Ana López", "s_corte", "p_ana", 1, 1},
    {"es", "CORTE DE PELO con ana lopez", "s_corte", "p_ana", 1, 1},
    {"es", "un corte de pelo", "s_corte", "", 1, 0},
    {"es", "cortar el pelo", "s_corte", "", 1, 0},
    {"es", "quiero cortarme el pelo", "s_corte", "", 1, 0},
    {"en", "a haircut please", "s_corte", "", 1, 0},
    {"es", "un masaje", "s_masaje", "", 1, 0},
    {"es", "masajes", "s_masaje", "", 1, 0},
    {"es", "un masage relajante", "s_masaje", "", 1, 0},
    {"es", "masaje relajnte", "s_masaje", "", 1, 0},
    {"en", "a massage with John", "s_masaje", "p_john", 1, 1},
    {"en", "a masage with Jhon Smith", "s_masaje", "p_john", 1, 1},
    {"es", "manicura", "s_mani", "", 1, 0},
    {"es", "la manicure", "s_mani", "", 1, 0},
    {"es", "hacerme las uñas", "s_mani", "", 1, 0},
    {"es", "arreglarme la barba", "s_barba", "", 1, 0},
    {"es", "tinte", "s_tinte", "", 1, 0},
    {"es", "un tinte con Lucía", "s_tinte", "p_lucia", 1, 1},
    {"es", "con lucia", "", "p_lucia", 0, 1},
    {"es", "con lusia", "", "p_lucia", 0, 1},
    {"es", "con Lopez", "", "p_ana", 0, 1},
    {"es", "con ana garcia", "", "p_anag", 0, 1},
    {"es", "John's", "", "p_john", 0, 1},
    /* several equally good matches: candidates, no id */
    {"es", "con Ana", "", "", 0, 2},
    {"es", "tinte y corte", "", "", 2, 0},
    /* names that are also common words */
    {"es", "con Mar", "", "p_mar", 0, 1},
    {"es", "Mar", "", "p_mar", 0, 1},
    {"es", "el martes en marzo", "", "", 0, 0},
    {"es", "quiero ir al mar el martes", "", "", 0, 0},
    {"es", "el domingo", "", "", 0, 0},
    {"es", "el lunes con Domingo", "", "p_domingo", 0, 1},
    {"es", "con domingo", "", "p_domingo", 0, 1},
    {"en", "with May on May 5th", "", "p_may", 0, 1},
    {"en", "May I book for May 5th?", "", "", 0, 0},
    {"es", "con Sara", "", "p_sara", 0, 1},
    {"es", "para mañana", "", "", 0, 0},
    {"es", "para Sara", "", "p_sara", 0, 1},
    {"es", "cara", "", "", 0, 0},
    {"es", "quiero una cita", "", "", 0, 0},
    {"es", "anamaría", "", "", 0, 0},
    {"es", "tintes", "s_tinte", "", 1, 0},
    {"es", "tintar", "s_tinte", "", 1, 0},
    {"es", "tino", "", "", 0, 0},
    {"es", "pelo corto", "s_corte", "", 1, 0},
    {"es", "el más corto", "", "", 0, 0},
};

static void test_nlu__catalog_matching(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof match_rows / sizeof match_rows[0]; i++) {
        const struct match_row *r = &match_rows[i];
        struct bc_nlu_result o = parse(r->text, r->lang);
        if (strcmp(str(o.service_id), r->service) || strcmp(str(o.provider_id), r->provider) ||
            o.n_service_candidates != r->n_service_candidates ||
            o.n_provider_candidates != r->n_provider_candidates) {
            print_message("FAIL \"%s\": got service=%s(%d) provider=%s(%d), want %s(%d) %s(%d)\n", r->text,
                          str(o.service_id), o.n_service_candidates, str(o.provider_id),
                          o.n_provider_candidates, r->service, r->n_service_candidates, r->provider,
                          r->n_provider_candidates);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
    /* candidates are the tied ids */
    struct bc_nlu_result o = parse("con Ana", "es");
    assert_string_equal(o.provider_candidates[0], "p_ana");
    assert_string_equal(o.provider_candidates[1], "p_anag");
    /* a professional expected: a bare "Domingo" is the professional, not Sunday */
    o = parse_x("Domingo", "es", BC_NLU_EXPECT_PROVIDER, NULL);
    assert_string_equal(str(o.provider_id), "p_domingo");
    assert_false(o.has_date);
    o = parse_x("Domingo", "es", BC_NLU_EXPECT_NONE, NULL);
    assert_string_equal(o.date, "2026-11-29");
    /* a professional's exact name is never taken as a typo of a vocabulary word ("Mario" ~ "marzo") */
    struct bc_nlu_catalog *c = bc_nlu_catalog_new();
    assert_int_equal(bc_nlu_catalog_add(c, BC_NLU_PROVIDER, "p_mario", "Mario", NULL, 0), 0);
    struct bc_nlu_request rq = {.text = "el 5 de marzo con mario", .len = 23, .now = REF, .catalog = c};
    assert_int_equal(bc_nlu_parse(&rq, &o), 0);
    assert_string_equal(o.date, "2027-03-05");
    assert_string_equal(str(o.provider_id), "p_mario");
    rq.text = "el 5 de mario";
    rq.len = 13;
    assert_int_equal(bc_nlu_parse(&rq, &o), 0);
    assert_string_equal(o.date, "2026-12-05"); /* "el 5", not March */
    assert_string_equal(str(o.provider_id), "p_mario");
    rq.catalog = NULL; /* without the catalog, "mario" is a typo of "marzo" */
    assert_int_equal(bc_nlu_parse(&rq, &o), 0);
    assert_string_equal(o.date, "2027-03-05");
    bc_nlu_catalog_free(c);
    /* without a catalog: no matching, no crash */
    struct bc_nlu_request req = {.text = "un corte con Ana", .len = 16, .now = REF};
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    assert_null(o.service_id);
    assert_int_equal(o.n_provider_candidates, 0);
}

static void test_nlu__catalog_api(void **state)
{
    (void)state;
    struct bc_nlu_catalog *c = bc_nlu_catalog_new();
    assert_non_null(c);
    assert_int_equal(bc_nlu_catalog_add(c, BC_NLU_SERVICE, NULL, "x", NULL, 0), BC_EINVALID);
    assert_int_equal(bc_nlu_catalog_add(c, BC_NLU_SERVICE, "", "x", NULL, 0), BC_EINVALID);
    assert_int_equal(bc_nlu_catalog_add(c, BC_NLU_SERVICE, "id", "", NULL, 0), BC_EINVALID);
    assert_int_equal(bc_nlu_catalog_add(c, BC_NLU_SERVICE, "id", "x", NULL, 2), BC_EINVALID);
    assert_int_equal(bc_nlu_catalog_add(c, (enum bc_nlu_kind)7, "id", "x", NULL, 0), BC_EINVALID);
    assert_int_equal(bc_nlu_catalog_add(NULL, BC_NLU_SERVICE, "id", "x", NULL, 0), BC_EINVALID);
    char longid[200];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    assert_int_equal(bc_nlu_catalog_add(c, BC_NLU_SERVICE, longid, "x", NULL, 0), BC_EINVALID);
    /* many entries, names of punctuation only, empty synonyms */
    char id[32], name[64];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "svc%d", i);
        snprintf(name, sizeof name, "Servicio número %d especial", i);
        const char *syn[] = {"", NULL, "!!!"};
        assert_int_equal(bc_nlu_catalog_add(c, BC_NLU_SERVICE, id, name, syn, 3), 0);
    }
    assert_int_equal(bc_nlu_catalog_add(c, BC_NLU_PROVIDER, "p", "¿?", NULL, 0), 0);
    assert_int_equal(bc_nlu_catalog_count(c, BC_NLU_SERVICE), 300);
    assert_int_equal(bc_nlu_catalog_count(c, BC_NLU_PROVIDER), 1);
    assert_int_equal(bc_nlu_catalog_count(NULL, BC_NLU_PROVIDER), 0);
    struct bc_nlu_request req = {.text = "servicio 287", .len = 12, .now = REF, .catalog = c};
    struct bc_nlu_result o;
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    assert_string_equal(str(o.service_id), "svc287");
    bc_nlu_catalog_free(c);
    bc_nlu_catalog_free(NULL);
}

/* ---- the whole thing ---- */

static void test_nlu__several_things_in_one_message(void **state)
{
    (void)state;
    struct bc_nlu_result o = parse("quiero un corte con Ana López el jueves a las 5", "es");
    assert_int_equal(o.intent, BC_NLU_BOOK);
    assert_string_equal(str(o.service_id), "s_corte");
    assert_string_equal(str(o.provider_id), "p_ana");
    assert_string_equal(o.date, "2026-11-26");
    assert_string_equal(o.time, "17:00");
    assert_true(o.time_ambiguous);
    assert_string_equal(o.time_alt, "05:00");
    o = parse("can I book a massage with John next friday at 3pm?", "en");
    assert_int_equal(o.intent, BC_NLU_BOOK);
    assert_string_equal(str(o.service_id), "s_masaje");
    assert_string_equal(str(o.provider_id), "p_john");
    assert_string_equal(o.date, "2026-12-04");
    assert_string_equal(o.time, "15:00");
    assert_false(o.time_ambiguous);
    assert_string_equal(o.lang, "en");
    o = parse("Hola! Soy Marta Ruiz, mi email es marta@ruiz.es y mi tel 699 123 456. Quiero un tinte mañana "
              "por la tarde",
              "es");
    assert_string_equal(o.name, "Marta Ruiz");
    assert_string_equal(o.email, "marta@ruiz.es");
    assert_string_equal(o.phone, "699123456");
    assert_string_equal(str(o.service_id), "s_tinte");
    assert_string_equal(o.date, "2026-11-26");
    assert_int_equal(o.part_of_day, BC_NLU_PART_AFTERNOON);
    assert_int_equal(o.intent, BC_NLU_BOOK);
}

/* A choice among the options shown: "2", "la primera", "the second one". */
static void test_nlu__choices(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int number;
    } rows[] = {
        {"2", 2},
        {"la 3", 3},
        {"la primera", 1},
        {"el segundo", 2},
        {"la segunda opción", 2},
        {"the first one", 1},
        {"option 2", 2},
        {"un segundo", -1},
        {"12345", -1},
        {"5pm", -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct bc_nlu_result o = parse(rows[i].text, "es");
        if (o.has_number != (rows[i].number >= 0) || (o.has_number && o.number != rows[i].number))
            print_message("FAIL \"%s\": got %d (%d)\n", rows[i].text, o.number, o.has_number);
        assert_int_equal(o.has_number, rows[i].number >= 0);
        if (o.has_number) assert_int_equal(o.number, rows[i].number);
    }
}

static void test_nlu__language_guess(void **state)
{
    (void)state;
    assert_string_equal(parse("quiero una cita el jueves", "en").lang, "es");
    assert_string_equal(parse("I want an appointment on thursday", "es").lang, "en");
    assert_string_equal(parse("ok", "en").lang, "en");
    assert_string_equal(parse("ok", "es").lang, "es");
    assert_string_equal(parse("12345", NULL).lang, "es");
}

static void test_nlu__hostile_input(void **state)
{
    (void)state;
    /* invalid UTF-8, NULs, control characters, lone combining marks */
    static const char bad[] = "ma\xc3\xb1\xff\xfe"
                              "ana \xe2\x82 a las \xf0\x9f\x98\x80 5\x00 y media \xcc\x81\xcc\x81 \x01\x02";
    struct bc_nlu_request req = {.text = bad, .len = sizeof bad - 1, .now = REF, .catalog = catalog};
    struct bc_nlu_result o;
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    assert_string_equal(o.time, "17:30");
    /* a text longer than the limit: only the first BC_NLU_MAX_TEXT bytes count */
    size_t n = BC_NLU_MAX_TEXT * 3;
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++) big[i] = "a las 5 y media mañana "[i % 23];
    memcpy(big + BC_NLU_MAX_TEXT + 10, "ana@x.com", 9);
    big[n] = 0;
    req.text = big;
    req.len = n;
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    assert_string_equal(o.email, "");
    assert_true(o.has_time);
    /* many tokens: no overflow */
    for (size_t i = 0; i < n; i++) big[i] = i % 2 ? ' ' : '5';
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    for (size_t i = 0; i < n; i++) big[i] = "\xc3\xb1"[i % 2];
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    free(big);
    /* a NULL text with a length is refused, an empty one is fine */
    req.text = NULL;
    req.len = 3;
    assert_int_equal(bc_nlu_parse(&req, &o), BC_EINVALID);
    req.len = 0;
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    assert_int_equal(o.intent, BC_NLU_UNKNOWN);
}

static void test_nlu__tables_are_well_formed(void **state)
{
    (void)state;
    const struct bc__nlu_vocab *v = bc__nlu_vocab();
    assert_non_null(v);
    assert_int_equal(v->bad_phrases, 0);
    assert_true(v->n_phrases > 900);
    /* folding: accents, case, compatibility forms */
    struct bc__nlu_tok t[8];
    char fold[64];
    size_t fl;
    int n =
        bc__nlu_tokenize("MiÉRCOLES ﬁn Ⅻ ５º", strlen("MiÉRCOLES ﬁn Ⅻ ５º"), t, 8, fold, sizeof fold, &fl);
    assert_true(n >= 4);
    assert_int_equal(t[0].fl, 9);
    assert_memory_equal(fold + t[0].fo, "miercoles", 9);
    assert_memory_equal(fold + t[1].fo, "fin", 3);
    assert_int_equal(t[n - 2].kind, NT_NUM);
    assert_int_equal(t[n - 2].num, 5);
    assert_int_equal(bc__nlu_distance("wednesday", 9, "wendesday", 9, 2), 1);
    assert_int_equal(bc__nlu_distance("tomorrow", 8, "tommorow", 8, 2), 2);
    assert_int_equal(bc__nlu_distance("abc", 3, "xyz", 3, 1), 2);
}

struct thread_arg {
    int failures;
};

static void *parse_many(void *arg)
{
    struct thread_arg *a = arg;
    for (int i = 0; i < 300; i++) {
        const char *text =
            i % 2 ? "quiero un corte con Ana López el jueves a las 5" : "next friday at 3pm with John";
        struct bc_nlu_request req = {.text = text, .len = strlen(text), .now = REF, .catalog = catalog};
        struct bc_nlu_result o;
        if (bc_nlu_parse(&req, &o) != 0)
            a->failures++;
        else if (i % 2 && (!o.provider_id || strcmp(o.provider_id, "p_ana") || strcmp(o.time, "17:00")))
            a->failures++;
        else if (!(i % 2) &&
                 (!o.provider_id || strcmp(o.provider_id, "p_john") || strcmp(o.date, "2026-12-04")))
            a->failures++;
    }
    return NULL;
}

static void test_nlu__concurrent_parses(void **state)
{
    (void)state;
    pthread_t th[4];
    struct thread_arg args[4] = {{0}};
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, parse_many, &args[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nlu__intents),
        cmocka_unit_test(test_nlu__intent_bits_and_targets),
        cmocka_unit_test(test_nlu__no_preference),
        cmocka_unit_test(test_nlu__names),
        cmocka_unit_test(test_nlu__email),
        cmocka_unit_test(test_nlu__phone),
        cmocka_unit_test(test_nlu__codes),
        cmocka_unit_test(test_nlu__catalog_matching),
        cmocka_unit_test(test_nlu__catalog_api),
        cmocka_unit_test(test_nlu__several_things_in_one_message),
        cmocka_unit_test(test_nlu__choices),
        cmocka_unit_test(test_nlu__language_guess),
        cmocka_unit_test(test_nlu__hostile_input),
        cmocka_unit_test(test_nlu__tables_are_well_formed),
        cmocka_unit_test(test_nlu__concurrent_parses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
