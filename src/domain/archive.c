/* Tenant archives (JSON Lines export/import): writing, verifying and loading. The format and the import's
 * order of writes are described in archive.h. */
#include "domain/archive.h"
#include "domain/env.h"
#include "auth/context.h"
#include "domain/apikey.h"
#include "domain/tenant_items.h"
#include "domain/keys.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/id.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define S(o, k)   json_string_value(json_object_get((o), (k)))
#define MAX_LINE  (4 << 20) /* far above any backend's item size (DynamoDB: 400 KB) */
#define KIND_SIZE 64

static const struct bc_cond lazy = {BC_COND_NONE, 0, true};

static void digest_hex(EVP_MD_CTX *md, char out[80])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(md, d, &n);
    memcpy(out, "sha256:", 7);
    bc_hex(d, n, out + 7);
}

static void count_kind(json_t *counts, json_t *item)
{
    char kind[KIND_SIZE];
    bc_tenant_item_kind(item, kind, sizeof kind);
    json_t *c = json_object_get(counts, kind);
    json_object_set_new(counts, kind, json_integer(c ? json_integer_value(c) + 1 : 1));
}

/* ---- export ---- */

struct wstate {
    FILE *tmp;
    EVP_MD_CTX *md;
    json_t *counts;
    json_int_t n;
};

static int stage_item(json_t *item, void *arg)
{
    struct wstate *w = arg;
    char *line = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS);
    if (!line) return BC_ENOMEM;
    size_t len = strlen(line);
    int rc = 0;
    if (fwrite(line, 1, len, w->tmp) != len || fputc('\n', w->tmp) == EOF) rc = BC_EIO;
    EVP_DigestUpdate(w->md, line, len);
    EVP_DigestUpdate(w->md, "\n", 1);
    free(line);
    count_kind(w->counts, item);
    w->n++;
    return rc;
}

int bc_archive_write(struct bc_env *env, const char *tenant_id, FILE *out, json_t **header)
{
    struct bc_store *s = env->store;
    char pk[BC_KEY_SIZE], now[32], sum[80];
    json_t *meta = NULL, *h = NULL;
    struct wstate w = {tmpfile(), EVP_MD_CTX_new(), json_object(), 0};
    if (header) *header = NULL;
    int rc = bc_key_tenant_pk_operator(pk, tenant_id) ? bc_store_get(s, pk, "META", &meta) : BC_ENOT_FOUND;
    if (rc == 0 && !w.tmp) rc = BC_EIO;
    if (rc == 0 && (!w.md || !w.counts)) rc = BC_ENOMEM;
    if (rc == 0 && EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) rc = BC_EINTERNAL;
    if (rc == 0) rc = bc_tenant_items_walk(env, tenant_id, stage_item, &w);
    if (rc < 0) goto out;
    digest_hex(w.md, sum);
    bc_now_iso(now);
    h = json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:O, s:s}", "format", BC_ARCHIVE_FORMAT, "version",
                  BC_ARCHIVE_VERSION, "tenant_id", tenant_id, "exported_at", now, "source", s->ops->name,
                  "items", w.n, "counts", w.counts, "checksum", sum);
    char *line = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!line) {
        rc = BC_ENOMEM;
        goto out;
    }
    if (fputs(line, out) == EOF || fputc('\n', out) == EOF) rc = BC_EIO;
    free(line);
    rewind(w.tmp);
    char buf[65536];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, w.tmp)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = BC_EIO;
    if (rc == 0 && (ferror(w.tmp) || fflush(out) != 0 || ferror(out))) rc = BC_EIO;
    if (rc == 0 && header) *header = json_incref(h);
out:
    if (w.tmp) fclose(w.tmp);
    EVP_MD_CTX_free(w.md);
    json_decref(w.counts);
    json_decref(meta);
    json_decref(h);
    return rc;
}

/* ---- reading ---- */

/* Lines of an archive, after the header. */
struct reader {
    FILE *in;
    char *line;
    size_t cap;
    ssize_t len;
    long lineno;
};

/* Positions r after the header line. 0 or BC_EIO. */
static int reader_start(struct reader *r, FILE *in)
{
    r->in = in;
    r->lineno = 1;
    if (fseek(in, 0, SEEK_SET) != 0) return BC_EIO;
    r->len = getline(&r->line, &r->cap, in);
    return 0;
}

/* Next item line (1 when there is one, 0 at the end). */
static int reader_next(struct reader *r)
{
    r->len = getline(&r->line, &r->cap, r->in);
    if (r->len < 0) return 0;
    r->lineno++;
    return 1;
}

