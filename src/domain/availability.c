/* Availability computation: weekly rules + exceptions → open wall-clock intervals per local date → real
 * (UTC) intervals through a tz span → slot starts on the wall-clock grid, filtered by fit, busy intervals,
 * notice, horizon and requested dates. The invariants are the DESIGN NOTES of availability.h.
 *
 * How it stays fast: a day's open time is a 1440-bit map (set for open, clear for closed, then read back as
 * runs), and every local<->UTC conversion goes through a struct bc_tz_span loaded once per zone per call,
 * so the loops make no ICU call. */
#include "domain/availability.h"
#include "domain/holidays.h"
#include "util/err.h"
#include "util/tz.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MIN   1440
#define DAY_WORDS ((DAY_MIN + 63) / 64)

/* Limits of the query (see availability.h). */
#define MAX_DURATION   1440
#define MAX_BUFFER     1440
#define MAX_STEP       1440
#define MAX_NOTICE     527040
#define MAX_DAYS_AHEAD 3660
/* Days of professional-local open time built around the candidate days: a slot with its buffers reaches at
 * most 1440 minutes back and 2880 forward, plus an hour of DST and a day of rounding. */
#define MARGIN_BEFORE 2
#define MARGIN_AFTER  3

struct daymap {
    uint64_t w[DAY_WORDS];
};

/* A parsed exception: local dates [from, to], minutes [a, b). */
struct pexc {
    int32_t from, to;
    int open;
    int a, b;
};

/* A run of open wall-clock minutes [a, b) on local date day: where slot grids start. */
struct run {
    int32_t day;
    int a, b;
};

struct interval {
    int64_t start, end;
};

/* Growable arrays on malloc, freed by the function that owns them. */
struct vec {
    void *data;
    size_t n, cap, size;
};

static int vec_push(struct vec *v, const void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        void *p = realloc(v->data, cap * v->size);
        if (!p) return BC_ENOMEM;
        v->data = p;
        v->cap = cap;
    }
    memcpy((char *)v->data + v->n * v->size, item, v->size);
    v->n++;
    return 0;
}

/* ---- parsing and validation ---- */

static void map_fill(struct daymap *m, int a, int b, int on)
{
    for (int i = a; i < b;) {
        int w = i / 64, bit = i % 64;
        int len = b - i < 64 - bit ? b - i : 64 - bit;
        uint64_t mask = (len == 64 ? ~0ULL : ((1ULL << len) - 1)) << bit;
        if (on)
            m->w[w] |= mask;
        else
            m->w[w] &= ~mask;
        i += len;
    }
}

/* First minute >= from whose bit equals want, or DAY_MIN. */
static int map_next(const struct daymap *m, int from, int want)
{
    while (from < DAY_MIN) {
        int w = from / 64, bit = from % 64;
        uint64_t x = want ? m->w[w] : ~m->w[w];
        x &= ~0ULL << bit;
        if (x) {
            int r = w * 64 + __builtin_ctzll(x);
            return r < DAY_MIN ? r : DAY_MIN;
        }
        from = (w + 1) * 64;
    }
    return DAY_MIN;
}

static int parse_span(const char *start, const char *end, int *a, int *b)
{
    if (bc_tz_hhmm_parse(start, 0, a) < 0 || bc_tz_hhmm_parse(end, 1, b) < 0 || *b <= *a) return BC_EINVALID;
    return 0;
}

/* Parses rules into one map per weekday (week[1..7]). */
static int parse_rules(const struct bc_availability_rule *rules, size_t n, struct daymap week[8])
{
    memset(week, 0, 8 * sizeof week[0]);
    if (n && !rules) return BC_EINVALID;
    for (size_t i = 0; i < n; i++) {
        int a, b;
        if (rules[i].weekday < 1 || rules[i].weekday > 7) return BC_EINVALID;
        if (parse_span(rules[i].start, rules[i].end, &a, &b) < 0) return BC_EINVALID;
        map_fill(&week[rules[i].weekday], a, b, 1);
    }
    return 0;
}

