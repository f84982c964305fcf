/* External calendars into busy intervals (extcal_parse.h), with libical. */
#include "domain/extcal_parse.h"
#include "util/err.h"

#include <libical/ical.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t ical_once = PTHREAD_ONCE_INIT;
static void ical_init(void)
{
    icalerror_set_errors_are_fatal(0); /* a malformed file is an error to report, never an abort */
}

/* What one expansion collects. */
struct acc {
    icalcomponent *cal;
    icaltimezone *local; /* the tenant's zone (floating times, all-day events) */
    int64_t from, to;
    struct bc_extcal_iv *iv;
    size_t n, cap;
    bool over;
    /* overrides: UID and the start they replace (RECURRENCE-ID as epoch seconds) */
    struct ovr {
        const char *uid;
        int64_t rid;
    } * ovr;
    size_t novr, capovr;
};

/* A DATE or DATE-TIME as epoch seconds: UTC, its zone, or (floating, DATE) the tenant's zone. */
static int64_t epoch_of(const struct acc *a, struct icaltimetype t)
{
    if (t.is_date) {
        t.is_date = 0;
        t.hour = t.minute = t.second = 0;
        return (int64_t)icaltime_as_timet_with_zone(t, a->local);
    }
    if (icaltime_is_utc(t)) return (int64_t)icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone());
    return (int64_t)icaltime_as_timet_with_zone(t, t.zone ? t.zone : a->local);
}

/* The zone a property's TZID names: the file's VTIMEZONE, else the IANA zone of that name; NULL. */
static icaltimezone *zone_of(const struct acc *a, icalproperty *p)
{
    icalparameter *tp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    const char *tzid = tp ? icalparameter_get_tzid(tp) : NULL;
    if (!tzid) return NULL;
    icaltimezone *z = icalcomponent_get_timezone(a->cal, tzid);
    if (!z) z = icaltimezone_get_builtin_timezone(tzid);
    return z;
}

static struct icaltimetype with_zone(const struct acc *a, icalproperty *p, struct icaltimetype t)
{
    if (t.is_date || icaltime_is_utc(t)) return t;
    icaltimezone *z = zone_of(a, p);
    if (z) t.zone = z;
    return t;
}

static int add(struct acc *a, int64_t from, int64_t to)
{
    if (to <= from) to = from; /* a zero-length event blocks nothing */
    if (to <= a->from || from >= a->to || to == from) return 0;
    if (a->n >= BC_EXTCAL_MAX_INTERVALS) {
        a->over = true;
        return BC_ETOO_LARGE;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct bc_extcal_iv *iv = realloc(a->iv, cap * sizeof *iv);
        if (!iv) return BC_ENOMEM;
        a->iv = iv;
        a->cap = cap;
    }
    a->iv[a->n++] = (struct bc_extcal_iv){from, to};
    return 0;
}

static bool is_busy(icalcomponent *ev)
{
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY);
    if (p) {
        icalproperty_transp t = icalproperty_get_transp(p);
        if (t == ICAL_TRANSP_TRANSPARENT || t == ICAL_TRANSP_TRANSPARENTNOCONFLICT) return false;
    }
    p = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
    return !(p && icalproperty_get_status(p) == ICAL_STATUS_CANCELLED);
}

/* The event's length: days for an all-day event (*days), else seconds (*secs). DTEND, else DURATION, else
 * one day (DATE) or nothing (DATE-TIME), as RFC 5545 section 3.6.1 says. */
static void length_of(const struct acc *a, icalcomponent *ev, struct icaltimetype start, int64_t *secs,
                      int *days)
{
    *secs = 0;
    *days = 0;
    icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    icalproperty *pd = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
    if (start.is_date) {
        *days = 1;
        if (pe) {
            struct icaltimetype e = icalproperty_get_dtend(pe);
            int d = (int)((epoch_of(a, e) - epoch_of(a, start) + 43200) / 86400); /* DST-proof rounding */
            if (d > 0) *days = d;
        } else if (pd) {
            struct icaldurationtype d = icalproperty_get_duration(pd);
            int dd = d.is_neg ? 0 : (int)(d.weeks * 7 + d.days);
            if (dd > 0) *days = dd;
        }
        return;
    }
    if (pe) {
        struct icaltimetype e = with_zone(a, pe, icalproperty_get_dtend(pe));
        *secs = epoch_of(a, e) - epoch_of(a, start);
    } else if (pd) {
        *secs = icaldurationtype_as_int(icalproperty_get_duration(pd));
    }
    if (*secs < 0) *secs = 0;
}

