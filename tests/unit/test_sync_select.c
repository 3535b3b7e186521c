/* test_sync_select.c — unit tests of `da sync`'s selection and disk-space decisions (#20) on
 * plain JSON: tables marked "enabled": false are not synced and leave the folder like a revoked
 * table (a missing flag is true, as from an older server); --table syncs just the named tables,
 * even switched-off ones, and leaves every other file and state entry as it is; an unknown
 * --table is an error naming it; the shrink phase's state drops exactly the leaving tables;
 * the bytes to download and to free; the space verdict (partials, freed bytes, margin) and
 * the largest tables; --min-free sizes, including hostile ones. */
/* clang-format off: cmocka.h needs these four first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format on */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/mem.h"
#include "client/syncplan.h"
#include "client/syncspace.h"
#include "helpers.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", e.text, text);
    return j;
}

/* A manifest entry of a one-file table; enabled is "true", "false" or "" (no flag). */
static char *entry(const char *id, const char *sha, int size, const char *enabled)
{
    char flag[32] = "";
    if (*enabled)
        snprintf(flag, sizeof(flag), "\"enabled\": %s, ", enabled);
    return xasprintf("\"%s\": {%s\"hash\": \"%s\", \"rows\": 3, \"updated\": \"\", \"files\": "
                     "[{\"name\": \"%s.parquet\", \"url\": \"/api/data/%s/download\", "
                     "\"sha256\": \"%s\", \"size_bytes\": %d}]}",
                     id, flag, sha, id, id, sha, size);
}

static char *state_entry(const char *id, const char *sha, int size)
{
    return xasprintf("\"%s\": {\"hash\": \"%s\", \"rows\": 3, \"updated\": \"\", \"description\": "
                     "\"old\", \"files\": {\"%s.parquet\": {\"sha256\": \"%s\", \"size_bytes\": "
                     "%d}}}",
                     id, sha, id, sha, size);
}

struct fixture {
    json_t *manifest, *state;
    struct syncdir_entry local[8];
    size_t n_local;
    struct syncplan plan;
};

static void add_local(struct fixture *f, const char *relpath, int64_t size)
{
    f->local[f->n_local++] = (struct syncdir_entry){ .relpath = xstrdup(relpath), .size = size };
}

/* The folder of an earlier sync: orders (100 bytes), users (50), prices (30). */
static void synced_folder(struct fixture *f)
{
    char *a = state_entry("orders", SHA_A, 100), *b = state_entry("users", SHA_B, 50),
         *c = state_entry("prices", SHA_C, 30);
    char *s = xasprintf("{\"server\": \"http://x\", \"tables\": {%s, %s, %s}}", a, b, c);
    f->state = js(s);
    add_local(f, "tables/orders.parquet", 100);
    add_local(f, "tables/users.parquet", 50);
    add_local(f, "tables/prices.parquet", 30);
    free(a);
    free(b);
    free(c);
    free(s);
}

static enum rc build(struct fixture *f, const char *const *only, size_t n_only, struct err *err)
{
    struct syncplan_input in = { .manifest = f->manifest,
                                 .state = f->state,
                                 .local = f->local,
                                 .n_local = f->n_local,
                                 .only = only,
                                 .n_only = n_only };
    return syncplan_build(&in, &f->plan, err);
}

static void fixture_free(struct fixture *f)
{
    syncplan_free(&f->plan);
    json_decref(f->manifest);
    json_decref(f->state);
    for (size_t i = 0; i < f->n_local; i++)
        free(f->local[i].relpath);
}

static const struct syncplan_table *table_of(const struct syncplan *p, const char *id)
{
    for (size_t i = 0; i < p->n_tables; i++)
        if (strcmp(p->tables[i].id, id) == 0)
            return &p->tables[i];
    return NULL;
}

static bool removes(const struct syncplan *p, const char *relpath, bool *leaving)
{
    for (size_t i = 0; i < p->n_removals; i++)
        if (strcmp(p->removals[i].relpath, relpath) == 0) {
            if (leaving)
                *leaving = p->removals[i].leaving;
            return true;
        }
    return false;
}

