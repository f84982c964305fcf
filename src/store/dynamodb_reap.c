/* Reaping of expired items on the DynamoDB store backend, for engines without TTL (dynalite, some
 * Alternator setups) where the store URL says ttl=reap.
 *
 * DESIGN NOTES
 * - reap: 0 with native TTL (DynamoDB deletes). With "ttl=reap" in the URL it scans for expired items
 *   (resuming where the last call stopped: reap_start, under the store's mutex) and deletes each with the
 *   condition "still expired", so an item rewritten meanwhile is left alone. */
#include "store/dynamodb_internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"

#include <pthread.h>
#include <stdbool.h>

int bc__ddb_reap(struct bc_store *s, int max_items)
{
    struct bc__ddb_store *st = (struct bc__ddb_store *)s;
    if (!st->ttl_reap || max_items <= 0) return 0;
    int removed = 0, rc = 0;
    json_t *resp = NULL, *names = json_object(), *values = json_object(), *req = bc__ddb_new_request(st);
    struct bc__ddb_expr e;
    bc__ddb_ex_init(&e, names, values, bc_now_s());
    pthread_mutex_lock(&st->mu);
    json_t *start = st->reap_start;
    st->reap_start = NULL;
    pthread_mutex_unlock(&st->mu);
    bc__ddb_ex_expired(&e);
    bc__ddb_ex_name(&e, "#pk", "PK");
    bc__ddb_ex_name(&e, "#sk", "SK");
    if (!req || (rc = bc__ddb_attach(req, "FilterExpression", &e)) < 0 ||
        (rc = bc__ddb_attach_placeholders(req, names, values)) < 0 ||
        json_object_set_new(req, "ProjectionExpression", json_string("#pk, #sk, #ttl")) < 0 ||
        json_object_set_new(req, "Limit", json_integer(500)) < 0) {
        rc = rc < 0 ? rc : BC_ENOMEM;
        goto out;
    }
    for (int pages = 0; pages < 20 && removed < max_items; pages++) {
        if (start && json_object_set(req, "ExclusiveStartKey", start) < 0) {
            rc = BC_ENOMEM;
            break;
        }
        json_decref(resp);
        resp = NULL;
        if ((rc = bc__ddb_call(st, "Scan", req, BC__DDB_READ, &resp, NULL)) < 0) break;
        json_t *it;
        size_t i;
        json_array_foreach(json_object_get(resp, "Items"), i, it)
        {
            const char *pk = json_string_value(json_object_get(json_object_get(it, "PK"), "S"));
            const char *sk = json_string_value(json_object_get(json_object_get(it, "SK"), "S"));
            if (!pk || !sk || removed >= max_items) continue;
            json_t *dreq = bc__ddb_new_request(st), *dn = json_object(), *dv = json_object();
            struct bc__ddb_expr de;
            bc__ddb_ex_init(&de, dn, dv, bc_now_s());
            bc__ddb_ex_expired(&de);
            int drc = BC_ENOMEM;
            if (dn && dv && bc__ddb_set_key(dreq, pk, sk) == 0 &&
                (drc = bc__ddb_attach(dreq, "ConditionExpression", &de)) == 0 &&
                (drc = bc__ddb_attach_placeholders(dreq, dn, dv)) == 0)
                drc = bc__ddb_call(st, "DeleteItem", dreq, BC__DDB_WRITE_ONCE, NULL, NULL);
            bc_buf_release(&de.s);
            json_decref(dreq);
            json_decref(dn);
            json_decref(dv);
            if (drc == 0)
                removed++;
            else if (drc != BC_ECOND)
                rc = drc;
        }
        if (rc < 0) break;
        json_decref(start);
        start = json_incref(json_object_get(resp, "LastEvaluatedKey"));
        if (!start) break; /* a full pass is done: the next call starts again from the beginning */
    }
out:
    pthread_mutex_lock(&st->mu);
    json_decref(st->reap_start);
    st->reap_start = start;
    pthread_mutex_unlock(&st->mu);
    bc_buf_release(&e.s);
    json_decref(resp);
    json_decref(req);
    json_decref(names);
    json_decref(values);
    return rc < 0 ? rc : removed;
}
