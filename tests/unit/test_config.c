/* test_config.c — unit tests of src/config: defaults, the YAML loader and each of its error
 * classes, ${NAME} interpolation, environment overrides, validation, and the agreement of
 * config/instance.yaml.example and config/env.example with the table. Includes config.c to
 * reach the table and the static interpolate(). Runs with cwd = the repository root. */
/* cmocka.h needs these first, which include sorting would undo */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
/* clang-format on */

#include "../../src/config/config.c"
#include "helpers.h"

/* Variables the tests set besides the table's own; all cleared after each test. */
static const char *const test_vars[] = { "DA_T_PORT", "DA_T_EMPTY", "DA_T_HOST", "DA_T_X",
                                         "DA_T_DOMAIN" };

/* The table's variables as they were before the tests, restored at the end. */
static char *saved_env[CONFIG_N];

static void clear_env(void)
{
    for (size_t i = 0; i < CONFIG_N; i++)
        if (config_table[i].env)
            unsetenv(config_table[i].env);
    for (size_t i = 0; i < ARRAY_LEN(test_vars); i++)
        unsetenv(test_vars[i]);
}

static int group_setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < CONFIG_N; i++) {
        const char *v = config_table[i].env ? getenv(config_table[i].env) : NULL;
        saved_env[i] = v ? xstrdup(v) : NULL;
    }
    clear_env();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    clear_env();
    for (size_t i = 0; i < CONFIG_N; i++) {
        if (saved_env[i])
            setenv(config_table[i].env, saved_env[i], 1);
        free(saved_env[i]);
        saved_env[i] = NULL;
    }
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

static int test_teardown(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

/* Writes text to a fresh file under /tmp; the caller unlinks and frees the path. */
static char *write_tmp(const char *text, size_t len)
{
    char *path = xstrdup("/tmp/da-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    assert_int_equal(close(fd), 0);
    return path;
}

/* Loads text over the defaults into c (which the caller cleans up) and returns the result. */
static enum rc load_text(struct config *c, const char *text, char **out_path, struct err *err)
{
    char *path = write_tmp(text, strlen(text));
    config_defaults(c);
    err->msg[0] = '\0';
    enum rc rc = config_load_file(c, path, err);
    unlink(path);
    if (out_path)
        *out_path = path;
    else
        free(path);
    return rc;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void assert_not_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle))
        fail_msg("did not expect \"%s\" in \"%s\"", needle, haystack);
}

static void assert_starts_with(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("expected \"%s\" to start with \"%s\"", s, prefix);
}

/* ---- defaults ---------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    struct config c;
    config_defaults(&c);
    assert_string_equal(c.instance_name, "da");
    assert_string_equal(c.host, "127.0.0.1");
    assert_int_equal(c.port, 8000);
    assert_string_equal(c.data_dir, "./data");
    assert_int_equal(c.threads, 8);
    assert_int_equal(c.max_body_bytes, 1048576);
    assert_int_equal(c.connection_timeout_s, 30);
    assert_int_equal(c.max_connections_per_ip, 128);
    assert_int_equal(c.header_timeout_s, 10);
    assert_int_equal(c.body_min_bytes_per_s, 1024);
    assert_int_equal(c.body_rate_window_s, 10);
    assert_int_equal(c.shutdown_grace_s, 10);
    assert_false(c.behind_tls_proxy);
    assert_string_equal(c.public_url, "http://127.0.0.1:8000");
    assert_int_equal(c.log_level, LOG_INFO);
    assert_int_equal(c.log_format, LOG_HUMAN);
    assert_null(c.jwt_secret);
    assert_int_equal(c.allowed_domains_len, 0);
    assert_int_equal(c.stale_after_hours, 24);
    struct err err;
    assert_int_equal(config_validate(&c, &err), RC_OK);
    config_cleanup(&c);
    assert_null(c.host);
    assert_int_equal(c.port, 0);
    config_cleanup(&c); /* a zeroed struct is fine, twice is fine */
    config_cleanup(NULL);
}

/* ---- a full valid file ------------------------------------------------------------------- */

static void test_full_file(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    const char *text = "# every key, none at its default\n"
                       "instance:\n"
                       "  name: acme\n"
                       "server:\n"
                       "  host: 0.0.0.0\n"
                       "  port: 9000\n"
                       "  data_dir: /var/lib/da\n"
                       "  threads: 16\n"
                       "  max_body_bytes: 1073741824\n"
                       "  connection_timeout_s: 60\n"
                       "  shutdown_grace_s: 0\n"
                       "  behind_tls_proxy: yes\n"
                       "  public_url: \"https://da.example.com\"\n"
                       "log:\n"
                       "  level: debug\n"
                       "  format: json\n"
                       "auth:\n"
                       "  allowed_domains: [Example.COM, corp.example.org]\n"
                       "data:\n"
                       "  stale_after_hours: 8760\n";
    assert_int_equal(load_text(&c, text, NULL, &err), RC_OK);
    assert_string_equal(c.instance_name, "acme");
    assert_string_equal(c.host, "0.0.0.0");
    assert_int_equal(c.port, 9000);
    assert_string_equal(c.data_dir, "/var/lib/da");
    assert_int_equal(c.threads, 16);
    assert_int_equal(c.max_body_bytes, 1073741824);
    assert_int_equal(c.connection_timeout_s, 60);
    assert_int_equal(c.shutdown_grace_s, 0);
    assert_true(c.behind_tls_proxy);
    assert_string_equal(c.public_url, "https://da.example.com");
    assert_int_equal(c.log_level, LOG_DEBUG);
    assert_int_equal(c.log_format, LOG_JSON);
    assert_int_equal(c.allowed_domains_len, 2);
    assert_string_equal(c.allowed_domains[0], "example.com"); /* lowercased */
    assert_string_equal(c.allowed_domains[1], "corp.example.org");
    assert_int_equal(c.stale_after_hours, 8760);
    assert_null(c.jwt_secret);
    assert_int_equal(config_validate(&c, &err), RC_OK);
    config_cleanup(&c);
}

