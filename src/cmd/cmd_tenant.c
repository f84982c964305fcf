/* bookchat tenant
 * create|list|show|set-plan|set-home-region|set-limits|suspend|delete|restore|purge|export|import|migrate|
 * place: the operator's tenant commands (PRODUCT.md section 10). They act on the configured store directly,
 * like the platform API; the data-moving ones are in cmd_tenant_data.c. */
#include "cmd/cmd.h"
#include "domain/fields.h"
#include "domain/env.h"
#include "domain/onboarding.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"
#include "util/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(bool json, int rc, const char *msg)
{
    bc_cli_error(json, "%s", msg && *msg ? msg : bc_strerror(rc));
    return 1;
}

static void print_tenant_line(json_t *t)
{
    struct bc_tenant_meta m = bc_tenant_meta_of(t);
    printf("%-28s %-10s %-10s %s\n", m.id, m.status, m.plan, m.name);
}

static int tenant_create(struct bc_cli *cli)
{
    const char *name = NULL, *plan = NULL, *locale = NULL, *tz = NULL, *email = NULL, *oname = NULL,
               *parent = NULL, *id = NULL, *home = bc_config_get(BC_CFG_REGION);
    bool empty = false, no_origin = false, help = false;
    struct bc_strlist origins = {0};
    const struct bc_opt opts[] = {
        {"name", BC_OPT_STR, &name, 0, "NAME", "business name"},
        {"plan", BC_OPT_STR, &plan, 0, "PLAN", "FREE | PRO | BUSINESS | ENTERPRISE"},
        {"locale", BC_OPT_STR, &locale, 0, "es|en", "language of the chat and the panel"},
        {"timezone", BC_OPT_STR, &tz, 0, "TZ", "IANA time zone, e.g. Europe/Madrid"},
        {"origin", BC_OPT_LIST, &origins, 0, "URL", "allowed origin of the widget (repeatable)"},
        {"allow-no-origin", BC_OPT_FLAG, &no_origin, 0, NULL, "the key also accepts requests without Origin"},
        {"owner-email", BC_OPT_STR, &email, 0, "EMAIL", "owner's sign-in e-mail"},
        {"owner-name", BC_OPT_STR, &oname, 0, "NAME", "owner's name"},
        {"parent", BC_OPT_STR, &parent, 0, "ID", "parent tenant (branches)"},
        {"id", BC_OPT_STR, &id, 0, "ID", "tenant id (default: a new ULID)"},
        {"empty", BC_OPT_FLAG, &empty, 0, NULL, "no sample service, professional or hours"},
        {"home-region", BC_OPT_STR, &home, 0, "REGION",
         "region that commits its writes (default: the region setting; none: every region)"},
        {"json", BC_OPT_FLAG, &cli->json, 0, NULL, NULL},
        {0},
    };
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, NULL, 0, &npos, &help) < 0 || !name) {
        if (!help) fprintf(stderr, "bookchat: tenant create needs --name\n");
        bc_opt_usage(help ? stdout : stderr, "bookchat tenant create --name NAME [options]", opts);
        bc_strlist_release(&origins);
        return help ? 0 : 2;
    }
    json_t *olist = json_array(), *out = NULL;
    for (int i = 0; i < origins.n; i++) json_array_append_new(olist, json_string(origins.v[i]));
    bc_strlist_release(&origins);
    struct bc_onboard in = {
        .tenant = {id, name, plan, locale, tz, parent, home && strcmp(home, "none") != 0 ? home : NULL},
        .origins = olist,
        .allow_no_origin = no_origin,
        .owner_email = email,
        .owner_name = oname,
        .empty = empty,
        .public_url = bc_cli_public_url(),
    };
    char msg[256] = "";
    int rc = bc_onboard_tenant(cli->env, &in, msg, sizeof msg, &out);
    json_decref(olist);
    if (rc < 0) return fail(cli->json, rc, msg);
    if (cli->json) {
        bc_cli_print_json(out);
        return 0;
    }
    json_t *t = json_object_get(out, "tenant"), *k = json_object_get(out, "api_key"),
           *o = json_object_get(out, "owner");
    printf("tenant   %s (%s, plan %s)\n", json_string_value(json_object_get(t, "id")),
           bc_field_str(t, BC_F_NAME), bc_field_str(t, BC_F_PLAN));
    printf("api key  %s  (shown once)\n", json_string_value(json_object_get(k, "secret")));
    printf("owner    %s / %s  (shown once)\n", json_string_value(json_object_get(o, "email")),
           json_string_value(json_object_get(o, "password"))
               ? json_string_value(json_object_get(o, "password"))
               : "(password as given)");
    printf("snippet  %s\n", json_string_value(json_object_get(out, "snippet")));
    if (json_object_get(out, "sample"))
        printf("sample   a service, a professional and Monday-Friday hours to edit in the admin panel\n");
    json_decref(out);
    return 0;
}

