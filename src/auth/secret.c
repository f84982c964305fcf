/* Server secret loading/creation and key derivation (HMAC-SHA256 with a purpose label). */
#include "auth/secret.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/id.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Process-wide on purpose (this file's statics): the server secret is the process's identity, one per
 * process (the secret setting; every store it serves shares it, like the processes of one deployment), and
 * the two MAC caches below are derived from it and cleared whenever it changes. */

/* The keyed HMAC state of each purpose's derived key, ready for data: a MAC then costs one copy and the
 * hashing of the data, not the derivation and the two key blocks again. Set up on first use; cleared
 * whenever the secret changes. */
struct keyed_state {
    char label[32];
    crypto_auth_hmacsha256_state st;
};

/* Recent MACs of public inputs (widget keys: every page that embeds the widget shows its key), so that a
 * busy key is not hashed again on every request (two SHA-256 blocks, about 5 % of a widget read). A
 * direct-mapped table under striped mutexes; cleared whenever the secret changes. */
#define RECENT_SLOTS 1024
#define RECENT_LOCKS 16
#define RECENT_INPUT 64

struct recent_mac {
    char label[16];
    size_t len;
    unsigned char in[RECENT_INPUT];
    char hex[65];
};

static struct {
    unsigned char secret[64];
    size_t secret_len;
    struct keyed_state keyed[8];
    int nkeyed;
    pthread_mutex_t keyed_mu;
    struct recent_mac recent[RECENT_SLOTS];
    pthread_mutex_t recent_mu[RECENT_LOCKS];
} S = {.keyed_mu = PTHREAD_MUTEX_INITIALIZER,
       .recent_mu = {[0 ... RECENT_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER}};

static void keyed_clear(void)
{
    pthread_mutex_lock(&S.keyed_mu);
    sodium_memzero(S.keyed, sizeof S.keyed);
    S.nkeyed = 0;
    pthread_mutex_unlock(&S.keyed_mu);
    for (int i = 0; i < RECENT_LOCKS; i++) pthread_mutex_lock(&S.recent_mu[i]);
    memset(S.recent, 0, sizeof S.recent);
    for (int i = RECENT_LOCKS - 1; i >= 0; i--) pthread_mutex_unlock(&S.recent_mu[i]);
}

void bc_secret_set_for_tests(const unsigned char *s, size_t len)
{
    if (len > sizeof S.secret) len = sizeof S.secret;
    memcpy(S.secret, s, len);
    S.secret_len = len;
    keyed_clear();
}

int bc_secret_init(const char *configured, const char *data_dir, char *err, size_t errsize)
{
    keyed_clear();
    if (configured && *configured) {
        size_t n = strlen(configured);
        if (n < 32) {
            snprintf(err, errsize, "the secret setting must be at least 32 characters");
            return BC_EINVALID;
        }
        /* hash it down so any length works */
        unsigned int outl = 0;
        EVP_Digest(configured, n, S.secret, &outl, EVP_sha256(), NULL);
        S.secret_len = outl;
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/secret", data_dir);
    mkdir(data_dir, 0700);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        char hex[129] = "";
        ssize_t r = read(fd, hex, sizeof hex - 1);
        close(fd);
        size_t bin_len = 0;
        if (r < 64 || sodium_hex2bin(S.secret, sizeof S.secret, hex, (size_t)r, "\n", &bin_len, NULL) != 0 ||
            bin_len < 32) {
            snprintf(err, errsize, "%s is not a valid secret file", path);
            return BC_EINVALID;
        }
        S.secret_len = bin_len;
        return 0;
    }
    /* first start: create it atomically and privately */
    unsigned char fresh[32];
    char hex[65];
    bc_random(fresh, sizeof fresh);
    bc_hex(fresh, sizeof fresh, hex);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 && errno == EEXIST) return bc_secret_init(NULL, data_dir, err, errsize); /* lost a race */
    if (fd < 0) {
        snprintf(err, errsize, "cannot create %s: %s", path, strerror(errno));
        return BC_EIO;
    }
    int ok = write(fd, hex, 64) == 64 && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        snprintf(err, errsize, "cannot write %s", path);
        return BC_EIO;
    }
    memcpy(S.secret, fresh, sizeof fresh);
    S.secret_len = sizeof fresh;
    sodium_memzero(fresh, sizeof fresh);
    return 0;
}

/* HMAC-SHA256 with libsodium: the same bytes as OpenSSL's HMAC(), without its per-call algorithm fetch and
 * context allocation (a widget request hashes its API key, a chat turn its conversation token). */
void bc_secret_derive(const char *label, unsigned char out[32])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, S.secret, S.secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, strlen(label));
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

void bc_secret_hmac_hex(const char *label, const void *data, size_t len, char out[65])
{
    unsigned char mac[32];
    crypto_auth_hmacsha256_state st;
    bool found = false;
    pthread_mutex_lock(&S.keyed_mu);
    for (int i = 0; i < S.nkeyed && !found; i++) {
        if (strcmp(S.keyed[i].label, label) == 0) {
            st = S.keyed[i].st;
            found = true;
        }
    }
    pthread_mutex_unlock(&S.keyed_mu);
    if (!found) {
        unsigned char k[32];
        bc_secret_derive(label, k);
        crypto_auth_hmacsha256_init(&st, k, sizeof k);
        sodium_memzero(k, sizeof k);
        pthread_mutex_lock(&S.keyed_mu);
        if (S.nkeyed < (int)(sizeof S.keyed / sizeof S.keyed[0]) && strlen(label) < sizeof S.keyed[0].label) {
            snprintf(S.keyed[S.nkeyed].label, sizeof S.keyed[0].label, "%s", label);
            S.keyed[S.nkeyed++].st = st;
        }
        pthread_mutex_unlock(&S.keyed_mu);
    }
    crypto_auth_hmacsha256_update(&st, data, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
    bc_hex(mac, 32, out);
}

void bc_secret_hmac_hex_public(const char *label, const void *data, size_t len, char out[65])
{
    size_t ll = strlen(label);
    if (len > RECENT_INPUT || ll >= sizeof S.recent[0].label) {
        bc_secret_hmac_hex(label, data, len, out);
        return;
    }
    uint64_t h = bc_fnv1a(bc_fnv1a(BC_FNV1A_INIT, label, ll), data, len);
    size_t slot = (size_t)(h % RECENT_SLOTS);
    pthread_mutex_t *mu = &S.recent_mu[slot % RECENT_LOCKS];
    struct recent_mac *r = &S.recent[slot];
    bool hit = false;
    pthread_mutex_lock(mu);
    if (r->hex[0] && r->len == len && strcmp(r->label, label) == 0 && memcmp(r->in, data, len) == 0) {
        memcpy(out, r->hex, 65);
        hit = true;
    }
    pthread_mutex_unlock(mu);
    if (hit) return;
    bc_secret_hmac_hex(label, data, len, out);
    pthread_mutex_lock(mu);
    memcpy(r->label, label, ll + 1);
    r->len = len;
    memcpy(r->in, data, len);
    memcpy(r->hex, out, 65);
    pthread_mutex_unlock(mu);
}
