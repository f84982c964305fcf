/* The table of the DynamoDB store backend: `bookchat store check` (DescribeTable, DescribeTimeToLive: the
 * key schema, the status and TTL on "ttl") and `bookchat store init` (CreateTable on demand, waiting until
 * it is ACTIVE, then UpdateTimeToLive). */
#include "store/dynamodb.h"
#include "store/dynamodb_internal.h"
#include "store/store.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int describe(struct bc__ddb_store *st, const char *op, json_t **resp, struct bc__ddb_error *err)
{
    json_t *req = json_pack("{s:s}", "TableName", st->table);
    if (!req) return BC_ENOMEM;
    int rc = bc__ddb_call(st, op, req, BC__DDB_CONTROL, resp, err);
    json_decref(req);
    return rc;
}

/* True when the table's key schema is PK (S, HASH) + SK (S, RANGE). */
static bool key_schema_ok(json_t *table)
{
    json_t *ks = json_object_get(table, "KeySchema"), *ad = json_object_get(table, "AttributeDefinitions"),
           *x;
    size_t i;
    int found = 0;
    if (json_array_size(ks) != 2) return false;
    json_array_foreach(ks, i, x)
    {
        const char *n = json_string_value(json_object_get(x, "AttributeName"));
        const char *t = json_string_value(json_object_get(x, "KeyType"));
        if (n && t && strcmp(n, "PK") == 0 && strcmp(t, "HASH") == 0) found |= 1;
        if (n && t && strcmp(n, "SK") == 0 && strcmp(t, "RANGE") == 0) found |= 2;
    }
    json_array_foreach(ad, i, x)
    {
        const char *n = json_string_value(json_object_get(x, "AttributeName"));
        const char *t = json_string_value(json_object_get(x, "AttributeType"));
        if (n && t && (strcmp(n, "PK") == 0 || strcmp(n, "SK") == 0) && strcmp(t, "S") == 0)
            found |= strcmp(n, "PK") == 0 ? 4 : 8;
    }
    return found == 15;
}

int bc__ddb_check(struct bc_store *s, json_t **report)
{
    struct bc__ddb_store *st = (struct bc__ddb_store *)s;
    json_t *dt = NULL, *dttl = NULL, *problems = json_array();
    struct bc__ddb_error err;
    *report = json_pack("{s:s, s:s, s:s, s:s, s:s}", "backend", "dynamodb", "table", st->table, "region",
                        st->region, "endpoint", st->url, "ttl_mode", st->ttl_reap ? "reap" : "native");
    if (!*report || !problems) {
        json_decref(problems);
        return BC_ENOMEM;
    }
    int rc = describe(st, "DescribeTable", &dt, &err);
    if (rc == BC_ENOT_FOUND) {
        json_array_append_new(problems, json_string("the table does not exist (run `bookchat store init`)"));
    } else if (rc < 0) {
        json_array_append_new(problems, json_pack("{s:s, s:s}", "error", err.type, "message", err.message));
    } else {
        json_t *t = json_object_get(dt, "Table");
        const char *status = json_string_value(json_object_get(t, "TableStatus"));
        json_object_set_new(*report, "table_status", json_string(status ? status : "?"));
        json_object_set(*report, "items_approx", json_object_get(t, "ItemCount"));
        const char *bm =
            json_string_value(json_object_get(json_object_get(t, "BillingModeSummary"), "BillingMode"));
        json_object_set_new(*report, "billing_mode", json_string(bm ? bm : "PROVISIONED"));
        if (!status || (strcmp(status, "ACTIVE") != 0 && strcmp(status, "UPDATING") != 0))
            json_array_append_new(problems, json_string("the table is not ACTIVE"));
        bool ks = key_schema_ok(t);
        json_object_set_new(*report, "key_schema_ok", json_boolean(ks));
        if (!ks)
            json_array_append_new(problems,
                                  json_string("the key schema is not PK (S, HASH) + SK (S, RANGE)"));
        rc = describe(st, "DescribeTimeToLive", &dttl, &err);
        json_t *d = json_object_get(dttl, "TimeToLiveDescription");
        const char *ts = json_string_value(json_object_get(d, "TimeToLiveStatus"));
        const char *ta = json_string_value(json_object_get(d, "AttributeName"));
        json_object_set_new(
            *report, "ttl",
            json_pack("{s:s, s:s?}", "status", rc == 0 && ts ? ts : "unknown", "attribute", ta));
        bool ttl_ok = rc == 0 && ts && ta && strcmp(ta, "ttl") == 0 &&
                      (strcmp(ts, "ENABLED") == 0 || strcmp(ts, "ENABLING") == 0);
        if (!ttl_ok && !st->ttl_reap)
            json_array_append_new(problems,
                                  json_string("TTL is not enabled on attribute \"ttl\" (run `bookchat store "
                                              "init`, or add ttl=reap to the URL for engines without TTL)"));
        rc = 0;
    }
    struct bc__ddb_stats stats;
    bc__ddb_stats(s, &stats);
    json_object_set_new(*report, "requests", json_integer((json_int_t)stats.requests));
    bool ok = json_array_size(problems) == 0;
    json_object_set_new(*report, "problems", problems);
    json_object_set_new(*report, "ok", json_boolean(ok));
    json_decref(dt);
    json_decref(dttl);
    return ok ? 0 : BC_EIO;
}

