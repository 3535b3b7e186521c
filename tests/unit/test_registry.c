/* test_registry.c — unit tests of the table registry repository (store/registry_repo.h) on a real
 * SQLite file: register, read, list, update (clearing a field), delete with everything keyed
 * by the table id, duplicates; and the schedule and primary-key rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "helpers.h"
#include "store/access_repo.h"
#include "store/identity_repo.h"
#include "store/registry_repo.h"
#include "store/store_int.h"

struct fixture {
    char *dir;
    struct store *s;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err;
    f->dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", f->dir);
    int rc = store_open(path, 2, &f->s, &err);
    free(path);
    *state = f;
    return rc;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(&f->s);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* A row as POST /api/admin/register-table would make it, with the defaults. */
static struct registry_table make_table(const char *id, const char *name)
{
    struct registry_table t = { .profile_after_sync = true };
    snprintf(t.id, sizeof(t.id), "%s", id);
    snprintf(t.name, sizeof(t.name), "%s", name);
    snprintf(t.sync_strategy, sizeof(t.sync_strategy), "full_refresh");
    snprintf(t.query_mode, sizeof(t.query_mode), "local");
    snprintf(t.registered_by, sizeof(t.registered_by), "admin@example.com");
    return t;
}

/* Runs one statement on a pooled connection (for rows other modules own). */
static void exec_sql(struct store *s, const char *sql)
{
    struct err err;
    sqlite3 *db = NULL;
    assert_int_equal(store_conn_acquire(s, &db, &err), RC_OK);
    enum rc rc = store_run(db, sql, NULL, NULL, &err);
    store_conn_release(s, db);
    assert_int_equal(rc, RC_OK);
}

