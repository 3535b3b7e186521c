/* test_authn.c — credential checks under a busy state store: a store that cannot answer is
 * the server's problem (503), never "Invalid or expired token" (401), which would send users
 * to log in again; and credential checks running beside writers are never refused. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/authn.h"
#include "auth/jwt.h"
#include "auth/opaque_token.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "core/identity.h"
#include "helpers.h"
#include "store/identity_repo.h"
#include "store/store_int.h"

#define TEST_KEY "unit-test-signing-key-0123456789abcdef"

struct fixture {
    char *dir;
    struct store *store;
    struct app app;
    char *pat;
    char *jwt;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err;
    f->dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", f->dir);
    assert_int_equal(store_open(path, 2, &f->store, &err), RC_OK);
    free(path);
    f->app.core.store = f->store;
    memcpy(f->app.core.key.bytes, TEST_KEY, strlen(TEST_KEY));
    f->app.core.key.len = strlen(TEST_KEY);

    struct user u = { .active = true };
    snprintf(u.id, sizeof(u.id), "u1");
    snprintf(u.email, sizeof(u.email), "ana@example.com");
    snprintf(u.name, sizeof(u.name), "Ana");
    snprintf(u.role, sizeof(u.role), "analyst");
    assert_int_equal(users_create(f->store, &u, NULL, NULL, &err), RC_OK);

    char hash[SHA256_HEX_LEN + 1];
    assert_int_equal(opaque_token_new("da_pat_", &f->pat, hash, &err), RC_OK);
    assert_int_equal(
        pats_create(f->store, "t1", "u1", "test", hash, clock_now_s() + 3600, NULL, &err), RC_OK);

    struct jwt_claims c = { 0 };
    snprintf(c.sub, sizeof(c.sub), "u1");
    snprintf(c.email, sizeof(c.email), "ana@example.com");
    snprintf(c.role, sizeof(c.role), "analyst");
    snprintf(c.jti, sizeof(c.jti), "session-1");
    c.iat = clock_now_s();
    c.exp = c.iat + 3600;
    assert_int_equal(
        sessions_create(f->store, c.jti, "u1", c.exp, "127.0.0.1", "password", NULL, &err), RC_OK);
    assert_int_equal(jwt_sign(&c, f->app.core.key.bytes, f->app.core.key.len, &f->jwt, &err),
                     RC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(&f->store);
    opaque_token_free(f->pat);
    free(f->jwt);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void test_a_busy_store_is_503_not_401(void **state)
{
    struct fixture *f = *state;
    struct principal p;
    struct err err;
    const char *tokens[] = { f->pat, f->jwt };
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(core_principal_from_token(&f->app.core, tokens[i], &p, &err), RC_OK);
        assert_string_equal(p.user.email, "ana@example.com");
    }

    /* every pooled connection taken: the store cannot answer within its deadline */
    store_set_acquire_timeout(f->store, 100);
    sqlite3 *held[2];
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(store_conn_acquire(f->store, &held[i], &err), RC_OK);
    for (size_t i = 0; i < 2; i++) {
        enum rc rc = core_principal_from_token(&f->app.core, tokens[i], &p, &err);
        assert_int_equal(rc, RC_BUSY);
        assert_int_equal(api_auth_failure_status(rc), 503);
        assert_int_equal(rc_http_status(rc), 503);
    }
    for (size_t i = 0; i < 2; i++)
        store_conn_release(f->store, held[i]);

    /* the same tokens work again; a refused token is still 401 */
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(core_principal_from_token(&f->app.core, tokens[i], &p, &err), RC_OK);
    char *other = NULL, hash[SHA256_HEX_LEN + 1];
    assert_int_equal(opaque_token_new("da_pat_", &other, hash, &err), RC_OK);
    enum rc rc = core_principal_from_token(&f->app.core, other, &p, &err);
    assert_int_equal(rc, RC_UNAUTHORIZED);
    assert_int_equal(api_auth_failure_status(rc), 401);
    opaque_token_free(other);
    /* any other failure of the store is the server's too */
    assert_int_equal(api_auth_failure_status(RC_DB), 503);
}

/* The write lock held by another writer past the deadline: RC_BUSY, not a hang. */
static void test_a_stuck_writer_gives_busy_not_a_hang(void **state)
{
    struct fixture *f = *state;
    struct err err;
    store_set_acquire_timeout(f->store, 100);
    sqlite3 *held[2];
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(store_conn_acquire(f->store, &held[i], &err), RC_OK);
    assert_int_equal(store_meta_set(f->store, "k", "v", &err), RC_BUSY);
    assert_non_null(strstr(err.msg, "busy"));
    for (size_t i = 0; i < 2; i++)
        store_conn_release(f->store, held[i]);
    assert_int_equal(store_meta_set(f->store, "k", "v", &err), RC_OK);
}

struct worker {
    struct fixture *f;
    int id;
    int refused; /* credential checks that did not say RC_OK */
    int failed;  /* writes that failed */
};

static void *checker(void *p)
{
    struct worker *w = p;
    for (int i = 0; i < 300; i++) {
        struct principal pr;
        struct err err;
        if (core_principal_from_token(&w->f->app.core, (i % 2) ? w->f->pat : w->f->jwt, &pr,
                                      &err) != RC_OK)
            w->refused++;
    }
    return NULL;
}

static void *writer(void *p)
{
    struct worker *w = p;
    for (int i = 0; i < 60; i++) {
        struct err err;
        char key[32];
        snprintf(key, sizeof(key), "w%d-%d", w->id, i);
        struct audit_entry e = { .action = "test", .target = key, .result = "ok" };
        if (store_meta_set(w->f->store, key, "v", &err) != RC_OK ||
            audit_write(w->f->store, &e, &err) != RC_OK)
            w->failed++;
    }
    return NULL;
}

/* Many credential checks (each PAT check may stamp last_used_at) beside many writers, on a
 * small pool: no check is ever refused and no write fails. */
static void test_checks_beside_writers_are_never_refused(void **state)
{
    struct fixture *f = *state;
    enum { CHECKERS = 8, WRITERS = 4 };
    pthread_t t[CHECKERS + WRITERS];
    struct worker w[CHECKERS + WRITERS];
    for (int i = 0; i < CHECKERS + WRITERS; i++) {
        w[i] = (struct worker){ f, i, 0, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, i < CHECKERS ? checker : writer, &w[i]), 0);
    }
    for (int i = 0; i < CHECKERS + WRITERS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].refused, 0);
        assert_int_equal(w[i].failed, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_busy_store_is_503_not_401, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_stuck_writer_gives_busy_not_a_hang, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checks_beside_writers_are_never_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
