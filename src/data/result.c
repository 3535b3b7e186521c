/* result.c — encoding a query's result (see result.h). The query is wrapped so that DuckDB
 * turns every row into one VARCHAR — a JSON array or a CSV line — with the typing rules of
 * result.h applied per column in SQL; C only concatenates rows and enforces the caps. One
 * DESCRIBE first gives the column names and types. */
#include "data/result.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/mem.h"
#include "data/duck.h"

#define WRAP_SQL_MAX (4 * 1024 * 1024)

struct column {
    char *name;
    char *type;
};

struct columns {
    struct column *items;
    int len;
    size_t cap;
};

static void columns_free(struct columns *c)
{
    for (int i = 0; i < c->len; i++) {
        free(c->items[i].name);
        free(c->items[i].type);
    }
    free(c->items);
    memset(c, 0, sizeof(*c));
}

static enum rc read_column(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    struct columns *c = ctx;
    if (ncols < 2)
        return err_set(err, RC_INTERNAL, "DESCRIBE returned %d columns", ncols);
    c->items = xgrow(c->items, &c->cap, (size_t)c->len + 1, sizeof(*c->items));
    c->items[c->len].name = xstrdup(vals[0] ? vals[0] : "");
    c->items[c->len].type = xstrdup(vals[1] ? vals[1] : "");
    c->len++;
    return RC_OK;
}

/* The query without trailing blanks and semicolons (it becomes a subquery), heap. */
static char *strip_query(const char *sql)
{
    size_t n = strlen(sql);
    while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n' ||
                     sql[n - 1] == '\r' || sql[n - 1] == '\t'))
        n--;
    return xstrndup(sql, n);
}

static bool type_is(const char *type, const char *name)
{
    return strcmp(type, name) == 0;
}

/* Lists, arrays, structs, maps and unions: written as JSON in CSV too. */
static bool type_nested(const char *type)
{
    size_t n = strlen(type);
    return (n > 0 && type[n - 1] == ']') || strncmp(type, "STRUCT(", 7) == 0 ||
           strncmp(type, "MAP(", 4) == 0 || strncmp(type, "UNION(", 6) == 0;
}

/* Appends the expression that gives column i its wire form (see result.h). */
static enum rc value_expr(struct buf *b, int i, const char *type)
{
    if (type_is(type, "DOUBLE") || type_is(type, "FLOAT"))
        return buf_printf(b, "CASE WHEN isfinite(q.c%d) THEN q.c%d END", i, i);
    if (type_is(type, "TIMESTAMP WITH TIME ZONE"))
        return buf_printf(b, "strftime(timezone('UTC', q.c%d), '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ')", i);
    if (strncmp(type, "TIMESTAMP", 9) == 0)
        return buf_printf(b, "strftime(q.c%d::TIMESTAMP, '%%Y-%%m-%%dT%%H:%%M:%%S.%%f')", i);
    if (type_is(type, "BLOB"))
        return buf_printf(b, "to_base64(q.c%d)", i);
    return buf_printf(b, "q.c%d", i);
}

/* Appends the CSV field of column i: every value quoted, quotes doubled, NULL empty. */
static enum rc csv_field(struct buf *b, int i, const char *type)
{
    enum rc rc = buf_append_str(b, "coalesce('\"' || replace((");
    if (!rc && type_nested(type)) {
        rc = buf_printf(b, "to_json(q.c%d)", i);
    } else if (!rc) {
        rc = value_expr(b, i, type);
    }
    if (!rc)
        rc = buf_append_str(b, ")::VARCHAR, '\"', '\"\"') || '\"', '')");
    return rc;
}

static enum rc build_sql(struct buf *b, const char *query, const struct columns *cols,
                         enum result_format fmt, int64_t limit)
{
    enum rc rc = buf_append_str(b, fmt == RESULT_JSON ? "SELECT json_array(" : "SELECT concat(");
    for (int i = 0; !rc && i < cols->len; i++) {
        if (i > 0)
            rc = buf_append_str(b, fmt == RESULT_JSON ? ", " : ", ',', ");
        if (!rc)
            rc = fmt == RESULT_JSON ? value_expr(b, i, cols->items[i].type)
                                    : csv_field(b, i, cols->items[i].type);
    }
    if (!rc)
        rc = buf_printf(b, ")::VARCHAR FROM (\n%s\n) AS q(", query);
    for (int i = 0; !rc && i < cols->len; i++)
        rc = buf_printf(b, "%sc%d", i ? ", " : "", i);
    if (!rc)
        rc = buf_printf(b, ") LIMIT %lld", (long long)limit);
    return rc;
}

