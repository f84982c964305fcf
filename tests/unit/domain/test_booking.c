/* Bookings (domain/booking.c, booking_change.c, booking_read.c): create, replay with the same
 * Idempotency-Key, a conflict on a taken slot, cancel and reschedule; and each booking fault point armed in
 * both commit paths (a one-day booking: one store batch; one across midnight: write after write), showing
 * that a failure never double-books, never loses an acknowledged booking, leaves the slot free again or the
 * booking complete, and that a retry with the same key gets the same booking. */
#include "../testlib.h"
#include "empty_tenant.h"

#include "auth/context.h"
#include "auth/secret.h"
#include "domain/booking.h"
#include "domain/calendar.h"
#include "domain/catalog.h"
#include "domain/onboarding.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/id.h"

#include <jansson.h>

/* Monday 2026-11-30 08:00 in Madrid: bookings in December are within the default 60 days ahead. */
#define NOW_S "1796022000"

static struct bc_env *env;
static struct bc_ctx ctx;
static char tenant[BC_ID_LEN + 1], svc30[64], svc60[64], ana[64];

static void created_id(json_t *view, const char *kind, char *out)
{
    snprintf(out, 64, "%s", json_string_value(json_object_get(view, "id")));
    if (!*out) fail_msg("no %s id", kind);
}

/* One tenant in Europe/Madrid with a 30-minute and a 60-minute service and one professional, Ana, open every
 * day 00:00-02:00, 09:00-14:00 and 22:00-24:00 (so that 23:30 for 60 minutes spans midnight). */
static int setup(void **state)
{
    char msg[256] = "";
    (void)state;
    env = empty_tenant("booking", NOW_S, "Peluquería", tenant, &ctx);
    json_t *body = json_pack("{s:s, s:i}", "name", "Corte", "duration_min", 30), *v = NULL;
    assert_int_equal(bc_service_create(env, &ctx, body, msg, sizeof msg, &v), 0);
    created_id(v, "service", svc30);
    json_decref(body);
    json_decref(v);
    body = json_pack("{s:s, s:i}", "name", "Color", "duration_min", 60);
    assert_int_equal(bc_service_create(env, &ctx, body, msg, sizeof msg, &v), 0);
    created_id(v, "service", svc60);
    json_decref(body);
    json_decref(v);
    body = json_pack("{s:s, s:[s, s]}", "name", "Ana", "service_ids", svc30, svc60);
    assert_int_equal(bc_provider_create(env, &ctx, body, 100, msg, sizeof msg, &v), 0);
    created_id(v, "provider", ana);
    json_decref(body);
    json_decref(v);
    json_t *weekly = json_array();
    for (int d = 1; d <= 7; d++)
        for (int i = 0; i < 3; i++)
            json_array_append_new(weekly, json_pack("{s:i, s:s, s:s}", "weekday", d, "start",
                                                    (const char *[]){"00:00", "09:00", "22:00"}[i], "end",
                                                    (const char *[]){"02:00", "14:00", "24:00"}[i]));
    body = json_pack("{s:o}", "weekly", weekly);
    assert_int_equal(bc_hours_put(env, &ctx, ana, body, msg, sizeof msg, &v), 0);
    json_decref(body);
    json_decref(v);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_ctx_release(&ctx);
    bc_test_env_close(env);
    return 0;
}

static int reset_faults(void **state)
{
    (void)state;
    bc_fault_reset();
    return 0;
}

/* Books svc at start with Ana (key and request hash may be NULL); *out as bc_booking_create leaves it. */
static int book(const char *svc, const char *start, const char *key, const char *hash, char *msg,
                json_t **out)
{
    struct bc_booking_in in = {.service_id = svc,
                               .provider_id = ana,
                               .start = start,
                               .name = "Marta",
                               .email = "marta@example.com",
                               .source = "admin",
                               .idempotency_key = key,
                               .request_hash = hash,
                               .monthly_limit = BC_UNLIMITED};
    msg[0] = '\0';
    return bc_booking_create(env, &ctx, &in, msg, 256, out);
}

static const char *str(json_t *o, const char *field)
{
    return json_string_value(json_object_get(o, field));
}

/* How many entries of Ana's calendar on date start at the instant of the ISO time start (an entry
 * includes its buffers; these services have none). */
