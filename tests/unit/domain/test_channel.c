/* Unit tests of src/domain/channel.c and channel_render.c: the webhook checks (X-Hub-Signature-256 against a
 * vector computed with Python's hmac module, the secret token), the rendering of answers (reply buttons up
 * to 3, a list up to 10 rows, inline keyboards, long texts split at character boundaries, button ids that
 * do not fit), the configuration items (credentials only sealed, the route to the tenant, another
 * tenant's or another kind's id not found, bad input storing nothing), and the requests of channel
 * deliveries (channel_send.c: the credential added when sending, never stored; a send of another medium
 * or past the chain's end refused). */
#include "tenant_fixture.h"

#include "domain/channel.h"
#include "domain/channel_render.h"
#include "domain/channel_send.h"
#include "domain/env.h"
#include "domain/keys.h"
#include "util/config.h"

#include <string.h>

static struct bc_env *env;

/* ---- signatures ---- */

static void test_channel__wa_signature(void **state)
{
    (void)state;
    const char *body = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
    const char *good = "sha256=477a30cdfa96fa8a293e615f556ab097984deba45b68a4742d9857ee0effad41";
    assert_true(bc_channel_wa_signature_ok("my-app-secret-0123", body, strlen(body), good));
    /* upper-case hex is the same MAC */
    assert_true(bc_channel_wa_signature_ok(
        "my-app-secret-0123", body, strlen(body),
        "sha256=477A30CDFA96FA8A293E615F556AB097984DEBA45B68A4742D9857EE0EFFAD41"));
    /* another body, another secret, a cut or missing header, another algorithm */
    assert_false(bc_channel_wa_signature_ok("my-app-secret-0123", body, strlen(body) - 1, good));
    assert_false(bc_channel_wa_signature_ok("my-app-secret-0124", body, strlen(body), good));
    assert_false(
        bc_channel_wa_signature_ok("my-app-secret-0123", body, strlen(body),
                                   "sha256=477a30cdfa96fa8a293e615f556ab097984deba45b68a4742d9857ee0effad4"));
    assert_false(bc_channel_wa_signature_ok("my-app-secret-0123", body, strlen(body), NULL));
    assert_false(bc_channel_wa_signature_ok("my-app-secret-0123", body, strlen(body), good + 7));
    assert_false(
        bc_channel_wa_signature_ok("my-app-secret-0123", body, strlen(body),
                                   "sha1=477a30cdfa96fa8a293e615f556ab097984deba45b68a4742d9857ee0effad41"));
    assert_false(bc_channel_wa_signature_ok("", body, strlen(body), good));
    assert_true(bc_channel_secret_eq("tg-secret", "tg-secret"));
    assert_false(bc_channel_secret_eq("tg-secreT", "tg-secret"));
    assert_false(bc_channel_secret_eq("tg-secret-", "tg-secret"));
    assert_false(bc_channel_secret_eq(NULL, "tg-secret"));
    assert_false(bc_channel_secret_eq("", ""));
}

/* ---- rendering ---- */

static json_t *answer(const char *text, int nqr)
{
    json_t *qr = json_array();
    for (int i = 0; i < nqr; i++) {
        char label[64], payload[32];
        snprintf(label, sizeof label, i == 1 ? "A rather long label for a button number %d" : "Option %d", i);
        snprintf(payload, sizeof payload, "opt:%d", i);
        json_array_append_new(qr, json_pack("{s:s, s:s}", "label", label, "payload", payload));
    }
    return json_pack("[{s:s, s:s, s:o}]", "role", "assistant", "text", text, "quick_replies", qr);
}

static void test_channel__split(void **state)
{
    (void)state;
    size_t lens[16];
    assert_int_equal(bc_channel_split("", 10, lens, 16), 0);
    assert_int_equal(bc_channel_split("short", 10, lens, 16), 1);
    assert_int_equal(lens[0], 5);
    /* at a space in the last quarter */
    assert_int_equal(bc_channel_split("aaaaaaaa bbbbbb", 10, lens, 16), 2);
    assert_int_equal(lens[0], 9);
    assert_int_equal(lens[1], 6);
    /* a line break before a space */
    assert_int_equal(bc_channel_split("aaaaaaaaaaaaaaa\nb cccccccccc", 20, lens, 16), 2);
    assert_int_equal(lens[0], 16);
    /* none in the last quarter: cut hard */
    assert_int_equal(bc_channel_split("aaa bbbbbbbbbbbbb", 10, lens, 16), 2);
    assert_int_equal(lens[0], 10);
    /* never inside a UTF-8 character: "ñ" is 2 bytes */
    const char *t = "ñññññññññññ"; /* 22 bytes */
    size_t n = bc_channel_split(t, 5, lens, 16), total = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(lens[i] <= 5);
        assert_int_equal(lens[i] % 2, 0);
        total += lens[i];
    }
    assert_int_equal(total, strlen(t));
}

