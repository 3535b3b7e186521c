/* duck.c — the one place that speaks the DuckDB C API (until the engine modules arrive). It owns
 * a database handle and one connection per struct duck, turns DuckDB failures into enum rc with
 * the engine's message copied into a struct err before the result that holds it is destroyed,
 * and quotes the few values that cannot be bound as parameters (file paths in COPY and
 * read_parquet). Used by the demo generator now, by the extract and catalog code next. */
#define DUCKDB_API_NO_DEPRECATED /* keeps the deprecated duckdb_value_* API out of reach */
#include "data/duck.h"

#include <duckdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

struct duck {
    duckdb_database db; /* NULL for a connection made by duck_connect */
    duckdb_connection conn;
};

static enum rc open_with(const char *path, bool readonly, struct duck **out_duck, struct err *err)
{
    struct duck *d = xcalloc(1, sizeof(*d));
    duckdb_config config = NULL;
    char *open_err = NULL;
    enum rc rc = RC_OK;

    *out_duck = NULL;
    if (duckdb_create_config(&config) != DuckDBSuccess) {
        rc = err_set(err, RC_DB, "cannot create a DuckDB configuration");
        goto out;
    }
    /* never download an extension behind the caller's back; an explicit INSTALL still works */
    if (duckdb_set_config(config, "autoinstall_known_extensions", "false") != DuckDBSuccess ||
        (readonly && duckdb_set_config(config, "access_mode", "READ_ONLY") != DuckDBSuccess)) {
        rc = err_set(err, RC_DB, "cannot configure DuckDB");
        goto out;
    }
    if (duckdb_open_ext(path, &d->db, config, &open_err) != DuckDBSuccess) {
        rc = err_set(err, RC_DB, "cannot open DuckDB database %s: %s",
                     path ? path : ":memory:", open_err ? open_err : "unknown error");
        goto out;
    }
    if (duckdb_connect(d->db, &d->conn) != DuckDBSuccess) {
        rc = err_set(err, RC_DB, "cannot connect to DuckDB database %s", path ? path : ":memory:");
        goto out;
    }
out:
    if (open_err)
        duckdb_free(open_err);
    duckdb_destroy_config(&config);
    if (rc)
        duck_close(&d);
    *out_duck = d;
    return rc;
}

enum rc duck_open(const char *path, struct duck **out_duck, struct err *err)
{
    return open_with(path, false, out_duck, err);
}

enum rc duck_open_readonly(const char *path, struct duck **out_duck, struct err *err)
{
    if (!path) {
        *out_duck = NULL;
        return err_set(err, RC_INVALID, "a read-only DuckDB database needs a file path");
    }
    return open_with(path, true, out_duck, err);
}

enum rc duck_connect(struct duck *duck, struct duck **out_duck, struct err *err)
{
    struct duck *d = xcalloc(1, sizeof(*d));
    if (duckdb_connect(duck->db, &d->conn) != DuckDBSuccess) {
        free(d);
        *out_duck = NULL;
        return err_set(err, RC_DB, "cannot connect to DuckDB database");
    }
    *out_duck = d;
    return RC_OK;
}

void *duck_connection_handle(struct duck *duck)
{
    return duck->conn;
}

void duck_interrupt(struct duck *duck)
{
    duckdb_interrupt(duck->conn);
}

void duck_close(struct duck **duck)
{
    if (!duck || !*duck)
        return;
    struct duck *d = *duck;
    if (d->conn)
        duckdb_disconnect(&d->conn);
    if (d->db)
        duckdb_close(&d->db);
    free(d);
    *duck = NULL;
}

/* Runs sql into *res; on failure copies the engine error into err. The caller always destroys
 * *res, success or not. */
static enum rc run_query(struct duck *duck, const char *sql, duckdb_result *res, struct err *err)
{
    if (duckdb_query(duck->conn, sql, res) == DuckDBSuccess)
        return RC_OK;
    const char *msg = duckdb_result_error(res);
    return err_set(err, RC_DB, "%s", msg ? msg : "DuckDB query failed");
}

enum rc duck_exec(struct duck *duck, const char *sql, struct err *err)
{
    duckdb_result res;
    memset(&res, 0, sizeof(res));
    enum rc rc = run_query(duck, sql, &res, err);
    duckdb_destroy_result(&res);
    return rc;
}

