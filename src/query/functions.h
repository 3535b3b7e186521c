/* functions.h — the reviewed table of DuckDB 1.4.4's functions, for the SQL guard. Every
 * scalar, aggregate, window and table function and every macro the pinned DuckDB defines is
 * classified once: a function is allowed only when it computes on its arguments alone.
 * Refused families: it takes SQL text, reads a table named in its arguments, reads files or
 * URLs, reveals settings, the catalog or the environment, changes state, or is internal. A name
 * missing from the table is refused too, so a DuckDB upgrade cannot add a function the guard
 * lets through unreviewed (tests/unit/test_guard.c fails while any function is unclassified).
 *
 * Pragma functions are not in the table: they run only in PRAGMA statements, which the guard
 * refuses (one SELECT only). */
#ifndef DA_QUERY_FUNCTIONS_H
#define DA_QUERY_FUNCTIONS_H

#include <stddef.h>

enum fn_family {
    FN_NONE,        /* no function of that kind by that name (unknown: refused) */
    FN_COMPUTES,    /* computes on its arguments only: allowed */
    FN_SQL_TEXT,    /* takes SQL text (json_serialize_plan, query ...) */
    FN_TABLES,      /* reads a table named in its arguments (histogram_values ...) */
    FN_FILES,       /* reads files or URLs (read_csv, glob, parquet_metadata ...) */
    FN_SETTINGS,    /* reveals settings, variables or secrets (current_setting ...) */
    FN_CATALOG,     /* reveals the catalog (duckdb_tables, current_schema, pg_get_viewdef ...) */
    FN_ENVIRONMENT, /* reveals the server's environment (version, getenv, current_query ...) */
    FN_STATE,       /* changes or reads database state (nextval, setseed, checkpoint ...) */
    FN_INTERNAL,    /* internal to DuckDB, unsafe on crafted input (arrow_scan, stats ...) */
};

/* Where a function is called: scalar covers scalar, aggregate and window functions and scalar
 * macros (an expression); table covers table functions and table macros (a FROM item). */
enum fn_kind { FN_SCALAR, FN_TABLE };

/* The family of the function called name (lower case, as DuckDB's lookup is
 * case-insensitive) in the position kind; FN_NONE for a name the table does not hold in that
 * position. Binary search: a few dozen string compares. */
enum fn_family functions_family(const char *name, enum fn_kind kind);

/* Why a family is refused, as the end of "function x is not allowed: <reason>". */
const char *functions_reason(enum fn_family f);

/* The table itself, in order, for tests: the number of entries and the name of entry i. */
size_t functions_count(void);
const char *functions_name(size_t i);

#endif
