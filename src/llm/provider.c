/* LLM providers: the endpoint, credentials, retry policy and circuit breaker of one wire protocol, built
 * from explicit settings (tests) or from the operator's configuration and the standard environment. */
#include "llm/llm.h"
#include "llm/wire.h"
#include "util/awscreds.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bc_llm_kind_name(enum bc_llm_kind kind)
{
    switch (kind) {
    case BC_LLM_ANTHROPIC:
        return "anthropic";
    case BC_LLM_BEDROCK:
        return "bedrock";
    case BC_LLM_OPENAI:
        return "openai";
    }
    return "unknown";
}

enum bc_llm_kind bc_llm_kind_parse(const char *name)
{
    if (!name) return 0;
    if (strcmp(name, "anthropic") == 0) return BC_LLM_ANTHROPIC;
    if (strcmp(name, "bedrock") == 0) return BC_LLM_BEDROCK;
    if (strcmp(name, "openai") == 0) return BC_LLM_OPENAI;
    return 0;
}

static const struct bc__llm_wire *wire_of(enum bc_llm_kind kind)
{
    switch (kind) {
    case BC_LLM_ANTHROPIC:
        return &bc__llm_wire_anthropic;
    case BC_LLM_BEDROCK:
        return &bc__llm_wire_bedrock;
    case BC_LLM_OPENAI:
        return &bc__llm_wire_openai;
    }
    return NULL;
}

static bool set_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src || !*src) return true;
    return (*dst = strdup(src)) != NULL;
}

void bc_llm_provider_free(struct bc_llm_provider *p)
{
    if (!p) return;
    free(p->base_url);
    free(p->api_key);
    free(p->region);
    free(p->access_key_id);
    free(p->secret_access_key);
    free(p->session_token);
    bc__breaker_release(&p->breaker);
    free(p);
}

