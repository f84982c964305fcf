/* Notification texts: the built-in Spanish and English messages per event and audience, the tenant's
 * overrides, placeholder substitution and the HTML layout. The HTML is built here, from plain text: every
 * piece of text (the template's and the values) is escaped, and only this file writes markup. */
#include "domain/template.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    EV_CREATED,
    EV_CANCELLED,
    EV_RESCHEDULED,
    EV_REMINDER,
    EV_OFFERED,
    EV_HANDOFF,
    EV_NEAR,
    EV_REACHED,
    EV_COUNT
};
#define CUSTOMER_EVENTS 5 /* the booking.* events and waitlist offers; no hand-off or usage messages */
#define STAFF_PREFIX    "staff."
#define SUBJECT_TPL_MAX 200   /* bytes */
#define TEXT_TPL_MAX    8000  /* bytes */
#define TEMPLATES_MAX   65536 /* compact JSON */
#define SUBJECT_OUT_MAX 250   /* characters of a rendered subject */

static const char *const event_names[EV_COUNT] = {
    "booking.created",  "booking.cancelled",    "booking.rescheduled", "booking.reminder",
    "waitlist.offered", "conversation.handoff", "usage.limit_near",    "usage.limit_reached",
};

enum lang { LANG_EN, LANG_ES, LANG_COUNT };
static const char *const lang_names[LANG_COUNT] = {"en", "es"};

/* ---- the built-in texts ------------------------------------------------------------------------------- */

struct words {
    const char *subject, *text;
};

/* The facts of a booking in a staff message, with the label of its time. */
#define STAFF_BOOKING_EN(when)                                                                               \
    "Customer: {{customer_name}}\n"                                                                          \
    "Contact: {{customer_contact}}\n"                                                                        \
    "Service: {{service}}\n"                                                                                 \
    "Professional: {{professional}}\n" when ": {{start_local}}\n"                                            \
    "Booking code: {{code}}\n\n"                                                                             \
    "Open it in the admin panel:\n"                                                                          \
    "{{admin_url}}"
#define STAFF_BOOKING_ES(when)                                                                               \
    "Cliente: {{customer_name}}\n"                                                                           \
    "Contacto: {{customer_contact}}\n"                                                                       \
    "Servicio: {{service}}\n"                                                                                \
    "Profesional: {{professional}}\n" when ": {{start_local}}\n"                                             \
    "Código de reserva: {{code}}\n\n"                                                                       \
    "Ábrela en el panel:\n"                                                                                 \
    "{{admin_url}}"

