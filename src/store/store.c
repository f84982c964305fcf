/* Backend-independent half of the store: URL dispatch, argument checks, and the item logic (conditions,
 * updates, ttl) that every backend shares so that they cannot drift apart. */
#include "store/store.h"
#include "store/dynamodb.h"
#include "store/readcache.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/jsonv.h"
#include "util/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

int bc_store_open(const char *url, struct bc_store **out, char *err, size_t errsize)
{
    char dummy[8];
    if (!err) {
        err = dummy;
        errsize = sizeof dummy;
    }
    err[0] = '\0';
    *out = NULL;
    if (!url || !*url) {
        snprintf(err, errsize, "empty store URL");
        return BC_EINVALID;
    }
    int rc;
    if (strncmp(url, "lmdb:", 5) == 0) {
        rc = bc__store_lmdb_open(url + 5, out, err, errsize);
    } else if (strncmp(url, "dynamodb://", 11) == 0) {
        rc = bc__store_dynamodb_open(url + 11, out, err, errsize);
    } else {
        snprintf(err, errsize, "unknown store URL '%s' (expected lmdb:DIR or dynamodb://TABLE?region=R)",
                 url);
        return BC_EINVALID;
    }
    if (rc == 0) {
        static atomic_ullong serials;
        (*out)->serial = atomic_fetch_add(&serials, 1) + 1;
        (*out)->url = strdup(url);
        if (!(*out)->url) {
            bc_store_close(*out);
            *out = NULL;
            return BC_ENOMEM;
        }
    }
    return rc;
}

void bc_store_close(struct bc_store *s)
{
    if (!s) return;
    char *url = s->url;
    bc__readcache_free(s->cache);
    s->cache = NULL;
    s->ops->close(s);
    free(url);
}

int bc_store_cache_enable(struct bc_store *s, int64_t max_age_ms, size_t max_bytes)
{
    bc__readcache_free(s->cache);
    s->cache = NULL;
    if (max_age_ms <= 0) return 0;
    s->cache = bc__readcache_new(max_age_ms, max_bytes);
    return s->cache ? 0 : BC_ENOMEM;
}

/* A write to pk is about to be, or was, made through s: cached answers about pk go (readcache.c). */
static void wrote(struct bc_store *s, const char *pk, const char *sk)
{
    if (s->cache) bc__readcache_wrote(s->cache, pk, sk);
}

/* wrote() for each item of a batch. */
static void wrote_batch(struct bc_store *s, const struct bc_write *w, size_t n)
{
    for (size_t i = 0; i < n && s->cache; i++)
        wrote(s, json_string_value(json_object_get(w[i].item, "PK")),
              json_string_value(json_object_get(w[i].item, "SK")));
}

int bc__store_key_valid(const char *k)
{
    if (!k) return BC_EINVALID;
    size_t n = strlen(k);
    if (n == 0 || n > BC_STORE_KEY_MAX) return BC_EINVALID;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f) return BC_EINVALID;
    return 0;
}

static int item_keys(json_t *item, const char **pk, const char **sk)
{
    if (!json_is_object(item)) return BC_EINVALID;
    *pk = json_string_value(json_object_get(item, "PK"));
    *sk = json_string_value(json_object_get(item, "SK"));
    if (bc__store_key_valid(*pk) < 0 || bc__store_key_valid(*sk) < 0) return BC_EINVALID;
    return 0;
}

bool bc__store_expired(json_t *item, int64_t now_s)
{
    json_t *ttl = json_object_get(item, "ttl");
    return json_is_number(ttl) && json_number_value(ttl) > 0 && (int64_t)json_number_value(ttl) <= now_s;
}

