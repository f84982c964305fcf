/* RFC 5545 through libical: the components are built as libical objects and serialised by
 * icalcomponent_as_ical_string_r, which escapes TEXT (section 3.3.11: , ; \ and newlines), quotes
 * parameter values that need it, folds at 75 octets without splitting UTF-8 and writes CRLF (section 3.1).
 *
 * DESIGN NOTES
 * - Times are UTC ("…Z") in every event, the feed's too: always correct whatever the subscriber's time
 *   zone database says, and no TZID reference a client could resolve differently. The feed still carries
 *   the tenant's VTIMEZONE and X-WR-TIMEZONE, which tell clients the calendar's zone for display.
 * - The VTIMEZONE comes from libical's builtin zones, which on Debian read the system's zoneinfo
 *   (/usr/share/zoneinfo, package tzdata) rather than a copy bundled with libical: it follows the system's
 *   tzdata updates. libical names such zones "/freeassociation.sourceforge.net/<zone>"; the clone we emit is
 *   renamed to the plain IANA name, which every client recognises. The global TZID prefix is left alone
 *   (the calendar import parses with libical in the same process).
 * - libical's builtin zone table is process-wide state that is filled lazily; one mutex here serialises
 *   our lookups and clones. The clone is ours; the zone itself stays in libical's table.
 * - Input text comes from customers: control characters are dropped before libical sees them (only the
 *   newline of a multi-line TEXT survives, which libical writes as "\n"), and a '"' in a parameter value
 *   (CN) becomes "'", since a quoted parameter cannot hold one. */
#include "domain/ics.h"

#include <libical/ical.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

/* A copy of s without control characters (keeping '\n' when text), and '"' as "'" when param. */
static char *clean(const char *s, int text, int param)
{
    size_t n = strlen(s ? s : "");
    char *out = malloc(n + 1), *o = out;
    if (!out) return NULL;
    for (const char *p = s; p && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == 0x7f || (c < 0x20 && !(text && c == '\n'))) continue;
        *o++ = param && c == '"' ? '\'' : (char)c;
    }
    *o = '\0';
    return out;
}

static struct icaltimetype utc(int64_t t)
{
    return icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
}

/* Adds a TEXT property made by mk from the cleaned value; nothing for NULL or "". */
static int add_text(icalcomponent *c, icalproperty *(*mk)(const char *), const char *v)
{
    if (!v || !*v) return 0;
    char *t = clean(v, 1, 0);
    if (!t) return -1;
    icalproperty *p = mk(t);
    free(t);
    if (!p) return -1;
    icalcomponent_add_property(c, p);
    return 0;
}