/* orders changed on the server (SHA_B, 120 bytes), users disabled, prices flag missing. */
static json_t *changed_manifest(const char *orders_flag, const char *users_flag)
{
    char *a = entry("orders", SHA_B, 120, orders_flag), *b = entry("users", SHA_B, 50, users_flag),
         *c = entry("prices", SHA_C, 30, "");
    char *m = xasprintf("{\"generation\": 4, \"tables\": {%s, %s, %s}}", a, b, c);
    json_t *j = js(m);
    free(a);
    free(b);
    free(c);
    free(m);
    return j;
}

/* ---- selection ---------------------------------------------------------------------------- */

static void test_disabled_table_leaves_like_a_revoked_one(void **state)
{
    (void)state;
    struct fixture f = { 0 };
    struct err err = { { 0 } };
    synced_folder(&f);
    f.manifest = changed_manifest("true", "false");
    assert_int_equal(build(&f, NULL, 0, &err), RC_OK);
    /* users is not planned; orders and prices (no flag: enabled) are */
    assert_int_equal(f.plan.n_tables, 2);
    assert_non_null(table_of(&f.plan, "orders"));
    assert_non_null(table_of(&f.plan, "prices"));
    assert_null(table_of(&f.plan, "users"));
    bool leaving = false;
    assert_true(removes(&f.plan, "tables/users.parquet", &leaving));
    assert_true(leaving); /* removed in the shrink phase, before the downloads */
    assert_true(removes(&f.plan, "tables/orders.parquet", &leaving) == false);
    assert_int_equal(f.plan.n_leaving, 1);
    assert_string_equal(f.plan.leaving[0].id, "users");
    assert_true(f.plan.leaving[0].disabled);
    assert_int_equal(f.plan.leaving[0].bytes, 50);
    assert_int_equal(f.plan.n_gone, 0); /* still readable: not "gone" */
    assert_int_equal(f.plan.bytes_remove, 50);
    assert_int_equal(f.plan.bytes_fetch, 120); /* orders changed; prices unchanged */
    assert_int_equal(table_of(&f.plan, "orders")->bytes_fetch, 120);
    assert_int_equal(table_of(&f.plan, "prices")->n_fetch, 0);

    /* the shrink phase's state: the old one without users, the others untouched */
    json_t *shrunk = syncplan_shrunk_state(&f.plan, f.state);
    assert_non_null(shrunk);
    json_t *t = json_object_get(shrunk, "tables");
    assert_int_equal(json_object_size(t), 2);
    assert_null(json_object_get(t, "users"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "orders"), "hash")),
                        SHA_A); /* still the version the folder holds */
    json_decref(shrunk);

    /* the state after the sync has no users either */
    bool ok[2] = { true, true };
    json_t *ns = syncplan_new_state(&f.plan, ok, f.state, NULL, "http://x", "now", 4);
    assert_null(json_object_get(json_object_get(ns, "tables"), "users"));
    assert_non_null(json_object_get(json_object_get(ns, "tables"), "prices"));
    json_decref(ns);
    fixture_free(&f);
}

static void test_revoked_and_disabled_both_leave(void **state)
{
    (void)state;
    struct fixture f = { 0 };
    struct err err = { { 0 } };
    synced_folder(&f);
    char *b = entry("users", SHA_B, 50, "false");
    char *m = xasprintf("{\"tables\": {%s}}", b); /* orders and prices no longer readable */
    f.manifest = js(m);
    assert_int_equal(build(&f, NULL, 0, &err), RC_OK);
    assert_int_equal(f.plan.n_tables, 0);
    assert_int_equal(f.plan.n_leaving, 3);
    assert_string_equal(f.plan.leaving[0].id, "orders"); /* by id */
    assert_false(f.plan.leaving[0].disabled);
    assert_string_equal(f.plan.leaving[2].id, "users");
    assert_true(f.plan.leaving[2].disabled);
    assert_int_equal(f.plan.n_gone, 2);
    assert_int_equal(f.plan.bytes_remove, 180);
    assert_int_equal(f.plan.bytes_fetch, 0);
    json_t *shrunk = syncplan_shrunk_state(&f.plan, f.state);
    assert_int_equal(json_object_size(json_object_get(shrunk, "tables")), 0);
    json_decref(shrunk);
    free(b);
    free(m);
    fixture_free(&f);
}

