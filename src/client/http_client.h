/* http_client.h — the client's one way to talk to a da server: JSON calls and file downloads
 * over libcurl, with a bearer token, a "da/<version>" User-Agent, timeouts, TLS verification
 * always on, no redirects followed, and errors a person understands ("cannot reach URL:
 * connection refused", "the server answered 401: Invalid email or password").
 *
 * One struct hc talks to one server and reuses its connection; it is not thread-safe (make
 * one per thread). Results follow da's convention, with one rule that the commands rely on:
 * RC_IO from an hc_* call means the server gave no answer at all (hc_reached() is false);
 * any answer is either RC_OK (2xx, and 304 for downloads) or the rc of its status. */
#ifndef DA_CLIENT_HTTP_CLIENT_H
#define DA_CLIENT_HTTP_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"

#define HC_CONNECT_TIMEOUT_S 10 /* default: giving up on a connection */
#define HC_TIMEOUT_S         60 /* default: a whole JSON call */
#define HC_STALL_TIMEOUT_S   60 /* downloads have no overall limit but fail when stalled */
#define HC_URL_MAX           2048

struct hc;

/* Checks and normalises a server URL: http or https, a host, no user name or password (a
 * secret never goes in a URL), no query or fragment; the scheme and host are lower-cased and
 * trailing slashes dropped ("HTTPS://Da.Example.com/" -> "https://da.example.com"). A path
 * prefix is kept, for servers behind a proxy path. *out is freed by the caller. */
enum rc hc_normalize_url(const char *url, char **out, struct err *err) WARN_UNUSED;

/* A client for the server at base_url (normalised with hc_normalize_url). Free with hc_free. */
enum rc hc_new(const char *base_url, struct hc **out, struct err *err) WARN_UNUSED;

/* Frees c and wipes the token it holds. Accepts NULL or a pointer to NULL. */
void hc_free(struct hc **c);

/* The bearer token sent with every call from now on (copied; NULL sends none). */
void hc_set_token(struct hc *c, const char *token);

/* Seconds to wait for a connection and for a whole JSON call (0 keeps the current value). */
void hc_set_timeouts(struct hc *c, long connect_s, long total_s);

/* The normalised base URL (borrowed). */
const char *hc_base_url(const struct hc *c);

/* False when the last call got no HTTP answer (cannot connect, DNS, TLS, timeout). */
bool hc_reached(const struct hc *c);

/* The HTTP status of the last call; 0 when there was no answer. */
long hc_status(const struct hc *c);

/* Calls method (GET, POST, PUT, PATCH, DELETE) on path ("/api/me", appended to the base
 * URL; escape user-given segments with hc_escape) with body as JSON (borrowed; NULL: none).
 * *out_json (may be NULL) gets the parsed answer, also for error statuses, so callers can
 * read fields such as RFC 8628's "error"; NULL when the answer was empty or not JSON; the
 * caller json_decref()s it. A 2xx is RC_OK; any other answer is its rc (401
 * RC_UNAUTHORIZED, 403 RC_FORBIDDEN, 404 RC_NOTFOUND, 409 RC_CONFLICT, 408/413/429/504
 * RC_TOOBIG, other 5xx RC_INTERNAL, else RC_INVALID) with err "the server answered 401: <its
 * detail>"; no answer is RC_IO with err "cannot reach URL: <why>". A 2xx whose body is not
 * JSON is RC_INVALID. Text from the server is cleaned of control characters. */
enum rc hc_call(struct hc *c, const char *method, const char *path, const json_t *body,
                json_t **out_json, struct err *err) WARN_UNUSED;

/* Shorthands for hc_call. */
enum rc hc_get(struct hc *c, const char *path, json_t **out_json, struct err *err) WARN_UNUSED;
enum rc hc_post(struct hc *c, const char *path, const json_t *body, json_t **out_json,
                struct err *err) WARN_UNUSED;
enum rc hc_delete(struct hc *c, const char *path, json_t **out_json, struct err *err) WARN_UNUSED;

/* Progress of a download: received bytes of the body so far and the body's total (0 when
 * unknown). Return non-zero to cancel the download. */
typedef int (*hc_progress_fn)(void *ctx, uint64_t received, uint64_t total);

struct hc_download_opts {
    const char *if_none_match; /* an ETag: an unchanged file answers 304 and writes nothing */
    const char *range;         /* "bytes=N-" to resume; the server answers 206 */
    const char *if_range;      /* an ETag: the range applies only while the file is that one */
    hc_progress_fn progress;   /* may be NULL */
    void *progress_ctx;
};

struct hc_download_result {
    long status;            /* 200, 206 or 304 */
    uint64_t bytes;         /* body bytes written to fd */
    char etag[136];         /* the answer's ETag, quotes included; "" when none */
    char content_range[96]; /* the answer's Content-Range; "" when none */
    int write_errno;        /* when writing to fd failed: its errno (ENOSPC: the disk is full) */
};

/* GETs path and writes the body of a 200 or 206 answer to fd (at its current offset; the
 * caller owns fd, and truncates or seeks it as the status requires). opts may be NULL. An
 * error answer writes nothing and fails as in hc_call. A cancel from the progress callback
 * is RC_CONFLICT; a failed write to fd is RC_IO with hc_reached() true. */
enum rc hc_download(struct hc *c, const char *path, int fd, const struct hc_download_opts *opts,
                    struct hc_download_result *out, struct err *err) WARN_UNUSED;

/* s percent-encoded for use as one path segment or query value. Freed by the caller. */
char *hc_escape(const char *s);

/* Overwrites the string value of key in obj (if it is one) before the object is freed, so a
 * password or token inside a JSON value does not linger in freed memory. */
void hc_json_wipe(json_t *obj, const char *key);

/* ---------------------------------------------------------------- raw answers and uploads */

/* POSTs body (JSON, borrowed; NULL sends none) to path and appends the body of a 2xx answer
 * to out exactly as it came, unparsed: for answers that jansson would change, such as query
 * results whose integers exceed 64 bits or whose decimals carry more digits than a double.
 * out's cap bounds the answer (RC_TOOBIG past it, and out is then freed as buf_append does);
 * an error answer appends nothing. total_s (0: the hc's own) is the time the whole call may
 * take. Errors as hc_call. */
enum rc hc_post_raw(struct hc *c, const char *path, const json_t *body, long total_s,
                    struct buf *out, struct err *err) WARN_UNUSED;

/* POSTs the file at file_path as multipart/form-data, in the form field field, with the
 * file's base name as its file name; the file is streamed from disk, never held in memory.
 * The call sends "Expect: 100-continue", so a server that refuses the upload on its size
 * (413) answers before the body is sent. There is no overall time limit, but a transfer that
 * stalls for HC_STALL_TIMEOUT_S fails. *out_json and errors as hc_call. A file that cannot
 * be read is RC_IO ("cannot read FILE: ...") like a lost connection, so callers check that it
 * is a readable regular file first. */
enum rc hc_upload_file(struct hc *c, const char *path, const char *field, const char *file_path,
                       json_t **out_json, struct err *err) WARN_UNUSED;

#endif
