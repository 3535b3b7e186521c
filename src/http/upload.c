/* upload.c — multipart/form-data bodies streamed to a spool file (see upload.h). libmicrohttpd's
 * post processor does the parsing; this file only decides what to keep: the parts of one
 * field that carry a file name, in order, up to a size cap. Other fields are ignored. */
#include "http/upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "base/rand.h"

#define POST_BUFFER      65536
#define FILENAME_MAX_LEN 255

struct upload {
    struct MHD_PostProcessor *post;
    char *field;
    uint64_t max_bytes;
    int fd;         /* the spool file, open for writing until the end */
    char *path;     /* NULL once kept */
    char *filename; /* as the client sent it */
    uint64_t size;
    bool got_file;    /* a part of the field with a file name began */
    bool second_file; /* another file part followed the first: refused */
    int status;       /* 0, or the HTTP status that ends the upload */
    char msg[160];
};

static void fail(struct upload *u, int status, const char *msg)
{
    if (u->status)
        return;
    u->status = status;
    snprintf(u->msg, sizeof(u->msg), "%s", msg);
}

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    struct upload *u = cls;
    if (u->status || !key || strcmp(key, u->field) != 0)
        return MHD_YES;
    if (off == 0) {
        if (u->got_file) {
            /* a second part of the same field: one file per upload */
            u->second_file = true;
            return MHD_YES;
        }
        u->got_file = true;
        if (filename && *filename)
            u->filename = xstrndup(filename, strnlen(filename, FILENAME_MAX_LEN));
    }
    if (u->second_file)
        return MHD_YES;
    if (u->size + size > u->max_bytes) {
        char msg[96];
        snprintf(msg, sizeof(msg), "the file is larger than %llu bytes",
                 (unsigned long long)u->max_bytes);
        fail(u, 413, msg);
        return MHD_YES;
    }
    if (size > 0 && !write_all(u->fd, data, size)) {
        fail(u, 500, "cannot write the upload to disk");
        return MHD_YES;
    }
    u->size += size;
    return MHD_YES;
}

enum rc upload_begin(struct MHD_Connection *conn, const char *field, const char *spool_dir,
                     uint64_t max_bytes, struct upload **out, struct err *err)
{
    *out = NULL;
    struct upload *u = xcalloc(1, sizeof(*u));
    u->fd = -1;
    u->field = xstrdup(field);
    u->max_bytes = max_bytes;
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    if (!type || strncasecmp(type, "multipart/form-data", 19) != 0) {
        upload_free(u);
        return err_set(err, RC_INVALID,
                       "expected a multipart/form-data body with the file"
                       " in field \"%s\"",
                       field);
    }
    u->post = MHD_create_post_processor(conn, POST_BUFFER, on_part, u);
    if (!u->post) {
        upload_free(u);
        return err_set(err, RC_INVALID, "the multipart/form-data body has no boundary");
    }
    char name[33];
    enum rc rc = rand_hex(name, 16, err);
    if (rc) {
        upload_free(u);
        return rc;
    }
    u->path = xasprintf("%s/%s.part", spool_dir, name);
    u->fd = open(u->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (u->fd < 0) {
        rc =
            err_set(err, RC_IO, "cannot create a spool file in %s: %s", spool_dir, strerror(errno));
        free(u->path);
        u->path = NULL;
        upload_free(u);
        return rc;
    }
    *out = u;
    return RC_OK;
}

void upload_feed(struct upload *u, const char *data, size_t len)
{
    if (u->status)
        return;
    if (MHD_post_process(u->post, data, len) != MHD_YES)
        fail(u, 400, "the multipart/form-data body is malformed");
}

int upload_end(struct upload *u, char *msg, size_t msg_size)
{
    if (u->post) {
        if (MHD_destroy_post_processor(u->post) != MHD_YES)
            fail(u, 400, "the multipart/form-data body ended early");
        u->post = NULL;
    }
    if (!u->got_file) {
        char m[96];
        snprintf(m, sizeof(m), "no file in field \"%s\"", u->field);
        fail(u, 422, m);
    }
    if (u->second_file)
        fail(u, 422, "send one file per upload");
    if (!u->status && fsync(u->fd) != 0)
        fail(u, 500, "cannot write the upload to disk");
    snprintf(msg, msg_size, "%s", u->msg);
    return u->status;
}

const char *upload_filename(const struct upload *u)
{
    return u->filename;
}

uint64_t upload_size(const struct upload *u)
{
    return u->size;
}

const char *upload_spool_path(const struct upload *u)
{
    return u->path;
}

enum rc upload_keep(struct upload *u, const char *path, struct err *err)
{
    if (!u->path)
        return err_set(err, RC_CONFLICT, "the upload was kept already");
    enum rc rc = file_rename_durable(u->path, path, err);
    if (!rc) {
        free(u->path);
        u->path = NULL;
    }
    return rc;
}

void upload_free(struct upload *u)
{
    if (!u)
        return;
    if (u->post)
        MHD_destroy_post_processor(u->post);
    if (u->fd >= 0)
        close(u->fd);
    if (u->path)
        unlink(u->path);
    free(u->path);
    free(u->field);
    free(u->filename);
    free(u);
}
