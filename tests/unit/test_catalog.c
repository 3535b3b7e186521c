/* test_catalog.c — unit tests of the data plane on real files: the extract check
 * (extract_inspect) against hostile extracts, the files connector, and the catalog — the
 * orchestrator tests of the hardening plan (malicious source and table names, rebuilding one
 * source keeps the others, no WAL leftovers, rebuilding while reading), remote tables without
 * extension or token, immutable Parquet runs across a schema change, the removal of runs no
 * generation reads, a kill-at-any-moment loop of a connector, and clients querying without
 * pause across 1,000 tables while one source is rebuilt in a loop. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/fileio.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "connectors/files.h"
#include "data/catalog.h"
#include "data/datadir.h"
#include "data/duck.h"
#include "data/extract.h"
#include "duck_helpers.h"
#include "helpers.h"

struct fixture {
    char *root;
    char *data_dir; /* root/data */
    char *in_dir;   /* root/in: files for the files connector */
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    f->root = test_tmpdir();
    f->data_dir = xasprintf("%s/data", f->root);
    f->in_dir = xasprintf("%s/in", f->root);
    struct err err;
    if (file_mkdir_p(f->in_dir, 0755, &err) || file_mkdir_p(f->data_dir, 0755, &err))
        return -1;
    char *ex = xasprintf("%s/extracts", f->data_dir);
    enum rc rc = file_mkdir_p(ex, 0755, &err);
    free(ex);
    *state = f;
    return rc ? -1 : 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    test_rm_rf(f->root);
    free(f->root);
    free(f->data_dir);
    free(f->in_dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static void write_text(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    free(path);
}

static void extract_files(struct fixture *f, const char *source, bool all_varchar)
{
    struct files_options opt = { .all_varchar = all_varchar };
    struct files_result res;
    struct err err = { { 0 } };
    enum rc rc = files_extract(f->data_dir, source, f->in_dir, &opt, &res, &err);
    if (rc)
        fail_msg("files_extract %s: %s", source, err.msg);
}

static char *source_dir(const struct fixture *f, const char *source)
{
    return xasprintf("%s/extracts/%s", f->data_dir, source);
}

/* Opens a hand-made extract.duckdb of source for writing (created with its folder and an
 * empty _meta of the contract). */
static struct duck *hand_extract(struct fixture *f, const char *source)
{
    char *dir = source_dir(f, source);
    struct err err = { { 0 } };
    char *data = xasprintf("%s/data", dir);
    assert_int_equal(file_mkdir_p(data, 0755, &err), RC_OK);
    char *db = xasprintf("%s/extract.duckdb", dir);
    struct duck *d = NULL;
    assert_int_equal(duck_open(db, &d, &err), RC_OK);
    exec_ok(d, "CREATE TABLE _meta (table_name VARCHAR, description VARCHAR, rows BIGINT,"
               " size_bytes BIGINT, extracted_at TIMESTAMP, query_mode VARCHAR)");
    free(db);
    free(data);
    free(dir);
    return d;
}

/* Closes a hand-made extract, leaving no WAL. */
static void hand_close(struct duck **d)
{
    exec_ok(*d, "CHECKPOINT");
    duck_close(d);
}

/* Adds a local table backed by a Parquet file at data/<file> of the hand-made extract. */
static void hand_table(struct fixture *f, struct duck *d, const char *source, const char *name,
                       const char *file, const char *select)
{
    char *path = xasprintf("%s/extracts/%s/data/%s", f->data_dir, source, file);
    char *sql = xasprintf("COPY (%s) TO '%s' (FORMAT parquet)", select, path);
    exec_ok(d, sql);
    free(sql);
    sql = xasprintf("CREATE VIEW \"%s\" AS SELECT * FROM read_parquet('%s')", name, path);
    exec_ok(d, sql);
    free(sql);
    sql = xasprintf("INSERT INTO _meta VALUES ('%s', 'hand made', (SELECT count(*) FROM \"%s\"),"
                    " 1, now()::TIMESTAMP, 'local')",
                    name, name);
    exec_ok(d, sql);
    free(sql);
    free(path);
}

static struct extract_info inspect_ok(struct fixture *f, const char *source)
{
    char *dir = source_dir(f, source);
    struct extract_info info;
    struct err err = { { 0 } };
    if (extract_inspect(dir, NULL, f->data_dir, &info, &err))
        fail_msg("inspect %s: %s", dir, err.msg);
    free(dir);
    return info;
}

static bool has_problem(const struct extract_info *info, const char *needle)
{
    for (size_t i = 0; i < info->n_problems; i++)
        if (strstr(info->problems[i], needle))
            return true;
    return false;
}

/* Plays the running server: holds the data folder's server lock, so connectors leave old
 * runs for the catalog's sweep. Close the returned fd to stop. */
static int act_as_server(struct fixture *f)
{
    char *state = xasprintf("%s/state", f->data_dir);
    struct err err = { { 0 } };
    int fd = -1;
    assert_int_equal(file_mkdir_p(state, 0700, &err), RC_OK);
    assert_int_equal(datadir_lock_server(f->data_dir, &fd, &err), RC_OK);
    free(state);
    return fd;
}

static struct catalog *open_catalog(struct fixture *f)
{
    struct catalog *c = NULL;
    struct catalog_options opt = { .data_dir = f->data_dir };
    struct err err = { { 0 } };
    assert_int_equal(catalog_open(&opt, &c, &err), RC_OK);
    return c;
}

static void rebuild_ok(struct catalog *c, const char *source, struct catalog_rebuild_stats *s)
{
    struct err err = { { 0 } };
    enum rc rc = catalog_rebuild(c, source, s, &err);
    if (rc)
        fail_msg("rebuild %s: %s", source ? source : "(all)", err.msg);
}

/* Counts rows of main.<id> in the current generation; -1 when the query fails. */
static int64_t count_in_catalog(struct catalog *c, const char *id)
{
    struct catalog_gen *g = catalog_acquire(c);
    struct duck *conn = NULL;
    struct err err = { { 0 } };
    int64_t n = -1;
    assert_int_equal(catalog_connect(g, &conn, &err), RC_OK);
    char *sql = xasprintf("SELECT count(*) FROM main.\"%s\"", id);
    if (duck_query_i64(conn, sql, &n, &err) != RC_OK)
        n = -1;
    free(sql);
    duck_close(&conn);
    catalog_release(c, g);
    return n;
}

static const struct catalog_table *find(struct catalog_gen *g, const char *id)
{
    return catalog_find(g, id);
}

/* Counts files named *.tmp or *.wal under dir, recursively. */
static int count_stray(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        size_t len = strlen(e->d_name);
        if (len >= 4 && (strcmp(e->d_name + len - 4, ".tmp") == 0 ||
                         strcmp(e->d_name + len - 4, ".wal") == 0)) {
            fprintf(stderr, "stray: %s\n", path);
            n++;
        }
        if (file_is_dir(path))
            n += count_stray(path);
        free(path);
    }
    closedir(d);
    return n;
}

