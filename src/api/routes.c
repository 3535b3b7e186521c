/* routes.c — every route of the HTTP API in one table, so the surface is visible at a glance.
 * docs/API.md describes each. */
#include "api/api.h"

#include "base/compat.h"

static const struct http_route routes[] = {
    { "GET", "/api/health", api_health },
};

const struct http_route *api_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
