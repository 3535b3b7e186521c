/* localdb.c — da.duckdb and DATA.md of a sync folder (see localdb.h). */
#include "client/localdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/mem.h"
#include "base/metric_path.h"
#include "base/sha256.h"
#include "client/syncdir.h"
#include "data/duck.h"

#define SQL_MAX  (64u * 1024 * 1024)
#define DOC_MAX  (64u * 1024 * 1024)
#define TYPE_MAX 200 /* bytes of a column type shown in DATA.md */

/* The columns of one view, as DESCRIBE gives them. */
struct column {
    char *name;
    char *type;
};

struct table_doc {
    const char *id;          /* borrowed from the state */
    const char *description; /* borrowed */
    const char *updated;     /* borrowed */
    int64_t rows;
    size_t n_files;
    bool partitioned;
    struct column *cols;
    size_t n_cols, cap_cols;
    const char *problem; /* borrowed from the report */
};

/* ---------------------------------------------------------------- the database */

/* The SQL of the view of table id over files (absolute paths). */
static enum rc view_sql(struct buf *b, const char *id, char *const *paths, size_t n)
{
    enum rc rc = buf_append_str(b, "CREATE VIEW main.");
    if (!rc)
        rc = duck_sql_quote_ident(b, id);
    if (!rc)
        rc = buf_append_str(b, n > 1 ? " AS SELECT * FROM read_parquet(["
                                     : " AS SELECT * FROM read_parquet(");
    for (size_t i = 0; !rc && i < n; i++) {
        if (i > 0)
            rc = buf_append_str(b, ", ");
        if (!rc)
            rc = duck_sql_quote_literal(b, paths[i]);
    }
    if (!rc)
        rc = buf_append_str(b, n > 1 ? "])" : ")");
    return rc;
}

static enum rc comment_sql(struct buf *b, const char *id, const char *text)
{
    enum rc rc = buf_append_str(b, "COMMENT ON VIEW main.");
    if (!rc)
        rc = duck_sql_quote_ident(b, id);
    if (!rc)
        rc = buf_append_str(b, " IS ");
    if (!rc)
        rc = duck_sql_quote_literal(b, text);
    return rc;
}

