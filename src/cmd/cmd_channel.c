/* bookchat channel list|telegram-set-webhook TENANT …: a tenant's messaging channels for the operator, and
 * Telegram's setWebhook (the same call as the admin panel's button; docs/channels.md). */
#include "cmd/cmd.h"
#include "domain/channel.h"
#include "domain/channel_run.h"
#include "domain/env.h"
#include "domain/tenant.h"
#include "util/config.h"
#include "util/err.h"
#include "util/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options, and the tenant's context when it exists: BC_CLI_GO or the exit status. */
static int channel_begin(struct bc_cli *cli, struct bc_ctx *ctx, char **pos, int want, const char **url)
{
    bool help = false;
    const struct bc_opt opts[] = {
        {"url", BC_OPT_STR, url, 0, "URL", "public URL Telegram reaches this server at (default public_url)"},
        {0},
    };
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, pos, 2, &npos, &help) < 0 || npos != want) {
        bc_cli_usage(stderr, cli->cmd);
        return 2;
    }
    json_t *meta = NULL;
    int rc = bc_ctx_operator(ctx, pos[0]) < 0 ? BC_ENOT_FOUND : bc_tenant_get(cli->env, ctx, &meta);
    json_decref(meta);
    if (rc < 0) {
        bc_cli_error(cli->json, "no such tenant");
        return 1;
    }
    return BC_CLI_GO;
}

static int channel_list(struct bc_cli *cli)
{
    struct bc_ctx ctx;
    char *pos[2] = {0};
    const char *url = NULL;
    int st = channel_begin(cli, &ctx, pos, 1, &url);
    if (st != BC_CLI_GO) return st;
    json_t *items = NULL;
    int rc = bc_channel_list(cli->env, &ctx, &items);
    bc_ctx_release(&ctx);
    if (rc < 0) {
        bc_cli_error(cli->json, "%s", bc_strerror(rc));
        return 1;
    }
    if (cli->json) {
        bc_cli_print_json(json_pack("{s:o}", "result", items));
        return 0;
    }
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        printf("%s  %-8s  %s  %s%s\n", json_string_value(json_object_get(it, "id")),
               json_string_value(json_object_get(it, "kind")), json_string_value(json_object_get(it, "name")),
               bc_cli_public_url(), json_string_value(json_object_get(it, "webhook_path")));
    }
    json_decref(items);
    return 0;
}

static int channel_tg_webhook(struct bc_cli *cli)
{
    struct bc_ctx ctx;
    char *pos[2] = {0}, msg[300] = "";
    const char *url = NULL;
    int st = channel_begin(cli, &ctx, pos, 2, &url);
    if (st != BC_CLI_GO) return st;
    const char *pub = url && *url ? url : bc_cli_public_url();
    int rc = bc_channel_tg_set_webhook(cli->env, &ctx, pos[1], pub, bc_config_get(BC_CFG_TELEGRAM_API_URL),
                                       msg, sizeof msg);
    bc_ctx_release(&ctx);
    if (rc < 0) {
        bc_cli_error(cli->json, "%s",
                     msg[0]                ? msg
                     : rc == BC_ENOT_FOUND ? "no such channel"
                                           : bc_strerror(rc));
        return 1;
    }
    if (cli->json)
        bc_cli_print_json(
            json_pack("{s:b, s:s++}", "ok", 1, "webhook_url", pub, "/v1/channels/telegram/", pos[1]));
    else
        printf("Telegram delivers to %s/v1/channels/telegram/%s\n", pub, pos[1]);
    return 0;
}

static const struct bc_verb verbs[] = {
    {"list", channel_list, "list TENANT"},
    {"telegram-set-webhook", channel_tg_webhook, "telegram-set-webhook TENANT CHANNEL [--url PUBLIC_URL]"},
    {NULL, NULL, NULL},
};
const struct bc_verbs cmd_channel_verbs = {"TENANT …", verbs};
