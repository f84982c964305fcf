/* Time zones over ICU's ucal, civil-date arithmetic and strict date/time strings. See tz.h for the rules
 * (gaps, repeated hours, spans) and the per-thread calendar cache. */
#include "util/tz.h"
#include "util/err.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uclean.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

/* ---- civil dates ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse (Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int bc_tz_date_from_ymd(int year, int month, int mday, int32_t *day)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1970 || year > 2999 || month < 1 || month > 12 || mday < 1) return BC_EINVALID;
    if (mday > mdays[month - 1] + (month == 2 && is_leap(year))) return BC_EINVALID;
    *day = (int32_t)days_from_civil(year, month, mday);
    return 0;
}

void bc_tz_date_to_ymd(int32_t day, int *year, int *month, int *mday)
{
    civil_from_days(day, year, month, mday);
}

int bc_tz_weekday(int32_t day)
{
    /* 1970-01-01 was a Thursday (4). */
    return (int)(((int64_t)day % 7 + 7 + 3) % 7) + 1;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int bc_tz_date_parse(const char *s, int32_t *day)
{
    int y, m, d;
    if (!s || strnlen(s, 11) != 10) return BC_EINVALID;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' || digits(s + 8, 2, &d))
        return BC_EINVALID;
    return bc_tz_date_from_ymd(y, m, d, day);
}

/* Two digits of v (0..99) at p; returns the position after them. Dates and times by hand: an availability
 * answer formats two per slot, and snprintf was a sixth of its time. */
static char *two(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* "YYYY-MM-DD" at p (y 0..9999), no NUL; returns the position after it. */
static char *put_date(char *p, int y, int m, int d)
{
    p = two(two(p, y / 100), y % 100);
    *p++ = '-';
    p = two(p, m);
    *p++ = '-';
    return two(p, d);
}

void bc_tz_date_format(int32_t day, char out[11])
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999) {
        snprintf(out, 11, "0000-00-00");
        return;
    }
    *put_date(out, y, m, d) = '\0';
}

int bc_tz_hhmm_parse(const char *s, int allow_24, int *minutes)
{
    int h, m;
    if (!s || strnlen(s, 6) != 5 || digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &m))
        return BC_EINVALID;
    if (h == 24 && m == 0 && allow_24) {
        *minutes = 1440;
        return 0;
    }
    if (h > 23 || m > 59) return BC_EINVALID;
    *minutes = h * 60 + m;
    return 0;
}

void bc_tz_hhmm_format(int minutes, char out[6])
{
    if (minutes < 0 || minutes > 1440) minutes = 0;
    snprintf(out, 6, "%02u:%02u", (unsigned)minutes / 60u % 100u, (unsigned)minutes % 60u);
}

int bc_tz_format_iso_offset(int64_t utc, int32_t offset, char *out, size_t size)
{
    if (!out || size < BC_TZ_ISO_SIZE || offset <= -86400 || offset >= 86400) return BC_EINVALID;
    int64_t local = utc + offset;
    int64_t day = floor_div(local, 86400);
    int sec = (int)(local - day * 86400);
    if (day < BC_TZ_DATE_MIN || day > BC_TZ_DATE_MAX) return BC_EINVALID;
    int y, mo, d;
    civil_from_days(day, &y, &mo, &d);
    int32_t a = offset < 0 ? -offset : offset;
    /* "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d[:%02d]" (the year is 1970-2999, the offset under a day) */
    char *p = put_date(out, y, mo, d);
    *p++ = 'T';
    p = two(p, sec / 3600);
    *p++ = ':';
    p = two(p, sec / 60 % 60);
    *p++ = ':';
    p = two(p, sec % 60);
    *p++ = offset < 0 ? '-' : '+';
    p = two(p, (int)(a / 3600));
    *p++ = ':';
    p = two(p, (int)(a / 60 % 60));
    if (a % 60) {
        *p++ = ':';
        p = two(p, (int)(a % 60));
    }
    *p = '\0';
    return 0;
}

/* ---- the per-thread calendar cache ---- */

#define CACHE_N 8

