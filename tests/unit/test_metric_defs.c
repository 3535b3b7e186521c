/* test_metric_defs.c — business metric definitions (core/metric_defs.h, base/metric_path.h):
 * the path rule, the bounded YAML-to-JSON conversion against hostile input (an alias bomb,
 * deep nesting, huge keys, too many nodes, several documents), the core-schema typing, and
 * reading the files through their folder (links planted inside it, FIFOs, oversize files). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "core/metric_defs.h"
#include "data/demo.h"
#include "data/duck.h"
#include "duck_helpers.h"
#include "helpers.h"

/* ---- the path rule ---- */

static void test_path_rule(void **state)
{
    (void)state;
    const char *good[] = { "finance/revenue.yml", "a/b.yml", "customers/active_customers.yml",
                           "_/_.yml" };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        assert_true(metric_path_valid(good[i]));
    const char *bad[] = {
        NULL,
        "",
        "revenue.yml",
        "finance/revenue.yaml",
        "finance/revenue",
        "finance/.yml",
        "/finance/revenue.yml",
        "finance//revenue.yml",
        "../finance/revenue.yml",
        "finance/../x.yml",
        "finance/sub/revenue.yml",
        "Finance/revenue.yml",
        "finance/rev.enue.yml",
        "finance/revenue.yml/",
        "finance/re-venue.yml",
        "finance/revenue.ymlx",
        "fin ance/revenue.yml",
        "finance/revenue1.yml",
        "finance\\x.yml",
        "finance/revenue.yml\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_false(metric_path_valid(bad[i]));
    char longp[200];
    memset(longp, 'a', METRIC_PART_MAX + 1);
    snprintf(longp + METRIC_PART_MAX + 1, sizeof(longp) - METRIC_PART_MAX - 1, "/x.yml");
    assert_false(metric_path_valid(longp));
    snprintf(longp + METRIC_PART_MAX, sizeof(longp) - METRIC_PART_MAX, "/x.yml");
    assert_true(metric_path_valid(longp));
}

/* ---- YAML to JSON ---- */

static json_t *convert_ok(const char *yaml)
{
    json_t *j = NULL;
    struct err err = { { 0 } };
    enum rc rc = metric_yaml_to_json(yaml, strlen(yaml), &j, &err);
    if (rc)
        fail_msg("refused: %s\n%s", err.msg, yaml);
    return j;
}

/* Asserts refusal with RC_BADVALUE and a message containing want. */
static void convert_refused(const char *yaml, size_t len, const char *want)
{
    json_t *j = NULL;
    struct err err = { { 0 } };
    enum rc rc = metric_yaml_to_json(yaml, len, &j, &err);
    assert_int_equal(rc, RC_BADVALUE);
    assert_null(j);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' lacks '%s'", err.msg, want);
}

static void test_yaml_shapes_and_types(void **state)
{
    (void)state;
    json_t *j = convert_ok("name: revenue\n"
                           "title: Revenue\n"
                           "sql: |\n  SELECT 1\n  FROM t\n"
                           "dims: [day, region]\n"
                           "count: 42\nneg: -7\noct: 0o17\nhex: 0x1F\nratio: 1.5\nexp: 1e3\n"
                           "on: true\noff: False\nnothing: ~\nempty:\n"
                           "quoted: \"42\"\nsingle: 'true'\ntagged: !!str 12\n"
                           "yes_is_text: yes\ninf: .inf\nhuge: 123456789012345678901234567890\n"
                           "version: 1.2.3\n"
                           "nested: {a: [1, {b: null}]}\n"
                           "1: numeric key\n");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "revenue");
    assert_string_equal(json_string_value(json_object_get(j, "sql")), "SELECT 1\nFROM t\n");
    assert_int_equal(json_array_size(json_object_get(j, "dims")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 42);
    assert_int_equal(json_integer_value(json_object_get(j, "neg")), -7);
    assert_int_equal(json_integer_value(json_object_get(j, "oct")), 15);
    assert_int_equal(json_integer_value(json_object_get(j, "hex")), 31);
    assert_true(json_is_real(json_object_get(j, "ratio")));
    assert_true(json_real_value(json_object_get(j, "exp")) == 1000.0);
    assert_true(json_is_true(json_object_get(j, "on")));
    assert_true(json_is_false(json_object_get(j, "off")));
    assert_true(json_is_null(json_object_get(j, "nothing")));
    assert_true(json_is_null(json_object_get(j, "empty")));
    assert_string_equal(json_string_value(json_object_get(j, "quoted")), "42");
    assert_string_equal(json_string_value(json_object_get(j, "single")), "true");
    assert_string_equal(json_string_value(json_object_get(j, "tagged")), "12");
    assert_string_equal(json_string_value(json_object_get(j, "yes_is_text")), "yes");
    assert_string_equal(json_string_value(json_object_get(j, "inf")), ".inf");
    assert_string_equal(json_string_value(json_object_get(j, "huge")),
                        "123456789012345678901234567890");
    assert_string_equal(json_string_value(json_object_get(j, "version")), "1.2.3");
    json_t *b =
        json_object_get(json_array_get(json_object_get(json_object_get(j, "nested"), "a"), 1), "b");
    assert_true(b && json_is_null(b));
    assert_string_equal(json_string_value(json_object_get(j, "1")), "numeric key");
    json_decref(j);

    j = convert_ok("");
    assert_true(json_is_null(j));
    json_decref(j);
    j = convert_ok("# only a comment\n");
    assert_true(json_is_null(j));
    json_decref(j);
    j = convert_ok("- a\n- 2\n");
    assert_true(json_is_array(j));
    json_decref(j);
    j = convert_ok("---\nx: 1\n...\n");
    assert_int_equal(json_integer_value(json_object_get(j, "x")), 1);
    json_decref(j);
}

/* The billion-laughs shape: each level doubles the one before; refused at the first anchor,
 * long before any expansion. */
static void test_yaml_alias_bomb(void **state)
{
    (void)state;
    const char *bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                       "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                       "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                       "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                       "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                       "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                       "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    convert_refused(bomb, strlen(bomb), "anchors are not allowed");
    convert_refused("x: *nothing\n", 12, "aliases are not allowed");
    convert_refused("<<: *base\n", 10, "aliases are not allowed");
}

static void test_yaml_deep_nesting(void **state)
{
    (void)state;
    /* exactly at the limit is fine */
    struct buf b;
    buf_init(&b, 1 << 22);
    for (int i = 0; i < METRIC_DEF_MAX_DEPTH; i++)
        assert_int_equal(buf_append_str(&b, "["), RC_OK);
    for (int i = 0; i < METRIC_DEF_MAX_DEPTH; i++)
        assert_int_equal(buf_append_str(&b, "]"), RC_OK);
    json_t *j = convert_ok(buf_cstr(&b));
    json_decref(j);
    buf_reset(&b);
    /* 100 000 open brackets, flow and block style: refused at the limit, no stack overflow */
    for (int i = 0; i < 100000; i++)
        assert_int_equal(buf_append_str(&b, "["), RC_OK);
    convert_refused(buf_cstr(&b), b.len, "nested deeper than");
    buf_reset(&b);
    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k < i; k++)
            assert_int_equal(buf_append_str(&b, " "), RC_OK);
        assert_int_equal(buf_append_str(&b, "k:\n"), RC_OK);
    }
    convert_refused(buf_cstr(&b), b.len, "nested deeper than");
    buf_cleanup(&b);
}

