/* keboola.h — the Keboola Storage connector: the tables of a Keboola project, exported over the
 * Storage API v2 (libcurl, src/net) and loaded into typed Parquet as the extract of source
 * "keboola" (<data_dir>/extracts/keboola/), one table per registry row with source_type
 * keboola. See docs/CONNECTORS.md. The token comes from the caller (the environment only);
 * no message of this module ever holds it. */
#ifndef DA_CONNECTORS_KEBOOLA_H
#define DA_CONNECTORS_KEBOOLA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

struct registry_table;

#define KEBOOLA_SOURCE "keboola"

struct keboola_settings {
    const char *stack_url;   /* https://connection.keboola.com */
    const char *token;       /* KEBOOLA_STORAGE_TOKEN */
    int parallel;            /* slice downloads at once (0: 4) */
    int retries;             /* retries of a 5xx or a timeout (< 0: 4) */
    int backoff_ms;          /* the first retry's wait, doubled each time (0: 500) */
    int job_timeout_s;       /* the longest wait for an export job (0: 3600) */
    const char *s3_endpoint; /* tests only: base URL of a fake S3 (path-style); NULL: AWS */
};

struct keboola_result {
    int tables;    /* tables in the committed extract */
    int exported;  /* tables exported by this run */
    int skipped;   /* tables skipped (reason logged) */
    int64_t rows;  /* rows exported by this run */
    int64_t bytes; /* Parquet bytes of the committed extract */
};

/* Exports the tables (registry rows with source_type keboola; n of them), each by its
 * sync_strategy, and commits the extract <data_dir>/extracts/keboola. When only is true the
 * rows given are a selection: the other tables of the live extract are kept as they are (when
 * false they are dropped). A row whose source_table is not a safe Keboola id is skipped with a
 * warning. All or nothing: any failure leaves the live extract as it was. After the commit,
 * the start time of this run is kept per incremental table (the next run's changedSince). */
enum rc keboola_extract(const struct keboola_settings *s, const char *data_dir,
                        const struct registry_table *tables, size_t n, bool only,
                        struct keboola_result *out, struct err *err) WARN_UNUSED;

/* Discovery: every table of the project as a JSON array (the caller decrefs *out) of
 * {id, name, bucket, bucket_name, stage, suggested_id, columns: [{name, id, basetype, type}],
 * primary_key: [..], rows, last_change, skipped: reason or null}, from GET /v2/storage/buckets
 * and GET /v2/storage/tables?include=columns,metadata. */
enum rc keboola_discover(const struct keboola_settings *s, json_t **out,
                         struct err *err) WARN_UNUSED;

#endif
