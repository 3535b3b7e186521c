/* metrics.c — GET /metrics in the Prometheus text format (base/metrics.h lists the series).
 * By default only callers on the loopback interface get it, without credentials, for a
 * scraper on the same machine; a request that came through a proxy (it carries Forwarded or
 * X-Forwarded-For) is not local. With metrics.require_admin it is for admins only, from
 * anywhere. */
#include "base/metrics.h"

#include <string.h>

#include "api/authn.h"

#define METRICS_MAX (4 * 1024 * 1024)

static bool from_loopback(const struct http_req *req)
{
    if (http_req_header(req, "Forwarded") || http_req_header(req, "X-Forwarded-For"))
        return false;
    const char *ip = http_req_client_ip(req);
    return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
           strncmp(ip, "::ffff:127.", 11) == 0;
}

static void get_metrics(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    if (app->core.cfg->metrics_require_admin) {
        if (!api_require_admin(req, app, &p))
            return;
    } else if (!from_loopback(req)) {
        http_respond_error(req, 403,
                           "metrics are served to loopback callers only"
                           " (see metrics.require_admin)");
        return;
    }
    struct buf out;
    buf_init(&out, METRICS_MAX);
    if (metrics_render(&out) != RC_OK) {
        http_respond_error(req, 500, "metrics too large");
        return;
    }
    size_t len = 0;
    char *body = buf_take(&out, &len);
    http_respond_owned(req, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

static const struct http_route routes[] = {
    { "GET", "/metrics", get_metrics },
};

const struct http_route *api_metrics_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