/* [audience][event][language]; customer hand-off and usage messages do not exist (NULL). */
static const struct words builtin[2][EV_COUNT][LANG_COUNT] =
    {
        [BC_TPL_CUSTOMER] =
            {
                [EV_CREATED] = {{"Booking confirmed: {{service}}, {{start_local}}",
                                 "Hi {{customer_name}},\n\n"
                                 "Your booking at {{business}} is confirmed.\n\n"
                                 "Service: {{service}}\n"
                                 "With: {{professional}}\n"
                                 "When: {{start_local}}\n"
                                 "Booking code: {{code}}\n\n"
                                 "Need to change the time or cancel? You can do it here:\n"
                                 "{{manage_url}}\n\n"
                                 "See you soon,\n"
                                 "{{business}}"},
                                {"Reserva confirmada: {{service}}, {{start_local}}",
                                 "Hola, {{customer_name}}:\n\n"
                                 "Tu reserva en {{business}} está confirmada.\n\n"
                                 "Servicio: {{service}}\n"
                                 "Con: {{professional}}\n"
                                 "Fecha y hora: {{start_local}}\n"
                                 "Código de reserva: {{code}}\n\n"
                                 "¿Necesitas cambiar la hora o cancelar? Puedes hacerlo aquí:\n"
                                 "{{manage_url}}\n\n"
                                 "¡Te esperamos!\n"
                                 "{{business}}"}},
                [EV_CANCELLED] = {{"Booking cancelled: {{service}}, {{start_local}}",
                                   "Hi {{customer_name}},\n\n"
                                   "Your booking at {{business}} has been cancelled.\n\n"
                                   "Service: {{service}}\n"
                                   "When: {{start_local}}\n"
                                   "Booking code: {{code}}\n\n"
                                   "You are welcome to book another time whenever it suits you.\n\n"
                                   "{{business}}"},
                                  {"Reserva cancelada: {{service}}, {{start_local}}",
                                   "Hola, {{customer_name}}:\n\n"
                                   "Tu reserva en {{business}} se ha cancelado.\n\n"
                                   "Servicio: {{service}}\n"
                                   "Fecha y hora: {{start_local}}\n"
                                   "Código de reserva: {{code}}\n\n"
                                   "Cuando quieras, puedes reservar otra hora.\n\n"
                                   "{{business}}"}},
                [EV_RESCHEDULED] = {{"Booking moved: {{service}}, now {{start_local}}",
                                     "Hi {{customer_name}},\n\n"
                                     "Your booking at {{business}} has a new time.\n\n"
                                     "Service: {{service}}\n"
                                     "With: {{professional}}\n"
                                     "New time: {{start_local}}\n"
                                     "Booking code: {{code}}\n\n"
                                     "To see, change or cancel your booking:\n"
                                     "{{manage_url}}\n\n"
                                     "See you soon,\n"
                                     "{{business}}"},
                                    {"Reserva cambiada: {{service}}, ahora {{start_local}}",
                                     "Hola, {{customer_name}}:\n\n"
                                     "Tu reserva en {{business}} ha cambiado de hora.\n\n"
                                     "Servicio: {{service}}\n"
                                     "Con: {{professional}}\n"
                                     "Nueva fecha y hora: {{start_local}}\n"
                                     "Código de reserva: {{code}}\n\n"
                                     "Para ver, cambiar o cancelar tu reserva:\n"
                                     "{{manage_url}}\n\n"
                                     "¡Te esperamos!\n"
                                     "{{business}}"}},
                [EV_REMINDER] = {{"Reminder: {{service}}, {{start_local}}",
                                  "Hi {{customer_name}},\n\n"
                                  "A reminder of your appointment at {{business}}.\n\n"
                                  "Service: {{service}}\n"
                                  "With: {{professional}}\n"
                                  "When: {{start_local}}\n"
                                  "Booking code: {{code}}\n\n"
                                  "If you cannot make it, please change or cancel your booking here:\n"
                                  "{{manage_url}}\n\n"
                                  "See you soon,\n"
                                  "{{business}}"},
                                 {"Recordatorio: {{service}}, {{start_local}}",
                                  "Hola, {{customer_name}}:\n\n"
                                  "Te recordamos tu cita en {{business}}.\n\n"
                                  "Servicio: {{service}}\n"
                                  "Con: {{professional}}\n"
                                  "Fecha y hora: {{start_local}}\n"
                                  "Código de reserva: {{code}}\n\n"
                                  "Si no puedes venir, cambia o cancela la reserva aquí:\n"
                                  "{{manage_url}}\n\n"
                                  "¡Hasta pronto!\n"
                                  "{{business}}"}},
                [EV_OFFERED] = {{"A time has freed up: {{service}}, {{start_local}}",
                                 "Hi {{customer_name}},\n\n"
                                 "Good news from the waitlist of {{business}}: a time has freed up.\n\n"
                                 "Service: {{service}}\n"
                                 "With: {{professional}}\n"
                                 "When: {{start_local}}\n"
                                 "Held for you until: {{detail}}\n\n"
                                 "To book it, open this link before then:\n"
                                 "{{manage_url}}\n\n"
                                 "If you do not, the time goes to the next person on the list.\n\n"
                                 "{{business}}"},
                                {"Se ha liberado una hora: {{service}}, {{start_local}}",
                                 "Hola, {{customer_name}}:\n\n"
                                 "Buenas noticias de la lista de espera de {{business}}: se ha liberado una "
                                 "hora.\n\n"
                                 "Servicio: {{service}}\n"
                                 "Con: {{professional}}\n"
                                 "Fecha y hora: {{start_local}}\n"
                                 "Te la guardamos hasta las: {{detail}}\n\n"
                                 "Para reservarla, abre este enlace antes:\n"
                                 "{{manage_url}}\n\n"
                                 "Si no, la hora pasa a la siguiente persona de la lista.\n\n"
                                 "{{business}}"}},
            },
        [BC_TPL_STAFF] =
            {
                [EV_CREATED] = {{"New booking: {{customer_name}}, {{service}}, {{start_local}}",
                                 "A new booking has been made.\n\n" STAFF_BOOKING_EN("When")},
                                {"Nueva reserva: {{customer_name}}, {{service}}, {{start_local}}",
                                 "Se ha hecho una reserva nueva.\n\n" STAFF_BOOKING_ES("Fecha y hora")}},
                [EV_CANCELLED] =
                    {{"Booking cancelled: {{customer_name}}, {{service}}, {{start_local}}",
                      "A booking has been cancelled; its time is free again.\n\n" STAFF_BOOKING_EN("When")},
                     {"Reserva cancelada: {{customer_name}}, {{service}}, {{start_local}}",
                      "Se ha cancelado una reserva; su hora vuelve a estar libre.\n\n" STAFF_BOOKING_ES(
                          "Fecha y hora")}},
                [EV_RESCHEDULED] =
                    {{"Booking moved: {{customer_name}}, now {{start_local}}",
                      "A booking has been moved to a new time.\n\n" STAFF_BOOKING_EN("New time")},
                     {"Reserva cambiada: {{customer_name}}, ahora {{start_local}}",
                      "Una reserva ha cambiado de hora.\n\n" STAFF_BOOKING_ES("Nueva fecha y hora")}},
                [EV_REMINDER] = {{"Coming up: {{customer_name}}, {{service}}, {{start_local}}",
                                  "A reminder of an upcoming appointment.\n\n" STAFF_BOOKING_EN("When")},
                                 {"Próxima cita: {{customer_name}}, {{service}}, {{start_local}}",
                                  "Te recordamos una cita próxima.\n\n" STAFF_BOOKING_ES("Fecha y hora")}},
                [EV_OFFERED] =
                    {{"Waitlist offer: {{customer_name}}, {{service}}, {{start_local}}",
                      "A freed time was offered to a customer on the waitlist.\n\n"
                      "Customer: {{customer_name}}\n"
                      "Contact: {{customer_contact}}\n"
                      "Service: {{service}}\n"
                      "When: {{start_local}}\n\n"
                      "{{admin_url}}"},
                     {"Oferta de la lista de espera: {{customer_name}}, {{service}}, {{start_local}}",
                      "Se ha ofrecido una hora liberada a un cliente de la lista de espera.\n\n"
                      "Cliente: {{customer_name}}\n"
                      "Contacto: {{customer_contact}}\n"
                      "Servicio: {{service}}\n"
                      "Fecha y hora: {{start_local}}\n\n"
                      "{{admin_url}}"}},
                [EV_HANDOFF] = {{"A customer asked to talk to a person",
                                 "A customer in the chat of {{business}} asked to talk to a person.\n\n"
                                 "Customer: {{customer_name}}\n"
                                 "Contact: {{customer_contact}}\n"
                                 "Message: {{detail}}\n\n"
                                 "Read the conversation and answer from the admin panel:\n"
                                 "{{admin_url}}"},
                                {"Un cliente quiere hablar con una persona",
                                 "Un cliente del chat de {{business}} ha pedido hablar con una persona.\n\n"
                                 "Cliente: {{customer_name}}\n"
                                 "Contacto: {{customer_contact}}\n"
                                 "Mensaje: {{detail}}\n\n"
                                 "Lee la conversación y respóndele desde el panel:\n"
                                 "{{admin_url}}"}},
                [EV_NEAR] =
                    {{"{{business}} is close to its monthly plan limit ({{detail}})",
                      "{{business}} has used {{detail}} of its plan's monthly limit.\n\n"
                      "When the limit is reached, some features stop working until next month. "
                      "To avoid the interruption, you can change the plan in the admin panel:\n"
                      "{{admin_url}}"},
                     {"{{business}} está cerca del límite mensual de su plan ({{detail}})",
                      "{{business}} ha usado el {{detail}} del límite mensual de su plan.\n\n"
                      "Al llegar al límite, algunas funciones dejarán de estar disponibles hasta el mes "
                      "que viene. Para evitarlo, puedes cambiar de plan en el panel:\n"
                      "{{admin_url}}"}},
                [EV_REACHED] = {{"{{business}} has reached its monthly plan limit",
                                 "{{business}} has reached the monthly limit of its plan ({{detail}}).\n\n"
                                 "Some features are paused until next month. "
                                 "To continue now, change the plan in the admin panel:\n"
                                 "{{admin_url}}"},
                                {"{{business}} ha alcanzado el límite mensual de su plan",
                                 "{{business}} ha alcanzado el límite mensual de su plan ({{detail}}).\n\n"
                                 "Algunas funciones quedan en pausa hasta el mes que viene. "
                                 "Para seguir ahora, cambia de plan en el panel:\n"
                                 "{{admin_url}}"}},
            },
};

