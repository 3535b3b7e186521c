/* test_redact.c — unit tests of redact_paths: every occurrence of the data folder's path is
 * replaced, the output is bounded whatever the message, and no part of a path survives the
 * cut when the message does not fit. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/mem.h"
#include "base/redact.h"

static void test_replaces_every_occurrence(void **state)
{
    (void)state;
    char out[512];
    redact_paths("IO Error: No files found that match the pattern \"/srv/da/extracts/x.parquet\""
                 " or /srv/da/y",
                 "/srv/da", out, sizeof(out));
    assert_string_equal(out, "IO Error: No files found that match the pattern"
                             " \"<data>/extracts/x.parquet\" or <data>/y");
    redact_paths("nothing to hide", "/srv/da", out, sizeof(out));
    assert_string_equal(out, "nothing to hide");
    redact_paths("/srv/da", "", out, sizeof(out));
    assert_string_equal(out, "/srv/da");
    redact_paths("/srv/da", NULL, out, sizeof(out));
    assert_string_equal(out, "/srv/da");
}

/* The data folder given through a symbolic link: its resolved path is hidden too. */
static void test_resolved_path_too(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/da-redact-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *real = realpath(tmpl, NULL);
    char *link = xasprintf("%s/link", real);
    char *target = xasprintf("%s/target", real);
    assert_int_equal(mkdir(target, 0700), 0);
    assert_int_equal(symlink(target, link), 0);
    char *msg = xasprintf("open %s/a.parquet and %s/b.parquet", target, link);
    char out[512];
    redact_paths(msg, link, out, sizeof(out));
    assert_string_equal(out, "open <data>/a.parquet and <data>/b.parquet");
    unlink(link);
    rmdir(target);
    rmdir(real);
    free(msg);
    free(target);
    free(link);
    free(real);
}

/* A short data folder makes the message grow (/d -> <data>), and the user chooses how often
 * the path occurs (a quoted name made of it): the output stays within its buffer. */
static void test_short_folder_bounded(void **state)
{
    (void)state;
    char msg[512];
    size_t n = 0;
    while (n + 2 < sizeof(msg)) {
        memcpy(msg + n, "/d", 2);
        n += 2;
    }
    msg[n] = '\0';
    struct {
        char out[512];
        char guard[64];
    } s;
    memset(s.guard, 'G', sizeof(s.guard));
    redact_paths(msg, "/d", s.out, sizeof(s.out));
    for (size_t i = 0; i < sizeof(s.guard); i++)
        assert_int_equal(s.guard[i], 'G');
    assert_true(strlen(s.out) < sizeof(s.out));
    assert_null(strstr(s.out, "/d")); /* only whole <data> tokens */
    assert_int_equal(strlen(s.out) % 6, 0);

    char tiny[8];
    redact_paths("ab /d/x", "/d", tiny, sizeof(tiny));
    assert_string_equal(tiny, "ab "); /* "<data>" does not fit: cut before it, not inside */
    redact_paths("abcdefghij", "/d", tiny, sizeof(tiny));
    assert_string_equal(tiny, "abcdefg");
    redact_paths("abcdef\xc3\xa9", "/d", tiny, sizeof(tiny));
    assert_string_equal(tiny, "abcdef"); /* not half of the é */
    redact_paths("abcde\xc3\xa9", "/d", tiny, sizeof(tiny));
    assert_string_equal(tiny, "abcde\xc3\xa9");
    char one[1];
    redact_paths("abc", "/d", one, sizeof(one));
    assert_string_equal(one, "");
}

/* The longer of the two spellings wins where both match, so no tail of a path is left. */
static void test_longest_match(void **state)
{
    (void)state;
    char out[128];
    redact_paths("x /tmp/../tmp/y", "/tmp/../tmp", out, sizeof(out));
    assert_string_equal(out, "x <data>/y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replaces_every_occurrence),
        cmocka_unit_test(test_resolved_path_too),
        cmocka_unit_test(test_short_folder_bounded),
        cmocka_unit_test(test_longest_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