int64_t bc__store_version(json_t *item)
{
    json_t *v = item ? json_object_get(item, "version") : NULL;
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

int bc__store_check_cond(json_t *current, const struct bc_cond *cond)
{
    if (!cond) return 0;
    switch (cond->kind) {
    case BC_COND_NONE:
        return 0;
    case BC_COND_NOT_EXISTS:
        return current ? BC_ECOND : 0;
    case BC_COND_EXISTS:
        return current ? 0 : BC_ECOND;
    case BC_COND_VERSION:
        return bc__store_version(current) == cond->version ? 0 : BC_ECOND;
    }
    return BC_EINVALID;
}

static bool is_key_attr(const char *name)
{
    return strcmp(name, "PK") == 0 || strcmp(name, "SK") == 0;
}

int bc__store_apply_update(json_t *item, const struct bc_update *u)
{
    const char *k;
    json_t *v;
    if (!u) return 0;
    if ((u->set && !json_is_object(u->set)) || (u->add && !json_is_object(u->add)) ||
        (u->remove && !json_is_array(u->remove)))
        return BC_EINVALID;
    /* validate everything first so that a bad update changes nothing */
    json_object_foreach(u->set, k, v) if (is_key_attr(k)) return BC_EINVALID;
    json_object_foreach(u->add, k, v)
    {
        json_t *cur = json_object_get(item, k);
        if (is_key_attr(k) || !json_is_integer(v) || (cur && !json_is_integer(cur))) return BC_EINVALID;
    }
    size_t i;
    json_array_foreach(u->remove, i,
                       v) if (!json_is_string(v) || is_key_attr(json_string_value(v))) return BC_EINVALID;

    json_object_foreach(u->set, k, v) json_object_set(item, k, v);
    json_object_foreach(u->add, k, v)
    {
        json_t *cur = json_object_get(item, k);
        json_int_t base = cur ? json_integer_value(cur) : 0;
        json_object_set_new(item, k, json_integer(base + json_integer_value(v)));
    }
    json_array_foreach(u->remove, i, v) json_object_del(item, json_string_value(v));
    return 0;
}

/* Latency and errors of every operation, for GET /metrics (bc_store_metrics). */
enum op { OP_GET, OP_PUT, OP_UPDATE, OP_DELETE, OP_QUERY, OP_SCAN, OP__COUNT };
static const char *const op_names[OP__COUNT] = {"get", "put", "update", "delete", "query", "scan"};
static struct bc_hist op_hist[OP__COUNT] = {
    {.bounds = &bc_hist_fast}, {.bounds = &bc_hist_fast}, {.bounds = &bc_hist_fast},
    {.bounds = &bc_hist_fast}, {.bounds = &bc_hist_fast}, {.bounds = &bc_hist_fast},
};
static atomic_ullong op_errors[OP__COUNT];

/* Records one operation; "not found" and a failed condition are answers, not errors. */
static int timed(enum op op, int64_t t0, int rc)
{
    bc_hist_observe_ns(&op_hist[op], bc_mono_ns() - t0);
    if (rc < 0 && rc != BC_ENOT_FOUND && rc != BC_ECOND)
        atomic_fetch_add_explicit(&op_errors[op], 1, memory_order_relaxed);
    return rc;
}

/* One counter of a backend's own figures. */
struct counter {
    const char *name, *help;
    double v;
};

static void counters(struct bc_buf *b, const struct counter *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bc_metrics_family(b, rows[i].name, "counter", rows[i].help);
        bc_metrics_sample(b, rows[i].name, NULL, rows[i].v);
    }
}

/* What a DynamoDB store sent and was charged: the cost of a workload is the difference of two scrapes. */
static void ddb_metrics(struct bc_store *s, struct bc_buf *b)
{
    struct bc__ddb_stats st;
    if (!s || bc__ddb_stats(s, &st) < 0) return;
    const struct counter rows[] = {
        {"bookchat_dynamodb_requests_total", "HTTP requests sent to DynamoDB, retries included.",
         (double)st.requests},
        {"bookchat_dynamodb_retries_total", "Requests retried after throttling, 5xx or network errors.",
         (double)st.retries},
        {"bookchat_dynamodb_condition_failures_total", "ConditionalCheckFailedException answers.",
         (double)st.cond_failures},
        {"bookchat_dynamodb_read_units_total", "Read capacity units DynamoDB reported as consumed.",
         st.read_units},
        {"bookchat_dynamodb_write_units_total", "Write capacity units DynamoDB reported as consumed.",
         st.write_units},
    };
    counters(b, rows, sizeof rows / sizeof rows[0]);
}

