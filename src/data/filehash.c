/* filehash.c — the digest cache (see filehash.h): an array searched linearly under a mutex,
 * because a catalog holds thousands of files, not millions, and lookups are rare next to the
 * reads they save. Hashing runs outside the lock, so two threads may hash one new file at
 * once; both get the same answer and one entry is kept. */
#include "data/filehash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/sha256.h"

#define FILEHASH_MAX 100000 /* entries kept; beyond that the oldest are dropped */

struct entry {
    char *path;
    dev_t dev;
    ino_t ino;
    int64_t mtime_ns;
    struct file_digest digest;
};

struct filehash {
    atomic_bool cancelled;
    pthread_mutex_t mu;
    struct entry *items;
    size_t len, cap;
};

struct filehash *filehash_new(void)
{
    struct filehash *fh = xcalloc(1, sizeof(*fh));
    pthread_mutex_init(&fh->mu, NULL);
    return fh;
}

void filehash_free(struct filehash **fhp)
{
    if (!fhp || !*fhp)
        return;
    struct filehash *fh = *fhp;
    for (size_t i = 0; i < fh->len; i++)
        free(fh->items[i].path);
    free(fh->items);
    pthread_mutex_destroy(&fh->mu);
    free(fh);
    *fhp = NULL;
}

void filehash_cancel(struct filehash *fh)
{
    atomic_store(&fh->cancelled, true);
}

static bool is_cancelled(void *arg)
{
    struct filehash *fh = arg;
    return atomic_load(&fh->cancelled);
}

static bool same_version(const struct entry *e, const struct stat *st)
{
    return e->dev == st->st_dev && e->ino == st->st_ino && e->digest.size == st->st_size &&
           e->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* The cached digest of this version of path, if any. Caller holds mu. */
static bool lookup(struct filehash *fh, const char *path, const struct stat *st,
                   struct file_digest *out)
{
    for (size_t i = 0; i < fh->len; i++) {
        if (strcmp(fh->items[i].path, path) == 0 && same_version(&fh->items[i], st)) {
            *out = fh->items[i].digest;
            return true;
        }
    }
    return false;
}

static void remember(struct filehash *fh, const char *path, const struct stat *st,
                     const struct file_digest *d)
{
    pthread_mutex_lock(&fh->mu);
    size_t i = 0;
    while (i < fh->len && strcmp(fh->items[i].path, path) != 0)
        i++;
    if (i == fh->len) {
        if (fh->len == FILEHASH_MAX) {
            free(fh->items[0].path);
            memmove(fh->items, fh->items + 1, (fh->len - 1) * sizeof(*fh->items));
            fh->len--;
            i = fh->len;
        }
        fh->items = xgrow(fh->items, &fh->cap, fh->len + 1, sizeof(*fh->items));
        fh->items[i].path = xstrdup(path);
        fh->len++;
    }
    struct entry *e = &fh->items[i];
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    e->digest = *d;
    pthread_mutex_unlock(&fh->mu);
}

enum rc filehash_get(struct filehash *fh, const char *path, struct file_digest *out,
                     struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, errno == ENOENT ? RC_NOTFOUND : RC_IO, "cannot open a data file: %s",
                       strerror(errno));
    struct stat st;
    enum rc rc = RC_OK;
    if (fstat(fd, &st) != 0) {
        rc = err_set(err, RC_IO, "cannot stat a data file: %s", strerror(errno));
        goto out;
    }
    pthread_mutex_lock(&fh->mu);
    bool hit = lookup(fh, path, &st, out);
    pthread_mutex_unlock(&fh->mu);
    if (hit)
        goto out;
    struct file_digest d = { .size = st.st_size, .mtime = st.st_mtim.tv_sec };
    rc = sha256_fd_hex_until(fd, is_cancelled, fh, d.sha256, err);
    if (rc)
        goto out;
    remember(fh, path, &st, &d);
    *out = d;
out:
    close(fd);
    return rc;
}
