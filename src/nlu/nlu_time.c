/* Clock times and parts of the day: "a las 5", "10 y media", "6 menos cuarto", "17h30", "3 p.m.", "half
 * past 3", "noon", ranges ("entre las 5 y las 7", "from 3 to 5pm"), qualifiers ("sobre las 5", "after 6")
 * and parts of the day ("por la tarde", "in the morning"); am/pm is settled here or left ambiguous with an
 * alternative ("a las 5": 17:00, or 05:00). */
#include "nlu/nlu_internal.h"

#include <string.h>

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
    if ((k = bc__nlu_cat_len(p, j, NC_HALF)))
        mins = 30;
    else if ((k = bc__nlu_cat_len(p, j, NC_QUARTER)))
        mins = 15;
    else if ((k = bc__nlu_num_at(p, j, &mins, true)))
        digits = p->t[j].kind == NT_NUM;
    if (!k || mins < 1 || mins > 30) return 0;
    j += k;
    if ((k = bc__nlu_cat_len(p, j, NC_MINUTE_WORD))) j += k;
    int plus = 0;
    if ((k = bc__nlu_lx(p, j, NC_PLUS, &v, NULL)) && v == 1)
        plus = 1;
    else if ((k = bc__nlu_lx(p, j, NC_MINUS, &v, NULL)) && v == 1 && !digits)
        plus = -1;
    if (!plus) return 0;
    j += k;
    int h, kh = bc__nlu_num_at(p, j, &h, true);
    if (!kh) {
        if ((kh = bc__nlu_cat_len(p, j, NC_NOON)))
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
        return k + (bc__nlu_is_punct(p, i + k, '.') && bc__nlu_glued(p, i + k) ? 1 : 0);
    }
    if (!(bc__nlu_is(p, i, "a") || bc__nlu_is(p, i, "p")) || !bc__nlu_is_punct(p, i + 1, '.') ||
        !bc__nlu_is(p, i + 2, "m"))
        return 0;
    *ampm = bc__nlu_is(p, i, "a") ? 1 : 2;
    return 3 + (bc__nlu_is_punct(p, i + 3, '.') ? 1 : 0);
}

/* A part of day after a time: "de la tarde", "in the afternoon", "at night", "del mediodía". */
static int part_suffix(const struct bc__nlu_p *p, int i, int *part)
{
    int j = i, k, ctx = 0, v, aux;
    while (ctx < 3 && (k = bc__nlu_cat_len(p, j, NC_PART_CTX)) && !bc__nlu_cat_len(p, j, NC_THIS)) {
        j += k;
        ctx++;
    }
    if (!(k = bc__nlu_lx(p, j, NC_PART, &v, &aux))) return 0;
    if ((aux & NA_NEEDS_CTX) && !ctx) return 0;
    *part = v;
    return j + k - i;
}

/* Minutes after the hour h read at j: ":30", "h30", "y media", "y 10", "menos cuarto" (which moves the
 * hour back), "three thirty". Returns the token after them (j when there are none). */
