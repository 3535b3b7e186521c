/* api.h — the HTTP API of da: the application state every handler shares and the one route
 * table. One file per resource (health.c, ...) holds its handlers. */
#ifndef DA_API_API_H
#define DA_API_API_H

#include <stddef.h>

#include "auth/ratelimit.h"
#include "core/core.h"
#include "http/http.h"

/* What handlers share: the domain layer they adapt, and what only HTTP needs. Built by
 * `da serve` before the server starts and read-only while it runs (the parts that change,
 * like the store, guard themselves). */
struct app {
    struct core core;
    char *spool_dir;              /* <data_dir>/uploads/.incoming, uploads as they arrive; owned */
    struct ratelimit *rl_ip;      /* login and token attempts per client address */
    struct ratelimit *rl_account; /* login attempts per account */
};

/* All routes of the API in one array; the caller frees it with free() after the server
 * that uses it has stopped. */
struct http_route *api_routes_new(size_t *out_len);

/* The routes of each resource file (static storage). */
const struct http_route *api_health_routes(size_t *out_len);
const struct http_route *api_auth_routes(size_t *out_len);
const struct http_route *api_users_routes(size_t *out_len);
const struct http_route *api_tokens_routes(size_t *out_len);
const struct http_route *api_signin_routes(size_t *out_len);
const struct http_route *api_access_routes(size_t *out_len);
const struct http_route *api_registry_routes(size_t *out_len);
const struct http_route *api_discover_routes(size_t *out_len);
const struct http_route *api_dataplane_routes(size_t *out_len);
const struct http_route *api_catalog_routes(size_t *out_len);
const struct http_route *api_sync_routes(size_t *out_len);
const struct http_route *api_metrics_routes(size_t *out_len);
const struct http_route *api_query_routes(size_t *out_len);
const struct http_route *api_upload_routes(size_t *out_len);
const struct http_route *api_device_routes(size_t *out_len);
const struct http_route *api_webhooks_routes(size_t *out_len);
const struct http_route *api_jobs_routes(size_t *out_len);
const struct http_route *api_sync_settings_routes(size_t *out_len);
const struct http_route *api_packages_routes(size_t *out_len);

#endif
