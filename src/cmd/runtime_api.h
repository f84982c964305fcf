/* The AWS Lambda Runtime API (version 2018-06-01) as a custom runtime speaks it, over libcurl: the next
 * invocation (a long poll), its response or error, and the initialisation error. The endpoint is the
 * AWS_LAMBDA_RUNTIME_API host:port. One client per process, used by one thread. */
#ifndef BC_RUNTIME_API_H
#define BC_RUNTIME_API_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc_rapi;

/* One invocation, as GET …/invocation/next gave it. */
struct bc_invocation {
    char request_id[128];   /* Lambda-Runtime-Aws-Request-Id */
    int64_t deadline_ms;    /* Lambda-Runtime-Deadline-Ms: epoch ms (0: the header was missing) */
    char trace_id[512];     /* Lambda-Runtime-Trace-Id ("" when absent) */
    char function_arn[256]; /* Lambda-Runtime-Invoked-Function-Arn */
    char *event;            /* the body (malloc'd, NUL-terminated; freed by bc_invocation_release) */
    size_t event_len;
};
void bc_invocation_release(struct bc_invocation *inv);

/* A client of the Runtime API at host:port ("127.0.0.1:9001"). NULL when out of memory or host is empty. */
struct bc_rapi *bc_rapi_new(const char *host_port);
void bc_rapi_free(struct bc_rapi *r);
/* Asks curl to give up a call in progress (from a signal handler: only sets a flag). */
void bc_rapi_interrupt(struct bc_rapi *r);
bool bc_rapi_interrupted(const struct bc_rapi *r);

/* GET /2018-06-01/runtime/invocation/next: waits for the next invocation. 0, or BC_EIO (the endpoint is
 * gone, answered other than 200, or an interrupt) with err. */
int bc_rapi_next(struct bc_rapi *r, struct bc_invocation *inv, char *err, size_t errsize);
/* POST …/invocation/{id}/response with body (JSON). 0 or BC_EIO with err. */
int bc_rapi_respond(struct bc_rapi *r, const char *request_id, const char *body, size_t len, char *err,
                    size_t errsize);
/* POST …/invocation/{id}/error, or …/init/error when request_id is NULL: the documented body
 * {"errorMessage","errorType","stackTrace":[]} (application/vnd.aws.lambda.error+json) and the header
 * Lambda-Runtime-Function-Error-Type: type (e.g. "Runtime.InvalidEvent"). 0 or BC_EIO with err. */
int bc_rapi_error(struct bc_rapi *r, const char *request_id, const char *type, const char *message, char *err,
                  size_t errsize);

#endif
