/* upload.h — the body of an upload route (private to src/http): a multipart/form-data body
 * parsed as it arrives, its one file field written to a spool file on disk, never held in
 * memory. The spool file is removed with the upload unless a handler kept it. */
#ifndef DA_HTTP_UPLOAD_H
#define DA_HTTP_UPLOAD_H

#include <microhttpd.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

struct upload;

/* Starts parsing conn's body for the file in field, spooled into spool_dir, at most max_bytes.
 * RC_INVALID when the body is not multipart/form-data (answer 415). */
enum rc upload_begin(struct MHD_Connection *conn, const char *field, const char *spool_dir,
                     uint64_t max_bytes, struct upload **out, struct err *err) WARN_UNUSED;

/* Feeds the next piece of the body. After a failure the rest is ignored; upload_end says. */
void upload_feed(struct upload *u, const char *data, size_t len);

/* Ends the body: 0 when the file arrived whole, else the HTTP status to answer (413 too big,
 * 422 no file field or a second file, 400 a malformed body, 500 a disk error) with msg. */
int upload_end(struct upload *u, char *msg, size_t msg_size);

/* The file: the client's name for it (NULL when it sent none), its size and spooled path. */
const char *upload_filename(const struct upload *u);
uint64_t upload_size(const struct upload *u);
const char *upload_spool_path(const struct upload *u);

/* Moves the spooled file to path durably (fsync, rename, fsync of the folder); the upload no
 * longer removes it. */
enum rc upload_keep(struct upload *u, const char *path, struct err *err) WARN_UNUSED;

/* Frees u and removes its spool file unless kept. Accepts NULL. */
void upload_free(struct upload *u);

#endif
