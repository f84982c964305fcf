/* bookchat dev seed: fills a store with realistic tenants for benchmarks and demos — services,
 * professionals with weekly hours, exceptions, past and future bookings, conversations. Writes run without
 * fsync (a dev tool: the store is synced once at the end). The widget keys and owner logins of the tenants
 * go to --keys-out as JSON Lines, for load generators. */
#include "auth/password.h"
#include "domain/env.h"
#include "cmd/cmd.h"
#include "domain/apikey.h"
#include "domain/booking.h"
#include "domain/catalog.h"
#include "domain/plan.h"
#include "domain/chat.h"
#include "domain/schedule.h"
#include "domain/tenant.h"
#include "domain/usage.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/id.h"
#include "util/opt.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "bookchat dev seed [--tenants N] [--providers-per-tenant P] [--bookings-per-provider B]\n"
    "                  [--conversations-per-tenant C] [--keys-out FILE] [--data DIR | --store URL]";

static const char *const service_names[] = {"Corte de pelo",   "Tinte",        "Manicura", "Masaje",
                                            "Limpieza facial", "Fisioterapia", "Consulta", "Revisión"};
static const char *const pro_names[] = {"Ana",   "Luis",  "Marta",  "Javier", "Lucía",
                                        "Pablo", "Elena", "Sergio", "Carmen", "Diego"};

/* The owner: one Argon2id hash for every seeded tenant (hashing 10,000 passwords would take minutes). */
static int seed_owner(struct bc_env *env, const struct bc_ctx *ctx, const char *hash, char *email,
                      size_t size)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], lk[BC_KEY_SIZE], tsk[BC_KEY_SIZE], id[BC_ID_LEN + 1], now[32];
    bc_id_new(id);
    bc_now_iso(now);
    snprintf(email, size, "owner@%s.seed.invalid", ctx->tenant_id);
    for (char *p = email; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, "USER", id) || !bc_key_email_lookup(lk, email) ||
        !bc_key_sk(tsk, "TENANT", ctx->tenant_id))
        return BC_EINVALID;
    json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "PK", pk, "SK", sk, "id", id,
                          "email", email, "name", "Owner", "role", "owner", "pw_hash", hash, "created_at",
                          now, "tokens_after", 0);
    json_t *l =
        json_pack("{s:s, s:s, s:s, s:s}", "PK", lk, "SK", tsk, "tenant_id", ctx->tenant_id, "user_id", id);
    int rc = bc_store_put(env->store, u, NULL);
    if (rc == 0) rc = bc_store_put(env->store, l, NULL);
    json_decref(u);
    json_decref(l);
    return rc;
}

