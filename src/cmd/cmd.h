/* cmd.h — the subcommands of the one `da` binary. Each takes argc/argv from its own name on
 * and returns the process exit code: 0 success, 1 failure, 2 bad usage. */
#ifndef DA_CMD_CMD_H
#define DA_CMD_CMD_H

#include <stdbool.h>

#define EXIT_USAGE 2

struct admin_action;

struct cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    /* the words that may follow (subcommands), ended by a row with a NULL name; NULL for
     * none. `da help` and shell completion walk these tables, so a new row is listed and
     * completed without further work. */
    const struct cmd *subs;
    /* da admin's actions only: what admin_dispatch needs to run the row (then run is NULL);
     * see cmd/admin_int.h */
    const struct admin_action *action;
};

/* The table of commands (static storage) and its length. */
const struct cmd *cmd_table(int *out_len);

/* A page of `da help TOPIC`: plain text for a person or an AI assistant to read. */
struct help_topic {
    const char *name;
    const char *summary;
    const char *text;
};

/* The help topics (static storage) and their number. */
const struct help_topic *cmd_help_topics(int *out_len);

/* The exit codes of the client commands, as a "Exit codes:" paragraph for --help texts. */
extern const char cmd_client_exit_codes[];

/* The subcommands of `da admin` and the shells of `da completion` (NULL-name ended). */
extern const struct cmd admin_commands[];
extern const struct cmd completion_shells[];
extern const struct cmd tables_actions[];   /* da tables */
extern const struct cmd packages_actions[]; /* da packages */

int cmd_serve(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_extract_keboola(int argc, char **argv); /* da extract keboola */
int cmd_rebuild(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_tables(int argc, char **argv);
int cmd_packages(int argc, char **argv);
int cmd_upload(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_completion(int argc, char **argv);

/* Parses the options most client commands share: --server URL, --json (refused when json is
 * NULL) and --help, then at most max_args arguments, left in argv[optind..]. Returns 0 to go
 * on, -1 after printing the help (exit 0), or the usage exit code after saying what is
 * wrong. */
int cmd_client_opts(const char *name, void (*help)(void), int argc, char **argv,
                    const char **server, bool *json, int max_args);

/* The data folder when --data-dir is not given: env DA_DATA_DIR, else ./data. */
const char *cmd_default_data_dir(void);

/* Prints "da NAME: message" to stderr and returns EXIT_USAGE, for one-line usage errors. */
int cmd_usage_error(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
