/* filehash.h — SHA-256 digests of the files the server hands out, computed once per file
 * version and remembered. A file is known by its path plus device, inode, size and mtime, so
 * a replaced file is hashed again; the extract writer never changes a file in place, so in
 * practice each file is read once. The digest is the manifest's hash and the download's
 * strong ETag. Safe from many threads. */
#ifndef DA_DATA_FILEHASH_H
#define DA_DATA_FILEHASH_H

#include <stdint.h>
#include <sys/types.h>

#include "base/compat.h"
#include "base/rc.h"

struct filehash;

struct file_digest {
    char sha256[65];
    int64_t size;
    int64_t mtime; /* seconds since the epoch */
};

struct filehash *filehash_new(void);
void filehash_free(struct filehash **fh);

/* Makes every hashing in progress, and every later one, give up between reads of 1 MiB
 * (for shutdown: a large file must not hold it up). Digests already known are still
 * answered. */
void filehash_cancel(struct filehash *fh);

/* The digest of the file at path (hashing it now if this version is new). RC_NOTFOUND when
 * the file is gone, RC_IO when it cannot be read, RC_CONFLICT after filehash_cancel. */
enum rc filehash_get(struct filehash *fh, const char *path, struct file_digest *out,
                     struct err *err) WARN_UNUSED;

#endif
