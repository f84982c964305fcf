/* The Anthropic Messages API (POST {base}/v1/messages, headers x-api-key and anthropic-version:
 * 2023-06-01): content blocks text / tool_use / tool_result, tools with input_schema, stop_reason, usage,
 * error bodies {"type":"error","error":{"type","message"}}, and the SSE stream (message_start,
 * content_block_start/delta/stop, message_delta, message_stop, error). A structured answer is a forced
 * tool (tool_choice {"type":"tool"}) whose input is the answer: it works with every tool-capable model. */
#include "llm/wire.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANTHROPIC_VERSION "2023-06-01"

static json_t *block_json(const struct bc_llm_block *b)
{
    switch (b->kind) {
    case BC_LLM_TEXT:
        return json_pack("{s:s, s:s}", "type", "text", "text", b->text);
    case BC_LLM_TOOL_USE:
        return json_pack("{s:s, s:s, s:s, s:O}", "type", "tool_use", "id", b->id, "name", b->name, "input",
                         b->json);
    case BC_LLM_TOOL_RESULT: {
        char *content = bc__llm_block_content_text(b);
        json_t *j = content ? json_pack("{s:s, s:s, s:s}", "type", "tool_result", "tool_use_id", b->id,
                                        "content", content)
                            : NULL;
        free(content);
        if (j && b->is_error && json_object_set_new(j, "is_error", json_true()) < 0) {
            json_decref(j);
            j = NULL;
        }
        return j;
    }
    }
    return NULL;
}

static int build(const struct bc_llm_provider *p, const struct bc_llm_conv *c, const struct bc_llm_opts *o,
                 struct bc__llm_req *out, char *err, size_t errsize)
{
    int rc = BC_ENOMEM;
    json_t *body = json_object(), *msgs = json_array(), *tools = NULL;
    if (!body || !msgs || json_object_set_new(body, "messages", msgs) < 0) goto out;
    if (json_object_set_new(body, "model", json_string(o->model)) < 0 ||
        json_object_set_new(body, "max_tokens", json_integer(o->max_tokens > 0 ? o->max_tokens : 1024)) < 0)
        goto out;
    if (c->system && *c->system && json_object_set_new(body, "system", json_string(c->system)) < 0) goto out;
    if (o->temperature >= 0 && json_object_set_new(body, "temperature", json_real(o->temperature)) < 0)
        goto out;
    for (size_t i = 0; i < c->nmsgs; i++) {
        const struct bc_llm_message *m = &c->msgs[i];
        json_t *content = json_array();
        json_t *jm = json_pack("{s:s, s:o}", "role", m->role == BC_LLM_USER ? "user" : "assistant", "content",
                               content);
        if (!jm || json_array_append_new(msgs, jm) < 0) goto out;
        for (size_t j = 0; j < m->nblocks; j++) {
            const struct bc_llm_block *b = &m->blocks[j];
            if (b->kind == BC_LLM_TEXT && !*b->text) continue; /* the API refuses empty text blocks */
            if (json_array_append_new(content, block_json(b)) < 0) goto out;
        }
        if (json_array_size(content) == 0) {
            snprintf(err, errsize, "message %zu is empty", i);
            rc = BC_EINVALID;
            goto out;
        }
    }
    if (o->ntools || o->schema) {
        tools = json_array();
        if (!tools || json_object_set_new(body, "tools", tools) < 0) goto out;
    }
    for (size_t i = 0; i < o->ntools; i++) {
        const struct bc_llm_tool *t = &o->tools[i];
        json_t *jt = json_pack("{s:s, s:s, s:O}", "name", t->name, "description",
                               t->description ? t->description : "", "input_schema", t->input_schema);
        if (json_array_append_new(tools, jt) < 0) goto out;
    }
    if (o->schema) {
        const char *name = o->schema_name ? o->schema_name : "structured_answer";
        json_t *jt = json_pack("{s:s, s:s, s:O}", "name", name, "description",
                               "Give your answer by calling this tool: its input is the answer.",
                               "input_schema", o->schema);
        if (json_array_append_new(tools, jt) < 0) goto out;
        if (json_object_set_new(body, "tool_choice", json_pack("{s:s, s:s}", "type", "tool", "name", name)) <
            0)
            goto out;
        if (!(out->schema_tool = strdup(name))) goto out;
    }
    if (o->on_text && json_object_set_new(body, "stream", json_true()) < 0) goto out;
    out->stream = o->on_text != NULL;
    struct bc_buf url = BC_BUF_INIT;
    if (bc_buf_printf(&url, "%s/v1/messages", p->base_url) < 0) goto out;
    out->url = bc_buf_detach(&url, NULL);
    rc = bc__llm_req_set_body(out, body);
    body = NULL;
out:
    json_decref(body);
    return rc;
}

