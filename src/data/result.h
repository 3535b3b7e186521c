/* result.h — running one checked SELECT and encoding its result for the wire, as JSON
 * ({columns, types, rows, row_count, truncated, truncated_by}) or as CSV with a header line.
 *
 * Values are typed by DuckDB itself (json_array over the query), so the encoding is exact and
 * vectorised: integers of any width and decimals are JSON numbers written with every digit
 * (a client in JavaScript needs a big-number parser beyond 2^53 to keep them exact); NaN and
 * infinities are null; dates are "YYYY-MM-DD"; timestamps ISO-8601 "YYYY-MM-DDTHH:MM:SS.ffffff"
 * (with "Z" for TIMESTAMP WITH TIME ZONE, in UTC); lists, structs and maps are JSON; blobs are
 * base64; intervals, times and UUIDs are their text. CSV quotes every non-NULL field
 * (RFC 4180) and leaves NULL empty.
 *
 * The caller has checked sql with the SQL guard: it must be exactly one SELECT. It is wrapped
 * as a subquery, so a trailing ';' is dropped and the text is put on its own lines. */
#ifndef DA_DATA_RESULT_H
#define DA_DATA_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"

struct duck;

enum result_format { RESULT_JSON, RESULT_CSV, RESULT_PARQUET };

struct result_limits {
    int64_t max_rows;  /* rows returned at most; more make the result truncated */
    int64_t max_bytes; /* bytes of encoded rows at most; the row that would pass it is left out */
};

struct result_stats {
    int64_t rows;  /* rows returned */
    int64_t bytes; /* bytes of the encoded rows */
    bool truncated;
    const char *truncated_by; /* "rows" or "bytes" when truncated, else NULL (static) */
    int columns;
};

/* Runs sql on conn and appends the encoded result to out (whose own cap must exceed
 * max_bytes plus the header). RC_DB with the engine's message when the query fails (the
 * caller answers 400), RC_INVALID for limits below 1. duck_interrupt on conn from another
 * thread stops it (RC_DB "INTERRUPT Error..."). */
enum rc result_run(struct duck *conn, const char *sql, enum result_format fmt,
                   const struct result_limits *lim, struct buf *out, struct result_stats *st,
                   struct err *err) WARN_UNUSED;

/* Runs sql on conn and writes its result, at most lim->max_rows rows, as a Parquet file (zstd)
 * at path, which must lie in a folder the database may write (the catalog's results folder).
 * The column names and types are DuckDB's own, so the file is exact (HUGEINT and UHUGEINT,
 * which Parquet lacks, become their decimal text; duplicate names get DuckDB's suffixes
 * "_1", ...); lim->max_bytes does not
 * apply (the file is sent from disk, not held in memory) and st->bytes is the file's size.
 * Errors as result_run. */
enum rc result_parquet(struct duck *conn, const char *sql, const char *path,
                       const struct result_limits *lim, struct result_stats *st,
                       struct err *err) WARN_UNUSED;

#endif
