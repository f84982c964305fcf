/* The commit queue of the LMDB store backend (group commit): every write of the store (put, update,
 * delete, batch) is handed to this queue; one writer at a time, the leader, applies every write queued at
 * that moment in one LMDB write transaction and commits it once, and one sync makes every group committed
 * before it durable; then each writer gets its own result. Concurrent bookings so share commits and fsyncs
 * instead of queueing for LMDB's write lock and paying one of each.
 *
 * DESIGN NOTES
 * - A writer is a function that applies its writes inside a given write transaction (struct
 *   bc__lmdb_apply), and whether it is lazy. bc__lmdb_commit puts it at the tail of the queue and waits.
 *   The writer at the head becomes the leader as soon as no group is being applied: it detaches itself
 *   and the writers behind it, up to GROUP_MAX, and applies and commits them as one group. There is no
 *   timed wait: a lone writer leads at once and runs as it did before this queue (one transaction, one
 *   commit, one sync); groups form only from writers that arrived while another group was committing.
 * - Each writer is all-or-nothing on its own. In a group of more than one, each writer applies inside its
 *   own nested transaction (mdb_txn_begin with the group's transaction as parent), which is aborted when
 *   the writer fails (a failed condition, a bad update, a full map): the writers before and after it in
 *   the group are untouched and commit. A group of one applies directly in the group's transaction and
 *   aborts it on failure (no nested transaction in the common case).
 * - Order: writers are applied in the order they joined the queue, each on top of every write before it
 *   (a nested transaction reads its parent's changes), so conditions are checked against exactly the
 *   state the writers before it left: the same serial history as one transaction per write.
 * - Syncs, pipelined: once its group is committed, the leader lets the next group begin, answers the
 *   writers that need no sync (failed, lazy) and then waits until its commit is on disk. A sync
 *   (mdb_env_sync: fdatasync) covers every group committed before it started. If one that started after
 *   this commit is running, the leader waits for it; else it runs one, unless SYNCS_MAX are running (then
 *   it waits for one to end and looks again). So the next group applies and commits while this one syncs,
 *   a few writers' syncs overlap as they did before the queue, and the groups committed while SYNCS_MAX
 *   syncs run share the next one: syncs per booking fall with concurrency even when groups are small.
 * - What a writer's answer means: a non-lazy writer's 0 is given only after its group's commit and after
 *   a sync that started after that commit (unless the store is sync=none), so an acknowledged write
 *   survives a SIGKILL (and a machine crash). A lazy writer's 0 means committed (visible, and on disk
 *   within a second: housekeeping syncs). A failed commit fails every writer of the group that had
 *   succeeded; a failed sync fails the non-lazy writers of the group whose leader ran it (their writes are
 *   committed but not known to be durable, as before this queue), and the leaders that waited for it try
 *   their own.
 * - Deferred writes (bc_store_defer_begin: a server thread's request): such a writer is answered once its
 *   group is committed, like a lazy one, and its group's sequence number goes into the request's ticket.
 *   The request then registers a callback (bc_store_when_durable) and its thread serves other connections;
 *   the store's sync thread syncs up to the highest sequence number waiting (sharing a sync that is running
 *   and covers it, through the same accounting as the leaders' syncs) and then calls back every callback
 *   it covered. Callbacks added meanwhile wait for the next sync, which covers all of them: with two worker
 *   threads, two writes at a time no longer means two syncs at a time, and an answer still goes out only
 *   once its writes are on disk. Committed-but-unsynced writes were already visible to readers (the next
 *   group begins while a sync runs); a machine crash before the sync loses them, and their requests, which
 *   were never answered, with them.
 * - No deadlock: the queue's mutex is never held across an LMDB call; only the leader applying a group
 *   holds LMDB's write lock, while waiting writers hold nothing but their place in the queue (no
 *   transaction of any kind); a writer's apply function works only inside the transaction it is given and
 *   never calls the store. A leader, once its group is committed, wakes the writer now at the head, so the
 *   queue never waits with nobody leading; a running sync always ends with a broadcast to those waiting
 *   for it. Other processes, and reaping in this one, take LMDB's write lock on their own; LMDB serialises
 *   them with the groups.
 * - Measured: docs/performance.md, "Group commit". */
