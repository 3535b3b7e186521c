/* test_demo.c — unit tests of src/data: the DuckDB wrapper (duck.c: open, exec errors, integer
 * reads, quoting) and the demo extract generator (demo.c: the extract contract, determinism,
 * referential sanity, idempotence and crash safety, including real SIGKILLs of a child that is
 * generating). Runs on real files in fresh temporary folders. */
#include <dirent.h>
#include <errno.h>
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

#include "base/buf.h"
#include "base/fileio.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "data/demo.h"
#include "data/duck.h"
#include "duck_helpers.h"
#include "helpers.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

struct fixture {
    char *root;     /* the mkdtemp folder, removed at teardown */
    char *data_dir; /* a data folder inside it */
};

static int setup_named(void **state, const char *name)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    f->root = test_tmpdir();
    f->data_dir = xasprintf("%s/%s", f->root, name);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_named(state, "data");
}

/* A data folder whose name holds both quote characters and a backslash: every path pasted
 * into DuckDB SQL must be quoted right. (test_rm_rf quotes with ' itself, hence the subfolder.) */
static int setup_quoted(void **state)
{
    return setup_named(state, "it's \"da\\ta\"");
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    test_rm_rf(f->root);
    free(f->root);
    free(f->data_dir);
    free(f);
    return 0;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static char *extract_path(const char *data_dir, const char *rel)
{
    return xasprintf("%s/extracts/demo/%s", data_dir, rel);
}

static struct duck *open_extract(const char *data_dir)
{
    char *path = extract_path(data_dir, "extract.duckdb");
    struct duck *d = NULL;
    struct err err = { { 0 } };
    if (duck_open_readonly(path, &d, &err))
        fail_msg("open %s: %s", path, err.msg);
    free(path);
    return d;
}

/* Counts, under dir and recursively, files named *.tmp or *.wal and folders named .spill;
 * report prints each one. */
static int count_stray(const char *dir, bool report)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    for (;;) {
        const struct dirent *e = readdir(d);
        if (!e)
            break;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t len = strlen(e->d_name);
        char *path = xasprintf("%s/%s", dir, e->d_name);
        if ((len >= 4 && (strcmp(e->d_name + len - 4, ".tmp") == 0 ||
                          strcmp(e->d_name + len - 4, ".wal") == 0)) ||
            strcmp(e->d_name, ".spill") == 0) {
            if (report)
                fprintf(stderr, "stray file: %s\n", path);
            n++;
        }
        if (file_is_dir(path))
            n += count_stray(path, report);
        free(path);
    }
    closedir(d);
    return n;
}

