/* Internals shared by the nlu_*.c files (tokens, the vocabulary, the per-parse state); not for other
 * modules. nlu.c runs a parse, nlu_text.c folds and tokenizes, nlu_lexicon.c indexes the language tables,
 * nlu_date.c understands dates and times (with nlu_date_relative.c, nlu_date_absolute.c, nlu_date_named.c,
 * nlu_time.c, nlu_number.c, nlu_civil.c), nlu_match.c the catalog, nlu_lang_<code>.c hold the vocabulary. */
#ifndef BC_NLU_INTERNAL_H
#define BC_NLU_INTERNAL_H
#include "nlu/nlu.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the vocabulary: what a word or phrase of a language table means ---- */

/* Word categories. A phrase may appear under several categories ("mañana": DAYREL and PART); a grammar
 * rule asks for the category it needs. The value (and aux) of each category is documented here and is
 * what the language tables must follow. */
enum bc__nlu_cat {
    NC_STOP = 0,   /* common word: never fuzzy-matched, not a name; value 0: dropped from catalog names
                      ("de" in "Corte de pelo"); value 1: a noun that is also a first name ("Mar", "Rosa"):
                      kept, but a catalog name made of it matches only after "con"/"with" or alone */
    NC_INTENT,     /* value: enum bc_nlu_intent; aux: NA_* flags below */
    NC_WEEKDAY,    /* value 1 = Monday … 7 = Sunday */
    NC_MONTH,      /* value 1 … 12 */
    NC_NUM,        /* number word, value 0 … 59; tens (20, 30, 40, 50) may combine with a unit; aux 1: an
                      article that is a number only before a unit ("a week", "un mes"), never an hour */
    NC_NUM_JOIN,   /* joins tens and units: "treinta y uno" */
    NC_ORDINAL,    /* ordinal word, value 1 … 31 */
    NC_ORD_SUFFIX, /* after digits, glued: 1º ("o"), 1st, 2nd, 3rd, 4th */
    NC_DAYREL,     /* value: days from today ("hoy" 0, "mañana" 1, "pasado mañana" 2); aux: part of day
                      ("tonight"), NA_AMBIG_PART when it can also be a part of day ("mañana") */
    NC_PART,       /* value: enum bc_nlu_part; aux NA_NEEDS_CTX: only after an NC_PART_CTX word */
    NC_PART_CTX,   /* words before a part of day: "por la", "de la", "in the", "esta"; value 1 when the word
                      makes an ambiguous word a part of day ("la mañana" is the morning, "de mañana" not) */
    NC_THIS,       /* "este", "this": this week's weekday; "esta tarde" is today */
    NC_COMING,     /* "próximo", "que viene", "coming": the next such weekday after today */
    NC_NEXT,       /* "next" (English): the weekday of next week */
    NC_WEEK_NEXT,  /* "la semana que viene", "next week" */
    NC_WEEK_THIS,  /* "esta semana", "this week" */
    NC_MONTH_NEXT, /* "del mes que viene", "next month" (after a day of the month) */
    NC_MONTH_THIS, /* "de este mes", "this month" */
    NC_WEEKEND,    /* "fin de semana", "weekend" */
    NC_UNIT,      /* value: days in the unit (1, 7, 14, 15); aux 1: months; aux 2 (NA_MINUTES): minutes in the
                     unit ("hora" 60, "media hora" 30, "cuarto de hora" 15): a duration from now */
    NC_IN,        /* "dentro de", "en", "in": before an amount of time */
    NC_FROM_NOW,  /* "from now", "from today": after an amount of time */
    NC_DATE_JOIN, /* "de", "of": between day and month, month and year */
    NC_DAY_WORD,  /* "día": "el día 15" */
    NC_ARTICLE,   /* "el", "on", "para": before a weekday; value 1 also before a bare day number ("el 3") */
    NC_TIME_PREP, /* value: enum bc_nlu_qualifier; aux: NA_WEAK (needs more evidence of a time),
                     NA_ONE (only before "una": "la una"), NA_RANGE (starts a range: "entre las") */
    NC_RANGE_SEP, /* between two times of a range: "a", "y", "to", "and", "until" */
    NC_AMPM,      /* value 1 = am, 2 = pm */
    NC_HOUR_WORD, /* "h", "horas": "17h", "a las 17 horas" */
    NC_MINUTE_WORD, /* "minutos", "minutes" */
    NC_HALF,        /* "media", "half" */
    NC_QUARTER,     /* "cuarto", "quarter" */
    NC_PLUS,   /* minutes after the hour; value 0 after the hour ("5 y cuarto"), 1 before ("ten past 5") */
    NC_MINUS,  /* minutes before the hour; value 0 after the hour ("6 menos cuarto"), 1 before ("ten to 6") */
    NC_OCLOCK, /* "en punto", "o'clock" */
    NC_NOON,   /* "mediodía", "noon": 12:00 */
    NC_MIDNIGHT,   /* "medianoche", "midnight": 00:00 */
    NC_ASAP,       /* "lo antes posible", "first available" */
    NC_ANY,        /* no preference; value 2 when it is about a person ("anyone", "quien sea") */
    NC_NAME_INTRO, /* value 1: "me llamo", "my name is"; value 2 (weaker): "soy", "I'm" */
    NC_CODE_INTRO, /* "código", "localizador", "booking code" */
    NC_NEG,        /* refuses what follows or precedes: "no", "no puedo", "not", "can't"; value 1: only what
                      follows ("menos el lunes", "en vez del jueves", "instead of friday") */
    NC_BLOCK,      /* phrases whose words must not be read alone: "más tarde" (not the afternoon) */
    NC_SLOT_WORD,  /* value: enum bc_nlu_slot ("la hora" -> TIME, "el día" -> DATE) */
    NC_WITH,       /* "con", "with": before a professional's name */
    NC_LAST,       /* "último", "last": the last such weekday of a month */
    NC_NAMED_DAY,  /* a named day of the year; aux NA_FIXED: value month * 100 + day ("Navidad" 1225);
                      aux NA_EASTER: value days from Easter Sunday ("Viernes Santo" -2); aux NA_NTH: value
                      month * 100 + n * 10 + weekday, n 9 for the last ("Thanksgiving" 1144) */
    NC_WINDOW,     /* a stretch of the day: value from_hour * 100 + to_hour ("lunchtime" 1214), -1 for the
                      whole day or part of day; aux: enum bc_nlu_pick ("a primera hora" FIRST) */
    NC__COUNT
};