static void test_null_values_keep_defaults(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    const char *text = "server:\n"
                       "  port:\n"
                       "  host: ~\n"
                       "  threads: null\n"
                       "  data_dir: /srv/da\n"
                       "log:\n"
                       "auth:\n"
                       "  allowed_domains:\n";
    assert_int_equal(load_text(&c, text, NULL, &err), RC_OK);
    assert_int_equal(c.port, 8000);
    assert_string_equal(c.host, "127.0.0.1");
    assert_int_equal(c.threads, 8);
    assert_string_equal(c.data_dir, "/srv/da");
    assert_int_equal(c.log_level, LOG_INFO);
    assert_int_equal(c.allowed_domains_len, 0);
    config_cleanup(&c);
}

static void test_range_edges_accepted(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    assert_int_equal(load_text(&c, "server:\n  port: 0\n  threads: 256\n", NULL, &err), RC_OK);
    assert_int_equal(c.port, 0);
    assert_int_equal(c.threads, 256);
    config_cleanup(&c);
    assert_int_equal(load_text(&c, "server:\n  port: 65535\n  max_body_bytes: 1024\n", NULL, &err),
                     RC_OK);
    assert_int_equal(c.port, 65535);
    assert_int_equal(c.max_body_bytes, 1024);
    config_cleanup(&c);
}

/* ---- error classes: each names the file, the line and the key ------------------------------ */

struct bad_case {
    const char *text;
    int line;          /* 0: the message is "PATH: ..." without a line */
    const char *key;   /* NULL: no key in the message */
    const char *what;  /* must appear in the message */
    const char *what2; /* also (may be NULL) */
};

static void check_bad(const struct bad_case *bc)
{
    struct config c;
    struct err err;
    char *path = NULL;
    enum rc rc = load_text(&c, bc->text, &path, &err);
    if (rc != RC_INVALID)
        fail_msg("%s: expected RC_INVALID, got %s (%s)", bc->text, rc_str(rc), err.msg);
    char *prefix = NULL;
    if (bc->line && bc->key)
        prefix = xasprintf("%s:%d: %s: ", path, bc->line, bc->key);
    else if (bc->line)
        prefix = xasprintf("%s:%d: ", path, bc->line);
    else
        prefix = xasprintf("%s: ", path);
    assert_starts_with(err.msg, prefix);
    assert_contains(err.msg, bc->what);
    if (bc->what2)
        assert_contains(err.msg, bc->what2);
    free(prefix);
    free(path);
    config_cleanup(&c);
}

static void test_unknown_key_and_section(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "server:\n  host: a\n  prot: 80\n", 3, "server.prot", "unknown key", NULL },
        { "server:\n  port: 1\nsever:\n  port: 1\n", 3, "sever", "unknown section",
          "instance, server, log, auth, mail, data, query, uploads, metrics" },
        { "auth:\n  jwt_secret: abc\n", 2, "auth.jwt_secret", "unknown key", "JWT_SECRET_KEY" },
        { "server.port: 80\n", 1, "server.port", "unknown section", NULL },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        check_bad(&cases[i]);
}

static void test_wrong_node_types(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "server:\n  port: [1, 2]\n", 2, "server.port", "single value", "list" },
        { "server:\n  host:\n    a: b\n", 2, "server.host", "single value", "mapping" },
        { "server: 8000\n", 1, "server", "must be a mapping", "8000" },
        { "log:\n  - level\n", 1, "log", "must be a mapping", "list" },
        { "auth:\n  allowed_domains: example.com\n", 2, "auth.allowed_domains", "must be a list",
          "example.com" },
        { "auth:\n  allowed_domains:\n    a: b\n", 2, "auth.allowed_domains", "must be a list",
          "mapping" },
        { "auth:\n  allowed_domains:\n    - [a.com]\n", 3, "auth.allowed_domains", "single values",
          NULL },
        { "- server\n- log\n", 1, "top level", "must be a mapping of sections", "list" },
        { "hello\n", 1, "top level", "must be a mapping of sections", "hello" },
        { "server:\n  ? [a]\n  : 1\n", 2, "server", "plain names", NULL },
        { "? [server]\n: 1\n", 1, "top level", "section names must be plain names", "list" },
        { "instance:\n  name: \"a\\0b\"\n", 2, "instance.name", "NUL", NULL },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        check_bad(&cases[i]);
}

