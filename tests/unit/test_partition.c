/* test_partition.c — unit tests of partitioned tables (several Parquet files per table), on
 * real files: extract_writer_add_parts (layout, view, _meta sums, part names, parts that
 * disagree on columns, nothing left of a failed table), the files connector's table folders
 * (parts named after the files, columns aligned by name, the folder shapes it refuses), what
 * the catalog serves from them, and a kill-at-any-moment loop of a partitioned run. */
#include <dirent.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
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
    char *ex = xasprintf("%s/extracts", f->data_dir);
    enum rc rc = file_mkdir_p(f->in_dir, 0755, &err);
    if (!rc)
        rc = file_mkdir_p(ex, 0755, &err);
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

/* Writes text to in/<name>, making the folders of name as needed. */
static void write_in(struct fixture *f, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", f->in_dir, name);
    char *dir = xstrdup(path);
    *strrchr(dir, '/') = '\0';
    struct err err = { { 0 } };
    assert_int_equal(file_mkdir_p(dir, 0755, &err), RC_OK);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    free(dir);
    free(path);
}

static void mkdir_in(struct fixture *f, const char *name)
{
    char *path = xasprintf("%s/%s", f->in_dir, name);
    struct err err = { { 0 } };
    assert_int_equal(file_mkdir_p(path, 0755, &err), RC_OK);
    free(path);
}

static void remove_in(struct fixture *f, const char *name)
{
    char *path = xasprintf("%s/%s", f->in_dir, name);
    test_rm_rf(path);
    free(path);
}

static char *source_dir(const struct fixture *f, const char *source)
{
    return xasprintf("%s/extracts/%s", f->data_dir, source);
}

static enum rc run_files(struct fixture *f, const char *source, bool all_varchar,
                         struct files_result *res, struct err *err)
{
    struct files_options opt = { .all_varchar = all_varchar };
    return files_extract(f->data_dir, source, f->in_dir, &opt, res, err);
}

