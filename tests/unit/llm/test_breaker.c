/* The circuit breaker with explicit times: opens after N consecutive failures, a success resets the count,
 * half-open after the cool-down lets exactly one probe through, and the probe's outcome closes or re-opens.
 */
#include "../testlib.h"

#include "llm/breaker.h"

#define MS 1000000LL

static void test_breaker__opens_and_recovers(void **state)
{
    (void)state;
    struct bc__breaker b;
    bc__breaker_init(&b, 3, 100);
    int64_t t = 1000 * MS;
    assert_int_equal(bc__breaker_allow(&b, t), BC__BRK_ALLOW);
    bc__breaker_record(&b, false, false, t);
    bc__breaker_record(&b, false, false, t);
    bc__breaker_record(&b, false, true, t); /* a success resets the count */
    bc__breaker_record(&b, false, false, t);
    bc__breaker_record(&b, false, false, t);
    assert_int_equal(bc__breaker_state(&b, t), BC__BRK_CLOSED);
    bc__breaker_record(&b, false, false, t);
    assert_int_equal(bc__breaker_state(&b, t), BC__BRK_OPEN);
    assert_int_equal(bc__breaker_allow(&b, t + 50 * MS), BC__BRK_DENY);
    /* late outcomes of calls started before it opened change nothing */
    bc__breaker_record(&b, false, true, t + 60 * MS);
    assert_int_equal(bc__breaker_state(&b, t + 60 * MS), BC__BRK_OPEN);
    /* half-open: one probe, everyone else refused while it runs */
    assert_int_equal(bc__breaker_state(&b, t + 100 * MS), BC__BRK_HALF_OPEN);
    assert_int_equal(bc__breaker_allow(&b, t + 100 * MS), BC__BRK_PROBE);
    assert_int_equal(bc__breaker_allow(&b, t + 101 * MS), BC__BRK_DENY);
    /* the probe fails: open again for a full cool-down */
    bc__breaker_record(&b, true, false, t + 110 * MS);
    assert_int_equal(bc__breaker_allow(&b, t + 150 * MS), BC__BRK_DENY);
    assert_int_equal(bc__breaker_allow(&b, t + 210 * MS), BC__BRK_PROBE);
    /* an abandoned probe (cancelled call) lets the next call probe */
    bc__breaker_abandon(&b, true);
    assert_int_equal(bc__breaker_allow(&b, t + 211 * MS), BC__BRK_PROBE);
    bc__breaker_record(&b, true, true, t + 220 * MS);
    assert_int_equal(bc__breaker_state(&b, t + 220 * MS), BC__BRK_CLOSED);
    assert_int_equal(bc__breaker_allow(&b, t + 220 * MS), BC__BRK_ALLOW);
    assert_int_equal(b.opens, 2);
    bc__breaker_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker__opens_and_recovers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
