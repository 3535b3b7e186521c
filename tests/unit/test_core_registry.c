/* test_core_registry.c — the rules of the table registry without HTTP, on a real state store
 * in a temporary folder: a registration gets the defaults of a new row and the canonical id
 * of its name, and leaves one "table.register" audit row; a value a field may not hold is
 * refused naming the field and writes nothing; an incremental table must have a primary key,
 * judged on registration and on the row an update would leave; an update audits the names of
 * the fields it changed, and a refused one leaves neither a change nor an audit row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/mem.h"
#include "core/registry.h"
#include "helpers.h"

#define NEED_KEY "sync_strategy incremental needs a primary_key"

struct fixture {
    char *dir;
    struct core core;
    struct principal admin;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err;
    f->dir = test_tmpdir();
    char *db = xasprintf("%s/system.sqlite", f->dir);
    assert_int_equal(store_open(db, 2, &f->core.store, &err), RC_OK);
    free(db);
    struct user *u = &f->admin.user;
    *u = (struct user){ .active = true };
    snprintf(u->id, sizeof(u->id), "admin1");
    snprintf(u->email, sizeof(u->email), "admin@example.com");
    snprintf(u->name, sizeof(u->name), "Admin");
    snprintf(u->role, sizeof(u->role), "admin");
    assert_int_equal(users_create(f->core.store, u, NULL, NULL, &err), RC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(&f->core.store);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Sets text field i of in (NULL: given as null). */
static void text(struct core_registry_input *in, enum registry_field_id i, const char *v)
{
    in->given |= 1u << i;
    in->text[i] = v;
}

static enum rc create(struct fixture *f, const struct core_registry_input *in,
                      struct registry_table *out, struct err *err)
{
    return core_registry_create(&f->core, &f->admin, "test", in, NULL, out, err);
}

static enum rc update(struct fixture *f, const char *id, const struct core_registry_input *in,
                      struct err *err)
{
    return core_registry_update(&f->core, &f->admin, "test", id, in, err);
}

/* The audit rows of action, newest first, into rows (at most 8); how many there are. */
static size_t audited(struct fixture *f, const char *action, struct audit_row rows[8])
{
    struct audit_filter filter = { .action = action, .limit = 8 };
    struct audit_row *got = NULL;
    size_t len = 0;
    int64_t total = 0;
    struct err err;
    assert_int_equal(audit_list(f->core.store, &filter, &got, &len, &total, &err), RC_OK);
    assert_int_equal((int64_t)len, total);
    if (len)
        memcpy(rows, got, len * sizeof(*got));
    free(got);
    return len;
}

static size_t table_count(struct fixture *f)
{
    struct registry_table *rows = NULL;
    size_t len = 0;
    struct err err;
    assert_int_equal(core_registry_list(&f->core, &rows, &len, &err), RC_OK);
    free(rows);
    return len;
}

static void test_create_gives_defaults_canonical_id_and_one_audit_row(void **state)
{
    struct fixture *f = *state;
    struct core_registry_input in = { 0 };
    struct registry_table *t = xmalloc(sizeof(*t)), *got = xmalloc(sizeof(*got));
    struct audit_row rows[8];
    struct err err;
    text(&in, REG_NAME, "Customer Orders");
    text(&in, REG_PRIMARY_KEY, " order_id , line ");
    assert_int_equal(create(f, &in, t, &err), RC_OK);
    assert_string_equal(t->id, "customer_orders");
    assert_int_equal(core_registry_get(&f->core, "customer_orders", got, &err), RC_OK);
    assert_string_equal(got->name, "Customer Orders");
    assert_string_equal(got->primary_key, "order_id,line");
    assert_string_equal(got->sync_strategy, "full_refresh");
    assert_string_equal(got->query_mode, "local");
    assert_true(got->profile_after_sync);
    assert_false(got->is_public);
    assert_string_equal(got->registered_by, "admin@example.com");

    assert_int_equal(audited(f, "table.register", rows), 1);
    assert_string_equal(rows[0].actor_id, "admin1");
    assert_string_equal(rows[0].target, "customer_orders");
    assert_string_equal(rows[0].detail, "Customer Orders");
    assert_string_equal(rows[0].ip, "test");

    /* the same id again is a conflict, and is not audited as a registration */
    assert_int_equal(create(f, &in, t, &err), RC_CONFLICT);
    assert_int_equal(audited(f, "table.register", rows), 1);
    free(t);
    free(got);
}

