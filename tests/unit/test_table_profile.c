/* test_table_profile.c — unit tests of the table profiler (src/data/table_profile.c) on
 * in-memory DuckDB: exact statistics of a table with known values, hostile column names, an empty
 * table, the sampling path (and that its TEMP table is always dropped, on error too), precision of
 * big integers and decimals, NaN and Infinity, every DuckDB type, 300 columns, a view over Parquet
 * and a read-only database. Every profile is parsed back with jansson and checked field by
 * field. */
/* clang-format off: cmocka.h needs these four first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format on */

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/mem.h"
#include "data/duck.h"
#include "data/table_profile.h"
#include "duck_helpers.h"
#include "helpers.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static struct duck *mem_duck(void)
{
    struct duck *d = NULL;
    struct err err = { { 0 } };
    if (duck_open(NULL, &d, &err))
        fail_msg("duck_open: %s", err.msg);
    return d;
}

/* The number of temporary tables on d's connection: the profiler must leave none. */
static int64_t temp_tables(struct duck *d)
{
    return q_i64(d, "SELECT count(*) FROM duckdb_tables() WHERE temporary");
}

/* Profiles relation and parses the result; the caller json_decref()s it. */
static json_t *profile(struct duck *d, const char *relation, const struct profile_options *opt)
{
    struct err err = { { 0 } };
    char *text = NULL;
    enum rc rc = profile_compute(d, relation, opt, &text, &err);
    if (rc)
        fail_msg("profile_compute(%s): %s (%s)", relation, err.msg, rc_str(rc));
    assert_non_null(text);
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        fail_msg("profile is not JSON (%s): %s", jerr.text, text);
    free(text);
    assert_int_equal(temp_tables(d), 0);
    return root;
}

static json_t *column(json_t *root, const char *name)
{
    json_t *cols = json_object_get(root, "columns");
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    }
    fail_msg("no column %s in the profile", name);
    return NULL;
}

static json_int_t int_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", key);
    return json_integer_value(v);
}

static double num_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        fail_msg("%s is not a number", key);
    return json_number_value(v);
}

static const char *str_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        fail_msg("%s is not a string", key);
    return json_string_value(v);
}

/* Checks the top values of column c against "value:count" pairs (values compared as text). */
static void check_top(json_t *c, int64_t rows, const char *const *expect, size_t n)
{
    json_t *top = json_object_get(c, "top_values");
    assert_true(json_is_array(top));
    assert_int_equal(json_array_size(top), n);
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(top, i);
        json_t *v = json_object_get(t, "value");
        char *got;
        if (json_is_string(v))
            got = xstrdup(json_string_value(v));
        else
            got = json_dumps(v, JSON_ENCODE_ANY);
        char *want = xstrdup(expect[i]);
        char *colon = strrchr(want, ':');
        *colon = '\0';
        int64_t count = strtoll(colon + 1, NULL, 10);
        if (strcmp(got, want) != 0)
            fail_msg("top value %zu is %s, expected %s", i, got, want);
        assert_int_equal(int_at(t, "count"), count);
        assert_true(fabs(num_at(t, "share") - round((double)count / rows * 1e4) / 1e4) < 1e-9);
        free(got);
        free(want);
    }
}

/* Sums the bin counts of column c's histogram of the given kind; checks bins are contiguous. */
static int64_t histogram_total(json_t *c, const char *kind, size_t nbins)
{
    json_t *h = json_object_get(c, "histogram");
    assert_true(json_is_object(h));
    assert_string_equal(str_at(h, "kind"), kind);
    json_t *bins = json_object_get(h, "bins");
    assert_int_equal(json_array_size(bins), nbins);
    int64_t total = 0;
    for (size_t i = 0; i < nbins; i++) {
        json_t *b = json_array_get(bins, i);
        total += int_at(b, "count");
        if (i > 0) {
            json_t *prev_hi = json_object_get(json_array_get(bins, i - 1), "hi");
            assert_true(json_equal(prev_hi, json_object_get(b, "lo")));
        }
    }
    return total;
}

static json_int_t bin_count(json_t *c, size_t i)
{
    json_t *b = json_array_get(json_object_get(json_object_get(c, "histogram"), "bins"), i);
    return int_at(b, "count");
}

