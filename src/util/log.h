/* Structured logging: one JSON object per line on stderr (access log, events, errors). Never log secrets:
 * callers pass only identifiers, never keys, tokens, passwords or request bodies. */
#ifndef BC_LOG_H
#define BC_LOG_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum bc_log_level { BC_LOG_DEBUG, BC_LOG_INFO, BC_LOG_WARN, BC_LOG_ERROR, BC_LOG_OFF };

/* "debug" | "info" | "warn" | "error" | "off"; returns 0 or BC_EINVALID. */
int bc_log_set_level_name(const char *name);
void bc_log_set_level(enum bc_log_level level);
int bc_log_enabled(enum bc_log_level level);
/* {"ts":…,"level":…,"msg":…} */
void bc_log(enum bc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs obj with "ts" and "level" added; takes ownership of obj. */
void bc_log_obj(enum bc_log_level level, json_t *obj);
/* Logs a line whose members after "ts" and "level" are already JSON: fields holds `"name":value,…` (n bytes,
 * no braces). For the access log, which writes its line without building jansson values. */
void bc_log_fields(enum bc_log_level level, const char *fields, size_t n);
/* An access line (level info, fields as for bc_log_fields): buffered while bc_log_access_buffering is on. */
void bc_log_access(const char *fields, size_t n);
/* On (a server starts): access lines go to per-thread buffers that a flusher thread writes within 10 ms.
 * Off (it stopped): every buffer is written and the flusher ends. Returns 0 or BC_EINTERNAL. */
int bc_log_access_buffering(bool on);

#endif
