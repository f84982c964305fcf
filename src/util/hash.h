/* FNV-1a (64 bits): the one hash of the process's in-memory tables (slots of caches, buckets, stripes).
 * Never stored and never a security boundary: the tables it spreads hold no secrets keyed by it. */
#ifndef BC_HASH_H
#define BC_HASH_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BC_FNV1A_INIT 1469598103934665603ULL

/* Continues h over n bytes of data (start with BC_FNV1A_INIT). */
static inline uint64_t bc_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static inline uint64_t bc_fnv1a_str(const char *s)
{
    return bc_fnv1a(BC_FNV1A_INIT, s, strlen(s));
}

#endif