#include "store/lmdb_internal.h"
#include "util/err.h"
#include "util/fault.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The most writers one group carries: bounds a group's transaction (each writer is at most
 * BC_STORE_BATCH_MAX items) and the wait of its last writer. */
#define GROUP_MAX 64

/* The most syncs running at once. fdatasyncs of the same file from several threads overlap on this
 * machine's disk (two threads sync twice as often as one, bench_commit), so a few run side by side, as
 * they did before this queue; beyond them, the writers committed meanwhile share the next sync. Measured
 * with 8 store writers (bench_commit STORE_THREADS=8, a loaded machine, so +-30 %): 1 running at once
 * 2,450-4,200 batches/s, 2: 3,330-3,580, 4: 3,600-4,520, unlimited: 3,620-3,890; before the queue
 * 1,570-3,480 over the same half hour (3,220-3,250 beside the runs of 4 and unlimited). */
#define SYNCS_MAX 4

struct bc__lmdb_writer {
    const struct bc__lmdb_apply *apply;
    bool lazy; /* answered once committed (a lazy write, or a deferred one) */
    bool done; /* rc is final (set by the leader under the queue's mutex) */
    int rc;
    unsigned long long seq; /* its group's commit sequence number (set with done) */
    pthread_cond_t wake;
    struct bc__lmdb_writer *next;
};

/* A deferred write's callback (bc_store_when_durable): done(ud, rc) once commit seq is synced. */
struct bc__lmdb_durable {
    unsigned long long seq;
    void (*done)(void *ud, int rc);
    void *ud;
    struct bc__lmdb_durable *next;
};

