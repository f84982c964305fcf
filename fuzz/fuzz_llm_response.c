/* libFuzzer target over the LLM response parsers: the first byte picks a protocol (Anthropic, Bedrock,
 * OpenAI-compatible) and a path (a 2xx body, an error body, or an SSE stream fed in random-sized pieces);
 * the rest is the provider's answer. Checks memory safety and that a parsed result is self-consistent. */
#include "llm/llm.h"
#include "llm/sse.h"
#include "llm/wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct bc__llm_wire *wires[3] = {&bc__llm_wire_anthropic, &bc__llm_wire_bedrock,
                                              &bc__llm_wire_openai};

struct ctx {
    const struct bc__llm_wire *w;
    struct bc__llm_stream st;
    struct bc_llm_result *res;
    size_t text_seen;
};

static void on_text(const char *text, size_t len, void *ud)
{
    struct ctx *c = ud;
    if (len && !text) abort();
    c->text_seen += len;
}

static int on_event(const char *event, const char *data, size_t len, void *ud)
{
    struct ctx *c = ud;
    if (data[len] != '\0') abort(); /* NUL-terminated; the data itself may hold NUL bytes */
    return c->w->stream_event(&c->st, event, data, len, c->res);
}

static void check(const struct bc_llm_result *r)
{
    if (r->text) (void)strlen(r->text);
    for (size_t i = 0; i < r->ncalls; i++)
        if (!r->calls[i].id || !r->calls[i].name || !r->calls[i].input) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    unsigned sel = data[0], step = data[1] % 64 + 1;
    const char *body = (const char *)data + 2;
    size_t len = size - 2;
    struct ctx c = {.w = wires[sel % 3]};
    c.res = calloc(1, sizeof *c.res);
    if (!c.res) return 0;
    switch ((sel / 3) % 3) {
    case 0:
        if (c.w->parse(body, len, c.res) == 0) check(c.res);
        break;
    case 1: {
        char *copy = malloc(len + 1);
        if (!copy) break;
        memcpy(copy, body, len);
        copy[len] = '\0';
        c.w->parse_error(400 + (int)(sel % 200), (sel & 0x80) ? copy : NULL, body, len, c.res);
        if (!c.res->error_code || !c.res->error_message) abort();
        free(copy);
        break;
    }
    default: {
        if (!c.w->stream_event) break;
        struct bc__sse sse;
        bc__sse_init(&sse, 1 << 16);
        c.st.on_text = on_text;
        c.st.text_ud = &c;
        int rc = 0;
        for (size_t i = 0; i < len && rc == 0; i += step)
            rc = bc__sse_feed(&sse, body + i, len - i < step ? len - i : step, on_event, &c);
        if (rc == 0 && bc__llm_stream_finish(&c.st, c.res) == 0) check(c.res);
        bc__sse_release(&sse);
        bc__llm_stream_release(&c.st);
        if (c.text_seen && (!c.res->text || strlen(c.res->text) != c.text_seen)) abort();
        break;
    }
    }
    bc_llm_result_free(c.res);
    return 0;
}
