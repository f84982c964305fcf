/* Metering (domain/usage.c, usage_meter.c, usage_flush.c): exact counts after a flush, the limit boundary
 * under threads, raising a limit, another process's counts, two processes on one store (counts, limits and
 * the peak per minute), two stores in one process, a flush that fails half-way, the month rollover, the
 * origins' top 100, the AI budget and the report. */
#include "../testlib.h"

#include "domain/plan.h"
#include "domain/usage.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fault.h"

#include <pthread.h>
#include <sys/wait.h>

static struct bc_env *open_store(char *url, size_t size)
{
    struct bc_store *s = NULL;
    char err[256];
    bc_test_store_url(url, size, "usage");
    if (bc_store_open(url, &s, err, sizeof err) < 0) fail_msg("store: %s", err);
    struct bc_env *env = bc_test_env(s);
    assert_int_equal(bc_plan_ensure_defaults(env), 0);
    return env;
}

/* The tenants these tests count for: usage is only written for a tenant whose META item exists. */
static void put_tenants(struct bc_store *s)
{
    const char *names[] = {"ai",   "ai-free", "rep",   "busy", "flaky", "many", "monthly", "other",
                           "pair", "shared",  "small", "t1",   "t2",    "twin", "twin-lim"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char pk[128];
        snprintf(pk, sizeof pk, "TENANT#%s", names[i]);
        json_t *meta =
            json_pack("{s:s, s:s, s:s, s:s}", "PK", pk, "SK", "META", "id", names[i], "status", "ACTIVE");
        assert_int_equal(bc_store_put(s, meta, NULL), 0);
        json_decref(meta);
    }
}

static int setup(void **state)
{
    char url[600];
    bc_fault_reset();
    struct bc_env *env = open_store(url, sizeof url);
    *state = env;
    put_tenants(env->store);
    return 0;
}

static int teardown(void **state)
{
    bc_fault_reset();
    bc_test_env_close(*state);
    return 0;
}

static json_t *month_item(struct bc_store *s, const char *tenant)
{
    char pk[128], sk[64], month[8];
    json_t *it = NULL;
    bc_usage_month_parse(NULL, month);
    snprintf(pk, sizeof pk, "TENANT#%s", tenant);
    snprintf(sk, sizeof sk, "USAGE#%s", month);
    if (bc_store_get(s, pk, sk, &it) < 0) return json_object();
    return it;
}

static long long attr(json_t *it, const char *name)
{
    return (long long)json_integer_value(json_object_get(it, name));
}

static void test_usage__flush_counts_exactly(void **state)
{
    struct bc_env *env = *state;
    struct bc_store *s = env->store;
    for (int i = 0; i < 37; i++)
        assert_int_equal(bc_usage_take(env, "t1", BC_USAGE_BOOKINGS, 1, BC_UNLIMITED), 0);
    for (int i = 0; i < 5; i++) bc_usage_add(env, "t1", BC_USAGE_CANCELLATIONS, 1);
    for (int i = 0; i < 3; i++) bc_usage_add(env, "t1", BC_USAGE_MESSAGES, 1);
    bc_usage_request(env, "t1", 200, NULL, "https://a.example.com");
    bc_usage_request(env, "t1", 404, "not_found", NULL);
    bc_usage_request(env, "t1", 503, "unavailable", "https://a.example.com");
    bc_usage_add(env, "t2", BC_USAGE_BOOKINGS, 2);
    assert_true(bc_usage_flush(env) > 0);
    json_t *it = month_item(s, "t1");
    assert_int_equal(attr(it, "bookings"), 37);
    assert_int_equal(attr(it, "cancellations"), 5);
    assert_int_equal(attr(it, "messages"), 3);
    assert_int_equal(attr(it, "requests"), 3);
    assert_int_equal(attr(it, "errors_4xx"), 1);
    assert_int_equal(attr(it, "errors_5xx"), 1);
    assert_int_equal(attr(it, "e4:not_found"), 1);
    assert_int_equal(attr(it, "e5:unavailable"), 1);
    assert_int_equal(attr(it, "o:https://a.example.com"), 2);
    assert_int_equal(attr(it, "peak_rpm"), 3);
    json_decref(it);
    it = month_item(s, "t2");
    assert_int_equal(attr(it, "bookings"), 2);
    assert_int_equal(attr(it, "requests"), 0);
    json_decref(it);
    /* nothing pending: a second flush writes nothing and changes nothing */
    assert_int_equal(bc_usage_flush(env), 0);
    it = month_item(s, "t1");
    assert_int_equal(attr(it, "bookings"), 37);
    json_decref(it);
    /* the day's sums agree with the month's */
    json_t *recent = NULL;
    assert_int_equal(bc_usage_recent(env, "t1", 7, &recent), 0);
    assert_int_equal(attr(recent, "bookings"), 37);
    assert_int_equal(attr(recent, "requests"), 3);
    json_decref(recent);
}

