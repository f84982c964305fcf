/* Prometheus histograms and text-format writers, and the process metrics read from /proc/self. */
#include "util/metrics.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

const struct bc_hist_bounds bc_hist_fast = {
    14, {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
const struct bc_hist_bounds bc_hist_slow = {12, {0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 90, 120}};

void bc_hist_observe_ns(struct bc_hist *h, int64_t ns)
{
    if (ns < 0) ns = 0;
    double s = (double)ns / 1e9;
    int i = 0;
    while (i < h->bounds->n && s > h->bounds->le[i]) i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, (unsigned long long)ns, memory_order_relaxed);
}

uint64_t bc_hist_count(const struct bc_hist *h)
{
    uint64_t n = 0;
    for (int i = 0; i <= h->bounds->n; i++) n += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
    return n;
}

void bc_metrics_family(struct bc_buf *b, const char *name, const char *type, const char *help)
{
    bc_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void bc_metrics_label_value(struct bc_buf *b, const char *v)
{
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '\\')
            bc_buf_puts(b, "\\\\");
        else if (*p == '"')
            bc_buf_puts(b, "\\\"");
        else if (*p == '\n')
            bc_buf_puts(b, "\\n");
        else
            bc_buf_putc(b, *p);
    }
}

static void number(struct bc_buf *b, double v)
{
    if (v == floor(v) && fabs(v) < 9e15)
        bc_buf_printf(b, "%lld", (long long)v);
    else
        bc_buf_printf(b, "%.15g", v);
}

void bc_metrics_sample(struct bc_buf *b, const char *name, const char *labels, double value)
{
    if (labels && *labels)
        bc_buf_printf(b, "%s{%s} ", name, labels);
    else
        bc_buf_printf(b, "%s ", name);
    number(b, value);
    bc_buf_putc(b, '\n');
}

void bc_metrics_hist(struct bc_buf *b, const char *name, const char *labels, const struct bc_hist *h)
{
    const char *sep = labels && *labels ? "," : "";
    if (!labels) labels = "";
    unsigned long long cum = 0;
    for (int i = 0; i <= h->bounds->n; i++) {
        cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        if (i < h->bounds->n)
            bc_buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, h->bounds->le[i], cum);
        else
            bc_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, cum);
    }
    double sum = (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9;
    if (*labels)
        bc_buf_printf(b, "%s_sum{%s} %.15g\n%s_count{%s} %llu\n", name, labels, sum, name, labels, cum);
    else
        bc_buf_printf(b, "%s_sum %.15g\n%s_count %llu\n", name, sum, name, cum);
}

/* Start of this process in epoch seconds: boot time (/proc/stat btime) + starttime (/proc/self/stat). */
static double start_time_s(void)
{
    static double cached;
    if (cached > 0) return cached;
    double btime = 0, start_ticks = 0;
    char line[512];
    FILE *f = fopen("/proc/stat", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "btime ", 6) == 0) btime = strtod(line + 6, NULL);
        fclose(f);
    }
    f = fopen("/proc/self/stat", "r");
    if (f) {
        char buf[1024];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
        /* fields after the command name "(…)", which may contain spaces: field 22 is starttime */
        char *p = strrchr(buf, ')');
        for (int field = 2; p && *p && field < 22; field++) p = strchr(p + 1, ' ');
        if (p) start_ticks = strtod(p + 1, NULL);
    }
    long hz = sysconf(_SC_CLK_TCK);
    cached = btime + (hz > 0 ? start_ticks / (double)hz : 0);
    return cached;
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

void bc_metrics_process(struct bc_buf *b)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long vsize_pages = 0, rss_pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%llu %llu", &vsize_pages, &rss_pages) != 2) vsize_pages = rss_pages = 0;
        fclose(f);
    }
    struct rusage ru;
    double cpu = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
              (double)ru.ru_stime.tv_usec / 1e6;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double start = start_time_s(), t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;

    bc_metrics_family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    bc_metrics_sample(b, "process_resident_memory_bytes", NULL, (double)rss_pages * (double)page);
    bc_metrics_family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    bc_metrics_sample(b, "process_virtual_memory_bytes", NULL, (double)vsize_pages * (double)page);
    bc_metrics_family(b, "process_cpu_seconds_total", "counter",
                      "User and system CPU time spent in seconds.");
    bc_metrics_sample(b, "process_cpu_seconds_total", NULL, cpu);
    int fds = open_fds();
    if (fds >= 0) {
        bc_metrics_family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
        bc_metrics_sample(b, "process_open_fds", NULL, fds);
    }
    bc_metrics_family(b, "process_start_time_seconds", "gauge",
                      "Start time of the process since unix epoch in seconds.");
    bc_metrics_sample(b, "process_start_time_seconds", NULL, start);
    bc_metrics_family(b, "bookchat_uptime_seconds", "gauge", "Seconds since this bookchat process started.");
    bc_metrics_sample(b, "bookchat_uptime_seconds", NULL, start > 0 && t > start ? t - start : 0);
}
