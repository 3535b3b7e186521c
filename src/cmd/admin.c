/* admin.c — `da admin`: administration. `da admin users|grants|tables|tokens` work over the
 * HTTP API with an admin's token, like any other client (admin_users.c, admin_grants.c,
 * admin_tables.c, admin_tokens.c); this file holds their dispatch and what they share (option
 * parsing, finding users, tables of text, JSON output; see admin_int.h). `da admin bootstrap`
 * is the exception: it runs on the server machine and creates the first admin straight in
 * the state store (refusing when an admin exists), so a new server needs no anonymous
 * endpoint to get its first admin. */
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "base/utf8.h"
#include "cmd/admin_int.h"
#include "core/identity.h"

static void bootstrap_help(void)
{
    printf("Usage: da admin bootstrap --email EMAIL --password-stdin [--name NAME]\n"
           "                          [--data-dir DIR]\n"
           "\n"
           "Create the first admin of a server, directly in DIR/state/system.sqlite. Refused\n"
           "when an admin exists. The password is read from the first line of standard input\n"
           "(at least 12 characters), never from the command line.\n"
           "\n"
           "  --email EMAIL       the admin's e-mail address\n"
           "  --name NAME         display name (default: the part of the email before '@')\n"
           "  --password-stdin    read the password from standard input (required)\n"
           "  --data-dir DIR      the server's data folder (env DA_DATA_DIR; default ./data)\n");
}

