/* keboola_load.c — an export's CSV files into a typed table of the extract (see keboola_int.h).
 * DuckDB's CSV reader reads the columns under the names from the table's metadata (never from
 * the file) with their types, strictly: a value that does not convert fails the load instead
 * of becoming NULL, and only then are the files read again as text, with TRY_CAST, to name the
 * column and the row. TIMESTAMP goes through TIMESTAMPTZ in UTC, so an offset is applied (none
 * means UTC). An empty field is NULL for typed columns (Keboola writes NULL as ""). A full
 * refresh goes straight into the table's Parquet; incremental and append stage the new rows
 * in a temporary table, then upsert them into, or add them to, the rows of the live extract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "connectors/keboola_int.h"
#include "data/duck.h"
#include "data/extract.h"

#define LOAD_SQL_MAX (8 * 1024 * 1024)

/* The type a text value is parsed as before it becomes type: a timestamp goes through
 * TIMESTAMPTZ (in UTC, see kbc_load_table) so that an offset ("+02:00", "Z") is applied,
 * where a plain cast to TIMESTAMP would drop it silently. */
static const char *parse_type(const char *type)
{
    return strcmp(type, "TIMESTAMP") == 0 ? "TIMESTAMPTZ" : type;
}

/* read_csv over the files with each column under its da name: typed (as parse_type) or every
 * column as VARCHAR (to find a value that does not convert). */
static enum rc append_reader(struct buf *b, const struct kbc_load *l, bool typed)
{
    enum rc rc = buf_append_str(b, "read_csv([");
    for (size_t i = 0; !rc && i < l->n_paths; i++) {
        if (i)
            rc = buf_append_str(b, ", ");
        if (!rc)
            rc = duck_sql_quote_literal(b, l->paths[i]);
    }
    if (!rc)
        rc = buf_printf(b,
                        "], header = %s, auto_detect = false, delim = ',', quote = '\"', "
                        "escape = '\"', compression = 'auto', columns = {",
                        l->header ? "true" : "false");
    for (size_t i = 0; !rc && i < l->t->n_cols; i++) {
        if (i)
            rc = buf_append_str(b, ", ");
        const char *type = typed ? kbc_duck_type(l->t->cols[i].basetype) : NULL;
        if (!rc)
            rc = duck_sql_quote_literal(b, l->t->cols[i].ident);
        if (!rc)
            rc = buf_printf(b, ": '%s'", type ? parse_type(type) : "VARCHAR");
    }
    if (!rc)
        rc = buf_append_str(b, "})");
    return rc;
}

/* SELECT of the typed columns from the files (or no row at all when there is no file). */
static enum rc typed_select(struct buf *b, const struct kbc_load *l)
{
    enum rc rc = buf_append_str(b, "SELECT ");
    for (size_t i = 0; !rc && i < l->t->n_cols; i++) {
        const struct kbc_column *c = &l->t->cols[i];
        const char *type = kbc_duck_type(c->basetype);
        if (i)
            rc = buf_append_str(b, ", ");
        if (!rc && l->n_paths == 0) {
            rc = buf_printf(b, "CAST(NULL AS %s)", type ? type : "VARCHAR");
        } else if (!rc && type && strcmp(type, parse_type(type)) != 0) {
            rc = buf_append_str(b, "CAST(");
            if (!rc)
                rc = duck_sql_quote_ident(b, c->ident);
            if (!rc)
                rc = buf_printf(b, " AS %s)", type);
        } else if (!rc) {
            rc = duck_sql_quote_ident(b, c->ident);
        }
        if (!rc)
            rc = buf_append_str(b, " AS ");
        if (!rc)
            rc = duck_sql_quote_ident(b, c->ident);
    }
    if (!rc)
        rc = l->n_paths == 0 ? buf_append_str(b, " WHERE false") : buf_append_str(b, " FROM ");
    if (!rc && l->n_paths > 0)
        rc = append_reader(b, l, true);
    return rc;
}

struct bad_value {
    bool found;
    char row[24];
    char value[48];
};

