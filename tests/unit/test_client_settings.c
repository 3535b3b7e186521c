/* test_client_settings.c — unit tests of the client's files (src/client/settings.c) and of how
 * a command finds its server and token (src/client/client.c): XDG and HOME paths, folder and
 * file modes, atomic replacement without stray temporaries, refusal of credentials files that
 * others could read (0644), that are symbolic links or damaged, several servers side by side,
 * deletion, the config's current server and per-server settings, the DA_SERVER / DA_TOKEN
 * precedence, secrets read from standard input, and the exit codes. */
/* clang-format off: cmocka.h needs these four first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format on */

#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "client/client.h"
#include "client/settings.h"
#include "helpers.h"

#define SERVER_A "https://da.example.com"
#define SERVER_B "http://127.0.0.1:8000"
#define TOKEN_A  "da_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define TOKEN_B  "da_pat_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

struct fixture {
    char *root;   /* the temporary folder */
    char *dir;    /* root/xdg/da: the client's folder */
    char *creds;  /* dir/credentials.json */
    char *config; /* dir/config.json */
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    f->root = test_tmpdir();
    char *xdg = xasprintf("%s/xdg", f->root);
    setenv("XDG_CONFIG_HOME", xdg, 1);
    free(xdg);
    unsetenv("DA_SERVER");
    unsetenv("DA_TOKEN");
    f->dir = xasprintf("%s/xdg/da", f->root);
    f->creds = xasprintf("%s/credentials.json", f->dir);
    f->config = xasprintf("%s/config.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    test_rm_rf(f->root);
    free(f->root);
    free(f->dir);
    free(f->creds);
    free(f->config);
    free(f);
    unsetenv("DA_SERVER");
    unsetenv("DA_TOKEN");
    return 0;
}

static void put(const char *server, const char *token, const char *id)
{
    struct err err = { { 0 } };
    struct settings_credential c = { .server = (char *)server,
                                     .token = (char *)token,
                                     .token_id = (char *)id,
                                     .email = (char *)"ana@example.com",
                                     .role = (char *)"analyst" };
    enum rc rc = settings_credential_put(&c, &err);
    if (rc)
        fail_msg("put %s: %s", server, err.msg);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* The number of names in dir that contain the text containing. */
static int count_entries(const char *dir, const char *containing)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strstr(e->d_name, containing))
            n++;
    closedir(d);
    return n;
}

/* ---- paths ----------------------------------------------------------------------------- */

static void test_dir_follows_xdg(void **state)
{
    struct fixture *f = *state;
    char *dir = NULL;
    struct err err;
    assert_int_equal(settings_dir(&dir, &err), RC_OK);
    assert_string_equal(dir, f->dir);
    free(dir);
}

static void test_dir_falls_back_to_home(void **state)
{
    struct fixture *f = *state;
    char *home = xasprintf("%s/home", f->root);
    char *want = xasprintf("%s/.config/da", home);
    char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
    setenv("HOME", home, 1);
    struct err err;
    char *dir = NULL;
    unsetenv("XDG_CONFIG_HOME");
    assert_int_equal(settings_dir(&dir, &err), RC_OK);
    assert_string_equal(dir, want);
    free(dir);
    /* the XDG spec: a relative XDG_CONFIG_HOME is ignored */
    setenv("XDG_CONFIG_HOME", "relative/config", 1);
    assert_int_equal(settings_dir(&dir, &err), RC_OK);
    assert_string_equal(dir, want);
    free(dir);
    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_home);
    free(home);
    free(want);
}

/* ---- credentials ------------------------------------------------------------------------ */

static void test_put_makes_private_files(void **state)
{
    struct fixture *f = *state;
    put(SERVER_A, TOKEN_A, "id-a");
    assert_int_equal(mode_of(f->dir), 0700);
    assert_int_equal(mode_of(f->creds), 0600);
    struct settings_credential c;
    struct err err;
    assert_int_equal(settings_credential_get(SERVER_A, &c, &err), RC_OK);
    assert_string_equal(c.server, SERVER_A);
    assert_string_equal(c.token, TOKEN_A);
    assert_string_equal(c.token_id, "id-a");
    assert_string_equal(c.email, "ana@example.com");
    assert_string_equal(c.role, "analyst");
    settings_credential_clear(&c);
    assert_null(c.token);
    assert_int_equal(settings_credential_get(SERVER_B, &c, &err), RC_NOTFOUND);
}

