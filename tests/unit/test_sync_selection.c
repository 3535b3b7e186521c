/* test_sync_selection.c — the rules of sync selection on a real state store, without HTTP or
 * a catalog (the readable tables are given, as core_sync_tables would give them): the size
 * default and the two fixed ones, the first-sight default that stays when a table grows, no
 * write when nothing is new, table_mode explicit, each rule's precedence, a bucket switch
 * clearing table switches, subscribing clearing them and unsubscribing falling back, names the
 * user may not switch refused alike, package validation, deletion of a user taking their rows,
 * and the audit rows. */
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/mem.h"
#include "core/sync_selection.h"
#include "helpers.h"
#include "store_helpers.h"

struct fixture {
    char *dir;
    char *db;
    struct config cfg;
    struct core core;
    struct principal admin, alice;
    struct sync_table t[4]; /* small (sales), big (sales), ref (ref), loose (no bucket) */
    struct sync_tables tables;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err;
    f->dir = test_tmpdir();
    f->db = xasprintf("%s/system.sqlite", f->dir);
    config_defaults(&f->cfg);
    f->cfg.sync_large_table_bytes = 1000;
    f->core.cfg = &f->cfg;
    assert_int_equal(store_open(f->db, 2, &f->core.store, &err), RC_OK);
    f->admin.user = test_user("admin1", "admin@example.com", "admin");
    f->alice.user = test_user("alice1", "alice@example.com", "analyst");
    assert_int_equal(users_create(f->core.store, &f->admin.user, NULL, NULL, &err), RC_OK);
    assert_int_equal(users_create(f->core.store, &f->alice.user, NULL, NULL, &err), RC_OK);
    test_register_table(f->core.store, "small", "sales", true);
    test_register_table(f->core.store, "big", "sales", true);
    test_register_table(f->core.store, "ref", "ref", true);
    test_register_table(f->core.store, "secret", "hr", false);
    const struct sync_table t[4] = { { "big", "sales", 5000, 50 },
                                     { "loose", "", 10, 1 },
                                     { "ref", "ref", 1000, 10 },
                                     { "small", "sales", 500, 5 } };
    memcpy(f->t, t, sizeof(t));
    f->tables = (struct sync_tables){ f->t, 4 };
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(&f->core.store);
    config_cleanup(&f->cfg);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f->db);
    free(f);
    return 0;
}

/* The state of table id for alice now. */
static struct sync_state state_of(struct fixture *f, const char *id)
{
    struct core_sync_view v;
    struct err err = { { 0 } };
    if (core_sync_resolve(&f->core, &f->alice.user, &f->tables, &v, &err))
        fail_msg("resolve: %s", err.msg);
    assert_int_equal(v.n, f->tables.n);
    struct sync_state s = { 0 };
    for (size_t i = 0; i < v.n; i++)
        if (strcmp(v.states[i].t->id, id) == 0)
            s = v.states[i];
    core_sync_view_cleanup(&v);
    if (!s.t)
        fail_msg("no state for %s", id);
    return s;
}

static void expect(struct fixture *f, const char *id, bool enabled, enum sync_by by)
{
    struct sync_state s = state_of(f, id);
    if (s.enabled != enabled || s.by != by)
        fail_msg("%s: enabled %d by %s, expected %d by %s", id, s.enabled, sync_by_name(s.by),
                 enabled, sync_by_name(by));
}

/* One integer the SQL returns, read on a connection of our own. */
static int64_t sql_int(struct fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int64_t audited(struct fixture *f, const char *action, const char *result)
{
    struct audit_filter filter = { .action = action, .limit = 1000 };
    struct audit_row *rows = NULL;
    size_t len = 0;
    int64_t total = 0, n = 0;
    struct err err;
    assert_int_equal(audit_list(f->core.store, &filter, &rows, &len, &total, &err), RC_OK);
    for (size_t i = 0; i < len; i++)
        n += strcmp(rows[i].result, result) == 0;
    free(rows);
    return n;
}

static void sw(struct fixture *f, const char *name, bool is_bucket, bool on)
{
    struct err err = { { 0 } };
    bool was_bucket = false;
    if (core_sync_switch(&f->core, &f->alice, "test", &f->tables, name, is_bucket, on, &was_bucket,
                         NULL, &err))
        fail_msg("switch %s: %s", name, err.msg);
}

static void test_default_by_size_recorded_at_first_sight(void **state)
{
    struct fixture *f = *state;
    expect(f, "small", true, SYNC_BY_DEFAULT);
    expect(f, "ref", true, SYNC_BY_DEFAULT); /* exactly the threshold: on */
    expect(f, "big", false, SYNC_BY_DEFAULT);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM sync_switches WHERE origin = 'default'"), 4);
    /* small grows past the threshold and big shrinks: both keep their first-sight default */
    f->t[3].size_bytes = 1 << 20;
    f->t[0].size_bytes = 1;
    expect(f, "small", true, SYNC_BY_DEFAULT);
    expect(f, "big", false, SYNC_BY_DEFAULT);
    /* nothing new: no write at all (data_version moves on every commit by another connection) */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t before = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    state_of(f, "small");
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), before);
    sqlite3_reset(st);
    /* a new table is recorded: a write */
    f->tables.n = 4;
    snprintf(f->t[1].id, sizeof(f->t[1].id), "loose2");
    state_of(f, "loose2");
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_column_int64(st, 0) != before);
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM sync_switches WHERE origin = 'default'"), 5);
}