/* The HTML layout's fixed words: [audience][language] button label; [language] footer. */
static const char *const button_label[2][LANG_COUNT] = {
    [BC_TPL_CUSTOMER] = {"Manage my booking", "Gestionar mi reserva"},
    [BC_TPL_STAFF] = {"Open the admin panel", "Abrir el panel"},
};
static const char *const accept_label[LANG_COUNT] = {"Book this time", "Reservar esta hora"};
static const char *const footer[LANG_COUNT] = {
    "This message was sent automatically.",
    "Este mensaje se ha enviado automáticamente.",
};

/* ---- placeholders ------------------------------------------------------------------------------------- */

enum var {
    VAR_CUSTOMER_NAME,
    VAR_SERVICE,
    VAR_PROFESSIONAL,
    VAR_START_LOCAL,
    VAR_CODE,
    VAR_MANAGE_URL,
    VAR_BUSINESS,
    VAR_ADMIN_URL,
    VAR_CUSTOMER_CONTACT,
    VAR_DETAIL,
    VAR_COUNT
};

const char *const bc_template_placeholders[VAR_COUNT + 1] = {
    [VAR_CUSTOMER_NAME] = "customer_name",
    [VAR_SERVICE] = "service",
    [VAR_PROFESSIONAL] = "professional",
    [VAR_START_LOCAL] = "start_local",
    [VAR_CODE] = "code",
    [VAR_MANAGE_URL] = "manage_url",
    [VAR_BUSINESS] = "business",
    [VAR_ADMIN_URL] = "admin_url",
    [VAR_CUSTOMER_CONTACT] = "customer_contact",
    [VAR_DETAIL] = "detail",
};

