/* Calendar items: read busy intervals, commit an entry with a versioned write, remove an entry.
 *
 * DESIGN NOTES
 * - An entry is written into the item of every local date its busy interval touches. Two overlapping
 *   intervals therefore always share at least one item, and that item's versioned write serialises them:
 *   the second writer re-reads, sees the first entry, and gets BC_ESLOT. This holds across threads and
 *   processes because the store's conditional write is atomic.
 * - A multi-date commit that fails on a later date removes what it wrote on the earlier ones; meanwhile the
 *   entry may briefly make a slot look taken (never free when it is not).
 * - Expired holds are dropped whenever an item is rewritten and ignored when read.
 * - Claims (claim.h, docs/booking.md "Resources and group sessions") are entries with "pend" and an "exp":
 *   live until they expire; an expired one is decided by its booking item (bc__claim_resolve): a writer
 *   keeps it (made permanent) when the booking is confirmed and drops it otherwise, aborting a booking still
 *   pending so that it can never be confirmed later; a reader counts it only when the booking is confirmed.
 * - Capacity: a professional's entries never overlap, except the seats of one group session (same service,
 *   same interval, "cap" > 1) up to cap; a resource's entries overlap up to its quantity, the seats of one
 *   session (same service, professional and interval) counting as one unit. Every check and the write that
 *   follows it are on one item, under its version.
 * - A booking's commit is a durable write (fsync before the booking is acknowledged); it also makes durable
 *   every lazy write before it (LMDB syncs the whole file), e.g. the pending booking item. Holds are lazy. */
#include "domain/calendar.h"
#include "domain/claim.h"
#include "util/jsonv.h"
#include "domain/env.h"
#include "util/memo.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/kept.h"
#include "util/clock.h"
#include "util/err.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTEMPTS 50

static bool live(json_t *e, int64_t now)
{
    json_t *exp = json_object_get(e, "exp");
    return !json_is_integer(exp) || json_integer_value(exp) > now;
}

/* A date item's entries as plain structs, parsed once per shared item: read-only reads hand out the same
 * jansson value for the same stored bytes (the store's memo), so the value's address names its content as
 * long as a reference is held; the cache holds one. */
struct day_entry {
    int64_t from, to, exp; /* exp 0: no expiry (a booking) */
    bool hold, pend;
    int cap;
    char id[sizeof(((struct bc_busy *)0)->id)];
    char svc[sizeof(((struct bc_busy *)0)->svc)];
    char pro[sizeof(((struct bc_busy *)0)->pro)];
};

/* Copies a JSON string field (or "") into a fixed buffer. */
static void copy_field(char *dst, size_t size, json_t *e, const char *key)
{
    const char *v = json_string_value(json_object_get(e, key));
    size_t l = v ? strlen(v) : 0;
    if (l >= size) l = size - 1;
    if (l) memcpy(dst, v, l);
    dst[l] = '\0';
}

/* The parsed entries of one date item: the value kept in env->days (util/memo.h). */
struct day_parsed {
    size_t n;
    struct day_entry e[];
};

#define DAY_MAX_ENTRY 512 /* larger items are parsed each time */

void bc__cal_day_free(void *parsed)
{
    free(parsed);
}

/* The entries of one date item (malloc'd); NULL on ENOMEM. */
static struct day_parsed *day_parse(json_t *day)
{
    json_t *entries = json_object_get(day, "entries"), *e;
    size_t cnt = json_array_size(entries), i;
    struct day_parsed *out = malloc(sizeof *out + cnt * sizeof out->e[0]);
    if (!out) return NULL;
    out->n = 0;
    json_array_foreach(entries, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        if (!id) continue;
        json_t *exp = json_object_get(e, "exp");
        struct day_entry *d = &out->e[out->n++];
        d->from = json_integer_value(json_object_get(e, "from"));
        d->to = json_integer_value(json_object_get(e, "to"));
        d->hold = json_is_integer(exp);
        d->exp = d->hold ? json_integer_value(exp) : 0;
        d->pend = json_is_true(json_object_get(e, "pend"));
        d->cap = (int)json_integer_value(json_object_get(e, "cap"));
        copy_field(d->id, sizeof d->id, e, "id");
        copy_field(d->svc, sizeof d->svc, e, "svc");
        copy_field(d->pro, sizeof d->pro, e, "pro");
    }
    return out;
}