static void test_bad_values(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "server:\n  port: eighty\n", 2, "server.port", "between 0 and 65535", "'eighty'" },
        { "server:\n  port: 70000\n", 2, "server.port", "between 0 and 65535", "70000" },
        { "server:\n  port: -1\n", 2, "server.port", "between 0 and 65535", "-1" },
        { "server:\n  port: 80.5\n", 2, "server.port", "between 0 and 65535", "80.5" },
        { "\nserver:\n  threads: 0\n", 3, "server.threads", "between 1 and 256", NULL },
        { "server:\n  max_body_bytes: 1073741825\n", 2, "server.max_body_bytes",
          "between 1024 and 1073741824", NULL },
        { "data:\n  stale_after_hours: 99999999999999999999\n", 2, "data.stale_after_hours",
          "between 1 and 8760", NULL },
        { "server:\n  behind_tls_proxy: maybe\n", 2, "server.behind_tls_proxy", "true or false",
          "'maybe'" },
        { "log:\n  level: loud\n", 2, "log.level", "debug, info, warn, error", "'loud'" },
        { "log:\n  format: xml\n", 2, "log.format", "human, json", "'xml'" },
        { "server:\n  port: \"\"\n", 2, "server.port", "between 0 and 65535", NULL },
        { "sync:\n  default_enabled: maybe\n", 2, "sync.default_enabled", "auto, true, false",
          "'maybe'" },
        { "sync:\n  default_enabled: yes\n", 2, "sync.default_enabled", "auto, true, false", NULL },
        { "sync:\n  large_table_bytes: 12 parsecs\n", 2, "sync.large_table_bytes",
          "a size in bytes or with a unit", "'12 parsecs'" },
        { "sync:\n  large_table_bytes: -1\n", 2, "sync.large_table_bytes", "a size", NULL },
        { "sync:\n  large_table_bytes: 1e300\n", 2, "sync.large_table_bytes", "a size", NULL },
        { "sync:\n  large_table_bytes: nan\n", 2, "sync.large_table_bytes", "a size", NULL },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        check_bad(&cases[i]);
}

static void test_duplicates(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "server:\n  port: 1\n  port: 2\n", 3, "server.port", "duplicate key", "line 2" },
        { "server:\n  port: 1\nlog:\n  level: info\nserver:\n  host: x\n", 5, "server",
          "duplicate section", "line 1" },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        check_bad(&cases[i]);
}

static void test_anchors_and_aliases_refused(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "server:\n  host: &h localhost\n  public_url: *h\n", 2, "server.host",
          "aliases are not allowed", "&h" },
        { "server:\n  host: *h\n", 2, "server.host", "aliases are not allowed", "*h" },
        { "server: &d\n  port: 1\n", 1, "server", "aliases are not allowed", "&d" },
        { "server:\n  port: 1\nlog: *x\n", 3, "log", "aliases are not allowed", NULL },
        { "auth:\n  allowed_domains:\n    - a.com\n    - &b b.com\n", 4, "auth.allowed_domains",
          "aliases are not allowed", "&b" },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        check_bad(&cases[i]);
}

/* A list in the file holds at most 1024 items (empty ones do not count); the 1025th is named
 * by its line. */
static void test_list_length_in_file(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(buf_append_str(&b, "auth:\n  allowed_domains:\n    - \"\"\n"), RC_OK);
    for (int i = 0; i < 1024; i++)
        assert_int_equal(buf_printf(&b, "    - d%d.example.com\n", i), RC_OK);
    char *text = buf_take(&b, NULL);
    assert_int_equal(load_text(&c, text, NULL, &err), RC_OK);
    assert_int_equal(c.allowed_domains_len, 1024);
    assert_string_equal(c.allowed_domains[1023], "d1023.example.com");
    config_cleanup(&c);

    char *more = xasprintf("%s    - one-more.example.com\n", text);
    const struct bad_case too_many = { more, 1028, "auth.allowed_domains", "at most 1024 items",
                                       NULL };
    check_bad(&too_many);
    free(more);
    free(text);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "auth:\n  allowed_domains: [a, b\n", 3, NULL, "YAML syntax error", "flow sequence" },
        { "server:\n  port: 1\n host: x\n", 3, NULL, "YAML syntax error",
          "did not find expected key" },
        { "server:\n\thost: x\n", 2, NULL, "YAML syntax error", NULL },
        { "server:\n  host: \"unterminated\n", 3, NULL, "YAML syntax error", NULL },
        { "server:\n  host: \xff\xfe\n", 2, NULL, "YAML syntax error", NULL },
        { "server:\n  port: 1\n---\nserver:\n  port: 2\n", 3, NULL, "only one YAML document",
          NULL },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        check_bad(&cases[i]);
}