struct collect {
    struct buf *out;
    enum result_format fmt;
    const struct result_limits *lim;
    struct result_stats *st;
};

/* Stops the query early without being an error. */
#define STOP RC_CONFLICT

static enum rc add_row(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)ncols;
    struct collect *c = ctx;
    const char *row = vals[0] ? vals[0] : "";
    size_t len = strlen(row) + 1; /* with its ',' or newline */
    if (c->st->rows == c->lim->max_rows) {
        c->st->truncated = true;
        c->st->truncated_by = "rows";
        return STOP;
    }
    if (c->st->bytes + (int64_t)len > c->lim->max_bytes) {
        c->st->truncated = true;
        c->st->truncated_by = "bytes";
        return STOP;
    }
    enum rc rc = RC_OK;
    if (c->fmt == RESULT_JSON && c->st->rows > 0)
        rc = buf_append(c->out, ",", 1);
    if (!rc)
        rc = buf_append_str(c->out, row);
    if (!rc && c->fmt == RESULT_CSV)
        rc = buf_append(c->out, "\r\n", 2);
    if (rc)
        return err_set(err, RC_TOOBIG, "result too big for its buffer");
    c->st->rows++;
    c->st->bytes += (int64_t)len;
    return RC_OK;
}

/* JSON arrays of the names and the types, or the CSV header line. */
static enum rc write_header(struct buf *out, const struct columns *cols, enum result_format fmt)
{
    enum rc rc = RC_OK;
    if (fmt == RESULT_CSV) {
        for (int i = 0; !rc && i < cols->len; i++) {
            rc = buf_append_str(out, i ? ",\"" : "\"");
            for (const char *p = cols->items[i].name; !rc && *p; p++)
                rc = *p == '"' ? buf_append(out, "\"\"", 2) : buf_append(out, p, 1);
            if (!rc)
                rc = buf_append_str(out, "\"");
        }
        return rc ? rc : buf_append(out, "\r\n", 2);
    }
    json_t *names = json_array(), *types = json_array();
    for (int i = 0; i < cols->len; i++) {
        json_array_append_new(names, json_string(cols->items[i].name));
        json_array_append_new(types, json_string(cols->items[i].type));
    }
    char *n = json_dumps(names, JSON_COMPACT), *t = json_dumps(types, JSON_COMPACT);
    rc = buf_printf(out, "{\"columns\":%s,\"types\":%s,\"rows\":[", n, t);
    free(n);
    free(t);
    json_decref(names);
    json_decref(types);
    return rc;
}

enum rc result_run(struct duck *conn, const char *sql, enum result_format fmt,
                   const struct result_limits *lim, struct buf *out, struct result_stats *st,
                   struct err *err)
{
    struct columns cols = { 0 };
    struct buf wrapped;
    char *query = strip_query(sql);
    *st = (struct result_stats){ 0 };
    buf_init(&wrapped, WRAP_SQL_MAX);
    enum rc rc = RC_OK;
    if (lim->max_rows < 1 || lim->max_bytes < 1) {
        rc = err_set(err, RC_INVALID, "result limits must be at least 1");
        goto out;
    }
    rc = buf_printf(&wrapped, "DESCRIBE %s", query);
    if (!rc)
        rc = duck_query_rows(conn, buf_cstr(&wrapped), read_column, &cols, err);
    if (rc)
        goto out;
    st->columns = cols.len;
    buf_reset(&wrapped);
    /* one row more than asked shows whether there are more */
    if (build_sql(&wrapped, query, &cols, fmt, lim->max_rows + 1) ||
        write_header(out, &cols, fmt)) {
        rc = err_set(err, RC_TOOBIG, "query too long");
        goto out;
    }
    struct collect c = { out, fmt, lim, st };
    rc = duck_query_rows(conn, buf_cstr(&wrapped), add_row, &c, err);
    if (rc == STOP)
        rc = RC_OK;
    if (!rc && fmt == RESULT_JSON &&
        buf_printf(out, "],\"row_count\":%lld,\"truncated\":%s,\"truncated_by\":%s%s%s}",
                   (long long)st->rows, st->truncated ? "true" : "false",
                   st->truncated_by ? "\"" : "", st->truncated_by ? st->truncated_by : "null",
                   st->truncated_by ? "\"" : ""))
        rc = err_set(err, RC_TOOBIG, "result too big for its buffer");
out:
    columns_free(&cols);
    buf_cleanup(&wrapped);
    free(query);
    return rc;
}

