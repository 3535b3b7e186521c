/* syncspace.c — the disk-space check of `da sync` (see syncspace.h). */
#include "client/syncspace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "base/mem.h"
#include "client/syncdir.h"

void syncspace_judge(int64_t download, int64_t partial, int64_t freed, int64_t available,
                     int64_t margin, struct syncspace *out)
{
    if (partial > download)
        partial = download;
    *out = (struct syncspace){ .download = download,
                               .partial = partial,
                               .needed = download - partial,
                               .freed = freed,
                               .available = available,
                               .margin = margin };
    /* a sync that only removes, or keeps, never needs room */
    out->enough = out->needed == 0 || available + freed - out->needed >= margin;
}

int64_t syncspace_partial_bytes(const char *dir, const struct syncplan *p)
{
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_files; i++) {
        const struct syncplan_file *f = &p->files[i];
        if (f->action != SYNCPLAN_FETCH)
            continue;
        char *path = syncdir_partial_path(dir, p->tables[f->table].id, f->name, f->sha256);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= f->size)
            sum += st.st_size;
        free(path);
    }
    return sum;
}

enum rc syncspace_available(const char *dir, int64_t *out, struct err *err)
{
    char *path = xstrdup(dir);
    struct statvfs vfs;
    for (;;) {
        if (statvfs(path, &vfs) == 0)
            break;
        char *slash = strrchr(path, '/');
        if ((errno != ENOENT && errno != ENOTDIR) || !slash || strcmp(path, "/") == 0) {
            enum rc rc =
                err_set(err, RC_IO, "cannot see the free space of %s: %s", dir, strerror(errno));
            free(path);
            return rc;
        }
        slash[slash == path] = '\0'; /* not made yet: its parent's filesystem holds it */
    }
    free(path);
    uint64_t bytes = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
    *out = bytes > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)bytes;
    return RC_OK;
}

size_t syncspace_largest(const struct syncplan *p, size_t out[SYNCSPACE_LARGEST])
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_tables; i++) {
        if (p->tables[i].bytes_fetch <= 0)
            continue;
        /* insertion into the short list, largest first; ties keep the id order */
        size_t at = n;
        while (at > 0 && p->tables[out[at - 1]].bytes_fetch < p->tables[i].bytes_fetch)
            at--;
        if (at >= SYNCSPACE_LARGEST)
            continue;
        size_t last = n < SYNCSPACE_LARGEST ? n : SYNCSPACE_LARGEST - 1;
        for (size_t k = last; k > at; k--)
            out[k] = out[k - 1];
        out[at] = i;
        if (n < SYNCSPACE_LARGEST)
            n++;
    }
    return n;
}