/* Appends the live entries of one date item to *out (growing *cap), skipping ignore_hold and the entries
 * already taken from the two date items before it ((*out)[lo..before)): an entry is written on every date
 * it touches, at most BC_CAL_MAX_DAYS (3) consecutive ones, so its other copies are in those two items. */
static int day_append(const struct day_entry *e, size_t ne, int64_t now, const char *ignore_hold, size_t lo,
                      size_t before, struct bc_busy **out, size_t *n, size_t *cap)
{
    for (size_t j = 0; j < ne; j++) {
        /* an expired claim stays, marked, for bc_cal_busy_of to decide (bc__claim_resolve) */
        if ((e[j].hold && !e[j].pend && e[j].exp <= now) ||
            (ignore_hold && strcmp(e[j].id, ignore_hold) == 0))
            continue;
        /* the same entry appears on each date it touches: keep one copy */
        bool dup = false;
        for (size_t k = lo; k < before && !dup; k++)
            dup =
                (*out)[k].from == e[j].from && (*out)[k].to == e[j].to && strcmp((*out)[k].id, e[j].id) == 0;
        if (dup) continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            struct bc_busy *nb = realloc(*out, nc * sizeof *nb);
            if (!nb) return BC_ENOMEM;
            *out = nb;
            *cap = nc;
        }
        struct bc_busy *b = &(*out)[(*n)++];
        b->from = e[j].from;
        b->to = e[j].to;
        b->hold = e[j].hold && !(e[j].pend && e[j].exp <= now);
        b->pend = e[j].pend && e[j].exp <= now;
        b->cap = e[j].cap;
        memcpy(b->id, e[j].id, sizeof b->id);
        memcpy(b->svc, e[j].svc, sizeof b->svc);
        memcpy(b->pro, e[j].pro, sizeof b->pro);
    }
    return 0;
}

struct day_use {
    int64_t now;
    const char *ignore_hold;
    size_t lo, before;
    struct bc_busy **out;
    size_t *n, *cap;
    int rc;
};

static void day_use(void *value, void *arg)
{
    const struct day_parsed *p = value;
    struct day_use *u = arg;
    u->rc = day_append(p->e, p->n, u->now, u->ignore_hold, u->lo, u->before, u->out, u->n, u->cap);
}

/* One date item's live entries onto *out, through the env's memo of parsed days. */
static int day_busy(struct bc_env *env, json_t *day, int64_t now, const char *ignore_hold, size_t lo,
                    struct bc_busy **out, size_t *n, size_t *cap)
{
    struct day_use u = {now, ignore_hold, lo, *n, out, n, cap, 0};
    if (bc_memo_use(env->days, day, day_use, &u)) return u.rc;
    struct day_parsed *p = day_parse(day);
    if (!p) return BC_ENOMEM;
    int rc = day_append(p->e, p->n, now, ignore_hold, lo, u.before, out, n, cap);
    if (rc < 0 || p->n > DAY_MAX_ENTRY) {
        free(p);
        return rc;
    }
    bc_memo_put(env->days, day, p);
    return 0;
}

/* Expired claims on *out (marked pend by day_append): kept (as busy) only when their booking is confirmed;
 * a reader never aborts (bc__claim_resolve with may_abort false). */
static int settle_claims(struct bc_env *env, const char *pk, struct bc_busy *out, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (out[i].pend) {
            int r = bc__claim_resolve(env, pk, out[i].id, false);
            if (r < 0) return r;
            if (r == 0) continue;
            out[i].pend = false;
        }
        out[k++] = out[i];
    }
    *n = k;
    return 0;
}

int bc_cal_busy(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, const char *date_from,
                const char *date_to, const char *ignore_hold, struct bc_busy **out, size_t *n)
{
    return bc_cal_busy_of(env, ctx, BC_CAL_PROVIDER, provider_id, date_from, date_to, ignore_hold, out, n);
}

