/* Table-driven tests of the date and time families of issue 20 (durations from now, ordinal weekdays of a
 * month, week-relative days, named days of the year) in Spanish and English, with the reference of
 * test_nlu_date.c: Wednesday 2026-11-25 10:00 local. Every expected value is written by hand. A row is
 * (text, date, time, other reading of an ambiguous time, part of day); "" means "not understood". */
#include "nlu_rows.h"

static const struct bc_nlu_datetime REF = {2026, 11, 25, 3, 10, 0};

static const struct row spanish[] = {
    /* durations from now: the instant now + the duration, never a clock reading of the number */
    {"dentro de tres horas", "2026-11-25", "13:00", "", ""},
    {"dentro de 3 horas", "2026-11-25", "13:00", "", ""},
    {"en tres horas", "2026-11-25", "13:00", "", ""},
    {"en un cuarto de hora", "2026-11-25", "10:15", "", ""},
    {"dentro de un cuarto de hora", "2026-11-25", "10:15", "", ""},
    {"en tres cuartos de hora", "2026-11-25", "10:45", "", ""},
    {"en media hora", "2026-11-25", "10:30", "", ""},
    {"dentro de media hora", "2026-11-25", "10:30", "", ""},
    {"dentro de 20 minutos", "2026-11-25", "10:20", "", ""},
    {"en 45 minutos", "2026-11-25", "10:45", "", ""},
    {"en cinco minutos", "2026-11-25", "10:05", "", ""},
    {"en 10 min", "2026-11-25", "10:10", "", ""},
    {"en una hora", "2026-11-25", "11:00", "", ""},
    {"dentro de una hora", "2026-11-25", "11:00", "", ""},
    {"en una hora y media", "2026-11-25", "11:30", "", ""},
    {"dentro de dos horas y media", "2026-11-25", "12:30", "", ""},
    {"en dos horas y cuarto", "2026-11-25", "12:15", "", ""},
    {"dentro de 90 minutos", "2026-11-25", "11:30", "", ""},
    {"de aquí a dos horas", "2026-11-25", "12:00", "", ""},
    {"dentro de doce horas", "2026-11-25", "22:00", "", ""},
    {"dentro de 15 horas", "2026-11-26", "01:00", "", ""},
    {"dentro de 24 horas", "2026-11-26", "10:00", "", ""},
    {"dentro de cuatro horas", "2026-11-25", "14:00", "", ""},
    {"en 7 horas", "2026-11-25", "17:00", "", ""},
    {"vale, dentro de dos horas", "2026-11-25", "12:00", "", ""},
    {"tardo tres horas", "", "", "", ""},
    {"son dos horas", "", "", "", ""},
    {"tengo 20 minutos", "", "", "", ""},
    {"una hora más tarde", "", "", "", ""},
    {"la cita dura una hora", "", "", "", ""},
    {"llego en 5 minutos", "2026-11-25", "10:05", "", ""},
    {"dentro de 3 horas y media", "2026-11-25", "13:30", "", ""},
    {"15 minutos antes", "", "", "", ""},
    /* ordinal weekdays of a month: the next occurrence (this year if still ahead, else next year) */
    {"el tercer miércoles de junio", "2027-06-16", "", "", ""},
    {"el tercer miercoles de junio", "2027-06-16", "", "", ""},
    {"el primer lunes de diciembre", "2026-12-07", "", "", ""},
    {"el último viernes del mes", "2026-11-27", "", "", ""},
    {"el ultimo viernes del mes", "2026-11-27", "", "", ""},
    {"el último lunes del mes que viene", "2026-12-28", "", "", ""},
    {"el último lunes del próximo mes", "2026-12-28", "", "", ""},
    {"el segundo martes de enero", "2027-01-12", "", "", ""},
    {"el primer sábado del mes que viene", "2026-12-05", "", "", ""},
    {"el cuarto jueves de noviembre", "2026-11-26", "", "", ""},
    {"el último domingo de octubre", "2027-10-31", "", "", ""},
    {"el primer viernes de este mes", "2026-12-04", "", "", ""},
    {"el primer martes del mes", "2026-12-01", "", "", ""},
    {"el último miércoles de noviembre", "2026-11-25", "", "", ""},
    {"el último miércoles del mes", "2026-11-25", "", "", ""},
    {"la última semana", "", "", "", ""},
    {"el segundo viernes de febrero", "2027-02-12", "", "", ""},
    {"el primer domingo de mayo", "2027-05-02", "", "", ""},
    {"el 1er lunes de diciembre", "2026-12-07", "", "", ""},
    {"el 1º lunes de diciembre", "2026-12-07", "", "", ""},
    {"el primer lunes de diciembre a las 10", "2026-12-07", "10:00", "22:00", ""},
    {"el tercer miércoles de junio por la tarde", "2027-06-16", "", "", "afternoon"},
    {"el último viernes del mes a las 6 de la tarde", "2026-11-27", "18:00", "", "afternoon"},
    /* week-relative: "la semana que viene" is the ISO week (Monday to Sunday) after this one */
    {"el jueves de la próxima semana", "2026-12-03", "", "", ""},
    {"el jueves de la proxima semana", "2026-12-03", "", "", ""},
    {"el jueves de la semana que viene", "2026-12-03", "", "", ""},
    {"el lunes de la otra semana", "2026-11-30", "", "", ""},
    /* "en ocho" / "en quince": a week or two after the day named (the Spanish "a week from Monday") */
    {"el lunes en ocho", "2026-12-07", "", "", ""},
    {"del lunes en ocho días", "2026-12-07", "", "", ""},
    {"el viernes en quince", "2026-12-11", "", "", ""},
    {"de hoy en ocho", "2026-12-02", "", "", ""},
    {"mañana en ocho a las 10", "2026-12-03", "10:00", "22:00", ""},
    {"el lunes en 8 dias por la tarde", "2026-12-07", "", "", "afternoon"},
    {"el viernes de la otra semana", "2026-12-04", "", "", ""},
    {"el miércoles de la semana que viene", "2026-12-02", "", "", ""},
    {"el miercoles de la proxima semana", "2026-12-02", "", "", ""},
    {"el domingo de la próxima semana", "2026-12-06", "", "", ""},
    {"el sabado de la semana que viene", "2026-12-05", "", "", ""},
    {"la próxima semana el viernes", "2026-12-04", "", "", ""},
    {"la otra semana el martes", "2026-12-01", "", "", ""},
    {"el martes de la semana que viene por la tarde", "2026-12-01", "", "", "afternoon"},
    {"el jueves de la próxima semana a las 11", "2026-12-03", "11:00", "23:00", ""},
    /* named days: the next occurrence from today, with a time or a part of the day */
    {"Navidad", "2026-12-25", "", "", ""},
    {"en Navidad", "2026-12-25", "", "", ""},
    {"el día de Navidad", "2026-12-25", "", "", ""},
    {"Nochebuena", "2026-12-24", "", "", ""},
    {"en nochebuena", "2026-12-24", "", "", ""},
    {"Nochevieja", "2026-12-31", "", "", ""},
    {"Año Nuevo", "2027-01-01", "", "", ""},
    {"el día de año nuevo", "2027-01-01", "", "", ""},
    {"el día de Reyes", "2027-01-06", "", "", ""},
    {"el día de Reyes por la tarde", "2027-01-06", "", "", "afternoon"},
    {"la noche de Reyes", "2027-01-05", "", "", ""},
    {"San Valentín", "2027-02-14", "", "", ""},
    {"el día de San Valentin", "2027-02-14", "", "", ""},
    {"Viernes Santo", "2027-03-26", "", "", ""},
    {"el Jueves Santo", "2027-03-25", "", "", ""},
    {"Lunes de Pascua", "2027-03-29", "", "", ""},
    {"el domingo de Resurrección", "2027-03-28", "", "", ""},
    {"Domingo de Ramos", "2027-03-21", "", "", ""},
    {"Nochebuena a las 10", "2026-12-24", "10:00", "22:00", ""},
    {"Nochevieja por la mañana", "2026-12-31", "", "", "morning"},
    {"la Inmaculada", "2026-12-08", "", "", ""},
    {"el día de la Constitución", "2026-12-06", "", "", ""},
    {"Todos los Santos", "2027-11-01", "", "", ""},
    {"me llamo Ana Reyes", "", "", "", ""},
    /* without accents, numbers in words, and combined with times */
    {"el sabado de la proxima semana a las diez", "2026-12-05", "10:00", "22:00", ""},
    {"dentro de veinte minutos", "2026-11-25", "10:20", "", ""},
    {"en cuarenta y cinco minutos", "2026-11-25", "10:45", "", ""},
    {"dentro de dos horas", "2026-11-25", "12:00", "", ""},
    {"el tercer viernes de diciembre", "2026-12-18", "", "", ""},
    {"el primer jueves de enero", "2027-01-07", "", "", ""},
    {"el ultimo sabado de diciembre", "2026-12-26", "", "", ""},
    {"el segundo lunes del mes que viene", "2026-12-14", "", "", ""},
    {"nochebuena por la tarde", "2026-12-24", "", "", "afternoon"},
    {"navidad a las once", "2026-12-25", "11:00", "23:00", ""},
    {"el viernes santo por la mañana", "2027-03-26", "", "", "morning"},
    {"el lunes de pascua a las 10", "2027-03-29", "10:00", "22:00", ""},
    {"el miercoles de la semana que viene a las nueve y cuarto", "2026-12-02", "09:15", "21:15", ""},
    {"en diez minutos", "2026-11-25", "10:10", "", ""},
    {"el dia de reyes a las 12", "2027-01-06", "12:00", "", ""},
    {"nochevieja a mediodia", "2026-12-31", "12:00", "", ""},
    {"el ultimo jueves del proximo mes", "2026-12-31", "", "", ""},
    {"el cuarto domingo de marzo", "2027-03-28", "", "", ""},
    {"el quinto lunes de noviembre", "2026-11-30", "", "", ""},
    {"el quinto lunes de diciembre", "2029-12-31", "", "", ""},
    {"el quinto jueves del mes", "2026-12-31", "", "", ""},
    {"el quinto viernes de febrero", "", "", "", ""},
    {"el primer miercoles de julio", "2027-07-07", "", "", ""},
    {"el segundo sábado de abril por la mañana", "2027-04-10", "", "", "morning"},
    {"dentro de 45 min", "2026-11-25", "10:45", "", ""},
};

