/* The claim protocol's parts (domain/claim.c, calendar.c "Capacity", sessions.c): seats and units counted on
 * one item, expired claims decided by their booking item (aborted so that they can never be confirmed), and
 * the busy time availability gets from sessions and resources. The whole protocol under races and SIGKILL:
 * tests/api/resources.test.mjs. */
#include "../testlib.h"
#include "empty_tenant.h"

#include "auth/context.h"
#include "auth/secret.h"
#include "domain/availability.h"
#include "domain/calendar.h"
#include "domain/claim.h"
#include "domain/keys.h"
#include "domain/onboarding.h"
#include "domain/plan.h"
#include "domain/sessions.h"
#include "store/store.h"
#include "util/clock.h"
#include "domain/env.h"
#include "util/err.h"
#include "util/kept.h"
#include "util/id.h"

#include <jansson.h>
#include <string.h>

#define NOW_S "1796022000"

static struct bc_env *env;
static struct bc_ctx ctx;
static char tenant[BC_ID_LEN + 1], pk[BC_KEY_SIZE];

static int setup(void **state)
{
    (void)state;
    env = empty_tenant("claim", NOW_S, "Spa", tenant, &ctx);
    assert_non_null(bc_key_tenant_pk(&ctx, pk));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_ctx_release(&ctx);
    bc_test_env_close(env);
    return 0;
}

static const char *const day[] = {"2026-12-01"};
#define T0 1796112000 /* 2026-12-01 09:00 Madrid */

/* A pending booking item (version 1) whose claims expire at exp. */
static void pending_booking(const char *id, int64_t exp)
{
    char sk[BC_KEY_SIZE];
    json_t *b =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "PK", pk, "SK", bc_key_sk(sk, "BOOKING", id), "id", id,
                  "status", "pending", "claim_exp", (json_int_t)exp, "version", (json_int_t)1);
    assert_int_equal(bc_store_put(env->store, b, NULL), 0);
    json_decref(b);
}

static struct bc_cal_entry claim(const char *id, int64_t from, int64_t to, int cap, const char *pro)
{
    return (struct bc_cal_entry){.id = id,
                                 .from = from,
                                 .to = to,
                                 .expires = bc_now_s() + BC_CLAIM_TTL_S,
                                 .service_id = "svc",
                                 .pending = true,
                                 .capacity = cap,
                                 .provider_id = pro};
}

static size_t busy_count(const char *kind, const char *owner)
{
    struct bc_busy *b = NULL;
    size_t n = 0;
    assert_int_equal(bc_cal_busy_of(env, &ctx, kind, owner, day[0], day[0], NULL, &b, &n), 0);
    free(b);
    return n;
}

/* The date items of a busy look-up are kept between look-ups (calendar.c), and every change shows at the very
 * next one: a claim and a removal here, and a claim through another handle of the store (another process). */
static void test_claim__kept_date_items_show_every_change_at_once(void **state)
{
    (void)state;
    bool lmdb = strcmp(env->store->ops->name, "lmdb") == 0;
    struct bc_cal_entry a = claim("K1", T0, T0 + 3600, 1, NULL),
                        b = claim("K2", T0 + 3600, T0 + 7200, 1, NULL),
                        c = claim("K3", T0 + 7200, T0 + 9000, 1, NULL);
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_PROVIDER, "prok", day, 1, &a, 0, NULL), 0);
    assert_int_equal(busy_count(BC_CAL_PROVIDER, "prok"), 1);
    unsigned long taken = bc_kept_taken(env->cal_ranges);
    assert_int_equal(busy_count(BC_CAL_PROVIDER, "prok"), 1);
    if (lmdb) assert_true(bc_kept_taken(env->cal_ranges) > taken);
    struct bc_store *other_store = NULL;
    char err[256] = "";
    assert_int_equal(bc_store_open(empty_tenant_url, &other_store, err, sizeof err), 0);
    struct bc_env *other = bc_test_env(other_store);
    assert_int_equal(bc_cal_claim(other, &ctx, BC_CAL_PROVIDER, "prok", day, 1, &b, 0, NULL), 0);
    bc_test_env_close(other);
    assert_int_equal(busy_count(BC_CAL_PROVIDER, "prok"), 2);
    assert_int_equal(bc_cal_remove_of(env, &ctx, BC_CAL_PROVIDER, "prok", day, 1, "K1"), 0);
    assert_int_equal(busy_count(BC_CAL_PROVIDER, "prok"), 1);
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_PROVIDER, "prok", day, 1, &c, 0, NULL), 0);
    assert_int_equal(busy_count(BC_CAL_PROVIDER, "prok"), 2);
    /* another owner's range is its own */
    assert_int_equal(busy_count(BC_CAL_PROVIDER, "prok2"), 0);
}

/* A resource with 2 units: two overlapping sessions fit, a third that overlaps both does not, one that
 * overlaps only one of them does; the seats of one session share a unit. */
