/* settings.c — reading and writing the client's config and credentials files. Each change is
 * read-modify-write of one small JSON file under the folder's lock; readers need no lock,
 * since a file is only ever replaced whole by rename. Tokens are wiped from every buffer and
 * JSON value that held them before it is freed. */
#include "client/settings.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/mem.h"

#define CONFIG_FILE      "config.json"
#define CREDENTIALS_FILE "credentials.json"
#define LOCK_FILE        ".lock"

/* ---------------------------------------------------------------- the folder */

enum rc settings_dir(char **out, struct err *err)
{
    *out = NULL;
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && xdg[0] == '/') { /* the XDG spec: a relative value is to be ignored */
        *out = xasprintf("%s/da", xdg);
        return RC_OK;
    }
    const char *home = getenv("HOME");
    if (!home || home[0] != '/') {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || home[0] != '/')
        return err_set(err, RC_INVALID, "no home folder: set HOME or XDG_CONFIG_HOME");
    *out = xasprintf("%s/.config/da", home);
    return RC_OK;
}

/* Creates the folder (0700) or tightens an existing one of ours to 0700. */
static enum rc ensure_dir(const char *dir, struct err *err)
{
    enum rc rc = file_mkdir_p(dir, 0700, err);
    struct stat st;
    if (!rc && stat(dir, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 077) &&
        chmod(dir, 0700) != 0)
        rc = err_set(err, RC_IO, "cannot make %s private (chmod 700): %s", dir, strerror(errno));
    return rc;
}

/* Takes the folder's write lock; *out_fd is closed by the caller, which releases it. */
static enum rc lock_dir(const char *dir, int *out_fd, struct err *err)
{
    char *path = xasprintf("%s/" LOCK_FILE, dir);
    enum rc rc = RC_OK;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        rc = err_set(err, RC_IO, "cannot open %s: %s", path, strerror(errno));
    else if (flock(fd, LOCK_EX) != 0)
        rc = err_set(err, RC_IO, "cannot lock %s: %s", path, strerror(errno));
    if (rc && fd >= 0) {
        close(fd);
        fd = -1;
    }
    *out_fd = fd;
    free(path);
    return rc;
}

/* ---------------------------------------------------------------- JSON files */

/* Overwrites every "token" string in the servers of a credentials document. */
static void wipe_tokens(json_t *root)
{
    const char *server;
    json_t *entry;
    json_object_foreach(json_object_get(root, "servers"), server, entry)
    {
        json_t *t = json_object_get(entry, "token");
        if (json_is_string(t)) /* jansson owns the bytes; wiping them in place is the only way */
            mem_wipe((char *)json_string_value(t), json_string_length(t));
    }
}

static void free_doc(json_t *root, bool secret)
{
    if (root && secret)
        wipe_tokens(root);
    json_decref(root);
}

/* Reads a secret file through checks that it is ours alone. *out_text is freed (wiped) by
 * the caller; RC_NOTFOUND when it does not exist. */