static const struct row english[] = {
    /* durations from now */
    {"in 45 minutes", "2026-11-25", "10:45", "", ""},
    {"an hour from now", "2026-11-25", "11:00", "", ""},
    {"in two hours", "2026-11-25", "12:00", "", ""},
    {"in half an hour", "2026-11-25", "10:30", "", ""},
    {"in an hour", "2026-11-25", "11:00", "", ""},
    {"in 3 hours", "2026-11-25", "13:00", "", ""},
    {"in three hours", "2026-11-25", "13:00", "", ""},
    {"3 hours from now", "2026-11-25", "13:00", "", ""},
    {"two hours from now", "2026-11-25", "12:00", "", ""},
    {"in 20 minutes", "2026-11-25", "10:20", "", ""},
    {"in 20 mins", "2026-11-25", "10:20", "", ""},
    {"in a quarter of an hour", "2026-11-25", "10:15", "", ""},
    {"in a quarter hour", "2026-11-25", "10:15", "", ""},
    {"in a half hour", "2026-11-25", "10:30", "", ""},
    {"in an hour and a half", "2026-11-25", "11:30", "", ""},
    {"within the hour", "", "", "", ""},
    {"in 90 minutes", "2026-11-25", "11:30", "", ""},
    {"in five minutes", "2026-11-25", "10:05", "", ""},
    {"in 14 hours", "2026-11-26", "00:00", "", ""},
    {"half an hour from now", "2026-11-25", "10:30", "", ""},
    {"it takes two hours", "", "", "", ""},
    {"I have 20 minutes", "", "", "", ""},
    {"could we do it an hour later?", "", "", "", ""},
    {"3 days later", "2026-11-28", "", "", ""},
    {"in two and a half hours", "2026-11-25", "12:30", "", ""},
    {"an hour and a half from now", "2026-11-25", "11:30", "", ""},
    {"book me in an hour", "2026-11-25", "11:00", "", ""},
    /* ordinal weekdays of a month */
    {"the first Thursday of next month", "2026-12-03", "", "", ""},
    {"the last Wednesday in October", "2027-10-27", "", "", ""},
    {"the second Tuesday of March", "2027-03-09", "", "", ""},
    {"the last Friday of the month", "2026-11-27", "", "", ""},
    {"the first Monday of December", "2026-12-07", "", "", ""},
    {"the third Wednesday of June", "2027-06-16", "", "", ""},
    {"last Monday of next month", "2026-12-28", "", "", ""},
    {"the fourth Thursday of November", "2026-11-26", "", "", ""},
    {"the first Friday in January", "2027-01-01", "", "", ""},
    {"the last Sunday of this month", "2026-11-29", "", "", ""},
    {"the 2nd Tuesday of March", "2027-03-09", "", "", ""},
    {"the second Tuesday of March at 3pm", "2027-03-09", "15:00", "", ""},
    {"the first Monday of December in the morning", "2026-12-07", "", "", "morning"},
    /* week-relative */
    {"next week's Wednesday", "2026-12-02", "", "", ""},
    {"next week's Monday", "2026-11-30", "", "", ""},
    {"a week from Monday", "2026-12-07", "", "", ""},
    {"a week from Friday", "2026-12-04", "", "", ""},
    {"two weeks from Monday", "2026-12-14", "", "", ""},
    {"Monday week", "2026-12-07", "", "", ""},
    {"Thursday week", "2026-12-03", "", "", ""},
    {"Thursday next week", "2026-12-03", "", "", ""},
    {"next week on Thursday", "2026-12-03", "", "", ""},
    {"a week from Monday at 2pm", "2026-12-07", "14:00", "", ""},
    /* named days */
    {"Christmas", "2026-12-25", "", "", ""},
    {"on Christmas Day", "2026-12-25", "", "", ""},
    {"Christmas Eve at 10am", "2026-12-24", "10:00", "", ""},
    {"on Christmas Eve in the morning", "2026-12-24", "", "", "morning"},
    {"Boxing Day", "2026-12-26", "", "", ""},
    {"New Year's Eve", "2026-12-31", "", "", ""},
    {"New Year's Day", "2027-01-01", "", "", ""},
    {"Valentine's Day", "2027-02-14", "", "", ""},
    {"Halloween", "2027-10-31", "", "", ""},
    {"Good Friday", "2027-03-26", "", "", ""},
    {"Easter Monday", "2027-03-29", "", "", ""},
    {"Easter Sunday", "2027-03-28", "", "", ""},
    {"Easter", "2027-03-28", "", "", ""},
    {"Maundy Thursday", "2027-03-25", "", "", ""},
    {"St Patrick's Day", "2027-03-17", "", "", ""},
    {"Thanksgiving", "2026-11-26", "", "", ""},
    {"Mother's Day", "2027-05-09", "", "", ""},
    {"Halloween evening", "2027-10-31", "", "", "evening"},
    /* numbers in words, and combined with times */
    {"in twenty minutes", "2026-11-25", "10:20", "", ""},
    {"in forty-five minutes", "2026-11-25", "10:45", "", ""},
    {"the last Thursday of next month", "2026-12-31", "", "", ""},
    {"the third Friday in December", "2026-12-18", "", "", ""},
    {"Christmas Day at 3pm", "2026-12-25", "15:00", "", ""},
    {"New Year's Eve in the evening", "2026-12-31", "", "", "evening"},
    {"Good Friday morning", "2027-03-26", "", "", "morning"},
    {"a week from Tuesday", "2026-12-08", "", "", ""},
    {"Friday week", "2026-12-04", "", "", ""},
    {"next week's Thursday at 4pm", "2026-12-03", "16:00", "", ""},
    {"the fifth Monday of November", "2026-11-30", "", "", ""},
    {"Easter Monday at 11am", "2027-03-29", "11:00", "", ""},
    {"in 10 mins", "2026-11-25", "10:10", "", ""},
    {"in an hour's time", "2026-11-25", "11:00", "", ""},
    {"on Halloween", "2027-10-31", "", "", ""},
    {"on Valentine's Day at 8pm", "2027-02-14", "20:00", "", ""},
};

