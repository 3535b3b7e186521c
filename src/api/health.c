/* health.c — GET /api/health, for load balancers, monitors and `da status`.
 *
 * Anyone may call it and learns only the overall status and the version. "unhealthy" means
 * the state store does not answer; "degraded" means the server runs but has no data to serve
 * (no extract folder with an extract.duckdb). Details that describe the data (counts, stale
 * tables) are for authenticated admins only. Always 200, so a monitor reads the body rather
 * than guessing from the status. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/authn.h"
#include "base/fileio.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/version.h"

/* Counts extract folders that hold an extract.duckdb and have a safe name. */
static int count_extracts(const char *extracts_dir)
{
    DIR *d = opendir(extracts_dir);
    if (!d)
        return 0;
    int n = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (!ident_valid(e->d_name))
            continue;
        char *db = xasprintf("%s/%s/extract.duckdb", extracts_dir, e->d_name);
        n += file_exists(db);
        free(db);
    }
    closedir(d);
    return n;
}

static void get_health(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct err err;
    const char *status = "healthy";
    if (store_ping(app->store, &err) != RC_OK) {
        log_error("health", "state store: %s", err.msg);
        status = "unhealthy";
    } else if (count_extracts(app->extracts_dir) == 0) {
        status = "degraded";
    }
    char now[ISOTIME_SIZE];
    isotime_now(now);
    json_t *body = json_pack("{s:s, s:s, s:s}", "status", status, "version", DA_VERSION,
                             "timestamp", now);
    struct principal p;
    int64_t users = 0, admins = 0;
    if (api_optional_user(req, app, &p) && strcmp(p.user.role, "admin") == 0 &&
        users_count(app->store, &users, &admins, &err) == RC_OK)
        json_object_set_new(body, "details",
                            json_pack("{s:i, s:I, s:I, s:i}", "schema_version",
                                      store_schema_version(app->store), "users",
                                      (json_int_t)users, "admins", (json_int_t)admins,
                                      "extracts", count_extracts(app->extracts_dir)));
    http_respond_json(req, 200, body);
}

static const struct http_route routes[] = {
    { "GET", "/api/health", get_health },
};

const struct http_route *api_health_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
