/* Settings items, their defaults and their validation.
 *
 * DESIGN NOTES
 * - The stored item holds only what was written; reads merge it over the defaults, so new settings added
 *   in later versions appear with their defaults for old tenants.
 * - Updates are read-merge-conditional-write on the item's "version" (retried once), so two staff members
 *   saving different fields at once both win, and neither silently loses the other's change. */
#include "domain/settings.h"
#include "domain/challenge.h"
#include "domain/holidays.h"
#include "domain/env.h"
#include "util/memo.h"
#include "domain/plan.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/err.h"
#include "util/jsonv.h"
#include "util/tz.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const struct bc_jfield top_fields[] = {
    {"locale", BC_J_STRING, 0, 2, 2},
    {"timezone", BC_J_STRING, 0, 1, 64},
    {"business", BC_J_OBJECT, 0, 0, 0},
    {"widget", BC_J_OBJECT, 0, 0, 0},
    {"booking", BC_J_OBJECT, 0, 0, 0},
    {"conversation_retention_days", BC_J_INT, 0, 1, 3650},
    {"holidays", BC_J_OBJECT, BC_JF_NULLABLE, 0, 0},
    {"holidays_open", BC_J_ARRAY, 0, 0, 366},
    {NULL},
};

/* The place whose public holidays close the business (domain/holidays.h): replaced whole by a PATCH. */
static const struct bc_jfield holidays_fields[] = {
    {"country", BC_J_STRING, BC_JF_REQUIRED, 2, 2},
    {"region", BC_J_STRING, BC_JF_NULLABLE, 1, 8},
    {NULL},
};

static const struct bc_jfield business_fields[] = {
    {"name", BC_J_STRING, 0, 1, 120},
    {"address", BC_J_STRING, BC_JF_NULLABLE | BC_JF_MULTILINE, 0, 300},
    {"phone", BC_J_STRING, BC_JF_NULLABLE, 0, 40},
    {"email", BC_J_STRING, BC_JF_NULLABLE, 0, 120},
    {"website", BC_J_STRING, BC_JF_NULLABLE, 0, 200},
    {"about", BC_J_STRING, BC_JF_NULLABLE | BC_JF_MULTILINE, 0, 1000},
    {NULL},
};

static const struct bc_jfield widget_fields[] = {
    {"title", BC_J_STRING, 0, 1, 60},
    {"greeting", BC_J_STRING, BC_JF_MULTILINE, 1, 500},
    {"color", BC_J_STRING, 0, 7, 7},
    {"logo_url", BC_J_STRING, BC_JF_NULLABLE, 0, 500},
    {"position", BC_J_STRING, 0, 4, 5},
    {"challenge", BC_J_STRING, 0, 2, 6},
    {NULL},
};

static const struct bc_jfield booking_fields[] = {
    {"slot_step_min", BC_J_INT, 0, 5, 240},
    {"min_notice_min", BC_J_INT, 0, 0, 60 * 24 * 30},
    {"max_days_ahead", BC_J_INT, 0, 1, 365},
    {"cancel_window_min", BC_J_INT, 0, 0, 60 * 24 * 30},
    {"hold_minutes", BC_J_INT, 0, 1, 30},
    {"waitlist_offer_min", BC_J_INT, 0, 1, 24 * 60},
    {NULL},
};

static const struct bc_jfield ai_fields[] = {
    {"mode", BC_J_STRING, BC_JF_REQUIRED, 1, 10},
    {"provider", BC_J_STRING, BC_JF_NULLABLE, 1, 20},
    {"model", BC_J_STRING, BC_JF_NULLABLE, 1, 120},
    {"conversation_tokens", BC_J_INT, BC_JF_NULLABLE, 100, 10000000},         /* null: the server's default */
    {"instructions", BC_J_STRING, BC_JF_NULLABLE | BC_JF_MULTILINE, 0, 1000}, /* tone, policies (agent) */
    {NULL},
};

static json_t *defaults(const char *name, const char *locale, const char *tz)
{
    bool es = strcmp(locale, "es") == 0;
    char greeting[400];
    snprintf(greeting, sizeof greeting,
             es ? "¡Hola! Soy el asistente de reservas de %s. ¿Qué te gustaría reservar?"
                : "Hi! I'm the booking assistant of %s. What would you like to book?",
             name);
    return json_pack("{s:s, s:s, s:{s:s, s:n, s:n, s:n, s:n, s:n}, s:{s:s, s:s, s:s, s:n, s:s, s:s},"
                     " s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:i, s:n, s:[]}",
                     "locale", locale, "timezone", tz, "business", "name", name, "address", "phone", "email",
                     "website", "about", "widget", "title", name, "greeting", greeting, "color", "#2563eb",
                     "logo_url", "position", "right", "challenge", "auto", "booking", "slot_step_min", 15,
                     "min_notice_min", 60, "max_days_ahead", 60, "cancel_window_min", 120, "hold_minutes", 5,
                     "waitlist_offer_min", 15, "conversation_retention_days", 90, "holidays",
                     "holidays_open");
}

