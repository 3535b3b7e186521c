/* admin_int.h — what the files of `da admin` share (admin.c, admin_users.c, admin_grants.c,
 * admin_tables.c, admin_tokens.c): option parsing that every API-backed admin command runs
 * through, the client it opens, finding a user by email or id, and the output (an aligned
 * table on a terminal, tab-separated lines when piped, the server's JSON with --json).
 * Private to those files. */
#ifndef DA_CMD_ADMIN_INT_H
#define DA_CMD_ADMIN_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "client/client.h"
#include "cmd/cmd.h"

/* One option of an admin command besides the common --server, --json and --help: a value
 * option stores its argument in *value (borrowed from argv), a flag sets *flag. */
struct admin_opt {
    const char *name;
    const char **value;
    bool *flag;
};

/* A running admin command. */
struct admin_run {
    const char *cmd;         /* "admin users add", for messages */
    const char *server_flag; /* --server (borrowed; NULL when not given) */
    struct client cl;        /* open while the command runs */
    bool json;               /* --json: print the server's answer */
    bool tty;                /* stdout is a terminal: aligned tables and confirmations */
    char **args;             /* the positional arguments (borrowed from argv) */
    int nargs;
};

/* Parses argv (from the action's own name on) with opts (ended by a NULL name; may be NULL)
 * plus --server URL, --json and -h/--help, and expects min_args..max_args positional
 * arguments. help is the action's help text, printed with the common options and the exit
 * codes after it. Returns 0 to go on, else the exit code to return at once (0 after
 * --help, with the help printed; else the message is printed). */
int admin_parse(struct admin_run *r, const char *cmd, const char *help,
                const struct admin_opt *opts, int min_args, int max_args, int argc, char **argv);

/* Opens r->cl for the server and token of the command line and environment; returns 0 or
 * the exit code, as admin_parse. Actions with usage checks of their own make them between
 * admin_parse and admin_connect, so a bad command line is exit code 2 before anything is
 * sent. */
int admin_connect(struct admin_run *r);

/* admin_parse, then admin_connect. */
int admin_begin(struct admin_run *r, const char *cmd, const char *help,
                const struct admin_opt *opts, int min_args, int max_args, int argc, char **argv);

/* Closes the client and returns code. Safe when admin_connect was not called or failed.
 * Every action that got 0 from admin_begin or admin_connect ends with it. */
int admin_end(struct admin_run *r, int code);

/* Prints "da CMD: <err>" (with a hint on a 403) and returns the exit code for rc. */
int admin_fail(struct admin_run *r, enum rc rc, const struct err *err);

/* The user that who names: an email (any case) or a user id, found in GET /api/users.
 * RC_NOTFOUND with "no user 'who'" when there is none. *out is a new reference (caller
 * json_decref()s it). */
enum rc admin_find_user(struct admin_run *r, const char *who, json_t **out,
                        struct err *err) WARN_UNUSED;

/* GET /api/users: the array of users (caller json_decref()s it). */
enum rc admin_list_users(struct admin_run *r, json_t **out, struct err *err) WARN_UNUSED;

/* printf to stdout with every control character but the line break shown as '?': the
 * sentences of the commands quote text from the server. */
void admin_say(const char *fmt, ...) PRINTF_FMT(1, 2);

/* Prints j as JSON: indented on a terminal, one line when piped. */
void admin_print_json(const struct admin_run *r, const json_t *j);

/* A string member of obj, or "" (borrowed). */
const char *admin_str(const json_t *obj, const char *key);

/* Asks a yes/no question on the terminal; false without one or on anything but y/yes. */
bool admin_confirm(const char *question);

/* Runs the subcommand of table named by argv[1]; with none or -h/--help prints
 * "Usage: da CMD COMMAND ..." with intro and the table. Unknown names are usage errors. */
int admin_dispatch(const char *cmd, const char *intro, const struct cmd *table, int argc,
                   char **argv);

/* ---------------------------------------------------------------- tables of text */

#define ADMIN_TABLE_MAX_COLS 8

/* Rows of text printed as aligned columns under a header on a terminal, or as tab-separated
 * lines without the header when piped (for cut, awk and the like). Cells are copied; text
 * from the server is cleaned of control characters when printed. */
struct admin_table {
    int ncols;
    const char *head[ADMIN_TABLE_MAX_COLS];
    char **cells; /* nrows * ncols */
    int nrows;
};

/* Starts a table with the given header names (borrowed; NULL-ended, at most the max). */
void admin_table_init(struct admin_table *t, const char *const *head);

/* Appends a row of t->ncols cells (NULL counts as ""). */
void admin_table_add(struct admin_table *t, const char *const *cells);

/* Prints the table (see above) and frees its rows. On a terminal an empty table prints
 * "none" (the word given) to stderr instead. */
void admin_table_print(const struct admin_run *r, struct admin_table *t, const char *none);

/* The per-group tables of actions (NULL-name ended). */
extern const struct cmd admin_users_commands[];
extern const struct cmd admin_grants_commands[];
extern const struct cmd admin_tables_commands[];
extern const struct cmd admin_tokens_commands[];

int admin_users(int argc, char **argv);
int admin_grants(int argc, char **argv);
int admin_tables(int argc, char **argv);
int admin_tokens(int argc, char **argv);

#endif
