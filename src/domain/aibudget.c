/* Counting AI tokens and checking the caps (see aibudget.h). */
#include "domain/aibudget.h"
#include "domain/plan.h"
#include "domain/settings.h"
#include "store/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/tz.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int bc_aibudget_load(struct bc_store *s, const struct bc_ctx *ctx, json_t *conv, int64_t conv_cap,
                     struct bc_aibudget *out)
{
    char pk[BC_KEY_SIZE];
    struct bc_limits lim;
    struct bc_tz_local l;
    json_t *settings = NULL, *u = NULL;
    memset(out, 0, sizeof *out);
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    int rc = bc_plan_limits(s, ctx->tenant, &lim);
    if (rc == 0) rc = bc_settings_get(s, ctx, &settings);
    if (rc < 0) goto out;
    if (bc_tz_from_utc(json_string_value(json_object_get(settings, "timezone")), bc_now_s(), &l) < 0)
        bc_tz_from_utc("UTC", bc_now_s(), &l);
    snprintf(out->usage_sk, sizeof out->usage_sk, "USAGE#%04d-%02d", l.year, l.month);
    rc = bc_store_get(s, pk, out->usage_sk, &u);
    if (rc == BC_ENOT_FOUND) rc = 0;
    if (rc < 0) goto out;
    out->month_used = json_integer_value(json_object_get(u, "ai_tokens"));
    out->month_cap = lim.ai_tokens_month;
    json_t *t = json_object_get(conv, "ai_tokens");
    out->conv_used =
        json_integer_value(json_object_get(t, "in")) + json_integer_value(json_object_get(t, "out"));
    out->conv_cap = conv_cap > 0 ? conv_cap : bc_config_int(BC_CFG_AI_CONVERSATION_TOKENS, 50000);
    if (out->conv_cap <= 0) out->conv_cap = BC_UNLIMITED;
out:
    json_decref(settings);
    json_decref(u);
    return rc;
}

const char *bc_aibudget_exhausted(const struct bc_aibudget *b)
{
    if (b->month_cap != BC_UNLIMITED && b->month_used >= b->month_cap) return "month_budget";
    if (b->conv_cap != BC_UNLIMITED && b->conv_used >= b->conv_cap) return "conversation_budget";
    return NULL;
}

/* "ai_tokens_in:anthropic/claude-haiku-4-5", keeping only characters safe in any attribute name. */
static void model_attr(char *out, size_t size, const char *dir, const char *provider, const char *model)
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
    snprintf(out, size, "ai_tokens_%s:%s/%s", dir, provider ? provider : "?", m);
}

int bc_aibudget_charge(struct bc_store *s, const struct bc_ctx *ctx, json_t *conv, struct bc_aibudget *b,
                       const char *provider, const char *model, long in, long out)
{
    char pk[BC_KEY_SIZE], ain[160], aout[160];
    if (in < 0) in = 0;
    if (out < 0) out = 0;
    if (in == 0 && out == 0) return 0;
    json_t *t = json_object_get(conv, "ai_tokens");
    json_int_t cin = json_integer_value(json_object_get(t, "in")) + in,
               cout = json_integer_value(json_object_get(t, "out")) + out;
    json_object_set_new(conv, "ai_tokens", json_pack("{s:I, s:I}", "in", cin, "out", cout));
    b->conv_used += in + out;
    b->month_used += in + out;
    if (!bc_key_tenant_pk(ctx, pk) || !b->usage_sk[0]) return BC_EINVALID;
    model_attr(ain, sizeof ain, "in", provider, model);
    model_attr(aout, sizeof aout, "out", provider, model);
    json_t *add = json_pack("{s:I, s:I, s:I, s:I, s:I}", "ai_tokens", (json_int_t)(in + out), "ai_tokens_in",
                            (json_int_t)in, "ai_tokens_out", (json_int_t)out, ain, (json_int_t)in, aout,
                            (json_int_t)out);
    struct bc_update up = {NULL, add, NULL};
    struct bc_cond c = {BC_COND_NONE, 0, true};
    int rc = add ? bc_store_update(s, pk, b->usage_sk, &up, &c, NULL) : BC_ENOMEM;
    json_decref(add);
    return rc;
}
