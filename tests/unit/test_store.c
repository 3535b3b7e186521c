/* test_store.c — unit tests of src/store: migrations, integrity, the connection pool and the
 * server_meta repository, on real SQLite files. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "helpers.h"
#include "store/access_repo.h"
#include "store/identity_repo.h"
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
    assert_int_equal(store_meta_set(s, "q", "it's \"x\"; DROP TABLE server_meta; --", &err), RC_OK);
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
    sqlite3 *db = NULL;
    assert_int_equal(store_conn_acquire(s, &db, &err), RC_OK);
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

static struct user make_user(const char *id, const char *email, const char *role)
{
    struct user u = { .active = true };
    snprintf(u.id, sizeof(u.id), "%s", id);
    snprintf(u.email, sizeof(u.email), "%s", email);
    snprintf(u.name, sizeof(u.name), "%s", "Name");
    snprintf(u.role, sizeof(u.role), "%s", role);
    return u;
}

static void test_users_unique_email_and_last_admin(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(f->path, 2, &s, &err), RC_OK);
    struct user a = make_user("a1", "Boss@Example.com", "admin");
    struct user b = make_user("b1", "boss@example.COM", "analyst");
    assert_int_equal(users_create(s, &a, NULL, NULL, &err), RC_OK);
    assert_int_equal(users_create(s, &b, NULL, NULL, &err), RC_CONFLICT);
    struct user got;
    assert_int_equal(users_get_by_email(s, "BOSS@example.com", &got, NULL, &err), RC_OK);
    assert_string_equal(got.id, "a1");
    assert_string_equal(got.email, "Boss@Example.com");
    /* the only admin */
    assert_int_equal(users_update(s, "a1", NULL, "analyst", -1, -1, NULL, &err), RC_CONFLICT);
    assert_int_equal(users_update(s, "a1", NULL, NULL, 0, -1, NULL, &err), RC_CONFLICT);
    assert_int_equal(users_delete(s, "a1", NULL, &err), RC_CONFLICT);
    assert_int_equal(users_get(s, "a1", &got, &err), RC_OK);
    assert_string_equal(got.role, "admin"); /* the refused change left nothing behind */
    assert_true(got.active);
    /* with a second admin the first may go */
    struct user c = make_user("c1", "c@example.com", "admin");
    assert_int_equal(users_create(s, &c, NULL, NULL, &err), RC_OK);
    assert_int_equal(users_delete(s, "a1", NULL, &err), RC_OK);
    assert_int_equal(users_get(s, "a1", &got, &err), RC_NOTFOUND);
    assert_int_equal(users_update(s, "nope", "x", NULL, -1, -1, NULL, &err), RC_NOTFOUND);
    store_close(&s);
}

static void test_first_admin_only_once(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(f->path, 2, &s, &err), RC_OK);
    struct user a = make_user("a1", "a@example.com", "admin");
    struct user b = make_user("b1", "b@example.com", "admin");
    assert_int_equal(users_create_first_admin(s, &a, "h", NULL, &err), RC_OK);
    assert_int_equal(users_create_first_admin(s, &b, "h", NULL, &err), RC_FORBIDDEN);
    int64_t total = 0, admins = 0;
    assert_int_equal(users_count(s, &total, &admins, &err), RC_OK);
    assert_int_equal(total, 1);
    assert_int_equal(admins, 1);
    store_close(&s);
}

