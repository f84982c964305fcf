/* The widget's limits per visitor and per conversation (visitor.h): the table of limits with their
 * settings and periods, the token-bucket take, the contact's normal form, and the recent-refusal window
 * behind bc_visitor_under_attack. */
#include "domain/visitor.h"
#include "auth/ratelimit.h"
#include "domain/env.h"
#include "domain/usage.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/hash.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* how each limit is configured: a count per period (seconds); REQUESTS is a share of the key's bucket */
static const struct {
    const char *name;
    int err;
    enum bc_config_key setting;
    double period_s;
} limits[BC_VL__COUNT] = {
    [BC_VL_REQUESTS] = {"visitor_requests", BC_EVISITOR_RATE, BC_CFG_VISITOR_SHARE, 1},
    [BC_VL_CONV_RATE] = {"conversation_message_rate", BC_ECONV_RATE, BC_CFG_CONVERSATION_MESSAGE_RATE, 60},
    /* a conversation's whole life: a day's refill is far longer than any conversation a person holds */
    [BC_VL_CONV_MESSAGES] = {"conversation_messages", BC_ECONV_LONG, BC_CFG_CONVERSATION_MESSAGES, 86400},
    [BC_VL_MESSAGES_DAY] = {"visitor_messages_day", BC_EVISITOR_MESSAGES, BC_CFG_VISITOR_MESSAGES_DAY, 86400},
    [BC_VL_CONVS_HOUR] = {"visitor_conversations_hour", BC_EVISITOR_CONVS_HOUR,
                          BC_CFG_VISITOR_CONVERSATIONS_HOUR, 3600},
    [BC_VL_CONVS_DAY] = {"visitor_conversations_day", BC_EVISITOR_CONVS_DAY, BC_CFG_VISITOR_CONVERSATIONS_DAY,
                         86400},
    [BC_VL_HOLDS_DAY] = {"visitor_holds_day", BC_EVISITOR_HOLDS, BC_CFG_VISITOR_HOLDS_DAY, 86400},
    [BC_VL_BOOKINGS_DAY] = {"visitor_bookings_day", BC_EVISITOR_BOOKINGS, BC_CFG_VISITOR_BOOKINGS_DAY, 86400},
    [BC_VL_CONTACT_DAY] = {"contact_bookings_day", BC_ECONTACT_BOOKINGS, BC_CFG_CONTACT_BOOKINGS_DAY, 86400},
    [BC_VL_WAITLIST_DAY] = {"visitor_waitlist_day", BC_EVISITOR_WAITLIST, BC_CFG_VISITOR_WAITLIST_DAY, 86400},
};

/* the floor of a visitor's share of the key's bucket: a page load of the widget fits in it */
#define SHARE_MIN_RATE  2.0
#define SHARE_MIN_BURST 10.0

const char *bc_visitor_limit_name(enum bc_visitor_limit l)
{
    return (unsigned)l < BC_VL__COUNT ? limits[l].name : "?";
}

int bc_visitor_limit_of(int err)
{
    for (int i = 0; i < BC_VL__COUNT; i++)
        if (limits[i].err == err) return i;
    return -1;
}

static void refused(struct bc_env *env, const char *tenant_id, const char *subject);

/* The bucket of a limit for subject: its name, rate and burst; false when the limit does not apply. */
static bool bucket_of(enum bc_visitor_limit l, const char *tenant_id, const char *subject, double key_rate,
                      double key_burst, char key[256], double *rate, double *burst)
{
    if ((unsigned)l >= BC_VL__COUNT || !tenant_id || !subject || !*subject) return false;
    if (!bc_config_bool(BC_CFG_VISITOR_LIMITS)) return false;
    const char *v = bc_config_get(limits[l].setting);
    if (l == BC_VL_REQUESTS) {
        double share = v ? strtod(v, NULL) : 0;
        if (!(share > 0) || share >= 1) return false; /* off, or the key's own bucket is the visitor's */
        *rate = key_rate * share < SHARE_MIN_RATE ? SHARE_MIN_RATE : key_rate * share;
        *burst = key_burst * share < SHARE_MIN_BURST ? SHARE_MIN_BURST : key_burst * share;
        if (*rate >= key_rate && *burst >= key_burst) return false; /* no smaller than the key's */
    } else {
        long n = bc_config_int(limits[l].setting, 0);
        if (n <= 0) return false;
        *burst = (double)n;
        *rate = *burst / limits[l].period_s;
    }
    snprintf(key, 256, "v:%s:%s:%s", limits[l].name, tenant_id, subject);
    return true;
}

static int take_or_peek(struct bc_env *env, const char *tenant_id, enum bc_visitor_limit l,
                        const char *subject, double key_rate, double key_burst, struct bc_rl_info *info,
                        bool peek)
{
    struct bc_rl_info scratch;
    char key[256];
    double rate = 0, burst = 0;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    if (!bucket_of(l, tenant_id, subject, key_rate, key_burst, key, &rate, &burst)) return 0;
    if ((peek ? bc_ratelimit_peek : bc_ratelimit_take)(key, rate, burst, info) == 0) return 0;
    /* only a visitor's address tells visitors apart: a conversation or a contact is no new visitor */
    bool by_visitor = l != BC_VL_CONV_RATE && l != BC_VL_CONV_MESSAGES && l != BC_VL_CONTACT_DAY;
    refused(env, tenant_id, by_visitor ? subject : NULL);
    return limits[l].err;
}