/* One occurrence starting at local time t (in the event's zone). */
static int occurrence(struct acc *a, struct icaltimetype t, int64_t secs, int days)
{
    int64_t s = epoch_of(a, t);
    if (!t.is_date) return add(a, s, s + secs);
    struct icaltimetype e = t;
    icaltime_adjust(&e, days, 0, 0, 0);
    return add(a, s, epoch_of(a, e));
}

/* The overrides are sorted by rid (after pass 1): a binary search, then the UIDs of that start. */
static bool overridden(const struct acc *a, const char *uid, int64_t start)
{
    size_t lo = 0, hi = a->novr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->ovr[mid].rid < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; uid && i < a->novr && a->ovr[i].rid == start; i++)
        if (strcmp(a->ovr[i].uid, uid) == 0) return true;
    return false;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* An event's EXDATEs as sorted epoch seconds (converted once, not once per occurrence). */
struct exdates {
    int64_t *t;
    size_t n;
};

static int exdates_of(const struct acc *a, icalcomponent *ev, struct exdates *x)
{
    size_t cap = 0;
    x->t = NULL;
    x->n = 0;
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
        if (x->n == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *t = realloc(x->t, cap * sizeof *t);
            if (!t) return BC_ENOMEM;
            x->t = t;
        }
        x->t[x->n++] = epoch_of(a, with_zone(a, p, icalproperty_get_exdate(p)));
    }
    if (x->n > 1) qsort(x->t, x->n, sizeof *x->t, cmp_i64);
    return 0;
}

static bool excluded(const struct exdates *x, int64_t start)
{
    return x->n && bsearch(&start, x->t, x->n, sizeof *x->t, cmp_i64) != NULL;
}

/* A recurring (or plain) event without RECURRENCE-ID: its occurrences that are not excluded or replaced. */
static int expand_master(struct acc *a, icalcomponent *ev, struct icaltimetype start)
{
    int64_t secs;
    int days;
    length_of(a, ev, start, &secs, &days);
    int64_t span = start.is_date ? (int64_t)days * 86400 + 7200 : secs;
    const char *uid = icalcomponent_get_uid(ev);
    bool busy = is_busy(ev);
    struct exdates ex;
    int rc = exdates_of(a, ev, &ex);
    icalproperty *rr = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
    if (!rr) {
        int64_t s = epoch_of(a, start);
        if (rc == 0 && busy && !overridden(a, uid, s) && !excluded(&ex, s))
            rc = occurrence(a, start, secs, days);
    }
    /* RRULE: iterate from DTSTART, at most BC_EXTCAL_MAX_STEPS steps, up to the window's end */
    for (; rr && rc == 0; rr = icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY)) {
        struct icalrecurrencetype rule = icalproperty_get_rrule(rr);
        icalrecur_iterator *it = icalrecur_iterator_new(rule, start);
        if (!it) continue; /* a rule libical cannot iterate blocks nothing */
        int steps = 0;
        for (struct icaltimetype t = icalrecur_iterator_next(it); !icaltime_is_null_time(t);
             t = icalrecur_iterator_next(it)) {
            if (++steps > BC_EXTCAL_MAX_STEPS) {
                a->over = true;
                rc = BC_ETOO_LARGE;
                break;
            }
            int64_t s = epoch_of(a, t);
            if (s >= a->to) break;
            if (s + span <= a->from) continue;
            if (!busy || overridden(a, uid, s) || excluded(&ex, s)) continue;
            if ((rc = occurrence(a, t, secs, days)) < 0) break;
        }
        icalrecur_iterator_free(it);
    }
    /* RDATE: more occurrences, each a start (the event's length) or a period */
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p && rc == 0 && busy;
         p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY)) {
        struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
        if (!icalperiodtype_is_null_period(dp.period)) {
            int64_t s = epoch_of(a, with_zone(a, p, dp.period.start));
            int64_t e = !icaltime_is_null_time(dp.period.end)
                            ? epoch_of(a, with_zone(a, p, dp.period.end))
                            : s + icaldurationtype_as_int(dp.period.duration);
            if (!overridden(a, uid, s) && !excluded(&ex, s)) rc = add(a, s, e);
            continue;
        }
        struct icaltimetype t = with_zone(a, p, dp.time);
        int64_t s = epoch_of(a, t);
        if (!overridden(a, uid, s) && !excluded(&ex, s)) rc = occurrence(a, t, secs, days);
    }
    free(ex.t);
    return rc;
}

static struct icaltimetype dtstart_of(const struct acc *a, icalcomponent *ev, bool *ok)
{
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    *ok = p != NULL;
    return p ? with_zone(a, p, icalproperty_get_dtstart(p)) : icaltime_null_time();
}

