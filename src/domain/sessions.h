/* What a schedule adds for group sessions and resources (docs/booking.md, "Resources and group sessions"):
 * a professional's entries of one session of the service become one joinable busy interval with its seats
 * taken, and the times when a required resource has no unit left become busy time of every professional. */
#ifndef BC_SESSIONS_H
#define BC_SESSIONS_H
#include <stddef.h>

#include "auth/context.h"
#include "domain/availability.h"
#include "domain/calendar.h"
#include "util/arena.h"

struct bc_env;

/* busy[0..n) of one professional's calendar as availability busy intervals into *out (arena): for a service
 * of capacity > 1, the seats of its sessions grouped, each session with seats left joinable (seats_taken),
 * a full one plain busy. */
int bc_sessions_busy(const struct bc_busy *busy, size_t n, const char *service_id, int capacity,
                     struct bc_arena *arena, struct bc_availability_busy **out, size_t *nout);

/* The resources' entries of the service's resource_ids over the UTC dates [from, to], read once for all the
 * professionals of a schedule. */
struct bc_res_load {
    size_t n;
    struct {
        int quantity;
        struct bc_busy *busy; /* malloc'd */
        size_t n_busy;
    } r[8];
};
int bc_sessions_load_resources(struct bc_env *env, const struct bc_ctx *ctx, const json_t *resource_ids,
                               const char *from, const char *to, struct bc_res_load *out);
void bc_sessions_release_resources(struct bc_res_load *rl);
/* Appends to pro's busy intervals (arena) the times when a resource of rl has no unit left for professional
 * pro_id booking service_id (the seats of that professional's own session of the service need none). */
int bc_sessions_add_resources(const struct bc_res_load *rl, const char *pro_id, const char *service_id,
                              int capacity, struct bc_arena *arena, struct bc_availability_pro *pro);

#endif
