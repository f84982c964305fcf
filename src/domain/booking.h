/* Bookings: create (with "any" professional assigned round-robin, holds, idempotency), read, list, cancel,
 * reschedule, status changes by staff, the customer's manage token, and slot holds. The commit point of a
 * booking or a hold is the calendar write of domain/calendar.h; docs/booking.md explains the design.
 * booking.c makes bookings and holds, booking_change.c changes them, booking_read.c reads them. */
#ifndef BC_BOOKING_H
#define BC_BOOKING_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_store;

struct bc_booking_in {
    const char *service_id;
    const char *provider_id; /* an id, or "any" (or NULL) */
    const char *start;       /* ISO 8601 with an offset */
    const char *name;
    const char *email;
    const char *phone;
    const char *notes;
    const char *hold_id;         /* the hold this booking consumes, or NULL */
    const char *source;          /* "widget" | "admin" | "chat" */
    const char *idempotency_key; /* or NULL */
    const char *request_hash;    /* a hash of the whole request, compared on idempotent retries */
    bool staff;                  /* staff: minimum notice and maximum days ahead do not apply */
    const char *lang;            /* the customer's language ("es", "en") for its messages, or NULL */
    int64_t monthly_limit;       /* the plan's bookings per month */
    const json_t *channel; /* a chat on WhatsApp or Telegram: its {kind, id, sender} (reminders go there) */
};

/* Creates a booking. 0 with *out = the booking view with "manage_token" (caller decrefs); BC_EINVALID (msg)
 * for bad input or a start that is not a bookable time; BC_ENOT_FOUND (msg) for an unknown service or
 * professional; BC_ESLOT when the time is taken; BC_EPLAN past the monthly limit; BC_ECONFLICT (msg) for an
 * idempotency key reused with another request. An idempotent retry returns the first booking. */
int bc_booking_create(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_booking_in *in, char *msg,
                      size_t msgsize, json_t **out);
/* Holds a free slot for hold_minutes (the tenant setting). *out = {"id","expires_at","provider_id","start"}.
 */
int bc_booking_hold(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                    const char *provider_id, const char *start, char *msg, size_t msgsize, json_t **out);
/* bc_booking_hold for minutes_for minutes instead of the setting (0: the setting): the waitlist's offers. */
int bc_booking_hold_for(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                        const char *provider_id, const char *start, int minutes_for, char *msg,
                        size_t msgsize, json_t **out);
/* Lets go of a hold (the object bc_booking_hold gave) before it expires, when the customer moves away from
 * its time. Best effort: what it misses (an entry on a fourth local date) frees itself at expiry. */
int bc_booking_hold_release(struct bc_env *env, const struct bc_ctx *ctx, const json_t *hold);
/* The booking item, repaired if a crash left it pending (see docs/booking.md). BC_ENOT_FOUND. */
int bc_booking_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out);
/* The booking item of a customer-facing code ("K7M2QX"), case-insensitive. */
int bc_booking_by_code(struct bc_env *env, const struct bc_ctx *ctx, const char *code, json_t **out);
/* Bookings starting in [from, to] (local dates of the tenant, "YYYY-MM-DD", either may be NULL), optionally
 * of one professional and status, in start order. Views (no tokens). */
int bc_booking_list(struct bc_env *env, const struct bc_ctx *ctx, const char *from, const char *to,
                    const char *provider_id, const char *status, int limit, const char *cursor,
                    json_t **items, char **next_cursor);
/* bc_booking_list (any status but "failed") with the stored items instead of views, for staff renderings
 * that need their "version" and epoch times (the calendar feeds). Items may be shared: do not modify. */
int bc_booking_list_items(struct bc_env *env, const struct bc_ctx *ctx, const char *from, const char *to,
                          const char *provider_id, int limit, const char *cursor, json_t **items,
                          char **next_cursor);
/* Cancels; a customer must be within the tenant's cancellation window (BC_ECONFLICT with msg otherwise). */
int bc_booking_cancel(struct bc_env *env, const struct bc_ctx *ctx, const char *id, bool by_customer,
                      char *msg, size_t msgsize, json_t **out);
/* Moves a booking to new_start (and optionally another professional): the old slot is freed only once the
 * new one is taken. BC_ESLOT / BC_EINVALID (msg) / BC_ECONFLICT (cancelled, or a customer too late). */
int bc_booking_reschedule(struct bc_env *env, const struct bc_ctx *ctx, const char *id, const char *new_start,
                          const char *new_provider, bool by_customer, char *msg, size_t msgsize,
                          json_t **out);
/* Staff status change: "confirmed" | "cancelled" | "completed" | "no_show". */
int bc_booking_set_status(struct bc_env *env, const struct bc_ctx *ctx, const char *id, const char *status,
                          char *msg, size_t msgsize, json_t **out);
/* The API view of a booking item; with_token adds the customer's manage token. */
json_t *bc_booking_view(const struct bc_ctx *ctx, json_t *item, bool with_token);
/* True when the given e-mail or phone is the booking customer's: the e-mail case-insensitively, the phone
 * whole (bc_phone_same). */
bool bc_booking_customer_matches(json_t *item, const char *email, const char *phone);
/* The manage token of a booking: "<booking id>.<tenant id b64url>.<mac>", derived from the server secret
 * (never stored). Caller frees. */
char *bc_booking_manage_token(const char *tenant_id, const char *booking_id);
/* Verifies a manage token; 0 with the tenant and booking it names, or BC_EUNAUTHORIZED. */
int bc_booking_manage_verify(const char *token, char *tenant_out, size_t tsize, char *booking_out,
                             size_t bsize);
/* A manage token works until this many days after its booking's end (docs/security.md). */
#define BC_MANAGE_TOKEN_DAYS 7
/* 0 while the manage token of the booking item works, BC_ETOKEN_EXPIRED once BC_MANAGE_TOKEN_DAYS have
 * passed since the booking's end. */
int bc_booking_manage_check(json_t *item);
/* Adds the customer's secrets to the booking card of a chat answer (an object with the booking's "id"):
 * "manage_token" and "ics_url", the calendar link under public_url. Only for answers to the customer: the
 * stored transcript and every staff view go without them (domain/conversation.h). */
void bc_booking_card_secrets(const char *tenant_id, json_t *card, const char *public_url);
/* The booking as an iCalendar document (caller frees). */
char *bc_booking_ics(struct bc_env *env, const struct bc_ctx *ctx, json_t *item);
/* True when two spellings name the same whole phone number: digits only, "00" read as "+"; an international
 * number matches a national one only when the national number (with or without its trunk 0) is all of it
 * after the country code ("+34 612 345 678" = "612-345-678"; never a tail such as the last 6 digits). */
bool bc_phone_same(const char *a, const char *b);
/* True for a plausible phone number (6 to 15 digits, with + ( ) - . and spaces). */
bool bc_phone_valid(const char *phone);

#endif
