/* Results of LLM calls, and the helpers the wire protocols share to fill them (text, tool calls, stop
 * reason, errors) and to assemble a streamed answer. */
#include "llm/llm.h"
#include "llm/wire.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bc_llm_result *bc__llm_result_new(void)
{
    struct bc_llm_result *res = calloc(1, sizeof *res);
    return res;
}

void bc_llm_result_free(struct bc_llm_result *res)
{
    if (!res) return;
    free(res->text);
    json_decref(res->json);
    for (size_t i = 0; i < res->ncalls; i++) {
        free(res->calls[i].id);
        free(res->calls[i].name);
        json_decref(res->calls[i].input);
    }
    free(res->calls);
    free(res->error_code);
    free(res->error_message);
    free(res->model);
    free(res->tag);
    free(res);
}

const char *bc_llm_stop_name(enum bc_llm_stop stop)
{
    switch (stop) {
    case BC_LLM_STOP_END_TURN:
        return "end_turn";
    case BC_LLM_STOP_TOOL_USE:
        return "tool_use";
    case BC_LLM_STOP_MAX_TOKENS:
        return "max_tokens";
    case BC_LLM_STOP_OTHER:
        return "other";
    default:
        return "none";
    }
}

int bc__llm_result_add_text(struct bc_llm_result *res, const char *text, size_t len)
{
    size_t old = res->text ? strlen(res->text) : 0;
    char *n = realloc(res->text, old + len + 1);
    if (!n) return BC_ENOMEM;
    memcpy(n + old, text, len);
    n[old + len] = '\0';
    res->text = n;
    return 0;
}

int bc__llm_result_add_call(struct bc_llm_result *res, const char *id, const char *name, json_t *input)
{
    struct bc_llm_tool_call *n = realloc(res->calls, (res->ncalls + 1) * sizeof *n);
    if (!n) goto oom;
    res->calls = n;
    struct bc_llm_tool_call *tc = &res->calls[res->ncalls];
    tc->id = strdup(id ? id : "");
    tc->name = strdup(name ? name : "");
    tc->input = input ? input : json_object();
    if (!tc->id || !tc->name || !tc->input) {
        free(tc->id);
        free(tc->name);
        json_decref(tc->input);
        return BC_ENOMEM;
    }
    res->ncalls++;
    return 0;
oom:
    json_decref(input);
    return BC_ENOMEM;
}

json_t *bc__llm_parse_args(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) i++;
    if (i == len) return json_object();
    json_t *j = json_loadb(s, len, JSON_DECODE_ANY, NULL);
    return j ? j : json_stringn(s, len);
}

void bc__llm_result_set_error(struct bc_llm_result *res, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(res->error_code);
    free(res->error_message);
    res->error_code = strdup(code ? code : "error");
    res->error_message = strdup(msg);
}

void bc__llm_result_set_stop(struct bc_llm_result *res, enum bc_llm_stop stop, const char *raw)
{
    res->stop = stop;
    snprintf(res->stop_raw, sizeof res->stop_raw, "%s", raw ? raw : "");
}

char *bc__llm_block_content_text(const struct bc_llm_block *b)
{
    if (b->json) {
        if (json_is_string(b->json)) return strdup(json_string_value(b->json));
        return json_dumps(b->json, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    return strdup(b->text ? b->text : "");
}

bool bc__llm_tool_name_ok(const char *name)
{
    if (!name) return false;
    size_t n = strlen(name);
    if (n < 1 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-'))
            return false;
    }
    return true;
}

int bc__llm_req_set_body(struct bc__llm_req *r, json_t *body)
{
    if (!body) return BC_ENOMEM;
    r->body = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!r->body) return BC_ENOMEM;
    r->body_len = strlen(r->body);
    return 0;
}

void bc__llm_req_release(struct bc__llm_req *r)
{
    free(r->url);
    free(r->body);
    free(r->schema_tool);
    memset(r, 0, sizeof *r);
}

void bc__llm_stream_release(struct bc__llm_stream *s)
{
    for (size_t i = 0; i < s->nparts; i++) {
        free(s->parts[i].id);
        free(s->parts[i].name);
        bc_buf_release(&s->parts[i].args);
    }
    free(s->parts);
    s->parts = NULL;
    s->nparts = 0;
}

struct bc__llm_part *bc__llm_stream_part(struct bc__llm_stream *s, size_t i)
{
    if (i >= 1024) return NULL;
    if (i >= s->nparts) {
        struct bc__llm_part *n = realloc(s->parts, (i + 1) * sizeof *n);
        if (!n) return NULL;
        memset(n + s->nparts, 0, (i + 1 - s->nparts) * sizeof *n);
        s->parts = n;
        s->nparts = i + 1;
    }
    return &s->parts[i];
}

int bc__llm_stream_finish(struct bc__llm_stream *s, struct bc_llm_result *res)
{
    for (size_t i = 0; i < s->nparts; i++) {
        struct bc__llm_part *p = &s->parts[i];
        if (p->kind != BC_LLM_TOOL_USE) continue;
        json_t *in = bc__llm_parse_args(p->args.data ? p->args.data : "", p->args.len);
        if (bc__llm_result_add_call(res, p->id, p->name, in) < 0) return BC_ENOMEM;
        p->kind = 0;
    }
    return 0;
}
