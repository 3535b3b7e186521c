/* test_sync.c — unit tests of `da sync`'s decisions and local files: file-name checks; the plan
 * (src/client/syncplan.c) for a first sync, an unchanged folder, a changed file with and
 * without a size change, a killed sync's files recognised by hash, --verify, a revoked table,
 * a partitioned table that lost a part or changed shape, strays, and hostile manifests (unsafe
 * ids, names, URLs, digests) that must never reach a path; the state written after a sync
 * with a failed table; the folder listing (src/client/syncdir.c); and da.duckdb and DATA.md
 * (src/client/localdb.c) over real Parquet files: one view per table with the right row
 * counts, partitioned tables, a missing file, atomic replacement. */
/* clang-format off: cmocka.h needs these four first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format on */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "client/localdb.h"
#include "client/syncdir.h"
#include "client/syncplan.h"
#include "data/duck.h"
#include "duck_helpers.h"
#include "helpers.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define SHA_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

/* ---- helpers ------------------------------------------------------------------------------ */

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", e.text, text);
    return j;
}

/* A manifest entry of a one-file table. */
static char *one_file(const char *id, const char *sha, int size)
{
    return xasprintf(
        "\"%s\": {\"hash\": \"%s\", \"rows\": 3, \"updated\": \"2024-01-01T00:00:00Z\","
        " \"files\": [{\"name\": \"%s.parquet\", \"url\": \"/api/data/%s/download\","
        " \"sha256\": \"%s\", \"size_bytes\": %d}]}",
        id, sha, id, id, sha, size);
}

/* A state entry of a one-file table. */
static char *one_state(const char *id, const char *sha, int size)
{
    return xasprintf("\"%s\": {\"hash\": \"%s\", \"rows\": 3, \"updated\": \"\", \"description\": "
                     "\"old\", \"files\": {\"%s.parquet\": {\"sha256\": \"%s\", \"size_bytes\": "
                     "%d}}}",
                     id, sha, id, sha, size);
}

/* A local listing: "relpath:size" or "relpath/" for a folder. */
struct listing {
    struct syncdir_entry e[32];
    size_t n;
};

static void local(struct listing *l, const char *spec)
{
    const char *colon = strrchr(spec, ':');
    size_t len = strlen(spec);
    struct syncdir_entry *e = &l->e[l->n++];
    if (spec[len - 1] == '/') {
        *e = (struct syncdir_entry){ .relpath = xstrndup(spec, len - 1),
                                     .size = -1,
                                     .is_dir = true };
    } else {
        *e = (struct syncdir_entry){ .relpath = xstrndup(spec, (size_t)(colon - spec)),
                                     .size = strtoll(colon + 1, NULL, 10) };
    }
}

static void listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->e[i].relpath);
    l->n = 0;
}

/* A fake hash: the digest of relpath is in a table; counts calls. */
struct fake_hash {
    const char *relpath[8];
    const char *sha[8];
    int calls;
};

static enum rc fake_hash(void *ctx, const char *relpath, char out[65], struct err *err)
{
    struct fake_hash *h = ctx;
    h->calls++;
    for (int i = 0; i < 8 && h->relpath[i]; i++)
        if (strcmp(h->relpath[i], relpath) == 0) {
            snprintf(out, 65, "%s", h->sha[i]);
            return RC_OK;
        }
    return err_set(err, RC_IO, "no such file");
}

static void plan_of(const char *manifest, const char *state, struct listing *l, struct fake_hash *h,
                    bool verify, struct syncplan *p)
{
    json_t *m = js(manifest), *s = state ? js(state) : NULL;
    struct syncplan_input in = { .manifest = m,
                                 .state = s,
                                 .local = l ? l->e : NULL,
                                 .n_local = l ? l->n : 0,
                                 .verify = verify,
                                 .hash = h ? fake_hash : NULL,
                                 .hash_ctx = h };
    struct err err = { { 0 } };
    enum rc rc = syncplan_build(&in, p, &err);
    if (rc)
        fail_msg("plan: %s", err.msg);
    json_decref(m);
    json_decref(s);
}

static const struct syncplan_file *file_at(const struct syncplan *p, const char *relpath)
{
    for (size_t i = 0; i < p->n_files; i++)
        if (strcmp(p->files[i].relpath, relpath) == 0)
            return &p->files[i];
    fail_msg("no planned file %s", relpath);
    return NULL;
}

