/* JSON Web Tokens: the admin tokens this server issues (HS256 with a key derived from the server secret,
 * issuer "bookchat", audience "bookchat-admin"), and tokens of one external OpenID provider (RS256/ES256,
 * verified against its JWKS, with configurable tenant and role claims).
 *
 * DESIGN NOTES
 * - The verification key and the allowed algorithms are chosen by the token's issuer before anything else
 *   is trusted: our issuer allows only HS256 with our key; the external issuer allows only RS256/ES256 with
 *   its JWKS keys. So "alg":"none", HS256 signed with an RSA public key, or RS256 under our issuer all fail.
 * - exp is required; iat is required for our tokens; a 30-second leeway applies to external clocks only. */
#ifndef BC_JWT_H
#define BC_JWT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

#define BC_JWT_ISSUER   "bookchat"
#define BC_JWT_AUDIENCE "bookchat-admin"
/* Prefix of the user ids of external tokens: "ext:" + 32 hex digits of a hash of issuer and subject. */
#define BC_JWT_EXTERNAL_PREFIX "ext:"

struct bc_jwt_claims {
    char sub[BC_TENANT_ID_MAX + 1];
    char tenant_id[BC_TENANT_ID_MAX + 1];
    enum bc_role role;
    int64_t iat, exp;
    bool external; /* issued by the external OpenID provider (sub is then BC_JWT_EXTERNAL_PREFIX…) */
};

/* Issues a token for a user; *token is malloc'd (caller frees). */
int bc_jwt_issue(const char *sub, const char *tenant_id, enum bc_role role, int64_t ttl_s, char **token,
                 int64_t *exp);
/* Verifies a token; 0 with claims, or BC_EUNAUTHORIZED (with a short reason in why, when not NULL). */
int bc_jwt_verify(const char *token, struct bc_jwt_claims *claims, const char **why);

/* External provider configuration (call once at start; NULL issuer disables external tokens). */
void bc_jwt_configure_external(const char *issuer, const char *audience, const char *tenant_claim,
                               const char *role_claim);
/* Replaces the external provider's key set from JWKS JSON text. 0 or BC_EINVALID (err says why). */
int bc_jwt_load_jwks(const char *json, char *err, size_t errsize);
/* Whether a JWKS source may be used: a file path or an https URL; an http URL only on a loopback address
 * (127.0.0.0/8, [::1], localhost) and only when allow_http_loopback (tests). 0 or BC_EINVALID with err. */
int bc_jwt_jwks_source_check(const char *source, bool allow_http_loopback, char *err, size_t errsize);
/* Loads the JWKS from a file path or an https URL (checked as above, no redirects). 0 or a negative bc_err
 * with err. */
int bc_jwt_fetch_jwks(const char *source, bool allow_http_loopback, char *err, size_t errsize);
/* Frees the key set and configuration. */
void bc_jwt_cleanup(void);

#endif
