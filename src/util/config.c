/* Settings from flags > environment > config file > defaults. Values are kept per source so that loading
 * the file after parsing flags cannot override a flag. */
#include "util/config.h"
#include "util/err.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    const char *name, *def, *help;
};

static const struct entry table[BC_CFG__COUNT] = {
#define XX(e, name, def, help) {name, def, help},
    BC_CONFIG_MAP(XX)
#undef XX
};

enum { SRC_FLAG, SRC_ENV, SRC_FILE, SRC__N };
static char *values[SRC__N][BC_CFG__COUNT];

static void set_src(int src, int key, const char *v)
{
    free(values[src][key]);
    values[src][key] = v ? strdup(v) : NULL;
}

void bc_config_set(enum bc_config_key key, const char *value)
{
    if (key < BC_CFG__COUNT) set_src(SRC_FLAG, key, value);
}

void bc_config_reset(void)
{
    for (int s = 0; s < SRC__N; s++)
        for (int k = 0; k < BC_CFG__COUNT; k++) set_src(s, k, NULL);
}

const char *bc_config_get(enum bc_config_key key)
{
    if (key >= BC_CFG__COUNT) return NULL;
    for (int s = 0; s < SRC__N; s++)
        if (values[s][key]) return values[s][key];
    return table[key].def;
}

long bc_config_int(enum bc_config_key key, long def)
{
    const char *v = bc_config_get(key);
    if (!v || !*v) return def;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    return (errno || *end) ? def : n;
}

bool bc_config_bool(enum bc_config_key key)
{
    const char *v = bc_config_get(key);
    return v &&
           (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0);
}

const char *bc_config_name(enum bc_config_key key)
{
    return key < BC_CFG__COUNT ? table[key].name : NULL;
}

const char *bc_config_help(enum bc_config_key key)
{
    return key < BC_CFG__COUNT ? table[key].help : NULL;
}

const char *bc_config_default(enum bc_config_key key)
{
    return key < BC_CFG__COUNT ? table[key].def : NULL;
}

static int find_key(const char *name)
{
    for (int k = 0; k < BC_CFG__COUNT; k++)
        if (strcmp(table[k].name, name) == 0) return k;
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static int load_file(const char *file, char *err, size_t errsize)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(err, errsize, "cannot read config file %s: %s", file, strerror(errno));
        return BC_EIO;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errsize, "%s:%d: expected 'name = value'", file, lineno);
            rc = BC_EINVALID;
            break;
        }
        *eq = '\0';
        char *name = trim(s), *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = '\0';
            val++;
        }
        int k = find_key(name);
        if (k < 0) {
            snprintf(err, errsize, "%s:%d: unknown setting '%s'", file, lineno, name);
            rc = BC_EINVALID;
            break;
        }
        set_src(SRC_FILE, k, val);
    }
    fclose(f);
    return rc;
}

int bc_config_load(const char *file, char *err, size_t errsize)
{
    for (int k = 0; k < BC_CFG__COUNT; k++) {
        char env[96] = "BOOKCHAT_";
        size_t n = strlen(env);
        for (const char *p = table[k].name; *p && n < sizeof env - 1; p++)
            env[n++] = (char)toupper((unsigned char)*p);
        env[n] = '\0';
        const char *v = getenv(env);
        set_src(SRC_ENV, k, v && *v ? v : NULL);
    }
    if (!file) file = getenv("BOOKCHAT_CONFIG");
    if (file && *file) return load_file(file, err, errsize);
    return 0;
}
