/* Table-driven tests of the NLU's dates and times (src/nlu/nlu_date.c) in Spanish and English, with a
 * fixed reference: Wednesday 2026-11-25 10:00 local. Every expected value is written by hand. A row is
 * (text, date, time, other reading of an ambiguous time, part of day); "" means "not understood". */
#include "nlu_rows.h"
#include "util/err.h"

static const struct bc_nlu_datetime REF = {2026, 11, 25, 3, 10, 0};

static const struct row spanish[] = {
    /* days relative to today */
    {"hoy", "2026-11-25", "", "", ""},
    {"mañana", "2026-11-26", "", "", ""},
    {"manana", "2026-11-26", "", "", ""},
    {"pasado mañana", "2026-11-27", "", "", ""},
    {"pasado manana", "2026-11-27", "", "", ""},
    {"para mañana", "2026-11-26", "", "", ""},
    {"pa mañana", "2026-11-26", "", "", ""},
    {"hoy mismo", "2026-11-25", "", "", ""},
    {"mañana por la mañana", "2026-11-26", "", "", "morning"},
    {"manana por la manana", "2026-11-26", "", "", "morning"},
    {"mañana por la tarde", "2026-11-26", "", "", "afternoon"},
    {"mañana x la tarde", "2026-11-26", "", "", "afternoon"},
    {"mañana por la noche", "2026-11-26", "", "", "evening"},
    {"esta tarde", "2026-11-25", "", "", "afternoon"},
    {"esta mañana", "2026-11-25", "", "", "morning"},
    {"esta noche", "2026-11-25", "", "", "evening"},
    {"hoy por la tarde", "2026-11-25", "", "", "afternoon"},
    {"mañana a las 10", "2026-11-26", "10:00", "22:00", ""},
    {"mañana a las 5", "2026-11-26", "17:00", "05:00", ""},
    {"mañana alas 10", "2026-11-26", "10:00", "22:00", ""},
    {"pasado mañana a las 11 y media", "2026-11-27", "11:30", "23:30", ""},
    /* weekdays */
    {"el lunes", "2026-11-30", "", "", ""},
    {"el martes", "2026-12-01", "", "", ""},
    {"el miércoles", "2026-12-02", "", "", ""},
    {"el miercoles", "2026-12-02", "", "", ""},
    {"el jueves", "2026-11-26", "", "", ""},
    {"el viernes", "2026-11-27", "", "", ""},
    {"el sábado", "2026-11-28", "", "", ""},
    {"el sabado", "2026-11-28", "", "", ""},
    {"el domingo", "2026-11-29", "", "", ""},
    {"lunes", "2026-11-30", "", "", ""},
    {"este jueves", "2026-11-26", "", "", ""},
    {"este viernes", "2026-11-27", "", "", ""},
    {"este lunes", "2026-11-30", "", "", ""},
    {"este miércoles", "2026-11-25", "", "", ""},
    {"el próximo lunes", "2026-11-30", "", "", ""},
    {"el proximo lunes", "2026-11-30", "", "", ""},
    {"el próximo jueves", "2026-11-26", "", "", ""},
    {"el próximo miércoles", "2026-12-02", "", "", ""},
    {"proximo jueves", "2026-11-26", "", "", ""},
    {"la semana que viene el martes", "2026-12-01", "", "", ""},
    {"el jueves que viene", "2026-11-26", "", "", ""},
    {"el jueves de la semana que viene", "2026-12-03", "", "", ""},
    {"el viernes de la próxima semana", "2026-12-04", "", "", ""},
    {"el lunes próximo", "2026-11-30", "", "", ""},
    {"el sábado que viene", "2026-11-28", "", "", ""},
    {"el domingo de esta semana", "2026-11-29", "", "", ""},
    {"el siguiente martes", "2026-12-01", "", "", ""},
    {"el lunes por la mañana", "2026-11-30", "", "", "morning"},
    {"el próximo lunes por la tarde", "2026-11-30", "", "", "afternoon"},
    {"el jueves a las 5", "2026-11-26", "17:00", "05:00", ""},
    {"el jueves a las 5 de la tarde", "2026-11-26", "17:00", "", "afternoon"},
    {"el viernes por la tarde a las 5", "2026-11-27", "17:00", "", "afternoon"},
    {"el lunes 30", "2026-11-30", "", "", ""},
    {"jueves 3 de diciembre", "2026-12-03", "", "", ""},
    {"el martes 1 de diciembre a las 9", "2026-12-01", "09:00", "21:00", ""},
    {"la mañana del jueves", "2026-11-26", "", "", "morning"},
    /* day and month */
    {"el 15 de diciembre", "2026-12-15", "", "", ""},
    {"15 de diciembre", "2026-12-15", "", "", ""},
    {"el 15 de dic", "2026-12-15", "", "", ""},
    {"15 dic", "2026-12-15", "", "", ""},
    {"el día 15 de diciembre", "2026-12-15", "", "", ""},
    {"diciembre 15", "2026-12-15", "", "", ""},
    {"el 1 de enero", "2027-01-01", "", "", ""},
    {"el primero de diciembre", "2026-12-01", "", "", ""},
    {"1º de diciembre", "2026-12-01", "", "", ""},
    {"el 25 de noviembre", "2026-11-25", "", "", ""},
    {"el 24 de noviembre", "2027-11-24", "", "", ""},
    {"el 5 de enero de 2027", "2027-01-05", "", "", ""},
    {"el 15 de diciembre de 2026", "2026-12-15", "", "", ""},
    {"el quince de diciembre", "2026-12-15", "", "", ""},
    {"el veintiuno de diciembre", "2026-12-21", "", "", ""},
    {"el veinticuatro de diciembre", "2026-12-24", "", "", ""},
    {"el treinta y uno de diciembre", "2026-12-31", "", "", ""},
    {"el treinta de noviembre", "2026-11-30", "", "", ""},
    {"el dos de enero", "2027-01-02", "", "", ""},
    {"el uno de diciembre", "2026-12-01", "", "", ""},
    {"el 29 de febrero", "2028-02-29", "", "", ""},
    {"el 31 de noviembre", "", "", "", ""},
    {"el 3 de marzo", "2027-03-03", "", "", ""},
    {"el 14 de febrero", "2027-02-14", "", "", ""},
    {"el 10 de setiembre", "2027-09-10", "", "", ""},
    {"el 6 de diciembre", "2026-12-06", "", "", ""},
    {"el día 3", "2026-12-03", "", "", ""},
    {"el dia 3", "2026-12-03", "", "", ""},
    {"el 3", "2026-12-03", "", "", ""},
    {"el día 28", "2026-11-28", "", "", ""},
    {"el 30", "2026-11-30", "", "", ""},
    {"para el 2", "2026-12-02", "", "", ""},
    {"el 3 del mes que viene", "2026-12-03", "", "", ""},
    /* numeric */
    {"15/12", "2026-12-15", "", "", ""},
    {"15-12", "2026-12-15", "", "", ""},
    {"15.12", "2026-12-15", "", "", ""},
    {"05/12", "2026-12-05", "", "", ""},
    {"5/12", "2026-12-05", "", "", ""},
    {"15/12/2026", "2026-12-15", "", "", ""},
    {"15/12/26", "2026-12-15", "", "", ""},
    {"3/1/2027", "2027-01-03", "", "", ""},
    {"2026-12-15", "2026-12-15", "", "", ""},
    {"12/15", "2026-12-15", "", "", ""},
    /* in N days / weeks */
    {"dentro de 3 días", "2026-11-28", "", "", ""},
    {"dentro de tres dias", "2026-11-28", "", "", ""},
    {"dentro de 3 dias", "2026-11-28", "", "", ""},
    {"en 3 días", "2026-11-28", "", "", ""},
    {"en dos semanas", "2026-12-09", "", "", ""},
    {"en 2 semanas", "2026-12-09", "", "", ""},
    {"dentro de una semana", "2026-12-02", "", "", ""},
    {"en una semana", "2026-12-02", "", "", ""},
    {"dentro de 15 días", "2026-12-10", "", "", ""},
    {"en quince dias", "2026-12-10", "", "", ""},
    {"dentro de un mes", "2026-12-25", "", "", ""},
    {"de aquí a 10 días", "2026-12-05", "", "", ""},
    {"el fin de semana", "2026-11-28", "", "", ""},
    {"este fin de semana", "2026-11-28", "", "", ""},
    {"el finde", "2026-11-28", "", "", ""},
    /* times */
    {"a las 5", "", "17:00", "05:00", ""},
    {"a las cinco", "", "17:00", "05:00", ""},
    {"a las 5 de la tarde", "", "17:00", "", "afternoon"},
    {"a las cinco de la tarde", "", "17:00", "", "afternoon"},
    {"a las 10 de la mañana", "", "10:00", "", "morning"},
    {"a las 9 de la noche", "", "21:00", "", "evening"},
    {"a las 12 de la noche", "", "00:00", "", "evening"},
    {"a las 3 de la madrugada", "", "03:00", "", "morning"},
    {"a las 8 de la tarde", "", "20:00", "", "afternoon"},
    {"a las 12", "", "12:00", "", ""},
    {"a las 8", "", "08:00", "20:00", ""},
    {"a las once", "", "11:00", "23:00", ""},
    {"a las 20:00", "", "20:00", "", ""},
    {"a las 10 y media", "", "10:30", "22:30", ""},
    {"a las diez y media", "", "10:30", "22:30", ""},
    {"a las 6 menos cuarto", "", "17:45", "05:45", ""},
    {"a las seis menos cuarto", "", "17:45", "05:45", ""},
    {"a las 5 y cuarto", "", "17:15", "05:15", ""},
    {"a las 6 menos diez", "", "17:50", "05:50", ""},
    {"a las nueve menos veinte", "", "08:40", "20:40", ""},
    {"a las 5 y 10", "", "17:10", "05:10", ""},
    {"a las cinco y veinte", "", "17:20", "05:20", ""},
    {"a las 4 y 45", "", "16:45", "04:45", ""},
    {"a las doce y cuarto", "", "12:15", "", ""},
    {"a las siete y media de la tarde", "", "19:30", "", "afternoon"},
    {"a la una", "", "13:00", "01:00", ""},
    {"a la una y media", "", "13:30", "01:30", ""},
    {"a la una menos cuarto", "", "12:45", "", ""},
    {"a las 17:30", "", "17:30", "", ""},
    {"17:30", "", "17:30", "", ""},
    {"a las 17.30", "", "17:30", "", ""},
    {"a las 17h", "", "17:00", "", ""},
    {"17h", "", "17:00", "", ""},
    {"17h30", "", "17:30", "", ""},
    {"a las 17 horas", "", "17:00", "", ""},
    {"a las 09:30", "", "09:30", "", ""},
    {"mediodía", "", "12:00", "", ""},
    {"mediodia", "", "12:00", "", ""},
    {"a mediodía", "", "12:00", "", ""},
    {"al mediodía", "", "12:00", "", ""},
    {"a las 12 del mediodía", "", "12:00", "", "afternoon"},
    {"a la una del mediodía", "", "13:00", "", "afternoon"},
    {"medianoche", "", "00:00", "", ""},
    {"sobre las 5", "", "17:00", "05:00", ""},
    {"a eso de las 6", "", "18:00", "06:00", ""},
    {"a partir de las 4", "", "16:00", "04:00", ""},
    {"despues de las 6", "", "18:00", "06:00", ""},
    {"antes de las 12", "", "12:00", "", ""},
    {"a las 5 en punto", "", "17:00", "05:00", ""},
    {"a las sinco", "", "17:00", "05:00", ""},
    {"a las 5 d la tarde", "", "17:00", "", "afternoon"},
    {"entre las 5 y las 7", "", "17:00", "05:00", ""},
    /* parts of the day */
    {"por la mañana", "", "", "", "morning"},
    {"por la tarde", "", "", "", "afternoon"},
    {"por la noche", "", "", "", "evening"},
    {"de noche", "", "", "", "evening"},
    {"tarde", "", "", "", "afternoon"},
    {"por las tardes", "", "", "", "afternoon"},
    {"después de comer", "", "", "", "afternoon"},
    {"despues de comer", "", "", "", "afternoon"},
    {"a primera hora", "", "", "", "morning"},
    {"temprano", "", "", "", "morning"},
    {"una mañana de estas", "", "", "", "morning"},
    /* in longer sentences */
    {"quiero un corte con Ana el jueves a las 5", "2026-11-26", "17:00", "05:00", ""},
    {"hola, ¿tenéis hueco mañana por la tarde?", "2026-11-26", "", "", "afternoon"},
    {"buenas tardes, quería pedir cita para el viernes", "2026-11-27", "", "", ""},
    {"buenos días, ¿podría ser el lunes a las 10?", "2026-11-30", "10:00", "22:00", ""},
    {"hola buenas, quería saber si tenéis hueco para un corte el jueves a las 5 de la tarde, gracias",
     "2026-11-26", "17:00", "", "afternoon"},
    {"¿me podéis dar cita para el 15 de diciembre por la mañana?", "2026-12-15", "", "", "morning"},
    {"necesito una cita dentro de dos semanas", "2026-12-09", "", "", ""},
    {"el jueves no puedo, mejor el viernes", "2026-11-27", "", "", ""},
    {"el jueves no, el viernes", "2026-11-27", "", "", ""},
    {"no puedo el jueves, ¿el viernes?", "2026-11-27", "", "", ""},
    {"cualquier día menos el lunes", "", "", "", ""},
    {"quiero cambiar mi cita del jueves al viernes", "2026-11-27", "", "", ""},
    {"en vez del jueves, el viernes", "2026-11-27", "", "", ""},
    {"mejor el viernes en vez del jueves", "2026-11-27", "", "", ""},
    {"la primera", "", "", "", ""},
    {"a las 5 no puedo, a las 6 sí", "", "18:00", "06:00", ""},
    {"llego tarde", "", "", "", ""},
    {"más tarde", "", "", "", ""},
    {"¿cuánto tarda el tinte?", "", "", "", ""},
    {"buenas noches", "", "", "", ""},
    {"buenos días", "", "", "", ""},
    {"somos 2 personas", "", "", "", ""},
    {"MAÑANA A LAS 10", "2026-11-26", "10:00", "22:00", ""},
    /* typos */
    {"el miercoles a las 5", "2026-12-02", "17:00", "05:00", ""},
    {"el proximo biernes", "2026-11-27", "", "", ""},
    {"el juebes", "2026-11-26", "", "", ""},
    {"el savado", "2026-11-28", "", "", ""},
    {"el vienes", "2026-11-27", "", "", ""},
    {"pasado mñana", "2026-11-27", "", "", ""},
    {"el 15 de dicembre", "2026-12-15", "", "", ""},
    {"el 3 de novienbre", "2027-11-03", "", "", ""},
};

