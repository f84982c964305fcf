/* Calendar subscription feeds: tokens and the rendering of a professional's (or the tenant's) bookings.
 *
 * DESIGN NOTES
 * - Token: b64url("<tenant>|<scope>") "." b64url(first 16 bytes of HMAC-SHA256 under the server secret's
 *   "feed" key of "<tenant>|<scope>|<generation>"). '|' is not an id character (bc_key_id_ok), so the
 *   split is unambiguous; the token uses only URL-safe characters; 128 bits of MAC make guessing hopeless.
 *   The generation lives in its own small item (FEED#<scope>) rather than on the professional or in the
 *   settings: the tenant-wide feed has no professional, the settings are validated field by field, and a
 *   counter beside them cannot be clobbered by an edit of either. A professional's feed also needs the
 *   professional: deleting one ends its feed.
 * - The feed is staff data (the customer's e-mail, phone and notes are in each event's description): the
 *   URL is the staff's secret, like a password; docs/calendars.md says so.
 * - DTSTAMP is the booking's last change rather than the time of the request, so an unchanged feed is the
 *   same bytes on each poll (its ETag holds and the pollers get 304). */
#include "domain/feed.h"
#include "domain/booking.h"
#include "domain/entity.h"
#include "domain/env.h"
#include "domain/fields.h"
#include "domain/ics.h"
#include "domain/settings.h"
#include "auth/secret.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/tz.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND "FEED"
#define PAGE 500

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The token for a generation. */
static char *make_token(const char *tenant, const char *scope, int64_t gen)
{
    char data[160], mac_hex[65], name[140];
    unsigned char mac[16];
    snprintf(name, sizeof name, "%s|%s", tenant, scope);
    snprintf(data, sizeof data, "%s|%lld", name, (long long)gen);
    bc_secret_hmac_hex("feed", data, strlen(data), mac_hex);
    sodium_hex2bin(mac, sizeof mac, mac_hex, 32, NULL, NULL, NULL);
    char n64[200], m64[32];
    bc_b64url_encode(name, strlen(name), n64);
    bc_b64url_encode(mac, sizeof mac, m64);
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "%s.%s", n64, m64);
    return bc_buf_detach(&b, NULL);
}

/* The scope's generation: 0 when no feed was ever made. */
static int generation(struct bc_env *env, const struct bc_ctx *ctx, const char *scope, int64_t *gen)
{
    const json_t *it = NULL;
    *gen = 0;
    int rc = bc_entity_get_ro(env, ctx, KIND, scope, &it);
    if (rc == BC_ENOT_FOUND) return 0;
    if (rc < 0) return rc;
    *gen = json_integer_value(json_object_get(it, "gen"));
    bc_json_release(it);
    return 0;
}

static int scope_exists(struct bc_env *env, const struct bc_ctx *ctx, const char *scope)
{
    if (strcmp(scope, BC_FEED_ALL) == 0) return 0;
    const json_t *p = NULL;
    int rc = bc_entity_get_ro(env, ctx, "PROVIDER", scope, &p);
    bc_json_release(p);
    return rc;
}

int bc_feed_token(struct bc_env *env, const struct bc_ctx *ctx, const char *scope, bool renew, char **token)
{
    int64_t gen = 0;
    *token = NULL;
    if (!scope || !bc_key_id_ok(scope)) return BC_ENOT_FOUND;
    int rc = scope_exists(env, ctx, scope);
    if (rc == 0) rc = generation(env, ctx, scope, &gen);
    if (rc < 0) return rc;
    if (gen == 0) {
        json_t *item = json_pack("{s:s, s:I}", "id", scope, "gen", (json_int_t)1);
        if (!item) return BC_ENOMEM;
        rc = bc_entity_create(env, ctx, KIND, item);
        json_decref(item);
        /* made meanwhile by another request: use that one */
        if (rc == BC_ECONFLICT)
            rc = generation(env, ctx, scope, &gen);
        else if (rc == 0)
            gen = 1;
    } else if (renew) {
        /* two renewals at once may both write gen+1: both get the same new URL, the old one is dead */
        json_t *set = json_pack("{s:I}", "gen", (json_int_t)(gen + 1));
        rc = set ? bc_entity_update(env, ctx, KIND, scope, set, NULL) : BC_ENOMEM;
        json_decref(set);
        if (rc == 0) gen++;
    }
    if (rc < 0) return rc;
    *token = make_token(ctx->tenant_id, scope, gen);
    return *token ? 0 : BC_ENOMEM;
}

