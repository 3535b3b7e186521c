/* fuzz_syncplan.c — the checks `da sync` makes on a server's manifest and on its own state
 * file (syncplan_build, syncplan_new_state). The input is "manifest JSON", optionally followed
 * by a NUL and "state JSON"; the folder holds a fixed listing, and hashing answers from the
 * relpath, so every path of the plan is reached.
 *
 * Invariants, the promises a hostile manifest must not break: every file to fetch or keep
 * and every removal is a path under tables/ with no "..", "." or empty segment and no
 * backslash; every URL is a plain path on the server ("/api/..."), with no "//", "@" or ":";
 * every digest is 64 lowercase hex digits; a table with a problem has no files. */
#include <jansson.h>

#include "client/syncplan.h"
#include "fuzz.h"

static char rel_orders[] = "tables/orders.parquet", rel_events[] = "tables/events",
            rel_part[] = "tables/events/part-0.parquet", rel_stray[] = "tables/stray.tmp";
static struct syncdir_entry local[] = {
    { .relpath = rel_orders, .size = 3 },
    { .relpath = rel_events, .size = -1, .is_dir = true },
    { .relpath = rel_part, .size = 5 },
    { .relpath = rel_stray, .size = 1 },
};

static enum rc fake_hash(void *ctx, const char *relpath, char out[65], struct err *err)
{
    (void)ctx;
    if (strlen(relpath) % 3 == 0)
        return err_set(err, RC_IO, "cannot read %s", relpath);
    memset(out, strlen(relpath) % 2 ? 'a' : 'b', 64);
    out[64] = '\0';
    return RC_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_relpath(const char *p)
{
    FUZZ_ASSERT(strncmp(p, "tables/", 7) == 0);
    FUZZ_ASSERT(!strchr(p, '\\'));
    for (const char *seg = p; seg;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        FUZZ_ASSERT(len > 0);
        FUZZ_ASSERT(!(len == 1 && seg[0] == '.') && !(len == 2 && seg[0] == '.' && seg[1] == '.'));
        seg = slash ? slash + 1 : NULL;
    }
}

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t mlen = nul ? (size_t)(nul - data) : size;
    json_error_t jerr;
    json_t *manifest = json_loadb((const char *)data, mlen, JSON_REJECT_DUPLICATES, &jerr);
    json_t *state = nul ? json_loadb((const char *)nul + 1, size - mlen - 1, 0, &jerr) : NULL;
    if (!manifest) {
        json_decref(state);
        return 0;
    }
    struct syncplan_input in = { .manifest = manifest,
                                 .state = state,
                                 .local = local,
                                 .n_local = sizeof(local) / sizeof(local[0]),
                                 .verify = size % 2,
                                 .hash = fake_hash };
    struct syncplan p;
    struct err err = { { 0 } };
    if (syncplan_build(&in, &p, &err) == RC_OK) {
        for (size_t i = 0; i < p.n_files; i++) {
            const struct syncplan_file *f = &p.files[i];
            check_relpath(f->relpath);
            FUZZ_ASSERT(syncplan_name_valid(f->name));
            FUZZ_ASSERT(strncmp(f->url, "/api/", 5) == 0 && !strstr(f->url, "//"));
            FUZZ_ASSERT(!strchr(f->url, '@') && !strchr(f->url, ':'));
            FUZZ_ASSERT(!strstr(f->url, "/../") && !strstr(f->url, "\\"));
            FUZZ_ASSERT(is_hex64(f->sha256));
            FUZZ_ASSERT(f->size >= 0);
            FUZZ_ASSERT(f->table < p.n_tables);
        }
        for (size_t i = 0; i < p.n_removals; i++)
            check_relpath(p.removals[i].relpath);
        bool *ok = xcalloc(p.n_tables ? p.n_tables : 1, sizeof(bool));
        for (size_t t = 0; t < p.n_tables; t++) {
            FUZZ_ASSERT(!p.tables[t].problem || p.tables[t].n_files == 0);
            ok[t] = t % 2 == 0;
        }
        json_t *next =
            syncplan_new_state(&p, ok, state, NULL, "https://x.example", "2026-01-01T00:00:00Z", 7);
        FUZZ_ASSERT(next != NULL);
        json_decref(next);
        free(ok);
    }
    syncplan_free(&p);
    json_decref(manifest);
    json_decref(state);
    return 0;
}
