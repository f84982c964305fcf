/* libFuzzer target: the chat's message handler. Arbitrary bytes as the customer's text (or, with the first
 * byte odd, as a quick-reply payload) through bc_chat_turn, on a real LMDB store with a tenant, services, a
 * professional and weekly hours, in conversations of up to 30 turns. No crash, leak or sanitizer report;
 * every turn answers. */
#include "auth/secret.h"
#include "domain/catalog.h"
#include "domain/env.h"
#include "domain/chat.h"
#include "domain/schedule.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "util/id.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct bc_store *s;
static struct bc_env *env; /* the domain environment of s */
static struct bc_ctx ctx;
static json_t *conv;
static int turns;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/fuzz-chat-XXXXXX", url[128], msg[256];
    unsigned char secret[32] = {5};
    if (!mkdtemp(dir)) abort();
    snprintf(url, sizeof url, "lmdb:%s?sync=none", dir);
    bc_id_global_init();
    bc_secret_set_for_tests(secret, sizeof secret);
    if (bc_store_open(url, &s, msg, sizeof msg) < 0) abort();
    if (!(env = bc_env_new(s))) abort();
    json_t *t = NULL, *o = NULL, *svc = NULL;
    struct bc_tenant_new tn = {
        .name = "Fuzz", .plan = "ENTERPRISE", .locale = "es", .timezone = "Europe/Madrid"};
    if (bc_tenant_create(env, &tn, msg, sizeof msg, &t) < 0) abort();
    bc_ctx_operator(&ctx, json_string_value(json_object_get(t, "id")));
    snprintf(ctx.key_id, sizeof ctx.key_id, "KEY");
    ctx.tenant = t;
    json_t *b =
        json_pack("{s:s, s:i, s:[s]}", "name", "Corte de pelo", "duration_min", 30, "synonyms", "corte");
    bc_service_create(env, &ctx, b, msg, sizeof msg, &svc);
    json_decref(b);
    b = json_pack("{s:s, s:i}", "name", "Tinte", "duration_min", 60);
    bc_service_create(env, &ctx, b, msg, sizeof msg, &o);
    json_decref(o);
    json_decref(b);
    for (int i = 0; i < 2; i++) {
        b = json_pack("{s:s, s:[O]}", "name", i ? "Luis" : "Ana", "service_ids", json_object_get(svc, "id"));
        bc_provider_create(env, &ctx, b, 1000, msg, sizeof msg, &o);
        json_t *h = json_pack("{s:[{s:i, s:s, s:s}, {s:i, s:s, s:s}]}", "weekly", "weekday", 1, "start",
                              "09:00", "end", "14:00", "weekday", 4, "start", "16:00", "end", "20:00"),
               *ho = NULL;
        bc_hours_put(env, &ctx, json_string_value(json_object_get(o, "id")), h, msg, sizeof msg, &ho);
        json_decref(ho);
        json_decref(h);
        json_decref(o);
        json_decref(b);
    }
    json_decref(svc);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) return 0;
    json_t *m = NULL;
    if (!conv || turns++ >= 30) {
        json_decref(conv);
        conv = NULL;
        turns = 0;
        if (bc_chat_start(env, &ctx, (data[0] & 2) ? "en" : "es", "http://x", &conv, &m) < 0) abort();
        json_decref(m);
        m = NULL;
    }
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    /* the HTTP layer only passes valid UTF-8 (jansson refuses the rest): do the same */
    json_t *probe = json_string(text);
    if (probe && text[0]) {
        int rc = (data[0] & 1) ? bc_chat_turn(env, &ctx, conv, NULL, text, "http://x", &m)
                               : bc_chat_turn(env, &ctx, conv, text, NULL, "http://x", &m);
        if (rc == 0 && json_array_size(m) == 0) abort(); /* every turn answers */
        json_decref(m);
    }
    json_decref(probe);
    free(text);
    return 0;
}
