/* sync.c — `da sync`: brings the analyst's local copy of a server's data up to date. The
 * folder's layout is the contract of client/syncdir.h; syncplan.c decides what to do,
 * fetch.c downloads, localdb.c writes da.duckdb and DATA.md.
 *
 * The order makes a killed sync harmless. Downloads collect in .da/partial and are verified
 * there; a table's files move into tables/ only once all of them are verified, so a table is
 * the old version or the new one, never a mix; then da.duckdb and DATA.md are replaced; then
 * what no table owns any more is removed; state.json is written last. A sync killed at any
 * point leaves the old state, and the next one resumes: partials by Range, files that were
 * already moved into place are recognised by their hash. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/format.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/parse.h"
#include "base/sha256.h"
#include "client/client.h"
#include "client/fetch.h"
#include "client/localdb.h"
#include "client/syncdir.h"
#include "client/syncplan.h"
#include "cmd/cmd.h"

#define SYNC_JOBS_DEFAULT 4

static void sync_help(void)
{
    printf("Usage: da sync [--server URL] [--dir DIR] [--jobs N] [--verify] [--json | --quiet]\n"
           "\n"
           "Copy the tables you may read on the server into a local folder, and keep it up to\n"
           "date. Only files whose SHA-256 changed are downloaded, several at a time; an\n"
           "interrupted download resumes where it stopped; every file is checked against its\n"
           "SHA-256 before it is used, and a table changes as a whole; the files of tables you\n"
           "may no longer read are removed. The folder then holds:\n"
           "\n"
           "  tables/     the Parquet files: <table>.parquet, or <table>/ for a table of\n"
           "              several files\n"
           "  da.duckdb   a DuckDB database with one view per table: duckdb DIR/da.duckdb\n"
           "  DATA.md     the tables, their columns, types, descriptions and freshness,\n"
           "              written for an AI assistant to read\n"
           "\n"
           "Options:\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  --dir DIR      the folder; remembered for the server (default: the remembered\n"
           "                 one, else $XDG_DATA_HOME/da/<host>, ~/.local/share/da/<host>)\n"
           "  --jobs N       downloads at a time, 1 to %d (default %d)\n"
           "  --verify       hash every local file again instead of trusting the record of\n"
           "                 the last sync (files that do not match are downloaded again)\n"
           "  --json         print a summary on stdout as JSON: {downloaded_files,\n"
           "                 downloaded_bytes, unchanged, removed, removed_tables, failed:\n"
           "                 [{table, file, error}], tables, dir, duration_s}\n"
           "  --quiet        print nothing but errors\n"
           "  -h, --help     show this help\n"
           "\n"
           "On a terminal a progress line is drawn on stderr; when stderr is not a terminal,\n"
           "nothing but errors is written there.\n"
           "\n"
           "Exit codes:\n"
           "  0  the folder is up to date\n"
           "  1  some files or tables failed (each is named on stderr and in --json); the\n"
           "     rest is synced, and a failed table keeps its previous version; or any other\n"
           "     failure (a local file, an unexpected answer)\n"
           "  2  bad command line, or DIR holds another server's data, or files that are not\n"
           "     da's (a folder that is not empty must have been made by da sync)\n"
           "  3  the server could not be reached (also: it stopped answering during the\n"
           "     downloads)\n"
           "  4  not logged in, or the server refused the credential\n",
           FETCH_JOBS_MAX, SYNC_JOBS_DEFAULT);
}

struct sync_args {
    const char *server, *dir;
    int jobs;
    bool verify, json, quiet;
};

static int parse_sync(int argc, char **argv, struct sync_args *a)
{
    enum { OPT_SERVER = 256, OPT_DIR, OPT_JOBS, OPT_VERIFY, OPT_JSON, OPT_QUIET };
    static const struct option opts[] = {
        { "server", required_argument, NULL, OPT_SERVER },
        { "dir", required_argument, NULL, OPT_DIR },
        { "jobs", required_argument, NULL, OPT_JOBS },
        { "verify", no_argument, NULL, OPT_VERIFY },
        { "json", no_argument, NULL, OPT_JSON },
        { "quiet", no_argument, NULL, OPT_QUIET },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int64_t jobs = 0;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            sync_help();
            return -1;
        case OPT_SERVER:
            a->server = optarg;
            break;
        case OPT_DIR:
            if (!*optarg)
                return cmd_usage_error("sync", "--dir needs a folder");
            a->dir = optarg;
            break;
        case OPT_JOBS:
            if (!parse_i64(optarg, 1, FETCH_JOBS_MAX, &jobs))
                return cmd_usage_error("sync", "--jobs takes a number from 1 to %d, not '%s'",
                                       FETCH_JOBS_MAX, optarg);
            a->jobs = (int)jobs;
            break;
        case OPT_VERIFY:
            a->verify = true;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_QUIET:
            a->quiet = true;
            break;
        case ':':
            return cmd_usage_error("sync", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error("sync", "unknown option '%s'; see 'da sync --help'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error("sync", "unexpected argument '%s'", argv[optind]);
    if (a->json && a->quiet)
        return cmd_usage_error("sync", "choose one of --json and --quiet");
    return 0;
}

/* ---------------------------------------------------------------- small helpers */