static int tenant_list(struct bc_cli *cli)
{
    const char *status = NULL;
    long limit = 1000;
    bool help = false;
    const struct bc_opt opts[] = {
        {"status", BC_OPT_STR, &status, 0, "STATUS", "ACTIVE | SUSPENDED | DELETED"},
        {"limit", BC_OPT_INT, &limit, 0, "N", "at most N tenants per page (1..1000)"},
        {"json", BC_OPT_FLAG, &cli->json, 0, NULL, NULL},
        {0},
    };
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, NULL, 0, &npos, &help) < 0 || limit < 1 || limit > 1000) {
        bc_opt_usage(stderr, "bookchat tenant list [options]", opts);
        return 2;
    }
    json_t *all = json_array();
    char *cursor = NULL;
    int rc;
    do {
        json_t *items;
        char *next = NULL;
        rc = bc_tenant_list(cli->env, (int)limit, cursor, status, &items, &next);
        free(cursor);
        cursor = next;
        if (rc < 0) break;
        json_array_extend(all, items);
        json_decref(items);
    } while (cursor);
    free(cursor);
    if (rc < 0) {
        json_decref(all);
        return fail(cli->json, rc, NULL);
    }
    if (cli->json) {
        bc_cli_print_json(json_pack("{s:o}", "items", all));
        return 0;
    }
    size_t i;
    json_t *t;
    json_array_foreach(all, i, t) print_tenant_line(t);
    json_decref(all);
    return 0;
}

static int print_meta(struct bc_env *env, bool json, json_t *meta)
{
    json_t *out = json_pack("{s:o}", "tenant", bc_tenant_view(env, meta));
    struct bc_limits l;
    if (bc_plan_limits(env, meta, &l) == 0) {
#define LIM(v) ((v) == BC_UNLIMITED ? json_null() : json_integer((json_int_t)(v)))
        json_object_set_new(out, "limits",
                            json_pack("{s:o, s:o, s:o, s:o, s:f, s:f}", "messages_month",
                                      LIM(l.messages_month), "bookings_month", LIM(l.bookings_month),
                                      "providers", LIM(l.providers), "ai_tokens_month",
                                      LIM(l.ai_tokens_month), "rate_per_s", l.rate_per_s, "burst", l.burst));
#undef LIM
    }
    if (json) {
        bc_cli_print_json(out);
    } else {
        print_tenant_line(json_object_get(out, "tenant"));
        json_decref(out);
    }
    return 0;
}

/* The verbs that take a tenant id (and maybe one more argument): each is an action on that tenant, which is
 * printed after it. */
struct one {
    struct bc_ctx ctx;
    char *pos[2];
    long messages, bookings, providers, tokens;
    const char *rate, *burst;
    char msg[256];
};

static int on_tenant(struct bc_cli *cli, int want, int (*action)(struct bc_env *env, struct one *o))
{
    bool help = false;
    struct one o = {.messages = -2, .bookings = -2, .providers = -2, .tokens = -2};
    const struct bc_opt opts[] = {
        {"json", BC_OPT_FLAG, &cli->json, 0, NULL, NULL},
        {"messages", BC_OPT_INT, &o.messages, 0, "N", "messages per month (-1 unlimited)"},
        {"bookings", BC_OPT_INT, &o.bookings, 0, "N", "bookings per month (-1 unlimited)"},
        {"providers", BC_OPT_INT, &o.providers, 0, "N", "professionals (-1 unlimited)"},
        {"ai-tokens", BC_OPT_INT, &o.tokens, 0, "N", "AI tokens per month (-1 unlimited)"},
        {"rate", BC_OPT_STR, &o.rate, 0, "R", "widget requests per second per key"},
        {"burst", BC_OPT_STR, &o.burst, 0, "B", "widget burst size"},
        {0},
    };
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, o.pos, 2, &npos, &help) < 0 || npos != want) {
        bc_cli_usage(stderr, cli->cmd);
        return 2;
    }
    json_t *meta = NULL;
    if (bc_ctx_operator(&o.ctx, o.pos[0]) < 0) return fail(cli->json, BC_ENOT_FOUND, "no such tenant");
    if (bc_cli_route_tenant(cli, o.ctx.tenant_id)) return 1;
    if (bc_tenant_get(cli->env, &o.ctx, &meta) < 0) return fail(cli->json, BC_ENOT_FOUND, "no such tenant");
    json_decref(meta);
    meta = NULL;
    int rc = action ? action(cli->env, &o) : 0;
    if (rc == 0) rc = bc_tenant_get(cli->env, &o.ctx, &meta);
    if (rc < 0) return fail(cli->json, rc, o.msg);
    rc = print_meta(cli->env, cli->json, meta);
    json_decref(meta);
    return rc;
}

static int set_plan(struct bc_env *env, struct one *o)
{
    int rc = bc_tenant_set_plan(env, &o->ctx, o->pos[1], NULL);
    if (rc == BC_EINVALID) snprintf(o->msg, sizeof o->msg, "unknown plan '%s'", o->pos[1]);
    return rc;
}

/* home regions (docs/scaling.md "Moving a tenant's home"): "none" removes the home */
static int set_home_region(struct bc_env *env, struct one *o)
{
    const char *r = strcmp(o->pos[1], "none") == 0 ? NULL : o->pos[1];
    int rc = bc_tenant_set_home_region(env, &o->ctx, r, NULL);
    if (rc == BC_EINVALID)
        snprintf(o->msg, sizeof o->msg, "a region is 1 to 32 of a-z, 0-9 and '-' (e.g. eu-west-1), or none");
    return rc;
}