static void test_nlu_families__spanish(void **state)
{
    (void)state;
    assert_int_equal(check_rows("es", spanish, sizeof spanish / sizeof spanish[0], &REF), 0);
}

static void test_nlu_families__english(void **state)
{
    (void)state;
    assert_int_equal(check_rows("en", english, sizeof english / sizeof english[0], &REF), 0);
}

static struct bc_nlu_result parse_at(const char *text, const char *lang, const struct bc_nlu_datetime *now)
{
    struct bc_nlu_request req = {.text = text, .len = strlen(text), .lang = lang, .now = *now};
    struct bc_nlu_result o;
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    return o;
}

/* A duration is never a clock time: "dentro de tres horas" at 10:00 is 13:00 exactly, not 15:00 or 03:00,
 * not ambiguous, flagged as from now; near midnight it moves to the next day. */
static void test_nlu_families__durations_are_not_clock_times(void **state)
{
    (void)state;
    static const struct bc_nlu_datetime late = {2026, 12, 31, 4, 23, 30};
    struct bc_nlu_result o = parse_at("dentro de tres horas", "es", &REF);
    assert_true(o.from_now);
    assert_int_equal(o.from_now_minutes, 180);
    assert_false(o.time_ambiguous);
    assert_string_not_equal(o.time, "15:00");
    assert_string_not_equal(o.time, "03:00");
    assert_string_equal(o.time, "13:00");
    o = parse_at("in 2 hours", "en", &REF);
    assert_true(o.from_now);
    assert_int_equal(o.from_now_minutes, 120);
    assert_string_not_equal(o.time, "14:00");
    assert_string_not_equal(o.time, "02:00");
    o = parse_at("en una hora", "es", &late);
    assert_string_equal(o.date, "2027-01-01");
    assert_string_equal(o.time, "00:30");
    o = parse_at("in 45 minutes", "en", &late);
    assert_string_equal(o.date, "2027-01-01");
    assert_string_equal(o.time, "00:15");
    o = parse_at("a las 3", "es", &REF); /* a clock time is still one, and not from now */
    assert_false(o.from_now);
    assert_string_equal(o.time, "15:00");
    o = parse_at("a las 17 horas", "es", &REF);
    assert_false(o.from_now);
    assert_string_equal(o.time, "17:00");
    o = parse_at("a las 5 y 10 minutos", "es", &REF);
    assert_string_equal(o.time, "17:10");
}

