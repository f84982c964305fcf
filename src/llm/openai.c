/* OpenAI-compatible Chat Completions (POST {base}/v1/chat/completions, Authorization: Bearer), as served by
 * OpenAI, Ollama, llama.cpp's server and vLLM: a system message, user/assistant messages with tool_calls
 * (arguments as a JSON string), "tool" role messages for tool results, tools of type function,
 * response_format json_schema for a structured answer, finish_reason, usage.prompt_tokens /
 * completion_tokens, and the "data:" chunk stream ending with [DONE]. */
#include "llm/wire.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text blocks of a message joined by blank lines, or NULL when it has none. */
static char *joined_text(const struct bc_llm_message *m)
{
    struct bc_buf b = BC_BUF_INIT;
    bool any = false;
    for (size_t j = 0; j < m->nblocks; j++) {
        if (m->blocks[j].kind != BC_LLM_TEXT) continue;
        if ((any && bc_buf_puts(&b, "\n\n") < 0) || bc_buf_puts(&b, m->blocks[j].text) < 0) {
            bc_buf_release(&b);
            return NULL;
        }
        any = true;
    }
    if (!any) return NULL;
    return b.data ? bc_buf_detach(&b, NULL) : strdup("");
}

static int add_user(json_t *msgs, const struct bc_llm_message *m)
{
    /* tool messages must directly follow the assistant's tool_calls: they go first */
    for (size_t j = 0; j < m->nblocks; j++) {
        const struct bc_llm_block *b = &m->blocks[j];
        if (b->kind != BC_LLM_TOOL_RESULT) continue;
        char *content = bc__llm_block_content_text(b);
        struct bc_buf txt = BC_BUF_INIT;
        int rc = content ? bc_buf_printf(&txt, "%s%s", b->is_error ? "ERROR: " : "", content) : BC_ENOMEM;
        free(content);
        json_t *jm =
            rc == 0 ? json_pack("{s:s, s:s, s:s}", "role", "tool", "tool_call_id", b->id, "content", txt.data)
                    : NULL;
        bc_buf_release(&txt);
        if (json_array_append_new(msgs, jm) < 0) return BC_ENOMEM;
    }
    bool has_text = false;
    for (size_t j = 0; j < m->nblocks; j++) has_text |= m->blocks[j].kind == BC_LLM_TEXT;
    if (!has_text) return 0;
    char *text = joined_text(m);
    json_t *jm = text ? json_pack("{s:s, s:s}", "role", "user", "content", text) : NULL;
    free(text);
    return json_array_append_new(msgs, jm) < 0 ? BC_ENOMEM : 0;
}

static int add_assistant(json_t *msgs, const struct bc_llm_message *m)
{
    char *text = joined_text(m);
    json_t *jm =
        json_pack("{s:s, s:o}", "role", "assistant", "content", text ? json_string(text) : json_null());
    free(text);
    if (json_array_append_new(msgs, jm) < 0) return BC_ENOMEM;
    json_t *calls = NULL;
    for (size_t j = 0; j < m->nblocks; j++) {
        const struct bc_llm_block *b = &m->blocks[j];
        if (b->kind != BC_LLM_TOOL_USE) continue;
        if (!calls && (!(calls = json_array()) || json_object_set_new(jm, "tool_calls", calls) < 0))
            return BC_ENOMEM;
        char *args = json_dumps(b->json, JSON_COMPACT);
        json_t *jc = args ? json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", b->id, "type", "function", "function",
                                      "name", b->name, "arguments", args)
                          : NULL;
        free(args);
        if (json_array_append_new(calls, jc) < 0) return BC_ENOMEM;
    }
    return 0;
}

/* {base}/v1/chat/completions, tolerating a base that already ends in /v1 (as Ollama's docs write it). */
static char *endpoint(const char *base)
{
    struct bc_buf url = BC_BUF_INIT;
    size_t n = strlen(base);
    bool has_v1 = n >= 3 && strcmp(base + n - 3, "/v1") == 0;
    if (bc_buf_printf(&url, "%s%s/chat/completions", base, has_v1 ? "" : "/v1") < 0) return NULL;
    return bc_buf_detach(&url, NULL);
}

