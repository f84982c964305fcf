/* The outbox's intents (domain/outbox.c) and deliveries (domain/delivery.c) on a real LMDB store: marks,
 * reminders ahead only and with ids that do not repeat a reminder, usage notices once a month, deliveries
 * made once per event and recipient, claims that exclude each other, retries with backoff, giving up, and
 * the admin listing's filters. The dispatcher's whole path runs in tests/api/notifications.test.mjs. */
#include "../testlib.h"

#include "auth/context.h"
#include "domain/delivery.h"
#include "domain/keys.h"
#include "domain/notify.h"
#include "domain/outbox.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <jansson.h>
#include <string.h>

#define TENANT "01jtestoutboxtenant0000000"

static struct bc_env *env;
static struct bc_ctx ctx;

static int setup(void **state)
{
    char url[600], err[256] = "";
    struct bc_store *s = NULL;
    (void)state;
    bc_clock_init();
    bc_id_global_init();
    bc_test_store_url(url, sizeof url, "outbox");
    if (bc_store_open(url, &s, err, sizeof err) < 0) fail_msg("open %s: %s", url, err);
    env = bc_test_env(s);
    bc_ctx_operator(&ctx, TENANT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_ctx_release(&ctx);
    bc_test_env_close(env);
    return 0;
}

/* Every item of the outbox queue (all shards) of kind 'E' or 'D'. */
static json_t *queue(char kind)
{
    json_t *all = json_array();
    for (int sh = 0; sh < BC_OUTBOX_SHARDS; sh++) {
        char pk[32];
        snprintf(pk, sizeof pk, "OUTBOX#%d", sh);
        struct bc_query q = {.pk = pk, .limit = 1000};
        struct bc_query_result r;
        assert_int_equal(bc_store_query(env->store, &q, &r), 0);
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it)
        {
            if (json_string_value(json_object_get(it, "SK"))[12] == kind) json_array_append(all, it);
        }
        bc_query_result_release(&r);
    }
    return all;
}

static void clear_queue(void)
{
    json_t *all = json_array(), *e = queue('E'), *d = queue('D');
    json_array_extend(all, e);
    json_array_extend(all, d);
    size_t i;
    json_t *it;
    json_array_foreach(all, i, it)
    {
        bc_store_delete(env->store, json_string_value(json_object_get(it, "PK")),
                        json_string_value(json_object_get(it, "SK")), NULL);
    }
    json_decref(all);
    json_decref(e);
    json_decref(d);
}

static json_t *booking(const char *id, int64_t start)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:{s:s, s:s}, s:i}", "id", id, "code", "K7M2QX",
                     "status", "pending", "start_ts", (json_int_t)start, "end_ts", (json_int_t)(start + 1800),
                     "timezone", "Europe/Madrid", "customer", "name", "Marta", "email", "marta@example.com",
                     "version", 1);
}

static void test_outbox__mark_keeps_the_last_ids(void **state)
{
    (void)state;
    json_t *item = json_object();
    char id[8];
    for (int i = 0; i < BC_EVENTS_KEPT + 3; i++) {
        snprintf(id, sizeof id, "e%d", i);
        bc_outbox_mark(item, id);
    }
    assert_int_equal(json_array_size(json_object_get(item, "events")), BC_EVENTS_KEPT);
    assert_false(bc_outbox_marked(item, "e0"));
    assert_false(bc_outbox_marked(item, "e2"));
    assert_true(bc_outbox_marked(item, "e3"));
    snprintf(id, sizeof id, "e%d", BC_EVENTS_KEPT + 2);
    assert_true(bc_outbox_marked(item, id));
    json_decref(item);
}

