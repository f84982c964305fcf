/* Private to the files of the DynamoDB store backend (store_dynamodb.c and dynamodb_*.c): the state of an
 * open store, the one-request call layer (dynamodb_request.c), the expression and request builders
 * (dynamodb_expr.c) and the store operations each file implements. Nothing outside these files includes
 * it; tests and the fuzz target use store/dynamodb.h. */
#ifndef BC_STORE_DYNAMODB_INTERNAL_H
#define BC_STORE_DYNAMODB_INTERNAL_H
#include "store/store.h"
#include "util/buf.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define BC__DDB_POOL_MAX 64

/* An open DynamoDB store (its base is what bc_store_open hands out). Set by bc__store_dynamodb_open and
 * read-only afterwards, except the pool, reap_start (under mu) and the atomic counters. */
struct bc__ddb_store {
    struct bc_store base;
    char table[256];
    char region[64];
    char url[1024];                        /* endpoint URL the requests go to */
    char host[512];                        /* Host header (signed) */
    char path[512];                        /* request path (signed) */
    char *access_key, *secret_key, *token; /* the process's own (AWS_* at open time) */
    struct bc__ddb_role *role;             /* role_arn=…: the assumed role's credentials; NULL without */
    bool ttl_reap;
    long timeout_ms, connect_timeout_ms;
    int max_attempts;
    pthread_mutex_t mu; /* guards idle[] and reap_start */
    CURL *idle[BC__DDB_POOL_MAX];
    int nidle;
    json_t *reap_start; /* ExclusiveStartKey where the next reap scan resumes */
    atomic_uint_fast64_t requests, retries, cond_failures, read_milli, write_milli;
};

/* The engine's error of a failed request: its short type ("ConditionalCheckFailedException", "network",
 * "HTTP 500" …) and message, both possibly empty. */
struct bc__ddb_error {
    char type[96];
    char message[256];
};

/* What a request may do when replayed, which decides whether an unknown outcome is retried (see the
 * DESIGN NOTES of dynamodb_request.c). */
enum bc__ddb_op_kind {
    BC__DDB_READ,             /* GetItem, Query, Scan: always safe to replay */
    BC__DDB_WRITE_IDEMPOTENT, /* a write without condition or ADD: replaying it changes nothing */
    BC__DDB_WRITE_ONCE,       /* a conditional or counting write: never replayed after an unknown outcome */
    BC__DDB_CONTROL,          /* table management: a missing table is reported as BC_ENOT_FOUND */
};

/* ---- credentials (dynamodb_sts.c) ---- */

/* The credentials a request is signed with, copied out (the role's are refreshed meanwhile by others). */
struct bc__ddb_creds {
    char access_key[128];
    char secret_key[128];
    char token[4096]; /* "" for none */
};

/* Sets up role_arn (with external_id and session_name, any may be NULL) on st: the STS endpoint is the
 * sts_url setting, else https://sts.REGION.amazonaws.com/; the first credentials are obtained at once.
 * 0, or BC_EINVALID / BC_EIO with err. */
int bc__ddb_role_init(struct bc__ddb_store *st, const char *role_arn, const char *external_id,
                      const char *session_name, char *err, size_t errsize);
/* Releases st's role; NULL role is a no-op. */
void bc__ddb_role_free(struct bc__ddb_store *st);
/* The credentials to sign with now: the role's (obtained again with STS AssumeRole shortly before they
 * expire), or the process's own. 0, or BC_EIO (logged) when STS refuses or cannot be reached. */
int bc__ddb_credentials(struct bc__ddb_store *st, struct bc__ddb_creds *out);

/* ---- one HTTP request (dynamodb_request.c) ---- */

/* Sends one signed request for operation op (e.g. "GetItem") with body req (borrowed), retrying as kind
 * allows. Returns 0 with *resp (caller decrefs; not filled when resp is NULL), or a negative bc_err with
 * the engine's error in *err (when not NULL). A missing table is BC_ENOT_FOUND for BC__DDB_CONTROL, else
 * BC_EIO (logged). */
int bc__ddb_call(struct bc__ddb_store *st, const char *op, json_t *req, enum bc__ddb_op_kind kind,
                 json_t **resp, struct bc__ddb_error *err);

