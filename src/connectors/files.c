/* files.c — the files connector (see files.h). It plans the run's tables from the folder (a
 * file, or a subfolder of files for a partitioned table) before anything is read, chooses a
 * DuckDB reader per file, checks that the files of one table agree on columns, and hands the
 * queries to the extract writer, which makes the run crash safe and checks the result like
 * every other extract. File paths reach SQL only as quoted literals, column names only as
 * quoted identifiers. */
#include "connectors/files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/ident.h"
#include "base/log.h"
#include "base/mem.h"
#include "data/duck.h"
#include "data/extract.h"

#define FILES_MAX 10000

struct reader {
    const char *suffix;
    const char *function; /* the DuckDB reader, with its options after the path */
    const char *options;
};

static const struct reader readers[] = {
    { ".csv.gz", "read_csv", ", auto_detect = true" },
    { ".csv", "read_csv", ", auto_detect = true" },
    { ".tsv", "read_csv", ", auto_detect = true, delim = '\\t'" },
    { ".parquet", "read_parquet", "" },
    { ".jsonl", "read_json_auto", ", format = 'newline_delimited'" },
    { ".ndjson", "read_json_auto", ", format = 'newline_delimited'" },
    { ".json", "read_json_auto", "" },
};

static const struct reader *reader_for(const char *name, size_t *out_stem_len)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < ARRAY_LEN(readers); i++) {
        size_t n = strlen(readers[i].suffix);
        if (len > n && strcasecmp(name + len - n, readers[i].suffix) == 0) {
            *out_stem_len = len - n;
            return &readers[i];
        }
    }
    return NULL;
}

/* The table id of a file's stem or a folder's name (len bytes of name): other characters
 * than letters and digits become '_', a leading digit gets "t_", then ident_table_id. */
static bool id_of(const char *name, size_t len, char out[IDENT_MAX_LEN + 1])
{
    char cleaned[IDENT_MAX_LEN + 3];
    size_t n = 0;
    out[0] = '\0';
    if (len == 0)
        return false;
    if (name[0] >= '0' && name[0] <= '9') {
        cleaned[n++] = 't';
        cleaned[n++] = '_';
    }
    for (size_t i = 0; i < len; i++) {
        if (n >= IDENT_MAX_LEN)
            return false;
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        cleaned[n++] = ok ? c : '_';
    }
    cleaned[n] = '\0';
    return ident_table_id(cleaned, out);
}

bool files_table_id(const char *file_name, char out[65])
{
    size_t stem_len = 0;
    out[0] = '\0';
    if (!reader_for(file_name, &stem_len))
        return false;
    return id_of(file_name, stem_len, out);
}

bool files_folder_table_id(const char *folder_name, char out[65])
{
    return id_of(folder_name, strlen(folder_name), out);
}

/* The part name of a file in a table's folder: its stem, each character that a part name may
 * not hold turned into '_' (see extract_part_name_valid). False when it is too long. */
static bool part_name_of(const char *file_name, size_t stem_len,
                         char out[EXTRACT_PART_NAME_MAX + 1])
{
    out[0] = '\0';
    if (stem_len == 0 || stem_len > EXTRACT_PART_NAME_MAX)
        return false;
    for (size_t i = 0; i < stem_len; i++) {
        char c = file_name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || (i > 0 && (c == '.' || c == '-'));
        out[i] = ok ? c : '_';
    }
    out[stem_len] = '\0';
    return extract_part_name_valid(out);
}

