/* guard.h — the SQL guard of the governed query endpoint. It decides whether one SQL text may
 * run for a caller, on DuckDB's own parse tree (json_serialize_sql) and never on the text: one
 * SELECT statement; every table it reads is a CTE in scope or a catalog table the caller may
 * read; no other catalogs or schemas, no files, no table functions but range, generate_series
 * and unnest, no functions that reveal the server's settings or catalog. Nothing is executed.
 *
 * The one check made on the text itself only refuses, never permits: DuckDB 1.4.4 parses
 * WITH clauses nested inside a WITH query in exponential time and memory, so such texts (and
 * more than GUARD_MAX_CTES CTEs, or MATERIALIZED CTEs) are refused before DuckDB sees them. */
#ifndef DA_QUERY_GUARD_H
#define DA_QUERY_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compat.h"
#include "base/rc.h"

struct duck;

#define GUARD_SQL_MAX  (64 * 1024) /* the longest SQL text the guard parses, in bytes */
#define GUARD_MAX_CTES 32          /* CTE definitions per query (DuckDB's cost is quadratic) */

enum guard_verdict {
    GUARD_OK,
    GUARD_BAD_SQL,   /* answer 400: not one valid SELECT, or a table that does not exist */
    GUARD_FORBIDDEN, /* answer 403: a table, file, function or construct the caller may not use */
};

enum guard_access { GUARD_READABLE, GUARD_NOT_READABLE, GUARD_NO_SUCH_TABLE };

/* Decides one table of the catalog: id is the referenced name lower-cased (DuckDB identifiers
 * are case-insensitive), and always a canonical table id (ident_is_table_id). */
typedef enum guard_access (*guard_table_fn)(void *ctx, const char *id);

struct guard_policy {
    /* Admins may read every table of the catalog, but the statement rules still apply
     * (read-only, one SELECT, no files, no table functions but the allowlist, no other
     * catalogs). For admins table() is still called, but only to learn whether the table
     * exists: GUARD_NOT_READABLE counts as readable, GUARD_NO_SUCH_TABLE is still refused (so
     * that the system views DuckDB resolves by bare name, such as duckdb_tables or pg_tables,
     * stay out of reach). */
    bool admin;
    /* Called for every base-table reference that is not a CTE in scope. NULL means no table
     * exists. */
    guard_table_fn table;
    void *ctx;
};

struct guard_result {
    enum guard_verdict verdict;
    /* Names the table or construct: "table customers: you may not read it", "table function
     * read_csv is not allowed", "only one SELECT statement is allowed", "file paths cannot be
     * read as tables: 'x.parquet'" ... Empty for GUARD_OK. */
    char message[512];
    /* GUARD_OK only: canonical ids of the catalog tables the query reads (for the audit log),
     * sorted and unique. NULL and 0 for a refusal. */
    char **tables;
    size_t n_tables;
};

/* Checks sql for the caller described by p. duck is any connection: the parse runs
 * json_serialize_sql on it and nothing is executed. RC_OK means a verdict was reached (in
 * *out, which the caller releases with guard_result_cleanup); RC_TOOBIG when sql is longer
 * than GUARD_SQL_MAX, RC_DB when DuckDB failed (err says why): then *out holds no tables and
 * its verdict is GUARD_BAD_SQL, so that the verdict alone never lets such a query through. */
enum rc guard_check(struct duck *duck, const char *sql, const struct guard_policy *p,
                    struct guard_result *out, struct err *err) WARN_UNUSED;

/* Frees the table list and zeroes r. Accepts NULL and a zeroed result. */
void guard_result_cleanup(struct guard_result *r);

#endif
