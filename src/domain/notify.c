/* Who is told what, and the words: notification settings, recipients, e-mails and webhook bodies. */
#include "domain/notify.h"
#include "domain/booking.h"
#include "domain/chat_text.h"
#include "domain/entity.h"
#include "domain/env.h"
#include "domain/fields.h"
#include "domain/ics.h"
#include "domain/keys.h"
#include "domain/mail.h"
#include "domain/outbox.h"
#include "domain/settings.h"
#include "domain/template.h"
#include "domain/waitlist.h"
#include "domain/webhook.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"
#include "util/tz.h"

#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#define SETTINGS_SK "SETTINGS#NOTIFY"

/* ---- settings ---- */

static json_t *defaults(void)
{
    return json_pack("{s:b, s:[], s:[{s:i}], s:{}}", "customer_emails", 1, "staff_emails", "reminders",
                     "before_min", 1440, "templates");
}

int bc_notify_settings_get(struct bc_env *env, const struct bc_ctx *ctx, json_t **out)
{
    const json_t *item = NULL;
    *out = NULL;
    int rc = bc_settings_item_ro(env, ctx, "NOTIFY", &item);
    if (rc < 0) return rc;
    json_t *s = defaults();
    if (!s) {
        bc_json_release(item);
        return BC_ENOMEM;
    }
    json_t *saved = json_object_get(item, "notifications");
    json_t *copy = json_is_object(saved) ? json_deep_copy(saved) : NULL;
    if (copy) json_object_update(s, copy);
    json_decref(copy);
    bc_json_release(item);
    *out = s;
    return 0;
}

static int check_staff(json_t *v, char *msg, size_t msgsize)
{
    if (!json_is_array(v) || json_array_size(v) > BC_NOTIFY_STAFF_MAX) {
        snprintf(msg, msgsize, "staff_emails must be a list of at most %d e-mail addresses",
                 BC_NOTIFY_STAFF_MAX);
        return BC_EINVALID;
    }
    size_t i, j;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        const char *a = json_string_value(e);
        if (!a || !bc_mail_address_valid(a)) {
            snprintf(msg, msgsize, "staff_emails[%zu] is not a valid e-mail address", i);
            return BC_EINVALID;
        }
        for (j = 0; j < i; j++)
            if (strcasecmp(json_string_value(json_array_get(v, j)), a) == 0) {
                snprintf(msg, msgsize, "staff_emails[%zu] is listed twice", i);
                return BC_EINVALID;
            }
    }
    return 0;
}

static int check_reminders(json_t *v, char *msg, size_t msgsize)
{
    if (!json_is_array(v) || json_array_size(v) > BC_NOTIFY_REMINDERS_MAX) {
        snprintf(msg, msgsize, "reminders must be a list of at most %d reminders", BC_NOTIFY_REMINDERS_MAX);
        return BC_EINVALID;
    }
    size_t i, j;
    json_t *r;
    json_array_foreach(v, i, r)
    {
        json_t *b = json_object_get(r, "before_min");
        if (!json_is_object(r) || json_object_size(r) != 1 || !json_is_integer(b) ||
            json_integer_value(b) < 5 || json_integer_value(b) > BC_NOTIFY_REMINDER_MAX_MIN) {
            snprintf(msg, msgsize, "reminders[%zu] must be {\"before_min\": 5..%d}", i,
                     BC_NOTIFY_REMINDER_MAX_MIN);
            return BC_EINVALID;
        }
        for (j = 0; j < i; j++)
            if (json_integer_value(json_object_get(json_array_get(v, j), "before_min")) ==
                json_integer_value(b)) {
                snprintf(msg, msgsize, "reminders[%zu] repeats another reminder", i);
                return BC_EINVALID;
            }
    }
    return 0;
}

