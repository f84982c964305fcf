/* JSON-lines logger to stderr: one write(2) per line, so lines from threads never interleave. */
#include "util/log.h"
#include "util/clock.h"
#include "util/err.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static void write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* nowhere to log to */
        p += w;
        n -= (size_t)w;
    }
}

/* One write(2) per line. The kernel keeps a write of at most PIPE_BUF bytes to a pipe, and a write to a
 * regular file, whole: lines from threads never interleave, and the common short line (every request's
 * access line) needs no lock, so a thread never waits for another's system call. Longer lines take the
 * mutex among themselves. */
static void write_line(const char *line, size_t n)
{
    if (n <= PIPE_BUF) {
        write_all(line, n);
        return;
    }
    pthread_mutex_lock(&mu);
    write_all(line, n);
    pthread_mutex_unlock(&mu);
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
    size_t n = strlen(s);
    s[n] = '\n'; /* over the NUL: the line and its newline in one write */
    write_line(s, n + 1);
    free(s);
}

void bc_log_fields(enum bc_log_level level, const char *fields, size_t n)
{
    if (!bc_log_enabled(level)) return;
    char ts[32], head[96], stack[1024];
    bc_now_iso(ts);
    int hl = snprintf(head, sizeof head, "{\"ts\":\"%s\",\"level\":\"%s\"%s", ts, names[level], n ? "," : "");
    if (hl < 0 || (size_t)hl >= sizeof head) return;
    size_t total = (size_t)hl + n + 2;
    char *line = total <= sizeof stack ? stack : malloc(total);
    if (!line) return;
    memcpy(line, head, (size_t)hl);
    memcpy(line + hl, fields, n);
    line[hl + n] = '}';
    line[hl + n + 1] = '\n';
    write_line(line, total);
    if (line != stack) free(line);
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
