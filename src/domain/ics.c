/* RFC 5545 rendering: escaping (section 3.3.11) and folding (section 3.1). */
#include "domain/ics.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void stamp(char out[17], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* Appends "NAME:value" escaped and folded: lines of at most 75 octets, never splitting a UTF-8 sequence. */
static void line(struct bc_buf *b, const char *name, const char *value, int escape)
{
    struct bc_buf l = BC_BUF_INIT;
    bc_buf_printf(&l, "%s:", name);
    for (const char *p = value; p && *p; p++) {
        if (escape && (*p == '\\' || *p == ';' || *p == ',')) {
            bc_buf_putc(&l, '\\');
            bc_buf_putc(&l, *p);
        } else if (escape && *p == '\n') {
            bc_buf_puts(&l, "\\n");
        } else if ((unsigned char)*p < 0x20 && *p != '\t') {
            continue; /* control characters are not allowed in TEXT */
        } else {
            bc_buf_putc(&l, *p);
        }
    }
    size_t col = 0;
    for (size_t i = 0; i < l.len; i++) {
        unsigned char c = (unsigned char)l.data[i];
        size_t seq = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        if (col + seq > 75) {
            bc_buf_puts(b, "\r\n ");
            col = 1;
        }
        bc_buf_append(b, l.data + i, seq);
        col += seq;
        i += seq - 1;
    }
    bc_buf_puts(b, "\r\n");
    bc_buf_release(&l);
}

/* A quoted parameter value (RFC 5545 3.1): it cannot hold '"' or control characters; they become "'"
 * and are dropped. */
struct quoted_s {
    char s[256];
};
static struct quoted_s quoted(const char *in)
{
    struct quoted_s q;
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < sizeof q.s; p++)
        if ((unsigned char)*p >= 0x20 && *p != 0x7f) q.s[n++] = *p == '"' ? '\'' : *p;
    q.s[n] = '\0';
    return q;
}

char *bc_ics_render(const struct bc_ics_event *ev)
{
    struct bc_buf b = BC_BUF_INIT;
    char s[17], e[17], st[17];
    stamp(s, ev->start);
    stamp(e, ev->end);
    stamp(st, ev->stamp);
    bc_buf_puts(
        &b,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bookchat//bookchat 0.1//EN\r\nCALSCALE:GREGORIAN\r\n");
    bc_buf_printf(&b, "METHOD:%s\r\n", ev->method ? ev->method : ev->cancelled ? "CANCEL" : "PUBLISH");
    bc_buf_puts(&b, "BEGIN:VEVENT\r\n");
    line(&b, "UID", ev->uid, 0);
    line(&b, "DTSTAMP", st, 0);
    line(&b, "DTSTART", s, 0);
    line(&b, "DTEND", e, 0);
    line(&b, "SUMMARY", ev->summary, 1);
    if (ev->location && *ev->location) line(&b, "LOCATION", ev->location, 1);
    if (ev->description && *ev->description) line(&b, "DESCRIPTION", ev->description, 1);
    if (ev->organizer && *ev->organizer) {
        char p[400], to[300];
        snprintf(p, sizeof p, "ORGANIZER;CN=\"%s\"", quoted(ev->organizer).s);
        snprintf(to, sizeof to, "mailto:%s",
                 ev->organizer_email ? ev->organizer_email : "noreply@bookchat.invalid");
        line(&b, p, to, 0);
    }
    if (ev->attendee_email && *ev->attendee_email) {
        char p[400], to[300];
        snprintf(p, sizeof p, "ATTENDEE;CN=\"%s\";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED",
                 quoted(ev->attendee_name ? ev->attendee_name : "").s);
        snprintf(to, sizeof to, "mailto:%s", ev->attendee_email);
        line(&b, p, to, 0);
    }
    if (ev->sequence > 0) bc_buf_printf(&b, "SEQUENCE:%lld\r\n", (long long)ev->sequence);
    bc_buf_puts(&b, ev->cancelled ? "STATUS:CANCELLED\r\n" : "STATUS:CONFIRMED\r\n");
    bc_buf_puts(&b, "END:VEVENT\r\nEND:VCALENDAR\r\n");
    return bc_buf_detach(&b, NULL);
}