static void test_fixed_defaults_and_explicit_mode(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    f->cfg.sync_default_enabled = SYNC_DEFAULT_TRUE;
    expect(f, "big", true, SYNC_BY_DEFAULT);
    f->cfg.sync_default_enabled = SYNC_DEFAULT_FALSE;
    expect(f, "big", true, SYNC_BY_DEFAULT); /* recorded: the config change is for new tables */
    snprintf(f->t[1].id, sizeof(f->t[1].id), "tiny");
    expect(f, "tiny", false, SYNC_BY_DEFAULT);
    /* explicit: tables first seen from now on are off, whatever the config */
    f->cfg.sync_default_enabled = SYNC_DEFAULT_TRUE;
    size_t stored = 9;
    assert_int_equal(core_sync_batch(&f->core, &f->alice, "test", &f->tables, "explicit", true,
                                     NULL, 0, &stored, &err),
                     RC_OK);
    assert_int_equal(stored, 0);
    snprintf(f->t[1].id, sizeof(f->t[1].id), "later");
    expect(f, "later", false, SYNC_BY_DEFAULT);
    expect(f, "big", true, SYNC_BY_DEFAULT);
    assert_int_equal(core_sync_batch(&f->core, &f->alice, "test", &f->tables, "some", true, NULL, 0,
                                     &stored, &err),
                     RC_BADVALUE);
}

static void test_precedence_table_package_bucket_default(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    expect(f, "big", false, SYNC_BY_DEFAULT);
    sw(f, "sales", true, true);
    expect(f, "big", true, SYNC_BY_BUCKET);
    expect(f, "loose", true, SYNC_BY_DEFAULT); /* no bucket: no bucket switch reaches it */
    sw(f, "sales", true, false);
    expect(f, "small", false, SYNC_BY_BUCKET);
    /* a package beats the bucket switch */
    char big[] = "big", *tables[] = { big };
    struct package p = { .name = "pk", .tables = tables, .n_tables = 1 };
    assert_int_equal(core_package_create(&f->core, &f->admin, "test", &p, &err), RC_OK);
    assert_int_equal(core_package_subscribe(&f->core, &f->alice, "test", "pk", true, &err), RC_OK);
    struct sync_state s = state_of(f, "big");
    assert_true(s.enabled);
    assert_int_equal(s.by, SYNC_BY_PACKAGE);
    assert_string_equal(s.package, "pk");
    expect(f, "small", false, SYNC_BY_BUCKET);
    /* and the table switch beats the package */
    sw(f, "big", false, false);
    expect(f, "big", false, SYNC_BY_TABLE);
    /* a name that is both a table and a bucket is the table unless the bucket is asked for */
    bool was_bucket = true;
    assert_int_equal(core_sync_switch(&f->core, &f->alice, "test", &f->tables, "ref", false, false,
                                      &was_bucket, NULL, &err),
                     RC_OK);
    assert_false(was_bucket);
    expect(f, "ref", false, SYNC_BY_TABLE);
    assert_int_equal(core_sync_switch(&f->core, &f->alice, "test", &f->tables, "ref", true, true,
                                      &was_bucket, NULL, &err),
                     RC_OK);
    assert_true(was_bucket);
    expect(f, "ref", true, SYNC_BY_BUCKET); /* the bucket switch cleared the table's */
}

static void test_bucket_switch_clears_table_switches(void **state)
{
    struct fixture *f = *state;
    sw(f, "small", false, false);
    sw(f, "big", false, true);
    sw(f, "ref", false, false);
    sw(f, "sales", true, false);
    expect(f, "small", false, SYNC_BY_BUCKET);
    expect(f, "big", false, SYNC_BY_BUCKET);
    expect(f, "ref", false, SYNC_BY_TABLE); /* another bucket: untouched */
    assert_int_equal(sql_int(f, "SELECT count(*) FROM sync_switches WHERE origin = 'user'"
                                " AND kind = 'table'"),
                     1);
}

