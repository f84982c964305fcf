/* The claim protocol (claim.h): taking, completing and releasing a booking's claims, and deciding the fate
 * of an expired claim.
 *
 * DESIGN NOTES (docs/booking.md, "Resources and group sessions", has the proof)
 * - The booking item decides: pending (version v) → confirmed by the booker's write conditional on v, or
 *   → failed by an aborter's write conditional on v. Exactly one of the two wins; "failed" is final.
 * - An aborter only aborts a booking whose claim_exp has passed, and only a writer about to drop one of its
 *   expired claims aborts (bc__claim_resolve with may_abort); a claim of a confirmed booking is never
 *   dropped, it is made permanent by whoever meets it.
 * - Fixed order: the professional's dates in date order, then the resources in resource_ids order (sorted at
 *   booking time) each on its UTC dates. Claims never wait for each other (a conflict releases and answers
 *   409), so the order only makes two bookings meet first on the same item; it cannot deadlock.
 * - Fault points (util/fault.h) sit between the steps; armed with "kill" they SIGKILL the process there. */
#include "domain/claim.h"
#include "domain/calendar.h"
#include "domain/env.h"
#include "domain/fields.h"
#include "domain/keys.h"
#include "domain/resource.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/tz.h"

#include <stdio.h>
#include <string.h>

bool bc_claim_is(const json_t *item)
{
    return json_is_integer(json_object_get(item, "claim_exp"));
}

int bc_claim_res_dates(int64_t from, int64_t to, char dates[][11], int *n)
{
    int64_t a = from >= 0 ? from / 86400 : (from - 86399) / 86400,
            b = (to - 1) >= 0 ? (to - 1) / 86400 : (to - 86400) / 86400;
    *n = 0;
    if (to <= from || b - a + 1 > BC_CAL_MAX_DAYS) return BC_EINVALID;
    for (int64_t d = a; d <= b; d++) bc_tz_date_format((int32_t)d, dates[(*n)++]);
    return 0;
}

int bc__claim_resolve(struct bc_env *env, const char *pk, const char *booking_id, bool may_abort)
{
    struct bc_store *s = env->store;
    char sk[BC_KEY_SIZE], now_iso[32];
    if (!bc_key_sk(sk, "BOOKING", booking_id)) return 0; /* not a booking: nothing keeps it */
    for (int attempt = 0; attempt < 20; attempt++) {
        json_t *b = NULL;
        int rc = bc_store_get(s, pk, sk, &b);
        if (rc == BC_ENOT_FOUND) return 0;
        if (rc < 0) return rc;
        const char *st = bc_field_str(b, BC_F_STATUS);
        if (!st || strcmp(st, "pending") != 0) {
            bool holds = st && strcmp(st, "failed") != 0 && strcmp(st, "cancelled") != 0;
            json_decref(b);
            return holds ? 1 : 0;
        }
        int64_t exp = json_integer_value(json_object_get(b, "claim_exp")), version = bc__store_version(b);
        json_decref(b);
        if (exp > bc_now_s()) return 1; /* still being booked */
        if (!may_abort) return 0;       /* a reader: free, the next writer aborts it */
        bc_now_iso(now_iso);
        json_t *set = json_pack("{s:s, s:s}", "status", "failed", "updated_at", now_iso),
               *add = json_pack("{s:i}", "version", 1);
        struct bc_update u = {set, add, NULL};
        struct bc_cond c = {BC_COND_VERSION, version};
        rc = bc_store_update(s, pk, sk, &u, &c, NULL);
        json_decref(set);
        json_decref(add);
        if (rc == 0) return 0; /* aborted: its confirmation can never succeed now */
        if (rc != BC_ECOND) return rc;
        /* it changed meanwhile (confirmed, or aborted by another): read it again */
    }
    return BC_ECONFLICT;
}

/* The claim's parts, read from the booking item (borrowed from it). */
struct parts {
    const char *id, *pro, *svc;
    const char *cal[BC_CAL_MAX_DAYS], *res_dates[BC_CAL_MAX_DAYS];
    int ncal, nres_dates;
    const char *res[BC_RESOURCES_PER_SERVICE];
    size_t nres;
    struct bc_cal_entry e;
};

