/* The tenant's catalog for the NLU (services and professionals, with synonyms), folded once, and the
 * matching of a message against it: whole words only (a professional "Mar" never matches "marzo"),
 * accents and case folded, typos within an edit budget scaled by word length, plurals, a light stem for
 * services ("cortar" ~ "Corte"), multi-word names scored by the share of their words found.
 *
 * DESIGN NOTES
 * - A name is split into words; function words ("de", "the") are dropped unless nothing else is left.
 * - A word that is also common vocabulary ("Domingo", "Mar", "May") matches only exactly and only when
 *   cued: after "con"/"with", or when the message is nothing but the name.
 * - A message word that is itself vocabulary ("martes", "para") is never taken as a typo of a name. */
#include "nlu/nlu_internal.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define CAT_MAX_WORDS 8

struct cat_variant {
    int entry;
    int nw;
    uint32_t off[CAT_MAX_WORDS];
    uint8_t len[CAT_MAX_WORDS];
    bool guarded[CAT_MAX_WORDS];
    bool accented[CAT_MAX_WORDS]; /* folds to a function word ("Uñas" -> "unas"): needs the accent typed */
};

struct cat_entry {
    int kind;
    char *id;
};

struct bc_nlu_catalog {
    struct cat_entry *e;
    size_t n, cap;
    struct cat_variant *v;
    size_t nv, capv;
    char *pool;
    size_t pool_len, pool_cap;
    size_t count[2];
};

struct bc_nlu_catalog *bc_nlu_catalog_new(void)
{
    return calloc(1, sizeof(struct bc_nlu_catalog));
}

void bc_nlu_catalog_free(struct bc_nlu_catalog *cat)
{
    if (!cat) return;
    for (size_t i = 0; i < cat->n; i++) free(cat->e[i].id);
    free(cat->e);
    free(cat->v);
    free(cat->pool);
    free(cat);
}

size_t bc_nlu_catalog_count(const struct bc_nlu_catalog *cat, enum bc_nlu_kind kind)
{
    return cat && (kind == BC_NLU_SERVICE || kind == BC_NLU_PROVIDER) ? cat->count[kind] : 0;
}

/* -1: not a stop word; 0: a function word; 1: a common noun that is also a first name */
static int stop_kind(const struct bc__nlu_vocab *v, int w)
{
    int kind = -1;
    if (w < 0) return -1;
    for (uint32_t k = v->first[w]; k < v->first[w + 1]; k++) {
        const struct bc__nlu_phrase *ph = &v->phrase[v->phrase_by_word[k]];
        if (ph->cat == NC_STOP && ph->nw == 1 && ph->value > kind) kind = ph->value;
    }
    return kind;
}

static int pool_add(struct bc_nlu_catalog *cat, const char *s, size_t n, uint32_t *off)
{
    if (cat->pool_len + n > cat->pool_cap) {
        size_t nc = cat->pool_cap ? cat->pool_cap * 2 : 1024;
        while (nc < cat->pool_len + n) nc *= 2;
        char *np = realloc(cat->pool, nc);
        if (!np) return BC_ENOMEM;
        cat->pool = np;
        cat->pool_cap = nc;
    }
    memcpy(cat->pool + cat->pool_len, s, n);
    *off = (uint32_t)cat->pool_len;
    cat->pool_len += n;
    return 0;
}

static int add_variant(struct bc_nlu_catalog *cat, const struct bc__nlu_vocab *v, int entry, const char *text)
{
    struct bc__nlu_tok toks[CAT_MAX_WORDS * 2];
    char fold[512];
    size_t fl, len = strnlen(text, 256);
    int nt = bc__nlu_tokenize(text, len, toks, CAT_MAX_WORDS * 2, fold, sizeof fold, &fl);
    struct cat_variant var = {.entry = entry};
    bool keep[CAT_MAX_WORDS * 2];
    int content = 0;
    for (int i = 0; i < nt; i++) {
        keep[i] = false;
        if (toks[i].kind == NT_PUNCT) continue;
        int w = bc__nlu_vocab_find(v, fold + toks[i].fo, toks[i].fl);
        keep[i] = stop_kind(v, w) != 0 || (toks[i].flags & NF_ACCENT);
        if (keep[i]) content++;
    }
    for (int i = 0; i < nt && var.nw < CAT_MAX_WORDS; i++) {
        if (toks[i].kind == NT_PUNCT || (content && !keep[i]) || toks[i].fl > 255) continue;
        int rc = pool_add(cat, fold + toks[i].fo, toks[i].fl, &var.off[var.nw]);
        if (rc < 0) return rc;
        var.len[var.nw] = (uint8_t)toks[i].fl;
        int w = bc__nlu_vocab_find(v, fold + toks[i].fo, toks[i].fl);
        var.accented[var.nw] = (toks[i].flags & NF_ACCENT) && stop_kind(v, w) == 0;
        var.guarded[var.nw] =
            !var.accented[var.nw] && bc__nlu_vocab_is_common(v, fold + toks[i].fo, toks[i].fl);
        var.nw++;
    }
    if (!var.nw) return 0;
    if (cat->nv == cat->capv) {
        size_t nc = cat->capv ? cat->capv * 2 : 16;
        struct cat_variant *nv = realloc(cat->v, nc * sizeof *nv);
        if (!nv) return BC_ENOMEM;
        cat->v = nv;
        cat->capv = nc;
    }
    cat->v[cat->nv++] = var;
    return 0;
}