/* Holds an exclusive lock on <dir>/.da/lock while the sync runs; returns its fd or -1. */
static int lock_folder(const char *dir, struct err *err)
{
    char *path = xasprintf("%s/.da/lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        err_set(err, RC_IO, "cannot open %s: %s", path, strerror(errno));
    else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        err_set(err, RC_CONFLICT, "another da sync is writing %s; wait for it to finish", dir);
        close(fd);
        fd = -1;
    }
    free(path);
    return fd;
}

/* syncplan_hash_fn over the folder. */
static enum rc hash_local(void *ctx, const char *relpath, char out[65], struct err *err)
{
    char *path = xasprintf("%s/%s", (const char *)ctx, relpath);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    free(path);
    if (fd < 0)
        return err_set(err, RC_IO, "cannot read %s: %s", relpath, strerror(errno));
    enum rc rc = sha256_fd_hex(fd, out, err);
    close(fd);
    return rc;
}

static const char *member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* {id: description} from GET /api/catalog/tables; NULL when it cannot be had (the old
 * descriptions are kept then). */
static json_t *fetch_descriptions(struct hc *hc)
{
    json_t *answer = NULL, *out = NULL;
    struct err ignored;
    if (hc_get(hc, "/api/catalog/tables", &answer, &ignored) == RC_OK) {
        json_t *t;
        size_t i;
        out = json_object();
        json_array_foreach(json_object_get(answer, "tables"), i, t)
        {
            const char *id = member(t, "id"), *desc = member(t, "description");
            if (id && desc &&
                strcmp(member(t, "access") ? member(t, "access") : "read", "read") == 0)
                json_object_set_new(out, id, json_string(desc));
        }
    }
    json_decref(answer);
    return out;
}

/* ---------------------------------------------------------------- progress */

struct progress {
    bool draw; /* stderr is a terminal */
    int64_t start_us;
    bool drawn;
};

static void draw_progress(void *ctx, const struct fetch_progress *p, bool final)
{
    struct progress *pr = ctx;
    if (!pr->draw)
        return;
    if (final) {
        if (pr->drawn)
            fputs("\r\033[K", stderr); /* the summary says the rest */
        pr->drawn = false;
        return;
    }
    char done[32], total[32], rate[32];
    double s = (double)(clock_mono_us() - pr->start_us) / 1e6;
    format_bytes(p->bytes_done, done);
    format_bytes(p->bytes_total, total);
    format_bytes(s > 0 ? (uint64_t)((double)p->bytes_received / s) : 0, rate);
    fprintf(stderr, "\r\033[Kda sync: %zu/%zu files, %s of %s, %s/s", p->files_done, p->files_total,
            done, total, rate);
    fflush(stderr);
    pr->drawn = true;
}