/* Counts the run folders data/run-* of the demo extract. */
static int count_runs(const char *data_dir)
{
    char *pattern = extract_path(data_dir, "data/run-*");
    glob_t g;
    int n = glob(pattern, GLOB_NOESCAPE, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
    globfree(&g);
    free(pattern);
    return n;
}

/* Stray files, plus run folders beyond the one the committed extract reads. */
static int stray_in_demo(const char *data_dir, bool report)
{
    char *dir = extract_path(data_dir, "");
    int n = count_stray(dir, report);
    char *db = extract_path(data_dir, "extract.duckdb");
    int runs = count_runs(data_dir), allowed = file_exists(db) ? 1 : 0;
    if (runs > allowed) {
        if (report)
            fprintf(stderr, "%d run folders, %d expected\n", runs, allowed);
        n += runs - allowed;
    }
    free(db);
    free(dir);
    return n;
}

/* The path of table t's Parquet file in the one run folder (heap). */
static char *table_file(const char *data_dir, const char *t)
{
    char *rel = xasprintf("data/run-*/%s.parquet", t);
    char *pattern = extract_path(data_dir, rel);
    glob_t g;
    if (glob(pattern, GLOB_NOESCAPE, NULL, &g) != 0 || g.gl_pathc != 1)
        fail_msg("expected one file for %s", pattern);
    char *path = xstrdup(g.gl_pathv[0]);
    globfree(&g);
    free(pattern);
    free(rel);
    return path;
}

static struct demo_result ensure_ok(const char *data_dir, int scale)
{
    struct demo_result res = { 0 };
    struct err err = { { 0 } };
    enum rc rc = demo_ensure(data_dir, scale, &res, &err);
    if (rc)
        fail_msg("demo_ensure(%s, %d): %s (%s)", data_dir, scale, err.msg, rc_str(rc));
    return res;
}

static const char *const table_names[] = {
    "customers", "products", "orders", "order_items", "web_sessions", "support_tickets",
};

/* The key each table is ordered by, for checksums that see row content and order. */
static const char *const table_keys[] = {
    "customer_id", "product_id", "order_id", "order_item_id", "session_id", "ticket_id",
};

/* Checks the extract contract on a committed extract of the given scale: _meta lists the six
 * tables, each view answers with _meta.rows rows, size_bytes is the Parquet size on disk,
 * query_mode is 'local', extracted_at is now (UTC), views read absolute paths, and nothing
 * stray is left beside it. */
static void check_extract(const char *data_dir, int scale)
{
    struct duck *d = open_extract(data_dir);
    const int64_t expected[] = {
        1000LL * scale, 200, 10000LL * scale, -1, 20000LL * scale, 2000LL * scale,
    };

    assert_int_equal(q_i64(d, "SELECT count(*) FROM _meta"), 6);
    assert_int_equal(q_i64(d, "SELECT count(DISTINCT table_name) FROM _meta"), 6);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM _meta WHERE query_mode = 'local'"), 6);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM _meta WHERE length(description) >= 40"), 6);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM duckdb_views() WHERE NOT internal"
                              " AND sql LIKE '%read_parquet(''/%'"),
                     6);
    int64_t at = q_i64(d, "SELECT min(epoch(extracted_at))::BIGINT FROM _meta");
    assert_true(llabs(at - (int64_t)time(NULL)) < 600);
    assert_int_equal(q_i64(d, "SELECT count(DISTINCT extracted_at) FROM _meta"), 1);

    for (size_t i = 0; i < ARRAY_LEN(table_names); i++) {
        const char *t = table_names[i];
        char *sql = xasprintf("SELECT count(*) FROM \"%s\"", t);
        int64_t n = q_i64(d, sql);
        free(sql);
        sql = xasprintf("SELECT rows FROM _meta WHERE table_name = '%s'", t);
        assert_int_equal(q_i64(d, sql), n);
        free(sql);
        if (expected[i] >= 0)
            assert_int_equal(n, expected[i]);

        char *pq = table_file(data_dir, t);
        struct stat st;
        assert_int_equal(stat(pq, &st), 0);
        sql = xasprintf("SELECT size_bytes FROM _meta WHERE table_name = '%s'", t);
        assert_int_equal(q_i64(d, sql), st.st_size);
        free(sql);
        free(pq);
    }
    int64_t orders = q_i64(d, "SELECT count(*) FROM orders");
    int64_t items = q_i64(d, "SELECT count(*) FROM order_items");
    assert_true(items >= orders * 27 / 10 && items <= orders * 33 / 10);
    duck_close(&d);
    assert_int_equal(stray_in_demo(data_dir, true), 0);
}

/* A checksum of a table's content in key order (md5 of every row as text); table is a name
 * or a parenthesised query. hash(t.*) does not
 * bind in DuckDB 1.4 and hash() is engine-internal; md5 over the rows' text is stable. */
static int64_t table_checksum(struct duck *d, const char *table, const char *key)
{
    char *sql = xasprintf("SELECT (md5_number(string_agg(t::VARCHAR, chr(10) ORDER BY %s))"
                          " %% 9223372036854775783)::BIGINT FROM %s t",
                          key, table);
    int64_t v = q_i64(d, sql);
    free(sql);
    return v;
}

static struct stat stat_of(const char *data_dir, const char *rel)
{
    char *path = strchr(rel, '/') ? xstrdup(rel) : extract_path(data_dir, rel);
    struct stat st;
    if (stat(path, &st) != 0)
        fail_msg("stat %s: %s", path, strerror(errno));
    free(path);
    return st;
}

/* ---- duck.c ------------------------------------------------------------------------------ */

