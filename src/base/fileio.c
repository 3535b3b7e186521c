/* fileio.c — atomic writes, durable renames, mkdir -p and bounded reads. */
#include "base/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"

enum rc file_mkdir_p(const char *path, mode_t mode, struct err *err)
{
    char *p = xstrdup(path);
    enum rc rc = RC_OK;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, mode) != 0 && errno != EEXIST) {
            rc = err_set(err, RC_IO, "cannot create folder %s: %s", p, strerror(errno));
            goto out;
        }
        *s = saved;
        if (saved == '\0')
            break;
    }
    if (!file_is_dir(path))
        rc = err_set(err, RC_IO, "%s exists and is not a folder", path);
out:
    free(p);
    return rc;
}

enum rc file_fsync_dir_of(const char *path, struct err *err)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, strlen(dir) + 1, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    enum rc rc = RC_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        rc = err_set(err, RC_IO, "cannot sync folder %s: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

enum rc file_rename_durable(const char *from, const char *to, struct err *err)
{
    if (rename(from, to) != 0)
        return err_set(err, RC_IO, "cannot rename %s to %s: %s", from, to, strerror(errno));
    return file_fsync_dir_of(to, err);
}

/* Writes all of data to fd, retrying short writes and EINTR. */
static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes a complete, synced temporary beside path and moves it into place: by rename when
 * replace is set, else by link so that an existing file is never touched. */
static enum rc write_then_place(const char *path, const void *data, size_t len, mode_t mode,
                                bool replace, struct err *err)
{
    char *tmp = xasprintf("%s.tmp.XXXXXX", path);
    enum rc rc = RC_OK;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = err_set(err, RC_IO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        rc = err_set(err, RC_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = err_set(err, RC_IO, "cannot close %s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (replace) {
        rc = file_rename_durable(tmp, path, err);
    } else if (link(tmp, path) != 0) {
        rc = err_set(err, errno == EEXIST ? RC_CONFLICT : RC_IO, "cannot create %s: %s", path,
                     strerror(errno));
    } else {
        unlink(tmp);
        rc = file_fsync_dir_of(path, err);
    }
out:
    if (fd >= 0)
        close(fd);
    if (rc || !replace)
        unlink(tmp); /* never leave a stray temporary beside the live file */
    free(tmp);
    return rc;
}

enum rc file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                          struct err *err)
{
    return write_then_place(path, data, len, mode, true, err);
}

enum rc file_create_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           struct err *err)
{
    return write_then_place(path, data, len, mode, false, err);
}

enum rc file_read_fd(int fd, const char *name, size_t max, char **out_data, size_t *out_len,
                     struct err *err)
{
    *out_data = NULL;
    if (out_len)
        *out_len = 0;
    size_t cap = 4096, len = 0;
    char *data = xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap >= max + 1)
                break; /* one byte past max read: too big */
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            data = xrealloc(data, cap + 1);
        }
        ssize_t n = read(fd, data + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(data);
            return err_set(err, RC_IO, "cannot read %s: %s", name, strerror(errno));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > max) {
        free(data);
        return err_set(err, RC_TOOBIG, "%s is larger than %zu bytes", name, max);
    }
    data[len] = '\0';
    *out_data = data;
    if (out_len)
        *out_len = len;
    return RC_OK;
}

enum rc file_read_all(const char *path, size_t max, char **out_data, size_t *out_len,
                      struct err *err)
{
    *out_data = NULL;
    if (out_len)
        *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return err_set(err, RC_NOTFOUND, "%s does not exist", path);
        return err_set(err, RC_IO, "cannot open %s: %s", path, strerror(errno));
    }
    enum rc rc = file_read_fd(fd, path, max, out_data, out_len, err);
    close(fd);
    return rc;
}

bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool file_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

enum rc file_scratch_dir(const char *dir, struct err *err)
{
    enum rc rc = file_mkdir_p(dir, 0700, err);
    if (rc)
        return rc;
    if (chmod(dir, 0700) != 0)
        return err_set(err, RC_IO, "cannot make %s private: %s", dir, strerror(errno));
    DIR *d = opendir(dir);
    if (!d)
        return err_set(err, RC_IO, "cannot open %s: %s", dir, strerror(errno));
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(path) != 0)
            log_warn("files", "cannot remove the leftover %s: %s", path, strerror(errno));
        free(path);
    }
    closedir(d);
    return RC_OK;
}

enum rc file_remove_tree(const char *path, size_t *files, struct err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? RC_OK
                               : err_set(err, RC_IO, "cannot remove %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0)
            return errno == ENOENT
                       ? RC_OK
                       : err_set(err, RC_IO, "cannot remove %s: %s", path, strerror(errno));
        if (files)
            (*files)++;
        return RC_OK;
    }
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? RC_OK
                               : err_set(err, RC_IO, "cannot open %s: %s", path, strerror(errno));
    enum rc rc = RC_OK;
    for (const struct dirent *e; !rc && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *child = xasprintf("%s/%s", path, e->d_name);
        rc = file_remove_tree(child, files, err);
        free(child);
    }
    closedir(d);
    if (!rc && rmdir(path) != 0 && errno != ENOENT)
        rc = err_set(err, RC_IO, "cannot remove %s: %s", path, strerror(errno));
    return rc;
}