static void test_claim__resource_quantity(void **state)
{
    (void)state;
    struct bc_cal_entry a = claim("A1", T0, T0 + 3600, 1, "p1"),
                        b = claim("B1", T0 + 1800, T0 + 5400, 1, "p2"),
                        c = claim("C1", T0 + 2400, T0 + 3000, 1, "p3"),
                        d = claim("D1", T0 + 3600, T0 + 4000, 1, "p3");
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "room", day, 1, &a, 2, NULL), 0);
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "room", day, 1, &b, 2, NULL), 0);
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "room", day, 1, &c, 2, NULL), BC_ESLOT);
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "room", day, 1, &d, 2, NULL), 0); /* A ended */
    /* a group session of p9: its second seat joins its unit even with the room full around it */
    struct bc_cal_entry g1 = claim("G1", T0 + 7200, T0 + 9000, 5, "p9"),
                        g2 = claim("G2", T0 + 7200, T0 + 9000, 5, "p9"),
                        x = claim("X1", T0 + 7200, T0 + 9000, 1, "p1");
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "hall", day, 1, &g1, 1, NULL), 0);
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "hall", day, 1, &g2, 1, NULL), 0);
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "hall", day, 1, &x, 1, NULL), BC_ESLOT);
    assert_int_equal(busy_count(BC_CAL_RESOURCE, "hall"), 2);
}

/* A professional's calendar: seats of one session up to its capacity, nothing else overlapping. */
static void test_claim__seats(void **state)
{
    (void)state;
    char id[8];
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "S%d", i);
        struct bc_cal_entry e = claim(id, T0, T0 + 3600, 3, NULL);
        assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_PROVIDER, "pro1", day, 1, &e, 0, NULL),
                         i < 3 ? 0 : BC_ESLOT);
    }
    struct bc_cal_entry other = claim("O1", T0 + 1800, T0 + 5400, 3, NULL); /* another interval */
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_PROVIDER, "pro1", day, 1, &other, 0, NULL), BC_ESLOT);
    /* a freed seat can be taken again */
    assert_int_equal(bc_cal_remove_of(env, &ctx, BC_CAL_PROVIDER, "pro1", day, 1, "S1"), 0);
    struct bc_cal_entry again = claim("S9", T0, T0 + 3600, 3, NULL);
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_PROVIDER, "pro1", day, 1, &again, 0, NULL), 0);
}

/* An expired claim: a reader ignores it while its booking is pending and writes nothing; the next writer
 * aborts the booking (whose confirmation then fails) and takes the unit; a confirmed booking's expired claim
 * stays and counts. */
static void test_claim__expired(void **state)
{
    (void)state;
    char sk[BC_KEY_SIZE];
    pending_booking("DEAD1", bc_now_s() + BC_CLAIM_TTL_S);
    pending_booking("DONE1", bc_now_s() + BC_CLAIM_TTL_S);
    struct bc_cal_entry dead = claim("DEAD1", T0, T0 + 3600, 1, "p1"),
                        done = claim("DONE1", T0, T0 + 3600, 1, "p2");
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "laser", day, 1, &dead, 2, NULL), 0);
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "laser", day, 1, &done, 2, NULL), 0);
    /* DONE1 decides (version 1 -> 2) */
    json_t *set = json_pack("{s:s}", "status", "confirmed"), *add = json_pack("{s:i}", "version", 1);
    struct bc_update u = {set, add, NULL};
    struct bc_cond v1 = {BC_COND_VERSION, 1};
    assert_int_equal(bc_store_update(env->store, pk, bc_key_sk(sk, "BOOKING", "DONE1"), &u, &v1, NULL), 0);
    struct bc_cal_entry late = claim("LATE1", T0, T0 + 3600, 1, "p3");
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "laser", day, 1, &late, 2, NULL), BC_ESLOT);
    bc_clock_advance(BC_CLAIM_TTL_S + 1);
    assert_int_equal(busy_count(BC_CAL_RESOURCE, "laser"), 1); /* DEAD1 free for readers, DONE1 counts */
    assert_int_equal(bc__claim_resolve(env, pk, "DONE1", true), 1);
    late = claim("LATE1", T0, T0 + 3600, 1, "p3");
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "laser", day, 1, &late, 2, NULL), 0);
    /* DEAD1 was aborted by that write: its own confirmation can no longer succeed */
    json_t *b = NULL;
    assert_int_equal(bc_store_get(env->store, pk, bc_key_sk(sk, "BOOKING", "DEAD1"), &b), 0);
    assert_string_equal(json_string_value(json_object_get(b, "status")), "failed");
    json_decref(b);
    assert_int_equal(bc_store_update(env->store, pk, sk, &u, &v1, NULL), BC_ECOND);
    json_decref(set);
    json_decref(add);
    /* a third booking: the laser's two units are DONE1's and LATE1's */
    struct bc_cal_entry more = claim("MORE1", T0, T0 + 3600, 1, "p4");
    assert_int_equal(bc_cal_claim(env, &ctx, BC_CAL_RESOURCE, "laser", day, 1, &more, 2, NULL), BC_ESLOT);
    /* completion makes DONE1's claim permanent */
    assert_int_equal(bc_cal_complete(env, &ctx, BC_CAL_RESOURCE, "laser", day, 1, "DONE1"), 0);
    bc_clock_advance(3600);
    assert_int_equal(busy_count(BC_CAL_RESOURCE, "laser"), 1); /* LATE1's claim expired, never confirmed */
}

