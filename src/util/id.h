/* Identifiers and secrets: time-sortable ULIDs, random tokens, base64url. Randomness from libsodium. */
#ifndef BC_ID_H
#define BC_ID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BC_ID_LEN 26 /* a ULID: 48-bit ms time + 80 random bits, Crockford base32 */

/* Initialises libsodium; call once at start-up (safe to call again). Returns 0 or BC_EINTERNAL. */
int bc_id_global_init(void);
/* Writes a new ULID and a NUL into out[BC_ID_LEN + 1]. Sortable by creation time. */
void bc_id_new(char out[BC_ID_LEN + 1]);
/* True when s is a syntactically valid ULID (26 Crockford base32 chars, upper case). */
int bc_id_valid(const char *s);
/* Random bytes from the OS CSPRNG. */
void bc_random(void *buf, size_t n);
/* prefix + base64url(nbytes random) into a malloc'd string the caller frees. */
char *bc_token_new(const char *prefix, size_t nbytes);
/* base64url without padding. Encode: out must hold bc_b64url_len(n) bytes (NUL included). */
size_t bc_b64url_len(size_t n);
void bc_b64url_encode(const void *in, size_t n, char *out);
/* Decode: returns the decoded length, or BC_EINVALID. */
int bc_b64url_decode(const char *in, size_t inlen, void *out, size_t outcap);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void bc_hex(const void *in, size_t n, char *out);
/* An id usable inside a store key: 1..64 chars of [A-Za-z0-9_.:@+-] (no '#', no control chars). */
bool bc_key_id_ok(const char *id);

#endif