/* ---- the date items of recent look-ups ----
 * A busy look-up queries the owner's date items of a range: a read transaction and a cursor walk, 7-10 % of
 * an availability read (a level deeper in a store of 10,000 tenants). The env keeps the items of the last
 * look-ups (util/kept.h, by range), with the store generation read before the query: a
 * look-up takes them while bc_store_kind_unchanged says no item of the calendar's kind in the tenant was
 * written since (LMDB's write marks: only this process's own commits, none of that kind; any booking, hold
 * or release of the tenant, any other process's commit and any other backend query again). Only the items
 * are kept: which entries are live is decided at every look-up, at its own time. */

#define RANGE_SLOTS 256

static void days_ref(void *v)
{
    json_incref(v);
}

static void days_unref(void *v)
{
    json_decref(v);
}

struct bc_kept *bc__cal_ranges_new(void)
{
    return bc_kept_new(RANGE_SLOTS, days_ref, days_unref);
}

/* The kept date items of key (a new reference) when none of kind ("CAL#") in pk was written since. */
static json_t *range_get(struct bc_env *env, const char *key, const char *pk, const char *kind)
{
    uint64_t snap = 0, now = 0;
    json_t *days = bc_kept_get(env->cal_ranges, key, &snap);
    if (days && !bc_store_kind_unchanged(env->store, pk, kind, snap, &now)) {
        json_decref(days);
        return NULL;
    }
    if (days) bc_kept_checked(env->cal_ranges, key, days, now);
    return days;
}

