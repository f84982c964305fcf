/* Item <-> DynamoDB AttributeValue conversion (see dynamodb_item.h for the mapping rules). Pure functions
 * on jansson values, so they are unit-tested and fuzzed without a server. */
#include "store/dynamodb.h"
#include "util/err.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *number_to_av(json_t *v)
{
    char s[64];
    if (json_is_integer(v)) {
        snprintf(s, sizeof s, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else {
        double d = json_real_value(v);
        /* the shortest of %.15g..%.17g that reads back as the same double */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(s, sizeof s, "%.*g", prec, d);
            if (strtod(s, NULL) == d) break;
        }
    }
    return json_pack("{s:s}", "N", s);
}

static json_t *to_av(json_t *v, int depth)
{
    if (depth > BC_DDB_MAX_DEPTH) return NULL;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_pack("{s:s%}", "S", json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
    case JSON_REAL:
        return number_to_av(v);
    case JSON_TRUE:
    case JSON_FALSE:
        return json_pack("{s:b}", "BOOL", json_is_true(v));
    case JSON_NULL:
        return json_pack("{s:b}", "NULL", 1);
    case JSON_OBJECT: {
        json_t *m = json_object();
        const char *k;
        json_t *x;
        if (!m) return NULL;
        json_object_foreach(v, k, x)
        {
            json_t *a = to_av(x, depth + 1);
            if (!a || json_object_set_new(m, k, a) < 0) {
                json_decref(m);
                return NULL;
            }
        }
        return json_pack("{s:o}", "M", m);
    }
    case JSON_ARRAY: {
        json_t *l = json_array();
        size_t i;
        json_t *x;
        if (!l) return NULL;
        json_array_foreach(v, i, x)
        {
            json_t *a = to_av(x, depth + 1);
            if (!a || json_array_append_new(l, a) < 0) {
                json_decref(l);
                return NULL;
            }
        }
        return json_pack("{s:o}", "L", l);
    }
    }
    return NULL;
}

json_t *bc__ddb_value_to_av(json_t *v)
{
    return v ? to_av(v, 0) : NULL;
}

json_t *bc__ddb_item_to_av(json_t *item)
{
    if (!json_is_object(item)) return NULL;
    json_t *m = json_object();
    const char *k;
    json_t *x;
    if (!m) return NULL;
    json_object_foreach(item, k, x)
    {
        json_t *a = to_av(x, 1);
        if (!a || json_object_set_new(m, k, a) < 0) {
            json_decref(m);
            return NULL;
        }
    }
    return m;
}

int bc__ddb_number_parse(const char *s, json_t **out)
{
    *out = NULL;
    if (!s) return BC_EINVALID;
    /* DynamoDB's number syntax: [+-]digits[.digits][(e|E)[+-]digits], or [+-].digits… */
    const char *p = s;
    bool integral = true, digits = false;
    if (*p == '-' || *p == '+') p++;
    while (*p >= '0' && *p <= '9') p++, digits = true;
    if (*p == '.') {
        integral = false;
        p++;
        while (*p >= '0' && *p <= '9') p++, digits = true;
    }
    if (!digits) return BC_EINVALID;
    if (*p == 'e' || *p == 'E') {
        integral = false;
        p++;
        if (*p == '-' || *p == '+') p++;
        if (!(*p >= '0' && *p <= '9')) return BC_EINVALID;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p) return BC_EINVALID;
    if (integral) {
        errno = 0;
        char *end;
        long long n = strtoll(s, &end, 10);
        if (errno == 0 && *end == '\0') {
            *out = json_integer((json_int_t)n);
            return *out ? 0 : BC_ENOMEM;
        }
    }
    errno = 0;
    double d = strtod(s, NULL);
    if (!isfinite(d)) return BC_EINVALID;
    *out = json_real(d);
    return *out ? 0 : BC_ENOMEM;
}

static int from_av(json_t *av, json_t **out, int depth);

/* A set (SS/NS/BS) or list of AttributeValues into a JSON array. */
static int array_from(json_t *arr, char set_type, json_t **out, int depth)
{
    if (!json_is_array(arr)) return BC_EINVALID;
    json_t *a = json_array();
    if (!a) return BC_ENOMEM;
    size_t i;
    json_t *x;
    int rc = 0;
    json_array_foreach(arr, i, x)
    {
        json_t *v = NULL;
        if (set_type == 'N') {
            rc = json_is_string(x) ? bc__ddb_number_parse(json_string_value(x), &v) : BC_EINVALID;
        } else if (set_type) {
            rc = json_is_string(x) ? 0 : BC_EINVALID;
            if (rc == 0 && !(v = json_copy(x))) rc = BC_ENOMEM;
        } else {
            rc = from_av(x, &v, depth + 1);
        }
        if (rc == 0 && json_array_append_new(a, v) < 0) rc = BC_ENOMEM;
        if (rc < 0) break;
    }
    if (rc < 0) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}

static int map_from(json_t *m, json_t **out, int depth)
{
    if (!json_is_object(m)) return BC_EINVALID;
    json_t *o = json_object();
    if (!o) return BC_ENOMEM;
    const char *k;
    json_t *x;
    json_object_foreach(m, k, x)
    {
        json_t *v = NULL;
        int rc = from_av(x, &v, depth + 1);
        if (rc == 0 && json_object_set_new(o, k, v) < 0) rc = BC_ENOMEM;
        if (rc < 0) {
            json_decref(o);
            return rc;
        }
    }
    *out = o;
    return 0;
}

static int from_av(json_t *av, json_t **out, int depth)
{
    *out = NULL;
    if (depth > BC_DDB_MAX_DEPTH || !json_is_object(av) || json_object_size(av) != 1) return BC_EINVALID;
    const char *type = json_object_iter_key(json_object_iter(av));
    json_t *v = json_object_iter_value(json_object_iter(av));
    if (strcmp(type, "S") == 0 || strcmp(type, "B") == 0) {
        if (!json_is_string(v)) return BC_EINVALID;
        *out = json_copy(v);
        return *out ? 0 : BC_ENOMEM;
    }
    if (strcmp(type, "N") == 0)
        return json_is_string(v) ? bc__ddb_number_parse(json_string_value(v), out) : BC_EINVALID;
    if (strcmp(type, "BOOL") == 0) {
        if (!json_is_boolean(v)) return BC_EINVALID;
        *out = json_boolean(json_is_true(v));
        return 0;
    }
    if (strcmp(type, "NULL") == 0) {
        if (!json_is_true(v)) return BC_EINVALID;
        *out = json_null();
        return 0;
    }
    if (strcmp(type, "M") == 0) return map_from(v, out, depth);
    if (strcmp(type, "L") == 0) return array_from(v, 0, out, depth);
    if (strcmp(type, "SS") == 0) return array_from(v, 'S', out, depth);
    if (strcmp(type, "NS") == 0) return array_from(v, 'N', out, depth);
    if (strcmp(type, "BS") == 0) return array_from(v, 'B', out, depth);
    return BC_EINVALID;
}

int bc__ddb_value_from_av(json_t *av, json_t **out)
{
    return from_av(av, out, 0);
}

int bc__ddb_item_from_av(json_t *map, json_t **out)
{
    *out = NULL;
    return map_from(map, out, 0);
}