int bc_notify_settings_put(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg,
                           size_t msgsize, json_t **out)
{
    json_t *n = json_object_get(body, "notifications"), *cur = NULL;
    *out = NULL;
    if (!json_is_object(n)) {
        snprintf(msg, msgsize, "the body must be {\"notifications\": {…}}");
        return BC_EINVALID;
    }
    const char *k;
    json_t *v;
    json_object_foreach(n, k, v)
    {
        int rc = 0;
        if (strcmp(k, "customer_emails") == 0) {
            if (!json_is_boolean(v)) {
                snprintf(msg, msgsize, "customer_emails must be true or false");
                rc = BC_EINVALID;
            }
        } else if (strcmp(k, "staff_emails") == 0) {
            rc = check_staff(v, msg, msgsize);
        } else if (strcmp(k, "reminders") == 0) {
            rc = check_reminders(v, msg, msgsize);
        } else if (strcmp(k, "templates") == 0) {
            rc = json_is_object(v) ? bc_template_validate(v, msg, msgsize) : BC_EINVALID;
            if (rc < 0 && !json_is_object(v)) snprintf(msg, msgsize, "templates must be an object");
        } else {
            snprintf(msg, msgsize, "unknown field notifications.%.60s", k);
            rc = BC_EINVALID;
        }
        if (rc < 0) return rc;
    }
    int rc = bc_notify_settings_get(env, ctx, &cur);
    if (rc < 0) return rc;
    json_object_update(cur, n);
    char pk[BC_KEY_SIZE], now[32];
    bc_now_iso(now);
    if (!bc_key_tenant_pk(ctx, pk)) rc = BC_ENOT_FOUND;
    json_t *item = rc == 0 ? json_pack("{s:s, s:s, s:O, s:s}", "PK", pk, "SK", SETTINGS_SK, "notifications",
                                       cur, "updated_at", now)
                           : NULL;
    if (rc == 0) rc = item ? bc_store_put(env->store, item, NULL) : BC_ENOMEM;
    json_decref(item);
    if (rc == 0)
        *out = cur;
    else
        json_decref(cur);
    return rc;
}

/* ---- recipients ---- */

static bool is_booking_event(const char *type)
{
    return strncmp(type, "booking.", 8) == 0;
}

static bool customer_event(const char *type)
{
    return is_booking_event(type) || strcmp(type, BC_EV_WAITLIST_OFFERED) == 0;
}

/* the staff see the waitlist in the panel; an offer is the customer's business */
static bool staff_event(const char *type)
{
    return strcmp(type, BC_EV_BOOKING_REMINDER) != 0 && strcmp(type, BC_EV_WAITLIST_OFFERED) != 0;
}

static int push(struct bc_recipient **arr, size_t *n, size_t *cap, char kind, bool staff, const char *to)
{
    for (size_t i = 0; i < *n; i++) /* one e-mail per address, even when listed as staff and professional */
        if ((*arr)[i].kind == kind && strcasecmp((*arr)[i].to, to) == 0) return 0;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct bc_recipient *na = realloc(*arr, nc * sizeof *na);
        if (!na) return BC_ENOMEM;
        *arr = na;
        *cap = nc;
    }
    struct bc_recipient *r = &(*arr)[(*n)++];
    r->kind = kind;
    r->staff = staff;
    snprintf(r->to, sizeof r->to, "%s", to);
    return 0;
}

int bc_notify_recipients(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_notify_cfg *cfg,
                         const json_t *ev, struct bc_recipient **out, size_t *n)
{
    const char *type = bc_field_str(ev, "type");
    json_t *settings = NULL, *hooks = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = bc_notify_settings_get(env, ctx, &settings);
    bool email = cfg->smtp_url && *cfg->smtp_url;
    const json_t *booking = json_object_get(json_object_get(ev, "data"), "booking");
    if (!booking)
        booking = json_object_get(json_object_get(ev, "data"), "waitlist"); /* an offer's customer */
    if (rc == 0 && email && customer_event(type) &&
        json_is_true(json_object_get(settings, "customer_emails"))) {
        const char *to = bc_field_str(json_object_get(booking, BC_F_CUSTOMER), "email");
        if (to && bc_mail_address_valid(to)) rc = push(out, n, &cap, 'e', false, to);
    }
    if (rc == 0 && email && staff_event(type)) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(settings, "staff_emails"), i, a)
        {
            if (rc == 0) rc = push(out, n, &cap, 'e', true, json_string_value(a));
        }
        const char *pro = bc_field_str(booking, BC_F_PROVIDER);
        const json_t *p = NULL;
        if (rc == 0 && pro && bc_entity_get_ro(env, ctx, "PROVIDER", pro, &p) == 0) {
            const char *to = bc_field_str(p, "email");
            if (to && bc_mail_address_valid(to)) rc = push(out, n, &cap, 'e', true, to);
            bc_json_release(p);
        }
    }
    if (rc == 0) rc = bc_webhook_targets(env, ctx, type, &hooks);
    size_t i;
    json_t *h;
    json_array_foreach(hooks, i, h)
    {
        if (rc == 0) rc = push(out, n, &cap, 'w', false, bc_field_str(h, BC_F_ID));
    }
    json_decref(hooks);
    json_decref(settings);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- words ---- */

