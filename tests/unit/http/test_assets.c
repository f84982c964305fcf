/* The embedded asset table and the header logic that serves it: If-None-Match matching, Accept-Encoding
 * negotiation, content types, cache policies, directory index look-up, and the build's invariants (pages
 * are HTML, hashed names are immutable, gzip copies are smaller). */
#include "../testlib.h"

#include "http/assets.h"

static void test_assets__etag_matches(void **state)
{
    (void)state;
    const char *e = "\"abc123\"";
    assert_true(bc_asset_etag_matches("\"abc123\"", e));
    assert_true(bc_asset_etag_matches("W/\"abc123\"", e)); /* weak comparison */
    assert_true(bc_asset_etag_matches("\"x\", \"abc123\"", e));
    assert_true(bc_asset_etag_matches("\"x\",W/\"abc123\" ", e));
    assert_true(bc_asset_etag_matches("*", e));
    assert_true(bc_asset_etag_matches("  *", e));
    assert_false(bc_asset_etag_matches("\"abc1234\"", e));
    assert_false(bc_asset_etag_matches("\"abc12\"", e));
    assert_false(bc_asset_etag_matches("abc123", e));
    assert_false(bc_asset_etag_matches("\"abc123", e)); /* unterminated */
    assert_false(bc_asset_etag_matches("", e));
    assert_false(bc_asset_etag_matches(NULL, e));
    assert_false(bc_asset_etag_matches("\"abc123\"", NULL));
    assert_false(bc_asset_etag_matches("junk, \"zzz\"", e));
    assert_true(bc_asset_etag_matches("junk, \"abc123\"", e));
}

static void test_assets__accepts_gzip(void **state)
{
    (void)state;
    assert_true(bc_asset_accepts_gzip("gzip"));
    assert_true(bc_asset_accepts_gzip("gzip, deflate, br, zstd"));
    assert_true(bc_asset_accepts_gzip("br;q=1.0, GZIP;q=0.5"));
    assert_true(bc_asset_accepts_gzip("x-gzip"));
    assert_true(bc_asset_accepts_gzip("deflate, *;q=0.1"));
    assert_true(bc_asset_accepts_gzip("gzip ; q=0.001"));
    assert_false(bc_asset_accepts_gzip("gzip;q=0"));
    assert_false(bc_asset_accepts_gzip("gzip;q=0.000"));
    assert_false(bc_asset_accepts_gzip("*, gzip;q=0")); /* gzip named: its own q decides */
    assert_false(bc_asset_accepts_gzip("*;q=0"));
    assert_false(bc_asset_accepts_gzip("identity"));
    assert_false(bc_asset_accepts_gzip("br, deflate"));
    assert_false(bc_asset_accepts_gzip("gzipx"));
    assert_false(bc_asset_accepts_gzip(""));
    assert_false(bc_asset_accepts_gzip(NULL));
}

static void test_assets__content_types_and_cache(void **state)
{
    (void)state;
    assert_string_equal(bc_asset_content_type("/demo/index.html"), "text/html; charset=utf-8");
    assert_string_equal(bc_asset_content_type("/widget.js"), "text/javascript; charset=utf-8");
    assert_string_equal(bc_asset_content_type("/assets/a-X.css"), "text/css; charset=utf-8");
    assert_string_equal(bc_asset_content_type("/assets/logo-X.svg"), "image/svg+xml");
    assert_string_equal(bc_asset_content_type("/f.woff2"), "font/woff2");
    assert_string_equal(bc_asset_content_type("/x.unknown"), "application/octet-stream");
    assert_string_equal(bc_asset_content_type("/dir.js/file"), "application/octet-stream");
    assert_string_equal(bc_asset_cache_control(BC_ASSET_IMMUTABLE), "public, max-age=31536000, immutable");
    assert_string_equal(bc_asset_cache_control(BC_ASSET_STABLE), "public, max-age=300");
    assert_string_equal(bc_asset_cache_control(BC_ASSET_PAGE), "no-cache");
    assert_string_equal(bc_asset_cache_control(BC_ASSET_DOC), "no-cache");
    assert_non_null(strstr(bc_asset_csp, "script-src 'self'"));
    assert_null(strstr(bc_asset_csp, "unsafe"));
}

static void test_assets__lookup(void **state)
{
    (void)state;
    const struct bc_asset *a = bc_asset_find("/v1/openapi.json");
    assert_non_null(a);
    assert_int_equal(a->kind, BC_ASSET_DOC);
    a = bc_asset_find("/demo/");
    assert_non_null(a);
    assert_string_equal(a->path, "/demo/index.html");
    assert_int_equal(a->kind, BC_ASSET_PAGE);
    assert_ptr_equal(bc_asset_find("/demo/index.html"), a);
    a = bc_asset_find("/widget.js");
    assert_non_null(a);
    assert_int_equal(a->kind, BC_ASSET_STABLE);
    assert_non_null(a->gz);
    assert_null(bc_asset_find("/demo"));
    assert_null(bc_asset_find("/nope/"));
    assert_null(bc_asset_find(""));
    char longpath[400];
    memset(longpath, 'a', sizeof longpath);
    longpath[0] = '/';
    longpath[sizeof longpath - 2] = '/';
    longpath[sizeof longpath - 1] = '\0';
    assert_null(bc_asset_find(longpath));
}

static void test_assets__build_invariants(void **state)
{
    (void)state;
    int pages = 0, hashed = 0;
    for (unsigned long i = 0; i < bc_nassets; i++) {
        const struct bc_asset *a = &bc_assets[i];
        size_t n = strlen(a->path);
        assert_true(a->path[0] == '/');
        assert_non_null(a->etag);
        assert_true(a->data[a->len] == '\0');
        if (a->kind == BC_ASSET_PAGE) {
            pages++;
            assert_true(n > 5 && strcmp(a->path + n - 5, ".html") == 0);
        }
        if (strncmp(a->path, "/assets/", 8) == 0) {
            hashed++;
            assert_int_equal(a->kind, BC_ASSET_IMMUTABLE);
        }
        if (a->kind == BC_ASSET_IMMUTABLE) assert_true(strncmp(a->path, "/assets/", 8) == 0);
        if (a->gz) {
            assert_true(a->gz_len < a->len);
            assert_true(a->gz[0] == 0x1f && a->gz[1] == 0x8b); /* gzip magic */
            assert_string_not_equal(a->gz_etag, a->etag);
        }
    }
    assert_true(pages >= 2);
    assert_true(hashed >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assets__etag_matches),
        cmocka_unit_test(test_assets__accepts_gzip),
        cmocka_unit_test(test_assets__content_types_and_cache),
        cmocka_unit_test(test_assets__lookup),
        cmocka_unit_test(test_assets__build_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
