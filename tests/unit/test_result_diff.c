/* test_result_diff.c — the result encoder (src/data/result.c, which reads DuckDB's vectors in
 * C) against its oracle, the former encoder that built each row in SQL (json_array or concat
 * over the query, one DESCRIBE for the names and types), kept here and only here. Both must
 * give the same bytes and the same stats for every type (with NULLs, edge values, nested
 * values, unicode and control characters), in JSON and CSV, at every row and byte cap around
 * the boundaries, and fail together on what DuckDB refuses. In-memory DuckDB. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/mem.h"
#include "data/duck.h"
#include "data/result.h"
#include "duck_helpers.h"

/* ---- the oracle: the SQL encoder as it was ---- */

struct column {
    char *name;
    char *type;
};

struct columns {
    struct column *items;
    int len;
    size_t cap;
};

static void columns_free(struct columns *c)
{
    for (int i = 0; i < c->len; i++) {
        free(c->items[i].name);
        free(c->items[i].type);
    }
    free(c->items);
    memset(c, 0, sizeof(*c));
}

static enum rc read_column(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    struct columns *c = ctx;
    if (ncols < 2)
        return err_set(err, RC_INTERNAL, "DESCRIBE returned %d columns", ncols);
    c->items = xgrow(c->items, &c->cap, (size_t)c->len + 1, sizeof(*c->items));
    c->items[c->len].name = xstrdup(vals[0] ? vals[0] : "");
    c->items[c->len].type = xstrdup(vals[1] ? vals[1] : "");
    c->len++;
    return RC_OK;
}

static char *strip_query(const char *sql)
{
    size_t n = strlen(sql);
    while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n' ||
                     sql[n - 1] == '\r' || sql[n - 1] == '\t'))
        n--;
    return xstrndup(sql, n);
}

static bool type_is(const char *type, const char *name)
{
    return strcmp(type, name) == 0;
}

static bool type_nested(const char *type)
{
    size_t n = strlen(type);
    return (n > 0 && type[n - 1] == ']') || strncmp(type, "STRUCT(", 7) == 0 ||
           strncmp(type, "MAP(", 4) == 0 || strncmp(type, "UNION(", 6) == 0;
}

static enum rc value_expr(struct buf *b, int i, const char *type)
{
    if (type_is(type, "DOUBLE") || type_is(type, "FLOAT"))
        return buf_printf(b, "CASE WHEN isfinite(q.c%d) THEN q.c%d END", i, i);
    if (type_is(type, "TIMESTAMP WITH TIME ZONE"))
        return buf_printf(b, "strftime(timezone('UTC', q.c%d), '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ')", i);
    if (strncmp(type, "TIMESTAMP", 9) == 0)
        return buf_printf(b, "strftime(q.c%d::TIMESTAMP, '%%Y-%%m-%%dT%%H:%%M:%%S.%%f')", i);
    if (type_is(type, "BLOB"))
        return buf_printf(b, "to_base64(q.c%d)", i);
    return buf_printf(b, "q.c%d", i);
}

static enum rc csv_field(struct buf *b, int i, const char *type)
{
    enum rc rc = buf_append_str(b, "coalesce('\"' || replace((");
    if (!rc && type_nested(type)) {
        rc = buf_printf(b, "to_json(q.c%d)", i);
    } else if (!rc) {
        rc = value_expr(b, i, type);
    }
    if (!rc)
        rc = buf_append_str(b, ")::VARCHAR, '\"', '\"\"') || '\"', '')");
    return rc;
}

static enum rc build_sql(struct buf *b, const char *query, const struct columns *cols,
                         enum result_format fmt, int64_t limit)
{
    enum rc rc = buf_append_str(b, fmt == RESULT_JSON ? "SELECT json_array(" : "SELECT concat(");
    for (int i = 0; !rc && i < cols->len; i++) {
        if (i > 0)
            rc = buf_append_str(b, fmt == RESULT_JSON ? ", " : ", ',', ");
        if (!rc)
            rc = fmt == RESULT_JSON ? value_expr(b, i, cols->items[i].type)
                                    : csv_field(b, i, cols->items[i].type);
    }
    if (!rc)
        rc = buf_printf(b, ")::VARCHAR FROM (\n%s\n) AS q(", query);
    for (int i = 0; !rc && i < cols->len; i++)
        rc = buf_printf(b, "%sc%d", i ? ", " : "", i);
    if (!rc)
        rc = buf_printf(b, ") LIMIT %lld", (long long)limit);
    return rc;
}

