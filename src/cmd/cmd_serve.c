/* bookchat serve: opens the store, starts the HTTP server and the housekeeping thread, and on SIGTERM or
 * SIGINT drains in-flight requests, stops, and closes the store cleanly. */
#include "auth/jwt.h"
#include "auth/ratelimit.h"
#include "cmd/cmd.h"
#include "domain/env.h"
#include "domain/apikey.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "http/api.h"
#include "http/metrics.h"
#include "http/server.h"
#include "llm/runtime.h"
#include "store/store.h"
#include "util/config.h"
#include "util/log.h"
#include "util/opt.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_line[] =
    "bookchat serve [--listen ADDR:PORT] [--data DIR] [--store URL] [--config FILE] [--demo]";

/* Housekeeping: background work that must not run on request threads (expired-item reaping). */
struct housekeeping {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    struct bc_env *env;
    unsigned long rounds;
    unsigned long ticks;
    char *reap_cursor; /* where the deleted-tenant reaper goes on next round */
    long usage_every;  /* seconds between usage flushes */
};

/* One round of background work; runs every 10 seconds (the thread itself wakes every second to sync). */
static void housekeeping_pass(struct housekeeping *hk)
{
    /* bounded batches so one pass never holds the store's write lock for long */
    int n;
    while ((n = bc_store_reap(hk->env->store, 500)) == 500) {
    }
    if (n < 0) bc_log(BC_LOG_WARN, "reaping expired items failed: %d", n);
    /* deleted tenants past retention, at most 1000 items a round, one small write each */
    if ((n = bc_tenant_reap_deleted(hk->env, 1000, &hk->reap_cursor)) < 0)
        bc_log(BC_LOG_WARN, "purging deleted tenants failed: %d", n);
    if ((n = bc_apikey_flush_last_used(hk->env)) < 0)
        bc_log(BC_LOG_WARN, "flushing key last-use failed: %d", n);
    bc_ratelimit_sweep(10 * 60 * 1000);
    hk->rounds++;
    const char *jwks = bc_config_get(BC_CFG_OIDC_JWKS);
    if (jwks && strncmp(jwks, "http", 4) == 0 && hk->rounds % 60 == 0) { /* every 10 minutes */
        char err[256];
        if (bc_jwt_fetch_jwks(jwks, err, sizeof err) < 0) bc_log(BC_LOG_WARN, "JWKS refresh: %s", err);
    }
}

static void flush_usage(struct bc_env *env)
{
    int n = bc_usage_flush(env);
    if (n < 0) bc_log(BC_LOG_WARN, "usage flush failed (the counts stay pending): %d", n);
}

static void *housekeeping_main(void *arg)
{
    struct housekeeping *hk = arg;
    pthread_mutex_lock(&hk->mu);
    while (!hk->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&hk->cv, &hk->mu, &ts);
        if (hk->stop) break;
        pthread_mutex_unlock(&hk->mu);
        /* metered usage: the pending counters become atomic adds (docs/metering.md) */
        if ((hk->ticks + 1) % (unsigned long)hk->usage_every == 0) flush_usage(hk->env);
        /* lazy writes (chat messages, counters) reach the disk within a second */
        int rc = bc_store_sync(hk->env->store);
        if (rc < 0) bc_log(BC_LOG_WARN, "store sync failed: %d", rc);
        if (++hk->ticks % 10 == 0) housekeeping_pass(hk);
        pthread_mutex_lock(&hk->mu);
    }
    pthread_mutex_unlock(&hk->mu);
    return NULL;
}

static void print_listening(bool json, struct bc_server *srv)
{
    char url[128];
    snprintf(url, sizeof url, "http://%s:%u", srv->host, (unsigned)srv->port);
    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:i}", "event", "listening", "url", url, "port", (int)srv->port);
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        printf("bookchat %s listening on %s (health: %s/healthz)\n", BC_VERSION, url, url);
    }
    fflush(stdout);
}

