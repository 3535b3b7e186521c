/* test_query_worker.c — the query worker pool and its wire protocol: frames that claim more
 * than allowed or end early, payloads with lengths that do not add up, a recipe round trip
 * with a token read from the environment, and the engine with real worker processes (this
 * test binary re-executed as `__query-worker`): a query answers, a query that never checks
 * for an interrupt is ended at the deadline and its worker replaced, and hostile workers (a
 * frame claiming 2 GB, a worker dying mid-answer, a malformed answer) end as a clean
 * QUERY_CRASHED while the next query runs on a new worker. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "data/catalog.h"
#include "data/duck.h"
#include "helpers.h"
#include "query/engine.h"
#include "query/wire.h"
#include "query/worker.h"

/* ---- wire ---- */

static void test_frame_claiming_too_much_is_refused_before_reading_it(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    uint32_t header[2] = { WIRE_RESULT, 0x7fffffffu };
    assert_int_equal(write(sv[1], header, sizeof(header)), (ssize_t)sizeof(header));
    struct wire_in in = { 0 };
    struct err err = { { 0 } };
    assert_int_equal(wire_read(sv[0], &in, 1024, &err), RC_TOOBIG);
    assert_null(in.body); /* nothing allocated for the claimed length */
    wire_in_reset(&in);
    close(sv[0]);
    close(sv[1]);
}

static void test_frame_cut_short_is_an_error(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    uint32_t header[2] = { WIRE_RESULT, 100 };
    assert_int_equal(write(sv[1], header, sizeof(header)), (ssize_t)sizeof(header));
    assert_int_equal(write(sv[1], "0123456789", 10), 10);
    close(sv[1]); /* the worker died mid-answer */
    struct wire_in in = { 0 };
    struct err err = { { 0 } };
    assert_int_equal(wire_read(sv[0], &in, 1024, &err), RC_IO);
    assert_non_null(strstr(err.msg, "mid-frame"));
    wire_in_reset(&in);
    close(sv[0]);
}

static void test_result_payload_lengths_are_checked(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    struct wire_result res = { .status = WIRE_OK, .data = "[1]", .data_len = 3 };
    res.stats.rows = 1;
    res.stats.truncated_by = "bytes";
    res.stats.truncated = true;
    assert_int_equal(wire_encode_result(&b, &res), RC_OK);
    assert_int_equal(buf_append(&b, "[1]", 3), RC_OK);
    struct wire_result got;
    struct err err = { { 0 } };
    assert_int_equal(wire_decode_result(b.data, b.len, &got, &err), RC_OK);
    assert_int_equal(got.data_len, 3);
    assert_memory_equal(got.data, "[1]", 3);
    assert_string_equal(got.stats.truncated_by, "bytes");
    /* every shorter or longer payload is refused, never read past */
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(wire_decode_result(b.data, n, &got, &err), RC_INVALID);
    assert_int_equal(buf_append(&b, "x", 1), RC_OK);
    assert_int_equal(wire_decode_result(b.data, b.len, &got, &err), RC_INVALID);
    /* a message longer than allowed, a status out of range */
    char bad[64] = { 0 };
    uint32_t status = 7;
    memcpy(bad, &status, 4);
    assert_int_equal(wire_decode_result(bad, 36, &got, &err), RC_INVALID);
    buf_cleanup(&b);
}

static void test_run_frame_round_trip_and_refusals(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    struct wire_run run = { RESULT_PARQUET, 10, 100, 1000, 5, "/tmp/x.parquet", "SELECT 1" };
    assert_int_equal(wire_encode_run(&b, &run), RC_OK);
    struct wire_run got;
    char *heap = NULL;
    struct err err = { { 0 } };
    assert_int_equal(wire_decode_run(b.data, b.len, &got, &heap, &err), RC_OK);
    assert_string_equal(got.sql, "SELECT 1");
    assert_string_equal(got.parquet_path, "/tmp/x.parquet");
    assert_int_equal(got.max_rows, 10);
    assert_int_equal(got.cpu_s, 5);
    free(heap);
    for (size_t n = 0; n < b.len; n++) {
        assert_int_equal(wire_decode_run(b.data, n, &got, &heap, &err), RC_INVALID);
        assert_null(heap);
    }
    buf_reset(&b);
    struct wire_run json_with_path = { RESULT_JSON, 10, 100, 1000, 5, "/tmp/x", "SELECT 1" };
    assert_int_equal(wire_encode_run(&b, &json_with_path), RC_OK);
    assert_int_equal(wire_decode_run(b.data, b.len, &got, &heap, &err), RC_INVALID);
    buf_cleanup(&b);
}

