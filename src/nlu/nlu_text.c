/* Text handling of the NLU: UTF-8 decoding (invalid bytes become spaces), folding to lower case without
 * accents (ICU NFKD + removing combining marks, per code point: thread-safe and allocation-free),
 * tokenizing, and the edit distance used for typos. */
#include "nlu/nlu_internal.h"

#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

/* Folds one code point into out (room for 32 bytes); returns the bytes written (0: dropped). */
static int fold_cp(const UNormalizer2 *nfkd, UChar32 c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        return 1;
    }
    UChar buf[8];
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = nfkd ? unorm2_getDecomposition(nfkd, c, buf, 8, &err) : -1;
    int k = 0;
    if (n < 0 || U_FAILURE(err)) {
        UChar32 lc = u_tolower(c);
        U8_APPEND_UNSAFE((uint8_t *)out, k, lc);
        return k;
    }
    for (int32_t i = 0; i < n;) {
        UChar32 d;
        U16_NEXT(buf, i, n, d);
        if (u_getCombiningClass(d) != 0 || u_charType(d) == U_NON_SPACING_MARK) continue;
        d = u_tolower(d);
        if (k + 4 > 32) break;
        U8_APPEND_UNSAFE((uint8_t *)out, k, d);
    }
    return k;
}

enum { CL_SPACE, CL_LETTER, CL_MARK, CL_DIGIT, CL_APOS, CL_PUNCT };

static int classify(UChar32 c)
{
    if (c < 0) return CL_SPACE;
    if (c < 0x80) {
        if (c == ' ' || (c >= 9 && c <= 13) || c == 0) return CL_SPACE;
        if ((c | 32) >= 'a' && (c | 32) <= 'z') return CL_LETTER;
        if (c >= '0' && c <= '9') return CL_DIGIT;
        if (c == '\'') return CL_APOS;
        if (c < 32 || c == 127) return CL_SPACE;
        return CL_PUNCT;
    }
    if (c == 0x2019 || c == 0x00B4) return CL_APOS;
    if (u_isUWhiteSpace(c) || u_iscntrl(c)) return CL_SPACE;
    int8_t t = u_charType(c);
    if (t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK || t == U_ENCLOSING_MARK) return CL_MARK;
    if (u_isdigit(c)) return CL_DIGIT;
    if (u_isalpha(c)) return CL_LETTER;
    if (t == U_FORMAT_CHAR) return CL_SPACE; /* zero-width joiners and friends */
    return CL_PUNCT;
}

static const UNormalizer2 *nfkd_instance(void)
{
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *n = unorm2_getNFKDInstance(&err);
    return U_FAILURE(err) ? NULL : n;
}

int bc__nlu_tokenize(const char *text, size_t len, struct bc__nlu_tok *toks, int max, char *fold,
                     size_t fold_cap, size_t *fold_len)
{
    const UNormalizer2 *nfkd = nfkd_instance();
    const uint8_t *s = (const uint8_t *)text;
    if (len > BC_NLU_MAX_TEXT) len = BC_NLU_MAX_TEXT;
    int32_t n = (int32_t)len, i = 0;
    int nt = 0;
    size_t fl = 0;
    bool space = true;
    struct bc__nlu_tok *cur = NULL; /* the word or number being extended */
    while (i < n && nt < max) {
        int32_t start = i;
        UChar32 c;
        U8_NEXT(s, i, n, c);
        int cl = classify(c);
        if (cl == CL_APOS) {
            /* inside a word when a letter follows: "o'clock", "I'm" */
            int32_t j = i;
            UChar32 c2 = -1;
            if (j < n) U8_NEXT(s, j, n, c2);
            if (cur && cur->kind == NT_WORD && classify(c2) == CL_LETTER && fl + 1 < fold_cap) {
                fold[fl++] = '\'';
                cur->fl++;
                cur->e = (uint16_t)i;
                continue;
            }
            cl = CL_PUNCT;
        }
        if (cl == CL_SPACE) {
            cur = NULL;
            space = true;
            continue;
        }
        if (cl == CL_MARK) {
            if (cur && cur->kind == NT_WORD) cur->e = (uint16_t)i; /* a combining accent: dropped */
            continue;
        }
        char buf[32];
        int k;
        int kind = cl == CL_LETTER ? NT_WORD : cl == CL_DIGIT ? NT_NUM : NT_PUNCT;
        if (kind == NT_NUM) {
            int dv = c < 0x80 ? c - '0' : u_charDigitValue(c);
            if (dv < 0 || dv > 9) dv = 0;
            buf[0] = (char)('0' + dv);
            k = 1;
        } else if (kind == NT_WORD) {
            k = fold_cp(nfkd, c, buf);
        } else {
            buf[0] = c < 0x80 ? (char)c : '~';
            k = 1;
        }
        if (fl + (size_t)k >= fold_cap) break;
        if (!cur || cur->kind != kind || kind == NT_PUNCT) {
            cur = &toks[nt++];
            memset(cur, 0, sizeof *cur);
            cur->b = (uint16_t)start;
            cur->fo = (uint16_t)fl;
            cur->kind = (uint8_t)kind;
            cur->wid = -1;
            cur->flags = space ? NF_SPACE : 0;
            if (kind == NT_WORD) cur->flags |= u_isupper(c) || u_istitle(c) ? NF_UPPER : NF_LOWER;
            if (kind == NT_PUNCT) cur->punct = buf[0];
            space = false;
        } else if (kind == NT_WORD && (u_isupper(c) || u_istitle(c))) {
            cur->flags &= (uint8_t)~NF_LOWER;
        }
        if (kind == NT_WORD && c >= 0x80) cur->flags |= NF_ACCENT;
        memcpy(fold + fl, buf, (size_t)k);
        fl += (size_t)k;
        cur->fl = (uint16_t)(cur->fl + k);
        cur->e = (uint16_t)i;
        if (kind == NT_NUM) {
            if (cur->ndig < 255) cur->ndig++;
            if (cur->num < 100000000)
                cur->num = cur->num * 10 + (buf[0] - '0');
            else
                cur->num = 999999999;
        }
        if (kind == NT_PUNCT) cur = NULL;
    }
    if (fold_len) *fold_len = fl;
    return nt;
}

int bc__nlu_distance(const char *a, size_t na, const char *b, size_t nb, int max)
{
    enum { M = 32 };
    if (na >= M || nb >= M) return max + 1;
    int diff = (int)na - (int)nb;
    if (diff < 0) diff = -diff;
    if (diff > max) return max + 1;
    int row[3][M + 1]; /* two rows back for transpositions */
    for (size_t j = 0; j <= nb; j++) row[0][j] = (int)j;
    int *pp = NULL, *prev = row[0], *cur = row[1];
    for (size_t i = 1; i <= na; i++) {
        cur[0] = (int)i;
        int best = cur[0];
        for (size_t j = 1; j <= nb; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (pp && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
            if (v < best) best = v;
        }
        if (best > max) return max + 1;
        int *t = pp ? pp : row[2];
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb] > max ? max + 1 : prev[nb];
}

int bc__nlu_budget(size_t n)
{
    return n <= 3 ? 0 : n <= 7 ? 1 : 2;
}

static int initial_class(char c)
{
    switch (c) {
    case 'v':
        return 'b';
    case 's':
    case 'z':
    case 'k':
    case 'q':
        return 'c';
    case 'j':
        return 'g';
    case 'y':
        return 'i';
    default:
        return (unsigned char)c;
    }
}

bool bc__nlu_same_initial(char a, char b)
{
    return initial_class(a) == initial_class(b);
}
