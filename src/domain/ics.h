/* iCalendar (RFC 5545), built with libical: one booking as a VCALENDAR with one VEVENT (the invitation of
 * an e-mail, the customer's download), and a subscription feed of many bookings with the tenant's
 * VTIMEZONE. Times are in UTC; libical escapes TEXT, folds lines at 75 octets (never inside a UTF-8
 * sequence) and ends them with CRLF. Control characters in the input are dropped (a CR/LF in a summary
 * cannot start a property). */
#ifndef BC_ICS_H
#define BC_ICS_H
#include <stddef.h>
#include <stdint.h>

struct bc_ics_event {
    const char *uid;         /* globally unique, e.g. "<booking id>@bookchat" */
    int64_t start, end;      /* epoch seconds */
    int64_t stamp;           /* DTSTAMP */
    const char *summary;     /* e.g. "Corte de pelo — Peluquería Ana" */
    const char *location;    /* may be NULL */
    const char *description; /* may be NULL */
    const char *organizer;   /* business name, may be NULL */
    int cancelled;           /* STATUS:CANCELLED */
    /* iTIP (RFC 5546), for the invitation an e-mail carries: METHOD (NULL: PUBLISH, or CANCEL when
     * cancelled), SEQUENCE (higher on each change of the same UID), and the organizer's and attendee's
     * addresses (NULL: none) */
    const char *method;
    int64_t sequence;
    const char *organizer_email;
    const char *attendee_email, *attendee_name;
    int64_t last_modified; /* LAST-MODIFIED, epoch seconds; 0: none */
};

/* Returns the document (caller frees) or NULL on OOM or a method that is not an iTIP method. */
char *bc_ics_render(const struct bc_ics_event *ev);

/* A subscription feed: METHOD:PUBLISH, the calendar's name, the zone's VTIMEZONE (the IANA zone from the
 * system's zoneinfo, TZID = the zone's name) and one VEVENT per event (their .method is ignored). */
struct bc_ics_feed {
    const char *name; /* X-WR-CALNAME, may be NULL */
    const char *zone; /* IANA zone ("Europe/Madrid") or NULL: no VTIMEZONE */
    const struct bc_ics_event *events;
    size_t n;
};

/* Returns the document (caller frees) or NULL on OOM. An unknown zone leaves the VTIMEZONE out (the
 * events are in UTC, so nothing depends on it). */
char *bc_ics_render_feed(const struct bc_ics_feed *feed);

#endif