static int count(struct store *s, const char *sql)
{
    struct err err;
    sqlite3 *db = NULL;
    assert_int_equal(store_conn_acquire(s, &db, &err), RC_OK);
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (store_prepare(db, sql, NULL, &st, &err) == RC_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    store_conn_release(s, db);
    return n;
}

static void test_register_get_list(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct registry_table t = make_table("orders", "Orders");
    snprintf(t.primary_key, sizeof(t.primary_key), "order_id");
    snprintf(t.description, sizeof(t.description), "it's \"quoted\"; DROP TABLE grants; --");
    struct audit_entry audit = { .action = "table.register", .target = "orders", .result = "ok" };
    assert_int_equal(registry_create(f->s, &t, &audit, &err), RC_OK);
    struct registry_table a = make_table("accounts", "Accounts");
    a.is_public = true;
    assert_int_equal(registry_create(f->s, &a, NULL, &err), RC_OK);

    struct registry_table got;
    assert_int_equal(registry_get(f->s, "orders", &got, &err), RC_OK);
    assert_string_equal(got.name, "Orders");
    assert_string_equal(got.primary_key, "order_id");
    assert_string_equal(got.description, t.description);
    assert_string_equal(got.sync_strategy, "full_refresh");
    assert_string_equal(got.query_mode, "local");
    assert_string_equal(got.registered_by, "admin@example.com");
    assert_string_equal(got.folder, "");
    assert_string_equal(got.updated_at, "");
    assert_true(got.profile_after_sync);
    assert_false(got.is_public);
    assert_int_equal(strlen(got.registered_at), 24); /* 2026-01-02T03:04:05.678Z */
    /* optional fields left empty are NULL in the database, not "" */
    assert_int_equal(count(f->s, "SELECT count(*) FROM table_registry WHERE folder IS NULL"), 2);
    assert_int_equal(count(f->s, "SELECT count(*) FROM audit_log WHERE action = 'table.register'"
                                 " AND target = 'orders'"),
                     1);

    assert_int_equal(registry_get(f->s, "ORDERS", &got, &err), RC_NOTFOUND);
    assert_string_equal(err.msg, "Table not found");

    struct registry_table *rows = NULL;
    size_t len = 0;
    assert_int_equal(registry_list(f->s, &rows, &len, &err), RC_OK);
    assert_int_equal(len, 2);
    assert_string_equal(rows[0].id, "accounts"); /* by name */
    assert_true(rows[0].is_public);
    assert_string_equal(rows[1].id, "orders");
    free(rows);
}

static void test_duplicate_is_conflict(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct registry_table t = make_table("orders", "Orders");
    assert_int_equal(registry_create(f->s, &t, NULL, &err), RC_OK);
    struct audit_entry audit = { .action = "table.register", .target = "orders", .result = "ok" };
    snprintf(t.name, sizeof(t.name), "Other");
    assert_int_equal(registry_create(f->s, &t, &audit, &err), RC_CONFLICT);
    assert_string_equal(err.msg, "Table 'orders' already registered");
    struct registry_table got;
    assert_int_equal(registry_get(f->s, "orders", &got, &err), RC_OK);
    assert_string_equal(got.name, "Orders");
    assert_int_equal(count(f->s, "SELECT count(*) FROM audit_log"), 0); /* no change, no record */
}

static void test_update_sets_and_clears(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct registry_table t = make_table("orders", "Orders");
    snprintf(t.folder, sizeof(t.folder), "sales");
    snprintf(t.sync_schedule, sizeof(t.sync_schedule), "every 15m");
    assert_int_equal(registry_create(f->s, &t, NULL, &err), RC_OK);
    struct registry_table before;
    assert_int_equal(registry_get(f->s, "orders", &before, &err), RC_OK);

    /* clear folder, change the strategy and is_public; leave the schedule alone */
    struct registry_change c = { .given = 1u << REG_FOLDER | 1u << REG_SYNC_STRATEGY |
                                          1u << REG_IS_PUBLIC };
    snprintf(c.v.sync_strategy, sizeof(c.v.sync_strategy), "incremental");
    c.v.is_public = true;
    snprintf(c.v.sync_schedule, sizeof(c.v.sync_schedule), "daily 01:00"); /* not given */
    struct audit_entry audit = { .action = "table.update", .target = "orders", .result = "ok" };
    struct registry_table out;
    assert_int_equal(registry_update(f->s, "orders", &c, &audit, &out, &err), RC_OK);
    assert_string_equal(out.sync_strategy, "incremental");

    struct registry_table got;
    assert_int_equal(registry_get(f->s, "orders", &got, &err), RC_OK);
    assert_string_equal(got.folder, "");
    assert_string_equal(got.sync_strategy, "incremental");
    assert_string_equal(got.sync_schedule, "every 15m");
    assert_true(got.is_public);
    assert_string_equal(got.name, "Orders");
    assert_string_equal(got.registered_at, before.registered_at);
    assert_string_equal(got.registered_by, "admin@example.com");
    assert_int_not_equal(strlen(got.updated_at), 0);
    assert_int_equal(count(f->s, "SELECT count(*) FROM table_registry WHERE folder IS NULL"), 1);
    assert_int_equal(count(f->s, "SELECT count(*) FROM audit_log WHERE action = 'table.update'"),
                     1);

    assert_int_equal(registry_update(f->s, "nope", &c, &audit, NULL, &err), RC_NOTFOUND);
    assert_string_equal(err.msg, "Table not found");
    assert_int_equal(count(f->s, "SELECT count(*) FROM audit_log"), 1);
}

static void test_delete_takes_what_hangs_off_the_id(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct user u = { .active = true };
    snprintf(u.id, sizeof(u.id), "u1");
    snprintf(u.email, sizeof(u.email), "u@example.com");
    snprintf(u.name, sizeof(u.name), "U");
    snprintf(u.role, sizeof(u.role), "analyst");
    assert_int_equal(users_create(f->s, &u, NULL, NULL, &err), RC_OK);
    struct registry_table t = make_table("orders", "Orders");
    snprintf(t.bucket, sizeof(t.bucket), "sales");
    assert_int_equal(registry_create(f->s, &t, NULL, &err), RC_OK);
    struct registry_table other = make_table("orders_2", "Orders 2");
    assert_int_equal(registry_create(f->s, &other, NULL, &err), RC_OK);

    assert_int_equal(grants_add(f->s, "u1", NULL, "orders", "admin", NULL, &err), RC_OK);
    assert_int_equal(grants_add(f->s, "u1", NULL, "orders_2", "admin", NULL, &err), RC_OK);
    assert_int_equal(grants_add(f->s, "u1", NULL, "sales.*", "admin", NULL, &err), RC_OK);
    assert_int_equal(requests_create(f->s, "r1", "u1", "orders", "why", NULL, &err), RC_OK);
    exec_sql(f->s, "INSERT INTO access_requests(id, user_id, table_id, status, created_at)"
                   " VALUES ('r0', 'u1', 'orders', 'denied', 'x')");
    exec_sql(f->s, "INSERT INTO sync_state(table_id, source, query_mode, status, checked_at)"
                   " VALUES ('orders', 'demo', 'local', 'ok', 'x'),"
                   " ('orders_2', 'demo', 'local', 'ok', 'x')");
    exec_sql(f->s, "INSERT INTO table_profiles(table_id, profile, profiled_at)"
                   " VALUES ('orders', '{}', 'x')");

    struct audit_entry audit = { .action = "table.delete", .target = "orders", .result = "ok" };
    assert_int_equal(registry_delete(f->s, "orders", &audit, &err), RC_OK);
    struct registry_table got;
    assert_int_equal(registry_get(f->s, "orders", &got, &err), RC_NOTFOUND);
    assert_int_equal(count(f->s, "SELECT count(*) FROM grants WHERE dataset = 'orders'"), 0);
    assert_int_equal(count(f->s, "SELECT count(*) FROM sync_state WHERE table_id = 'orders'"), 0);
    assert_int_equal(count(f->s, "SELECT count(*) FROM table_profiles"), 0);
    assert_int_equal(count(f->s, "SELECT count(*) FROM access_requests WHERE status = 'pending'"),
                     0);
    /* the decided request is history; the bucket grant and the other table stay */
    assert_int_equal(count(f->s, "SELECT count(*) FROM access_requests"), 1);
    assert_int_equal(count(f->s, "SELECT count(*) FROM grants"), 2);
    assert_int_equal(count(f->s, "SELECT count(*) FROM sync_state"), 1);
    assert_int_equal(registry_get(f->s, "orders_2", &got, &err), RC_OK);
    assert_int_equal(count(f->s, "SELECT count(*) FROM audit_log WHERE action = 'table.delete'"),
                     1);

    assert_int_equal(registry_delete(f->s, "orders", &audit, &err), RC_NOTFOUND);
    assert_string_equal(err.msg, "Table not found");
    assert_int_equal(count(f->s, "SELECT count(*) FROM audit_log WHERE action = 'table.delete'"),
                     1);
}

static void test_schedule_rule(void **state)
{
    (void)state;
    static const char *good[] = { "every 1m",    "every 15m",         "every 10080m",
                                  "every 2h",    "every 10080h",      "daily 00:00",
                                  "daily 23:59", "daily 03:00,15:30", "daily 01:00,02:00,03:00" };
    static const char *bad[] = { "",
                                 "every",
                                 "every m",
                                 "every 0m",
                                 "every 10081m",
                                 "every 15",
                                 "every 15s",
                                 "every -1m",
                                 "every 15m ",
                                 " every 15m",
                                 "every  15m",
                                 "every 1.5h",
                                 "every 999999m",
                                 "Every 15m",
                                 "daily",
                                 "daily ",
                                 "daily 3:00",
                                 "daily 24:00",
                                 "daily 12:60",
                                 "daily 12:00,",
                                 "daily ,12:00",
                                 "daily 12:00, 13:00",
                                 "daily 12:00;13:00",
                                 "daily 12:000",
                                 "hourly",
                                 "daily 1a:00" };
    for (size_t i = 0; i < ARRAY_LEN(good); i++)
        assert_true(registry_schedule_valid(good[i]));
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        if (registry_schedule_valid(bad[i]))
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_false(registry_schedule_valid(NULL));
}

static void test_primary_key_norm(void **state)
{
    (void)state;
    char out[REGISTRY_TEXT_MAX + 1];
    struct err err;
    assert_int_equal(registry_primary_key_norm("id", out, &err), RC_OK);
    assert_string_equal(out, "id");
    assert_int_equal(registry_primary_key_norm(" a , b\t,c ", out, &err), RC_OK);
    assert_string_equal(out, "a,b,c");
    assert_int_equal(registry_primary_key_norm("order id, line", out, &err), RC_OK);
    assert_string_equal(out, "order id,line");
    static const char *bad[] = { "", " ", "a,", ",a", "a,,b", "a, ,b" };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(registry_primary_key_norm(bad[i], out, &err), RC_BADVALUE);
        assert_string_equal(out, "");
        assert_non_null(strstr(err.msg, "primary_key"));
    }
    /* the limit counts the normalised text: padding does not count, names do */
    char in[400];
    memset(in, ' ', sizeof(in));
    memset(in + 100, 'x', REGISTRY_TEXT_MAX);
    in[sizeof(in) - 1] = '\0';
    assert_int_equal(registry_primary_key_norm(in, out, &err), RC_OK);
    assert_int_equal(strlen(out), REGISTRY_TEXT_MAX);
    in[99] = 'y';
    assert_int_equal(registry_primary_key_norm(in, out, &err), RC_BADVALUE);
    assert_non_null(strstr(err.msg, "at most"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_get_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_is_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_sets_and_clears, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_takes_what_hangs_off_the_id, setup, teardown),
        cmocka_unit_test(test_schedule_rule),
        cmocka_unit_test(test_primary_key_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
