/* The turn of a widget message in fsm, nlp or agent mode, asynchronous and with fallbacks (chatturn.h). */
#include "http/chatturn.h"
#include "domain/agent.h"
#include "domain/aibudget.h"
#include "domain/chat.h"
#include "domain/chat_text.h"
#include "domain/conversation.h"
#include "domain/nlp.h"
#include "nlu/nlu.h"
#include "domain/plan.h"
#include "domain/settings.h"
#include "domain/usage.h"
#include "http/api.h"
#include "http/http.h"
#include "http/server.h"
#include "http/sse.h"
#include "llm/runtime.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

enum step { STEP_DONE = 0, STEP_WAIT = 1 };

struct turn {
    struct bc_req *req; /* JSON turns only (the request owns the turn); NULL for streamed turns */
    struct bc_env *env;
    struct bc_ctx ctx; /* a copy (its own reference on the tenant item) */
    json_t *conv;
    char *text, *action;
    unsigned mode; /* BC_AI_FSM | BC_AI_NLP | BC_AI_AGENT */
    enum bc_llm_kind kind;
    char model[128];
    char *instructions;
    int64_t conv_cap;
    struct bc_aibudget budget;
    struct bc_nlp *nlp;
    struct bc_agent *agent;
    struct bc_llm_result *res; /* handed over by the completion callback */
    int64_t t0_ns, deadline_ns;
    int calls;
    long tok_in, tok_out;
    const char *outcome; /* "ai" | "fallback" */
    char reason[48], detail[160];
    struct bc_sse *sse;
    /* the result */
    int rc;
    json_t *messages;
    bool had_booking, had_handoff; /* before the turn, for metering (domain/usage.h) */
};

static void turn_free(void *ud)
{
    struct turn *t = ud;
    if (!t) return;
    bc_ctx_release(&t->ctx);
    json_decref(t->conv);
    json_decref(t->messages);
    free(t->text);
    free(t->action);
    free(t->instructions);
    bc_nlp_free(t->nlp);
    bc_agent_free(t->agent);
    bc_llm_result_free(t->res);
    bc_sse_release(t->sse);
    free(t);
}

/* ---- the mode of this turn ---- */

static const char *default_model(enum bc_llm_kind kind, unsigned mode)
{
    bool agent = mode == BC_AI_AGENT;
    switch (kind) {
    case BC_LLM_BEDROCK:
        return agent ? "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
                     : "us.anthropic.claude-haiku-4-5-20251001-v1:0";
    case BC_LLM_OPENAI:
        return agent ? "gpt-4o" : "gpt-4o-mini";
    default:
        return agent ? "claude-sonnet-4-5" : "claude-haiku-4-5";
    }
}

static void set_reason(struct turn *t, const char *reason, const char *detail)
{
    if (reason != t->reason) snprintf(t->reason, sizeof t->reason, "%s", reason ? reason : "");
    if (detail != t->detail) snprintf(t->detail, sizeof t->detail, "%s", detail ? detail : "");
}

/* Reads SETTINGS#AI and the plan: the mode, provider and model of this turn. */
static void resolve_mode(struct turn *t)
{
    json_t *ai = NULL, *item = NULL;
    struct bc_limits lim;
    t->mode = BC_AI_FSM;
    /* only read (strings copied out): the read-only item, from the store's memo when unchanged */
    if (bc_settings_item_ro(t->env, &t->ctx, "AI", &item) < 0) return;
    ai = bc_settings_ai_view_ro(item);
    json_decref(item);
    unsigned mode = bc_ai_mode_parse(S(ai, "mode"));
    if (mode == BC_AI_NLP || mode == BC_AI_AGENT) {
        if (bc_plan_limits(t->env, t->ctx.tenant, &lim) < 0 || !(lim.ai_modes & mode)) {
            /* the plan changed since the mode was chosen */
            set_reason(t, "plan", "the plan does not include this mode");
            t->outcome = "fallback";
        } else {
            const char *prov = S(ai, "provider") ? S(ai, "provider") : bc_config_get(BC_CFG_AI_PROVIDER);
            t->kind = bc_llm_kind_parse(prov);
            const char *model = S(ai, "model");
            if (!model)
                model = bc_config_get(mode == BC_AI_AGENT ? BC_CFG_AI_MODEL_AGENT : BC_CFG_AI_MODEL_NLP);
            if (!model || !*model) model = default_model(t->kind, mode);
            snprintf(t->model, sizeof t->model, "%s", model);
            t->conv_cap = json_integer_value(json_object_get(ai, "conversation_tokens"));
            if (S(ai, "instructions")) t->instructions = strdup(S(ai, "instructions"));
            if (!t->kind) {
                set_reason(t, "no_provider", "unknown provider");
                t->outcome = "fallback";
            } else {
                t->mode = mode;
            }
        }
    }
    json_decref(ai);
}

