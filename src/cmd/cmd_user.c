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

static const char usage_text[] =
    "bookchat user <add|passwd|set-role|remove|list> TENANT [USER] [options]\n"
    "  add TENANT --email EMAIL [--name NAME] [--role owner|admin|viewer] [--password-stdin]\n"
    "  passwd TENANT EMAIL [--password-stdin]     (without it a new password is generated and shown once)\n"
    "  set-role TENANT EMAIL ROLE\n"
    "  remove TENANT EMAIL\n"
    "  list TENANT";

static int read_password(char *buf, size_t size)
{
    if (!fgets(buf, (int)size, stdin)) return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int run(struct bc_env *env, bool json, const char *verb, int argc, char **argv)
{
    const char *email = NULL, *name = NULL, *role = "admin";
    bool from_stdin = false, help = false;
    const struct bc_opt opts[] = {
        {"email", BC_OPT_STR, &email, 0, "EMAIL", "sign-in e-mail"},
        {"name", BC_OPT_STR, &name, 0, "NAME", "display name"},
        {"role", BC_OPT_STR, &role, 0, "ROLE", "owner | admin | viewer (default admin)"},
        {"password-stdin", BC_OPT_FLAG, &from_stdin, 0, NULL, "read the password from standard input"},
        {0},
    };
    char *pos[3];
    int npos, want = !strcmp(verb, "set-role") ? 3 : (!strcmp(verb, "add") || !strcmp(verb, "list")) ? 1 : 2;
    if (bc_opt_parse(opts, argc, argv, pos, 3, &npos, &help) < 0 || npos != want ||
        (!strcmp(verb, "add") && !email)) {
        fprintf(stderr, "usage: %s\n", usage_text);
        return 2;
    }
    struct bc_ctx ctx;
    json_t *meta = NULL, *out = NULL, *u = NULL;
    char pw[256] = "", generated[21] = "", msg[256] = "";
    int rc = bc_ctx_operator(&ctx, pos[0]) < 0 ? BC_ENOT_FOUND : bc_tenant_get(env, &ctx, &meta);
    json_decref(meta);
    if (rc < 0) {
        bc_cli_error(json, "no such tenant");
        return 1;
    }
    if (from_stdin && read_password(pw, sizeof pw) < 0) {
        bc_cli_error(json, "no password on standard input");
        return 1;
    }
    if (!strcmp(verb, "add")) {
        rc =
            bc_user_create(env, &ctx, email, name, role, pw[0] ? pw : NULL, generated, msg, sizeof msg, &out);
    } else if (!strcmp(verb, "list")) {
        char *next = NULL;
        json_t *items = NULL;
        rc = bc_user_list(env, &ctx, 1000, NULL, &items, &next);
        free(next);
        if (rc == 0) out = json_pack("{s:o}", "items", items);
    } else {
        rc = bc_user_find(env, &ctx, pos[1], &u);
        if (rc == BC_ENOT_FOUND) snprintf(msg, sizeof msg, "no user %s in this tenant", pos[1]);
        const char *id = json_string_value(json_object_get(u, "id"));
        if (rc == 0 && !strcmp(verb, "passwd")) {
            rc = bc_user_set_password(env, &ctx, id, pw[0] ? pw : NULL, generated, msg, sizeof msg);
            if (rc == 0) out = bc_user_view(u);
        } else if (rc == 0 && !strcmp(verb, "set-role")) {
            rc = bc_user_set_role(env, &ctx, id, pos[2], &out);
            if (rc == BC_ECONFLICT) snprintf(msg, sizeof msg, "a business needs at least one owner");
            if (rc == BC_EINVALID) snprintf(msg, sizeof msg, "role must be owner, admin or viewer");
        } else if (rc == 0) {
            rc = bc_user_remove(env, &ctx, id);
            if (rc == BC_ECONFLICT) snprintf(msg, sizeof msg, "a business needs at least one owner");
            if (rc == 0) out = json_pack("{s:s, s:b}", "id", id, "removed", 1);
        }
    }
    json_decref(u);
    if (rc < 0) {
        bc_cli_error(json, "%s", msg[0] ? msg : bc_strerror(rc));
        return 1;
    }
    if (generated[0]) json_object_set_new(out, "password", json_string(generated));
    if (json) {
        bc_cli_print_json(json_pack("{s:o}", "user", out));
        return 0;
    }
    if (!strcmp(verb, "list")) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(out, "items"), i, it) printf(
            "%-28s %-7s %s\n", json_string_value(json_object_get(it, "id")),
            json_string_value(json_object_get(it, "role")), json_string_value(json_object_get(it, "email")));
    } else {
        printf("%s %s\n", verb,
               json_string_value(json_object_get(out, "email"))
                   ? json_string_value(json_object_get(out, "email"))
                   : pos[1]);
        if (generated[0]) printf("password %s  (shown once)\n", generated);
    }
    json_decref(out);
    return 0;
}

int cmd_user(int argc, char **argv)
{
    bool json = false;
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        printf("usage: %s\n", usage_text);
        return argc < 1 ? 2 : 0;
    }
    const char *verb = argv[0];
    if (strcmp(verb, "add") && strcmp(verb, "passwd") && strcmp(verb, "set-role") && strcmp(verb, "remove") &&
        strcmp(verb, "list")) {
        fprintf(stderr, "bookchat: unknown user command '%s'\nusage: %s\n", verb, usage_text);
        return 2;
    }
    char **rest = calloc((size_t)argc, sizeof *rest);
    if (!rest) return 1;
    int n = bc_cli_take_globals(argc - 1, argv + 1, rest, &json);
    struct bc_env *env = NULL;
    int rc = 1;
    if (!bc_cli_init(json) && !bc_cli_setup(json, &env)) rc = run(env, json, verb, n, rest);
    bc_cli_close(env);
    free(rest);
    return rc;
}
