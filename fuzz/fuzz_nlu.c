/* libFuzzer target: arbitrary bytes (invalid UTF-8 included) as a customer message through the NLU. The
 * first byte picks the language hint, what the dialog expects and the code format; the rest is the text.
 * Besides memory safety (ASan/UBSan) it checks invariants: every string field is NUL-terminated and
 * well-formed, dates are real dates, times are real times, ids come from the catalog. */
#include "nlu/nlu.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "invariant failed at line %d: %s\n", __LINE__, #cond);                           \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

static struct bc_nlu_catalog *catalog;
static const char *const ids[] = {"s_corte", "s_masaje", "s_unas",    "p_ana",
                                  "p_anag",  "p_mar",    "p_domingo", "p_may"};

static void build_catalog(void)
{
    catalog = bc_nlu_catalog_new();
    CHECK(catalog);
    const char *corte[] = {"corte", "haircut", "cortar el pelo"};
    CHECK(bc_nlu_catalog_add(catalog, BC_NLU_SERVICE, "s_corte", "Corte de pelo", corte, 3) == 0);
    CHECK(bc_nlu_catalog_add(catalog, BC_NLU_SERVICE, "s_masaje", "Masaje relajante", NULL, 0) == 0);
    CHECK(bc_nlu_catalog_add(catalog, BC_NLU_SERVICE, "s_unas", "Uñas de gel", NULL, 0) == 0);
    CHECK(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_ana", "Ana López", NULL, 0) == 0);
    CHECK(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_anag", "Ana García", NULL, 0) == 0);
    CHECK(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_mar", "Mar", NULL, 0) == 0);
    CHECK(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_domingo", "Domingo", NULL, 0) == 0);
    CHECK(bc_nlu_catalog_add(catalog, BC_NLU_PROVIDER, "p_may", "May", NULL, 0) == 0);
}

static bool known_id(const char *id)
{
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (strcmp(id, ids[i]) == 0) return true;
    return false;
}

static void check_string(const char *s, size_t size)
{
    CHECK(memchr(s, 0, size) != NULL);
}

/* The name is copied from the input: it must be valid UTF-8 even when the input is not. */
static void check_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
        CHECK(n > 0);
        for (int k = 1; k < n; k++) CHECK((p[k] & 0xC0) == 0x80);
        p += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!catalog) build_catalog();
    if (size < 1) return 0;
    static const char *const langs[] = {"es", "en", NULL, "fr"};
    struct bc_nlu_code_format fmt = {4 + data[0] % 3, 8 + data[0] % 5, (data[0] & 0x80) != 0};
    struct bc_nlu_request req = {
        .text = (const char *)data + 1,
        .len = size - 1,
        .lang = langs[data[0] & 3],
        .now = {2026, 11, 25, 3, 10, 0},
        .catalog = (data[0] & 0x40) ? NULL : catalog,
        .expect = (enum bc_nlu_expect)((data[0] >> 2) % 9),
        .code_fmt = (data[0] & 0x20) ? &fmt : NULL,
    };
    struct bc_nlu_result o;
    CHECK(bc_nlu_parse(&req, &o) == 0);

    CHECK(o.intent >= BC_NLU_UNKNOWN && o.intent < BC_NLU__INTENT_COUNT);
    CHECK(o.intent == BC_NLU_UNKNOWN || (o.intents & BC_NLU_BIT(o.intent)));
    check_string(o.lang, sizeof o.lang);
    CHECK(strcmp(o.lang, "es") == 0 || strcmp(o.lang, "en") == 0);
    check_string(o.date, sizeof o.date);
    check_string(o.time, sizeof o.time);
    check_string(o.time_alt, sizeof o.time_alt);
    check_string(o.name, sizeof o.name);
    check_string(o.email, sizeof o.email);
    check_string(o.phone, sizeof o.phone);
    check_string(o.code, sizeof o.code);
    check_utf8(o.name);
    if (o.has_date) {
        CHECK(strlen(o.date) == 10);
        CHECK(o.month >= 1 && o.month <= 12 && o.day >= 1 && o.day <= 31 && o.year >= 1900 && o.year <= 2200);
        CHECK(o.weekday == bc_nlu_weekday(o.year, o.month, o.day));
        int y = o.year, m = o.month, d = o.day;
        bc_nlu_add_days(&y, &m, &d, 0);
        CHECK(y == o.year && m == o.month && d == o.day); /* a real date round-trips */
    } else {
        CHECK(o.date[0] == 0);
    }
    if (o.has_time) {
        CHECK(o.hour >= 0 && o.hour <= 23 && o.minute >= 0 && o.minute <= 59 && strlen(o.time) == 5);
        CHECK(!o.time_ambiguous || (o.alt_hour >= 0 && o.alt_hour <= 23 && o.alt_hour != o.hour));
        CHECK(!o.has_time_end ||
              (o.end_hour >= 0 && o.end_hour <= 23 && o.end_minute >= 0 && o.end_minute <= 59));
    } else {
        CHECK(o.time[0] == 0 && !o.time_ambiguous);
    }
    CHECK(o.part_of_day >= BC_NLU_PART_NONE && o.part_of_day <= BC_NLU_PART_EVENING);
    /* a duration from now is an exact instant; a window is minutes of the day, -1 for an open end */
    CHECK(!o.from_now || (o.has_time && o.has_date && !o.time_ambiguous && o.from_now_minutes > 0));
    CHECK(o.from_now || o.from_now_minutes == 0);
    if (o.has_window) {
        CHECK(o.window_from >= -1 && o.window_from < 24 * 60 && o.window_to >= -1 && o.window_to <= 24 * 60);
        CHECK(o.window_pick >= BC_NLU_PICK_ANY && o.window_pick <= BC_NLU_PICK_LAST);
    } else {
        CHECK(o.window_from == 0 && o.window_to == 0 && o.window_pick == BC_NLU_PICK_ANY);
    }
    CHECK(o.n_service_candidates >= 0 && o.n_service_candidates <= BC_NLU_MAX_CANDIDATES);
    CHECK(o.n_provider_candidates >= 0 && o.n_provider_candidates <= BC_NLU_MAX_CANDIDATES);
    CHECK(!o.service_id || (o.n_service_candidates == 1 && known_id(o.service_id)));
    CHECK(!o.provider_id || (o.n_provider_candidates == 1 && known_id(o.provider_id)));
    for (int i = 0; i < o.n_service_candidates; i++) CHECK(known_id(o.service_candidates[i]));
    for (int i = 0; i < o.n_provider_candidates; i++) CHECK(known_id(o.provider_candidates[i]));
    if (o.email[0]) CHECK(strchr(o.email, '@') && !strchr(o.email, ' '));
    for (const char *c = o.phone; *c; c++) CHECK((*c >= '0' && *c <= '9') || (c == o.phone && *c == '+'));
    for (const char *c = o.code; *c; c++) CHECK((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z'));
    return 0;
}