static void test_sessions_revocation_and_cascade(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    struct user got;
    assert_int_equal(store_open(f->path, 2, &s, &err), RC_OK);
    struct user a = make_user("a1", "a@example.com", "admin");
    struct user b = make_user("b1", "b@example.com", "analyst");
    assert_int_equal(users_create(s, &a, NULL, NULL, &err), RC_OK);
    assert_int_equal(users_create(s, &b, NULL, NULL, &err), RC_OK);
    assert_int_equal(sessions_create(s, "j1", "b1", 2000, "ip", "password", NULL, &err), RC_OK);
    assert_int_equal(sessions_create(s, "j2", "b1", 2000, "ip", "password", NULL, &err), RC_OK);
    assert_int_equal(sessions_user(s, "j1", 1000, &got, &err), RC_OK);
    assert_string_equal(got.id, "b1");
    assert_int_equal(sessions_user(s, "j1", 2000, &got, &err), RC_UNAUTHORIZED); /* expired */
    int n = 0;
    assert_int_equal(sessions_revoke(s, "b1", "j1", NULL, &n, &err), RC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sessions_user(s, "j1", 1000, &got, &err), RC_UNAUTHORIZED);
    assert_int_equal(sessions_revoke(s, "a1", "j2", NULL, &n, &err), RC_NOTFOUND); /* not a1's */
    assert_int_equal(users_update(s, "b1", NULL, NULL, 0, -1, NULL, &err), RC_OK);
    assert_int_equal(sessions_user(s, "j2", 1000, &got, &err), RC_UNAUTHORIZED); /* inactive */
    assert_int_equal(users_update(s, "b1", NULL, NULL, 1, -1, NULL, &err), RC_OK);
    assert_int_equal(pats_create(s, "p1", "b1", "cli", "hash1", 5000, NULL, &err), RC_OK);
    assert_int_equal(pats_user(s, "hash1", 1000, &got, &err), RC_OK);
    assert_int_equal(users_delete(s, "b1", NULL, &err), RC_OK);
    assert_int_equal(sessions_user(s, "j2", 1000, &got, &err), RC_UNAUTHORIZED);
    assert_int_equal(pats_user(s, "hash1", 1000, &got, &err), RC_UNAUTHORIZED);
    assert_int_equal(count_rows(f->path, "SELECT count(*) FROM sessions"), 0);
    store_close(&s);
}

struct consumer_arg {
    struct store *store;
    int wins;
};

static void *consume(void *p)
{
    struct consumer_arg *a = p;
    char user[USER_ID_LEN + 1];
    struct err err;
    if (one_time_consume(a->store, "tok", "setup", 100, user, &err) == RC_OK)
        a->wins++;
    return NULL;
}

static void test_one_time_tokens_are_spent_once(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    char user[USER_ID_LEN + 1];
    assert_int_equal(store_open(f->path, 4, &s, &err), RC_OK);
    struct user a = make_user("a1", "a@example.com", "admin");
    assert_int_equal(users_create(s, &a, NULL, NULL, &err), RC_OK);
    assert_int_equal(one_time_create(s, "tok", "setup", "a1", 200, &err), RC_OK);
    assert_int_equal(one_time_consume(s, "tok", "magic_link", 100, user, &err), RC_UNAUTHORIZED);
    pthread_t t[4];
    struct consumer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct consumer_arg){ s, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, consume, &args[i]), 0);
    }
    int wins = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        wins += args[i].wins;
    }
    assert_int_equal(wins, 1);
    assert_int_equal(one_time_create(s, "old", "setup", "a1", 50, &err), RC_OK);
    assert_int_equal(one_time_consume(s, "old", "setup", 100, user, &err), RC_UNAUTHORIZED);
    store_close(&s);
}

