/* Expressions and request bodies of the DynamoDB store backend: condition, update and key-condition
 * expressions built with the placeholders they use, the conditions that make an expired item count as
 * absent (see the DESIGN NOTES of store_dynamodb.c), and the small helpers every request shares. */
#include "store/dynamodb.h"
#include "store/dynamodb_internal.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- expressions ----------------------------------------------------------------------------------------
 */

void bc__ddb_ex_init(struct bc__ddb_expr *e, json_t *names, json_t *values, int64_t now)
{
    bc_buf_init(&e->s);
    e->names = names;
    e->values = values;
    e->now = now;
    e->n = 0;
    e->rc = 0;
}

void bc__ddb_ex_puts(struct bc__ddb_expr *e, const char *s)
{
    if (e->rc == 0) e->rc = bc_buf_puts(&e->s, s);
}

void bc__ddb_ex_name(struct bc__ddb_expr *e, const char *ph, const char *attr)
{
    if (e->rc == 0 && json_object_set_new(e->names, ph, json_string(attr)) < 0) e->rc = BC_ENOMEM;
}

void bc__ddb_ex_value(struct bc__ddb_expr *e, const char *ph, json_t *av)
{
    if (e->rc == 0 && (!av || json_object_set_new(e->values, ph, av) < 0))
        e->rc = BC_ENOMEM;
    else if (e->rc)
        json_decref(av);
}

static json_t *av_n(int64_t v)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)v);
    return json_pack("{s:s}", "N", s);
}

json_t *bc__ddb_av_s(const char *s)
{
    json_t *str = json_string(s);
    return str ? json_pack("{s:o}", "S", str) : NULL;
}

/* "(ttl > 0 AND ttl <= now)": the item carries a ttl that has passed. */
void bc__ddb_ex_expired(struct bc__ddb_expr *e)
{
    bc__ddb_ex_name(e, "#ttl", "ttl");
    bc__ddb_ex_value(e, ":zero", av_n(0));
    bc__ddb_ex_value(e, ":now", av_n(e->now));
    bc__ddb_ex_puts(e, "(#ttl > :zero AND #ttl <= :now)");
}

static void ex_version_eq(struct bc__ddb_expr *e, int64_t v)
{
    bc__ddb_ex_name(e, "#ver", "version");
    bc__ddb_ex_value(e, ":ver", av_n(v));
    bc__ddb_ex_puts(e, "#ver = :ver");
}

/* The stored item (if any) has version 0: no attribute, 0, or not a number. */
static void ex_version_zero(struct bc__ddb_expr *e)
{
    bc__ddb_ex_name(e, "#ver", "version");
    bc__ddb_ex_value(e, ":zero", av_n(0));
    bc__ddb_ex_value(e, ":tn", bc__ddb_av_s("N"));
    bc__ddb_ex_puts(e, "(attribute_not_exists(#ver) OR #ver = :zero OR NOT attribute_type(#ver, :tn))");
}

/* Condition for put/delete, where an expired item counts as absent inside the expression. Returns false
 * when there is no condition. */
bool bc__ddb_ex_cond_put(struct bc__ddb_expr *e, const struct bc_cond *c)
{
    if (!c || c->kind == BC_COND_NONE) return false;
    switch (c->kind) {
    case BC_COND_NOT_EXISTS:
        bc__ddb_ex_name(e, "#pk", "PK");
        bc__ddb_ex_puts(e, "(attribute_not_exists(#pk) OR ");
        bc__ddb_ex_expired(e);
        bc__ddb_ex_puts(e, ")");
        break;
    case BC_COND_EXISTS:
        bc__ddb_ex_name(e, "#pk", "PK");
        bc__ddb_ex_puts(e, "(attribute_exists(#pk) AND NOT ");
        bc__ddb_ex_expired(e);
        bc__ddb_ex_puts(e, ")");
        break;
    case BC_COND_VERSION:
        if (c->version == 0) {
            bc__ddb_ex_puts(e, "(");
            bc__ddb_ex_expired(e);
            bc__ddb_ex_puts(e, " OR ");
            ex_version_zero(e);
            bc__ddb_ex_puts(e, ")");
        } else {
            bc__ddb_ex_puts(e, "(");
            ex_version_eq(e, c->version);
            bc__ddb_ex_puts(e, " AND NOT ");
            bc__ddb_ex_expired(e);
            bc__ddb_ex_puts(e, ")");
        }
        break;
    default:
        e->rc = BC_EINVALID;
    }
    return true;
}

