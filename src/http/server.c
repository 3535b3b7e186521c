/* server.c — the libmicrohttpd daemon, the per-request lifecycle and the response path.
 *
 * A request's life: the first callback creates its struct http_req (and counts it in flight)
 * and routes it; body callbacks append to its capped buffer (or, for an upload route, stream
 * the file to a spool file: upload.c); the last callback runs the handler; the completion
 * callback writes the access-log line and frees it. Graceful shutdown is quiesce (stop
 * accepting) + wait for the in-flight count to reach zero + stop. */
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/isotime.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "base/parse.h"
#include "base/rand.h"
#include "http/conntrack.h"
#include "http/http.h"
#include "http/upload.h"
#include "http/urldecode.h"

struct header_kv {
    char *name;
    char *value;
    struct header_kv *next;
};

struct http_server {
    struct MHD_Daemon *daemon;
    struct conntrack *conntrack; /* head deadline and body rate of every connection */
    struct router *router;
    void *app;
    size_t max_body;
    uint64_t max_upload;
    char *spool_dir;
    bool hsts;
    int port;
    atomic_bool draining;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int in_flight;
};

struct http_req {
    struct http_server *server;
    struct MHD_Connection *conn;
    struct conntrack_conn *track; /* the connection's entry in server->conntrack */
    char *method;
    char *path;
    char id[DA_REQUEST_ID_MAX + 1];
    char ip[NI_MAXHOST];
    int64_t started_us;
    struct buf body;
    bool body_too_big;
    bool responded;
    int status;
    enum router_result routed;
    struct route_match match;
    char *params[DA_HTTP_PARAMS_MAX]; /* NUL-terminated copies of match.params values */
    struct upload *upload;            /* an upload route's file, once its body began */
    bool holding;                     /* responses are held until the body has been read */
    struct MHD_Response *held;        /* a refusal waiting for the end of the body */
    struct header_kv *headers;        /* headers for the coming response */
};

/* ---------------------------------------------------------------- request lifecycle */

/* A client-supplied X-Request-Id is kept only when short and plain, so it is safe in logs. */
static bool request_id_acceptable(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len > DA_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "-");
    if (!ci || !ci->client_addr)
        return;
    socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in);
    if (getnameinfo(ci->client_addr, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(out, size, "-");
}

static struct http_req *req_new(struct http_server *s, struct MHD_Connection *conn, const char *url,
                                const char *method)
{
    struct http_req *req = xcalloc(1, sizeof(*req));
    req->server = s;
    req->conn = conn;
    req->method = xstrdup(method);
    req->path = xstrdup(url);
    req->started_us = clock_mono_us();
    const union MHD_ConnectionInfo *sc =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    req->track = sc ? sc->socket_context : NULL;
    buf_init(&req->body, s->max_body);
    client_ip(conn, req->ip, sizeof(req->ip));
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    struct err err;
    if (given && request_id_acceptable(given))
        snprintf(req->id, sizeof(req->id), "%s", given);
    else if (rand_hex(req->id, 8, &err) != RC_OK)
        snprintf(req->id, sizeof(req->id), "unknown");
    pthread_mutex_lock(&s->lock);
    s->in_flight++;
    pthread_mutex_unlock(&s->lock);
    return req;
}

static void req_free(struct http_req *req)
{
    struct http_server *s = req->server;
    for (struct header_kv *h = req->headers, *next; h; h = next) {
        next = h->next;
        free(h->name);
        free(h->value);
        free(h);
    }
    for (size_t i = 0; i < DA_HTTP_PARAMS_MAX; i++)
        free(req->params[i]);
    buf_cleanup(&req->body);
    upload_free(req->upload);
    if (req->held)
        MHD_destroy_response(req->held);
    free(req->method);
    free(req->path);
    free(req);
    pthread_mutex_lock(&s->lock);
    if (--s->in_flight == 0)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
}

/* Counts the request by its route pattern (never the raw path: the label set stays small). */
static void record_metrics(const struct http_req *req, double ms)
{
    const struct http_route *r = req->match.route;
    char labels[256];
    snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\",status=\"%d\"",
             r ? r->pattern : "unmatched", r ? r->method : "other", req->status);
    metrics_count("da_http_requests_total", labels, 1);
    snprintf(labels, sizeof(labels), "route=\"%s\"", r ? r->pattern : "unmatched");
    metrics_observe("da_http_request_duration_seconds", labels, ms / 1000.0);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    (void)conn;
    struct http_req *req = *con_cls;
    if (!req)
        return;
    conntrack_request_done(s->conntrack, req->track);
    double ms = (double)(clock_mono_us() - req->started_us) / 1000.0;
    record_metrics(req, ms);
    log_set_request_id(req->id);
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        log_info("access", "%s %s %d %.1fms ip=%s", req->method, req->path, req->status, ms,
                 req->ip);
    else
        log_info("access", "%s %s %d %.1fms ip=%s aborted=%d", req->method, req->path, req->status,
                 ms, req->ip, (int)toe);
    log_set_request_id(NULL);
    req_free(req);
    *con_cls = NULL;
}

