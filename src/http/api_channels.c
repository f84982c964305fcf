/* WhatsApp and Telegram over HTTP: the providers' webhooks (translated into the channel layer's inbound
 * messages, domain/channel_run.h, and acknowledged at once), the tenant's channel configuration, Telegram's
 * setWebhook and staff answers on a conversation's channel. docs/channels.md describes both providers.
 *
 * DESIGN NOTES
 * - The channel id in the path is the only thing that names a tenant (domain/channel.h: its route);
 *   unknown, disabled and other-kind ids are the same 404, before any signature is looked at.
 * - A delivery is authenticated before its body is parsed: WhatsApp's X-Hub-Signature-256 (HMAC-SHA256 of
 *   the raw body with the app secret), Telegram's X-Telegram-Bot-Api-Secret-Token; both compared in
 *   constant time. A refusal is 401 and nothing is stored.
 * - Only what the engine can read is taken: text, and interactive replies (WhatsApp button_reply and
 *   list_reply, template quick-reply buttons; Telegram callback queries). Status callbacks and other message
 *   types are acknowledged and ignored; a malformed delivery is 400. */
#include "domain/channel.h"
#include "domain/channel_run.h"
#include "http/api.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/server.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(o, k)       json_string_value(json_object_get((o), (k)))
#define O(o, k)       json_object_get((o), (k))
#define CHALLENGE_MAX 256

static int resolve(struct bc_req *req, const char *kind, struct bc_ctx *ctx, struct bc_channel **ch)
{
    /* the tenant's own store when it was placed in one (a freeze answers 503: the provider redelivers) */
    int rc = bc_channel_route(req->env, kind, bc_req_param(req, "channel_id"), req->ctx.tenant_id);
    if (rc == 0) rc = bc_auth_route_tenant(req);
    if (rc == 0) rc = bc_channel_resolve(req->env, kind, bc_req_param(req, "channel_id"), ctx, ch);
    if (rc == BC_ENOT_FOUND) return bc_fail(req, rc, "No such channel.");
    return rc;
}

/* Acknowledged: the provider must not redeliver. */
static int ack(struct bc_req *req, int accepted, int duplicates, int ignored)
{
    return bc_reply_json(
        req, 200,
        json_pack("{s:i, s:i, s:i}", "accepted", accepted, "duplicates", duplicates, "ignored", ignored));
}

/* ---------------------------------------------------------------------------------------------------- */
/* WhatsApp Cloud API                                                                                   */

/* GET: Meta's verification request (hub.mode=subscribe, hub.verify_token, hub.challenge echoed). */
int bc_api_channel_whatsapp_verify(struct bc_req *req)
{
    struct bc_ctx ctx;
    struct bc_channel *ch;
    int rc = resolve(req, BC_CHANNEL_WHATSAPP, &ctx, &ch);
    if (rc < 0) return rc;
    const char *mode = bc_req_query(req, "hub.mode"), *token = bc_req_query(req, "hub.verify_token"),
               *challenge = bc_req_query(req, "hub.challenge");
    bool ok = mode && strcmp(mode, "subscribe") == 0 && bc_channel_secret_eq(token, ch->verify_token);
    bc_channel_free(ch);
    bc_ctx_release(&ctx);
    if (!ok) return bc_fail(req, BC_EFORBIDDEN, "The verify token does not match.");
    /* echoed as given: printable ASCII only, so nothing can be injected into the answer */
    size_t n = challenge ? strlen(challenge) : 0;
    bool printable = n > 0 && n <= CHALLENGE_MAX;
    for (size_t i = 0; printable && i < n; i++) printable = challenge[i] > 0x20 && challenge[i] < 0x7f;
    if (!printable) return bc_fail(req, BC_EINVALID, "hub.challenge must be 1-256 printable characters.");
    return bc_reply_bytes(req, 200, "text/plain", challenge, n, true);
}

/* One message of a change's value into m; false when the engine cannot read it (media, reactions …). */
static bool wa_message(json_t *msg, struct bc_channel_msg *m)
{
    const char *type = S(msg, "type");
    memset(m, 0, sizeof *m);
    m->msg_id = S(msg, "id");
    m->sender = S(msg, "from");
    if (!type) return false;
    if (strcmp(type, "text") == 0) {
        m->text = S(O(msg, "text"), "body");
    } else if (strcmp(type, "interactive") == 0) {
        json_t *ia = O(msg, "interactive");
        const char *it = S(ia, "type");
        json_t *r = it ? O(ia, it) : NULL; /* "button_reply" or "list_reply" */
        if (!it || (strcmp(it, "button_reply") != 0 && strcmp(it, "list_reply") != 0)) return false;
        m->button = S(r, "id");
        m->button_text = S(r, "title");
    } else if (strcmp(type, "button") == 0) { /* a template's quick-reply button */
        m->text = S(O(msg, "button"), "text");
    } else {
        return false;
    }
    return m->text || m->button;
}

