/* The LMDB backend's commit queue (src/store/lmdb_commit.c): concurrent writers share one transaction
 * and one sync, yet each batch stays all-or-nothing on its own, conditions see every write before them,
 * and every caller gets its own result. LMDB only: it reaches into the backend's queue to know when
 * writers wait and how many groups carried them. */
#include "../testlib.h"

#include "store/lmdb_internal.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

#include <pthread.h>
#include <time.h>

static struct bc_store *open_lmdb(void)
{
    char dir[512];
    bc_test_tmpdir(dir, sizeof dir, "lmdb-commit");
    return bc_test_open_lmdb(dir);
}

static struct bc__lmdb_queue *queue_of(struct bc_store *s)
{
    return &((struct bc__lmdb_store *)s)->queue;
}

static unsigned long long syncs_of(struct bc_store *s)
{
    struct bc__lmdb_queue *q = queue_of(s);
    pthread_mutex_lock(&q->mu);
    unsigned long long n = q->syncs;
    pthread_mutex_unlock(&q->mu);
    return n;
}

static void queue_counts(struct bc_store *s, unsigned long long *groups, unsigned long long *writers,
                         size_t *waiting)
{
    struct bc__lmdb_queue *q = queue_of(s);
    pthread_mutex_lock(&q->mu);
    if (groups) *groups = q->groups;
    if (writers) *writers = q->writers;
    if (waiting) *waiting = q->waiting;
    pthread_mutex_unlock(&q->mu);
}