/* Condition for update: the caller's condition on a live item, and "not expired" (an expired item is
 * handled by the caller after the condition fails). */
void bc__ddb_ex_cond_update(struct bc__ddb_expr *e, const struct bc_cond *c)
{
    enum bc_cond_kind k = c ? c->kind : BC_COND_NONE;
    switch (k) {
    case BC_COND_NONE:
        break;
    case BC_COND_NOT_EXISTS:
        bc__ddb_ex_name(e, "#pk", "PK");
        bc__ddb_ex_puts(e, "attribute_not_exists(#pk)");
        return; /* an expired item fails this too, and is then handled as absent */
    case BC_COND_EXISTS:
        bc__ddb_ex_name(e, "#pk", "PK");
        bc__ddb_ex_puts(e, "attribute_exists(#pk) AND ");
        break;
    case BC_COND_VERSION:
        if (c->version == 0)
            ex_version_zero(e);
        else
            ex_version_eq(e, c->version);
        bc__ddb_ex_puts(e, " AND ");
        break;
    default:
        e->rc = BC_EINVALID;
        return;
    }
    bc__ddb_ex_puts(e, "NOT ");
    bc__ddb_ex_expired(e);
}

/* ---- request building helpers ---------------------------------------------------------------------------
 */

json_t *bc__ddb_key_av(const char *pk, const char *sk)
{
    json_t *p = bc__ddb_av_s(pk), *s = bc__ddb_av_s(sk);
    if (!p || !s) {
        json_decref(p);
        json_decref(s);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "PK", p, "SK", s);
}

/* Sets req's "Key"; BC_EINVALID for keys that are not valid UTF-8. */
int bc__ddb_set_key(json_t *req, const char *pk, const char *sk)
{
    if (!req) return BC_ENOMEM;
    json_t *k = bc__ddb_key_av(pk, sk);
    if (!k) return BC_EINVALID;
    return json_object_set_new(req, "Key", k) < 0 ? BC_ENOMEM : 0;
}

json_t *bc__ddb_new_request(struct bc__ddb_store *st)
{
    return json_pack("{s:s, s:s}", "TableName", st->table, "ReturnConsumedCapacity", "TOTAL");
}

/* Attaches the expression (under field) and its placeholders to req. */
int bc__ddb_attach(json_t *req, const char *field, struct bc__ddb_expr *e)
{
    if (e->rc < 0) return e->rc;
    if (field && e->s.len && json_object_set_new(req, field, json_string(e->s.data)) < 0) return BC_ENOMEM;
    return 0;
}

int bc__ddb_attach_placeholders(json_t *req, json_t *names, json_t *values)
{
    if (json_object_size(names) && json_object_set(req, "ExpressionAttributeNames", names) < 0)
        return BC_ENOMEM;
    if (json_object_size(values) && json_object_set(req, "ExpressionAttributeValues", values) < 0)
        return BC_ENOMEM;
    return 0;
}

/* Converts a response's attribute map; BC_EIO when the engine sent something we cannot read. */
int bc__ddb_response_item(json_t *map, json_t **out)
{
    int rc = bc__ddb_item_from_av(map, out);
    if (rc == BC_EINVALID) {
        bc_log(BC_LOG_ERROR, "dynamodb: unreadable item in a response");
        rc = BC_EIO;
    }
    return rc;
}
