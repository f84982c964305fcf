/* Subcommands (one file each, git's builtin/) and the helpers they share. Every command takes --json,
 * exits 0 on success, 1 on failure, 2 on bad usage, and writes errors to stderr in one line. */
#ifndef BC_CMD_H
#define BC_CMD_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct bc_env;
struct bc_store;

#define BC_VERSION "0.1.0"

int cmd_serve(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_tenant(int argc, char **argv);
int cmd_apikey(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_usage(int argc, char **argv);
int cmd_dev(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* tenant export|import|migrate|purge (cmd_tenant_data.c), called by cmd_tenant with the configured store
 * opened and the server secret loaded; each returns the exit status. */
int bc__cmd_tenant_export(struct bc_env *env, bool json, int argc, char **argv);
int bc__cmd_tenant_import(struct bc_env *env, bool json, int argc, char **argv);
int bc__cmd_tenant_migrate(struct bc_env *env, bool json, int argc, char **argv);
int bc__cmd_tenant_purge(struct bc_env *env, bool json, int argc, char **argv);
/* serve --demo: makes sure the demo tenant exists and prints its URLs, owner login and key (stdout; one
 * {"event":"demo",…} line with --json). Returns 0, or 1 after printing the error. */
int bc__cmd_serve_demo(struct bc_env *env, const char *public_url, bool json);

/* The table of subcommands, for help. */
struct bc_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};
extern const struct bc_cmd bc_cmds[];

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
/* Releases an env from bc_cli_setup and closes its store; NULL is a no-op. */
void bc_cli_close(struct bc_env *env);
/* The public URL for snippets: the public_url setting, else http://<listen>. */
const char *bc_cli_public_url(void);
/* Takes the global options (--json, --data, --store, --config, in "--x v" or "--x=v" form) out of argv,
 * applying them, and copies the other arguments to rest (room for argc). Returns how many are in rest. */
int bc_cli_take_globals(int argc, char **argv, char **rest, bool *json);
/* One line on stderr: "bookchat: <message>", or {"error":{"code","message"}} with --json. */
void bc_cli_error(bool json, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies a file to a new file (mode 0600, fsynced; fails when `to` exists). 0 or -1 with errno. */
int bc_cli_copy_file(const char *from, const char *to);
/* Prints obj as indented JSON on stdout and takes ownership of it. */
void bc_cli_print_json(json_t *obj);

#endif