static void test_outbox__keys(void **state)
{
    (void)state;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    assert_non_null(bc_outbox_pk(pk, "01ABCDEFGHJKMNPQRSTVWXYZ00"));
    assert_int_equal(strncmp(pk, "OUTBOX#", 7), 0);
    assert_true(pk[7] >= '0' && pk[7] < '0' + BC_OUTBOX_SHARDS);
    assert_string_equal(bc_outbox_sk(sk, 1700000000, 'E', "t1", "e1"), "01700000000#E#t1#e1");
    assert_null(bc_outbox_sk(sk, 1, 'E', "t#1", "e1"));
    assert_null(bc_outbox_pk(pk, "bad#id"));
}

/* A new booking: its event marked on the item, a confirmed snapshot, and reminders only ahead. */
static void test_outbox__booking_intents_and_reminders(void **state)
{
    (void)state;
    clear_queue();
    json_t *set = json_pack("{s:{s:[{s:i}, {s:i}]}}", "notifications", "reminders", "before_min", 1440,
                            "before_min", 60),
           *saved = NULL;
    char msg[256] = "";
    assert_int_equal(bc_notify_settings_put(env, &ctx, set, msg, sizeof msg, &saved), 0);
    json_decref(set);
    json_decref(saved);
    /* three hours ahead: the one-hour reminder only */
    json_t *b = booking("01BOOKINGAAAAAAAAAAAAAAAAA", bc_now_s() + 3 * 3600);
    struct bc_outbox_batch ob = {0};
    assert_int_equal(bc_outbox_booking(env, &ctx, BC_EV_BOOKING_CREATED, b, &ob), 0);
    assert_int_equal(ob.n, 2);
    const char *eid = json_string_value(json_object_get(ob.items[0], "id"));
    assert_true(bc_outbox_marked(b, eid));
    json_t *snap = json_object_get(json_object_get(ob.items[0], "data"), "booking");
    assert_string_equal(json_string_value(json_object_get(snap, "status")), "confirmed");
    assert_string_equal(json_string_value(json_object_get(ob.items[1], "type")), BC_EV_BOOKING_REMINDER);
    assert_int_equal(json_integer_value(json_object_get(ob.items[1], "due")), bc_now_s() + 3 * 3600 - 3600);
    /* the same booking and start make the same reminder id (a move back does not remind twice) */
    struct bc_outbox_batch again = {0};
    assert_int_equal(bc_outbox_booking(env, &ctx, BC_EV_BOOKING_RESCHEDULED, b, &again), 0);
    assert_int_equal(again.n, 2);
    assert_string_equal(json_string_value(json_object_get(ob.items[1], "id")),
                        json_string_value(json_object_get(again.items[1], "id")));
    assert_string_not_equal(json_string_value(json_object_get(ob.items[0], "id")),
                            json_string_value(json_object_get(again.items[0], "id")));
    assert_int_equal(bc_outbox_put(env, &ob), 0);
    assert_int_equal(bc_outbox_put(env, &again), 0);
    json_t *q = queue('E');
    assert_int_equal(json_array_size(q), 3); /* two events, one reminder (written twice, one item) */
    json_decref(q);
    /* a cancellation has no reminders; ten minutes ahead, none is left for a new booking either */
    struct bc_outbox_batch c = {0}, soon = {0};
    assert_int_equal(bc_outbox_booking(env, &ctx, BC_EV_BOOKING_CANCELLED, b, &c), 0);
    assert_int_equal(c.n, 1);
    json_t *b2 = booking("01BOOKINGBBBBBBBBBBBBBBBBB", bc_now_s() + 600);
    assert_int_equal(bc_outbox_booking(env, &ctx, BC_EV_BOOKING_CREATED, b2, &soon), 0);
    assert_int_equal(soon.n, 1);
    bc_outbox_batch_release(&ob);
    bc_outbox_batch_release(&again);
    bc_outbox_batch_release(&c);
    bc_outbox_batch_release(&soon);
    json_decref(b);
    json_decref(b2);
    clear_queue();
}

