/* test_result.c — unit tests of src/data/result.c: values keep their type and precision in
 * JSON (big integers, decimals, NaN, dates, timestamps, nested values, blobs), CSV quoting,
 * the row and byte caps, odd column names, engine errors, and Parquet results read back
 * exactly. In-memory DuckDB. */
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
#include "base/mem.h"
#include "data/duck.h"
#include "data/result.h"
#include "duck_helpers.h"

static int setup(void **state)
{
    struct duck *d = NULL;
    struct err err;
    if (duck_open(NULL, &d, &err))
        return -1;
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct duck *d = *state;
    duck_close(&d);
    return 0;
}

/* Runs sql with the given caps; returns the body (heap) and fills *st. */
static char *run(struct duck *d, const char *sql, enum result_format fmt, int64_t rows,
                 int64_t bytes, struct result_stats *st)
{
    struct buf out;
    struct err err = { { 0 } };
    struct result_limits lim = { rows, bytes };
    buf_init(&out, 64 * 1024 * 1024);
    enum rc rc = result_run(d, sql, fmt, &lim, &out, st, &err);
    if (rc)
        fail_msg("%s: %s", sql, err.msg);
    return buf_take(&out, NULL);
}

static json_t *run_json(struct duck *d, const char *sql, struct result_stats *st)
{
    char *body = run(d, sql, RESULT_JSON, 1000, 1 << 20, st);
    json_error_t jerr;
    json_t *j = json_loads(body, 0, &jerr);
    if (!j)
        fail_msg("not JSON (%s): %s", jerr.text, body);
    free(body);
    return j;
}

static void test_values_keep_type_and_precision(void **state)
{
    struct duck *d = *state;
    struct result_stats st;
    char *body = run(d,
                     "SELECT 9223372036854775807::BIGINT AS big,"
                     " 170141183460469231731687303715884105727::HUGEINT AS huge,"
                     " 12345678901234567890.1234567890::DECIMAL(38,10) AS dec,"
                     " 0.1::DOUBLE AS dbl, 'nan'::DOUBLE AS nan, '-inf'::DOUBLE AS ninf,"
                     " DATE '2025-01-02' AS day, TIMESTAMP '2025-01-02 03:04:05.123456' AS ts,"
                     " TIMESTAMPTZ '2025-01-02 03:04:05+02' AS tstz, [1, 2] AS list,"
                     " {'a': 1, 'b': 'x'} AS rec, 'ab'::BLOB AS bin, true AS flag, NULL AS nothing,"
                     " 'caf\xc3\xa9 \"q\"' AS text;",
                     RESULT_JSON, 10, 1 << 20, &st);
    /* exact digits on the wire, whatever a double could hold */
    assert_non_null(strstr(body, "[9223372036854775807,170141183460469231731687303715884105727,"
                                 "12345678901234567890.1234567890,0.1,null,null,\"2025-01-02\","
                                 "\"2025-01-02T03:04:05.123456\",\"2025-01-02T01:04:05.000000Z\","
                                 "[1,2],{\"a\":1,\"b\":\"x\"},\"YWI=\",true,null,"
                                 "\"caf\xc3\xa9 \\\"q\\\"\"]"));
    /* jansson's integers are 64-bit: the HUGEINT needs it to read integers as doubles */
    json_error_t jerr;
    json_t *j = json_loads(body, JSON_DECODE_INT_AS_REAL, &jerr);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "columns")), 15);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "columns"), 2)), "dec");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "types"), 2)),
                        "DECIMAL(38,10)");
    assert_true(json_number_value(json_object_get(j, "row_count")) == 1.0);
    assert_true(json_is_false(json_object_get(j, "truncated")));
    assert_true(json_is_null(json_object_get(j, "truncated_by")));
    json_decref(j);
    free(body);
    assert_int_equal(st.rows, 1);
    assert_int_equal(st.columns, 15);
}

static void test_row_and_byte_caps_truncate_and_say_so(void **state)
{
    struct duck *d = *state;
    struct result_stats st;
    json_t *j = run_json(d, "SELECT range AS n FROM range(5000)", &st);
    assert_int_equal(st.rows, 1000);
    assert_true(st.truncated);
    assert_string_equal(st.truncated_by, "rows");
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 1000);
    assert_string_equal(json_string_value(json_object_get(j, "truncated_by")), "rows");
    json_decref(j);

    /* exactly the cap is not truncated */
    char *body = run(d, "SELECT range AS n FROM range(10)", RESULT_JSON, 10, 1 << 20, &st);
    assert_false(st.truncated);
    free(body);

    body = run(d, "SELECT repeat('x', 100) AS s FROM range(100)", RESULT_JSON, 1000, 1000, &st);
    assert_true(st.truncated);
    assert_string_equal(st.truncated_by, "bytes");
    assert_true(st.bytes <= 1000);
    assert_int_equal(st.rows, 9); /* each row is ["x...x"] plus a comma: 105 bytes */
    json_t *k = json_loads(body, 0, NULL);
    assert_non_null(k);
    json_decref(k);
    free(body);
}

