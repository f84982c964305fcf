/* The LLM client layer: one provider-neutral interface (conversation, tools, options, result) over three
 * wire protocols (Anthropic Messages, Amazon Bedrock Converse, OpenAI-compatible Chat Completions), and an
 * asynchronous engine that runs every call on one libcurl multi thread, so that a request waiting on a
 * model holds no server worker thread. This layer knows nothing of tenants, bookings or HTTP handlers.
 *
 * DESIGN NOTES
 * - A call is built (serialised to the provider's JSON) inside bc_llm_submit, on the caller's thread: the
 *   conversation, tools and options are only borrowed for the duration of that call.
 * - The engine thread is the only one that touches the curl multi handle; other threads hand it calls
 *   through a locked queue and curl_multi_wakeup. Completion callbacks run on the engine thread.
 * - Each call has one deadline (opts.timeout_ms) covering every attempt and backoff; a retry is only
 *   started when it can begin before the deadline.
 * - Each provider has one circuit breaker, shared by every engine that uses it (mutex-protected).
 * - A provider must outlive every call submitted with it: free the engine first, then the providers. */
#ifndef BC_LLM_H
#define BC_LLM_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------------------------------- */
/* Conversation                                                                                         */

enum bc_llm_role { BC_LLM_USER = 1, BC_LLM_ASSISTANT };

enum bc_llm_block_kind {
    BC_LLM_TEXT = 1,    /* text */
    BC_LLM_TOOL_USE,    /* id, name, json = the tool's input (an object) */
    BC_LLM_TOOL_RESULT, /* id = tool_use_id; json = content (any JSON) or text = content; is_error */
};

struct bc_llm_block {
    enum bc_llm_block_kind kind;
    char *text;
    char *id;
    char *name;
    json_t *json;
    bool is_error;
};

struct bc_llm_message {
    enum bc_llm_role role;
    size_t nblocks;
    struct bc_llm_block *blocks;
};

/* Messages alternate roles: adding a block of the same role as the last message appends it to that
 * message (several tool results of one turn become one user message, as Anthropic and Bedrock require). */
struct bc_llm_conv {
    char *system; /* system prompt or NULL */
    size_t nmsgs, cap;
    struct bc_llm_message *msgs;
};

void bc_llm_conv_init(struct bc_llm_conv *c);
/* Frees everything the conversation holds; it can be reused after bc_llm_conv_init. */
void bc_llm_conv_release(struct bc_llm_conv *c);
/* Each of these copies its strings and takes its own reference on JSON values (the caller keeps its own).
 * They return 0, BC_EINVALID (missing id/name, tool input not an object) or BC_ENOMEM. */
int bc_llm_conv_set_system(struct bc_llm_conv *c, const char *system);
int bc_llm_conv_add_text(struct bc_llm_conv *c, enum bc_llm_role role, const char *text);
int bc_llm_conv_add_tool_use(struct bc_llm_conv *c, const char *id, const char *name, json_t *input);
/* Content is content_json when not NULL, else content_text. */
int bc_llm_conv_add_tool_result(struct bc_llm_conv *c, const char *tool_use_id, json_t *content_json,
                                const char *content_text, bool is_error);
struct bc_llm_result;
/* Appends the assistant's turn of a result (its text, then its tool calls) to the conversation. */
int bc_llm_conv_add_result(struct bc_llm_conv *c, const struct bc_llm_result *res);
/* A provider-neutral JSON form of a conversation, to store it between turns:
 * {"system":…,"messages":[{"role":"user","content":[{"type":"text","text":…},
 * {"type":"tool_use","id","name","input"},{"type":"tool_result","tool_use_id","content","is_error"}]}]}.
 * to_json returns a new reference (NULL on OOM); from_json fills an initialised, empty conversation and
 * returns 0 or BC_EINVALID (the conversation is then released). */
json_t *bc_llm_conv_to_json(const struct bc_llm_conv *c);
int bc_llm_conv_from_json(struct bc_llm_conv *c, json_t *j);

/* ---------------------------------------------------------------------------------------------------- */
/* Tools, options, result                                                                               */

/* A tool the model may call; borrowed for the duration of bc_llm_submit. */
struct bc_llm_tool {
    const char *name; /* [a-zA-Z0-9_-]{1,64} */
    const char *description;
    json_t *input_schema; /* a JSON schema of type object */
};

/* Called on the engine thread with each piece of assistant text as it streams in (not NUL-terminated). */
typedef void (*bc_llm_text_fn)(const char *text, size_t len, void *ud);