static int count_runs(struct fixture *f, const char *source)
{
    char *pattern = xasprintf("%s/extracts/%s/data/run-*", f->data_dir, source);
    glob_t g;
    int n = glob(pattern, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
    globfree(&g);
    free(pattern);
    return n;
}

/* ---- the files connector and the extract check ---- */

static void test_files_connector_types_and_validation(void **state)
{
    struct fixture *f = *state;
    write_text(f->in_dir, "Sales 2024.csv",
               "id,name,amount,day\n1,Ann,10.5,2025-01-02\n2,Bob,,2025-02-03\n"
               "3,\"Cy, Jr\",7,2025-03-04\n");
    write_text(f->in_dir, "events.jsonl", "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2, \"b\": null}\n");
    write_text(f->in_dir, "2025-targets.tsv", "region\ttarget\nEU\t100\nUS\t200\n");
    write_text(f->in_dir, "notes.txt", "not data");
    extract_files(f, "shop", false);

    struct extract_info info = inspect_ok(f, "shop");
    assert_int_equal(info.n_problems, 0);
    assert_int_equal(info.n_tables, 3);
    /* in file name order: digits, capitals, then small letters */
    assert_string_equal(info.tables[0].id, "t_2025_targets");
    assert_string_equal(info.tables[1].id, "sales_2024");
    assert_string_equal(info.tables[2].id, "events");
    assert_int_equal(info.tables[1].rows, 3);
    assert_int_equal(info.tables[1].n_files, 1);
    extract_info_cleanup(&info);

    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s);
    assert_int_equal(s.tables_ok, 3);
    catalog_rebuild_stats_cleanup(&s);
    struct catalog_gen *g = catalog_acquire(c);
    struct duck *conn = NULL;
    struct err err = { { 0 } };
    assert_int_equal(catalog_connect(g, &conn, &err), RC_OK);
    /* types come from the sniffer */
    char *t = q_text(conn, "SELECT typeof(amount) || ',' || typeof(day) FROM sales_2024 LIMIT 1");
    assert_string_equal(t, "DOUBLE,DATE");
    free(t);
    assert_int_equal(q_i64(conn, "SELECT count(*) FROM sales_2024 WHERE amount IS NULL"), 1);
    assert_int_equal(q_i64(conn, "SELECT sum(target)::BIGINT FROM t_2025_targets"), 300);
    duck_close(&conn);
    catalog_release(c, g);
    catalog_close(&c);

    /* all VARCHAR on request */
    extract_files(f, "shop", true);
    c = open_catalog(f);
    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);
    g = catalog_acquire(c);
    assert_int_equal(catalog_connect(g, &conn, &err), RC_OK);
    t = q_text(conn, "SELECT typeof(amount) || ',' || typeof(day) FROM sales_2024 LIMIT 1");
    assert_string_equal(t, "VARCHAR,VARCHAR");
    free(t);
    duck_close(&conn);
    catalog_release(c, g);
    catalog_close(&c);
    /* no server runs: the older run folder is gone, and nothing stray is left */
    assert_int_equal(count_runs(f, "shop"), 1);
    char *dir = source_dir(f, "shop");
    assert_int_equal(count_stray(dir), 0);
    free(dir);
}

