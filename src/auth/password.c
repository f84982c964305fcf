/* Argon2id parameters: t=2, m=19 MiB (the OWASP recommendation), so a login costs tens of milliseconds and
 * modest memory; hashes carry their parameters, so raising them later keeps old hashes valid. */
#include "auth/password.h"
#include "util/err.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
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

/* Process-wide on purpose: a count of Argon2 verifications, only read by tests (one per sign-in). */
static atomic_ulong verifications;

/* Process-wide on purpose: a hash of a random password made once and never changed, the same for every
 * store, so that a sign-in for an unknown e-mail costs one Argon2 check like a wrong password. */
static char dummy_hash[BC_PASSWORD_HASH_SIZE];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    char pw[21];
    bc_password_generate(pw);
    bc_password_hash(pw, dummy_hash);
}

static bool well_formed(const char *hash)
{
    return hash && strncmp(hash, "$argon2id$", 10) == 0;
}

bool bc_password_verify(const char *hash, const char *password)
{
    if (!password || !well_formed(hash)) return false;
    atomic_fetch_add(&verifications, 1);
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool bc_password_check(const char *hash, const char *password)
{
    if (!password) password = "";
    if (well_formed(hash)) return bc_password_verify(hash, password);
    pthread_once(&dummy_once, make_dummy);
    bc_password_verify(dummy_hash, password);
    return false;
}

unsigned long bc_password_verifications(void)
{
    return atomic_load(&verifications);
}

void bc_password_generate(char out[21])
{
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    for (int i = 0; i < 20; i++) out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[20] = '\0';
}