static void test_yaml_huge_keys_and_many_nodes(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 22);
    /* libyaml itself refuses an implicit key over 1024 characters; an explicit key (?) of
     * 100 000 reaches our own cap */
    for (int i = 0; i < 100000; i++)
        assert_int_equal(buf_append_str(&b, "k"), RC_OK);
    assert_int_equal(buf_append_str(&b, ": v\n"), RC_OK);
    convert_refused(buf_cstr(&b), b.len, "not valid YAML");
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "? "), RC_OK);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(buf_append_str(&b, "k"), RC_OK);
    assert_int_equal(buf_append_str(&b, "\n: v\n"), RC_OK);
    convert_refused(buf_cstr(&b), b.len, "key is longer than");
    buf_reset(&b);
    /* a quoted key of the same size, and one just at the limit */
    assert_int_equal(buf_append_str(&b, "\""), RC_OK);
    for (int i = 0; i < METRIC_DEF_MAX_KEY; i++)
        assert_int_equal(buf_append_str(&b, "q"), RC_OK);
    assert_int_equal(buf_append_str(&b, "\": 1\n"), RC_OK);
    json_t *j = convert_ok(buf_cstr(&b));
    assert_int_equal(json_object_size(j), 1);
    json_decref(j);
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "["), RC_OK);
    for (int i = 0; i < METRIC_DEF_MAX_NODES + 10; i++)
        assert_int_equal(buf_append_str(&b, "1,"), RC_OK);
    assert_int_equal(buf_append_str(&b, "1]"), RC_OK);
    convert_refused(buf_cstr(&b), b.len, "more than");
    buf_cleanup(&b);
}

