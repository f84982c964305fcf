/* Dates named by their place in the calendar rather than by a number: the n-th (or last) weekday of a
 * month ("el tercer miércoles de junio", "the last Wednesday in October", "el último viernes del mes") and
 * the named days of the year ("Nochebuena", "día de Reyes", "Good Friday", "Halloween"), fixed, Easter-based
 * (computed) or an n-th weekday (Thanksgiving). Each reads as its next occurrence from today (today
 * included). See docs/nlu.md. */
#include "nlu/nlu_internal.h"

int bc__nlu_easter(int year)
{
    int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4, f = (b + 8) / 25,
        g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4,
        l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451,
        month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
    return bc__nlu_days(year, month, day);
}

/* The n-th weekday wd (1 = Monday) of a month, n 9 for the last; -1 when the month has no such day. */
static int nth_weekday(int y, int m, int n, int wd)
{
    if (m < 1 || m > 12 || wd < 1 || wd > 7) return -1;
    if (n == 9) {
        int next = bc__nlu_days(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
        int last_wd = bc_nlu_weekday(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
        if (last_wd == 0) last_wd = 7;
        return next - (last_wd - wd + 7) % 7;
    }
    if (n < 1 || n > 5) return -1;
    int first = bc__nlu_days(y, m, 1), first_wd = bc_nlu_weekday(y, m, 1);
    int days = first + (wd - first_wd + 7) % 7 + (n - 1) * 7, yy, mm, dd;
    bc__nlu_civil(days, &yy, &mm, &dd);
    return mm == m ? days : -1;
}

/* The reference year */
static int ref_year(const struct bc__nlu_p *p)
{
    return p->req->now.year;
}

int bc__nlu_ordinal_weekday(struct bc__nlu_p *p, int start, int j)
{
    int k, n, wd, v, aux;
    if ((k = bc__nlu_cat_len(p, j, NC_LAST)))
        n = 9;
    else if (bc__nlu_is(p, j, "cuarto") && (k = 1))
        n = 4; /* not an ordinal word of the table, where it would be the quarter of "y cuarto" */
    else if (!(k = bc__nlu_ordinal_at(p, j, &n)) || n < 1 || n > 5)
        return 0;
    j += k;
    if (!(k = bc__nlu_lx(p, j, NC_WEEKDAY, &wd, NULL))) return 0;
    j += k;
    /* "de junio", "in October", "del mes", "of the month", "del mes que viene", "of next month" */
    int month = 0, months_ahead = -1, kj;
    if ((k = bc__nlu_cat_len(p, j, NC_MONTH_NEXT))) {
        months_ahead = 1;
        j += k;
    } else if ((k = bc__nlu_cat_len(p, j, NC_MONTH_THIS))) {
        months_ahead = 0;
        j += k;
    } else if ((kj = bc__nlu_cat_len(p, j, NC_DATE_JOIN)) || (kj = bc__nlu_cat_len(p, j, NC_IN))) {
        int jm = j + kj;
        if ((k = bc__nlu_cat_len(p, jm, NC_MONTH_NEXT))) {
            months_ahead = 1;
        } else if ((k = bc__nlu_cat_len(p, jm, NC_MONTH_THIS))) {
            months_ahead = 0;
        } else if ((k = bc__nlu_lx(p, jm, NC_MONTH, &v, NULL))) {
            month = v;
        } else {
            int ka = bc__nlu_cat_len(p, jm, NC_ARTICLE);
            if ((k = bc__nlu_lx(p, jm + ka, NC_UNIT, &v, &aux)) && aux == 1 && v == 0) {
                months_ahead = 0; /* "del mes", "of the month" */
                k += ka;
            } else {
                k = 0;
            }
        }
        if (!k) return 0;
        j = jm + k;
    } else {
        return 0;
    }
    int y = ref_year(p), m = p->req->now.month, days;
    if (month) { /* this year's while ahead, else the next year that has it (a fifth Monday of December) */
        days = -1;
        for (int yy = y; yy <= y + 8 && days < p->ref_days; yy++) days = nth_weekday(yy, month, n, wd);
    } else {
        m += months_ahead;
        if (m > 12) {
            m -= 12;
            y++;
        }
        days = nth_weekday(y, m, n, wd);
        if (months_ahead == 0 && days < p->ref_days) { /* passed (or none) this month: the next month's */
            if (++m > 12) {
                m = 1;
                y++;
            }
            days = nth_weekday(y, m, n, wd);
        }
    }
    if (days < 0) { /* "el quinto lunes del mes" in a month without one: no date, and not "lunes" either */
        if (!bc__nlu_span_free(p, start, j - start)) return 0;
        bc__nlu_use(p, start, j - start);
        return j - start;
    }
    return bc__nlu_add_date(p, start, j - start, days, 0) ? j - start : 0;
}

/* The named day of the given value and aux in a year, as days since 1970-01-01, or -1. */
static int named_in(int year, int value, int aux)
{
    switch (aux) {
    case NA_EASTER:
        return bc__nlu_easter(year) + value;
    case NA_NTH:
        return nth_weekday(year, value / 100, value / 10 % 10, value % 10);
    default:
        return bc__nlu_valid_date(year, value / 100, value % 100)
                   ? bc__nlu_days(year, value / 100, value % 100)
                   : -1;
    }
}

int bc__nlu_named_day(struct bc__nlu_p *p, int start, int j)
{
    int v, aux, k = bc__nlu_lx(p, j, NC_NAMED_DAY, &v, &aux);
    if (!k) return 0;
    int y = ref_year(p), days = named_in(y, v, aux);
    if (days < p->ref_days) days = named_in(y + 1, v, aux);
    if (days < 0) return 0;
    return bc__nlu_add_date(p, start, j + k - start, days, 0) ? j + k - start : 0;
}
