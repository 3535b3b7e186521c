/* test_base.c — unit tests of src/base: buffer, identifiers, time, files, parsing, logging,
 * randomness, result codes, UTF-8, hex, SHA-256, byte sizes and growable arrays. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/format.h"
#include "base/hex.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/parse.h"
#include "base/rand.h"
#include "base/sha256.h"
#include "base/utf8.h"
#include "helpers.h"

static void test_buf_appends_and_takes(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 100);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_append_str(&b, "hello"), RC_OK);
    assert_int_equal(buf_printf(&b, " %d %s", 42, "x"), RC_OK);
    assert_string_equal(buf_cstr(&b), "hello 42 x");
    size_t len = 0;
    char *s = buf_take(&b, &len);
    assert_int_equal(len, 10);
    assert_string_equal(s, "hello 42 x");
    assert_null(b.data);
    free(s);
    buf_cleanup(&b);
}

static void test_buf_refuses_past_cap_and_stays_failed(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_append_str(&b, "12345678"), RC_OK); /* exactly the cap */
    assert_int_equal(buf_append_str(&b, "9"), RC_TOOBIG);
    assert_null(b.data);
    /* once failed, a later small append must not resurrect a half value */
    assert_int_equal(buf_append_str(&b, "a"), RC_TOOBIG);
    assert_int_equal(buf_printf(&b, "%s", "a"), RC_TOOBIG);
    buf_cleanup(&b);
}

static void test_buf_grows_across_many_appends(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_append(&b, "abcdefgh", 8), RC_OK);
    assert_int_equal(b.len, 80000);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data + 79992, "abcdefgh", 8);
    buf_cleanup(&b);
}

static void test_buf_truncate_takes_back_an_append(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_append_str(&b, "rows:"), RC_OK);
    size_t mark = b.len;
    assert_int_equal(buf_append_str(&b, "[1,2"), RC_OK);
    buf_truncate(&b, mark);
    assert_string_equal(buf_cstr(&b), "rows:");
    buf_truncate(&b, 99); /* never longer */
    assert_string_equal(buf_cstr(&b), "rows:");
    assert_int_equal(buf_append_str(&b, "[]"), RC_OK);
    assert_string_equal(buf_cstr(&b), "rows:[]");
    buf_cleanup(&b);
}

static void test_ident_accepts_only_safe_names(void **state)
{
    (void)state;
    assert_true(ident_valid("orders"));
    assert_true(ident_valid("_x9"));
    assert_true(ident_valid("A"));
    char max[IDENT_MAX_LEN + 2];
    memset(max, 'a', IDENT_MAX_LEN);
    max[IDENT_MAX_LEN] = '\0';
    assert_true(ident_valid(max));
    max[IDENT_MAX_LEN] = 'a';
    max[IDENT_MAX_LEN + 1] = '\0';
    assert_false(ident_valid(max)); /* 65 characters */
    const char *bad[] = { "",       "9lives", "a-b",  "a b",   "a.b", "x\"; DROP TABLE y; --",
                          "../etc", "naïve",  "a\nb", "tab\t", "*",   "a'b" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(ident_valid(bad[i]));
    assert_false(ident_valid(NULL));
    assert_false(ident_valid_len("ab\0cd", 5)); /* an embedded NUL is not hidden */
}

static void test_ident_table_id_is_canonical(void **state)
{
    (void)state;
    char id[IDENT_MAX_LEN + 1];
    assert_true(ident_table_id("  Customer Orders ", id));
    assert_string_equal(id, "customer_orders");
    assert_true(ident_table_id("web-sessions", id));
    assert_string_equal(id, "web_sessions");
    assert_true(ident_is_table_id("web_sessions"));
    assert_false(ident_is_table_id("Orders"));
    const char *bad[] = { "",       "   ",   "9lives", "a.b", "x\"; DROP TABLE y; --",
                          "../etc", "naïve", "a'b",    NULL };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(ident_table_id(bad[i], id));
        assert_string_equal(id, "");
    }
}

