/* test_client_output.c — unit tests of src/client/output.c: reading query results exactly
 * (big integers, decimals, escapes, nested values, malformed answers), the text of values,
 * CSV, and the aligned table printer (alignment, NULL, UTF-8 widths, cutting long cells,
 * fitting the terminal, control characters), plus sizes and ages in words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "client/output.h"

/* ---------------------------------------------------------------- helpers */

static struct qresult parse_ok(const char *json)
{
    struct qresult r;
    struct err err = { { 0 } };
    enum rc rc = qresult_parse(json, strlen(json), &r, &err);
    if (rc)
        fail_msg("%s: %s", json, err.msg);
    return r;
}

static void parse_bad(const char *json)
{
    struct qresult r;
    struct err err = { { 0 } };
    if (qresult_parse(json, strlen(json), &r, &err) != RC_INVALID)
        fail_msg("accepted: %s", json);
    qresult_free(&r); /* must be safe after a failure */
}

/* What table_print writes, as a heap string. */
static char *printed(const struct table *t, const struct table_style *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    table_print(f, t, s);
    fclose(f);
    return text;
}

static char *cell_text(const struct qresult *r, size_t row, int col)
{
    return qresult_text(r, row, col);
}

/* ---------------------------------------------------------------- reading results */

static void test_parse_keeps_values_exact(void **state)
{
    (void)state;
    struct qresult r = parse_ok(
        "{\"columns\":[\"big\",\"dec\",\"s\",\"b\",\"n\",\"l\",\"st\"],"
        " \"types\":[\"HUGEINT\",\"DECIMAL(38,10)\",\"VARCHAR\",\"BOOLEAN\",\"INTEGER\","
        "\"INTEGER[]\",\"STRUCT(a INTEGER)\"],"
        " \"rows\":[[170141183460469231731687303715884105727, 12345678901234567890.123456789,"
        " \"caf\\u00e9 \\\"q\\\" \\ud83d\\ude00\\n\", true, null, [1, [2]], {\"a\":1}],"
        " [-1, 0.5, \"\", false, 7, [], {}]],"
        " \"row_count\":2, \"truncated\":true, \"truncated_by\":\"rows\", \"extra\":{\"x\":[1]}}");
    assert_int_equal(r.ncols, 7);
    assert_int_equal(r.nrows, 2);
    assert_int_equal(r.row_count, 2);
    assert_true(r.truncated);
    assert_string_equal(r.truncated_by, "rows");
    assert_string_equal(r.columns[6], "st");
    assert_string_equal(r.types[1], "DECIMAL(38,10)");
    assert_int_equal(r.cells[0].kind, QCELL_NUMBER);
    assert_string_equal(r.cells[0].text, "170141183460469231731687303715884105727");
    char *dec = cell_text(&r, 0, 1);
    assert_string_equal(dec, "12345678901234567890.1234567890"); /* scale 10 restored */
    free(dec);
    assert_int_equal(r.cells[2].kind, QCELL_STRING);
    assert_string_equal(r.cells[2].text, "caf\xc3\xa9 \"q\" \xf0\x9f\x98\x80\n");
    assert_int_equal(r.cells[3].kind, QCELL_BOOL);
    assert_string_equal(r.cells[3].text, "true");
    assert_int_equal(r.cells[4].kind, QCELL_NULL);
    assert_null(r.cells[4].text);
    assert_null(cell_text(&r, 0, 4));
    assert_int_equal(r.cells[5].kind, QCELL_NESTED);
    assert_string_equal(r.cells[5].text, "[1, [2]]");
    assert_string_equal(r.cells[6].text, "{\"a\":1}");
    assert_string_equal(r.cells[7 + 2].text, "");
    qresult_free(&r);
}

static void test_parse_empty_and_without_types(void **state)
{
    (void)state;
    struct qresult r = parse_ok("{\"columns\":[\"x\"],\"types\":[\"BIGINT\"],\"rows\":[],"
                                "\"row_count\":0,\"truncated\":false,\"truncated_by\":null}");
    assert_int_equal(r.nrows, 0);
    assert_false(r.truncated);
    assert_null(r.truncated_by);
    qresult_free(&r);
    r = parse_ok("{\"rows\":[[1]],\"columns\":[\"x\"]}"); /* any key order; types optional */
    assert_string_equal(r.types[0], "");
    assert_string_equal(r.cells[0].text, "1");
    qresult_free(&r);
}