struct collect {
    struct buf *out;
    enum result_format fmt;
    const struct result_limits *lim;
    struct result_stats *st;
};

#define STOP RC_CONFLICT

static enum rc add_row(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)ncols;
    struct collect *c = ctx;
    const char *row = vals[0] ? vals[0] : "";
    size_t len = strlen(row) + 1;
    if (c->st->rows == c->lim->max_rows) {
        c->st->truncated = true;
        c->st->truncated_by = "rows";
        return STOP;
    }
    if (c->st->bytes + (int64_t)len > c->lim->max_bytes) {
        c->st->truncated = true;
        c->st->truncated_by = "bytes";
        return STOP;
    }
    enum rc rc = RC_OK;
    if (c->fmt == RESULT_JSON && c->st->rows > 0)
        rc = buf_append(c->out, ",", 1);
    if (!rc)
        rc = buf_append_str(c->out, row);
    if (!rc && c->fmt == RESULT_CSV)
        rc = buf_append(c->out, "\r\n", 2);
    if (rc)
        return err_set(err, RC_TOOBIG, "result too big for its buffer");
    c->st->rows++;
    c->st->bytes += (int64_t)len;
    return RC_OK;
}

static enum rc write_header(struct buf *out, const struct columns *cols, enum result_format fmt)
{
    enum rc rc = RC_OK;
    if (fmt == RESULT_CSV) {
        for (int i = 0; !rc && i < cols->len; i++) {
            rc = buf_append_str(out, i ? ",\"" : "\"");
            for (const char *p = cols->items[i].name; !rc && *p; p++)
                rc = *p == '"' ? buf_append(out, "\"\"", 2) : buf_append(out, p, 1);
            if (!rc)
                rc = buf_append_str(out, "\"");
        }
        return rc ? rc : buf_append(out, "\r\n", 2);
    }
    json_t *names = json_array(), *types = json_array();
    for (int i = 0; i < cols->len; i++) {
        json_array_append_new(names, json_string(cols->items[i].name));
        json_array_append_new(types, json_string(cols->items[i].type));
    }
    char *n = json_dumps(names, JSON_COMPACT), *t = json_dumps(types, JSON_COMPACT);
    rc = buf_printf(out, "{\"columns\":%s,\"types\":%s,\"rows\":[", n, t);
    free(n);
    free(t);
    json_decref(names);
    json_decref(types);
    return rc;
}

static enum rc oracle_run(struct duck *conn, const char *sql, enum result_format fmt,
                          const struct result_limits *lim, struct buf *out, struct result_stats *st,
                          struct err *err)
{
    struct columns cols = { 0 };
    struct buf wrapped;
    char *query = strip_query(sql);
    *st = (struct result_stats){ 0 };
    buf_init(&wrapped, 4 * 1024 * 1024);
    enum rc rc = buf_printf(&wrapped, "DESCRIBE %s", query);
    if (!rc)
        rc = duck_query_rows(conn, buf_cstr(&wrapped), read_column, &cols, err);
    if (rc)
        goto out;
    st->columns = cols.len;
    buf_reset(&wrapped);
    if (build_sql(&wrapped, query, &cols, fmt, lim->max_rows + 1) ||
        write_header(out, &cols, fmt)) {
        rc = err_set(err, RC_TOOBIG, "query too long");
        goto out;
    }
    struct collect c = { out, fmt, lim, st };
    rc = duck_query_rows(conn, buf_cstr(&wrapped), add_row, &c, err);
    if (rc == STOP)
        rc = RC_OK;
    if (!rc && fmt == RESULT_JSON &&
        buf_printf(out, "],\"row_count\":%lld,\"truncated\":%s,\"truncated_by\":%s%s%s}",
                   (long long)st->rows, st->truncated ? "true" : "false",
                   st->truncated_by ? "\"" : "", st->truncated_by ? st->truncated_by : "null",
                   st->truncated_by ? "\"" : ""))
        rc = err_set(err, RC_TOOBIG, "result too big for its buffer");
out:
    columns_free(&cols);
    buf_cleanup(&wrapped);
    free(query);
    return rc;
}

