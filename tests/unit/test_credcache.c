/* test_credcache.c — the verified-credential cache: bounded whatever number of credentials is
 * shown, a version bump invalidates every entry at once (an entry made from a read that a
 * change overtook is born stale), expiry applies, the least recently used entry of a full set
 * gives way, and a token's use is stamped once a minute. Then the cache in a server's core:
 * a warm entry is answered from memory, and a role change, a token revocation or a deletion
 * applies on the very next check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/opaque_token.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "base/sha256.h"
#include "core/credcache.h"
#include "core/identity.h"
#include "helpers.h"
#include "store/identity_repo.h"

#define TEST_KEY "unit-test-signing-key-0123456789abcdef"
#define FROM     "192.0.2.7"

static void key_of(int i, unsigned char key[SHA256_LEN])
{
    char text[32];
    snprintf(text, sizeof(text), "token-%d", i);
    sha256(text, strlen(text), key);
}

static struct principal someone(const char *id, const char *role)
{
    struct principal p = { 0 };
    snprintf(p.user.id, sizeof(p.user.id), "%s", id);
    snprintf(p.user.role, sizeof(p.user.role), "%s", role);
    return p;
}

static void test_the_cache_stays_within_its_bound(void **state)
{
    (void)state;
    struct credcache *c = credcache_new(64);
    assert_true(credcache_capacity(c) >= 64 && credcache_capacity(c) < 64 + 4);
    unsigned char key[SHA256_LEN];
    struct principal p = someone("u1", "analyst"), got;
    for (int i = 0; i < 10000; i++) {
        key_of(i, key);
        credcache_put(c, key, &p, 2000, 0, credcache_version(c));
    }
    assert_true(credcache_used(c) <= credcache_capacity(c));
    key_of(9999, key); /* the newest is there; most of the flood is not */
    assert_true(credcache_get(c, key, 1000, 60, &got, NULL));
    int hits = 0;
    for (int i = 0; i < 10000; i++) {
        key_of(i, key);
        hits += credcache_get(c, key, 1000, 60, &got, NULL);
    }
    assert_true(hits <= (int)credcache_capacity(c));
    credcache_free(&c);
    assert_null(c);
    credcache_free(&c); /* twice is fine */
}

static void test_a_bump_invalidates_every_entry(void **state)
{
    (void)state;
    struct credcache *c = credcache_new(16);
    unsigned char a[SHA256_LEN], b[SHA256_LEN];
    key_of(1, a);
    key_of(2, b);
    struct principal admin = someone("u1", "admin"), got;
    uint64_t v = credcache_version(c);
    credcache_put(c, a, &admin, 2000, 0, v);
    credcache_put(c, b, &admin, 2000, 0, v);
    assert_true(credcache_get(c, a, 1000, 60, &got, NULL));
    assert_string_equal(got.user.role, "admin");
    credcache_bump(c);
    assert_false(credcache_get(c, a, 1000, 60, &got, NULL));
    assert_false(credcache_get(c, b, 1000, 60, &got, NULL));

    /* a check that read the store before a change committed caches nothing it can answer */
    uint64_t before = credcache_version(c);
    credcache_bump(c); /* the change commits meanwhile */
    credcache_put(c, a, &admin, 2000, 0, before);
    assert_false(credcache_get(c, a, 1000, 60, &got, NULL));

    /* re-verified after the change: cached again */
    struct principal analyst = someone("u1", "analyst");
    credcache_put(c, a, &analyst, 2000, 0, credcache_version(c));
    assert_true(credcache_get(c, a, 1000, 60, &got, NULL));
    assert_string_equal(got.user.role, "analyst");
    credcache_free(&c);
}

static void test_an_entry_ends_with_its_credential(void **state)
{
    (void)state;
    struct credcache *c = credcache_new(16);
    unsigned char a[SHA256_LEN];
    key_of(1, a);
    struct principal p = someone("u1", "viewer"), got;
    credcache_put(c, a, &p, 1000, 0, credcache_version(c));
    assert_true(credcache_get(c, a, 999, 60, &got, NULL));
    assert_false(credcache_get(c, a, 1000, 60, &got, NULL));
    assert_false(credcache_get(c, a, 999, 60, &got, NULL)); /* gone for good */
    credcache_free(&c);
}

static void test_a_full_set_drops_its_least_recently_used(void **state)
{
    (void)state;
    struct credcache *c = credcache_new(4); /* one set of four */
    unsigned char k[6][SHA256_LEN];
    struct principal p = someone("u1", "analyst"), got;
    for (int i = 0; i < 6; i++)
        key_of(i, k[i]);
    for (int i = 0; i < 4; i++)
        credcache_put(c, k[i], &p, 2000, 0, credcache_version(c));
    assert_true(credcache_get(c, k[0], 1000, 60, &got, NULL)); /* k[1] is now the oldest */
    credcache_put(c, k[4], &p, 2000, 0, credcache_version(c));
    assert_true(credcache_get(c, k[0], 1000, 60, &got, NULL));
    assert_false(credcache_get(c, k[1], 1000, 60, &got, NULL));
    assert_true(credcache_get(c, k[4], 1000, 60, &got, NULL));
    /* the same credential again replaces its entry rather than taking a second one */
    credcache_put(c, k[4], &p, 2000, 0, credcache_version(c));
    assert_int_equal(credcache_used(c), 4);
    credcache_free(&c);
}

