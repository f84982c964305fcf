/* API keys: creation, rotation, revocation, resolution and origin rules.
 *
 * DESIGN NOTES
 * - The look-up item is what authenticates: revoking deletes it; rotation gives it a ttl = the end of the
 *   grace period, after which the store treats it as absent. Resolution reads it with a cached read
 *   (store.h): a revocation is effective at once in the process that made it (its write drops the cached
 *   look-up) and within the store's read-cache bound (store_cache_ms, 1 s by default; none on LMDB) on
 *   every other process; an expiry is checked on every request from expires_at.
 * - Creation order: key record, origin index, look-up last; so a key never works before it is listed.
 *   Revocation order: look-up first, so a half-done revocation still refuses the key.
 * - last_used_at is kept in memory and flushed by housekeeping (every few seconds and at shutdown), so a
 *   widget request never writes; a flush writes a key's time only when it moved by
 *   BC_APIKEY_LAST_USED_STEP_S (an hour) past the time written (or stored), all keys due in a few batches
 *   of lazy writes: after reads spread over thousands of keys, one durable write per key was most of the
 *   server's idle CPU (issue 21). */
#include "domain/apikey.h"
#include "domain/env.h"
#include "auth/secret.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/id.h"
#include "util/jsonv.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bc_origin_normalize(const char *in, char *out, size_t size)
{
    if (!in) return BC_EINVALID;
    size_t n = strlen(in);
    while (n > 0 && in[n - 1] == '/') n--; /* "https://a.com/" is the same origin */
    if (n == 0 || n >= size || n > 190) return BC_EINVALID;
    for (size_t i = 0; i < n; i++) out[i] = (char)tolower((unsigned char)in[i]);
    out[n] = '\0';
    const char *host;
    if (strncmp(out, "https://", 8) == 0)
        host = out + 8;
    else if (strncmp(out, "http://", 7) == 0)
        host = out + 7;
    else
        return BC_EINVALID;
    const char *p = host;
    if (strncmp(p, "*.", 2) == 0) {
        if (host != out + 8) return BC_EINVALID; /* wildcards only for https */
        p += 2;
    }
    const char *label = p;
    int labels = 0;
    for (; *p && *p != ':'; p++) {
        if (*p == '.') {
            if (p == label) return BC_EINVALID;
            labels++;
            label = p + 1;
            continue;
        }
        if (!(isalnum((unsigned char)*p) || *p == '-')) return BC_EINVALID;
    }
    if (p == label) return BC_EINVALID; /* empty host or trailing dot */
    labels++;
    if (strncmp(host, "*.", 2) == 0 && labels < 2)
        return BC_EINVALID; /* a wildcard needs a registrable suffix: not STAR.com */
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (p[1] == '\0' || *end || port < 1 || port > 65535) return BC_EINVALID;
    }
    return 0;
}

/* Does a normalised entry allow a normalised browser origin? */
static bool entry_allows(const char *entry, const char *origin)
{
    if (strcmp(entry, origin) == 0) return true;
    if (strncmp(entry, "https://*.", 10) != 0 || strncmp(origin, "https://", 8) != 0) return false;
    const char *suffix = entry + 9; /* ".example.com[:port]" */
    size_t sl = strlen(suffix), ol = strlen(origin);
    /* at least one label before the suffix: https://x.example.com */
    return ol > 8 + sl && strcmp(origin + ol - sl, suffix) == 0 && origin[ol - sl - 1] != '/';
}

bool bc_apikey_origin_allowed(const json_t *lookup, const char *origin)
{
    char norm[256];
    if (!origin || bc_origin_normalize(origin, norm, sizeof norm) < 0 || strstr(norm, "*")) return false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(lookup, "origins"), i, e)
    {
        const char *entry = json_string_value(e);
        if (entry && entry_allows(entry, norm)) return true;
    }
    return false;
}

static bool index_has(struct bc_env *env, const char *origin_entry)
{
    struct bc_store *s = bc_env_dir(env); /* the origin index is the directory's */
    char pk[BC_KEY_SIZE];
    if (!bc_key_origin_lookup(pk, origin_entry)) return false;
    struct bc_query q = {.pk = pk, .sk_prefix = "KEY#", .limit = 1};
    struct bc_query_result r;
    if (bc_store_query(s, &q, &r) < 0) return false;
    bool found = json_array_size(r.items) > 0;
    bc_query_result_release(&r);
    return found;
}

