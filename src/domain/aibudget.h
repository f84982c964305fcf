/* The AI token budget: tokens in and out of every LLM call, counted per tenant (metered by domain/usage.h:
 * per UTC month, in total and per provider/model) and per conversation (on the conversation item), and the
 * two caps that send a turn to fsm mode instead: the plan's monthly tokens (ai_tokens_month, with the
 * tenant's override) and the per-conversation cap (settings/ai conversation_tokens, default
 * ai_conversation_tokens).
 *
 * DESIGN NOTES
 * - The month's tokens are domain/usage.h's AI_TOKENS counter: counted in memory at once (so this process
 *   sees its own spending exactly), flushed to USAGE#YYYY-MM as atomic adds with the other counters, so
 *   several processes add up correctly (docs/metering.md says what a crash can lose).
 * - The cap is checked before a turn's first call and before each further call of an agent turn, so a
 *   turn started just under the cap may finish a little over it (by at most one turn's tokens). */
#ifndef BC_AIBUDGET_H
#define BC_AIBUDGET_H
#include <jansson.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;

struct bc_aibudget {
    int64_t month_used, month_cap; /* caps: BC_UNLIMITED (plan.h) when none */
    int64_t conv_used, conv_cap;
    char usage_sk[24]; /* "USAGE#YYYY-MM" (UTC) */
};

/* Reads the tenant's month and the conversation's spending. conv_cap <= 0: the configured default. Returns
 * 0 or a store error. */
int bc_aibudget_load(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, int64_t conv_cap,
                     struct bc_aibudget *out);
/* NULL while tokens may be spent; otherwise why not: "month_budget" or "conversation_budget". */
const char *bc_aibudget_exhausted(const struct bc_aibudget *b);
/* Counts one call's tokens: on conv ("ai_tokens": {"in","out"}, saved with the conversation by the caller),
 * in b, and for the tenant (bc_usage_ai: ai_tokens, ai_tokens_in, ai_tokens_out and
 * "ai_tokens_in:<provider>/<model>", "ai_tokens_out:<provider>/<model>" on the USAGE items after the next
 * flush). Returns 0 (BC_EINVALID for a context without a tenant; the conversation and b are counted anyway).
 */
int bc_aibudget_charge(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, struct bc_aibudget *b,
                       const char *provider, const char *model, long in, long out);

#endif
