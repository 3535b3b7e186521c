/* extract_writer.c — writing an extract so that a kill at any instant leaves the previous one
 * readable (see extract.h). Parquet files are immutable: each run writes a new folder
 * data/run-<time>-<random>/, because a view binds its column types when it is created and a
 * file replaced under the same name with another schema would break the live extract's views.
 * extract.duckdb.tmp is built beside the live file, checked, fsynced and renamed over it: that
 * rename is the one commit point. A partitioned table is a folder <run>/<table>/ of part
 * files. Old run folders are removed only when nothing can read them (see
 * extract_remove_stale_runs). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rand.h"
#include "data/datadir.h"
#include "data/duck.h"
#include "data/extract.h"

#define SQL_MAX (1024 * 1024)

struct extract_writer {
    char *dir;      /* absolute source folder */
    char *data_dir; /* the data folder: dir/../.. */
    char *run_name; /* run-<time>-<random> */
    char *run_dir;  /* dir/data/<run_name> */
    char *tmp_db;   /* dir/extract.duckdb.tmp */
    int lock_fd;
    struct duck *work; /* in-memory: runs the connector's queries */
    struct duck *ext;  /* extract.duckdb.tmp */
    char now[32];      /* extracted_at of every row of this run */
    struct extract_commit_result totals;
    char **names;
    size_t n_names, cap_names;
};

static enum rc remove_file(const char *path, struct err *err)
{
    if (unlink(path) != 0 && errno != ENOENT)
        return err_set(err, RC_IO, "cannot remove %s: %s", path, strerror(errno));
    return RC_OK;
}

static enum rc fsync_path(const char *path, struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, RC_IO, "cannot open %s: %s", path, strerror(errno));
    enum rc rc = RC_OK;
    if (fsync(fd) != 0)
        rc = err_set(err, RC_IO, "cannot sync %s: %s", path, strerror(errno));
    close(fd);
    return rc;
}

/* Takes the source folder's lock: LOCK_EX, waiting when wait is set. -1 when not taken. */
static int lock_dir(const char *dir, bool wait)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* What a killed run leaves: extract.duckdb.tmp (and its WAL), a WAL beside the live file that
 * must never be replayed into the next one, *.tmp files in run folders, DuckDB's spill folder,
 * and run folders that no committed extract ever named (removed later by the stale-run
 * sweep, which knows which runs are in use). */
static enum rc remove_leftovers(const struct extract_writer *w, struct err *err)
{
    static const char *const names[] = { "extract.duckdb.tmp", "extract.duckdb.tmp.wal",
                                         "extract.duckdb.wal" };
    enum rc rc = RC_OK;
    for (size_t i = 0; !rc && i < ARRAY_LEN(names); i++) {
        char *p = xasprintf("%s/%s", w->dir, names[i]);
        rc = remove_file(p, err);
        free(p);
    }
    if (!rc) {
        char *spill = xasprintf("%s/.spill", w->dir);
        rc = file_remove_tree(spill, NULL, err);
        free(spill);
    }
    return rc;
}

static void utc_now(char out[32], char stamp[24])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
    strftime(stamp, 24, "%Y%m%dT%H%M%SZ", &tm);
}

static enum rc open_databases(struct extract_writer *w, struct err *err)
{
    struct buf sql;
    buf_init(&sql, 8192);
    enum rc rc = duck_open(NULL, &w->work, err);
    if (rc)
        goto out;
    /* big sorts may spill; keep that inside the source folder, not the server's working
     * folder */
    char *spill = xasprintf("%s/.spill", w->dir);
    rc = buf_append_str(&sql, "SET temp_directory = ");
    if (!rc)
        rc = duck_sql_quote_literal(&sql, spill);
    free(spill);
    if (rc) {
        rc = err_set(err, RC_INVALID, "source folder path is too long");
        goto out;
    }
    rc = duck_exec(w->work, buf_cstr(&sql), err);
    if (!rc)
        rc = duck_open(w->tmp_db, &w->ext, err);
    /* one transaction for the whole run: no WAL commit per statement */
    if (!rc)
        rc = duck_exec(w->ext,
                       "BEGIN TRANSACTION;"
                       "CREATE TABLE _meta (table_name VARCHAR, description VARCHAR,"
                       " rows BIGINT, size_bytes BIGINT, extracted_at TIMESTAMP,"
                       " query_mode VARCHAR)",
                       err);
out:
    buf_cleanup(&sql);
    return rc;
}

