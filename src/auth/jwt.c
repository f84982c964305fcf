/* JWT issue and verification with OpenSSL EVP; JWKS parsing into EVP_PKEYs (OpenSSL 3 OSSL_PARAM). */
#include "auth/jwt.h"
#include "auth/secret.h"
#include "util/config.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKEN 8192
#define MAX_KEYS  16
#define LEEWAY_S  30

struct jwk {
    char kid[128];
    int kty; /* 1 RSA, 2 EC P-256 */
    EVP_PKEY *pkey;
};

/* Process-wide on purpose: the external OpenID provider's keys and claims are the process's configuration
 * (oidc_* settings), the same for every store it serves; refreshed by housekeeping under the lock. */
static struct {
    pthread_rwlock_t lock;
    struct jwk keys[MAX_KEYS];
    int nkeys;
    char *ext_issuer, *ext_audience, *ext_tenant_claim, *ext_role_claim;
} K = {.lock = PTHREAD_RWLOCK_INITIALIZER};

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = v && *v ? strdup(v) : NULL;
}

void bc_jwt_configure_external(const char *issuer, const char *audience, const char *tenant_claim,
                               const char *role_claim)
{
    pthread_rwlock_wrlock(&K.lock);
    set_str(&K.ext_issuer, issuer);
    set_str(&K.ext_audience, audience);
    set_str(&K.ext_tenant_claim, tenant_claim ? tenant_claim : "tenantId");
    set_str(&K.ext_role_claim, role_claim ? role_claim : "role");
    pthread_rwlock_unlock(&K.lock);
}

static void free_keys(void)
{
    for (int i = 0; i < K.nkeys; i++) EVP_PKEY_free(K.keys[i].pkey);
    K.nkeys = 0;
}

void bc_jwt_cleanup(void)
{
    pthread_rwlock_wrlock(&K.lock);
    free_keys();
    set_str(&K.ext_issuer, NULL);
    set_str(&K.ext_audience, NULL);
    set_str(&K.ext_tenant_claim, NULL);
    set_str(&K.ext_role_claim, NULL);
    pthread_rwlock_unlock(&K.lock);
}

static char *b64url(const void *data, size_t n)
{
    char *s = malloc(bc_b64url_len(n));
    if (s) bc_b64url_encode(data, n, s);
    return s;
}

static void hs256(const char *data, size_t n, unsigned char mac[32])
{
    unsigned char k[32];
    bc_secret_derive("jwt", k);
    crypto_auth_hmacsha256(mac, (const unsigned char *)data, n, k);
    sodium_memzero(k, sizeof k);
}

int bc_jwt_issue(const char *sub, const char *tenant_id, enum bc_role role, int64_t ttl_s, char **token,
                 int64_t *exp)
{
    *token = NULL;
    int64_t now = bc_now_s();
    *exp = now + ttl_s;
    json_t *payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "iss", BC_JWT_ISSUER, "aud",
                                BC_JWT_AUDIENCE, "sub", sub, "tenantId", tenant_id, "role",
                                bc_role_name(role), "iat", (json_int_t)now, "exp", (json_int_t)*exp);
    char *p = payload ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(payload);
    if (!p) return BC_ENOMEM;
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char *h64 = b64url(header, strlen(header)), *p64 = b64url(p, strlen(p));
    free(p);
    struct bc_buf b = BC_BUF_INIT;
    int rc = (h64 && p64) ? bc_buf_printf(&b, "%s.%s", h64, p64) : BC_ENOMEM;
    free(h64);
    free(p64);
    if (rc == 0) {
        unsigned char mac[32];
        char sig[64];
        hs256(b.data, b.len, mac);
        bc_b64url_encode(mac, 32, sig);
        rc = bc_buf_printf(&b, ".%s", sig);
    }
    if (rc < 0) {
        bc_buf_release(&b);
        return rc;
    }
    *token = bc_buf_detach(&b, NULL);
    return 0;
}