static void test_files_connector_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    write_text(f->in_dir, "a.csv", "x\n1\n2\n");
    extract_files(f, "src", false);
    struct extract_info before = inspect_ok(f, "src");
    assert_int_equal(before.n_problems, 0);

    /* a second file that DuckDB cannot read fails the run; the first extract stays */
    write_text(f->in_dir, "b.parquet", "this is not parquet");
    struct files_options opt = { 0 };
    struct files_result res;
    struct err err = { { 0 } };
    assert_int_not_equal(files_extract(f->data_dir, "src", f->in_dir, &opt, &res, &err), RC_OK);
    assert_non_null(strstr(err.msg, "b"));
    struct extract_info after = inspect_ok(f, "src");
    assert_int_equal(after.n_problems, 0);
    assert_int_equal(after.n_tables, 1);
    assert_string_equal(after.tables[0].files[0], before.tables[0].files[0]);
    assert_int_equal(count_runs(f, "src"), 1);
    char *dir = source_dir(f, "src");
    assert_int_equal(count_stray(dir), 0);
    free(dir);
    extract_info_cleanup(&before);
    extract_info_cleanup(&after);

    /* two files giving one id, a bad source name, an empty folder */
    char *b = xasprintf("%s/b.parquet", f->in_dir);
    assert_int_equal(unlink(b), 0);
    free(b);
    write_text(f->in_dir, "A.csv.gz", "");
    assert_int_equal(files_extract(f->data_dir, "src", f->in_dir, &opt, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "both give table a"));
    assert_int_equal(files_extract(f->data_dir, "x; DROP TABLE y", f->in_dir, &opt, &res, &err),
                     RC_INVALID);
    char *empty = xasprintf("%s/empty", f->root);
    assert_int_equal(file_mkdir_p(empty, 0755, &err), RC_OK);
    assert_int_equal(files_extract(f->data_dir, "other", empty, &opt, &res, &err), RC_INVALID);
    free(empty);
}

static void test_inspect_refuses_what_breaks_the_contract(void **state)
{
    struct fixture *f = *state;
    /* a private file of another source, which a hostile extract tries to expose */
    struct duck *other = hand_extract(f, "other");
    hand_table(f, other, "other", "secret", "secret.parquet", "SELECT 42 AS pin");
    hand_close(&other);
    write_text(f->root, "outside.csv", "a\n1\n");

    struct duck *d = hand_extract(f, "bad");
    hand_table(f, d, "bad", "good", "good.parquet", "SELECT 1 AS x");
    char *sql = xasprintf("CREATE VIEW steal AS SELECT * FROM read_parquet("
                          "'%s/extracts/other/data/secret.parquet')",
                          f->data_dir);
    exec_ok(d, sql);
    free(sql);
    sql = xasprintf("CREATE VIEW dotdot AS SELECT * FROM read_parquet("
                    "'%s/extracts/bad/data/../../other/data/secret.parquet')",
                    f->data_dir);
    exec_ok(d, sql);
    free(sql);
    sql = xasprintf("CREATE VIEW csv AS SELECT * FROM read_csv('%s/outside.csv')", f->root);
    exec_ok(d, sql);
    free(sql);
    /* a link inside the folder that points out of it */
    char *link = xasprintf("%s/extracts/bad/data/link.parquet", f->data_dir);
    char *target = xasprintf("%s/extracts/other/data/secret.parquet", f->data_dir);
    assert_int_equal(symlink(target, link), 0);
    sql = xasprintf("CREATE VIEW linked AS SELECT * FROM read_parquet('%s')", link);
    exec_ok(d, sql);
    free(sql);
    exec_ok(d, "CREATE TABLE stored AS SELECT 1 AS x");
    exec_ok(d, "CREATE VIEW constant AS SELECT 1 AS one"); /* no FROM: unset positions */
    exec_ok(d, "INSERT INTO _meta VALUES"
               " ('steal', '', 1, 1, now()::TIMESTAMP, 'local'),"
               " ('dotdot', '', 1, 1, now()::TIMESTAMP, 'local'),"
               " ('csv', '', 1, 1, now()::TIMESTAMP, 'local'),"
               " ('linked', '', 1, 1, now()::TIMESTAMP, 'local'),"
               " ('stored', '', 1, 1, now()::TIMESTAMP, 'local'),"
               " ('constant', '', 1, 0, now()::TIMESTAMP, 'local'),"
               " ('missing', '', 1, 1, now()::TIMESTAMP, 'local'),"
               " ('Good', '', 1, 1, now()::TIMESTAMP, 'local'),"
               " ('x\"; DROP TABLE _meta; --', '', 1, 1, now()::TIMESTAMP, 'local'),"
               " ('stored', '', 1, 1, now()::TIMESTAMP, 'sideways')");
    hand_close(&d);
    free(link);
    free(target);

    struct extract_info info = inspect_ok(f, "bad");
    assert_true(info.usable);
    assert_true(has_problem(&info, "table steal: its view reads"));
    assert_true(has_problem(&info, "outside the extract folder"));
    assert_true(has_problem(&info, "table dotdot:"));
    assert_true(has_problem(&info, "table csv: its view calls table function read_csv"));
    assert_true(has_problem(&info, "table linked:"));
    assert_true(has_problem(&info, "table missing: the extract has no view or table"));
    assert_true(has_problem(&info, "table Good: its id good repeats"));
    assert_true(has_problem(&info, "not a safe identifier"));
    assert_true(has_problem(&info, "query_mode must be"));
    for (size_t i = 0; i < info.n_tables; i++) {
        const struct extract_table *t = &info.tables[i];
        bool usable = strcmp(t->name, "good") == 0 || strcmp(t->name, "constant") == 0 ||
                      (strcmp(t->name, "stored") == 0 && !t->problem);
        assert_int_equal(t->problem == NULL, usable);
    }
    extract_info_cleanup(&info);

    /* the catalog serves the good tables and nothing of the others */
    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);
    assert_int_equal(count_in_catalog(c, "good"), 1);
    assert_int_equal(count_in_catalog(c, "stored"), 1);
    assert_int_equal(count_in_catalog(c, "steal"), -1);
    assert_int_equal(count_in_catalog(c, "csv"), -1);
    assert_int_equal(count_in_catalog(c, "linked"), -1);
    struct catalog_gen *g = catalog_acquire(c);
    const struct catalog_table *t = find(g, "steal");
    assert_non_null(t);
    assert_int_equal(t->status, CATALOG_ERROR);
    assert_non_null(strstr(t->reason, "outside the extract folder"));
    catalog_release(c, g);
    catalog_close(&c);
}

