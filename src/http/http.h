/* The request and response of bookchat's HTTP layer, as handlers see them: path parameters, query, headers,
 * the JSON body, the tenant context, and the reply helpers. Handlers return 0 after replying, or a negative
 * bc_err (optionally with a message set by bc_fail) that the server renders in the error format. */
#ifndef BC_HTTP_H
#define BC_HTTP_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/context.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/id.h"

struct MHD_Connection;
struct MHD_Response;
struct bc_server;
struct bc_route;

enum bc_method {
    BC_GET = 1,
    BC_POST = 2,
    BC_PUT = 4,
    BC_PATCH = 8,
    BC_DELETE = 16,
    BC_OPTIONS = 32,
    BC_HEAD = 64,
};

#define BC_MAX_PARAMS       6
#define BC_MAX_RESP_HEADERS 16

/* A handler's return value when it suspended the request to finish it later (see bc_req_suspend). */
#define BC_ASYNC 1

enum bc_req_state { BC_REQ_READING, BC_REQ_RUNNING, BC_REQ_SUSPENDED, BC_REQ_READY, BC_REQ_DONE };

struct bc_env;
struct bc_req;

/* What carries a request: server.c's libmicrohttpd connection, or lambda.c's API Gateway / Function URL
 * event. The request's headers, query and peer come from it, and a parked (suspended) request is woken
 * through it; everything else — the request object, routing, auth, handlers, replies, the standard
 * response headers, usage, the access log (bc_req_new, bc_req_each_header, bc_req_seal, bc_req_done) — is
 * one path whatever the transport. */
struct bc_transport {
    const char *name; /* "http", "lambda" */
    /* a request header (case-insensitive name) or NULL; borrowed for the request's lifetime */
    const char *(*header)(struct bc_req *req, const char *name);
    /* every line of a header, comma-joined, appended to out (X-Forwarded-For) */
    void (*header_all)(struct bc_req *req, const char *name, struct bc_buf *out);
    /* a decoded query argument or NULL */
    const char *(*query)(struct bc_req *req, const char *name);
    /* fn(ud, key, value) for each query argument, in order (value NULL for "?flag") */
    void (*each_query)(struct bc_req *req, void (*fn)(void *ud, const char *key, const char *value),
                       void *ud);
    /* the peer's address (16 bytes, IPv4 mapped); false when unknown */
    bool (*peer)(struct bc_req *req, unsigned char ip[16]);
    /* wakes a parked request after bc_req_resume (called under srv->async_mu); NULL: nothing to wake */
    void (*wake)(struct bc_req *req);
    bool streams; /* can send an event stream as it is produced (sse.c); false: replies are buffered */
};

struct bc_req {
    struct bc_server *srv;
    /* the environment (store, caches, meter) the request is served from: the server's own (req_new). Every
     * handler reaches the domain through it, never through srv, so that a tenant's requests can later be
     * routed to another store (issue 22: dedicated environments) by changing only this field. */
    struct bc_env *env;
    const struct bc_transport *tx;
    struct MHD_Connection *conn; /* tx "http": the connection */
    void *tx_ud;                 /* the transport's own data (tx "lambda": the event) */
    int64_t deadline_ns;         /* monotonic time by which the answer must be sent; 0: none (Lambda's) */
    enum bc_method method;
    const char *method_str;
    const char *path;       /* decoded path, without the query string */
    char id[BC_ID_LEN + 1]; /* request id, echoed as X-Request-Id */
    struct bc_arena arena;  /* request-lifetime memory */
    int64_t t_start_ns;     /* monotonic */
    const char *remote;     /* the client address, once bc_req_remote has worked it out (in the arena) */
    enum bc_req_state state;
    bool parked; /* the transport parked it (MHD_suspend_connection) and has not woken it (server's lock) */

    /* request body */
    struct bc_buf body;
    bool body_too_large;
    json_t *json; /* parsed by bc_req_json, owned by the request */

    /* routing */
    const struct bc_route *route;
    int nparams;
    const char *param_names[BC_MAX_PARAMS];
    const char *params[BC_MAX_PARAMS];

