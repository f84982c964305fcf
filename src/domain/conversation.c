/* Conversation and message items.
 *
 * DESIGN NOTES
 * - One customer turn = read CONV, write the user's message, run the dialog, write the assistant's
 *   messages, write CONV back on the version it was read with. Two turns racing on one conversation:
 *   the second loses the version check and answers 409 (the widget sends one message at a time).
 * - Messages and the conversation item are lazy writes (store.h): a machine crash can lose the last
 *   second of chat, never a booking (bookings are durable writes of their own).
 * - Everything carries a ttl = retention end, counted from the conversation's start (bc_conv_new; the
 *   messages take the conversation's), so old conversations vanish by themselves (the store hides and
 *   reaps expired items) and a conversation's messages share one expiry entry (bc_conv_save_with). */
#include "domain/conversation.h"
#include "util/jsonv.h"
#include "domain/env.h"
#include "auth/secret.h"
#include "domain/keys.h"
#include "domain/outbox.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *bc_conv_token(const char *tenant_id, const char *key_id, const char *conv_id)
{
    char data[256], hex[65];
    snprintf(data, sizeof data, "%s|%s|%s", tenant_id, key_id, conv_id);
    bc_secret_hmac_hex("conversation", data, strlen(data), hex);
    struct bc_buf b = BC_BUF_INIT;
    bc_buf_printf(&b, "ct_%.40s", hex); /* 160 bits of MAC */
    return bc_buf_detach(&b, NULL);
}

bool bc_conv_token_ok(const char *token, const char *tenant_id, const char *key_id, const char *conv_id)
{
    if (!token) return false;
    char *want = bc_conv_token(tenant_id, key_id, conv_id);
    bool ok = want && strlen(token) == strlen(want) && sodium_memcmp(token, want, strlen(want)) == 0;
    free(want);
    return ok;
}

json_t *bc_conv_new(const struct bc_ctx *ctx, const char *lang, int retention_days)
{
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE], id[BC_ID_LEN + 1], now[32];
    if (!bc_key_tenant_pk(ctx, pk)) return NULL;
    bc_id_new(id);
    bc_now_iso(now);
    int64_t ttl = bc_now_s() + (int64_t)(retention_days > 0 ? retention_days : 90) * 86400;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:o, s:{}, s:I, s:i}", "PK", pk,
                     "SK", bc_key_sk(sk, "CONV", id), "id", id, "key_id", ctx->key_id, "status", "open",
                     "lang", lang, "created_at", now, "updated_at", now, "seq", 0, "user_messages", 0,
                     "state", json_null(), "slots", "ttl", (json_int_t)ttl, "version", 0);
}

int bc_conv_get(struct bc_env *env, const struct bc_ctx *ctx, const char *id, json_t **out)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], sk[BC_KEY_SIZE];
    *out = NULL;
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(sk, "CONV", id)) return BC_ENOT_FOUND;
    /* through the store's memo, then a private copy: the turn's write finds the same bytes in the memo
     * and checks its version condition without parsing the conversation a second time */
    const json_t *shared = NULL;
    int rc = bc_store_get_ro(s, pk, sk, &shared);
    if (rc < 0) return rc;
    *out = json_deep_copy(shared);
    bc_json_release(shared);
    return *out ? 0 : BC_ENOMEM;
}

int bc_conv_save(struct bc_env *env, json_t *conv)
{
    return bc_conv_save_with(env, conv, NULL, 0);
}

