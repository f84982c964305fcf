/* bookchat usage TENANT [--month YYYY-MM] and bookchat usage export [--month YYYY-MM] [--format csv|json]
 * [--by tenant|organisation]: a tenant's metered usage against its plan, and one line per tenant (or per
 * organisation, its branches summed in) for billing (docs/metering.md, docs/organisations.md). */
#include "cmd/cmd.h"
#include "domain/fields.h"
#include "domain/env.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "bookchat usage TENANT [--month YYYY-MM]          a tenant's usage and limits (default: this month, "
    "UTC)\n"
    "       bookchat usage export [--month YYYY-MM] [--format csv|json] [--by tenant|organisation]\n"
    "                                                   one line per tenant (or organisation), for billing";

#define I(o, k) ((long long)json_integer_value(json_object_get((o), (k))))

static void print_limited(const char *what, long long used, json_t *limit, json_t *pct)
{
    if (json_is_integer(limit))
        printf("%-15s %12lld / %lld (%.1f%%)\n", what, used, (long long)json_integer_value(limit),
               json_is_number(pct) ? json_number_value(pct) : 0.0);
    else
        printf("%-15s %12lld (unlimited)\n", what, used);
}

static int show(struct bc_env *env, bool json, const char *tenant_id, const char *month)
{
    struct bc_ctx ctx;
    json_t *meta = NULL, *out = NULL;
    int rc = bc_ctx_operator(&ctx, tenant_id) < 0 ? BC_ENOT_FOUND : bc_tenant_get(env, &ctx, &meta);
    if (rc < 0) {
        bc_cli_error(json, "no such tenant");
        return 1;
    }
    rc = bc_usage_report(env, meta, month, &out);
    if (rc < 0) {
        json_decref(meta);
        bc_cli_error(json, "%s", bc_strerror(rc));
        return 1;
    }
    if (json) {
        bc_cli_print_json(json_pack("{s:o}", "usage", out));
        json_decref(meta);
        return 0;
    }
    json_t *t = json_object_get(out, "totals"), *lim = json_object_get(out, "limits"),
           *pct = json_object_get(out, "used_pct"), *ai = json_object_get(t, "ai_tokens"),
           *err = json_object_get(t, "errors");
    printf("tenant %s (%s, plan %s), %s (UTC)\n", tenant_id, json_string_value(json_object_get(meta, "name")),
           bc_field_str(meta, BC_F_PLAN), month);
    print_limited("messages", I(t, "messages"), json_object_get(lim, "messages_month"),
                  json_object_get(pct, "messages"));
    print_limited("bookings", I(t, "bookings"), json_object_get(lim, "bookings_month"),
                  json_object_get(pct, "bookings"));
    print_limited("AI tokens", I(ai, "total"), json_object_get(lim, "ai_tokens_month"),
                  json_object_get(pct, "ai_tokens"));
    printf("%-15s %12lld in, %lld out, %lld calls\n", "", I(ai, "in"), I(ai, "out"), I(ai, "calls"));
    printf("%-15s %12lld\n", "cancellations", I(t, "cancellations"));
    printf("%-15s %12lld (%lld with a booking)\n", "conversations", I(t, "conversations"),
           I(t, "conversations_booked"));
    printf("%-15s %12lld (%lld answered)\n", "hand-offs", I(t, "handoffs"), I(t, "handoffs_answered"));
    printf("%-15s %12lld (peak %lld per minute)\n", "requests", I(t, "requests"), I(t, "peak_rpm"));
    printf("%-15s %12lld 4xx, %lld 5xx\n", "errors", I(err, "4xx"), I(err, "5xx"));
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(t, "origins"), i, o)
    {
        if (i >= 5) break;
        printf("%-15s %12lld %s\n", i ? "" : "origins", I(o, "count"),
               json_string_value(json_object_get(o, "origin")));
    }
    json_decref(out);
    json_decref(meta);
    return 0;
}

/* A CSV cell: quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it. */
static void csv_cell(const char *v)
{
    v = v ? v : "";
    bool quote = strpbrk(v, ",\"\r\n") != NULL || strchr("=+-@", v[0]);
    if (!quote) {
        fputs(v, stdout);
        return;
    }
    putchar('"');
    if (strchr("=+-@", v[0]) && v[0]) putchar('\'');
    for (const char *p = v; *p; p++) {
        if (*p == '"') putchar('"');
        putchar(*p);
    }
    putchar('"');
}

static void csv_limit(int64_t v)
{
    if (v != BC_UNLIMITED) printf("%lld", (long long)v);
}