/* Named and ordinal days from other references: after this year's has passed, in a leap year, and the
 * Easter dates of several years (the computation, not a list). */
static void test_nlu_families__other_references(void **state)
{
    (void)state;
    static const struct bc_nlu_datetime boxing = {2027, 12, 26, 0, 9, 0};
    static const struct row after_christmas[] = {
        {"Navidad", "2028-12-25", "", "", ""},
        {"Nochevieja", "2027-12-31", "", "", ""},
        {"Viernes Santo", "2028-04-14", "", "", ""},
        {"Easter Monday", "2028-04-17", "", "", ""},
        {"Christmas Eve", "2028-12-24", "", "", ""},
        {"el último viernes del mes", "2027-12-31", "", "", ""},
        {"the first Monday of next month", "2028-01-03", "", "", ""},
        {"el primer lunes de diciembre", "2028-12-04", "", "", ""},
    };
    static const struct bc_nlu_datetime easter_day = {2027, 3, 28, 0, 12, 0};
    static const struct row on_easter[] = {
        {"Easter", "2027-03-28", "", "", ""},
        {"Good Friday", "2028-04-14", "", "", ""},
        {"Lunes de Pascua", "2027-03-29", "", "", ""},
        {"en media hora", "2027-03-28", "12:30", "", ""},
    };
    static const struct bc_nlu_datetime leap = {2028, 2, 1, 0, 12, 0};
    static const struct row leap_rows[] = {
        {"el último martes de febrero", "2028-02-29", "", "", ""},
        {"the last Tuesday of the month", "2028-02-29", "", "", ""},
        {"a week from Monday", "2028-02-14", "", "", ""},
    };
    int failed =
        check_rows("es", after_christmas, sizeof after_christmas / sizeof after_christmas[0], &boxing);
    failed += check_rows("es", on_easter, sizeof on_easter / sizeof on_easter[0], &easter_day);
    failed += check_rows("en", leap_rows, sizeof leap_rows / sizeof leap_rows[0], &leap);
    assert_int_equal(failed, 0);
}