/* ORGANIZER / ATTENDEE: "mailto:<address>" with a CN parameter. */
static int add_address(icalcomponent *c, icalproperty *(*mk)(const char *), const char *email, const char *cn,
                       int attendee)
{
    char *addr = clean(email, 0, 0), *name = clean(cn ? cn : "", 0, 1);
    size_t size = addr ? strlen(addr) + 8 : 0;
    char *to = addr ? malloc(size) : NULL;
    int rc = -1;
    if (to && name) {
        snprintf(to, size, "mailto:%s", addr);
        icalproperty *p = mk(to);
        if (p) {
            if (*name || !attendee) icalproperty_add_parameter(p, icalparameter_new_cn(name));
            if (attendee) {
                icalproperty_add_parameter(p, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
                icalproperty_add_parameter(p, icalparameter_new_partstat(ICAL_PARTSTAT_ACCEPTED));
            }
            icalcomponent_add_property(c, p);
            rc = 0;
        }
    }
    free(addr);
    free(name);
    free(to);
    return rc;
}

static icalcomponent *vevent(const struct bc_ics_event *ev)
{
    icalcomponent *e = icalcomponent_new_vevent();
    if (!e) return NULL;
    char *uid = clean(ev->uid, 0, 0);
    int rc = uid ? 0 : -1;
    if (rc == 0) icalcomponent_add_property(e, icalproperty_new_uid(uid));
    free(uid);
    icalcomponent_add_property(e, icalproperty_new_dtstamp(utc(ev->stamp)));
    icalcomponent_add_property(e, icalproperty_new_dtstart(utc(ev->start)));
    icalcomponent_add_property(e, icalproperty_new_dtend(utc(ev->end)));
    if (rc == 0) rc = add_text(e, icalproperty_new_summary, ev->summary ? ev->summary : "");
    if (rc == 0) rc = add_text(e, icalproperty_new_location, ev->location);
    if (rc == 0) rc = add_text(e, icalproperty_new_description, ev->description);
    if (rc == 0 && ev->organizer && *ev->organizer)
        rc = add_address(e, icalproperty_new_organizer,
                         ev->organizer_email ? ev->organizer_email : "noreply@bookchat.invalid",
                         ev->organizer, 0);
    if (rc == 0 && ev->attendee_email && *ev->attendee_email)
        rc = add_address(e, icalproperty_new_attendee, ev->attendee_email, ev->attendee_name, 1);
    if (ev->sequence > 0) icalcomponent_add_property(e, icalproperty_new_sequence((int)ev->sequence));
    if (ev->last_modified > 0)
        icalcomponent_add_property(e, icalproperty_new_lastmodified(utc(ev->last_modified)));
    icalcomponent_add_property(
        e, icalproperty_new_status(ev->cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
    if (rc < 0) {
        icalcomponent_free(e);
        return NULL;
    }
    return e;
}

static icalcomponent *vcalendar(icalproperty_method method)
{
    icalcomponent *cal = icalcomponent_new_vcalendar();
    if (!cal) return NULL;
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal, icalproperty_new_prodid("-//bookchat//bookchat 0.1//EN"));
    icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
    icalcomponent_add_property(cal, icalproperty_new_method(method));
    return cal;
}

/* The document as a string the caller frees with free(), and cal freed. */
static char *finish(icalcomponent *cal)
{
    char *s = icalcomponent_as_ical_string_r(cal);
    icalcomponent_free(cal);
    return s;
}

char *bc_ics_render(const struct bc_ics_event *ev)
{
    const char *name = ev->method ? ev->method : ev->cancelled ? "CANCEL" : "PUBLISH";
    icalproperty_method m = icalproperty_string_to_method(name);
    /* only the iTIP methods, spelt as libical writes them: METHOD comes out exactly as asked */
    if (m == ICAL_METHOD_NONE || m == ICAL_METHOD_X || strcmp(icalproperty_method_to_string(m), name) != 0)
        return NULL;
    icalcomponent *cal = vcalendar(m), *e = cal ? vevent(ev) : NULL;
    if (!e) {
        if (cal) icalcomponent_free(cal);
        return NULL;
    }
    icalcomponent_add_component(cal, e);
    return finish(cal);
}

/* A clone of the zone's VTIMEZONE with TZID = the IANA name, or NULL for an unknown zone. */
static icalcomponent *vtimezone(const char *zone)
{
    icalcomponent *c = NULL;
    pthread_mutex_lock(&zone_lock);
    icaltimezone *z = icaltimezone_get_builtin_timezone(zone);
    icalcomponent *tc = z ? icaltimezone_get_component(z) : NULL;
    if (tc) c = icalcomponent_new_clone(tc);
    pthread_mutex_unlock(&zone_lock);
    icalproperty *tzid = c ? icalcomponent_get_first_property(c, ICAL_TZID_PROPERTY) : NULL;
    if (tzid) icalproperty_set_tzid(tzid, zone);
    return c;
}

char *bc_ics_render_feed(const struct bc_ics_feed *feed)
{
    icalcomponent *cal = vcalendar(ICAL_METHOD_PUBLISH);
    if (!cal) return NULL;
    if (feed->name && *feed->name) {
        char *n = clean(feed->name, 0, 0);
        if (n) icalcomponent_add_property(cal, icalproperty_new_x(n));
        icalproperty *p = n ? icalcomponent_get_first_property(cal, ICAL_X_PROPERTY) : NULL;
        if (p) icalproperty_set_x_name(p, "X-WR-CALNAME");
        free(n);
    }
    /* how often to poll: Apple and Outlook read X-PUBLISHED-TTL, RFC 7986 clients REFRESH-INTERVAL */
    icalproperty *ttl = icalproperty_new_x("PT15M");
    icalproperty_set_x_name(ttl, "X-PUBLISHED-TTL");
    icalcomponent_add_property(cal, ttl);
    icalcomponent *tz = feed->zone && *feed->zone ? vtimezone(feed->zone) : NULL;
    if (tz) {
        icalproperty *wr = icalproperty_new_x(feed->zone);
        icalproperty_set_x_name(wr, "X-WR-TIMEZONE");
        icalcomponent_add_property(cal, wr);
        icalcomponent_add_component(cal, tz);
    }
    for (size_t i = 0; i < feed->n; i++) {
        icalcomponent *e = vevent(&feed->events[i]);
        if (!e) {
            icalcomponent_free(cal);
            return NULL;
        }
        icalcomponent_add_component(cal, e);
    }
    return finish(cal);
}