static const struct row english[] = {
    /* days relative to today */
    {"today", "2026-11-25", "", "", ""},
    {"tomorrow", "2026-11-26", "", "", ""},
    {"tommorow", "2026-11-26", "", "", ""},
    {"tomorow", "2026-11-26", "", "", ""},
    {"tmrw", "2026-11-26", "", "", ""},
    {"day after tomorrow", "2026-11-27", "", "", ""},
    {"the day after tomorrow", "2026-11-27", "", "", ""},
    {"tonight", "2026-11-25", "", "", "evening"},
    {"this morning", "2026-11-25", "", "", "morning"},
    {"this afternoon", "2026-11-25", "", "", "afternoon"},
    {"this evening", "2026-11-25", "", "", "evening"},
    {"tomorrow morning", "2026-11-26", "", "", "morning"},
    {"tomorrow afternoon", "2026-11-26", "", "", "afternoon"},
    {"tomorrow night", "2026-11-26", "", "", "evening"},
    {"tomorrow at 10am", "2026-11-26", "10:00", "", ""},
    {"tomorrow at 3", "2026-11-26", "15:00", "03:00", ""},
    /* weekdays */
    {"monday", "2026-11-30", "", "", ""},
    {"on monday", "2026-11-30", "", "", ""},
    {"on Tuesday", "2026-12-01", "", "", ""},
    {"wednesday", "2026-12-02", "", "", ""},
    {"on thursday", "2026-11-26", "", "", ""},
    {"friday", "2026-11-27", "", "", ""},
    {"saturday", "2026-11-28", "", "", ""},
    {"sunday", "2026-11-29", "", "", ""},
    {"this thursday", "2026-11-26", "", "", ""},
    {"this friday", "2026-11-27", "", "", ""},
    {"this monday", "2026-11-30", "", "", ""},
    {"this wednesday", "2026-11-25", "", "", ""},
    {"next monday", "2026-11-30", "", "", ""},
    {"next thursday", "2026-12-03", "", "", ""},
    {"next friday", "2026-12-04", "", "", ""},
    {"next sunday", "2026-12-06", "", "", ""},
    {"next wednesday", "2026-12-02", "", "", ""},
    {"this coming friday", "2026-11-27", "", "", ""},
    {"friday next week", "2026-12-04", "", "", ""},
    {"next week on tuesday", "2026-12-01", "", "", ""},
    {"monday morning", "2026-11-30", "", "", "morning"},
    {"friday afternoon", "2026-11-27", "", "", "afternoon"},
    {"on friday at 3pm", "2026-11-27", "15:00", "", ""},
    {"next friday at 3pm", "2026-12-04", "15:00", "", ""},
    {"thu", "2026-11-26", "", "", ""},
    {"fri at 10", "2026-11-27", "10:00", "22:00", ""},
    {"monday the 30th", "2026-11-30", "", "", ""},
    {"Thursday, December 3rd", "2026-12-03", "", "", ""},
    /* dates */
    {"Dec 15", "2026-12-15", "", "", ""},
    {"dec 15th", "2026-12-15", "", "", ""},
    {"December 15", "2026-12-15", "", "", ""},
    {"December 15th", "2026-12-15", "", "", ""},
    {"december the 15th", "2026-12-15", "", "", ""},
    {"15th December", "2026-12-15", "", "", ""},
    {"15 December", "2026-12-15", "", "", ""},
    {"the 15th of December", "2026-12-15", "", "", ""},
    {"15th of december", "2026-12-15", "", "", ""},
    {"December 15, 2026", "2026-12-15", "", "", ""},
    {"Jan 5", "2027-01-05", "", "", ""},
    {"January 1st", "2027-01-01", "", "", ""},
    {"jan 1st 2027", "2027-01-01", "", "", ""},
    {"the 3rd", "2026-12-03", "", "", ""},
    {"on the 3rd", "2026-12-03", "", "", ""},
    {"the one in Brooklyn", "", "", "", ""}, /* a choice of place, not the 1st */
    {"the 1", "2026-12-01", "", "", ""},
    {"the 28th", "2026-11-28", "", "", ""},
    {"the 1st", "2026-12-01", "", "", ""},
    {"on the 30th", "2026-11-30", "", "", ""},
    {"the twenty first of december", "2026-12-21", "", "", ""},
    {"december twenty-first", "2026-12-21", "", "", ""},
    {"december first", "2026-12-01", "", "", ""},
    {"the first of december", "2026-12-01", "", "", ""},
    {"12/15", "2026-12-15", "", "", ""},
    {"12/05", "2026-12-05", "", "", ""},
    {"05/12", "2027-05-12", "", "", ""},
    {"12/15/2026", "2026-12-15", "", "", ""},
    {"2026-12-15", "2026-12-15", "", "", ""},
    {"3rd of jan", "2027-01-03", "", "", ""},
    {"feb 14", "2027-02-14", "", "", ""},
    /* in N days / weeks */
    {"in 2 weeks", "2026-12-09", "", "", ""},
    {"in two weeks", "2026-12-09", "", "", ""},
    {"in 3 days", "2026-11-28", "", "", ""},
    {"in three days", "2026-11-28", "", "", ""},
    {"in a week", "2026-12-02", "", "", ""},
    {"a week from today", "2026-12-02", "", "", ""},
    {"3 days from now", "2026-11-28", "", "", ""},
    {"in a month", "2026-12-25", "", "", ""},
    {"in 10 days", "2026-12-05", "", "", ""},
    {"in a fortnight", "2026-12-09", "", "", ""},
    {"this weekend", "2026-11-28", "", "", ""},
    {"next weekend", "2026-12-05", "", "", ""},
    /* times */
    {"at 3", "", "15:00", "03:00", ""},
    {"at 3pm", "", "15:00", "", ""},
    {"3pm", "", "15:00", "", ""},
    {"3 pm", "", "15:00", "", ""},
    {"3 p.m.", "", "15:00", "", ""},
    {"at 10am", "", "10:00", "", ""},
    {"10 a.m.", "", "10:00", "", ""},
    {"at 10:30", "", "10:30", "22:30", ""},
    {"10:30am", "", "10:30", "", ""},
    {"5.30pm", "", "17:30", "", ""},
    {"17:30", "", "17:30", "", ""},
    {"at noon", "", "12:00", "", ""},
    {"noon", "", "12:00", "", ""},
    {"midday", "", "12:00", "", ""},
    {"midnight", "", "00:00", "", ""},
    {"12pm", "", "12:00", "", ""},
    {"12am", "", "00:00", "", ""},
    {"half past 3", "", "15:30", "03:30", ""},
    {"quarter past 10", "", "10:15", "22:15", ""},
    {"quarter to 4", "", "15:45", "03:45", ""},
    {"ten past five", "", "17:10", "05:10", ""},
    {"twenty to six", "", "17:40", "05:40", ""},
    {"at 5 o'clock", "", "17:00", "05:00", ""},
    {"at five oclock", "", "17:00", "05:00", ""},
    {"at 3 in the afternoon", "", "15:00", "", "afternoon"},
    {"at 9 in the morning", "", "09:00", "", "morning"},
    {"at 8 at night", "", "20:00", "", "evening"},
    {"at 7 in the evening", "", "19:00", "", "evening"},
    {"around 4", "", "16:00", "04:00", ""},
    {"after 6", "", "18:00", "06:00", ""},
    {"before noon", "", "12:00", "", ""},
    {"at three thirty", "", "15:30", "03:30", ""},
    {"at 3:15 pm", "", "15:15", "", ""},
    {"at 11", "", "11:00", "23:00", ""},
    /* parts of the day */
    {"in the morning", "", "", "", "morning"},
    {"in the afternoon", "", "", "", "afternoon"},
    {"in the evening", "", "", "", "evening"},
    {"morning", "", "", "", "morning"},
    {"afternoons", "", "", "", "afternoon"},
    {"after lunch", "", "", "", "afternoon"},
    {"good morning", "", "", "", ""},
    {"good afternoon", "", "", "", ""},
    /* in longer sentences */
    {"can I book a massage with John next friday at 3pm?", "2026-12-04", "15:00", "", ""},
    {"Hi, do you have anything tomorrow afternoon?", "2026-11-26", "", "", "afternoon"},
    {"I'd like an appointment on the 15th of December at 10am please", "2026-12-15", "10:00", "", ""},
    {"Good morning! Could I come in on Thursday at half past 4?", "2026-11-26", "16:30", "04:30", ""},
    {"I can't do Thursday, how about Friday?", "2026-11-27", "", "", ""},
    {"not thursday, friday", "2026-11-27", "", "", ""},
    {"what about monday at 9 in the morning", "2026-11-30", "09:00", "", "morning"},
    {"is there a slot in 2 weeks?", "2026-12-09", "", "", ""},
    {"we are 2 people", "", "", "", ""},
    {"can we do thursday instead of friday?", "2026-11-26", "", "", ""},
    {"move it from thursday to friday", "2026-11-27", "", "", ""},
    {"how about 4?", "", "16:00", "04:00", ""},
    {"the first one", "", "", "", ""},
    /* typos */
    {"wendesday", "2026-12-02", "", "", ""},
    {"thrusday", "2026-11-26", "", "", ""},
    {"next fryday", "2026-12-04", "", "", ""},
    {"satruday", "2026-11-28", "", "", ""},
    {"tuesay", "2026-12-01", "", "", ""},
    {"febuary 14", "2027-02-14", "", "", ""},
    {"decmber 15", "2026-12-15", "", "", ""},
    {"tommorow at 5pm", "2026-11-26", "17:00", "", ""},
    {"on wensday", "2026-12-02", "", "", ""},
    {"aftenoon", "", "", "", "afternoon"},
    {"tomorrow evning", "2026-11-26", "", "", "evening"},
    {"this thurday", "2026-11-26", "", "", ""},
};