static int seed_tenant(struct bc_env *env, int n, long providers, long bookings, long convs, const char *hash,
                       FILE *keys, long *nbookings)
{
    char msg[256] = "", name[64], secret[BC_APIKEY_SECRET_SIZE], email[160];
    json_t *t = NULL, *out = NULL;
    snprintf(name, sizeof name, "Negocio %d", n);
    struct bc_tenant_new tn = {.name = name,
                               .plan = "BUSINESS",
                               .locale = n % 3 ? "es" : "en",
                               .timezone = n % 5 ? "Europe/Madrid" : "America/New_York"};
    int rc = bc_tenant_create(env, &tn, msg, sizeof msg, &t);
    if (rc < 0) return fprintf(stderr, "bookchat: seed: %s\n", msg), rc;
    struct bc_ctx ctx;
    bc_ctx_operator(&ctx, json_string_value(json_object_get(t, "id")));
    ctx.tenant = t;
    json_t *origins = json_pack("[s]", "https://shop.example.com");
    struct bc_apikey_new kn = {"Widget key", origins, true};
    rc = bc_apikey_create(env, &ctx, &kn, secret, msg, sizeof msg, &out);
    json_decref(origins);
    json_decref(out);
    if (rc == 0) rc = seed_owner(env, &ctx, hash, email, sizeof email);
    json_t *svc_ids = json_array();
    for (int i = 0; rc == 0 && i < 4; i++) {
        json_t *b =
            json_pack("{s:s, s:i, s:f, s:s}", "name", service_names[(n + i) % 8], "duration_min",
                      30 + 15 * (i % 3), "price", 15.0 + 10 * i, "description", "Servicio de ejemplo");
        rc = bc_service_create(env, &ctx, b, msg, sizeof msg, &out);
        if (rc == 0) json_array_append(svc_ids, json_object_get(out, "id"));
        json_decref(out);
        json_decref(b);
    }
    json_t *weekly = json_array();
    for (int d = 1; d <= 5; d++) {
        json_array_append_new(weekly,
                              json_pack("{s:i, s:s, s:s}", "weekday", d, "start", "09:00", "end", "14:00"));
        json_array_append_new(weekly,
                              json_pack("{s:i, s:s, s:s}", "weekday", d, "start", "16:00", "end", "20:00"));
    }
    json_array_append_new(weekly,
                          json_pack("{s:i, s:s, s:s}", "weekday", 6, "start", "10:00", "end", "14:00"));
    json_t *hours = json_pack("{s:o}", "weekly", weekly);
    struct bc_tz_local today;
    bc_tz_from_utc(tn.timezone, bc_now_s(), &today);
    for (long p = 0; rc == 0 && p < providers; p++) {
        json_t *b = json_pack("{s:s, s:O}", "name", pro_names[(n + p) % 10], "service_ids", svc_ids),
               *pro = NULL, *h = NULL;
        rc = bc_provider_create(env, &ctx, b, 1000, msg, sizeof msg, &pro);
        json_decref(b);
        const char *pid = json_string_value(json_object_get(pro, "id"));
        if (rc == 0) rc = bc_hours_put(env, &ctx, pid, hours, msg, sizeof msg, &h);
        json_decref(h);
        if (rc == 0 && p == 0) { /* a holiday for the business and a day off for one professional */
            char from[11], to[11];
            bc_tz_date_format(today.day + 20, from);
            bc_tz_date_format(today.day + 21, to);
            json_t *e = json_pack("{s:n, s:s, s:s, s:s, s:s}", "provider_id", "from", from, "to", to, "kind",
                                  "closed", "reason", "Festivo"),
                   *eo = NULL;
            bc_exception_create(env, &ctx, e, msg, sizeof msg, &eo);
            json_decref(e);
            json_decref(eo);
        }
        /* bookings: every other half hour from tomorrow on, until the count is reached */
        for (long k = 0, made = 0; rc == 0 && made < bookings && k < bookings * 4 + 64; k++) {
            int32_t day = today.day + 1 + (int32_t)(k / 16);
            int slot = (int)(k % 16), minutes = slot < 10 ? 9 * 60 + 30 * slot : 16 * 60 + 30 * (slot - 10);
            if (bc_tz_weekday(day) >= 6) continue;
            int64_t t0;
            char iso[BC_TZ_ISO_SIZE];
            if (bc_tz_to_utc(tn.timezone, day, minutes * 60, &t0) < 0) continue;
            bc_tz_format_iso(tn.timezone, t0, iso, sizeof iso);
            struct bc_booking_in in = {.service_id = json_string_value(json_array_get(svc_ids, 0)),
                                       .provider_id = pid,
                                       .start = iso,
                                       .name = "Cliente",
                                       .email = "cliente@example.com",
                                       .source = "seed",
                                       .staff = true,
                                       .monthly_limit = BC_UNLIMITED};
            json_t *bk = NULL;
            int r = bc_booking_create(env, &ctx, &in, msg, sizeof msg, &bk);
            json_decref(bk);
            if (r == 0) {
                made++;
                (*nbookings)++;
            } else if (r != BC_ESLOT && r != BC_EINVALID) {
                rc = r;
            }
        }
        json_decref(pro);
    }
    json_decref(hours);
    for (long c = 0; rc == 0 && c < convs; c++) {
        json_t *conv = NULL, *m = NULL;
        snprintf(ctx.key_id, sizeof ctx.key_id, "SEED");
        rc = bc_chat_start(env, &ctx, NULL, "http://localhost", &conv, &m);
        json_decref(m);
        if (rc == 0) rc = bc_chat_turn(env, &ctx, conv, NULL, "faq:hours", "http://localhost", &m);
        json_decref(m);
        json_decref(conv);
    }
    if (rc == 0 && keys)
        fprintf(keys, "{\"tenant\":\"%s\",\"key\":\"%s\",\"email\":\"%s\"}\n", ctx.tenant_id, secret, email);
    json_decref(svc_ids);
    bc_ctx_release(&ctx);
    return rc;
}

/* What cmd_dev_parse found. */
struct dev_opts {
    long tenants, providers, bookings, convs;
    const char *keys_out;
};