static void test_empty_configuration(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "", 0, NULL, "empty configuration", NULL },
        { "# only a comment\n\n", 0, NULL, "empty configuration", NULL },
        { "---\n", 0, NULL, "empty configuration", NULL },
        { "~\n", 0, NULL, "empty configuration", NULL },
        { "{}\n", 0, NULL, "empty configuration", NULL },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        check_bad(&cases[i]);
}

static void test_sources_list(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    const char *text = "instance:\n  timezone: Europe/Prague\n"
                       "sources:\n"
                       "  - {name: shop, type: files, schedule: every 15m, from: /srv/shop}\n"
                       "  - name: kbc\n    type: keboola\n";
    assert_int_equal(load_text(&c, text, NULL, &err), RC_OK);
    assert_int_equal(config_validate(&c, &err), RC_OK);
    assert_string_equal(c.timezone, "Europe/Prague");
    assert_int_equal(c.sources_len, 2);
    assert_string_equal(c.sources[0].name, "shop");
    assert_string_equal(c.sources[0].schedule, "every 15m");
    assert_string_equal(c.sources[0].from, "/srv/shop");
    assert_string_equal(c.sources[1].type, "keboola");
    assert_null(c.sources[1].schedule);
    config_cleanup(&c);
    /* each mistake names sources: and what is wrong */
    static const struct {
        const char *text, *msg;
    } bad[] = {
        { "sources:\n  - {name: a, type: files, colour: red}\n", "unknown key 'colour'" },
        { "sources:\n  - {name: a}\n", "needs a name and a type" },
        { "sources:\n  - just-a-name\n", "must be a mapping" },
        { "sources: every 5m\n", "must be a list" },
        { "sources:\n  - {name: a, name: b, type: files}\n", "duplicate key 'name'" },
        { "sources:\n  - {name: a, type: [files]}\n", "type must be a single value" },
        { "sources:\n  - {name: a, type: files, from: /a}\nsources:\n", "duplicate section" },
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(load_text(&c, bad[i].text, NULL, &err), RC_INVALID);
        assert_contains(err.msg, "sources");
        assert_contains(err.msg, bad[i].msg);
        config_cleanup(&c);
    }
    static const struct {
        const char *text, *msg;
    } invalid[] = {
        { "sources:\n  - {name: ../x, type: files, from: /a}\n", "name '../x'" },
        { "sources:\n  - {name: a, type: files}\n", "needs 'from'" },
        { "sources:\n  - {name: a, type: files, from: /a}\n  - {name: a, type: files, from: /b}\n",
          "listed twice" },
    };
    for (size_t i = 0; i < ARRAY_LEN(invalid); i++) {
        assert_int_equal(load_text(&c, invalid[i].text, NULL, &err), RC_OK);
        assert_int_equal(config_validate(&c, &err), RC_INVALID);
        assert_contains(err.msg, invalid[i].msg);
        config_cleanup(&c);
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, "/nonexistent/da/instance.yaml", &err), RC_NOTFOUND);
    assert_starts_with(err.msg, "/nonexistent/da/instance.yaml: ");
    assert_contains(err.msg, "not found");
    assert_int_equal(c.port, 8000); /* untouched */
    config_cleanup(&c);
}

/* config_load: a file missing at the default place is no error (defaults and environment),
 * a file the user named is; the file is read before the environment, which wins. */
static void test_load_file_then_environment(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    setenv("DA_PORT", "9100", 1);
    assert_int_equal(config_load(&c, "/nonexistent/da/instance.yaml", false, &err), RC_OK);
    assert_int_equal(c.port, 9100);
    config_cleanup(&c);
    assert_int_equal(config_load(&c, "/nonexistent/da/instance.yaml", true, &err), RC_NOTFOUND);
    config_cleanup(&c);
    static const char text[] = "server:\n  port: 9200\n  threads: 3\n";
    char *path = write_tmp(text, strlen(text));
    assert_int_equal(config_load(&c, path, true, &err), RC_OK);
    assert_int_equal(c.port, 9100); /* the environment wins */
    assert_int_equal(c.threads, 3); /* the file over the default */
    config_cleanup(&c);
    unlink(path);
    free(path);
}

static void test_file_too_big(void **state)
{
    (void)state;
    size_t len = DA_CONFIG_FILE_MAX + 1;
    char *text = xmalloc(len);
    memset(text, '#', len); /* one long comment: valid YAML, only the size is wrong */
    char *path = write_tmp(text, len);
    struct config c;
    struct err err;
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, path, &err), RC_INVALID);
    assert_starts_with(err.msg, path);
    assert_contains(err.msg, "larger than 1048576 bytes");
    unlink(path);
    free(path);
    free(text);
    config_cleanup(&c);
}

/* ---- interpolation ----------------------------------------------------------------------- */

/* Expands s and compares with want; NULL want means "must fail", with want_err in the message. */
static void check_interp(const char *s, const char *want, const char *want_err)
{
    char *out = NULL;
    struct err err = { { 0 } };
    enum rc rc = interpolate(s, &out, &err);
    if (want) {
        if (rc != RC_OK)
            fail_msg("interpolate(%s) failed: %s", s, err.msg);
        assert_string_equal(out, want);
    } else {
        if (rc != RC_INVALID)
            fail_msg("interpolate(%s) should fail, got %s", s, out ? out : "(null)");
        assert_null(out);
        assert_contains(err.msg, want_err);
    }
    free(out);
}

