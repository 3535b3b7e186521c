/* test_core_access.c — the read decision and the rules of grants, groups and access requests,
 * without HTTP, on a real state store in a temporary folder: an admin reads everything, a
 * public table anyone, a private one only through a grant of the table, of its bucket or to a
 * group the reader is in, and no longer once that is revoked; an unknown table is never
 * readable; a store that fails is a logged no, not a yes; every change leaves its audit row
 * (and a change that changes nothing leaves none). The decision tests run twice: once asking
 * the store every time, once through the access cache (core/access_cache.h), warm before each
 * change, so every change that must apply at once is seen to; and the cache itself: answers
 * reused until a change, a bump after a table's visibility change, a user's deletion, a version
 * read before a change never stored after it, 100,000 distinct keys in fixed slots, and threads
 * deciding while the version moves. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "core/access.h"
#include "core/access_cache.h"
#include "core/identity.h"
#include "core/registry.h"
#include "helpers.h"
#include "store_helpers.h"

struct fixture {
    char *dir;
    char *db;
    struct core core;
    struct principal admin, alice;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err;
    f->dir = test_tmpdir();
    f->db = xasprintf("%s/system.sqlite", f->dir);
    assert_int_equal(store_open(f->db, 2, &f->core.store, &err), RC_OK);
    f->admin.user = test_user("admin1", "admin@example.com", "admin");
    f->alice.user = test_user("alice1", "alice@example.com", "analyst");
    struct user bob = test_user("bob1", "bob@example.com", "analyst");
    assert_int_equal(users_create(f->core.store, &f->admin.user, NULL, NULL, &err), RC_OK);
    assert_int_equal(users_create(f->core.store, &f->alice.user, NULL, NULL, &err), RC_OK);
    assert_int_equal(users_create(f->core.store, &bob, NULL, NULL, &err), RC_OK);
    test_register_table(f->core.store, "customers", "crm", false);
    test_register_table(f->core.store, "orders", "crm", false);
    test_register_table(f->core.store, "holidays", "ref", true);
    *state = f;
    return 0;
}

/* The same, with the access cache on, as da serve runs. */
static int setup_cached(void **state)
{
    int rc = setup(state);
    struct fixture *f = *state;
    f->core.access_cache = access_cache_new(64);
    return rc;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    access_cache_free(&f->core.access_cache);
    store_close(&f->core.store);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f->db);
    free(f);
    return 0;
}

static bool may(struct fixture *f, const struct principal *p, const char *table)
{
    bool allowed = true;
    struct err err = { { 0 } };
    enum rc rc = core_may_read(&f->core, &p->user, table, &allowed, &err);
    if (rc)
        fail_msg("core_may_read %s: %s", table, err.msg);
    assert_int_equal(core_can_read(&f->core, &p->user, table), allowed); /* one decision */
    return allowed;
}

/* Audit rows of action (with from "test" as their address). */
static int64_t audited(struct fixture *f, const char *action)
{
    struct audit_filter filter = { .action = action, .limit = 1000 };
    struct audit_row *rows = NULL;
    size_t len = 0;
    int64_t total = 0;
    struct err err;
    assert_int_equal(audit_list(f->core.store, &filter, &rows, &len, &total, &err), RC_OK);
    for (size_t i = 0; i < len; i++)
        assert_string_equal(rows[i].ip, "test");
    free(rows);
    return total;
}

static void test_admin_reads_every_table(void **state)
{
    struct fixture *f = *state;
    assert_true(may(f, &f->admin, "customers"));
    assert_true(may(f, &f->admin, "orders"));
    assert_true(may(f, &f->admin, "holidays"));
}

static void test_public_table_is_readable_private_is_not(void **state)
{
    struct fixture *f = *state;
    assert_true(may(f, &f->alice, "holidays"));
    assert_false(may(f, &f->alice, "customers"));
    assert_false(may(f, &f->alice, "orders"));
}

