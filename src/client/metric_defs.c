/* metric_defs.c — copying the server's metric definitions into the sync folder (see
 * metric_defs.h). */
#include "client/metric_defs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/http_client.h"

#define METRICS_DIR "metrics"

/* Makes path a folder unless it is one: RC_CONFLICT when it is a link or something else, so
 * nothing is ever written through a link. */
static enum rc real_dir(const char *path, struct err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT)
            return err_set(err, RC_IO, "%s: %s", path, strerror(errno));
        if (mkdir(path, 0755) == 0 || errno == EEXIST)
            return real_dir(path, err);
        return err_set(err, RC_IO, "cannot create %s: %s", path, strerror(errno));
    }
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode))
        return err_set(err, RC_CONFLICT,
                       "%s is not a folder (links are not followed); move it away", path);
    return RC_OK;
}

/* Stops a download that runs past the cap. */
static int cap_progress(void *ctx, uint64_t received, uint64_t total)
{
    (void)ctx;
    (void)total;
    return received > METRIC_SYNC_MAX_BYTES;
}

/* The bytes of one definition, through a temporary file (hc_download writes to a file). */
static enum rc fetch_def(struct hc *c, const char *path, char **out_data, size_t *out_len,
                         struct err *err)
{
    *out_data = NULL;
    *out_len = 0;
    FILE *tmp = tmpfile();
    if (!tmp)
        return err_set(err, RC_IO, "cannot make a temporary file: %s", strerror(errno));
    char *url = xasprintf("/api/catalog/metrics/%s?format=yaml", path); /* [a-z_/.] only */
    struct hc_download_opts opts = { .progress = cap_progress };
    struct hc_download_result res;
    enum rc rc = hc_download(c, url, fileno(tmp), &opts, &res, err);
    free(url);
    if (rc == RC_CONFLICT)
        rc = err_set(err, RC_TOOBIG, "%s: larger than %d bytes", path, METRIC_SYNC_MAX_BYTES);
    if (!rc && res.bytes > METRIC_SYNC_MAX_BYTES)
        rc = err_set(err, RC_TOOBIG, "%s: larger than %d bytes", path, METRIC_SYNC_MAX_BYTES);
    char *data = NULL;
    if (!rc) {
        data = xmalloc((size_t)res.bytes + 1);
        ssize_t n = pread(fileno(tmp), data, (size_t)res.bytes, 0);
        if (n != (ssize_t)res.bytes)
            rc = err_set(err, RC_IO, "cannot read back %s", path);
        else
            data[res.bytes] = '\0';
    }
    fclose(tmp);
    if (rc) {
        free(data);
        return rc;
    }
    *out_data = data;
    *out_len = (size_t)res.bytes;
    return RC_OK;
}

/* True when file is a regular file (not through a link) holding exactly data. */
static bool same_bytes(const char *file, const char *data, size_t len)
{
    int fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len;
    if (same && len) {
        char *have = xmalloc(len);
        same = read(fd, have, len) == (ssize_t)len && memcmp(have, data, len) == 0;
        free(have);
    }
    close(fd);
    return same;
}

static bool is_regular(const char *file)
{
    struct stat st;
    return lstat(file, &st) == 0 && S_ISREG(st.st_mode);
}

/* Keeps the first reason a listed definition was refused or failed, and logs each. */
static void note_failure(struct metric_defs_report *out, const char *path, const char *why)
{
    char msg[ERR_MSG_LEN];
    snprintf(msg, sizeof(msg), "metric definition %.100s: %s", path, why);
    for (char *p = msg; *p; p++) /* a hostile name must not write to the terminal */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    if (!out->first_failure[0])
        snprintf(out->first_failure, sizeof(out->first_failure), "%s", msg);
    log_warn("sync", "%s", msg);
}

/* Copies one listed definition; RC_OK also when it was refused or failed (counted). Only a
 * lost server or a folder that cannot be written fails. */
static enum rc sync_one(struct hc *c, const char *dir, const char *path,
                        struct metric_defs_report *out, struct err *err)
{
    char area[METRIC_PART_MAX + 1];
    size_t alen = (size_t)(strchr(path, '/') - path);
    memcpy(area, path, alen);
    area[alen] = '\0';
    char *area_dir = xasprintf("%s/%s/%s", dir, METRICS_DIR, area);
    char *file = xasprintf("%s/%s/%s", dir, METRICS_DIR, path);
    char *data = NULL;
    size_t len = 0;
    struct err ferr = { { 0 } };
    enum rc rc = fetch_def(c, path, &data, &len, &ferr);
    if (rc == RC_IO && !hc_reached(c)) {
        err_set(err, rc, "%s", ferr.msg);
        goto out;
    }
    if (rc) {
        out->failed++;
        note_failure(out, path, ferr.msg);
        rc = RC_OK;
        goto out;
    }
    rc = real_dir(area_dir, err);
    if (rc)
        goto out;
    if (same_bytes(file, data, len)) {
        out->unchanged++;
        goto out;
    }
    /* a rename over the name: a link there is replaced, never written through */
    rc = file_write_atomic(file, data, len, 0644, err);
    if (!rc)
        out->written++;
out:
    free(data);
    free(file);
    free(area_dir);
    return rc;
}

