/* Table-driven option parsing: --name value, --name=value, repeatable lists, "--" ends options. */
#include "util/opt.h"
#include "util/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *bc_opt_config_file;

void bc_strlist_release(struct bc_strlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static const struct bc_opt *find(const struct bc_opt *opts, const char *name, size_t len)
{
    for (const struct bc_opt *o = opts; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) return o;
    return NULL;
}

static int set_value(const struct bc_opt *o, const char *val)
{
    switch (o->type) {
    case BC_OPT_STR:
        *(const char **)o->dst = val;
        return 0;
    case BC_OPT_CFG:
        bc_config_set((enum bc_config_key)o->cfg, val);
        return 0;
    case BC_OPT_INT: {
        char *end;
        errno = 0;
        long v = strtol(val, &end, 10);
        if (errno || !*val || *end) {
            fprintf(stderr, "bookchat: --%s expects a number, got '%s'\n", o->name, val);
            return -1;
        }
        *(long *)o->dst = v;
        return 0;
    }
    case BC_OPT_LIST: {
        struct bc_strlist *l = o->dst;
        const char **nv = realloc(l->v, sizeof *nv * (size_t)(l->n + 1));
        if (!nv) return -1;
        nv[l->n++] = val;
        l->v = nv;
        return 0;
    }
    case BC_OPT_FLAG:
        break;
    }
    return -1;
}

int bc_opt_parse(const struct bc_opt *opts, int argc, char **argv, char **pos, int maxpos, int *npos,
                 bool *help)
{
    bool only_pos = false;
    *npos = 0;
    if (help) *help = false;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (*npos >= maxpos) {
                fprintf(stderr, "bookchat: unexpected argument '%s'\n", a);
                return -1;
            }
            pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            if (help) *help = true;
            continue;
        }
        /* one-letter options ("-o FILE") are table entries with a one-character name */
        bool short_opt = a[1] != '-' && a[2] == '\0';
        if (a[1] != '-' && !short_opt) {
            fprintf(stderr, "bookchat: unknown option '%s'\n", a);
            return -1;
        }
        const char *name = a + (short_opt ? 1 : 2), *eq = short_opt ? NULL : strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct bc_opt *o = find(opts, name, len);
        if (!o || (short_opt != (strlen(o->name) == 1))) {
            fprintf(stderr, "bookchat: unknown option '%s%.*s'\n", short_opt ? "-" : "--", (int)len, name);
            return -1;
        }
        if (o->type == BC_OPT_FLAG) {
            if (eq) {
                fprintf(stderr, "bookchat: --%s takes no value\n", o->name);
                return -1;
            }
            *(bool *)o->dst = true;
            continue;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bookchat: --%s needs a value\n", o->name);
                return -1;
            }
            val = argv[++i];
        }
        if (set_value(o, val) < 0) return -1;
    }
    return 0;
}

void bc_opt_usage(FILE *f, const char *usage, const struct bc_opt *opts)
{
    fprintf(f, "usage: %s\n", usage);
    if (!opts || !opts->name) return;
    fprintf(f, "\noptions:\n");
    for (const struct bc_opt *o = opts; o->name; o++) {
        char left[64];
        const char *dashes = strlen(o->name) == 1 ? "-" : "--";
        if (o->arg)
            snprintf(left, sizeof left, "%s%s %s", dashes, o->name, o->arg);
        else
            snprintf(left, sizeof left, "%s%s", dashes, o->name);
        fprintf(f, "  %-28s %s\n", left, o->help ? o->help : "");
    }
}