int bc_nlu_catalog_add(struct bc_nlu_catalog *cat, enum bc_nlu_kind kind, const char *id, const char *name,
                       const char *const *synonyms, size_t n_synonyms)
{
    if (!cat || !id || !*id || !name || !*name || strlen(id) > 127 ||
        (kind != BC_NLU_SERVICE && kind != BC_NLU_PROVIDER) || (n_synonyms && !synonyms))
        return BC_EINVALID;
    const struct bc__nlu_vocab *v = bc__nlu_vocab();
    if (!v) return BC_ENOMEM;
    if (cat->n == cat->cap) {
        size_t nc = cat->cap ? cat->cap * 2 : 16;
        struct cat_entry *ne = realloc(cat->e, nc * sizeof *ne);
        if (!ne) return BC_ENOMEM;
        cat->e = ne;
        cat->cap = nc;
    }
    char *copy = strdup(id);
    if (!copy) return BC_ENOMEM;
    int entry = (int)cat->n;
    cat->e[cat->n++] = (struct cat_entry){.kind = kind, .id = copy};
    cat->count[kind]++;
    int rc = add_variant(cat, v, entry, name);
    for (size_t i = 0; rc == 0 && i < n_synonyms; i++)
        if (synonyms[i] && *synonyms[i]) rc = add_variant(cat, v, entry, synonyms[i]);
    return rc;
}

/* ---- matching ---- */

static bool tok_eligible(const struct bc__nlu_tok *t)
{
    return (t->kind == NT_WORD || t->kind == NT_NUM) && !(t->flags & (NF_USED | NF_SKIP));
}

static bool word_eq(const char *a, size_t na, const char *b, size_t nb)
{
    return na == nb && memcmp(a, b, na) == 0;
}

void bc__nlu_mark_catalog_words(struct bc__nlu_p *p)
{
    const struct bc_nlu_catalog *cat = p->req->catalog;
    if (!cat) return;
    for (int i = 0; i < p->n; i++) {
        struct bc__nlu_tok *t = &p->t[i];
        if (t->kind != NT_WORD) continue;
        for (size_t k = 0; k < cat->nv && !(t->flags & NF_CATWORD); k++)
            for (int w = 0; w < cat->v[k].nw; w++)
                if (word_eq(p->fold + t->fo, t->fl, cat->pool + cat->v[k].off[w], cat->v[k].len[w])) {
                    t->flags |= NF_CATWORD;
                    break;
                }
    }
}

/* Whether token i is written with a capital inside a sentence ("el martes con Domingo") in languages that
 * write weekdays and months in lower case: there a capital marks a name. */
static bool capital_inside(const struct bc__nlu_p *p, int i)
{
    const struct bc__nlu_tok *t = &p->t[i];
    if (!(t->flags & NF_UPPER) || i == 0) return false;
    if (t->wid >= 0)
        for (int l = 0; l < p->v->n_langs; l++)
            if ((p->v->word_lang[t->wid] & (1u << l)) && p->v->langs[l]->capitalizes_dates) return false;
    const struct bc__nlu_tok *prev = &p->t[i - 1];
    return prev->kind != NT_PUNCT || !prev->punct || !strchr(".!?~", prev->punct);
}

void bc__nlu_match_cued(struct bc__nlu_p *p)
{
    const struct bc_nlu_catalog *cat = p->req->catalog;
    if (!cat) return;
    bool expect = p->req->expect == BC_NLU_EXPECT_PROVIDER;
    for (int i = 0; i < p->n; i++) {
        struct bc__nlu_tok *t = &p->t[i];
        if (!(t->flags & NF_CATWORD) || (t->flags & NF_USED)) continue;
        bool with = i > 0 && bc__nlu_lx(p, i - 1, NC_WITH, NULL, NULL);
        if (!with && !expect && !capital_inside(p, i)) continue;
        for (size_t k = 0; k < cat->nv; k++) {
            const struct cat_variant *var = &cat->v[k];
            if (cat->e[var->entry].kind != BC_NLU_PROVIDER) continue;
            if (word_eq(p->fold + t->fo, t->fl, cat->pool + var->off[0], var->len[0])) {
                t->flags |= NF_CUED;
                break;
            }
        }
    }
}