static void test_inspect_extract_level_problems(void **state)
{
    struct fixture *f = *state;
    char *dir = source_dir(f, "nometa");
    struct err err = { { 0 } };
    assert_int_equal(file_mkdir_p(dir, 0755, &err), RC_OK);
    char *db = xasprintf("%s/extract.duckdb", dir);
    struct duck *d = NULL;
    assert_int_equal(duck_open(db, &d, &err), RC_OK);
    exec_ok(d, "CREATE TABLE t AS SELECT 1 AS x");
    hand_close(&d);
    struct extract_info info = inspect_ok(f, "nometa");
    assert_false(info.usable);
    assert_true(has_problem(&info, "no _meta table"));
    extract_info_cleanup(&info);
    free(db);
    free(dir);

    dir = source_dir(f, "badmeta");
    assert_int_equal(file_mkdir_p(dir, 0755, &err), RC_OK);
    db = xasprintf("%s/extract.duckdb", dir);
    assert_int_equal(duck_open(db, &d, &err), RC_OK);
    exec_ok(d, "CREATE TABLE _meta (table_name INTEGER, rows VARCHAR)");
    hand_close(&d);
    info = inspect_ok(f, "badmeta");
    assert_false(info.usable);
    assert_true(has_problem(&info, "_meta.table_name is INTEGER"));
    assert_true(has_problem(&info, "_meta has no column extracted_at"));
    extract_info_cleanup(&info);

    struct extract_info none;
    char *missing = source_dir(f, "missing");
    assert_int_equal(extract_inspect(missing, NULL, f->data_dir, &none, &err), RC_NOTFOUND);
    free(missing);
    free(db);
    free(dir);
}

/* ---- the catalog ---- */

static void test_catalog_skips_malicious_source_and_table_names(void **state)
{
    struct fixture *f = *state;
    struct duck *d = hand_extract(f, "safe");
    hand_table(f, d, "safe", "orders", "orders.parquet", "SELECT range AS id FROM range(5)");
    hand_close(&d);
    /* a folder whose name is SQL */
    char *evil = xasprintf("%s/extracts/test; DROP TABLE _meta--", f->data_dir);
    char *safe_db = xasprintf("%s/extracts/safe/extract.duckdb", f->data_dir);
    struct err err = { { 0 } };
    assert_int_equal(file_mkdir_p(evil, 0755, &err), RC_OK);
    char *evil_db = xasprintf("%s/extract.duckdb", evil);
    char *cmd = xasprintf("cp '%s' '%s'", safe_db, evil_db);
    assert_int_equal(system(cmd), 0);
    /* a table whose name is SQL, beside a safe one */
    d = hand_extract(f, "mixed");
    hand_table(f, d, "mixed", "fine", "fine.parquet", "SELECT 1 AS x");
    exec_ok(d, "INSERT INTO _meta VALUES ('x\"; DROP TABLE _meta; --', '', 0, 0,"
               " now()::TIMESTAMP, 'local')");
    hand_close(&d);

    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s);
    assert_int_equal(s.sources, 2);
    assert_int_equal(s.tables_ok, 2);
    bool warned = false;
    for (size_t i = 0; i < s.n_problems; i++)
        warned = warned || strstr(s.problems[i], "DROP TABLE _meta--' is skipped");
    assert_true(warned);
    catalog_rebuild_stats_cleanup(&s);
    assert_int_equal(count_in_catalog(c, "orders"), 5);
    assert_int_equal(count_in_catalog(c, "fine"), 1);
    /* the extracts were not touched: _meta is still there */
    struct duck *check = NULL;
    assert_int_equal(duck_open_readonly(evil_db, &check, &err), RC_OK);
    assert_int_equal(q_i64(check, "SELECT count(*) FROM _meta"), 1);
    duck_close(&check);
    catalog_close(&c);
    free(cmd);
    free(evil_db);
    free(safe_db);
    free(evil);
}

static void test_rebuild_of_one_source_keeps_the_others(void **state)
{
    struct fixture *f = *state;
    write_text(f->in_dir, "a.csv", "x\n1\n");
    extract_files(f, "first", false);
    write_text(f->in_dir, "a.csv", "x\n1\n2\n");
    char *in2 = xasprintf("%s/in2", f->root);
    struct err err = { { 0 } };
    assert_int_equal(file_mkdir_p(in2, 0755, &err), RC_OK);
    write_text(in2, "b.csv", "y\n1\n2\n3\n");
    struct files_options opt = { 0 };
    struct files_result res;
    assert_int_equal(files_extract(f->data_dir, "second", in2, &opt, &res, &err), RC_OK);

    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s);
    assert_int_equal(s.generation, 1);
    assert_int_equal(s.sources_checked, 2);
    catalog_rebuild_stats_cleanup(&s);
    assert_int_equal(count_in_catalog(c, "a"), 1);
    assert_int_equal(count_in_catalog(c, "b"), 3);

    extract_files(f, "first", false); /* a.csv now has two rows */
    rebuild_ok(c, "first", &s);
    assert_int_equal(s.generation, 2);
    assert_int_equal(s.sources, 2);
    assert_int_equal(s.sources_checked, 1); /* second was reused, not checked again */
    catalog_rebuild_stats_cleanup(&s);
    assert_int_equal(count_in_catalog(c, "a"), 2);
    assert_int_equal(count_in_catalog(c, "b"), 3);

    /* the watcher's view: nothing changed, then a change */
    assert_false(catalog_changed_on_disk(c));
    write_text(in2, "b.csv", "y\n1\n");
    assert_int_equal(files_extract(f->data_dir, "second", in2, &opt, &res, &err), RC_OK);
    assert_true(catalog_changed_on_disk(c));
    assert_int_equal(catalog_refresh(c, &s, &err), RC_OK);
    assert_int_equal(s.sources_checked, 1);
    catalog_rebuild_stats_cleanup(&s);
    assert_false(catalog_changed_on_disk(c));
    assert_int_equal(count_in_catalog(c, "b"), 1);
    assert_int_equal(catalog_rebuild(c, "nosuch", &s, &err), RC_NOTFOUND);
    catalog_rebuild_stats_cleanup(&s);
    catalog_close(&c);

    /* the catalog only reads: no WAL or temporary file anywhere */
    char *ex = xasprintf("%s/extracts", f->data_dir);
    assert_int_equal(count_stray(ex), 0);
    free(ex);
    free(in2);
}

