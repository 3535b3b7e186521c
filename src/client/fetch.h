/* fetch.h — the downloads of a sync: N worker threads, each with its own struct hc, take files
 * from one shared list. A file collects in its partial file (syncdir_partial_path); a partial
 * that an interrupted sync left is resumed with Range and If-Range (the file's ETag is its
 * SHA-256, so a newer version on the server is sent whole instead). An answer longer than the
 * file is cancelled as it comes (no server can fill the disk). The result must have the
 * manifest's size and SHA-256, and is fsynced; one that does not is deleted and downloaded
 * once more from zero, and a second mismatch fails that file. A server that does not answer
 * (or answers 5xx) gets FETCH_RETRIES more tries, resuming, and once it has failed a file that
 * way the files not yet started fail at once. Moving verified files into place is the
 * caller's: a table changes as a whole.
 *
 * Before a file is downloaded its space is reserved (fallocate, keeping the file's size, where
 * the filesystem can), so a full disk is found before bytes travel. A file that meets a full
 * disk (ENOSPC, EDQUOT), reserving, writing or flushing, fails at once and its partial is
 * deleted, so the sync does not leave the disk full; the other files go on. */
#ifndef DA_CLIENT_FETCH_H
#define DA_CLIENT_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

#define FETCH_JOBS_MAX    32
#define FETCH_RETRIES     2   /* more tries after a download got no answer or a 5xx */
#define FETCH_PROGRESS_MS 200 /* between two progress reports */

struct fetch_item {
    /* in (borrowed) */
    const char *url;     /* the file's path on the server */
    const char *partial; /* where it collects */
    const char *sha256;  /* what it must hash to */
    int64_t size;        /* and its size */
    /* out */
    bool ok;          /* the partial holds the verified file */
    bool resumed;     /* bytes of an earlier sync's partial were kept */
    int restarts;     /* downloads from zero after a mismatch */
    uint64_t bytes;   /* body bytes received, every attempt */
    enum rc rc;       /* the failure */
    bool unreachable; /* the failure got no answer from the server */
    bool disk_full;   /* the failure was a full disk (ENOSPC, EDQUOT); the partial is deleted */
    char error[ERR_MSG_LEN];
};

struct fetch_progress {
    size_t files_done, files_total;
    uint64_t bytes_done, bytes_total; /* of the files' sizes; a resumed part counts as done */
    uint64_t bytes_received;          /* over the network so far */
};

/* A report on the downloads; final is true for the last one. */
typedef void (*fetch_progress_fn)(void *ctx, const struct fetch_progress *p, bool final);

struct fetch_opts {
    const char *server;         /* normalised base URL */
    const char *token;          /* bearer token; may be NULL */
    int jobs;                   /* worker threads, 1 to FETCH_JOBS_MAX */
    fetch_progress_fn progress; /* called from the calling thread; may be NULL */
    void *progress_ctx;
};

/* Downloads the n items, filling in their out fields; returns once every item is done. A
 * failed item is not an error of the call: RC_OK means every item was tried. Fails only when
 * the workers cannot start. */
enum rc fetch_run(const struct fetch_opts *o, struct fetch_item *items, size_t n,
                  struct err *err) WARN_UNUSED;

#endif