struct bc_llm_opts {
    const char *model;  /* required: "claude-…", a Bedrock model id or inference profile, "llama3.1" … */
    int max_tokens;     /* 0: 1024 */
    double temperature; /* < 0: the provider's default */
    const struct bc_llm_tool *tools;
    size_t ntools;
    /* A JSON schema (an object schema) the answer must follow; the parsed answer is then in result->json.
     * OpenAI-compatible: response_format json_schema (strict); Anthropic and Bedrock: a forced tool named
     * schema_name (default "structured_answer") whose input is the answer. */
    json_t *schema;
    const char *schema_name;
    int timeout_ms;  /* whole call, retries included; 0: the provider's default (config llm_timeout) */
    int max_retries; /* retries after the first attempt; 0: the provider's default; -1: none */
    /* Streaming (Anthropic and OpenAI-compatible; ignored by Bedrock): on_text gets the text as it
     * arrives; the result is assembled as without streaming. */
    bc_llm_text_fn on_text;
    void *text_ud;
    /* An opaque label copied into the result and the usage hook (e.g. "tenant/conversation"). */
    const char *tag;
};

enum bc_llm_stop {
    BC_LLM_STOP_NONE = 0, /* no answer (the call failed) */
    BC_LLM_STOP_END_TURN,
    BC_LLM_STOP_TOOL_USE,
    BC_LLM_STOP_MAX_TOKENS,
    BC_LLM_STOP_OTHER,
};

struct bc_llm_tool_call {
    char *id;
    char *name;
    json_t *input; /* parsed arguments; a JSON string holding them raw if the model sent invalid JSON */
};

struct bc_llm_result {
    int err;      /* 0, or BC_ETIMEOUT, BC_EUNAVAILABLE (5xx, network, circuit open, cancelled),
                     BC_ERATE (429 after every retry), BC_EINVALID (a 4xx, or an unusable answer) */
    char *text;   /* the assistant's text, concatenated; "" when none (never NULL on success) */
    json_t *json; /* with opts.schema: the structured answer (an object) */
    size_t ncalls;
    struct bc_llm_tool_call *calls;
    enum bc_llm_stop stop;
    char stop_raw[40]; /* the provider's own stop reason */
    long input_tokens, output_tokens;
    int http_status;     /* of the last attempt; 0 when none answered */
    char *error_code;    /* the provider's error type/code ("invalid_request_error", "ValidationException",
                            "rate_limited" …) or ours ("timeout", "network", "circuit_open", "cancelled") */
    char *error_message; /* the provider's message or a description */
    int attempts;        /* HTTP attempts made */
    int64_t latency_ms;  /* from submit to completion */
    char provider[16];   /* "anthropic" | "bedrock" | "openai" */
    char *model;         /* as requested */
    char *tag;           /* opts.tag */
};

/* Frees a result and everything it holds; NULL is a no-op. */
void bc_llm_result_free(struct bc_llm_result *res);
/* "end_turn" | "tool_use" | "max_tokens" | "other" | "none" */
const char *bc_llm_stop_name(enum bc_llm_stop stop);

/* ---------------------------------------------------------------------------------------------------- */
/* Providers                                                                                            */

enum bc_llm_kind { BC_LLM_ANTHROPIC = 1, BC_LLM_BEDROCK, BC_LLM_OPENAI };

struct bc_llm_provider_cfg {
    enum bc_llm_kind kind;
    const char *base_url; /* no trailing slash needed; NULL: the default of the kind (Bedrock: regional) */
    const char *api_key;  /* Anthropic (required), OpenAI-compatible (optional: local servers) */
    /* Bedrock */
    const char *region;
    const char *access_key_id, *secret_access_key, *session_token;
    /* behaviour; 0 means the default in brackets */
    int timeout_ms;          /* default call deadline [30000] */
    int max_retries;         /* retries after the first attempt [2]; -1: none */
    int backoff_base_ms;     /* first backoff [250], doubled each retry, with jitter */
    int backoff_max_ms;      /* backoff cap [8000] */
    int breaker_failures;    /* consecutive failures that open the circuit [5] */
    int breaker_cooldown_ms; /* open → half-open after [30000] */
};

struct bc_llm_provider;

/* Creates a provider (every string is copied). Returns 0 or BC_EINVALID (with a message in err: missing
 * key, region or credentials, bad URL) / BC_ENOMEM. Caller frees with bc_llm_provider_free. */