enum rc extract_writer_begin(const char *dir, struct extract_writer **out, struct err *err)
{
    struct extract_writer *w = xcalloc(1, sizeof(*w));
    w->lock_fd = -1;
    *out = NULL;
    char *data = xasprintf("%s/data", dir);
    enum rc rc = file_mkdir_p(data, 0755, err);
    free(data);
    if (rc)
        goto fail;
    w->dir = realpath(dir, NULL);
    if (!w->dir) {
        rc = err_set(err, RC_IO, "cannot resolve %s: %s", dir, strerror(errno));
        goto fail;
    }
    const char *source = strrchr(w->dir, '/') + 1;
    if (!ident_valid(source)) {
        rc = err_set(err, RC_INVALID,
                     "source name '%s' is not a safe identifier"
                     " ([A-Za-z_][A-Za-z0-9_]{0,63})",
                     source);
        goto fail;
    }
    char *parent = xasprintf("%s/../..", w->dir);
    w->data_dir = realpath(parent, NULL);
    free(parent);
    w->lock_fd = lock_dir(w->dir, true);
    if (w->lock_fd < 0 || !w->data_dir) {
        rc = err_set(err, RC_IO, "cannot lock %s: %s", w->dir, strerror(errno));
        goto fail;
    }
    rc = remove_leftovers(w, err);
    if (rc)
        goto fail;

    char stamp[24], rnd[9];
    utc_now(w->now, stamp);
    rc = rand_hex(rnd, 4, err);
    if (rc)
        goto fail;
    w->run_name = xasprintf(EXTRACT_RUN_PREFIX "%s-%s", stamp, rnd);
    w->run_dir = xasprintf("%s/data/%s", w->dir, w->run_name);
    w->tmp_db = xasprintf("%s/extract.duckdb.tmp", w->dir);
    if (mkdir(w->run_dir, 0755) != 0) {
        rc = err_set(err, RC_IO, "cannot create %s: %s", w->run_dir, strerror(errno));
        goto fail;
    }
    rc = open_databases(w, err);
    if (rc)
        goto fail;
    *out = w;
    return RC_OK;
fail:
    extract_writer_abort(&w);
    return rc;
}

struct duck *extract_writer_duck(struct extract_writer *w)
{
    return w->work;
}

/* Writes the query's rows to <base>.parquet through <base>.parquet.tmp, fsync and rename;
 * what names the table (and part) in messages. *out_path is the final file (heap). */
static enum rc write_parquet(struct extract_writer *w, const char *base, const char *what,
                             const char *select_sql, char **out_path, struct err *err)
{
    struct buf sql;
    char *tmp = xasprintf("%s.parquet.tmp", base);
    char *final = xasprintf("%s.parquet", base);
    buf_init(&sql, SQL_MAX);
    enum rc rc = buf_printf(&sql, "COPY (%s) TO ", select_sql);
    if (!rc)
        rc = duck_sql_quote_literal(&sql, tmp);
    if (!rc)
        rc = buf_append_str(&sql, " (FORMAT parquet, COMPRESSION zstd)");
    if (rc) {
        rc = err_set(err, RC_TOOBIG, "the query of %s is too long", what);
        goto out;
    }
    rc = duck_exec(w->work, buf_cstr(&sql), err);
    if (rc) {
        char msg[ERR_MSG_LEN];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        rc = err_set(err, rc, "%s: %s", what, msg);
        goto out;
    }
    rc = fsync_path(tmp, err);
    if (!rc)
        rc = file_rename_durable(tmp, final, err);
    if (rc)
        goto out;
    *out_path = final;
    final = NULL;
out:
    if (rc)
        (void)remove_file(tmp, &(struct err){ 0 });
    buf_cleanup(&sql);
    free(tmp);
    free(final);
    return rc;
}