static void test_running_query_survives_a_rebuild_and_a_schema_change(void **state)
{
    struct fixture *f = *state;
    write_text(f->in_dir, "t.csv", "a,b\n1,x\n2,y\n");
    extract_files(f, "src", false);
    int server = act_as_server(f);
    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);

    /* a query holds generation 1 while the source gets a new schema and a rebuild */
    struct catalog_gen *old = catalog_acquire(c);
    struct duck *conn = NULL;
    struct err err = { { 0 } };
    assert_int_equal(catalog_connect(old, &conn, &err), RC_OK);
    write_text(f->in_dir, "t.csv", "c,d,e\n1.5,2025-01-01,z\n");
    extract_files(f, "src", false);
    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);
    assert_int_equal(count_runs(f, "src"), 2); /* the old run is still read */
    /* a sweep while the old generation is held keeps its run */
    int kept = -1;
    assert_int_equal(catalog_sweep(c, &kept, &err), RC_OK);
    assert_int_equal(kept, 0);
    assert_int_equal(count_runs(f, "src"), 2);
    assert_int_equal(q_i64(conn, "SELECT sum(a)::BIGINT FROM t"), 3);
    duck_close(&conn);

    /* the new generation shows the new schema */
    struct catalog_gen *cur = catalog_acquire(c);
    assert_true(cur->number > old->number);
    assert_int_equal(catalog_connect(cur, &conn, &err), RC_OK);
    char *t = q_text(conn, "SELECT e FROM t");
    assert_string_equal(t, "z");
    free(t);
    duck_close(&conn);
    catalog_release(c, cur);

    /* once the old generation is released, its run goes */
    catalog_release(c, old);
    int removed = 0;
    assert_int_equal(catalog_sweep(c, &removed, &err), RC_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(count_runs(f, "src"), 1);
    assert_int_equal(count_in_catalog(c, "t"), 1);
    catalog_close(&c);
    close(server);
}

static void test_remote_tables_without_extension_or_token(void **state)
{
    struct fixture *f = *state;
    /* a stand-in for the remote catalog while the extract is written */
    char *remote_db = xasprintf("%s/remote.duckdb", f->root);
    struct duck *d = hand_extract(f, "kbc_src");
    hand_table(f, d, "kbc_src", "local_one", "local_one.parquet", "SELECT 7 AS v");
    char *sql = xasprintf("ATTACH '%s' AS kbc", remote_db);
    exec_ok(d, sql);
    free(sql);
    exec_ok(d, "CREATE SCHEMA kbc.bucket");
    exec_ok(d, "CREATE TABLE kbc.bucket.orders AS SELECT 1 AS id");
    exec_ok(d, "CREATE VIEW remote_orders AS SELECT * FROM kbc.bucket.orders");
    exec_ok(d, "DETACH kbc");
    exec_ok(d, "CREATE TABLE _remote_attach (alias VARCHAR, extension VARCHAR, url VARCHAR,"
               " token_env VARCHAR)");
    /* a URL that tries to break out of its string literal */
    exec_ok(d, "INSERT INTO _remote_attach VALUES ('kbc', 'keboola',"
               " 'https://x'' (TYPE duckdb); ATTACH ''/etc/passwd', 'DA_TEST_KBC_TOKEN')");
    exec_ok(d, "INSERT INTO _meta VALUES ('remote_orders', 'remote', 0, 0, now()::TIMESTAMP,"
               " 'remote')");
    hand_close(&d);

    struct extract_info info = inspect_ok(f, "kbc_src");
    assert_int_equal(info.n_problems, 0);
    assert_int_equal(info.n_remotes, 1);
    extract_info_cleanup(&info);

    unsetenv("DA_TEST_KBC_TOKEN");
    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s);
    assert_int_equal(s.tables_ok, 1);
    assert_int_equal(s.tables_unavailable, 1);
    catalog_rebuild_stats_cleanup(&s);
    struct catalog_gen *g = catalog_acquire(c);
    const struct catalog_table *t = find(g, "remote_orders");
    assert_int_equal(t->status, CATALOG_UNAVAILABLE);
    assert_non_null(strstr(t->reason, "DA_TEST_KBC_TOKEN"));
    catalog_release(c, g);
    assert_int_equal(count_in_catalog(c, "local_one"), 1);

    setenv("DA_TEST_KBC_TOKEN", "s3cr3t-token", 1);
    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);
    g = catalog_acquire(c);
    t = find(g, "remote_orders");
    assert_int_equal(t->status, CATALOG_UNAVAILABLE);
    assert_non_null(strstr(t->reason, "extension keboola is not installed"));
    assert_null(strstr(t->reason, "s3cr3t"));
    catalog_release(c, g);
    /* nothing was attached from the URL's injected statement */
    g = catalog_acquire(c);
    struct duck *conn = NULL;
    struct err err = { { 0 } };
    assert_int_equal(catalog_connect(g, &conn, &err), RC_OK);
    assert_int_equal(q_i64(conn, "SELECT count(*) FROM duckdb_databases()"
                                 " WHERE database_name NOT IN ('memory', 'system', 'temp',"
                                 " 'kbc_src')"),
                     0);
    duck_close(&conn);
    catalog_release(c, g);
    unsetenv("DA_TEST_KBC_TOKEN");
    catalog_close(&c);
    free(remote_db);
}

