/* Users and login.
 *
 * DESIGN NOTES
 * - Creation writes the e-mail look-up first with a not-exists condition (that write is what makes the
 *   e-mail unique in the tenant), then the USER item; if the second write fails the look-up is removed.
 *   A look-up whose USER is missing (crash between writes) is ignored by login and replaced on re-create.
 * - "tokens_after" (epoch seconds) on the USER item invalidates JWTs issued before a password change. */
#include "domain/user.h"
#include "domain/env.h"
#include "auth/password.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

bool bc_email_valid(const char *e)
{
    if (!e) return false;
    size_t n = strlen(e);
    const char *at = strchr(e, '@');
    if (n < 5 || n > 120 || !at || at == e || strchr(at + 1, '@')) return false;
    const char *dot = strrchr(at, '.');
    if (!dot || dot == at + 1 || dot[1] == '\0') return false;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == '#' || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return false;
    return true;
}

bool bc_email_normalize(const char *email, char out[BC_EMAIL_SIZE])
{
    out[0] = '\0';
    if (!email) return false;
    while (isspace((unsigned char)*email)) email++;
    size_t n = strlen(email);
    while (n > 0 && isspace((unsigned char)email[n - 1])) n--;
    if (n >= BC_EMAIL_SIZE) return false;
    for (size_t i = 0; i < n; i++) out[i] = (char)tolower((unsigned char)email[i]);
    out[n] = '\0';
    return bc_email_valid(out);
}

json_t *bc_user_view(json_t *item)
{
    json_t *o = json_object();
    const char *fields[] = {"id", "email", "name", "role", "created_at", "updated_at"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *v = json_object_get(item, fields[i]);
        if (v) json_object_set(o, fields[i], v);
    }
    return o;
}

int bc_user_get(struct bc_env *env, const struct bc_ctx *ctx, const char *user_id, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, "USER", user_id)) return BC_ENOT_FOUND;
    return bc_store_get(s, pk, sk, out);
}

int bc_user_find(struct bc_env *env, const struct bc_ctx *ctx, const char *email, json_t **out)
{
    char lk[BC_KEY_SIZE], sk[BC_KEY_SIZE], em[BC_EMAIL_SIZE];
    json_t *look = NULL;
    *out = NULL;
    bc_email_normalize(email, em);
    if (!bc_key_email_lookup(lk, em) || !bc_key_sk(sk, "TENANT", ctx->tenant_id)) return BC_ENOT_FOUND;
    int rc = bc_store_get(bc_env_dir(env), lk, sk, &look); /* e-mail look-ups are the directory's */
    if (rc < 0) return rc;
    rc = bc_user_get(env, ctx, json_string_value(json_object_get(look, "user_id")), out);
    json_decref(look);
    return rc;
}

int bc_user_create(struct bc_env *env, const struct bc_ctx *ctx, const char *email, const char *name,
                   const char *role, const char *password, char generated[21], char *msg, size_t msgsize,
                   json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], lk[BC_KEY_SIZE], tsk[BC_KEY_SIZE], usk[BC_KEY_SIZE], id[BC_ID_LEN + 1];
    char em[BC_EMAIL_SIZE], hash[BC_PASSWORD_HASH_SIZE], now[32];
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    if (!bc_email_normalize(email, em)) {
        snprintf(msg, msgsize, "a valid e-mail address is required");
        return BC_EINVALID;
    }
    if (bc_role_parse(role) == BC_ROLE_NONE) {
        snprintf(msg, msgsize, "role must be owner, admin or viewer");
        return BC_EINVALID;
    }
    if (name && bc_json_check_string(name, 0, 120, 0) < 0) {
        snprintf(msg, msgsize, "the name must be at most 120 characters " BC_JSON_PLAIN_TEXT);
        return BC_EINVALID;
    }
    if (!password) {
        bc_password_generate(generated);
        password = generated;
    }
    if (bc_password_hash(password, hash) < 0) {
        snprintf(msg, msgsize, "passwords are %d to %d characters", BC_PASSWORD_MIN, BC_PASSWORD_MAX);
        return BC_EINVALID;
    }
    bc_id_new(id);
    bc_key_email_lookup(lk, em);
    bc_key_sk(tsk, "TENANT", ctx->tenant_id);
    bc_key_sk(usk, "USER", id);
    /* reserve the e-mail in this tenant; a stale look-up (its user is gone) may be replaced */
    json_t *look =
        json_pack("{s:s, s:s, s:s, s:s}", "PK", lk, "SK", tsk, "tenant_id", ctx->tenant_id, "user_id", id);
    struct bc_cond ne = {BC_COND_NOT_EXISTS, 0};
    struct bc_store *dir = bc_env_dir(env);
    int rc = bc_store_put(dir, look, &ne);
    if (rc == BC_ECOND) {
        json_t *existing = NULL;
        if (bc_user_find(env, ctx, em, &existing) == BC_ENOT_FOUND) rc = bc_store_put(dir, look, NULL);
        json_decref(existing);
        if (rc == BC_ECOND) {
            snprintf(msg, msgsize, "a user with this e-mail already exists");
            rc = BC_ECONFLICT;
        }
    }
    json_decref(look);
    if (rc < 0) return rc;
    bc_now_iso(now);
    json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "PK", pk, "SK", usk, "id", id,
                          "email", em, "name", name ? name : "", "role", bc_role_name(bc_role_parse(role)),
                          "pw_hash", hash, "created_at", now, "tokens_after", (json_int_t)0);
    rc = bc_store_put(s, u, &ne);
    if (rc < 0)
        bc_store_delete(dir, lk, tsk, NULL);
    else
        *out = bc_user_view(u);
    json_decref(u);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