/* A string member must be a string when present (the shape is checked, not guessed). */
static bool shape_ok(json_t *o, const char *k, json_type type)
{
    json_t *v = O(o, k);
    return !v || json_typeof(v) == type;
}

int bc_api_channel_whatsapp(struct bc_req *req)
{
    struct bc_ctx ctx;
    struct bc_channel *ch;
    int rc = resolve(req, BC_CHANNEL_WHATSAPP, &ctx, &ch);
    if (rc < 0) return rc;
    int accepted = 0, dups = 0, ignored = 0;
    if (!bc_channel_wa_signature_ok(ch->app_secret, req->body.data, req->body.len,
                                    bc_req_header(req, "X-Hub-Signature-256"))) {
        rc = bc_fail(req, BC_EUNAUTHORIZED, "Missing or wrong X-Hub-Signature-256.");
        goto out;
    }
    json_t *body;
    if ((rc = bc_req_json(req, &body)) < 0) goto out;
    json_t *entries = O(body, "entry");
    if (!json_is_array(entries) || !shape_ok(body, "object", JSON_STRING)) {
        rc = bc_fail(req, BC_EINVALID, "Not a WhatsApp Business Account notification.");
        goto out;
    }
    size_t i, j, k;
    json_t *e, *c, *msg;
    json_array_foreach(entries, i, e)
    {
        json_t *changes = O(e, "changes");
        if (!json_is_array(changes)) {
            rc = bc_fail(req, BC_EINVALID, "entry[%zu].changes must be an array.", i);
            goto out;
        }
        json_array_foreach(changes, j, c)
        {
            json_t *v = O(c, "value");
            if (!json_is_object(v) || !shape_ok(v, "messages", JSON_ARRAY) ||
                !shape_ok(v, "statuses", JSON_ARRAY)) {
                rc = bc_fail(req, BC_EINVALID, "entry[%zu].changes[%zu].value is malformed.", i, j);
                goto out;
            }
            /* another number of the same Meta app: not this channel's */
            const char *pid = S(O(v, "metadata"), "phone_number_id");
            if (pid && strcmp(pid, ch->phone_number_id) != 0) {
                ignored += (int)json_array_size(O(v, "messages"));
                continue;
            }
            ignored += (int)json_array_size(O(v, "statuses")); /* sent, delivered, read, failed */
            json_array_foreach(O(v, "messages"), k, msg)
            {
                struct bc_channel_msg m;
                if (!json_is_object(msg) || !wa_message(msg, &m)) {
                    ignored++;
                    continue;
                }
                const char *lang = S(ctx.tenant, "locale");
                m.lang = lang;
                rc = bc_channel_accept(req->env, &ctx, ch, &m);
                if (rc == BC_EINVALID) {
                    rc = bc_fail(req, rc, "entry[%zu].changes[%zu].value.messages[%zu] is malformed.", i, j,
                                 k);
                    goto out;
                }
                if (rc == 1) {
                    dups++;
                } else if (rc == 0) {
                    accepted++;
                } else if (bc_err_status(rc) == 429) {
                    ignored++; /* the sender's limits: dropped, the provider must not redeliver */
                } else {
                    goto out;
                }
            }
        }
    }
    rc = ack(req, accepted, dups, ignored);
out:
    bc_channel_free(ch);
    bc_ctx_release(&ctx);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Telegram Bot API                                                                                     */

int bc_api_channel_telegram(struct bc_req *req)
{
    struct bc_ctx ctx;
    struct bc_channel *ch;
    int rc = resolve(req, BC_CHANNEL_TELEGRAM, &ctx, &ch);
    if (rc < 0) return rc;
    json_t *body, *msg, *cq;
    char update[32], chat[32];
    struct bc_channel_msg m = {0};
    if (!bc_channel_secret_eq(bc_req_header(req, "X-Telegram-Bot-Api-Secret-Token"), ch->secret_token)) {
        rc = bc_fail(req, BC_EUNAUTHORIZED, "Missing or wrong X-Telegram-Bot-Api-Secret-Token.");
        goto out;
    }
    if ((rc = bc_req_json(req, &body)) < 0) goto out;
    json_t *uid = O(body, "update_id");
    if (!json_is_integer(uid) || json_integer_value(uid) < 0) {
        rc = bc_fail(req, BC_EINVALID, "update_id must be a non-negative integer.");
        goto out;
    }
    snprintf(update, sizeof update, "u%lld", (long long)json_integer_value(uid));
    m.msg_id = update;
    if ((cq = O(body, "callback_query"))) { /* a pressed inline button */
        msg = O(cq, "message");
        m.button = S(cq, "data");
        m.callback_id = S(cq, "id");
        m.lang = S(O(cq, "from"), "language_code");
        if (!json_is_object(cq) || !m.callback_id) {
            rc = bc_fail(req, BC_EINVALID, "callback_query needs an id.");
            goto out;
        }
    } else {
        msg = O(body, "message");
        m.text = S(msg, "text");
        m.lang = S(O(msg, "from"), "language_code");
    }
    json_t *cid = O(O(msg, "chat"), "id");
    if (!msg || (!m.text && !m.button)) { /* edited messages, photos, members joining …: nothing to answer */
        rc = ack(req, 0, 0, 1);
        goto out;
    }
    if (!json_is_integer(cid)) {
        rc = bc_fail(req, BC_EINVALID, "message.chat.id must be an integer.");
        goto out;
    }
    snprintf(chat, sizeof chat, "%lld", (long long)json_integer_value(cid));
    m.sender = chat;
    rc = bc_channel_accept(req->env, &ctx, ch, &m);
    if (rc == BC_EINVALID)
        rc = bc_fail(req, rc, "The update is malformed.");
    else if (rc == 1)
        rc = ack(req, 0, 1, 0);
    else if (rc == 0)
        rc = ack(req, 1, 0, 0);
    else if (bc_err_status(rc) == 429)
        rc = ack(req, 0, 0, 1);
out:
    bc_channel_free(ch);
    bc_ctx_release(&ctx);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Configuration (owners and admins)                                                                     */

static void with_url(struct bc_req *req, json_t *view)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", bc_api_public_url(req->srv), S(view, "webhook_path"));
    json_object_set_new(view, "webhook_url", json_string(url));
}

int bc_api_channels_list(struct bc_req *req)
{
    json_t *items;
    int rc = bc_channel_list(req->env, &req->ctx, &items);
    if (rc < 0) return rc;
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v) with_url(req, v);
    return bc_reply_list(req, items, NULL);
}

