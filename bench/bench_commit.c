/* The store's commit rate on its own: the ceiling of booking writes. Opens an LMDB environment the way
 * src/store/store_lmdb.c does (MDB_NOTLS | MDB_NOSYNC, 16 GiB map, 4 databases, 1024 readers, an "items"
 * database) and times one-item write transactions, each committed and then made durable with
 * mdb_env_sync(env, 1), as every non-lazy write of the store is (sync=full, the default). Prints one JSON
 * line: commits per second, p50/p99 latency of one commit+sync, and the same without the sync; then, with
 * STORE_THREADS > 0, as store_commits_per_s etc., booking-shaped batches (a claim that must not exist and
 * four more items, ~600 bytes) through the store itself (bc_store_put_batch on an lmdb: store in DIR/store,
 * group commit included) from STORE_THREADS threads: what the store makes of the commit rate when bookings
 * write concurrently. Usage: bench_commit [DIR] [SECONDS] [THREADS] [VALUE_BYTES] [STORE_THREADS]  (DIR must
 * be on the store's file system) */
#include "store/store.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 16
#define MAX_SAMPLES 2000000

struct worker {
    pthread_t th;
    struct bc_store *store; /* run_store's */
    MDB_env *env;
    MDB_dbi dbi;
    int id, sync;
    double seconds;
    size_t value_bytes;
    long commits;
    int failed;
    double *lat_us; /* one sample per commit, up to MAX_SAMPLES / threads */
    long nlat, maxlat;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    char key[64], *val = malloc(w->value_bytes);
    if (!val) {
        w->failed = 1;
        return NULL;
    }
    memset(val, 'x', w->value_bytes);
    double end = now_s() + w->seconds;
    for (long i = 0;; i++) {
        double t0 = now_s();
        if (t0 >= end) break;
        /* a key shaped like the store's (PK \0 SK), new each time: an insert, as a booking's commit is */
        int klen = snprintf(key, sizeof key, "TENANT#BENCH%02d%cCAL#%012ld", w->id, 0, i);
        MDB_txn *txn;
        MDB_val k = {(size_t)klen, key}, v = {w->value_bytes, val};
        int rc = mdb_txn_begin(w->env, NULL, 0, &txn);
        if (!rc) rc = mdb_put(txn, w->dbi, &k, &v, 0);
        if (!rc) {
            rc = mdb_txn_commit(txn);
        } else {
            mdb_txn_abort(txn);
        }
        if (!rc && w->sync) rc = mdb_env_sync(w->env, 1);
        if (rc) {
            fprintf(stderr, "bench_commit: %s\n", mdb_strerror(rc));
            w->failed = 1;
            break;
        }
        w->commits++;
        if (w->nlat < w->maxlat) w->lat_us[w->nlat++] = (now_s() - t0) * 1e6;
    }
    free(val);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs THREADS writers fn (run, run_store) for SECONDS; prints a JSON object's members (no braces). 0 or
 * -1. */
static int measure(void *(*fn)(void *), struct bc_store *store, MDB_env *env, MDB_dbi dbi, int threads,
                   double seconds, size_t value_bytes, int sync, const char *prefix)
{
    struct worker w[MAX_THREADS];
    memset(w, 0, sizeof w);
    double *all = calloc(MAX_SAMPLES, sizeof *all);
    if (!all) return -1;
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.store = store,
                               .env = env,
                               .dbi = dbi,
                               .id = i + (sync ? 0 : MAX_THREADS),
                               .sync = sync,
                               .seconds = seconds,
                               .value_bytes = value_bytes,
                               .lat_us = all + (long)i * (MAX_SAMPLES / threads),
                               .maxlat = MAX_SAMPLES / threads};
        if (pthread_create(&w[i].th, NULL, fn, &w[i]) != 0) return free(all), -1;
    }
    long commits = 0, n = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].th, NULL);
        commits += w[i].commits;
        failed |= w[i].failed;
    }
    double elapsed = now_s() - t0;
    /* gather the samples at the front, then sort */
    for (int i = 0; i < threads; i++) {
        memmove(all + n, w[i].lat_us, (size_t)w[i].nlat * sizeof *all);
        n += w[i].nlat;
    }
    qsort(all, (size_t)n, sizeof *all, cmp_double);
    double p50 = n ? all[(long)(0.50 * (double)(n - 1))] : 0,
           p99 = n ? all[(long)(0.99 * (double)(n - 1))] : 0;
    printf("\"%scommits_per_s\":%.1f,\"%sp50_us\":%.1f,\"%sp99_us\":%.1f,\"%scommits\":%ld", prefix,
           (double)commits / elapsed, prefix, p50, prefix, p99, prefix, commits);
    free(all);
    return failed ? -1 : 0;
}