int bc_feed_verify(struct bc_env *env, const char *token, char *tenant_out, size_t tsize, char *scope_out,
                   size_t ssize)
{
    if (!token || strlen(token) > BC_FEED_TOKEN_MAX) return BC_ENOT_FOUND;
    const char *dot = strchr(token, '.');
    if (!dot) return BC_ENOT_FOUND;
    char name[160];
    int n = bc_b64url_decode(token, (size_t)(dot - token), name, sizeof name - 1);
    if (n <= 0) return BC_ENOT_FOUND;
    name[n] = '\0';
    char *bar = strchr(name, '|');
    if (!bar || memchr(name, '\0', (size_t)n)) return BC_ENOT_FOUND;
    *bar = '\0';
    const char *tenant = name, *scope = bar + 1;
    struct bc_ctx ctx;
    if (!bc_key_id_ok(tenant) || !bc_key_id_ok(scope) || strlen(tenant) >= tsize || strlen(scope) >= ssize ||
        bc_ctx_operator(&ctx, tenant) < 0)
        return BC_ENOT_FOUND;
    int64_t gen = 0;
    int rc = generation(env, &ctx, scope, &gen);
    if (rc < 0) return rc;
    /* no generation: compared against generation 0, which never verifies (no token is made for it), so an
     * unknown scope costs the same as a wrong MAC */
    char *want = make_token(tenant, scope, gen);
    bool ok =
        want && gen > 0 && strlen(want) == strlen(token) && sodium_memcmp(want, token, strlen(token)) == 0;
    free(want);
    if (!ok) return BC_ENOT_FOUND;
    snprintf(tenant_out, tsize, "%s", tenant);
    snprintf(scope_out, ssize, "%s", scope);
    return 0;
}

/* The words of the description, in the tenant's language. */
struct words {
    const char *code, *pro, *customer, *email, *phone, *notes;
};
static const struct words words_es = {"Código", "Profesional", "Cliente", "E-mail", "Teléfono", "Notas"};
static const struct words words_en = {"Code", "Professional", "Customer", "E-mail", "Phone", "Notes"};

static void describe(struct bc_buf *b, const struct words *w, const json_t *it)
{
    const json_t *c = json_object_get(it, BC_F_CUSTOMER);
    const char *v;
    bc_buf_printf(b, "%s: %s\n", w->code, str(it, BC_F_CODE) ? str(it, BC_F_CODE) : "");
    if ((v = str(it, "provider_name"))) bc_buf_printf(b, "%s: %s\n", w->pro, v);
    if ((v = str(c, BC_F_NAME))) bc_buf_printf(b, "%s: %s\n", w->customer, v);
    if ((v = str(c, "email"))) bc_buf_printf(b, "%s: %s\n", w->email, v);
    if ((v = str(c, "phone"))) bc_buf_printf(b, "%s: %s\n", w->phone, v);
    if ((v = str(it, "notes")) && *v) bc_buf_printf(b, "%s: %s\n", w->notes, v);
    if (b->len && b->data[b->len - 1] == '\n') b->data[--b->len] = '\0';
}

static int64_t when(const json_t *it, const char *k)
{
    int64_t t = 0;
    const char *s = str(it, k);
    return s && bc_time_parse_iso(s, &t) == 0 ? t : 0;
}

/* The events of the bookings in items; strings point into items and into bufs (n of them). */
static int events(json_t *items, const struct words *w, const char *where, struct bc_ics_event *evs,
                  struct bc_buf *bufs, size_t *n)
{
    size_t i;
    json_t *it;
    *n = 0;
    json_array_foreach(items, i, it)
    {
        const char *st = str(it, BC_F_STATUS);
        if (!st || strcmp(st, "pending") == 0 || strcmp(st, "failed") == 0) continue;
        struct bc_buf *b = &bufs[*n * 3];
        bc_buf_printf(&b[0], "%s@bookchat", str(it, BC_F_ID) ? str(it, BC_F_ID) : "");
        bc_buf_printf(&b[1], "%s — %s", str(it, "service_name") ? str(it, "service_name") : "",
                      str(json_object_get(it, BC_F_CUSTOMER), BC_F_NAME)
                          ? str(json_object_get(it, BC_F_CUSTOMER), BC_F_NAME)
                          : "");
        describe(&b[2], w, it);
        if (!b[0].data || !b[1].data || !b[2].data) return BC_ENOMEM;
        int64_t changed = when(it, "updated_at");
        if (!changed) changed = when(it, "created_at");
        evs[*n] = (struct bc_ics_event){
            .uid = b[0].data,
            .start = json_integer_value(json_object_get(it, "start_ts")),
            .end = json_integer_value(json_object_get(it, "end_ts")),
            .stamp = changed,
            .summary = b[1].data,
            .description = b[2].data,
            .location = where,
            .cancelled = strcmp(st, "cancelled") == 0,
            .sequence = json_integer_value(json_object_get(it, "version")),
            .last_modified = changed,
        };
        (*n)++;
    }
    return 0;
}