static enum rc read_secret_file(const char *path, char **out_text, size_t *out_len, struct err *err)
{
    *out_text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return err_set(err, RC_NOTFOUND, "%s does not exist", path);
        if (errno == ELOOP)
            return err_set(err, RC_INVALID,
                           "%s is a symbolic link; da reads credentials only "
                           "from a plain file: remove it and run da login again",
                           path);
        return err_set(err, RC_IO, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    enum rc rc = RC_OK;
    if (fstat(fd, &st) != 0) {
        rc = err_set(err, RC_IO, "cannot read %s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = err_set(err, RC_INVALID, "%s is not a plain file; remove it and run da login again",
                     path);
    } else if (st.st_uid != geteuid()) {
        rc = err_set(err, RC_INVALID,
                     "%s belongs to another user (uid %u); da uses only "
                     "credentials of its own user: remove it and run da login "
                     "again",
                     path, (unsigned)st.st_uid);
    } else if (st.st_mode & 077) {
        rc = err_set(err, RC_INVALID,
                     "%s can be read by other users (mode %03o), so da will "
                     "not use it; run: chmod 600 %s",
                     path, (unsigned)(st.st_mode & 0777), path);
    } else if (st.st_size > SETTINGS_FILE_MAX) {
        rc = err_set(err, RC_INVALID, "%s is larger than %d bytes", path, SETTINGS_FILE_MAX);
    }
    if (rc) {
        close(fd);
        return rc;
    }
    size_t cap = (size_t)st.st_size, len = 0;
    char *text = xmalloc(cap + 1);
    while (len < cap) {
        ssize_t n = read(fd, text + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    text[len] = '\0';
    *out_text = text;
    *out_len = len;
    return RC_OK;
}

/* Reads a JSON object file; a missing file is an empty object. secret: the credentials. */
static enum rc read_doc(const char *dir, const char *name, bool secret, json_t **out,
                        struct err *err)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    enum rc rc = secret ? read_secret_file(path, &text, &len, err)
                        : file_read_all(path, SETTINGS_FILE_MAX, &text, &len, err);
    if (rc == RC_NOTFOUND) {
        *out = json_object();
        rc = RC_OK;
    } else if (!rc) {
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(root) || (json_object_get(root, "servers") &&
                                      !json_is_object(json_object_get(root, "servers")))) {
            free_doc(root, secret);
            rc = err_set(err, RC_INVALID, "%s is damaged (%s); remove it%s", path,
                         root ? "not the expected shape" : jerr.text,
                         secret ? " and run da login again" : "");
        } else {
            *out = root;
        }
        mem_wipe(text, len);
    }
    free(text);
    free(path);
    return rc;
}

static enum rc write_doc(const char *dir, const char *name, const json_t *root, struct err *err)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    enum rc rc = RC_OK;
    if (!text) {
        rc = err_set(err, RC_NOMEM, "cannot encode %s", path);
    } else {
        char *with_nl = xasprintf("%s\n", text);
        rc = file_write_atomic(path, with_nl, strlen(with_nl), 0600, err);
        mem_wipe(with_nl, strlen(with_nl));
        free(with_nl);
        mem_wipe(text, strlen(text));
    }
    free(text);
    free(path);
    return rc;
}

/* The object at root.servers[server], created when create is set (NULL otherwise). */
static json_t *server_entry(json_t *root, const char *server, bool create)
{
    json_t *servers = json_object_get(root, "servers");
    if (!servers && create) {
        servers = json_object();
        json_object_set_new(root, "servers", servers);
    }
    json_t *entry = json_object_get(servers, server);
    if (!json_is_object(entry) && create) {
        entry = json_object();
        json_object_set_new(servers, server, entry);
    }
    return json_is_object(entry) ? entry : NULL;
}

/* One locked read-modify-write of a file: edit changes the document, and returns RC_OK to
 * have it written. */
typedef enum rc (*edit_fn)(json_t *root, void *arg, struct err *err);

static enum rc edit_doc(const char *name, bool secret, edit_fn edit, void *arg, struct err *err)
{
    char *dir = NULL;
    json_t *root = NULL;
    int lock = -1;
    enum rc rc = settings_dir(&dir, err);
    if (!rc)
        rc = ensure_dir(dir, err);
    if (!rc)
        rc = lock_dir(dir, &lock, err);
    if (!rc)
        rc = read_doc(dir, name, secret, &root, err);
    if (!rc)
        rc = edit(root, arg, err);
    if (!rc)
        rc = write_doc(dir, name, root, err);
    free_doc(root, secret);
    if (lock >= 0)
        close(lock);
    free(dir);
    return rc;
}

/* Reads one file of the folder without the lock. */
static enum rc load_doc(const char *name, bool secret, json_t **out, struct err *err)
{
    char *dir = NULL;
    enum rc rc = settings_dir(&dir, err);
    if (!rc)
        rc = read_doc(dir, name, secret, out, err);
    free(dir);
    return rc;
}

static char *dup_member(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return xstrdup(s ? s : "");
}

/* ---------------------------------------------------------------- credentials */

void settings_credential_clear(struct settings_credential *c)
{
    if (c->token)
        mem_wipe(c->token, strlen(c->token));
    free(c->server);
    free(c->token);
    free(c->token_id);
    free(c->email);
    free(c->role);
    memset(c, 0, sizeof(*c));
}

enum rc settings_credential_get(const char *server, struct settings_credential *out,
                                struct err *err)
{
    json_t *root = NULL;
    memset(out, 0, sizeof(*out));
    enum rc rc = load_doc(CREDENTIALS_FILE, true, &root, err);
    if (rc)
        return rc;
    json_t *e = server_entry(root, server, false);
    const char *token = json_string_value(json_object_get(e, "token"));
    if (!token || !*token) {
        rc = err_set(err, RC_NOTFOUND, "no credential for %s", server);
    } else {
        out->server = xstrdup(server);
        out->token = xstrdup(token);
        out->token_id = dup_member(e, "token_id");
        out->email = dup_member(e, "email");
        out->role = dup_member(e, "role");
    }
    free_doc(root, true);
    return rc;
}