/* Reads one line from stdin into a heap string without its newline. */
static char *read_password_line(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

static int admin_bootstrap(int argc, char **argv)
{
    enum { OPT_EMAIL = 256, OPT_NAME, OPT_STDIN, OPT_DATA_DIR };
    static const struct option opts[] = {
        { "email", required_argument, NULL, OPT_EMAIL },
        { "name", required_argument, NULL, OPT_NAME },
        { "password-stdin", no_argument, NULL, OPT_STDIN },
        { "data-dir", required_argument, NULL, OPT_DATA_DIR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *email = NULL, *name = NULL, *data_dir = cmd_default_data_dir();
    bool from_stdin = false;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            bootstrap_help();
            return 0;
        case OPT_EMAIL:
            email = optarg;
            break;
        case OPT_NAME:
            name = optarg;
            break;
        case OPT_STDIN:
            from_stdin = true;
            break;
        case OPT_DATA_DIR:
            data_dir = optarg;
            break;
        case ':':
            return cmd_usage_error("admin bootstrap", "option '%s' needs a value",
                                   argv[optind - 1]);
        default:
            return cmd_usage_error("admin bootstrap",
                                   "unknown option '%s'; see 'da admin "
                                   "bootstrap --help'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error("admin bootstrap", "unexpected argument '%s'", argv[optind]);
    if (!email || !from_stdin)
        return cmd_usage_error("admin bootstrap", "--email and --password-stdin are required");

    struct err err = { { 0 } };
    struct store *store = NULL;
    char *password = read_password_line();
    char *state = xasprintf("%s/state", data_dir);
    char *db = xasprintf("%s/system.sqlite", state);
    struct user_new in = { .email = email, .name = name, .role = "admin", .password = password };
    struct user u;
    enum rc rc = password ? RC_OK : err_set(&err, RC_INVALID, "no password on standard input");
    /* checked before the state folder is made, so a typo leaves nothing behind */
    if (!rc)
        rc = core_user_check(&in, &err);
    if (!rc)
        rc = file_mkdir_p(state, 0700, &err);
    if (!rc)
        rc = store_open(db, 1, &store, &err);
    struct core core = { .store = store };
    if (!rc)
        rc = core_first_admin_create(&core, "cli", NULL, &in, "da admin bootstrap", &u, &err);
    store_close(&store);
    if (password)
        mem_wipe(password, strlen(password));
    free(password);
    free(state);
    free(db);
    if (rc) {
        fprintf(stderr, "da admin bootstrap: %s\n", err.msg);
        return 1;
    }
    printf("created admin %s\n", u.email);
    return 0;
}

/* ---------------------------------------------------------------- dispatch */

const struct cmd admin_commands[] = {
    { "users", "list, add, change, deactivate users; revoke their sessions", admin_users,
      admin_users_commands },
    { "grants", "who may read which table: list, grant, revoke", admin_grants,
      admin_grants_commands },
    { "tables", "the table registry: list, show, register, remove", admin_tables,
      admin_tables_commands },
    { "tokens", "your personal access tokens: list, revoke", admin_tokens, admin_tokens_commands },
    { "jobs", "connector jobs: list, show (with its log), cancel", admin_jobs,
      admin_jobs_commands },
    { "sync", "run a source's connector now (every source without SOURCE)",
      .action = &admin_sync_action },
    { "packages", "bundles of tables users subscribe to: list, create, update, delete",
      admin_packages, admin_packages_commands },
    { "bootstrap", "create the first admin in the state store (on the server machine)",
      admin_bootstrap },
    { NULL },
};

int cmd_admin(int argc, char **argv)
{
    return admin_dispatch(
        "admin",
        "Administer a da server over its HTTP API with an admin's sign-in (da login as an\n"
        "admin, or DA_TOKEN): users, who may read which table, the table registry, and your\n"
        "tokens. Users are named by email or by id. bootstrap is the exception: it runs on\n"
        "the server machine, against the state store, to make the first admin.\n"
        "'da help admin' is an overview with examples.",
        admin_commands, argc, argv);
}

/* ---------------------------------------------------------------- running an action */

#define OPT_SERVER 256
#define OPT_JSON   257
#define OPT_OWN    300 /* + the option's enum admin_opt_id */

/* The names of the actions' own options; value options take an argument. */
static const struct {
    const char *name;
    bool value;
} options[ADMIN_OPT_COUNT] = {
    [ADMIN_OPT_NAME] = { "name", true },
    [ADMIN_OPT_ROLE] = { "role", true },
    [ADMIN_OPT_KM_ADMIN] = { "km-admin", false },
    [ADMIN_OPT_PASSWORD_STDIN] = { "password-stdin", false },
    [ADMIN_OPT_ASK_PASSWORD] = { "ask-password", false },
    [ADMIN_OPT_YES] = { "yes", false },
    [ADMIN_OPT_USER] = { "user", true },
    [ADMIN_OPT_GROUP] = { "group", true },
    [ADMIN_OPT_ID] = { "id", true },
    [ADMIN_OPT_DESCRIPTION] = { "description", true },
    [ADMIN_OPT_BUCKET] = { "bucket", true },
    [ADMIN_OPT_SOURCE_TYPE] = { "source-type", true },
    [ADMIN_OPT_SOURCE_TABLE] = { "source-table", true },
    [ADMIN_OPT_QUERY_MODE] = { "query-mode", true },
    [ADMIN_OPT_SYNC_STRATEGY] = { "sync-strategy", true },
    [ADMIN_OPT_SYNC_SCHEDULE] = { "sync-schedule", true },
    [ADMIN_OPT_PRIMARY_KEY] = { "primary-key", true },
    [ADMIN_OPT_FOLDER] = { "folder", true },
    [ADMIN_OPT_PUBLIC] = { "public", false },
    [ADMIN_OPT_NO_PROFILE] = { "no-profile", false },
    [ADMIN_OPT_REGISTER] = { "register", false },
    [ADMIN_OPT_TABLE] = { "table", true },
};

static void action_help(const char *help)
{
    printf("%s\n"
           "Common options:\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  --json         print the server's answer as JSON\n"
           "  -h, --help     show this help\n"
           "\n"
           "On a terminal lists are aligned tables and changes are confirmed in a sentence;\n"
           "piped, lists are tab-separated lines without a header, and changes print\n"
           "nothing (the exit code tells).\n"
           "\n%s",
           help, cmd_client_exit_codes);
}

/* Parses argv (from the action's own name on) for action a: its own options, --server URL,
 * --json and -h/--help, then a->args positional arguments. Returns 0 to go on, -1 after
 * printing the help, else the usage exit code after printing the message. */
static int parse_action(struct admin_run *r, const struct admin_action *a, int argc, char **argv)
{
    struct option longopts[ADMIN_OPT_COUNT + 4];
    int n = 0;
    /* before getopt, which would take "--password" as short for --password-stdin */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strncmp(argv[i], "--password", 10) == 0 && strcmp(argv[i], "--password-stdin") != 0)
            return cmd_usage_error(r->cmd, "a password is never taken from the command line, "
                                           "where other users and the shell history see it; "
                                           "use --password-stdin or --ask-password");
    for (int id = 0; id < ADMIN_OPT_COUNT; id++)
        if (a->opts & (1u << id))
            longopts[n++] = (struct option){ options[id].name,
                                             options[id].value ? required_argument : no_argument,
                                             NULL, OPT_OWN + id };
    longopts[n++] = (struct option){ "server", required_argument, NULL, OPT_SERVER };
    longopts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
    longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
    longopts[n] = (struct option){ NULL, 0, NULL, 0 };
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1;) {
        if (c == 'h') {
            action_help(a->help);
            return -1;
        } else if (c == OPT_SERVER) {
            r->server_flag = optarg;
        } else if (c == OPT_JSON) {
            r->json = true;
        } else if (c >= OPT_OWN && c < OPT_OWN + ADMIN_OPT_COUNT) {
            r->opt[c - OPT_OWN] = options[c - OPT_OWN].value ? optarg : "";
        } else if (c == ':') {
            return cmd_usage_error(r->cmd, "option '%s' needs a value", argv[optind - 1]);
        } else {
            return cmd_usage_error(r->cmd, "unknown option '%s'; see 'da %s --help'",
                                   argv[optind - 1], r->cmd);
        }
    }
    r->args = argv + optind;
    r->nargs = argc - optind;
    r->argv = argv;
    r->argc = argc;
    if (r->nargs < a->args)
        return cmd_usage_error(r->cmd, "missing argument; see 'da %s --help'", r->cmd);
    if (r->nargs > a->args + a->optional_args)
        return cmd_usage_error(r->cmd, "unexpected argument '%s'",
                               r->args[a->args + a->optional_args]);
    r->tty = client_is_tty(STDOUT_FILENO);
    return 0;
}

/* Runs the action of row c of the group cmd ("admin users"): parse, check, connect, run,
 * close. A bad command line is exit code 2 before anything is sent. */
static int run_action(const char *cmd, const struct cmd *c, int argc, char **argv)
{
    const struct admin_action *a = c->action;
    struct admin_run r;
    memset(&r, 0, sizeof(r));
    snprintf(r.cmd, sizeof(r.cmd), "%s %s", cmd, c->name);
    int code = parse_action(&r, a, argc, argv);
    if (code)
        return code < 0 ? 0 : code;
    if (a->check && (code = a->check(&r)) != 0)
        return code;
    struct err err = { { 0 } };
    enum rc rc = client_open(r.server_flag, &r.cl, &err);
    if (rc) {
        client_close(&r.cl);
        return client_fail(r.cmd, NULL, rc, &err);
    }
    code = a->run(&r);
    client_close(&r.cl);
    return code;
}

int admin_dispatch(const char *cmd, const char *intro, const struct cmd *table, int argc,
                   char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("Usage: da %s COMMAND [OPTIONS]\n\n%s\n\nCommands:\n", cmd, intro);
        for (const struct cmd *c = table; c->name; c++)
            printf("  %-16s %s\n", c->name, c->summary);
        printf("\nRun 'da %s COMMAND --help' for its options.\n", cmd);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    for (const struct cmd *c = table; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            return c->action ? run_action(cmd, c, argc - 1, argv + 1) : c->run(argc - 1, argv + 1);
    return cmd_usage_error(cmd, "unknown command '%s'; see 'da %s --help'", argv[1], cmd);
}

int admin_opt_all(const struct admin_run *r, const char *name, const char **out, int max)
{
    int n = 0;
    size_t len = strlen(name);
    /* getopt has moved the positional arguments after the options; a value stays beside its
     * option */
    for (int i = 1; i < r->argc && n < max && strcmp(r->argv[i], "--") != 0; i++) {
        const char *a = r->argv[i];
        if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, len) != 0)
            continue;
        if (a[2 + len] == '=')
            out[n++] = a + 3 + len;
        else if (a[2 + len] == '\0' && i + 1 < r->argc)
            out[n++] = r->argv[++i];
    }
    return n;
}

int admin_fail(struct admin_run *r, enum rc rc, const struct err *err)
{
    int code = client_fail(r->cmd, r->cl.hc, rc, err);
    if (rc == RC_FORBIDDEN)
        fprintf(stderr,
                "da %s: this needs an admin's sign-in; 'da whoami' shows whose token "
                "is used\n",
                r->cmd);
    return code;
}

/* ---------------------------------------------------------------- users and output */

enum rc admin_list_users(struct admin_run *r, json_t **out, struct err *err)
{
    *out = NULL;
    json_t *list = NULL;
    enum rc rc = hc_get(r->cl.hc, "/api/users", &list, err);
    if (!rc && !json_is_array(list))
        rc = err_set(err, RC_INVALID, "the server's list of users is not an array");
    if (rc)
        json_decref(list);
    else
        *out = list;
    return rc;
}

enum rc admin_find_user(struct admin_run *r, const char *who, json_t **out, struct err *err)
{
    json_t *list = NULL, *u;
    size_t i;
    *out = NULL;
    enum rc rc = admin_list_users(r, &list, err);
    if (rc)
        return rc;
    bool by_email = strchr(who, '@') != NULL;
    json_array_foreach(list, i, u)
    {
        const char *have = admin_str(u, by_email ? "email" : "id");
        if (by_email ? strcasecmp(have, who) == 0 : strcmp(have, who) == 0) {
            *out = json_incref(u);
            break;
        }
    }
    json_decref(list);
    if (!*out)
        return err_set(err, RC_NOTFOUND, "no user '%.128s'; 'da admin users list' shows them", who);
    return RC_OK;
}

void admin_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *text = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)
        if (((unsigned char)*p < 0x20 && *p != '\n') || *p == 0x7f)
            *p = '?';
    fputs(text, stdout);
    free(text);
}