static int cal_entries(const char *date, const char *start)
{
    int64_t t;
    struct bc_busy *busy = NULL;
    size_t n = 0;
    int count = 0;
    assert_int_equal(bc_time_parse_iso(start, &t), 0);
    assert_int_equal(bc_cal_busy(env, &ctx, ana, date, date, NULL, &busy, &n), 0);
    for (size_t i = 0; i < n; i++) count += busy[i].from == t;
    free(busy);
    return count;
}

/* The listed (not failed) bookings of Ana on date that start at start. */
static int listed(const char *date, const char *start)
{
    json_t *items = NULL;
    char *next = NULL;
    int count = 0;
    assert_int_equal(bc_booking_list(env, &ctx, date, date, ana, NULL, 100, NULL, &items, &next), 0);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) count += strcmp(str(it, "start"), start) == 0;
    json_decref(items);
    free(next);
    return count;
}

/* The id of the booking item (any status) at start, found in the store itself; "" when there is none. */
static void stored_booking(const char *start, char id[64])
{
    char pk[128];
    struct bc_query_result r;
    snprintf(pk, sizeof pk, "TENANT#%s", tenant);
    struct bc_query q = {.pk = pk, .sk_prefix = "BOOKING#", .limit = 1000};
    assert_int_equal(bc_store_query(env->store, &q, &r), 0);
    id[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach(r.items, i, it) if (strcmp(str(it, "start"), start) == 0)
        snprintf(id, 64, "%s", str(it, "id"));
    bc_query_result_release(&r);
}

static void test_booking__create_one_day(void **state)
{
    (void)state;
    char msg[256];
    json_t *b = NULL, *again = NULL, *found = NULL;
    const char *start = "2026-12-01T10:00:00+01:00";
    assert_int_equal(book(svc30, start, NULL, NULL, msg, &b), 0);
    assert_string_equal(str(b, "status"), "confirmed");
    assert_string_equal(str(b, "start"), start);
    assert_string_equal(str(b, "end"), "2026-12-01T10:30:00+01:00");
    assert_string_equal(str(b, "provider_id"), ana);
    assert_int_equal(strlen(str(b, "code")), 6);
    assert_non_null(str(b, "manage_token"));
    assert_int_equal(bc_booking_by_code(env, &ctx, str(b, "code"), &found), 0);
    assert_string_equal(str(found, "id"), str(b, "id"));
    assert_int_equal(json_array_size(json_object_get(found, "cal_dates")), 1);
    assert_int_equal(cal_entries("2026-12-01", start), 1);
    assert_int_equal(listed("2026-12-01", start), 1);
    /* the same slot again: taken */
    assert_int_equal(book(svc30, start, NULL, NULL, msg, &again), BC_ESLOT);
    assert_string_equal(msg, "that time is no longer available");
    assert_null(again);
    assert_int_equal(cal_entries("2026-12-01", start), 1);
    json_decref(found);
    json_decref(b);
}

static void test_booking__create_across_midnight(void **state)
{
    (void)state;
    char msg[256];
    json_t *b = NULL, *found = NULL, *again = NULL;
    const char *start = "2026-12-02T23:30:00+01:00";
    assert_int_equal(book(svc60, start, NULL, NULL, msg, &b), 0);
    assert_string_equal(str(b, "status"), "confirmed");
    assert_string_equal(str(b, "end"), "2026-12-03T00:30:00+01:00");
    assert_int_equal(bc_booking_get(env, &ctx, str(b, "id"), &found), 0);
    assert_int_equal(json_array_size(json_object_get(found, "cal_dates")), 2);
    assert_int_equal(cal_entries("2026-12-02", start), 1);
    assert_int_equal(cal_entries("2026-12-03", start), 1); /* the same interval, on both dates */
    assert_int_equal(listed("2026-12-02", start), 1);
    /* half an hour later overlaps it on the second date */
    assert_int_equal(book(svc30, "2026-12-03T00:00:00+01:00", NULL, NULL, msg, &again), BC_ESLOT);
    json_decref(found);
    json_decref(b);
}

static void test_booking__replay_same_key(void **state)
{
    (void)state;
    char msg[256];
    json_t *a = NULL, *b = NULL, *c = NULL;
    const char *start = "2026-12-04T09:30:00+01:00";
    assert_int_equal(book(svc30, start, "key-replay", "hash-1", msg, &a), 0);
    assert_int_equal(book(svc30, start, "key-replay", "hash-1", msg, &b), 0);
    assert_string_equal(str(b, "id"), str(a, "id"));
    assert_string_equal(str(b, "code"), str(a, "code"));
    assert_string_equal(str(b, "manage_token"), str(a, "manage_token"));
    /* the same key with another request */
    assert_int_equal(book(svc30, "2026-12-04T11:00:00+01:00", "key-replay", "hash-2", msg, &c), BC_ECONFLICT);
    assert_string_equal(msg, "this Idempotency-Key was used for a different request");
    assert_null(c);
    assert_int_equal(cal_entries("2026-12-04", start), 1);
    assert_int_equal(listed("2026-12-04", start), 1);
    json_decref(a);
    json_decref(b);
}

static void test_booking__conflict_on_taken_slot(void **state)
{
    (void)state;
    char msg[256];
    json_t *a = NULL, *b = NULL;
    assert_int_equal(book(svc60, "2026-12-05T10:00:00+01:00", NULL, NULL, msg, &a), 0);
    /* starts inside it; a key does not help */
    assert_int_equal(book(svc30, "2026-12-05T10:30:00+01:00", "key-taken", "h", msg, &b), BC_ESLOT);
    assert_string_equal(msg, "that time is no longer available");
    /* the key was given back: it books another time */
    assert_int_equal(book(svc30, "2026-12-05T11:00:00+01:00", "key-taken", "h", msg, &b), 0);
    assert_int_equal(listed("2026-12-05", "2026-12-05T10:30:00+01:00"), 0);
    json_decref(a);
    json_decref(b);
}

static void test_booking__cancel(void **state)
{
    (void)state;
    char msg[256];
    json_t *a = NULL, *cancelled = NULL, *again = NULL, *b = NULL;
    const char *start = "2026-12-07T12:00:00+01:00";
    assert_int_equal(book(svc30, start, NULL, NULL, msg, &a), 0);
    assert_int_equal(bc_booking_cancel(env, &ctx, str(a, "id"), false, msg, sizeof msg, &cancelled), 0);
    assert_string_equal(str(cancelled, "status"), "cancelled");
    assert_int_equal(cal_entries("2026-12-07", start), 0);
    assert_int_equal(bc_booking_cancel(env, &ctx, str(a, "id"), false, msg, sizeof msg, &again),
                     BC_ECONFLICT);
    assert_string_equal(msg, "this booking is cancelled");
    /* the slot is free again */
    assert_int_equal(book(svc30, start, NULL, NULL, msg, &b), 0);
    assert_int_equal(cal_entries("2026-12-07", start), 1);
    json_decref(a);
    json_decref(cancelled);
    json_decref(b);
}

static void test_booking__reschedule(void **state)
{
    (void)state;
    char msg[256];
    json_t *a = NULL, *blocker = NULL, *moved = NULL, *fail = NULL, *b = NULL;
    const char *at11 = "2026-12-08T11:00:00+01:00", *at12 = "2026-12-08T12:00:00+01:00",
               *at13 = "2026-12-08T13:00:00+01:00";
    assert_int_equal(book(svc30, at11, NULL, NULL, msg, &a), 0);
    assert_int_equal(book(svc30, at13, NULL, NULL, msg, &blocker), 0);
    /* onto a taken time: nothing changes */
    msg[0] = '\0';
    assert_int_equal(
        bc_booking_reschedule(env, &ctx, str(a, "id"), at13, NULL, false, msg, sizeof msg, &fail), BC_ESLOT);
    assert_int_equal(cal_entries("2026-12-08", at11), 1);
    /* onto a free one: the old slot is freed, the new one held */
    assert_int_equal(
        bc_booking_reschedule(env, &ctx, str(a, "id"), at12, NULL, false, msg, sizeof msg, &moved), 0);
    assert_string_equal(str(moved, "start"), at12);
    assert_string_equal(str(moved, "id"), str(a, "id"));
    assert_int_equal(cal_entries("2026-12-08", at11), 0);
    assert_int_equal(cal_entries("2026-12-08", at12), 1);
    assert_int_equal(listed("2026-12-08", at11), 0);
    assert_int_equal(listed("2026-12-08", at12), 1);
    assert_int_equal(book(svc30, at11, NULL, NULL, msg, &b), 0);
    json_decref(a);
    json_decref(blocker);
    json_decref(moved);
    json_decref(b);
}

/* One fault point in one commit path: an acknowledged booking next to it, then the request that fails at
 * the point with an Idempotency-Key, then what the store holds, a retry with the same key, and the slot. */
static void fault_case(const char *point, const char *svc, const char *date, const char *start,
                       const char *neighbour, const char *key)
{
    char msg[256], id[64], other_key[64];
    json_t *acked = NULL, *crashed = NULL, *retry = NULL, *item = NULL, *other = NULL;
    assert_int_equal(book(svc30, neighbour, NULL, NULL, msg, &acked), 0);
    assert_int_equal(bc_fault_arm(point, 1), 0);
    assert_int_equal(book(svc, start, key, "request", msg, &crashed), BC_EINTERNAL);
    assert_null(crashed);
    bc_fault_reset();
    stored_booking(start, id);
    assert_true(id[0]); /* the booking item was written before the point */
    assert_true(cal_entries(date, start) <= 1);
    bool committed = strcmp(point, BC_FAULT_BOOKING_BEFORE_COMMIT) != 0;
    if (strcmp(point, BC_FAULT_BOOKING_BEFORE_ANSWER) != 0) {
        /* left pending: a retry at once is told to come back */
        assert_int_equal(book(svc, start, key, "request", msg, &retry), BC_ECONFLICT);
        assert_string_equal(
            msg, "a request with this Idempotency-Key is still being processed or failed; retry later");
        bc_clock_advance(61); /* past the repair delay: the next read repairs it */
    }
    assert_int_equal(bc_booking_get(env, &ctx, id, &item), 0);
    assert_string_equal(str(item, "status"), committed ? "confirmed" : "failed");
    assert_int_equal(cal_entries(date, start), committed ? 1 : 0);
    assert_int_equal(listed(date, start), committed ? 1 : 0);
    if (committed) {
        /* the booking is complete: a retry with the key gets it, the slot stays taken */
        assert_int_equal(book(svc, start, key, "request", msg, &retry), 0);
        assert_string_equal(str(retry, "id"), id);
        assert_string_equal(str(retry, "status"), "confirmed");
        assert_int_equal(book(svc, start, NULL, NULL, msg, &other), BC_ESLOT);
    } else {
        /* it never happened: the slot is free again for another request */
        snprintf(other_key, sizeof other_key, "%s-other", key);
        assert_int_equal(book(svc, start, other_key, "request", msg, &other), 0);
        assert_int_equal(book(svc, start, key, "request", msg, &retry), BC_ECONFLICT);
    }
    /* never twice, and the acknowledged one is still there */
    assert_int_equal(cal_entries(date, start), 1);
    assert_int_equal(listed(date, start), 1);
    assert_int_equal(listed(date, neighbour), 1);
    json_decref(acked);
    json_decref(retry);
    json_decref(item);
    json_decref(other);
}

/* one date: the batched commit */
/* A phone proves a booking only whole: any spelling of the whole number, never a tail of it. */
static void test_booking__phone_whole_number(void **state)
{
    (void)state;
    static const char *const same[][2] = {{"+34 612 345 678", "+34-612-345-678"},
                                          {"+34 612 345 678", "0034 612 345 678"},
                                          {"+34 612 345 678", "612 345 678"},
                                          {"(+1) 212 555 0100", "212-555-0100"},
                                          {"+44 7700 900123", "07700 900123"},
                                          {"+39 06 1234 5678", "06 1234 5678"},
                                          {"612345678", "612 345 678"}};
    static const char *const other[][2] = {
        {"+34 612 345 678", "345678"},         {"+34 612 345 678", "2345678"},
        {"+34 612 345 678", "12345678"},       {"+34 612 345 678", "+34 000 345 678"},
        {"+34 612 345 678", "+1 612 345 678"}, {"612 345 678", "12 345 678"},
        {"+34 612 345 678", "+34 612 345 67"}, {"+34 612 345 678", ""},
        {"612345678", "+1 612345678 0"}};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        if (!bc_phone_same(same[i][0], same[i][1]) || !bc_phone_same(same[i][1], same[i][0]))
            fail_msg("%s and %s are the same number", same[i][0], same[i][1]);
    }
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        if (bc_phone_same(other[i][0], other[i][1]) || bc_phone_same(other[i][1], other[i][0]))
            fail_msg("%s and %s are not the same number", other[i][0], other[i][1]);
    }
    json_t *item = json_pack("{s:{s:s, s:n}}", "customer", "phone", "+34 612 345 678", "email");
    assert_false(bc_booking_customer_matches(item, NULL, "345678"));
    assert_false(bc_booking_customer_matches(item, NULL, "12345678"));
    assert_true(bc_booking_customer_matches(item, NULL, "+34 612-345-678"));
    json_decref(item);
}