static int parse_exception(const struct bc_availability_exception *e, struct pexc *out)
{
    if (!e || bc_tz_date_parse(e->from, &out->from) < 0 || bc_tz_date_parse(e->to, &out->to) < 0 ||
        out->to < out->from)
        return BC_EINVALID;
    if (e->kind != BC_AVAILABILITY_CLOSED && e->kind != BC_AVAILABILITY_OPEN) return BC_EINVALID;
    out->open = e->kind == BC_AVAILABILITY_OPEN;
    if (!e->start && !e->end) {
        out->a = 0;
        out->b = DAY_MIN;
        return 0;
    }
    return parse_span(e->start, e->end, &out->a, &out->b);
}

int bc_availability_validate_rules(const struct bc_availability_rule *rules, size_t n)
{
    struct daymap week[8];
    return parse_rules(rules, n, week);
}

int bc_availability_validate_exception(const struct bc_availability_exception *e)
{
    struct pexc p;
    return parse_exception(e, &p);
}

/* The numeric limits shared by compute and check. */
static int validate_query(const struct bc_availability_query *q)
{
    if (!q) return BC_EINVALID;
    if (q->duration_min < 1 || q->duration_min > MAX_DURATION) return BC_EINVALID;
    if (q->buffer_before_min < 0 || q->buffer_before_min > MAX_BUFFER) return BC_EINVALID;
    if (q->buffer_after_min < 0 || q->buffer_after_min > MAX_BUFFER) return BC_EINVALID;
    if (q->slot_step_min < 1 || q->slot_step_min > MAX_STEP) return BC_EINVALID;
    if (q->min_notice_min < 0 || q->min_notice_min > MAX_NOTICE) return BC_EINVALID;
    if (q->max_days_ahead < 1 || q->max_days_ahead > MAX_DAYS_AHEAD) return BC_EINVALID;
    if (q->now < 0 || q->now > (int64_t)BC_TZ_DATE_MAX * 86400) return BC_EINVALID;
    if (q->n_business_exceptions && !q->business_exceptions) return BC_EINVALID;
    if (q->n_holidays_open && !q->holidays_open) return BC_EINVALID;
    return 0;
}

/* ---- one professional ---- */

/* Everything one professional needs, parsed once; released by pro_release. */
struct pro {
    const struct bc_availability_query *q;
    const struct bc_availability_pro *in;
    struct daymap week[8];
    struct vec exc;    /* struct pexc: the professional's and the business's */
    struct vec busy;   /* struct interval, sorted, merged */
    struct vec groups; /* struct group: joinable sessions of a group service (bc_availability_busy) */
};

struct group {
    int64_t start, end;
    int taken;
};

/* Whether the widened slot [ws, we) is kept off by a session: true when it overlaps one it is not exactly;
 * *seats: the seats left of the one it joins (else unchanged). */
static bool session_blocks(const struct vec *groups, int capacity, int64_t ws, int64_t we, int *seats)
{
    const struct group *g = groups->data;
    for (size_t i = 0; i < groups->n; i++) {
        if (!(g[i].start < we && ws < g[i].end)) continue;
        if (capacity <= 1 || g[i].start != ws || g[i].end != we) return true;
        *seats = capacity - g[i].taken;
    }
    return false;
}

static int cmp_interval(const void *x, const void *y)
{
    const struct interval *a = x, *b = y;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    return (a->end > b->end) - (a->end < b->end);
}

/* Sorts intervals and merges overlapping or touching ones, in place. */
static void merge_intervals(struct vec *v)
{
    struct interval *iv = v->data;
    if (v->n < 2) return;
    int sorted = 1;
    for (size_t i = 1; i < v->n && sorted; i++) sorted = iv[i - 1].start <= iv[i].start;
    if (!sorted) qsort(iv, v->n, sizeof *iv, cmp_interval);
    size_t k = 0;
    for (size_t i = 1; i < v->n; i++) {
        if (iv[i].start <= iv[k].end) {
            if (iv[i].end > iv[k].end) iv[k].end = iv[i].end;
        } else {
            iv[++k] = iv[i];
        }
    }
    v->n = k + 1;
}

