/* Table-driven JSON validation. */
#include "util/jsonv.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t bc_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) n++;
    return n;
}

bool bc_utf8_line_breaking(const unsigned char *p)
{
    if (p[0] == 0xc2) return p[1] >= 0x80 && p[1] <= 0x9f;
    if (p[0] == 0xd8) return p[1] == 0x9c;
    if (p[0] == 0xe2 && p[1] == 0x80) return p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xa8 && p[2] <= 0xae);
    if (p[0] == 0xe2 && p[1] == 0x81) return p[2] >= 0xa6 && p[2] <= 0xa9;
    return false;
}

int bc_json_check_string(const char *s, long long min, long long max, int multiline)
{
    if (!s) return BC_EINVALID;
    long long n = (long long)bc_utf8_len(s);
    if (n < min || n > max) return BC_EINVALID;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            if (!multiline && bc_utf8_line_breaking(p)) return BC_EINVALID;
            continue;
        }
        if (*p >= 0x20 && *p != 0x7f) continue;
        if (multiline && (*p == '\n' || *p == '\t')) continue;
        return BC_EINVALID;
    }
    return 0;
}

static const char *type_name(enum bc_jtype t)
{
    switch (t) {
    case BC_J_STRING:
        return "a string";
    case BC_J_INT:
        return "an integer";
    case BC_J_NUMBER:
        return "a number";
    case BC_J_BOOL:
        return "true or false";
    case BC_J_OBJECT:
        return "an object";
    case BC_J_ARRAY:
        return "an array";
    }
    return "?";
}

static int check_one(const struct bc_jfield *f, json_t *v, char *msg, size_t msgsize)
{
    long long min = f->min, max = f->max;
    switch (f->type) {
    case BC_J_STRING:
        if (!min && !max) max = 200;
        if (!json_is_string(v) ||
            bc_json_check_string(json_string_value(v), min, max, (f->flags & BC_JF_MULTILINE) != 0) < 0) {
            snprintf(msg, msgsize, "field '%s' must be a string of %lld to %lld characters%s", f->name, min,
                     max, f->flags & BC_JF_MULTILINE ? "" : " " BC_JSON_PLAIN_TEXT);
            return BC_EINVALID;
        }
        return 0;
    case BC_J_INT:
        if (!json_is_integer(v) ||
            ((min || max) && (json_integer_value(v) < min || json_integer_value(v) > max))) {
            if (min || max)
                snprintf(msg, msgsize, "field '%s' must be an integer from %lld to %lld", f->name, min, max);
            else
                snprintf(msg, msgsize, "field '%s' must be an integer", f->name);
            return BC_EINVALID;
        }
        return 0;
    case BC_J_NUMBER:
        if (!json_is_number(v) ||
            ((min || max) && (json_number_value(v) < (double)min || json_number_value(v) > (double)max))) {
            if (min || max)
                snprintf(msg, msgsize, "field '%s' must be a number from %lld to %lld", f->name, min, max);
            else
                snprintf(msg, msgsize, "field '%s' must be a number", f->name);
            return BC_EINVALID;
        }
        return 0;
    case BC_J_ARRAY:
        if (!min && !max) max = 100;
        if (!json_is_array(v) || (long long)json_array_size(v) < min || (long long)json_array_size(v) > max) {
            snprintf(msg, msgsize, "field '%s' must be an array of %lld to %lld items", f->name, min, max);
            return BC_EINVALID;
        }
        return 0;
    case BC_J_BOOL:
    case BC_J_OBJECT:
        if ((f->type == BC_J_BOOL && !json_is_boolean(v)) || (f->type == BC_J_OBJECT && !json_is_object(v))) {
            snprintf(msg, msgsize, "field '%s' must be %s", f->name, type_name(f->type));
            return BC_EINVALID;
        }
        return 0;
    }
    return BC_EINVALID;
}

