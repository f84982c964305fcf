/* libFuzzer target: the bytes of an LMDB value (src/store/lmdb_codec.c), CBOR or JSON, as a damaged or
 * hostile store file would hold them. Any input is either refused (NULL) or decoded into an object that
 * encodes to bytes that decode to the same object and encode to the same bytes again; never a crash, leak
 * or hang. */
#include "store/lmdb_internal.h"
#include "util/log.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bc_log_set_level(BC_LOG_OFF); /* every refusal is logged, and most inputs are refused */
    MDB_val v = {size, (void *)data};
    json_t *j = bc__lmdb_decode(&v);
    if (!j) return 0;
    if (!json_is_object(j)) abort();
    size_t len = 0, len2 = 0;
    char *bytes = bc__lmdb_encode(j, &len);
    if (!bytes) abort();
    MDB_val w = {len, bytes};
    json_t *back = bc__lmdb_decode(&w);
    if (!back) abort();
    char *again = bc__lmdb_encode(back, &len2);
    if (!again || len2 != len || memcmp(again, bytes, len) != 0) abort();
    free(again);
    free(bytes);
    json_decref(back);
    json_decref(j);
    return 0;
}
