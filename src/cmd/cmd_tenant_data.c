/* bookchat tenant export|import|migrate|purge: moving a tenant's data between files and stores, and
 * removing it for good. The work is in domain/archive.c, domain/migration.c and domain/tenant_items.c;
 * these verbs of `bookchat tenant` parse options, pick the destination's secret, and print results and
 * progress. */
#include "auth/secret.h"
#include "domain/fields.h"
#include "domain/env.h"
#include "cmd/cmd.h"
#include "domain/archive.h"
#include "domain/migration.h"
#include "domain/tenant.h"
#include "domain/tenant_items.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/opt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

static int usage(const char *line, const struct bc_opt *opts, bool help)
{
    bc_opt_usage(help ? stdout : stderr, line, opts);
    return help ? 0 : 2;
}

static void print_keys(json_t *keys)
{
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
        printf("api key  %s  (replaces %s, shown once)\n", S(k, "secret"), S(k, "replaces"));
}

/* ---- export ---- */

int bc__cmd_tenant_export(struct bc_cli *cli)
{
    const char *file = NULL, *output = NULL;
    bool help = false;
    const struct bc_opt opts[] = {
        {"o", BC_OPT_STR, &file, 0, "FILE", "write to FILE (default: standard output)"},
        {"output", BC_OPT_STR, &output, 0, "FILE", "the same as -o"},
        {"json", BC_OPT_FLAG, &cli->json, 0, NULL, "print the summary as JSON"},
        {0},
    };
    const char *line = "bookchat tenant export ID [-o FILE]";
    char *pos[1];
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, pos, 1, &npos, &help) < 0 || help || npos != 1)
        return usage(line, opts, help);
    if (!file) file = output;
    if (bc_cli_route_tenant(cli, pos[0])) return 1; /* a placed tenant is read from its own store */
    bool to_stdout = !file || strcmp(file, "-") == 0;
    char tmp[4200];
    FILE *out = stdout;
    json_t *header = NULL;
    if (!to_stdout) {
        /* written beside the target, then renamed: a cut-short export never looks complete. The temporary
         * file is always a new one of ours: never a file or a symlink someone left at its name */
        snprintf(tmp, sizeof tmp, "%s.partial-%ld", file, (long)getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || !(out = fdopen(fd, "w"))) {
            int e = errno;
            if (fd >= 0) {
                close(fd);
                unlink(tmp);
            }
            bc_cli_error(cli->json, "cannot create the temporary file %s: %s", tmp, strerror(e));
            return 1;
        }
    }
    int rc = bc_archive_write(cli->env, pos[0], out, &header);
    if (!to_stdout) {
        if (rc == 0 && (fflush(out) != 0 || fsync(fileno(out)) != 0)) rc = BC_EIO;
        if (fclose(out) != 0 && rc == 0) rc = BC_EIO;
        if (rc == 0 && rename(tmp, file) != 0) rc = BC_EIO;
        if (rc < 0) unlink(tmp);
    }
    if (rc < 0) {
        json_decref(header);
        if (rc == BC_ENOT_FOUND)
            bc_cli_error(cli->json, "no tenant %s", pos[0]);
        else
            bc_cli_error(cli->json, "export failed: %s",
                         rc == BC_EIO ? "cannot write the output" : bc_strerror(rc));
        return 1;
    }
    if (to_stdout) {
        json_decref(header);
        return 0; /* stdout is the archive */
    }
    if (cli->json) {
        bc_cli_print_json(json_pack("{s:s, s:o}", "file", file, "header", header));
    } else {
        printf("exported tenant %s: %lld items to %s (%s)\n", pos[0],
               (long long)json_integer_value(json_object_get(header, "items")), file, S(header, "checksum"));
        json_decref(header);
    }
    return 0;
}

/* ---- import ---- */

