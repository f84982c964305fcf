/* Public holidays: known dates of 2026 and 2027 for each place covered, the substitution rules of GB and US,
 * Easter over a few years, and the place check. */
#include "../testlib.h"

#include "domain/holidays.h"
#include "util/err.h"

/* Whether "YYYY-MM-DD" is a holiday at country/region, and with which name. */
static bool hol(const char *country, const char *region, const char *date, const char **name)
{
    int y, m, d;
    assert_int_equal(sscanf(date, "%d-%d-%d", &y, &m, &d), 3);
    return bc_holiday(country, region, y, m, d, name);
}

/* Every date of the list is a holiday there and every other day of the year is not. */
static void only(const char *country, const char *region, int year, const char *const *dates)
{
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= 31; d++) {
            char s[16];
            snprintf(s, sizeof s, "%04d-%02d-%02d", year, m, d);
            bool listed = false;
            for (const char *const *p = dates; *p; p++) listed |= strcmp(*p, s) == 0;
            const char *name = NULL;
            bool is = bc_holiday(country, region, year, m, d, &name);
            if (is != listed) fail_msg("%s/%s %s: expected %d", country, region ? region : "-", s, listed);
            if (is) assert_non_null(name);
        }
}

static void test_holidays__spain_2026(void **state)
{
    (void)state;
    static const char *const es[] = {"2026-01-01", "2026-01-06", "2026-04-03", "2026-05-01",
                                     "2026-08-15", "2026-10-12", "2026-11-01", "2026-12-06",
                                     "2026-12-08", "2026-12-25", NULL};
    only("ES", NULL, 2026, es);
    static const char *const md[] = {"2026-01-01", "2026-01-06", "2026-04-02", "2026-04-03", "2026-05-01",
                                     "2026-05-02", "2026-08-15", "2026-10-12", "2026-11-01", "2026-12-06",
                                     "2026-12-08", "2026-12-25", NULL};
    only("ES", "MD", 2026, md);
    static const char *const ct[] = {"2026-01-01", "2026-01-06", "2026-04-03", "2026-04-06", "2026-05-01",
                                     "2026-06-24", "2026-08-15", "2026-09-11", "2026-10-12", "2026-11-01",
                                     "2026-12-06", "2026-12-08", "2026-12-25", "2026-12-26", NULL};
    only("ES", "CT", 2026, ct);
    const char *name = NULL;
    assert_true(hol("ES", "MD", "2026-12-08", &name));
    assert_string_equal(name, "Inmaculada Concepción");
    assert_true(hol("ES", "MD", "2026-04-02", &name));
    assert_string_equal(name, "Jueves Santo");
    assert_true(hol("ES", "AN", "2026-02-28", &name));
    assert_string_equal(name, "Día de Andalucía");
    assert_true(hol("ES", "AN", "2026-04-02", NULL));
    assert_false(hol("ES", "AN", "2026-04-06", NULL));
    assert_true(hol("ES", "VC", "2026-10-09", &name));
    assert_string_equal(name, "Día de la Comunitat Valenciana");
    assert_true(hol("ES", "VC", "2026-04-06", NULL));
    assert_false(hol("ES", "VC", "2026-04-02", NULL));
    assert_true(hol("ES", "PV", "2026-04-02", NULL));
    assert_true(hol("ES", "PV", "2026-04-06", &name));
    assert_string_equal(name, "Lunes de Pascua");
    /* Spain has no computed substitution: 1 November 2026 is a Sunday and the Monday stays a working day */
    assert_false(hol("ES", "MD", "2026-11-02", NULL));
    assert_false(hol("ES", "MD", "2026-12-09", NULL));
}

static void test_holidays__spain_2027(void **state)
{
    (void)state;
    /* Easter 2027 is on 28 March */
    static const char *const md[] = {"2027-01-01", "2027-01-06", "2027-03-25", "2027-03-26", "2027-05-01",
                                     "2027-05-02", "2027-08-15", "2027-10-12", "2027-11-01", "2027-12-06",
                                     "2027-12-08", "2027-12-25", NULL};
    only("ES", "MD", 2027, md);
    assert_true(hol("ES", "CT", "2027-03-29", NULL));
    assert_false(hol("ES", "CT", "2027-03-25", NULL));
}

