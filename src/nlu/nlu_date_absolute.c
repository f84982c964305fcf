/* Dates that name their day: day and month ("15 de diciembre", "Dec 15th, 2026", "el 3", "the 3rd", "el 3
 * del mes que viene") and numeric dates ("15/12", "2026-12-15", "12/15" month first with an English hint),
 * each resolved to its next occurrence from the reference day unless a year is given. Called by
 * bc__nlu_try_date (nlu_date_relative.c). */
#include "nlu/nlu_internal.h"

/* The next date (today included) with this month and day; -1 if there is none in the next years. */
static int next_day_month(const struct bc__nlu_p *p, int m, int d)
{
    int y, cm, cd;
    bc__nlu_civil(p->ref_days, &y, &cm, &cd);
    for (int k = 0; k < 8; k++, y++) {
        if (!bc__nlu_valid_date(y, m, d)) continue;
        int days = bc__nlu_days(y, m, d);
        if (days >= p->ref_days) return days;
    }
    return -1;
}

/* The next date (today included) with this day of the month. */
int bc__nlu_next_day(const struct bc__nlu_p *p, int d)
{
    int y, m, cd;
    bc__nlu_civil(p->ref_days, &y, &m, &cd);
    for (int k = 0; k < 13; k++) {
        if (bc__nlu_valid_date(y, m, d) && bc__nlu_days(y, m, d) >= p->ref_days) return bc__nlu_days(y, m, d);
        if (++m > 12) {
            m = 1;
            y++;
        }
    }
    return -1;
}

/* A year after a day and month: "de 2026", ", 2026", "2027". */
static int year_at(const struct bc__nlu_p *p, int i, int *y)
{
    int j = i;
    if (bc__nlu_cat_len(p, j, NC_DATE_JOIN) || bc__nlu_is_punct(p, j, ',')) j++;
    if (bc__nlu_is_num(p, j) && p->t[j].ndig == 4 && p->t[j].num >= 1900 && p->t[j].num <= 2200) {
        *y = p->t[j].num;
        return j + 1 - i;
    }
    return 0;
}

/* Resolves day + month (+ year) to days; -1 when invalid. */
static int dm_days(const struct bc__nlu_p *p, int d, int m, int y)
{
    if (y > 0) return bc__nlu_valid_date(y, m, d) ? bc__nlu_days(y, m, d) : -1;
    if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
    return next_day_month(p, m, d);
}

/* "15 de diciembre", "15th of December", "1º de enero de 2027", "el 3", "the 3rd", "el 3 del mes que
 * viene": the day number at i (after any article); art is the article's value (-1 none). */
int bc__nlu_daynum_date(struct bc__nlu_p *p, int start, int i, int art, bool day_word)
{
    int d, k, j;
    bool ord = false;
    if ((k = bc__nlu_ordinal_at(p, i, &d)))
        ord = true;
    else if (!(k = bc__nlu_num_at(p, i, &d, true)))
        return 0;
    if (d < 1 || d > 31) return 0;
    if (bc__nlu_is_num(p, i) && p->t[i].ndig > 2) return 0;
    j = i + k;
    /* month: "de diciembre", "of December", "diciembre", "dic." */
    int jm = j, m, km;
    if (bc__nlu_cat_len(p, jm, NC_DATE_JOIN)) jm++;
    if ((km = bc__nlu_lx(p, jm, NC_MONTH, &m, NULL))) {
        jm += km;
        if (bc__nlu_is_punct(p, jm, '.') && bc__nlu_glued(p, jm)) jm++;
        int y = 0, ky = year_at(p, jm, &y);
        int days = dm_days(p, d, m, y);
        if (days < 0) return 0;
        return bc__nlu_add_date(p, start, jm + ky - start, days, 0) ? jm + ky - start : 0;
    }
    /* a day of the month alone needs an article, "día" or a written ordinal ("3rd", "1º"), and must not be a
     * time or an amount; an ordinal word alone ("la primera", "the first one") is a choice, not a date */
    bool ord_digits = ord && p->t[i].kind == NT_NUM;
    if (ord && !ord_digits) return 0;
    if (!(art == 1 || day_word || ord_digits)) return 0;
    /* "the one in Brooklyn", "the two of us": an English number word after "the" is not a day of the month
     * (the day is written "the 1st", "the 1") */
    if (p->t[i].kind != NT_NUM && i > 0 && bc__nlu_is(p, i - 1, "the")) return 0;
    if (bc__nlu_cat_len(p, j, NC_UNIT) || bc__nlu_cat_len(p, j, NC_HOUR_WORD) ||
        bc__nlu_cat_len(p, j, NC_AMPM) || bc__nlu_cat_len(p, j, NC_MINUTE_WORD) ||
        bc__nlu_is_punct(p, j, ':') || (bc__nlu_is_punct(p, j, '.') && bc__nlu_is_num(p, j + 1)) ||
        bc__nlu_is_punct(p, j, '/'))
        return 0;
    int jx = j, kx, days = -1;
    if (bc__nlu_cat_len(p, jx, NC_DATE_JOIN)) jx++;
    if ((kx = bc__nlu_cat_len(p, jx, NC_MONTH_NEXT))) {
        int y, m0, d0;
        bc__nlu_civil(bc__nlu_add_months(p->ref_days, 1), &y, &m0, &d0);
        if (bc__nlu_valid_date(y, m0, d)) days = bc__nlu_days(y, m0, d);
        j = jx + kx;
    } else if ((kx = bc__nlu_cat_len(p, jx, NC_MONTH_THIS))) {
        int y, m0, d0;
        bc__nlu_civil(p->ref_days, &y, &m0, &d0);
        if (bc__nlu_valid_date(y, m0, d)) days = bc__nlu_days(y, m0, d);
        j = jx + kx;
    } else {
        days = bc__nlu_next_day(p, d);
    }
    if (days < 0) return 0;
    return bc__nlu_add_date(p, start, j - start, days, 0) ? j - start : 0;
}

