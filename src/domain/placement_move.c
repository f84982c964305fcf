/* Moving one tenant's partition to another store while the servers keep serving it (`bookchat tenant
 * place`), and ending a move that was cut short (placement.h).
 *
 * DESIGN NOTES
 * - Only the partition (PK "TENANT#<id>") moves. The directory (API key and e-mail look-ups, the origin
 *   index, the platform's index, the plans) stays in the pooled store, so no key is re-issued and no
 *   sign-in changes: placement is not migration.
 * - Steps: (1) the directory entry says "copying" (requests still go to the old store), and every item is
 *   copied and read back; (2) "moving": the servers refuse the tenant's writes from the moment they see it,
 *   which is within bound_ms, and the mover waits bound_ms + grace_ms, so no write is still on its way;
 *   (3) the final copy compares both partitions and copies what changed and deletes what went away, again
 *   until a pass finds nothing (at most FINAL_PASSES) but usage counters, which servers keep flushing into
 *   the old copy during the freeze (the tenant's reads are served) and step (6) carries over: counted as
 *   changes, a busy tenant's flushes could keep every pass from ending clean and fail the move; (4) the
 *   counts must agree; (5) the entry switches ("placed" at the target, or removed for the pooled store)
 *   with a version condition; (6) after bound_ms more no server routes to the old store, and the old copy
 *   is deleted (its usage counts that a server flushed there meanwhile are added to the new copy first).
 * - Every entry write is conditional on the version read, so two placements of one tenant cannot both run:
 *   the second is refused. A failure before the switch puts the entry back as it was and deletes the
 *   partial copy; a process killed before the switch leaves the entry "copying" or "moving" (the tenant
 *   frozen in the second case) until `bookchat tenant place ID --abort` does the same. */
#include "domain/placement.h"
#include "domain/env.h"
#include "domain/fields.h"
#include "domain/keys.h"
#include "domain/tenant_items.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S(o, k)      json_string_value(json_object_get((o), (k)))
#define FINAL_PASSES 3

static const struct bc_cond lazy = {BC_COND_NONE, 0, true};

struct mv {
    const struct bc_placement_move *m;
    char pk[BC_KEY_SIZE];
    json_t *prev;  /* the entry before this placement (NULL: pooled, none) */
    json_t *entry; /* the entry as last written */
    json_t *usage; /* the old copy's USAGE# items at the final copy, by SK (for the late counts) */
    char *msg;
    size_t msgsize;
};

static void step(struct mv *v, const char *name, int64_t items)
{
    if (v->m->progress) v->m->progress(name, items, v->m->progress_arg);
}

