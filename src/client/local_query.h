/* local_query.h — a query over the analyst's own copy of the data (the sync folder's da.duckdb, see
 * client/syncdir.h). The database is opened read-only, so a query never writes the folder
 * `da sync` keeps, and the result is encoded by result_run, so a local answer has the same
 * JSON as the server's POST /api/query. Used by `da query`. */
#ifndef DA_CLIENT_LOCAL_QUERY_H
#define DA_CLIENT_LOCAL_QUERY_H

#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"
#include "data/result.h"

#define LOCAL_QUERY_MAX_ROWS  1000000             /* --limit at most */
#define LOCAL_QUERY_MAX_BYTES (256 * 1024 * 1024) /* encoded rows; past it the result is cut */
#define LOCAL_QUERY_BUF_MAX   (LOCAL_QUERY_MAX_BYTES + 1024 * 1024) /* with the header */

/* Runs sql on the DuckDB file db_path, opened read-only, and appends the result as JSON
 * ({columns, types, rows, row_count, truncated, truncated_by}) to out, which the caller has
 * made with buf_init(out, LOCAL_QUERY_BUF_MAX). At most max_rows rows (1 to
 * LOCAL_QUERY_MAX_ROWS). sql is one query: a SELECT (or WITH, FROM, VALUES ...), or one of
 * DuckDB's SHOW, DESCRIBE and SUMMARIZE, which are run as a subquery. Errors: RC_NOTFOUND
 * when db_path does not exist, RC_CONFLICT when a writer (da sync) holds the database, RC_DB
 * with the engine's message (without the position lines, which point into the wrapped text)
 * when the query fails, RC_INVALID for a bad limit. */
enum rc local_query(const char *db_path, const char *sql, int64_t max_rows, struct buf *out,
                    struct result_stats *st, struct err *err) WARN_UNUSED;

#endif
