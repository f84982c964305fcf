/* A per-request arena: many small allocations, one release when the request is done (h2o's req->pool). */
#ifndef BC_ARENA_H
#define BC_ARENA_H
#include <stdarg.h>
#include <stddef.h>

struct bc_arena_chunk;
struct bc_arena {
    struct bc_arena_chunk *head;
};

void bc_arena_init(struct bc_arena *a);
/* Frees every allocation made from the arena. */
void bc_arena_release(struct bc_arena *a);
/* Memory borrowed until bc_arena_release; NULL only on OOM. Aligned for any type. */
void *bc_arena_alloc(struct bc_arena *a, size_t n);
char *bc_arena_strdup(struct bc_arena *a, const char *s);
char *bc_arena_strndup(struct bc_arena *a, const char *s, size_t n);
char *bc_arena_printf(struct bc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
