/* The dispatcher of subcommands (bc_cli_run: verbs, global options, setup and teardown once, from the flags
 * of a command's row) and the helpers the subcommands share: configuration, store opening, error and JSON
 * output. */
#include "auth/secret.h"
#include "cmd/cmd.h"
#include "domain/envs.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "domain/env.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/id.h"
#include "util/log.h"
#include "util/opt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The last message bc_cli_error printed: one per process (a command runs once), read by bookchat lambda to
 * report a failed start to the Runtime API's init/error. */
static char last_error[1024];

const char *bc_cli_last_error(void)
{
    return last_error;
}

void bc_cli_error(bool json, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    if (json) {
        json_t *m = json_string(msg);
        json_t *o =
            json_pack("{s:{s:s, s:o}}", "error", "code", "error", "message", m ? m : json_string("?"));
        char *s = json_dumps(o, JSON_COMPACT);
        fprintf(stderr, "%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "bookchat: %s\n", msg);
    }
}

void bc_cli_print_json(json_t *obj)
{
    char *s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) printf("%s\n", s);
    free(s);
    json_decref(obj);
    fflush(stdout);
}

int bc_cli_init(bool json)
{
    char err[512] = "";
    bc_clock_init();
    if (bc_id_global_init() < 0) {
        bc_cli_error(json, "cannot initialise the random number generator");
        return 1;
    }
    if (bc_config_load(bc_opt_config_file, err, sizeof err) < 0) {
        bc_cli_error(json, "%s", err);
        return 1;
    }
    if (bc_log_set_level_name(bc_config_get(BC_CFG_LOG_LEVEL)) < 0) {
        bc_cli_error(json, "log_level must be debug, info, warn, error or off");
        return 1;
    }
    long days = bc_config_int(BC_CFG_TENANT_RETENTION_DAYS, -1);
    if (days < 0 || days > 36500) {
        bc_cli_error(json, "tenant_retention_days must be 0..36500");
        return 1;
    }
    return 0;
}

const char *bc_cli_store_url(char *buf, size_t size)
{
    const char *url = bc_config_get(BC_CFG_STORE);
    if (url && *url) {
        snprintf(buf, size, "%s", url);
    } else {
        snprintf(buf, size, "lmdb:%s", bc_config_get(BC_CFG_DATA));
    }
    return buf;
}

int bc_cli_open_store(bool json, struct bc_store **out)
{
    char url[4096], err[512] = "";
    bc_cli_store_url(url, sizeof url);
    if (bc_store_open(url, out, err, sizeof err) < 0) {
        bc_cli_error(json, "cannot open store: %s", err[0] ? err : url);
        return 1;
    }
    /* a remote store's rarely changed items are kept for store_cache_ms (docs/performance.md "Read cache");
     * LMDB's reads are local and its memo is checked against the stored bytes, so a cache would only add
     * staleness there */
    long ms = bc_config_int(BC_CFG_STORE_CACHE_MS, 1000);
    if (strncmp(url, "dynamodb:", 9) == 0 && ms > 0 && ms <= 60000 &&
        bc_store_cache_enable(*out, ms, BC_STORE_CACHE_BYTES) < 0) {
        bc_cli_error(json, "cannot open store: out of memory");
        bc_store_close(*out);
        *out = NULL;
        return 1;
    }
    return 0;
}

int bc_cli_setup(bool json, struct bc_env **out)
{
    char err[512] = "";
    struct bc_store *st = NULL;
    *out = NULL;
    if (bc_cli_open_store(json, &st)) return 1;
    struct bc_env *env = bc_env_new(st);
    int rc = env ? 0 : BC_ENOMEM;
    if (env) env->retention_s = (int64_t)bc_config_int(BC_CFG_TENANT_RETENTION_DAYS, 30) * 86400;
    if (rc == 0)
        rc = bc_secret_init(bc_config_get(BC_CFG_SECRET), bc_config_get(BC_CFG_DATA), err, sizeof err);
    if (rc == 0) rc = bc_plan_ensure_defaults(env);
    if (rc < 0) {
        bc_cli_error(json, "%s", err[0] ? err : "cannot initialise the store");
        bc_cli_close(env);
        if (!env) bc_store_close(st);
        return 1;
    }
    *out = env;
    return 0;
}

int bc_cli_route_tenant(struct bc_cli *cli, const char *tenant_id)
{
    struct bc_env *env = NULL;
    bool frozen = false;
    struct bc_envs_config cfg = {0}; /* no read cache: an operator's command reads what was just written */
    if (!cli->envs && !(cli->envs = bc_envs_new(cli->env, &cfg))) {
        bc_cli_error(cli->json, "out of memory");
        return 1;
    }
    if (!cli->pooled) cli->pooled = cli->env;
    if (bc_envs_route(cli->envs, tenant_id, &env, &frozen) < 0) {
        bc_cli_error(cli->json, "the store of tenant %s cannot be reached", tenant_id);
        return 1;
    }
    if (frozen) {
        bc_cli_error(cli->json,
                     "tenant %s is being moved to another store (tenant place): retry in a few seconds",
                     tenant_id);
        return 1;
    }
    cli->env = env;
    return 0;
}

void bc_cli_close(struct bc_env *env)
{
    if (!env) return;
    struct bc_store *st = env->store;
    bc_env_free(env);
    bc_store_close(st);
}

const char *bc_cli_public_url(void)
{
    static char buf[300];
    const char *pub = bc_config_get(BC_CFG_PUBLIC_URL);
    if (pub && *pub) return pub;
    snprintf(buf, sizeof buf, "http://%s", bc_config_get(BC_CFG_LISTEN));
    return buf;
}

