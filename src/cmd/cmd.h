/* cmd.h — the subcommands of the one `da` binary. Each takes argc/argv from its own name on
 * and returns the process exit code: 0 success, 1 failure, 2 bad usage. */
#ifndef DA_CMD_CMD_H
#define DA_CMD_CMD_H

#define EXIT_USAGE 2

struct cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

/* The table of commands (static storage) and its length. */
const struct cmd *cmd_table(int *out_len);

int cmd_serve(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_sync(int argc, char **argv);

/* The data folder when --data-dir is not given: env DA_DATA_DIR, else ./data. */
const char *cmd_default_data_dir(void);

/* Prints "da NAME: message" to stderr and returns EXIT_USAGE, for one-line usage errors. */
int cmd_usage_error(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
