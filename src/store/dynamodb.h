/* Internal to the DynamoDB store (and its tests and fuzz target): conversion between bookchat items
 * (jansson values) and DynamoDB's AttributeValue JSON ({"S": "x"}, {"N": "12"}, {"M": {...}} …), in
 * store/dynamodb_item.c, and the request statistics of an open DynamoDB store (store/store_dynamodb.c).
 *
 * DESIGN NOTES
 * - JSON -> AttributeValue: string S, integer N ("%lld"), real N (shortest form that reads back exactly),
 *   true/false BOOL, null NULL, object M, array L. Nothing else is produced.
 * - AttributeValue -> JSON: S, N, BOOL, NULL, M, L, and for robustness with items written by other tools
 *   SS/NS (arrays) and B/BS (base64 text, as given). An N without '.', 'e' or 'E' that fits in 64 bits is an
 *   integer; any other N is a real (so integers stay integers; a real with an integral value, which
 *   DynamoDB normalises to "3", comes back as the integer 3).
 * - Malformed input (not one type key, a bad number, nesting deeper than BC_DDB_MAX_DEPTH) is BC_EINVALID,
 *   never a crash: responses are parsed by these functions. */
#ifndef BC_STORE_DYNAMODB_H
#define BC_STORE_DYNAMODB_H
#include <jansson.h>
#include <stdint.h>

struct bc_store;

#define BC_DDB_MAX_DEPTH 64

/* The AttributeValue of v as a new reference, or NULL (out of memory, or nesting too deep). */
json_t *bc__ddb_value_to_av(json_t *v);
/* The item (object) as an attribute map {name: AttributeValue} (new reference), or NULL. */
json_t *bc__ddb_item_to_av(json_t *item);
/* The JSON value of one AttributeValue into *out (new reference). 0, BC_EINVALID or BC_ENOMEM. */
int bc__ddb_value_from_av(json_t *av, json_t **out);
/* The item of an attribute map (as in GetItem's "Item") into *out (new reference). 0, BC_EINVALID or
 * BC_ENOMEM. */
int bc__ddb_item_from_av(json_t *map, json_t **out);
/* Parses a DynamoDB number string into *out (json integer or real). 0 or BC_EINVALID. */
int bc__ddb_number_parse(const char *s, json_t **out);

/* Counters of one open DynamoDB store since it was opened (all threads). */
struct bc__ddb_stats {
    uint64_t requests;      /* HTTP requests sent, retries included */
    uint64_t retries;       /* of which retries after throttling, 5xx or network errors */
    uint64_t cond_failures; /* ConditionalCheckFailedException answers */
    double read_units;      /* ConsumedCapacity reported by GetItem/Query/Scan */
    double write_units;     /* ConsumedCapacity reported by PutItem/UpdateItem/DeleteItem */
};
/* Fills *out for a store opened from a dynamodb:// URL. 0, or BC_EINVALID for another backend. */
int bc__ddb_stats(struct bc_store *s, struct bc__ddb_stats *out);

#endif