struct entry {
    char *name;
    bool folder;
};

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void entries_free(struct entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

/* The regular files and folders directly in dir, sorted; hidden ones left out. */
static enum rc list_entries(const char *dir, struct entry **out, size_t *out_len, struct err *err)
{
    DIR *d = opendir(dir);
    *out = NULL;
    *out_len = 0;
    if (!d)
        return err_set(err, errno == ENOENT ? RC_NOTFOUND : RC_IO, "cannot open %s: %s", dir,
                       strerror(errno));
    struct entry *entries = NULL;
    size_t n = 0, cap = 0;
    enum rc rc = RC_OK;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        bool ok = stat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
        free(path);
        if (!ok)
            continue;
        if (n == FILES_MAX) {
            rc = err_set(err, RC_TOOBIG, "%s holds more than %d files", dir, FILES_MAX);
            break;
        }
        entries = xgrow(entries, &cap, n + 1, sizeof(*entries));
        entries[n].name = xstrdup(e->d_name);
        entries[n].folder = S_ISDIR(st.st_mode);
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(entries, n, sizeof(*entries), compare_entries);
    if (rc) {
        entries_free(entries, n);
        return rc;
    }
    *out = entries;
    *out_len = n;
    return RC_OK;
}

/* One table of the run: a file of ours, or a folder whose files of ours are its parts. */
struct table_plan {
    char id[IDENT_MAX_LEN + 1];
    char *entry; /* the file's or the folder's name in from_dir */
    bool folder;
    char **files;                             /* folder: its files of ours, sorted */
    char (*parts)[EXTRACT_PART_NAME_MAX + 1]; /* folder: the part name of each file */
    size_t n_files;
};

struct plan {
    struct table_plan *tables;
    size_t n_tables;
    int skipped;
};

static void plan_cleanup(struct plan *p)
{
    for (size_t i = 0; i < p->n_tables; i++) {
        struct table_plan *t = &p->tables[i];
        free(t->entry);
        for (size_t f = 0; f < t->n_files; f++)
            free(t->files[f]);
        free(t->files);
        free(t->parts);
    }
    free(p->tables);
    memset(p, 0, sizeof(*p));
}

/* Fills in the parts of folder table t from the folder's files. */
static enum rc plan_folder(const char *from, struct table_plan *t, int *skipped, struct err *err)
{
    struct entry *entries = NULL;
    size_t n = 0;
    char *path = xasprintf("%s/%s", from, t->entry);
    enum rc rc = list_entries(path, &entries, &n, err);
    free(path);
    if (rc)
        return rc;
    t->files = xcalloc(n ? n : 1, sizeof(*t->files));
    t->parts = xcalloc(n ? n : 1, sizeof(*t->parts));
    for (size_t i = 0; !rc && i < n; i++) {
        const char *name = entries[i].name;
        size_t stem_len = 0;
        if (entries[i].folder) {
            /* refused rather than skipped: leaving its files out would load part of a table */
            rc = err_set(err, RC_INVALID,
                         "%s/%s is a folder: a table's folder holds only its"
                         " files, one level deep",
                         t->entry, name);
            break;
        }
        if (!reader_for(name, &stem_len)) {
            log_info("files", "skipping %s/%s: not CSV, Parquet or JSON", t->entry, name);
            (*skipped)++;
            continue;
        }
        char *part = t->parts[t->n_files];
        if (!part_name_of(name, stem_len, part)) {
            rc = err_set(err, RC_INVALID,
                         "file %s/%s does not give a part name; shorten its"
                         " name to at most %d characters",
                         t->entry, name, EXTRACT_PART_NAME_MAX);
            break;
        }
        for (size_t j = 0; !rc && j < t->n_files; j++)
            if (strcmp(t->parts[j], part) == 0)
                rc = err_set(err, RC_INVALID,
                             "files %s/%s and %s/%s both give part %s of"
                             " table %s; rename one",
                             t->entry, t->files[j], t->entry, name, part, t->id);
        if (!rc)
            t->files[t->n_files++] = xstrdup(name);
    }
    if (!rc && t->n_files == 0)
        rc = err_set(err, RC_INVALID, "folder %s holds no CSV, Parquet or JSON file", t->entry);
    if (!rc && t->n_files > EXTRACT_PARTS_MAX)
        rc = err_set(err, RC_TOOBIG, "folder %s holds %zu files; a table has at most %d parts",
                     t->entry, t->n_files, EXTRACT_PARTS_MAX);
    entries_free(entries, n);
    return rc;
}

/* Decides every table of the run and its name, before anything is read, so a naming problem
 * fails the run at once. */
static enum rc make_plan(const char *from, struct plan *p, struct err *err)
{
    struct entry *entries = NULL;
    size_t n = 0;
    memset(p, 0, sizeof(*p));
    enum rc rc = list_entries(from, &entries, &n, err);
    if (rc)
        return rc;
    p->tables = xcalloc(n ? n : 1, sizeof(*p->tables));
    for (size_t i = 0; !rc && i < n; i++) {
        const char *name = entries[i].name;
        size_t stem_len = 0;
        if (!entries[i].folder && !reader_for(name, &stem_len)) {
            log_info("files", "skipping %s: not CSV, Parquet or JSON", name);
            p->skipped++;
            continue;
        }
        struct table_plan *t = &p->tables[p->n_tables++];
        t->entry = xstrdup(name);
        t->folder = entries[i].folder;
        bool named = t->folder ? files_folder_table_id(name, t->id) : files_table_id(name, t->id);
        if (!named) {
            rc = err_set(err, RC_INVALID,
                         "%s %s does not give a table id; rename it to letters,"
                         " digits and '_' (at most 64)",
                         t->folder ? "folder" : "file", name);
            break;
        }
        for (size_t j = 0; !rc && j + 1 < p->n_tables; j++)
            if (strcmp(p->tables[j].id, t->id) == 0)
                rc = err_set(err, RC_INVALID, "%s%s and %s%s both give table %s; rename one",
                             p->tables[j].entry, p->tables[j].folder ? "/" : "", name,
                             t->folder ? "/" : "", t->id);
        if (!rc && t->folder)
            rc = plan_folder(from, t, &p->skipped, err);
    }
    entries_free(entries, n);
    if (rc)
        plan_cleanup(p);
    return rc;
}

static enum rc build_query(struct buf *sql, const struct reader *r, const char *path,
                           bool all_varchar)
{
    enum rc rc = buf_printf(sql, "SELECT %s FROM %s(", all_varchar ? "COLUMNS(*)::VARCHAR" : "*",
                            r->function);
    if (!rc)
        rc = duck_sql_quote_literal(sql, path);
    if (!rc)
        rc = buf_printf(sql, "%s)", r->options);
    return rc;
}

/* The reader query of one file (heap), or NULL when its path is too long. */
static char *reader_query(const char *path, bool all_varchar)
{
    struct buf sql;
    size_t stem_len = 0;
    buf_init(&sql, 64 * 1024);
    if (build_query(&sql, reader_for(path, &stem_len), path, all_varchar) != RC_OK) {
        buf_cleanup(&sql);
        return NULL;
    }
    return buf_take(&sql, NULL);
}

static enum rc add_file_table(struct extract_writer *w, const char *from,
                              const struct table_plan *t, const struct files_options *opt,
                              struct err *err)
{
    char *path = xasprintf("%s/%s", from, t->entry);
    char *sql = reader_query(path, opt->all_varchar);
    char *description = xasprintf("Loaded from the file %s.", t->entry);
    enum rc rc = sql ? extract_writer_add(w, t->id, description, sql, err)
                     : err_set(err, RC_TOOBIG, "path of %s is too long", t->entry);
    free(description);
    free(sql);
    free(path);
    return rc;
}

static bool find_column(const struct extract_columns *c, const char *name, size_t *out_i)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->names[i], name) == 0) {
            *out_i = i;
            return true;
        }
    }
    return false;
}

