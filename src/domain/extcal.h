/* Busy times in: the professionals' own calendars (external ICS feeds) as busy intervals of availability
 * and of the booking commit (PRODUCT.md section 12, docs/calendars.md "Busy times in").
 *
 * DESIGN NOTES
 * - A professional lists up to BC_EXTCAL_MAX calendars (provider field external_calendars: [{"url"}]).
 *   Each is one item of the tenant, SK "XCAL#<provider>#<index>": url, status (pending | ok | error),
 *   etag/last_modified (for the next conditional GET), last_ok_at, last_attempt_at, last_error, events,
 *   busy ([[from, to], …] epoch seconds over [now - 1 day, now + max_days_ahead + 1 day]), next_at,
 *   lease_until, version. A failed fetch or expansion changes status and last_error only: the last good
 *   busy list stays.
 * - Due calendars are found through pointers in a global queue partition, PK "XCALQ#0", SK
 *   "<next_at, 12 digits>#<tenant>#<provider>#<index>" (like the outbox's). The poller (one thread per serve
 *   process, calendar_poller = on) reads the due pointers, claims the calendar item with a version-checked
 *   write of lease_until (so with several processes on one table one polls a calendar at a time), fetches
 *   through the sender (net/sender.h: GET, conditional, 2 MiB, no redirects, the public-address rule unless
 *   webhook_allow_private), expands (extcal_parse.h), writes the next pointer, then the result (with the
 *   next next_at, version-checked), then deletes the old pointer: a crash anywhere leaves the item led to by
 *   some pointer. A pointer whose item is gone, names another URL or another next_at is stale: deleted.
 * - Changing a professional's calendars rewrites their items (a new URL starts "pending", due at once) and
 *   deletes the items past the new count; deleting the professional deletes them all. A suspended (or
 *   deleted, still restorable) tenant's calendars are not fetched, only looked at again hourly; a purged
 *   tenant's pointers are dropped. The pointer is a global item of the calendar item
 *   (bc_extcal_pointer_key), so the tenant's walks (export, migration, purge) carry it along.
 * - Reads for availability are read-only queries of at most BC_EXTCAL_MAX items, and only for a
 *   professional whose item lists calendars: the others cost nothing. */
#ifndef BC_EXTCAL_H
#define BC_EXTCAL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"

struct bc_env;
struct bc_busy;
struct bc_buf;

#define BC_EXTCAL_MAX      5         /* calendars per professional */
#define BC_EXTCAL_QUEUE_PK "XCALQ#0" /* the poller's queue partition */

/* The queue pointer of a calendar item (its SK in BC_EXTCAL_QUEUE_PK, into sk of BC_KEY_SIZE bytes), so
 * that the tenant's walks (export, migration, purge: domain/tenant_items.h) carry it along; NULL when the
 * item is not a calendar item. */
const char *bc_extcal_pointer_key(const json_t *item, char *sk);

/* Checks a professional's external_calendars value (an array of {"url"}: at most 5, https (http too with
 * allow_private), public addresses unless allow_private, at most 2048 bytes, no duplicates). 0, or
 * BC_EINVALID with a clear msg. */
int bc_extcal_check(const json_t *list, bool allow_private, char *msg, size_t msgsize);
/* After a professional's write: makes their calendar items match list (NULL: leave them). 0 or bc_err. */
int bc_extcal_sync(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, const json_t *list);
/* Deletes every calendar item of a professional. */
int bc_extcal_forget(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id);

/* True when a professional's item lists external calendars (so availability must read their busy times). */
bool bc_extcal_has(const json_t *provider);
/* The busy intervals of a professional's external calendars that overlap [from, to): *out malloc'd
 * (struct bc_busy of domain/calendar.h, id "external"), sorted by start. Read-only reads. */
int bc_extcal_busy(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, int64_t from,
                   int64_t to, struct bc_busy **out, size_t *n);
/* GET /v1/admin/providers/{id}/calendars: [{url, status, last_ok_at, last_attempt_at, last_error, events}]
 * in the order of the provider's list. BC_ENOT_FOUND for an unknown professional. */
int bc_extcal_status(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, json_t **items);
/* GET /v1/admin/busy: [{provider_id, from, to}] (ISO 8601 in the tenant's zone) over local dates
 * [from_date, to_date] (at most 62 days), of one professional or all. BC_EINVALID with msg. */
int bc_extcal_busy_list(struct bc_env *env, const struct bc_ctx *ctx, const char *from_date,
                        const char *to_date, const char *provider_id, json_t **items, char *msg,
                        size_t msgsize);
/* Calendars of the tenant whose status is error since more than an hour (for the health score). */
int bc_extcal_failing(struct bc_env *env, const struct bc_ctx *ctx, int64_t now, int *failing, int *total);

/* The poller (one thread; see DESIGN NOTES). interval_s: seconds between two polls of a calendar. */
struct bc_extcal_poller;
int bc_extcal_poller_start(struct bc_env *env, int interval_s, bool allow_private,
                           struct bc_extcal_poller **out, char *err, size_t errsize);
void bc_extcal_poller_stop(struct bc_extcal_poller *p);
/* Polls the due calendars now and waits until no fetch is in flight, or until deadline_ns (monotonic): for a
 * process frozen between invocations (Lambda's scheduled event). True when settled. NULL is settled. */
bool bc_extcal_poller_settle(struct bc_extcal_poller *p, int64_t deadline_ns);

#endif