int bc_settings_init(struct bc_env *env, const struct bc_ctx *ctx, const char *name, const char *locale,
                     const char *tz)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    if (!bc_key_tenant_pk(ctx, pk)) return BC_EINVALID;
    json_t *g = defaults(name, locale, tz);
    json_object_set_new(g, "PK", json_string(pk));
    json_object_set_new(g, "SK", json_string("SETTINGS#GLOBAL"));
    json_object_set_new(g, "version", json_integer(1));
    int rc = bc_store_put(s, g, NULL);
    json_decref(g);
    if (rc < 0) return rc;
    json_t *ai = json_pack("{s:s, s:s, s:s, s:n, s:n, s:i}", "PK", pk, "SK", "SETTINGS#AI", "mode", "fsm",
                           "provider", "model", "version", 1);
    rc = bc_store_put(s, ai, NULL);
    json_decref(ai);
    return rc;
}

/* Stored item merged over defaults, without PK/SK/version. */
static json_t *view(const json_t *item)
{
    const char *locale = json_string_value(json_object_get(item, "locale"));
    const char *tz = json_string_value(json_object_get(item, "timezone"));
    const char *name = json_string_value(json_object_get(json_object_get(item, "business"), "name"));
    json_t *v = defaults(name ? name : "", locale ? locale : "es", tz ? tz : "Europe/Madrid");
    const char *k;
    json_t *val;
    json_object_foreach(bc_json_shared(item), k, val) /* iteration only reads it */
    {
        if (!strcmp(k, "PK") || !strcmp(k, "SK") || !strcmp(k, "version")) continue;
        if (json_is_object(val) && json_is_object(json_object_get(v, k)))
            json_object_update(json_object_get(v, k), val);
        else
            json_object_set(v, k, val);
    }
    return v;
}

int bc_settings_get(struct bc_env *env, const struct bc_ctx *ctx, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    json_t *item = NULL;
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    int rc = bc_store_get(s, pk, "SETTINGS#GLOBAL", &item);
    if (rc == BC_ENOT_FOUND) {
        item = json_object();
        rc = 0;
    }
    if (rc < 0) return rc;
    *out = view(item);
    json_decref(item);
    return 0;
}

int bc_settings_item_ro(struct bc_env *env, const struct bc_ctx *ctx, const char *which, const json_t **item)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *item = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    snprintf(sk, sizeof sk, "SETTINGS#%s", which);
    int rc = bc_store_get_cached(s, pk, sk, item);
    return rc == BC_ENOT_FOUND ? 0 : rc;
}

/* The query of the tenant's SETTINGS# items (pk is its buffer). */
static bool settings_query(const struct bc_ctx *ctx, char pk[BC_KEY_SIZE], struct bc_query *q)
{
    if (!bc_key_tenant_pk(ctx, pk)) return false;
    *q = (struct bc_query){.pk = pk, .sk_prefix = "SETTINGS#", .limit = 100, .read_only = true};
    return true;
}

bool bc_settings_unchanged(struct bc_env *env, const struct bc_ctx *ctx, uint64_t snap, uint64_t *now)
{
    char pk[BC_KEY_SIZE];
    struct bc_query q;
    return settings_query(ctx, pk, &q) && bc_store_kind_unchanged(env->store, pk, q.sk_prefix, snap, now);
}

int bc_settings_digest(struct bc_env *env, const struct bc_ctx *ctx, struct bc_store_digest *out)
{
    char pk[BC_KEY_SIZE];
    struct bc_query q;
    out->ok = false;
    if (!settings_query(ctx, pk, &q)) return BC_ENOT_FOUND;
    return bc_store_query_digest(env->store, &q, out);
}

int bc_settings_items_ro_digest(struct bc_env *env, const struct bc_ctx *ctx, const char *const *which,
                                const json_t **items, size_t n, struct bc_store_digest *digest)
{
    char pk[BC_KEY_SIZE];
    struct bc_query q;
    struct bc_query_result r;
    for (size_t i = 0; i < n; i++) items[i] = NULL;
    digest->ok = false;
    if (!settings_query(ctx, pk, &q)) return BC_ENOT_FOUND;
    q.digest = digest; /* read with the items: it names exactly them */
    int rc = bc_store_query(env->store, &q, &r);
    if (rc < 0) return rc;
    size_t k;
    json_t *it;
    json_array_foreach(r.items, k, it)
    {
        const char *sk = json_string_value(json_object_get(it, "SK"));
        for (size_t i = 0; sk && i < n; i++)
            if (!items[i] && strncmp(sk, "SETTINGS#", 9) == 0 && strcmp(sk + 9, which[i]) == 0)
                items[i] = bc_json_ref(it);
    }
    bc_query_result_release(&r);
    return 0;
}