static void extract_files(struct fixture *f, const char *source, bool all_varchar)
{
    struct files_result res;
    struct err err = { { 0 } };
    if (run_files(f, source, all_varchar, &res, &err))
        fail_msg("files_extract %s: %s", source, err.msg);
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

static const struct extract_table *table_of(const struct extract_info *info, const char *id)
{
    for (size_t i = 0; i < info->n_tables; i++)
        if (strcmp(info->tables[i].id, id) == 0)
            return &info->tables[i];
    fail_msg("no table %s", id);
    return NULL;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The name of the folder that holds path ("events" for .../run-x/events/a.parquet), in out. */
static void parent_name(const char *path, char *out, size_t size)
{
    char *copy = xstrdup(path);
    *strrchr(copy, '/') = '\0';
    snprintf(out, size, "%s", base_name(copy));
    free(copy);
}

static struct catalog *open_catalog(struct fixture *f)
{
    struct catalog *c = NULL;
    struct catalog_options opt = { .data_dir = f->data_dir };
    struct err err = { { 0 } };
    assert_int_equal(catalog_open(&opt, &c, &err), RC_OK);
    struct catalog_rebuild_stats s;
    if (catalog_rebuild(c, NULL, &s, &err))
        fail_msg("rebuild: %s", err.msg);
    catalog_rebuild_stats_cleanup(&s);
    return c;
}

/* The first value of sql on the catalog's current generation, as heap text. */
static char *catalog_text(struct catalog *c, const char *sql)
{
    struct catalog_gen *g = catalog_acquire(c);
    struct duck *conn = NULL;
    struct err err = { { 0 } };
    assert_int_equal(catalog_connect(g, &conn, &err), RC_OK);
    char *v = q_text(conn, sql);
    duck_close(&conn);
    catalog_release(c, g);
    return v;
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

static int count_glob(const char *pattern)
{
    glob_t g;
    int n = glob(pattern, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
    globfree(&g);
    return n;
}

/* ---- the writer ---- */

static void test_part_names(void **state)
{
    (void)state;
    const char *good[] = {
        "2024-01",   "a",       "_x",
        "part.0001", "A-b_c.d", "0123456789012345678901234567890123456789012345678901234567890123"
    };
    const char *bad[] = { "",
                          ".",
                          "..",
                          ".hidden",
                          "-rf",
                          "a/b",
                          "../x",
                          "a b",
                          "x*",
                          "x?",
                          "[a]",
                          "a\\b",
                          "a'b",
                          "a\"b",
                          "a%2Fb",
                          "caf\xc3\xa9",
                          "01234567890123456789012345678901234567890123456789012345678901234" };
    for (size_t i = 0; i < ARRAY_LEN(good); i++)
        assert_true(extract_part_name_valid(good[i]));
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (extract_part_name_valid(bad[i]))
            fail_msg("part name '%s' was accepted", bad[i]);
    assert_false(extract_part_name_valid(NULL));
}

static void test_writer_adds_a_partitioned_table(void **state)
{
    struct fixture *f = *state;
    char *dir = source_dir(f, "web");
    struct extract_writer *w = NULL;
    struct err err = { { 0 } };
    assert_int_equal(extract_writer_begin(dir, &w, &err), RC_OK);
    const struct extract_part parts[] = {
        { "2024-01", "SELECT range AS id, 'jan' AS month FROM range(3)" },
        { "2024-02", "SELECT range + 100 AS id, 'feb' AS month FROM range(5)" },
        { "2024-03", "SELECT range + 200 AS id, 'mar' AS month FROM range(0)" },
    };
    assert_int_equal(extract_writer_add_parts(w, "events", "by month", parts, 3, &err), RC_OK);
    assert_int_equal(extract_writer_add(w, "users", NULL, "SELECT 1 AS id", &err), RC_OK);
    struct extract_commit_result res;
    assert_int_equal(extract_writer_commit(&w, &res, &err), RC_OK);
    assert_null(w);
    assert_int_equal(res.tables, 2);
    assert_int_equal(res.rows, 9);

    struct extract_info info = inspect_ok(f, "web");
    assert_int_equal(info.n_problems, 0);
    const struct extract_table *t = table_of(&info, "events");
    assert_int_equal(t->rows, 8);
    assert_int_equal(t->n_files, 3);
    int64_t size = 0;
    for (size_t i = 0; i < 3; i++) {
        char want[32], folder[64];
        snprintf(want, sizeof(want), "%s.parquet", parts[i].name);
        assert_string_equal(base_name(t->files[i]), want); /* in the order given */
        parent_name(t->files[i], folder, sizeof(folder));
        assert_string_equal(folder, "events");
        size_t run_len = 0;
        assert_non_null(extract_run_of_file(dir, t->files[i], &run_len));
        struct stat st;
        assert_int_equal(stat(t->files[i], &st), 0);
        size += st.st_size;
    }
    assert_int_equal(t->size_bytes, size);
    assert_int_equal(table_of(&info, "users")->n_files, 1);
    extract_info_cleanup(&info);
    assert_int_equal(count_stray(dir), 0);

    struct catalog *c = open_catalog(f);
    char *v = catalog_text(c, "SELECT count(*) || ',' || count(DISTINCT month) || ',' ||"
                              " max(id) FROM events");
    assert_string_equal(v, "8,2,104");
    free(v);
    struct catalog_gen *g = catalog_acquire(c);
    const struct catalog_table *ct = catalog_find(g, "events");
    assert_non_null(ct);
    assert_int_equal(ct->status, CATALOG_OK);
    assert_int_equal(ct->n_files, 3);
    catalog_release(c, g);
    catalog_close(&c);
    free(dir);
}

static void test_writer_refuses_bad_parts_and_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    char *dir = source_dir(f, "web");
    struct extract_writer *w = NULL;
    struct err err = { { 0 } };
    assert_int_equal(extract_writer_begin(dir, &w, &err), RC_OK);

    /* names: checked before anything is written */
    const struct extract_part traversal[] = { { "../evil", "SELECT 1 AS x" } };
    assert_int_equal(extract_writer_add_parts(w, "t", NULL, traversal, 1, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "part name"));
    const struct extract_part twice[] = { { "a", "SELECT 1 AS x" }, { "a", "SELECT 2 AS x" } };
    assert_int_equal(extract_writer_add_parts(w, "t", NULL, twice, 2, &err), RC_CONFLICT);
    assert_int_equal(extract_writer_add_parts(w, "t", NULL, twice, 0, &err), RC_INVALID);
    assert_int_equal(extract_writer_add_parts(w, "Bad Name", NULL, twice, 1, &err), RC_INVALID);

    /* parts that disagree on columns: a missing column, another type, another order */
    const struct extract_part missing[] = { { "p1", "SELECT 1 AS a, 2 AS b" },
                                            { "p2", "SELECT 1 AS a" } };
    assert_int_equal(extract_writer_add_parts(w, "t", NULL, missing, 2, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "part p2 has no column b"));
    const struct extract_part typed[] = { { "p1", "SELECT 1 AS a" }, { "p2", "SELECT 'x' AS a" } };
    assert_int_equal(extract_writer_add_parts(w, "t", NULL, typed, 2, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "column 1 is a VARCHAR in part p2 but a INTEGER in part p1"));
    const struct extract_part order[] = { { "p1", "SELECT 1 AS a, 2 AS b" },
                                          { "p2", "SELECT 2 AS b, 1 AS a" } };
    assert_int_equal(extract_writer_add_parts(w, "t", NULL, order, 2, &err), RC_INVALID);
    /* a part whose query fails */
    const struct extract_part broken[] = { { "p1", "SELECT 1 AS a" },
                                           { "p2", "SELECT * FROM no_such_table" } };
    assert_int_equal(extract_writer_add_parts(w, "t", NULL, broken, 2, &err), RC_DB);
    assert_non_null(strstr(err.msg, "table t, part p2"));

    /* nothing of the failed tables is in the run; the name is still free */
    char *pattern = xasprintf("%s/data/run-*/t", dir);
    assert_int_equal(count_glob(pattern), 0);
    free(pattern);
    const struct extract_part ok[] = { { "p1", "SELECT 1 AS a" }, { "p2", "SELECT 2 AS a" } };
    assert_int_equal(extract_writer_add_parts(w, "t", NULL, ok, 2, &err), RC_OK);
    assert_int_equal(extract_writer_add_parts(w, "t", NULL, ok, 2, &err), RC_CONFLICT);
    assert_int_equal(extract_writer_add(w, "t", NULL, "SELECT 1", &err), RC_CONFLICT);
    struct extract_commit_result res;
    assert_int_equal(extract_writer_commit(&w, &res, &err), RC_OK);
    assert_int_equal(res.tables, 1);
    assert_int_equal(res.rows, 2);
    pattern = xasprintf("%s/data/run-*/t/*", dir);
    assert_int_equal(count_glob(pattern), 2);
    free(pattern);
    assert_int_equal(count_stray(dir), 0);
    free(dir);
}

/* ---- the files connector ---- */

static void test_folder_becomes_a_partitioned_table(void **state)
{
    struct fixture *f = *state;
    write_in(f, "Events/2024-01.csv", "id,kind\n1,view\n2,click\n");
    write_in(f, "Events/2024-02.csv", "kind,id\nview,3\nbuy,4\nview,5\n"); /* other order */
    write_in(f, "Events/-late.jsonl", "{\"id\": 6, \"kind\": \"view\"}\n");
    write_in(f, "Events/README.txt", "monthly exports");
    write_in(f, "Events/.hidden.csv", "id,kind\n99,hidden\n");
    write_in(f, "users.csv", "id,name\n1,Ann\n");
    struct files_result res;
    struct err err = { { 0 } };
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_OK);
    assert_int_equal(res.tables, 2);
    assert_int_equal(res.rows, 7);
    assert_int_equal(res.skipped, 1);

    struct extract_info info = inspect_ok(f, "web");
    assert_int_equal(info.n_problems, 0);
    const struct extract_table *t = table_of(&info, "events");
    assert_int_equal(t->rows, 6);
    assert_int_equal(t->n_files, 3);
    /* sorted by file name; names made safe */
    assert_string_equal(base_name(t->files[0]), "_late.parquet");
    assert_string_equal(base_name(t->files[1]), "2024-01.parquet");
    assert_string_equal(base_name(t->files[2]), "2024-02.parquet");
    assert_non_null(strstr(t->description, "3 files in the folder Events"));
    assert_int_equal(table_of(&info, "users")->n_files, 1);
    extract_info_cleanup(&info);

    struct catalog *c = open_catalog(f);
    /* the second file's columns were put in the first file's order, by name */
    char *v = catalog_text(c, "SELECT string_agg(id || ':' || kind, ' ' ORDER BY id) FROM events");
    assert_string_equal(v, "1:view 2:click 3:view 4:buy 5:view 6:view");
    free(v);
    catalog_close(&c);
}

static void test_folder_parts_must_agree_on_columns(void **state)
{
    struct fixture *f = *state;
    write_in(f, "events/a.csv", "id,kind\n1,view\n");
    write_in(f, "events/b.csv", "id,kind\n2,click\n");
    extract_files(f, "web", false);
    struct extract_info before = inspect_ok(f, "web");

    struct files_result res;
    struct err err = { { 0 } };
    /* a column more, a column less: the run fails, naming the table and the file */
    write_in(f, "events/c.csv", "id,kind,extra\n3,view,x\n");
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "table events: events/c.csv has a column extra"));
    write_in(f, "events/c.csv", "id\n3\n");
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "table events: events/c.csv has no column kind"));
    /* another type: say so, and --all-varchar makes them agree */
    write_in(f, "events/c.csv", "id,kind\nthree,view\n");
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "column id is VARCHAR in events/c.csv but BIGINT in"
                                    " events/a.csv"));
    assert_non_null(strstr(err.msg, "--all-varchar"));
    /* a file that cannot be read */
    write_in(f, "events/c.parquet", "not parquet");
    remove_in(f, "events/c.csv");
    assert_int_not_equal(run_files(f, "web", false, &res, &err), RC_OK);
    assert_non_null(strstr(err.msg, "events/c.parquet"));

    /* the previous extract is as it was, and nothing is left behind */
    struct extract_info after = inspect_ok(f, "web");
    assert_int_equal(after.n_problems, 0);
    assert_int_equal(after.n_tables, 1);
    assert_int_equal(after.tables[0].n_files, 2);
    assert_string_equal(after.tables[0].files[0], before.tables[0].files[0]);
    extract_info_cleanup(&before);
    extract_info_cleanup(&after);
    char *dir = source_dir(f, "web");
    assert_int_equal(count_stray(dir), 0);
    char *pattern = xasprintf("%s/data/run-*", dir);
    assert_int_equal(count_glob(pattern), 1);
    free(pattern);
    free(dir);

    remove_in(f, "events/c.parquet");
    write_in(f, "events/c.csv", "id,kind\nthree,view\n");
    extract_files(f, "web", true);
    struct catalog *c = open_catalog(f);
    char *v = catalog_text(c, "SELECT string_agg(id, ',' ORDER BY id) FROM events");
    assert_string_equal(v, "1,2,three");
    free(v);
    catalog_close(&c);
}