/* ---- logging ---- */

static void log_turn(struct turn *t)
{
    if (!t->outcome) return; /* plain fsm mode: nothing to say */
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "type", "ai_turn", "tenant", t->ctx.tenant_id,
                          "conversation", S(t->conv, "id") ? S(t->conv, "id") : "", "outcome", t->outcome);
    json_object_set_new(o, "mode",
                        json_string(t->mode == BC_AI_AGENT ? "agent"
                                    : t->mode == BC_AI_NLP ? "nlp"
                                                           : "fsm"));
    if (t->kind) json_object_set_new(o, "provider", json_string(bc_llm_kind_name(t->kind)));
    if (t->model[0]) json_object_set_new(o, "model", json_string(t->model));
    if (t->reason[0]) json_object_set_new(o, "reason", json_string(t->reason));
    if (t->detail[0]) {
        json_t *d = json_string(t->detail);
        if (d) json_object_set_new(o, "detail", d);
    }
    json_object_set_new(o, "calls", json_integer(t->calls));
    json_object_set_new(o, "tokens_in", json_integer(t->tok_in));
    json_object_set_new(o, "tokens_out", json_integer(t->tok_out));
    json_object_set_new(o, "ms", json_integer((bc_mono_ns() - t->t0_ns) / 1000000));
    bc_log_obj(strcmp(t->outcome, "ai") == 0 || !strcmp(t->reason, "month_budget") ||
                       !strcmp(t->reason, "conversation_budget") || !strcmp(t->reason, "plan")
                   ? BC_LOG_INFO
                   : BC_LOG_WARN,
               o);
}

/* ---- running the turn ---- */

/* Meters what the turn changed: a first booking in this conversation, a new hand-off waiting for staff. */
static void meter_turn(struct turn *t)
{
    if (t->rc < 0) return;
    if (!t->had_booking && json_object_get(t->conv, "booking"))
        bc_usage_add(t->env, t->ctx.tenant_id, BC_USAGE_CONVERSATIONS_BOOKED, 1);
    if (!t->had_handoff && bc_conv_handoff_open(t->conv))
        bc_usage_add(t->env, t->ctx.tenant_id, BC_USAGE_HANDOFFS, 1);
}

static int step_done(struct turn *t, int rc, json_t *messages)
{
    t->rc = rc;
    meter_turn(t);
    json_decref(t->messages);
    t->messages = rc == 0 ? messages : NULL;
    if (rc < 0) json_decref(messages);
    if (t->outcome && strcmp(t->outcome, "fallback") != 0) t->outcome = "ai";
    log_turn(t);
    return STEP_DONE;
}

