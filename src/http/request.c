/* Request accessors and reply helpers used by every handler. Replies may be built from any thread (for
 * suspended requests); only queueing, in server.c, touches the connection. */
#include "http/http.h"
#include "http/region.h"
#include "http/server.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- the client address (trusted_proxies and X-Forwarded-For) ---- */

/* n bytes of s as an IP address into 16 bytes (IPv4 mapped); false when they are not one */
static bool parse_ip(const char *s, size_t n, unsigned char out[16])
{
    char buf[INET6_ADDRSTRLEN + 1];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    struct in_addr a4;
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return true;
    }
    return inet_pton(AF_INET6, buf, out) == 1;
}

static bool is_v4(const unsigned char ip[16])
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(ip, prefix, 12) == 0;
}

static void ip_text(const unsigned char ip[16], char out[INET6_ADDRSTRLEN])
{
    if (!inet_ntop(is_v4(ip) ? AF_INET : AF_INET6, is_v4(ip) ? ip + 12 : ip, out, INET6_ADDRSTRLEN))
        snprintf(out, INET6_ADDRSTRLEN, "?");
}

int bc_cidr_parse_list(const char *list, struct bc_cidr *out, int max, char *err, size_t errsize)
{
    int n = 0;
    for (const char *p = list ? list : ""; *p;) {
        while (*p == ',' || *p == ' ' || *p == '\t') p++;
        if (!*p) break;
        size_t len = strcspn(p, ", \t");
        const char *slash = memchr(p, '/', len);
        size_t alen = slash ? (size_t)(slash - p) : len;
        struct bc_cidr c;
        bool ok = n < max && parse_ip(p, alen, c.addr);
        c.bits = ok && is_v4(c.addr) ? 32 : 128;
        if (ok && slash) {
            char *end;
            long b = strtol(slash + 1, &end, 10);
            ok = end == p + len && slash + 1 < p + len && b >= 0 && b <= c.bits;
            c.bits = (int)b;
        }
        if (!ok) {
            snprintf(err, errsize, "trusted_proxies: '%.*s' is not an address or CIDR block%s", (int)len, p,
                     n >= max ? " (too many entries)" : "");
            return BC_EINVALID;
        }
        if (is_v4(c.addr)) c.bits += 96;
        out[n++] = c;
        p += len;
    }
    return n;
}

bool bc_cidr_match(const struct bc_cidr *list, int n, const unsigned char ip[16])
{
    for (int i = 0; i < n; i++) {
        int full = list[i].bits / 8, rest = list[i].bits % 8;
        if (memcmp(list[i].addr, ip, (size_t)full) != 0) continue;
        if (rest && ((list[i].addr[full] ^ ip[full]) & (0xff00 >> rest) & 0xff)) continue;
        return true;
    }
    return false;
}

static enum MHD_Result join_xff(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct bc_buf *b = cls;
    (void)kind;
    if (value && strcasecmp(key, "X-Forwarded-For") == 0) {
        if (b->len) bc_buf_putc(b, ',');
        bc_buf_puts(b, value);
    }
    return MHD_YES;
}

/* The right-most X-Forwarded-For entry that is not a trusted proxy into ip; false when the header is
 * absent or malformed (then the peer stays the client). Several header lines are one list, in order. */
static bool forwarded_client(struct bc_req *req, unsigned char ip[16])
{
    struct bc_buf b = {0};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, join_xff, &b);
    bool found = false;
    size_t end = b.len;
    for (int hops = 0; b.data && end > 0 && hops < 64; hops++) {
        size_t start = end;
        while (start > 0 && b.data[start - 1] != ',') start--;
        size_t s = start, e = end;
        while (s < e && (b.data[s] == ' ' || b.data[s] == '\t')) s++;
        while (e > s && (b.data[e - 1] == ' ' || b.data[e - 1] == '\t')) e--;
        unsigned char hop[16];
        if (!parse_ip(b.data + s, e - s, hop)) break; /* malformed: trust nothing of it */
        memcpy(ip, hop, 16);
        found = true;
        if (!bc_cidr_match(req->srv->trusted, req->srv->ntrusted, hop)) break;
        end = start > 0 ? start - 1 : 0;
        if (start == 0) break; /* every entry a trusted proxy: the left-most is the client */
    }
    bc_buf_release(&b);
    return found;
}

const char *bc_req_remote(struct bc_req *req)
{
    if (req->remote) return req->remote;
    /* a write forwarded by another region (http/region.h): the client is the one that region saw, but only
     * when its signed header verifies */
    const char *fwd = bc_region_forwarded_client(req);
    if (fwd) return req->remote = fwd;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char buf[INET6_ADDRSTRLEN] = "?";
    unsigned char ip[16];
    bool have = false;
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET) {
            memset(ip, 0, 10);
            ip[10] = ip[11] = 0xff;
            memcpy(ip + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
            have = true;
        } else if (sa->sa_family == AF_INET6) {
            memcpy(ip, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
            have = true;
        }
    }
    if (have) {
        unsigned char client[16];
        if (req->srv && req->srv->ntrusted > 0 && bc_cidr_match(req->srv->trusted, req->srv->ntrusted, ip) &&
            forwarded_client(req, client))
            memcpy(ip, client, 16);
        ip_text(ip, buf);
    }
    const char *s = bc_arena_strdup(&req->arena, buf);
    req->remote = s;
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
