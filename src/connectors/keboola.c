/* keboola.c — the Keboola connector's run (see keboola.h): one extract writer for the whole
 * source, each table exported, downloaded and loaded by its strategy, the tables this run does
 * not export carried over from the live extract, one commit. The per-table start times that
 * make the next incremental run's changedSince are written only after the commit, so a failed
 * run never moves them. */
#include "connectors/keboola.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "connectors/keboola_int.h"
#include "data/duck.h"
#include "data/extract.h"
#include "store/registry_repo.h"

#define STATE_DIR    "keboola-state"     /* <source dir>/keboola-state/<table>.since */
#define DOWNLOAD_DIR ".keboola-download" /* slices of the run; removed at start and end */

struct run {
    const struct keboola_settings *s;
    struct kbc_client *client;
    struct extract_writer *w;
    char *dir;                /* <data_dir>/extracts/keboola */
    char *dl_dir;             /* dir/.keboola-download */
    struct extract_info live; /* the extract before this run (empty when none) */
    char started[ISOTIME_SIZE];
    char **written; /* ids of the tables in the new extract */
    size_t n_written, cap_written;
    char **exported; /* ids exported by this run: their state is written after the commit */
    size_t n_exported, cap_exported;
    char **counted; /* ids whose rows are read from the new extract's _meta after the commit */
    size_t n_counted, cap_counted;
    struct keboola_result *out;
};

static void push(char ***v, size_t *n, size_t *cap, const char *s)
{
    *v = xgrow(*v, cap, *n + 1, sizeof(char *));
    (*v)[(*n)++] = xstrdup(s);
}

static bool in_list(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

static const struct extract_table *live_table(const struct run *r, const char *id)
{
    for (size_t i = 0; i < r->live.n_tables; i++) {
        const struct extract_table *t = &r->live.tables[i];
        if (!t->problem && !t->remote && t->n_files > 0 && strcmp(t->id, id) == 0)
            return t;
    }
    return NULL;
}

/* changedSince of the table: the start of its last committed run, when the live extract still
 * has its rows; NULL otherwise (a full export). */
static char *changed_since(const struct run *r, const char *id)
{
    if (!live_table(r, id))
        return NULL;
    char *path = xasprintf("%s/" STATE_DIR "/%s.since", r->dir, id);
    char *data = NULL;
    size_t len = 0;
    struct err ignored;
    enum rc rc = file_read_all(path, 64, &data, &len, &ignored);
    free(path);
    if (rc)
        return NULL;
    data[strcspn(data, "\r\n")] = '\0';
    time_t t;
    if (!isotime_parse(data, &t)) { /* a damaged state file: export everything */
        free(data);
        return NULL;
    }
    return data;
}

static enum rc parse_strategy(const char *s, enum kbc_strategy *out)
{
    if (!*s || strcmp(s, "full_refresh") == 0)
        *out = KBC_FULL_REFRESH;
    else if (strcmp(s, "incremental") == 0)
        *out = KBC_INCREMENTAL;
    else if (strcmp(s, "append") == 0)
        *out = KBC_APPEND;
    else
        return RC_INVALID;
    return RC_OK;
}

/* The key of an incremental table as da column names: the registry's primary_key, else
 * Keboola's primaryKey. Each name must be a column of t (by Keboola name or da name). */
static enum rc key_columns(const struct registry_table *row, const struct kbc_table *t, char ***out,
                           size_t *out_n, struct err *err)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (row->primary_key[0]) {
        char *copy = xstrdup(row->primary_key), *save = NULL;
        for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save))
            push(&names, &n, &cap, k);
        free(copy);
    } else {
        for (size_t i = 0; i < t->n_pk; i++)
            push(&names, &n, &cap, t->pk[i]);
    }
    *out = NULL;
    *out_n = 0;
    if (n == 0)
        return err_set(err, RC_INVALID,
                       "table %s is incremental but has no primary key (set primary_key in the "
                       "registry)",
                       row->id);
    for (size_t i = 0; i < n; i++) {
        const struct kbc_column *found = NULL;
        for (size_t c = 0; c < t->n_cols && !found; c++)
            if (strcmp(t->cols[c].name, names[i]) == 0 || strcmp(t->cols[c].ident, names[i]) == 0)
                found = &t->cols[c];
        if (!found) {
            enum rc rc = err_set(err, RC_INVALID,
                                 "table %s: primary key column '%.64s' is not a column of Keboola "
                                 "table %s",
                                 row->id, names[i], t->id);
            kbc_strings_free(names, n);
            return rc;
        }
        free(names[i]);
        names[i] = xstrdup(found->ident);
    }
    *out = names;
    *out_n = n;
    return RC_OK;
}

