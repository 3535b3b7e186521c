/* table_profile.h — the table profiler: a pure computation over one relation of a struct
 * duck that returns aggregate statistics per column as JSON text. It carries aggregates only, never
 * a sample row (the original leaked private rows through profiles); the caller stores or serves the
 * text.
 *
 * The profile JSON:
 *
 *   { "row_count": N,         exact count of rows in the relation
 *     "size_bytes": N,        copied from the options (bytes on disk, from the extract's _meta)
 *     "sampled": bool,        true when the columns were profiled on a sample
 *     "profiled_rows": N,     rows the column statistics are computed over (= row_count unless
 *                             sampled: a reservoir sample of sample_rows rows, seed 42)
 *     "column_count": N,
 *     "columns": [ {
 *         "name": "...", "type": "DECIMAL(18,2)" (DuckDB type text),
 *         "category": "numeric" | "string" | "date" | "timestamp" | "boolean" | "other",
 *         "null_count": N,
 *         "null_share": 0..1 rounded to 4 decimals, null when profiled_rows is 0,
 *         "approx_distinct": N (approx_count_distinct, a HyperLogLog estimate, capped at the
 *                             non-null count),
 *         "min", "max":       numeric, string, date and timestamp columns only; null when the
 *                             column has no value. Numeric: JSON numbers when a double holds
 *                             both exactly (integers up to 2^53, at most 15 significant
 *                             digits), otherwise both are strings with DuckDB's exact text
 *                             (BIGINT near its limits, HUGEINT, DECIMAL(38,10) ...); NaN and
 *                             ±Infinity become null. Date: "YYYY-MM-DD". Timestamp:
 *                             "YYYY-MM-DDTHH:MM:SS[.fraction]", in UTC with a "Z" for TIMESTAMP
 * WITH TIME ZONE, without a zone for plain TIMESTAMP. Infinite dates stay "infinity"/"-infinity".
 * String: truncated to 200 bytes (at a character boundary). "mean", "stddev":   numeric columns
 * only (sample standard deviation); null when not computable (no value, one value for stddev, NaN
 * or Infinity). "top_values": [ { "value": ..., "count": N, "share": 0..1 } ] string (and ENUM) and
 * boolean columns, and numeric columns with at most few_distinct approximate distinct values. Up to
 *                             top_values entries with count >= top_min_count, most frequent
 *                             first, ties by value (in the column's own order); NULL, NaN
 *                             and ±Infinity are never listed. share = count / profiled_rows, 4
 *                             decimals. value is a string (truncated to 200 bytes), a JSON
 *                             boolean, or a number under the min/max rule.
 *         "histogram": { "kind": "numeric" | "date", "bins": [ { "lo", "hi", "count" } ] }
 *                             numeric: histogram_bins equal-width bins from min to max (JSON
 *                             numbers; lo inclusive, hi exclusive but the last bin includes
 *                             max); a single bin when min == max. NaN and ±Infinity are not
 *                             counted. date (DATE and TIMESTAMP columns): by calendar month
 *                             when the months of min and max are less than 36 apart, else by
 *                             year, or by a whole number of years when more than 100 bins
 *                             would be needed; lo and hi are "YYYY-MM-DD" (hi exclusive);
 *                             infinite dates are not counted. Empty bins are listed. Absent
 *                             when the column has no finite value.
 *       } ],
 *     "profiled_at": "YYYY-MM-DDTHH:MM:SSZ" }
 *
 * Categories: numeric = integer types, HUGEINT and UHUGEINT, FLOAT, DOUBLE, DECIMAL; string =
 * VARCHAR and ENUM; date = DATE; timestamp = TIMESTAMP (any precision) and TIMESTAMP WITH TIME
 * ZONE; boolean = BOOLEAN; everything else (LIST, STRUCT, MAP, UNION, ARRAY, BLOB, UUID, TIME,
 * INTERVAL, BIGNUM, BIT ...) is "other" and has only null_count, null_share and
 * approx_distinct. */
#ifndef DA_DATA_TABLE_PROFILE_H
#define DA_DATA_TABLE_PROFILE_H

#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"
#include "data/duck.h"

/* Upper bounds of the options, so a profile stays small. */
#define PROFILE_TOP_VALUES_MAX 1000
#define PROFILE_BINS_MAX       1000
#define PROFILE_DATE_BINS_MAX  100 /* year bins widen to N years beyond this */
#define PROFILE_TEXT_MAX       200 /* bytes of a string value (min, max, top value) */

struct profile_options {
    int64_t sample_rows;   /* profile a reservoir sample of this many rows when the table is
                              bigger; 0 = default 1000000 */
    int top_values;        /* default 10 */
    int histogram_bins;    /* default 15 */
    int64_t size_bytes;    /* bytes on disk, from the extract's _meta; copied into the profile */
    int few_distinct;      /* numeric columns with at most this many approx_distinct values
                              get top_values too; 0 = default 20 */
    int64_t top_min_count; /* a top value is listed only when it occurs at least this often
                              (2 keeps singletons, e.g. one person's e-mail, out); 0 = default 1 */
};

/* Computes the profile of a relation on duck (any thread-confined struct duck). relation_sql is
 * a FROM-clause fragment the CALLER has already made safe, e.g. "\"orders\"" or
 * "read_parquet('/abs/path.parquet')". opt may be NULL for all defaults; a 0 field takes its
 * default, a negative or over-limit one is RC_INVALID. Works on a read-only database: the only
 * thing written is a TEMP table holding the sample, created only when sampling and always
 * dropped before returning. About three scans: count(*), one aggregate pass, one grouped pass
 * (top values and histograms), plus the sampling scan when the table is bigger than
 * sample_rows. On success *out_json is heap JSON text (caller frees with free()); on failure
 * it is NULL and err says why (RC_DB for an engine error, RC_INVALID for bad arguments). */
enum rc profile_compute(struct duck *duck, const char *relation_sql,
                        const struct profile_options *opt, char **out_json,
                        struct err *err) WARN_UNUSED;

#endif