/* Hard-links from, a Parquet file of an earlier run of this source, as <base>.parquet: the part
 * keeps its bytes. from must be a regular file inside <dir>/data/ (never a file elsewhere, which
 * the extract could then serve). */
static enum rc keep_parquet(struct extract_writer *w, const char *base, const char *what,
                            const char *from, char **out_path, struct err *err)
{
    char *real = realpath(from, NULL);
    char *data = xasprintf("%s/data/", w->dir);
    char *final = xasprintf("%s.parquet", base);
    struct stat st;
    enum rc rc = RC_OK;
    if (!real || strncmp(real, data, strlen(data)) != 0 || stat(real, &st) != 0 ||
        !S_ISREG(st.st_mode))
        rc = err_set(err, RC_INVALID, "%s: %s is not a file of an earlier run", what, from);
    else if (link(real, final) != 0)
        rc = err_set(err, RC_IO, "%s: cannot link %s: %s", what, from, strerror(errno));
    else
        rc = file_fsync_dir_of(final, err);
    if (!rc) {
        *out_path = final;
        final = NULL;
    }
    free(real);
    free(data);
    free(final);
    return rc;
}

/* Adds the view over the files at paths (one: read_parquet('f'); several: a list) and its
 * _meta row to extract.duckdb.tmp. */
static enum rc add_view(struct extract_writer *w, const char *name, const char *description,
                        char *const *paths, size_t n_paths, struct err *err)
{
    struct buf sql;
    int64_t rows = 0, size = 0;
    buf_init(&sql, SQL_MAX);
    enum rc rc = buf_append_str(&sql, "CREATE VIEW ");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, name);
    if (!rc)
        rc = buf_append_str(&sql, n_paths > 1 ? " AS SELECT * FROM read_parquet(["
                                              : " AS SELECT * FROM read_parquet(");
    for (size_t i = 0; !rc && i < n_paths; i++) {
        if (i > 0)
            rc = buf_append_str(&sql, ", ");
        if (!rc)
            rc = duck_sql_quote_literal(&sql, paths[i]);
    }
    if (!rc)
        rc = buf_append_str(&sql, n_paths > 1 ? "])" : ")");
    if (rc) {
        rc = err_set(err, RC_TOOBIG, "the view of %s is too long", name);
        goto out;
    }
    rc = duck_exec(w->ext, buf_cstr(&sql), err);
    if (rc)
        goto out;
    buf_reset(&sql);
    rc = buf_append_str(&sql, "SELECT count(*) FROM ");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, name);
    if (!rc)
        rc = duck_query_i64(w->ext, buf_cstr(&sql), &rows, err);
    if (rc)
        goto out;
    for (size_t i = 0; i < n_paths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            rc = err_set(err, RC_IO, "cannot stat %s: %s", paths[i], strerror(errno));
            goto out;
        }
        size += st.st_size;
    }
    char rows_text[24], size_text[24];
    snprintf(rows_text, sizeof(rows_text), "%lld", (long long)rows);
    snprintf(size_text, sizeof(size_text), "%lld", (long long)size);
    const char *params[] = { name, description ? description : "", rows_text, size_text, w->now,
                             NULL };
    rc = duck_exec_params(w->ext,
                          "INSERT INTO _meta VALUES (?, ?, ?::BIGINT, ?::BIGINT,"
                          " ?::TIMESTAMP, 'local')",
                          params, err);
    if (rc)
        goto out;
    w->totals.tables++;
    w->totals.rows += rows;
    w->totals.bytes += size;
out:
    buf_cleanup(&sql);
    return rc;
}