static void test_grant_of_a_table_then_revoked(void **state)
{
    struct fixture *f = *state;
    struct err err;
    bool removed = false;
    struct core_grant g = { .user_id = "alice1", .dataset = "customers" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_OK);
    assert_true(may(f, &f->alice, "customers"));
    assert_false(may(f, &f->alice, "orders")); /* the table, not its bucket */
    assert_int_equal(audited(f, "grant.add"), 1);

    assert_int_equal(core_grant_remove(&f->core, &f->admin, "test", &g, &removed, &err), RC_OK);
    assert_true(removed);
    assert_false(may(f, &f->alice, "customers"));
    assert_int_equal(audited(f, "grant.remove"), 1);
    /* revoking what is not there changes nothing and records nothing */
    assert_int_equal(core_grant_remove(&f->core, &f->admin, "test", &g, &removed, &err), RC_OK);
    assert_false(removed);
    assert_int_equal(audited(f, "grant.remove"), 1);
}

static void test_grant_of_a_bucket_reaches_its_tables(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct core_grant g = { .user_id = "alice1", .dataset = "crm.*", .access = "read" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_OK);
    assert_true(may(f, &f->alice, "customers"));
    assert_true(may(f, &f->alice, "orders"));
    struct principal bob = { .user = test_user("bob1", "bob@example.com", "analyst") };
    assert_false(may(f, &bob, "customers")); /* alice's grant, not bob's */
}

static void test_grant_to_a_group_reaches_its_members_only(void **state)
{
    struct fixture *f = *state;
    struct err err;
    char id[USER_ID_LEN + 1];
    assert_int_equal(core_group_create(&f->core, &f->admin, "test", "sales", id, &err), RC_OK);
    assert_int_equal(strlen(id), USER_ID_LEN);
    assert_int_equal(core_group_create(&f->core, &f->admin, "test", "sales", id, &err),
                     RC_CONFLICT);
    struct core_grant g = { .group = "sales", .dataset = "orders" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_OK);
    assert_false(may(f, &f->alice, "orders"));
    assert_int_equal(core_group_add_member(&f->core, &f->admin, "test", "sales", "alice1", &err),
                     RC_OK);
    assert_true(may(f, &f->alice, "orders"));
    assert_false(may(f, &f->alice, "customers"));

    struct core_user_access a;
    assert_int_equal(core_user_access(&f->core, "alice1", &a, &err), RC_OK);
    assert_int_equal(a.n_grants, 0); /* her own grants; the group's reach her through it */
    assert_int_equal(a.n_groups, 1);
    assert_string_equal(a.groups[0], "sales");
    core_user_access_cleanup(&a);
    char **names = NULL;
    size_t n = 0;
    assert_int_equal(core_groups_of(&f->core, "alice1", &names, &n, &err), RC_OK);
    assert_int_equal(n, 1); /* what /api/me shows */
    assert_string_equal(names[0], "sales");
    free(names[0]);
    free(names);

    assert_int_equal(core_group_remove_member(&f->core, &f->admin, "test", "sales", "alice1", &err),
                     RC_OK);
    assert_false(may(f, &f->alice, "orders"));
    assert_int_equal(core_group_remove_member(&f->core, &f->admin, "test", "sales", "alice1", &err),
                     RC_NOTFOUND);
    assert_int_equal(audited(f, "group.member.remove"), 1);
    assert_int_equal(core_group_add_member(&f->core, &f->admin, "test", "nope", "alice1", &err),
                     RC_NOTFOUND);
    assert_string_equal(err.msg, "Group not found");
}

static void test_unknown_table_is_not_readable_and_cannot_be_granted(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct core_grant bucket = { .user_id = "alice1", .dataset = "crm.*" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &bucket, &err), RC_OK);
    assert_false(may(f, &f->alice, "ghosts"));
    assert_false(may(f, &f->alice, "crm.ghosts"));

    struct core_grant g = { .user_id = "alice1", .dataset = "ghosts" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_NOTFOUND);
    assert_string_equal(err.msg, "Table 'ghosts' not found");
    g = (struct core_grant){ .user_id = "nobody", .dataset = "customers" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_NOTFOUND);
    assert_string_equal(err.msg, "User not found");
    g = (struct core_grant){ .user_id = "alice1", .group = "sales", .dataset = "customers" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_BADVALUE);
    g = (struct core_grant){ .user_id = "alice1", .dataset = "cust omers" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_BADVALUE);
    g = (struct core_grant){ .user_id = "alice1", .dataset = "customers", .access = "write" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_BADVALUE);
    assert_int_equal(audited(f, "grant.add"), 1); /* only the bucket grant */
}