static void test_nlu_date__spanish(void **state)
{
    (void)state;
    size_t n = sizeof spanish / sizeof spanish[0];
    assert_true(n >= 150);
    int failed = 0;
    for (size_t i = 0; i < n; i++) failed += check_row("es", &spanish[i], &REF);
    assert_int_equal(failed, 0);
}

static void test_nlu_date__english(void **state)
{
    (void)state;
    size_t n = sizeof english / sizeof english[0];
    assert_true(n >= 100);
    int failed = 0;
    for (size_t i = 0; i < n; i++) failed += check_row("en", &english[i], &REF);
    assert_int_equal(failed, 0);
}

/* The hint only breaks ties: Spanish words with an English hint, and the other way round. */
static void test_nlu_date__hint_only_breaks_ties(void **state)
{
    (void)state;
    static const struct row es_with_en_hint[] = {
        {"el próximo lunes a las 5 de la tarde", "2026-11-30", "17:00", "", "afternoon"},
        {"15/12", "2026-12-15", "", "", ""},
        {"05/12", "2027-05-12", "", "", ""},
    };
    static const struct row en_with_es_hint[] = {
        {"next friday at 3pm", "2026-12-04", "15:00", "", ""},
        {"12/15", "2026-12-15", "", "", ""},
        {"05/12", "2026-12-05", "", "", ""},
    };
    int failed = 0;
    for (size_t i = 0; i < 3; i++) failed += check_row("en", &es_with_en_hint[i], &REF);
    for (size_t i = 0; i < 3; i++) failed += check_row("es", &en_with_es_hint[i], &REF);
    for (size_t i = 0; i < 3; i++) failed += check_row(NULL, &en_with_es_hint[i], &REF);
    assert_int_equal(failed, 0);
}