/* ---- the comparison ---- */

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

static int mismatches;

/* Runs sql through both encoders with the given caps; counts (and prints) any difference. */
static void same(struct duck *d, const char *sql, enum result_format fmt, int64_t rows,
                 int64_t bytes)
{
    struct buf a, b;
    struct err ea = { { 0 } }, eb = { { 0 } };
    struct result_stats sa, sb;
    struct result_limits lim = { rows, bytes };
    buf_init(&a, 64 << 20);
    buf_init(&b, 64 << 20);
    enum rc ra = result_run(d, sql, fmt, &lim, &a, &sa, &ea);
    enum rc rb = oracle_run(d, sql, fmt, &lim, &b, &sb, &eb);
    bool ok = (ra == RC_OK) == (rb == RC_OK);
    if (ok && ra == RC_OK)
        ok =
            a.len == b.len && memcmp(buf_cstr(&a), buf_cstr(&b), a.len) == 0 &&
            sa.rows == sb.rows && sa.bytes == sb.bytes && sa.truncated == sb.truncated &&
            sa.columns == sb.columns &&
            (sa.truncated_by == sb.truncated_by ||
             (sa.truncated_by && sb.truncated_by && strcmp(sa.truncated_by, sb.truncated_by) == 0));
    if (!ok) {
        mismatches++;
        printf("# MISMATCH %s (%s, rows %lld, bytes %lld)\n#  got  %d %s\n#  want %d %s\n", sql,
               fmt == RESULT_JSON ? "json" : "csv", (long long)rows, (long long)bytes, ra,
               ra ? ea.msg : buf_cstr(&a), rb, rb ? eb.msg : buf_cstr(&b));
    }
    buf_cleanup(&a);
    buf_cleanup(&b);
}

static void same_both(struct duck *d, const char *sql)
{
    same(d, sql, RESULT_JSON, 1000, 1 << 20);
    same(d, sql, RESULT_CSV, 1000, 1 << 20);
}

