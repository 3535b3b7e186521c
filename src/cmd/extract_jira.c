/* extract_jira.c — `da extract jira`: runs the Jira connector (connectors/jira.h) once, as the
 * scheduler's child process or by hand. Without --since it drains the webhook queue; with it,
 * it backfills through Jira's search. Settings come from the same configuration as `da serve`
 * (--config, DA_CONFIG, defaults, environment); the API token only from the environment. */
#include "cmd/extract_jira.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/parse.h"
#include "cmd/cmd.h"
#include "config/config.h"
#include "connectors/jira.h"
#include "store/store.h"

#define DEFAULT_CONFIG "config/instance.yaml"

static void jira_help(void)
{
    printf(
        "Usage: da extract jira --source jira [--since DATE] [--json] [--config PATH]\n"
        "                       [--data-dir DIR]\n"
        "\n"
        "Without --since: processes the Jira webhook events POST /webhooks/jira has queued.\n"
        "Each event's issue is fetched from Jira (GET /rest/api/3/issue/{key}) and upserted\n"
        "into the tables jira_issues, jira_comments, jira_changelog, jira_worklogs,\n"
        "jira_issuelinks and jira_attachments of the extract <data-dir>/extracts/jira,\n"
        "partitioned by the month the issue was created; only the months touched are\n"
        "rewritten. jira:issue_deleted (or a 404 from Jira) removes the issue. Events leave\n"
        "the queue only once the extract has committed.\n"
        "\n"
        "With --since DATE (YYYY-MM-DD): upserts every issue updated since DATE through\n"
        "Jira's search, one committed page at a time. Killed midway, the same command goes\n"
        "on from the last committed page.\n"
        "\n"
        "Jira: jira.base_url (env JIRA_BASE_URL), jira.email (env JIRA_EMAIL) and the\n"
        "environment variable JIRA_API_TOKEN.\n"
        "\n"
        "Options:\n"
        "  --source NAME    must be jira\n"
        "  --table ID       accepted for the scheduler; the six tables are always made together\n"
        "  --since DATE     backfill issues updated on or after DATE\n"
        "  --page-size N    issues per search page, 1-100 (default 100)\n"
        "  --json           print {\"tables\":N,\"rows\":N,\"bytes\":N,...} on stdout at the end\n"
        "  --config PATH    instance configuration (env DA_CONFIG; default %s)\n"
        "  --data-dir DIR   the server's data folder (default: server.data_dir)\n"
        "  -h, --help       show this help\n",
        DEFAULT_CONFIG);
}

int extract_jira(int argc, char **argv)
{
    enum { OPT_SOURCE = 256, OPT_TABLE, OPT_SINCE, OPT_PAGE, OPT_JSON, OPT_CONFIG, OPT_DATA_DIR };
    static const struct option opts[] = {
        { "source", required_argument, NULL, OPT_SOURCE },
        { "table", required_argument, NULL, OPT_TABLE },
        { "since", required_argument, NULL, OPT_SINCE },
        { "page-size", required_argument, NULL, OPT_PAGE },
        { "json", no_argument, NULL, OPT_JSON },
        { "config", required_argument, NULL, OPT_CONFIG },
        { "data-dir", required_argument, NULL, OPT_DATA_DIR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *source = NULL, *since = NULL, *data_dir = NULL;
    const char *config_path = getenv("DA_CONFIG");
    bool json = false, explicit_config = config_path && config_path[0];
    int64_t page_size = 100;
    if (!explicit_config)
        config_path = DEFAULT_CONFIG;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            jira_help();
            return 0;
        case OPT_SOURCE:
            source = optarg;
            break;
        case OPT_TABLE:
            break;
        case OPT_SINCE:
            since = optarg;
            break;
        case OPT_PAGE:
            if (!parse_i64(optarg, 1, 100, &page_size))
                return cmd_usage_error("extract jira", "--page-size takes 1-100");
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
            return cmd_usage_error("extract jira", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error("extract jira",
                                   "unknown option '%s'; see 'da extract jira "
                                   "--help'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error("extract jira", "unexpected argument '%s'", argv[optind]);
    if (!source || strcmp(source, JIRA_SOURCE) != 0)
        return cmd_usage_error("extract jira", "--source jira is required");
    if (since && !jira_date_valid(since))
        return cmd_usage_error("extract jira", "--since takes a date YYYY-MM-DD");

    struct config cfg = { 0 };
    struct err err = { { 0 } };
    struct store *store = NULL;
    struct jira_result res;
    char *state = NULL, *db = NULL;
    enum rc rc = config_load(&cfg, config_path, explicit_config, &err);
    if (!rc)
        rc = config_validate(&cfg, &err);
    if (!rc && !data_dir)
        data_dir = cfg.data_dir;
    log_setup(cfg.log_level, cfg.log_format);
    struct jira_conn conn = { cfg.jira_base_url, cfg.jira_email, cfg.jira_api_token };
    if (!rc && since) {
        rc = jira_backfill(data_dir, &conn, since, (int)page_size, &res, &err);
    } else if (!rc) {
        state = xasprintf("%s/state", data_dir);
        db = xasprintf("%s/system.sqlite", state);
        rc = file_mkdir_p(state, 0700, &err);
        if (!rc)
            rc = store_open(db, 1, &store, &err);
        if (!rc)
            rc = jira_sync_queue(data_dir, store, &conn, &res, &err);
    }
    store_close(&store);
    free(db);
    free(state);
    config_cleanup(&cfg);
    if (rc) {
        fprintf(stderr, "da extract jira: %s\n", err.msg);
        return 1;
    }
    if (json)
        printf("{\"tables\": %d, \"rows\": %lld, \"bytes\": %lld, \"events\": %lld, "
               "\"issues\": %lld, \"deleted\": %lld, \"stale\": %lld, \"pages\": %lld, "
               "\"resumed\": %s}\n",
               res.tables, (long long)res.rows, (long long)res.bytes, (long long)res.events,
               (long long)res.fetched, (long long)res.deleted, (long long)res.stale,
               (long long)res.pages, res.resumed ? "true" : "false");
    else
        printf("extract jira: %lld events, %lld issues upserted, %lld removed, %lld stale; "
               "%d tables, %lld rows, %lld bytes\n",
               (long long)res.events, (long long)res.fetched, (long long)res.deleted,
               (long long)res.stale, res.tables, (long long)res.rows, (long long)res.bytes);
    return 0;
}
