/* metrics.c — the metrics registry (see metrics.h): one mutex over a small array of series,
 * searched linearly, because da has tens of series and each request touches two. */
#include "base/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

enum metric_type { COUNTER, GAUGE, HISTOGRAM };

struct metric {
    const char *name;
    enum metric_type type;
    const char *help;
};

static const struct metric metrics[] = {
    { "da_http_requests_total", COUNTER, "HTTP requests by route, method and status" },
    { "da_http_request_duration_seconds", HISTOGRAM, "HTTP request latency by route" },
    { "da_queries_total", COUNTER,
      "queries by outcome (ok, bad_sql, forbidden, too_many,"
      " timeout, cancelled, memory, crashed, shutdown)" },
    { "da_query_duration_seconds", HISTOGRAM, "query latency, checks included" },
    { "da_query_rows_total", COUNTER, "rows returned by queries" },
    { "da_queries_running", GAUGE, "queries running now (checked and executing)" },
    { "da_query_workers", GAUGE, "query worker processes running now" },
    { "da_query_worker_restarts_total", COUNTER,
      "query workers killed or dead and replaced (timeout, memory, cancelled, crash)" },
    { "da_query_worker_kills_total", COUNTER, "query workers ended, by reason" },
    { "da_guard_parses_total", COUNTER,
      "SQL texts the guard needed parsed, by cache (hit: reused, miss: parsed by DuckDB)" },
    { "da_downloads_total", COUNTER, "file downloads by result (ok, partial, not_modified)" },
    { "da_catalog_rebuilds_total", COUNTER, "catalog rebuilds by result" },
    { "da_catalog_rebuild_duration_seconds", HISTOGRAM, "catalog rebuild time" },
    { "da_catalog_generation", GAUGE, "number of the catalog generation being served" },
    { "da_catalog_tables", GAUGE, "tables of the current generation by status" },
    { "da_jobs_total", COUNTER,
      "connector jobs by source and outcome (succeeded, failed, retried, cancelled)" },
    { "da_source_last_success_timestamp_seconds", GAUGE,
      "when a source's last job succeeded (Unix time)" },
    { "da_job_duration_seconds", HISTOGRAM, "connector job run time by source" },
    { "da_http_connections_cut_total", COUNTER,
      "connections closed for a late request head or a slow body, by reason" },
    { "da_http_connections_refused_total", COUNTER,
      "connections refused on arrival at the connection limit (in all or per address)" },
    { "da_store_busy_total", COUNTER,
      "state store calls that gave up waiting (answered 503), by what they waited for" },
    { "da_credential_cache_total", COUNTER,
      "credential checks by result: hit (answered from memory) or miss (read the store)" },
    { "da_audit_commits_total", COUNTER,
      "group commits of the audit writer by result (each is one transaction, one fsync)" },
    { "da_audit_rows_total", COUNTER, "audit rows written by the audit writer's group commits" },
};

/* Upper bounds in seconds; the last bucket is +Inf. */
static const double buckets[] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                  0.5,   1,     2.5,  5,     10,   30,  60 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct series {
    const struct metric *metric;
    char *labels;                             /* "" when none */
    double value;                             /* counter or gauge; histogram: sum */
    unsigned long long counts[N_BUCKETS + 1]; /* histogram: per bucket, last is +Inf */
    unsigned long long total;                 /* histogram: observations */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct series *all;
static size_t n_all, cap_all;

static const struct metric *metric_named(const char *name)
{
    for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
        if (strcmp(metrics[i].name, name) == 0)
            return &metrics[i];
    return NULL;
}

/* The series of name and labels, made when new; NULL for an undeclared name. Caller holds
 * mu. */
static struct series *series_of(const char *name, const char *labels)
{
    const struct metric *m = metric_named(name);
    if (!m)
        return NULL;
    labels = labels ? labels : "";
    for (size_t i = 0; i < n_all; i++)
        if (all[i].metric == m && strcmp(all[i].labels, labels) == 0)
            return &all[i];
    all = xgrow(all, &cap_all, n_all + 1, sizeof(*all));
    struct series *s = &all[n_all++];
    memset(s, 0, sizeof(*s));
    s->metric = m;
    s->labels = xstrdup(labels);
    return s;
}

void metrics_count(const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&mu);
    struct series *s = series_of(name, labels);
    if (s)
        s->value += v;
    pthread_mutex_unlock(&mu);
}

void metrics_set(const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&mu);
    struct series *s = series_of(name, labels);
    if (s)
        s->value = v;
    pthread_mutex_unlock(&mu);
}

void metrics_observe(const char *name, const char *labels, double seconds)
{
    pthread_mutex_lock(&mu);
    struct series *s = series_of(name, labels);
    if (s) {
        size_t b = 0;
        while (b < N_BUCKETS && seconds > buckets[b])
            b++;
        s->counts[b]++;
        s->total++;
        s->value += seconds;
    }
    pthread_mutex_unlock(&mu);
}

/* The labels of a histogram bucket line: the series' labels plus le. */
static enum rc bucket_line(struct buf *out, const struct series *s, const char *le,
                           unsigned long long cumulative)
{
    return buf_printf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", s->metric->name, s->labels,
                      s->labels[0] ? "," : "", le, cumulative);
}

static enum rc render_series(struct buf *out, const struct series *s)
{
    const char *open = s->labels[0] ? "{" : "", *close = s->labels[0] ? "}" : "";
    if (s->metric->type != HISTOGRAM)
        return buf_printf(out, "%s%s%s%s %.17g\n", s->metric->name, open, s->labels, close,
                          s->value);
    enum rc rc = RC_OK;
    unsigned long long cumulative = 0;
    for (size_t b = 0; !rc && b < N_BUCKETS; b++) {
        char le[32];
        cumulative += s->counts[b];
        snprintf(le, sizeof(le), "%g", buckets[b]);
        rc = bucket_line(out, s, le, cumulative);
    }
    if (!rc)
        rc = bucket_line(out, s, "+Inf", s->total);
    if (!rc)
        rc = buf_printf(out, "%s_sum%s%s%s %.17g\n%s_count%s%s%s %llu\n", s->metric->name, open,
                        s->labels, close, s->value, s->metric->name, open, s->labels, close,
                        s->total);
    return rc;
}

enum rc metrics_render(struct buf *out)
{
    static const char *const type_names[] = {
        [COUNTER] = "counter", [GAUGE] = "gauge", [HISTOGRAM] = "histogram"
    };
    enum rc rc = RC_OK;
    pthread_mutex_lock(&mu);
    for (size_t m = 0; !rc && m < sizeof(metrics) / sizeof(metrics[0]); m++) {
        rc = buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", metrics[m].name, metrics[m].help,
                        metrics[m].name, type_names[metrics[m].type]);
        for (size_t i = 0; !rc && i < n_all; i++)
            if (all[i].metric == &metrics[m])
                rc = render_series(out, &all[i]);
    }
    pthread_mutex_unlock(&mu);
    return rc;
}

void metrics_reset(void)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n_all; i++)
        free(all[i].labels);
    free(all);
    all = NULL;
    n_all = cap_all = 0;
    pthread_mutex_unlock(&mu);
}