/* Other references: the end of the year, a Sunday, a leap year. */
static void test_nlu_date__other_references(void **state)
{
    (void)state;
    static const struct bc_nlu_datetime dec30 = {2026, 12, 30, 0, 18, 0}; /* a Wednesday */
    static const struct row year_end[] = {
        {"el 2 de enero", "2027-01-02", "", "", ""}, {"mañana", "2026-12-31", "", "", ""},
        {"pasado mañana", "2027-01-01", "", "", ""}, {"el lunes", "2027-01-04", "", "", ""},
        {"in 2 weeks", "2027-01-13", "", "", ""},    {"el 30", "2026-12-30", "", "", ""},
        {"el 29", "2027-01-29", "", "", ""},         {"dentro de un mes", "2027-01-30", "", "", ""},
    };
    static const struct bc_nlu_datetime sunday = {2027, 1, 31, 7, 9, 30};
    static const struct row from_sunday[] = {
        {"next monday", "2027-02-01", "", "", ""},  {"el domingo", "2027-02-07", "", "", ""},
        {"este domingo", "2027-01-31", "", "", ""}, {"this weekend", "2027-01-31", "", "", ""},
        {"el 31", "2027-01-31", "", "", ""},        {"el 30", "2027-03-30", "", "", ""},
        {"in a month", "2027-02-28", "", "", ""},   {"el 29 de febrero", "2028-02-29", "", "", ""},
    };
    static const struct bc_nlu_datetime leap = {2028, 2, 27, 0, 12, 0}; /* a Sunday */
    static const struct row leap_rows[] = {
        {"pasado mañana", "2028-02-29", "", "", ""},
        {"el 29 de febrero", "2028-02-29", "", "", ""},
        {"29/02", "2028-02-29", "", "", ""},
        {"in 3 days", "2028-03-01", "", "", ""},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof year_end / sizeof year_end[0]; i++)
        failed += check_row("es", &year_end[i], &dec30);
    for (size_t i = 0; i < sizeof from_sunday / sizeof from_sunday[0]; i++)
        failed += check_row("es", &from_sunday[i], &sunday);
    for (size_t i = 0; i < sizeof leap_rows / sizeof leap_rows[0]; i++)
        failed += check_row("es", &leap_rows[i], &leap);
    assert_int_equal(failed, 0);
}

