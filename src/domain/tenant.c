/* Tenant META and platform index items.
 *
 * DESIGN NOTES
 * - META (PK TENANT#id, SK META) is the truth; the index item (PK PLATFORM, SK TENANT#id) is a copy of the
 *   fields the operator lists by (name, status, plan, created_at), written after META. A crash between the
 *   two writes leaves the index stale, never META; every status/plan change rewrites both, and listing
 *   shows the index (the operator's `tenant show` reads META).
 * - Status changes are single conditional updates (the tenant must exist), so concurrent operators cannot
 *   resurrect a purged tenant. Leaving DELETED is checked against the retention period and written on the
 *   version that was checked, so a restore cannot slip in after the reaper's decision to purge.
 * - The reaper finds deleted tenants through the platform index, which is deleted last by a purge
 *   (tenant_items.h): a purge cut short is finished by the next round. */
#include "domain/tenant.h"
#include "domain/org.h"
#include "domain/fields.h"
#include "domain/env.h"
#include "domain/plan.h"
#include "domain/settings.h"
#include "domain/tenant_items.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"
#include "util/jsonv.h"
#include "util/log.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t bc_tenant_purge_after(const struct bc_env *env, const json_t *meta)
{
    const char *st = bc_field_str(meta, BC_F_STATUS);
    const char *at = json_string_value(json_object_get(meta, "deleted_at"));
    int64_t t;
    if (!st || strcmp(st, "DELETED") != 0 || !at || bc_time_parse_iso(at, &t) < 0) return 0;
    return t + env->retention_s;
}

static const char *index_fields[] = {"id",         "name",      "status",     "plan",
                                     "created_at", "parent_id", "home_region"};

json_t *bc_tenant_view(const struct bc_env *env, const json_t *meta)
{
    json_t *o = json_object();
    const char *fields[] = {"id",         "name",       "status",     "plan",         "locale",
                            "timezone",   "parent_id",  "limits",     "has_branches", "pooled_limits",
                            "created_at", "updated_at", "deleted_at", "home_region"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *v = json_object_get(meta, fields[i]);
        if (v) json_object_set(o, fields[i], v);
    }
    if (!json_object_get(o, "limits")) json_object_set_new(o, "limits", json_object());
    int64_t purge = bc_tenant_purge_after(env, meta);
    if (purge) {
        char when[32];
        bc_time_format_utc(purge, when, sizeof when);
        json_object_set_new(o, "purge_after", json_string(when));
    }
    return o;
}

static int write_index(struct bc_env *env, json_t *meta)
{
    struct bc_store *s = bc_env_dir(env); /* the platform's index is the directory's */
    char sk[BC_KEY_SIZE];
    if (!bc_key_sk(sk, "TENANT", json_string_value(json_object_get(meta, "id")))) return BC_EINVALID;
    json_t *idx = json_pack("{s:s, s:s}", "PK", BC_KEY_PLATFORM, "SK", sk);
    for (size_t i = 0; i < sizeof index_fields / sizeof index_fields[0]; i++) {
        json_t *v = json_object_get(meta, index_fields[i]);
        if (v) json_object_set(idx, index_fields[i], v);
    }
    int rc = bc_store_put(s, idx, NULL);
    json_decref(idx);
    return rc;
}

int bc_tenant_check_active(const json_t *meta)
{
    const char *st = bc_field_str(meta, BC_F_STATUS);
    if (st && strcmp(st, "ACTIVE") == 0) return 0;
    if (st && strcmp(st, "SUSPENDED") == 0) return BC_ESUSPENDED;
    return BC_EDELETED;
}

