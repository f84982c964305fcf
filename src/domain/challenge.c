/* The widget's proof-of-work challenge: issuing (a signed ALTCHA challenge), verifying a solution once, the
 * per-tenant rates that decide "under attack", and the guard the widget's writes call. challenge.h has the
 * design notes. */
#include "domain/challenge.h"
#include "util/jsonv.h"
#include "auth/secret.h"
#include "domain/env.h"
#include "domain/keys.h"
#include "domain/settings.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/id.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HMAC_LABEL "altcha"
#define NUMBER_MAX 100000000L /* no maxnumber is larger: a bigger number is not a solution */
#define SALT_MAX   300

#define FAIL(...) (snprintf(msg, msgsize, __VA_ARGS__), BC_ECHALLENGE)

int bc_challenge_mode_parse(const char *s)
{
    if (!s) return -1;
    if (strcmp(s, "off") == 0) return BC_CHALLENGE_OFF;
    if (strcmp(s, "auto") == 0) return BC_CHALLENGE_AUTO;
    if (strcmp(s, "always") == 0) return BC_CHALLENGE_ALWAYS;
    return -1;
}

static long maxnumber_setting(void)
{
    long n = bc_config_int(BC_CFG_CHALLENGE_MAXNUMBER, 100000);
    return n < 1000 ? 1000 : n > 10000000 ? 10000000 : n;
}

/* hex(SHA-256(salt + decimal number)) into out[65] */
static void challenge_of(const char *salt, long number, char out[65])
{
    char num[24];
    unsigned char h[32];
    unsigned int n = 0;
    int len = snprintf(num, sizeof num, "%ld", number);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(md, salt, strlen(salt)) != 1 || EVP_DigestUpdate(md, num, (size_t)len) != 1 ||
        EVP_DigestFinal_ex(md, h, &n) != 1)
        memset(h, 0, sizeof h); /* never equal to a real challenge's signature check */
    EVP_MD_CTX_free(md);
    bc_hex(h, 32, out);
}

int bc__challenge_issue_with(const struct bc_ctx *ctx, long number, long maxnumber, int64_t expires,
                             json_t **out)
{
    unsigned char rnd[12];
    char rhex[25], salt[SALT_MAX], challenge[65], sig[65];
    *out = NULL;
    if (!ctx || !bc_key_id_ok(ctx->tenant_id)) return BC_EINVALID;
    bc_random(rnd, sizeof rnd);
    bc_hex(rnd, sizeof rnd, rhex);
    snprintf(salt, sizeof salt, "%s?expires=%lld&tenant=%s", rhex, (long long)expires, ctx->tenant_id);
    challenge_of(salt, number, challenge);
    bc_secret_hmac_hex(HMAC_LABEL, challenge, 64, sig);
    *out = json_pack("{s:s, s:s, s:I, s:s, s:s}", "algorithm", "SHA-256", "challenge", challenge, "maxnumber",
                     (json_int_t)maxnumber, "salt", salt, "signature", sig);
    return *out ? 0 : BC_ENOMEM;
}

int bc_challenge_issue(const struct bc_ctx *ctx, json_t **out)
{
    long max = maxnumber_setting();
    uint64_t r;
    bc_random(&r, sizeof r);
    return bc__challenge_issue_with(ctx, (long)(r % (uint64_t)(max + 1)), max,
                                    bc_now_s() + BC_CHALLENGE_TTL_S, out);
}

static bool is_hex64(const char *s)
{
    return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* The value of "name=" among the salt's parameters (after '?', separated by '&') into out; false if absent.
 */
static bool salt_param(const char *salt, const char *name, char *out, size_t size)
{
    const char *p = strchr(salt, '?');
    size_t nl = strlen(name);
    while (p && *p) {
        p++;
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            if (len - nl - 1 >= size) return false;
            memcpy(out, p + nl + 1, len - nl - 1);
            out[len - nl - 1] = '\0';
            return true;
        }
        p = end;
    }
    return false;
}

/* base64 (standard alphabet, padded, as the browser's btoa writes it) of at most BC_CHALLENGE_PAYLOAD_MAX
 * characters into a JSON object; NULL when it is not that. */
