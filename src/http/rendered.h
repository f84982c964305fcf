/* Rendered answers kept with the items they were rendered from. An answer that is a pure function of
 * read-only store items (store.h: bc_store_get_ro, bc_query.read_only) is stored with references to those
 * items. A shared item is never modified, and a rewritten item is read as a new object; the references
 * keep every remembered item alive, so its address cannot be reused for another. Hence the same item
 * pointers again mean the same answer, and a changed, added or removed item means a miss. A backend
 * without a memo (DynamoDB) hands out new objects on every read: its reads simply always miss. */
#ifndef BC_RENDERED_H
#define BC_RENDERED_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct bc_req;

#define BC_RENDERED_MAX_INPUTS 64
/* The table: BC_RENDERED_SETS sets of BC_RENDERED_WAYS answers, a key's set by its FNV-1a hash (unit tests
 * make keys that share one). */
#define BC_RENDERED_WAYS 4
#define BC_RENDERED_SETS 512

/* When the answer remembered under key was rendered from exactly the items in[0..n) (NULL entries stand
 * for absent items), replies with it (status 200, JSON, Cache-Control: no-store, like bc_reply_json) and
 * returns true. */
bool bc_rendered_reply(struct bc_req *req, const char *key, const json_t *const *in, size_t n);
/* bc_reply_json(req, 200, body), remembering the bytes under key with references to in[0..n) (n at most
 * BC_RENDERED_MAX_INPUTS, else nothing is remembered). Returns what bc_reply_json returns. */
int bc_rendered_reply_json(struct bc_req *req, const char *key, const json_t *const *in, size_t n,
                           json_t *body);
/* Forgets everything (tests; exit). */
void bc_rendered_clear(void);

#endif
