/* How the LMDB store backend writes an item's value: CBOR (RFC 8949) made and read with libcbor, mapped
 * one to one onto jansson values. Read back, a stored item needs no JSON lexing: jansson's parser spends
 * ~190 instructions a byte (a callback per character), the CBOR walk ~40, so a tenant's first request
 * after a while (every item a memo miss) costs a fraction of what it did (docs/performance.md, issue 21).
 *
 * DESIGN NOTES
 * - Self-describing per value: an item is always an object, so its CBOR starts with a map header
 *   (0xa0..0xbb) and its JSON with '{'. Values written as JSON by earlier versions stay readable, and a
 *   value too deep for the decoder's stack (BC__LMDB_CBOR_DEPTH) is written as JSON; nothing needs a
 *   migration. An older binary cannot read a CBOR value: upgrading is one way (docs/operations.md).
 * - Canonical enough for the memo: the same json_t always encodes to the same bytes (definite lengths,
 *   shortest heads, object keys in jansson's insertion order), as the memo compares bytes.
 * - Only what jansson can hold is accepted back: text strings and keys are checked UTF-8, integers fit
 *   json_int_t, floats are doubles; tags, byte strings, indefinite lengths, undefined, half and single
 *   floats, trailing bytes and truncation all make the value undecodable (NULL), never a partial item. */
#include "store/lmdb_internal.h"
#include "util/jsonv.h"
#include "util/log.h"

#include <cbor.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BC__LMDB_CBOR_DEPTH 32

/* ---- encoding ---- */

struct enc {
    unsigned char *p;
    size_t len, cap;
    bool failed; /* out of memory, or too deep: the caller writes JSON instead */
};

static bool reserve(struct enc *e, size_t n)
{
    if (e->failed) return false;
    if (e->len + n <= e->cap) return true;
    size_t cap = e->cap ? e->cap : 256;
    while (cap < e->len + n) cap *= 2;
    unsigned char *p = realloc(e->p, cap);
    if (!p) {
        e->failed = true;
        return false;
    }
    e->p = p;
    e->cap = cap;
    return true;
}

/* Appends the head written by fn (at most 9 bytes: a major type and its argument). */
#define HEAD(e, call)                                                                                        \
    do {                                                                                                     \
        if (reserve(e, 9)) (e)->len += call;                                                                 \
    } while (0)

static void put_text(struct enc *e, const char *s, size_t n)
{
    HEAD(e, cbor_encode_string_start(n, e->p + e->len, e->cap - e->len));
    if (!reserve(e, n)) return;
    memcpy(e->p + e->len, s, n);
    e->len += n;
}

static void put_value(struct enc *e, const json_t *v, int depth)
{
    /* a container's depth (the root's is 0), bounded as the decoder bounds it */
    if ((json_is_object(v) || json_is_array(v)) && depth > BC__LMDB_CBOR_DEPTH) {
        e->failed = true;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        size_t klen;
        json_t *x;
        HEAD(e, cbor_encode_map_start(json_object_size(v), e->p + e->len, e->cap - e->len));
        json_object_keylen_foreach((json_t *)v, k, klen, x)
        {
            put_text(e, k, klen);
            put_value(e, x, depth + 1);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        HEAD(e, cbor_encode_array_start(json_array_size(v), e->p + e->len, e->cap - e->len));
        json_array_foreach(v, i, x) put_value(e, x, depth + 1);
        break;
    }
    case JSON_STRING:
        put_text(e, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        /* CBOR's negative integers hold -1 - n, which for the smallest json_int_t is its largest */
        HEAD(e, i >= 0 ? cbor_encode_uint((uint64_t)i, e->p + e->len, e->cap - e->len)
                       : cbor_encode_negint((uint64_t)(-1 - i), e->p + e->len, e->cap - e->len));
        break;
    }
    case JSON_REAL:
        HEAD(e, cbor_encode_double(json_real_value(v), e->p + e->len, e->cap - e->len));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        HEAD(e, cbor_encode_bool(json_is_true(v), e->p + e->len, e->cap - e->len));
        break;
    case JSON_NULL:
        HEAD(e, cbor_encode_null(e->p + e->len, e->cap - e->len));
        break;
    }
}

char *bc__lmdb_encode(const json_t *item, size_t *len)
{
    if (json_is_object(item)) {
        struct enc e = {0};
        put_value(&e, item, 0);
        if (!e.failed) {
            *len = e.len;
            return (char *)e.p;
        }
        free(e.p);
    }
    return bc_json_dumps((json_t *)item, len); /* too deep for the decoder's stack: JSON */
}

/* ---- decoding ---- */