/* Views of shared items, kept in the env's memo by the item's address (util/memo.h): a shared item is
 * never modified, so the same address is the same content. */
static void take_view(void *value, void *arg)
{
    *(json_t **)arg = json_incref(value);
}

void bc__settings_view_free(void *view)
{
    json_decref(view);
}

json_t *bc_settings_view_ro(struct bc_env *env, const json_t *item)
{
    if (item) {
        json_t *v = NULL;
        if (bc_memo_use(env->views, item, take_view, &v)) return v;
        if (!(v = view(item))) return NULL; /* view only reads item */
        bc_memo_put(env->views, item, json_incref(v));
        return v;
    }
    json_t *empty = json_object();
    json_t *v = view(empty);
    json_decref(empty);
    return v;
}

static bool color_ok(const char *c)
{
    if (strlen(c) != 7 || c[0] != '#') return false;
    for (int i = 1; i < 7; i++)
        if (!isxdigit((unsigned char)c[i])) return false;
    return true;
}

static bool url_ok(const char *u)
{
    return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
}

/* holidays: null or a place of the holiday table; holidays_open: real dates. */
static int validate_holidays(json_t *patch, char *msg, size_t msgsize)
{
    json_t *h = json_object_get(patch, "holidays"), *open = json_object_get(patch, "holidays_open");
    if (json_is_object(h)) {
        int rc = bc_json_check(h, holidays_fields, msg, msgsize);
        if (rc < 0) return rc;
        const char *country = json_string_value(json_object_get(h, "country"));
        const char *region = json_string_value(json_object_get(h, "region"));
        if (bc_holiday_place_check(country, region) < 0) {
            snprintf(msg, msgsize, "holidays: no public holidays known for %s%s%s (docs/holidays.md)",
                     country, region ? "-" : "", region ? region : "");
            return BC_EINVALID;
        }
    }
    size_t i;
    json_t *d;
    json_array_foreach(open, i, d)
    {
        int32_t day;
        if (!json_is_string(d) || bc_tz_date_parse(json_string_value(d), &day) < 0) {
            snprintf(msg, msgsize, "holidays_open must hold dates (YYYY-MM-DD)");
            return BC_EINVALID;
        }
    }
    return 0;
}

static int validate(json_t *patch, char *msg, size_t msgsize)
{
    int rc = bc_json_check(patch, top_fields, msg, msgsize);
    json_t *b = json_object_get(patch, "business"), *w = json_object_get(patch, "widget");
    json_t *bk = json_object_get(patch, "booking");
    if (rc == 0 && b) rc = bc_json_check(b, business_fields, msg, msgsize);
    if (rc == 0 && w) rc = bc_json_check(w, widget_fields, msg, msgsize);
    if (rc == 0 && bk) rc = bc_json_check(bk, booking_fields, msg, msgsize);
    if (rc < 0) return rc;
    const char *locale = json_string_value(json_object_get(patch, "locale"));
    if (locale && strcmp(locale, "es") && strcmp(locale, "en")) {
        snprintf(msg, msgsize, "locale must be \"es\" or \"en\"");
        return BC_EINVALID;
    }
    const char *tz = json_string_value(json_object_get(patch, "timezone"));
    if (tz && bc_tz_validate(tz) < 0) {
        snprintf(msg, msgsize, "unknown time zone '%.64s'", tz);
        return BC_EINVALID;
    }
    if ((rc = validate_holidays(patch, msg, msgsize)) < 0) return rc;
    const char *color = json_string_value(json_object_get(w, "color"));
    if (color && !color_ok(color)) {
        snprintf(msg, msgsize, "widget.color must be a #rrggbb colour");
        return BC_EINVALID;
    }
    const char *pos = json_string_value(json_object_get(w, "position"));
    if (pos && strcmp(pos, "left") && strcmp(pos, "right")) {
        snprintf(msg, msgsize, "widget.position must be \"left\" or \"right\"");
        return BC_EINVALID;
    }
    const char *challenge = json_string_value(json_object_get(w, "challenge"));
    if (challenge && bc_challenge_mode_parse(challenge) < 0) {
        snprintf(msg, msgsize, "widget.challenge must be \"off\", \"auto\" or \"always\"");
        return BC_EINVALID;
    }
    const char *logo = json_string_value(json_object_get(w, "logo_url"));
    const char *web = json_string_value(json_object_get(b, "website"));
    if ((logo && *logo && !url_ok(logo)) || (web && *web && !url_ok(web))) {
        snprintf(msg, msgsize, "URLs must start with https:// or http://");
        return BC_EINVALID;
    }
    return 0;
}