static void test_duck_memory_exec_and_query(void **state)
{
    (void)state;
    struct duck *d = NULL;
    struct err err = { { 0 } };
    assert_int_equal(duck_open(NULL, &d, &err), RC_OK);
    assert_non_null(d);
    exec_ok(d, "CREATE TABLE t (i INTEGER, s VARCHAR); INSERT INTO t VALUES (1, 'a'), (2, NULL)");
    assert_int_equal(q_i64(d, "SELECT count(*) FROM t"), 2);
    assert_int_equal(q_i64(d, "SELECT sum(i) FROM t"), 3); /* HUGEINT */
    assert_int_equal(q_i64(d, "SELECT -5::TINYINT"), -5);
    assert_int_equal(q_i64(d, "SELECT 65535::USMALLINT"), 65535);
    assert_int_equal(q_i64(d, "SELECT 9223372036854775807::UBIGINT"), INT64_MAX);
    assert_int_equal(q_i64(d, "SELECT (-9223372036854775808)::HUGEINT"), INT64_MIN);
    /* the first row of a result that spans several chunks */
    assert_int_equal(q_i64(d, "SELECT i FROM range(7, 100000) r(i) ORDER BY i"), 7);

    int64_t v = 42;
    assert_int_equal(duck_query_i64(d, "SELECT i FROM t WHERE i > 5", &v, &err), RC_NOTFOUND);
    assert_non_null(strstr(err.msg, "no row"));
    assert_int_equal(duck_query_i64(d, "SELECT NULL::INTEGER", &v, &err), RC_NOTFOUND);
    assert_non_null(strstr(err.msg, "NULL"));
    assert_int_equal(duck_query_i64(d, "SELECT s FROM t", &v, &err), RC_INVALID);
    assert_int_equal(duck_query_i64(d, "SELECT 9223372036854775808::UBIGINT", &v, &err),
                     RC_INVALID);
    assert_int_equal(duck_query_i64(d, "SELECT 9223372036854775808::HUGEINT", &v, &err),
                     RC_INVALID);
    assert_int_equal(duck_query_i64(d, "SELECT (-9223372036854775809)::HUGEINT", &v, &err),
                     RC_INVALID);
    assert_int_equal(duck_query_i64(d, "SELECT 18446744073709551616::UHUGEINT", &v, &err),
                     RC_INVALID);
    assert_int_equal(v, 42); /* untouched by every failure */

    duck_close(&d);
    assert_null(d);
    duck_close(&d); /* NULL-safe */
    duck_close(NULL);
}

static void test_duck_errors_carry_the_engine_message(void **state)
{
    (void)state;
    struct duck *d = NULL;
    struct err err = { { 0 } };
    int64_t v = 0;
    assert_int_equal(duck_open(NULL, &d, &err), RC_OK);

    memset(&err, 0, sizeof(err));
    assert_int_equal(duck_exec(d, "SELEC 1", &err), RC_DB);
    assert_non_null(strstr(err.msg, "syntax error"));

    memset(&err, 0, sizeof(err));
    assert_int_equal(duck_exec(d, "SELECT * FROM no_such_table", &err), RC_DB);
    assert_non_null(strstr(err.msg, "no_such_table"));

    memset(&err, 0, sizeof(err));
    assert_int_equal(duck_query_i64(d, "SELECT missing_column FROM range(1)", &v, &err), RC_DB);
    assert_non_null(strstr(err.msg, "missing_column"));

    /* a failing statement in a batch stops the batch */
    assert_int_equal(duck_exec(d, "CREATE TABLE a (i INT); SELEC 1; CREATE TABLE b (i INT)", &err),
                     RC_DB);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'b'"), 0);

    /* the connection stays usable after errors */
    assert_int_equal(q_i64(d, "SELECT 1"), 1);
    duck_close(&d);

    /* a database that cannot be opened */
    assert_int_equal(duck_open("/nonexistent-folder/x/y.duckdb", &d, &err), RC_DB);
    assert_null(d);
    assert_true(strlen(err.msg) > 0);
}