/* What an LMDB store's commit queue did: writers per group and syncs per writer are group commit at work. */
static void lmdb_metrics(struct bc_store *s, struct bc_buf *b)
{
    struct bc__lmdb_commit_stats st;
    if (!s || bc__lmdb_commit_stats(s, &st) < 0) return;
    const struct counter rows[] = {
        {"bookchat_lmdb_commit_groups_total",
         "Write transactions the LMDB commit queue committed (group commits).", (double)st.groups},
        {"bookchat_lmdb_commit_writers_total", "Writes and batches those group commits carried.",
         (double)st.writers},
        {"bookchat_lmdb_syncs_total", "Syncs (fdatasync) that made acknowledged LMDB writes durable.",
         (double)st.syncs},
        {"bookchat_lmdb_deferred_writes_total",
         "Durable writes of server requests answered on commit, their request waiting for the sync.",
         (double)st.deferred},
        {"bookchat_lmdb_reads_without_txn_total",
         "Read-only reads answered from parsed items known current, without an LMDB transaction.",
         (double)st.reads_without_txn},
    };
    counters(b, rows, sizeof rows / sizeof rows[0]);
}

/* What the read cache spared (cached reads answered without the backend) and what it did not. */
static void cache_metrics(struct bc_store *s, struct bc_buf *b)
{
    uint64_t hits, misses;
    if (!s || !s->cache) return;
    bc__readcache_counts(s->cache, &hits, &misses);
    const struct counter rows[] = {
        {"bookchat_store_cache_hits_total",
         "Cached reads answered by the store's read cache, without the backend.", (double)hits},
        {"bookchat_store_cache_misses_total",
         "Cached reads the read cache could not answer (then read from the backend).", (double)misses},
    };
    counters(b, rows, sizeof rows / sizeof rows[0]);
}

void bc_store_metrics(struct bc_store *s, struct bc_buf *b)
{
    char labels[32];
    bc_metrics_family(b, "bookchat_store_operation_duration_seconds", "histogram",
                      "Latency of store operations by operation.");
    for (int i = 0; i < OP__COUNT; i++) {
        snprintf(labels, sizeof labels, "op=\"%s\"", op_names[i]);
        bc_metrics_hist(b, "bookchat_store_operation_duration_seconds", labels, &op_hist[i]);
    }
    bc_metrics_family(b, "bookchat_store_errors_total", "counter",
                      "Store operations that failed (not counting not-found and failed conditions).");
    for (int i = 0; i < OP__COUNT; i++) {
        snprintf(labels, sizeof labels, "op=\"%s\"", op_names[i]);
        bc_metrics_sample(b, "bookchat_store_errors_total", labels, (double)atomic_load(&op_errors[i]));
    }
    ddb_metrics(s, b);
    cache_metrics(s, b);
    lmdb_metrics(s, b);
}

int bc_store_get(struct bc_store *s, const char *pk, const char *sk, json_t **out)
{
    *out = NULL;
    if (bc__store_key_valid(pk) < 0 || bc__store_key_valid(sk) < 0) return BC_EINVALID;
    int64_t t0 = bc_mono_ns();
    return timed(OP_GET, t0, s->ops->get(s, pk, sk, out));
}

int bc_store_get_ro(struct bc_store *s, const char *pk, const char *sk, const json_t **out)
{
    json_t *it = NULL;
    *out = NULL;
    if (bc__store_key_valid(pk) < 0 || bc__store_key_valid(sk) < 0) return BC_EINVALID;
    int64_t t0 = bc_mono_ns();
    int rc = timed(OP_GET, t0, (s->ops->get_ro ? s->ops->get_ro : s->ops->get)(s, pk, sk, &it));
    *out = it;
    return rc;
}

