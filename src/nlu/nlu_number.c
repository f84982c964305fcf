/* Numbers as the date and time grammar reads them: digits (up to four) or words ("veintiuno", "treinta y
 * uno", "twenty-one"), and ordinals ("1º", "3rd", "first", "twenty-first"). The words come from the language
 * tables (NC_NUM, NC_NUM_JOIN, NC_ORDINAL, NC_ORD_SUFFIX). */
#include "nlu/nlu_internal.h"

/* A number written in digits (up to 4) or in words ("veintiuno", "treinta y uno", "twenty-one"). With
 * amount, articles count as one ("in a week"). */
int bc__nlu_num_at_x(const struct bc__nlu_p *p, int i, int *val, bool compound, bool amount)
{
    if (!bc__nlu_in_range(p, i)) return 0;
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
        if (bc__nlu_cat_len(p, j, NC_NUM_JOIN) ||
            (bc__nlu_is_punct(p, j, '-') && bc__nlu_glued(p, j) && bc__nlu_glued(p, j + 1)))
            kj = 1;
        int ku = bc__nlu_lx(p, j + kj, NC_NUM, &u, NULL);
        if (ku && u >= 1 && u <= 9 && p->t[j + kj].kind == NT_WORD) {
            *val = v + u;
            return k + kj + ku;
        }
    }
    return k;
}

/* An ordinal: "1º", "1st", "3rd", "first", "twenty-first", "thirty first". */
int bc__nlu_ordinal_at(const struct bc__nlu_p *p, int i, int *val)
{
    if (!bc__nlu_in_range(p, i)) return 0;
    if (p->t[i].kind == NT_NUM && p->t[i].ndig <= 2 && bc__nlu_glued(p, i + 1) &&
        bc__nlu_cat_len(p, i + 1, NC_ORD_SUFFIX)) {
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
        if (bc__nlu_is_punct(p, j, '-') && bc__nlu_glued(p, j) && bc__nlu_glued(p, j + 1)) j++;
        int ku = bc__nlu_lx(p, j, NC_ORDINAL, &u, NULL);
        if (ku && u >= 1 && u <= 9) {
            *val = v + u;
            return j + ku - i;
        }
    }
    return 0;
}