static void test_outbox__usage_notice_once_a_month(void **state)
{
    (void)state;
    clear_queue();
    assert_int_equal(bc_outbox_usage(env, TENANT, BC_EV_LIMIT_NEAR, "bookings", 80, 100), 0);
    assert_int_equal(bc_outbox_usage(env, TENANT, BC_EV_LIMIT_NEAR, "bookings", 81, 100), 0);
    assert_int_equal(bc_outbox_usage(env, TENANT, BC_EV_LIMIT_REACHED, "bookings", 100, 100), 0);
    assert_int_equal(bc_outbox_usage(env, TENANT, BC_EV_LIMIT_NEAR, "messages", 800, 1000), 0);
    json_t *q = queue('E');
    assert_int_equal(json_array_size(q), 3);
    json_decref(q);
    clear_queue();
}

static json_t *event(const char *id)
{
    return json_pack("{s:s, s:s, s:I, s:{s:{s:s}}}", "id", id, "type", BC_EV_BOOKING_CREATED, "due",
                     (json_int_t)bc_now_s(), "data", "booking", "code", "K7M2QX");
}

static const char *first_id(void)
{
    static char id[80];
    json_t *items = NULL;
    char *next = NULL;
    assert_int_equal(bc_delivery_list(env, &ctx, NULL, NULL, NULL, 10, NULL, &items, &next), 0);
    assert_true(json_array_size(items) >= 1);
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(json_array_get(items, 0), "id")));
    json_decref(items);
    free(next);
    return id;
}

/* One delivery per event and recipient, however often the fan-out runs; claims exclude each other; a
 * failure is retried later under a new pointer; a permanent one ends it. */
static void test_delivery__once_claim_retry_fail(void **state)
{
    (void)state;
    clear_queue();
    json_t *ev = event("01EVENTAAAAAAAAAAAAAAAAAAA");
    struct bc_recipient r = {'e', false, "marta@example.com"};
    assert_int_equal(bc_delivery_create(env, &ctx, ev, &r, "es", NULL), 0);
    assert_int_equal(bc_delivery_create(env, &ctx, ev, &r, "es", NULL), 0);
    json_t *items = NULL, *ptrs = queue('D');
    char *next = NULL;
    assert_int_equal(bc_delivery_list(env, &ctx, NULL, NULL, NULL, 10, NULL, &items, &next), 0);
    assert_int_equal(json_array_size(items), 1);
    assert_int_equal(json_array_size(ptrs), 1);
    json_decref(items);
    json_decref(ptrs);
    const char *id = first_id();
    json_t *claimed = NULL, *other = NULL;
    assert_int_equal(bc_delivery_claim(env, &ctx, id, 60, &claimed), 0);
    assert_int_equal(bc_delivery_claim(env, &ctx, id, 60, &other), BC_ECONFLICT);
    /* a failure that may pass: pending, due later, a new pointer instead of the old one */
    json_t *p0 = queue('D');
    char old_sk[256];
    snprintf(old_sk, sizeof old_sk, "%s", json_string_value(json_object_get(json_array_get(p0, 0), "SK")));
    json_decref(p0);
    struct bc_delivery_timing t = {30, 86400, 60};
    bool final = true;
    assert_int_equal(
        bc_delivery_complete(env, &ctx, claimed, false, false, 451, "try later", &t, old_sk, &final), 0);
    assert_false(final);
    json_t *d = NULL;
    assert_int_equal(bc_delivery_get(env, &ctx, id, &d), 0);
    assert_string_equal(json_string_value(json_object_get(d, "status")), "pending");
    assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 1);
    int64_t wait = json_integer_value(json_object_get(d, "next_at")) - bc_now_s();
    assert_true(wait >= 22 && wait <= 38); /* 30 s ± 25 % */
    json_t *p1 = queue('D');
    assert_int_equal(json_array_size(p1), 1);
    assert_string_not_equal(json_string_value(json_object_get(json_array_get(p1, 0), "SK")), old_sk);
    json_decref(p1);
    /* the stale claim cannot record anything now */
    assert_int_equal(bc_delivery_complete(env, &ctx, claimed, true, false, 250, NULL, &t, NULL, &final),
                     BC_ECONFLICT);
    json_decref(claimed);
    /* a permanent failure ends it: failed, kept for a while, retryable by staff */
    json_decref(d);
    claimed = NULL;
    json_t *set = json_pack("{s:I}", "lease_until", (json_int_t)0);
    struct bc_update u = {set, NULL, NULL};
    assert_int_equal(bc_delivery_get(env, &ctx, id, &d), 0);
    bc_store_update(env->store, json_string_value(json_object_get(d, "PK")),
                    json_string_value(json_object_get(d, "SK")), &u, NULL, NULL);
    json_decref(set);
    json_decref(d);
    assert_int_equal(bc_delivery_claim(env, &ctx, id, 60, &claimed), 0);
    assert_int_equal(
        bc_delivery_complete(env, &ctx, claimed, false, true, 550, "no such user", &t, NULL, &final), 0);
    assert_true(final);
    json_decref(claimed);
    assert_int_equal(bc_delivery_get(env, &ctx, id, &d), 0);
    assert_string_equal(json_string_value(json_object_get(d, "status")), "failed");
    assert_true(json_integer_value(json_object_get(d, "ttl")) > bc_now_s());
    json_decref(d);
    json_t *view = NULL;
    assert_int_equal(bc_delivery_retry(env, &ctx, id, &view), 0);
    assert_string_equal(json_string_value(json_object_get(view, "status")), "pending");
    json_decref(view);
    /* filters */
    assert_int_equal(bc_delivery_list(env, &ctx, NULL, "failed", NULL, 10, NULL, &items, &next), 0);
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    free(next);
    assert_int_equal(bc_delivery_list(env, &ctx, NULL, "pending", "email", 10, NULL, &items, &next), 0);
    assert_int_equal(json_array_size(items), 1);
    json_decref(items);
    free(next);
    assert_int_equal(bc_delivery_list(env, &ctx, NULL, NULL, "webhook", 10, NULL, &items, &next), 0);
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    free(next);
    json_decref(ev);
    clear_queue();
}