static void test_parse_refuses_malformed(void **state)
{
    (void)state;
    parse_bad("");
    parse_bad("[]");
    parse_bad("{\"columns\":[\"a\"]}");                                 /* no rows */
    parse_bad("{\"rows\":[[1]]}");                                      /* no columns */
    parse_bad("{\"columns\":[\"a\"],\"rows\":[[1,2]]}");                /* row too long */
    parse_bad("{\"columns\":[\"a\",\"b\"],\"rows\":[[1,2],[3]]}");      /* rows differ */
    parse_bad("{\"columns\":[\"a\"],\"types\":[],\"rows\":[]}");        /* types differ */
    parse_bad("{\"columns\":[\"a\"],\"rows\":[[1]]} x");                /* trailing text */
    parse_bad("{\"columns\":[\"a\"],\"rows\":[[\"\\x\"]]}");            /* bad escape */
    parse_bad("{\"columns\":[\"a\"],\"rows\":[[\"\\u12\"]]}");          /* short escape */
    parse_bad("{\"columns\":[\"a\"],\"rows\":[[\"a\nb\"]]}");           /* raw control */
    parse_bad("{\"columns\":[\"a\"],\"rows\":[[\"open]]}");             /* unterminated */
    parse_bad("{\"columns\":[\"a\"],\"rows\":[[[1,2]]");                /* cut short */
    parse_bad("{\"columns\":[\"a\"],\"columns\":[\"b\"],\"rows\":[]}"); /* repeated */
    parse_bad("{\"columns\":[],\"rows\":[]}");                          /* no column */
    /* nesting past the limit */
    char deep[2000];
    size_t n = (size_t)snprintf(deep, sizeof(deep), "{\"columns\":[\"a\"],\"rows\":[[");
    for (int i = 0; i < 300; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    parse_bad(deep);
}

static void test_value_text_by_type(void **state)
{
    (void)state;
    struct qresult r = parse_ok(
        "{\"columns\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"],"
        "\"types\":[\"DECIMAL(10,2)\",\"DECIMAL(5,0)\",\"DECIMAL(3,3)\",\"DECIMAL(4,1)\","
        "\"FLOAT\",\"FLOAT\",\"DOUBLE\",\"DECIMAL(38,30)\"],"
        "\"rows\":[[5.0, 100.0, 0.1, -0.5, 0.10000000149011612, 3.3999999521443642e38, 1e300,"
        " 1e-30]]}");
    static const char *const want[] = { "5.00", "100",     "0.100", "-0.5",
                                        "0.1",  "3.4e+38", "1e300", "1e-30" };
    for (int i = 0; i < 8; i++) {
        char *t = cell_text(&r, 0, i);
        assert_string_equal(t, want[i]);
        free(t);
    }
    qresult_free(&r);
    assert_true(output_type_numeric("BIGINT"));
    assert_true(output_type_numeric("DECIMAL(18,3)"));
    assert_true(output_type_numeric("UHUGEINT"));
    assert_false(output_type_numeric("VARCHAR"));
    assert_false(output_type_numeric("INTEGER[]"));
    assert_false(output_type_numeric("DATE"));
}

static void test_csv(void **state)
{
    (void)state;
    struct qresult r = parse_ok("{\"columns\":[\"id\",\"say \\\"x\\\"\",\"price\",\"l\"],"
                                "\"types\":[\"BIGINT\",\"VARCHAR\",\"DECIMAL(6,2)\",\"INTEGER[]\"],"
                                "\"rows\":[[1,\"a \\\"b\\\", c\\nd\",9.5,[1,2]],"
                                "[2,\"\",null,null]]}");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_true(qresult_write_csv(f, &r));
    fclose(f);
    assert_string_equal(text, "\"id\",\"say \"\"x\"\"\",\"price\",\"l\"\r\n"
                              "\"1\",\"a \"\"b\"\", c\nd\",\"9.50\",\"[1,2]\"\r\n"
                              "\"2\",\"\",,\r\n");
    free(text);
    qresult_free(&r);
}

/* ---------------------------------------------------------------- tables */

static void test_table_alignment_and_null(void **state)
{
    (void)state;
    struct qresult r = parse_ok("{\"columns\":[\"id\",\"name\",\"amount\"],"
                                "\"types\":[\"BIGINT\",\"VARCHAR\",\"DECIMAL(10,2)\"],"
                                "\"rows\":[[1,\"Alice\",129.97],[1000,null,5.0]]}");
    struct table t;
    qresult_to_table(&r, &t);
    struct table_style s = { 0, 0, "NULL" };
    char *out = printed(&t, &s);
    assert_string_equal(out, "  id  name   amount\n"
                             "----  -----  ------\n"
                             "   1  Alice  129.97\n"
                             "1000  NULL     5.00\n");
    free(out);
    assert_int_equal(table_rows(&t), 2);
    table_free(&t);
    qresult_free(&r);
}

static void test_table_utf8_widths(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 2);
    table_head(&t, 0, "name", false);
    table_head(&t, 1, "n", true);
    table_add(&t, "日本"); /* two wide characters: 4 columns */
    table_add(&t, "1");
    table_add(&t, "e\xcc\x81te"); /* e + combining acute: 3 columns */
    table_add(&t, "22");
    table_add(&t, "caf\xc3\xa9"); /* precomposed é */
    table_add(&t, "333");
    struct table_style s = { 0, 0, NULL };
    char *out = printed(&t, &s);
    assert_string_equal(out, "name    n\n"
                             "----  ---\n"
                             "日本    1\n"
                             "e\xcc\x81te    22\n"
                             "caf\xc3\xa9  333\n");
    free(out);
    table_free(&t);
    assert_int_equal(utf8_width("日本"), 4);
    assert_int_equal(utf8_width("e\xcc\x81"), 1);
    assert_int_equal(utf8_width("\xf0\x9f\x98\x80"), 2); /* an emoji */
    assert_int_equal(utf8_width(""), 0);
}

