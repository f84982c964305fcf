/* Changes to a booking after it is made: cancelling (by the customer within the tenant's window, or by
 * staff), rescheduling to another time or professional (the new slot is taken before the old one is freed),
 * and staff status changes. Every change of the booking item is conditional on its version. */
#include "domain/booking.h"
#include "domain/fields.h"
#include "domain/booking_internal.h"
#include "domain/env.h"
#include "domain/calendar.h"
#include "domain/claim.h"
#include "domain/outbox.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "domain/usage.h"
#include "domain/waitlist.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Refreshes the listing entry after a change of the booking item. */
static int relist(struct bc_env *env, json_t *item)
{
    struct bc_store *s = env->store;
    char *bsk = bc__booking_bstart_sk(item);
    if (!bsk) return BC_ENOMEM;
    json_t *entry = json_deep_copy(item);
    json_object_set_new(entry, "SK", json_string(bsk));
    int rc = bc_store_put(s, entry, NULL);
    json_decref(entry);
    free(bsk);
    return rc;
}

static const char *const *item_dates(json_t *item, const char **ptrs, int *n)
{
    json_t *d = json_object_get(item, "cal_dates");
    *n = 0;
    for (size_t i = 0; i < json_array_size(d) && i < BC_CAL_MAX_DAYS; i++)
        ptrs[(*n)++] = json_string_value(json_array_get(d, i));
    return ptrs;
}

/* The seats of the group session a booking item is a seat of (0: not a group session). */
static int seats_of(const json_t *item)
{
    return (int)json_integer_value(json_object_get(item, "capacity"));
}

/* The time item no longer takes may go to the waitlist of its (the tenant's local) date. */
static void freed(struct bc_env *env, const struct bc_ctx *ctx, json_t *item)
{
    char date[11];
    snprintf(date, sizeof date, "%.10s", bc_field_str(item, BC_F_START) ?: "");
    int rc = bc_waitlist_freed(env, ctx, date);
    if (rc < 0) bc_log(BC_LOG_WARN, "waitlist offers for %s failed: %d", date, rc);
}

/* Customers may change a booking only until cancel_window_min before its start. */
static int customer_window(struct bc_env *env, const struct bc_ctx *ctx, json_t *item, char *msg,
                           size_t msgsize)
{
    json_t *settings = NULL;
    int rc = bc_settings_get(env, ctx, &settings);
    if (rc < 0) return rc;
    int64_t window =
        json_integer_value(json_object_get(json_object_get(settings, "booking"), "cancel_window_min"));
    json_decref(settings);
    if (json_integer_value(json_object_get(item, "start_ts")) - bc_now_s() < window * 60) {
        snprintf(msg, msgsize,
                 "bookings can be changed online until %lld minutes before they start; please call "
                 "the business",
                 (long long)window);
        return BC_ECONFLICT;
    }
    return 0;
}

/* The notifications of changing item by set (borrowed): their intents (outbox.h), written before the change,
 * with item as it will be as their snapshot; set gets the item's new "events" so that the change carries
 * their id. 0 or a negative bc_err (nothing changed then). */
static int announce(struct bc_env *env, const struct bc_ctx *ctx, const char *type, json_t *item, json_t *set,
                    struct bc_outbox_batch *ob)
{
    json_t *snap = json_deep_copy(item);
    if (!snap || !set) {
        json_decref(snap);
        return BC_ENOMEM;
    }
    json_object_update(snap, set);
    json_object_set_new(snap, "version", json_integer(bc__store_version(item) + 1));
    int rc = bc_outbox_booking(env, ctx, type, snap, ob);
    if (rc == 0) json_object_set(set, "events", json_object_get(snap, "events"));
    if (rc == 0) rc = bc_outbox_put(env, ob);
    json_decref(snap);
    return rc;
}

static int update_item(struct bc_env *env, json_t *item, json_t *set, json_t **out)
{
    struct bc_store *s = env->store;
    char now[32];
    bc_now_iso(now);
    json_object_set_new(set, "updated_at", json_string(now));
    struct bc_update u = {set, NULL, NULL};
    json_t *add = json_pack("{s:i}", "version", 1);
    u.add = add;
    struct bc_cond c = {BC_COND_VERSION, bc__store_version(item)};
    int rc = bc_store_update(s, json_string_value(json_object_get(item, "PK")),
                             json_string_value(json_object_get(item, "SK")), &u, &c, out);
    json_decref(add);
    json_decref(set);
    return rc == BC_ECOND ? BC_ECONFLICT : rc;
}