/* ---- expressions and requests (dynamodb_expr.c) ---- */

/* An expression under construction with the placeholders it uses (DynamoDB rejects unused ones). The
 * first error sticks in rc and makes every later step a no-op. Release s with bc_buf_release. */
struct bc__ddb_expr {
    struct bc_buf s;
    json_t *names;  /* ExpressionAttributeNames (borrowed) */
    json_t *values; /* ExpressionAttributeValues (borrowed) */
    int64_t now;
    int n; /* counter for generated placeholders */
    int rc;
};

/* Starts e, adding its placeholders to names and values (both borrowed), with now as the time that
 * decides expiry. */
void bc__ddb_ex_init(struct bc__ddb_expr *e, json_t *names, json_t *values, int64_t now);
/* Appends text s to the expression. */
void bc__ddb_ex_puts(struct bc__ddb_expr *e, const char *s);
/* Defines name placeholder ph (e.g. "#pk") as attribute attr. */
void bc__ddb_ex_name(struct bc__ddb_expr *e, const char *ph, const char *attr);
/* Defines value placeholder ph (e.g. ":pk") as av (takes ownership; NULL counts as out of memory). */
void bc__ddb_ex_value(struct bc__ddb_expr *e, const char *ph, json_t *av);
/* Appends "(ttl > 0 AND ttl <= now)": the item carries a ttl that has passed. */
void bc__ddb_ex_expired(struct bc__ddb_expr *e);
/* Appends the condition for put/delete, where an expired item counts as absent inside the expression.
 * Returns false when there is no condition. */
bool bc__ddb_ex_cond_put(struct bc__ddb_expr *e, const struct bc_cond *c);
/* Appends the condition for update: the caller's condition on a live item, and "not expired" (an expired
 * item is handled by the caller after the condition fails). */
void bc__ddb_ex_cond_update(struct bc__ddb_expr *e, const struct bc_cond *c);

/* The AttributeValue {"S": s} (new reference), or NULL (out of memory, or s not valid UTF-8). */
json_t *bc__ddb_av_s(const char *s);
/* The key {"PK": {"S": pk}, "SK": {"S": sk}} (new reference), or NULL. */
json_t *bc__ddb_key_av(const char *pk, const char *sk);
/* Sets req's "Key"; BC_ENOMEM when req is NULL, BC_EINVALID for keys that are not valid UTF-8. */
int bc__ddb_set_key(json_t *req, const char *pk, const char *sk);
/* A new request body naming the table and asking for consumed capacity (new reference), or NULL. */
json_t *bc__ddb_new_request(struct bc__ddb_store *st);
/* Attaches the expression's text (under field, when not empty) to req; e's error if it has one. */
int bc__ddb_attach(json_t *req, const char *field, struct bc__ddb_expr *e);
/* Attaches the non-empty placeholder maps to req (each as a new reference). 0 or BC_ENOMEM. */
int bc__ddb_attach_placeholders(json_t *req, json_t *names, json_t *values);
/* Converts a response's attribute map into *out (new reference); BC_EIO (logged) when the engine sent
 * something we cannot read, or BC_ENOMEM. */
int bc__ddb_response_item(json_t *map, json_t **out);

/* ---- the store operations (struct bc_store_ops of dynamodb, in store_dynamodb.c) ---- */

/* dynamodb_operations.c */
int bc__ddb_get(struct bc_store *s, const char *pk, const char *sk, json_t **out);
int bc__ddb_put(struct bc_store *s, json_t *item, const struct bc_cond *cond);
int bc__ddb_update(struct bc_store *s, const char *pk, const char *sk, const struct bc_update *u,
                   const struct bc_cond *cond, json_t **out);
int bc__ddb_del(struct bc_store *s, const char *pk, const char *sk, const struct bc_cond *cond);
/* dynamodb_query.c */
int bc__ddb_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res);
int bc__ddb_scan(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res);
/* dynamodb_reap.c */
int bc__ddb_reap(struct bc_store *s, int max_items);
/* dynamodb_table.c */
int bc__ddb_check(struct bc_store *s, json_t **report);
int bc__ddb_init(struct bc_store *s, json_t **report);

#endif