static const char *bin_edge(json_t *c, size_t i, const char *key)
{
    json_t *b = json_array_get(json_object_get(json_object_get(c, "histogram"), "bins"), i);
    return str_at(b, key);
}

/* A fresh mkdtemp folder per test that needs files, removed at teardown even when the test
 * fails. */
static int setup_dir(void **state)
{
    *state = test_tmpdir();
    return 0;
}

static int teardown_dir(void **state)
{
    test_rm_rf(*state);
    free(*state);
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------- */

/* 20 rows with hand-checked statistics. */
static void make_known(struct duck *d)
{
    exec_ok(d, "CREATE TABLE known AS SELECT i::INTEGER AS id,"
               " CASE WHEN i IN (4, 9) THEN NULL WHEN i <= 8 OR i = 20 THEN 'a'"
               "      WHEN i <= 13 THEN 'c' ELSE 'b' END AS grp,"
               " CASE WHEN i IN (3, 7) THEN NULL ELSE i::DOUBLE END AS amount,"
               " (DATE '2024-01-15' + (i - 1)::INTEGER * 10) AS d,"
               " i <= 12 AS flag,"
               " (i % 3)::INTEGER AS lvl,"
               " (TIMESTAMPTZ '2024-03-01 12:00:00+00' + i * INTERVAL 1 HOUR) AS ts,"
               " (DATE '2010-06-01' + (i - 1)::INTEGER * 250) AS long_d,"
               " [i, i + 1] AS l, {'x': i} AS st, MAP {'k': i} AS m"
               " FROM range(1, 21) r(i)");
}

static void test_profile_known_values(void **state)
{
    (void)state;
    struct duck *d = mem_duck();
    make_known(d);
    struct profile_options opt = { .histogram_bins = 4, .size_bytes = 12345, .few_distinct = 5 };
    json_t *p = profile(d, "\"known\"", &opt);

    assert_int_equal(int_at(p, "row_count"), 20);
    assert_int_equal(int_at(p, "profiled_rows"), 20);
    assert_int_equal(int_at(p, "size_bytes"), 12345);
    assert_int_equal(int_at(p, "column_count"), 11);
    assert_true(json_is_false(json_object_get(p, "sampled")));
    const char *at = str_at(p, "profiled_at");
    assert_int_equal(strlen(at), 20);
    assert_int_equal(at[10], 'T');
    assert_int_equal(at[19], 'Z');
    assert_string_equal(str_at(json_array_get(json_object_get(p, "columns"), 0), "name"), "id");

    /* id: 1..20, no NULL, 20 distinct, not few enough for top values */
    json_t *c = column(p, "id");
    assert_string_equal(str_at(c, "type"), "INTEGER");
    assert_string_equal(str_at(c, "category"), "numeric");
    assert_int_equal(int_at(c, "null_count"), 0);
    assert_true(num_at(c, "null_share") == 0.0);
    assert_int_equal(int_at(c, "min"), 1);
    assert_int_equal(int_at(c, "max"), 20);
    assert_true(fabs(num_at(c, "mean") - 10.5) < 1e-9);
    assert_true(fabs(num_at(c, "stddev") - 5.9160797831) < 1e-6);
    assert_null(json_object_get(c, "top_values"));
    assert_int_equal(histogram_total(c, "numeric", 4), 20);

    /* grp: a x8 (1-3, 5-8, 20), b x6 (14-19), c x4 (10-13), NULL x2 */
    c = column(p, "grp");
    assert_string_equal(str_at(c, "category"), "string");
    assert_int_equal(int_at(c, "null_count"), 2);
    assert_true(fabs(num_at(c, "null_share") - 0.1) < 1e-9);
    assert_int_equal(int_at(c, "approx_distinct"), 3);
    assert_string_equal(str_at(c, "min"), "a");
    assert_string_equal(str_at(c, "max"), "c");
    static const char *const grp_top[] = { "a:8", "b:6", "c:4" };
    check_top(c, 20, grp_top, 3);
    assert_null(json_object_get(c, "histogram"));
    assert_null(json_object_get(c, "mean"));

    /* amount: 1..20 without 3 and 7; bins of width 4.75 from 1 */
    c = column(p, "amount");
    assert_int_equal(int_at(c, "null_count"), 2);
    assert_true(num_at(c, "min") == 1.0);
    assert_true(num_at(c, "max") == 20.0);
    assert_int_equal(histogram_total(c, "numeric", 4), 18);
    assert_int_equal(bin_count(c, 0), 4); /* 1 2 4 5 */
    assert_int_equal(bin_count(c, 1), 4); /* 6 8 9 10 */
    assert_int_equal(bin_count(c, 2), 5); /* 11..15 */
    assert_int_equal(bin_count(c, 3), 5); /* 16..20, max in the last bin */
    json_t *bins = json_object_get(json_object_get(c, "histogram"), "bins");
    assert_true(num_at(json_array_get(bins, 0), "lo") == 1.0);
    assert_true(num_at(json_array_get(bins, 0), "hi") == 5.75);
    assert_true(num_at(json_array_get(bins, 3), "hi") == 20.0);

    /* d: 2024-01-15 every 10 days up to 2024-07-23, by month */
    c = column(p, "d");
    assert_string_equal(str_at(c, "category"), "date");
    assert_string_equal(str_at(c, "min"), "2024-01-15");
    assert_string_equal(str_at(c, "max"), "2024-07-23");
    assert_int_equal(histogram_total(c, "date", 7), 20);
    static const int months[] = { 2, 3, 3, 3, 3, 3, 3 };
    for (size_t i = 0; i < ARRAY_LEN(months); i++)
        assert_int_equal(bin_count(c, i), months[i]);
    assert_string_equal(bin_edge(c, 0, "lo"), "2024-01-01");
    assert_string_equal(bin_edge(c, 0, "hi"), "2024-02-01");
    assert_string_equal(bin_edge(c, 6, "hi"), "2024-08-01");
    assert_null(json_object_get(c, "top_values"));

    /* long_d: 2010-06-01 every 250 days, into 2023: by year */
    c = column(p, "long_d");
    assert_string_equal(str_at(c, "max"), "2023-06-03");
    assert_int_equal(histogram_total(c, "date", 14), 20);
    assert_string_equal(bin_edge(c, 0, "lo"), "2010-01-01");
    assert_string_equal(bin_edge(c, 13, "hi"), "2024-01-01");
    assert_int_equal(bin_count(c, 0), 1); /* 2010-06-01 only; 2011-02-06 is next */

    /* flag: 12 true, 8 false */
    c = column(p, "flag");
    assert_string_equal(str_at(c, "category"), "boolean");
    static const char *const flag_top[] = { "true:12", "false:8" };
    check_top(c, 20, flag_top, 2);
    assert_null(json_object_get(c, "min"));

    /* lvl: i % 3 gives 0 x6, 1 x7, 2 x7; few distinct, so top values too (ties by value) */
    c = column(p, "lvl");
    static const char *const lvl_top[] = { "1:7", "2:7", "0:6" };
    check_top(c, 20, lvl_top, 3);
    assert_true(json_is_integer(
        json_object_get(json_array_get(json_object_get(c, "top_values"), 0), "value")));
    assert_int_equal(histogram_total(c, "numeric", 4), 20);

    /* ts: TIMESTAMPTZ shown in UTC, histogram by month */
    c = column(p, "ts");
    assert_string_equal(str_at(c, "category"), "timestamp");
    assert_string_equal(str_at(c, "min"), "2024-03-01T13:00:00Z");
    assert_string_equal(str_at(c, "max"), "2024-03-02T08:00:00Z");
    assert_int_equal(histogram_total(c, "date", 1), 20);
    assert_string_equal(bin_edge(c, 0, "lo"), "2024-03-01");

    /* nested types: other, with only the common fields */
    static const char *const nested[] = { "l", "st", "m" };
    for (size_t i = 0; i < ARRAY_LEN(nested); i++) {
        c = column(p, nested[i]);
        assert_string_equal(str_at(c, "category"), "other");
        assert_int_equal(int_at(c, "null_count"), 0);
        assert_true(int_at(c, "approx_distinct") >= 18);
        assert_null(json_object_get(c, "min"));
        assert_null(json_object_get(c, "top_values"));
        assert_null(json_object_get(c, "histogram"));
    }
    json_decref(p);
    duck_close(&d);
}

static void test_profile_hostile_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        "a\"b",       "x; DROP TABLE t; --",
        "with space", "ünï ☃",
        "'quote",     "g0",
        "k",          "s",
        "e",          "n",
        "v",          "l",
        "\"",         "*",
        ")) --",
    };
    struct duck *d = mem_duck();
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(buf_append_str(&b, "CREATE TABLE t AS SELECT "), RC_OK);
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        assert_int_equal(buf_printf(&b, "%s(range %% %zu)::%s AS ", i ? ", " : "", i + 2,
                                    i % 2 ? "VARCHAR" : "BIGINT"),
                         RC_OK);
        assert_int_equal(duck_sql_quote_ident(&b, names[i]), RC_OK);
    }
    assert_int_equal(buf_append_str(&b, " FROM range(100)"), RC_OK);
    exec_ok(d, buf_cstr(&b));
    buf_cleanup(&b);

    json_t *p = profile(d, "\"t\"", NULL);
    assert_int_equal(int_at(p, "column_count"), (json_int_t)ARRAY_LEN(names));
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        json_t *c = column(p, names[i]);
        assert_int_equal(int_at(c, "null_count"), 0);
        /* HyperLogLog: close, not exact */
        assert_true(llabs(int_at(c, "approx_distinct") - (json_int_t)(i + 2)) <=
                    (json_int_t)(i + 2) / 5 + 1);
        json_t *top = json_object_get(c, "top_values");
        assert_int_equal(json_array_size(top), i + 2 < 10 ? i + 2 : 10);
        if (i % 2 == 0)
            assert_int_equal(int_at(c, "max"), (json_int_t)(i + 1));
    }
    assert_int_equal(q_i64(d, "SELECT count(*) FROM t"), 100); /* nothing was dropped */
    json_decref(p);
    duck_close(&d);
}

