/* bookchat serve: opens the store, starts the HTTP server and the housekeeping thread, and on SIGTERM or
 * SIGINT drains in-flight requests, stops, and closes the store cleanly. */
#include "auth/jwt.h"
#include "auth/ratelimit.h"
#include "cmd/cmd.h"
#include "domain/channel_run.h"
#include "domain/waitlist.h"
#include "domain/dispatch.h"
#include "domain/extcal.h"
#include "domain/env.h"
#include "domain/envs.h"
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

/* Housekeeping: background work that must not run on request threads (expired-item reaping), for the
 * pooled env and every dedicated env of the registry (domain/envs.h). */
struct housekeeping {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    struct bc_env *env;   /* the pooled env */
    struct bc_envs *envs; /* every env, the pooled one first */
    unsigned long rounds;
    unsigned long ticks;
    char *reap_cursor; /* where the deleted-tenant reaper goes on next round */
    long usage_every;  /* seconds between usage flushes */
};

/* One round of background work; runs every 10 seconds (the thread itself wakes every second to sync). */
static void housekeeping_pass(struct housekeeping *hk)
{
    bc__cmd_housekeeping_round(hk->envs, hk->env, &hk->reap_cursor, ++hk->rounds);
}

/* The part of a round that each env's store needs: expired items, key last-uses. */
static void env_pass(struct bc_env *env, void *ud)
{
    (void)ud;
    /* bounded batches so one pass never holds the store's write lock for long */
    int n;
    while ((n = bc_store_reap(env->store, 500)) == 500) {
    }
    if (n < 0) bc_log(BC_LOG_WARN, "reaping expired items failed: %d", n);
    if ((n = bc_apikey_flush_last_used(env)) < 0) bc_log(BC_LOG_WARN, "flushing key last-use failed: %d", n);
}

void bc__cmd_housekeeping_round(struct bc_envs *envs, struct bc_env *env, char **reap_cursor,
                                unsigned long round)
{
    int n;
    if (envs)
        bc_envs_each(envs, env_pass, NULL);
    else
        env_pass(env, NULL);
    /* deleted tenants past retention, at most 1000 items a round, one small write each (the platform's
     * index is the pooled store's; a placed tenant's partition is purged in its own store) */
    if ((n = bc_tenant_reap_deleted(env, 1000, reap_cursor)) < 0)
        bc_log(BC_LOG_WARN, "purging deleted tenants failed: %d", n);
    bc_ratelimit_sweep(10 * 60 * 1000);
    const char *jwks = bc_config_get(BC_CFG_OIDC_JWKS);
    if (jwks && strncmp(jwks, "http", 4) == 0 && round % 60 == 0) { /* every 10 minutes */
        char err[256];
        if (bc_jwt_fetch_jwks(jwks, bc_config_bool(BC_CFG_OIDC_ALLOW_HTTP_LOOPBACK), err, sizeof err) < 0)
            bc_log(BC_LOG_WARN, "JWKS refresh: %s", err);
    }
}

static void flush_usage(struct bc_env *env, void *ud)
{
    (void)ud;
    int n = bc_usage_flush(env);
    if (n < 0) bc_log(BC_LOG_WARN, "usage flush failed (the counts stay pending): %d", n);
}

static void sync_store(struct bc_env *env, void *ud)
{
    (void)ud;
    int rc = bc_store_sync(env->store);
    if (rc < 0) bc_log(BC_LOG_WARN, "store sync failed: %d", rc);
}