/* One value expression per line: each is compared alone (with a NULL row) and all together. */
static const char *const values[] = {
    "true",
    "false",
    "(-128)::TINYINT",
    "127::TINYINT",
    "(-32768)::SMALLINT",
    "32767::SMALLINT",
    "(-2147483648)::INTEGER",
    "2147483647::INTEGER",
    "(-9223372036854775808)::BIGINT",
    "9223372036854775807::BIGINT",
    "0::BIGINT",
    "255::UTINYINT",
    "65535::USMALLINT",
    "4294967295::UINTEGER",
    "18446744073709551615::UBIGINT",
    "(-170141183460469231731687303715884105728)::HUGEINT",
    "170141183460469231731687303715884105727::HUGEINT",
    "(-1)::HUGEINT",
    "340282366920938463463374607431768211455::UHUGEINT",
    "0::UHUGEINT",
    "(-999.9)::DECIMAL(4,1)",
    "0::DECIMAL(5,2)",
    "(-0.05)::DECIMAL(5,2)",
    "12.5::DECIMAL(9,4)",
    "(-0.000001)::DECIMAL(18,6)",
    "123456789012.345678::DECIMAL(18,6)",
    "99999999999999999999999999999.999999999::DECIMAL(38,9)",
    "(-99999999999999999999999999999.999999999)::DECIMAL(38,9)",
    "0.12345678901234567890123456789012345678::DECIMAL(38,38)",
    "12345678901234567890123456789012345678::DECIMAL(38,0)",
    "7::DECIMAL(3,0)",
    "0.1::DOUBLE",
    "(-0.0)::DOUBLE",
    "1e300::DOUBLE",
    "5e-324::DOUBLE",
    "'nan'::DOUBLE",
    "'inf'::DOUBLE",
    "'-inf'::DOUBLE",
    "1.0::DOUBLE",
    "1e21::DOUBLE",
    "123456.789e-12::DOUBLE",
    "0.1::FLOAT",
    "3.4e38::FLOAT",
    "'nan'::FLOAT",
    "''",
    "'plain'",
    "'caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80'",
    "'quote \" back \\ slash /'",
    "chr(1) || chr(8) || chr(9) || chr(10) || chr(12) || chr(13) || chr(27) || chr(31) || chr(127)",
    "'a,b;c' || chr(13) || chr(10) || 'd'",
    "repeat('\"', 5)",
    "''::BLOB",
    "'\\x00\\xFF'::BLOB",
    "'a'::BLOB",
    "'ab'::BLOB",
    "'abc'::BLOB",
    "'abcd'::BLOB",
    "DATE '1970-01-01'",
    "DATE '1969-12-31'",
    "DATE '0001-01-01'",
    "DATE '9999-12-31'",
    "DATE '10000-01-01'",
    "DATE '0044-03-15 (BC)'",
    "'infinity'::DATE",
    "'-infinity'::DATE",
    "TIMESTAMP '2025-01-02 03:04:05.123456'",
    "TIMESTAMP '1969-12-31 23:59:59.999999'",
    "TIMESTAMP '0001-01-01 00:00:00'",
    "TIMESTAMP '9999-12-31 23:59:59.999999'",
    "TIMESTAMP '12345-06-07 08:09:10'",
    "TIMESTAMP '0044-03-15 (BC) 12:00:00'",
    "'infinity'::TIMESTAMP",
    "'-infinity'::TIMESTAMP",
    "TIMESTAMP '2025-01-02 03:04:05'::TIMESTAMP_S",
    "TIMESTAMP '1969-12-31 23:59:59.5'::TIMESTAMP_MS",
    "'1969-12-31 23:59:59.999999999'::TIMESTAMP_NS",
    "'2025-01-02 03:04:05.123456789'::TIMESTAMP_NS",
    "'infinity'::TIMESTAMP_S",
    "TIMESTAMPTZ '2025-01-02 03:04:05+02'",
    "TIMESTAMPTZ '1900-06-01 00:00:00+00'",
    "'infinity'::TIMESTAMPTZ",
    "'-infinity'::TIMESTAMPTZ",
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID",
    "'00000000-0000-0000-0000-000000000000'::UUID",
    "'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID",
    "'80000000-0000-0000-0000-000000000000'::UUID",
    "INTERVAL '1 year 2 months 3 days 04:05:06.789'",
    "TIME '04:05:06.5'",
    "TIMETZ '04:05:06+02'",
    "'b'::ENUM('a', 'b')",
    "'101'::BIT",
    "'{\"a\": [1, 2.5, null]}'::JSON",
    "union_value(n := 5)",
    "12345678901234567890123456789012345678901234567890::BIGNUM",
    "[1, 2, NULL]",
    "[]::INTEGER[]",
    "[[1], [2, 3], []]",
    "['a', 'b\"', NULL, chr(10)]",
    "{'a': 1, 'b': 'x'}",
    "{'a': NULL, 'b': [1]}",
    "{'x y': 1, 'select': 2, 'Q\"': 3}",
    "MAP {'k': 1, 'v\"': NULL}",
    "MAP {1: 'one'}",
    "[1, 2]::INTEGER[2]",
    "[[1, 2], [3, 4]]::INTEGER[2][2]",
    "[DATE '2025-01-02', NULL]",
    "['ab'::BLOB]",
    "(-0.5)::DECIMAL(1,1)",
    "(-0.5)::DECIMAL(38,1)",
    "0.5::DECIMAL(38,38)",
    "(-123456789.123)::DECIMAL(30,3)",
    "123456789012345678::DECIMAL(18,0)",
    "[0.1::DOUBLE, 'nan'::DOUBLE]",
    "[1.50::DECIMAL(5,2)]",
    "[170141183460469231731687303715884105727::HUGEINT]",
    "[{'a': 1}, NULL, {'a': 2}]",
    "{'l': [{'m': MAP {'k': [true]}}]}",
    "['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID]",
    "[INTERVAL '1 day']",
    "NULL",
};