/* How well message token t stands for catalog word w (0 … 1). */
static double similarity(const struct bc__nlu_p *p, const struct bc__nlu_tok *t, const char *w, size_t wl,
                         bool guarded, int kind)
{
    const char *s = p->fold + t->fo;
    size_t sl = t->fl;
    if (sl >= 3 && s[sl - 2] == '\'' && s[sl - 1] == 's') sl -= 2; /* "John's" */
    if (word_eq(s, sl, w, wl)) return 1.0;
    if (guarded || t->kind != NT_WORD) return 0;
    if ((sl == wl + 1 && s[wl] == 's') || (sl == wl + 2 && s[wl] == 'e' && s[wl + 1] == 's')) {
        if (memcmp(s, w, wl) == 0) return 0.95; /* plural */
    }
    /* a word the NLU knows is never a typo of a name */
    if (t->wid >= 0 && !(t->flags & NF_FUZZY)) return 0;
    if (wl >= 4 && sl >= 4 && s[0] == w[0]) { /* names keep their initial: "cara" is not "Sara" */
        int budget = bc__nlu_budget(wl < sl ? wl : sl);
        int d = bc__nlu_distance(s, sl, w, wl, budget);
        if (d <= budget) return d <= 1 ? 0.8 : 0.65;
    }
    if (kind == BC_NLU_SERVICE && sl >= 5 && wl >= 4) { /* light stem: "cortar" ~ "corte" */
        size_t c = 0;
        while (c < sl && c < wl && s[c] == w[c]) c++;
        if (c >= 4 && sl - c <= 2 && wl - c <= 2) return 0.7;
    }
    return 0;
}

/* Number of meaningful words in the message (not function words, not greetings), dates included. */
static int content_words(const struct bc__nlu_p *p)
{
    int n = 0;
    for (int i = 0; i < p->n; i++) {
        const struct bc__nlu_tok *t = &p->t[i];
        if (t->kind != NT_WORD || (t->flags & NF_SKIP)) continue;
        int v;
        if (bc__nlu_lx(p, i, NC_STOP, &v, NULL) && v == 0) continue;
        if (bc__nlu_lx(p, i, NC_INTENT, &v, NULL) && (v == BC_NLU_GREETING || v == BC_NLU_THANKS)) continue;
        n++;
    }
    return n;
}

static double variant_score(struct bc__nlu_p *p, const struct bc_nlu_catalog *cat,
                            const struct cat_variant *var, int kind, int *content)
{
    double sum = 0;
    int matched = 0;
    for (int w = 0; w < var->nw; w++) {
        double bw = 0;
        for (int i = 0; i < p->n; i++) {
            const struct bc__nlu_tok *t = &p->t[i];
            if (!tok_eligible(t) && !(t->flags & NF_CUED)) continue;
            if (var->accented[w] && !(t->flags & NF_ACCENT)) continue;
            double s = similarity(p, t, cat->pool + var->off[w], var->len[w],
                                  var->guarded[w] || var->accented[w], kind);
            if (s > 0 && var->guarded[w]) {
                /* a common word as a name: only after "con"/"with", or as the whole message */
                bool cued = (t->flags & NF_CUED) || (i > 0 && bc__nlu_lx(p, i - 1, NC_WITH, NULL, NULL));
                if (!cued) {
                    if (*content < 0) *content = content_words(p);
                    if (*content > var->nw) s = 0;
                }
            }
            if (s > bw) bw = s;
        }
        if (bw > 0) matched++;
        sum += bw;
    }
    return matched ? sum / var->nw : 0;
}

/* Variants of one entry are contiguous (added together), so entries are scored in one pass. */
static void match_kind(struct bc__nlu_p *p, int kind, const char **id, const char **cands, int *n_cands)
{
    const struct bc_nlu_catalog *cat = p->req->catalog;
    double top = 0.3 - 1e-9; /* below this, nothing matches */
    int n = 0, content = -1;
    for (size_t k = 0; k < cat->nv;) {
        int entry = cat->v[k].entry;
        double best = 0;
        for (; k < cat->nv && cat->v[k].entry == entry; k++) {
            if (cat->e[entry].kind != kind) continue;
            double s = variant_score(p, cat, &cat->v[k], kind, &content);
            if (s > best) best = s;
        }
        if (best > top + 1e-9) {
            top = best;
            n = 0;
        }
        if (best >= top - 1e-9 && best > 0 && n < BC_NLU_MAX_CANDIDATES) cands[n++] = cat->e[entry].id;
    }
    *n_cands = n;
    if (n == 1) *id = cands[0];
}

void bc__nlu_match(struct bc__nlu_p *p)
{
    const struct bc_nlu_catalog *cat = p->req->catalog;
    if (!cat || !cat->nv) return;
    struct bc_nlu_result *out = p->out;
    match_kind(p, BC_NLU_SERVICE, &out->service_id, out->service_candidates, &out->n_service_candidates);
    match_kind(p, BC_NLU_PROVIDER, &out->provider_id, out->provider_candidates, &out->n_provider_candidates);
}