/* Availability: a session with seats left is joinable at exactly its interval, busy for any other. */
static void test_claim__sessions_busy(void **state)
{
    (void)state;
    struct bc_busy in[4] = {
        {T0, T0 + 3600, "s1", false, 4, "yoga", "", false},
        {T0, T0 + 3600, "s2", false, 4, "yoga", "", false},
        {T0 + 7200, T0 + 9000, "x1", false, 0, "cut", "", false},
        {T0 + 10800, T0 + 14400, "s3", false, 4, "yoga", "", false},
    };
    struct bc_arena arena;
    bc_arena_init(&arena);
    struct bc_availability_busy *out = NULL;
    size_t n = 0;
    assert_int_equal(bc_sessions_busy(in, 4, "yoga", 4, &arena, &out, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].seats_taken, 2);
    assert_int_equal(out[1].seats_taken, 0);
    assert_int_equal(out[2].seats_taken, 1);
    assert_int_equal(bc_sessions_busy(in, 4, "yoga", 2, &arena, &out, &n), 0);
    assert_int_equal(out[0].seats_taken, 0); /* full: plain busy */
    /* a resource of 1 unit used 10:00-11:00 by p1 and 10:30-12:00 by p2: busy for p3 from 10:00 to 12:00 */
    struct bc_res_load rl = {.n = 1};
    struct bc_busy r[2] = {{T0 + 3600, T0 + 7200, "a", false, 0, "cut", "p1", false},
                           {T0 + 5400, T0 + 10800, "b", false, 0, "cut", "p2", false}};
    rl.r[0].quantity = 1;
    rl.r[0].busy = r;
    rl.r[0].n_busy = 2;
    struct bc_availability_pro pro = {0};
    assert_int_equal(bc_sessions_add_resources(&rl, "p3", "cut", 1, &arena, &pro), 0);
    int64_t covered = 0;
    for (size_t i = 0; i < pro.n_busy; i++) covered += pro.busy[i].end - pro.busy[i].start;
    assert_true(covered >= 7200);
    for (size_t i = 0; i < pro.n_busy; i++)
        assert_true(pro.busy[i].start >= T0 + 3600 && pro.busy[i].end <= T0 + 10800);
    bc_arena_release(&arena);
}

/* bc_availability_compute: a group service's slot joins a session (seats_left), an overlapping start is busy.
 */
static void test_claim__availability_seats(void **state)
{
    (void)state;
    struct bc_availability_rule rule = {2, "09:00", "13:00"}; /* Tuesday 2026-12-01 */
    struct bc_availability_busy busy[] = {{T0, T0 + 3600, 1}};
    struct bc_availability_pro pro = {
        .id = "p1", .zone = "Europe/Madrid", .rules = &rule, .n_rules = 1, .busy = busy, .n_busy = 1};
    struct bc_availability_query q = {.duration_min = 60,
                                      .slot_step_min = 30,
                                      .max_days_ahead = 60,
                                      .now = 1796022000,
                                      .from = "2026-12-01",
                                      .to = "2026-12-01",
                                      .zone = "Europe/Madrid",
                                      .capacity = 3};
    struct bc_arena arena;
    struct bc_availability_slot *slots = NULL;
    bc_arena_init(&arena);
    int n = bc_availability_compute(&q, &pro, 1, &arena, &slots);
    assert_true(n >= 3);
    assert_int_equal(slots[0].start, T0);
    assert_int_equal(slots[0].seats_left, 2);
    assert_int_equal(slots[1].start, T0 + 3600); /* 09:30 overlaps the session: not offered */
    assert_int_equal(slots[1].seats_left, 3);
    assert_int_equal(bc_availability_check(&q, &pro, T0 + 1800), BC_ESLOT);
    assert_int_equal(bc_availability_check(&q, &pro, T0), 0);
    q.capacity = 1; /* not a group service: the session is busy time */
    busy[0].seats_taken = 0;
    assert_int_equal(bc_availability_check(&q, &pro, T0), BC_ESLOT);
    bc_arena_release(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim__resource_quantity),
        cmocka_unit_test(test_claim__kept_date_items_show_every_change_at_once),
        cmocka_unit_test(test_claim__seats),
        cmocka_unit_test(test_claim__expired),
        cmocka_unit_test(test_claim__sessions_busy),
        cmocka_unit_test(test_claim__availability_seats),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