/* Counts taken while a tenant was active, then the tenant purged (by another process) before the flush:
 * nothing may be written back into its emptied partition; other tenants' counts are written as usual. */
static void test_usage__a_purged_tenant_gets_nothing_written(void **state)
{
    struct bc_env *env = *state;
    struct bc_store *s = env->store;
    bc_usage_request(env, "t1", 200, NULL, "https://a.example.com");
    bc_usage_add(env, "t1", BC_USAGE_BOOKINGS, 3);
    bc_usage_add(env, "t2", BC_USAGE_BOOKINGS, 2);
    assert_int_equal(bc_store_delete(s, "TENANT#t1", "META", NULL), 0); /* the purge */
    assert_true(bc_usage_flush(env) > 0);
    struct bc_query q = {.pk = "TENANT#t1", .sk_prefix = ""};
    struct bc_query_result r;
    assert_int_equal(bc_store_query(s, &q, &r), 0);
    assert_int_equal(json_array_size(r.items), 0);
    bc_query_result_release(&r);
    json_t *it = month_item(s, "t2");
    assert_int_equal(attr(it, "bookings"), 2);
    json_decref(it);
    assert_int_equal(bc_usage_flush(env), 0); /* dropped, not kept for a retry */
}

struct race {
    struct bc_env *env;
    int ok, refused;
};

static void *racer(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < 200; i++) {
        int rc = bc_usage_take(r->env, "busy", BC_USAGE_MESSAGES, 1, 300);
        if (rc == 0)
            r->ok++;
        else if (rc == BC_EPLAN)
            r->refused++;
        if (i % 50 == 49) bc_usage_flush(r->env); /* flushes interleave with takes */
    }
    return NULL;
}

static void test_usage__limit_exact_under_threads(void **state)
{
    struct bc_env *env = *state;
    struct bc_store *s = env->store;
    pthread_t th[4];
    struct race r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (struct race){env, 0, 0};
        pthread_create(&th[i], NULL, racer, &r[i]);
    }
    int ok = 0, refused = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ok += r[i].ok;
        refused += r[i].refused;
    }
    assert_int_equal(ok, 300);
    assert_int_equal(refused, 500);
    assert_int_equal(bc_usage_estimate(env, "busy", BC_USAGE_MESSAGES), 300);
    assert_int_equal(bc_usage_check(env, "busy", BC_USAGE_MESSAGES, 300), BC_EPLAN);
    assert_int_equal(bc_usage_check(env, "busy", BC_USAGE_MESSAGES, 301), 0);
    assert_true(bc_usage_flush(env) >= 0);
    json_t *it = month_item(s, "busy");
    assert_int_equal(attr(it, "messages"), 300);
    json_decref(it);
}

static void test_usage__raising_the_limit_lets_the_next_through(void **state)
{
    struct bc_env *env = *state;
    for (int i = 0; i < 5; i++) assert_int_equal(bc_usage_take(env, "small", BC_USAGE_MESSAGES, 1, 5), 0);
    assert_int_equal(bc_usage_take(env, "small", BC_USAGE_MESSAGES, 1, 5), BC_EPLAN);
    assert_int_equal(bc_usage_take(env, "other", BC_USAGE_MESSAGES, 1, 5),
                     0); /* another tenant: unaffected */
    assert_int_equal(bc_usage_take(env, "small", BC_USAGE_MESSAGES, 1, 6), 0);
    assert_int_equal(bc_usage_take(env, "small", BC_USAGE_MESSAGES, 1, 6), BC_EPLAN);
    /* a reservation given back frees its place */
    bc_usage_add(env, "small", BC_USAGE_MESSAGES, -1);
    assert_int_equal(bc_usage_take(env, "small", BC_USAGE_MESSAGES, 1, 6), 0);
    assert_int_equal(bc_usage_take(env, "small", BC_USAGE_MESSAGES, 1, BC_UNLIMITED), 0);
    assert_int_equal(bc_usage_take(env, "small", BC_USAGE_MESSAGES, 1, 0), BC_EPLAN);
    assert_int_equal(bc_usage_take(env, "bad#id", BC_USAGE_MESSAGES, 1, 10), BC_EINVALID);
}

