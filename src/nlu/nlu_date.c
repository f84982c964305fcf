/* Dates, times and parts of the day in a message, relative to the caller's local "now": a small grammar
 * over word categories (so it is the same for every language: the tables give the words), and civil date
 * arithmetic on plain integers (days since 1970-01-01, proleptic Gregorian). See docs/nlu.md for the
 * expressions understood and the choices made ("next friday", "el jueves" said on a Thursday …). */
#include "nlu/nlu_internal.h"

#include <string.h>

/* ---- civil dates ---- */

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

/* ---- token helpers ---- */

static bool in_range(const struct bc__nlu_p *p, int i)
{
    return i >= 0 && i < p->n;
}

static bool is_punct(const struct bc__nlu_p *p, int i, char c)
{
    return in_range(p, i) && p->t[i].kind == NT_PUNCT && p->t[i].punct == c;
}

/* token i follows i-1 with no space */
static bool glued(const struct bc__nlu_p *p, int i)
{
    return in_range(p, i) && !(p->t[i].flags & NF_SPACE);
}

static bool is_num(const struct bc__nlu_p *p, int i)
{
    return in_range(p, i) && p->t[i].kind == NT_NUM;
}

static int lx(const struct bc__nlu_p *p, int i, int cat)
{
    return bc__nlu_lx(p, i, cat, NULL, NULL);
}

/* A number written in digits (up to 4) or in words ("veintiuno", "treinta y uno", "twenty-one"). With
 * amount, articles count as one ("in a week"). */
static int num_at_x(const struct bc__nlu_p *p, int i, int *val, bool compound, bool amount)
{
    if (!in_range(p, i)) return 0;
    if (p->t[i].kind == NT_NUM) {
        if (p->t[i].ndig > 4) return 0;
        *val = p->t[i].num;
        return 1;
    }
    int v, aux, k = bc__nlu_lx(p, i, NC_NUM, &v, &aux);
    if (!k || ((aux & 1) && !amount)) return 0;
    *val = v;
    if (compound && (v == 20 || v == 30 || v == 40 || v == 50)) {
        int u, j = i + k, kj = 0;
        if (lx(p, j, NC_NUM_JOIN) || (is_punct(p, j, '-') && glued(p, j) && glued(p, j + 1))) kj = 1;
        int ku = bc__nlu_lx(p, j + kj, NC_NUM, &u, NULL);
        if (ku && u >= 1 && u <= 9 && p->t[j + kj].kind == NT_WORD) {
            *val = v + u;
            return k + kj + ku;
        }
    }
    return k;
}

static int num_at(const struct bc__nlu_p *p, int i, int *val, bool compound)
{
    return num_at_x(p, i, val, compound, false);
}

/* An ordinal: "1º", "1st", "3rd", "first", "twenty-first", "thirty first". */
static int ordinal_at(const struct bc__nlu_p *p, int i, int *val)
{
    if (!in_range(p, i)) return 0;
    if (p->t[i].kind == NT_NUM && p->t[i].ndig <= 2 && glued(p, i + 1) && lx(p, i + 1, NC_ORD_SUFFIX)) {
        *val = p->t[i].num;
        return 2;
    }
    int v, k = bc__nlu_lx(p, i, NC_ORDINAL, &v, NULL);
    if (k) {
        *val = v;
        return k;
    }
    k = bc__nlu_lx(p, i, NC_NUM, &v, NULL);
    if (k && (v == 20 || v == 30)) {
        int j = i + k, u;
        if (is_punct(p, j, '-') && glued(p, j) && glued(p, j + 1)) j++;
        int ku = bc__nlu_lx(p, j, NC_ORDINAL, &u, NULL);
        if (ku && u >= 1 && u <= 9) {
            *val = v + u;
            return j + ku - i;
        }
    }
    return 0;
}

/* ---- mentions ---- */

static bool span_free(const struct bc__nlu_p *p, int at, int n)
{
    for (int i = at; i < at + n; i++)
        if (!in_range(p, i) || (p->t[i].flags & (NF_USED | NF_SKIP | NF_CUED))) return false;
    return true;
}

static void use(struct bc__nlu_p *p, int at, int n)
{
    for (int i = at; i < at + n && i < p->n; i++) p->t[i].flags |= NF_USED;
}

static bool add_date(struct bc__nlu_p *p, int at, int n, int days, int part)
{
    if (!span_free(p, at, n) || p->n_dates >= NLU_MAX_MENTIONS) return false;
    int y, m, d;
    bc__nlu_civil(days, &y, &m, &d);
    if (!bc__nlu_valid_date(y, m, d)) return false;
    struct bc__nlu_mention *x = &p->dates[p->n_dates++];
    memset(x, 0, sizeof *x);
    x->at = at;
    x->n = n;
    x->has_date = true;
    x->y = y;
    x->m = m;
    x->d = d;
    x->part = part;
    use(p, at, n);
    if (part && !p->part) p->part = part;
    return true;
}

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
static int next_day(const struct bc__nlu_p *p, int d)
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

