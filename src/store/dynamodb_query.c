/* Query and scan on the DynamoDB store backend: a page of live items, asked of DynamoDB as often as
 * expired items or its 1 MB page limit make necessary, with an opaque cursor to the next page.
 *
 * DESIGN NOTES
 * - Cursors stay opaque and backend-shaped like LMDB's: base64url of the last returned SK (query) or of
 *   PK "\0" SK (scan); the next page starts with ExclusiveStartKey built from it. A page asks DynamoDB for
 *   limit+1 items (and more requests when expired items or the 1 MB page cut it short), so a cursor is
 *   handed out only when another live item exists.
 * - Reads are consistent (ConsistentRead) and drop items whose ttl <= now, which DynamoDB may still hold. */
#include "store/dynamodb_internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static char *encode_cursor(const void *data, size_t n)
{
    char *c = malloc(bc_b64url_len(n));
    if (c) bc_b64url_encode(data, n, c);
    return c;
}

/* Decodes a cursor into buf (NUL-terminated); BC_EINVALID when it is not one of ours. */
static int decode_cursor(const char *c, char *buf, size_t cap, size_t *len)
{
    size_t cl = strlen(c);
    if (cl == 0 || cl > 4 * cap / 3 + 4) return BC_EINVALID;
    int n = bc_b64url_decode(c, cl, buf, cap - 1);
    if (n <= 0) return BC_EINVALID;
    buf[n] = '\0';
    *len = (size_t)n;
    return 0;
}

/* Runs a Query or Scan request (req prepared but for Limit/ExclusiveStartKey) until it has want live items
 * or the engine has no more. Appends to items; *more is true when an item beyond want exists. */
static int fill_page(struct bc__ddb_store *st, const char *op, json_t *req, json_t *start, int limit,
                     json_t *items, bool *more)
{
    int want = limit + 1, rc = 0;
    int64_t now = bc_now_s();
    json_t *resp = NULL;
    *more = false;
    if (start && json_object_set(req, "ExclusiveStartKey", start) < 0) return BC_ENOMEM;
    for (;;) {
        int need = want - (int)json_array_size(items);
        if (json_object_set_new(req, "Limit", json_integer(need)) < 0) return BC_ENOMEM;
        json_decref(resp);
        resp = NULL;
        if ((rc = bc__ddb_call(st, op, req, BC__DDB_READ, &resp, NULL)) < 0) break;
        json_t *got = json_object_get(resp, "Items"), *it;
        size_t i;
        if (!json_is_array(got)) {
            rc = BC_EIO;
            break;
        }
        json_array_foreach(got, i, it)
        {
            json_t *item = NULL;
            if ((rc = bc__ddb_response_item(it, &item)) < 0) break;
            if (bc__store_expired(item, now))
                json_decref(item);
            else if (json_array_append_new(items, item) < 0)
                rc = BC_ENOMEM;
            if (rc < 0) break;
        }
        if (rc < 0) break;
        json_t *lek = json_object_get(resp, "LastEvaluatedKey");
        if ((int)json_array_size(items) >= want || !lek) break;
        if (json_object_set(req, "ExclusiveStartKey", lek) < 0) {
            rc = BC_ENOMEM;
            break;
        }
    }
    json_decref(resp);
    if (rc == 0 && (int)json_array_size(items) > limit) {
        *more = true;
        while ((int)json_array_size(items) > limit) json_array_remove(items, json_array_size(items) - 1);
    }
    return rc;
}

