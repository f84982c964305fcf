/* Holds: a time kept for a customer for a few minutes (hold_minutes, or a waitlist offer's own length) by a
 * calendar entry with an expiry, on the first professional of the schedule who is free then; released by id.
 * A hold id starts with 'H', so that it is told apart from a booking id at a glance. */
#include "domain/booking.h"
#include "domain/booking_internal.h"
#include "domain/calendar.h"
#include "domain/fields.h"
#include "domain/schedule.h"
#include "domain/settings.h"
#include "util/arena.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/tz.h"

#include <jansson.h>
#include <stdio.h>

int bc_booking_hold(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                    const char *provider_id, const char *start_s, char *msg, size_t msgsize, json_t **out)
{
    return bc_booking_hold_for(env, ctx, service_id, provider_id, start_s, 0, msg, msgsize, out);
}

int bc_booking_hold_for(struct bc_env *env, const struct bc_ctx *ctx, const char *service_id,
                        const char *provider_id, const char *start_s, int minutes_for, char *msg,
                        size_t msgsize, json_t **out)
{
    char id[BC_ID_LEN + 1], dates[BC_CAL_MAX_DAYS][11], exp_iso[32], start_iso[BC_TZ_ISO_SIZE];
    int64_t start;
    struct bc_arena arena;
    struct bc_schedule sc = {0};
    *out = NULL;
    if (!service_id || !start_s || bc_time_parse_iso(start_s, &start) < 0) {
        snprintf(msg, msgsize, "service_id and start (ISO 8601 with an offset) are required");
        return BC_EINVALID;
    }
    bc_arena_init(&arena);
    int rc = bc__booking_load_for(env, ctx, service_id, provider_id, start, NULL, false, &arena, &sc, msg,
                                  msgsize);
    if (rc == 0 && sc.n_pros == 0) rc = BC_ESLOT;
    int64_t minutes =
        json_integer_value(json_object_get(json_object_get(sc.settings, "booking"), "hold_minutes"));
    if (minutes <= 0) minutes = 5;
    if (minutes_for > 0) minutes = minutes_for;
    int64_t exp = bc_now_s() + minutes * 60;
    bc_id_new(id);
    id[0] = 'H'; /* hold ids are told apart from booking ids at a glance; still key-safe */
    for (size_t k = 0; rc == 0 || rc == BC_ESLOT; k++) {
        if (k >= sc.n_pros) break;
        rc = bc__booking_check_slot(&sc, k, start, msg, msgsize);
        if (rc == BC_EINVALID && sc.n_pros > 1) rc = BC_ESLOT;
        if (rc < 0) continue;
        int64_t from = start - sc.q.buffer_before_min * 60,
                to = start + (sc.q.duration_min + sc.q.buffer_after_min) * 60;
        int nd;
        const char *ptrs[BC_CAL_MAX_DAYS];
        if ((rc = bc__booking_busy_dates(sc.pros[k].zone, from, to, dates, &nd)) < 0) break;
        int cap = (int)json_integer_value(json_object_get(sc.service, "capacity"));
        struct bc_cal_entry e = {id,  true,       from,           to,
                                 exp, service_id, .capacity = cap}; /* a seat, in a session */
        rc = bc_cal_commit_hold(env, ctx, sc.pros[k].id, bc__booking_date_ptrs(dates, nd, ptrs), nd, &e);
        if (rc == 0) {
            bc_time_format_utc(exp, exp_iso, sizeof exp_iso);
            bc_tz_format_iso(bc_settings_zone(sc.settings), start, start_iso, sizeof start_iso);
            *out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "expires_at", exp_iso, "provider_id",
                             sc.pros[k].id, "service_id", service_id, "start", start_iso);
            break;
        }
    }
    if (rc == BC_ESLOT && !msg[0]) snprintf(msg, msgsize, "that time is no longer available");
    bc_schedule_release(&sc);
    bc_arena_release(&arena);
    return rc;
}

int bc_booking_hold_release(struct bc_env *env, const struct bc_ctx *ctx, const json_t *hold)
{
    const char *id = json_string_value(json_object_get(hold, "id")),
               *pro = json_string_value(json_object_get(hold, "provider_id")),
               *start_s = json_string_value(json_object_get(hold, "start"));
    int64_t start;
    if (!id || id[0] != 'H' || !pro || !start_s || bc_time_parse_iso(start_s, &start) < 0) return BC_EINVALID;
    /* the professional's local date of the start is the UTC date or a neighbour (offsets are under a day) */
    char dates[3][11];
    const char *ptrs[3];
    int32_t day = (int32_t)((start >= 0 ? start : start - 86399) / 86400);
    for (int i = 0; i < 3; i++) {
        bc_tz_date_format(day - 1 + i, dates[i]);
        ptrs[i] = dates[i];
    }
    return bc_cal_remove(env, ctx, pro, ptrs, 3, id);
}
