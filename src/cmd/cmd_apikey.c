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

static const char usage_text[] = "bookchat apikey <create|list|rotate|revoke> TENANT [KEY_ID] [options]\n"
                                 "  create TENANT [--name NAME] [--origin URL]... [--allow-no-origin]\n"
                                 "  list TENANT\n"
                                 "  rotate TENANT KEY_ID [--grace SECONDS]\n"
                                 "  revoke TENANT KEY_ID";

static int run(struct bc_env *env, bool json, const char *verb, int argc, char **argv)
{
    const char *name = NULL;
    long grace = bc_config_int(BC_CFG_APIKEY_GRACE, 86400);
    bool no_origin = false, help = false;
    struct bc_strlist origins = {0};
    const struct bc_opt opts[] = {
        {"name", BC_OPT_STR, &name, 0, "NAME", "label of the key"},
        {"origin", BC_OPT_LIST, &origins, 0, "URL", "allowed origin (repeatable)"},
        {"allow-no-origin", BC_OPT_FLAG, &no_origin, 0, NULL, "accept requests without Origin"},
        {"grace", BC_OPT_INT, &grace, 0, "SECONDS", "how long a rotated key keeps working"},
        {0},
    };
    char *pos[2];
    int npos, want = (!strcmp(verb, "rotate") || !strcmp(verb, "revoke")) ? 2 : 1;
    if (bc_opt_parse(opts, argc, argv, pos, 2, &npos, &help) < 0 || npos != want || grace < 0) {
        fprintf(stderr, "usage: %s\n", usage_text);
        bc_strlist_release(&origins);
        return 2;
    }
    struct bc_ctx ctx;
    json_t *meta = NULL, *out = NULL;
    char secret[BC_APIKEY_SECRET_SIZE] = "", msg[256] = "";
    int rc = bc_ctx_operator(&ctx, pos[0]) < 0 ? BC_ENOT_FOUND : bc_tenant_get(env, &ctx, &meta);
    json_decref(meta);
    if (rc < 0) {
        bc_strlist_release(&origins);
        bc_cli_error(json, "no such tenant");
        return 1;
    }
    if (!strcmp(verb, "create")) {
        json_t *olist = json_array();
        for (int i = 0; i < origins.n; i++) json_array_append_new(olist, json_string(origins.v[i]));
        struct bc_apikey_new in = {name, olist, no_origin};
        rc = bc_apikey_create(env, &ctx, &in, secret, msg, sizeof msg, &out);
        json_decref(olist);
    } else if (!strcmp(verb, "rotate")) {
        rc = bc_apikey_rotate(env, &ctx, pos[1], grace, secret, &out);
        if (rc == BC_ECONFLICT) snprintf(msg, sizeof msg, "this key is revoked or already rotated");
    } else if (!strcmp(verb, "revoke")) {
        rc = bc_apikey_revoke(env, &ctx, pos[1]);
        if (rc == BC_ECONFLICT) snprintf(msg, sizeof msg, "this key is already revoked");
        if (rc == 0) rc = bc_apikey_get(env, &ctx, pos[1], &out);
    } else {
        char *next = NULL;
        json_t *items = NULL;
        rc = bc_apikey_list(env, &ctx, 1000, NULL, &items, &next);
        free(next);
        if (rc == 0) out = json_pack("{s:o}", "items", items);
    }
    bc_strlist_release(&origins);
    if (rc == BC_ENOT_FOUND && !msg[0]) snprintf(msg, sizeof msg, "no such key");
    if (rc < 0) {
        bc_cli_error(json, "%s", msg[0] ? msg : bc_strerror(rc));
        return 1;
    }
    if (secret[0]) {
        char *snippet = bc_onboard_snippet(bc_cli_public_url(), secret);
        json_object_set_new(out, "secret", json_string(secret));
        json_object_set_new(out, "snippet", json_string(snippet ? snippet : ""));
        free(snippet);
    }
    if (json) {
        bc_cli_print_json(json_pack("{s:o}", strcmp(verb, "list") ? "api_key" : "result", out));
        return 0;
    }
    if (!strcmp(verb, "list")) {
        size_t i;
        json_t *k;
        json_array_foreach(json_object_get(out, "items"), i, k) printf(
            "%-28s %-8s %-14s %s\n", json_string_value(json_object_get(k, "id")),
            json_string_value(json_object_get(k, "status")), json_string_value(json_object_get(k, "prefix")),
            json_string_value(json_object_get(k, "name")));
    } else {
        printf("key %s %s\n", json_string_value(json_object_get(out, "id")),
               json_string_value(json_object_get(out, "status")));
        if (secret[0])
            printf("secret  %s  (shown once)\nsnippet %s\n", secret,
                   json_string_value(json_object_get(out, "snippet")));
    }
    json_decref(out);
    return 0;
}

int cmd_apikey(int argc, char **argv)
{
    bool json = false;
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        printf("usage: %s\n", usage_text);
        return argc < 1 ? 2 : 0;
    }
    const char *verb = argv[0];
    if (strcmp(verb, "create") && strcmp(verb, "list") && strcmp(verb, "rotate") && strcmp(verb, "revoke")) {
        fprintf(stderr, "bookchat: unknown apikey command '%s'\nusage: %s\n", verb, usage_text);
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