/* After 24 h of failures the delivery is failed, whatever the answer. */
static void test_delivery__gives_up_after_a_day(void **state)
{
    (void)state;
    json_t *ev = event("01EVENTBBBBBBBBBBBBBBBBBBB");
    struct bc_recipient r = {'w', false, "01WEBHOOK00000000000000000"};
    assert_int_equal(bc_delivery_create(env, &ctx, ev, &r, "en", "{}"), 0);
    json_t *items = NULL, *claimed = NULL;
    char *next = NULL;
    assert_int_equal(
        bc_delivery_list(env, &ctx, "01WEBHOOK00000000000000000", NULL, NULL, 10, NULL, &items, &next), 0);
    assert_int_equal(json_array_size(items), 1);
    const char *id = json_string_value(json_object_get(json_array_get(items, 0), "id"));
    assert_int_equal(bc_delivery_claim(env, &ctx, id, 60, &claimed), 0);
    bc_clock_advance(86400);
    struct bc_delivery_timing t = {30, 86400, 60};
    bool final = false;
    assert_int_equal(bc_delivery_complete(env, &ctx, claimed, false, false, 503, "busy", &t, NULL, &final),
                     0);
    assert_true(final);
    json_t *d = NULL;
    assert_int_equal(bc_delivery_get(env, &ctx, id, &d), 0);
    assert_string_equal(json_string_value(json_object_get(d, "status")), "failed");
    assert_int_equal(json_integer_value(json_object_get(d, "last_status")), 503);
    json_decref(d);
    json_decref(claimed);
    json_decref(items);
    free(next);
    json_decref(ev);
    clear_queue();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbox__mark_keeps_the_last_ids),
        cmocka_unit_test(test_outbox__keys),
        cmocka_unit_test(test_outbox__booking_intents_and_reminders),
        cmocka_unit_test(test_outbox__usage_notice_once_a_month),
        cmocka_unit_test(test_delivery__once_claim_retry_fail),
        cmocka_unit_test(test_delivery__gives_up_after_a_day),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
