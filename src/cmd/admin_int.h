/* admin_int.h — what the files of `da admin` share (admin.c, admin_users.c, admin_grants.c,
 * admin_tables.c, admin_tokens.c): the description of an action (a row of its group's table:
 * help text, options, arguments, handler) that one dispatcher parses, connects and runs,
 * finding a user by email or id, and the output (an aligned table on a terminal,
 * tab-separated lines when piped, the server's JSON with --json). Private to those files. */
#ifndef DA_CMD_ADMIN_INT_H
#define DA_CMD_ADMIN_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "client/client.h"
#include "cmd/cmd.h"

/* The options of the admin actions besides the common --server, --json and --help, each
 * named once (admin.c has their names); an action's row picks its own with ADMIN_OPT(). */
enum admin_opt_id {
    ADMIN_OPT_NAME,
    ADMIN_OPT_ROLE,
    ADMIN_OPT_KM_ADMIN,
    ADMIN_OPT_PASSWORD_STDIN,
    ADMIN_OPT_ASK_PASSWORD,
    ADMIN_OPT_YES,
    ADMIN_OPT_USER,
    ADMIN_OPT_GROUP,
    ADMIN_OPT_ID,
    ADMIN_OPT_DESCRIPTION,
    ADMIN_OPT_BUCKET,
    ADMIN_OPT_SOURCE_TYPE,
    ADMIN_OPT_SOURCE_TABLE,
    ADMIN_OPT_QUERY_MODE,
    ADMIN_OPT_SYNC_STRATEGY,
    ADMIN_OPT_SYNC_SCHEDULE,
    ADMIN_OPT_PRIMARY_KEY,
    ADMIN_OPT_FOLDER,
    ADMIN_OPT_PUBLIC,
    ADMIN_OPT_NO_PROFILE,
    ADMIN_OPT_REGISTER,
    ADMIN_OPT_TABLE,
    ADMIN_OPT_COUNT
};

#define ADMIN_OPT(id) (1u << ADMIN_OPT_##id)
_Static_assert(ADMIN_OPT_COUNT <= 32, "an action's opts has one bit per option");

/* A running admin action. */
struct admin_run {
    char cmd[64];            /* "admin users add", for messages */
    const char *server_flag; /* --server (borrowed; NULL when not given) */
    struct client cl;        /* open while the action runs */
    bool json;               /* --json: print the server's answer */
    bool tty;                /* stdout is a terminal: aligned tables and confirmations */
    char **args;             /* the positional arguments (borrowed from argv) */
    int nargs;
    /* the value of each option given (borrowed from argv); a flag given is "" */
    const char *opt[ADMIN_OPT_COUNT];
    char **argv; /* the action's whole command line, for options given more than once */
    int argc;
};

/* The values of every --NAME VALUE and --NAME=VALUE of the action's command line (an option
 * that may be repeated: opt[] has the last only), in order, into out (at most max); returns
 * how many. */
int admin_opt_all(const struct admin_run *r, const char *name, const char **out, int max);

/* Whether the flag (or value option) id was given. */
static inline bool admin_flag(const struct admin_run *r, enum admin_opt_id id)
{
    return r->opt[id] != NULL;
}

/* One action of `da admin GROUP`, the row of its struct cmd (.action). admin_dispatch parses
 * the command line (the common options, the action's own, exactly args positional
 * arguments; --help prints help with the common options and the exit codes), calls check,
 * opens the client, calls run and closes the client: so a new action is a row and a
 * function. */
struct admin_action {
    int (*run)(struct admin_run *r); /* the work, with r->cl open; returns the exit code */
    const char *help;                /* the action's --help text */
    unsigned opts;                   /* its own options: ADMIN_OPT(NAME) | ... */
    int args;                        /* the number of positional arguments */
    /* usage checks beyond the options and the count of arguments, before anything is sent:
     * returns 0 or the exit code (after saying what is wrong); NULL for none */
    int (*check)(struct admin_run *r);
    int optional_args; /* how many more positional arguments may follow (admin sync [SOURCE]) */
};

/* The .action of a row: &(struct admin_action){ ... } with static storage. */
#define ADMIN_ACTION(...) (&(const struct admin_action){ __VA_ARGS__ })

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

/* Runs the subcommand of table named by argv[1]: a row with an .action as above, else its
 * run function. With none or -h/--help prints "Usage: da CMD COMMAND ..." with intro and the
 * table. Unknown names are usage errors. */
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
    size_t cap; /* cells allocated */
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
extern const struct cmd admin_jobs_commands[];
extern const struct cmd admin_packages_commands[];
extern const struct admin_action admin_sync_action;

int admin_users(int argc, char **argv);
int admin_grants(int argc, char **argv);
int admin_tables(int argc, char **argv);
int admin_tokens(int argc, char **argv);
int admin_jobs(int argc, char **argv);
int admin_packages(int argc, char **argv);

#endif