static void test_table_id_taken_by_an_earlier_source(void **state)
{
    struct fixture *f = *state;
    write_text(f->in_dir, "orders.csv", "x\n1\n");
    extract_files(f, "alpha", false);
    extract_files(f, "beta", false);
    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s);
    assert_int_equal(s.tables_ok, 1);
    assert_int_equal(s.tables_error, 1);
    bool said = false;
    for (size_t i = 0; i < s.n_problems; i++)
        said = said || strstr(s.problems[i], "source beta: table orders is skipped, source alpha");
    assert_true(said);
    catalog_rebuild_stats_cleanup(&s);
    struct catalog_gen *g = catalog_acquire(c);
    assert_string_equal(find(g, "orders")->source, "alpha");
    catalog_release(c, g);
    catalog_close(&c);
}

static void test_generation_is_locked_down(void **state)
{
    struct fixture *f = *state;
    write_text(f->in_dir, "t.csv", "a\n1\n");
    write_text(f->root, "secret.csv", "pin\n42\n");
    extract_files(f, "src", false);
    struct catalog *c = NULL;
    struct catalog_options opt = { .data_dir = f->data_dir, .memory_limit = "512MB", .threads = 1 };
    struct err err = { { 0 } };
    assert_int_equal(catalog_open(&opt, &c, &err), RC_OK);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);
    struct catalog_gen *g = catalog_acquire(c);
    struct duck *conn = NULL;
    assert_int_equal(catalog_connect(g, &conn, &err), RC_OK);
    /* the views read their files; nothing else can be read, attached or changed */
    assert_int_equal(q_i64(conn, "SELECT count(*) FROM t"), 1);
    char *sql = xasprintf("SELECT * FROM read_csv('%s/secret.csv')", f->root);
    assert_int_equal(duck_exec(conn, sql, &err), RC_DB);
    assert_non_null(strstr(err.msg, "disabled by configuration"));
    free(sql);
    const char *refused[] = {
        "SELECT * FROM read_text('/etc/passwd')",
        "SET enable_external_access = true",
        "SET memory_limit = '100GB'",
        "SET lock_configuration = false",
        "INSTALL httpfs",
    };
    for (size_t i = 0; i < ARRAY_LEN(refused); i++)
        assert_int_equal(duck_exec(conn, refused[i], &err), RC_DB);
    sql = xasprintf("ATTACH '%s/other.duckdb' AS other", f->root);
    assert_int_equal(duck_exec(conn, sql, &err), RC_DB);
    free(sql);
    char *limit = q_text(conn, "SELECT current_setting('memory_limit')");
    assert_non_null(strstr(limit, "MiB"));
    free(limit);
    assert_int_equal(q_i64(conn, "SELECT current_setting('threads')::BIGINT"), 1);
    assert_int_equal(q_i64(conn, "SELECT current_setting('parquet_metadata_cache')::BIGINT"), 1);
    duck_close(&conn);
    catalog_release(c, g);
    catalog_close(&c);
}

/* A query worker replays a generation's recipe in its own database: the same tables, the same
 * lock-down, and the same extract file even after the extract was replaced on disk; the
 * generation's snapshot links go when it is freed. */
static void test_recipe_replays_the_generation_over_its_snapshot(void **state)
{
    struct fixture *f = *state;
    write_text(f->in_dir, "t.csv", "a\n1\n2\n");
    extract_files(f, "src", false);
    int server = act_as_server(f);
    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);
    struct catalog_gen *g = catalog_acquire(c);
    char *snap = xasprintf("%s/state/snapshots/g%llu-src.duckdb", f->data_dir,
                           (unsigned long long)g->number);
    assert_true(file_exists(snap));

    /* the extract is replaced (a new file by rename) before the worker loads */
    write_text(f->in_dir, "t.csv", "b\nnew\n");
    extract_files(f, "src", false);
    struct duck *db = NULL, *conn = NULL;
    struct err err = { { 0 } };
    assert_int_equal(catalog_replay(&g->recipe, &db, &err), RC_OK);
    assert_int_equal(duck_connect(db, &conn, &err), RC_OK);
    assert_int_equal(q_i64(conn, "SELECT sum(a)::BIGINT FROM t"), 3);
    assert_int_equal(duck_exec(conn, "SET memory_limit = '100GB'", &err), RC_DB);
    assert_int_equal(duck_exec(conn, "SELECT * FROM read_text('/etc/passwd')", &err), RC_DB);
    duck_close(&conn);
    duck_close(&db);

    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);
    catalog_release(c, g); /* the last hold on the first generation */
    assert_false(file_exists(snap));
    free(snap);
    catalog_close(&c);
    close(server);
}

/* ---- a connector killed at any moment ---- */