/* "Dec 15", "December 15th, 2026", "diciembre 15", "December the 15th" */
int bc__nlu_month_first_date(struct bc__nlu_p *p, int start, int i)
{
    int m, k = bc__nlu_lx(p, i, NC_MONTH, &m, NULL);
    if (!k) return 0;
    int j = i + k;
    if (bc__nlu_is_punct(p, j, '.') && bc__nlu_glued(p, j)) j++;
    int ka = bc__nlu_lx(p, j, NC_ARTICLE, NULL, NULL);
    if (ka && bc__nlu_is(p, j, "the")) j += ka;
    int d, kd = bc__nlu_ordinal_at(p, j, &d);
    if (!kd) {
        kd = bc__nlu_num_at(p, j, &d, true);
        if (!kd || (bc__nlu_is_num(p, j) && p->t[j].ndig > 2)) return 0;
        /* "may 5pm", "dec 10:30" are not dates */
        if (bc__nlu_cat_len(p, j + kd, NC_AMPM) || bc__nlu_is_punct(p, j + kd, ':') ||
            bc__nlu_cat_len(p, j + kd, NC_HOUR_WORD) || bc__nlu_cat_len(p, j + kd, NC_UNIT))
            return 0;
    }
    j += kd;
    int y = 0, ky = year_at(p, j, &y);
    int days = dm_days(p, d, m, y);
    if (days < 0) return 0;
    return bc__nlu_add_date(p, start, j + ky - start, days, 0) ? j + ky - start : 0;
}

/* "15/12", "15-12-2026", "15.12", "2026-12-15", "12/15" (month first when the hint is English) */
int bc__nlu_numeric_date(struct bc__nlu_p *p, int start, int i)
{
    if (!bc__nlu_is_num(p, i)) return 0;
    int j = i + 1;
    if (!bc__nlu_in_range(p, j) || p->t[j].kind != NT_PUNCT || !bc__nlu_glued(p, j) ||
        !bc__nlu_is_num(p, j + 1) || !bc__nlu_glued(p, j + 1))
        return 0;
    char sep = p->t[j].punct;
    if (sep != '/' && sep != '-' && sep != '.') return 0;
    int a = p->t[i].num, b = p->t[j + 1].num, c = 0, na = p->t[i].ndig, nb = p->t[j + 1].ndig, nc = 0;
    int end = j + 2;
    if (bc__nlu_is_punct(p, end, sep) && bc__nlu_glued(p, end) && bc__nlu_is_num(p, end + 1) &&
        bc__nlu_glued(p, end + 1)) {
        c = p->t[end + 1].num;
        nc = p->t[end + 1].ndig;
        end += 2;
    }
    if (nb > 4 || na > 4) return 0;
    /* times: "5.30pm", "10-11am", "a las 10.30" */
    if (bc__nlu_cat_len(p, end, NC_AMPM) || bc__nlu_cat_len(p, end, NC_HOUR_WORD) ||
        (bc__nlu_in_range(p, end) && bc__nlu_glued(p, end) && p->t[end].kind != NT_PUNCT))
        return 0;
    int y = 0, m, d;
    if (na == 4) { /* ISO */
        if (!nc || nb > 2 || nc > 2 || a < 1900 || a > 2200) return 0;
        y = a;
        m = b;
        d = c;
    } else {
        if (na > 2 || nb > 2) return 0;
        if (nc) {
            if (nc == 2)
                y = 2000 + c;
            else if (nc == 4 && c >= 1900 && c <= 2200)
                y = c;
            else
                return 0;
        } else if (sep != '/' && nb != 2 && sep == '.') {
            return 0;
        }
        d = p->day_first ? a : b;
        m = p->day_first ? b : a;
        if ((m > 12 || m < 1) && sep == '/') { /* 12/15 with a Spanish hint, 15/12 with an English one */
            int t = d;
            d = m;
            m = t;
        }
    }
    if (sep == '-' && !nc && (m > 12 || d > 31)) return 0;
    int days = dm_days(p, d, m, y);
    if (days < 0) return 0;
    return bc__nlu_add_date(p, start, end - start, days, 0) ? end - start : 0;
}
