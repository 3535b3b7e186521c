/* query_bench.c — POST /api/query latency against the same query run in-process through the
 * DuckDB C API on the same Parquet file, measured in the same run.
 *
 *   query_bench prepare DATA_DIR [ROWS]
 *       writes the extract "bench" with one table t(id BIGINT, category VARCHAR, ts TIMESTAMP,
 *       amount DOUBLE) of ROWS rows (default 1,000,000) into DATA_DIR, for da serve to serve;
 *   query_bench run DATA_DIR BASE_URL [RUNS]
 *       with an admin's token in DA_BENCH_TOKEN, times three queries (a point lookup, an
 *       aggregation over every row, a 10k-row result) and the tiny query of the requests-per-
 *       second figure (SELECT 1) RUNS times each (default 200; half of that for the 10k rows)
 *       after a warm-up, interleaving four ways of running them:
 *         - da: POST /api/query over loopback (libcurl, one kept-alive connection, the whole
 *           JSON body read), every answer checked to be 200 with the expected row count;
 *         - reference: the same SQL on the same file in an in-memory DuckDB through the C API,
 *           every row fetched with duckdb_fetch_chunk and every value touched;
 *         - the server's two in-process steps through libda, on the same view: the SQL guard
 *           (guard_check) and the JSON encoding run (result_run), to tell where the time goes.
 *       Prints p50 and p99 of each and the ratios da / reference.
 * bench/query_bench.sh runs both around a da serve. Any failure stops the bench: errors are
 * fast and would flatter the figures. The reference includes duckdb.h itself, unlike da's
 * modules: it is the plain library that da is measured against. */
#include <curl/curl.h>
#include <duckdb.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/parse.h"
#include "data/duck.h"
#include "data/extract.h"
#include "data/result.h"
#include "query/guard.h"

#define SOURCE       "bench"
#define TABLE        "t"
#define CATEGORIES   16
#define WARMUP       5
#define BODY_MAX     (256u * 1024 * 1024)
#define RESULT_BYTES (64 * 1024 * 1024) /* the server's default query.max_bytes */

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "query_bench: %s: %s\n", what, msg);
    exit(1);
}

/* ---- prepare ---- */

static int prepare(const char *data_dir, int64_t rows)
{
    struct extract_writer *w = NULL;
    struct extract_commit_result res;
    struct err err = { { 0 } };
    char *dir = xasprintf("%s/extracts/%s", data_dir, SOURCE);
    /* Deterministic values: the same data in every run, a category out of CATEGORIES, one
     * timestamp a minute, amounts spread over 0-1000. */
    char *sql = xasprintf("SELECT range AS id, 'cat_' || (range %% %d) AS category, "
                          "TIMESTAMP '2024-01-01' + to_minutes(range) AS ts, "
                          "(hash(range) %% 100000)::DOUBLE / 100 AS amount FROM range(%lld)",
                          CATEGORIES, (long long)rows);
    int64_t t0 = clock_mono_us();
    if (extract_writer_begin(dir, &w, &err) ||
        extract_writer_add(w, TABLE, "query bench table", sql, &err) ||
        extract_writer_commit(&w, &res, &err))
        die("prepare", err.msg);
    printf("extract %s: table %s, %lld rows, %lld bytes of Parquet, written in %.1f s\n", dir,
           TABLE, (long long)res.rows, (long long)res.bytes, (double)(clock_mono_us() - t0) / 1e6);
    free(sql);
    free(dir);
    return 0;
}

/* ---- the four ways of running a query ---- */

struct bench {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    struct buf body;
    size_t body_len;    /* bytes of the last answer */
    duckdb_database db; /* the reference: plain DuckDB */
    duckdb_connection con;
    struct duck *duck; /* the server's steps through libda, on a database of its own */
    struct buf encoded;
    volatile uint64_t sink; /* what the reference read, so that the reads cannot be left out */
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    return buf_append(b, data, size * n) ? 0 : size * n;
}

/* One POST /api/query; checks the answer is 200 with `rows` rows and not truncated. */
static void run_http(struct bench *b, const char *request, int64_t rows)
{
    buf_init(&b->body, BODY_MAX);
    curl_easy_setopt(b->curl, CURLOPT_POSTFIELDS, request);
    CURLcode cc = curl_easy_perform(b->curl);
    if (cc != CURLE_OK)
        die("POST /api/query", curl_easy_strerror(cc));
    long status = 0;
    curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &status);
    const char *text = buf_cstr(&b->body);
    char tail[96];
    snprintf(tail, sizeof(tail), "],\"row_count\":%lld,\"truncated\":false,\"truncated_by\":null}",
             (long long)rows);
    size_t len = strlen(text), tlen = strlen(tail);
    if (status != 200 || len < tlen || strcmp(text + len - tlen, tail) != 0) {
        fprintf(stderr, "query_bench: %s\n  answered %ld, expected 200 with %lld rows: %.300s\n",
                request, status, (long long)rows, text);
        exit(1);
    }
    b->body_len = len;
    buf_cleanup(&b->body);
}

