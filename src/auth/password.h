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
/* A random password of 20 characters (letters and digits) into out[21]. */
void bc_password_generate(char out[21]);

#endif