int bc_tenant_create(struct bc_env *env, const struct bc_tenant_new *in, char *msg, size_t msgsize,
                     json_t **out)
{
    struct bc_store *s = env->store;
    char id[BC_TENANT_ID_MAX + 1], now[32];
    const char *plan = in->plan ? in->plan : "FREE", *locale = in->locale ? in->locale : "es";
    const char *tz = in->timezone ? in->timezone : (strcmp(locale, "en") == 0 ? "UTC" : "Europe/Madrid");
    *out = NULL;
    if (!in->name || bc_json_check_string(in->name, 1, 120, 0) < 0) {
        snprintf(msg, msgsize, "the name must be 1 to 120 characters " BC_JSON_PLAIN_TEXT);
        return BC_EINVALID;
    }
    if (strcmp(locale, "es") != 0 && strcmp(locale, "en") != 0) {
        snprintf(msg, msgsize, "locale must be \"es\" or \"en\"");
        return BC_EINVALID;
    }
    if (bc_tz_validate(tz) < 0) {
        snprintf(msg, msgsize, "unknown time zone '%.64s' (use an IANA name such as Europe/Madrid)", tz);
        return BC_EINVALID;
    }
    if (in->home_region && !bc_tenant_region_ok(in->home_region)) {
        snprintf(msg, msgsize, "home_region must be 1 to 32 of a-z, 0-9 and '-' (e.g. eu-west-1)");
        return BC_EINVALID;
    }
    int rc = bc_plan_ensure_defaults(env);
    if (rc < 0) return rc;
    if (!bc_plan_exists(env, plan)) {
        snprintf(msg, msgsize, "unknown plan '%.32s'", plan);
        return BC_EINVALID;
    }
    if (in->id) {
        if (!bc_key_id_ok(in->id) || strlen(in->id) > BC_TENANT_ID_MAX) {
            snprintf(msg, msgsize, "tenant ids are 1-64 characters of letters, digits and _-.:@+");
            return BC_EINVALID;
        }
        snprintf(id, sizeof id, "%s", in->id);
    } else {
        bc_id_new(id);
    }
    struct bc_ctx ctx;
    bc_ctx_operator(&ctx, id);
    if (in->parent_id) {
        struct bc_ctx pctx;
        json_t *parent = NULL;
        if (bc_ctx_operator(&pctx, in->parent_id) < 0 || bc_tenant_get(env, &pctx, &parent) < 0) {
            snprintf(msg, msgsize, "parent tenant not found");
            return BC_EINVALID;
        }
        /* one level: an organisation and its branches (X-Tenant-Id covers the parent's own branches only) */
        bool nested = json_is_string(json_object_get(parent, "parent_id"));
        json_decref(parent);
        if (nested) {
            snprintf(msg, msgsize,
                     "the parent is itself a branch: an organisation's branches have no branches");
            return BC_EINVALID;
        }
    }
    char pk[BC_KEY_SIZE];
    bc_key_tenant_pk(&ctx, pk);
    bc_now_iso(now);
    json_t *meta =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:i}", "PK", pk, "SK", "META", "id", id,
                  "name", in->name, "status", "ACTIVE", "plan", plan, "locale", locale, "timezone", tz,
                  "created_at", now, "limits", json_object(), "version", 1);
    json_object_set_new(meta, "updated_at", json_string(now));
    json_object_set_new(meta, "parent_id", in->parent_id ? json_string(in->parent_id) : json_null());
    if (in->home_region) json_object_set_new(meta, "home_region", json_string(in->home_region));
    struct bc_cond c = {BC_COND_NOT_EXISTS, 0};
    rc = bc_store_put(s, meta, &c);
    if (rc == BC_ECOND) {
        snprintf(msg, msgsize, "a tenant with id %s exists", id);
        rc = BC_ECONFLICT;
    }
    if (rc == 0) rc = bc_settings_init(env, &ctx, in->name, locale, tz);
    if (rc == 0) rc = write_index(env, meta);
    if (rc == 0 && in->parent_id) rc = bc_org_add_branch(env, meta);
    if (rc == 0 && in->parent_id) {
        struct bc_ctx pctx;
        rc = bc_ctx_operator(&pctx, in->parent_id);
        if (rc == 0) rc = bc_tenant_mark_organisation(env, &pctx);
    }
    if (rc == 0) *out = bc_tenant_view(env, meta);
    json_decref(meta);
    return rc;
}

int bc_tenant_get(struct bc_env *env, const struct bc_ctx *ctx, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    return bc_store_get(s, pk, "META", out);
}

int bc_tenant_get_ro(struct bc_env *env, const struct bc_ctx *ctx, const json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    return bc_store_get_cached(s, pk, "META", out);
}

int bc_tenant_get_ro_marked(struct bc_env *env, const struct bc_ctx *ctx, const json_t **out,
                            struct bc_store_mark *mark)
{
    char pk[BC_KEY_SIZE];
    *out = NULL;
    *mark = (struct bc_store_mark){env->store->serial, 0};
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    return bc_store_get_marked(env->store, pk, "META", out, mark);
}

bool bc_tenant_unchanged(struct bc_env *env, const struct bc_ctx *ctx, struct bc_store_mark *mark)
{
    char pk[BC_KEY_SIZE];
    return bc_key_tenant_pk(ctx, pk) && bc_store_mark_unchanged(env->store, pk, "META", mark);
}