static void test_table_cuts_long_cells(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 2);
    table_head(&t, 0, "a_very_long_title", false);
    table_head(&t, 1, "b", false);
    table_add(&t, "0123456789abcdef");
    table_add(&t, "日本語テキスト");
    struct table_style s = { 6, 0, NULL };
    char *out = printed(&t, &s);
    /* 6 columns: five and "…"; a wide character that would pass the edge is left out */
    assert_string_equal(out, "a_ver…  b\n"
                             "------  ------\n"
                             "01234…  日本…\n");
    free(out);
    table_free(&t);
}

static void test_table_fits_the_terminal(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 3);
    table_head(&t, 0, "id", true);
    table_head(&t, 1, "text", false);
    table_head(&t, 2, "more", false);
    table_add(&t, "1");
    table_add(&t, "abcdefghijklmnopqrstuvwxyz");
    table_add(&t, "ABCDEFGHIJKLMNOP");
    struct table_style s = { 0, 30, NULL };
    char *out = printed(&t, &s);
    /* 2 + 26 + 16 + 4 = 48 columns; the widest give way until 30: 2 + 12 + 12 + 4 */
    assert_string_equal(out, "id  text          more\n"
                             "--  ------------  ------------\n"
                             " 1  abcdefghijk…  ABCDEFGHIJK…\n");
    free(out);
    /* no column is cut below 8, even when the line stays too wide */
    s.max_width = 5;
    out = printed(&t, &s);
    assert_non_null(strstr(out, "abcdefg…  ABCDEFG…\n"));
    free(out);
    table_free(&t);
}

static void test_table_control_characters_and_bad_bytes(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 1);
    table_head(&t, 0, "v", false);
    table_add(&t, "a\tb\nc\x1b[31md\x7f");
    table_add(&t, "bad\xff\xc3");
    table_add(&t, NULL);
    struct table_style s = { 0, 0, "NULL" };
    char *out = printed(&t, &s);
    assert_string_equal(out, "v\n"
                             "------------\n"
                             "a b c?[31md?\n"
                             "bad??\n"
                             "NULL\n");
    free(out);
    table_free(&t);
    char *clean = output_clean("x\x1b", 0);
    assert_string_equal(clean, "x?");
    free(clean);
}

static void test_table_addf_and_empty(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 2);
    table_head(&t, 0, "k", false);
    table_head(&t, 1, "v", true);
    struct table_style s = { 0, 0, NULL };
    char *out = printed(&t, &s);
    assert_string_equal(out, "k  v\n-  -\n");
    free(out);
    table_addf(&t, "%s-%d", "x", 42);
    table_add(&t, NULL); /* NULL with no null_text: an empty cell */
    out = printed(&t, &s);
    assert_string_equal(out, "k     v\n----  -\nx-42\n");
    free(out);
    table_free(&t);
}

/* ---------------------------------------------------------------- words */

static void test_ages(void **state)
{
    (void)state;
    char b[32];
    output_ago(1000, 1000, b);
    assert_string_equal(b, "just now");
    output_ago(1000, 1000 + 61, b);
    assert_string_equal(b, "1 minute ago");
    output_ago(1000, 1000 + 3 * 3600 + 5, b);
    assert_string_equal(b, "3 hours ago");
    output_ago(1000, 1000 + 2 * 86400, b);
    assert_string_equal(b, "2 days ago");
    output_ago(5000, 1000, b);
    assert_string_equal(b, "in the future");
    char w[96];
    output_when("2026-01-02T03:04:05Z", 1767323045 + 7200, w);
    assert_string_equal(w, "2026-01-02 03:04 UTC (2 hours ago)");
    output_when(NULL, 0, w);
    assert_string_equal(w, "-");
    output_when("yesterday\x1b", 0, w);
    assert_string_equal(w, "yesterday?");
}

static void test_json_text(void **state)
{
    (void)state;
    json_t *v = json_pack("[s, I, f, b, n, [i]]", "x", (json_int_t)-5, 0.1, 1, 7);
    static const char *const want[] = { "x", "-5", "0.1", "true", NULL, "[7]" };
    for (size_t i = 0; i < 6; i++) {
        char *t = output_json_text(json_array_get(v, i));
        if (want[i])
            assert_string_equal(t, want[i]);
        else
            assert_null(t);
        free(t);
    }
    assert_null(output_json_text(NULL));
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_keeps_values_exact),
        cmocka_unit_test(test_parse_empty_and_without_types),
        cmocka_unit_test(test_parse_refuses_malformed),
        cmocka_unit_test(test_value_text_by_type),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_table_alignment_and_null),
        cmocka_unit_test(test_table_utf8_widths),
        cmocka_unit_test(test_table_cuts_long_cells),
        cmocka_unit_test(test_table_fits_the_terminal),
        cmocka_unit_test(test_table_control_characters_and_bad_bytes),
        cmocka_unit_test(test_table_addf_and_empty),
        cmocka_unit_test(test_ages),
        cmocka_unit_test(test_json_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
