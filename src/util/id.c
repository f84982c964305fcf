/* ULIDs and random tokens. ULIDs are monotonic within a process for ids made in the same millisecond. */
#include "util/id.h"
#include "util/clock.h"
#include "util/err.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int bc_id_global_init(void)
{
    return sodium_init() < 0 ? BC_EINTERNAL : 0;
}

void bc_random(void *buf, size_t n)
{
    randombytes_buf(buf, n);
}

void bc_id_new(char out[BC_ID_LEN + 1])
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t last_ms;
    static unsigned char last_rand[10];
    uint64_t ms = (uint64_t)bc_now_ms();
    unsigned char r[10];

    pthread_mutex_lock(&mu);
    if (ms <= last_ms) {
        /* same millisecond (or clock went back): increment the previous randomness to stay sortable */
        ms = last_ms;
        memcpy(r, last_rand, sizeof r);
        for (int i = 9; i >= 0 && ++r[i] == 0; i--) {
        }
    } else {
        randombytes_buf(r, sizeof r);
        last_ms = ms;
    }
    memcpy(last_rand, r, sizeof r);
    pthread_mutex_unlock(&mu);

    for (int i = 9; i >= 0; i--) {
        out[i] = crockford[ms & 31];
        ms >>= 5;
    }
    /* 80 random bits -> 16 chars of 5 bits */
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 5; i++) hi = (hi << 8) | r[i];
    for (int i = 5; i < 10; i++) lo = (lo << 8) | r[i];
    for (int i = 7; i >= 0; i--) {
        out[10 + i] = crockford[hi & 31];
        hi >>= 5;
        out[18 + i] = crockford[lo & 31];
        lo >>= 5;
    }
    out[BC_ID_LEN] = '\0';
}

int bc_id_valid(const char *s)
{
    if (!s || strlen(s) != BC_ID_LEN) return 0;
    if (s[0] > '7') return 0; /* 48-bit time fits in 10 chars only when the first is 0..7 */
    for (int i = 0; i < BC_ID_LEN; i++)
        if (!strchr(crockford, s[i]) || s[i] == '\0') return 0;
    return 1;
}

size_t bc_b64url_len(size_t n)
{
    return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void bc_b64url_encode(const void *in, size_t n, char *out)
{
    sodium_bin2base64(out, bc_b64url_len(n), in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int bc_b64url_decode(const char *in, size_t inlen, void *out, size_t outcap)
{
    size_t len = 0;
    const char *end = NULL;
    if (sodium_base642bin(out, outcap, in, inlen, NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != in + inlen)
        return BC_EINVALID;
    return (int)len;
}

char *bc_token_new(const char *prefix, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof raw) return NULL;
    randombytes_buf(raw, nbytes);
    size_t pl = strlen(prefix), el = bc_b64url_len(nbytes);
    char *s = malloc(pl + el);
    if (!s) return NULL;
    memcpy(s, prefix, pl);
    bc_b64url_encode(raw, nbytes, s + pl);
    sodium_memzero(raw, sizeof raw);
    return s;
}

void bc_hex(const void *in, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, in, n);
}

bool bc_key_id_ok(const char *id)
{
    if (!id) return false;
    size_t n = strlen(id);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!(isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '@' || c == '+'))
            return false;
    }
    return true;
}
