/* test_core_query.c — the governed query as one call (core_query_run), without HTTP, through
 * real query workers (this test binary re-executed as `__query-worker`) on the demo extract
 * and a real state store: a table the principal may read answers; a table they may not read
 * is refused by the guard before any worker is asked (shown with an engine whose workers can
 * never start, where a readable query times out waiting for one); SQL the guard refuses is
 * refused; a bad request is RC_BADVALUE; every query leaves its audit row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/mem.h"
#include "core/access.h"
#include "core/query.h"
#include "data/dataplane.h"
#include "data/demo.h"
#include "helpers.h"
#include "query/worker.h"
#include "store/store_int.h"
#include "store_helpers.h"

struct fixture {
    char *dir;
    struct dataplane *dp;
    struct core core;
    struct principal admin, alice;
};

static struct query_engine *engine_start(struct catalog *cat, const char *exe, int timeout_s)
{
    struct query_engine_options opt = {
        .catalog = cat,
        .timeout_s = timeout_s,
        .default_rows = 100,
        .max_rows = 1000,
        .max_bytes = 1 << 20,
        .max_concurrent = 8,
        .workers = 2,
        .memory_limit = "256MB",
        .worker_exe = exe,
    };
    struct query_engine *e = NULL;
    struct err err = { { 0 } };
    if (query_engine_start(&opt, &e, &err) != RC_OK)
        fail_msg("query_engine_start: %s", err.msg);
    return e;
}

static int group_setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err = { { 0 } };
    struct demo_result demo = { 0 };
    f->dir = test_tmpdir();
    char *state_dir = xasprintf("%s/state", f->dir);
    char *db = xasprintf("%s/system.sqlite", state_dir);
    assert_int_equal(mkdir(state_dir, 0700), 0);
    assert_int_equal(store_open(db, 4, &f->core.store, &err), RC_OK);
    free(db);
    free(state_dir);
    if (demo_ensure(f->dir, 1, &demo, &err) != RC_OK)
        fail_msg("demo_ensure: %s", err.msg);
    struct dataplane_options dopt = {
        .data_dir = f->dir, .store = f->core.store, .memory_limit = "256MB", .threads = 1
    };
    if (dataplane_start(&dopt, &f->dp, &err) != RC_OK)
        fail_msg("dataplane_start: %s", err.msg);
    f->core.data_dir = f->dir;
    f->core.dataplane = f->dp;
    f->core.engine = engine_start(dataplane_catalog(f->dp), NULL, 30);

    f->admin.user = test_user("admin1", "admin@example.com", "admin");
    f->alice.user = test_user("alice1", "alice@example.com", "analyst");
    assert_int_equal(users_create(f->core.store, &f->admin.user, NULL, NULL, &err), RC_OK);
    assert_int_equal(users_create(f->core.store, &f->alice.user, NULL, NULL, &err), RC_OK);
    test_register_table(f->core.store, "products", "shop", false);
    test_register_table(f->core.store, "customers", "shop", false);
    struct core_grant g = { .user_id = "alice1", .dataset = "products" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_OK);
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    struct fixture *f = *state;
    query_engine_stop(&f->core.engine);
    dataplane_stop(&f->dp);
    store_close(&f->core.store);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Runs sql as p (JSON); returns the outcome kind, with the body in out and the message in msg. */
static enum query_outcome_kind run_as(struct core *core, const struct principal *p, const char *sql,
                                      struct buf *out, char msg[512])
{
    struct core_query q = { .sql = sql, .format = RESULT_JSON };
    struct query_outcome o;
    struct err err = { { 0 } };
    buf_reset(out);
    enum rc rc = core_query_run(core, p, "test", &q, out, &o, &err);
    if (rc)
        fail_msg("core_query_run %s: %s (%s)", sql, err.msg, rc_str(rc));
    enum query_outcome_kind k = o.kind;
    snprintf(msg, 512, "%s", o.message);
    query_outcome_cleanup(&o);
    return k;
}

/* The newest audit row of action "query". */
static struct audit_row last_query_audit(struct fixture *f, int64_t *out_total)
{
    struct audit_filter filter = { .action = "query", .limit = 1 };
    struct audit_row *rows = NULL;
    size_t len = 0;
    struct err err;
    assert_int_equal(audit_list(f->core.store, &filter, &rows, &len, out_total, &err), RC_OK);
    assert_int_equal(len, 1);
    struct audit_row r = rows[0];
    free(rows);
    return r;
}

static void test_a_readable_table_answers_and_is_audited(void **state)
{
    struct fixture *f = *state;
    struct buf out;
    char msg[512];
    buf_init(&out, (1 << 20) + 65536);
    assert_int_equal(
        run_as(&f->core, &f->alice, "SELECT count(*) > 0 AS some FROM products", &out, msg),
        QUERY_OK);
    assert_non_null(strstr(buf_cstr(&out), "\"rows\":[[true]]"));
    int64_t total = 0;
    struct audit_row r = last_query_audit(f, &total);
    assert_string_equal(r.actor_id, "alice1");
    assert_string_equal(r.target, "products");
    assert_string_equal(r.result, "ok");
    assert_string_equal(r.ip, "test");
    assert_non_null(strstr(r.detail, "rows=1"));
    /* an admin reads what no grant gives */
    assert_int_equal(
        run_as(&f->core, &f->admin, "SELECT count(*) > 0 AS some FROM customers", &out, msg),
        QUERY_OK);
    buf_cleanup(&out);
}