/* The date items of pk in [from, to] (a new array of shared, read-only items), kept or queried. */
static int range_days(struct bc_env *env, const char *pk, const char *kind, const char *from, const char *to,
                      json_t **days)
{
    char key[4 * BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    snprintf(prefix, sizeof prefix, "%s#", kind);
    bool keyed = (size_t)snprintf(key, sizeof key, "%s|%s|%s", pk, from, to) < sizeof key;
    if (keyed && (*days = range_get(env, key, pk, prefix))) return 0;
    /* the generation first: a write after it, even during the query, shows at the next look-up */
    uint64_t snap = bc_store_generation(env->store);
    char *cursor = NULL;
    int rc;
    *days = json_array();
    do {
        struct bc_query q = {
            .pk = pk, .sk_from = from, .sk_to = to, .limit = 1000, .cursor = cursor, .read_only = true};
        struct bc_query_result r;
        rc = bc_store_query(env->store, &q, &r);
        free(cursor);
        cursor = NULL;
        if (rc < 0) break;
        json_array_extend(*days, r.items);
        cursor = r.next_cursor;
        r.next_cursor = NULL;
        bc_query_result_release(&r);
    } while (cursor);
    free(cursor);
    if (rc < 0) {
        json_decref(*days);
        *days = NULL;
        return rc;
    }
    if (keyed) bc_kept_put(env->cal_ranges, key, *days, snap);
    return 0;
}

int bc_cal_busy_of(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                   const char *date_from, const char *date_to, const char *ignore_hold, struct bc_busy **out,
                   size_t *n)
{
    char pk[BC_KEY_SIZE], from[BC_KEY_SIZE], to[BC_KEY_SIZE];
    *out = NULL;
    *n = 0;
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk2(from, kind, owner, date_from) ||
        !bc_key_sk2(to, kind, owner, date_to))
        return BC_EINVALID;
    size_t cap = 0, s1 = 0, s2 = 0; /* where the entries of the last two date items start */
    int64_t now = bc_now_s();
    json_t *days = NULL, *day;
    int rc = range_days(env, pk, kind, from, to, &days);
    size_t i;
    json_array_foreach(days, i, day)
    {
        size_t start = *n;
        if ((rc = day_busy(env, day, now, ignore_hold, s2, out, n, &cap)) < 0) break;
        s2 = s1;
        s1 = start;
    }
    json_decref(days);
    if (rc == 0) rc = settle_claims(env, pk, *out, n);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static json_t *entry_json(const struct bc_cal_entry *e)
{
    json_t *j =
        json_pack("{s:s, s:I, s:I}", "id", e->id, "from", (json_int_t)e->from, "to", (json_int_t)e->to);
    if (e->hold || e->pending) json_object_set_new(j, "exp", json_integer(e->expires));
    if (e->service_id) json_object_set_new(j, "svc", json_string(e->service_id));
    if (e->pending) json_object_set_new(j, "pend", json_true());
    if (e->capacity > 1) json_object_set_new(j, "cap", json_integer(e->capacity));
    if (e->provider_id) json_object_set_new(j, "pro", json_string(e->provider_id));
    return j;
}

/* Extra writes that go in the same store batch as one calendar write: pre before it, post after it. */
struct extra {
    const struct bc_write *pre, *post;
    size_t npre, npost;
    size_t *failed; /* the batch index of an extra write whose condition failed */
};

/* Puts the calendar item (and the extra writes around it, in one batch). BC_ECOND when the calendar item's
 * version changed meanwhile (to retry); a failed condition of an extra write is BC_ECONFLICT with
 * *x->failed set to its index (pre: 0..npre-1; post: npre + 1 + its index). */
static int put_with(struct bc_env *env, json_t *item, const struct bc_cond *c, const struct extra *x)
{
    struct bc_store *s = env->store;
    if (!x || x->npre + x->npost == 0) { /* kept: the item is a fresh object, never modified after */
        struct bc_write one = {item, *c, true};
        return item ? bc_store_put_batch(s, &one, 1, NULL) : 0;
    }
    struct bc_write w[BC_STORE_BATCH_MAX];
    size_t n = 0, failed = 0;
    if (x->npre + x->npost + 1 > BC_STORE_BATCH_MAX) return BC_EINVALID;
    for (size_t i = 0; i < x->npre; i++) w[n++] = x->pre[i];
    size_t at = n;
    if (item) w[n++] = (struct bc_write){item, *c, true}; /* a fresh object, never modified after */
    for (size_t i = 0; i < x->npost; i++) w[n++] = x->post[i];
    int rc = bc_store_put_batch(s, w, n, &failed);
    if (rc == BC_ECOND && (!item || failed != at)) { /* not the calendar's version */
        *x->failed = item ? failed : (failed < x->npre ? failed : failed + 1);
        rc = BC_ECONFLICT;
    }
    return rc;
}

/* What one rewrite of a date item does: add an entry (into a resource's calendar when quantity > 0), remove
 * one, consume a hold, make a claim permanent. */
struct change {
    const struct bc_cal_entry *add;
    const char *remove_id, *consume_hold, *complete_id;
    int quantity;
    bool lazy;
};

static int64_t int_field(json_t *e, const char *key)
{
    return json_integer_value(json_object_get(e, key));
}

static bool str_same(json_t *a, json_t *b, const char *key)
{
    const char *x = json_string_value(json_object_get(a, key)),
               *y = json_string_value(json_object_get(b, key));
    return x && y ? strcmp(x, y) == 0 : x == y;
}

static bool str_is(json_t *e, const char *key, const char *v)
{
    const char *x = json_string_value(json_object_get(e, key));
    return x && v ? strcmp(x, v) == 0 : x == v;
}

/* Whether e is a seat of the group session add would join. */
static bool same_session(json_t *e, const struct bc_cal_entry *add)
{
    return add->capacity > 1 && int_field(e, "cap") > 1 && int_field(e, "from") == add->from &&
           int_field(e, "to") == add->to && str_is(e, "svc", add->service_id) &&
           str_is(e, "pro", add->provider_id);
}

/* Whether two entries are seats of one group session (one unit of a resource between them). */
static bool session_eq(json_t *a, json_t *b)
{
    return int_field(a, "cap") > 1 && int_field(b, "cap") > 1 &&
           int_field(a, "from") == int_field(b, "from") && int_field(a, "to") == int_field(b, "to") &&
           str_same(a, b, "svc") && str_same(a, b, "pro");
}

static bool covers(json_t *e, int64_t t)
{
    return int_field(e, "from") <= t && t < int_field(e, "to");
}

/* Whether add fits among the live entries kept (DESIGN NOTES, "Capacity"). */
static bool fits(json_t *kept, const struct bc_cal_entry *add, int quantity)
{
    size_t i, j, k;
    json_t *e, *o, *p;
    int seats = 0, most = 0;
    json_array_foreach(kept, i, e)
    {
        if (!(int_field(e, "from") < add->to && add->from < int_field(e, "to"))) continue;
        if (same_session(e, add)) {
            if (quantity > 0) return true; /* its session holds a unit already */
            seats++;
        } else if (quantity <= 0) {
            return false;
        }
    }
    if (quantity <= 0) return add->capacity <= 1 ? seats == 0 : seats < add->capacity;
    /* the most sessions using the resource at one instant of add: at its start or at a later start */
    for (size_t c = 0; c <= json_array_size(kept); c++) {
        int64_t t = c == 0 ? add->from : int_field(json_array_get(kept, c - 1), "from");
        if (c > 0 && (t <= add->from || t >= add->to)) continue;
        int n = 0;
        json_array_foreach(kept, j, o)
        {
            if (!covers(o, t)) continue;
            bool dup = false;
            json_array_foreach(kept, k, p)
            {
                if (k >= j) break;
                if (covers(p, t) && session_eq(p, o)) dup = true;
            }
            n += !dup;
        }
        if (n > most) most = n;
    }
    return most < quantity;
}

/* A copy of a claim's entry made permanent (new reference). */
static json_t *completed(json_t *e)
{
    json_t *c = json_copy(e);
    json_object_del(c, "exp");
    json_object_del(c, "pend");
    return c;
}

/* Rewrites one date's item with the change applied, conditional on its version, retrying on races; with x,
 * the extra writes go in the same batch (also when the entry is already there: a retried commit). */
static int rewrite(struct bc_env *env, const char *pk, const char *sk, const struct change *ch,
                   const struct extra *x)
{
    struct bc_store *s = env->store;
    const struct bc_cal_entry *add = ch->add;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        json_t *item = NULL;
        const json_t *shared = NULL;
        /* read-only read (from the store's memo when unchanged) and a shallow copy: only the copy's
         * "entries" and "version" are replaced below, nothing inside the shared item is modified */
        int rc = bc_store_get_ro(s, pk, sk, &shared);
        if (rc == BC_ENOT_FOUND) {
            if (!add) return 0; /* nothing to remove */
            item = json_pack("{s:s, s:s, s:[]}", "PK", pk, "SK", sk, "entries");
        } else if (rc < 0) {
            return rc;
        } else {
            item = json_copy(bc_json_shared(shared)); /* a shallow copy only reads it */
            bc_json_release(shared);
            if (!item) return BC_ENOMEM;
        }
        int64_t version = bc__store_version(item), now = bc_now_s();
        json_t *kept = json_array();
        size_t i;
        json_t *e;
        bool changed = false;
        rc = 0;
        json_array_foreach(json_object_get(item, "entries"), i, e)
        {
            const char *id = json_string_value(json_object_get(e, "id"));
            if ((ch->remove_id && id && strcmp(id, ch->remove_id) == 0) ||
                (ch->consume_hold && id && strcmp(id, ch->consume_hold) == 0)) {
                changed = true;
                continue;
            }
            if (!live(e, now)) {
                changed = true;
                /* an expired claim: kept (made permanent) only when its booking is confirmed */
                int r =
                    json_is_true(json_object_get(e, "pend")) && id ? bc__claim_resolve(env, pk, id, true) : 0;
                if (r < 0) rc = r;
                if (r > 0) json_array_append_new(kept, completed(e));
                if (r < 0) break;
                continue;
            }
            if (ch->complete_id && id && strcmp(id, ch->complete_id) == 0 && json_object_get(e, "pend")) {
                json_array_append_new(kept, completed(e));
                changed = true;
                continue;
            }
            if (add && id && strcmp(id, add->id) == 0) {
                /* the same id again: a retried commit (the same interval), else not ours to take */
                rc = int_field(e, "from") == add->from && int_field(e, "to") == add->to ? 1 : BC_ESLOT;
                break;
            }
            json_array_append(kept, e);
        }
        if (rc == 0 && add) {
            if (!fits(kept, add, ch->quantity)) rc = BC_ESLOT;
            json_array_append_new(kept, entry_json(add));
            changed = true;
        }
        if (rc != 0 || !changed) {
            json_decref(kept);
            json_decref(item);
            if (rc == 1) return put_with(env, NULL, NULL, x);
            return rc;
        }
        json_object_set_new(item, "entries", kept);
        json_object_set_new(item, "version", json_integer(version + 1));
        struct bc_cond c = {BC_COND_VERSION, version, ch->lazy};
        rc = put_with(env, item, &c, x);
        json_decref(item);
        if (rc != BC_ECOND) return rc;
    }
    return BC_ECONFLICT; /* extreme contention: let the caller answer "try again" */
}