static const char *var_value(const struct bc_tpl_vars *v, int i)
{
    const char *const values[VAR_COUNT] = {
        [VAR_CUSTOMER_NAME] = v->customer_name,
        [VAR_SERVICE] = v->service,
        [VAR_PROFESSIONAL] = v->professional,
        [VAR_START_LOCAL] = v->start_local,
        [VAR_CODE] = v->code,
        [VAR_MANAGE_URL] = v->manage_url,
        [VAR_BUSINESS] = v->business,
        [VAR_ADMIN_URL] = v->admin_url,
        [VAR_CUSTOMER_CONTACT] = v->customer_contact,
        [VAR_DETAIL] = v->detail,
    };
    return values[i] ? values[i] : "";
}

/* A placeholder at s ("{{" already seen): its index and length through "}}", spaces inside the braces
 * allowed. -1 when the braces do not close on this line (*len 0) or the name is unknown (*len through "}}").
 */
static int placeholder(const char *s, size_t *len)
{
    const char *p = s + 2, *close = strstr(p, "}}");
    *len = 0;
    if (!close || memchr(p, '\n', (size_t)(close - p))) return -1;
    *len = (size_t)(close + 2 - s);
    while (*p == ' ') p++;
    const char *e = close;
    while (e > p && e[-1] == ' ') e--;
    for (int i = 0; bc_template_placeholders[i]; i++)
        if (strlen(bc_template_placeholders[i]) == (size_t)(e - p) &&
            memcmp(bc_template_placeholders[i], p, (size_t)(e - p)) == 0)
            return i;
    return -1;
}

/* ---- rendering ---------------------------------------------------------------------------------------- */

enum mode { M_SUBJECT, M_TEXT, M_HTML };

/* Text as HTML: the five characters with a meaning in markup or attribute values become references, a line
 * break becomes <br>. */
static void html_escaped(struct bc_buf *b, const char *s, size_t n)
{
    static const char *const entity[128] = {
        ['&'] = "&amp;",  ['<'] = "&lt;",   ['>'] = "&gt;",
        ['"'] = "&quot;", ['\''] = "&#39;", ['\n'] = "<br>\n",
    };
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 128 && entity[c])
            bc_buf_puts(b, entity[c]);
        else
            bc_buf_putc(b, (char)c);
    }
}

/* An http(s) URL that can stand in an href as is (after escaping): no spaces or control characters. */
static bool link_url(const char *s)
{
    if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f) return false;
    return true;
}

/* Text [s, s+n) (a value, var >= 0, or a piece of the template, var -1) as the mode wants it: subjects get
 * spaces for line breaks and control characters; text drops control characters but line breaks and tabs
 * (CRLF and CR become LF); HTML is that text escaped, with the two URL values as links. */
static void put_text(struct bc_buf *b, const char *s, size_t n, int var, enum mode mode)
{
    if (mode == M_HTML) {
        struct bc_buf clean = BC_BUF_INIT;
        put_text(&clean, s, n, var, M_TEXT);
        if ((var == VAR_MANAGE_URL || var == VAR_ADMIN_URL) && link_url(s)) {
            bc_buf_puts(b, "<a href=\"");
            html_escaped(b, s, n);
            bc_buf_puts(b, "\" style=\"color:#1d4ed8;word-break:break-all;\">");
            html_escaped(b, s, n);
            bc_buf_puts(b, "</a>");
        } else if (clean.len) {
            html_escaped(b, clean.data, clean.len);
        }
        bc_buf_release(&clean);
        return;
    }
    if (mode == M_SUBJECT && var >= 0) { /* a value's own spaces and controls at its ends go */
        while (n && ((unsigned char)*s <= 0x20 || *s == 0x7f)) s++, n--;
        while (n && ((unsigned char)s[n - 1] <= 0x20 || s[n - 1] == 0x7f)) n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r' && i + 1 < n && s[i + 1] == '\n') continue;
        if (mode == M_SUBJECT && c >= 0x80 && bc_utf8_line_breaking((const unsigned char *)s + i)) {
            bc_buf_putc(b, ' '); /* a C1 control, line separator or bidi control: a header refuses them */
            i += c >= 0xe0 ? 2 : 1;
            continue;
        }
        bool brk = c == '\n' || c == '\r';
        if (mode == M_SUBJECT && (brk || c < 0x20 || c == 0x7f))
            bc_buf_putc(b, ' ');
        else if (brk)
            bc_buf_putc(b, '\n');
        else if ((c >= 0x20 && c != 0x7f) || c == '\t')
            bc_buf_putc(b, (char)c);
    }
}

