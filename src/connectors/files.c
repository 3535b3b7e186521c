/* files.c — the files connector (see files.h). It only chooses a DuckDB reader per file and
 * hands the query to the extract writer, which makes the run crash safe and checks the result
 * like every other extract. File paths reach SQL only as quoted literals. */
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

bool files_table_id(const char *file_name, char out[65])
{
    size_t stem_len = 0;
    out[0] = '\0';
    if (!reader_for(file_name, &stem_len) || stem_len == 0)
        return false;
    char cleaned[IDENT_MAX_LEN + 3];
    size_t n = 0;
    if (file_name[0] >= '0' && file_name[0] <= '9') {
        cleaned[n++] = 't';
        cleaned[n++] = '_';
    }
    for (size_t i = 0; i < stem_len; i++) {
        if (n >= IDENT_MAX_LEN)
            return false;
        char c = file_name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        cleaned[n++] = ok ? c : '_';
    }
    cleaned[n] = '\0';
    return ident_table_id(cleaned, out);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files directly in dir, sorted; hidden files left out. */
static enum rc list_files(const char *dir, char ***out, size_t *out_len, struct err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return err_set(err, errno == ENOENT ? RC_NOTFOUND : RC_IO, "cannot open %s: %s", dir,
                       strerror(errno));
    char **names = NULL;
    size_t n = 0;
    enum rc rc = RC_OK;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        bool regular = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        free(path);
        if (!regular)
            continue;
        if (n == FILES_MAX) {
            rc = err_set(err, RC_TOOBIG, "%s holds more than %d files", dir, FILES_MAX);
            break;
        }
        names = xrealloc(names, (n + 1) * sizeof(*names));
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), compare_names);
    *out = names;
    *out_len = n;
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

/* Gives each file of ours its table id (ids[i] "" for other files), before any is read, so a
 * naming problem fails the run at once. */
static enum rc name_tables(char **names, size_t n, char (*ids)[IDENT_MAX_LEN + 1],
                           struct err *err)
{
    for (size_t i = 0; i < n; i++) {
        size_t stem_len = 0;
        if (!reader_for(names[i], &stem_len))
            continue;
        if (!files_table_id(names[i], ids[i]))
            return err_set(err, RC_INVALID, "file %s does not give a table id; rename it to"
                                            " letters, digits and '_' (at most 64)", names[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(ids[j], ids[i]) == 0)
                return err_set(err, RC_INVALID, "files %s and %s both give table %s; rename"
                                                " one", names[j], names[i], ids[i]);
    }
    return RC_OK;
}

/* Adds every file of ours to the run; *out counts what was added and skipped. */
static enum rc add_files(struct extract_writer *w, const char *from, char **names, size_t n,
                         const struct files_options *opt, struct files_result *out,
                         struct err *err)
{
    char (*ids)[IDENT_MAX_LEN + 1] = xcalloc(n ? n : 1, sizeof(*ids));
    struct buf sql;
    buf_init(&sql, 64 * 1024);
    enum rc rc = name_tables(names, n, ids, err);
    for (size_t i = 0; !rc && i < n; i++) {
        size_t stem_len = 0;
        const struct reader *r = reader_for(names[i], &stem_len);
        if (!r) {
            log_info("files", "skipping %s: not CSV, Parquet or JSON", names[i]);
            out->skipped++;
            continue;
        }
        char *path = xasprintf("%s/%s", from, names[i]);
        char *description = xasprintf("Loaded from the file %s.", names[i]);
        buf_reset(&sql);
        rc = build_query(&sql, r, path, opt->all_varchar);
        if (rc)
            rc = err_set(err, RC_TOOBIG, "path of %s is too long", names[i]);
        else
            rc = extract_writer_add(w, ids[i], description, buf_cstr(&sql), err);
        if (!rc) {
            out->tables++;
            log_info("files", "table %s from %s (%d of %zu files)", ids[i], names[i],
                     out->tables + out->skipped, n);
        }
        free(description);
        free(path);
    }
    buf_cleanup(&sql);
    free(ids);
    return rc;
}

enum rc files_extract(const char *data_dir, const char *source, const char *from_dir,
                      const struct files_options *opt, struct files_result *out, struct err *err)
{
    struct extract_writer *w = NULL;
    struct extract_commit_result res;
    char **names = NULL;
    size_t n = 0;
    char *from = NULL, *dir = NULL;
    *out = (struct files_result){ 0 };
    if (!ident_valid(source))
        return err_set(err, RC_INVALID, "source name '%s' is not a safe identifier"
                                        " ([A-Za-z_][A-Za-z0-9_]{0,63})", source ? source : "");
    from = realpath(from_dir, NULL);
    if (!from)
        return err_set(err, errno == ENOENT ? RC_NOTFOUND : RC_IO, "cannot open %s: %s",
                       from_dir, strerror(errno));
    enum rc rc = list_files(from, &names, &n, err);
    if (rc)
        goto out;
    dir = xasprintf("%s/extracts/%s", data_dir, source);
    rc = extract_writer_begin(dir, &w, err);
    if (!rc)
        rc = add_files(w, from, names, n, opt, out, err);
    if (!rc && out->tables == 0)
        rc = err_set(err, RC_INVALID, "%s holds no CSV, Parquet or JSON file", from_dir);
    if (!rc)
        rc = extract_writer_commit(&w, &res, err);
    if (!rc) {
        out->rows = res.rows;
        out->bytes = res.bytes;
        out->removed_runs = res.removed_runs;
    }
out:
    extract_writer_abort(&w);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(dir);
    free(from);
    return rc;
}