/* Reads row 0 of an integer vector of type t into *out_v. */
static enum rc vector_i64(duckdb_vector vec, duckdb_type t, int64_t *out_v, struct err *err)
{
    const void *data = duckdb_vector_get_data(vec);
    uint64_t u = 0;
    switch (t) {
    case DUCKDB_TYPE_TINYINT:
        *out_v = ((const int8_t *)data)[0];
        return RC_OK;
    case DUCKDB_TYPE_SMALLINT:
        *out_v = ((const int16_t *)data)[0];
        return RC_OK;
    case DUCKDB_TYPE_INTEGER:
        *out_v = ((const int32_t *)data)[0];
        return RC_OK;
    case DUCKDB_TYPE_BIGINT:
        *out_v = ((const int64_t *)data)[0];
        return RC_OK;
    case DUCKDB_TYPE_UTINYINT:
        *out_v = ((const uint8_t *)data)[0];
        return RC_OK;
    case DUCKDB_TYPE_USMALLINT:
        *out_v = ((const uint16_t *)data)[0];
        return RC_OK;
    case DUCKDB_TYPE_UINTEGER:
        *out_v = ((const uint32_t *)data)[0];
        return RC_OK;
    case DUCKDB_TYPE_UBIGINT:
        u = ((const uint64_t *)data)[0];
        break;
    case DUCKDB_TYPE_HUGEINT: {
        duckdb_hugeint h = ((const duckdb_hugeint *)data)[0];
        /* fits when upper is the sign extension of lower's top bit */
        if ((h.upper == 0 && h.lower <= INT64_MAX) || (h.upper == -1 && h.lower > INT64_MAX)) {
            *out_v = (int64_t)h.lower;
            return RC_OK;
        }
        return err_set(err, RC_INVALID, "query value does not fit in a 64-bit integer");
    }
    case DUCKDB_TYPE_UHUGEINT: {
        duckdb_uhugeint h = ((const duckdb_uhugeint *)data)[0];
        if (h.upper != 0)
            return err_set(err, RC_INVALID, "query value does not fit in a 64-bit integer");
        u = h.lower;
        break;
    }
    default:
        return err_set(err, RC_INVALID, "query column is not an integer (DuckDB type %d)", (int)t);
    }
    if (u > INT64_MAX)
        return err_set(err, RC_INVALID, "query value does not fit in a 64-bit integer");
    *out_v = (int64_t)u;
    return RC_OK;
}

enum rc duck_query_i64(struct duck *duck, const char *sql, int64_t *out_v, struct err *err)
{
    duckdb_result res;
    duckdb_data_chunk chunk = NULL;
    int64_t v = 0;
    memset(&res, 0, sizeof(res));

    enum rc rc = run_query(duck, sql, &res, err);
    if (rc)
        goto out;
    if (duckdb_column_count(&res) < 1) {
        rc = err_set(err, RC_INVALID, "query returns no column");
        goto out;
    }
    duckdb_type t = duckdb_column_type(&res, 0);
    /* a chunk may be empty; the first non-empty one holds the first row */
    for (;;) {
        chunk = duckdb_fetch_chunk(res);
        if (!chunk || duckdb_data_chunk_get_size(chunk) > 0)
            break;
        duckdb_destroy_data_chunk(&chunk);
    }
    if (!chunk) {
        rc = err_set(err, RC_NOTFOUND, "query returns no row");
        goto out;
    }
    duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, 0);
    uint64_t *validity = duckdb_vector_get_validity(vec);
    if (validity && !duckdb_validity_row_is_valid(validity, 0)) {
        rc = err_set(err, RC_NOTFOUND, "query value is NULL");
        goto out;
    }
    rc = vector_i64(vec, t, &v, err);
    if (rc)
        goto out;
    *out_v = v;
out:
    if (chunk)
        duckdb_destroy_data_chunk(&chunk);
    duckdb_destroy_result(&res);
    return rc;
}

/* Copies the string at row i of a VARCHAR vector into a NUL-terminated heap string. */
static char *vector_string(duckdb_vector vec, idx_t i)
{
    duckdb_string_t *data = duckdb_vector_get_data(vec);
    uint32_t len = duckdb_string_t_length(data[i]);
    char *s = xmalloc((size_t)len + 1);
    memcpy(s, duckdb_string_t_data(&data[i]), len);
    s[len] = '\0';
    return s;
}