static void test_put_tightens_an_open_folder(void **state)
{
    struct fixture *f = *state;
    struct err err;
    assert_int_equal(file_mkdir_p(f->dir, 0755, &err), RC_OK);
    assert_int_equal(chmod(f->dir, 0755), 0);
    put(SERVER_A, TOKEN_A, "id-a");
    assert_int_equal(mode_of(f->dir), 0700);
}

static void test_replace_is_atomic_and_leaves_no_temporary(void **state)
{
    struct fixture *f = *state;
    put(SERVER_A, TOKEN_A, "id-a");
    put(SERVER_B, TOKEN_B, "id-b");
    put(SERVER_A, TOKEN_B, "id-a2"); /* replaces A, keeps B */
    assert_int_equal(count_entries(f->dir, ".tmp"), 0);
    assert_int_equal(count_entries(f->dir, "credentials"), 1);
    assert_int_equal(mode_of(f->creds), 0600);
    struct settings_credential c;
    struct err err;
    assert_int_equal(settings_credential_get(SERVER_A, &c, &err), RC_OK);
    assert_string_equal(c.token, TOKEN_B);
    assert_string_equal(c.token_id, "id-a2");
    settings_credential_clear(&c);
    assert_int_equal(settings_credential_get(SERVER_B, &c, &err), RC_OK);
    assert_string_equal(c.token_id, "id-b");
    settings_credential_clear(&c);
    /* the file is whole JSON with exactly the two servers */
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(file_read_all(f->creds, 65536, &text, &len, &err), RC_OK);
    json_t *root = json_loadb(text, len, 0, NULL);
    assert_non_null(root);
    assert_int_equal(json_object_size(json_object_get(root, "servers")), 2);
    json_decref(root);
    free(text);
}

static void test_refuses_a_file_others_can_read(void **state)
{
    struct fixture *f = *state;
    put(SERVER_A, TOKEN_A, "id-a");
    assert_int_equal(chmod(f->creds, 0644), 0);
    struct settings_credential c;
    struct err err = { { 0 } };
    assert_int_equal(settings_credential_get(SERVER_A, &c, &err), RC_INVALID);
    assert_null(c.token);
    assert_non_null(strstr(err.msg, "read by other users"));
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_non_null(strstr(err.msg, f->creds));
    /* nor is it written over: the user has to look at it first */
    struct settings_credential n = { .server = (char *)SERVER_B, .token = (char *)TOKEN_B };
    assert_int_equal(settings_credential_put(&n, &err), RC_INVALID);
    assert_int_equal(chmod(f->creds, 0640), 0);
    assert_int_equal(settings_credential_get(SERVER_A, &c, &err), RC_INVALID);
    /* the fix the message names works */
    assert_int_equal(chmod(f->creds, 0600), 0);
    assert_int_equal(settings_credential_get(SERVER_A, &c, &err), RC_OK);
    settings_credential_clear(&c);
}

