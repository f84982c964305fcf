/* libFuzzer target: arbitrary rule/date/time strings and numbers through the tz parsers and the availability
 * computation. Besides memory safety (ASan/UBSan) it checks invariants: parse/format round trips, spans
 * agree with direct ICU conversions, results are sorted and well-formed, offsets are ICU's, and
 * bc_availability_check accepts exactly the starts compute lists (DESIGN NOTES 5 of availability.h).
 * Input: 8 bytes of numbers, then lines: "R<weekday> HH:MM HH:MM", "E|e from to kind [HH:MM HH:MM]"
 * (professional / business exception), "B <minutes> <length>", "D from to", "Z zone". */
#include "domain/availability.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 32

static const char *zones[] = {
    "Europe/Madrid",     "America/New_York", "America/Santiago", "Australia/Lord_Howe",
    "Asia/Kolkata",      "Pacific/Chatham",  "Asia/Tehran",      "UTC",
    "Africa/Casablanca", "America/Havana",   "Antarctica/Troll", "Pacific/Apia"};
#define NZONES (sizeof zones / sizeof *zones)

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "invariant failed at line %d: %s\n", __LINE__, #cond);                           \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

/* Splits s (modified) at spaces into at most max tokens. */
static int tokens(char *s, char **tok, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save)) tok[n++] = t;
    return n;
}

static void parsers(const char *tok)
{
    int32_t day;
    if (bc_tz_date_parse(tok, &day) == 0) {
        char out[11];
        bc_tz_date_format(day, out);
        CHECK(strcmp(out, tok) == 0);
        CHECK(bc_tz_weekday(day) >= 1 && bc_tz_weekday(day) <= 7);
    }
    int m;
    if (bc_tz_hhmm_parse(tok, 1, &m) == 0) {
        char out[6];
        bc_tz_hhmm_format(m, out);
        CHECK(strcmp(out, tok) == 0);
        int m0;
        CHECK((bc_tz_hhmm_parse(tok, 0, &m0) == 0) == (m < 1440));
    }
}

