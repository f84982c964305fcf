/* Calendar subscription feeds (PRODUCT.md section 12, docs/calendars.md): a secret URL per professional and
 * one for the whole tenant, which Google, Outlook and Apple calendars poll. The token names its tenant and
 * scope (a professional's id, or "all") under a MAC of the server secret over tenant, scope and the scope's
 * generation; re-creating the URL raises the generation, so the old token stops verifying at once. Nothing
 * secret is stored: the generation is a counter (item FEED#<scope> in the tenant's partition), and the URL
 * can be shown again by computing it. */
#ifndef BC_FEED_H
#define BC_FEED_H
#include <stdbool.h>
#include <stddef.h>

#include "auth/context.h"

struct bc_env;

#define BC_FEED_ALL        "all" /* the scope of the tenant-wide feed */
#define BC_FEED_MAX_EVENTS 2000  /* the most bookings one feed holds */
#define BC_FEED_PAST_DAYS  30    /* a feed starts this many days back */
#define BC_FEED_TOKEN_MAX  200

/* The feed token of scope (a professional of the tenant, or BC_FEED_ALL), created on first use; renew
 * raises the generation first (the old token stops working). 0 with *token (caller frees), BC_ENOT_FOUND
 * for an unknown professional. */
int bc_feed_token(struct bc_env *env, const struct bc_ctx *ctx, const char *scope, bool renew, char **token);
/* Verifies a token against its scope's current generation (MAC compared in constant time). 0 with its
 * tenant and scope, or BC_ENOT_FOUND (malformed, forged, revoked, unknown tenant). The tenant's status is
 * the caller's to check. */
int bc_feed_verify(struct bc_env *env, const char *token, char *tenant_out, size_t tsize, char *scope_out,
                   size_t ssize);
/* The feed of scope as an iCalendar document (caller frees): the bookings from BC_FEED_PAST_DAYS ago to the
 * booking horizon (booking.max_days_ahead), at most BC_FEED_MAX_EVENTS, the tenant's VTIMEZONE. 0 or a
 * negative bc_err (BC_ENOT_FOUND for a professional that is gone). */
int bc_feed_render(struct bc_env *env, const struct bc_ctx *ctx, const char *scope, char **ics);

#endif