static int add_months(const struct bc__nlu_p *p, int days, int months)
{
    int y, m, d;
    bc__nlu_civil(days, &y, &m, &d);
    int t = y * 12 + (m - 1) + months;
    y = t / 12;
    m = t % 12 + 1;
    if (d > month_days(y, m)) d = month_days(y, m);
    (void)p;
    return bc__nlu_days(y, m, d);
}

enum { MOD_NONE, MOD_THIS, MOD_COMING, MOD_NEXT };

static int weekday_days(const struct bc__nlu_p *p, int wd, int mod)
{
    int delta = (wd - p->ref_wd + 7) % 7;
    switch (mod) {
    case MOD_THIS: /* this week's, or the coming one once it has passed; today is this week's */
        break;
    case MOD_NEXT: /* the one of next week (Monday to Sunday) */
        delta = (8 - p->ref_wd) + (wd - 1);
        break;
    default: /* the coming one, never today */
        if (delta == 0) delta = 7;
        break;
    }
    return p->ref_days + delta;
}

/* A year after a day and month: "de 2026", ", 2026", "2027". */
static int year_at(const struct bc__nlu_p *p, int i, int *y)
{
    int j = i;
    if (lx(p, j, NC_DATE_JOIN) || is_punct(p, j, ',')) j++;
    if (is_num(p, j) && p->t[j].ndig == 4 && p->t[j].num >= 1900 && p->t[j].num <= 2200) {
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
static int daynum_date(struct bc__nlu_p *p, int start, int i, int art, bool day_word)
{
    int d, k, j;
    bool ord = false;
    if ((k = ordinal_at(p, i, &d)))
        ord = true;
    else if (!(k = num_at(p, i, &d, true)))
        return 0;
    if (d < 1 || d > 31) return 0;
    if (is_num(p, i) && p->t[i].ndig > 2) return 0;
    j = i + k;
    /* month: "de diciembre", "of December", "diciembre", "dic." */
    int jm = j, m, km;
    if (lx(p, jm, NC_DATE_JOIN)) jm++;
    if ((km = bc__nlu_lx(p, jm, NC_MONTH, &m, NULL))) {
        jm += km;
        if (is_punct(p, jm, '.') && glued(p, jm)) jm++;
        int y = 0, ky = year_at(p, jm, &y);
        int days = dm_days(p, d, m, y);
        if (days < 0) return 0;
        return add_date(p, start, jm + ky - start, days, 0) ? jm + ky - start : 0;
    }
    /* a day of the month alone needs an article, "día" or a written ordinal ("3rd", "1º"), and must not be a
     * time or an amount; an ordinal word alone ("la primera", "the first one") is a choice, not a date */
    bool ord_digits = ord && p->t[i].kind == NT_NUM;
    if (ord && !ord_digits) return 0;
    if (!(art == 1 || day_word || ord_digits)) return 0;
    if (lx(p, j, NC_UNIT) || lx(p, j, NC_HOUR_WORD) || lx(p, j, NC_AMPM) || lx(p, j, NC_MINUTE_WORD) ||
        is_punct(p, j, ':') || (is_punct(p, j, '.') && is_num(p, j + 1)) || is_punct(p, j, '/'))
        return 0;
    int jx = j, kx, days = -1;
    if (lx(p, jx, NC_DATE_JOIN)) jx++;
    if ((kx = lx(p, jx, NC_MONTH_NEXT))) {
        int y, m0, d0;
        bc__nlu_civil(add_months(p, p->ref_days, 1), &y, &m0, &d0);
        if (bc__nlu_valid_date(y, m0, d)) days = bc__nlu_days(y, m0, d);
        j = jx + kx;
    } else if ((kx = lx(p, jx, NC_MONTH_THIS))) {
        int y, m0, d0;
        bc__nlu_civil(p->ref_days, &y, &m0, &d0);
        if (bc__nlu_valid_date(y, m0, d)) days = bc__nlu_days(y, m0, d);
        j = jx + kx;
    } else {
        days = next_day(p, d);
    }
    if (days < 0) return 0;
    return add_date(p, start, j - start, days, 0) ? j - start : 0;
}

/* "Dec 15", "December 15th, 2026", "diciembre 15", "December the 15th" */
static int month_first_date(struct bc__nlu_p *p, int start, int i)
{
    int m, k = bc__nlu_lx(p, i, NC_MONTH, &m, NULL);
    if (!k) return 0;
    int j = i + k;
    if (is_punct(p, j, '.') && glued(p, j)) j++;
    int ka = bc__nlu_lx(p, j, NC_ARTICLE, NULL, NULL);
    if (ka && bc__nlu_is(p, j, "the")) j += ka;
    int d, kd = ordinal_at(p, j, &d);
    if (!kd) {
        kd = num_at(p, j, &d, true);
        if (!kd || (is_num(p, j) && p->t[j].ndig > 2)) return 0;
        /* "may 5pm", "dec 10:30" are not dates */
        if (lx(p, j + kd, NC_AMPM) || is_punct(p, j + kd, ':') || lx(p, j + kd, NC_HOUR_WORD) ||
            lx(p, j + kd, NC_UNIT))
            return 0;
    }
    j += kd;
    int y = 0, ky = year_at(p, j, &y);
    int days = dm_days(p, d, m, y);
    if (days < 0) return 0;
    return add_date(p, start, j + ky - start, days, 0) ? j + ky - start : 0;
}

/* "15/12", "15-12-2026", "15.12", "2026-12-15", "12/15" (month first when the hint is English) */
static int numeric_date(struct bc__nlu_p *p, int start, int i)
{
    if (!is_num(p, i)) return 0;
    int j = i + 1;
    if (!in_range(p, j) || p->t[j].kind != NT_PUNCT || !glued(p, j) || !is_num(p, j + 1) || !glued(p, j + 1))
        return 0;
    char sep = p->t[j].punct;
    if (sep != '/' && sep != '-' && sep != '.') return 0;
    int a = p->t[i].num, b = p->t[j + 1].num, c = 0, na = p->t[i].ndig, nb = p->t[j + 1].ndig, nc = 0;
    int end = j + 2;
    if (is_punct(p, end, sep) && glued(p, end) && is_num(p, end + 1) && glued(p, end + 1)) {
        c = p->t[end + 1].num;
        nc = p->t[end + 1].ndig;
        end += 2;
    }
    if (nb > 4 || na > 4) return 0;
    /* times: "5.30pm", "10-11am", "a las 10.30" */
    if (lx(p, end, NC_AMPM) || lx(p, end, NC_HOUR_WORD) ||
        (in_range(p, end) && glued(p, end) && p->t[end].kind != NT_PUNCT))
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
    return add_date(p, start, end - start, days, 0) ? end - start : 0;
}

/* "dentro de 3 días", "en dos semanas", "in a week", "3 days from now", "a week from today" */
static int relative_date(struct bc__nlu_p *p, int start, int i)
{
    int j = i, k, n = 1, unit, aux = 0;
    bool in = false;
    if ((k = lx(p, j, NC_IN))) {
        in = true;
        j += k;
    }
    if ((k = num_at_x(p, j, &n, true, true)))
        j += k;
    else if (!in)
        return 0;
    if (!(k = bc__nlu_lx(p, j, NC_UNIT, &unit, &aux))) return 0;
    j += k;
    int kf = lx(p, j, NC_FROM_NOW);
    if (!in && !kf) return 0;
    j += kf;
    if (n < 0 || n > 400) return 0;
    int days = aux ? add_months(p, p->ref_days, n) : p->ref_days + n * unit;
    return add_date(p, start, j - start, days, 0) ? j - start : 0;
}

/* Whether the token before i makes an ambiguous word ("mañana") a part of day. */
static bool part_context_before(const struct bc__nlu_p *p, int i)
{
    int v;
    return i > 0 && bc__nlu_lx(p, i - 1, NC_PART_CTX, &v, NULL) == 1 && v == 1;
}

static int try_date(struct bc__nlu_p *p, int i)
{
    int j = i, k, v, aux, art = -1, mod = MOD_NONE;
    bool day_word = false;
    if ((k = relative_date(p, i, i))) return k;
    if ((k = bc__nlu_lx(p, j, NC_ARTICLE, &v, NULL))) {
        art = v;
        j += k;
    }
    /* relative day: "mañana", "pasado mañana", "tonight" */
    if ((k = bc__nlu_lx(p, j, NC_DAYREL, &v, &aux))) {
        if ((aux & NA_AMBIG_PART) && part_context_before(p, j)) return 0;
        int part = aux & 3;
        return add_date(p, i, j + k - i, p->ref_days + v, part) ? j + k - i : 0;
    }
    if ((k = lx(p, j, NC_DAY_WORD)) && (is_num(p, j + k) || lx(p, j + k, NC_NUM))) {
        day_word = true;
        j += k;
    }
    /* "la semana que viene el martes", "next week on tuesday" */
    int kw = lx(p, j, NC_WEEK_NEXT);
    if (kw) {
        int jw = j + kw;
        if ((k = lx(p, jw, NC_ARTICLE))) jw += k;
        int wd, kd = bc__nlu_lx(p, jw, NC_WEEKDAY, &wd, NULL);
        if (!kd) return 0;
        jw += kd;
        return add_date(p, i, jw - i, weekday_days(p, wd, MOD_NEXT), 0) ? jw - i : 0;
    }
    /* this / coming / next */
    int kt = lx(p, j, NC_THIS), kc = lx(p, j, NC_COMING), kn = lx(p, j, NC_NEXT);
    if (kc >= kt && kc >= kn && kc) {
        mod = MOD_COMING;
        j += kc;
    } else if (kn >= kt && kn) {
        mod = MOD_NEXT;
        j += kn;
    } else if (kt) {
        mod = MOD_THIS;
        j += kt;
    }
    if (mod == MOD_THIS && (k = bc__nlu_lx(p, j, NC_PART, &v, &aux))) { /* "esta tarde", "this morning" */
        return add_date(p, i, j + k - i, p->ref_days, v) ? j + k - i : 0;
    }
    if ((k = lx(p, j, NC_WEEKEND))) { /* Saturday of this weekend (today if it is the weekend) or next */
        int jw = j + k, delta;
        if (lx(p, jw, NC_COMING)) jw += lx(p, jw, NC_COMING);
        if (mod == MOD_NEXT)
            delta = (8 - p->ref_wd) + 5;
        else
            delta = p->ref_wd >= 6 ? 0 : 6 - p->ref_wd;
        return add_date(p, i, jw - i, p->ref_days + delta, 0) ? jw - i : 0;
    }
    int wd;
    if ((k = bc__nlu_lx(p, j, NC_WEEKDAY, &wd, NULL))) {
        j += k;
        if (is_punct(p, j, '.') && glued(p, j)) j++;
        /* trailing: "que viene", "próximo", "de la semana que viene", "next week", "de esta semana" */
        int jt = j, kk;
        if (lx(p, jt, NC_DATE_JOIN)) jt++;
        if ((kk = lx(p, jt, NC_WEEK_NEXT))) {
            mod = MOD_NEXT;
            j = jt + kk;
        } else if ((kk = lx(p, jt, NC_WEEK_THIS))) {
            mod = MOD_THIS;
            j = jt + kk;
        } else if ((kk = lx(p, j, NC_COMING))) {
            if (mod == MOD_NONE) mod = MOD_COMING;
            j += kk;
        }
        /* an explicit date after the weekday wins: "el lunes 30", "monday the 30th", "Monday, Nov 30" */
        int je = j;
        if (is_punct(p, je, ',')) je++;
        int ka = 0, av = -1;
        if ((ka = bc__nlu_lx(p, je, NC_ARTICLE, &av, NULL))) je += ka;
        int n_before = p->n_dates;
        int ke = daynum_date(p, je, je, 1, false);
        if (!ke) ke = month_first_date(p, je, je);
        if (ke && p->n_dates > n_before) {
            /* widen the mention to cover the weekday */
            struct bc__nlu_mention *x = &p->dates[p->n_dates - 1];
            use(p, i, je - i);
            x->at = i;
            x->n = je + ke - i;
            return x->n;
        }
        return add_date(p, i, j - i, weekday_days(p, wd, mod), 0) ? j - i : 0;
    }
    if (mod != MOD_NONE) return 0;
    if ((k = month_first_date(p, i, j))) return k;
    if ((k = numeric_date(p, i, j))) return k;
    if ((k = daynum_date(p, i, j, art, day_word))) return k;
    return 0;
}

/* ---- times ---- */

struct clock {
    int h, m;
    bool strong; /* evidence of a time by itself: colon, am/pm, "h", "y media", a part of day … */
    bool h24;    /* written as 24-hour ("09:30", "17") */
    bool fixed;  /* not ambiguous: noon, midnight */
    int ampm;    /* 1 am, 2 pm */
    int part;    /* "de la tarde" after it */
};

/* Minutes-first English forms: "half past 3", "quarter to 4", "ten past five", "twenty to six". */
static int clock_minutes_first(const struct bc__nlu_p *p, int i, struct clock *c)
{
    int j = i, mins = -1, k, v;
    bool digits = false;
    if ((k = lx(p, j, NC_HALF)))
        mins = 30;
    else if ((k = lx(p, j, NC_QUARTER)))
        mins = 15;
    else if ((k = num_at(p, j, &mins, true)))
        digits = p->t[j].kind == NT_NUM;
    if (!k || mins < 1 || mins > 30) return 0;
    j += k;
    if ((k = lx(p, j, NC_MINUTE_WORD))) j += k;
    int plus = 0;
    if ((k = bc__nlu_lx(p, j, NC_PLUS, &v, NULL)) && v == 1)
        plus = 1;
    else if ((k = bc__nlu_lx(p, j, NC_MINUS, &v, NULL)) && v == 1 && !digits)
        plus = -1;
    if (!plus) return 0;
    j += k;
    int h, kh = num_at(p, j, &h, true);
    if (!kh) {
        if ((kh = lx(p, j, NC_NOON)))
            h = 12;
        else
            return 0;
    }
    if (h < 0 || h > 24) return 0;
    j += kh;
    if (plus > 0) {
        c->h = h;
        c->m = mins;
    } else {
        c->h = h == 0 ? 23 : h - 1;
        if (c->h == 0 && h == 1) c->h = 12;
        c->m = 60 - mins;
    }
    c->strong = true;
    return j - i;
}

/* am/pm at i: "pm", "p.m.", "p. m." */
static int ampm_at(const struct bc__nlu_p *p, int i, int *ampm)
{
    int v, k = bc__nlu_lx(p, i, NC_AMPM, &v, NULL);
    if (k) {
        *ampm = v;
        return k + (is_punct(p, i + k, '.') && glued(p, i + k) ? 1 : 0);
    }
    if (!(bc__nlu_is(p, i, "a") || bc__nlu_is(p, i, "p")) || !is_punct(p, i + 1, '.') ||
        !bc__nlu_is(p, i + 2, "m"))
        return 0;
    *ampm = bc__nlu_is(p, i, "a") ? 1 : 2;
    return 3 + (is_punct(p, i + 3, '.') ? 1 : 0);
}

/* A part of day after a time: "de la tarde", "in the afternoon", "at night", "del mediodía". */
static int part_suffix(const struct bc__nlu_p *p, int i, int *part)
{
    int j = i, k, ctx = 0, v, aux;
    while (ctx < 3 && (k = lx(p, j, NC_PART_CTX)) && !lx(p, j, NC_THIS)) {
        j += k;
        ctx++;
    }
    if (!(k = bc__nlu_lx(p, j, NC_PART, &v, &aux))) return 0;
    if ((aux & NA_NEEDS_CTX) && !ctx) return 0;
    *part = v;
    return j + k - i;
}

static int clock_at(const struct bc__nlu_p *p, int i, struct clock *c)
{
    memset(c, 0, sizeof *c);
    int j = i, k, v;
    if ((k = lx(p, j, NC_NOON)) || (k = lx(p, j, NC_MIDNIGHT))) {
        c->h = lx(p, j, NC_NOON) ? 12 : 0;
        c->strong = c->fixed = true;
        return k;
    }
    if ((k = clock_minutes_first(p, j, c))) {
        j += k;
    } else {
        int h;
        if (!(k = num_at(p, j, &h, true))) return 0;
        if (h > 24) { /* "veinte y cinco" read as 25 may be "veinte" and minutes */
            if (!(k = num_at(p, j, &h, false)) || h > 24) return 0;
        }
        if (is_num(p, j) && p->t[j].ndig > 2) return 0;
        c->h = h;
        c->h24 = h > 12 || h == 0 || (is_num(p, j) && p->t[j].ndig == 2 && p->fold[p->t[j].fo] == '0');
        j += k;
        int mm;
        if (in_range(p, j) && (is_punct(p, j, ':') || is_punct(p, j, '.')) && glued(p, j) &&
            is_num(p, j + 1) && glued(p, j + 1) && p->t[j + 1].ndig == 2 && p->t[j + 1].num <= 59) {
            c->m = p->t[j + 1].num;
            c->strong = true;
            j += 2;
        } else if ((k = lx(p, j, NC_HOUR_WORD)) && (k > 1 || p->t[j].fl <= 3 || !lx(p, j, NC_SLOT_WORD))) {
            c->strong = true;
            j += k;
            if (is_num(p, j) && glued(p, j) && p->t[j].ndig == 2 && p->t[j].num <= 59) {
                c->m = p->t[j].num;
                j++;
            }
        } else if ((k = bc__nlu_lx(p, j, NC_PLUS, &v, NULL)) && v == 0) {
            int jm = j + k, km;
            if ((km = lx(p, jm, NC_HALF)))
                mm = 30;
            else if ((km = lx(p, jm, NC_QUARTER)))
                mm = 15;
            else if ((km = num_at(p, jm, &mm, true)) && mm >= 1 && mm <= 59 &&
                     !lx(p, jm + km, NC_TIME_PREP) && !lx(p, jm + km, NC_UNIT))
                ;
            else
                km = 0;
            if (km) {
                c->m = mm;
                c->strong = true;
                j = jm + km;
                if ((k = lx(p, j, NC_MINUTE_WORD))) j += k;
            }
        } else if ((k = bc__nlu_lx(p, j, NC_MINUS, &v, NULL)) && v == 0) {
            int jm = j + k, km;
            if ((km = lx(p, jm, NC_QUARTER)))
                mm = 15;
            else if (!((km = num_at(p, jm, &mm, true)) && mm >= 1 && mm <= 30))
                km = 0;
            if (km) {
                c->h = h == 0 ? 23 : h - 1;
                if (h == 1) c->h = 12;
                if (h == 13) c->h = 12;
                c->m = 60 - mm;
                c->strong = true;
                j = jm + km;
                if ((k = lx(p, j, NC_MINUTE_WORD))) j += k;
            }
        } else if ((k = bc__nlu_lx(p, j, NC_NUM, &mm, NULL)) && p->t[j].kind == NT_WORD && mm >= 10) {
            /* English "three thirty", "five forty-five" */
            int m2, k2 = num_at(p, j, &m2, true);
            if (m2 <= 59) {
                c->m = m2;
                j += k2;
            }
        }
    }
    int ampm, ka;
    if ((ka = ampm_at(p, j, &ampm))) {
        c->ampm = ampm;
        c->strong = true;
        j += ka;
    }
    if ((k = lx(p, j, NC_HOUR_WORD)) && k == 1 && !lx(p, j, NC_SLOT_WORD)) {
        c->strong = true;
        j += k;
    } else if ((k = lx(p, j, NC_HOUR_WORD)) && bc__nlu_is(p, j, "horas")) {
        c->strong = true;
        j += k;
    }
    if ((k = lx(p, j, NC_OCLOCK))) {
        c->strong = true;
        j += k;
    }
    int part;
    if ((k = part_suffix(p, j, &part))) {
        c->part = part;
        c->strong = true;
        j += k;
    }
    return j - i;
}

/* Resolves am/pm and parts of day; sets ambiguity. Returns false for an impossible time. */
static bool resolve_clock(struct clock *c, struct bc__nlu_mention *x)
{
    int h = c->h, m = c->m;
    if (h == 24) h = 0;
    if (h < 0 || h > 23 || m < 0 || m > 59) return false;
    x->ambiguous = false;
    if (c->ampm && h >= 1 && h <= 12) {
        if (c->ampm == 2 && h < 12) h += 12;
        if (c->ampm == 1 && h == 12) h = 0;
    } else if (c->part && !c->fixed && h >= 1 && h <= 12) {
        if (c->part == BC_NLU_PART_EVENING && h == 12)
            h = 0;
        else if (c->part != BC_NLU_PART_MORNING && h < 12)
            h += 12;
    } else if (!c->fixed && !c->h24 && h >= 1 && h <= 11 && !c->ampm) {
        x->ambiguous = true;
        x->alt_h = h <= 7 ? h : h + 12;
        h = h <= 7 ? h + 12 : h;
    }
    x->h = h;
    x->mi = m;
    return true;
}

static int try_time(struct bc__nlu_p *p, int i)
{
    int j = i, k, v = BC_NLU_AT_EXACT, aux = 0;
    bool prep = false;
    if ((k = bc__nlu_lx(p, j, NC_TIME_PREP, &v, &aux))) {
        prep = true;
        j += k;
    }
    struct clock c, e;
    if (!(k = clock_at(p, j, &c))) return 0;
    if ((aux & NA_ONE) && c.h != 1) return 0;
    /* "el 5 de diciembre" is a date, "5 personas"/"in 2 weeks" amounts */
    if (lx(p, j + k, NC_UNIT) || (lx(p, j + k, NC_DATE_JOIN) && lx(p, j + k + 1, NC_MONTH))) return 0;
    j += k;
    bool evidence = (prep && !(aux & NA_WEAK)) || c.strong;
    /* a range: "entre las 5 y las 7", "de 5 a 7", "from 3 to 5pm", "3-5pm" */
    bool has_end = false;
    int je = j, ks = 0;
    if ((ks = lx(p, je, NC_RANGE_SEP)) || (is_punct(p, je, '-') && (ks = 1))) {
        int kp = lx(p, je + ks, NC_TIME_PREP);
        int ke = clock_at(p, je + ks + kp, &e);
        bool range_ok = (aux & NA_RANGE) || (prep && v == BC_NLU_AT_AFTER) || (aux & NA_WEAK) || !prep ||
                        is_punct(p, je, '-');
        if (ke && range_ok && !lx(p, je + ks + kp + ke, NC_UNIT) && e.h >= 0 && e.h <= 24 &&
            (e.strong || c.strong || prep || kp)) {
            has_end = true;
            j = je + ks + kp + ke;
            /* "from 3 to 5pm" is 15:00-17:00, "from 10 to 2pm" 10:00-14:00 */
            if (!c.ampm && e.ampm && !c.part && c.h >= 1 && c.h <= 12 && e.h >= 1 && e.h <= 12)
                c.ampm = c.h <= e.h || c.h == 12 ? e.ampm : 3 - e.ampm;
            if (!c.part && e.part) c.part = e.part;
            v = BC_NLU_AT_RANGE;
            evidence = true;
        }
    }
    if ((aux & NA_RANGE) && !has_end) return 0;
    if (!evidence) return 0;
    if (!span_free(p, i, j - i) || p->n_times >= NLU_MAX_MENTIONS) return 0;
    struct bc__nlu_mention *x = &p->times[p->n_times];
    memset(x, 0, sizeof *x);
    if (!resolve_clock(&c, x)) return 0;
    if (has_end) {
        struct bc__nlu_mention y;
        if (!e.part) e.part = c.part;
        if (!e.ampm && c.ampm) e.ampm = c.ampm;
        if (!resolve_clock(&e, &y)) return 0;
        if (x->ambiguous && !y.ambiguous && x->alt_h < y.h && x->h > y.h) { /* "de 10 a 14" */
            int t = x->h;
            x->h = x->alt_h;
            x->alt_h = t;
        }
        x->has_end = true;
        x->end_h = y.h;
        x->end_mi = y.mi;
    }
    x->has_time = true;
    x->at = i;
    x->n = j - i;
    x->qual = v;
    x->part = c.part;
    p->n_times++;
    use(p, i, j - i);
    if (c.part && !p->part) p->part = c.part;
    return j - i;
}

static int try_part(struct bc__nlu_p *p, int i)
{
    int v, aux, k = bc__nlu_lx(p, i, NC_PART, &v, &aux);
    if (!k) return 0;
    if ((aux & NA_NEEDS_CTX) && !(i > 0 && lx(p, i - 1, NC_PART_CTX))) return 0;
    if (!span_free(p, i, k)) return 0;
    if (!p->part) p->part = v;
    use(p, i, k);
    return k;
}

/* Whether a mention is refused: "no puedo el jueves", "el jueves no", "menos el lunes", "not friday". */
static bool refused(const struct bc__nlu_p *p, const struct bc__nlu_mention *x)
{
    for (int k = x->at - 1; k >= 0 && k >= x->at - 5; k--) {
        if (p->t[k].kind == NT_PUNCT) break;
        int n = lx(p, k, NC_NEG);
        if (n && k + n == x->at && !(p->t[k].flags & NF_USED)) return true;
    }
    int after = x->at + x->n, v = 0;
    if (bc__nlu_lx(p, after, NC_NEG, &v, NULL) && v == 0 && !(p->t[after].flags & NF_USED)) {
        /* "el jueves no, el viernes" / "el jueves no puedo" — but not "el jueves no hay hueco?" */
        int n = lx(p, after, NC_NEG);
        return n > 1 || after + 1 >= p->n || p->t[after + 1].kind == NT_PUNCT ||
               lx(p, after + 1, NC_ARTICLE) || lx(p, after + 1, NC_WEEKDAY) || lx(p, after + 1, NC_INTENT);
    }
    return false;
}

/* A lone number as the answer to "what time?" or "which day?". */
static void expected_number(struct bc__nlu_p *p)
{
    enum bc_nlu_expect ex = p->req->expect;
    if (ex != BC_NLU_EXPECT_TIME && ex != BC_NLU_EXPECT_DATE) return;
    if ((ex == BC_NLU_EXPECT_TIME && p->n_times) || (ex == BC_NLU_EXPECT_DATE && p->n_dates)) return;
    int found = -1, words = 0;
    for (int i = 0; i < p->n; i++) {
        if (p->t[i].flags & (NF_USED | NF_SKIP)) continue;
        int v;
        if (p->t[i].kind == NT_NUM || bc__nlu_lx(p, i, NC_NUM, &v, NULL)) {
            if (found >= 0) return;
            found = i;
        } else if (p->t[i].kind == NT_WORD && !lx(p, i, NC_STOP) && !lx(p, i, NC_INTENT) &&
                   !lx(p, i, NC_TIME_PREP) && !lx(p, i, NC_ARTICLE)) {
            words++;
        }
    }
    if (found < 0 || words > 1) return;
    int n, k = num_at(p, found, &n, true);
    if (!k) return;
    if (ex == BC_NLU_EXPECT_TIME && n >= 0 && n <= 24 && p->n_times < NLU_MAX_MENTIONS) {
        struct clock c = {.h = n, .h24 = n > 12 || n == 0};
        struct bc__nlu_mention *x = &p->times[p->n_times];
        memset(x, 0, sizeof *x);
        if (!resolve_clock(&c, x)) return;
        x->has_time = true;
        x->at = found;
        x->n = k;
        p->n_times++;
        use(p, found, k);
    } else if (ex == BC_NLU_EXPECT_DATE && n >= 1 && n <= 31) {
        int days = next_day(p, n);
        if (days >= 0) add_date(p, found, k, days, 0);
    }
}

/* Whether the message has a verb of change ("cambiar", "mover", "move", "reschedule"). */
static bool change_verb(const struct bc__nlu_p *p)
{
    for (int i = 0; i < p->n; i++) {
        int v, aux;
        if (bc__nlu_lx(p, i, NC_INTENT, &v, &aux) && ((aux & NA_VERB) || v == BC_NLU_RESCHEDULE)) return true;
    }
    return false;
}

static void fmt2(char *out, int a, int b, char sep)
{
    out[0] = (char)('0' + a / 10);
    out[1] = (char)('0' + a % 10);
    out[2] = sep;
    out[3] = (char)('0' + b / 10);
    out[4] = (char)('0' + b % 10);
    out[5] = 0;
}

void bc__nlu_dates(struct bc__nlu_p *p)
{
    for (int i = 0; i < p->n;) {
        struct bc__nlu_tok *t = &p->t[i];
        if (t->flags & (NF_USED | NF_SKIP | NF_CUED)) {
            i++;
            continue;
        }
        int k;
        /* greetings and blocking phrases: "buenas tardes" is no afternoon, "más tarde" neither */
        if ((k = lx(p, i, NC_BLOCK)) || ((k = lx(p, i, NC_INTENT)) >= 2)) {
            for (int j = i; j < i + k; j++) p->t[j].flags |= NF_SKIP;
            i += k;
            continue;
        }
        if ((k = lx(p, i, NC_ASAP))) {
            p->out->asap = true;
            use(p, i, k);
            i += k;
            continue;
        }
        if ((k = try_date(p, i)) || (k = try_time(p, i)) || (k = try_part(p, i))) {
            i += k;
            continue;
        }
        i++;
    }
    expected_number(p);

    /* "cambiar mi cita del jueves al viernes": with a change verb, the last date is the new one */
    int first_date = 0, kept = 0;
    for (int k = 0; k < p->n_dates; k++) {
        if (refused(p, &p->dates[k])) {
            p->dates[k].negated = true;
            continue;
        }
        if (kept++ == 0) first_date = k;
    }
    if (kept > 1 && change_verb(p))
        for (int k = p->n_dates - 1; k >= 0; k--)
            if (!p->dates[k].negated) {
                first_date = k;
                break;
            }
    struct bc_nlu_result *out = p->out;
    for (int k = first_date; k < p->n_dates; k++) {
        struct bc__nlu_mention *x = &p->dates[k];
        if (x->negated) continue;
        out->has_date = true;
        out->year = x->y;
        out->month = x->m;
        out->day = x->d;
        out->weekday = bc_nlu_weekday(x->y, x->m, x->d);
        out->date[0] = (char)('0' + x->y / 1000 % 10);
        out->date[1] = (char)('0' + x->y / 100 % 10);
        out->date[2] = (char)('0' + x->y / 10 % 10);
        out->date[3] = (char)('0' + x->y % 10);
        out->date[4] = '-';
        fmt2(out->date + 5, x->m, x->d, '-');
        break;
    }
    for (int k = 0; k < p->n_times; k++) {
        struct bc__nlu_mention *x = &p->times[k];
        if (refused(p, x)) continue;
        int h = x->h;
        if (x->ambiguous && p->part) { /* "el lunes por la tarde a las 5" */
            bool pm = p->part != BC_NLU_PART_MORNING;
            int am_h = h < 12 ? h : x->alt_h, pm_h = h >= 12 ? h : x->alt_h;
            h = pm ? pm_h : am_h;
            x->ambiguous = false;
        }
        out->has_time = true;
        out->hour = h;
        out->minute = x->mi;
        fmt2(out->time, h, x->mi, ':');
        out->time_ambiguous = x->ambiguous;
        if (x->ambiguous) {
            out->alt_hour = x->alt_h;
            fmt2(out->time_alt, x->alt_h, x->mi, ':');
        }
        out->time_qualifier = (enum bc_nlu_qualifier)x->qual;
        out->has_time_end = x->has_end;
        out->end_hour = x->end_h;
        out->end_minute = x->end_mi;
        break;
    }
    out->part_of_day = (enum bc_nlu_part)p->part;
}