static void test_holidays__united_states(void **state)
{
    (void)state;
    /* 4 July 2026 is a Saturday: observed Friday 3; 19 June 2027 a Saturday, 4 July 2027 a Sunday, 25
     * December 2027 a Saturday and 1 January 2028 a Saturday (observed on 31 December 2027) */
    static const char *const y2026[] = {"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19",
                                        "2026-07-03", "2026-07-04", "2026-09-07", "2026-10-12", "2026-11-11",
                                        "2026-11-26", "2026-12-25", NULL};
    only("US", NULL, 2026, y2026);
    static const char *const y2027[] = {"2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31",
                                        "2027-06-18", "2027-06-19", "2027-07-04", "2027-07-05",
                                        "2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25",
                                        "2027-12-24", "2027-12-25", "2027-12-31", NULL};
    only("US", NULL, 2027, y2027);
    const char *name = NULL;
    assert_true(hol("US", NULL, "2026-11-26", &name));
    assert_string_equal(name, "Thanksgiving Day");
    assert_true(hol("US", NULL, "2027-12-31", &name));
    assert_string_equal(name, "New Year's Day");
    assert_true(hol("US", NULL, "2026-05-25", &name));
    assert_string_equal(name, "Memorial Day");
}

static void test_holidays__great_britain(void **state)
{
    (void)state;
    static const char *const eng2026[] = {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04",
                                          "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-26",
                                          "2026-12-28", NULL};
    only("GB", "ENG", 2026, eng2026);
    /* 25 December 2027 is a Saturday and 26 a Sunday: Monday 27 and Tuesday 28 */
    static const char *const eng2027[] = {"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03",
                                          "2027-05-31", "2027-08-30", "2027-12-25", "2027-12-26",
                                          "2027-12-27", "2027-12-28", NULL};
    only("GB", "ENG", 2027, eng2027);
    only("GB", "WLS", 2027, eng2027);
    static const char *const sct2027[] = {
        "2027-01-01", "2027-01-02", "2027-01-04", "2027-03-26", "2027-05-03", "2027-05-31", "2027-08-02",
        "2027-11-30", "2027-12-25", "2027-12-26", "2027-12-27", "2027-12-28", NULL};
    only("GB", "SCT", 2027, sct2027);
    const char *name = NULL;
    assert_true(hol("GB", "SCT", "2026-11-30", &name));
    assert_string_equal(name, "St Andrew's Day");
    assert_true(hol("GB", "SCT", "2026-08-03", &name));
    assert_string_equal(name, "Summer bank holiday");
    assert_true(hol("GB", "ENG", "2027-12-28", &name));
    assert_string_equal(name, "Boxing Day");
}

static void test_holidays__easter(void **state)
{
    (void)state;
    /* Good Friday is two days before Easter Sunday: 2024-03-31, 2025-04-20, 2038-04-25, 2285-03-22 */
    assert_true(hol("ES", NULL, "2024-03-29", NULL));
    assert_true(hol("ES", NULL, "2025-04-18", NULL));
    assert_true(hol("ES", NULL, "2038-04-23", NULL));
    assert_true(hol("ES", NULL, "2285-03-20", NULL));
    /* Whit Monday is not in any table: 2026-05-25 is Memorial Day in the US only */
    assert_false(hol("ES", "CT", "2026-05-25", NULL));
}

static void test_holidays__places(void **state)
{
    (void)state;
    assert_int_equal(bc_holiday_place_check("ES", NULL), 0);
    assert_int_equal(bc_holiday_place_check("ES", "MD"), 0);
    assert_int_equal(bc_holiday_place_check("GB", "SCT"), 0);
    assert_int_equal(bc_holiday_place_check("US", NULL), 0);
    assert_int_equal(bc_holiday_place_check("US", "MD"), BC_EINVALID);
    assert_int_equal(bc_holiday_place_check("ES", "XX"), BC_EINVALID);
    assert_int_equal(bc_holiday_place_check("ES", "M"), BC_EINVALID);
    assert_int_equal(bc_holiday_place_check("FR", NULL), BC_EINVALID);
    assert_int_equal(bc_holiday_place_check("es", NULL), BC_EINVALID);
    assert_int_equal(bc_holiday_place_check(NULL, NULL), BC_EINVALID);
    /* unknown places and impossible dates are never holidays */
    assert_false(bc_holiday("FR", NULL, 2026, 12, 25, NULL));
    assert_false(bc_holiday("ES", "XX", 2026, 12, 25, NULL));
    assert_false(bc_holiday("ES", NULL, 2026, 2, 30, NULL));
    assert_false(bc_holiday("ES", NULL, 2026, 13, 1, NULL));
    assert_false(bc_holiday("ES", NULL, 1969, 12, 25, NULL));
    assert_true(bc_holiday("ES", NULL, 2999, 12, 25, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holidays__spain_2026),    cmocka_unit_test(test_holidays__spain_2027),
        cmocka_unit_test(test_holidays__united_states), cmocka_unit_test(test_holidays__great_britain),
        cmocka_unit_test(test_holidays__easter),        cmocka_unit_test(test_holidays__places),
    };
    return cmocka_run_group_tests_name("holidays", tests, NULL, NULL);
}
