/* The proof-of-work challenge of the public widget (ALTCHA's format): the server issues a signed challenge,
 * the widget finds the number that solves it, and the server verifies the solution without keeping the
 * challenge. It guards new conversations, holds and bookings when a tenant's `widget.challenge` setting is
 * "always", or "auto" (the default) while the tenant is under attack, judged from its recent rates.
 *
 * DESIGN NOTES
 * - challenge = hex(SHA-256(salt + decimal number)) for a secret random number in [0, maxnumber];
 *   signature = hex(HMAC-SHA-256(key, challenge)) with a key derived from the server secret ("altcha").
 *   The salt carries "?expires=<epoch s>&tenant=<id>", so a solution is bound to its tenant and its expiry
 *   by the hash that the signature covers: changing either changes the challenge.
 * - A solution is accepted once: its challenge is recorded in the store (PK "POW#<challenge>", ttl = the
 *   expiry) with a put that fails when the item exists, which holds across processes and on DynamoDB.
 * - "Under attack" is per env and per process (env->challenge): a tenant's guarded requests in a sliding
 *   minute reach challenge_auto_rate from at least challenge_auto_visitors distinct client addresses; it
 *   then stays on for BC_CHALLENGE_HOLD_S after the last such minute. One visitor alone never turns it on
 *   (its own caps stop it), many visitors together do. */
#ifndef BC_CHALLENGE_H
#define BC_CHALLENGE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_challenge_rates;

#define BC_CHALLENGE_TTL_S       600  /* how long an issued challenge can be solved and used */
#define BC_CHALLENGE_HOLD_S      600  /* how long "auto" stays on after the rates fall */
#define BC_CHALLENGE_PAYLOAD_MAX 1024 /* longest accepted X-Altcha header */

enum bc_challenge_mode { BC_CHALLENGE_OFF, BC_CHALLENGE_AUTO, BC_CHALLENGE_ALWAYS };

/* "off" | "auto" | "always" -> mode; -1 when unknown. */
int bc_challenge_mode_parse(const char *s);

/* A new challenge for the tenant of ctx: {"algorithm","challenge","maxnumber","salt","signature"} (caller
 * decrefs). maxnumber: the challenge_maxnumber setting. Returns 0 or BC_ENOMEM / BC_EINVALID (no tenant). */
int bc_challenge_issue(const struct bc_ctx *ctx, json_t **out);
/* The same with a given number, maxnumber and expiry (tests). */
int bc__challenge_issue_with(const struct bc_ctx *ctx, long number, long maxnumber, int64_t expires,
                             json_t **out);

/* Checks a solution: payload is base64 of the JSON {"algorithm","challenge","number","salt","signature"}
 * (the X-Altcha header). Returns 0 and records it as used, or BC_ECHALLENGE with a reason in msg (missing,
 * malformed, wrong number or signature, expired, another tenant's, already used), or a store error. */
int bc_challenge_verify(struct bc_env *env, const struct bc_ctx *ctx, const char *payload, char *msg,
                        size_t msgsize);

/* Counts one guarded request of the tenant from visitor (the client address) and says whether the tenant
 * is under attack now. */
bool bc_challenge_note(struct bc_env *env, const char *tenant_id, const char *visitor);
/* The same at a given monotonic time in ms, with the thresholds given (tests). */
bool bc__challenge_note_at(struct bc_env *env, const char *tenant_id, const char *visitor, int64_t now_ms,
                           long rate, long visitors);

/* The guard of a new conversation, hold or booking of the widget: reads the tenant's widget.challenge
 * setting, counts the request, and when a solution is required verifies payload (may be NULL). 0 when the
 * request may go on; BC_ECHALLENGE with msg when a (new) solution is needed; or a store error. */
int bc_challenge_guard(struct bc_env *env, const struct bc_ctx *ctx, const char *visitor, const char *payload,
                       char *msg, size_t msgsize);

/* The per-env rate table (env.c). */
struct bc_challenge_rates *bc__challenge_rates_new(void);
void bc__challenge_rates_free(struct bc_challenge_rates *r);

#endif
