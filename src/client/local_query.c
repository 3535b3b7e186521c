/* local_query.c — one query over a sync folder's database (see local_query.h). */
#include "client/local_query.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "data/duck.h"

/* The first word of sql after blanks and "--" comments, lower-cased, into word. */
static void first_word(const char *sql, char *word, size_t size)
{
    const char *p = sql;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (p[0] != '-' || p[1] != '-')
            break;
        p += strcspn(p, "\n");
    }
    size_t n = 0;
    while (isalpha((unsigned char)p[n]) && n + 1 < size) {
        word[n] = (char)tolower((unsigned char)p[n]);
        n++;
    }
    word[n] = '\0';
}

/* DuckDB's statements that answer like a query but cannot be one: run as "SELECT * FROM
 * (statement)", which DuckDB allows, so result_run can wrap them as it wraps any query.
 * Returns heap SQL. */
static char *as_query(const char *sql)
{
    static const char *const wrapped[] = { "show", "describe", "summarize" };
    char word[16];
    first_word(sql, word, sizeof(word));
    for (size_t i = 0; i < ARRAY_LEN(wrapped); i++) {
        if (strcmp(word, wrapped[i]) == 0) {
            size_t n = strlen(sql);
            while (n > 0 && (sql[n - 1] == ';' || isspace((unsigned char)sql[n - 1])))
                n--;
            return xasprintf("SELECT * FROM (\n%.*s\n)", (int)n, sql);
        }
    }
    return xstrdup(sql);
}

/* Cuts a message at the first of these lines. */
static void cut_at(struct err *err, const char *start)
{
    char *line = strstr(err->msg, start);
    while (line && line > err->msg && line[-1] == '\n')
        line--;
    if (line)
        *line = '\0';
}

/* Drops from DuckDB's message the "LINE n: ..." position lines, which point into the text
 * as wrapped by result_run, not the user's, and a "Did you mean" that names one of DuckDB's
 * own system views rather than a table of the folder. */
static void tidy_message(struct err *err)
{
    cut_at(err, "\nLINE ");
    cut_at(err, "\nDid you mean \"pg_");
    cut_at(err, "\nDid you mean \"duckdb_");
    cut_at(err, "\nDid you mean \"information_schema");
    cut_at(err, "\nDid you mean \"sqlite_");
}

enum rc local_query(const char *db_path, const char *sql, int64_t max_rows, struct buf *out,
                    struct result_stats *st, struct err *err)
{
    struct duck *db = NULL;
    char *query = NULL;
    *st = (struct result_stats){ 0 };
    if (max_rows < 1 || max_rows > LOCAL_QUERY_MAX_ROWS)
        return err_set(err, RC_INVALID, "the row limit must be 1 to %d", LOCAL_QUERY_MAX_ROWS);
    if (!file_exists(db_path))
        return err_set(err, RC_NOTFOUND, "%s does not exist", db_path);
    enum rc rc = duck_open_readonly(db_path, &db, err);
    if (rc) {
        if (strstr(err->msg, "lock"))
            rc = err_set(err, RC_CONFLICT,
                         "the local data is being updated (by da sync?); try again in a "
                         "moment");
        goto out;
    }
    query = as_query(sql);
    struct result_limits lim = { max_rows, LOCAL_QUERY_MAX_BYTES };
    rc = result_run(db, query, RESULT_JSON, &lim, out, st, err);
    if (rc == RC_DB)
        tidy_message(err);
out:
    free(query);
    duck_close(&db);
    return rc;
}