static void test_enabled_again_is_downloaded(void **state)
{
    (void)state;
    struct fixture f = { 0 };
    struct err err = { { 0 } };
    /* a folder where users was removed when it was switched off */
    char *a = state_entry("orders", SHA_B, 120);
    char *s = xasprintf("{\"tables\": {%s}}", a);
    f.state = js(s);
    add_local(&f, "tables/orders.parquet", 120);
    f.manifest = changed_manifest("true", "true");
    assert_int_equal(build(&f, NULL, 0, &err), RC_OK);
    assert_int_equal(table_of(&f.plan, "users")->n_fetch, 1);
    assert_int_equal(table_of(&f.plan, "orders")->n_fetch, 0);
    assert_int_equal(f.plan.n_leaving, 0);
    assert_null(syncplan_shrunk_state(&f.plan, f.state)); /* nothing leaves: no shrink phase */
    free(a);
    free(s);
    fixture_free(&f);
}

static void test_entry_enabled(void **state)
{
    (void)state;
    const char *on[] = { "{}", "{\"enabled\": true}", "{\"enabled\": null}",
                         "{\"enabled\": \"false\"}", "{\"enabled\": 0}" };
    for (size_t i = 0; i < ARRAY_LEN(on); i++) {
        json_t *j = js(on[i]);
        if (!syncplan_entry_enabled(j))
            fail_msg("not enabled: %s", on[i]); /* only a JSON false switches a table off */
        json_decref(j);
    }
    json_t *off = js("{\"enabled\": false}");
    assert_false(syncplan_entry_enabled(off));
    json_decref(off);
}

/* ---- --table ------------------------------------------------------------------------------ */

static void test_only_syncs_the_named_and_keeps_the_rest(void **state)
{
    (void)state;
    struct fixture f = { 0 };
    struct err err = { { 0 } };
    synced_folder(&f);
    add_local(&f, "tables/stray.parquet", 7);
    /* orders changed and is switched on; users switched off; prices gone from the manifest */
    char *a = entry("orders", SHA_B, 120, "true"), *b = entry("users", SHA_C, 60, "false");
    char *m = xasprintf("{\"tables\": {%s, %s}}", a, b);
    f.manifest = js(m);
    const char *only[] = { "users" };
    assert_int_equal(build(&f, only, 1, &err), RC_OK);
    /* users synced although switched off; orders not touched although it changed */
    assert_int_equal(f.plan.n_tables, 1);
    assert_string_equal(f.plan.tables[0].id, "users");
    assert_int_equal(f.plan.tables[0].n_fetch, 1);
    assert_true(f.plan.only);
    /* no file of another table (nor the stray, nor the gone prices) is removed */
    assert_int_equal(f.plan.n_removals, 0);
    assert_int_equal(f.plan.n_leaving, 0);
    assert_int_equal(f.plan.n_gone, 0);
    assert_int_equal(f.plan.bytes_remove, 0);
    assert_int_equal(f.plan.bytes_fetch, 60);
    assert_null(syncplan_shrunk_state(&f.plan, f.state));
    /* the new state: users new, orders and prices exactly as the old state had them */
    bool ok[1] = { true };
    json_t *ns = syncplan_new_state(&f.plan, ok, f.state, NULL, "http://x", "now", 5);
    json_t *t = json_object_get(ns, "tables");
    assert_int_equal(json_object_size(t), 3);
    assert_true(json_equal(json_object_get(t, "orders"),
                           json_object_get(json_object_get(f.state, "tables"), "orders")));
    assert_true(json_equal(json_object_get(t, "prices"),
                           json_object_get(json_object_get(f.state, "tables"), "prices")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "users"), "hash")),
                        SHA_C);
    json_decref(ns);
    /* a failed --table keeps its old entry too */
    ok[0] = false;
    ns = syncplan_new_state(&f.plan, ok, f.state, NULL, "http://x", "now", 5);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(ns, "tables"), "users"), "hash")),
                        SHA_B);
    json_decref(ns);
    free(a);
    free(b);
    free(m);
    fixture_free(&f);
}