struct cal_entry {
    char zone[BC_TZ_NAME_MAX + 1];
    UCalendar *cal;
    uint64_t used;
};

struct cal_cache {
    struct cal_entry e[CACHE_N];
    uint64_t tick;
};

static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key;
static int cache_key_ok;
static _Thread_local struct cal_cache *tls_cache;

static void cache_destroy(void *p)
{
    struct cal_cache *c = p;
    if (!c) return;
    for (int i = 0; i < CACHE_N; i++)
        if (c->e[i].cal) ucal_close(c->e[i].cal);
    free(c);
}

static void cache_key_create(void)
{
    cache_key_ok = pthread_key_create(&cache_key, cache_destroy) == 0;
}

static struct cal_cache *cache_get(void)
{
    if (tls_cache) return tls_cache;
    pthread_once(&cache_once, cache_key_create);
    struct cal_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (cache_key_ok) pthread_setspecific(cache_key, c);
    tls_cache = c;
    return c;
}

/* Characters of IANA ids ("America/Port-au-Prince", "Etc/GMT+5"): checked before ICU sees the name. */
static int name_ok(const char *zone, size_t *len)
{
    if (!zone) return 0;
    size_t n = strnlen(zone, BC_TZ_NAME_MAX + 1);
    if (n == 0 || n > BC_TZ_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = zone[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '/' ||
              ch == '_' || ch == '-' || ch == '+'))
            return 0;
    }
    *len = n;
    return 1;
}

/* A calendar for zone, owned by this thread's cache (valid until this thread's next call here). */
static int calendar(const char *zone, UCalendar **out)
{
    size_t len;
    if (!name_ok(zone, &len)) return BC_EINVALID;
    struct cal_cache *c = cache_get();
    if (!c) return BC_ENOMEM;
    c->tick++;
    struct cal_entry *victim = &c->e[0];
    for (int i = 0; i < CACHE_N; i++) {
        struct cal_entry *e = &c->e[i];
        if (e->cal && strcmp(e->zone, zone) == 0) {
            e->used = c->tick;
            *out = e->cal;
            return 0;
        }
        if (!e->cal || (victim->cal && e->used < victim->used)) victim = e;
    }

    UChar uzone[BC_TZ_NAME_MAX + 1], canon[BC_TZ_NAME_MAX + 1];
    u_charsToUChars(zone, uzone, (int32_t)len + 1);
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = ucal_getCanonicalTimeZoneID(uzone, (int32_t)len, canon, BC_TZ_NAME_MAX + 1, &system, &st);
    if (U_FAILURE(st) || !system || n <= 0) return BC_EINVALID;
    static const UChar unknown[] = {'E', 't', 'c', '/', 'U', 'n', 'k', 'n', 'o', 'w', 'n', 0};
    if (u_strcmp(canon, unknown) == 0) return BC_EINVALID;

    UCalendar *cal = ucal_open(uzone, (int32_t)len, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st) || !cal) {
        if (cal) ucal_close(cal);
        return st == U_MEMORY_ALLOCATION_ERROR ? BC_ENOMEM : BC_EINTERNAL;
    }
    /* Lenient (the default) so that a gap time resolves to the first valid instant after it, and a repeated
     * time to its first occurrence; callers detect gaps by converting back. */
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    if (victim->cal) ucal_close(victim->cal);
    memcpy(victim->zone, zone, len + 1);
    victim->cal = cal;
    victim->used = c->tick;
    *out = cal;
    return 0;
}

void bc_tz_global_cleanup(void)
{
    if (tls_cache) {
        if (cache_key_ok) pthread_setspecific(cache_key, NULL);
        cache_destroy(tls_cache);
        tls_cache = NULL;
    }
    u_cleanup();
}

/* ---- zones ---- */

int bc_tz_validate(const char *zone)
{
    UCalendar *cal;
    return calendar(zone, &cal) == 0 ? 0 : BC_EINVALID;
}

