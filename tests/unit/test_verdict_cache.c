/* test_verdict_cache.c — the guard's parse cache (query/verdict_cache.h) without DuckDB: a hit
 * is a deep copy of what was stored, for the same text and generation only; texts forced into
 * one bucket with one hash never answer for each other; a newer generation empties it and an
 * older one is never stored; a flood of 100,000 distinct texts stays within the entry and byte
 * bounds, least recently used first out; and threads sharing it (run under TSan by make tsan). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/mem.h"
#include "query/verdict_cache.h"

/* A parse of verdict v naming the tables given (NULL-terminated), as the guard would make it. */
static struct guard_parse make_parse(enum guard_verdict v, const char *message,
                                     const char *const *ids)
{
    struct guard_parse p = { .verdict = v };
    snprintf(p.message, sizeof(p.message), "%s", message);
    while (ids && ids[p.n_refs])
        p.n_refs++;
    p.refs = p.n_refs ? xcalloc(p.n_refs, sizeof(*p.refs)) : NULL;
    for (size_t i = 0; i < p.n_refs; i++) {
        p.refs[i].id = xstrdup(ids[i]);
        p.refs[i].name = xasprintf("Name_%s", ids[i]);
    }
    return p;
}

/* Fails unless got equals want in every field. */
static void assert_same_parse(const struct guard_parse *got, const struct guard_parse *want)
{
    assert_int_equal(got->verdict, want->verdict);
    assert_string_equal(got->message, want->message);
    assert_int_equal(got->n_refs, want->n_refs);
    for (size_t i = 0; i < want->n_refs; i++) {
        assert_string_equal(got->refs[i].id, want->refs[i].id);
        assert_string_equal(got->refs[i].name, want->refs[i].name);
        assert_ptr_not_equal(got->refs[i].id, want->refs[i].id); /* a copy */
    }
}

static uint64_t one_hash(const char *text, size_t len, uint64_t seed)
{
    (void)text, (void)len, (void)seed;
    return 42;
}

static void test_hit_is_a_copy_for_the_same_text_and_generation(void **state)
{
    (void)state;
    struct verdict_cache *c = verdict_cache_new(NULL);
    struct guard_parse p = make_parse(GUARD_OK, "", (const char *[]){ "orders", "products", NULL });
    struct guard_parse got;
    assert_false(verdict_cache_get(c, "SELECT * FROM orders, products", 7, &got));
    assert_int_equal(got.n_refs, 0);
    verdict_cache_put(c, "SELECT * FROM orders, products", 7, &p);
    guard_parse_cleanup(&p); /* the cache keeps its own copy */
    struct guard_parse want =
        make_parse(GUARD_OK, "", (const char *[]){ "orders", "products", NULL });
    assert_true(verdict_cache_get(c, "SELECT * FROM orders, products", 7, &got));
    assert_same_parse(&got, &want);
    guard_parse_cleanup(&got);
    /* one byte more, one byte less, another case: other texts */
    assert_false(verdict_cache_get(c, "SELECT * FROM orders, products ", 7, &got));
    assert_false(verdict_cache_get(c, "SELECT * FROM orders, product", 7, &got));
    assert_false(verdict_cache_get(c, "select * FROM orders, products", 7, &got));
    /* another generation */
    assert_false(verdict_cache_get(c, "SELECT * FROM orders, products", 6, &got));
    verdict_cache_put(c, NULL, 7, &want); /* ignored */
    assert_false(verdict_cache_get(c, NULL, 7, &got));
    guard_parse_cleanup(&want);
    verdict_cache_free(&c);
    assert_null(c);
    verdict_cache_free(&c);
    verdict_cache_free(NULL);
}

