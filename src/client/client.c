/* client.c — the shared start of every analyst command: server and token resolution, exit
 * codes, and reading secrets from a pipe or the terminal with echo off. */
#include "client/client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/mem.h"

/* ---------------------------------------------------------------- server and token */

enum rc client_server(const char *flag, char **out, struct err *err)
{
    *out = NULL;
    const char *env = getenv("DA_SERVER");
    if (flag && *flag)
        return hc_normalize_url(flag, out, err);
    if (env && *env)
        return hc_normalize_url(env, out, err);
    char *current = NULL;
    enum rc rc = settings_current_server(&current, err);
    if (rc == RC_NOTFOUND)
        return err_set(err, RC_NOTFOUND,
                       "no server: give --server URL, set DA_SERVER, or run "
                       "da login --server URL once");
    if (!rc) {
        rc = hc_normalize_url(current, out, err);
        free(current);
    }
    return rc;
}

enum rc client_open(const char *server_flag, struct client *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    enum rc rc = client_server(server_flag, &out->server, err);
    if (rc)
        return rc;
    const char *env_token = getenv("DA_TOKEN");
    const char *token = NULL;
    if (env_token && *env_token) {
        out->token_from_env = true;
        token = env_token;
    } else {
        rc = settings_credential_get(out->server, &out->cred, err);
        if (rc == RC_NOTFOUND)
            return err_set(err, RC_UNAUTHORIZED, "not logged in to %s; run: da login --server %s",
                           out->server, out->server);
        if (rc)
            return rc;
        token = out->cred.token;
    }
    rc = hc_new(out->server, &out->hc, err);
    if (!rc)
        hc_set_token(out->hc, token);
    return rc;
}

void client_close(struct client *c)
{
    hc_free(&c->hc);
    settings_credential_clear(&c->cred);
    free(c->server);
    memset(c, 0, sizeof(*c));
}

int client_exit_code(const struct hc *hc, enum rc rc)
{
    if (rc == RC_OK)
        return CLIENT_EXIT_OK;
    if (rc == RC_IO && hc && !hc_reached(hc))
        return CLIENT_EXIT_UNREACHABLE;
    if (rc == RC_UNAUTHORIZED || rc == RC_FORBIDDEN)
        return CLIENT_EXIT_AUTH;
    return CLIENT_EXIT_FAIL;
}

int client_fail(const char *cmd, const struct hc *hc, enum rc rc, const struct err *err)
{
    fprintf(stderr, "da %s: %s\n", cmd, err && err->msg[0] ? err->msg : rc_str(rc));
    return client_exit_code(hc, rc);
}

bool client_is_tty(int fd)
{
    return isatty(fd) == 1;
}

char *client_name(void)
{
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
        snprintf(host, sizeof(host), "an unnamed machine");
    host[sizeof(host) - 1] = '\0';
    for (char *p = host; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            *p = '?';
    return xasprintf("da CLI on %.100s", host);
}

/* ---------------------------------------------------------------- secrets */

/* The terminal settings to put back if a signal ends the program while echo is off. */
static struct termios saved_tty;
static volatile sig_atomic_t tty_fd_saved = -1;

static void restore_tty_and_die(int sig)
{
    if (tty_fd_saved >= 0)
        tcsetattr(tty_fd_saved, TCSAFLUSH, &saved_tty); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Reads one line from fd into buf (cap bytes with the NUL), byte by byte so nothing past
 * the line is consumed. *out_len gets its length without the line end. RC_TOOBIG when the
 * line is longer; RC_NOTFOUND at end of input before any byte. */
static enum rc read_line(int fd, char *buf, size_t cap, size_t *out_len, struct err *err)
{
    size_t n = 0;
    bool any = false;
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_set(err, RC_IO, "cannot read: %s", strerror(errno));
        if (r == 0)
            break;
        any = true;
        if (ch == '\n')
            break;
        if (n + 1 >= cap) {
            mem_wipe(buf, n);
            return err_set(err, RC_TOOBIG, "longer than %zu bytes", cap - 1);
        }
        buf[n++] = ch;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *out_len = n;
    return any ? RC_OK : err_set(err, RC_NOTFOUND, "no input");
}

static enum rc read_from_tty(const char *prompt, char *buf, size_t cap, size_t *out_len,
                             struct err *err)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return err_set(err, RC_INVALID,
                       "no terminal to ask on; pipe the secret to standard "
                       "input instead (see --help)");
    struct termios off;
    bool echo_off = tcgetattr(fd, &saved_tty) == 0;
    struct sigaction sa = { .sa_handler = restore_tty_and_die }, old_int, old_term, old_hup;
    sigemptyset(&sa.sa_mask);
    if (echo_off) {
        tty_fd_saved = fd;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGHUP, &sa, &old_hup);
        off = saved_tty;
        off.c_lflag &= (tcflag_t)~ECHO;
        off.c_lflag |= ECHONL;
        tcsetattr(fd, TCSAFLUSH, &off);
    }
    ssize_t shown = write(fd, prompt, strlen(prompt));
    (void)shown; /* a prompt that did not show does not stop the typing */
    enum rc rc = read_line(fd, buf, cap, out_len, err);
    if (echo_off) {
        tcsetattr(fd, TCSAFLUSH, &saved_tty);
        tty_fd_saved = -1;
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
    }
    close(fd);
    return rc;
}

enum rc client_read_secret(const char *prompt, bool from_stdin, char **out, struct err *err)
{
    char *buf = xmalloc(CLIENT_SECRET_MAX + 1);
    size_t len = 0;
    *out = NULL;
    enum rc rc = from_stdin ? read_line(STDIN_FILENO, buf, CLIENT_SECRET_MAX + 1, &len, err)
                            : read_from_tty(prompt, buf, CLIENT_SECRET_MAX + 1, &len, err);
    if (rc == RC_NOTFOUND || (!rc && len == 0))
        rc = err_set(err, RC_INVALID, "empty input: nothing was %s",
                     from_stdin ? "piped to "
                                  "standard input"
                                : "typed");
    else if (rc == RC_TOOBIG)
        rc = err_set(err, RC_INVALID, "the input is longer than %d bytes", CLIENT_SECRET_MAX);
    if (rc) {
        mem_wipe(buf, CLIENT_SECRET_MAX + 1);
        free(buf);
        return rc;
    }
    *out = buf;
    return RC_OK;
}

void client_secret_free(char *secret)
{
    if (secret) {
        mem_wipe(secret, strlen(secret));
        free(secret);
    }
}
