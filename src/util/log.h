/* Structured logging: one JSON object per line on stderr (access log, events, errors). Never log secrets:
 * callers pass only identifiers, never keys, tokens, passwords or request bodies. */
#ifndef BC_LOG_H
#define BC_LOG_H
#include <jansson.h>

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

#endif
