/* Public holidays: national and regional ones, computed for any year from a table of rules (a fixed date,
 * an offset from Easter Sunday, the nth or last weekday of a month) and the country's substitution rule, so
 * no list of dates has to be typed in each year. Pure: no store, no clock. docs/holidays.md lists the
 * regions covered and how to add one.
 *
 * DESIGN NOTES
 * 1. A place is a country (ISO 3166-1 alpha-2) and an optional region (the ISO 3166-2 suffix: "MD", "SCT").
 *    Its holidays are the country's national rules plus the region's own; without a region, only the
 *    national ones.
 * 2. Substitution is a property of the country: GB moves a holiday on Saturday or Sunday to the next
 *    weekday that is not already a holiday (so Christmas on Saturday → Monday, Boxing Day on Sunday →
 *    Tuesday); US federal moves Saturday → Friday and Sunday → Monday (New Year's Day on a Saturday is
 *    observed on 31 December of the year before). The day itself stays a holiday: a business that closes
 *    on holidays closes on both. Spain has none: each region decides year by year whether a Sunday holiday
 *    moves to Monday, which no rule computes (the tenant adds that Monday as a closed exception).
 * 3. Regional holidays that change from year to year by decree (Spain's "fiestas sustituibles" such as 19
 *    March or 25 July in some regions) are left out: only the ones each region keeps every year are in. */
#ifndef BC_HOLIDAYS_H
#define BC_HOLIDAYS_H
#include <stdbool.h>

/* Whether country (and region, NULL for none) is in the table: 0, or BC_EINVALID for an unknown country or
 * a region the country does not have. */
int bc_holiday_place_check(const char *country, const char *region);

/* Whether year-month-day is a public holiday at the place; *name (when name is not NULL) is its name in the
 * country's language ("Inmaculada Concepción"; a substitute day bears its holiday's name), static. False for
 * an unknown place or a date that is not a real one of years 1970..2999 (util/tz's range). */
bool bc_holiday(const char *country, const char *region, int year, int month, int day, const char **name);

#endif