static int offset_of(UCalendar *cal, UDate ms, int32_t *offset)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(cal, ms, &st);
    int32_t z = ucal_get(cal, UCAL_ZONE_OFFSET, &st);
    int32_t d = ucal_get(cal, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st)) return BC_EINTERNAL;
    *offset = (z + d) / 1000;
    return 0;
}

/* Recent zones' offsets as spans (per thread): inside a span's window its answers are exactly ICU's (see
 * the span functions), with arithmetic instead of an ICU calendar computation per call. */
#define OFFSET_SPANS 4
struct offset_span {
    char zone[BC_TZ_NAME_MAX + 1];
    struct bc_tz_span span;
};
static _Thread_local struct offset_span offset_spans[OFFSET_SPANS];
static _Thread_local unsigned offset_next;

int bc_tz_offset_at(const char *zone, int64_t utc, int32_t *offset)
{
    for (int i = 0; i < OFFSET_SPANS; i++) {
        struct offset_span *o = &offset_spans[i];
        if (o->zone[0] && utc >= o->span.from && utc < o->span.to && strcmp(o->zone, zone) == 0) {
            *offset = bc_tz_span_offset(&o->span, utc);
            return 0;
        }
    }
    UCalendar *cal;
    int rc = calendar(zone, &cal);
    if (rc < 0) return rc;
    if ((rc = offset_of(cal, (UDate)utc * 1000.0, offset)) < 0) return rc;
    /* the zone is valid: keep its offsets from a day before to about half a year after */
    struct offset_span *o = &offset_spans[offset_next++ % OFFSET_SPANS];
    o->zone[0] = '\0';
    if (strlen(zone) < sizeof o->zone && bc_tz_span_load(zone, utc - 86400, utc + 180 * 86400, &o->span) == 0)
        memcpy(o->zone, zone, strlen(zone) + 1);
    return 0;
}

static void fill_local(int64_t utc, int32_t offset, struct bc_tz_local *out)
{
    int64_t local = utc + offset;
    int64_t day = floor_div(local, 86400);
    out->day = (int32_t)day;
    out->sec = (int)(local - day * 86400);
    civil_from_days(day, &out->year, &out->month, &out->mday);
    out->hour = out->sec / 3600;
    out->minute = out->sec / 60 % 60;
    out->second = out->sec % 60;
    out->weekday = bc_tz_weekday(out->day);
    out->offset = offset;
}

int bc_tz_from_utc(const char *zone, int64_t utc, struct bc_tz_local *out)
{
    int32_t off;
    int rc = bc_tz_offset_at(zone, utc, &off);
    if (rc < 0) return rc;
    fill_local(utc, off, out);
    return 0;
}

/* Local (day, sec) through ICU with the calendar's gap/repeat attributes; *exists says whether the
 * result shows that very wall-clock time (false: it was in a gap and the result is the gap's end). */
static int local_to_utc(const char *zone, int32_t day, int sec, int64_t *utc, int *exists)
{
    if (day < BC_TZ_DATE_MIN || day > BC_TZ_DATE_MAX || sec < 0 || sec > 86400) return BC_EINVALID;
    UCalendar *cal;
    int rc = calendar(zone, &cal);
    if (rc < 0) return rc;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    UErrorCode st = U_ZERO_ERROR;
    ucal_clear(cal);
    ucal_setDateTime(cal, y, m - 1, d, sec / 3600, sec / 60 % 60, sec % 60, &st);
    UDate ms = ucal_getMillis(cal, &st);
    if (U_FAILURE(st)) return BC_EINTERNAL;
    int64_t t = (int64_t)(ms / 1000.0);
    int32_t off;
    if ((rc = offset_of(cal, (UDate)t * 1000.0, &off)) < 0) return rc;
    *utc = t;
    *exists = t + off == (int64_t)day * 86400 + sec;
    return 0;
}

int bc_tz_to_utc(const char *zone, int32_t day, int sec, int64_t *utc)
{
    int exists;
    int64_t t;
    if (sec >= 86400) return BC_EINVALID;
    int rc = local_to_utc(zone, day, sec, &t, &exists);
    if (rc < 0) return rc;
    if (!exists) return BC_ENOT_FOUND;
    *utc = t;
    return 0;
}