static void test_refuses_a_symbolic_link_and_damage(void **state)
{
    struct fixture *f = *state;
    put(SERVER_A, TOKEN_A, "id-a");
    char *real = xasprintf("%s/elsewhere.json", f->root);
    assert_int_equal(rename(f->creds, real), 0);
    assert_int_equal(symlink(real, f->creds), 0);
    struct settings_credential c;
    struct err err = { { 0 } };
    assert_int_equal(settings_credential_get(SERVER_A, &c, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_int_equal(unlink(f->creds), 0);
    assert_int_equal(file_write_atomic(f->creds, "{not json", 9, 0600, &err), RC_OK);
    assert_int_equal(settings_credential_get(SERVER_A, &c, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "damaged"));
    assert_int_equal(file_write_atomic(f->creds, "{\"servers\": []}", 15, 0600, &err), RC_OK);
    assert_int_equal(settings_credential_get(SERVER_A, &c, &err), RC_INVALID);
    free(real);
}

static void test_delete(void **state)
{
    struct fixture *f = *state;
    put(SERVER_A, TOKEN_A, "id-a");
    put(SERVER_B, TOKEN_B, "id-b");
    struct err err;
    bool existed = false;
    assert_int_equal(settings_credential_delete(SERVER_A, &existed, &err), RC_OK);
    assert_true(existed);
    assert_true(file_exists(f->creds));
    struct settings_credential c;
    assert_int_equal(settings_credential_get(SERVER_A, &c, &err), RC_NOTFOUND);
    assert_int_equal(settings_credential_get(SERVER_B, &c, &err), RC_OK);
    settings_credential_clear(&c);
    assert_int_equal(settings_credential_delete(SERVER_A, &existed, &err), RC_OK);
    assert_false(existed);
    /* the last one takes the file with it */
    assert_int_equal(settings_credential_delete(SERVER_B, &existed, &err), RC_OK);
    assert_true(existed);
    assert_false(file_exists(f->creds));
}

/* ---- config ------------------------------------------------------------------------------ */

static void test_config_current_server_and_settings(void **state)
{
    struct fixture *f = *state;
    struct err err;
    char *s = NULL;
    assert_int_equal(settings_current_server(&s, &err), RC_NOTFOUND);
    assert_int_equal(settings_set_current_server(SERVER_A, &err), RC_OK);
    assert_int_equal(settings_current_server(&s, &err), RC_OK);
    assert_string_equal(s, SERVER_A);
    free(s);
    assert_int_equal(settings_server_get(SERVER_A, "sync_dir", &s, &err), RC_NOTFOUND);
    assert_int_equal(settings_server_set(SERVER_A, "sync_dir", "/data/da", &err), RC_OK);
    assert_int_equal(settings_server_set(SERVER_B, "sync_dir", "/data/b", &err), RC_OK);
    assert_int_equal(settings_server_get(SERVER_A, "sync_dir", &s, &err), RC_OK);
    assert_string_equal(s, "/data/da");
    free(s);
    assert_int_equal(settings_server_set(SERVER_A, "sync_dir", NULL, &err), RC_OK);
    assert_int_equal(settings_server_get(SERVER_A, "sync_dir", &s, &err), RC_NOTFOUND);
    assert_int_equal(settings_server_get(SERVER_B, "sync_dir", &s, &err), RC_OK);
    free(s);
    /* still the current server after the settings changed */
    assert_int_equal(settings_current_server(&s, &err), RC_OK);
    assert_string_equal(s, SERVER_A);
    free(s);
    assert_int_equal(count_entries(f->dir, ".tmp"), 0);
}

/* ---- how a command finds its server and token -------------------------------------------- */

static void test_server_precedence(void **state)
{
    (void)state;
    struct err err;
    char *s = NULL;
    assert_int_equal(client_server(NULL, &s, &err), RC_NOTFOUND);
    assert_non_null(strstr(err.msg, "--server"));
    assert_int_equal(settings_set_current_server(SERVER_A, &err), RC_OK);
    assert_int_equal(client_server(NULL, &s, &err), RC_OK);
    assert_string_equal(s, SERVER_A);
    free(s);
    setenv("DA_SERVER", "HTTP://Env.Example.com:9000/", 1);
    assert_int_equal(client_server(NULL, &s, &err), RC_OK);
    assert_string_equal(s, "http://env.example.com:9000");
    free(s);
    assert_int_equal(client_server("https://flag.example.com", &s, &err), RC_OK);
    assert_string_equal(s, "https://flag.example.com");
    free(s);
    assert_int_equal(client_server("ftp://x", &s, &err), RC_INVALID);
}

static void test_open_uses_env_token_then_stored(void **state)
{
    (void)state;
    struct err err = { { 0 } };
    struct client cl;
    assert_int_equal(client_open(SERVER_A, &cl, &err), RC_UNAUTHORIZED);
    assert_non_null(strstr(err.msg, "not logged in to " SERVER_A));
    assert_non_null(strstr(err.msg, "da login --server " SERVER_A));
    assert_int_equal(client_exit_code(NULL, RC_UNAUTHORIZED), CLIENT_EXIT_AUTH);
    client_close(&cl);
    put(SERVER_A, TOKEN_A, "id-a");
    assert_int_equal(client_open(SERVER_A, &cl, &err), RC_OK);
    assert_false(cl.token_from_env);
    assert_string_equal(cl.cred.token, TOKEN_A);
    assert_string_equal(hc_base_url(cl.hc), SERVER_A);
    client_close(&cl);
    setenv("DA_TOKEN", TOKEN_B, 1);
    assert_int_equal(client_open(SERVER_B, &cl, &err), RC_OK); /* no stored one needed */
    assert_true(cl.token_from_env);
    assert_null(cl.cred.token);
    client_close(&cl);
}

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(client_exit_code(NULL, RC_OK), 0);
    assert_int_equal(client_exit_code(NULL, RC_FORBIDDEN), 4);
    assert_int_equal(client_exit_code(NULL, RC_IO), 1); /* local I/O is not "unreachable" */
    assert_int_equal(client_exit_code(NULL, RC_INVALID), 1);
    struct hc *hc = NULL;
    struct err err = { { 0 } };
    assert_int_equal(hc_new("http://127.0.0.1:1", &hc, &err), RC_OK);
    json_t *j = NULL;
    enum rc rc = hc_get(hc, "/api/me", &j, &err);
    assert_int_equal(rc, RC_IO);
    assert_null(j);
    assert_false(hc_reached(hc));
    assert_non_null(strstr(err.msg, "cannot reach http://127.0.0.1:1"));
    assert_int_equal(client_exit_code(hc, rc), CLIENT_EXIT_UNREACHABLE);
    hc_free(&hc);
    assert_null(hc);
}

/* ---- secrets ------------------------------------------------------------------------------ */

/* Runs client_read_secret with text as standard input. */
static enum rc secret_from(const char *text, char **out, struct err *err)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    ssize_t w = write(p[1], text, strlen(text));
    assert_int_equal(w, (ssize_t)strlen(text));
    close(p[1]);
    int saved = dup(STDIN_FILENO);
    dup2(p[0], STDIN_FILENO);
    close(p[0]);
    enum rc rc = client_read_secret("unused: ", true, out, err);
    dup2(saved, STDIN_FILENO);
    close(saved);
    return rc;
}