/* The turn in fsm mode: the mode itself, or the fallback of an AI turn (reason set). */
static int run_fsm(struct turn *t, const char *reason, const char *detail)
{
    json_t *messages = NULL;
    if (reason) {
        set_reason(t, reason, detail);
        t->outcome = "fallback";
    }
    int rc = bc_chat_turn(t->env, &t->ctx, t->conv, t->text, t->action, bc_api_public_url(), &messages);
    if (rc == 0 && t->mode == BC_AI_AGENT) {
        /* the model must know what fsm mode said, for the turns it answers later */
        char buf[240];
        const char *said = t->text;
        if (!said) {
            snprintf(buf, sizeof buf, "(chose the option %s)", t->action);
            said = buf;
        }
        if (bc_agent_record_fsm(t->agent, t->conv, said, messages) == 0 && bc_conv_save(t->env, t->conv) < 0)
            bc_log(BC_LOG_WARN, "agent transcript of an fsm turn not saved");
    }
    if (t->mode == BC_AI_FSM && !reason && !t->outcome) {
        t->rc = rc;
        meter_turn(t);
        t->messages = rc == 0 ? messages : NULL;
        if (rc < 0) json_decref(messages);
        return STEP_DONE;
    }
    return step_done(t, rc, messages);
}

static void on_done(struct bc_llm_result *res, void *ud);
static void on_text(const char *text, size_t len, void *ud);

static int64_t remaining_ms(struct turn *t)
{
    return (t->deadline_ns - bc_mono_ns()) / 1000000;
}

/* Submits the next call; 0, or a negative bc_err with the reason set (the caller falls back). */
static int submit(struct turn *t)
{
    char err[200] = "";
    struct bc_llm_opts o = {.model = t->model, .tag = t->ctx.tenant_id};
    const struct bc_llm_conv *c;
    int64_t left = remaining_ms(t);
    if (left < 200) {
        set_reason(t, "turn_timeout", "no time left for another call");
        return BC_ETIMEOUT;
    }
    if (t->mode == BC_AI_NLP) {
        c = bc_nlp_conv(t->nlp);
        o.schema = bc_nlp_schema(t->nlp);
        o.schema_name = "reading";
        o.max_tokens = 400;
        o.temperature = 0;
    } else {
        c = bc_agent_conv(t->agent);
        o.tools = bc_agent_tools(&o.ntools);
        o.max_tokens = 1024;
        o.temperature = 0.2;
        if (t->sse) {
            o.on_text = on_text;
            o.text_ud = t;
        }
    }
    /* each call: the time left in the turn, at most llm_timeout */
    int64_t cap = bc_config_int(BC_CFG_LLM_TIMEOUT, 30) * 1000;
    if (cap <= 0 || cap > 600000) cap = 600000;
    o.timeout_ms = (int)(left > cap ? cap : left);
    if (t->req) bc_req_suspend(t->req); /* before the call exists: its answer may come at once */
    int rc = bc_llm_runtime_submit(t->kind, c, &o, on_done, t, err, sizeof err);
    if (rc < 0) {
        if (t->req) bc_req_resume(t->req); /* not waiting after all: the reply is queued as usual */
        set_reason(t, rc == BC_EUNAVAILABLE ? "unavailable" : "not_configured", err);
        return rc;
    }
    t->calls++;
    return 0;
}