static int clock_minutes_after(const struct bc__nlu_p *p, int j, int h, struct clock *c)
{
    int k, v, mm;
    if (bc__nlu_in_range(p, j) && (bc__nlu_is_punct(p, j, ':') || bc__nlu_is_punct(p, j, '.')) &&
        bc__nlu_glued(p, j) && bc__nlu_is_num(p, j + 1) && bc__nlu_glued(p, j + 1) && p->t[j + 1].ndig == 2 &&
        p->t[j + 1].num <= 59) {
        c->m = p->t[j + 1].num;
        c->strong = true;
        j += 2;
    } else if ((k = bc__nlu_cat_len(p, j, NC_HOUR_WORD)) &&
               (k > 1 || p->t[j].fl <= 3 || !bc__nlu_cat_len(p, j, NC_SLOT_WORD))) {
        c->strong = true;
        j += k;
        if (bc__nlu_is_num(p, j) && bc__nlu_glued(p, j) && p->t[j].ndig == 2 && p->t[j].num <= 59) {
            c->m = p->t[j].num;
            j++;
        }
    } else if ((k = bc__nlu_lx(p, j, NC_PLUS, &v, NULL)) && v == 0) {
        int jm = j + k, km;
        if ((km = bc__nlu_cat_len(p, jm, NC_HALF)))
            mm = 30;
        else if ((km = bc__nlu_cat_len(p, jm, NC_QUARTER)))
            mm = 15;
        else if ((km = bc__nlu_num_at(p, jm, &mm, true)) && mm >= 1 && mm <= 59 &&
                 !bc__nlu_cat_len(p, jm + km, NC_TIME_PREP) &&
                 (!bc__nlu_cat_len(p, jm + km, NC_UNIT) || bc__nlu_minutes_unit(p, jm + km, &v)))
            ;
        else
            km = 0;
        if (km) {
            c->m = mm;
            c->strong = true;
            j = jm + km;
            if ((k = bc__nlu_cat_len(p, j, NC_MINUTE_WORD))) j += k;
        }
    } else if ((k = bc__nlu_lx(p, j, NC_MINUS, &v, NULL)) && v == 0) {
        int jm = j + k, km;
        if ((km = bc__nlu_cat_len(p, jm, NC_QUARTER)))
            mm = 15;
        else if (!((km = bc__nlu_num_at(p, jm, &mm, true)) && mm >= 1 && mm <= 30))
            km = 0;
        if (km) {
            c->h = h == 0 ? 23 : h - 1;
            if (h == 1) c->h = 12;
            if (h == 13) c->h = 12;
            c->m = 60 - mm;
            c->strong = true;
            j = jm + km;
            if ((k = bc__nlu_cat_len(p, j, NC_MINUTE_WORD))) j += k;
        }
    } else if ((k = bc__nlu_lx(p, j, NC_NUM, &mm, NULL)) && p->t[j].kind == NT_WORD && mm >= 10) {
        /* English "three thirty", "five forty-five" */
        int m2, k2 = bc__nlu_num_at(p, j, &m2, true);
        if (m2 <= 59) {
            c->m = m2;
            j += k2;
        }
    }
    return j;
}

/* What may follow a time at j: am/pm, "h"/"horas", "en punto"/"o'clock", a part of day ("de la tarde").
 * Returns the token after them (j when there are none). */
static int clock_suffixes(const struct bc__nlu_p *p, int j, struct clock *c)
{
    int k, ampm, ka;
    if ((ka = ampm_at(p, j, &ampm))) {
        c->ampm = ampm;
        c->strong = true;
        j += ka;
    }
    if ((k = bc__nlu_cat_len(p, j, NC_HOUR_WORD)) && k == 1 && !bc__nlu_cat_len(p, j, NC_SLOT_WORD)) {
        c->strong = true;
        j += k;
    } else if ((k = bc__nlu_cat_len(p, j, NC_HOUR_WORD)) && bc__nlu_is(p, j, "horas")) {
        c->strong = true;
        j += k;
    }
    if ((k = bc__nlu_cat_len(p, j, NC_OCLOCK))) {
        c->strong = true;
        j += k;
    }
    int part;
    if ((k = part_suffix(p, j, &part))) {
        c->part = part;
        c->strong = true;
        j += k;
    }
    return j;
}

/* A clock time at i: noon/midnight, minutes first ("half past 3") or an hour and its minutes, then its
 * suffixes. Returns the tokens read, or 0. */