static void test_profile_empty_table(void **state)
{
    (void)state;
    struct duck *d = mem_duck();
    exec_ok(d, "CREATE TABLE e(i INTEGER, s VARCHAR, d DATE, b BOOLEAN, l INTEGER[],"
               " f DOUBLE)");
    json_t *p = profile(d, "\"e\"", NULL);
    assert_int_equal(int_at(p, "row_count"), 0);
    assert_int_equal(int_at(p, "profiled_rows"), 0);
    assert_int_equal(int_at(p, "column_count"), 6);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(p, "columns"), i, c)
    {
        assert_int_equal(int_at(c, "null_count"), 0);
        assert_true(json_is_null(json_object_get(c, "null_share")));
        assert_int_equal(int_at(c, "approx_distinct"), 0);
        assert_null(json_object_get(c, "histogram"));
    }
    assert_true(json_is_null(json_object_get(column(p, "i"), "min")));
    assert_true(json_is_null(json_object_get(column(p, "i"), "mean")));
    assert_int_equal(json_array_size(json_object_get(column(p, "s"), "top_values")), 0);
    json_decref(p);

    /* all-NULL columns in a non-empty table */
    exec_ok(d, "INSERT INTO e SELECT NULL, NULL, NULL, NULL, NULL, NULL FROM range(3)");
    p = profile(d, "\"e\"", NULL);
    c = column(p, "f");
    assert_int_equal(int_at(c, "null_count"), 3);
    assert_true(num_at(c, "null_share") == 1.0);
    assert_true(json_is_null(json_object_get(c, "max")));
    assert_true(json_is_null(json_object_get(c, "stddev")));
    assert_null(json_object_get(c, "histogram"));
    assert_int_equal(json_array_size(json_object_get(column(p, "b"), "top_values")), 0);
    json_decref(p);
    duck_close(&d);
}

