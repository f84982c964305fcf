/* Password hashing with Argon2id (libsodium), and generation of one-time passwords. */
#ifndef BC_PASSWORD_H
#define BC_PASSWORD_H
#include <stdbool.h>
#include <stddef.h>

#define BC_PASSWORD_HASH_SIZE 128
#define BC_PASSWORD_MIN       8
#define BC_PASSWORD_MAX       128

/* Hashes password into out (an encoded "$argon2id$…" string). 0, BC_EINVALID (length) or BC_ENOMEM. */
int bc_password_hash(const char *password, char out[BC_PASSWORD_HASH_SIZE]);
/* True when password matches the encoded hash (constant-time). */
bool bc_password_verify(const char *hash, const char *password);
/* Like bc_password_verify, but always spends exactly one Argon2id verification: a NULL or malformed hash
 * (no such user, no password set) is replaced by a fixed dummy hash of the same cost, and false returned.
 * Sign-in uses it so that every failure costs the same whatever its cause. */
bool bc_password_check(const char *hash, const char *password);
/* Argon2id verifications done by this process so far (for tests that count them per path). */
unsigned long bc_password_verifications(void);
/* A random password of 20 characters (letters and digits) into out[21]. */
void bc_password_generate(char out[21]);

#endif
