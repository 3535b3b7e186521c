/* syncdir.c — where the local copy of a server's data lives (see syncdir.h). */
#include "client/syncdir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "client/settings.h"

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
    enum rc rc = settings_server_get(server, "sync_dir", &remembered, err);
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

char *syncdir_data_md_path(const char *dir)
{
    return xasprintf("%s/DATA.md", dir);
}

char *syncdir_partial_dir(const char *dir)
{
    return xasprintf("%s/.da/partial", dir);
}

char *syncdir_file_relpath(const char *table, const char *name, bool partitioned)
{
    return partitioned ? xasprintf("tables/%s/%s", table, name)
                       : xasprintf("tables/%s.parquet", table);
}

char *syncdir_partial_path(const char *dir, const char *table, const char *name, const char *sha256)
{
    return xasprintf("%s/.da/partial/%s--%s--%s.part", dir, table, name, sha256);
}

struct listing {
    struct syncdir_entry *items;
    size_t n, cap;
};

static void listing_add(struct listing *l, char *relpath, const struct stat *st)
{
    l->items = xgrow(l->items, &l->cap, l->n + 1, sizeof(*l->items));
    bool reg = S_ISREG(st->st_mode);
    l->items[l->n++] = (struct syncdir_entry){ .relpath = relpath,
                                               .size = reg ? (int64_t)st->st_size : -1,
                                               .is_dir = S_ISDIR(st->st_mode) };
}

/* Adds what folder rel (relative to dir) holds; enters the folders found when deeper. */
static enum rc list_level(const char *dir, const char *rel, bool deeper, struct listing *l,
                          struct err *err)
{
    char *path = xasprintf("%s/%s", dir, rel);
    DIR *d = opendir(path);
    enum rc rc = RC_OK;
    if (!d) {
        if (errno != ENOENT) /* a missing folder holds nothing */
            rc = err_set(err, RC_IO, "cannot read folder %s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    size_t first = l->n;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *child = xasprintf("%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(child, &st) != 0) {
            free(child);
            continue; /* gone since readdir */
        }
        free(child);
        listing_add(l, xasprintf("%s/%s", rel, e->d_name), &st);
    }
    closedir(d);
    free(path);
    size_t last = l->n;
    for (size_t i = first; deeper && !rc && i < last; i++)
        if (l->items[i].is_dir)
            rc = list_level(dir, l->items[i].relpath, false, l, err);
    return rc;
}

enum rc syncdir_list_tables(const char *dir, struct syncdir_entry **out, size_t *out_n,
                            struct err *err)
{
    struct listing l = { 0 };
    *out = NULL;
    *out_n = 0;
    char *tables = syncdir_tables_path(dir);
    struct stat st;
    enum rc rc = RC_OK;
    if (lstat(tables, &st) == 0 && !S_ISDIR(st.st_mode))
        rc = err_set(err, RC_INVALID, "%s is not a folder", tables);
    free(tables);
    if (!rc)
        rc = list_level(dir, "tables", true, &l, err);
    if (rc) {
        syncdir_entries_free(l.items, l.n);
        return rc;
    }
    *out = l.items;
    *out_n = l.n;
    return RC_OK;
}

void syncdir_entries_free(struct syncdir_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(entries[i].relpath);
    free(entries);
}

enum rc syncdir_state_save(const char *dir, const json_t *state, struct err *err)
{
    char *text = json_dumps(state, JSON_INDENT(1)); /* in insertion order: files as read */
    if (!text)
        return err_set(err, RC_INVALID, "cannot encode the sync state");
    char *path = syncdir_state_path(dir);
    enum rc rc = file_write_atomic(path, text, strlen(text), 0600, err);
    free(path);
    free(text);
    return rc;
}
