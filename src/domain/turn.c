/* The chat turn in the tenant's mode (turn.h): the mode and model, the budget, the model calls in steps,
 * the fallback to fsm mode, the log line of an AI turn, the usage counters and the agent's transcript of
 * fsm turns. Transports only carry it (http/chatturn.c). */
#include "domain/turn.h"
#include "domain/org.h"
#include "util/jsonv.h"
#include "domain/agent.h"
#include "domain/aibudget.h"
#include "domain/chat.h"
#include "domain/chat_text.h"
#include "domain/conversation.h"
#include "domain/nlp.h"
#include "domain/plan.h"
#include "domain/settings.h"
#include "domain/usage.h"
#include "llm/runtime.h"
#include "nlu/nlu.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

struct bc_turn {
    struct bc_env *env;
    struct bc_ctx ctx; /* a copy (its own reference on the tenant item) */
    json_t *conv;
    char *text, *action, *public_url;
    char *visitor; /* ctx.visitor's copy: the request's own may be gone before a waiting turn ends */
    struct bc_turn_io io;
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
    /* the result */
    int rc;
    json_t *messages;
    bool had_booking, had_handoff; /* before the turn, for metering (domain/usage.h) */
    bool metered;
};

/* ---- opening a conversation, admitting a message ---- */

int bc_turn_open(struct bc_env *env, const struct bc_ctx *ctx, const char *lang, const char *public_url,
                 json_t **conv, json_t **messages)
{
    /* an organisation's widget asks which branch first (docs/organisations.md) */
    int rc = bc_org_has_branches(ctx->tenant) ? bc_org_chat_start(env, ctx, lang, conv, messages)
                                              : bc_chat_start(env, ctx, lang, public_url, conv, messages);
    if (rc == 0) bc_usage_add(env, ctx->tenant_id, BC_USAGE_CONVERSATIONS, 1);
    return rc;
}

int bc_turn_admit(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, json_t **messages)
{
    *messages = NULL;
    int rc = bc_usage_take_plan(env, ctx->tenant, BC_USAGE_MESSAGES, 1);
    /* polite words for the widget (the HTTP layer adds the status for integrators) */
    if (rc == BC_EPLAN && bc_chat_limit_reached(env, conv, messages) < 0) *messages = json_array();
    return rc;
}

/* ---- the turn's life ---- */

int bc_turn_new(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, const char *text,
                const char *action, const char *public_url, const struct bc_turn_io *io, struct bc_turn **out)
{
    struct bc_turn *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t) return BC_ENOMEM;
    t->t0_ns = bc_mono_ns();
    t->env = env;
    t->ctx = *ctx;
    t->ctx.origin = NULL;
    bc_json_ref(t->ctx.tenant);
    t->conv = json_incref(conv);
    t->had_booking = json_object_get(conv, "booking") != NULL;
    t->had_handoff = bc_conv_handoff_open(conv);
    t->text = text ? strdup(text) : NULL;
    t->action = action ? strdup(action) : NULL;
    t->public_url = public_url ? strdup(public_url) : NULL;
    t->visitor = ctx->visitor ? strdup(ctx->visitor) : NULL;
    t->ctx.visitor = t->visitor;
    if (io) t->io = *io;
    if ((text && !t->text) || (action && !t->action) || (public_url && !t->public_url) ||
        (ctx->visitor && !t->visitor)) {
        bc_turn_free(t);
        return BC_ENOMEM;
    }
    *out = t;
    return 0;
}

void bc_turn_free(struct bc_turn *t)
{
    if (!t) return;
    bc_ctx_release(&t->ctx);
    json_decref(t->conv);
    json_decref(t->messages);
    free(t->text);
    free(t->action);
    free(t->public_url);
    free(t->visitor);
    free(t->instructions);
    bc_nlp_free(t->nlp);
    bc_agent_free(t->agent);
    bc_llm_result_free(t->res);
    free(t);
}

int bc_turn_rc(const struct bc_turn *t)
{
    return t->rc;
}

json_t *bc_turn_messages(const struct bc_turn *t)
{
    return t->messages;
}

json_t *bc_turn_conv(const struct bc_turn *t)
{
    return t->conv;
}

unsigned bc_turn_mode(const struct bc_turn *t)
{
    return t->mode;
}

const char *bc_turn_outcome(const struct bc_turn *t)
{
    return t->outcome;
}

const char *bc_turn_reason(const struct bc_turn *t)
{
    return t->reason;
}

