/* Webhook endpoints: validation, the encrypted signing secret, views, the dispatcher's targets and the
 * Standard Webhooks signature; see webhook.h.
 *
 * DESIGN NOTES
 * - The URL is checked (scheme, no user info, public addresses after resolution) when it is saved; the
 *   sender checks the address again at connect time (net/sender.c), which is the check that counts: a
 *   name may resolve elsewhere by then.
 * - The limit of BC_WEBHOOK_MAX is checked by reading the tenant's webhooks before the write: two creations
 *   racing at the limit may both pass (one item too many, harmless); a conditional counter is not worth it.
 * - The secret box is bound to nothing but the server secret: moving a tenant to a store with another
 *   secret leaves its webhooks without a usable secret (targets skips them; rotate_secret repairs one). */
#include "domain/webhook.h"
#include "auth/secret.h"
#include "domain/entity.h"
#include "domain/env.h"
#include "net/addr.h"
#include "util/config.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND         "WEBHOOK"
#define KEY_LABEL    "webhook-secret"
#define SECRET_BYTES 32
/* "whsec_" + base64(32 bytes) (44) + NUL */
#define SECRET_TEXT_SIZE (sizeof BC_WEBHOOK_SECRET_PREFIX - 1 + 45)

const char *const bc_webhook_events[] = {
    "booking.created",     "booking.cancelled",    "booking.rescheduled",
    "booking.reminder",    "conversation.handoff", "usage.limit_near",
    "usage.limit_reached", "waitlist.offered",     NULL,
};

static const struct bc_jfield create_fields[] = {
    {"url", BC_J_STRING, BC_JF_REQUIRED, 1, BC_NET_URL_MAX},
    {"events", BC_J_ARRAY, BC_JF_REQUIRED, 1, 8},
    {"description", BC_J_STRING, 0, 0, 200},
    {"enabled", BC_J_BOOL, 0, 0, 0},
    {NULL},
};

static const struct bc_jfield patch_fields[] = {
    {"url", BC_J_STRING, 0, 1, BC_NET_URL_MAX}, {"events", BC_J_ARRAY, 0, 1, 8},
    {"description", BC_J_STRING, 0, 0, 200},    {"enabled", BC_J_BOOL, 0, 0, 0},
    {"rotate_secret", BC_J_BOOL, 0, 0, 0},      {NULL},
};

static int invalid(char *msg, size_t msgsize, const char *text)
{
    snprintf(msg, msgsize, "%s", text);
    return BC_EINVALID;
}

static bool known_event(const char *type)
{
    for (const char *const *e = bc_webhook_events; *e; e++)
        if (strcmp(*e, type) == 0) return true;
    return false;
}

/* events: a non-empty array of known types, each once. */
static int check_events(json_t *events, char *msg, size_t msgsize)
{
    if (!json_is_array(events) || json_array_size(events) == 0)
        return invalid(msg, msgsize, "events must name at least one event type");
    size_t i, j;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        const char *type = json_string_value(e);
        if (!type || !known_event(type)) {
            snprintf(msg, msgsize,
                     "events[%zu] is not a known event type (booking.created, booking.cancelled, "
                     "booking.rescheduled, booking.reminder, conversation.handoff, usage.limit_near, "
                     "usage.limit_reached, waitlist.offered)",
                     i);
            return BC_EINVALID;
        }
        for (j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(events, j)), type) == 0) {
                snprintf(msg, msgsize, "events names %s twice", type);
                return BC_EINVALID;
            }
    }
    return 0;
}

