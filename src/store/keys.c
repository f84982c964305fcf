/* Key builders for the single-table design of PRODUCT.md section 3. */
#include "store/keys.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool bc_key_id_ok(const char *id)
{
    if (!id) return false;
    size_t n = strlen(id);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!(isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '@' || c == '+'))
            return false;
    }
    return true;
}

static const char *fmt(char *buf, int n)
{
    return n > 0 && n < BC_KEY_SIZE ? buf : NULL;
}

/* buf = the parts joined with '#' (what snprintf "%s#%s…" wrote, without its cost), NULL when too long. */
static const char *join(char *buf, const char *const *parts, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(parts[i]);
        if (len + l + (i > 0) >= BC_KEY_SIZE) return NULL;
        if (i > 0) buf[len++] = '#';
        memcpy(buf + len, parts[i], l);
        len += l;
    }
    buf[len] = '\0';
    return len ? buf : NULL;
}

const char *bc_key_tenant_pk(const struct bc_ctx *ctx, char *buf)
{
    if (!ctx || !bc_key_id_ok(ctx->tenant_id)) return NULL;
    const char *parts[] = {"TENANT", ctx->tenant_id};
    return join(buf, parts, 2);
}

const char *bc_key_tenant_pk_operator(char *buf, const char *tenant_id)
{
    if (!bc_key_id_ok(tenant_id)) return NULL;
    return fmt(buf, snprintf(buf, BC_KEY_SIZE, "TENANT#%s", tenant_id));
}

const char *bc_key_sk(char *buf, const char *kind, const char *id)
{
    if (!bc_key_id_ok(id)) return NULL;
    const char *parts[] = {kind, id};
    return join(buf, parts, 2);
}

const char *bc_key_sk2(char *buf, const char *kind, const char *a, const char *b)
{
    if (!bc_key_id_ok(a) || !bc_key_id_ok(b)) return NULL;
    const char *parts[] = {kind, a, b};
    return join(buf, parts, 3);
}

const char *bc_key_apikey_lookup(char *buf, const char *hash_hex)
{
    if (!bc_key_id_ok(hash_hex)) return NULL;
    return fmt(buf, snprintf(buf, BC_KEY_SIZE, "APIKEY#%s", hash_hex));
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
    return fmt(buf, snprintf(buf, BC_KEY_SIZE, "ORIGIN#%s", origin));
}

const char *bc_key_migration(char *buf, const char *tenant_id)
{
    if (!bc_key_id_ok(tenant_id)) return NULL;
    return fmt(buf, snprintf(buf, BC_KEY_SIZE, "MIGRATION#%s", tenant_id));
}