struct dec {
    json_t *root;
    json_t *open[BC__LMDB_CBOR_DEPTH + 1]; /* the containers being filled, innermost last */
    size_t left[BC__LMDB_CBOR_DEPTH + 1];  /* values each still expects */
    int level[BC__LMDB_CBOR_DEPTH + 1];    /* each one's depth in the item (the root's is 0) */
    int depth;
    const char *key; /* an object's key read, its value not yet */
    size_t klen;
    bool failed;
    const char *const *only; /* not NULL: only these members of the root are wanted (and "ttl") */
    size_t nonly;
};

static void fail(struct dec *d)
{
    d->failed = true;
}

/* Places v (a new reference, or NULL when allocation failed) as the root or in the innermost container. */
static void place(struct dec *d, json_t *v)
{
    if (!v || d->failed) {
        json_decref(v);
        fail(d);
        return;
    }
    if (d->depth == 0) {
        if (d->root) { /* a second top-level value */
            json_decref(v);
            fail(d);
            return;
        }
        d->root = v;
        return;
    }
    json_t *c = d->open[d->depth - 1];
    if (json_is_object(c)) {
        if (!d->key || json_object_setn_new(c, d->key, d->klen, v)) {
            if (!d->key) json_decref(v);
            fail(d);
            return;
        }
        d->key = NULL;
    } else if (json_array_append_new(c, v)) {
        fail(d);
        return;
    }
    /* a container is closed when its last value is placed (a container placed last closes its parent
     * before it is opened itself, so one step up is always enough) */
    if (--d->left[d->depth - 1] == 0) d->depth--;
}

static void open_container(struct dec *d, json_t *c, size_t n)
{
    if (!c) {
        fail(d);
        return;
    }
    /* its depth in the item, known before place() may close its parent: bounded like the encoder's, so
     * that every item read can be written back as CBOR */
    int level = d->depth > 0 ? d->level[d->depth - 1] + 1 : 0;
    if (level > BC__LMDB_CBOR_DEPTH) {
        json_decref(c);
        fail(d);
        return;
    }
    json_incref(c); /* place() hands its reference to the parent */
    place(d, c);
    if (!d->failed && n > 0) {
        d->open[d->depth] = c;
        d->left[d->depth] = n;
        d->level[d->depth] = level;
        d->depth++;
    }
    json_decref(c);
}

static bool awaiting_key(const struct dec *d)
{
    return d->depth > 0 && !d->key && json_is_object(d->open[d->depth - 1]);
}

static bool wanted(const char *const *only, size_t n, const char *key, size_t klen)
{
    if (klen == 3 && memcmp(key, "ttl", 3) == 0) return true; /* whether the item is live */
    for (size_t i = 0; i < n; i++)
        if (strlen(only[i]) == klen && memcmp(only[i], key, klen) == 0) return true;
    return false;
}

/* With only: a scalar member of the root that is not wanted is counted as placed, never made. (A container
 * is made, and dropped at the end: the items read this way are flat.) */
static bool skip_member(struct dec *d)
{
    if (!d->only || d->depth != 1 || !d->key || wanted(d->only, d->nonly, d->key, d->klen)) return false;
    d->key = NULL;
    if (--d->left[0] == 0) d->depth--;
    return true;
}

static void on_text(void *ctx, cbor_data s, size_t n)
{
    struct dec *d = ctx;
    if (awaiting_key(d)) {
        d->key = (const char *)s; /* points into the value's bytes, which outlive the decode */
        d->klen = n;
        return;
    }
    if (skip_member(d)) return;                 /* (its UTF-8 unchecked: it is not read) */
    place(d, json_stringn((const char *)s, n)); /* NULL (undecodable) when not UTF-8 */
}

static void on_uint(struct dec *d, uint64_t v)
{
    if (awaiting_key(d) || v > (uint64_t)INT64_MAX) {
        fail(d);
        return;
    }
    if (skip_member(d)) return;
    place(d, json_integer((json_int_t)v));
}

static void on_negint(struct dec *d, uint64_t v)
{
    if (awaiting_key(d) || v > (uint64_t)INT64_MAX) {
        fail(d);
        return;
    }
    if (skip_member(d)) return;
    place(d, json_integer(-1 - (json_int_t)v));
}

static void on_u8(void *c, uint8_t v)
{
    on_uint(c, v);
}
static void on_u16(void *c, uint16_t v)
{
    on_uint(c, v);
}
static void on_u32(void *c, uint32_t v)
{
    on_uint(c, v);
}
static void on_u64(void *c, uint64_t v)
{
    on_uint(c, v);
}
static void on_n8(void *c, uint8_t v)
{
    on_negint(c, v);
}
static void on_n16(void *c, uint16_t v)
{
    on_negint(c, v);
}
static void on_n32(void *c, uint32_t v)
{
    on_negint(c, v);
}
static void on_n64(void *c, uint64_t v)
{
    on_negint(c, v);
}

