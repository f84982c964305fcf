/* The public widget's limits per visitor and per conversation, beside the per-key one: the widget key is
 * public, so one visitor (a client address, from the HTTP layer) must not spend a tenant's monthly quota,
 * fill its calendar or starve the other visitors of the same key. docs/security.md ("Widget abuse") lists
 * every limit with its default, its error code and the tests that prove it.
 *
 * DESIGN NOTES
 * - Every limit is a token bucket of auth/ratelimit.h keyed by limit, tenant and subject (the visitor's
 *   address, the conversation id or the normalised contact): a count per period is a bucket of that many
 *   tokens refilled over the period, so a daily cap of 4 lets a fifth through a quarter of a day later.
 *   Buckets are per process, like the per-key one (docs/scaling.md).
 * - The defaults are server settings (util/config.h); a setting of 0 turns that limit off.
 * - A refusal is counted in the tenant's usage (visitor_limited, read by the health score) and in this
 *   env's recent-refusal window, which bc_visitor_under_attack reads. */
#ifndef BC_VISITOR_H
#define BC_VISITOR_H
#include <stdbool.h>
#include <stddef.h>

struct bc_env;
struct bc_rl_info;

/* XX(ENUM, "name", BC_E<error>) — the name is the metrics label and the docs' name of the limit */
#define BC_VISITOR_LIMIT_MAP(XX)                                                                             \
    XX(REQUESTS, "visitor_requests", BC_EVISITOR_RATE)                                                       \
    XX(CONV_RATE, "conversation_message_rate", BC_ECONV_RATE)                                                \
    XX(CONV_MESSAGES, "conversation_messages", BC_ECONV_LONG)                                                \
    XX(MESSAGES_DAY, "visitor_messages_day", BC_EVISITOR_MESSAGES)                                           \
    XX(CONVS_HOUR, "visitor_conversations_hour", BC_EVISITOR_CONVS_HOUR)                                     \
    XX(CONVS_DAY, "visitor_conversations_day", BC_EVISITOR_CONVS_DAY)                                        \
    XX(HOLDS_DAY, "visitor_holds_day", BC_EVISITOR_HOLDS)                                                    \
    XX(BOOKINGS_DAY, "visitor_bookings_day", BC_EVISITOR_BOOKINGS)                                           \
    XX(CONTACT_DAY, "contact_bookings_day", BC_ECONTACT_BOOKINGS)                                            \
    XX(WAITLIST_DAY, "visitor_waitlist_day", BC_EVISITOR_WAITLIST)

enum bc_visitor_limit {
#define XX(e, name, err) BC_VL_##e,
    BC_VISITOR_LIMIT_MAP(XX)
#undef XX
        BC_VL__COUNT
};

/* The limit's name ("visitor_bookings_day"), "?" when out of range. */
const char *bc_visitor_limit_name(enum bc_visitor_limit l);
/* The limit that answers err (one of the BC_E… of the map), or -1. */
int bc_visitor_limit_of(int err);

/* Takes one unit of a limit for subject (the visitor's address, the conversation id, or a contact as
 * given: it is normalised here) of the tenant. Returns 0, or the limit's BC_E… error with info saying when
 * to retry (info may be NULL). For BC_VL_REQUESTS, key_rate and key_burst are the widget key's bucket (the
 * visitor gets visitor_share of them); other limits ignore them. An empty subject is never limited. */
int bc_visitor_take(struct bc_env *env, const char *tenant_id, enum bc_visitor_limit l, const char *subject,
                    double key_rate, double key_burst, struct bc_rl_info *info);
/* The same check without taking a unit (auth/ratelimit.h's peek): the limit's error when a take would be
 * refused now (counted as a refusal, like a refused take), else 0. For refusing a widget request as soon as
 * its headers arrive (http/auth.c). */
int bc_visitor_peek(struct bc_env *env, const char *tenant_id, enum bc_visitor_limit l, const char *subject,
                    double key_rate, double key_burst, struct bc_rl_info *info);
/* The daily booking caps of a visitor (its address) and of the contact (e-mail or phone) for a booking
 * that does not come through the widget's booking route, which applies them itself: a chat turn's.
 * 0, or BC_EVISITOR_BOOKINGS / BC_ECONTACT_BOOKINGS. */
int bc_visitor_booking(struct bc_env *env, const char *tenant_id, const char *visitor, const char *email,
                       const char *phone);
/* The contact of a booking as one key: the e-mail trimmed and lower-cased, or the phone's digits (the
 * last 9, as bookings compare them). Writes "" when neither is usable. */
void bc_visitor_contact(const char *email, const char *phone, char *out, size_t outsize);
/* True when many distinct visitors (client addresses) of the tenant were refused by these limits in the
 * current and the previous minute (10 or more); one visitor stopped by its own caps, however often and in
 * however many conversations, is not an attack. A hook for a stronger guard (a proof-of-work challenge) on
 * new conversations and bookings. */
bool bc_visitor_under_attack(struct bc_env *env, const char *tenant_id);

/* The recent-refusal window of an env (env.c): new, NULL when out of memory; free, NULL-safe. */
struct bc_visitor_watch;
struct bc_visitor_watch *bc__visitor_watch_new(void);
void bc__visitor_watch_free(struct bc_visitor_watch *w);

#endif
