/* The widget's chat turn over HTTP (chatturn.h): a JSON reply or an event stream around the domain's turn. */
#include "http/chatturn.h"
#include "domain/turn.h"
#include "http/api.h"
#include "http/http.h"
#include "http/server.h"
#include "http/sse.h"
#include "util/err.h"

#include <stdlib.h>

/* A turn and what carries it: the request (JSON) or the event stream. */
struct chatturn {
    struct bc_req *req; /* JSON turns only (the request owns the chatturn); NULL for streamed turns */
    struct bc_sse *sse; /* streamed turns only */
    struct bc_turn *turn;
};

static void chatturn_free(void *ud)
{
    struct chatturn *ct = ud;
    if (!ct) return;
    bc_turn_free(ct->turn);
    bc_sse_release(ct->sse);
    free(ct);
}

static const char conflict_msg[] = "Another message of this conversation is being answered; retry.";

static json_t *body_of(struct bc_turn *t)
{
    json_t *conv = bc_turn_conv(t);
    return json_pack("{s:O, s:O, s:O}", "messages", bc_turn_messages(t), "state",
                     json_object_get(conv, "state"), "status", json_object_get(conv, "status"));
}

static int reply(struct bc_req *req, struct bc_turn *t)
{
    int rc = bc_turn_rc(t);
    if (rc == BC_ECONFLICT) return bc_fail(req, rc, conflict_msg);
    if (rc < 0) return rc;
    return bc_reply_json(req, 200, body_of(t));
}

static void stream_finish(struct chatturn *ct)
{
    json_t *body;
    int rc = bc_turn_rc(ct->turn);
    if (rc == 0) {
        body = body_of(ct->turn);
    } else {
        const char *msg = rc == BC_ECONFLICT ? conflict_msg : bc_strerror(rc);
        body = json_pack("{s:{s:s, s:s}}", "error", "code", bc_err_code(rc), "message", msg);
    }
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    bc_sse_send(ct->sse, rc == 0 ? "done" : "error", s ? s : "{}");
    free(s);
    bc_sse_end(ct->sse);
}

static int cont_http(struct bc_req *req, void *ud)
{
    struct chatturn *ct = ud;
    if (bc_turn_resume(ct->turn) == BC_TURN_WAIT) return BC_ASYNC;
    return reply(req, ct->turn);
}

static void cont_stream(void *ud)
{
    struct chatturn *ct = ud;
    if (bc_sse_closed(ct->sse)) { /* the customer left: drop the turn */
        chatturn_free(ct);
        return;
    }
    if (bc_turn_resume(ct->turn) == BC_TURN_WAIT) return;
    stream_finish(ct);
    chatturn_free(ct);
}

/* Before a model call (JSON turns): suspend the request, or resume it when the call could not be made. */
static void on_waiting(void *ud, bool on)
{
    struct chatturn *ct = ud;
    if (on)
        bc_req_suspend(ct->req);
    else
        bc_req_resume(ct->req); /* not waiting after all: the reply is queued as usual */
}

/* On the LLM engine's thread: let a worker thread go on with the turn. */
static void on_answered(void *ud)
{
    struct chatturn *ct = ud;
    if (ct->sse)
        bc_sse_run(ct->sse, cont_stream, ct);
    else
        bc_req_resume_with(ct->req, cont_http, ct);
}

/* On the LLM engine's thread: the agent's text as it arrives. */
static void on_text(const char *text, size_t len, void *ud)
{
    struct chatturn *ct = ud;
    json_t *d = json_pack("{s:s%}", "text", text, len);
    char *s = d ? json_dumps(d, JSON_COMPACT) : NULL;
    if (s) bc_sse_send(ct->sse, "delta", s);
    free(s);
    json_decref(d);
}

int bc_chatturn_run(struct bc_req *req, const struct bc_ctx *ctx, json_t *conv, const char *text,
                    const char *action)
{
    struct chatturn *ct = calloc(1, sizeof *ct);
    if (!ct) return BC_ENOMEM;
    bool stream = bc_sse_wanted(req);
    struct bc_turn_io io = {.answered = on_answered, .ud = ct, .deadline_ns = req->deadline_ns};
    if (stream)
        io.text = on_text;
    else
        io.waiting = on_waiting;
    int rc = bc_turn_new(req->env, ctx, conv, text, action, bc_api_public_url(req->srv), &io, &ct->turn);
    if (rc == 0 && stream) rc = bc_sse_start(req, &ct->sse);
    if (rc < 0) {
        chatturn_free(ct);
        return rc;
    }
    if (stream) {
        /* the stream is the reply; from here on the turn owns itself */
        if (bc_turn_begin(ct->turn) == BC_TURN_WAIT) return 0;
        stream_finish(ct);
        chatturn_free(ct);
        return 0;
    }
    ct->req = req;
    bc_req_attach(req, ct, chatturn_free);
    if (bc_turn_begin(ct->turn) == BC_TURN_WAIT) return BC_ASYNC;
    return reply(req, ct->turn);
}
