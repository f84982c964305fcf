/* Public holidays computed from rules: the DESIGN NOTES of holidays.h. To add a region or a country, add
 * its row to places[] and its rules to rules[] (docs/holidays.md). */
#include "domain/holidays.h"
#include "util/err.h"
#include "util/tz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum subst {
    SUBST_NONE,
    SUBST_NEXT_WEEKDAY, /* GB: Saturday/Sunday → the next weekday that is not a holiday */
    SUBST_NEAREST,      /* US federal: Saturday → Friday, Sunday → Monday */
};

/* A country (region NULL: its national holidays and its substitution rule) or one of its regions. */
struct place {
    const char *country;
    const char *region;
    enum subst subst;
};

static const struct place places[] = {
    {"ES", NULL, SUBST_NONE},          {"ES", "MD", SUBST_NONE},          {"ES", "CT", SUBST_NONE},
    {"ES", "AN", SUBST_NONE},          {"ES", "VC", SUBST_NONE},          {"ES", "PV", SUBST_NONE},
    {"US", NULL, SUBST_NEAREST},       {"GB", NULL, SUBST_NEXT_WEEKDAY},  {"GB", "ENG", SUBST_NEXT_WEEKDAY},
    {"GB", "WLS", SUBST_NEXT_WEEKDAY}, {"GB", "SCT", SUBST_NEXT_WEEKDAY},
};

enum kind {
    FIXED,  /* month, n = day of the month */
    EASTER, /* n = days from Easter Sunday (-3 Holy Thursday, -2 Good Friday, 1 Easter Monday, 50 Whit
               Monday) */
    NTH,    /* the nth (1..4) weekday wd of month; n = -1: the last one */
};

struct rule {
    const char *country;
    const char *regions; /* NULL: national; else the regions that keep it, ",MD,CT," */
    enum kind kind;
    int month, n, wd;
    const char *name;
};

static const struct rule rules[] = {
    /* Spain: national */
    {"ES", NULL, FIXED, 1, 1, 0, "Año Nuevo"},
    {"ES", NULL, FIXED, 1, 6, 0, "Epifanía del Señor"},
    {"ES", NULL, EASTER, 0, -2, 0, "Viernes Santo"},
    {"ES", NULL, FIXED, 5, 1, 0, "Fiesta del Trabajo"},
    {"ES", NULL, FIXED, 8, 15, 0, "Asunción de la Virgen"},
    {"ES", NULL, FIXED, 10, 12, 0, "Fiesta Nacional de España"},
    {"ES", NULL, FIXED, 11, 1, 0, "Todos los Santos"},
    {"ES", NULL, FIXED, 12, 6, 0, "Día de la Constitución"},
    {"ES", NULL, FIXED, 12, 8, 0, "Inmaculada Concepción"},
    {"ES", NULL, FIXED, 12, 25, 0, "Natividad del Señor"},
    /* Spain: regional, the ones kept every year */
    {"ES", ",MD,AN,PV,", EASTER, 0, -3, 0, "Jueves Santo"},
    {"ES", ",CT,VC,PV,", EASTER, 0, 1, 0, "Lunes de Pascua"},
    {"ES", ",MD,", FIXED, 5, 2, 0, "Fiesta de la Comunidad de Madrid"},
    {"ES", ",AN,", FIXED, 2, 28, 0, "Día de Andalucía"},
    {"ES", ",CT,", FIXED, 6, 24, 0, "Sant Joan"},
    {"ES", ",CT,", FIXED, 9, 11, 0, "Diada Nacional de Catalunya"},
    {"ES", ",CT,", FIXED, 12, 26, 0, "Sant Esteve"},
    {"ES", ",VC,", FIXED, 10, 9, 0, "Día de la Comunitat Valenciana"},
    /* United States: federal */
    {"US", NULL, FIXED, 1, 1, 0, "New Year's Day"},
    {"US", NULL, NTH, 1, 3, 1, "Martin Luther King Jr. Day"},
    {"US", NULL, NTH, 2, 3, 1, "Washington's Birthday"},
    {"US", NULL, NTH, 5, -1, 1, "Memorial Day"},
    {"US", NULL, FIXED, 6, 19, 0, "Juneteenth"},
    {"US", NULL, FIXED, 7, 4, 0, "Independence Day"},
    {"US", NULL, NTH, 9, 1, 1, "Labor Day"},
    {"US", NULL, NTH, 10, 2, 1, "Columbus Day"},
    {"US", NULL, FIXED, 11, 11, 0, "Veterans Day"},
    {"US", NULL, NTH, 11, 4, 4, "Thanksgiving Day"},
    {"US", NULL, FIXED, 12, 25, 0, "Christmas Day"},
    /* United Kingdom: everywhere, then England and Wales, then Scotland */
    {"GB", NULL, FIXED, 1, 1, 0, "New Year's Day"},
    {"GB", NULL, EASTER, 0, -2, 0, "Good Friday"},
    {"GB", NULL, NTH, 5, 1, 1, "Early May bank holiday"},
    {"GB", NULL, NTH, 5, -1, 1, "Spring bank holiday"},
    {"GB", NULL, FIXED, 12, 25, 0, "Christmas Day"},
    {"GB", NULL, FIXED, 12, 26, 0, "Boxing Day"},
    {"GB", ",ENG,WLS,", EASTER, 0, 1, 0, "Easter Monday"},
    {"GB", ",ENG,WLS,", NTH, 8, -1, 1, "Summer bank holiday"},
    {"GB", ",SCT,", FIXED, 1, 2, 0, "2nd January"},
    {"GB", ",SCT,", NTH, 8, 1, 1, "Summer bank holiday"},
    {"GB", ",SCT,", FIXED, 11, 30, 0, "St Andrew's Day"},
};