int bc_store_get_fields(struct bc_store *s, const char *pk, const char *sk, const char *const *names,
                        size_t n, json_t **out)
{
    *out = NULL;
    if (!s->ops->get_fields) return bc_store_get(s, pk, sk, out);
    if (bc__store_key_valid(pk) < 0 || bc__store_key_valid(sk) < 0) return BC_EINVALID;
    int64_t t0 = bc_mono_ns();
    return timed(OP_GET, t0, s->ops->get_fields(s, pk, sk, names, n, out));
}

int bc_store_exists(struct bc_store *s, const char *pk, const char *sk)
{
    if (!s->ops->exists) {
        const json_t *it = NULL;
        int rc = bc_store_get_ro(s, pk, sk, &it);
        bc_json_release(it);
        return rc;
    }
    if (bc__store_key_valid(pk) < 0 || bc__store_key_valid(sk) < 0) return BC_EINVALID;
    int64_t t0 = bc_mono_ns();
    return timed(OP_GET, t0, s->ops->exists(s, pk, sk));
}

int bc_store_get_cached(struct bc_store *s, const char *pk, const char *sk, const json_t **out)
{
    char key[2 * BC_STORE_KEY_MAX + 4];
    struct bc__rc_hit hit;
    *out = NULL;
    if (!s->cache) return bc_store_get_ro(s, pk, sk, out);
    if (bc__store_key_valid(pk) < 0 || bc__store_key_valid(sk) < 0) return BC_EINVALID;
    size_t pl = strlen(pk), sl = strlen(sk), klen = 1 + pl + 1 + sl;
    key[0] = 'G'; /* a get's identity: "G" PK NUL SK */
    memcpy(key + 1, pk, pl);
    key[1 + pl] = '\0';
    memcpy(key + 2 + pl, sk, sl);
    if (bc__readcache_find(s->cache, key, klen, &hit)) {
        /* an item whose ttl passed while kept is absent, as the backend would say */
        if (hit.rc == 0 && bc__store_expired(hit.value, bc_now_s())) {
            json_decref(hit.value);
            return BC_ENOT_FOUND;
        }
        *out = hit.value;
        return hit.rc;
    }
    size_t scope = bc__readcache_scope(pk, sk, NULL, true);
    uint64_t gen = bc__readcache_gen(s->cache, scope);
    int64_t t0 = bc_mono_ns();
    int rc = bc_store_get_ro(s, pk, sk, out);
    if (rc == 0 || rc == BC_ENOT_FOUND)
        bc__readcache_keep(s->cache, scope, gen, key, klen, t0, rc, (json_t *)*out, NULL);
    return rc;
}

int bc_store_put(struct bc_store *s, json_t *item, const struct bc_cond *cond)
{
    const char *pk, *sk;
    if (item_keys(item, &pk, &sk) < 0) return BC_EINVALID;
    wrote(s, pk, sk);
    int64_t t0 = bc_mono_ns();
    int rc = timed(OP_PUT, t0, s->ops->put(s, item, cond));
    wrote(s, pk, sk);
    return rc;
}

int bc_store_put_batch(struct bc_store *s, const struct bc_write *w, size_t n, size_t *failed)
{
    const char *pk, *sk;
    size_t dummy;
    if (!failed) failed = &dummy;
    *failed = 0;
    if (n == 0 || n > BC_STORE_BATCH_MAX) return BC_EINVALID;
    for (size_t i = 0; i < n; i++) {
        if (item_keys(w[i].item, &pk, &sk) < 0) {
            *failed = i;
            return BC_EINVALID;
        }
    }
    wrote_batch(s, w, n);
    int64_t t0 = bc_mono_ns();
    int rc = 0;
    if (s->ops->put_batch) {
        rc = s->ops->put_batch(s, w, n, failed);
    } else {
        for (size_t i = 0; i < n && rc == 0; i++)
            if ((rc = s->ops->put(s, w[i].item, &w[i].cond)) < 0) *failed = i;
    }
    wrote_batch(s, w, n);
    return timed(OP_PUT, t0, rc);
}

