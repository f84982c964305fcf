/* The server's LLM runtime: the engine and the lazily created providers behind one lock. */
#include "llm/runtime.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t prov_mu = PTHREAD_MUTEX_INITIALIZER;
static struct bc_llm_engine *engine;         /* under lock */
static struct bc_llm_provider *providers[4]; /* by kind, under prov_mu */
static bc_llm_usage_fn usage_hook;           /* set before start */
static void *usage_ud;

void bc_llm_runtime_set_usage_hook(bc_llm_usage_fn fn, void *ud)
{
    pthread_rwlock_wrlock(&lock);
    usage_hook = fn;
    usage_ud = ud;
    pthread_rwlock_unlock(&lock);
}

int bc_llm_runtime_start(void)
{
    pthread_rwlock_wrlock(&lock);
    int rc = 0;
    if (!engine) {
        struct bc_llm_engine_cfg cfg = {.max_connections = bc_config_int(BC_CFG_LLM_MAX_CONNECTIONS, 0)};
        if (cfg.max_connections < 0) cfg.max_connections = 0;
        rc = bc_llm_engine_new(&cfg, &engine);
        if (rc == 0 && usage_hook) bc_llm_engine_set_usage_hook(engine, usage_hook, usage_ud);
    }
    pthread_rwlock_unlock(&lock);
    return rc;
}

void bc_llm_runtime_stop(void)
{
    pthread_rwlock_wrlock(&lock);
    struct bc_llm_engine *e = engine;
    engine = NULL;
    pthread_rwlock_unlock(&lock);
    bc_llm_engine_free(e); /* cancels what is in flight: every callback runs once */
    pthread_mutex_lock(&prov_mu);
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++) {
        bc_llm_provider_free(providers[i]);
        providers[i] = NULL;
    }
    pthread_mutex_unlock(&prov_mu);
}

int bc_llm_runtime_running(void)
{
    pthread_rwlock_rdlock(&lock);
    int r = engine != NULL;
    pthread_rwlock_unlock(&lock);
    return r;
}

static int provider(enum bc_llm_kind kind, struct bc_llm_provider **out, char *err, size_t errsize)
{
    if (kind < BC_LLM_ANTHROPIC || kind > BC_LLM_OPENAI) {
        snprintf(err, errsize, "unknown provider");
        return BC_EINVALID;
    }
    pthread_mutex_lock(&prov_mu);
    int rc = 0;
    if (!providers[kind]) rc = bc_llm_provider_from_config(kind, &providers[kind], err, errsize);
    *out = providers[kind];
    pthread_mutex_unlock(&prov_mu);
    return rc;
}

int bc_llm_runtime_submit(enum bc_llm_kind kind, const struct bc_llm_conv *conv,
                          const struct bc_llm_opts *opts, bc_llm_done_fn done, void *ud, char *err,
                          size_t errsize)
{
    struct bc_llm_provider *p = NULL;
    if (errsize) err[0] = '\0';
    pthread_rwlock_rdlock(&lock);
    int rc = engine ? provider(kind, &p, err, errsize) : BC_EUNAVAILABLE;
    if (rc == BC_EUNAVAILABLE) snprintf(err, errsize, "the LLM runtime is not running");
    if (rc == 0) {
        rc = bc_llm_submit(engine, p, conv, opts, done, ud);
        if (rc == BC_EUNAVAILABLE)
            snprintf(err, errsize, "circuit open or engine stopping");
        else if (rc == BC_EINVALID)
            snprintf(err, errsize, "the call was refused (bad options)");
    }
    pthread_rwlock_unlock(&lock);
    return rc;
}

const char *bc_llm_runtime_circuit(enum bc_llm_kind kind)
{
    const char *s = "closed";
    pthread_mutex_lock(&prov_mu);
    if (kind >= BC_LLM_ANTHROPIC && kind <= BC_LLM_OPENAI && providers[kind])
        s = bc_llm_provider_circuit(providers[kind]);
    pthread_mutex_unlock(&prov_mu);
    return s;
}

void bc_llm_runtime_stats(struct bc_llm_engine_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_rwlock_rdlock(&lock);
    if (engine) bc_llm_engine_stats(engine, out);
    pthread_rwlock_unlock(&lock);
}
