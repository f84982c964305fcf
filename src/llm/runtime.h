/* The process's LLM runtime for the server: one asynchronous engine and, created on first use from the
 * configuration, one provider of each kind. Request handlers submit through it; `bookchat serve` starts it
 * and stops it before the HTTP server (stopping cancels every call, whose callbacks then resume their
 * suspended requests).
 *
 * DESIGN NOTES
 * - A read-write lock guards the engine pointer: submissions hold it shared, stop takes it exclusively to
 *   clear the pointer, then frees the engine outside the lock (the cancel callbacks may submit nothing
 *   once the pointer is clear: they see "stopped"). Providers are freed after the engine. */
#ifndef BC_LLM_RUNTIME_H
#define BC_LLM_RUNTIME_H
#include <stddef.h>

#include "llm/llm.h"

/* The engine's usage hook (llm.h), installed when the engine starts: call before bc_llm_runtime_start. */
void bc_llm_runtime_set_usage_hook(bc_llm_usage_fn fn, void *ud);
/* Starts the engine (llm_max_connections from the configuration). 0, or a negative bc_err. Idempotent. */
int bc_llm_runtime_start(void);
/* Cancels every call (callbacks run), stops the engine and frees the providers. No-op when not started.
 * Must not be called from a completion callback. */
void bc_llm_runtime_stop(void);
/* True between start and stop. */
int bc_llm_runtime_running(void);
/* bc_llm_submit with the provider of kind (created from the configuration on first use). Returns 0 (done
 * will be called), BC_EUNAVAILABLE (not started, stopping, or circuit open), BC_EINVALID with a reason in
 * err (the provider is not configured, bad options) or BC_ENOMEM; done is then never called. */
int bc_llm_runtime_submit(enum bc_llm_kind kind, const struct bc_llm_conv *conv,
                          const struct bc_llm_opts *opts, bc_llm_done_fn done, void *ud, char *err,
                          size_t errsize);
/* The circuit state of a kind's provider ("closed" when never created). */
const char *bc_llm_runtime_circuit(enum bc_llm_kind kind);
/* The engine's counters (zeros when not started). */
void bc_llm_runtime_stats(struct bc_llm_engine_stats *out);

#endif