/* ---------------------------------------------------------------- responses */

static void add_header(struct MHD_Response *resp, const char *name, const char *value)
{
    if (MHD_add_response_header(resp, name, value) != MHD_YES)
        log_error("http", "cannot add response header %s", name);
}

/* Queues resp (which it destroys) with the headers every answer carries. */
static void queue(struct http_req *req, int status, struct MHD_Response *resp)
{
    if (!resp) {
        log_error("http", "cannot create a response");
        return;
    }
    if (req->responded) {
        log_error("http", "second response to one request ignored (bug)");
        MHD_destroy_response(resp);
        return;
    }
    bool has_cache_control = false;
    for (const struct header_kv *h = req->headers; h; h = h->next) {
        add_header(resp, h->name, h->value);
        has_cache_control |= strcasecmp(h->name, "Cache-Control") == 0;
    }
    add_header(resp, "X-Request-Id", req->id);
    add_header(resp, "X-Content-Type-Options", "nosniff");
    add_header(resp, "X-Frame-Options", "DENY");
    add_header(resp, "Referrer-Policy", "no-referrer");
    add_header(resp, "Content-Security-Policy",
               "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    add_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    add_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
    add_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    if (!has_cache_control)
        add_header(resp, "Cache-Control", "no-store");
    if (req->server->hsts)
        add_header(resp, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    if (atomic_load(&req->server->draining))
        add_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    req->responded = true;
    req->status = status;
    if (req->holding) {
        req->held = resp;
        return;
    }
    if (MHD_queue_response(req->conn, (unsigned)status, resp) != MHD_YES)
        log_error("http", "cannot queue the %d response", status);
    MHD_destroy_response(resp);
}

/* Sends a held refusal once the body has been read (libmicrohttpd queues a response only
 * before the body or after it). Held, because answering before the body is read makes the
 * server close a socket with unread data, and the client, still sending, gets a reset
 * instead of the answer. */
static void send_held(struct http_req *req)
{
    if (MHD_queue_response(req->conn, (unsigned)req->status, req->held) != MHD_YES)
        log_error("http", "cannot queue the %d response", req->status);
    MHD_destroy_response(req->held);
    req->held = NULL;
}

void http_set_header(struct http_req *req, const char *name, const char *value)
{
    struct header_kv *h = xmalloc(sizeof(*h));
    h->name = xstrdup(name);
    h->value = xstrdup(value);
    h->next = req->headers;
    req->headers = h;
}

bool http_req_client_gone(const struct http_req *req)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info)
        return false;
    struct pollfd p = { .fd = info->connect_fd, .events = POLLIN };
    if (poll(&p, 1, 0) != 1)
        return false;
    if (p.revents & (POLLHUP | POLLERR))
        return true;
    /* readable: an orderly close reads as end of file; a pipelined request does not */
    char c;
    return recv(info->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Sends a malloc'd body that MHD frees when done. */
void http_respond_owned(struct http_req *req, int status, const char *content_type, char *data,
                        size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    if (!resp) {
        free(data);
        log_error("http", "cannot create a response");
        return;
    }
    add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    queue(req, status, resp);
}

void http_respond_fd(struct http_req *req, int status, const char *content_type, int fd,
                     uint64_t offset, uint64_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(len, fd, offset);
    if (!resp) {
        close(fd);
        log_error("http", "cannot create a file response");
        return;
    }
    add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    queue(req, status, resp);
}

void http_respond_empty(struct http_req *req, int status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        log_error("http", "cannot create a response");
        return;
    }
    queue(req, status, resp);
}

void http_respond_json(struct http_req *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (!text) {
        log_error("http", "cannot encode a JSON response");
        text = xstrdup("{\"detail\":\"internal error\"}");
        status = 500;
    }
    http_respond_owned(req, status, "application/json", text, strlen(text));
}

void http_respond_error(struct http_req *req, int status, const char *fmt, ...)
{
    char msg[ERR_MSG_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    http_respond_json(req, status, json_pack("{s:s}", "detail", msg));
}

void http_respond_rc(struct http_req *req, enum rc rc, const struct err *err)
{
    int status = rc_http_status(rc);
    const char *msg = err && err->msg[0] ? err->msg : rc_str(rc);
    if (status == 503) {
        log_warn("http", "%s: %s", rc_str(rc), msg);
        http_set_header(req, "Retry-After", "1");
        http_respond_error(req, status, "the server is busy; retry shortly (request id %s)",
                           req->id);
        return;
    }
    if (status >= 500) {
        log_error("http", "%s: %s", rc_str(rc), msg);
        http_respond_error(req, status, "internal error (request id %s)", req->id);
        return;
    }
    http_respond_error(req, status, "%s", msg);
}

void http_respond_redirect(struct http_req *req, int status, const char *location)
{
    http_set_header(req, "Location", location);
    http_respond_owned(req, status, "text/plain; charset=utf-8", xstrdup(""), 0);
}

void http_respond_bytes(struct http_req *req, int status, const char *content_type,
                        const void *data, size_t len)
{
    char *copy = xmalloc(len ? len : 1);
    if (len)
        memcpy(copy, data, len);
    http_respond_owned(req, status, content_type, copy, len);
}

/* ---------------------------------------------------------------- request accessors */

const char *http_req_method(const struct http_req *req)
{
    return req->method;
}

const char *http_req_path(const struct http_req *req)
{
    return req->path;
}

const char *http_req_id(const struct http_req *req)
{
    return req->id;
}

const char *http_req_client_ip(const struct http_req *req)
{
    return req->ip;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_cookie(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *http_req_query(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_req_param(const struct http_req *req, const char *name)
{
    for (size_t i = 0; i < req->match.params_len; i++) {
        const char *n = req->match.params[i].name;
        size_t len = strlen(name);
        if (strncmp(n, name, len) == 0 && n[len] == '}')
            return req->params[i];
    }
    return NULL;
}

const char *http_req_upload_filename(const struct http_req *req)
{
    return req->upload ? upload_filename(req->upload) : NULL;
}

uint64_t http_req_upload_size(const struct http_req *req)
{
    return req->upload ? upload_size(req->upload) : 0;
}

const char *http_req_upload_path(const struct http_req *req)
{
    return req->upload ? upload_spool_path(req->upload) : NULL;
}

enum rc http_req_upload_keep(struct http_req *req, const char *path, struct err *err)
{
    if (!req->upload)
        return err_set(err, RC_INTERNAL, "not an upload route");
    return upload_keep(req->upload, path, err);
}

struct str http_req_body(const struct http_req *req)
{
    return (struct str){ buf_cstr(&req->body), req->body.len };
}

enum rc http_req_json(const struct http_req *req, json_t **out_json, struct err *err)
{
    *out_json = NULL;
    if (req->body.len == 0)
        return err_set(err, RC_INVALID, "request body is empty; expected JSON");
    json_error_t jerr;
    json_t *v = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        return err_set(err, RC_INVALID, "request body is not valid JSON: %s (line %d, column %d)",
                       jerr.text, jerr.line, jerr.column);
    *out_json = v;
    return RC_OK;
}

/* ---------------------------------------------------------------- dispatch */

static void dispatch(struct http_req *req)
{
    struct http_server *s = req->server;
    if (req->body_too_big) {
        http_respond_error(req, 413, "request body is larger than %zu bytes", s->max_body);
        return;
    }
    switch (req->routed) {
    case ROUTER_NOT_FOUND:
        http_respond_error(req, 404, "Not Found");
        return;
    case ROUTER_METHOD_NOT_ALLOWED:
        http_set_header(req, "Allow", req->match.allow);
        http_respond_error(req, 405, "Method Not Allowed");
        return;
    case ROUTER_FOUND:
        break;
    }
    char msg[160];
    int status = req->upload ? upload_end(req->upload, msg, sizeof(msg)) : 0;
    if (status)
        http_respond_error(req, status, "%s", msg);
    else
        req->match.route->handler(req, s->app);
    if (!req->responded) {
        log_error("http", "handler for %s %s sent no response (bug)", req->method,
                  req->match.route->pattern);
        http_respond_error(req, 500, "internal error (request id %s)", req->id);
    }
    /* a spool file not kept goes before the answer is sent, so no client sees it linger */
    upload_free(req->upload);
    req->upload = NULL;
}

/* Whether Content-Length announces more than max bytes. */
static bool announced_above(struct MHD_Connection *conn, uint64_t max)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    int64_t n = 0;
    return cl && parse_i64(cl, 0, INT64_MAX, &n) && (uint64_t)n > max;
}

struct framing_count {
    int content_length;
    int transfer_encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    (void)value;
    struct framing_count *f = cls;
    if (strcasecmp(key, "Content-Length") == 0)
        f->content_length++;
    else if (strcasecmp(key, "Transfer-Encoding") == 0)
        f->transfer_encoding++;
    return MHD_YES;
}

/* Why the body's length is ambiguous, or NULL. Two Content-Length headers, or a
 * Transfer-Encoding beside a Content-Length, may be read one way by a proxy in front and
 * another way here, which lets a request be smuggled inside another (RFC 9112, 6.3). */
static const char *ambiguous_framing(struct MHD_Connection *conn)
{
    struct framing_count f = { 0, 0 };
    (void)MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    if (f.content_length > 1)
        return "more than one Content-Length header";
    if (f.transfer_encoding > 1)
        return "more than one Transfer-Encoding header";
    if (f.transfer_encoding && f.content_length)
        return "both Transfer-Encoding and Content-Length";
    return NULL;
}

/* Routes a new request and decides, before reading a byte of its body, whether to keep it:
 * an announced oversize body is refused, and an upload route runs its check and starts
 * streaming to disk. A refusal here is held until the body has been read and dropped, so
 * that the client, still sending, gets to read it (see send_held), unless the body announces
 * more than DA_HTTP_DRAIN_MAX: that is answered at once and the connection closed. */
static void begin_request(struct http_req *req)
{
    struct http_server *s = req->server;
    req->routed = router_match(s->router, req->method, req->path, &req->match);
    if (req->routed == ROUTER_FOUND)
        for (size_t i = 0; i < req->match.params_len; i++)
            req->params[i] =
                xstrndup(req->match.params[i].value.ptr, req->match.params[i].value.len);
    const char *ambiguous = ambiguous_framing(req->conn);
    if (ambiguous) {
        /* answered at once and the connection closed: where its body ends is unknown */
        http_set_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
        http_respond_error(req, 400, "request framing is ambiguous: %s", ambiguous);
        return;
    }
    const struct http_upload_spec *up =
        req->routed == ROUTER_FOUND ? req->match.route->upload : NULL;
    req->holding = !announced_above(req->conn, DA_HTTP_DRAIN_MAX);
    if (!up && announced_above(req->conn, s->max_body))
        http_respond_error(req, 413, "request body is larger than %zu bytes", s->max_body);
    else if (up && announced_above(req->conn, s->max_upload + 64 * 1024)) /* room for the form */
        http_respond_error(req, 413, "the file is larger than %llu bytes",
                           (unsigned long long)s->max_upload);
    else if (up && up->check)
        up->check(req, s->app);
    struct err err = { { 0 } };
    enum rc rc = RC_OK;
    if (up && !req->responded)
        rc = s->spool_dir ? upload_begin(req->conn, up->field, s->spool_dir, s->max_upload,
                                         &req->upload, &err)
                          : err_set(&err, RC_INTERNAL, "uploads are not configured");
    if (rc == RC_INVALID)
        http_respond_error(req, 415, "%s", err.msg);
    else if (rc)
        http_respond_rc(req, rc, &err);
    req->holding = false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *s = cls;
    struct http_req *req = *con_cls;
    if (!req) {
        req = req_new(s, conn, url, method);
        *con_cls = req;
        log_set_request_id(req->id);
        begin_request(req);
        log_set_request_id(NULL);
        conntrack_head_done(s->conntrack, req->track, req->id);
        if (req->responded && !req->held) /* answered already: its body is not waited for */
            (void)conntrack_body_done(s->conntrack, req->track);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!conntrack_body(s->conntrack, req->track, *upload_data_size))
            return MHD_NO; /* cut for a body too slow: the 408 went out already */
        /* A body that outgrows the cap is read and dropped, then answered with 413; so is the
         * body of a held refusal. */
        if (!req->responded && req->upload)
            upload_feed(req->upload, upload_data, *upload_data_size);
        else if (!req->responded && !req->body_too_big &&
                 buf_append(&req->body, upload_data, *upload_data_size) != RC_OK)
            req->body_too_big = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!conntrack_body_done(s->conntrack, req->track))
        return MHD_NO;
    if (req->held)
        send_held(req);
    if (req->responded)
        return MHD_YES;
    log_set_request_id(req->id);
    dispatch(req);
    log_set_request_id(NULL);
    return MHD_YES;
}

/* ---------------------------------------------------------------- daemon */

/* Registers each connection with the deadline tracker when libmicrohttpd accepts it, and
 * forgets it when libmicrohttpd closes it (always before its socket is closed). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        char ip[NI_MAXHOST];
        client_ip(conn, ip, sizeof(ip));
        *socket_context = fd ? conntrack_open(s->conntrack, fd->connect_fd, ip) : NULL;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        conntrack_close(s->conntrack, *socket_context);
        *socket_context = NULL;
    }
}

/* libmicrohttpd logs one line per connection it refuses at a limit: a flood of connections
 * would flood the log. Those are counted, and said at most once every 10 s. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    static atomic_llong last_said_us = 0;
    static atomic_llong unsaid = 0;
    if (strstr(fmt, "reached connection limit")) {
        metrics_count("da_http_connections_refused_total", NULL, 1);
        long long now = clock_mono_us(), last = atomic_load(&last_said_us);
        if ((last && now - last < 10 * 1000000LL) ||
            !atomic_compare_exchange_strong(&last_said_us, &last, now)) {
            atomic_fetch_add(&unsaid, 1);
            return;
        }
        log_warn("mhd",
                 "refusing connections: the connection limit (in all, or per address) "
                 "is reached; %lld more refused since the last such message",
                 (long long)atomic_exchange(&unsaid, 0));
        return;
    }
    log_vwrite(LOG_WARN, "mhd", fmt, ap);
}

/* libmicrohttpd's unescape callback: %XX decoded, "%00" kept (urldecode.h says why). */
static size_t unescape_keeping_nul(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return url_unescape_keeping_nul(s);
}

static enum rc resolve(const char *host, int port, struct sockaddr_storage *out, struct err *err)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res = NULL;
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0)
        return err_set(err, RC_INVALID, "cannot resolve host %s: %s", host, gai_strerror(gai));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return RC_OK;
}

enum rc http_server_start(const struct http_server_opts *opts, const struct http_route *routes,
                          size_t routes_len, void *app, struct http_server **out_server,
                          struct err *err)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    struct sockaddr_storage addr;
    enum rc rc = RC_OK;
    *out_server = NULL;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->idle, NULL);
    s->app = app;
    s->max_body = opts->max_body;
    s->max_upload = opts->max_upload;
    s->spool_dir = opts->spool_dir ? xstrdup(opts->spool_dir) : NULL;
    s->hsts = opts->hsts;
    rc = router_new(routes, routes_len, &s->router, err);
    if (rc)
        goto out;
    rc = resolve(opts->host, opts->port, &addr, err);
    if (rc)
        goto out;
    struct conntrack_opts ct = { .head_timeout_s = opts->header_timeout_s,
                                 .keepalive_idle_s = opts->conn_timeout_s,
                                 .body_window_s = opts->body_window_s,
                                 .body_min_rate = opts->body_min_rate };
    rc = conntrack_start(&ct, &s->conntrack, err);
    if (rc)
        goto out;
    /* a thread per connection: a handler that waits on a long query blocks only its own
     * connection (in a thread pool, every other connection on that pool thread would wait) */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape_keeping_nul, NULL, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)opts->threads * DA_HTTP_CONNS_PER_THREAD, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)opts->max_conns_per_ip, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opts->conn_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)DA_HTTP_CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!s->daemon) {
        rc = err_set(err, RC_IO, "cannot listen on %s port %d (in use, or not allowed?)",
                     opts->host, opts->port);
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opts->port;
out:
    if (rc)
        http_server_stop(&s);
    *out_server = s;
    return rc;
}