static void test_duck_readonly(void **state)
{
    struct fixture *f = *state;
    struct duck *d = NULL;
    struct err err = { { 0 } };
    char *path = xasprintf("%s/ro.duckdb", f->root);
    char *wal = xasprintf("%s.wal", path);

    assert_int_equal(duck_open_readonly(path, &d, &err), RC_DB); /* never creates */
    assert_null(d);
    assert_false(file_exists(path));
    assert_int_equal(duck_open_readonly(NULL, &d, &err), RC_INVALID);

    assert_int_equal(duck_open(path, &d, &err), RC_OK);
    exec_ok(d, "CREATE TABLE t AS SELECT * FROM range(10) r(i); CHECKPOINT");
    duck_close(&d);
    assert_false(file_exists(wal));

    assert_int_equal(duck_open_readonly(path, &d, &err), RC_OK);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM t"), 10);
    assert_int_equal(duck_exec(d, "INSERT INTO t VALUES (99)", &err), RC_DB);
    assert_non_null(strstr(err.msg, "read-only"));
    duck_close(&d);
    assert_false(file_exists(wal));
    free(wal);
    free(path);
}

static void test_duck_quote_literal(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(duck_sql_quote_literal(&b, "it's"), RC_OK);
    assert_string_equal(buf_cstr(&b), "'it''s'");
    buf_reset(&b);
    assert_int_equal(duck_sql_quote_literal(&b, ""), RC_OK);
    assert_string_equal(buf_cstr(&b), "''");
    buf_reset(&b);
    assert_int_equal(duck_sql_quote_literal(&b, "''"), RC_OK);
    assert_string_equal(buf_cstr(&b), "''''''");
    buf_reset(&b);
    assert_int_equal(duck_sql_quote_literal(&b, NULL), RC_INVALID);
    assert_string_equal(buf_cstr(&b), "");

    /* round trip through the engine, including an injection attempt and a backslash */
    const char *const values[] = {
        "x'); DROP TABLE t; --", "/data/it's/a\\b.parquet", "'", "\"", "caf\xc3\xa9",
    };
    struct duck *d = NULL;
    struct err err = { { 0 } };
    assert_int_equal(duck_open(NULL, &d, &err), RC_OK);
    exec_ok(d, "CREATE TABLE t (s VARCHAR)");
    for (size_t i = 0; i < ARRAY_LEN(values); i++) {
        buf_reset(&b);
        assert_int_equal(buf_append_str(&b, "INSERT INTO t VALUES ("), RC_OK);
        assert_int_equal(duck_sql_quote_literal(&b, values[i]), RC_OK);
        assert_int_equal(buf_append_str(&b, ")"), RC_OK);
        exec_ok(d, buf_cstr(&b));

        buf_reset(&b);
        assert_int_equal(buf_printf(&b, "SELECT count(*) FROM t WHERE strlen(s) = %zu AND s = ",
                                    strlen(values[i])),
                         RC_OK);
        assert_int_equal(duck_sql_quote_literal(&b, values[i]), RC_OK);
        assert_int_equal(q_i64(d, buf_cstr(&b)), 1);
    }
    assert_int_equal(q_i64(d, "SELECT count(*) FROM t"), (int64_t)ARRAY_LEN(values));
    duck_close(&d);

    /* a full buffer fails cleanly */
    struct buf small;
    buf_init(&small, 4);
    assert_int_equal(duck_sql_quote_literal(&small, "abcdef"), RC_TOOBIG);
    buf_cleanup(&small);
    buf_cleanup(&b);
}

static void test_duck_quote_ident(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(duck_sql_quote_ident(&b, "orders"), RC_OK);
    assert_string_equal(buf_cstr(&b), "\"orders\"");
    buf_reset(&b);
    assert_int_equal(duck_sql_quote_ident(&b, "a\"b"), RC_OK);
    assert_string_equal(buf_cstr(&b), "\"a\"\"b\"");
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "keep"), RC_OK);
    assert_int_equal(duck_sql_quote_ident(&b, ""), RC_INVALID);
    assert_int_equal(duck_sql_quote_ident(&b, NULL), RC_INVALID);
    assert_string_equal(buf_cstr(&b), "keep"); /* unchanged on refusal */

    /* a hostile name stays one identifier */
    struct duck *d = NULL;
    struct err err = { { 0 } };
    assert_int_equal(duck_open(NULL, &d, &err), RC_OK);
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "CREATE TABLE "), RC_OK);
    assert_int_equal(duck_sql_quote_ident(&b, "x\" (i INT); DROP TABLE y; --"), RC_OK);
    assert_int_equal(buf_append_str(&b, " (i INTEGER)"), RC_OK);
    exec_ok(d, buf_cstr(&b));
    assert_int_equal(q_i64(d, "SELECT count(*) FROM duckdb_tables()"
                              " WHERE table_name = 'x\" (i INT); DROP TABLE y; --'"),
                     1);
    duck_close(&d);
    buf_cleanup(&b);
}

