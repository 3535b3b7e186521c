/* help.c — `da help [TOPIC | COMMAND...]`: short plain-text pages about using da, written
 * for a person or an AI assistant to read (no colour, no paging, the same bytes on a
 * terminal and in a pipe), and the way to any command's --help. The pages say what
 * docs/API.md, docs/CLIENT.md and src/client/syncdir.h say; change them together. */
#include <stdio.h>
#include <string.h>

#include "base/compat.h"
#include "cmd/cmd.h"

const char cmd_client_exit_codes[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  any other failure (a local file, an unexpected answer, an unknown user or table)\n"
    "  2  bad command line\n"
    "  3  the server could not be reached\n"
    "  4  not logged in, or the server refused the credential or the action (401, 403:\n"
    "     e.g. a command for admins run by someone else)\n";

static const char getting_started[] =
    "Getting started: from nothing to an answer in three commands\n"
    "\n"
    "  da login --server https://da.example.com\n"
    "  da sync\n"
    "  da query \"SELECT count(*) FROM orders\"\n"
    "\n"
    "1. da login signs you in to your company's da server. By default it prints a page\n"
    "   to open in the browser, where you check a code and approve; --email signs in\n"
    "   with a password instead. It stores a personal access token for this machine, and\n"
    "   the server becomes the default of every later command. (da help auth)\n"
    "2. da sync downloads the tables you may read, as Parquet files, into a folder on\n"
    "   this machine, with a DuckDB database of one view per table and DATA.md, which\n"
    "   describes the tables for an AI assistant. Run again, it fetches only what\n"
    "   changed. (da help sync)\n"
    "3. da query runs SQL on that local copy with DuckDB: fast, and offline. With\n"
    "   --remote the server runs it instead, on its current data. (da help query)\n"
    "\n"
    "Then: da whoami shows whom you are signed in as; da help lists the topics and\n"
    "commands; da COMMAND --help shows a command's options. Scripts can skip da login\n"
    "with DA_SERVER and DA_TOKEN in the environment.\n";

static const char sync_page[] =
    "da sync: a local copy of the data you may read\n"
    "\n"
    "da sync asks the server for its manifest (GET /api/sync/manifest): every table you\n"
    "may read that is served for local use, with the SHA-256 of each of its Parquet\n"
    "files. It downloads only the files whose checksum changed since the last sync,\n"
    "resumes downloads that were cut off, and rebuilds the local DuckDB views and\n"
    "DATA.md. Tables whose query mode is 'remote' are not downloaded: query them with\n"
    "da query --remote. What you may read is decided by the server (da help admin).\n"
    "\n"
    "Which of those tables land here is yours to choose: da tables lists them with\n"
    "their sizes and switches them on or off (da packages subscribes to sets of them);\n"
    "da sync removes the copy of a table switched off. da sync --table T syncs one\n"
    "table once; da sync --dry-run shows what a sync would download and remove. Before\n"
    "writing, da sync checks the disk: it refuses (exit 5) when less than --min-free\n"
    "(1 GiB) would stay free, and names the largest tables.\n"
    "\n"
    "The folder: --dir DIR, else the folder remembered for the server, else\n"
    "$XDG_DATA_HOME/da/<host>[_<port>] (~/.local/share/da/<host>[_<port>] when\n"
    "XDG_DATA_HOME is unset). Inside it:\n"
    "\n"
    "  tables/<table>.parquet   a table of one file\n"
    "  tables/<table>/<file>    each file of a table split in several (e.g. by month)\n"
    "  da.duckdb                a DuckDB database with one view per table,\n"
    "                           main.\"<table>\", over read_parquet of its files\n"
    "  DATA.md                  the data described for an AI assistant: tables,\n"
    "                           columns, types, descriptions, freshness\n"
    "  .da/state.json           what the last sync left: the server, the time, and per\n"
    "                           table its hash, rows and files with their SHA-256\n"
    "  .da/partial/             downloads in progress\n"
    "\n"
    "Point an AI assistant at the folder: DATA.md says what is there, and da query (or\n"
    "duckdb da.duckdb) reads it. Options: da sync --help.\n"
    "\n"
    "Exit codes: 0 success; 1 any other failure; 2 bad command line; 3 the server could\n"
    "not be reached; 4 not logged in or refused; 5 not enough disk space.\n";

static const char query_page[] =
    "da query: SQL on your data\n"
    "\n"
    "Local (the default): da query \"SQL\" runs the SQL with DuckDB on this machine, on\n"
    "the database da sync built (da.duckdb in the sync folder; da help sync). It needs a\n"
    "sync first, works offline, and sees the data of the last sync. Any DuckDB SQL\n"
    "works; each table is a view named after its id: SELECT * FROM orders.\n"
    "\n"
    "Remote: da query --remote \"SQL\" sends the SQL to the server (POST /api/query),\n"
    "which runs it on its current data, within your permissions. Tables whose query mode\n"
    "is 'remote' can only be queried this way. The server's rules:\n"
    "\n"
    "  - exactly one SELECT (WITH ... SELECT too); nothing that writes\n"
    "  - every table is a CTE of the query or a catalog table you may read; any other\n"
    "    table is refused (403) with its name\n"
    "  - no names qualified by a catalog or schema other than main\n"
    "  - no table functions but range, generate_series and unnest; no file paths, globs\n"
    "    or URLs as tables\n"
    "  - no metadata: information_schema, duckdb_* functions, pragma_*, settings\n"
    "  - bad SQL is refused (400) with DuckDB's own message\n"
    "  - limits, as the server is configured (defaults): 1000 rows unless asked\n"
    "    otherwise, at most 100000 rows and 64 MiB (past either the answer is cut at a\n"
    "    whole row and marked truncated), 30 seconds (then 504), 4GB of memory (then\n"
    "    422), 8 queries of yours at once (then 429)\n"
    "  - every query is recorded in the server's audit log\n"
    "\n"
    "The server decides on DuckDB's parse tree, not on the text: a table name inside a\n"
    "string, a column or an alias is not a table. Options: da query --help.\n"
    "\n"
    "Exit codes: 0 success; 1 any other failure (bad SQL, a refused table, a time-out);\n"
    "2 bad command line; 3 the server could not be reached; 4 not logged in or refused.\n";

static const char auth_page[] =
    "Signing in: how the client gets and keeps its credential\n"
    "\n"
    "Ways to sign in (da login --help has every option):\n"
    "\n"
    "  da login --server URL             in the browser (the default): open the page it\n"
    "                                    prints, check the code, approve\n"
    "  da login --server URL --email E   with your password, asked for without echo, or\n"
    "                                    piped in with --password-stdin\n"
    "  da login --server URL --token     with a personal access token (da_pat_...) made\n"
    "                                    in the web UI, asked for or piped in\n"
    "\n"
    "A secret is never taken from the command line, where other users and the shell\n"
    "history would see it.\n"
    "\n"
    "Whichever way, what is kept is a personal access token of this machine, named\n"
    "\"da CLI on <machine>\", valid 90 days (a pasted token keeps its own expiry) and\n"
    "revocable on its own. A password only buys a short session, which makes the token\n"
    "and is ended at once.\n"
    "\n"
    "Where it lives: $XDG_CONFIG_HOME/da/credentials.json (~/.config/da/credentials.json\n"
    "when XDG_CONFIG_HOME is unset), mode 0600, one token per server; config.json\n"
    "beside it remembers the current server. A credentials file that others could read\n"
    "is refused.\n"
    "\n"
    "Which server and token a command uses: --server URL, else $DA_SERVER, else the\n"
    "current server (the last da login); the token of $DA_TOKEN, else the one stored for\n"
    "that server. Scripts and CI can set DA_SERVER and DA_TOKEN and skip da login.\n"
    "\n"
    "  da whoami              the server, email and role of the token in use\n"
    "  da logout              revoke the token on the server and delete it here\n"
    "  da admin tokens list   your tokens; da admin tokens revoke ID revokes one\n";

static const char exit_codes_page[] =
    "Exit codes of the client commands (login, logout, whoami, admin, sync, query, ...)\n"
    "\n"
    "  0  success\n"
    "  1  any other failure: a local file, an unexpected answer, a refusal that is not\n"
    "     about the credential (an unknown user or table, a conflict, bad SQL)\n"
    "  2  bad command line: an unknown command or option, a missing argument, an\n"
    "     unknown help topic\n"
    "  3  the server could not be reached: no connection, no such host, TLS, a time-out\n"
    "     without an answer\n"
    "  4  not logged in, or the server refused the credential (401) or the action (403,\n"
    "     e.g. da admin run by someone who is not an admin), or a browser sign-in was\n"
    "     denied or expired\n"
    "  5  da sync: not enough disk space for the downloads (nothing was written)\n"
    "\n"
    "Errors go to standard error as \"da COMMAND: what went wrong\".\n";

static const char admin_page[] =
    "da admin: a da server's users, grants and tables from the command line\n"
    "\n"
    "Who: an admin signed in with da login (or with an admin's token in DA_TOKEN). Anyone\n"
    "else gets exit code 4 (\"the server answered 403: Requires role admin\"). da admin\n"
    "tokens is for every user: it shows your own tokens only.\n"
    "\n"
    "  da admin users list\n"
    "  da admin users add ana@example.com          prints a single-use set-up link;\n"
    "                                              --password-stdin or --ask-password\n"
    "                                              set a password instead\n"
    "  da admin users set-role ana@example.com admin      (admin, analyst or viewer)\n"
    "  da admin users deactivate ana@example.com  sessions end, tokens stop working\n"
    "  da admin users activate ana@example.com\n"
    "  da admin users revoke-sessions ana@example.com\n"
    "  da admin users setup-link ana@example.com  a new link to set a password\n"
    "  da admin users remove ana@example.com --yes\n"
    "\n"
    "  da admin grants list [--user USER | --group GROUP]\n"
    "  da admin grants grant orders --user ana@example.com\n"
    "  da admin grants grant 'sales.*' --group finance   every table of bucket sales\n"
    "  da admin grants revoke orders --user ana@example.com\n"
    "\n"
    "  da admin tables list\n"
    "  da admin tables show orders\n"
    "  da admin tables register \"Customer Orders\" --bucket sales --public\n"
    "  da admin tables remove customer_orders --yes\n"
    "\n"
    "  da admin tokens list\n"
    "  da admin tokens revoke ID\n"
    "\n"
    "Users are named by email or by id. A user may read a table when they are an admin,\n"
    "when the table is public, or through a grant of the table or of its bucket to them\n"
    "or to a group they belong to.\n"
    "\n"
    "Output: on a terminal, aligned tables and a sentence for each change; piped, lists\n"
    "are tab-separated lines without a header and changes print nothing but set-up links\n"
    "(the exit code tells); --json prints the server's answer. Removals ask first on a\n"
    "terminal and need --yes without one.\n"
    "\n"
    "da admin bootstrap is different: it runs on the server machine, against the data\n"
    "folder, to create the very first admin. Options: da admin COMMAND ACTION --help.\n";

static const struct help_topic topics[] = {
    { "getting-started", "login, sync, query: the first three commands", getting_started },
    { "sync", "what da sync does and the local folder it fills", sync_page },
    { "query", "local and remote SQL, and the server's rules", query_page },
    { "auth", "ways to sign in, tokens, where the credential lives", auth_page },
    { "exit-codes", "what each exit code of the client means", exit_codes_page },
    { "admin", "users, grants, tables and tokens with da admin", admin_page },
};

const struct help_topic *cmd_help_topics(int *out_len)
{
    *out_len = (int)ARRAY_LEN(topics);
    return topics;
}

static void overview(void)
{
    int n;
    const struct cmd *cmds = cmd_table(&n);
    printf("Usage: da help [TOPIC | COMMAND [SUBCOMMAND...]]\n"
           "\n"
           "Topics (plain text, for people and AI assistants):\n");
    for (size_t i = 0; i < ARRAY_LEN(topics); i++)
        printf("  %-16s %s\n", topics[i].name, topics[i].summary);
    printf("\nCommands (da help COMMAND is da COMMAND --help):\n");
    for (int i = 0; i < n; i++)
        printf("  %-16s %s\n", cmds[i].name, cmds[i].summary);
    printf("\nWhere a topic and a command share a name, da help NAME shows the topic and\n"
           "da NAME --help the command's options.\n");
}

int cmd_help(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        overview();
        return 0;
    }
    if (argc == 2)
        for (size_t i = 0; i < ARRAY_LEN(topics); i++)
            if (strcmp(topics[i].name, argv[1]) == 0) {
                fputs(topics[i].text, stdout);
                return 0;
            }
    int n;
    const struct cmd *cmds = cmd_table(&n);
    for (int i = 0; i < n; i++) {
        if (strcmp(cmds[i].name, argv[1]) != 0)
            continue;
        /* da help admin users add -> da admin users add --help */
        char *help_argv[16];
        int k = 0;
        for (int j = 1; j < argc && k < (int)ARRAY_LEN(help_argv) - 2; j++)
            help_argv[k++] = argv[j];
        help_argv[k++] = (char *)"--help";
        help_argv[k] = NULL;
        return cmds[i].run(k, help_argv);
    }
    fprintf(stderr, "da help: no topic or command '%s'. Topics:", argv[1]);
    for (size_t i = 0; i < ARRAY_LEN(topics); i++)
        fprintf(stderr, "%s %s", i ? "," : "", topics[i].name);
    fprintf(stderr, ". Commands: see 'da help'.\n");
    return EXIT_USAGE;
}
