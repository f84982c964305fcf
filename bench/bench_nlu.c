/* Micro-benchmark of the offline NLU: typical chat messages in Spanish and English against a salon's
 * catalog (10 services with synonyms, 6 professionals). Prints microseconds per parse for each message
 * and on average. Target: well under 100 µs for a typical message (a whole chat turn must stay under
 * 1 ms). Usage: bench_nlu [iterations] */
#include "nlu/nlu.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const messages[] = {
    "hola",
    "sí",
    "quiero un corte con Ana el jueves a las 5",
    "mañana por la tarde",
    "el próximo lunes a las 10 y media",
    "me llamo Ana López, mi email es ana.lopez@gmail.com y mi móvil +34 612 34 56 78",
    "hola buenas, quería saber si tenéis hueco para un corte el jueves a las 5 de la tarde, gracias",
    "can I book a massage with John next friday at 3pm?",
    "tommorow morning around 10",
    "I need to cancel my appointment, the code is K7M2QX",
    "no, mejor el viernes con Lucía",
    "¿cuánto cuesta un tinte y dónde estáis?",
};

static struct bc_nlu_catalog *salon(void)
{
    struct bc_nlu_catalog *c = bc_nlu_catalog_new();
    static const char *const corte[] = {"corte", "haircut", "cortar el pelo"};
    static const char *const tinte[] = {"color", "coloración", "dye"};
    static const char *const masaje[] = {"massage", "masaje"};
    static const char *const mani[] = {"manicure", "uñas"};
    int rc = 0;
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s1", "Corte de pelo", corte, 3);
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s2", "Tinte", tinte, 3);
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s3", "Masaje relajante", masaje, 2);
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s4", "Manicura", mani, 2);
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s5", "Pedicura", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s6", "Arreglo de barba", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s7", "Mechas", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s8", "Peinado de fiesta", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s9", "Tratamiento de keratina", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_SERVICE, "s10", "Depilación con cera", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_PROVIDER, "p1", "Ana López", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_PROVIDER, "p2", "John Smith", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_PROVIDER, "p3", "Lucía Fernández", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_PROVIDER, "p4", "Mar", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_PROVIDER, "p5", "Javier Martín", NULL, 0);
    rc |= bc_nlu_catalog_add(c, BC_NLU_PROVIDER, "p6", "Carmen Ruiz", NULL, 0);
    if (rc) {
        fprintf(stderr, "catalog failed\n");
        exit(1);
    }
    return c;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 20000;
    if (iters < 1) iters = 1;
    struct bc_nlu_catalog *cat = salon();
    struct bc_nlu_request req = {.lang = "es", .now = {2026, 11, 25, 3, 10, 0}, .catalog = cat};
    struct bc_nlu_result out;
    size_t n = sizeof messages / sizeof messages[0];
    double total = 0, worst = 0;

    int64_t t0 = bc_mono_ns();
    struct bc_nlu_catalog *tmp = salon();
    double build_us = (double)(bc_mono_ns() - t0) / 1000.0;
    bc_nlu_catalog_free(tmp);

    for (size_t m = 0; m < n; m++) {
        req.text = messages[m];
        req.len = strlen(messages[m]);
        if (bc_nlu_parse(&req, &out) != 0) return 1; /* warm: the vocabulary is built on first use */
        t0 = bc_mono_ns();
        for (int i = 0; i < iters; i++) bc_nlu_parse(&req, &out);
        double us = (double)(bc_mono_ns() - t0) / iters / 1000.0;
        printf("%8.2f µs  %-10s %s\n", us, bc_nlu_intent_name(out.intent), messages[m]);
        total += us;
        if (us > worst) worst = us;
    }
    printf("%8.2f µs  average per parse over %zu messages (worst %.2f µs), %d iterations each\n", total / n,
           n, worst, iters);

    /* the longest message read: BC_NLU_MAX_TEXT bytes of chat */
    static char big[BC_NLU_MAX_TEXT + 1];
    const char *para =
        "hola, quería saber si el jueves por la tarde hay hueco con Ana para un corte y un tinte. ";
    for (size_t k = 0; k < BC_NLU_MAX_TEXT; k++) big[k] = para[k % strlen(para)];
    req.text = big;
    req.len = BC_NLU_MAX_TEXT;
    int big_iters = iters / 20 > 0 ? iters / 20 : 1;
    t0 = bc_mono_ns();
    for (int i = 0; i < big_iters; i++) bc_nlu_parse(&req, &out);
    printf("%8.2f µs  for a message of %d bytes (the most that is read)\n",
           (double)(bc_mono_ns() - t0) / big_iters / 1000.0, BC_NLU_MAX_TEXT);
    printf("%8.2f µs  to build the catalog of %zu services and %zu professionals\n", build_us,
           bc_nlu_catalog_count(cat, BC_NLU_SERVICE), bc_nlu_catalog_count(cat, BC_NLU_PROVIDER));
    bc_nlu_catalog_free(cat);
    return 0;
}