static void test_recipe_round_trip_carries_the_token_for_the_replay_only(void **state)
{
    (void)state;
    struct catalog_recipe r = { 0 };
    catalog_recipe_add(&r, "CREATE TABLE t AS SELECT ", "DA_TEST_TOKEN", " AS secret");
    catalog_recipe_add(&r, "SET lock_configuration = true", NULL, NULL);
    struct buf b;
    buf_init(&b, 1 << 20);
    setenv("DA_TEST_TOKEN", "s3cr3t", 1); /* the server's environment */
    assert_int_equal(wire_encode_recipe(&b, 7, &r), RC_OK);
    unsetenv("DA_TEST_TOKEN"); /* a worker's environment has no token */
    catalog_recipe_cleanup(&r);
    /* the recipe itself never holds the value */
    struct catalog_recipe got;
    struct wire_tokens tokens;
    uint64_t gen = 0;
    struct err err = { { 0 } };
    assert_int_equal(wire_decode_recipe(b.data, b.len, &gen, &got, &tokens, &err), RC_OK);
    assert_int_equal(gen, 7);
    assert_int_equal(got.n, 2);
    for (size_t i = 0; i < got.n; i++)
        assert_null(strstr(got.steps[i].sql, "s3cr3t"));
    assert_int_equal(tokens.n, 1);
    assert_string_equal(tokens.names[0], "DA_TEST_TOKEN");
    assert_string_equal(tokens.values[0], "s3cr3t");
    struct wire_tokens cut_tokens;
    for (size_t n = 0; n < b.len; n++) {
        assert_int_equal(wire_decode_recipe(b.data, n, &gen, &r, &cut_tokens, &err), RC_INVALID);
        assert_int_equal(r.n, 0); /* nothing kept from a refused frame */
        assert_int_equal(cut_tokens.n, 0);
    }

    /* without the variable the replay fails and names it; with it the statement has it */
    struct duck *db = NULL;
    assert_int_not_equal(catalog_replay(&got, &db, &err), RC_OK);
    assert_non_null(strstr(err.msg, "DA_TEST_TOKEN"));
    assert_null(db);
    setenv(tokens.names[0], tokens.values[0], 1);
    assert_int_equal(catalog_replay(&got, &db, &err), RC_OK);
    unsetenv(tokens.names[0]);
    char *v = NULL;
    assert_int_equal(duck_query_text(db, "SELECT secret FROM t", &v, &err), RC_OK);
    assert_string_equal(v, "s3cr3t");
    free(v);
    duck_close(&db);
    wire_tokens_cleanup(&tokens);
    catalog_recipe_cleanup(&got);
    buf_cleanup(&b);
}

static void test_memory_sizes_parse_like_duckdb(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_true(query_parse_size("4GB", &v));
    assert_int_equal(v, 4000000000LL);
    assert_true(query_parse_size("512 MiB", &v));
    assert_int_equal(v, 512LL << 20);
    assert_true(query_parse_size("1000", &v));
    assert_int_equal(v, 1000);
    assert_false(query_parse_size("lots", &v));
    assert_false(query_parse_size("4XB", &v));
    assert_false(query_parse_size("-1GB", &v));
    assert_false(query_parse_size("", &v));
}

/* ---- the engine with real worker processes ---- */

struct pool_fixture {
    char *root;
    struct catalog *catalog;
    struct query_engine *engine;
    char *fake_mode_file;
};

static enum guard_access no_tables(void *ctx, const char *id)
{
    (void)ctx;
    (void)id;
    return GUARD_NO_SUCH_TABLE;
}

static struct pool_fixture *pool_open_rows(int timeout_s, int workers, int max_rows)
{
    struct pool_fixture *f = xcalloc(1, sizeof(*f));
    f->root = test_tmpdir();
    f->fake_mode_file = xasprintf("%s/fake-mode", f->root);
    char *ex = xasprintf("%s/extracts", f->root);
    struct err err = { { 0 } };
    assert_int_equal(file_mkdir_p(ex, 0755, &err), RC_OK);
    free(ex);
    struct catalog_options copt = { .data_dir = f->root, .memory_limit = "256MB", .threads = 1 };
    assert_int_equal(catalog_open(&copt, &f->catalog, &err), RC_OK);
    struct query_engine_options qopt = {
        .catalog = f->catalog,
        .timeout_s = timeout_s,
        .default_rows = 100,
        .max_rows = max_rows,
        .max_bytes = 1 << 20,
        .max_concurrent = 8,
        .workers = workers,
        .memory_limit = "256MB",
    };
    assert_int_equal(query_engine_start(&qopt, &f->engine, &err), RC_OK);
    return f;
}

