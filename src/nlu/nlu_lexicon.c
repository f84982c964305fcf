/* The NLU's vocabulary: the language tables (nlu_lang_<code>.c) folded, tokenized and indexed once per
 * process: a hash from folded word to word id, the phrases starting with each word, and the words that a
 * typo may stand for (bucketed by initial). Read-only once built; built under pthread_once. */
#include "nlu/nlu_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Every language the NLU understands, in the order of their bits in word_lang / phrase.lang. */
static const struct bc__nlu_lang *const langs[] = {&bc__nlu_lang_es, &bc__nlu_lang_en};
#define N_LANGS ((int)(sizeof langs / sizeof langs[0]))

static struct bc__nlu_vocab vocab;
static bool vocab_ok;
static pthread_once_t vocab_once = PTHREAD_ONCE_INIT;

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

int bc__nlu_vocab_find(const struct bc__nlu_vocab *v, const char *s, size_t n)
{
    if (n == 0 || n > 255) return -1;
    for (uint32_t h = hash_bytes(s, n) & v->hash_mask;; h = (h + 1) & v->hash_mask) {
        int32_t w = v->hash[h];
        if (w < 0) return -1;
        if (v->word_len[w] == n && memcmp(v->word[w], s, n) == 0) return w;
    }
}

/* Inserts a word (copied) and returns its id; -1 when out of memory or the table is full. */
static int vocab_add(struct bc__nlu_vocab *v, const char *s, size_t n, int cap)
{
    int w = bc__nlu_vocab_find(v, s, n);
    if (w >= 0) return w;
    if (v->n_words >= cap) return -1;
    char *copy = malloc(n + 1);
    if (!copy) return -1;
    memcpy(copy, s, n);
    copy[n] = 0;
    w = v->n_words++;
    v->word[w] = copy;
    v->word_len[w] = (uint8_t)n;
    uint32_t h = hash_bytes(s, n) & v->hash_mask;
    while (v->hash[h] >= 0) h = (h + 1) & v->hash_mask;
    v->hash[h] = w;
    return w;
}

static int by_initial(const void *a, const void *b)
{
    const struct bc__nlu_vocab *v = &vocab;
    int x = *(const int32_t *)a, y = *(const int32_t *)b;
    int d = (uint8_t)v->word[x][0] - (uint8_t)v->word[y][0];
    return d ? d : x - y;
}

static void build(void)
{
    struct bc__nlu_vocab *v = &vocab;
    int rows = 0;
    for (int l = 0; l < N_LANGS; l++) rows += (int)langs[l]->n_words;
    int cap = rows * NLU_MAX_WORDS + 1;
    uint32_t hsize = 1;
    while (hsize < (uint32_t)cap * 2) hsize <<= 1;
    v->word = calloc((size_t)cap, sizeof *v->word);
    v->word_len = calloc((size_t)cap, 1);
    v->word_lang = calloc((size_t)cap, 1);
    v->word_cats = calloc((size_t)cap, sizeof *v->word_cats);
    v->word_in = calloc((size_t)cap, sizeof *v->word_in);
    v->first = calloc((size_t)cap + 1, sizeof *v->first);
    v->phrase = calloc((size_t)rows, sizeof *v->phrase);
    v->phrase_by_word = calloc((size_t)rows, sizeof *v->phrase_by_word);
    v->hash = malloc(hsize * sizeof *v->hash);
    v->fuzzy = calloc((size_t)cap, sizeof *v->fuzzy);
    if (!v->word || !v->word_len || !v->word_lang || !v->word_cats || !v->word_in || !v->first ||
        !v->phrase || !v->phrase_by_word || !v->hash || !v->fuzzy)
        return;
    memset(v->hash, 0xff, hsize * sizeof *v->hash);
    v->hash_mask = hsize - 1;
    v->langs = langs;
    v->n_langs = N_LANGS;

    struct bc__nlu_tok toks[NLU_MAX_WORDS + 1];
    char fold[256];
    for (int l = 0; l < N_LANGS; l++) {
        for (size_t r = 0; r < langs[l]->n_words; r++) {
            const struct bc__nlu_word *row = &langs[l]->words[r];
            size_t fl;
            int nt = bc__nlu_tokenize(row->text, strlen(row->text), toks, NLU_MAX_WORDS + 1, fold,
                                      sizeof fold, &fl);
            bool ok = nt > 0 && nt <= NLU_MAX_WORDS;
            for (int i = 0; ok && i < nt; i++) ok = toks[i].kind == NT_WORD;
            if (!ok) {
                v->bad_phrases++;
                continue;
            }
            struct bc__nlu_phrase *ph = &v->phrase[v->n_phrases];
            ph->nw = (uint8_t)nt;
            ph->cat = row->cat;
            ph->aux = row->aux;
            ph->value = row->value;
            ph->lang = (uint8_t)(1u << l);
            for (int i = 0; i < nt; i++) {
                int w = vocab_add(v, fold + toks[i].fo, toks[i].fl, cap);
                if (w < 0) return;
                ph->w[i] = w;
                v->word_lang[w] |= ph->lang;
                v->word_in[w] |= 1ull << ph->cat;
            }
            v->word_cats[ph->w[0]] |= 1ull << ph->cat;
            v->n_phrases++;
        }
    }
    /* phrases by first word, then by category (counting sort; table order is kept within a category) */
    for (int p = 0; p < v->n_phrases; p++) v->first[v->phrase[p].w[0] + 1]++;
    for (int w = 0; w < v->n_words; w++) v->first[w + 1] += v->first[w];
    uint32_t *fill = calloc((size_t)v->n_words + 1, sizeof *fill);
    if (!fill) return;
    for (int c = 0; c < NC__COUNT; c++)
        for (int p = 0; p < v->n_phrases; p++) {
            if (v->phrase[p].cat != c) continue;
            int w = v->phrase[p].w[0];
            v->phrase_by_word[v->first[w] + fill[w]++] = p;
        }
    free(fill);
    /* fuzzy targets: words of five letters or more that mean something (never stop words) */
    int nf = 0;
    for (int w = 0; w < v->n_words; w++) {
        uint64_t cats = v->word_in[w];
        /* words of dialog phrases only ("costo", "hola") are too short to guess from a typo below 7 letters
         */
        size_t min = (cats & ~((1ull << NC_INTENT) | (1ull << NC_SLOT_WORD) | (1ull << NC_ANY))) ? 5 : 7;
        /* words only of named days ("reyes", "ramos", "valentín") are names too: never guessed from a typo */
        if (cats == (1ull << NC_NAMED_DAY)) continue;
        if (v->word_len[w] >= min && (cats & ~(1ull << NC_STOP)) != 0 && !(cats & (1ull << NC_STOP)))
            v->fuzzy[nf++] = w;
    }
    qsort(v->fuzzy, (size_t)nf, sizeof *v->fuzzy, by_initial);
    for (int c = 0, k = 0; c <= 256; c++) {
        while (k < nf && (uint8_t)v->word[v->fuzzy[k]][0] < c) k++;
        v->fuzzy_at[c] = (uint32_t)k;
    }
    vocab_ok = true;
}

