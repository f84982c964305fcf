/* Write marks of the LMDB store backend: which of the transactions committed since a snapshot were this
 * handle's own, and which keys they wrote. A read-only read of an item the memo found current in snapshot S
 * (store_lmdb.c, lmdb_memo.c) is still current at the latest commit L when every commit in (S, L] was this
 * handle's and none of them marked the item's key: the read then needs no transaction, even while this
 * process writes other items (a chat turn's writes, the usage flush).
 *
 * DESIGN NOTES
 * - Marks are upper bounds, never exact: mark[h] is the id of the latest write transaction that wrote some
 *   key hashing to h. Collisions, writes of a transaction that did not commit (its id is the next commit's)
 *   and nested transactions that were aborted only make a mark higher than needed, which costs a read
 *   through a transaction, never a stale answer.
 * - Only the commit queue's leader writes marks and records commits (one at a time), so a plain atomic store
 *   of an id that never decreases is enough. The marks of a transaction are stored while it applies its
 *   writes, before its commit; the commit is recorded in own[] after it (release). A reader loads the latest
 *   commit id from LMDB's meta page, then own[] (acquire), then the mark: when it finds a commit recorded as
 *   its own, it also finds every mark that commit made.
 * - Commits not recorded here are foreign: another process's, another handle's in this process, the
 *   reaper's (lm_reap writes outside the queue). Any foreign commit since S sends the read through a
 *   transaction, as do more than SPAN_MAX commits since S. */
#include "store/lmdb_internal.h"
#include "util/hash.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MARKS    65536 /* 512 KiB of marks: few collisions for the keys one flush or chat burst writes */
#define RING     1024
#define SPAN_MAX 256 /* more commits since the snapshot than this: read through a transaction */

struct bc__lmdb_marks {
    _Atomic uint64_t mark[MARKS];
    _Atomic uint64_t own[RING]; /* own[id % RING] == id: commit id was this handle's */
};

static uint64_t h_key(const char *key, size_t klen)
{
    return bc_fnv1a(BC_FNV1A_INIT, key, klen);
}

struct bc__lmdb_marks *bc__lmdb_marks_new(void)
{
    return calloc(1, sizeof(struct bc__lmdb_marks)); /* all zero: nothing marked, no commit known */
}

void bc__lmdb_marks_free(struct bc__lmdb_marks *m)
{
    free(m);
}

static void raise_mark(struct bc__lmdb_marks *m, uint64_t h, uint64_t txnid)
{
    _Atomic uint64_t *p = &m->mark[h & (MARKS - 1)];
    if (atomic_load_explicit(p, memory_order_relaxed) < txnid)
        atomic_store_explicit(p, txnid, memory_order_release);
}

void bc__lmdb_marks_write(struct bc__lmdb_marks *m, const char *key, size_t klen, uint64_t txnid)
{
    if (m) raise_mark(m, h_key(key, klen), txnid);
}

void bc__lmdb_marks_commit(struct bc__lmdb_marks *m, uint64_t txnid)
{
    if (m) atomic_store_explicit(&m->own[txnid % RING], txnid, memory_order_release);
}

/* Every commit in (snap, last] is this handle's own. */
static bool all_own(struct bc__lmdb_marks *m, uint64_t snap, uint64_t last)
{
    if (!m || !snap || last < snap || last - snap > SPAN_MAX) return false;
    for (uint64_t id = snap + 1; id <= last; id++)
        if (atomic_load_explicit(&m->own[id % RING], memory_order_acquire) != id) return false;
    return true;
}

static bool unmarked(struct bc__lmdb_marks *m, uint64_t h, uint64_t snap)
{
    return atomic_load_explicit(&m->mark[h & (MARKS - 1)], memory_order_acquire) <= snap;
}

bool bc__lmdb_marks_key_current(struct bc__lmdb_marks *m, const char *key, size_t klen, uint64_t snap,
                                uint64_t last)
{
    if (snap && snap == last) return true;
    return all_own(m, snap, last) && unmarked(m, h_key(key, klen), snap);
}