static void test_channel__wa_buttons_list_and_split(void **state)
{
    (void)state;
    /* up to three quick replies: reply buttons with titles of at most 20 bytes */
    json_t *m = answer("¿Confirmo?", 3), *b = bc_channel_wa_bodies("34600111222", m, "es");
    assert_int_equal(json_array_size(b), 1);
    json_t *ia = json_object_get(json_array_get(b, 0), "interactive");
    assert_string_equal(json_string_value(json_object_get(ia, "type")), "button");
    json_t *buttons = json_object_get(json_object_get(ia, "action"), "buttons");
    assert_int_equal(json_array_size(buttons), 3);
    json_t *r1 = json_object_get(json_array_get(buttons, 1), "reply");
    assert_true(strlen(json_string_value(json_object_get(r1, "title"))) <= 20);
    assert_string_equal(json_string_value(json_object_get(r1, "id")), "opt:1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(b, 0), "to")), "34600111222");
    json_decref(m);
    json_decref(b);
    /* four to twelve: a list of at most 10 rows, long labels in the description */
    m = answer("¿Qué hora?", 12);
    b = bc_channel_wa_bodies("34600111222", m, "es");
    ia = json_object_get(json_array_get(b, 0), "interactive");
    assert_string_equal(json_string_value(json_object_get(ia, "type")), "list");
    json_t *action = json_object_get(ia, "action");
    assert_string_equal(json_string_value(json_object_get(action, "button")), "Ver opciones");
    json_t *rows = json_object_get(json_array_get(json_object_get(action, "sections"), 0), "rows");
    assert_int_equal(json_array_size(rows), 10);
    json_t *row1 = json_array_get(rows, 1);
    assert_true(strlen(json_string_value(json_object_get(row1, "title"))) <= 24);
    assert_non_null(json_object_get(row1, "description"));
    json_decref(m);
    json_decref(b);
    /* a long text: pieces of at most 4096 bytes, the last within 1024 carrying the buttons */
    char *big = malloc(9001);
    for (int i = 0; i < 9000; i++) big[i] = i % 50 == 49 ? ' ' : 'x';
    big[9000] = '\0';
    m = answer(big, 2);
    b = bc_channel_wa_bodies("34600111222", m, "en");
    size_t total = 0, i;
    json_t *it;
    json_array_foreach(b, i, it)
    {
        const char *type = json_string_value(json_object_get(it, "type"));
        const char *text = i + 1 < json_array_size(b)
                               ? json_string_value(json_object_get(json_object_get(it, "text"), "body"))
                               : json_string_value(json_object_get(
                                     json_object_get(json_object_get(it, "interactive"), "body"), "text"));
        assert_string_equal(type, i + 1 < json_array_size(b) ? "text" : "interactive");
        assert_true(strlen(text) <= (i + 1 < json_array_size(b) ? 4096 : 1024));
        total += strlen(text);
    }
    assert_int_equal(total, 9000);
    assert_true(json_array_size(b) >= 3);
    free(big);
    json_decref(m);
    json_decref(b);
    /* no quick replies: a plain text */
    m = answer("Hola", 0);
    b = bc_channel_wa_bodies("34600111222", m, "es");
    assert_string_equal(json_string_value(json_object_get(json_array_get(b, 0), "type")), "text");
    json_decref(m);
    json_decref(b);
}

static void test_channel__ids_and_telegram(void **state)
{
    (void)state;
    char long_payload[120], id[65];
    memset(long_payload, 'p', sizeof long_payload - 1);
    long_payload[sizeof long_payload - 1] = '\0';
    /* a payload over Telegram's 64 bytes becomes a hash the last answer's payloads resolve */
    bc_channel_qr_id(long_payload, BC_TG_DATA_MAX, id);
    assert_int_equal(strncmp(id, "h:", 2), 0);
    assert_true(strlen(id) <= BC_TG_DATA_MAX);
    json_t *qr = json_pack("[s, s]", "svc:1", long_payload);
    assert_string_equal(bc_channel_qr_payload(id, qr), long_payload);
    assert_string_equal(bc_channel_qr_payload("svc:1", qr), "svc:1");
    assert_null(bc_channel_qr_payload("h:0000000000000000", qr));
    /* a payload that itself starts with "h:" is hashed too, so it cannot pose as another's hash */
    bc_channel_qr_id("h:x", BC_TG_DATA_MAX, id);
    assert_string_not_equal(id, "h:x");
    json_decref(qr);
    json_t *m = answer("Which time?", 5), *b = bc_channel_tg_bodies("123456789", m);
    assert_int_equal(json_array_size(b), 1);
    json_t *s = json_array_get(b, 0);
    assert_string_equal(json_string_value(json_object_get(s, "chat_id")), "123456789");
    json_t *kb = json_object_get(json_object_get(s, "reply_markup"), "inline_keyboard");
    assert_int_equal(json_array_size(kb), 5);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_array_get(kb, 4), 0), "callback_data")),
        "opt:4");
    json_t *list = bc_channel_qr_list(m);
    assert_int_equal(json_array_size(list), 5);
    json_decref(list);
    json_decref(m);
    json_decref(b);
    json_t *params = json_pack("[s]", "Hola");
    json_t *t = bc_channel_wa_template("34600111222", "staff_reply", "es", params);
    assert_string_equal(json_string_value(json_object_get(t, "type")), "template");
    json_t *tpl = json_object_get(t, "template");
    assert_string_equal(json_string_value(json_object_get(json_object_get(tpl, "language"), "code")), "es");
    json_decref(params);
    json_decref(t);
}

