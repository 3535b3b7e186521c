/* sync.c — what `da sync` reads:
 *   GET /api/sync/manifest                  every file of every local table the caller may
 *                                           read, with its SHA-256, size, rows and time
 *   GET /api/data/{table}/download          the file of a one-file table
 *   GET /api/data/{table}/files/{name}      one file of a partitioned table
 * A download's strong ETag is the file's SHA-256 (If-None-Match answers 304), a single Range
 * gives 206 (so an interrupted download resumes), and the body goes out with sendfile. The
 * catalog generation is held only while the file is opened: a sweep that removes the file
 * afterwards cannot break a download in progress. Tables the caller may not read do not
 * exist here (404, like a missing one); every download is audited. The manifest says of each
 * table whether the caller's sync selection enables it (core/sync_selection.h); downloads
 * do not ask: `da sync --table` fetches a disabled table once. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/access.h"
#include "api/authn.h"
#include "api/request.h"
#include "base/buf.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "base/sha256.h"
#include "core/sync_selection.h"
#include "data/catalog.h"
#include "data/dataplane.h"
#include "data/filehash.h"

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The manifest entry of one table: its files with their digests, and a table hash (the
 * file's, or for several files the SHA-256 of their "name:sha256" lines). */
static enum rc table_entry(struct app *app, const struct catalog_table *t, json_t **out,
                           struct err *err)
{
    json_t *files = json_array();
    struct buf lines;
    int64_t size = 0;
    enum rc rc = RC_OK;
    buf_init(&lines, 1 << 20);
    for (size_t i = 0; !rc && i < t->n_files; i++) {
        struct file_digest d;
        rc = filehash_get(dataplane_filehash(app->core.dataplane), t->files[i], &d, err);
        if (rc == RC_NOTFOUND) /* removed since the generation was built: ask again */
            rc = RC_CONFLICT;
        if (rc)
            break;
        const char *name = base_name(t->files[i]);
        char *url = t->n_files == 1 ? xasprintf("/api/data/%s/download", t->id)
                                    : xasprintf("/api/data/%s/files/%s", t->id, name);
        char updated[ISOTIME_SIZE];
        isotime_format((time_t)d.mtime, updated);
        json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", name, "url",
                                               url, "sha256", d.sha256, "size_bytes",
                                               (json_int_t)d.size, "updated", updated));
        free(url);
        size += d.size;
        if (buf_printf(&lines, "%s:%s\n", name, d.sha256))
            rc = err_set(err, RC_TOOBIG, "too many files in table %s", t->id);
    }
    if (rc) {
        json_decref(files);
        buf_cleanup(&lines);
        return rc;
    }
    char hash[SHA256_HEX_LEN + 1] = "";
    if (t->n_files == 1)
        snprintf(hash, sizeof(hash), "%s",
                 json_string_value(json_object_get(json_array_get(files, 0), "sha256")));
    else
        sha256_hex(buf_cstr(&lines), lines.len, hash);
    buf_cleanup(&lines);
    *out = json_pack("{s:s, s:s?, s:I, s:I, s:s, s:o}", "hash", hash, "updated",
                     t->extracted_at[0] ? t->extracted_at : NULL, "size_bytes", (json_int_t)size,
                     "rows", (json_int_t)t->rows, "query_mode", "local", "files", files);
    return RC_OK;
}

