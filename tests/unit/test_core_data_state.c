/* test_core_data_state.c — what a principal may see of the data's state, without HTTP, on a
 * real state store in a temporary folder: a table's profile only to a reader who may read the
 * table (to anyone else it is "Table not found", as a missing one), "not profiled yet" apart
 * from "not found"; and the data's health as the last rebuild recorded it: served, not served
 * and stale tables counted, remote and demo tables never stale, the problems named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "base/mem.h"
#include "core/data_state.h"
#include "data/demo.h"
#include "helpers.h"
#include "store/access_repo.h"
#include "store_helpers.h"

struct fixture {
    char *dir;
    struct config cfg;
    struct core core;
    struct user admin, alice;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err;
    f->dir = test_tmpdir();
    char *db = xasprintf("%s/system.sqlite", f->dir);
    assert_int_equal(store_open(db, 2, &f->core.store, &err), RC_OK);
    free(db);
    config_defaults(&f->cfg);
    f->cfg.stale_after_hours = 24;
    f->core.cfg = &f->cfg;
    f->admin = test_user("admin1", "admin1@example.com", "admin");
    f->alice = test_user("alice1", "alice1@example.com", "analyst");
    assert_int_equal(users_create(f->core.store, &f->admin, NULL, NULL, &err), RC_OK);
    assert_int_equal(users_create(f->core.store, &f->alice, NULL, NULL, &err), RC_OK);
    test_register_table(f->core.store, "orders", "", false);
    test_register_table(f->core.store, "holidays", "", true);
    test_register_table(f->core.store, "customers", "", true);
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
    free(f);
    return 0;
}

static void test_profile_only_to_a_reader_who_may_read_the_table(void **state)
{
    struct fixture *f = *state;
    struct core_profile p;
    struct err err;
    for (size_t i = 0; i < 2; i++) {
        const char *id = i ? "holidays" : "orders";
        assert_int_equal(
            profiles_save(f->core.store, id, "{\"rows\":3}", "2026-01-02T03:04:05Z", &err), RC_OK);
    }
    /* alice may read the public table, not the private one: that one "does not exist" */
    assert_int_equal(core_table_profile(&f->core, &f->alice, "holidays", &p, &err), RC_OK);
    assert_non_null(p.json);
    assert_string_equal(p.json, "{\"rows\":3}");
    assert_string_equal(p.extracted_at, "2026-01-02T03:04:05Z");
    assert_true(p.profiled_at[0] != '\0');
    free(p.json);
    assert_int_equal(core_table_profile(&f->core, &f->alice, "orders", &p, &err), RC_NOTFOUND);
    assert_string_equal(err.msg, "Table not found");
    assert_null(p.json);
    assert_int_equal(core_table_profile(&f->core, &f->alice, "no_such", &p, &err), RC_NOTFOUND);
    assert_string_equal(err.msg, "Table not found");
    assert_int_equal(core_table_profile(&f->core, &f->alice, "../etc", &p, &err), RC_NOTFOUND);
    /* the admin reads every profile */
    assert_int_equal(core_table_profile(&f->core, &f->admin, "orders", &p, &err), RC_OK);
    assert_non_null(p.json);
    free(p.json);
    /* readable but not profiled yet: no error, no profile */
    assert_int_equal(core_table_profile(&f->core, &f->alice, "customers", &p, &err), RC_OK);
    assert_null(p.json);
}

static struct sync_state_row state_row(const char *id, const char *source, const char *mode,
                                       const char *extracted_at, const char *status,
                                       const char *error)
{
    struct sync_state_row r = { .rows = 1 };
    snprintf(r.table_id, sizeof(r.table_id), "%s", id);
    snprintf(r.source, sizeof(r.source), "%s", source);
    snprintf(r.query_mode, sizeof(r.query_mode), "%s", mode);
    snprintf(r.extracted_at, sizeof(r.extracted_at), "%s", extracted_at);
    snprintf(r.status, sizeof(r.status), "%s", status);
    snprintf(r.error, sizeof(r.error), "%s", error);
    isotime_now(r.checked_at);
    return r;
}

static void test_health_counts_served_not_served_and_stale(void **state)
{
    struct fixture *f = *state;
    struct core_data_health h;
    struct err err;
    /* nothing recorded yet: healthy store, nothing served */
    assert_int_equal(core_data_health(&f->core, &h, &err), RC_OK);
    assert_int_equal(h.served, 0);
    assert_int_equal(h.n_problems, 0);
    core_data_health_cleanup(&h);

    char fresh[ISOTIME_SIZE];
    isotime_now(fresh);
    const char *old = "2020-01-01T00:00:00Z";
    const struct sync_state_row rows[] = {
        state_row("a_fresh", "crm", "local", fresh, "ok", ""),
        state_row("b_old", "crm", "local", old, "ok", ""),
        state_row("c_remote_old", "wh", "remote", old, "ok", ""),
        state_row("d_demo_old", DEMO_SOURCE_NAME, "local", old, "ok", ""),
        state_row("e_broken", "crm", "local", "", "error", "cannot open extract"),
    };
    assert_int_equal(sync_state_replace(f->core.store, rows, sizeof(rows) / sizeof(rows[0]), &err),
                     RC_OK);
    assert_int_equal(core_data_health(&f->core, &h, &err), RC_OK);
    assert_int_equal(h.served, 4);
    assert_int_equal(h.not_served, 1);
    assert_int_equal(h.stale, 1);
    assert_int_equal(h.n_problems, 2);
    assert_string_equal(h.problems[0].id, "b_old");
    assert_string_equal(h.problems[0].status, "stale");
    assert_string_equal(h.problems[0].reason, old);
    assert_string_equal(h.problems[1].id, "e_broken");
    assert_string_equal(h.problems[1].status, "error");
    assert_string_equal(h.problems[1].reason, "cannot open extract");
    assert_string_equal(h.problems[1].source, "crm");
    core_data_health_cleanup(&h);
    assert_null(h.problems);

    int schema = 0;
    int64_t users = 0, admins = 0;
    assert_int_equal(core_instance_counts(&f->core, &schema, &users, &admins, &err), RC_OK);
    assert_true(schema > 0);
    assert_int_equal(users, 2);
    assert_int_equal(admins, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_profile_only_to_a_reader_who_may_read_the_table, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_health_counts_served_not_served_and_stale, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