int bc_booking_cancel(struct bc_env *env, const struct bc_ctx *ctx, const char *id, bool by_customer,
                      char *msg, size_t msgsize, json_t **out)
{
    json_t *item = NULL, *updated = NULL;
    char now[32];
    *out = NULL;
    int rc = bc_booking_get(env, ctx, id, &item);
    if (rc < 0) return rc;
    const char *st = bc_field_str(item, BC_F_STATUS);
    if (!st || strcmp(st, "confirmed") != 0) {
        snprintf(msg, msgsize, "this booking is %s", st ? st : "not active");
        rc = BC_ECONFLICT;
    }
    if (rc == 0 && by_customer) rc = customer_window(env, ctx, item, msg, msgsize);
    struct bc_outbox_batch ob = {0};
    if (rc == 0) {
        bc_now_iso(now);
        json_t *set = json_pack("{s:s, s:s, s:s}", "status", "cancelled", "cancelled_at", now, "cancelled_by",
                                by_customer ? "customer" : "staff");
        rc = announce(env, ctx, BC_EV_BOOKING_CANCELLED, item, set, &ob);
        if (rc == 0)
            rc = update_item(env, item, set, &updated);
        else
            json_decref(set);
    }
    bc_outbox_batch_release(&ob);
    if (rc == 0) {
        const char *ptrs[BC_CAL_MAX_DAYS];
        int nd;
        item_dates(updated, ptrs, &nd);
        if (bc_claim_is(updated)) /* its resources too (claim.h) */
            rc = bc_claim_release(env, ctx, updated);
        else
            rc = bc_cal_remove(env, ctx, json_string_value(json_object_get(updated, "provider_id")), ptrs, nd,
                               id);
        if (rc == 0) rc = relist(env, updated);
        if (rc == 0) bc_usage_add(env, ctx->tenant_id, BC_USAGE_CANCELLATIONS, 1);
        bc_outbox_wake(env);
        if (rc == 0) freed(env, ctx, updated);
    }
    if (rc == 0) *out = json_incref(updated);
    json_decref(updated);
    json_decref(item);
    return rc;
}

int bc_booking_reschedule(struct bc_env *env, const struct bc_ctx *ctx, const char *id, const char *new_start,
                          const char *new_provider, bool by_customer, char *msg, size_t msgsize, json_t **out)
{
    struct bc_store *s = env->store;
    json_t *item = NULL, *updated = NULL;
    int64_t start;
    struct bc_arena arena;
    struct bc_schedule sc = {0};
    char dates[BC_CAL_MAX_DAYS][11], start_iso[BC_TZ_ISO_SIZE], end_iso[BC_TZ_ISO_SIZE];
    *out = NULL;
    if (!new_start || bc_time_parse_iso(new_start, &start) < 0) {
        snprintf(msg, msgsize, "start must be ISO 8601 with an offset");
        return BC_EINVALID;
    }
    int rc = bc_booking_get(env, ctx, id, &item);
    if (rc < 0) return rc;
    const char *st = bc_field_str(item, BC_F_STATUS);
    if (!st || strcmp(st, "confirmed") != 0) {
        snprintf(msg, msgsize, "this booking is %s", st ? st : "not active");
        json_decref(item);
        return BC_ECONFLICT;
    }
    if (by_customer && (rc = customer_window(env, ctx, item, msg, msgsize)) < 0) {
        json_decref(item);
        return rc;
    }
    if (bc_claim_is(item)) { /* its resources would need claims of their own */
        snprintf(msg, msgsize,
                 "a booking that uses a room or another resource cannot be moved: cancel it and "
                 "book the new time");
        json_decref(item);
        return BC_ECONFLICT;
    }
    const char *old_pro = bc_field_str(item, BC_F_PROVIDER);
    const char *pro_id = new_provider && *new_provider ? new_provider : old_pro;
    bc_arena_init(&arena);
    /* the booking's own entry does not block its new time */
    rc = bc__booking_load_for(env, ctx, bc_field_str(item, BC_F_SERVICE), pro_id, start, id, !by_customer,
                              &arena, &sc, msg, msgsize);
    if (rc == 0 && sc.n_pros != 1) rc = BC_EINVALID;
    if (rc == 0) rc = bc__booking_check_slot(&sc, 0, start, msg, msgsize);
    int nd = 0;
    int64_t dur = sc.q.duration_min * 60, bb = sc.q.buffer_before_min * 60, ba = sc.q.buffer_after_min * 60;
    if (rc == 0) rc = bc__booking_busy_dates(sc.pros[0].zone, start - bb, start + dur + ba, dates, &nd);
    if (rc == 0) {
        const char *ptrs[BC_CAL_MAX_DAYS];
        struct bc_cal_entry e = {id,
                                 false,
                                 start - bb,
                                 start + dur + ba,
                                 0,
                                 bc_field_str(item, BC_F_SERVICE),
                                 .capacity = seats_of(item)}; /* a seat of a session stays a seat */
        /* same professional: the old entry goes in the same write on dates both share */
        rc = bc_cal_commit(env, ctx, pro_id, bc__booking_date_ptrs(dates, nd, ptrs), nd, &e,
                           strcmp(pro_id, old_pro) == 0 ? id : NULL);
    }
    if (rc == 0) {
        /* now free the old entry on the dates the new placement does not share */
        const char *optrs[BC_CAL_MAX_DAYS], *rm[BC_CAL_MAX_DAYS];
        int ond, nrm = 0;
        item_dates(item, optrs, &ond);
        for (int i = 0; i < ond; i++) {
            bool shared = false; /* already replaced in the commit's own write */
            for (int j = 0; j < nd; j++)
                shared |= strcmp(pro_id, old_pro) == 0 && strcmp(optrs[i], dates[j]) == 0;
            if (!shared) rm[nrm++] = optrs[i];
        }
        bc_cal_remove(env, ctx, old_pro, rm, nrm, id);
        const char *zone = bc_settings_zone(sc.settings);
        bc_tz_format_iso(zone, start, start_iso, sizeof start_iso);
        bc_tz_format_iso(zone, start + dur, end_iso, sizeof end_iso);
        json_t *jd = json_array();
        for (int d = 0; d < nd; d++) json_array_append_new(jd, json_string(dates[d]));
        char *old_bsk = bc__booking_bstart_sk(item);
        json_t *hist = json_copy(json_object_get(item, "history"));
        if (!json_is_array(hist)) {
            json_decref(hist);
            hist = json_array();
        }
        json_array_append_new(hist, json_pack("{s:O, s:O, s:s}", "start", json_object_get(item, "start"),
                                              "provider_id", json_object_get(item, "provider_id"), "by",
                                              by_customer ? "customer" : "staff"));
        json_t *set =
            json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:s, s:O, s:o}", "start", start_iso, "end",
                      end_iso, "start_ts", (json_int_t)start, "end_ts", (json_int_t)(start + dur),
                      "busy_from", (json_int_t)(start - bb), "busy_to", (json_int_t)(start + dur + ba),
                      "cal_dates", jd, "provider_id", pro_id, "provider_name",
                      json_object_get(json_array_get(sc.providers, 0), "name"), "history", hist);
        struct bc_outbox_batch ob = {0};
        rc = announce(env, ctx, BC_EV_BOOKING_RESCHEDULED, item, set, &ob);
        if (rc == 0)
            rc = update_item(env, item, set, &updated);
        else
            json_decref(set);
        bc_outbox_batch_release(&ob);
        if (rc == 0) bc_outbox_wake(env);
        if (rc == 0 && old_bsk) {
            bc_store_delete(s, json_string_value(json_object_get(item, "PK")), old_bsk, NULL);
            rc = relist(env, updated);
        }
        if (rc == 0) freed(env, ctx, item); /* the old time */
        free(old_bsk);
    }
    if (rc == BC_ESLOT && !msg[0]) snprintf(msg, msgsize, "that time is no longer available");
    if (rc == 0) *out = json_incref(updated);
    json_decref(updated);
    json_decref(item);
    bc_schedule_release(&sc);
    bc_arena_release(&arena);
    return rc;
}