static struct bc_nlu_result parse(const char *text, const char *lang, enum bc_nlu_expect expect)
{
    struct bc_nlu_request req = {
        .text = text, .len = strlen(text), .lang = lang, .now = REF, .expect = expect};
    struct bc_nlu_result o;
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    return o;
}

static void test_nlu_date__qualifiers_and_ranges(void **state)
{
    (void)state;
    struct bc_nlu_result o = parse("entre las 5 y las 7 de la tarde", "es", 0);
    assert_int_equal(o.time_qualifier, BC_NLU_AT_RANGE);
    assert_string_equal(o.time, "17:00");
    assert_true(o.has_time_end);
    assert_int_equal(o.end_hour, 19);
    o = parse("from 3 to 5pm", "en", 0);
    assert_int_equal(o.time_qualifier, BC_NLU_AT_RANGE);
    assert_string_equal(o.time, "15:00");
    assert_int_equal(o.end_hour, 17);
    assert_false(o.time_ambiguous);
    o = parse("from 10 to 2pm", "en", 0);
    assert_string_equal(o.time, "10:00");
    assert_int_equal(o.end_hour, 14);
    o = parse("from 9 to 11am", "en", 0);
    assert_string_equal(o.time, "09:00");
    assert_int_equal(o.end_hour, 11);
    o = parse("de 10 a 14h", "es", 0);
    assert_string_equal(o.time, "10:00");
    assert_int_equal(o.end_hour, 14);
    o = parse("a partir de las 6", "es", 0);
    assert_int_equal(o.time_qualifier, BC_NLU_AT_AFTER);
    assert_string_equal(bc_nlu_qualifier_name(o.time_qualifier), "after");
    o = parse("antes de las 12", "es", 0);
    assert_int_equal(o.time_qualifier, BC_NLU_AT_BEFORE);
    o = parse("around 4pm", "en", 0);
    assert_int_equal(o.time_qualifier, BC_NLU_AT_AROUND);
    assert_string_equal(o.time, "16:00");
    o = parse("a las 5", "es", 0);
    assert_int_equal(o.time_qualifier, BC_NLU_AT_EXACT);
    assert_false(o.has_time_end);
    assert_true(o.time_ambiguous);
    assert_int_equal(o.alt_hour, 5);
    o = parse("lo antes posible", "es", 0);
    assert_true(o.asap);
    assert_false(o.has_date);
    o = parse("first available slot", "en", 0);
    assert_true(o.asap);
}