static bool removes(const struct syncplan *p, const char *relpath)
{
    for (size_t i = 0; i < p->n_removals; i++)
        if (strcmp(p->removals[i].relpath, relpath) == 0)
            return true;
    return false;
}

/* ---- names -------------------------------------------------------------------------------- */

static void test_name_valid(void **state)
{
    (void)state;
    const char *good[] = { "a", "2024-01.parquet", "orders.parquet", "A_b-c.d", "x..y" };
    const char *bad[] = { NULL,  "",     ".",    "..",        ".hidden",    "-rf",
                          "a/b", "../x", "a\\b", "a b",       "a\nb",       "a*",
                          "a?",  "[a]",  "a:b",  "é.parquet", "/etc/passwd" };
    for (size_t i = 0; i < ARRAY_LEN(good); i++)
        assert_true(syncplan_name_valid(good[i]));
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (syncplan_name_valid(bad[i]))
            fail_msg("accepted '%s'", bad[i]);
    char longest[SYNCPLAN_NAME_MAX + 2];
    memset(longest, 'a', sizeof(longest));
    longest[SYNCPLAN_NAME_MAX] = '\0';
    assert_true(syncplan_name_valid(longest));
    longest[SYNCPLAN_NAME_MAX] = 'a';
    longest[SYNCPLAN_NAME_MAX + 1] = '\0';
    assert_false(syncplan_name_valid(longest));
}

/* ---- the plan ----------------------------------------------------------------------------- */

static void test_first_sync_fetches_everything(void **state)
{
    (void)state;
    char *a = one_file("orders", SHA_A, 100), *b = one_file("users", SHA_B, 50);
    char *m = xasprintf("{\"tables\": {%s, %s}, \"generation\": 3}", b, a);
    struct syncplan p;
    struct fake_hash h = { { 0 } };
    plan_of(m, NULL, NULL, &h, false, &p);
    assert_int_equal(p.n_tables, 2);
    assert_string_equal(p.tables[0].id, "orders"); /* by id, whatever the manifest's order */
    assert_string_equal(p.tables[1].id, "users");
    assert_int_equal(p.n_files, 2);
    const struct syncplan_file *f = file_at(&p, "tables/orders.parquet");
    assert_int_equal(f->action, SYNCPLAN_FETCH);
    assert_string_equal(f->url, "/api/data/orders/download");
    assert_string_equal(f->sha256, SHA_A);
    assert_int_equal(f->size, 100);
    assert_int_equal(p.tables[0].n_fetch, 1);
    assert_int_equal(p.n_removals, 0);
    assert_int_equal(p.n_gone, 0);
    assert_int_equal(h.calls, 0); /* nothing on disk: nothing to hash */
    syncplan_free(&p);
    free(a);
    free(b);
    free(m);
}

static void test_unchanged_folder_keeps_everything_without_hashing(void **state)
{
    (void)state;
    char *a = one_file("orders", SHA_A, 100), *sa = one_state("orders", SHA_A, 100);
    char *m = xasprintf("{\"tables\": {%s}}", a), *s = xasprintf("{\"tables\": {%s}}", sa);
    struct listing l = { 0 };
    local(&l, "tables/orders.parquet:100");
    struct fake_hash h = { { 0 } };
    struct syncplan p;
    plan_of(m, s, &l, &h, false, &p);
    assert_int_equal(file_at(&p, "tables/orders.parquet")->action, SYNCPLAN_KEEP);
    assert_int_equal(p.tables[0].n_fetch, 0);
    assert_int_equal(p.n_removals, 0);
    assert_int_equal(h.calls, 0);
    syncplan_free(&p);

    /* the file on disk has another size than recorded: fetched again, no hash needed */
    listing_free(&l);
    local(&l, "tables/orders.parquet:99");
    plan_of(m, s, &l, &h, false, &p);
    assert_int_equal(file_at(&p, "tables/orders.parquet")->action, SYNCPLAN_FETCH);
    assert_int_equal(h.calls, 0);
    syncplan_free(&p);

    /* --verify hashes even so, and a file that does not match is fetched */
    listing_free(&l);
    local(&l, "tables/orders.parquet:100");
    h = (struct fake_hash){ { "tables/orders.parquet" }, { SHA_D }, 0 };
    plan_of(m, s, &l, &h, true, &p);
    assert_int_equal(file_at(&p, "tables/orders.parquet")->action, SYNCPLAN_FETCH);
    assert_int_equal(h.calls, 1);
    assert_int_equal(p.n_hashed, 1);
    syncplan_free(&p);
    h = (struct fake_hash){ { "tables/orders.parquet" }, { SHA_A }, 0 };
    plan_of(m, s, &l, &h, true, &p);
    assert_int_equal(file_at(&p, "tables/orders.parquet")->action, SYNCPLAN_KEEP);
    syncplan_free(&p);
    listing_free(&l);
    free(a);
    free(sa);
    free(m);
    free(s);
}