const char *bc_turn_model(const struct bc_turn *t)
{
    return t->model;
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

static void set_reason(struct bc_turn *t, const char *reason, const char *detail)
{
    if (reason != t->reason) snprintf(t->reason, sizeof t->reason, "%s", reason ? reason : "");
    if (detail != t->detail) snprintf(t->detail, sizeof t->detail, "%s", detail ? detail : "");
}

/* Reads SETTINGS#AI and the plan: the mode, provider and model of this turn. */
static void resolve_mode(struct bc_turn *t)
{
    json_t *ai = NULL;
    const json_t *item = NULL;
    struct bc_limits lim;
    t->mode = BC_AI_FSM;
    /* only read (strings copied out): the read-only item, from the store's memo when unchanged */
    if (bc_settings_item_ro(t->env, &t->ctx, "AI", &item) < 0) return;
    ai = bc_settings_ai_view_ro(item);
    bc_json_release(item);
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

static void log_turn(struct bc_turn *t)
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

/* Meters what the turn changed, once: a first booking in this conversation, a new hand-off waiting for
 * staff. */
static void meter_turn(struct bc_turn *t)
{
    if (t->rc < 0 || t->metered) return;
    t->metered = true;
    if (!t->had_booking && json_object_get(t->conv, "booking"))
        bc_usage_add(t->env, t->ctx.tenant_id, BC_USAGE_CONVERSATIONS_BOOKED, 1);
    if (!t->had_handoff && bc_conv_handoff_open(t->conv))
        bc_usage_add(t->env, t->ctx.tenant_id, BC_USAGE_HANDOFFS, 1);
}

/* Ends the turn with its result (takes messages). */
static int finish(struct bc_turn *t, int rc, json_t *messages)
{
    t->rc = rc;
    meter_turn(t);
    json_decref(t->messages);
    t->messages = rc == 0 ? messages : NULL;
    if (rc < 0) json_decref(messages);
    return BC_TURN_DONE;
}

/* Ends an AI turn (or a fallback): the outcome and its log line. */
static int step_done(struct bc_turn *t, int rc, json_t *messages)
{
    finish(t, rc, messages);
    if (t->outcome && strcmp(t->outcome, "fallback") != 0) t->outcome = "ai";
    log_turn(t);
    return BC_TURN_DONE;
}

/* The turn in fsm mode: the mode itself, or the fallback of an AI turn (reason set). */
static int run_fsm(struct bc_turn *t, const char *reason, const char *detail)
{
    json_t *messages = NULL;
    if (reason) {
        set_reason(t, reason, detail);
        t->outcome = "fallback";
    }
    int rc = bc_chat_turn(t->env, &t->ctx, t->conv, t->text, t->action, t->public_url, &messages);
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
    if (t->mode == BC_AI_FSM && !reason && !t->outcome) return finish(t, rc, messages);
    return step_done(t, rc, messages);
}

static void on_done(struct bc_llm_result *res, void *ud);

static int64_t remaining_ms(struct bc_turn *t)
{
    return (t->deadline_ns - bc_mono_ns()) / 1000000;
}

/* Submits the next call; 0, or a negative bc_err with the reason set (the caller falls back). */
static int submit(struct bc_turn *t)
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
        if (t->io.text) {
            o.on_text = t->io.text;
            o.text_ud = t->io.ud;
        }
    }
    /* each call: the time left in the turn, at most llm_timeout */
    int64_t cap = bc_config_int(BC_CFG_LLM_TIMEOUT, 30) * 1000;
    if (cap <= 0 || cap > 600000) cap = 600000;
    o.timeout_ms = (int)(left > cap ? cap : left);
    if (t->io.waiting)
        t->io.waiting(t->io.ud, true); /* before the call exists: its answer may come at once */
    int rc = t->io.submit ? t->io.submit(t->kind, c, &o, on_done, t, err, sizeof err)
                          : bc_llm_runtime_submit(t->kind, c, &o, on_done, t, err, sizeof err);
    if (rc < 0) {
        if (t->io.waiting) t->io.waiting(t->io.ud, false); /* not waiting after all */
        set_reason(t, rc == BC_EUNAVAILABLE ? "unavailable" : "not_configured", err);
        return rc;
    }
    t->calls++;
    return 0;
}

/* On the LLM engine's thread: hand the result over and let the transport go on elsewhere. */
static void on_done(struct bc_llm_result *res, void *ud)
{
    struct bc_turn *t = ud;
    t->res = res;
    t->io.answered(t->io.ud);
}

/* A quick reply in an AI mode: fsm mode's, except the answer to the agent's confirmation question, which
 * becomes the customer's words. 1: answer it in fsm mode; 0: t->text is now the text; or BC_ENOMEM. */