static void waitlist_work(struct bc_env *env, void *ud)
{
    (void)ud;
    bc_waitlist_work(env, 64);
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
        /* the placement directory, and the dedicated stores it names opened (their dispatcher and
         * calendar poller start with them), before their first request */
        int rc = bc_envs_refresh(hk->envs);
        if (rc < 0) bc_log(BC_LOG_WARN, "placement directory refresh failed: %d", rc);
        /* metered usage: the pending counters become atomic adds (docs/metering.md) */
        if ((hk->ticks + 1) % (unsigned long)hk->usage_every == 0) bc_envs_each(hk->envs, flush_usage, NULL);
        /* lazy writes (chat messages, counters) reach the disk within a second */
        bc_envs_each(hk->envs, sync_store, NULL);
        /* waitlist offers past their time pass to the next entry (domain/waitlist.h) */
        bc_envs_each(hk->envs, waitlist_work, NULL);
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
    struct bc_channels *chans;     /* WhatsApp and Telegram turns and sends (domain/channel_run.h) */
    char mail_from[256];
    /* the envs of dedicated stores (domain/envs.h) and the workers started for each */
    struct bc_envs *envs;
    pthread_mutex_t workers_mu;
    struct bc__cmd_workers workers; /* what the pooled env's workers were started with */
    bool workers_ready;             /* workers is set: envs opened from now on get their workers at once */
    struct bc_env *env_list[BC_ENVS_MAX]; /* dedicated envs, in the order they were opened */
    struct bc_dispatcher *env_disp[BC_ENVS_MAX];
    struct bc_extcal_poller *env_xcal[BC_ENVS_MAX];
    struct bc_channels *env_chans[BC_ENVS_MAX];
    int nenvs;
};

/* The dispatcher, calendar poller and channels' worker of dedicated env i (workers_mu held): a placed
 * tenant's channel messages and their recovery run against its own store. */
static void env_workers_start(struct serve *s, int i)
{
    char err[256] = "";
    struct bc__cmd_workers *w = &s->workers;
    if (w->dispatch_on && !s->env_disp[i] &&
        bc_dispatcher_start(s->env_list[i], &w->notify, &w->timing, &s->env_disp[i], err, sizeof err) < 0)
        bc_log(BC_LOG_WARN, "notifications of %s: %s", s->env_list[i]->store->url, err);
    if (w->poll_on && !s->env_xcal[i] &&
        bc_extcal_poller_start(s->env_list[i], w->poll_interval, w->allow_private, &s->env_xcal[i], err,
                               sizeof err) < 0)
        bc_log(BC_LOG_WARN, "calendar poller of %s: %s", s->env_list[i]->store->url, err);
    if (w->channels_on && !s->env_chans[i] &&
        bc_channels_start(s->env_list[i], &w->channels, &s->env_chans[i], err, sizeof err) < 0)
        bc_log(BC_LOG_WARN, "channels of %s: %s", s->env_list[i]->store->url, err);
}

/* The registry opened a dedicated env (on a request thread or housekeeping): its workers. */
static void env_opened(struct bc_env *env, void *ud)
{
    struct serve *s = ud;
    pthread_mutex_lock(&s->workers_mu);
    if (s->nenvs < BC_ENVS_MAX) {
        s->env_list[s->nenvs] = env;
        if (s->workers_ready) env_workers_start(s, s->nenvs);
        s->nenvs++;
    }
    pthread_mutex_unlock(&s->workers_mu);
    bc_log(BC_LOG_INFO, "dedicated store opened: %s", env->store->url);
}

/* After the pooled env's workers: the same for every dedicated env opened so far and from now on. */
static void env_workers_ready(struct serve *s)
{
    pthread_mutex_lock(&s->workers_mu);
    s->workers_ready = true;
    for (int i = 0; i < s->nenvs; i++) env_workers_start(s, i);
    pthread_mutex_unlock(&s->workers_mu);
}

static void env_workers_stop(struct serve *s)
{
    pthread_mutex_lock(&s->workers_mu);
    for (int i = 0; i < s->nenvs; i++) {
        bc_dispatcher_stop(s->env_disp[i]);
        bc_extcal_poller_stop(s->env_xcal[i]);
        bc_channels_stop(s->env_chans[i]);
        s->env_disp[i] = NULL;
        s->env_xcal[i] = NULL;
        s->env_chans[i] = NULL;
    }
    s->workers_ready = false;
    pthread_mutex_unlock(&s->workers_mu);
}

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
int bc__cmd_serve_keys(struct bc_cli *cli)
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
    /* tenants placed on stores of their own are routed from the first request on */
    pthread_mutex_init(&s->workers_mu, NULL);
    if (!(s->envs = bc__cmd_envs_new(cli->env, env_opened, s))) {
        bc_cli_error(cli->json, "out of memory");
        return 1;
    }
    srv->envs = s->envs;
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