static void test_usage__sees_another_process_after_a_refresh(void **state)
{
    struct bc_env *env = *state;
    struct bc_store *s = env->store;
    assert_int_equal(bc_usage_take(env, "shared", BC_USAGE_BOOKINGS, 1, 10), 0);
    /* another process flushed 8 bookings of this month */
    char month[8], sk[32];
    bc_usage_month_parse(NULL, month);
    snprintf(sk, sizeof sk, "USAGE#%s", month);
    json_t *add = json_pack("{s:i}", "bookings", 8);
    struct bc_update u = {NULL, add, NULL};
    assert_int_equal(bc_store_update(s, "TENANT#shared", sk, &u, NULL, NULL), 0);
    json_decref(add);
    assert_int_equal(bc_usage_estimate(env, "shared", BC_USAGE_BOOKINGS), 1); /* not seen yet */
    bc_clock_advance(2);                                                      /* past the refresh interval */
    assert_int_equal(bc_usage_take(env, "shared", BC_USAGE_BOOKINGS, 1, 10), 0);
    assert_int_equal(bc_usage_estimate(env, "shared", BC_USAGE_BOOKINGS), 10);
    assert_int_equal(bc_usage_take(env, "shared", BC_USAGE_BOOKINGS, 1, 10), BC_EPLAN);
    assert_true(bc_usage_flush(env) >= 0);
    json_t *it = month_item(s, "shared");
    assert_int_equal(attr(it, "bookings"), 10);
    json_decref(it);
}

/* A child process: takes up to `tries` messages against limit, counts `requests` requests, flushing every
 * `every` takes; writes how many takes succeeded to fd. */
static void child(const char *url, int tries, int64_t limit, int requests, int every, int fd)
{
    struct bc_store *s = NULL;
    char err[256];
    if (bc_store_open(url, &s, err, sizeof err) < 0) _exit(3);
    struct bc_env *env = bc_test_env(s);
    int ok = 0;
    for (int i = 0; i < tries; i++) {
        if (bc_usage_take(env, "pair", BC_USAGE_MESSAGES, 1, limit) == 0) ok++;
        if (i % every == every - 1 && bc_usage_flush(env) < 0) _exit(4);
    }
    for (int i = 0; i < requests; i++) bc_usage_request(env, "pair", 200, NULL, NULL);
    if (bc_usage_flush(env) < 0) _exit(5);
    bc_test_env_close(env);
    if (write(fd, &ok, sizeof ok) != sizeof ok) _exit(6);
    _exit(0);
}

static void test_usage__two_processes_add_up(void **state)
{
    char url[600];
    struct bc_env *env = *state;
    struct bc_store *s = env->store;
    /* start at the top of a minute so that both processes' requests fall in the same one */
    bc_clock_advance(60 - bc_now_s() % 60);
    snprintf(url, sizeof url, "%s", s->url);
    bc_test_env_close(env); /* LMDB: no environment open across fork */
    *state = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) child(url, 150, 200, 400, 10, fds[1]);
    }
    int total = 0;
    for (int i = 0; i < 2; i++) {
        int st = 0, ok = 0;
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
        assert_int_equal(read(fds[0], &ok, sizeof ok), (ssize_t)sizeof ok);
        total += ok;
    }
    close(fds[0]);
    close(fds[1]);
    char err[256];
    assert_int_equal(bc_store_open(url, &s, err, sizeof err), 0);
    env = bc_test_env(s);
    *state = env;
    json_t *it = month_item(s, "pair");
    /* the store holds exactly what both accepted, which is the limit give or take one flush window */
    assert_int_equal(attr(it, "messages"), total);
    assert_true(total >= 200);
    assert_true(total <= 200 + 2 * 10);
    assert_int_equal(attr(it, "requests"), 800);
    assert_int_equal(attr(it, "peak_rpm"), 800); /* the minute's total across both, not either one's */
    json_decref(it);
}