bool bc_apikey_origin_known(struct bc_env *env, const char *origin)
{
    char norm[256], wild[300];
    if (!origin || bc_origin_normalize(origin, norm, sizeof norm) < 0 || strstr(norm, "*")) return false;
    if (index_has(env, norm)) return true;
    if (strncmp(norm, "https://", 8) != 0) return false;
    /* https://a.b.example.com -> the wildcard entries for .b.example.com and .example.com */
    for (const char *dot = strchr(norm + 8, '.'); dot && strchr(dot + 1, '.'); dot = strchr(dot + 1, '.')) {
        snprintf(wild, sizeof wild, "https://*%s", dot);
        if (index_has(env, wild)) return true;
    }
    return false;
}

static int normalize_list(json_t *origins, json_t **out, char *msg, size_t msgsize)
{
    *out = json_array();
    if (origins && (!json_is_array(origins) || json_array_size(origins) > 50)) {
        snprintf(msg, msgsize, "origins must be an array of at most 50 origins");
        return BC_EINVALID;
    }
    size_t i;
    json_t *o;
    json_array_foreach(origins, i, o)
    {
        char norm[256];
        if (!json_is_string(o) || bc_origin_normalize(json_string_value(o), norm, sizeof norm) < 0) {
            snprintf(msg, msgsize,
                     "origin '%.80s' is not of the form scheme://host[:port] (or https://*.example.com)",
                     json_is_string(o) ? json_string_value(o) : "?");
            return BC_EINVALID;
        }
        bool dup = false;
        size_t j;
        json_t *e;
        json_array_foreach(*out, j, e) dup |= strcmp(json_string_value(e), norm) == 0;
        if (!dup) json_array_append_new(*out, json_string(norm));
    }
    return 0;
}

static json_t *view(json_t *item)
{
    json_t *o = json_object();
    const char *fields[] = {"id",        "name",       "prefix",       "origins",    "allow_no_origin",
                            "status",    "created_at", "last_used_at", "expires_at", "replaced_by",
                            "revoked_at"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *v = json_object_get(item, fields[i]);
        if (v) json_object_set(o, fields[i], v);
    }
    return o;
}

/* Writes or removes (ttl_at < 0) the origin index entries of a key; ttl_at > 0 makes them expire. */
static int write_origin_index(struct bc_env *env, const char *tenant_id, const char *key_id, json_t *origins,
                              int64_t ttl_at)
{
    struct bc_store *s = bc_env_dir(env);
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    size_t i;
    json_t *o;
    if (!bc_key_sk(sk, "KEY", key_id)) return BC_EINVALID;
    json_array_foreach(origins, i, o)
    {
        if (!bc_key_origin_lookup(pk, json_string_value(o))) continue;
        int rc;
        if (ttl_at < 0) {
            rc = bc_store_delete(s, pk, sk, NULL);
        } else {
            json_t *it = json_pack("{s:s, s:s, s:s}", "PK", pk, "SK", sk, "tenant_id", tenant_id);
            if (ttl_at > 0) json_object_set_new(it, "ttl", json_integer(ttl_at));
            rc = bc_store_put(s, it, NULL);
            json_decref(it);
        }
        if (rc < 0) return rc;
    }
    return 0;
}

static int create_key(struct bc_env *env, const struct bc_ctx *ctx, const char *name, json_t *origins,
                      bool allow_no_origin, char secret[BC_APIKEY_SECRET_SIZE], json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], lk[BC_KEY_SIZE], id[BC_ID_LEN + 1], hash[65], now[32], prefix[16];
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    char *tok = bc_token_new(BC_APIKEY_PREFIX, 24);
    if (!tok) return BC_ENOMEM;
    snprintf(secret, BC_APIKEY_SECRET_SIZE, "%s", tok);
    sodium_memzero(tok, strlen(tok));
    free(tok);
    bc_secret_hmac_hex("apikey", secret, strlen(secret), hash);
    bc_id_new(id);
    bc_key_sk(sk, "APIKEY", id);
    bc_key_apikey_lookup(lk, hash);
    bc_now_iso(now);
    snprintf(prefix, sizeof prefix, "%.12s", secret);
    json_t *rec =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:b, s:s, s:s, s:n}", "PK", pk, "SK", sk, "id", id,
                  "name", name, "prefix", prefix, "hash", hash, "origins", origins, "allow_no_origin",
                  allow_no_origin, "status", "active", "created_at", now, "last_used_at");
    json_t *look =
        json_pack("{s:s, s:s, s:s, s:s, s:O, s:b}", "PK", lk, "SK", "META", "tenant_id", ctx->tenant_id,
                  "key_id", id, "origins", origins, "allow_no_origin", allow_no_origin);
    struct bc_cond ne = {BC_COND_NOT_EXISTS, 0};
    int rc = bc_store_put(s, rec, &ne);
    if (rc == 0) rc = write_origin_index(env, ctx->tenant_id, id, origins, 0);
    if (rc == 0) rc = bc_store_put(bc_env_dir(env), look, &ne);
    if (rc == 0 && out) *out = view(rec);
    json_decref(rec);
    json_decref(look);
    return rc;
}

