/* Group sessions and resources in a schedule (sessions.h): busy intervals from seats and from resource
 * units, computed from the calendar entries the schedule read. Pure but for the one read of the resources'
 * calendars. */
#include "domain/sessions.h"
#include "domain/claim.h"
#include "domain/resource.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

static bool seat_of(const struct bc_busy *b, const char *service_id, int capacity)
{
    return capacity > 1 && b->cap > 1 && strcmp(b->svc, service_id) == 0;
}

int bc_sessions_busy(const struct bc_busy *busy, size_t n, const char *service_id, int capacity,
                     struct bc_arena *arena, struct bc_availability_busy **out, size_t *nout)
{
    *nout = 0;
    *out = n ? bc_arena_alloc(arena, n * sizeof **out) : NULL;
    if (n && !*out) return BC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!seat_of(&busy[i], service_id, capacity)) {
            (*out)[(*nout)++] = (struct bc_availability_busy){busy[i].from, busy[i].to, 0};
            continue;
        }
        size_t j;
        for (j = 0; j < *nout; j++) /* a seat of a session already counted */
            if ((*out)[j].seats_taken > 0 && (*out)[j].start == busy[i].from && (*out)[j].end == busy[i].to)
                break;
        if (j < *nout)
            (*out)[j].seats_taken++;
        else
            (*out)[(*nout)++] = (struct bc_availability_busy){busy[i].from, busy[i].to, 1};
    }
    for (size_t j = 0; j < *nout; j++) /* a full session is plain busy time */
        if ((*out)[j].seats_taken >= capacity) (*out)[j].seats_taken = 0;
    return 0;
}

int bc_sessions_load_resources(struct bc_env *env, const struct bc_ctx *ctx, const json_t *resource_ids,
                               const char *from, const char *to, struct bc_res_load *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < json_array_size(resource_ids) && out->n < sizeof out->r / sizeof out->r[0]; i++) {
        const char *id = json_string_value(json_array_get(resource_ids, i));
        if (!id) continue;
        int rc = bc_resource_quantity(env, ctx, id, &out->r[out->n].quantity);
        if (rc == BC_ENOT_FOUND) rc = 0; /* deleted: no unit to be had (quantity 0) */
        if (rc == 0)
            rc = bc_cal_busy_of(env, ctx, BC_CAL_RESOURCE, id, from, to, NULL, &out->r[out->n].busy,
                                &out->r[out->n].n_busy);
        out->n++;
        if (rc < 0) {
            bc_sessions_release_resources(out);
            return rc;
        }
    }
    return 0;
}

void bc_sessions_release_resources(struct bc_res_load *rl)
{
    for (size_t i = 0; i < rl->n; i++) free(rl->r[i].busy);
    memset(rl, 0, sizeof *rl);
}

/* Whether entry a is a seat of the same session as an earlier entry b (one unit between them). */
static bool same_unit(const struct bc_busy *a, const struct bc_busy *b)
{
    return a->cap > 1 && b->cap > 1 && a->from == b->from && a->to == b->to && strcmp(a->svc, b->svc) == 0 &&
           strcmp(a->pro, b->pro) == 0;
}

/* The intervals where at least quantity sessions of busy[] (skipping the professional's own session seats)
 * overlap, onto *v (arena-grown). */
static int full_times(const struct bc_busy *busy, size_t n, int quantity, const char *pro_id,
                      const char *service_id, int capacity, struct bc_arena *arena,
                      struct bc_availability_busy **v, size_t *nv)
{
    if (quantity <= 0) { /* no unit at all: always busy */
        struct bc_availability_busy *nb = bc_arena_alloc(arena, (*nv + 1) * sizeof *nb);
        if (!nb) return BC_ENOMEM;
        if (*nv) memcpy(nb, *v, *nv * sizeof *nb);
        nb[(*nv)++] = (struct bc_availability_busy){0, INT64_MAX / 2, 0};
        *v = nb;
        return 0;
    }
    /* the count changes only at a start or an end: count at each, up to the next one */
    for (size_t i = 0; i < 2 * n; i++) {
        int64_t t = i < n ? busy[i].from : busy[i - n].to;
        int count = 0;
        int64_t until = INT64_MAX;
        for (size_t j = 0; j < n; j++) {
            const struct bc_busy *b = &busy[j];
            if (!(b->from <= t && t < b->to)) continue;
            if (seat_of(b, service_id, capacity) && strcmp(b->pro, pro_id) == 0) continue;
            bool dup = false;
            for (size_t k = 0; k < j && !dup; k++)
                dup = busy[k].from <= t && t < busy[k].to && same_unit(b, &busy[k]);
            if (dup) continue;
            count++;
            if (b->to < until) until = b->to;
        }
        for (size_t j = 0; j < n; j++) { /* the count can only change at the next start or end */
            if (busy[j].from > t && busy[j].from < until) until = busy[j].from;
            if (busy[j].to > t && busy[j].to < until) until = busy[j].to;
        }
        if (count < quantity) continue;
        struct bc_availability_busy *nb = bc_arena_alloc(arena, (*nv + 1) * sizeof *nb);
        if (!nb) return BC_ENOMEM;
        if (*nv) memcpy(nb, *v, *nv * sizeof *nb);
        nb[(*nv)++] = (struct bc_availability_busy){t, until, 0};
        *v = nb;
    }
    return 0;
}

int bc_sessions_add_resources(const struct bc_res_load *rl, const char *pro_id, const char *service_id,
                              int capacity, struct bc_arena *arena, struct bc_availability_pro *pro)
{
    struct bc_availability_busy *v = (struct bc_availability_busy *)pro->busy;
    size_t nv = pro->n_busy;
    for (size_t i = 0; i < rl->n; i++) {
        int rc = full_times(rl->r[i].busy, rl->r[i].n_busy, rl->r[i].quantity, pro_id, service_id, capacity,
                            arena, &v, &nv);
        if (rc < 0) return rc;
    }
    pro->busy = v;
    pro->n_busy = nv;
    return 0;
}
