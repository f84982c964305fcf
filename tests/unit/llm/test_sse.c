/* The SSE parser: the same events whatever the chunking (byte by byte included), CRLF lines, multi-line
 * data, comments and unknown fields ignored, an event without data skipped, a trailing partial event
 * dropped, size limits, and a callback's error stopping the parse. */
#include "../testlib.h"

#include "llm/sse.h"
#include "util/buf.h"
#include "util/err.h"

static int collect(const char *event, const char *data, size_t len, void *ud)
{
    struct bc_buf *b = ud;
    assert_int_equal(strlen(data), len);
    bc_buf_printf(b, "[%s|%s]", event, data);
    return 0;
}

static const char stream[] = ": comment line\n"
                             "event: message_start\n"
                             "data: {\"a\":1}\n"
                             "\n"
                             "data:no space\r\n"
                             "data: second line\r\n"
                             "id: 7\r\n"
                             "retry: 100\r\n"
                             "\r\n"
                             "event: lonely\n"
                             "\n"
                             "event: ping\n"
                             "data\n"
                             "\n"
                             "data: [DONE]\n\n"
                             "data: partial, never terminated\n";

static const char expected[] =
    "[message_start|{\"a\":1}][message|no space\nsecond line][ping|][message|[DONE]]";

static void test_sse__any_chunking(void **state)
{
    (void)state;
    size_t n = strlen(stream);
    size_t steps[] = {1, 2, 3, 7, 64, n};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        struct bc__sse p;
        bc__sse_init(&p, 0);
        struct bc_buf out = BC_BUF_INIT;
        for (size_t i = 0; i < n; i += steps[s]) {
            size_t k = n - i < steps[s] ? n - i : steps[s];
            assert_int_equal(bc__sse_feed(&p, stream + i, k, collect, &out), 0);
        }
        assert_string_equal(out.data, expected);
        bc_buf_release(&out);
        bc__sse_release(&p);
    }
}

static int stop_at_second(const char *event, const char *data, size_t len, void *ud)
{
    (void)event;
    (void)data;
    (void)len;
    int *n = ud;
    return ++*n == 2 ? BC_EINVALID : 0;
}

static void test_sse__limits_and_errors(void **state)
{
    (void)state;
    struct bc__sse p;
    bc__sse_init(&p, 32);
    struct bc_buf out = BC_BUF_INIT;
    char big[100];
    memset(big, 'x', sizeof big);
    assert_int_equal(bc__sse_feed(&p, "data: ", 6, collect, &out), 0);
    assert_int_equal(bc__sse_feed(&p, big, sizeof big, collect, &out), BC_ETOO_LARGE);
    bc__sse_release(&p);
    /* many short data lines adding up past the limit */
    bc__sse_init(&p, 32);
    int rc = 0;
    for (int i = 0; i < 20 && rc == 0; i++) rc = bc__sse_feed(&p, "data: 12345\n", 12, collect, &out);
    assert_int_equal(rc, BC_ETOO_LARGE);
    bc__sse_release(&p);
    bc_buf_release(&out);

    bc__sse_init(&p, 0);
    int count = 0;
    const char *s = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    assert_int_equal(bc__sse_feed(&p, s, strlen(s), stop_at_second, &count), BC_EINVALID);
    assert_int_equal(count, 2);
    bc__sse_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse__any_chunking),
        cmocka_unit_test(test_sse__limits_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