static void test_subscribe_clears_unsubscribe_falls_back(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    char sales[] = "sales", *buckets[] = { sales };
    struct package p = { .name = "sales-pack", .buckets = buckets, .n_buckets = 1 };
    assert_int_equal(core_package_create(&f->core, &f->admin, "test", &p, &err), RC_OK);
    sw(f, "small", false, false);
    sw(f, "ref", false, false);
    assert_int_equal(core_package_subscribe(&f->core, &f->alice, "test", "sales-pack", true, &err),
                     RC_OK);
    expect(f, "small", true, SYNC_BY_PACKAGE); /* its switch went */
    expect(f, "big", true, SYNC_BY_PACKAGE);
    expect(f, "ref", false, SYNC_BY_TABLE); /* not covered: kept */
    assert_int_equal(core_package_subscribe(&f->core, &f->alice, "test", "sales-pack", false, &err),
                     RC_OK);
    expect(f, "small", true, SYNC_BY_DEFAULT);
    expect(f, "big", false, SYNC_BY_DEFAULT); /* the first-sight default, recorded meanwhile */
    assert_int_equal(core_package_subscribe(&f->core, &f->alice, "test", "nosuch", true, &err),
                     RC_NOTFOUND);
    assert_int_equal(audited(f, "package.subscribe", "ok"), 1);
    assert_int_equal(audited(f, "package.unsubscribe", "ok"), 1);
}

static void test_names_the_user_may_not_switch(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    char forbidden[sizeof(err.msg)] = "";
    bool was_bucket = false;
    /* secret is private (not in alice's tables), hr holds only it, nosuch does not exist */
    const char *names[] = { "secret", "hr", "nosuch", "" };
    for (size_t i = 0; i < 4; i++) {
        for (int b = 0; b < 2; b++) {
            assert_int_equal(core_sync_switch(&f->core, &f->alice, "test", &f->tables, names[i], b,
                                              true, &was_bucket, NULL, &err),
                             RC_FORBIDDEN);
            char *shape = xasprintf("No access to dataset '%s'", names[i]);
            assert_string_equal(err.msg, shape);
            free(shape);
        }
    }
    (void)forbidden;
    assert_int_equal(audited(f, "sync.switch", "denied"), 8);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM sync_switches"), 0);
    /* the batch form refuses the same names one by one and stores the rest */
    struct sync_batch_item items[] = { { "secret", true, false },
                                       { "small", false, false },
                                       { "sales", false, false } };
    size_t stored = 0;
    assert_int_equal(core_sync_batch(&f->core, &f->alice, "test", &f->tables, NULL, true, items, 3,
                                     &stored, &err),
                     RC_OK);
    assert_int_equal(stored, 1);
    assert_true(items[0].refused);
    assert_false(items[1].refused);
    assert_true(items[2].refused); /* a bucket, and this form takes tables only */
    assert_int_equal(audited(f, "sync.settings", "partial"), 1);
    items[2].refused = false;
    assert_int_equal(core_sync_batch(&f->core, &f->alice, "test", &f->tables, NULL, false,
                                     items + 2, 1, &stored, &err),
                     RC_OK);
    assert_false(items[2].refused);
    expect(f, "big", false, SYNC_BY_BUCKET);
}