static int commit_of(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                     const char *const *dates, int ndates, const struct change *ch)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    if (!bc_key_tenant_pk(ctx, pk) || ndates < 1 || ndates > BC_CAL_MAX_DAYS) return BC_EINVALID;
    for (int i = 0; i < ndates; i++) {
        if (!bc_key_sk2(sk, kind, owner, dates[i])) return BC_EINVALID;
        int rc = rewrite(env, pk, sk, ch, NULL);
        if (rc < 0) {
            bc_cal_remove_of(env, ctx, kind, owner, dates, i, ch->add->id); /* undo the earlier dates */
            return rc;
        }
    }
    return 0;
}

static int commit(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                  const char *const *dates, int ndates, const struct bc_cal_entry *e,
                  const char *consume_hold, bool lazy)
{
    struct change ch = {.add = e, .consume_hold = consume_hold, .lazy = lazy};
    return commit_of(env, ctx, BC_CAL_PROVIDER, provider_id, dates, ndates, &ch);
}

int bc_cal_claim(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                 const char *const *dates, int ndates, const struct bc_cal_entry *e, int quantity,
                 const char *consume_hold)
{
    struct change ch = {.add = e, .consume_hold = consume_hold, .quantity = quantity};
    return commit_of(env, ctx, kind, owner, dates, ndates, &ch);
}

