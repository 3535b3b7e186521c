/* test_client_metric_defs.c — `da sync`'s copy of the metric definitions
 * (src/client/metric_defs.c) against a hostile server: da's own HTTP server in this process
 * with fake routes that list names climbing out of the folder, dot files, deeper paths,
 * duplicates, an oversize file and a missing one. Checks that only valid names become files,
 * byte for byte, nothing lands outside <sync dir>/metrics, a link planted where a file goes is
 * replaced (its target untouched), a linked area folder is refused, stale definitions are
 * removed while the user's other files stay, a second run writes nothing, and an older
 * server without the routes leaves the folder alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/log.h"
#include "base/mem.h"
#include "client/http_client.h"
#include "client/metric_defs.h"
#include "helpers.h"
#include "http/http.h"

/* ---- the fake server -------------------------------------------------------------------- */

struct fake {
    const char *list_json; /* the answer to GET /api/catalog/metrics; NULL: no such route */
    int downloads;         /* requests for a file */
};

static const char REVENUE[] = "name: revenue\ntitle: Revenue\nsql: |\n  SELECT 1\n";
static const char ACTIVE[] = "# kept byte for byte\nname: active\n\n";

static void get_list(struct http_req *req, void *appv)
{
    struct fake *f = appv;
    if (!f->list_json) {
        http_respond_error(req, 404, "Not Found");
        return;
    }
    http_respond_json(req, 200, json_loads(f->list_json, 0, NULL));
}

static void get_file(struct http_req *req, void *appv)
{
    struct fake *f = appv;
    f->downloads++;
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", http_req_param(req, "area"), http_req_param(req, "file"));
    if (strcmp(path, "finance/revenue.yml") == 0) {
        http_respond_bytes(req, 200, "application/yaml", REVENUE, strlen(REVENUE));
    } else if (strcmp(path, "customers/active.yml") == 0) {
        http_respond_bytes(req, 200, "application/yaml", ACTIVE, strlen(ACTIVE));
    } else if (strcmp(path, "big/big.yml") == 0) {
        size_t len = METRIC_SYNC_MAX_BYTES + 4096;
        char *big = xmalloc(len);
        memset(big, '#', len);
        http_respond_owned(req, 200, "application/yaml", big, len);
    } else {
        http_respond_error(req, 404, "metric definition %s not found", path);
    }
}

static const struct http_route routes[] = {
    { "GET", "/api/catalog/metrics", get_list },
    { "GET", "/api/catalog/metrics/{area}/{file}", get_file },
};

struct fx {
    char *root; /* holds sync/ and outside/ */
    char *sync;
    struct fake fake;
    struct http_server *server;
    struct hc *hc;
};

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    f->root = test_tmpdir();
    f->sync = xasprintf("%s/sync", f->root);
    assert_int_equal(mkdir(f->sync, 0755), 0);
    char *outside = xasprintf("%s/outside", f->root);
    assert_int_equal(mkdir(outside, 0755), 0);
    free(outside);
    struct http_server_opts opts = {
        .host = "127.0.0.1",
        .threads = 2,
        .max_body = 65536,
        .conn_timeout_s = 10,
        .header_timeout_s = 10,
        .body_window_s = 10,
    };
    struct err err = { { 0 } };
    assert_int_equal(
        http_server_start(&opts, routes, ARRAY_LEN(routes), &f->fake, &f->server, &err), RC_OK);
    char *url = xasprintf("http://127.0.0.1:%d", http_server_port(f->server));
    assert_int_equal(hc_new(url, &f->hc, &err), RC_OK);
    free(url);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    hc_free(&f->hc);
    http_server_stop(&f->server);
    test_rm_rf(f->root);
    free(f->root);
    free(f->sync);
    free(f);
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *buf = xcalloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void expect_file(const struct fx *f, const char *rel, const char *want)
{
    char *path = xasprintf("%s/%s", f->root, rel);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    char *got = slurp(path);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    free(path);
}

static bool exists(const char *root, const char *rel)
{
    char *path = xasprintf("%s/%s", root, rel);
    struct stat st;
    bool ok = lstat(path, &st) == 0;
    free(path);
    return ok;
}

static void sh(const struct fx *f, const char *cmd)
{
    char *line = xasprintf("cd '%s' && %s", f->root, cmd);
    assert_int_equal(system(line), 0);
    free(line);
}

/* Counts the entries under dir, recursively (find | wc -l), to prove nothing else appeared. */
static int count_entries(const struct fx *f, const char *rel)
{
    char *cmd = xasprintf("find '%s/%s' | wc -l", f->root, rel);
    FILE *p = popen(cmd, "r");
    free(cmd);
    int n = -1;
    assert_non_null(p);
    if (fscanf(p, "%d", &n) != 1)
        n = -1;
    pclose(p);
    return n;
}

static const char HOSTILE_LIST[] =
    "{\"count\": 11, \"metrics\": ["
    "{\"path\": \"finance/revenue.yml\", \"title\": \"Revenue\", \"description\": \"Net\"},"
    "{\"path\": \"customers/active.yml\"},"
    "{\"path\": \"../evil.yml\"},"
    "{\"path\": \"../../outside/evil.yml\"},"
    "{\"path\": \"finance/.hidden.yml\"},"
    "{\"path\": \"finance/sub/x.yml\"},"
    "{\"path\": \"/tmp/abs.yml\"},"
    "{\"path\": \"finance/revenue.yml\"},"
    "{\"path\": 42},"
    "{\"path\": \"big/big.yml\"},"
    "{\"path\": \"gone/missing.yml\"}"
    "]}";