int bc_tenant_list(struct bc_env *env, int limit, const char *cursor, const char *status, json_t **items,
                   char **next_cursor)
{
    struct bc_store *s = bc_env_dir(env);
    struct bc_query q = {
        .pk = BC_KEY_PLATFORM, .sk_prefix = "TENANT#", .limit = limit, .cursor = cursor, .descending = true};
    struct bc_query_result r;
    *items = NULL;
    *next_cursor = NULL;
    int rc = bc_store_query(s, &q, &r);
    if (rc < 0) return rc;
    json_t *list = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(r.items, i, it)
    {
        const char *st = bc_field_str(it, BC_F_STATUS);
        if (status && (!st || strcmp(st, status) != 0)) continue;
        json_t *v = json_deep_copy(it);
        json_object_del(v, "PK");
        json_object_del(v, "SK");
        json_array_append_new(list, v);
    }
    *items = list;
    *next_cursor = r.next_cursor;
    r.next_cursor = NULL;
    bc_query_result_release(&r);
    return 0;
}

int bc_tenant_each(struct bc_env *env, int (*fn)(json_t *tenant, void *arg), void *arg)
{
    char *cursor = NULL;
    int rc;
    do {
        json_t *items;
        char *next = NULL;
        rc = bc_tenant_list(env, 1000, cursor, NULL, &items, &next);
        free(cursor);
        cursor = next;
        if (rc < 0) break;
        size_t i;
        json_t *t;
        json_array_foreach(items, i, t) if ((rc = fn(t, arg)) < 0) break;
        json_decref(items);
    } while (rc >= 0 && cursor);
    free(cursor);
    return rc < 0 ? rc : 0;
}

/* Applies set to META (which must exist, at version when not 0) and refreshes the index item. */
static int update_meta_at(struct bc_env *env, const struct bc_ctx *ctx, json_t *set, int64_t version,
                          json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], now[32];
    if (out) *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) {
        json_decref(set);
        return BC_ENOT_FOUND;
    }
    bc_now_iso(now);
    json_object_set_new(set, "updated_at", json_string(now));
    json_t *add = json_pack("{s:i}", "version", 1), *meta = NULL;
    struct bc_update u = {set, add, NULL};
    struct bc_cond c = {version ? BC_COND_VERSION : BC_COND_EXISTS, version};
    int rc = bc_store_update(s, pk, "META", &u, &c, &meta);
    json_decref(set);
    json_decref(add);
    if (rc == BC_ECOND) return version ? BC_ECONFLICT : BC_ENOT_FOUND;
    if (rc == 0) rc = write_index(env, meta);
    if (rc == 0 && out) *out = bc_tenant_view(env, meta);
    json_decref(meta);
    return rc;
}

static int update_meta(struct bc_env *env, const struct bc_ctx *ctx, json_t *set, json_t **out)
{
    return update_meta_at(env, ctx, set, 0, out);
}

int bc_tenant_mark_organisation(struct bc_env *env, const struct bc_ctx *ctx)
{
    return update_meta(env, ctx, json_pack("{s:b}", "has_branches", 1), NULL);
}

int bc_tenant_set_pooled(struct bc_env *env, const struct bc_ctx *ctx, bool pooled, json_t **out)
{
    const json_t *meta = NULL;
    int rc = bc_tenant_get_ro(env, ctx, &meta);
    bool org = rc == 0 && json_is_true(json_object_get(bc_json_shared(meta), "has_branches"));
    bc_json_release(meta);
    if (rc < 0) return rc;
    if (!org) return BC_EINVALID; /* only an organisation pools its limits */
    return update_meta(env, ctx, json_pack("{s:b}", "pooled_limits", pooled), out);
}

int bc_tenant_set_plan(struct bc_env *env, const struct bc_ctx *ctx, const char *plan, json_t **out)
{
    if (!plan || !bc_plan_exists(env, plan)) return BC_EINVALID;
    return update_meta(env, ctx, json_pack("{s:s}", "plan", plan), out);
}

int bc_tenant_set_limits(struct bc_env *env, const struct bc_ctx *ctx, json_t *limits, char *msg,
                         size_t msgsize, json_t **out)
{
    int rc = bc_plan_check_overrides(limits, msg, msgsize);
    if (rc < 0) return rc;
    return update_meta(env, ctx, json_pack("{s:O}", "limits", limits), out);
}

bool bc_tenant_region_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 32) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) return false;
    return true;
}

const char *bc_tenant_home_region(const json_t *meta)
{
    const char *r = json_string_value(json_object_get(meta, "home_region"));
    return r && *r ? r : NULL;
}

