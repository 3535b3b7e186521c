/* test_store.c — unit tests of src/store: migrations, integrity, the connection pool and the
 * server_meta repository, on real SQLite files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "helpers.h"
#include "store/store_int.h"

struct fixture {
    char *dir;
    char *path;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    f->dir = test_tmpdir();
    f->path = xasprintf("%s/system.sqlite", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    test_rm_rf(f->dir);
    free(f->dir);
    free(f->path);
    free(f);
    return 0;
}

static int count_rows(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void exec_raw(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_open_migrates_once(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(f->path, 2, &s, &err), RC_OK);
    assert_int_equal(store_schema_version(s), store_schema_latest());
    assert_true(store_schema_latest() >= 1);
    store_close(&s);
    assert_null(s);
    int applied = count_rows(f->path, "SELECT count(*) FROM schema_migrations");
    assert_int_equal(applied, store_schema_latest());
    /* reopening applies nothing again */
    assert_int_equal(store_open(f->path, 2, &s, &err), RC_OK);
    store_close(&s);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM schema_migrations"), applied);
}

static void test_close_leaves_no_wal(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(f->path, 4, &s, &err), RC_OK);
    assert_int_equal(store_meta_set(s, "k", "v", &err), RC_OK);
    char *wal = xasprintf("%s-wal", f->path);
    char *shm = xasprintf("%s-shm", f->path);
    assert_true(file_exists(wal)); /* WAL mode is on */
    store_close(&s);
    assert_false(file_exists(wal));
    assert_false(file_exists(shm));
    free(wal);
    free(shm);
}

static void test_refuses_newer_schema(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(f->path, 1, &s, &err), RC_OK);
    store_close(&s);
    exec_raw(f->path, "INSERT INTO schema_migrations VALUES (999, 'future', 'x')");
    assert_int_equal(store_open(f->path, 1, &s, &err), RC_CONFLICT);
    assert_null(s);
    assert_non_null(strstr(err.msg, "999"));
    assert_non_null(strstr(err.msg, "upgrade da"));
}

static void test_refuses_a_file_that_is_not_a_database(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    char junk[8192];
    memset(junk, 'j', sizeof(junk));
    assert_int_equal(file_write_atomic(f->path, junk, sizeof(junk), 0600, &err), RC_OK);
    assert_int_not_equal(store_open(f->path, 1, &s, &err), RC_OK);
    assert_null(s);
    assert_non_null(strstr(err.msg, f->path));
}

static void test_failed_migration_rolls_back(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    /* a table in the way of step 1 makes it fail: nothing of the run may stay */
    exec_raw(f->path, "CREATE TABLE server_meta(x)");
    assert_int_equal(store_open(f->path, 1, &s, &err), RC_DB);
    assert_non_null(strstr(err.msg, "server_meta"));
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                         "'schema_migrations'"),
                     0);
}

static void test_meta_get_set_and_init(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    char *v = NULL;
    assert_int_equal(store_open(f->path, 2, &s, &err), RC_OK);
    assert_int_equal(store_meta_get(s, "missing", &v, &err), RC_NOTFOUND);
    assert_null(v);
    assert_int_equal(store_meta_set(s, "a", "1", &err), RC_OK);
    assert_int_equal(store_meta_set(s, "a", "2", &err), RC_OK);
    assert_int_equal(store_meta_get(s, "a", &v, &err), RC_OK);
    assert_string_equal(v, "2");
    free(v);
    assert_int_equal(store_meta_get_or_init(s, "id", "first", &v, &err), RC_OK);
    assert_string_equal(v, "first");
    free(v);
    assert_int_equal(store_meta_get_or_init(s, "id", "second", &v, &err), RC_OK);
    assert_string_equal(v, "first");
    free(v);
    /* values with quotes are bound, not pasted */
    assert_int_equal(store_meta_set(s, "q", "it's \"x\"; DROP TABLE server_meta; --", &err),
                     RC_OK);
    assert_int_equal(store_meta_get(s, "q", &v, &err), RC_OK);
    assert_string_equal(v, "it's \"x\"; DROP TABLE server_meta; --");
    free(v);
    store_close(&s);
}

static void test_connections_enforce_foreign_keys(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(f->path, 3, &s, &err), RC_OK);
    sqlite3 *db = store_conn_acquire(s);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA foreign_keys", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    store_conn_release(s, db);
    store_close(&s);
}

struct writer_arg {
    struct store *store;
    int id;
    int failures;
};

static void *writer(void *p)
{
    struct writer_arg *a = p;
    for (int i = 0; i < 50; i++) {
        char key[32], val[32];
        snprintf(key, sizeof(key), "w%d-%d", a->id, i);
        snprintf(val, sizeof(val), "%d", i);
        struct err err;
        if (store_meta_set(a->store, key, val, &err) != RC_OK)
            a->failures++;
    }
    return NULL;
}

static void test_concurrent_writers_through_the_pool(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(f->path, 3, &s, &err), RC_OK);
    pthread_t threads[6];
    struct writer_arg args[6];
    for (int i = 0; i < 6; i++) {
        args[i] = (struct writer_arg){ s, i, 0 };
        assert_int_equal(pthread_create(&threads[i], NULL, writer, &args[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    store_close(&s);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM server_meta"), 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_migrates_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_leaves_no_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_a_file_that_is_not_a_database, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_get_set_and_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connections_enforce_foreign_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_through_the_pool, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
