/* A growable byte buffer (always NUL-terminated), for building strings and bodies. */
#ifndef BC_BUF_H
#define BC_BUF_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct bc_buf {
    char *data; /* NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
};

#define BC_BUF_INIT                                                                                          \
    {                                                                                                        \
        NULL, 0, 0                                                                                           \
    }

void bc_buf_init(struct bc_buf *b);
/* Frees the contents; the struct can be reused after bc_buf_init. */
void bc_buf_release(struct bc_buf *b);
/* Each returns 0 or BC_ENOMEM. */
int bc_buf_reserve(struct bc_buf *b, size_t extra);
int bc_buf_append(struct bc_buf *b, const void *data, size_t n);
int bc_buf_puts(struct bc_buf *b, const char *s);
int bc_buf_putc(struct bc_buf *b, char c);
int bc_buf_printf(struct bc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int bc_buf_vprintf(struct bc_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void bc_buf_reset(struct bc_buf *b);
/* JSON output without building jansson values, byte for byte what jansson's json_dumps writes (compact,
 * no JSON_ENSURE_ASCII): bc_buf_json_str appends s as a quoted JSON string, or returns BC_EINVALID and
 * appends nothing when s is not valid UTF-8 (where json_string() would return NULL); bc_buf_json_real
 * appends a real as JSON_REAL_PRECISION(precision) prints it (precision 0: jansson's default, 17). Both
 * return 0, BC_EINVALID or BC_ENOMEM. */
int bc_buf_json_str(struct bc_buf *b, const char *s);
int bc_buf_json_strn(struct bc_buf *b, const char *s, size_t n);
int bc_buf_json_real(struct bc_buf *b, double v, int precision);
/* v in decimal into out (NUL-terminated, at most 20 digits); returns the number of digits. printf's "%llu"
 * without its format parsing, for the hot paths (access lines, headers, JSON integers). */
size_t bc_fmt_uint(uint64_t v, char out[21]);
/* Appends v in decimal. Returns 0 or BC_ENOMEM. */
int bc_buf_put_uint(struct bc_buf *b, uint64_t v);
/* Returns the contents (caller frees with free()) and leaves the buffer empty; never NULL unless OOM. */
char *bc_buf_detach(struct bc_buf *b, size_t *len);

#endif
