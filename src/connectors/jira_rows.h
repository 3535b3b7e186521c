/* jira_rows.h — one Jira issue (the JSON of GET /rest/api/3/issue/{key} with the changelog, or
 * one element of a search's "issues") as rows of the six Jira tables. Every field is
 * type-checked: a field of the wrong type becomes NULL (or 0 for counts), never a crash or a
 * wrong row. Rows are kept as newline-delimited JSON objects, one buffer per table, with the
 * columns of jira_tables plus "_month" (the partition: YYYY-MM of the issue's created time as
 * Jira reported it). Timestamps are UTC, "YYYY-MM-DD HH:MM:SS.mmm". */
#ifndef DA_CONNECTORS_JIRA_ROWS_H
#define DA_CONNECTORS_JIRA_ROWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"

enum jira_table_id {
    JIRA_ISSUES,
    JIRA_COMMENTS,
    JIRA_CHANGELOG,
    JIRA_WORKLOGS,
    JIRA_ISSUELINKS,
    JIRA_ATTACHMENTS,
    JIRA_N_TABLES
};

struct jira_column {
    const char *name;
    const char *type; /* DuckDB type: VARCHAR, BIGINT, TIMESTAMP */
};

struct jira_table {
    const char *name; /* jira_issues, ... */
    const char *description;
    const struct jira_column *columns;
    int n_columns;
};

/* The six tables, indexed by enum jira_table_id (static storage). */
extern const struct jira_table jira_tables[JIRA_N_TABLES];

#define JIRA_ROWS_MAX_BYTES ((size_t)1 << 30) /* NDJSON of one run, per table */

struct jira_rows {
    struct buf lines[JIRA_N_TABLES];
    int64_t n[JIRA_N_TABLES];
    int64_t issues;
};

void jira_rows_init(struct jira_rows *r);
void jira_rows_cleanup(struct jira_rows *r);

/* Adds the rows of one issue. base_url makes issue_url (<base_url>/browse/<key>).
 * RC_BADVALUE (nothing added) when the issue has no valid key; RC_TOOBIG over the cap. */
enum rc jira_rows_add_issue(struct jira_rows *r, const json_t *issue, const char *base_url,
                            struct err *err) WARN_UNUSED;

/* Jira's "2024-01-15T10:30:00.000+0100" (offsets +hhmm, +hh:mm or Z; fraction optional) as
 * UTC "2024-01-15 09:30:00.000" into out; false (out "") when s is not such a time. */
bool jira_time_utc(const char *s, char out[32]);

#endif