/* aux flags of NC_INTENT */
#define NA_SI    1  /* "si" without accent is "if": yes only when it stands at the start */
#define NA_VERB  2  /* a change verb: with a booking noun it means RESCHEDULE */
#define NA_NOUN  4  /* a booking noun ("cita", "appointment") */
#define NA_SHORT 8  /* counts only in a short message ("bien", "bueno") */
#define NA_WANT  32 /* "quiero", "I'd like": BOOK only when a service is named too */
/* aux flags of other categories */
#define NA_AMBIG_PART 16 /* DAYREL "mañana": a part of day after "la", "por la", "esta" … */
#define NA_NEEDS_CTX  1  /* PART: only after a context word */
#define NA_WEAK       1  /* TIME_PREP: "for", "from": needs a colon, am/pm … to make a time */
#define NA_ONE        2  /* TIME_PREP "la": only in "la una" */
#define NA_RANGE      4  /* TIME_PREP: starts a range ("entre las", "between") */
#define NA_MINUTES    2  /* UNIT: an amount of minutes, not of days */
#define NA_FIXED      0  /* NAMED_DAY: a fixed day of the year */
#define NA_EASTER     1  /* NAMED_DAY: days from Easter Sunday */
#define NA_NTH        2  /* NAMED_DAY: the n-th weekday of a month */

/* One row of a language table: a word or a phrase (words separated by spaces, written naturally: accents
 * and capitals are folded away when the table is indexed). */
struct bc__nlu_word {
    const char *text;
    uint8_t cat;
    int16_t value;
    uint8_t aux;
};

/* A language: its code, whether its numeric dates put the day first (05/12 = 5 December), whether it
 * writes weekdays and months with a capital (then a capital does not mark a name), its table. */
struct bc__nlu_lang {
    const char *code;
    bool day_first;
    bool capitalizes_dates;
    const struct bc__nlu_word *words;
    size_t n_words;
};

extern const struct bc__nlu_lang bc__nlu_lang_es;
extern const struct bc__nlu_lang bc__nlu_lang_en;

/* ---- tokens ---- */