/* The width of a value of type t in a vector: 4 or 8 bytes, 0 for VARCHAR (a duckdb_string_t);
 * the bench's queries return no other type. */
static int value_width(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_VARCHAR:
        return 0;
    case DUCKDB_TYPE_INTEGER:
        return 4;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_TIMESTAMP:
        return 8;
    default:
        die("reference", "unexpected column type");
        return -1;
    }
}

/* Reads every value of the reference's result, as a client of the C API would. */
static int64_t read_result(struct bench *b, duckdb_result *res)
{
    idx_t ncols = duckdb_column_count(res);
    int width[8];
    if (ncols > ARRAY_LEN(width))
        die("reference", "too many columns");
    for (idx_t c = 0; c < ncols; c++)
        width[c] = value_width(duckdb_column_type(res, c));
    int64_t rows = 0;
    for (duckdb_data_chunk ch; (ch = duckdb_fetch_chunk(*res)) != NULL;) {
        idx_t n = duckdb_data_chunk_get_size(ch);
        uint64_t sum = 0;
        for (idx_t c = 0; c < ncols; c++) {
            duckdb_vector v = duckdb_data_chunk_get_vector(ch, c);
            uint64_t *valid = duckdb_vector_get_validity(v);
            void *data = duckdb_vector_get_data(v);
            for (idx_t r = 0; r < n; r++) {
                if (!duckdb_validity_row_is_valid(valid, r))
                    continue;
                if (width[c] == 0) {
                    duckdb_string_t *s = (duckdb_string_t *)data + r;
                    uint32_t len = duckdb_string_t_length(*s);
                    sum += len + (len ? (unsigned char)duckdb_string_t_data(s)[len - 1] : 0);
                } else if (width[c] == 4) {
                    sum += ((uint32_t *)data)[r];
                } else {
                    sum += ((uint64_t *)data)[r];
                }
            }
        }
        b->sink += sum;
        rows += (int64_t)n;
        duckdb_destroy_data_chunk(&ch);
    }
    return rows;
}

static void run_reference(struct bench *b, const char *sql, int64_t rows)
{
    duckdb_result res;
    if (duckdb_query(b->con, sql, &res) == DuckDBError)
        die(sql, duckdb_result_error(&res));
    int64_t got = read_result(b, &res);
    duckdb_destroy_result(&res);
    if (got != rows)
        die(sql, "the reference read another number of rows");
}

static enum guard_access only_t(void *ctx, const char *id)
{
    (void)ctx;
    return strcmp(id, TABLE) == 0 ? GUARD_READABLE : GUARD_NO_SUCH_TABLE;
}

static void run_guard(struct bench *b, const char *sql)
{
    struct guard_policy policy = { .admin = true, .table = only_t };
    struct guard_result g;
    struct err err = { { 0 } };
    if (guard_check(b->duck, sql, &policy, &g, &err))
        die("guard", err.msg);
    if (g.verdict != GUARD_OK)
        die("guard", g.message);
    guard_result_cleanup(&g);
}

static void run_encode(struct bench *b, const char *sql, int64_t limit, int64_t rows)
{
    struct result_limits lim = { limit, RESULT_BYTES };
    struct result_stats st;
    struct err err = { { 0 } };
    buf_init(&b->encoded, RESULT_BYTES + 1024 * 1024);
    if (result_run(b->duck, sql, RESULT_JSON, &lim, &b->encoded, &st, &err))
        die("result_run", err.msg);
    if (st.rows != rows || st.truncated)
        die("result_run", "another number of rows");
    buf_cleanup(&b->encoded);
}

/* ---- timing ---- */

enum way { WAY_DA, WAY_REF, WAY_GUARD, WAY_ENCODE, N_WAYS };

