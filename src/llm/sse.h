/* An incremental Server-Sent Events parser (internal to src/llm), for the streaming answers of the
 * Anthropic and OpenAI-compatible APIs: bytes go in as they arrive, complete events come out. Follows the
 * WHATWG event-stream rules: "event:" and "data:" fields (several data lines joined with "\n"), comments
 * (":") and other fields ignored, an event dispatched at each blank line, a trailing incomplete event
 * discarded. Lines end with "\n" or "\r\n". */
#ifndef BC_LLM_SSE_H
#define BC_LLM_SSE_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct bc__sse {
    struct bc_buf line; /* the current, incomplete line */
    struct bc_buf data; /* data of the current event */
    char event[64];     /* event type of the current event ("" = "message") */
    bool has_data;
    size_t max; /* largest line or event accepted, in bytes */
};

/* Called for each event; data is NUL-terminated (len excludes it). A negative return stops the parse and
 * is returned by bc__sse_feed. */
typedef int (*bc__sse_fn)(const char *event, const char *data, size_t len, void *ud);

void bc__sse_init(struct bc__sse *s, size_t max);
void bc__sse_release(struct bc__sse *s);
/* Returns 0, the callback's negative value, BC_ETOO_LARGE (a line or event over max) or BC_ENOMEM. */
int bc__sse_feed(struct bc__sse *s, const char *buf, size_t n, bc__sse_fn fn, void *ud);

#endif