/* ---------------------------------------------------------------- the sync */

struct run {
    struct sync_args a;
    struct client cl;
    char *dir;
    int lock_fd;
    json_t *state, *manifest, *descriptions, *new_state, *failed;
    struct syncdir_entry *local;
    size_t n_local;
    struct syncplan plan;
    struct fetch_item *items;
    size_t *item_of_file; /* plan file -> item, or SIZE_MAX */
    size_t n_items;
    bool *table_ok;
    size_t removed, n_failed_unreachable;
    uint64_t bytes;
};

/* Records a failure: on stderr now, in the summary later. */
static void failed(struct run *r, const char *table, const char *file, bool unreachable,
                   const char *fmt, ...) PRINTF_FMT(5, 6);

static void failed(struct run *r, const char *table, const char *file, bool unreachable,
                   const char *fmt, ...)
{
    char msg[ERR_MSG_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "da sync: %s%s%s: %s\n", table, file ? "/" : "", file ? file : "", msg);
    json_array_append_new(
        r->failed, json_pack("{s:s, s:s?, s:s}", "table", table, "file", file, "error", msg));
    if (unreachable)
        r->n_failed_unreachable++;
}

/* True when dir exists and holds something, but no .da: a folder of the user's own, such as
 * the home folder given by mistake, in whose tables/ a sync would remove what it does not
 * know. */
static bool foreign_folder(const char *dir)
{
    char *da = xasprintf("%s/.da", dir);
    bool has_da = file_exists(da);
    free(da);
    DIR *d = has_da ? NULL : opendir(dir);
    bool any = false;
    for (struct dirent *e; d && !any && (e = readdir(d)) != NULL;)
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return any;
}

/* Creates the folder and its .da, .da/partial and tables, and takes its lock. */
static int open_folder(struct run *r)
{
    struct err err = { { 0 } };
    if (foreign_folder(r->dir))
        return cmd_usage_error("sync",
                               "%s is not empty and was never synced; give a new or "
                               "empty folder with --dir",
                               r->dir);
    char *partial = syncdir_partial_dir(r->dir), *tables = syncdir_tables_path(r->dir);
    enum rc rc = file_mkdir_p(r->dir, 0700, &err);
    if (!rc)
        rc = file_mkdir_p(partial, 0700, &err);
    if (!rc)
        rc = file_mkdir_p(tables, 0700, &err);
    free(partial);
    free(tables);
    if (rc)
        return client_fail("sync", NULL, rc, &err);
    r->lock_fd = lock_folder(r->dir, &err);
    return r->lock_fd < 0 ? client_fail("sync", NULL, RC_CONFLICT, &err) : 0;
}

/* Loads the last state, which must be of this server. */
static int load_state(struct run *r)
{
    struct err err = { { 0 } };
    enum rc rc = syncdir_state_load(r->dir, &r->state, &err);
    if (rc == RC_NOTFOUND)
        return 0;
    if (rc == RC_INVALID) { /* start afresh: files whose hash matches are kept */
        fprintf(stderr, "da sync: warning: %s\n", err.msg);
        return 0;
    }
    if (rc)
        return client_fail("sync", NULL, rc, &err);
    const char *server = member(r->state, "server");
    if (server && strcmp(server, r->cl.server) != 0)
        return cmd_usage_error("sync", "%s holds the data of %s, not of %s; give another --dir",
                               r->dir, server, r->cl.server);
    return 0;
}

/* Remembers --dir for the server (unless it is the remembered one already); a failure to
 * remember it does not stop the sync. */
static void remember_folder(struct run *r)
{
    struct err err = { { 0 } };
    char *old = NULL;
    enum rc rc = settings_server_get(r->cl.server, "sync_dir", &old, &err);
    if (rc == RC_NOTFOUND || (!rc && strcmp(old, r->dir) != 0))
        rc = settings_server_set(r->cl.server, "sync_dir", r->dir, &err);
    if (rc)
        fprintf(stderr, "da sync: warning: cannot remember the folder: %s\n", err.msg);
    free(old);
}