static int headers(const struct bc_llm_provider *p, const struct bc__llm_req *r, struct curl_slist **h)
{
    struct bc_buf key = BC_BUF_INIT;
    int rc = BC_ENOMEM;
    if (bc_buf_printf(&key, "x-api-key: %s", p->api_key ? p->api_key : "") < 0) goto out;
    struct curl_slist *l = *h;
    const char *fixed[] = {"anthropic-version: " ANTHROPIC_VERSION, "content-type: application/json",
                           r->stream ? "accept: text/event-stream" : "accept: application/json", key.data};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        struct curl_slist *n = curl_slist_append(l, fixed[i]);
        if (!n) goto out;
        l = n;
    }
    *h = l;
    rc = 0;
out:
    bc_buf_release(&key);
    return rc;
}

static enum bc_llm_stop map_stop(const char *s)
{
    if (!s) return BC_LLM_STOP_OTHER;
    if (strcmp(s, "end_turn") == 0 || strcmp(s, "stop_sequence") == 0) return BC_LLM_STOP_END_TURN;
    if (strcmp(s, "tool_use") == 0) return BC_LLM_STOP_TOOL_USE;
    if (strcmp(s, "max_tokens") == 0) return BC_LLM_STOP_MAX_TOKENS;
    return BC_LLM_STOP_OTHER; /* pause_turn, refusal, … */
}

/* input_tokens counts only uncached input; cache writes and reads are input too. */
static void read_usage(json_t *u, struct bc_llm_result *res, bool input)
{
    if (!json_is_object(u)) return;
    if (input) {
        json_int_t in = json_integer_value(json_object_get(u, "input_tokens")) +
                        json_integer_value(json_object_get(u, "cache_creation_input_tokens")) +
                        json_integer_value(json_object_get(u, "cache_read_input_tokens"));
        if (in > 0) res->input_tokens = (long)in;
    }
    json_t *out = json_object_get(u, "output_tokens");
    if (json_is_integer(out)) res->output_tokens = (long)json_integer_value(out);
}

static int parse(const char *body, size_t len, struct bc_llm_result *res)
{
    int rc = BC_EINVALID;
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *content = json_object_get(j, "content");
    if (!json_is_array(content)) {
        bc__llm_result_set_error(res, "invalid_response", "the answer has no content array");
        goto out;
    }
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b)
    {
        const char *type = json_string_value(json_object_get(b, "type"));
        if (!type) continue;
        if (strcmp(type, "text") == 0) {
            json_t *t = json_object_get(b, "text");
            if (json_is_string(t) &&
                bc__llm_result_add_text(res, json_string_value(t), json_string_length(t)) < 0) {
                rc = BC_ENOMEM;
                goto out;
            }
        } else if (strcmp(type, "tool_use") == 0) {
            const char *id = json_string_value(json_object_get(b, "id"));
            const char *name = json_string_value(json_object_get(b, "name"));
            json_t *in = json_object_get(b, "input");
            if (!id || !name) {
                bc__llm_result_set_error(res, "invalid_response", "a tool_use block lacks id or name");
                goto out;
            }
            if (bc__llm_result_add_call(res, id, name, in ? json_incref(in) : NULL) < 0) {
                rc = BC_ENOMEM;
                goto out;
            }
        }
    }
    const char *stop = json_string_value(json_object_get(j, "stop_reason"));
    bc__llm_result_set_stop(res, map_stop(stop), stop);
    read_usage(json_object_get(j, "usage"), res, true);
    rc = 0;
out:
    json_decref(j);
    return rc;
}

