/* jira_parts.c — the monthly partition writer of the Jira connector (see jira_parts.h). The
 * batch is loaded into the run's in-memory DuckDB (new rows from NDJSON files, which DuckDB
 * reads with the declared column types), then for each table and month the part is either
 * the old file kept as it is or a query over the merged rows of that month. */
#include "connectors/jira_parts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/mem.h"
#include "data/duck.h"
#include "data/extract.h"

#define SQL_CAP    (64u * 1024 * 1024)
#define MONTHS_MAX EXTRACT_PARTS_MAX

struct month_file {
    char month[8];
    char *path;
};

/* The old files of one table, by month. */
struct old_table {
    struct month_file *files;
    size_t n, cap;
};

struct months {
    char (*m)[8];
    size_t n, cap;
};

static bool month_name(const char *s)
{
    return strlen(s) == 7 && s[4] == '-' && strspn(s, "0123456789-") == 7 && s[0] != '-';
}

static void months_add(struct months *ms, const char *m)
{
    for (size_t i = 0; i < ms->n; i++)
        if (strcmp(ms->m[i], m) == 0)
            return;
    ms->m = xgrow(ms->m, &ms->cap, ms->n + 1, sizeof(*ms->m));
    snprintf(ms->m[ms->n++], 8, "%s", m);
}

static bool months_has(const struct months *ms, const char *m)
{
    for (size_t i = 0; i < ms->n; i++)
        if (strcmp(ms->m[i], m) == 0)
            return true;
    return false;
}

static int cmp_month(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static const char *old_path(const struct old_table *t, const char *month)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->files[i].month, month) == 0)
            return t->files[i].path;
    return NULL;
}

static void old_cleanup(struct old_table *old)
{
    for (int t = 0; t < JIRA_N_TABLES; t++) {
        for (size_t i = 0; i < old[t].n; i++)
            free(old[t].files[i].path);
        free(old[t].files);
    }
}

/* The month files of each of our tables in the extract now committed in dir (none when there
 * is no extract yet). Files not named YYYY-MM.parquet (an empty table's one file) are left
 * out: they hold no rows. */
static enum rc read_old(const char *dir, struct old_table *old, struct err *err)
{
    struct extract_info info;
    enum rc rc = extract_inspect(dir, NULL, NULL, &info, err);
    if (rc == RC_NOTFOUND)
        return RC_OK;
    if (rc)
        return rc;
    for (size_t i = 0; i < info.n_tables; i++) {
        const struct extract_table *et = &info.tables[i];
        for (int t = 0; t < JIRA_N_TABLES && !et->problem && !et->remote; t++) {
            if (strcmp(et->name, jira_tables[t].name) != 0)
                continue;
            for (size_t f = 0; f < et->n_files; f++) {
                const char *slash = strrchr(et->files[f], '/');
                const char *base = slash ? slash + 1 : et->files[f];
                char month[8];
                if (strlen(base) != 15 || strcmp(base + 7, ".parquet") != 0)
                    continue;
                memcpy(month, base, 7);
                month[7] = '\0';
                if (!month_name(month))
                    continue;
                struct old_table *o = &old[t];
                o->files = xgrow(o->files, &o->cap, o->n + 1, sizeof(*o->files));
                snprintf(o->files[o->n].month, 8, "%s", month);
                o->files[o->n++].path = xstrdup(et->files[f]);
            }
        }
    }
    extract_info_cleanup(&info);
    return RC_OK;
}

/* "c1 VARCHAR, c2 TIMESTAMP, ..." (with_types) or "c1, c2, ..." of table t. */
static enum rc column_list(struct buf *b, int t, bool with_types)
{
    enum rc rc = RC_OK;
    for (int c = 0; !rc && c < jira_tables[t].n_columns; c++) {
        if (c > 0)
            rc = buf_append_str(b, ", ");
        if (!rc)
            rc = duck_sql_quote_ident(b, jira_tables[t].columns[c].name);
        if (!rc && with_types)
            rc = buf_printf(b, " %s", jira_tables[t].columns[c].type);
    }
    return rc;
}