/* A label line: what is left of a line without its placeholders is blank or ends in ':' or ','. */
static bool label_only(const char *lit, size_t n)
{
    while (n && (lit[n - 1] == ' ' || lit[n - 1] == '\t')) n--;
    return !n || lit[n - 1] == ':' || lit[n - 1] == ',';
}

/* One template line [s, s+n) into b. Returns false (and appends nothing) for a line to leave out: in text
 * and HTML, a line whose placeholders all render empty and whose own words are only a label ("Con:",
 * "Hola, {{customer_name}}:", a lone "{{manage_url}}"), so a missing value leaves no dangling label; a
 * sentence ("Your booking at {{business}} is confirmed.") stays. */
static bool put_line(struct bc_buf *b, const char *s, size_t n, const struct bc_tpl_vars *v, enum mode mode)
{
    struct bc_buf l = BC_BUF_INIT, lit = BC_BUF_INIT;
    int seen = 0, filled = 0;
    size_t from = 0; /* start of the pending piece of template text */
    for (size_t i = 0; i < n;) {
        size_t len = 0;
        int var = (s[i] == '{' && i + 1 < n && s[i + 1] == '{') ? placeholder(s + i, &len) : -1;
        if (var < 0 || i + len > n) {
            i++;
            continue;
        }
        put_text(&l, s + from, i - from, -1, mode);
        bc_buf_append(&lit, s + from, i - from);
        const char *val = var_value(v, var);
        seen++;
        filled += *val != '\0';
        put_text(&l, val, strlen(val), var, mode);
        i += len;
        from = i;
    }
    put_text(&l, s + from, n - from, -1, mode);
    bc_buf_append(&lit, s + from, n - from);
    bool keep = mode == M_SUBJECT || !seen || filled || !label_only(lit.data, lit.len);
    if (keep && l.len) bc_buf_append(b, l.data, l.len);
    bc_buf_release(&l);
    bc_buf_release(&lit);
    return keep;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return false;
    return true;
}

#define P_OPEN "<p style=\"margin:0 0 16px;\">"

/* The template rendered line by line: text lines joined with LF (subject lines with a space); HTML lines
 * grouped into paragraphs at blank lines, joined with <br> inside one. */
static void render(struct bc_buf *b, const char *tpl, const struct bc_tpl_vars *v, enum mode mode)
{
    bool para = false, first = true;
    for (const char *s = tpl;;) {
        size_t n = strcspn(s, "\n"), line = n;
        if (line && s[line - 1] == '\r') line--;
        struct bc_buf l = BC_BUF_INIT;
        if (put_line(&l, s, line, v, mode)) {
            if (mode != M_HTML) {
                if (!first) bc_buf_putc(b, mode == M_SUBJECT ? ' ' : '\n');
                if (l.len) bc_buf_append(b, l.data, l.len);
                first = false;
            } else if (blank(l.data, l.len)) {
                if (para) bc_buf_puts(b, "</p>\n");
                para = false;
            } else {
                bc_buf_puts(b, para ? "<br>\n" : P_OPEN);
                bc_buf_append(b, l.data, l.len);
                para = true;
            }
        }
        bc_buf_release(&l);
        s += n;
        if (!*s++) break;
    }
    if (para) bc_buf_puts(b, "</p>\n");
}

/* Text: trailing spaces of each line, blank lines at both ends and runs of more than one blank line go
 * (left behind by lines dropped for empty placeholders). */