static void test_changed_file(void **state)
{
    (void)state;
    /* the server has a new version of orders (B, same size) and the same users */
    char *a = one_file("orders", SHA_B, 100), *u = one_file("users", SHA_C, 10);
    char *sa = one_state("orders", SHA_A, 100), *su = one_state("users", SHA_C, 10);
    char *m = xasprintf("{\"tables\": {%s, %s}}", a, u);
    char *s = xasprintf("{\"tables\": {%s, %s}}", sa, su);
    struct listing l = { 0 };
    local(&l, "tables/orders.parquet:100");
    local(&l, "tables/users.parquet:10");
    /* the local orders still has the old digest: hashed (same size), then fetched */
    struct fake_hash h = { { "tables/orders.parquet" }, { SHA_A }, 0 };
    struct syncplan p;
    plan_of(m, s, &l, &h, false, &p);
    assert_int_equal(file_at(&p, "tables/orders.parquet")->action, SYNCPLAN_FETCH);
    assert_int_equal(file_at(&p, "tables/users.parquet")->action, SYNCPLAN_KEEP);
    assert_int_equal(h.calls, 1);
    syncplan_free(&p);
    /* a sync killed after moving orders into place: the hash says it is there already */
    h = (struct fake_hash){ { "tables/orders.parquet" }, { SHA_B }, 0 };
    plan_of(m, s, &l, &h, false, &p);
    assert_int_equal(file_at(&p, "tables/orders.parquet")->action, SYNCPLAN_KEEP);
    syncplan_free(&p);
    /* a lost state: the files on disk are adopted when their hash matches */
    h = (struct fake_hash){ { "tables/orders.parquet", "tables/users.parquet" },
                            { SHA_B, SHA_C },
                            0 };
    plan_of(m, NULL, &l, &h, false, &p);
    assert_int_equal(file_at(&p, "tables/orders.parquet")->action, SYNCPLAN_KEEP);
    assert_int_equal(file_at(&p, "tables/users.parquet")->action, SYNCPLAN_KEEP);
    assert_int_equal(h.calls, 2);
    syncplan_free(&p);
    listing_free(&l);
    free(a);
    free(u);
    free(sa);
    free(su);
    free(m);
    free(s);
}

static void test_revoked_table_and_strays_are_removed(void **state)
{
    (void)state;
    char *a = one_file("orders", SHA_A, 100);
    char *sa = one_state("orders", SHA_A, 100), *ss = one_state("secret", SHA_B, 7);
    char *m = xasprintf("{\"tables\": {%s}}", a);
    char *s = xasprintf("{\"tables\": {%s, %s}}", ss, sa);
    struct listing l = { 0 };
    local(&l, "tables/orders.parquet:100");
    local(&l, "tables/secret.parquet:7");
    local(&l, "tables/events/"); /* a partitioned table no longer readable */
    local(&l, "tables/events/2024-01.parquet:5");
    local(&l, "tables/.DS_Store:1");
    local(&l, "tables/notes.txt:3");
    struct syncplan p;
    plan_of(m, s, &l, NULL, false, &p);
    assert_int_equal(file_at(&p, "tables/orders.parquet")->action, SYNCPLAN_KEEP);
    assert_true(removes(&p, "tables/secret.parquet"));
    assert_true(removes(&p, "tables/events"));
    assert_false(removes(&p, "tables/events/2024-01.parquet")); /* goes with its folder */
    assert_true(removes(&p, "tables/.DS_Store"));
    assert_true(removes(&p, "tables/notes.txt"));
    assert_false(removes(&p, "tables/orders.parquet"));
    assert_int_equal(p.n_removals, 4);
    for (size_t i = 0; i < p.n_removals; i++)
        assert_true(p.removals[i].table == SYNCPLAN_NO_TABLE);
    assert_int_equal(p.n_gone, 1);
    assert_string_equal(p.gone[0], "secret");
    syncplan_free(&p);
    listing_free(&l);
    free(a);
    free(sa);
    free(ss);
    free(m);
    free(s);
}