int bc_booking_set_status(struct bc_env *env, const struct bc_ctx *ctx, const char *id, const char *status,
                          char *msg, size_t msgsize, json_t **out)
{
    json_t *item = NULL, *updated = NULL;
    *out = NULL;
    if (!status || (strcmp(status, "confirmed") && strcmp(status, "cancelled") &&
                    strcmp(status, "completed") && strcmp(status, "no_show"))) {
        snprintf(msg, msgsize, "status must be confirmed, cancelled, completed or no_show");
        return BC_EINVALID;
    }
    if (strcmp(status, "cancelled") == 0) return bc_booking_cancel(env, ctx, id, false, msg, msgsize, out);
    int rc = bc_booking_get(env, ctx, id, &item);
    if (rc < 0) return rc;
    const char *cur = bc_field_str(item, BC_F_STATUS);
    if (strcmp(cur, "cancelled") == 0 || strcmp(cur, "failed") == 0) {
        /* a cancelled booking comes back only if its slot is still free */
        if (strcmp(status, "confirmed") != 0 || strcmp(cur, "failed") == 0 || bc_claim_is(item)) {
            snprintf(msg, msgsize, "a %s booking can only be confirmed again", cur);
            rc = BC_ECONFLICT;
        } else {
            const char *ptrs[BC_CAL_MAX_DAYS];
            int nd;
            item_dates(item, ptrs, &nd);
            struct bc_cal_entry e = {id,
                                     false,
                                     json_integer_value(json_object_get(item, "busy_from")),
                                     json_integer_value(json_object_get(item, "busy_to")),
                                     0,
                                     bc_field_str(item, BC_F_SERVICE),
                                     .capacity = seats_of(item)};
            rc = bc_cal_commit(env, ctx, bc_field_str(item, BC_F_PROVIDER), ptrs, nd, &e, NULL);
            if (rc == BC_ESLOT)
                snprintf(msg, msgsize, "that time has been taken since the booking was cancelled");
        }
    }
    if (rc == 0) rc = update_item(env, item, json_pack("{s:s}", "status", status), &updated);
    if (rc == 0) rc = relist(env, updated);
    if (rc == 0) *out = json_incref(updated);
    json_decref(updated);
    json_decref(item);
    return rc;
}
