/* Dates relative to the reference day: "hoy", "mañana", "tonight", weekdays with this/coming/next ("el
 * próximo lunes", "next friday", "el jueves de la semana que viene"), the weekend and amounts ("dentro de 3
 * días", "a week from today"). bc__nlu_try_date tries every date form at a token, the absolute ones
 * (nlu_date_absolute.c) last. */
#include "nlu/nlu_internal.h"

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

/* "dentro de 3 días", "en dos semanas", "in a week", "3 days from now", "a week from today"; durations
 * ("dentro de tres horas", "en media hora", "an hour from now") give the instant now + the duration: a date
 * and an exact time, never a clock reading of the number ("tres horas" is not 03:00 nor 15:00). */
static int relative_date(struct bc__nlu_p *p, int start, int i)
{
    int j = i, k, n = 1, unit, aux = 0;
    bool in = false, counted = false;
    if ((k = bc__nlu_cat_len(p, j, NC_IN))) {
        in = true;
        j += k;
    }
    bool and_half = false;
    if ((k = bc__nlu_num_at_x(p, j, &n, true, true))) {
        j += k;
        counted = true;
        /* "two and a half hours" */
        if (bc__nlu_is(p, j, "and") && bc__nlu_is(p, j + 1, "a") && bc__nlu_is(p, j + 2, "half")) {
            and_half = true;
            j += 3;
        }
    }
    if (!(k = bc__nlu_lx(p, j, NC_UNIT, &unit, &aux))) return 0;
    if (and_half && (aux != NA_MINUTES || unit != 60)) return 0;
    /* "en hora", "in minutes": a duration needs an amount, said or in the unit ("media hora"); without "en"
     * only a unit with its amount may go uncounted ("half an hour from now") */
    if (!counted && (aux == NA_MINUTES ? unit == 60 || unit == 1 : !in)) return 0;
    j += k;
    int extra = 0, v, kp, kh;
    if (aux == NA_MINUTES && unit == 60 && (kp = bc__nlu_lx(p, j, NC_PLUS, &v, NULL)) && v == 0) {
        /* "dos horas y media", "una hora y cuarto" */
        if ((kh = bc__nlu_cat_len(p, j + kp, NC_HALF)))
            extra = 30;
        else if ((kh = bc__nlu_cat_len(p, j + kp, NC_QUARTER)))
            extra = 15;
        if (extra) j += kp + kh;
    }
    int kf = bc__nlu_cat_len(p, j, NC_FROM_NOW), wd, kd;
    if (!in && !kf && aux == 0 && counted && bc__nlu_is(p, j, "from") &&
        (kd = bc__nlu_lx(p, j + 1, NC_WEEKDAY, &wd, NULL))) {
        /* "a week from Monday": the coming Monday, then the amount */
        j += 1 + kd;
        int days = weekday_days(p, wd, MOD_NONE) + n * unit;
        return n >= 0 && n <= 60 && bc__nlu_add_date(p, start, j - start, days, 0) ? j - start : 0;
    }
    if (!in && !kf) return 0;
    /* "an hour later" is later than the time being discussed, not than now */
    if (aux == NA_MINUTES && kf && bc__nlu_is(p, j, "later")) return 0;
    j += kf;
    if (n < 0 || n > 400) return 0;
    if (aux == NA_MINUTES) {
        int minutes = n * unit + extra + (and_half ? 30 : 0),
            now = p->req->now.hour * 60 + p->req->now.minute + minutes;
        if (p->n_times >= NLU_MAX_MENTIONS ||
            !bc__nlu_add_date(p, start, j - start, p->ref_days + now / 1440, 0))
            return 0;
        bc__nlu_add_from_now(p, start, j - start, now % 1440 / 60, now % 60, minutes);
        return j - start;
    }
    int days = aux ? bc__nlu_add_months(p->ref_days, n) : p->ref_days + n * unit;
    return bc__nlu_add_date(p, start, j - start, days, 0) ? j - start : 0;
}

/* Spanish "en ocho" / "en quince" after a day ("el lunes en ocho", "de hoy en quince días"): a week or two
 * after it. The tokens it takes, and the days to add in *add. */
static int en_ocho(struct bc__nlu_p *p, int j, int *add)
{
    int n, k;
    if (!bc__nlu_is(p, j, "en") || !(k = bc__nlu_num_at(p, j + 1, &n, true)) || (n != 8 && n != 15)) return 0;
    int used = 1 + k;
    if (bc__nlu_is(p, j + used, "dias")) used++;
    *add = n == 8 ? 7 : 14;
    return used;
}

/* Whether the token before i makes an ambiguous word ("mañana") a part of day. */
static bool part_context_before(const struct bc__nlu_p *p, int i)
{
    int v;
    return i > 0 && bc__nlu_lx(p, i - 1, NC_PART_CTX, &v, NULL) == 1 && v == 1;
}