static void test_profile_samples_big_tables(void **state)
{
    (void)state;
    struct duck *d = mem_duck();
    exec_ok(d, "CREATE TABLE big AS SELECT range AS i, (range % 5)::VARCHAR AS s,"
               " CASE WHEN range % 4 = 0 THEN NULL ELSE range END AS n FROM range(5000)");
    struct profile_options opt = { .sample_rows = 1000 };
    json_t *p = profile(d, "\"big\"", &opt);
    assert_int_equal(int_at(p, "row_count"), 5000);
    assert_true(json_is_true(json_object_get(p, "sampled")));
    assert_int_equal(int_at(p, "profiled_rows"), 1000);
    json_t *c = column(p, "i");
    assert_int_equal(int_at(c, "null_count"), 0);
    assert_int_equal(histogram_total(c, "numeric", 15), 1000);
    c = column(p, "n");
    double share = num_at(c, "null_share");
    assert_true(share > 0.15 && share < 0.35); /* a quarter of the table */
    assert_int_equal(int_at(c, "null_count") + histogram_total(c, "numeric", 15), 1000);
    json_t *top = json_object_get(column(p, "s"), "top_values");
    assert_int_equal(json_array_size(top), 5);
    int64_t sum = 0;
    for (size_t i = 0; i < 5; i++)
        sum += int_at(json_array_get(top, i), "count");
    assert_int_equal(sum, 1000);

    /* the same sample on a second run (REPEATABLE) */
    json_t *again = profile(d, "\"big\"", &opt);
    assert_true(json_equal(json_object_get(p, "columns"), json_object_get(again, "columns")));
    json_decref(again);
    json_decref(p);

    /* exactly sample_rows rows: not sampled */
    opt.sample_rows = 5000;
    p = profile(d, "\"big\"", &opt);
    assert_true(json_is_false(json_object_get(p, "sampled")));
    assert_int_equal(int_at(p, "profiled_rows"), 5000);
    json_decref(p);
    duck_close(&d);
}

