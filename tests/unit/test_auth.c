/* test_auth.c — unit tests of src/auth: the server signing key is never a known default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "auth/server_key.h"
#include "base/fileio.h"
#include "base/mem.h"
#include "helpers.h"

static void test_creates_a_private_random_key_once(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/%s", dir, SERVER_KEY_FILE);
    struct server_key a, b;
    struct err err;
    assert_int_equal(server_key_load(dir, NULL, &a, &err), RC_OK);
    assert_true(a.created);
    assert_false(a.from_env);
    assert_int_equal(a.len, SERVER_KEY_RANDOM);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(server_key_load(dir, NULL, &b, &err), RC_OK);
    assert_false(b.created);
    assert_memory_equal(a.bytes, b.bytes, SERVER_KEY_RANDOM);
    /* another data folder gets another key */
    char *dir2 = test_tmpdir();
    struct server_key c;
    assert_int_equal(server_key_load(dir2, NULL, &c, &err), RC_OK);
    assert_memory_not_equal(a.bytes, c.bytes, SERVER_KEY_RANDOM);
    server_key_wipe(&a);
    for (size_t i = 0; i < sizeof(a.bytes); i++)
        assert_int_equal(a.bytes[i], 0);
    test_rm_rf(dir);
    test_rm_rf(dir2);
    free(dir);
    free(dir2);
    free(path);
}

static void test_configured_key_must_be_long_enough(void **state)
{
    (void)state;
    struct server_key k;
    struct err err;
    const char *secret = "short-secret-1234567890";
    assert_int_equal(server_key_load("/nonexistent", secret, &k, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "JWT_SECRET_KEY"));
    assert_null(strstr(err.msg, secret)); /* the secret is never echoed */
    const char *good = "0123456789abcdef0123456789abcdef";
    assert_int_equal(server_key_load("/nonexistent", good, &k, &err), RC_OK);
    assert_true(k.from_env);
    assert_int_equal(k.len, 32);
    assert_memory_equal(k.bytes, good, 32);
}

static void test_refuses_readable_or_damaged_key_file(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/%s", dir, SERVER_KEY_FILE);
    struct server_key k;
    struct err err;
    assert_int_equal(server_key_load(dir, NULL, &k, &err), RC_OK);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(server_key_load(dir, NULL, &k, &err), RC_FORBIDDEN);
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_int_equal(file_write_atomic(path, "abc\n", 4, 0600, &err), RC_OK);
    assert_int_equal(server_key_load(dir, NULL, &k, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "damaged"));
    test_rm_rf(dir);
    free(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creates_a_private_random_key_once),
        cmocka_unit_test(test_configured_key_must_be_long_enough),
        cmocka_unit_test(test_refuses_readable_or_damaged_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