static void test_only_unknown_table_is_named(void **state)
{
    (void)state;
    struct fixture f = { 0 };
    struct err err = { { 0 } };
    f.manifest = changed_manifest("", "");
    const char *only[] = { "orders", "secret_salaries" };
    assert_int_equal(build(&f, only, 2, &err), RC_NOTFOUND);
    assert_non_null(strstr(err.msg, "'secret_salaries'"));
    syncplan_free(&f.plan);
    /* a hostile name is quoted cleaned, never raw */
    const char *hostile[] = { "x\033[2J\n" };
    assert_int_equal(build(&f, hostile, 1, &err), RC_NOTFOUND);
    assert_null(strchr(err.msg, '\033'));
    assert_null(strchr(err.msg, '\n'));
    fixture_free(&f);
}

/* ---- disk space --------------------------------------------------------------------------- */

static void test_space_judge(void **state)
{
    (void)state;
    struct syncspace s;
    const int64_t GiB = (int64_t)1 << 30;
    /* 3 GiB to download, 1 GiB of it in partials: needs 2; 2.5 free + 0 freed - 2 < 1 */
    syncspace_judge(3 * GiB, GiB, 0, 5 * GiB / 2, GiB, &s);
    assert_int_equal(s.needed, 2 * GiB);
    assert_false(s.enough);
    /* the tables that leave first free 1 GiB: 2.5 + 1 - 2 >= 1 */
    syncspace_judge(3 * GiB, GiB, GiB, 5 * GiB / 2, GiB, &s);
    assert_true(s.enough);
    /* exactly the margin left is enough; one byte less is not */
    syncspace_judge(100, 0, 0, 1100, 1000, &s);
    assert_true(s.enough);
    syncspace_judge(100, 0, 0, 1099, 1000, &s);
    assert_false(s.enough);
    /* --min-free 0: everything may be used */
    syncspace_judge(100, 0, 0, 100, 0, &s);
    assert_true(s.enough);
    /* nothing to download: never refused, however full the disk */
    syncspace_judge(0, 0, 0, 0, GiB, &s);
    assert_true(s.enough);
    syncspace_judge(500, 500, 0, 0, GiB, &s); /* all of it in partials already */
    assert_int_equal(s.needed, 0);
    assert_true(s.enough);
    /* partials never count for more than the download */
    syncspace_judge(100, 900, 0, 0, 0, &s);
    assert_int_equal(s.partial, 100);
    assert_int_equal(s.needed, 0);
}

static void test_space_largest(void **state)
{
    (void)state;
    struct fixture f = { 0 };
    struct err err = { { 0 } };
    const int sizes[] = { 10, 70, 30, 70, 50, 0, 90, 20 };
    char *m = xstrdup("{\"tables\": {");
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        char id[8];
        snprintf(id, sizeof(id), "t%zu", i);
        char *e = entry(id, SHA_A, sizes[i], "");
        char *next = xasprintf("%s%s%s", m, i ? ", " : "", e);
        free(m);
        free(e);
        m = next;
    }
    char *whole = xasprintf("%s}}", m);
    f.manifest = js(whole);
    assert_int_equal(build(&f, NULL, 0, &err), RC_OK);
    size_t top[SYNCSPACE_LARGEST];
    size_t n = syncspace_largest(&f.plan, top);
    assert_int_equal(n, 5);
    const char *want[] = { "t6", "t1", "t3", "t4", "t2" }; /* 90, 70, 70 (id order), 50, 30 */
    for (size_t i = 0; i < n; i++)
        assert_string_equal(f.plan.tables[top[i]].id, want[i]);
    assert_int_equal(f.plan.bytes_fetch, 340);
    free(m);
    free(whole);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disabled_table_leaves_like_a_revoked_one),
        cmocka_unit_test(test_revoked_and_disabled_both_leave),
        cmocka_unit_test(test_enabled_again_is_downloaded),
        cmocka_unit_test(test_entry_enabled),
        cmocka_unit_test(test_only_syncs_the_named_and_keeps_the_rest),
        cmocka_unit_test(test_only_unknown_table_is_named),
        cmocka_unit_test(test_space_judge),
        cmocka_unit_test(test_space_largest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