static void test_profile_drops_sample_on_error(void **state)
{
    (void)state;
    struct duck *d = mem_duck();
    /* counting never evaluates bad, sampling does and fails */
    exec_ok(d, "CREATE VIEW boom AS SELECT range AS i, CASE WHEN range = 1500"
               " THEN error('boom') ELSE 1 END AS bad FROM range(3000)");
    struct profile_options opt = { .sample_rows = 100 };
    struct err err = { { 0 } };
    char *text = (char *)"untouched";
    assert_int_equal(profile_compute(d, "\"boom\"", &opt, &text, &err), RC_DB);
    assert_null(text);
    assert_non_null(strstr(err.msg, "boom"));
    assert_int_equal(temp_tables(d), 0);

    /* bad arguments */
    assert_int_equal(profile_compute(d, "", NULL, &text, &err), RC_INVALID);
    assert_int_equal(profile_compute(NULL, "\"boom\"", NULL, &text, &err), RC_INVALID);
    opt.top_values = -1;
    assert_int_equal(profile_compute(d, "\"boom\"", &opt, &text, &err), RC_INVALID);
    assert_null(text);
    assert_int_equal(profile_compute(d, "\"missing\"", NULL, &text, &err), RC_DB);
    assert_null(text);
    duck_close(&d);
}

static void test_profile_keeps_precision(void **state)
{
    (void)state;
    struct duck *d = mem_duck();
    exec_ok(d, "CREATE TABLE p(big BIGINT, small BIGINT, dec DECIMAL(38,10), money DECIMAL(10,2),"
               " hi HUGEINT, ub UBIGINT, f FLOAT)");
    exec_ok(d, "INSERT INTO p VALUES"
               " (9223372036854775807, 1, 1234567890123456789012345678.1234567890, 12.34,"
               "  170141183460469231731687303715884105727, 18446744073709551615, 0.1),"
               " (-9223372036854775808, 5, -0.0000000001, -5.50, -1, 0, 2.5)");
    json_t *p = profile(d, "\"p\"", NULL);
    json_t *c = column(p, "big");
    assert_string_equal(str_at(c, "max"), "9223372036854775807");
    assert_string_equal(str_at(c, "min"), "-9223372036854775808");
    c = column(p, "small");
    assert_int_equal(int_at(c, "min"), 1);
    assert_int_equal(int_at(c, "max"), 5);
    c = column(p, "dec");
    assert_string_equal(str_at(c, "max"), "1234567890123456789012345678.1234567890");
    assert_string_equal(str_at(c, "min"), "-0.0000000001");
    c = column(p, "money");
    assert_true(num_at(c, "max") == 12.34);
    assert_true(num_at(c, "min") == -5.5);
    c = column(p, "hi");
    assert_string_equal(str_at(c, "max"), "170141183460469231731687303715884105727");
    c = column(p, "ub");
    assert_string_equal(str_at(c, "max"), "18446744073709551615");
    assert_string_equal(str_at(c, "min"), "0");
    c = column(p, "f");
    assert_true(num_at(c, "min") == 0.1); /* the FLOAT's shortest text, not 0.100000001 */
    json_decref(p);

    /* sums beyond HUGEINT: avg would raise an overflow error */
    exec_ok(d, "CREATE TABLE huge AS SELECT 9999999999999999999999999999.9999999999::DECIMAL(38,10)"
               " AS x, 170141183460469231731687303715884105727::HUGEINT AS h FROM range(100)");
    p = profile(d, "\"huge\"", NULL);
    assert_true(fabs(num_at(column(p, "x"), "mean") / 1e28 - 1.0) < 1e-9);
    assert_true(fabs(num_at(column(p, "h"), "mean") / 1.7014118346046923e38 - 1.0) < 1e-9);
    assert_string_equal(str_at(column(p, "x"), "max"), "9999999999999999999999999999.9999999999");
    json_decref(p);
    duck_close(&d);
}

