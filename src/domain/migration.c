/* Tenant migration between stores, resumable from a checkpoint in the destination. See migration.h for
 * the phases and their invariants. */
#include "domain/migration.h"
#include "domain/fields.h"
#include "domain/env.h"
#include "auth/context.h"
#include "domain/apikey.h"
#include "domain/plan.h"
#include "domain/tenant.h"
#include "domain/tenant_items.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))
#define PAGE    200

static const struct bc_cond lazy = {BC_COND_NONE, 0, true};

struct run {
    const struct bc_migration *m;
    struct bc_ctx ctx;
    char pk[BC_KEY_SIZE];   /* TENANT#<id> */
    char ckpk[BC_KEY_SIZE]; /* MIGRATION#<id> */
    json_t *ck;             /* the checkpoint item */
    struct bc_migration_progress p;
    int64_t saved_ns; /* when the checkpoint was last written */
    char *msg;
    size_t msgsize;
};

static void tick(struct run *r)
{
    if (r->m->progress) r->m->progress(&r->p, r->m->progress_arg);
}

static int save_checkpoint(struct run *r, const char *phase)
{
    if (phase) json_object_set_new(r->ck, "phase", json_string(phase));
    json_object_set_new(r->ck, "done", json_integer(r->p.done));
    json_object_set_new(r->ck, "total", json_integer(r->p.total));
    /* everything the checkpoint claims must be on disk before the checkpoint is */
    int rc = bc_store_sync(r->m->to->store);
    if (rc == 0) rc = bc_store_put(r->m->to->store, r->ck, NULL);
    r->saved_ns = bc_mono_ns();
    if (rc == 0 && r->p.saved != r->p.done) {
        r->p.saved = r->p.done;
        tick(r);
    }
    return rc;
}

/* Writes item to the destination and reads it back: the copy must be the same item. */
static int copy_verified(struct run *r, json_t *item, const struct bc_cond *cond)
{
    return bc_tenant_item_copy(r->m->to->store, item, cond, r->msg, r->msgsize);
}