int bc_apikey_create(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_apikey_new *in,
                     char secret[BC_APIKEY_SECRET_SIZE], char *msg, size_t msgsize, json_t **out)
{
    json_t *origins = NULL;
    *out = NULL;
    const char *name = in->name ? in->name : "Widget key";
    if (bc_json_check_string(name, 1, 80, 0) < 0) {
        snprintf(msg, msgsize, "the name must be 1 to 80 characters " BC_JSON_PLAIN_TEXT);
        return BC_EINVALID;
    }
    int rc = normalize_list(in->origins, &origins, msg, msgsize);
    if (rc == 0 && json_array_size(origins) == 0 && !in->allow_no_origin) {
        snprintf(msg, msgsize, "give at least one allowed origin (or allow requests without an origin)");
        rc = BC_EINVALID;
    }
    if (rc == 0) rc = create_key(env, ctx, name, origins, in->allow_no_origin, secret, out);
    json_decref(origins);
    return rc;
}

int bc_apikey_get(struct bc_env *env, const struct bc_ctx *ctx, const char *key_id, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    json_t *rec = NULL;
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, "APIKEY", key_id)) return BC_ENOT_FOUND;
    int rc = bc_store_get(s, pk, sk, &rec);
    if (rc == 0) *out = view(rec);
    json_decref(rec);
    return rc;
}

int bc_apikey_list(struct bc_env *env, const struct bc_ctx *ctx, int limit, const char *cursor,
                   json_t **items, char **next_cursor)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    *items = NULL;
    *next_cursor = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    struct bc_query q = {
        .pk = pk, .sk_prefix = "APIKEY#", .limit = limit, .cursor = cursor, .descending = true};
    return bc_store_query_page(s, &q, view, items, next_cursor);
}

/* Loads a key record of the tenant that is not revoked. */
static int load_active(struct bc_env *env, const struct bc_ctx *ctx, const char *key_id, char *pk, char *sk,
                       json_t **rec)
{
    struct bc_store *s = env->store;
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, "APIKEY", key_id)) return BC_ENOT_FOUND;
    int rc = bc_store_get(s, pk, sk, rec);
    if (rc < 0) return rc;
    if (strcmp(json_string_value(json_object_get(*rec, "status")), "revoked") == 0) {
        json_decref(*rec);
        *rec = NULL;
        return BC_ECONFLICT;
    }
    return 0;
}

int bc_apikey_rotate(struct bc_env *env, const struct bc_ctx *ctx, const char *key_id, int64_t grace_s,
                     char secret[BC_APIKEY_SECRET_SIZE], json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], lk[BC_KEY_SIZE];
    json_t *rec = NULL;
    *out = NULL;
    int rc = load_active(env, ctx, key_id, pk, sk, &rec);
    if (rc < 0) return rc;
    if (json_object_get(rec, "replaced_by") && !json_is_null(json_object_get(rec, "replaced_by"))) {
        json_decref(rec);
        return BC_ECONFLICT; /* already rotated: rotate the new key instead */
    }
    json_t *origins = json_object_get(rec, "origins");
    rc = create_key(env, ctx, json_string_value(json_object_get(rec, "name")), origins,
                    json_is_true(json_object_get(rec, "allow_no_origin")), secret, out);
    if (rc < 0) goto out;
    int64_t until = bc_now_s() + (grace_s > 0 ? grace_s : 0);
    const char *new_id = json_string_value(json_object_get(*out, "id"));
    /* the old key keeps working until `until`, then the store hides its look-up */
    bc_key_apikey_lookup(lk, json_string_value(json_object_get(rec, "hash")));
    if (grace_s > 0) {
        json_t *set = json_pack("{s:I, s:I}", "expires_at", (json_int_t)until, "ttl", (json_int_t)until);
        struct bc_update u = {set, NULL, NULL};
        struct bc_cond c = {BC_COND_EXISTS, 0};
        rc = bc_store_update(bc_env_dir(env), lk, "META", &u, &c, NULL);
        json_decref(set);
        if (rc == BC_ECOND) rc = 0;
        if (rc == 0) rc = write_origin_index(env, ctx->tenant_id, key_id, origins, until);
    } else {
        rc = bc_store_delete(bc_env_dir(env), lk, "META", NULL);
        if (rc == 0) rc = write_origin_index(env, ctx->tenant_id, key_id, origins, -1);
    }
    if (rc < 0) goto out;
    json_t *set = json_pack("{s:s, s:I, s:s}", "status", "rotated", "expires_at", (json_int_t)until,
                            "replaced_by", new_id);
    struct bc_update u = {set, NULL, NULL};
    rc = bc_store_update(s, pk, sk, &u, NULL, NULL);
    json_decref(set);