/* A bare number is a time or a day only when the dialog asked for one. */
static void test_nlu_date__expected_bare_numbers(void **state)
{
    (void)state;
    struct bc_nlu_result o = parse("5", "es", BC_NLU_EXPECT_TIME);
    assert_string_equal(o.time, "17:00");
    assert_string_equal(o.time_alt, "05:00");
    o = parse("a las", "es", BC_NLU_EXPECT_TIME);
    assert_false(o.has_time);
    o = parse("las 10", "es", BC_NLU_EXPECT_TIME);
    assert_string_equal(o.time, "10:00");
    o = parse("16", "es", BC_NLU_EXPECT_TIME);
    assert_string_equal(o.time, "16:00");
    assert_false(o.time_ambiguous);
    o = parse("5", "es", BC_NLU_EXPECT_NONE);
    assert_false(o.has_time);
    assert_true(o.has_number);
    assert_int_equal(o.number, 5);
    o = parse("el 7", "es", BC_NLU_EXPECT_DATE);
    assert_string_equal(o.date, "2026-12-07");
    o = parse("7", "es", BC_NLU_EXPECT_DATE);
    assert_string_equal(o.date, "2026-12-07");
    o = parse("7", "es", BC_NLU_EXPECT_NONE);
    assert_false(o.has_date);
    o = parse("45", "es", BC_NLU_EXPECT_DATE);
    assert_false(o.has_date);
}

