/* bookchat serve: opens the store, starts the HTTP server and the housekeeping thread, and on SIGTERM or
 * SIGINT drains in-flight requests, stops, and closes the store cleanly. */
#include "auth/jwt.h"
#include "auth/ratelimit.h"
#include "cmd/cmd.h"
#include "domain/waitlist.h"
#include "domain/dispatch.h"
#include "domain/extcal.h"
#include "domain/env.h"
#include "domain/mail.h"
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
        if (bc_jwt_fetch_jwks(jwks, bc_config_bool(BC_CFG_OIDC_ALLOW_HTTP_LOOPBACK), err, sizeof err) < 0)
            bc_log(BC_LOG_WARN, "JWKS refresh: %s", err);
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
        /* waitlist offers past their time pass to the next entry (domain/waitlist.h) */
        bc_waitlist_work(hk->env, 64);
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

/* What serve's steps share: its options, then what each step started, so that one shutdown stops that. */
struct serve {
    bool demo;
    long body_limit, threads, usage_every;
    sigset_t sigs;        /* SIGTERM and SIGINT, blocked in every thread and taken by sigwait */
    struct bc_server srv; /* srv.daemon when started */
    bool hk_running;
    struct housekeeping hk;
    struct bc_dispatcher *disp;    /* notifications (domain/dispatch.h) */
    struct bc_extcal_poller *xcal; /* the professionals' external calendars (domain/extcal.h) */
    char mail_from[256];
};

int cmd_serve_parse(struct bc_cli *cli)
{
    bool help = false;
    struct serve *s = bc_cli_opts(cli, sizeof *s);
    if (!s) return 1;
    const struct bc_opt opts[] = {
        {"listen", BC_OPT_CFG, NULL, BC_CFG_LISTEN, "ADDR:PORT", "listen address (env BOOKCHAT_LISTEN)"},
        {"demo", BC_OPT_FLAG, &s->demo, 0, NULL,
         "create the demo tenant if missing; print its URLs, login and key"},
        {"threads", BC_OPT_CFG, NULL, BC_CFG_THREADS, "N", "worker threads, 0 = one per core"},
        BC_OPT_COMMON(&cli->json),
        {0},
    };
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, NULL, 0, &npos, &help) < 0) {
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
    return BC_CLI_GO;
}

/* After the configuration, before the store: the server's settings, and the signal mask that every thread
 * started from here on inherits. */