/* The current line as an item (without its "\n"); NULL when it is not a JSON object. */
static json_t *reader_item(struct reader *r, json_error_t *e)
{
    size_t n = (size_t)r->len;
    if (n > 0 && r->line[n - 1] == '\n') n--;
    json_t *j = json_loadb(r->line, n, JSON_REJECT_DUPLICATES, e);
    if (j && !json_is_object(j)) {
        json_decref(j);
        snprintf(e->text, sizeof e->text, "not a JSON object");
        return NULL;
    }
    return j;
}

static int check_header(json_t *h, char *msg, size_t msgsize)
{
    json_t *v = json_object_get(h, "version"), *items = json_object_get(h, "items");
    json_t *counts = json_object_get(h, "counts");
    const char *tid = S(h, "tenant_id"), *sum = S(h, "checksum"), *k;
    if (!json_is_object(h) || !S(h, "format") || strcmp(S(h, "format"), BC_ARCHIVE_FORMAT) != 0) {
        snprintf(msg, msgsize, "not a bookchat tenant export: line 1 is not a header with \"format\":\"%s\"",
                 BC_ARCHIVE_FORMAT);
        return BC_EINVALID;
    }
    if (!json_is_integer(v) || json_integer_value(v) != BC_ARCHIVE_VERSION) {
        if (json_is_integer(v))
            snprintf(msg, msgsize,
                     "export format version %lld is not supported (this bookchat reads version %d)",
                     (long long)json_integer_value(v), BC_ARCHIVE_VERSION);
        else
            snprintf(msg, msgsize, "the header has no format version");
        return BC_EINVALID;
    }
    if (!bc_key_id_ok(tid) || strlen(tid) > BC_TENANT_ID_MAX) {
        snprintf(msg, msgsize, "the header has no valid tenant_id");
        return BC_EINVALID;
    }
    bool counts_ok = json_is_object(counts);
    json_object_foreach(counts, k, v) counts_ok &= json_is_integer(v) && json_integer_value(v) > 0;
    if (!json_is_integer(items) || json_integer_value(items) < 0 || !counts_ok || !sum ||
        strncmp(sum, "sha256:", 7) != 0 || strlen(sum) != 7 + 64) {
        snprintf(msg, msgsize, "the header lacks valid items, counts or checksum fields");
        return BC_EINVALID;
    }
    return 0;
}

int bc_archive_verify(FILE *in, json_t **header, char *msg, size_t msgsize)
{
    struct reader r = {0};
    json_t *h = NULL, *counts = json_object();
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    json_error_t e;
    char sum[80];
    json_int_t n = 0;
    *header = NULL;
    int rc = reader_start(&r, in);
    if (rc < 0) {
        snprintf(msg, msgsize, "cannot read the file");
        goto out;
    }
    rc = BC_EINVALID;
    if (!md || !counts || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        rc = BC_ENOMEM;
        goto out;
    }
    if (r.len <= 0) {
        snprintf(msg, msgsize, "the file is empty");
        goto out;
    }
    if (r.len > MAX_LINE || !(h = reader_item(&r, &e))) {
        snprintf(msg, msgsize, "not a bookchat tenant export: line 1 is not a JSON header");
        goto out;
    }
    if (check_header(h, msg, msgsize) < 0) goto out;
    const char *tid = S(h, "tenant_id");
    while (reader_next(&r)) {
        if (r.len > MAX_LINE) {
            snprintf(msg, msgsize, "line %ld is too long", r.lineno);
            goto out;
        }
        if (r.line[r.len - 1] != '\n') {
            snprintf(msg, msgsize, "line %ld is cut short: the file is truncated", r.lineno);
            goto out;
        }
        json_t *item = reader_item(&r, &e);
        if (!item) {
            snprintf(msg, msgsize, "line %ld is not a valid item: %s", r.lineno, e.text);
            goto out;
        }
        if (bc_tenant_item_check(item, tid) < 0) {
            snprintf(msg, msgsize, "line %ld: %.60s / %.60s is not an item of tenant %s", r.lineno,
                     S(item, "PK") ? S(item, "PK") : "?", S(item, "SK") ? S(item, "SK") : "?", tid);
            json_decref(item);
            goto out;
        }
        count_kind(counts, item);
        json_decref(item);
        EVP_DigestUpdate(md, r.line, (size_t)r.len);
        n++;
    }
    if (ferror(in)) {
        snprintf(msg, msgsize, "cannot read the file");
        rc = BC_EIO;
        goto out;
    }
    json_int_t want = json_integer_value(json_object_get(h, "items"));
    if (n != want) {
        snprintf(msg, msgsize,
                 "the file holds %lld items but its header says %lld: it is truncated or altered",
                 (long long)n, (long long)want);
        goto out;
    }
    const char *k;
    json_t *v;
    json_t *hc = json_object_get(h, "counts");
    bool same = json_object_size(hc) == json_object_size(counts);
    json_object_foreach(hc, k, v)
    {
        json_t *got = json_object_get(counts, k);
        if (!got || json_integer_value(got) != json_integer_value(v)) {
            snprintf(msg, msgsize, "item counts differ from the header (%s: header %lld, file %lld)", k,
                     (long long)json_integer_value(v), (long long)(got ? json_integer_value(got) : 0));
            goto out;
        }
    }
    if (!same) {
        snprintf(msg, msgsize, "the file holds kinds of items its header does not count");
        goto out;
    }
    if (json_integer_value(json_object_get(counts, "META")) != 1) {
        snprintf(msg, msgsize, "the export has no tenant META item");
        goto out;
    }
    digest_hex(md, sum);
    if (strcmp(sum, S(h, "checksum")) != 0) {
        snprintf(msg, msgsize, "checksum mismatch: the item lines were altered or damaged");
        goto out;
    }
    *header = h;
    h = NULL;
    rc = 0;
out:
    free(r.line);
    json_decref(h);
    json_decref(counts);
    EVP_MD_CTX_free(md);
    return rc;
}