int bc_user_list(struct bc_env *env, const struct bc_ctx *ctx, int limit, const char *cursor, json_t **items,
                 char **next_cursor)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    *items = NULL;
    *next_cursor = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    struct bc_query q = {.pk = pk, .sk_prefix = "USER#", .limit = limit, .cursor = cursor};
    return bc_store_query_page(s, &q, bc_user_view, items, next_cursor);
}

/* Number of owners of the tenant (up to 1000 users scanned). */
static int count_owners(struct bc_env *env, const char *pk)
{
    struct bc_store *s = env->store;
    struct bc_query q = {.pk = pk, .sk_prefix = "USER#", .limit = 1000};
    struct bc_query_result r;
    if (bc_store_query(s, &q, &r) < 0) return -1;
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(r.items, i, it)
    {
        const char *role = json_string_value(json_object_get(it, "role"));
        if (role && strcmp(role, "owner") == 0) n++;
    }
    bc_query_result_release(&r);
    return n;
}

int bc_user_set_role(struct bc_env *env, const struct bc_ctx *ctx, const char *user_id, const char *role,
                     json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], now[32];
    json_t *u = NULL;
    *out = NULL;
    if (bc_role_parse(role) == BC_ROLE_NONE) return BC_EINVALID;
    int rc = bc_user_get(env, ctx, user_id, &u);
    if (rc < 0) return rc;
    bc_key_tenant_pk(ctx, pk);
    bc_key_sk(sk, "USER", user_id);
    const char *cur = json_string_value(json_object_get(u, "role"));
    if (cur && strcmp(cur, "owner") == 0 && strcmp(role, "owner") != 0 && count_owners(env, pk) <= 1) {
        json_decref(u);
        return BC_ECONFLICT;
    }
    json_decref(u);
    bc_now_iso(now);
    json_t *set = json_pack("{s:s, s:s}", "role", role, "updated_at", now), *item = NULL;
    struct bc_update up = {set, NULL, NULL};
    struct bc_cond c = {BC_COND_EXISTS, 0};
    rc = bc_store_update(s, pk, sk, &up, &c, &item);
    json_decref(set);
    if (rc == BC_ECOND) rc = BC_ENOT_FOUND;
    if (rc == 0) *out = bc_user_view(item);
    json_decref(item);
    return rc;
}