static int clock_at(const struct bc__nlu_p *p, int i, struct clock *c)
{
    memset(c, 0, sizeof *c);
    int j = i, k;
    if ((k = bc__nlu_cat_len(p, j, NC_NOON)) || (k = bc__nlu_cat_len(p, j, NC_MIDNIGHT))) {
        c->h = bc__nlu_cat_len(p, j, NC_NOON) ? 12 : 0;
        c->strong = c->fixed = true;
        return k;
    }
    if ((k = clock_minutes_first(p, j, c))) {
        j += k;
    } else {
        int h;
        if (!(k = bc__nlu_num_at(p, j, &h, true))) return 0;
        if (h > 24) { /* "veinte y cinco" read as 25 may be "veinte" and minutes */
            if (!(k = bc__nlu_num_at(p, j, &h, false)) || h > 24) return 0;
        }
        if (bc__nlu_is_num(p, j) && p->t[j].ndig > 2) return 0;
        c->h = h;
        c->h24 =
            h > 12 || h == 0 || (bc__nlu_is_num(p, j) && p->t[j].ndig == 2 && p->fold[p->t[j].fo] == '0');
        j += k;
        j = clock_minutes_after(p, j, h, c);
    }
    return clock_suffixes(p, j, c) - i;
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

int bc__nlu_try_time(struct bc__nlu_p *p, int i)
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
    /* "el 5 de diciembre" is a date, "5 personas"/"in 2 weeks" amounts; "tres horas" without "a las" is a
     * duration, not 03:00 */
    int hn, kn = bc__nlu_num_at(p, j, &hn, true), um;
    if (kn && (!prep || (aux & NA_WEAK)) && bc__nlu_minutes_unit(p, j + kn, &um)) return 0;
    if (bc__nlu_cat_len(p, j + k, NC_UNIT) ||
        (bc__nlu_cat_len(p, j + k, NC_DATE_JOIN) && bc__nlu_cat_len(p, j + k + 1, NC_MONTH)))
        return 0;
    j += k;
    bool evidence = (prep && !(aux & NA_WEAK)) || c.strong;
    /* a range: "entre las 5 y las 7", "de 5 a 7", "from 3 to 5pm", "3-5pm" */
    bool has_end = false;
    int je = j, ks = 0;
    if ((ks = bc__nlu_cat_len(p, je, NC_RANGE_SEP)) || (bc__nlu_is_punct(p, je, '-') && (ks = 1))) {
        int kp = bc__nlu_cat_len(p, je + ks, NC_TIME_PREP);
        int ke = clock_at(p, je + ks + kp, &e);
        bool range_ok = (aux & NA_RANGE) || (prep && v == BC_NLU_AT_AFTER) || (aux & NA_WEAK) || !prep ||
                        bc__nlu_is_punct(p, je, '-');
        if (ke && range_ok && !bc__nlu_cat_len(p, je + ks + kp + ke, NC_UNIT) && e.h >= 0 && e.h <= 24 &&
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
    if (!bc__nlu_span_free(p, i, j - i) || p->n_times >= NLU_MAX_MENTIONS) return 0;
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
    bc__nlu_use(p, i, j - i);
    if (c.part && !p->part) p->part = c.part;
    return j - i;
}

void bc__nlu_try_window(struct bc__nlu_p *p, int i)
{
    int v, aux, k = bc__nlu_lx(p, i, NC_WINDOW, &v, &aux);
    if (!k || p->has_window || !bc__nlu_span_free(p, i, k)) return;
    p->has_window = true;
    p->win_from = v < 0 ? -1 : v / 100 * 60;
    p->win_to = v < 0 ? -1 : v % 100 * 60;
    p->win_pick = aux;
    int part, kp = part_suffix(p, i + k, &part);
    if (kp && !p->part) p->part = part;
}

int bc__nlu_try_part(struct bc__nlu_p *p, int i)
{
    int v, aux, k = bc__nlu_lx(p, i, NC_PART, &v, &aux);
    if (!k) return 0;
    if ((aux & NA_NEEDS_CTX) && !(i > 0 && bc__nlu_cat_len(p, i - 1, NC_PART_CTX))) return 0;
    if (!bc__nlu_span_free(p, i, k)) return 0;
    if (!p->part) p->part = v;
    bc__nlu_use(p, i, k);
    return k;
}

void bc__nlu_add_bare_hour(struct bc__nlu_p *p, int at, int n, int hour)
{
    struct clock c = {.h = hour, .h24 = hour > 12 || hour == 0};
    struct bc__nlu_mention *x = &p->times[p->n_times];
    memset(x, 0, sizeof *x);
    if (!resolve_clock(&c, x)) return;
    x->has_time = true;
    x->at = at;
    x->n = n;
    p->n_times++;
    bc__nlu_use(p, at, n);
}

int bc__nlu_minutes_unit(const struct bc__nlu_p *p, int i, int *minutes)
{
    int aux = 0, k = bc__nlu_lx(p, i, NC_UNIT, minutes, &aux);
    return k && aux == NA_MINUTES ? k : 0;
}

void bc__nlu_add_from_now(struct bc__nlu_p *p, int at, int n, int h, int mi, int minutes)
{
    if (p->n_times >= NLU_MAX_MENTIONS) return;
    struct bc__nlu_mention *x = &p->times[p->n_times++];
    memset(x, 0, sizeof *x);
    x->has_time = true;
    x->at = at;
    x->n = n;
    x->h = h;
    x->mi = mi;
    x->from_now = minutes;
}
