/* The waitlist (domain/waitlist.c): the pure matching of a freed time against an entry (service,
 * professional, window), and on a real LMDB store the offer logic: a freed time goes to the first waiting
 * entry only, is held (a direct booking fails), the expiry worker passes it to the next entry once, the
 * token accepts it exactly once, a window that does not fit gets nothing, and staff removal passes it on. */
#include "../testlib.h"
#include "empty_tenant.h"

#include "auth/context.h"
#include "auth/secret.h"
#include "domain/booking.h"
#include "domain/catalog.h"
#include "domain/onboarding.h"
#include "domain/plan.h"
#include "domain/schedule.h"
#include "domain/waitlist.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Monday 2026-11-30 08:00 in Madrid */
#define NOW_S "1796022000"

static struct bc_env *env;
static struct bc_ctx ctx;
static char tenant[BC_ID_LEN + 1], svc[64], ana[64];
static int day_no;

/* ---- pure parts ---- */

static void test_waitlist__window(void **state)
{
    (void)state;
    int a = -1, b = -1;
    assert_int_equal(bc_waitlist_window(NULL, NULL, &a, &b), 0);
    assert_int_equal(a, 0);
    assert_int_equal(b, 1440);
    assert_int_equal(bc_waitlist_window("16:00", "24:00", &a, &b), 0);
    assert_int_equal(a, 960);
    assert_int_equal(b, 1440);
    assert_int_equal(bc_waitlist_window("16:00", NULL, &a, &b), BC_EINVALID);
    assert_int_equal(bc_waitlist_window(NULL, "16:00", &a, &b), BC_EINVALID);
    assert_int_equal(bc_waitlist_window("18:00", "16:00", &a, &b), BC_EINVALID);
    assert_int_equal(bc_waitlist_window("16:00", "16:00", &a, &b), BC_EINVALID);
    assert_int_equal(bc_waitlist_window("4pm", "18:00", &a, &b), BC_EINVALID);
    assert_int_equal(bc_waitlist_window("24:00", "24:00", &a, &b), BC_EINVALID);
}

static void test_waitlist__matches(void **state)
{
    (void)state;
    struct bc_waitlist_want any = {"S1", NULL, 0, 1440}, ana_pm = {"S1", "P1", 16 * 60, 18 * 60};
    assert_true(bc_waitlist_matches(&any, "S1", "P1", 540, 600));
    assert_true(bc_waitlist_matches(&any, "S1", "P2", 540, 600));
    assert_false(bc_waitlist_matches(&any, "S2", "P1", 540, 600));
    assert_false(bc_waitlist_matches(&any, NULL, "P1", 540, 600));
    assert_true(bc_waitlist_matches(&ana_pm, "S1", "P1", 16 * 60, 17 * 60));
    assert_true(bc_waitlist_matches(&ana_pm, "S1", "P1", 17 * 60, 18 * 60));  /* ends at the window's end */
    assert_false(bc_waitlist_matches(&ana_pm, "S1", "P2", 16 * 60, 17 * 60)); /* another professional */
    assert_false(bc_waitlist_matches(&ana_pm, "S1", "P1", 15 * 60 + 45, 16 * 60 + 45)); /* starts before */
    assert_false(bc_waitlist_matches(&ana_pm, "S1", "P1", 17 * 60 + 30, 18 * 60 + 30)); /* ends after */
    assert_false(bc_waitlist_matches(&ana_pm, "S1", "P1", 17 * 60, 17 * 60));           /* empty */
}

/* ---- on a store ---- */

static void created_id(json_t *view, char *out)
{
    snprintf(out, 64, "%s", json_string_value(json_object_get(view, "id")));
    if (!*out) fail_msg("no id");
}

