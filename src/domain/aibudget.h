/* The AI token budget: tokens in and out of every LLM call, counted per tenant (per month, in total and
 * per provider/model, on the tenant's USAGE#YYYY-MM item) and per conversation (on the conversation item),
 * and the two caps that send a turn to fsm mode instead: the plan's monthly tokens (ai_tokens_month, with
 * the tenant's override) and the per-conversation cap (settings/ai conversation_tokens, default
 * ai_conversation_tokens).
 *
 * DESIGN NOTES
 * - Counting is a lazy atomic add on one item per tenant and month (store.h): several processes add up
 *   correctly; a machine crash may lose the last second of counts, never more.
 * - The cap is checked before a turn's first call and before each further call of an agent turn, so a
 *   turn started just under the cap may finish a little over it (by at most one turn's tokens). */
#ifndef BC_AIBUDGET_H
#define BC_AIBUDGET_H
#include <jansson.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_store;

struct bc_aibudget {
    int64_t month_used, month_cap; /* caps: BC_UNLIMITED (plan.h) when none */
    int64_t conv_used, conv_cap;
    char usage_sk[24]; /* "USAGE#YYYY-MM" in the tenant's time zone */
};

/* Reads the tenant's month and the conversation's spending. conv_cap <= 0: the configured default. Returns
 * 0 or a store error. */
int bc_aibudget_load(struct bc_store *s, const struct bc_ctx *ctx, json_t *conv, int64_t conv_cap,
                     struct bc_aibudget *out);
/* NULL while tokens may be spent; otherwise why not: "month_budget" or "conversation_budget". */
const char *bc_aibudget_exhausted(const struct bc_aibudget *b);
/* Counts one call's tokens: on conv ("ai_tokens": {"in","out"}, saved with the conversation by the caller),
 * in b, and on the tenant's USAGE item (lazy add of ai_tokens, ai_tokens_in, ai_tokens_out and
 * "ai_tokens_in:<provider>/<model>", "ai_tokens_out:<provider>/<model>"). Returns 0 or a store error
 * (the conversation and b are counted anyway). */
int bc_aibudget_charge(struct bc_store *s, const struct bc_ctx *ctx, json_t *conv, struct bc_aibudget *b,
                       const char *provider, const char *model, long in, long out);

#endif