static void tidy_text(struct bc_buf *b)
{
    size_t w = 0, newlines = 0;
    bool started = false;
    for (size_t r = 0; r < b->len; r++) {
        char c = b->data[r];
        if (c == '\n') {
            while (w && (b->data[w - 1] == ' ' || b->data[w - 1] == '\t')) w--;
            newlines++;
            continue;
        }
        if (!started && (c == ' ' || c == '\t') && !newlines) {
            b->data[w++] = c; /* leading indentation of the first line stays */
            continue;
        }
        if (started && newlines) {
            size_t k = newlines > 2 ? 2 : newlines;
            while (k--) b->data[w++] = '\n';
        }
        newlines = 0;
        started = true;
        b->data[w++] = c;
    }
    while (w && (b->data[w - 1] == ' ' || b->data[w - 1] == '\t')) w--;
    b->len = w;
    if (b->data) b->data[w] = '\0';
}

static bool subject_punct(char c)
{
    return c == ',' || c == ':' || c == ';';
}

/* Subject: runs of spaces become one, none at the ends or before a comma; punctuation left without its
 * value goes ("Reserva cancelada: , lunes" → "Reserva cancelada: lunes", a trailing ':' or ','); at most
 * SUBJECT_OUT_MAX characters (cut on a character boundary, with "…"). */
static void tidy_subject(struct bc_buf *b)
{
    size_t w = 0, chars = 0, cut = 0;
    for (size_t r = 0; r < b->len; r++) {
        char c = b->data[r];
        if (c == ' ' && (w == 0 || b->data[w - 1] == ' ')) continue;
        if (c == ',' && w && b->data[w - 1] == ' ') w--, chars--;
        if (c == ',' && (w == 0 || subject_punct(b->data[w - 1]))) continue;
        if (((unsigned char)c & 0xc0) != 0x80 && ++chars == SUBJECT_OUT_MAX) cut = w;
        b->data[w++] = c;
    }
    if (chars > SUBJECT_OUT_MAX) {
        w = cut;
        while (w && b->data[w - 1] == ' ') w--;
        b->len = w;
        bc_buf_puts(b, "…");
        return;
    }
    while (w && (b->data[w - 1] == ' ' || subject_punct(b->data[w - 1]))) w--;
    b->len = w;
    if (b->data) b->data[w] = '\0';
}

/* ---- the HTML layout ---------------------------------------------------------------------------------- */

/* Tables and inline styles only: Gmail drops <style> in some views and Outlook for Windows renders with
 * Word, which ignores max-width on divs and CSS buttons; a table cell with a background is the button. */
#define FONT "font-family:Arial,Helvetica,sans-serif;"
static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
static const char html_open[] =
    "</title>\n</head>\n<body style=\"margin:0;padding:0;background-color:#f4f4f5;\">\n"
    "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
    "style=\"background-color:#f4f4f5;\">\n<tr><td align=\"center\" style=\"padding:24px 12px;\">\n"
    "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
    "style=\"max-width:560px;background-color:#ffffff;border:1px solid #e4e4e7;border-radius:8px;\">\n";
static const char html_business[] = "<tr><td style=\"padding:20px 28px;border-bottom:1px solid #e4e4e7;" FONT
                                    "font-size:18px;font-weight:bold;color:#18181b;\">";
static const char html_body[] =
    "<tr><td style=\"padding:24px 28px 8px;" FONT "font-size:15px;line-height:1.5;color:#27272a;\">\n";
static const char html_button[] =
    "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"margin:0 0 "
    "16px;\">"
    "<tr><td style=\"border-radius:6px;background-color:#1d4ed8;\">"
    "<a href=\"%s\" style=\"display:inline-block;padding:12px 22px;" FONT
    "font-size:15px;font-weight:bold;color:#ffffff;text-decoration:none;border-radius:6px;\">";
static const char html_footer[] = "</td></tr>\n</table>\n<p style=\"margin:16px 0 0;" FONT
                                  "font-size:12px;line-height:1.4;color:#71717a;\">";
static const char html_close[] = "</p>\n</td></tr>\n</table>\n</body>\n</html>\n";

static void layout(struct bc_buf *h, const char *body, const char *subject, const struct bc_tpl_vars *v,
                   enum bc_tpl_audience aud, enum lang lg, int ev)
{
    bc_buf_printf(h, html_head, lang_names[lg]);
    html_escaped(h, subject, strlen(subject));
    bc_buf_puts(h, html_open);
    if (v->business && *v->business) {
        bc_buf_puts(h, html_business);
        put_text(h, v->business, strlen(v->business), -1, M_HTML);
        bc_buf_puts(h, "</td></tr>\n");
    }
    bc_buf_puts(h, html_body);
    render(h, body, v, M_HTML);
    const char *url = aud == BC_TPL_STAFF ? v->admin_url : v->manage_url;
    if (url && link_url(url)) {
        struct bc_buf esc = BC_BUF_INIT;
        html_escaped(&esc, url, strlen(url));
        bc_buf_printf(h, html_button, esc.data);
        bc_buf_puts(h, aud == BC_TPL_CUSTOMER && ev == EV_OFFERED ? accept_label[lg] : button_label[aud][lg]);
        bc_buf_puts(h, "</a></td></tr></table>\n");
        bc_buf_release(&esc);
    }
    bc_buf_puts(h, html_footer);
    bc_buf_puts(h, footer[lg]);
    bc_buf_puts(h, html_close);
}