/* A tenant in Madrid with a 60-minute service and Ana, open 09:00-10:00 every day: one time a day. */
static int setup(void **state)
{
    char msg[256] = "";
    (void)state;
    env = empty_tenant("waitlist", NOW_S, "Spa", tenant, &ctx);
    json_t *body = json_pack("{s:s, s:i}", "name", "Masaje", "duration_min", 60), *v = NULL;
    assert_int_equal(bc_service_create(env, &ctx, body, msg, sizeof msg, &v), 0);
    created_id(v, svc);
    json_decref(body);
    json_decref(v);
    body = json_pack("{s:s, s:[s]}", "name", "Ana", "service_ids", svc);
    assert_int_equal(bc_provider_create(env, &ctx, body, 100, msg, sizeof msg, &v), 0);
    created_id(v, ana);
    json_decref(body);
    json_decref(v);
    json_t *weekly = json_array();
    for (int d = 1; d <= 7; d++)
        json_array_append_new(weekly,
                              json_pack("{s:i, s:s, s:s}", "weekday", d, "start", "09:00", "end", "10:00"));
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

/* A fresh date of December (each test its own), its 09:00 start in Madrid. */
static void next_day(char date[11], char start[32])
{
    day_no = day_no % 15 + 1; /* 2026-12-02 … 2026-12-16 */
    snprintf(date, 11, "2026-12-%02u", (unsigned)(1 + day_no) % 100u);
    snprintf(start, 32, "%sT09:00:00+01:00", date);
}

static int book(const char *start, const char *email, json_t **out)
{
    char msg[256] = "";
    struct bc_booking_in in = {.service_id = svc,
                               .provider_id = ana,
                               .start = start,
                               .name = "Marta",
                               .email = email,
                               .source = "admin",
                               .monthly_limit = BC_UNLIMITED};
    return bc_booking_create(env, &ctx, &in, msg, sizeof msg, out);
}

static void join(const char *date, const char *who, const char *from, const char *to, char id[64])
{
    char msg[256] = "", email[80];
    json_t *v = NULL;
    snprintf(email, sizeof email, "%s@example.com", who);
    struct bc_waitlist_in in = {.service_id = svc,
                                .date = date,
                                .from = from,
                                .to = to,
                                .name = who,
                                .email = email,
                                .source = "widget"};
    int rc = bc_waitlist_join(env, &ctx, &in, msg, sizeof msg, &v);
    if (rc < 0) fail_msg("join: %d %s", rc, msg);
    assert_string_equal(json_string_value(json_object_get(v, "status")), "waiting");
    created_id(v, id);
    json_decref(v);
}

/* The entry's status (its stored item). */
static const char *status_of(const char *id, char out[32])
{
    json_t *e = NULL;
    assert_int_equal(bc_waitlist_get(env, &ctx, id, &e), 0);
    snprintf(out, 32, "%s", json_string_value(json_object_get(e, "status")));
    json_decref(e);
    return out;
}

/* The token of the entry's current offer (caller frees). */
static char *token_of(const char *id)
{
    json_t *e = NULL;
    assert_int_equal(bc_waitlist_get(env, &ctx, id, &e), 0);
    char *t = bc_waitlist_token(tenant, id,
                                json_string_value(json_object_get(json_object_get(e, "offer"), "hold_id")));
    json_decref(e);
    return t;
}

/* A booked date whose booking is then cancelled (the hook offers it). */
static void cancel(json_t *b)
{
    char msg[256] = "";
    json_t *out = NULL;
    assert_int_equal(bc_booking_cancel(env, &ctx, json_string_value(json_object_get(b, "id")), false, msg,
                                       sizeof msg, &out),
                     0);
    json_decref(out);
}

static void test_waitlist__offer_first_then_next(void **state)
{
    (void)state;
    char date[11], start[32], a[64], b[64], st[32];
    json_t *bk = NULL, *direct = NULL;
    next_day(date, start);
    assert_int_equal(book(start, "filler@example.com", &bk), 0);
    join(date, "alba", NULL, NULL, a);
    join(date, "bruno", NULL, NULL, b);
    assert_int_equal(bc_waitlist_freed(env, &ctx, date), 0); /* nothing is free: nothing offered */
    assert_string_equal(status_of(a, st), "waiting");
    cancel(bk);
    assert_string_equal(status_of(a, st), "offered");
    assert_string_equal(status_of(b, st), "waiting");        /* one time, one customer */
    assert_int_equal(bc_waitlist_freed(env, &ctx, date), 0); /* again: the held time is not free */
    assert_int_equal(book(start, "direct@example.com", &direct), BC_ESLOT); /* the hold guards it */
    /* not yet due: the worker changes nothing */
    assert_int_equal(bc_waitlist_work(env, 64), 0);
    assert_string_equal(status_of(a, st), "offered");
    bc_clock_advance(15 * 60 + 1);
    assert_int_equal(bc_waitlist_work(env, 64), 1);
    assert_string_equal(status_of(a, st), "expired");
    assert_string_equal(status_of(b, st), "offered");
    assert_int_equal(bc_waitlist_work(env, 64), 0); /* idempotent: B's offer is not due */
    assert_string_equal(status_of(b, st), "offered");
    bc_clock_advance(15 * 60 + 1);
    assert_int_equal(bc_waitlist_work(env, 64), 1);
    assert_string_equal(status_of(b, st), "expired");
    /* nobody waits: the time is free again */
    assert_int_equal(book(start, "direct@example.com", &direct), 0);
    json_decref(direct);
    json_decref(bk);
}

static void test_waitlist__accept_once(void **state)
{
    (void)state;
    char date[11], start[32], a[64], msg[256] = "", st[32];
    json_t *bk = NULL, *booked = NULL, *again = NULL;
    next_day(date, start);
    assert_int_equal(book(start, "filler@example.com", &bk), 0);
    join(date, "carla", NULL, NULL, a);
    cancel(bk);
    char *tok = token_of(a), *wrong = bc_waitlist_token(tenant, a, "Hnotthehold");
    char *other = bc_waitlist_token("someoneelse", a, "x");
    char tn[64] = "";
    assert_int_equal(bc_waitlist_token_tenant(tok, tn, sizeof tn), 0);
    assert_string_equal(tn, tenant);
    assert_int_equal(bc_waitlist_accept(env, &ctx, a, wrong, BC_UNLIMITED, msg, sizeof msg, &booked),
                     BC_ENOT_FOUND);
    assert_int_equal(bc_waitlist_accept(env, &ctx, a, other, BC_UNLIMITED, msg, sizeof msg, &booked),
                     BC_ENOT_FOUND);
    assert_int_equal(bc_waitlist_accept(env, &ctx, a, NULL, BC_UNLIMITED, msg, sizeof msg, &booked),
                     BC_ENOT_FOUND);
    assert_int_equal(bc_waitlist_accept(env, &ctx, a, tok, BC_UNLIMITED, msg, sizeof msg, &booked), 0);
    assert_string_equal(json_string_value(json_object_get(booked, "start")), start);
    assert_string_equal(json_string_value(json_object_get(booked, "status")), "confirmed");
    assert_string_equal(status_of(a, st), "booked");
    assert_int_equal(bc_waitlist_accept(env, &ctx, a, tok, BC_UNLIMITED, msg, sizeof msg, &again),
                     BC_ECONFLICT);
    assert_null(again);
    /* the worker, when the offer's time comes, leaves a booked entry alone */
    bc_clock_advance(15 * 60 + 1);
    bc_waitlist_work(env, 64);
    assert_string_equal(status_of(a, st), "booked");
    free(tok);
    free(wrong);
    free(other);
    json_decref(booked);
    json_decref(bk);
}

static void test_waitlist__accept_after_expiry(void **state)
{
    (void)state;
    char date[11], start[32], a[64], msg[256] = "", st[32];
    json_t *bk = NULL, *booked = NULL;
    next_day(date, start);
    assert_int_equal(book(start, "filler@example.com", &bk), 0);
    join(date, "dario", NULL, NULL, a);
    cancel(bk);
    char *tok = token_of(a);
    bc_clock_advance(15 * 60 + 1); /* before the worker's pass: accept itself sees the expiry */
    assert_int_equal(bc_waitlist_accept(env, &ctx, a, tok, BC_UNLIMITED, msg, sizeof msg, &booked), BC_EGONE);
    assert_null(booked);
    assert_string_equal(status_of(a, st), "expired");
    free(tok);
    json_decref(bk);
}

static void test_waitlist__window_and_removal(void **state)
{
    (void)state;
    char date[11], start[32], pm[64], am[64], st[32];
    json_t *bk = NULL;
    next_day(date, start);
    assert_int_equal(book(start, "filler@example.com", &bk), 0);
    join(date, "elena", "16:00", "18:00", pm); /* first, but 09:00 is not in her window */
    join(date, "fabio", "08:30", "10:00", am);
    cancel(bk);
    assert_string_equal(status_of(pm, st), "waiting");
    assert_string_equal(status_of(am, st), "offered");
    /* staff remove the offered entry: its hold goes, and nobody else fits */
    assert_int_equal(bc_waitlist_remove(env, &ctx, am), 0);
    assert_string_equal(status_of(am, st), "removed");
    assert_string_equal(status_of(pm, st), "waiting");
    json_t *direct = NULL;
    assert_int_equal(book(start, "direct@example.com", &direct), 0);
    json_decref(direct);
    assert_int_equal(bc_waitlist_remove(env, &ctx, "NOPE"), BC_ENOT_FOUND);
    json_t *items = NULL;
    assert_int_equal(bc_waitlist_list(env, &ctx, date, &items), 0);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "id")), pm); /* order */
    json_decref(items);
    json_decref(bk);
}

