/* bookchat: the multi-tenant booking-chat server and its operator commands. This file is the dispatch
 * table of subcommands (git.c style); each command lives in src/cmd/. */
#include "cmd/cmd.h"
#include "util/tz.h"

#include <stdio.h>
#include <string.h>

const struct bc_cmd bc_cmds[] = {
    {"serve", cmd_serve, "run the HTTP server (widget, admin and platform APIs)"},
    {"tenant", cmd_tenant, "create, list and manage tenants (operator)"},
    {"apikey", cmd_apikey, "create, list, rotate and revoke a tenant's widget keys"},
    {"user", cmd_user, "add, remove and change a tenant's staff users"},
    {"usage", cmd_usage, "a tenant's metered usage, or every tenant's for billing (export)"},
    {"store", cmd_store, "prepare (init) or verify (check) the store"},
    {"backup", cmd_backup, "copy the LMDB store while the server runs"},
    {"restore", cmd_restore, "restore a backup into an empty data directory"},
    {"dev", cmd_dev, "developer tools: seed a store with realistic tenants (dev seed)"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show help for a command"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: bookchat <command> [options]\n\ncommands:\n");
    for (const struct bc_cmd *c = bc_cmds; c->name; c++) fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\nRun 'bookchat help <command>' for a command's options.\n");
}

int cmd_help(int argc, char **argv)
{
    if (argc < 1 || argv[0][0] == '-') {
        usage(stdout);
        return 0;
    }
    for (const struct bc_cmd *c = bc_cmds; c->name; c++) {
        if (strcmp(c->name, argv[0]) == 0 && c->fn != cmd_help) {
            char help[] = "--help";
            char *args[] = {help, NULL};
            return c->fn(1, args);
        }
    }
    fprintf(stderr, "bookchat: no such command '%s'\n", argv[0]);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) return cmd_version(0, argv + 2);
    for (const struct bc_cmd *c = bc_cmds; c->name; c++) {
        if (strcmp(c->name, argv[1]) == 0) {
            int rc = c->fn(argc - 2, argv + 2);
            bc_tz_global_cleanup(); /* ICU's caches, so leak checkers see a clean exit */
            return rc;
        }
    }
    fprintf(stderr, "bookchat: unknown command '%s' (see 'bookchat help')\n", argv[1]);
    return 2;
}
