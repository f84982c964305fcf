/* Rendered answers kept with the items they were rendered from. An answer that is a pure function of
 * read-only store items (store.h: bc_store_get_ro, bc_query.read_only) is stored with references to those
 * items. A shared item is never modified, and a rewritten item is read as a new object; the references
 * keep every remembered item alive, so its address cannot be reused for another. Hence the same item
 * pointers again mean the same answer, and a changed, added or removed item means a miss. A backend
 * without a memo (DynamoDB) hands out new objects on every read: its reads simply always miss (but for its
 * read cache's shared answers). With LMDB the widget's answers are kept by a digest of the items' stored
 * bytes instead (below): a tenant whose items the memo no longer holds is answered after a cursor walk over
 * the bytes, without parsing or rendering, and while nothing was committed since, without even that. */
#ifndef BC_RENDERED_H
#define BC_RENDERED_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc_req;
struct bc_store;
struct bc_store_digest;

#define BC_RENDERED_MAX_INPUTS 64
/* The table: BC_RENDERED_SETS sets of BC_RENDERED_WAYS answers, a key's set by its FNV-1a hash (unit tests
 * make keys that share one). Wide sets: with 10,000 keys in 4,096 sets of 4, one set in ten was given more
 * keys than ways, and reads that cycle over the tenants missed every one of those keys on every visit (a
 * fifth of the spread bench's reads rendered again); in sets of 32 almost none is. */
#define BC_RENDERED_WAYS 32
#define BC_RENDERED_SETS 512

/* When the answer remembered under key was rendered from exactly the items in[0..n) (NULL entries stand
 * for absent items), replies with it (status 200, JSON, Cache-Control: no-store, like bc_reply_json) and
 * returns true. */
bool bc_rendered_reply(struct bc_req *req, const char *key, const json_t *const *in, size_t n);
/* bc_reply_json(req, 200, body), remembering the bytes under key with references to in[0..n) (n at most
 * BC_RENDERED_MAX_INPUTS, else nothing is remembered). Returns what bc_reply_json returns. */
int bc_rendered_reply_json(struct bc_req *req, const char *key, const json_t *const *in, size_t n,
                           json_t *body);
/* The same, for an answer validated by a digest of the stored bytes it was rendered from (store.h:
 * struct bc_store_digest, of the store s) instead of by references to parsed items: it survives the store's
 * memo forgetting those items, and holds none of them. Equal digests mean the same stored bytes, hence the
 * same answer. An entry kept with a digest never answers a lookup by items, nor the other way round. The
 * entry also remembers the store and the generation its digest was last found at (the digest's snap):
 * bc_rendered_reply_current answers from it while that store's generation has not moved (no commit since),
 * without the digest being computed again; or, when it moved, while unchanged (may be NULL) shows that the
 * answer's items were not written since the entry's generation (store.h: bc_store_kind_unchanged, asked
 * through the domain), and the entry then records the generation *now it was shown at. */
typedef bool (*bc_rendered_unchanged_fn)(void *arg, uint64_t snap, uint64_t *now);
bool bc_rendered_reply_current(struct bc_req *req, const char *key, const struct bc_store *s, uint64_t gen,
                               bc_rendered_unchanged_fn unchanged, void *arg);
bool bc_rendered_reply_digest(struct bc_req *req, const char *key, const struct bc_store *s,
                              const struct bc_store_digest *d);
int bc_rendered_reply_json_digest(struct bc_req *req, const char *key, const struct bc_store *s,
                                  const struct bc_store_digest *d, json_t *body);
/* Forgets everything (tests; exit). */
void bc_rendered_clear(void);

#endif
