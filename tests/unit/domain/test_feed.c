/* Calendar feed tokens (domain/feed.h): stable until re-created, re-creating revokes the old one at once,
 * scopes and tenants cannot be swapped, altered tokens fail; and the rendering of an empty feed. */
#include "tenant_fixture.h"

#include "domain/entity.h"
#include "domain/feed.h"

#include <ctype.h>
#include <libical/ical.h>

static struct bc_env *env;
static struct bc_ctx ctx, other;
static char pro[80], other_pro[80];

static void first_provider(const struct bc_ctx *c, char *out, size_t size)
{
    json_t *all = NULL;
    assert_int_equal(bc_entity_all(env, c, "PROVIDER", 10, &all), 0);
    assert_true(json_array_size(all) >= 1);
    snprintf(out, size, "%s", json_string_value(json_object_get(json_array_get(all, 0), "id")));
    json_decref(all);
}

static int setup(void **state)
{
    (void)state;
    fx_init();
    env = fx_store("bc-feed");
    fx_tenant(env, "feedtenant", NULL, NULL);
    fx_tenant(env, "othertenant", NULL, NULL);
    bc_ctx_operator(&ctx, "feedtenant");
    bc_ctx_operator(&other, "othertenant");
    first_provider(&ctx, pro, sizeof pro);
    first_provider(&other, other_pro, sizeof other_pro);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bc_test_env_close(env);
    return 0;
}

static void assert_verifies(const char *token, const char *tenant, const char *scope)
{
    char t[80], s[80];
    assert_int_equal(bc_feed_verify(env, token, t, sizeof t, s, sizeof s), 0);
    assert_string_equal(t, tenant);
    assert_string_equal(s, scope);
}

static void assert_refused(const char *token)
{
    char t[80], s[80];
    assert_int_equal(bc_feed_verify(env, token, t, sizeof t, s, sizeof s), BC_ENOT_FOUND);
}

static void test_feed__token_stable_until_renewed(void **state)
{
    (void)state;
    char *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(bc_feed_token(env, &ctx, pro, false, &a), 0);
    assert_int_equal(bc_feed_token(env, &ctx, pro, false, &b), 0);
    assert_string_equal(a, b);
    for (const char *p = a; *p; p++) assert_true(isalnum((unsigned char)*p) || strchr("-_.", *p));
    /* 16 bytes of MAC: 22 base64url characters after the dot */
    assert_int_equal(strlen(strchr(a, '.') + 1), 22);
    assert_verifies(a, "feedtenant", pro);
    assert_int_equal(bc_feed_token(env, &ctx, pro, true, &c), 0);
    assert_string_not_equal(a, c);
    assert_refused(a);
    assert_verifies(c, "feedtenant", pro);
    free(a);
    free(b);
    free(c);
}

static void test_feed__scopes_and_tenants_do_not_mix(void **state)
{
    (void)state;
    char *mine = NULL, *all = NULL, *theirs = NULL, *nope = (char *)1;
    assert_int_equal(bc_feed_token(env, &ctx, pro, false, &mine), 0);
    assert_int_equal(bc_feed_token(env, &ctx, BC_FEED_ALL, false, &all), 0);
    assert_int_equal(bc_feed_token(env, &other, other_pro, false, &theirs), 0);
    assert_verifies(all, "feedtenant", "all");
    assert_verifies(theirs, "othertenant", other_pro);
    /* another tenant's professional, an unknown one, a malformed id: not found, nothing stored */
    assert_int_equal(bc_feed_token(env, &ctx, other_pro, false, &nope), BC_ENOT_FOUND);
    assert_null(nope);
    assert_int_equal(bc_feed_token(env, &ctx, "01NOSUCHPROVIDER", true, &nope), BC_ENOT_FOUND);
    assert_int_equal(bc_feed_token(env, &ctx, "../x", false, &nope), BC_ENOT_FOUND);
    json_t *it = NULL;
    assert_int_equal(bc_entity_get(env, &ctx, "FEED", other_pro, &it), BC_ENOT_FOUND);
    /* a MAC moved onto another name */
    char forged[300];
    snprintf(forged, sizeof forged, "%.*s%s", (int)(strchr(all, '.') - all), all, strchr(mine, '.'));
    assert_refused(forged);
    snprintf(forged, sizeof forged, "%.*s%s", (int)(strchr(theirs, '.') - theirs), theirs, strchr(mine, '.'));
    assert_refused(forged);
    /* one character changed anywhere */
    for (size_t i = 0; i < strlen(mine); i++) {
        snprintf(forged, sizeof forged, "%s", mine);
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        if (strcmp(forged, mine) != 0) assert_refused(forged);
    }
    assert_refused("");
    assert_refused(".");
    assert_refused("eA.AAAAAAAAAAAAAAAAAAAAAA");
    assert_refused(NULL);
    free(mine);
    free(all);
    free(theirs);
}

static void test_feed__render_empty(void **state)
{
    (void)state;
    char *ics = NULL;
    assert_int_equal(bc_feed_render(env, &ctx, pro, &ics), 0);
    icalcomponent *cal = icalparser_parse_string(ics);
    assert_non_null(cal);
    assert_int_equal(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), 0);
    assert_non_null(icalcomponent_get_first_component(cal, ICAL_VTIMEZONE_COMPONENT));
    assert_non_null(strstr(ics, "X-WR-TIMEZONE:Europe/Madrid\r\n"));
    icalcomponent_free(cal);
    free(ics);
    assert_int_equal(bc_feed_render(env, &ctx, "01NOSUCHPROVIDER", &ics), BC_ENOT_FOUND);
    assert_null(ics);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed__token_stable_until_renewed),
        cmocka_unit_test(test_feed__scopes_and_tenants_do_not_mix),
        cmocka_unit_test(test_feed__render_empty),
    };
    return cmocka_run_group_tests_name("feed", tests, setup, teardown);
}
