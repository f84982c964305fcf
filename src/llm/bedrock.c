/* Amazon Bedrock's Converse API (POST {base}/model/{modelId}/converse, signed with SigV4 for service
 * "bedrock" in the provider's region): system blocks, messages whose content blocks are {"text"},
 * {"toolUse"} and {"toolResult"}, toolConfig.tools[].toolSpec.inputSchema.json, inferenceConfig,
 * stopReason, usage.inputTokens/outputTokens, and errors named by the x-amzn-ErrorType header
 * ("ValidationException:…") with a {"message"} body. A structured answer is a forced tool
 * (toolConfig.toolChoice.tool). Streaming (ConverseStream's binary event stream) is not used. */
#include "llm/wire.h"
#include "util/awscreds.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/sigv4.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *block_json(const struct bc_llm_block *b)
{
    switch (b->kind) {
    case BC_LLM_TEXT:
        return json_pack("{s:s}", "text", b->text);
    case BC_LLM_TOOL_USE:
        return json_pack("{s:{s:s, s:s, s:O}}", "toolUse", "toolUseId", b->id, "name", b->name, "input",
                         b->json);
    case BC_LLM_TOOL_RESULT: {
        json_t *content;
        if (json_is_object(b->json)) {
            content = json_pack("[{s:O}]", "json", b->json);
        } else {
            char *t = bc__llm_block_content_text(b);
            content = t ? json_pack("[{s:s}]", "text", t) : NULL;
            free(t);
        }
        json_t *j = json_pack("{s:{s:s, s:o}}", "toolResult", "toolUseId", b->id, "content", content);
        if (j && b->is_error &&
            json_object_set_new(json_object_get(j, "toolResult"), "status", json_string("error")) < 0) {
            json_decref(j);
            j = NULL;
        }
        return j;
    }
    }
    return NULL;
}

/* RFC 3986 unreserved characters stay, everything else is %XX (a model id has ':' , an ARN '/' too). */
static int put_encoded(struct bc_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        bool keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                    ch == '-' || ch == '.' || ch == '_' || ch == '~';
        if ((keep ? bc_buf_putc(b, (char)ch) : bc_buf_printf(b, "%%%02X", ch)) < 0) return BC_ENOMEM;
    }
    return 0;
}