/* Checks that part i of folder table t has the columns of part 0 (first), by name and type in
 * any order; when the order differs, *sql is made to select them in part 0's order. */
static enum rc align_part(const struct table_plan *t, size_t i, const struct extract_columns *first,
                          const struct extract_columns *cols, char **sql, struct err *err)
{
    const char *f0 = t->files[0], *fi = t->files[i];
    bool same_order = cols->n == first->n;
    for (size_t k = 0; k < first->n; k++) {
        size_t j = 0;
        if (!find_column(cols, first->names[k], &j))
            return err_set(err, RC_INVALID,
                           "table %s: %s/%s has no column %s, which %s/%s has;"
                           " every file of a table's folder needs the same"
                           " columns",
                           t->id, t->entry, fi, first->names[k], t->entry, f0);
        if (strcmp(cols->types[j], first->types[k]) != 0)
            return err_set(err, RC_INVALID,
                           "table %s: column %s is %s in %s/%s but %s in %s/%s;"
                           " make the files agree or use --all-varchar",
                           t->id, first->names[k], cols->types[j], t->entry, fi, first->types[k],
                           t->entry, f0);
        same_order = same_order && j == k;
    }
    for (size_t k = 0, j = 0; k < cols->n; k++)
        if (!find_column(first, cols->names[k], &j))
            return err_set(err, RC_INVALID,
                           "table %s: %s/%s has a column %s, which %s/%s has"
                           " not; every file of a table's folder needs the same"
                           " columns",
                           t->id, t->entry, fi, cols->names[k], t->entry, f0);
    if (same_order)
        return RC_OK;
    struct buf b;
    buf_init(&b, 1024 * 1024);
    enum rc rc = buf_append_str(&b, "SELECT ");
    for (size_t k = 0; !rc && k < first->n; k++) {
        if (k > 0)
            rc = buf_append_str(&b, ", ");
        if (!rc)
            rc = duck_sql_quote_ident(&b, first->names[k]);
    }
    if (!rc)
        rc = buf_printf(&b, " FROM (%s)", *sql);
    if (rc) {
        buf_cleanup(&b);
        return err_set(err, RC_TOOBIG, "table %s: the query of %s/%s is too long", t->id, t->entry,
                       fi);
    }
    free(*sql);
    *sql = buf_take(&b, NULL);
    return RC_OK;
}