/* A manage token works until 7 days after the booking's end, then answers manage_token_expired. */
static void test_booking__manage_token_expires(void **state)
{
    (void)state;
    int64_t now = bc_now_s();
    json_t *item = json_pack("{s:I}", "end_ts", (json_int_t)(now - 6 * 86400));
    assert_int_equal(bc_booking_manage_check(item), 0);
    json_object_set_new(item, "end_ts", json_integer(now - BC_MANAGE_TOKEN_DAYS * 86400 - 1));
    assert_int_equal(bc_booking_manage_check(item), BC_ETOKEN_EXPIRED);
    assert_string_equal(bc_err_code(BC_ETOKEN_EXPIRED), "manage_token_expired");
    assert_int_equal(bc_err_status(BC_ETOKEN_EXPIRED), 410);
    json_object_set_new(item, "end_ts", json_integer(now + 86400)); /* a future booking */
    assert_int_equal(bc_booking_manage_check(item), 0);
    json_decref(item);
}

static void test_booking__fault_before_commit_batched(void **state)
{
    (void)state;
    fault_case(BC_FAULT_BOOKING_BEFORE_COMMIT, svc30, "2026-12-10", "2026-12-10T10:00:00+01:00",
               "2026-12-10T09:00:00+01:00", "kb1");
}