static int check_url(const char *url, char *msg, size_t msgsize)
{
    char why[200] = "";
    int rc = bc_net_url_check(url, bc_config_bool(BC_CFG_WEBHOOK_ALLOW_PRIVATE), true, why, sizeof why);
    if (rc == BC_EINVALID) snprintf(msg, msgsize, "url: %s", why);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------- */
/* The secret                                                                                           */

/* The text form of a secret: "whsec_" + base64 (standard alphabet, padded), as Standard Webhooks writes it.
 */
static void secret_text(const unsigned char raw[SECRET_BYTES], char text[SECRET_TEXT_SIZE])
{
    size_t pl = sizeof BC_WEBHOOK_SECRET_PREFIX - 1;
    memcpy(text, BC_WEBHOOK_SECRET_PREFIX, pl);
    sodium_bin2base64(text + pl, SECRET_TEXT_SIZE - pl, raw, SECRET_BYTES, sodium_base64_VARIANT_ORIGINAL);
}

/* A new secret: its text form (shown once) into text and its box (stored) into *box (new reference). */
static int new_secret(char text[SECRET_TEXT_SIZE], json_t **box)
{
    unsigned char raw[SECRET_BYTES], key[32];
    unsigned char sealed[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + SECRET_BYTES];
    char b64[sodium_base64_ENCODED_LEN(sizeof sealed, sodium_base64_VARIANT_ORIGINAL)];
    *box = NULL;
    bc_random(raw, sizeof raw);
    bc_secret_derive(KEY_LABEL, key);
    bc_random(sealed, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(sealed + crypto_secretbox_NONCEBYTES, raw, sizeof raw, sealed, key);
    sodium_bin2base64(b64, sizeof b64, sealed, sizeof sealed, sodium_base64_VARIANT_ORIGINAL);
    secret_text(raw, text);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(key, sizeof key);
    *box = json_string(b64);
    return *box ? 0 : BC_ENOMEM;
}

/* The text form of a stored box into text; BC_EINVALID when it does not open (another server secret). */
static int open_secret(const char *box, char text[SECRET_TEXT_SIZE])
{
    unsigned char sealed[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + SECRET_BYTES];
    unsigned char raw[SECRET_BYTES], key[32];
    size_t n = 0;
    if (!box ||
        sodium_base642bin(sealed, sizeof sealed, box, strlen(box), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != sizeof sealed)
        return BC_EINVALID;
    bc_secret_derive(KEY_LABEL, key);
    int rc = crypto_secretbox_open_easy(raw, sealed + crypto_secretbox_NONCEBYTES,
                                        sizeof sealed - crypto_secretbox_NONCEBYTES, sealed, key);
    sodium_memzero(key, sizeof key);
    if (rc != 0) return BC_EINVALID;
    secret_text(raw, text);
    sodium_memzero(raw, sizeof raw);
    return 0;
}

static json_t *view(json_t *item)
{
    json_t *v = bc_entity_view(item);
    json_object_del(v, "secret_box");
    return v;
}

/* ---------------------------------------------------------------------------------------------------- */
/* CRUD                                                                                                 */

int bc_webhook_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                      json_t **out)
{
    *out = NULL;
    int rc = bc_json_check(body, create_fields, msg, msgsize);
    if (rc < 0) return rc;
    json_t *events = json_object_get(body, "events");
    const char *url = json_string_value(json_object_get(body, "url"));
    if ((rc = check_events(events, msg, msgsize)) < 0 || (rc = check_url(url, msg, msgsize)) < 0) return rc;
    json_t *all = NULL;
    if ((rc = bc_entity_all_ro(env, ctx, KIND, BC_WEBHOOK_MAX + 1, &all)) < 0) return rc;
    size_t count = json_array_size(all);
    json_decref(all);
    if (count >= BC_WEBHOOK_MAX) {
        snprintf(msg, msgsize, "a business may have at most %d webhooks", BC_WEBHOOK_MAX);
        return BC_EPLAN_CONFLICT;
    }
    char id[BC_ID_LEN + 1], secret[SECRET_TEXT_SIZE];
    json_t *box;
    if ((rc = new_secret(secret, &box)) < 0) return rc;
    bc_id_new(id);
    json_t *enabled = json_object_get(body, "enabled");
    const char *description = json_string_value(json_object_get(body, "description"));
    json_t *item = json_pack("{s:s, s:s, s:O, s:s, s:b, s:o}", "id", id, "url", url, "events", events,
                             "description", description ? description : "", "enabled",
                             enabled ? json_is_true(enabled) : 1, "secret_box", box);
    rc = item ? bc_entity_create(env, ctx, KIND, item) : BC_ENOMEM;
    if (rc == 0) {
        *out = view(item);
        json_object_set_new(*out, "secret", json_string(secret));
    }
    json_decref(item);
    sodium_memzero(secret, sizeof secret);
    return rc;
}

int bc_webhook_list(struct bc_env *env, const struct bc_ctx *ctx, json_t **items)
{
    return bc_entity_all_views(env, ctx, KIND, 1000, view, items);
}

int bc_webhook_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    json_t *item = NULL;
    *out = NULL;
    int rc = bc_entity_get(env, ctx, KIND, id, &item);
    if (rc == 0) *out = view(item);
    json_decref(item);
    return rc;
}

int bc_webhook_patch(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t *body, char *msg,
                     size_t msgsize, json_t **out)
{
    *out = NULL;
    int rc = bc_json_check(body, patch_fields, msg, msgsize);
    if (rc < 0) return rc;
    if (json_object_size(body) == 0) return invalid(msg, msgsize, "nothing to change");
    json_t *url = json_object_get(body, "url"), *events = json_object_get(body, "events");
    json_t *current = NULL;
    /* a foreign or unknown id is a 404 before any look at the URL */
    if ((rc = bc_entity_get(env, ctx, KIND, id, &current)) < 0) return rc;
    json_decref(current);
    if (events && (rc = check_events(events, msg, msgsize)) < 0) return rc;
    if (url && (rc = check_url(json_string_value(url), msg, msgsize)) < 0) return rc;
    json_t *set = json_object();
    const char *const copied[] = {"url", "events", "description", "enabled"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
        json_t *v = json_object_get(body, copied[i]);
        if (v) json_object_set(set, copied[i], v);
    }
    char secret[SECRET_TEXT_SIZE] = "";
    bool rotate = json_is_true(json_object_get(body, "rotate_secret"));
    if (rotate) {
        json_t *box;
        if ((rc = new_secret(secret, &box)) < 0) goto out;
        json_object_set_new(set, "secret_box", box);
    }
    json_t *item = NULL;
    rc = bc_entity_update(env, ctx, KIND, id, set, &item);
    if (rc == 0) {
        *out = view(item);
        if (rotate) json_object_set_new(*out, "secret", json_string(secret));
    }
    json_decref(item);
out:
    json_decref(set);
    sodium_memzero(secret, sizeof secret);
    return rc;
}

int bc_webhook_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id)
{
    return bc_entity_delete(env, ctx, KIND, id);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Delivery                                                                                             */

static bool subscribed(const json_t *item, const char *type)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(item, "events"), i,
                       e) if (strcmp(json_string_value(e), type) == 0) return true;
    return false;
}

