/* test_audit_writer.c — the group-commit audit writer: rows from many threads through a small
 * queue are each written exactly once; a row is durable when its call returns (a process that
 * dies right after, without closing the store, leaves every row on disk); a token's stamp goes
 * through the same commits; a store failure reaches every waiter and the writer recovers. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "helpers.h"
#include "store/audit_writer.h"
#include "store/identity_repo.h"
#include "store/store_int.h"

#define THREADS 8
#define ROWS    100

struct load {
    struct audit_writer *w;
    int thread;
    int failures;
};

static void *write_rows(void *arg)
{
    struct load *l = arg;
    for (int i = 0; i < ROWS; i++) {
        char target[32];
        snprintf(target, sizeof(target), "t%d-%d", l->thread, i);
        struct audit_entry e = { .action = "query", .target = target, .result = "ok" };
        struct err err;
        if (audit_writer_write(l->w, &e, &err) != RC_OK)
            l->failures++;
    }
    return NULL;
}

/* Runs THREADS threads of ROWS rows each through w; returns the failures. */
static int run_load(struct audit_writer *w)
{
    pthread_t t[THREADS];
    struct load l[THREADS];
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        l[i] = (struct load){ .w = w, .thread = i };
        assert_int_equal(pthread_create(&t[i], NULL, write_rows, &l[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        failures += l[i].failures;
    }
    return failures;
}

/* Asserts that the store at path holds every row of run_load exactly once. */
static void assert_every_row_once(const char *path)
{
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(path, 1, &s, &err), RC_OK);
    struct audit_filter flt = { .action = "query", .limit = 100000 };
    struct audit_row *rows = NULL;
    size_t len = 0;
    int64_t total = 0;
    assert_int_equal(audit_list(s, &flt, &rows, &len, &total, &err), RC_OK);
    assert_int_equal(total, THREADS * ROWS);
    static bool seen[THREADS][ROWS];
    memset(seen, 0, sizeof(seen));
    for (size_t i = 0; i < len; i++) {
        int t = -1, r = -1;
        assert_int_equal(sscanf(rows[i].target, "t%d-%d", &t, &r), 2);
        assert_true(t >= 0 && t < THREADS && r >= 0 && r < ROWS);
        assert_false(seen[t][r]);
        seen[t][r] = true;
    }
    free(rows);
    store_close(&s);
}

static void test_rows_from_many_threads_are_written_once(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", dir);
    struct store *s = NULL;
    struct audit_writer *w = NULL;
    struct err err;
    assert_int_equal(store_open(path, 4, &s, &err), RC_OK);
    assert_int_equal(audit_writer_start(s, 2, &w, &err), RC_OK); /* callers wait for room */
    assert_int_equal(run_load(w), 0);
    audit_writer_stop(&w);
    assert_null(w);
    audit_writer_stop(&w); /* twice is fine */
    store_close(&s);
    assert_every_row_once(path);
    test_rm_rf(dir);
    free(path);
    free(dir);
}

static void test_a_row_is_durable_when_its_call_returns(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the server: every call returns, then it dies without stopping the writer or
         * closing the store (no checkpoint, no clean shutdown) */
        struct store *s = NULL;
        struct audit_writer *w = NULL;
        struct err err;
        if (store_open(path, 4, &s, &err) || audit_writer_start(s, 64, &w, &err))
            _exit(2);
        _exit(run_load(w) == 0 ? 0 : 3);
    }
    int status = test_wait(pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_every_row_once(path);
    test_rm_rf(dir);
    free(path);
    free(dir);
}

static void test_a_token_stamp_is_committed_with_the_rows(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", dir);
    struct store *s = NULL;
    struct audit_writer *w = NULL;
    struct err err;
    assert_int_equal(store_open(path, 4, &s, &err), RC_OK);
    struct user u = { .active = true };
    snprintf(u.id, sizeof(u.id), "u1");
    snprintf(u.email, sizeof(u.email), "u1@example.com");
    snprintf(u.name, sizeof(u.name), "u1");
    snprintf(u.role, sizeof(u.role), "analyst");
    assert_int_equal(users_create(s, &u, NULL, NULL, &err), RC_OK);
    assert_int_equal(pats_create(s, "p1", "u1", "ci", "hash1", 4000000000, NULL, &err), RC_OK);
    assert_int_equal(audit_writer_start(s, 8, &w, &err), RC_OK);
    assert_int_equal(audit_writer_touch_pat(w, "hash1", "2026-01-02T03:04:05Z", &err), RC_OK);
    struct pat_info *pats = NULL;
    size_t n = 0;
    assert_int_equal(pats_list(s, "u1", &pats, &n, &err), RC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(pats[0].last_used_at, "2026-01-02T03:04:05Z");
    free(pats);
    audit_writer_stop(&w);
    store_close(&s);
    test_rm_rf(dir);
    free(path);
    free(dir);
}

static void rename_audit_log(struct store *s, const char *sql)
{
    sqlite3 *db = NULL;
    struct err err;
    assert_int_equal(store_conn_acquire(s, &db, &err), RC_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    store_conn_release(s, db);
}

static void test_a_store_failure_reaches_every_waiter(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", dir);
    struct store *s = NULL;
    struct audit_writer *w = NULL;
    struct err err;
    assert_int_equal(store_open(path, 4, &s, &err), RC_OK);
    assert_int_equal(audit_writer_start(s, 16, &w, &err), RC_OK);
    rename_audit_log(s, "ALTER TABLE audit_log RENAME TO audit_log_gone");
    assert_int_equal(run_load(w), THREADS * ROWS);
    rename_audit_log(s, "ALTER TABLE audit_log_gone RENAME TO audit_log");
    /* the writer goes on once the store does */
    struct audit_entry e = { .action = "download", .target = "x", .result = "ok" };
    assert_int_equal(audit_writer_write(w, &e, &err), RC_OK);
    audit_writer_stop(&w);
    store_close(&s);
    test_rm_rf(dir);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_from_many_threads_are_written_once),
        cmocka_unit_test(test_a_row_is_durable_when_its_call_returns),
        cmocka_unit_test(test_a_token_stamp_is_committed_with_the_rows),
        cmocka_unit_test(test_a_store_failure_reaches_every_waiter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
