/* The commit queue of the LMDB store backend (group commit): every write of the store (put, update,
 * delete, batch) is handed to this queue, and one writer at a time, the leader, applies every write queued
 * at that moment in one LMDB write transaction, commits it once and syncs it once, then hands each writer
 * its own result. Concurrent bookings so share a commit and an fsync instead of queueing for LMDB's write
 * lock and paying one each.
 *
 * DESIGN NOTES
 * - A writer is a function that applies its writes inside a given write transaction (struct
 *   bc__lmdb_apply), and whether it is lazy. bc__lmdb_commit puts it at the tail of the queue and waits.
 *   The writer at the head becomes the leader as soon as no group is running: it detaches itself and the
 *   writers behind it, up to GROUP_MAX, and runs them as one group. There is no timed wait: a lone writer
 *   leads at once and runs exactly as it did before this queue (one transaction, one sync); groups form
 *   only from writers that arrived while the previous group was committing or syncing.
 * - Each writer is all-or-nothing on its own. In a group of more than one, each writer applies inside its
 *   own nested transaction (mdb_txn_begin with the group's transaction as parent), which is aborted when
 *   the writer fails (a failed condition, a bad update, a full map): the writers before and after it in
 *   the group are untouched and commit. A group of one applies directly in the group's transaction and
 *   aborts it on failure (no nested transaction for the common case).
 * - Order: writers are applied in the order they joined the queue, each on top of every write before it
 *   (a nested transaction reads its parent's changes), so conditions are checked against exactly the
 *   state the writers before it left: the same serial history as one transaction per write.
 * - What a writer's answer means: 0 is given only after the group's commit and, unless every successful
 *   writer of the group is lazy or the store is sync=none, after the mdb_env_sync that follows that commit,
 *   so an acknowledged non-lazy write survives a SIGKILL (and a machine crash). A failed commit fails every
 *   writer of the group that had succeeded; a failed sync fails every non-lazy one (their writes are
 *   committed but not known to be durable, as before this queue); a lazy writer's 0 means committed.
 * - No deadlock: the queue's mutex is never held across an LMDB call; only the leader holds LMDB's write
 *   lock, while the waiting writers hold nothing but their place in the queue (no transaction of any
 *   kind); a writer's apply function works only inside the transaction it is given and never calls the
 *   store. A leader, once its group is done, wakes the writer now at the head, so the queue never waits
 *   with nobody leading. Other processes, and reaping in this one, take LMDB's write lock on their own;
 *   LMDB serialises them with the groups.
 * - Measured (docs/performance.md, "Group commit"): ... */
#include "store/lmdb_internal.h"
#include "util/err.h"

#include <lmdb.h>
#include <pthread.h>

/* The most writers one group carries: bounds a group's transaction (each writer is at most
 * BC_STORE_BATCH_MAX items) and the wait of its last writer. */
#define GROUP_MAX 64

struct bc__lmdb_writer {
    const struct bc__lmdb_apply *apply;
    bool lazy;
    bool done; /* rc is final (set by the leader under the queue's mutex) */
    int rc;
    pthread_cond_t wake;
    struct bc__lmdb_writer *next;
};

int bc__lmdb_queue_init(struct bc__lmdb_queue *q)
{
    q->head = q->tail = NULL;
    q->waiting = 0;
    q->leading = false;
    q->groups = q->writers = 0;
    return pthread_mutex_init(&q->mu, NULL) == 0 ? 0 : BC_ENOMEM;
}

void bc__lmdb_queue_release(struct bc__lmdb_queue *q)
{
    pthread_mutex_destroy(&q->mu);
}

/* Applies one writer of a group of several inside its own nested transaction of txn. */
static int apply_nested(struct bc__lmdb_store *st, MDB_txn *txn, const struct bc__lmdb_apply *a)
{
    MDB_txn *child;
    int rc = bc__lmdb_map_err(mdb_txn_begin(st->env, txn, 0, &child));
    if (rc < 0) return rc;
    rc = a->fn(st, child, a->arg);
    if (rc < 0) {
        mdb_txn_abort(child); /* this writer's changes only: the parent is as it was */
        return rc;
    }
    return bc__lmdb_map_err(mdb_txn_commit(child));
}

/* Runs a detached group (first .. end of its list, n writers): one transaction, one commit, at most one
 * sync; sets every writer's rc. */
static void run_group(struct bc__lmdb_store *st, struct bc__lmdb_writer *first, size_t n)
{
    MDB_txn *txn;
    int rc = bc__lmdb_txn_begin(st, 0, &txn);
    struct bc__lmdb_writer *w;
    if (rc < 0) {
        for (w = first; w; w = w->next) w->rc = rc;
        return;
    }
    size_t ok = 0;
    bool durable = false;
    for (w = first; w; w = w->next) {
        if (n == 1) {
            w->rc = w->apply->fn(st, txn, w->apply->arg);
            if (w->rc < 0) {
                mdb_txn_abort(txn);
                return;
            }
        } else {
            w->rc = apply_nested(st, txn, w->apply);
        }
        if (w->rc == 0) {
            ok++;
            durable = durable || !w->lazy;
        }
    }
    if (ok == 0) {
        mdb_txn_abort(txn);
        return;
    }
    int commit_rc = bc__lmdb_map_err(mdb_txn_commit(txn)), sync_rc = 0;
    if (commit_rc == 0 && durable && !st->nosync) sync_rc = bc__lmdb_map_err(mdb_env_sync(st->env, 1));
    for (w = first; w; w = w->next) {
        if (w->rc < 0) continue;
        if (commit_rc < 0)
            w->rc = commit_rc;
        else if (!w->lazy)
            w->rc = sync_rc;
    }
}

int bc__lmdb_commit(struct bc__lmdb_store *st, const struct bc__lmdb_apply *apply, bool lazy)
{
    struct bc__lmdb_queue *q = &st->queue;
    struct bc__lmdb_writer me = {.apply = apply, .lazy = lazy};
    pthread_cond_init(&me.wake, NULL);
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = &me;
    else
        q->head = &me;
    q->tail = &me;
    q->waiting++;
    while (!me.done && (q->leading || q->head != &me)) pthread_cond_wait(&me.wake, &q->mu);
    if (!me.done) {
        /* lead: detach the writers queued now, this one first */
        struct bc__lmdb_writer *last = &me;
        size_t n = 1;
        while (last->next && n < GROUP_MAX) {
            last = last->next;
            n++;
        }
        q->head = last->next;
        if (!q->head) q->tail = NULL;
        last->next = NULL;
        q->waiting -= n;
        q->leading = true;
        q->groups++;
        q->writers += n;
        pthread_mutex_unlock(&q->mu);

        run_group(st, &me, n);

        pthread_mutex_lock(&q->mu);
        for (struct bc__lmdb_writer *w = &me, *next; w; w = next) {
            next = w->next;
            w->done = true;
            /* signalled under the mutex: the writer cannot return (and destroy wake) before we unlock */
            if (w != &me) pthread_cond_signal(&w->wake);
        }
        q->leading = false;
        if (q->head) pthread_cond_signal(&q->head->wake);
    }
    pthread_mutex_unlock(&q->mu);
    pthread_cond_destroy(&me.wake);
    return me.rc;
}
