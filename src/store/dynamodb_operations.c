/* The single-item operations of the DynamoDB store backend: get (GetItem with ConsistentRead), put
 * (PutItem), delete (DeleteItem) and update (UpdateItem, planned into one UpdateExpression), each one
 * request whose condition DynamoDB checks in the same atomic step as the write.
 *
 * DESIGN NOTES
 * - An update must start from an empty item when the old one expired, which UpdateItem cannot express:
 *   it is sent with the extra condition "NOT expired"; when that fails, a consistent GetItem tells why.
 *   If the item is expired and the caller's condition holds for an absent item, the new item (keys +
 *   update) replaces it with a PutItem conditioned on "still expired"; if the item is live and the
 *   caller's condition fails on it, the answer is BC_ECOND; otherwise the item changed in between and
 *   the update is tried again (bounded by UPDATE_TRIES).
 * - Put and delete need no second request: their conditions treat an expired item as absent inside the
 *   ConditionExpression itself (dynamodb_expr.c). */
#include "store/dynamodb.h"
#include "store/dynamodb_internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define UPDATE_TRIES 16

/* The stored item, expired or not; *out NULL when absent. */
static int get_raw(struct bc__ddb_store *st, const char *pk, const char *sk, json_t **out)
{
    *out = NULL;
    json_t *req = bc__ddb_new_request(st), *resp = NULL;
    int rc = bc__ddb_set_key(req, pk, sk);
    if (rc == 0 && json_object_set_new(req, "ConsistentRead", json_true()) < 0) rc = BC_ENOMEM;
    if (rc == 0) rc = bc__ddb_call(st, "GetItem", req, BC__DDB_READ, &resp, NULL);
    json_t *item = json_object_get(resp, "Item");
    if (rc == 0 && item) rc = bc__ddb_response_item(item, out);
    json_decref(req);
    json_decref(resp);
    return rc;
}

int bc__ddb_get(struct bc_store *s, const char *pk, const char *sk, json_t **out)
{
    int rc = get_raw((struct bc__ddb_store *)s, pk, sk, out);
    if (rc == 0 && *out && bc__store_expired(*out, bc_now_s())) {
        json_decref(*out);
        *out = NULL;
    }
    return rc == 0 && !*out ? BC_ENOT_FOUND : rc;
}

/* PutItem of item with the put/delete-style condition (or, when only_if_expired, "the stored item is
 * expired"). */
static int put_item(struct bc__ddb_store *st, json_t *item, const struct bc_cond *cond, bool only_if_expired)
{
    json_t *req = bc__ddb_new_request(st), *names = json_object(), *values = json_object();
    struct bc__ddb_expr e;
    bc__ddb_ex_init(&e, names, values, bc_now_s());
    int rc = BC_ENOMEM;
    json_t *av = bc__ddb_item_to_av(item);
    if (!req || !names || !values) goto out;
    if (!av) {
        rc = BC_EINVALID; /* nested too deep */
        goto out;
    }
    if (json_object_set_new(req, "Item", av) < 0) goto out;
    av = NULL;
    if (only_if_expired)
        bc__ddb_ex_expired(&e);
    else
        bc__ddb_ex_cond_put(&e, cond);
    bool has_cond = e.s.len > 0;
    if ((rc = bc__ddb_attach(req, "ConditionExpression", &e)) < 0) goto out;
    if (has_cond && (rc = bc__ddb_attach_placeholders(req, names, values)) < 0) goto out;
    bool once = cond && cond->kind != BC_COND_NONE;
    rc = bc__ddb_call(st, "PutItem", req,
                      once || only_if_expired ? BC__DDB_WRITE_ONCE : BC__DDB_WRITE_IDEMPOTENT, NULL, NULL);
out:
    json_decref(av);
    bc_buf_release(&e.s);
    json_decref(req);
    json_decref(names);
    json_decref(values);
    return rc;
}

int bc__ddb_put(struct bc_store *s, json_t *item, const struct bc_cond *cond)
{
    return put_item((struct bc__ddb_store *)s, item, cond, false);
}