static void test_every_type_alone_and_with_null(void **state)
{
    struct duck *d = *state;
    mismatches = 0;
    for (size_t i = 0; i < ARRAY_LEN(values); i++) {
        char *one = xasprintf("SELECT %s AS v", values[i]);
        same_both(d, one);
        free(one);
        char *with_null =
            xasprintf("SELECT v FROM (SELECT 1 AS k, %s AS v UNION ALL SELECT 2, NULL) ORDER BY k",
                      values[i]);
        same_both(d, with_null);
        free(with_null);
    }
    assert_int_equal(mismatches, 0);
}

static void test_every_type_in_one_row(void **state)
{
    struct duck *d = *state;
    struct buf sql;
    buf_init(&sql, 1 << 20);
    assert_int_equal(buf_append_str(&sql, "SELECT "), RC_OK);
    for (size_t i = 0; i < ARRAY_LEN(values); i++)
        assert_int_equal(buf_printf(&sql, "%s%s AS \"c%zu\"", i ? ", " : "", values[i], i), RC_OK);
    mismatches = 0;
    same_both(d, buf_cstr(&sql));
    /* and over many rows, several chunks, with NULLs scattered */
    buf_reset(&sql);
    assert_int_equal(buf_append_str(&sql, "SELECT range AS n"), RC_OK);
    for (size_t i = 0; i < ARRAY_LEN(values); i++)
        assert_int_equal(
            buf_printf(&sql, ", CASE WHEN (range + %zu) %% 3 = 0 THEN NULL ELSE %s END AS \"c%zu\"",
                       i, values[i], i),
            RC_OK);
    assert_int_equal(buf_append_str(&sql, " FROM range(5000)"), RC_OK);
    same_both(d, buf_cstr(&sql));
    buf_cleanup(&sql);
    assert_int_equal(mismatches, 0);
}

/* Doubles over the whole range, with the shortest digits of each: 20,000 of them, at every
 * decimal exponent from 1e-330 to 1e300, plus integers around 2^53 and halves. */
static void test_doubles_of_every_magnitude(void **state)
{
    struct duck *d = *state;
    mismatches = 0;
    same(d,
         "SELECT (hash(range) % 1000000007)::DOUBLE / 1000000007 * 10 ^ ((range % 631) - 330)"
         " AS v FROM range(20000)",
         RESULT_JSON, 100000, 64 << 20);
    same(d, "SELECT (hash(range) % 100000)::DOUBLE / 100 AS v FROM range(5000)", RESULT_JSON,
         100000, 64 << 20);
    same(d,
         "SELECT (9007199254740992 + range - 50)::DOUBLE AS a, range / 2 - 100.5 AS b,"
         " -(range::DOUBLE) / 7 AS c, 1e21 + range AS e FROM range(100)",
         RESULT_JSON, 1000, 1 << 20);
    same(d,
         "SELECT unnest([1e-7, 1e-6, 1.5e-6, 1e-5, 123e-7, 1e20, 1e21, 1e22, 1.5e21, 2e300,"
         " 4.9e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.3, 2.0/3, 100.0,"
         " 1e15, 1e16, 1e17, 123456789012345678, -0.0, 0.1 + 0.2]::DOUBLE[]) AS v",
         RESULT_JSON, 1000, 1 << 20);
    assert_int_equal(mismatches, 0);
}