static void test_package_rules_and_reader_view(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    const char *bad_names[] = {
        "", "A", "1a", "a b", "a/b", "a.b", "a!", "_a", "-a", "caf\xc3\xa9"
    };
    for (size_t i = 0; i < ARRAY_LEN(bad_names); i++) {
        struct package p = { 0 };
        snprintf(p.name, sizeof(p.name), "%s", bad_names[i]);
        assert_int_equal(core_package_create(&f->core, &f->admin, "test", &p, &err), RC_INVALID);
    }
    assert_true(core_package_name_valid("a-b_9"));
    char longest[PACKAGE_NAME_MAX + 2];
    memset(longest, 'a', sizeof(longest) - 1);
    longest[PACKAGE_NAME_MAX] = '\0';
    assert_true(core_package_name_valid(longest));
    longest[PACKAGE_NAME_MAX] = 'a';
    longest[PACKAGE_NAME_MAX + 1] = '\0';
    assert_false(core_package_name_valid(longest));
    char n1[] = "nosuch", n2[] = "Small", n3[] = "nobucket";
    char *nosuch[] = { n1 }, *upper[] = { n2 }, *nobucket[] = { n3 };
    struct package p = { .name = "p", .tables = nosuch, .n_tables = 1 };
    assert_int_equal(core_package_create(&f->core, &f->admin, "test", &p, &err), RC_BADVALUE);
    p = (struct package){ .name = "p", .tables = upper, .n_tables = 1 };
    assert_int_equal(core_package_create(&f->core, &f->admin, "test", &p, &err), RC_BADVALUE);
    p = (struct package){ .name = "p", .buckets = nobucket, .n_buckets = 1 };
    assert_int_equal(core_package_create(&f->core, &f->admin, "test", &p, &err), RC_BADVALUE);
    /* a registered table and bucket are fine even when not served (secret, hr) */
    char secret[] = "secret", ref[] = "ref", hr[] = "hr";
    char *tables[] = { secret, ref }, *buckets[] = { hr };
    p = (struct package){
        .name = "mixed", .tables = tables, .n_tables = 2, .buckets = buckets, .n_buckets = 1
    };
    assert_int_equal(core_package_create(&f->core, &f->admin, "test", &p, &err), RC_OK);
    assert_int_equal(core_package_create(&f->core, &f->admin, "test", &p, &err), RC_CONFLICT);
    struct core_package_view *v = NULL;
    size_t n = 0;
    assert_int_equal(core_packages_view(&f->core, &f->alice.user, &f->tables, NULL, &v, &n, &err),
                     RC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].n_tables, 1); /* alice reads ref only of it */
    assert_string_equal(v[0].tables[0], "ref");
    assert_int_equal(v[0].size_bytes, 1000);
    assert_false(v[0].subscribed);
    assert_string_equal(v[0].def.created_by, "admin@example.com");
    core_package_views_free(v, n);
    /* update replaces only the fields given */
    char *none[] = { NULL };
    struct package nv = { .description = "d", .tables = none, .n_tables = 0 };
    struct package_change c = { .set_description = true, .set_tables = true, .v = &nv };
    assert_int_equal(core_package_update(&f->core, &f->admin, "test", "mixed", &c, &err), RC_OK);
    assert_int_equal(
        core_packages_view(&f->core, &f->alice.user, &f->tables, "mixed", &v, &n, &err), RC_OK);
    assert_string_equal(v[0].def.description, "d");
    assert_int_equal(v[0].def.n_tables, 0);
    assert_int_equal(v[0].def.n_buckets, 1);
    assert_int_equal(v[0].n_tables, 0);
    core_package_views_free(v, n);
    assert_int_equal(core_package_update(&f->core, &f->admin, "test", "nosuch", &c, &err),
                     RC_NOTFOUND);
    assert_int_equal(
        core_packages_view(&f->core, &f->alice.user, &f->tables, "nosuch", &v, &n, &err),
        RC_NOTFOUND);
    assert_int_equal(core_package_subscribe(&f->core, &f->alice, "test", "mixed", true, &err),
                     RC_OK);
    assert_int_equal(core_package_delete(&f->core, &f->admin, "test", "mixed", &err), RC_OK);
    assert_int_equal(core_package_delete(&f->core, &f->admin, "test", "mixed", &err), RC_NOTFOUND);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM package_subscriptions"), 0);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM package_items"), 0);
    assert_int_equal(audited(f, "package.create", "ok"), 1);
    assert_int_equal(audited(f, "package.update", "ok"), 1);
    assert_int_equal(audited(f, "package.delete", "ok"), 1);
}

static void test_deleting_a_user_removes_their_rows(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    char small[] = "small", *tables[] = { small };
    struct package p = { .name = "pk", .tables = tables, .n_tables = 1 };
    assert_int_equal(core_package_create(&f->core, &f->admin, "test", &p, &err), RC_OK);
    assert_int_equal(core_package_subscribe(&f->core, &f->alice, "test", "pk", true, &err), RC_OK);
    sw(f, "big", false, true);
    sw(f, "sales", true, true);
    size_t stored = 0;
    assert_int_equal(core_sync_batch(&f->core, &f->alice, "test", &f->tables, "explicit", true,
                                     NULL, 0, &stored, &err),
                     RC_OK);
    state_of(f, "big");
    assert_true(sql_int(f, "SELECT count(*) FROM sync_switches WHERE user_id = 'alice1'") > 0);
    assert_int_equal(users_delete(f->core.store, "alice1", NULL, &err), RC_OK);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM sync_switches"), 0);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM sync_prefs"), 0);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM package_subscriptions"), 0);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM packages"), 1); /* the package stays */
    /* a switch for a user that no longer exists is refused, not stored */
    bool was_bucket = false;
    assert_int_equal(core_sync_switch(&f->core, &f->alice, "test", &f->tables, "big", false, true,
                                      &was_bucket, NULL, &err),
                     RC_NOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_by_size_recorded_at_first_sight, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fixed_defaults_and_explicit_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence_table_package_bucket_default, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bucket_switch_clears_table_switches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscribe_clears_unsubscribe_falls_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_names_the_user_may_not_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_package_rules_and_reader_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleting_a_user_removes_their_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
