/* admin.c — `da admin`: administration. `da admin bootstrap` runs on the server machine and
 * creates the first admin straight in the state store (refusing when an admin exists), so a
 * new server needs no anonymous endpoint to get its first admin. The API-backed admin
 * commands come with the client. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "auth/password.h"
#include "base/fileio.h"
#include "base/mem.h"
#include "cmd/cmd.h"

static void admin_help(void)
{
    printf("Usage: da admin COMMAND [OPTIONS]\n"
           "\n"
           "Commands:\n"
           "  bootstrap   create the first admin in the state store (on the server machine)\n"
           "\n"
           "Run 'da admin COMMAND --help' for its options.\n");
}

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

static int bootstrap(int argc, char **argv)
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
            return cmd_usage_error("admin bootstrap", "unknown option '%s'; see 'da admin "
                                                      "bootstrap --help'", argv[optind - 1]);
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
    char *phc = NULL;
    struct user u = { .active = true };
    enum rc rc = password ? RC_OK : err_set(&err, RC_INVALID, "no password on standard input");
    if (!rc)
        rc = api_user_fill(&u, email, name, "admin", &err);
    if (!rc)
        rc = password_check_policy(password, &err);
    if (!rc)
        rc = file_mkdir_p(state, 0700, &err);
    if (!rc)
        rc = store_open(db, 1, &store, &err);
    if (!rc)
        rc = password_hash(password, &phc, &err);
    api_new_id(u.id);
    struct audit_entry audit = { .actor_email = u.email, .action = "bootstrap",
                                 .target = u.email, .result = "ok", .detail = "da admin bootstrap" };
    if (!rc)
        rc = users_create_first_admin(store, &u, phc, &audit, &err);
    store_close(&store);
    if (password)
        mem_wipe(password, strlen(password));
    free(password);
    free(phc);
    free(state);
    free(db);
    if (rc) {
        fprintf(stderr, "da admin bootstrap: %s\n", err.msg);
        return 1;
    }
    printf("created admin %s\n", u.email);
    return 0;
}

int cmd_admin(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        admin_help();
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "bootstrap") == 0)
        return bootstrap(argc - 1, argv + 1);
    return cmd_usage_error("admin", "unknown command '%s'; see 'da admin --help'", argv[1]);
}