int bc__lmdb_queue_init(struct bc__lmdb_queue *q)
{
    q->head = q->tail = NULL;
    q->waiting = 0;
    q->leading = false;
    q->syncing = 0;
    q->committed = q->synced = q->sync_upto = 0;
    q->groups = q->writers = q->syncs = q->deferred = 0;
    q->durable = NULL;
    q->syncer_running = q->syncer_stop = false;
    if (pthread_mutex_init(&q->mu, NULL) != 0) return BC_ENOMEM;
    if (pthread_cond_init(&q->sync_done, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return BC_ENOMEM;
    }
    if (pthread_cond_init(&q->durable_added, NULL) != 0) {
        pthread_cond_destroy(&q->sync_done);
        pthread_mutex_destroy(&q->mu);
        return BC_ENOMEM;
    }
    return 0;
}

void bc__lmdb_queue_release(struct bc__lmdb_queue *q)
{
    pthread_mutex_lock(&q->mu);
    bool running = q->syncer_running;
    q->syncer_stop = true;
    pthread_cond_broadcast(&q->durable_added);
    pthread_mutex_unlock(&q->mu);
    if (running) pthread_join(q->syncer, NULL);
    pthread_cond_destroy(&q->durable_added);
    pthread_cond_destroy(&q->sync_done);
    pthread_mutex_destroy(&q->mu);
}

int bc__lmdb_commit_stats(struct bc_store *s, struct bc__lmdb_commit_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!s || strcmp(s->ops->name, "lmdb") != 0) return BC_EINVALID;
    struct bc__lmdb_queue *q = &((struct bc__lmdb_store *)s)->queue;
    pthread_mutex_lock(&q->mu);
    out->groups = q->groups;
    out->writers = q->writers;
    out->syncs = q->syncs;
    out->deferred = q->deferred;
    pthread_mutex_unlock(&q->mu);
    out->reads_without_txn =
        atomic_load_explicit(&((struct bc__lmdb_store *)s)->reads_without_txn, memory_order_relaxed);
    return 0;
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

/* Applies and commits a detached group (first .. end of its list, n writers) in one transaction; sets the
 * rc of every writer that failed, or of every writer when the group's transaction could not be made. True
 * when the commit carried a successful non-lazy writer that must be synced before its answer. */
static bool apply_group(struct bc__lmdb_store *st, struct bc__lmdb_writer *first, size_t n)
{
    MDB_txn *txn;
    int rc = bc__lmdb_txn_begin(st, 0, &txn);
    struct bc__lmdb_writer *w;
    if (rc < 0) {
        for (w = first; w; w = w->next) w->rc = rc;
        return false;
    }
    size_t ok = 0;
    bool durable = false, wrote = false;
    for (w = first; w; w = w->next) {
        unsigned long long before = st->items_written;
        if (n == 1) {
            w->rc = w->apply->fn(st, txn, w->apply->arg);
            if (w->rc < 0) {
                mdb_txn_abort(txn);
                return false;
            }
        } else {
            w->rc = apply_nested(st, txn, w->apply);
        }
        if (w->rc == 0) {
            ok++;
            durable = durable || !w->lazy;
            wrote = wrote || st->items_written != before;
        }
    }
    if (ok == 0) {
        mdb_txn_abort(txn);
        return false;
    }
    uint64_t id = (uint64_t)mdb_txn_id(txn);
    if ((rc = bc__lmdb_map_err(mdb_txn_commit(txn))) < 0) {
        for (w = first; w; w = w->next)
            if (w->rc == 0) w->rc = rc;
        return false;
    }
    /* its writes marked every key they wrote (lmdb_marks.c). Only a transaction that changed an item is
     * recorded: LMDB gives an empty one no id of its own, and the next commit, maybe another process's,
     * gets it */
    if (wrote) bc__lmdb_marks_commit(st->marks, id);
    return durable && !st->nosync;
}

/* Called with the queue's mutex held, which it releases while it syncs: returns once every commit up to
 * seq is on disk. A sync covers every group committed before it started: when one that started after
 * seq's commit is running, wait for it; else start one, unless SYNCS_MAX are running already (then wait
 * for one to end and look again). 0 or the error of the sync this caller made. */
static int wait_synced(struct bc__lmdb_store *st, unsigned long long seq)
{
    struct bc__lmdb_queue *q = &st->queue;
    while (q->synced < seq) {
        if (q->sync_upto >= seq || q->syncing >= SYNCS_MAX) {
            pthread_cond_wait(&q->sync_done, &q->mu);
            continue;
        }
        unsigned long long upto = q->committed;
        q->syncing++;
        q->sync_upto = upto;
        pthread_mutex_unlock(&q->mu);
        int rc = bc__lmdb_map_err(mdb_env_sync(st->env, 1));
        pthread_mutex_lock(&q->mu);
        q->syncing--;
        q->syncs++;
        if (rc == 0 && upto > q->synced) q->synced = upto;
        /* a failed sync covers nothing: those who counted on it start their own */
        if (rc < 0) q->sync_upto = q->synced;
        pthread_cond_broadcast(&q->sync_done);
        if (rc < 0) return rc;
    }
    return 0;
}

/* The sync thread: syncs what the waiting callbacks need, then calls them (outside the mutex). Callbacks
 * added while a sync runs wait for the next, which covers them all: so the deferred writes of any number
 * of requests share one sync. Exits once asked to and no callback is left. */
static void *syncer(void *arg)
{
    struct bc__lmdb_store *st = arg;
    struct bc__lmdb_queue *q = &st->queue;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (!q->durable) {
            if (q->syncer_stop) break;
            pthread_cond_wait(&q->durable_added, &q->mu);
            continue;
        }
        unsigned long long target = 0;
        for (struct bc__lmdb_durable *d = q->durable; d; d = d->next)
            if (d->seq > target) target = d->seq;
        int rc = wait_synced(st, target);
        struct bc__lmdb_durable *ready = NULL, **keep = &q->durable;
        while (*keep) {
            struct bc__lmdb_durable *d = *keep;
            if (d->seq <= target) {
                *keep = d->next;
                d->next = ready;
                ready = d;
            } else {
                keep = &d->next;
            }
        }
        pthread_mutex_unlock(&q->mu);
        while (ready) {
            struct bc__lmdb_durable *d = ready;
            ready = d->next;
            d->done(d->ud, rc);
            free(d);
        }
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

bool bc__lmdb_when_durable(struct bc_store *s, uint64_t seq, void (*done)(void *ud, int rc), void *ud)
{
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    struct bc__lmdb_queue *q = &st->queue;
    /* the fault point is the first deferred request's wait, whichever sync would have covered it (a
     * background writer's may have, before this request got here) */
    if (bc_fault_hit(BC_FAULT_STORE_SYNC)) {
        done(ud, BC_EIO);
        return true;
    }
    pthread_mutex_lock(&q->mu);
    if (seq <= q->synced) {
        pthread_mutex_unlock(&q->mu);
        return false;
    }
    struct bc__lmdb_durable *d = malloc(sizeof *d);
    if (d && !q->syncer_running && !q->syncer_stop && pthread_create(&q->syncer, NULL, syncer, st) == 0)
        q->syncer_running = true;
    if (!d || !q->syncer_running) {
        /* no memory or no thread: sync here, as a write outside a deferral span would have */
        free(d);
        int rc = wait_synced(st, seq);
        pthread_mutex_unlock(&q->mu);
        done(ud, rc);
        return true;
    }
    *d = (struct bc__lmdb_durable){.seq = seq, .done = done, .ud = ud, .next = q->durable};
    q->durable = d;
    pthread_cond_signal(&q->durable_added);
    pthread_mutex_unlock(&q->mu);
    return true;
}

/* Answers the writers of the list that have their final rc (all of them when all is true, else those that
 * failed or are lazy) and returns the list of the others. Called with the queue's mutex held: a writer
 * cannot return (and free its entry) before it is released. */
static struct bc__lmdb_writer *answer(struct bc__lmdb_writer *list, bool all, struct bc__lmdb_writer *leader)
{
    struct bc__lmdb_writer *keep = NULL, **tail = &keep;
    for (struct bc__lmdb_writer *w = list, *next; w; w = next) {
        next = w->next;
        if (!all && w->rc == 0 && !w->lazy) {
            *tail = w;
            tail = &w->next;
            continue;
        }
        w->done = true;
        if (w != leader) pthread_cond_signal(&w->wake);
    }
    *tail = NULL;
    return keep;
}

int bc__lmdb_commit(struct bc__lmdb_store *st, const struct bc__lmdb_apply *apply, bool lazy)
{
    struct bc__lmdb_queue *q = &st->queue;
    /* in a deferral span, a write that would wait for its sync is answered once committed, and its
     * group's sequence number goes into the span's ticket (bc_store_defer_begin) */
    uint64_t *deferred = lazy || st->nosync ? NULL : bc__store_defer_slot(&st->base);
    struct bc__lmdb_writer me = {.apply = apply, .lazy = lazy || deferred};
    pthread_cond_init(&me.wake, NULL);
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = &me;
    else
        q->head = &me;
    q->tail = &me;
    q->waiting++;
    if (deferred) q->deferred++;
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

        bool sync = apply_group(st, &me, n);

        pthread_mutex_lock(&q->mu);
        unsigned long long seq = ++q->committed;
        for (struct bc__lmdb_writer *w = &me; w; w = w->next) w->seq = seq;
        /* the next group may begin while this one syncs */
        q->leading = false;
        if (q->head) pthread_cond_signal(&q->head->wake);
        struct bc__lmdb_writer *durable = answer(&me, !sync, &me);
        if (durable) {
            int rc = wait_synced(st, seq);
            for (struct bc__lmdb_writer *w = durable; w; w = w->next) w->rc = rc;
            answer(durable, true, &me);
        }
    }
    pthread_mutex_unlock(&q->mu);
    pthread_cond_destroy(&me.wake);
    if (deferred && me.rc == 0 && me.seq > *deferred) *deferred = me.seq;
    return me.rc;
}