static void parse_error(int status, const char *errtype, const char *body, size_t len,
                        struct bc_llm_result *res)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *e = json_object_get(j, "error");
    const char *type = json_string_value(json_object_get(e, "type"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    char code[32];
    snprintf(code, sizeof code, "http_%d", status);
    if (type)
        bc__llm_result_set_error(res, type, "%s", msg ? msg : "");
    else
        bc__llm_result_set_error(res, code, "%.*s", (int)(len > 300 ? 300 : len), body ? body : "");
    json_decref(j);
}

static int stream_event(struct bc__llm_stream *s, const char *event, const char *data, size_t len,
                        struct bc_llm_result *res)
{
    int rc = 0;
    json_t *j = json_loadb(data, len, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) type = event;
    if (strcmp(type, "message_start") == 0) {
        read_usage(json_object_get(json_object_get(j, "message"), "usage"), res, true);
    } else if (strcmp(type, "content_block_start") == 0 || strcmp(type, "content_block_delta") == 0) {
        json_t *idx = json_object_get(j, "index");
        struct bc__llm_part *part = json_is_integer(idx) && json_integer_value(idx) >= 0
                                        ? bc__llm_stream_part(s, (size_t)json_integer_value(idx))
                                        : NULL;
        if (!part) {
            rc = BC_EINVALID;
            bc__llm_result_set_error(res, "invalid_response", "stream event without a usable index");
            goto out;
        }
        json_t *cb = json_object_get(j, "content_block"), *d = json_object_get(j, "delta");
        const char *ct = json_string_value(json_object_get(cb ? cb : d, "type"));
        if (!ct) goto out;
        if (strcmp(ct, "tool_use") == 0) {
            const char *id = json_string_value(json_object_get(cb, "id"));
            const char *name = json_string_value(json_object_get(cb, "name"));
            free(part->id);
            free(part->name);
            part->id = strdup(id ? id : "");
            part->name = strdup(name ? name : "");
            part->kind = BC_LLM_TOOL_USE;
            if (!part->id || !part->name) rc = BC_ENOMEM;
        } else if (strcmp(ct, "text") == 0) {
            part->kind = BC_LLM_TEXT;
        } else if (strcmp(ct, "text_delta") == 0) {
            json_t *t = json_object_get(d, "text");
            if (json_is_string(t) && json_string_length(t)) {
                if (bc__llm_result_add_text(res, json_string_value(t), json_string_length(t)) < 0) {
                    rc = BC_ENOMEM;
                    goto out;
                }
                if (s->on_text) s->on_text(json_string_value(t), json_string_length(t), s->text_ud);
                s->emitted = true;
            }
        } else if (strcmp(ct, "input_json_delta") == 0) {
            json_t *t = json_object_get(d, "partial_json");
            if (json_is_string(t) &&
                bc_buf_append(&part->args, json_string_value(t), json_string_length(t)) < 0)
                rc = BC_ENOMEM;
        }
    } else if (strcmp(type, "message_delta") == 0) {
        const char *stop = json_string_value(json_object_get(json_object_get(j, "delta"), "stop_reason"));
        if (stop) bc__llm_result_set_stop(res, map_stop(stop), stop);
        read_usage(json_object_get(j, "usage"), res, true);
    } else if (strcmp(type, "message_stop") == 0) {
        s->done = true;
    } else if (strcmp(type, "error") == 0) {
        json_t *e = json_object_get(j, "error");
        const char *et = json_string_value(json_object_get(e, "type"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        bc__llm_result_set_error(res, et ? et : "stream_error", "%s",
                                 msg ? msg : "error event in the stream");
        s->err = et && (strcmp(et, "overloaded_error") == 0 || strcmp(et, "api_error") == 0) ? BC_EUNAVAILABLE
                 : et && strcmp(et, "rate_limit_error") == 0                                 ? BC_ERATE
                                                                                             : BC_EINVALID;
        rc = s->err;
    }
    /* ping, content_block_stop and unknown events carry nothing we need */
out:
    json_decref(j);
    return rc;
}

const struct bc__llm_wire bc__llm_wire_anthropic = {
    .name = "anthropic",
    .can_stream = true,
    .build = build,
    .headers = headers,
    .parse = parse,
    .parse_error = parse_error,
    .stream_event = stream_event,
};
