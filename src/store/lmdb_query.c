/* Query and scan on the LMDB store backend: one read transaction walks the "items" database with a cursor
 * (within one PK's contiguous keys for a query, in either direction; over every key for a scan), skips
 * expired items and hands out an opaque cursor when another live item follows the page. */
#include "store/lmdb_internal.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <lmdb.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Cursor = base64url of the last key's SK (query) or of the whole PK\0SK key (scan). */
static char *encode_cursor(const void *data, size_t n)
{
    char *c = malloc(bc_b64url_len(n));
    if (c) bc_b64url_encode(data, n, c);
    return c;
}

static int decode_cursor(const char *c, char *out, size_t cap, size_t *len)
{
    if (strlen(c) > 4 * cap / 3 + 4) return BC_EINVALID;
    int n = bc_b64url_decode(c, strlen(c), out, cap);
    if (n <= 0) return BC_EINVALID;
    *len = (size_t)n;
    return 0;
}

/* Does sk (length sl) satisfy the query's SK condition? */
static bool sk_in_range(const struct bc_query *q, const char *sk, size_t sl)
{
    if (q->sk_prefix) {
        size_t pl = strlen(q->sk_prefix);
        return sl >= pl && memcmp(sk, q->sk_prefix, pl) == 0;
    }
    /* byte-wise string comparison, like DynamoDB's BETWEEN on strings */
    if (q->sk_from) {
        size_t fl = strlen(q->sk_from);
        int c = memcmp(sk, q->sk_from, sl < fl ? sl : fl);
        if (c < 0 || (c == 0 && sl < fl)) return false;
    }
    if (q->sk_to) {
        size_t tl = strlen(q->sk_to);
        int c = memcmp(sk, q->sk_to, sl < tl ? sl : tl);
        if (c > 0 || (c == 0 && sl > tl)) return false;
    }
    return true;
}

/* Positions cur at the first candidate key in the query's direction. Returns 0, or MDB_NOTFOUND. */
static int seek_first(MDB_cursor *cur, const struct bc_query *q, const char *pfx, size_t pfxlen,
                      const char *after, size_t afterlen, MDB_val *k, MDB_val *v)
{
    char buf[BC__LMDB_KEYBUF + 1];
    int rc;
    if (!q->descending) {
        const char *start = after ? after : q->sk_prefix ? q->sk_prefix : q->sk_from ? q->sk_from : "";
        size_t sl = after ? afterlen : strlen(start);
        memcpy(buf, pfx, pfxlen);
        memcpy(buf + pfxlen, start, sl);
        k->mv_data = buf;
        k->mv_size = pfxlen + sl;
        rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
        if (rc == 0 && after && k->mv_size == pfxlen + sl && memcmp(k->mv_data, buf, pfxlen + sl) == 0)
            rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
        return rc;
    }
    /* descending: find the first key strictly greater than the upper bound, then step back */
    size_t bl;
    bool inclusive = false;
    memcpy(buf, pfx, pfxlen);
    if (after) {
        memcpy(buf + pfxlen, after, afterlen);
        bl = pfxlen + afterlen;
    } else if (q->sk_prefix || !q->sk_to) {
        /* successor of pfx+prefix: drop trailing 0xff bytes, increment the last one */
        const char *p = q->sk_prefix ? q->sk_prefix : "";
        size_t pl = strlen(p);
        memcpy(buf + pfxlen, p, pl);
        bl = pfxlen + pl;
        while (bl > 0 && (unsigned char)buf[bl - 1] == 0xff) bl--;
        buf[bl - 1] = (char)((unsigned char)buf[bl - 1] + 1); /* pfx ends in '\0', so bl >= 1 */
    } else {
        size_t tl = strlen(q->sk_to);
        memcpy(buf + pfxlen, q->sk_to, tl);
        bl = pfxlen + tl;
        inclusive = true;
    }
    k->mv_data = buf;
    k->mv_size = bl;
    rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return mdb_cursor_get(cur, k, v, MDB_LAST);
    if (rc) return rc;
    if (inclusive && k->mv_size == bl && memcmp(k->mv_data, buf, bl) == 0) return 0;
    return mdb_cursor_get(cur, k, v, MDB_PREV);
}

/* The digest of a query's items (bc_query.digest): BLAKE2b-128 over each item's key and stored bytes, each
 * preceded by its length. None for an item whose bytes may carry a ttl (whether it is live would need the
 * decoded item) or for an answer that does not fit in one page. */
struct digest {
    crypto_generichash_state h;
    bool ok;
};

static void digest_begin(struct digest *d, bool want)
{
    d->ok = want && crypto_generichash_init(&d->h, NULL, 0, BC_STORE_DIGEST_BYTES) == 0;
}

static void digest_add(struct digest *d, const MDB_val *k, const MDB_val *v)
{
    if (!d->ok) return;
    if (bc__lmdb_may_have_ttl(v)) {
        d->ok = false;
        return;
    }
    uint64_t len[2] = {k->mv_size, v->mv_size};
    crypto_generichash_update(&d->h, (const unsigned char *)len, sizeof len);
    crypto_generichash_update(&d->h, k->mv_data, k->mv_size);
    crypto_generichash_update(&d->h, v->mv_data, v->mv_size);
}

static void digest_end(struct digest *d, MDB_txn *txn, struct bc_store_digest *out)
{
    out->ok = d->ok && crypto_generichash_final(&d->h, out->b, sizeof out->b) == 0;
    out->snap = (uint64_t)mdb_txn_id(txn); /* a read-only transaction's id: the last commit it sees */
}