static void test_an_unreadable_table_is_refused_before_the_engine_runs(void **state)
{
    struct fixture *f = *state;
    struct buf out;
    char msg[512];
    buf_init(&out, (1 << 20) + 65536);
    int64_t before = 0, after = 0;
    (void)last_query_audit(f, &before);
    assert_int_equal(run_as(&f->core, &f->alice,
                            "SELECT p.* FROM products p JOIN customers c ON true", &out, msg),
                     QUERY_FORBIDDEN);
    assert_non_null(strstr(msg, "customers"));
    assert_int_equal(out.len, 0);
    struct audit_row r = last_query_audit(f, &after);
    assert_int_equal(after, before + 1); /* refused, and recorded */
    assert_string_equal(r.result, "forbidden");
    assert_non_null(strstr(r.detail, "customers"));

    /* An engine whose workers can never start: a readable query waits for one until its
     * deadline, the unreadable one is answered by the guard alone. */
    struct core lame = f->core;
    lame.engine = engine_start(dataplane_catalog(f->dp), "/nonexistent/da", 1);
    assert_int_equal(run_as(&lame, &f->alice, "SELECT * FROM customers", &out, msg),
                     QUERY_FORBIDDEN);
    assert_int_equal(run_as(&lame, &f->alice, "SELECT * FROM products", &out, msg), QUERY_TIMEOUT);
    query_engine_stop(&lame.engine);
    buf_cleanup(&out);
}

static void test_refused_sql_is_refused(void **state)
{
    struct fixture *f = *state;
    struct buf out;
    char msg[512];
    buf_init(&out, (1 << 20) + 65536);
    assert_int_equal(run_as(&f->core, &f->admin, "DELETE FROM products", &out, msg), QUERY_BAD_SQL);
    assert_int_equal(
        run_as(&f->core, &f->admin, "SELECT * FROM read_csv('/etc/passwd')", &out, msg),
        QUERY_BAD_SQL);
    assert_non_null(strstr(msg, "read_csv"));
    int64_t total = 0;
    struct audit_row r = last_query_audit(f, &total);
    assert_string_equal(r.result, "bad_sql");
    assert_string_equal(r.actor_id, "admin1");

    /* requests the rules refuse outright: not run, not audited */
    struct core_query q = { .sql = "", .format = RESULT_JSON };
    struct query_outcome o = { .parquet_fd = -1 };
    struct err err = { { 0 } };
    assert_int_equal(core_query_run(&f->core, &f->alice, "test", &q, &out, &o, &err), RC_BADVALUE);
    q = (struct core_query){ .sql = "SELECT 1", .limit = -1, .format = RESULT_JSON };
    assert_int_equal(core_query_run(&f->core, &f->alice, "test", &q, &out, &o, &err), RC_BADVALUE);
    assert_string_equal(err.msg, "limit must not be negative");
    query_outcome_cleanup(&o);
    int64_t again = 0;
    (void)last_query_audit(f, &again);
    assert_int_equal(again, total);
    buf_cleanup(&out);
}

/* Runs one statement on the fixture's store (to break and mend the audit table). */
static void store_sql(struct fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    struct err err;
    assert_int_equal(store_conn_acquire(f->core.store, &db, &err), RC_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    store_conn_release(f->core.store, db);
}

/* A query whose audit row cannot be written is not answered: governed means on record. */
static void test_no_answer_without_its_audit_row(void **state)
{
    struct fixture *f = *state;
    struct buf out;
    buf_init(&out, (1 << 20) + 65536);
    struct core_query q = { .sql = "SELECT count(*) AS n FROM products", .format = RESULT_JSON };
    struct query_outcome o = { .parquet_fd = -1 };
    struct err err = { { 0 } };
    store_sql(f, "ALTER TABLE audit_log RENAME TO audit_log_away");
    enum rc rc = core_query_run(&f->core, &f->alice, "test", &q, &out, &o, &err);
    store_sql(f, "ALTER TABLE audit_log_away RENAME TO audit_log");
    assert_int_equal(rc, RC_BUSY);
    assert_int_equal(out.len, 0);
    assert_non_null(strstr(err.msg, "audit log"));
    query_outcome_cleanup(&o);
    /* with the log back, the same query answers */
    o = (struct query_outcome){ .parquet_fd = -1 };
    assert_int_equal(core_query_run(&f->core, &f->alice, "test", &q, &out, &o, &err), RC_OK);
    assert_int_equal(o.kind, QUERY_OK);
    assert_true(out.len > 0);
    query_outcome_cleanup(&o);
    buf_cleanup(&out);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], QUERY_WORKER_COMMAND) == 0)
        return query_worker_main(argc - 1, argv + 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_readable_table_answers_and_is_audited),
        cmocka_unit_test(test_an_unreadable_table_is_refused_before_the_engine_runs),
        cmocka_unit_test(test_refused_sql_is_refused),
        cmocka_unit_test(test_no_answer_without_its_audit_row),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