int cmd_serve_prepare(struct bc_cli *cli)
{
    struct serve *s = cli->opts;
    s->body_limit = bc_config_int(BC_CFG_BODY_LIMIT, -1);
    s->threads = bc_config_int(BC_CFG_THREADS, -1);
    if (s->body_limit < 1024 || s->body_limit > 64L << 20 || s->threads < 0 || s->threads > 256) {
        bc_cli_error(cli->json, "body_limit must be 1024..67108864 and threads 0..256");
        return 2;
    }
    s->usage_every = bc_config_int(BC_CFG_USAGE_FLUSH_INTERVAL, -1);
    if (s->usage_every < 1 || s->usage_every > 3600) {
        bc_cli_error(cli->json, "usage_flush_interval must be 1..3600 seconds");
        return 2;
    }
    /* Signals are taken synchronously by the main thread (sigwait); every thread started after this
     * inherits the mask, so SIGTERM never interrupts a worker. */
    sigemptyset(&s->sigs);
    sigaddset(&s->sigs, SIGTERM);
    sigaddset(&s->sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &s->sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    return BC_CLI_GO;
}

/* The credentials of the server: a platform token strong enough (like the server secret, at least 32
 * characters), and the external identity provider's settings and keys (OIDC) from a file or an https URL:
 * a provider that is down at start-up is retried by housekeeping; a bad file or a plain http URL is an
 * error. */
static int setup_keys(struct bc_cli *cli)
{
    const char *jwks = bc_config_get(BC_CFG_OIDC_JWKS), *platform = bc_config_get(BC_CFG_PLATFORM_TOKEN);
    bool http_loopback = bc_config_bool(BC_CFG_OIDC_ALLOW_HTTP_LOOPBACK);
    char err[512];
    if (platform && *platform && strlen(platform) < 32) {
        bc_cli_error(cli->json, "the platform_token setting must be at least 32 characters");
        return 1;
    }
    if (jwks && *jwks && bc_jwt_jwks_source_check(jwks, http_loopback, err, sizeof err) < 0) {
        bc_cli_error(cli->json, "%s", err);
        return 1;
    }
    bc_jwt_configure_external(bc_config_get(BC_CFG_OIDC_ISSUER), bc_config_get(BC_CFG_OIDC_AUDIENCE),
                              bc_config_get(BC_CFG_OIDC_TENANT_CLAIM), bc_config_get(BC_CFG_OIDC_ROLE_CLAIM));
    if (!jwks || !*jwks || bc_jwt_fetch_jwks(jwks, http_loopback, err, sizeof err) == 0) return 0;
    if (strncmp(jwks, "http", 4) != 0) {
        bc_cli_error(cli->json, "%s", err);
        return 1;
    }
    bc_log(BC_LOG_WARN, "JWKS: %s (will retry)", err);
    return 0;
}

/* The LLM engine, the HTTP server, the demo tenant when asked for, and the metrics listener. */
static int start(struct bc_cli *cli, struct serve *s)
{
    struct bc_server *srv = &s->srv;
    srv->store = cli->store;
    srv->env = cli->env;
    srv->body_limit = (size_t)s->body_limit;
    srv->threads = (unsigned)s->threads;
    srv->test_hooks = bc_config_bool(BC_CFG_TEST_HOOKS);
    srv->access_log = bc_config_bool(BC_CFG_ACCESS_LOG);
    char err[256] = "";
    /* the LLM engine of the AI chat modes: one thread, every model call of the process in flight on it;
     * every call's latency and tokens reach GET /metrics through its usage hook */
    bc_llm_runtime_set_usage_hook(bc_metrics_llm_hook, NULL);
    if (bc_llm_runtime_start() < 0) bc_log(BC_LOG_WARN, "LLM engine not started: AI turns will use fsm");
    if (bc_log_access_buffering(true) < 0) bc_log(BC_LOG_WARN, "access lines unbuffered: no flusher thread");
    if (bc_server_start(srv, bc_config_get(BC_CFG_LISTEN), err, sizeof err) < 0) {
        bc_cli_error(cli->json, "%s", err);
        return 1;
    }
    const char *pub = bc_config_get(BC_CFG_PUBLIC_URL);
    char url[128];
    snprintf(url, sizeof url, "http://%s:%u", srv->host, (unsigned)srv->port);
    bc_api_set_public_url(srv, pub && *pub ? pub : url);
    if (s->demo && bc__cmd_serve_demo(cli->env, bc_api_public_url(srv), cli->json)) return 1;
    const char *mlisten = bc_config_get(BC_CFG_METRICS_LISTEN);
    uint16_t mport = 0;
    if (mlisten && *mlisten && bc_metrics_listen(srv, mlisten, &mport, err, sizeof err) < 0) {
        bc_cli_error(cli->json, "%s", err);
        return 1;
    }
    if (mport)
        bc_log(BC_LOG_INFO, "metrics on http://%.*s:%u/metrics", (int)strcspn(mlisten, ":"), mlisten, mport);
    return 0;
}

/* The poller of the professionals' external calendars (busy times in), unless calendar_poller = off. */
static int calendar_poller_start(struct bc_cli *cli, struct serve *s)
{
    int interval = bc_config_int(BC_CFG_CALENDAR_POLL_INTERVAL, 300);
    if (interval < 1 || interval > 86400) {
        bc_cli_error(cli->json, "calendar_poll_interval must be 1..86400 seconds");
        return 1;
    }
    if (!bc_config_bool(BC_CFG_CALENDAR_POLLER)) {
        bc_log(BC_LOG_INFO, "external calendars are polled by other processes (calendar_poller = off)");
        return 0;
    }
    char err[256] = "";
    if (bc_extcal_poller_start(cli->env, interval, bc_config_bool(BC_CFG_WEBHOOK_ALLOW_PRIVATE), &s->xcal,
                               err, sizeof err) < 0) {
        bc_cli_error(cli->json, "calendar poller: %s", err);
        return 1;
    }
    bc_log(BC_LOG_INFO, "external calendars polled every %d s", interval);
    return 0;
}

/* The notifications' dispatcher: e-mail when smtp_url is set (said either way at start), webhooks always. */
static int dispatcher_start(struct bc_cli *cli, struct serve *s)
{
    const char *smtp = bc_config_get(BC_CFG_SMTP_URL), *from = bc_config_get(BC_CFG_MAIL_FROM);
    const char *pub = bc_api_public_url(&s->srv);
    if (!from || !*from) { /* bookchat@<host of the public URL> */
        const char *h = strstr(pub, "://");
        h = h ? h + 3 : pub;
        snprintf(s->mail_from, sizeof s->mail_from, "bookchat@%.*s", (int)strcspn(h, ":/"), h);
    } else {
        snprintf(s->mail_from, sizeof s->mail_from, "%s", from);
    }
    bool email = smtp && *smtp;
    if (email && !bc_mail_address_valid(s->mail_from)) {
        bc_cli_error(cli->json, "mail_from %s is not a valid e-mail address: set mail_from", s->mail_from);
        return 1;
    }
    if (email && strncmp(smtp, "smtp://", 7) != 0 && strncmp(smtp, "smtps://", 8) != 0) {
        bc_cli_error(cli->json, "smtp_url must be smtp://host:port or smtps://host:port");
        return 1;
    }
    const char *user = bc_config_get(BC_CFG_SMTP_USER), *tls = bc_config_get(BC_CFG_SMTP_STARTTLS);
    if (tls && strcmp(tls, "required") != 0 && strcmp(tls, "opportunistic") != 0) {
        bc_cli_error(cli->json, "smtp_starttls must be required or opportunistic");
        return 1;
    }
    struct bc_notify_cfg cfg = {
        .smtp_url = email ? smtp : NULL,
        .smtp_user = user,
        /* a password never crosses the network in clear unless the operator says so */
        .smtp_require_tls = tls ? strcmp(tls, "required") == 0 : user && *user,
        .smtp_ca_file = bc_config_get(BC_CFG_SMTP_CA_FILE),
        .smtp_password = bc_config_get(BC_CFG_SMTP_PASSWORD),
        .mail_from = s->mail_from,
        .public_url = pub,
        .allow_private = bc_config_bool(BC_CFG_WEBHOOK_ALLOW_PRIVATE),
    };
    struct bc_delivery_timing t = bc_delivery_default_timing;
    t.retry_base_s = bc_config_int(BC_CFG_OUTBOX_RETRY_BASE, 30);
    if (t.retry_base_s < 1 || t.retry_base_s > 3600) {
        bc_cli_error(cli->json, "outbox_retry_base must be 1..3600 seconds");
        return 1;
    }
    char err[256] = "";
    if (!bc_config_bool(BC_CFG_DISPATCHER)) {
        bc_log(BC_LOG_INFO, "notifications are sent by other processes (dispatcher = off)");
        return 0;
    }
    if (bc_dispatcher_start(cli->env, &cfg, &t, &s->disp, err, sizeof err) < 0) {
        bc_cli_error(cli->json, "notifications: %s", err);
        return 1;
    }
    if (email) { /* the server's address without any user:password@ a URL may carry */
        const char *host = strstr(smtp, "://") + 3, *at = strchr(host, '@');
        if (at && at < host + strcspn(host, "/")) host = at + 1;
        bc_log(BC_LOG_INFO, "e-mail on: %.*s://%s, from %s", (int)strcspn(smtp, ":"), smtp, host,
               s->mail_from);
    } else
        bc_log(BC_LOG_INFO,
               "e-mail off: set smtp_url (BOOKCHAT_SMTP_URL) to send confirmations and reminders");
    return 0;
}

static void housekeeping_start(struct serve *s, struct bc_env *env)
{
    s->hk = (struct housekeeping){.env = env, .usage_every = s->usage_every};
    pthread_mutex_init(&s->hk.mu, NULL);
    pthread_cond_init(&s->hk.cv, NULL);
    pthread_create(&s->hk.thread, NULL, housekeeping_main, &s->hk);
    s->hk_running = true;
}

static void housekeeping_stop(struct serve *s)
{
    if (!s->hk_running) return;
    struct housekeeping *hk = &s->hk;
    pthread_mutex_lock(&hk->mu);
    hk->stop = true;
    pthread_cond_signal(&hk->cv);
    pthread_mutex_unlock(&hk->mu);
    pthread_join(hk->thread, NULL);
    pthread_cond_destroy(&hk->cv);
    pthread_mutex_destroy(&hk->mu);
    free(hk->reap_cursor);
    s->hk_running = false;
}

/* Until SIGTERM or SIGINT; then the drain of the requests in flight. Returns how many are still in flight. */
static int wait_and_drain(struct serve *s)
{
    int sig = 0;
    while (sigwait(&s->sigs, &sig) != 0) {
    }
    bc_log(BC_LOG_INFO, "signal %d: draining", sig);
    int left = bc_server_drain(&s->srv, (int)bc_config_int(BC_CFG_DRAIN_TIMEOUT, 30) * 1000);
    if (left) bc_log(BC_LOG_WARN, "%d requests still in flight after the drain timeout", left);
    return left;
}

/* The one shutdown, after a signal or a failed start: stops what was started, flushes what a server that
 * ran left pending, and resets the process-wide state (so leak checkers see a clean exit). */
static void shutdown_all(struct bc_cli *cli, struct serve *s, int left)
{
    bool started = s->srv.daemon != NULL;
    if (started && !s->hk_running) bc_server_drain(&s->srv, 0); /* a failed start: nothing to wait for */
    /* before the HTTP server stops: cancelling the model calls still in flight resumes their suspended
     * requests (answered by fsm), and libmicrohttpd must not stop with a connection suspended */
    bc_llm_runtime_stop();
    if (left) bc_server_drain(&s->srv, 2000); /* let those answers go out */
    bc_server_stop(&s->srv);
    /* no request adds events now; sends in flight are cancelled and retried after their lease */
    bc_dispatcher_stop(s->disp);
    s->disp = NULL;
    bc_extcal_poller_stop(s->xcal);
    s->xcal = NULL;
    bc_log_access_buffering(false);
    bc_metrics_listen_stop();
    housekeeping_stop(s);
    if (started) {
        bc_apikey_flush_last_used(cli->env);
        /* every request is finished: the last usage counts, retried briefly if the store hiccups */
        for (int i = 0; i < 3 && bc_usage_flush(cli->env) < 0; i++) {
            struct timespec pause = {0, 200 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        bc_store_sync(cli->store);
    }
    bc_metrics_reset();
    bc_jwt_cleanup();
    bc_ratelimit_reset();
}

int cmd_serve(struct bc_cli *cli)
{
    struct serve *s = cli->opts;
    int left = 0, rc = setup_keys(cli);
    if (rc == 0) rc = start(cli, s);
    if (rc == 0) rc = dispatcher_start(cli, s);
    if (rc == 0) rc = calendar_poller_start(cli, s);
    if (rc == 0) {
        housekeeping_start(s, cli->env);
        bc_log(BC_LOG_INFO, "listening on %s:%u with %u threads, store %s", s->srv.host,
               (unsigned)s->srv.port, s->srv.threads, cli->store->url);
        print_listening(cli->json, &s->srv);
        left = wait_and_drain(s);
    }
    shutdown_all(cli, s, left);
    if (rc == 0) bc_log(BC_LOG_INFO, "stopped");
    bc_config_reset();
    return rc;
}