int bc_tenant_set_home_region(struct bc_env *env, const struct bc_ctx *ctx, const char *region, json_t **out)
{
    if (region && !bc_tenant_region_ok(region)) return BC_EINVALID;
    if (region) return update_meta(env, ctx, json_pack("{s:s}", "home_region", region), out);
    /* no home: the attribute goes (REMOVE), so META reads as a single-region tenant's */
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], now[32];
    if (out) *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    bc_now_iso(now);
    json_t *set = json_pack("{s:s}", "updated_at", now), *add = json_pack("{s:i}", "version", 1),
           *meta = NULL;
    json_t *remove = json_pack("[s]", "home_region");
    struct bc_update u = {set, add, remove};
    struct bc_cond c = {BC_COND_EXISTS, 0};
    int rc = bc_store_update(s, pk, "META", &u, &c, &meta);
    json_decref(set);
    json_decref(add);
    json_decref(remove);
    if (rc == BC_ECOND) return BC_ENOT_FOUND;
    if (rc == 0) rc = write_index(env, meta);
    if (rc == 0 && out) *out = bc_tenant_view(env, meta);
    json_decref(meta);
    return rc;
}

int bc_tenant_rename(struct bc_env *env, const struct bc_ctx *ctx, const char *name, json_t **out)
{
    if (!name || bc_json_check_string(name, 1, 120, 0) < 0) return BC_EINVALID;
    return update_meta(env, ctx, json_pack("{s:s}", "name", name), out);
}

int bc_tenant_set_status(struct bc_env *env, const struct bc_ctx *ctx, const char *status, json_t **out)
{
    char now[32];
    if (out) *out = NULL;
    if (!status || (strcmp(status, "ACTIVE") && strcmp(status, "SUSPENDED") && strcmp(status, "DELETED")))
        return BC_EINVALID;
    json_t *meta = NULL;
    int rc = bc_tenant_get(env, ctx, &meta);
    if (rc < 0) return rc;
    const char *cur = bc_field_str(meta, BC_F_STATUS);
    int64_t purge = bc_tenant_purge_after(env, meta), version = bc__store_version(meta);
    bool deleting = strcmp(status, "DELETED") == 0, was_deleted = cur && strcmp(cur, "DELETED") == 0;
    json_t *deleted_at = json_incref(json_object_get(meta, "deleted_at"));
    json_decref(meta);
    if (was_deleted && !deleting && purge && purge <= bc_now_s()) {
        json_decref(deleted_at);
        return BC_EGONE; /* past retention: the reaper may be purging it right now */
    }
    bc_now_iso(now);
    json_t *set = json_pack("{s:s, s:s}", "status", status, "status_at", now);
    /* deleting twice keeps the first deletion time: retention runs from it */
    if (deleting && was_deleted && deleted_at && !json_is_null(deleted_at))
        json_object_set(set, "deleted_at", deleted_at);
    else
        json_object_set_new(set, "deleted_at", deleting ? json_string(now) : json_null());
    json_decref(deleted_at);
    return update_meta_at(env, ctx, set, version ? version : 0, out);
}

int bc_tenant_reap_deleted(struct bc_env *env, int max_items, char **cursor)
{
    json_t *items = NULL;
    char *next = NULL;
    int n = 0;
    int rc = bc_tenant_list(env, 100, *cursor, "DELETED", &items, &next);
    free(*cursor);
    *cursor = NULL;
    if (rc < 0) return rc;
    size_t i;
    json_t *t;
    int64_t now = bc_now_s();
    json_array_foreach(items, i, t)
    {
        const char *id = json_string_value(json_object_get(t, "id"));
        struct bc_ctx ctx;
        json_t *meta = NULL;
        /* the index is the directory's; the tenant's partition may be in a store of its own (envs.h) */
        struct bc_env *tenv = n < max_items ? bc_env_tenant(env, id ? id : "") : NULL;
        if (!tenv || bc_ctx_operator(&ctx, id) < 0) continue;
        int g = bc_tenant_get(tenv, &ctx, &meta);
        int64_t purge = g == 0 ? bc_tenant_purge_after(tenv, meta) : 0;
        json_decref(meta);
        /* META gone: a purge was cut short; DELETED past retention: due */
        if (!(g == BC_ENOT_FOUND || (g == 0 && purge && purge <= now))) continue;
        bool done = false;
        int d = bc_tenant_purge_step(tenv, id, max_items - n, &done);
        if (d < 0) {
            rc = d;
            break;
        }
        n += d;
        if (done) bc_log(BC_LOG_INFO, "purged deleted tenant %s past its retention period", id);
    }
    json_decref(items);
    if (rc < 0 || n >= max_items) {
        /* come back to this page next round: some tenant on it may not be finished */
        free(next);
        next = NULL;
        return rc < 0 ? rc : n;
    }
    *cursor = next;
    return n;
}