int bc_settings_patch(struct bc_env *env, const struct bc_ctx *ctx, json_t *patch, char *msg, size_t msgsize,
                      json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    int rc = validate(patch, msg, msgsize);
    if (rc < 0) return rc;
    for (int attempt = 0; attempt < 3; attempt++) {
        json_t *item = NULL;
        rc = bc_store_get(s, pk, "SETTINGS#GLOBAL", &item);
        if (rc == BC_ENOT_FOUND)
            item = json_pack("{s:s, s:s}", "PK", pk, "SK", "SETTINGS#GLOBAL");
        else if (rc < 0)
            return rc;
        int64_t version = bc__store_version(item);
        const char *k;
        json_t *val;
        json_object_foreach(patch, k, val)
        {
            json_t *cur = json_object_get(item, k);
            if (json_is_object(val) && json_is_object(cur) && strcmp(k, "holidays"))
                json_object_update(cur, val);
            else
                json_object_set(item, k, val);
        }
        json_object_set_new(item, "version", json_integer(version + 1));
        struct bc_cond c = {BC_COND_VERSION, version};
        rc = bc_store_put(s, item, &c);
        if (rc == 0) *out = view(item);
        json_decref(item);
        if (rc != BC_ECOND) return rc;
    }
    snprintf(msg, msgsize, "the settings were being changed by someone else; try again");
    return BC_ECONFLICT;
}

int bc_settings_ai_get(struct bc_env *env, const struct bc_ctx *ctx, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    json_t *item = NULL;
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    int rc = bc_store_get(s, pk, "SETTINGS#AI", &item);
    if (rc == BC_ENOT_FOUND) {
        item = json_pack("{s:s, s:n, s:n}", "mode", "fsm", "provider", "model");
        rc = 0;
    }
    if (rc < 0) return rc;
    json_object_del(item, "PK");
    json_object_del(item, "SK");
    json_object_del(item, "version");
    for (const char *const *k = (const char *const[]){"conversation_tokens", "instructions", NULL}; *k; k++)
        if (!json_object_get(item, *k)) json_object_set_new(item, *k, json_null());
    *out = item;
    return 0;
}

json_t *bc_settings_ai_view_ro(const json_t *item)
{
    if (!item)
        return json_pack("{s:s, s:n, s:n, s:n, s:n}", "mode", "fsm", "provider", "model",
                         "conversation_tokens", "instructions");
    /* what bc_settings_ai_get answers, without touching the shared item */
    json_t *o = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(bc_json_shared(item), k, v) if (strcmp(k, "PK") && strcmp(k, "SK") &&
                                                        strcmp(k, "version")) json_object_set(o, k, v);
    for (const char *const *n = (const char *const[]){"conversation_tokens", "instructions", NULL}; *n; n++)
        if (!json_object_get(o, *n)) json_object_set_new(o, *n, json_null());
    return o;
}

int bc_settings_ai_put(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, unsigned allowed_modes,
                       char *msg, size_t msgsize, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    int rc = bc_json_check(body, ai_fields, msg, msgsize);
    if (rc < 0) return rc;
    const char *mode = json_string_value(json_object_get(body, "mode"));
    const char *provider = json_string_value(json_object_get(body, "provider"));
    unsigned bit = bc_ai_mode_parse(mode);
    if (!bit) {
        snprintf(msg, msgsize, "mode must be \"fsm\", \"nlp\" or \"agent\"");
        return BC_EINVALID;
    }
    if (provider && strcmp(provider, "bedrock") && strcmp(provider, "anthropic") &&
        strcmp(provider, "openai")) {
        snprintf(msg, msgsize, "provider must be \"bedrock\", \"anthropic\" or \"openai\"");
        return BC_EINVALID;
    }
    if (!(allowed_modes & bit)) {
        snprintf(msg, msgsize, "the %s mode is not included in this plan", mode);
        return BC_EPLAN_CONFLICT;
    }
    json_t *item = json_pack("{s:s, s:s, s:s}", "PK", pk, "SK", "SETTINGS#AI", "mode", mode);
    json_object_set(item, "provider", provider ? json_object_get(body, "provider") : json_null());
    json_t *model = json_object_get(body, "model");
    json_object_set(item, "model", model ? model : json_null());
    for (const char *const *k = (const char *const[]){"conversation_tokens", "instructions", NULL}; *k; k++) {
        json_t *v = json_object_get(body, *k);
        json_object_set(item, *k, v ? v : json_null());
    }
    rc = bc_store_put(s, item, NULL);
    if (rc == 0) {
        json_object_del(item, "PK");
        json_object_del(item, "SK");
        *out = json_incref(item);
    }
    json_decref(item);
    return rc;
}
