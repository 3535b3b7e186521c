/* guard_int.h — the SQL guard's two steps that need no DuckDB, for fuzzing and tests. Nothing
 * in the server calls them directly: guard_check (guard.h) runs both, with DuckDB's parser in
 * between. */
#ifndef DA_QUERY_GUARD_INT_H
#define DA_QUERY_GUARD_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "query/guard.h"

/* The check of the text alone, before DuckDB parses it: NULL, invalid UTF-8, and texts too
 * costly to parse (a WITH inside a WITH query, MATERIALIZED CTEs, more than GUARD_MAX_CTES
 * CTEs). Zeroes *out first; true when the text may go to the parser, false with the refusal
 * in *out (never any tables, so no cleanup is needed). It does not check the length against
 * GUARD_SQL_MAX: guard_check does that first. */
bool guard_text_ok(const char *sql, struct guard_result *out);

/* The walk of a parse tree: root is json_serialize_sql's output ({"error": true, ...} or
 * {"statements": [...]}), borrowed. Zeroes *out first and leaves the verdict in it; the caller
 * releases *out with guard_result_cleanup. Any tree is accepted, however malformed: what the
 * walk does not know it refuses. */
void guard_check_tree(json_t *root, const struct guard_policy *p, struct guard_result *out);

/* The caller-independent half of guard_check_tree: the walk, recording the catalog tables
 * named instead of asking a policy (guard.h: struct guard_parse). Zeroes *out first; the
 * caller releases it with guard_parse_cleanup. */
void guard_parse_tree(json_t *root, struct guard_parse *out);

#endif