/* Any value other than a text string where a key belongs fails the decode. */
#define VALUE(d)                                                                                             \
    do {                                                                                                     \
        if (awaiting_key(d)) {                                                                               \
            fail(d);                                                                                         \
            return;                                                                                          \
        }                                                                                                    \
    } while (0)

static void on_map(void *ctx, size_t n)
{
    struct dec *d = ctx;
    VALUE(d);
    open_container(d, json_object(), n);
}

static void on_array(void *ctx, size_t n)
{
    struct dec *d = ctx;
    VALUE(d);
    open_container(d, json_array(), n);
}

static void on_double(void *ctx, double v)
{
    struct dec *d = ctx;
    VALUE(d);
    if (skip_member(d)) return;
    place(d, json_real(v)); /* NULL for NaN and infinities, which jansson cannot hold */
}

static void on_bool(void *ctx, bool v)
{
    struct dec *d = ctx;
    VALUE(d);
    if (skip_member(d)) return;
    place(d, json_boolean(v));
}

static void on_null(void *ctx)
{
    struct dec *d = ctx;
    VALUE(d);
    if (skip_member(d)) return;
    place(d, json_null());
}

static void refuse(void *ctx)
{
    fail(ctx);
}
static void refuse_bytes(void *ctx, cbor_data s, size_t n)
{
    (void)s, (void)n, fail(ctx);
}
static void refuse_float(void *ctx, float f)
{
    (void)f, fail(ctx);
}
static void refuse_tag(void *ctx, uint64_t t)
{
    (void)t, fail(ctx);
}

static const struct cbor_callbacks callbacks = {
    .uint8 = on_u8,
    .uint16 = on_u16,
    .uint32 = on_u32,
    .uint64 = on_u64,
    .negint8 = on_n8,
    .negint16 = on_n16,
    .negint32 = on_n32,
    .negint64 = on_n64,
    .string = on_text,
    .string_start = refuse,
    .byte_string = refuse_bytes,
    .byte_string_start = refuse,
    .array_start = on_array,
    .indef_array_start = refuse,
    .map_start = on_map,
    .indef_map_start = refuse,
    .tag = refuse_tag,
    .float2 = refuse_float,
    .float4 = refuse_float,
    .float8 = on_double,
    .undefined = refuse,
    .null = on_null,
    .boolean = on_bool,
    .indef_break = refuse,
};

static json_t *decode_cbor(const unsigned char *p, size_t n, const char *const *only, size_t nonly)
{
    struct dec d = {.only = only, .nonly = nonly};
    size_t off = 0;
    while (off < n && !d.failed && !(d.root && d.depth == 0)) {
        struct cbor_decoder_result r = cbor_stream_decode(p + off, n - off, &callbacks, &d);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0) {
            fail(&d);
            break;
        }
        off += r.read;
    }
    if (d.failed || off != n || d.depth != 0 || !json_is_object(d.root)) {
        json_decref(d.root);
        return NULL;
    }
    return d.root;
}

bool bc__lmdb_is_cbor(const void *data, size_t size)
{
    const unsigned char *p = data;
    return size > 0 && p[0] >= 0xa0 && p[0] <= 0xbb; /* a map of definite length */
}

static json_t *decode(const MDB_val *v, const char *const *only, size_t nonly)
{
    json_t *j = bc__lmdb_is_cbor(v->mv_data, v->mv_size)
                    ? decode_cbor(v->mv_data, v->mv_size, only, nonly)
                    : json_loadb(v->mv_data, v->mv_size, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, NULL);
    if (j && !json_is_object(j)) { /* every item is an object */
        json_decref(j);
        j = NULL;
    }
    if (!j) bc_log(BC_LOG_ERROR, "lmdb: undecodable item (%zu bytes)", v->mv_size);
    return j;
}

json_t *bc__lmdb_decode(const MDB_val *v)
{
    return decode(v, NULL, 0);
}

json_t *bc__lmdb_decode_only(const MDB_val *v, const char *const *names, size_t n)
{
    json_t *j = decode(v, names, n);
    const char *k;
    json_t *x;
    void *tmp;
    /* what the CBOR walk made all the same (containers), or a JSON value's other members */
    json_object_foreach_safe(j, tmp, k, x) if (!wanted(names, n, k, strlen(k))) json_object_del(j, k);
    return j;
}

bool bc__lmdb_may_have_ttl(const MDB_val *v)
{
    /* the key "ttl" as the encoders write it: a 3-byte text head then its bytes, or a JSON string; any
     * other occurrence of these bytes (inside a longer string) only costs a parse */
    return bc__lmdb_is_cbor(v->mv_data, v->mv_size) ? memmem(v->mv_data, v->mv_size, "\x63ttl", 4) != NULL
                                                    : memmem(v->mv_data, v->mv_size, "\"ttl\"", 5) != NULL;
}