/* The store's update calls so far (a batch counts once), from its Prometheus text. */
static long store_updates(struct bc_store *s)
{
    struct bc_buf b = BC_BUF_INIT;
    bc_store_metrics(s, &b);
    const char *needle = "bookchat_store_operation_duration_seconds_count{op=\"update\"} ";
    const char *at = b.data ? strstr(b.data, needle) : NULL;
    long n = at ? strtol(at + strlen(needle), NULL, 10) : -1;
    bc_buf_release(&b);
    return n;
}

/* A flush after reads spread over many tenants: the same numbers as one tenant at a time (requests, errors,
 * peak per minute, last activity), four items per tenant (hour, day, month, state: the peaks ride on the
 * day's and month's writes) and a handful of store batches instead of one write per item. */
static void test_usage__many_tenants_flush_in_few_batches(void **state)
{
    struct bc_env *env = *state;
    struct bc_store *s = env->store;
    enum { N = 100 };
    char id[32];
    for (int i = 0; i < N; i++) {
        char pk[64];
        snprintf(id, sizeof id, "spread-%03d", i);
        snprintf(pk, sizeof pk, "TENANT#%s", id);
        json_t *meta =
            json_pack("{s:s, s:s, s:s, s:s}", "PK", pk, "SK", "META", "id", id, "status", "ACTIVE");
        assert_int_equal(bc_store_put(s, meta, NULL), 0);
        json_decref(meta);
        for (int k = 0; k <= i % 4; k++) bc_usage_request(env, id, k == 0 && i % 2 ? 404 : 200, NULL, NULL);
    }
    struct bc_usage_stats st0, st1;
    bc_usage_stats(env, &st0);
    long u0 = store_updates(s);
    assert_true(bc_usage_flush(env) > 0);
    bc_usage_stats(env, &st1);
    long u1 = store_updates(s);
    assert_int_equal(st1.items_written - st0.items_written, 4 * N);
    assert_true(u1 - u0 <= 8); /* 4 groups of 32 tenants; one write per item made 6 * N + … */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(id, sizeof id, "spread-%03d", i);
            json_t *it = month_item(s, id);
            int want = i % 4 + 1 + round; /* the second round adds one request in the same minute */
            assert_int_equal(attr(it, "requests"), want);
            assert_int_equal(attr(it, "peak_rpm"), want);
            assert_int_equal(attr(it, "errors_4xx"), i % 2);
            json_decref(it);
            json_t *recent = NULL;
            assert_int_equal(bc_usage_recent(env, id, 1, &recent), 0);
            assert_int_equal(attr(recent, "requests"), want);
            json_decref(recent);
            int64_t last = 0, open = -1;
            assert_int_equal(bc_usage_state(env, id, &last, &open), 0);
            assert_true(last > 0);
            assert_int_equal(open, 0);
        }
        if (round == 1) break;
        /* a second flush: the day's peak grows from the stored one (a version-checked write) */
        for (int i = 0; i < N; i++) {
            snprintf(id, sizeof id, "spread-%03d", i);
            bc_usage_request(env, id, 200, NULL, NULL);
        }
        u0 = store_updates(s);
        bc_usage_stats(env, &st0);
        assert_true(bc_usage_flush(env) > 0);
        bc_usage_stats(env, &st1);
        assert_int_equal(st1.items_written - st0.items_written, 3 * N); /* the state is not due again */
        assert_true(store_updates(s) - u0 <= 8);
    }
    /* the day's report agrees */
    json_t *meta = json_pack("{s:s, s:s}", "id", "spread-003", "plan", "FREE"), *rep = NULL;
    char month[8];
    bc_usage_month_parse(NULL, month);
    assert_int_equal(bc_usage_report(env, meta, month, &rep), 0);
    json_t *totals = json_object_get(rep, "totals");
    assert_int_equal(attr(totals, "requests"), 5);
    assert_int_equal(attr(totals, "peak_rpm"), 5);
    json_decref(rep);
    json_decref(meta);
}