static int build(const struct bc_llm_provider *p, const struct bc_llm_conv *c, const struct bc_llm_opts *o,
                 struct bc__llm_req *out, char *err, size_t errsize)
{
    int rc = BC_ENOMEM;
    json_t *body = json_object(), *msgs = json_array();
    if (!body || !msgs || json_object_set_new(body, "messages", msgs) < 0) goto out;
    if (json_object_set_new(body, "model", json_string(o->model)) < 0 ||
        json_object_set_new(body, "max_tokens", json_integer(o->max_tokens > 0 ? o->max_tokens : 1024)) < 0)
        goto out;
    if (o->temperature >= 0 && json_object_set_new(body, "temperature", json_real(o->temperature)) < 0)
        goto out;
    if (c->system && *c->system &&
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content", c->system)) < 0)
        goto out;
    for (size_t i = 0; i < c->nmsgs; i++) {
        const struct bc_llm_message *m = &c->msgs[i];
        if ((m->role == BC_LLM_USER ? add_user(msgs, m) : add_assistant(msgs, m)) < 0) goto out;
    }
    if (json_array_size(msgs) == 0) {
        snprintf(err, errsize, "the conversation is empty");
        rc = BC_EINVALID;
        goto out;
    }
    if (o->ntools) {
        json_t *tools = json_array();
        if (!tools || json_object_set_new(body, "tools", tools) < 0) goto out;
        for (size_t i = 0; i < o->ntools; i++) {
            const struct bc_llm_tool *t = &o->tools[i];
            json_t *jt =
                json_pack("{s:s, s:{s:s, s:s, s:O}}", "type", "function", "function", "name", t->name,
                          "description", t->description ? t->description : "", "parameters", t->input_schema);
            if (json_array_append_new(tools, jt) < 0) goto out;
        }
    }
    if (o->schema) {
        json_t *rf = json_pack("{s:s, s:{s:s, s:O, s:b}}", "type", "json_schema", "json_schema", "name",
                               o->schema_name ? o->schema_name : "structured_answer", "schema", o->schema,
                               "strict", 1);
        if (json_object_set_new(body, "response_format", rf) < 0) goto out;
    }
    if (o->on_text) {
        if (json_object_set_new(body, "stream", json_true()) < 0 ||
            json_object_set_new(body, "stream_options", json_pack("{s:b}", "include_usage", 1)) < 0)
            goto out;
        out->stream = true;
    }
    if (!(out->url = endpoint(p->base_url))) goto out;
    rc = bc__llm_req_set_body(out, body);
    body = NULL;
out:
    json_decref(body);
    return rc;
}

static int headers(const struct bc_llm_provider *p, const struct bc__llm_req *r, struct curl_slist **h)
{
    struct bc_buf auth = BC_BUF_INIT;
    int rc = BC_ENOMEM;
    struct curl_slist *l = *h, *n;
    if (!(n = curl_slist_append(l, "content-type: application/json"))) goto out;
    l = n;
    if (!(n = curl_slist_append(l, r->stream ? "accept: text/event-stream" : "accept: application/json")))
        goto out;
    l = n;
    if (p->api_key && *p->api_key) {
        if (bc_buf_printf(&auth, "authorization: Bearer %s", p->api_key) < 0) goto out;
        if (!(n = curl_slist_append(l, auth.data))) goto out;
        l = n;
    }
    rc = 0;
out:
    *h = l;
    bc_buf_release(&auth);
    return rc;
}

static enum bc_llm_stop map_stop(const char *s)
{
    if (!s) return BC_LLM_STOP_OTHER;
    if (strcmp(s, "stop") == 0) return BC_LLM_STOP_END_TURN;
    if (strcmp(s, "tool_calls") == 0 || strcmp(s, "function_call") == 0) return BC_LLM_STOP_TOOL_USE;
    if (strcmp(s, "length") == 0) return BC_LLM_STOP_MAX_TOKENS;
    return BC_LLM_STOP_OTHER; /* content_filter, … */
}

static void read_usage(json_t *u, struct bc_llm_result *res)
{
    if (!json_is_object(u)) return;
    json_t *in = json_object_get(u, "prompt_tokens"), *out = json_object_get(u, "completion_tokens");
    if (json_is_integer(in)) res->input_tokens = (long)json_integer_value(in);
    if (json_is_integer(out)) res->output_tokens = (long)json_integer_value(out);
}

/* Message content: a string, or (some servers) an array of {"type":"text","text"} parts. */
static int add_content(struct bc_llm_result *res, json_t *content)
{
    if (json_is_string(content))
        return bc__llm_result_add_text(res, json_string_value(content), json_string_length(content));
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        json_t *t = json_object_get(part, "text");
        if (json_is_string(t) &&
            bc__llm_result_add_text(res, json_string_value(t), json_string_length(t)) < 0)
            return BC_ENOMEM;
    }
    return 0;
}

/* Arguments are a JSON string per the API; some servers send the object itself. */
static json_t *call_args(json_t *args)
{
    if (json_is_string(args)) return bc__llm_parse_args(json_string_value(args), json_string_length(args));
    if (json_is_object(args)) return json_incref(args);
    return json_object();
}