/* The first step: the mode, the budget, the prompt, the first call. */
static int turn_begin(struct turn *t)
{
    resolve_mode(t);
    if (t->mode == BC_AI_FSM) return run_fsm(t, t->outcome ? t->reason : NULL, t->detail);
    t->outcome = "ai";
    const char *text = t->text;
    if (t->action) {
        /* quick replies are fsm mode's, except the answer to the agent's confirmation question */
        if (t->mode != BC_AI_AGENT || !bc_agent_pending(t->conv) ||
            (strcmp(t->action, "yes") != 0 && strcmp(t->action, "no") != 0)) {
            t->outcome = NULL;
            return run_fsm(t, NULL, NULL);
        }
        text = bc_chat_text(S(t->conv, "lang"), strcmp(t->action, "yes") == 0 ? BC_T_L_YES : BC_T_L_NO);
        free(t->text);
        t->text = strdup(text);
        free(t->action);
        t->action = NULL;
        text = t->text;
        if (!text) return step_done(t, BC_ENOMEM, NULL);
    }
    if (bc_aibudget_load(t->env, &t->ctx, t->conv, t->conv_cap, &t->budget) < 0)
        return run_fsm(t, "store", "cannot read the token budget");
    const char *why = bc_aibudget_exhausted(&t->budget);
    if (why) return run_fsm(t, why, NULL);
    int rc;
    if (t->mode == BC_AI_NLP) {
        rc = bc_nlp_new(t->env, &t->ctx, t->conv, text, &t->nlp);
        t->deadline_ns = bc_mono_ns() + bc_config_int(BC_CFG_AI_NLP_TIMEOUT, 8) * 1000000000LL;
    } else {
        rc = bc_agent_begin(t->env, &t->ctx, t->conv, text, t->instructions, bc_api_public_url(), &t->agent);
        t->deadline_ns = bc_mono_ns() + bc_config_int(BC_CFG_AI_TURN_TIMEOUT, 45) * 1000000000LL;
    }
    if (rc < 0) return run_fsm(t, "prepare", bc_strerror(rc));
    if (submit(t) < 0) return run_fsm(t, t->reason, t->detail);
    return STEP_WAIT;
}

/* Ends an agent turn whose next step failed: answered by the agent when it already changed something (the
 * customer must hear about it), else by fsm mode. */
static int agent_failed(struct turn *t, const char *reason, const char *detail)
{
    if (t->agent && bc_agent_acted(t->agent)) {
        json_t *messages = NULL;
        set_reason(t, reason, detail);
        int rc = bc_agent_finish(t->agent, &messages);
        if (rc != BC_EINVALID) return step_done(t, rc, messages);
    }
    return run_fsm(t, reason, detail);
}

/* A step after the model answered. */
static int turn_resume(struct turn *t)
{
    struct bc_llm_result *res = t->res;
    t->res = NULL;
    t->tok_in += res->input_tokens;
    t->tok_out += res->output_tokens;
    if (bc_aibudget_charge(t->env, &t->ctx, t->conv, &t->budget, res->provider, t->model, res->input_tokens,
                           res->output_tokens) < 0)
        bc_log(BC_LOG_WARN, "AI tokens of tenant %s not counted", t->ctx.tenant_id);
    int st;
    if (res->err) {
        char d[160];
        snprintf(d, sizeof d, "%s%s%s", res->error_code ? res->error_code : bc_err_code(res->err),
                 res->http_status ? " http " : "", "");
        if (res->http_status) snprintf(d + strlen(d), sizeof d - strlen(d), "%d", res->http_status);
        const char *reason = res->err == BC_ETIMEOUT   ? "timeout"
                             : res->err == BC_ERATE    ? "rate_limited"
                             : res->err == BC_EINVALID ? "refused"
                                                       : "unavailable";
        bc_llm_result_free(res);
        return agent_failed(t, reason, d);
    }
    if (t->mode == BC_AI_NLP) {
        struct bc_nlu_result r;
        char why[160] = "";
        json_t *messages = NULL;
        int rc = res->json ? bc_nlp_read(t->nlp, res->json, &r, why, sizeof why) : BC_EINVALID;
        bc_llm_result_free(res);
        if (rc < 0) return run_fsm(t, "invalid_answer", why[0] ? why : "no structured answer");
        rc = bc_chat_turn_understood(t->env, &t->ctx, t->conv, t->text, &r, bc_api_public_url(), &messages);
        return step_done(t, rc, messages);
    }
    st = bc_agent_step(t->agent, res);
    bc_llm_result_free(res);
    if (st < 0) return agent_failed(t, "invalid_answer", "an answer with neither text nor tool calls");
    if (st == BC_AGENT_MORE) {
        const char *why = bc_aibudget_exhausted(&t->budget);
        if (why) return agent_failed(t, why, "during the turn");
        if (submit(t) < 0) return agent_failed(t, t->reason, t->detail);
        return STEP_WAIT;
    }
    json_t *messages = NULL;
    int rc = bc_agent_finish(t->agent, &messages);
    if (rc == BC_EINVALID) return run_fsm(t, "empty_answer", "the model said nothing");
    return step_done(t, rc, messages);
}