/* ---- configuration ---- */

static int setup(void **state)
{
    (void)state;
    fx_init();
    bc_config_reset();
    env = fx_store("channel");
    fx_tenant(env, "t1", NULL, NULL);
    fx_tenant(env, "t2", NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_test_env_close(env);
    bc_config_reset();
    return 0;
}

static void test_channel__sealed_routed_isolated(void **state)
{
    (void)state;
    struct bc_ctx a, b, rctx;
    char msg[256] = "";
    bc_ctx_operator(&a, "t1");
    bc_ctx_operator(&b, "t2");
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "whatsapp", "phone_number_id",
                             "106540352242922", "access_token", "EAAG-access-token-PLAIN", "app_secret",
                             "app-secret-PLAIN", "verify_token", "verify-PLAIN"),
           *out = NULL;
    assert_int_equal(bc_channel_create(env, &a, body, msg, sizeof msg, &out), 0);
    const char *id = json_string_value(json_object_get(out, "id"));
    char idc[32];
    snprintf(idc, sizeof idc, "%s", id);
    assert_null(json_object_get(out, "secrets_box"));
    assert_null(json_object_get(out, "access_token"));
    json_decref(out);
    json_decref(body);
    /* nothing in the store holds a credential in the clear */
    assert_int_equal(fx_count_mentions(env, "PLAIN"), 0);
    /* the route leads to t1; a WhatsApp id is no Telegram channel; t2 does not see it */
    struct bc_channel *ch = NULL;
    assert_int_equal(bc_channel_resolve(env, BC_CHANNEL_WHATSAPP, idc, &rctx, &ch), 0);
    assert_string_equal(rctx.tenant_id, "t1");
    assert_string_equal(rctx.key_id, idc);
    assert_string_equal(ch->access_token, "EAAG-access-token-PLAIN");
    assert_string_equal(ch->app_secret, "app-secret-PLAIN");
    assert_string_equal(ch->api_version, "v21.0");
    bc_channel_free(ch);
    bc_ctx_release(&rctx);
    assert_int_equal(bc_channel_resolve(env, BC_CHANNEL_TELEGRAM, idc, &rctx, &ch), BC_ENOT_FOUND);
    assert_int_equal(bc_channel_resolve(env, BC_CHANNEL_WHATSAPP, "01JUNKNOWN", &rctx, &ch), BC_ENOT_FOUND);
    assert_int_equal(bc_channel_resolve(env, BC_CHANNEL_WHATSAPP, "../x#y", &rctx, &ch), BC_ENOT_FOUND);
    assert_int_equal(bc_channel_get(env, &b, idc, &out), BC_ENOT_FOUND);
    assert_int_equal(bc_channel_delete(env, &b, idc), BC_ENOT_FOUND);
    assert_int_equal(bc_channel_open(env, &b, idc, &ch), BC_ENOT_FOUND);
    /* deleted: the route is gone too */
    assert_int_equal(bc_channel_delete(env, &a, idc), 0);
    assert_int_equal(bc_channel_resolve(env, BC_CHANNEL_WHATSAPP, idc, &rctx, &ch), BC_ENOT_FOUND);
    bc_ctx_release(&a);
    bc_ctx_release(&b);
}

