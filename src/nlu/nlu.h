/* The offline natural-language understanding of the booking chat (fsm mode, and the fallback of the AI
 * modes): one customer message in Spanish or English -> an intent and slot values (service, professional,
 * date, time, part of day, name, e-mail, phone, booking code). Pure and reentrant: no store, no HTTP, no
 * clock, no time zone (the caller passes "now" as a local civil date-time). docs/nlu.md tells what it
 * understands, how matching works and how to add a language.
 *
 * DESIGN NOTES
 * - The vocabulary lives in tables, one per language (nlu_lang_es.c, nlu_lang_en.c); it is folded and
 *   indexed once per process (pthread_once) and read-only afterwards. Every message is understood with all
 *   tables at once; the language hint only breaks ties (05/12 is 5 December with "es", May 12 with "en").
 * - A catalog (the tenant's services and professionals) is compiled once by the caller and is read-only
 *   while parses use it: several threads may parse with the same catalog.
 * - bc_nlu_parse allocates nothing: it works on the stack and writes fixed-size fields of the result.
 *   Only the first BC_NLU_MAX_TEXT bytes of a message are read.
 * - Slots are filled whatever the intent is: a state that waits for a value should look at the slots
 *   first and at the intent second ("vale, el jueves" is YES with a date). */
#ifndef BC_NLU_H
#define BC_NLU_H
#include <stdbool.h>
#include <stddef.h>

#define BC_NLU_MAX_TEXT       2048 /* bytes of a message that are read; the rest is ignored */
#define BC_NLU_MAX_CANDIDATES 4    /* tied best matches reported for a service or a professional */

/* XX(NAME, "api name"). The primary intent is the first of this list (from HUMAN down) that the message
 * expresses; `intents` has a bit for every one it expresses. */
#define BC_NLU_INTENT_MAP(XX)                                                                                \
    XX(UNKNOWN, "unknown")       /* nothing understood: re-prompt with the options */                        \
    XX(HUMAN, "human")           /* "hablar con una persona", "agent", "real person" */                      \
    XX(RESTART, "restart")       /* "empezar de nuevo", "start over" */                                      \
    XX(BACK, "back")             /* "atrás", "volver", "go back" */                                         \
    XX(CANCEL, "cancel")         /* cancel an existing booking: "anular mi cita", "cancel" */                \
    XX(RESCHEDULE, "reschedule") /* move an existing booking: "cambiar mi cita", "reschedule" */             \
    XX(CHANGE, "change")         /* change of mind: "mejor con Ana", "actually 5pm", "no, el jueves" */      \
    XX(HOURS, "hours")           /* opening hours: "¿a qué hora abrís?", "opening hours" */               \
    XX(PRICES, "prices")         /* "¿cuánto cuesta?", "how much" */                                       \
    XX(LOCATION, "location")     /* address: "¿dónde estáis?", "address" */                               \
    XX(BOOK, "book")             /* "quiero reservar", "book an appointment" */                              \
    XX(NO, "no")                 /* "no", "mejor no", "nope" */                                              \
    XX(YES, "yes")               /* "sí", "vale", "de acuerdo", "sure" */                                   \
    XX(GOODBYE, "goodbye")       /* "adiós", "bye" */                                                       \
    XX(THANKS, "thanks")         /* "gracias", "thank you" */                                                \
    XX(GREETING, "greeting")     /* "hola", "buenas tardes", "hi" */                                         \
    XX(INFORM, "inform")         /* no intent word, but slot values (a date, a service, a name …) */

enum bc_nlu_intent {
#define XX(name, str) BC_NLU_##name,
    BC_NLU_INTENT_MAP(XX)
#undef XX
        BC_NLU__INTENT_COUNT
};
#define BC_NLU_BIT(intent) (1u << (intent))

enum bc_nlu_part { BC_NLU_PART_NONE = 0, BC_NLU_PART_MORNING, BC_NLU_PART_AFTERNOON, BC_NLU_PART_EVENING };

/* How the time was said: "a las 5" EXACT, "sobre las 5"/"around 5" AROUND, "a partir de las 5"/"after 5"
 * AFTER, "antes de las 5"/"before 5" BEFORE, "entre las 5 y las 7"/"from 5 to 7" RANGE (see time_end). */
enum bc_nlu_qualifier {
    BC_NLU_AT_EXACT = 0,
    BC_NLU_AT_AROUND,
    BC_NLU_AT_AFTER,
    BC_NLU_AT_BEFORE,
    BC_NLU_AT_RANGE
};

/* Which slot of a window the customer wants: any, the first ("a primera hora", "first thing") or the last
 * ("a última hora de la tarde", "late afternoon"). */