/* Downloads what the plan needs. */
static int download(struct run *r)
{
    struct syncplan *p = &r->plan;
    r->items = xcalloc(p->n_files + 1, sizeof(*r->items));
    r->item_of_file = xcalloc(p->n_files + 1, sizeof(*r->item_of_file));
    for (size_t i = 0; i < p->n_files; i++) {
        const struct syncplan_file *f = &p->files[i];
        r->item_of_file[i] = SIZE_MAX;
        if (f->action != SYNCPLAN_FETCH)
            continue;
        r->item_of_file[i] = r->n_items;
        r->items[r->n_items++] = (struct fetch_item){
            .url = f->url,
            .partial = syncdir_partial_path(r->dir, p->tables[f->table].id, f->name, f->sha256),
            .sha256 = f->sha256,
            .size = f->size,
        };
    }
    struct progress pr = { .draw = !r->a.quiet && client_is_tty(STDERR_FILENO),
                           .start_us = clock_mono_us() };
    struct fetch_opts o = {
        .server = r->cl.server,
        .token = r->cl.token_from_env ? getenv("DA_TOKEN") : r->cl.cred.token,
        .jobs = r->a.jobs,
        .progress = draw_progress,
        .progress_ctx = &pr,
    };
    struct err err = { { 0 } };
    enum rc rc = fetch_run(&o, r->items, r->n_items, &err);
    if (rc)
        return client_fail("sync", NULL, rc, &err);
    for (size_t i = 0; i < r->n_items; i++)
        r->bytes += r->items[i].bytes;
    return 0;
}

/* Moves the verified files of every table whose files all arrived into place. */
static void commit(struct run *r)
{
    struct syncplan *p = &r->plan;
    struct err err = { { 0 } };
    bool moved = false;
    r->table_ok = xcalloc(p->n_tables + 1, sizeof(*r->table_ok));
    for (size_t ti = 0; ti < p->n_tables; ti++) {
        const struct syncplan_table *t = &p->tables[ti];
        if (t->problem) {
            failed(r, t->id, NULL, false, "refused by this client: %s", t->problem);
            continue;
        }
        bool ok = true;
        for (size_t i = t->first_file; i < t->first_file + t->n_files; i++) {
            size_t k = r->item_of_file[i];
            if (k != SIZE_MAX && !r->items[k].ok) {
                failed(r, t->id, p->files[i].name, r->items[k].unreachable, "%s",
                       r->items[k].error[0] ? r->items[k].error : "not downloaded");
                ok = false;
            }
        }
        if (!ok || t->n_fetch == 0) {
            r->table_ok[ti] = ok;
            continue;
        }
        moved = true;
        char *folder = xasprintf("%s/tables/%s", r->dir, t->id);
        struct stat st;
        if (t->partitioned && lstat(folder, &st) == 0 && !S_ISDIR(st.st_mode))
            unlink(folder); /* a stray file where the table's folder goes */
        enum rc rc = t->partitioned ? file_mkdir_p(folder, 0700, &err) : RC_OK;
        for (size_t i = t->first_file; !rc && i < t->first_file + t->n_files; i++) {
            size_t k = r->item_of_file[i];
            if (k == SIZE_MAX)
                continue;
            char *to = xasprintf("%s/%s", r->dir, p->files[i].relpath);
            if (rename(r->items[k].partial, to) != 0)
                rc =
                    err_set(&err, RC_IO, "cannot move the download to %s: %s", to, strerror(errno));
            free(to);
        }
        if (!rc && t->partitioned) {
            char *inside = xasprintf("%s/x", folder); /* fsyncs the folder that holds it */
            rc = file_fsync_dir_of(inside, &err);
            free(inside);
        }
        free(folder);
        if (rc)
            failed(r, t->id, NULL, false, "%s", err.msg);
        r->table_ok[ti] = rc == RC_OK;
    }
    char *in_tables = xasprintf("%s/tables/x", r->dir); /* fsyncs tables/ itself */
    if (moved && file_fsync_dir_of(in_tables, &err) != RC_OK)
        failed(r, "tables", NULL, false, "%s", err.msg);
    free(in_tables);
}