static int parse(const char *body, size_t len, struct bc_llm_result *res)
{
    int rc = BC_EINVALID;
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *choice = json_array_get(json_object_get(j, "choices"), 0);
    json_t *msg = json_object_get(choice, "message");
    if (!json_is_object(msg)) {
        bc__llm_result_set_error(res, "invalid_response", "the answer has no choices[0].message");
        goto out;
    }
    if (add_content(res, json_object_get(msg, "content")) < 0) {
        rc = BC_ENOMEM;
        goto out;
    }
    size_t i;
    json_t *tc;
    json_array_foreach(json_object_get(msg, "tool_calls"), i, tc)
    {
        json_t *fn = json_object_get(tc, "function");
        const char *id = json_string_value(json_object_get(tc, "id"));
        const char *name = json_string_value(json_object_get(fn, "name"));
        if (!name) {
            bc__llm_result_set_error(res, "invalid_response", "a tool call lacks function.name");
            goto out;
        }
        char gen[32];
        if (!id || !*id) { /* some local servers omit ids: make stable ones */
            snprintf(gen, sizeof gen, "call_%zu", i);
            id = gen;
        }
        if (bc__llm_result_add_call(res, id, name, call_args(json_object_get(fn, "arguments"))) < 0) {
            rc = BC_ENOMEM;
            goto out;
        }
    }
    const char *stop = json_string_value(json_object_get(choice, "finish_reason"));
    enum bc_llm_stop st = map_stop(stop);
    if (res->ncalls && st == BC_LLM_STOP_END_TURN) st = BC_LLM_STOP_TOOL_USE; /* Ollama says "stop" */
    bc__llm_result_set_stop(res, st, stop);
    read_usage(json_object_get(j, "usage"), res);
    rc = 0;
out:
    json_decref(j);
    return rc;
}

/* {"error":{"message","type","code"}} (OpenAI, llama.cpp), {"error":"…"} (Ollama), or
 * {"object":"error","message","type","code"} (vLLM). */
static void parse_error(int status, const char *errtype, const char *body, size_t len,
                        struct bc_llm_result *res)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *e = json_object_get(j, "error");
    if (!json_is_object(e) && json_is_object(j) && json_object_get(j, "message")) e = j;
    const char *code = json_string_value(json_object_get(e, "code"));
    if (!code) code = json_string_value(json_object_get(e, "type"));
    const char *msg =
        json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
    char fallback[32];
    snprintf(fallback, sizeof fallback, "http_%d", status);
    if (code || msg)
        bc__llm_result_set_error(res, code ? code : fallback, "%s", msg ? msg : "");
    else
        bc__llm_result_set_error(res, fallback, "%.*s", (int)(len > 300 ? 300 : len), body ? body : "");
    json_decref(j);
}

static int stream_event(struct bc__llm_stream *s, const char *event, const char *data, size_t len,
                        struct bc_llm_result *res)
{
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        s->done = true;
        return 0;
    }
    int rc = 0;
    json_t *j = json_loadb(data, len, 0, NULL);
    if (!j) {
        bc__llm_result_set_error(res, "invalid_response", "a stream chunk is not JSON");
        rc = BC_EINVALID;
        goto out;
    }
    json_t *e = json_object_get(j, "error");
    if (e) {
        parse_error(200, NULL, data, len, res);
        rc = s->err = BC_EUNAVAILABLE;
        goto out;
    }
    read_usage(json_object_get(j, "usage"), res);
    json_t *choice = json_array_get(json_object_get(j, "choices"), 0);
    json_t *delta = json_object_get(choice, "delta");
    json_t *content = json_object_get(delta, "content");
    if (json_is_string(content) && json_string_length(content)) {
        if (bc__llm_result_add_text(res, json_string_value(content), json_string_length(content)) < 0) {
            rc = BC_ENOMEM;
            goto out;
        }
        if (s->on_text) s->on_text(json_string_value(content), json_string_length(content), s->text_ud);
        s->emitted = true;
    }
    size_t i;
    json_t *tc;
    json_array_foreach(json_object_get(delta, "tool_calls"), i, tc)
    {
        json_t *idx = json_object_get(tc, "index");
        size_t k = json_is_integer(idx) && json_integer_value(idx) >= 0 ? (size_t)json_integer_value(idx) : i;
        struct bc__llm_part *part = bc__llm_stream_part(s, k);
        if (!part) {
            rc = BC_EINVALID;
            bc__llm_result_set_error(res, "invalid_response", "tool call index out of range");
            goto out;
        }
        part->kind = BC_LLM_TOOL_USE;
        json_t *fn = json_object_get(tc, "function");
        const char *id = json_string_value(json_object_get(tc, "id"));
        const char *name = json_string_value(json_object_get(fn, "name"));
        if (id && *id) {
            free(part->id);
            if (!(part->id = strdup(id))) rc = BC_ENOMEM;
        }
        if (name && *name) {
            free(part->name);
            if (!(part->name = strdup(name))) rc = BC_ENOMEM;
        }
        json_t *args = json_object_get(fn, "arguments");
        if (json_is_string(args) &&
            bc_buf_append(&part->args, json_string_value(args), json_string_length(args)) < 0)
            rc = BC_ENOMEM;
        if (!part->id) {
            char gen[32];
            snprintf(gen, sizeof gen, "call_%zu", k);
            if (!(part->id = strdup(gen))) rc = BC_ENOMEM;
        }
        if (rc < 0) goto out;
    }
    const char *stop = json_string_value(json_object_get(choice, "finish_reason"));
    if (stop) bc__llm_result_set_stop(res, map_stop(stop), stop);
out:
    json_decref(j);
    (void)event;
    return rc;
}

const struct bc__llm_wire bc__llm_wire_openai = {
    .name = "openai",
    .can_stream = true,
    .build = build,
    .headers = headers,
    .parse = parse,
    .parse_error = parse_error,
    .stream_event = stream_event,
};