static const char partitioned[] =
    "{\"tables\": {\"events\": {\"hash\": \"h\", \"rows\": 9, \"files\": ["
    "{\"name\": \"2024-01.parquet\", \"url\": \"/api/data/events/files/2024-01.parquet\", "
    "\"sha256\": \"" SHA_A "\", \"size_bytes\": 10},"
    "{\"name\": \"2024-02.parquet\", \"url\": \"/api/data/events/files/2024-02.parquet\", "
    "\"sha256\": \"" SHA_B "\", \"size_bytes\": 20}]}}}";

static void test_partitioned_table(void **state)
{
    (void)state;
    /* the state had three parts; one is gone, one changed, one is the same */
    const char *s = "{\"tables\": {\"events\": {\"hash\": \"old\", \"rows\": 12, \"files\": {"
                    "\"2023-12.parquet\": {\"sha256\": \"" SHA_C "\", \"size_bytes\": 5},"
                    "\"2024-01.parquet\": {\"sha256\": \"" SHA_A "\", \"size_bytes\": 10},"
                    "\"2024-02.parquet\": {\"sha256\": \"" SHA_D "\", \"size_bytes\": 21}}}}}";
    struct listing l = { 0 };
    local(&l, "tables/events/");
    local(&l, "tables/events/2023-12.parquet:5");
    local(&l, "tables/events/2024-01.parquet:10");
    local(&l, "tables/events/2024-02.parquet:21");
    local(&l, "tables/events/sub/");
    struct syncplan p;
    plan_of(partitioned, s, &l, NULL, false, &p);
    assert_true(p.tables[0].partitioned);
    assert_int_equal(p.tables[0].n_files, 2);
    assert_int_equal(file_at(&p, "tables/events/2024-01.parquet")->action, SYNCPLAN_KEEP);
    assert_int_equal(file_at(&p, "tables/events/2024-02.parquet")->action, SYNCPLAN_FETCH);
    assert_string_equal(file_at(&p, "tables/events/2024-02.parquet")->url,
                        "/api/data/events/files/2024-02.parquet");
    assert_true(removes(&p, "tables/events/2023-12.parquet"));
    assert_true(removes(&p, "tables/events/sub"));
    assert_false(removes(&p, "tables/events"));
    assert_int_equal(p.n_removals, 2);
    assert_int_equal(p.removals[0].table, 0); /* skipped if the table fails */
    syncplan_free(&p);
    listing_free(&l);

    /* the table was one file before: that file goes, both parts are fetched */
    char *so = one_state("events", SHA_A, 10);
    char *s1 = xasprintf("{\"tables\": {%s}}", so);
    local(&l, "tables/events.parquet:10");
    plan_of(partitioned, s1, &l, NULL, false, &p);
    assert_int_equal(file_at(&p, "tables/events/2024-01.parquet")->action, SYNCPLAN_FETCH);
    assert_true(removes(&p, "tables/events.parquet"));
    assert_int_equal(p.removals[0].table, 0);
    syncplan_free(&p);
    listing_free(&l);

    /* and back: a one-file table whose folder of parts goes */
    char *a = one_file("events", SHA_A, 10);
    char *m = xasprintf("{\"tables\": {%s}}", a);
    local(&l, "tables/events/");
    local(&l, "tables/events/2024-01.parquet:10");
    plan_of(m, s, &l, NULL, false, &p);
    assert_int_equal(file_at(&p, "tables/events.parquet")->action, SYNCPLAN_FETCH);
    assert_true(removes(&p, "tables/events"));
    assert_int_equal(p.n_removals, 1);
    syncplan_free(&p);
    listing_free(&l);
    free(so);
    free(s1);
    free(a);
    free(m);
}

