/* guard.h — the SQL guard of the governed query endpoint. It decides whether one SQL text may
 * run for a caller, on DuckDB's own parse tree (json_serialize_sql) and never on the text: one
 * SELECT statement; every table it reads is a CTE in scope or a catalog table the caller may
 * read; no other catalogs or schemas, no files. It allows, it does not deny: every function,
 * aggregate, window function and table function must be one that the reviewed table of
 * functions.c says computes on its arguments alone (range, generate_series, unnest, sum,
 * date_trunc ...); anything else, and any name that table does not hold, is refused. Nothing
 * is executed.
 *
 * It also refuses shapes DuckDB 1.4.4 cannot plan in reasonable time, before DuckDB binds them
 * (the deadline cannot interrupt the binder or the optimizer): nested subqueries and lambdas,
 * whose binding time doubles with every level, too many expressions, and too many tables for
 * the join order optimizer.
 *
 * The one check made on the text itself only refuses, never permits: DuckDB 1.4.4 parses
 * WITH clauses nested inside a WITH query in exponential time and memory, so such texts (and
 * more than GUARD_MAX_CTES CTEs, or MATERIALIZED CTEs) are refused before DuckDB sees them.
 * Deep lambdas and subqueries need no such check: DuckDB parses them quickly (a 64 KB text of
 * either in under 0.2 s); only binding them is slow. */
#ifndef DA_QUERY_GUARD_H
#define DA_QUERY_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compat.h"
#include "base/limits.h" /* GUARD_SQL_MAX */
#include "base/rc.h"

struct duck;

#define GUARD_MAX_CTES 32 /* CTE definitions per query (DuckDB's cost is quadratic) */

/* The pathological shapes, measured on DuckDB 1.4.4 (one core of a shared 2-core machine):
 *   - subqueries (in FROM, or scalar, EXISTS, IN, ANY) nested n deep: binding time doubles per
 *     level; nested EXISTS take 15 ms at 12, 0.25 s at 16, 4 s at 20, and nested scalar
 *     subqueries more than 60 s at 32 (the 125 never ends);
 *   - lambdas nested n deep (list_transform(l, x -> list_transform(...))): 0.03 s at 8, 0.2 s at
 *     18, 2.3 s at 22 and minutes at 26-30;
 *   - as the cost adds up over siblings (eight 14-deep EXISTS chains: 1.4 s), the sum of 2^depth
 *     over every subquery and lambda is capped as well: a 12-deep chain costs 8190, so eight
 *     of them fit (DuckDB binds and runs those in about 0.1 s: test_guard prints it);
 *   - expressions: 20,000 bind in well under a second (a 20,000-value IN list: 0.3 s), and no
 *     query of the 64 KB text limit needs more;
 *   - tables, table functions and subqueries (VALUES lists too) in FROM clauses: the join order
 *     optimizer plans 64 tables joined in a chain in 0.25 s (1.8 s with count(*) on a loaded
 *     machine; 48 tables: 0.4 s), 100 in 25 s and 500 in minutes.
 * Real queries stay far below all five: BI tools nest subqueries a few levels deep, and a
 * lambda inside a lambda is already rare. */
#define GUARD_MAX_SUBQUERY_DEPTH 12
#define GUARD_MAX_LAMBDA_DEPTH   8
#define GUARD_MAX_NESTING_COST   65536
#define GUARD_MAX_EXPRESSIONS    20000
#define GUARD_MAX_FROM_ITEMS     64

/* The status rule of POST /api/query (docs/API.md): SQL refused for what it is answers 400,
 * whoever sends it; only a catalog table the caller may not read answers 403. */
enum guard_verdict {
    GUARD_OK,
    /* answer 400: not one valid SELECT; a table that does not exist; a file or URL; a refused
     * or unknown function; another catalog or schema; a pathological shape */
    GUARD_BAD_SQL,
    GUARD_FORBIDDEN, /* answer 403: a table of the catalog that the caller may not read */
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

/* A guard's work is split in two so that the costly half can be cached (verdict_cache.h):
 * guard_parse reads what the text says, the same for every caller and catalog (DuckDB's
 * parser binds nothing), and guard_decide applies one caller's policy to it, asking p->table
 * about each catalog table the text names. guard_check does both. */

/* A catalog table the text names: id lower-cased (the policy's key), name as written (for
 * the message of a table that does not exist). Both owned by the guard_parse. */
struct guard_ref {
    char *id;
    char *name;
};

/* The caller-independent half of a verdict. */
struct guard_parse {
    /* GUARD_OK or GUARD_BAD_SQL (never GUARD_FORBIDDEN: that depends on the caller) */
    enum guard_verdict verdict;
    char message[512]; /* the refusal; empty for GUARD_OK */
    /* The base-table references that are not CTEs, in the order the walk met them, each id
     * once, and only those met before the first refusal: a policy that refuses one of them
     * refused it before the text's own problem was reached, as a single walk would. */
    struct guard_ref *refs;
    size_t n_refs;
};

/* Reads sql into *out (released with guard_parse_cleanup, also after a failure): the text
 * check, DuckDB's parse on duck (nothing is executed) and the walk. RC_OK when the text was
 * read (out->verdict says whether it is one allowed SELECT); RC_TOOBIG past GUARD_SQL_MAX,
 * RC_DB when DuckDB failed (err says why). */
enum rc guard_parse(struct duck *duck, const char *sql, struct guard_parse *out,
                    struct err *err) WARN_UNUSED;

/* Applies policy p to a parse: the first reference p refuses (or that does not exist) decides,
 * else the parse's own verdict. *out is zeroed first and released with guard_result_cleanup;
 * its tables are the refs' ids, sorted, when the verdict is GUARD_OK. */
void guard_decide(const struct guard_parse *parse, const struct guard_policy *p,
                  struct guard_result *out);

/* Frees the references and zeroes p. Accepts NULL and a zeroed parse. */
void guard_parse_cleanup(struct guard_parse *p);

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