static void test_channel__bad_input_stores_nothing(void **state)
{
    (void)state;
    struct bc_ctx a;
    char msg[256];
    bc_ctx_operator(&a, "t1");
    const char *bad[] = {
        "{}",
        "{\"kind\":\"sms\"}",
        "{\"kind\":\"whatsapp\",\"phone_number_id\":\"12a\",\"access_token\":\"tokentoken\",\"app_secret\":"
        "\"secretsecret\",\"verify_token\":\"verifyverify\"}",
        "{\"kind\":\"whatsapp\",\"phone_number_id\":\"12\",\"access_token\":\"token\\r\\ntoken\",\"app_"
        "secret\":"
        "\"secretsecret\",\"verify_token\":\"verifyverify\"}",
        "{\"kind\":\"telegram\",\"bot_token\":\"12345:abc def\"}",
        "{\"kind\":\"telegram\",\"bot_token\":\":abcdefgh\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *body = json_loads(bad[i], 0, NULL), *out = NULL;
        msg[0] = '\0';
        assert_int_equal(bc_channel_create(env, &a, body, msg, sizeof msg, &out), BC_EINVALID);
        assert_true(msg[0] != '\0');
        assert_null(out);
        json_decref(body);
    }
    json_t *items = NULL;
    assert_int_equal(bc_channel_list(env, &a, &items), 0);
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    /* a Telegram channel without a secret token gets one, never shown */
    json_t *body = json_pack("{s:s, s:s}", "kind", "telegram", "bot_token", "7000000001:AAHdqTcvCH1vGWJx"),
           *out;
    assert_int_equal(bc_channel_create(env, &a, body, msg, sizeof msg, &out), 0);
    struct bc_channel *ch = NULL;
    assert_int_equal(bc_channel_open(env, &a, json_string_value(json_object_get(out, "id")), &ch), 0);
    assert_int_equal(strlen(ch->secret_token), 64);
    bc_channel_free(ch);
    json_decref(out);
    json_decref(body);
    bc_ctx_release(&a);
}

/* A channel delivery carries bodies only: its request gets the URL and the bearer from the channel when it
 * is sent, the next send in the chain, and refuses what it cannot make. */
/* Creates a channel of ctx from body (stolen) and copies its id into id[32]. */
static void create_channel(const struct bc_ctx *ctx, json_t *body, char id[32])
{
    char msg[256] = "";
    json_t *out = NULL;
    assert_int_equal(bc_channel_create(env, ctx, body, msg, sizeof msg, &out), 0);
    snprintf(id, 32, "%s", json_string_value(json_object_get(out, "id")));
    json_decref(out);
    json_decref(body);
}