    /* the tenant context, filled by the router from the credential only (auth/context.h) */
    struct bc_ctx ctx;
    bool refused_early; /* refused over its limits as its headers arrived (bc_router_refuse_early) */
    bool key_known;     /* authenticated from its key's checked record (http/key_records.h): an active tenant,
                         * whose META (ctx.tenant) was not read */
    bool placed;        /* req->env is a tenant's dedicated env (for the placement label of /metrics) */

    /* home regions (http/region.h): X-Bookchat-Forwarded looked at (0 not yet, 1 absent, 2 verified, 3 not
     * verified), the origin region and client address it names, and whether the answer is the home
     * region's (then this region does not count it) */
    signed char fwd;
    const char *fwd_origin, *fwd_client;
    bool proxied;

    /* audit: set by platform handlers to the tenant a write concerns (admin writes use ctx.tenant_id), and
     * optionally a detail object (owned by the request) recorded with the entry */
    const char *audit_tenant;
    json_t *audit_detail;

    /* response: status (0 until a reply is set), content type, and the body bytes, or a stream the transport
     * itself sends (sse.c: a libmicrohttpd callback response) */
    int status;
    const char *ctype; /* static or arena */
    const void *resp_body;
    bool resp_owned; /* resp_body is malloc'd and freed with the request (or handed to the transport) */
    bool no_store;   /* Cache-Control: no-store */
    struct MHD_Response *stream;
    int nheaders;
    const char *hnames[BC_MAX_RESP_HEADERS];
    const char *hvalues[BC_MAX_RESP_HEADERS];
    const char *err_code; /* for the access log */
    const char *err_msg;  /* set by bc_fail; borrowed from the arena */
    size_t resp_len;

    /* what the request's writes need before its answer may go out (bc_store_defer_begin): the transport
     * waits for it (bc_req_await_durable) */
    struct bc_store_ticket durable;

    /* asynchronous completion (bc_req_resume_with, bc_req_attach); under the server's lock */
    int (*cont)(struct bc_req *req, void *ud);
    void *cont_ud;
    void *attach_ud;
    void (*attach_free)(void *ud);
};

/* Makes a request of srv arriving over tx (method and path as received; the path without its query):
 * an arena, a request id, the server's env. NULL when out of memory. Free with bc_req_free. */
struct bc_req *bc_req_new(struct bc_server *srv, const struct bc_transport *tx, const char *method,
                          const char *path);
void bc_req_free(struct bc_req *req);
/* After the reply is set: counts the tenant's usage (before the client can see the answer) and marks the
 * request done. Every transport calls it just before sending. */
void bc_req_seal(struct bc_req *req);
/* Every header of the reply in order: Content-Type, Cache-Control, the handler's, then the standard ones
 * (X-Request-Id, X-Content-Type-Options, Referrer-Policy, HSTS on https). */
void bc_req_each_header(struct bc_req *req, void (*fn)(void *ud, const char *name, const char *value),
                        void *ud);
/* When the answer is sent (or the client went away: aborted): the access line, the route's metrics, and
 * the request freed. */
void bc_req_done(struct bc_req *req, bool aborted);
/* The continuation loop of a suspended request: runs the continuation a resumed request carries (which may
 * suspend again). Returns BC_ASYNC when the request is (still) suspended — park(req) was then called under
 * the server's lock, and bc_req_resume will call tx->wake — or 0 when its reply is set. */
int bc_req_continue(struct bc_req *req, void (*park)(struct bc_req *req));

/* Once the reply is set: when the request's deferred writes (req->durable) are not yet on disk, suspends the
 * request until they are and returns BC_ASYNC (park(req) called as by bc_req_continue); the reply is then
 * sent as it is, or replaced by a 500 when their sync failed. 0: the reply may go out now. */
int bc_req_await_durable(struct bc_req *req, void (*park)(struct bc_req *req));

/* The value of path parameter {name}; NULL if the route has none. Borrowed for the request's lifetime. */
const char *bc_req_param(struct bc_req *req, const char *name);
/* A query-string argument (decoded) or NULL. */
const char *bc_req_query(struct bc_req *req, const char *name);
/* A request header (case-insensitive name) or NULL. */
const char *bc_req_header(struct bc_req *req, const char *name);
/* The client's IP address as text (borrowed for the request's lifetime): the socket's peer, or, when the
 * peer is one of the trusted_proxies, the right-most X-Forwarded-For entry that is not itself a trusted
 * proxy (a malformed header is ignored: the peer's address). Every per-IP limit, the widget's per-visitor
 * limits and the access log's "remote" use it. */