int bc__ddb_del(struct bc_store *s, const char *pk, const char *sk, const struct bc_cond *cond)
{
    struct bc__ddb_store *st = (struct bc__ddb_store *)s;
    json_t *req = bc__ddb_new_request(st), *names = json_object(), *values = json_object();
    struct bc__ddb_expr e;
    bc__ddb_ex_init(&e, names, values, bc_now_s());
    int rc = BC_ENOMEM;
    if (!names || !values || (rc = bc__ddb_set_key(req, pk, sk)) < 0) goto out;
    bool has_cond = bc__ddb_ex_cond_put(&e, cond);
    if ((rc = bc__ddb_attach(req, "ConditionExpression", &e)) < 0) goto out;
    if (has_cond && (rc = bc__ddb_attach_placeholders(req, names, values)) < 0) goto out;
    rc = bc__ddb_call(st, "DeleteItem", req, has_cond ? BC__DDB_WRITE_ONCE : BC__DDB_WRITE_IDEMPOTENT, NULL,
                      NULL);
out:
    bc_buf_release(&e.s);
    json_decref(req);
    json_decref(names);
    json_decref(values);
    return rc;
}

static bool is_key_attr(const char *name)
{
    return strcmp(name, "PK") == 0 || strcmp(name, "SK") == 0;
}

/* Validates u like bc__store_apply_update and rewrites it into what one UpdateExpression can say (DynamoDB
 * refuses two clauses on one attribute): a name removed is only removed; a name both set and added is set
 * to the sum. The three parts are new references (possibly empty). */
static int plan_update(const struct bc_update *u, json_t **set, json_t **add, json_t **rem)
{
    *set = json_object();
    *add = json_object();
    *rem = json_array();
    if (!*set || !*add || !*rem) return BC_ENOMEM;
    if (!u) return 0;
    if ((u->set && !json_is_object(u->set)) || (u->add && !json_is_object(u->add)) ||
        (u->remove && !json_is_array(u->remove)))
        return BC_EINVALID;
    const char *k;
    json_t *v;
    size_t i;
    json_array_foreach(u->remove, i, v)
    {
        if (!json_is_string(v) || is_key_attr(json_string_value(v)) || !*json_string_value(v))
            return BC_EINVALID;
        bool dup = false;
        size_t j;
        json_t *w;
        json_array_foreach(*rem, j, w) dup |= json_equal(v, w);
        if (!dup && json_array_append(*rem, v) < 0) return BC_ENOMEM;
    }
    json_object_foreach(u->set, k, v)
    {
        if (is_key_attr(k) || !*k) return BC_EINVALID;
    }
    json_object_foreach(u->add, k, v)
    {
        if (is_key_attr(k) || !*k || !json_is_integer(v)) return BC_EINVALID;
        json_t *sv = json_object_get(u->set, k);
        if (sv && !json_is_integer(sv)) return BC_EINVALID;
    }
    json_object_foreach(u->set, k, v)
    {
        bool removed = false;
        json_t *r;
        json_array_foreach(*rem, i, r) removed |= strcmp(json_string_value(r), k) == 0;
        if (removed) continue;
        json_t *sv = json_object_get(u->set, k), *av = json_object_get(u->add, k);
        json_t *nv = av ? json_integer(json_integer_value(sv) + json_integer_value(av)) : json_incref(sv);
        if (json_object_set_new(*set, k, nv) < 0) return BC_ENOMEM;
    }
    json_object_foreach(u->add, k, v)
    {
        bool removed = false;
        json_t *r;
        json_array_foreach(*rem, i, r) removed |= strcmp(json_string_value(r), k) == 0;
        if (removed || json_object_get(u->set, k)) continue;
        if (json_object_set(*add, k, v) < 0) return BC_ENOMEM;
    }
    return 0;
}

/* Builds "SET #u0 = :u0, … ADD #u1 :u1 … REMOVE #u2, …" into e. */
static void ex_update(struct bc__ddb_expr *e, json_t *set, json_t *add, json_t *rem)
{
    const char *k;
    json_t *v;
    size_t i;
    char ph[16], vph[16];
    const char *sep = "SET ";
    json_object_foreach(set, k, v)
    {
        snprintf(ph, sizeof ph, "#u%d", e->n);
        snprintf(vph, sizeof vph, ":u%d", e->n++);
        bc__ddb_ex_name(e, ph, k);
        bc__ddb_ex_value(e, vph, bc__ddb_value_to_av(v));
        bc__ddb_ex_puts(e, sep);
        bc__ddb_ex_puts(e, ph);
        bc__ddb_ex_puts(e, " = ");
        bc__ddb_ex_puts(e, vph);
        sep = ", ";
    }
    sep = json_object_size(set) ? " ADD " : "ADD ";
    json_object_foreach(add, k, v)
    {
        snprintf(ph, sizeof ph, "#u%d", e->n);
        snprintf(vph, sizeof vph, ":u%d", e->n++);
        bc__ddb_ex_name(e, ph, k);
        bc__ddb_ex_value(e, vph, bc__ddb_value_to_av(v));
        bc__ddb_ex_puts(e, sep);
        bc__ddb_ex_puts(e, ph);
        bc__ddb_ex_puts(e, " ");
        bc__ddb_ex_puts(e, vph);
        sep = ", ";
    }
    sep = e->s.len ? " REMOVE " : "REMOVE ";
    json_array_foreach(rem, i, v)
    {
        snprintf(ph, sizeof ph, "#u%d", e->n++);
        bc__ddb_ex_name(e, ph, json_string_value(v));
        bc__ddb_ex_puts(e, sep);
        bc__ddb_ex_puts(e, ph);
        sep = ", ";
    }
}

