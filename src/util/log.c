/* JSON-lines logger. One mutex-protected write per line so lines from threads never interleave. */
#include "util/log.h"
#include "util/clock.h"
#include "util/err.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum bc_log_level min_level = BC_LOG_INFO;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const char *names[] = {"debug", "info", "warn", "error", "off"};

void bc_log_set_level(enum bc_log_level level)
{
    min_level = level;
}

int bc_log_set_level_name(const char *name)
{
    for (int i = 0; i <= BC_LOG_OFF; i++) {
        if (strcmp(name, names[i]) == 0) {
            min_level = (enum bc_log_level)i;
            return 0;
        }
    }
    return BC_EINVALID;
}

int bc_log_enabled(enum bc_log_level level)
{
    return level >= min_level && min_level != BC_LOG_OFF;
}

void bc_log_obj(enum bc_log_level level, json_t *obj)
{
    if (!obj) return;
    if (!bc_log_enabled(level)) {
        json_decref(obj);
        return;
    }
    char ts[32];
    bc_now_iso(ts);
    json_t *line = json_object();
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(names[level]));
    json_object_update(line, obj);
    json_decref(obj);
    char *s = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(line);
    if (!s) return;
    pthread_mutex_lock(&mu);
    fputs(s, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&mu);
    free(s);
}

void bc_log(enum bc_log_level level, const char *fmt, ...)
{
    if (!bc_log_enabled(level)) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_object();
    json_object_set_new(o, "msg", json_string(msg));
    bc_log_obj(level, o);
}
