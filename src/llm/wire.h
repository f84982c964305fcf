/* Internal to src/llm: the provider struct, the table each wire protocol fills (build a request, sign it,
 * parse an answer, an error body or a stream), and helpers the protocols share to fill a result. The
 * engine only talks to a protocol through struct bc__llm_wire. */
#ifndef BC_LLM_WIRE_H
#define BC_LLM_WIRE_H
#include <curl/curl.h>

#include "llm/breaker.h"
#include "llm/llm.h"
#include "util/buf.h"

struct bc__llm_wire;

struct bc_llm_provider {
    enum bc_llm_kind kind;
    const struct bc__llm_wire *wire;
    char *base_url; /* without trailing slash */
    char *api_key;
    char *region, *access_key_id, *secret_access_key, *session_token;
    int timeout_ms, max_retries, backoff_base_ms, backoff_max_ms;
    struct bc__breaker breaker;
};

/* One call as a protocol built it. Owned by the engine; freed with bc__llm_req_release. */
struct bc__llm_req {
    char *url;  /* full URL */
    char *body; /* JSON request body */
    size_t body_len;
    char *schema_tool; /* the forced tool carrying the structured answer (Anthropic, Bedrock), or NULL */
    bool want_json;    /* opts.schema was given: the answer must be a JSON object */
    bool stream;       /* streaming was asked for and the protocol supports it */
};
void bc__llm_req_release(struct bc__llm_req *r);

/* Streaming state of one attempt, owned by the engine, interpreted by the protocol. */
struct bc__llm_stream {
    bc_llm_text_fn on_text;
    void *text_ud;
    bool emitted; /* some text was handed to on_text (a retry would repeat it) */
    bool done;    /* the protocol saw the end of the message */
    int err;      /* an error event arrived (bc_err), with code/message in the result */
    /* blocks under construction, indexed by the protocol's block/tool-call index */
    size_t nparts;
    struct bc__llm_part {
        int kind; /* BC_LLM_TEXT or BC_LLM_TOOL_USE; 0 unused */
        char *id, *name;
        struct bc_buf args; /* tool input JSON, accumulated */
    } * parts;
};
void bc__llm_stream_release(struct bc__llm_stream *s);
/* The part at index i, grown as needed (NULL on OOM or an absurd index). */
struct bc__llm_part *bc__llm_stream_part(struct bc__llm_stream *s, size_t i);
/* Moves the finished tool-use parts into res->calls (in index order). 0 or BC_ENOMEM. */
int bc__llm_stream_finish(struct bc__llm_stream *s, struct bc_llm_result *res);

struct bc__llm_wire {
    const char *name;
    bool can_stream;
    /* Builds the URL and body of a call. 0, or BC_EINVALID with a message / BC_ENOMEM. */
    int (*build)(const struct bc_llm_provider *p, const struct bc_llm_conv *c, const struct bc_llm_opts *o,
                 struct bc__llm_req *out, char *err, size_t errsize);
    /* Appends the headers of one attempt (called per attempt: signatures are time-dependent). 0 or bc_err. */
    int (*headers)(const struct bc_llm_provider *p, const struct bc__llm_req *r, struct curl_slist **h);
    /* Parses a 2xx body into res (text, calls, stop, usage). 0 or BC_EINVALID (not the documented shape,
     * with error_code "invalid_response"). */
    int (*parse)(const char *body, size_t len, struct bc_llm_result *res);
    /* Fills res->error_code / error_message from a non-2xx answer; errtype is the x-amzn-ErrorType header
     * (Bedrock) or NULL. Never fails (falls back to "http_<status>"). */
    void (*parse_error)(int status, const char *errtype, const char *body, size_t len,
                        struct bc_llm_result *res);
    /* Handles one SSE event of a 2xx stream. 0 or a negative bc_err (stops the transfer). */
    int (*stream_event)(struct bc__llm_stream *s, const char *event, const char *data, size_t len,
                        struct bc_llm_result *res);
};

extern const struct bc__llm_wire bc__llm_wire_anthropic;
extern const struct bc__llm_wire bc__llm_wire_bedrock;
extern const struct bc__llm_wire bc__llm_wire_openai;

/* Result helpers shared by the protocols. Each returns 0 or BC_ENOMEM. */
struct bc_llm_result *bc__llm_result_new(void);
int bc__llm_result_add_text(struct bc_llm_result *res, const char *text, size_t len);
/* Takes ownership of input (a new reference, or NULL for {}). */
int bc__llm_result_add_call(struct bc_llm_result *res, const char *id, const char *name, json_t *input);
/* Parses a tool's JSON arguments as a model sent them ("" → {}; invalid → a JSON string of the raw text). */
json_t *bc__llm_parse_args(const char *s, size_t len);
void bc__llm_result_set_error(struct bc_llm_result *res, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bc__llm_result_set_stop(struct bc_llm_result *res, enum bc_llm_stop stop, const char *raw);
/* The text of a tool result as one string (content JSON dumped compactly, or the text); caller frees. */
char *bc__llm_block_content_text(const struct bc_llm_block *b);
/* Serialises a request body (steals body) into r->body. 0 or BC_ENOMEM. */
int bc__llm_req_set_body(struct bc__llm_req *r, json_t *body);
/* Checks a tool name against [a-zA-Z0-9_-]{1,64}. */
bool bc__llm_tool_name_ok(const char *name);

#endif