static void pause_ms(int64_t ms)
{
    if (ms <= 0) return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static const char *where(json_t *entry)
{
    const char *s = S(entry, "store");
    return s ? s : BC_PLACEMENT_POOLED;
}

/* Writes the entry with state (store and target as given; target NULL removes it), one version on. */
static int write_entry(struct mv *v, const char *state, const char *store, const char *target)
{
    char now[32];
    bc_now_iso(now);
    json_int_t ver = json_integer_value(json_object_get(v->entry, "version"));
    json_object_set_new(v->entry, "state", json_string(state));
    json_object_set_new(v->entry, "store", json_string(store));
    if (target)
        json_object_set_new(v->entry, "target", json_string(target));
    else
        json_object_del(v->entry, "target");
    json_object_set_new(v->entry, "updated_at", json_string(now));
    json_object_set_new(v->entry, "version", json_integer(ver + 1));
    int rc = bc_placement_put(v->m->pooled->store, v->entry);
    if (rc == BC_ECOND) {
        snprintf(v->msg, v->msgsize, "the placement of %s was changed by another process meanwhile",
                 v->m->tenant_id);
        rc = BC_ECONFLICT;
    }
    return rc;
}

/* ---- copying ---- */

struct pass {
    struct mv *v;
    json_t *seen; /* SKs of the source, for the deletions */
    int64_t n;    /* items copied (first pass) or changed (final passes), usage counters not included */
};

static int copy_one(json_t *item, void *arg)
{
    struct pass *p = arg;
    p->n++;
    return bc_tenant_item_copy(p->v->m->to->store, item, &lazy, p->v->msg, p->v->msgsize);
}

/* An item of the source: copied when the target's differs or is missing. */
static int sync_one(json_t *item, void *arg)
{
    struct pass *p = arg;
    json_t *there = NULL;
    const char *sk = S(item, "SK");
    json_object_set_new(p->seen, sk, json_true());
    bool usage = strncmp(sk, "USAGE#", 6) == 0;
    if (p->v->usage && usage) json_object_set(p->v->usage, sk, item);
    int rc = bc_store_get(p->v->m->to->store, p->v->pk, sk, &there);
    if (rc == BC_ENOT_FOUND || (rc == 0 && !json_equal(item, there))) {
        if (!usage) p->n++; /* their later growth is step (6)'s */
        rc = bc_tenant_item_copy(p->v->m->to->store, item, &lazy, p->v->msg, p->v->msgsize);
    }
    json_decref(there);
    return rc;
}

/* An item of the target: deleted when the source no longer has it (a released hold, a removed service). */
static int prune_one(json_t *item, void *arg)
{
    struct pass *p = arg;
    const char *sk = S(item, "SK");
    if (json_object_get(p->seen, sk)) return 0;
    p->n++;
    return bc_store_delete(p->v->m->to->store, p->v->pk, sk, &lazy);
}

/* One final pass: the target made equal to the source. *changed: items written or deleted. */
static int final_pass(struct mv *v, int64_t *changed)
{
    struct pass p = {v, json_object(), 0};
    struct bc_query q = {.pk = v->pk, .limit = 500};
    json_object_clear(v->usage);
    int rc = bc_store_query_each(v->m->from->store, &q, sync_one, &p);
    if (rc == 0) rc = bc_store_query_each(v->m->to->store, &q, prune_one, &p);
    if (rc == 0) rc = bc_store_sync(v->m->to->store);
    json_decref(p.seen);
    *changed = p.n;
    return rc;
}

/* Usage counts that servers flushed into the old copy after the final copy (their meters counted the
 * tenant's reads during the freeze): each integer's growth is added to the new copy. */
static int late_usage(json_t *item, void *arg)
{
    struct mv *v = arg;
    const char *sk = S(item, "SK"), *k;
    json_t *was = json_object_get(v->usage, sk), *val, *add = json_object();
    json_object_foreach(item, k, val)
    {
        json_int_t before = json_integer_value(json_object_get(was, k));
        if (json_is_integer(val) && strcmp(k, "version") != 0 && strcmp(k, "ttl") != 0 &&
            json_integer_value(val) > before)
            json_object_set_new(add, k, json_integer(json_integer_value(val) - before));
    }
    int rc = 0;
    if (json_object_size(add)) {
        struct bc_update u = {NULL, add, NULL};
        rc = bc_store_update(v->m->to->store, v->pk, sk, &u, NULL, NULL);
    }
    json_decref(add);
    return rc;
}

/* ---- the move ---- */

/* Puts the entry back as it was before this placement (or removes it) and deletes the partial copy. */
static void undo(struct mv *v)
{
    int64_t ver = json_integer_value(json_object_get(v->entry, "version"));
    if (v->prev)
        write_entry(v, "placed", where(v->prev), NULL);
    else if (ver > 0)
        bc_placement_remove(v->m->pooled->store, v->m->tenant_id, ver);
    bc_tenant_partition_drop(v->m->to, v->m->tenant_id);
}

/* Checks before anything is written: the tenant where the directory says, not deleted, not in the
 * target, no placement under way. */
static int check(struct mv *v, const char *current)
{
    const struct bc_placement_move *m = v->m;
    json_t *meta = NULL;
    bool leftovers = false;
    const char *state = S(v->prev, "state");
    if (state && strcmp(state, "placed") != 0) {
        snprintf(v->msg, v->msgsize,
                 "a placement of %s is under way (%s since %s); if its process died, end it with "
                 "`bookchat tenant place %s --abort`",
                 m->tenant_id, state, S(v->prev, "started_at") ? S(v->prev, "started_at") : "?",
                 m->tenant_id);
        return BC_ECONFLICT;
    }
    if (strcmp(current, m->target) == 0 || m->from == m->to) {
        snprintf(v->msg, v->msgsize, "tenant %s is in that store already", m->tenant_id);
        return BC_EINVALID;
    }
    int rc = bc_store_get(m->from->store, v->pk, "META", &meta);
    if (rc == BC_ENOT_FOUND) snprintf(v->msg, v->msgsize, "no tenant %s", m->tenant_id);
    if (rc < 0) return rc;
    const char *status = bc_field_str(meta, BC_F_STATUS);
    if (status && strcmp(status, "DELETED") == 0) {
        snprintf(v->msg, v->msgsize, "tenant %s is deleted: restore it before placing it", m->tenant_id);
        rc = BC_EINVALID;
    }
    json_decref(meta);
    meta = NULL;
    if (rc == 0 && (rc = bc_store_get(m->to->store, v->pk, "META", &meta)) == 0) {
        snprintf(v->msg, v->msgsize,
                 "the target store already holds tenant %s (its META): it is not placed there by the "
                 "directory; remove that copy first",
                 m->tenant_id);
        rc = BC_ECONFLICT;
    } else if (rc == BC_ENOT_FOUND) {
        rc = bc_tenant_items_exist(m->to, m->tenant_id, &leftovers);
    }
    json_decref(meta);
    /* items without META: a placement that was undone or a late usage flush; never served, so removed */
    if (rc == 0 && leftovers) rc = bc_tenant_partition_drop(m->to, m->tenant_id);
    return rc < 0 ? rc : 0;
}

static int count_one_but_usage(json_t *item, void *arg)
{
    const char *sk = json_string_value(json_object_get(item, "SK"));
    if (!sk || strncmp(sk, "USAGE#", 6) != 0) (*(int64_t *)arg)++;
    return 0;
}

/* Live items of the partition pk but its usage counters: servers may still add to those in the old copy
 * during the freeze (their flush is background work, not a request), and step (6) carries them over. */
static int count_but_usage(struct bc_env *env, const char *pk, int64_t *n)
{
    struct bc_query q = {.pk = pk, .limit = 500};
    *n = 0;
    return bc_store_query_each(env->store, &q, count_one_but_usage, n);
}

static int run(struct mv *v, json_t **result)
{
    const struct bc_placement_move *m = v->m;
    const char *current = v->prev ? where(v->prev) : BC_PLACEMENT_POOLED;
    char now[32];
    int64_t items = 0, changed = 0, total_changed = 0, n_from = 0, n_to = 0;
    int rc = check(v, current);
    if (rc < 0) return rc;
    /* (1) copying */
    bc_now_iso(now);
    v->entry =
        v->prev ? json_deep_copy(v->prev) : json_pack("{s:s, s:I}", "tenant_id", m->tenant_id, "version", 0);
    json_object_set_new(v->entry, "started_at", json_string(now));
    json_object_del(v->entry, "frozen_at");
    if ((rc = write_entry(v, "copying", current, m->target)) < 0) {
        json_decref(v->entry);
        v->entry = NULL;
        return rc;
    }
    struct pass p = {v, NULL, 0};
    struct bc_query q = {.pk = v->pk, .limit = 500};
    step(v, "copy", 0);
    rc = bc_store_query_each(m->from->store, &q, copy_one, &p);
    if (rc == 0) rc = bc_store_sync(m->to->store);
    items = p.n;
    /* (2) the freeze, seen by every server within bound_ms */
    bc_now_iso(now);
    json_object_set_new(v->entry, "frozen_at", json_string(now));
    if (rc == 0) rc = write_entry(v, "moving", current, m->target);
    int64_t frozen_ns = bc_mono_ns();
    if (rc == 0) {
        step(v, "freeze", items);
        pause_ms(m->bound_ms + m->grace_ms);
    }
    /* (3) the final copy, until nothing changes, and (4) the counts; again when an item appeared in between
     * (reads may still write during the freeze: a visitor's counters, a key's last use) */
    for (int attempt = 0; rc == 0 && attempt < 3; attempt++) {
        for (int i = 0; rc == 0 && i < FINAL_PASSES; i++) {
            if ((rc = final_pass(v, &changed)) < 0) break;
            total_changed += changed;
            step(v, "final", changed);
            if (changed == 0) break;
        }
        if (rc == 0 && changed) {
            snprintf(v->msg, v->msgsize, "the tenant's items kept changing during the freeze");
            rc = BC_EIO;
        }
        if (rc == 0) rc = count_but_usage(m->from, v->pk, &n_from);
        if (rc == 0) rc = count_but_usage(m->to, v->pk, &n_to);
        if (rc == 0 && n_from == n_to) break;
    }
    if (rc == 0 && n_from != n_to) {
        snprintf(v->msg, v->msgsize,
                 "verification failed: the target holds %lld items of the tenant, the "
                 "source %lld",
                 (long long)n_to, (long long)n_from);
        rc = BC_EIO;
    }
    /* (5) the switch */
    if (rc == 0) {
        json_object_del(v->entry, "frozen_at");
        if (strcmp(m->target, BC_PLACEMENT_POOLED) == 0)
            rc = bc_placement_remove(m->pooled->store, m->tenant_id,
                                     json_integer_value(json_object_get(v->entry, "version")));
        else
            rc = write_entry(v, "placed", m->target, NULL);
        if (rc == BC_ECOND) rc = BC_ECONFLICT;
    }
    if (rc < 0) {
        undo(v);
        return rc;
    }
    int64_t frozen_ms = (bc_mono_ns() - frozen_ns) / 1000000;
    step(v, "switch", n_to);
    /* (6) no server routes to the old copy after bound_ms: late usage counts, then it goes */
    pause_ms(m->bound_ms + m->grace_ms);
    struct bc_query uq = {.pk = v->pk, .sk_prefix = "USAGE#", .limit = 500};
    rc = bc_store_query_each(m->from->store, &uq, late_usage, v);
    int dropped = rc == 0 ? bc_tenant_partition_drop(m->from, m->tenant_id) : rc;
    step(v, "drop", dropped);
    if (dropped < 0) {
        snprintf(v->msg, v->msgsize, "placed; the old copy could not be removed (%s): nothing reads it",
                 bc_strerror(dropped));
    }
    *result =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:i}", "tenant_id", m->tenant_id, "from", current, "to",
                  m->target, "items", (json_int_t)n_to, "changed_during_freeze", (json_int_t)total_changed,
                  "frozen_ms", (json_int_t)frozen_ms, "dropped", dropped < 0 ? -1 : dropped);
    (void)items;
    return *result ? 0 : BC_ENOMEM;
}

