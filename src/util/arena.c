/* Bump allocator over a list of chunks; large requests get a chunk of their own. */
#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 4000

struct bc_arena_chunk {
    struct bc_arena_chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

void bc_arena_init(struct bc_arena *a)
{
    a->head = NULL;
}

void bc_arena_release(struct bc_arena *a)
{
    struct bc_arena_chunk *c = a->head;
    while (c) {
        struct bc_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}

void *bc_arena_alloc(struct bc_arena *a, size_t n)
{
    const size_t al = alignof(max_align_t);
    n = (n + al - 1) & ~(al - 1);
    struct bc_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
        c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->used = 0;
        c->cap = cap;
        if (a->head && n > CHUNK_SIZE) {
            /* keep the current chunk at the head so its free space is not wasted */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

char *bc_arena_strndup(struct bc_arena *a, const char *s, size_t n)
{
    char *p = bc_arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *bc_arena_strdup(struct bc_arena *a, const char *s)
{
    return s ? bc_arena_strndup(a, s, strlen(s)) : NULL;
}

char *bc_arena_printf(struct bc_arena *a, const char *fmt, ...)
{
    va_list ap, cp;
    va_start(ap, fmt);
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    char *p = n < 0 ? NULL : bc_arena_alloc(a, (size_t)n + 1);
    if (p) vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