/* Up to BC_FEED_MAX_EVENTS booking items of scope between the local dates from and to. */
static int collect(struct bc_env *env, const struct bc_ctx *ctx, const char *pro, const char *from,
                   const char *to, json_t **all)
{
    char *cursor = NULL;
    int rc = 0;
    *all = json_array();
    do {
        json_t *page = NULL;
        char *next = NULL;
        size_t room = BC_FEED_MAX_EVENTS - json_array_size(*all);
        rc = bc_booking_list_items(env, ctx, from, to, pro, room < PAGE ? (int)room : PAGE, cursor, &page,
                                   &next);
        free(cursor);
        cursor = next;
        if (rc == 0) json_array_extend(*all, page);
        json_decref(page);
    } while (rc == 0 && cursor && json_array_size(*all) < BC_FEED_MAX_EVENTS);
    free(cursor);
    /* a page may overshoot its limit (the list fills pages from several store reads) */
    while (json_array_size(*all) > BC_FEED_MAX_EVENTS) json_array_remove(*all, json_array_size(*all) - 1);
    return rc;
}

int bc_feed_render(struct bc_env *env, const struct bc_ctx *ctx, const char *scope, char **ics)
{
    json_t *settings = NULL, *items = NULL, *pro = NULL;
    struct bc_ics_event *evs = NULL;
    struct bc_buf *bufs = NULL;
    size_t n = 0;
    *ics = NULL;
    bool all = strcmp(scope, BC_FEED_ALL) == 0;
    int rc = all ? 0 : bc_entity_get(env, ctx, "PROVIDER", scope, &pro);
    if (rc == 0) rc = bc_settings_get(env, ctx, &settings);
    if (rc < 0) goto done;
    const char *zone = bc_settings_zone(settings) ? bc_settings_zone(settings) : "UTC";
    int64_t ahead =
        json_integer_value(json_object_get(json_object_get(settings, "booking"), "max_days_ahead"));
    if (ahead < 1) ahead = 60;
    struct bc_tz_local now;
    if ((rc = bc_tz_from_utc(zone, bc_now_s(), &now)) < 0) goto done;
    char from[11], to[11];
    bc_tz_date_format(bc_tz_date_add_days(now.day, -BC_FEED_PAST_DAYS), from);
    bc_tz_date_format(bc_tz_date_add_days(now.day, (int32_t)ahead), to);
    if ((rc = collect(env, ctx, all ? NULL : scope, from, to, &items)) < 0) goto done;
    size_t cap = json_array_size(items);
    evs = calloc(cap ? cap : 1, sizeof *evs);
    bufs = calloc(cap ? cap * 3 : 1, sizeof *bufs);
    if (!evs || !bufs) {
        rc = BC_ENOMEM;
        goto done;
    }
    const json_t *biz = json_object_get(settings, BC_F_BUSINESS);
    const char *lang = str(settings, BC_F_LOCALE);
    const struct words *w = lang && strncmp(lang, "en", 2) == 0 ? &words_en : &words_es;
    if ((rc = events(items, w, str(biz, "address"), evs, bufs, &n)) < 0) goto done;
    struct bc_buf name = BC_BUF_INIT;
    bc_buf_puts(&name, str(biz, BC_F_NAME) ? str(biz, BC_F_NAME) : "bookchat");
    if (pro) bc_buf_printf(&name, " — %s", str(pro, BC_F_NAME) ? str(pro, BC_F_NAME) : "");
    struct bc_ics_feed f = {.name = name.data, .zone = zone, .events = evs, .n = n};
    *ics = bc_ics_render_feed(&f);
    bc_buf_release(&name);
    if (!*ics) rc = BC_ENOMEM;
done:
    for (size_t i = 0; bufs && i < json_array_size(items) * 3; i++) bc_buf_release(&bufs[i]);
    free(bufs);
    free(evs);
    json_decref(items);
    json_decref(settings);
    json_decref(pro);
    return rc;
}
