/* Validation of JSON input against a small field table: types, required fields, integer ranges, string
 * lengths (in characters) and control characters, and no unknown fields. Every handler validates its body
 * with one table, so bad input gets one clear 400 message and changes nothing. */
#ifndef BC_JSONV_H
#define BC_JSONV_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum bc_jtype { BC_J_STRING = 1, BC_J_INT, BC_J_NUMBER, BC_J_BOOL, BC_J_OBJECT, BC_J_ARRAY };

enum bc_jflags {
    BC_JF_REQUIRED = 1,  /* must be present (and not null) */
    BC_JF_NULLABLE = 2,  /* null is accepted */
    BC_JF_MULTILINE = 4, /* strings may contain \n and \t */
};

struct bc_jfield {
    const char *name; /* NULL ends the table */
    enum bc_jtype type;
    unsigned flags;
    long long min, max; /* string: length in characters (default 0..200); int/number: value range (both 0:
                           any); array: item count (default 0..100) */
};

/* Checks every field of obj against the table; unknown fields are refused. Returns 0, or BC_EINVALID with
 * a one-line message in msg ("field 'name' must be a string of 1 to 80 characters"). */
int bc_json_check(json_t *obj, const struct bc_jfield *fields, char *msg, size_t msgsize);
/* Checks one string value: length in characters within [min,max] and no control characters (except \n, \t
 * when multiline). A single-line string (every name) also refuses C1 controls (U+0080–U+009F), the line
 * and paragraph separators U+2028/U+2029 and the bidirectional marks, embeddings, overrides and isolates
 * (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069). 0 or BC_EINVALID. */
int bc_json_check_string(const char *s, long long min, long long max, int multiline);
/* The words for what a single-line string must not hold, for error messages. */
#define BC_JSON_PLAIN_TEXT "without control or bidirectional-formatting characters"
/* True at a character that reorders or hides text, or breaks a line, where one line is expected (a name
 * shown to staff and customers, a mail subject): C1 controls (U+0080–U+009F, U+0085 among them), U+061C,
 * U+200E/U+200F, the line and paragraph separators U+2028/U+2029, the embeddings and overrides
 * U+202A–U+202E and the isolates U+2066–U+2069. p points into a NUL-terminated string (a NUL ends the
 * look-ahead); continuation bytes never match. All of these are 2 or 3 bytes long (their lead byte says). */
bool bc_utf8_line_breaking(const unsigned char *p);
/* Number of UTF-8 characters in s (s is valid UTF-8: jansson guarantees it). */
size_t bc_utf8_len(const char *s);

/* json_dumps(v, JSON_COMPACT) byte for byte (jansson writes objects in insertion order, the order their
 * iterator gives), appended to b, without jansson's per-character output callbacks: about 3 times faster.
 * Returns 0, BC_EINVALID where json_dumps would fail (a string that is not UTF-8; a top-level value that is
 * not an object or array is fine here) or BC_ENOMEM. */
struct bc_buf;
int bc_json_dump(struct bc_buf *b, json_t *v);
/* The same into a new string (caller frees; *len its length when len is not NULL), NULL where json_dumps
 * would return NULL: json_dumps(v, JSON_COMPACT) with less work. */
char *bc_json_dumps(json_t *v, size_t *len);

/* Shared read-only items (store.h's read-only reads) are handed out as const json_t *: jansson's reference
 * count is the only thing these touch (atomically), never the value, so they take const. */
static inline void bc_json_release(const json_t *j)
{
    json_decref((json_t *)j);
}
static inline const json_t *bc_json_ref(const json_t *j)
{
    return json_incref((json_t *)j);
}
/* A shared item as jansson containers take it (their API has no const): for an array or object that only
 * holds references to shared items and is itself read only. Greppable on purpose. */
static inline json_t *bc_json_shared(const json_t *j)
{
    return (json_t *)j;
}

#endif