void admin_print_json(const struct admin_run *r, const json_t *j)
{
    char *text = json_dumps(j, (r->tty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_ENCODE_ANY);
    if (text)
        printf("%s\n", text);
    free(text);
}

const char *admin_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

bool admin_confirm(const char *question)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    char *prompt = xasprintf("%s [y/N] ", question);
    for (char *p = prompt; *p; p++) /* the question quotes text from the server */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    ssize_t shown = write(fd, prompt, strlen(prompt));
    (void)shown; /* the answer decides either way */
    free(prompt);
    char line[16];
    size_t n = 0;
    for (char ch; n + 1 < sizeof(line) && read(fd, &ch, 1) == 1 && ch != '\n';)
        line[n++] = ch;
    line[n] = '\0';
    close(fd);
    return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

/* ---------------------------------------------------------------- tables of text */

void admin_table_init(struct admin_table *t, const char *const *head)
{
    memset(t, 0, sizeof(*t));
    while (t->ncols < ADMIN_TABLE_MAX_COLS && head[t->ncols]) {
        t->head[t->ncols] = head[t->ncols];
        t->ncols++;
    }
}

/* A copy of s fit for one cell: line breaks and tabs become spaces (a piped line stays one
 * line of tab-separated fields) and other control characters '?'. */
static char *cell_copy(const char *s)
{
    char *c = xstrdup(s ? s : "");
    for (char *p = c; *p; p++) {
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
        else if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    }
    return c;
}

void admin_table_add(struct admin_table *t, const char *const *cells)
{
    t->cells = xgrow(t->cells, &t->cap, (size_t)(t->nrows + 1) * (size_t)t->ncols, sizeof(char *));
    for (int i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = cell_copy(cells[i]);
    t->nrows++;
}

/* Columns on the screen: one per UTF-8 character (wide characters are rare in this data). */
static int text_width(const char *s)
{
    return (int)utf8_length(s, strlen(s));
}

static void print_padded(const char *s, int width, bool last)
{
    fputs(s, stdout);
    if (!last)
        printf("%*s", width - text_width(s) + 2, "");
}

void admin_table_print(const struct admin_run *r, struct admin_table *t, const char *none)
{
    int width[ADMIN_TABLE_MAX_COLS] = { 0 };
    if (r->tty && t->nrows == 0) {
        fprintf(stderr, "%s\n", none);
    } else if (r->tty) {
        for (int c = 0; c < t->ncols; c++) {
            width[c] = text_width(t->head[c]);
            for (int i = 0; i < t->nrows; i++) {
                int w = text_width(t->cells[i * t->ncols + c]);
                width[c] = w > width[c] ? w : width[c];
            }
        }
        const char *term = getenv("TERM");
        bool bold = !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
        for (int c = 0; c < t->ncols; c++) {
            fputs(bold ? "\033[1m" : "", stdout);
            print_padded(t->head[c], width[c], c == t->ncols - 1);
            fputs(bold ? "\033[0m" : "", stdout);
        }
        putchar('\n');
        for (int i = 0; i < t->nrows; i++) {
            for (int c = 0; c < t->ncols; c++)
                print_padded(t->cells[i * t->ncols + c], width[c], c == t->ncols - 1);
            putchar('\n');
        }
    } else {
        for (int i = 0; i < t->nrows; i++)
            for (int c = 0; c < t->ncols; c++)
                printf("%s%c", t->cells[i * t->ncols + c], c == t->ncols - 1 ? '\n' : '\t');
    }
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = 0;
}
