/* fileio.h — file helpers with crash safety built in. Every file da writes goes through
 * file_write_atomic: a reader (or a restart after a kill) sees the old contents or the new,
 * never a mix, and no stray temporary file is left beside the live one. */
#ifndef DA_BASE_FILEIO_H
#define DA_BASE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/compat.h"
#include "base/rc.h"

/* Creates path and its missing parents with the given mode (like mkdir -p). */
enum rc file_mkdir_p(const char *path, mode_t mode, struct err *err) WARN_UNUSED;

/* Writes data to path atomically: a temporary file in the same folder, fsync, rename over
 * path, fsync of the folder. The file gets mode (subject to umask only if the caller set one). */
enum rc file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                          struct err *err) WARN_UNUSED;

/* Like file_write_atomic, but never replaces: RC_CONFLICT when path exists already (the
 * final step is link(2), which is atomic and fails on an existing name). For files that must
 * be created once, such as a key, even when two processes start at the same moment. */
enum rc file_create_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           struct err *err) WARN_UNUSED;

/* Renames from to to and fsyncs the folder of to, so the rename survives a power loss. */
enum rc file_rename_durable(const char *from, const char *to, struct err *err) WARN_UNUSED;

/* fsyncs the folder that holds path, so that a rename or create in it is durable. */
enum rc file_fsync_dir_of(const char *path, struct err *err) WARN_UNUSED;

/* Reads what is left of fd, at most max bytes (it may grow while read: one byte past max is
 * RC_TOOBIG). name is the file in messages. *out_data is NUL-terminated; the caller frees it.
 * The caller keeps and closes fd. */
enum rc file_read_fd(int fd, const char *name, size_t max, char **out_data, size_t *out_len,
                     struct err *err) WARN_UNUSED;

/* Reads a whole file of at most max bytes. *out_data is NUL-terminated; the caller frees it
 * with free(). RC_NOTFOUND when the file is missing, RC_TOOBIG over max. */
enum rc file_read_all(const char *path, size_t max, char **out_data, size_t *out_len,
                      struct err *err) WARN_UNUSED;

bool file_exists(const char *path);

/* Makes dir a private scratch folder: creates it (mode 0700) and removes the files a killed
 * process left in it (hidden names and subfolders are left alone; a file that cannot be
 * removed is only logged). */
enum rc file_scratch_dir(const char *dir, struct err *err) WARN_UNUSED;
bool file_is_dir(const char *path);

/* Removes path and everything under it: a folder with all it holds, or a single file. Links
 * are removed, never followed; a missing path is no error. When files is not NULL, the number
 * of entries removed that are not folders is added to *files (also those removed before a
 * failure). Not WARN_UNUSED: best-effort cleanup after a failure ignores it. */
enum rc file_remove_tree(const char *path, size_t *files, struct err *err);

#endif