static void test_profile_nan_and_infinity(void **state)
{
    (void)state;
    struct duck *d = mem_duck();
    exec_ok(d, "CREATE TABLE n(x DOUBLE, y DOUBLE, dd DATE)");
    exec_ok(d, "INSERT INTO n VALUES (1, 1, 'infinity'), (2, '-inf', '2020-05-05'),"
               " ('nan', 3, '2020-06-01'), (NULL, 'inf', NULL)");
    struct err err = { { 0 } };
    char *text = NULL;
    assert_int_equal(profile_compute(d, "\"n\"", NULL, &text, &err), RC_OK);
    assert_null(strstr(text, "nan"));
    assert_null(strstr(text, "NaN"));
    assert_null(strstr(text, "inf\""));
    free(text);

    json_t *p = profile(d, "\"n\"", NULL);
    json_t *c = column(p, "x");
    assert_int_equal(int_at(c, "null_count"), 1);
    assert_true(num_at(c, "min") == 1.0);
    assert_true(json_is_null(json_object_get(c, "max"))); /* NaN sorts last in DuckDB */
    assert_true(json_is_null(json_object_get(c, "mean")));
    assert_true(json_is_null(json_object_get(c, "stddev")));
    assert_int_equal(histogram_total(c, "numeric", 15), 2); /* finite values only */
    c = column(p, "y");
    assert_true(json_is_null(json_object_get(c, "min")));
    assert_true(json_is_null(json_object_get(c, "max")));
    assert_int_equal(histogram_total(c, "numeric", 15), 2); /* 1 and 3 */
    c = column(p, "dd");
    assert_string_equal(str_at(c, "max"), "infinity");
    assert_int_equal(histogram_total(c, "date", 2), 2);
    json_decref(p);
    duck_close(&d);
}

static void test_profile_parquet_view(void **state)
{
    const char *dir = *state;
    char *path = xasprintf("%s/it's data.parquet", dir);
    struct duck *d = mem_duck();
    struct buf lit, sql;
    buf_init(&lit, 1 << 16);
    buf_init(&sql, 1 << 16);
    assert_int_equal(duck_sql_quote_literal(&lit, path), RC_OK);
    assert_int_equal(buf_printf(&sql,
                                "COPY (SELECT range::INTEGER AS id, 'name ' || (range %% 7) AS"
                                " name, DATE '2023-01-01' + range::INTEGER AS day FROM range(1000))"
                                " TO %s (FORMAT parquet)",
                                buf_cstr(&lit)),
                     RC_OK);
    exec_ok(d, buf_cstr(&sql));
    buf_reset(&sql);
    assert_int_equal(
        buf_printf(&sql, "CREATE VIEW v AS SELECT * FROM read_parquet(%s)", buf_cstr(&lit)), RC_OK);
    exec_ok(d, buf_cstr(&sql));

    struct profile_options opt = { .size_bytes = 4096 };
    json_t *p = profile(d, "\"v\"", &opt);
    assert_int_equal(int_at(p, "row_count"), 1000);
    assert_int_equal(int_at(p, "column_count"), 3);
    assert_int_equal(int_at(column(p, "id"), "max"), 999);
    json_t *c = column(p, "day");
    assert_string_equal(str_at(c, "min"), "2023-01-01");
    assert_string_equal(str_at(c, "max"), "2025-09-26");
    assert_int_equal(histogram_total(c, "date", 33), 1000);
    static const char *const names[] = { "name 0:143", "name 1:143", "name 2:143", "name 3:143",
                                         "name 4:143", "name 5:143", "name 6:142" };
    check_top(column(p, "name"), 1000, names, 7);
    json_decref(p);

    /* the table function directly, sampled */
    buf_reset(&sql);
    assert_int_equal(buf_printf(&sql, "read_parquet(%s)", buf_cstr(&lit)), RC_OK);
    opt.sample_rows = 100;
    p = profile(d, buf_cstr(&sql), &opt);
    assert_int_equal(int_at(p, "row_count"), 1000);
    assert_int_equal(int_at(p, "profiled_rows"), 100);
    json_decref(p);

    buf_cleanup(&sql);
    buf_cleanup(&lit);
    duck_close(&d);
    free(path);
}

