/* metrics.h — process-wide counters, gauges and histograms, rendered in the Prometheus text
 * format for GET /metrics. Every metric is declared once in the table of metrics.c (name,
 * type, help); a series is a metric plus its label text, e.g. route="/api/query",status="200".
 * Callers pass only bounded label values (route patterns, never raw paths), so the number of
 * series stays small. Safe from any thread. */
#ifndef DA_BASE_METRICS_H
#define DA_BASE_METRICS_H

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"

/* Adds v to a counter. labels may be NULL. */
void metrics_count(const char *name, const char *labels, double v);

/* Sets a gauge. */
void metrics_set(const char *name, const char *labels, double v);

/* Records one observation (seconds) in a histogram. */
void metrics_observe(const char *name, const char *labels, double seconds);

/* Appends every series to out in the Prometheus text format (version 0.0.4). */
enum rc metrics_render(struct buf *out) WARN_UNUSED;

/* Forgets every series (tests). */
void metrics_reset(void);

#endif