static void test_names_errors_and_statements(void **state)
{
    struct duck *d = *state;
    mismatches = 0;
    same_both(d, "SELECT 1 AS a, 2 AS a, 3 AS \"x\"\"); DROP TABLE t; --\" -- end");
    same_both(d, "SELECT 42 AS \"caf\xc3\xa9\", 'x' AS \"a,b\";");
    same_both(d, "SELECT 1;\n");
    same_both(d, "WITH t AS (SELECT range AS n FROM range(3)) SELECT * FROM t");
    same_both(d, "FROM range(3)");
    same_both(d, "SELECT * FROM nosuch");
    same_both(d, "SELECT 'a'::INTEGER");
    same_both(d, "SELECT 1; SELECT 2");
    same_both(d, "EXPLAIN SELECT 1");
    same_both(d, "SELECT range AS n FROM range(10) WHERE false");
    same_both(d, "VALUES (1, 'a'), (2, NULL)");
    same_both(d, "PIVOT (SELECT 1 AS a, 'x' AS b) ON b IN ('x') USING sum(a)");
    same_both(d, "SELECT ?::INTEGER AS p");
    assert_int_equal(mismatches, 0);

    /* the one difference: a PIVOT without an IN list is several statements to DuckDB, which
     * the former encoder ran as a subquery and a prepared statement cannot be (the server's
     * guard refuses it as "only one SELECT" anyway) */
    struct buf out;
    struct err err = { { 0 } };
    struct result_stats st;
    struct result_limits lim = { 10, 1 << 20 };
    buf_init(&out, 1 << 20);
    assert_int_equal(result_run(d, "PIVOT (SELECT 1 AS a, 'x' AS b) ON b USING sum(a)", RESULT_JSON,
                                &lim, &out, &st, &err),
                     RC_DB);
    assert_non_null(strstr(err.msg, "multiple statements"));
    buf_cleanup(&out);
}

/* Where the oracle failed, the encoder answers: the former encoder cast a list of timestamps
 * to TIMESTAMP (its type name starts with "TIMESTAMP") and DuckDB refused. Now it is JSON as
 * any list, with DuckDB's text of each timestamp. */
static void test_lists_of_timestamps_now_answer(void **state)
{
    struct duck *d = *state;
    struct buf out;
    struct err err = { { 0 } };
    struct result_stats st;
    struct result_limits lim = { 10, 1 << 20 };
    buf_init(&out, 1 << 20);
    const char *sql = "SELECT [TIMESTAMP '2025-01-02 03:04:05'] AS v";
    assert_int_equal(oracle_run(d, sql, RESULT_JSON, &lim, &out, &st, &err), RC_DB);
    buf_reset(&out);
    assert_int_equal(result_run(d, sql, RESULT_JSON, &lim, &out, &st, &err), RC_OK);
    assert_non_null(strstr(buf_cstr(&out), "\"rows\":[[[\"2025-01-02 03:04:05\"]]]"));
    buf_reset(&out);
    assert_int_equal(result_run(d, sql, RESULT_CSV, &lim, &out, &st, &err), RC_OK);
    assert_string_equal(buf_cstr(&out), "\"v\"\r\n\"[\"\"2025-01-02 03:04:05\"\"]\"\r\n");
    buf_cleanup(&out);
}

static void test_caps_at_every_boundary(void **state)
{
    struct duck *d = *state;
    mismatches = 0;
    const char *sql = "SELECT range AS n, repeat('x', range % 7) AS s, [range] AS l FROM range(40)";
    for (int64_t bytes = 1; bytes <= 700; bytes += 3) {
        same(d, sql, RESULT_JSON, 1000, bytes);
        same(d, sql, RESULT_CSV, 1000, bytes);
    }
    for (int64_t rows = 1; rows <= 42; rows++) {
        same(d, sql, RESULT_JSON, rows, 1 << 20);
        same(d, sql, RESULT_CSV, rows, 200);
    }
    /* the caps across chunk boundaries (DuckDB's chunks hold 2048 rows) */
    const char *big = "SELECT range AS n FROM range(10000)";
    for (int64_t rows = 2046; rows <= 2050; rows++)
        same(d, big, RESULT_JSON, rows, 1 << 20);
    same(d, big, RESULT_CSV, 100000, 20000);
    same(d, big, RESULT_JSON, 10000, 1 << 20);
    same(d, big, RESULT_JSON, 9999, 1 << 20);
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_type_alone_and_with_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_type_in_one_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doubles_of_every_magnitude, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_errors_and_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists_of_timestamps_now_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caps_at_every_boundary, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
