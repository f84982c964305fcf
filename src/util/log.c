/* JSON-lines logger to stderr: whole lines, never interleaved; access lines buffered while a server runs. */
#include "util/log.h"
#include "util/clock.h"
#include "util/err.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
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

/* One write(2) per line, under the mutex: lines from threads never interleave, even when one is longer
 * than a pipe writes atomically (PIPE_BUF). Busy servers buffer their access lines (below), so this
 * mutex sees a write per batch rather than per request. */
static void write_line(const char *line, size_t n)
{
    pthread_mutex_lock(&mu);
    write_all(line, n);
    pthread_mutex_unlock(&mu);
}

/* Buffered access lines. A system call per request was about 5 % of a widget read's CPU (and the mutex
 * around it made threads wait for each other), so while a server runs each thread appends its access lines
 * to its own buffer; one flusher thread writes every buffer FLUSH_MS after it stops being empty, and a
 * full buffer is written by its own thread. Lines are whole in every write; an access line reaches the log
 * at most FLUSH_MS late, and a SIGKILL loses at most that much of the access log (never other lines, which
 * are written at once). */
#define TB_SIZE  16384
#define FLUSH_MS 10

struct tbuf {
    pthread_mutex_t mu;
    size_t len;
    struct tbuf *next;
    char data[TB_SIZE];
};

static struct tbuf *tbufs; /* every thread's buffer (threads of a server live until it stops), under gmu */
static pthread_mutex_t gmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gcond = PTHREAD_COND_INITIALIZER;
static atomic_bool buffering, pending, stopping;
static pthread_t flusher;
static _Thread_local struct tbuf *mine;

static void tb_flush(struct tbuf *b)
{
    pthread_mutex_lock(&b->mu);
    if (b->len) write_line(b->data, b->len);
    b->len = 0;
    pthread_mutex_unlock(&b->mu);
}

static void flush_all(void)
{
    pthread_mutex_lock(&gmu);
    for (struct tbuf *b = tbufs; b; b = b->next) tb_flush(b);
    pthread_mutex_unlock(&gmu);
}

static void *flusher_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&gmu);
        while (!atomic_load(&pending) && !atomic_load(&stopping)) pthread_cond_wait(&gcond, &gmu);
        bool stop = atomic_load(&stopping);
        pthread_mutex_unlock(&gmu);
        if (!stop) {
            struct timespec ts = {0, FLUSH_MS * 1000 * 1000};
            nanosleep(&ts, NULL); /* let the batch grow */
        }
        atomic_store(&pending, false); /* before flushing: a line added meanwhile asks for another pass */
        flush_all();
        if (stop) return NULL;
    }
}

/* Appends a whole line to this thread's buffer; false when it must be written directly. */
static bool tb_append(const char *line, size_t n)
{
    if (!atomic_load(&buffering) || n > TB_SIZE) return false;
    struct tbuf *b = mine;
    if (!b) {
        if (!(b = calloc(1, sizeof *b))) return false;
        pthread_mutex_init(&b->mu, NULL);
        pthread_mutex_lock(&gmu);
        b->next = tbufs;
        tbufs = b;
        pthread_mutex_unlock(&gmu);
        mine = b;
    }
    pthread_mutex_lock(&b->mu);
    if (b->len + n > TB_SIZE) {
        write_line(b->data, b->len);
        b->len = 0;
    }
    bool was_empty = b->len == 0;
    memcpy(b->data + b->len, line, n);
    b->len += n;
    pthread_mutex_unlock(&b->mu);
    if (was_empty && !atomic_exchange(&pending, true)) {
        pthread_mutex_lock(&gmu);
        pthread_cond_signal(&gcond);
        pthread_mutex_unlock(&gmu);
    }
    return true;
}

int bc_log_access_buffering(bool on)
{
    if (on) {
        if (atomic_load(&buffering)) return 0;
        atomic_store(&stopping, false);
        if (pthread_create(&flusher, NULL, flusher_main, NULL) != 0) return BC_EINTERNAL;
        atomic_store(&buffering, true);
        return 0;
    }
    if (!atomic_exchange(&buffering, false)) return 0;
    pthread_mutex_lock(&gmu);
    atomic_store(&stopping, true);
    pthread_cond_signal(&gcond);
    pthread_mutex_unlock(&gmu);
    pthread_join(flusher, NULL); /* its last pass flushes every buffer */
    flush_all();                 /* and what a thread appended after that pass */
    return 0;
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

static void log_fields(enum bc_log_level level, const char *fields, size_t n, bool buffered)
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
    if (!buffered || !tb_append(line, total)) write_line(line, total);
    if (line != stack) free(line);
}

void bc_log_fields(enum bc_log_level level, const char *fields, size_t n)
{
    log_fields(level, fields, n, false);
}

void bc_log_access(const char *fields, size_t n)
{
    log_fields(BC_LOG_INFO, fields, n, true);
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
