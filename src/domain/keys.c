/* Key builders for the single-table design of PRODUCT.md section 3. */
#include "domain/keys.h"
#include "util/id.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* parts[0..n) joined by '#' into buf; NULL when they do not fit in BC_KEY_SIZE (with the NUL). Plain
 * copies: every request builds several keys, and snprintf's format parsing showed in profiles. */
static const char *join(char *buf, const char *const *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(parts[i]);
        if (len + (i > 0) + l >= BC_KEY_SIZE) return NULL;
        if (i > 0) buf[len++] = '#';
        memcpy(buf + len, parts[i], l);
        len += l;
    }
    buf[len] = '\0';
    return buf;
}

#define JOIN(buf, ...)                                                                                       \
    join(buf, (const char *const[]){__VA_ARGS__}, sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *))

const char *bc_key_tenant_pk(const struct bc_ctx *ctx, char *buf)
{
    if (!ctx || !bc_key_id_ok(ctx->tenant_id)) return NULL;
    return JOIN(buf, "TENANT", ctx->tenant_id);
}

const char *bc_key_tenant_pk_operator(char *buf, const char *tenant_id)
{
    if (!bc_key_id_ok(tenant_id)) return NULL;
    return JOIN(buf, "TENANT", tenant_id);
}

const char *bc_key_sk(char *buf, const char *kind, const char *id)
{
    if (!bc_key_id_ok(id)) return NULL;
    return JOIN(buf, kind, id);
}

const char *bc_key_sk2(char *buf, const char *kind, const char *a, const char *b)
{
    if (!bc_key_id_ok(a) || !bc_key_id_ok(b)) return NULL;
    return JOIN(buf, kind, a, b);
}

const char *bc_key_apikey_lookup(char *buf, const char *hash_hex)
{
    if (!bc_key_id_ok(hash_hex)) return NULL;
    return JOIN(buf, "APIKEY", hash_hex);
}

const char *bc_key_email_lookup(char *buf, const char *email)
{
    if (!email || !*email || strlen(email) > 190 || strchr(email, '#')) return NULL;
    int n = snprintf(buf, BC_KEY_SIZE, "EMAIL#");
    for (const char *p = email; *p && n < BC_KEY_SIZE - 1; p++) {
        if ((unsigned char)*p < 0x20) return NULL;
        buf[n++] = (char)tolower((unsigned char)*p);
    }
    buf[n] = '\0';
    return buf;
}

const char *bc_key_origin_lookup(char *buf, const char *origin)
{
    if (!origin || !*origin || strlen(origin) > 190) return NULL;
    for (const char *p = origin; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '#') return NULL;
    return JOIN(buf, "ORIGIN", origin);
}

const char *bc_key_migration(char *buf, const char *tenant_id)
{
    if (!bc_key_id_ok(tenant_id)) return NULL;
    return JOIN(buf, "MIGRATION", tenant_id);
}

const char *bc_key_pow_used(char *buf, const char *challenge)
{
    if (!challenge || strlen(challenge) != 64 || strspn(challenge, "0123456789abcdef") != 64) return NULL;
    return JOIN(buf, "POW", challenge);
}

const char *bc_key_channel_route(char *buf, const char *channel_id)
{
    if (!bc_key_id_ok(channel_id)) return NULL;
    return JOIN(buf, "CHANNEL", channel_id);
}