/* Decodes one base64url segment as a JSON object. */
static json_t *decode_json(const char *seg, size_t n)
{
    unsigned char buf[MAX_TOKEN];
    int len = bc_b64url_decode(seg, n, buf, sizeof buf);
    if (len <= 0) return NULL;
    json_t *j = json_loadb((const char *)buf, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static int verify_rs_es(int kty, EVP_PKEY *pkey, const char *data, size_t n, const unsigned char *sig,
                        size_t siglen)
{
    unsigned char der[80];
    const unsigned char *s = sig;
    size_t sl = siglen;
    if (kty == 2) {
        /* JWS ES256 signatures are r||s (32 bytes each); OpenSSL wants DER */
        if (siglen != 64) return -1;
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
        if (!es || !r || !ss || !ECDSA_SIG_set0(es, r, ss)) {
            BN_free(r);
            BN_free(ss);
            ECDSA_SIG_free(es);
            return -1;
        }
        unsigned char *p = der;
        int dl = i2d_ECDSA_SIG(es, &p);
        ECDSA_SIG_free(es);
        if (dl <= 0) return -1;
        s = der;
        sl = (size_t)dl;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
             EVP_DigestVerify(md, s, sl, (const unsigned char *)data, n) == 1;
    EVP_MD_CTX_free(md);
    return ok ? 0 : -1;
}

static bool aud_matches(json_t *aud, const char *want)
{
    if (!want) return false;
    if (json_is_string(aud)) return strcmp(json_string_value(aud), want) == 0;
    size_t i;
    json_t *a;
    json_array_foreach(aud, i,
                       a) if (json_is_string(a) && strcmp(json_string_value(a), want) == 0) return true;
    return false;
}

/* The highest role named by a claim that is a string or an array of strings (case-insensitive). */
static enum bc_role role_from(json_t *claim)
{
    enum bc_role best = BC_ROLE_NONE;
    json_t *one = json_is_string(claim) ? claim : NULL;
    size_t i = 0, n = json_is_array(claim) ? json_array_size(claim) : (one ? 1 : 0);
    for (; i < n; i++) {
        json_t *v = one ? one : json_array_get(claim, i);
        char low[16];
        const char *s = json_string_value(v);
        if (!s || strlen(s) >= sizeof low) continue;
        for (size_t k = 0; k <= strlen(s); k++)
            low[k] = (char)((s[k] >= 'A' && s[k] <= 'Z') ? s[k] + 32 : s[k]);
        enum bc_role r = bc_role_parse(low);
        if (r > best) best = r;
    }
    return best;
}

static int fail(const char **why, const char *reason)
{
    if (why) *why = reason;
    return BC_EUNAUTHORIZED;
}

static int copy_claim(char *dst, json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > BC_TENANT_ID_MAX) return -1;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

/* The user id of an external token: "ext:" and 32 hex digits of SHA-256(issuer, NUL, sub). It can never
 * equal one of our user ids (which have no ':'), so an external subject cannot act as an internal user,
 * and the same subject under another issuer is another user. */
static int ext_subject(char *dst, const char *issuer, json_t *v)
{
    const char *sub = json_string_value(v);
    if (!sub || !*sub || strlen(sub) > 255) return -1;
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)issuer, strlen(issuer) + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)sub, strlen(sub));
    crypto_hash_sha256_final(&st, h);
    memcpy(dst, BC_JWT_EXTERNAL_PREFIX, sizeof BC_JWT_EXTERNAL_PREFIX - 1);
    bc_hex(h, 16, dst + sizeof BC_JWT_EXTERNAL_PREFIX - 1);
    return 0;
}