/* {"id","url","secret"} of a stored item (shared: only read), or NULL when its secret does not open. */
static json_t *target_of(const struct bc_ctx *ctx, const json_t *it)
{
    char secret[SECRET_TEXT_SIZE];
    const char *id = json_string_value(json_object_get(it, "id"));
    if (open_secret(json_string_value(json_object_get(it, "secret_box")), secret) < 0) {
        bc_log(BC_LOG_WARN, "webhook %s of tenant %s: its secret does not open (another server secret?)",
               id ? id : "?", ctx->tenant_id);
        return NULL;
    }
    json_t *t =
        json_pack("{s:s?, s:s?, s:s, s:b}", "id", id, "url", json_string_value(json_object_get(it, "url")),
                  "secret", secret, "enabled", json_is_true(json_object_get(it, "enabled")));
    sodium_memzero(secret, sizeof secret);
    return t;
}

int bc_webhook_targets(struct bc_env *env, const struct bc_ctx *ctx, const char *type, json_t **items)
{
    json_t *all = NULL;
    *items = NULL;
    if (!type) return BC_EINVALID;
    int rc = bc_entity_all_ro(env, ctx, KIND, 1000, &all);
    if (rc < 0) return rc;
    json_t *list = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(all, i, it)
    {
        if (!json_is_true(json_object_get(it, "enabled")) || !subscribed(it, type)) continue;
        json_t *t = target_of(ctx, it);
        if (t) json_array_append_new(list, t);
    }
    json_decref(all);
    *items = list;
    return 0;
}

int bc_webhook_target(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    const json_t *it = NULL;
    *out = NULL;
    int rc = bc_entity_get_ro(env, ctx, KIND, id, &it);
    if (rc < 0) return rc;
    *out = target_of(ctx, it);
    bc_json_release(it);
    return *out ? 0 : BC_EINVALID;
}

int bc_webhook_sign(const char *secret, const char *msg_id, int64_t ts, const char *body, size_t len,
                    char *out, size_t outsize)
{
    unsigned char key[128], mac[crypto_auth_hmacsha256_BYTES];
    size_t klen = 0;
    if (!secret || !msg_id || (len && !body) || !out || outsize < BC_WEBHOOK_SIGNATURE_SIZE)
        return BC_EINVALID;
    size_t pl = sizeof BC_WEBHOOK_SECRET_PREFIX - 1;
    if (strncmp(secret, BC_WEBHOOK_SECRET_PREFIX, pl) == 0) secret += pl;
    if (sodium_base642bin(key, sizeof key, secret, strlen(secret), NULL, &klen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        klen == 0)
        return BC_EINVALID;
    char stamp[24];
    int sl = snprintf(stamp, sizeof stamp, ".%lld.", (long long)ts);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg_id, strlen(msg_id));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)stamp, (unsigned long long)sl);
    if (len) crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, outsize - 3, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(key, sizeof key);
    sodium_memzero(&st, sizeof st);
    return 0;
}