struct query {
    const char *name;
    const char *sql; /* "%lld" is a random id */
    int64_t limit;   /* the request's limit (the server's default 1000 when 0) */
    int64_t rows;    /* rows every answer must have */
    int runs_div;    /* RUNS / runs_div runs */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p (0-1) of the n sorted values v. */
static double percentile(const double *v, int n, double p)
{
    int i = (int)ceil(p * n) - 1;
    return v[i < 0 ? 0 : i];
}

struct figures {
    double p50[N_WAYS], p99[N_WAYS];
    double rest_p50; /* median over the runs of da less guard and encoding, run by run */
    int runs;
    size_t answer_bytes;
};

static void time_query(struct bench *b, const struct query *q, int64_t table_rows, int runs,
                       struct figures *f)
{
    double *ms[N_WAYS];
    for (int w = 0; w < N_WAYS; w++)
        ms[w] = xcalloc((size_t)runs, sizeof(double));
    srand(42);
    for (int i = -WARMUP; i < runs; i++) {
        char sql[256];
        snprintf(sql, sizeof(sql), q->sql, (long long)(rand() % table_rows));
        json_t *req = q->limit ? json_pack("{s:s, s:I}", "sql", sql, "limit", (json_int_t)q->limit)
                               : json_pack("{s:s}", "sql", sql);
        char *request = json_dumps(req, JSON_COMPACT);
        /* Every way runs the same query back to back, in an order that turns, so that the
         * load of the other work on this machine falls on all of them alike. */
        for (int k = 0; k < N_WAYS; k++) {
            int w = (k + (i < 0 ? 0 : i)) % N_WAYS;
            int64_t t0 = clock_mono_us();
            switch (w) {
            case WAY_DA:
                run_http(b, request, q->rows);
                break;
            case WAY_REF:
                run_reference(b, sql, q->rows);
                break;
            case WAY_GUARD:
                run_guard(b, sql);
                break;
            case WAY_ENCODE:
                run_encode(b, sql, q->limit ? q->limit : 1000, q->rows);
                break;
            }
            if (i >= 0)
                ms[w][i] = (double)(clock_mono_us() - t0) / 1000.0;
        }
        free(request);
        json_decref(req);
    }
    f->runs = runs;
    f->answer_bytes = b->body_len;
    double *rest = xcalloc((size_t)runs, sizeof(double));
    for (int i = 0; i < runs; i++)
        rest[i] = ms[WAY_DA][i] - ms[WAY_GUARD][i] - ms[WAY_ENCODE][i];
    qsort(rest, (size_t)runs, sizeof(double), cmp_double);
    f->rest_p50 = percentile(rest, runs, 0.50);
    free(rest);
    for (int w = 0; w < N_WAYS; w++) {
        qsort(ms[w], (size_t)runs, sizeof(double), cmp_double);
        f->p50[w] = percentile(ms[w], runs, 0.50);
        f->p99[w] = percentile(ms[w], runs, 0.99);
        free(ms[w]);
    }
}

/* The file(s) the extract's table t reads, as a DuckDB list literal of quoted paths. */
static char *table_files(const char *data_dir)
{
    struct extract_info info = { 0 };
    struct err err = { { 0 } };
    char *dir = xasprintf("%s/extracts/%s", data_dir, SOURCE);
    if (extract_inspect(dir, NULL, NULL, &info, &err))
        die("inspect", err.msg);
    struct buf list;
    buf_init(&list, 1024 * 1024);
    for (size_t i = 0; i < info.n_tables; i++) {
        if (strcmp(info.tables[i].id, TABLE) != 0)
            continue;
        for (size_t f = 0; f < info.tables[i].n_files; f++)
            if (buf_append_str(&list, f ? ", " : "[") ||
                duck_sql_quote_literal(&list, info.tables[i].files[f]))
                die("inspect", "file list too long");
    }
    if (list.len == 0 || buf_append_str(&list, "]"))
        die("inspect", "the extract has no table " TABLE " with files");
    extract_info_cleanup(&info);
    free(dir);
    return buf_take(&list, NULL);
}

static void bench_open(struct bench *b, const char *data_dir, const char *base_url,
                       const char *token)
{
    char *files = table_files(data_dir);
    char *view = xasprintf("CREATE VIEW " TABLE " AS SELECT * FROM read_parquet(%s)", files);
    struct err err = { { 0 } };
    duckdb_result res;
    if (duckdb_open(NULL, &b->db) == DuckDBError || duckdb_connect(b->db, &b->con) == DuckDBError)
        die("reference", "cannot open an in-memory DuckDB");
    if (duckdb_query(b->con, view, &res) == DuckDBError)
        die("reference", duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    if (duck_open(NULL, &b->duck, &err) || duck_exec(b->duck, view, &err))
        die("libda", err.msg);
    free(view);
    free(files);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    b->curl = curl_easy_init();
    b->url = xasprintf("%s/api/query", base_url);
    char *auth = xasprintf("Authorization: Bearer %s", token);
    b->headers = curl_slist_append(NULL, auth);
    b->headers = curl_slist_append(b->headers, "Content-Type: application/json");
    b->headers = curl_slist_append(b->headers, "Expect:");
    mem_wipe(auth, strlen(auth));
    free(auth);
    if (!b->curl || !b->headers)
        die("curl", "cannot set up");
    curl_easy_setopt(b->curl, CURLOPT_URL, b->url);
    curl_easy_setopt(b->curl, CURLOPT_HTTPHEADER, b->headers);
    curl_easy_setopt(b->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(b->curl, CURLOPT_WRITEDATA, &b->body);
    curl_easy_setopt(b->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(b->curl, CURLOPT_TIMEOUT, 60L);
}

static void bench_close(struct bench *b)
{
    curl_easy_cleanup(b->curl);
    curl_slist_free_all(b->headers);
    curl_global_cleanup();
    free(b->url);
    duck_close(&b->duck);
    duckdb_disconnect(&b->con);
    duckdb_close(&b->db);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static int run(const char *data_dir, const char *base_url, int64_t runs)
{
    const char *token = getenv("DA_BENCH_TOKEN");
    if (!token || !*token)
        die("run", "set DA_BENCH_TOKEN to an admin's access token");
    struct bench b = { 0 };
    bench_open(&b, data_dir, base_url, token);
    int64_t table_rows = 0;
    struct err err = { { 0 } };
    if (duck_query_i64(b.duck, "SELECT count(*) FROM " TABLE, &table_rows, &err))
        die("count", err.msg);
    const struct query queries[] = {
        { "point lookup", "SELECT * FROM " TABLE " WHERE id = %lld", 0, 1, 1 },
        { "aggregation",
          "SELECT category, sum(amount) AS total, avg(amount) AS mean, "
          "count(*) AS n FROM " TABLE " GROUP BY category",
          0, CATEGORIES, 1 },
        { "10k-row result", "SELECT * FROM " TABLE " WHERE id < 10000", 10000, 10000, 2 },
        /* the tiny query of the requests-per-second figure, one at a time */
        { "tiny (SELECT 1)", "SELECT 1 AS one", 0, 1, 1 },
    };
    struct figures f[ARRAY_LEN(queries)];
    for (size_t i = 0; i < ARRAY_LEN(queries); i++)
        time_query(&b, &queries[i], table_rows, (int)(runs / queries[i].runs_div), &f[i]);

    printf("table of %lld rows; p50 / p99 in ms; da = POST /api/query over loopback, "
           "reference = in-process DuckDB C API\n",
           (long long)table_rows);
    printf("%-16s %5s  %17s  %17s  %19s  %12s\n", "query", "runs", "da", "reference",
           "da / reference", "answer bytes");
    for (size_t i = 0; i < ARRAY_LEN(queries); i++)
        printf("%-16s %5d  %7.2f / %7.2f  %7.2f / %7.2f  %7.1f x / %5.1f x  %12zu\n",
               queries[i].name, f[i].runs, f[i].p50[WAY_DA], f[i].p99[WAY_DA], f[i].p50[WAY_REF],
               f[i].p99[WAY_REF], ratio(f[i].p50[WAY_DA], f[i].p50[WAY_REF]),
               ratio(f[i].p99[WAY_DA], f[i].p99[WAY_REF]), f[i].answer_bytes);
    printf("\nwhere da's time goes (p50 in ms; guard and encoding in-process through libda on "
           "the same view;\nrest = da less guard and encoding, run by run: HTTP, token check, "
           "connection, audit row)\n");
    printf("%-16s %10s  %10s  %25s  %10s\n", "query", "reference", "SQL guard",
           "query + JSON (result_run)", "rest");
    for (size_t i = 0; i < ARRAY_LEN(queries); i++)
        printf("%-16s %10.2f  %10.2f  %25.2f  %10.2f\n", queries[i].name, f[i].p50[WAY_REF],
               f[i].p50[WAY_GUARD], f[i].p50[WAY_ENCODE], f[i].rest_p50);
    bench_close(&b);
    return 0;
}

int main(int argc, char **argv)
{
    int64_t rows = 1000000, runs = 200;
    if (argc >= 3 && strcmp(argv[1], "prepare") == 0 &&
        (argc == 3 || (argc == 4 && parse_i64(argv[3], 1, 1000000000, &rows))))
        return prepare(argv[2], rows);
    if (argc >= 4 && strcmp(argv[1], "run") == 0 &&
        (argc == 4 || (argc == 5 && parse_i64(argv[4], 4, 100000, &runs))))
        return run(argv[2], argv[3], runs);
    fprintf(stderr, "usage: query_bench prepare DATA_DIR [ROWS]\n"
                    "       DA_BENCH_TOKEN=... query_bench run DATA_DIR BASE_URL [RUNS]\n");
    return 2;
}