int bc__ddb_update(struct bc_store *s, const char *pk, const char *sk, const struct bc_update *u,
                   const struct bc_cond *cond, json_t **out)
{
    struct bc__ddb_store *st = (struct bc__ddb_store *)s;
    json_t *set = NULL, *add = NULL, *rem = NULL, *names = NULL, *values = NULL, *req = NULL, *resp = NULL;
    json_t *raw = NULL, *next = NULL;
    struct bc__ddb_expr ue, ce;
    bc__ddb_ex_init(&ue, NULL, NULL, 0);
    bc__ddb_ex_init(&ce, NULL, NULL, 0);
    int rc = plan_update(u, &set, &add, &rem);
    if (rc < 0) goto out;
    bool once = (cond && cond->kind != BC_COND_NONE) || json_object_size(add) > 0;
    for (int attempt = 0; attempt < UPDATE_TRIES; attempt++) {
        json_decref(req);
        json_decref(names);
        json_decref(values);
        json_decref(resp);
        bc_buf_release(&ue.s);
        bc_buf_release(&ce.s);
        resp = NULL;
        req = bc__ddb_new_request(st);
        names = json_object();
        values = json_object();
        rc = BC_ENOMEM;
        if (!names || !values || (rc = bc__ddb_set_key(req, pk, sk)) < 0) goto out;
        int64_t now = bc_now_s();
        bc__ddb_ex_init(&ue, names, values, now);
        bc__ddb_ex_init(&ce, names, values, now);
        ex_update(&ue, set, add, rem);
        bc__ddb_ex_cond_update(&ce, cond);
        if ((rc = bc__ddb_attach(req, "UpdateExpression", &ue)) < 0 ||
            (rc = bc__ddb_attach(req, "ConditionExpression", &ce)) < 0 ||
            (rc = bc__ddb_attach_placeholders(req, names, values)) < 0)
            goto out;
        if (json_object_set_new(req, "ReturnValues", json_string(out ? "ALL_NEW" : "NONE")) < 0) {
            rc = BC_ENOMEM;
            goto out;
        }
        rc = bc__ddb_call(st, "UpdateItem", req, once ? BC__DDB_WRITE_ONCE : BC__DDB_WRITE_IDEMPOTENT, &resp,
                          NULL);
        if (rc == 0) {
            if (out) {
                json_t *attrs = json_object_get(resp, "Attributes");
                rc = attrs ? bc__ddb_response_item(attrs, out) : BC_EIO;
            }
            goto out;
        }
        if (rc != BC_ECOND) goto out;

        /* Why did the condition fail: the caller's condition, or an expired item? */
        json_decref(raw);
        raw = NULL;
        if ((rc = get_raw(st, pk, sk, &raw)) < 0) goto out;
        bool expired = raw && bc__store_expired(raw, bc_now_s());
        if ((rc = bc__store_check_cond(expired ? NULL : raw, cond)) < 0) goto out; /* genuinely BC_ECOND */
        if (!expired) continue; /* it changed since the update was refused: try again */
        /* Replace the expired item with keys + update, if it is still expired. */
        json_decref(next);
        next = json_pack("{s:s, s:s}", "PK", pk, "SK", sk);
        if (!next) {
            rc = BC_ENOMEM;
            goto out;
        }
        if ((rc = bc__store_apply_update(next, u)) < 0) goto out;
        rc = put_item(st, next, NULL, true);
        if (rc == 0) {
            if (out) *out = json_incref(next);
            goto out;
        }
        if (rc != BC_ECOND) goto out;
    }
    bc_log(BC_LOG_WARN, "dynamodb: update of one item kept racing with other writers; giving up");
    rc = BC_EUNAVAILABLE;
out:
    bc_buf_release(&ue.s);
    bc_buf_release(&ce.s);
    json_decref(set);
    json_decref(add);
    json_decref(rem);
    json_decref(names);
    json_decref(values);
    json_decref(req);
    json_decref(resp);
    json_decref(raw);
    json_decref(next);
    return rc;
}