static void test_isotime_round_trip(void **state)
{
    (void)state;
    char out[ISOTIME_SIZE];
    isotime_format(1767225600, out); /* 2026-01-01 */
    assert_string_equal(out, "2026-01-01T00:00:00Z");
    time_t t = 0;
    assert_true(isotime_parse("2026-01-01T00:00:00Z", &t));
    assert_int_equal(t, 1767225600);
    assert_true(isotime_parse("2026-01-01 00:00:01.123456", &t));
    assert_int_equal(t, 1767225601);
    assert_true(isotime_parse("2026-01-01T00:00:00+00:00", &t));
    const char *bad[] = { "2026-02-30T00:00:00Z",      "2026-01-01", "2026-01-01T25:00:00Z",
                          "2026-01-01T00:00:00+02:00", "x",          "2026-01-01T00:00:00Zjunk" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(isotime_parse(bad[i], &t));
    char now[ISOTIME_SIZE];
    isotime_now(now);
    assert_int_equal(strlen(now), 24); /* 2026-01-01T00:00:00.000Z */
    assert_int_equal(now[23], 'Z');
}

static void test_parse_i64_is_strict(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_true(parse_i64("8000", 0, 65535, &v));
    assert_int_equal(v, 8000);
    assert_true(parse_i64("-5", -10, 10, &v));
    assert_int_equal(v, -5);
    const char *bad[] = { "", "80a", " 80", "+80", "65536", "99999999999999999999", "0x10" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(parse_i64(bad[i], 0, 65535, &v));
    bool b = false;
    assert_true(parse_bool("YES", &b));
    assert_true(b);
    assert_true(parse_bool("off", &b));
    assert_false(b);
    assert_false(parse_bool("maybe", &b));
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_file_write_atomic_replaces_and_leaves_no_temp(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/a/b/c.txt", dir);
    char *sub = xasprintf("%s/a/b", dir);
    struct err err;
    assert_int_equal(file_mkdir_p(sub, 0755, &err), RC_OK);
    assert_int_equal(file_mkdir_p(sub, 0755, &err), RC_OK); /* idempotent */
    assert_int_equal(file_write_atomic(path, "one", 3, 0600, &err), RC_OK);
    assert_int_equal(file_write_atomic(path, "second", 6, 0640, &err), RC_OK);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(file_read_all(path, 100, &data, &len, &err), RC_OK);
    assert_string_equal(data, "second");
    free(data);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(count_entries(sub), 1); /* no .tmp left beside it */
    free(path);
    free(sub);
    test_rm_rf(dir);
    free(dir);
}

static void test_file_create_atomic_never_replaces(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/key", dir);
    struct err err;
    assert_int_equal(file_create_atomic(path, "first", 5, 0600, &err), RC_OK);
    assert_int_equal(file_create_atomic(path, "second", 6, 0600, &err), RC_CONFLICT);
    char *data = NULL;
    assert_int_equal(file_read_all(path, 100, &data, NULL, &err), RC_OK);
    assert_string_equal(data, "first");
    free(data);
    assert_int_equal(count_entries(dir), 1);
    free(path);
    test_rm_rf(dir);
    free(dir);
}

static void test_file_read_all_limits(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/f", dir);
    struct err err;
    char *data = NULL;
    assert_int_equal(file_read_all(path, 10, &data, NULL, &err), RC_NOTFOUND);
    assert_non_null(strstr(err.msg, "does not exist"));
    char big[9000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(file_write_atomic(path, big, sizeof(big), 0600, &err), RC_OK);
    assert_int_equal(file_read_all(path, 8999, &data, NULL, &err), RC_TOOBIG);
    assert_null(data);
    size_t len = 0;
    assert_int_equal(file_read_all(path, 9000, &data, &len, &err), RC_OK);
    assert_int_equal(len, 9000);
    free(data);
    assert_int_equal(file_mkdir_p(path, 0755, &err), RC_IO); /* a file is in the way */
    free(path);
    test_rm_rf(dir);
    free(dir);
}

/* Runs fn with stderr sent to a file, and returns what it wrote (caller frees). */
static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/da-unit-log-XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    char *data = NULL;
    struct err err;
    if (file_read_all(path, 1 << 16, &data, NULL, &err) != RC_OK)
        data = xstrdup("");
    unlink(path);
    return data;
}

static void log_some_json(void)
{
    log_setup(LOG_INFO, LOG_JSON);
    log_set_request_id("req-1");
    log_debug("test", "hidden %d", 1);
    log_info("test", "quote \" and newline \n done");
    log_set_request_id(NULL);
    log_setup(LOG_INFO, LOG_HUMAN);
}

static void test_file_remove_tree_counts_and_never_follows_links(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *outside = test_tmpdir();
    char *kept = xasprintf("%s/kept", outside);
    char *tree = xasprintf("%s/t", dir);
    char *sub = xasprintf("%s/t/a/b", dir);
    char *f1 = xasprintf("%s/t/one", dir);
    char *f2 = xasprintf("%s/t/a/b/two", dir);
    char *link = xasprintf("%s/t/a/out", dir);
    struct err err;
    assert_int_equal(file_write_atomic(kept, "x", 1, 0600, &err), RC_OK);
    assert_int_equal(file_mkdir_p(sub, 0700, &err), RC_OK);
    assert_int_equal(file_write_atomic(f1, "1", 1, 0600, &err), RC_OK);
    assert_int_equal(file_write_atomic(f2, "2", 1, 0600, &err), RC_OK);
    assert_int_equal(symlink(outside, link), 0);
    size_t files = 5;
    assert_int_equal(file_remove_tree(tree, &files, &err), RC_OK);
    assert_int_equal(files, 5 + 3); /* added to: two files and the link */
    assert_false(file_exists(tree));
    assert_true(file_exists(kept)); /* the link was removed, not followed */
    /* a missing path is no error; a single file is removed and counted */
    assert_int_equal(file_remove_tree(tree, &files, &err), RC_OK);
    assert_int_equal(files, 8);
    assert_int_equal(file_remove_tree(kept, NULL, &err), RC_OK);
    assert_false(file_exists(kept));
    free(kept);
    free(tree);
    free(sub);
    free(f1);
    free(f2);
    free(link);
    test_rm_rf(dir);
    test_rm_rf(outside);
    free(dir);
    free(outside);
}

static void test_log_json_lines_escape_and_filter(void **state)
{
    (void)state;
    char *out = capture_stderr(log_some_json);
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "\"level\":\"info\""));
    assert_non_null(strstr(out, "\"request_id\":\"req-1\""));
    assert_non_null(strstr(out, "quote \\\" and newline \\n done"));
    /* exactly one line */
    assert_non_null(strchr(out, '\n'));
    assert_null(strchr(strchr(out, '\n') + 1, '\n'));
    free(out);
}

static void test_log_level_parse(void **state)
{
    (void)state;
    enum log_level l;
    enum log_format f;
    assert_true(log_level_parse("warn", &l));
    assert_int_equal(l, LOG_WARN);
    assert_false(log_level_parse("verbose", &l));
    assert_true(log_format_parse("json", &f));
    assert_false(log_format_parse("xml", &f));
}

static void test_rand_hex_is_hex_and_varies(void **state)
{
    (void)state;
    char a[33], b[33];
    struct err err;
    assert_int_equal(rand_hex(a, 16, &err), RC_OK);
    assert_int_equal(rand_hex(b, 16, &err), RC_OK);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
}

static void test_rc_maps_to_http(void **state)
{
    (void)state;
    assert_int_equal(rc_http_status(RC_INVALID), 400);
    assert_int_equal(rc_http_status(RC_BADVALUE), 422);
    assert_int_equal(rc_http_status(RC_UNAUTHORIZED), 401);
    assert_int_equal(rc_http_status(RC_FORBIDDEN), 403);
    assert_int_equal(rc_http_status(RC_NOTFOUND), 404);
    assert_int_equal(rc_http_status(RC_CONFLICT), 409);
    assert_int_equal(rc_http_status(RC_TOOBIG), 413);
    assert_int_equal(rc_http_status(RC_DB), 500);
    struct err err;
    assert_int_equal(err_set(&err, RC_INVALID, "bad %s", "thing"), RC_INVALID);
    assert_string_equal(err.msg, "bad thing");
    assert_int_equal(err_set(NULL, RC_IO, "ignored"), RC_IO);
}

/* ---------------------------------------------------------------- UTF-8 */

static size_t decode(const char *s, size_t n, uint32_t *cp)
{
    return utf8_decode((const unsigned char *)s, n, cp);
}

static void test_utf8_decodes_each_length(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(decode("A", 1, &cp), 1);
    assert_int_equal(cp, 0x41);
    assert_int_equal(decode("\xc3\xa9", 2, &cp), 2); /* é */
    assert_int_equal(cp, 0xE9);
    assert_int_equal(decode("\xe2\x82\xac", 3, &cp), 3); /* € */
    assert_int_equal(cp, 0x20AC);
    assert_int_equal(decode("\xf0\x9f\x98\x80", 4, &cp), 4); /* an emoji */
    assert_int_equal(cp, 0x1F600);
    assert_int_equal(decode("\xf4\x8f\xbf\xbf", 4, &cp), 4); /* U+10FFFF, the last */
    assert_int_equal(cp, 0x10FFFF);
    assert_int_equal(decode("", 0, &cp), 0);
    /* the encoder writes the same bytes back */
    char out[UTF8_SEQ_MAX];
    assert_int_equal(utf8_encode(0x1F600, out), 4);
    assert_memory_equal(out, "\xf0\x9f\x98\x80", 4);
    assert_int_equal(utf8_encode(0xE9, out), 2);
    assert_memory_equal(out, "\xc3\xa9", 2);
}

static void test_utf8_refuses_malformed(void **state)
{
    (void)state;
    uint32_t cp = 0;
    /* overlong forms of '/' and of U+0000, U+07FF, U+FFFF */
    assert_int_equal(decode("\xc0\xaf", 2, &cp), 0);
    assert_int_equal(decode("\xc1\xbf", 2, &cp), 0);
    assert_int_equal(decode("\xe0\x80\xaf", 3, &cp), 0);
    assert_int_equal(decode("\xe0\x9f\xbf", 3, &cp), 0);
    assert_int_equal(decode("\xf0\x8f\xbf\xbf", 4, &cp), 0);
    /* surrogates, first and last */
    assert_int_equal(decode("\xed\xa0\x80", 3, &cp), 0);
    assert_int_equal(decode("\xed\xbf\xbf", 3, &cp), 0);
    assert_int_equal(decode("\xed\x9f\xbf", 3, &cp), 3); /* U+D7FF, just below, is fine */
    /* past U+10FFFF */
    assert_int_equal(decode("\xf4\x90\x80\x80", 4, &cp), 0);
    assert_int_equal(decode("\xf7\xbf\xbf\xbf", 4, &cp), 0);
    assert_int_equal(decode("\xf8\x88\x80\x80\x80", 5, &cp), 0);
    /* truncated: the bytes are there but not counted in n, or a continuation is missing */
    assert_int_equal(decode("\xe2\x82\xac", 2, &cp), 0);
    assert_int_equal(decode("\xf0\x9f\x98", 3, &cp), 0);
    assert_int_equal(decode("\xc3\x41", 2, &cp), 0);
    /* a stray continuation byte */
    assert_int_equal(decode("\x80", 1, &cp), 0);

    assert_true(utf8_valid("", 0));
    const char *good = "plain \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    assert_true(utf8_valid(good, strlen(good)));
    assert_false(utf8_valid(good, strlen(good) - 1)); /* the emoji cut short */
    assert_false(utf8_valid("ok \xed\xa0\x80", 6));
    assert_false(utf8_valid("cut \xe2\x82", 6));
    assert_false(utf8_valid("\xc0\x80", 2));
    /* the length is what decides: a NUL inside is one more character */
    assert_true(utf8_valid("a\0b", 3));
}

static void test_utf8_length_and_prefix(void **state)
{
    (void)state;
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* a é € emoji: 10 bytes */
    assert_int_equal(utf8_length(s, 10), 4);
    assert_int_equal(utf8_length("", 0), 0);
    /* a cut never ends inside a character */
    assert_int_equal(utf8_prefix(s, 10, 100), 10);
    assert_int_equal(utf8_prefix(s, 10, 10), 10);
    assert_int_equal(utf8_prefix(s, 10, 9), 6);
    assert_int_equal(utf8_prefix(s, 10, 5), 3);
    assert_int_equal(utf8_prefix(s, 10, 2), 1);
    assert_int_equal(utf8_prefix(s, 10, 0), 0);
    /* and stops before a malformed sequence */
    assert_int_equal(utf8_prefix("ab\xed\xa0\x80z", 6, 100), 2);
    assert_int_equal(utf8_prefix("ab\xe2\x82", 4, 100), 2);
}

static void test_utf8_display_width(void **state)
{
    (void)state;
    assert_int_equal(utf8_cp_width('a'), 1);
    assert_int_equal(utf8_cp_width(0x65E5), 2);  /* 日 */
    assert_int_equal(utf8_cp_width(0x1F600), 2); /* an emoji */
    assert_int_equal(utf8_cp_width(0x0301), 0);  /* a combining acute accent */
    assert_int_equal(utf8_cp_width(0xE9), 1);
}

/* ---------------------------------------------------------------- hex, SHA-256, sizes */

static void test_hex_round_trip(void **state)
{
    (void)state;
    const unsigned char bytes[] = { 0x00, 0x7f, 0x80, 0xab, 0xff };
    char hex[11];
    hex_encode(bytes, sizeof(bytes), hex);
    assert_string_equal(hex, "007f80abff");
    unsigned char back[5];
    assert_true(hex_decode(hex, 5, back, true));
    assert_memory_equal(back, bytes, 5);
    /* upper case is accepted unless lower_only; anything else never */
    assert_true(hex_decode("007F80ABFF", 5, back, false));
    assert_memory_equal(back, bytes, 5);
    assert_false(hex_decode("007F80ABFF", 5, back, true));
    assert_false(hex_decode("0g", 1, back, false));
    assert_false(hex_decode("0", 1, back, false)); /* the NUL is not a digit */
    assert_int_equal(hex_value('9'), 9);
    assert_int_equal(hex_value('a'), 10);
    assert_int_equal(hex_value('F'), 15);
    assert_int_equal(hex_value('G'), -1);
    assert_int_equal(hex_value('\0'), -1);
    char esc[2];
    hex_byte_upper(0xe9, esc);
    assert_memory_equal(esc, "E9", 2);
    assert_int_equal(hex_u16("00e9"), 0xE9);
    assert_int_equal(hex_u16("DBFF"), 0xDBFF);
    assert_int_equal(hex_u16("12x4"), -1);
    assert_int_equal(hex_u16("12"), -1); /* stops at the NUL */
}

static void test_sha256_known_answers(void **state)
{
    (void)state;
    char hex[SHA256_HEX_LEN + 1];
    sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* the fd form hashes from the current offset to the end */
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/f", dir);
    struct err err;
    assert_int_equal(file_write_atomic(path, "xxabc", 5, 0600, &err), RC_OK);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 2, SEEK_SET), 2);
    char from_fd[SHA256_HEX_LEN + 1];
    assert_int_equal(sha256_fd_hex(fd, from_fd, &err), RC_OK);
    assert_string_equal(from_fd, hex);
    close(fd);
    free(path);
    test_rm_rf(dir);
    free(dir);
}