static enum rc put_credential(json_t *root, void *arg, struct err *err)
{
    const struct settings_credential *c = arg;
    (void)err;
    json_t *e = server_entry(root, c->server, true);
    if (json_is_string(json_object_get(e, "token"))) /* the one replaced goes wiped */
        mem_wipe((char *)json_string_value(json_object_get(e, "token")),
                 json_string_length(json_object_get(e, "token")));
    json_object_set_new(e, "token", json_string(c->token));
    json_object_set_new(e, "token_id", json_string(c->token_id ? c->token_id : ""));
    json_object_set_new(e, "email", json_string(c->email ? c->email : ""));
    json_object_set_new(e, "role", json_string(c->role ? c->role : ""));
    return RC_OK;
}

enum rc settings_credential_put(const struct settings_credential *c, struct err *err)
{
    if (!c->server || !*c->server || !c->token || !*c->token)
        return err_set(err, RC_INVALID, "a credential needs a server and a token");
    return edit_doc(CREDENTIALS_FILE, true, put_credential, (void *)c, err);
}

struct delete_arg {
    const char *server;
    bool existed;
    bool now_empty;
};

static enum rc delete_credential(json_t *root, void *arg, struct err *err)
{
    struct delete_arg *d = arg;
    (void)err;
    json_t *servers = json_object_get(root, "servers");
    json_t *e = server_entry(root, d->server, false);
    d->existed = e != NULL;
    if (e) {
        json_t *t = json_object_get(e, "token");
        if (json_is_string(t))
            mem_wipe((char *)json_string_value(t), json_string_length(t));
        json_object_del(servers, d->server);
    }
    d->now_empty = json_object_size(servers) == 0;
    return RC_OK;
}

enum rc settings_credential_delete(const char *server, bool *out_existed, struct err *err)
{
    struct delete_arg d = { server, false, false };
    enum rc rc = edit_doc(CREDENTIALS_FILE, true, delete_credential, &d, err);
    if (out_existed)
        *out_existed = !rc && d.existed;
    if (rc || !d.now_empty)
        return rc;
    /* nothing left: no file at all is the clearest state */
    char *dir = NULL;
    rc = settings_dir(&dir, err);
    if (!rc) {
        char *path = xasprintf("%s/" CREDENTIALS_FILE, dir);
        if (unlink(path) != 0 && errno != ENOENT)
            rc = err_set(err, RC_IO, "cannot remove %s: %s", path, strerror(errno));
        else
            rc = file_fsync_dir_of(path, err);
        free(path);
    }
    free(dir);
    return rc;
}

/* ---------------------------------------------------------------- config */

enum rc settings_current_server(char **out, struct err *err)
{
    json_t *root = NULL;
    *out = NULL;
    enum rc rc = load_doc(CONFIG_FILE, false, &root, err);
    if (rc)
        return rc;
    const char *s = json_string_value(json_object_get(root, "current_server"));
    if (s && *s)
        *out = xstrdup(s);
    else
        rc = err_set(err, RC_NOTFOUND, "no server configured");
    json_decref(root);
    return rc;
}

static enum rc set_current(json_t *root, void *arg, struct err *err)
{
    (void)err;
    json_object_set_new(root, "current_server", json_string(arg));
    return RC_OK;
}

enum rc settings_set_current_server(const char *server, struct err *err)
{
    return edit_doc(CONFIG_FILE, false, set_current, (void *)server, err);
}

enum rc settings_server_get(const char *server, const char *key, char **out, struct err *err)
{
    json_t *root = NULL;
    *out = NULL;
    enum rc rc = load_doc(CONFIG_FILE, false, &root, err);
    if (rc)
        return rc;
    const char *v = json_string_value(json_object_get(server_entry(root, server, false), key));
    if (v)
        *out = xstrdup(v);
    else
        rc = err_set(err, RC_NOTFOUND, "%s is not set for %s", key, server);
    json_decref(root);
    return rc;
}

struct setting {
    const char *server, *key, *value;
};

static enum rc set_setting(json_t *root, void *arg, struct err *err)
{
    const struct setting *s = arg;
    (void)err;
    json_t *e = server_entry(root, s->server, s->value != NULL);
    if (s->value)
        json_object_set_new(e, s->key, json_string(s->value));
    else if (e)
        json_object_del(e, s->key);
    return RC_OK;
}

enum rc settings_server_set(const char *server, const char *key, const char *value, struct err *err)
{
    struct setting s = { server, key, value };
    return edit_doc(CONFIG_FILE, false, set_setting, &s, err);
}