int http_server_port(const struct http_server *server)
{
    return server->port;
}

void http_server_quiesce(struct http_server *server)
{
    atomic_store(&server->draining, true);
    MHD_socket fd = MHD_quiesce_daemon(server->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd); /* after quiesce the listening socket is ours to close */
}

bool http_server_wait_idle(struct http_server *server, int timeout_ms)
{
    struct timespec deadline = clock_after_us(CLOCK_REALTIME, (int64_t)timeout_ms * 1000);
    pthread_mutex_lock(&server->lock);
    int rc = 0;
    while (server->in_flight > 0 && rc == 0)
        rc = pthread_cond_timedwait(&server->idle, &server->lock, &deadline);
    bool idle = server->in_flight == 0;
    pthread_mutex_unlock(&server->lock);
    return idle;
}

int http_server_in_flight(struct http_server *server)
{
    pthread_mutex_lock(&server->lock);
    int n = server->in_flight;
    pthread_mutex_unlock(&server->lock);
    return n;
}

void http_server_stop(struct http_server **server)
{
    struct http_server *s = server ? *server : NULL;
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon); /* closes every connection, each unregistered first */
    conntrack_stop(&s->conntrack);
    router_free(&s->router);
    free(s->spool_dir);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->lock);
    free(s);
    *server = NULL;
}