static void test_values_a_field_may_not_hold_are_refused_and_write_nothing(void **state)
{
    struct fixture *f = *state;
    struct registry_table *t = xmalloc(sizeof(*t));
    struct audit_row rows[8];
    struct err err;
    static const struct {
        enum registry_field_id field;
        const char *value;
        const char *message; /* how the message starts */
    } cases[] = {
        { REG_SYNC_STRATEGY, "weekly", "sync_strategy: must be full_refresh" },
        { REG_SYNC_STRATEGY, NULL, "sync_strategy cannot be null" },
        { REG_QUERY_MODE, "hybrid", "query_mode: must be local or remote" },
        { REG_SYNC_SCHEDULE, "every 0m", "sync_schedule: 'every 0m' is not a schedule" },
        { REG_PRIMARY_KEY, "a,,b", "primary_key: a column name is empty" },
        { REG_PRIMARY_KEY, "", "primary_key: a column name is empty" },
        { REG_FOLDER, "a\nb", "folder: no control characters" },
        { REG_NAME, "   ", "Table name cannot be empty" },
        { REG_NAME, NULL, "Table name cannot be empty" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct core_registry_input in = { 0 };
        text(&in, REG_NAME, "Fine");
        text(&in, cases[i].field, cases[i].value);
        assert_int_equal(create(f, &in, t, &err), RC_BADVALUE);
        if (strncmp(err.msg, cases[i].message, strlen(cases[i].message)) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err.msg, cases[i].message);
    }
    /* a bool given as null: the bools are required */
    struct core_registry_input in = { 0 };
    text(&in, REG_NAME, "Fine");
    in.given |= 1u << REG_IS_PUBLIC;
    in.flag_null[REG_IS_PUBLIC] = true;
    assert_int_equal(create(f, &in, t, &err), RC_BADVALUE);
    assert_string_equal(err.msg, "is_public cannot be null");
    /* an id that is not canonical, and a name that gives none */
    in = (struct core_registry_input){ 0 };
    text(&in, REG_NAME, "Fine");
    assert_int_equal(core_registry_create(&f->core, &f->admin, "test", &in, "Bad-Id", t, &err),
                     RC_BADVALUE);
    assert_true(strncmp(err.msg, "id 'Bad-Id' is not a valid table id", 35) == 0);
    text(&in, REG_NAME, "9lives");
    assert_int_equal(create(f, &in, t, &err), RC_BADVALUE);
    assert_true(strncmp(err.msg, "table name '9lives' does not give a valid table id", 50) == 0);

    assert_int_equal(table_count(f), 0);
    assert_int_equal(audited(f, "table.register", rows), 0);
    free(t);
}

static void test_incremental_needs_a_primary_key_on_create(void **state)
{
    struct fixture *f = *state;
    struct registry_table *t = xmalloc(sizeof(*t));
    struct err err;
    struct core_registry_input in = { 0 };
    text(&in, REG_NAME, "Events");
    text(&in, REG_SYNC_STRATEGY, "incremental");
    assert_int_equal(create(f, &in, t, &err), RC_BADVALUE);
    assert_string_equal(err.msg, NEED_KEY);
    text(&in, REG_PRIMARY_KEY, NULL); /* cleared is no key either */
    assert_int_equal(create(f, &in, t, &err), RC_BADVALUE);
    assert_string_equal(err.msg, NEED_KEY);
    assert_int_equal(table_count(f), 0);

    text(&in, REG_PRIMARY_KEY, "event_id");
    assert_int_equal(create(f, &in, t, &err), RC_OK);
    assert_string_equal(t->sync_strategy, "incremental");
    assert_string_equal(t->primary_key, "event_id");
    /* append and full_refresh need none */
    in = (struct core_registry_input){ 0 };
    text(&in, REG_NAME, "Log");
    text(&in, REG_SYNC_STRATEGY, "append");
    assert_int_equal(create(f, &in, t, &err), RC_OK);
    free(t);
}

static void test_incremental_needs_a_primary_key_on_update(void **state)
{
    struct fixture *f = *state;
    struct registry_table *t = xmalloc(sizeof(*t));
    struct audit_row rows[8];
    struct err err;
    struct core_registry_input in = { 0 };
    text(&in, REG_NAME, "Events");
    text(&in, REG_SYNC_STRATEGY, "incremental");
    text(&in, REG_PRIMARY_KEY, "event_id");
    assert_int_equal(create(f, &in, t, &err), RC_OK);
    in = (struct core_registry_input){ 0 };
    text(&in, REG_NAME, "Snapshots");
    assert_int_equal(create(f, &in, t, &err), RC_OK);

    /* clearing the key of an incremental table, or making a keyless table incremental */
    in = (struct core_registry_input){ 0 };
    text(&in, REG_PRIMARY_KEY, NULL);
    assert_int_equal(update(f, "events", &in, &err), RC_BADVALUE);
    assert_string_equal(err.msg, NEED_KEY);
    in = (struct core_registry_input){ 0 };
    text(&in, REG_SYNC_STRATEGY, "incremental");
    assert_int_equal(update(f, "snapshots", &in, &err), RC_BADVALUE);
    assert_string_equal(err.msg, NEED_KEY);
    assert_int_equal(core_registry_get(&f->core, "events", t, &err), RC_OK);
    assert_string_equal(t->primary_key, "event_id");
    assert_int_equal(core_registry_get(&f->core, "snapshots", t, &err), RC_OK);
    assert_string_equal(t->sync_strategy, "full_refresh");
    assert_int_equal(audited(f, "table.update", rows), 0);
    /* a missing table is not found before the rule is judged */
    assert_int_equal(update(f, "nothing_here", &in, &err), RC_NOTFOUND);

    /* both at once goes through, and the audit row names the fields changed */
    text(&in, REG_PRIMARY_KEY, "id");
    assert_int_equal(update(f, "snapshots", &in, &err), RC_OK);
    assert_int_equal(core_registry_get(&f->core, "snapshots", t, &err), RC_OK);
    assert_string_equal(t->sync_strategy, "incremental");
    assert_string_equal(t->primary_key, "id");
    assert_int_equal(audited(f, "table.update", rows), 1);
    assert_string_equal(rows[0].target, "snapshots");
    assert_string_equal(rows[0].detail, "primary_key,sync_strategy");

    /* a change that leaves the rule's fields alone is not held up by them */
    in = (struct core_registry_input){ 0 };
    text(&in, REG_FOLDER, "sales");
    assert_int_equal(update(f, "events", &in, &err), RC_OK);
    /* nothing given: no change and no record, but a missing table is still not found */
    in = (struct core_registry_input){ 0 };
    assert_int_equal(update(f, "events", &in, &err), RC_OK);
    assert_int_equal(update(f, "nothing_here", &in, &err), RC_NOTFOUND);
    assert_int_equal(audited(f, "table.update", rows), 2);
    free(t);
}

static void test_delete_is_audited_and_a_missing_table_is_not_found(void **state)
{
    struct fixture *f = *state;
    struct registry_table *t = xmalloc(sizeof(*t));
    struct audit_row rows[8];
    struct err err;
    struct core_registry_input in = { 0 };
    text(&in, REG_NAME, "Gone Soon");
    assert_int_equal(create(f, &in, t, &err), RC_OK);
    assert_int_equal(core_registry_delete(&f->core, &f->admin, "test", "gone_soon", &err), RC_OK);
    assert_int_equal(core_registry_get(&f->core, "gone_soon", t, &err), RC_NOTFOUND);
    assert_int_equal(core_registry_delete(&f->core, &f->admin, "test", "gone_soon", &err),
                     RC_NOTFOUND);
    assert_int_equal(audited(f, "table.delete", rows), 1);
    assert_string_equal(rows[0].target, "gone_soon");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_gives_defaults_canonical_id_and_one_audit_row,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_values_a_field_may_not_hold_are_refused_and_write_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incremental_needs_a_primary_key_on_create, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_incremental_needs_a_primary_key_on_update, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delete_is_audited_and_a_missing_table_is_not_found,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
