/* bookchat lambda: an AWS Lambda custom runtime in the same binary (the `bootstrap` of a provided.al2023
 * function). It sets up what serve sets up — the store and its env, the secret, the keys, the LLM engine,
 * the notifications' dispatcher, the calendar poller — then loops on the Runtime API: each HTTP event is
 * answered by the same router as serve's (http/lambda.h), then the usage counts and the outbox's work are
 * finished within the invocation's remaining time; a scheduled EventBridge event runs housekeeping.
 * docs/lambda.md describes the settings.
 *
 * DESIGN NOTES
 * - Lambda freezes the process between invocations, so nothing may be left for a background thread to do
 *   "soon": after an answer is posted, the usage flush, the keys' last use, the dispatcher's passes
 *   (bc_dispatcher_settle) and the store sync run before the next invocation is asked for, bounded by the
 *   deadline less a small margin. What is not done by then stays in the store (outbox leases, pending
 *   counts in the env) and is done at the next invocation or the next scheduled event.
 * - A start-up failure is posted to init/error (the message bc_cli_error printed) and the process exits 1;
 *   an event that is not JSON or not a kind bookchat answers is posted to the invocation's error endpoint
 *   and the loop goes on.
 * - SIGTERM/SIGINT end the loop at the next poll (curl's progress callback sees the flag) and shut down as
 *   serve does. */
#include "auth/jwt.h"
#include "auth/ratelimit.h"
#include "cmd/cmd.h"
#include "cmd/runtime_api.h"
#include "domain/apikey.h"
#include "domain/dispatch.h"
#include "domain/env.h"
#include "domain/envs.h"
#include "domain/extcal.h"
#include "domain/usage.h"
#include "http/api.h"
#include "http/http.h"
#include "http/lambda.h"
#include "http/metrics.h"
#include "http/server.h"
#include "llm/runtime.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/opt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_line[] = "bookchat lambda [--store URL] [--data DIR] [--config FILE] [--json]";

/* The margin kept after the work that follows an answer, so that asking for the next invocation never
 * races the deadline. */
#define AFTER_MARGIN_MS 200

#define DEBIAN_CA "/etc/ssl/certs/ca-certificates.crt"
#define AMAZON_CA "/etc/pki/tls/certs/ca-bundle.crt"

struct lambda {
    struct bc_rapi *rapi;
    struct bc_env *env;   /* the pooled env */
    struct bc_envs *envs; /* every env: the pooled one and the dedicated stores of placed tenants */
    struct bc_server srv;
    bool srv_ready;
    struct bc_dispatcher *disp;
    struct bc_extcal_poller *xcal;
    struct bc_channels *chans; /* WhatsApp and Telegram turns (domain/channel_run.h) */
    char mail_from[256];
    long reserve_ms;
    char *reap_cursor;
    unsigned long rounds;
};

/* the one runtime of the process, for the signal handler */
static struct bc_rapi *signal_rapi;

static void on_signal(int sig)
{
    (void)sig;
    if (signal_rapi) bc_rapi_interrupt(signal_rapi);
}

int cmd_lambda_parse(struct bc_cli *cli)
{
    bool help = false;
    const struct bc_opt opts[] = {
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
        printf("\nRuns inside AWS Lambda (provided.al2023): AWS_LAMBDA_RUNTIME_API names the Runtime API.\n"
               "Settings as for serve, from the environment (BOOKCHAT_<NAME>); see docs/lambda.md.\n");
        return 0;
    }
    return BC_CLI_GO;
}

/* epoch ms of the deadline as a monotonic time; 30 s from now when the header was missing. The Runtime
 * API's clock is the real one, never the test clock of bc_now_ms. */
static int64_t mono_deadline(const struct bc_invocation *inv)
{
    int64_t now_ns = bc_mono_ns();
    if (!inv->deadline_ms) return now_ns + 30LL * 1000000000;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return now_ns + (inv->deadline_ms - now_ms) * 1000000;
}

/* ---- start-up ---- */