static void test_nlu_date__civil_helpers(void **state)
{
    (void)state;
    assert_int_equal(bc_nlu_weekday(2026, 11, 25), 3);
    assert_int_equal(bc_nlu_weekday(1970, 1, 1), 4);
    assert_int_equal(bc_nlu_weekday(2000, 2, 29), 2);
    assert_int_equal(bc_nlu_weekday(1, 1, 1), 1);
    int y = 2026, m = 12, d = 31;
    bc_nlu_add_days(&y, &m, &d, 1);
    assert_true(y == 2027 && m == 1 && d == 1);
    bc_nlu_add_days(&y, &m, &d, -366);
    assert_true(y == 2025 && m == 12 && d == 31);
    /* every day of four centuries: add_days and weekday agree with a running count */
    y = 1900, m = 1, d = 1;
    int wd = bc_nlu_weekday(y, m, d);
    for (int i = 0; i < 146097; i++) {
        int y2 = y, m2 = m, d2 = d;
        bc_nlu_add_days(&y2, &m2, &d2, 1);
        wd = wd % 7 + 1;
        assert_int_equal(bc_nlu_weekday(y2, m2, d2), wd);
        assert_true(d2 == d + 1 || (d2 == 1 && (m2 == m + 1 || (m == 12 && m2 == 1 && y2 == y + 1))));
        y = y2, m = m2, d = d2;
    }
    assert_true(y == 2300 && m == 1 && d == 1);
}

