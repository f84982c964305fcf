/* bookchat: the multi-tenant booking-chat server and its operator commands. This file is the table of
 * subcommands (git.c style): each row says what its command needs (store, configuration, global options),
 * and bc_cli_run (src/cmd/cli.c) does that setup once; each command lives in src/cmd/. */
#include "cmd/cmd.h"
#include "util/tz.h"

#include <stdio.h>
#include <string.h>

#define ENV_CMD (BC_NEEDS_ENV | BC_TAKES_GLOBALS) /* an operator command on tenant data */

const struct bc_cmd bc_cmds[] = {
    {"serve", cmd_serve, "run the HTTP server (widget, admin and platform APIs)", BC_NEEDS_ENV,
     .parse = cmd_serve_parse, .prepare = cmd_serve_prepare},
    {"lambda", cmd_lambda, "run as an AWS Lambda custom runtime (the Runtime API loop; docs/lambda.md)", 0,
     .parse = cmd_lambda_parse},
    {"tenant", NULL, "create, list and manage tenants (operator)", ENV_CMD, .verbs = &cmd_tenant_verbs},
    {"apikey", NULL, "create, list, rotate and revoke a tenant's widget keys", ENV_CMD,
     .verbs = &cmd_apikey_verbs},
    {"user", NULL, "add, remove and change a tenant's staff users", ENV_CMD, .verbs = &cmd_user_verbs},
    {"channel", NULL, "a tenant's WhatsApp and Telegram channels; Telegram's setWebhook", ENV_CMD,
     .verbs = &cmd_channel_verbs},
    {"usage", cmd_usage, "a tenant's metered usage, or every tenant's for billing (export)", BC_NEEDS_ENV,
     .parse = cmd_usage_parse},
    {"store", NULL, "prepare (init) or verify (check) the store", BC_NEEDS_STORE, .parse = cmd_store_parse},
    {"backup", cmd_backup, "copy the LMDB store while the server runs", BC_NEEDS_STORE,
     .parse = cmd_backup_parse},
    {"restore", cmd_restore, "restore a backup into an empty data directory", BC_NEEDS_CONFIG,
     .parse = cmd_restore_parse},
    {"dev", cmd_dev, "developer tools: seed a store with realistic tenants (dev seed)", BC_NEEDS_ENV,
     .parse = cmd_dev_parse, .prepare = cmd_dev_prepare},
    {"version", cmd_version, "print the version", 0},
    {"help", cmd_help, "show help for a command", 0},
    {NULL, NULL, NULL, 0},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: bookchat <command> [options]\n\ncommands:\n");
    for (const struct bc_cmd *c = bc_cmds; c->name; c++) fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\nRun 'bookchat help <command>' for a command's options.\n");
}

static const struct bc_cmd *find(const char *name)
{
    for (const struct bc_cmd *c = bc_cmds; c->name; c++)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

int cmd_help(struct bc_cli *cli)
{
    if (cli->argc < 1 || cli->argv[0][0] == '-') {
        usage(stdout);
        return 0;
    }
    const struct bc_cmd *c = find(cli->argv[0]);
    if (c && c->run != cmd_help) {
        char help[] = "--help";
        char *args[] = {help, NULL};
        return bc_cli_run(c, 1, args);
    }
    fprintf(stderr, "bookchat: no such command '%s'\n", cli->argv[0]);
    return 2;
}

int main(int argc, char **argv)
{
    /* AWS Lambda runs a custom runtime's `bootstrap` without arguments: the Lambda package's binary is named
     * so (make lambda-package) */
    const char *self = strrchr(argv[0], '/');
    if (argc < 2 && strcmp(self ? self + 1 : argv[0], "bootstrap") == 0) {
        int rc = bc_cli_run(find("lambda"), 0, argv + 1);
        bc_tz_global_cleanup();
        return rc;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) return bc_cli_run(find("version"), 0, argv + 2);
    const struct bc_cmd *c = find(argv[1]);
    if (!c) {
        fprintf(stderr, "bookchat: unknown command '%s' (see 'bookchat help')\n", argv[1]);
        return 2;
    }
    int rc = bc_cli_run(c, argc - 2, argv + 2);
    bc_tz_global_cleanup(); /* ICU's caches, so leak checkers see a clean exit */
    return rc;
}
