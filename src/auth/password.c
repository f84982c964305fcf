/* Argon2id parameters: t=2, m=19 MiB (the OWASP recommendation), so a login costs tens of milliseconds and
 * modest memory; hashes carry their parameters, so raising them later keeps old hashes valid. */
#include "auth/password.h"
#include "util/err.h"

#include <sodium.h>
#include <string.h>

#define OPS 2
#define MEM (19u << 20)

int bc_password_hash(const char *password, char out[BC_PASSWORD_HASH_SIZE])
{
    size_t n = strlen(password);
    if (n < BC_PASSWORD_MIN || n > BC_PASSWORD_MAX) return BC_EINVALID;
    return crypto_pwhash_str_alg(out, password, n, OPS, MEM, crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0
                                                                                                : BC_ENOMEM;
}

bool bc_password_verify(const char *hash, const char *password)
{
    if (!hash || !password || strncmp(hash, "$argon2id$", 10) != 0) return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void bc_password_generate(char out[21])
{
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    for (int i = 0; i < 20; i++) out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[20] = '\0';
}