static void test_interpolate(void **state)
{
    (void)state;
    setenv("DA_T_X", "ex", 1);
    setenv("DA_T_EMPTY", "", 1);
    unsetenv("DA_T_HOST");
    check_interp("", "", NULL);
    check_interp("plain text", "plain text", NULL);
    check_interp("${DA_T_X}", "ex", NULL);
    check_interp("a${DA_T_X}b${DA_T_X}c", "aexbexc", NULL);
    check_interp("${DA_T_EMPTY}", "", NULL); /* set but empty: empty, not an error */
    check_interp("${DA_T_X:-fb}", "ex", NULL);
    check_interp("${DA_T_HOST:-fb}", "fb", NULL);
    check_interp("${DA_T_EMPTY:-fb}", "fb", NULL);
    check_interp("${DA_T_HOST:-}", "", NULL);
    check_interp("${DA_T_HOST:-a:b-c d}", "a:b-c d", NULL);
    check_interp("$${DA_T_X}", "${DA_T_X}", NULL);
    check_interp("cost $5 and $$", "cost $5 and $$", NULL);
    check_interp("$", "$", NULL);
    check_interp("a}b", "a}b", NULL);
    /* substituted text is not expanded again */
    setenv("DA_T_X", "${DA_T_HOST}", 1);
    check_interp("${DA_T_X}", "${DA_T_HOST}", NULL);

    check_interp("${DA_T_HOST}", NULL, "DA_T_HOST is not set");
    check_interp("x ${DA_T_HOST", NULL, "unterminated");
    check_interp("${", NULL, "unterminated");
    check_interp("${}", NULL, "not a variable reference");
    check_interp("${1A}", NULL, "not a variable reference");
    check_interp("${A-b}", NULL, "not a variable reference");
    check_interp("${A B}", NULL, "not a variable reference");
    check_interp("${A:b}", NULL, "not a variable reference");
    check_interp("${A:-${B}}", NULL, "cannot contain");
}