static void test_secret_from_stdin(void **state)
{
    (void)state;
    struct err err;
    char *s = NULL;
    assert_int_equal(secret_from("hunter2 with spaces\r\nsecond line\n", &s, &err), RC_OK);
    assert_string_equal(s, "hunter2 with spaces");
    client_secret_free(s);
    assert_int_equal(secret_from("no newline", &s, &err), RC_OK);
    assert_string_equal(s, "no newline");
    client_secret_free(s);
    assert_int_equal(secret_from("", &s, &err), RC_INVALID);
    assert_null(s);
    assert_int_equal(secret_from("\n", &s, &err), RC_INVALID);
    char *big = xmalloc(CLIENT_SECRET_MAX + 2);
    memset(big, 'x', CLIENT_SECRET_MAX + 1);
    big[CLIENT_SECRET_MAX + 1] = '\0';
    assert_int_equal(secret_from(big, &s, &err), RC_INVALID);
    free(big);
    client_secret_free(NULL);
}

static void test_client_name(void **state)
{
    (void)state;
    char *n = client_name();
    assert_true(strncmp(n, "da CLI on ", 10) == 0);
    for (const char *p = n; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
    free(n);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dir_follows_xdg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_falls_back_to_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_makes_private_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_tightens_an_open_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_is_atomic_and_leaves_no_temporary, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refuses_a_file_others_can_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_a_symbolic_link_and_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_current_server_and_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_uses_env_token_then_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_from_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_name, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