static void test_usage__failed_flush_keeps_counts_and_never_doubles(void **state)
{
    struct bc_env *env = *state;
    struct bc_store *s = env->store;
    for (int i = 0; i < 4; i++) bc_usage_add(env, "flaky", BC_USAGE_BOOKINGS, 1);
    bc_usage_request(env, "flaky", 200, NULL, NULL);
    /* the month write fails after the hour and day items were written */
    assert_int_equal(bc_fault_arm(BC_FAULT_USAGE_MONTH_WRITE, 1), 0);
    assert_true(bc_usage_flush(env) < 0);
    bc_usage_add(env, "flaky", BC_USAGE_BOOKINGS, 1); /* new counts meanwhile */
    json_t *it = month_item(s, "flaky");
    assert_int_equal(attr(it, "bookings"), 0);
    json_decref(it);
    /* every write fails: nothing is lost either */
    assert_int_equal(bc_fault_arm(BC_FAULT_USAGE_WRITE, 100), 0);
    assert_true(bc_usage_flush(env) < 0);
    bc_fault_reset();
    assert_true(bc_usage_flush(env) > 0);
    it = month_item(s, "flaky");
    assert_int_equal(attr(it, "bookings"), 5);
    assert_int_equal(attr(it, "requests"), 1);
    assert_int_equal(attr(it, "peak_rpm"), 1);
    json_decref(it);
    json_t *recent = NULL;
    assert_int_equal(bc_usage_recent(env, "flaky", 1, &recent), 0);
    assert_int_equal(attr(recent, "bookings"), 5); /* the day item was not written twice */
    assert_int_equal(attr(recent, "requests"), 1);
    json_decref(recent);
    struct bc_usage_stats st;
    bc_usage_stats(env, &st);
    assert_true(st.flush_errors >= 2);
}

static void test_usage__a_new_month_starts_from_zero(void **state)
{
    struct bc_env *env = *state;
    struct bc_store *s = env->store;
    for (int i = 0; i < 3; i++) assert_int_equal(bc_usage_take(env, "monthly", BC_USAGE_MESSAGES, 1, 3), 0);
    assert_int_equal(bc_usage_take(env, "monthly", BC_USAGE_MESSAGES, 1, 3), BC_EPLAN);
    char before[8], after[8];
    bc_usage_month_parse(NULL, before);
    bc_clock_advance(32 * 86400);
    bc_usage_month_parse(NULL, after);
    assert_string_not_equal(before, after);
    assert_int_equal(bc_usage_take(env, "monthly", BC_USAGE_MESSAGES, 1, 3), 0);
    assert_int_equal(bc_usage_estimate(env, "monthly", BC_USAGE_MESSAGES), 1);
    assert_true(bc_usage_flush(env) > 0);
    char pk[] = "TENANT#monthly", sk[32];
    json_t *it = NULL;
    snprintf(sk, sizeof sk, "USAGE#%s", before);
    assert_int_equal(bc_store_get(s, pk, sk, &it), 0);
    assert_int_equal(attr(it, "messages"), 3); /* the old month's deltas went to the old month */
    json_decref(it);
    snprintf(sk, sizeof sk, "USAGE#%s", after);
    assert_int_equal(bc_store_get(s, pk, sk, &it), 0);
    assert_int_equal(attr(it, "messages"), 1);
    json_decref(it);
}

static void test_usage__origins_keep_the_top_100(void **state)
{
    struct bc_env *env = *state;
    char o[64];
    long long total = 0;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 100; i++) {
            snprintf(o, sizeof o, "https://s%d.example.com", round * 100 + i);
            int n = round == 0 && i < 10 ? 5 : 1; /* ten frequent ones */
            for (int k = 0; k < n; k++) bc_usage_request(env, "many", 200, NULL, o);
            total += n;
        }
        assert_true(bc_usage_flush(env) > 0);
    }
    json_t *t = NULL;
    char month[8];
    bc_usage_month_parse(NULL, month);
    assert_int_equal(bc_usage_month_totals(env, "many", month, &t), 0);
    json_t *origins = json_object_get(t, "origins");
    assert_int_equal(json_array_size(origins), 100);
    assert_int_equal(attr(json_array_get(origins, 0), "count"), 5);
    long long sum = attr(t, "origins_other");
    size_t i;
    json_t *e;
    json_array_foreach(origins, i, e) sum += attr(e, "count");
    assert_int_equal(sum, total); /* pruned counts are folded, not lost */
    json_decref(t);
}

