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
};

/* Returns the document (caller frees) or NULL on OOM. */
char *bc_ics_render(const struct bc_ics_event *ev);

#endif
