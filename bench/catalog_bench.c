/* catalog_bench.c — how long the catalog takes to rebuild, as a ratio against plain DuckDB
 * doing the least the same result needs, measured in the same run on the same files.
 *
 * Makes SOURCES extracts of TABLES tables each (tiny tables: the cost measured is per table,
 * not per row) with the extract writer, then times
 *   - a full rebuild (every extract checked again), and
 *   - a rebuild of one source (the other nine reused),
 * against the reference: one in-memory DuckDB that ATTACHes every extract read-only and
 * creates the same views in main, with no checks at all. Prints one line per figure.
 * Usage: catalog_bench [SOURCES [TABLES [ROUNDS]]] (default 10 100 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/parse.h"
#include "data/catalog.h"
#include "data/datadir.h"
#include "data/duck.h"
#include "data/extract.h"

static void die(const char *what, const struct err *err)
{
    fprintf(stderr, "catalog_bench: %s: %s\n", what, err->msg);
    exit(1);
}

static void make_source(const char *data_dir, int s, int64_t tables)
{
    struct extract_writer *w = NULL;
    struct extract_commit_result res;
    struct err err = { { 0 } };
    char *dir = xasprintf("%s/extracts/s%d", data_dir, s);
    if (extract_writer_begin(dir, &w, &err))
        die("begin", &err);
    for (int t = 0; t < (int)tables; t++) {
        char name[32];
        snprintf(name, sizeof(name), "s%d_t%03d", s, t);
        if (extract_writer_add(w, name, "bench table",
                               "SELECT range AS id, range * 2 AS v FROM range(100)", &err))
            die("add", &err);
    }
    if (extract_writer_commit(&w, &res, &err))
        die("commit", &err);
    free(dir);
}

/* The reference: attach every extract and create its views, nothing else. */
static int64_t reference_us(const char *data_dir, int64_t sources, int64_t tables)
{
    struct duck *d = NULL;
    struct err err = { { 0 } };
    int64_t t0 = clock_mono_us();
    if (duck_open(NULL, &d, &err))
        die("open", &err);
    for (int s = 0; s < (int)sources; s++) {
        char *sql =
            xasprintf("ATTACH '%s/extracts/s%d/extract.duckdb' AS s%d (READ_ONLY)", data_dir, s, s);
        if (duck_exec(d, sql, &err))
            die("attach", &err);
        free(sql);
        for (int t = 0; t < (int)tables; t++) {
            sql = xasprintf("CREATE VIEW main.s%d_t%03d AS SELECT * FROM s%d.s%d_t%03d", s, t, s, s,
                            t);
            if (duck_exec(d, sql, &err))
                die("view", &err);
            free(sql);
        }
    }
    int64_t us = clock_mono_us() - t0;
    duck_close(&d);
    return us;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_i64);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    int64_t sources = 10, tables = 100, rounds = 5;
    if ((argc > 1 && !parse_i64(argv[1], 1, 1000, &sources)) ||
        (argc > 2 && !parse_i64(argv[2], 1, 10000, &tables)) ||
        (argc > 3 && !parse_i64(argv[3], 1, 100, &rounds))) {
        fprintf(stderr, "usage: catalog_bench [SOURCES [TABLES [ROUNDS]]]\n");
        return 2;
    }
    char root[] = "/tmp/da-bench-XXXXXX";
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    struct err err = { { 0 } };
    char *state = xasprintf("%s/state", root);
    if (file_mkdir_p(state, 0700, &err))
        die("mkdir", &err);
    int64_t t0 = clock_mono_us();
    for (int s = 0; s < (int)sources; s++)
        make_source(root, s, tables);
    double make_s = (double)(clock_mono_us() - t0) / 1e6;
    int lock_fd = -1; /* play the server, as a running catalog does */
    if (datadir_lock_server(root, &lock_fd, &err))
        die("lock", &err);

    struct catalog *c = NULL;
    struct catalog_options opt = { .data_dir = root };
    if (catalog_open(&opt, &c, &err))
        die("catalog", &err);
    int64_t full[100], one[100], ref[100];
    for (int r = 0; r < (int)rounds; r++) {
        struct catalog_rebuild_stats st;
        if (catalog_rebuild(c, NULL, &st, &err))
            die("rebuild", &err);
        if (st.tables_ok != (int)(sources * tables)) {
            fprintf(stderr, "catalog_bench: %d tables served, %lld expected\n", st.tables_ok,
                    (long long)(sources * tables));
            return 1;
        }
        full[r] = st.duration_us;
        catalog_rebuild_stats_cleanup(&st);
        if (catalog_rebuild(c, "s0", &st, &err))
            die("rebuild one", &err);
        one[r] = st.duration_us;
        catalog_rebuild_stats_cleanup(&st);
        ref[r] = reference_us(root, sources, tables);
    }
    catalog_close(&c);
    close(lock_fd);
    int64_t f = median(full, (int)rounds), o = median(one, (int)rounds);
    int64_t x = median(ref, (int)rounds);
    printf("catalog of %lld tables in %lld sources (made in %.1f s), median of %lld rounds:\n",
           (long long)(sources * tables), (long long)sources, make_s, (long long)rounds);
    printf("  reference (ATTACH + CREATE VIEW, no checks)  %8.1f ms\n", (double)x / 1000);
    printf("  full rebuild                                  %8.1f ms  = %.2f x reference\n",
           (double)f / 1000, (double)f / (double)x);
    printf("  rebuild of one source                         %8.1f ms  = %.2f x reference\n",
           (double)o / 1000, (double)o / (double)x);
    char *cmd = xasprintf("rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", root);
    free(cmd);
    free(state);
    return 0;
}
