/* Subcommands (one file each, git's builtin/), the table that says what each needs, and the helpers they
 * share. The dispatcher (bc_cli_run in cli.c) does the setup a command's flags ask for once, calls it with
 * a struct bc_cli, and releases the setup once. Every command takes --json, exits 0 on success, 1 on
 * failure, 2 on bad usage, and writes errors to stderr in one line. */
#ifndef BC_CMD_H
#define BC_CMD_H
#include "domain/channel_run.h"
#include "domain/delivery.h"
#include "domain/notify.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct bc_env;
struct bc_store;
struct bc_cmd;

#define BC_VERSION "0.1.0"

/* What a command needs before its work; the dispatcher provides it in this order and releases it after. */
enum bc_cli_needs {
    BC_TAKES_GLOBALS = 1 << 0, /* --json --data --store --config taken out of the arguments (the commands
                                * that list them in their own option table parse them there) */
    BC_NEEDS_CONFIG = 1 << 1,  /* configuration loaded, clock and randomness ready (bc_cli_init) */
    BC_NEEDS_STORE = 1 << 2,   /* the configured store opened as it is: cli->store (implies CONFIG) */
    BC_NEEDS_ENV = 1 << 3,     /* the store with its domain environment, the server secret loaded and the
                                * default plans (bc_cli_setup): cli->env and cli->store (implies CONFIG) */
};

/* A parse or prepare step returns this to go on, or an exit status to end the command with. */
#define BC_CLI_GO (-1)

/* One run of a command. */
struct bc_cli {
    const struct bc_cmd *cmd;
    const struct bc_verb *verb; /* the verb being run, for a command with verbs */
    bool json;                  /* --json */
    int argc;                   /* the arguments after the command (and its verb), globals taken out */
    char **argv;                /* when BC_TAKES_GLOBALS */
    struct bc_store *store;     /* BC_NEEDS_STORE (or the env's store): borrowed until the command returns */
    struct bc_env *env;         /* BC_NEEDS_ENV: borrowed until the command returns */
    void *opts;                 /* the command's options from its parse step (bc_cli_opts); freed by the
                                 * dispatcher */
    struct bc_envs *envs;       /* the envs of dedicated stores, once bc_cli_route_tenant needed them */
    struct bc_env *pooled;      /* the configured store's env after bc_cli_route_tenant changed env */
};

/* A verb of a command ("tenant create"): a row of its table, which also makes the command's usage. */
struct bc_verb {
    const char *name; /* NULL ends the table */
    int (*fn)(struct bc_cli *cli);
    const char
        *synopsis;  /* its line in the usage (after two spaces), or NULL when an earlier one covers it */
    bool own_store; /* --store is this verb's option, not the global one (the configured store then comes
                     * from BOOKCHAT_STORE, --data or the config file) */
};
struct bc_verbs {
    const char *args; /* what follows "<verb|verb…>" on the usage's first line */
    const struct bc_verb *v;
};

/* A row of the table of subcommands (main.c). Steps run in this order, each only when present: the
 * verb is picked (verbs), globals taken (needs), parse, configuration, prepare, store, then the verb's
 * fn or run. */
struct bc_cmd {
    const char *name;
    int (*run)(struct bc_cli *cli); /* the work (NULL when a verb, picked before or by parse, does it) */
    const char *summary;
    unsigned needs;                     /* enum bc_cli_needs */
    int (*parse)(struct bc_cli *cli);   /* options, --help and usage errors, before any setup: BC_CLI_GO */
    int (*prepare)(struct bc_cli *cli); /* after the configuration, before the store: BC_CLI_GO */
    const struct bc_verbs *verbs;       /* verbs taken from the first argument, with the usage they make */
};
extern const struct bc_cmd bc_cmds[];

/* Runs cmd with its arguments (after the command's name) as the table row says. Returns the exit status. */
int bc_cli_run(const struct bc_cmd *cmd, int argc, char **argv);
/* The verb of that name, or NULL. */
const struct bc_verb *bc_cli_verb_find(const struct bc_verb *verbs, const char *name);
/* Prints the usage of a command with verbs: "usage: bookchat NAME <v1|v2…> ARGS" and each verb's synopsis. */
void bc_cli_usage(FILE *f, const struct bc_cmd *cmd);
/* Zeroed room for a command's parsed options, kept in cli->opts until the command returns; NULL when out of
 * memory. */
void *bc_cli_opts(struct bc_cli *cli, size_t size);

/* The commands (steps of the rows of bc_cmds). */
int cmd_serve_parse(struct bc_cli *cli);
int cmd_serve_prepare(struct bc_cli *cli);
int cmd_serve(struct bc_cli *cli);
int cmd_version(struct bc_cli *cli);
int cmd_lambda_parse(struct bc_cli *cli);
int cmd_lambda(struct bc_cli *cli);
int cmd_store_parse(struct bc_cli *cli);
int cmd_help(struct bc_cli *cli);
int cmd_usage_parse(struct bc_cli *cli);
int cmd_usage(struct bc_cli *cli);
int cmd_dev_parse(struct bc_cli *cli);
int cmd_dev_prepare(struct bc_cli *cli);
int cmd_dev(struct bc_cli *cli);
int cmd_backup_parse(struct bc_cli *cli);
int cmd_backup(struct bc_cli *cli);
int cmd_restore_parse(struct bc_cli *cli);
int cmd_restore(struct bc_cli *cli);
extern const struct bc_verbs cmd_tenant_verbs, cmd_apikey_verbs, cmd_user_verbs;
extern const struct bc_verbs cmd_channel_verbs; /* cmd_channel.c */