/* ---- demo.c ------------------------------------------------------------------------------ */

static void test_demo_creates_a_complete_extract(void **state)
{
    struct fixture *f = *state; /* the data folder's name holds ' and " */
    int64_t t0 = clock_mono_us();
    struct demo_result res = ensure_ok(f->data_dir, 1);
    double secs = (double)(clock_mono_us() - t0) / 1e6;
    print_message("scale 1 generated in %.2fs\n", secs);
    assert_true(res.created);
    assert_int_equal(res.tables, 6);
    check_extract(f->data_dir, 1);

    struct duck *d = open_extract(f->data_dir);
    assert_int_equal(res.rows, q_i64(d, "SELECT sum(rows)::BIGINT FROM _meta"));
    /* the schema: types and the nullable columns the brief asks for */
    assert_int_equal(q_i64(d, "SELECT count(*) FROM (DESCRIBE orders) WHERE"
                              " (column_name = 'total_amount' AND column_type = 'DECIMAL(10,2)')"
                              " OR (column_name = 'ordered_at' AND column_type = 'TIMESTAMP')"
                              " OR (column_name = 'customer_id' AND column_type = 'BIGINT')"),
                     3);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM (DESCRIBE order_items) WHERE"
                              " column_name IN ('unit_price', 'line_total')"
                              " AND column_type = 'DECIMAL(10,2)'"),
                     2);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM (DESCRIBE customers) WHERE"
                              " (column_name = 'signup_date' AND column_type = 'DATE')"
                              " OR (column_name = 'is_active' AND column_type = 'BOOLEAN')"
                              " OR (column_name = 'email' AND column_type = 'VARCHAR')"),
                     3);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM customers"
                              " WHERE NOT regexp_matches(email, '@example\\.(com|org|net)$')"),
                     0);
    assert_int_equal(q_i64(d, "SELECT count(DISTINCT email) FROM customers"), 1000);
    assert_true(q_i64(d, "SELECT count(*) FROM customers WHERE company_name IS NULL") > 0);
    assert_true(q_i64(d, "SELECT count(*) FROM products WHERE weight_kg IS NULL") > 0);
    duck_close(&d);
}

static void test_demo_second_call_changes_nothing(void **state)
{
    struct fixture *f = *state;
    struct demo_result first = ensure_ok(f->data_dir, 1);
    assert_true(first.created);
    struct stat before[7], after[7];
    for (size_t i = 0; i < ARRAY_LEN(table_names); i++) {
        char *path = table_file(f->data_dir, table_names[i]);
        before[i] = stat_of(f->data_dir, path);
        free(path);
    }
    before[6] = stat_of(f->data_dir, "extract.duckdb");

    /* a different scale changes nothing either: the extract exists */
    struct demo_result second = ensure_ok(f->data_dir, 3);
    assert_false(second.created);
    assert_int_equal(second.tables, 6);
    assert_int_equal(second.rows, first.rows);

    for (size_t i = 0; i < ARRAY_LEN(table_names); i++) {
        char *path = table_file(f->data_dir, table_names[i]);
        after[i] = stat_of(f->data_dir, path);
        free(path);
    }
    after[6] = stat_of(f->data_dir, "extract.duckdb");
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(before[i].st_ino, after[i].st_ino);
        assert_int_equal(before[i].st_size, after[i].st_size);
        assert_int_equal(before[i].st_mtim.tv_sec, after[i].st_mtim.tv_sec);
        assert_int_equal(before[i].st_mtim.tv_nsec, after[i].st_mtim.tv_nsec);
    }
    assert_int_equal(stray_in_demo(f->data_dir, true), 0);
}

/* Checksums of the scale-1 tables, in table_names order. They pin the demo content across
 * runs, processes and machines (the comparison of two folders below cannot see a value drawn
 * from the clock). Update them only when the generator is changed on purpose. */
static const int64_t golden_scale1[] = {
    4691356841244587211LL, 6556084864058835869LL, 2065063357725774205LL,
    5162870095449581792LL, 8653738856759012099LL, 2352807998152777373LL,
};