#define MAX_YEAR_HOLIDAYS 64

struct occ {
    int32_t day;
    const char *name;
};

static const struct place *find_place(const char *country, const char *region)
{
    if (!country) return NULL;
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
        if (!strcmp(places[i].country, country) &&
            (region ? places[i].region && !strcmp(places[i].region, region) : !places[i].region))
            return &places[i];
    return NULL;
}

int bc_holiday_place_check(const char *country, const char *region)
{
    return find_place(country, region) ? 0 : BC_EINVALID;
}

/* Easter Sunday of year (Gregorian), by the anonymous algorithm (Meeus/Jones/Butcher). */
static void easter(int year, int *month, int *day)
{
    int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
    int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    *month = (h + l - 7 * m + 114) / 31;
    *day = (h + l - 7 * m + 114) % 31 + 1;
}

static bool rule_applies(const struct rule *r, const struct place *p)
{
    if (strcmp(r->country, p->country)) return false;
    if (!r->regions) return true;
    if (!p->region) return false;
    const char *s = strstr(r->regions, p->region);
    size_t n = strlen(p->region);
    return s && s > r->regions && s[-1] == ',' && s[n] == ',';
}

/* The date of rule r in year, or -1 when it cannot be computed (outside util/tz's range). */
static int32_t rule_day(const struct rule *r, int year)
{
    int32_t day;
    int m, d;
    switch (r->kind) {
    case FIXED:
        return bc_tz_date_from_ymd(year, r->month, r->n, &day) < 0 ? -1 : day;
    case EASTER:
        easter(year, &m, &d);
        return bc_tz_date_from_ymd(year, m, d, &day) < 0 ? -1 : day + r->n;
    case NTH:
        if (r->n > 0) {
            if (bc_tz_date_from_ymd(year, r->month, 1, &day) < 0) return -1;
            return day + (r->wd - bc_tz_weekday(day) + 7) % 7 + 7 * (r->n - 1);
        }
        /* the last one: back from the first day of the next month */
        if (bc_tz_date_from_ymd(r->month == 12 ? year + 1 : year, r->month % 12 + 1, 1, &day) < 0) return -1;
        day--;
        return day - (bc_tz_weekday(day) - r->wd + 7) % 7;
    }
    return -1;
}

static int cmp_occ(const void *x, const void *y)
{
    const struct occ *a = x, *b = y;
    return (a->day > b->day) - (a->day < b->day);
}

static bool taken(const struct occ *o, size_t n, int32_t day)
{
    for (size_t i = 0; i < n; i++)
        if (o[i].day == day) return true;
    return false;
}

/* The holidays of year at place p with their substitute days (not sorted after those). Returns the count. */
static size_t year_holidays(const struct place *p, const struct place *nat, int year, struct occ *o)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0] && n < MAX_YEAR_HOLIDAYS / 2; i++) {
        if (!rule_applies(&rules[i], p)) continue;
        int32_t d = rule_day(&rules[i], year);
        if (d >= 0) o[n++] = (struct occ){d, rules[i].name};
    }
    qsort(o, n, sizeof *o, cmp_occ);
    size_t base = n;
    for (size_t i = 0; i < base; i++) {
        int wd = bc_tz_weekday(o[i].day);
        if (wd < 6) continue;
        int32_t s = o[i].day;
        if (nat->subst == SUBST_NEAREST) {
            s += wd == 6 ? -1 : 1;
        } else if (nat->subst == SUBST_NEXT_WEEKDAY) {
            do s++;
            while (bc_tz_weekday(s) >= 6 || taken(o, n, s));
        } else {
            continue;
        }
        o[n++] = (struct occ){s, o[i].name};
    }
    return n;
}

/* The last place and year asked for on this thread, with the holidays that fall in it: availability asks
 * about each day of a range, and a year's list costs a few dozen rules and a sort. Process-wide by design
 * (CONVENTIONS 17): a memo of a pure function of the constant tables, holding nothing of a store or a
 * tenant; per thread so it needs no lock, like util/tz's calendar cache. */
static _Thread_local struct {
    const struct place *p;
    int year;
    size_t n;
    struct occ o[2 * MAX_YEAR_HOLIDAYS];
} cache;

bool bc_holiday(const char *country, const char *region, int year, int month, int day, const char **name)
{
    const struct place *p = find_place(country, region), *nat = find_place(country, NULL);
    int32_t d;
    if (!p || !nat || bc_tz_date_from_ymd(year, month, day, &d) < 0) return false;
    if (cache.p != p || cache.year != year) {
        /* this year's, then next year's (a substitute can fall back into December); the day itself before
         * a substitute landing on it */
        cache.n = year_holidays(p, nat, year, cache.o);
        cache.n += year_holidays(p, nat, year + 1, cache.o + cache.n);
        cache.p = p;
        cache.year = year;
    }
    for (size_t i = 0; i < cache.n; i++) {
        if (cache.o[i].day != d) continue;
        if (name) *name = cache.o[i].name;
        return true;
    }
    return false;
}
