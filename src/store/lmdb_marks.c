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
 * - Which commits were this handle's: last_own is the latest commit of this handle that changed an item,
 *   and every commit after foreign_upto up to last_own was this handle's. Only the commit queue's leader
 *   writes them, one commit at a time and in commit order (leaders take turns): on recording commit T it
 *   finds the commits between its previous one and T (write transactions are serialised, so they are
 *   exactly the ids between) and, when there are any, moves foreign_upto to T - 1. So commits (S, L] were all
 *   this handle's exactly when L <= last_own and S >= foreign_upto, checked in constant time however many
 *   commits passed (a usage flush commits hundreds of groups).
 * - Order: a transaction's marks are stored while it applies its writes, before its commit; foreign_upto,
 *   then last_own (release) after it. A reader loads the latest commit id L from LMDB's meta page, then
 *   last_own (acquire), then foreign_upto and the mark: when last_own covers L it also sees every mark and
 *   gap recorded up to it (a newer foreign_upto only makes it more careful).
 * - Kinds: every write also marks its item's kind, the partition and the SK up to its first '#' ("TENANT#x",
 *   "SERVICE#"), so that a reader can tell that no item of a kind in a partition was written, added or
 *   deleted since S (bc__lmdb_marks_kind_current): a digest of a tenant's services found at S still holds
 *   while the usage flush writes the tenant's counters. Kind marks share the array, hashed apart.
 * - Commits not recorded are foreign: another process's, another handle's in this process, the reaper's
 *   (lm_reap writes outside the queue), and an empty one of this handle's (LMDB gives its id to the next
 *   commit, which may be another process's). Any foreign commit since S sends the read through a
 *   transaction. */
#include "store/lmdb_internal.h"
#include "util/hash.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* 2 MiB of marks: few collisions for the keys and kinds one flush writes (a usage flush over 10,000 tenants
 * marks some 20,000 keys and as many kinds; each collision only sends a read through a transaction) */
#define MARKS 262144

struct bc__lmdb_marks {
    _Atomic uint64_t mark[MARKS];
    _Atomic uint64_t last_own;     /* this handle's latest recorded commit (0: none) */
    _Atomic uint64_t foreign_upto; /* every commit after it, up to last_own, was this handle's */
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

/* The hash of a kind: the partition, its separator and the SK's kind (up to and including the first '#'),
 * after a byte no key starts with. */
static uint64_t h_kind(const char *pk, size_t plen, const char *kind, size_t kl)
{
    uint64_t h = bc_fnv1a(BC_FNV1A_INIT, "\x01", 1);
    h = bc_fnv1a(h, pk, plen);
    h = bc_fnv1a(h, "", 1);
    return bc_fnv1a(h, kind, kl);
}

void bc__lmdb_marks_write(struct bc__lmdb_marks *m, const char *key, size_t klen, uint64_t txnid)
{
    if (!m) return;
    raise_mark(m, h_key(key, klen), txnid);
    const char *sep = memchr(key, '\0', klen);
    if (!sep) return;
    size_t plen = (size_t)(sep - key);
    const char *sk = sep + 1;
    size_t sl = klen - plen - 1;
    const char *hash = memchr(sk, '#', sl);
    raise_mark(m, h_kind(key, plen, sk, hash ? (size_t)(hash - sk) + 1 : sl), txnid);
}

void bc__lmdb_marks_commit(struct bc__lmdb_marks *m, uint64_t txnid)
{
    if (!m) return;
    uint64_t prev = atomic_load_explicit(&m->last_own, memory_order_relaxed);
    if (txnid - 1 > prev) atomic_store_explicit(&m->foreign_upto, txnid - 1, memory_order_relaxed);
    atomic_store_explicit(&m->last_own, txnid, memory_order_release);
}

/* Every commit in (snap, last] is this handle's own. */
static bool all_own(struct bc__lmdb_marks *m, uint64_t snap, uint64_t last)
{
    if (!m || !snap || last < snap || last > atomic_load_explicit(&m->last_own, memory_order_acquire))
        return false;
    return snap >= atomic_load_explicit(&m->foreign_upto, memory_order_relaxed);
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

bool bc__lmdb_marks_kind_current(struct bc__lmdb_marks *m, const char *pk, const char *kind, uint64_t snap,
                                 uint64_t last)
{
    size_t kl = strlen(kind);
    const char *hash = memchr(kind, '#', kl);
    if (!hash || (size_t)(hash - kind) + 1 != kl) return false; /* not a kind: its items span other marks */
    if (snap && snap == last) return true;
    return all_own(m, snap, last) && unmarked(m, h_kind(pk, strlen(pk), kind, kl), snap);
}