/* Every text in one bucket with one hash: only the whole text decides which entry answers. */
static void test_collisions_never_share_a_verdict(void **state)
{
    (void)state;
    struct verdict_cache_options opt = { .hash = one_hash };
    struct verdict_cache *c = verdict_cache_new(&opt);
    struct guard_parse ok = make_parse(GUARD_OK, "", (const char *[]){ "orders", NULL });
    struct guard_parse bad =
        make_parse(GUARD_BAD_SQL, "table function read_csv is not allowed", NULL);
    struct guard_parse secret = make_parse(GUARD_OK, "", (const char *[]){ "customers", NULL });
    verdict_cache_put(c, "SELECT * FROM orders", 1, &ok);
    verdict_cache_put(c, "SELECT * FROM read_csv('x')", 1, &bad);
    verdict_cache_put(c, "SELECT * FROM ordert", 1, &secret); /* same length, one byte apart */
    struct guard_parse got;
    assert_true(verdict_cache_get(c, "SELECT * FROM read_csv('x')", 1, &got));
    assert_same_parse(&got, &bad);
    guard_parse_cleanup(&got);
    assert_true(verdict_cache_get(c, "SELECT * FROM orders", 1, &got));
    assert_same_parse(&got, &ok);
    guard_parse_cleanup(&got);
    assert_true(verdict_cache_get(c, "SELECT * FROM ordert", 1, &got));
    assert_same_parse(&got, &secret);
    guard_parse_cleanup(&got);
    /* a fourth text of the same hash finds nothing */
    assert_false(verdict_cache_get(c, "SELECT * FROM orderz", 1, &got));
    assert_false(verdict_cache_get(c, "SELECT * FROM orders; DROP TABLE x", 1, &got));
    struct verdict_cache_stats st;
    verdict_cache_stats(c, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.hits, 3);
    assert_int_equal(st.misses, 2);
    /* storing a text twice keeps one entry */
    verdict_cache_put(c, "SELECT * FROM orders", 1, &ok);
    verdict_cache_stats(c, &st);
    assert_int_equal(st.entries, 3);
    guard_parse_cleanup(&ok);
    guard_parse_cleanup(&bad);
    guard_parse_cleanup(&secret);
    verdict_cache_free(&c);
}