/* Creates n_<table> holding the batch's rows (read from an NDJSON file in tmp_dir). */
static enum rc load_new(struct duck *d, const struct jira_rows *rows, int t, const char *tmp_dir,
                        struct err *err)
{
    struct buf sql;
    buf_init(&sql, SQL_CAP);
    enum rc rc = buf_printf(&sql, "CREATE TEMP TABLE n_%s (", jira_tables[t].name);
    if (!rc)
        rc = column_list(&sql, t, true);
    if (!rc)
        rc = buf_append_str(&sql, ", _month VARCHAR)");
    if (rc)
        goto toobig;
    if ((rc = duck_exec(d, buf_cstr(&sql), err)))
        goto out;
    if (rows->n[t] == 0)
        goto out;
    char *file = xasprintf("%s/%s.ndjson", tmp_dir, jira_tables[t].name);
    rc = file_write_atomic(file, rows->lines[t].data, rows->lines[t].len, 0600, err);
    buf_reset(&sql);
    if (!rc) {
        rc = buf_printf(&sql, "INSERT INTO n_%s SELECT * FROM read_json(", jira_tables[t].name);
        if (!rc)
            rc = duck_sql_quote_literal(&sql, file);
        if (!rc)
            rc = buf_append_str(&sql, ", format = 'newline_delimited', columns = {");
        for (int c = 0; !rc && c < jira_tables[t].n_columns; c++)
            rc = buf_printf(&sql, "%s\"%s\": '%s'", c ? ", " : "", jira_tables[t].columns[c].name,
                            jira_tables[t].columns[c].type);
        if (!rc)
            rc = buf_append_str(&sql, ", \"_month\": 'VARCHAR'})");
        if (rc)
            rc = err_set(err, RC_TOOBIG, "the load of %s is too long", jira_tables[t].name);
        else
            rc = duck_exec(d, buf_cstr(&sql), err);
    }
    unlink(file);
    free(file);
    goto out;
toobig:
    rc = err_set(err, RC_TOOBIG, "the definition of %s is too long", jira_tables[t].name);
out:
    buf_cleanup(&sql);
    return rc;
}

/* old_keys(issue_key, updated_at, _month): every issue the extract holds, with its month. */
static enum rc load_old_keys(struct duck *d, const struct old_table *issues, struct err *err)
{
    struct buf sql;
    buf_init(&sql, SQL_CAP);
    enum rc rc = buf_append_str(&sql, "CREATE TEMP TABLE old_keys AS ");
    for (size_t i = 0; !rc && i < issues->n; i++) {
        rc = buf_append_str(&sql, i ? " UNION ALL " : "");
        if (!rc)
            rc = buf_append_str(&sql, "SELECT issue_key, updated_at, ");
        if (!rc)
            rc = duck_sql_quote_literal(&sql, issues->files[i].month);
        if (!rc)
            rc = buf_append_str(&sql, " AS _month FROM read_parquet(");
        if (!rc)
            rc = duck_sql_quote_literal(&sql, issues->files[i].path);
        if (!rc)
            rc = buf_append_str(&sql, ")");
    }
    if (!rc && issues->n == 0)
        rc = buf_append_str(&sql, "SELECT NULL::VARCHAR AS issue_key, NULL::TIMESTAMP AS "
                                  "updated_at, NULL::VARCHAR AS _month WHERE false");
    rc = rc ? err_set(err, RC_TOOBIG, "too many month files") : duck_exec(d, buf_cstr(&sql), err);
    buf_cleanup(&sql);
    return rc;
}

static enum rc load_deleted(struct duck *d, const char *const *deleted, size_t n, struct err *err)
{
    enum rc rc = duck_exec(d, "CREATE TEMP TABLE del_keys (issue_key VARCHAR)", err);
    struct buf sql;
    buf_init(&sql, SQL_CAP);
    for (size_t i = 0; !rc && i < n; i += 1000) {
        buf_reset(&sql);
        rc = buf_append_str(&sql, "INSERT INTO del_keys VALUES ");
        for (size_t k = i; !rc && k < n && k < i + 1000; k++) {
            rc = buf_append_str(&sql, k > i ? ", (" : "(");
            if (!rc)
                rc = duck_sql_quote_literal(&sql, deleted[k]);
            if (!rc)
                rc = buf_append_str(&sql, ")");
        }
        rc = rc ? err_set(err, RC_TOOBIG, "too many deleted keys")
                : duck_exec(d, buf_cstr(&sql), err);
    }
    buf_cleanup(&sql);
    return rc;
}