#define NLU_MAX_TOK   384
#define NLU_FOLD_MAX  (BC_NLU_MAX_TEXT * 2)
#define NLU_MAX_WORDS 6 /* words in a phrase of a table */

enum { NT_WORD = 1, NT_NUM = 2, NT_PUNCT = 3 };

/* token flags */
#define NF_SPACE   1   /* whitespace (or the start) before it */
#define NF_UPPER   2   /* starts with a capital letter */
#define NF_LOWER   4   /* no capital letter at all */
#define NF_ACCENT  8   /* had non-ASCII letters before folding */
#define NF_USED    16  /* taken by a date, time, name, e-mail, phone … */
#define NF_SKIP    32  /* inside a greeting or a blocking phrase: not read by the date grammar */
#define NF_FUZZY   64  /* its vocabulary word was found by edit distance */
#define NF_CATWORD 128 /* exactly a word of a catalog name */
#define NF_CUED    256 /* a professional's name after "con"/"with": kept for the catalog, not a date */

struct bc__nlu_tok {
    uint16_t b, e;   /* bytes of the original text */
    uint16_t fo, fl; /* folded text: p->fold + fo, fl bytes (not NUL-terminated) */
    uint8_t kind;    /* NT_* */
    uint16_t flags;  /* NF_* */
    char punct;      /* NT_PUNCT: the ASCII character, '~' for anything else */
    uint8_t ndig;    /* NT_NUM: digits written */
    int32_t num;     /* NT_NUM: value (capped at 999999999) */
    int32_t wid;     /* vocabulary word id, or -1 */
};

/* Splits text into words (letters, inner apostrophes), numbers (digits of any script, as ASCII) and
 * punctuation; folds words to lower case without accents (NFKD, marks removed). Invalid UTF-8 is
 * whitespace. Returns the number of tokens (at most max); *fold_len gets the folded bytes used. */
int bc__nlu_tokenize(const char *text, size_t len, struct bc__nlu_tok *toks, int max, char *fold,
                     size_t fold_cap, size_t *fold_len);

/* Optimal-string-alignment distance of a and b, or max + 1 when it is over max. */
int bc__nlu_distance(const char *a, size_t na, const char *b, size_t nb, int max);
/* The edit budget of a word of n bytes: 0 up to 3, 1 up to 7, 2 from 8. */
int bc__nlu_budget(size_t n);
/* Whether two initials may stand for each other in a typo (b/v, c/s/z/k/q, g/j, i/y). */
bool bc__nlu_same_initial(char a, char b);

/* ---- the indexed vocabulary ---- */

struct bc__nlu_phrase {
    uint8_t nw;
    uint8_t cat;
    uint8_t aux;
    uint8_t lang; /* bit 0: es, bit 1: en … (index in the language list) */
    int16_t value;
    int32_t w[NLU_MAX_WORDS];
};

struct bc__nlu_vocab {
    int n_words;
    const char **word; /* folded, NUL-terminated */
    uint8_t *word_len;
    uint8_t *word_lang;  /* languages whose tables use the word */
    uint64_t *word_cats; /* bit per category of the phrases the word starts */
    uint64_t *word_in;   /* bit per category of the phrases the word is in */
    uint32_t *first;     /* phrases starting with word w: phrase_by_word[first[w] .. first[w+1]) */
    int32_t *phrase_by_word;
    int n_phrases;
    struct bc__nlu_phrase *phrase;
    int32_t *hash; /* open addressing, -1 empty */
    uint32_t hash_mask;
    int32_t *fuzzy;         /* fuzzy targets sorted by initial */
    uint32_t fuzzy_at[257]; /* fuzzy[fuzzy_at[c] .. fuzzy_at[c+1]): targets starting with byte c */
    const struct bc__nlu_lang *const *langs;
    int n_langs;
    int bad_phrases; /* table rows that did not tokenize into words (a table bug; tests check 0) */
};

/* The vocabulary of every language, built on first use; NULL when out of memory. */
const struct bc__nlu_vocab *bc__nlu_vocab(void);
/* Word id of a folded word, or -1. */
int bc__nlu_vocab_find(const struct bc__nlu_vocab *v, const char *s, size_t n);
/* Nearest fuzzy target within the budget of the word, or -1. */
int bc__nlu_vocab_fuzzy(const struct bc__nlu_vocab *v, const char *s, size_t n);
/* Whether a folded word is a stop word or a vocabulary word of a grammar category. */
bool bc__nlu_vocab_is_common(const struct bc__nlu_vocab *v, const char *s, size_t n);