static void test_folder_shapes_that_fail_the_run(void **state)
{
    struct fixture *f = *state;
    struct files_result res;
    struct err err = { { 0 } };
    write_in(f, "users.csv", "id\n1\n");

    /* a folder inside a table's folder */
    write_in(f, "events/2024/01.csv", "id\n1\n");
    write_in(f, "events/02.csv", "id\n2\n");
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "events/2024 is a folder"));
    remove_in(f, "events");

    /* an empty folder, and one with nothing of ours */
    mkdir_in(f, "empty");
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "folder empty holds no CSV, Parquet or JSON file"));
    write_in(f, "empty/notes.txt", "x");
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "folder empty holds no"));
    remove_in(f, "empty");

    /* two files giving one part name, in one folder */
    write_in(f, "events/a b.csv", "id\n1\n");
    write_in(f, "events/a_b.parquet", "");
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "both give part a_b of table events"));
    remove_in(f, "events");

    /* a folder and a file giving one table id */
    write_in(f, "Users/1.csv", "id\n1\n");
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "both give table users"));
    remove_in(f, "Users");

    /* a folder name that gives no id (too long) */
    char long_name[80];
    memset(long_name, 'x', 70);
    long_name[70] = '\0';
    char *file = xasprintf("%s/1.csv", long_name);
    write_in(f, file, "id\n1\n");
    assert_int_equal(run_files(f, "web", false, &res, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "does not give a table id"));
    remove_in(f, long_name);
    free(file);

    /* none of these left an extract or a run behind */
    char *dir = source_dir(f, "web");
    assert_false(file_exists(dir));
    free(dir);
    extract_files(f, "web", false);
}