int bc__lmdb_query(struct bc_store *s, const struct bc_query *q, struct bc_query_result *res)
{
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    char pfx[BC_STORE_KEY_MAX + 1], after[BC_STORE_KEY_MAX + 1];
    size_t pfxlen = strlen(q->pk) + 1, afterlen = 0;
    int limit = q->limit ? q->limit : 100;
    memcpy(pfx, q->pk, pfxlen); /* includes the NUL separator */
    if (q->cursor && decode_cursor(q->cursor, after, sizeof after, &afterlen) < 0) return BC_EINVALID;

    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = bc__lmdb_txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    res->items = json_array();
    rc = bc__lmdb_map_err(mdb_cursor_open(txn, st->items, &cur));
    if (rc < 0) goto out;
    MDB_val k, v;
    int mrc = seek_first(cur, q, pfx, pfxlen, q->cursor ? after : NULL, afterlen, &k, &v);
    uint64_t snap = (uint64_t)mdb_txn_id(txn);
    int64_t now = bc_now_s();
    const char *last_sk = NULL;
    size_t last_len = 0;
    struct digest dg;
    digest_begin(&dg, q->digest && q->read_only && !q->cursor);
    while (mrc == 0) {
        if (k.mv_size < pfxlen || memcmp(k.mv_data, pfx, pfxlen) != 0) break;
        const char *sk = (const char *)k.mv_data + pfxlen;
        size_t sl = k.mv_size - pfxlen;
        if (!sk_in_range(q, sk, sl)) {
            /* ascending: past the range (keys only grow); descending: we started at/under the upper bound,
             * so a miss means we are below the lower bound */
            break;
        }
        json_t *item = q->read_only ? bc__lmdb_decode_shared(st->memo, k.mv_data, k.mv_size, &v, true, snap)
                                    : bc__lmdb_decode(&v);
        if (!item) {
            rc = BC_EIO;
            goto out;
        }
        if (bc__store_expired(item, now)) {
            json_decref(item);
        } else if ((int)json_array_size(res->items) == limit) {
            /* one more live item exists: hand out a cursor at the last returned one */
            json_decref(item);
            res->next_cursor = encode_cursor(last_sk, last_len);
            if (!res->next_cursor) rc = BC_ENOMEM;
            break;
        } else {
            json_array_append_new(res->items, item);
            digest_add(&dg, &k, &v);
            last_sk = sk;
            last_len = sl;
        }
        mrc = mdb_cursor_get(cur, &k, &v, q->descending ? MDB_PREV : MDB_NEXT);
    }
    if (mrc && mrc != MDB_NOTFOUND) rc = bc__lmdb_map_err(mrc);
    if (q->digest && rc == 0) {
        dg.ok = dg.ok && !res->next_cursor;
        digest_end(&dg, txn, q->digest);
    }
out:
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc < 0) bc_query_result_release(res);
    return rc;
}

int bc__lmdb_query_digest(struct bc_store *s, const struct bc_query *q, struct bc_store_digest *out)
{
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    char pfx[BC_STORE_KEY_MAX + 1];
    size_t pfxlen = strlen(q->pk) + 1;
    int limit = q->limit ? q->limit : 100, n = 0;
    memcpy(pfx, q->pk, pfxlen);
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = bc__lmdb_txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    rc = bc__lmdb_map_err(mdb_cursor_open(txn, st->items, &cur));
    if (rc < 0) goto out;
    MDB_val k, v;
    struct digest dg;
    digest_begin(&dg, true);
    int mrc = seek_first(cur, q, pfx, pfxlen, NULL, 0, &k, &v);
    /* the same items as bc__lmdb_query's first page; without a ttl among them, every one is live */
    while (mrc == 0 && dg.ok) {
        if (k.mv_size < pfxlen || memcmp(k.mv_data, pfx, pfxlen) != 0) break;
        if (!sk_in_range(q, (const char *)k.mv_data + pfxlen, k.mv_size - pfxlen)) break;
        if (n++ == limit) {
            dg.ok = false; /* more than one page */
            break;
        }
        digest_add(&dg, &k, &v);
        mrc = mdb_cursor_get(cur, &k, &v, q->descending ? MDB_PREV : MDB_NEXT);
    }
    if (mrc && mrc != MDB_NOTFOUND) rc = bc__lmdb_map_err(mrc);
    if (rc == 0) digest_end(&dg, txn, out);
out:
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc;
}

int bc__lmdb_scan(struct bc_store *s, const char *cursor, int limit, struct bc_query_result *res)
{
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    char after[BC__LMDB_KEYBUF];
    size_t afterlen = 0;
    if (cursor && decode_cursor(cursor, after, sizeof after, &afterlen) < 0) return BC_EINVALID;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = bc__lmdb_txn_begin(st, MDB_RDONLY, &txn);
    if (rc < 0) return rc;
    res->items = json_array();
    rc = bc__lmdb_map_err(mdb_cursor_open(txn, st->items, &cur));
    if (rc < 0) goto out;
    MDB_val k = {afterlen, after}, v;
    int mrc = cursor ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (mrc == 0 && cursor && k.mv_size == afterlen && memcmp(k.mv_data, after, afterlen) == 0)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    int64_t now = bc_now_s();
    MDB_val last = {0, NULL};
    while (mrc == 0) {
        json_t *item = bc__lmdb_decode(&v);
        if (!item) {
            rc = BC_EIO;
            goto out;
        }
        if (bc__store_expired(item, now)) {
            json_decref(item);
        } else if ((int)json_array_size(res->items) == limit) {
            json_decref(item);
            res->next_cursor = encode_cursor(last.mv_data, last.mv_size);
            if (!res->next_cursor) rc = BC_ENOMEM;
            break;
        } else {
            json_array_append_new(res->items, item);
            last = k;
        }
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (mrc && mrc != MDB_NOTFOUND) rc = bc__lmdb_map_err(mrc);
out:
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc < 0) bc_query_result_release(res);
    return rc;
}