/* Exports one table into the writer. *skipped is set (and RC_OK returned) when the table
 * cannot be exported for a reason that is the table's, not the run's. */
static enum rc export_table(struct run *r, const struct registry_table *row, bool *skipped,
                            struct err *err)
{
    *skipped = false;
    enum kbc_strategy strategy;
    if (!kbc_id_valid(row->source_table)) {
        log_warn("keboola",
                 "table %s skipped: its source_table is not a Keboola table id "
                 "([A-Za-z0-9_.-])",
                 row->id);
        *skipped = true;
        return RC_OK;
    }
    if (parse_strategy(row->sync_strategy, &strategy) != RC_OK)
        return err_set(err, RC_INVALID, "table %s: unknown sync_strategy '%.32s'", row->id,
                       row->sync_strategy);
    struct kbc_table t;
    struct kbc_file file = { 0 };
    char **urls = NULL, **paths = NULL, **pk = NULL;
    size_t n_urls = 0, n_pk = 0;
    char *since = NULL, *tdir = NULL;
    enum rc rc = kbc_get_table(r->client, row->source_table, &t, err);
    if (rc)
        goto out;
    if (t.skip[0]) {
        log_warn("keboola", "table %s skipped: %s", row->id, t.skip);
        *skipped = true;
        goto out;
    }
    if (strategy == KBC_INCREMENTAL) {
        rc = key_columns(row, &t, &pk, &n_pk, err);
        if (rc)
            goto out;
    }
    if (strategy != KBC_FULL_REFRESH)
        since = changed_since(r, row->id);
    log_info("keboola", "table %s: exporting Keboola table %s (%s%s%s)", row->id, t.id,
             row->sync_strategy[0] ? row->sync_strategy : "full_refresh",
             since ? ", changed since " : "", since ? since : "");
    rc = kbc_export(r->client, &t, since, &file, err);
    if (!rc)
        rc = kbc_file_urls(r->client, &file, &urls, &n_urls, err);
    if (rc)
        goto out;
    tdir = xasprintf("%s/%s", r->dl_dir, row->id);
    rc = file_mkdir_p(tdir, 0700, err);
    int64_t bytes = 0;
    struct kbc_s3_access s3 = { .creds = &file.s3, .endpoint = r->s->s3_endpoint };
    if (!rc)
        rc = kbc_fetch((const char *const *)urls, n_urls, tdir, &s3, r->s->parallel, r->s->retries,
                       r->s->backoff_ms, &paths, &bytes, err);
    if (rc)
        goto out;
    log_info("keboola", "table %s: %zu file%s, %lld bytes downloaded", row->id, n_urls,
             n_urls == 1 ? "" : "s", (long long)bytes);
    const struct extract_table *old = strategy == KBC_FULL_REFRESH ? NULL : live_table(r, row->id);
    struct kbc_load load = {
        .da_id = row->id,
        .t = &t,
        .paths = paths,
        .n_paths = n_urls,
        .header = !file.sliced,
        .strategy = strategy,
        .old_files = old ? old->files : NULL,
        .n_old = old ? old->n_files : 0,
        .pk = pk,
        .n_pk = n_pk,
    };
    int64_t rows = 0;
    rc = kbc_load_table(r->w, &load, &rows, err);
    if (rc)
        goto out;
    if (rows >= 0) {
        log_info("keboola", "table %s: %lld rows exported", row->id, (long long)rows);
        r->out->rows += rows;
    } else {
        push(&r->counted, &r->n_counted, &r->cap_counted, row->id);
    }
    r->out->exported++;
    push(&r->written, &r->n_written, &r->cap_written, row->id);
    push(&r->exported, &r->n_exported, &r->cap_exported, row->id);
out:
    if (tdir)
        (void)file_remove_tree(tdir, NULL, &(struct err){ { 0 } });
    free(tdir);
    kbc_strings_free(paths, n_urls);
    kbc_strings_free(urls, n_urls);
    kbc_strings_free(pk, n_pk);
    kbc_file_cleanup(&file);
    kbc_table_cleanup(&t);
    free(since);
    return rc;
}