/* Everything serve sets up but the listener. 0, or 1 after bc_cli_error. */
static int init(struct bc_cli *cli, struct lambda *l)
{
    if (bc_cli_init(cli->json)) return 1;
    long body_limit = bc_config_int(BC_CFG_BODY_LIMIT, -1);
    l->reserve_ms = bc_config_int(BC_CFG_LAMBDA_RESERVE_MS, -1);
    if (body_limit < 1024 || body_limit > 6L << 20) {
        bc_cli_error(cli->json, "body_limit must be 1024..6291456 (Lambda's payload limit)");
        return 1;
    }
    if (l->reserve_ms < 100 || l->reserve_ms > 60000) {
        bc_cli_error(cli->json, "lambda_reserve_ms must be 100..60000");
        return 1;
    }
    /* Debian's libcurl looks for Debian's CA bundle; provided.al2023 keeps its own elsewhere */
    const char *ca = bc_config_get(BC_CFG_CA_FILE);
    if ((!ca || !*ca) && access(DEBIAN_CA, R_OK) != 0 && access(AMAZON_CA, R_OK) == 0)
        bc_config_set(BC_CFG_CA_FILE, AMAZON_CA);
    if (bc_cli_setup(cli->json, &l->env)) return 1;
    cli->env = l->env; /* closed by the dispatcher of commands */
    cli->store = l->env->store;
    if (bc__cmd_serve_keys(cli)) return 1;
    struct bc_server *srv = &l->srv;
    srv->store = cli->store;
    srv->env = cli->env;
    /* placed tenants (domain/envs.h) are routed to their stores as in serve; their outbox and calendars are
     * left to the serve processes or invocations of their own store (docs/lambda.md) */
    if (!(l->envs = bc__cmd_envs_new(cli->env, NULL, NULL))) {
        bc_cli_error(cli->json, "out of memory");
        return 1;
    }
    srv->envs = l->envs;
    srv->body_limit = (size_t)body_limit;
    srv->threads = 1;
    srv->test_hooks = bc_config_bool(BC_CFG_TEST_HOOKS);
    srv->access_log = bc_config_bool(BC_CFG_ACCESS_LOG);
    char err[256] = "";
    if (bc_server_prepare(srv, err, sizeof err) < 0) {
        bc_cli_error(cli->json, "%s", err);
        return 1;
    }
    l->srv_ready = true;
    const char *pub = bc_config_get(BC_CFG_PUBLIC_URL);
    bc_api_set_public_url(srv, pub && *pub ? pub : "http://localhost");
    bc_llm_runtime_set_usage_hook(bc_metrics_llm_hook, NULL);
    if (bc_llm_runtime_start() < 0) bc_log(BC_LOG_WARN, "LLM engine not started: AI turns will use fsm");
    if (bc__cmd_dispatcher_start(cli, bc_api_public_url(srv), l->mail_from, sizeof l->mail_from, &l->disp,
                                 NULL))
        return 1;
    /* channel webhooks are answered as serve answers them; their turns run before the invocation ends */
    struct bc_channels_cfg ccfg = {.public_url = bc_api_public_url(srv)};
    if (bc_channels_start(cli->env, &ccfg, &l->chans, err, sizeof err) < 0) {
        bc_cli_error(cli->json, "channels: %s", err);
        return 1;
    }
    return bc__cmd_poller_start(cli, &l->xcal, NULL);
}

/* An env's usage counts and key last-uses written, synced. */
static void flush_env(struct bc_env *env, void *ud)
{
    (void)ud;
    int n = bc_usage_flush(env);
    if (n < 0) bc_log(BC_LOG_WARN, "usage flush failed (the counts stay pending): %d", n);
    if ((n = bc_apikey_flush_last_used(env)) < 0) bc_log(BC_LOG_WARN, "flushing key last-use failed: %d", n);
    bc_store_sync(env->store);
}

static void shutdown_all(struct lambda *l)
{
    bc_llm_runtime_stop(); /* cancels calls still out: their requests' callbacks come back */
    bc_lambda_reap(2LL * 1000000000);
    bc_channels_stop(l->chans); /* what it did not run is recovered from its intents (channel_run.h) */
    bc_dispatcher_stop(l->disp);
    bc_extcal_poller_stop(l->xcal);
    if (l->envs)
        bc_envs_each(l->envs, flush_env, NULL);
    else if (l->env)
        flush_env(l->env, NULL);
    if (l->srv_ready) bc_server_release(&l->srv);
    bc_envs_free(l->envs);
    l->envs = l->srv.envs = NULL;
    free(l->reap_cursor);
    bc_metrics_reset();
    bc_jwt_cleanup();
    bc_ratelimit_reset();
}

/* ---- one invocation ---- */

/* The channels' turns (which make deliveries) and the outbox (whose recoveries may queue turns), until
 * both are idle or until (monotonic). */
static bool work_settle(struct lambda *l, int64_t until)
{
    bool idle = false;
    for (int i = 0; i < 3 && !idle; i++)
        idle = bc_channels_settle(l->chans, until) & bc_dispatcher_settle(l->disp, until) &
               bc_channels_idle(l->chans);
    return idle;
}

/* After the answer: what a resident process would do in the background, within the time left. */
static void settle(struct lambda *l, int64_t deadline_ns)
{
    int64_t until = deadline_ns - AFTER_MARGIN_MS * 1000000LL;
    bc_envs_each(l->envs, flush_env, NULL);
    if (!work_settle(l, until))
        bc_log(BC_LOG_WARN, "lambda: the outbox was not settled before the deadline (it goes on next time)");
    bc_store_sync(l->env->store);
    bc_lambda_reap(0);
}