static void test_csv_quotes_fields_and_names(void **state)
{
    struct duck *d = *state;
    struct result_stats st;
    char *body = run(d,
                     "SELECT 1 AS \"id\", 'a,\"b\"' AS \"odd \"\"name\"\"\", NULL AS empty,"
                     " [1, 2] AS list, 1.5::DOUBLE AS x UNION ALL SELECT 2, 'line\nbreak', 'e',"
                     " [], 'nan'::DOUBLE ORDER BY 1",
                     RESULT_CSV, 100, 1 << 20, &st);
    assert_string_equal(body, "\"id\",\"odd \"\"name\"\"\",\"empty\",\"list\",\"x\"\r\n"
                              "\"1\",\"a,\"\"b\"\"\",,\"[1,2]\",\"1.5\"\r\n"
                              "\"2\",\"line\nbreak\",\"e\",\"[]\",\r\n");
    assert_int_equal(st.rows, 2);
    free(body);
}

static void test_duplicate_and_hostile_column_names(void **state)
{
    struct duck *d = *state;
    struct result_stats st;
    json_t *j = run_json(d, "SELECT 1 AS a, 2 AS a, 3 AS \"x\"\"); DROP TABLE t; --\" -- end", &st);
    json_t *cols = json_object_get(j, "columns");
    assert_int_equal(json_array_size(cols), 3);
    assert_string_equal(json_string_value(json_array_get(cols, 2)), "x\"); DROP TABLE t; --");
    json_t *row = json_array_get(json_object_get(j, "rows"), 0);
    assert_int_equal(json_integer_value(json_array_get(row, 1)), 2);
    json_decref(j);
}

static void test_engine_errors_are_reported(void **state)
{
    struct duck *d = *state;
    struct buf out;
    struct err err = { { 0 } };
    struct result_stats st;
    struct result_limits lim = { 10, 1000 };
    buf_init(&out, 1 << 20);
    assert_int_equal(result_run(d, "SELECT * FROM nosuch", RESULT_JSON, &lim, &out, &st, &err),
                     RC_DB);
    assert_non_null(strstr(err.msg, "nosuch"));
    assert_int_equal(
        result_run(d, "SELECT 1/0::INTEGER AS x, 'a'::INTEGER", RESULT_JSON, &lim, &out, &st, &err),
        RC_DB);
    struct result_limits zero = { 0, 1000 };
    assert_int_equal(result_run(d, "SELECT 1", RESULT_JSON, &zero, &out, &st, &err), RC_INVALID);
    buf_cleanup(&out);
}

/* A Parquet result keeps DuckDB's own types and values, honours the row cap and says when it
 * truncated; a failing query writes nothing it leaves behind. */
static void test_parquet_result_reads_back_exactly(void **state)
{
    struct duck *d = *state;
    struct result_stats st;
    struct err err = { { 0 } };
    char path[] = "/tmp/da-test-result-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct result_limits lim = { 3, 1 };
    const char *sql =
        "SELECT range AS n, 170141183460469231731687303715884105727::HUGEINT AS h,"
        " 12345678901234567890.123456789::DECIMAL(38,9) AS m, 'x' AS n FROM range(5);";
    enum rc rc = result_parquet(d, sql, path, &lim, &st, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(st.rows, 3);
    assert_true(st.truncated);
    assert_string_equal(st.truncated_by, "rows");
    assert_int_equal(st.columns, 4);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(st.bytes, sb.st_size);

    char *sql_back = xasprintf("SELECT count(*) FROM read_parquet('%s')", path);
    assert_int_equal(q_i64(d, sql_back), 3);
    free(sql_back);
    sql_back = xasprintf("SELECT typeof(h) || ' ' || h::VARCHAR || ' ' || typeof(m) || ' ' ||"
                         " m::VARCHAR FROM read_parquet('%s') LIMIT 1",
                         path);
    char *v = q_text(d, sql_back);
    assert_string_equal(v, "VARCHAR 170141183460469231731687303715884105727 DECIMAL(38,9)"
                           " 12345678901234567890.123456789");
    free(v);
    free(sql_back);

    lim.max_rows = 5;
    rc = result_parquet(d, "SELECT range AS n FROM range(5)", path, &lim, &st, &err);
    assert_int_equal(rc, RC_OK);
    assert_false(st.truncated);
    assert_int_equal(st.rows, 5);

    unlink(path);
    rc = result_parquet(d, "SELECT no_such_column FROM range(5)", path, &lim, &st, &err);
    assert_int_equal(rc, RC_DB);
    assert_int_not_equal(access(path, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_values_keep_type_and_precision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_and_byte_caps_truncate_and_say_so, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_csv_quotes_fields_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_and_hostile_column_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_errors_are_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parquet_result_reads_back_exactly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
