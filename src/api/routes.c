/* routes.c — the HTTP API's route table, joined from the tables each resource file exports
 * (health.c, auth.c, users.c, ...), so every resource keeps its routes beside its handlers.
 * docs/API.md describes each route. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/compat.h"
#include "base/mem.h"

typedef const struct http_route *(*route_table_fn)(size_t *out_len);

static const route_table_fn tables[] = {
    api_health_routes,  api_auth_routes,          api_users_routes,    api_tokens_routes,
    api_access_routes,  api_signin_routes,        api_registry_routes, api_dataplane_routes,
    api_catalog_routes, api_sync_routes,          api_metrics_routes,  api_query_routes,
    api_upload_routes,  api_device_routes,        api_webhooks_routes, api_discover_routes,
    api_jobs_routes,    api_sync_settings_routes, api_packages_routes, api_metric_defs_routes,
};

struct http_route *api_routes_new(size_t *out_len)
{
    size_t total = 0, len = 0;
    for (size_t i = 0; i < ARRAY_LEN(tables); i++) {
        tables[i](&len);
        total += len;
    }
    struct http_route *all = xcalloc(total, sizeof(*all));
    size_t at = 0;
    for (size_t i = 0; i < ARRAY_LEN(tables); i++) {
        const struct http_route *t = tables[i](&len);
        memcpy(all + at, t, len * sizeof(*t));
        at += len;
    }
    *out_len = total;
    return all;
}