struct bc_envs *bc__cmd_envs_new(struct bc_env *pooled, void (*on_open)(struct bc_env *env, void *ud),
                                 void *ud)
{
    long cache_ms = bc_config_int(BC_CFG_STORE_CACHE_MS, 1000);
    struct bc_envs_config cfg = {
        .store_cache_ms = cache_ms > 0 && cache_ms <= 60000 ? cache_ms : 0, .on_open = on_open, .ud = ud};
    return bc_envs_new(pooled, &cfg);
}

/* The poller of the professionals' external calendars (busy times in), unless calendar_poller = off. */
int bc__cmd_poller_start(struct bc_cli *cli, struct bc_extcal_poller **out, struct bc__cmd_workers *keep)
{
    int interval = bc_config_int(BC_CFG_CALENDAR_POLL_INTERVAL, 300);
    if (interval < 1 || interval > 86400) {
        bc_cli_error(cli->json, "calendar_poll_interval must be 1..86400 seconds");
        return 1;
    }
    if (keep) {
        keep->poll_interval = interval;
        keep->allow_private = bc_config_bool(BC_CFG_WEBHOOK_ALLOW_PRIVATE);
    }
    if (!bc_config_bool(BC_CFG_CALENDAR_POLLER)) {
        bc_log(BC_LOG_INFO, "external calendars are polled by other processes (calendar_poller = off)");
        return 0;
    }
    if (keep) keep->poll_on = true;
    char err[256] = "";
    if (bc_extcal_poller_start(cli->env, interval, bc_config_bool(BC_CFG_WEBHOOK_ALLOW_PRIVATE), out, err,
                               sizeof err) < 0) {
        bc_cli_error(cli->json, "calendar poller: %s", err);
        return 1;
    }
    bc_log(BC_LOG_INFO, "external calendars polled every %d s", interval);
    return 0;
}

/* The notifications' dispatcher: e-mail when smtp_url is set (said either way at start), webhooks always. */
int bc__cmd_dispatcher_start(struct bc_cli *cli, const char *pub, char *mail_from, size_t mfsize,
                             struct bc_dispatcher **out, struct bc__cmd_workers *keep)
{
    const char *smtp = bc_config_get(BC_CFG_SMTP_URL), *from = bc_config_get(BC_CFG_MAIL_FROM);
    if (!from || !*from) { /* bookchat@<host of the public URL> */
        const char *h = strstr(pub, "://");
        h = h ? h + 3 : pub;
        snprintf(mail_from, mfsize, "bookchat@%.*s", (int)strcspn(h, ":/"), h);
    } else {
        snprintf(mail_from, mfsize, "%s", from);
    }
    bool email = smtp && *smtp;
    if (email && !bc_mail_address_valid(mail_from)) {
        bc_cli_error(cli->json, "mail_from %s is not a valid e-mail address: set mail_from", mail_from);
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
        .mail_from = mail_from,
        .public_url = pub,
        .allow_private = bc_config_bool(BC_CFG_WEBHOOK_ALLOW_PRIVATE),
        .whatsapp_graph_url = bc_config_get(BC_CFG_WHATSAPP_GRAPH_URL),
        .telegram_api_url = bc_config_get(BC_CFG_TELEGRAM_API_URL),
    };
    struct bc_delivery_timing t = bc_delivery_default_timing;
    t.retry_base_s = bc_config_int(BC_CFG_OUTBOX_RETRY_BASE, 30);
    if (t.retry_base_s < 1 || t.retry_base_s > 3600) {
        bc_cli_error(cli->json, "outbox_retry_base must be 1..3600 seconds");
        return 1;
    }
    t.channel_retry_ms = bc_config_int(BC_CFG_CHANNEL_RETRY_MS, 1000);
    if (t.channel_retry_ms < 1 || t.channel_retry_ms > 600000) {
        bc_cli_error(cli->json, "channel_retry_ms must be 1..600000");
        return 1;
    }
    char err[256] = "";
    if (keep) {
        keep->notify = cfg;
        keep->timing = t;
    }
    if (!bc_config_bool(BC_CFG_DISPATCHER)) {
        bc_log(BC_LOG_INFO, "notifications are sent by other processes (dispatcher = off)");
        return 0;
    }
    if (keep) keep->dispatch_on = true;
    if (bc_dispatcher_start(cli->env, &cfg, &t, out, err, sizeof err) < 0) {
        bc_cli_error(cli->json, "notifications: %s", err);
        return 1;
    }
    if (email) { /* the server's address without any user:password@ a URL may carry */
        const char *host = strstr(smtp, "://") + 3, *at = strchr(host, '@');
        if (at && at < host + strcspn(host, "/")) host = at + 1;
        bc_log(BC_LOG_INFO, "e-mail on: %.*s://%s, from %s", (int)strcspn(smtp, ":"), smtp, host, mail_from);
    } else
        bc_log(BC_LOG_INFO,
               "e-mail off: set smtp_url (BOOKCHAT_SMTP_URL) to send confirmations and reminders");
    return 0;
}