/* ---- tests -------------------------------------------------------------------------------- */

static void test_hostile_list(void **state)
{
    struct fx *f = *state;
    f->fake.list_json = HOSTILE_LIST;
    /* what the user has: a stale definition, their own notes, an odd name, and a link where
     * revenue.yml goes that points at a file outside */
    sh(f,
       "mkdir -p sync/metrics/old sync/metrics/finance && echo stale > sync/metrics/old/stale.yml"
       " && echo mine > sync/metrics/old/notes.txt && echo mine > sync/metrics/finance/Mine.yml"
       " && echo precious > outside/target.yml"
       " && ln -s ../../../outside/target.yml sync/metrics/finance/revenue.yml");
    struct metric_defs_report r;
    struct err err = { { 0 } };
    assert_int_equal(metric_defs_sync(f->hc, f->sync, &r, &err), RC_OK);
    assert_true(r.supported);
    assert_int_equal(r.written, 2);
    assert_int_equal(r.unchanged, 0);
    assert_int_equal(r.refused, 7); /* 6 bad names + the duplicate */
    assert_int_equal(r.failed, 2);  /* big (over the cap) and missing */
    assert_int_equal(r.removed, 1);
    assert_non_null(strstr(r.first_failure, "../evil.yml"));
    assert_int_equal(f->fake.downloads, 4); /* never asked for a refused name */

    expect_file(f, "sync/metrics/finance/revenue.yml", REVENUE);
    expect_file(f, "sync/metrics/customers/active.yml", ACTIVE);
    expect_file(f, "outside/target.yml", "precious\n"); /* the link was replaced, not followed */
    assert_false(exists(f->root, "evil.yml"));
    assert_false(exists(f->root, "sync/evil.yml"));
    assert_int_equal(count_entries(f, "outside"), 2); /* itself and target.yml */
    assert_false(exists(f->root, "sync/metrics/big/big.yml"));
    assert_false(exists(f->root, "sync/metrics/old/stale.yml"));
    assert_true(exists(f->root, "sync/metrics/old/notes.txt"));
    assert_true(exists(f->root, "sync/metrics/finance/Mine.yml"));

    assert_int_equal(r.n_defs, 2);
    assert_string_equal(r.defs[0].path, "customers/active.yml");
    assert_null(r.defs[0].title);
    assert_string_equal(r.defs[1].path, "finance/revenue.yml");
    assert_string_equal(r.defs[1].title, "Revenue");
    assert_string_equal(r.defs[1].description, "Net");
    metric_defs_report_free(&r);

    /* a second run: nothing to write; the server dropping one removes it and its empty area */
    assert_int_equal(metric_defs_sync(f->hc, f->sync, &r, &err), RC_OK);
    assert_int_equal(r.written, 0);
    assert_int_equal(r.unchanged, 2);
    metric_defs_report_free(&r);
    f->fake.list_json = "{\"count\": 1, \"metrics\": [{\"path\": \"finance/revenue.yml\"}]}";
    assert_int_equal(metric_defs_sync(f->hc, f->sync, &r, &err), RC_OK);
    assert_int_equal(r.removed, 1);
    assert_false(exists(f->root, "sync/metrics/customers"));
    assert_true(exists(f->root, "sync/metrics/old/notes.txt"));
    metric_defs_report_free(&r);
}

static void test_linked_folders_refused(void **state)
{
    struct fx *f = *state;
    f->fake.list_json = "{\"count\": 1, \"metrics\": [{\"path\": \"finance/revenue.yml\"}]}";
    struct metric_defs_report r;
    struct err err = { { 0 } };
    /* an area folder that is a link to a folder outside */
    sh(f, "mkdir -p sync/metrics && ln -s ../../outside sync/metrics/finance");
    assert_int_equal(metric_defs_sync(f->hc, f->sync, &r, &err), RC_CONFLICT);
    assert_non_null(strstr(err.msg, "links are not followed"));
    metric_defs_report_free(&r);
    assert_int_equal(count_entries(f, "outside"), 1);
    /* metrics/ itself a link */
    sh(f, "rm -rf sync/metrics && ln -s ../outside sync/metrics");
    assert_int_equal(metric_defs_sync(f->hc, f->sync, &r, &err), RC_CONFLICT);
    metric_defs_report_free(&r);
    assert_int_equal(count_entries(f, "outside"), 1);
}

static void test_older_server_leaves_folder_alone(void **state)
{
    struct fx *f = *state;
    f->fake.list_json = NULL;
    sh(f, "mkdir -p sync/metrics/finance && echo kept > sync/metrics/finance/revenue.yml");
    struct metric_defs_report r;
    struct err err = { { 0 } };
    assert_int_equal(metric_defs_sync(f->hc, f->sync, &r, &err), RC_OK);
    assert_false(r.supported);
    assert_int_equal(r.removed, 0);
    expect_file(f, "sync/metrics/finance/revenue.yml", "kept\n");
    metric_defs_report_free(&r);
}

static void test_unreachable_server(void **state)
{
    struct fx *f = *state;
    struct hc *dead = NULL;
    struct err err = { { 0 } };
    assert_int_equal(hc_new("http://127.0.0.1:1", &dead, &err), RC_OK);
    struct metric_defs_report r;
    assert_int_equal(metric_defs_sync(dead, f->sync, &r, &err), RC_IO);
    assert_false(r.supported);
    metric_defs_report_free(&r);
    hc_free(&dead);
}

int main(void)
{
    log_setup(LOG_ERROR, LOG_HUMAN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hostile_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linked_folders_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_server_leaves_folder_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_server, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
