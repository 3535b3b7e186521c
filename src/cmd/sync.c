/* sync.c — `da sync`: brings the analyst's local copy of a server's data up to date. The
 * folder's layout is the contract of client/syncdir.h; syncplan.c decides what to do,
 * fetch.c downloads, localdb.c writes da.duckdb and DATA.md.
 *
 * The order makes a killed sync harmless. Downloads collect in .da/partial and are verified
 * there; a table's files move into tables/ only once all of them are verified, so a table is
 * the old version or the new one, never a mix; then da.duckdb and DATA.md are replaced; then
 * what no table owns any more is removed; state.json is written last. A sync killed at any
 * point leaves the old state, and the next one resumes: partials by Range, files that were
 * already moved into place are recognised by their hash.
 *
 * Selection and disk space (#20): only the tables the manifest marks enabled are synced (or,
 * with --table, just the named ones, the rest of the folder untouched). Before anything is
 * written the sync checks the disk (client/syncspace.h) and refuses with exit 5 when it would
 * not fit. Then comes the shrink phase: the tables that leave (disabled, no longer readable)
 * are taken out of da.duckdb, DATA.md and state.json first, and only then are their files
 * deleted, so their room is free for the downloads and a sync killed in between leaves only
 * strays, which the next one removes. --dry-run stops after the check and writes nothing. */
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
#include "base/ident.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/parse.h"
#include "base/sha256.h"
#include "client/client.h"
#include "client/fetch.h"
#include "client/localdb.h"
#include "client/metric_defs.h"
#include "client/syncdir.h"
#include "client/syncplan.h"
#include "client/syncspace.h"
#include "cmd/cmd.h"

#define SYNC_JOBS_DEFAULT 4

static void sync_help(void)
{
    printf("Usage: da sync [--server URL] [--dir DIR] [--table T]... [--dry-run]\n"
           "               [--min-free SIZE] [--jobs N] [--verify] [--json | --quiet]\n"
           "\n"
           "Copy the tables you may read on the server and have switched on for sync (see\n"
           "da tables) into a local folder, and keep it up to date. Only files whose SHA-256\n"
           "changed are downloaded, several at a time; an interrupted download resumes where\n"
           "it stopped; every file is checked against its SHA-256 before it is used, and a\n"
           "table changes as a whole; the files of tables switched off or no longer readable\n"
           "are removed. The folder then holds:\n"
           "\n"
           "  tables/     the Parquet files: <table>.parquet, or <table>/ for a table of\n"
           "              several files\n"
           "  da.duckdb   a DuckDB database with one view per table: duckdb DIR/da.duckdb\n"
           "  DATA.md     the tables, their columns, types, descriptions and freshness,\n"
           "              written for an AI assistant to read\n"
           "  metrics/    the company's metric definitions: <area>/<name>.yml\n"
           "\n"
           "Options:\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  --dir DIR      the folder; remembered for the server (default: the remembered\n"
           "                 one, else $XDG_DATA_HOME/da/<host>, ~/.local/share/da/<host>)\n"
           "  --table T      sync only table T (repeatable), even one switched off; every\n"
           "                 other table of the folder stays exactly as it is, and no\n"
           "                 setting changes\n"
           "  --dry-run      print what the sync would download and remove, with sizes,\n"
           "                 the free space and what the sync needs; write nothing (with\n"
           "                 --json: {dir, download: [{table, files, bytes}],\n"
           "                 download_bytes, partial_bytes, needed_bytes, remove: [{table,\n"
           "                 bytes, reason}], remove_bytes, available_bytes,\n"
           "                 min_free_bytes, enough})\n"
           "  --min-free SIZE  what must stay free on the folder's disk after the downloads\n"
           "                 (default 1GiB; 0, 500M, 2GiB, 10GB, ...); a sync that would\n"
           "                 leave less is refused before it writes anything (exit 5)\n"
           "  --jobs N       downloads at a time, 1 to %d (default %d)\n"
           "  --verify       hash every local file again instead of trusting the record of\n"
           "                 the last sync (files that do not match are downloaded again)\n"
           "  --json         print a summary on stdout as JSON: {downloaded_files,\n"
           "                 downloaded_bytes, unchanged, removed, removed_tables,\n"
           "                 removed_disabled, failed: [{table, file, error}], tables, dir,\n"
           "                 duration_s}\n"
           "  --quiet        print nothing but errors\n"
           "  -h, --help     show this help\n"
           "\n"
           "On a terminal a progress line is drawn on stderr; when stderr is not a terminal,\n"
           "nothing but errors is written there.\n"
           "\n"
           "Exit codes:\n"
           "  0  the folder is up to date\n"
           "  1  some files or tables failed (each is named on stderr and in --json); the\n"
           "     rest is synced, and a failed table keeps its previous version (also when\n"
           "     the disk filled up during its download); or a --table the server does not\n"
           "     list; or any other failure (a local file, an unexpected answer)\n"
           "  2  bad command line, or DIR holds another server's data, or files that are not\n"
           "     da's (a folder that is not empty must have been made by da sync)\n"
           "  3  the server could not be reached (also: it stopped answering during the\n"
           "     downloads)\n"
           "  4  not logged in, or the server refused the credential\n"
           "  5  not enough disk space: the downloads would leave less than --min-free free;\n"
           "     nothing was written (the message names the largest tables)\n",
           FETCH_JOBS_MAX, SYNC_JOBS_DEFAULT);
}

