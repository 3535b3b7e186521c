/* extract.c — `da extract`: the server-side commands that make and check extracts.
 *   da extract validate PATH          check one extract folder against the contract
 *   da extract files --source NAME --from DIR [--all-varchar] [--json]
 * A running server picks up a new extract by itself (it watches extracts/); see da rebuild. */
#include "data/extract.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/mem.h"
#include "cmd/cmd.h"
#include "cmd/extract_jira.h"
#include "connectors/files.h"

static void extract_help(void)
{
    printf("Usage: da extract COMMAND [OPTIONS]\n"
           "\n"
           "Make and check extracts: <data-dir>/extracts/<source>/extract.duckdb with its\n"
           "Parquet files, the unit the server's catalog attaches.\n"
           "\n"
           "Commands:\n"
           "  validate PATH   check the extract folder PATH against the extract contract;\n"
           "                  exit 0 when it is sound, 1 listing every problem\n"
           "  files           turn a folder of CSV, Parquet and JSON files into an extract\n"
           "  jira            the Jira connector: the webhook queue, or a backfill\n"
           "  keboola         export the registered Keboola Storage tables\n"
           "\n"
           "Run 'da extract COMMAND --help' for the options of a command.\n");
}

static void files_help(void)
{
    printf("Usage: da extract files --source NAME --from DIR [--all-varchar] [--json]\n"
           "                        [--data-dir DIR]\n"
           "\n"
           "Reads every .csv, .tsv, .csv.gz, .parquet, .json, .jsonl and .ndjson file directly\n"
           "in DIR into one table each (the file name, lower-cased, other characters as '_')\n"
           "and commits them as the extract of source NAME. Column types come from DuckDB's\n"
           "readers; --all-varchar makes every column text.\n"
           "\n"
           "A folder directly in DIR is one partitioned table named after the folder: each\n"
           "such file in it becomes one Parquet file (a part, named after the file without\n"
           "its extension), and analysts sync the parts one by one. Its files must have the\n"
           "same columns with the same types (in any order); a folder inside it, or a folder\n"
           "with no such file, is an error.\n"
           "\n"
           "All or nothing: when a file cannot be read or the parts of a table differ, the\n"
           "previous extract of NAME stays as it was.\n"
           "\n"
           "Options:\n"
           "  --source NAME    the source: letters, digits and '_', not starting with a digit\n"
           "  --from DIR       the folder of files (and of one folder per partitioned table)\n"
           "  --all-varchar    read every column as VARCHAR\n"
           "  --json           print one line {\"tables\", \"rows\", \"bytes\"} at the end\n"
           "  --data-dir DIR   the server's data folder (env DA_DATA_DIR; default ./data)\n"
           "  -h, --help       show this help\n");
}

static void validate_help(void)
{
    printf("Usage: da extract validate PATH [--data-dir DIR]\n"
           "\n"
           "PATH is the extract folder or its extract.duckdb file.\n"
           "Checks the extract in folder PATH: the _meta and _remote_attach schemas, every\n"
           "_meta row, a view or table per row, and that every file a view reads lies inside\n"
           "PATH. Prints each problem; exit 0 when there is none, 1 otherwise.\n"
           "\n"
           "Options:\n"
           "  --data-dir DIR   resolves relative paths in views (default: PATH/../..)\n"
           "  -h, --help       show this help\n");
}

/* The extract folder PATH names: PATH itself, or the folder of PATH when PATH is the
 * extract.duckdb file. NULL for any other file. The caller frees the result. */
static char *extract_folder_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISDIR(st.st_mode))
        return xstrdup(path); /* a folder, or nothing there: extract_inspect says which */
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (strcmp(base, "extract.duckdb") != 0)
        return NULL;
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