int bc_store_update(struct bc_store *s, const char *pk, const char *sk, const struct bc_update *u,
                    const struct bc_cond *cond, json_t **out)
{
    if (out) *out = NULL;
    if (bc__store_key_valid(pk) < 0 || bc__store_key_valid(sk) < 0) return BC_EINVALID;
    wrote(s, pk, sk);
    int64_t t0 = bc_mono_ns();
    int rc = timed(OP_UPDATE, t0, s->ops->update(s, pk, sk, u, cond, out));
    wrote(s, pk, sk);
    return rc;
}

int bc_store_update_batch(struct bc_store *s, struct bc_update_op *ops, size_t n)
{
    if (n == 0 || n > BC_STORE_UPDATE_BATCH_MAX) return BC_EINVALID;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        ops[i].out = NULL;
        ops[i].rc = 0;
        if (bc__store_key_valid(ops[i].pk) < 0 || bc__store_key_valid(ops[i].sk) < 0) rc = BC_EINVALID;
    }
    if (rc < 0) {
        for (size_t i = 0; i < n; i++) ops[i].rc = rc;
        return rc;
    }
    /* the read cache: every item's kind is dropped before and after (as for one write) */
    for (size_t i = 0; i < n; i++) wrote(s, ops[i].pk, ops[i].sk);
    int64_t t0 = bc_mono_ns();
    if (s->ops->update_batch) {
        rc = s->ops->update_batch(s, ops, n);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (rc < 0) {
                ops[i].rc = rc;
                continue;
            }
            ops[i].rc = s->ops->update(s, ops[i].pk, ops[i].sk, &ops[i].u, &ops[i].cond,
                                       ops[i].want_out ? &ops[i].out : NULL);
            if (ops[i].rc < 0 && ops[i].rc != BC_ECOND) rc = ops[i].rc;
        }
    }
    for (size_t i = 0; i < n; i++) wrote(s, ops[i].pk, ops[i].sk);
    return timed(OP_UPDATE, t0, rc);
}

int bc_store_delete(struct bc_store *s, const char *pk, const char *sk, const struct bc_cond *cond)
{
    if (bc__store_key_valid(pk) < 0 || bc__store_key_valid(sk) < 0) return BC_EINVALID;
    wrote(s, pk, sk);
    int64_t t0 = bc_mono_ns();
    int rc = timed(OP_DELETE, t0, s->ops->del(s, pk, sk, cond));
    wrote(s, pk, sk);
    return rc;
}

/* A cached query (checked by the caller): its identity is every parameter, "Q" PK NUL prefix NUL from NUL
 * to NUL order+limit NUL cursor; the answer kept is the array of shared items and the next cursor. */
static int query_cached(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res)
{
    struct bc_buf key = {0};
    struct bc__rc_hit hit;
    int built = bc_buf_putc(&key, 'Q');
    const char *parts[] = {q->pk, q->sk_prefix, q->sk_from, q->sk_to};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        built |= bc_buf_puts(&key, parts[i] ? parts[i] : "");
        built |= bc_buf_putc(&key, '\0');
    }
    built |= bc_buf_printf(&key, "%c%d", q->descending ? 'D' : 'A', q->limit);
    built |= bc_buf_putc(&key, '\0');
    built |= bc_buf_puts(&key, q->cursor ? q->cursor : "");
    struct bc_query plain = *q;
    plain.read_only = true;
    plain.cached = false;
    int rc;
    if (built != 0 || !key.data) {
        rc = bc_store_query(s, &plain, res); /* out of memory for the key: uncached */
    } else if (bc__readcache_find(s->cache, key.data, key.len, &hit)) {
        res->items = json_array();
        res->next_cursor = hit.cursor;
        rc = res->items && json_array_extend(res->items, hit.value) == 0 ? 0 : BC_ENOMEM;
        json_decref(hit.value);
        if (rc < 0) bc_query_result_release(res);
    } else {
        size_t scope = q->sk_prefix ? bc__readcache_scope(q->pk, q->sk_prefix, q->sk_prefix, false)
                                    : bc__readcache_scope(q->pk, q->sk_from, q->sk_to, false);
        uint64_t gen = bc__readcache_gen(s->cache, scope);
        int64_t t0 = bc_mono_ns();
        rc = bc_store_query(s, &plain, res);
        if (rc == 0) {
            /* the kept array is a copy the caller cannot reach: it may change res->items as it likes */
            json_t *kept = json_array();
            if (kept && json_array_extend(kept, res->items) == 0)
                bc__readcache_keep(s->cache, scope, gen, key.data, key.len, t0, 0, kept, res->next_cursor);
            json_decref(kept);
        }
    }
    bc_buf_release(&key);
    return rc;
}

