/* Request accessors and reply helpers used by every handler. Replies may be built from any thread (for
 * suspended requests); only queueing, in server.c, touches the connection. */
#include "http/http.h"
#include "http/server.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bc_req_param(struct bc_req *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0) return req->params[i];
    return NULL;
}

const char *bc_req_query(struct bc_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *bc_req_header(struct bc_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *bc_req_remote(struct bc_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char buf[INET6_ADDRSTRLEN] = "?";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf);
    }
    const char *s = bc_arena_strdup(&req->arena, buf);
    return s ? s : "?";
}

int bc_fail(struct bc_req *req, int err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    req->err_msg = bc_arena_strdup(&req->arena, msg);
    return err;
}

int bc_req_json(struct bc_req *req, json_t **out)
{
    *out = NULL;
    if (req->json) {
        *out = req->json;
        return 0;
    }
    if (req->body.len == 0) return bc_fail(req, BC_EINVALID, "A JSON object body is required.");
    json_error_t e;
    json_t *j = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        return bc_fail(req, BC_EINVALID, "Malformed JSON at line %d column %d: %s", e.line, e.column, e.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return bc_fail(req, BC_EINVALID, "The body must be a JSON object.");
    }
    req->json = j;
    *out = j;
    return 0;
}

int bc_req_paging(struct bc_req *req, int *limit, const char **cursor)
{
    const char *l = bc_req_query(req, "limit");
    *limit = 50;
    *cursor = bc_req_query(req, "cursor");
    if (*cursor && (!**cursor || strlen(*cursor) > 600)) return bc_fail(req, BC_EINVALID, "Invalid cursor.");
    if (l) {
        char *end;
        long v = strtol(l, &end, 10);
        if (!*l || *end || v < 1 || v > 1000)
            return bc_fail(req, BC_EINVALID, "limit must be an integer from 1 to 1000.");
        *limit = (int)v;
    }
    return 0;
}

void bc_reply_header(struct bc_req *req, const char *name, const char *value)
{
    if (req->nheaders >= BC_MAX_RESP_HEADERS) return;
    req->hnames[req->nheaders] = bc_arena_strdup(&req->arena, name);
    req->hvalues[req->nheaders] = bc_arena_strdup(&req->arena, value);
    if (req->hnames[req->nheaders] && req->hvalues[req->nheaders]) req->nheaders++;
}

static int set_response(struct bc_req *req, int status, struct MHD_Response *r, const char *ctype, size_t len)
{
    if (!r) return BC_ENOMEM;
    if (req->resp) MHD_destroy_response(req->resp);
    if (ctype) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    req->resp = r;
    req->status = status;
    req->resp_len = len;
    return 0;
}

int bc_reply_bytes(struct bc_req *req, int status, const char *content_type, const void *data, size_t len,
                   bool copy)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)data, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    return set_response(req, status, r, content_type, len);
}

int bc_reply_empty(struct bc_req *req, int status)
{
    return bc_reply_bytes(req, status, NULL, "", 0, false);
}

int bc_reply_json(struct bc_req *req, int status, json_t *body)
{
    size_t len = 0;
    char *s = body ? bc_json_dumps(body, &len) : NULL; /* json_dumps' bytes, faster */
    json_decref(body);
    if (!s) return BC_ENOMEM;
    return bc_reply_json_text(req, status, s, len);
}

int bc_reply_json_text(struct bc_req *req, int status, char *s, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return BC_ENOMEM;
    }
    set_response(req, status, r, "application/json; charset=utf-8", len);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return 0;
}

int bc_reply_error(struct bc_req *req, int err, const char *msg)
{
    if (err >= 0) err = BC_EINTERNAL;
    req->err_code = bc_err_code(err);
    json_t *m = json_string(msg ? msg : bc_strerror(err));
    if (!m) m = json_string(bc_strerror(err)); /* msg was not valid UTF-8 */
    json_t *body = json_pack("{s:{s:s, s:o}}", "error", "code", bc_err_code(err), "message", m);
    return bc_reply_json(req, bc_err_status(err), body);
}

int bc_req_check(struct bc_req *req, json_t *obj, const struct bc_jfield *fields)
{
    char msg[256];
    if (bc_json_check(obj, fields, msg, sizeof msg) < 0) return bc_fail(req, BC_EINVALID, "%s", msg);
    return 0;
}

int bc_req_body(struct bc_req *req, const struct bc_jfield *fields, json_t **out)
{
    int rc = bc_req_json(req, out);
    if (rc == 0) rc = bc_req_check(req, *out, fields);
    return rc;
}

int bc_reply_list(struct bc_req *req, json_t *items, char *next_cursor)
{
    json_t *body =
        json_pack("{s:o, s:s?}", "items", items ? items : json_array(), "next_cursor", next_cursor);
    if (body && !next_cursor) json_object_set_new(body, "next_cursor", json_null());
    free(next_cursor);
    return bc_reply_json(req, 200, body);
}

int bc_reply_wrapped(struct bc_req *req, int status, const char *name, json_t *obj)
{
    return bc_reply_json(req, status, json_pack("{s:o}", name, obj ? obj : json_null()));
}

int bc_fail_msg(struct bc_req *req, int rc, const char *msg)
{
    if (rc < 0 && msg && *msg) return bc_fail(req, rc, "%s", msg);
    return rc;
}
