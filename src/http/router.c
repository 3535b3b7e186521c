/* router.c — route table matching by path segments. Tables are small (tens of routes), so a
 * linear scan over pre-split patterns is both the simplest and fast enough. */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

struct compiled_route {
    const struct http_route *route;
    size_t segs_len;
    struct str segs[DA_HTTP_PATH_SEGMENTS]; /* a {name} segment keeps its braces */
};

struct router {
    size_t len;
    struct compiled_route *routes;
};

/* Splits "/a/b/c" into segments. False when the path is not absolute, has an empty segment
 * (other than the root "/"), or has too many segments. */
static bool split_path(const char *path, struct str *segs, size_t *out_len)
{
    size_t n = 0;
    if (path[0] != '/')
        return false;
    if (path[1] == '\0') {
        *out_len = 0;
        return true;
    }
    const char *p = path + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || n == DA_HTTP_PATH_SEGMENTS)
            return false;
        segs[n++] = (struct str){ p, len };
        if (!slash)
            break;
        p = slash + 1;
    }
    *out_len = n;
    return true;
}

static bool is_param(struct str seg)
{
    return seg.len > 2 && seg.ptr[0] == '{' && seg.ptr[seg.len - 1] == '}';
}

enum rc router_new(const struct http_route *routes, size_t len, struct router **out_router,
                   struct err *err)
{
    struct router *r = xcalloc(1, sizeof(*r));
    r->routes = xcalloc(len, sizeof(*r->routes));
    enum rc rc = RC_OK;
    for (size_t i = 0; i < len; i++) {
        struct compiled_route *c = &r->routes[i];
        c->route = &routes[i];
        if (!split_path(routes[i].pattern, c->segs, &c->segs_len)) {
            rc = err_set(err, RC_INVALID, "bad route pattern %s", routes[i].pattern);
            goto out;
        }
        size_t params = 0;
        for (size_t j = 0; j < c->segs_len; j++)
            params += is_param(c->segs[j]);
        if (params > DA_HTTP_PARAMS_MAX) {
            rc = err_set(err, RC_INVALID, "too many parameters in %s", routes[i].pattern);
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(routes[j].method, routes[i].method) == 0 &&
                strcmp(routes[j].pattern, routes[i].pattern) == 0) {
                rc = err_set(err, RC_INVALID, "duplicate route %s %s", routes[i].method,
                             routes[i].pattern);
                goto out;
            }
        }
        r->len++;
    }
out:
    if (rc)
        router_free(&r);
    *out_router = r;
    return rc;
}

void router_free(struct router **router)
{
    if (!router || !*router)
        return;
    free((*router)->routes);
    free(*router);
    *router = NULL;
}

/* Matches segments against one route, filling params on success. */
static bool match_route(const struct compiled_route *c, const struct str *segs, size_t len,
                        struct route_match *out)
{
    if (c->segs_len != len)
        return false;
    size_t params = 0;
    for (size_t i = 0; i < len; i++) {
        if (is_param(c->segs[i])) {
            /* the name's braces are dropped: "{id}" -> "id" */
            out->params[params].name = c->segs[i].ptr + 1;
            out->params[params].value = segs[i];
            params++;
        } else if (!str_eq(c->segs[i], segs[i])) {
            return false;
        }
    }
    out->params_len = params;
    return true;
}

static void allow_add(char *allow, size_t size, const char *method)
{
    if (strstr(allow, method))
        return;
    size_t used = strlen(allow);
    snprintf(allow + used, size - used, "%s%s", used ? ", " : "", method);
}

enum router_result router_match(const struct router *router, const char *method, const char *path,
                                struct route_match *out)
{
    struct str segs[DA_HTTP_PATH_SEGMENTS];
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    if (!split_path(path, segs, &len))
        return ROUTER_NOT_FOUND;
    bool path_known = false;
    for (size_t i = 0; i < router->len; i++) {
        const struct compiled_route *c = &router->routes[i];
        struct route_match m = { 0 };
        if (!match_route(c, segs, len, &m))
            continue;
        path_known = true;
        const char *rm = c->route->method;
        bool head_on_get = strcmp(method, "HEAD") == 0 && strcmp(rm, "GET") == 0;
        if (strcmp(rm, method) == 0 || head_on_get) {
            *out = m;
            out->route = c->route;
            return ROUTER_FOUND;
        }
        allow_add(out->allow, sizeof(out->allow), rm);
        if (strcmp(rm, "GET") == 0)
            allow_add(out->allow, sizeof(out->allow), "HEAD");
    }
    return path_known ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}