/* A rebuild makes a new generation: nothing of an older one is answered or kept. */
static void test_a_new_generation_empties_it(void **state)
{
    (void)state;
    struct verdict_cache *c = verdict_cache_new(NULL);
    struct guard_parse p = make_parse(GUARD_OK, "", (const char *[]){ "gone", NULL });
    struct guard_parse got;
    verdict_cache_put(c, "SELECT * FROM gone", 5, &p);
    verdict_cache_put(c, "SELECT 1", 5, &p);
    assert_true(verdict_cache_get(c, "SELECT * FROM gone", 5, &got));
    guard_parse_cleanup(&got);
    assert_false(verdict_cache_get(c, "SELECT * FROM gone", 6, &got));
    struct verdict_cache_stats st;
    verdict_cache_stats(c, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    /* a query that started on generation 5 finishes its parse after the swap: not stored, and
     * generation 5 is never answered again */
    verdict_cache_put(c, "SELECT * FROM gone", 5, &p);
    verdict_cache_stats(c, &st);
    assert_int_equal(st.entries, 0);
    assert_false(verdict_cache_get(c, "SELECT * FROM gone", 5, &got));
    verdict_cache_put(c, "SELECT * FROM gone", 6, &p);
    assert_true(verdict_cache_get(c, "SELECT * FROM gone", 6, &got));
    guard_parse_cleanup(&got);
    guard_parse_cleanup(&p);
    verdict_cache_free(&c);
}

/* A flood of distinct texts: the entries and bytes never pass their bounds, the oldest go
 * first, and one used recently stays. */
static void test_a_flood_of_texts_stays_bounded(void **state)
{
    (void)state;
    struct verdict_cache_options opt = { .max_entries = 1000, .max_bytes = 256 * 1024 };
    struct verdict_cache *c = verdict_cache_new(&opt);
    struct guard_parse p = make_parse(GUARD_OK, "", (const char *[]){ "orders", NULL });
    struct guard_parse got;
    struct verdict_cache_stats st;
    verdict_cache_put(c, "SELECT 'kept'", 1, &p);
    char sql[128];
    for (int i = 0; i < 100000; i++) {
        /* longer texts now and then, so the byte bound binds before the entry bound */
        snprintf(sql, sizeof(sql), "SELECT %d%s", i, i % 3 ? "" : " /* padding padding */");
        verdict_cache_put(c, sql, 1, &p);
        if (i % 100 == 0) { /* used now and then: never the least recently used */
            assert_true(verdict_cache_get(c, "SELECT 'kept'", 1, &got));
            guard_parse_cleanup(&got);
        }
        verdict_cache_stats(c, &st);
        if (st.entries > opt.max_entries || st.bytes > opt.max_bytes)
            fail_msg("after %d texts: %zu entries, %zu bytes", i + 1, st.entries, st.bytes);
    }
    assert_true(st.evictions >= 99000);
    assert_true(st.entries > 100); /* still useful: not emptied by the flood */
    assert_true(verdict_cache_get(c, "SELECT 99998", 1, &got)); /* the last unpadded one */
    guard_parse_cleanup(&got);
    assert_false(verdict_cache_get(c, "SELECT 1", 1, &got));
    assert_true(verdict_cache_get(c, "SELECT 'kept'", 1, &got));
    guard_parse_cleanup(&got);
    /* an entry bigger than the whole budget is not stored (and evicts nothing) */
    size_t before = st.entries;
    char *huge = xmalloc(opt.max_bytes + 1);
    memset(huge, ' ', opt.max_bytes);
    memcpy(huge, "SELECT 1", 8);
    huge[opt.max_bytes] = '\0';
    verdict_cache_put(c, huge, 1, &p);
    assert_false(verdict_cache_get(c, huge, 1, &got));
    verdict_cache_stats(c, &st);
    assert_int_equal(st.entries, before);
    free(huge);
    guard_parse_cleanup(&p);
    verdict_cache_free(&c);
}

struct worker_arg {
    struct verdict_cache *c;
    int id;
};

static void *hammer(void *arg)
{
    struct worker_arg *w = arg;
    char sql[64];
    for (int i = 0; i < 20000; i++) {
        int k = (i * 7 + w->id) % 300; /* overlapping texts, more than the cache holds */
        snprintf(sql, sizeof(sql), "SELECT %d FROM t%d", k, k);
        char id[16];
        snprintf(id, sizeof(id), "t%d", k);
        struct guard_parse got;
        uint64_t gen = 1 + (uint64_t)(i / 5000); /* rebuilds meanwhile */
        if (verdict_cache_get(w->c, sql, gen, &got)) {
            /* whatever answers is the parse of this very text */
            if (got.n_refs != 1 || strcmp(got.refs[0].id, id) != 0)
                fail_msg("%s answered with another text's parse", sql);
        } else {
            got = make_parse(GUARD_OK, "", (const char *[]){ id, NULL });
            verdict_cache_put(w->c, sql, gen, &got);
        }
        guard_parse_cleanup(&got);
    }
    return NULL;
}

static void test_threads_share_it(void **state)
{
    (void)state;
    struct verdict_cache_options opt = { .max_entries = 200 };
    struct verdict_cache *c = verdict_cache_new(&opt);
    pthread_t t[4];
    struct worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct worker_arg){ c, i };
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    struct verdict_cache_stats st;
    verdict_cache_stats(c, &st);
    assert_true(st.entries <= 200);
    assert_true(st.hits > 0);
    verdict_cache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_is_a_copy_for_the_same_text_and_generation),
        cmocka_unit_test(test_collisions_never_share_a_verdict),
        cmocka_unit_test(test_a_new_generation_empties_it),
        cmocka_unit_test(test_a_flood_of_texts_stays_bounded),
        cmocka_unit_test(test_threads_share_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