static void test_waitlist__join_refusals(void **state)
{
    (void)state;
    char msg[256] = "", id[64];
    json_t *v = NULL;
    struct bc_waitlist_in in = {
        .service_id = svc, .date = "2026-12-20", .name = "Gala", .email = "gala@example.com"};
    join("2026-12-20", "gala", NULL, NULL, id);
    assert_int_equal(bc_waitlist_join(env, &ctx, &in, msg, sizeof msg, &v), BC_ECONFLICT); /* twice */
    in.date = "2026-11-29";                                                                /* yesterday */
    assert_int_equal(bc_waitlist_join(env, &ctx, &in, msg, sizeof msg, &v), BC_EINVALID);
    in.date = "2026-12-21";
    in.service_id = "NOPE";
    assert_int_equal(bc_waitlist_join(env, &ctx, &in, msg, sizeof msg, &v), BC_ENOT_FOUND);
    in.service_id = svc;
    in.email = NULL;
    assert_int_equal(bc_waitlist_join(env, &ctx, &in, msg, sizeof msg, &v), BC_EINVALID);
    assert_null(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waitlist__window),
        cmocka_unit_test(test_waitlist__matches),
        cmocka_unit_test(test_waitlist__offer_first_then_next),
        cmocka_unit_test(test_waitlist__accept_once),
        cmocka_unit_test(test_waitlist__accept_after_expiry),
        cmocka_unit_test(test_waitlist__window_and_removal),
        cmocka_unit_test(test_waitlist__join_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
