/* bookchat backup DEST | bookchat restore SRC: a consistent hot copy of the LMDB store (taken while the
 * server runs and writes) and its restoration into an empty data directory. The server secret file goes
 * with the copy, so that restored API keys, sign-ins and booking links keep working. DynamoDB stores are
 * backed up by the engine (point-in-time recovery, on-demand backups), not by bookchat. */
#include "cmd/cmd.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/opt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* DATA/secret, or NULL when the secret comes from the secret setting (then there is no file to carry). */
static const char *secret_file(char *buf, size_t size)
{
    const char *configured = bc_config_get(BC_CFG_SECRET);
    if (configured && *configured) return NULL;
    snprintf(buf, size, "%s/secret", bc_config_get(BC_CFG_DATA));
    return buf;
}

static long long file_size(const char *dir)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The one path argument of backup and restore; usage (and its help text) when it is not there. */
static int parse_path(struct bc_cli *cli, const char *line, const char *help_text)
{
    bool help = false;
    const struct bc_opt opts[] = {BC_OPT_COMMON(&cli->json), {0}};
    char *pos[1];
    int npos;
    if (bc_opt_parse(opts, cli->argc, cli->argv, pos, 1, &npos, &help) < 0 || help || npos != 1) {
        bc_opt_usage(help ? stdout : stderr, line, opts);
        if (help) printf("%s", help_text);
        return help ? 0 : 2;
    }
    const char **path = bc_cli_opts(cli, sizeof *path);
    if (!path) return 1;
    *path = pos[0];
    return BC_CLI_GO;
}

int cmd_backup_parse(struct bc_cli *cli)
{
    return parse_path(cli, "bookchat backup DEST [--data DIR | --store lmdb:DIR] [--json]",
                      "\nCopies the store while the server keeps running (LMDB, compacted, one consistent "
                      "snapshot)\n"
                      "into DEST (a new or empty directory), with the server secret file. DynamoDB: use its\n"
                      "point-in-time recovery or on-demand backups.\n");
}

int cmd_backup(struct bc_cli *cli)
{
    const char *dest = *(const char **)cli->opts;
    char err[512] = "", sfile[4200], sdest[4200];
    int64_t t0 = bc_mono_ns();
    int rc = bc_store_backup(cli->store, dest, err, sizeof err);
    if (rc < 0) {
        bc_cli_error(cli->json, "backup failed: %s", err[0] ? err : bc_strerror(rc));
        return 1;
    }
    bool secret = false;
    if (secret_file(sfile, sizeof sfile) && access(sfile, R_OK) == 0) {
        snprintf(sdest, sizeof sdest, "%s/secret", dest);
        if (bc_cli_copy_file(sfile, sdest) < 0) {
            bc_cli_error(cli->json, "the store was copied but not the secret file (%s): %s", sdest,
                         strerror(errno));
            return 1;
        }
        secret = true;
    }
    double secs = (double)(bc_mono_ns() - t0) / 1e9;
    if (cli->json) {
        bc_cli_print_json(json_pack("{s:s, s:I, s:b, s:f}", "backup", dest, "bytes",
                                    (json_int_t)file_size(dest), "secret", secret, "seconds", secs));
    } else {
        printf("backup written to %s: %lld bytes in %.2f s%s\n", dest, file_size(dest), secs,
               secret ? ", with the server secret (keep it private)" : "");
    }
    return 0;
}

int cmd_restore_parse(struct bc_cli *cli)
{
    return parse_path(cli, "bookchat restore SRC [--data DIR | --store lmdb:DIR] [--json]",
                      "\nRestores a backup made by 'bookchat backup' into the data directory, which must not "
                      "hold a\n"
                      "store yet (stop the server, move the old directory away, restore, start).\n");
}

int cmd_restore(struct bc_cli *cli)
{
    const char *src = *(const char **)cli->opts;
    char err[512] = "", url[4096], sfile[4200], ssrc[4200];
    bc_cli_store_url(url, sizeof url);
    int rc = bc_store_restore(url, src, err, sizeof err);
    if (rc < 0) {
        bc_cli_error(cli->json, "restore failed: %s", err[0] ? err : bc_strerror(rc));
        return 1;
    }
    const char *secret = "none in the backup";
    snprintf(ssrc, sizeof ssrc, "%s/secret", src);
    if (access(ssrc, R_OK) == 0 && secret_file(sfile, sizeof sfile)) {
        mkdir(bc_config_get(BC_CFG_DATA), 0700);
        if (bc_cli_copy_file(ssrc, sfile) == 0)
            secret = "restored";
        else if (errno == EEXIST)
            secret = "kept the data directory's own (keys and sign-ins of the backup need the backup's)";
        else {
            bc_cli_error(cli->json, "the store was restored but not the secret file (%s): %s", sfile,
                         strerror(errno));
            return 1;
        }
    } else if (access(ssrc, R_OK) == 0) {
        secret = "from the secret setting";
    }
    if (cli->json) {
        bc_cli_print_json(json_pack("{s:s, s:s, s:s}", "restored", src, "store", url, "secret", secret));
    } else {
        printf("restored %s into %s (store check passed); secret: %s\n", src, url, secret);
    }
    return 0;
}