static json_t *decode_payload(const char *payload)
{
    size_t len = strlen(payload);
    if (len == 0 || len > BC_CHALLENGE_PAYLOAD_MAX || len % 4) return NULL;
    unsigned char buf[BC_CHALLENGE_PAYLOAD_MAX];
    int n = EVP_DecodeBlock(buf, (const unsigned char *)payload, (int)len);
    if (n < 0) return NULL;
    if (payload[len - 1] == '=') n--;
    if (payload[len - 2] == '=') n--;
    json_t *j = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

int bc_challenge_verify(struct bc_env *env, const struct bc_ctx *ctx, const char *payload, char *msg,
                        size_t msgsize)
{
    if (!payload || !*payload)
        return FAIL("A proof-of-work challenge is needed: solve one from GET /v1/widget/challenge and send "
                    "the solution in the X-Altcha header.");
    json_t *p = decode_payload(payload);
    const char *alg = json_string_value(json_object_get(p, "algorithm"));
    const char *challenge = json_string_value(json_object_get(p, "challenge"));
    const char *salt = json_string_value(json_object_get(p, "salt"));
    const char *sig = json_string_value(json_object_get(p, "signature"));
    json_t *num = json_object_get(p, "number");
    int rc = 0;
    char expect[65], tenant[BC_TENANT_ID_MAX + 1], exp_s[24];
    if (!p || !alg || strcmp(alg, "SHA-256") || !is_hex64(challenge) || !is_hex64(sig) || !salt ||
        strlen(salt) >= SALT_MAX || !json_is_integer(num) || json_integer_value(num) < 0 ||
        json_integer_value(num) > NUMBER_MAX) {
        rc = FAIL("The X-Altcha header is not a proof-of-work solution (base64 of "
                  "{algorithm, challenge, number, salt, signature}); solve a new challenge.");
        goto out;
    }
    bc_secret_hmac_hex(HMAC_LABEL, challenge, 64, expect);
    if (CRYPTO_memcmp(expect, sig, 64) != 0) {
        rc = FAIL("The challenge's signature is not ours; solve a new challenge.");
        goto out;
    }
    challenge_of(salt, (long)json_integer_value(num), expect);
    if (strcmp(expect, challenge) != 0) {
        rc = FAIL("The number does not solve the challenge; solve a new challenge.");
        goto out;
    }
    char *end = NULL;
    long long expires = salt_param(salt, "expires", exp_s, sizeof exp_s) ? strtoll(exp_s, &end, 10) : 0;
    if (!end || *end || expires <= bc_now_s()) {
        rc = FAIL("The challenge has expired; solve a new challenge.");
        goto out;
    }
    if (!salt_param(salt, "tenant", tenant, sizeof tenant) || strcmp(tenant, ctx->tenant_id) != 0) {
        rc = FAIL("The challenge was issued for another business; solve a new challenge.");
        goto out;
    }
    /* once: the first put wins, on every process sharing the store */
    char pk[BC_KEY_SIZE];
    if (!bc_key_pow_used(pk, challenge)) {
        rc = BC_EINTERNAL;
        goto out;
    }
    json_t *used = json_pack("{s:s, s:s, s:I, s:s}", "PK", pk, "SK", "USED", "ttl", (json_int_t)expires,
                             "tenant", ctx->tenant_id);
    /* lazy: a solution recorded within a second of a machine crash could be used twice, not more */
    struct bc_cond c = {.kind = BC_COND_NOT_EXISTS, .lazy = true};
    rc = used ? bc_store_put(env->store, used, &c) : BC_ENOMEM;
    json_decref(used);
    if (rc == BC_ECOND) rc = FAIL("This challenge solution was already used; solve a new challenge.");
out:
    json_decref(p);
    return rc;
}

/* ---- rates: "under attack" ---------------------------------------------------------------------------- */

#define SHARDS  16
#define BUCKETS 64
#define VIS_MAX 16

struct minute {
    int64_t index; /* minutes of the monotonic clock */
    long count;
    int nvis;
    uint64_t vis[VIS_MAX]; /* distinct visitors (hashed), up to VIS_MAX */
};

struct rate_entry {
    struct rate_entry *next;
    char tenant[BC_TENANT_ID_MAX + 1];
    struct minute cur, prev;
    int64_t until_ms, last_ms;
};

struct bc_challenge_rates {
    struct {
        pthread_mutex_t mu;
        struct rate_entry *b[BUCKETS];
    } shard[SHARDS];
};

struct bc_challenge_rates *bc__challenge_rates_new(void)
{
    struct bc_challenge_rates *r = calloc(1, sizeof *r);
    for (int i = 0; r && i < SHARDS; i++) pthread_mutex_init(&r->shard[i].mu, NULL);
    return r;
}

void bc__challenge_rates_free(struct bc_challenge_rates *r)
{
    if (!r) return;
    for (int i = 0; i < SHARDS; i++) {
        for (int j = 0; j < BUCKETS; j++)
            for (struct rate_entry *e = r->shard[i].b[j], *n; e; e = n) {
                n = e->next;
                free(e);
            }
        pthread_mutex_destroy(&r->shard[i].mu);
    }
    free(r);
}

static uint64_t fnv(const char *s)
{
    return s ? bc_fnv1a_str(s) : BC_FNV1A_INIT;
}

static void add_visitor(struct minute *m, uint64_t v)
{
    for (int i = 0; i < m->nvis; i++)
        if (m->vis[i] == v) return;
    if (m->nvis < VIS_MAX) m->vis[m->nvis++] = v;
}

static int distinct(const struct minute *a, const struct minute *b)
{
    int n = a->nvis;
    for (int i = 0; i < b->nvis; i++) {
        bool seen = false;
        for (int j = 0; j < a->nvis && !seen; j++) seen = a->vis[j] == b->vis[i];
        n += !seen;
    }
    return n;
}

/* The tenant's entry in a locked shard (created when missing; NULL when out of memory). Entries of other
 * tenants in the same chain that have been quiet for longer than they can matter are dropped on the way. */
static struct rate_entry *entry(struct rate_entry **chain, const char *tenant, int64_t now_ms)
{
    struct rate_entry *found = NULL;
    for (struct rate_entry **pp = chain; *pp;) {
        struct rate_entry *e = *pp;
        if (strcmp(e->tenant, tenant) == 0) {
            found = e;
        } else if (now_ms - e->last_ms > (BC_CHALLENGE_HOLD_S + 120) * 1000LL) {
            *pp = e->next;
            free(e);
            continue;
        }
        pp = &e->next;
    }
    if (found || !(found = calloc(1, sizeof *found))) return found;
    snprintf(found->tenant, sizeof found->tenant, "%s", tenant);
    found->next = *chain;
    *chain = found;
    return found;
}

bool bc__challenge_note_at(struct bc_env *env, const char *tenant_id, const char *visitor, int64_t now_ms,
                           long rate, long visitors)
{
    struct bc_challenge_rates *r = env->challenge;
    uint64_t h = fnv(tenant_id);
    int s = (int)(h % SHARDS);
    bool attack = false;
    pthread_mutex_lock(&r->shard[s].mu);
    struct rate_entry *e = entry(&r->shard[s].b[(h / SHARDS) % BUCKETS], tenant_id, now_ms);
    if (e) {
        int64_t m = now_ms / 60000;
        if (e->cur.index != m) {
            e->prev = e->cur.index == m - 1 ? e->cur : (struct minute){0};
            e->cur = (struct minute){.index = m};
        }
        e->cur.count++;
        add_visitor(&e->cur, fnv(visitor ? visitor : ""));
        e->last_ms = now_ms;
        /* a sliding minute: the previous minute weighted by how much of it is still inside the window */
        double frac = (double)(now_ms % 60000) / 60000.0;
        double in_window = (double)e->prev.count * (1.0 - frac) + (double)e->cur.count;
        if (in_window >= (double)rate && distinct(&e->cur, &e->prev) >= visitors)
            e->until_ms = now_ms + BC_CHALLENGE_HOLD_S * 1000LL;
        attack = now_ms < e->until_ms;
    }
    pthread_mutex_unlock(&r->shard[s].mu);
    return attack;
}

bool bc_challenge_note(struct bc_env *env, const char *tenant_id, const char *visitor)
{
    long rate = bc_config_int(BC_CFG_CHALLENGE_AUTO_RATE, 60);
    long visitors = bc_config_int(BC_CFG_CHALLENGE_AUTO_VISITORS, 3);
    if (rate < 1) rate = 1;
    visitors = visitors < 1 ? 1 : visitors > VIS_MAX ? VIS_MAX : visitors;
    return bc__challenge_note_at(env, tenant_id, visitor, bc_mono_ns() / 1000000, rate, visitors);
}

int bc_challenge_guard(struct bc_env *env, const struct bc_ctx *ctx, const char *visitor, const char *payload,
                       char *msg, size_t msgsize)
{
    const json_t *item = NULL;
    int rc = bc_settings_item_ro(env, ctx, "GLOBAL", &item);
    if (rc < 0) return rc;
    int mode = bc_challenge_mode_parse(
        json_string_value(json_object_get(json_object_get(item, "widget"), "challenge")));
    bc_json_release(item);
    if (mode == BC_CHALLENGE_OFF) return 0;
    bool attack = bc_challenge_note(env, ctx->tenant_id, visitor);
    if (mode != BC_CHALLENGE_ALWAYS && !attack) return 0;
    return bc_challenge_verify(env, ctx, payload, msg, msgsize);
}