static void test_hostile_manifest(void **state)
{
    (void)state;
    /* each entry is wrong in one way; none may become a path or a request */
    const char *bad_files[] = {
        "[{\"name\": \"../../.bashrc\", \"url\": \"/api/data/t/files/x\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": 1}, {\"name\": \"b\", \"url\": \"/api/data/t/files/b\", \"sha256\": "
        "\"" SHA_A "\", \"size_bytes\": 1}]",
        "[{\"name\": \".hidden\", \"url\": \"/api/data/t/download\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": 1}]",
        "[{\"name\": \"a/b\", \"url\": \"/api/data/t/download\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": 1}]",
        "[{\"name\": \"t.parquet\", \"url\": \"http://evil.example/x\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": 1}]",
        "[{\"name\": \"t.parquet\", \"url\": \"@evil.example/x\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": 1}]",
        "[{\"name\": \"t.parquet\", \"url\": \"/api/../../x\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": 1}]",
        "[{\"name\": \"t.parquet\", \"url\": \"/api/x@evil.example\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": 1}]",
        "[{\"name\": \"t.parquet\", \"url\": \"/api/data/t/download\", \"sha256\": \"ABC\", "
        "\"size_bytes\": 1}]",
        "[{\"name\": \"t.parquet\", \"url\": \"/api/data/t/download\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": -1}]",
        "[{\"name\": \"t.parquet\", \"url\": \"/api/data/t/download\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": \"1\"}]",
        "[{\"name\": \"a\", \"url\": \"/api/data/t/files/a\", \"sha256\": \"" SHA_A
        "\", \"size_bytes\": 1}, {\"name\": \"a\", \"url\": \"/api/data/t/files/a\", "
        "\"sha256\": \"" SHA_A "\", \"size_bytes\": 1}]",
        "[]",
        "\"nope\"",
    };
    struct listing l = { 0 };
    local(&l, "tables/t.parquet:1"); /* what the folder had of t stays */
    local(&l, "tables/t/");
    for (size_t i = 0; i < ARRAY_LEN(bad_files); i++) {
        char *m =
            xasprintf("{\"tables\": {\"t\": {\"hash\": \"h\", \"files\": %s}}}", bad_files[i]);
        struct syncplan p;
        plan_of(m, NULL, &l, NULL, false, &p);
        assert_int_equal(p.n_tables, 1);
        if (!p.tables[0].problem)
            fail_msg("accepted %s", bad_files[i]);
        assert_int_equal(p.n_files, 0);
        assert_int_equal(p.n_removals, 0);
        syncplan_free(&p);
        free(m);
    }
    /* ids that are not table ids are skipped and reported, and never become a path */
    const char *m = "{\"tables\": {\"../x\": {\"files\": []}, \"Orders\": {\"files\": []}, "
                    "\"a/b\": {}, \"\": {}, \"ok\": {\"files\": \"x\"}}}";
    struct syncplan p;
    plan_of(m, NULL, &l, NULL, false, &p);
    assert_int_equal(p.n_bad_ids, 4);
    assert_int_equal(p.n_tables, 1);
    assert_string_equal(p.tables[0].id, "ok");
    assert_non_null(p.tables[0].problem);
    assert_int_equal(p.n_files, 0);
    assert_int_equal(p.n_removals, 2); /* t is not in this manifest at all: it goes */
    syncplan_free(&p);
    listing_free(&l);
    /* a manifest without tables fails */
    json_t *none = js("{\"generation\": 1}");
    struct syncplan_input in = { .manifest = none };
    struct err err;
    assert_int_equal(syncplan_build(&in, &p, &err), RC_INVALID);
    syncplan_free(&p);
    json_decref(none);
}