static struct pool_fixture *pool_open(int timeout_s, int workers)
{
    return pool_open_rows(timeout_s, workers, 1000);
}

static void pool_close(struct pool_fixture *f)
{
    query_engine_stop(&f->engine);
    catalog_close(&f->catalog);
    test_rm_rf(f->root);
    free(f->root);
    free(f->fake_mode_file);
    free(f);
}

/* Runs sql as an admin; returns the outcome kind and leaves the body in out. */
static enum query_outcome_kind run(struct pool_fixture *f, const char *sql, struct buf *out)
{
    struct query_request req = {
        .user_id = "u1",
        .sql = sql,
        .format = RESULT_JSON,
        .policy = { .admin = true, .table = no_tables },
    };
    struct query_outcome o;
    struct err err = { { 0 } };
    buf_reset(out);
    enum rc rc = query_run(f->engine, &req, out, &o, &err);
    if (rc)
        fail_msg("query_run: %s", err.msg);
    enum query_outcome_kind k = o.kind;
    if (k != QUERY_OK)
        printf("# %s -> %d: %s\n", sql, k, o.message);
    query_outcome_cleanup(&o);
    return k;
}

static double metric(const char *line_start)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    if (metrics_render(&b) != RC_OK)
        fail_msg("metrics_render");
    const char *p = strstr(buf_cstr(&b), line_start);
    double v = p ? strtod(p + strlen(line_start), NULL) : -1;
    buf_cleanup(&b);
    return v;
}

static void test_worker_answers_and_is_replaced_after_a_deadline(void **state)
{
    (void)state;
    struct pool_fixture *f = pool_open(1, 2);
    struct buf out;
    buf_init(&out, (1 << 20) + 65536);
    assert_int_equal(run(f, "SELECT 41 + 1 AS x", &out), QUERY_OK);
    assert_non_null(strstr(buf_cstr(&out), "\"rows\":[[42]]"));
    double restarts = metric("\nda_query_worker_restarts_total ");
    /* one function call, no interrupt check: only a kill ends it */
    assert_int_equal(run(f, "SELECT levenshtein(repeat('a', 200000), repeat('b', 200000))", &out),
                     QUERY_TIMEOUT);
    assert_true(metric("\nda_query_worker_restarts_total ") >= restarts + 1);
    assert_int_equal(run(f, "SELECT 'again' AS x", &out), QUERY_OK);
    assert_non_null(strstr(buf_cstr(&out), "again"));
    assert_int_equal(run(f, "SELECT nope", &out), QUERY_BAD_SQL);
    buf_cleanup(&out);
    pool_close(f);
}

/* A result of 10M rows (about 1 GB encoded, far past the worker's memory budget of 576 MiB
 * were it held whole) streams: the worker stops fetching at the byte cap, answers
 * truncated_by "bytes", and the server's memory watch never has to kill it. The same worker
 * then serves the same text again from its prepared statement, with another limit. */
