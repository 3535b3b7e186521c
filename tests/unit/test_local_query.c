/* test_local_query.c — unit tests of src/client/local_query.c against a sync folder built here as
 * `da sync` leaves one (client/syncdir.h): Parquet files under tables/, written with DuckDB,
 * and a da.duckdb with one view per table, one of them over two files. Local answers are
 * encoded as the server's; SHOW, DESCRIBE and SUMMARIZE work; the folder is never written;
 * errors are the engine's words without the wrapped query's position. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/mem.h"
#include "client/local_query.h"
#include "client/output.h"
#include "data/duck.h"
#include "data/result.h"
#include "duck_helpers.h"
#include "helpers.h"

struct folder {
    char *dir, *db;
};

/* A sync folder: orders (one file) and events (two files, one view). */
static int setup(void **state)
{
    struct folder *f = xcalloc(1, sizeof(*f));
    struct err err = { { 0 } };
    struct duck *d = NULL;
    f->dir = test_tmpdir();
    f->db = xasprintf("%s/da.duckdb", f->dir);
    char *events = xasprintf("%s/tables/events", f->dir);
    char *state_dir = xasprintf("%s/.da", f->dir);
    if (file_mkdir_p(events, 0700, &err) || file_mkdir_p(state_dir, 0700, &err))
        return -1;
    if (duck_open(NULL, &d, &err))
        return -1;
    char *sql = xasprintf(
        "COPY (SELECT i::BIGINT AS order_id, (i * 10.5)::DECIMAL(10,2) AS amount,"
        " DATE '2025-01-01' + i::INTEGER AS day, CASE WHEN i %% 2 = 0 THEN 'shipped' END AS status"
        " FROM range(1, 6) t(i)) TO '%s/tables/orders.parquet' (FORMAT parquet);"
        "COPY (SELECT 1 AS n, 'a' AS part) TO '%s/a.parquet' (FORMAT parquet);"
        "COPY (SELECT 2 AS n, 'b' AS part) TO '%s/b.parquet' (FORMAT parquet);",
        f->dir, events, events);
    exec_ok(d, sql);
    free(sql);
    duck_close(&d);
    if (duck_open(f->db, &d, &err))
        return -1;
    sql = xasprintf("CREATE VIEW main.\"orders\" AS SELECT * FROM "
                    "read_parquet('%s/tables/orders.parquet');"
                    "CREATE VIEW main.\"events\" AS SELECT * FROM "
                    "read_parquet(['%s/a.parquet', '%s/b.parquet']);",
                    f->dir, events, events);
    exec_ok(d, sql);
    free(sql);
    duck_close(&d);
    free(events);
    free(state_dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct folder *f = *state;
    test_rm_rf(f->dir);
    free(f->dir);
    free(f->db);
    free(f);
    return 0;
}

/* Runs sql locally; fails the test unless it succeeds. Returns the JSON (heap). */
static char *run_ok(const struct folder *f, const char *sql, int64_t rows, struct result_stats *st)
{
    struct buf out;
    struct err err = { { 0 } };
    buf_init(&out, LOCAL_QUERY_BUF_MAX);
    enum rc rc = local_query(f->db, sql, rows, &out, st, &err);
    if (rc)
        fail_msg("%s: %s (%s)", sql, err.msg, rc_str(rc));
    return buf_take(&out, NULL);
}

static enum rc run_fail(const struct folder *f, const char *sql, struct err *err)
{
    struct buf out;
    struct result_stats st;
    buf_init(&out, LOCAL_QUERY_BUF_MAX);
    enum rc rc = local_query(f->db, sql, 100, &out, &st, err);
    buf_cleanup(&out);
    return rc;
}

static void test_query_is_encoded_as_the_server_does(void **state)
{
    struct folder *f = *state;
    struct result_stats st;
    const char *sql = "SELECT * FROM orders ORDER BY order_id";
    char *body = run_ok(f, sql, 100, &st);
    assert_string_equal(
        body, "{\"columns\":[\"order_id\",\"amount\",\"day\",\"status\"],"
              "\"types\":[\"BIGINT\",\"DECIMAL(10,2)\",\"DATE\",\"VARCHAR\"],"
              "\"rows\":[[1,10.5,\"2025-01-02\",null],[2,21.0,\"2025-01-03\",\"shipped\"],"
              "[3,31.5,\"2025-01-04\",null],[4,42.0,\"2025-01-05\",\"shipped\"],"
              "[5,52.5,\"2025-01-06\",null]],"
              "\"row_count\":5,\"truncated\":false,\"truncated_by\":null}");
    assert_int_equal(st.rows, 5);

    /* the same bytes as result_run over the same views: one encoding */
    struct duck *d = NULL;
    struct err err = { { 0 } };
    struct buf direct;
    struct result_stats st2;
    struct result_limits lim = { 100, LOCAL_QUERY_MAX_BYTES };
    buf_init(&direct, LOCAL_QUERY_BUF_MAX);
    assert_int_equal(duck_open_readonly(f->db, &d, &err), RC_OK);
    assert_int_equal(result_run(d, sql, RESULT_JSON, &lim, &direct, &st2, &err), RC_OK);
    assert_string_equal(buf_cstr(&direct), body);
    buf_cleanup(&direct);
    duck_close(&d);

    /* and the client reads it back with every value as it was */
    struct qresult r;
    assert_int_equal(qresult_parse(body, strlen(body), &r, &err), RC_OK);
    char *amount = qresult_text(&r, 1, 1);
    assert_string_equal(amount, "21.00");
    free(amount);
    qresult_free(&r);
    free(body);
}

static void test_row_limit_marks_truncation(void **state)
{
    struct folder *f = *state;
    struct result_stats st;
    char *body = run_ok(f, "SELECT order_id FROM orders ORDER BY 1;", 2, &st);
    assert_non_null(strstr(body, "\"rows\":[[1],[2]],\"row_count\":2,\"truncated\":true,"
                                 "\"truncated_by\":\"rows\""));
    assert_true(st.truncated);
    free(body);
}

static void test_partitioned_table_reads_every_file(void **state)
{
    struct folder *f = *state;
    struct result_stats st;
    char *body =
        run_ok(f, "SELECT sum(n)::INTEGER AS total, count(*) AS files FROM events", 10, &st);
    assert_non_null(strstr(body, "\"rows\":[[3,2]]"));
    free(body);
}

static void test_show_describe_summarize(void **state)
{
    struct folder *f = *state;
    struct result_stats st;
    char *body = run_ok(f, "  -- what is here?\n  show tables;", 10, &st);
    assert_non_null(strstr(body, "\"rows\":[[\"events\"],[\"orders\"]]"));
    free(body);
    body = run_ok(f, "DESCRIBE orders", 10, &st);
    assert_non_null(strstr(body, "[\"amount\",\"DECIMAL(10,2)\""));
    free(body);
    body = run_ok(f, "SUMMARIZE orders", 10, &st);
    assert_int_equal(st.rows, 4);
    free(body);
}

static void test_the_folder_is_never_written(void **state)
{
    struct folder *f = *state;
    struct stat before, after;
    struct err err = { { 0 } };
    assert_int_equal(stat(f->db, &before), 0);
    enum rc rc = run_fail(f, "CREATE TABLE mine AS SELECT 1", &err);
    assert_int_equal(rc, RC_DB);
    rc = run_fail(f, "SELECT 1; DROP VIEW orders", &err);
    assert_int_equal(rc, RC_DB);
    struct result_stats st;
    free(run_ok(f, "SELECT count(*) FROM orders", 10, &st));
    assert_int_equal(stat(f->db, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
    assert_int_equal(before.st_mtime, after.st_mtime);
    char *wal = xasprintf("%s.wal", f->db);
    assert_false(file_exists(wal));
    free(wal);
    free(run_ok(f, "SELECT count(*) FROM orders", 10, &st)); /* the view is still there */
}

static void test_errors_explain_themselves(void **state)
{
    struct folder *f = *state;
    struct err err = { { 0 } };
    assert_int_equal(run_fail(f, "SELEC 1", &err), RC_DB);
    assert_non_null(strstr(err.msg, "syntax error"));
    assert_null(strstr(err.msg, "LINE"));
    assert_null(strstr(err.msg, "DESCRIBE"));
    assert_int_equal(run_fail(f, "SELECT * FROM nosuch", &err), RC_DB);
    assert_non_null(strstr(err.msg, "Table with name nosuch does not exist"));
    assert_null(strstr(err.msg, "LINE"));

    struct buf out;
    struct result_stats st;
    buf_init(&out, LOCAL_QUERY_BUF_MAX);
    char *missing = xasprintf("%s/nowhere/da.duckdb", f->dir);
    assert_int_equal(local_query(missing, "SELECT 1", 10, &out, &st, &err), RC_NOTFOUND);
    assert_int_equal(local_query(f->db, "SELECT 1", 0, &out, &st, &err), RC_INVALID);
    assert_int_equal(local_query(f->db, "SELECT 1", LOCAL_QUERY_MAX_ROWS + 1, &out, &st, &err),
                     RC_INVALID);
    free(missing);
    buf_cleanup(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_is_encoded_as_the_server_does),
        cmocka_unit_test(test_row_limit_marks_truncation),
        cmocka_unit_test(test_partitioned_table_reads_every_file),
        cmocka_unit_test(test_show_describe_summarize),
        cmocka_unit_test(test_the_folder_is_never_written),
        cmocka_unit_test(test_errors_explain_themselves),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