int bc_placement_move(const struct bc_placement_move *m, json_t **result, char *msg, size_t msgsize)
{
    struct mv v = {.m = m, .msg = msg, .msgsize = msgsize, .usage = json_object()};
    *result = NULL;
    int rc = BC_EINVALID;
    if (!bc_key_id_ok(m->tenant_id) || !bc_key_tenant_pk_operator(v.pk, m->tenant_id)) {
        snprintf(msg, msgsize, "invalid tenant id");
        goto out;
    }
    rc = bc_placement_get(m->pooled->store, m->tenant_id, &v.prev);
    if (rc == BC_ENOT_FOUND) rc = 0;
    if (rc == 0) rc = run(&v, result);
out:
    json_decref(v.prev);
    json_decref(v.entry);
    json_decref(v.usage);
    return rc;
}

int bc_placement_abort(struct bc_env *pooled, struct bc_env *to, const char *tenant_id, char *msg,
                       size_t msgsize)
{
    json_t *entry = NULL;
    int rc = bc_placement_get(pooled->store, tenant_id, &entry);
    const char *state = rc == 0 ? S(entry, "state") : NULL;
    if (rc == BC_ENOT_FOUND || (rc == 0 && (!state || strcmp(state, "placed") == 0))) {
        snprintf(msg, msgsize, "no placement of %s is under way", tenant_id);
        json_decref(entry);
        return BC_ENOT_FOUND;
    }
    if (rc < 0) return rc;
    struct mv v = {.entry = entry, .msg = msg, .msgsize = msgsize};
    struct bc_placement_move m = {.pooled = pooled, .to = to, .tenant_id = tenant_id};
    v.m = &m;
    const char *store = where(entry);
    const char *target = S(entry, "target");
    /* the partial copy, never the copy requests are served from */
    if (to && target && strcmp(target, store) != 0 && (rc = bc_tenant_partition_drop(to, tenant_id)) < 0) {
        snprintf(msg, msgsize, "cannot remove the partial copy: %s", bc_strerror(rc));
        json_decref(entry);
        return rc;
    }
    rc = 0;
    if (strcmp(store, BC_PLACEMENT_POOLED) == 0)
        rc = bc_placement_remove(pooled->store, tenant_id,
                                 json_integer_value(json_object_get(entry, "version")));
    else {
        json_object_del(entry, "frozen_at");
        rc = write_entry(&v, "placed", store, NULL);
    }
    if (rc == BC_ECOND) {
        snprintf(msg, msgsize, "the placement of %s changed meanwhile", tenant_id);
        rc = BC_ECONFLICT;
    }
    json_decref(entry);
    return rc;
}
