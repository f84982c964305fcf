/* Helpers shared by the cmocka unit tests: temporary directories and the store under test. */
#ifndef BC_TESTLIB_H
#define BC_TESTLIB_H
#include "domain/env.h"
#include "store/store.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates a fresh temporary directory (under $BC_TEST_TMP or /tmp) and returns its path in buf. */
static inline const char *bc_test_tmpdir(char *buf, size_t size, const char *tag)
{
    const char *base = getenv("BC_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0700);
    snprintf(buf, size, "%s/%s-XXXXXX", base, tag);
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        abort();
    }
    return buf;
}

/* The store URL under test: $BC_TEST_STORE_URL (e.g. a dynamodb:// URL), else a fresh LMDB directory.
 * For DynamoDB the caller gets a unique key prefix through bc_test_ns so runs do not collide. */
static inline const char *bc_test_store_url(char *buf, size_t size, const char *tag)
{
    const char *u = getenv("BC_TEST_STORE_URL");
    if (u && *u) {
        snprintf(buf, size, "%s", u);
        return buf;
    }
    char dir[512];
    bc_test_tmpdir(dir, sizeof dir, tag);
    snprintf(buf, size, "lmdb:%s", dir);
    return buf;
}

/* The LMDB store in dir (created when missing); fails the test when it cannot be opened. Close it with
 * bc_store_close. A second call with the same dir opens another handle, as another process would. */
static inline struct bc_store *bc_test_open_lmdb(const char *dir)
{
    char url[600], err[256] = "";
    snprintf(url, sizeof url, "lmdb:%s", dir);
    struct bc_store *s = NULL;
    int rc = bc_store_open(url, &s, err, sizeof err);
    if (rc < 0 || strcmp(s->ops->name, "lmdb") != 0) {
        fprintf(stderr, "open %s: %s\n", url, err);
        abort();
    }
    return s;
}

/* The item and expiry-entry counts of the store's check report (bc_store_check); fails the test when the
 * check cannot run. */
static inline void bc_test_store_counts(struct bc_store *s, json_int_t *items, json_int_t *entries)
{
    json_t *report = NULL;
    assert_int_equal(bc_store_check(s, &report), 0);
    *items = json_integer_value(json_object_get(report, "items"));
    *entries = json_integer_value(json_object_get(report, "ttl_entries"));
    json_decref(report);
}

/* A domain environment over a store the test opened (struct bc_env, src/domain/env.h); fails the test when
 * out of memory. bc_test_env_close frees the env and closes its store. */
static inline struct bc_env *bc_test_env(struct bc_store *st)
{
    struct bc_env *env = bc_env_new(st);
    if (!env) abort();
    return env;
}
static inline void bc_test_env_close(struct bc_env *env)
{
    if (!env) return;
    struct bc_store *st = env->store;
    bc_env_free(env);
    bc_store_close(st);
}

#endif
