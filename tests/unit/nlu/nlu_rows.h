/* The expression table shared by the NLU date tests (test_nlu_date.c, test_nlu_families.c): a row is
 * (text, date, time, other reading of an ambiguous time, part of day); "" means "not understood". */
#ifndef BC_TEST_NLU_ROWS_H
#define BC_TEST_NLU_ROWS_H
#include "../testlib.h"

#include "nlu/nlu.h"

struct row {
    const char *text;
    const char *date;
    const char *time;
    const char *alt;
    const char *part;
};

/* Parses one row at the reference ref; prints it and returns 1 when the reading differs. */
static inline int check_row(const char *lang, const struct row *r, const struct bc_nlu_datetime *ref)
{
    struct bc_nlu_request req = {.text = r->text, .len = strlen(r->text), .lang = lang, .now = *ref};
    struct bc_nlu_result o;
    if (bc_nlu_parse(&req, &o) != 0) {
        print_message("FAIL [%s] \"%s\": parse error\n", lang, r->text);
        return 1;
    }
    const char *part = bc_nlu_part_name(o.part_of_day);
    const char *alt = o.time_ambiguous ? o.time_alt : "";
    if (strcmp(o.date, r->date) || strcmp(o.time, r->time) || strcmp(alt, r->alt) || strcmp(part, r->part)) {
        print_message("FAIL [%s] \"%s\": got date=%s time=%s alt=%s part=%s, want date=%s time=%s alt=%s "
                      "part=%s\n",
                      lang, r->text, o.date, o.time, alt, part, r->date, r->time, r->alt, r->part);
        return 1;
    }
    if (o.has_date != (r->date[0] != 0) || o.has_time != (r->time[0] != 0)) return 1;
    if (o.has_date && (o.weekday != bc_nlu_weekday(o.year, o.month, o.day))) return 1;
    return 0;
}

/* The rows that differ, of n rows. */
static inline int check_rows(const char *lang, const struct row *rows, size_t n,
                             const struct bc_nlu_datetime *ref)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++) failed += check_row(lang, &rows[i], ref);
    return failed;
}

#endif