#define SYNC_TABLES_MAX 256 /* --table options */

struct sync_args {
    const char *server, *dir;
    int jobs;
    bool verify, json, quiet, dry_run;
    const char *only[SYNC_TABLES_MAX];
    size_t n_only;
    int64_t min_free;
};

/* Adds --table T: a table id, once. */
static int add_only(struct sync_args *a, const char *t)
{
    if (!ident_is_table_id(t))
        return cmd_usage_error("sync",
                               "--table takes a table id (lowercase letters, digits, _), "
                               "not '%.64s'",
                               t);
    for (size_t i = 0; i < a->n_only; i++)
        if (strcmp(a->only[i], t) == 0)
            return 0;
    if (a->n_only == SYNC_TABLES_MAX)
        return cmd_usage_error("sync", "at most %d --table options", SYNC_TABLES_MAX);
    a->only[a->n_only++] = t;
    return 0;
}

static int parse_sync(int argc, char **argv, struct sync_args *a)
{
    enum {
        OPT_SERVER = 256,
        OPT_DIR,
        OPT_JOBS,
        OPT_VERIFY,
        OPT_JSON,
        OPT_QUIET,
        OPT_TABLE,
        OPT_DRY_RUN,
        OPT_MIN_FREE
    };
    static const struct option opts[] = {
        { "table", required_argument, NULL, OPT_TABLE },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "min-free", required_argument, NULL, OPT_MIN_FREE },
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
        case OPT_TABLE: {
            int code = add_only(a, optarg);
            if (code)
                return code;
            break;
        }
        case OPT_DRY_RUN:
            a->dry_run = true;
            break;
        case OPT_MIN_FREE:
            if (!parse_size(optarg, &a->min_free))
                return cmd_usage_error("sync",
                                       "--min-free takes a size such as 0, 500M or 2GiB, not "
                                       "'%.64s'",
                                       optarg);
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
    struct syncspace space;
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
                bool had = json_object_get(json_object_get(r->state, "tables"), t->id) != NULL;
                failed(r, t->id, p->files[i].name, r->items[k].unreachable, "%s%s",
                       r->items[k].error[0] ? r->items[k].error : "not downloaded",
                       !r->items[k].disk_full ? ""
                       : had                  ? "; the table keeps its previous copy"
                                              : "; the table is not synced");
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

/* Removes relpath (a file, or a folder with all it holds) from the folder, counting what
 * went; a failure is a warning: the next sync tries again. */
static void remove_in_folder(struct run *r, const char *relpath)
{
    struct err err = { { 0 } };
    char *path = xasprintf("%s/%s", r->dir, relpath);
    if (file_remove_tree(path, &r->removed, &err) != RC_OK)
        fprintf(stderr, "da sync: warning: %s\n", err.msg);
    free(path);
}

/* The shrink phase, before the downloads: the tables that leave the folder are first taken
 * out of da.duckdb, DATA.md and state.json, and only then are their files (and strays)
 * deleted, so no view or state ever names a missing file. */
static int shrink(struct run *r)
{
    struct err err = { { 0 } };
    json_t *shrunk = syncplan_shrunk_state(&r->plan, r->state);
    if (shrunk) {
        struct localdb_report db = { 0 };
        enum rc rc = localdb_build(r->dir, shrunk, &db, &err);
        localdb_report_free(&db);
        if (!rc)
            rc = syncdir_state_save(r->dir, shrunk, &err);
        json_decref(shrunk);
        if (rc)
            return client_fail("sync", NULL, rc, &err);
    }
    for (size_t i = 0; i < r->plan.n_removals; i++) {
        const struct syncplan_removal *rm = &r->plan.removals[i];
        if (rm->leaving)
            remove_in_folder(r, rm->relpath);
    }
    return 0;
}

/* Removes what no table owns any more, but never the old files of a table that failed. */
static void remove_unowned(struct run *r)
{
    for (size_t i = 0; i < r->plan.n_removals; i++) {
        const struct syncplan_removal *rm = &r->plan.removals[i];
        if (rm->leaving || (rm->table != SYNCPLAN_NO_TABLE && !r->table_ok[rm->table]))
            continue; /* the shrink phase removed what leaves */
        remove_in_folder(r, rm->relpath);
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
        json_t *gone = json_array(), *off = json_array();
        for (size_t i = 0; i < r->plan.n_gone; i++)
            json_array_append_new(gone, json_string(r->plan.gone[i]));
        for (size_t i = 0; i < r->plan.n_leaving; i++)
            if (r->plan.leaving[i].disabled)
                json_array_append_new(off, json_string(r->plan.leaving[i].id));
        json_t *o =
            json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:O, s:I, s:s, s:f}", "downloaded_files",
                      (json_int_t)downloaded, "downloaded_bytes", (json_int_t)r->bytes, "unchanged",
                      (json_int_t)unchanged, "removed", (json_int_t)r->removed, "removed_tables",
                      gone, "removed_disabled", off, "failed", r->failed, "tables",
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
    for (size_t i = 0; i < r->plan.n_leaving; i++)
        printf("Removed %s: %s.\n", r->plan.leaving[i].id,
               r->plan.leaving[i].disabled
                   ? "switched off for sync (da tables enable to get it back)"
                   : "no longer readable");
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

/* Lists the folder and builds the plan (again, after a deferred open_folder). */
static int make_plan(struct run *r)
{
    struct err err = { { 0 } };
    syncplan_free(&r->plan);
    syncdir_entries_free(r->local, r->n_local);
    r->local = NULL;
    r->n_local = 0;
    enum rc rc = syncdir_list_tables(r->dir, &r->local, &r->n_local, &err);
    struct syncplan_input in = { .manifest = r->manifest,
                                 .state = r->state,
                                 .local = r->local,
                                 .n_local = r->n_local,
                                 .verify = r->a.verify,
                                 .hash = hash_local,
                                 .hash_ctx = r->dir,
                                 .only = r->a.n_only ? r->a.only : NULL,
                                 .n_only = r->a.n_only };
    if (!rc)
        rc = syncplan_build(&in, &r->plan, &err);
    return rc ? client_fail("sync", NULL, rc, &err) : 0;
}

/* Judges the disk space the plan needs into r->space. */
static int judge_space(struct run *r)
{
    struct err err = { { 0 } };
    int64_t available = 0;
    enum rc rc = syncspace_available(r->dir, &available, &err);
    if (rc)
        return client_fail("sync", NULL, rc, &err);
    syncspace_judge(r->plan.bytes_fetch, syncspace_partial_bytes(r->dir, &r->plan),
                    r->plan.bytes_remove, available, r->a.min_free, &r->space);
    return 0;
}

static const char *bytes_text(int64_t n, char out[32])
{
    format_bytes(n > 0 ? (uint64_t)n : 0, out);
    return out;
}

/* --dry-run: what the sync would do, and whether it fits. */
static void print_dry_run(const struct run *r)
{
    const struct syncplan *p = &r->plan;
    const struct syncspace *sp = &r->space;
    if (r->a.json) {
        json_t *down = json_array(), *rm = json_array();
        for (size_t i = 0; i < p->n_tables; i++)
            if (p->tables[i].n_fetch)
                json_array_append_new(down,
                                      json_pack("{s:s, s:I, s:I}", "table", p->tables[i].id,
                                                "files", (json_int_t)p->tables[i].n_fetch, "bytes",
                                                (json_int_t)p->tables[i].bytes_fetch));
        for (size_t i = 0; i < p->n_leaving; i++)
            json_array_append_new(rm,
                                  json_pack("{s:s, s:I, s:s}", "table", p->leaving[i].id, "bytes",
                                            (json_int_t)p->leaving[i].bytes, "reason",
                                            p->leaving[i].disabled ? "disabled" : "not readable"));
        json_t *o = json_pack("{s:s, s:o, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:b}", "dir", r->dir,
                              "download", down, "download_bytes", (json_int_t)sp->download,
                              "partial_bytes", (json_int_t)sp->partial, "needed_bytes",
                              (json_int_t)sp->needed, "remove", rm, "remove_bytes",
                              (json_int_t)sp->freed, "available_bytes", (json_int_t)sp->available,
                              "min_free_bytes", (json_int_t)sp->margin, "enough", sp->enough);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(o);
        return;
    }
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    size_t n_down = 0;
    for (size_t i = 0; i < p->n_tables; i++)
        n_down += p->tables[i].n_fetch > 0;
    printf("da sync --dry-run: nothing was written.\n");
    printf("To download: %zu table%s, %s%s\n", n_down, n_down == 1 ? "" : "s",
           bytes_text(sp->download, b1), n_down ? ":" : ".");
    for (size_t i = 0; i < p->n_tables; i++)
        if (p->tables[i].n_fetch)
            printf("  %-32s %4zu file%s  %s\n", p->tables[i].id, p->tables[i].n_fetch,
                   p->tables[i].n_fetch == 1 ? " " : "s", bytes_text(p->tables[i].bytes_fetch, b1));
    printf("To remove: %zu table%s, %s%s\n", p->n_leaving, p->n_leaving == 1 ? "" : "s",
           bytes_text(sp->freed, b1), p->n_leaving ? ":" : ".");
    for (size_t i = 0; i < p->n_leaving; i++)
        printf("  %-32s %s  (%s)\n", p->leaving[i].id, bytes_text(p->leaving[i].bytes, b1),
               p->leaving[i].disabled ? "switched off" : "no longer readable");
    printf("Disk of %s: %s free; the sync needs %s (%s already in partial downloads), frees %s, "
           "and keeps %s free (--min-free): %s.\n",
           r->dir, bytes_text(sp->available, b1), bytes_text(sp->needed, b2),
           bytes_text(sp->partial, b3), bytes_text(sp->freed, b4), bytes_text(sp->margin, b5),
           sp->enough ? "enough" : "NOT enough, a sync would be refused");
}

/* The refusal of a sync that does not fit (exit 5). */
static int refuse_space(const struct run *r)
{
    const struct syncspace *sp = &r->space;
    char need[32], down[32], part[32], avail[32], freed[32], margin[32], b[32];
    fprintf(stderr,
            "da sync: not enough disk space in %s: the sync needs %s (%s to download, %s of it "
            "already in partial downloads), %s is free, %s would be freed by removing tables, "
            "and %s must stay free (--min-free). Nothing was written.\n",
            r->dir, bytes_text(sp->needed, need), bytes_text(sp->download, down),
            bytes_text(sp->partial, part), bytes_text(sp->available, avail),
            bytes_text(sp->freed, freed), bytes_text(sp->margin, margin));
    size_t top[SYNCSPACE_LARGEST];
    size_t n = syncspace_largest(&r->plan, top);
    if (n)
        fprintf(stderr, "The largest tables to download:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "  %-32s %s\n", r->plan.tables[top[i]].id,
                bytes_text(r->plan.tables[top[i]].bytes_fetch, b));
    fprintf(stderr, "To go ahead: switch tables off with 'da tables disable TABLE' (or sync only "
                    "some with 'da sync --table TABLE'), free space on that disk, or lower the "
                    "margin with --min-free SIZE.\n");
    return CLIENT_EXIT_NO_SPACE;
}

/* Copies the server's metric definitions into metrics/ and records them in the new state, for
 * DATA.md to list. When the copy fails, the folder and the record keep the previous ones. */
static void sync_metric_defs(struct run *r)
{
    struct metric_defs_report rep = { 0 };
    struct err err = { { 0 } };
    json_t *list = NULL;
    if (metric_defs_sync(r->cl.hc, r->dir, &rep, &err) != RC_OK) {
        failed(r, "metric definitions", NULL, !hc_reached(r->cl.hc), "%s", err.msg);
    } else if (rep.supported) {
        list = json_array();
        for (size_t i = 0; i < rep.n_defs; i++)
            json_array_append_new(list, json_pack("{s:s, s:s?, s:s?}", "path", rep.defs[i].path,
                                                  "title", rep.defs[i].title, "description",
                                                  rep.defs[i].description));
        if (rep.refused || rep.failed)
            failed(r, "metric definitions", NULL, false, "%zu refused, %zu failed: %s", rep.refused,
                   rep.failed, rep.first_failure);
    }
    if (!list) /* an older server, or a failure: metrics/ holds what the last sync left */
        list = json_incref(json_object_get(r->state, "metrics"));
    if (list)
        json_object_set_new(r->new_state, "metrics", list);
    metric_defs_report_free(&rep);
}

int cmd_sync(int argc, char **argv)
{
    struct run r = { .a = { .jobs = SYNC_JOBS_DEFAULT, .min_free = SYNCSPACE_MIN_FREE_DEFAULT },
                     .lock_fd = -1 };
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
    /* A folder da made is locked at once; a new one is made only once the sync is known to
     * fit, and --dry-run makes nothing at all. */
    char *da_dir = xasprintf("%s/.da", r.dir);
    bool existed = file_exists(da_dir);
    free(da_dir);
    if (foreign_folder(r.dir)) {
        code = cmd_usage_error("sync",
                               "%s is not empty and was never synced; give a new or "
                               "empty folder with --dir",
                               r.dir);
        goto out;
    }
    if ((!r.a.dry_run && existed && (code = open_folder(&r))) || (code = load_state(&r)))
        goto out;

    rc = hc_get(r.cl.hc, "/api/sync/manifest", &r.manifest, &err);
    if (rc) {
        code = client_fail("sync", r.cl.hc, rc, &err);
        goto out;
    }
    if ((code = make_plan(&r)) || (code = judge_space(&r)))
        goto out;
    if (r.a.dry_run) {
        print_dry_run(&r);
        goto out;
    }
    if (!r.space.enough) {
        code = refuse_space(&r);
        goto out;
    }
    if (!existed) { /* made now; a sync that ran meanwhile may have filled it: plan again */
        json_decref(r.state);
        r.state = NULL;
        if ((code = open_folder(&r)) || (code = load_state(&r)) || (code = make_plan(&r)))
            goto out;
    }
    if (r.a.dir)
        remember_folder(&r);
    r.descriptions = fetch_descriptions(r.cl.hc);
    for (size_t i = 0; i < r.plan.n_bad_ids; i++)
        failed(&r, r.plan.bad_ids[i], NULL, false, "refused by this client: not a safe table id");

    if ((code = shrink(&r)) || (code = download(&r)))
        goto out;
    commit(&r);

    char now[ISOTIME_SIZE];
    isotime_now(now);
    json_int_t generation = json_integer_value(json_object_get(r.manifest, "generation"));
    r.new_state = syncplan_new_state(&r.plan, r.table_ok, r.state, r.descriptions, r.cl.server, now,
                                     (int64_t)generation);
    sync_metric_defs(&r);
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