int bc_user_set_password(struct bc_env *env, const struct bc_ctx *ctx, const char *user_id,
                         const char *password, char generated[21], char *msg, size_t msgsize)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], hash[BC_PASSWORD_HASH_SIZE], now[32];
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, "USER", user_id)) return BC_ENOT_FOUND;
    if (!password) {
        bc_password_generate(generated);
        password = generated;
    }
    if (bc_password_hash(password, hash) < 0) {
        snprintf(msg, msgsize, "passwords are %d to %d characters", BC_PASSWORD_MIN, BC_PASSWORD_MAX);
        return BC_EINVALID;
    }
    bc_now_iso(now);
    /* tokens issued in this very second stay valid: JWT iat has one-second resolution */
    json_t *set = json_pack("{s:s, s:s, s:I}", "pw_hash", hash, "updated_at", now, "tokens_after",
                            (json_int_t)bc_now_s());
    struct bc_update up = {set, NULL, NULL};
    struct bc_cond c = {BC_COND_EXISTS, 0};
    int rc = bc_store_update(s, pk, sk, &up, &c, NULL);
    json_decref(set);
    sodium_memzero(hash, sizeof hash);
    return rc == BC_ECOND ? BC_ENOT_FOUND : rc;
}

int bc_user_remove(struct bc_env *env, const struct bc_ctx *ctx, const char *user_id)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], lk[BC_KEY_SIZE], tsk[BC_KEY_SIZE];
    json_t *u = NULL;
    int rc = bc_user_get(env, ctx, user_id, &u);
    if (rc < 0) return rc;
    bc_key_tenant_pk(ctx, pk);
    bc_key_sk(sk, "USER", user_id);
    const char *role = json_string_value(json_object_get(u, "role"));
    if (role && strcmp(role, "owner") == 0 && count_owners(env, pk) <= 1) {
        json_decref(u);
        return BC_ECONFLICT;
    }
    struct bc_cond c = {BC_COND_EXISTS, 0};
    rc = bc_store_delete(s, pk, sk, &c);
    if (rc == 0 && bc_key_email_lookup(lk, json_string_value(json_object_get(u, "email"))) &&
        bc_key_sk(tsk, "TENANT", ctx->tenant_id))
        rc = bc_store_delete(bc_env_dir(env), lk, tsk, NULL);
    json_decref(u);
    return rc == BC_ECOND ? BC_ENOT_FOUND : rc;
}

int bc_user_login(struct bc_env *env, const char *email, const char *password, const char *tenant_id,
                  json_t **user, char *tenant_out)
{
    struct bc_store *s = bc_env_dir(env); /* e-mail look-ups are the directory's */
    char lk[BC_KEY_SIZE], em[BC_EMAIL_SIZE], tid_first[BC_TENANT_ID_MAX + 1] = "";
    json_t *first = NULL; /* the candidate whose password is checked: the first user of the e-mail */
    int candidates = 0, reads = 0, rc = 0;
    *user = NULL;
    if (bc_email_normalize(email, em) && password && bc_key_email_lookup(lk, em)) {
        struct bc_query q = {.pk = lk, .sk_prefix = "TENANT#", .limit = 20};
        struct bc_query_result r;
        if ((rc = bc_store_query(s, &q, &r)) < 0) return rc;
        size_t i;
        json_t *look;
        json_array_foreach(r.items, i, look)
        {
            const char *tid = json_string_value(json_object_get(look, "tenant_id"));
            if (!tid || (tenant_id && strcmp(tid, tenant_id) != 0)) continue;
            struct bc_ctx ctx;
            json_t *u = NULL;
            if (bc_ctx_operator(&ctx, tid) < 0) continue;
            reads++;
            /* the user's record is in the tenant's partition: its own store when it is placed */
            struct bc_env *tenv = bc_env_tenant(env, tid);
            if (!tenv) continue;
            if (bc_user_get(tenv, &ctx, json_string_value(json_object_get(look, "user_id")), &u) < 0)
                continue;
            if (candidates++ == 0) {
                first = u;
                snprintf(tid_first, sizeof tid_first, "%s", tid);
            } else {
                json_decref(u);
            }
        }
        bc_query_result_release(&r);
        if (reads == 0) { /* no user to read (unknown e-mail, other tenant): an absent item, read alike */
            json_t *none = NULL;
            bc_store_get(s, lk, "TENANT#~", &none);
            json_decref(none);
        }
    }
    /* exactly one Argon2 verification on every path: the candidate's hash, or the dummy one */
    if (!bc_password_check(json_string_value(json_object_get(first, "pw_hash")), password)) {
        json_decref(first);
        return BC_EUNAUTHORIZED;
    }
    if (candidates > 1) {
        json_decref(first);
        return BC_ECONFLICT;
    }
    *user = first;
    snprintf(tenant_out, BC_TENANT_ID_MAX + 1, "%s", tid_first);
    return 0;
}