int bc__cmd_tenant_import(struct bc_cli *cli)
{
    const char *as = NULL;
    bool help = false, reissue = false, force = false;
    const struct bc_opt opts[] = {
        {"as", BC_OPT_STR, &as, 0, "ID", "import under another tenant id (implies --reissue-keys)"},
        {"reissue-keys", BC_OPT_FLAG, &reissue, 0, NULL,
         "issue new API keys (printed once); the exported key hashes are not imported"},
        {"force", BC_OPT_FLAG, &force, 0, NULL, "replace a tenant of that id that exists in this store"},
        {"json", BC_OPT_FLAG, &cli->json, 0, NULL, NULL},
        {0},
    };
    const char *line = "bookchat tenant import FILE [--as NEW_ID] [--reissue-keys] [--force]";
    char *pos[1], msg[512] = "";
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, pos, 1, &npos, &help) < 0 || help || npos != 1)
        return usage(line, opts, help);
    FILE *in;
    if (strcmp(pos[0], "-") == 0) {
        /* import reads its file several times: stage standard input */
        char buf[65536];
        size_t n;
        in = tmpfile();
        while (in && (n = fread(buf, 1, sizeof buf, stdin)) > 0)
            if (fwrite(buf, 1, n, in) != n) break;
    } else {
        in = fopen(pos[0], "rb");
    }
    if (!in) {
        bc_cli_error(cli->json, "cannot read %s: %s", pos[0], strerror(errno));
        return 1;
    }
    struct bc_archive_import opt = {as, reissue, force};
    json_t *res = NULL;
    int rc = bc_archive_import(cli->env, in, &opt, &res, msg, sizeof msg);
    fclose(in);
    if (rc < 0) {
        bc_cli_error(cli->json, "cannot import %s: %s", pos[0], msg[0] ? msg : bc_strerror(rc));
        return 1;
    }
    if (cli->json) {
        bc_cli_print_json(res);
        return 0;
    }
    printf("imported tenant %s%s%s: %lld items\n", S(res, "tenant_id"), as ? " from " : "",
           as ? S(res, "from_tenant_id") : "", (long long)json_integer_value(json_object_get(res, "items")));
    print_keys(json_object_get(res, "api_keys"));
    if (!json_is_true(json_object_get(res, "keys_reissued")))
        printf("api keys imported as hashes: they work only on servers with the source's secret "
               "(--reissue-keys issues new ones)\n");
    json_decref(res);
    return 0;
}

/* ---- migrate ---- */

struct progress {
    bool tty, json, started;
    int64_t start_ns, last_ns, done0; /* done0: items copied by earlier runs (a resumed migration) */
    int64_t saved;                    /* the checkpoint last shown */
    const char *last_phase;
};

static void show_progress(const struct bc_migration_progress *p, void *arg)
{
    struct progress *pr = arg;
    int64_t now = bc_mono_ns();
    if (!pr->started) {
        pr->started = true;
        pr->done0 = p->done;
    }
    bool phase_changed = pr->last_phase != p->phase;
    bool end = p->total && p->done == p->total;
    bool saved = pr->json && p->saved != pr->saved; /* a script may wait for a checkpoint */
    pr->saved = p->saved;
    /* a terminal is redrawn ten times a second; a log gets a line a second, and one per phase */
    if (!phase_changed && !end && !saved && now - pr->last_ns < (pr->tty ? 100000000LL : 1000000000LL))
        return;
    pr->last_ns = now;
    pr->last_phase = p->phase;
    double secs = (double)(now - pr->start_ns) / 1e9;
    double rate = secs > 0.05 ? (double)(p->done - pr->done0) / secs : 0;
    long eta = rate > 0 && p->total > p->done ? (long)((double)(p->total - p->done) / rate + 0.5) : 0;
    int pct = p->total ? (int)(100 * p->done / p->total) : 100;
    if (pr->json) {
        fprintf(stderr,
                "{\"event\":\"progress\",\"phase\":\"%s\",\"done\":%lld,\"total\":%lld,\"saved\":%lld,"
                "\"rate\":%.1f,\"eta_s\":%ld}\n",
                p->phase, (long long)p->done, (long long)p->total, (long long)p->saved, rate, eta);
    } else if (pr->tty) {
        char bar[31];
        int fill = pct * 30 / 100;
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '-';
        bar[30] = '\0';
        fprintf(stderr, "\r%-7s [%s] %lld/%lld items  %.0f/s  ETA %ld:%02ld  ", p->phase, bar,
                (long long)p->done, (long long)p->total, rate, eta / 60, eta % 60);
    } else {
        fprintf(stderr, "bookchat: migrate %s: %lld/%lld items (%d%%), %.0f items/s, about %ld s left\n",
                p->phase, (long long)p->done, (long long)p->total, pct, rate, eta);
    }
    fflush(stderr);
}

