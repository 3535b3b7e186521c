/* router.h — maps a method and a path to a handler. Patterns are literal segments and
 * {name} parameters ("/api/users/{id}"). A path that matches some route but not its method
 * yields the list of allowed methods, for a 405 with an Allow header. A GET route also
 * answers HEAD. No MHD here, so the router is tested on its own. */
#ifndef DA_HTTP_ROUTER_H
#define DA_HTTP_ROUTER_H

#include <stddef.h>

#include "base/compat.h"
#include "base/limits.h"
#include "base/rc.h"
#include "base/str.h"

struct http_req;

/* A request handler. app is the pointer given to http_server_start. The handler must answer
 * with one of the http_respond_* functions. */
typedef void (*http_handler_fn)(struct http_req *req, void *app);

/* An upload route's body is multipart/form-data whose file is streamed to a spool file as it
 * arrives (capped at the server's max_upload), never buffered in memory. */
struct http_upload_spec {
    const char *field;     /* the form field that holds the file */
    http_handler_fn check; /* runs once the headers are in, before a byte of the body is read;
                              answering refuses the upload (say, 401). NULL: no check */
};

struct http_route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/api/users/{id}" */
    http_handler_fn handler;
    const struct http_upload_spec *upload; /* NULL: the body is buffered (max_body) */
};

enum router_result { ROUTER_FOUND = 0, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

struct route_param {
    const char *name; /* borrowed from the route table */
    struct str value; /* borrowed from the matched path */
};

struct route_match {
    const struct http_route *route;
    size_t params_len;
    struct route_param params[DA_HTTP_PARAMS_MAX];
    char allow[128]; /* "GET, HEAD, POST" when ROUTER_METHOD_NOT_ALLOWED */
};

struct router;

/* Checks and indexes routes (which must outlive the router). RC_INVALID names a bad pattern
 * or a duplicate method+pattern. The caller frees *out_router with router_free(). */
enum rc router_new(const struct http_route *routes, size_t len, struct router **out_router,
                   struct err *err) WARN_UNUSED;

void router_free(struct router **router);

/* Matches method and path (no query string). out borrows from the router and from path. */
enum router_result router_match(const struct router *router, const char *method, const char *path,
                                struct route_match *out);

#endif
