/* syncspace.h — whether a sync fits on the disk of its folder. The bytes a sync needs are the
 * bytes of the files it downloads less what resumable partials already hold; the files of the
 * tables that leave the folder are removed before the downloads (sync.c's shrink phase), so
 * their bytes count as freed. A sync that needs bytes goes ahead only when
 *     available + freed - needed >= margin   (--min-free, 1 GiB by default)
 * The judgement is a pure function, unit-tested without a disk. */
#ifndef DA_CLIENT_SYNCSPACE_H
#define DA_CLIENT_SYNCSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"
#include "client/syncplan.h"

#define SYNCSPACE_MIN_FREE_DEFAULT ((int64_t)1 << 30) /* the margin: 1 GiB */
#define SYNCSPACE_LARGEST          5                  /* tables named when the space is short */

struct syncspace {
    int64_t download;  /* bytes of the files to download */
    int64_t partial;   /* of which resumable partials hold already */
    int64_t needed;    /* download - partial */
    int64_t freed;     /* bytes of the files that leave the folder first */
    int64_t available; /* free on the folder's filesystem for this user */
    int64_t margin;    /* what must stay free */
    bool enough;       /* nothing is needed, or available + freed - needed >= margin */
};

/* Fills out from the numbers (see above). */
void syncspace_judge(int64_t download, int64_t partial, int64_t freed, int64_t available,
                     int64_t margin, struct syncspace *out);

/* Bytes the resumable partials in dir hold of the files p downloads (a partial longer than
 * its file is no part of it and counts nothing). */
int64_t syncspace_partial_bytes(const char *dir, const struct syncplan *p);

/* Free bytes for an unprivileged user (f_bavail * f_frsize) on the filesystem of dir, or of
 * its nearest existing parent when dir does not exist yet. */
enum rc syncspace_available(const char *dir, int64_t *out, struct err *err) WARN_UNUSED;

/* The indexes of p's tables with the most bytes to download, largest first, at most
 * SYNCSPACE_LARGEST of them; returns how many (tables with nothing to download are left out). */
size_t syncspace_largest(const struct syncplan *p, size_t out[SYNCSPACE_LARGEST]);

#endif