int bc_visitor_take(struct bc_env *env, const char *tenant_id, enum bc_visitor_limit l, const char *subject,
                    double key_rate, double key_burst, struct bc_rl_info *info)
{
    return take_or_peek(env, tenant_id, l, subject, key_rate, key_burst, info, false);
}

int bc_visitor_peek(struct bc_env *env, const char *tenant_id, enum bc_visitor_limit l, const char *subject,
                    double key_rate, double key_burst, struct bc_rl_info *info)
{
    return take_or_peek(env, tenant_id, l, subject, key_rate, key_burst, info, true);
}

void bc_visitor_contact(const char *email, const char *phone, char *out, size_t outsize)
{
    size_t n = 0;
    if (outsize == 0) return;
    out[0] = '\0';
    if (email) {
        while (isspace((unsigned char)*email)) email++;
        if (*email && outsize > 3) {
            memcpy(out, "e:", 2);
            n = 2;
            for (; *email && n + 1 < outsize; email++) out[n++] = (char)tolower((unsigned char)*email);
            while (n > 2 && isspace((unsigned char)out[n - 1])) n--;
            out[n] = '\0';
            if (n > 2) return;
        }
    }
    out[0] = '\0';
    if (!phone) return;
    char digits[64];
    size_t d = 0;
    for (; *phone && d + 1 < sizeof digits; phone++)
        if (isdigit((unsigned char)*phone)) digits[d++] = *phone;
    digits[d] = '\0';
    if (d < 6) return;
    /* the last 9 digits: "+34 600 111 222" and "600111222" are one contact, as bookings compare them */
    snprintf(out, outsize, "p:%s", d > 9 ? digits + d - 9 : digits);
}

int bc_visitor_booking(struct bc_env *env, const char *tenant_id, const char *visitor, const char *email,
                       const char *phone)
{
    char contact[160];
    bc_visitor_contact(email, phone, contact, sizeof contact);
    int rc = bc_visitor_take(env, tenant_id, BC_VL_BOOKINGS_DAY, visitor, 0, 0, NULL);
    if (rc == 0) rc = bc_visitor_take(env, tenant_id, BC_VL_CONTACT_DAY, contact, 0, 0, NULL);
    return rc;
}

/* ---- recent refusals per tenant (the under-attack hook) ---- */

#define WATCH_SLOTS 64
#define WINDOW_S    60
/* distinct refused visitors (client addresses) in the current and the previous minute
 * that mean an attack: one visitor already stopped by its own caps is not one (PRODUCT.md section 16) */
#define ATTACK_DISTINCT 10
#define SEEN_MAX        (ATTACK_DISTINCT + 1)

struct watch_slot {
    char tenant[72];
    int64_t minute;
    int count, previous;     /* distinct visitors refused this minute, and the minute before */
    uint64_t seen[SEEN_MAX]; /* their hashes (this minute), up to what decides an attack */
};

struct bc_visitor_watch {
    pthread_mutex_t mu;
    struct watch_slot slot[WATCH_SLOTS];
};

struct bc_visitor_watch *bc__visitor_watch_new(void)
{
    struct bc_visitor_watch *w = calloc(1, sizeof *w);
    if (w) pthread_mutex_init(&w->mu, NULL);
    return w;
}

void bc__visitor_watch_free(struct bc_visitor_watch *w)
{
    if (!w) return;
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static unsigned slot_of(const char *tenant_id)
{
    return (unsigned)(bc_fnv1a_str(tenant_id) % WATCH_SLOTS);
}

/* the tenant's slot brought to this minute (a colliding tenant takes the slot over); under the lock */
static struct watch_slot *slot_now(struct bc_visitor_watch *w, const char *tenant_id, int64_t minute)
{
    struct watch_slot *s = &w->slot[slot_of(tenant_id)];
    if (strcmp(s->tenant, tenant_id) != 0) {
        memset(s, 0, sizeof *s);
        snprintf(s->tenant, sizeof s->tenant, "%s", tenant_id);
        s->minute = minute;
    }
    if (s->minute != minute) {
        s->previous = s->minute == minute - 1 ? s->count : 0;
        s->count = 0;
        memset(s->seen, 0, sizeof s->seen);
        s->minute = minute;
    }
    return s;
}

static void refused(struct bc_env *env, const char *tenant_id, const char *subject)
{
    bc_usage_add(env, tenant_id, BC_USAGE_VISITOR_LIMITED, 1);
    if (!env->visitors || !subject) return;
    uint64_t h = bc_fnv1a_str(subject) | 1; /* never 0, the empty mark */
    pthread_mutex_lock(&env->visitors->mu);
    struct watch_slot *s = slot_now(env->visitors, tenant_id, bc_now_s() / WINDOW_S);
    int i = 0;
    while (i < s->count && i < SEEN_MAX && s->seen[i] != h) i++;
    if (i == s->count && i < SEEN_MAX) s->seen[s->count++] = h; /* a new subject this minute */
    pthread_mutex_unlock(&env->visitors->mu);
}

bool bc_visitor_under_attack(struct bc_env *env, const char *tenant_id)
{
    if (!env->visitors || !tenant_id) return false;
    pthread_mutex_lock(&env->visitors->mu);
    struct watch_slot *s = slot_now(env->visitors, tenant_id, bc_now_s() / WINDOW_S);
    bool attack = s->count + s->previous >= ATTACK_DISTINCT;
    pthread_mutex_unlock(&env->visitors->mu);
    return attack;
}