int bc__ddb_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res)
{
    struct bc__ddb_store *st = (struct bc__ddb_store *)s;
    int limit = q->limit ? q->limit : 100;
    char after[BC_STORE_KEY_MAX + 2];
    size_t afterlen = 0;
    json_t *start = NULL, *req = NULL, *names = json_object(), *values = json_object();
    struct bc__ddb_expr e;
    bc__ddb_ex_init(&e, names, values, 0);
    int rc = BC_ENOMEM;
    res->items = json_array();
    if (!res->items || !names || !values) goto out;
    if (q->cursor) {
        if (decode_cursor(q->cursor, after, sizeof after, &afterlen) < 0 || bc__store_key_valid(after) < 0 ||
            strlen(after) != afterlen || !(start = bc__ddb_key_av(q->pk, after))) {
            rc = BC_EINVALID;
            goto out;
        }
    }
    /* Bounds DynamoDB cannot take (empty strings, from > to) are answered here, as LMDB answers them. */
    const char *prefix = q->sk_prefix && *q->sk_prefix ? q->sk_prefix : NULL;
    const char *from = q->sk_from && *q->sk_from ? q->sk_from : NULL, *to = q->sk_to;
    if (to && (!*to || (from && strcmp(from, to) > 0))) {
        rc = 0;
        goto out;
    }
    bc__ddb_ex_name(&e, "#pk", "PK");
    bc__ddb_ex_value(&e, ":pk", bc__ddb_av_s(q->pk));
    bc__ddb_ex_puts(&e, "#pk = :pk");
    if (prefix || from || to) bc__ddb_ex_name(&e, "#sk", "SK");
    if (prefix) {
        bc__ddb_ex_value(&e, ":p", bc__ddb_av_s(prefix));
        bc__ddb_ex_puts(&e, " AND begins_with(#sk, :p)");
    } else if (from && to) {
        bc__ddb_ex_value(&e, ":a", bc__ddb_av_s(from));
        bc__ddb_ex_value(&e, ":b", bc__ddb_av_s(to));
        bc__ddb_ex_puts(&e, " AND #sk BETWEEN :a AND :b");
    } else if (from) {
        bc__ddb_ex_value(&e, ":a", bc__ddb_av_s(from));
        bc__ddb_ex_puts(&e, " AND #sk >= :a");
    } else if (to) {
        bc__ddb_ex_value(&e, ":b", bc__ddb_av_s(to));
        bc__ddb_ex_puts(&e, " AND #sk <= :b");
    }
    req = bc__ddb_new_request(st);
    if (!req || (rc = bc__ddb_attach(req, "KeyConditionExpression", &e)) < 0 ||
        (rc = bc__ddb_attach_placeholders(req, names, values)) < 0)
        goto out;
    rc = BC_ENOMEM;
    if (json_object_set_new(req, "ConsistentRead", json_true()) < 0 ||
        json_object_set_new(req, "ScanIndexForward", json_boolean(!q->descending)) < 0)
        goto out;
    bool more = false;
    rc = fill_page(st, "Query", req, start, limit, res->items, &more);
    if (rc == 0 && more) {
        json_t *last = json_array_get(res->items, json_array_size(res->items) - 1);
        const char *sk = json_string_value(json_object_get(last, "SK"));
        if (!sk)
            rc = BC_EIO;
        else if (!(res->next_cursor = encode_cursor(sk, strlen(sk))))
            rc = BC_ENOMEM;
    }
out:
    bc_buf_release(&e.s);
    json_decref(start);
    json_decref(req);
    json_decref(names);
    json_decref(values);
    if (rc < 0) bc_query_result_release(res);
    return rc;
}

int bc__ddb_scan(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res)
{
    struct bc__ddb_store *st = (struct bc__ddb_store *)s;
    char after[2 * BC_STORE_KEY_MAX + 3];
    size_t afterlen = 0;
    json_t *start = NULL, *req = NULL;
    int rc = BC_ENOMEM;
    res->items = json_array();
    if (!res->items) goto out;
    if (cursor) {
        rc = BC_EINVALID;
        if (decode_cursor(cursor, after, sizeof after, &afterlen) < 0) goto out;
        size_t pl = strlen(after);
        if (pl >= afterlen || bc__store_key_valid(after) < 0 || bc__store_key_valid(after + pl + 1) < 0 ||
            pl + 1 + strlen(after + pl + 1) != afterlen || !(start = bc__ddb_key_av(after, after + pl + 1)))
            goto out;
    }
    rc = BC_ENOMEM;
    req = bc__ddb_new_request(st);
    if (!req || json_object_set_new(req, "ConsistentRead", json_true()) < 0) goto out;
    bool more = false;
    rc = fill_page(st, "Scan", req, start, limit, res->items, &more);
    if (rc == 0 && more) {
        json_t *last = json_array_get(res->items, json_array_size(res->items) - 1);
        const char *pk = json_string_value(json_object_get(last, "PK"));
        const char *sk = json_string_value(json_object_get(last, "SK"));
        if (!pk || !sk || strlen(pk) + strlen(sk) + 1 >= sizeof after) {
            rc = BC_EIO;
            goto out;
        }
        size_t pl = strlen(pk), sl = strlen(sk);
        memcpy(after, pk, pl);
        after[pl] = '\0';
        memcpy(after + pl + 1, sk, sl);
        if (!(res->next_cursor = encode_cursor(after, pl + 1 + sl))) rc = BC_ENOMEM;
    }
out:
    json_decref(start);
    json_decref(req);
    if (rc < 0) bc_query_result_release(res);
    return rc;
}