/* ---- transports: a JSON reply, or an event stream ---- */

static json_t *body_of(struct turn *t)
{
    return json_pack("{s:O, s:O, s:O}", "messages", t->messages, "state", json_object_get(t->conv, "state"),
                     "status", json_object_get(t->conv, "status"));
}

static int reply(struct bc_req *req, struct turn *t)
{
    if (t->rc == BC_ECONFLICT)
        return bc_fail(req, t->rc, "Another message of this conversation is being answered; retry.");
    if (t->rc < 0) return t->rc;
    return bc_reply_json(req, 200, body_of(t));
}

static void stream_finish(struct turn *t)
{
    json_t *body;
    if (t->rc == 0) {
        body = body_of(t);
    } else {
        const char *msg = t->rc == BC_ECONFLICT
                              ? "Another message of this conversation is being answered; retry."
                              : bc_strerror(t->rc);
        body = json_pack("{s:{s:s, s:s}}", "error", "code", bc_err_code(t->rc), "message", msg);
    }
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    bc_sse_send(t->sse, t->rc == 0 ? "done" : "error", s ? s : "{}");
    free(s);
    bc_sse_end(t->sse);
}

static int cont_http(struct bc_req *req, void *ud)
{
    struct turn *t = ud;
    if (turn_resume(t) == STEP_WAIT) return BC_ASYNC;
    return reply(req, t);
}

static void cont_stream(void *ud)
{
    struct turn *t = ud;
    if (bc_sse_closed(t->sse)) { /* the customer left: drop the turn */
        turn_free(t);
        return;
    }
    if (turn_resume(t) == STEP_WAIT) return;
    stream_finish(t);
    turn_free(t);
}

/* On the LLM engine's thread: hand the result over and let a worker thread go on. */
static void on_done(struct bc_llm_result *res, void *ud)
{
    struct turn *t = ud;
    t->res = res;
    if (t->sse)
        bc_sse_run(t->sse, cont_stream, t);
    else
        bc_req_resume_with(t->req, cont_http, t);
}

/* On the LLM engine's thread: the agent's text as it arrives. */
static void on_text(const char *text, size_t len, void *ud)
{
    struct turn *t = ud;
    json_t *d = json_pack("{s:s%}", "text", text, len);
    char *s = d ? json_dumps(d, JSON_COMPACT) : NULL;
    if (s) bc_sse_send(t->sse, "delta", s);
    free(s);
    json_decref(d);
}

int bc_chatturn_run(struct bc_req *req, json_t *conv, const char *text, const char *action)
{
    struct turn *t = calloc(1, sizeof *t);
    if (!t) return BC_ENOMEM;
    t->t0_ns = bc_mono_ns();
    t->env = req->srv->env;
    t->ctx = req->ctx;
    t->ctx.origin = NULL;
    json_incref(t->ctx.tenant);
    t->conv = json_incref(conv);
    t->had_booking = json_object_get(conv, "booking") != NULL;
    t->had_handoff = bc_conv_handoff_open(conv);
    t->text = text ? strdup(text) : NULL;
    t->action = action ? strdup(action) : NULL;
    if ((text && !t->text) || (action && !t->action)) {
        turn_free(t);
        return BC_ENOMEM;
    }
    if (bc_sse_wanted(req)) {
        int rc = bc_sse_start(req, &t->sse);
        if (rc < 0) {
            turn_free(t);
            return rc;
        }
        /* the stream is the reply; from here on the turn owns itself */
        if (turn_begin(t) == STEP_WAIT) return 0;
        stream_finish(t);
        turn_free(t);
        return 0;
    }
    t->req = req;
    bc_req_attach(req, t, turn_free);
    if (turn_begin(t) == STEP_WAIT) return BC_ASYNC;
    return reply(req, t);
}
