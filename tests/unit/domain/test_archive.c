/* Unit tests of src/domain/archive: the export format (header fields, one item per line, checksum over the
 * item lines), the round trip into a fresh store (the same items, hashes included), refusals of damaged
 * files (truncated, cut line, altered line, wrong version, foreign item, not an export) with nothing
 * written, an existing tenant, --force, --as and --reissue-keys. */
#include "tenant_fixture.h"
#include "util/jsonv.h"

#include "domain/archive.h"
#include "domain/tenant_items.h"

#include <openssl/evp.h>

#define TID "tenant-archive-1"

static struct bc_env *src;
static char active_secret[BC_APIKEY_SECRET_SIZE], old_secret[BC_APIKEY_SECRET_SIZE];

static int setup(void **state)
{
    (void)state;
    fx_init();
    src = fx_store("archive-src");
    fx_tenant(src, TID, active_secret, old_secret);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_test_env_close(src);
    return 0;
}

/* The export of tenant id from s as a list of lines (without "\n"; line 0 is the header). */
static json_t *export_lines(struct bc_env *s, const char *id)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(bc_archive_write(s, id, f, NULL), 0);
    rewind(f);
    json_t *lines = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        assert_int_equal(line[n - 1], '\n');
        line[n - 1] = '\0';
        json_array_append_new(lines, json_string(line));
    }
    free(line);
    fclose(f);
    return lines;
}

/* A file holding the lines (each followed by "\n" unless cut_last). */
static FILE *file_of(json_t *lines, bool cut_last)
{
    FILE *f = tmpfile();
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        fputs(json_string_value(l), f);
        if (!(cut_last && i == json_array_size(lines) - 1)) fputc('\n', f);
    }
    fflush(f);
    rewind(f);
    return f;
}

static void sha256_of_items(json_t *lines, char out[80])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char d[32];
    unsigned int n = 0;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 1; i < json_array_size(lines); i++) {
        const char *l = json_string_value(json_array_get(lines, i));
        EVP_DigestUpdate(md, l, strlen(l));
        EVP_DigestUpdate(md, "\n", 1);
    }
    EVP_DigestFinal_ex(md, d, &n);
    EVP_MD_CTX_free(md);
    memcpy(out, "sha256:", 7);
    bc_hex(d, n, out + 7);
}

/* Imports lines into a fresh store; returns the result code, the store (caller closes) and msg. */
static int import_into(json_t *lines, bool cut_last, const struct bc_archive_import *opt, struct bc_env **dst,
                       char *msg, size_t msgsize, json_t **res)
{
    FILE *f = file_of(lines, cut_last);
    json_t *r = NULL;
    if (!*dst) *dst = fx_store("archive-dst");
    int rc = bc_archive_import(*dst, f, opt, &r, msg, msgsize);
    fclose(f);
    if (res)
        *res = r;
    else
        json_decref(r);
    return rc;
}