/* Copies a table of the live extract into the new one as it is. */
static enum rc carry_over(struct run *r, const struct extract_table *t, struct err *err)
{
    struct buf sql;
    buf_init(&sql, 4 * 1024 * 1024);
    enum rc rc = buf_append_str(&sql, "SELECT * FROM read_parquet([");
    for (size_t i = 0; !rc && i < t->n_files; i++) {
        if (i)
            rc = buf_append_str(&sql, ", ");
        if (!rc)
            rc = duck_sql_quote_literal(&sql, t->files[i]);
    }
    if (!rc)
        rc = buf_append_str(&sql, "])");
    if (!rc)
        rc = extract_writer_add(r->w, t->id, t->description, buf_cstr(&sql), err);
    else
        rc = err_set(err, RC_TOOBIG, "table %s has too many files to keep", t->id);
    buf_cleanup(&sql);
    if (!rc)
        push(&r->written, &r->n_written, &r->cap_written, t->id);
    return rc;
}

static void write_states(const struct run *r)
{
    char *dir = xasprintf("%s/" STATE_DIR, r->dir);
    struct err err = { { 0 } };
    enum rc rc = file_mkdir_p(dir, 0755, &err);
    for (size_t i = 0; !rc && i < r->n_exported; i++) {
        char *path = xasprintf("%s/%s.since", dir, r->exported[i]);
        rc = file_write_atomic(path, r->started, strlen(r->started), 0644, &err);
        free(path);
    }
    /* the extract is committed; a lost state means the next run exports everything */
    if (rc)
        log_warn("keboola", "cannot keep the run's start for the next changedSince: %s", err.msg);
    free(dir);
}

/* Adds the rows of the tables loaded straight into their files, from the committed extract's
 * _meta, and logs them. */
static void count_rows(struct run *r, const char *data_dir)
{
    if (r->n_counted == 0)
        return;
    struct extract_info info;
    struct err err = { { 0 } };
    if (extract_inspect(r->dir, NULL, data_dir, &info, &err) != RC_OK) {
        log_warn("keboola", "cannot count the rows of the new extract: %s", err.msg);
        return;
    }
    for (size_t i = 0; i < info.n_tables; i++)
        if (in_list(r->counted, r->n_counted, info.tables[i].id)) {
            log_info("keboola", "table %s: %lld rows exported", info.tables[i].id,
                     (long long)info.tables[i].rows);
            r->out->rows += info.tables[i].rows;
        }
    extract_info_cleanup(&info);
}

/* Removes the token from a message, should any answer have echoed it. */
static void scrub(struct err *err, const char *token)
{
    if (!err || !token || strlen(token) < 4)
        return;
    char *p;
    while ((p = strstr(err->msg, token)) != NULL) {
        size_t tl = strlen(token);
        memmove(p + 3, p + tl, strlen(p + tl) + 1);
        memcpy(p, "***", 3);
    }
}

static void settings_defaults(const struct keboola_settings *in, struct keboola_settings *s)
{
    *s = *in;
    if (s->parallel <= 0)
        s->parallel = 4;
    if (s->retries < 0)
        s->retries = 4;
    if (s->backoff_ms <= 0)
        s->backoff_ms = 500;
    if (s->job_timeout_s <= 0)
        s->job_timeout_s = 3600;
}

static enum rc open_client(const struct keboola_settings *s, struct kbc_client **out,
                           struct err *err)
{
    enum rc rc = kbc_client_new(s->stack_url, s->token, out, err);
    if (!rc)
        kbc_client_set_limits(*out, s->retries, s->backoff_ms, s->job_timeout_s);
    return rc;
}