static int validate(int argc, char **argv)
{
    enum { OPT_DATA_DIR = 256 };
    static const struct option opts[] = {
        { "data-dir", required_argument, NULL, OPT_DATA_DIR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *data_dir = NULL;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        if (c == 'h') {
            validate_help();
            return 0;
        } else if (c == OPT_DATA_DIR) {
            data_dir = optarg;
        } else if (c == ':') {
            return cmd_usage_error("extract validate", "option '%s' needs a value",
                                   argv[optind - 1]);
        } else {
            return cmd_usage_error("extract validate", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cmd_usage_error("extract validate", "give exactly one extract folder");
    char *path = extract_folder_of(argv[optind]);
    if (!path) {
        fprintf(stderr,
                "da extract validate: %s is a file; give the extract folder or its "
                "extract.duckdb\n",
                argv[optind]);
        return 1;
    }
    struct extract_info info;
    struct err err = { { 0 } };
    enum rc rc = extract_inspect(path, NULL, data_dir, &info, &err);
    if (rc) {
        fprintf(stderr, "da extract validate: %s\n", err.msg);
        free(path);
        return 1;
    }
    int local = 0, remote = 0;
    for (size_t i = 0; i < info.n_tables; i++) {
        if (info.tables[i].problem)
            continue;
        if (info.tables[i].remote)
            remote++;
        else
            local++;
    }
    for (size_t i = 0; i < info.n_problems; i++)
        printf("problem: %s\n", info.problems[i]);
    int code = info.n_problems > 0 ? 1 : 0;
    printf("%s: %s, %d local and %d remote tables usable, %zu problems\n", path,
           code ? "NOT valid" : "valid", local, remote, info.n_problems);
    extract_info_cleanup(&info);
    free(path);
    return code;
}

static int files(int argc, char **argv)
{
    enum { OPT_SOURCE = 256, OPT_FROM, OPT_VARCHAR, OPT_DATA_DIR, OPT_JSON };
    static const struct option opts[] = {
        { "source", required_argument, NULL, OPT_SOURCE },
        { "json", no_argument, NULL, OPT_JSON },
        { "from", required_argument, NULL, OPT_FROM },
        { "all-varchar", no_argument, NULL, OPT_VARCHAR },
        { "data-dir", required_argument, NULL, OPT_DATA_DIR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *source = NULL, *from = NULL, *data_dir = cmd_default_data_dir();
    struct files_options opt = { 0 };
    bool json = false;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            files_help();
            return 0;
        case OPT_SOURCE:
            source = optarg;
            break;
        case OPT_FROM:
            from = optarg;
            break;
        case OPT_VARCHAR:
            opt.all_varchar = true;
            break;
        case OPT_DATA_DIR:
            data_dir = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case ':':
            return cmd_usage_error("extract files", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error("extract files",
                                   "unknown option '%s'; see 'da extract "
                                   "files --help'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error("extract files", "unexpected argument '%s'", argv[optind]);
    if (!source || !from)
        return cmd_usage_error("extract files", "--source and --from are required");

    struct files_result res;
    struct err err = { { 0 } };
    if (files_extract(data_dir, source, from, &opt, &res, &err) != RC_OK) {
        fprintf(stderr, "da extract files: %s\n", err.msg);
        return 1;
    }
    if (json) /* the last line the scheduler reads (connectors' interface) */
        printf("{\"tables\": %d, \"rows\": %lld, \"bytes\": %lld}\n", res.tables,
               (long long)res.rows, (long long)res.bytes);
    else
        printf("extract %s: %d tables, %lld rows, %lld bytes of Parquet (%d files skipped)\n",
               source, res.tables, (long long)res.rows, (long long)res.bytes, res.skipped);
    return 0;
}

int cmd_extract(int argc, char **argv)
{
    if (argc < 2) {
        extract_help();
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        extract_help();
        return 0;
    }
    if (strcmp(sub, "validate") == 0)
        return validate(argc - 1, argv + 1);
    if (strcmp(sub, "files") == 0)
        return files(argc - 1, argv + 1);
    if (strcmp(sub, "jira") == 0)
        return extract_jira(argc - 1, argv + 1);
    if (strcmp(sub, "keboola") == 0)
        return cmd_extract_keboola(argc - 1, argv + 1);
    return cmd_usage_error("extract", "unknown command '%s'; see 'da extract --help'", sub);
}