/* ---- a parse in progress ---- */

struct bc__nlu_mention {
    int at, n; /* tokens */
    bool negated;
    /* date */
    bool has_date;
    int y, m, d;
    /* time */
    bool has_time, ambiguous, has_end;
    int h, mi, alt_h, end_h, end_mi;
    int qual;
    int part;
    int from_now; /* minutes: the time is now + a duration ("dentro de tres horas"), never a clock reading */
};

#define NLU_MAX_MENTIONS 16

struct bc__nlu_p {
    const struct bc_nlu_request *req;
    struct bc_nlu_result *out;
    const struct bc__nlu_vocab *v;
    const char *text;
    size_t len;
    int n;
    struct bc__nlu_tok t[NLU_MAX_TOK];
    char fold[NLU_FOLD_MAX];
    size_t fold_len;
    bool day_first; /* numeric dates read day/month */
    int ref_days;   /* the reference date as days since 1970-01-01 */
    int ref_wd;
    struct bc__nlu_mention dates[NLU_MAX_MENTIONS];
    int n_dates;
    struct bc__nlu_mention times[NLU_MAX_MENTIONS];
    int n_times;
    int part;        /* first part of day mentioned */
    bool has_window; /* a window phrase ("a primera hora", "at lunchtime"): see bc_nlu_result */
    int win_from, win_to, win_pick;
    int n_words; /* word tokens in the message */
};

/* Length in tokens of the longest phrase of category cat starting at token i (0: none); its value and aux. */
int bc__nlu_lx(const struct bc__nlu_p *p, int i, int cat, int *value, int *aux);
/* Whether token i is the folded word w. */
bool bc__nlu_is(const struct bc__nlu_p *p, int i, const char *w);

/* ---- dates and times (nlu_date.c and the files it calls) ---- */

/* nlu_date.c: finds dates, times, parts of day, "as soon as possible"; marks their tokens NF_USED. */
void bc__nlu_dates(struct bc__nlu_p *p);

/* The token helpers of the date and time grammar, inline because it calls them at every token. */
static inline bool bc__nlu_in_range(const struct bc__nlu_p *p, int i)
{
    return i >= 0 && i < p->n;
}

static inline bool bc__nlu_is_punct(const struct bc__nlu_p *p, int i, char c)
{
    return bc__nlu_in_range(p, i) && p->t[i].kind == NT_PUNCT && p->t[i].punct == c;
}

/* token i follows i-1 with no space */
static inline bool bc__nlu_glued(const struct bc__nlu_p *p, int i)
{
    return bc__nlu_in_range(p, i) && !(p->t[i].flags & NF_SPACE);
}

static inline bool bc__nlu_is_num(const struct bc__nlu_p *p, int i)
{
    return bc__nlu_in_range(p, i) && p->t[i].kind == NT_NUM;
}

/* Length in tokens of the longest phrase of category cat at token i (0: none). */
static inline int bc__nlu_cat_len(const struct bc__nlu_p *p, int i, int cat)
{
    return bc__nlu_lx(p, i, cat, NULL, NULL);
}

/* Whether tokens at .. at+n-1 exist and are taken by nothing yet. */
static inline bool bc__nlu_span_free(const struct bc__nlu_p *p, int at, int n)
{
    for (int i = at; i < at + n; i++)
        if (!bc__nlu_in_range(p, i) || (p->t[i].flags & (NF_USED | NF_SKIP | NF_CUED))) return false;
    return true;
}

/* Marks tokens at .. at+n-1 taken (NF_USED). */
static inline void bc__nlu_use(struct bc__nlu_p *p, int at, int n)
{
    for (int i = at; i < at + n && i < p->n; i++) p->t[i].flags |= NF_USED;
}

/* nlu_date.c: records a date mention over tokens at .. at+n-1 (days since 1970-01-01, a part of day or 0)
 * and marks them used; false when the span is taken, the list is full or the date is impossible. */
bool bc__nlu_add_date(struct bc__nlu_p *p, int at, int n, int days, int part);

/* nlu_date_relative.c: the date at token i in any form; the tokens read (the date recorded), or 0. */
int bc__nlu_try_date(struct bc__nlu_p *p, int i);
/* nlu_date_absolute.c: a day and month, or a day of the month, at token i (after the article at start, of
 * value art, -1 for none; day_word after "día"); a month first ("Dec 15"); a numeric date ("15/12").
 * Each returns the tokens read from start and records the date, or 0. */