int cmd_dev_parse(struct bc_cli *cli)
{
    bool help = false;
    struct dev_opts *o = bc_cli_opts(cli, sizeof *o);
    if (!o) return 1;
    *o = (struct dev_opts){.tenants = 10, .providers = 2, .bookings = 20, .convs = 2};
    const struct bc_opt opts[] = {
        {"tenants", BC_OPT_INT, &o->tenants, 0, "N", "tenants to create (default 10)"},
        {"providers-per-tenant", BC_OPT_INT, &o->providers, 0, "P", "professionals per tenant (default 2)"},
        {"bookings-per-provider", BC_OPT_INT, &o->bookings, 0, "B",
         "future bookings per professional (default 20)"},
        {"conversations-per-tenant", BC_OPT_INT, &o->convs, 0, "C",
         "chat conversations per tenant (default 2)"},
        {"keys-out", BC_OPT_STR, &o->keys_out, 0, "FILE",
         "write each tenant's widget key and owner e-mail (JSON Lines)"},
        BC_OPT_COMMON(&cli->json),
        {0},
    };
    int argc = cli->argc, npos;
    char **argv = cli->argv, *pos[1];
    if (argc < 1 || strcmp(argv[0], "seed") != 0 ||
        bc_opt_parse(opts, argc - 1, argv + 1, pos, 0, &npos, &help) < 0 || o->tenants < 1 ||
        o->tenants > 1000000 || o->providers < 1 || o->providers > 50 || o->bookings < 0 ||
        o->bookings > 10000 || o->convs < 0 || o->convs > 1000) {
        if (argc >= 1 && (!strcmp(argv[0], "--help") || help)) {
            bc_opt_usage(stdout, usage_text, opts);
            return 0;
        }
        bc_opt_usage(stderr, usage_text, opts);
        return 2;
    }
    if (help) {
        bc_opt_usage(stdout, usage_text, opts);
        return 0;
    }
    return BC_CLI_GO;
}

/* LMDB: no fsync per write while seeding; one sync at the end. */
int cmd_dev_prepare(struct bc_cli *cli)
{
    (void)cli;
    char url[4200];
    bc_cli_store_url(url, sizeof url);
    if (strncmp(url, "lmdb:", 5) == 0 && !strchr(url, '?')) {
        size_t n = strlen(url);
        snprintf(url + n, sizeof url - n, "?sync=none");
        bc_config_set(BC_CFG_STORE, url);
    }
    return BC_CLI_GO;
}

int cmd_dev(struct bc_cli *cli)
{
    const struct dev_opts *o = cli->opts;
    FILE *keys = o->keys_out ? fopen(o->keys_out, "w") : NULL;
    if (o->keys_out && !keys) {
        bc_cli_error(cli->json, "cannot write %s", o->keys_out);
        return 1;
    }
    char hash[BC_PASSWORD_HASH_SIZE];
    bc_password_hash("seed-password-0000", hash);
    int64_t t0 = bc_mono_ns();
    long nbookings = 0;
    int rc = 0;
    for (long i = 0; rc == 0 && i < o->tenants; i++) {
        rc = seed_tenant(cli->env, (int)i, o->providers, o->bookings, o->convs, hash, keys, &nbookings);
        if (!cli->json && (i + 1) % 1000 == 0) fprintf(stderr, "seeded %ld tenants\n", i + 1);
    }
    if (keys) fclose(keys);
    int flushed = bc_usage_flush(cli->env); /* the seeded bookings, metered like any others */
    if (rc == 0 && flushed < 0) rc = flushed;
    if (rc == 0) rc = bc_store_sync(cli->store);
    double secs = (double)(bc_mono_ns() - t0) / 1e9;
    if (rc < 0) {
        bc_cli_error(cli->json, "seeding failed: %s", bc_strerror(rc));
        return 1;
    }
    if (cli->json)
        bc_cli_print_json(json_pack("{s:i, s:i, s:i, s:f, s:s}", "tenants", (int)o->tenants, "bookings",
                                    (int)nbookings, "conversations", (int)(o->tenants * o->convs), "seconds",
                                    secs, "owner_password", "seed-password-0000"));
    else
        printf("seeded %ld tenants, %ld bookings, %ld conversations in %.1f s (owner password: "
               "seed-password-0000)\n",
               o->tenants, nbookings, o->tenants * o->convs, secs);
    return 0;
}