int bc__ddb_init(struct bc_store *s, json_t **report)
{
    struct bc__ddb_store *st = (struct bc__ddb_store *)s;
    struct bc__ddb_error err;
    json_t *resp = NULL;
    bool created = false;
    *report = NULL;
    json_t *req =
        json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:[{s:s, s:s}, {s:s, s:s}], s:s}", "TableName",
                  st->table, "AttributeDefinitions", "AttributeName", "PK", "AttributeType", "S",
                  "AttributeName", "SK", "AttributeType", "S", "KeySchema", "AttributeName", "PK", "KeyType",
                  "HASH", "AttributeName", "SK", "KeyType", "RANGE", "BillingMode", "PAY_PER_REQUEST");
    if (!req) return BC_ENOMEM;
    int rc = bc__ddb_call(st, "CreateTable", req, BC__DDB_CONTROL, NULL, &err);
    json_decref(req);
    if (rc == 0)
        created = true;
    else if (strcmp(err.type, "ResourceInUseException") != 0)
        goto fail;
    /* wait until the table is ACTIVE (seconds on AWS, at once on test engines) */
    for (int i = 0; i < 600; i++) {
        json_decref(resp);
        resp = NULL;
        if ((rc = describe(st, "DescribeTable", &resp, &err)) < 0) goto fail;
        const char *status =
            json_string_value(json_object_get(json_object_get(resp, "Table"), "TableStatus"));
        if (status && strcmp(status, "ACTIVE") == 0) break;
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!key_schema_ok(json_object_get(resp, "Table"))) {
        snprintf(err.type, sizeof err.type, "schema");
        snprintf(err.message, sizeof err.message,
                 "table %.180s exists with another key schema than PK/SK strings", st->table);
        rc = BC_EINVALID;
        goto fail;
    }
    /* TTL on "ttl" */
    const char *ttl_state = "enabled";
    json_decref(resp);
    resp = NULL;
    rc = describe(st, "DescribeTimeToLive", &resp, &err);
    json_t *d = json_object_get(resp, "TimeToLiveDescription");
    const char *ts = json_string_value(json_object_get(d, "TimeToLiveStatus"));
    const char *ta = json_string_value(json_object_get(d, "AttributeName"));
    if (rc == 0 && ts && (strcmp(ts, "ENABLED") == 0 || strcmp(ts, "ENABLING") == 0)) {
        if (!ta || strcmp(ta, "ttl") != 0) {
            snprintf(err.type, sizeof err.type, "ttl");
            snprintf(err.message, sizeof err.message, "TTL is enabled on attribute \"%s\", not \"ttl\"",
                     ta ? ta : "?");
            rc = BC_EINVALID;
            goto fail;
        }
        ttl_state = "already enabled";
    } else {
        req = json_pack("{s:s, s:{s:b, s:s}}", "TableName", st->table, "TimeToLiveSpecification", "Enabled",
                        1, "AttributeName", "ttl");
        if (!req) {
            rc = BC_ENOMEM;
            goto fail;
        }
        rc = bc__ddb_call(st, "UpdateTimeToLive", req, BC__DDB_CONTROL, NULL, &err);
        json_decref(req);
        if (rc < 0 && strstr(err.type, "UnknownOperation") && st->ttl_reap) {
            ttl_state = "not supported by this engine; bookchat reaps expired items (ttl=reap)";
        } else if (rc < 0 && strstr(err.type, "UnknownOperation")) {
            snprintf(err.message, sizeof err.message,
                     "this engine does not support TTL: add ttl=reap to the store URL so that bookchat reaps "
                     "expired "
                     "items itself");
            goto fail;
        } else if (rc < 0 && strstr(err.message, "already enabled")) {
            ttl_state = "already enabled";
        } else if (rc < 0) {
            goto fail;
        }
    }
    json_decref(resp);
    *report = json_pack("{s:s, s:s, s:s, s:b, s:s, s:b}", "backend", "dynamodb", "table", st->table, "region",
                        st->region, "created", created, "ttl", ttl_state, "ok", 1);
    return *report ? 0 : BC_ENOMEM;
fail:
    json_decref(resp);
    *report = json_pack("{s:s, s:s, s:b, s:s, s:s, s:b}", "backend", "dynamodb", "table", st->table,
                        "created", created, "error", err.type, "message", err.message, "ok", 0);
    return rc < 0 ? rc : BC_EIO;
}