static const char *self_exe;

static void test_connector_killed_at_any_moment(void **state)
{
    struct fixture *f = *state;
    /* enough rows that a run takes a while */
    struct duck *mem = NULL;
    struct err err = { { 0 } };
    assert_int_equal(duck_open(NULL, &mem, &err), RC_OK);
    for (int i = 0; i < 4; i++) {
        char *sql = xasprintf("COPY (SELECT range AS id, md5(range::VARCHAR) AS h%d FROM"
                              " range(100000)) TO '%s/t%d.csv'",
                              i, f->in_dir, i);
        exec_ok(mem, sql);
        free(sql);
    }
    duck_close(&mem);
    extract_files(f, "src", false);

    int64_t t0 = clock_mono_us();
    char *cmd = xasprintf("'%s' --files-child '%s' '%s'", self_exe, f->data_dir, f->in_dir);
    assert_int_equal(system(cmd), 0);
    int64_t full_us = clock_mono_us() - t0;
    free(cmd);

    char *dir = source_dir(f, "src");
    const int steps = 8;
    for (int i = 0; i < steps; i++) {
        const char *child[] = { self_exe, "--files-child", f->data_dir, f->in_dir, NULL };
        test_run_killed_after(child, full_us * (i + 1) / (steps + 1));

        /* the extract on disk is complete and readable, whichever run it is */
        struct extract_info info = inspect_ok(f, "src");
        assert_int_equal(info.n_problems, 0);
        assert_int_equal(info.n_tables, 4);
        extract_info_cleanup(&info);
        struct catalog *c = open_catalog(f);
        struct catalog_rebuild_stats s;
        rebuild_ok(c, NULL, &s);
        assert_int_equal(s.tables_ok, 4);
        catalog_rebuild_stats_cleanup(&s);
        for (int t = 0; t < 4; t++) {
            char id[16];
            snprintf(id, sizeof(id), "t%d", t);
            assert_int_equal(count_in_catalog(c, id), 100000);
        }
        catalog_close(&c);
        /* nothing stray beside the live file: a killed run's leftovers are only inside its
         * own run folder, which the next sweep removes */
        char *wal = xasprintf("%s/extract.duckdb.wal", dir);
        assert_false(file_exists(wal));
        free(wal);
        int removed = 0;
        assert_int_equal(extract_remove_stale_runs(dir, NULL, 0, &removed, &err), RC_OK);
        assert_int_equal(count_runs(f, "src"), 1);
        char *data = xasprintf("%s/data", dir);
        assert_int_equal(count_stray(data), 0);
        free(data);
    }
    free(dir);
    print_message("connector run %.2fs\n", (double)full_us / 1e6);
}

/* ---- clients querying without pause while a source is rebuilt ---- */

#define SOURCES           10
#define TABLES_PER_SOURCE 100
#define CLIENTS           2

struct client {
    struct catalog *c;
    atomic_bool *stop; /* read by the client threads: atomic, not volatile */
    unsigned seed;
    long queries;
    long failures;
    char last_error[512];
};

static void *client_loop(void *arg)
{
    struct client *cl = arg;
    while (!atomic_load(cl->stop)) {
        int s = (int)(rand_r(&cl->seed) % SOURCES),
            t = (int)(rand_r(&cl->seed) % TABLES_PER_SOURCE);
        struct catalog_gen *g = catalog_acquire(cl->c);
        struct duck *conn = NULL;
        struct err err = { { 0 } };
        int64_t n = -1;
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM s%d_t%03d", s, t);
        enum rc rc = catalog_connect(g, &conn, &err);
        if (!rc)
            rc = duck_query_i64(conn, sql, &n, &err);
        duck_close(&conn);
        catalog_release(cl->c, g);
        cl->queries++;
        if (rc || n != 3) {
            cl->failures++;
            snprintf(cl->last_error, sizeof(cl->last_error), "%s: %s", sql, err.msg);
        }
    }
    return NULL;
}

/* Commits a new extract of source s<s>: a new run folder with one Parquet file and
 * TABLES_PER_SOURCE views over it, built the way extract_writer does (tmp file, one
 * transaction, rename) but without a file per table, so 1,000 tables take seconds to make. */
static void write_source(struct fixture *f, int s, int round)
{
    char *dir = xasprintf("%s/extracts/s%d", f->data_dir, s);
    char *run = xasprintf("%s/data/run-bench-%d", dir, round);
    struct err err = { { 0 } };
    assert_int_equal(file_mkdir_p(run, 0755, &err), RC_OK);
    char *tmp = xasprintf("%s/extract.duckdb.tmp", dir);
    char *live = xasprintf("%s/extract.duckdb", dir);
    struct duck *d = NULL;
    assert_int_equal(duck_open(tmp, &d, &err), RC_OK);
    char *sql = xasprintf("COPY (SELECT range + 1 AS k, 'v' || range AS v FROM range(3))"
                          " TO '%s/base.parquet' (FORMAT parquet)",
                          run);
    exec_ok(d, sql);
    free(sql);
    exec_ok(d, "BEGIN; CREATE TABLE _meta (table_name VARCHAR, description VARCHAR,"
               " rows BIGINT, size_bytes BIGINT, extracted_at TIMESTAMP, query_mode VARCHAR)");
    for (int t = 0; t < TABLES_PER_SOURCE; t++) {
        sql = xasprintf("CREATE VIEW s%d_t%03d AS SELECT * FROM read_parquet('%s/base.parquet');"
                        "INSERT INTO _meta VALUES ('s%d_t%03d', '', 3, 1, now()::TIMESTAMP,"
                        " 'local')",
                        s, t, run, s, t);
        exec_ok(d, sql);
        free(sql);
    }
    exec_ok(d, "COMMIT; CHECKPOINT");
    duck_close(&d);
    assert_int_equal(file_rename_durable(tmp, live, &err), RC_OK);
    free(live);
    free(tmp);
    free(run);
    free(dir);
}

