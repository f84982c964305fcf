/* The one error table of bookchat: every function returns 0 (or a positive count) on success and a negative
 * bc_err on failure. Only the HTTP layer turns an error into a status and a JSON body (see http/reply.c). */
#ifndef BC_ERR_H
#define BC_ERR_H

/* XX(NAME, "api_code", http_status, "default message") */
#define BC_ERR_MAP(XX)                                                                                       \
    XX(INVALID, "invalid_request", 400, "The request is invalid.")                                           \
    XX(UNAUTHORIZED, "unauthorized", 401, "Missing or invalid credentials.")                                 \
    XX(FORBIDDEN, "forbidden", 403, "Your role does not allow this.")                                        \
    XX(ORIGIN, "origin_not_allowed", 403, "This origin is not allowed for this key.")                        \
    XX(SUSPENDED, "tenant_suspended", 403, "This business's account is suspended.")                          \
    XX(NOT_FOUND, "not_found", 404, "Not found.")                                                            \
    XX(METHOD, "method_not_allowed", 405, "Method not allowed on this resource.")                            \
    XX(CONFLICT, "conflict", 409, "The request conflicts with the current state.")                           \
    XX(SLOT, "slot_unavailable", 409, "That time is no longer available.")                                   \
    XX(PLAN_CONFLICT, "plan_limit_exceeded", 409, "Your plan does not allow this.")                          \
    XX(GONE, "gone", 410, "This resource is gone.")                                                          \
    XX(DELETED, "tenant_deleted", 410, "This business's account has been deleted.")                          \
    XX(TOKEN_EXPIRED, "manage_token_expired", 410, "This booking link has expired.")                         \
    XX(TOO_LARGE, "payload_too_large", 413, "The request body is too large.")                                \
    XX(MEDIA, "unsupported_media_type", 415, "Send JSON with Content-Type: application/json.")               \
    XX(CHALLENGE, "challenge_required", 428,                                                                 \
       "Solve a proof-of-work challenge (GET /v1/widget/challenge) and send it in the X-Altcha header.")     \
    XX(RATE, "rate_limited", 429, "Too many requests; retry later.")                                         \
    XX(PASSWORD_RATE, "password_attempts_exceeded", 429,                                                     \
       "Too many attempts at the current password; retry later.")                                            \
    XX(PLAN, "plan_limit_exceeded", 429, "The plan's limit has been reached.")                               \
    /* the public widget's limits per visitor (client address) and conversation: domain/visitor.h */         \
    XX(VISITOR_RATE, "visitor_rate_limited", 429, "Too many requests from this visitor; retry later.")       \
    XX(CONV_RATE, "conversation_rate_limited", 429, "Messages are coming too fast; retry shortly.")          \
    XX(CONV_LONG, "conversation_too_long", 429, "This conversation has too many messages; start a new one.") \
    XX(VISITOR_MESSAGES, "visitor_messages_limited", 429, "Too many messages from this visitor today.")      \
    XX(VISITOR_CONVS_HOUR, "visitor_conversations_hour_limited", 429,                                        \
       "Too many conversations from this visitor in the last hour.")                                         \
    XX(VISITOR_CONVS_DAY, "visitor_conversations_day_limited", 429,                                          \
       "Too many conversations from this visitor today.")                                                    \
    XX(VISITOR_HOLDS, "visitor_holds_limited", 429, "Too many held times from this visitor today.")          \
    XX(VISITOR_BOOKINGS, "visitor_bookings_limited", 429, "Too many bookings from this visitor today.")      \
    XX(CONTACT_BOOKINGS, "contact_bookings_limited", 429, "Too many bookings for this contact today.")       \
    XX(VISITOR_WAITLIST, "visitor_waitlist_limited", 429,                                                    \
       "Too many waitlist entries from this visitor today.")                                                 \
    XX(INTERNAL, "internal", 500, "Internal error.")                                                         \
    XX(UNAVAILABLE, "unavailable", 503, "Service unavailable; retry later.")                                 \
    XX(TIMEOUT, "timeout", 504, "An upstream service timed out.")                                            \
    /* store-level conditions, mapped by the domain to one of the above when they reach the API */           \
    XX(COND, "conflict", 409, "A condition of the write failed.")                                            \
    XX(NOMEM, "internal", 500, "Out of memory.")                                                             \
    XX(IO, "internal", 500, "Storage I/O error.")                                                            \
    XX(FULL, "internal", 507, "The store is full.")

enum bc_err {
    BC_OK = 0,
#define XX(name, code, status, msg) BC_E##name,
    BC__ERR_FIRST = -1000,
    BC_ERR_MAP(XX)
#undef XX
        BC__ERR_LAST
};
/* Values are negative: BC_EINVALID == -999, and so on. */

/* The snake_case API code of an error ("slot_unavailable"); "internal" for anything unknown. */
const char *bc_err_code(int err);
/* The HTTP status of an error (500 for anything unknown). */
int bc_err_status(int err);
/* A human-readable default message. */
const char *bc_strerror(int err);

#endif