static void test_archive__header_and_lines(void **state)
{
    (void)state;
    json_t *lines = export_lines(src, TID);
    json_t *h = json_loads(json_string_value(json_array_get(lines, 0)), 0, NULL);
    assert_non_null(h);
    assert_string_equal(json_string_value(json_object_get(h, "format")), "bookchat-tenant");
    assert_int_equal(json_integer_value(json_object_get(h, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(h, "tenant_id")), TID);
    assert_string_equal(json_string_value(json_object_get(h, "source")), "lmdb");
    assert_int_equal(json_integer_value(json_object_get(h, "items")), json_array_size(lines) - 1);
    /* counts add up to the items and name every kind of the fixture */
    json_t *counts = json_object_get(h, "counts");
    const char *k;
    json_t *v;
    json_int_t sum = 0;
    json_object_foreach(counts, k, v) sum += json_integer_value(v);
    assert_int_equal(sum, json_array_size(lines) - 1);
    const char *kinds[] = {"META",
                           "SETTINGS",
                           "APIKEY",
                           "USER",
                           "SERVICE",
                           "PROVIDER",
                           "AVAIL",
                           "BOOKING",
                           "CONV",
                           "global:APIKEY",
                           "global:ORIGIN",
                           "global:EMAIL",
                           "global:PLATFORM:TENANT",
                           "global:PLATFORM:PLAN"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!json_object_get(counts, kinds[i])) fail_msg("no count for %s", kinds[i]);
    assert_int_equal(json_integer_value(json_object_get(counts, "APIKEY")), 3);
    assert_int_equal(json_integer_value(json_object_get(counts, "global:APIKEY")), 2); /* active + rotated */
    assert_int_equal(json_integer_value(json_object_get(counts, "global:EMAIL")), 2);
    char sum_hex[80];
    sha256_of_items(lines, sum_hex);
    assert_string_equal(json_string_value(json_object_get(h, "checksum")), sum_hex);
    /* each item line is an object with PK and SK; hashes are there, no secret in clear */
    for (size_t i = 1; i < json_array_size(lines); i++) {
        const char *l = json_string_value(json_array_get(lines, i));
        json_t *it = json_loads(l, 0, NULL);
        assert_true(json_is_string(json_object_get(it, "PK")) && json_is_string(json_object_get(it, "SK")));
        json_decref(it);
        assert_null(strstr(l, active_secret));
        assert_null(strstr(l, old_secret));
        assert_null(strstr(l, "a-long-password"));
    }
    json_decref(h);
    json_decref(lines);
}

static void test_archive__round_trip_same_items(void **state)
{
    (void)state;
    struct bc_env *dst = NULL;
    char msg[256] = "";
    json_t *lines = export_lines(src, TID), *res = NULL;
    struct bc_archive_import opt = {0};
    int rc = import_into(lines, false, &opt, &dst, msg, sizeof msg, &res);
    if (rc < 0) fail_msg("import: %d %s", rc, msg);
    assert_int_equal(json_integer_value(json_object_get(res, "items")), json_array_size(lines) - 1);
    assert_int_equal(json_array_size(json_object_get(res, "api_keys")), 0);
    /* the destination's export holds exactly the same item lines, byte for byte */
    json_t *again = export_lines(dst, TID);
    assert_int_equal(json_array_size(again), json_array_size(lines));
    for (size_t i = 1; i < json_array_size(lines); i++)
        assert_string_equal(json_string_value(json_array_get(again, i)),
                            json_string_value(json_array_get(lines, i)));
    /* and the old keys' hashes came along: with the same server secret the keys resolve */
    const json_t *look = NULL;
    assert_int_equal(bc_apikey_resolve(dst, active_secret, &look), 0);
    assert_string_equal(json_string_value(json_object_get(look, "tenant_id")), TID);
    bc_json_release(look);
    json_decref(again);
    json_decref(res);
    json_decref(lines);
    bc_test_env_close(dst);
}

/* Imports a damaged archive: refused with a message containing want, and nothing written. */
static void refused(json_t *lines, bool cut_last, const char *want)
{
    struct bc_env *dst = NULL;
    char msg[256] = "";
    struct bc_archive_import opt = {0};
    int rc = import_into(lines, cut_last, &opt, &dst, msg, sizeof msg, NULL);
    assert_int_equal(rc, BC_EINVALID);
    if (!strstr(msg, want)) fail_msg("message \"%s\" lacks \"%s\"", msg, want);
    json_t *all = fx_scan_all(dst);
    assert_int_equal(json_array_size(all), 0);
    json_decref(all);
    bc_test_env_close(dst);
}

static void test_archive__truncated_file_refused(void **state)
{
    (void)state;
    json_t *lines = export_lines(src, TID);
    json_array_remove(lines, json_array_size(lines) - 1);
    refused(lines, false, "truncated");
    json_decref(lines);
    lines = export_lines(src, TID);
    json_t *last = json_array_get(lines, json_array_size(lines) - 1);
    char half[64];
    snprintf(half, sizeof half, "%.20s", json_string_value(last));
    json_array_set_new(lines, json_array_size(lines) - 1, json_string(half));
    refused(lines, true, "cut short");
    json_decref(lines);
}

static void test_archive__altered_line_refused(void **state)
{
    (void)state;
    json_t *lines = export_lines(src, TID);
    for (size_t i = 1; i < json_array_size(lines); i++) {
        const char *l = json_string_value(json_array_get(lines, i));
        const char *p = strstr(l, "\"status\":\"confirmed\"");
        if (!p) continue;
        char *copy = strdup(l);
        memcpy(copy + (p - l), "\"status\":\"cancelled\"", 20);
        json_array_set_new(lines, i, json_string(copy));
        free(copy);
        break;
    }
    refused(lines, false, "checksum mismatch");
    json_decref(lines);
}

static void test_archive__wrong_version_refused(void **state)
{
    (void)state;
    json_t *lines = export_lines(src, TID);
    json_t *h = json_loads(json_string_value(json_array_get(lines, 0)), 0, NULL);
    json_object_set_new(h, "version", json_integer(2));
    char *s = json_dumps(h, JSON_COMPACT);
    json_array_set_new(lines, 0, json_string(s));
    free(s);
    refused(lines, false, "version 2 is not supported");
    json_object_set_new(h, "format", json_string("something-else"));
    s = json_dumps(h, JSON_COMPACT);
    json_array_set_new(lines, 0, json_string(s));
    free(s);
    refused(lines, false, "not a bookchat tenant export");
    json_decref(h);
    json_decref(lines);
    json_t *junk = json_pack("[s, s]", "hello", "world");
    refused(junk, false, "not a bookchat tenant export");
    json_decref(junk);
}

/* A line naming another tenant, with counts and checksum made consistent: refused all the same. */
static void test_archive__foreign_item_refused(void **state)
{
    (void)state;
    json_t *lines = export_lines(src, TID);
    json_t *h = json_loads(json_string_value(json_array_get(lines, 0)), 0, NULL);
    json_array_append_new(lines, json_string("{\"PK\":\"TENANT#victim\",\"SK\":\"BOOKING#X\"}"));
    json_t *counts = json_object_get(h, "counts");
    json_object_set_new(counts, "BOOKING",
                        json_integer(json_integer_value(json_object_get(counts, "BOOKING")) + 1));
    json_object_set_new(h, "items", json_integer((json_int_t)json_array_size(lines) - 1));
    char sum[80];
    sha256_of_items(lines, sum);
    json_object_set_new(h, "checksum", json_string(sum));
    char *s = json_dumps(h, JSON_COMPACT);
    json_array_set_new(lines, 0, json_string(s));
    free(s);
    refused(lines, false, "is not an item of tenant " TID);
    json_decref(h);
    json_decref(lines);
}

static void test_archive__existing_tenant_and_force(void **state)
{
    (void)state;
    struct bc_env *dst = NULL;
    char msg[256] = "";
    json_t *lines = export_lines(src, TID);
    struct bc_archive_import opt = {0};
    assert_int_equal(import_into(lines, false, &opt, &dst, msg, sizeof msg, NULL), 0);
    assert_int_equal(import_into(lines, false, &opt, &dst, msg, sizeof msg, NULL), BC_ECONFLICT);
    assert_non_null(strstr(msg, "already exists"));
    /* --force replaces: an item that is not in the archive disappears */
    json_t *extra = json_pack("{s:s, s:s}", "PK", "TENANT#" TID, "SK", "SERVICE#EXTRA");
    assert_int_equal(bc_store_put(dst->store, extra, NULL), 0);
    json_decref(extra);
    opt.force = true;
    assert_int_equal(import_into(lines, false, &opt, &dst, msg, sizeof msg, NULL), 0);
    json_t *again = export_lines(dst, TID);
    assert_int_equal(json_array_size(again), json_array_size(lines));
    json_decref(again);
    json_decref(lines);
    bc_test_env_close(dst);
}

static void test_archive__as_new_id_reissues_keys(void **state)
{
    (void)state;
    struct bc_env *dst = NULL;
    char msg[256] = "";
    json_t *lines = export_lines(src, TID), *res = NULL;
    const json_t *look = NULL;
    struct bc_archive_import opt = {.as_id = "tenant-copy-2"};
    int rc = import_into(lines, false, &opt, &dst, msg, sizeof msg, &res);
    if (rc < 0) fail_msg("import --as: %d %s", rc, msg);
    assert_true(json_is_true(json_object_get(res, "keys_reissued")));
    json_t *keys = json_object_get(res, "api_keys");
    assert_int_equal(json_array_size(keys), 1); /* the one active key; rotated and revoked ones are not */
    const char *secret = json_string_value(json_object_get(json_array_get(keys, 0), "secret"));
    assert_int_equal(bc_apikey_resolve(dst, secret, &look), 0);
    assert_string_equal(json_string_value(json_object_get(look, "tenant_id")), "tenant-copy-2");
    bc_json_release(look);
    look = NULL;
    assert_int_equal(bc_apikey_resolve(dst, active_secret, &look), BC_EUNAUTHORIZED);
    assert_int_equal(bc_apikey_resolve(dst, old_secret, &look), BC_EUNAUTHORIZED);
    /* nothing in the destination names the old id, and no old hash came along */
    assert_int_equal(fx_count_mentions(dst, TID), 0);
    for (size_t i = 1; i < json_array_size(lines); i++) {
        json_t *it = json_loads(json_string_value(json_array_get(lines, i)), 0, NULL);
        const char *hash = json_string_value(json_object_get(it, "hash"));
        if (hash) assert_int_equal(fx_count_mentions(dst, hash), 0);
        json_decref(it);
    }
    /* the user can still sign in: password hashes are portable */
    json_t *user = NULL;
    char tenant[BC_TENANT_ID_MAX + 1];
    assert_int_equal(
        bc_user_login(dst, "staff@nandu.example.com", "a-long-password", "tenant-copy-2", &user, tenant), 0);
    json_decref(user);
    json_decref(res);
    json_decref(lines);
    bc_test_env_close(dst);
}

static void test_archive__unknown_tenant(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_int_equal(bc_archive_write(src, "no-such-tenant", f, NULL), BC_ENOT_FOUND);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_archive__header_and_lines),
        cmocka_unit_test(test_archive__round_trip_same_items),
        cmocka_unit_test(test_archive__truncated_file_refused),
        cmocka_unit_test(test_archive__altered_line_refused),
        cmocka_unit_test(test_archive__wrong_version_refused),
        cmocka_unit_test(test_archive__foreign_item_refused),
        cmocka_unit_test(test_archive__existing_tenant_and_force),
        cmocka_unit_test(test_archive__as_new_id_reissues_keys),
        cmocka_unit_test(test_archive__unknown_tenant),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
