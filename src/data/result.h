/* result.h — running one checked SELECT and encoding its result for the wire, as JSON
 * ({columns, types, rows, row_count, truncated, truncated_by}) or as CSV with a header line.
 *
 * The statement is prepared once (result_prepare: the column names and types come from the
 * prepared statement, no DESCRIBE) and may be run many times with any format and caps
 * (result_exec); result_run does both for a one-off query. Rows are encoded in C from
 * DuckDB's result vectors straight into the output while the query streams: it stops fetching
 * at the row or byte cap, so a result of any size needs memory for the caps only.
 *
 * The encoding is exact: integers of any width are JSON numbers written with every digit (a
 * client in JavaScript needs a big-number parser beyond 2^53 to keep them exact); decimals are
 * JSON numbers as DuckDB's JSON writes them (up to 18 digits through a double, so 12.5000 is
 * 12.5; wider ones with every digit) and in CSV DuckDB's text with every digit; NaN and
 * infinities are null; dates are "YYYY-MM-DD" ("infinity", "0045-03-15 (BC)" as DuckDB
 * writes them); timestamps ISO-8601 "YYYY-MM-DDTHH:MM:SS.ffffff" (with "Z" for TIMESTAMP WITH
 * TIME ZONE, in UTC); lists, structs and maps are JSON; blobs are base64; UUIDs, intervals
 * and times are their text; strings are JSON strings (control characters escaped). CSV quotes
 * every non-NULL field (RFC 4180), leaves NULL empty, and writes nested values as JSON. The
 * types whose text is DuckDB's own (floating point, intervals, times, enums, unions, bit
 * strings, JSON) are converted by DuckDB per column in the prepared statement (to_json or a
 * cast to VARCHAR), so they are exact by construction; the rest are read from the vectors.
 * These are the bytes the former encoder built in SQL (json_array over the query), which the
 * unit tests keep as their oracle.
 *
 * The caller has checked sql with the SQL guard: it must be exactly one SELECT. A statement
 * DuckDB does not classify as a SELECT is refused here too (RC_DB), as defence in depth. */
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

/* A prepared query with its column names, types and encoding plan. Owned by the caller of
 * result_prepare (or by a result_cache), freed with result_stmt_free; tied to the connection
 * it was prepared on, which must outlive it and run one statement at a time. */
struct result_stmt;

/* Prepares sql on conn. RC_DB with the engine's message when DuckDB refuses it (the caller
 * answers 400) or when it is not a SELECT. */
enum rc result_prepare(struct duck *conn, const char *sql, struct result_stmt **out,
                       struct err *err) WARN_UNUSED;

/* Runs stmt and appends the encoded result to out (whose own cap must exceed max_bytes plus
 * the header). RC_DB with the engine's message when the query fails, RC_INVALID for limits
 * below 1, RC_TOOBIG when out's cap is too small. duck_interrupt on the connection from
 * another thread stops it (RC_DB "INTERRUPT Error..."). */
enum rc result_exec(struct result_stmt *stmt, enum result_format fmt,
                    const struct result_limits *lim, struct buf *out, struct result_stats *st,
                    struct err *err) WARN_UNUSED;

/* An estimate of the memory stmt holds (its text, names, types and DuckDB's plan), for a
 * cache's byte budget. */
size_t result_stmt_size(const struct result_stmt *stmt);

/* Frees stmt and its DuckDB statements. Accepts NULL or a pointer to NULL. */
void result_stmt_free(struct result_stmt **stmt);

/* result_prepare + result_exec + result_stmt_free: one query, errors as those. */
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