static void test_a_huge_result_streams_to_the_byte_cap_in_flat_memory(void **state)
{
    (void)state;
    struct pool_fixture *f = pool_open_rows(60, 1, 20000000);
    struct buf out;
    buf_init(&out, (1 << 20) + 65536);
    double kills = metric("\nda_query_worker_restarts_total ");
    const char *sql = "SELECT range AS n, repeat('x', 100) AS pad FROM range(10000000)";
    struct query_request req = {
        .user_id = "u1",
        .sql = sql,
        .limit = 10000000,
        .format = RESULT_JSON,
        .policy = { .admin = true, .table = no_tables },
    };
    struct query_outcome o;
    struct err err = { { 0 } };
    for (int i = 0; i < 2; i++) {
        buf_reset(&out);
        req.format = i ? RESULT_CSV : RESULT_JSON;
        assert_int_equal(query_run(f->engine, &req, &out, &o, &err), RC_OK);
        if (o.kind != QUERY_OK)
            fail_msg("%d: %s", o.kind, o.message);
        assert_true(o.stats.truncated);
        assert_string_equal(o.stats.truncated_by, "bytes");
        assert_true(o.stats.rows > 1000 && o.stats.rows < 20000);
        assert_true(o.stats.bytes <= 1 << 20);
        assert_true(out.len <= (1 << 20) + 65536);
        query_outcome_cleanup(&o);
    }
    assert_non_null(strstr(buf_cstr(&out), "\"n\",\"pad\"\r\n\"0\",\"xxx"));
    req.limit = 3;
    req.format = RESULT_JSON;
    buf_reset(&out);
    assert_int_equal(query_run(f->engine, &req, &out, &o, &err), RC_OK);
    assert_int_equal(o.kind, QUERY_OK);
    assert_int_equal(o.stats.rows, 3);
    assert_string_equal(o.stats.truncated_by, "rows");
    query_outcome_cleanup(&o);
    /* no worker was killed or restarted on the way */
    assert_true(metric("\nda_query_worker_restarts_total ") == kills);
    buf_cleanup(&out);
    pool_close(f);
}

static void test_hostile_workers_end_cleanly_and_are_replaced(void **state)
{
    (void)state;
    struct pool_fixture *f = pool_open(10, 1);
    struct buf out;
    buf_init(&out, (1 << 20) + 65536);
    struct err err = { { 0 } };
    /* the workers started from now on read their behaviour from the mode file */
    query_engine_stop(&f->engine);
    setenv("DA_TEST_FAKE_WORKER", f->fake_mode_file, 1);
    static const char *const pass[] = { "DA_TEST_FAKE_WORKER", NULL };
    struct query_engine_options qopt = {
        .catalog = f->catalog,
        .timeout_s = 10,
        .default_rows = 100,
        .max_rows = 1000,
        .max_bytes = 1 << 20,
        .max_concurrent = 8,
        .workers = 1,
        .memory_limit = "256MB",
        .worker_env = pass,
    };
    /* a secret of the server's environment never reaches a worker */
    setenv("JWT_SECRET_KEY", "server-only-secret", 1);
    assert_int_equal(query_engine_start(&qopt, &f->engine, &err), RC_OK);
    assert_int_equal(file_write_atomic(f->fake_mode_file, "env", 3, 0600, &err), RC_OK);
    assert_int_equal(run(f, "SELECT 1", &out), QUERY_OK);
    assert_string_equal(buf_cstr(&out), "no secret");
    unsetenv("JWT_SECRET_KEY");
    static const char *const modes[] = { "huge", "half", "garbage", "wrongtype", "exit" };
    for (size_t i = 0; i < ARRAY_LEN(modes); i++) {
        assert_int_equal(
            file_write_atomic(f->fake_mode_file, modes[i], strlen(modes[i]), 0600, &err), RC_OK);
        assert_int_equal(run(f, "SELECT 1", &out), QUERY_CRASHED);
        assert_int_equal(out.len, 0);
    }
    /* workers started from now on are real; the fake one still idle exits on its next query,
     * and the pool replaces it */
    assert_int_equal(file_write_atomic(f->fake_mode_file, "real", 4, 0600, &err), RC_OK);
    enum query_outcome_kind k = QUERY_CRASHED;
    for (int i = 0; i < 3 && k == QUERY_CRASHED; i++)
        k = run(f, "SELECT 7 AS x", &out);
    assert_int_equal(k, QUERY_OK);
    assert_non_null(strstr(buf_cstr(&out), "[[7]]"));
    unsetenv("DA_TEST_FAKE_WORKER");
    buf_cleanup(&out);
    pool_close(f);
}

struct running {
    struct pool_fixture *f;
    enum query_outcome_kind kind;
};

static void *run_slow(void *arg)
{
    struct running *r = arg;
    struct buf out;
    buf_init(&out, (1 << 20) + 65536);
    r->kind = run(r->f, "SELECT levenshtein(repeat('a', 300000), repeat('b', 300000))", &out);
    buf_cleanup(&out);
    return NULL;
}

static void test_shutdown_stops_a_running_query(void **state)
{
    (void)state;
    struct pool_fixture *f = pool_open(300, 2);
    struct running r = { f, QUERY_OK };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_slow, &r), 0);
    usleep(500 * 1000);
    query_engine_shutdown(f->engine);
    pthread_join(t, NULL); /* returns within a watch period, not after the query's 300 s */
    assert_int_equal(r.kind, QUERY_SHUTDOWN);
    struct buf out;
    buf_init(&out, 65536);
    assert_int_equal(run(f, "SELECT 1", &out), QUERY_SHUTDOWN);
    buf_cleanup(&out);
    pool_close(f);
}