static void test_yaml_refusals(void **state)
{
    (void)state;
    convert_refused("a: 1\na: 2\n", 10, "duplicate key 'a'");
    convert_refused("? [a, b]\n: 1\n", 13, "key must be plain text");
    convert_refused("a: 1\n---\nb: 2\n", 14, "one YAML document");
    convert_refused("a: [1, 2\n", 9, "not valid YAML");
    convert_refused("a: \"x\0y\"\n", 9, "not valid YAML"); /* libyaml refuses raw NUL */
    convert_refused("a: \"x\\0y\"\n", 10, "NUL");
    convert_refused("\"k\\0\": 1\n", 9, "NUL");
    convert_refused("a: \"\xff\xfe\"\n", 8, "not valid YAML"); /* not UTF-8 */
    convert_refused("a: \"\\ud800\"\n", 12, "");               /* a lone surrogate escape */
    /* the message names the line */
    convert_refused("a: 1\nb: 2\na: 3\n", 15, "line 3");
}

/* ---- the files ---- */

struct fx {
    char *dir;
    struct core core;
};

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    f->dir = test_tmpdir();
    f->core.data_dir = f->dir;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    test_rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void put(const struct fx *f, const char *rel, const char *text)
{
    char path[1024], cmd[2048];
    snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
    assert_int_equal(system(cmd), 0);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void sh(const struct fx *f, const char *fmt, const char *arg)
{
    char cmd[2048], line[1024];
    snprintf(line, sizeof(line), fmt, arg);
    snprintf(cmd, sizeof(cmd), "cd '%s' && %s", f->dir, line);
    assert_int_equal(system(cmd), 0);
}

static void test_read_and_load(void **state)
{
    struct fx *f = *state;
    struct err err = { { 0 } };
    json_t *j = NULL;
    /* no docs/metrics at all: missing file, empty list */
    assert_int_equal(core_metric_def_load(&f->core, "finance/revenue.yml", &j, &err), RC_NOTFOUND);
    struct metric_def_entry *list = NULL;
    size_t n = 99;
    assert_int_equal(core_metric_defs_list(&f->core, &list, &n, &err), RC_OK);
    assert_int_equal(n, 0);

    put(f, "docs/metrics/finance/revenue.yml", "name: revenue\ntitle: Revenue\n");
    assert_int_equal(core_metric_def_load(&f->core, "finance/revenue.yml", &j, &err), RC_OK);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "Revenue");
    json_decref(j);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(core_metric_def_read(&f->core, "finance/revenue.yml", &data, &len, &err),
                     RC_OK);
    assert_int_equal(len, strlen("name: revenue\ntitle: Revenue\n"));
    free(data);
    assert_int_equal(core_metric_def_load(&f->core, "finance/missing.yml", &j, &err), RC_NOTFOUND);
    assert_int_equal(core_metric_def_load(&f->core, "nowhere/revenue.yml", &j, &err), RC_NOTFOUND);
    assert_int_equal(core_metric_def_load(&f->core, "../finance/revenue.yml", &j, &err),
                     RC_INVALID);
    assert_non_null(strstr(err.msg, "[a-z_]+/[a-z_]+"));
    put(f, "docs/metrics/finance/broken.yml", "a: [\n");
    assert_int_equal(core_metric_def_load(&f->core, "finance/broken.yml", &j, &err), RC_BADVALUE);
    assert_non_null(strstr(err.msg, "finance/broken.yml"));
}

