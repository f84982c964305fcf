/* Helpers shared by the subcommands: configuration, store opening, error and JSON output. */
#include "auth/secret.h"
#include "cmd/cmd.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "domain/env.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/id.h"
#include "util/log.h"
#include "util/opt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bc_cli_error(bool json, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (json) {
        json_t *m = json_string(msg);
        json_t *o =
            json_pack("{s:{s:s, s:o}}", "error", "code", "error", "message", m ? m : json_string("?"));
        char *s = json_dumps(o, JSON_COMPACT);
        fprintf(stderr, "%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "bookchat: %s\n", msg);
    }
}

void bc_cli_print_json(json_t *obj)
{
    char *s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) printf("%s\n", s);
    free(s);
    json_decref(obj);
    fflush(stdout);
}

int bc_cli_init(bool json)
{
    char err[512] = "";
    bc_clock_init();
    if (bc_id_global_init() < 0) {
        bc_cli_error(json, "cannot initialise the random number generator");
        return 1;
    }
    if (bc_config_load(bc_opt_config_file, err, sizeof err) < 0) {
        bc_cli_error(json, "%s", err);
        return 1;
    }
    if (bc_log_set_level_name(bc_config_get(BC_CFG_LOG_LEVEL)) < 0) {
        bc_cli_error(json, "log_level must be debug, info, warn, error or off");
        return 1;
    }
    long days = bc_config_int(BC_CFG_TENANT_RETENTION_DAYS, -1);
    if (days < 0 || days > 36500) {
        bc_cli_error(json, "tenant_retention_days must be 0..36500");
        return 1;
    }
    return 0;
}

const char *bc_cli_store_url(char *buf, size_t size)
{
    const char *url = bc_config_get(BC_CFG_STORE);
    if (url && *url) {
        snprintf(buf, size, "%s", url);
    } else {
        snprintf(buf, size, "lmdb:%s", bc_config_get(BC_CFG_DATA));
    }
    return buf;
}

int bc_cli_open_store(bool json, struct bc_store **out)
{
    char url[4096], err[512] = "";
    bc_cli_store_url(url, sizeof url);
    if (bc_store_open(url, out, err, sizeof err) < 0) {
        bc_cli_error(json, "cannot open store: %s", err[0] ? err : url);
        return 1;
    }
    return 0;
}

int bc_cli_setup(bool json, struct bc_env **out)
{
    char err[512] = "";
    struct bc_store *st = NULL;
    *out = NULL;
    if (bc_cli_open_store(json, &st)) return 1;
    struct bc_env *env = bc_env_new(st);
    int rc = env ? 0 : BC_ENOMEM;
    if (env) env->retention_s = (int64_t)bc_config_int(BC_CFG_TENANT_RETENTION_DAYS, 30) * 86400;
    if (rc == 0)
        rc = bc_secret_init(bc_config_get(BC_CFG_SECRET), bc_config_get(BC_CFG_DATA), err, sizeof err);
    if (rc == 0) rc = bc_plan_ensure_defaults(env);
    if (rc < 0) {
        bc_cli_error(json, "%s", err[0] ? err : "cannot initialise the store");
        bc_cli_close(env);
        if (!env) bc_store_close(st);
        return 1;
    }
    *out = env;
    return 0;
}

void bc_cli_close(struct bc_env *env)
{
    if (!env) return;
    struct bc_store *st = env->store;
    bc_env_free(env);
    bc_store_close(st);
}

const char *bc_cli_public_url(void)
{
    static char buf[300];
    const char *pub = bc_config_get(BC_CFG_PUBLIC_URL);
    if (pub && *pub) return pub;
    snprintf(buf, sizeof buf, "http://%s", bc_config_get(BC_CFG_LISTEN));
    return buf;
}

int bc_cli_take_globals(int argc, char **argv, char **rest, bool *json)
{
    static const struct {
        const char *name;
        int key; /* -1: the config file */
    } globals[] = {{"data", BC_CFG_DATA}, {"store", BC_CFG_STORE}, {"config", -1}};
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        int key = -2;
        if (strcmp(a, "--json") == 0) {
            *json = true;
            continue;
        }
        for (size_t g = 0; g < sizeof globals / sizeof globals[0] && key == -2; g++) {
            size_t l = strlen(globals[g].name);
            if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, globals[g].name, l) != 0) continue;
            if (a[2 + l] == '=') {
                val = a + 3 + l;
                key = globals[g].key;
            } else if (a[2 + l] == '\0' && i + 1 < argc) {
                val = argv[++i];
                key = globals[g].key;
            }
        }
        if (key == -2) {
            rest[n++] = argv[i];
        } else if (key == -1) {
            bc_opt_config_file = val;
        } else {
            bc_config_set((enum bc_config_key)key, val);
        }
    }
    return n;
}

int bc_cli_copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    if (in < 0) return -1;
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) goto done;
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) goto done;
    if (n == 0 && fsync(out) == 0) rc = 0;
done:
    if (in >= 0) close(in);
    if (out >= 0 && close(out) != 0) rc = -1;
    if (rc < 0 && out >= 0) unlink(to);
    return rc;
}