/* bc_cli_take_globals; own_store: --store is the verb's own option (tenant place), left in rest. */
static int take_globals(int argc, char **argv, char **rest, bool *json, bool own_store)
{
    static const struct {
        const char *name;
        int key; /* -1: the config file */
    } globals[] = {{"data", BC_CFG_DATA}, {"store", BC_CFG_STORE}, {"config", -1}};
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        int key = -2;
        if (strcmp(a, "--json") == 0) {
            *json = true;
            continue;
        }
        for (size_t g = 0; g < sizeof globals / sizeof globals[0] && key == -2; g++) {
            size_t l = strlen(globals[g].name);
            if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, globals[g].name, l) != 0) continue;
            if (own_store && globals[g].key == BC_CFG_STORE) continue;
            if (a[2 + l] == '=') {
                val = a + 3 + l;
                key = globals[g].key;
            } else if (a[2 + l] == '\0' && i + 1 < argc) {
                val = argv[++i];
                key = globals[g].key;
            }
        }
        if (key == -2) {
            rest[n++] = argv[i];
        } else if (key == -1) {
            bc_opt_config_file = val;
        } else {
            bc_config_set((enum bc_config_key)key, val);
        }
    }
    return n;
}

int bc_cli_take_globals(int argc, char **argv, char **rest, bool *json)
{
    return take_globals(argc, argv, rest, json, false);
}

int bc_cli_copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    if (in < 0) return -1;
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) goto done;
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) goto done;
    if (n == 0 && fsync(out) == 0) rc = 0;
done:
    if (in >= 0) close(in);
    if (out >= 0 && close(out) != 0) rc = -1;
    if (rc < 0 && out >= 0) unlink(to);
    return rc;
}

const struct bc_verb *bc_cli_verb_find(const struct bc_verb *verbs, const char *name)
{
    for (const struct bc_verb *v = verbs; v->name; v++)
        if (strcmp(v->name, name) == 0) return v;
    return NULL;
}

void bc_cli_usage(FILE *f, const struct bc_cmd *cmd)
{
    const struct bc_verb *verbs = cmd->verbs->v;
    fprintf(f, "usage: bookchat %s <", cmd->name);
    for (const struct bc_verb *v = verbs; v->name; v++) fprintf(f, "%s%s", v == verbs ? "" : "|", v->name);
    fprintf(f, "> %s\n", cmd->verbs->args);
    for (const struct bc_verb *v = verbs; v->name; v++)
        if (v->synopsis) fprintf(f, "  %s\n", v->synopsis);
}

void *bc_cli_opts(struct bc_cli *cli, size_t size)
{
    free(cli->opts);
    cli->opts = calloc(1, size);
    return cli->opts;
}

/* The verb in the first argument: usage on stdout for none (2) or --help (0), on stderr for an unknown one.
 */
static int pick_verb(struct bc_cli *cli)
{
    if (cli->argc < 1 || strcmp(cli->argv[0], "--help") == 0 || strcmp(cli->argv[0], "-h") == 0) {
        bc_cli_usage(stdout, cli->cmd);
        return cli->argc < 1 ? 2 : 0;
    }
    cli->verb = bc_cli_verb_find(cli->cmd->verbs->v, cli->argv[0]);
    if (!cli->verb) {
        fprintf(stderr, "bookchat: unknown %s command '%s'\n", cli->cmd->name, cli->argv[0]);
        bc_cli_usage(stderr, cli->cmd);
        return 2;
    }
    cli->argc--;
    cli->argv++;
    return BC_CLI_GO;
}

/* The setup the row's flags ask for, in order: configuration, then the bare store or the domain env. */
static int setup(struct bc_cli *cli)
{
    unsigned needs = cli->cmd->needs;
    if ((needs & (BC_NEEDS_CONFIG | BC_NEEDS_STORE | BC_NEEDS_ENV)) && bc_cli_init(cli->json)) return 1;
    int rc = cli->cmd->prepare ? cli->cmd->prepare(cli) : BC_CLI_GO;
    if (rc != BC_CLI_GO) return rc;
    if ((needs & BC_NEEDS_STORE) && bc_cli_open_store(cli->json, &cli->store)) return 1;
    if ((needs & BC_NEEDS_ENV) && bc_cli_setup(cli->json, &cli->env)) return 1;
    if (cli->env) cli->store = cli->env->store;
    return BC_CLI_GO;
}

int bc_cli_run(const struct bc_cmd *cmd, int argc, char **argv)
{
    struct bc_cli cli = {.cmd = cmd, .argc = argc, .argv = argv};
    char **rest = NULL;
    int rc = cmd->verbs ? pick_verb(&cli) : BC_CLI_GO;
    if (rc == BC_CLI_GO && (cmd->needs & BC_TAKES_GLOBALS)) {
        rest = calloc((size_t)cli.argc + 1, sizeof *rest);
        if (!rest) rc = 1;
        cli.argc =
            rest ? take_globals(cli.argc, cli.argv, rest, &cli.json, cli.verb && cli.verb->own_store) : 0;
        cli.argv = rest;
    }
    if (rc == BC_CLI_GO && cmd->parse) rc = cmd->parse(&cli);
    if (rc == BC_CLI_GO) rc = setup(&cli);
    if (rc == BC_CLI_GO) rc = cli.verb ? cli.verb->fn(&cli) : cmd->run(&cli);
    if (cli.pooled) cli.env = cli.pooled;
    bc_envs_free(cli.envs);
    if (cli.env)
        bc_cli_close(cli.env);
    else
        bc_store_close(cli.store);
    free(cli.opts);
    free(rest);
    return rc;
}
