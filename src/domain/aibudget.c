/* Counting AI tokens and checking the caps (see aibudget.h). */
#include "domain/aibudget.h"
#include "domain/env.h"
#include "domain/plan.h"
#include "domain/usage.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int bc_aibudget_load(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, int64_t conv_cap,
                     struct bc_aibudget *out)
{
    struct bc_limits lim;
    char month[8];
    memset(out, 0, sizeof *out);
    if (!bc_key_id_ok(ctx->tenant_id)) return BC_ENOT_FOUND;
    int rc = bc_plan_limits(env, ctx->tenant, &lim);
    /* the month's tokens as metered (domain/usage.h): this process's own not yet flushed included */
    if (rc == 0) rc = bc_usage_month_count(env, ctx->tenant_id, BC_USAGE_AI_TOKENS, &out->month_used);
    if (rc < 0) return rc;
    bc_usage_month_parse(NULL, month);
    snprintf(out->usage_sk, sizeof out->usage_sk, "USAGE#%s", month);
    out->month_cap = lim.ai_tokens_month;
    json_t *t = json_object_get(conv, "ai_tokens");
    out->conv_used =
        json_integer_value(json_object_get(t, "in")) + json_integer_value(json_object_get(t, "out"));
    out->conv_cap = conv_cap > 0 ? conv_cap : bc_config_int(BC_CFG_AI_CONVERSATION_TOKENS, 50000);
    if (out->conv_cap <= 0) out->conv_cap = BC_UNLIMITED;
    return 0;
}

const char *bc_aibudget_exhausted(const struct bc_aibudget *b)
{
    if (b->month_cap != BC_UNLIMITED && b->month_used >= b->month_cap) return "month_budget";
    if (b->conv_cap != BC_UNLIMITED && b->conv_used >= b->conv_cap) return "conversation_budget";
    return NULL;
}

/* "anthropic/claude-haiku-4-5", keeping only characters safe in any attribute name. */
static void model_label(char *out, size_t size, const char *provider, const char *model)
{
    char m[100];
    size_t n = 0;
    for (const char *p = model ? model : "?"; *p && n + 1 < sizeof m; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.' || c == ':' || c == '/';
        m[n++] = ok ? c : '_';
    }
    m[n] = '\0';
    snprintf(out, size, "%s/%s", provider ? provider : "?", m);
}

int bc_aibudget_charge(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, struct bc_aibudget *b,
                       const char *provider, const char *model, long in, long out)
{
    struct bc_store *s = env->store;
    char label[160];
    (void)s;
    if (in < 0) in = 0;
    if (out < 0) out = 0;
    if (in == 0 && out == 0) return 0;
    json_t *t = json_object_get(conv, "ai_tokens");
    json_int_t cin = json_integer_value(json_object_get(t, "in")) + in,
               cout = json_integer_value(json_object_get(t, "out")) + out;
    json_object_set_new(conv, "ai_tokens", json_pack("{s:I, s:I}", "in", cin, "out", cout));
    b->conv_used += in + out;
    b->month_used += in + out;
    if (!bc_key_id_ok(ctx->tenant_id)) return BC_EINVALID;
    model_label(label, sizeof label, provider, model);
    bc_usage_ai(env, ctx->tenant_id, label, in, out); /* metered in memory, flushed with the other counters */
    return 0;
}
