/* login.c — `da login`, `da logout` and `da whoami`: the analyst's credential for a server.
 *
 * Whichever way a user signs in (password, a token they paste, or approval in the browser),
 * what is stored is a personal access token of this machine: long-lived, named after it and
 * revocable on its own, in the credentials file of client/settings.c. A password only ever
 * buys a short session, which makes the token and is ended at once. No secret is ever taken
 * from the command line or put in a URL. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "client/client.h"
#include "cmd/cmd.h"

extern char **environ;

#define LOGIN_TOKEN_DAYS     90 /* the token made from a password sign-in */
#define LOGIN_POLL_RETRIES   3  /* polls in a row that may find the server unreachable */
#define LOGIN_SLOW_DOWN_S    5  /* RFC 8628: add this to the interval on slow_down */
#define LOGIN_MAX_INTERVAL_S 60

static const char exit_codes_help[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  any other failure (a local file, an unexpected answer)\n"
    "  2  bad command line\n"
    "  3  the server could not be reached\n"
    "  4  not logged in, the server refused the credential, or a browser sign-in was\n"
    "     denied or expired\n";

static void login_help(void)
{
    printf("Usage: da login [--server URL] [--email EMAIL [--password-stdin]]\n"
           "       da login [--server URL] --token\n"
           "       da login [--server URL] [--browser] [--no-open]\n"
           "\n"
           "Sign in to a da server and store a personal access token for this machine in\n"
           "$XDG_CONFIG_HOME/da/credentials.json (default ~/.config/da; mode 0600). The server\n"
           "becomes the default for later commands.\n"
           "\n"
           "Ways to sign in:\n"
           "  (default), --browser  open a page in the browser, check the code it shows and\n"
           "                        approve; the command waits for the approval\n"
           "  --email EMAIL         with a password, asked for without echo (or read from\n"
           "                        standard input with --password-stdin)\n"
           "  --token               with a personal access token (da_pat_...) made in the web\n"
           "                        UI, asked for without echo or read from standard input\n"
           "\n"
           "Secrets are never taken from the command line, where other users and the shell\n"
           "history would see them: pipe them in, e.g. da login --token < token.txt\n"
           "\n"
           "Options:\n"
           "  --server URL       the server (default: $DA_SERVER, else the current server)\n"
           "  --email EMAIL      sign in with this account's password\n"
           "  --password-stdin   read the password from the first line of standard input\n"
           "  --token            sign in with a personal access token\n"
           "  --browser          sign in through the browser (the default)\n"
           "  --no-open          do not try to open the browser; just print the address\n"
           "  -h, --help         show this help\n"
           "\n"
           "Scripts can skip login: DA_SERVER and DA_TOKEN in the environment are used by\n"
           "every command.\n"
           "\n%s",
           exit_codes_help);
}

static void logout_help(void)
{
    printf("Usage: da logout [--server URL]\n"
           "\n"
           "Revoke the stored personal access token on the server and delete it here. When\n"
           "the server cannot be reached, the token is still deleted here (exit code 3), and\n"
           "stays valid on the server until it expires or is revoked in the web UI.\n"
           "\n"
           "Options:\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  -h, --help     show this help\n"
           "\n%s",
           exit_codes_help);
}

static void whoami_help(void)
{
    printf("Usage: da whoami [--server URL] [--json]\n"
           "\n"
           "Ask the server who the stored token (or $DA_TOKEN) belongs to, and print the\n"
           "server, the email and the role.\n"
           "\n"
           "Options:\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  --json         print {server, id, email, name, role, token_source} as JSON\n"
           "  -h, --help     show this help\n"
           "\n%s",
           exit_codes_help);
}

/* ---------------------------------------------------------------- small helpers */

static void sleep_s(int seconds)
{
    struct timespec ts = { seconds, 0 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A string member of obj, or NULL. */
static const char *member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Text from the server printed to the terminal: no control characters. */
static void print_clean(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static bool is_local_host(const char *url)
{
    /* url is normalised: scheme://host[:port][/path], host lower-case */
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t len = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/");
    if (len == 9 && strncmp(host, "localhost", 9) == 0)
        return true;
    if (len == 5 && strncmp(host, "[::1]", 5) == 0)
        return true;
    if (strncmp(host, "127.", 4) != 0)
        return false;
    for (size_t i = 4; i < len; i++) /* 127.x.y.z, not a name such as 127.evil.com */
        if (!(host[i] == '.' || (host[i] >= '0' && host[i] <= '9')))
            return false;
    return true;
}

/* Starts the desktop's URL opener without waiting for it. False when there is none to use. */
static bool open_browser(const char *url)
{
#ifdef __APPLE__
    const char *opener = "open";
#else
    const char *opener = "xdg-open";
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
        return false;
#endif
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        return false; /* an opener also takes file names and options: only a web address */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char *args[] = { (char *)opener, (char *)url, NULL };
    pid_t pid;
    int r = posix_spawnp(&pid, opener, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    return r == 0;
}

/* What a way of signing in hands back: a personal access token and, when known, its id. */
struct obtained {
    char *token;
    char *token_id;
};

static void obtained_clear(struct obtained *o)
{
    client_secret_free(o->token);
    free(o->token_id);
    memset(o, 0, sizeof(*o));
}

/* Takes the string member key of a server answer as a secret (wiping it in the answer). */
static char *take_secret(json_t *obj, const char *key)
{
    const char *s = member(obj, key);
    char *copy = s ? xstrdup(s) : NULL;
    hc_json_wipe(obj, key);
    return copy;
}

/* ---------------------------------------------------------------- the ways to sign in */

/* Password: a short session makes a token for this machine and is ended. */
static int by_password(struct hc *hc, const char *email, bool from_stdin, struct obtained *out)
{
    struct err err = { { 0 } };
    char *password = NULL, *session = NULL, *prompt = NULL, *name = client_name();
    json_t *body = NULL, *answer = NULL;
    int code = CLIENT_EXIT_OK;
    prompt = xasprintf("Password for %s at %s: ", email, hc_base_url(hc));
    enum rc rc = client_read_secret(prompt, from_stdin, &password, &err);
    if (rc) {
        fprintf(stderr, "da login: password: %s\n", err.msg);
        code = CLIENT_EXIT_USAGE;
        goto out;
    }
    body = json_pack("{s:s, s:s}", "email", email, "password", password);
    rc = body ? hc_post(hc, "/auth/token", body, &answer, &err)
              : err_set(&err, RC_INVALID, "the email or password is not valid UTF-8");
    hc_json_wipe(body, "password");
    json_decref(body);
    body = NULL;
    if (rc) {
        code = client_fail("login", hc, rc, &err);
        goto out;
    }
    session = take_secret(answer, "access_token");
    json_decref(answer);
    answer = NULL;
    if (!session) {
        fprintf(stderr, "da login: the server's answer has no access_token\n");
        code = CLIENT_EXIT_FAIL;
        goto out;
    }
    hc_set_token(hc, session);
    body = json_pack("{s:s, s:i}", "name", name, "expires_in_days", LOGIN_TOKEN_DAYS);
    rc = hc_post(hc, "/api/tokens", body, &answer, &err);
    if (rc) {
        code = client_fail("login", hc, rc, &err);
    } else {
        out->token = take_secret(answer, "token");
        out->token_id = xstrdup(member(answer, "id") ? member(answer, "id") : "");
        if (!out->token) {
            fprintf(stderr, "da login: the server's answer has no token\n");
            code = CLIENT_EXIT_FAIL;
        }
    }
    /* the session has done its job; a 24-hour bearer token should not outlive it */
    struct err ignored;
    if (hc_post(hc, "/auth/logout", NULL, NULL, &ignored) != RC_OK && client_is_tty(STDERR_FILENO))
        fprintf(stderr, "da login: warning: could not end the temporary session: %s\n",
                ignored.msg);
    hc_set_token(hc, NULL);
out:
    json_decref(answer);
    json_decref(body);
    client_secret_free(password);
    client_secret_free(session);
    free(prompt);
    free(name);
    return code;
}

/* A token the user pastes: checked, and its id looked up so logout can revoke it. */
static int by_token(struct hc *hc, struct obtained *out)
{
    struct err err = { { 0 } };
    bool piped = !client_is_tty(STDIN_FILENO);
    enum rc rc = client_read_secret("Personal access token: ", piped, &out->token, &err);
    if (rc) {
        fprintf(stderr, "da login: token: %s\n", err.msg);
        return CLIENT_EXIT_USAGE;
    }
    if (strncmp(out->token, "da_pat_", 7) != 0) {
        fprintf(stderr, "da login: that is not a personal access token (they start with "
                        "da_pat_); make one in the web UI, or sign in with --email or "
                        "--browser\n");
        return CLIENT_EXIT_USAGE;
    }
    hc_set_token(hc, out->token);
    json_t *answer = NULL;
    rc = hc_get(hc, "/api/tokens/current", &answer, &err);
    if (rc) {
        int code = client_fail("login", hc, rc, &err);
        json_decref(answer);
        return code;
    }
    out->token_id = xstrdup(member(answer, "id") ? member(answer, "id") : "");
    json_decref(answer);
    return CLIENT_EXIT_OK;
}

/* The device flow's polling: until a token arrives, or the sign-in is denied or expires. */
static int poll_device(struct hc *hc, const char *device_code, int interval, int expires_in,
                       struct obtained *out)
{
    time_t deadline = time(NULL) + expires_in;
    int unreachable = 0;
    json_t *body = json_pack("{s:s}", "device_code", device_code);
    int code = CLIENT_EXIT_OK;
    for (;;) {
        if (time(NULL) + interval > deadline + 1) {
            fprintf(stderr, "da login: the code expired before the sign-in was approved; run "
                            "da login again\n");
            code = CLIENT_EXIT_AUTH;
            break;
        }
        sleep_s(interval);
        struct err err = { { 0 } };
        json_t *answer = NULL;
        enum rc rc = hc_post(hc, "/auth/device/token", body, &answer, &err);
        char what_buf[32] = "";
        if (member(answer, "error"))
            snprintf(what_buf, sizeof(what_buf), "%s", member(answer, "error"));
        const char *what = what_buf[0] ? what_buf : NULL; /* outlives the answer */
        if (!rc) {
            out->token = take_secret(answer, "access_token");
            out->token_id = xstrdup(member(answer, "token_id") ? member(answer, "token_id") : "");
            json_decref(answer);
            if (!out->token) {
                fprintf(stderr, "da login: the server's answer has no access_token\n");
                code = CLIENT_EXIT_FAIL;
            }
            break;
        }
        json_decref(answer);
        if (!hc_reached(hc)) {
            if (++unreachable < LOGIN_POLL_RETRIES) {
                if (client_is_tty(STDERR_FILENO))
                    fprintf(stderr, "da login: %s; trying again\n", err.msg);
                continue;
            }
            code = client_fail("login", hc, rc, &err);
            break;
        }
        unreachable = 0;
        if (what && strcmp(what, "authorization_pending") == 0)
            continue;
        if (what && strcmp(what, "slow_down") == 0) {
            interval += LOGIN_SLOW_DOWN_S;
            if (interval > LOGIN_MAX_INTERVAL_S)
                interval = LOGIN_MAX_INTERVAL_S;
            continue;
        }
        if (what && strcmp(what, "access_denied") == 0) {
            fprintf(stderr, "da login: the sign-in was denied in the browser\n");
            code = CLIENT_EXIT_AUTH;
        } else if (what && strcmp(what, "expired_token") == 0) {
            fprintf(stderr, "da login: the code expired before the sign-in was approved; run "
                            "da login again\n");
            code = CLIENT_EXIT_AUTH;
        } else if (what) {
            fprintf(stderr, "da login: the server ended the sign-in: %s\n", err.msg);
            code = CLIENT_EXIT_AUTH;
        } else {
            code = client_fail("login", hc, rc, &err);
        }
        break;
    }
    hc_json_wipe(body, "device_code");
    json_decref(body);
    return code;
}

/* Browser sign-in (RFC 8628): show the address and code, maybe open the browser, poll. */
static int by_browser(struct hc *hc, bool no_open, struct obtained *out)
{
    struct err err = { { 0 } };
    char *name = client_name();
    json_t *body = json_pack("{s:s}", "client_name", name);
    json_t *answer = NULL;
    char *device_code = NULL;
    int code = CLIENT_EXIT_OK;
    enum rc rc = hc_post(hc, "/auth/device/code", body, &answer, &err);
    if (rc) {
        code = client_fail("login", hc, rc, &err);
        goto out;
    }
    const char *user_code = member(answer, "user_code");
    const char *uri = member(answer, "verification_uri");
    const char *complete = member(answer, "verification_uri_complete");
    json_int_t interval = json_integer_value(json_object_get(answer, "interval"));
    json_int_t expires_in = json_integer_value(json_object_get(answer, "expires_in"));
    device_code = take_secret(answer, "device_code");
    if (!device_code || !user_code || !uri) {
        fprintf(stderr, "da login: the server's answer to the sign-in request is incomplete; is "
                        "it a da server that supports browser sign-in?\n");
        code = CLIENT_EXIT_FAIL;
        goto out;
    }
    if (interval < 1 || interval > LOGIN_MAX_INTERVAL_S)
        interval = 5;
    if (expires_in < 1 || expires_in > 3600)
        expires_in = 600;
    /* the address and code must reach the person even when stdout feeds a script */
    FILE *say = client_is_tty(STDOUT_FILENO) ? stdout : stderr;
    const char *page = complete ? complete : uri;
    fputs("To sign in, open this page in a browser where you are signed in to da:\n\n    ", say);
    print_clean(say, page);
    fputs("\n\nand check that it shows the code ", say);
    print_clean(say, user_code);
    fputs(".\n", say);
    if (!no_open && client_is_tty(STDIN_FILENO) && client_is_tty(STDERR_FILENO) &&
        open_browser(page))
        fputs("(Opening the browser.)\n", say);
    if (client_is_tty(STDERR_FILENO))
        fprintf(stderr,
                "Waiting for the approval (the code expires in %d minutes; Ctrl-C "
                "stops)...\n",
                (int)((expires_in + 59) / 60));
    fflush(say);
    code = poll_device(hc, device_code, (int)interval, (int)expires_in, out);
out:
    client_secret_free(device_code);
    json_decref(answer);
    json_decref(body);
    free(name);
    return code;
}

/* ---------------------------------------------------------------- da login */

struct login_args {
    const char *server, *email;
    bool password_stdin, token, browser, no_open;
};

static int parse_login(int argc, char **argv, struct login_args *a)
{
    enum { OPT_SERVER = 256, OPT_EMAIL, OPT_STDIN, OPT_TOKEN, OPT_BROWSER, OPT_NO_OPEN };
    static const struct option opts[] = {
        { "server", required_argument, NULL, OPT_SERVER },
        { "email", required_argument, NULL, OPT_EMAIL },
        { "password-stdin", no_argument, NULL, OPT_STDIN },
        { "token", no_argument, NULL, OPT_TOKEN },
        { "browser", no_argument, NULL, OPT_BROWSER },
        { "no-open", no_argument, NULL, OPT_NO_OPEN },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char never_argv[] = "a token is never taken from the command line, where other "
                                     "users and the shell history see it; pipe it in: "
                                     "da login --token < FILE";
    /* before getopt, which would take "--password" as short for --password-stdin */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--token=", 8) == 0)
            return cmd_usage_error("login", "%s", never_argv);
        if (strncmp(argv[i], "--password", 10) == 0 && strcmp(argv[i], "--password-stdin") != 0)
            return cmd_usage_error("login", "a password is never taken from the command line; "
                                            "use --password-stdin or type it when asked");
    }
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            login_help();
            return -1;
        case OPT_SERVER:
            a->server = optarg;
            break;
        case OPT_EMAIL:
            a->email = optarg;
            break;
        case OPT_STDIN:
            a->password_stdin = true;
            break;
        case OPT_TOKEN:
            a->token = true;
            break;
        case OPT_BROWSER:
            a->browser = true;
            break;
        case OPT_NO_OPEN:
            a->no_open = true;
            break;
        case ':':
            return cmd_usage_error("login", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error("login", "unknown option '%s'; see 'da login --help'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc) {
        if (a->token || strncmp(argv[optind], "da_pat_", 7) == 0)
            return cmd_usage_error("login", "%s", never_argv);
        return cmd_usage_error("login", "unexpected argument '%s'", argv[optind]);
    }
    if ((a->email != NULL) + a->token + a->browser > 1)
        return cmd_usage_error("login", "choose one way to sign in: --email, --token or "
                                        "--browser");
    if (a->password_stdin && !a->email)
        return cmd_usage_error("login", "--password-stdin goes with --email");
    if (a->no_open && (a->email || a->token))
        return cmd_usage_error("login", "--no-open goes with the browser sign-in");
    return 0;
}

/* Revokes a token this machine no longer uses (after a new login); quiet on failure. */
static void revoke_replaced(const struct settings_credential *old, const char *new_token)
{
    if (!old->token || !old->token_id || !*old->token_id || strcmp(old->token, new_token) == 0)
        return;
    struct hc *hc = NULL;
    struct err err;
    if (hc_new(old->server, &hc, &err) != RC_OK)
        return;
    hc_set_token(hc, old->token);
    char *id = hc_escape(old->token_id);
    char *path = xasprintf("/api/tokens/%s", id);
    if (hc_delete(hc, path, NULL, &err) != RC_OK && hc_status(hc) != 401 && hc_status(hc) != 404 &&
        client_is_tty(STDERR_FILENO))
        fprintf(stderr, "da login: warning: could not revoke the token this one replaces: %s\n",
                err.msg);
    free(path);
    free(id);
    hc_free(&hc);
}

int cmd_login(int argc, char **argv)
{
    struct login_args a = { 0 };
    int code = parse_login(argc, argv, &a);
    if (code)
        return code < 0 ? 0 : code;
    struct err err = { { 0 } };
    struct hc *hc = NULL;
    struct obtained got = { 0 };
    struct settings_credential old = { 0 }, cred = { 0 };
    json_t *me = NULL;
    char *server = NULL;
    enum rc rc = client_server(a.server, &server, &err);
    if (rc) { /* no server or a bad URL is a usage error; a broken config file is not */
        code = rc == RC_NOTFOUND || rc == RC_INVALID ? cmd_usage_error("login", "%s", err.msg)
                                                     : client_fail("login", NULL, rc, &err);
        goto out;
    }
    rc = hc_new(server, &hc, &err);
    if (rc) {
        code = client_fail("login", NULL, rc, &err);
        goto out;
    }
    if (strncmp(server, "http://", 7) == 0 && !is_local_host(server))
        fprintf(stderr,
                "da login: warning: %s is not https; the password and token travel "
                "unencrypted\n",
                server);
    if (a.email)
        code = by_password(hc, a.email, a.password_stdin, &got);
    else if (a.token)
        code = by_token(hc, &got);
    else
        code = by_browser(hc, a.no_open, &got);
    if (code)
        goto out;

    /* every way ends the same: the token must work, then it is stored */
    hc_set_token(hc, got.token);
    rc = hc_get(hc, "/api/me", &me, &err);
    if (rc) {
        code = client_fail("login", hc, rc, &err);
        goto out;
    }
    const char *email = member(me, "email"), *role = member(me, "role");
    cred = (struct settings_credential){ .server = server,
                                         .token = got.token,
                                         .token_id = got.token_id,
                                         .email = (char *)(email ? email : ""),
                                         .role = (char *)(role ? role : "") };
    rc = settings_credential_get(server, &old, &err);
    if (rc && rc != RC_NOTFOUND)
        fprintf(stderr,
                "da login: warning: the old credential is not readable, it is replaced: "
                "%s\n",
                err.msg);
    rc = settings_credential_put(&cred, &err);
    if (!rc)
        rc = settings_set_current_server(server, &err);
    if (rc) {
        code = client_fail("login", NULL, rc, &err);
        goto out;
    }
    revoke_replaced(&old, got.token);
    printf("Logged in to %s as ", server);
    print_clean(stdout, cred.email);
    printf(" (");
    print_clean(stdout, cred.role);
    printf(")\n");
out:
    settings_credential_clear(&old);
    obtained_clear(&got);
    json_decref(me);
    hc_free(&hc);
    free(server);
    return code;
}

/* ---------------------------------------------------------------- da logout */

int cmd_logout(int argc, char **argv)
{
    const char *flag = NULL;
    int code = cmd_client_opts("logout", logout_help, argc, argv, &flag, NULL, 0);
    if (code)
        return code < 0 ? 0 : code;
    struct err err = { { 0 } };
    struct settings_credential cred = { 0 };
    struct hc *hc = NULL;
    char *server = NULL;
    enum rc rc = client_server(flag, &server, &err);
    if (rc == RC_NOTFOUND) {
        printf("Not logged in.\n");
        return CLIENT_EXIT_OK;
    }
    if (rc)
        return cmd_usage_error("logout", "%s", err.msg);
    rc = settings_credential_get(server, &cred, &err);
    if (rc == RC_NOTFOUND) {
        printf("Not logged in to %s.\n", server);
        goto out;
    }
    if (rc) {
        code = client_fail("logout", NULL, rc, &err);
        goto out;
    }
    if (!cred.token_id[0]) {
        fprintf(stderr, "da logout: warning: the stored token's id is unknown, so it cannot be "
                        "revoked from here; revoke it in the web UI\n");
    } else {
        rc = hc_new(server, &hc, &err);
        if (!rc) {
            hc_set_token(hc, cred.token);
            char *id = hc_escape(cred.token_id);
            char *path = xasprintf("/api/tokens/%s", id);
            rc = hc_delete(hc, path, NULL, &err);
            free(path);
            free(id);
        }
        if (rc && hc && hc_reached(hc) && (hc_status(hc) == 401 || hc_status(hc) == 404)) {
            rc = RC_OK; /* revoked or expired already: the goal is reached */
        } else if (rc) {
            fprintf(stderr,
                    "da logout: warning: the token could not be revoked on the server "
                    "(%s); it is deleted here but stays valid there until it expires "
                    "or is revoked in the web UI\n",
                    err.msg);
            code = client_exit_code(hc, rc);
        }
    }
    rc = settings_credential_delete(server, NULL, &err);
    if (rc) {
        code = client_fail("logout", NULL, rc, &err);
        goto out;
    }
    printf("Logged out of %s.\n", server);
    const char *env_token = getenv("DA_TOKEN");
    if (env_token && *env_token)
        fprintf(stderr, "da logout: note: DA_TOKEN is set in the environment, and commands "
                        "still use it\n");
out:
    settings_credential_clear(&cred);
    hc_free(&hc);
    free(server);
    return code;
}

/* ---------------------------------------------------------------- da whoami */

int cmd_whoami(int argc, char **argv)
{
    const char *flag = NULL;
    bool as_json = false;
    int code = cmd_client_opts("whoami", whoami_help, argc, argv, &flag, &as_json, 0);
    if (code)
        return code < 0 ? 0 : code;
    struct client cl;
    struct err err = { { 0 } };
    json_t *me = NULL;
    enum rc rc = client_open(flag, &cl, &err);
    if (rc) {
        code = client_fail("whoami", NULL, rc, &err);
        goto out;
    }
    rc = hc_get(cl.hc, "/api/me", &me, &err);
    if (rc) {
        code = client_fail("whoami", cl.hc, rc, &err);
        goto out;
    }
    const char *source = cl.token_from_env ? "environment" : "credentials";
    if (as_json) {
        json_t *o =
            json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s}", "server", cl.server, "id",
                      member(me, "id"), "email", member(me, "email"), "name", member(me, "name"),
                      "role", member(me, "role"), "token_source", source);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(o);
    } else {
        printf("server  %s\nemail   ", cl.server);
        print_clean(stdout, member(me, "email") ? member(me, "email") : "");
        printf("\nrole    ");
        print_clean(stdout, member(me, "role") ? member(me, "role") : "");
        printf("\n");
    }
out:
    json_decref(me);
    client_close(&cl);
    return code;
}