const struct bc__nlu_vocab *bc__nlu_vocab(void)
{
    pthread_once(&vocab_once, build);
    return vocab_ok ? &vocab : NULL;
}

int bc__nlu_vocab_fuzzy(const struct bc__nlu_vocab *v, const char *s, size_t n)
{
    if (n < 4 || n >= 32) return -1;
    /* the initial must match, up to letters that sound alike (b/v, c/s/z/k/q, g/j, i/y) */
    char initials[28];
    int ni = 0;
    initials[ni++] = s[0];
    for (char c = 'a'; c <= 'z'; c++)
        if (c != s[0] && bc__nlu_same_initial(c, s[0])) initials[ni++] = c;
    int best = -1, best_d = 99;
    for (int ii = 0; ii < ni; ii++) {
        uint8_t c = (uint8_t)initials[ii];
        for (uint32_t k = v->fuzzy_at[c]; k < v->fuzzy_at[c + 1]; k++) {
            int w = v->fuzzy[k];
            size_t wl = v->word_len[w];
            int budget = bc__nlu_budget(wl);
            int ld = (int)wl - (int)n;
            if (ld > budget || -ld > budget) continue;
            int d = bc__nlu_distance(s, n, v->word[w], wl, budget < best_d - 1 ? budget : best_d - 1);
            if (d <= budget && d < best_d) {
                best = w;
                best_d = d;
            }
        }
    }
    return best;
}

bool bc__nlu_vocab_is_common(const struct bc__nlu_vocab *v, const char *s, size_t n)
{
    int w = bc__nlu_vocab_find(v, s, n);
    return w >= 0 && (v->word_in[w] & ~(1ull << NC_NAMED_DAY)) != 0;
}

static bool tok_wid_is(const struct bc__nlu_p *p, int i, int w)
{
    return i < p->n && p->t[i].kind == NT_WORD && p->t[i].wid == w;
}

int bc__nlu_lx(const struct bc__nlu_p *p, int i, int cat, int *value, int *aux)
{
    if (i < 0 || i >= p->n || p->t[i].wid < 0) return 0;
    const struct bc__nlu_vocab *v = p->v;
    int w = p->t[i].wid;
    if (!(v->word_cats[w] & (1ull << cat))) return 0;
    int best = 0;
    for (uint32_t k = v->first[w]; k < v->first[w + 1]; k++) {
        const struct bc__nlu_phrase *ph = &v->phrase[v->phrase_by_word[k]];
        if (ph->cat != cat) {
            if (ph->cat > cat) break;
            continue;
        }
        if (ph->nw <= best) continue;
        int j = 1;
        while (j < ph->nw && tok_wid_is(p, i + j, ph->w[j])) j++;
        if (j < ph->nw) continue;
        best = ph->nw;
        if (value) *value = ph->value;
        if (aux) *aux = ph->aux;
    }
    return best;
}

bool bc__nlu_is(const struct bc__nlu_p *p, int i, const char *w)
{
    if (i < 0 || i >= p->n || p->t[i].kind != NT_WORD) return false;
    size_t n = strlen(w);
    return p->t[i].fl == n && memcmp(p->fold + p->t[i].fo, w, n) == 0;
}