static bool listed(char *const *paths, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(paths[i], path) == 0)
            return true;
    return false;
}

/* Removes the definitions under metrics/ (regular files with valid names in real area
 * folders) that are not in paths, and area folders left empty. */
static void remove_stale(const char *dir, char *const *paths, size_t n,
                         struct metric_defs_report *out)
{
    char *top = xasprintf("%s/%s", dir, METRICS_DIR);
    DIR *d = opendir(top);
    if (!d) {
        free(top);
        return;
    }
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!metric_part_valid(de->d_name, strlen(de->d_name)))
            continue;
        int afd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (afd < 0)
            continue; /* not a real folder: not ours */
        DIR *ad = fdopendir(afd);
        if (!ad) {
            close(afd);
            continue;
        }
        const struct dirent *fe;
        while ((fe = readdir(ad)) != NULL) {
            char path[METRIC_PATH_MAX + 2];
            int len = snprintf(path, sizeof(path), "%s/%s", de->d_name, fe->d_name);
            if (len < 0 || (size_t)len >= sizeof(path) || !metric_path_valid(path) ||
                listed(paths, n, path))
                continue;
            struct stat st;
            if (fstatat(dirfd(ad), fe->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                !S_ISREG(st.st_mode))
                continue;
            if (unlinkat(dirfd(ad), fe->d_name, 0) == 0)
                out->removed++;
        }
        closedir(ad);
        (void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR); /* only when left empty */
    }
    closedir(d);
    free(top);
}

static int def_cmp(const void *a, const void *b)
{
    const struct metric_def_local *x = a, *y = b;
    return strcmp(x->path, y->path);
}

static char *opt_string(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

enum rc metric_defs_sync(struct hc *c, const char *sync_dir, struct metric_defs_report *out,
                         struct err *err)
{
    memset(out, 0, sizeof(*out));
    json_t *list = NULL;
    char **paths = NULL;
    size_t n = 0;
    char *top = xasprintf("%s/%s", sync_dir, METRICS_DIR);
    enum rc rc = hc_get(c, "/api/catalog/metrics", &list, err);
    if (rc == RC_NOTFOUND && hc_status(c) == 404) {
        rc = RC_OK; /* an older server: leave the folder as it is */
        goto out;
    }
    if (rc)
        goto out;
    out->supported = true;
    const json_t *arr = json_object_get(list, "metrics");
    if (!json_is_array(arr)) {
        rc = err_set(err, RC_INVALID, "the server's list of metric definitions has no metrics");
        goto out;
    }
    rc = real_dir(top, err);
    if (rc)
        goto out;
    paths = xcalloc(json_array_size(arr) + 1, sizeof(*paths));
    out->defs = xcalloc(json_array_size(arr) + 1, sizeof(*out->defs));
    for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        const char *path = json_string_value(json_object_get(e, "path"));
        if (!metric_path_valid(path) || listed(paths, n, path)) {
            out->refused++;
            note_failure(out, path ? path : "(no path)",
                         "refused: not a new <area>/<name>.yml of [a-z_]");
            continue;
        }
        if (n >= METRIC_SYNC_MAX_FILES) {
            out->refused++;
            note_failure(out, path, "refused: over the limit of files");
            continue;
        }
        paths[n++] = xstrdup(path);
        rc = sync_one(c, sync_dir, path, out, err);
        char *file = xasprintf("%s/%s", top, path);
        if (!rc && is_regular(file)) {
            struct metric_def_local *d = &out->defs[out->n_defs++];
            memcpy(d->path, path, strlen(path) + 1);
            d->title = opt_string(e, "title");
            d->description = opt_string(e, "description");
        }
        free(file);
    }
    /* only after a complete pass: an interrupted one must not remove what it did not reach */
    if (!rc)
        remove_stale(sync_dir, paths, n, out);
    if (out->n_defs)
        qsort(out->defs, out->n_defs, sizeof(*out->defs), def_cmp);
out:
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    free(top);
    json_decref(list);
    return rc;
}

void metric_defs_report_free(struct metric_defs_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_defs; i++) {
        free(r->defs[i].title);
        free(r->defs[i].description);
    }
    free(r->defs);
    r->defs = NULL;
    r->n_defs = 0;
}
