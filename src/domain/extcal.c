/* Busy times in (extcal.h): the calendar items, the reads of availability and the admin API, the poller. */
#include "domain/extcal.h"
#include "domain/calendar.h"
#include "domain/entity.h"
#include "domain/env.h"
#include "domain/extcal_parse.h"
#include "domain/fields.h"
#include "domain/keys.h"
#include "domain/settings.h"
#include "domain/tenant.h"
#include "net/addr.h"
#include "net/sender.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/passes.h"
#include "util/err.h"
#include "util/jsonv.h"
#include "util/log.h"
#include "util/tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_PK      BC_EXTCAL_QUEUE_PK
#define PAGE          32
#define MAX_INFLIGHT  16
#define LEASE_S       60    /* a claim's hold: longer than a fetch can take */
#define FETCH_MS      10000 /* a fetch's whole time */
#define REEXPAND_S    43200 /* a full fetch (no validators) at least this often: the window moves on */
#define FAILING_AFTER 3600  /* an error older than this counts against the health score */
#define MAX_DAYS      62    /* GET /v1/admin/busy */

static const char *item_sk(char *buf, const char *pid, int idx)
{
    char n[4];
    snprintf(n, sizeof n, "%d", idx);
    return bc_key_sk2(buf, "XCAL", pid, n);
}

static void queue_sk(char *buf, int64_t next_at, const char *tenant, const char *pid, int idx)
{
    snprintf(buf, BC_KEY_SIZE, "%012lld#%s#%s#%d", (long long)next_at, tenant, pid, idx);
}

const char *bc_extcal_pointer_key(const json_t *item, char *sk)
{
    const char *tenant = bc_field_str(item, "tenant_id"), *pid = bc_field_str(item, "provider_id");
    if (!tenant || !pid || !json_is_integer(json_object_get(item, "next_at"))) return NULL;
    queue_sk(sk, json_integer_value(json_object_get(item, "next_at")), tenant, pid,
             (int)json_integer_value(json_object_get(item, "idx")));
    return sk;
}

/* Writes the queue pointer of a calendar due at next_at. It is written BEFORE the item's next_at changes
 * to it: a crash in between leaves a pointer that does not match its item (dropped as stale when due),
 * never an item that no pointer leads to. */
static int put_pointer(struct bc_store *s, const char *tenant, const char *pid, int idx, const char *url,
                       int64_t next_at, char *qsk)
{
    queue_sk(qsk, next_at, tenant, pid, idx);
    json_t *ptr =
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I}", "PK", QUEUE_PK, "SK", qsk, "tenant_id", tenant,
                  "provider_id", pid, "idx", idx, "url", url, "next_at", (json_int_t)next_at);
    int rc = ptr ? bc_store_put(s, ptr, NULL) : BC_ENOMEM;
    json_decref(ptr);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------- */
/* The professional's list                                                                              */

int bc_extcal_check(const json_t *list, bool allow_private, char *msg, size_t msgsize)
{
    static const char shape[] = "external_calendars must be an array of {\"url\": \"https://…\"}";
    if (!json_is_array(list)) {
        snprintf(msg, msgsize, "%s", shape);
        return BC_EINVALID;
    }
    if (json_array_size(list) > BC_EXTCAL_MAX) {
        snprintf(msg, msgsize, "at most %d external calendars per professional", BC_EXTCAL_MAX);
        return BC_EINVALID;
    }
    size_t i, j;
    json_t *c, *d;
    json_array_foreach(list, i, c)
    {
        const char *url = json_string_value(json_object_get(c, "url"));
        if (!json_is_object(c) || !url || json_object_size(c) != 1) {
            snprintf(msg, msgsize, "%s", shape);
            return BC_EINVALID;
        }
        if (strlen(url) > BC_NET_URL_MAX) {
            snprintf(msg, msgsize, "external calendar URL longer than %d bytes", BC_NET_URL_MAX);
            return BC_EINVALID;
        }
        char why[200];
        if (bc_net_url_check(url, allow_private, true, why, sizeof why) < 0) {
            snprintf(msg, msgsize, "external calendar URL: %s", why);
            return BC_EINVALID;
        }
        json_array_foreach(list, j,
                           d) if (j < i && strcmp(json_string_value(json_object_get(d, "url")), url) == 0)
        {
            snprintf(msg, msgsize, "external calendar URL appears twice");
            return BC_EINVALID;
        }
    }
    return 0;
}