static void pro_release(struct pro *p)
{
    free(p->exc.data);
    free(p->busy.data);
    free(p->groups.data);
}

static int pro_parse(const struct bc_availability_query *q, const struct bc_availability_pro *in,
                     struct pro *p)
{
    int rc = BC_EINVALID;
    memset(p, 0, sizeof *p);
    p->q = q;
    p->in = in;
    p->exc.size = sizeof(struct pexc);
    p->busy.size = sizeof(struct interval);
    p->groups.size = sizeof(struct group);
    if (!in || !in->id || bc_tz_validate(in->zone) < 0) goto out;
    if ((rc = parse_rules(in->rules, in->n_rules, p->week)) < 0) goto out;
    rc = BC_EINVALID;
    if ((in->n_exceptions && !in->exceptions) || (in->n_busy && !in->busy)) goto out;
    for (size_t pass = 0; pass < 2; pass++) {
        const struct bc_availability_exception *e = pass ? in->exceptions : q->business_exceptions;
        size_t n = pass ? in->n_exceptions : q->n_business_exceptions;
        for (size_t i = 0; i < n; i++) {
            struct pexc x;
            if ((rc = parse_exception(&e[i], &x)) < 0) goto out;
            if ((rc = vec_push(&p->exc, &x)) < 0) goto out;
        }
    }
    for (size_t i = 0; i < in->n_busy; i++) {
        struct interval b = {in->busy[i].start, in->busy[i].end};
        rc = BC_EINVALID;
        if (b.end <= b.start) goto out;
        if (in->busy[i].seats_taken > 0) { /* a session to join, not plain busy time */
            struct group g = {b.start, b.end, in->busy[i].seats_taken};
            if ((rc = vec_push(&p->groups, &g)) < 0) goto out;
            continue;
        }
        if ((rc = vec_push(&p->busy, &b)) < 0) goto out;
    }
    merge_intervals(&p->busy);
    rc = 0;
out:
    if (rc < 0) pro_release(p);
    return rc;
}

/* The open wall-clock map of local date day (DESIGN NOTES 1). */
static void day_map(const struct pro *p, int32_t day, struct daymap *m)
{
    const struct pexc *x = p->exc.data;
    *m = p->week[bc_tz_weekday(day)];
    for (int open = 1; open >= 0; open--)
        for (size_t i = 0; i < p->exc.n; i++)
            if (x[i].open == open && x[i].from <= day && day <= x[i].to) map_fill(m, x[i].a, x[i].b, open);
    if (p->q->holiday_country && bc_availability_holiday(p->q, day, NULL)) memset(m, 0, sizeof *m);
}

bool bc_availability_holiday(const struct bc_availability_query *q, int32_t day, const char **name)
{
    int y, mo, d;
    if (!q->holiday_country) return false;
    bc_tz_date_to_ymd(day, &y, &mo, &d);
    if (!bc_holiday(q->holiday_country, q->holiday_region, y, mo, d, name)) return false;
    char date[11];
    bc_tz_date_format(day, date);
    for (size_t i = 0; i < q->n_holidays_open; i++)
        if (q->holidays_open[i] && !strcmp(q->holidays_open[i], date)) return false;
    return true;
}