/* Windows of the day: a range, an open end, a named stretch or an edge, with the part of day. */
struct window_row {
    const char *lang, *text;
    int from, to;
    enum bc_nlu_pick pick;
    const char *part;
};

static void test_nlu_families__windows(void **state)
{
    (void)state;
    static const struct window_row rows[] = {
        {"es", "entre las 4 y las 6", 960, 1080, BC_NLU_PICK_ANY, ""},
        {"es", "el lunes entre las 4 y las 6", 960, 1080, BC_NLU_PICK_ANY, ""},
        {"es", "de 11 a 1", 660, 780, BC_NLU_PICK_ANY, ""},
        {"es", "de 10 a 14", 600, 840, BC_NLU_PICK_ANY, ""},
        {"es", "a partir de las 5", 1020, -1, BC_NLU_PICK_ANY, ""},
        {"es", "después de las 6 de la tarde", 1080, -1, BC_NLU_PICK_ANY, "afternoon"},
        {"es", "antes de las 11", -1, 660, BC_NLU_PICK_ANY, ""},
        {"es", "antes del mediodía", -1, 720, BC_NLU_PICK_ANY, ""},
        {"es", "después del mediodía", 720, -1, BC_NLU_PICK_ANY, ""},
        {"es", "a primera hora", -1, -1, BC_NLU_PICK_FIRST, "morning"},
        {"es", "mañana a primera hora", -1, -1, BC_NLU_PICK_FIRST, "morning"},
        {"es", "a primera hora de la tarde", -1, -1, BC_NLU_PICK_FIRST, "afternoon"},
        {"es", "a última hora de la tarde", -1, -1, BC_NLU_PICK_LAST, "afternoon"},
        {"es", "a ultima hora de la mañana", -1, -1, BC_NLU_PICK_LAST, "morning"},
        {"es", "a última hora", -1, -1, BC_NLU_PICK_LAST, "evening"},
        {"es", "a la hora de comer", 840, 960, BC_NLU_PICK_ANY, ""},
        {"es", "lo más tarde posible", -1, -1, BC_NLU_PICK_LAST, ""},
        {"en", "between 2 and 4pm", 840, 960, BC_NLU_PICK_ANY, ""},
        {"en", "Tuesday between 2 and 4pm", 840, 960, BC_NLU_PICK_ANY, ""},
        {"en", "from 10 to 12", 600, 720, BC_NLU_PICK_ANY, ""},
        {"en", "after 5", 1020, -1, BC_NLU_PICK_ANY, ""},
        {"en", "sometime after 5", 1020, -1, BC_NLU_PICK_ANY, ""},
        {"en", "any time after 3pm", 900, -1, BC_NLU_PICK_ANY, ""},
        {"en", "before noon", -1, 720, BC_NLU_PICK_ANY, ""},
        {"en", "before 11am", -1, 660, BC_NLU_PICK_ANY, ""},
        {"en", "at lunchtime", 720, 840, BC_NLU_PICK_ANY, ""},
        {"en", "first thing in the morning", -1, -1, BC_NLU_PICK_FIRST, "morning"},
        {"en", "late afternoon", -1, -1, BC_NLU_PICK_LAST, "afternoon"},
        {"en", "early afternoon", -1, -1, BC_NLU_PICK_FIRST, "afternoon"},
        {"en", "as late as possible", -1, -1, BC_NLU_PICK_LAST, ""},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct window_row *r = &rows[i];
        struct bc_nlu_result o = parse_at(r->text, r->lang, &REF);
        const char *part = bc_nlu_part_name(o.part_of_day);
        if (!o.has_window || o.window_from != r->from || o.window_to != r->to || o.window_pick != r->pick ||
            strcmp(part, r->part)) {
            print_message("FAIL [%s] \"%s\": got window=%d %d..%d pick=%d part=%s\n", r->lang, r->text,
                          o.has_window, o.window_from, o.window_to, o.window_pick, part);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
    /* no window: an exact time, a day alone, a duration, "antes del 15" (not a time) */
    static const char *const none[] = {"a las 5", "el jueves", "dentro de tres horas", "antes del 15",
                                       "at 3pm"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        struct bc_nlu_result o = parse_at(none[i], "es", &REF);
        assert_false(o.has_window);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nlu_families__spanish),
        cmocka_unit_test(test_nlu_families__english),
        cmocka_unit_test(test_nlu_families__durations_are_not_clock_times),
        cmocka_unit_test(test_nlu_families__windows),
        cmocka_unit_test(test_nlu_families__other_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