static void test_interpolation_in_file(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    setenv("DA_T_PORT", "9001", 1);
    setenv("DA_T_DOMAIN", "Example.org", 1);
    const char *text = "server:\n"
                       "  port: ${DA_T_PORT}\n"
                       "  host: ${DA_T_HOST:-0.0.0.0}\n"
                       "  data_dir: '$${not_a_var}'\n"
                       "  threads: ${DA_T_EMPTY:-}\n"
                       "auth:\n"
                       "  allowed_domains: [\"${DA_T_DOMAIN}\", \"${DA_T_EMPTY:-}\"]\n";
    enum rc rc = load_text(&c, text, NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(c.port, 9001);
    assert_string_equal(c.host, "0.0.0.0");
    assert_string_equal(c.data_dir, "${not_a_var}");
    assert_int_equal(c.threads, 8); /* plain and empty after expansion: the default */
    assert_int_equal(c.allowed_domains_len, 1);
    assert_string_equal(c.allowed_domains[0], "example.org");
    config_cleanup(&c);

    /* the number is checked after expansion */
    setenv("DA_T_PORT", "http", 1);
    static const struct bad_case cases[] = {
        { "server:\n  port: ${DA_T_PORT}\n", 2, "server.port", "between 0 and 65535", "'http'" },
        { "\nserver:\n  host: ${DA_T_HOST}\n", 3, "server.host", "DA_T_HOST is not set", NULL },
        { "server:\n  host: \"${DA_T_HOST\"\n", 2, "server.host", "unterminated", NULL },
        { "auth:\n  allowed_domains:\n    - a.com\n    - ${DA_T_HOST}\n", 4, "auth.allowed_domains",
          "DA_T_HOST is not set", NULL },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        check_bad(&cases[i]);
}

/* ---- environment ------------------------------------------------------------------------- */

static void test_env_beats_file(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    const char *text = "instance:\n  name: from-file\n"
                       "server:\n  host: filehost\n  port: 9000\n  public_url: http://f\n"
                       "auth:\n  allowed_domains: [file.example]\n";
    assert_int_equal(load_text(&c, text, NULL, &err), RC_OK);
    assert_string_equal(c.host, "filehost");
    setenv("DA_HOST", "envhost", 1);
    setenv("DA_PORT", "9100", 1);
    setenv("DA_PUBLIC_URL", "https://env.example", 1);
    setenv("DA_BEHIND_TLS_PROXY", "on", 1);
    setenv("DA_LOG_LEVEL", "warn", 1);
    setenv("DA_LOG_FORMAT", "json", 1);
    setenv("DA_MAX_BODY_BYTES", "2048", 1);
    setenv("DA_ALLOWED_DOMAINS", " A.example , ,b.example,", 1);
    setenv("DA_INSTANCE_NAME", "", 1); /* empty counts as unset */
    assert_int_equal(config_apply_env(&c, &err), RC_OK);
    assert_string_equal(c.host, "envhost");
    assert_int_equal(c.port, 9100);
    assert_string_equal(c.public_url, "https://env.example");
    assert_true(c.behind_tls_proxy);
    assert_int_equal(c.log_level, LOG_WARN);
    assert_int_equal(c.log_format, LOG_JSON);
    assert_int_equal(c.max_body_bytes, 2048);
    assert_int_equal(c.allowed_domains_len, 2);
    assert_string_equal(c.allowed_domains[0], "a.example");
    assert_string_equal(c.allowed_domains[1], "b.example");
    assert_string_equal(c.instance_name, "from-file");
    assert_int_equal(config_validate(&c, &err), RC_OK);
    /* applying twice replaces, never leaks (LeakSanitizer checks) */
    assert_int_equal(config_apply_env(&c, &err), RC_OK);
    assert_string_equal(c.host, "envhost");
    config_cleanup(&c);
}

static void test_env_every_variable(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    config_defaults(&c);
    setenv("DA_INSTANCE_NAME", "e", 1);
    setenv("DA_DATA_DIR", "/d", 1);
    setenv("DA_THREADS", "3", 1);
    setenv("DA_CONNECTION_TIMEOUT_S", "4", 1);
    setenv("DA_SHUTDOWN_GRACE_S", "5", 1);
    setenv("DA_STALE_AFTER_HOURS", "6", 1);
    setenv("JWT_SECRET_KEY", "0123456789abcdef0123456789abcdef", 1);
    assert_int_equal(config_apply_env(&c, &err), RC_OK);
    assert_string_equal(c.instance_name, "e");
    assert_string_equal(c.data_dir, "/d");
    assert_int_equal(c.threads, 3);
    assert_int_equal(c.connection_timeout_s, 4);
    assert_int_equal(c.shutdown_grace_s, 5);
    assert_int_equal(c.stale_after_hours, 6);
    assert_string_equal(c.jwt_secret, "0123456789abcdef0123456789abcdef");
    assert_int_equal(config_validate(&c, &err), RC_OK); /* exactly 32 bytes is enough */
    config_cleanup(&c);
    assert_null(c.jwt_secret);
}

static void test_env_bad_values(void **state)
{
    (void)state;
    static const struct {
        const char *var, *value, *msg;
    } cases[] = {
        { "DA_PORT", "x", "environment DA_PORT: must be an integer between 0 and 65535 (got 'x')" },
        { "DA_PORT", " 80", "environment DA_PORT: must be an integer between 0 and 65535" },
        { "DA_THREADS", "257", "environment DA_THREADS: must be an integer between 1 and 256" },
        { "DA_BEHIND_TLS_PROXY", "perhaps", "environment DA_BEHIND_TLS_PROXY: must be true or" },
        { "DA_LOG_LEVEL", "verbose", "environment DA_LOG_LEVEL: must be one of debug, info" },
        { "DA_LOG_FORMAT", "xml", "environment DA_LOG_FORMAT: must be one of human, json" },
        { "DA_SYNC_DEFAULT_ENABLED", "on",
          "environment DA_SYNC_DEFAULT_ENABLED: must be one of auto, true, false (got 'on')" },
        { "DA_SYNC_LARGE_TABLE_BYTES", "1 PB", "environment DA_SYNC_LARGE_TABLE_BYTES: must be a" },
        { "DA_SYNC_LARGE_TABLE_BYTES", "GiB", "environment DA_SYNC_LARGE_TABLE_BYTES: must be a" },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct config c;
        struct err err;
        config_defaults(&c);
        setenv(cases[i].var, cases[i].value, 1);
        assert_int_equal(config_apply_env(&c, &err), RC_INVALID);
        assert_starts_with(err.msg, cases[i].msg);
        unsetenv(cases[i].var);
        config_cleanup(&c);
    }
}

/* sync.large_table_bytes takes plain bytes and sizes with units; default_enabled its three
 * words */
static void test_sync_keys(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int64_t bytes;
    } sizes[] = { { "1000", 1000 },      { "0", 0 },          { "500MiB", 524288000 },
                  { "2GB", 2000000000 }, { "1.5 KiB", 1536 }, { "64kib", 65536 } };
    struct config c;
    struct err err;
    config_defaults(&c);
    assert_int_equal(c.sync_default_enabled, SYNC_DEFAULT_AUTO);
    assert_int_equal(c.sync_large_table_bytes, (int64_t)1 << 30);
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        setenv("DA_SYNC_LARGE_TABLE_BYTES", sizes[i].value, 1);
        assert_int_equal(config_apply_env(&c, &err), RC_OK);
        assert_int_equal(c.sync_large_table_bytes, sizes[i].bytes);
    }
    unsetenv("DA_SYNC_LARGE_TABLE_BYTES");
    setenv("DA_SYNC_DEFAULT_ENABLED", "false", 1);
    assert_int_equal(config_apply_env(&c, &err), RC_OK);
    assert_int_equal(c.sync_default_enabled, SYNC_DEFAULT_FALSE);
    setenv("DA_SYNC_DEFAULT_ENABLED", "true", 1);
    assert_int_equal(config_apply_env(&c, &err), RC_OK);
    assert_int_equal(c.sync_default_enabled, SYNC_DEFAULT_TRUE);
    unsetenv("DA_SYNC_DEFAULT_ENABLED");
    config_cleanup(&c);
}

