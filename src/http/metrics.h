/* The process's Prometheus metrics (GET /metrics): HTTP requests and latency by route name and status
 * class, store operations (store.h), LLM calls, tokens and latency (fed by the LLM usage hook), active
 * conversations, tenants by status and plan, usage flushes, and the process (memory, CPU, uptime). No
 * label carries a tenant id: per-tenant numbers are in the usage API.
 *
 * DESIGN NOTES
 * - Labels are bounded: route names come from the route table (plus "unmatched"), status classes are
 *   1xx..5xx, LLM models are capped at MAX_MODELS distinct values (then "other").
 * - Observing a request is a few relaxed atomic adds on fixed arrays indexed by the route's row. */
#ifndef BC_HTTP_METRICS_H
#define BC_HTTP_METRICS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct bc_route;
struct bc_server;
struct bc_llm_usage_event;

/* One finished request: its route (NULL when no route matched), HTTP status, whether it was served from a
 * tenant's dedicated store (the placement label: "pooled" or "dedicated", never a tenant) and duration. */
void bc_metrics_http_observe(const struct bc_route *route, int status, bool placed, int64_t ns);
/* The LLM engine's usage hook (bc_llm_runtime_set_usage_hook(bc_metrics_llm_hook, NULL)): counts the
 * call, its latency and its tokens by provider and model. A tenant's tokens are metered where the call's
 * tenant is known for certain, by the chat turn's budget (domain/aibudget.h -> bc_usage_ai), not here. */
void bc_metrics_llm_hook(const struct bc_llm_usage_event *ev, void *ud);
/* A conversation had a turn now. bookchat_conversations_active counts the distinct conversations with a
 * turn in the last 15 minutes in this process. */
void bc_metrics_conversation_touch(const char *conv_id);
/* Sets an explicit number of active conversations (e.g. from a shared registry), which then replaces the
 * tracked count; a negative value goes back to tracking. */
void bc_metrics_conversations_set(long n);
/* One request refused by a limit: a widget visitor limit (enum bc_visitor_limit, domain/visitor.h),
 * BC_METRICS_LIMIT_KEY (the widget key's bucket), BC_METRICS_LIMIT_CHALLENGE (a missing or bad
 * proof-of-work solution, 428) or BC_METRICS_LIMIT_MANAGE (a client address's requests to the manage
 * page's API); bookchat_limited_total{limit="<name>"} counts them. */
#define BC_METRICS_LIMIT_KEY       10 /* BC_VL__COUNT: checked in metrics.c */
#define BC_METRICS_LIMIT_CHALLENGE (BC_METRICS_LIMIT_KEY + 1)
#define BC_METRICS_LIMIT_MANAGE    (BC_METRICS_LIMIT_CHALLENGE + 1)
#define BC_METRICS_LIMITS          (BC_METRICS_LIMIT_MANAGE + 1)
void bc_metrics_limited(int limit);
/* The whole exposition (text format 0.0.4) into b. srv may be NULL (no HTTP gauges). Reads the tenant
 * index at most every 30 seconds for the tenants gauge. */
int bc_metrics_render(struct bc_server *srv, struct bc_buf *b);
/* The content type of the exposition. */
#define BC_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A second listener that serves only GET /metrics, without credentials (metrics_listen setting): for a
 * scrape address that is not reachable from outside. *bound: the port it listens on (port 0 picks one).
 * Returns 0 or a negative bc_err with a message. */
int bc_metrics_listen(struct bc_server *srv, const char *listen, uint16_t *bound, char *err, size_t errsize);
/* Stops that listener (a no-op when none). */
void bc_metrics_listen_stop(void);
/* Forgets every recorded value (tests). */
void bc_metrics_reset(void);

#endif
