/* A small cache of values derived from shared, read-only jansson items (the store's memo hands out the
 * same item for the same stored bytes), keyed by the item's address: a settings view, a calendar day's
 * entries as structs. Direct-mapped, under striped mutexes; a new value replaces the slot's old one.
 *
 * DESIGN NOTES
 * - The memo holds a reference to each key item, so its address cannot be reused while the entry lives:
 *   the same address is the same content, because shared items are never modified (store.h).
 * - One memo belongs to one struct bc_env (one store); it is safe for concurrent use by any threads. */
#ifndef BC_MEMO_H
#define BC_MEMO_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct bc_memo;

/* A memo of `slots` entries under `locks` mutexes (slots a multiple of locks); free_value releases a
 * value the memo owns (called with the value, never NULL). Returns NULL when out of memory. */
struct bc_memo *bc_memo_new(size_t slots, size_t locks, void (*free_value)(void *value));
/* Releases every entry and the memo; NULL is a no-op. */
void bc_memo_free(struct bc_memo *m);
/* When item's value is cached, calls use(value, arg) holding the slot's lock (use must not call the memo)
 * and returns true; false on a miss. */
bool bc_memo_use(struct bc_memo *m, const json_t *item, void (*use)(void *value, void *arg), void *arg);
/* Caches value for item: the memo takes a reference to item and ownership of value (freeing the slot's
 * previous pair outside the lock). */
void bc_memo_put(struct bc_memo *m, const json_t *item, void *value);
/* Drops every entry. */
void bc_memo_clear(struct bc_memo *m);

#endif