static void test_booking__fault_after_commit_batched(void **state)
{
    (void)state;
    fault_case(BC_FAULT_BOOKING_AFTER_COMMIT, svc30, "2026-12-11", "2026-12-11T10:00:00+01:00",
               "2026-12-11T09:00:00+01:00", "kb2");
}

static void test_booking__fault_before_answer_batched(void **state)
{
    (void)state;
    fault_case(BC_FAULT_BOOKING_BEFORE_ANSWER, svc30, "2026-12-12", "2026-12-12T10:00:00+01:00",
               "2026-12-12T09:00:00+01:00", "kb3");
}

/* across midnight: the sequential commit */
static void test_booking__fault_before_commit_sequential(void **state)
{
    (void)state;
    fault_case(BC_FAULT_BOOKING_BEFORE_COMMIT, svc60, "2026-12-14", "2026-12-14T23:30:00+01:00",
               "2026-12-14T22:00:00+01:00", "ks1");
    assert_int_equal(cal_entries("2026-12-15", "2026-12-14T23:30:00+01:00"), 1);
}

static void test_booking__fault_after_commit_sequential(void **state)
{
    (void)state;
    fault_case(BC_FAULT_BOOKING_AFTER_COMMIT, svc60, "2026-12-16", "2026-12-16T23:30:00+01:00",
               "2026-12-16T22:00:00+01:00", "ks2");
    assert_int_equal(cal_entries("2026-12-17", "2026-12-16T23:30:00+01:00"), 1);
}

