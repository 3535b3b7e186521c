/* sync_bench.c — prepares the data of bench/sync_bench.sh:
 *
 *   sync_bench prepare DATA_DIR [TABLES [PARTS [ROWS]]]
 *       writes the extract "syncbench" into DATA_DIR: TABLES partitioned tables (default 10)
 *       of PARTS Parquet files each (default 20), each file ROWS rows (default 125,000) of
 *       (id BIGINT, a VARCHAR, b VARCHAR, x DOUBLE) where a and b are MD5 digests, so the
 *       files barely compress: about 5 MB each, 1 GB in all by default.
 *
 * The values are deterministic (a digest of the row number and the part), so every run
 * serves the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/isotime.h"
#include "base/mem.h"
#include "base/parse.h"
#include "data/extract.h"

#define SOURCE "syncbench"

static int prepare(const char *data_dir, int64_t tables, int64_t parts, int64_t rows)
{
    struct extract_writer *w = NULL;
    struct extract_commit_result res;
    struct err err = { { 0 } };
    char *dir = xasprintf("%s/extracts/%s", data_dir, SOURCE);
    struct extract_part *p = xcalloc((size_t)parts, sizeof(*p));
    int64_t t0 = clock_mono_us();
    if (extract_writer_begin(dir, &w, &err))
        goto fail;
    for (int64_t t = 0; t < tables; t++) {
        for (int64_t i = 0; i < parts; i++) {
            int64_t seed = t * parts + i;
            p[i].name = xasprintf("part-%03lld", (long long)i);
            p[i].select_sql =
                xasprintf("SELECT range AS id, md5((range * 1000003 + %lld)::VARCHAR) AS a, "
                          "md5((range * 7919 + %lld)::VARCHAR) AS b, "
                          "(hash(range + %lld) %% 1000000)::DOUBLE / 7 AS x FROM range(%lld)",
                          (long long)seed, (long long)seed, (long long)seed, (long long)rows);
        }
        char name[32];
        snprintf(name, sizeof(name), "t%02lld", (long long)t);
        enum rc rc = extract_writer_add_parts(w, name, "sync bench table", p, (size_t)parts, &err);
        for (int64_t i = 0; i < parts; i++) {
            free((char *)p[i].name);
            free((char *)p[i].select_sql);
        }
        if (rc)
            goto fail;
    }
    if (extract_writer_commit(&w, &res, &err))
        goto fail;
    printf("extract %s: %d tables, %lld files, %lld rows, %.0f MB of Parquet, written in %.1f s\n",
           dir, res.tables, (long long)(tables * parts), (long long)res.rows,
           (double)res.bytes / (1024.0 * 1024.0), (double)(clock_mono_us() - t0) / 1e6);
    free(p);
    free(dir);
    return 0;
fail:
    extract_writer_abort(&w);
    fprintf(stderr, "sync_bench: prepare: %s\n", err.msg);
    free(p);
    free(dir);
    return 1;
}

int main(int argc, char **argv)
{
    int64_t tables = 10, parts = 20, rows = 125000;
    if (argc >= 3 && argc <= 6 && strcmp(argv[1], "prepare") == 0 &&
        (argc < 4 || parse_i64(argv[3], 1, 1000, &tables)) &&
        (argc < 5 || parse_i64(argv[4], 2, EXTRACT_PARTS_MAX, &parts)) &&
        (argc < 6 || parse_i64(argv[5], 1, 100000000, &rows)))
        return prepare(argv[2], tables, parts, rows);
    fprintf(stderr, "usage: sync_bench prepare DATA_DIR [TABLES [PARTS [ROWS]]]\n");
    return 2;
}