static void test_a_store_error_is_logged_and_means_no(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    struct core_grant g = { .user_id = "alice1", .dataset = "customers" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_OK);
    assert_true(may(f, &f->alice, "customers"));
    /* the decision's query now fails (as with a broken or locked database) */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE grants", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    bool allowed = true;
    assert_int_not_equal(core_may_read(&f->core, &f->alice.user, "customers", &allowed, &err),
                         RC_OK);
    assert_false(allowed);

    /* the yes-or-no variant answers no and says why in the log */
    char *log_path = xasprintf("%s/stderr.log", f->dir);
    int fd = open(log_path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    bool yes = core_can_read(&f->core, &f->alice.user, "customers");
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    assert_false(yes);
    char *logged = NULL;
    size_t len = 0;
    assert_int_equal(file_read_all(log_path, 1 << 20, &logged, &len, &err), RC_OK);
    assert_non_null(strstr(logged, "cannot decide whether alice1 may read customers"));
    free(logged);
    free(log_path);
    /* an admin needs no store to be answered */
    assert_true(core_can_read(&f->core, &f->admin.user, "customers"));
}

static void test_access_request_filed_and_approved(void **state)
{
    struct fixture *f = *state;
    struct err err;
    char id[USER_ID_LEN + 1], table[TABLE_ID_MAX + 1];
    assert_int_equal(core_request_create(&f->core, &f->alice, "test", "customers", "for the report",
                                         id, table, &err),
                     RC_OK);
    assert_string_equal(table, "customers");
    assert_int_equal(
        core_request_create(&f->core, &f->alice, "test", "customers", NULL, id, table, &err),
        RC_CONFLICT); /* one pending request per table */
    assert_int_equal(
        core_request_create(&f->core, &f->alice, "test", "holidays", NULL, id, table, &err),
        RC_CONFLICT);
    assert_string_equal(err.msg, "You can already read this table");
    assert_int_equal(
        core_request_create(&f->core, &f->alice, "test", "ghosts", NULL, id, table, &err),
        RC_NOTFOUND);
    assert_int_equal(core_request_create(&f->core, &f->alice, "test", "", NULL, id, table, &err),
                     RC_BADVALUE);

    struct access_request *list = NULL;
    size_t len = 0;
    assert_int_equal(core_requests_list(&f->core, &f->admin, false, &list, &len, &err), RC_OK);
    assert_int_equal(len, 1);
    char request_id[USER_ID_LEN + 1];
    snprintf(request_id, sizeof(request_id), "%s", list[0].id);
    free(list);
    assert_false(may(f, &f->alice, "customers"));
    assert_int_equal(core_request_decide(&f->core, &f->admin, "test", request_id, true, &err),
                     RC_OK);
    assert_true(may(f, &f->alice, "customers"));
    assert_int_equal(core_request_decide(&f->core, &f->admin, "test", request_id, false, &err),
                     RC_NOTFOUND); /* decided already */
    assert_int_equal(audited(f, "access_request.create"), 1);
    assert_int_equal(audited(f, "access_request.approve"), 1);
    assert_int_equal(audited(f, "access_request.deny"), 0);

    assert_int_equal(core_requests_list(&f->core, &f->alice, true, &list, &len, &err), RC_OK);
    assert_int_equal(len, 1);
    assert_string_equal(list[0].status, "approved");
    free(list);
}

static void test_audit_read_checks_its_filter(void **state)
{
    struct fixture *f = *state;
    struct err err;
    char id[USER_ID_LEN + 1];
    assert_int_equal(core_group_create(&f->core, &f->admin, "test", "a", id, &err), RC_OK);
    assert_int_equal(core_group_create(&f->core, &f->admin, "test", "b", id, &err), RC_OK);
    struct core_audit_page page;
    struct core_audit_query q = { .limit = "1", .action = "group.create" };
    assert_int_equal(core_audit_read(&f->core, &q, &page, &err), RC_OK);
    assert_int_equal(page.len, 1);
    assert_int_equal(page.total, 2);
    assert_string_equal(page.rows[0].target, "b"); /* newest first */
    free(page.rows);
    q = (struct core_audit_query){ .limit = "0" };
    assert_int_equal(core_audit_read(&f->core, &q, &page, &err), RC_BADVALUE);
    q = (struct core_audit_query){ .since = "yesterday" };
    assert_int_equal(core_audit_read(&f->core, &q, &page, &err), RC_BADVALUE);
    assert_null(page.rows);
}

/* ---- the access cache ---- */

/* Breaks the decision's query, as test_a_store_error_is_logged_and_means_no does: an answer
 * given after this came from the cache. */
static void break_store(struct fixture *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE grants", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_cache_answers_until_a_change(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    struct core_grant g = { .user_id = "alice1", .dataset = "customers" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_OK);
    assert_true(may(f, &f->alice, "customers"));
    assert_false(may(f, &f->alice, "orders"));
    break_store(f);
    /* the same answers, without the store */
    assert_true(may(f, &f->alice, "customers"));
    assert_false(may(f, &f->alice, "orders"));
    /* after a change nothing cached is used: the store is asked (and fails: a no) */
    core_access_changed(&f->core);
    bool allowed = true;
    assert_int_not_equal(core_may_read(&f->core, &f->alice.user, "customers", &allowed, &err),
                         RC_OK);
    assert_false(allowed);
    /* a failure is never cached as an answer */
    assert_int_not_equal(core_may_read(&f->core, &f->alice.user, "customers", &allowed, &err),
                         RC_OK);
}

static void test_cache_sees_visibility_and_deletion(void **state)
{
    struct fixture *f = *state;
    struct err err = { { 0 } };
    assert_true(may(f, &f->alice, "holidays")); /* public, now cached */
    struct core_registry_input in = { .given = 1u << REG_IS_PUBLIC };
    in.flag[REG_IS_PUBLIC] = false;
    assert_int_equal(core_registry_update(&f->core, &f->admin, "test", "holidays", &in, &err),
                     RC_OK);
    assert_false(may(f, &f->alice, "holidays"));
    in.flag[REG_IS_PUBLIC] = true;
    assert_int_equal(core_registry_update(&f->core, &f->admin, "test", "holidays", &in, &err),
                     RC_OK);
    assert_true(may(f, &f->alice, "holidays"));
    assert_int_equal(core_registry_delete(&f->core, &f->admin, "test", "holidays", &err), RC_OK);
    assert_false(may(f, &f->alice, "holidays"));

    struct core_grant g = { .user_id = "alice1", .dataset = "customers" };
    assert_int_equal(core_grant_add(&f->core, &f->admin, "test", &g, &err), RC_OK);
    assert_true(may(f, &f->alice, "customers"));
    assert_int_equal(core_user_delete(&f->core, "test", &f->admin, "alice1", &err), RC_OK);
    assert_false(may(f, &f->alice, "customers")); /* her grants went with her */
}

/* An answer computed from the state before a change, stored after it, is never used. */
static void test_cache_version_read_before_a_change(void **state)
{
    (void)state;
    struct access_cache *c = access_cache_new(0);
    bool allowed = false;
    uint64_t v = access_cache_version(c);
    /* a decision asks the store at v ... a revocation commits and bumps ... */
    access_cache_bump(c);
    access_cache_put(c, "alice1", "customers", v, true); /* ... then the old answer arrives */
    assert_false(access_cache_get(c, "alice1", "customers", access_cache_version(c), &allowed));
    assert_false(access_cache_get(c, "alice1", "customers", v, &allowed));
    /* at the current version it is kept, per user and table */
    uint64_t now = access_cache_version(c);
    access_cache_put(c, "alice1", "customers", now, true);
    access_cache_put(c, "bob1", "customers", now, false);
    assert_true(access_cache_get(c, "alice1", "customers", now, &allowed));
    assert_true(allowed);
    assert_true(access_cache_get(c, "bob1", "customers", now, &allowed));
    assert_false(allowed);
    assert_false(access_cache_get(c, "alice1", "orders", now, &allowed));
    /* a key too long for a slot is simply not kept */
    char long_id[300];
    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    access_cache_put(c, "alice1", long_id, now, true);
    assert_false(access_cache_get(c, "alice1", long_id, now, &allowed));
    access_cache_bump(c);
    assert_false(access_cache_get(c, "alice1", "customers", access_cache_version(c), &allowed));
    access_cache_free(&c);
    assert_null(c);
    access_cache_free(&c);
}

/* 100,000 distinct (user, table) keys in 64 slots: every answer given is the one stored for
 * that key, and the recent ones are there. */
static void test_cache_is_bounded(void **state)
{
    (void)state;
    struct access_cache *c = access_cache_new(64);
    uint64_t v = access_cache_version(c);
    char user[32], table[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(user, sizeof(user), "u%d", i % 977);
        snprintf(table, sizeof(table), "t%d", i);
        access_cache_put(c, user, table, v, i % 2 == 0);
    }
    int found = 0;
    for (int i = 0; i < 100000; i++) {
        bool allowed;
        snprintf(user, sizeof(user), "u%d", i % 977);
        snprintf(table, sizeof(table), "t%d", i);
        if (access_cache_get(c, user, table, v, &allowed)) {
            found++;
            assert_int_equal(allowed, i % 2 == 0);
        }
    }
    assert_true(found > 0);
    assert_true(found <= 64);
    access_cache_free(&c);
}

/* Threads deciding while another bumps the version (run under TSan by make tsan): every
 * answer given is the one stored for its key. */
static void *decide_loop(void *arg)
{
    struct access_cache *c = arg;
    char user[16], table[16];
    for (int i = 0; i < 20000; i++) {
        int k = i % 97;
        snprintf(user, sizeof(user), "u%d", k % 7);
        snprintf(table, sizeof(table), "t%d", k);
        uint64_t v = access_cache_version(c);
        bool allowed;
        if (access_cache_get(c, user, table, v, &allowed)) {
            if (allowed != (k % 2 == 0))
                fail_msg("%s/%s answered %d", user, table, allowed);
        } else {
            access_cache_put(c, user, table, v, k % 2 == 0);
        }
    }
    return NULL;
}

static void *bump_loop(void *arg)
{
    for (int i = 0; i < 2000; i++)
        access_cache_bump(arg);
    return NULL;
}

static void test_cache_threads(void **state)
{
    (void)state;
    struct access_cache *c = access_cache_new(128);
    pthread_t t[4];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, decide_loop, c), 0);
    assert_int_equal(pthread_create(&t[3], NULL, bump_loop, c), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    access_cache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_admin_reads_every_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_public_table_is_readable_private_is_not, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grant_of_a_table_then_revoked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_of_a_bucket_reaches_its_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_to_a_group_reaches_its_members_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_table_is_not_readable_and_cannot_be_granted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_store_error_is_logged_and_means_no, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_request_filed_and_approved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_read_checks_its_filter, setup, teardown),
        /* the decisions again through the access cache */
        cmocka_unit_test_setup_teardown(test_admin_reads_every_table, setup_cached, teardown),
        cmocka_unit_test_setup_teardown(test_public_table_is_readable_private_is_not, setup_cached,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grant_of_a_table_then_revoked, setup_cached, teardown),
        cmocka_unit_test_setup_teardown(test_grant_of_a_bucket_reaches_its_tables, setup_cached,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grant_to_a_group_reaches_its_members_only,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_table_is_not_readable_and_cannot_be_granted,
                                        setup_cached, teardown),
        cmocka_unit_test_setup_teardown(test_access_request_filed_and_approved, setup_cached,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cache_answers_until_a_change, setup_cached, teardown),
        cmocka_unit_test_setup_teardown(test_cache_sees_visibility_and_deletion, setup_cached,
                                        teardown),
        cmocka_unit_test(test_cache_version_read_before_a_change),
        cmocka_unit_test(test_cache_is_bounded),
        cmocka_unit_test(test_cache_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
