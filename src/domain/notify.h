/* Who is told what: a tenant's notification settings (SETTINGS#NOTIFY), the recipients of an event, and
 * the e-mails and webhook bodies that tell them (docs/notifications.md). */
#ifndef BC_NOTIFY_H
#define BC_NOTIFY_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;

#define BC_NOTIFY_STAFF_MAX        10 /* staff addresses of a tenant */
#define BC_NOTIFY_REMINDERS_MAX    3  /* reminders of a booking */
#define BC_NOTIFY_REMINDER_MAX_MIN (14 * 24 * 60)

/* The settings with defaults: {"customer_emails":true,"staff_emails":[],"reminders":[{"before_min":1440}],
 * "templates":{}} (caller decrefs). */
int bc_notify_settings_get(struct bc_env *env, const struct bc_ctx *ctx, json_t **out);
/* Replaces them from body {"notifications":{…}} (every field optional: a missing one keeps its value).
 * BC_EINVALID with msg on bad input, nothing written. *out as get. */
int bc_notify_settings_put(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg,
                           size_t msgsize, json_t **out);

/* What the operator configured for sending (serve's settings). */
struct bc_notify_cfg {
    const char *smtp_url; /* NULL or "": e-mail is off */
    const char *smtp_user, *smtp_password;
    bool smtp_require_tls; /* smtp://: STARTTLS or no mail */
    const char *smtp_ca_file;
    const char *mail_from;  /* envelope and From address */
    const char *public_url; /* for the manage page and admin links */
    bool allow_private;     /* webhook_allow_private */
    /* the channels' upstreams (whatsapp_graph_url, telegram_api_url; NULL: Meta's and Telegram's) */
    const char *whatsapp_graph_url, *telegram_api_url;
};

/* One recipient of an event: an e-mail address (customer or staff audience) or a webhook. */
struct bc_recipient {
    char kind;    /* 'e' e-mail, 'w' webhook */
    bool staff;   /* e-mail to the business, not the customer */
    char to[256]; /* the address, or the webhook id */
};

/* The recipients of event ev (an outbox event item) under the tenant's settings, into *out (malloc'd, *n of
 * them; caller frees). E-mail recipients only when cfg has e-mail on. */
int bc_notify_recipients(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_notify_cfg *cfg,
                         const json_t *ev, struct bc_recipient **out, size_t *n);

/* The e-mail of a delivery item (kind "email"): the whole RFC 5322 message (caller frees), or NULL with msg.
 */
char *bc_notify_email(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_notify_cfg *cfg,
                      const json_t *delivery, char *msg, size_t msgsize);
/* The customer's message of event type about data (its template's plain text, as the e-mail's) for a chat
 * (channel_run.h's reminders). Caller frees; NULL when there is none. */
char *bc_notify_text(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_notify_cfg *cfg,
                     const char *type, const json_t *data, const char *lang);
/* The webhook body of an event {"type","timestamp","data"} (caller frees). */
char *bc_notify_webhook_body(const char *type, const char *timestamp, const json_t *data);
/* The preview of a template: subject, text and html of event in lang for audience ("customer"|"staff")
 * with a sample booking, from templates (unsaved, may be NULL: the saved ones). *out
 * {"subject","text","html"}. */
int bc_notify_preview(struct bc_env *env, const struct bc_ctx *ctx, const char *event, const char *lang,
                      const char *audience, const json_t *templates, char *msg, size_t msgsize, json_t **out);

#endif