static void test_a_use_is_stamped_once_a_minute(void **state)
{
    (void)state;
    struct credcache *c = credcache_new(16);
    unsigned char a[SHA256_LEN];
    key_of(1, a);
    struct principal p = someone("u1", "analyst"), got;
    bool due = false;
    credcache_put(c, a, &p, 5000, 1000, credcache_version(c));
    assert_true(credcache_get(c, a, 1030, 60, &got, &due));
    assert_false(due);
    assert_true(credcache_get(c, a, 1060, 60, &got, &due));
    assert_true(due);
    assert_true(credcache_get(c, a, 1061, 60, &got, &due));
    assert_false(due); /* the one caller above stamps; the next one a minute later */
    assert_true(credcache_get(c, a, 1120, 60, &got, &due));
    assert_true(due);
    credcache_free(&c);
}

/* ---------------------------------------------------------------- in a server's core */

struct fixture {
    char *dir;
    struct config cfg;
    struct core core;
    struct principal admin;
};

static char public_url[] = "https://da.example.com";

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err;
    f->dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", f->dir);
    assert_int_equal(store_open(path, 4, &f->core.store, &err), RC_OK);
    free(path);
    f->cfg.public_url = public_url;
    f->core.cfg = &f->cfg;
    memcpy(f->core.key.bytes, TEST_KEY, strlen(TEST_KEY));
    f->core.key.len = strlen(TEST_KEY);
    assert_int_equal(core_identity_start(&f->core, &err), RC_OK);
    struct user_new in = { .email = "root@example.com", .role = "admin" };
    struct user u;
    assert_int_equal(core_user_create(&f->core, NULL, NULL, &in, "test", &u, NULL, &err), RC_OK);
    f->admin.user = u;
    metrics_reset();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    core_identity_stop(&f->core);
    core_identity_stop(&f->core); /* twice is fine */
    store_close(&f->core.store);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* The value of da_credential_cache_total{result="<result>"}, 0 when not counted yet. */
static int cache_count(const char *result)
{
    struct buf out;
    buf_init(&out, 1 << 20);
    assert_int_equal(metrics_render(&out), RC_OK);
    char series[96];
    snprintf(series, sizeof(series), "da_credential_cache_total{result=\"%s\"} ", result);
    const char *at = strstr(buf_cstr(&out), series);
    int n = at ? atoi(at + strlen(series)) : 0;
    buf_cleanup(&out);
    return n;
}

static void test_a_warm_credential_is_answered_from_memory(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct principal p;
    char *jwt = NULL;
    assert_int_equal(core_session_issue(&f->core, FROM, &f->admin.user, "password", &jwt, &err),
                     RC_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(core_principal_from_token(&f->core, jwt, &p, &err), RC_OK);
    assert_int_equal(cache_count("miss"), 1);
    assert_int_equal(cache_count("hit"), 2);
    assert_string_equal(p.user.email, "root@example.com");
    assert_true(p.jti[0] != '\0');
    /* one character off is another token: verified on its own, and refused */
    jwt[strlen(jwt) - 1] = jwt[strlen(jwt) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(core_principal_from_token(&f->core, jwt, &p, &err), RC_UNAUTHORIZED);
    free(jwt);
}

static void test_changes_apply_on_the_next_check_with_the_cache_warm(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct principal p, boss;
    struct user u;
    char *jwt = NULL, *pat = NULL, id[RAND_ID_LEN + 1];
    int64_t expires = 0;
    struct user_new in = { .email = "ad@example.com", .role = "admin" };
    assert_int_equal(core_user_create(&f->core, FROM, NULL, &in, NULL, &u, NULL, &err), RC_OK);
    assert_int_equal(core_session_issue(&f->core, FROM, &u, "password", &jwt, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, jwt, &p, &err), RC_OK);
    assert_int_equal(core_pat_create(&f->core, FROM, &p, "ci", 7, id, &pat, &expires, &err), RC_OK);
    for (int i = 0; i < 2; i++) { /* warm */
        assert_int_equal(core_principal_from_token(&f->core, jwt, &p, &err), RC_OK);
        assert_int_equal(core_principal_from_token(&f->core, pat, &p, &err), RC_OK);
    }
    assert_string_equal(p.user.role, "admin");
    int hits = cache_count("hit");
    assert_true(hits >= 3);

    /* a role change: the next check of either credential has the new role */
    assert_int_equal(core_principal_from_token(&f->core, jwt, &boss, &err), RC_OK);
    assert_int_equal(
        core_user_update(&f->core, FROM, &boss, u.id, NULL, "analyst", -1, -1, NULL, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, jwt, &p, &err), RC_OK);
    assert_string_equal(p.user.role, "analyst");
    assert_int_equal(core_principal_from_token(&f->core, pat, &p, &err), RC_OK);
    assert_string_equal(p.user.role, "analyst");

    /* the token revoked: refused at once, the session still good */
    assert_int_equal(core_principal_from_token(&f->core, pat, &p, &err), RC_OK);
    assert_int_equal(core_pat_revoke(&f->core, FROM, &p, id, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, pat, &p, &err), RC_UNAUTHORIZED);
    assert_int_equal(core_principal_from_token(&f->core, jwt, &p, &err), RC_OK);

    /* the user deleted: the session is refused */
    struct principal root = f->admin;
    assert_int_equal(core_principal_from_token(&f->core, jwt, &p, &err), RC_OK);
    assert_int_equal(core_user_delete(&f->core, FROM, &root, u.id, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, jwt, &p, &err), RC_UNAUTHORIZED);
    free(jwt);
    opaque_token_free(pat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_cache_stays_within_its_bound),
        cmocka_unit_test(test_a_bump_invalidates_every_entry),
        cmocka_unit_test(test_an_entry_ends_with_its_credential),
        cmocka_unit_test(test_a_full_set_drops_its_least_recently_used),
        cmocka_unit_test(test_a_use_is_stamped_once_a_minute),
        cmocka_unit_test_setup_teardown(test_a_warm_credential_is_answered_from_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_changes_apply_on_the_next_check_with_the_cache_warm,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
