/* syncdir.c — where the local copy of a server's data lives (see syncdir.h). */
#include "client/syncdir.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "client/profile.h"

#define STATE_MAX (64 * 1024 * 1024)

/* "<host>[_<port>]" of a normalised URL, with anything but [A-Za-z0-9.-] made '_'. */
static char *folder_name(const char *server)
{
    const char *host = strstr(server, "://");
    host = host ? host + 3 : server;
    size_t len = strcspn(host, "/");
    char *name = xstrndup(host, len);
    for (char *p = name; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '.' || *p == '-';
        if (!ok)
            *p = '_';
    }
    return name;
}

static enum rc absolute(const char *dir, char **out, struct err *err)
{
    if (dir[0] == '/') {
        *out = xstrdup(dir);
        return RC_OK;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        return err_set(err, RC_IO, "cannot tell the current folder");
    *out = xasprintf("%s/%s", cwd, dir);
    return RC_OK;
}

enum rc syncdir_path(const char *server, const char *dir_flag, char **out, struct err *err)
{
    *out = NULL;
    if (dir_flag && *dir_flag)
        return absolute(dir_flag, out, err);
    char *remembered = NULL;
    enum rc rc = profile_server_get(server, "sync_dir", &remembered, err);
    if (rc == RC_OK) {
        rc = absolute(remembered, out, err);
        free(remembered);
        return rc;
    }
    if (rc != RC_NOTFOUND)
        return rc;
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    char *name = folder_name(server);
    if (xdg && xdg[0] == '/') /* the XDG spec: a relative value is to be ignored */
        *out = xasprintf("%s/da/%s", xdg, name);
    else if (home && home[0] == '/')
        *out = xasprintf("%s/.local/share/da/%s", home, name);
    free(name);
    if (!*out)
        return err_set(err, RC_INVALID, "no home folder: set HOME or XDG_DATA_HOME, or give --dir");
    return RC_OK;
}

char *syncdir_db_path(const char *dir)
{
    return xasprintf("%s/da.duckdb", dir);
}

char *syncdir_state_path(const char *dir)
{
    return xasprintf("%s/.da/state.json", dir);
}

char *syncdir_tables_path(const char *dir)
{
    return xasprintf("%s/tables", dir);
}

enum rc syncdir_state_load(const char *dir, json_t **out, struct err *err)
{
    char *path = syncdir_state_path(dir);
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    enum rc rc = file_read_all(path, STATE_MAX, &text, &len, err);
    if (rc == RC_NOTFOUND)
        rc = err_set(err, RC_NOTFOUND, "%s was never synced; run: da sync", dir);
    if (!rc) {
        json_error_t jerr = { .text = "" };
        *out = json_loadb(text, len, 0, &jerr);
        if (!json_is_object(*out) || !json_is_object(json_object_get(*out, "tables"))) {
            json_decref(*out);
            *out = NULL;
            rc = err_set(err, RC_INVALID, "%s is damaged (%s); run: da sync", path,
                         jerr.text[0] ? jerr.text : "no tables");
        }
    }
    free(text);
    free(path);
    return rc;
}