/* ---- import ---- */

static bool is_kind(json_t *item, const char *kind)
{
    char k[KIND_SIZE];
    return strcmp(bc_tenant_item_kind(item, k, sizeof k), kind) == 0;
}

/* Pass 2: may this archive be written as tenant `to`? */
static int check_destination(struct bc_env *env, struct reader *r, const char *from, const char *to,
                             bool reissue, bool force, char *msg, size_t msgsize)
{
    struct bc_store *s = env->store;
    char sk[BC_KEY_SIZE];
    bool exists = false;
    json_t *index = NULL;
    int rc = bc_tenant_items_exist(env, to, &exists);
    if (rc == 0 && !exists && bc_key_sk(sk, "TENANT", to)) {
        rc = bc_store_get(s, BC_KEY_PLATFORM, sk, &index);
        exists = rc == 0;
        if (rc == BC_ENOT_FOUND) rc = 0;
        json_decref(index);
    }
    if (rc < 0) return rc;
    if (exists && !force) {
        snprintf(msg, msgsize, "tenant %s already exists in this store (--force replaces it)", to);
        return BC_ECONFLICT;
    }
    if (reissue) return 0; /* no API key look-up or origin entry will be written */
    if ((rc = reader_start(r, r->in)) < 0) return rc;
    while (rc == 0 && reader_next(r)) {
        json_error_t e;
        json_t *item = reader_item(r, &e), *cur = NULL;
        if (!item) return BC_EINVALID;
        if (is_kind(item, "global:APIKEY") || is_kind(item, "global:ORIGIN")) {
            bc_tenant_item_rename(item, from, to);
            int g = bc_store_get(s, S(item, "PK"), S(item, "SK"), &cur);
            const char *owner = S(cur, "tenant_id");
            if (g == 0 && (!owner || strcmp(owner, to) != 0)) {
                snprintf(msg, msgsize, "%.40s… / %.40s belongs to tenant %.64s in this store", S(item, "PK"),
                         S(item, "SK"), owner ? owner : "?");
                rc = BC_ECONFLICT;
            } else if (g < 0 && g != BC_ENOT_FOUND) {
                rc = g;
            }
            json_decref(cur);
        }
        json_decref(item);
    }
    return rc;
}