const char *bc_req_remote(struct bc_req *req);
/* Parses the body as a JSON object into *out (borrowed, owned by the request). Returns 0, or BC_EINVALID
 * with a message set (empty body, malformed JSON, invalid UTF-8, not an object). */
int bc_req_json(struct bc_req *req, json_t **out);
/* Parses ?limit= (default 50, 1..1000) and ?cursor= (NULL if absent). 0 or BC_EINVALID (message set). */
int bc_req_paging(struct bc_req *req, int *limit, const char **cursor);

/* Validates obj against a field table (util/jsonv.h); on failure sets the message and returns BC_EINVALID. */
struct bc_jfield;
int bc_req_check(struct bc_req *req, json_t *obj, const struct bc_jfield *fields);
/* Parses the body (bc_req_json) and validates it (bc_req_check). */
int bc_req_body(struct bc_req *req, const struct bc_jfield *fields, json_t **out);
/* Replies 200 {"items":[…],"next_cursor":…}; takes ownership of items and next_cursor (malloc'd). */
int bc_reply_list(struct bc_req *req, json_t *items, char *next_cursor);
/* Replies {"<name>": obj} with status; takes ownership of obj. */
int bc_reply_wrapped(struct bc_req *req, int status, const char *name, json_t *obj);

/* For domain calls that fill a message buffer: returns rc, with msg as the request's error message when
 * rc < 0 and msg is not empty. */
int bc_fail_msg(struct bc_req *req, int rc, const char *msg);

/* Sets the error message of the failing request and returns err, so a handler can `return bc_fail(...)`. */
int bc_fail(struct bc_req *req, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Replies with a JSON body (takes ownership of body). Returns 0 or BC_ENOMEM. */
int bc_reply_json(struct bc_req *req, int status, json_t *body);
/* The same with the body already serialised: s (len bytes, malloc'd) is taken over. */
int bc_reply_json_text(struct bc_req *req, int status, char *s, size_t len);
/* Replies {"error":{"code","message"}} for err, with msg (NULL: the error's default message). */
int bc_reply_error(struct bc_req *req, int err, const char *msg);
/* Replies with bytes of the given content type. With copy false the data must outlive the response
 * (static data, e.g. embedded assets). */
int bc_reply_bytes(struct bc_req *req, int status, const char *content_type, const void *data, size_t len,
                   bool copy);
/* Replies with an empty body (204, 304, …). */
int bc_reply_empty(struct bc_req *req, int status);
/* Makes the reply a stream the transport sends as it is produced (sse.c; only when tx->streams): status
 * 200, ctype (static), no-store; takes the response over. */
void bc_req_set_stream(struct bc_req *req, struct MHD_Response *stream, const char *ctype);
/* Adds a response header (name and value are copied). Up to BC_MAX_RESP_HEADERS. */
void bc_reply_header(struct bc_req *req, const char *name, const char *value);

/* Asynchronous completion: a handler that must wait (e.g. for an LLM) calls bc_req_suspend and returns
 * BC_ASYNC; later, from any thread, it sets the reply with the bc_reply_* functions and calls
 * bc_req_resume. The server counts suspended requests and resumes them all before shutting down. */
void bc_req_suspend(struct bc_req *req);
void bc_req_resume(struct bc_req *req);
/* A continuation: runs on a server worker thread; it replies and returns 0 (or returns a negative bc_err,
 * rendered like a handler's), or suspends the request again and returns BC_ASYNC. */
typedef int (*bc_req_cont_fn)(struct bc_req *req, void *ud);
/* Like bc_req_resume, but the worker thread that picks the request up again first runs cont(req, ud): the
 * work that follows an upstream's answer (an LLM's) then runs on a server thread, not on the thread that
 * resumed. If the client has gone away meanwhile, cont never runs (see bc_req_attach for the clean-up). */
void bc_req_resume_with(struct bc_req *req, bc_req_cont_fn cont, void *ud);
/* Attaches data to the request: free_fn(ud) is called exactly once when the request is done, however it
 * ends (replied, or the client went away while it was suspended). One attachment per request. */
void bc_req_attach(struct bc_req *req, void *ud, void (*free_fn)(void *ud));

#endif