int bc_conv_save_with(struct bc_env *env, json_t *conv, json_t *const *messages, size_t n)
{
    struct bc_store *s = env->store;
    struct bc_write w[BC_STORE_BATCH_MAX];
    char now[32];
    if (n + 1 > BC_STORE_BATCH_MAX) return BC_EINVALID;
    int64_t v = bc__store_version(conv);
    bc_now_iso(now);
    json_object_set_new(conv, "updated_at", json_string(now));
    json_object_set_new(conv, "version", json_integer(v + 1));
    /* a new hand-off: its notification's intent joins the batch, before the conversation (outbox.h) */
    struct bc_outbox_batch ob = {0};
    json_t *h = json_object_get(conv, "handoff");
    const char *pk = json_string_value(json_object_get(conv, "PK"));
    if (bc_conv_handoff_open(conv) && !json_object_get(h, "event") && pk && strncmp(pk, "TENANT#", 7) == 0) {
        struct bc_ctx ctx;
        int rc = bc_ctx_operator(&ctx, pk + 7);
        if (rc == 0) rc = bc_outbox_handoff(env, &ctx, conv, &ob);
        bc_ctx_release(&ctx);
        if (rc < 0 || ob.n + n + 1 > BC_STORE_BATCH_MAX) {
            bc_outbox_batch_release(&ob);
            json_object_set_new(conv, "version", json_integer(v));
            return rc < 0 ? rc : BC_EINVALID;
        }
    }
    size_t k = bc_outbox_writes(&ob, w);
    /* the messages share the conversation's ttl: one expiry entry for all of them (store.h, ttl_group) */
    for (size_t i = 0; i < n; i++)
        w[k + i] = (struct bc_write){messages[i], {BC_COND_NONE, 0, true}, false, true};
    n += k;
    /* the conversation last: with a backend that writes one item after the other, a conflict on it leaves
     * at most messages that the next successful turn overwrites (same sequence numbers). A private copy is
     * written and kept by the store (struct bc_write.keep): the next turn's read finds it parsed */
    json_t *frozen = json_deep_copy(conv);
    if (!frozen) {
        bc_outbox_batch_release(&ob);
        return BC_ENOMEM;
    }
    w[n] = (struct bc_write){frozen, {v == 0 ? BC_COND_NOT_EXISTS : BC_COND_VERSION, v, true}, true};
    int rc = bc_store_put_batch(s, w, n + 1, NULL);
    json_decref(frozen);
    if (rc == 0 && ob.n) bc_outbox_wake(env);
    bc_outbox_batch_release(&ob);
    if (rc < 0) json_object_set_new(conv, "version", json_integer(v));
    return rc == BC_ECOND ? BC_ECONFLICT : rc;
}

/* The customer's secrets a booking card of an answer carries (domain/booking.h): never stored, never shown
 * to staff. */
static const char *const card_secrets[] = {"manage_token", "ics_url"};

