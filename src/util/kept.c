/* The table of kept values (kept.h). */
#include "util/kept.h"
#include "util/hash.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    char *key; /* NULL: empty */
    uint64_t snap;
    void *value;
};

struct bc_kept {
    pthread_mutex_t mu;
    void (*ref)(void *value);
    void (*unref)(void *value);
    atomic_ulong taken;
    size_t n;
    struct slot slot[];
};

struct bc_kept *bc_kept_new(size_t slots, void (*ref)(void *value), void (*unref)(void *value))
{
    if (!slots) return NULL;
    struct bc_kept *k = calloc(1, sizeof *k + slots * sizeof k->slot[0]);
    if (!k) return NULL;
    if (pthread_mutex_init(&k->mu, NULL) != 0) {
        free(k);
        return NULL;
    }
    k->ref = ref;
    k->unref = unref;
    k->n = slots;
    atomic_init(&k->taken, 0);
    return k;
}

void bc_kept_free(struct bc_kept *k)
{
    if (!k) return;
    for (size_t i = 0; i < k->n; i++) {
        free(k->slot[i].key);
        if (k->slot[i].value) k->unref(k->slot[i].value);
    }
    pthread_mutex_destroy(&k->mu);
    free(k);
}

static struct slot *slot_of(struct bc_kept *k, const char *key)
{
    return &k->slot[bc_fnv1a_str(key) % k->n];
}

void *bc_kept_get(struct bc_kept *k, const char *key, uint64_t *snap)
{
    if (!k) return NULL;
    struct slot *e = slot_of(k, key);
    void *value = NULL;
    pthread_mutex_lock(&k->mu);
    if (e->value && strcmp(e->key, key) == 0) {
        value = e->value;
        k->ref(value);
        *snap = e->snap;
    }
    pthread_mutex_unlock(&k->mu);
    return value;
}

void bc_kept_checked(struct bc_kept *k, const char *key, const void *value, uint64_t now)
{
    struct slot *e = slot_of(k, key);
    pthread_mutex_lock(&k->mu);
    if (e->value == value && now > e->snap) e->snap = now;
    pthread_mutex_unlock(&k->mu);
    atomic_fetch_add(&k->taken, 1);
}

void bc_kept_put(struct bc_kept *k, const char *key, void *value, uint64_t snap)
{
    char *copy = k && snap ? strdup(key) : NULL;
    if (!copy) return;
    struct slot *e = slot_of(k, key);
    k->ref(value);
    pthread_mutex_lock(&k->mu);
    struct slot old = *e;
    *e = (struct slot){copy, snap, value};
    pthread_mutex_unlock(&k->mu);
    free(old.key);
    if (old.value) k->unref(old.value);
}

unsigned long bc_kept_taken(const struct bc_kept *k)
{
    return k ? atomic_load(&k->taken) : 0;
}