static void test_grants_groups_and_requests(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    bool ok = false;
    assert_int_equal(store_open(f->path, 2, &s, &err), RC_OK);
    struct user a = make_user("a1", "a@example.com", "analyst");
    assert_int_equal(users_create(s, &a, NULL, NULL, &err), RC_OK);
    struct table_entry t = { .is_public = false };
    snprintf(t.id, sizeof(t.id), "customers");
    snprintf(t.name, sizeof(t.name), "customers");
    snprintf(t.bucket, sizeof(t.bucket), "crm");
    assert_int_equal(tables_register(s, &t, "test", NULL, &err), RC_OK);
    assert_int_equal(tables_register(s, &t, "test", NULL, &err), RC_CONFLICT);
    assert_int_equal(store_user_may_read(s, "a1", "customers", &ok, &err), RC_OK);
    assert_false(ok);
    assert_int_equal(store_user_may_read(s, "a1", "unknown", &ok, &err), RC_OK);
    assert_false(ok);
    /* a bucket grant */
    assert_int_equal(grants_add(s, "a1", NULL, "crm.*", "admin", NULL, &err), RC_OK);
    assert_int_equal(store_user_may_read(s, "a1", "customers", &ok, &err), RC_OK);
    assert_true(ok);
    bool removed = false;
    assert_int_equal(grants_remove(s, "a1", NULL, "crm.*", NULL, &removed, &err), RC_OK);
    assert_true(removed);
    assert_int_equal(store_user_may_read(s, "a1", "customers", &ok, &err), RC_OK);
    assert_false(ok);
    /* a group grant */
    assert_int_equal(groups_create(s, "g1", "sales", NULL, &err), RC_OK);
    assert_int_equal(grants_add(s, NULL, "g1", "customers", "admin", NULL, &err), RC_OK);
    assert_int_equal(store_user_may_read(s, "a1", "customers", &ok, &err), RC_OK);
    assert_false(ok);
    assert_int_equal(groups_add_member(s, "g1", "a1", NULL, &err), RC_OK);
    assert_int_equal(store_user_may_read(s, "a1", "customers", &ok, &err), RC_OK);
    assert_true(ok);
    assert_int_equal(groups_remove_member(s, "g1", "a1", NULL, &err), RC_OK);
    assert_int_equal(grants_add(s, "nobody", NULL, "customers", "admin", NULL, &err), RC_NOTFOUND);
    /* requests: only for existing tables, one pending at a time, approval grants exactly it */
    assert_int_equal(requests_create(s, "r0", "a1", "nope", "", NULL, &err), RC_NOTFOUND);
    assert_int_equal(requests_create(s, "r1", "a1", "customers", "why", NULL, &err), RC_OK);
    assert_int_equal(requests_create(s, "r2", "a1", "customers", "again", NULL, &err), RC_CONFLICT);
    assert_int_equal(requests_decide(s, "r1", true, "boss@example.com", NULL, &err), RC_OK);
    assert_int_equal(requests_decide(s, "r1", false, "boss@example.com", NULL, &err), RC_NOTFOUND);
    assert_int_equal(store_user_may_read(s, "a1", "customers", &ok, &err), RC_OK);
    assert_true(ok);
    struct grant *g = NULL;
    size_t len = 0;
    assert_int_equal(grants_list(s, "a1", &g, &len, &err), RC_OK);
    assert_int_equal(len, 1);
    assert_string_equal(g[0].dataset, "customers");
    free(g);
    store_close(&s);
}

static void test_audit_is_written_with_the_change_or_not_at_all(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    struct err err;
    assert_int_equal(store_open(f->path, 2, &s, &err), RC_OK);
    struct user a = make_user("a1", "a@example.com", "admin");
    struct audit_entry e = {
        .actor_id = "x", .action = "user.create", .target = "a@example.com", .result = "ok"
    };
    assert_int_equal(users_create(s, &a, NULL, &e, &err), RC_OK);
    /* an audit row that cannot be written (result is NOT NULL) fails the change with it */
    struct user b = make_user("b1", "b@example.com", "analyst");
    struct audit_entry broken = { .action = "user.create" };
    assert_int_not_equal(users_create(s, &b, NULL, &broken, &err), RC_OK);
    struct user got;
    assert_int_equal(users_get(s, "b1", &got, &err), RC_NOTFOUND);
    struct audit_filter flt = { .action = "user.create", .limit = 10 };
    struct audit_row *rows = NULL;
    size_t len = 0;
    int64_t total = 0;
    assert_int_equal(audit_list(s, &flt, &rows, &len, &total, &err), RC_OK);
    assert_int_equal(total, 1);
    assert_int_equal(len, 1);
    assert_string_equal(rows[0].target, "a@example.com");
    free(rows);
    store_close(&s);
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
        cmocka_unit_test_setup_teardown(test_concurrent_writers_through_the_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users_unique_email_and_last_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_admin_only_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions_revocation_and_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_time_tokens_are_spent_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grants_groups_and_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_is_written_with_the_change_or_not_at_all, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