static int build(const struct bc_llm_provider *p, const struct bc_llm_conv *c, const struct bc_llm_opts *o,
                 struct bc__llm_req *out, char *err, size_t errsize)
{
    int rc = BC_ENOMEM;
    json_t *body = json_object(), *msgs = json_array(), *tools = NULL, *inf = NULL;
    struct bc_buf url = BC_BUF_INIT;
    if (!body || !msgs || json_object_set_new(body, "messages", msgs) < 0) goto out;
    if (c->system && *c->system &&
        json_object_set_new(body, "system", json_pack("[{s:s}]", "text", c->system)) < 0)
        goto out;
    if (!(inf = json_pack("{s:i}", "maxTokens", o->max_tokens > 0 ? o->max_tokens : 1024)) ||
        json_object_set_new(body, "inferenceConfig", inf) < 0)
        goto out;
    if (o->temperature >= 0 && json_object_set_new(inf, "temperature", json_real(o->temperature)) < 0)
        goto out;
    for (size_t i = 0; i < c->nmsgs; i++) {
        const struct bc_llm_message *m = &c->msgs[i];
        json_t *content = json_array();
        json_t *jm = json_pack("{s:s, s:o}", "role", m->role == BC_LLM_USER ? "user" : "assistant", "content",
                               content);
        if (!jm || json_array_append_new(msgs, jm) < 0) goto out;
        for (size_t j = 0; j < m->nblocks; j++) {
            const struct bc_llm_block *b = &m->blocks[j];
            if (b->kind == BC_LLM_TEXT && !*b->text) continue; /* blank text blocks are refused */
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
        json_t *tc = json_pack("{s:o}", "tools", tools);
        if (!tc || json_object_set_new(body, "toolConfig", tc) < 0) goto out;
        for (size_t i = 0; i < o->ntools; i++) {
            const struct bc_llm_tool *t = &o->tools[i];
            json_t *jt = json_pack("{s:{s:s, s:s, s:{s:O}}}", "toolSpec", "name", t->name, "description",
                                   t->description && *t->description ? t->description : t->name,
                                   "inputSchema", "json", t->input_schema);
            if (json_array_append_new(tools, jt) < 0) goto out;
        }
        if (o->schema) {
            const char *name = o->schema_name ? o->schema_name : "structured_answer";
            json_t *jt = json_pack("{s:{s:s, s:s, s:{s:O}}}", "toolSpec", "name", name, "description",
                                   "Give your answer by calling this tool: its input is the answer.",
                                   "inputSchema", "json", o->schema);
            if (json_array_append_new(tools, jt) < 0) goto out;
            if (json_object_set_new(tc, "toolChoice", json_pack("{s:{s:s}}", "tool", "name", name)) < 0)
                goto out;
            if (!(out->schema_tool = strdup(name))) goto out;
        }
    }
    if (bc_buf_printf(&url, "%s/model/", p->base_url) < 0 || put_encoded(&url, o->model) < 0 ||
        bc_buf_puts(&url, "/converse") < 0)
        goto out;
    out->url = bc_buf_detach(&url, NULL);
    out->stream = false;
    rc = bc__llm_req_set_body(out, body);
    body = NULL;
out:
    bc_buf_release(&url);
    json_decref(body);
    return rc;
}

/* Host (with a port when the URL has one) and path of a URL "scheme://host[:port]/path". */
static int split_url(const char *url, char *host, size_t hostsize, const char **path)
{
    const char *h = strstr(url, "://");
    if (!h) return BC_EINVALID;
    h += 3;
    const char *slash = strchr(h, '/');
    size_t n = slash ? (size_t)(slash - h) : strlen(h);
    if (n == 0 || n >= hostsize) return BC_EINVALID;
    memcpy(host, h, n);
    host[n] = '\0';
    *path = slash ? slash : "/";
    return 0;
}

static int add(struct curl_slist **h, struct bc_buf *tmp, const char *name, const char *value)
{
    bc_buf_reset(tmp);
    if (bc_buf_printf(tmp, "%s: %s", name, value) < 0) return BC_ENOMEM;
    struct curl_slist *n = curl_slist_append(*h, tmp->data);
    if (!n) return BC_ENOMEM;
    *h = n;
    return 0;
}

static int headers(const struct bc_llm_provider *p, const struct bc__llm_req *r, struct curl_slist **h)
{
    char host[256], date[17];
    const char *path;
    int rc = split_url(r->url, host, sizeof host, &path);
    if (rc < 0) return rc;
    bc_sigv4_amz_date((time_t)bc_now_s(), date);
    struct bc_sigv4_header hs[5] = {
        {"content-type", "application/json"},
        {"host", host},
        {"x-amz-date", date},
    };
    size_t nh = 3;
    /* the provider's keys, or the task role's (util/awscreds.h) */
    struct bc_aws_creds role;
    const char *key = p->access_key_id, *secret = p->secret_access_key, *token = p->session_token;
    if (!key || !secret) {
        char err[256];
        if ((rc = bc_aws_creds_get(&role, err, sizeof err)) < 0) {
            bc_log(BC_LOG_WARN, "bedrock: %s", err);
            return rc;
        }
        key = role.access_key, secret = role.secret_key, token = role.token[0] ? role.token : NULL;
    }
    if (token) hs[nh++] = (struct bc_sigv4_header){"x-amz-security-token", token};
    struct bc_sigv4_request req = {.method = "POST",
                                   .path = path,
                                   .headers = hs,
                                   .nheaders = nh,
                                   .body = r->body,
                                   .body_len = r->body_len};
    struct bc_sigv4_credentials cr = {key, secret};
    struct bc_sigv4_scope scope = {date, p->region, "bedrock"};
    char *auth = NULL;
    struct bc_buf tmp = BC_BUF_INIT;
    if ((rc = bc_sigv4_authorization(&req, &cr, &scope, &auth)) < 0) goto out;
    for (size_t i = 0; i < nh && rc == 0; i++) rc = add(h, &tmp, hs[i].name, hs[i].value);
    if (rc == 0) rc = add(h, &tmp, "accept", "application/json");
    if (rc == 0) rc = add(h, &tmp, "authorization", auth);
out:
    OPENSSL_cleanse(&role, sizeof role);
    free(auth);
    bc_buf_release(&tmp);
    return rc;
}

static enum bc_llm_stop map_stop(const char *s)
{
    if (!s) return BC_LLM_STOP_OTHER;
    if (strcmp(s, "end_turn") == 0 || strcmp(s, "stop_sequence") == 0) return BC_LLM_STOP_END_TURN;
    if (strcmp(s, "tool_use") == 0) return BC_LLM_STOP_TOOL_USE;
    if (strcmp(s, "max_tokens") == 0) return BC_LLM_STOP_MAX_TOKENS;
    return BC_LLM_STOP_OTHER; /* guardrail_intervened, content_filtered, … */
}

static int parse(const char *body, size_t len, struct bc_llm_result *res)
{
    int rc = BC_EINVALID;
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *content = json_object_get(json_object_get(json_object_get(j, "output"), "message"), "content");
    if (!json_is_array(content)) {
        bc__llm_result_set_error(res, "invalid_response", "the answer has no output.message.content array");
        goto out;
    }
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b)
    {
        json_t *t = json_object_get(b, "text"), *tu = json_object_get(b, "toolUse");
        if (json_is_string(t)) {
            if (bc__llm_result_add_text(res, json_string_value(t), json_string_length(t)) < 0) {
                rc = BC_ENOMEM;
                goto out;
            }
        } else if (json_is_object(tu)) {
            const char *id = json_string_value(json_object_get(tu, "toolUseId"));
            const char *name = json_string_value(json_object_get(tu, "name"));
            json_t *in = json_object_get(tu, "input");
            if (!id || !name) {
                bc__llm_result_set_error(res, "invalid_response", "a toolUse block lacks toolUseId or name");
                goto out;
            }
            if (bc__llm_result_add_call(res, id, name, in ? json_incref(in) : NULL) < 0) {
                rc = BC_ENOMEM;
                goto out;
            }
        }
    }
    const char *stop = json_string_value(json_object_get(j, "stopReason"));
    bc__llm_result_set_stop(res, map_stop(stop), stop);
    json_t *u = json_object_get(j, "usage");
    res->input_tokens = (long)(json_integer_value(json_object_get(u, "inputTokens")) +
                               json_integer_value(json_object_get(u, "cacheReadInputTokens")) +
                               json_integer_value(json_object_get(u, "cacheWriteInputTokens")));
    res->output_tokens = (long)json_integer_value(json_object_get(u, "outputTokens"));
    rc = 0;
out:
    json_decref(j);
    return rc;
}

/* The error's name: "ValidationException:http://…" (header) or "com.amazon.coral…#ValidationException". */
static void error_name(const char *s, char *out, size_t outsize)
{
    const char *hash = strrchr(s, '#');
    if (hash) s = hash + 1;
    size_t n = strcspn(s, ":");
    if (n >= outsize) n = outsize - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

static void parse_error(int status, const char *errtype, const char *body, size_t len,
                        struct bc_llm_result *res)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (!msg) msg = json_string_value(json_object_get(j, "Message"));
    const char *type = errtype ? errtype : json_string_value(json_object_get(j, "__type"));
    char code[96];
    if (type && *type)
        error_name(type, code, sizeof code);
    else
        snprintf(code, sizeof code, "http_%d", status);
    if (msg)
        bc__llm_result_set_error(res, code, "%s", msg);
    else
        bc__llm_result_set_error(res, code, "%.*s", (int)(len > 300 ? 300 : len), body ? body : "");
    json_decref(j);
}

const struct bc__llm_wire bc__llm_wire_bedrock = {
    .name = "bedrock",
    .can_stream = false,
    .build = build,
    .headers = headers,
    .parse = parse,
    .parse_error = parse_error,
    .stream_event = NULL,
};