static const char csv_header[] =
    "tenant_id,name,plan,status,month,messages,messages_limit,bookings,bookings_limit,cancellations,"
    "conversations,conversations_booked,handoffs,ai_tokens_in,ai_tokens_out,ai_tokens_limit,ai_calls,"
    "requests,"
    "peak_rpm,errors_4xx,errors_5xx,organisation_id";

/* --by organisation: one line per organisation (a tenant with its branches, or a tenant on its own); the
 * counters are summed (peak_rpm is the highest), limits are per tenant and left out */
static const char csv_org_header[] =
    "organisation_id,name,plan,month,tenants,messages,bookings,cancellations,conversations,"
    "conversations_booked,handoffs,ai_tokens_in,ai_tokens_out,ai_calls,requests,peak_rpm,errors_4xx,"
    "errors_5xx";

/* Adds the totals t (nested objects too) into sum; peak_rpm keeps the highest. */
static void add_totals(json_t *sum, json_t *t)
{
    const char *k;
    json_t *v;
    json_object_foreach(t, k, v)
    {
        json_t *have = json_object_get(sum, k);
        if (json_is_object(v)) {
            if (!have) json_object_set_new(sum, k, have = json_object());
            add_totals(have, v);
        } else if (json_is_integer(v)) {
            json_int_t a = json_integer_value(have), b = json_integer_value(v);
            json_object_set_new(sum, k, json_integer(strcmp(k, "peak_rpm") == 0 ? (a > b ? a : b) : a + b));
        }
    }
}

static int export_one(struct bc_env *env, bool csv, json_t *idx, const char *month, json_t *orgs)
{
    struct bc_ctx ctx;
    struct bc_limits lim;
    json_t *meta = NULL, *t = NULL;
    const char *id = json_string_value(json_object_get(idx, "id"));
    int rc = bc_ctx_operator(&ctx, id) < 0 ? BC_EINVALID : bc_tenant_get(env, &ctx, &meta);
    if (rc == BC_ENOT_FOUND) return 0; /* an index entry left by a purge */
    if (rc == 0) rc = bc_plan_limits(env, meta, &lim);
    if (rc == 0) rc = bc_usage_month_totals(env, id, month, &t);
    if (rc < 0) {
        json_decref(meta);
        return rc;
    }
    json_t *ai = json_object_get(t, "ai_tokens"), *err = json_object_get(t, "errors");
    struct bc_tenant_meta m = bc_tenant_meta_of(meta);
    const char *name = m.name, *plan = m.plan, *status = m.status;
    const char *org = m.parent_id ? m.parent_id : id;
    if (orgs) { /* --by organisation: summed after the walk */
        json_t *o = json_object_get(orgs, org);
        if (!o) json_object_set_new(orgs, org, o = json_pack("{s:i, s:{}}", "tenants", 0, "totals"));
        json_object_set_new(o, "tenants",
                            json_integer(json_integer_value(json_object_get(o, "tenants")) + 1));
        add_totals(json_object_get(o, "totals"), t);
        if (!m.parent_id) { /* the organisation's own line names it */
            json_t *named = json_pack("{s:s?, s:s?}", "name", name, "plan", plan);
            json_object_update(o, named);
            json_decref(named);
        }
    } else if (csv) {
        csv_cell(id);
        putchar(',');
        csv_cell(name);
        putchar(',');
        csv_cell(plan);
        putchar(',');
        csv_cell(status);
        printf(",%s,%lld,", month, I(t, "messages"));
        csv_limit(lim.messages_month);
        printf(",%lld,", I(t, "bookings"));
        csv_limit(lim.bookings_month);
        printf(",%lld,%lld,%lld,%lld,%lld,%lld,", I(t, "cancellations"), I(t, "conversations"),
               I(t, "conversations_booked"), I(t, "handoffs"), I(ai, "in"), I(ai, "out"));
        csv_limit(lim.ai_tokens_month);
        printf(",%lld,%lld,%lld,%lld,%lld,%s\n", I(ai, "calls"), I(t, "requests"), I(t, "peak_rpm"),
               I(err, "4xx"), I(err, "5xx"), org);
    } else {
        json_t *line =
            json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:O, s:s}", "tenant_id", id, "name", name, "plan", plan,
                      "status", status, "month", month, "totals", t, "organisation_id", org);
        char *txt = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (txt) printf("%s\n", txt);
        free(txt);
        json_decref(line);
    }
    json_decref(t);
    json_decref(meta);
    return 0;
}

struct export_all {
    struct bc_env *env;
    bool csv;
    const char *month;
    json_t *orgs; /* --by organisation: organisation id -> {name, plan, tenants, totals} */
};

