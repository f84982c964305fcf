/* Command-line options from a table, one table per subcommand (git's parse-options, much smaller). */
#ifndef BC_OPT_H
#define BC_OPT_H
#include <stdbool.h>
#include <stdio.h>

enum bc_opt_type {
    BC_OPT_FLAG, /* dst: bool* */
    BC_OPT_STR,  /* dst: const char ** (points into argv) */
    BC_OPT_INT,  /* dst: long * */
    BC_OPT_LIST, /* dst: struct bc_strlist * (repeatable) */
    BC_OPT_CFG,  /* cfg: a bc_config_key the value is stored into (flag precedence) */
};

struct bc_strlist {
    const char **v; /* malloc'd array of pointers into argv; free with bc_strlist_release */
    int n;
};

struct bc_opt {
    const char *name; /* long name without "--"; NULL ends the table */
    enum bc_opt_type type;
    void *dst;
    int cfg;
    const char *arg; /* metavariable in usage, e.g. "ADDR:PORT" */
    const char *help;
};

/* The options every command takes: --json, --data DIR, --store URL, --config FILE. */
#define BC_OPT_COMMON(json_flag)                                                                             \
    {"json", BC_OPT_FLAG, (json_flag), 0, NULL, "machine-readable JSON output"},                             \
        {"data", BC_OPT_CFG, NULL, BC_CFG_DATA, "DIR", "data directory (env BOOKCHAT_DATA)"},                \
        {"store", BC_OPT_CFG, NULL, BC_CFG_STORE, "URL", "store URL (env BOOKCHAT_STORE)"},                  \
    {                                                                                                        \
        "config", BC_OPT_STR, &bc_opt_config_file, 0, "FILE", "config file (env BOOKCHAT_CONFIG)"            \
    }

extern const char *bc_opt_config_file;

/* Parses argv[0..argc) (argv[0] is the first argument after the subcommand name). Positional arguments
 * go to pos (up to maxpos, count in *npos). "--help" sets *help. Returns 0, or -1 after printing one line
 * to stderr (unknown option, missing value, too many arguments). */
int bc_opt_parse(const struct bc_opt *opts, int argc, char **argv, char **pos, int maxpos, int *npos,
                 bool *help);
/* Prints "usage: <usage>" and the option table. */
void bc_opt_usage(FILE *f, const char *usage, const struct bc_opt *opts);
void bc_strlist_release(struct bc_strlist *l);

#endif
