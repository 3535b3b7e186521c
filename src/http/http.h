/* http.h — the HTTP server of da and the request/response API its handlers use.
 *
 * libmicrohttpd serves each connection on its own thread; each request gets a struct http_req that
 * lives from its first byte until its response is sent, and owns everything attached to it. A
 * handler reads the request through the accessors below and answers exactly once through an
 * http_respond_* function. Every response carries the security headers and the request id;
 * every request leaves one access-log line. Errors use the body {"detail": "..."}. */
#ifndef DA_HTTP_HTTP_H
#define DA_HTTP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"
#include "base/str.h"
#include "http/router.h"

struct http_server_opts {
    const char *host;      /* numeric address or name to bind */
    int port;              /* 0: any free port (see http_server_port) */
    int threads;           /* capacity: at most threads * DA_HTTP_CONNS_PER_THREAD connections,
                              each served by its own thread */
    size_t max_body;       /* request bodies above this get 413 */
    uint64_t max_upload;   /* the file of an upload route: above this, 413 */
    const char *spool_dir; /* where uploads are streamed (same file system as their final
                              place, so keeping one is a rename); NULL: no uploads */
    int conn_timeout_s;    /* idle connections are closed after this */
    int max_conns_per_ip;  /* connections at once from one address; 0: no limit */
    int header_timeout_s;  /* a request head must be complete this long after it may begin */
    int body_window_s;     /* a body must bring body_min_rate bytes a second over each window */
    int64_t body_min_rate; /* of this many seconds, or the connection is cut (408) */
    bool hsts;             /* send Strict-Transport-Security (served over TLS) */
};

struct http_server;

/* Binds and starts serving routes (which must outlive the server). app is handed to every
 * handler. The caller stops the server with http_server_stop(). */
enum rc http_server_start(const struct http_server_opts *opts, const struct http_route *routes,
                          size_t routes_len, void *app, struct http_server **out_server,
                          struct err *err) WARN_UNUSED;

/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *server);

/* Stops accepting new connections; requests in flight go on, and their responses close their
 * connections. */
void http_server_quiesce(struct http_server *server);

/* Waits until no request is in flight or timeout_ms passes. True when idle. */
bool http_server_wait_idle(struct http_server *server, int timeout_ms);

/* Number of requests between their first byte and the end of their response. */
int http_server_in_flight(struct http_server *server);

/* Stops the worker threads, closes every connection and frees the server. Accepts NULL. */
void http_server_stop(struct http_server **server);

/* ---- the request, as a handler sees it. Returned strings are borrowed from the request and
 * valid until the handler returns. ---- */

const char *http_req_method(const struct http_req *req);
const char *http_req_path(const struct http_req *req);
const char *http_req_id(const struct http_req *req);
const char *http_req_client_ip(const struct http_req *req);
/* A header value (case-insensitive name), or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);
/* A cookie sent by the client, or NULL. */
const char *http_req_cookie(const struct http_req *req, const char *name);
/* A query-string argument, or NULL. */
const char *http_req_query(const struct http_req *req, const char *name);
/* A path parameter of the matched route ("id" for "/api/users/{id}"), or NULL. */
const char *http_req_param(const struct http_req *req, const char *name);
/* An upload route's file (see struct http_upload_spec), complete when the handler runs: the
 * name the client gave it (NULL when none; hostile until checked), its size and the path of
 * the spool file, which is removed after the response unless kept. */
const char *http_req_upload_filename(const struct http_req *req);
uint64_t http_req_upload_size(const struct http_req *req);
const char *http_req_upload_path(const struct http_req *req);
/* Moves the uploaded file to path durably (a rename: path must be on the spool's file
 * system). */
enum rc http_req_upload_keep(struct http_req *req, const char *path, struct err *err) WARN_UNUSED;

/* The request body (empty when none). */
struct str http_req_body(const struct http_req *req);

/* True when the client has closed its end of the connection (or it broke): a long handler
 * polls this to stop work nobody waits for. Safe from another thread while the request
 * is being handled. */
bool http_req_client_gone(const struct http_req *req);

/* Parses the body as one JSON value (duplicate keys refused). The caller releases *out_json
 * with json_decref(). RC_INVALID with a message for the client otherwise. */
enum rc http_req_json(const struct http_req *req, json_t **out_json, struct err *err) WARN_UNUSED;

/* ---- answering. Each request is answered once; a second answer is a bug and is logged. ---- */

/* Adds a header to the coming response. Names and values are copied. */
void http_set_header(struct http_req *req, const char *name, const char *value);

/* Sends body as JSON. Takes ownership of body (even on failure). */
void http_respond_json(struct http_req *req, int status, json_t *body);

/* Sends {"detail": message}. */
void http_respond_error(struct http_req *req, int status, const char *fmt, ...) PRINTF_FMT(3, 4);

/* Sends the error for rc: the client sees err's message for 4xx results; for 5xx it sees a
 * generic message and the detail goes to the log, so paths and library messages never leak. */
void http_respond_rc(struct http_req *req, enum rc rc, const struct err *err);

/* Sends a redirect (302 or 303) to location. */
void http_respond_redirect(struct http_req *req, int status, const char *location);

/* Sends len bytes of data, taking ownership of data (heap, freed with free() once sent): for
 * large bodies that should not be copied. */
void http_respond_owned(struct http_req *req, int status, const char *content_type, char *data,
                        size_t len);

/* Sends len bytes of the open file fd from offset, with sendfile where the platform has it.
 * Takes ownership of fd: it is closed once sent, or at once on failure. */
void http_respond_fd(struct http_req *req, int status, const char *content_type, int fd,
                     uint64_t offset, uint64_t len);

/* Sends status with no body (304 Not Modified, for one). */
void http_respond_empty(struct http_req *req, int status);

/* Sends len bytes of data (copied) with the given content type. */
void http_respond_bytes(struct http_req *req, int status, const char *content_type,
                        const void *data, size_t len);

#endif