static void test_profile_read_only_database(void **state)
{
    const char *dir = *state;
    char *path = xasprintf("%s/ro.duckdb", dir);
    struct duck *d = NULL;
    struct err err = { { 0 } };
    assert_int_equal(duck_open(path, &d, &err), RC_OK);
    exec_ok(d, "CREATE TABLE t AS SELECT range AS i, range % 3 = 0 AS b FROM range(3000)");
    duck_close(&d);

    assert_int_equal(duck_open_readonly(path, &d, &err), RC_OK);
    struct profile_options opt = { .sample_rows = 1000 };
    json_t *p = profile(d, "\"t\"", &opt);
    assert_true(json_is_true(json_object_get(p, "sampled")));
    assert_int_equal(int_at(p, "profiled_rows"), 1000);
    json_decref(p);
    p = profile(d, "\"t\"", NULL);
    assert_int_equal(int_at(p, "profiled_rows"), 3000);
    static const char *const b_top[] = { "false:2000", "true:1000" };
    check_top(column(p, "b"), 3000, b_top, 2);
    json_decref(p);
    duck_close(&d);
    free(path);
}

/* Long strings are cut to 200 bytes at a character boundary; top_min_count hides singletons. */
static void test_profile_truncates_and_filters(void **state)
{
    (void)state;
    struct duck *d = mem_duck();
    /* 'é' is two bytes: 150 of them are 300 bytes, cut to 100 characters = 200 bytes */
    exec_ok(d, "CREATE TABLE s AS SELECT repeat('é', 150) AS long_s, 'x' || range AS uniq"
               " FROM range(3)");
    exec_ok(d, "INSERT INTO s VALUES ('b', 'dup'), ('b', 'dup')");
    struct profile_options opt = { .top_min_count = 2 };
    json_t *p = profile(d, "\"s\"", &opt);
    json_t *c = column(p, "long_s");
    assert_int_equal(strlen(str_at(c, "max")), 200);
    assert_string_equal(str_at(c, "min"), "b");
    json_t *first = json_array_get(json_object_get(c, "top_values"), 0);
    assert_int_equal(strlen(str_at(first, "value")), 200);
    assert_int_equal(int_at(first, "count"), 3);
    static const char *const uniq_top[] = { "dup:2" }; /* x0 x1 x2 occur once: not listed */
    check_top(column(p, "uniq"), 5, uniq_top, 1);
    json_decref(p);
    duck_close(&d);
}

