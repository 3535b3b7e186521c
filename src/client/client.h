/* client.h — what every analyst command (login, sync, query, catalog, status, upload, ...)
 * shares: which server to talk to and with which token, the exit codes, secrets read
 * without echo, and whether a person is watching.
 *
 * The server is --server, else $DA_SERVER, else the one `da login` made current. The token
 * is $DA_TOKEN (for scripts: a token in the environment, never on a command line), else the
 * credential stored for that server. A typical command:
 *
 *     struct client cl;
 *     struct err err;
 *     enum rc rc = client_open(server_flag, &cl, &err);
 *     if (rc)
 *         return client_fail("sync", NULL, rc, &err);
 *     json_t *manifest = NULL;
 *     rc = hc_get(cl.hc, "/api/sync/manifest", &manifest, &err);
 *     int code = rc ? client_fail("sync", cl.hc, rc, &err) : 0;
 *     ...
 *     json_decref(manifest);
 *     client_close(&cl);
 *     return code;
 */
#ifndef DA_CLIENT_CLIENT_H
#define DA_CLIENT_CLIENT_H

#include <stdbool.h>

#include "base/compat.h"
#include "base/rc.h"
#include "client/http_client.h"
#include "client/settings.h"

/* Exit codes of the client commands (docs/API.md and `da login --help` list them). */
#define CLIENT_EXIT_OK          0
#define CLIENT_EXIT_FAIL        1 /* anything else: a local problem, a bad answer */
#define CLIENT_EXIT_USAGE       2 /* bad command line (the same as EXIT_USAGE) */
#define CLIENT_EXIT_UNREACHABLE 3 /* the server gave no answer */
/* not logged in, the server refused the credential or the action (401, 403), or a browser
 * sign-in was denied or expired */
#define CLIENT_EXIT_AUTH 4
/* da sync: not enough disk space for what it would download (refused before writing) */
#define CLIENT_EXIT_NO_SPACE 5

#define CLIENT_SECRET_MAX 4096 /* bytes of a password or token typed or piped in */

/* A command's connection to its server as the logged-in user. */
struct client {
    char *server;                    /* the normalised URL */
    struct hc *hc;                   /* carries the token */
    bool token_from_env;             /* DA_TOKEN was used */
    struct settings_credential cred; /* the stored credential; zeroed when from DA_TOKEN */
};

/* The server to talk to: flag (may be NULL), else $DA_SERVER, else the current server of the
 * config; normalised. RC_NOTFOUND with a hint when none is known; RC_INVALID for a bad URL.
 * *out is freed by the caller. */
enum rc client_server(const char *flag, char **out, struct err *err) WARN_UNUSED;

/* Opens out for the server of client_server(flag) with the token of $DA_TOKEN or of the
 * stored credential. RC_UNAUTHORIZED ("not logged in to URL; run: da login --server URL")
 * when there is no token; other failures are local (a bad URL, an unsafe credentials file).
 * Nothing is sent to the server yet. Release with client_close, also after a failure. */
enum rc client_open(const char *server_flag, struct client *out, struct err *err) WARN_UNUSED;

/* Frees what client_open made and wipes the token. Safe on a zeroed struct. */
void client_close(struct client *c);

/* The exit code for rc: 0 for RC_OK; CLIENT_EXIT_UNREACHABLE when rc came from a call on hc
 * (NULL for local work) that got no answer; CLIENT_EXIT_AUTH for RC_UNAUTHORIZED and
 * RC_FORBIDDEN; else CLIENT_EXIT_FAIL. */
int client_exit_code(const struct hc *hc, enum rc rc);

/* Prints "da CMD: <err>" to stderr and returns client_exit_code(hc, rc). */
int client_fail(const char *cmd, const struct hc *hc, enum rc rc, const struct err *err);

/* Reads a secret without it ever being on a command line: the first line of standard input
 * when from_stdin, else typed at the terminal (/dev/tty) after prompt, with echo off.
 * RC_INVALID when it is empty, longer than CLIENT_SECRET_MAX, or there is no terminal to
 * ask on. *out is released with client_secret_free. */
enum rc client_read_secret(const char *prompt, bool from_stdin, char **out,
                           struct err *err) WARN_UNUSED;

/* Wipes and frees a secret. Accepts NULL. */
void client_secret_free(char *secret);

/* True when fd is a terminal: commands show progress and hints only to a person, and stay
 * quiet when piped. */
bool client_is_tty(int fd);

/* This machine's name for tokens the client creates: "da CLI on <hostname>" (printable
 * ASCII only). Freed by the caller. */
char *client_name(void);

#endif
