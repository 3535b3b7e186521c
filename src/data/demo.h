/* demo.h — the demo company: a deterministic generator of six related tables (customers,
 * products, orders, order_items, web_sessions, support_tickets) written once as an extract
 * under <data_dir>/extracts/demo/, so that `da serve --demo` has real data to serve, and two
 * business metric definitions over them (docs/metrics/finance/revenue.yml and
 * docs/metrics/customers/active_customers.yml, see core/metric_defs.h). */
#ifndef DA_DATA_DEMO_H
#define DA_DATA_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

#define DEMO_SCALE_MIN   1
#define DEMO_SCALE_MAX   1000
#define DEMO_SOURCE_NAME "demo"

struct demo_result {
    bool created; /* true when this call generated the extract */
    int tables;   /* rows of _meta */
    int64_t rows; /* sum of _meta.rows */
};

/* Makes <data_dir>/extracts/demo/ (extract.duckdb plus data/run-.../<table>.parquet) unless
 * extract.duckdb is there already, in which case nothing is written and *out only reports
 * what _meta holds. scale (DEMO_SCALE_MIN..DEMO_SCALE_MAX) multiplies every row count but
 * that of products; the same scale gives the same data on every run. Crash safe through the
 * extract writer: a kill at any moment leaves either no demo extract or a complete one.
 * Concurrent calls on one data folder take turns on the writer's lock. The metric
 * definitions are written when missing, never over an existing file.
 * RC_INVALID for a bad scale, RC_IO or RC_DB on failure (nothing committed then). */
enum rc demo_ensure(const char *data_dir, int scale, struct demo_result *out,
                    struct err *err) WARN_UNUSED;

#endif