static void test_links_and_odd_files_refused(void **state)
{
    struct fx *f = *state;
    struct err err = { { 0 } };
    json_t *j = NULL;
    put(f, "secret.yml", "password: hunter2\n");
    put(f, "outside/leak.yml", "password: hunter2\n");
    put(f, "docs/metrics/finance/revenue.yml", "title: Revenue\n");
    /* a link to a file outside, a link to a folder outside, a FIFO, a folder named like a file */
    sh(f, "ln -s '%s/secret.yml' docs/metrics/finance/leak.yml", f->dir);
    sh(f, "ln -s '%s/outside' docs/metrics/outside", f->dir);
    sh(f, "mkfifo docs/metrics/finance/fifo.yml%s", "");
    sh(f, "mkdir docs/metrics/finance/dir.yml%s", "");
    assert_int_equal(core_metric_def_load(&f->core, "finance/leak.yml", &j, &err), RC_INVALID);
    assert_null(j);
    assert_int_equal(core_metric_def_load(&f->core, "outside/leak.yml", &j, &err), RC_INVALID);
    assert_int_equal(core_metric_def_load(&f->core, "finance/fifo.yml", &j, &err), RC_INVALID);
    assert_int_equal(core_metric_def_load(&f->core, "finance/dir.yml", &j, &err), RC_INVALID);

    /* over the size cap, even when every byte is a comment */
    char *big = xmalloc(METRIC_DEF_MAX_BYTES + 2);
    memset(big, '#', METRIC_DEF_MAX_BYTES + 1);
    big[METRIC_DEF_MAX_BYTES + 1] = '\0';
    put(f, "docs/metrics/finance/big.yml", big);
    big[METRIC_DEF_MAX_BYTES] = '\0';
    put(f, "docs/metrics/finance/atcap.yml", big);
    free(big);
    assert_int_equal(core_metric_def_load(&f->core, "finance/big.yml", &j, &err), RC_TOOBIG);
    assert_int_equal(core_metric_def_load(&f->core, "finance/atcap.yml", &j, &err), RC_OK);
    json_decref(j);

    /* the list: only the regular, well-named files in real area folders */
    put(f, "docs/metrics/finance/.hidden.yml", "title: x\n");
    put(f, "docs/metrics/finance/Upper.yml", "title: x\n");
    put(f, "docs/metrics/finance/notes.txt", "x\n");
    put(f, "docs/metrics/top.yml", "title: x\n");
    put(f, "docs/metrics/customers/active_customers.yml",
        "title: Active customers\ndescription: Customers with an order in 90 days\n");
    put(f, "docs/metrics/customers/broken.yml", "a: [\n");
    struct metric_def_entry *list = NULL;
    size_t n = 0;
    assert_int_equal(core_metric_defs_list(&f->core, &list, &n, &err), RC_OK);
    const char *want[] = { "customers/active_customers.yml", "customers/broken.yml",
                           "finance/atcap.yml", "finance/revenue.yml" };
    assert_int_equal(n, sizeof(want) / sizeof(*want));
    for (size_t i = 0; i < n; i++)
        assert_string_equal(list[i].path, want[i]);
    assert_string_equal(list[0].area, "customers");
    assert_string_equal(list[0].name, "active_customers");
    assert_string_equal(list[0].title, "Active customers");
    assert_string_equal(list[0].description, "Customers with an order in 90 days");
    assert_null(list[1].title); /* listed though it does not parse */
    assert_null(list[2].title); /* parses to null: no title */
    assert_string_equal(list[3].title, "Revenue");
    assert_null(list[3].description);
    metric_def_entries_free(list, n);
}

/* The demo ships its two definitions; each parses, lists with its title, and every sql* query
 * in it runs on the demo tables and returns rows. An edited file is never overwritten. */
static void test_demo_definitions_run_on_the_demo(void **state)
{
    struct fx *f = *state;
    struct err err = { { 0 } };
    struct demo_result res;
    assert_int_equal(demo_ensure(f->dir, 1, &res, &err), RC_OK);
    struct metric_def_entry *list = NULL;
    size_t n = 0;
    assert_int_equal(core_metric_defs_list(&f->core, &list, &n, &err), RC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].path, "customers/active_customers.yml");
    assert_string_equal(list[0].title, "Active Customers");
    assert_string_equal(list[1].path, "finance/revenue.yml");
    assert_string_equal(list[1].title, "Revenue");
    char *db = xasprintf("%s/extracts/demo/extract.duckdb", f->dir);
    struct duck *d = NULL;
    assert_int_equal(duck_open_readonly(db, &d, &err), RC_OK);
    int queries = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *def = NULL;
        assert_int_equal(core_metric_def_load(&f->core, list[i].path, &def, &err), RC_OK);
        assert_string_equal(json_string_value(json_object_get(def, "name")), list[i].name);
        assert_string_equal(json_string_value(json_object_get(def, "category")), list[i].area);
        const char *key;
        json_t *v;
        json_object_foreach(def, key, v)
        {
            if (strncmp(key, "sql", 3) != 0)
                continue;
            char *sql = xasprintf("SELECT count(*) FROM (%s)", json_string_value(v));
            assert_true(q_i64(d, sql) >= 12); /* a row a month of 2025 at least */
            free(sql);
            queries++;
        }
        json_decref(def);
    }
    assert_int_equal(queries, 4);
    duck_close(&d);
    free(db);
    metric_def_entries_free(list, n);

    put(f, "docs/metrics/finance/revenue.yml", "name: revenue\ntitle: Ours\n");
    assert_int_equal(demo_ensure(f->dir, 1, &res, &err), RC_OK);
    json_t *def = NULL;
    assert_int_equal(core_metric_def_load(&f->core, "finance/revenue.yml", &def, &err), RC_OK);
    assert_string_equal(json_string_value(json_object_get(def, "title")), "Ours");
    json_decref(def);
}

int main(void)
{
    log_setup(LOG_ERROR, LOG_HUMAN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_rule),
        cmocka_unit_test(test_yaml_shapes_and_types),
        cmocka_unit_test(test_yaml_alias_bomb),
        cmocka_unit_test(test_yaml_deep_nesting),
        cmocka_unit_test(test_yaml_huge_keys_and_many_nodes),
        cmocka_unit_test(test_yaml_refusals),
        cmocka_unit_test_setup_teardown(test_read_and_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links_and_odd_files_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_definitions_run_on_the_demo, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