static bool query_valid(const struct bc_query *q)
{
    if (bc__store_key_valid(q->pk) < 0 || q->limit < 0 || q->limit > 1000) return false;
    if (q->sk_prefix && (q->sk_from || q->sk_to)) return false;
    return !((q->sk_from && strlen(q->sk_from) > BC_STORE_KEY_MAX) ||
             (q->sk_to && strlen(q->sk_to) > BC_STORE_KEY_MAX) ||
             (q->sk_prefix && strlen(q->sk_prefix) > BC_STORE_KEY_MAX));
}

int bc_store_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res)
{
    res->items = NULL;
    res->next_cursor = NULL;
    if (!query_valid(q)) return BC_EINVALID;
    if (q->digest) q->digest->ok = false;
    if (q->cached && s->cache) return query_cached(s, q, res);
    int64_t t0 = bc_mono_ns();
    return timed(OP_QUERY, t0, s->ops->query(s, q, res));
}

uint64_t bc_store_generation(struct bc_store *s)
{
    return s->ops->generation ? s->ops->generation(s) : 0;
}

bool bc_store_item_unchanged(struct bc_store *s, const char *pk, const char *sk, uint64_t snap, uint64_t *now)
{
    return s->ops->item_unchanged && bc__store_key_valid(pk) == 0 && bc__store_key_valid(sk) == 0 &&
           s->ops->item_unchanged(s, pk, sk, snap, now);
}

int bc_store_get_marked(struct bc_store *s, const char *pk, const char *sk, const json_t **out,
                        struct bc_store_mark *mark)
{
    mark->store = s->serial;
    mark->gen = 0;
    uint64_t gen = bc_store_generation(s); /* before the read: a write after it shows in the marks */
    int rc = bc_store_get_cached(s, pk, sk, out);
    if (rc == 0) mark->gen = gen;
    return rc;
}

bool bc_store_mark_unchanged(struct bc_store *s, const char *pk, const char *sk, struct bc_store_mark *mark)
{
    uint64_t now = 0;
    if (!mark->gen || mark->store != s->serial || !bc_store_item_unchanged(s, pk, sk, mark->gen, &now))
        return false;
    mark->gen = now;
    return true;
}

bool bc_store_kind_unchanged(struct bc_store *s, const char *pk, const char *kind, uint64_t snap,
                             uint64_t *now)
{
    return s->ops->kind_unchanged && pk && kind && s->ops->kind_unchanged(s, pk, kind, snap, now);
}

int bc_store_query_digest(struct bc_store *s, const struct bc_query *q, struct bc_store_digest *out)
{
    out->ok = false;
    if (!query_valid(q)) return BC_EINVALID;
    if (q->cursor || !s->ops->query_digest) return 0;
    int64_t t0 = bc_mono_ns();
    return timed(OP_QUERY, t0, s->ops->query_digest(s, q, out));
}

int bc_store_query_each(struct bc_store *s, const struct bc_query *q, int (*fn)(json_t *item, void *arg),
                        void *arg)
{
    struct bc_query page = *q;
    char *cursor = NULL;
    int rc;
    do {
        struct bc_query_result r;
        page.cursor = cursor;
        rc = bc_store_query(s, &page, &r);
        free(cursor);
        cursor = NULL;
        if (rc < 0) break;
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it) if ((rc = fn(it, arg)) < 0) break;
        cursor = rc < 0 ? NULL : r.next_cursor;
        if (rc >= 0) r.next_cursor = NULL;
        bc_query_result_release(&r);
    } while (cursor);
    return rc < 0 ? rc : 0;
}