/* Adds a folder table: one part per file, after checking that the files agree on columns. */
static enum rc add_folder_table(struct extract_writer *w, const char *from,
                                const struct table_plan *t, const struct files_options *opt,
                                struct err *err)
{
    char **sqls = xcalloc(t->n_files, sizeof(*sqls));
    struct extract_part *parts = xcalloc(t->n_files, sizeof(*parts));
    struct extract_columns first = { 0 };
    enum rc rc = RC_OK;
    for (size_t i = 0; !rc && i < t->n_files; i++) {
        char *path = xasprintf("%s/%s/%s", from, t->entry, t->files[i]);
        struct extract_columns cols = { 0 };
        sqls[i] = reader_query(path, opt->all_varchar);
        free(path);
        if (!sqls[i]) {
            rc = err_set(err, RC_TOOBIG, "path of %s/%s is too long", t->entry, t->files[i]);
            break;
        }
        rc = extract_writer_columns(w, sqls[i], i == 0 ? &first : &cols, err);
        if (rc) {
            char msg[ERR_MSG_LEN];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            rc = err_set(err, rc, "table %s: %s/%s: %s", t->id, t->entry, t->files[i], msg);
            break;
        }
        if (i > 0)
            rc = align_part(t, i, &first, &cols, &sqls[i], err);
        extract_columns_cleanup(&cols);
        parts[i] = (struct extract_part){ t->parts[i], sqls[i] };
    }
    if (!rc) {
        char *description =
            xasprintf("Loaded from the %zu files in the folder %s.", t->n_files, t->entry);
        rc = extract_writer_add_parts(w, t->id, description, parts, t->n_files, err);
        free(description);
    }
    extract_columns_cleanup(&first);
    for (size_t i = 0; i < t->n_files; i++)
        free(sqls[i]);
    free(sqls);
    free(parts);
    return rc;
}

/* Adds every planned table to the run. */
static enum rc add_tables(struct extract_writer *w, const char *from, const struct plan *p,
                          const struct files_options *opt, struct files_result *out,
                          struct err *err)
{
    enum rc rc = RC_OK;
    for (size_t i = 0; !rc && i < p->n_tables; i++) {
        const struct table_plan *t = &p->tables[i];
        rc = t->folder ? add_folder_table(w, from, t, opt, err)
                       : add_file_table(w, from, t, opt, err);
        if (rc)
            break;
        out->tables++;
        if (t->folder)
            log_info("files", "table %s from the %zu files in %s/ (%d of %zu tables)", t->id,
                     t->n_files, t->entry, out->tables, p->n_tables);
        else
            log_info("files", "table %s from %s (%d of %zu tables)", t->id, t->entry, out->tables,
                     p->n_tables);
    }
    return rc;
}

enum rc files_extract(const char *data_dir, const char *source, const char *from_dir,
                      const struct files_options *opt, struct files_result *out, struct err *err)
{
    struct extract_writer *w = NULL;
    struct extract_commit_result res;
    struct plan plan = { 0 };
    char *from = NULL, *dir = NULL;
    *out = (struct files_result){ 0 };
    if (!ident_valid(source))
        return err_set(err, RC_INVALID,
                       "source name '%s' is not a safe identifier"
                       " ([A-Za-z_][A-Za-z0-9_]{0,63})",
                       source ? source : "");
    from = realpath(from_dir, NULL);
    if (!from)
        return err_set(err, errno == ENOENT ? RC_NOTFOUND : RC_IO, "cannot open %s: %s", from_dir,
                       strerror(errno));
    enum rc rc = make_plan(from, &plan, err);
    if (rc)
        goto out;
    out->skipped = plan.skipped;
    if (plan.n_tables == 0) {
        rc = err_set(err, RC_INVALID, "%s holds no CSV, Parquet or JSON file", from_dir);
        goto out;
    }
    dir = xasprintf("%s/extracts/%s", data_dir, source);
    rc = extract_writer_begin(dir, &w, err);
    if (!rc)
        rc = add_tables(w, from, &plan, opt, out, err);
    if (!rc)
        rc = extract_writer_commit(&w, &res, err);
    if (!rc) {
        out->rows = res.rows;
        out->bytes = res.bytes;
        out->removed_runs = res.removed_runs;
    }
out:
    extract_writer_abort(&w);
    plan_cleanup(&plan);
    free(dir);
    free(from);
    return rc;
}