/* A scheduled event: a housekeeping round, the calendars due, the outbox. Answers a summary. */
static json_t *housekeeping(struct lambda *l, int64_t deadline_ns)
{
    int64_t until = deadline_ns - AFTER_MARGIN_MS * 1000000LL;
    int64_t t0 = bc_mono_ns();
    int rc = bc_envs_refresh(l->envs);
    if (rc < 0) bc_log(BC_LOG_WARN, "placement directory refresh failed: %d", rc);
    bc__cmd_housekeeping_round(l->envs, l->env, &l->reap_cursor, ++l->rounds);
    bool calendars = bc_extcal_poller_settle(l->xcal, until);
    bool outbox = work_settle(l, until);
    return json_pack("{s:s, s:b, s:b, s:I}", "housekeeping", "done", "calendars_settled", calendars,
                     "outbox_settled", outbox, "ms", (json_int_t)((bc_mono_ns() - t0) / 1000000));
}

static void post_error(struct lambda *l, const struct bc_invocation *inv, const char *type, const char *msg)
{
    char err[300];
    bc_log(BC_LOG_WARN, "lambda: invocation %s: %s: %s", inv->request_id, type, msg);
    if (bc_rapi_error(l->rapi, inv->request_id, type, msg, err, sizeof err) < 0)
        bc_log(BC_LOG_ERROR, "lambda: posting the error failed: %s", err);
}

static void post_answer(struct lambda *l, const struct bc_invocation *inv, json_t *answer)
{
    char err[300];
    size_t len = 0;
    char *s = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
    if (!s) {
        post_error(l, inv, "Runtime.OutOfMemory", "the answer could not be built");
        return;
    }
    len = strlen(s);
    if (bc_rapi_respond(l->rapi, inv->request_id, s, len, err, sizeof err) < 0)
        bc_log(BC_LOG_ERROR, "lambda: posting the answer failed: %s", err);
    free(s);
}

static void invoke(struct lambda *l, struct bc_invocation *inv)
{
    int64_t deadline = mono_deadline(inv);
    if (inv->trace_id[0])
        setenv("_X_AMZN_TRACE_ID", inv->trace_id, 1);
    else
        unsetenv("_X_AMZN_TRACE_ID");
    json_error_t je;
    json_t *event = json_loadb(inv->event, inv->event_len, 0, &je);
    enum bc_lambda_kind kind = bc_lambda_kind(event);
    char msg[300] = "";
    if (!event) {
        snprintf(msg, sizeof msg, "the event is not JSON: %s (line %d)", je.text, je.line);
        post_error(l, inv, "Runtime.InvalidEvent", msg);
    } else if (kind == BC_LAMBDA_SCHEDULED) {
        json_t *summary = housekeeping(l, deadline);
        post_answer(l, inv, summary);
        json_decref(summary);
        settle(l, deadline);
    } else if (kind == BC_LAMBDA_HTTP) {
        struct bc_req *req = NULL;
        if (bc_lambda_request(&l->srv, event, &req, msg, sizeof msg) < 0) {
            post_error(l, inv, "Runtime.InvalidEvent", msg);
        } else {
            int64_t reserve = l->reserve_ms * 1000000LL;
            req->deadline_ns = deadline - reserve;
            json_t *answer = bc_lambda_answer(req, deadline - reserve / 2);
            post_answer(l, inv, answer);
            json_decref(answer);
            settle(l, deadline);
        }
    } else {
        post_error(l, inv, "Runtime.UnknownEvent",
                   "bookchat answers API Gateway HTTP API (payload 2.0) and Function URL events, and "
                   "EventBridge scheduled events");
    }
    json_decref(event);
}

int cmd_lambda(struct bc_cli *cli)
{
    struct lambda l = {0};
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api) {
        bc_cli_error(cli->json, "AWS_LAMBDA_RUNTIME_API is not set: bookchat lambda runs inside AWS Lambda "
                                "(or under a Runtime API emulator)");
        return 2;
    }
    l.rapi = bc_rapi_new(api);
    if (!l.rapi) {
        bc_cli_error(cli->json, "cannot start the Runtime API client");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    signal_rapi = l.rapi;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int rc = init(cli, &l);
    char err[300];
    if (rc) {
        const char *why = bc_cli_last_error();
        if (bc_rapi_error(l.rapi, NULL, "Runtime.InitError", *why ? why : "start-up failed", err,
                          sizeof err) < 0)
            bc_log(BC_LOG_ERROR, "lambda: posting the init error failed: %s", err);
    } else {
        bc_log(BC_LOG_INFO, "lambda: ready, store %s", cli->store->url);
        for (;;) {
            struct bc_invocation inv;
            if (bc_rapi_next(l.rapi, &inv, err, sizeof err) < 0) {
                if (!bc_rapi_interrupted(l.rapi)) {
                    bc_log(BC_LOG_ERROR, "lambda: %s", err);
                    rc = 1;
                }
                break;
            }
            invoke(&l, &inv);
            bc_invocation_release(&inv);
            if (bc_rapi_interrupted(l.rapi)) break;
        }
    }
    shutdown_all(&l);
    signal_rapi = NULL;
    bc_rapi_free(l.rapi);
    bc_config_reset();
    return rc;
}