static int quick_reply(struct bc_turn *t)
{
    if (t->mode != BC_AI_AGENT || !bc_agent_pending(t->conv) ||
        (strcmp(t->action, "yes") != 0 && strcmp(t->action, "no") != 0))
        return 1;
    const char *text =
        bc_chat_text(S(t->conv, "lang"), strcmp(t->action, "yes") == 0 ? BC_T_L_YES : BC_T_L_NO);
    free(t->text);
    t->text = strdup(text);
    free(t->action);
    t->action = NULL;
    return t->text ? 0 : BC_ENOMEM;
}

int bc_turn_begin(struct bc_turn *t)
{
    resolve_mode(t);
    if (t->mode == BC_AI_FSM) return run_fsm(t, t->outcome ? t->reason : NULL, t->detail);
    t->outcome = "ai";
    if (t->action) {
        int q = quick_reply(t);
        if (q < 0) return step_done(t, q, NULL);
        if (q > 0) {
            t->outcome = NULL;
            return run_fsm(t, NULL, NULL);
        }
    }
    if (bc_aibudget_load(t->env, &t->ctx, t->conv, t->conv_cap, &t->budget) < 0)
        return run_fsm(t, "store", "cannot read the token budget");
    const char *why = bc_aibudget_exhausted(&t->budget);
    if (why) return run_fsm(t, why, NULL);
    int rc;
    if (t->mode == BC_AI_NLP) {
        rc = bc_nlp_new(t->env, &t->ctx, t->conv, t->text, &t->nlp);
        t->deadline_ns = bc_mono_ns() + bc_config_int(BC_CFG_AI_NLP_TIMEOUT, 8) * 1000000000LL;
    } else {
        rc = bc_agent_begin(t->env, &t->ctx, t->conv, t->text, t->instructions, t->public_url, &t->agent);
        t->deadline_ns = bc_mono_ns() + bc_config_int(BC_CFG_AI_TURN_TIMEOUT, 45) * 1000000000LL;
    }
    if (t->io.deadline_ns && t->io.deadline_ns < t->deadline_ns) t->deadline_ns = t->io.deadline_ns;
    if (rc < 0) return run_fsm(t, "prepare", bc_strerror(rc));
    if (submit(t) < 0) return run_fsm(t, t->reason, t->detail);
    return BC_TURN_WAIT;
}

/* Ends an agent turn whose next step failed: answered by the agent when it already changed something (the
 * customer must hear about it), else by fsm mode. */
static int agent_failed(struct bc_turn *t, const char *reason, const char *detail)
{
    if (t->agent && bc_agent_acted(t->agent)) {
        json_t *messages = NULL;
        set_reason(t, reason, detail);
        int rc = bc_agent_finish(t->agent, &messages);
        if (rc != BC_EINVALID) return step_done(t, rc, messages);
    }
    return run_fsm(t, reason, detail);
}

/* A call that failed: the reason of the fallback. */
static int call_failed(struct bc_turn *t, struct bc_llm_result *res)
{
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

int bc_turn_resume(struct bc_turn *t)
{
    struct bc_llm_result *res = t->res;
    t->res = NULL;
    t->tok_in += res->input_tokens;
    t->tok_out += res->output_tokens;
    if (bc_aibudget_charge(t->env, &t->ctx, t->conv, &t->budget, res->provider, t->model, res->input_tokens,
                           res->output_tokens) < 0)
        bc_log(BC_LOG_WARN, "AI tokens of tenant %s not counted", t->ctx.tenant_id);
    if (res->err) return call_failed(t, res);
    if (t->mode == BC_AI_NLP) {
        struct bc_nlu_result r;
        char why[160] = "";
        json_t *messages = NULL;
        int rc = res->json ? bc_nlp_read(t->nlp, res->json, &r, why, sizeof why) : BC_EINVALID;
        bc_llm_result_free(res);
        if (rc < 0) return run_fsm(t, "invalid_answer", why[0] ? why : "no structured answer");
        rc = bc_chat_turn_understood(t->env, &t->ctx, t->conv, t->text, &r, t->public_url, &messages);
        return step_done(t, rc, messages);
    }
    int st = bc_agent_step(t->agent, res);
    bc_llm_result_free(res);
    if (st < 0) return agent_failed(t, "invalid_answer", "an answer with neither text nor tool calls");
    if (st == BC_AGENT_MORE) {
        const char *why = bc_aibudget_exhausted(&t->budget);
        if (why) return agent_failed(t, why, "during the turn");
        if (submit(t) < 0) return agent_failed(t, t->reason, t->detail);
        return BC_TURN_WAIT;
    }
    json_t *messages = NULL;
    int rc = bc_agent_finish(t->agent, &messages);
    if (rc == BC_EINVALID) return run_fsm(t, "empty_answer", "the model said nothing");
    return step_done(t, rc, messages);
}