bool bc_extcal_has(const json_t *provider)
{
    return json_array_size(json_object_get(provider, "external_calendars")) > 0;
}

int bc_extcal_sync(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, const json_t *list)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], qsk[BC_KEY_SIZE];
    if (!list) return 0;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_EINVALID;
    int64_t now = bc_now_s();
    int rc = 0;
    for (int i = 0; i < BC_EXTCAL_MAX && rc == 0; i++) {
        if (!item_sk(sk, provider_id, i)) return BC_EINVALID;
        json_t *cur = NULL;
        rc = bc_store_get(s, pk, sk, &cur);
        if (rc == BC_ENOT_FOUND) rc = 0;
        if (rc < 0) break;
        const char *url = json_string_value(json_object_get(json_array_get(list, (size_t)i), "url"));
        if (!url) {
            if (cur) rc = bc_store_delete(s, pk, sk, NULL);
        } else if (!cur || strcmp(bc_field_str(cur, "url") ?: "", url) != 0) {
            /* a new address: nothing of the old one is kept, due at once */
            json_t *item =
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:n, s:n, s:n, s:i, s:[], s:I, s:i, "
                          "s:I}",
                          "PK", pk, "SK", sk, "tenant_id", ctx->tenant_id, "provider_id", provider_id, "url",
                          url, "idx", i, "status", "pending", "last_ok_at", "last_attempt_at", "last_error",
                          "events", 0, "busy", "next_at", (json_int_t)now, "lease_until", 0, "version",
                          (json_int_t)(bc__store_version(cur) + 1));
            rc = put_pointer(s, ctx->tenant_id, provider_id, i, url, now, qsk);
            if (rc == 0) rc = bc_store_put(s, item, NULL);
            json_decref(item);
        }
        json_decref(cur);
    }
    return rc;
}