int bc__nlu_try_date(struct bc__nlu_p *p, int i)
{
    int j = i, k, v, aux, art = -1, mod = MOD_NONE;
    bool day_word = false;
    if ((k = relative_date(p, i, i))) return k;
    if ((k = bc__nlu_lx(p, j, NC_ARTICLE, &v, NULL))) {
        art = v;
        j += k;
    }
    /* "Nochebuena", "Good Friday", "el tercer miércoles de junio", "the last Friday of the month" */
    if ((k = bc__nlu_named_day(p, i, j)) || (k = bc__nlu_ordinal_weekday(p, i, j))) return k;
    /* relative day: "mañana", "pasado mañana", "tonight" */
    if ((k = bc__nlu_lx(p, j, NC_DAYREL, &v, &aux))) {
        if ((aux & NA_AMBIG_PART) && part_context_before(p, j)) return 0;
        int part = aux & 3, add = 0, ko = en_ocho(p, j + k, &add); /* "de hoy en ocho" */
        return bc__nlu_add_date(p, i, j + k + ko - i, p->ref_days + v + add, part) ? j + k + ko - i : 0;
    }
    if ((k = bc__nlu_cat_len(p, j, NC_DAY_WORD)) &&
        (bc__nlu_is_num(p, j + k) || bc__nlu_cat_len(p, j + k, NC_NUM))) {
        day_word = true;
        j += k;
    }
    /* "la semana que viene el martes", "next week on tuesday" */
    int kw = bc__nlu_cat_len(p, j, NC_WEEK_NEXT);
    if (kw) {
        int jw = j + kw;
        if ((k = bc__nlu_cat_len(p, jw, NC_ARTICLE))) jw += k;
        int wd, kd = bc__nlu_lx(p, jw, NC_WEEKDAY, &wd, NULL);
        if (!kd) return 0;
        jw += kd;
        return bc__nlu_add_date(p, i, jw - i, weekday_days(p, wd, MOD_NEXT), 0) ? jw - i : 0;
    }
    /* this / coming / next */
    int kt = bc__nlu_cat_len(p, j, NC_THIS), kc = bc__nlu_cat_len(p, j, NC_COMING),
        kn = bc__nlu_cat_len(p, j, NC_NEXT);
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
        return bc__nlu_add_date(p, i, j + k - i, p->ref_days, v) ? j + k - i : 0;
    }
    if ((k = bc__nlu_cat_len(
             p, j, NC_WEEKEND))) { /* Saturday of this weekend (today if it is the weekend) or next */
        int jw = j + k, delta;
        if (bc__nlu_cat_len(p, jw, NC_COMING)) jw += bc__nlu_cat_len(p, jw, NC_COMING);
        if (mod == MOD_NEXT)
            delta = (8 - p->ref_wd) + 5;
        else
            delta = p->ref_wd >= 6 ? 0 : 6 - p->ref_wd;
        return bc__nlu_add_date(p, i, jw - i, p->ref_days + delta, 0) ? jw - i : 0;
    }
    int wd;
    if ((k = bc__nlu_lx(p, j, NC_WEEKDAY, &wd, NULL))) {
        j += k;
        if (bc__nlu_is_punct(p, j, '.') && bc__nlu_glued(p, j)) j++;
        /* trailing: "que viene", "próximo", "de la semana que viene", "next week", "de esta semana" */
        int jt = j, kk;
        if (bc__nlu_cat_len(p, jt, NC_DATE_JOIN)) jt++;
        if ((kk = bc__nlu_cat_len(p, jt, NC_WEEK_NEXT))) {
            mod = MOD_NEXT;
            j = jt + kk;
        } else if ((kk = bc__nlu_cat_len(p, jt, NC_WEEK_THIS))) {
            mod = MOD_THIS;
            j = jt + kk;
        } else if ((kk = bc__nlu_cat_len(p, j, NC_COMING))) {
            if (mod == MOD_NONE) mod = MOD_COMING;
            j += kk;
        } else if (mod == MOD_NONE && bc__nlu_is(p, j, "week") && !bc__nlu_cat_len(p, j + 1, NC_FROM_NOW)) {
            /* "Monday week": the coming Monday + 7 days */
            j++;
            return bc__nlu_add_date(p, i, j - i, weekday_days(p, wd, MOD_NONE) + 7, 0) ? j - i : 0;
        } else if (mod == MOD_NONE && (kk = en_ocho(p, j, &kt))) {
            /* "el lunes en ocho (días)": the coming Monday + a week; "en quince": + two */
            j += kk;
            return bc__nlu_add_date(p, i, j - i, weekday_days(p, wd, MOD_NONE) + kt, 0) ? j - i : 0;
        }
        /* an explicit date after the weekday wins: "el lunes 30", "monday the 30th", "Monday, Nov 30" */
        int je = j;
        if (bc__nlu_is_punct(p, je, ',')) je++;
        int ka = 0, av = -1;
        if ((ka = bc__nlu_lx(p, je, NC_ARTICLE, &av, NULL))) je += ka;
        int n_before = p->n_dates;
        int ke = bc__nlu_daynum_date(p, je, je, 1, false);
        if (!ke) ke = bc__nlu_month_first_date(p, je, je);
        if (ke && p->n_dates > n_before) {
            /* widen the mention to cover the weekday */
            struct bc__nlu_mention *x = &p->dates[p->n_dates - 1];
            bc__nlu_use(p, i, je - i);
            x->at = i;
            x->n = je + ke - i;
            return x->n;
        }
        return bc__nlu_add_date(p, i, j - i, weekday_days(p, wd, mod), 0) ? j - i : 0;
    }
    if (mod != MOD_NONE) return 0;
    if ((k = bc__nlu_month_first_date(p, i, j))) return k;
    if ((k = bc__nlu_numeric_date(p, i, j))) return k;
    if ((k = bc__nlu_daynum_date(p, i, j, art, day_word))) return k;
    return 0;
}