int bc_archive_import(struct bc_env *env, FILE *in, const struct bc_archive_import *opt, json_t **result,
                      char *msg, size_t msgsize)
{
    struct bc_store *s = env->store;
    char tpk[BC_KEY_SIZE], isk[BC_KEY_SIZE];
    struct reader r = {.in = in};
    json_t *header = NULL, *meta = NULL, *index = NULL, *plan = NULL;
    json_t *lookups = json_array(), *retired = json_array(), *keys = json_array(), *counts = json_object();
    json_int_t written = 0;
    *result = NULL;
    int rc = bc_archive_verify(in, &header, msg, msgsize);
    if (rc < 0) goto out;
    const char *from = S(header, "tenant_id"), *to = opt->as_id ? opt->as_id : from;
    if (!bc_key_id_ok(to) || strlen(to) > BC_TENANT_ID_MAX) {
        snprintf(msg, msgsize, "tenant ids are 1-64 characters of letters, digits and _-.:@+");
        rc = BC_EINVALID;
        goto out;
    }
    bool rename = strcmp(from, to) != 0, reissue = opt->reissue_keys || rename;
    bc_key_tenant_pk_operator(tpk, to);
    bc_key_sk(isk, "TENANT", to);
    if ((rc = check_destination(env, &r, from, to, reissue, opt->force, msg, msgsize)) < 0) goto out;
    if (opt->force && (rc = bc_tenant_purge(env, to)) < 0) goto out;

    /* pass 3: write (see archive.h for the order) */
    if ((rc = reader_start(&r, in)) < 0) goto out;
    while (rc == 0 && reader_next(&r)) {
        json_error_t e;
        json_t *item = reader_item(&r, &e);
        if (!item) {
            rc = BC_EIO; /* the file changed since it was verified */
            break;
        }
        if (rename) bc_tenant_item_rename(item, from, to);
        count_kind(counts, item);
        const char *pk = S(item, "PK"), *sk = S(item, "SK");
        if (strcmp(pk, tpk) == 0 && strcmp(sk, "META") == 0) {
            meta = json_incref(item);
        } else if (strcmp(pk, tpk) == 0) {
            if (reissue && strncmp(sk, "APIKEY#", 7) == 0 &&
                bc_apikey_retire_copy(item,
                                      rename ? "re-issued on import under a new id" : "re-issued on import"))
                json_array_append(retired, item);
            rc = bc_store_put(s, item, &lazy);
        } else if (is_kind(item, "global:APIKEY")) {
            if (!reissue) json_array_append(lookups, item);
        } else if (is_kind(item, "global:ORIGIN")) {
            if (!reissue) rc = bc_store_put(s, item, &lazy);
        } else if (is_kind(item, "global:EMAIL")) {
            rc = bc_store_put(s, item, &lazy);
        } else if (strcmp(pk, BC_KEY_PLATFORM) == 0 && strcmp(sk, isk) == 0) {
            index = json_incref(item);
        } else if (strcmp(pk, BC_KEY_PLATFORM) == 0) {
            plan = json_incref(item);
        }
        written++;
        json_decref(item);
    }
    if (rc == 0) rc = bc_store_sync(s);
    /* the tenant appears complete, then its keys start to work */
    if (rc == 0 && meta) rc = bc_store_put(s, meta, NULL);
    if (rc == 0 && index) rc = bc_store_put(s, index, NULL);
    if (rc == 0 && plan) {
        struct bc_cond ne = {BC_COND_NOT_EXISTS, 0};
        rc = bc_store_put(s, plan, &ne); /* never overwrite the operator's edits of a plan */
        if (rc == BC_ECOND) rc = 0;
    }
    size_t i;
    json_t *it;
    json_array_foreach(lookups, i, it)
    {
        if (rc == 0) rc = bc_store_put(s, it, NULL);
    }
    struct bc_ctx ctx;
    if (rc == 0 && json_array_size(retired) && (rc = bc_ctx_operator(&ctx, to)) == 0) {
        json_array_foreach(retired, i, it)
        {
            char secret[BC_APIKEY_SECRET_SIZE];
            json_t *view = NULL;
            if ((rc = bc_apikey_reissue(env, &ctx, it, secret, &view)) < 0) break;
            json_array_append_new(keys, json_pack("{s:O, s:O?, s:s, s:O}", "id", json_object_get(view, "id"),
                                                  "name", json_object_get(view, "name"), "secret", secret,
                                                  "replaces", json_object_get(it, "id")));
            json_decref(view);
        }
    }
    if (rc == 0)
        *result = json_pack("{s:s, s:s, s:I, s:O, s:O, s:b}", "tenant_id", to, "from_tenant_id", from,
                            "items", written, "counts", counts, "api_keys", keys, "keys_reissued", reissue);
    if (rc == 0 && !*result) rc = BC_ENOMEM;
out:
    free(r.line);
    json_decref(header);
    json_decref(meta);
    json_decref(index);
    json_decref(plan);
    json_decref(lookups);
    json_decref(retired);
    json_decref(keys);
    json_decref(counts);
    return rc;
}
