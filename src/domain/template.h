/* The words of notification e-mails: subject, plain text and HTML per event, audience (customer or staff)
 * and language, from the tenant's overrides (the "templates" object of the notification settings) or the
 * built-in Spanish and English texts. Pure: no store, no network; mail.h turns the result into a message. */
#ifndef BC_TEMPLATE_H
#define BC_TEMPLATE_H
#include <jansson.h>
#include <stddef.h>

/* The values of the placeholders {{customer_name}} … {{detail}}; NULL renders as empty. All borrowed. */
struct bc_tpl_vars {
    const char *customer_name, *service, *professional, *start_local, *code, *manage_url, *business;
    const char *admin_url; /* staff messages: a link into the admin panel */
    const char *detail;    /* free text: the hand-off message, or "80 %" / the limit for usage events */
    const char *customer_contact; /* staff messages: the customer's e-mail and/or phone */
};

enum bc_tpl_audience { BC_TPL_CUSTOMER, BC_TPL_STAFF };

/* Renders subject, text and html for event ("booking.created", "booking.cancelled", "booking.rescheduled",
 * "booking.reminder", "conversation.handoff", "usage.limit_near", "usage.limit_reached") in lang ("es" or
 * "es-…" → Spanish, anything else → English), from the tenant's overrides (templates, may be NULL: keys as
 * bc_template_validate describes; a language missing there falls back to the built-in text of that
 * language) or the built-in texts.
 * - Placeholders {{name}} (spaces inside the braces allowed) are replaced by the vars (NULL → empty); a line
 *   whose placeholders all render empty is left out ("Profesional: {{professional}}" without one).
 * - subject: one line (line breaks, control characters, line separators and bidirectional controls in
 *   values become spaces, so bc_mail_build takes it), at most 250 characters (longer ones are cut with
 *   "…"); when the tenant's subject renders empty, the built-in one is used.
 * - text: the plain text with LF line ends; when every line of the tenant's text is left out, the
 *   built-in text (and its HTML) is used.
 * - html: a small inline-styled layout that mail clients render alike (business name header, the text as
 *   paragraphs with links, a button to manage_url for the customer / admin_url for the staff when it is an
 *   http(s) URL, an "automatic message" footer); every value and every text is HTML-escaped.
 * Returns 0 (caller frees the three strings with free()), BC_EINVALID for an unknown event or a customer
 * message of a staff-only event (hand-off, usage), BC_ENOMEM. On error the three are set to NULL. */
int bc_template_render(const json_t *templates, const char *event, const char *lang, enum bc_tpl_audience aud,
                       const struct bc_tpl_vars *v, char **subject, char **text, char **html);

/* Validates a "templates" object before it is saved (NULL: nothing to check): keys are event names for
 * customer messages (only the four booking.* events) or "staff.<event>" for staff messages (all seven
 * events); each value an object of languages ("es", "en"), each an object with exactly "subject" (1..200
 * bytes, one line without control characters) and "text" (1..8000 bytes, lines and tabs allowed); only the
 * known placeholders ({{admin_url}} only in staff messages); at most 64 KiB as compact JSON.
 * 0, or BC_EINVALID with a one-line message naming the bad key or placeholder in msg. */
int bc_template_validate(const json_t *templates, char *msg, size_t msgsize);

/* The placeholder names, for documentation and the admin panel: NULL-terminated. */
extern const char *const bc_template_placeholders[];

#endif