static void test_demo_is_deterministic(void **state)
{
    struct fixture *f = *state;
    char *other = xasprintf("%s/other", f->root);
    ensure_ok(f->data_dir, 1);
    ensure_ok(other, 1);
    struct duck *a = open_extract(f->data_dir);
    struct duck *b = open_extract(other);
    int64_t sums[ARRAY_LEN(table_names)];
    for (size_t i = 0; i < ARRAY_LEN(table_names); i++) {
        sums[i] = table_checksum(a, table_names[i], table_keys[i]);
        assert_int_equal(sums[i], table_checksum(b, table_names[i], table_keys[i]));
    }
    for (size_t i = 0; i < ARRAY_LEN(table_names); i++) {
        if (sums[i] != golden_scale1[i])
            fail_msg("%s checksum %lldLL, expected %lldLL", table_names[i], (long long)sums[i],
                     (long long)golden_scale1[i]);
    }
    /* and the checksum does see a change */
    assert_int_not_equal(table_checksum(a,
                                        "(SELECT * REPLACE (order_id + 1 AS order_id)"
                                        " FROM orders)",
                                        "order_id"),
                         table_checksum(a, "orders", "order_id"));
    duck_close(&a);
    duck_close(&b);
    free(other);
}

static void test_demo_scale_multiplies_rows(void **state)
{
    struct fixture *f = *state;
    struct demo_result res = ensure_ok(f->data_dir, 2);
    assert_true(res.created);
    check_extract(f->data_dir, 2); /* orders 20000, customers 2000, products still 200 ... */
    struct duck *d = open_extract(f->data_dir);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM orders"), 20000);
    assert_int_equal(q_i64(d, "SELECT max(customer_id) FROM orders"), 2000);
    duck_close(&d);
}

static void test_demo_relationships_hold(void **state)
{
    struct fixture *f = *state;
    ensure_ok(f->data_dir, 1);
    struct duck *d = open_extract(f->data_dir);
    static const char *const zero[] = {
        /* keys are unique */
        "SELECT count(*) - count(DISTINCT customer_id) FROM customers",
        "SELECT count(*) - count(DISTINCT order_id) FROM orders",
        "SELECT count(*) - count(DISTINCT order_item_id) FROM order_items",
        "SELECT count(*) - count(DISTINCT (order_id, line_number)) FROM order_items",
        /* every reference resolves */
        "SELECT count(*) FROM orders o ANTI JOIN customers c USING (customer_id)",
        "SELECT count(*) FROM order_items i ANTI JOIN orders o USING (order_id)",
        "SELECT count(*) FROM order_items i ANTI JOIN products p USING (product_id)",
        "SELECT count(*) FROM web_sessions s WHERE customer_id IS NOT NULL"
        " AND customer_id NOT IN (SELECT customer_id FROM customers)",
        "SELECT count(*) FROM support_tickets t ANTI JOIN customers c USING (customer_id)",
        "SELECT count(*) FROM support_tickets t WHERE order_id IS NOT NULL"
        " AND order_id NOT IN (SELECT order_id FROM orders)",
        /* a ticket about an order belongs to that order's customer, opened after the order */
        "SELECT count(*) FROM support_tickets t JOIN orders o USING (order_id)"
        " WHERE t.customer_id <> o.customer_id OR t.created_at < o.ordered_at",
        /* every order has lines; totals and counts equal those of its lines */
        "SELECT count(*) FROM orders o ANTI JOIN order_items i USING (order_id)",
        "SELECT count(*) FROM orders o JOIN (SELECT order_id, sum(line_total) AS s,"
        " count(*) AS n FROM order_items GROUP BY order_id) i USING (order_id)"
        " WHERE o.total_amount <> i.s OR o.item_count <> i.n",
        "SELECT count(*) FROM order_items WHERE line_total <> quantity * unit_price",
        "SELECT count(*) FROM order_items i JOIN products p USING (product_id)"
        " WHERE i.unit_price <> p.unit_price",
        /* statuses and the columns that follow them */
        "SELECT count(*) FROM support_tickets WHERE (resolved_at IS NULL)"
        " <> (status IN ('open', 'pending'))",
        "SELECT count(*) FROM support_tickets WHERE resolved_at < created_at",
        "SELECT count(*) FROM orders WHERE (shipped_at IS NULL)"
        " <> (status IN ('placed', 'cancelled'))",
        "SELECT count(*) FROM orders o JOIN customers c USING (customer_id)"
        " WHERE o.ordered_at < c.signup_date",
        "SELECT count(*) FROM web_sessions WHERE converted AND customer_id IS NULL",
        "SELECT count(*) FROM products WHERE unit_cost >= unit_price OR unit_price <= 0",
    };
    for (size_t i = 0; i < ARRAY_LEN(zero); i++) {
        int64_t n = q_i64(d, zero[i]);
        if (n != 0)
            fail_msg("%lld rows break: %s", (long long)n, zero[i]);
    }
    static const char *const some[] = {
        "SELECT count(*) FROM web_sessions WHERE customer_id IS NULL",
        "SELECT count(*) FROM web_sessions WHERE customer_id IS NOT NULL",
        "SELECT count(*) FROM support_tickets WHERE status = 'open'",
        "SELECT count(*) FROM support_tickets WHERE order_id IS NULL",
        "SELECT count(DISTINCT priority) - 3 FROM support_tickets",
        "SELECT count(*) FROM orders WHERE status = 'cancelled'",
    };
    for (size_t i = 0; i < ARRAY_LEN(some); i++) {
        if (q_i64(d, some[i]) <= 0)
            fail_msg("expected some rows: %s", some[i]);
    }
    duck_close(&d);
}

