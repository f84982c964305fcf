/* Civil date arithmetic on plain integers: days since 1970-01-01 in the proleptic Gregorian calendar, month
 * lengths, weekdays, adding days and months. No time zone and no clock: the caller's "now" is a civil date
 * too. Used by the date grammar (nlu_date*.c) and by the public bc_nlu_weekday / bc_nlu_add_days. */
#include "nlu/nlu_internal.h"

int bc__nlu_days(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void bc__nlu_civil(int z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int month_days(int y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2) return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28;
    return md[m - 1];
}

bool bc__nlu_valid_date(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m);
}

static int weekday_of(int days)
{
    int r = (days + 3) % 7; /* 1970-01-01 was a Thursday */
    if (r < 0) r += 7;
    return r + 1;
}

int bc_nlu_weekday(int year, int month, int day)
{
    return weekday_of(bc__nlu_days(year, month, day));
}

void bc_nlu_add_days(int *year, int *month, int *day, int n)
{
    bc__nlu_civil(bc__nlu_days(*year, *month, *day) + n, year, month, day);
}

int bc__nlu_add_months(int days, int months)
{
    int y, m, d;
    bc__nlu_civil(days, &y, &m, &d);
    int t = y * 12 + (m - 1) + months;
    y = t / 12;
    m = t % 12 + 1;
    if (d > month_days(y, m)) d = month_days(y, m);
    return bc__nlu_days(y, m, d);
}