/* Loads the secret the destination's servers use, for the keys issued there: the secret setting when set
 * (shared by every process of a deployment), else DIR/secret of an LMDB destination, created as a copy of
 * the source's secret file when missing so that customers' booking links and open chats keep working. */
static int destination_secret(const char *to, bool json)
{
    char err[512] = "", dir[4096], from[4200], dest[4200];
    const char *configured = bc_config_get(BC_CFG_SECRET);
    if (configured && *configured) return 0; /* already loaded by setup */
    if (strncmp(to, "lmdb:", 5) != 0) {
        bc_cli_error(json, "set BOOKCHAT_SECRET (or the secret setting) to the secret of the servers that "
                           "use the destination store: the new API keys are hashed with it");
        return 1;
    }
    snprintf(dir, sizeof dir, "%.*s", (int)strcspn(to + 5, "?"), to + 5);
    snprintf(from, sizeof from, "%s/secret", bc_config_get(BC_CFG_DATA));
    snprintf(dest, sizeof dest, "%s/secret", dir);
    if (access(dest, F_OK) != 0 && access(from, R_OK) == 0 && bc_cli_copy_file(from, dest) < 0 &&
        errno != EEXIST) {
        bc_cli_error(json, "cannot copy the server secret to %s: %s", dest, strerror(errno));
        return 1;
    }
    if (bc_secret_init(NULL, dir, err, sizeof err) < 0) {
        bc_cli_error(json, "%s", err);
        return 1;
    }
    return 0;
}

int bc__cmd_tenant_migrate(struct bc_cli *cli)
{
    const char *to = NULL;
    bool help = false, force = false;
    const struct bc_opt opts[] = {
        {"to", BC_OPT_STR, &to, 0, "STORE_URL", "destination store: lmdb:DIR or dynamodb://TABLE?region=R"},
        {"force", BC_OPT_FLAG, &force, 0, NULL, "replace the tenant if the destination already holds it"},
        {"json", BC_OPT_FLAG, &cli->json, 0, NULL, NULL},
        {0},
    };
    const char *line = "bookchat tenant migrate ID --to STORE_URL [--force]";
    char *pos[1], err[512] = "", msg[512] = "";
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, pos, 1, &npos, &help) < 0 || help || npos != 1 || !to)
        return usage(line, opts, help);
    struct bc_store *dest = NULL;
    json_t *report = NULL, *res = NULL;
    if (bc_store_open(to, &dest, err, sizeof err) < 0) {
        bc_cli_error(cli->json, "cannot open the destination store: %s", err[0] ? err : to);
        return 1;
    }
    /* idempotent: creates a DynamoDB table that is missing, nothing for LMDB */
    int rc = bc_store_init(dest, &report);
    json_decref(report);
    if (rc < 0) {
        bc_cli_error(cli->json, "cannot prepare the destination store: %s", bc_strerror(rc));
        bc_store_close(dest);
        return 1;
    }
    if (destination_secret(to, cli->json)) {
        bc_store_close(dest);
        return 1;
    }
    struct bc_env *dest_env = bc_env_new(dest);
    if (dest_env) dest_env->retention_s = cli->env->retention_s;
    if (!dest_env) {
        bc_cli_error(cli->json, "out of memory");
        bc_store_close(dest);
        return 1;
    }
    const char *delay = getenv("BOOKCHAT_TEST_MIGRATE_DELAY_MS");
    struct progress pr = {.tty = isatty(STDERR_FILENO) == 1, .json = cli->json, .start_ns = bc_mono_ns()};
    struct bc_migration m = {
        .from = cli->env,
        .to = dest_env,
        .tenant_id = pos[0],
        .force = force,
        .delay_ms = delay && bc_config_bool(BC_CFG_TEST_HOOKS) ? (int)strtol(delay, NULL, 10) : 0,
        .progress = show_progress,
        .progress_arg = &pr,
    };
    rc = bc_migration_run(&m, &res, msg, sizeof msg);
    if (pr.tty && !cli->json) fputc('\n', stderr);
    bc_cli_close(dest_env);
    if (rc < 0) {
        bc_cli_error(cli->json, "migration of %s failed: %s%s", pos[0], msg[0] ? msg : bc_strerror(rc),
                     rc == BC_EINVALID || rc == BC_ECONFLICT || rc == BC_ENOT_FOUND
                         ? ""
                         : " (run the same command again to resume)");
        return 1;
    }
    if (cli->json) {
        bc_cli_print_json(res);
        return 0;
    }
    printf("migrated tenant %s to %s: %lld items%s; the source is SUSPENDED\n", pos[0], to,
           (long long)json_integer_value(json_object_get(res, "items")),
           json_is_true(json_object_get(res, "resumed")) ? " (resumed)" : "");
    print_keys(json_object_get(res, "api_keys"));
    json_decref(res);
    return 0;
}