/* Checks that name can be added as a new table of this run. */
static enum rc check_new_table(const struct extract_writer *w, const char *name, struct err *err)
{
    if (!ident_is_table_id(name))
        return err_set(err, RC_INVALID,
                       "table name '%s' is not a canonical table id"
                       " (lower-case letters, digits and '_')",
                       name);
    for (size_t i = 0; i < w->n_names; i++)
        if (strcmp(w->names[i], name) == 0)
            return err_set(err, RC_CONFLICT, "table %s is added twice", name);
    return RC_OK;
}

static void remember_table(struct extract_writer *w, const char *name)
{
    w->names = xgrow(w->names, &w->cap_names, w->n_names + 1, sizeof(*w->names));
    w->names[w->n_names++] = xstrdup(name);
}

enum rc extract_writer_add(struct extract_writer *w, const char *name, const char *description,
                           const char *select_sql, struct err *err)
{
    enum rc rc = check_new_table(w, name, err);
    if (rc)
        return rc;
    char *base = xasprintf("%s/%s", w->run_dir, name);
    char *what = xasprintf("table %s", name);
    char *path = NULL;
    rc = write_parquet(w, base, what, select_sql, &path, err);
    if (!rc)
        rc = add_view(w, name, description, &path, 1, err);
    free(path);
    free(what);
    free(base);
    if (!rc)
        remember_table(w, name);
    return rc;
}

bool extract_part_name_valid(const char *s)
{
    if (!s || !*s || s[0] == '.' || s[0] == '-')
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok || n >= EXTRACT_PART_NAME_MAX)
            return false;
    }
    return true;
}

void extract_columns_cleanup(struct extract_columns *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->names[i]);
        free(c->types[i]);
    }
    free(c->names);
    free(c->types);
    memset(c, 0, sizeof(*c));
}

static enum rc collect_column(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)ncols;
    struct extract_columns *c = ctx;
    if (!vals[0] || !vals[1])
        return err_set(err, RC_DB, "DESCRIBE gave a column without a name or type");
    size_t cap = c->cap; /* the two arrays grow alike */
    c->names = xgrow(c->names, &c->cap, c->n + 1, sizeof(*c->names));
    c->types = xgrow(c->types, &cap, c->n + 1, sizeof(*c->types));
    c->names[c->n] = xstrdup(vals[0]);
    c->types[c->n] = xstrdup(vals[1]);
    c->n++;
    return RC_OK;
}

enum rc extract_writer_columns(struct extract_writer *w, const char *select_sql,
                               struct extract_columns *out, struct err *err)
{
    struct buf sql;
    memset(out, 0, sizeof(*out));
    buf_init(&sql, SQL_MAX);
    enum rc rc =
        buf_printf(&sql, "SELECT column_name, column_type FROM (DESCRIBE (%s))", select_sql);
    if (rc)
        rc = err_set(err, RC_TOOBIG, "the query to describe is too long");
    else
        rc = duck_query_rows(w->work, buf_cstr(&sql), collect_column, out, err);
    if (rc)
        extract_columns_cleanup(out);
    buf_cleanup(&sql);
    return rc;
}

/* The columns of the Parquet file at path. */
static enum rc file_columns(struct extract_writer *w, const char *path, struct extract_columns *out,
                            struct err *err)
{
    struct buf sql;
    buf_init(&sql, SQL_MAX);
    enum rc rc = buf_append_str(&sql, "SELECT * FROM read_parquet(");
    if (!rc)
        rc = duck_sql_quote_literal(&sql, path);
    if (!rc)
        rc = buf_append_str(&sql, ")");
    if (rc)
        rc = err_set(err, RC_TOOBIG, "path too long: %s", path);
    else
        rc = extract_writer_columns(w, buf_cstr(&sql), out, err);
    buf_cleanup(&sql);
    return rc;
}