enum bc_nlu_pick { BC_NLU_PICK_ANY = 0, BC_NLU_PICK_FIRST, BC_NLU_PICK_LAST };

/* What the dialog is waiting for, when the caller knows it. It lets a bare answer count: "5" is a time
 * when a time is expected, a day of the month when a date is, "ana lópez" is a name when a name is, a
 * lower-case "k7m2qx" is a code when a code is. NONE: no such guesses. */
enum bc_nlu_expect {
    BC_NLU_EXPECT_NONE = 0,
    BC_NLU_EXPECT_SERVICE,
    BC_NLU_EXPECT_PROVIDER,
    BC_NLU_EXPECT_DATE,
    BC_NLU_EXPECT_TIME,
    BC_NLU_EXPECT_NAME,
    BC_NLU_EXPECT_CONTACT,
    BC_NLU_EXPECT_CONFIRM,
    BC_NLU_EXPECT_CODE
};

/* A slot of the booking, named by a change of mind ("quiero cambiar la hora" -> TIME). */
enum bc_nlu_slot {
    BC_NLU_SLOT_NONE = 0,
    BC_NLU_SLOT_SERVICE,
    BC_NLU_SLOT_PROVIDER,
    BC_NLU_SLOT_DATE,
    BC_NLU_SLOT_TIME,
    BC_NLU_SLOT_NAME,
    BC_NLU_SLOT_CONTACT
};

enum bc_nlu_kind { BC_NLU_SERVICE = 0, BC_NLU_PROVIDER = 1 };

/* A local civil date-time: the tenant's "now", converted by the caller. weekday: 1 = Monday … 7 = Sunday,
 * or 0 to let the parser compute it. */
struct bc_nlu_datetime {
    int year, month, day, weekday, hour, minute;
};

/* The booking codes to recognise: min_len..max_len characters of A-Z and 0-9. A code needs a digit unless
 * require_digit is false or a code word ("código", "code", "localizador", "reference" …) comes first;
 * it must be typed in capitals unless a code word comes first or the caller expects a code. */
struct bc_nlu_code_format {
    int min_len, max_len;
    bool require_digit;
};
#define BC_NLU_CODE_FORMAT_DEFAULT                                                                           \
    {                                                                                                        \
        6, 8, true                                                                                           \
    }

/* ---- the tenant's catalog of services and professionals ---- */

struct bc_nlu_catalog;

/* An empty catalog; NULL when out of memory. Caller frees with bc_nlu_catalog_free. */
struct bc_nlu_catalog *bc_nlu_catalog_new(void);
/* Adds a service or a professional: its id, its display name and n_synonyms extra names the tenant gave
 * ("corte", "haircut" for "Corte de pelo"; synonyms may be NULL when n_synonyms is 0). Everything is copied.
 * Returns 0, BC_EINVALID (NULL or empty id/name, id over 127 bytes) or BC_ENOMEM. Not thread-safe: build
 * the catalog before sharing it. */
int bc_nlu_catalog_add(struct bc_nlu_catalog *cat, enum bc_nlu_kind kind, const char *id, const char *name,
                       const char *const *synonyms, size_t n_synonyms);
/* Number of services or professionals added. */
size_t bc_nlu_catalog_count(const struct bc_nlu_catalog *cat, enum bc_nlu_kind kind);
/* No-op on NULL. Ids borrowed by results die with the catalog. */
void bc_nlu_catalog_free(struct bc_nlu_catalog *cat);

/* ---- one parse ---- */

struct bc_nlu_request {
    const char
        *text;  /* the message, UTF-8 (invalid bytes are treated as spaces); need not be NUL-terminated */
    size_t len; /* its length in bytes */
    const char
        *lang; /* "es" or "en" (a longer tag such as "en-GB" works too); only breaks ties; may be NULL */
    struct bc_nlu_datetime now;                /* the reference for "mañana", "next friday", "in 3 days" */
    const struct bc_nlu_catalog *catalog;      /* may be NULL: no service or professional matching */
    enum bc_nlu_expect expect;                 /* BC_NLU_EXPECT_NONE when unknown */
    const struct bc_nlu_code_format *code_fmt; /* NULL: BC_NLU_CODE_FORMAT_DEFAULT */
};

struct bc_nlu_result {
    enum bc_nlu_intent intent; /* the primary intent (see BC_NLU_INTENT_MAP for the order) */
    unsigned intents;          /* BC_NLU_BIT(i) for every intent expressed */
    enum bc_nlu_slot
        change_target; /* with CHANGE/RESCHEDULE: the slot named ("la hora", "the day"), if any */
    char lang[3];      /* "es" or "en": the language the words look like (the hint on a tie) */

