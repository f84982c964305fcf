/* bookchat version: the version and what this build contains. */
#include "cmd/cmd.h"
#include "util/opt.h"

#include <stdio.h>

int cmd_version(struct bc_cli *cli)
{
    bool help = false;
    const struct bc_opt opts[] = {{"json", BC_OPT_FLAG, &cli->json, 0, NULL, "machine-readable JSON output"},
                                  {0}};
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, NULL, 0, &npos, &help) < 0) {
        bc_opt_usage(stderr, "bookchat version [--json]", opts);
        return 2;
    }
    if (help) {
        bc_opt_usage(stdout, "bookchat version [--json]", opts);
        return 0;
    }
    if (cli->json)
        bc_cli_print_json(
            json_pack("{s:s, s:[s, s]}", "version", BC_VERSION, "store_backends", "lmdb", "dynamodb"));
    else
        printf("bookchat %s\n", BC_VERSION);
    return 0;
}
