/* A test's own LMDB store at a fixed clock, with one empty tenant (no sample data) of the BUSINESS plan in
 * Europe/Madrid: the start of the booking, claim and waitlist tests, which then add their services and hours.
 */
#ifndef BC_EMPTY_TENANT_H
#define BC_EMPTY_TENANT_H
#include "../testlib.h"
#include "tenant_fixture.h"

#include "auth/context.h"
#include "auth/secret.h"
#include "domain/onboarding.h"
#include "domain/plan.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/id.h"

#include <jansson.h>
#include <stdlib.h>

/* The URL of the store empty_tenant opened: a test opens a second handle with it, as another process would.
 */
static char empty_tenant_url[600];

/* The clock at now_s (BOOKCHAT_TEST_NOW), the server secret, a store tagged tag; the tenant (a fresh
 * lower-case id into tenant, named name) onboarded empty, and ctx the operator's context of it. */
static inline struct bc_env *empty_tenant(const char *tag, const char *now_s, const char *name,
                                          char tenant[BC_ID_LEN + 1], struct bc_ctx *ctx)
{
    static const unsigned char secret[32] = "empty-tenant-test-secret-0123456";
    char url[600], err[256] = "";
    struct bc_store *s = NULL;
    setenv("BOOKCHAT_TEST_NOW", now_s, 1);
    bc_clock_init();
    bc_id_global_init();
    bc_secret_set_for_tests(secret, sizeof secret);
    bc_test_store_url(url, sizeof url, tag);
    snprintf(empty_tenant_url, sizeof empty_tenant_url, "%s", url);
    if (bc_store_open(url, &s, err, sizeof err) < 0) fail_msg("open %s: %s", url, err);
    struct bc_env *env = bc_test_env(s);
    assert_int_equal(bc_plan_ensure_defaults(env), 0);
    fx_empty_tenant(env, name, tenant, ctx);
    return env;
}

#endif