static void test_channel__delivery_requests(void **state)
{
    (void)state;
    struct bc_ctx a, b;
    char msg[256] = "", wa[32], tg[32];
    bc_ctx_operator(&a, "t1");
    bc_ctx_operator(&b, "t2");
    create_channel(&a,
                   json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "whatsapp", "phone_number_id",
                             "106540352242922", "access_token", "EAAG-token-SEND", "app_secret",
                             "app-secret-0123", "verify_token", "verify-0123"),
                   wa);
    create_channel(
        &a, json_pack("{s:s, s:s}", "kind", "telegram", "bot_token", "7000000001:AAHdqTcvCH1vGWJx"), tg);

    /* the answer's sends: a booking card's manage link is added to its text; nothing of the credential */
    struct bc_channel *ch = NULL;
    assert_int_equal(bc_channel_open(env, &a, wa, &ch), 0);
    json_t *messages = json_pack("[{s:s, s:[], s:{s:s, s:s}}]", "text", "Reservado.", "quick_replies",
                                 "booking", "code", "ABC234", "manage_token", "tok");
    json_t *sends = bc_channel_answer_sends(ch, "34600111222", messages, "es", "https://book.example.com");
    assert_int_equal(json_array_size(sends), 1);
    json_t *s0 = json_array_get(sends, 0);
    assert_string_equal(json_string_value(json_object_get(s0, "op")), "messages");
    const char *text =
        json_string_value(json_object_get(json_object_get(json_object_get(s0, "body"), "text"), "body"));
    assert_non_null(strstr(text, "https://book.example.com/manage/?code=ABC234&token=tok"));
    char *dump = json_dumps(sends, JSON_COMPACT);
    assert_null(strstr(dump, "EAAG-token-SEND"));
    free(dump);
    bc_channel_free(ch);

    /* its request: the Graph API URL and the bearer, made at sending time */
    json_t *d = json_pack("{s:s, s:O, s:i}", "channel_id", wa, "sends", sends, "done", 0);
    struct bc_channel_request r;
    assert_int_equal(
        bc_channel_request(env, &a, d, "http://graph.test", "http://tg.test", &r, msg, sizeof msg), 0);
    assert_string_equal(r.url, "http://graph.test/v21.0/106540352242922/messages");
    assert_string_equal(r.auth, "Authorization: Bearer EAAG-token-SEND");
    assert_non_null(strstr(r.body, "\"to\":\"34600111222\""));
    bc_channel_request_clear(&r);
    /* past the chain's end, another tenant's channel, a deleted one: refused, with a reason */
    json_object_set_new(d, "done", json_integer(1));
    assert_int_equal(
        bc_channel_request(env, &a, d, "http://graph.test", "http://tg.test", &r, msg, sizeof msg),
        BC_EINVALID);
    json_object_set_new(d, "done", json_integer(0));
    assert_int_equal(
        bc_channel_request(env, &b, d, "http://graph.test", "http://tg.test", &r, msg, sizeof msg),
        BC_EINVALID);
    assert_true(msg[0] != '\0');
    /* a Telegram op on a WhatsApp channel */
    json_object_set_new(d, "sends", json_pack("[{s:s, s:{s:s}}]", "op", "sendMessage", "body", "text", "x"));
    assert_int_equal(
        bc_channel_request(env, &a, d, "http://graph.test", "http://tg.test", &r, msg, sizeof msg),
        BC_EINVALID);
    /* Telegram: the bot token in the path, no bearer; an op it does not know is refused */
    json_object_set_new(d, "channel_id", json_string(tg));
    assert_int_equal(
        bc_channel_request(env, &a, d, "http://graph.test", "http://tg.test", &r, msg, sizeof msg), 0);
    assert_string_equal(r.url, "http://tg.test/bot7000000001:AAHdqTcvCH1vGWJx/sendMessage");
    assert_string_equal(r.auth, "");
    bc_channel_request_clear(&r);
    json_object_set_new(d, "sends", json_pack("[{s:s, s:{s:s}}]", "op", "deleteWebhook", "body", "x", "y"));
    assert_int_equal(
        bc_channel_request(env, &a, d, "http://graph.test", "http://tg.test", &r, msg, sizeof msg),
        BC_EINVALID);
    assert_int_equal(bc_channel_delete(env, &a, wa), 0);
    json_object_set_new(d, "channel_id", json_string(wa));
    assert_int_equal(
        bc_channel_request(env, &a, d, "http://graph.test", "http://tg.test", &r, msg, sizeof msg),
        BC_EINVALID);
    json_decref(d);
    json_decref(sends);
    json_decref(messages);
    bc_ctx_release(&a);
    bc_ctx_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel__wa_signature),
        cmocka_unit_test(test_channel__split),
        cmocka_unit_test(test_channel__wa_buttons_list_and_split),
        cmocka_unit_test(test_channel__ids_and_telegram),
        cmocka_unit_test_setup_teardown(test_channel__sealed_routed_isolated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel__bad_input_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel__delivery_requests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