int bc_json_check(json_t *obj, const struct bc_jfield *fields, char *msg, size_t msgsize)
{
    if (!json_is_object(obj)) {
        snprintf(msg, msgsize, "expected a JSON object");
        return BC_EINVALID;
    }
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        const struct bc_jfield *f = fields;
        while (f->name && strcmp(f->name, k) != 0) f++;
        if (!f->name) {
            snprintf(msg, msgsize, "unknown field '%.60s'", k);
            return BC_EINVALID;
        }
        if (json_is_null(v)) {
            if (f->flags & BC_JF_NULLABLE) continue;
            snprintf(msg, msgsize, "field '%s' cannot be null", f->name);
            return BC_EINVALID;
        }
        if (check_one(f, v, msg, msgsize) < 0) return BC_EINVALID;
    }
    for (const struct bc_jfield *f = fields; f->name; f++) {
        if ((f->flags & BC_JF_REQUIRED) &&
            (!json_object_get(obj, f->name) || json_is_null(json_object_get(obj, f->name)))) {
            snprintf(msg, msgsize, "field '%s' is required", f->name);
            return BC_EINVALID;
        }
    }
    return 0;
}

/* Appends n bytes without the NUL that bc_buf_append keeps after each append (bc_json_dump ends with one). */
static inline int put(struct bc_buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap && bc_buf_reserve(b, n) < 0) return BC_ENOMEM;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return 0;
}

static inline int put1(struct bc_buf *b, char c)
{
    if (b->len + 2 > b->cap && bc_buf_reserve(b, 1) < 0) return BC_ENOMEM;
    b->data[b->len++] = c;
    return 0;
}

static int dump_int(struct bc_buf *b, json_int_t v)
{
    char d[21];
    if (v < 0 && put1(b, '-') < 0) return BC_ENOMEM;
    return put(b, d, bc_fmt_uint(v < 0 ? 0ULL - (uint64_t)v : (uint64_t)v, d));
}

static int dump(struct bc_buf *b, json_t *v)
{
    int rc = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if ((rc = put1(b, '{')) < 0) return rc;
        bool first = true;
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
            if (!first && (rc = put1(b, ',')) < 0) return rc;
            first = false;
            if ((rc = bc_buf_json_strn(b, json_object_iter_key(it), json_object_iter_key_len(it))) < 0 ||
                (rc = put1(b, ':')) < 0 || (rc = dump(b, json_object_iter_value(it))) < 0)
                return rc;
        }
        return put1(b, '}');
    }
    case JSON_ARRAY: {
        if ((rc = put1(b, '[')) < 0) return rc;
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i && (rc = put1(b, ',')) < 0) return rc;
            if ((rc = dump(b, json_array_get(v, i))) < 0) return rc;
        }
        return put1(b, ']');
    }
    case JSON_STRING:
        return bc_buf_json_strn(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return dump_int(b, json_integer_value(v));
    case JSON_REAL:
        return bc_buf_json_real(b, json_real_value(v), 0);
    case JSON_TRUE:
        return put(b, "true", 4);
    case JSON_FALSE:
        return put(b, "false", 5);
    case JSON_NULL:
        return put(b, "null", 4);
    }
    return BC_EINVALID;
}

int bc_json_dump(struct bc_buf *b, json_t *v)
{
    int rc = dump(b, v);
    if (b->data) b->data[b->len] = '\0';
    return rc;
}

char *bc_json_dumps(json_t *v, size_t *len)
{
    struct bc_buf b = BC_BUF_INIT;
    if (!json_is_object(v) && !json_is_array(v)) return NULL; /* as json_dumps without JSON_ENCODE_ANY */
    int rc = bc_buf_reserve(&b, 256);
    if (rc == 0) rc = bc_json_dump(&b, v);
    if (rc < 0) {
        bc_buf_release(&b);
        /* what this writer refuses (a string with NUL, which jansson escapes): jansson's own */
        char *s = rc == BC_EINVALID ? json_dumps(v, JSON_COMPACT) : NULL;
        if (s && len) *len = strlen(s);
        return s;
    }
    return bc_buf_detach(&b, len);
}