/* Checks that every written part has the columns of the first, in the same order. */
static enum rc check_part_columns(struct extract_writer *w, const char *name,
                                  const struct extract_part *parts, char *const *paths, size_t n,
                                  struct err *err)
{
    struct extract_columns first = { 0 }, other = { 0 };
    enum rc rc = file_columns(w, paths[0], &first, err);
    for (size_t i = 1; !rc && i < n; i++) {
        rc = file_columns(w, paths[i], &other, err);
        if (rc)
            break;
        size_t k = 0;
        while (k < first.n && k < other.n && strcmp(first.names[k], other.names[k]) == 0 &&
               strcmp(first.types[k], other.types[k]) == 0)
            k++;
        if (k < first.n && k < other.n)
            rc = err_set(err, RC_INVALID,
                         "table %s: column %zu is %s %s in part %s but %s %s"
                         " in part %s; every part needs the same columns in the"
                         " same order",
                         name, k + 1, other.names[k], other.types[k], parts[i].name, first.names[k],
                         first.types[k], parts[0].name);
        else if (k < first.n)
            rc = err_set(err, RC_INVALID, "table %s: part %s has no column %s, which part %s has",
                         name, parts[i].name, first.names[k], parts[0].name);
        else if (k < other.n)
            rc = err_set(err, RC_INVALID,
                         "table %s: part %s has a column %s, which part %s has"
                         " not",
                         name, parts[i].name, other.names[k], parts[0].name);
        extract_columns_cleanup(&other);
    }
    extract_columns_cleanup(&first);
    return rc;
}

/* Checks the parts' names before anything is written. */
static enum rc check_parts(const char *name, const struct extract_part *parts, size_t n,
                           struct err *err)
{
    if (n == 0)
        return err_set(err, RC_INVALID, "table %s has no parts", name);
    if (n > EXTRACT_PARTS_MAX)
        return err_set(err, RC_TOOBIG, "table %s has %zu parts; at most %d are allowed", name, n,
                       EXTRACT_PARTS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!extract_part_name_valid(parts[i].name))
            return err_set(err, RC_INVALID,
                           "table %s: part name '%s' is not 1-%d characters of"
                           " letters, digits, '_', '.' and '-', starting with a"
                           " letter, digit or '_'",
                           name, parts[i].name ? parts[i].name : "", EXTRACT_PART_NAME_MAX);
        if (!parts[i].select_sql == !parts[i].from_file)
            return err_set(err, RC_INVALID, "table %s: part %s needs a query or a file", name,
                           parts[i].name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(parts[j].name, parts[i].name) == 0)
                return err_set(err, RC_CONFLICT, "table %s: part %s is given twice", name,
                               parts[i].name);
    }
    return RC_OK;
}

enum rc extract_writer_add_parts(struct extract_writer *w, const char *name,
                                 const char *description, const struct extract_part *parts,
                                 size_t n_parts, struct err *err)
{
    enum rc rc = check_new_table(w, name, err);
    if (!rc)
        rc = check_parts(name, parts, n_parts, err);
    if (rc)
        return rc;
    char *folder = xasprintf("%s/%s", w->run_dir, name);
    char **paths = xcalloc(n_parts, sizeof(*paths));
    /* the folder's entry in the run folder is made durable by the commit's fsync of the run */
    if (mkdir(folder, 0755) != 0) {
        rc = err_set(err, RC_IO, "cannot create %s: %s", folder, strerror(errno));
        goto out;
    }
    for (size_t i = 0; !rc && i < n_parts; i++) {
        char *base = xasprintf("%s/%s", folder, parts[i].name);
        char *what = xasprintf("table %s, part %s", name, parts[i].name);
        rc = parts[i].from_file ? keep_parquet(w, base, what, parts[i].from_file, &paths[i], err)
                                : write_parquet(w, base, what, parts[i].select_sql, &paths[i], err);
        free(what);
        free(base);
    }
    if (!rc)
        rc = check_part_columns(w, name, parts, paths, n_parts, err);
    if (!rc)
        rc = add_view(w, name, description, paths, n_parts, err);
    if (!rc)
        remember_table(w, name);
    else
        (void)file_remove_tree(folder, NULL,
                               &(struct err){ 0 }); /* nothing of a failed table stays */
out:
    for (size_t i = 0; i < n_parts; i++)
        free(paths[i]);
    free(paths);
    free(folder);
    return rc;
}

