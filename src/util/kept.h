/* A small table of values kept by string key between requests, each with the store generation it was read
 * at: the chat's catalogues per tenant and the busy look-ups' date items per range. The caller decides
 * whether a kept value is still current (store.h: bc_store_kind_unchanged from its generation) and says so
 * with bc_kept_checked, which moves the generation on. Direct-mapped under one mutex; a new value replaces
 * the slot's old one.
 *
 * DESIGN NOTES
 * - Values are shared and read only; the table holds a reference to each (the caller's ref and unref), and
 *   bc_kept_get hands out another, so a replaced value lives until its last user lets it go.
 * - A check that found a value current moves the generation on only while that value is still the kept one:
 *   a value replaced meanwhile stays replaced. */
#ifndef BC_KEPT_H
#define BC_KEPT_H
#include <stddef.h>
#include <stdint.h>

struct bc_kept;

/* A table of `slots` entries; ref takes a reference to a value, unref drops one. NULL when out of memory. */
struct bc_kept *bc_kept_new(size_t slots, void (*ref)(void *value), void (*unref)(void *value));
/* Drops every value and the table; NULL is a no-op. */
void bc_kept_free(struct bc_kept *k);
/* The value kept under key (a new reference) and, in *snap, the generation it is known current at; NULL
 * when none is. */
void *bc_kept_get(struct bc_kept *k, const char *key, uint64_t *snap);
/* value, got under key, was found current at generation now: counted as taken, and later checks start from
 * now while it is still the kept one. */
void bc_kept_checked(struct bc_kept *k, const char *key, const void *value, uint64_t now);
/* Keeps value (a new reference) under key as read at generation snap (0: not kept). */
void bc_kept_put(struct bc_kept *k, const char *key, void *value, uint64_t snap);
/* How many values were taken after a check (for tests); 0 for NULL. */
unsigned long bc_kept_taken(const struct bc_kept *k);

#endif
