/* Widget keys' last full resolutions (http/auth.c), kept so that the next request with the same key is
 * authenticated without reading and decoding the key's look-up item and the tenant's META again: a record
 * holds what a widget read needs of them, and is used only while the store shows that neither item was
 * written since it was read (domain: bc_apikey_unchanged, bc_tenant_unchanged). A table of fixed size,
 * shared by the server's threads. */
#ifndef BC_HTTP_KEY_RECORDS_H
#define BC_HTTP_KEY_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/context.h"
#include "domain/apikey.h"
#include "domain/tenant.h"

#define BC_KEY_RECORD_ORIGIN_MAX 128
#define BC_KEY_RECORD_PLAN_MAX   48
/* The table: BC_KEY_RECORDS_SETS sets of BC_KEY_RECORDS_WAYS records, a key's set by its FNV-1a hash. */
#define BC_KEY_RECORDS_WAYS 32
#define BC_KEY_RECORDS_SETS 512

struct bc_key_record {
    char tenant_id[BC_TENANT_ID_MAX + 1];
    char key_id[BC_TENANT_ID_MAX + 1];
    char origin[BC_KEY_RECORD_ORIGIN_MAX]; /* an Origin the key allowed, as sent ("": none seen) */
    bool allow_no_origin;
    int64_t expires_at;                /* the key's expiry, seconds (0: none) */
    char plan[BC_KEY_RECORD_PLAN_MAX]; /* the tenant's plan ("": none, FREE) */
    bool has_rate, has_burst;          /* the tenant's overrides of its plan's request rate and burst */
    double rate, burst;
    struct bc_apikey_mark key;   /* where and when the look-up item was read */
    struct bc_store_mark tenant; /* the same for the tenant's META */
};

struct bc_key_records;
/* An empty table; NULL when out of memory (the caller then keeps no records). */
struct bc_key_records *bc_key_records_new(void);
void bc_key_records_free(struct bc_key_records *t);
/* The record kept for the presented key into *out; false when none (t NULL: none). */
bool bc_key_records_find(struct bc_key_records *t, const char *key, struct bc_key_record *out);
/* Keeps r for key (replacing its record, else the least recently used one of its set). */
void bc_key_records_keep(struct bc_key_records *t, const char *key, const struct bc_key_record *r);
/* Forgets key's record (it no longer holds). */
void bc_key_records_drop(struct bc_key_records *t, const char *key);
/* Counts a request authenticated from a record. */
void bc_key_records_used(struct bc_key_records *t);
/* Requests authenticated from records, and records kept, since the start (t NULL: 0). */
void bc_key_records_stats(struct bc_key_records *t, uint64_t *used, uint64_t *kept);

#endif