static void writer_free(struct extract_writer *w)
{
    duck_close(&w->work);
    duck_close(&w->ext);
    if (w->lock_fd >= 0)
        close(w->lock_fd); /* releases the lock */
    for (size_t i = 0; i < w->n_names; i++)
        free(w->names[i]);
    free(w->names);
    free(w->dir);
    free(w->data_dir);
    free(w->run_name);
    free(w->run_dir);
    free(w->tmp_db);
    free(w);
}

void extract_writer_abort(struct extract_writer **wp)
{
    if (!wp || !*wp)
        return;
    struct extract_writer *w = *wp;
    struct err ignored;
    duck_close(&w->work);
    duck_close(&w->ext);
    if (w->dir && w->lock_fd >= 0) {
        (void)remove_leftovers(w, &ignored);
        if (w->run_dir)
            (void)file_remove_tree(w->run_dir, NULL, &ignored);
    }
    writer_free(w);
    *wp = NULL;
}

/* Checks the finished extract.duckdb.tmp as the catalog will read it. */
static enum rc check_before_commit(struct extract_writer *w, struct err *err)
{
    struct extract_info info;
    enum rc rc = extract_inspect(w->dir, "extract.duckdb.tmp", w->data_dir, &info, err);
    if (rc)
        return rc;
    if (info.n_problems > 0)
        rc = err_set(err, RC_INVALID, "the new extract fails its check: %s", info.problems[0]);
    extract_info_cleanup(&info);
    return rc;
}

/* Names of the run folders the extract.duckdb in dir reads. */
static enum rc runs_in_use(const char *dir, const char *data_dir, char ***out, size_t *out_len,
                           struct err *err)
{
    struct extract_info info;
    size_t cap = 0;
    *out = NULL;
    *out_len = 0;
    enum rc rc = extract_inspect(dir, NULL, data_dir, &info, err);
    if (rc == RC_NOTFOUND)
        return RC_OK;
    if (rc)
        return rc;
    for (size_t i = 0; i < info.n_tables; i++) {
        for (size_t f = 0; f < info.tables[i].n_files; f++) {
            size_t len = 0;
            const char *run = extract_run_of_file(dir, info.tables[i].files[f], &len);
            if (!run)
                continue;
            bool seen = false;
            for (size_t k = 0; k < *out_len && !seen; k++)
                seen = strlen((*out)[k]) == len && strncmp((*out)[k], run, len) == 0;
            if (!seen) {
                *out = xgrow(*out, &cap, *out_len + 1, sizeof(char *));
                (*out)[(*out_len)++] = xstrndup(run, len);
            }
        }
    }
    extract_info_cleanup(&info);
    return RC_OK;
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* Removes run folders in dir/data named in neither list. Caller holds the source lock. */
static enum rc sweep_runs(const char *dir, const char *const *keep, size_t n_keep,
                          char *const *used, size_t n_used, int *out_removed, struct err *err)
{
    char *data = xasprintf("%s/data", dir);
    DIR *d = opendir(data);
    enum rc rc = RC_OK;
    *out_removed = 0;
    if (!d) {
        free(data);
        return RC_OK;
    }
    const struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, EXTRACT_RUN_PREFIX, strlen(EXTRACT_RUN_PREFIX)) != 0 ||
            in_list(e->d_name, keep, n_keep) ||
            in_list(e->d_name, (const char *const *)used, n_used))
            continue;
        char *path = xasprintf("%s/%s", data, e->d_name);
        rc = file_remove_tree(path, NULL, err);
        free(path);
        if (!rc)
            (*out_removed)++;
    }
    closedir(d);
    free(data);
    return rc;
}