static void test_usage__ai_tokens_and_budget(void **state)
{
    struct bc_env *env = *state;
    json_t *tenant =
        json_pack("{s:s, s:s, s:{s:i}}", "id", "ai", "plan", "BUSINESS", "limits", "ai_tokens_month", 100);
    assert_true(bc_usage_ai_budget_left(env, tenant));
    bc_usage_ai(env, "ai", "anthropic/claude-haiku", 60, 30);
    assert_true(bc_usage_ai_budget_left(env, tenant));
    bc_usage_ai(env, "ai", "anthropic/claude-haiku", 10, 5);
    int64_t used = 0;
    assert_int_equal(bc_usage_month_count(env, "ai", BC_USAGE_AI_TOKENS, &used), 0);
    assert_int_equal(used, 105);
    assert_false(bc_usage_ai_budget_left(env, tenant));
    assert_int_equal(bc_usage_check_plan(env, tenant, BC_USAGE_AI_TOKENS), BC_EPLAN);
    json_t *free_plan = json_pack("{s:s, s:s}", "id", "ai-free", "plan", "FREE");
    assert_false(bc_usage_ai_budget_left(env, free_plan)); /* FREE has no AI tokens */
    assert_true(bc_usage_flush(env) > 0);
    json_t *t = NULL;
    char month[8];
    bc_usage_month_parse(NULL, month);
    assert_int_equal(bc_usage_month_totals(env, "ai", month, &t), 0);
    json_t *ai = json_object_get(t, "ai_tokens");
    assert_int_equal(attr(ai, "total"), 105);
    assert_int_equal(attr(ai, "in"), 70);
    assert_int_equal(attr(ai, "out"), 35);
    assert_int_equal(attr(ai, "calls"), 2);
    assert_int_equal(attr(json_object_get(json_object_get(ai, "by_model"), "anthropic/claude-haiku"), "in"),
                     70);
    json_decref(t);
    json_decref(tenant);
    json_decref(free_plan);
}

static void test_usage__report_has_days_limits_and_percentages(void **state)
{
    struct bc_env *env = *state;
    json_t *tenant =
        json_pack("{s:s, s:s, s:{s:i}}", "id", "rep", "plan", "FREE", "limits", "messages_month", 200);
    for (int i = 0; i < 50; i++) assert_int_equal(bc_usage_take_plan(env, tenant, BC_USAGE_MESSAGES, 1), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(bc_usage_take_plan(env, tenant, BC_USAGE_BOOKINGS, 1), 0);
    assert_true(bc_usage_flush(env) > 0);
    char month[8];
    json_t *r = NULL;
    bc_usage_month_parse(NULL, month);
    assert_int_equal(bc_usage_report(env, tenant, month, &r), 0);
    assert_string_equal(json_string_value(json_object_get(r, "timezone")), "UTC");
    assert_int_equal(attr(json_object_get(r, "totals"), "messages"), 50);
    assert_int_equal(attr(json_object_get(r, "limits"), "messages_month"), 200);
    assert_int_equal(attr(json_object_get(r, "limits"), "bookings_month"), 50);
    assert_true(json_is_null(json_object_get(json_object_get(r, "used_pct"), "ai_tokens")));
    assert_float_equal(json_number_value(json_object_get(json_object_get(r, "used_pct"), "messages")), 25.0,
                       0.01);
    assert_float_equal(json_number_value(json_object_get(json_object_get(r, "used_pct"), "bookings")), 10.0,
                       0.01);
    json_t *days = json_object_get(r, "days");
    json_t *last = json_array_get(days, json_array_size(days) - 1);
    assert_int_equal(attr(last, "messages"), 50); /* today is the last day of the series */
    assert_int_equal(json_array_size(days),
                     (size_t)strtol(json_string_value(json_object_get(last, "date")) + 8, NULL, 10));
    json_decref(r);
    assert_int_equal(bc_usage_month_parse("2026-13", month), BC_EINVALID);
    assert_int_equal(bc_usage_month_parse("26-01", month), BC_EINVALID);
    assert_int_equal(bc_usage_month_parse("2026-02", month), 0);
    json_decref(tenant);
}

/* One attribute of a tenant's month item in a store, as expected. */
struct want {
    struct bc_store *s;
    const char *tenant, *name;
    long long n;
};

static void expect_months(const struct want *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *it = month_item(w[i].s, w[i].tenant);
        assert_int_equal(attr(it, w[i].name), w[i].n);
        json_decref(it);
    }
}