/* m itself when its booking card holds no secret, else a shallow copy with a card without them (new ref). */
static json_t *without_secrets(json_t *m)
{
    json_t *card = json_object_get(m, "booking");
    bool found = false;
    for (size_t i = 0; i < sizeof card_secrets / sizeof *card_secrets; i++)
        found = found || json_object_get(card, card_secrets[i]);
    if (!found) return json_incref(m);
    json_t *c = json_copy(card), *out = json_copy(m);
    for (size_t i = 0; c && i < sizeof card_secrets / sizeof *card_secrets; i++)
        json_object_del(c, card_secrets[i]);
    if (!c || !out || json_object_set_new(out, "booking", c) < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *bc_conv_message_item(json_t *conv, const char *role, json_t *msg)
{
    char sk[BC_KEY_SIZE], now[32];
    json_int_t seq = json_integer_value(json_object_get(conv, "seq")) + 1;
    snprintf(sk, sizeof sk, "MSG#%s#%08lld", json_string_value(json_object_get(conv, "id")), (long long)seq);
    bc_now_iso(now);
    json_t *clean = without_secrets(msg);
    json_t *item = clean ? json_copy(clean) : NULL; /* shallow: only top-level members are added */
    json_decref(clean);
    if (!item) return NULL;
    json_object_set_new(item, "PK", json_string(json_string_value(json_object_get(conv, "PK"))));
    json_object_set_new(item, "SK", json_string(sk));
    json_object_set_new(item, "role", json_string(role));
    json_object_set_new(item, "seq", json_integer(seq));
    json_object_set_new(item, "at", json_string(now));
    json_object_set(item, "ttl", json_object_get(conv, "ttl"));
    json_object_set_new(conv, "seq", json_integer(seq));
    json_object_set_new(conv, "last_message_at", json_string(now));
    return item;
}

int bc_conv_add_message(struct bc_env *env, json_t *conv, const char *role, json_t *msg)
{
    struct bc_store *s = env->store;
    json_t *seq = json_incref(json_object_get(conv, "seq")),
           *last = json_incref(json_object_get(conv, "last_message_at"));
    json_t *item = bc_conv_message_item(conv, role, msg);
    struct bc_cond c = {BC_COND_NONE, 0, true};
    int rc = item ? bc_store_put(s, item, &c) : BC_ENOMEM;
    json_decref(item);
    if (rc < 0) {
        /* the sequence moves only with a written message */
        if (seq)
            json_object_set(conv, "seq", seq);
        else
            json_object_del(conv, "seq");
        if (last)
            json_object_set(conv, "last_message_at", last);
        else
            json_object_del(conv, "last_message_at");
    }
    json_decref(seq);
    json_decref(last);
    return rc;
}

static json_t *message_view(json_t *item)
{
    json_t *v = json_deep_copy(item);
    json_t *card = json_object_get(v, "booking"); /* written before secrets were kept out */
    for (size_t i = 0; i < sizeof card_secrets / sizeof *card_secrets; i++)
        json_object_del(card, card_secrets[i]);
    json_object_del(v, "PK");
    json_object_del(v, "SK");
    json_object_del(v, "ttl");
    return v;
}

int bc_conv_messages(struct bc_env *env, const struct bc_ctx *ctx, const char *id, int limit,
                     const char *cursor, json_t **items, char **next_cursor)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], prefix[BC_KEY_SIZE];
    *items = NULL;
    *next_cursor = NULL;
    if (!bc_key_tenant_pk(ctx, pk) || !bc_key_sk(prefix, "MSG", id)) return BC_ENOT_FOUND;
    size_t n = strlen(prefix);
    if (n + 2 > sizeof prefix) return BC_EINVALID;
    prefix[n] = '#';
    prefix[n + 1] = '\0';
    struct bc_query q = {.pk = pk, .sk_prefix = prefix, .limit = limit, .cursor = cursor};
    return bc_store_query_page(s, &q, message_view, items, next_cursor);
}

json_t *bc_conv_view(json_t *conv)
{
    static const char *const fields[] = {"id",         "status",          "lang",          "created_at",
                                         "updated_at", "last_message_at", "user_messages", "booking",
                                         "handoff",    "state",           "channel"};
    json_t *v = json_object();
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *f = json_object_get(conv, fields[i]);
        if (f) json_object_set(v, fields[i], f);
    }
    json_object_set(v, "messages", json_object_get(conv, "seq"));
    return v;
}

int bc_conv_list(struct bc_env *env, const struct bc_ctx *ctx, const char *status, int limit,
                 const char *cursor, json_t **items, char **next_cursor)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE];
    *items = NULL;
    *next_cursor = NULL;
    if (!bc_key_tenant_pk(ctx, pk)) return BC_ENOT_FOUND;
    json_t *list = json_array();
    char *cur = cursor ? strdup(cursor) : NULL;
    int rc = 0;
    do {
        struct bc_query q = {
            .pk = pk, .sk_prefix = "CONV#", .limit = limit, .cursor = cur, .descending = true};
        struct bc_query_result r;
        rc = bc_store_query(s, &q, &r);
        free(cur);
        cur = NULL;
        if (rc < 0) break;
        size_t i;
        json_t *it;
        json_array_foreach(r.items, i, it)
        {
            const char *st = json_string_value(json_object_get(it, "status"));
            if (status && (!st || strcmp(st, status) != 0)) continue;
            json_array_append_new(list, bc_conv_view(it));
        }
        cur = r.next_cursor;
        r.next_cursor = NULL;
        bc_query_result_release(&r);
    } while (cur && (int)json_array_size(list) < limit);
    if (rc < 0) {
        free(cur);
        json_decref(list);
        return rc;
    }
    *items = list;
    *next_cursor = cur;
    return 0;
}

bool bc_conv_handoff_open(json_t *conv)
{
    json_t *h = json_object_get(conv, "handoff");
    return json_is_object(h) && !json_is_true(json_object_get(h, "handled"));
}
