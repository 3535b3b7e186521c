/* extract_keboola.c — `da extract keboola`: the Keboola connector as a command, the child
 * process the scheduler runs (and admins may run by hand). Settings come from the instance
 * config (the loader of da serve: --config, DA_CONFIG, defaults, environment), the token from
 * KEBOOLA_STORAGE_TOKEN only, the tables from the registry (source_type keboola). Progress goes
 * to stderr; the last line of a failure says why; --json prints one line of totals. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/log.h"
#include "base/mem.h"
#include "cmd/cmd.h"
#include "config/config.h"
#include "connectors/keboola.h"
#include "store/registry_repo.h"
#include "store/store.h"

#define DEFAULT_CONFIG "config/instance.yaml"
#define TABLES_MAX     256 /* --table given at most this often */

static void keboola_help(void)
{
    printf("Usage: da extract keboola --source keboola [--table ID]... [--json]\n"
           "                          [--config FILE] [--data-dir DIR]\n"
           "\n"
           "Exports the tables registered with source_type keboola from Keboola Storage\n"
           "into the extract of source keboola (<data-dir>/extracts/keboola), each by its\n"
           "sync_strategy: full_refresh replaces the table, incremental fetches the rows\n"
           "changed since the last successful run and upserts them by primary_key, append\n"
           "adds them. All or nothing: on any failure the previous extract stays served.\n"
           "\n"
           "The token is read from KEBOOLA_STORAGE_TOKEN (environment only); the stack URL\n"
           "from keboola.stack_url in the config or KEBOOLA_STACK_URL.\n"
           "\n"
           "Options:\n"
           "  --source NAME    the source; must be keboola\n"
           "  --table ID       only this registered table (repeatable); the others keep\n"
           "                   their current data\n"
           "  --json           print {\"tables\": N, \"rows\": N, \"bytes\": N} at the end\n"
           "  --config FILE    instance configuration (env DA_CONFIG; default\n"
           "                   " DEFAULT_CONFIG " when it exists)\n"
           "  --data-dir DIR   the server's data folder (default: server.data_dir)\n"
           "  -h, --help       show this help\n"
           "\n"
           "Exit status: 0 done, 1 failed (the last line on stderr says why), 2 bad usage.\n");
}

/* The registry rows of source_type keboola, the --table ones only when given (each must be
 * one). The caller frees *out. */
static enum rc select_tables(const char *data_dir, char **want, size_t n_want,
                             struct registry_table **out, size_t *out_n, struct err *err)
{
    *out = NULL;
    *out_n = 0;
    char *db = xasprintf("%s/state/system.sqlite", data_dir);
    struct store *store = NULL;
    struct registry_table *all = NULL;
    size_t n_all = 0;
    enum rc rc = file_exists(db) ? RC_OK
                                 : err_set(err, RC_NOTFOUND,
                                           "no state store in %s/state; is --data-dir the "
                                           "server's data folder?",
                                           data_dir);
    if (!rc)
        rc = store_open(db, 1, &store, err);
    if (!rc)
        rc = registry_list(store, &all, &n_all, err);
    store_close(&store);
    free(db);
    if (rc)
        return rc;
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++) {
        if (strcmp(all[i].source_type, KEBOOLA_SOURCE) != 0)
            continue;
        bool wanted = n_want == 0;
        for (size_t k = 0; k < n_want && !wanted; k++)
            wanted = strcmp(want[k], all[i].id) == 0;
        if (wanted)
            all[n++] = all[i];
    }
    for (size_t k = 0; k < n_want; k++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(want[k], all[i].id) == 0;
        if (!found) {
            free(all);
            return err_set(err, RC_NOTFOUND,
                           "no table '%.64s' with source_type keboola in the registry", want[k]);
        }
    }
    *out = all;
    *out_n = n;
    return RC_OK;
}

int cmd_extract_keboola(int argc, char **argv)
{
    enum { OPT_SOURCE = 256, OPT_TABLE, OPT_JSON, OPT_CONFIG, OPT_DATA_DIR };
    static const struct option opts[] = {
        { "source", required_argument, NULL, OPT_SOURCE },
        { "table", required_argument, NULL, OPT_TABLE },
        { "json", no_argument, NULL, OPT_JSON },
        { "config", required_argument, NULL, OPT_CONFIG },
        { "data-dir", required_argument, NULL, OPT_DATA_DIR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *source = NULL, *data_dir = NULL, *config_path = getenv("DA_CONFIG");
    bool explicit_config = config_path && *config_path, json = false;
    char *want[TABLES_MAX];
    size_t n_want = 0;
    if (!explicit_config)
        config_path = DEFAULT_CONFIG;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            keboola_help();
            return 0;
        case OPT_SOURCE:
            source = optarg;
            break;
        case OPT_TABLE:
            if (n_want == TABLES_MAX)
                return cmd_usage_error("extract keboola", "--table given more than %d times",
                                       TABLES_MAX);
            want[n_want++] = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_CONFIG:
            config_path = optarg;
            explicit_config = true;
            break;
        case OPT_DATA_DIR:
            data_dir = optarg;
            break;
        case ':':
            return cmd_usage_error("extract keboola", "option '%s' needs a value",
                                   argv[optind - 1]);
        default:
            return cmd_usage_error("extract keboola",
                                   "unknown option '%s'; see 'da extract keboola --help'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error("extract keboola", "unexpected argument '%s'", argv[optind]);
    if (source && strcmp(source, KEBOOLA_SOURCE) != 0)
        return cmd_usage_error("extract keboola", "the source of Keboola tables is 'keboola'");

    struct config cfg;
    struct err err = { { 0 } };
    struct registry_table *tables = NULL;
    size_t n = 0;
    struct keboola_result res;
    enum rc rc = config_load(&cfg, config_path, explicit_config, &err);
    if (!rc) {
        log_setup(cfg.log_level, cfg.log_format);
        if (!data_dir)
            data_dir = cfg.data_dir;
        rc = select_tables(data_dir, want, n_want, &tables, &n, &err);
    }
    if (!rc) {
        struct keboola_settings s = {
            .stack_url = cfg.keboola_stack_url,
            .token = getenv("KEBOOLA_STORAGE_TOKEN"),
            .parallel = cfg.keboola_parallel_downloads,
            .retries = cfg.keboola_retries,
            .backoff_ms = cfg.keboola_backoff_ms,
            .job_timeout_s = cfg.keboola_job_timeout_s,
            .s3_endpoint = cfg.keboola_s3_endpoint,
        };
        rc = keboola_extract(&s, data_dir, tables, n, n_want > 0, &res, &err);
    }
    free(tables);
    config_cleanup(&cfg);
    if (rc) {
        fprintf(stderr, "da extract keboola: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr,
            "da extract keboola: %d tables exported (%d skipped), %lld rows; the extract "
            "has %d tables, %lld bytes\n",
            res.exported, res.skipped, (long long)res.rows, res.tables, (long long)res.bytes);
    if (json)
        printf("{\"tables\": %d, \"rows\": %lld, \"bytes\": %lld}\n", res.exported,
               (long long)res.rows, (long long)res.bytes);
    return 0;
}
