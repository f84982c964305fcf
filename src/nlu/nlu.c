/* One parse of the NLU: tokens and their vocabulary words (exact, then within a typo budget), e-mail,
 * phone and booking code from the raw text, a person's name, dates and times (nlu_date.c), the catalog
 * (nlu_match.c), then intents and the primary intent. Everything lives in one stack frame. */
#include "nlu/nlu.h"
#include "nlu/nlu_internal.h"
#include "util/err.h"

#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

static const char *const intent_names[] = {
#define XX(name, str) str,
    BC_NLU_INTENT_MAP(XX)
#undef XX
};

const char *bc_nlu_intent_name(enum bc_nlu_intent intent)
{
    return (unsigned)intent < BC_NLU__INTENT_COUNT ? intent_names[intent] : "unknown";
}

int bc_nlu_intent_from_name(const char *name)
{
    for (int i = 0; name && i < BC_NLU__INTENT_COUNT; i++)
        if (strcmp(name, intent_names[i]) == 0) return i;
    return -1;
}

const char *bc_nlu_part_name(enum bc_nlu_part part)
{
    static const char *const names[] = {"", "morning", "afternoon", "evening"};
    return (unsigned)part < 4 ? names[part] : "";
}

const char *bc_nlu_qualifier_name(enum bc_nlu_qualifier q)
{
    static const char *const names[] = {"exact", "around", "after", "before", "range"};
    return (unsigned)q < 5 ? names[q] : "exact";
}

const char *bc_nlu_slot_name(enum bc_nlu_slot slot)
{
    static const char *const names[] = {"", "service", "provider", "date", "time", "name", "contact"};
    return (unsigned)slot < 7 ? names[slot] : "";
}

/* The language table a tag names ("es", "en-GB"), or -1. */
static int lang_index(const struct bc__nlu_vocab *v, const char *tag)
{
    if (!tag || !v) return -1;
    for (int l = 0; l < v->n_langs; l++) {
        size_t n = strlen(v->langs[l]->code);
        if (strncmp(tag, v->langs[l]->code, n) == 0 && (tag[n] == 0 || tag[n] == '-' || tag[n] == '_'))
            return l;
    }
    return -1;
}

bool bc_nlu_lang_supported(const char *tag)
{
    return lang_index(bc__nlu_vocab(), tag) >= 0;
}

/* ---- small helpers ---- */

static int lx(const struct bc__nlu_p *p, int i, int cat)
{
    return bc__nlu_lx(p, i, cat, NULL, NULL);
}

static void use_bytes(struct bc__nlu_p *p, size_t b, size_t e)
{
    for (int i = 0; i < p->n; i++)
        if (p->t[i].b < e && p->t[i].e > b) p->t[i].flags |= NF_USED;
}