/* Whether dir/data holds a run folder that is not in keep (readdir only: cheap). */
static bool has_other_runs(const char *dir, const char *const *keep, size_t n_keep)
{
    char *data = xasprintf("%s/data", dir);
    DIR *d = opendir(data);
    free(data);
    if (!d)
        return false;
    bool found = false;
    const struct dirent *e;
    while (!found && (e = readdir(d)) != NULL)
        found = strncmp(e->d_name, EXTRACT_RUN_PREFIX, strlen(EXTRACT_RUN_PREFIX)) == 0 &&
                !in_list(e->d_name, keep, n_keep);
    closedir(d);
    return found;
}

enum rc extract_remove_stale_runs(const char *dir, const char *const *keep, size_t n_keep,
                                  int *out_removed, struct err *err)
{
    char **used = NULL;
    size_t n_used = 0;
    *out_removed = 0;
    /* the usual case, only the runs in use: no need to read the extract */
    if (!has_other_runs(dir, keep, n_keep))
        return RC_OK;
    *out_removed = -1;
    int fd = lock_dir(dir, false);
    if (fd < 0)
        return RC_OK; /* a writer is at work; the next sweep will do */
    char *parent = xasprintf("%s/../..", dir);
    enum rc rc = runs_in_use(dir, parent, &used, &n_used, err);
    if (!rc)
        rc = sweep_runs(dir, keep, n_keep, used, n_used, out_removed, err);
    for (size_t i = 0; i < n_used; i++)
        free(used[i]);
    free(used);
    free(parent);
    close(fd);
    return rc;
}

enum rc extract_writer_commit(struct extract_writer **wp, struct extract_commit_result *out,
                              struct err *err)
{
    struct extract_writer *w = *wp;
    char *live = xasprintf("%s/" EXTRACT_DB_FILE, w->dir);
    char *live_wal = xasprintf("%s/" EXTRACT_DB_FILE ".wal", w->dir);
    char *tmp_wal = xasprintf("%s.wal", w->tmp_db);
    enum rc rc = duck_exec(w->ext, "COMMIT; CHECKPOINT", err);
    if (rc)
        goto fail;
    duck_close(&w->ext);
    duck_close(&w->work);
    /* a checkpointed, closed database has no WAL; remove one if DuckDB left it anyway, before
     * the check opens the file */
    rc = remove_file(tmp_wal, err);
    if (!rc)
        rc = check_before_commit(w, err);
    if (!rc)
        rc = fsync_path(w->run_dir, err);
    if (!rc)
        rc = fsync_path(w->tmp_db, err);
    if (!rc)
        rc = remove_file(live_wal, err);
    if (rc)
        goto fail;
    /* the commit point */
    rc = file_rename_durable(w->tmp_db, live, err);
    if (rc)
        goto fail;
    *out = w->totals;
    out->removed_runs = 0;
    int hold = datadir_hold_if_no_server(w->data_dir);
    if (hold >= 0) {
        /* no server can be reading an older run: keep only what the new extract uses */
        char **used = NULL;
        size_t n_used = 0;
        struct err gc_err = { 0 };
        enum rc grc = runs_in_use(w->dir, w->data_dir, &used, &n_used, &gc_err);
        if (!grc)
            grc = sweep_runs(w->dir, NULL, 0, used, n_used, &out->removed_runs, &gc_err);
        if (grc)
            log_warn("extract", "cannot remove old runs in %s: %s", w->dir, gc_err.msg);
        for (size_t i = 0; i < n_used; i++)
            free(used[i]);
        free(used);
        close(hold);
    }
    free(live);
    free(live_wal);
    free(tmp_wal);
    writer_free(w);
    *wp = NULL;
    return RC_OK;
fail:
    free(live);
    free(live_wal);
    free(tmp_wal);
    extract_writer_abort(wp);
    return rc;
}