int bc_api_channels_create(struct bc_req *req)
{
    json_t *body, *out;
    char msg[256] = "";
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    rc = bc_channel_create(req->env, &req->ctx, body, msg, sizeof msg, &out);
    if (rc < 0) return bc_fail_msg(req, rc, msg);
    with_url(req, out);
    req->audit_detail = json_pack("{s:O, s:O}", "channel_id", O(out, "id"), "kind", O(out, "kind"));
    return bc_reply_wrapped(req, 201, "channel", out);
}

int bc_api_channels_get(struct bc_req *req)
{
    json_t *out;
    int rc = bc_channel_get(req->env, &req->ctx, bc_req_param(req, "id"), &out);
    if (rc < 0) return rc;
    with_url(req, out);
    return bc_reply_wrapped(req, 200, "channel", out);
}

int bc_api_channels_delete(struct bc_req *req)
{
    int rc = bc_channel_delete(req->env, &req->ctx, bc_req_param(req, "id"));
    if (rc < 0) return rc;
    return bc_reply_empty(req, 204);
}

/* POST /v1/admin/channels/{id}/telegram-webhook: Telegram's setWebhook to this server's public URL. */
int bc_api_channels_tg_webhook(struct bc_req *req)
{
    char msg[300] = "";
    int rc =
        bc_channel_tg_set_webhook(req->env, &req->ctx, bc_req_param(req, "id"), bc_api_public_url(req->srv),
                                  bc_config_get(BC_CFG_TELEGRAM_API_URL), msg, sizeof msg);
    if (rc < 0) return msg[0] ? bc_fail_msg(req, rc, msg) : rc;
    return bc_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

/* POST /v1/admin/conversations/{id}/reply: staff answer on the conversation's channel. */
static const struct bc_jfield reply_fields[] = {
    {"text", BC_J_STRING, BC_JF_REQUIRED | BC_JF_MULTILINE, 1, 4000},
    {NULL},
};

int bc_api_admin_conversations_reply(struct bc_req *req)
{
    json_t *body;
    char msg[300] = "";
    int rc = bc_req_body(req, reply_fields, &body);
    if (rc == 0)
        rc = bc_channel_staff_reply(req->env, &req->ctx, bc_req_param(req, "id"), S(body, "text"), msg,
                                    sizeof msg);
    if (rc < 0) return msg[0] ? bc_fail_msg(req, rc, msg) : rc;
    return bc_reply_json(req, 202, json_pack("{s:b}", "queued", 1));
}
