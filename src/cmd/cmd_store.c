/* bookchat store init|check: prepares the configured store (DynamoDB: creates the table with PK/SK string
 * keys and on-demand billing, enables TTL on "ttl"; idempotent) and verifies it (both backends: LMDB runs
 * its integrity check, DynamoDB checks the table, key schema and TTL). Exit 0 when the store is ready. */
#include "cmd/cmd.h"
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"
#include "util/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
    "bookchat store init|check [--store URL] [--data DIR] [--config FILE] [--json]";

/* Human output: one "name: value" line per field, problems one per line. */
static void print_report(const char *title, json_t *r)
{
    const char *k;
    json_t *v;
    printf("%s\n", title);
    json_object_foreach(r, k, v)
    {
        if (json_is_object(v) || json_is_array(v)) {
            if (json_is_array(v) && json_array_size(v) == 0) continue;
            char *s = json_dumps(v, JSON_COMPACT);
            printf("  %-14s %s\n", k, s ? s : "?");
            free(s);
        } else if (json_is_string(v)) {
            printf("  %-14s %s\n", k, json_string_value(v));
        } else {
            char *s = json_dumps(v, JSON_ENCODE_ANY);
            printf("  %-14s %s\n", k, s ? s : "?");
            free(s);
        }
    }
}

/* Checks the store (after init, when it succeeded) and prints both reports; the exit status. */
static int check_and_report(struct bc_cli *cli, bool init, int rc, json_t *init_report)
{
    json_t *check_report = NULL;
    int crc = rc == 0 ? bc_store_check(cli->store, &check_report) : 0;
    int exit_code = rc == 0 && crc == 0 ? 0 : 1;
    if (cli->json) {
        json_t *o = init ? json_pack("{s:s, s:O?, s:O?, s:b}", "command", "init", "init", init_report,
                                     "check", check_report, "ok", exit_code == 0)
                         : json_pack("{s:s, s:O?, s:b}", "command", "check", "check", check_report, "ok",
                                     exit_code == 0);
        bc_cli_print_json(o);
    } else {
        if (init_report) print_report(rc == 0 ? "store init: done" : "store init: failed", init_report);
        if (check_report) print_report(crc == 0 ? "store check: ok" : "store check: NOT ready", check_report);
    }
    if (rc < 0 && !init_report)
        bc_cli_error(cli->json, "store init failed: %s", bc_strerror(rc));
    else if (rc < 0)
        bc_cli_error(cli->json, "store init failed");
    else if (crc < 0)
        bc_cli_error(cli->json, "store check failed: the store is not ready");
    json_decref(init_report);
    json_decref(check_report);
    return exit_code;
}

static int store_init(struct bc_cli *cli)
{
    json_t *init_report = NULL;
    int rc = bc_store_init(cli->store, &init_report);
    return check_and_report(cli, true, rc, init_report);
}

static int store_check(struct bc_cli *cli)
{
    return check_and_report(cli, false, 0, NULL);
}

/* The verb is the one positional argument, before or after the options. */
static const struct bc_verb verbs[] = {
    {"init", store_init, NULL},
    {"check", store_check, NULL},
    {0},
};

int cmd_store_parse(struct bc_cli *cli)
{
    bool help = false;
    const struct bc_opt opts[] = {BC_OPT_COMMON(&cli->json), {0}};
    char *pos[1];
    int npos = 0;
    if (bc_opt_parse(opts, cli->argc, cli->argv, pos, 1, &npos, &help) < 0) {
        bc_opt_usage(stderr, usage_line, opts);
        return 2;
    }
    if (help) {
        bc_opt_usage(stdout, usage_line, opts);
        printf("\n  init    create what the store needs (DynamoDB: table PK/SK, on-demand, TTL on \"ttl\"); "
               "idempotent\n  check   verify the store (exit 1 when it is not ready)\n");
        return 0;
    }
    if (npos != 1 || !(cli->verb = bc_cli_verb_find(verbs, pos[0]))) {
        bc_opt_usage(stderr, usage_line, opts);
        return 2;
    }
    return BC_CLI_GO;
}
