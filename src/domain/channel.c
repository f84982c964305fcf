/* Channel configuration: validation, the sealed credentials, views, the global route of a webhook id and
 * the webhook signature checks; see channel.h.
 *
 * DESIGN NOTES
 * - The channel item is written first, then its route (not-exists): a crash between them leaves a channel
 *   that no webhook reaches, which the admin panel shows and deleting removes; never a route to nothing of
 *   another tenant (the route names the tenant the item was written under).
 * - All credentials of a channel are one sealed JSON object, so adding a provider's field needs no new
 *   column, and none of them is ever in a view or a log line. A store copied under another server secret
 *   leaves the channel unusable (BC_EUNAVAILABLE): the tenant enters the credentials again. */
#include "domain/channel.h"
#include "auth/secret.h"
#include "domain/entity.h"
#include "domain/env.h"
#include "domain/keys.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND      "CHANNEL"
#define KEY_LABEL "channel-secrets"
#define S(o, k)   json_string_value(json_object_get((o), (k)))

static const struct bc_jfield wa_fields[] = {
    {"kind", BC_J_STRING, BC_JF_REQUIRED, 1, 16},
    {"name", BC_J_STRING, 0, 0, 100},
    {"phone_number_id", BC_J_STRING, BC_JF_REQUIRED, 1, 32},
    {"access_token", BC_J_STRING, BC_JF_REQUIRED, 8, 1024},
    {"app_secret", BC_J_STRING, BC_JF_REQUIRED, 8, 256},
    {"verify_token", BC_J_STRING, BC_JF_REQUIRED, 8, 256},
    {"api_version", BC_J_STRING, 0, 2, 10},
    {"template_name", BC_J_STRING, 0, 1, 120},
    {"template_lang", BC_J_STRING, 0, 2, 10},
    {NULL},
};

static const struct bc_jfield tg_fields[] = {
    {"kind", BC_J_STRING, BC_JF_REQUIRED, 1, 16},
    {"name", BC_J_STRING, 0, 0, 100},
    {"bot_token", BC_J_STRING, BC_JF_REQUIRED, 8, 128},
    {"secret_token", BC_J_STRING, 0, 16, 256},
    {NULL},
};

static int invalid(char *msg, size_t msgsize, const char *text)
{
    snprintf(msg, msgsize, "%s", text);
    return BC_EINVALID;
}

static bool only(const char *s, const char *set)
{
    return s && *s && strspn(s, set) == strlen(s);
}

#define DIGITS "0123456789"
#define ALNUM  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* ---- the sealed credentials ---- */