static void pause_ms(int ms)
{
    if (ms <= 0) return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Phase "items": the partition from after the checkpoint's last SK, META excepted. */
static int copy_items(struct run *r)
{
    int rc = 0;
    for (;;) {
        /* a copy: the checkpoint's own string is replaced as items are copied */
        char lastbuf[BC_KEY_SIZE];
        const char *last = S(r->ck, "last_sk");
        if (last) last = memcpy(lastbuf, last, strlen(last) + 1);
        struct bc_query q = {.pk = r->pk, .sk_from = last, .limit = PAGE};
        struct bc_query_result res;
        if ((rc = bc_store_query(r->m->from->store, &q, &res)) < 0) return rc;
        size_t i;
        json_t *it;
        json_array_foreach(res.items, i, it)
        {
            const char *sk = S(it, "SK");
            if (last && strcmp(sk, last) == 0) continue; /* the range is inclusive: already copied */
            if (strcmp(sk, "META") != 0 && (rc = copy_verified(r, it, &lazy)) < 0) break;
            r->p.done++;
            json_object_set_new(r->ck, "last_sk", json_string(sk));
            tick(r);
            pause_ms(r->m->delay_ms);
            /* a checkpoint a second at least: a killed run loses at most a second of copying */
            if (bc_mono_ns() - r->saved_ns > 1000000000LL && (rc = save_checkpoint(r, NULL)) < 0) break;
        }
        bool more = res.next_cursor != NULL;
        bc_query_result_release(&res);
        if (rc == 0) rc = save_checkpoint(r, NULL);
        if (rc < 0) return rc;
        if (!more) break;
    }
    return save_checkpoint(r, "lookups");
}

/* Phase "lookups": e-mail look-ups of the users, and the tenant's plan when the destination lacks it. */
static int copy_lookups(struct run *r, json_t *meta)
{
    char psk[BC_KEY_SIZE];
    char *cursor = NULL;
    int rc = bc_plan_ensure_defaults(r->m->to);
    while (rc == 0) {
        struct bc_query q = {.pk = r->pk, .sk_prefix = "USER#", .limit = PAGE, .cursor = cursor};
        struct bc_query_result res;
        free(cursor);
        cursor = NULL;
        if ((rc = bc_store_query(r->m->from->store, &q, &res)) < 0) break;
        size_t i, j;
        json_t *it, *k;
        json_array_foreach(res.items, i, it)
        {
            json_t *keys = bc_tenant_item_globals(it, r->m->tenant_id);
            json_array_foreach(keys, j, k)
            {
                json_t *g = NULL;
                int g_rc = bc_store_get(r->m->from->store, S(k, "PK"), S(k, "SK"), &g);
                if (g_rc == 0)
                    rc = copy_verified(r, g, NULL);
                else if (g_rc != BC_ENOT_FOUND)
                    rc = g_rc;
                json_decref(g);
                if (rc < 0) break;
            }
            json_decref(keys);
            if (rc < 0) break;
        }
        cursor = res.next_cursor;
        res.next_cursor = NULL;
        bc_query_result_release(&res);
        if (!cursor) break;
    }
    free(cursor);
    const char *plan = bc_field_str(meta, BC_F_PLAN);
    if (rc == 0 && plan && bc_key_sk(psk, "PLAN", plan)) {
        json_t *p = NULL;
        int g = bc_store_get(r->m->from->store, BC_KEY_PLATFORM, psk, &p);
        if (g == 0) {
            struct bc_cond ne = {BC_COND_NOT_EXISTS, 0};
            rc = bc_store_put(r->m->to->store, p, &ne); /* never overwrite the destination operator's plan */
            if (rc == BC_ECOND) rc = 0;
            bc_plan_cache_clear(r->m->to);
        } else if (g != BC_ENOT_FOUND) {
            rc = g;
        }
        json_decref(p);
    }
    return rc < 0 ? rc : save_checkpoint(r, "keys");
}

/* True when the source holds a key record with this id. */
static bool source_has_key(json_t *source_keys, const char *id)
{
    size_t i;
    json_t *k;
    json_array_foreach(source_keys, i, k) if (id && S(k, "id") && strcmp(S(k, "id"), id) == 0) return true;
    return false;
}

/* Every APIKEY# record of one store's partition (caller decrefs). */
static int key_records(struct bc_env *env, const char *pk, json_t **out)
{
    struct bc_store *s = env->store;
    char *cursor = NULL;
    int rc = 0;
    *out = json_array();
    do {
        struct bc_query q = {.pk = pk, .sk_prefix = "APIKEY#", .limit = PAGE, .cursor = cursor};
        struct bc_query_result res;
        rc = bc_store_query(s, &q, &res);
        free(cursor);
        cursor = NULL;
        if (rc < 0) break;
        json_array_extend(*out, res.items);
        cursor = res.next_cursor;
        res.next_cursor = NULL;
        bc_query_result_release(&res);
    } while (cursor);
    free(cursor);
    return rc;
}

/* Phase "keys": retire the copied records, revoke keys of an earlier killed run, issue new keys. */
static int reissue_keys(struct run *r, json_t *keys_out)
{
    json_t *src = NULL, *dst = NULL;
    int rc = key_records(r->m->from, r->pk, &src);
    if (rc == 0) rc = key_records(r->m->to, r->pk, &dst);
    size_t i;
    json_t *k;
    json_array_foreach(dst, i, k)
    {
        const char *st = S(k, "status");
        if (rc == 0 && !source_has_key(src, S(k, "id")) && st && strcmp(st, "revoked") != 0) {
            rc = bc_apikey_revoke(r->m->to, &r->ctx, S(k, "id"));
            if (rc == BC_ECONFLICT || rc == BC_ENOT_FOUND) rc = 0;
        }
    }
    json_array_foreach(src, i, k)
    {
        if (rc < 0) break;
        json_t *copy = json_deep_copy(k);
        bool active = bc_apikey_retire_copy(copy, "re-issued by a migration to another store");
        rc = bc_store_put(r->m->to->store, copy, NULL);
        if (rc == 0 && active) {
            char secret[BC_APIKEY_SECRET_SIZE];
            json_t *view = NULL;
            rc = bc_apikey_reissue(r->m->to, &r->ctx, copy, secret, &view);
            if (rc == 0)
                json_array_append_new(keys_out,
                                      json_pack("{s:O, s:O?, s:s, s:O}", "id", json_object_get(view, "id"),
                                                "name", json_object_get(view, "name"), "secret", secret,
                                                "replaces", json_object_get(k, "id")));
            json_decref(view);
        }
        json_decref(copy);
    }
    json_decref(src);
    json_decref(dst);
    return rc < 0 ? rc : save_checkpoint(r, "finish");
}

/* Phase "finish": META with the source's former status, the platform index, the final count check (the
 * destination holds the source's items plus the key records issued by this and any killed run). */
static int finish(struct run *r, json_t *meta)
{
    json_t *out = NULL, *src = NULL, *dst = NULL;
    int64_t n_from = 0, n_to = 0;
    size_t new_keys = 0, i;
    json_t *k;
    int rc = bc_store_put(r->m->to->store, meta, NULL);
    /* a status change rewrites the platform index from META */
    if (rc == 0) rc = bc_tenant_set_status(r->m->to, &r->ctx, S(r->ck, "original_status"), &out);
    json_decref(out);
    if (rc == 0) rc = bc_tenant_items_count(r->m->from, r->m->tenant_id, &n_from);
    if (rc == 0) rc = bc_tenant_items_count(r->m->to, r->m->tenant_id, &n_to);
    if (rc == 0) rc = key_records(r->m->from, r->pk, &src);
    if (rc == 0) rc = key_records(r->m->to, r->pk, &dst);
    json_array_foreach(dst, i, k) new_keys += !source_has_key(src, S(k, "id"));
    json_decref(src);
    json_decref(dst);
    if (rc == 0 && n_to != n_from + (int64_t)new_keys) {
        snprintf(r->msg, r->msgsize,
                 "verification failed: the destination holds %lld items of the tenant, the source %lld (+%zu "
                 "new keys)",
                 (long long)n_to, (long long)n_from, new_keys);
        return BC_EIO;
    }
    if (rc == 0) rc = bc_store_delete(r->m->to->store, r->ckpk, "STATE", NULL);
    if (rc == 0) rc = bc_store_sync(r->m->to->store);
    return rc;
}

int bc_migration_run(const struct bc_migration *m, json_t **result, char *msg, size_t msgsize)
{
    struct run r = {.m = m, .msg = msg, .msgsize = msgsize};
    json_t *meta = NULL, *keys = json_array();
    char now[32];
    bool resumed = false;
    int64_t resumed_from = 0;
    *result = NULL;
    int rc = BC_EINVALID;
    if (bc_ctx_operator(&r.ctx, m->tenant_id) < 0 || !bc_key_tenant_pk(&r.ctx, r.pk) ||
        !bc_key_migration(r.ckpk, m->tenant_id)) {
        snprintf(msg, msgsize, "invalid tenant id");
        goto out;
    }
    if (m->from->store->url && m->to->store->url && strcmp(m->from->store->url, m->to->store->url) == 0) {
        snprintf(msg, msgsize, "the destination is the configured store itself");
        goto out;
    }
    rc = bc_store_get(m->from->store, r.pk, "META", &meta);
    if (rc == BC_ENOT_FOUND) snprintf(msg, msgsize, "no tenant %s in the source store", m->tenant_id);
    if (rc < 0) goto out;
    rc = bc_store_get(m->to->store, r.ckpk, "STATE", &r.ck);
    if (rc == 0) {
        const char *src = S(r.ck, "source");
        if (!src || !m->from->store->url || strcmp(src, m->from->store->url) != 0) {
            snprintf(msg, msgsize, "the destination holds a migration of %s from another store (%.200s)",
                     m->tenant_id, src ? src : "?");
            rc = BC_ECONFLICT;
            goto out;
        }
        resumed = true;
        r.p.done = resumed_from = json_integer_value(json_object_get(r.ck, "done"));
    } else if (rc == BC_ENOT_FOUND) {
        const char *status = bc_field_str(meta, BC_F_STATUS);
        bool exists = false;
        if (status && strcmp(status, "DELETED") == 0) {
            snprintf(msg, msgsize, "tenant %s is deleted: restore it before migrating it", m->tenant_id);
            rc = BC_EINVALID;
            goto out;
        }
        if ((rc = bc_tenant_items_exist(m->to, m->tenant_id, &exists)) < 0) goto out;
        if (exists && !m->force) {
            snprintf(msg, msgsize, "the destination already holds tenant %s (--force replaces it)",
                     m->tenant_id);
            rc = BC_ECONFLICT;
            goto out;
        }
        if (exists && (rc = bc_tenant_purge(m->to, m->tenant_id)) < 0) goto out;
        bc_now_iso(now);
        r.ck = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:n}", "PK", r.ckpk, "SK", "STATE", "tenant_id",
                         m->tenant_id, "source", m->from->store->url ? m->from->store->url : "",
                         "original_status", status ? status : "ACTIVE", "started_at", now, "phase", "items",
                         "last_sk");
        if (!r.ck) {
            rc = BC_ENOMEM;
            goto out;
        }
        if ((rc = bc_store_put(m->to->store, r.ck, NULL)) < 0) goto out;
        if (!status || strcmp(status, "SUSPENDED") != 0) {
            json_t *ignored = NULL;
            rc = bc_tenant_set_status(m->from, &r.ctx, "SUSPENDED", &ignored);
            json_decref(ignored);
            if (rc < 0) goto out;
        }
        json_decref(meta);
        meta = NULL;
        if ((rc = bc_store_get(m->from->store, r.pk, "META", &meta)) < 0) goto out;
    } else {
        goto out;
    }
    if ((rc = bc_tenant_items_count(m->from, m->tenant_id, &r.p.total)) < 0) goto out;
    r.saved_ns = bc_mono_ns();
    const char *phase = S(r.ck, "phase");
    int step = !phase ? 0 : !strcmp(phase, "items") ? 0 : !strcmp(phase, "lookups") ? 1 : 2;
    r.p.phase = "items";
    tick(&r);
    if (step <= 0 && (rc = copy_items(&r)) < 0) goto out;
    r.p.phase = "lookups";
    if (step <= 1 && (rc = copy_lookups(&r, meta)) < 0) goto out;
    /* always, even when resumed in "finish": new keys are shown only by the run that completes */
    r.p.phase = "keys";
    tick(&r);
    if ((rc = reissue_keys(&r, keys)) < 0) goto out;
    r.p.phase = "finish";
    tick(&r);
    if ((rc = finish(&r, meta)) < 0) goto out;
    *result = json_pack("{s:s, s:s, s:s, s:I, s:b, s:I, s:s, s:O}", "tenant_id", m->tenant_id, "from",
                        m->from->store->url ? m->from->store->url : "", "to",
                        m->to->store->url ? m->to->store->url : "", "items", (json_int_t)r.p.total, "resumed",
                        resumed, "resumed_from", (json_int_t)resumed_from, "source_status", "SUSPENDED",
                        "api_keys", keys);
    if (!*result) rc = BC_ENOMEM;
out:
    json_decref(meta);
    json_decref(r.ck);
    json_decref(keys);
    return rc;
}