static void test_nlu_date__bad_reference(void **state)
{
    (void)state;
    struct bc_nlu_result o;
    struct bc_nlu_request req = {.text = "mañana", .len = 7, .now = {2026, 2, 30, 0, 10, 0}};
    assert_int_equal(bc_nlu_parse(&req, &o), BC_EINVALID);
    req.now = (struct bc_nlu_datetime){2026, 11, 25, 4, 10, 0}; /* wrong weekday */
    assert_int_equal(bc_nlu_parse(&req, &o), BC_EINVALID);
    req.now = (struct bc_nlu_datetime){2026, 11, 25, 3, 24, 0};
    assert_int_equal(bc_nlu_parse(&req, &o), BC_EINVALID);
    req.now = (struct bc_nlu_datetime){2026, 11, 25, 0, 23, 59};
    assert_int_equal(bc_nlu_parse(&req, &o), 0);
    assert_string_equal(o.date, "2026-11-26");
    assert_int_equal(bc_nlu_parse(NULL, &o), BC_EINVALID);
    assert_int_equal(bc_nlu_parse(&req, NULL), BC_EINVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nlu_date__spanish),
        cmocka_unit_test(test_nlu_date__english),
        cmocka_unit_test(test_nlu_date__hint_only_breaks_ties),
        cmocka_unit_test(test_nlu_date__other_references),
        cmocka_unit_test(test_nlu_date__qualifiers_and_ranges),
        cmocka_unit_test(test_nlu_date__expected_bare_numbers),
        cmocka_unit_test(test_nlu_date__civil_helpers),
        cmocka_unit_test(test_nlu_date__bad_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