/* Seals the JSON text of creds: base64(nonce | box) (new reference). */
static json_t *seal(json_t *creds)
{
    char *plain = json_dumps(creds, JSON_COMPACT);
    if (!plain) return NULL;
    size_t n = strlen(plain), sl = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    unsigned char key[32], *sealed = malloc(sl);
    size_t bl = sodium_base64_ENCODED_LEN(sl, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(bl);
    json_t *out = NULL;
    if (sealed && b64) {
        bc_secret_derive(KEY_LABEL, key);
        bc_random(sealed, crypto_secretbox_NONCEBYTES);
        crypto_secretbox_easy(sealed + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, n, sealed,
                              key);
        sodium_memzero(key, sizeof key);
        sodium_bin2base64(b64, bl, sealed, sl, sodium_base64_VARIANT_ORIGINAL);
        out = json_string(b64);
    }
    sodium_memzero(plain, n);
    free(plain);
    free(sealed);
    free(b64);
    return out;
}

/* Opens a box into a JSON object (caller decrefs), NULL when it does not open. */
static json_t *unseal(const char *box)
{
    if (!box) return NULL;
    size_t bl = strlen(box), n = 0;
    unsigned char *sealed = malloc(bl), key[32];
    json_t *out = NULL;
    if (sealed &&
        sodium_base642bin(sealed, bl, box, bl, NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
        n > crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        size_t pl = n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
        unsigned char *plain = malloc(pl + 1);
        bc_secret_derive(KEY_LABEL, key);
        if (plain && crypto_secretbox_open_easy(plain, sealed + crypto_secretbox_NONCEBYTES,
                                                n - crypto_secretbox_NONCEBYTES, sealed, key) == 0)
            out = json_loadb((const char *)plain, pl, 0, NULL);
        sodium_memzero(key, sizeof key);
        if (plain) sodium_memzero(plain, pl);
        free(plain);
    }
    free(sealed);
    if (out && !json_is_object(out)) {
        json_decref(out);
        out = NULL;
    }
    return out;
}

/* ---- views and CRUD ---- */

static json_t *view(json_t *item)
{
    json_t *v = bc_entity_view(item);
    json_object_del(v, "secrets_box");
    json_object_del(v, "tenant_id");
    /* where the provider must deliver, relative to the server's public URL */
    char path[96];
    snprintf(path, sizeof path, "/v1/channels/%s/%s", S(item, "kind"), S(item, "id"));
    json_object_set_new(v, "webhook_path", json_string(path));
    return v;
}

/* Checks body for its kind; fills item's public fields and creds. */
static int check_body(json_t *body, json_t *item, json_t *creds, char *msg, size_t msgsize)
{
    const char *kind = S(body, "kind");
    if (!kind || (strcmp(kind, BC_CHANNEL_WHATSAPP) != 0 && strcmp(kind, BC_CHANNEL_TELEGRAM) != 0))
        return invalid(msg, msgsize, "kind must be whatsapp or telegram");
    bool wa = strcmp(kind, BC_CHANNEL_WHATSAPP) == 0;
    int rc = bc_json_check(body, wa ? wa_fields : tg_fields, msg, msgsize);
    if (rc < 0) return rc;
    const char *name = S(body, "name");
    json_object_set_new(item, "kind", json_string(kind));
    json_object_set_new(item, "name", json_string(name ? name : wa ? "WhatsApp" : "Telegram"));
    json_object_set_new(item, "enabled", json_true());
    if (wa) {
        if (!only(S(body, "phone_number_id"), DIGITS))
            return invalid(msg, msgsize, "phone_number_id must be the digits Meta shows for the number");
        const char *ver = S(body, "api_version") ? S(body, "api_version") : "v21.0";
        if (ver[0] != 'v' || !only(ver + 1, DIGITS "."))
            return invalid(msg, msgsize, "api_version: like v21.0");
        const char *tl = S(body, "template_lang");
        if (tl && !only(tl, ALNUM "_"))
            return invalid(msg, msgsize, "template_lang: a language code like es");
        const char *tn = S(body, "template_name");
        if (tn && !only(tn, "abcdefghijklmnopqrstuvwxyz0123456789_"))
            return invalid(msg, msgsize, "template_name: lower-case letters, digits and _");
        json_object_set_new(item, "phone_number_id", json_string(S(body, "phone_number_id")));
        json_object_set_new(item, "api_version", json_string(ver));
        if (tn) json_object_set_new(item, "template_name", json_string(tn));
        if (tn) json_object_set_new(item, "template_lang", json_string(tl ? tl : "es"));
        for (const char *const *k = (const char *const[]){"access_token", "app_secret", "verify_token", NULL};
             *k; k++) {
            if (!only(S(body, *k), ALNUM "-._~+/=:|"))
                return snprintf(msg, msgsize, "%s holds characters no token has", *k), BC_EINVALID;
            json_object_set_new(creds, *k, json_string(S(body, *k)));
        }
        return 0;
    }
    /* a bot token is "<bot id>:<secret>" (BotFather) */
    const char *bt = S(body, "bot_token"), *colon = bt ? strchr(bt, ':') : NULL;
    if (!colon || colon == bt || strspn(bt, DIGITS) != (size_t)(colon - bt) || !only(colon + 1, ALNUM "_-"))
        return invalid(msg, msgsize, "bot_token must be the token BotFather gave (digits:letters)");
    json_object_set_new(creds, "bot_token", json_string(bt));
    /* Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - */
    char gen[65];
    const char *st = S(body, "secret_token");
    if (st && !only(st, ALNUM "_-"))
        return invalid(msg, msgsize, "secret_token: letters, digits, _ and - only");
    if (!st) {
        unsigned char raw[32];
        bc_random(raw, sizeof raw);
        sodium_bin2hex(gen, sizeof gen, raw, sizeof raw);
        st = gen;
    }
    json_object_set_new(creds, "secret_token", json_string(st));
    sodium_memzero(gen, sizeof gen);
    return 0;
}

int bc_channel_create(struct bc_env *env, const struct bc_ctx *ctx, json_t *body, char *msg, size_t msgsize,
                      json_t **out)
{
    *out = NULL;
    json_t *item = json_object(), *creds = json_object(), *all = NULL;
    char id[BC_ID_LEN + 1], pk[BC_KEY_SIZE];
    int rc = item && creds ? check_body(body, item, creds, msg, msgsize) : BC_ENOMEM;
    if (rc == 0) rc = bc_entity_all_ro(env, ctx, KIND, BC_CHANNEL_MAX + 1, &all);
    if (rc == 0 && json_array_size(all) >= BC_CHANNEL_MAX) {
        snprintf(msg, msgsize, "a business may have at most %d channels", BC_CHANNEL_MAX);
        rc = BC_EPLAN_CONFLICT;
    }
    json_decref(all);
    json_t *box = rc == 0 ? seal(creds) : NULL;
    if (rc == 0 && !box) rc = BC_ENOMEM;
    if (rc == 0) {
        bc_id_new(id);
        json_object_set_new(item, "id", json_string(id));
        json_object_set_new(item, "secrets_box", box);
        rc = bc_entity_create(env, ctx, KIND, item);
    }
    if (rc == 0) {
        json_t *route = json_pack("{s:s, s:s, s:s, s:s}", "PK", bc_key_channel_route(pk, id), "SK", "ROUTE",
                                  "tenant_id", ctx->tenant_id, "kind", S(item, "kind"));
        rc = route ? bc_store_put(env->store, route, &(struct bc_cond){BC_COND_NOT_EXISTS, 0, false})
                   : BC_ENOMEM;
        json_decref(route);
        if (rc < 0) bc_entity_delete(env, ctx, KIND, id);
    }
    if (rc == 0) *out = view(item);
    json_decref(item);
    json_decref(creds); /* the plain credentials: jansson frees them; they were never logged */
    return rc;
}

int bc_channel_list(struct bc_env *env, const struct bc_ctx *ctx, json_t **items)
{
    return bc_entity_all_views(env, ctx, KIND, BC_CHANNEL_MAX * 2, view, items);
}

int bc_channel_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    json_t *item = NULL;
    *out = NULL;
    int rc = bc_entity_get(env, ctx, KIND, id, &item);
    if (rc < 0) return rc;
    *out = view(item);
    json_decref(item);
    return *out ? 0 : BC_ENOMEM;
}

int bc_channel_delete(struct bc_env *env, const struct bc_ctx *ctx, const char *id)
{
    char pk[BC_KEY_SIZE];
    int rc = bc_entity_delete(env, ctx, KIND, id);
    if (rc == 0 && bc_key_channel_route(pk, id)) {
        int drc = bc_store_delete(env->store, pk, "ROUTE", NULL);
        if (drc < 0 && drc != BC_ENOT_FOUND && drc != BC_ECOND) rc = drc;
    }
    return rc;
}

/* ---- resolving a channel ---- */

void bc_channel_free(struct bc_channel *ch)
{
    if (!ch) return;
    char **secrets[] = {&ch->access_token, &ch->app_secret, &ch->verify_token, &ch->bot_token,
                        &ch->secret_token};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
        if (*secrets[i]) {
            sodium_memzero(*secrets[i], strlen(*secrets[i]));
            free(*secrets[i]);
        }
    free(ch);
}

static char *dup_of(json_t *creds, const char *k)
{
    const char *v = S(creds, k);
    return strdup(v ? v : "");
}

int bc_channel_open(struct bc_env *env, const struct bc_ctx *ctx, const char *id, struct bc_channel **out)
{
    json_t *item = NULL;
    *out = NULL;
    int rc = bc_entity_get(env, ctx, KIND, id, &item);
    if (rc < 0) return rc;
    json_t *creds = unseal(S(item, "secrets_box"));
    struct bc_channel *ch = creds ? calloc(1, sizeof *ch) : NULL;
    if (!ch) {
        json_decref(item);
        json_decref(creds);
        return creds ? BC_ENOMEM : BC_EUNAVAILABLE;
    }
    snprintf(ch->id, sizeof ch->id, "%s", S(item, "id"));
    snprintf(ch->kind, sizeof ch->kind, "%s", S(item, "kind"));
    snprintf(ch->tenant_id, sizeof ch->tenant_id, "%s", ctx->tenant_id);
    snprintf(ch->phone_number_id, sizeof ch->phone_number_id, "%s",
             S(item, "phone_number_id") ? S(item, "phone_number_id") : "");
    snprintf(ch->api_version, sizeof ch->api_version, "%s",
             S(item, "api_version") ? S(item, "api_version") : "");
    snprintf(ch->template_name, sizeof ch->template_name, "%s",
             S(item, "template_name") ? S(item, "template_name") : "");
    snprintf(ch->template_lang, sizeof ch->template_lang, "%s",
             S(item, "template_lang") ? S(item, "template_lang") : "");
    ch->access_token = dup_of(creds, "access_token");
    ch->app_secret = dup_of(creds, "app_secret");
    ch->verify_token = dup_of(creds, "verify_token");
    ch->bot_token = dup_of(creds, "bot_token");
    ch->secret_token = dup_of(creds, "secret_token");
    bool enabled = json_is_true(json_object_get(item, "enabled"));
    json_decref(item);
    json_decref(creds);
    if (!ch->access_token || !ch->app_secret || !ch->verify_token || !ch->bot_token || !ch->secret_token) {
        bc_channel_free(ch);
        return BC_ENOMEM;
    }
    if (!enabled) {
        bc_channel_free(ch);
        return BC_ENOT_FOUND;
    }
    *out = ch;
    return 0;
}

int bc_channel_route(struct bc_env *env, const char *kind, const char *id,
                     char tenant_id[BC_TENANT_ID_MAX + 1])
{
    char pk[BC_KEY_SIZE];
    const json_t *route = NULL;
    if (!bc_key_channel_route(pk, id)) return BC_ENOT_FOUND;
    /* the route is in the directory: a placed tenant's channels are found there too */
    int rc = bc_store_get_cached(bc_env_dir(env), pk, "ROUTE", &route);
    if (rc < 0) return rc;
    const char *tenant = S(route, "tenant_id"), *rkind = S(route, "kind");
    rc =
        tenant && rkind && strcmp(rkind, kind) == 0 && strlen(tenant) <= BC_TENANT_ID_MAX ? 0 : BC_ENOT_FOUND;
    if (rc == 0) snprintf(tenant_id, BC_TENANT_ID_MAX + 1, "%s", tenant);
    bc_json_release(route);
    return rc;
}

int bc_channel_resolve(struct bc_env *env, const char *kind, const char *id, struct bc_ctx *ctx,
                       struct bc_channel **out)
{
    *out = NULL;
    memset(ctx, 0, sizeof *ctx);
    char tenant[BC_TENANT_ID_MAX + 1];
    int rc = bc_channel_route(env, kind, id, tenant);
    if (rc < 0) return rc;
    rc = bc_ctx_operator(ctx, tenant);
    if (rc < 0) return BC_ENOT_FOUND;
    snprintf(ctx->key_id, sizeof ctx->key_id, "%s", id);
    rc = bc_tenant_get_ro(env, ctx, &ctx->tenant);
    if (rc == 0) rc = bc_tenant_check_active(ctx->tenant);
    if (rc == 0) rc = bc_channel_open(env, ctx, id, out);
    if (rc == 0 && strcmp((*out)->kind, kind) != 0) {
        bc_channel_free(*out);
        *out = NULL;
        rc = BC_ENOT_FOUND;
    }
    if (rc < 0) {
        bc_ctx_release(ctx);
        /* a suspended or deleted tenant's channel is as unknown as any (the provider learns nothing) */
        return rc == BC_EUNAVAILABLE || rc == BC_ENOMEM || rc == BC_EIO ? rc : BC_ENOT_FOUND;
    }
    return 0;
}

/* ---- webhook checks ---- */

bool bc_channel_secret_eq(const char *given, const char *want)
{
    if (!given || !want || !*want) return false;
    size_t n = strlen(want);
    return strlen(given) == n && sodium_memcmp(given, want, n) == 0;
}

bool bc_channel_wa_signature_ok(const char *app_secret, const void *body, size_t len, const char *header)
{
    if (!app_secret || !*app_secret || !header || strncmp(header, "sha256=", 7) != 0) return false;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char hex[2 * sizeof mac + 1];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)app_secret, strlen(app_secret));
    if (len) crypto_auth_hmacsha256_update(&st, body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    /* Meta writes lower-case hex; an upper-case copy is the same MAC */
    char given[2 * sizeof mac + 1];
    const char *h = header + 7;
    if (strlen(h) != 2 * sizeof mac) return false;
    for (size_t i = 0; i <= 2 * sizeof mac; i++)
        given[i] = (char)(h[i] >= 'A' && h[i] <= 'F' ? h[i] - 'A' + 'a' : h[i]);
    return sodium_memcmp(given, hex, 2 * sizeof mac) == 0;
}
