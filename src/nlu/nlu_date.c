/* Dates, times and parts of the day in a message, relative to the caller's local "now": bc__nlu_dates walks
 * the tokens and tries each form (nlu_date_relative.c, nlu_date_absolute.c, nlu_date_named.c, nlu_time.c),
 * then keeps the first date and time not refused ("el jueves no, el viernes"). The grammar works on word
 * categories, so it is the same for every language: the tables give the words. See docs/nlu.md for the
 * expressions understood and the choices made ("next friday", "el jueves" said on a Thursday …). */
#include "nlu/nlu_internal.h"

#include <string.h>

bool bc__nlu_add_date(struct bc__nlu_p *p, int at, int n, int days, int part)
{
    if (!bc__nlu_span_free(p, at, n) || p->n_dates >= NLU_MAX_MENTIONS) return false;
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
    bc__nlu_use(p, at, n);
    if (part && !p->part) p->part = part;
    return true;
}

/* Whether a mention is refused: "no puedo el jueves", "el jueves no", "menos el lunes", "not friday". */
static bool refused(const struct bc__nlu_p *p, const struct bc__nlu_mention *x)
{
    for (int k = x->at - 1; k >= 0 && k >= x->at - 5; k--) {
        if (p->t[k].kind == NT_PUNCT) break;
        int n = bc__nlu_cat_len(p, k, NC_NEG);
        if (n && k + n == x->at && !(p->t[k].flags & NF_USED)) return true;
    }
    int after = x->at + x->n, v = 0;
    if (bc__nlu_lx(p, after, NC_NEG, &v, NULL) && v == 0 && !(p->t[after].flags & NF_USED)) {
        /* "el jueves no, el viernes" / "el jueves no puedo" — but not "el jueves no hay hueco?" */
        int n = bc__nlu_cat_len(p, after, NC_NEG);
        return n > 1 || after + 1 >= p->n || p->t[after + 1].kind == NT_PUNCT ||
               bc__nlu_cat_len(p, after + 1, NC_ARTICLE) || bc__nlu_cat_len(p, after + 1, NC_WEEKDAY) ||
               bc__nlu_cat_len(p, after + 1, NC_INTENT);
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
        } else if (p->t[i].kind == NT_WORD && !bc__nlu_cat_len(p, i, NC_STOP) &&
                   !bc__nlu_cat_len(p, i, NC_INTENT) && !bc__nlu_cat_len(p, i, NC_TIME_PREP) &&
                   !bc__nlu_cat_len(p, i, NC_ARTICLE)) {
            words++;
        }
    }
    if (found < 0 || words > 1) return;
    int n, k = bc__nlu_num_at(p, found, &n, true);
    if (!k) return;
    if (ex == BC_NLU_EXPECT_TIME && n >= 0 && n <= 24 && p->n_times < NLU_MAX_MENTIONS) {
        bc__nlu_add_bare_hour(p, found, k, n);
    } else if (ex == BC_NLU_EXPECT_DATE && n >= 1 && n <= 31) {
        int days = bc__nlu_next_day(p, n);
        if (days >= 0) bc__nlu_add_date(p, found, k, days, 0);
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
        if ((k = bc__nlu_cat_len(p, i, NC_BLOCK)) || ((k = bc__nlu_cat_len(p, i, NC_INTENT)) >= 2)) {
            for (int j = i; j < i + k; j++) p->t[j].flags |= NF_SKIP;
            i += k;
            continue;
        }
        if ((k = bc__nlu_cat_len(p, i, NC_ASAP))) {
            p->out->asap = true;
            bc__nlu_use(p, i, k);
            i += k;
            continue;
        }
        bc__nlu_try_window(p, i);
        if ((k = bc__nlu_try_date(p, i)) || (k = bc__nlu_try_time(p, i)) || (k = bc__nlu_try_part(p, i))) {
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
        out->from_now = x->from_now > 0;
        out->from_now_minutes = x->from_now;
        if (x->qual == BC_NLU_AT_RANGE || x->qual == BC_NLU_AT_AFTER || x->qual == BC_NLU_AT_BEFORE) {
            out->has_window = true;
            out->window_from = x->qual == BC_NLU_AT_BEFORE ? -1 : h * 60 + x->mi;
            out->window_to = x->qual == BC_NLU_AT_RANGE    ? x->end_h * 60 + x->end_mi
                             : x->qual == BC_NLU_AT_BEFORE ? h * 60 + x->mi
                                                           : -1;
        }
        break;
    }
    if (!out->has_window && p->has_window) {
        out->has_window = true;
        out->window_from = p->win_from;
        out->window_to = p->win_to;
        out->window_pick = (enum bc_nlu_pick)p->win_pick;
    }
    out->part_of_day = (enum bc_nlu_part)p->part;
}
