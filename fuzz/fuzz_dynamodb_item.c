/* libFuzzer target: DynamoDB AttributeValue JSON (as found in GetItem/Query/Scan responses) -> bookchat
 * items, the parsing surface of the DynamoDB store. Any input must be either refused (BC_EINVALID) or
 * converted into an item that converts back to AttributeValues; never a crash, leak or hang. */
#include "store/dynamodb.h"
#include "util/err.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j) {
        /* not JSON: use the bytes as a number string */
        char buf[128];
        size_t n = size < sizeof buf - 1 ? size : sizeof buf - 1;
        memcpy(buf, data, n);
        buf[n] = '\0';
        json_t *v = NULL;
        int rc = bc__ddb_number_parse(buf, &v);
        if ((rc == 0) != (v != NULL)) abort();
        json_decref(v);
        return 0;
    }
    /* a whole response ({"Item": …} or {"Items": […]}) or a bare attribute map */
    json_t *item = json_object_get(j, "Item"), *items = json_object_get(j, "Items");
    json_t *maps = json_array();
    if (item) json_array_append(maps, item);
    if (json_is_array(items)) json_array_extend(maps, items);
    if (!item && !items) json_array_append(maps, j);
    size_t i;
    json_t *m;
    json_array_foreach(maps, i, m)
    {
        json_t *out = NULL;
        int rc = bc__ddb_item_from_av(m, &out);
        if (rc == 0) {
            if (!json_is_object(out)) abort();
            json_t *back = bc__ddb_item_to_av(out);
            if (!back) abort(); /* what we read we can write */
            json_t *again = NULL;
            if (bc__ddb_item_from_av(back, &again) != 0) abort();
            json_decref(again);
            json_decref(back);
        } else if (rc != BC_EINVALID && rc != BC_ENOMEM) {
            abort();
        } else if (out) {
            abort();
        }
        json_decref(out);
        json_t *v = NULL;
        if (bc__ddb_value_from_av(m, &v) == 0) {
            json_t *av = bc__ddb_value_to_av(v);
            if (!av) abort();
            json_decref(av);
        }
        json_decref(v);
    }
    json_decref(maps);
    json_decref(j);
    return 0;
}
