/* main.c — the one `da` binary: the server (`da serve` and the server-side commands) and the
 * analyst's client (`da login`, ...). This file only dispatches to a subcommand. */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/compat.h"
#include "base/version.h"
#include "cmd/cmd.h"
#include "query/worker.h"
#include "sched/job_child.h"

static const struct cmd commands[] = {
    { "serve", "run the server", cmd_serve },
    { "admin", "administration: users, grants, tables, tokens; bootstrap", cmd_admin,
      admin_commands },
    { "extract", "make and check extracts (server side)", cmd_extract },
    { "rebuild", "rebuild the server's catalog from the extracts", cmd_rebuild },
    { "login", "sign in to a server and store a token for this machine", cmd_login },
    { "logout", "revoke and delete the stored token", cmd_logout },
    { "whoami", "show the server, email and role of the stored token", cmd_whoami },
    { "sync", "download the tables you may read into a local folder", cmd_sync },
    { "tables", "choose which tables da sync copies: on or off per table or bucket", cmd_tables,
      tables_actions },
    { "packages", "packages of tables: list them, subscribe for sync", cmd_packages,
      packages_actions },
    { "query", "run SQL on the synced data, or on the server with --remote", cmd_query },
    { "catalog", "list the server's tables, or describe one", cmd_catalog },
    { "status", "server, login, last sync, tables on or off, stale or missing", cmd_status },
    { "upload", "upload a session transcript, an artifact or CLAUDE.local.md", cmd_upload },
    { "help", "help topics and commands (da help TOPIC|COMMAND)", cmd_help },
    { "completion", "print a shell completion script (bash, zsh)", cmd_completion,
      completion_shells },
};

const struct cmd *cmd_table(int *out_len)
{
    *out_len = (int)ARRAY_LEN(commands);
    return commands;
}

int cmd_usage_error(const char *name, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "da %s: ", name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

const char *cmd_default_data_dir(void)
{
    const char *dir = getenv("DA_DATA_DIR");
    return dir && *dir ? dir : "./data";
}

static void main_help(void)
{
    printf("Usage: da COMMAND [OPTIONS]\n"
           "\n"
           "da is a data distribution platform for AI analysts: one server pulls company data\n"
           "into DuckDB and Parquet and serves it, governed, to people and AI agents.\n"
           "\n"
           "Commands:\n");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        printf("  %-12s %s\n", commands[i].name, commands[i].summary);
    printf("\n"
           "Options:\n"
           "  -h, --help     show this help\n"
           "  -V, --version  show the version\n"
           "\n"
           "Run 'da COMMAND --help' for the options of a command, and 'da help' for the\n"
           "help topics (getting started, sync, query, sign-in, exit codes, admin).\n");
}

static const struct cmd *find_command(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_help();
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        main_help();
        return 0;
    }
    if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("da %s\n", DA_VERSION);
        return 0;
    }
    if (name[0] == '-') {
        fprintf(stderr, "da: unknown option '%s'; see 'da --help'\n", name);
        return EXIT_USAGE;
    }
    /* hidden: the server starts its query workers this way (query/worker.h) */
    if (strcmp(name, QUERY_WORKER_COMMAND) == 0)
        return query_worker_main(argc - 1, argv + 1);
    /* hidden: the scheduler starts each connector job this way (sched/job_child.h) */
    if (strcmp(name, JOB_CHILD_COMMAND) == 0)
        return job_child_main(argc - 1, argv + 1);
    const struct cmd *c = find_command(name);
    if (!c) {
        fprintf(stderr, "da: unknown command '%s'; see 'da --help'\n", name);
        return EXIT_USAGE;
    }
    /* once, before any thread starts: libcurl's global state is not thread-safe to set up */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "da: cannot initialise libcurl\n");
        return 1;
    }
    int code = c->run(argc - 1, argv + 1);
    curl_global_cleanup();
    return code;
}