static enum rc collect_month(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    struct months *ms = ctx;
    if (ncols != 1 || !vals[0] || !month_name(vals[0]))
        return err_set(err, RC_INTERNAL, "a month that is not YYYY-MM");
    if (ms->n >= MONTHS_MAX)
        return err_set(err, RC_TOOBIG, "more than %d months", MONTHS_MAX);
    months_add(ms, vals[0]);
    return RC_OK;
}

/* Drops the batch's issues that are older than the extract's version (out-of-order events),
 * then names every key whose old rows go: gone(issue_key). */
static enum rc resolve(struct duck *d, int *out_stale, struct err *err)
{
    int64_t stale = 0;
    enum rc rc = duck_exec(d,
                           "CREATE TEMP TABLE stale AS SELECT DISTINCT n.issue_key FROM"
                           " n_jira_issues n JOIN old_keys o ON o.issue_key = n.issue_key"
                           " WHERE o.updated_at > n.updated_at",
                           err);
    if (!rc)
        rc = duck_query_i64(d, "SELECT count(*) FROM stale", &stale, err);
    for (int t = 0; !rc && t < JIRA_N_TABLES; t++) {
        char *sql = xasprintf("DELETE FROM n_%s WHERE issue_key IN (SELECT issue_key FROM stale)",
                              jira_tables[t].name);
        rc = duck_exec(d, sql, err);
        free(sql);
    }
    if (!rc)
        rc = duck_exec(d,
                       "CREATE TEMP TABLE gone AS SELECT issue_key FROM n_jira_issues"
                       " UNION SELECT issue_key FROM del_keys",
                       err);
    *out_stale = (int)stale;
    return rc;
}

/* Adds the kept rows of the affected months' old files to n_<table>. */
static enum rc merge_old(struct duck *d, const struct old_table *old, const struct months *affected,
                         struct err *err)
{
    struct buf sql;
    buf_init(&sql, SQL_CAP);
    enum rc rc = RC_OK;
    for (int t = 0; !rc && t < JIRA_N_TABLES; t++) {
        for (size_t i = 0; !rc && i < affected->n; i++) {
            const char *path = old_path(&old[t], affected->m[i]);
            if (!path)
                continue;
            buf_reset(&sql);
            rc = buf_printf(&sql, "INSERT INTO n_%s SELECT ", jira_tables[t].name);
            if (!rc)
                rc = column_list(&sql, t, false);
            if (!rc)
                rc = buf_append_str(&sql, ", ");
            if (!rc)
                rc = duck_sql_quote_literal(&sql, affected->m[i]);
            if (!rc)
                rc = buf_append_str(&sql, " FROM read_parquet(");
            if (!rc)
                rc = duck_sql_quote_literal(&sql, path);
            if (!rc)
                rc = buf_append_str(&sql, ") WHERE issue_key NOT IN (SELECT issue_key FROM gone)");
            rc = rc ? err_set(err, RC_TOOBIG, "path too long") : duck_exec(d, buf_cstr(&sql), err);
        }
    }
    buf_cleanup(&sql);
    return rc;
}

/* The query of one rewritten part: the merged rows of month m of table t. */
static char *part_sql(int t, const char *m)
{
    struct buf sql;
    buf_init(&sql, SQL_CAP);
    enum rc rc = buf_append_str(&sql, "SELECT ");
    if (!rc)
        rc = column_list(&sql, t, false);
    if (!rc)
        rc = buf_printf(&sql, " FROM n_%s WHERE _month = ", jira_tables[t].name);
    if (!rc)
        rc = duck_sql_quote_literal(&sql, m);
    if (!rc)
        rc = buf_append_str(&sql, " ORDER BY ALL");
    if (rc) {
        buf_cleanup(&sql);
        return NULL;
    }
    return buf_take(&sql, NULL);
}