/* Index of the last interval with start <= t, or -1. */
static long find_le(const struct interval *iv, size_t n, int64_t t)
{
    long lo = 0, hi = (long)n - 1, r = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (iv[mid].start <= t) {
            r = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return r;
}

/* Whether [ws, we) overlaps a busy interval (sorted, disjoint). */
static int is_busy(const struct vec *busy, int64_t ws, int64_t we)
{
    const struct interval *b = busy->data;
    long i = find_le(b, busy->n, ws);
    if (i >= 0 && b[i].end > ws) return 1; /* starts before ws and reaches into it */
    size_t j = (size_t)(i + 1);            /* first one starting after ws */
    return j < busy->n && b[j].start < we;
}

/* Appends to out the free slots of p whose start lies in [lo, hi) (only that one start if only >= 0),
 * with offsets from span_q. span_p must cover the professional's days around [lo, hi) (see MARGIN_*). */
static int pro_slots(const struct bc_availability_query *q, struct pro *p, size_t index,
                     const struct bc_tz_span *span_p, const struct bc_tz_span *span_q, int64_t lo, int64_t hi,
                     int64_t only, struct vec *out)
{
    int rc = 0;
    struct vec open = {.size = sizeof(struct interval)}, runs = {.size = sizeof(struct run)};
    if (lo >= hi) goto out;
    struct bc_tz_local l0, l1;
    bc_tz_span_local(span_p, lo, &l0);
    bc_tz_span_local(span_p, hi - 1, &l1);

    for (int32_t d = l0.day - MARGIN_BEFORE; d <= l1.day + MARGIN_AFTER; d++) {
        struct daymap m;
        day_map(p, d, &m);
        for (int a = map_next(&m, 0, 1); a < DAY_MIN;) {
            int b = map_next(&m, a, 0);
            struct interval iv = {bc_tz_span_next_valid(span_p, d, a * 60),
                                  bc_tz_span_next_valid(span_p, d, b * 60)};
            if (iv.start < iv.end && (rc = vec_push(&open, &iv)) < 0) goto out;
            struct run r = {d, a, b};
            if (d >= l0.day && d <= l1.day && (rc = vec_push(&runs, &r)) < 0) goto out;
            a = map_next(&m, b, 1);
        }
    }
    merge_intervals(&open);

    const struct interval *ov = open.data;
    const struct run *rv = runs.data;
    const int64_t before = (int64_t)q->buffer_before_min * 60;
    const int64_t len = (int64_t)q->duration_min * 60, after = (int64_t)q->buffer_after_min * 60;
    for (size_t r = 0; r < runs.n; r++) {
        for (int mnt = rv[r].a; mnt < rv[r].b; mnt += q->slot_step_min) {
            int64_t s;
            if (bc_tz_span_to_utc(span_p, rv[r].day, mnt * 60, &s) < 0) continue; /* in a DST gap */
            if (s < lo || s >= hi || (only >= 0 && s != only)) continue;
            int64_t ws = s - before, we = s + len + after;
            long i = find_le(ov, open.n, ws);
            if (i < 0 || ov[i].end < we) continue;
            if (is_busy(&p->busy, ws, we)) continue;
            int seats = q->capacity > 1 ? q->capacity : 0;
            if (p->groups.n && session_blocks(&p->groups, q->capacity, ws, we, &seats)) continue;
            struct bc_availability_slot slot = {
                .start = s,
                .end = s + len,
                .start_offset = bc_tz_span_offset(span_q, s),
                .end_offset = bc_tz_span_offset(span_q, s + len),
                .pro = index,
                .pro_id = p->in->id,
                .seats_left = seats,
            };
            if ((rc = vec_push(out, &slot)) < 0) goto out;
            if (q->max_slots && out->n >= q->max_slots) goto out;
        }
    }
out:
    free(open.data);
    free(runs.data);
    return rc;
}

/* The allowed starts [lo, hi) of the notice and the horizon, intersected with [w0, w1). */
static void clip(const struct bc_availability_query *q, int64_t w0, int64_t w1, int64_t *lo, int64_t *hi)
{
    int64_t nlo = q->now + (int64_t)q->min_notice_min * 60;
    int64_t nhi = q->now + (int64_t)q->max_days_ahead * 86400 + 1; /* the horizon itself is allowed */
    *lo = w0 > nlo ? w0 : nlo;
    *hi = w1 < nhi ? w1 : nhi;
}

static int cmp_slot(const void *x, const void *y)
{
    const struct bc_availability_slot *a = x, *b = y;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    return (a->pro > b->pro) - (a->pro < b->pro);
}

int bc_availability_compute(const struct bc_availability_query *q, const struct bc_availability_pro *pros,
                            size_t n_pros, struct bc_arena *arena, struct bc_availability_slot **slots)
{
    int rc;
    struct vec all = {.size = sizeof(struct bc_availability_slot)};
    struct pro *parsed = NULL;
    size_t n_parsed = 0;
    int32_t from, to;
    struct bc_tz_span span_q, span_p;

    if (slots) *slots = NULL;
    if ((rc = validate_query(q)) < 0) goto out;
    rc = BC_EINVALID;
    if (!arena || !slots || (n_pros && !pros)) goto out;
    if (bc_tz_date_parse(q->from, &from) < 0 || bc_tz_date_parse(q->to, &to) < 0) goto out;
    if (to < from || to - from + 1 > BC_AVAILABILITY_MAX_RANGE_DAYS) goto out;
    /* Every local date of either zone that can matter lies within these days (offsets are under 15 h). */
    const int64_t win0 = ((int64_t)from - 5) * 86400, win1 = ((int64_t)to + 7) * 86400;
    if ((rc = bc_tz_span_load(q->zone, win0, win1, &span_q)) < 0) goto out;

    rc = BC_ENOMEM;
    if (n_pros && !(parsed = calloc(n_pros, sizeof *parsed))) goto out;
    for (; n_parsed < n_pros; n_parsed++)
        if ((rc = pro_parse(q, &pros[n_parsed], &parsed[n_parsed])) < 0) goto out;

    int64_t lo, hi;
    clip(q, bc_tz_span_next_valid(&span_q, from, 0), bc_tz_span_next_valid(&span_q, to + 1, 0), &lo, &hi);
    for (size_t i = 0; i < n_pros && lo < hi; i++) {
        const struct bc_tz_span *sp = &span_q;
        if (strcmp(pros[i].zone, q->zone) != 0) {
            if ((rc = bc_tz_span_load(pros[i].zone, win0, win1, &span_p)) < 0) goto out;
            sp = &span_p;
        }
        size_t before = all.n;
        struct bc_availability_query one = *q;
        if (q->max_slots) one.max_slots = before + q->max_slots; /* the first max_slots of each suffice */
        if ((rc = pro_slots(&one, &parsed[i], i, sp, &span_q, lo, hi, -1, &all)) < 0) goto out;
    }
    if (n_pros > 1 && all.n > 1) qsort(all.data, all.n, all.size, cmp_slot);
    if (q->max_slots && all.n > q->max_slots) all.n = q->max_slots;
    rc = BC_ENOMEM;
    if (all.n) {
        if (!(*slots = bc_arena_alloc(arena, all.n * all.size))) goto out;
        memcpy(*slots, all.data, all.n * all.size);
    }
    rc = (int)all.n;
out:
    for (size_t i = 0; i < n_parsed; i++) pro_release(&parsed[i]);
    free(parsed);
    free(all.data);
    return rc;
}

int bc_availability_check(const struct bc_availability_query *q, const struct bc_availability_pro *pro,
                          int64_t start)
{
    int rc;
    struct pro p;
    struct vec found = {.size = sizeof(struct bc_availability_slot)};
    struct bc_tz_span span;
    int parsed = 0;

    if ((rc = validate_query(q)) < 0) goto out;
    rc = BC_EINVALID;
    if (!pro || start < 0 || start > (int64_t)BC_TZ_DATE_MAX * 86400) goto out;
    if ((rc = pro_parse(q, pro, &p)) < 0) goto out;
    parsed = 1;
    if ((rc = bc_tz_span_load(pro->zone, start - 7 * 86400, start + 7 * 86400, &span)) < 0) goto out;

    /* The same computation as bc_availability_compute for the professional's local date of start. */
    struct bc_tz_local l;
    bc_tz_span_local(&span, start, &l);
    int64_t lo, hi;
    clip(q, bc_tz_span_next_valid(&span, l.day, 0), bc_tz_span_next_valid(&span, l.day + 1, 0), &lo, &hi);
    struct bc_availability_query one = *q;
    one.max_slots = 0;
    if ((rc = pro_slots(&one, &p, 0, &span, &span, lo, hi, start, &found)) < 0) goto out;
    rc = found.n == 1 ? 0 : BC_ESLOT;
out:
    if (parsed) pro_release(&p);
    free(found.data);
    return rc;
}