/* "lunes, 7 de diciembre de 2026, 10:00" in the booking's zone. */
static void start_local(const json_t *booking, const char *lang, char *out, size_t size)
{
    struct bc_tz_local l;
    const char *zone = bc_field_str(booking, BC_F_TIMEZONE);
    out[0] = '\0';
    if (!zone || bc_tz_from_utc(zone, json_integer_value(json_object_get(booking, "start_ts")), &l) < 0)
        return;
    char d[96], t[32];
    bc_chat_format_date(lang, l.year, l.month, l.mday, l.weekday, d, sizeof d);
    bc_chat_format_time(lang, l.hour, l.minute, t, sizeof t);
    snprintf(out, size, "%s, %s", d, t);
}

struct words {
    char start[160], manage[1024], admin[512], detail[600], contact[300];
    struct bc_tpl_vars v;
};

static void words_of(const struct bc_ctx *ctx, const struct bc_notify_cfg *cfg, const json_t *settings,
                     const char *type, const json_t *data, const char *lang, struct words *w)
{
    const json_t *b = json_object_get(data, "booking"), *wl = json_object_get(data, "waitlist");
    const char *base = cfg->public_url ? cfg->public_url : "";
    memset(w, 0, sizeof *w);
    if (!b) b = wl; /* an offer: the same words, its accept link for the manage link */
    w->v.business = bc_field_str(json_object_get(settings, BC_F_BUSINESS), BC_F_NAME);
    if (b) {
        start_local(b, lang, w->start, sizeof w->start);
        const json_t *cu = json_object_get(b, BC_F_CUSTOMER);
        const char *em = bc_field_str(cu, "email"), *ph = bc_field_str(cu, "phone");
        w->v.customer_name = bc_field_str(cu, BC_F_NAME);
        snprintf(w->contact, sizeof w->contact, "%s%s%s", em ? em : "", em && ph ? ", " : "", ph ? ph : "");
        w->v.customer_contact = w->contact;
        w->v.service = bc_field_str(b, "service_name");
        w->v.professional = bc_field_str(b, "provider_name");
        w->v.start_local = w->start;
        w->v.code = bc_field_str(b, BC_F_CODE);
        char *tok = wl ? bc_waitlist_accept_url(base, ctx->tenant_id, bc_field_str(wl, BC_F_ID),
                                                bc_field_str(wl, "hold_id"))
                       : bc_booking_manage_token(ctx->tenant_id, bc_field_str(b, BC_F_ID));
        if (tok && wl) snprintf(w->manage, sizeof w->manage, "%s", tok);
        if (tok && !wl)
            snprintf(w->manage, sizeof w->manage, "%s/manage/?code=%s&token=%s", base, w->v.code, tok);
        free(tok);
        w->v.manage_url = w->manage;
        /* the admin panel's day view of the booking's local date */
        snprintf(w->admin, sizeof w->admin, "%s/admin/#/bookings?view=day&date=%.10s", base,
                 bc_field_str(b, BC_F_START) ?: bc_field_str(b, "date") ?: "");
        /* an offer: until when it is held, in the customer's words */
        const json_t *offer = json_object_get(wl, "offer");
        int64_t exp = 0;
        struct bc_tz_local l;
        if (offer && bc_time_parse_iso(bc_field_str(offer, "expires_at"), &exp) == 0 &&
            bc_tz_from_utc(bc_field_str(b, BC_F_TIMEZONE) ?: "UTC", exp, &l) == 0)
            bc_chat_format_time(lang, l.hour, l.minute, w->detail, sizeof w->detail);
    } else {
        snprintf(w->admin, sizeof w->admin, "%s/admin/", base);
    }
    w->v.admin_url = w->admin;
    const json_t *conv = json_object_get(data, "conversation");
    const json_t *u = json_object_get(data, "usage");
    if (conv) {
        snprintf(w->detail, sizeof w->detail, "%s", bc_field_str(data, "detail") ?: "");
        snprintf(w->admin, sizeof w->admin, "%s/admin/#/conversations?id=%s", base,
                 bc_field_str(conv, BC_F_ID));
    } else if (u && !wl) {
        snprintf(w->detail, sizeof w->detail, "%s: %lld / %lld", bc_field_str(u, "counter"),
                 (long long)json_integer_value(json_object_get(u, "count")),
                 (long long)json_integer_value(json_object_get(u, "limit")));
    }
    (void)type;
    w->v.detail = w->detail;
}

