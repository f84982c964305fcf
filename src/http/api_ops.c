/* Operational endpoints: liveness, readiness (the store answers and we are not draining), the OpenAPI
 * document, and test-only hooks (enabled by test_hooks=on). */
#include "http/api.h"
#include "http/assets.h"
#include "http/server.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *bc_api_public_url(const struct bc_server *srv)
{
    return srv->public_url;
}

void bc_api_set_public_url(struct bc_server *srv, const char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/') n--; /* "https://x/" and "https://x" are one origin */
    snprintf(srv->public_url, sizeof srv->public_url, "%.*s", (int)n, url);
}

int bc_api_healthz(struct bc_req *req)
{
    /* readable from any page: the widget tells "this origin is not allowed" from "the server is down" */
    bc_reply_header(req, "Access-Control-Allow-Origin", "*");
    return bc_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

int bc_api_readyz(struct bc_req *req)
{
    if (atomic_load(&req->srv->draining))
        return bc_fail(req, BC_EUNAVAILABLE, "The server is shutting down.");
    json_t *item = NULL;
    int rc = bc_store_get(req->srv->store, "SYSTEM", "READY", &item);
    json_decref(item);
    if (rc < 0 && rc != BC_ENOT_FOUND) return bc_fail(req, BC_EUNAVAILABLE, "The store is not answering.");
    return bc_reply_json(req, 200, json_pack("{s:s}", "status", "ready"));
}

int bc_api_openapi(struct bc_req *req)
{
    const struct bc_asset *a = bc_asset_find("/v1/openapi.json");
    if (!a) return bc_fail(req, BC_ENOT_FOUND, "No OpenAPI document in this build.");
    return bc_api_serve_asset(req, a);
}

int bc_api_test_sleep(struct bc_req *req)
{
    const char *ms = bc_req_query(req, "ms");
    long v = ms ? strtol(ms, NULL, 10) : 0;
    if (v < 0 || v > 60000) return bc_fail(req, BC_EINVALID, "ms must be 0..60000");
    struct timespec ts = {v / 1000, (v % 1000) * 1000000};
    nanosleep(&ts, NULL);
    return bc_reply_json(req, 200, json_pack("{s:i}", "slept_ms", (int)v));
}

int bc_api_test_echo(struct bc_req *req)
{
    json_t *body;
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    return bc_reply_json(req, 200, json_pack("{s:O}", "echo", body));
}

/* Every item of one partition, for tests that prove another tenant's data is unchanged. */
int bc_api_test_items(struct bc_req *req)
{
    const char *pk = bc_req_query(req, "pk");
    json_t *all = json_array();
    char *cursor = NULL;
    int rc = 0;
    if (!pk) rc = bc_fail(req, BC_EINVALID, "pk is required");
    while (rc == 0) {
        struct bc_query q = {.pk = pk, .limit = 1000, .cursor = cursor};
        struct bc_query_result r;
        rc = bc_store_query(req->srv->store, &q, &r);
        free(cursor);
        cursor = NULL;
        if (rc < 0) break;
        json_array_extend(all, r.items);
        cursor = r.next_cursor;
        r.next_cursor = NULL;
        bc_query_result_release(&r);
        if (!cursor) break;
    }
    if (rc < 0) {
        json_decref(all);
        return rc;
    }
    return bc_reply_json(req, 200, json_pack("{s:o}", "items", all));
}

/* POST /v1/test/clock {"advance_s":N}: moves the server's clock forward. */
int bc_api_test_clock(struct bc_req *req)
{
    json_t *body;
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    json_t *adv = json_object_get(body, "advance_s");
    if (!json_is_integer(adv) || json_integer_value(adv) < 0)
        return bc_fail(req, BC_EINVALID, "advance_s >= 0");
    bc_clock_advance(json_integer_value(adv));
    return bc_reply_json(req, 200, json_pack("{s:I}", "now", (json_int_t)bc_now_s()));
}

/* POST /v1/test/fault {"point":NAME,"count":N,"kill":bool}: arms a fault injection point (with kill: the
 * N-th pass SIGKILLs the process there). */
int bc_api_test_fault(struct bc_req *req)
{
    json_t *body;
    int rc = bc_req_json(req, &body);
    if (rc < 0) return rc;
    json_t *c = json_object_get(body, "count");
    const char *point = json_string_value(json_object_get(body, "point"));
    int n = json_is_integer(c) ? (int)json_integer_value(c) : 1;
    if ((json_is_true(json_object_get(body, "kill")) ? bc_fault_arm_kill(point ? point : "", n)
                                                     : bc_fault_arm(point ? point : "", n)) < 0)
        return bc_fail(req, BC_EINVALID, "unknown fault point");
    return bc_reply_json(req, 200, json_pack("{s:b}", "armed", 1));
}
