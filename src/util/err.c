/* Lookups into the BC_ERR_MAP table. */
#include "util/err.h"

#include <stddef.h>

struct row {
    const char *code;
    int status;
    const char *msg;
};

static const struct row rows[] = {
#define XX(name, code, status, msg) {code, status, msg},
    BC_ERR_MAP(XX)
#undef XX
};

static const struct row *find(int err)
{
    int i = err - (BC__ERR_FIRST + 1);
    if (err >= 0 || i < 0 || i >= (int)(sizeof rows / sizeof rows[0])) return NULL;
    return &rows[i];
}

const char *bc_err_code(int err)
{
    const struct row *r = find(err);
    return r ? r->code : "internal";
}

int bc_err_status(int err)
{
    const struct row *r = find(err);
    return r ? r->status : 500;
}

const char *bc_strerror(int err)
{
    const struct row *r = find(err);
    if (err >= 0) return "ok";
    return r ? r->msg : "Unknown error.";
}