/* The booking's calendar attachment: REQUEST (created, moved) or CANCEL, with the booking's version as its
 * SEQUENCE, so that the customer's calendar replaces the earlier one with the same UID. */
static char *invite(const json_t *settings, const json_t *b, const struct bc_notify_cfg *cfg, bool cancel)
{
    const json_t *biz = json_object_get(settings, BC_F_BUSINESS);
    char uid[96], summary[300];
    snprintf(uid, sizeof uid, "%s@bookchat", bc_field_str(b, BC_F_ID));
    snprintf(summary, sizeof summary, "%s — %s", bc_field_str(b, "service_name") ?: "",
             bc_field_str(biz, BC_F_NAME) ?: "");
    struct bc_ics_event ev = {
        .uid = uid,
        .start = json_integer_value(json_object_get(b, "start_ts")),
        .end = json_integer_value(json_object_get(b, "end_ts")),
        .stamp = bc_now_s(),
        .summary = summary,
        .location = bc_field_str(biz, "address"),
        .description = bc_field_str(b, BC_F_CODE),
        .organizer = bc_field_str(biz, BC_F_NAME),
        .organizer_email = cfg->mail_from,
        .attendee_email = bc_field_str(json_object_get(b, BC_F_CUSTOMER), "email"),
        .attendee_name = bc_field_str(json_object_get(b, BC_F_CUSTOMER), BC_F_NAME),
        .cancelled = cancel,
        .method = cancel ? "CANCEL" : "REQUEST",
        .sequence = json_integer_value(json_object_get(b, "version")),
    };
    return bc_ics_render(&ev);
}

char *bc_notify_email(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_notify_cfg *cfg,
                      const json_t *delivery, char *msg, size_t msgsize)
{
    json_t *settings = NULL, *ns = NULL;
    char *subject = NULL, *text = NULL, *html = NULL, *ics = NULL, *out = NULL;
    const char *type = bc_field_str(delivery, "event"), *lang = bc_field_str(delivery, "lang");
    const json_t *data = json_object_get(delivery, "data"), *b = json_object_get(data, "booking");
    bool staff = json_is_true(json_object_get(delivery, "staff"));
    if (bc_settings_get(env, ctx, &settings) < 0 || bc_notify_settings_get(env, ctx, &ns) < 0) {
        snprintf(msg, msgsize, "the tenant's settings could not be read");
        goto done;
    }
    struct words w;
    words_of(ctx, cfg, settings, type, data, lang, &w);
    if (bc_template_render(json_object_get(ns, "templates"), type, lang,
                           staff ? BC_TPL_STAFF : BC_TPL_CUSTOMER, &w.v, &subject, &text, &html) < 0) {
        snprintf(msg, msgsize, "no message for %s", type);
        goto done;
    }
    bool cancel = strcmp(type, BC_EV_BOOKING_CANCELLED) == 0;
    if (!staff && b && strcmp(type, BC_EV_BOOKING_REMINDER) != 0) ics = invite(settings, b, cfg, cancel);
    char mid[320];
    const char *domain = bc_mail_domain(cfg->mail_from);
    snprintf(mid, sizeof mid, "%s@%s", bc_field_str(delivery, BC_F_ID), domain ? domain : "bookchat.invalid");
    const char *biz_email = bc_field_str(json_object_get(settings, BC_F_BUSINESS), "email");
    struct bc_mail m = {
        .from_name = w.v.business && *w.v.business ? w.v.business : "bookchat",
        .from_addr = cfg->mail_from,
        .reply_to = biz_email && bc_mail_address_valid(biz_email) ? biz_email : NULL,
        .to = bc_field_str(delivery, "to"),
        .subject = subject,
        .text = text,
        .html = html,
        .ics = ics,
        .ics_method = ics ? (cancel ? "CANCEL" : "REQUEST") : NULL,
        .message_id = mid,
        .date_s = bc_now_s(),
        .lang = lang,
    };
    out = bc_mail_build(&m, msg, msgsize);
done:
    free(subject);
    free(text);
    free(html);
    free(ics);
    json_decref(settings);
    json_decref(ns);
    return out;
}