int bc_llm_provider_new(const struct bc_llm_provider_cfg *cfg, struct bc_llm_provider **out, char *err,
                        size_t errsize);
/* Creates a provider from the configuration (util/config.h rows anthropic_*, bedrock_*, openai_*, llm_*)
 * and the standard environment variables (ANTHROPIC_API_KEY, OPENAI_API_KEY, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION). BC_EINVALID with a message
 * when that provider is not configured. */
int bc_llm_provider_from_config(enum bc_llm_kind kind, struct bc_llm_provider **out, char *err,
                                size_t errsize);
void bc_llm_provider_free(struct bc_llm_provider *p);
enum bc_llm_kind bc_llm_provider_kind(const struct bc_llm_provider *p);
/* "anthropic" | "bedrock" | "openai"; bc_llm_kind_parse returns 0 for an unknown name. */
const char *bc_llm_kind_name(enum bc_llm_kind kind);
enum bc_llm_kind bc_llm_kind_parse(const char *name);
/* The circuit breaker's state: "closed" | "open" | "half_open". */
const char *bc_llm_provider_circuit(struct bc_llm_provider *p);

/* ---------------------------------------------------------------------------------------------------- */
/* The asynchronous engine                                                                              */

struct bc_llm_engine_cfg {
    long max_connections;      /* CURLMOPT_MAX_TOTAL_CONNECTIONS; 0: no limit */
    long max_host_connections; /* CURLMOPT_MAX_HOST_CONNECTIONS; 0: no limit */
};

struct bc_llm_engine;

/* Per completed call (success or failure, usage possibly 0), on the engine thread: the hook for token
 * accounting. Strings are borrowed for the duration of the call. */
struct bc_llm_usage_event {
    const char *provider, *model, *tag;
    long input_tokens, output_tokens;
    int err;
    int64_t latency_ms;
};
typedef void (*bc_llm_usage_fn)(const struct bc_llm_usage_event *ev, void *ud);

/* Starts the engine thread (cfg may be NULL). Returns 0, BC_ENOMEM or BC_EINTERNAL. Caller frees with
 * bc_llm_engine_free. */
int bc_llm_engine_new(const struct bc_llm_engine_cfg *cfg, struct bc_llm_engine **out);
/* Sets the usage hook (before submitting calls). */
void bc_llm_engine_set_usage_hook(struct bc_llm_engine *e, bc_llm_usage_fn fn, void *ud);
/* Stops the engine: every call still queued, waiting for a retry or in flight is cancelled and its
 * callback called (on the engine thread) with BC_EUNAVAILABLE / "cancelled"; then the thread is joined
 * and everything freed. NULL is a no-op. Must not be called from a completion callback. */
void bc_llm_engine_free(struct bc_llm_engine *e);

/* Takes ownership of res: free it with bc_llm_result_free. Runs on the engine thread: keep it short
 * (hand the result over and return; e.g. set it on the request and bc_req_resume). */
typedef void (*bc_llm_done_fn)(struct bc_llm_result *res, void *ud);

/* Submits a call. On 0, done is called exactly once, later, on the engine thread (never inside this
 * function). On a negative return done is never called: BC_EINVALID (no model, bad tool or schema),
 * BC_EUNAVAILABLE (circuit open, engine stopping), BC_ENOMEM. conv, opts and the tools are borrowed only
 * until this function returns; opts->on_text/text_ud and ud must stay valid until done is called. */
int bc_llm_submit(struct bc_llm_engine *e, struct bc_llm_provider *p, const struct bc_llm_conv *conv,
                  const struct bc_llm_opts *opts, bc_llm_done_fn done, void *ud);

/* Blocking helper for the CLI and tests: submits and waits. e may be NULL (a private engine is started
 * and stopped around the call). Must not be called from the engine thread. Returns the result (caller
 * frees with bc_llm_result_free; its err says how the call ended), or NULL with *rc set when the call
 * could not be submitted. */
struct bc_llm_result *bc_llm_call(struct bc_llm_engine *e, struct bc_llm_provider *p,
                                  const struct bc_llm_conv *conv, const struct bc_llm_opts *opts, int *rc);

/* Counters of an engine (monotonic since start, except inflight). */
struct bc_llm_engine_stats {
    uint64_t submitted, completed, failed, retries, cancelled;
    uint64_t input_tokens, output_tokens;
    long inflight; /* submitted and not completed */
};
void bc_llm_engine_stats(struct bc_llm_engine *e, struct bc_llm_engine_stats *out);

#endif