static int parts_of(const json_t *item, struct parts *p)
{
    memset(p, 0, sizeof *p);
    p->id = bc_field_str(item, BC_F_ID);
    p->pro = bc_field_str(item, BC_F_PROVIDER);
    p->svc = bc_field_str(item, BC_F_SERVICE);
    json_t *cal = json_object_get(item, "cal_dates"), *rd = json_object_get(item, "res_dates"),
           *res = json_object_get(item, "resource_ids");
    for (size_t i = 0; i < json_array_size(cal) && i < BC_CAL_MAX_DAYS; i++)
        p->cal[p->ncal++] = json_string_value(json_array_get(cal, i));
    for (size_t i = 0; i < json_array_size(rd) && i < BC_CAL_MAX_DAYS; i++)
        p->res_dates[p->nres_dates++] = json_string_value(json_array_get(rd, i));
    for (size_t i = 0; i < json_array_size(res) && i < BC_RESOURCES_PER_SERVICE; i++)
        p->res[p->nres++] = json_string_value(json_array_get(res, i));
    int cap = (int)json_integer_value(json_object_get(item, "capacity"));
    p->e = (struct bc_cal_entry){.id = p->id,
                                 .from = json_integer_value(json_object_get(item, "busy_from")),
                                 .to = json_integer_value(json_object_get(item, "busy_to")),
                                 .expires = json_integer_value(json_object_get(item, "claim_exp")),
                                 .service_id = p->svc,
                                 .pending = true,
                                 .capacity = cap};
    if (!p->id || !p->pro || p->ncal < 1 || (p->nres && p->nres_dates < 1)) return BC_EINVALID;
    for (int i = 0; i < p->ncal; i++)
        if (!p->cal[i]) return BC_EINVALID;
    for (size_t i = 0; i < p->nres; i++)
        if (!p->res[i]) return BC_EINVALID;
    return 0;
}

/* A fault point between two steps: true when the caller must stop as a dead process would. */
static bool died(const char *point, bool *crashed)
{
    if (!bc_fault_hit(point)) return false;
    *crashed = true;
    return true;
}

int bc_claim_take(struct bc_env *env, const struct bc_ctx *ctx, const json_t *item, const char *consume_hold,
                  char *msg, size_t msgsize, bool *crashed)
{
    struct parts p;
    *crashed = false;
    int rc = parts_of(item, &p);
    if (rc < 0) return rc;
    /* 1. the professional's time, on each local date */
    rc = bc_cal_claim(env, ctx, BC_CAL_PROVIDER, p.pro, p.cal, p.ncal, &p.e, 0, consume_hold);
    if (rc == 0 && died(BC_FAULT_CLAIM_AFTER_PROVIDER, crashed)) return BC_EINTERNAL;
    /* 2. one unit of each resource, in the fixed order */
    struct bc_cal_entry re = p.e;
    re.provider_id = p.pro;
    for (size_t i = 0; rc == 0 && i < p.nres; i++) {
        int quantity = 0;
        rc = bc_resource_quantity(env, ctx, p.res[i], &quantity);
        if (rc == BC_ENOT_FOUND) rc = BC_ESLOT; /* deleted meanwhile: nothing to claim */
        if (rc == 0)
            rc = bc_cal_claim(env, ctx, BC_CAL_RESOURCE, p.res[i], p.res_dates, p.nres_dates, &re, quantity,
                              NULL);
        if (rc == BC_ESLOT)
            snprintf(msg, msgsize, "that time is no longer available (a room or resource it needs is taken)");
        if (rc == 0 && died(BC_FAULT_CLAIM_AFTER_RESOURCE, crashed)) return BC_EINTERNAL;
    }
    if (rc < 0) bc_claim_release(env, ctx, item); /* release on conflict */
    return rc;
}

int bc_claim_complete(struct bc_env *env, const struct bc_ctx *ctx, const json_t *item, bool *crashed)
{
    struct parts p;
    *crashed = false;
    int rc = parts_of(item, &p);
    if (rc < 0) return rc;
    rc = bc_cal_complete(env, ctx, BC_CAL_PROVIDER, p.pro, p.cal, p.ncal, p.id);
    if (rc == 0 && died(BC_FAULT_CLAIM_MID_COMPLETE, crashed)) return BC_EINTERNAL;
    for (size_t i = 0; rc == 0 && i < p.nres; i++)
        rc = bc_cal_complete(env, ctx, BC_CAL_RESOURCE, p.res[i], p.res_dates, p.nres_dates, p.id);
    return rc;
}

int bc_claim_release(struct bc_env *env, const struct bc_ctx *ctx, const json_t *item)
{
    struct parts p;
    int rc = parts_of(item, &p);
    if (rc < 0) return rc;
    rc = bc_cal_remove_of(env, ctx, BC_CAL_PROVIDER, p.pro, p.cal, p.ncal, p.id);
    for (size_t i = 0; i < p.nres; i++) {
        int r = bc_cal_remove_of(env, ctx, BC_CAL_RESOURCE, p.res[i], p.res_dates, p.nres_dates, p.id);
        if (r < 0) rc = r;
    }
    return rc;
}