out:
    json_decref(rec);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int bc_apikey_revoke(struct bc_env *env, const struct bc_ctx *ctx, const char *key_id)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], lk[BC_KEY_SIZE], now[32];
    json_t *rec = NULL;
    int rc = load_active(env, ctx, key_id, pk, sk, &rec);
    if (rc < 0) return rc;
    bc_key_apikey_lookup(lk, json_string_value(json_object_get(rec, "hash")));
    rc = bc_store_delete(bc_env_dir(env), lk, "META", NULL);
    if (rc == 0) rc = write_origin_index(env, ctx->tenant_id, key_id, json_object_get(rec, "origins"), -1);
    if (rc == 0) {
        bc_now_iso(now);
        json_t *set = json_pack("{s:s, s:s}", "status", "revoked", "revoked_at", now);
        struct bc_update u = {set, NULL, NULL};
        rc = bc_store_update(s, pk, sk, &u, NULL, NULL);
        json_decref(set);
    }
    json_decref(rec);
    return rc;
}

bool bc_apikey_retire_copy(json_t *rec, const char *reason)
{
    char now[32];
    const char *st = json_string_value(json_object_get(rec, "status"));
    bool active = st && strcmp(st, "active") == 0;
    json_object_del(rec, "hash");
    if (st && strcmp(st, "revoked") == 0) return false;
    bc_now_iso(now);
    json_object_set_new(rec, "status", json_string("revoked"));
    json_object_set_new(rec, "revoked_at", json_string(now));
    json_object_set_new(rec, "revoked_reason", json_string(reason));
    return active;
}

int bc_apikey_reissue(struct bc_env *env, const struct bc_ctx *ctx, json_t *old_rec,
                      char secret[BC_APIKEY_SECRET_SIZE], json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *out = NULL;
    const char *name = json_string_value(json_object_get(old_rec, "name"));
    json_t *origins = json_object_get(old_rec, "origins");
    origins = json_is_array(origins) ? json_incref(origins) : json_array();
    int rc = create_key(env, ctx, name ? name : "Widget key", origins,
                        json_is_true(json_object_get(old_rec, "allow_no_origin")), secret, out);
    json_decref(origins);
    if (rc < 0) return rc;
    if (!bc_key_tenant_pk(ctx, pk) ||
        !bc_key_sk(sk, "APIKEY", json_string_value(json_object_get(old_rec, "id"))))
        return 0;
    json_t *set = json_pack("{s:O}", "replaced_by", json_object_get(*out, "id"));
    struct bc_update u = {set, NULL, NULL};
    struct bc_cond c = {BC_COND_EXISTS, 0};
    rc = bc_store_update(s, pk, sk, &u, &c, NULL);
    json_decref(set);
    if (rc == BC_ECOND) rc = 0;
    if (rc == 0) json_object_set(old_rec, "replaced_by", json_object_get(*out, "id"));
    return rc;
}

static const struct bc_jfield update_fields[] = {
    {"name", BC_J_STRING, 0, 1, 80},
    {"origins", BC_J_ARRAY, 0, 0, 50},
    {"allow_no_origin", BC_J_BOOL, 0, 0, 0},
    {NULL},
};