static void get_manifest(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct core_listing l;
    struct err err = { { 0 } };
    if (!api_require_user(req, app, &p))
        return;
    enum rc rc = core_catalog_list(&app->core, &p.user, true, &l, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    /* every readable table is listed, disabled ones too: the client shows them */
    struct sync_tables st;
    struct core_sync_view sel;
    memset(&sel, 0, sizeof(sel));
    rc = core_sync_tables_from_listing(&app->core, &l, &st, &err);
    if (!rc)
        rc = core_sync_resolve(&app->core, &p.user, &st, &sel, &err);
    json_t *tables = json_object();
    for (size_t i = 0; !rc && i < l.n_readable; i++) {
        const struct catalog_table *t = l.readable[i].table;
        const struct sync_state *s = &sel.states[i];
        json_t *entry = NULL;
        rc = table_entry(app, t, &entry, &err);
        if (rc)
            break;
        json_object_set_new(entry, "enabled", json_boolean(s->enabled));
        json_object_set_new(entry, "enabled_by", json_string(sync_by_name(s->by)));
        if (s->by == SYNC_BY_PACKAGE)
            json_object_set_new(entry, "package", json_string(s->package));
        json_object_set_new(entry, "bucket",
                            s->t->bucket[0] ? json_string(s->t->bucket) : json_null());
        json_object_set_new(tables, t->id, entry);
    }
    core_sync_view_cleanup(&sel);
    core_sync_tables_free(&st);
    uint64_t generation = l.gen->number;
    core_listing_cleanup(&app->core, &l);
    if (rc) {
        json_decref(tables);
        http_respond_rc(req, rc, &err);
        return;
    }
    char now[ISOTIME_SIZE];
    isotime_now(now);
    http_respond_json(req, 200,
                      json_pack("{s:o, s:s, s:I}", "tables", tables, "server_time", now,
                                "generation", (json_int_t)generation));
}

/* One byte range of a file of size bytes. */
struct range {
    uint64_t first;
    uint64_t length;
};

/* Reads the digits at *p (at least one, nothing else: strtoull alone would take "-2" or
 * " +2") into *out and moves *p past them. False when there are none or they overflow. */
static bool read_digits(const char **p, unsigned long long *out)
{
    if (**p < '0' || **p > '9')
        return false;
    char *end = NULL;
    errno = 0;
    *out = strtoull(*p, &end, 10);
    if (errno == ERANGE)
        return false;
    *p = end;
    return true;
}

/* Parses a Range header of one range ("bytes=a-b", "bytes=a-", "bytes=-n"). Returns 0 for
 * no usable header (send all: RFC 9110 says to ignore an invalid Range), 1 for a range, -1
 * when unsatisfiable (416). Several ranges are answered with the whole file, which RFC 9110
 * allows. */
static int parse_range(const char *h, uint64_t size, struct range *out)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    const char *s = h + 6;
    unsigned long long n = 0, a = 0;
    if (*s == '-') {
        const char *p = s + 1;
        if (!read_digits(&p, &n) || *p)
            return 0; /* not a range we understand: send it all */
        if (n == 0 || size == 0)
            return -1;
        if (n > size)
            n = size;
        *out = (struct range){ size - n, n };
        return 1;
    }
    const char *p = s;
    if (!read_digits(&p, &a) || *p != '-')
        return 0;
    p++;
    unsigned long long b = size ? size - 1 : 0;
    if (*p && (!read_digits(&p, &b) || *p || b < a))
        return 0;
    if (a >= size)
        return -1;
    if (b >= size)
        b = size - 1;
    *out = (struct range){ a, b - a + 1 };
    return 1;
}

/* True when an If-None-Match list names etag (or is "*"). */
static bool etag_matches(const char *header, const char *etag)
{
    if (!header)
        return false;
    if (strcmp(header, "*") == 0)
        return true;
    const char *hit = strstr(header, etag);
    return hit != NULL;
}

