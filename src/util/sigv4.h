/* AWS Signature Version 4 (AWS4-HMAC-SHA256): the canonical request, the string to sign, the signing key
 * and the Authorization header of one HTTP request, for any AWS service that takes header-signed requests
 * (the DynamoDB store signs for "dynamodb", the Bedrock LLM client for "bedrock"). Pure functions: no clock
 * and no I/O; the caller passes the timestamp, so the published AWS test vectors reproduce exactly.
 * Canonicalisation follows the rules for every service but S3: the path is normalised (".", "..", "//")
 * and its wire form is URI-encoded once more ("double encoding"). */
#ifndef BC_SIGV4_H
#define BC_SIGV4_H
#include <stddef.h>
#include <time.h>

#define BC_SIGV4_MAX_HEADERS 32

struct bc_sigv4_header {
    const char *name;  /* any case; it is lower-cased for signing */
    const char *value; /* as sent; trimmed and space-collapsed for signing */
};

struct bc_sigv4_request {
    const char *method; /* "GET", "POST" … */
    const char *path;   /* the path as sent on the wire (already percent-encoded); NULL or "" means "/" */
    const char *query;  /* the query string as sent, without '?'; NULL or "" for none */
    /* Every header to sign, in the order they are sent; must include "host" and "x-amz-date". A name that
     * repeats is signed as one header whose values are joined by ',' in this order. */
    const struct bc_sigv4_header *headers;
    size_t nheaders;
    const void *body; /* the payload (NULL with body_len 0 for none) */
    size_t body_len;
};

struct bc_sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
};

struct bc_sigv4_scope {
    const char *amz_date; /* "YYYYMMDDTHHMMSSZ", the same value as the x-amz-date header */
    const char *region;   /* "eu-west-1" */
    const char *service;  /* "dynamodb", "bedrock" */
};

/* The canonical request of r into *out (caller frees), and when signed_headers is not NULL the
 * ';'-joined list of signed header names into *signed_headers (caller frees). Returns 0, BC_EINVALID
 * (no method, a header name that is empty or not a token, more than BC_SIGV4_MAX_HEADERS headers) or
 * BC_ENOMEM. */
int bc_sigv4_canonical_request(const struct bc_sigv4_request *r, char **out, char **signed_headers);

/* The string to sign for a canonical request into *out (caller frees). 0, BC_EINVALID (malformed
 * amz_date, empty region/service) or BC_ENOMEM. */
int bc_sigv4_string_to_sign(const char *canonical_request, const struct bc_sigv4_scope *scope, char **out);

/* The signing key HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date8), region), service), "aws4_request") into
 * key[32]. date8 is "YYYYMMDD". 0 or BC_EINVALID. */
int bc_sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
                         unsigned char key[32]);

/* The value of the Authorization header for r ("AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
 * Signature=…") into *out (caller frees). 0, BC_EINVALID or BC_ENOMEM. */
int bc_sigv4_authorization(const struct bc_sigv4_request *r, const struct bc_sigv4_credentials *creds,
                           const struct bc_sigv4_scope *scope, char **out);

/* Formats t (UTC) as "YYYYMMDDTHHMMSSZ" into out[17]. */
void bc_sigv4_amz_date(time_t t, char out[17]);

/* Lower-case hex SHA-256 of data into out[65]. */
void bc_sigv4_sha256_hex(const void *data, size_t n, char out[65]);

#endif