int bc__nlu_daynum_date(struct bc__nlu_p *p, int start, int i, int art, bool day_word);
int bc__nlu_month_first_date(struct bc__nlu_p *p, int start, int i);
int bc__nlu_numeric_date(struct bc__nlu_p *p, int start, int i);
/* The next date (today included) with this day of the month, as days since 1970-01-01; -1 when none. */
int bc__nlu_next_day(const struct bc__nlu_p *p, int d);

/* nlu_date_named.c: an ordinal weekday of a month ("el tercer miércoles de junio", "the last Friday of the
 * month") or a named day ("Nochebuena", "Good Friday") at token j, the mention starting at start; the
 * tokens read from start (the date recorded), or 0. */
int bc__nlu_ordinal_weekday(struct bc__nlu_p *p, int start, int j);
int bc__nlu_named_day(struct bc__nlu_p *p, int start, int j);
/* Easter Sunday of a Gregorian year, as days since 1970-01-01 (the anonymous Gregorian algorithm). */
int bc__nlu_easter(int year);

/* nlu_time.c: a time at token i ("a las 5", "from 3 to 5pm"); the tokens read (the time recorded), or 0. */
int bc__nlu_try_time(struct bc__nlu_p *p, int i);
/* A window phrase at token i ("a primera hora", "at lunchtime"): records the first one and, when a part of
 * day follows ("a última hora de la tarde"), sets p->part to it. Reads no token: the part-of-day grammar
 * still sees them. */
void bc__nlu_try_window(struct bc__nlu_p *p, int i);
/* A part of day at token i ("por la tarde"): sets p->part if unset; returns the tokens read, or 0. */
int bc__nlu_try_part(struct bc__nlu_p *p, int i);
/* Records a bare hour (0 … 24) read at tokens at .. at+n-1 as a time, ambiguous as "a las 5" is; the caller
 * checks that p->times has room. */
void bc__nlu_add_bare_hour(struct bc__nlu_p *p, int at, int n, int hour);
/* Records the instant now + minutes read at tokens at .. at+n-1 (already taken by its date) as an exact,
 * unambiguous time. */
void bc__nlu_add_from_now(struct bc__nlu_p *p, int at, int n, int h, int mi, int minutes);
/* Length of an amount-of-minutes unit at token i ("horas", "media hora"), its minutes in *minutes; 0: none.
 */
int bc__nlu_minutes_unit(const struct bc__nlu_p *p, int i, int *minutes);

/* nlu_number.c: a number at token i in digits (up to 4) or words ("veintiuno", "treinta y uno", "twenty-
 * one" when compound); with amount, articles count as one ("in a week"). Returns the tokens read, or 0. */
int bc__nlu_num_at_x(const struct bc__nlu_p *p, int i, int *val, bool compound, bool amount);
static inline int bc__nlu_num_at(const struct bc__nlu_p *p, int i, int *val, bool compound)
{
    return bc__nlu_num_at_x(p, i, val, compound, false);
}
/* An ordinal at token i: "1º", "1st", "3rd", "first", "twenty-first", "thirty first"; tokens read, or 0. */
int bc__nlu_ordinal_at(const struct bc__nlu_p *p, int i, int *val);

/* nlu_civil.c: days since 1970-01-01 of a civil date, and back. */
int bc__nlu_days(int y, int m, int d);
void bc__nlu_civil(int days, int *y, int *m, int *d);
bool bc__nlu_valid_date(int y, int m, int d);
/* The date months later (or earlier) than days, its day cut to the month's length (31 January + 1: the last
 * of February). */
int bc__nlu_add_months(int days, int months);

/* nlu_match.c: fills service/provider ids and candidates from the catalog. */
void bc__nlu_match(struct bc__nlu_p *p);
/* Marks tokens that are exactly a word of a catalog name (NF_CATWORD), before the vocabulary is fuzzy-
 * searched, so that a professional called "Mario" is not read as "marzo". */
void bc__nlu_mark_catalog_words(struct bc__nlu_p *p);
/* Matches "con <name>" / "with <name>" first, so that "con Domingo" is not read as Sunday. */
void bc__nlu_match_cued(struct bc__nlu_p *p);

#endif