/* ---- the entry points --------------------------------------------------------------------------------- */

static int event_index(const char *event)
{
    for (int i = 0; event && i < EV_COUNT; i++)
        if (strcmp(event, event_names[i]) == 0) return i;
    return -1;
}

static enum lang lang_of(const char *lang)
{
    return lang && strncmp(lang, "es", 2) == 0 && (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_')
               ? LANG_ES
               : LANG_EN;
}

/* The tenant's words for one message, or NULL: templates["staff.<event>" | "<event>"][lang]. */
static const json_t * override(const json_t *templates, enum bc_tpl_audience aud, int ev, enum lang lg)
{
    if (!json_is_object(templates)) return NULL;
    char key[64];
    snprintf(key, sizeof key, "%s%s", aud == BC_TPL_STAFF ? STAFF_PREFIX : "", event_names[ev]);
    const json_t *o = json_object_get(json_object_get(templates, key), lang_names[lg]);
    return json_is_object(o) ? o : NULL;
}

static const char *nonempty_string(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : NULL;
}

int bc_template_render(const json_t *templates, const char *event, const char *lang, enum bc_tpl_audience aud,
                       const struct bc_tpl_vars *v, char **subject, char **text, char **html)
{
    static const struct bc_tpl_vars none;
    *subject = *text = *html = NULL;
    int ev = event_index(event);
    if (ev < 0 || (aud != BC_TPL_CUSTOMER && aud != BC_TPL_STAFF) ||
        (aud == BC_TPL_CUSTOMER && ev >= CUSTOMER_EVENTS))
        return BC_EINVALID;
    if (!v) v = &none;
    enum lang lg = lang_of(lang);
    const struct words *def = &builtin[aud][ev][lg];
    const json_t *o = override(templates, aud, ev, lg);
    const char *subject_tpl = nonempty_string(o, "subject"), *text_tpl = nonempty_string(o, "text");

    struct bc_buf s = BC_BUF_INIT, t = BC_BUF_INIT, h = BC_BUF_INIT;
    render(&s, subject_tpl ? subject_tpl : def->subject, v, M_SUBJECT);
    tidy_subject(&s);
    if (!s.len && subject_tpl) { /* the tenant's subject rendered empty: a mail needs one */
        render(&s, def->subject, v, M_SUBJECT);
        tidy_subject(&s);
    }
    render(&t, text_tpl ? text_tpl : def->text, v, M_TEXT);
    tidy_text(&t);
    if (!t.len && text_tpl) { /* every line of the tenant's text was left out: a mail needs a text */
        text_tpl = NULL;
        render(&t, def->text, v, M_TEXT);
        tidy_text(&t);
    }
    layout(&h, text_tpl ? text_tpl : def->text, s.data ? s.data : "", v, aud, lg, ev);
    *subject = bc_buf_detach(&s, NULL);
    *text = bc_buf_detach(&t, NULL);
    *html = bc_buf_detach(&h, NULL);
    if (!*subject || !*text || !*html) {
        free(*subject), free(*text), free(*html);
        *subject = *text = *html = NULL;
        return BC_ENOMEM;
    }
    return 0;
}

/* ---- validation --------------------------------------------------------------------------------------- */

/* A key or value for a message: at most 40 bytes, cut on a character boundary (msg stays UTF-8). */
static const char *shown(const char *s, char out[48])
{
    size_t n = strlen(s);
    if (n > 40) {
        n = 40;
        while (n && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
    }
    snprintf(out, 48, "%.*s%s", (int)n, s, n < strlen(s) ? "…" : "");
    return out;
}

/* The placeholders of one template string: all known, closed on their line, admin_url only for staff. */
static int check_placeholders(const char *s, const char *where, enum bc_tpl_audience aud, char *msg,
                              size_t msgsize)
{
    for (const char *p = strstr(s, "{{"); p; p = strstr(p, "{{")) {
        size_t len = 0;
        int var = placeholder(p, &len);
        char name[48];
        if (!len) {
            snprintf(msg, msgsize, "%s: '{{' without a closing '}}' on the same line", where);
            return BC_EINVALID;
        }
        if (var < 0) {
            char raw[48];
            snprintf(raw, sizeof raw, "%.*s", (int)(len < sizeof raw - 1 ? len : sizeof raw - 1), p);
            snprintf(msg, msgsize,
                     "%s: unknown placeholder '%s' (known: {{customer_name}}, {{service}}, {{professional}}, "
                     "{{start_local}}, {{code}}, {{manage_url}}, {{business}}, {{admin_url}}, "
                     "{{customer_contact}}, {{detail}})",
                     where, shown(raw, name));
            return BC_EINVALID;
        }
        if (var == VAR_ADMIN_URL && aud == BC_TPL_CUSTOMER) {
            snprintf(msg, msgsize, "%s: {{admin_url}} is only for staff messages (keys 'staff.…')", where);
            return BC_EINVALID;
        }
        p += len;
    }
    return 0;
}

static const struct bc_jfield words_fields[] = {
    {"subject", BC_J_STRING, BC_JF_REQUIRED, 1, SUBJECT_TPL_MAX},
    {"text", BC_J_STRING, BC_JF_REQUIRED | BC_JF_MULTILINE, 1, TEXT_TPL_MAX},
    {NULL},
};

/* One language's words: the field table, byte lengths (the table counts characters), placeholders. */
static int check_words(json_t *w, const char *where, enum bc_tpl_audience aud, char *msg, size_t msgsize)
{
    char sub[160];
    if (!json_is_object(w)) {
        snprintf(msg, msgsize, "%s must be an object with \"subject\" and \"text\"", where);
        return BC_EINVALID;
    }
    if (bc_json_check(w, words_fields, sub, sizeof sub) < 0) {
        snprintf(msg, msgsize, "%s: %s", where, sub);
        return BC_EINVALID;
    }
    const char *subject = json_string_value(json_object_get(w, "subject"));
    const char *text = json_string_value(json_object_get(w, "text"));
    if (strlen(subject) > SUBJECT_TPL_MAX || strlen(text) > TEXT_TPL_MAX) {
        snprintf(msg, msgsize, "%s: the subject may have at most %d bytes and the text at most %d", where,
                 SUBJECT_TPL_MAX, TEXT_TPL_MAX);
        return BC_EINVALID;
    }
    char path[200]; /* where is at most 160 */
    snprintf(path, sizeof path, "%s.subject", where);
    if (check_placeholders(subject, path, aud, msg, msgsize) < 0) return BC_EINVALID;
    snprintf(path, sizeof path, "%s.text", where);
    return check_placeholders(text, path, aud, msg, msgsize);
}

int bc_template_validate(const json_t *templates, char *msg, size_t msgsize)
{
    if (!templates) return 0;
    if (!json_is_object(templates)) {
        snprintf(msg, msgsize, "templates must be an object");
        return BC_EINVALID;
    }
    size_t size = 0;
    char *dump = bc_json_dumps((json_t *)templates, &size);
    free(dump);
    if (!dump) return BC_ENOMEM;
    if (size > TEMPLATES_MAX) {
        snprintf(msg, msgsize, "templates may have at most %d bytes as JSON (these have %zu)", TEMPLATES_MAX,
                 size);
        return BC_EINVALID;
    }
    const char *key;
    json_t *langs;
    json_object_foreach((json_t *)templates, key, langs)
    {
        bool staff = strncmp(key, STAFF_PREFIX, strlen(STAFF_PREFIX)) == 0;
        int ev = event_index(staff ? key + strlen(STAFF_PREFIX) : key);
        char k[48], where[160];
        if (ev < 0 || (!staff && ev >= CUSTOMER_EVENTS)) {
            snprintf(msg, msgsize,
                     "templates: unknown key '%s' (customer messages: booking.created, booking.cancelled, "
                     "booking.rescheduled, booking.reminder, waitlist.offered; staff messages: 'staff.' and "
                     "any of these or "
                     "conversation.handoff, usage.limit_near, usage.limit_reached)",
                     shown(key, k));
            return BC_EINVALID;
        }
        if (!json_is_object(langs) || !json_object_size(langs)) {
            snprintf(msg, msgsize, "templates.%s must be an object of languages (\"es\", \"en\")", key);
            return BC_EINVALID;
        }
        const char *lang;
        json_t *w;
        json_object_foreach(langs, lang, w)
        {
            if (strcmp(lang, "es") != 0 && strcmp(lang, "en") != 0) {
                snprintf(msg, msgsize, "templates.%s: unknown language '%s' (use \"es\" or \"en\")", key,
                         shown(lang, k));
                return BC_EINVALID;
            }
            snprintf(where, sizeof where, "templates.%s.%s", key, lang);
            if (check_words(w, where, staff ? BC_TPL_STAFF : BC_TPL_CUSTOMER, msg, msgsize) < 0)
                return BC_EINVALID;
        }
    }
    return 0;
}
