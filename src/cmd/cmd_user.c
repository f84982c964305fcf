/* bookchat user add|passwd|set-role|remove|list TENANT …: a tenant's staff users, for the operator. */
#include "cmd/cmd.h"
#include "domain/env.h"
#include "domain/tenant.h"
#include "domain/user.h"
#include "store/store.h"
#include "util/err.h"
#include "util/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_password(char *buf, size_t size)
{
    if (!fgets(buf, (int)size, stdin)) return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* One user verb: its options, tenant and result. */
struct user_cmd {
    struct bc_ctx ctx;
    char *pos[3];
    const char *email, *name, *role;
    char pw[256], generated[21], msg[256];
    json_t *out;
};

/* The options, the tenant (which must exist) and the password from standard input when asked for:
 * BC_CLI_GO, or the exit status after printing why not. */
static int user_begin(struct bc_cli *cli, struct user_cmd *u, int want, bool need_email)
{
    bool from_stdin = false, help = false;
    u->role = "admin";
    const struct bc_opt opts[] = {
        {"email", BC_OPT_STR, &u->email, 0, "EMAIL", "sign-in e-mail"},
        {"name", BC_OPT_STR, &u->name, 0, "NAME", "display name"},
        {"role", BC_OPT_STR, &u->role, 0, "ROLE", "owner | admin | viewer (default admin)"},
        {"password-stdin", BC_OPT_FLAG, &from_stdin, 0, NULL, "read the password from standard input"},
        {0},
    };
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, u->pos, 3, &npos, &help) < 0 || npos != want ||
        (need_email && !u->email)) {
        bc_cli_usage(stderr, cli->cmd);
        return 2;
    }
    json_t *meta = NULL;
    int rc = bc_ctx_operator(&u->ctx, u->pos[0]) < 0 ? BC_ENOT_FOUND : 0;
    if (rc == 0 && bc_cli_route_tenant(cli, u->ctx.tenant_id)) rc = BC_EUNAVAILABLE;
    if (rc == 0) rc = bc_tenant_get(cli->env, &u->ctx, &meta);
    json_decref(meta);
    if (rc < 0) {
        bc_cli_error(cli->json, "no such tenant");
        return 1;
    }
    if (from_stdin && read_password(u->pw, sizeof u->pw) < 0) {
        bc_cli_error(cli->json, "no password on standard input");
        return 1;
    }
    return BC_CLI_GO;
}

/* Prints the verb's result (u->out, with a generated password) or its error; the exit status. */
static int user_end(struct bc_cli *cli, struct user_cmd *u, int rc, bool list)
{
    if (rc < 0) {
        bc_cli_error(cli->json, "%s", u->msg[0] ? u->msg : bc_strerror(rc));
        return 1;
    }
    if (u->generated[0]) json_object_set_new(u->out, "password", json_string(u->generated));
    if (cli->json) {
        bc_cli_print_json(json_pack("{s:o}", "user", u->out));
        return 0;
    }
    if (list) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(u->out, "items"), i, it) printf(
            "%-28s %-7s %s\n", json_string_value(json_object_get(it, "id")),
            json_string_value(json_object_get(it, "role")), json_string_value(json_object_get(it, "email")));
    } else {
        const char *email = json_string_value(json_object_get(u->out, "email"));
        printf("%s %s\n", cli->verb->name, email ? email : u->pos[1]);
        if (u->generated[0]) printf("password %s  (shown once)\n", u->generated);
    }
    json_decref(u->out);
    return 0;
}

static int user_add(struct bc_cli *cli)
{
    struct user_cmd u = {0};
    int rc = user_begin(cli, &u, 1, true);
    if (rc != BC_CLI_GO) return rc;
    rc = bc_user_create(cli->env, &u.ctx, u.email, u.name, u.role, u.pw[0] ? u.pw : NULL, u.generated, u.msg,
                        sizeof u.msg, &u.out);
    return user_end(cli, &u, rc, false);
}

static int user_list(struct bc_cli *cli)
{
    struct user_cmd u = {0};
    int rc = user_begin(cli, &u, 1, false);
    if (rc != BC_CLI_GO) return rc;
    char *next = NULL;
    json_t *items = NULL;
    rc = bc_user_list(cli->env, &u.ctx, 1000, NULL, &items, &next);
    free(next);
    if (rc == 0) u.out = json_pack("{s:o}", "items", items);
    return user_end(cli, &u, rc, true);
}

/* The verbs on one user, named by e-mail: the action gets the user and its id. */
static int on_user(struct bc_cli *cli, int want,
                   int (*action)(struct bc_env *env, struct user_cmd *u, json_t *user, const char *id))
{
    struct user_cmd u = {0};
    json_t *found = NULL;
    int rc = user_begin(cli, &u, want, false);
    if (rc != BC_CLI_GO) return rc;
    rc = bc_user_find(cli->env, &u.ctx, u.pos[1], &found);
    if (rc == BC_ENOT_FOUND) snprintf(u.msg, sizeof u.msg, "no user %s in this tenant", u.pos[1]);
    if (rc == 0) rc = action(cli->env, &u, found, json_string_value(json_object_get(found, "id")));
    json_decref(found);
    return user_end(cli, &u, rc, false);
}

static int passwd(struct bc_env *env, struct user_cmd *u, json_t *user, const char *id)
{
    int rc =
        bc_user_set_password(env, &u->ctx, id, u->pw[0] ? u->pw : NULL, u->generated, u->msg, sizeof u->msg);
    if (rc == 0) u->out = bc_user_view(user);
    return rc;
}

static int set_role(struct bc_env *env, struct user_cmd *u, json_t *user, const char *id)
{
    (void)user;
    int rc = bc_user_set_role(env, &u->ctx, id, u->pos[2], &u->out);
    if (rc == BC_ECONFLICT) snprintf(u->msg, sizeof u->msg, "a business needs at least one owner");
    if (rc == BC_EINVALID) snprintf(u->msg, sizeof u->msg, "role must be owner, admin or viewer");
    return rc;
}

static int remove_user(struct bc_env *env, struct user_cmd *u, json_t *user, const char *id)
{
    (void)user;
    int rc = bc_user_remove(env, &u->ctx, id);
    if (rc == BC_ECONFLICT) snprintf(u->msg, sizeof u->msg, "a business needs at least one owner");
    if (rc == 0) u->out = json_pack("{s:s, s:b}", "id", id, "removed", 1);
    return rc;
}

static int user_passwd(struct bc_cli *cli)
{
    return on_user(cli, 2, passwd);
}

static int user_set_role(struct bc_cli *cli)
{
    return on_user(cli, 3, set_role);
}

static int user_remove(struct bc_cli *cli)
{
    return on_user(cli, 2, remove_user);
}

static const struct bc_verb verbs[] = {
    {"add", user_add,
     "add TENANT --email EMAIL [--name NAME] [--role owner|admin|viewer] [--password-stdin]"},
    {"passwd", user_passwd,
     "passwd TENANT EMAIL [--password-stdin]     (without it a new password is generated and shown once)"},
    {"set-role", user_set_role, "set-role TENANT EMAIL ROLE"},
    {"remove", user_remove, "remove TENANT EMAIL"},
    {"list", user_list, "list TENANT"},
    {0},
};

const struct bc_verbs cmd_user_verbs = {"TENANT [USER] [options]", verbs};
