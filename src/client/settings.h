/* settings.h — the client's files on the analyst's machine, in one folder (mode 0700):
 * $XDG_CONFIG_HOME/da, or ~/.config/da when XDG_CONFIG_HOME is unset or not absolute.
 *
 *   config.json       {"current_server": URL, "servers": {URL: {key: value}}}: the server
 *                     commands talk to by default, and per-server settings (a sync folder...)
 *   credentials.json  {"servers": {URL: {token, token_id, email, role}}}, mode 0600: one
 *                     personal access token per server
 *
 * Servers are keyed by their URL as hc_normalize_url gives it. Every write is atomic (a
 * temporary file in the same folder, fsync, rename, fsync of the folder) and made under a
 * lock (.lock in the folder), so two commands writing at once do not lose each other's
 * change. A credentials file that is not a plain file of the current user, or that group or
 * others could read, is refused with a message saying how to fix it. */
#ifndef DA_CLIENT_SETTINGS_H
#define DA_CLIENT_SETTINGS_H

#include <stdbool.h>

#include "base/compat.h"
#include "base/rc.h"

#define SETTINGS_FILE_MAX (1024 * 1024) /* config.json, credentials.json */

/* The folder of the client's files (not created). *out is freed by the caller. RC_INVALID
 * when neither XDG_CONFIG_HOME nor a home folder is known. */
enum rc settings_dir(char **out, struct err *err) WARN_UNUSED;

/* A stored credential. All strings are heap memory owned by the struct. */
struct settings_credential {
    char *server;   /* the normalised server URL */
    char *token;    /* the personal access token: a secret */
    char *token_id; /* its id on the server ("" when unknown) */
    char *email;
    char *role;
};

/* Wipes the token and frees every string; the struct is zeroed. Safe on a zeroed struct. */
void settings_credential_clear(struct settings_credential *c);

/* The credential stored for server. RC_NOTFOUND when there is none; RC_INVALID (with how to
 * fix it) when the file is unsafe or damaged. */
enum rc settings_credential_get(const char *server, struct settings_credential *out,
                                struct err *err) WARN_UNUSED;

/* Stores c (c->server and c->token are required), replacing what server had. */
enum rc settings_credential_put(const struct settings_credential *c, struct err *err) WARN_UNUSED;

/* Deletes the credential of server; the file goes when it holds no other server.
 * *out_existed (may be NULL) says whether there was one. */
enum rc settings_credential_delete(const char *server, bool *out_existed,
                                   struct err *err) WARN_UNUSED;

/* The server commands use when none is given. RC_NOTFOUND when none is set. *out is freed
 * by the caller. */
enum rc settings_current_server(char **out, struct err *err) WARN_UNUSED;

enum rc settings_set_current_server(const char *server, struct err *err) WARN_UNUSED;

/* A per-server setting (key is a plain name such as "sync_dir"). RC_NOTFOUND when unset.
 * *out is freed by the caller. */
enum rc settings_server_get(const char *server, const char *key, char **out,
                            struct err *err) WARN_UNUSED;

/* Sets a per-server setting; value NULL removes it. */
enum rc settings_server_set(const char *server, const char *key, const char *value,
                            struct err *err) WARN_UNUSED;

#endif
