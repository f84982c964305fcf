/* iCalendar (RFC 5545) for one booking: a VCALENDAR with one VEVENT, times in UTC, text escaped and lines
 * folded at 75 octets, CRLF line ends. */
#ifndef BC_ICS_H
#define BC_ICS_H
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
};

/* Returns the document (caller frees) or NULL on OOM. */
char *bc_ics_render(const struct bc_ics_event *ev);

#endif
