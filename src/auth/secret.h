/* The server secret: the root of API-key hashing and JWT signing. From the `secret` setting
 * (BOOKCHAT_SECRET), else the file DATA/secret, created with mode 0600 on first start. Every process that
 * shares a store must share the secret (set BOOKCHAT_SECRET when several machines share DynamoDB). */
#ifndef BC_SECRET_H
#define BC_SECRET_H
#include <stddef.h>

/* Loads or creates the secret. configured: the setting's value or NULL; data_dir: where the file lives.
 * Returns 0, or a negative bc_err with a message. */
int bc_secret_init(const char *configured, const char *data_dir, char *err, size_t errsize);
/* A 32-byte key for one purpose ("apikey", "jwt", …): HMAC-SHA256(secret, label). */
void bc_secret_derive(const char *label, unsigned char out[32]);
/* HMAC-SHA256(derive(label), data) as 64 lower-case hex characters into out[65]. */
void bc_secret_hmac_hex(const char *label, const void *data, size_t len, char out[65]);
/* The same for public inputs (widget API keys), remembered for the next call with the same input: never
 * for passwords, tokens or anything secret, which must not stay in memory. */
void bc_secret_hmac_hex_public(const char *label, const void *data, size_t len, char out[65]);
/* For tests: use these bytes as the secret. */
void bc_secret_set_for_tests(const unsigned char *secret, size_t len);

#endif
