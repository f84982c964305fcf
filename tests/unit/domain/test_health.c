/* The tenant health score (domain/health.c): each factor on its own, at its thresholds and edges (no
 * traffic, no conversations, unlimited plans, no keys), and the score with its reasons worst first. */
#include "../testlib.h"

#include "domain/health.h"
#include "domain/plan.h"

#include <math.h>

#define DAY 86400

/* A healthy tenant: busy, converting, far from its limits, active today, fresh key, no hand-offs. */
static struct bc_health_in healthy(void)
{
    struct bc_health_in in = {0};
    in.now_s = 1800000000;
    in.requests = 1000;
    in.errors_4xx = 10;
    in.conversations = 50;
    in.conversations_booked = 20;
    in.used[0] = 100;
    in.limit[0] = 500;
    in.used[1] = 10;
    in.limit[1] = 50;
    in.used[2] = 0;
    in.limit[2] = 0;
    in.last_active_s = in.now_s - 3600;
    in.created_s = in.now_s - 400 * DAY;
    in.active_keys = 1;
    in.oldest_key_s = in.now_s - 30 * DAY;
    return in;
}

static void test_health__healthy_is_100(void **state)
{
    (void)state;
    struct bc_health_in in = healthy();
    json_t *out = NULL;
    assert_int_equal(bc_health_score(&in, &out), 100);
    assert_int_equal(json_integer_value(json_object_get(out, "score")), 100);
    assert_int_equal(json_array_size(json_object_get(out, "reasons")), 0);
    assert_int_equal(json_object_size(json_object_get(out, "factors")), 8);
    json_decref(out);
}

static void test_health__error_rate(void **state)
{
    (void)state;
    struct bc_health_in in = healthy();
    struct bc_health_factor f;
    assert_int_equal(bc_health_error_rate(&in, &f), 0); /* 1 % */
    in.errors_4xx = 50;                                 /* 5 %: still free */
    assert_int_equal(bc_health_error_rate(&in, &f), 0);
    in.errors_4xx = 200; /* 20 %: 60 % of the way from 5 % to 30 % */
    assert_int_equal(bc_health_error_rate(&in, &f), 15);
    in.errors_4xx = 0;
    in.errors_5xx = 150; /* server errors count double: 30 % */
    assert_int_equal(bc_health_error_rate(&in, &f), 25);
    assert_float_equal(f.value, 0.30, 1e-9);
    assert_non_null(strstr(f.detail, "150 server errors"));
    in.errors_5xx = 5000; /* more errors than requests cannot go past the maximum */
    assert_int_equal(bc_health_error_rate(&in, &f), 25);
    in.requests = 10; /* too few to judge */
    in.errors_5xx = 10;
    assert_int_equal(bc_health_error_rate(&in, &f), 0);
    assert_true(isnan(f.value));
    in.requests = 0;
    assert_int_equal(bc_health_error_rate(&in, &f), 0);
}

static void test_health__booking_conversion(void **state)
{
    (void)state;
    struct bc_health_in in = healthy();
    struct bc_health_factor f;
    assert_int_equal(bc_health_booking_conversion(&in, &f), 0); /* 40 % */
    in.conversations_booked = 10;                               /* 20 %: fine */
    assert_int_equal(bc_health_booking_conversion(&in, &f), 0);
    in.conversations_booked = 5; /* 10 %: half */
    assert_int_equal(bc_health_booking_conversion(&in, &f), 10);
    in.conversations_booked = 0; /* none */
    assert_int_equal(bc_health_booking_conversion(&in, &f), 20);
    assert_float_equal(f.value, 0.0, 1e-9);
    /* no conversations today (or this week): nothing to judge, no division by zero */
    in.conversations = 0;
    assert_int_equal(bc_health_booking_conversion(&in, &f), 0);
    assert_true(isnan(f.value));
    assert_non_null(strstr(f.detail, "no chat conversations"));
    in.conversations = 3; /* too few */
    assert_int_equal(bc_health_booking_conversion(&in, &f), 0);
    in.conversations = 10;
    in.conversations_booked = 12; /* more bookings than conversations: capped at 100 % */
    assert_int_equal(bc_health_booking_conversion(&in, &f), 0);
    assert_float_equal(f.value, 1.0, 1e-9);
}

static void test_health__plan_limits(void **state)
{
    (void)state;
    struct bc_health_in in = healthy();
    struct bc_health_factor f;
    assert_int_equal(bc_health_plan_limits(&in, &f), 0); /* 20 % at most */
    in.used[1] = 40;                                     /* bookings at 80 % */
    assert_int_equal(bc_health_plan_limits(&in, &f), 5);
    assert_non_null(strstr(f.detail, "bookings"));
    in.used[1] = 45; /* 90 % */
    assert_int_equal(bc_health_plan_limits(&in, &f), 10);
    in.used[1] = 50; /* reached */
    assert_int_equal(bc_health_plan_limits(&in, &f), 20);
    assert_non_null(strstr(f.detail, "refused"));
    /* unlimited plans and budgets not in the plan are never close to a limit */
    in.limit[0] = in.limit[1] = BC_UNLIMITED;
    in.limit[2] = 0;
    in.used[2] = 999;
    assert_int_equal(bc_health_plan_limits(&in, &f), 0);
    assert_true(isnan(f.value));
    /* the worst counter decides */
    in.limit[2] = 1000;
    in.used[2] = 860;
    assert_int_equal(bc_health_plan_limits(&in, &f), 8);
    assert_non_null(strstr(f.detail, "AI tokens"));
}