static int listed(const struct bc_availability_slot *s, int n, size_t pro, int64_t t)
{
    for (int i = 0; i < n; i++)
        if (s[i].pro == pro && s[i].start == t) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > 4096) return 0;
    const uint8_t *b = data;
    struct bc_availability_query q = {
        .duration_min = (int)b[0] * 6 - 10,
        .slot_step_min = b[1] % 64 ? (int)(b[1] % 64) : (int)b[1] * 6,
        .buffer_before_min = b[2] % 4 == 0 ? (int)(b[2] / 4) : 0,
        .buffer_after_min = b[2] % 4 == 1 ? (int)(b[2] / 4) : 0,
        .min_notice_min = (int)b[3] * 11,
        .max_days_ahead = (int)(b[4] % 100),
        .max_slots = b[5] & 1 ? (size_t)(b[5] >> 1) : 0,
        .zone = zones[b[6] % NZONES],
        .from = "2026-03-01",
        .to = "2026-03-14",
    };
    q.now = 1767225600 + (int64_t)b[7] * 86400 * 2; /* 2026-01-01T00:00:00Z + up to ~17 months */
    const char *pro_zone = zones[(b[6] / NZONES) % NZONES];

    char *text = malloc(size - 8 + 1);
    if (!text) return 0;
    memcpy(text, data + 8, size - 8);
    text[size - 8] = '\0';

    struct bc_availability_rule rules[MAXN];
    struct bc_availability_exception exc[2][MAXN];
    struct bc_availability_busy busy[MAXN];
    size_t nr = 0, ne[2] = {0, 0}, nb = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tok[6];
        char kind = line[0];
        int n = tokens(line + 1, tok, 6);
        for (int i = 0; i < n; i++) parsers(tok[i]);
        if (kind == 'R' && n >= 2 && nr < MAXN) {
            /* "R<weekday> start end": the weekday is glued to the R, tok[0] is the start */
            rules[nr++] = (struct bc_availability_rule){line[1] - '0', tok[n - 2], tok[n - 1]};
        } else if ((kind == 'E' || kind == 'e') && n >= 3) {
            int w = kind == 'e';
            if (ne[w] < MAXN)
                exc[w][ne[w]++] = (struct bc_availability_exception){
                    tok[0], tok[1], (enum bc_availability_kind)(tok[2][0] - '0'), n >= 5 ? tok[3] : NULL,
                    n >= 5 ? tok[4] : NULL};
        } else if (kind == 'B' && n >= 2 && nb < MAXN) {
            long at = strtol(tok[0], NULL, 10) % 200000, len = strtol(tok[1], NULL, 10) % 2000;
            busy[nb++] = (struct bc_availability_busy){q.now + at * 60, q.now + (at + len) * 60};
        } else if (kind == 'D' && n >= 2) {
            q.from = tok[0];
            q.to = tok[1];
        } else if (kind == 'Z' && n >= 1) {
            pro_zone = tok[0];
        }
    }
    q.business_exceptions = exc[1];
    q.n_business_exceptions = ne[1];

    struct bc_availability_pro pros[2] = {
        {.id = "a",
         .zone = pro_zone,
         .rules = rules,
         .n_rules = nr,
         .exceptions = exc[0],
         .n_exceptions = ne[0],
         .busy = busy,
         .n_busy = nb},
        {.id = "b",
         .zone = zones[(b[7] + 3) % NZONES],
         .rules = rules,
         .n_rules = nr,
         .busy = busy,
         .n_busy = nb / 2},
    };
    size_t n_pros = 1 + (b[4] >> 7);

    struct bc_arena arena;
    bc_arena_init(&arena);
    struct bc_availability_slot *s = NULL;
    int n = bc_availability_compute(&q, pros, n_pros, &arena, &s);
    CHECK(n >= 0 || n == BC_EINVALID);
    if (getenv("BC_FUZZ_VERBOSE")) fprintf(stderr, "slots %d\n", n); /* to see what a corpus exercises */
    if (n >= 0) CHECK(q.max_slots == 0 || (size_t)n <= q.max_slots);
    int checks = 0;
    for (int i = 0; i < n; i++) {
        CHECK(s[i].end - s[i].start == (int64_t)q.duration_min * 60);
        CHECK(s[i].pro < n_pros && s[i].pro_id == pros[s[i].pro].id);
        CHECK(s[i].start >= q.now + (int64_t)q.min_notice_min * 60);
        CHECK(s[i].start <= q.now + (int64_t)q.max_days_ahead * 86400);
        if (i)
            CHECK(s[i - 1].start < s[i].start || (s[i - 1].start == s[i].start && s[i - 1].pro < s[i].pro));
        if (checks++ >= 24) continue;
        int32_t off;
        CHECK(bc_tz_offset_at(q.zone, s[i].start, &off) == 0 && off == s[i].start_offset);
        CHECK(bc_tz_offset_at(q.zone, s[i].end, &off) == 0 && off == s[i].end_offset);
        char iso[BC_TZ_ISO_SIZE];
        CHECK(bc_tz_format_iso_offset(s[i].start, s[i].start_offset, iso, sizeof iso) == 0);
        const struct bc_availability_pro *p = &pros[s[i].pro];
        CHECK(bc_availability_check(&q, p, s[i].start) == 0);
        /* a start one minute or one step later is a slot iff compute lists it (when nothing was cut off and
         * that start is still on a requested date) */
        int32_t from, to;
        CHECK(bc_tz_date_parse(q.from, &from) == 0 && bc_tz_date_parse(q.to, &to) == 0);
        for (int k = 0; k < 2 && q.max_slots == 0; k++) {
            int64_t t = s[i].start + (k ? q.slot_step_min : 1) * 60;
            struct bc_tz_local l;
            CHECK(bc_tz_from_utc(q.zone, t, &l) == 0);
            if (l.day < from || l.day > to) continue;
            CHECK((bc_availability_check(&q, p, t) == 0) == listed(s, n, s[i].pro, t));
        }
    }
    bc_arena_release(&arena);

    /* spans and direct conversions agree around the requested dates */
    int32_t day;
    if (bc_tz_date_parse(q.from, &day) == 0 && bc_tz_validate(pro_zone) == 0 && day > 2 &&
        day < BC_TZ_DATE_MAX - 3) {
        struct bc_tz_span sp;
        CHECK(bc_tz_span_load(pro_zone, ((int64_t)day - 2) * 86400, ((int64_t)day + 3) * 86400, &sp) == 0);
        for (int k = 0; k < 4; k++) {
            int sec = (int)((b[k] * 337u + (unsigned)k * 7919u) % 86400u);
            int64_t x = 0, y = 0;
            int rx = bc_tz_to_utc(pro_zone, day, sec, &x), ry = bc_tz_span_to_utc(&sp, day, sec, &y);
            CHECK(rx == ry && x == y);
            int64_t nv;
            CHECK(bc_tz_next_valid(pro_zone, day, sec, &nv) == 0 &&
                  nv == bc_tz_span_next_valid(&sp, day, sec));
        }
    }
    free(text);
    return 0;
}