/* Removes what no table owns any more, but never the old files of a table that failed. */
static void remove_unowned(struct run *r)
{
    struct err err = { { 0 } };
    for (size_t i = 0; i < r->plan.n_removals; i++) {
        const struct syncplan_removal *rm = &r->plan.removals[i];
        if (rm->table != SYNCPLAN_NO_TABLE && !r->table_ok[rm->table])
            continue;
        char *path = xasprintf("%s/%s", r->dir, rm->relpath);
        if (file_remove_tree(path, &r->removed, &err) != RC_OK)
            fprintf(stderr, "da sync: warning: %s\n", err.msg);
        free(path);
    }
    /* partials: keep only those a failed download may resume next time */
    char *pdir = syncdir_partial_dir(r->dir);
    DIR *d = opendir(pdir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", pdir, e->d_name);
        bool keep = false;
        for (size_t k = 0; !keep && k < r->n_items; k++)
            keep = !r->items[k].ok && strcmp(r->items[k].partial, path) == 0;
        if (!keep)
            unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
    free(pdir);
}

static void print_summary(struct run *r, const struct localdb_report *db, double seconds)
{
    size_t downloaded = 0, unchanged = 0;
    for (size_t i = 0; i < r->n_items; i++)
        downloaded += r->items[i].ok;
    for (size_t i = 0; i < r->plan.n_files; i++)
        unchanged += r->plan.files[i].action == SYNCPLAN_KEEP;
    if (r->a.json) {
        json_t *gone = json_array();
        for (size_t i = 0; i < r->plan.n_gone; i++)
            json_array_append_new(gone, json_string(r->plan.gone[i]));
        json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:o, s:O, s:I, s:s, s:f}", "downloaded_files",
                              (json_int_t)downloaded, "downloaded_bytes", (json_int_t)r->bytes,
                              "unchanged", (json_int_t)unchanged, "removed", (json_int_t)r->removed,
                              "removed_tables", gone, "failed", r->failed, "tables",
                              (json_int_t)db->n_views, "dir", r->dir, "duration_s", seconds);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(o);
        return;
    }
    if (r->a.quiet)
        return;
    char bytes[32];
    format_bytes(r->bytes, bytes);
    printf("Synced %zu table%s into %s: %zu file%s downloaded (%s), %zu unchanged, %zu "
           "removed",
           db->n_views, db->n_views == 1 ? "" : "s", r->dir, downloaded, downloaded == 1 ? "" : "s",
           bytes, unchanged, r->removed);
    if (json_array_size(r->failed))
        printf("; %zu failed", json_array_size(r->failed));
    printf(" (%.1f s).\n", seconds);
    if (client_is_tty(STDOUT_FILENO) && db->n_views > 0)
        printf("Query with: duckdb %s/da.duckdb   The data described: %s/DATA.md\n", r->dir,
               r->dir);
}

static void run_cleanup(struct run *r)
{
    for (size_t i = 0; i < r->n_items; i++)
        free((char *)r->items[i].partial);
    free(r->items);
    free(r->item_of_file);
    free(r->table_ok);
    syncplan_free(&r->plan);
    syncdir_entries_free(r->local, r->n_local);
    json_decref(r->state);
    json_decref(r->manifest);
    json_decref(r->descriptions);
    json_decref(r->new_state);
    json_decref(r->failed);
    if (r->lock_fd >= 0)
        close(r->lock_fd);
    free(r->dir);
    client_close(&r->cl);
}