/* Two stores in one process (a dedicated environment, a migration's destination), each with its env:
 * counts, limits and flushes stay apart; the same tenant id is two tenants. Tenants of its own, so that it
 * holds on a store shared by the whole suite (BC_TEST_STORE_URL). */
static void test_usage__two_envs_count_apart(void **state)
{
    struct bc_env *a = *state;
    char dir[512], url[600], err[256];
    struct bc_store *s2 = NULL;
    bc_test_tmpdir(dir, sizeof dir, "usage-b"); /* always a store of its own, whatever the first one is */
    snprintf(url, sizeof url, "lmdb:%s", dir);
    if (bc_store_open(url, &s2, err, sizeof err) < 0) fail_msg("store: %s", err);
    struct bc_env *b = bc_test_env(s2);
    assert_int_equal(bc_plan_ensure_defaults(b), 0);
    put_tenants(s2);
    for (int i = 0; i < 3; i++) bc_usage_add(a, "twin", BC_USAGE_CANCELLATIONS, 1);
    bc_usage_add(b, "twin", BC_USAGE_CANCELLATIONS, 5);
    bc_usage_request(a, "twin", 200, NULL, NULL);
    bc_usage_ai(b, "twin", "anthropic/claude-haiku", 7, 3);
    /* limits: each env reaches the tenant's limit on its own counts */
    for (int i = 0; i < 2; i++) assert_int_equal(bc_usage_take(a, "twin-lim", BC_USAGE_MESSAGES, 1, 2), 0);
    assert_int_equal(bc_usage_take(a, "twin-lim", BC_USAGE_MESSAGES, 1, 2), BC_EPLAN);
    assert_int_equal(bc_usage_take(b, "twin-lim", BC_USAGE_MESSAGES, 1, 2), 0);
    assert_int_equal(bc_usage_estimate(a, "twin-lim", BC_USAGE_MESSAGES), 2);
    assert_int_equal(bc_usage_estimate(b, "twin-lim", BC_USAGE_MESSAGES), 1);
    struct bc_usage_stats sa, sb;
    bc_usage_stats(a, &sa);
    bc_usage_stats(b, &sb);
    assert_int_equal(sa.tenants, 2);
    assert_int_equal(sb.tenants, 2);
    /* a flush writes its own env's counts to its own store, nothing else */
    assert_true(bc_usage_flush(a) > 0);
    const struct want after_a[] = {{s2, "twin", "cancellations", 0},
                                   {a->store, "twin", "cancellations", 3},
                                   {a->store, "twin", "requests", 1},
                                   {a->store, "twin", "ai_tokens", 0},
                                   {a->store, "twin-lim", "messages", 2}},
                      after_b[] = {
                          {s2, "twin", "cancellations", 5},       {s2, "twin", "requests", 0},
                          {s2, "twin", "ai_tokens", 10},          {s2, "twin-lim", "messages", 1},
                          {a->store, "twin", "cancellations", 3}, {a->store, "twin-lim", "messages", 2}};
    expect_months(after_a, sizeof after_a / sizeof *after_a);
    assert_true(bc_usage_flush(b) > 0);
    expect_months(after_b, sizeof after_b / sizeof *after_b); /* b's flush left a's store alone */
    bc_usage_stats(a, &sa);
    bc_usage_stats(b, &sb);
    assert_int_equal(sa.flushes, 1);
    assert_int_equal(sb.flushes, 1);
    assert_int_equal(bc_usage_flush(a), 0); /* nothing of b's became a's */
    /* an env freed with counts not yet flushed releases them (nothing is written) */
    bc_usage_request(b, "twin", 404, "not_found", "https://b.example.com");
    bc_test_env_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_usage__flush_counts_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__many_tenants_flush_in_few_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__a_purged_tenant_gets_nothing_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__limit_exact_under_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__raising_the_limit_lets_the_next_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__sees_another_process_after_a_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__two_processes_add_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__failed_flush_keeps_counts_and_never_doubles, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usage__origins_keep_the_top_100, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__ai_tokens_and_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__report_has_days_limits_and_percentages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage__two_envs_count_apart, setup, teardown),
        /* last: it moves the clock a month ahead */
        cmocka_unit_test_setup_teardown(test_usage__a_new_month_starts_from_zero, setup, teardown),
    };
    return cmocka_run_group_tests_name("usage", tests, NULL, NULL);
}