static void test_new_state(void **state)
{
    (void)state;
    char *a = one_file("orders", SHA_B, 100), *u = one_file("users", SHA_C, 10);
    char *n = one_file("fresh", SHA_D, 4);
    char *sa = one_state("orders", SHA_A, 90), *sg = one_state("gone", SHA_A, 1);
    char *m = xasprintf("{\"tables\": {%s, %s, %s}}", a, u, n);
    char *s = xasprintf("{\"tables\": {%s, %s}}", sa, sg);
    json_t *old = js(s), *desc = js("{\"users\": \"People.\"}");
    struct syncplan p;
    plan_of(m, s, NULL, NULL, false, &p);
    /* tables by id: fresh, orders, users; orders failed and keeps its old version; fresh
     * failed and has none; gone is gone */
    bool ok[] = { false, false, true };
    json_t *st =
        syncplan_new_state(&p, ok, old, desc, "https://da.example.com", "2024-05-01T00:00:00Z", 7);
    assert_string_equal(json_string_value(json_object_get(st, "server")), "https://da.example.com");
    assert_int_equal(json_integer_value(json_object_get(st, "generation")), 7);
    json_t *tables = json_object_get(st, "tables");
    assert_int_equal(json_object_size(tables), 2);
    json_t *orders = json_object_get(tables, "orders");
    assert_true(json_equal(orders, json_object_get(json_object_get(old, "tables"), "orders")));
    json_t *users = json_object_get(tables, "users");
    assert_string_equal(json_string_value(json_object_get(users, "hash")), SHA_C);
    assert_string_equal(json_string_value(json_object_get(users, "description")), "People.");
    assert_string_equal(json_string_value(json_object_get(users, "updated")),
                        "2024-01-01T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(users, "rows")), 3);
    json_t *uf = json_object_get(json_object_get(users, "files"), "users.parquet");
    assert_string_equal(json_string_value(json_object_get(uf, "sha256")), SHA_C);
    assert_int_equal(json_integer_value(json_object_get(uf, "size_bytes")), 10);
    assert_null(json_object_get(tables, "fresh"));
    assert_null(json_object_get(tables, "gone"));
    json_decref(st);
    json_decref(old);
    json_decref(desc);
    syncplan_free(&p);
    free(a);
    free(u);
    free(n);
    free(sa);
    free(sg);
    free(m);
    free(s);
}

/* ---- the folder on disk ------------------------------------------------------------------- */

static void touch(const char *dir, const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", dir, rel);
    struct err err;
    if (file_write_atomic(path, text, strlen(text), 0600, &err))
        fail_msg("%s", err.msg);
    free(path);
}

static void test_list_tables(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    struct syncdir_entry *e = NULL;
    size_t n = 0;
    struct err err;
    assert_int_equal(syncdir_list_tables(dir, &e, &n, &err), RC_OK); /* no tables/ yet */
    assert_int_equal(n, 0);
    char *t = xasprintf("%s/tables/p/deeper", dir);
    assert_int_equal(file_mkdir_p(t, 0700, &err), RC_OK);
    touch(dir, "tables/a.parquet", "12345");
    touch(dir, "tables/p/1.parquet", "1");
    touch(dir, "tables/p/deeper/x", "1");
    char *link = xasprintf("%s/tables/l.parquet", dir);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    assert_int_equal(syncdir_list_tables(dir, &e, &n, &err), RC_OK);
    assert_int_equal(n, 5);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(e[i].relpath, "tables/a.parquet") == 0 && e[i].size == 5 && !e[i].is_dir)
            seen |= 1;
        if (strcmp(e[i].relpath, "tables/p") == 0 && e[i].is_dir)
            seen |= 2;
        if (strcmp(e[i].relpath, "tables/p/1.parquet") == 0 && e[i].size == 1)
            seen |= 4;
        if (strcmp(e[i].relpath, "tables/p/deeper") == 0 && e[i].is_dir)
            seen |= 8;
        if (strcmp(e[i].relpath, "tables/l.parquet") == 0 && e[i].size == -1 && !e[i].is_dir)
            seen |= 16; /* a link is never followed */
    }
    assert_int_equal(seen, 31);
    syncdir_entries_free(e, n);
    char *partial = syncdir_partial_path(dir, "events", "2024-01.parquet", SHA_A);
    char *want = xasprintf("%s/.da/partial/events--2024-01.parquet--%s.part", dir, SHA_A);
    assert_string_equal(partial, want);
    free(partial);
    free(want);
    free(link);
    free(t);
    test_rm_rf(dir);
    free(dir);
}

/* Writes a Parquet file of n rows (id, name) at dir/rel. */
static void parquet(struct duck *d, const char *dir, const char *rel, int first, int n)
{
    char *sql = xasprintf("COPY (SELECT range::BIGINT AS id, 'n' || range AS name FROM "
                          "range(%d, %d)) TO '%s/%s' (FORMAT parquet)",
                          first, first + n, dir, rel);
    exec_ok(d, sql);
    free(sql);
}

static char *read_text(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    struct err err;
    if (file_read_all(path, 1 << 20, &text, &len, &err))
        fail_msg("%s", err.msg);
    return text;
}