int bc_llm_provider_new(const struct bc_llm_provider_cfg *cfg, struct bc_llm_provider **out, char *err,
                        size_t errsize)
{
    *out = NULL;
    const struct bc__llm_wire *w = wire_of(cfg->kind);
    if (!w) {
        snprintf(err, errsize, "unknown LLM provider kind");
        return BC_EINVALID;
    }
    if (cfg->kind == BC_LLM_ANTHROPIC && (!cfg->api_key || !*cfg->api_key)) {
        snprintf(err, errsize, "anthropic: no API key (set ANTHROPIC_API_KEY)");
        return BC_EINVALID;
    }
    /* without keys, a task role's credentials from the container endpoint, fetched when signing */
    if (cfg->kind == BC_LLM_BEDROCK &&
        (!cfg->access_key_id || !*cfg->access_key_id || !cfg->secret_access_key ||
         !*cfg->secret_access_key) &&
        !bc_aws_creds_configured()) {
        snprintf(
            err, errsize,
            "bedrock: no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with a "
            "task role)");
        return BC_EINVALID;
    }
    const char *region = cfg->region && *cfg->region ? cfg->region : "us-east-1";
    char defurl[160];
    const char *url = cfg->base_url;
    if (!url || !*url) {
        if (cfg->kind == BC_LLM_ANTHROPIC)
            url = "https://api.anthropic.com";
        else if (cfg->kind == BC_LLM_OPENAI)
            url = "https://api.openai.com";
        else {
            snprintf(defurl, sizeof defurl, "https://bedrock-runtime.%s.amazonaws.com", region);
            url = defurl;
        }
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        snprintf(err, errsize, "%s: the URL must start with http:// or https://", w->name);
        return BC_EINVALID;
    }
    struct bc_llm_provider *p = calloc(1, sizeof *p);
    if (!p) return BC_ENOMEM;
    p->kind = cfg->kind;
    p->wire = w;
    bc__breaker_init(&p->breaker, cfg->breaker_failures > 0 ? cfg->breaker_failures : 5,
                     cfg->breaker_cooldown_ms > 0 ? cfg->breaker_cooldown_ms : 30000);
    p->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    p->max_retries = cfg->max_retries > 0 ? cfg->max_retries : cfg->max_retries < 0 ? 0 : 2;
    p->backoff_base_ms = cfg->backoff_base_ms > 0 ? cfg->backoff_base_ms : 250;
    p->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 8000;
    if (!set_str(&p->base_url, url) || !set_str(&p->api_key, cfg->api_key) || !set_str(&p->region, region) ||
        !set_str(&p->access_key_id, cfg->access_key_id) ||
        !set_str(&p->secret_access_key, cfg->secret_access_key) ||
        !set_str(&p->session_token, cfg->session_token)) {
        bc_llm_provider_free(p);
        return BC_ENOMEM;
    }
    size_t n = strlen(p->base_url);
    while (n > 8 && p->base_url[n - 1] == '/') p->base_url[--n] = '\0';
    *out = p;
    return 0;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int bc_llm_provider_from_config(enum bc_llm_kind kind, struct bc_llm_provider **out, char *err,
                                size_t errsize)
{
    struct bc_llm_provider_cfg cfg = {.kind = kind};
    long timeout_s = bc_config_int(BC_CFG_LLM_TIMEOUT, 30);
    long retries = bc_config_int(BC_CFG_LLM_RETRIES, 2);
    cfg.timeout_ms = timeout_s > 0 && timeout_s < 3600 ? (int)(timeout_s * 1000) : 30000;
    cfg.max_retries = retries <= 0 ? -1 : retries > 10 ? 10 : (int)retries;
    cfg.breaker_failures = (int)bc_config_int(BC_CFG_LLM_BREAKER_FAILURES, 5);
    long cool = bc_config_int(BC_CFG_LLM_BREAKER_COOLDOWN, 30);
    cfg.breaker_cooldown_ms = cool > 0 && cool < 86400 ? (int)(cool * 1000) : 30000;
    switch (kind) {
    case BC_LLM_ANTHROPIC:
        cfg.api_key = bc_config_get(BC_CFG_ANTHROPIC_API_KEY);
        if (!cfg.api_key || !*cfg.api_key) cfg.api_key = env("ANTHROPIC_API_KEY");
        cfg.base_url = bc_config_get(BC_CFG_ANTHROPIC_URL);
        break;
    case BC_LLM_BEDROCK:
        cfg.region = bc_config_get(BC_CFG_BEDROCK_REGION);
        if (!cfg.region || !*cfg.region) cfg.region = env("AWS_REGION");
        if (!cfg.region) cfg.region = env("AWS_DEFAULT_REGION");
        cfg.base_url = bc_config_get(BC_CFG_BEDROCK_URL);
        cfg.access_key_id = env("AWS_ACCESS_KEY_ID");
        cfg.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
        cfg.session_token = env("AWS_SESSION_TOKEN");
        break;
    case BC_LLM_OPENAI: {
        cfg.api_key = bc_config_get(BC_CFG_OPENAI_API_KEY);
        if (!cfg.api_key || !*cfg.api_key) cfg.api_key = env("OPENAI_API_KEY");
        cfg.base_url = bc_config_get(BC_CFG_OPENAI_URL);
        const char *def = bc_config_default(BC_CFG_OPENAI_URL);
        bool local = cfg.base_url && def && strcmp(cfg.base_url, def) != 0;
        if (!local && !cfg.api_key) {
            snprintf(err, errsize,
                     "openai: no API key (set OPENAI_API_KEY) and no openai_url of a local server");
            return BC_EINVALID;
        }
        break;
    }
    default:
        snprintf(err, errsize, "unknown LLM provider kind");
        return BC_EINVALID;
    }
    return bc_llm_provider_new(&cfg, out, err, errsize);
}

enum bc_llm_kind bc_llm_provider_kind(const struct bc_llm_provider *p)
{
    return p->kind;
}

const char *bc_llm_provider_circuit(struct bc_llm_provider *p)
{
    switch (bc__breaker_state(&p->breaker, bc_mono_ns())) {
    case BC__BRK_OPEN:
        return "open";
    case BC__BRK_HALF_OPEN:
        return "half_open";
    default:
        return "closed";
    }
}
