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

int cmd_store(int argc, char **argv)
{
    bool json = false, help = false;
    const struct bc_opt opts[] = {BC_OPT_COMMON(&json), {0}};
    char *pos[1];
    int npos = 0;
    if (bc_opt_parse(opts, argc, argv, pos, 1, &npos, &help) < 0) {
        bc_opt_usage(stderr, usage_line, opts);
        return 2;
    }
    if (help) {
        bc_opt_usage(stdout, usage_line, opts);
        printf("\n  init    create what the store needs (DynamoDB: table PK/SK, on-demand, TTL on \"ttl\"); "
               "idempotent\n  check   verify the store (exit 1 when it is not ready)\n");
        return 0;
    }
    if (npos != 1 || (strcmp(pos[0], "init") != 0 && strcmp(pos[0], "check") != 0)) {
        bc_opt_usage(stderr, usage_line, opts);
        return 2;
    }
    bool init = strcmp(pos[0], "init") == 0;
    if (bc_cli_init(json)) return 1;
    struct bc_store *s = NULL;
    if (bc_cli_open_store(json, &s)) return 1;

    json_t *init_report = NULL, *check_report = NULL;
    int rc = 0;
    if (init) rc = bc_store_init(s, &init_report);
    int crc = rc == 0 ? bc_store_check(s, &check_report) : 0;
    bc_store_close(s);

    int exit_code = rc == 0 && crc == 0 ? 0 : 1;
    if (json) {
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
        bc_cli_error(json, "store init failed: %s", bc_strerror(rc));
    else if (rc < 0)
        bc_cli_error(json, "store init failed");
    else if (crc < 0)
        bc_cli_error(json, "store check failed: the store is not ready");
    json_decref(init_report);
    json_decref(check_report);
    return exit_code;
}