/* Sends the file at path of table id, with ETag, ranges and 304. */
static void send_file(struct http_req *req, struct app *app, const struct principal *p,
                      const char *id, const char *path)
{
    struct err err = { { 0 } };
    struct file_digest d;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        http_respond_error(req, 404, "Table not found");
        return;
    }
    if (filehash_get(dataplane_filehash(app->core.dataplane), path, &d, &err) != RC_OK ||
        d.size != st.st_size) {
        close(fd);
        http_respond_error(req, 409, "the data of %s changed while it was read; try again", id);
        return;
    }
    char etag[SHA256_HEX_LEN + 3];
    snprintf(etag, sizeof(etag), "\"%s\"", d.sha256);
    char *disposition = xasprintf("attachment; filename=\"%s\"", base_name(path));
    http_set_header(req, "ETag", etag);
    http_set_header(req, "Accept-Ranges", "bytes");
    http_set_header(req, "Cache-Control", "private, no-cache");
    http_set_header(req, "Content-Disposition", disposition);
    free(disposition);
    if (etag_matches(http_req_header(req, "If-None-Match"), etag)) {
        close(fd);
        api_audit(app, req, p, "download", id, "not_modified", base_name(path));
        metrics_count("da_downloads_total", "result=\"not_modified\"", 1);
        http_respond_empty(req, 304);
        return;
    }
    struct range r = { 0, (uint64_t)st.st_size };
    const char *if_range = http_req_header(req, "If-Range");
    int ranged = if_range && strcmp(if_range, etag) != 0
                     ? 0 /* the client's copy is of another version: send it all */
                     : parse_range(http_req_header(req, "Range"), (uint64_t)st.st_size, &r);
    char content_range[96];
    if (ranged < 0) {
        close(fd);
        snprintf(content_range, sizeof(content_range), "bytes */%lld", (long long)st.st_size);
        http_set_header(req, "Content-Range", content_range);
        http_respond_error(req, 416, "range not satisfiable: the file has %lld bytes",
                           (long long)st.st_size);
        return;
    }
    if (ranged > 0)
        snprintf(content_range, sizeof(content_range), "bytes %" PRIu64 "-%" PRIu64 "/%lld",
                 r.first, r.first + r.length - 1, (long long)st.st_size);
    char detail[128];
    snprintf(detail, sizeof(detail), "%s bytes=%" PRIu64 "-%" PRIu64, base_name(path), r.first,
             r.first + r.length);
    if (api_audit(app, req, p, "download", id, ranged ? "partial" : "ok", detail) != RC_OK) {
        close(fd); /* governed means on record: no file leaves without its audit row */
        http_set_header(req, "Retry-After", "1");
        http_respond_error(req, 503, "the audit log cannot be written now; try again");
        return;
    }
    if (ranged > 0)
        http_set_header(req, "Content-Range", content_range);
    metrics_count("da_downloads_total", ranged ? "result=\"partial\"" : "result=\"ok\"", 1);
    http_respond_fd(req, ranged ? 206 : 200, "application/vnd.apache.parquet", fd, r.first,
                    r.length);
}

/* The path of the file a download asks for (heap), or NULL after answering why not. Without
 * a file name (/download) the table must have exactly one file. */
static char *requested_file(struct http_req *req, const struct catalog_table *t)
{
    const char *name = http_req_param(req, "name");
    if (!name && t->n_files != 1) {
        http_respond_error(req, 409,
                           "this table has %zu files: download each from the urls of"
                           " its files in /api/sync/manifest",
                           t->n_files);
        return NULL;
    }
    for (size_t i = 0; i < t->n_files; i++)
        if (!name || strcmp(base_name(t->files[i]), name) == 0)
            return xstrdup(t->files[i]);
    http_respond_error(req, 404, "File not found");
    return NULL;
}

/* GET /api/data/{table}/download and GET /api/data/{table}/files/{name}. */
static void get_file(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct catalog_gen *g = NULL;
    const char *id = http_req_param(req, "table");
    if (!api_require_user(req, app, &p))
        return;
    const struct catalog_table *t = api_readable_table(req, app, &p.user, id, true, &g);
    if (!t)
        return;
    char *path = requested_file(req, t);
    core_catalog_release(&app->core, g);
    if (path)
        send_file(req, app, &p, id, path);
    free(path);
}

static const struct http_route routes[] = {
    { "GET", "/api/sync/manifest", get_manifest },
    { "GET", "/api/data/{table}/download", get_file },
    { "GET", "/api/data/{table}/files/{name}", get_file },
};

const struct http_route *api_sync_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