int bc_apikey_update(struct bc_env *env, const struct bc_ctx *ctx, const char *key_id, json_t *body,
                     char *msg, size_t msgsize, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], lk[BC_KEY_SIZE];
    json_t *rec = NULL, *origins = NULL;
    *out = NULL;
    int rc = bc_json_check(body, update_fields, msg, msgsize);
    if (rc < 0) return rc;
    rc = load_active(env, ctx, key_id, pk, sk, &rec);
    if (rc < 0) return rc;
    json_t *new_origins = json_object_get(body, "origins");
    if (new_origins && (rc = normalize_list(new_origins, &origins, msg, msgsize)) < 0) goto out;
    json_t *set = json_object();
    if (json_object_get(body, "name")) json_object_set(set, "name", json_object_get(body, "name"));
    if (origins) json_object_set(set, "origins", origins);
    if (json_object_get(body, "allow_no_origin"))
        json_object_set(set, "allow_no_origin", json_object_get(body, "allow_no_origin"));
    bool allow_none = json_object_get(set, "allow_no_origin")
                          ? json_is_true(json_object_get(set, "allow_no_origin"))
                          : json_is_true(json_object_get(rec, "allow_no_origin"));
    if (origins && json_array_size(origins) == 0 && !allow_none) {
        snprintf(msg, msgsize, "give at least one allowed origin (or allow requests without an origin)");
        json_decref(set);
        rc = BC_EINVALID;
        goto out;
    }
    /* look-up first (what authenticates), then the index, then the record */
    bc_key_apikey_lookup(lk, json_string_value(json_object_get(rec, "hash")));
    json_t *lset = json_pack("{s:O, s:b}", "origins", origins ? origins : json_object_get(rec, "origins"),
                             "allow_no_origin", allow_none);
    struct bc_update lu = {lset, NULL, NULL};
    struct bc_cond c = {BC_COND_EXISTS, 0};
    rc = bc_store_update(bc_env_dir(env), lk, "META", &lu, &c, NULL);
    json_decref(lset);
    if (rc == BC_ECOND) rc = 0; /* an expired rotated key: nothing to update there */
    if (rc == 0 && origins) {
        rc = write_origin_index(env, ctx->tenant_id, key_id, json_object_get(rec, "origins"), -1);
        if (rc == 0) rc = write_origin_index(env, ctx->tenant_id, key_id, origins, 0);
    }
    json_t *updated = NULL;
    struct bc_update u = {set, NULL, NULL};
    if (rc == 0) rc = bc_store_update(s, pk, sk, &u, NULL, &updated);
    if (rc == 0) *out = view(updated);
    json_decref(updated);
    json_decref(set);
out:
    json_decref(origins);
    json_decref(rec);
    return rc;
}

int bc_apikey_resolve(struct bc_env *env, const char *presented, const json_t **lookup)
{
    struct bc_apikey_mark mark;
    return bc_apikey_resolve_marked(env, presented, lookup, &mark);
}

