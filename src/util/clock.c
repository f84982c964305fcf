/* Wall and monotonic clocks, with a test shift, and RFC 3339 formatting/parsing in UTC terms. */
#include "util/clock.h"
#include "util/err.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t shift_ms; /* added to the real clock: set at start-up, moved only by test hooks */

void bc_clock_init(void)
{
    const char *s = getenv("BOOKCHAT_TEST_NOW");
    if (!s || !*s) return;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end && *end == '\0' && v > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        shift_ms = v * 1000 - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    }
}

void bc_clock_advance(int64_t seconds)
{
    shift_ms += seconds * 1000;
}

int64_t bc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + shift_ms;
}

int64_t bc_now_s(void)
{
    return bc_now_ms() / 1000;
}

int64_t bc_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void bc_time_format_utc(int64_t epoch_s, char *out, unsigned long size)
{
    time_t t = (time_t)epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int bc_time_parse_iso(const char *s, int64_t *epoch_s)
{
    int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 1;
    if (!s || strlen(s) < 16) return BC_EINVALID;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' ||
        digits(s + 14, 2, &mi))
        return BC_EINVALID;
    const char *p = s + 16;
    if (*p == ':') {
        if (digits(p + 1, 2, &sec)) return BC_EINVALID;
        p += 3;
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p)) return BC_EINVALID;
            while (isdigit((unsigned char)*p)) p++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om)) return BC_EINVALID;
        p += 6;
    } else {
        return BC_EINVALID;
    }
    if (*p) return BC_EINVALID;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        sec > 59 || oh > 23 || om > 59)
        return BC_EINVALID;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return BC_EINVALID;
    *epoch_s = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    return 0;
}

void bc_now_iso(char out[32])
{
    /* every log line and most writes take a timestamp: the seconds' text is formatted once per second and
     * thread, the milliseconds by hand */
    static _Thread_local int64_t cached_s = INT64_MIN;
    static _Thread_local char base[32];
    int64_t ms = bc_now_ms(), s = ms / 1000;
    int m = (int)(ms % 1000);
    if (ms < 0) { /* before 1970 (a test clock): the plain way */
        char old[32];
        bc_time_format_utc(s, old, sizeof old);
        snprintf(out, 32, "%.19s.%03dZ", old, m);
        return;
    }
    if (s != cached_s) {
        bc_time_format_utc(s, base, sizeof base);
        cached_s = s;
    }
    memcpy(out, base, 19);
    out[19] = '.';
    out[20] = (char)('0' + m / 100);
    out[21] = (char)('0' + m / 10 % 10);
    out[22] = (char)('0' + m % 10);
    out[23] = 'Z';
    out[24] = '\0';
}