int bc_extcal_forget(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id)
{
    json_t *none = json_array();
    int rc = bc_extcal_sync(env, ctx, provider_id, none);
    json_decref(none);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Reads                                                                                                */

static int query_items(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id,
                       struct bc_query_result *res)
{
    char pk[BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    char sk[BC_KEY_SIZE];
    if (provider_id && !bc_key_sk(sk, "XCAL", provider_id)) return BC_ENOT_FOUND;
    if (provider_id) snprintf(prefix, sizeof prefix, "%.200s#", sk);
    struct bc_query q = {.pk = pk,
                         .sk_prefix = provider_id ? prefix : "XCAL#",
                         .limit = provider_id ? BC_EXTCAL_MAX : 1000,
                         .read_only = true};
    return bc_store_query(env->store, &q, res);
}

static int cmp_busy(const void *x, const void *y)
{
    const struct bc_busy *a = x, *b = y;
    return (a->from > b->from) - (a->from < b->from);
}

int bc_extcal_busy(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, int64_t from,
                   int64_t to, struct bc_busy **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct bc_query_result res = {0};
    int rc = query_items(env, ctx, provider_id, &res);
    if (rc < 0) return rc;
    size_t i, j, cap = 0;
    json_t *it, *iv;
    json_array_foreach(res.items, i, it) cap += json_array_size(json_object_get(it, "busy"));
    struct bc_busy *b = cap ? calloc(cap, sizeof *b) : NULL;
    if (cap && !b) rc = BC_ENOMEM;
    json_array_foreach(res.items, i, it)
    {
        if (rc < 0) break;
        json_array_foreach(json_object_get(it, "busy"), j, iv)
        {
            int64_t f = json_integer_value(json_array_get(iv, 0)),
                    t = json_integer_value(json_array_get(iv, 1));
            if (t <= from || f >= to) continue;
            b[*n].from = f;
            b[*n].to = t;
            snprintf(b[*n].id, sizeof b[*n].id, "external");
            (*n)++;
        }
    }
    bc_query_result_release(&res);
    if (rc < 0) {
        free(b);
        *n = 0;
        return rc;
    }
    if (*n > 1) qsort(b, *n, sizeof *b, cmp_busy);
    *out = b;
    return 0;
}

static json_t *str_or_null(const json_t *item, const char *name)
{
    const char *v = bc_field_str(item, name);
    return v ? json_string(v) : json_null();
}

int bc_extcal_status(struct bc_env *env, const struct bc_ctx *ctx, const char *provider_id, json_t **items)
{
    const json_t *p = NULL;
    *items = NULL;
    int rc = bc_entity_get_ro(env, ctx, "PROVIDER", provider_id, &p);
    if (rc < 0) return rc;
    struct bc_query_result res = {0};
    if ((rc = query_items(env, ctx, provider_id, &res)) < 0) {
        bc_json_release(p);
        return rc;
    }
    *items = json_array();
    size_t i, j;
    json_t *c, *it;
    json_array_foreach(json_object_get(p, "external_calendars"), i, c)
    {
        const char *url = bc_field_str(c, "url");
        const json_t *found = NULL;
        json_array_foreach(res.items, j,
                           it) if (json_integer_value(json_object_get(it, "idx")) == (json_int_t)i &&
                                   strcmp(bc_field_str(it, "url") ?: "", url ?: "") == 0) found = it;
        const char *st = found ? bc_field_str(found, "status") : NULL;
        json_array_append_new(*items,
                              json_pack("{s:s, s:s, s:o, s:o, s:o, s:I}", "url", url ?: "", "status",
                                        st ? st : "pending", "last_ok_at", str_or_null(found, "last_ok_at"),
                                        "last_attempt_at", str_or_null(found, "last_attempt_at"),
                                        "last_error", str_or_null(found, "last_error"), "events",
                                        (json_int_t)json_integer_value(json_object_get(found, "events"))));
    }
    bc_query_result_release(&res);
    bc_json_release(p);
    return 0;
}

int bc_extcal_busy_list(struct bc_env *env, const struct bc_ctx *ctx, const char *from_date,
                        const char *to_date, const char *provider_id, json_t **items, char *msg,
                        size_t msgsize)
{
    int32_t df, dt;
    *items = NULL;
    if (!from_date || !to_date || bc_tz_date_parse(from_date, &df) < 0 ||
        bc_tz_date_parse(to_date, &dt) < 0) {
        snprintf(msg, msgsize, "from and to must be dates (YYYY-MM-DD)");
        return BC_EINVALID;
    }
    if (dt < df || dt - df >= MAX_DAYS) {
        snprintf(msg, msgsize, "to must be on or after from, at most %d days in all", MAX_DAYS);
        return BC_EINVALID;
    }
    json_t *settings = NULL, *all = NULL;
    int rc = bc_settings_get(env, ctx, &settings);
    if (rc < 0) return rc;
    char zone[80];
    snprintf(zone, sizeof zone, "%s", bc_settings_zone(settings));
    json_decref(settings);
    int64_t from, to;
    if (bc_tz_day_start(zone, df, &from) < 0 || bc_tz_day_start(zone, dt + 1, &to) < 0) return BC_EINVALID;
    if (provider_id) {
        const json_t *p = NULL;
        if ((rc = bc_entity_get_ro(env, ctx, "PROVIDER", provider_id, &p)) < 0) {
            snprintf(msg, msgsize, "unknown professional");
            return rc;
        }
        all = json_array();
        json_array_append_new(all, json_deep_copy(p));
        bc_json_release(p);
    } else if ((rc = bc_entity_all(env, ctx, "PROVIDER", 1000, &all)) < 0) {
        return rc;
    }
    *items = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p)
    {
        if (!bc_extcal_has(p)) continue;
        const char *pid = bc_field_str(p, "id");
        struct bc_busy *b = NULL;
        size_t n = 0;
        if ((rc = bc_extcal_busy(env, ctx, pid, from, to, &b, &n)) < 0) break;
        for (size_t k = 0; k < n; k++) {
            char f[BC_TZ_ISO_SIZE], t[BC_TZ_ISO_SIZE];
            bc_tz_format_iso(zone, b[k].from, f, sizeof f);
            bc_tz_format_iso(zone, b[k].to, t, sizeof t);
            json_array_append_new(*items,
                                  json_pack("{s:s, s:s, s:s}", "provider_id", pid, "from", f, "to", t));
        }
        free(b);
    }
    json_decref(all);
    if (rc < 0) {
        json_decref(*items);
        *items = NULL;
    }
    return rc;
}

int bc_extcal_failing(struct bc_env *env, const struct bc_ctx *ctx, int64_t now, int *failing, int *total)
{
    *failing = *total = 0;
    struct bc_query_result res = {0};
    int rc = query_items(env, ctx, NULL, &res);
    if (rc < 0) return rc;
    size_t i;
    json_t *it;
    json_array_foreach(res.items, i, it)
    {
        (*total)++;
        int64_t since = json_integer_value(json_object_get(it, "error_since"));
        if (strcmp(bc_field_str(it, "status") ?: "", "error") == 0 && since && now - since > FAILING_AFTER)
            (*failing)++;
    }
    bc_query_result_release(&res);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------- */
/* The poller                                                                                           */

struct fetch {
    struct fetch *next;
    struct bc_extcal_poller *p;
    char tenant[BC_TENANT_ID_MAX + 1], pid[BC_TENANT_ID_MAX + 1], pointer_sk[BC_KEY_SIZE];
    int idx;
    int64_t version; /* of the claimed item */
    bool was_error;
    int64_t error_since;
    char zone[80], url[BC_NET_URL_MAX + 1];
    int64_t wfrom, wto;
    /* the result, copied on the sender's thread */
    struct bc_send_result res;
    char *body, *etag, *last_modified;
};

struct bc_extcal_poller {
    struct bc_env *env;
    int interval;
    bool allow_private;
    struct bc_sender *sender;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    struct fetch *done;      /* under mu */
    int inflight;            /* poller thread only */
    struct bc_passes passes; /* for bc_extcal_poller_settle, under mu */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void fetched(void *ud, const struct bc_send_result *r)
{
    struct fetch *f = ud;
    struct bc_extcal_poller *p = f->p;
    f->res = *r;
    f->body = r->body ? malloc(r->body_len + 1) : NULL;
    if (f->body) {
        memcpy(f->body, r->body, r->body_len);
        f->body[r->body_len] = '\0';
    }
    f->res.body_len = f->body ? r->body_len : 0;
    f->etag = dup_or_null(r->etag);
    f->last_modified = dup_or_null(r->last_modified);
    f->res.body = f->res.etag = f->res.last_modified = NULL;
    pthread_mutex_lock(&p->mu);
    f->next = p->done;
    p->done = f;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void fetch_free(struct fetch *f)
{
    free(f->body);
    free(f->etag);
    free(f->last_modified);
    free(f);
}

/* Writes a fetch's outcome on the claimed item, then moves its pointer to the next poll. */
static void record(struct bc_extcal_poller *p, struct fetch *f)
{
    struct bc_store *s = p->env->store;
    struct bc_ctx ctx;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], now_iso[32], err[256] = "";
    int64_t now = bc_now_s(), next = now + p->interval;
    if (bc_ctx_operator(&ctx, f->tenant) < 0) return;
    bc_key_tenant_pk(&ctx, pk);
    item_sk(sk, f->pid, f->idx);
    bc_now_iso(now_iso);
    json_t *set = json_pack("{s:s, s:I, s:I}", "last_attempt_at", now_iso, "lease_until", (json_int_t)0,
                            "next_at", (json_int_t)next);
    bool ok = false;
    if (f->res.rc == 0 && f->res.status == 304) {
        ok = true;
    } else if (f->res.rc == 0) {
        struct bc_extcal_iv *iv = NULL;
        size_t n = 0, events = 0;
        int rc = bc_extcal_expand(f->body ? f->body : "", f->res.body_len, f->zone, f->wfrom, f->wto, &iv, &n,
                                  &events, err, sizeof err);
        if (rc == 0) {
            ok = true;
            json_t *busy = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(busy,
                                      json_pack("[I, I]", (json_int_t)iv[i].from, (json_int_t)iv[i].to));
            json_object_set_new(set, "busy", busy);
            json_object_set_new(set, "events", json_integer((json_int_t)events));
            json_object_set_new(set, "expanded_at", json_integer(now));
            json_object_set_new(set, "etag", f->etag ? json_string(f->etag) : json_null());
            json_object_set_new(set, "last_modified",
                                f->last_modified ? json_string(f->last_modified) : json_null());
        }
        free(iv);
    } else {
        snprintf(err, sizeof err, "%s", f->res.error);
    }
    if (ok) {
        json_object_set_new(set, "status", json_string("ok"));
        json_object_set_new(set, "last_ok_at", json_string(now_iso));
        json_object_set_new(set, "last_error", json_null());
        json_object_set_new(set, "error_since", json_integer(0));
    } else { /* the last good busy list stays */
        json_object_set_new(set, "status", json_string("error"));
        json_object_set_new(set, "last_error", json_string(err[0] ? err : "fetch failed"));
        json_object_set_new(set, "error_since",
                            json_integer(f->was_error && f->error_since ? f->error_since : now));
    }
    char qsk[BC_KEY_SIZE];
    int rc = put_pointer(s, f->tenant, f->pid, f->idx, f->url, next, qsk);
    json_t *add = json_pack("{s:i}", "version", 1);
    struct bc_update u = {set, add, NULL};
    struct bc_cond c = {BC_COND_VERSION, f->version, false};
    if (rc == 0) rc = bc_store_update(s, pk, sk, &u, &c, NULL);
    json_decref(set);
    json_decref(add);
    if (rc == 0) /* the item now leads to the new pointer: the old one goes */
        bc_store_delete(s, QUEUE_PK, f->pointer_sk, NULL);
    else if (rc !=
             BC_ECOND) /* BC_ECOND: the calendar changed meanwhile (a new URL), its own pointer polls it */
        bc_log(BC_LOG_WARN, "calendar poller: recording a fetch failed: %d", rc);
    bc_ctx_release(&ctx);
}

/* One due pointer: checked against its item, claimed, fetched. */
static void poll_one(struct bc_extcal_poller *p, const json_t *ptr, int64_t now)
{
    struct bc_store *s = p->env->store;
    const char *tenant = bc_field_str(ptr, "tenant_id"), *pid = bc_field_str(ptr, "provider_id");
    const char *psk = bc_field_str(ptr, "SK");
    int idx = (int)json_integer_value(json_object_get(ptr, "idx"));
    struct bc_ctx ctx;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    if (!tenant || !pid || bc_ctx_operator(&ctx, tenant) < 0) {
        bc_store_delete(s, QUEUE_PK, psk, NULL);
        return;
    }
    json_t *tenant_item = NULL, *item = NULL, *settings = NULL;
    int rc = bc_tenant_get(p->env, &ctx, &tenant_item);
    if (rc == BC_ENOT_FOUND) { /* a purged tenant */
        bc_store_delete(s, QUEUE_PK, psk, NULL);
        goto out;
    }
    bool inactive = rc == 0 && bc_tenant_check_active(tenant_item) < 0;
    if (rc < 0 || !bc_key_tenant_pk(&ctx, pk) || !item_sk(sk, pid, idx)) goto out;
    rc = bc_store_get(s, pk, sk, &item);
    if (rc == BC_ENOT_FOUND ||
        (rc == 0 && (strcmp(bc_field_str(item, "url") ?: "", bc_field_str(ptr, "url") ?: "") != 0 ||
                     json_integer_value(json_object_get(item, "next_at")) !=
                         json_integer_value(json_object_get(ptr, "next_at"))))) {
        bc_store_delete(s, QUEUE_PK, psk, NULL); /* stale */
        goto out;
    }
    if (rc < 0 || json_integer_value(json_object_get(item, "lease_until")) > now) goto out;
    if (inactive) { /* a suspended or deleted (restorable) tenant's calendars rest: looked at hourly */
        char qsk[BC_KEY_SIZE];
        json_t *set = json_pack("{s:I}", "next_at", (json_int_t)(now + 3600)),
               *add = json_pack("{s:i}", "version", 1);
        struct bc_update u = {set, add, NULL};
        struct bc_cond c = {BC_COND_VERSION, bc__store_version(item), false};
        if (put_pointer(s, tenant, pid, idx, bc_field_str(item, "url") ?: "", now + 3600, qsk) == 0 &&
            bc_store_update(s, pk, sk, &u, &c, NULL) == 0)
            bc_store_delete(s, QUEUE_PK, psk, NULL);
        json_decref(set);
        json_decref(add);
        goto out;
    }
    json_t *set = json_pack("{s:I}", "lease_until", (json_int_t)(now + LEASE_S)),
           *add = json_pack("{s:i}", "version", 1), *claimed = NULL;
    struct bc_update u = {set, add, NULL};
    struct bc_cond c = {BC_COND_VERSION, bc__store_version(item), false};
    rc = bc_store_update(s, pk, sk, &u, &c, &claimed);
    json_decref(set);
    json_decref(add);
    if (rc < 0) goto out; /* another process has it */
    struct fetch *f = calloc(1, sizeof *f);
    if (!f || bc_settings_get(p->env, &ctx, &settings) < 0) {
        free(f);
        json_decref(claimed);
        goto out;
    }
    f->p = p;
    snprintf(f->tenant, sizeof f->tenant, "%s", tenant);
    snprintf(f->pid, sizeof f->pid, "%s", pid);
    snprintf(f->pointer_sk, sizeof f->pointer_sk, "%s", psk);
    snprintf(f->zone, sizeof f->zone, "%s", bc_settings_zone(settings));
    snprintf(f->url, sizeof f->url, "%s", bc_field_str(claimed, "url") ?: "");
    f->idx = idx;
    f->version = bc__store_version(claimed);
    f->was_error = strcmp(bc_field_str(claimed, "status") ?: "", "error") == 0;
    f->error_since = json_integer_value(json_object_get(claimed, "error_since"));
    int64_t ahead =
        json_integer_value(json_object_get(json_object_get(settings, "booking"), "max_days_ahead"));
    if (ahead <= 0 || ahead > 730) ahead = 730;
    f->wfrom = now - 86400;
    f->wto = now + (ahead + 1) * 86400;
    /* the validators only while the busy list held is recent: the window moves on with time */
    bool fresh = now - json_integer_value(json_object_get(claimed, "expanded_at")) < REEXPAND_S &&
                 strcmp(bc_field_str(claimed, "status") ?: "", "ok") == 0;
    struct bc_send_req r = {.kind = BC_SEND_HTTP_GET,
                            .url = bc_field_str(claimed, "url"),
                            .allow_private = p->allow_private,
                            .timeout_ms = FETCH_MS,
                            .max_body = BC_EXTCAL_MAX_BYTES,
                            .if_none_match = fresh ? bc_field_str(claimed, "etag") : NULL,
                            .if_modified_since = fresh ? bc_field_str(claimed, "last_modified") : NULL};
    if (bc_sender_submit(p->sender, &r, fetched, f) == 0) {
        p->inflight++;
    } else { /* a URL the sender refuses outright: recorded as an error at once */
        f->res.rc = BC_EINVALID;
        snprintf(f->res.error, sizeof f->res.error, "the URL cannot be fetched");
        record(p, f);
        fetch_free(f);
    }
    json_decref(claimed);
out:
    json_decref(settings);
    json_decref(item);
    json_decref(tenant_item);
    bc_ctx_release(&ctx);
}

static void pass(struct bc_extcal_poller *p)
{
    pthread_mutex_lock(&p->mu);
    struct fetch *done = p->done;
    p->done = NULL;
    pthread_mutex_unlock(&p->mu);
    while (done) {
        struct fetch *f = done;
        done = f->next;
        record(p, f);
        fetch_free(f);
        p->inflight--;
    }
    if (p->inflight >= MAX_INFLIGHT) return;
    int64_t now = bc_now_s();
    char upto[64];
    snprintf(upto, sizeof upto, "%012lld#~", (long long)now);
    struct bc_query q = {.pk = QUEUE_PK, .sk_to = upto, .limit = PAGE};
    struct bc_query_result res = {0};
    if (bc_store_query(p->env->store, &q, &res) < 0) return;
    size_t i;
    json_t *ptr;
    json_array_foreach(res.items, i, ptr)
    {
        if (p->inflight >= MAX_INFLIGHT) break;
        poll_one(p, ptr, now);
    }
    bc_query_result_release(&res);
}

static void *poller_main(void *arg)
{
    struct bc_extcal_poller *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        bc_passes_begin(&p->passes);
        pthread_mutex_unlock(&p->mu);
        pass(p);
        pthread_mutex_lock(&p->mu);
        bc_passes_end(&p->passes, p->inflight == 0 && !p->done);
        if (p->stop || p->done || p->passes.woken) continue;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&p->cv, &p->mu, &until);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int bc_extcal_poller_start(struct bc_env *env, int interval_s, bool allow_private,
                           struct bc_extcal_poller **out, char *err, size_t errsize)
{
    *out = NULL;
    struct bc_extcal_poller *p = calloc(1, sizeof *p);
    if (!p) return BC_ENOMEM;
    p->env = env;
    p->interval = interval_s > 0 ? interval_s : 300;
    p->allow_private = allow_private;
    int rc = bc_sender_new(&p->sender, err, errsize);
    if (rc < 0) {
        free(p);
        return rc;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    bc_passes_init(&p->passes);
    if (pthread_create(&p->thread, NULL, poller_main, p) != 0) {
        bc_sender_free(p->sender);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        bc_passes_release(&p->passes);
        free(p);
        snprintf(err, errsize, "could not start the calendar poller thread");
        return BC_EINTERNAL;
    }
    pthread_setname_np(p->thread, "bc-xcal");
    *out = p;
    return 0;
}

void bc_extcal_poller_stop(struct bc_extcal_poller *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    /* sends in flight complete as cancelled; their claims lapse with the lease and another pass retries */
    bc_sender_free(p->sender);
    while (p->done) {
        struct fetch *f = p->done;
        p->done = f->next;
        fetch_free(f);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    bc_passes_release(&p->passes);
    free(p);
}

bool bc_extcal_poller_settle(struct bc_extcal_poller *p, int64_t deadline_ns)
{
    if (!p) return true;
    pthread_mutex_lock(&p->mu);
    bool idle = bc_passes_settle(&p->passes, &p->mu, &p->cv, deadline_ns);
    pthread_mutex_unlock(&p->mu);
    return idle;
}