int bc_tz_next_valid(const char *zone, int32_t day, int sec, int64_t *utc)
{
    int exists;
    if (sec == 86400 && day < BC_TZ_DATE_MAX) {
        day++;
        sec = 0;
    }
    return local_to_utc(zone, day, sec, utc, &exists);
}

int bc_tz_day_start(const char *zone, int32_t day, int64_t *utc)
{
    return bc_tz_next_valid(zone, day, 0, utc);
}

int bc_tz_format_iso(const char *zone, int64_t utc, char *out, size_t size)
{
    int32_t off;
    int rc = bc_tz_offset_at(zone, utc, &off);
    if (rc < 0) return rc;
    return bc_tz_format_iso_offset(utc, off, out, size);
}

/* ---- spans ---- */

int bc_tz_span_load(const char *zone, int64_t from, int64_t to, struct bc_tz_span *span)
{
    if (to <= from || to - from > BC_TZ_SPAN_SECS) return BC_EINVALID;
    /* ICU's UDate is a double of milliseconds; keep to the years where that is exact and meaningful. */
    if (from < -86400LL * 365 * 100 || to > 86400LL * 365 * 2000) return BC_EINVALID;
    UCalendar *cal;
    int rc = calendar(zone, &cal);
    if (rc < 0) return rc;
    int32_t off;
    if ((rc = offset_of(cal, (UDate)from * 1000.0, &off)) < 0) return rc;
    span->from = from;
    span->to = to;
    span->n = 1;
    span->start[0] = from;
    span->offset[0] = off;
    for (;;) {
        UErrorCode st = U_ZERO_ERROR;
        UDate tr;
        /* the calendar is positioned at the previous transition (or at from) by offset_of */
        if (!ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &tr, &st) || U_FAILURE(st)) break;
        int64_t t = (int64_t)(tr / 1000.0);
        if (t >= to) break;
        if ((rc = offset_of(cal, tr, &off)) < 0) return rc;
        if (off == span->offset[span->n - 1]) continue; /* a rename or a raw/DST swap: same wall clock */
        if (span->n == BC_TZ_SPAN_MAX) return BC_EINTERNAL;
        span->start[span->n] = t;
        span->offset[span->n] = off;
        span->n++;
    }
    return 0;
}

int32_t bc_tz_span_offset(const struct bc_tz_span *span, int64_t utc)
{
    int i = span->n - 1;
    while (i > 0 && utc < span->start[i]) i--;
    return span->offset[i];
}

int bc_tz_span_to_utc(const struct bc_tz_span *span, int32_t day, int sec, int64_t *utc)
{
    const int64_t local = (int64_t)day * 86400 + sec;
    /* Segments are in time order, so the first one that contains the local time holds its first
     * occurrence; none means a gap. The outer segments extend without bound. */
    for (int i = 0; i < span->n; i++) {
        int64_t t = local - span->offset[i];
        if (i > 0 && t < span->start[i]) continue;
        if (i + 1 < span->n && t >= span->start[i + 1]) continue;
        *utc = t;
        return 0;
    }
    return BC_ENOT_FOUND;
}

int64_t bc_tz_span_next_valid(const struct bc_tz_span *span, int32_t day, int sec)
{
    int64_t t;
    if (bc_tz_span_to_utc(span, day, sec, &t) == 0) return t;
    /* In a gap: the first instant whose wall clock reads at least that local time. Within one segment the
     * wall clock only moves forward, so each segment offers max(its start, local - offset). */
    const int64_t local = (int64_t)day * 86400 + sec;
    int64_t best = INT64_MAX;
    for (int i = 0; i < span->n; i++) {
        int64_t cand = local - span->offset[i];
        if (i > 0 && cand < span->start[i]) cand = span->start[i];
        if (i + 1 < span->n && cand >= span->start[i + 1]) continue;
        if (cand < best) best = cand;
    }
    return best;
}

void bc_tz_span_local(const struct bc_tz_span *span, int64_t utc, struct bc_tz_local *out)
{
    fill_local(utc, bc_tz_span_offset(span, utc), out);
}