/* Calls fn for each row of one chunk. */
static enum rc chunk_rows(duckdb_data_chunk chunk, int ncols, duck_row_fn fn, void *ctx,
                          struct err *err)
{
    idx_t n = duckdb_data_chunk_get_size(chunk);
    duckdb_vector vecs[DUCK_ROWS_MAX_COLS];
    uint64_t *valid[DUCK_ROWS_MAX_COLS];
    char *vals[DUCK_ROWS_MAX_COLS];
    for (int c = 0; c < ncols; c++) {
        vecs[c] = duckdb_data_chunk_get_vector(chunk, (idx_t)c);
        valid[c] = duckdb_vector_get_validity(vecs[c]);
    }
    enum rc rc = RC_OK;
    for (idx_t i = 0; !rc && i < n; i++) {
        for (int c = 0; c < ncols; c++) {
            bool null = valid[c] && !duckdb_validity_row_is_valid(valid[c], i);
            vals[c] = null ? NULL : vector_string(vecs[c], i);
        }
        rc = fn(ctx, ncols, (const char *const *)vals, err);
        for (int c = 0; c < ncols; c++)
            free(vals[c]);
    }
    return rc;
}

enum rc duck_query_rows(struct duck *duck, const char *sql, duck_row_fn fn, void *ctx,
                        struct err *err)
{
    duckdb_result res;
    memset(&res, 0, sizeof(res));
    enum rc rc = run_query(duck, sql, &res, err);
    if (rc)
        goto out;
    idx_t ncols = duckdb_column_count(&res);
    if (ncols > DUCK_ROWS_MAX_COLS) {
        rc = err_set(err, RC_INVALID, "query returns %llu columns, at most %d are read",
                     (unsigned long long)ncols, DUCK_ROWS_MAX_COLS);
        goto out;
    }
    for (idx_t c = 0; c < ncols; c++) {
        if (duckdb_column_type(&res, c) != DUCKDB_TYPE_VARCHAR) {
            rc = err_set(err, RC_INVALID, "query column %s is not VARCHAR",
                         duckdb_column_name(&res, c));
            goto out;
        }
    }
    while (!rc) {
        duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
        if (!chunk)
            break;
        rc = chunk_rows(chunk, (int)ncols, fn, ctx, err);
        duckdb_destroy_data_chunk(&chunk);
    }
out:
    duckdb_destroy_result(&res);
    return rc;
}

/* Keeps the first value of the first row (duck_query_text's row function). */
static enum rc keep_first(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    char **out = ctx;
    if (!*out && ncols > 0 && vals[0])
        *out = xstrdup(vals[0]);
    return RC_OK;
}

enum rc duck_query_text(struct duck *duck, const char *sql, char **out, struct err *err)
{
    char *v = NULL;
    enum rc rc = duck_query_rows(duck, sql, keep_first, &v, err);
    if (!rc && !v)
        rc = err_set(err, RC_NOTFOUND, "query returns no value");
    if (rc) {
        free(v);
        v = NULL;
    }
    *out = v;
    return rc;
}

enum rc duck_exec_params(struct duck *duck, const char *sql, const char *const *params,
                         struct err *err)
{
    duckdb_prepared_statement st = NULL;
    duckdb_result res;
    memset(&res, 0, sizeof(res));
    enum rc rc = RC_OK;
    if (duckdb_prepare(duck->conn, sql, &st) != DuckDBSuccess) {
        const char *msg = duckdb_prepare_error(st);
        rc = err_set(err, RC_DB, "%s", msg ? msg : "cannot prepare statement");
        goto out;
    }
    for (idx_t i = 0; params[i]; i++) {
        if (duckdb_bind_varchar(st, i + 1, params[i]) != DuckDBSuccess) {
            rc = err_set(err, RC_DB, "cannot bind parameter %llu", (unsigned long long)i + 1);
            goto out;
        }
    }
    if (duckdb_execute_prepared(st, &res) != DuckDBSuccess) {
        const char *msg = duckdb_result_error(&res);
        rc = err_set(err, RC_DB, "%s", msg ? msg : "DuckDB statement failed");
    }
out:
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&st);
    return rc;
}

/* Appends s between two q characters, each q inside doubled. */
static enum rc quote_with(struct buf *b, const char *s, char q)
{
    char qq[2] = { q, q };
    enum rc rc = buf_append(b, &q, 1);
    for (const char *p = s; !rc && *p;) {
        const char *hit = strchr(p, q);
        size_t len = hit ? (size_t)(hit - p) : strlen(p);
        rc = buf_append(b, p, len);
        if (!rc && hit)
            rc = buf_append(b, qq, 2);
        p += len + (hit ? 1 : 0);
    }
    if (!rc)
        rc = buf_append(b, &q, 1);
    return rc;
}

enum rc duck_sql_quote_literal(struct buf *b, const char *s)
{
    if (!s)
        return RC_INVALID;
    return quote_with(b, s, '\'');
}

enum rc duck_sql_quote_ident(struct buf *b, const char *s)
{
    if (!s || !*s)
        return RC_INVALID;
    return quote_with(b, s, '"');
}