int bc_jwt_verify(const char *token, struct bc_jwt_claims *claims, const char **why)
{
    memset(claims, 0, sizeof *claims);
    if (!token) return fail(why, "no token");
    size_t tl = strlen(token);
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (tl > MAX_TOKEN || !d1 || !d2 || strchr(d2 + 1, '.')) return fail(why, "malformed token");
    json_t *hdr = decode_json(token, (size_t)(d1 - token));
    json_t *pl = decode_json(d1 + 1, (size_t)(d2 - d1 - 1));
    unsigned char sig[600];
    int siglen = bc_b64url_decode(d2 + 1, tl - (size_t)(d2 + 1 - token), sig, sizeof sig);
    int rc = BC_EUNAUTHORIZED;
    const char *reason = "malformed token";
    if (!hdr || !pl || siglen <= 0) goto out;
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    const char *iss = json_string_value(json_object_get(pl, "iss"));
    size_t signed_len = (size_t)(d2 - token);
    if (!alg || !iss) goto out;
    if (json_object_get(hdr, "crit")) {
        reason = "unsupported critical header";
        goto out;
    }
    int64_t now = bc_now_s();
    json_t *exp = json_object_get(pl, "exp"), *iat = json_object_get(pl, "iat"),
           *nbf = json_object_get(pl, "nbf");
    if (!json_is_number(exp)) {
        reason = "token without exp";
        goto out;
    }
    if (strcmp(iss, BC_JWT_ISSUER) == 0) {
        unsigned char mac[32];
        if (strcmp(alg, "HS256") != 0) {
            reason = "algorithm not allowed for this issuer";
            goto out;
        }
        hs256(token, signed_len, mac);
        if (siglen != 32 || sodium_memcmp(mac, sig, 32) != 0) {
            reason = "bad signature";
            goto out;
        }
        if (!json_is_integer(iat) || (int64_t)json_number_value(exp) <= now ||
            !aud_matches(json_object_get(pl, "aud"), BC_JWT_AUDIENCE)) {
            reason = (int64_t)json_number_value(exp) <= now ? "token expired" : "bad claims";
            goto out;
        }
        if (copy_claim(claims->sub, json_object_get(pl, "sub")) < 0 ||
            copy_claim(claims->tenant_id, json_object_get(pl, "tenantId")) < 0) {
            reason = "bad claims";
            goto out;
        }
        claims->role = bc_role_parse(json_string_value(json_object_get(pl, "role")));
        claims->iat = json_integer_value(iat);
        claims->exp = (int64_t)json_number_value(exp);
        rc = claims->role == BC_ROLE_NONE ? BC_EUNAUTHORIZED : 0;
        reason = "no role";
        goto out;
    }
    pthread_rwlock_rdlock(&K.lock);
    if (!K.ext_issuer || strcmp(iss, K.ext_issuer) != 0) {
        reason = "unknown issuer";
    } else if (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0) {
        reason = "algorithm not allowed for this issuer";
    } else {
        int want = alg[0] == 'R' ? 1 : 2;
        const char *kid = json_string_value(json_object_get(hdr, "kid"));
        bool verified = false;
        for (int i = 0; i < K.nkeys && !verified; i++) {
            if (K.keys[i].kty != want || (kid && strcmp(K.keys[i].kid, kid) != 0)) continue;
            verified = verify_rs_es(want, K.keys[i].pkey, token, signed_len, sig, (size_t)siglen) == 0;
        }
        if (!verified) {
            reason = "bad signature";
        } else if ((int64_t)json_number_value(exp) + LEEWAY_S <= now) {
            reason = "token expired";
        } else if (json_is_number(nbf) && (int64_t)json_number_value(nbf) > now + LEEWAY_S) {
            reason = "token not yet valid";
        } else if (!aud_matches(json_object_get(pl, "aud"), K.ext_audience)) {
            reason = "wrong audience";
        } else if (ext_subject(claims->sub, K.ext_issuer, json_object_get(pl, "sub")) < 0 ||
                   copy_claim(claims->tenant_id, json_object_get(pl, K.ext_tenant_claim)) < 0) {
            reason = "missing subject or tenant claim";
        } else if ((claims->role = role_from(json_object_get(pl, K.ext_role_claim))) == BC_ROLE_NONE) {
            reason = "no role";
        } else {
            claims->external = true;
            claims->exp = (int64_t)json_number_value(exp);
            claims->iat = json_is_number(iat) ? (int64_t)json_number_value(iat) : 0;
            rc = 0;
        }
    }
    pthread_rwlock_unlock(&K.lock);
out:
    json_decref(hdr);
    json_decref(pl);
    if (rc < 0) {
        memset(claims, 0, sizeof *claims);
        if (why) *why = reason;
    }
    return rc;
}

static BIGNUM *bn_from_b64(json_t *v)
{
    unsigned char buf[1024];
    const char *s = json_string_value(v);
    int n = s ? bc_b64url_decode(s, strlen(s), buf, sizeof buf) : -1;
    return n > 0 ? BN_bin2bn(buf, n, NULL) : NULL;
}

static EVP_PKEY *rsa_key(json_t *k)
{
    BIGNUM *n = bn_from_b64(json_object_get(k, "n")), *e = bn_from_b64(json_object_get(k, "e"));
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *pkey = NULL;
    if (n && e && bld && BN_num_bits(n) >= 2048 && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) && (params = OSSL_PARAM_BLD_to_param(bld)) &&
        (pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) && EVP_PKEY_fromdata_init(pc) == 1)
        EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

static EVP_PKEY *ec_key(json_t *k)
{
    unsigned char pub[65], x[64], y[64];
    const char *xs = json_string_value(json_object_get(k, "x")),
               *ys = json_string_value(json_object_get(k, "y"));
    const char *crv = json_string_value(json_object_get(k, "crv"));
    if (!xs || !ys || !crv || strcmp(crv, "P-256") != 0) return NULL;
    if (bc_b64url_decode(xs, strlen(xs), x, sizeof x) != 32 ||
        bc_b64url_decode(ys, strlen(ys), y, sizeof y) != 32)
        return NULL;
    pub[0] = 0x04; /* uncompressed point */
    memcpy(pub + 1, x, 32);
    memcpy(pub + 33, y, 32);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *pkey = NULL;
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) && (pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) &&
        EVP_PKEY_fromdata_init(pc) == 1)
        EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