static void test_booking__fault_before_answer_sequential(void **state)
{
    (void)state;
    fault_case(BC_FAULT_BOOKING_BEFORE_ANSWER, svc60, "2026-12-18", "2026-12-18T23:30:00+01:00",
               "2026-12-18T22:00:00+01:00", "ks3");
    assert_int_equal(cal_entries("2026-12-19", "2026-12-18T23:30:00+01:00"), 1);
}

/* The claims of Idempotency-Keys made in one hour share one expiry entry (store.h, ttl_group): their ttl is
 * rounded up to the hour, so a key is honoured 24 to 25 hours. Three keys, a minute apart, one of them by
 * the sequential commit (across midnight), add one entry, not three; past their ttl the reaper removes the
 * claims, and the keys book again. Runs last: it moves the clock. */
static void test_booking__keys_of_an_hour_share_one_expiry(void **state)
{
    (void)state;
    char msg[256];
    json_t *b[3] = {NULL}, *again = NULL;
    const char *keys[3] = {"kh1", "kh2", "kh3"};
    const char *starts[3] = {"2026-12-21T09:00:00+01:00", "2026-12-21T10:00:00+01:00",
                             "2026-12-21T23:30:00+01:00"};
    bc_clock_advance(3600); /* an hour of its own: the earlier tests' claims have their own entry */
    while (bc_store_reap(env->store, 1000) > 0) {
    }
    json_int_t items, entries, items0, entries0;
    bc_test_store_counts(env->store, &items0, &entries0);
    int64_t t0 = bc_now_s();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(book(i == 2 ? svc60 : svc30, starts[i], keys[i], "h", msg, &b[i]), 0);
        bc_clock_advance(60);
    }
    bc_test_store_counts(env->store, &items, &entries);
    assert_int_equal(entries, entries0 + 1);
    /* each claim's ttl: the hour after its 24 hours */
    char pk[128];
    snprintf(pk, sizeof pk, "TENANT#%s", tenant);
    struct bc_query_result r;
    struct bc_query q = {.pk = pk, .sk_prefix = "IDEM#", .limit = 1000};
    assert_int_equal(bc_store_query(env->store, &q, &r), 0);
    int mine = 0;
    size_t i;
    json_t *it;
    json_array_foreach(r.items, i, it)
    {
        json_int_t ttl = json_integer_value(json_object_get(it, "ttl"));
        if (ttl < t0 + 86400) continue; /* an earlier test's */
        mine++;
        assert_int_equal(ttl % 3600, 0);
        assert_true(ttl <= t0 + 180 + 86400 + 3600);
    }
    bc_query_result_release(&r);
    assert_int_equal(mine, 3);
    assert_int_equal(book(svc30, "2026-12-21T11:00:00+01:00", "kh1", "other", msg, &again), BC_ECONFLICT);
    /* past the ttl: the reaper removes the three claims by their one entry */
    bc_clock_advance(86400 + 3600);
    int n;
    while ((n = bc_store_reap(env->store, 2)) > 0) {
    }
    assert_int_equal(n, 0);
    json_int_t items_after;
    bc_test_store_counts(env->store, &items_after, &entries);
    assert_true(entries <= entries0);
    assert_true(items_after <= items - 3);
    /* the key is free again: another request with it books (it was 409 while the claim lived) */
    assert_int_equal(book(svc30, "2026-12-21T11:00:00+01:00", "kh1", "other", msg, &again), 0);
    bc_clock_advance(-(3600 + 180 + 86400 + 3600));
    for (int k = 0; k < 3; k++) json_decref(b[k]);
    json_decref(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_booking__create_one_day),
        cmocka_unit_test(test_booking__create_across_midnight),
        cmocka_unit_test(test_booking__replay_same_key),
        cmocka_unit_test(test_booking__conflict_on_taken_slot),
        cmocka_unit_test(test_booking__cancel),
        cmocka_unit_test(test_booking__reschedule),
        cmocka_unit_test(test_booking__phone_whole_number),
        cmocka_unit_test(test_booking__manage_token_expires),
        cmocka_unit_test_teardown(test_booking__fault_before_commit_batched, reset_faults),
        cmocka_unit_test_teardown(test_booking__fault_after_commit_batched, reset_faults),
        cmocka_unit_test_teardown(test_booking__fault_before_answer_batched, reset_faults),
        cmocka_unit_test_teardown(test_booking__fault_before_commit_sequential, reset_faults),
        cmocka_unit_test_teardown(test_booking__fault_after_commit_sequential, reset_faults),
        cmocka_unit_test_teardown(test_booking__fault_before_answer_sequential, reset_faults),
        cmocka_unit_test(test_booking__keys_of_an_hour_share_one_expiry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
