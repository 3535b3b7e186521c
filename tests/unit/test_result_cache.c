/* test_result_cache.c — the prepared-query LRU (src/data/result_cache.c): a repeated query is
 * prepared once and serves any format and caps, a flood of distinct SQL texts never grows the
 * cache past its entry or byte bound, the most recently used survive eviction, a failed
 * preparation is not cached, and clear empties it. In-memory DuckDB. */
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
#include "data/result_cache.h"

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

static struct result_stmt *get(struct result_cache *c, struct duck *d, const char *sql)
{
    struct result_stmt *s = NULL;
    struct err err = { { 0 } };
    if (result_cache_get(c, d, sql, &s, &err))
        fail_msg("%s: %s", sql, err.msg);
    return s;
}

/* Runs stmt with the given format and row cap; returns the body (heap). */
static char *exec(struct result_stmt *s, enum result_format fmt, int64_t rows)
{
    struct buf out;
    struct err err = { { 0 } };
    struct result_stats st;
    struct result_limits lim = { rows, 1 << 20 };
    buf_init(&out, 2 << 20);
    if (result_exec(s, fmt, &lim, &out, &st, &err))
        fail_msg("%s", err.msg);
    return buf_take(&out, NULL);
}

static void test_one_statement_serves_every_format_and_cap(void **state)
{
    struct duck *d = *state;
    struct result_cache *c = result_cache_new(16, 1 << 20);
    const char *sql = "SELECT range AS n, range * 0.5 AS half FROM range(5)";
    struct result_stmt *s = get(c, d, sql);
    assert_ptr_equal(get(c, d, sql), s);
    assert_int_equal(result_cache_len(c), 1);
    char *a = exec(s, RESULT_JSON, 2), *b = exec(s, RESULT_CSV, 10), *e = exec(s, RESULT_JSON, 10);
    assert_non_null(strstr(a, "\"rows\":[[0,0.0],[1,0.5]],\"row_count\":2,\"truncated\":true"));
    assert_string_equal(b, "\"n\",\"half\"\r\n\"0\",\"0.0\"\r\n\"1\",\"0.5\"\r\n\"2\",\"1.0\"\r\n"
                           "\"3\",\"1.5\"\r\n\"4\",\"2.0\"\r\n");
    assert_non_null(strstr(e, "\"row_count\":5,\"truncated\":false"));
    free(a);
    free(b);
    free(e);
    /* a different text is a different entry, even if it means the same */
    assert_ptr_not_equal(get(c, d, "SELECT range AS n, range * 0.5 AS half FROM range(5) "), s);
    assert_int_equal(result_cache_len(c), 2);
    result_cache_free(&c);
    assert_null(c);
}

static void test_a_flood_of_distinct_texts_stays_within_bounds(void **state)
{
    struct duck *d = *state;
    struct result_cache *c = result_cache_new(16, 256 * 1024);
    const char *hot = "SELECT 'hot' AS x";
    struct result_stmt *h = get(c, d, hot);
    for (int i = 0; i < 2000; i++) {
        char *sql = xasprintf("SELECT %d AS n, '%0*d' AS pad", i, 1 + (i % 50) * 40, i);
        (void)get(c, d, sql);
        free(sql);
        assert_true(result_cache_len(c) <= 16);
        assert_true(result_cache_bytes(c) <= 256 * 1024);
        if (i % 4 == 0) /* used often: never the least recently used */
            assert_ptr_equal(get(c, d, hot), h);
    }
    assert_ptr_equal(get(c, d, hot), h);

    /* the byte budget binds before the entry count when the texts are long */
    struct result_cache *small = result_cache_new(256, 64 * 1024);
    for (int i = 0; i < 300; i++) {
        char *sql = xasprintf("SELECT %d AS n, '%0*d' AS pad", i, 8000, i);
        (void)get(small, d, sql);
        free(sql);
        assert_true(result_cache_bytes(small) <= 64 * 1024);
    }
    assert_true(result_cache_len(small) < 16);
    result_cache_clear(small);
    assert_int_equal(result_cache_len(small), 0);
    assert_int_equal(result_cache_bytes(small), 0);
    result_cache_free(&small);
    result_cache_free(&c);
}

static void test_a_failed_preparation_is_not_cached(void **state)
{
    struct duck *d = *state;
    struct result_cache *c = result_cache_new(4, 1 << 20);
    struct result_stmt *s = NULL;
    struct err err = { { 0 } };
    assert_int_equal(result_cache_get(c, d, "SELECT * FROM nosuch", &s, &err), RC_DB);
    assert_null(s);
    assert_non_null(strstr(err.msg, "nosuch"));
    assert_int_equal(result_cache_get(c, d, "CREATE TABLE t (x INTEGER)", &s, &err), RC_DB);
    assert_int_equal(result_cache_len(c), 0);
    assert_int_equal(result_cache_bytes(c), 0);
    result_cache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_statement_serves_every_format_and_cap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_flood_of_distinct_texts_stays_within_bounds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_preparation_is_not_cached, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