static bool is_alnum_ascii(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* ---- e-mail ---- */

static bool email_local_char(unsigned char c)
{
    return is_alnum_ascii(c) || (c && strchr("._%+-", c) != NULL);
}

static bool email_domain_char(unsigned char c)
{
    return is_alnum_ascii(c) || c == '.' || c == '-';
}

static void find_email(struct bc__nlu_p *p)
{
    const char *s = p->text;
    size_t n = p->len;
    for (size_t a = 1; a + 1 < n; a++) {
        if (s[a] != '@') continue;
        size_t l = a, r = a + 1;
        while (l > 0 && a - l < 64 && email_local_char((unsigned char)s[l - 1])) l--;
        while (r < n && r - a < 254 && email_domain_char((unsigned char)s[r])) r++;
        while (r > a + 1 && (s[r - 1] == '.' || s[r - 1] == '-')) r--;
        while (l < a && s[l] == '.') l++;
        if (l == a || s[a - 1] == '.' || r <= a + 1) continue;
        /* domain: labels separated by dots, a final label of two letters or more */
        bool ok = true;
        size_t last_dot = 0;
        for (size_t i = a + 1; i < r && ok; i++) {
            if (s[i] == '.') {
                if (s[i - 1] == '.' || s[i - 1] == '@' || s[i - 1] == '-') ok = false;
                last_dot = i;
            } else if (s[i] == '-' && (s[i - 1] == '.' || s[i - 1] == '@')) {
                ok = false;
            }
        }
        for (size_t i = l; i + 1 < a && ok; i++)
            if (s[i] == '.' && s[i + 1] == '.') ok = false;
        if (!ok || !last_dot || r - last_dot - 1 < 2) continue;
        for (size_t i = last_dot + 1; i < r && ok; i++) ok = (s[i] | 32) >= 'a' && (s[i] | 32) <= 'z';
        if (!ok || r - l >= sizeof p->out->email) continue;
        for (size_t i = l; i < r; i++) p->out->email[i - l] = lower(s[i]);
        p->out->email[r - l] = 0;
        use_bytes(p, l, r);
        return;
    }
}

/* ---- phone ---- */

static bool phone_sep(char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

static void find_phone(struct bc__nlu_p *p)
{
    const char *s = p->text;
    size_t n = p->len;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool starts = (c >= '0' && c <= '9') ||
                      (c == '+' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') ||
                      (c == '(' && i + 1 < n && ((s[i + 1] >= '0' && s[i + 1] <= '9') || s[i + 1] == '+'));
        if (!starts || (i > 0 && (is_alnum_ascii((unsigned char)s[i - 1]) || s[i - 1] == '@' ||
                                  s[i - 1] == '.' || s[i - 1] == '/' || s[i - 1] == ':' || s[i - 1] == '-')))
            continue;
        char digits[24];
        int nd = 0, seps = 0, first_group = 0;
        bool plus = false, too_long = false, space_after_first = false, groups_started = false;
        size_t j = i, last = i;
        if (s[j] == '(') j++;
        if (s[j] == '+') {
            plus = true;
            j++;
        }
        for (; j < n; j++) {
            char d = s[j];
            if (d >= '0' && d <= '9') {
                if (nd < 20)
                    digits[nd++] = d;
                else
                    too_long = true;
                last = j;
                seps = 0;
                if (!groups_started) first_group++;
            } else if (phone_sep(d) && seps < 2) {
                if (!groups_started && d == ' ') space_after_first = true;
                groups_started = true;
                seps++;
            } else {
                break;
            }
        }
        size_t end = last + 1;
        /* not a phone: a time or a date goes on ("10:30", "15/12"), letters glued ("K7M2QX") */
        if (end < n && (s[end] == ':' || s[end] == '/' || is_alnum_ascii((unsigned char)s[end]))) {
            i = end;
            continue;
        }
        int skip = 0;
        if (!plus && nd >= 2 && digits[0] == '0' && digits[1] == '0') { /* 0034 … */
            plus = true;
            skip = 2;
        }
        /* "a las 5 612 345 678": a short first group before a nine-digit number is not part of it */
        if (!plus && space_after_first && first_group <= 2 && nd - first_group >= 9) skip = first_group;
        int count = nd - skip;
        if (too_long || count < (plus ? 8 : 9) || count > 15) {
            i = end;
            continue;
        }
        char *o = p->out->phone;
        int k = 0;
        if (plus) o[k++] = '+';
        for (int d = skip; d < nd; d++) o[k++] = digits[d];
        o[k] = 0;
        use_bytes(p, i, end);
        return;
    }
}

/* ---- booking code ---- */

static bool code_intro_before(const struct bc__nlu_p *p, int first)
{
    for (int k = first - 1; k >= 0 && k >= first - 4; k--) {
        int n = lx(p, k, NC_CODE_INTRO);
        if (n && k + n <= first) return true;
    }
    return false;
}

static void find_code(struct bc__nlu_p *p, const struct bc_nlu_code_format *f)
{
    const char *s = p->text;
    size_t n = p->len;
    int cursor = 0; /* tokens are in text order: the first one that may overlap the current run */
    for (size_t i = 0; i < n;) {
        if (!is_alnum_ascii((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && is_alnum_ascii((unsigned char)s[j])) j++;
        size_t len = j - i;
        bool bounded = (i == 0 || (unsigned char)s[i - 1] < 0x80) && (j == n || (unsigned char)s[j] < 0x80);
        if (bounded && len >= (size_t)f->min_len && len <= (size_t)f->max_len && len < sizeof p->out->code) {
            int digits = 0, letters = 0, uppers = 0;
            for (size_t k = i; k < j; k++) {
                if (s[k] >= '0' && s[k] <= '9')
                    digits++;
                else {
                    letters++;
                    if (s[k] >= 'A' && s[k] <= 'Z') uppers++;
                }
            }
            int first = -1;
            bool used = false;
            while (cursor < p->n && p->t[cursor].e <= i) cursor++;
            for (int t = cursor; t < p->n && p->t[t].b < j; t++)
                if (p->t[t].e > i) {
                    if (first < 0) first = t;
                    if (p->t[t].flags & NF_USED) used = true;
                }
            bool intro = first >= 0 && code_intro_before(p, first);
            bool expect = p->req->expect == BC_NLU_EXPECT_CODE;
            bool caps = uppers == letters;
            bool ok = !used && (caps || intro || expect) && (digits || !f->require_digit || intro) &&
                      (letters || intro || expect);
            /* a lower-case word without digits is a word, not a code */
            if (ok && !digits && !caps && !intro) ok = false;
            if (ok && digits && letters == 0 && !intro) ok = false;
            if (ok) {
                for (size_t k = i; k < j; k++)
                    p->out->code[k - i] = (s[k] >= 'a' && s[k] <= 'z') ? s[k] - 32 : s[k];
                p->out->code[len] = 0;
                use_bytes(p, i, j);
                return;
            }
        }
        i = j;
    }
}

/* ---- a person's name ---- */

static bool is_particle(const struct bc__nlu_p *p, int i)
{
    static const char *const particles[] = {"de", "del", "la", "las", "los", "van", "von", "da",  "das",
                                            "do", "dos", "di", "du",  "le",  "der", "den", "mac", "y"};
    for (size_t k = 0; k < sizeof particles / sizeof particles[0]; k++)
        if (bc__nlu_is(p, i, particles[k])) return true;
    return false;
}

/* -1 none, 0 function word, 1 noun that is also a name */
static int stop_value(const struct bc__nlu_p *p, int i)
{
    int best = -1;
    const struct bc__nlu_vocab *vo = p->v;
    int w = p->t[i].wid;
    if (w < 0 || (p->t[i].flags & NF_FUZZY)) return -1;
    for (uint32_t k = vo->first[w]; k < vo->first[w + 1]; k++) {
        const struct bc__nlu_phrase *ph = &vo->phrase[vo->phrase_by_word[k]];
        if (ph->cat == NC_STOP && ph->nw == 1 && ph->value > best) best = ph->value;
    }
    return best;
}

/* Whether token i, a word, may be part of a name. */
static bool name_word(const struct bc__nlu_p *p, int i, bool first, bool lenient)
{
    const struct bc__nlu_tok *t = &p->t[i];
    if (t->kind != NT_WORD || (t->flags & NF_USED)) return false;
    if (t->fl < 2 && !(t->flags & NF_UPPER)) return false;
    /* words only of named days ("Reyes", "Valentín", "Ramos") are names as well */
    bool known =
        t->wid >= 0 && !(t->flags & NF_FUZZY) && (p->v->word_in[t->wid] & ~(1ull << NC_NAMED_DAY)) != 0;
    int sv = stop_value(p, i);
    if (sv == 1) return true;
    if (!known) return first ? (lenient || (t->flags & NF_UPPER)) : true;
    /* a known word: only when written with a capital, and never a function word or a dialog word */
    if (sv == 0 || lx(p, i, NC_INTENT) || lx(p, i, NC_NAME_INTRO)) return false;
    return (t->flags & NF_UPPER) != 0;
}

/* The name starting at token i; returns the number of tokens (0: none). */
static int take_name(struct bc__nlu_p *p, int i, bool lenient)
{
    if (i >= p->n || !name_word(p, i, true, lenient)) return 0;
    int last = i, words = 1, j = i + 1;
    while (j < p->n && words < 5) {
        /* "Jean-Luc", "O'Neill" arrive as glued tokens */
        if (p->t[j].kind == NT_PUNCT && p->t[j].punct == '-' && !(p->t[j].flags & NF_SPACE) && j + 1 < p->n &&
            !(p->t[j + 1].flags & NF_SPACE) && p->t[j + 1].kind == NT_WORD) {
            last = j + 1;
            j += 2;
            continue;
        }
        /* particles inside a name: "María de la Cruz", "Juan van der Berg" */
        bool lower_name = !(p->t[i].flags & NF_UPPER);
        if (is_particle(p, j) && !bc__nlu_is(p, j, "y") && !(p->t[j].flags & NF_UPPER)) {
            int k = j + 1;
            if (is_particle(p, k) && !bc__nlu_is(p, k, "y")) k++;
            if (k < p->n && p->t[k].kind == NT_WORD && ((p->t[k].flags & NF_UPPER) || lower_name) &&
                !is_particle(p, k) && name_word(p, k, false, false)) {
                last = k;
                words++;
                j = k + 1;
                continue;
            }
            break;
        }
        if (is_particle(p, j) || !name_word(p, j, false, false)) break;
        /* a lower-case unknown word after a name is a name only when the name was typed in lower case too */
        if (!(p->t[j].flags & NF_UPPER) && (p->t[i].flags & NF_UPPER)) break;
        last = j;
        words++;
        j++;
    }
    /* copy the original text, title-cased when typed all in lower case */
    bool all_lower = true;
    for (int k = i; k <= last; k++)
        if (p->t[k].kind == NT_WORD && !(p->t[k].flags & NF_LOWER)) all_lower = false;
    const uint8_t *s = (const uint8_t *)p->text;
    int32_t o = 0, cap = (int32_t)sizeof p->out->name - 1;
    uint8_t *out = (uint8_t *)p->out->name;
    for (int k = i; k <= last; k++) {
        int32_t b = k == i ? p->t[k].b : p->t[k - 1].e, e = p->t[k].e;
        bool cap_first = all_lower && p->t[k].kind == NT_WORD && !is_particle(p, k);
        while (b < e) {
            bool at_token = b >= p->t[k].b;
            UChar32 c;
            U8_NEXT(s, b, e, c);
            if (c < 0) c = ' ';
            if (at_token && cap_first && u_isalpha(c)) {
                c = u_toupper(c);
                cap_first = false;
            }
            if (o + U8_LENGTH(c) > cap) break;
            U8_APPEND_UNSAFE(out, o, c);
        }
    }
    out[o] = 0;
    for (int k = i; k <= last; k++) p->t[k].flags |= NF_USED;
    return last - i + 1;
}

static void find_name(struct bc__nlu_p *p)
{
    for (int i = 0; i < p->n; i++) {
        int v, k = bc__nlu_lx(p, i, NC_NAME_INTRO, &v, NULL);
        if (!k || (p->t[i].flags & NF_USED)) continue;
        int j = i + k;
        while (j < p->n && p->t[j].kind == NT_PUNCT && (p->t[j].punct == ':' || p->t[j].punct == ',')) j++;
        if (bc__nlu_is(p, j, "es") || bc__nlu_is(p, j, "is")) j++;
        bool strong = v == 1;
        /* a weak intro ("soy", "I'm") takes a lower-case word only when it ends the phrase */
        bool lenient = strong;
        if (!strong && j < p->n && (p->t[j].flags & NF_LOWER)) {
            bool ends = j + 1 >= p->n || p->t[j + 1].kind == NT_PUNCT || bc__nlu_is(p, j + 1, "y") ||
                        bc__nlu_is(p, j + 1, "and");
            bool en_intro = bc__nlu_is(p, i, "i'm") || bc__nlu_is(p, i, "im") || bc__nlu_is(p, i, "i") ||
                            bc__nlu_is(p, i, "this") || bc__nlu_is(p, i, "it's");
            lenient = ends && !en_intro;
            if (!lenient) continue;
        }
        if (take_name(p, j, lenient)) return;
    }
    if (p->req->expect != BC_NLU_EXPECT_NAME) return;
    /* the bare answer to "what is your name?": "Ana López", "hola, soy ana" is handled above */
    int first = -1, last = -1;
    for (int i = 0; i < p->n; i++) {
        const struct bc__nlu_tok *t = &p->t[i];
        if (t->flags & NF_USED) continue;
        int v;
        if (t->kind == NT_PUNCT) {
            if (first >= 0 && t->punct != '-' && t->punct != '.' && t->punct != '!') break;
            continue;
        }
        if (t->kind == NT_NUM) return;
        if (bc__nlu_lx(p, i, NC_INTENT, &v, NULL) &&
            (v == BC_NLU_GREETING || v == BC_NLU_THANKS || v == BC_NLU_YES)) {
            if (first >= 0) break;
            i += bc__nlu_lx(p, i, NC_INTENT, NULL, NULL) - 1;
            continue;
        }
        if (first < 0) first = i;
        last = i;
    }
    if (first < 0 || last - first > 8) return;
    take_name(p, first, true);
}

/* ---- intents ---- */

static bool short_message(const struct bc__nlu_p *p)
{
    return p->n_words <= 3;
}

/* "si" without an accent is "if" unless it opens the message and stands alone or before a comma. */
static bool si_is_yes(const struct bc__nlu_p *p, int i)
{
    if (p->t[i].flags & NF_ACCENT) return true;
    for (int k = 0; k < i; k++)
        if (p->t[k].kind == NT_WORD && !lx(p, k, NC_INTENT)) return false;
    int j = i + 1;
    return j >= p->n || p->t[j].kind == NT_PUNCT || lx(p, j, NC_INTENT) || short_message(p);
}

static void intents(struct bc__nlu_p *p)
{
    struct bc_nlu_result *out = p->out;
    bool verb = false, noun = false, book_verb = false;
    int slot_word = 0;
    for (int i = 0; i < p->n;) {
        const struct bc__nlu_tok *t = &p->t[i];
        int v, aux, k;
        if (t->kind != NT_WORD || (t->flags & NF_USED)) {
            i++;
            continue;
        }
        if ((k = bc__nlu_lx(p, i, NC_ANY, &v, NULL)) && k >= bc__nlu_lx(p, i, NC_INTENT, NULL, NULL)) {
            out->no_preference = true;
            int j = i + k, sv = 0;
            for (int d = 0; d < 3 && j + d < p->n; d++)
                if (bc__nlu_lx(p, j + d, NC_SLOT_WORD, &sv, NULL)) break;
            bool about_other = sv == BC_NLU_SLOT_DATE || sv == BC_NLU_SLOT_TIME || sv == BC_NLU_SLOT_SERVICE;
            if (!about_other || v == 2) out->provider_any = true;
            i += k;
            continue;
        }
        if ((k = bc__nlu_lx(p, i, NC_INTENT, &v, &aux))) {
            bool ok = true;
            if ((aux & NA_SI) && !si_is_yes(p, i)) ok = false;
            if ((aux & NA_SHORT) && !short_message(p)) ok = false;
            if ((aux & NA_WANT) && !out->service_id && !out->n_service_candidates) ok = false;
            if (ok) {
                out->intents |= BC_NLU_BIT(v);
                if (aux & NA_VERB) verb = true;
                if (aux & NA_NOUN)
                    noun = true;
                else if (v == BC_NLU_BOOK)
                    book_verb = true;
            }
            /* a slot word inside the phrase ("otra hora") still names the slot */
            for (int j = i; j < i + k && !slot_word; j++) bc__nlu_lx(p, j, NC_SLOT_WORD, &slot_word, NULL);
            i += k;
            continue;
        }
        if (!slot_word && bc__nlu_lx(p, i, NC_SLOT_WORD, &v, NULL)) slot_word = v;
        i++;
    }
    if (verb && noun && !(out->intents & BC_NLU_BIT(BC_NLU_CANCEL)))
        out->intents |= BC_NLU_BIT(BC_NLU_RESCHEDULE);
    /* "mi reserva es K7M2QX" names an existing booking: no new booking */
    if (out->code[0] && !book_verb) out->intents &= ~BC_NLU_BIT(BC_NLU_BOOK);

    bool slots = out->service_id || out->n_service_candidates || out->provider_id ||
                 out->n_provider_candidates || out->provider_any || out->has_date || out->has_time ||
                 out->part_of_day;
    bool any_value = slots || out->name[0] || out->email[0] || out->phone[0] || out->code[0] ||
                     out->has_number || out->asap || out->no_preference;
    unsigned b = out->intents;
    /* "no, mejor el jueves": a refusal that brings a new value is a change of mind */
    if ((b & BC_NLU_BIT(BC_NLU_NO)) && slots && !(b & BC_NLU_BIT(BC_NLU_YES))) b |= BC_NLU_BIT(BC_NLU_CHANGE);
    out->intents = b;
    out->intent = BC_NLU_UNKNOWN;
    for (int i = BC_NLU_HUMAN; i <= BC_NLU_GREETING; i++)
        if (b & BC_NLU_BIT(i)) {
            out->intent = (enum bc_nlu_intent)i;
            break;
        }
    if (out->intent == BC_NLU_UNKNOWN && any_value) out->intent = BC_NLU_INFORM;
    if (any_value) out->intents |= BC_NLU_BIT(BC_NLU_INFORM);

    if (out->intent == BC_NLU_CHANGE || out->intent == BC_NLU_RESCHEDULE) {
        if (slot_word)
            out->change_target = (enum bc_nlu_slot)slot_word;
        else if (out->provider_id || out->provider_any || out->n_provider_candidates)
            out->change_target = BC_NLU_SLOT_PROVIDER;
        else if (out->has_date)
            out->change_target = BC_NLU_SLOT_DATE;
        else if (out->has_time || out->part_of_day)
            out->change_target = BC_NLU_SLOT_TIME;
        else if (out->service_id || out->n_service_candidates)
            out->change_target = BC_NLU_SLOT_SERVICE;
        else if (out->name[0])
            out->change_target = BC_NLU_SLOT_NAME;
        else if (out->email[0] || out->phone[0])
            out->change_target = BC_NLU_SLOT_CONTACT;
    }
}

static void lone_number(struct bc__nlu_p *p)
{
    for (int i = 0; i < p->n; i++) {
        const struct bc__nlu_tok *t = &p->t[i];
        int v;
        /* "la primera", "el segundo", "the first one": a choice among the options shown */
        if (t->kind == NT_WORD && !(t->flags & (NF_USED | NF_SKIP)) &&
            bc__nlu_lx(p, i, NC_ORDINAL, &v, NULL) &&
            ((i > 0 && (lx(p, i - 1, NC_ARTICLE) || lx(p, i - 1, NC_PART_CTX))) ||
             bc__nlu_is(p, i + 1, "one") || bc__nlu_is(p, i + 1, "opcion") ||
             bc__nlu_is(p, i + 1, "option"))) {
            p->out->has_number = true;
            p->out->number = v;
            return;
        }
        if (t->kind != NT_NUM || (t->flags & (NF_USED | NF_SKIP)) || t->ndig > 3) continue;
        if (i + 1 < p->n && !(p->t[i + 1].flags & NF_SPACE) && p->t[i + 1].kind != NT_PUNCT) continue;
        p->out->has_number = true;
        p->out->number = t->num;
        return;
    }
}

static void detect_lang(struct bc__nlu_p *p, int hint)
{
    int count[8] = {0};
    for (int i = 0; i < p->n; i++) {
        const struct bc__nlu_tok *t = &p->t[i];
        if (t->kind != NT_WORD || t->wid < 0) continue;
        uint8_t m = p->v->word_lang[t->wid];
        for (int l = 0; l < p->v->n_langs && l < 8; l++)
            if (m == (1u << l)) count[l]++;
    }
    int best = hint >= 0 ? hint : 0;
    for (int l = 0; l < p->v->n_langs && l < 8; l++)
        if (count[l] > count[best]) best = l;
    memcpy(p->out->lang, p->v->langs[best]->code, 2);
    p->out->lang[2] = 0;
}

static bool valid_now(const struct bc_nlu_datetime *now)
{
    if (now->year < 1 || now->year > 9999 || now->month < 1 || now->month > 12 || now->day < 1 ||
        now->day > 31)
        return false;
    if (!bc__nlu_valid_date(now->year, now->month, now->day)) return false;
    if (now->hour < 0 || now->hour > 23 || now->minute < 0 || now->minute > 59) return false;
    return now->weekday == 0 || now->weekday == bc_nlu_weekday(now->year, now->month, now->day);
}

int bc_nlu_parse(const struct bc_nlu_request *req, struct bc_nlu_result *out)
{
    if (!out) return BC_EINVALID;
    memset(out, 0, sizeof *out);
    if (!req || (!req->text && req->len) || !valid_now(&req->now)) return BC_EINVALID;
    const struct bc__nlu_vocab *v = bc__nlu_vocab();
    if (!v) return BC_ENOMEM;
    static const struct bc_nlu_code_format default_fmt = BC_NLU_CODE_FORMAT_DEFAULT;
    const struct bc_nlu_code_format *fmt = req->code_fmt ? req->code_fmt : &default_fmt;

    struct bc__nlu_p p;
    p.req = req;
    p.out = out;
    p.v = v;
    p.text = req->text ? req->text : "";
    p.len = req->len > BC_NLU_MAX_TEXT ? BC_NLU_MAX_TEXT : req->len;
    p.n_dates = p.n_times = 0;
    p.part = 0;
    p.has_window = false;
    int hint = lang_index(v, req->lang);
    p.day_first = hint >= 0 ? v->langs[hint]->day_first : true;
    p.ref_days = bc__nlu_days(req->now.year, req->now.month, req->now.day);
    p.ref_wd = bc_nlu_weekday(req->now.year, req->now.month, req->now.day);
    p.n = bc__nlu_tokenize(p.text, p.len, p.t, NLU_MAX_TOK, p.fold, sizeof p.fold, &p.fold_len);

    bc__nlu_mark_catalog_words(&p);
    p.n_words = 0;
    int16_t seen[64]; /* the last unknown word per hash slot: a long message repeats its words */
    memset(seen, 0xff, sizeof seen);
    for (int i = 0; i < p.n; i++) {
        struct bc__nlu_tok *t = &p.t[i];
        if (t->kind != NT_WORD) continue;
        p.n_words++;
        t->wid = bc__nlu_vocab_find(v, p.fold + t->fo, t->fl);
        if (t->wid >= 0 || (t->flags & NF_CATWORD)) continue;
        unsigned h = t->fl;
        for (int k = 0; k < t->fl; k++) h = h * 31 + (uint8_t)p.fold[t->fo + k];
        h &= 63;
        const struct bc__nlu_tok *o = seen[h] >= 0 ? &p.t[seen[h]] : NULL;
        if (o && o->fl == t->fl && memcmp(p.fold + o->fo, p.fold + t->fo, t->fl) == 0) {
            t->wid = o->wid;
            t->flags |= o->flags & NF_FUZZY;
            continue;
        }
        t->wid = bc__nlu_vocab_fuzzy(v, p.fold + t->fo, t->fl);
        if (t->wid >= 0) t->flags |= NF_FUZZY;
        seen[h] = (int16_t)i;
    }
    find_email(&p);
    find_phone(&p);
    find_code(&p, fmt);
    find_name(&p);
    bc__nlu_match_cued(&p);
    bc__nlu_dates(&p);
    bc__nlu_match(&p);
    lone_number(&p);
    intents(&p);
    detect_lang(&p, hint);
    return 0;
}