static void test_health__inactivity(void **state)
{
    (void)state;
    struct bc_health_in in = healthy();
    struct bc_health_factor f;
    assert_int_equal(bc_health_inactivity(&in, &f), 0);
    in.last_active_s = in.now_s - 3 * DAY; /* free for 3 days */
    assert_int_equal(bc_health_inactivity(&in, &f), 0);
    in.last_active_s = in.now_s - (int64_t)(16.5 * DAY); /* half-way to 30 */
    assert_int_equal(bc_health_inactivity(&in, &f), 10);
    in.last_active_s = in.now_s - 90 * DAY;
    assert_int_equal(bc_health_inactivity(&in, &f), 20);
    assert_float_equal(f.value, 90, 1e-9);
    /* never active: counted from its creation */
    in.last_active_s = 0;
    in.created_s = in.now_s - DAY;
    assert_int_equal(bc_health_inactivity(&in, &f), 0);
    in.created_s = in.now_s - 60 * DAY;
    assert_int_equal(bc_health_inactivity(&in, &f), 20);
    assert_non_null(strstr(f.detail, "no activity"));
}

static void test_health__api_key_age(void **state)
{
    (void)state;
    struct bc_health_in in = healthy();
    struct bc_health_factor f;
    assert_int_equal(bc_health_api_key_age(&in, &f), 0);
    in.oldest_key_s = in.now_s - 200 * DAY;
    assert_int_equal(bc_health_api_key_age(&in, &f), 5);
    in.oldest_key_s = in.now_s - 400 * DAY;
    assert_int_equal(bc_health_api_key_age(&in, &f), 10);
    assert_non_null(strstr(f.detail, "rotate"));
    in.active_keys = 0;
    in.oldest_key_s = 0;
    assert_int_equal(bc_health_api_key_age(&in, &f), 10);
    assert_non_null(strstr(f.detail, "no active widget key"));
}

static void test_health__abuse(void **state)
{
    (void)state;
    struct bc_health_in in = healthy();
    struct bc_health_factor f;
    assert_int_equal(bc_health_abuse(&in, &f), 0); /* nobody refused */
    assert_string_equal(f.factor, "abuse");
    in.visitor_limited = 20; /* a person pressing on: free */
    assert_int_equal(bc_health_abuse(&in, &f), 0);
    in.visitor_limited = 21; /* past it: at least a point, so the operator sees it */
    assert_int_equal(bc_health_abuse(&in, &f), 1);
    in.visitor_limited = 260; /* half-way from 20 to 500 */
    assert_int_equal(bc_health_abuse(&in, &f), 5);
    assert_float_equal(f.value, 260, 1e-9);
    assert_non_null(strstr(f.detail, "260 widget requests refused"));
    in.visitor_limited = 100000; /* a flood cannot go past the maximum */
    assert_int_equal(bc_health_abuse(&in, &f), 10);
    json_t *out = NULL; /* and it counts in the score */
    assert_int_equal(bc_health_score(&in, &out), 90);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(out, "factors"), "abuse"), "penalty")),
                     10);
    json_decref(out);
}

static void test_health__handoffs(void **state)
{
    (void)state;
    struct bc_health_in in = healthy();
    struct bc_health_factor f;
    assert_int_equal(bc_health_handoffs(&in, &f), 0);
    in.handoffs_open = 1;
    assert_int_equal(bc_health_handoffs(&in, &f), 5);
    in.handoffs_open = 2;
    assert_int_equal(bc_health_handoffs(&in, &f), 10);
    in.handoffs_open = 40;
    assert_int_equal(bc_health_handoffs(&in, &f), 15);
    in.handoffs_open = -2; /* answered more than requested (a reopened count): none waiting */
    assert_int_equal(bc_health_handoffs(&in, &f), 0);
}

static void test_health__calendars(void **state)
{
    (void)state;
    struct bc_health_in in = {.now_s = 1000000, .calendars = 3};
    struct bc_health_factor f;
    assert_int_equal(bc_health_calendars(&in, &f), 0);
    in.calendars_failing = 1;
    assert_int_equal(bc_health_calendars(&in, &f), 5);
    assert_non_null(strstr(f.detail, "1 of 3 external calendars failing"));
    in.calendars_failing = 3;
    assert_int_equal(bc_health_calendars(&in, &f), 10); /* capped */
}

static void test_health__score_and_reasons_worst_first(void **state)
{
    (void)state;
    struct bc_health_in in = healthy();
    in.handoffs_open = 1;                   /* 5 */
    in.used[0] = 500;                       /* messages reached: 20 */
    in.oldest_key_s = in.now_s - 200 * DAY; /* 5 */
    json_t *out = NULL;
    assert_int_equal(bc_health_score(&in, &out), 70);
    json_t *reasons = json_object_get(out, "reasons");
    assert_int_equal(json_array_size(reasons), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(reasons, 0), "factor")),
                        "plan_limits");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(reasons, 0), "penalty")), 20);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(reasons, 2), "penalty")), 5);
    json_decref(out);
    /* failing everywhere floors at 0 */
    in.errors_5xx = 1000;
    in.conversations_booked = 0;
    in.last_active_s = in.now_s - 100 * DAY;
    in.active_keys = 0;
    in.handoffs_open = 9;
    assert_int_equal(bc_health_score(&in, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health__healthy_is_100),
        cmocka_unit_test(test_health__error_rate),
        cmocka_unit_test(test_health__booking_conversion),
        cmocka_unit_test(test_health__plan_limits),
        cmocka_unit_test(test_health__inactivity),
        cmocka_unit_test(test_health__api_key_age),
        cmocka_unit_test(test_health__handoffs),
        cmocka_unit_test(test_health__abuse),
        cmocka_unit_test(test_health__calendars),
        cmocka_unit_test(test_health__score_and_reasons_worst_first),
    };
    return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