int cmd_sync(int argc, char **argv)
{
    struct run r = { .a = { .jobs = SYNC_JOBS_DEFAULT }, .lock_fd = -1 };
    int code = parse_sync(argc, argv, &r.a);
    if (code)
        return code < 0 ? 0 : code;
    int64_t t0 = clock_mono_us();
    struct err err = { { 0 } };
    struct localdb_report db = { 0 };
    r.failed = json_array();
    enum rc rc = client_open(r.a.server, &r.cl, &err);
    if (rc) {
        code = client_fail("sync", NULL, rc, &err);
        goto out;
    }
    rc = syncdir_path(r.cl.server, r.a.dir, &r.dir, &err);
    if (rc) {
        code = client_fail("sync", NULL, rc, &err);
        goto out;
    }
    if (strpbrk(r.dir, "*?[")) { /* DuckDB would read them in the views' paths as wildcards */
        code = cmd_usage_error("sync",
                               "the folder %s has one of * ? [ in its path; give "
                               "another --dir",
                               r.dir);
        goto out;
    }
    if ((code = open_folder(&r)) || (code = load_state(&r)))
        goto out;
    if (r.a.dir)
        remember_folder(&r);

    rc = hc_get(r.cl.hc, "/api/sync/manifest", &r.manifest, &err);
    if (rc) {
        code = client_fail("sync", r.cl.hc, rc, &err);
        goto out;
    }
    r.descriptions = fetch_descriptions(r.cl.hc);
    rc = syncdir_list_tables(r.dir, &r.local, &r.n_local, &err);
    struct syncplan_input in = { .manifest = r.manifest,
                                 .state = r.state,
                                 .local = r.local,
                                 .n_local = r.n_local,
                                 .verify = r.a.verify,
                                 .hash = hash_local,
                                 .hash_ctx = r.dir };
    if (!rc)
        rc = syncplan_build(&in, &r.plan, &err);
    if (rc) {
        code = client_fail("sync", NULL, rc, &err);
        goto out;
    }
    for (size_t i = 0; i < r.plan.n_bad_ids; i++)
        failed(&r, r.plan.bad_ids[i], NULL, false, "refused by this client: not a safe table id");

    if ((code = download(&r)))
        goto out;
    commit(&r);

    char now[ISOTIME_SIZE];
    isotime_now(now);
    json_int_t generation = json_integer_value(json_object_get(r.manifest, "generation"));
    r.new_state = syncplan_new_state(&r.plan, r.table_ok, r.state, r.descriptions, r.cl.server, now,
                                     (int64_t)generation);
    if (localdb_is_current(r.dir, r.new_state)) {
        db.n_views = json_object_size(json_object_get(r.new_state, "tables"));
    } else {
        rc = localdb_build(r.dir, r.new_state, &db, &err);
        if (rc) {
            code = client_fail("sync", NULL, rc, &err);
            goto out;
        }
    }
    for (size_t i = 0; i < db.n; i++) {
        bool reported = false;
        for (size_t k = 0; !reported && k < json_array_size(r.failed); k++)
            reported = strcmp(member(json_array_get(r.failed, k), "table"), db.tables[i].id) == 0;
        if (db.tables[i].problem && !reported)
            failed(&r, db.tables[i].id, NULL, false, "no view: %s", db.tables[i].problem);
    }
    remove_unowned(&r);
    rc = syncdir_state_save(r.dir, r.new_state, &err);
    if (rc) {
        code = client_fail("sync", NULL, rc, &err);
        goto out;
    }
    print_summary(&r, &db, (double)(clock_mono_us() - t0) / 1e6);
    size_t n_failed = json_array_size(r.failed);
    if (n_failed == 0)
        code = CLIENT_EXIT_OK;
    else if (r.n_failed_unreachable == n_failed)
        code = CLIENT_EXIT_UNREACHABLE;
    else
        code = CLIENT_EXIT_FAIL;
out:
    localdb_report_free(&db);
    run_cleanup(&r);
    return code;
}
