/* Micro-benchmark of fsm chat turns, server side (no HTTP): a tenant with two services, two professionals
 * and weekly hours on a fresh LMDB store; conversations that book by free text and by quick replies.
 * Prints the time per turn. Target (issue 5): well under a millisecond. Usage: bench_chat [conversations] */
#include "auth/secret.h"
#include "domain/catalog.h"
#include "domain/chat.h"
#include "domain/env.h"
#include "domain/schedule.h"
#include "domain/tenant.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/id.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double now_us(void)
{
    return (double)bc_mono_ns() / 1000.0;
}

int main(int argc, char **argv)
{
    int convs = argc > 1 ? atoi(argv[1]) : 200; /* bench code: input is trusted */
    char dir[] = "/tmp/bench-chat-XXXXXX", url[64], msg[256];
    if (!mkdtemp(dir)) return 1;
    snprintf(url, sizeof url, "lmdb:%s", dir);
    bc_id_global_init();
    unsigned char secret[32] = {1};
    bc_secret_set_for_tests(secret, sizeof secret);
    struct bc_store *s;
    if (bc_store_open(url, &s, msg, sizeof msg) < 0) return 1;
    struct bc_env *env = bc_env_new(s);
    if (!env) return 1;
    json_t *t = NULL;
    struct bc_tenant_new tn = {
        .name = "Bench", .plan = "ENTERPRISE", .locale = "es", .timezone = "Europe/Madrid"};
    if (bc_tenant_create(env, &tn, msg, sizeof msg, &t) < 0) return fprintf(stderr, "%s\n", msg), 1;
    struct bc_ctx ctx;
    bc_ctx_operator(&ctx, json_string_value(json_object_get(t, "id")));
    snprintf(ctx.key_id, sizeof ctx.key_id, "KEY");
    ctx.tenant = t;
    json_t *svc = NULL, *out = NULL;
    json_t *b1 =
        json_pack("{s:s, s:i, s:[s]}", "name", "Corte de pelo", "duration_min", 30, "synonyms", "corte");
    bc_service_create(env, &ctx, b1, msg, sizeof msg, &svc);
    json_t *b2 = json_pack("{s:s, s:i}", "name", "Tinte", "duration_min", 60);
    bc_service_create(env, &ctx, b2, msg, sizeof msg, &out);
    json_decref(out);
    const char *names[] = {"Ana", "Luis"};
    for (int i = 0; i < 2; i++) {
        json_t *pb = json_pack("{s:s, s:[O]}", "name", names[i], "service_ids", json_object_get(svc, "id")),
               *p = NULL;
        bc_provider_create(env, &ctx, pb, 50, msg, sizeof msg, &p);
        json_t *weekly = json_array();
        for (int d = 1; d <= 6; d++) {
            json_array_append_new(
                weekly, json_pack("{s:i, s:s, s:s}", "weekday", d, "start", "09:00", "end", "14:00"));
            json_array_append_new(
                weekly, json_pack("{s:i, s:s, s:s}", "weekday", d, "start", "15:00", "end", "20:00"));
        }
        json_t *hb = json_pack("{s:o}", "weekly", weekly), *h = NULL;
        bc_hours_put(env, &ctx, json_string_value(json_object_get(p, "id")), hb, msg, sizeof msg, &h);
        json_decref(h);
        json_decref(hb);
        json_decref(pb);
        json_decref(p);
    }
    /* each conversation books its own slot: day i/18 + 1 ahead, half-hour i%18 of the opening hours */
    const char *labels[] = {"hola, ¿a qué hora abrís?",
                            "quiero un corte con Ana",
                            "dentro de N días",
                            "a las HH:MM",
                            "Marta Ruiz",
                            "marta@example.com",
                            "sí"};
    char day_text[64], time_text[64];
    const char *texts[] = {labels[0], labels[1], day_text, time_text, labels[4], labels[5], labels[6]};
    size_t nt = sizeof texts / sizeof texts[0];
    double total[8] = {0}, start_total = 0;
    int booked = 0;
    for (int i = 0; i < convs; i++) {
        json_t *conv = NULL, *m = NULL;
        int k18 = i % 18, minutes = k18 < 10 ? 9 * 60 + 30 * k18 : 15 * 60 + 30 * (k18 - 10);
        snprintf(day_text, sizeof day_text, "dentro de %d días", 1 + i / 18);
        snprintf(time_text, sizeof time_text, "a las %02d:%02d", minutes / 60, minutes % 60);
        double t0 = now_us();
        if (bc_chat_start(env, &ctx, "es", "http://x", &conv, &m) < 0) return 1;
        start_total += now_us() - t0;
        json_decref(m);
        for (size_t k = 0; k < nt; k++) {
            t0 = now_us();
            int rc = bc_chat_turn(env, &ctx, conv, texts[k], NULL, "http://x", &m);
            total[k] += now_us() - t0;
            if (rc < 0) return fprintf(stderr, "turn %zu failed: %d\n", k, rc), 1;
            json_decref(m);
        }
        if (strcmp(json_string_value(json_object_get(conv, "status")), "booked") == 0) booked++;
        json_decref(conv);
    }
    double all = 0;
    printf("fsm chat turns, %d conversations (%d booked), LMDB, release build:\n", convs, booked);
    printf("  %-34s %8.1f us\n", "start (greeting + services)", start_total / convs);
    for (size_t k = 0; k < nt; k++) {
        printf("  %-34s %8.1f us\n", labels[k], total[k] / convs);
        all += total[k];
    }
    printf("  %-34s %8.1f us  (%.0f turns/s on one core)\n", "mean per turn", all / (convs * (double)nt),
           1e6 / (all / (convs * (double)nt)));
    json_decref(svc);
    json_decref(b1);
    json_decref(b2);
    bc_ctx_release(&ctx);
    bc_env_free(env);
    bc_store_close(s);
    bc_tz_global_cleanup();
    return booked > 0 ? 0 : 2;
}
