/* Prometheus primitives shared by the layers that measure themselves (HTTP, store, LLM): lock-free
 * histograms with fixed buckets, and writers for the text exposition format (version 0.0.4). Each layer
 * keeps its own metric state and writes its families; http/metrics.c assembles GET /metrics.
 *
 * DESIGN NOTES
 * - A histogram is an array of atomic counters (one per bucket, not cumulative, plus +Inf) and an atomic
 *   sum in nanoseconds: observing is a few relaxed atomic adds, no lock. The writer makes the buckets
 *   cumulative; a scrape racing an observation may see the count and the sum one observation apart, which
 *   Prometheus tolerates. */
#ifndef BC_METRICS_H
#define BC_METRICS_H
#include <stdatomic.h>
#include <stdint.h>

#include "util/buf.h"

#define BC_HIST_MAX_BUCKETS 16

/* Upper bounds in seconds, ascending; n <= BC_HIST_MAX_BUCKETS. */
struct bc_hist_bounds {
    int n;
    double le[BC_HIST_MAX_BUCKETS];
};

/* Request-style latencies: 0.5 ms .. 10 s. */
extern const struct bc_hist_bounds bc_hist_fast;
/* Slow upstreams (LLM calls): 0.1 s .. 120 s. */
extern const struct bc_hist_bounds bc_hist_slow;

struct bc_hist {
    const struct bc_hist_bounds *bounds;           /* set before the first observation (static initialiser) */
    atomic_ullong bucket[BC_HIST_MAX_BUCKETS + 1]; /* the last one is +Inf */
    atomic_ullong sum_ns;
};

/* Records one duration in nanoseconds (negative counts as 0). */
void bc_hist_observe_ns(struct bc_hist *h, int64_t ns);
/* Observations so far. */
uint64_t bc_hist_count(const struct bc_hist *h);

/* "# HELP name help\n# TYPE name type\n" (type: counter, gauge, histogram). */
void bc_metrics_family(struct bc_buf *b, const char *name, const char *type, const char *help);
/* Appends v as a label value: backslash, double quote and newline escaped. */
void bc_metrics_label_value(struct bc_buf *b, const char *v);
/* One sample line: name{labels} value ("labels" is the inside of the braces, already escaped, or "" / NULL
 * for none). Integers print without a fraction. */
void bc_metrics_sample(struct bc_buf *b, const char *name, const char *labels, double value);
/* The _bucket, _sum and _count lines of one histogram series; labels as for bc_metrics_sample. */
void bc_metrics_hist(struct bc_buf *b, const char *name, const char *labels, const struct bc_hist *h);
/* The standard process families (from /proc/self): process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_cpu_seconds_total, process_open_fds, process_start_time_seconds,
 * and bookchat_uptime_seconds. Real time, never the tests' shifted clock. */
void bc_metrics_process(struct bc_buf *b);

#endif