struct short_lived {
    struct pool_fixture *f;
    enum query_outcome_kind kind;
};

static void *run_medium(void *arg)
{
    struct short_lived *r = arg;
    struct buf out;
    buf_init(&out, 65536);
    r->kind = run(r->f, "SELECT levenshtein(repeat('a', 15000), repeat('b', 15000)) AS d", &out);
    buf_cleanup(&out);
    return NULL;
}

/* Workers started while three queries ran at once, from threads that then ended, still serve:
 * PR_SET_PDEATHSIG fires when the thread that started a process ends, so only the supervisor
 * thread may start them (a connection thread did, and its worker died with it). */
static void test_workers_outlive_the_threads_whose_queries_needed_them(void **state)
{
    (void)state;
    struct pool_fixture *f = pool_open(60, 3);
    double restarts = metric("\nda_query_worker_restarts_total ");
    for (int round = 0; round < 2; round++) {
        struct short_lived r[3];
        pthread_t t[3];
        for (int i = 0; i < 3; i++) {
            r[i] = (struct short_lived){ f, QUERY_CRASHED };
            assert_int_equal(pthread_create(&t[i], NULL, run_medium, &r[i]), 0);
        }
        for (int i = 0; i < 3; i++) {
            pthread_join(t[i], NULL);
            assert_int_equal(r[i].kind, QUERY_OK);
        }
        usleep(200 * 1000);
    }
    assert_true(metric("\nda_query_worker_restarts_total ") == restarts);
    assert_true(metric("\nda_query_workers ") == 3);
    pool_close(f);
}

/* Sends one frame of type with body b to a worker; the frame must go. */
static void send_frame(int fd, enum wire_type type, const struct buf *b)
{
    const void *parts[] = { b->data };
    size_t lens[] = { b->len };
    struct err err = { { 0 } };
    assert_int_equal(wire_send(fd, type, parts, lens, 1, 0, &err), RC_OK);
}

/* The CPU limit a RUN frame carries holds by itself: a worker whose server never kills it
 * (here nobody watches it) is ended by the kernel once its query has used its CPU seconds. */
static void test_a_query_past_its_cpu_seconds_ends_its_worker(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (dup2(sv[1], QUERY_WORKER_FD) < 0)
            _exit(90);
        char ppid[24];
        snprintf(ppid, sizeof(ppid), "%d", (int)parent);
        char *argv[] = { (char *)QUERY_WORKER_COMMAND, ppid, (char *)"0", NULL };
        _exit(query_worker_main(3, argv));
    }
    close(sv[1]);
    struct buf b;
    buf_init(&b, 1 << 20);
    struct catalog_recipe r = { 0 };
    catalog_recipe_add(&r, "SET threads = 1", NULL, NULL);
    assert_int_equal(wire_encode_recipe(&b, 1, &r), RC_OK);
    catalog_recipe_cleanup(&r);
    send_frame(sv[0], WIRE_LOAD, &b);
    struct wire_in in = { 0 };
    struct err err = { { 0 } };
    assert_int_equal(wire_read(sv[0], &in, WIRE_FRAME_MAX, &err), RC_OK);
    assert_int_equal(in.type, WIRE_LOADED);
    buf_reset(&b);
    struct wire_run run = { RESULT_JSON,
                            10,
                            1000,
                            1 << 20,
                            1,
                            NULL,
                            "SELECT levenshtein(repeat('a', 200000), repeat('b', 200000))" };
    assert_int_equal(wire_encode_run(&b, &run), RC_OK);
    int64_t t0 = clock_mono_us();
    send_frame(sv[0], WIRE_RUN, &b);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    printf("# the worker ended %.1f s after its query started\n",
           (double)(clock_mono_us() - t0) / 1e6);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGXCPU);
    wire_in_reset(&in);
    buf_cleanup(&b);
    close(sv[0]);
}

/* ---- the fake worker ---- */

/* A worker that answers LOAD properly and misbehaves on RUN as the mode file says; started
 * while the mode is "real", it is a real worker. */