/* ---- purge ---- */

int bc__cmd_tenant_purge(struct bc_cli *cli)
{
    bool help = false, now = false, verify = false;
    const struct bc_opt opts[] = {
        {"now", BC_OPT_FLAG, &now, 0, NULL, "purge before the retention period ends"},
        {"verify", BC_OPT_FLAG, &verify, 0, NULL,
         "then scan the whole store for anything left of the tenant"},
        {"json", BC_OPT_FLAG, &cli->json, 0, NULL, NULL},
        {0},
    };
    const char *line = "bookchat tenant purge ID [--now] [--verify]";
    char *pos[1], when[32];
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, pos, 1, &npos, &help) < 0 || help || npos != 1)
        return usage(line, opts, help);
    struct bc_ctx ctx;
    json_t *meta = NULL, *left = NULL;
    bool exists = false;
    if (bc_ctx_operator(&ctx, pos[0]) < 0) {
        bc_cli_error(cli->json, "no tenant %s", pos[0]);
        return 1;
    }
    if (bc_cli_route_tenant(cli, pos[0])) return 1; /* a placed tenant's partition is in its own store */
    int rc = bc_tenant_get(cli->env, &ctx, &meta);
    if (rc == BC_ENOT_FOUND) rc = bc_tenant_items_exist(cli->env, pos[0], &exists); /* a purge cut short? */
    if (rc < 0) {
        bc_cli_error(cli->json, "%s", bc_strerror(rc));
        return 1;
    }
    if (!meta && !exists) {
        bc_cli_error(cli->json, "no tenant %s", pos[0]);
        return 1;
    }
    if (meta) {
        const char *status = bc_field_str(meta, BC_F_STATUS);
        int64_t after = bc_tenant_purge_after(cli->env, meta);
        if (!status || strcmp(status, "DELETED") != 0) {
            bc_cli_error(cli->json, "tenant %s is %s: delete it first (bookchat tenant delete %s)", pos[0],
                         status ? status : "?", pos[0]);
            json_decref(meta);
            return 1;
        }
        if (!now && after > bc_now_s()) {
            bc_time_format_utc(after, when, sizeof when);
            bc_cli_error(cli->json, "tenant %s can be restored until %s; --now purges it at once", pos[0],
                         when);
            json_decref(meta);
            return 1;
        }
        json_decref(meta);
    }
    int n = bc_tenant_purge(cli->env, pos[0]);
    if (n < 0) {
        bc_cli_error(cli->json, "purge of %s failed: %s (run it again to finish)", pos[0], bc_strerror(n));
        return 1;
    }
    if (verify && (rc = bc_tenant_items_stray(cli->env, pos[0], &left)) < 0) {
        bc_cli_error(cli->json, "verification scan failed: %s", bc_strerror(rc));
        return 1;
    }
    size_t nleft = left ? json_array_size(left) : 0;
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:i, s:b}", "tenant_id", pos[0], "purged_items", n, "verified", verify);
        if (verify) json_object_set(o, "left", left);
        bc_cli_print_json(o);
    } else {
        printf("purged tenant %s: %d items deleted", pos[0], n);
        if (verify) printf("; full scan: %zu items of it left", nleft);
        printf("\n");
    }
    json_decref(left);
    if (nleft) {
        bc_cli_error(cli->json, "%zu items of tenant %s are still in the store", nleft, pos[0]);
        return 1;
    }
    return 0;
}