enum rc keboola_extract(const struct keboola_settings *settings, const char *data_dir,
                        const struct registry_table *tables, size_t n, bool only,
                        struct keboola_result *out, struct err *err)
{
    struct keboola_settings s;
    settings_defaults(settings, &s);
    memset(out, 0, sizeof(*out));
    struct run r = { .s = &s, .out = out };
    int skipped = 0;
    enum rc rc = RC_OK;
    if (n == 0) {
        rc = err_set(err, RC_NOTFOUND,
                     "no table is registered with source_type keboola; see 'da admin tables "
                     "discover keboola'");
        goto out;
    }
    rc = open_client(&s, &r.client, err);
    if (rc)
        goto out;
    r.dir = xasprintf("%s/extracts/" KEBOOLA_SOURCE, data_dir);
    rc = extract_writer_begin(r.dir, &r.w, err);
    if (rc)
        goto out;
    isotime_format((time_t)clock_now_s(), r.started);
    rc = extract_inspect(r.dir, NULL, data_dir, &r.live, err);
    if (rc == RC_NOTFOUND)
        rc = RC_OK; /* the first run */
    if (rc)
        goto out;
    r.dl_dir = xasprintf("%s/" DOWNLOAD_DIR, r.dir);
    rc = file_remove_tree(r.dl_dir, NULL, err);
    if (!rc)
        rc = file_mkdir_p(r.dl_dir, 0700, err);
    for (size_t i = 0; !rc && i < n; i++) {
        if (strcmp(tables[i].source_type, KEBOOLA_SOURCE) != 0)
            continue;
        bool skip = false;
        rc = export_table(&r, &tables[i], &skip, err);
        if (!rc && skip)
            skipped++;
    }
    /* what this run did not export: kept when asked for a selection, or when the table was
     * skipped; dropped when its registry row is gone */
    for (size_t i = 0; !rc && i < r.live.n_tables; i++) {
        const struct extract_table *t = &r.live.tables[i];
        if (!live_table(&r, t->id) || in_list(r.written, r.n_written, t->id))
            continue;
        bool registered = false;
        for (size_t k = 0; k < n; k++)
            registered = registered || strcmp(tables[k].id, t->id) == 0;
        if (only || registered)
            rc = carry_over(&r, t, err);
    }
    if (rc)
        goto out;
    if (r.n_written == 0) {
        rc = err_set(err, RC_INVALID,
                     "no Keboola table could be exported (%d skipped; see the "
                     "warnings above)",
                     skipped);
        goto out;
    }
    struct extract_commit_result res;
    rc = extract_writer_commit(&r.w, &res, err);
    if (rc)
        goto out;
    out->tables = res.tables;
    out->bytes = res.bytes;
    out->skipped = skipped;
    write_states(&r);
    count_rows(&r, data_dir);
out:
    extract_writer_abort(&r.w);
    if (r.dl_dir)
        (void)file_remove_tree(r.dl_dir, NULL, &(struct err){ { 0 } });
    free(r.dl_dir);
    free(r.dir);
    extract_info_cleanup(&r.live);
    kbc_strings_free(r.written, r.n_written);
    kbc_strings_free(r.exported, r.n_exported);
    kbc_strings_free(r.counted, r.n_counted);
    kbc_client_free(&r.client);
    scrub(err, s.token);
    return rc;
}

/* ---------------------------------------------------------------- discovery */

static json_t *table_json(const struct kbc_table *t)
{
    json_t *cols = json_array();
    for (size_t i = 0; i < t->n_cols; i++) {
        const char *type = kbc_duck_type(t->cols[i].basetype);
        json_array_append_new(cols, json_pack("{s:s, s:s, s:s, s:s}", "name", t->cols[i].name, "id",
                                              t->cols[i].ident, "basetype", t->cols[i].basetype,
                                              "type", type ? type : "VARCHAR"));
    }
    json_t *pk = json_array();
    for (size_t i = 0; i < t->n_pk; i++)
        json_array_append_new(pk, json_string(t->pk[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", t->id, "name", t->name, "bucket",
                          t->bucket, "columns", cols, "primary_key", pk);
    json_object_set_new(o, "suggested_id", t->da_id[0] ? json_string(t->da_id) : json_null());
    json_object_set_new(o, "rows", t->rows >= 0 ? json_integer(t->rows) : json_null());
    json_object_set_new(o, "last_change",
                        t->last_change[0] ? json_string(t->last_change) : json_null());
    json_object_set_new(o, "skipped", t->skip[0] ? json_string(t->skip) : json_null());
    return o;
}

enum rc keboola_discover(const struct keboola_settings *settings, json_t **out, struct err *err)
{
    struct keboola_settings s;
    settings_defaults(settings, &s);
    *out = NULL;
    struct kbc_client *c = NULL;
    struct kbc_table *v = NULL;
    size_t n = 0;
    json_t *buckets = NULL;
    enum rc rc = open_client(&s, &c, err);
    if (!rc)
        rc = kbc_list_buckets(c, &buckets, err);
    if (!rc)
        rc = kbc_list_tables(c, &v, &n, err);
    if (!rc) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *t = table_json(&v[i]);
            /* the bucket's name and stage, from the bucket list */
            json_t *name = json_null(), *stage = json_null();
            size_t k;
            const json_t *b;
            json_array_foreach(buckets, k, b)
            {
                if (strcmp(json_string_value(json_object_get(b, "id")), v[i].bucket) == 0) {
                    json_decref(name);
                    json_decref(stage);
                    name = json_incref(json_object_get(b, "name"));
                    stage = json_incref(json_object_get(b, "stage"));
                    break;
                }
            }
            json_object_set_new(t, "bucket_name", name);
            json_object_set_new(t, "stage", stage);
            json_array_append_new(arr, t);
        }
        *out = arr;
    }
    json_decref(buckets);
    for (size_t i = 0; i < n; i++)
        kbc_table_cleanup(&v[i]);
    free(v);
    kbc_client_free(&c);
    scrub(err, s.token);
    return rc;
}