int bc_apikey_resolve_marked(struct bc_env *env, const char *presented, const json_t **lookup,
                             struct bc_apikey_mark *mark)
{
    struct bc_store *s = bc_env_dir(env); /* key look-ups are the directory's */
    char *hash = mark->hash, lk[BC_KEY_SIZE];
    *lookup = NULL;
    mark->at = (struct bc_store_mark){s->serial, 0};
    size_t pl = strlen(BC_APIKEY_PREFIX);
    if (!presented || strlen(presented) != BC_APIKEY_SECRET_SIZE - 1 ||
        strncmp(presented, BC_APIKEY_PREFIX, pl) != 0)
        return BC_EUNAUTHORIZED;
    for (const char *p = presented + pl; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_')) return BC_EUNAUTHORIZED;
    bc_secret_hmac_hex_public("apikey", presented, strlen(presented), hash); /* widget keys are public */
    if (!bc_key_apikey_lookup(lk, hash)) return BC_EUNAUTHORIZED;
    int rc = bc_store_get_marked(s, lk, "META", lookup, &mark->at);
    if (rc == BC_ENOT_FOUND) return BC_EUNAUTHORIZED;
    if (rc < 0) return rc;
    json_t *exp = json_object_get(*lookup, "expires_at");
    if (json_is_integer(exp) && json_integer_value(exp) <= bc_now_s()) {
        bc_json_release(*lookup);
        *lookup = NULL;
        return BC_EUNAUTHORIZED;
    }
    return 0;
}

bool bc_apikey_unchanged(struct bc_env *env, struct bc_apikey_mark *mark)
{
    char lk[BC_KEY_SIZE];
    return bc_key_apikey_lookup(lk, mark->hash) &&
           bc_store_mark_unchanged(bc_env_dir(env), lk, "META", &mark->at);
}

/* last-used times, in memory until flushed (one table per env: the keys of one store). An entry stays
 * while its key is in use, remembering what was last written, so that a key's last_used_at is written at
 * most once per BC_APIKEY_LAST_USED_STEP_S. Every widget request touches its key, so the table is sized for
 * thousands of keys (chains of about one) and its locks striped: with 512 chains under one lock, 10,000
 * keys in use made each touch walk some twenty entries while the other workers waited. */
struct touch {
    struct touch *next;
    uint64_t hash;   /* of key: compared before the key */
    int64_t at;      /* the last use */
    int64_t written; /* the last use written (0: none yet) */
    char tenant[BC_TENANT_ID_MAX + 1];
    char key[BC_TENANT_ID_MAX + 1];
};
#define TOUCH_BUCKETS 8192
#define TOUCH_LOCKS   64 /* bucket b is guarded by lock b % TOUCH_LOCKS */
struct bc_key_touches {
    pthread_mutex_t mu[TOUCH_LOCKS];
    struct touch *b[TOUCH_BUCKETS];
};

struct bc_key_touches *bc__key_touches_new(void)
{
    struct bc_key_touches *t = calloc(1, sizeof *t);
    if (t)
        for (int i = 0; i < TOUCH_LOCKS; i++) pthread_mutex_init(&t->mu[i], NULL);
    return t;
}

void bc__key_touches_free(struct bc_key_touches *t)
{
    if (!t) return;
    for (int i = 0; i < TOUCH_BUCKETS; i++)
        while (t->b[i]) {
            struct touch *x = t->b[i];
            t->b[i] = x->next;
            free(x);
        }
    for (int i = 0; i < TOUCH_LOCKS; i++) pthread_mutex_destroy(&t->mu[i]);
    free(t);
}

/* Locks key's bucket and returns the link that points at its entry (or at the chain's end). */
static struct touch **touch_find(struct bc_key_touches *tt, const char *key, uint64_t h)
{
    size_t b = (size_t)(h % TOUCH_BUCKETS);
    pthread_mutex_lock(&tt->mu[b % TOUCH_LOCKS]);
    struct touch **pp = &tt->b[b];
    while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0)) pp = &(*pp)->next;
    return pp;
}

static void touch_unlock(struct bc_key_touches *tt, uint64_t h)
{
    pthread_mutex_unlock(&tt->mu[(h % TOUCH_BUCKETS) % TOUCH_LOCKS]);
}

void bc_apikey_touch(struct bc_env *env, const char *tenant_id, const char *key_id)
{
    struct bc_key_touches *tt = env->touches;
    uint64_t h = bc_fnv1a_str(key_id);
    int64_t now = bc_now_s();
    struct touch **slot = touch_find(tt, key_id, h), *t = *slot;
    if (!t && (t = calloc(1, sizeof *t))) {
        t->hash = h;
        snprintf(t->tenant, sizeof t->tenant, "%s", tenant_id);
        snprintf(t->key, sizeof t->key, "%s", key_id);
        *slot = t; /* the chain's end */
    }
    if (t) t->at = now;
    touch_unlock(tt, h);
}

/* A use to write: copied out of the table, so the table's lock is not held across the store's writes. */
struct due {
    int64_t at;
    bool first; /* never written by this env: the stored time may already be within the step */
    char tenant[BC_TENANT_ID_MAX + 1];
    char key[BC_TENANT_ID_MAX + 1];
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
};

/* After the writes: what each did to its entry (written: remember it; the key is gone: forget it; an
 * error: keep it pending for the next flush). */
static void settle_due(struct bc_key_touches *tt, const struct due *d, int rc);

/* A key's first use in this env: when the stored last_used_at (another process's, or this one's before a
 * restart) is already within the step of it, that counts as written and nothing is written now. A read,
 * not a write: after a restart every key in use would otherwise be written once. */
