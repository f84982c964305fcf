/* `bookchat serve --demo`: the demo tenant (domain/demo.c) made ready at start-up, and what a person
 * needs to try it printed on stdout: the demo page, the admin panel, the owner login, the widget key. */
#include "cmd/cmd.h"
#include "domain/env.h"
#include "domain/demo.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>

#define S(o, k) json_string_value(json_object_get((o), (k)))

int bc__cmd_serve_demo(struct bc_env *env, const char *public_url, bool json)
{
    json_t *d = NULL;
    char msg[512] = "";
    int rc = bc_demo_ensure(env, public_url, &d, msg, sizeof msg);
    if (rc < 0) {
        bc_cli_error(json, "demo tenant: %s", msg[0] ? msg : bc_strerror(rc));
        return 1;
    }
    json_t *key = json_object_get(d, "api_key"), *owner = json_object_get(d, "owner");
    if (json) {
        json_t *o = json_pack(
            "{s:s, s:s, s:b, s:O, s:O, s:O, s:O, s:O}", "event", "demo", "tenant_id",
            S(json_object_get(d, "tenant"), "id"), "created", json_is_true(json_object_get(d, "created")),
            "demo_url", json_object_get(d, "demo_url"), "admin_url", json_object_get(d, "admin_url"), "owner",
            owner, "api_key", key, "organisation", json_object_get(d, "organisation"));
        char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        printf("%s\n", line ? line : "{}");
        free(line);
        json_decref(o);
    } else {
        printf("\ndemo tenant \"%s\" (id %s)%s\n", S(json_object_get(d, "tenant"), "name"),
               S(json_object_get(d, "tenant"), "id"),
               json_is_true(json_object_get(d, "created")) ? ", created" : "");
        printf("  demo page   %s\n", S(d, "demo_url"));
        printf("  branches    %s  (an organisation of two clinics: the chat asks which one)\n",
               S(json_object_get(d, "organisation"), "demo_url"));
        printf("  admin       %s\n", S(d, "admin_url"));
        printf("  sign in     %s / %s  (a new password at each start)\n", S(owner, "email"),
               S(owner, "password"));
        printf("  widget key  %s  (for %s; a new key at each start)\n\n", S(key, "secret"),
               json_string_value(json_array_get(json_object_get(key, "origins"), 0)));
    }
    fflush(stdout);
    json_decref(d);
    return 0;
}