static void *run_store(void *arg)
{
    struct worker *w = arg;
    char pk[32], sk[5][48], pad[120];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    snprintf(pk, sizeof pk, "TENANT#STORE%02d", w->id);
    double end = now_s() + w->seconds;
    for (long i = 0;; i++) {
        double t0 = now_s();
        if (t0 >= end) break;
        static const char *const kinds[5] = {"IDEM", "BOOKING", "CAL", "BCODE", "BSTART"};
        struct bc_write b[5];
        for (int k = 0; k < 5; k++) {
            snprintf(sk[k], sizeof sk[k], "%s#%012ld", kinds[k], i);
            b[k] = (struct bc_write){json_pack("{s:s, s:s, s:s}", "PK", pk, "SK", sk[k], "pad", pad),
                                     {k == 0 ? BC_COND_NOT_EXISTS : BC_COND_NONE, 0, false},
                                     false};
        }
        int rc = bc_store_put_batch(w->store, b, 5, NULL);
        for (int k = 0; k < 5; k++) json_decref(b[k].item);
        if (rc < 0) {
            fprintf(stderr, "bench_commit: store batch: %d\n", rc);
            w->failed = 1;
            break;
        }
        w->commits++;
        if (w->nlat < w->maxlat) w->lat_us[w->nlat++] = (now_s() - t0) * 1e6;
    }
    return NULL;
}

/* STORE_THREADS writers of booking-shaped batches through the store for SECONDS; prints members. */
static int measure_store(const char *dir, int threads, double seconds)
{
    char url[4200], err[256];
    struct bc_store *s;
    snprintf(url, sizeof url, "lmdb:%s/store", dir);
    if (bc_store_open(url, &s, err, sizeof err) < 0) {
        fprintf(stderr, "bench_commit: %s\n", err);
        return -1;
    }
    printf(",\"store_threads\":%d,", threads);
    int rc = measure(run_store, s, NULL, 0, threads, seconds, 0, 0, "store_");
    bc_store_close(s);
    return rc;
}

int main(int argc, char **argv)
{
    /* bench code: arguments are trusted */
    char tmpl[] = "/tmp/bench-commit-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    size_t value_bytes = argc > 4 ? (size_t)atol(argv[4]) : 600;
    int store_threads = argc > 5 ? atoi(argv[5]) : 0;
    if (!dir || threads < 1 || threads > MAX_THREADS || seconds <= 0 || store_threads < 0 ||
        store_threads > MAX_THREADS) {
        fprintf(stderr,
                "usage: bench_commit [DIR] [SECONDS] [THREADS<=16] [VALUE_BYTES] [STORE_THREADS<=16]\n");
        return 2;
    }
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = mdb_env_create(&env);
    if (!rc) rc = mdb_env_set_maxdbs(env, 4);
    if (!rc) rc = mdb_env_set_maxreaders(env, 1024);
    if (!rc) rc = mdb_env_set_mapsize(env, (size_t)16 << 30);
    if (!rc) rc = mdb_env_open(env, dir, MDB_NOTLS | MDB_NOSYNC, 0600);
    if (!rc) rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (!rc) rc = mdb_dbi_open(txn, "items", MDB_CREATE, &dbi);
    if (!rc) rc = mdb_txn_commit(txn);
    if (rc) {
        fprintf(stderr, "bench_commit: cannot open %s: %s\n", dir, mdb_strerror(rc));
        return 1;
    }
    printf("{\"threads\":%d,\"seconds\":%.1f,\"value_bytes\":%zu,", threads, seconds, value_bytes);
    rc = measure(run, NULL, env, dbi, threads, seconds, value_bytes, 1, "");
    printf(",");
    /* the engine without fsync, for scale: what the disk's flush costs */
    if (rc == 0) rc = measure(run, NULL, env, dbi, threads, seconds / 3, value_bytes, 0, "nosync_");
    mdb_env_close(env);
    if (rc == 0 && store_threads > 0) rc = measure_store(dir, store_threads, seconds);
    printf("}\n");
    if (argc <= 1) {
        char path[64];
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/lock.mdb", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/store/data.mdb", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/store/lock.mdb", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/store", dir);
        rmdir(path);
        rmdir(dir);
    }
    return rc ? 1 : 0;
}
