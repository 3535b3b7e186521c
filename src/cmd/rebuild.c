/* rebuild.c — `da rebuild`: rebuild the catalog from the extracts on the server machine. With
 * a server running on the data folder it asks that server (SIGHUP, with the source named in
 * state/rebuild.request) and waits for the new generation to appear in the state store; with
 * none it builds the catalog itself, as a check of every extract, and records sync_state. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fileio.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/parse.h"
#include "cmd/cmd.h"
#include "data/catalog.h"
#include "data/datadir.h"
#include "data/dataplane.h"
#include "store/datastate_repo.h"
#include "store/store.h"

#define EXIT_TIMEOUT 3

static void rebuild_help(void)
{
    printf("Usage: da rebuild [--source NAME] [--data-dir DIR] [--wait SECONDS]\n"
           "\n"
           "Rebuilds the catalog from the extracts in DIR/extracts. When a da server runs on\n"
           "DIR, it is asked to rebuild (it also notices new extracts by itself within two\n"
           "seconds); otherwise the catalog is built here as a check of every extract, and\n"
           "the table states are recorded for the next server start.\n"
           "\n"
           "Options:\n"
           "  --source NAME     check only this source again (default: every source)\n"
           "  --data-dir DIR    the server's data folder (env DA_DATA_DIR; default ./data)\n"
           "  --wait SECONDS    how long to wait for a running server (default 120)\n"
           "  -h, --help        show this help\n"
           "\n"
           "Prints every table that is not served, with the reason. Exit status: 0 rebuilt,\n"
           "1 failed, 2 bad usage, 3 the server did not finish within --wait.\n");
}

static uint64_t stored_generation(struct store *s)
{
    char *value = NULL;
    struct err err;
    uint64_t n = 0;
    if (store_meta_get(s, "catalog_generation", &value, &err) == RC_OK)
        n = strtoull(value, NULL, 10);
    free(value);
    return n;
}

/* Prints the recorded state: a summary, then every table not served. Returns its rows. */
static int print_state(struct store *s)
{
    struct sync_state_row *rows = NULL;
    size_t n = 0, ok = 0;
    struct err err;
    if (sync_state_list(s, &rows, &n, &err) != RC_OK) {
        fprintf(stderr, "da rebuild: %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].status, "ok") == 0)
            ok++;
        else
            printf("%s %s.%s: %s\n", rows[i].status, rows[i].source, rows[i].table_id,
                   rows[i].error);
    }
    printf("generation %llu: %zu tables served, %zu not served\n",
           (unsigned long long)stored_generation(s), ok, n - ok);
    free(rows);
    return 0;
}

static int ask_server(pid_t pid, const char *data_dir, const char *source, int64_t wait_s,
                      struct store *store)
{
    struct err err = { { 0 } };
    uint64_t before = stored_generation(store);
    char *request = xasprintf("%s/state/rebuild.request", data_dir);
    const char *text = source ? source : "";
    enum rc rc = file_write_atomic(request, text, strlen(text), 0600, &err);
    free(request);
    if (rc) {
        fprintf(stderr, "da rebuild: %s\n", err.msg);
        return 1;
    }
    if (kill(pid, SIGHUP) != 0) {
        fprintf(stderr, "da rebuild: cannot signal the server (pid %ld)\n", (long)pid);
        return 1;
    }
    printf("asked the server (pid %ld) to rebuild %s\n", (long)pid,
           source ? source
                  : "every"
                    " source");
    int64_t deadline = clock_mono_us() + wait_s * 1000000;
    while (stored_generation(store) <= before) {
        if (clock_mono_us() > deadline) {
            fprintf(stderr,
                    "da rebuild: no new catalog generation after %llds; see the"
                    " server's log\n",
                    (long long)wait_s);
            return EXIT_TIMEOUT;
        }
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return print_state(store);
}

static int build_here(const char *data_dir, const char *source, struct store *store)
{
    struct catalog *c = NULL;
    struct catalog_options opt = { .data_dir = data_dir };
    struct catalog_rebuild_stats stats = { 0 };
    struct err err = { { 0 } };
    enum rc rc = catalog_open(&opt, &c, &err);
    /* a named source is checked like the others: there is no earlier generation to reuse */
    if (!rc)
        rc = catalog_rebuild(c, NULL, &stats, &err);
    if (!rc && source) {
        struct catalog_gen *g = catalog_acquire(c);
        bool found = false;
        for (size_t i = 0; i < g->n_sources && !found; i++)
            found = strcmp(g->sources[i], source) == 0;
        catalog_release(c, g);
        if (!found)
            rc = err_set(&err, RC_NOTFOUND, "source %s has no usable extract", source);
    }
    if (!rc)
        rc = dataplane_record_state(c, store, &err);
    for (size_t i = 0; i < stats.n_problems; i++)
        printf("problem: %s\n", stats.problems[i]);
    catalog_rebuild_stats_cleanup(&stats);
    catalog_close(&c);
    if (rc) {
        fprintf(stderr, "da rebuild: %s\n", err.msg);
        return 1;
    }
    return print_state(store);
}

int cmd_rebuild(int argc, char **argv)
{
    enum { OPT_SOURCE = 256, OPT_DATA_DIR, OPT_WAIT };
    static const struct option opts[] = {
        { "source", required_argument, NULL, OPT_SOURCE },
        { "data-dir", required_argument, NULL, OPT_DATA_DIR },
        { "wait", required_argument, NULL, OPT_WAIT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *source = NULL, *data_dir = cmd_default_data_dir();
    int64_t wait_s = 120;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            rebuild_help();
            return 0;
        case OPT_SOURCE:
            source = optarg;
            break;
        case OPT_DATA_DIR:
            data_dir = optarg;
            break;
        case OPT_WAIT:
            if (!parse_i64(optarg, 1, 86400, &wait_s))
                return cmd_usage_error("rebuild", "--wait takes 1-86400 seconds");
            break;
        case ':':
            return cmd_usage_error("rebuild", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error("rebuild", "unknown option '%s'; see 'da rebuild --help'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error("rebuild", "unexpected argument '%s'", argv[optind]);
    if (source && !ident_valid(source))
        return cmd_usage_error("rebuild", "source '%s' is not a safe identifier", source);

    char *state = xasprintf("%s/state", data_dir);
    char *db = xasprintf("%s/system.sqlite", state);
    struct store *store = NULL;
    struct err err = { { 0 } };
    int code = 1;
    enum rc rc = file_mkdir_p(state, 0700, &err);
    if (!rc)
        rc = store_open(db, 2, &store, &err);
    if (rc) {
        fprintf(stderr, "da rebuild: %s\n", err.msg);
        goto out;
    }
    pid_t pid = datadir_server_pid(data_dir);
    code = pid > 0 ? ask_server(pid, data_dir, source, wait_s, store)
                   : build_here(data_dir, source, store);
out:
    store_close(&store);
    free(db);
    free(state);
    return code;
}