/* Every DuckDB scalar type gets a category and a profile; one column per type. */
static void test_profile_every_type(void **state)
{
    (void)state;
    static const struct {
        const char *name, *expr, *category;
    } cols[] = {
        { "a1", "i::TINYINT", "numeric" },
        { "a2", "i::SMALLINT", "numeric" },
        { "a3", "i::UTINYINT", "numeric" },
        { "a4", "i::USMALLINT", "numeric" },
        { "a5", "i::UINTEGER", "numeric" },
        { "a6", "i::UBIGINT", "numeric" },
        { "a7", "i::HUGEINT", "numeric" },
        { "a8", "i::UHUGEINT", "numeric" },
        { "a9", "i::FLOAT", "numeric" },
        { "a10", "i::DECIMAL(4,1)", "numeric" },
        { "t1", "(TIMESTAMP '2024-01-01' + i * INTERVAL 1 DAY)::TIMESTAMP_S", "timestamp" },
        { "t2", "(TIMESTAMP '2024-01-01' + i * INTERVAL 1 DAY)::TIMESTAMP_MS", "timestamp" },
        { "t3", "(TIMESTAMP '2024-01-01' + i * INTERVAL 1 DAY)::TIMESTAMP_NS", "timestamp" },
        { "tm", "TIME '10:00:00' + i * INTERVAL 1 MINUTE", "other" },
        { "iv", "to_days(i::INTEGER)", "other" },
        { "u", "gen_random_uuid()", "other" },
        { "bl", "'x'::BLOB", "other" },
        { "arr", "[i, i]::INTEGER[2]", "other" },
        { "un", "union_value(num := i)", "other" },
        { "bn", "i::VARCHAR::BIGNUM", "other" },
        { "bt", "'10101'::BIT", "other" },
        { "en", "(CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END)::ENUM('a', 'b')", "string" },
        { "ls", "[{'k': i::VARCHAR}]", "other" },
    };
    struct duck *d = mem_duck();
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(buf_append_str(&b, "CREATE TABLE o AS SELECT "), RC_OK);
    for (size_t i = 0; i < ARRAY_LEN(cols); i++)
        assert_int_equal(buf_printf(&b, "%s%s AS %s", i ? ", " : "", cols[i].expr, cols[i].name),
                         RC_OK);
    assert_int_equal(buf_append_str(&b, " FROM range(10) r(i)"), RC_OK);
    exec_ok(d, buf_cstr(&b));
    buf_cleanup(&b);
    json_t *p = profile(d, "\"o\"", NULL);
    for (size_t i = 0; i < ARRAY_LEN(cols); i++) {
        json_t *c = column(p, cols[i].name);
        assert_string_equal(str_at(c, "category"), cols[i].category);
        assert_int_equal(int_at(c, "null_count"), 0);
        assert_true(int_at(c, "approx_distinct") >= 1 && int_at(c, "approx_distinct") <= 10);
        if (strcmp(cols[i].category, "numeric") == 0) {
            assert_true(num_at(c, "min") == 0.0);
            assert_true(num_at(c, "max") == 9.0);
            assert_true(num_at(c, "mean") == 4.5);
            assert_int_equal(histogram_total(c, "numeric", 15), 10);
        } else if (strcmp(cols[i].category, "timestamp") == 0) {
            assert_string_equal(str_at(c, "min"), "2024-01-01T00:00:00");
            assert_int_equal(histogram_total(c, "date", 1), 10);
        }
    }
    static const char *const en_top[] = { "a:5", "b:5" };
    check_top(column(p, "en"), 10, en_top, 2);
    json_decref(p);
    duck_close(&d);
}

/* More columns than duck_query_rows reads at once (64): still one row per column. */
static void test_profile_wide_table(void **state)
{
    (void)state;
    struct duck *d = mem_duck();
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(buf_append_str(&b, "CREATE TABLE w AS SELECT "), RC_OK);
    for (int i = 0; i < 150; i++)
        assert_int_equal(buf_printf(&b, "%srange %% %d AS c%d, 'v' || (range %% %d) AS s%d",
                                    i ? ", " : "", i + 1, i, i + 1, i),
                         RC_OK);
    assert_int_equal(buf_append_str(&b, " FROM range(200)"), RC_OK);
    exec_ok(d, buf_cstr(&b));
    buf_cleanup(&b);
    json_t *p = profile(d, "\"w\"", NULL);
    assert_int_equal(int_at(p, "column_count"), 300);
    json_t *c = column(p, "c149");
    assert_int_equal(int_at(c, "max"), 149);
    assert_int_equal(histogram_total(c, "numeric", 15), 200);
    c = column(p, "s1");
    static const char *const s1_top[] = { "v0:100", "v1:100" };
    check_top(c, 200, s1_top, 2);
    json_decref(p);
    duck_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_known_values),
        cmocka_unit_test(test_profile_hostile_names),
        cmocka_unit_test(test_profile_empty_table),
        cmocka_unit_test(test_profile_samples_big_tables),
        cmocka_unit_test(test_profile_drops_sample_on_error),
        cmocka_unit_test(test_profile_keeps_precision),
        cmocka_unit_test(test_profile_nan_and_infinity),
        cmocka_unit_test_setup_teardown(test_profile_parquet_view, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_profile_read_only_database, setup_dir, teardown_dir),
        cmocka_unit_test(test_profile_truncates_and_filters),
        cmocka_unit_test(test_profile_every_type),
        cmocka_unit_test(test_profile_wide_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
