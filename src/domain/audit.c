/* Audit entries: one put per write, expiring after a year. */
#include "domain/audit.h"
#include "domain/env.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <stdio.h>

#define RETENTION_S (366 * 86400)

int bc_audit_record(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_actor *actor,
                    const char *action, const char *target, int status, json_t *detail)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], id[BC_ID_LEN + 1], now[32];
    if (!bc_key_tenant_pk(ctx, pk)) return BC_EINVALID;
    bc_id_new(id);
    bc_now_iso(now);
    snprintf(sk, sizeof sk, "AUDIT#%s#%s", now, id);
    json_t *it = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s?}, s:s, s:s?, s:i, s:s?, s:s?, s:I}", "PK", pk,
                           "SK", sk, "id", id, "at", now, "actor", "kind", actor->kind, "id", actor->id,
                           "action", action, "target", target, "status", status, "remote", actor->remote,
                           "request_id", actor->req_id, "ttl", (json_int_t)(bc_now_s() + RETENTION_S));
    if (!it) return BC_ENOMEM;
    if (actor->org) json_object_set_new(json_object_get(it, "actor"), "org", json_string(actor->org));
    if (detail) json_object_set(it, "detail", detail);
    int rc = bc_store_put(s, it, NULL);
    json_decref(it);
    return rc;
}

int bc_audit_list(struct bc_env *env, const struct bc_ctx *ctx, int limit, const char *cursor, json_t **items,
                  char **next_cursor)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    *items = NULL;
    *next_cursor = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    struct bc_query q = {
        .pk = pk, .sk_prefix = "AUDIT#", .limit = limit, .cursor = cursor, .descending = true};
    struct bc_query_result r;
    int rc = bc_store_query(s, &q, &r);
    if (rc < 0) return rc;
    size_t i;
    json_t *it;
    json_array_foreach(r.items, i, it)
    {
        json_object_del(it, "PK");
        json_object_del(it, "SK");
        json_object_del(it, "ttl");
    }
    *items = json_incref(r.items);
    *next_cursor = r.next_cursor;
    r.next_cursor = NULL;
    bc_query_result_release(&r);
    return 0;
}