static void test_queries_never_fail_while_rebuilding_1000_tables(void **state)
{
    struct fixture *f = *state;
    int64_t t0 = clock_mono_us();
    for (int s = 0; s < SOURCES; s++)
        write_source(f, s, 0);
    int64_t made_us = clock_mono_us() - t0;
    int server = act_as_server(f);
    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats st;
    rebuild_ok(c, NULL, &st);
    assert_int_equal(st.tables_ok, SOURCES * TABLES_PER_SOURCE);
    int64_t full_us = st.duration_us;
    catalog_rebuild_stats_cleanup(&st);

    atomic_bool stop = false;
    struct client clients[CLIENTS];
    pthread_t threads[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = (struct client){ .c = c, .stop = &stop, .seed = (unsigned)i + 1 };
        assert_int_equal(pthread_create(&threads[i], NULL, client_loop, &clients[i]), 0);
    }
    int64_t one_us = 0;
    const int rounds = 3;
    for (int r = 0; r < rounds; r++) {
        write_source(f, 3, r + 1); /* a new extract of one source, in a new run folder */
        rebuild_ok(c, "s3", &st);
        one_us += st.duration_us;
        assert_int_equal(st.tables_ok, SOURCES * TABLES_PER_SOURCE);
        catalog_rebuild_stats_cleanup(&st);
        int removed;
        struct err err;
        assert_int_equal(catalog_sweep(c, &removed, &err), RC_OK);
    }
    atomic_store(&stop, true);
    long queries = 0, failures = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        queries += clients[i].queries;
        failures += clients[i].failures;
        if (clients[i].failures)
            fprintf(stderr, "client %d: %s\n", i, clients[i].last_error);
    }
    assert_true(queries > 0);
    assert_int_equal(failures, 0);
    catalog_close(&c);
    close(server);
    print_message("1000 tables: made in %.1fs, full rebuild %.0f ms, one-source rebuild %.0f ms"
                  " (mean of %d); %ld queries, %ld failed\n",
                  (double)made_us / 1e6, (double)full_us / 1000, (double)one_us / rounds / 1000,
                  rounds, queries, failures);
}

/* ---- a sweep while a query holds an old generation ---- */

/* The sweep runs while a query still holds generation 1: the run that generation reads must
 * stay (the query reads it again, through a new connection, after the sweep), and only the run
 * no live generation reads goes. Without the live-generation protection of catalog_sweep, the
 * held run is removed and the query fails. */
static void test_sweep_keeps_the_run_a_held_generation_reads(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    write_text(f->in_dir, "t.csv", "a\n1\n2\n");
    extract_files(f, "src", false);
    int server = act_as_server(f);
    struct catalog *c = open_catalog(f);
    struct catalog_rebuild_stats s;
    rebuild_ok(c, NULL, &s); /* generation 1 reads run A */
    catalog_rebuild_stats_cleanup(&s);
    struct catalog_gen *held = catalog_acquire(c);

    /* run B (generation 2), then run C (generation 3): generation 2 is freed when it is
     * replaced, which makes a sweep due */
    write_text(f->in_dir, "t.csv", "a\n10\n");
    extract_files(f, "src", false);
    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);
    write_text(f->in_dir, "t.csv", "a\n100\n");
    extract_files(f, "src", false);
    rebuild_ok(c, NULL, &s);
    catalog_rebuild_stats_cleanup(&s);
    assert_int_equal(count_runs(f, "src"), 3);

    int removed = 0;
    assert_int_equal(catalog_sweep(c, &removed, &err), RC_OK);
    assert_int_equal(removed, 1); /* run B only */
    assert_int_equal(count_runs(f, "src"), 2);

    /* the held generation still reads its files, on a connection opened after the sweep */
    struct duck *conn = NULL;
    assert_int_equal(catalog_connect(held, &conn, &err), RC_OK);
    assert_int_equal(q_i64(conn, "SELECT sum(a)::BIGINT FROM t"), 3);
    duck_close(&conn);
    assert_int_equal(count_in_catalog(c, "t"), 1);

    /* released, its run goes at the next sweep */
    catalog_release(c, held);
    assert_int_equal(catalog_sweep(c, &removed, &err), RC_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(count_runs(f, "src"), 1);
    assert_int_equal(count_in_catalog(c, "t"), 1);
    catalog_close(&c);
    close(server);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--files-child") == 0) {
        struct files_options opt = { 0 };
        struct files_result res;
        struct err err;
        if (files_extract(argv[2], "src", argv[3], &opt, &res, &err) != RC_OK) {
            fprintf(stderr, "files child: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    self_exe = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_files_connector_types_and_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_connector_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_refuses_what_breaks_the_contract, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inspect_extract_level_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog_skips_malicious_source_and_table_names, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_of_one_source_keeps_the_others, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_running_query_survives_a_rebuild_and_a_schema_change,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_remote_tables_without_extension_or_token, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_table_id_taken_by_an_earlier_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generation_is_locked_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connector_killed_at_any_moment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recipe_replays_the_generation_over_its_snapshot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_queries_never_fail_while_rebuilding_1000_tables, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sweep_keeps_the_run_a_held_generation_reads, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