/* Applies a change without an entry to add (a removal, a completion) to the items of dates of owner; every
 * date is tried, the last error is returned. */
static int each_date(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                     const char *const *dates, int ndates, const struct change *ch)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    if (!bc_key_tenant_pk(ctx, pk)) return BC_EINVALID;
    int rc = 0;
    for (int i = 0; i < ndates; i++) {
        if (!bc_key_sk2(sk, kind, owner, dates[i])) return BC_EINVALID;
        int r = rewrite(env, pk, sk, ch, NULL);
        if (r < 0) rc = r;
    }
    return rc;
}

int bc_cal_complete(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                    const char *const *dates, int ndates, const char *id)
{
    struct change ch = {.complete_id = id};
    return each_date(env, ctx, kind, owner, dates, ndates, &ch);
}

int bc_cal_commit(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                  const char *const *dates, int ndates, const struct bc_cal_entry *e,
                  const char *consume_hold)
{
    return commit(env, ctx, provider_id, dates, ndates, e, consume_hold, false);
}

int bc_cal_commit_with(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                       const char *date, const struct bc_cal_entry *e, const char *consume_hold,
                       const struct bc_write *pre, size_t npre, const struct bc_write *post, size_t npost,
                       size_t *failed)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk2(sk, "CAL", provider_id, date)) return BC_EINVALID;
    struct extra x = {pre, post, npre, npost, failed};
    struct change ch = {.add = e, .consume_hold = consume_hold};
    return rewrite(env, pk, sk, &ch, &x);
}

int bc_cal_commit_hold(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                       const char *const *dates, int ndates, const struct bc_cal_entry *e)
{
    return commit(env, ctx, provider_id, dates, ndates, e, NULL, true);
}

int bc_cal_remove(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                  const char *const *dates, int ndates, const char *id)
{
    return bc_cal_remove_of(env, ctx, BC_CAL_PROVIDER, provider_id, dates, ndates, id);
}

int bc_cal_remove_of(struct bc_env *env, const struct bc_ctx *ctx, const char *kind, const char *owner,
                     const char *const *dates, int ndates, const char *id)
{
    struct change ch = {.remove_id = id};
    return each_date(env, ctx, kind, owner, dates, ndates, &ch);
}

int bc_cal_has(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, const char *date,
               const char *id, bool *found)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    json_t *item = NULL;
    *found = false;
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk2(sk, "CAL", provider_id, date)) return BC_EINVALID;
    int rc = bc_store_get(s, pk, sk, &item);
    if (rc == BC_ENOT_FOUND) return 0;
    if (rc < 0) return rc;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(item, "entries"), i, e)
    {
        const char *eid = json_string_value(json_object_get(e, "id"));
        if (eid && strcmp(eid, id) == 0) *found = true;
    }
    json_decref(item);
    return 0;
}