char *bc_notify_text(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_notify_cfg *cfg,
                     const char *type, const json_t *data, const char *lang)
{
    json_t *settings = NULL, *ns = NULL;
    char *subject = NULL, *text = NULL, *html = NULL;
    if (bc_settings_get(env, ctx, &settings) == 0 && bc_notify_settings_get(env, ctx, &ns) == 0) {
        struct words w;
        words_of(ctx, cfg, settings, type, data, lang, &w);
        if (bc_template_render(json_object_get(ns, "templates"), type, lang, BC_TPL_CUSTOMER, &w.v, &subject,
                               &text, &html) < 0)
            text = NULL;
    }
    free(subject);
    free(html);
    json_decref(settings);
    json_decref(ns);
    return text;
}

char *bc_notify_webhook_body(const char *type, const char *timestamp, const json_t *data)
{
    json_t *o = json_pack("{s:s, s:s, s:O}", "type", type, "timestamp", timestamp, "data", data);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return s;
}

int bc_notify_preview(struct bc_env *env, const struct bc_ctx *ctx, const char *event, const char *lang,
                      const char *audience, const json_t *templates, char *msg, size_t msgsize, json_t **out)
{
    json_t *settings = NULL, *ns = NULL;
    *out = NULL;
    bool staff = audience && strcmp(audience, "staff") == 0;
    if (!bc_event_type_known(event) || (audience && !staff && strcmp(audience, "customer") != 0) ||
        (!staff && !customer_event(event))) {
        snprintf(msg, msgsize,
                 "event must be one of the notification events (customers get booking.* only), "
                 "audience customer or staff");
        return BC_EINVALID;
    }
    if (templates && !json_is_object(templates)) {
        snprintf(msg, msgsize, "templates must be an object");
        return BC_EINVALID;
    }
    int rc = templates ? bc_template_validate(templates, msg, msgsize) : 0;
    if (rc == 0) rc = bc_settings_get(env, ctx, &settings);
    if (rc == 0) rc = bc_notify_settings_get(env, ctx, &ns);
    /* a sample booking tomorrow at 10:00 in the tenant's zone */
    const char *zone = bc_field_str(settings, BC_F_TIMEZONE) ?: "UTC";
    struct bc_tz_local l;
    int64_t start = bc_now_s() + 86400;
    if (rc == 0 && bc_tz_from_utc(zone, start, &l) == 0) bc_tz_to_utc(zone, l.day, 10 * 3600, &start);
    json_t *data = json_pack(
        "{s:{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:{s:s, s:s}}, s:s, s:{s:s, s:s}, s:{s:s, "
        "s:I, s:I}}",
        "booking", "id", "01SAMPLE000000000000000000", "code", "K7M2QX", "service_name",
        lang && strcmp(lang, "es") == 0 ? "Corte de pelo" : "Haircut", "provider_name", "Ana", "timezone",
        zone, "start_ts", (json_int_t)start, "end_ts", (json_int_t)(start + 1800), "customer", "name",
        "María García", "email", "maria@example.com", "detail", "¿Puedo hablar con alguien?", "conversation",
        "id", "01SAMPLE000000000000000000", "lang", lang ? lang : "en", "usage", "counter", "bookings",
        "count", (json_int_t)80, "limit", (json_int_t)100);
    if (rc == 0 && strcmp(event, BC_EV_WAITLIST_OFFERED) == 0) /* the sample as an offer */
        json_object_set_new(data, "waitlist", json_deep_copy(json_object_get(data, "booking")));
    if (rc == 0 && strncmp(event, "booking.", 8) != 0) json_object_del(data, "booking");
    if (rc == 0 && strcmp(event, BC_EV_HANDOFF) != 0) json_object_del(data, "conversation");
    if (rc == 0 && strncmp(event, "usage.", 6) != 0) json_object_del(data, "usage");
    if (rc == 0) {
        struct words w;
        struct bc_notify_cfg cfg = {0};
        char *subject = NULL, *text = NULL, *html = NULL;
        words_of(ctx, &cfg, settings, event, data, lang, &w);
        w.v.manage_url = "https://example.com/manage/?code=K7M2QX";
        rc = bc_template_render(templates ? templates : json_object_get(ns, "templates"), event, lang,
                                staff ? BC_TPL_STAFF : BC_TPL_CUSTOMER, &w.v, &subject, &text, &html);
        if (rc == 0) *out = json_pack("{s:s, s:s, s:s}", "subject", subject, "text", text, "html", html);
        if (rc == 0 && !*out) rc = BC_ENOMEM;
        free(subject);
        free(text);
        free(html);
    }
    json_decref(data);
    json_decref(settings);
    json_decref(ns);
    return rc;
}