/* tenant export|import|migrate|purge (cmd_tenant_data.c), verbs of cmd_tenant; each returns the exit
 * status. */
int bc__cmd_tenant_export(struct bc_cli *cli);
int bc__cmd_tenant_import(struct bc_cli *cli);
int bc__cmd_tenant_migrate(struct bc_cli *cli);
int bc__cmd_tenant_purge(struct bc_cli *cli);
/* tenant place (cmd_tenant_place.c): a tenant onto a store of its own, or back into the pooled store. */
int bc__cmd_tenant_place(struct bc_cli *cli);
/* serve --demo: makes sure the demo tenant exists and prints its URLs, owner login and key (stdout; one
 * {"event":"demo",…} line with --json). Returns 0, or 1 after printing the error. */
int bc__cmd_serve_demo(struct bc_env *env, const char *public_url, bool json);

/* What serve and lambda share (cmd_serve.c), each returning 0, or 1 after printing the error:
 * the platform token and the OIDC provider's settings and keys; */
int bc__cmd_serve_keys(struct bc_cli *cli);
/* the notifications' dispatcher (unless dispatcher = off: *out stays NULL), mail_from worked out into
 * mail_from (mfsize bytes, kept while it runs) from the setting or public_url; */
struct bc_dispatcher;
struct bc_extcal_poller;
struct bc_envs;
/* What the dispatcher and poller were started with, kept by serve for the workers of each dedicated env
 * (domain/envs.h) it opens later. */
struct bc__cmd_workers {
    bool dispatch_on, poll_on, allow_private;
    struct bc_notify_cfg notify;
    struct bc_delivery_timing timing;
    int poll_interval;
    bool channels_on;
    struct bc_channels_cfg channels;
};
/* keep (may be NULL) receives what the dispatcher was started with; */
int bc__cmd_dispatcher_start(struct bc_cli *cli, const char *public_url, char *mail_from, size_t mfsize,
                             struct bc_dispatcher **out, struct bc__cmd_workers *keep);
/* the external calendars' poller (unless calendar_poller = off: *out stays NULL; keep as above); */
int bc__cmd_poller_start(struct bc_cli *cli, struct bc_extcal_poller **out, struct bc__cmd_workers *keep);
/* the registry of envs (domain/envs.h) over the pooled env, with the store_cache_ms setting; on_open (may be
 * NULL) is told of each dedicated env it opens; NULL when out of memory; */
struct bc_envs *bc__cmd_envs_new(struct bc_env *pooled, void (*on_open)(struct bc_env *env, void *ud),
                                 void *ud);
/* and one round of housekeeping (expired items and keys' last use in env, or in every env of envs when not
 * NULL; deleted tenants past retention in env; rate-limit tables; the OIDC keys every 60th round);
 * reap_cursor: where the deleted-tenant reaper goes on. */
void bc__cmd_housekeeping_round(struct bc_envs *envs, struct bc_env *env, char **reap_cursor,
                                unsigned long round);

/* Loads configuration (config file from --config or BOOKCHAT_CONFIG, environment) and initialises the
 * clock and randomness. Returns 0, or 1 after printing the error. */
int bc_cli_init(bool json);
/* The effective store URL (--store, BOOKCHAT_STORE, or lmdb:<data dir>) into buf. */
const char *bc_cli_store_url(char *buf, size_t size);
/* Opens the configured store. Returns 0, or 1 after printing the error. */
int bc_cli_open_store(bool json, struct bc_store **out);
/* Opens the configured store with its domain environment, loads the server secret and makes sure the default
 * plans exist: what every
 * command that touches tenant data needs. Returns 0, or 1 after printing the error. */
int bc_cli_setup(bool json, struct bc_env **out);
/* Points cli->env at the env that holds tenant_id's partition (its dedicated store when the placement
 * directory names one; domain/envs.h). Returns 0, or 1 after printing the error (its store cannot be
 * opened; it is being moved: "retry in a few seconds"). */
int bc_cli_route_tenant(struct bc_cli *cli, const char *tenant_id);
/* Releases an env from bc_cli_setup and closes its store; NULL is a no-op. */
void bc_cli_close(struct bc_env *env);
/* The public URL for snippets: the public_url setting, else http://<listen>. */
const char *bc_cli_public_url(void);
/* Takes the global options (--json, --data, --store, --config, in "--x v" or "--x=v" form) out of argv,
 * applying them, and copies the other arguments to rest (room for argc). Returns how many are in rest. */
int bc_cli_take_globals(int argc, char **argv, char **rest, bool *json);
/* One line on stderr: "bookchat: <message>", or {"error":{"code","message"}} with --json. */
void bc_cli_error(bool json, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message of the last bc_cli_error ("" when none). */
const char *bc_cli_last_error(void);
/* Copies a file to a new file (mode 0600, fsynced; fails when `to` exists). 0 or -1 with errno. */
int bc_cli_copy_file(const char *from, const char *to);
/* Prints obj as indented JSON on stdout and takes ownership of it. */
void bc_cli_print_json(json_t *obj);

#endif