/* Writes junk to a file under the demo folder, as a killed run might have left it. */
static void write_junk(const char *data_dir, const char *rel)
{
    char *path = extract_path(data_dir, rel);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("junk from a crashed run", fp);
    assert_int_equal(fclose(fp), 0);
    free(path);
}

static void test_demo_cleans_a_crashed_run(void **state)
{
    struct fixture *f = *state;
    char *dir = extract_path(f->data_dir, ".spill"); /* a killed run's DuckDB spill folder */
    struct err err = { { 0 } };
    assert_int_equal(file_mkdir_p(dir, 0755, &err), RC_OK);
    free(dir);
    dir = extract_path(f->data_dir, "data/run-20000101T000000Z-deadbeef"); /* never committed */
    assert_int_equal(file_mkdir_p(dir, 0755, &err), RC_OK);
    free(dir);
    write_junk(f->data_dir, "extract.duckdb.tmp");
    write_junk(f->data_dir, "extract.duckdb.tmp.wal"); /* would be replayed if kept */
    write_junk(f->data_dir, "extract.duckdb.wal");     /* would be replayed into the new file */
    write_junk(f->data_dir, "data/run-20000101T000000Z-deadbeef/orders.parquet.tmp");
    write_junk(f->data_dir, "data/run-20000101T000000Z-deadbeef/orders.parquet");
    write_junk(f->data_dir, ".spill/duckdb_temp_storage_S32K-0.tmp");
    assert_int_equal(stray_in_demo(f->data_dir, false), 7); /* the check below can fail */

    struct demo_result res = ensure_ok(f->data_dir, 1);
    assert_true(res.created);
    check_extract(f->data_dir, 1);
}

static void test_demo_failure_commits_nothing(void **state)
{
    struct fixture *f = *state;
    /* a folder (not empty) where the writer's temporary database must go makes the run fail */
    char *blocker = extract_path(f->data_dir, "extract.duckdb.tmp/keep");
    struct err err = { { 0 } };
    struct demo_result res = { .created = true, .tables = 9 };
    assert_int_equal(file_mkdir_p(blocker, 0755, &err), RC_OK);
    assert_int_not_equal(demo_ensure(f->data_dir, 1, &res, &err), RC_OK);
    assert_true(strlen(err.msg) > 0);
    assert_false(res.created);
    assert_int_equal(res.tables, 0);
    char *db = extract_path(f->data_dir, "extract.duckdb");
    assert_false(file_exists(db));

    /* once the obstacle is gone, nothing else is left and the next call succeeds */
    assert_int_equal(rmdir(blocker), 0);
    char *parent = extract_path(f->data_dir, "extract.duckdb.tmp");
    assert_int_equal(rmdir(parent), 0);
    assert_int_equal(stray_in_demo(f->data_dir, true), 0);
    res = ensure_ok(f->data_dir, 1);
    assert_true(res.created);
    check_extract(f->data_dir, 1);
    free(parent);
    free(db);
    free(blocker);
}