/* The worker of the messaging channels: their turns and the answers' sends to Meta and Telegram. */
static int channels_start(struct bc_cli *cli, struct serve *s)
{
    struct bc_channels_cfg cfg = {
        .public_url = bc_api_public_url(&s->srv),
        /* a crash between taking a message and its turn, for tests/api/channels_durable.test.mjs */
        .hold = bc_config_bool(BC_CFG_TEST_HOOKS) && getenv("BOOKCHAT_TEST_CHANNEL_HOLD") != NULL,
    };
    char err[256] = "";
    s->workers.channels_on = true;
    s->workers.channels = cfg;
    if (bc_channels_start(cli->env, &cfg, &s->chans, err, sizeof err) < 0) {
        bc_cli_error(cli->json, "channels: %s", err);
        return 1;
    }
    return 0;
}

static void housekeeping_start(struct serve *s, struct bc_env *env)
{
    s->hk = (struct housekeeping){.env = env, .envs = s->envs, .usage_every = s->usage_every};
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
/* Every request is finished: an env's last key uses and usage counts (retried briefly if the store
 * hiccups), synced. */
static void final_flush(struct bc_env *env, void *ud)
{
    (void)ud;
    bc_apikey_flush_last_used(env);
    for (int i = 0; i < 3 && bc_usage_flush(env) < 0; i++) {
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    bc_store_sync(env->store);
}

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
    /* after the LLM engine: every channel turn waiting for a model has been answered (by fsm) */
    bc_channels_stop(s->chans);
    s->chans = NULL;
    bc_extcal_poller_stop(s->xcal);
    s->xcal = NULL;
    if (s->envs) env_workers_stop(s);
    bc_log_access_buffering(false);
    bc_metrics_listen_stop();
    housekeeping_stop(s);
    if (started && s->envs)
        bc_envs_each(s->envs, final_flush, NULL);
    else if (started)
        final_flush(cli->env, NULL);
    bc_envs_free(s->envs); /* nothing uses the dedicated envs now */
    if (s->envs) pthread_mutex_destroy(&s->workers_mu);
    s->envs = s->srv.envs = NULL;
    bc_metrics_reset();
    bc_jwt_cleanup();
    bc_ratelimit_reset();
}

int cmd_serve(struct bc_cli *cli)
{
    struct serve *s = cli->opts;
    int left = 0, rc = bc__cmd_serve_keys(cli);
    if (rc == 0) rc = start(cli, s);
    if (rc == 0)
        rc = bc__cmd_dispatcher_start(cli, bc_api_public_url(&s->srv), s->mail_from, sizeof s->mail_from,
                                      &s->disp, &s->workers);
    if (rc == 0) rc = bc__cmd_poller_start(cli, &s->xcal, &s->workers);
    if (rc == 0) rc = channels_start(cli, s);
    if (rc == 0) env_workers_ready(s);
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
