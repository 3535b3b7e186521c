/* keboola_floor.c — the floor of the Keboola benchmark: plain DuckDB reading the benchmark's
 * gzipped CSV slices from local disk, with the table's types given, into one zstd Parquet
 * file; no download, no checks. Prints "floor: N rows in S s".
 * Usage: keboola_floor OUT.parquet SLICE.csv.gz... */
#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/isotime.h"
#include "data/duck.h"

static void die(const char *what, const struct err *err)
{
    fprintf(stderr, "keboola_floor: %s: %s\n", what, err->msg);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: keboola_floor OUT.parquet SLICE.csv.gz...\n");
        return 2;
    }
    struct duck *d;
    struct err err = { { 0 } };
    if (duck_open(NULL, &d, &err))
        die("open", &err);
    struct buf sql;
    buf_init(&sql, 1024 * 1024);
    enum rc rc = buf_append_str(&sql, "COPY (SELECT * FROM read_csv([");
    for (int i = 2; !rc && i < argc; i++) {
        if (i > 2)
            rc = buf_append_str(&sql, ", ");
        if (!rc)
            rc = duck_sql_quote_literal(&sql, argv[i]);
    }
    if (!rc)
        rc = buf_append_str(
            &sql, "], header = false, auto_detect = false, delim = ',', quote = '\"', "
                  "escape = '\"', columns = {'id': 'BIGINT', 'customer': 'VARCHAR', "
                  "'amount': 'DECIMAL(38,9)', 'qty': 'BIGINT', 'price': 'DOUBLE', "
                  "'paid': 'BOOLEAN', 'day': 'DATE', 'at': 'TIMESTAMP', 'city': 'VARCHAR', "
                  "'note': 'VARCHAR'})) TO ");
    if (!rc)
        rc = duck_sql_quote_literal(&sql, argv[1]);
    if (!rc)
        rc = buf_append_str(&sql, " (FORMAT parquet, COMPRESSION zstd)");
    if (rc) {
        fprintf(stderr, "keboola_floor: too many files\n");
        return 1;
    }
    int64_t t0 = clock_mono_us();
    if (duck_exec(d, buf_cstr(&sql), &err))
        die("copy", &err);
    double s = (double)(clock_mono_us() - t0) / 1e6;
    char q[4096];
    snprintf(q, sizeof(q), "SELECT count(*) FROM read_parquet('%s')", argv[1]);
    int64_t rows = 0;
    if (duck_query_i64(d, q, &rows, &err))
        die("count", &err);
    printf("floor: %lld rows in %.3f s\n", (long long)rows, s);
    buf_cleanup(&sql);
    duck_close(&d);
    return 0;
}