static void test_demo_refuses_bad_arguments(void **state)
{
    struct fixture *f = *state;
    struct demo_result res;
    struct err err = { { 0 } };
    assert_int_equal(demo_ensure(f->data_dir, 0, &res, &err), RC_INVALID);
    assert_int_equal(demo_ensure(f->data_dir, DEMO_SCALE_MAX + 1, &res, &err), RC_INVALID);
    assert_int_equal(demo_ensure("", 1, &res, &err), RC_INVALID);
    assert_int_equal(demo_ensure(NULL, 1, &res, &err), RC_INVALID);
    assert_false(file_exists(f->data_dir));
}

/* ---- kill at any moment ------------------------------------------------------------------ */

static const char *self_exe;

/* Files (Parquet, finished or being written) in the run folders of the demo extract. */
static int files_in_runs(const char *data_dir)
{
    char *pattern = extract_path(data_dir, "data/run-*/*");
    glob_t g;
    int n = glob(pattern, GLOB_NOESCAPE, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
    globfree(&g);
    free(pattern);
    return n;
}

struct mid_write {
    const char *data_dir;
    int files; /* kill once the run folder holds this many files */
};

static bool run_has_files(void *ctx)
{
    const struct mid_write *m = ctx;
    return count_runs(m->data_dir) == 1 && files_in_runs(m->data_dir) >= m->files;
}

static void test_demo_survives_sigkill_at_any_moment(void **state)
{
    struct fixture *f = *state;
    const char *child[] = { self_exe, "--demo-child", f->data_dir, NULL };
    /* a whole run, for its time and its number of files */
    int64_t t0 = clock_mono_us();
    int status = test_wait(test_spawn(child));
    int64_t full_us = clock_mono_us() - t0;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_extract(f->data_dir, 1);
    const int n_files = files_in_runs(f->data_dir);
    assert_true(n_files >= 2);
    test_rm_rf(f->data_dir);

    /* one kill at each table of the run: when the run folder exists and holds 0, 1, ...
     * n_files - 1 files, so the last file and the commit are always still to come */
    for (int i = 0; i < n_files; i++) {
        struct mid_write m = { f->data_dir, i };
        struct test_kill k = test_run_killed_when(child, run_has_files, &m);
        assert_true(k.reached);
        if (!k.killed)
            fail_msg("the child was not killed mid-write (wait status %d)", k.status);
        /* the kill landed mid-write: no extract, and the killed run's files are still there */
        char *db = extract_path(f->data_dir, "extract.duckdb");
        assert_false(file_exists(db));
        free(db);
        assert_int_equal(count_runs(f->data_dir), 1);
        assert_true(files_in_runs(f->data_dir) >= i);
        assert_true(stray_in_demo(f->data_dir, false) > 0);

        /* the next run cleans up and makes a complete extract */
        struct demo_result res = ensure_ok(f->data_dir, 1);
        assert_true(res.created);
        check_extract(f->data_dir, 1);
        test_rm_rf(f->data_dir);
    }
    print_message("full run %.2fs, %d files; killed after 0..%d of them\n", (double)full_us / 1e6,
                  n_files, n_files - 1);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--demo-child") == 0) {
        struct demo_result res;
        struct err err;
        if (demo_ensure(argv[2], 1, &res, &err) != RC_OK) {
            fprintf(stderr, "demo child: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    self_exe = argv[0];

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duck_memory_exec_and_query),
        cmocka_unit_test(test_duck_errors_carry_the_engine_message),
        cmocka_unit_test_setup_teardown(test_duck_readonly, setup, teardown),
        cmocka_unit_test(test_duck_quote_literal),
        cmocka_unit_test(test_duck_quote_ident),
        cmocka_unit_test_setup_teardown(test_demo_creates_a_complete_extract, setup_quoted,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_demo_second_call_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_is_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_scale_multiplies_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_relationships_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_cleans_a_crashed_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_failure_commits_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_refuses_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_survives_sigkill_at_any_moment, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