/* ---- validation -------------------------------------------------------------------------- */

static void test_short_jwt_secret_refused(void **state)
{
    (void)state;
    const char *secret = "too-short-secret";
    struct config c;
    struct err err;
    config_defaults(&c);
    setenv("JWT_SECRET_KEY", secret, 1);
    assert_int_equal(config_apply_env(&c, &err), RC_OK);
    assert_int_equal(config_validate(&c, &err), RC_INVALID);
    assert_string_equal(err.msg, "JWT_SECRET_KEY: must be at least 32 bytes (got 16)");
    assert_not_contains(err.msg, secret);
    config_cleanup(&c);
}

static void test_validate_rules(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *msg;
    } cases[] = {
        { "server:\n  host: \"\"\n", "server.host: must not be empty" },
        { "server:\n  data_dir: ''\n", "server.data_dir: must not be empty" },
        { "server:\n  public_url: ftp://x\n", "server.public_url: must start with http://" },
        { "server:\n  public_url: 127.0.0.1:8000\n", "server.public_url: must start with" },
        { "auth:\n  allowed_domains: ['@example.com']\n", "auth.allowed_domains: '@example.com'" },
        { "auth:\n  allowed_domains: [localhost]\n", "auth.allowed_domains: 'localhost' is not" },
        { "auth:\n  allowed_domains: ['exa mple.com']\n", "is not a domain" },
        { "auth:\n  allowed_domains: [a..b]\n", "is not a domain" },
        { "auth:\n  allowed_domains: [.a.b]\n", "is not a domain" },
        { "auth:\n  allowed_domains: [a.b.]\n", "is not a domain" },
        { "auth:\n  allowed_domains: [-a.b]\n", "is not a domain" },
        { "auth:\n  allowed_domains: [a_b.c]\n", "is not a domain" },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct config c;
        struct err err;
        assert_int_equal(load_text(&c, cases[i].yaml, NULL, &err), RC_OK);
        assert_int_equal(config_validate(&c, &err), RC_INVALID);
        assert_contains(err.msg, cases[i].msg);
        config_cleanup(&c);
    }
    /* values the command line set after loading are range-checked too */
    struct config c;
    struct err err;
    config_defaults(&c);
    c.port = 70000;
    assert_int_equal(config_validate(&c, &err), RC_INVALID);
    assert_starts_with(err.msg, "server.port: must be an integer between 0 and 65535");
    c.port = 80;
    assert_int_equal(config_validate(&c, &err), RC_OK);
    config_cleanup(&c);
}

static void test_allowed_domains_from_env(void **state)
{
    (void)state;
    struct config c;
    struct err err;
    config_defaults(&c);
    setenv("DA_ALLOWED_DOMAINS", "Example.com,\tcorp.example.org ", 1);
    assert_int_equal(config_apply_env(&c, &err), RC_OK);
    assert_int_equal(c.allowed_domains_len, 2);
    assert_string_equal(c.allowed_domains[0], "example.com");
    assert_string_equal(c.allowed_domains[1], "corp.example.org");
    assert_int_equal(config_validate(&c, &err), RC_OK);
    setenv("DA_ALLOWED_DOMAINS", "@bad.com", 1);
    assert_int_equal(config_apply_env(&c, &err), RC_OK);
    assert_int_equal(c.allowed_domains_len, 1);
    assert_int_equal(config_validate(&c, &err), RC_INVALID);
    assert_contains(err.msg, "without '@'");
    config_cleanup(&c);
}

/* ---- the example files and the help table agree with the code ---------------------------- */