static void test_format_bytes_binary_units(void **state)
{
    (void)state;
    char b[FORMAT_BYTES_MAX];
    format_bytes(0, b);
    assert_string_equal(b, "0 B");
    format_bytes(1023, b);
    assert_string_equal(b, "1023 B");
    format_bytes(1024, b);
    assert_string_equal(b, "1.0 KiB");
    format_bytes(1536, b);
    assert_string_equal(b, "1.5 KiB");
    format_bytes(190 * 1024, b);
    assert_string_equal(b, "190 KiB");
    format_bytes(5ULL * 1024 * 1024 + 512 * 1024, b);
    assert_string_equal(b, "5.5 MiB");
    format_bytes(3ULL * 1024 * 1024 * 1024, b);
    assert_string_equal(b, "3.0 GiB");
    format_bytes(UINT64_MAX, b);
    assert_string_equal(b, "16384 PiB");
}

/* ---------------------------------------------------------------- growable arrays */

static void test_xgrow_doubles_and_keeps_contents(void **state)
{
    (void)state;
    size_t cap = 0, n = 0;
    int *a = NULL;
    for (int i = 0; i < 1000; i++) {
        a = xgrow(a, &cap, n + 1, sizeof(*a));
        assert_true(cap >= n + 1);
        a[n++] = i;
    }
    assert_int_equal(cap, 1024); /* 8, 16, ... 1024: doubling, not one step per append */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(a[i], i);
    int *same = xgrow(a, &cap, 1024, sizeof(*a)); /* room enough: unchanged */
    assert_ptr_equal(same, a);
    assert_int_equal(cap, 1024);
    a = xgrow(a, &cap, 5000, sizeof(*a)); /* a big step goes straight past need */
    assert_int_equal(cap, 8192);
    assert_int_equal(a[999], 999);
    free(a);
}

