/* bookchat apikey create|list|rotate|revoke TENANT …: a tenant's widget keys, for the operator. */
#include "cmd/cmd.h"
#include "domain/env.h"
#include "domain/apikey.h"
#include "domain/onboarding.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"
#include "util/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One apikey verb: its options, tenant and result. */
struct key_cmd {
    struct bc_ctx ctx;
    char *pos[2];
    const char *name;
    long grace;
    bool no_origin;
    struct bc_strlist origins;
    char secret[BC_APIKEY_SECRET_SIZE], msg[256];
    json_t *out;
};

/* The options and the tenant, which must exist: BC_CLI_GO, or the exit status after printing why not.
 * After BC_CLI_GO, key_end releases k->origins. */
static int key_begin(struct bc_cli *cli, struct key_cmd *k, int want)
{
    bool help = false;
    k->grace = bc_config_int(BC_CFG_APIKEY_GRACE, 86400);
    const struct bc_opt opts[] = {
        {"name", BC_OPT_STR, &k->name, 0, "NAME", "label of the key"},
        {"origin", BC_OPT_LIST, &k->origins, 0, "URL", "allowed origin (repeatable)"},
        {"allow-no-origin", BC_OPT_FLAG, &k->no_origin, 0, NULL, "accept requests without Origin"},
        {"grace", BC_OPT_INT, &k->grace, 0, "SECONDS", "how long a rotated key keeps working"},
        {0},
    };
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, k->pos, 2, &npos, &help) < 0 || npos != want ||
        k->grace < 0) {
        bc_cli_usage(stderr, cli->cmd);
        bc_strlist_release(&k->origins);
        return 2;
    }
    json_t *meta = NULL;
    int rc = bc_ctx_operator(&k->ctx, k->pos[0]) < 0 ? BC_ENOT_FOUND : 0;
    if (rc == 0 && bc_cli_route_tenant(cli, k->ctx.tenant_id)) rc = BC_EUNAVAILABLE;
    if (rc == 0) rc = bc_tenant_get(cli->env, &k->ctx, &meta);
    json_decref(meta);
    if (rc < 0) {
        bc_strlist_release(&k->origins);
        bc_cli_error(cli->json, "no such tenant");
        return 1;
    }
    return BC_CLI_GO;
}

/* Prints the verb's result (k->out, with the secret and snippet of a new key) or its error; the exit status.
 */
static int key_end(struct bc_cli *cli, struct key_cmd *k, int rc, bool list)
{
    bc_strlist_release(&k->origins);
    if (rc == BC_ENOT_FOUND && !k->msg[0]) snprintf(k->msg, sizeof k->msg, "no such key");
    if (rc < 0) {
        bc_cli_error(cli->json, "%s", k->msg[0] ? k->msg : bc_strerror(rc));
        return 1;
    }
    if (k->secret[0]) {
        char *snippet = bc_onboard_snippet(bc_cli_public_url(), k->secret);
        json_object_set_new(k->out, "secret", json_string(k->secret));
        json_object_set_new(k->out, "snippet", json_string(snippet ? snippet : ""));
        free(snippet);
    }
    if (cli->json) {
        bc_cli_print_json(json_pack("{s:o}", list ? "result" : "api_key", k->out));
        return 0;
    }
    if (list) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(k->out, "items"), i, it) printf(
            "%-28s %-8s %-14s %s\n", json_string_value(json_object_get(it, "id")),
            json_string_value(json_object_get(it, "status")),
            json_string_value(json_object_get(it, "prefix")), json_string_value(json_object_get(it, "name")));
    } else {
        printf("key %s %s\n", json_string_value(json_object_get(k->out, "id")),
               json_string_value(json_object_get(k->out, "status")));
        if (k->secret[0])
            printf("secret  %s  (shown once)\nsnippet %s\n", k->secret,
                   json_string_value(json_object_get(k->out, "snippet")));
    }
    json_decref(k->out);
    return 0;
}

static int apikey_create(struct bc_cli *cli)
{
    struct key_cmd k = {0};
    int rc = key_begin(cli, &k, 1);
    if (rc != BC_CLI_GO) return rc;
    json_t *olist = json_array();
    for (int i = 0; i < k.origins.n; i++) json_array_append_new(olist, json_string(k.origins.v[i]));
    struct bc_apikey_new in = {k.name, olist, k.no_origin};
    rc = bc_apikey_create(cli->env, &k.ctx, &in, k.secret, k.msg, sizeof k.msg, &k.out);
    json_decref(olist);
    return key_end(cli, &k, rc, false);
}

static int apikey_list(struct bc_cli *cli)
{
    struct key_cmd k = {0};
    int rc = key_begin(cli, &k, 1);
    if (rc != BC_CLI_GO) return rc;
    char *next = NULL;
    json_t *items = NULL;
    rc = bc_apikey_list(cli->env, &k.ctx, 1000, NULL, &items, &next);
    free(next);
    if (rc == 0) k.out = json_pack("{s:o}", "items", items);
    return key_end(cli, &k, rc, true);
}

static int apikey_rotate(struct bc_cli *cli)
{
    struct key_cmd k = {0};
    int rc = key_begin(cli, &k, 2);
    if (rc != BC_CLI_GO) return rc;
    rc = bc_apikey_rotate(cli->env, &k.ctx, k.pos[1], k.grace, k.secret, &k.out);
    if (rc == BC_ECONFLICT) snprintf(k.msg, sizeof k.msg, "this key is revoked or already rotated");
    return key_end(cli, &k, rc, false);
}

static int apikey_revoke(struct bc_cli *cli)
{
    struct key_cmd k = {0};
    int rc = key_begin(cli, &k, 2);
    if (rc != BC_CLI_GO) return rc;
    rc = bc_apikey_revoke(cli->env, &k.ctx, k.pos[1]);
    if (rc == BC_ECONFLICT) snprintf(k.msg, sizeof k.msg, "this key is already revoked");
    if (rc == 0) rc = bc_apikey_get(cli->env, &k.ctx, k.pos[1], &k.out);
    return key_end(cli, &k, rc, false);
}

static const struct bc_verb verbs[] = {
    {"create", apikey_create, "create TENANT [--name NAME] [--origin URL]... [--allow-no-origin]"},
    {"list", apikey_list, "list TENANT"},
    {"rotate", apikey_rotate, "rotate TENANT KEY_ID [--grace SECONDS]"},
    {"revoke", apikey_revoke, "revoke TENANT KEY_ID"},
    {0},
};

const struct bc_verbs cmd_apikey_verbs = {"TENANT [KEY_ID] [options]", verbs};
