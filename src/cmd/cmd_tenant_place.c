/* bookchat tenant place ID --store URL|pooled [--abort]: moves a tenant's partition onto a store of its
 * own (a dedicated environment) or back into the pooled store, while servers keep serving it. The work is
 * in domain/placement_move.c; this verb opens the stores through the env registry (domain/envs.h), prints
 * the steps and the result. docs/operations.md "Dedicated environments" is the operator's guide. */
#include "cmd/cmd.h"
#include "domain/env.h"
#include "domain/envs.h"
#include "domain/placement.h"
#include "store/store.h"
#include "util/err.h"
#include "util/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

static void show_step(const char *step, int64_t items, void *arg)
{
    bool json = *(bool *)arg;
    if (json)
        fprintf(stderr, "{\"event\":\"place\",\"step\":\"%s\",\"items\":%lld}\n", step, (long long)items);
    else
        fprintf(stderr, "bookchat: place: %s (%lld items)\n", step, (long long)items);
    fflush(stderr);
}

/* The env of url from the registry, the target store prepared (a DynamoDB table created when missing). */
static int open_env(struct bc_cli *cli, struct bc_envs *reg, const char *url, bool init, struct bc_env **out)
{
    char err[512] = "";
    json_t *report = NULL;
    if (bc_envs_get(reg, url, out, err, sizeof err) < 0) {
        bc_cli_error(cli->json, "cannot open the store %s: %s", url, err[0] ? err : "?");
        return 1;
    }
    int rc = init && *out != cli->env ? bc_store_init((*out)->store, &report) : 0;
    json_decref(report);
    if (rc < 0) {
        bc_cli_error(cli->json, "cannot prepare the store %s: %s", url, bc_strerror(rc));
        return 1;
    }
    return 0;
}

/* `--abort`: the placement under way, cut short, is ended. */
static int place_abort(struct bc_cli *cli, struct bc_envs *reg, const char *id)
{
    json_t *entry = NULL;
    struct bc_env *to = NULL;
    char msg[512] = "";
    int rc = bc_placement_get(cli->env->store, id, &entry);
    const char *target = rc == 0 ? S(entry, "target") : NULL;
    if (target && open_env(cli, reg, target, false, &to)) {
        json_decref(entry);
        return 1;
    }
    rc = rc < 0 && rc != BC_ENOT_FOUND ? rc : bc_placement_abort(cli->env, to, id, msg, sizeof msg);
    json_decref(entry);
    if (rc < 0) {
        bc_cli_error(cli->json, "%s", msg[0] ? msg : bc_strerror(rc));
        return 1;
    }
    if (cli->json)
        bc_cli_print_json(json_pack("{s:s, s:b}", "tenant_id", id, "aborted", 1));
    else
        printf("placement of tenant %s aborted: it is served where it was\n", id);
    return 0;
}

int bc__cmd_tenant_place(struct bc_cli *cli)
{
    const char *url = NULL;
    bool help = false, abort_it = false;
    const struct bc_opt opts[] = {
        {"store", BC_OPT_STR, &url, 0, "URL",
         "the tenant's own store (lmdb:DIR, dynamodb://TABLE?region=R[&role_arn=ARN]) or pooled"},
        {"abort", BC_OPT_FLAG, &abort_it, 0, NULL, "end a placement whose process died"},
        {"json", BC_OPT_FLAG, &cli->json, 0, NULL, NULL},
        {0},
    };
    const char *line = "bookchat tenant place ID --store URL|pooled | place ID --abort";
    char *pos[1], msg[512] = "";
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, pos, 1, &npos, &help) < 0 || help || npos != 1 ||
        (!url && !abort_it) || (url && abort_it)) {
        bc_opt_usage(help ? stdout : stderr, line, opts);
        return help ? 0 : 2;
    }
    if (url && (!*url || strchr(url, '\n') || strchr(url, '\r') || strlen(url) >= BC_PLACEMENT_URL_MAX)) {
        bc_cli_error(cli->json, "--store must be a store URL (lmdb:DIR or dynamodb://TABLE?…) or pooled");
        return 2;
    }
    /* no read cache: the move compares both copies and must see every write at once */
    struct bc_envs_config cfg = {0};
    struct bc_envs *reg = bc_envs_new(cli->env, &cfg);
    if (!reg) {
        bc_cli_error(cli->json, "out of memory");
        return 1;
    }
    int status = 1;
    json_t *entry = NULL, *res = NULL;
    struct bc_env *from = NULL, *to = NULL;
    if (abort_it) {
        status = place_abort(cli, reg, pos[0]);
        goto out;
    }
    int rc = bc_placement_get(cli->env->store, pos[0], &entry);
    if (rc < 0 && rc != BC_ENOT_FOUND) {
        bc_cli_error(cli->json, "cannot read the placement directory: %s", bc_strerror(rc));
        goto out;
    }
    const char *current = entry && S(entry, "store") ? S(entry, "store") : BC_PLACEMENT_POOLED;
    bool pooled = strcmp(url, BC_PLACEMENT_POOLED) == 0 ||
                  (cli->env->store->url && strcmp(url, cli->env->store->url) == 0);
    if (open_env(cli, reg, current, false, &from) || open_env(cli, reg, url, true, &to)) goto out;
    struct bc_placement_move m = {
        .pooled = cli->env,
        .from = from,
        .to = to,
        .tenant_id = pos[0],
        .target = pooled ? BC_PLACEMENT_POOLED : url,
        .bound_ms = BC_PLACEMENT_BOUND_MS,
        .grace_ms = 1000,
        .progress = show_step,
        .progress_arg = &cli->json,
    };
    rc = bc_placement_move(&m, &res, msg, sizeof msg);
    if (rc < 0) {
        bc_cli_error(cli->json, "placement of %s failed: %s", pos[0], msg[0] ? msg : bc_strerror(rc));
        goto out;
    }
    if (msg[0]) bc_cli_error(cli->json, "%s", msg); /* placed, with a warning */
    status = 0;
    if (cli->json) {
        bc_cli_print_json(res);
        res = NULL;
    } else {
        printf("placed tenant %s: %s -> %s, %lld items, writes paused %lld ms\n", pos[0], S(res, "from"),
               S(res, "to"), (long long)json_integer_value(json_object_get(res, "items")),
               (long long)json_integer_value(json_object_get(res, "frozen_ms")));
    }
out:
    json_decref(entry);
    json_decref(res);
    bc_envs_free(reg);
    return status;
}