int bc_jwt_load_jwks(const char *text, char *err, size_t errsize)
{
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    json_t *list = json_object_get(doc, "keys");
    if (!json_is_array(list)) {
        snprintf(err, errsize, "JWKS must be an object with a \"keys\" array");
        json_decref(doc);
        return BC_EINVALID;
    }
    struct jwk fresh[MAX_KEYS];
    int n = 0;
    size_t i;
    json_t *k;
    json_array_foreach(list, i, k)
    {
        const char *kty = json_string_value(json_object_get(k, "kty"));
        const char *use = json_string_value(json_object_get(k, "use"));
        if (n == MAX_KEYS || !kty || (use && strcmp(use, "sig") != 0)) continue;
        EVP_PKEY *pkey = strcmp(kty, "RSA") == 0 ? rsa_key(k) : strcmp(kty, "EC") == 0 ? ec_key(k) : NULL;
        if (!pkey) continue;
        fresh[n].pkey = pkey;
        fresh[n].kty = kty[0] == 'R' ? 1 : 2;
        snprintf(fresh[n].kid, sizeof fresh[n].kid, "%s",
                 json_string_value(json_object_get(k, "kid")) ? json_string_value(json_object_get(k, "kid"))
                                                              : "");
        n++;
    }
    json_decref(doc);
    if (n == 0) {
        snprintf(err, errsize, "JWKS has no usable RSA (>= 2048 bits) or EC P-256 signing key");
        return BC_EINVALID;
    }
    pthread_rwlock_wrlock(&K.lock);
    free_keys();
    memcpy(K.keys, fresh, sizeof fresh[0] * (size_t)n);
    K.nkeys = n;
    pthread_rwlock_unlock(&K.lock);
    return 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct bc_buf *b = ud;
    if (b->len + size * n > 1 << 20 || bc_buf_append(b, p, size * n) < 0) return 0;
    return size * n;
}

/* True when the authority of an http URL (after "http://") is a loopback address: 127.0.0.0/8, [::1] or
 * localhost, then an optional port of digits, then a path, a query or nothing (no user info: with
 * "127.0.0.1:80@evil.example.com" the host would be evil.example.com). */
static bool loopback_host(const char *h)
{
    size_t n;
    if (strncasecmp(h, "localhost", 9) == 0) {
        n = 9;
    } else if (strncmp(h, "[::1]", 5) == 0) {
        n = 5;
    } else {
        char ip[16];
        unsigned char a[4];
        n = strspn(h, "0123456789.");
        if (n == 0 || n >= sizeof ip) return false;
        memcpy(ip, h, n);
        ip[n] = '\0';
        if (inet_pton(AF_INET, ip, a) != 1 || a[0] != 127) return false;
    }
    if (h[n] == ':') n += 1 + strspn(h + n + 1, "0123456789");
    return h[n] == '\0' || h[n] == '/' || h[n] == '?';
}

int bc_jwt_jwks_source_check(const char *source, bool allow_http_loopback, char *err, size_t errsize)
{
    if (strncasecmp(source, "https://", 8) == 0) return 0;
    if (strncasecmp(source, "http://", 7) == 0) {
        if (allow_http_loopback && loopback_host(source + 7)) return 0;
        snprintf(err, errsize,
                 "the JWKS URL %s must use https (http is accepted only on a loopback address with "
                 "oidc_allow_http_loopback = on, for tests)",
                 source);
        return BC_EINVALID;
    }
    if (strstr(source, "://")) {
        snprintf(err, errsize, "the JWKS source %s must be an https URL or a file path", source);
        return BC_EINVALID;
    }
    return 0;
}

int bc_jwt_fetch_jwks(const char *source, bool allow_http_loopback, char *err, size_t errsize)
{
    struct bc_buf b = BC_BUF_INIT;
    int rc = bc_jwt_jwks_source_check(source, allow_http_loopback, err, errsize);
    if (rc < 0) return rc;
    bool https = strncasecmp(source, "https://", 8) == 0;
    if (https || strncasecmp(source, "http://", 7) == 0) {
        CURL *c = curl_easy_init();
        long status = 0;
        if (!c) return BC_ENOMEM;
        curl_easy_setopt(c, CURLOPT_URL, source);
        const char *ca = bc_config_get(BC_CFG_CA_FILE); /* e.g. Amazon Linux's bundle (docs/lambda.md) */
        if (ca && *ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
        /* no redirects (curl's default) and no other protocol than the one checked above */
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, https ? "https" : "http");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        CURLcode cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        if (cc != CURLE_OK || status != 200) {
            snprintf(err, errsize, "cannot fetch JWKS from %s (%s, HTTP %ld)", source, curl_easy_strerror(cc),
                     status);
            rc = BC_EUNAVAILABLE;
        }
    } else {
        FILE *f = fopen(source, "r");
        char chunk[4096];
        size_t r;
        if (!f) {
            snprintf(err, errsize, "cannot read JWKS file %s", source);
            return BC_EIO;
        }
        while ((r = fread(chunk, 1, sizeof chunk, f)) > 0 && on_data(chunk, 1, r, &b) == r) {
        }
        fclose(f);
    }
    if (rc == 0) rc = b.data ? bc_jwt_load_jwks(b.data, err, errsize) : BC_EINVALID;
    bc_buf_release(&b);
    return rc;
}