/* Runs xgrow(NULL, cap, need, elem) in a child; true when the child aborted. */
static bool xgrow_aborts(size_t cap, size_t need, size_t elem)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, STDERR_FILENO); /* the out-of-memory message */
        void *p = xgrow(NULL, &cap, need, elem);
        free(p);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_xgrow_aborts_on_overflow(void **state)
{
    (void)state;
    assert_true(xgrow_aborts(0, SIZE_MAX / 8 + 1, 16));       /* count * size overflows */
    assert_true(xgrow_aborts(SIZE_MAX / 2 + 1, SIZE_MAX, 1)); /* doubling overflows */
    assert_false(xgrow_aborts(0, 10, 1));                     /* the harness itself */
}

/* Sizes are read exactly: every unit, fractions, the largest one, and junk refused. */
static void test_parse_size(void **state)
{
    (void)state;
    const struct {
        const char *s;
        int64_t v;
    } good[] = {
        { "0", 0 },
        { "1", 1 },
        { "500M", 500LL << 20 },
        { "2GiB", 2LL << 30 },
        { "2gib", 2LL << 30 },
        { "1G", 1LL << 30 },
        { "10GB", 10000000000LL },
        { "3k", 3072 },
        { "7KB", 7000 },
        { "12B", 12 },
        { "1TiB", 1LL << 40 },
        { "9223372036854775807", INT64_MAX },
        { "1 G", 1LL << 30 },
        { "1.5G", 3LL << 29 },
        { "1.1GB", 1100000000 },
        { "0.5 KiB", 512 },
        { "4 bytes", 4 },
    };
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        int64_t v = -1;
        if (!parse_size(good[i].s, &v) || v != good[i].v)
            fail_msg("'%s' gave %lld", good[i].s, (long long)v);
    }
    const char *bad[] = { NULL,
                          "",
                          "-1",
                          "+1",
                          " 1",
                          "G",
                          "1GiBs",
                          "1X",
                          "0x10",
                          "9223372036854775808",
                          "9000000000000T",
                          "1e9",
                          "1.",
                          ".5G",
                          "1  G",
                          "nan",
                          "8EiB",
                          "1G\n" };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        int64_t v = 0;
        if (parse_size(bad[i], &v))
            fail_msg("accepted '%s'", bad[i] ? bad[i] : "(null)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_appends_and_takes),
        cmocka_unit_test(test_buf_refuses_past_cap_and_stays_failed),
        cmocka_unit_test(test_buf_grows_across_many_appends),
        cmocka_unit_test(test_buf_truncate_takes_back_an_append),
        cmocka_unit_test(test_ident_accepts_only_safe_names),
        cmocka_unit_test(test_ident_table_id_is_canonical),
        cmocka_unit_test(test_isotime_round_trip),
        cmocka_unit_test(test_parse_i64_is_strict),
        cmocka_unit_test(test_file_write_atomic_replaces_and_leaves_no_temp),
        cmocka_unit_test(test_file_create_atomic_never_replaces),
        cmocka_unit_test(test_file_read_all_limits),
        cmocka_unit_test(test_file_remove_tree_counts_and_never_follows_links),
        cmocka_unit_test(test_log_json_lines_escape_and_filter),
        cmocka_unit_test(test_log_level_parse),
        cmocka_unit_test(test_rand_hex_is_hex_and_varies),
        cmocka_unit_test(test_rc_maps_to_http),
        cmocka_unit_test(test_utf8_decodes_each_length),
        cmocka_unit_test(test_utf8_refuses_malformed),
        cmocka_unit_test(test_utf8_length_and_prefix),
        cmocka_unit_test(test_utf8_display_width),
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_sha256_known_answers),
        cmocka_unit_test(test_format_bytes_binary_units),
        cmocka_unit_test(test_xgrow_doubles_and_keeps_contents),
        cmocka_unit_test(test_xgrow_aborts_on_overflow),
        cmocka_unit_test(test_parse_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