int cmd_serve(int argc, char **argv)
{
    bool json = false, help = false, demo = false;
    const struct bc_opt opts[] = {
        {"listen", BC_OPT_CFG, NULL, BC_CFG_LISTEN, "ADDR:PORT", "listen address (env BOOKCHAT_LISTEN)"},
        {"demo", BC_OPT_FLAG, &demo, 0, NULL,
         "create the demo tenant if missing; print its URLs, login and key"},
        {"threads", BC_OPT_CFG, NULL, BC_CFG_THREADS, "N", "worker threads, 0 = one per core"},
        BC_OPT_COMMON(&json),
        {0},
    };
    int npos;
    if (bc_opt_parse(opts, argc, argv, NULL, 0, &npos, &help) < 0) {
        bc_opt_usage(stderr, usage_line, opts);
        return 2;
    }
    if (help) {
        bc_opt_usage(stdout, usage_line, opts);
        printf("\nsettings (flag > environment BOOKCHAT_<NAME> > config file):\n");
        for (int k = 0; k < BC_CFG__COUNT; k++)
            printf("  %-16s %s%s%s%s\n", bc_config_name(k), bc_config_help(k),
                   bc_config_default(k) ? " [default: " : "",
                   bc_config_default(k) ? bc_config_default(k) : "", bc_config_default(k) ? "]" : "");
        return 0;
    }
    if (bc_cli_init(json)) return 1;

    long body_limit = bc_config_int(BC_CFG_BODY_LIMIT, -1), threads = bc_config_int(BC_CFG_THREADS, -1);
    if (body_limit < 1024 || body_limit > 64L << 20 || threads < 0 || threads > 256) {
        bc_cli_error(json, "body_limit must be 1024..67108864 and threads 0..256");
        return 2;
    }
    long usage_every = bc_config_int(BC_CFG_USAGE_FLUSH_INTERVAL, -1);
    if (usage_every < 1 || usage_every > 3600) {
        bc_cli_error(json, "usage_flush_interval must be 1..3600 seconds");
        return 2;
    }

    /* Signals are taken synchronously by this thread (sigwait); every thread started below inherits the
     * mask, so SIGTERM never interrupts a worker. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct bc_env *env = NULL;
    if (bc_cli_setup(json, &env)) return 1;
    struct bc_store *store = env->store;
    const char *jwks = bc_config_get(BC_CFG_OIDC_JWKS);
    bc_jwt_configure_external(bc_config_get(BC_CFG_OIDC_ISSUER), bc_config_get(BC_CFG_OIDC_AUDIENCE),
                              bc_config_get(BC_CFG_OIDC_TENANT_CLAIM), bc_config_get(BC_CFG_OIDC_ROLE_CLAIM));
    if (jwks && *jwks) {
        char err[256];
        if (bc_jwt_fetch_jwks(jwks, err, sizeof err) < 0) {
            /* a provider that is down at start-up is retried by housekeeping; a bad file is an error */
            if (strncmp(jwks, "http", 4) != 0) {
                bc_cli_error(json, "%s", err);
                bc_cli_close(env);
                return 1;
            }
            bc_log(BC_LOG_WARN, "JWKS: %s (will retry)", err);
        }
    }

    struct bc_server srv = {0};
    srv.store = store;
    srv.env = env;
    srv.body_limit = (size_t)body_limit;
    srv.threads = (unsigned)threads;
    srv.test_hooks = bc_config_bool(BC_CFG_TEST_HOOKS);
    srv.access_log = bc_config_bool(BC_CFG_ACCESS_LOG);
    char err[256] = "";
    /* the LLM engine of the AI chat modes: one thread, every model call of the process in flight on it;
     * every call's latency and tokens reach GET /metrics through its usage hook */
    bc_llm_runtime_set_usage_hook(bc_metrics_llm_hook, NULL);
    if (bc_llm_runtime_start() < 0) bc_log(BC_LOG_WARN, "LLM engine not started: AI turns will use fsm");
    if (bc_log_access_buffering(true) < 0) bc_log(BC_LOG_WARN, "access lines unbuffered: no flusher thread");
    if (bc_server_start(&srv, bc_config_get(BC_CFG_LISTEN), err, sizeof err) < 0) {
        bc_cli_error(json, "%s", err);
        bc_log_access_buffering(false);
        bc_llm_runtime_stop();
        bc_cli_close(env);
        return 1;
    }
    const char *pub = bc_config_get(BC_CFG_PUBLIC_URL);
    char url[128];
    snprintf(url, sizeof url, "http://%s:%u", srv.host, (unsigned)srv.port);
    bc_api_set_public_url(pub && *pub ? pub : url);
    if (demo && bc__cmd_serve_demo(env, bc_api_public_url(), json)) {
        bc_server_drain(&srv, 0);
        bc_server_stop(&srv);
        bc_log_access_buffering(false);
        bc_cli_close(env);
        return 1;
    }
    const char *mlisten = bc_config_get(BC_CFG_METRICS_LISTEN);
    uint16_t mport = 0;
    if (mlisten && *mlisten && bc_metrics_listen(&srv, mlisten, &mport, err, sizeof err) < 0) {
        bc_cli_error(json, "%s", err);
        bc_llm_runtime_stop();
        bc_server_stop(&srv);
        bc_log_access_buffering(false);
        bc_cli_close(env);
        return 1;
    }
    if (mport)
        bc_log(BC_LOG_INFO, "metrics on http://%.*s:%u/metrics", (int)strcspn(mlisten, ":"), mlisten, mport);

    struct housekeeping hk = {.env = env, .usage_every = usage_every};
    pthread_mutex_init(&hk.mu, NULL);
    pthread_cond_init(&hk.cv, NULL);
    pthread_create(&hk.thread, NULL, housekeeping_main, &hk);

    bc_log(BC_LOG_INFO, "listening on %s:%u with %u threads, store %s", srv.host, (unsigned)srv.port,
           srv.threads, store->url);
    print_listening(json, &srv);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0) {
    }
    bc_log(BC_LOG_INFO, "signal %d: draining", sig);
    int left = bc_server_drain(&srv, (int)bc_config_int(BC_CFG_DRAIN_TIMEOUT, 30) * 1000);
    if (left) bc_log(BC_LOG_WARN, "%d requests still in flight after the drain timeout", left);
    /* before the HTTP server stops: cancelling the model calls still in flight resumes their suspended
     * requests (answered by fsm), and libmicrohttpd must not stop with a connection suspended */
    bc_llm_runtime_stop();
    if (left) bc_server_drain(&srv, 2000); /* let those answers go out */
    bc_server_stop(&srv);
    bc_log_access_buffering(false);
    bc_metrics_listen_stop();

    pthread_mutex_lock(&hk.mu);
    hk.stop = true;
    pthread_cond_signal(&hk.cv);
    pthread_mutex_unlock(&hk.mu);
    pthread_join(hk.thread, NULL);
    pthread_cond_destroy(&hk.cv);
    pthread_mutex_destroy(&hk.mu);
    free(hk.reap_cursor);

    bc_apikey_flush_last_used(env);
    /* every request is finished: the last usage counts, retried briefly if the store hiccups */
    for (int i = 0; i < 3 && bc_usage_flush(env) < 0; i++) {
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    bc_store_sync(store);
    bc_metrics_reset();
    bc_jwt_cleanup();
    bc_ratelimit_reset();
    bc_cli_close(env);
    bc_log(BC_LOG_INFO, "stopped");
    bc_config_reset();
    return 0;
}