static int export_row(json_t *t, void *arg)
{
    struct export_all *a = arg;
    return export_one(a->env, a->csv, t, a->month, a->orgs);
}

static void print_orgs(json_t *orgs, bool csv, const char *month)
{
    const char *id;
    json_t *o;
    json_object_foreach(orgs, id, o)
    {
        json_t *t = json_object_get(o, "totals"), *ai = json_object_get(t, "ai_tokens"),
               *err = json_object_get(t, "errors");
        const char *name = json_string_value(json_object_get(o, "name")),
                   *plan = json_string_value(json_object_get(o, "plan"));
        if (csv) {
            csv_cell(id);
            putchar(',');
            csv_cell(name ? name : "");
            putchar(',');
            csv_cell(plan ? plan : "");
            printf(",%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld\n", month,
                   I(o, "tenants"), I(t, "messages"), I(t, "bookings"), I(t, "cancellations"),
                   I(t, "conversations"), I(t, "conversations_booked"), I(t, "handoffs"), I(ai, "in"),
                   I(ai, "out"), I(ai, "calls"), I(t, "requests"), I(t, "peak_rpm"), I(err, "4xx"),
                   I(err, "5xx"));
        } else {
            json_t *line =
                json_pack("{s:s, s:s?, s:s?, s:s, s:O, s:O}", "organisation_id", id, "name", name, "plan",
                          plan, "month", month, "tenants", json_object_get(o, "tenants"), "totals", t);
            char *txt = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (txt) printf("%s\n", txt);
            free(txt);
            json_decref(line);
        }
    }
}

static int export_all(struct bc_env *env, bool json, const char *month, const char *format, bool by_org)
{
    bool csv = strcmp(format, "csv") == 0;
    if (csv) printf("%s\n", by_org ? csv_org_header : csv_header);
    struct export_all a = {env, csv, month, by_org ? json_object() : NULL};
    int rc = bc_tenant_each(env, export_row, &a);
    if (rc >= 0 && by_org) print_orgs(a.orgs, csv, month);
    json_decref(a.orgs);
    fflush(stdout);
    if (rc < 0) {
        bc_cli_error(json, "export failed: %s", bc_strerror(rc));
        return 1;
    }
    return 0;
}

/* What cmd_usage_parse found: the tenant (or "export"), the month and the export format. */
struct usage_opts {
    const char *what, *format, *by;
    char month[8];
};

/* Before any setup: its usage on stdout without arguments or with --help first; global options anywhere. */
int cmd_usage_parse(struct bc_cli *cli)
{
    bool help = false;
    const char *month_s = NULL;
    if (cli->argc < 1 || !strcmp(cli->argv[0], "--help") || !strcmp(cli->argv[0], "-h")) {
        printf("usage: %s\n", usage_text);
        return cli->argc < 1 ? 2 : 0;
    }
    struct usage_opts *o = bc_cli_opts(cli, sizeof *o);
    char **rest = calloc((size_t)cli->argc + 1, sizeof *rest);
    if (!o || !rest) {
        free(rest);
        return 1;
    }
    int n = bc_cli_take_globals(cli->argc, cli->argv, rest, &cli->json);
    o->format = "csv";
    o->by = "tenant";
    const struct bc_opt opts[] = {
        {"month", BC_OPT_STR, &month_s, 0, "YYYY-MM", "the month (UTC; default: this month)"},
        {"format", BC_OPT_STR, &o->format, 0, "csv|json", "export format: CSV with a header, or JSON lines"},
        {"by", BC_OPT_STR, &o->by, 0, "tenant|organisation",
         "export: a line per tenant, or per organisation"},
        {0},
    };
    char *pos[2];
    int npos, rc = BC_CLI_GO;
    bc_clock_init(); /* the default month follows the (test-shiftable) clock */
    if (bc_opt_parse(opts, n, rest, pos, 2, &npos, &help) < 0 || npos != 1 ||
        bc_usage_month_parse(month_s, o->month) < 0 ||
        (strcmp(o->format, "csv") && strcmp(o->format, "json")) ||
        (strcmp(o->by, "tenant") && strcmp(o->by, "organisation"))) {
        fprintf(help ? stdout : stderr, "usage: %s\n", usage_text);
        rc = help ? 0 : 2;
    } else {
        o->what = pos[0];
    }
    free(rest);
    return rc;
}

int cmd_usage(struct bc_cli *cli)
{
    const struct usage_opts *o = cli->opts;
    if (!strcmp(o->what, "export"))
        return export_all(cli->env, cli->json, o->month, cli->json ? "json" : o->format,
                          strcmp(o->by, "organisation") == 0);
    return show(cli->env, cli->json, o->what, o->month);
}