static bool stored_recent(struct bc_env *env, struct bc_key_touches *tt, struct due *d)
{
    static const char *const names[] = {"last_used_at"};
    json_t *rec = NULL;
    int64_t stored = 0;
    /* one attribute: the flush after a crawl over thousands of keys neither builds them nor memoises them */
    if (bc_store_get_fields(env->store, d->pk, d->sk, names, 1, &rec) < 0) return false;
    const char *s = json_string_value(json_object_get(rec, "last_used_at"));
    bool recent =
        s && bc_time_parse_iso(s, &stored) == 0 && stored > 0 && d->at - stored < BC_APIKEY_LAST_USED_STEP_S;
    json_decref(rec);
    if (recent) {
        d->at = stored;
        settle_due(tt, d, 0);
    }
    return recent;
}

static void settle_due(struct bc_key_touches *tt, const struct due *d, int rc)
{
    uint64_t h = bc_fnv1a_str(d->key);
    struct touch **pp = touch_find(tt, d->key, h), *t = *pp;
    if (t && rc == 0 && t->written < d->at) t->written = d->at;
    if (t && rc == BC_ECOND) {
        *pp = t->next;
        free(t);
    }
    touch_unlock(tt, h);
}

static int by_tenant_key(const void *a, const void *b)
{
    const struct due *x = a, *y = b;
    int c = strcmp(x->tenant, y->tenant);
    return c ? c : strcmp(x->key, y->key);
}

int bc_apikey_flush_last_used(struct bc_env *env)
{
    struct bc_key_touches *tt = env->touches;
    size_t n = 0, cap = 0;
    struct due *all = NULL;
    int64_t now = bc_now_s();
    for (int i = 0; i < TOUCH_BUCKETS; i++) {
        pthread_mutex_lock(&tt->mu[i % TOUCH_LOCKS]);
        struct touch **pp = &tt->b[i];
        while (*pp) {
            struct touch *t = *pp;
            bool due =
                t->at > t->written && (!t->written || t->at - t->written >= BC_APIKEY_LAST_USED_STEP_S);
            if (!due && now - t->at > BC_APIKEY_LAST_USED_STEP_S) { /* idle: its next use writes at once */
                *pp = t->next;
                free(t);
                continue;
            }
            pp = &t->next;
            if (!due) continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct due *na = realloc(all, ncap * sizeof *na);
                if (!na) break; /* the others next time */
                all = na;
                cap = ncap;
            }
            struct due *d = &all[n++];
            d->at = t->at;
            d->first = !t->written;
            memcpy(d->tenant, t->tenant, sizeof d->tenant);
            memcpy(d->key, t->key, sizeof d->key);
        }
        pthread_mutex_unlock(&tt->mu[i % TOUCH_LOCKS]);
    }
    /* in key order (tenant, then key): the keys of one batch then share the store's leaf and branch pages */
    if (n > 1) qsort(all, n, sizeof *all, by_tenant_key);
    /* one store batch per BC_STORE_UPDATE_BATCH_MAX keys (LMDB: one transaction, lazy: synced by
     * housekeeping within a second), not one durable write per key */
    struct bc_update_op ops[64];
    json_t *sets[64];
    size_t chunk = sizeof ops / sizeof ops[0];
    int written = 0, rc = 0;
    for (size_t i = 0; i < n; i += chunk) {
        size_t k = 0;
        size_t idx[64];
        for (size_t x = i; x < n && x < i + chunk; x++) {
            struct due *d = &all[x];
            struct bc_ctx ctx;
            char when[32];
            if (bc_ctx_operator(&ctx, d->tenant) < 0 || !bc_key_tenant_pk(&ctx, d->pk) ||
                !bc_key_sk(d->sk, "APIKEY", d->key)) {
                settle_due(tt, d, BC_ECOND); /* cannot be stored: forget it */
                continue;
            }
            if (d->first && stored_recent(env, tt, d)) continue;
            bc_time_format_utc(d->at, when, sizeof when);
            sets[k] = json_pack("{s:s}", "last_used_at", when);
            ops[k] = (struct bc_update_op){
                .pk = d->pk, .sk = d->sk, .u = {sets[k], NULL, NULL}, .cond = {BC_COND_EXISTS, 0, true}};
            idx[k++] = x;
        }
        int r = k ? bc_store_update_batch(env->store, ops, k) : 0;
        if (r < 0 && rc == 0) rc = r;
        for (size_t x = 0; x < k; x++) {
            json_decref(sets[x]);
            settle_due(tt, &all[idx[x]], ops[x].rc);
            if (ops[x].rc == 0) written++;
        }
    }
    free(all);
    return rc < 0 ? rc : written;
}