static void test_yaml_example_loads_and_matches_defaults(void **state)
{
    (void)state;
    struct config c, d;
    struct err err;
    config_defaults(&c);
    config_defaults(&d);
    enum rc rc = config_load_file(&c, "config/instance.yaml.example", &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(config_validate(&c, &err), RC_OK);
    /* every value in the example is the built-in default */
    for (size_t i = 0; i < CONFIG_N; i++) {
        const struct config_entry *e = &config_table[i];
        const void *a = cfield_of(&c, e), *b = cfield_of(&d, e);
        switch (e->type) {
        case CONFIG_STRING: {
            const char *sa = *(char *const *)a, *sb = *(char *const *)b;
            if (sa != sb && (!sa || !sb || strcmp(sa, sb) != 0))
                fail_msg("%s: example has '%s', default '%s'", entry_name(e), sa, sb);
            break;
        }
        case CONFIG_INT:
            assert_int_equal(*(const int *)a, *(const int *)b);
            break;
        case CONFIG_INT64:
            assert_int_equal(*(const int64_t *)a, *(const int64_t *)b);
            break;
        case CONFIG_BOOL:
            assert_int_equal(*(const bool *)a, *(const bool *)b);
            break;
        case CONFIG_LOG_LEVEL:
            assert_int_equal(*(const enum log_level *)a, *(const enum log_level *)b);
            break;
        case CONFIG_LOG_FORMAT:
            assert_int_equal(*(const enum log_format *)a, *(const enum log_format *)b);
            break;
        case CONFIG_STRING_LIST:
            assert_int_equal(c.allowed_domains_len, d.allowed_domains_len);
            break;
        case CONFIG_SIZE:
            assert_int_equal(*(const int64_t *)a, *(const int64_t *)b);
            break;
        case CONFIG_SYNC_DEFAULT:
            assert_int_equal(*(const enum sync_default *)a, *(const enum sync_default *)b);
            break;
        }
    }
    config_cleanup(&c);
    config_cleanup(&d);

    /* and every key of the table is written out in it (not left to its default by omission):
     * "section:" at the start of a line, then "  leaf:" further down */
    char *text = NULL;
    assert_int_equal(
        file_read_all("config/instance.yaml.example", DA_CONFIG_FILE_MAX, &text, NULL, &err),
        RC_OK);
    for (size_t i = 0; i < CONFIG_N; i++) {
        const char *key = config_table[i].key;
        if (!key)
            continue;
        const char *dot = strchr(key, '.');
        char *section = xasprintf("\n%.*s:\n", (int)(dot - key), key);
        char *leaf = xasprintf("\n  %s: ", dot + 1);
        const char *sp = strstr(text, section);
        if (!sp || !strstr(sp, leaf))
            fail_msg("config/instance.yaml.example does not set %s", key);
        free(section);
        free(leaf);
    }
    free(text);
}

static void test_env_example_matches_table(void **state)
{
    (void)state;
    char *text = NULL;
    struct err err;
    assert_int_equal(file_read_all("config/env.example", 1 << 20, &text, NULL, &err), RC_OK);
    assert_non_null(strstr(text, "DA_CONFIG")); /* mentioned, as a comment */
    bool listed[CONFIG_N] = { false };
    size_t n = 0;
    /* a variable line is "NAME=default" or "#NAME=default"; prose comments start with "# " */
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        const char *p = line[0] == '#' ? line + 1 : line;
        const char *eq = strchr(p, '=');
        if (is_name_start(*p) && eq) {
            char *name = xstrndup(p, (size_t)(eq - p));
            bool known = false;
            for (size_t i = 0; i < CONFIG_N; i++) {
                const struct config_entry *e = &config_table[i];
                if (!e->env || strcmp(e->env, name) != 0)
                    continue;
                known = true;
                if (listed[i])
                    fail_msg("config/env.example lists %s twice", name);
                listed[i] = true;
                n++;
                if (strcmp(eq + 1, e->def ? e->def : "") != 0)
                    fail_msg("config/env.example: %s=%s but the default is '%s'", name, eq + 1,
                             e->def ? e->def : "");
            }
            if (!known)
                fail_msg("config/env.example lists %s, which the table does not know", name);
            free(name);
        }
        line = nl ? nl + 1 : NULL;
    }
    for (size_t i = 0; i < CONFIG_N; i++)
        if (config_table[i].env && !listed[i])
            fail_msg("config/env.example does not list %s", config_table[i].env);
    assert_true(n >= 15);
    free(text);
}

static void test_print_keys(void **state)
{
    (void)state;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    config_print_keys(f);
    assert_int_equal(fclose(f), 0);
    for (size_t i = 0; i < CONFIG_N; i++) {
        if (config_table[i].key)
            assert_contains(out, config_table[i].key);
        if (config_table[i].env)
            assert_contains(out, config_table[i].env);
    }
    assert_contains(out, "(0..65535)");
    free(out);
}

/* ---- the table itself ---------------------------------------------------------------------- */

static void test_table_is_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < CONFIG_N; i++) {
        const struct config_entry *e = &config_table[i];
        assert_true(e->key || e->env);
        assert_non_null(e->help);
        if (e->key) {
            assert_non_null(strchr(e->key, '.'));
            assert_int_equal(key_index(e->key), (int)i); /* unique */
        }
        for (size_t j = 0; j < i; j++)
            if (e->env && config_table[j].env)
                assert_string_not_equal(e->env, config_table[j].env);
        assert_true(e->min <= e->max);
    }
    char *names = section_names();
    assert_string_equal(names, "instance, server, log, auth, mail, data, query, uploads, metrics, "
                               "jira, keboola, scheduler, sync");
    free(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_load_file_then_environment, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_full_file, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_null_values_keep_defaults, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_range_edges_accepted, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_and_section, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_node_types, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_anchors_and_aliases_refused, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_list_length_in_file, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_empty_configuration, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_sources_list, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_file_too_big, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_interpolate, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_interpolation_in_file, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_env_beats_file, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_env_every_variable, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_env_bad_values, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_sync_keys, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_short_jwt_secret_refused, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_validate_rules, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_allowed_domains_from_env, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_yaml_example_loads_and_matches_defaults, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_env_example_matches_table, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_print_keys, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_table_is_consistent, test_setup, test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
