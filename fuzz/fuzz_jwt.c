/* libFuzzer target: JWT verification and JWKS parsing with hostile input. The first byte chooses: a token
 * for bc_jwt_verify (our issuer and an external issuer with a real EC key are configured), or a JWKS
 * document for bc_jwt_load_jwks. No crash, leak or sanitizer report; a random token never verifies. */
#include "auth/jwt.h"
#include "auth/secret.h"
#include "util/id.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char jwks[1024];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    unsigned char secret[32] = {7};
    bc_id_global_init();
    bc_secret_set_for_tests(secret, sizeof secret);
    /* a real P-256 key, so that the EC path is exercised with a key that parses */
    EVP_PKEY *k = EVP_EC_gen("P-256");
    unsigned char pub[65];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &len);
    char x[64], y[64];
    bc_b64url_encode(pub + 1, 32, x);
    bc_b64url_encode(pub + 33, 32, y);
    snprintf(jwks, sizeof jwks,
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\",\"x\":\"%s\",\"y\":\"%s\"}]}", x,
             y);
    EVP_PKEY_free(k);
    bc_jwt_configure_external("https://idp.example.com", "aud", "custom:tenantId", "cognito:groups");
    char err[128];
    bc_jwt_load_jwks(jwks, err, sizeof err);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384) return 0;
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    if (data[0] & 1) {
        char err[128];
        bc_jwt_load_jwks(s, err, sizeof err);
        bc_jwt_load_jwks(jwks, err, sizeof err); /* back to the real key set */
    } else {
        struct bc_jwt_claims c;
        const char *why = NULL;
        if (bc_jwt_verify(s, &c, &why) == 0) abort(); /* nobody can forge a token */
    }
    free(s);
    return 0;
}