/* Waits (up to 10 s) until n writers wait in the queue. */
static void wait_queued(struct bc_store *s, size_t n)
{
    for (int i = 0; i < 10000; i++) {
        size_t waiting;
        queue_counts(s, NULL, NULL, &waiting);
        if (waiting >= n) return;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    fail_msg("%zu writers never queued", n);
}

static json_t *item(const char *sk, const char *owner)
{
    return json_pack("{s:s, s:s, s:s}", "PK", "T#commit", "SK", sk, "owner", owner);
}

/* The owner of an item; "" when absent. */
static const char *owner_of(struct bc_store *s, const char *sk, char *buf, size_t size)
{
    json_t *got = NULL;
    buf[0] = '\0';
    if (bc_store_get(s, "T#commit", sk, &got) == 0)
        snprintf(buf, size, "%s", json_string_value(json_object_get(got, "owner")));
    json_decref(got);
    return buf;
}

/* One writer of the deterministic group: a batch of up to three puts, or an update that adds 1. */
struct job {
    struct bc_store *s;
    const char *name;
    const char *sk[3];
    enum bc_cond_kind cond[3];
    bool lazy;
    bool update; /* add 1 to "n" of sk[0] and report the item as written */
    int rc;
    size_t failed;
    int64_t n_after;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    if (j->update) {
        json_t *add = json_pack("{s:i}", "n", 1), *out = NULL;
        struct bc_update u = {NULL, add, NULL};
        j->rc = bc_store_update(j->s, "T#commit", j->sk[0], &u, NULL, &out);
        j->n_after = j->rc == 0 ? json_integer_value(json_object_get(out, "n")) : -1;
        json_decref(out);
        json_decref(add);
        return NULL;
    }
    struct bc_write w[3];
    size_t n = 0;
    for (; n < 3 && j->sk[n]; n++)
        w[n] = (struct bc_write){item(j->sk[n], j->name), {j->cond[n], 0, j->lazy}, false};
    j->failed = 99;
    j->rc = bc_store_put_batch(j->s, w, n, &j->failed);
    for (size_t i = 0; i < n; i++) json_decref(w[i].item);
    return NULL;
}

/* A group formed for certain: a plug writer leads first and waits for LMDB's write lock, which the test
 * holds, while the writers behind it queue in a known order; released, they commit as one group. Batches
 * that fail inside the group (on a key an earlier batch of the same group just wrote) leave nothing, the
 * others are all written, and each caller gets its own answer. */
static void test_commit__one_group_keeps_each_batch_whole(void **state)
{
    (void)state;
    struct bc_store *s = open_lmdb();
    struct bc__lmdb_store *st = (struct bc__lmdb_store *)s;
    struct job jobs[] = {
        {.name = "plug", .sk = {"PLUG"}},
        /* A claims X; B writes B1 then fails on X: B1 must not survive, the group goes on */
        {.name = "A", .sk = {"X", "A1"}, .cond = {BC_COND_NOT_EXISTS, BC_COND_NONE}},
        {.name = "B", .sk = {"B1", "X"}, .cond = {BC_COND_NONE, BC_COND_NOT_EXISTS}},
        /* C claims X2 (lazy: synced with the others anyway); D fails on X2 at its third write; E needs X to
         * exist, which it does only because A wrote it in this very group */
        {.name = "C", .sk = {"C1", "X2"}, .cond = {BC_COND_NONE, BC_COND_NOT_EXISTS}, .lazy = true},
        {.name = "D", .sk = {"D1", "D2", "X2"}, .cond = {BC_COND_NONE, BC_COND_NONE, BC_COND_NOT_EXISTS}},
        {.name = "E", .sk = {"X", "E1"}, .cond = {BC_COND_EXISTS, BC_COND_NOT_EXISTS}},
        {.name = "u1", .sk = {"N"}, .update = true},
        {.name = "u2", .sk = {"N"}, .update = true},
    };
    enum { J = sizeof jobs / sizeof jobs[0] };
    pthread_t th[J];
    unsigned long long g0, w0, g1, w1;
    queue_counts(s, &g0, &w0, NULL);
    MDB_txn *lock; /* LMDB's write lock, held by the test: the plug's group cannot start */
    assert_int_equal(mdb_txn_begin(st->env, NULL, 0, &lock), 0);
    for (int i = 0; i < J; i++) {
        jobs[i].s = s;
        assert_int_equal(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
        /* the plug leads (it left the queue); every later writer waits in it, in this order */
        if (i == 0) {
            for (int k = 0; k < 10000; k++) {
                unsigned long long g;
                queue_counts(s, &g, NULL, NULL);
                if (g > g0) break;
                nanosleep(&(struct timespec){0, 1000000}, NULL);
            }
        } else {
            wait_queued(s, (size_t)i);
        }
    }
    mdb_txn_abort(lock);
    for (int i = 0; i < J; i++) pthread_join(th[i], NULL);
    queue_counts(s, &g1, &w1, NULL);
    assert_int_equal(g1 - g0, 2); /* the plug alone, then everyone else together */
    assert_int_equal(w1 - w0, J);

    assert_int_equal(jobs[0].rc, 0);
    assert_int_equal(jobs[1].rc, 0);
    assert_int_equal(jobs[2].rc, BC_ECOND);
    assert_int_equal(jobs[2].failed, 1);
    assert_int_equal(jobs[3].rc, 0);
    assert_int_equal(jobs[4].rc, BC_ECOND);
    assert_int_equal(jobs[4].failed, 2);
    assert_int_equal(jobs[5].rc, 0);
    assert_int_equal(jobs[6].rc, 0);
    assert_int_equal(jobs[7].rc, 0);
    /* the updates ran in arrival order, each on the other's result, and each caller got its own item */
    assert_int_equal(jobs[6].n_after, 1);
    assert_int_equal(jobs[7].n_after, 2);

    char b[32];
    assert_string_equal(owner_of(s, "PLUG", b, sizeof b), "plug");
    assert_string_equal(owner_of(s, "X", b, sizeof b), "E"); /* A claimed it, E (X must exist) rewrote it */
    assert_string_equal(owner_of(s, "A1", b, sizeof b), "A");
    assert_string_equal(owner_of(s, "B1", b, sizeof b), ""); /* B failed: nothing of it */
    assert_string_equal(owner_of(s, "C1", b, sizeof b), "C");
    assert_string_equal(owner_of(s, "X2", b, sizeof b), "C");
    assert_string_equal(owner_of(s, "D1", b, sizeof b), ""); /* D failed at its third write */
    assert_string_equal(owner_of(s, "D2", b, sizeof b), "");
    assert_string_equal(owner_of(s, "E1", b, sizeof b), "E");
    bc_store_close(s);
}

/* One writer at a time never waits for a group: each write is its own group, synced when it wrote something
 * that is not lazy. */
static void test_commit__lone_writer_leads_alone(void **state)
{
    (void)state;
    struct bc_store *s = open_lmdb();
    unsigned long long g0, w0, g1, w1, s0 = syncs_of(s);
    queue_counts(s, &g0, &w0, NULL);
    for (int i = 0; i < 20; i++) {
        char sk[16];
        snprintf(sk, sizeof sk, "L#%d", i);
        json_t *it = item(sk, "lone");
        assert_int_equal(bc_store_put(s, it, &(struct bc_cond){BC_COND_NOT_EXISTS, 0, false}), 0);
        assert_int_equal(bc_store_put(s, it, &(struct bc_cond){BC_COND_NOT_EXISTS, 0, false}), BC_ECOND);
        json_decref(it);
    }
    queue_counts(s, &g1, &w1, NULL);
    assert_int_equal(g1 - g0, 40);
    assert_int_equal(w1 - w0, 40);
    assert_int_equal(syncs_of(s) - s0, 20); /* a failed write made nothing to sync */
    json_t *it = item("LAZY", "lone");
    assert_int_equal(bc_store_put(s, it, &(struct bc_cond){BC_COND_NONE, 0, true}), 0);
    json_decref(it);
    assert_int_equal(syncs_of(s) - s0, 20); /* a lazy write is not synced */
    bc_store_close(s);
}

/* Many threads race for the same few slots with synced batches, as concurrent bookings do: a batch claims
 * a slot (not exists) and writes its own receipt and a log line; the slots are shared, so most claims
 * fail. Exactly one batch wins each slot, the winner is the caller that got 0, a loser left nothing, and
 * only winners were synced, several of them by one sync when they committed while another sync ran. */
enum { T = 8, N = 60, SLOTS = 40 };

struct racer {
    struct bc_store *s;
    int id;
    int won[N];           /* slot won by the i-th batch, or -1 */
    int wins, conds, bad; /* bad: an answer other than 0 or BC_ECOND at index 1 */
};

static void *race(void *arg)
{
    struct racer *r = arg;
    for (int i = 0; i < N; i++) {
        char me[32], slot[16], receipt[48], logline[48];
        int k = (r->id * 7 + i * 3) % SLOTS;
        snprintf(me, sizeof me, "t%d-%d", r->id, i);
        snprintf(slot, sizeof slot, "SLOT#%02d", k);
        snprintf(receipt, sizeof receipt, "RECEIPT#%s", me);
        snprintf(logline, sizeof logline, "LOG#%s", me);
        /* the receipt first: when the claim fails, it must vanish with it */
        struct bc_write w[3] = {{item(receipt, me), {BC_COND_NOT_EXISTS, 0, false}, false},
                                {item(slot, me), {BC_COND_NOT_EXISTS, 0, false}, false},
                                {item(logline, me), {BC_COND_NONE, 0, true}, false}};
        size_t failed = 99;
        int rc = bc_store_put_batch(r->s, w, 3, &failed);
        for (int x = 0; x < 3; x++) json_decref(w[x].item);
        r->won[i] = -1;
        if (rc == 0) {
            r->won[i] = k;
            r->wins++;
        } else if (rc == BC_ECOND && failed == 1) {
            r->conds++;
        } else {
            r->bad++;
        }
    }
    return NULL;
}

static void test_commit__racing_batches(void **state)
{
    (void)state;
    struct bc_store *s = open_lmdb();
    static struct racer r[T];
    pthread_t th[T];
    unsigned long long g0, w0, g1, w1, s0 = syncs_of(s);
    queue_counts(s, &g0, &w0, NULL);
    for (int i = 0; i < T; i++) {
        r[i] = (struct racer){.s = s, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    queue_counts(s, &g1, &w1, NULL);
    int wins = 0, slot_taken[SLOTS] = {0};
    char b[32], want[32], sk[40];
    for (int t = 0; t < T; t++) {
        wins += r[t].wins;
        assert_int_equal(r[t].bad, 0);
        assert_int_equal(r[t].wins + r[t].conds, N);
        for (int i = 0; i < N; i++) {
            snprintf(want, sizeof want, "t%d-%d", t, i);
            snprintf(sk, sizeof sk, "RECEIPT#%s", want);
            if (r[t].won[i] < 0) {
                assert_string_equal(owner_of(s, sk, b, sizeof b), ""); /* all or nothing */
                snprintf(sk, sizeof sk, "LOG#%s", want);
                assert_string_equal(owner_of(s, sk, b, sizeof b), "");
                continue;
            }
            slot_taken[r[t].won[i]]++;
            assert_string_equal(owner_of(s, sk, b, sizeof b), want);
            snprintf(sk, sizeof sk, "SLOT#%02d", r[t].won[i]);
            assert_string_equal(owner_of(s, sk, b, sizeof b), want); /* the answer went to its caller */
        }
    }
    /* every slot was asked for, and won exactly once */
    assert_int_equal(wins, SLOTS);
    for (int k = 0; k < SLOTS; k++) assert_int_equal(slot_taken[k], 1);
    assert_int_equal(w1 - w0, T * N);
    unsigned long long syncs = syncs_of(s) - s0;
    print_message("racing batches: %llu writers in %llu groups, %d won, %llu syncs\n", w1 - w0, g1 - g0, wins,
                  syncs);
    assert_true(syncs >= 1 && syncs <= (unsigned long long)wins); /* only winners sync, some together */
    bc_store_close(s);
}

/* ---- deferred durability (bc_store_defer_begin) ---- */

struct durable_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int called, rc;
    struct bc_store *s;
    unsigned long long syncs_when_called; /* the store's syncs when the callback ran */
};

static void on_durable(void *ud, int rc)
{
    struct durable_wait *d = ud;
    unsigned long long syncs = syncs_of(d->s);
    pthread_mutex_lock(&d->mu);
    d->called++;
    if (rc < 0) d->rc = rc;
    d->syncs_when_called = syncs;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static void durable_init(struct durable_wait *d, struct bc_store *s)
{
    *d = (struct durable_wait){.s = s};
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
}

/* Waits (up to 10 s) until the callback ran n times in all. */
static void durable_wait_for(struct durable_wait *d, int n)
{
    pthread_mutex_lock(&d->mu);
    for (int i = 0; i < 1000 && d->called < n; i++) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 10000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&d->cv, &d->mu, &until);
    }
    int called = d->called;
    pthread_mutex_unlock(&d->mu);
    assert_int_equal(called, n);
}

static void durable_destroy(struct durable_wait *d)
{
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
}

static int put_one(struct bc_store *s, const char *sk, bool lazy)
{
    json_t *it = item(sk, "deferred");
    struct bc_cond c = {BC_COND_NONE, 0, lazy};
    int rc = bc_store_put(s, it, &c);
    json_decref(it);
    return rc;
}

/* In a deferral span a durable write returns once committed, without a sync, and is seen at once; its
 * ticket's callback runs only after a sync, once; a synced ticket has nothing left to wait for. Lazy
 * writes and writes outside a span put nothing in a ticket; outside a span a write syncs itself. */
static void test_commit__deferred_write_waits_in_its_ticket(void **state)
{
    (void)state;
    struct bc_store *s = open_lmdb();
    char buf[64];
    unsigned long long s0 = syncs_of(s);

    struct bc_store_ticket t = {0};
    bc_store_defer_begin(&t);
    assert_int_equal(put_one(s, "d1", false), 0);
    assert_int_equal(put_one(s, "d2", false), 0);
    bc_store_defer_end(&t);
    assert_ptr_equal(t.store, s);
    assert_true(t.seq >= 2);
    assert_int_equal(syncs_of(s), s0); /* committed, not synced */
    struct bc__lmdb_commit_stats cs;
    assert_int_equal(bc__lmdb_commit_stats(s, &cs), 0);
    assert_int_equal(cs.deferred, 2);
    assert_string_equal(owner_of(s, "d2", buf, sizeof buf), "deferred");

    struct durable_wait d;
    durable_init(&d, s);
    assert_true(bc_store_when_durable(&t, on_durable, &d));
    durable_wait_for(&d, 1);
    assert_int_equal(d.rc, 0);
    assert_true(d.syncs_when_called > s0);                   /* called back after a sync */
    assert_false(bc_store_when_durable(&t, on_durable, &d)); /* durable now: nothing to wait for */

    /* lazy writes in a span, and durable ones outside it, leave the ticket empty */
    struct bc_store_ticket lazy = {0};
    bc_store_defer_begin(&lazy);
    assert_int_equal(put_one(s, "d3", true), 0);
    bc_store_defer_end(&lazy);
    assert_null(lazy.store);
    assert_false(bc_store_when_durable(&lazy, on_durable, &d));
    unsigned long long s1 = syncs_of(s);
    assert_int_equal(put_one(s, "d4", false), 0);
    assert_true(syncs_of(s) > s1); /* outside a span the write synced before it returned */
    assert_int_equal(bc__lmdb_commit_stats(s, &cs), 0);
    assert_int_equal(cs.deferred, 2);

    bc_store_close(s);
    assert_int_equal(d.called, 1);
    durable_destroy(&d);
}

/* A ticket holds one store's writes: in a span begun with a ticket of store a, a write to store b waits for
 * its own sync and adds nothing to the ticket. */
static void test_commit__ticket_keeps_to_its_store(void **state)
{
    (void)state;
    struct bc_store *a = open_lmdb(), *b = open_lmdb();
    struct bc_store_ticket t = {0};
    bc_store_defer_begin(&t);
    assert_int_equal(put_one(a, "x", false), 0);
    bc_store_defer_end(&t);
    uint64_t seq = t.seq;
    assert_ptr_equal(t.store, a);

    unsigned long long b0 = syncs_of(b);
    bc_store_defer_begin(&t);
    assert_int_equal(put_one(b, "y", false), 0);
    bc_store_defer_end(&t);
    assert_true(syncs_of(b) > b0);
    assert_ptr_equal(t.store, a);
    assert_int_equal(t.seq, seq);

    struct durable_wait d;
    durable_init(&d, a);
    if (bc_store_when_durable(&t, on_durable, &d)) durable_wait_for(&d, 1);
    bc_store_close(a);
    bc_store_close(b);
    durable_destroy(&d);
}

/* Callbacks added while the syncs are busy share the next sync: with the queue's sync slots taken (the
 * test pretends SYNCS_MAX syncs run), 20 deferred writes and their callbacks pile up; released, one sync
 * answers all of them. And closing the store answers a callback still waiting. */
static void test_commit__deferred_writes_share_a_sync(void **state)
{
    (void)state;
    struct bc_store *s = open_lmdb();
    struct bc__lmdb_queue *q = queue_of(s);
    pthread_mutex_lock(&q->mu);
    unsigned busy = q->syncing;
    q->syncing = 1000; /* every sync slot taken */
    pthread_mutex_unlock(&q->mu);

    unsigned long long s0 = syncs_of(s);
    struct durable_wait d;
    durable_init(&d, s);
    enum { CALLBACKS = 20 };
    for (int i = 0; i < CALLBACKS; i++) {
        char sk[16];
        snprintf(sk, sizeof sk, "s%d", i);
        struct bc_store_ticket t = {0};
        bc_store_defer_begin(&t);
        assert_int_equal(put_one(s, sk, false), 0);
        bc_store_defer_end(&t);
        assert_true(bc_store_when_durable(&t, on_durable, &d));
    }
    nanosleep(&(struct timespec){0, 20000000}, NULL);
    pthread_mutex_lock(&d.mu);
    assert_int_equal(d.called, 0); /* nothing answered before a sync */
    pthread_mutex_unlock(&d.mu);

    pthread_mutex_lock(&q->mu);
    q->syncing = busy;
    pthread_cond_broadcast(&q->sync_done);
    pthread_mutex_unlock(&q->mu);
    durable_wait_for(&d, CALLBACKS);
    assert_int_equal(d.rc, 0);
    assert_int_equal(syncs_of(s) - s0, 1);

    /* closing answers what still waits */
    struct bc_store_ticket t = {0};
    bc_store_defer_begin(&t);
    assert_int_equal(put_one(s, "last", false), 0);
    bc_store_defer_end(&t);
    assert_true(bc_store_when_durable(&t, on_durable, &d));
    bc_store_close(s);
    assert_int_equal(d.called, CALLBACKS + 1);
    durable_destroy(&d);
}

int main(void)
{
    bc_clock_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit__one_group_keeps_each_batch_whole),
        cmocka_unit_test(test_commit__lone_writer_leads_alone),
        cmocka_unit_test(test_commit__racing_batches),
        cmocka_unit_test(test_commit__deferred_write_waits_in_its_ticket),
        cmocka_unit_test(test_commit__ticket_keeps_to_its_store),
        cmocka_unit_test(test_commit__deferred_writes_share_a_sync),
    };
    return cmocka_run_group_tests_name("lmdb_commit", tests, NULL, NULL);
}