static enum rc keep_bad(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    struct bad_value *b = ctx;
    if (ncols != 2 || b->found)
        return RC_OK;
    b->found = true;
    snprintf(b->row, sizeof(b->row), "%s", vals[0] ? vals[0] : "?");
    size_t n = 0;
    for (const char *p = vals[1] ? vals[1] : ""; *p && n + 1 < sizeof(b->value); p++)
        b->value[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    b->value[n] = '\0';
    return RC_OK;
}

/* After a failed cast: the first typed column, in order, with a value TRY_CAST cannot convert,
 * and the row of its first such value, as the error. RC_NOTFOUND when none is found (the
 * failure was something else). */
static enum rc name_bad_value(struct duck *d, const struct kbc_load *l, struct err *err)
{
    for (size_t i = 0; i < l->t->n_cols; i++) {
        const struct kbc_column *c = &l->t->cols[i];
        const char *type = kbc_duck_type(c->basetype);
        if (!type)
            continue;
        struct buf sql;
        buf_init(&sql, LOAD_SQL_MAX);
        enum rc rc = buf_append_str(&sql, "SELECT r::VARCHAR, left(v, 40) FROM (SELECT "
                                          "row_number() OVER () AS r, ");
        if (!rc)
            rc = duck_sql_quote_ident(&sql, c->ident);
        if (!rc)
            rc = buf_append_str(&sql, " AS v FROM ");
        if (!rc)
            rc = append_reader(&sql, l, false);
        if (!rc)
            rc = buf_printf(&sql,
                            ") WHERE v IS NOT NULL AND v <> '' AND TRY_CAST(v AS %s) IS NULL "
                            "ORDER BY r LIMIT 1",
                            parse_type(type));
        struct bad_value bad = { 0 };
        struct err ignored;
        if (!rc)
            rc = duck_query_rows(d, buf_cstr(&sql), keep_bad, &bad, &ignored);
        buf_cleanup(&sql);
        if (!rc && bad.found)
            return err_set(err, RC_BADVALUE,
                           "table %s (Keboola %s), column %s, row %s: '%s' is not a %s", l->da_id,
                           l->t->id, c->ident, bad.row, bad.value, c->basetype);
    }
    return RC_NOTFOUND;
}

/* read_parquet over the live extract's files of the table. */
static enum rc append_old(struct buf *b, const struct kbc_load *l)
{
    enum rc rc = buf_append_str(b, "read_parquet([");
    for (size_t i = 0; !rc && i < l->n_old; i++) {
        if (i)
            rc = buf_append_str(b, ", ");
        if (!rc)
            rc = duck_sql_quote_literal(b, l->old_files[i]);
    }
    if (!rc)
        rc = buf_append_str(b, "])");
    return rc;
}

/* The rows of the new extract's table: the staged rows, plus the old ones (append), or plus
 * the old ones whose key is not among the staged rows (incremental). */
static enum rc final_select(struct buf *b, const struct kbc_load *l)
{
    enum rc rc = buf_append_str(b, "SELECT o.* FROM ");
    if (!rc)
        rc = append_old(b, l);
    if (!rc)
        rc = buf_append_str(b, " AS o");
    if (!rc && l->strategy == KBC_INCREMENTAL) {
        rc = buf_append_str(b, " ANTI JOIN _kbc_new AS n ON ");
        for (size_t i = 0; !rc && i < l->n_pk; i++) {
            rc = buf_append_str(b, i ? " AND o." : "o.");
            if (!rc)
                rc = duck_sql_quote_ident(b, l->pk[i]);
            if (!rc)
                rc = buf_append_str(b, " IS NOT DISTINCT FROM n.");
            if (!rc)
                rc = duck_sql_quote_ident(b, l->pk[i]);
        }
    }
    if (!rc)
        rc = buf_append_str(b, " UNION ALL BY NAME SELECT * FROM _kbc_new");
    return rc;
}

/* Runs the failed statement's diagnosis: the bad value when there is one, else the error as
 * DuckDB gave it, naming the table. */
static enum rc load_error(struct duck *d, const struct kbc_load *l, enum rc rc, struct err *err)
{
    char msg[ERR_MSG_LEN];
    snprintf(msg, sizeof(msg), "%s", err->msg);
    if (l->n_paths > 0 && name_bad_value(d, l, err) == RC_BADVALUE)
        return RC_BADVALUE;
    return err_set(err, rc, "table %s (Keboola %s): %s", l->da_id, l->t->id, msg);
}

enum rc kbc_load_table(struct extract_writer *w, const struct kbc_load *l, int64_t *out_rows,
                       struct err *err)
{
    *out_rows = -1;
    struct duck *d = extract_writer_duck(w);
    char *desc = xasprintf("Keboola table %s", l->t->id);
    struct buf sql;
    buf_init(&sql, LOAD_SQL_MAX);
    /* timestamps without an offset are UTC, and those with one are turned into UTC */
    enum rc rc = duck_exec(d, "SET TimeZone = 'UTC'", err);
    if (rc)
        goto out;
    if (l->strategy == KBC_FULL_REFRESH || l->n_old == 0) {
        /* straight from the files into the table's Parquet: one pass */
        if (typed_select(&sql, l) != RC_OK) {
            rc = err_set(err, RC_TOOBIG, "table %s: the load query is too long", l->da_id);
            goto out;
        }
        rc = extract_writer_add(w, l->da_id, desc, buf_cstr(&sql), err);
        if (rc)
            rc = load_error(d, l, rc, err);
        goto out;
    }
    rc = buf_append_str(&sql, "CREATE OR REPLACE TEMP TABLE _kbc_new AS ");
    if (!rc)
        rc = typed_select(&sql, l);
    if (rc) {
        rc = err_set(err, RC_TOOBIG, "table %s: the load query is too long", l->da_id);
        goto out;
    }
    rc = duck_exec(d, buf_cstr(&sql), err);
    if (rc) {
        rc = load_error(d, l, rc, err);
        goto out;
    }
    rc = duck_query_i64(d, "SELECT count(*) FROM _kbc_new", out_rows, err);
    if (rc)
        goto out;
    buf_reset(&sql);
    rc = final_select(&sql, l);
    if (rc) {
        rc = err_set(err, RC_TOOBIG, "table %s: the load query is too long", l->da_id);
        goto out;
    }
    rc = extract_writer_add(w, l->da_id, desc, buf_cstr(&sql), err);
out:
    if (duck_exec(d, "DROP TABLE IF EXISTS _kbc_new", &(struct err){ { 0 } }) != RC_OK)
        log_warn("keboola", "cannot drop the staging table of %s", l->da_id);
    free(desc);
    buf_cleanup(&sql);
    return rc;
}