static enum rc write_tables(struct extract_writer *w, const struct old_table *old,
                            const struct months *final, const struct months *affected,
                            struct jira_apply_result *out, struct err *err)
{
    enum rc rc = RC_OK;
    for (int t = 0; !rc && t < JIRA_N_TABLES; t++) {
        const struct jira_table *jt = &jira_tables[t];
        if (final->n == 0) { /* no issue at all: each table is one empty file */
            char *sql = part_sql(t, "none");
            rc = sql ? extract_writer_add(w, jt->name, jt->description, sql, err)
                     : err_set(err, RC_TOOBIG, "query too long");
            free(sql);
            continue;
        }
        struct extract_part *parts = xcalloc(final->n, sizeof(*parts));
        char **sqls = xcalloc(final->n, sizeof(*sqls));
        for (size_t i = 0; i < final->n; i++) {
            const char *m = final->m[i];
            const char *path = months_has(affected, m) ? NULL : old_path(&old[t], m);
            parts[i].name = m;
            if (path) {
                parts[i].from_file = path;
            } else {
                sqls[i] = part_sql(t, m);
                parts[i].select_sql = sqls[i];
            }
            if (t == JIRA_ISSUES && path)
                out->months_kept++;
            else if (t == JIRA_ISSUES)
                out->months_written++;
        }
        rc = extract_writer_add_parts(w, jt->name, jt->description, parts, final->n, err);
        for (size_t i = 0; i < final->n; i++)
            free(sqls[i]);
        free(sqls);
        free(parts);
    }
    return rc;
}

static enum rc apply_in_run(struct extract_writer *w, const char *dir, const struct jira_rows *rows,
                            const char *const *deleted, size_t n_deleted, const char *tmp_dir,
                            struct jira_apply_result *out, struct err *err)
{
    struct duck *d = extract_writer_duck(w);
    struct old_table old[JIRA_N_TABLES] = { { 0 } };
    struct months affected = { 0 }, final = { 0 };
    enum rc rc = read_old(dir, old, err);
    for (int t = 0; !rc && t < JIRA_N_TABLES; t++)
        rc = load_new(d, rows, t, tmp_dir, err);
    if (!rc)
        rc = load_old_keys(d, &old[JIRA_ISSUES], err);
    if (!rc)
        rc = load_deleted(d, deleted, n_deleted, err);
    if (!rc)
        rc = resolve(d, &out->stale, err);
    if (!rc)
        rc = duck_query_rows(d,
                             "SELECT DISTINCT _month FROM old_keys WHERE issue_key IN"
                             " (SELECT issue_key FROM gone)"
                             " UNION SELECT DISTINCT _month FROM n_jira_issues",
                             collect_month, &affected, err);
    if (!rc)
        rc = merge_old(d, old, &affected, err);
    /* the months after the change: the untouched old ones and those with issues now */
    for (size_t i = 0; !rc && i < old[JIRA_ISSUES].n; i++)
        if (!months_has(&affected, old[JIRA_ISSUES].files[i].month))
            months_add(&final, old[JIRA_ISSUES].files[i].month);
    if (!rc)
        rc = duck_query_rows(d, "SELECT DISTINCT _month FROM n_jira_issues", collect_month, &final,
                             err);
    if (!rc && final.n > 0)
        qsort(final.m, final.n, sizeof(*final.m), cmp_month);
    if (!rc)
        rc = write_tables(w, old, &final, &affected, out, err);
    free(affected.m);
    free(final.m);
    old_cleanup(old);
    return rc;
}

enum rc jira_parts_apply(const char *extract_dir, const struct jira_rows *rows,
                         const char *const *deleted, size_t n_deleted,
                         struct jira_apply_result *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct extract_writer *w = NULL;
    const char *tmp = getenv("TMPDIR");
    char *tmp_dir = xasprintf("%s/da-jira-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        enum rc rc = err_set(err, RC_IO, "cannot create a scratch folder in %s",
                             tmp && tmp[0] ? tmp : "/tmp");
        free(tmp_dir);
        return rc;
    }
    enum rc rc = extract_writer_begin(extract_dir, &w, err);
    if (!rc)
        rc = apply_in_run(w, extract_dir, rows, deleted, n_deleted, tmp_dir, out, err);
    struct extract_commit_result cr = { 0 };
    if (!rc)
        rc = extract_writer_commit(&w, &cr, err);
    else
        extract_writer_abort(&w);
    (void)file_remove_tree(tmp_dir, NULL, &(struct err){ 0 });
    free(tmp_dir);
    if (!rc) {
        out->tables = cr.tables;
        out->rows = cr.rows;
        out->bytes = cr.bytes;
    }
    return rc;
}