/* ---- a partitioned run killed at any moment ---- */

static const char *self_exe;

struct mid_write {
    const char *runs;  /* glob of the run folders */
    const char *files; /* glob of the files in them */
    int files_at_least;
};

/* A second run is being written and the run folders hold files_at_least files. */
static bool run_in_progress(void *ctx)
{
    const struct mid_write *m = ctx;
    return count_glob(m->runs) == 2 && count_glob(m->files) >= m->files_at_least;
}

static void test_partitioned_run_killed_at_any_moment(void **state)
{
    struct fixture *f = *state;
    struct duck *mem = NULL;
    struct err err = { { 0 } };
    assert_int_equal(duck_open(NULL, &mem, &err), RC_OK);
    mkdir_in(f, "events");
    for (int i = 0; i < 4; i++) {
        char *sql = xasprintf("COPY (SELECT range AS id, md5(range::VARCHAR) AS h FROM"
                              " range(60000)) TO '%s/events/2024-%02d.csv'",
                              f->in_dir, i + 1);
        exec_ok(mem, sql);
        free(sql);
    }
    duck_close(&mem);
    write_in(f, "users.csv", "id\n1\n2\n");
    extract_files(f, "src", false);

    int64_t t0 = clock_mono_us();
    char *cmd = xasprintf("'%s' --files-child '%s' '%s'", self_exe, f->data_dir, f->in_dir);
    assert_int_equal(system(cmd), 0);
    int64_t full_us = clock_mono_us() - t0;

    char *dir = source_dir(f, "src");
    char *runs = xasprintf("%s/data/run-*", dir);
    char *files = xasprintf("%s/data/run-*/*/*", dir); /* the parts of events */
    int removed = 0;
    assert_int_equal(extract_remove_stale_runs(dir, NULL, 0, &removed, &err), RC_OK);
    assert_int_equal(count_glob(runs), 1);
    const int n_parts = count_glob(files);
    assert_int_equal(n_parts, 4);
    /* one kill at each part of events: once a second run folder (the child's) exists and the
     * run folders hold 0, 1, 2, 3 parts more than the committed run, so a part, users and the
     * commit are always still to come */
    for (int i = 0; i < n_parts; i++) {
        const char *child[] = { self_exe, "--files-child", f->data_dir, f->in_dir, NULL };
        struct mid_write m = { runs, files, n_parts + i };
        struct test_kill k = test_run_killed_when(child, run_in_progress, &m);
        assert_true(k.reached);
        if (!k.killed)
            fail_msg("the child was not killed mid-write (wait status %d)", k.status);
        /* the kill landed mid-write: the killed run's folder is there, and once it holds a
         * part, so is its extract.duckdb.tmp (opened before the first part is written) */
        assert_int_equal(count_glob(runs), 2);
        assert_true(count_glob(files) >= n_parts + i);
        char *tmp = xasprintf("%s/extract.duckdb.tmp", dir);
        assert_true(i == 0 || file_exists(tmp));
        free(tmp);

        /* a complete extract, the committed one: every part there, every row readable */
        struct extract_info info = inspect_ok(f, "src");
        assert_int_equal(info.n_problems, 0);
        assert_int_equal(info.n_tables, 2);
        assert_int_equal(table_of(&info, "events")->n_files, 4);
        extract_info_cleanup(&info);
        struct catalog *c = open_catalog(f);
        char *v = catalog_text(c, "SELECT count(*)::VARCHAR FROM events");
        assert_string_equal(v, "240000");
        free(v);
        catalog_close(&c);
        assert_int_equal(extract_remove_stale_runs(dir, NULL, 0, &removed, &err), RC_OK);
        assert_int_equal(count_glob(runs), 1);
        /* a killed run's extract.duckdb.tmp is removed by the next run; no WAL beside the
         * live file, and nothing stray among the Parquet files after the sweep */
        char *wal = xasprintf("%s/extract.duckdb.wal", dir);
        assert_false(file_exists(wal));
        free(wal);
        char *data = xasprintf("%s/data", dir);
        assert_int_equal(count_stray(data), 0);
        free(data);
    }
    /* and the next run commits over what the kills left */
    assert_int_equal(system(cmd), 0);
    struct extract_info info = inspect_ok(f, "src");
    assert_int_equal(info.n_problems, 0);
    extract_info_cleanup(&info);
    free(cmd);
    free(files);
    free(runs);
    free(dir);
    print_message("partitioned connector run %.2fs\n", (double)full_us / 1e6);
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
        cmocka_unit_test(test_part_names),
        cmocka_unit_test_setup_teardown(test_writer_adds_a_partitioned_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_refuses_bad_parts_and_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_folder_becomes_a_partitioned_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_parts_must_agree_on_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_shapes_that_fail_the_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partitioned_run_killed_at_any_moment, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