static int fake_worker(const char *mode_file, int argc, char **argv)
{
    char *start_mode = NULL;
    size_t start_len = 0;
    struct err start_err = { { 0 } };
    bool real = file_read_all(mode_file, 64, &start_mode, &start_len, &start_err) == RC_OK &&
                strcmp(start_mode, "real") == 0;
    free(start_mode);
    if (real)
        return query_worker_main(argc, argv);
    int fd = QUERY_WORKER_FD;
    struct wire_in in = { 0 };
    struct err err = { { 0 } };
    while (wire_read(fd, &in, WIRE_FRAME_MAX, &err) == RC_OK) {
        struct wire_result ok = { .status = WIRE_OK };
        struct buf head;
        buf_init(&head, 4096);
        if (wire_encode_result(&head, &ok) != RC_OK)
            return 1;
        if (in.type == WIRE_LOAD) {
            const void *parts[] = { head.data };
            size_t lens[] = { head.len };
            if (wire_send(fd, WIRE_LOADED, parts, lens, 1, 0, &err) != RC_OK)
                return 1;
            buf_cleanup(&head);
            continue;
        }
        char *mode = NULL;
        size_t len = 0;
        int code = 0; /* non-zero: end the process with it */
        if (file_read_all(mode_file, 64, &mode, &len, &err) != RC_OK) {
            code = 1;
        } else if (strcmp(mode, "huge") == 0) {
            uint32_t h[2] = { WIRE_RESULT, 0x7fffffffu };
            code = write(fd, h, sizeof(h)) < 0 ? 1 : (sleep(30), 0);
        } else if (strcmp(mode, "half") == 0) {
            uint32_t h[2] = { WIRE_RESULT, 1000 };
            code = write(fd, h, sizeof(h)) < 0 || write(fd, head.data, 10) < 0 ? 1 : 3;
        } else if (strcmp(mode, "garbage") == 0) {
            const void *parts[] = { "garbage!" };
            size_t lens[] = { 8 };
            code = wire_send(fd, WIRE_RESULT, parts, lens, 1, 0, &err) ? 1 : (sleep(30), 0);
        } else if (strcmp(mode, "wrongtype") == 0) {
            const void *parts[] = { head.data };
            size_t lens[] = { head.len };
            code = wire_send(fd, WIRE_LOAD, parts, lens, 1, 0, &err) ? 1 : (sleep(30), 0);
        } else if (strcmp(mode, "env") == 0) {
            const char *said = getenv("JWT_SECRET_KEY") ? "has the secret" : "no secret";
            struct wire_result res = { .status = WIRE_OK, .data = said, .data_len = strlen(said) };
            buf_reset(&head);
            const void *parts[] = { head.data, said };
            code = wire_encode_result(&head, &res) != RC_OK ? 1 : 0;
            parts[0] = head.data;
            size_t lens[] = { head.len, res.data_len };
            if (!code && wire_send(fd, WIRE_RESULT, parts, lens, 2, 0, &err) != RC_OK)
                code = 1;
        } else if (strcmp(mode, "exit") == 0) {
            code = 4;
        } else {
            code = 5; /* "real": make way for a real worker */
        }
        free(mode);
        buf_cleanup(&head);
        if (code) {
            wire_in_reset(&in);
            return code;
        }
    }
    wire_in_reset(&in);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], QUERY_WORKER_COMMAND) == 0) {
        const char *fake = getenv("DA_TEST_FAKE_WORKER");
        if (fake && *fake)
            return fake_worker(fake, argc - 1, argv + 1);
        return query_worker_main(argc - 1, argv + 1);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_claiming_too_much_is_refused_before_reading_it),
        cmocka_unit_test(test_frame_cut_short_is_an_error),
        cmocka_unit_test(test_result_payload_lengths_are_checked),
        cmocka_unit_test(test_run_frame_round_trip_and_refusals),
        cmocka_unit_test(test_recipe_round_trip_carries_the_token_for_the_replay_only),
        cmocka_unit_test(test_memory_sizes_parse_like_duckdb),
        cmocka_unit_test(test_a_huge_result_streams_to_the_byte_cap_in_flat_memory),
        cmocka_unit_test(test_worker_answers_and_is_replaced_after_a_deadline),
        cmocka_unit_test(test_hostile_workers_end_cleanly_and_are_replaced),
        cmocka_unit_test(test_shutdown_stops_a_running_query),
        cmocka_unit_test(test_workers_outlive_the_threads_whose_queries_needed_them),
        cmocka_unit_test(test_a_query_past_its_cpu_seconds_ends_its_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