static int suspend(struct bc_env *env, struct one *o)
{
    return bc_tenant_set_status(env, &o->ctx, "SUSPENDED", NULL);
}

static int delete (struct bc_env *env, struct one *o)
{
    return bc_tenant_set_status(env, &o->ctx, "DELETED", NULL);
}

static int restore(struct bc_env *env, struct one *o)
{
    int rc = bc_tenant_set_status(env, &o->ctx, "ACTIVE", NULL);
    if (rc == BC_EGONE)
        snprintf(o->msg, sizeof o->msg,
                 "tenant %s was deleted more than %lld days ago: its retention period is over and it can no "
                 "longer be restored",
                 o->pos[0], (long long)(env->retention_s / 86400));
    return rc;
}

static int set_limits(struct bc_env *env, struct one *o)
{
    json_t *limits = json_object();
    struct {
        const char *name;
        long v;
    } ints[] = {{"messages_month", o->messages},
                {"bookings_month", o->bookings},
                {"providers", o->providers},
                {"ai_tokens_month", o->tokens}};
    for (size_t i = 0; i < 4; i++) {
        if (ints[i].v == -2) continue;
        json_object_set_new(limits, ints[i].name, ints[i].v == -1 ? json_null() : json_integer(ints[i].v));
    }
    if (o->rate) json_object_set_new(limits, "rate_per_s", json_real(strtod(o->rate, NULL)));
    if (o->burst) json_object_set_new(limits, "burst", json_real(strtod(o->burst, NULL)));
    /* keep the overrides already set for limits not named now */
    json_t *cur = NULL;
    if (bc_tenant_get(env, &o->ctx, &cur) == 0) {
        json_t *old = json_object_get(cur, "limits");
        if (json_is_object(old)) json_object_update_missing(limits, old);
    }
    json_decref(cur);
    int rc = bc_tenant_set_limits(env, &o->ctx, limits, o->msg, sizeof o->msg, NULL);
    json_decref(limits);
    return rc;
}

static int tenant_show(struct bc_cli *cli)
{
    return on_tenant(cli, 1, NULL);
}

static int tenant_set_plan(struct bc_cli *cli)
{
    return on_tenant(cli, 2, set_plan);
}

static int tenant_set_home_region(struct bc_cli *cli)
{
    return on_tenant(cli, 2, set_home_region);
}

static int tenant_set_limits(struct bc_cli *cli)
{
    return on_tenant(cli, 1, set_limits);
}

static int tenant_suspend(struct bc_cli *cli)
{
    return on_tenant(cli, 1, suspend);
}

static int tenant_delete(struct bc_cli *cli)
{
    return on_tenant(cli, 1, delete);
}

static int tenant_restore(struct bc_cli *cli)
{
    return on_tenant(cli, 1, restore);
}

static const struct bc_verb verbs[] = {
    {"create", tenant_create,
     "create --name NAME [--plan PLAN] [--locale es|en] [--timezone TZ] [--origin URL]... "
     "[--allow-no-origin]\n"
     "         [--owner-email EMAIL] [--owner-name NAME] [--parent ID] [--id ID] [--empty]\n"
     "         [--home-region REGION|none]"},
    {"list", tenant_list, "list [--status ACTIVE|SUSPENDED|DELETED] [--limit N]"},
    {"show", tenant_show, "show ID | set-plan ID PLAN | suspend ID | delete ID | restore ID"},
    {"set-plan", tenant_set_plan, NULL},
    {"set-home-region", tenant_set_home_region,
     "set-home-region ID REGION|none   the region that commits the tenant's writes (docs/scaling.md)"},
    {"set-limits", tenant_set_limits,
     "set-limits ID [--messages N] [--bookings N] [--providers N] [--ai-tokens N] [--rate R] [--burst B]\n"
     "             (N = -1 means unlimited; a limit not given keeps the plan's)"},
    {"suspend", tenant_suspend, NULL},
    {"delete", tenant_delete, NULL},
    {"restore", tenant_restore, NULL},
    {"purge", bc__cmd_tenant_purge,
     "purge ID [--now] [--verify]      remove a deleted tenant's data for good"},
    {"export", bc__cmd_tenant_export,
     "export ID [-o FILE]              write the tenant as a JSON Lines archive"},
    {"import", bc__cmd_tenant_import, "import FILE [--as NEW_ID] [--reissue-keys] [--force]"},
    {"migrate", bc__cmd_tenant_migrate,
     "migrate ID --to STORE_URL [--force]   copy to another store, re-issue keys, suspend the source"},
    {"place", bc__cmd_tenant_place,
     "place ID --store URL|pooled [--abort]  serve the tenant from a store of its own (online; the pooled\n"
     "         store from BOOKCHAT_STORE or --data)",
     true},
    {0},
};

const struct bc_verbs cmd_tenant_verbs = {"[options]", verbs};