    /* Service and professional: the id of the single best match (borrowed from the catalog), or NULL.
     * When several tie, the id is NULL and the candidates list them (n >= 2): ask the customer. */
    const char *service_id;
    const char *service_candidates[BC_NLU_MAX_CANDIDATES];
    int n_service_candidates;
    const char *provider_id;
    const char *provider_candidates[BC_NLU_MAX_CANDIDATES];
    int n_provider_candidates;
    bool provider_any;  /* "me da igual", "cualquiera", "anyone": render as "provider_id":"any" */
    bool no_preference; /* any "no preference" expression, also "me da igual la hora" */

    /* Date: the first date mentioned that is not refused ("el jueves no, el viernes" -> Friday). */
    bool has_date;
    int year, month, day, weekday; /* weekday 1 = Monday … 7 = Sunday */
    char date[11];                 /* "YYYY-MM-DD" or "" */
    bool asap;                     /* "lo antes posible", "first available" */

    /* Time: 24-hour. When the message does not say am/pm ("a las 5") time_ambiguous is set, hour/minute
     * hold the likelier reading (1-7 -> afternoon, 8-11 -> morning) and alt_hour the other one: the caller
     * picks the one inside the opening hours. A part of day in the message removes the ambiguity. */
    bool has_time;
    int hour, minute;
    char time[6]; /* "HH:MM" or "" */
    bool time_ambiguous;
    int alt_hour;
    char time_alt[6]; /* "HH:MM" of the other reading, or "" */
    enum bc_nlu_qualifier time_qualifier;
    bool has_time_end; /* RANGE: "entre las 5 y las 7" */
    int end_hour, end_minute;
    enum bc_nlu_part part_of_day; /* "por la tarde", "in the morning", "esta noche" */
    /* A duration from now ("dentro de tres horas", "in 45 minutes", "an hour from now"): date and time hold
     * the instant now + from_now_minutes (exact, never ambiguous, never a clock reading of the number). */
    bool from_now;
    int from_now_minutes;
    /* Window: the stretch of the day asked for, in minutes since midnight, from window_from (included) to
     * window_to (excluded); -1 is an open end (the opening or closing time, of the part of day when one is
     * given). From a range ("entre las 4 y las 6" 960..1080), an open end ("after 5" 1020..-1, "before noon"
     * -1..720), a named stretch ("at lunchtime" 720..840) or an edge ("a primera hora" -1..-1 pick FIRST,
     * "a última hora de la tarde" -1..-1 pick LAST with part AFTERNOON). An ambiguous hour gives the likelier
     * reading (time_alt holds the other). The caller offers the earliest free slot inside it (the latest
     * for LAST) and may keep it when the customer picks a day next. */
    bool has_window;
    int window_from, window_to;
    enum bc_nlu_pick window_pick;

    char name[96];   /* "me llamo Ana López" -> "Ana López" (title-cased when typed all in lower case) */
    char email[256]; /* lower-cased */
    char phone[24];  /* digits, with a leading + when given ("+34 612 34 56 78" -> "+34612345678") */
    char code[16];   /* upper-cased booking code */
    bool has_number; /* a lone number not used as anything else ("2", "la 3"): a choice among options */
    int number;
};

/* Understands one message. Fills *out completely (zeroed first). Returns 0; BC_EINVALID when req, out or
 * req->text (with len > 0) is NULL or req->now is not a valid date-time (or its weekday is wrong);
 * BC_ENOMEM when the vocabulary could not be built. Thread-safe; allocates nothing. Borrowed pointers in
 * *out point into req->catalog. */
int bc_nlu_parse(const struct bc_nlu_request *req, struct bc_nlu_result *out);

/* Names for rendering: "book", "afternoon", "after", "time", "service"/"provider". Never NULL. */
const char *bc_nlu_intent_name(enum bc_nlu_intent intent);
const char *bc_nlu_part_name(enum bc_nlu_part part); /* "" for NONE */
const char *bc_nlu_qualifier_name(enum bc_nlu_qualifier q);
const char *bc_nlu_slot_name(enum bc_nlu_slot slot); /* "" for NONE */
/* The intent named by an API name ("book"), or -1. */
int bc_nlu_intent_from_name(const char *name);
/* Whether a language tag ("es", "en-GB") has vocabulary tables. */
bool bc_nlu_lang_supported(const char *tag);

/* Civil-date helpers shared with the chat: the weekday (1 = Monday) of a date, and the date n days later
 * (n may be negative). Proleptic Gregorian, any year from 1 to 9999. */
int bc_nlu_weekday(int year, int month, int day);
void bc_nlu_add_days(int *year, int *month, int *day, int n);

#endif