/* Appends the select list of the Parquet copy: every column as it is but the 128-bit
 * integers, which Parquet cannot hold (DuckDB would write them as DOUBLE, losing digits), so
 * they go as their exact decimal text. */
static enum rc parquet_columns(struct buf *b, const struct columns *cols)
{
    enum rc rc = RC_OK;
    for (int i = 0; !rc && i < cols->len; i++) {
        const char *type = cols->items[i].type;
        bool as_text = type_is(type, "HUGEINT") || type_is(type, "UHUGEINT");
        rc = buf_append_str(b, i ? ", " : "");
        if (!rc)
            rc = duck_sql_quote_ident(b, cols->items[i].name);
        if (!rc && as_text) {
            rc = buf_append_str(b, "::VARCHAR AS ");
            if (!rc)
                rc = duck_sql_quote_ident(b, cols->items[i].name);
        }
    }
    return rc;
}

/* The result goes into a temporary table first: its row count says whether the query had more
 * rows than the limit, which a COPY of "LIMIT n" alone cannot tell, and its column names are
 * unique (DuckDB renames duplicates). It is dropped when done, and replaced if a failed run on
 * the same connection left it behind. */
enum rc result_parquet(struct duck *conn, const char *sql, const char *path,
                       const struct result_limits *lim, struct result_stats *st, struct err *err)
{
    struct buf q;
    struct columns cols = { 0 };
    char *query = strip_query(sql);
    int64_t rows = 0;
    *st = (struct result_stats){ 0 };
    buf_init(&q, WRAP_SQL_MAX);
    enum rc rc = RC_OK;
    if (lim->max_rows < 1) {
        rc = err_set(err, RC_INVALID, "result limits must be at least 1");
        goto out;
    }
    if (buf_printf(
            &q, "CREATE OR REPLACE TEMP TABLE da_result AS SELECT * FROM (\n%s\n) AS q LIMIT %lld",
            query, (long long)lim->max_rows + 1)) {
        rc = err_set(err, RC_TOOBIG, "query too long");
        goto out;
    }
    rc = duck_exec(conn, buf_cstr(&q), err);
    if (!rc)
        rc = duck_query_i64(conn, "SELECT count(*) FROM da_result", &rows, err);
    if (!rc)
        rc = duck_query_rows(conn, "DESCRIBE da_result", read_column, &cols, err);
    if (rc)
        goto out;
    buf_reset(&q);
    if (buf_append_str(&q, "COPY (SELECT ") || parquet_columns(&q, &cols) ||
        buf_printf(&q, " FROM da_result LIMIT %lld) TO ", (long long)lim->max_rows) ||
        duck_sql_quote_literal(&q, path) ||
        buf_append_str(&q, " (FORMAT parquet, COMPRESSION zstd)")) {
        rc = err_set(err, RC_TOOBIG, "result path too long");
        goto out;
    }
    rc = duck_exec(conn, buf_cstr(&q), err);
    if (rc)
        goto out;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        rc = err_set(err, RC_IO, "the Parquet result was not written");
        goto out;
    }
    st->truncated = rows > lim->max_rows;
    st->truncated_by = st->truncated ? "rows" : NULL;
    st->rows = st->truncated ? lim->max_rows : rows;
    st->bytes = (int64_t)sb.st_size;
    st->columns = cols.len;
    rc = duck_exec(conn, "DROP TABLE temp.da_result", err);
out:
    columns_free(&cols);
    buf_cleanup(&q);
    free(query);
    return rc;
}