static void test_localdb_views_and_data_md(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    struct err err = { { 0 } };
    char *sub = xasprintf("%s/tables/events", dir), *da = xasprintf("%s/.da", dir);
    assert_int_equal(file_mkdir_p(sub, 0700, &err), RC_OK);
    assert_int_equal(file_mkdir_p(da, 0700, &err), RC_OK);
    struct duck *w = NULL;
    assert_int_equal(duck_open(NULL, &w, &err), RC_OK);
    parquet(w, dir, "tables/users.parquet", 0, 3);
    parquet(w, dir, "tables/events/2024-01.parquet", 0, 5);
    parquet(w, dir, "tables/events/2024-02.parquet", 5, 7);
    duck_close(&w);
    json_t *st = js("{\"server\": \"https://da.example.com\", \"tables\": {"
                    "\"events\": {\"description\": \"Clicks,\\nline two.\", \"updated\": "
                    "\"2024-03-01T00:00:00Z\", \"files\": {\"2024-01.parquet\": {}, "
                    "\"2024-02.parquet\": {}}},"
                    "\"lost\": {\"description\": \"\", \"files\": {\"lost.parquet\": {}}},"
                    "\"users\": {\"description\": \"People.\", \"updated\": \"\", \"files\": "
                    "{\"users.parquet\": {}}}}}");
    struct localdb_report rep;
    assert_int_equal(localdb_build(dir, st, &rep, &err), RC_OK);
    assert_int_equal(rep.n, 3);
    assert_int_equal(rep.n_views, 2);
    assert_string_equal(rep.tables[0].id, "events");
    assert_int_equal(rep.tables[0].rows, 12);
    assert_null(rep.tables[0].problem);
    assert_non_null(rep.tables[1].problem); /* lost: its file is missing */
    assert_int_equal(rep.tables[2].rows, 3);
    localdb_report_free(&rep);

    /* the database: a view per table, over absolute paths, with the description as comment */
    char *db = syncdir_db_path(dir);
    struct duck *d = NULL;
    assert_int_equal(duck_open_readonly(db, &d, &err), RC_OK);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM events"), 12);
    assert_int_equal(q_i64(d, "SELECT sum(id) FROM events"), 66);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM users"), 3);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM duckdb_views() WHERE NOT internal"), 2);
    char *comment = q_text(d, "SELECT comment FROM duckdb_views() WHERE view_name = 'users'");
    assert_string_equal(comment, "People.");
    free(comment);
    duck_close(&d);

    char *md_path = syncdir_data_md_path(dir);
    char *md = read_text(md_path);
    assert_non_null(strstr(md, "# Data from https://da.example.com\n"));
    assert_non_null(strstr(md, "duckdb da.duckdb"));
    assert_non_null(strstr(md, "\n### events\n\nClicks, line two.\n\n12 rows, data as of "
                               "2024-03-01T00:00:00Z, 2 files in tables/events/. Columns:\n\n"
                               "- id BIGINT\n- name VARCHAR\n"));
    assert_non_null(strstr(md, "\n### lost\n\nNot available here: "));
    assert_non_null(strstr(md, "\n### users\n\nPeople.\n\n3 rows. Columns:\n"));
    /* deterministic: the same state writes the same text */
    assert_int_equal(localdb_build(dir, st, &rep, &err), RC_OK);
    localdb_report_free(&rep);
    char *again = read_text(md_path);
    assert_string_equal(md, again);
    free(again);

    /* no stray temporaries; a new state replaces the database whole */
    char *tmp = xasprintf("%s/.da/da.duckdb.new", dir);
    assert_false(file_exists(tmp));
    json_t *users_only = js("{\"server\": \"s\", \"tables\": {\"users\": {\"files\": "
                            "{\"users.parquet\": {}}}}}");
    assert_int_equal(localdb_build(dir, users_only, &rep, &err), RC_OK);
    localdb_report_free(&rep);
    assert_int_equal(duck_open_readonly(db, &d, &err), RC_OK);
    assert_int_equal(q_i64(d, "SELECT count(*) FROM duckdb_views() WHERE NOT internal"), 1);
    duck_close(&d);
    json_decref(users_only);

    json_decref(st);
    free(tmp);
    free(md);
    free(md_path);
    free(db);
    free(sub);
    free(da);
    test_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_first_sync_fetches_everything),
        cmocka_unit_test(test_unchanged_folder_keeps_everything_without_hashing),
        cmocka_unit_test(test_changed_file),
        cmocka_unit_test(test_revoked_table_and_strays_are_removed),
        cmocka_unit_test(test_partitioned_table),
        cmocka_unit_test(test_hostile_manifest),
        cmocka_unit_test(test_new_state),
        cmocka_unit_test(test_list_tables),
        cmocka_unit_test(test_localdb_views_and_data_md),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