static int cmp_iv(const void *x, const void *y)
{
    const struct bc_extcal_iv *a = x, *b = y;
    return a->from < b->from ? -1 : a->from > b->from ? 1 : (a->to > b->to) - (a->to < b->to);
}

static int cmp_ovr(const void *x, const void *y)
{
    const struct ovr *a = x, *b = y;
    return (a->rid > b->rid) - (a->rid < b->rid);
}

static int walk(struct acc *a)
{
    /* pass 1: the overrides, so that the masters skip the occurrences they replace */
    for (icalcomponent *ev = icalcomponent_get_first_component(a->cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(a->cal, ICAL_VEVENT_COMPONENT)) {
        icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
        const char *uid = icalcomponent_get_uid(ev);
        if (!p || !uid) continue;
        if (a->novr == a->capovr) {
            size_t cap = a->capovr ? a->capovr * 2 : 16;
            struct ovr *o = realloc(a->ovr, cap * sizeof *o);
            if (!o) return BC_ENOMEM;
            a->ovr = o;
            a->capovr = cap;
        }
        a->ovr[a->novr++] = (struct ovr){uid, epoch_of(a, with_zone(a, p, icalproperty_get_recurrenceid(p)))};
    }
    if (a->novr > 1) qsort(a->ovr, a->novr, sizeof *a->ovr, cmp_ovr);
    /* pass 2: masters and plain events, then the overrides themselves (at their own time) */
    int rc = 0;
    for (icalcomponent *ev = icalcomponent_get_first_component(a->cal, ICAL_VEVENT_COMPONENT); ev && rc == 0;
         ev = icalcomponent_get_next_component(a->cal, ICAL_VEVENT_COMPONENT)) {
        bool ok;
        struct icaltimetype start = dtstart_of(a, ev, &ok);
        if (!ok || icaltime_is_null_time(start)) continue; /* an event without a start blocks nothing */
        if (icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY)) {
            if (!is_busy(ev)) continue;
            int64_t secs;
            int days;
            length_of(a, ev, start, &secs, &days);
            rc = occurrence(a, start, secs, days);
        } else {
            rc = expand_master(a, ev, start);
        }
    }
    return rc;
}

int bc_extcal_expand(const char *ics, size_t len, const char *zone, int64_t from, int64_t to,
                     struct bc_extcal_iv **out, size_t *n, size_t *events, char *err, size_t errsize)
{
    *out = NULL;
    *n = 0;
    if (events) *events = 0;
    if (len > BC_EXTCAL_MAX_BYTES) {
        snprintf(err, errsize, "too large (over %u bytes)", BC_EXTCAL_MAX_BYTES);
        return BC_ETOO_LARGE;
    }
    if (!ics || len < 15 || !strstr(ics, "BEGIN:VCALENDAR")) {
        snprintf(err, errsize, "not an iCalendar file (no BEGIN:VCALENDAR)");
        return BC_EINVALID;
    }
    pthread_once(&ical_once, ical_init);
    icalcomponent *root = icalparser_parse_string(ics);
    icalcomponent *cal = root;
    if (root && icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT)
        cal = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
    if (!cal) {
        if (root) icalcomponent_free(root);
        snprintf(err, errsize, "not an iCalendar file (no VCALENDAR could be read)");
        return BC_EINVALID;
    }
    struct acc a = {.cal = cal, .from = from, .to = to};
    a.local = zone ? icaltimezone_get_builtin_timezone(zone) : NULL;
    if (!a.local) a.local = icaltimezone_get_utc_timezone();
    int rc = walk(&a);
    icalcomponent_free(root);
    free(a.ovr);
    if (rc < 0) {
        free(a.iv);
        if (a.over)
            snprintf(err, errsize,
                     "too many events: over %d busy times in the window or %d steps of one rule",
                     BC_EXTCAL_MAX_INTERVALS, BC_EXTCAL_MAX_STEPS);
        else
            snprintf(err, errsize, "out of memory");
        return rc;
    }
    if (events) *events = a.n;
    if (a.n == 0) {
        free(a.iv);
        return 0;
    }
    qsort(a.iv, a.n, sizeof *a.iv, cmp_iv);
    size_t m = 0;
    for (size_t i = 0; i < a.n; i++) {
        if (m && a.iv[i].from <= a.iv[m - 1].to) {
            if (a.iv[i].to > a.iv[m - 1].to) a.iv[m - 1].to = a.iv[i].to;
        } else {
            a.iv[m++] = a.iv[i];
        }
    }
    *out = a.iv;
    *n = m;
    return 0;
}