int bc_store_query_page(struct bc_store *s, const struct bc_query *q, json_t *(*view)(json_t *item),
                        json_t **items, char **next_cursor)
{
    struct bc_query_result r;
    *items = NULL;
    *next_cursor = NULL;
    int rc = bc_store_query(s, q, &r);
    if (rc < 0) return rc;
    json_t *list = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(r.items, i, it) json_array_append_new(list, view(it));
    *items = list;
    *next_cursor = r.next_cursor;
    r.next_cursor = NULL;
    bc_query_result_release(&r);
    return 0;
}

int bc_store_scan(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res)
{
    res->items = NULL;
    res->next_cursor = NULL;
    if (limit < 0 || limit > 1000) return BC_EINVALID;
    int64_t t0 = bc_mono_ns();
    return timed(OP_SCAN, t0, s->ops->scan(s, cursor, limit ? limit : 100, res));
}

int bc_store_reap(struct bc_store *s, int max_items)
{
    return s->ops->reap ? s->ops->reap(s, max_items) : 0;
}

int bc_store_sync(struct bc_store *s)
{
    return s->ops->sync ? s->ops->sync(s) : 0;
}

/* This thread's deferral span (bc_store_defer_begin): whether it is open, the store it defers writes of and
 * the highest commit sequence number they need synced. */
static _Thread_local struct {
    bool on;
    struct bc_store *store;
    uint64_t seq;
} defer;

void bc_store_defer_begin(const struct bc_store_ticket *ticket)
{
    defer.on = true;
    defer.store = ticket ? ticket->store : NULL; /* a ticket holds one store's writes: the same store only */
    defer.seq = 0;
}

void bc_store_defer_end(struct bc_store_ticket *ticket)
{
    if (defer.on && defer.store && defer.seq) {
        ticket->store = defer.store; /* the ticket's own store, if it had one (bc_store_defer_begin) */
        if (defer.seq > ticket->seq) ticket->seq = defer.seq;
    }
    defer.on = false;
    defer.store = NULL;
    defer.seq = 0;
}

uint64_t *bc__store_defer_slot(struct bc_store *s)
{
    if (!defer.on || (defer.store && defer.store != s)) return NULL;
    defer.store = s;
    return &defer.seq;
}

bool bc_store_when_durable(const struct bc_store_ticket *ticket, void (*done)(void *ud, int rc), void *ud)
{
    struct bc_store *s = ticket->store;
    if (!s || !ticket->seq || !s->ops->when_durable) return false;
    return s->ops->when_durable(s, ticket->seq, done, ud);
}

int bc_store_check(struct bc_store *s, json_t **report)
{
    return s->ops->check(s, report);
}

int bc_store_init(struct bc_store *s, json_t **report)
{
    *report = NULL;
    if (s->ops->init) return s->ops->init(s, report);
    *report = json_pack("{s:s, s:b}", "backend", s->ops->name, "ok", 1);
    return *report ? 0 : BC_ENOMEM;
}

void bc_query_result_release(struct bc_query_result *res)
{
    json_decref(res->items);
    free(res->next_cursor);
    res->items = NULL;
    res->next_cursor = NULL;
}

int bc_store_backup(struct bc_store *s, const char *dest_dir, char *err, size_t errsize)
{
    if (!dest_dir || !*dest_dir) {
        snprintf(err, errsize, "no backup directory given");
        return BC_EINVALID;
    }
    if (!s->ops->backup) {
        snprintf(err, errsize,
                 "the %s store has no bookchat backups: use the engine's own (DynamoDB: point-in-time "
                 "recovery or on-demand backups)",
                 s->ops->name);
        return BC_EINVALID;
    }
    return s->ops->backup(s, dest_dir, err, errsize);
}

int bc_store_restore(const char *url, const char *backup_dir, char *err, size_t errsize)
{
    if (!url || strncmp(url, "lmdb:", 5) != 0) {
        snprintf(
            err, errsize,
            "bookchat restores LMDB stores only; restore a DynamoDB table with point-in-time recovery or "
            "from an on-demand backup");
        return BC_EINVALID;
    }
    return bc__store_lmdb_restore(url + 5, backup_dir, err, errsize);
}