/* Makes the view of one table of the state; a problem goes to t->problem. */
static enum rc add_view(struct duck *d, const char *dir, const char *id, const json_t *entry,
                        struct localdb_table *t, struct err *err)
{
    const json_t *files = json_object_get(entry, "files");
    size_t n = json_object_size(files), k = 0;
    bool partitioned = n > 1;
    char **paths = xcalloc(n + 1, sizeof(*paths));
    struct buf b;
    enum rc rc = RC_OK;
    buf_init(&b, SQL_MAX);
    const char *name;
    const json_t *f;
    json_object_foreach((json_t *)files, name, f)
    {
        char *rel = syncdir_file_relpath(id, name, partitioned);
        paths[k] = xasprintf("%s/%s", dir, rel);
        free(rel);
        struct stat st;
        if (!t->problem && (stat(paths[k], &st) != 0 || !S_ISREG(st.st_mode)))
            t->problem = xasprintf("%s is missing", paths[k]);
        k++;
    }
    if (n == 0)
        t->problem = xstrdup("it has no files");
    if (t->problem)
        goto out;
    struct err verr = { { 0 } };
    if (view_sql(&b, id, paths, n) != RC_OK) {
        rc = err_set(err, RC_TOOBIG, "the view of %s is too long", id);
        goto out;
    }
    if (duck_exec(d, buf_cstr(&b), &verr) != RC_OK) {
        t->problem = xasprintf("its files cannot be read: %s", verr.msg);
        goto out;
    }
    const char *desc = json_string_value(json_object_get(entry, "description"));
    if (desc && *desc) {
        buf_reset(&b);
        if (comment_sql(&b, id, desc) != RC_OK || duck_exec(d, buf_cstr(&b), &verr) != RC_OK) {
            rc = err_set(err, RC_DB, "cannot comment the view of %s: %s", id, verr.msg);
            goto out;
        }
    }
    buf_reset(&b);
    if (buf_append_str(&b, "SELECT count(*) FROM main.") || duck_sql_quote_ident(&b, id)) {
        rc = err_set(err, RC_TOOBIG, "the query of %s is too long", id);
        goto out;
    }
    if (duck_query_i64(d, buf_cstr(&b), &t->rows, &verr) != RC_OK) {
        t->problem = xasprintf("its files cannot be read: %s", verr.msg);
        buf_reset(&b);
        if (!buf_append_str(&b, "DROP VIEW main.") && !duck_sql_quote_ident(&b, id))
            rc = duck_exec(d, buf_cstr(&b), err);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    buf_cleanup(&b);
    return rc;
}

struct columns_ctx {
    struct table_doc *docs;
    size_t n;
};

static enum rc on_column(void *ctxv, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    struct columns_ctx *ctx = ctxv;
    if (ncols != 3 || !vals[0] || !vals[1])
        return RC_OK;
    for (size_t i = 0; i < ctx->n; i++) {
        struct table_doc *t = &ctx->docs[i];
        if (strcmp(t->id, vals[0]) != 0)
            continue;
        t->cols = xgrow(t->cols, &t->cap_cols, t->n_cols + 1, sizeof(*t->cols));
        t->cols[t->n_cols++] =
            (struct column){ .name = xstrdup(vals[1]), .type = xstrdup(vals[2] ? vals[2] : "") };
        break;
    }
    return RC_OK;
}

/* fsyncs the file at path. */
static enum rc fsync_path(const char *path, struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    enum rc rc = RC_OK;
    if (fd < 0 || fsync(fd) != 0)
        rc = err_set(err, RC_IO, "cannot fsync %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ---------------------------------------------------------------- DATA.md */

/* Appends s as one line of plain text: control characters and runs of blanks become one
 * space, and at most max bytes (cut at a character boundary) with "..." after a cut. */
static enum rc append_line(struct buf *b, const char *s, size_t max)
{
    size_t start = b->len;
    bool blank = true; /* drops leading blanks */
    enum rc rc = RC_OK;
    size_t i = 0;
    for (; s[i] && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        bool space = c < 0x20 || c == 0x7f || c == ' ';
        if (space && blank)
            continue;
        if (b->len - start >= max && (c & 0xc0) != 0x80)
            break;
        char out = space ? ' ' : (char)c;
        rc = buf_append(b, &out, 1);
        blank = space;
    }
    while (!rc && b->len > start && b->data[b->len - 1] == ' ')
        buf_truncate(b, b->len - 1);
    if (!rc && s[i])
        rc = buf_append_str(b, "...");
    return rc;
}

/* The metric definitions section: each file of state's "metrics" ({path, title?,
 * description?}, as `da sync` copied them into metrics/) with its title and description. */
static enum rc render_metrics(struct buf *b, const json_t *metrics)
{
    if (json_array_size(metrics) == 0)
        return RC_OK;
    enum rc rc = buf_append_str(
        b, "\n## Metric definitions\n\n"
           "The company's definitions of its business metrics are in `metrics/`. Read the one\n"
           "for a metric before computing it, and prefer its SQL.\n\n");
    size_t i;
    const json_t *m;
    json_array_foreach(metrics, i, m)
    {
        const char *path = json_string_value(json_object_get(m, "path"));
        const char *title = json_string_value(json_object_get(m, "title"));
        const char *about = json_string_value(json_object_get(m, "description"));
        if (rc || !path || !metric_path_valid(path))
            continue;
        rc = buf_printf(b, "- `metrics/%s`", path);
        if (!rc && title && *title) {
            rc = buf_append_str(b, ": ");
            if (!rc)
                rc = append_line(b, title, LOCALDB_DESCRIPTION_MAX);
        }
        if (!rc && about && *about) {
            rc = buf_append_str(b, " — ");
            if (!rc)
                rc = append_line(b, about, LOCALDB_DESCRIPTION_MAX);
        }
        if (!rc)
            rc = buf_append_str(b, "\n");
    }
    return rc;
}

static enum rc render(struct buf *b, const char *server, struct table_doc *docs, size_t n,
                      const json_t *metrics)
{
    enum rc rc = buf_printf(b, "# Data from %s\n\n", server);
    if (!rc)
        rc = buf_append_str(
            b,
            "This folder is a local copy of the tables you may read on that server, made by\n"
            "`da sync`. Run `da sync` again to update it; do not edit the files here, the next\n"
            "sync replaces them.\n\n"
            "## How to query\n\n"
            "- `duckdb da.duckdb` (in this folder) opens a database with one view per table\n"
            "  below: `SELECT count(*) FROM <table>;`\n"
            "- `da query \"SELECT ...\"` runs the same SQL on this folder from anywhere.\n"
            "- The Parquet files are in `tables/`: `<table>.parquet`, or for a table of several\n"
            "  files `<table>/*.parquet`, all with the same columns.\n\n"
            "## Tables\n");
    for (size_t i = 0; !rc && i < n; i++) {
        struct table_doc *t = &docs[i];
        rc = buf_printf(b, "\n### %s\n\n", t->id);
        if (!rc && t->description && *t->description) {
            rc = append_line(b, t->description, LOCALDB_DESCRIPTION_MAX);
            if (!rc)
                rc = buf_append_str(b, "\n\n");
        }
        if (!rc && t->problem) {
            rc = buf_append_str(b, "Not available here: ");
            if (!rc)
                rc = append_line(b, t->problem, LOCALDB_DESCRIPTION_MAX);
            if (!rc)
                rc = buf_append_str(b, ". Run `da sync`.\n");
            continue;
        }
        if (!rc)
            rc = buf_printf(b, "%lld rows", (long long)t->rows);
        if (!rc && t->updated && *t->updated)
            rc = buf_printf(b, ", data as of %s", t->updated);
        if (!rc && t->partitioned)
            rc = buf_printf(b, ", %zu files in tables/%s/", t->n_files, t->id);
        if (!rc)
            rc = buf_append_str(b, ". Columns:\n\n");
        for (size_t c = 0; !rc && c < t->n_cols; c++) {
            rc = buf_append_str(b, "- ");
            if (!rc)
                rc = append_line(b, t->cols[c].name, LOCALDB_DESCRIPTION_MAX);
            if (!rc)
                rc = buf_append_str(b, " ");
            if (!rc)
                rc = append_line(b, t->cols[c].type, TYPE_MAX);
            if (!rc)
                rc = buf_append_str(b, "\n");
        }
    }
    if (!rc && n == 0)
        rc = buf_append_str(b, "\nNo tables: you may not read any table on the server yet.\n");
    if (!rc)
        rc = render_metrics(b, metrics);
    return rc;
}

/* ---------------------------------------------------------------- the whole */

/* The digest of what the two files are made from: the folder (the views hold absolute
 * paths), the server, the tables and the metric definitions. */
static void source_digest(const char *dir, const json_t *state, char out[SHA256_HEX_LEN + 1])
{
    json_t *src = json_pack(
        "{s:s, s:O?, s:O?, s:O?}", "dir", dir, "server", json_object_get(state, "server"), "tables",
        json_object_get(state, "tables"), "metrics", json_object_get(state, "metrics"));
    char *text = src ? json_dumps(src, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    sha256_hex(text ? text : "", text ? strlen(text) : 0, out);
    free(text);
    json_decref(src);
}

static char *digest_path(const char *dir)
{
    return xasprintf("%s/.da/localdb.digest", dir);
}

bool localdb_is_current(const char *dir, const json_t *state)
{
    char want[SHA256_HEX_LEN + 1];
    char *path = digest_path(dir), *db = syncdir_db_path(dir), *md = syncdir_data_md_path(dir);
    char *have = NULL;
    size_t len = 0;
    struct err ignored;
    bool current = false;
    source_digest(dir, state, want);
    if (file_exists(db) && file_exists(md) &&
        file_read_all(path, 256, &have, &len, &ignored) == RC_OK)
        current = len == SHA256_HEX_LEN && memcmp(have, want, SHA256_HEX_LEN) == 0;
    free(have);
    free(path);
    free(db);
    free(md);
    return current;
}

enum rc localdb_build(const char *dir, const json_t *state, struct localdb_report *out,
                      struct err *err)
{
    memset(out, 0, sizeof(*out));
    const json_t *tables = json_object_get(state, "tables");
    const char *server = json_string_value(json_object_get(state, "server"));
    size_t n = json_object_size(tables);
    char *db_path = syncdir_db_path(dir);
    char *tmp = xasprintf("%s/.da/da.duckdb.new", dir); /* not da.duckdb.tmp: DuckDB's spill
                                                         * folder of da.duckdb has that name */
    char *tmp_wal = xasprintf("%s.wal", tmp);
    char *db_wal = xasprintf("%s.wal", db_path);
    char *md_path = syncdir_data_md_path(dir);
    struct table_doc *docs = xcalloc(n + 1, sizeof(*docs));
    struct duck *d = NULL;
    struct buf doc;
    enum rc rc = RC_OK;
    buf_init(&doc, DOC_MAX);
    out->tables = xcalloc(n + 1, sizeof(*out->tables));

    unlink(tmp); /* what a killed sync left */
    unlink(tmp_wal);
    rc = duck_open(tmp, &d, err);
    const char *id;
    const json_t *entry;
    json_object_foreach((json_t *)tables, id, entry)
    {
        if (rc)
            break;
        struct localdb_table *t = &out->tables[out->n++];
        t->id = xstrdup(id);
        rc = add_view(d, dir, id, entry, t, err);
        if (!rc && !t->problem)
            out->n_views++;
    }
    for (size_t i = 0; !rc && i < out->n; i++) {
        const json_t *e = json_object_get(tables, out->tables[i].id);
        size_t nf = json_object_size(json_object_get(e, "files"));
        docs[i] = (struct table_doc){
            .id = out->tables[i].id,
            .description = json_string_value(json_object_get(e, "description")),
            .updated = json_string_value(json_object_get(e, "updated")),
            .rows = out->tables[i].rows,
            .n_files = nf,
            .partitioned = nf > 1,
            .problem = out->tables[i].problem,
        };
    }
    struct columns_ctx cctx = { docs, out->n };
    if (!rc)
        rc = duck_query_rows(d,
                             "SELECT table_name::VARCHAR, column_name::VARCHAR, "
                             "data_type::VARCHAR FROM information_schema.columns "
                             "WHERE table_schema = 'main' "
                             "ORDER BY table_name, ordinal_position",
                             on_column, &cctx, err);
    duck_close(&d);
    if (!rc)
        rc = fsync_path(tmp, err);
    if (!rc && render(&doc, server ? server : "the server", docs, out->n,
                      json_object_get(state, "metrics")) != RC_OK)
        rc = err_set(err, RC_TOOBIG, "DATA.md would be larger than %u bytes", DOC_MAX);
    if (!rc) {
        unlink(db_wal); /* a log of the old database would be replayed onto the new one */
        rc = file_rename_durable(tmp, db_path, err);
    }
    if (!rc)
        rc = file_write_atomic(md_path, buf_cstr(&doc), doc.len, 0644, err);
    char *dpath = digest_path(dir);
    unlink(dpath);
    if (!rc && out->n_views == out->n) { /* a build with a problem is never skipped */
        char digest[SHA256_HEX_LEN + 1];
        source_digest(dir, state, digest);
        rc = file_write_atomic(dpath, digest, SHA256_HEX_LEN, 0600, err);
    }
    free(dpath);
    if (rc) {
        unlink(tmp);
        unlink(tmp_wal);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < docs[i].n_cols; c++) {
            free(docs[i].cols[c].name);
            free(docs[i].cols[c].type);
        }
        free(docs[i].cols);
    }
    free(docs);
    buf_cleanup(&doc);
    free(db_path);
    free(tmp);
    free(tmp_wal);
    free(db_wal);
    free(md_path);
    return rc;
}

void localdb_report_free(struct localdb_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->tables[i].id);
        free(r->tables[i].problem);
    }
    free(r->tables);
    memset(r, 0, sizeof(*r));
}
