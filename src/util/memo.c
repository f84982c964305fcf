/* The memo of derived values keyed by shared items (memo.h): a direct-mapped table of (item reference,
 * value) pairs under striped mutexes. */
#include "util/memo.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

struct slot {
    json_t *item; /* a reference, or NULL */
    void *value;
};

struct bc_memo {
    size_t nslots, nlocks;
    void (*free_value)(void *value);
    struct slot *slots;
    pthread_mutex_t *locks;
};

struct bc_memo *bc_memo_new(size_t slots, size_t locks, void (*free_value)(void *value))
{
    if (!slots || !locks || slots % locks) return NULL;
    struct bc_memo *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->nslots = slots;
    m->nlocks = locks;
    m->free_value = free_value;
    m->slots = calloc(slots, sizeof *m->slots);
    m->locks = calloc(locks, sizeof *m->locks);
    if (!m->slots || !m->locks) {
        free(m->slots);
        free(m->locks);
        free(m);
        return NULL;
    }
    for (size_t i = 0; i < locks; i++) pthread_mutex_init(&m->locks[i], NULL);
    return m;
}

static size_t slot_of(const struct bc_memo *m, const json_t *item)
{
    /* addresses are 16-byte aligned and close together: mix the high bits down */
    uint64_t h = (uintptr_t)item;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 32) % m->nslots;
}

bool bc_memo_use(struct bc_memo *m, const json_t *item, void (*use)(void *value, void *arg), void *arg)
{
    if (!item) return false;
    size_t i = slot_of(m, item);
    pthread_mutex_t *mu = &m->locks[i % m->nlocks];
    bool hit = false;
    pthread_mutex_lock(mu);
    if (m->slots[i].item == item) {
        use(m->slots[i].value, arg);
        hit = true;
    }
    pthread_mutex_unlock(mu);
    return hit;
}

static void release(struct bc_memo *m, struct slot *old)
{
    json_decref(old->item);
    if (old->value) m->free_value(old->value);
}

void bc_memo_put(struct bc_memo *m, const json_t *item, void *value)
{
    if (!item) {
        if (value) m->free_value(value);
        return;
    }
    size_t i = slot_of(m, item);
    pthread_mutex_t *mu = &m->locks[i % m->nlocks];
    /* jansson counts references on const items too: the memo only ever reads the item */
    struct slot fresh = {json_incref((json_t *)item), value};
    pthread_mutex_lock(mu);
    struct slot old = m->slots[i];
    m->slots[i] = fresh;
    pthread_mutex_unlock(mu);
    release(m, &old);
}

void bc_memo_clear(struct bc_memo *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nslots; i++) {
        pthread_mutex_t *mu = &m->locks[i % m->nlocks];
        pthread_mutex_lock(mu);
        struct slot old = m->slots[i];
        m->slots[i] = (struct slot){0};
        pthread_mutex_unlock(mu);
        release(m, &old);
    }
}

void bc_memo_free(struct bc_memo *m)
{
    if (!m) return;
    bc_memo_clear(m);
    for (size_t i = 0; i < m->nlocks; i++) pthread_mutex_destroy(&m->locks[i]);
    free(m->slots);
    free(m->locks);
    free(m);
}
